"""Locate the bundled rules and schemas, installed or in a source checkout.

In a wheel they live in `auditor/_data/` (see pyproject's force-include); in a source
checkout or an editable install they are the top-level `rules/` and `schemas/` folders.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_PKG = Path(__file__).resolve().parent


@lru_cache(maxsize=None)
def data_dir(name: str) -> Path:
    installed = _PKG / "_data" / name
    if installed.is_dir():
        return installed
    return _PKG.parent / name


def rules_dir() -> Path:
    return data_dir("rules")


def schema_path(name: str) -> Path:
    return data_dir("schemas") / name
