"""Refuse gitignore-style patterns from untrusted sources that would match slowly.

Globs are compiled to backtracking regular expressions (auditor/pathmatch.py). Each `*` is
`[^/]*` and each `**` is `.*`, so a pattern such as `*a*a*a*a*b` costs O(n^5) steps on a
200-character name of `a`s (seconds per path), and `**/**/**/**/x` hangs on deep paths.
Patterns the audited repository controls (its `.gitignore` files when the tree is walked
without git, `exclude` in its configuration, globs in rule files it points to) pass through
`check_glob` first; repeated `**/` are harmless and collapsed, and what remains may have at
most two `**` and at most two wildcard runs in any one path segment, which bounds the cost
of one match to roughly quadratic in the path length.
"""

from __future__ import annotations

import re

MAX_GLOB_LENGTH = 1024
MAX_DOUBLE_STARS = 2
MAX_STAR_RUNS_PER_SEGMENT = 2

_REPEATED_DOUBLE_STAR = re.compile(r"(?:\*\*/)+\*\*(?=/|$)|(?:\*\*/){2,}")


class GlobTooComplex(ValueError):
    """The pattern could take super-linear time to match; str(self) says why."""


def normalise_glob(pattern: str) -> str:
    """`**/**/x` -> `**/x` (the same set of paths)."""
    return _REPEATED_DOUBLE_STAR.sub(lambda m: "**" if not m.group(0).endswith("/") else "**/", pattern)


def check_glob(pattern: str) -> str:
    """The normalised pattern, or GlobTooComplex when it is too costly to match."""
    if len(pattern) > MAX_GLOB_LENGTH:
        raise GlobTooComplex(f"longer than {MAX_GLOB_LENGTH} characters")
    pat = normalise_glob(pattern)
    doubles = 0
    for segment in pat.split("/"):
        runs = [r for r in re.findall(r"\*+", segment)]
        doubles += sum(1 for r in runs if len(r) >= 2)
        if len(runs) > MAX_STAR_RUNS_PER_SEGMENT:
            raise GlobTooComplex(f"more than {MAX_STAR_RUNS_PER_SEGMENT} wildcards in one path segment")
    if doubles > MAX_DOUBLE_STARS:
        raise GlobTooComplex(f"more than {MAX_DOUBLE_STARS} `**` wildcards")
    return pat


def safe_globs(patterns, project=None, source: str = "pattern") -> list[str]:
    """The patterns that pass `check_glob` (normalised); the others are reported on `project`."""
    out = []
    for p in patterns:
        try:
            out.append(check_glob(p))
        except GlobTooComplex as exc:
            if project is not None:
                project.add_problem(source, f"pattern {p[:80]!r} not applied: {exc}")
    return out
