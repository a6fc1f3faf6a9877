"""Refuse user-supplied regular expressions that can backtrack catastrophically.

Python's `re` backtracks and cannot be interrupted, so a custom rule with a pattern such
as `(a+)+$` could hang an audit on a crafted file. Built-in rules are reviewed; patterns
from user rule files are parsed and refused when they contain a construct that can take
super-linear time: a repeat nested inside an unbounded repeat, an alternation inside an
unbounded repeat, or a backreference. Refusal is a configuration error naming the pattern.
"""

from __future__ import annotations

import re

try:  # Python 3.11+
    from re import _parser as sre_parse  # type: ignore[attr-defined]
    from re import _constants as sre_constants  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

MAX_PATTERN_LENGTH = 1000
_UNBOUNDED = 50  # repeats with a larger upper bound count as unbounded


class UnsafeRegex(ValueError):
    """The pattern may take super-linear time; str(self) explains why."""


def _walk(items, inside_unbounded: bool) -> None:
    for op, arg in items:
        if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT,
                  getattr(sre_constants, "POSSESSIVE_REPEAT", object())):
            lo, hi, sub = arg
            unbounded = hi is sre_constants.MAXREPEAT or hi > _UNBOUNDED
            if inside_unbounded and unbounded:
                raise UnsafeRegex("nested unbounded repetition")
            _walk(sub, inside_unbounded or unbounded)
        elif op == sre_constants.SUBPATTERN:
            _walk(arg[-1], inside_unbounded)
        elif op == sre_constants.BRANCH:
            if inside_unbounded:
                raise UnsafeRegex("alternation inside a repetition")
            for branch in arg[1]:
                _walk(branch, inside_unbounded)
        elif op in (sre_constants.GROUPREF, sre_constants.GROUPREF_EXISTS):
            raise UnsafeRegex("backreference")
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            _walk(arg[1], inside_unbounded)
        elif op == getattr(sre_constants, "ATOMIC_GROUP", None):
            _walk(arg, inside_unbounded)


def check_user_regex(pattern: str) -> None:
    """Raise UnsafeRegex (or re.error) unless `pattern` is safe to run on untrusted text."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise UnsafeRegex(f"longer than {MAX_PATTERN_LENGTH} characters")
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        raise
    _walk(list(parsed), False)
