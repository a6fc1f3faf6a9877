"""README badges: a shields.io endpoint JSON and a self-contained SVG with score and grade.

`render` gives the endpoint JSON (https://shields.io/badges/endpoint-badge: commit it, or
publish it, and point `img.shields.io/endpoint?url=...` at it); `render_svg` gives a flat
badge that needs no service at all (no font, image or link from elsewhere).
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from auditor.model import Report
from auditor.reporters.common import score_text

LABEL = "mlaudit"
COLOURS = {"A": "brightgreen", "B": "green", "C": "yellowgreen", "D": "orange", "F": "red", "-": "lightgrey"}
HEX = {"brightgreen": "#4c1", "green": "#97ca00", "yellowgreen": "#a4a61d", "orange": "#fe7d37",
       "red": "#e05d44", "lightgrey": "#9f9f9f"}
# approximate advance widths of Verdana 11px (what shields.io badges use), in pixels
_NARROW, _WIDE = set("ijlI.,:;|!' ·()[]t"), set("mwMW@%")


def message(report: Report) -> str:
    s = report.summary
    if s.score is None:
        return "not scored"
    return f"{score_text(s.score)} · {s.grade}"


def colour(report: Report) -> str:
    return COLOURS.get(report.summary.grade, "lightgrey")


def endpoint_dict(report: Report) -> dict[str, Any]:
    return {"schemaVersion": 1, "label": LABEL, "message": message(report), "color": colour(report)}


def render(report: Report, **_: Any) -> str:
    """The shields.io endpoint JSON."""
    return json.dumps(endpoint_dict(report), indent=2, ensure_ascii=False) + "\n"


def text_width(text: str) -> int:
    width = 0.0
    for ch in text:
        if ch in _NARROW:
            width += 3.9
        elif ch in _WIDE:
            width += 10.5
        elif ch.isupper() or ch.isdigit():
            width += 7.5
        else:
            width += 6.6
    return round(width)


def render_svg(report: Report, **_: Any) -> str:
    """A flat badge like shields.io's, drawn locally."""
    label, msg = LABEL, message(report)
    fill = HEX[colour(report)]
    lw, mw = text_width(label) + 12, text_width(msg) + 12
    total = lw + mw
    title = escape(f"{label}: {msg}", quote=True)
    lx, mx = lw / 2, lw + mw / 2
    text_l, text_m = escape(label), escape(msg)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" aria-label="{title}">'
        f"<title>{title}</title>"
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
        '<stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{lw}" height="20" fill="#555"/>'
        f'<rect x="{lw}" width="{mw}" height="20" fill="{fill}"/>'
        f'<rect width="{total}" height="20" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{lx:.1f}" y="15" fill="#010101" fill-opacity=".3">{text_l}</text>'
        f'<text x="{lx:.1f}" y="14">{text_l}</text>'
        f'<text x="{mx:.1f}" y="15" fill="#010101" fill-opacity=".3">{text_m}</text>'
        f'<text x="{mx:.1f}" y="14">{text_m}</text></g></svg>\n'
    )
