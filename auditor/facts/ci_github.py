"""GitHub Actions workflows -> CI jobs.

Reads `.github/workflows/*.yml`: the `on:` events (normalised trigger kinds), each job's
`run:` steps (split into commands with their lines, following `working-directory`), the
actions it `uses:` (local composite actions are opened and their `run:` steps added),
its matrix (axes referenced by `runs-on` or `setup-python` count as OS / Python axes), and
calls to local reusable workflows, whose jobs then inherit the caller's triggers.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from auditor.facts.ci import CIJob, axis_name, axis_values, base_dir, join_dir, python_version_of
from auditor.facts.ci_yaml import as_map, as_seq, key_line, load_ci_yaml, own_line, script_commands

SYSTEM = "github-actions"

_EVENTS = {
    "pull_request": "pull_request", "pull_request_target": "pull_request",
    "pull_request_review": "pull_request", "pull_request_review_comment": "pull_request",
    "schedule": "schedule", "workflow_dispatch": "manual", "repository_dispatch": "api",
    "workflow_call": "call", "workflow_run": "workflow_run", "release": "release",
    "merge_group": "merge_group",
}
_MATRIX_REF = re.compile(r"\$\{\{\s*matrix\.([\w-]+)\s*\}\}")
_EVENT_IF = re.compile(r"github\.event_name\s*==\s*['\"](\w+)['\"]")
# inputs of well-known actions that hold shell commands
_COMMAND_INPUTS = ("run", "command", "commands", "script", "inlineScript", "shell-script")
_NOT_SHELL_ACTIONS = ("actions/github-script",)


def triggers_of(on: Any) -> set[str]:
    """Normalised trigger kinds of a workflow's `on:` value."""
    if isinstance(on, str):
        events: dict[str, Any] = {on: None}
    elif isinstance(on, list):
        events = {str(e): None for e in on if isinstance(e, (str, int))}
    elif isinstance(on, dict):
        events = {str(k): v for k, v in on.items()}
    else:
        return set()
    out: set[str] = set()
    for event, cfg in events.items():
        if event == "push":
            cfg = as_map(cfg)
            tags = "tags" in cfg
            branches = any(k in cfg for k in ("branches", "branches-ignore", "paths", "paths-ignore"))
            if tags:
                out.add("tag")
            if branches or not tags or "tags-ignore" in cfg:
                out.add("push")
        else:
            out.add(_EVENTS.get(event, event))
    return out


def _event_filter(condition: Any) -> set[str] | None:
    """Trigger kinds an `if: github.event_name == 'schedule' || ...` condition allows (None: any)."""
    if not isinstance(condition, str) or "!=" in condition or "&&" in condition:
        return None
    events = _EVENT_IF.findall(condition)
    return {_EVENTS.get(e, e) for e in events} if events else None


def _matrix(job: CIJob, jd: dict) -> None:
    strategy = as_map(jd.get("strategy"))
    matrix = strategy.get("matrix")
    if not isinstance(matrix, dict):
        return
    # which axes feed runs-on and setup-python decides what they mean
    os_axes = set(_MATRIX_REF.findall(str(jd.get("runs-on", ""))))
    py_axes: set[str] = set()
    for step in as_seq(jd.get("steps")):
        step = as_map(step)
        if "setup-python" in str(step.get("uses", "")) or "setup-uv" in str(step.get("uses", "")):
            py_axes |= set(_MATRIX_REF.findall(str(as_map(step.get("with")).get("python-version", ""))))
    container = jd.get("container")
    image = container.get("image") if isinstance(container, dict) else container
    py_axes |= set(_MATRIX_REF.findall(str(image or "")))

    def name(key: str) -> str:
        if key in os_axes:
            return "os"
        if key in py_axes:
            return "python"
        return axis_name(key)

    def add(key: str, value: Any) -> None:
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for v in value:  # python: [{version: 3.10, ...}] style
                for k2, v2 in v.items():
                    add(k2 if name(k2) in ("python", "os") else key, v2)
            return
        vals = axis_values(value)
        if vals:
            axis = name(key)
            cur = job.matrix.setdefault(axis, [])
            cur.extend(v for v in vals if v not in cur)

    for key, value in matrix.items():
        if key == "include":
            for entry in as_seq(value):
                for k, v in as_map(entry).items():
                    add(str(k), v)
        elif key != "exclude":
            add(str(key), value)


def _environment(job: CIJob, jd: dict) -> None:
    job.python = list(job.matrix.get("python", []))
    job.os = list(job.matrix.get("os", []))
    if not job.os:
        runs_on = jd.get("runs-on")
        if isinstance(runs_on, str) and "${{" not in runs_on:
            job.os = [runs_on]
    if not job.python:
        for step in as_seq(jd.get("steps")):
            step = as_map(step)
            if "setup-python" in str(step.get("uses", "")):
                version = as_map(step.get("with")).get("python-version")
                if version is not None and "${{" not in str(version):
                    job.python = [v for v in str(version).split() if v]
        container = jd.get("container")
        image = container.get("image") if isinstance(container, dict) else container
        version = python_version_of(image) if isinstance(image, str) else None
        if version and not job.python:
            job.python = [version]


def _local_action(project, base: str, uses: str) -> str | None:
    path = join_dir(base, uses[2:].split("@")[0])
    for name in ("action.yml", "action.yaml"):
        rel = f"{path}/{name}" if path else name
        if project.exists(rel):
            return rel
    return None


def _steps(project, job: CIJob, steps: Any, *, file: str, base: str, default_wd: Any,
           depth: int = 0, note: str = "") -> None:
    for step in steps if isinstance(steps, list) else []:
        if not isinstance(step, dict):
            continue
        uses = step.get("uses")
        if "run" in step:
            wd = step.get("working-directory", default_wd)
            cwd = join_dir(base, wd) if isinstance(wd, str) and "${{" not in wd else base
            job.add_commands(script_commands(step.get("run"), step, "run"), file=file, cwd=cwd, note=note)
        if not isinstance(uses, str):
            continue
        job.uses.append(uses)
        inputs = as_map(step.get("with"))
        action = uses.split("@")[0].lower()
        if action.startswith("pre-commit/action"):
            extra = inputs.get("extra_args")
            text = f"pre-commit run {extra}" if isinstance(extra, str) else "pre-commit run --all-files"
            job.add_commands([(text, key_line(step, "uses"))], file=file, cwd=base, note=f"uses: {uses}")
        if not any(action.startswith(a) for a in _NOT_SHELL_ACTIONS):
            for key in _COMMAND_INPUTS:
                if isinstance(inputs.get(key), str):
                    job.add_commands(script_commands(inputs[key], inputs, key), file=file, cwd=base,
                                     note=f"uses: {uses}")
        if uses.startswith("./") and depth < 3:
            rel = _local_action(project, base, uses)
            docs = load_ci_yaml(project, rel) if rel else None
            doc = docs[0] if docs else None
            runs = as_map(as_map(doc).get("runs"))
            if runs.get("using") == "composite":
                _steps(project, job, runs.get("steps"), file=rel, base=base, default_wd=None,
                       depth=depth + 1, note=f"uses: {uses}")


def jobs(project, files: list[str]) -> list[CIJob]:
    out: list[CIJob] = []
    filters: dict[int, set[str]] = {}  # job -> trigger kinds its `if:` allows
    for rel in files:
        docs = load_ci_yaml(project, rel) or []
        doc = next((d for d in docs if isinstance(d, dict)), None)
        if doc is None:
            continue
        base = base_dir(rel)
        on = doc["on"] if "on" in doc else doc.get("true", doc.get(True))
        triggers = triggers_of(on)
        wf_wd = as_map(as_map(doc.get("defaults")).get("run")).get("working-directory")
        jobs_map = doc.get("jobs")
        if not isinstance(jobs_map, dict):
            continue
        for job_id, jd in jobs_map.items():
            if not isinstance(jd, dict):
                continue
            allowed = _event_filter(jd.get("if"))
            job = CIJob(SYSTEM, rel, str(job_id), key_line(jobs_map, job_id) or own_line(jd),
                        triggers=set(triggers) if allowed is None else triggers & allowed)
            if allowed is not None:
                filters[id(job)] = allowed
            _matrix(job, jd)
            _environment(job, jd)
            default_wd = as_map(as_map(jd.get("defaults")).get("run")).get("working-directory", wf_wd)
            _steps(project, job, jd.get("steps"), file=rel, base=base, default_wd=default_wd)
            called = jd.get("uses")
            if isinstance(called, str):
                job.uses.append(called)
                if called.startswith("./"):
                    job.calls.append(join_dir("", posixpath.join(base, called[2:]).split("@")[0]))
            out.append(job)
    _propagate_calls(out, filters)
    return out


def _propagate_calls(jobs_: list[CIJob], filters: dict[int, set[str]]) -> None:
    """Jobs of a reusable workflow run on the triggers of the workflows that call them.

    In a called workflow `github.event_name` is the caller's event, so a callee's
    `if: github.event_name == ...` filters what it inherits.
    """
    by_file: dict[str, list[CIJob]] = {}
    for job in jobs_:
        by_file.setdefault(job.file, []).append(job)
    for _ in range(4):  # chains of calls, bounded
        changed = False
        for job in jobs_:
            for target in job.calls:
                for callee in by_file.get(target, []):
                    new = (job.triggers - {"call"}) - callee.triggers
                    if id(callee) in filters:
                        new &= filters[id(callee)]
                    if new:
                        callee.triggers |= new
                        changed = True
        if not changed:
            break
