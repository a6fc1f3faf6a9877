"""GitLab CI pipelines -> CI jobs.

A pipeline is a `.gitlab-ci.yml` plus the local files it `include:`s (transitively, as
GitLab merges them) and the child pipelines its jobs `trigger:`. Jobs are the top-level
keys that are not keywords and not hidden (`.name`); each is resolved through `extends`
(deep merge, as GitLab does) and `!reference` tags, and inherits `default:` /
global `before_script` and `after_script`. Triggers come from `rules: - if:
$CI_PIPELINE_SOURCE ...` and `only`/`except`; the matrix from `parallel: matrix:`.
Remote, template, project and component includes become jobs that only `use` them
(their content is not visible).
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from auditor.facts.ci import CIJob, axis_values, join_dir, merge_axes, python_version_of
from auditor.facts.ci_yaml import (
    LMap,
    LSeq,
    Reference,
    as_map,
    as_seq,
    is_folded,
    item_line,
    key_line,
    load_ci_yaml,
    split_script,
    value_line,
)

SYSTEM = "gitlab-ci"
RESERVED = {"image", "services", "stages", "types", "before_script", "after_script", "variables",
            "cache", "include", "default", "workflow", "spec"}
MAX_INCLUDE_DEPTH = 10
MAX_EXTENDS_DEPTH = 11

_SOURCES = {
    "push": "push", "merge_request_event": "pull_request", "external_pull_request_event": "pull_request",
    "schedule": "schedule", "web": "manual", "api": "api", "trigger": "api", "pipeline": "call",
    "parent_pipeline": "call", "chat": "manual", "webide": "manual",
}
_ONLY = {
    "schedules": "schedule", "tags": "tag", "merge_requests": "pull_request",
    "external_pull_requests": "pull_request", "web": "manual", "api": "api", "triggers": "api",
    "pipelines": "call", "chat": "manual", "pushes": "push", "branches": "push",
}
_SOURCE_IF = re.compile(r"\$\{?CI_PIPELINE_SOURCE\}?\s*(==|!=)\s*[\"']?(\w+)")


def _docs(project, rel: str) -> dict:
    """The merged mapping of a GitLab file (a `spec:` header document is skipped)."""
    merged: dict = LMap()
    for doc in load_ci_yaml(project, rel) or []:
        if isinstance(doc, dict) and not (set(doc) <= {"spec"}):
            merged = doc if not merged else {**merged, **doc}
    return merged


def _local_targets(project, spec: Any, including: str) -> list[str]:
    """Files named by a local include (`'/ci/a.yml'`, `{local: 'ci/*.yml'}`), as tree paths."""
    if not isinstance(spec, str) or "://" in spec or "$" in spec:
        return []
    path = spec.strip().lstrip("/")
    candidates = [path]
    sub = posixpath.dirname(including)
    if sub and not spec.startswith("/"):
        candidates.append(join_dir(sub, path))
    if any(c in path for c in "*?["):
        for cand in candidates:
            hits = [f for f in project.glob(cand) if f.endswith((".yml", ".yaml"))]
            if hits:
                return hits
        return []
    for cand in candidates:
        if project.exists(cand):
            return [cand]
    # a monorepo subproject: includes are relative to the GitLab project's root
    if sub and project.exists(join_dir(sub, path)):
        return [join_dir(sub, path)]
    return []


def _include_entries(doc: dict) -> list[Any]:
    inc = doc.get("include")
    return list(as_seq(inc)) if not isinstance(inc, dict) else [inc]


def _includes(project, doc: dict, rel: str) -> tuple[list[str], list[tuple[str, int | None]]]:
    """(local files, [(remote/template/project/component use, line)]) of one file's `include:`."""
    local: list[str] = []
    uses: list[tuple[str, int | None]] = []
    inc = doc.get("include")
    entries = _include_entries(doc)
    for i, entry in enumerate(entries):
        line = item_line(inc, i) if isinstance(inc, list) else key_line(doc, "include")
        if isinstance(entry, str):
            if "://" in entry:
                uses.append((f"remote:{entry}", line))
            else:
                local.extend(_local_targets(project, entry, rel))
        elif isinstance(entry, dict):
            if "local" in entry:
                local.extend(_local_targets(project, entry.get("local"), rel))
            if "template" in entry:
                uses.append((f"template:{entry['template']}", line))
            if "remote" in entry:
                uses.append((f"remote:{entry['remote']}", line))
            if "component" in entry:
                uses.append((f"component:{entry['component']}", line))
            if "project" in entry:
                files = [f for f in as_seq(entry.get("file")) if isinstance(f, str)]
                for f in files or [""]:
                    uses.append((f"project:{entry['project']}:{f}".rstrip(":"), line))
    return local, uses


def pipeline_files(project, root: str) -> list[str]:
    """The root file and every local file it includes, transitively (include order, root last)."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(rel: str, depth: int) -> None:
        if rel in seen or depth > MAX_INCLUDE_DEPTH:
            return
        seen.add(rel)
        doc = _docs(project, rel)
        for child in _includes(project, doc, rel)[0]:
            visit(child, depth + 1)
        order.append(rel)

    visit(root, 0)
    return order


def roots(project, files: list[str]) -> list[str]:
    roots = [f for f in files if posixpath.basename(f) in (".gitlab-ci.yml", ".gitlab-ci.yaml")]
    included: set[str] = set()
    for root in roots:
        included.update(f for f in pipeline_files(project, root) if f != root)
    return [r for r in roots if r not in included]


def all_files(project, roots: list[str]) -> list[str]:
    """Every GitLab file of the pipelines rooted at `roots` (for CI001 evidence)."""
    out: list[str] = []
    for root in roots:
        for f in pipeline_files(project, root):
            if f not in out:
                out.append(f)
    for f in list(out):
        for child in _child_pipelines(project, f):
            for g in pipeline_files(project, child):
                if g not in out:
                    out.append(g)
    return out


def _child_pipelines(project, rel: str) -> list[str]:
    doc = _docs(project, rel)
    out: list[str] = []
    for jd in doc.values():
        if isinstance(jd, dict) and isinstance(jd.get("trigger"), dict):
            inc = jd["trigger"].get("include")
            for entry in as_seq(inc) if not isinstance(inc, dict) else [inc]:
                spec = entry.get("local") if isinstance(entry, dict) else entry
                out.extend(_local_targets(project, spec, rel))
    return out


# ---------------------------------------------------------------- merging and resolution

def _deep_merge(base: Any, over: Any) -> Any:
    """GitLab's `extends` merge: mappings merge key by key, everything else is replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = LMap(base)
        if isinstance(base, LMap):
            out.key_lines.update(base.key_lines)
            out.value_lines.update(base.value_lines)
            out.value_styles.update(base.value_styles)
            out.line = base.line
        for k, v in over.items():
            out[k] = _deep_merge(base.get(k), v)
            if isinstance(over, LMap):
                out.key_lines[k] = over.key_lines.get(k)
                out.value_lines[k] = over.value_lines.get(k)
                out.value_styles[k] = over.value_styles.get(k)
        return out
    return over


class _Pipeline:
    """Definitions of one pipeline: key -> (mapping, defining file)."""

    def __init__(self, project, files: list[str]) -> None:
        self.defs: dict[str, tuple[Any, str, dict]] = {}
        self.order: list[str] = []
        for rel in files:
            doc = _docs(project, rel)
            for key, value in doc.items():
                if key not in self.defs:
                    self.order.append(key)
                prev = self.defs.get(key)
                merged = _deep_merge(prev[0], value) if prev and key not in RESERVED else value
                self.defs[key] = (merged, rel, doc)

    def get(self, key: str) -> Any:
        entry = self.defs.get(key)
        return entry[0] if entry else None

    def resolve(self, name: str, depth: int = 0, seen: frozenset[str] = frozenset()) -> tuple[dict, dict]:
        """(job mapping after `extends`, key -> (file, container) that defined each key)."""
        entry = self.defs.get(name)
        if entry is None or not isinstance(entry[0], dict):
            return {}, {}
        jd, rel, _doc = entry
        result: dict = {}
        sources: dict[str, tuple[str, Any]] = {}
        if depth < MAX_EXTENDS_DEPTH:
            for parent in as_seq(jd.get("extends")):
                if isinstance(parent, str) and parent not in seen and parent != name:
                    pd, ps = self.resolve(parent, depth + 1, seen | {name})
                    result = _deep_merge(result, pd)
                    sources.update(ps)
        for key, value in jd.items():
            if key == "extends":
                continue
            result = _deep_merge(result, LMap({key: value}))
            sources[key] = (rel, jd)
        return result, sources

    def dereference(self, ref: list, depth: int) -> tuple[Any, str, Any, Any]:
        """The value a `!reference [.job, key, ...]` names: (value, file, container, key)."""
        if not ref or not isinstance(ref[0], str) or depth > 10:
            return None, "", None, None
        entry = self.defs.get(ref[0])
        if entry is None:
            return None, "", None, None
        cur, rel = entry[0], entry[1]
        container, key = None, None
        for part in ref[1:]:
            if not isinstance(cur, dict) or part not in cur:
                return None, "", None, None
            container, key, cur = cur, part, cur[part]
        return cur, rel, container, key


def _script(pipe: _Pipeline, value: Any, container: Any, key: Any, rel: str, depth: int = 0,
            out: list | None = None) -> list[tuple[str, int | None, str]]:
    """(command, line, file) of a script value: string, nested lists, `!reference`s."""
    out = [] if out is None else out
    if depth > 10 or len(out) > 2000:
        return out
    if isinstance(value, Reference):
        v, vrel, vcont, vkey = pipe.dereference(list(value), depth)
        if vrel:
            _script(pipe, v, vcont, vkey, vrel, depth + 1, out)
        return out
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        for text, line in split_script(str(value), value_line(container, key), folded=is_folded(container, key)):
            out.append((text, line, rel))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, list):
                if isinstance(item, Reference):
                    _script(pipe, item, None, None, rel, depth + 1, out)
                else:
                    _script(pipe, item, None, None, rel, depth + 1, out)
            elif isinstance(item, (str, int, float)) and not isinstance(item, bool):
                style = value.item_styles[i] if isinstance(value, LSeq) and i < len(value.item_styles) else None
                for text, line in split_script(str(item), item_line(value, i), folded=style == ">"):
                    out.append((text, line, rel))
    return out


def _expand_rules(pipe: _Pipeline, rules: Any, depth: int = 0) -> Any:
    """`rules` with `!reference [.x, rules]` items (or value) spliced in, as GitLab does."""
    if depth > 10:
        return []
    if isinstance(rules, Reference):
        return _expand_rules(pipe, pipe.dereference(list(rules), depth)[0], depth + 1)
    if not isinstance(rules, list):
        return rules
    out: list = []
    for rule in rules:
        if isinstance(rule, list):
            expanded = _expand_rules(pipe, rule, depth + 1)
            out.extend(expanded if isinstance(expanded, list) else [])
        else:
            out.append(rule)
    return out


def _triggers(jd: dict) -> set[str]:
    if jd.get("when") == "manual":
        return {"manual"}
    rules = jd.get("rules")
    if isinstance(rules, list):
        out: set[str] = set()
        for rule in rules:
            if not isinstance(rule, dict) or rule.get("when") == "never":
                continue
            cond = rule.get("if")
            kinds: set[str] = set()
            if isinstance(cond, str):
                for op, source in _SOURCE_IF.findall(cond):
                    if op == "==":
                        kinds.add(_SOURCES.get(source, source))
                if not kinds:
                    if "CI_COMMIT_TAG" in cond and "!$CI_COMMIT_TAG" not in cond and "== null" not in cond:
                        kinds.add("tag")
                    elif "CI_MERGE_REQUEST" in cond:
                        kinds.add("pull_request")
                    else:
                        kinds.add("push")
            else:
                kinds.add("push")
            if rule.get("when") == "manual":
                kinds = {"manual"}
            out |= kinds
        return out
    only, exc = jd.get("only"), jd.get("except")
    if only is not None:
        refs = only.get("refs") if isinstance(only, dict) else only
        out = {_ONLY.get(str(r), "push") for r in as_seq(refs)} if refs is not None else {"push", "tag"}
    else:
        out = {"push", "tag"}
    if exc is not None:
        refs = exc.get("refs") if isinstance(exc, dict) else exc
        for r in as_seq(refs):
            if str(r) in _ONLY and str(r) not in ("branches", "pushes"):
                out.discard(_ONLY[str(r)])
    return out


def _matrix(job: CIJob, jd: dict, image: Any) -> None:
    parallel = jd.get("parallel")
    if isinstance(parallel, dict):
        image_vars = set(re.findall(r"\$\{?(\w+)", str(image or "")))
        for entry in as_seq(parallel.get("matrix")):
            for k, v in as_map(entry).items():
                key = "python" if k in image_vars and "python" in str(image).lower() else str(k)
                merge_axes(job.matrix, key, axis_values(v))
    job.python = list(job.matrix.get("python", []))
    job.os = list(job.matrix.get("os", []))
    if not job.python:
        img = image.get("name") if isinstance(image, dict) else image
        version = python_version_of(img) if isinstance(img, str) else None
        if version:
            job.python = [version]


def _inherits(jd: dict, key: str) -> bool:
    inherit = as_map(jd.get("inherit")).get("default", True)
    if inherit is False:
        return False
    if isinstance(inherit, list):
        return key in inherit
    return True


def _pipeline_jobs(project, root: str, parent_triggers: set[str] | None, depth: int,
                   out: list[CIJob], seen: set[str]) -> None:
    if root in seen or depth > 3:
        return
    seen.add(root)
    files = pipeline_files(project, root)
    pipe = _Pipeline(project, files)
    default = as_map(pipe.get("default"))
    for rel in files:
        _local, uses = _includes(project, _docs(project, rel), rel)
        for use, line in uses:
            out.append(CIJob(SYSTEM, rel, f"include {use.split(':', 1)[1]}", line,
                             triggers=set(parent_triggers or {"push", "tag"}), uses=[use]))
    for name in pipe.order:
        if name in RESERVED or name.startswith(".") or not isinstance(pipe.get(name), dict):
            continue
        jd, sources = pipe.resolve(name)
        if not any(k in jd for k in ("script", "trigger", "run")):
            continue
        rel = pipe.defs[name][1]
        job = CIJob(SYSTEM, rel, name, key_line(pipe.defs[name][2], name))
        if "rules" in jd:
            jd = {**jd, "rules": _expand_rules(pipe, jd["rules"])}
        job.triggers = set(parent_triggers) if parent_triggers is not None else _triggers(jd)
        if parent_triggers is not None and jd.get("when") == "manual":
            job.triggers = {"manual"}
        cwd: str | None = None
        for key in ("before_script", "script", "after_script"):
            if key in jd:
                src_rel, container = sources.get(key, (rel, jd))
                value = jd[key]
            elif key != "script" and _inherits(jd, key) and (key in default or pipe.get(key) is not None):
                if key in default:
                    src_rel, container, value = pipe.defs["default"][1], default, default[key]
                else:
                    src_rel, container, value = pipe.defs[key][1], pipe.defs[key][2], pipe.get(key)
            else:
                continue
            triples = _script(pipe, value, container, key, src_rel)
            for f in dict.fromkeys(t[2] for t in triples):
                pairs = [(t[0], t[1]) for t in triples if t[2] == f]
                cwd = job.add_commands(pairs, file=f, cwd=cwd)
        image = jd.get("image", default.get("image", pipe.get("image")) if _inherits(jd, "image") else None)
        _matrix(job, jd, image)
        trigger = jd.get("trigger")
        if isinstance(trigger, str):
            job.uses.append(f"project:{trigger}")
        elif isinstance(trigger, dict):
            if isinstance(trigger.get("project"), str):
                job.uses.append(f"project:{trigger['project']}")
            inc = trigger.get("include")
            for entry in as_seq(inc) if not isinstance(inc, dict) else [inc]:
                spec = entry.get("local") if isinstance(entry, dict) else entry
                for child in _local_targets(project, spec, rel):
                    job.calls.append(child)
                    _pipeline_jobs(project, child, job.triggers, depth + 1, out, seen)
                if isinstance(entry, dict) and "template" in entry:
                    job.uses.append(f"template:{entry['template']}")
        out.append(job)


def jobs(project, files: list[str]) -> list[CIJob]:
    out: list[CIJob] = []
    seen: set[str] = set()
    for root in roots(project, files):
        _pipeline_jobs(project, root, None, 0, out, seen)
    return out
