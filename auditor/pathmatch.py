"""Gitignore-style path patterns, compiled once to regular expressions.

Used for three things that must agree on one syntax: `.gitignore` files when the audited tree
is not a git work tree, the `exclude` configuration key, and the file globs of rules.
Paths are POSIX-style and relative to the repository root.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["glob_to_regex", "compile_glob", "required_text", "IgnoreRules"]


def _translate(body: str) -> str:
    """Translate a glob body (no anchoring decided yet) into a regex fragment."""
    out: list[str] = []
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        if c == "*":
            if body.startswith("**", i):
                # "**/" matches zero or more directories; a trailing "**" matches everything.
                if body.startswith("**/", i):
                    out.append("(?:.*/)?")
                    i += 3
                    continue
                out.append(".*")
                i += 2
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = body.find("]", i + 2 if body[i + 1 : i + 2] in ("!", "^") else i + 1)
            if j == -1:
                out.append(re.escape(c))
            else:
                inner = body[i + 1 : j]
                if inner[:1] in ("!", "^"):
                    inner = "^" + inner[1:]
                out.append("[" + inner.replace("\\", "\\\\") + "]")
                i = j
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(body[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


@lru_cache(maxsize=4096)
def glob_to_regex(pattern: str) -> str:
    """Regex for a gitignore-style glob matched against a whole relative path.

    A pattern without a slash (other than a trailing one) matches at any depth, like
    `*.pkl` or `data/`; a pattern with a slash is anchored at the root, like `src/*.py`.
    A trailing slash means "this directory": everything below it matches.
    """
    pat = pattern.strip()
    dir_only = pat.endswith("/")
    pat = pat.rstrip("/")
    anchored = "/" in pat
    pat = pat.lstrip("/")
    if pat.startswith("**/"):
        anchored = True
    body = _translate(pat)
    prefix = "" if anchored else "(?:.*/)?"
    if dir_only:
        return f"^{prefix}{body}/.*$"
    # A pattern naming a directory also covers the files below it (as in .gitignore).
    return f"^{prefix}{body}(?:/.*)?$"


@lru_cache(maxsize=4096)
def required_text(pattern: str) -> str | None:
    """The longest literal run of a glob: every path it matches contains it (the regex of
    `glob_to_regex` matches the pattern's literal characters in order). None when the
    pattern has none worth testing (`*`, `?x`) or escapes characters."""
    body = pattern.strip().strip("/")
    if "\\" in body:
        return None
    runs = [r for r in re.split(r"\*\*/|\*+|\?|\[[^\]]*\]", body) if r]   # `**/` may match nothing
    best = max(runs, key=len, default="")
    return best if len(best) >= 2 else None


@lru_cache(maxsize=4096)
def compile_glob(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    return re.compile(glob_to_regex(pattern), re.IGNORECASE if ignore_case else 0)


def matches(pattern: str, path: str, ignore_case: bool = False) -> bool:
    return compile_glob(pattern, ignore_case).match(path) is not None


class IgnoreRules:
    """An ordered list of gitignore patterns (later ones win, `!` re-includes).

    Each rule is kept with the directory of the file that declared it, so nested
    `.gitignore` files apply only below themselves, as git does.
    """

    def __init__(self) -> None:
        self._rules: list[tuple[str, re.Pattern[str], bool, bool]] = []

    def add(self, base: str, pattern: str) -> None:
        line = pattern.rstrip("\n").rstrip()
        if not line or line.startswith("#"):
            return
        negate = line.startswith("!")
        if negate:
            line = line[1:]
        if line.startswith("\\"):
            line = line[1:]
        dir_only = line.endswith("/")
        core = line.rstrip("/")
        anchored = "/" in core
        core = core.lstrip("/")
        body = _translate(core)
        prefix = "" if anchored or core.startswith("**/") else "(?:.*/)?"
        rx = re.compile(f"^{prefix}{body}$")
        self._rules.append((base, rx, negate, dir_only))

    def add_file(self, base: str, text: str) -> None:
        for line in text.splitlines():
            self.add(base, line)

    def ignored(self, path: str, is_dir: bool) -> bool:
        """Whether `path` itself is ignored (callers prune ignored directories)."""
        verdict = False
        for base, rx, negate, dir_only in self._rules:
            if dir_only and not is_dir:
                continue
            if base:
                if not path.startswith(base + "/"):
                    continue
                rel = path[len(base) + 1 :]
            else:
                rel = path
            if rx.match(rel):
                verdict = not negate
        return verdict
