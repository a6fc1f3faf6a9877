"""Find, parse and validate configuration; merge command-line overrides.

Sources, first found wins: `--config FILE`; else `[tool.mlaudit]` in the audited repo's
pyproject.toml, `.mlaudit.toml`, `mlaudit.toml` (same keys at the top level). Every problem
is a `ConfigError` whose message names the file, the key and what is wrong (exit 2).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.parsing import ParseError, load_toml
from auditor.safe_read import read_small_file

DEFAULTS: dict[str, Any] = {
    "profile": "production",
    "fail-under": None,
    "select": [],
    "ignore": [],
    "exclude": [],
    "max-file-mb": 10,
    "rule-paths": [],
    "category-weights": {},
    "severity": {},
    "waivers": [],
    "file-budget-ms": 5000,
}

# Environment variables that override a configuration file (the command line wins over both).
ENV_OVERRIDES = {"MLAUDIT_FILE_BUDGET_MS": "file-budget-ms"}
MAX_CONFIG_BYTES = 1024 * 1024

CONFIG_FILES = ("pyproject.toml", ".mlaudit.toml", "mlaudit.toml")


class ConfigError(Exception):
    """Configuration is unusable; str(self) is the one line printed before exit 2."""


@dataclass
class Waiver:
    rule: str
    reason: str
    expires: _dt.date | None = None

    def active(self, today: _dt.date) -> bool:
        return self.expires is None or today <= self.expires


@dataclass
class Config:
    values: dict[str, Any]
    source: str | None  # the file the settings came from, for messages
    base_dir: Path | None = None  # where relative rule-paths resolve
    waivers: list[Waiver] = field(default_factory=list)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


def _read_bytes(path: Path) -> bytes:
    return read_small_file(path, MAX_CONFIG_BYTES)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = _read_bytes(path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    try:
        return load_toml(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: config is not UTF-8 text") from None
    except ParseError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def find_config(root: Path) -> tuple[Path, dict[str, Any]] | None:
    """The audited repo's own configuration, if any (a pyproject without the table is none)."""
    for name in CONFIG_FILES:
        path = root / name
        if not path.is_file() or path.is_symlink():
            continue
        data = _read_toml(path)
        if name == "pyproject.toml":
            tool = data.get("tool")
            if not isinstance(tool, dict) or "mlaudit" not in tool:
                continue
            section = tool["mlaudit"]
            if not isinstance(section, dict):
                raise ConfigError(f"{path}: [tool.mlaudit] must be a table")
            return path, section
        return path, data
    return None


def _normalise(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    waivers = out.get("waivers")
    if isinstance(waivers, list):  # TOML dates arrive as date objects; the schema speaks strings
        out["waivers"] = [
            {**w, "expires": w["expires"].isoformat()}
            if isinstance(w, dict) and isinstance(w.get("expires"), _dt.date) else w
            for w in waivers
        ]
    return out


def validate(data: dict[str, Any], source: str) -> dict[str, Any]:
    from auditor.schema_validation import errors

    data = _normalise(data)
    problems = errors("config.schema.json", data)
    if problems:
        prefix = "tool.mlaudit." if source.endswith("pyproject.toml") else ""
        first = problems[0]
        if prefix and not first.startswith("(top level)"):
            first = prefix + first
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConfigError(f"{source}: {first}{more}")
    from auditor.globguard import GlobTooComplex, check_glob

    prefix = "tool.mlaudit." if source.endswith("pyproject.toml") else ""
    for i, pattern in enumerate(data.get("exclude", [])):
        try:
            check_glob(pattern)
        except GlobTooComplex as exc:
            raise ConfigError(f"{source}: {prefix}exclude[{i}]: pattern {pattern!r} refused: {exc}") from None
    for w in data.get("waivers", []):
        if "expires" in w:
            try:
                _dt.date.fromisoformat(w["expires"])
            except ValueError:
                raise ConfigError(f"{source}: waivers: {w['expires']!r} is not a date (YYYY-MM-DD)") from None
    return data


def _env_overrides() -> dict[str, Any]:
    import os

    out: dict[str, Any] = {}
    for var, key in ENV_OVERRIDES.items():
        raw = os.environ.get(var)
        if raw is None or not raw.strip():
            continue
        try:
            value = float(raw)
        except ValueError:
            value = float("nan")
        if not value > 0 or value == float("inf"):
            raise ConfigError(f"environment variable {var}: expected a number of milliseconds > 0, got {raw!r}")
        out[key] = value
    return out


def load_config(root: Path, *, config_file: str | None = None, no_config: bool = False,
                overrides: dict[str, Any] | None = None) -> Config:
    """Defaults <- config file <- command-line overrides (None values are ignored)."""
    values = dict(DEFAULTS)
    source: str | None = None
    base_dir: Path | None = None
    if config_file:
        path = Path(config_file)
        if not path.is_file():
            raise ConfigError(f"{config_file}: config file not found")
        data = _read_toml(path)
        if path.name == "pyproject.toml" and isinstance(data.get("tool"), dict):
            data = data["tool"].get("mlaudit", {})
        source, base_dir = str(path), path.resolve().parent
        values.update(validate(data, source))
    elif not no_config:
        found = find_config(root)
        if found:
            path, data = found
            source, base_dir = str(path), path.parent
            values.update(validate(data, source))
    values.update(_env_overrides())
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = value
    waivers = [Waiver(w["rule"], w["reason"].strip(),
                      _dt.date.fromisoformat(w["expires"]) if w.get("expires") else None)
               for w in values.get("waivers", [])]
    return Config(values=values, source=source, base_dir=base_dir, waivers=waivers)
