"""The terminal / CI-log report: failures first with their evidence and fix, then scores.

Colour is decided by the caller (a TTY without NO_COLOR); this module only renders.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

from auditor.model import Report, Result

_CODES = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "magenta": "35", "cyan": "36",
          "dim": "2", "bold": "1"}
STATUS_MARK = {"pass": "✓", "fail": "✗", "n/a": "–", "waived": "~", "disabled": "·", "error": "!"}
STATUS_COLOUR = {"pass": "green", "fail": "red", "n/a": "dim", "waived": "yellow", "disabled": "dim",
                 "error": "magenta"}
GRADE_COLOUR = {"A": "green", "B": "green", "C": "yellow", "D": "yellow", "F": "red", "-": "dim"}
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
WIDTH = 100


class _Style:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\033[{codes}m{text}\033[0m"


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(" ".join(text.split()), width=WIDTH, initial_indent=indent,
                         subsequent_indent=indent) or [indent.rstrip()]


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """Make text from the audited repository safe for a terminal.

    File names and file content can carry escape sequences that would recolour, move the
    cursor or retitle the terminal of whoever reads the report; show them as `\\xNN`.
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _where(e) -> str:
    if e.path and e.line:
        return f"{e.path}:{e.line}"
    return e.path or ""


def _result_block(r: Result, s: _Style, *, with_fix: bool) -> list[str]:
    sev = r.severity or r.rule.severity
    head = (f"  {s(STATUS_MARK[r.status], STATUS_COLOUR[r.status])} {s(r.rule.id, 'bold')} "
            f"{r.rule.slug} {s('[' + sev + ']', 'dim')}  {r.rule.title}")
    lines = [head]
    lines += _wrap(clean(r.message), "      ")
    # Found items are worth five lines; "searched for" notes three (--format json has all).
    shown = 5 if any(e.path for e in r.evidence) else 3
    for e in r.evidence[:shown]:
        where = _where(e)
        text = clean(f"{where}  {e.detail}" if where else e.detail)
        if len(text) > WIDTH - 8:
            text = text[: WIDTH - 9] + "…"
        lines.append(s(f"      · {text}", "dim"))
    if len(r.evidence) > shown:
        lines.append(s(f"      · … {len(r.evidence) - shown} more", "dim"))
    if with_fix:
        fix = _wrap(f"fix: {r.rule.fix}", "      ")
        lines += [s(fix[0], "cyan")] + [s(line, "cyan") for line in fix[1:]]
    return lines


def _score_str(score: float | None) -> str:
    return "  n/a" if score is None else f"{score:5.1f}"


def render(report: Report, *, color: bool = False, verbose: bool = False, quiet: bool = False,
           **_: Any) -> str:
    s = _Style(color)
    out: list[str] = []
    summary = report.summary
    git = report.git or {}
    head = f"mlaudit {report.tool_version} · {clean(report.target_path)} · profile {report.profile}"
    if git.get("commit"):
        head += f" · {git.get('branch') or 'detached'}@{git['commit'][:8]}{' (dirty)' if git.get('dirty') else ''}"
    if not quiet:
        out.append(s(head, "bold"))
        out.append("")

    failures = [r for r in report.results if r.status in ("fail", "error")]
    if failures and not quiet:
        out.append(s(f"Failed rules ({len(failures)})", "bold", "red"))
        by_cat: dict[str, list[Result]] = {}
        for r in failures:
            by_cat.setdefault(r.rule.category, []).append(r)
        titles = {c.id: c.title for c in summary.categories}
        for cat, rs in by_cat.items():
            out.append("")
            out.append(s(f" {cat} · {titles.get(cat, cat)}", "bold"))
            for r in sorted(rs, key=lambda r: (SEVERITY_ORDER[r.severity or r.rule.severity], r.rule.id)):
                out += _result_block(r, s, with_fix=r.status == "fail")
        out.append("")

    waived = [r for r in report.results if r.status == "waived"]
    if waived and not quiet:
        out.append(s(f"Waived ({len(waived)})", "bold", "yellow"))
        for r in waived:
            out += _wrap(f"~ {r.rule.id} {r.rule.slug}: {r.message}", "  ")
        out.append("")

    if verbose and not quiet:
        shown = [r for r in report.results if r.status in ("pass", "n/a")]
        if shown:
            out.append(s(f"Passed and not applicable ({len(shown)})", "bold", "green"))
            for r in shown:
                out += _result_block(r, s, with_fix=False)
            out.append("")

    if report.notices and not quiet:
        out.append(s("Notices", "bold", "yellow"))
        out += [f"  ! {n}" for n in report.notices]
        out.append("")

    if report.problems and not quiet:
        out.append(s(f"Inputs that could not be used ({len(report.problems)})", "bold", "magenta"))
        for p in report.problems[:50]:
            out += _wrap(clean(f"! {p.path}: {p.detail}"), "  ")
        if len(report.problems) > 50:
            out.append(f"  … {len(report.problems) - 50} more (see --format json)")
        out.append("")

    if not quiet:
        out.append(s("Scores", "bold"))
        out.append(s(f"  {'category':<46} {'score':>5}  {'pass':>4} {'fail':>4} {'n/a':>4} {'other':>5}", "dim"))
        for c in summary.categories:
            other = c.counts["waived"] + c.counts["disabled"] + c.counts["error"]
            colour = "dim" if c.score is None else ("green" if c.score >= 80 else "yellow" if c.score >= 60 else "red")
            out.append(f"  {c.id + ' · ' + c.title:<46} {s(_score_str(c.score), colour)}  "
                       f"{c.counts['pass']:>4} {c.counts['fail']:>4} {c.counts['n/a']:>4} {other:>5}")
    counts = summary.counts
    grade = s(summary.grade, "bold", GRADE_COLOUR.get(summary.grade, "dim"))
    score = "n/a" if summary.score is None else f"{summary.score:.1f}"
    out.append(f"{'' if quiet else '  '}Overall score {s(score, 'bold')} / 100 · grade {grade} · "
               f"{counts['pass']} passed, {counts['fail']} failed, {counts['n/a']} n/a"
               + (f", {counts['waived']} waived" if counts["waived"] else "")
               + (f", {counts['disabled']} disabled" if counts["disabled"] else "")
               + (f", {counts['error']} errors" if counts["error"] else ""))
    if summary.threshold is not None:
        verdict = s("met", "green") if summary.threshold_met else s("NOT met", "bold", "red")
        out.append(f"{'' if quiet else '  '}Threshold {summary.threshold:g}: {verdict}")
    return "\n".join(out) + "\n"
