"""Predicates over the file tree: paths, directories, text and TOML keys."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from auditor.model import Evidence, Outcome
from auditor.predicates import Context, RuleError, as_list, found

MAX_FILES_SCANNED_EVIDENCE = 5


def _globs(value: Any) -> tuple[list[str], bool]:
    """A predicate value is a glob, a list of globs, or {glob=..., ignore-case=...}."""
    if isinstance(value, dict):
        return as_list(value.get("glob")), bool(value.get("ignore-case", False))
    return as_list(value), False


def file_exists(ctx: Context, value: Any) -> Outcome:
    """`file = "glob"`: some file of the snapshot matches."""
    globs, icase = _globs(value)
    hits = ctx.project.glob(globs, ignore_case=icase)
    return found([Evidence(p, None, "file present") for p in hits],
                 f"a file matching {', '.join(f'`{g}`' for g in globs)}")


def dir_exists(ctx: Context, value: Any) -> Outcome:
    """`dir = "glob"`: some directory containing files matches."""
    globs, icase = _globs(value)
    hits = ctx.project.glob_dirs(globs, ignore_case=icase)
    return found([Evidence(d + "/", None, "directory present") for d in hits],
                 f"a directory matching {', '.join(f'`{g}/`' for g in globs)}")


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str, ignore_case: bool, user: bool = False) -> re.Pattern[str]:
    if user:  # user rule files are validated when loaded (rules_loader); this is the backstop
        from auditor.regex_guard import UnsafeRegex, check_user_regex

        try:
            check_user_regex(pattern)
        except UnsafeRegex as exc:
            raise RuleError(f"unsafe regular expression {pattern!r}: {exc}") from None
        except re.error:
            pass  # reported below
    try:
        return re.compile(pattern, re.MULTILINE | (re.IGNORECASE if ignore_case else 0))
    except re.error as exc:
        raise RuleError(f"invalid regular expression {pattern!r}: {exc}") from None


def line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def line_text(text: str, pos: int, limit: int = 160) -> str:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    line = text[start: end if end != -1 else len(text)].strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


def search_files(ctx: Context, globs: list[str], pattern: str, *, ignore_case: bool = False,
                 limit: int = MAX_FILES_SCANNED_EVIDENCE) -> list[Evidence]:
    """First match of `pattern` in each file matching `globs`, as evidence with a line."""
    rx = compile_pattern(pattern, ignore_case, ctx.user_rule)
    evidence: list[Evidence] = []
    for path in ctx.project.glob(globs):
        # bounded by the file's time budget; user patterns are matched line by line (capped)
        hit = ctx.project.find_first(path, rx, per_line=ctx.user_rule)
        if hit:
            number, line = hit
            line = line.strip()
            evidence.append(Evidence(path, number, line if len(line) <= 160 else line[:159] + "…"))
            if len(evidence) >= limit:
                break
    return evidence


def text_matches(ctx: Context, value: Any) -> Outcome:
    """`text = {files = "glob", pattern = "regex"}`: some matching file's text matches."""
    if not isinstance(value, dict) or "pattern" not in value or "files" not in value:
        raise RuleError("`text` needs a table with `files` and `pattern`")
    globs = as_list(value["files"])
    evidence = search_files(ctx, globs, value["pattern"], ignore_case=bool(value.get("ignore-case")))
    return found(evidence, f"text matching /{value['pattern']}/ in {', '.join(f'`{g}`' for g in globs)}")


def lookup_key(data: Any, dotted: str) -> tuple[bool, Any]:
    cur = data
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return False, None
        cur = cur[part]
    return True, cur


def toml_key(ctx: Context, value: Any) -> Outcome:
    """`toml-key = {file = "pyproject.toml", key = "tool.ruff"}`: the key is present."""
    if not isinstance(value, dict) or "key" not in value:
        raise RuleError("`toml-key` needs a table with `key` (and optionally `file`)")
    globs = as_list(value.get("file", "pyproject.toml"))
    keys = as_list(value["key"])
    evidence = []
    for path in ctx.project.glob(globs):
        data = ctx.project.toml(path)
        for key in keys:
            present, _ = lookup_key(data, key)
            if present:
                evidence.append(Evidence(path, None, f"[{key}] present"))
    return found(evidence, f"key {' or '.join(f'[{k}]' for k in keys)} in "
                           f"{', '.join(f'`{g}`' for g in globs)}")
