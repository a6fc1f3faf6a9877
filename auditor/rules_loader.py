"""Load rule files (built-in `rules/*.toml` and user `rule-paths`) into `Rule` objects.

Each file is validated against schemas/rule.schema.json; ids must be unique across all
files. Problems are `RuleFileError` with the file and the key, reported as exit 2.

User rule files (`rule-paths`) are untrusted when the audited repository's own config names
them: they are read without following a FIFO or a device (and must stay inside the
repository, see `_expand`), and every regular expression and glob in their checks is
validated here, before the audit starts, by auditor/regex_guard.py and
auditor/globguard.py: an unsafe pattern is a configuration error naming the file, the rule
and the pattern, not a rule `error` halfway through the run. `python` checks in user rules
must name a public function defined in an `auditor.checks` module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.model import CATEGORIES, Rule
from auditor.parsing import ParseError, load_toml
from auditor.resources import rules_dir
from auditor.safe_read import read_small_file


class RuleFileError(Exception):
    """A rule file is unusable; str(self) is one line naming the file and the key."""


def _rule_from(entry: dict[str, Any], source: str) -> Rule:
    return Rule(
        id=entry["id"], slug=entry["slug"], title=entry["title"], category=entry["category"],
        severity=entry["severity"], profile=entry["profile"], practice=entry.get("practice", ""),
        rationale=entry["rationale"], fix=entry["fix"], check=entry["check"],
        not_applicable=entry.get("not-applicable"), na_reason=entry.get("na-when", ""),
        example=entry.get("example", ""), source=source,
    )


def load_rule_file(path: Path, *, display: str | None = None, validate: bool = True,
                   cache=None) -> list[Rule]:
    """Rules of one file. With a cache (auditor/cache.py), a file validated before is taken
    from it (keyed by the file's bytes, the schema and this code), so a warm run neither
    parses the TOML again nor imports jsonschema."""
    name = display or str(path)
    try:
        raw = _read_rule_bytes(path)
        cache_key = _catalogue_key(raw) if validate and cache is not None else None
        if cache_key is not None:
            data = cache.get(*cache_key)
            if isinstance(data, dict) and isinstance(data.get("rule"), list):
                return [_rule_from(entry, name) for entry in data["rule"]]
        text = raw.decode("utf-8")
    except OSError as exc:
        raise RuleFileError(f"{name}: cannot read rule file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise RuleFileError(f"{name}: rule file is not UTF-8 text") from None
    try:
        data = load_toml(text)
    except ParseError as exc:
        raise RuleFileError(f"{name}: {exc}") from None
    if validate:
        from auditor.schema_validation import errors

        problems = errors("rule.schema.json", data)
        if problems:
            raise RuleFileError(f"{name}: {problems[0]}")
        if cache_key is not None:
            cache.put(*cache_key, data)
    return [_rule_from(entry, name) for entry in data["rule"]]


def _catalogue_key(raw: bytes) -> tuple[str, str]:
    import hashlib

    from auditor import schema_validation
    from auditor.cache import code_fingerprint
    from auditor.resources import schema_path

    ns = "rules/" + code_fingerprint(str(schema_path("rule.schema.json")), __file__, schema_validation.__file__)
    return ns, hashlib.sha256(raw).hexdigest()


def builtin_rule_files() -> list[Path]:
    return sorted(rules_dir().glob("*.toml"))


def load_rules(extra_paths: list[Path] | None = None, *, user_root: Path | None = None,
               cache=None, source: str | None = None) -> tuple[list[Rule], set[str]]:
    """Built-in rules plus user rule files; returns (rules, ids of user rules).

    `user_root`, when given, confines user rule files to that directory (rule-paths from an
    audited repository's own config must not reach outside it).
    """
    rules: list[Rule] = []
    # the bundled catalogue is validated by the test suite (tests/test_catalogue_files.py), not
    # on every run: that costs a jsonschema import and ~0.1 s, a quarter of a small audit
    for path in builtin_rule_files():
        rules.extend(load_rule_file(path, display=f"rules/{path.name}", validate=False))
    user_ids: set[str] = set()
    for path in _expand(extra_paths or [], user_root, source):
        loaded = load_rule_file(path, cache=cache)
        for rule in loaded:
            validate_user_rule(rule)
        user_ids.update(r.id for r in loaded)
        rules.extend(loaded)
    seen: dict[str, str] = {}
    for rule in rules:
        if rule.id in seen:
            raise RuleFileError(f"{rule.source}: rule id {rule.id} is already defined in {seen[rule.id]}")
        seen[rule.id] = rule.source
        if rule.category not in CATEGORIES and rule.id not in user_ids:
            raise RuleFileError(f"{rule.source}: {rule.id}: unknown category {rule.category!r}")
    return rules, user_ids


def _expand(paths: list[Path], user_root: Path | None, source: str | None = None) -> list[Path]:
    """Rule files named by `rule-paths` (`source`: the config file that named them)."""
    where = f"{source}: rule-paths: " if source else ""
    out: list[Path] = []
    for p in paths:
        if user_root is not None:
            resolved = p.resolve()
            try:
                resolved.relative_to(user_root.resolve())
            except ValueError:
                raise RuleFileError(f"{where}{p}: rule-paths must stay inside the audited repository") from None
        if p.is_dir():
            out.extend(sorted(q for q in p.glob("*.toml") if q.is_file() and not q.is_symlink()))
        elif p.is_file():
            out.append(p)
        else:
            raise RuleFileError(f"{where}{p}: rule path not found (or not a regular file)")
    return out


MAX_RULE_FILE_BYTES = 1024 * 1024


def _read_rule_bytes(path: Path) -> bytes:
    return read_small_file(path, MAX_RULE_FILE_BYTES)


# ------------------------------------------------------------------ user rule validation
# Fields holding gitignore-style globs, by predicate (None: the predicate's own value).
_GLOB_FIELDS = {
    ("file", None), ("file", "glob"), ("dir", None), ("dir", "glob"), ("text", "files"),
    ("toml-key", "file"),
    *((p, "files") for p in ("imports", "calls", "strings", "attribute", "defines", "subclass",
                             "decorator")),
}
# Fields that are plain words, never matched as patterns.
_TEXT_FIELDS = {"label", "kind", "key", "equals", "path", "name", "in", "tests", "ignore-case",
                "min", "min-args", "min-count", "more-than", "trigger", "kwarg"}
# Fields that are regular expressions for sure: an invalid one is an error here too.
_REGEX_FIELDS = {"pattern", "exclude", "runs", "recipe", "body", "hook"}
_REGEX_VALUES = {"ci-runs", "ci-uses", "container-runs", "strings", "defines", "text", "git-history"}
_COMBINATORS = ("all", "any", "not")


def validate_user_rule(rule: Rule) -> None:
    """Refuse a user rule whose patterns could hang the audit or whose `python` check is not
    a built-in check function (RuleFileError naming the file, rule and pattern)."""
    for node in (rule.check, rule.not_applicable):
        if node is not None:
            _validate_node(node, rule)


def _validate_node(node: Any, rule: Rule) -> None:
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in ("all", "any"):
            for child in value if isinstance(value, list) else []:
                _validate_node(child, rule)
        elif key == "not":
            _validate_node(value, rule)
        elif key == "python":
            _validate_python_check(value, rule)
        elif key != "rule":
            _validate_value(key, None, value, rule)


def _validate_value(pred: str, field: str | None, value: Any, rule: Rule) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _validate_value(pred, k, v, rule)
        return
    if isinstance(value, list):
        for v in value:
            _validate_value(pred, field, v, rule)
        return
    if not isinstance(value, str):
        return
    if (pred, field) in _GLOB_FIELDS:
        from auditor.globguard import GlobTooComplex, check_glob

        try:
            check_glob(value)
        except GlobTooComplex as exc:
            raise RuleFileError(f"{rule.source}: rule {rule.id}: {pred}: glob {value!r} refused: {exc}") from None
        return
    if field in _TEXT_FIELDS:
        return
    import re

    from auditor.regex_guard import UnsafeRegex, check_user_regex

    where = f"{pred}.{field}" if field else pred
    try:
        check_user_regex(value)
    except UnsafeRegex as exc:
        raise RuleFileError(f"{rule.source}: rule {rule.id}: {where}: pattern {value!r} refused: {exc}") from None
    except re.error as exc:
        if field in _REGEX_FIELDS or (field is None and pred in _REGEX_VALUES):
            raise RuleFileError(f"{rule.source}: rule {rule.id}: {where}: invalid regular expression "
                                f"{value!r}: {exc}") from None


def _validate_python_check(value: Any, rule: Rule) -> None:
    import importlib
    import inspect

    name = value if isinstance(value, str) else (value.get("name", "") if isinstance(value, dict) else "")
    module, _, func = str(name).rpartition(".")
    ok = bool(module) and func.isidentifier() and not func.startswith("_") and all(
        part.isidentifier() and not part.startswith("_") for part in module.split("."))
    fn = None
    if ok:
        try:
            mod = importlib.import_module(f"auditor.checks.{module}")
            fn = getattr(mod, func, None)
        except ImportError:
            fn = None
        ok = inspect.isfunction(fn) and fn.__module__ == mod.__name__
    if not ok:
        raise RuleFileError(f"{rule.source}: rule {rule.id}: python: {name!r} is not a built-in check "
                            "(`mlaudit rules` lists the checks rules use)")
