"""Reporters: pure functions `render(report, **options) -> str`, one module per format.

Every format renders the same `Report`; none recomputes a verdict.
"""

from __future__ import annotations

import importlib

FORMATS: dict[str, str] = {
    "text": "auditor.reporters.text",
    "json": "auditor.reporters.json_report",
}


def render(fmt: str, report, **options) -> str:
    module = importlib.import_module(FORMATS[fmt])
    return module.render(report, **options)
