"""Azure Pipelines -> CI jobs.

Reads `stages` -> `jobs` -> `steps` (or top-level `jobs`/`steps`, one implicit job), the
`script`/`bash`/`pwsh`/`powershell` steps and the inline scripts of tasks (CmdLine, Bash,
PowerShell, AzureCLI, PythonScript), deployment jobs' strategy hooks, local `template:`
files (steps, jobs, stages and `extends`), `trigger`/`pr`/`schedules` (triggers), and
strategy matrices (axes used by `vmImage` or `UsePythonVersion` count as OS / Python).
Files used only as templates of another pipeline are not read as pipelines themselves.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from auditor.facts.ci import CIJob, axis_name, axis_values, base_dir, join_dir
from auditor.facts.ci_yaml import as_map, as_seq, item_line, key_line, load_ci_yaml, own_line, script_commands

SYSTEM = "azure-pipelines"
MAX_TEMPLATE_DEPTH = 5
_VAR_REF = re.compile(r"\$\(([\w.]+)\)|\$\{\{\s*(?:variables|parameters)\.([\w.]+)\s*\}\}")
_SHELL_KEYS = ("script", "bash", "pwsh", "powershell")
_TASK_SCRIPT_INPUTS = ("script", "inlineScript", "InlineScript")
_DEPLOY_HOOKS = ("preDeploy", "deploy", "routeTraffic", "postRouteTraffic")


def _template_path(project, spec: Any, including: str) -> str | None:
    if not isinstance(spec, str) or "@" in spec or "$" in spec:
        return None
    if spec.startswith("/"):
        cand = spec.lstrip("/")
    else:
        cand = join_dir(posixpath.dirname(including), spec)
    return cand if project.exists(cand) else None


def _doc(project, rel: str | None) -> dict:
    if not rel:
        return {}
    docs = load_ci_yaml(project, rel) or []
    return next((d for d in docs if isinstance(d, dict)), {})


def _template_refs(node: Any, depth: int = 0, out: list | None = None) -> list:
    out = [] if out is None else out
    if depth > 30 or len(out) > 500:
        return out
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "template" and isinstance(v, str):
                out.append(v)
            else:
                _template_refs(v, depth + 1, out)
    elif isinstance(node, list):
        for item in node:
            _template_refs(item, depth + 1, out)
    return out


_PARAM = re.compile(r"^\$\{\{\s*parameters\.([\w.]+)\s*\}\}$")


def _template_params(doc: dict, given: Any) -> dict:
    """A template's parameters: declared defaults (mapping or list form) overridden by the caller's."""
    out: dict = {}
    declared = doc.get("parameters")
    if isinstance(declared, dict):
        out.update(declared)
    elif isinstance(declared, list):
        out.update({p["name"]: p.get("default") for p in declared if isinstance(p, dict) and "name" in p})
    if isinstance(given, dict):
        out.update(given)
    return out


def _param(value: Any, params: dict) -> Any:
    """`${{ parameters.x }}` replaced by the template parameter's value, when known."""
    if isinstance(value, str):
        m = _PARAM.match(value.strip())
        if m and m.group(1) in params:
            return params[m.group(1)]
    return value


def triggers_of(doc: dict) -> set[str]:
    out: set[str] = set()
    trig = doc.get("trigger", ...)
    if trig is ... or trig is None:
        out.add("push")
    elif trig != "none":
        if isinstance(trig, dict) and "tags" in trig:
            out.add("tag")
            if "branches" in trig:
                out.add("push")
        else:
            out.add("push")
    pr = doc.get("pr", ...)
    if pr is ... or (pr is not None and pr != "none"):
        out.add("pull_request")
    if as_seq(doc.get("schedules")):
        out.add("schedule")
    resources = as_map(doc.get("resources"))
    for res in as_seq(resources.get("pipelines")):
        if isinstance(res, dict) and res.get("trigger") not in (None, "none", False):
            out.add("pipeline")
    return out


class _Reader:
    def __init__(self, project) -> None:
        self.project = project

    def steps(self, job: CIJob, steps: Any, rel: str, depth: int = 0) -> None:
        base = base_dir(rel)
        for i, step in enumerate(as_seq(steps)):
            if not isinstance(step, dict):
                continue
            wd = step.get("workingDirectory")
            cwd = join_dir(base, wd) if isinstance(wd, str) and "$" not in wd else base
            for key in _SHELL_KEYS:
                if isinstance(step.get(key), (str, int)):
                    job.add_commands(script_commands(step[key], step, key), file=rel, cwd=cwd)
            if isinstance(step.get("task"), str):
                self.task(job, step, rel, cwd)
            if "template" in step:
                self.template(job, step.get("template"), rel, "steps", depth, item_line(steps, i))

    def task(self, job: CIJob, step: dict, rel: str, cwd: str) -> None:
        task = step["task"]
        inputs = as_map(step.get("inputs"))
        name = task.split("@")[0].lower()
        detail = next((f"{k}: {inputs[k]}" for k in ("command", "action") if isinstance(inputs.get(k), str)), "")
        job.uses.append(f"{task} ({detail})" if detail else task)
        note = f"task: {task}"
        if name == "pythonscript":
            if inputs.get("scriptSource") == "inline":
                return  # Python code, not shell commands
            if isinstance(inputs.get("scriptPath"), str):
                text = f"python {inputs['scriptPath']} {inputs.get('arguments') or ''}".strip()
                job.add_commands([(text, key_line(step, "task"))], file=rel, cwd=cwd, note=note)
            return
        for key in _TASK_SCRIPT_INPUTS:
            if isinstance(inputs.get(key), str):
                job.add_commands(script_commands(inputs[key], inputs, key), file=rel, cwd=cwd, note=note)
        path = inputs.get("filePath") or inputs.get("scriptPath")
        if isinstance(path, str) and name in ("bash", "shellscript", "azurecli", "powershell", "cmdline"):
            text = f"{'bash' if name in ('bash', 'shellscript') else 'pwsh'} {path} {inputs.get('arguments') or ''}"
            job.add_commands([(text.strip(), key_line(step, "task"))], file=rel, cwd=cwd, note=note)

    def template(self, job: CIJob, spec: Any, rel: str, kind: str, depth: int, line: int | None) -> None:
        path = _template_path(self.project, spec, rel)
        if path is None or depth >= MAX_TEMPLATE_DEPTH:
            if isinstance(spec, str):
                job.uses.append(f"template:{spec}")
            return
        doc = _doc(self.project, path)
        self.steps(job, doc.get("steps"), path, depth + 1)

    def job(self, jd: dict, name: str, rel: str, line: int | None, triggers: set[str], pool: Any,
            params: dict | None = None) -> CIJob:
        params = params or {}
        job = CIJob(SYSTEM, rel, str(_param(name, params)), line, triggers=set(triggers))
        strategy = as_map(jd.get("strategy"))
        matrix = strategy.get("matrix")
        if isinstance(matrix, dict) and len(matrix) == 1 and "${{ insert }}" in matrix:
            matrix = next(iter(matrix.values()))  # `${{ insert }}: ${{ parameters.matrix }}`
        strategy = {**strategy, "matrix": _param(matrix, params)}
        pool = _param(jd.get("pool", pool), params)
        if isinstance(pool, dict):
            pool = {**pool, "vmImage": _param(pool.get("vmImage"), params)}
        self.matrix(job, {**jd, "pool": pool}, strategy, pool)
        self.steps(job, jd.get("steps"), rel)
        if "deployment" in jd:
            for kind in ("runOnce", "rolling", "canary"):
                hooks = as_map(strategy.get(kind))
                for hook in _DEPLOY_HOOKS:
                    self.steps(job, as_map(hooks.get(hook)).get("steps"), rel)
                on = as_map(hooks.get("on"))
                for hook in ("success", "failure"):
                    self.steps(job, as_map(on.get(hook)).get("steps"), rel)
        return job

    def matrix(self, job: CIJob, jd: dict, strategy: dict, pool: Any) -> None:
        pool = jd.get("pool", pool)
        vm = as_map(pool).get("vmImage") if isinstance(pool, dict) else None
        os_vars = {a or b for a, b in _VAR_REF.findall(str(vm or ""))}
        py_vars: set[str] = set()
        for step in as_seq(jd.get("steps")):
            if isinstance(step, dict) and str(step.get("task", "")).lower().startswith("usepythonversion"):
                spec = as_map(step.get("inputs")).get("versionSpec")
                py_vars |= {a or b for a, b in _VAR_REF.findall(str(spec or ""))}
                if spec is not None and "$" not in str(spec):
                    job.python = [str(spec)]
        matrix = strategy.get("matrix")
        if isinstance(matrix, dict):
            for variables in matrix.values():
                for var, value in as_map(variables).items():
                    axis = "os" if var in os_vars else "python" if var in py_vars else axis_name(var)
                    cur = job.matrix.setdefault(axis, [])
                    cur.extend(v for v in axis_values(value) if v not in cur)
        if job.matrix.get("python"):
            job.python = list(job.matrix["python"])
        job.os = list(job.matrix.get("os", [])) or ([str(vm)] if vm and "$" not in str(vm) else [])

    def jobs_list(self, jobs: Any, rel: str, triggers: set[str], pool: Any, depth: int,
                  out: list[CIJob], params: dict | None = None) -> None:
        for i, jd in enumerate(as_seq(jobs)):
            if not isinstance(jd, dict):
                continue
            if "template" in jd and not ("job" in jd or "deployment" in jd):
                path = _template_path(self.project, jd["template"], rel)
                if path and depth < MAX_TEMPLATE_DEPTH:
                    doc = _doc(self.project, path)
                    self.jobs_list(doc.get("jobs"), path, triggers, pool, depth + 1, out,
                                   _template_params(doc, jd.get("parameters")))
                    if "steps" in doc and "jobs" not in doc:
                        job = CIJob(SYSTEM, path, posixpath.basename(path), own_line(doc), triggers=set(triggers))
                        self.steps(job, doc.get("steps"), path, depth + 1)
                        out.append(job)
                elif isinstance(jd.get("template"), str):
                    out.append(CIJob(SYSTEM, rel, f"template {jd['template']}", item_line(jobs, i),
                                     triggers=set(triggers), uses=[f"template:{jd['template']}"]))
                continue
            name = str(jd.get("job") or jd.get("deployment") or f"job{i + 1}")
            out.append(self.job(jd, name, rel, item_line(jobs, i), triggers, pool, params))

    def stages_list(self, stages: Any, rel: str, triggers: set[str], pool: Any, depth: int,
                    out: list[CIJob]) -> None:
        for sd in as_seq(stages):
            if not isinstance(sd, dict):
                continue
            if "template" in sd and "stage" not in sd:
                path = _template_path(self.project, sd["template"], rel)
                if path and depth < MAX_TEMPLATE_DEPTH:
                    doc = _doc(self.project, path)
                    self.pipeline_body(doc, path, triggers, pool, depth + 1, out)
                elif isinstance(sd.get("template"), str):
                    out.append(CIJob(SYSTEM, rel, f"template {sd['template']}", own_line(sd),
                                     triggers=set(triggers), uses=[f"template:{sd['template']}"]))
                continue
            self.jobs_list(sd.get("jobs"), rel, triggers, sd.get("pool", pool), depth, out)

    def pipeline_body(self, doc: dict, rel: str, triggers: set[str], pool: Any, depth: int,
                      out: list[CIJob]) -> None:
        pool = doc.get("pool", pool)
        if "stages" in doc:
            self.stages_list(doc.get("stages"), rel, triggers, pool, depth, out)
        if "jobs" in doc:
            self.jobs_list(doc.get("jobs"), rel, triggers, pool, depth, out)
        if "steps" in doc:
            out.append(self.job(doc, "(pipeline)", rel, key_line(doc, "steps"), triggers, pool))
        extends = as_map(doc.get("extends"))
        if "template" in extends:
            path = _template_path(self.project, extends["template"], rel)
            if path and depth < MAX_TEMPLATE_DEPTH:
                self.pipeline_body(_doc(self.project, path), path, triggers, pool, depth + 1, out)
            elif isinstance(extends["template"], str):
                out.append(CIJob(SYSTEM, rel, f"extends {extends['template']}", key_line(doc, "extends"),
                                 triggers=set(triggers), uses=[f"template:{extends['template']}"]))


def jobs(project, files: list[str]) -> list[CIJob]:
    reader = _Reader(project)
    referenced: set[str] = set()
    for rel in files:
        for spec in _template_refs(_doc(project, rel)):
            path = _template_path(project, spec, rel)
            if path and path != rel:
                referenced.add(path)
    out: list[CIJob] = []
    for rel in files:
        if rel in referenced:
            continue
        doc = _doc(project, rel)
        if doc:
            reader.pipeline_body(doc, rel, triggers_of(doc), None, 0, out)
    return out
