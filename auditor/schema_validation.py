"""Validate data against the bundled JSON Schemas and phrase errors as one line.

jsonschema is imported lazily: it costs start-up time and most audits have no config file.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from auditor.resources import schema_path


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict[str, Any]:
    return json.loads(schema_path(name).read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def _validator(name: str):
    import jsonschema

    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def key_path(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def describe(error) -> str:
    """One line: where (dotted key) and what is wrong, in words a user understands."""
    where = key_path(error.absolute_path)
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"{where}: unknown key{'s' if len(extra) > 1 else ''} {', '.join(map(repr, extra))}"
    if error.validator == "propertyNames":
        return f"{where}: invalid key: {error.message}"
    if error.validator == "enum":
        allowed = ", ".join(repr(v) for v in error.validator_value)
        return f"{where}: {error.instance!r} is not one of {allowed}"
    if error.validator == "type":
        return f"{where}: expected {error.validator_value}, got {type(error.instance).__name__} {error.instance!r}"
    if error.validator == "required":
        return f"{where}: {error.message}"
    return f"{where}: {error.message}"


def errors(name: str, data: Any) -> list[str]:
    """All validation problems, best first, as one-line descriptions."""
    validator = _validator(name)
    errs = sorted(validator.iter_errors(data), key=lambda e: (len(list(e.absolute_path)), str(e.message)))
    # For oneOf/anyOf, the deepest context error names the real problem.
    out = []
    for err in errs:
        if err.context:
            deepest = max(err.context, key=lambda e: len(list(e.absolute_path)))
            out.append(describe(deepest))
        else:
            out.append(describe(err))
    return out
