"""Load rule files (built-in `rules/*.toml` and user `rule-paths`) into `Rule` objects.

Each file is validated against schemas/rule.schema.json; ids must be unique across all
files. Problems are `RuleFileError` with the file and the key, reported as exit 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.model import CATEGORIES, Rule
from auditor.parsing import ParseError, load_toml
from auditor.resources import rules_dir


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


def load_rule_file(path: Path, *, display: str | None = None, validate: bool = True) -> list[Rule]:
    name = display or str(path)
    try:
        text = path.read_bytes().decode("utf-8")
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
    return [_rule_from(entry, name) for entry in data["rule"]]


def builtin_rule_files() -> list[Path]:
    return sorted(rules_dir().glob("*.toml"))


def load_rules(extra_paths: list[Path] | None = None, *, user_root: Path | None = None) -> tuple[list[Rule], set[str]]:
    """Built-in rules plus user rule files; returns (rules, ids of user rules).

    `user_root`, when given, confines user rule files to that directory (rule-paths from an
    audited repository's own config must not reach outside it).
    """
    rules: list[Rule] = []
    for path in builtin_rule_files():
        rules.extend(load_rule_file(path, display=f"rules/{path.name}"))
    user_ids: set[str] = set()
    for path in _expand(extra_paths or [], user_root):
        loaded = load_rule_file(path)
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


def _expand(paths: list[Path], user_root: Path | None) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if user_root is not None:
            resolved = p.resolve()
            try:
                resolved.relative_to(user_root.resolve())
            except ValueError:
                raise RuleFileError(f"{p}: rule-paths must stay inside the audited repository") from None
        if p.is_dir():
            out.extend(sorted(q for q in p.glob("*.toml") if q.is_file() and not q.is_symlink()))
        elif p.is_file():
            out.append(p)
        else:
            raise RuleFileError(f"{p}: rule path not found")
    return out
