"""The declarative vocabulary rules are written in.

A check is a TOML table with exactly one key. `all`, `any` and `not` combine checks; every
other key names a predicate, implemented by a function `fn(ctx, value) -> Outcome` found
through `PREDICATES` (imported lazily, so a run pays only for the predicates it uses).
`rules/*.toml` show the vocabulary in use; `schemas/rule.schema.json` lists every key.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

from auditor.model import Evidence, Outcome

# predicate key -> "module:function"
PREDICATES: dict[str, str] = {
    # files and text (auditor/predicates/files.py)
    "file": "auditor.predicates.files:file_exists",
    "dir": "auditor.predicates.files:dir_exists",
    "text": "auditor.predicates.files:text_matches",
    "toml-key": "auditor.predicates.files:toml_key",
    # CI systems, jobs, commands, triggers, matrices (auditor/predicates/ci.py)
    "ci": "auditor.predicates.ci:ci_configured",
    "ci-runs": "auditor.predicates.ci:ci_runs",
    "ci-trigger": "auditor.predicates.ci:ci_trigger",
    "ci-matrix": "auditor.predicates.ci:ci_matrix",
    "ci-uses": "auditor.predicates.ci:ci_uses",
    "pre-commit-ci": "auditor.predicates.ci:precommit_ci",
    "ruff-selects": "auditor.predicates.ci:ruff_selects",
    # composition with other rules and named Python checks
    "rule": "auditor.predicates.meta:rule_passes",
    "python": "auditor.predicates.meta:python_check",
    # git work tree, remotes and history (auditor/predicates/git.py)
    "git": "auditor.predicates.git:git_state",
    "git-history": "auditor.predicates.git:git_history",
    # dependencies, lock files and pre-commit hooks (auditor/predicates/deps.py)
    "dependency": "auditor.predicates.deps:dependency",
    "deps": "auditor.predicates.deps:deps",
    "precommit-hook": "auditor.predicates.deps:precommit_hook",
    # pipelines, containers, Kubernetes, IaC, monitoring configs (auditor/predicates/infra.py)
    "dvc": "auditor.predicates.infra:dvc",
    "make-target": "auditor.predicates.infra:make_target",
    "mlproject": "auditor.predicates.infra:mlproject",
    "container": "auditor.predicates.infra:container",
    "container-runs": "auditor.predicates.infra:container_runs",
    "k8s-kind": "auditor.predicates.infra:k8s_kind",
    "k8s-field": "auditor.predicates.infra:k8s_field",
    "iac": "auditor.predicates.infra:iac",
    "iac-resource": "auditor.predicates.infra:iac_resource",
    "monitoring-config": "auditor.predicates.infra:monitoring_config",
    "pipeline-file": "auditor.predicates.infra:pipeline_file",
    "infra-schedule": "auditor.predicates.infra:infra_schedule",
    # first-party Python code and notebooks, via the Python index (auditor/predicates/python.py)
    "imports": "auditor.predicates.python:imports",
    "calls": "auditor.predicates.python:calls",
    "strings": "auditor.predicates.python:strings",
    "attribute": "auditor.predicates.python:attribute",
    "defines": "auditor.predicates.python:defines",
    "subclass": "auditor.predicates.python:subclass",
    "decorator": "auditor.predicates.python:decorator",
    "framework": "auditor.predicates.python:framework",
    "ml-code": "auditor.predicates.python:ml_code",
    "training-code": "auditor.predicates.python:training_code",
}

MAX_EVIDENCE = 20


class RuleError(Exception):
    """A check is malformed or its code failed; the rule reports status `error`."""


class Context:
    """What predicates may use: the snapshot, the configuration, other rules' verdicts."""

    def __init__(self, project, config: dict[str, Any] | None = None,
                 rule_status: Callable[[str], str] | None = None) -> None:
        self.project = project
        self.config = config or {}
        self._rule_status = rule_status
        self.user_rule = False  # true while evaluating a rule from a user rule file

    def rule_status(self, rule_id: str) -> str:
        if self._rule_status is None:
            raise RuleError("rule references are not available here")
        return self._rule_status(rule_id)


_cache: dict[str, Callable[[Context, Any], Outcome]] = {}


def _resolve(key: str) -> Callable[[Context, Any], Outcome]:
    if key not in _cache:
        try:
            target = PREDICATES[key]
        except KeyError:
            raise RuleError(f"unknown check key {key!r}") from None
        module, func = target.split(":")
        _cache[key] = getattr(importlib.import_module(module), func)
    return _cache[key]


def evaluate(node: dict[str, Any], ctx: Context) -> Outcome:
    """Evaluate one check node (a one-key table) to an Outcome."""
    if not isinstance(node, dict) or len(node) != 1:
        raise RuleError(f"a check must be a table with exactly one key, got {node!r}")
    (key, value), = node.items()
    if key == "all":
        return _all([evaluate(child, ctx) for child in value])
    if key == "any":
        return _any(value, ctx)
    if key == "not":
        inner = evaluate(value, ctx)
        return Outcome(ok=not inner.ok, evidence=inner.evidence,
                       searched=f"not ({inner.searched})" if inner.searched else "")
    return _resolve(key)(ctx, value)


def _all(outcomes: list[Outcome]) -> Outcome:
    ok = all(o.ok for o in outcomes)
    if ok:
        evidence = [e for o in outcomes for e in o.evidence]
        searched = "; and ".join(o.searched for o in outcomes if o.searched)
    else:
        failing = [o for o in outcomes if not o.ok]
        evidence = [e for o in failing for e in o.evidence]
        searched = "; and ".join(o.searched for o in failing if o.searched)
    return Outcome(ok=ok, evidence=evidence[:MAX_EVIDENCE], searched=searched)


def _any(children: list[dict[str, Any]], ctx: Context) -> Outcome:
    """First passing child wins (short-circuit, so cheap checks should come first)."""
    failed: list[Outcome] = []
    for child in children:
        out = evaluate(child, ctx)
        if out.ok:
            return out
        failed.append(out)
    return Outcome(ok=False, evidence=[e for o in failed for e in o.evidence][:MAX_EVIDENCE],
                   searched="; or ".join(o.searched for o in failed if o.searched))


def found(evidence: list[Evidence], searched: str) -> Outcome:
    """Helper for predicates: ok when any evidence was found."""
    return Outcome(ok=bool(evidence), evidence=evidence[:MAX_EVIDENCE], searched=searched)


def as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]
