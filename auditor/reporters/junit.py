"""JUnit XML: each rule is a test case, each category a test suite.

Uses only the common subset that GitLab, Jenkins and Azure DevOps all read: `testsuites` >
`testsuite` (name, tests, failures, errors, skipped, time) > `testcase` (classname, name, time)
with `failure`, `error` or `skipped` children, and `system-out` for evidence. A failing rule
is a `<failure>` (message = what was found, text = evidence and the fix); a rule that could
not run is an `<error>`; n/a, waived and disabled rules are `<skipped>` with the reason.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape as _escape
from xml.sax.saxutils import quoteattr

from auditor.model import Report, Result
from auditor.reporters.common import category_title, grouped_by_category, severity, where

_BAD_XML = {c: None for c in range(32) if c not in (9, 10, 13)}


def _clean(text: str) -> str:
    """XML 1.0 cannot carry most control characters, even escaped: drop them."""
    return (text or "").translate(_BAD_XML)


def _attr(text: str) -> str:
    return quoteattr(_clean(text), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _text(text: str) -> str:
    return _escape(_clean(text))


def _evidence_lines(r: Result) -> list[str]:
    return [f"- {where(e.path, e.line) + ': ' if e.path else ''}{e.detail}" for e in r.evidence]


def _testcase(r: Result, suite: str) -> list[str]:
    name = f"{r.rule.id} {r.rule.slug}: {r.rule.title}"
    head = f'    <testcase classname={_attr(suite)} name={_attr(name)} time="0"'
    sev = severity(r)
    body: list[str] = []
    if r.status == "fail":
        text = "\n".join([r.message, "", "Evidence:", *(_evidence_lines(r) or ["- none"]), "",
                          f"Fix: {r.rule.fix}", f"Severity: {sev} (mlaudit explain {r.rule.id})"])
        body.append(f"      <failure message={_attr(r.message)} type={_attr(sev)}>{_text(text)}</failure>")
    elif r.status == "error":
        body.append(f"      <error message={_attr(r.message)} type=\"check-error\">{_text(r.message)}</error>")
    elif r.status in ("n/a", "waived", "disabled"):
        body.append(f"      <skipped message={_attr(f'{r.status}: {r.message}')}/>")
    if r.status != "fail" and r.evidence:
        body.append(f"      <system-out>{_text(chr(10).join(_evidence_lines(r)))}</system-out>")
    if not body:
        return [head + "/>"]
    return [head + ">", *body, "    </testcase>"]


def render(report: Report, **_: Any) -> str:
    s = report.summary
    total = {"tests": len(report.results), "failures": s.counts["fail"], "errors": s.counts["error"],
             "skipped": s.counts["n/a"] + s.counts["waived"] + s.counts["disabled"]}
    score = "n/a" if s.score is None else f"{s.score:.1f}"
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             (f'<testsuites name={_attr(f"mlaudit {report.target_path}")} tests="{total["tests"]}" '
              f'failures="{total["failures"]}" errors="{total["errors"]}" skipped="{total["skipped"]}" '
              f'time="{report.duration_ms / 1000:.3f}">')]
    for cat, results in grouped_by_category(report.results).items():
        title = category_title(report, cat)
        suite = f"mlaudit.{cat}"
        counts = {k: sum(1 for r in results if r.status == k) for k in ("fail", "error")}
        skipped = sum(1 for r in results if r.status in ("n/a", "waived", "disabled"))
        cat_score = next((c.score for c in s.categories if c.id == cat), None)
        lines.append(f'  <testsuite name={_attr(f"{cat} · {title}")} tests="{len(results)}" '
                     f'failures="{counts["fail"]}" errors="{counts["error"]}" skipped="{skipped}" time="0">')
        lines.append("    <properties>")
        lines.append(f'      <property name="category" value={_attr(cat)}/>')
        lines.append(f'      <property name="category-score" value={_attr("n/a" if cat_score is None else f"{cat_score:.1f}")}/>')
        lines.append(f'      <property name="overall-score" value={_attr(score)}/>')
        lines.append(f'      <property name="grade" value={_attr(s.grade)}/>')
        lines.append(f'      <property name="profile" value={_attr(report.profile)}/>')
        lines.append("    </properties>")
        for r in results:
            lines += _testcase(r, suite)
        lines.append("  </testsuite>")
    lines.append("</testsuites>")
    return "\n".join(lines) + "\n"
