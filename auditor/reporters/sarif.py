"""SARIF 2.1.0 for GitHub code scanning (and any other SARIF consumer).

One rule descriptor per rule in the report (with the production profile, the whole
catalogue), one result per failing rule. Each result sits on the most relevant file (its
evidence, else where the fix belongs, else the README) so code scanning can show it.

GitHub conventions kept here:
- `security-severity` and the `security` tag only on rules about security (VCS005), so the
  other rules show as quality alerts, not vulnerabilities;
- stable `partialFingerprints` that depend on the rule and the audited subdirectory only, not
  on line content, so an alert survives unrelated edits of the file it is shown on (the
  upload action computes a line hash only where none is given);
- repository-relative URIs: when PATH is a relative subdirectory, it prefixes every URI;
- far below the upload limits (one run, at most 20 related locations per result, few tags).
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from typing import Any
from urllib.parse import quote

from auditor.model import Report, Result
from auditor.reporters.common import clean_path, fix_location, known_paths, severity, where

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
PROBLEM_SEVERITY = {"critical": "error", "high": "error", "medium": "warning", "low": "recommendation"}
SECURITY_RULES = frozenset({"VCS005"})
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0"}
FINGERPRINT_KEY = "mlauditRule/v1"
MAX_RELATED = 20


def _pascal(slug: str) -> str:
    return "".join(part.capitalize() for part in slug.split("-"))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def uri_prefix(target_path: str) -> str:
    """The repository-relative directory of a relative PATH ('' for '.', absolute or URLs)."""
    p = target_path.replace("\\", "/")
    if not p or "://" in p or p.startswith("/") or (":" in p.split("/")[0]):
        return ""
    p = posixpath.normpath(p)
    if p == "." or p == ".." or p.startswith("../"):
        return ""
    return p + "/"


def _uri(prefix: str, path: str) -> str:
    path = clean_path(path)
    trailing = "/" if path.endswith("/") else ""
    joined = posixpath.normpath(prefix + path) + trailing
    return quote(joined, safe="/-._~")


def _location(prefix: str, path: str, line: int | None) -> dict[str, Any]:
    return {"physicalLocation": {
        "artifactLocation": {"uri": _uri(prefix, path), "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": line if line and line > 0 else 1},
    }}


def _descriptor(r: Result) -> dict[str, Any]:
    rule, sev = r.rule, severity(r)
    help_lines = [f"How to fix: {_one_line(rule.fix)}", "", f"Why it matters: {_one_line(rule.rationale)}"]
    md = [f"**How to fix:** {_one_line(rule.fix)}", "", f"**Why it matters:** {_one_line(rule.rationale)}"]
    if rule.practice:
        help_lines += ["", f"Practice: {_one_line(rule.practice)}"]
        md += ["", f"**Practice:** {_one_line(rule.practice)}"]
    if rule.na_reason:
        help_lines += ["", f"Not applicable when: {_one_line(rule.na_reason)}"]
        md += ["", f"**Not applicable when:** {_one_line(rule.na_reason)}"]
    if rule.example:
        md += ["", "**Example:**", "", "```", rule.example.strip("\n"), "```"]
    md += ["", f"Run `mlaudit explain {rule.id}` for the full documentation."]
    props: dict[str, Any] = {
        "tags": ["mlops", rule.category.lower(), f"profile-{rule.profile}"],
        "precision": "high",
    }
    if rule.id in SECURITY_RULES:
        props["tags"].insert(0, "security")
        props["security-severity"] = SECURITY_SEVERITY[sev]
    else:
        props["problem.severity"] = PROBLEM_SEVERITY[sev]
    return {
        "id": rule.id,
        "name": _pascal(rule.slug),
        "shortDescription": {"text": _one_line(rule.title)},
        "fullDescription": {"text": _one_line(rule.rationale)},
        "help": {"text": "\n".join(help_lines), "markdown": "\n".join(md)},
        "defaultConfiguration": {"level": LEVELS[sev]},
        "properties": props,
    }


def fingerprint(rule_id: str, prefix: str) -> str:
    return hashlib.sha256(f"mlaudit|{rule_id}|{prefix}".encode()).hexdigest()


def _result(r: Result, index: int, report: Report, known: list[str], prefix: str) -> dict[str, Any]:
    path, line = fix_location(r, report, known)
    fp = fingerprint(r.rule.id, prefix)
    text = f"{_one_line(r.rule.title)}: {_one_line(r.message)} Fix: {_one_line(r.rule.fix)}"
    out: dict[str, Any] = {
        "ruleId": r.rule.id,
        "ruleIndex": index,
        "kind": "fail",
        "level": LEVELS[severity(r)],
        "message": {"text": text},
        "locations": [_location(prefix, path, line)],
        "partialFingerprints": {FINGERPRINT_KEY: fp, "primaryLocationLineHash": f"{fp[:16]}:1"},
        "properties": {"severity": severity(r), "category": r.rule.category, "slug": r.rule.slug,
                       "evidence": [(f"{where(e.path, e.line)}: " if e.path else "") + e.detail
                                    for e in r.evidence]},
    }
    related = []
    for e in r.evidence:
        if e.path and (clean_path(e.path), e.line) != (path, line) and len(related) < MAX_RELATED:
            loc = _location(prefix, e.path, e.line)
            loc["id"] = len(related)
            loc["message"] = {"text": _one_line(e.detail) or "evidence"}
            related.append(loc)
    if related:
        out["relatedLocations"] = related
    return out


def _notifications(report: Report, index: dict[str, int], prefix: str) -> list[dict[str, Any]]:
    notes: list[dict[str, Any]] = []
    for r in report.results:
        if r.status == "error":
            notes.append({"level": "error", "message": {"text": f"{r.rule.id}: {_one_line(r.message)}"},
                          "associatedRule": {"id": r.rule.id, "index": index[r.rule.id]}})
    for p in report.problems:
        notes.append({"level": "warning", "message": {"text": f"{p.path}: {_one_line(p.detail)}"},
                      "locations": [_location(prefix, p.path, None)]})
    for n in report.notices:
        notes.append({"level": "note", "message": {"text": _one_line(n)}})
    return notes


def sarif_dict(report: Report) -> dict[str, Any]:
    prefix = uri_prefix(report.target_path)
    rules, index = [], {}
    for r in report.results:
        if r.rule.id not in index:
            index[r.rule.id] = len(rules)
            rules.append(_descriptor(r))
    known = known_paths(report)
    results = [_result(r, index[r.rule.id], report, known, prefix)
               for r in report.results if r.status == "fail"]
    s = report.summary
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "mlaudit", "version": report.tool_version,
                            "semanticVersion": report.tool_version, "rules": rules}},
        "invocations": [{"executionSuccessful": True,
                         "toolExecutionNotifications": _notifications(report, index, prefix)}],
        "results": results,
        "columnKind": "utf16CodeUnits",
        "properties": {"profile": report.profile, "score": s.score, "grade": s.grade,
                       "threshold": s.threshold, "thresholdMet": s.threshold_met, "counts": dict(s.counts),
                       "categories": {c.id: c.score for c in s.categories}},
    }
    git = report.git or {}
    if git.get("commit"):
        run["properties"]["commit"] = git["commit"]
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: Report, **_: Any) -> str:
    return json.dumps(sarif_dict(report), indent=2, ensure_ascii=False) + "\n"
