"""A self-contained HTML report that a manager can read at a glance.

One file: inline CSS and inline SVG, no script, no font, image or stylesheet from anywhere
(a Content-Security-Policy meta tag forbids them too), so it can be attached to a CI run or
mailed around. Top to bottom: overall score and grade, a bar chart of the category scores,
the failures (most severe first) with evidence and fixes, then passed and skipped rules
collapsed. Everything from the audited repository is HTML-escaped.
"""

from __future__ import annotations

from html import escape
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
    where,
    with_status,
)

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
MESSAGE_CHARS = 220  # longer failure messages are folded
GRADE_WORDS = {"A": "Excellent", "B": "Good", "C": "Fair", "D": "Needs work", "F": "Poor", "-": "Not scored"}

CSS = """
:root{--fg:#1f2328;--muted:#59636e;--bg:#fff;--card:#f6f8fa;--line:#d1d9e0;--good:#1a7f37;--fair:#9a6700;
--bad:#cf222e;--na:#8c959f;--accent:#0969da}
*{box-sizing:border-box}
body{margin:0;overflow-wrap:anywhere;font:15px/1.5 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:980px;margin:0 auto;padding:28px 20px 48px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line)}
.meta{color:var(--muted);font-size:13px;word-break:break-all}
.hero{display:flex;gap:28px;align-items:center;flex-wrap:wrap;margin:20px 0 8px;padding:20px;background:var(--card);
border:1px solid var(--line);border-radius:10px}
.verdict{flex:1;min-width:260px}.verdict .big{font-size:26px;font-weight:600;margin:0}
.chips{display:flex;gap:8px;flex-wrap:wrap;margin-top:10px}
.chip{padding:2px 10px;border-radius:999px;font-size:13px;font-weight:600;border:1px solid var(--line);background:#fff}
.chip.pass{color:var(--good)}.chip.fail{color:var(--bad)}.chip.other{color:var(--muted)}
.threshold{margin-top:10px;font-weight:600}.threshold.met{color:var(--good)}.threshold.notmet{color:var(--bad)}
.chart{width:100%;height:auto;display:block}
.rule{border:1px solid var(--line);border-left:5px solid var(--bad);border-radius:8px;padding:12px 16px;margin:0 0 12px}
.rule.sev-critical{border-left-color:#82071e}.rule.sev-high{border-left-color:var(--bad)}
.rule.sev-medium{border-left-color:#bc4c00}.rule.sev-low{border-left-color:var(--fair)}
.rule h3{font-size:16px;margin:0 0 4px}.rule .id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;
color:var(--muted);font-weight:400;margin-right:6px}
.pill{display:inline-block;font-size:12px;font-weight:600;padding:0 8px;border-radius:999px;color:#fff;margin-left:6px;
vertical-align:2px}
.pill.critical{background:#82071e}.pill.high{background:var(--bad)}.pill.medium{background:#bc4c00}.pill.low{background:var(--fair)}
.fix{background:#ddf4ff;border-radius:6px;padding:8px 12px;margin-top:8px}.fix b{color:var(--accent)}
ul.evidence{margin:6px 0 0;padding-left:20px;font-size:13px;color:var(--muted)}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;background:var(--card);
padding:0 4px;border-radius:4px;word-break:break-all}
details{border:1px solid var(--line);border-radius:8px;padding:8px 14px;margin:0 0 12px}
details.more{border:none;padding:0;margin:4px 0 0;font-size:13px;color:var(--muted)}
details.more summary{font-weight:400;color:var(--accent)}
summary{cursor:pointer;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:13.5px;margin-top:8px}
th,td{text-align:left;padding:6px 8px;border-top:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600}
.ok{color:var(--good)}.muted{color:var(--muted)}
footer{margin-top:36px;color:var(--muted);font-size:12.5px}
@media print{details{border:none}details>*{display:block}}
"""


def _e(text: Any) -> str:
    return escape(str(text if text is not None else ""), quote=True)


def _rich(text: str) -> str:
    """Escaped text whose Markdown `code spans` become <code>."""
    return "".join(f"<code>{_e(piece)}</code>" if is_code else _e(piece)
                   for is_code, piece in split_code_spans(text))


def score_colour(score: float | None) -> str:
    if score is None:
        return "#8c959f"
    if score >= 80:
        return "#1a7f37"
    if score >= 60:
        return "#9a6700"
    return "#cf222e"


def _ring(score: float | None, grade: str) -> str:
    """The overall score as a ring gauge with the grade in the middle."""
    r, c = 52, 2 * 3.14159265 * 52
    filled = 0.0 if score is None else c * score / 100
    colour = score_colour(score)
    label = score_text(score)
    return (f'<svg width="150" height="150" viewBox="0 0 150 150" role="img" '
            f'aria-label="Overall score {_e(label)} out of 100, grade {_e(grade)}">'
            f'<circle cx="75" cy="75" r="{r}" fill="none" stroke="#d1d9e0" stroke-width="14"/>'
            f'<circle cx="75" cy="75" r="{r}" fill="none" stroke="{colour}" stroke-width="14" '
            f'stroke-linecap="round" stroke-dasharray="{filled:.1f} {c:.1f}" transform="rotate(-90 75 75)"/>'
            f'<text x="75" y="76" text-anchor="middle" font-size="40" font-weight="700" fill="{colour}" '
            f'font-family="Helvetica,Arial,sans-serif">{_e(grade)}</text>'
            f'<text x="75" y="102" text-anchor="middle" font-size="15" fill="#59636e" '
            f'font-family="Helvetica,Arial,sans-serif">{_e(label)} / 100</text></svg>')


def category_chart(report: Report) -> str:
    """Horizontal bars, one per category, 0-100, coloured by score; a dashed line at the threshold."""
    cats = report.summary.categories
    label_w, bar_w, row_h, top = 290, 560, 30, 24
    bottom = top + row_h * len(cats) + 4
    width, height = label_w + bar_w + 70, bottom + (24 if report.summary.threshold is not None else 6)
    out = [(f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="Category scores" font-family="Helvetica,Arial,sans-serif">'),
           "<title>Score per category (0 to 100)</title>"]
    for tick in (0, 25, 50, 75, 100):
        x = label_w + bar_w * tick / 100
        out.append(f'<line x1="{x:.0f}" y1="{top - 6}" x2="{x:.0f}" y2="{bottom}" stroke="#eaeef2"/>'
                   f'<text x="{x:.0f}" y="{top - 10}" font-size="11" fill="#59636e" text-anchor="middle">{tick}</text>')
    for i, c in enumerate(cats):
        y = top + i * row_h
        name = f"{c.id} · {c.title}"
        out.append(f'<text x="{label_w - 10}" y="{y + 19}" font-size="13" fill="#1f2328" text-anchor="end">'
                   f"{_e(name)}</text>")
        out.append(f'<rect x="{label_w}" y="{y + 5}" width="{bar_w}" height="20" rx="4" fill="#f6f8fa"/>')
        if c.score is None:
            out.append(f'<text x="{label_w + 8}" y="{y + 19}" font-size="12" fill="#59636e">not applicable</text>')
            continue
        w = max(bar_w * c.score / 100, 2)
        out.append(f'<rect class="bar" data-category="{_e(c.id)}" x="{label_w}" y="{y + 5}" width="{w:.1f}" '
                   f'height="20" rx="4" fill="{score_colour(c.score)}"><title>{_e(name)}: {c.score:.1f}</title></rect>')
        out.append(f'<text x="{label_w + bar_w + 8}" y="{y + 19}" font-size="13" font-weight="600" '
                   f'fill="{score_colour(c.score)}">{c.score:.0f}</text>')
    t = report.summary.threshold
    if t is not None:
        x = label_w + bar_w * t / 100
        out.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{bottom}" stroke="#0969da" '
                   f'stroke-width="2" stroke-dasharray="5 4"><title>required score {t:g}</title></line>')
        out.append(f'<text x="{x:.1f}" y="{bottom + 16}" font-size="11" fill="#0969da" text-anchor="middle">'
                   f"required score {t:g}</text>")
    out.append("</svg>")
    return "".join(out)


def _evidence(r: Result, limit: int = 10) -> str:
    if not r.evidence:
        return ""
    items = []
    for e in r.evidence[:limit]:
        loc = f"<code>{_e(where(e.path, e.line))}</code> " if e.path else ""
        items.append(f"<li>{loc}{_e(e.detail)}</li>")
    if len(r.evidence) > limit:
        items.append(f"<li>… {len(r.evidence) - limit} more</li>")
    return f'<ul class="evidence">{"".join(items)}</ul>'


def _message(text: str, limit: int = MESSAGE_CHARS) -> str:
    """A long message (the full list of what was searched) is cut, the whole of it one click away."""
    short, cut = fold(text, limit)
    if not cut:
        return f"<div>{_rich(short)}</div>"
    return (f'<div>{_e(short)}</div><details class="more"><summary>Everything mlaudit looked for</summary>'
            f"<div>{_rich(text)}</div></details>")


def _failure(r: Result) -> str:
    sev = severity(r)
    return (f'<article class="rule sev-{_e(sev)}" id="{_e(r.rule.id)}"><h3><span class="id">{_e(r.rule.id)}</span>'
            f'{_rich(r.rule.title)}<span class="pill {_e(sev)}">{_e(sev)}</span></h3>'
            f'{_message(r.message)}{"" if redundant_evidence(r) else _evidence(r)}'
            f'<div class="fix"><b>How to fix:</b> {_rich(r.rule.fix)}</div></article>')


def _table(results: list[Result], *, evidence: bool) -> str:
    rows = []
    for r in results:
        detail = _rich(r.message)
        if evidence and r.evidence and not redundant_evidence(r):
            detail += _evidence(r, limit=3)
        rows.append(f'<tr id="{_e(r.rule.id)}"><td><code>{_e(r.rule.id)}</code></td><td>{_rich(r.rule.title)}</td>'
                    f"<td>{_e(r.status)}</td><td>{detail}</td></tr>")
    return ("<table><thead><tr><th>Rule</th><th>Title</th><th>Status</th><th>Details</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def render(report: Report, **_: Any) -> str:
    s = report.summary
    failures = by_severity(with_status(report, "fail"))
    passed = with_status(report, "pass")
    skipped = with_status(report, "n/a", "waived", "disabled")
    errors = with_status(report, "error")
    git = report.git or {}
    meta = [f"Target <code>{_e(report.target_path)}</code>", f"profile <b>{_e(report.profile)}</b>"]
    if git.get("commit"):
        meta.append(f"commit <code>{_e(git['commit'][:12])}</code>"
                    + (f" on <code>{_e(git['branch'])}</code>" if git.get("branch") else "")
                    + (" (uncommitted changes)" if git.get("dirty") else ""))
    counted = s.counts["pass"] + s.counts["fail"]
    headline = (f"{s.counts['pass']} of {counted} applicable practices in place" if counted
                else "No applicable practice was checked")
    threshold = ""
    if s.threshold is not None:
        cls, word = ("met", "met") if s.threshold_met else ("notmet", "NOT met")
        threshold = f'<div class="threshold {cls}">Required score {s.threshold:g}: {word}</div>'
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>mlaudit report: {_e(score_text(s.score))}/100 ({_e(s.grade)}) · {_e(report.target_path)}</title>",
        f"<style>{CSS}</style></head><body><main>",
        "<header><h1>MLOps audit report</h1>", f'<div class="meta">{" · ".join(meta)}</div></header>',
        '<section class="hero" aria-label="Overall result">', _ring(s.score, s.grade),
        (f'<div class="verdict"><p class="big">Score {_e(score_text(s.score))} / 100 · '
         f"{_e(GRADE_WORDS.get(s.grade, ''))}</p><div>{_e(headline)}.</div>"),
        '<div class="chips">'
        f'<span class="chip pass">{s.counts["pass"]} passed</span>'
        f'<span class="chip fail">{s.counts["fail"]} failed</span>'
        f'<span class="chip other">{s.counts["n/a"]} not applicable</span>'
        + "".join(f'<span class="chip other">{s.counts[k]} {k}</span>' for k in ("waived", "disabled") if s.counts[k])
        + (f'<span class="chip fail">{s.counts["error"]} error{"s" if s.counts["error"] > 1 else ""}</span>'
           if s.counts["error"] else "")
        + "</div>", threshold, "</div></section>",
        "<section><h2>Scores by category</h2>", category_chart(report), "</section>",
    ]
    if failures:
        parts.append(f'<section><h2>What to fix ({len(failures)}), most severe first</h2>')
        parts += [_failure(r) for r in failures]
        parts.append("</section>")
    else:
        parts.append('<section><h2>What to fix</h2><p class="ok">Nothing: every applicable rule passes.</p></section>')
    if errors:
        parts.append(f"<section><h2>Rules that could not run ({len(errors)})</h2>{_table(errors, evidence=False)}</section>")
    if report.notices:
        parts.append("<section><h2>Notices</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in report.notices)
                     + "</ul></section>")
    parts.append("<section><h2>Details</h2>")
    if passed:
        parts.append(f"<details><summary>Passed rules ({len(passed)})</summary>{_table(passed, evidence=False)}</details>")
    if skipped:
        parts.append(f"<details><summary>Not applicable, waived and disabled ({len(skipped)})</summary>"
                     f"{_table(skipped, evidence=False)}</details>")
    if report.problems:
        items = "".join(f"<li><code>{_e(p.path)}</code>: {_e(p.detail)}</li>" for p in report.problems[:200])
        more = f"<li>… {len(report.problems) - 200} more</li>" if len(report.problems) > 200 else ""
        parts.append(f"<details><summary>Inputs that could not be used ({len(report.problems)})</summary>"
                     f"<ul>{items}{more}</ul></details>")
    parts.append("</section>")
    parts.append(f"<footer>mlaudit {_e(report.tool_version)} · {_e(counts_line(report))} · "
                 f"{report.duration_ms} ms · run <code>mlaudit explain RULE_ID</code> for a rule's documentation"
                 "</footer></main></body></html>")
    return "\n".join(parts) + "\n"
