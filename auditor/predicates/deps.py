"""Predicates over declared dependencies, lock files and pre-commit hooks.

- `dependency = "name"` or a list: some declaration (requirements, pyproject, setup.*,
  conda, Pipfile) names that project; names compare PEP 503-normalised. Lock files are not
  declarations (they list transitive packages too), so they do not count here.
- `deps = "declared" | "locked" | "pinned"`: the project declares its dependencies; has a
  lock file; or has a reproducible environment (a lock file, or a runtime requirements or
  conda file with at least 90% of its entries pinned).
- `precommit-hook = "regex"` (or a list, or `true` for any hook): a hook of some
  `.pre-commit-config.yaml` whose id or repository URL matches.
"""

from __future__ import annotations

from typing import Any

from auditor.model import Evidence, Outcome
from auditor.predicates import MAX_EVIDENCE, Context, RuleError, as_list, found

PIN_THRESHOLD = 0.9
DECLARATION_WORDS = ("requirements*.txt, pyproject.toml dependencies, setup.py/setup.cfg install_requires, "
                     "environment.yml/conda.yaml, Pipfile")
LOCK_WORDS = ("poetry.lock, uv.lock, Pipfile.lock, pdm.lock, pylock.toml, conda-lock.yml, pixi.lock, "
              "requirements.lock")


def dependency(ctx: Context, value: Any) -> Outcome:
    """`dependency = "mlflow"` or `["mlflow", "wandb"]`: any of them is declared somewhere."""
    from auditor.facts.reqparse import normalize

    names = [normalize(str(v)) for v in as_list(value) if str(v).strip()]
    if not names:
        raise RuleError("`dependency` needs a project name or a list of names")
    wanted = set(names)
    evidence = [Evidence(r.file, r.line, f"declares {r.label()}" + (f" ({r.group})" if r.group else ""))
                for r in ctx.project.fact("deps").requirements if r.name in wanted]
    return found(evidence, f"a declared dependency on {' or '.join(f'`{n}`' for n in names)}")


def declared_files(facts) -> list:
    """Declarations that actually declare something (an empty requirements file does not)."""
    return [d for d in facts.declarations
            if d.requirements or d.includes or d.format != "requirements"]


def deps(ctx: Context, value: Any) -> Outcome:
    facts = ctx.project.fact("deps")
    if value == "declared":
        evidence = []
        for d in sorted(declared_files(facts), key=lambda d: (d.path.count("/"), d.path)):
            n = len(d.requirements)
            evidence.append(Evidence(d.path, d.line, f"{n} dependenc{'y' if n == 1 else 'ies'} declared "
                                                     f"({d.format})"))
        return found(evidence, f"a dependency declaration ({DECLARATION_WORDS})")
    if value == "locked":
        return found(_lock_evidence(facts), f"a lock file ({LOCK_WORDS})")
    if value == "pinned":
        return _pinned(facts)
    raise RuleError(f"`deps` must be \"declared\", \"locked\" or \"pinned\", got {value!r}")


def _lock_evidence(facts) -> list[Evidence]:
    return [Evidence(lk.path, None, f"{lk.format} lock file, {lk.packages} package(s)") for lk in facts.locks]


def _pinned(facts) -> Outcome:
    searched = (f"a lock file ({LOCK_WORDS}), or a runtime requirements/conda file with at least "
                f"{PIN_THRESHOLD:.0%} of its entries pinned (== or hashes)")
    locks = _lock_evidence(facts)
    if locks:
        return Outcome(True, locks[:MAX_EVIDENCE], searched)
    passing: list[Evidence] = []
    failing: list[Evidence] = []
    for decl in facts.environment_files():
        stats = facts.pin_stats(decl)
        if not stats.total:
            continue
        detail = f"{stats.pinned} of {stats.total} entries pinned ({stats.ratio:.0%})"
        if stats.ratio >= PIN_THRESHOLD:
            passing.append(Evidence(decl.path, None, detail))
        else:
            shown = ", ".join(stats.unpinned[:8]) + (" ..." if len(stats.unpinned) > 8 else "")
            failing.append(Evidence(decl.path, None, f"{detail}; not pinned: {shown}"))
    if passing:
        return Outcome(True, passing[:MAX_EVIDENCE], searched)
    aux = [Evidence(d.path, None, "tooling-only requirements (dev/test/docs/minimum versions); "
                                  "not counted for the runtime")
           for d in facts.declarations
           if d.format == "requirements" and d.auxiliary and not d.path.endswith(".in")]
    loose = [Evidence(d.path, d.line, f"{d.format} declaration with ranges, not a lock")
             for d in facts.declarations if d.format not in ("requirements", "conda")][:5]
    if failing:
        message = (f"No lock file, and no runtime requirements file has {PIN_THRESHOLD:.0%} of its entries "
                   f"pinned ({failing[0].path}: {failing[0].detail.split(';')[0]}).")
    else:
        message = "No lock file, and no runtime requirements or conda file pins the environment."
    return Outcome(False, (failing + aux + loose)[:MAX_EVIDENCE], searched, message=message)


def precommit_hook(ctx: Context, value: Any) -> Outcome:
    """`precommit-hook = "ruff|flake8"`: a hook whose id or repo URL matches (case-insensitive)."""
    from auditor.predicates.files import compile_pattern

    hooks = ctx.project.fact("precommit").hooks
    if value is True:
        rxs, words = [], "any pre-commit hook"
    elif value is False or value is None or not as_list(value):
        raise RuleError("`precommit-hook` needs a regular expression, a list of them, or true")
    else:
        rxs = [compile_pattern(str(p), True, ctx.user_rule) for p in as_list(value)]
        words = "a pre-commit hook matching " + " or ".join(f"/{p}/" for p in as_list(value))
    evidence = [Evidence(h.file, h.line, f"hook `{h.id}` ({h.repo})") for h in hooks
                if not rxs or any(rx.search(h.id) or rx.search(h.repo) for rx in rxs)]
    return found(evidence, f"{words} in .pre-commit-config.yaml")
