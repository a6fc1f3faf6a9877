"""Reporters: pure functions `render(report, **options) -> str`, one module per format.

Every format renders the same `Report`; none recomputes a verdict.
"""

from __future__ import annotations

import importlib

# format name -> "module" (its `render`) or "module:function"
FORMATS: dict[str, str] = {
    "text": "auditor.reporters.text",
    "json": "auditor.reporters.json_report",
    "markdown": "auditor.reporters.markdown",
    "sarif": "auditor.reporters.sarif",
    "junit": "auditor.reporters.junit",
    "html": "auditor.reporters.html",
    "badge": "auditor.reporters.badge",  # shields.io endpoint JSON
    "badge-svg": "auditor.reporters.badge:render_svg",
}


def render(fmt: str, report, **options) -> str:
    module, _, func = FORMATS[fmt].partition(":")
    return getattr(importlib.import_module(module), func or "render")(report, **options)
