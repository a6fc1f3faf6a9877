"""GitHub-flavoured Markdown for pull-request comments and `$GITHUB_STEP_SUMMARY`.

Score and grade first, then a category table, then each failure with its fix (evidence in a
collapsible block), then passed / not-applicable rules collapsed. Text that comes from the
audited repository (evidence, messages) is escaped, so a file name or a matched line cannot
inject Markdown or HTML into a comment. The output stays under GitHub's comment limit
(65,536 characters): a long report is first made compact, then cut with a note.
"""

from __future__ import annotations

import re
from typing import Any

from auditor.model import Report, Result
from auditor.reporters.common import (
    by_severity,
    counts_line,
    fold,
    redundant_evidence,
    score_text,
    severity,
    split_code_spans,
    with_status,
)

MAX_CHARS = 65_000  # GitHub rejects comments over 65,536 characters
MESSAGE_CHARS = 300  # longer failure messages are folded
GRADE_ICON = {"A": "🟢", "B": "🟢", "C": "🟡", "D": "🟠", "F": "🔴", "-": "⚪"}
SEVERITY_ICON = {"critical": "🔴", "high": "🟠", "medium": "🟡", "low": "🔵"}
STATUS_ICON = {"pass": "✅", "fail": "❌", "n/a": "➖", "waived": "🏳️", "disabled": "⏸️", "error": "⚠️"}
_ESCAPE = {c: f"\\{c}" for c in "\\`*_[]|~#!"} | {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def md(text: str | None) -> str:
    """Inline text from the audit, safe in Markdown (and in a table cell): one line, escaped."""
    return "".join(_ESCAPE.get(ch, ch) for ch in re.sub(r"\s+", " ", text or ""))


def rich(text: str | None) -> str:
    """Rule and message text: its `code spans` kept as code, everything else escaped like md()."""
    return "".join(code(piece) if is_code else md(piece) for is_code, piece in split_code_spans(text or ""))


def code(text: str) -> str:
    """An inline code span that survives backticks and table pipes in the text."""
    text = " ".join(text.split()).replace("|", "\\|")
    run = longest = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _bar(score: float | None, width: int = 10) -> str:
    if score is None:
        return ""
    full = round(score / 100 * width)
    return "█" * full + "░" * (width - full)


def _evidence_items(r: Result, limit: int) -> list[str]:
    items = []
    for e in r.evidence[:limit]:
        loc = code(f"{e.path}:{e.line}" if e.path and e.line else e.path) if e.path else ""
        detail = md(e.detail)
        items.append(f"- {loc}{' — ' if loc and detail else ''}{detail}")
    if len(r.evidence) > limit:
        items.append(f"- … {len(r.evidence) - limit} more")
    return items


def _header(report: Report) -> list[str]:
    s = report.summary
    score = score_text(s.score)
    out = [f"## {GRADE_ICON.get(s.grade, '⚪')} mlaudit: {score} / 100 · grade {s.grade}", ""]
    target = f"**Target** {code(report.target_path)}"
    git = report.git or {}
    if git.get("commit"):
        target += f" @ {code(git['commit'][:8])}"
        if git.get("branch"):
            target += f" ({md(git['branch'])})"
        if git.get("dirty"):
            target += " (uncommitted changes)"
    out.append(f"{target} · **Profile** {md(report.profile)} · {counts_line(report)}")
    if s.threshold is not None:
        verdict = "✅ met" if s.threshold_met else "❌ **not met**"
        out += ["", f"**Threshold** {s.threshold:g}: {verdict}"]
    return out + [""]


def _category_table(report: Report) -> list[str]:
    out = ["| Category | Score | | Pass | Fail | N/A | Other |", "|---|---:|---|---:|---:|---:|---:|"]
    for c in report.summary.categories:
        other = c.counts["waived"] + c.counts["disabled"] + c.counts["error"]
        out.append(f"| {md(c.id)} · {md(c.title)} | {score_text(c.score)} | {_bar(c.score)} | "
                   f"{c.counts['pass']} | {c.counts['fail']} | {c.counts['n/a']} | {other} |")
    return out + [""]


def _message(text: str, *, compact: bool) -> list[str]:
    """The message; a long one is cut, with the whole of it in a collapsed block (not when compact)."""
    short, cut = fold(text, MESSAGE_CHARS)
    if not cut:
        return [rich(short), ""]
    if compact:
        return [md(short), ""]
    return [md(short), "", "<details><summary>Everything mlaudit looked for</summary>", "", rich(text), "",
            "</details>", ""]


def _failure(r: Result, *, compact: bool) -> list[str]:
    sev = severity(r)
    head, *rest = _message(r.message, compact=compact)
    out = [f"#### {SEVERITY_ICON.get(sev, '')} {r.rule.id} {code(r.rule.slug)} · {rich(r.rule.title)}", "",
           f"*{sev}* — {head}", *rest, f"> **Fix:** {rich(r.rule.fix)}", ""]
    items = [] if redundant_evidence(r) else _evidence_items(r, 3 if compact else 10)
    if items:
        out += [f"<details><summary>Evidence ({len(r.evidence)})</summary>", "", *items, "", "</details>", ""]
    return out


def _collapsed_table(title: str, results: list[Result]) -> list[str]:
    if not results:
        return []
    out = [f"<details><summary>{title} ({len(results)})</summary>", "",
           "| | Rule | Title | Details |", "|---|---|---|---|"]
    for r in results:
        out.append(f"| {STATUS_ICON[r.status]} | {r.rule.id} {code(r.rule.slug)} | {rich(r.rule.title)} | "
                   f"{rich(r.message)} |")
    return out + ["", "</details>", ""]


def _body(report: Report, *, compact: bool) -> list[str]:
    out = _header(report) + _category_table(report)
    failures = by_severity(with_status(report, "fail"))
    if failures:
        out += [f"### ❌ Failed rules ({len(failures)}), most severe first", ""]
        for r in failures:
            out += _failure(r, compact=compact)
    else:
        out += ["### ✅ No failed rules", ""]
    errors = with_status(report, "error")
    if errors:
        out += [f"### ⚠️ Rules that could not run ({len(errors)})", ""]
        out += [f"- {r.rule.id} {code(r.rule.slug)}: {rich(r.message)}" for r in errors] + [""]
    if report.notices:
        out += ["### Notices", ""] + [f"- {md(n)}" for n in report.notices] + [""]
    out += _collapsed_table("✅ Passed rules", with_status(report, "pass"))
    out += _collapsed_table("➖ Not applicable, waived and disabled", with_status(report, "n/a", "waived", "disabled"))
    if report.problems:
        shown = report.problems[: 10 if compact else 50]
        out += [f"<details><summary>⚠️ Inputs that could not be used ({len(report.problems)})</summary>", ""]
        out += [f"- {code(p.path)}: {md(p.detail)}" for p in shown]
        if len(report.problems) > len(shown):
            out.append(f"- … {len(report.problems) - len(shown)} more (see `--format json`)")
        out += ["", "</details>", ""]
    out.append(f"<sub>mlaudit {md(report.tool_version)} · profile {md(report.profile)} · "
               f"{report.duration_ms} ms · `mlaudit explain RULE` tells how to fix a rule</sub>")
    return out


def _cut(text: str, limit: int) -> str:
    """Cut at a line boundary and close any open collapsible block."""
    note = "\n\n*Report truncated to fit; run mlaudit with `--format html` or `--format json` for all of it.*\n"
    kept = text[: max(0, limit - len(note) - 40)].rsplit("\n", 1)[0]
    opened = kept.count("<details>") - kept.count("</details>")
    return kept + "\n\n</details>" * max(0, opened) + note


def render(report: Report, *, max_chars: int = MAX_CHARS, **_: Any) -> str:
    text = "\n".join(_body(report, compact=False)) + "\n"
    if len(text) > max_chars:
        text = "\n".join(_body(report, compact=True)) + "\n"
    if len(text) > max_chars:
        text = _cut(text, max_chars)
    return text
