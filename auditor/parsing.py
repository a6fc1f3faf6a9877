"""Parse configuration text (TOML, YAML, JSON) defensively.

Every audited file is untrusted: parsers here never construct arbitrary objects, refuse
YAML alias bombs and absurd nesting, and turn every failure into `ParseError` carrying one
line of explanation (with a line number when the parser gives one). Callers record that
as a report problem and go on.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

MAX_ALIASES = 200
MAX_DEPTH = 200


class ParseError(Exception):
    """The text could not be parsed; str(self) is a one-line reason."""


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or exc.__class__.__name__


def load_toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise ParseError("TOML nested too deeply") from None
    except Exception as exc:  # tomllib raises TOMLDecodeError, but be total
        raise ParseError(f"invalid TOML: {_one_line(exc)}") from None


def load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise ParseError("JSON nested too deeply") from None
    except ValueError as exc:
        raise ParseError(f"invalid JSON: {_one_line(exc)}") from None


_ANCHOR = re.compile(r"(?:^|[\s\[{,:-])&[^\s,\[\]{}]")


def _yaml_module():
    import yaml  # lazily: PyYAML costs start-up time and most runs parse little YAML

    return yaml


def _counting_loader(yaml):
    """A pure-Python SafeLoader that refuses documents with too many aliases or too deep."""

    class CountingLoader(yaml.SafeLoader):
        def __init__(self, stream):
            super().__init__(stream)
            self._aliases = 0
            self._depth = 0

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                self._aliases += 1
                if self._aliases > MAX_ALIASES:
                    raise ParseError(f"YAML uses more than {MAX_ALIASES} aliases (possible alias bomb)")
            self._depth += 1
            try:
                if self._depth > MAX_DEPTH:
                    raise ParseError("YAML nested too deeply")
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

    return CountingLoader


def load_yaml_all(text: str) -> list[Any]:
    """All documents of a YAML stream (Kubernetes manifests hold several)."""
    yaml = _yaml_module()
    if _ANCHOR.search(text) or text.count("[") + text.count("{") > 10_000:
        loader = _counting_loader(yaml)
    else:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return list(yaml.load_all(text, Loader=loader))
    except ParseError:
        raise
    except RecursionError:
        raise ParseError("YAML nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or _one_line(exc)
        raise ParseError(f"invalid YAML{where}: {problem}") from None
    except Exception as exc:  # constructor errors on odd tags, etc.
        raise ParseError(f"invalid YAML: {_one_line(exc)}") from None


def load_yaml(text: str) -> Any:
    docs = load_yaml_all(text)
    return docs[0] if docs else None
