"""CircleCI, Travis, Bitbucket, Buildkite, Drone, Woodpecker, Cloud Build, CodeBuild,
Tekton and Prow -> CI jobs.

Each reader takes the configuration files of its system and returns `CIJob`s with the
commands the file shows, the triggers it declares (settings kept outside the repository,
such as Travis cron jobs, are invisible and not guessed), its matrix and what it uses
(orbs, pipes, plugins, deploy providers). Every reader tolerates wrongly shaped YAML.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from auditor.facts.ci import CIJob, axis_values, merge_axes, python_version_of
from auditor.facts.ci_yaml import (
    as_map,
    as_seq,
    item_line,
    key_line,
    load_ci_yaml,
    own_line,
    script_commands,
    split_script,
    value_line,
)


def _first_doc(project, rel: str) -> dict:
    docs = load_ci_yaml(project, rel) or []
    return next((d for d in docs if isinstance(d, dict)), {})


def _dict_docs(project, rel: str) -> list[dict]:
    return [d for d in load_ci_yaml(project, rel) or [] if isinstance(d, dict)]


def _add_python(job: CIJob, image: Any) -> None:
    if isinstance(image, dict):
        image = image.get("name") or image.get("image")
    version = python_version_of(image) if isinstance(image, str) else None
    if version and version not in job.python:
        job.python.append(version)


def _finish_env(job: CIJob) -> None:
    for v in job.matrix.get("python", []):
        if v not in job.python:
            job.python.append(v)
    for v in job.matrix.get("os", []):
        if v not in job.os:
            job.os.append(v)


# ---------------------------------------------------------------- CircleCI

_PARAM_REF = re.compile(r"<<\s*(?:pipeline\.)?parameters\.([\w-]+)\s*>>")


def _circle_steps(job: CIJob, steps: Any, rel: str, commands: dict, orbs: dict, depth: int = 0) -> None:
    if depth > 5:
        return
    for i, step in enumerate(as_seq(steps)):
        if isinstance(step, str):
            name, cfg = step, None
        elif isinstance(step, dict) and len(step) >= 1:
            name, cfg = next(iter(step.items()))
        else:
            continue
        name = str(name)
        if name == "run":
            if isinstance(cfg, dict):
                job.add_commands(script_commands(cfg.get("command"), cfg, "command"), file=rel)
            else:
                job.add_commands(script_commands(cfg, step, "run"), file=rel)
        elif name in ("when", "unless"):
            _circle_steps(job, as_map(cfg).get("steps"), rel, commands, orbs, depth + 1)
        elif name in commands and isinstance(commands[name], dict):
            _circle_steps(job, commands[name].get("steps"), rel, commands, orbs, depth + 1)
        elif "/" in name:
            alias, _, command = name.partition("/")
            orb = orbs.get(alias)
            job.uses.append(f"{orb if isinstance(orb, str) else alias} {command}")


def circleci_jobs(project, files: list[str]) -> list[CIJob]:
    out: list[CIJob] = []
    for rel in files:
        doc = _first_doc(project, rel)
        orbs = {str(k): v for k, v in as_map(doc.get("orbs")).items()}
        commands = as_map(doc.get("commands"))
        jobdefs = as_map(doc.get("jobs"))
        executors = as_map(doc.get("executors"))
        workflows = {k: v for k, v in as_map(doc.get("workflows")).items() if isinstance(v, dict)}
        usage: dict[str, dict[str, Any]] = {}
        for wf in workflows.values():
            scheduled = any(isinstance(t, dict) and "schedule" in t for t in as_seq(wf.get("triggers")))
            when = str(wf.get("when", ""))
            if "scheduled_pipeline" in when and "not" not in when:
                scheduled = True
            triggers = {"schedule"} if scheduled else {"push"}
            jobs_seq = wf.get("jobs")
            for i, entry in enumerate(as_seq(jobs_seq)):
                if isinstance(entry, str):
                    name, cfg = entry, {}
                elif isinstance(entry, dict) and entry:
                    name, cfg = next(iter(entry.items()))
                    cfg = as_map(cfg)
                else:
                    continue
                name = str(name)
                u = usage.setdefault(name, {"triggers": set(), "matrix": {}, "line": item_line(jobs_seq, i)})
                u["triggers"] |= triggers
                if "tags" in as_map(cfg.get("filters")):
                    u["triggers"].add("tag")
                if cfg.get("type") == "approval":
                    u["triggers"] = {"manual"}
                for k, v in as_map(as_map(cfg.get("matrix")).get("parameters")).items():
                    u["matrix"].setdefault(str(k), [])
                    u["matrix"][str(k)].extend(axis_values(v))
        for name, jd in jobdefs.items():
            if not isinstance(jd, dict):
                continue
            job = CIJob("circleci", rel, str(name), key_line(jobdefs, name))
            u = usage.get(str(name))
            job.triggers = set(u["triggers"]) if u else (set() if workflows else {"push"})
            _circle_steps(job, jd.get("steps"), rel, commands, orbs)
            images = [as_map(d).get("image") for d in as_seq(jd.get("docker"))]
            executor = jd.get("executor")
            ex_name = executor.get("name") if isinstance(executor, dict) else executor
            if isinstance(ex_name, str) and isinstance(executors.get(ex_name), dict):
                images += [as_map(d).get("image") for d in as_seq(executors[ex_name].get("docker"))]
            elif isinstance(ex_name, str) and "/" in ex_name:
                job.uses.append(f"{orbs.get(ex_name.split('/')[0], ex_name)} executor")
            image_params = {p for img in images for p in _PARAM_REF.findall(str(img))}
            for k, v in (u["matrix"] if u else {}).items():
                is_py = k in image_params and any("python" in str(img) for img in images)
                merge_axes(job.matrix, "python" if is_py else k, v)
            for img in images:
                _add_python(job, img)
            if "machine" in jd or "macos" in jd:
                job.os.append("macos" if "macos" in jd else "linux-machine")
            _finish_env(job)
            out.append(job)
        for name, u in usage.items():
            if name not in jobdefs and "/" in name:  # a job provided by an orb
                alias, _, orb_job = name.partition("/")
                orb = orbs.get(alias)
                job = CIJob("circleci", rel, name, u["line"], triggers=set(u["triggers"]),
                            uses=[f"{orb if isinstance(orb, str) else alias} {orb_job}"])
                for k, v in u["matrix"].items():
                    merge_axes(job.matrix, k, v)
                _finish_env(job)
                out.append(job)
    return out


# ---------------------------------------------------------------- Travis

_TRAVIS_PHASES = ("before_install", "install", "before_script", "script", "after_success",
                  "after_failure", "before_deploy", "after_script")


def _travis_commands(job: CIJob, cfg: dict, rel: str, fallback: dict | None = None) -> None:
    cwd = None
    for phase in _TRAVIS_PHASES:
        src = cfg if phase in cfg else (fallback or {})
        if phase in src:
            cwd = job.add_commands(script_commands(src[phase], src, phase), file=rel, cwd=cwd)
    for dep in as_seq(cfg.get("deploy")):
        if isinstance(dep, dict):
            job.uses.append(f"deploy:{dep.get('provider', 'unknown')}")
            if dep.get("provider") == "script":
                job.add_commands(script_commands(dep.get("script"), dep, "script"), file=rel)


def _travis_triggers(cfg: dict, default: set[str]) -> set[str]:
    cond = cfg.get("if")
    if isinstance(cond, str) and re.search(r"\btype\s*(?:=|==|IN\s*\()\s*\(?[^)]*\bcron\b", cond, re.IGNORECASE):
        return {"schedule"}
    return set(default)


def travis_jobs(project, files: list[str]) -> list[CIJob]:
    out: list[CIJob] = []
    for rel in files:
        doc = _first_doc(project, rel)
        if not doc:
            continue
        main = CIJob("travis", rel, "build", own_line(doc) or 1,
                     triggers=_travis_triggers(doc, {"push", "pull_request"}))
        for key in ("python", "os"):
            merge_axes(main.matrix, key, axis_values(doc.get(key)))
        _travis_commands(main, doc, rel)
        extra: list[CIJob] = []
        for section in (as_map(doc.get("jobs")), as_map(doc.get("matrix"))):
            include = section.get("include")
            for i, entry in enumerate(as_seq(include)):
                if not isinstance(entry, dict):
                    continue
                for key in ("python", "os"):
                    merge_axes(main.matrix, key, axis_values(entry.get(key)))
                if any(p in entry for p in _TRAVIS_PHASES) or "deploy" in entry:
                    name = str(entry.get("name") or entry.get("stage") or f"include {i + 1}")
                    job = CIJob("travis", rel, name, item_line(include, i),
                                triggers=_travis_triggers(entry, main.triggers))
                    for key in ("python", "os"):
                        merge_axes(job.matrix, key, axis_values(entry.get(key, doc.get(key))))
                    _travis_commands(job, entry, rel, fallback=doc)
                    _finish_env(job)
                    extra.append(job)
        _finish_env(main)
        out.append(main)
        out.extend(extra)
    return out


# ---------------------------------------------------------------- Bitbucket Pipelines

_BB_SECTIONS = {"default": {"push"}, "branches": {"push"}, "bookmarks": {"push"}, "tags": {"tag"},
                "pull-requests": {"pull_request"}, "custom": {"manual"}}


def _bb_items(items: Any, depth: int = 0):
    """Steps of a pipeline list: `- step:`, `- parallel:` (list or {steps}), `- stage:`."""
    if depth > 5:
        return
    for item in as_seq(items):
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("step"), dict):
            yield item["step"]
        if "parallel" in item:
            par = item["parallel"]
            yield from _bb_items(par.get("steps") if isinstance(par, dict) else par, depth + 1)
        if isinstance(item.get("stage"), dict):
            yield from _bb_items(item["stage"].get("steps"), depth + 1)


def bitbucket_jobs(project, files: list[str]) -> list[CIJob]:
    out: list[CIJob] = []
    for rel in files:
        doc = _first_doc(project, rel)
        default_image = doc.get("image")
        pipelines = as_map(doc.get("pipelines"))
        for section, value in pipelines.items():
            triggers = _BB_SECTIONS.get(str(section), {"push"})
            groups = [(str(section), value)] if isinstance(value, list) else \
                [(f"{section}:{k}", v) for k, v in as_map(value).items()]
            for group, items in groups:
                for n, step in enumerate(_bb_items(items), start=1):
                    name = str(step.get("name") or f"{group} step {n}")
                    job = CIJob("bitbucket-pipelines", rel, name, own_line(step),
                                triggers={"manual"} if step.get("trigger") == "manual" else set(triggers))
                    for key in ("script", "after-script"):
                        seq = step.get(key)
                        job.add_commands(script_commands(seq, step, key), file=rel)
                        for item in as_seq(seq):
                            if isinstance(item, dict) and isinstance(item.get("pipe"), str):
                                job.uses.append(item["pipe"])
                    _add_python(job, step.get("image", default_image))
                    out.append(job)
    return out


# ---------------------------------------------------------------- Buildkite

def _bk_steps(steps: Any, depth: int = 0):
    if depth > 5:
        return
    for i, step in enumerate(as_seq(steps)):
        if isinstance(step, dict):
            if "group" in step and "steps" in step:
                yield from _bk_steps(step.get("steps"), depth + 1)
            else:
                yield step, item_line(steps, i)


def buildkite_jobs(project, files: list[str]) -> list[CIJob]:
    out: list[CIJob] = []
    for rel in files:
        for doc in load_ci_yaml(project, rel) or []:
            steps = doc.get("steps") if isinstance(doc, dict) else doc
            for n, (step, line) in enumerate(_bk_steps(steps), start=1):
                if not any(k in step for k in ("command", "commands", "plugins", "trigger")):
                    continue
                name = str(step.get("label") or step.get("name") or step.get("key") or f"step {n}")
                cond = str(step.get("if", ""))
                triggers = {"schedule"} if re.search(r"build\.source\s*==\s*['\"]schedule", cond) else {"push"}
                job = CIJob("buildkite", rel, name, line, triggers=triggers)
                for key in ("command", "commands"):
                    if key in step:
                        job.add_commands(script_commands(step[key], step, key), file=rel)
                for plugin in as_seq(step.get("plugins")):
                    names = plugin.keys() if isinstance(plugin, dict) else [plugin]
                    job.uses.extend(str(p) for p in names if isinstance(p, str))
                if isinstance(step.get("trigger"), str):
                    job.uses.append(f"pipeline:{step['trigger']}")
                matrix = step.get("matrix")
                if isinstance(matrix, list):
                    merge_axes(job.matrix, "matrix", axis_values(matrix))
                elif isinstance(matrix, dict):
                    for k, v in as_map(matrix.get("setup")).items():
                        merge_axes(job.matrix, str(k), axis_values(v))
                _finish_env(job)
                out.append(job)
    return out


# ---------------------------------------------------------------- Drone and Woodpecker

_EVENT_KINDS = {"push": "push", "pull_request": "pull_request", "pull-request": "pull_request",
                "tag": "tag", "cron": "schedule", "promote": "manual", "deployment": "manual",
                "rollout": "manual", "manual": "manual", "custom": "api", "release": "release"}


def _events(when: Any) -> set[str]:
    out: set[str] = set()
    for cond in as_seq(when):
        if isinstance(cond, dict):
            for ev in as_seq(cond.get("event")):
                out.add(_EVENT_KINDS.get(str(ev), str(ev)))
            if cond.get("cron"):
                out.add("schedule")
    return out


def _step_list(steps: Any) -> list[tuple[str, dict, int | None]]:
    if isinstance(steps, dict):
        return [(str(k), v, key_line(steps, k)) for k, v in steps.items() if isinstance(v, dict)]
    return [(str(s.get("name", f"step {i + 1}")), s, item_line(steps, i))
            for i, s in enumerate(as_seq(steps)) if isinstance(s, dict)]


def _pipeline_job(system: str, rel: str, doc: dict, name: str, line: int | None,
                  triggers: set[str]) -> CIJob:
    job = CIJob(system, rel, name, line, triggers=triggers)
    steps = doc.get("steps", doc.get("pipeline"))
    for _step_name, step, _line in _step_list(steps):
        for key in ("commands", "command"):
            if key in step:
                job.add_commands(script_commands(step[key], step, key), file=rel)
        if "plugin" in step or ("image" in step and "commands" not in step and "settings" in step):
            job.uses.append(str(step.get("plugin") or step.get("image")))
        _add_python(job, step.get("image"))
    return job


def drone_jobs(project, files: list[str]) -> list[CIJob]:
    out: list[CIJob] = []
    for rel in files:
        for doc in _dict_docs(project, rel):
            if doc.get("kind", "pipeline") != "pipeline":
                continue
            trigger = doc.get("trigger")
            triggers = _events(trigger) if trigger else {"push", "pull_request", "tag"}
            if not triggers and trigger:
                triggers = {"push", "pull_request", "tag"}
            job = _pipeline_job("drone", rel, doc, str(doc.get("name", "default")), own_line(doc), triggers)
            platform = as_map(doc.get("platform")).get("os")
            if platform:
                job.os.append(str(platform))
            _finish_env(job)
            out.append(job)
    return out


def woodpecker_jobs(project, files: list[str]) -> list[CIJob]:
    out: list[CIJob] = []
    for rel in files:
        for doc in _dict_docs(project, rel):
            when = doc.get("when")
            triggers = _events(when) if when else set()
            if not triggers:
                triggers = {"push", "pull_request", "tag"}
            step_events = set()
            for _n, step, _l in _step_list(doc.get("steps", doc.get("pipeline"))):
                step_events |= _events(step.get("when"))
            if "schedule" in step_events:
                triggers.add("schedule")
            job = _pipeline_job("woodpecker", rel, doc, posixpath.basename(rel), own_line(doc), triggers)
            matrix = as_map(doc.get("matrix"))
            for k, v in matrix.items():
                if k == "include":
                    for entry in as_seq(v):
                        for k2, v2 in as_map(entry).items():
                            merge_axes(job.matrix, str(k2), axis_values(v2))
                else:
                    merge_axes(job.matrix, str(k), axis_values(v))
            _finish_env(job)
            out.append(job)
    return out


# ---------------------------------------------------------------- Google Cloud Build, AWS CodeBuild

def _image_tool(image: str) -> str:
    base = image.rsplit("/", 1)[-1].split("@")[0].split(":")[0]
    return base or image


def _container_commands(command: Any, args: Any, line: int | None) -> list[tuple[str, int | None]]:
    """A container's `command` + `args` as shell commands (`bash -c SCRIPT` is split)."""
    cmd = [str(c) for c in as_seq(command) if isinstance(c, (str, int, float))]
    arg = [str(a) for a in as_seq(args) if isinstance(a, (str, int, float))]
    words = cmd + arg
    for i, w in enumerate(words[:-1]):
        if w in ("-c", "-ec", "-ce", "-xc", "-exc", "-euc", "-eux", "-euxc") and \
                _image_tool(words[0]) in ("bash", "sh", "ash", "zsh", "dash"):
            return split_script(words[i + 1], line)
    return [(" ".join(words), line)] if words else []


def cloudbuild_jobs(project, files: list[str]) -> list[CIJob]:
    out: list[CIJob] = []
    for rel in files:
        doc = (project.json(rel) if rel.endswith(".json") else _first_doc(project, rel)) or {}
        if not isinstance(doc, dict):
            continue
        job = CIJob("cloud-build", rel, posixpath.basename(rel), own_line(doc) or 1)
        steps = doc.get("steps")
        for i, step in enumerate(as_seq(steps)):
            if not isinstance(step, dict):
                continue
            line = item_line(steps, i)
            image = str(step.get("name", ""))
            if isinstance(step.get("script"), str):
                job.add_commands(script_commands(step["script"], step, "script"), file=rel)
                continue
            entry = step.get("entrypoint") or _image_tool(image)
            job.add_commands(_container_commands(entry, step.get("args"), value_line(step, "args") or line),
                             file=rel)
            _add_python(job, image)
        images = doc.get("images")
        for i, image in enumerate(as_seq(images)):
            if isinstance(image, str):
                job.add_commands([(f"docker push {image}", item_line(images, i))], file=rel,
                                 note="Cloud Build `images:` are pushed after the build")
        out.append(job)
    return out


def codebuild_jobs(project, files: list[str]) -> list[CIJob]:
    out: list[CIJob] = []
    for rel in files:
        doc = _first_doc(project, rel)
        phases = as_map(doc.get("phases"))
        if not phases:
            continue
        job = CIJob("codebuild", rel, posixpath.basename(rel), key_line(doc, "phases"))
        cwd = None
        for phase in ("install", "pre_build", "build", "post_build"):
            cfg = as_map(phases.get(phase))
            for key in ("commands", "finally"):
                if key in cfg:
                    cwd = job.add_commands(script_commands(cfg[key], cfg, key), file=rel, cwd=cwd)
            runtimes = as_map(cfg.get("runtime-versions"))
            if "python" in runtimes:
                job.python.append(str(runtimes["python"]))
        out.append(job)
    return out


# ---------------------------------------------------------------- Tekton and Prow

def _tekton_steps(job: CIJob, steps: Any, rel: str) -> None:
    for i, step in enumerate(as_seq(steps)):
        if not isinstance(step, dict):
            continue
        if isinstance(step.get("script"), str):
            job.add_commands(script_commands(step["script"], step, "script"), file=rel)
        elif "command" in step or "args" in step:
            job.add_commands(_container_commands(step.get("command"), step.get("args"), item_line(steps, i)),
                             file=rel)
        _add_python(job, step.get("image"))


def tekton_jobs(project, files: list[str]) -> list[CIJob]:
    out: list[CIJob] = []
    for rel in files:
        for doc in _dict_docs(project, rel):
            if "tekton.dev" not in str(doc.get("apiVersion", "")):
                continue
            kind = str(doc.get("kind", ""))
            meta = as_map(doc.get("metadata"))
            spec = as_map(doc.get("spec"))
            annotations = as_map(meta.get("annotations"))
            on_event = str(annotations.get("pipelinesascode.tekton.dev/on-event", ""))
            cel = str(annotations.get("pipelinesascode.tekton.dev/on-cel-expression", ""))
            triggers = {k for k in ("push", "pull_request") if k in on_event or f'"{k}"' in cel}
            if "incoming" in on_event or "incoming" in cel:
                triggers.add("api")
            job = CIJob("tekton", rel, f"{kind} {meta.get('name', '')}".strip(), own_line(doc), triggers=triggers)
            if kind in ("Task", "ClusterTask"):
                _tekton_steps(job, spec.get("steps"), rel)
            elif kind == "TaskRun":
                _tekton_steps(job, as_map(spec.get("taskSpec")).get("steps"), rel)
            else:
                pipeline = as_map(spec.get("pipelineSpec")) if kind == "PipelineRun" else spec
                for task in as_seq(pipeline.get("tasks")) + as_seq(pipeline.get("finally")):
                    task = as_map(task)
                    _tekton_steps(job, as_map(task.get("taskSpec")).get("steps"), rel)
                    ref = as_map(task.get("taskRef"))
                    if ref.get("name"):
                        job.uses.append(f"task:{ref['name']}")
                    elif ref.get("resolver"):
                        params = {as_map(p).get("name"): as_map(p).get("value") for p in as_seq(ref.get("params"))}
                        job.uses.append(f"{ref['resolver']}:{params.get('name') or params.get('url') or ''}")
            out.append(job)
    return out


def prow_jobs(project, files: list[str]) -> list[CIJob]:
    out: list[CIJob] = []
    kinds = {"presubmits": {"pull_request"}, "postsubmits": {"push"}, "periodics": {"schedule"}}
    for rel in files:
        doc = _first_doc(project, rel)
        for kind, triggers in kinds.items():
            section = doc.get(kind)
            groups = list(section.values()) if isinstance(section, dict) else [section]
            for group in groups:
                for i, jd in enumerate(as_seq(group)):
                    if not isinstance(jd, dict):
                        continue
                    job = CIJob("prow", rel, str(jd.get("name", f"{kind} {i + 1}")), item_line(group, i),
                                triggers=set(triggers))
                    for c in as_seq(as_map(jd.get("spec")).get("containers")):
                        c = as_map(c)
                        job.add_commands(_container_commands(c.get("command"), c.get("args"), own_line(c)),
                                         file=rel)
                        _add_python(job, c.get("image"))
                    out.append(job)
    return out
