"""Predicates that refer beyond the file tree: other rules, and named Python checks."""

from __future__ import annotations

import importlib
from typing import Any

from auditor.model import Evidence, Outcome
from auditor.predicates import Context, RuleError


def rule_passes(ctx: Context, value: Any) -> Outcome:
    """`rule = "INFRA001"`: that rule's status is pass (evaluated on demand)."""
    status = ctx.rule_status(str(value))
    return Outcome(ok=status == "pass", evidence=[Evidence(None, None, f"{value} is {status}")],
                   searched=f"rule {value} passing")


def python_check(ctx: Context, value: Any) -> Outcome:
    """`python = "vcs.no_secrets"`: run `no_secrets(ctx)` from `auditor.checks.vcs`.

    Only built-in checks: the name is resolved inside the `auditor.checks` package.
    """
    name = value if isinstance(value, str) else value.get("name", "")
    options = {} if isinstance(value, str) else {k: v for k, v in value.items() if k != "name"}
    module, _, func = name.rpartition(".")
    if not module or not func.isidentifier() or not all(p.isidentifier() for p in module.split(".")):
        raise RuleError(f"bad check name {name!r}; expected `module.function`")
    try:
        mod = importlib.import_module(f"auditor.checks.{module}")
        fn = getattr(mod, func)
    except (ImportError, AttributeError):
        raise RuleError(f"no built-in Python check named {name!r}") from None
    return fn(ctx, **options) if options else fn(ctx)
