"""Predicates over the CI model (fact "ci", see auditor/facts/ci.py).

- `ci = "configured"` (or a system id such as "gitlab-ci", or a list of them): a CI system
  is configured; evidence: its configuration files. Unparsable files still count.
- `ci-runs = "regex"`, a list of regexes (any), or `{ pattern = ..., exclude = ...,
  ignore-case = false, trigger = "schedule", label = "words for reports" }`: some CI command matches `pattern` and not
  `exclude`. Commands are looked at through their indirections (`make test` -> its recipe,
  `tox` -> the tox env commands, `pre-commit run` -> its hooks), and only commands that run
  something count: `pip install pytest`, `echo pytest` or `pytest --version` do not.
- `ci-trigger = "schedule"` (a trigger kind: push, pull_request, schedule, manual, tag,
  release, api, call, ...) or `{ kind = ..., runs = "regex", exclude = "regex" }`: some CI
  job has that trigger (and, with `runs`, runs a matching command).
- `ci-matrix = { min = 2, runs = "regex", exclude = "regex" }` (or `ci-matrix = 2`): a job
  that runs a matching command covers at least `min` Python versions or operating systems
  (matrix axes, tox/nox/hatch interpreters), or the matching jobs together do (a GitLab
  `test-py310` and `test-py311` pair).
- `ci-uses = "regex"` or `{ pattern = ..., exclude = ..., ignore-case = true }`: a job uses a
  matching action, orb, template, task, pipe or plugin (e.g. `github/codeql-action`).
- `pre-commit-ci = true` or `{ hook = "regex" }`: pre-commit.ci is configured (a `ci:`
  section in `.pre-commit-config.yaml`), optionally with a hook whose id matches.
- `ruff-selects = "S"`: a Ruff configuration (pyproject `[tool.ruff]`, `ruff.toml`,
  `.ruff.toml`) selects rules of that prefix (`S`, `S101`, or `ALL` without ignoring it).
"""

from __future__ import annotations

import re
from typing import Any

from auditor.model import Evidence, Outcome
from auditor.predicates import Context, RuleError, as_list, found
from auditor.predicates.files import compile_pattern

MAX_PER_JOB = 2


def _model(ctx: Context):
    return ctx.project.fact("ci")


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _matcher(value: Any, ctx: Context, *, key: str = "pattern", default_icase: bool = False,
             what: str = "ci-runs"):
    """(pattern regexes, exclude regex or None, description) from a predicate value."""
    if isinstance(value, dict):
        patterns = as_list(value.get(key))
        exclude = value.get("exclude")
        icase = bool(value.get("ignore-case", default_icase))
    else:
        patterns, exclude, icase = as_list(value), None, default_icase
    if not patterns or not all(isinstance(p, str) and p for p in patterns):
        raise RuleError(f"`{what}` needs a regular expression (or a list of them) as `{key}`")
    rxs = [compile_pattern(p, icase, ctx.user_rule) for p in patterns]
    ex = compile_pattern(exclude, icase, ctx.user_rule) if isinstance(exclude, str) and exclude else None
    label = value.get("label") if isinstance(value, dict) else None
    if isinstance(label, str) and label:
        desc = label  # built-in rules describe their (long) patterns in words
    else:
        desc = " or ".join(f"/{p}/" for p in patterns) + (f" (not /{exclude}/)" if ex else "")
    return rxs, ex, desc


def _command_hits(job, rxs, ex):
    """(command, step) pairs of a job whose step matches, through indirections."""
    for cmd in job.commands:
        for step in cmd.candidates():
            if step.kind != "run":
                continue
            if any(rx.search(step.text) for rx in rxs) and not (ex and ex.search(step.text)):
                yield cmd, step


def _command_evidence(job, cmd, step) -> Evidence:
    if step.text == cmd.text and not step.via:
        detail = f"job `{job.name}` runs `{_short(step.text)}`"
    else:
        where = f"{step.file}:{step.line}" if step.line else step.file
        detail = f"job `{job.name}` runs `{_short(cmd.text, 60)}` → `{_short(step.text)}` ({step.via}, {where})"
    if cmd.note:
        detail += f" [{cmd.note}]"
    return Evidence(cmd.file or job.file, cmd.line, detail)


def _triggers_filter(value: Any) -> set[str]:
    if not isinstance(value, dict):
        return set()
    return {str(t) for t in as_list(value.get("trigger"))}


def ci_configured(ctx: Context, value: Any) -> Outcome:
    """`ci = "configured"`: some CI system has configuration files (parsable or not)."""
    from auditor.facts.ci import SYSTEMS

    model = _model(ctx)
    wanted = list(SYSTEMS) if value in (True, "configured") else [str(v) for v in as_list(value)]
    unknown = [w for w in wanted if w not in SYSTEMS]
    if unknown:
        raise RuleError(f"`ci` expects \"configured\" or a CI system id ({', '.join(SYSTEMS)}), got {unknown}")
    evidence = [Evidence(f, None, f"{SYSTEMS[s]} configuration")
                for s in wanted for f in model.files.get(s, [])]
    names = "any CI system" if value in (True, "configured") else ", ".join(SYSTEMS[w] for w in wanted)
    return found(evidence, f"configuration of {names} (GitHub Actions workflows, .gitlab-ci.yml, Jenkinsfile, "
                           f".circleci/config.yml, azure-pipelines.yml, .travis.yml, bitbucket-pipelines.yml, "
                           f"Buildkite, Drone, Woodpecker, cloudbuild.yaml, buildspec.yml, Tekton, Prow)"
                 if value in (True, "configured") else f"configuration of {names}")


def ci_runs(ctx: Context, value: Any) -> Outcome:
    """`ci-runs`: a CI command (after indirection expansion) matches."""
    rxs, ex, desc = _matcher(value, ctx)
    triggers = _triggers_filter(value)
    evidence: list[Evidence] = []
    for job in _model(ctx).jobs:
        if triggers and not (job.triggers & triggers):
            continue
        for n, (cmd, step) in enumerate(_command_hits(job, rxs, ex)):
            if n >= MAX_PER_JOB:
                break
            evidence.append(_command_evidence(job, cmd, step))
    when = f" in a job triggered by {', '.join(sorted(triggers))}" if triggers else ""
    what = f"a CI command running {desc}" if isinstance(value, dict) and value.get("label") \
        else f"a CI command matching {desc}"
    return found(_dedupe(evidence), f"{what}{when}")


def ci_trigger(ctx: Context, value: Any) -> Outcome:
    """`ci-trigger = "schedule"`: some CI job has that trigger (and runs a matching command)."""
    if isinstance(value, dict):
        kinds = {str(k) for k in as_list(value.get("kind"))}
        runs = value.get("runs")
    else:
        kinds, runs = {str(k) for k in as_list(value)}, None
    if not kinds:
        raise RuleError("`ci-trigger` needs a trigger kind such as \"schedule\"")
    rxs, ex, desc = _matcher({"pattern": runs, "exclude": value.get("exclude"), "label": value.get("label"),
                              "ignore-case": value.get("ignore-case", False)}, ctx, what="ci-trigger") \
        if runs else (None, None, "")
    evidence: list[Evidence] = []
    for job in _model(ctx).jobs:
        hit = job.triggers & kinds
        if not hit:
            continue
        if rxs is None:
            evidence.append(Evidence(job.file, job.line, f"job `{job.name}` runs on {', '.join(sorted(hit))}"))
            continue
        for cmd, step in _command_hits(job, rxs, ex):
            ev = _command_evidence(job, cmd, step)
            evidence.append(Evidence(ev.path, ev.line, f"{', '.join(sorted(hit))}: {ev.detail}"))
            break
    what = f"a CI job triggered by {' or '.join(sorted(kinds))}"
    if runs:
        what += f" that runs {desc}" if value.get("label") else f" that runs a command matching {desc}"
    return found(_dedupe(evidence), what)


def ci_matrix(ctx: Context, value: Any) -> Outcome:
    """`ci-matrix = { min = 2, runs = "regex" }`: tests (or any job) run on >= min environments."""
    if isinstance(value, int) and not isinstance(value, bool):
        minimum, runs, exclude = value, None, None
    elif isinstance(value, dict):
        minimum, runs, exclude = value.get("min", 2), value.get("runs"), value.get("exclude")
    else:
        raise RuleError("`ci-matrix` needs `{ min = N, runs = \"regex\" }` or a number")
    if not isinstance(minimum, int) or isinstance(minimum, bool) or minimum < 1:
        raise RuleError("`ci-matrix.min` must be a positive integer")
    label = value.get("label") if isinstance(value, dict) else None
    rxs, ex, desc = _matcher({"pattern": runs, "exclude": exclude, "label": label}, ctx, what="ci-matrix") if runs \
        else (None, None, "")
    evidence: list[Evidence] = []
    pythons: dict[str, list] = {}
    oses: dict[str, list] = {}
    for job in _model(ctx).jobs:
        if rxs is not None:
            hits = list(_command_hits(job, rxs, ex))
            if not hits:
                continue
            interps: list[str] = []
            for cmd, _step in hits:
                interps.extend(i for i in cmd.interpreters if i not in interps)
        else:
            hits = []
            interps = [i for c in job.commands for i in c.interpreters]
            interps = list(dict.fromkeys(interps))
        axes = [("Python versions", job.python), ("operating systems", job.os),
                ("tox/nox/hatch interpreters", interps)]
        for label, values in axes:
            if len(values) >= minimum:
                what = f" runs `{_short(hits[0][1].text, 60)}`" if hits else ""
                evidence.append(Evidence(job.file, job.line,
                                         f"job `{job.name}`{what} on {label}: {', '.join(values[:8])}"))
                break
        for v in job.python:
            pythons.setdefault(v, []).append(job)
        for v in job.os:  # across jobs, count OS families: ubuntu-22.04 and ubuntu-latest are one
            oses.setdefault(_os_family(v), []).append(job)
    if not evidence:
        for label, table in (("Python versions", pythons), ("operating systems", oses)):
            if len(table) >= minimum:
                for version, jobs in table.items():
                    job = jobs[0]
                    evidence.append(Evidence(job.file, job.line, f"job `{job.name}` runs on {label[:-1]} {version}"))
                break
    scope = f"a CI job running {desc}" if label else f"a CI job running a command matching {desc}" if runs \
        else "a CI job"
    return found(_dedupe(evidence), f"{scope} over {minimum}+ Python versions or operating systems "
                                    f"(matrix, or tox/nox with {minimum}+ interpreters)")


def _os_family(label: str) -> str:
    low = label.lower()
    for family in ("windows", "macos", "osx", "ubuntu", "debian", "alpine", "fedora", "centos", "linux"):
        if family in low:
            return "macos" if family == "osx" else family
    return low.split("-")[0]


def ci_uses(ctx: Context, value: Any) -> Outcome:
    """`ci-uses = "regex"`: a job uses a matching action, orb, template, task, pipe or plugin."""
    rxs, ex, desc = _matcher(value, ctx, default_icase=True, what="ci-uses")
    evidence: list[Evidence] = []
    for job in _model(ctx).jobs:
        for use in job.uses:
            if any(rx.search(use) for rx in rxs) and not (ex and ex.search(use)):
                evidence.append(Evidence(job.file, job.line, f"job `{job.name}` uses `{_short(use)}`"))
                break
    what = f"a CI job using {desc}" if isinstance(value, dict) and value.get("label") \
        else f"a CI job using an action/orb/template/task matching {desc}"
    return found(_dedupe(evidence), what)


def precommit_ci(ctx: Context, value: Any) -> Outcome:
    """`pre-commit-ci = true` or `{ hook = "regex" }`: pre-commit.ci runs the hooks."""
    rx = None
    if isinstance(value, dict) and value.get("hook"):
        rx = compile_pattern(str(value["hook"]), False, ctx.user_rule)
    elif value is not True:
        raise RuleError("`pre-commit-ci` expects true or `{ hook = \"regex\" }`")
    paths = set(_model(ctx).precommit_ci)
    evidence: list[Evidence] = []
    for config in ctx.project.fact("precommit").configs:
        if config.path not in paths:
            continue
        if rx is None:
            evidence.append(Evidence(config.path, _line_of_key(ctx, config.path, "ci"),
                                     "pre-commit.ci configured (`ci:` section)"))
            continue
        for hook in config.hooks:
            if rx.search(hook.id):
                evidence.append(Evidence(hook.file, hook.line, f"pre-commit.ci runs hook `{hook.id}`"))
                break
    hook = f" with a hook matching /{value['hook']}/" if rx else ""
    return found(evidence, f"pre-commit.ci configuration (a `ci:` section in .pre-commit-config.yaml){hook}")


def _line_of_key(ctx: Context, path: str, key: str) -> int | None:
    text = ctx.project.read_text(path) or ""
    m = re.search(rf"^{re.escape(key)}\s*:", text, re.MULTILINE)
    return text.count("\n", 0, m.start()) + 1 if m else None


_RUFF_FILES = ("**/pyproject.toml", "**/ruff.toml", "**/.ruff.toml")


def _ruff_sections(path: str, data: dict) -> list[dict]:
    """Ruff tables that may hold select/ignore: [tool.ruff], [tool.ruff.lint], ruff.toml [lint]."""
    if path.endswith("pyproject.toml"):
        tool = data.get("tool")
        ruff = tool.get("ruff") if isinstance(tool, dict) else None
    else:
        ruff = data
    if not isinstance(ruff, dict):
        return []
    lint = ruff.get("lint")
    return [ruff] + ([lint] if isinstance(lint, dict) else [])


def ruff_selects(ctx: Context, value: Any) -> Outcome:
    """`ruff-selects = "S"`: a Ruff configuration selects rules with that code prefix."""
    prefix = str(value).strip().upper()
    if not re.fullmatch(r"[A-Z]+\d*", prefix):
        raise RuleError("`ruff-selects` expects a Ruff rule code or prefix such as \"S\"")
    family = re.match(r"[A-Z]+", prefix).group(0)
    selects = re.compile(rf"^{re.escape(prefix)}\d*$")
    evidence: list[Evidence] = []
    for path in ctx.project.glob(list(_RUFF_FILES)):
        data = ctx.project.toml(path)
        if not isinstance(data, dict):
            continue
        codes: list[str] = []
        ignored: list[str] = []
        for section in _ruff_sections(path, data):
            for key in ("select", "extend-select"):
                codes.extend(str(c).upper() for c in as_list(section.get(key)) if isinstance(c, str))
            for key in ("ignore", "extend-ignore"):
                ignored.extend(str(c).upper() for c in as_list(section.get(key)) if isinstance(c, str))
        family_ignored = any(i in (family, prefix) for i in ignored)
        hit = next((c for c in codes if selects.match(c) or
                    (c == "ALL" and not family_ignored) or
                    (c == family and prefix.startswith(c) and not family_ignored)), None)
        if hit:
            text = ctx.project.read_text(path) or ""
            m = re.search(rf"""["']{re.escape(hit)}["']""", text)
            line = text.count("\n", 0, m.start()) + 1 if m else None
            evidence.append(Evidence(path, line, f"Ruff selects `{hit}` ({prefix} rules)"))
    return found(evidence, f"a Ruff configuration selecting the {prefix} rules "
                           f"(`select`/`extend-select` with \"{prefix}\" or \"ALL\")")


def _dedupe(evidence: list[Evidence]) -> list[Evidence]:
    return list(dict.fromkeys(evidence))
