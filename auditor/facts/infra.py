"""Pipeline and infrastructure facts: what the repository declares outside its Python code.

One pass over the snapshot turns pipeline, container, deployment and monitoring files into
plain records that the INFRA, DEPLOY and MON rules (and anyone else) query:

- DVC: `dvc.yaml` stages (cmd/deps/outs/params/metrics/plots), top-level metrics and model
  artifacts, `dvc.lock`, remotes in `.dvc/config`, `*.dvc` pointer files;
- MLflow Projects: `MLproject` entry points;
- task runners: Makefile / `*.mk`, justfile, Taskfile.yml and poe tasks, each target with
  its prerequisites and recipe lines (what it runs);
- containers: Dockerfile/Containerfile (base images, HEALTHCHECK, RUN/CMD lines), compose
  services, dev containers, Apptainer/Singularity definitions, Cog, BentoML build files;
- Kubernetes: every YAML document with `apiVersion` and `kind` (Deployment, CronJob,
  InferenceService, SeldonDeployment, Rollout, PrometheusRule, ...), parsed when possible
  and read by regex when templated (Helm `{{ }}`) or broken, so a bad file never hides
  the rest;
- infrastructure as code: Terraform/OpenTofu, Helm, Kustomize, Pulumi, CloudFormation/SAM,
  CDK, Serverless, Ansible, Bicep/ARM, with resource types (and bodies) where cheap;
- monitoring: Prometheus scrape configs and rule files, Alertmanager, Grafana dashboards
  and provisioning;
- pipeline definitions outside Python (Snakemake, Argo Workflows, compiled Kubeflow
  pipelines, Tekton, Kedro projects, Azure ML pipeline jobs, prefect.yaml) and schedules
  (Kubernetes CronJobs, cloud schedulers, serverless schedule events, crontabs).

Orchestrators written in Python (Airflow, Prefect, Dagster, ZenML, Metaflow, KFP, Luigi,
Flyte, ...) are found through the Python index (`imports` predicate), not here.
Nothing is executed; YAML goes through `project.yaml_all()`, whose failures are recorded as
report problems. Wrongly shaped documents are skipped, never raised on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# ---------------------------------------------------------------------------------------
# records


@dataclass(frozen=True)
class DvcStage:
    file: str
    name: str
    line: int | None
    cmd: tuple[str, ...] = ()
    deps: tuple[str, ...] = ()
    outs: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    plots: tuple[str, ...] = ()


@dataclass(frozen=True)
class DvcRemote:
    file: str
    name: str
    url: str
    line: int | None
    default: bool = False


@dataclass(frozen=True)
class DvcArtifact:
    file: str
    name: str
    type: str
    path: str
    line: int | None


@dataclass
class DvcFacts:
    files: list[str] = field(default_factory=list)        # dvc.yaml files
    stages: list[DvcStage] = field(default_factory=list)
    metrics: list[tuple[str, str]] = field(default_factory=list)  # (dvc.yaml, metrics file), top-level
    artifacts: list[DvcArtifact] = field(default_factory=list)
    locks: list[str] = field(default_factory=list)
    config_files: list[str] = field(default_factory=list)
    remotes: list[DvcRemote] = field(default_factory=list)
    pointers: list[str] = field(default_factory=list)     # *.dvc files


@dataclass(frozen=True)
class EntryPoint:
    file: str
    name: str
    command: str
    line: int | None


@dataclass(frozen=True)
class TaskTarget:
    """A Makefile/justfile/Taskfile/poe target and what it runs."""

    file: str
    tool: str            # make | just | task | poe
    name: str
    line: int
    prerequisites: tuple[str, ...] = ()
    recipe: tuple[str, ...] = ()


@dataclass(frozen=True)
class Instruction:
    line: int
    keyword: str         # FROM, RUN, CMD, ENTRYPOINT, HEALTHCHECK, ...
    text: str


@dataclass
class Dockerfile:
    path: str
    base_images: list[str] = field(default_factory=list)
    healthcheck_line: int | None = None
    instructions: list[Instruction] = field(default_factory=list)


@dataclass(frozen=True)
class ComposeService:
    file: str
    name: str
    line: int | None
    image: str = ""
    build: bool = False
    command: str = ""
    healthcheck: bool = False


@dataclass(frozen=True)
class ContainerFile:
    path: str
    kind: str            # dockerfile | compose | devcontainer | apptainer | cog | bentoml


@dataclass
class K8sDoc:
    """One YAML document with `apiVersion` and `kind`.

    `doc` is the parsed mapping, or None when the file is templated (Helm) or could not be
    parsed; then only kind/apiVersion/name, read by regex, are known.
    """

    path: str
    line: int | None
    kind: str
    api_version: str
    name: str = ""
    doc: dict[str, Any] | None = None
    # for a templated document: its mapping with template directives neutralised (values
    # that are `{{ }}` expressions read as the placeholder TEMPLATED); None if even that fails
    rendered: dict[str, Any] | None = None

    def key_line(self, project, key: str) -> int | None:
        """Line of the first `key:` at or after this document's start (for evidence)."""
        text = project.read_text(self.path) or ""
        start = 0
        if self.line:
            start = _offset_of_line(text, self.line)
        m = re.compile(rf"^[ \t]*-?[ \t]*[\"']?{re.escape(key)}[\"']?[ \t]*:", re.MULTILINE).search(text, start)
        return _line_of(text, m.start()) if m else self.line


@dataclass(frozen=True)
class IacFile:
    path: str
    tool: str            # terraform | kubernetes | helm | kustomize | pulumi | cloudformation |
                         # sam | cdk | serverless | ansible | bicep | arm
    detail: str = ""


@dataclass(frozen=True)
class IacResource:
    """A declared cloud resource (Terraform block, CloudFormation resource, Bicep resource)."""

    path: str
    line: int
    tool: str
    type: str
    name: str
    body: str = ""


@dataclass(frozen=True)
class MonitoringConfig:
    path: str
    line: int | None
    kind: str            # prometheus-scrape | prometheus-rules | prometheus-alerts | alertmanager |
                         # grafana-dashboard | grafana-provisioning | grafana-alerts
    detail: str = ""


@dataclass(frozen=True)
class PipelineFile:
    path: str
    line: int | None
    tool: str            # snakemake | argo | kubeflow | tekton | kedro | azureml | prefect | dvc | ...
    detail: str = ""


@dataclass(frozen=True)
class Schedule:
    """Something that runs on a timer; `ml` says whether what it runs looks like ML work."""

    path: str
    line: int | None
    source: str          # k8s-cronjob | argo-cronworkflow | terraform | cloudformation | serverless |
                         # crontab | prefect | azureml
    detail: str
    ml: bool


@dataclass
class InfraFacts:
    dvc: DvcFacts = field(default_factory=DvcFacts)
    entry_points: list[EntryPoint] = field(default_factory=list)     # MLproject
    mlproject_files: list[str] = field(default_factory=list)
    targets: list[TaskTarget] = field(default_factory=list)
    dockerfiles: list[Dockerfile] = field(default_factory=list)
    compose_services: list[ComposeService] = field(default_factory=list)
    containers: list[ContainerFile] = field(default_factory=list)
    k8s: list[K8sDoc] = field(default_factory=list)
    iac: list[IacFile] = field(default_factory=list)
    resources: list[IacResource] = field(default_factory=list)
    monitoring: list[MonitoringConfig] = field(default_factory=list)
    pipelines: list[PipelineFile] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)

    def target(self, name: str) -> list[TaskTarget]:
        return [t for t in self.targets if t.name == name]

    def expand_target(self, name: str, *, tool: str | None = None, depth: int = 4) -> list[tuple[TaskTarget, str]]:
        """Recipe lines a target runs, following prerequisites and `make X`/`just X` calls.

        Lets a rule see that CI's `make deploy` ends in `helm upgrade` two targets down.
        """
        out: list[tuple[TaskTarget, str]] = []
        seen: set[tuple[str, str]] = set()

        def visit(n: str, tl: str | None, d: int) -> None:
            for t in self.targets:
                if t.name != n or (tl is not None and t.tool != tl) or (t.file, t.name) in seen:
                    continue
                seen.add((t.file, t.name))
                if d <= 0:
                    continue
                for pre in t.prerequisites:
                    visit(pre, t.tool, d - 1)
                for line in t.recipe:
                    out.append((t, line))
                    for sub in _SUB_TARGET.finditer(line):
                        for word in sub.group(2).split():
                            if word.startswith("-") or "=" in word:
                                continue
                            visit(word, "just" if sub.group(1) == "just" else "make", d - 1)

        visit(name, tool, depth)
        return out


_SUB_TARGET = re.compile(r"(?:\$\(MAKE\)|\$\{MAKE\}|\bmake|\b(just))((?:\s+[-\w.=/]+)+)")

# Work an ML schedule may do; a cron job that only builds docs or cleans up matches none.
ML_WORK = re.compile(
    r"(?i)(?<![a-z])(?:re)?train|(?<![a-z])fit(?![a-z])|evaluat|predict|inferenc|"
    r"(?<![a-z])scor(?:e|es|ing)(?![a-z])|batch|monitor|drift|ingest|(?<![a-z])etl(?![a-z])|"
    r"validat|feature|dvc\s+(?:repro|exp|pull|update)|mlflow\s+run|kedro\s+run|"
    r"(?<![a-z])pipelines?(?![a-z])|(?<![a-z])models?(?![a-z])|refresh|backfill|dataset")


# ---------------------------------------------------------------------------------------
# entry point


class _FirstPartyView:
    """The snapshot without vendored trees (virtualenvs, site-packages, node_modules).

    Installed packages ship their own Dockerfiles, Makefiles and YAML; they say nothing
    about this project. Everything else is delegated to the real snapshot.
    """

    def __init__(self, project) -> None:
        from auditor.facts.python import SKIP_DIRS

        self._project = project
        venvs = tuple(f[: -len("pyvenv.cfg")] for f in project.files if f.endswith("/pyvenv.cfg"))
        self.files = [f for f in project.files
                      if not any(part in SKIP_DIRS for part in f.split("/")[:-1]) and not f.startswith(venvs or ("\0",))]
        self.by_name: dict[str, list[str]] = {}
        for f in self.files:
            self.by_name.setdefault(f.rsplit("/", 1)[-1].lower(), []).append(f)

    def __getattr__(self, name: str):
        return getattr(self._project, name)


def extract(project) -> InfraFacts:
    project = _FirstPartyView(project)
    facts = InfraFacts()
    _dvc(project, facts)
    _mlproject(project, facts)
    _makefiles(project, facts)
    _justfiles(project, facts)
    _taskfiles(project, facts)
    _poe(project, facts)
    _containers(project, facts)
    _yaml_documents(project, facts)
    _terraform(project, facts)
    _other_iac(project, facts)
    _grafana_dashboards(project, facts)
    _other_pipelines(project, facts)
    _crontabs(project, facts)
    return facts


# ---------------------------------------------------------------------------------------
# helpers


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _offset_of_line(text: str, line: int) -> int:
    pos = 0
    for _ in range(line - 1):
        nxt = text.find("\n", pos)
        if nxt == -1:
            return len(text)
        pos = nxt + 1
    return pos


def _find_line(text: str | None, pattern: str, start: int = 0) -> int | None:
    if not text:
        return None
    m = re.compile(pattern, re.MULTILINE).search(text, start)
    return _line_of(text, m.start()) if m else None


def _key_line(text: str | None, key: str) -> int | None:
    return _find_line(text, rf"^[ \t]*[\"']?{re.escape(key)}[\"']?[ \t]*:")


def _strings(value: Any) -> tuple[str, ...]:
    """Paths or names from a DVC-style list: strings, or one-key mappings {path: opts}."""
    out: list[str] = []
    for item in value if isinstance(value, list) else [value] if value is not None else []:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            out.extend(str(k) for k in item)
    return tuple(out)


def _cmd(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(line for line in value.splitlines() if line.strip())
    if isinstance(value, list):
        return tuple(str(v) for v in value if isinstance(v, (str, int, float)))
    return ()


def _basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _by_names(project, *names: str) -> list[str]:
    out: list[str] = []
    for n in names:
        out.extend(project.by_name.get(n.lower(), []))
    return sorted(set(out))


MAX_YAML_BYTES = 2 * 1024 * 1024  # larger YAML files are data, not configuration


def _yaml_files(project) -> list[str]:
    return [f for f in project.files if f.endswith((".yaml", ".yml")) and project.size(f) <= MAX_YAML_BYTES]


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


# ---------------------------------------------------------------------------------------
# DVC


def _dvc(project, facts: InfraFacts) -> None:
    dvc = facts.dvc
    for path in _by_names(project, "dvc.yaml", "dvc.yml"):
        dvc.files.append(path)
        text = project.read_text(path)
        data = _dict(project.yaml(path))
        for name, stage in _dict(data.get("stages")).items():
            if not isinstance(stage, dict):
                continue
            body = stage.get("do") if isinstance(stage.get("do"), dict) else stage  # foreach/do
            dvc.stages.append(DvcStage(
                file=path, name=str(name), line=_key_line(text, str(name)),
                cmd=_cmd(body.get("cmd")), deps=_strings(body.get("deps")),
                outs=_strings(body.get("outs")), params=_params(body.get("params")),
                metrics=_strings(body.get("metrics")), plots=_strings(body.get("plots"))))
        for m in _strings(data.get("metrics")):
            dvc.metrics.append((path, m))
        for name, art in _dict(data.get("artifacts")).items():
            if isinstance(art, dict):
                dvc.artifacts.append(DvcArtifact(path, str(name), str(art.get("type", "")),
                                                 str(art.get("path", "")), _key_line(text, str(name))))
    dvc.locks = _by_names(project, "dvc.lock")
    for path in project.files:
        if path == ".dvc/config" or path.endswith("/.dvc/config"):
            dvc.config_files.append(path)
            dvc.remotes.extend(_dvc_remotes(path, project.read_text(path) or ""))
        elif path.endswith(".dvc") and _basename(path) != ".dvc":
            dvc.pointers.append(path)


def _params(value: Any) -> tuple[str, ...]:
    """DVC params: `- lr`, `- params.yaml:` / `- train.yaml: [lr, epochs]`."""
    out: list[str] = []
    for item in _list(value):
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            for file, keys in item.items():
                ks = [str(k) for k in keys] if isinstance(keys, list) else []
                out.extend(f"{file}:{k}" for k in ks) if ks else out.append(str(file))
    return tuple(out)


_INI_SECTION = re.compile(r"""^\s*\[\s*['"]?\s*remote\s+"([^"]+)"\s*['"]?\s*\]""")
_INI_ANY_SECTION = re.compile(r"^\s*\[")
_INI_KEY = re.compile(r"^\s*([\w.-]+)\s*=\s*(.*?)\s*$")


def _dvc_remotes(path: str, text: str) -> list[DvcRemote]:
    """Remotes of a `.dvc/config` (git-config style INI; `config.local` is deliberately skipped)."""
    remotes: dict[str, tuple[int, str]] = {}
    default = ""
    section: str | None = None
    in_core = False
    for no, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith(("#", ";")):
            continue
        m = _INI_SECTION.match(line)
        if m:
            section, in_core = m.group(1), False
            remotes.setdefault(section, (no, ""))
            continue
        if _INI_ANY_SECTION.match(line):
            section = None
            in_core = line.strip().strip("[]'\" ").lower() == "core"
            continue
        kv = _INI_KEY.match(line)
        if not kv:
            continue
        key, value = kv.group(1).lower(), kv.group(2).strip("'\"")
        if section is not None and key == "url":
            remotes[section] = (remotes[section][0], value)
        elif in_core and key == "remote":
            default = value
    return [DvcRemote(path, n, url, no, default=n == default) for n, (no, url) in remotes.items()]


# ---------------------------------------------------------------------------------------
# MLflow Projects


_TEST_DIRS = ("tests", "test", "testing")


def _in_test_dir(path: str) -> bool:
    """Below a tests/ folder: pipeline files there are fixtures (a serving library's test
    MLproject), not the project's own workflow; Python evidence skips tests the same way."""
    return any(part in _TEST_DIRS for part in path.split("/")[:-1])


def _mlproject(project, facts: InfraFacts) -> None:
    for path in project.files:
        if _basename(path) not in ("MLproject", "MLproject.yaml", "MLproject.yml") or _in_test_dir(path):
            continue
        facts.mlproject_files.append(path)
        text = project.read_text(path)
        data = _dict(project.yaml(path))
        for name, ep in _dict(data.get("entry_points")).items():
            command = str(_dict(ep).get("command", "")) if isinstance(ep, dict) else ""
            facts.entry_points.append(EntryPoint(path, str(name), command, _key_line(text, str(name))))


# ---------------------------------------------------------------------------------------
# task runners

_MAKE_RULE = re.compile(r"^([^\s:#=][^:#=]*?)\s*(::?)(?!=)\s*(.*)$")
_MAKE_ASSIGN = re.compile(r"^\s*(?:export\s+|override\s+)?[\w.$(){}-]+\s*(?:[:+?!]|::)?=")
_TARGET_VAR = re.compile(r"^\s*(?:export\s+|override\s+)?[\w.-]+\s*(?:[:+?!]|::)?=")


def parse_makefile(path: str, text: str) -> list[TaskTarget]:
    """Targets of a Makefile with their prerequisites and recipe lines.

    Handles continuation lines, `target: deps ; inline recipe`, several targets on one
    line, `define` blocks and conditionals; special targets (`.PHONY`...) and variable
    assignments are not targets. Recipe prefixes `@`, `-`, `+` are stripped.
    """
    lines = text.splitlines()
    targets: list[TaskTarget] = []
    current: list[tuple[str, int, tuple[str, ...], list[str]]] = []
    in_define = False
    i = 0

    def flush() -> None:
        for name, no, pre, recipe in current:
            targets.append(TaskTarget(path, "make", name, no, pre, tuple(recipe)))
        current.clear()

    while i < len(lines):
        no = i + 1
        raw = lines[i]
        while raw.endswith("\\") and i + 1 < len(lines):  # continuation
            i += 1
            raw = raw[:-1].rstrip() + " " + lines[i].strip()
        i += 1
        if in_define:
            if raw.strip().startswith("endef"):
                in_define = False
            continue
        if raw.startswith("\t"):
            if current:
                cmd = raw.strip().lstrip("@-+").strip()
                if cmd and not cmd.startswith("#"):
                    for _, _, _, recipe in current:
                        recipe.append(cmd)
            continue
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if re.match(r"^(?:override\s+)?define\b", stripped):
            in_define = True
            flush()
            continue
        if re.match(r"^(ifeq|ifneq|ifdef|ifndef|else|endif|include|-include|sinclude|export|unexport|vpath)\b",
                    stripped):
            continue
        if _MAKE_ASSIGN.match(raw):
            flush()
            continue
        m = _MAKE_RULE.match(raw)
        if not m:
            flush()
            continue
        flush()
        names = [n for n in m.group(1).split() if n and not n.startswith(".")]
        rest = m.group(3)
        if _TARGET_VAR.match(rest):  # target-specific variable: `train: EPOCHS = 3`
            continue
        deps_part, _, inline = rest.partition(";")
        deps_part = deps_part.split("#", 1)[0]
        deps = tuple(d for d in deps_part.replace("|", " ").split() if d)
        for name in names:
            recipe = [inline.strip()] if inline.strip() else []
            current.append((name, no, deps, recipe))
    flush()
    return targets


def _makefiles(project, facts: InfraFacts) -> None:
    for path in project.files:
        base = _basename(path)
        if base in ("Makefile", "makefile", "GNUmakefile") or base.endswith(".mk"):
            text = project.read_text(path)
            if text is not None:
                facts.targets.extend(parse_makefile(path, text))


_JUST_RECIPE = re.compile(r"^@?([A-Za-z_][\w-]*)((?:\s+[^:\s][^:]*)?)\s*:(?!=)\s*(.*)$")


def parse_justfile(path: str, text: str) -> list[TaskTarget]:
    """Recipes of a justfile: `name params: deps` followed by indented body lines."""
    targets: list[TaskTarget] = []
    cur: tuple[str, int, tuple[str, ...], list[str]] | None = None

    def flush() -> None:
        nonlocal cur
        if cur is not None:
            targets.append(TaskTarget(path, "just", cur[0], cur[1], cur[2], tuple(cur[3])))
        cur = None

    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line[0] in " \t":
            body = line.strip().lstrip("@-").strip()
            if cur is not None and body and not body.startswith("#"):
                cur[3].append(body)
            continue
        flush()
        if line.startswith(("#", "[", "set ", "alias ", "export ", "import ", "mod ")):
            continue
        m = _JUST_RECIPE.match(line)
        if m:
            deps = tuple(d.strip("()") for d in m.group(3).split("#", 1)[0].split() if d not in ("&&",))
            cur = (m.group(1), no, deps, [])
    flush()
    return targets


def _justfiles(project, facts: InfraFacts) -> None:
    for path in project.files:
        if _basename(path).lower() in ("justfile", ".justfile") or path.endswith(".just"):
            text = project.read_text(path)
            if text is not None:
                facts.targets.extend(parse_justfile(path, text))


def _taskfiles(project, facts: InfraFacts) -> None:
    """go-task `Taskfile.yml`: tasks with `cmds` (strings or {cmd:/task:})."""
    for path in _by_names(project, "Taskfile.yml", "Taskfile.yaml", "Taskfile.dist.yml"):
        text = project.read_text(path)
        for name, task in _dict(_dict(project.yaml(path)).get("tasks")).items():
            cmds: list[str] = []
            deps: list[str] = []
            if isinstance(task, str):
                cmds = [task]
            elif isinstance(task, list):
                cmds = [c for c in task if isinstance(c, str)]
            elif isinstance(task, dict):
                for c in _list(task.get("cmds")):
                    if isinstance(c, str):
                        cmds.append(c)
                    elif isinstance(c, dict) and isinstance(c.get("cmd"), str):
                        cmds.append(c["cmd"])
                    elif isinstance(c, dict) and isinstance(c.get("task"), str):
                        deps.append(c["task"])
                deps += [d for d in _list(task.get("deps")) if isinstance(d, str)]
            facts.targets.append(TaskTarget(path, "task", str(name), _key_line(text, str(name)) or 1,
                                            tuple(deps), tuple(cmds)))


def _poe(project, facts: InfraFacts) -> None:
    """Poe the Poet tasks in `[tool.poe.tasks]` of pyproject.toml files."""
    for path in _by_names(project, "pyproject.toml"):
        data = project.toml(path) or {}
        tasks = _dict(_dict(_dict(data.get("tool")).get("poe")).get("tasks"))
        if not tasks:
            continue
        text = project.read_text(path)
        for name, task in tasks.items():
            cmds: list[str] = []
            if isinstance(task, str):
                cmds = [task]
            elif isinstance(task, dict):
                cmds = [str(task[k]) for k in ("cmd", "shell", "script") if isinstance(task.get(k), str)]
                cmds += [s if isinstance(s, str) else str(s) for s in _list(task.get("sequence"))]
            elif isinstance(task, list):
                cmds = [str(s) for s in task]
            facts.targets.append(TaskTarget(path, "poe", str(name), _key_line(text, str(name)) or 1,
                                            (), tuple(cmds)))


# ---------------------------------------------------------------------------------------
# containers


def is_dockerfile(path: str) -> bool:
    base = _basename(path).lower()
    return (base in ("dockerfile", "containerfile") or base.startswith(("dockerfile.", "containerfile."))
            or base.endswith((".dockerfile", ".containerfile")))


def is_compose_file(path: str) -> bool:
    base = _basename(path).lower()
    return base.endswith((".yml", ".yaml")) and (
        base.startswith(("docker-compose", "compose.", "compose-", "podman-compose", "container-compose")))


def parse_dockerfile(path: str, text: str) -> Dockerfile:
    out = Dockerfile(path)
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        no = i + 1
        line = lines[i]
        while line.rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            line = line.rstrip()[:-1].rstrip() + " " + lines[i].strip()
        i += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        keyword, _, rest = stripped.partition(" ")
        keyword = keyword.upper()
        out.instructions.append(Instruction(no, keyword, rest.strip()))
        if keyword == "FROM":
            words = [w for w in rest.split() if not w.startswith("--")]
            if words:
                out.base_images.append(words[0])
        elif keyword == "HEALTHCHECK" and rest.strip().upper() != "NONE":
            out.healthcheck_line = no
    return out


def _containers(project, facts: InfraFacts) -> None:
    for path in project.files:
        base = _basename(path)
        low = base.lower()
        if is_dockerfile(path):
            text = project.read_text(path)
            if text is not None:
                facts.dockerfiles.append(parse_dockerfile(path, text))
            facts.containers.append(ContainerFile(path, "dockerfile"))
        elif is_compose_file(path):
            facts.containers.append(ContainerFile(path, "compose"))
            text = project.read_text(path)
            for name, svc in _dict(_dict(project.yaml(path)).get("services")).items():
                svc = _dict(svc)
                command = svc.get("command")
                facts.compose_services.append(ComposeService(
                    path, str(name), _key_line(text, str(name)), str(svc.get("image") or ""),
                    "build" in svc, " ".join(map(str, command)) if isinstance(command, list) else str(command or ""),
                    "healthcheck" in svc))
        elif low == "devcontainer.json" and "/.devcontainer" in "/" + path or low == ".devcontainer.json":
            facts.containers.append(ContainerFile(path, "devcontainer"))
        elif low in ("singularity", "apptainer") or (
                low.startswith(("singularity.", "apptainer.")) or low.endswith(".def")) \
                and not low.endswith((".py", ".md", ".txt", ".rst")) \
                and _find_line(project.read_text(path), r"(?i)^\s*bootstrap\s*:"):
            facts.containers.append(ContainerFile(path, "apptainer"))
        elif low in ("cog.yaml", "cog.yml"):
            facts.containers.append(ContainerFile(path, "cog"))
        elif low in ("bentofile.yaml", "bentofile.yml"):
            facts.containers.append(ContainerFile(path, "bentoml"))


# ---------------------------------------------------------------------------------------
# YAML documents: Kubernetes, Prometheus, Alertmanager, Grafana provisioning, ...

_K8S_KIND = re.compile(r"^kind:\s*[\"']?([A-Za-z][\w.-]*)", re.MULTILINE)
_K8S_API = re.compile(r"^apiVersion:\s*[\"']?([\w./-]+)", re.MULTILINE)
_K8S_NAME = re.compile(r"^metadata:[ \t]*\n(?:[ \t][^\n]*\n)*?[ \t]+name:[ \t]*([^\n#]+)", re.MULTILINE)
_DOC_SEP = re.compile(r"^---", re.MULTILINE)
_CFN = re.compile(r"AWSTemplateFormatVersion|^[ \t]*Type:\s*[\"']?AWS::", re.MULTILINE)
_SKIP_YAML_DIRS = ("node_modules/", ".github/", ".gitlab/", ".circleci/")


def _in_helm_templates(path: str, chart_dirs: list[str]) -> bool:
    return any(path.startswith(d + "templates/") or d == "" and path.startswith("templates/")
               for d in chart_dirs)


def _yaml_documents(project, facts: InfraFacts) -> None:
    charts = _by_names(project, "Chart.yaml", "Chart.yml")
    chart_dirs = [c[: -len(_basename(c))] for c in charts]
    for c in charts:
        data = _dict(project.yaml(c))
        facts.iac.append(IacFile(c, "helm", f"Helm chart {data.get('name', '')}".strip()))
    for path in _yaml_files(project):
        if path.startswith(_SKIP_YAML_DIRS) or any("/" + d in "/" + path for d in ("node_modules/",)):
            continue
        base = _basename(path).lower()
        if base in ("chart.yaml", "chart.yml") or is_compose_file(path):
            continue
        text = project.read_text(path)
        if not text:
            continue
        if base in ("kustomization.yaml", "kustomization.yml"):
            facts.iac.append(IacFile(path, "kustomize", "Kustomize overlay"))
        templated = "{{" in text or "{%" in text or _in_helm_templates(path, chart_dirs)
        if _CFN.search(text):
            _cloudformation_yaml(project, path, text, facts)
            continue  # CloudFormation tags (!Ref) are not plain YAML; read by regex only
        has_k8s = bool(_K8S_KIND.search(text) and _K8S_API.search(text))
        if has_k8s:
            _k8s_file(project, path, text, templated, facts)
            continue
        if _in_helm_templates(path, chart_dirs):
            continue
        if "scrape_configs:" in text or re.search(r"^[ \t]*(?:-[ \t]*)?(alert|record):", text, re.MULTILINE) \
                or "receivers:" in text or re.search(r"^apiVersion:\s*1\b", text, re.MULTILINE) \
                or "$schema" in text and "azureml" in text.lower() or base in ("prefect.yaml", "prefect.yml") \
                or "pipelineInfo:" in text and "deploymentSpec:" in text:
            _plain_yaml(project, path, text, facts)


def _k8s_file(project, path: str, text: str, templated: bool, facts: InfraFacts) -> None:
    docs = _templated_docs(path, text) if templated else project.yaml_all(path)
    found: list[K8sDoc] = []
    chunks: dict[int, str] = {}  # id(doc) -> raw text, for documents read by regex
    pos = 0
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        kind, api = doc.get("kind"), doc.get("apiVersion")
        if not isinstance(kind, str) or not isinstance(api, str):
            continue
        m = re.compile(rf"^kind:\s*[\"']?{re.escape(kind)}\b", re.MULTILINE).search(text, pos)
        line = None
        if m:
            line = _line_of(text, m.start())
            pos = m.end()
        name = str(_dict(doc.get("metadata")).get("name", "") or "")
        found.append(K8sDoc(path, line, kind, api, name, doc))
    if not found:  # templated or unparsable: read kinds by regex, document by document
        offset = 0
        for chunk in _DOC_SEP.split(text):
            km, am = _K8S_KIND.search(chunk), _K8S_API.search(chunk)
            if km and am:
                nm = _K8S_NAME.search(chunk)
                found.append(K8sDoc(path, _line_of(text, offset + km.start()), km.group(1), am.group(1),
                                    nm.group(1).strip().strip("\"'") if nm else "", None,
                                    _rendered(chunk) if templated else None))
                chunks[id(found[-1])] = chunk
            offset += len(chunk) + 3
    for d in found:
        if d.kind == "Config" and d.api_version == "v1":
            continue  # a kubeconfig, not a manifest
        facts.k8s.append(d)
        _k8s_derived(project, d, facts, chunks.get(id(d), ""))
    if any(d.kind != "Config" for d in found):
        facts.iac.append(IacFile(path, "kubernetes", ", ".join(sorted({d.kind for d in found}))))


# per line, and with no braces inside an expression, so no scan restarts quadratically
_TPL_EXPR = re.compile(r"\{\{[^{}]*\}\}|\{%[^{}%]*%\}|\{#[^{}#]*#\}")
_TPL_LINE = re.compile(r"^[ \t]*(?:" + _TPL_EXPR.pattern + r")[ \t]*$")
TEMPLATED = "__templated__"


def _neutralised(text: str) -> str:
    """A Helm/Jinja template with its directives made inert: lines that hold only a
    directive (`{{- if ... }}`, `{{ include ... | nindent 4 }}`, `{% for %}`) are dropped and
    inline expressions become a placeholder scalar, so `weight: {{ .Values.weight.blue }}`
    reads as a weight that is set (to a value only known at render time)."""
    lines = (ln for ln in text.splitlines() if not _TPL_LINE.match(ln))
    return "\n".join(_TPL_EXPR.sub(TEMPLATED, ln) if "{" in ln else ln for ln in lines)


def _templated_docs(path: str, text: str) -> list[Any]:
    """Parse a file that holds `{{ }}` templating, if it happens to be valid YAML.

    Helm/Jinja templates are usually not YAML, and that is not a problem worth reporting,
    so failures here are silent (the caller falls back to reading kinds by regex).
    """
    if "/templates/" in "/" + path:
        return []
    from auditor.parsing import ParseError, load_yaml_all

    try:
        return load_yaml_all(text)
    except ParseError:
        return []


def _rendered(chunk: str) -> dict[str, Any] | None:
    """One templated document parsed with its directives neutralised, or None."""
    from auditor.parsing import ParseError, load_yaml_all

    try:
        docs = load_yaml_all(_neutralised(chunk))
    except ParseError:
        return None
    return next((d for d in docs if isinstance(d, dict)), None)


def _walk_strings(value: Any, limit: int = 2000) -> list[str]:
    out: list[str] = []
    stack = [value]
    while stack and len(out) < limit:
        v = stack.pop()
        if isinstance(v, dict):
            stack.extend(v.values())
            out.extend(str(k) for k in v if isinstance(k, str))
        elif isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, str):
            out.append(v)
    return out


def _k8s_derived(project, d: K8sDoc, facts: InfraFacts, raw: str = "") -> None:
    """Schedules, pipelines and monitoring configuration expressed as Kubernetes resources.

    `raw` is the document's text when it could not be parsed (templated or broken).
    """
    doc = d.doc or {}
    spec = _dict(doc.get("spec"))
    if d.kind == "CronJob":
        blob = raw or " ".join([d.name] + _walk_strings(spec.get("jobTemplate")))
        sched = spec.get("schedule", "")
        facts.schedules.append(Schedule(d.path, d.line, "k8s-cronjob",
                                        f"CronJob {d.name} ({sched})".replace(" ()", ""),
                                        bool(ML_WORK.search(blob))))
    elif d.kind == "CronWorkflow" and "argoproj" in d.api_version:
        blob = raw or " ".join([d.name] + _walk_strings(spec.get("workflowSpec")))
        facts.schedules.append(Schedule(d.path, d.line, "argo-cronworkflow", f"CronWorkflow {d.name}",
                                        bool(ML_WORK.search(blob))))
    if "argoproj.io" in d.api_version and d.kind in ("Workflow", "WorkflowTemplate", "CronWorkflow",
                                                       "ClusterWorkflowTemplate"):
        facts.pipelines.append(PipelineFile(d.path, d.line, "argo", f"Argo {d.kind} {d.name}".strip()))
    elif "tekton.dev" in d.api_version and d.kind in ("Pipeline", "PipelineRun"):
        facts.pipelines.append(PipelineFile(d.path, d.line, "tekton", f"Tekton {d.kind} {d.name}".strip()))
    elif "kubeflow.org" in d.api_version and d.kind in ("Pipeline", "PipelineVersion", "ScheduledWorkflow"):
        facts.pipelines.append(PipelineFile(d.path, d.line, "kubeflow", f"Kubeflow {d.kind} {d.name}".strip()))
    if d.kind in ("ServiceMonitor", "PodMonitor", "ScrapeConfig", "PodMonitoring"):
        facts.monitoring.append(MonitoringConfig(d.path, d.line, "prometheus-scrape", f"{d.kind} {d.name}"))
    elif d.kind == "PrometheusRule":
        alerts = [r.get("alert") for g in _list(spec.get("groups")) for r in _list(_dict(g).get("rules"))
                  if isinstance(r, dict) and r.get("alert")]
        facts.monitoring.append(MonitoringConfig(d.path, d.line, "prometheus-rules", f"PrometheusRule {d.name}"))
        if alerts or d.doc is None:
            facts.monitoring.append(MonitoringConfig(
                d.path, d.line, "prometheus-alerts",
                f"PrometheusRule {d.name}: {', '.join(map(str, alerts[:5]))}" if alerts else f"PrometheusRule {d.name}"))
    elif d.kind in ("AlertmanagerConfig", "Alertmanager"):
        facts.monitoring.append(MonitoringConfig(d.path, d.line, "alertmanager", f"{d.kind} {d.name}"))
    elif d.kind in ("GrafanaDashboard",):
        facts.monitoring.append(MonitoringConfig(d.path, d.line, "grafana-dashboard", f"{d.kind} {d.name}"))
    elif d.kind in ("GrafanaAlertRuleGroup", "GrafanaContactPoint", "GrafanaNotificationPolicy"):
        facts.monitoring.append(MonitoringConfig(d.path, d.line, "grafana-alerts", f"{d.kind} {d.name}"))
    annotations = _dict(_dict(doc.get("metadata")).get("annotations"))
    tmpl_ann = _dict(_dict(_dict(spec.get("template")).get("metadata")).get("annotations"))
    if str(annotations.get("prometheus.io/scrape", tmpl_ann.get("prometheus.io/scrape", ""))).lower() == "true":
        facts.monitoring.append(MonitoringConfig(d.path, d.key_line(project, "prometheus.io/scrape"),
                                                 "prometheus-scrape", f"{d.kind} {d.name} scrape annotation"))


def _plain_yaml(project, path: str, text: str, facts: InfraFacts) -> None:
    data = project.yaml(path)
    base = _basename(path).lower()
    if not isinstance(data, dict):
        return
    if isinstance(data.get("scrape_configs"), list):
        jobs = [str(_dict(j).get("job_name", "")) for j in data["scrape_configs"]]
        facts.monitoring.append(MonitoringConfig(path, _key_line(text, "scrape_configs"), "prometheus-scrape",
                                                 f"scrape jobs: {', '.join(j for j in jobs if j)[:120]}"))
    groups = data.get("groups")
    if isinstance(groups, list) and data.get("apiVersion") is None:
        rules = [r for g in groups for r in _list(_dict(g).get("rules")) if isinstance(r, dict)]
        if rules and any("expr" in r for r in rules):
            facts.monitoring.append(MonitoringConfig(path, _key_line(text, "groups"), "prometheus-rules",
                                                     f"{len(rules)} Prometheus rule(s)"))
            alerts = [str(r["alert"]) for r in rules if r.get("alert")]
            if alerts:
                facts.monitoring.append(MonitoringConfig(path, _find_line(text, r"^[ \t]*-?[ \t]*alert:"),
                                                         "prometheus-alerts", "alerts: " + ", ".join(alerts[:5])))
    if isinstance(data.get("route"), dict) and isinstance(data.get("receivers"), list):
        facts.monitoring.append(MonitoringConfig(path, _key_line(text, "route"), "alertmanager",
                                                 f"{len(data['receivers'])} receiver(s)"))
    if data.get("apiVersion") == 1:
        _grafana_provisioning(path, text, data, facts)
    schema = str(data.get("$schema", ""))
    if "azureml" in schema.lower():
        _azureml(path, text, data, schema, facts)
    if base in ("prefect.yaml", "prefect.yml"):
        for dep in _list(data.get("deployments")):
            dep = _dict(dep)
            scheds = _list(dep.get("schedules")) + ([dep["schedule"]] if isinstance(dep.get("schedule"), dict) else [])
            if any(isinstance(s, dict) and (s.get("cron") or s.get("interval") or s.get("rrule")) for s in scheds):
                facts.schedules.append(Schedule(path, _find_line(text, r"^[ \t]*-?[ \t]*(cron|interval|rrule):"),
                                                "prefect", f"Prefect deployment {dep.get('name', '')} schedule",
                                                True))
        if data.get("deployments"):
            facts.pipelines.append(PipelineFile(path, _key_line(text, "deployments"), "prefect",
                                                "Prefect deployments"))
    if isinstance(data.get("pipelineInfo"), dict) and isinstance(data.get("deploymentSpec"), dict):
        facts.pipelines.append(PipelineFile(path, _key_line(text, "pipelineInfo"), "kubeflow",
                                            f"compiled Kubeflow pipeline {_dict(data['pipelineInfo']).get('name', '')}"))


def _grafana_provisioning(path: str, text: str, data: dict, facts: InfraFacts) -> None:
    if any(k in data for k in ("datasources", "providers")):
        facts.monitoring.append(MonitoringConfig(path, 1, "grafana-provisioning", "Grafana provisioning"))
    rules = [r for g in _list(data.get("groups")) for r in _list(_dict(g).get("rules"))
             if isinstance(r, dict) and ("condition" in r or "data" in r)]
    if rules or any(_list(data.get(k)) for k in ("contactPoints", "policies", "notifiers")):
        facts.monitoring.append(MonitoringConfig(
            path, _find_line(text, r"^(groups|contactPoints|policies|notifiers):"), "grafana-alerts",
            f"Grafana alerting provisioning ({len(rules)} rule(s))"))


def _azureml(path: str, text: str, data: dict, schema: str, facts: InfraFacts) -> None:
    low = schema.lower()
    if "pipelinejob" in low or data.get("type") == "pipeline":
        facts.pipelines.append(PipelineFile(path, 1, "azureml", "Azure ML pipeline job"))
    if "schedule" in low and isinstance(data.get("trigger"), dict):
        blob = " ".join(_walk_strings(data))
        facts.schedules.append(Schedule(path, _key_line(text, "trigger"), "azureml",
                                        f"Azure ML schedule {data.get('name', '')}".strip(), bool(ML_WORK.search(blob))))


# ---------------------------------------------------------------------------------------
# Terraform and other infrastructure as code

_TF_BLOCK = re.compile(r'^[ \t]*(resource|data|module)\s+"([^"]+)"(?:\s+"([^"]+)")?\s*\{', re.MULTILINE)
# resource type -> what its body must mention to be a schedule ("" = always one)
_SCHEDULERS = {
    "google_cloud_scheduler_job": "", "aws_scheduler_schedule": "",
    "azurerm_logic_app_trigger_recurrence": "", "azurerm_data_factory_trigger_schedule": "",
    "aws_cloudwatch_event_rule": "schedule_expression", "aws_glue_trigger": "schedule",
    "databricks_job": "schedule", "google_dataflow_flex_template_job": "schedule",
}


def _block_body(text: str, start: int, limit: int = 20000) -> str:
    """Text of a `{ ... }` block starting at the brace at `start` (strings and comments aware-ish)."""
    depth = 0
    i = start
    end = min(len(text), start + limit)
    in_str = False
    while i < end:
        c = text[i]
        if in_str:
            if c == "\\":
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c == "#" or text.startswith("//", i):
            nl = text.find("\n", i)
            i = end if nl == -1 else nl
            continue
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return text[start: i + 1]
        i += 1
    return text[start:end]


def _terraform(project, facts: InfraFacts) -> None:
    for path in project.files:
        if not path.endswith((".tf", ".tofu")):
            if _basename(path) == "terragrunt.hcl":
                facts.iac.append(IacFile(path, "terraform", "Terragrunt"))
            continue
        text = project.read_text(path)
        if text is None:
            continue
        types = []
        for m in _TF_BLOCK.finditer(text):
            body = _block_body(text, m.end() - 1)
            block, rtype, name = m.group(1), m.group(2), m.group(3) or ""
            line = _line_of(text, m.start(1))
            kind = rtype if block == "resource" else f"{block}.{rtype}"
            types.append(kind)
            facts.resources.append(IacResource(path, line, "terraform", kind, name, body))
            if block == "resource" and rtype in _SCHEDULERS and _SCHEDULERS[rtype] in body.lower():
                facts.schedules.append(Schedule(path, line, "terraform", f"{rtype}.{name}",
                                                bool(ML_WORK.search(name + " " + body))))
        facts.iac.append(IacFile(path, "terraform", ", ".join(sorted(set(types))[:8])))


_CFN_TYPE_LINE = re.compile(r"^([ \t]*)Type:\s*[\"']?((?:AWS|Alexa|Custom)::[\w:]+)", re.MULTILINE)


def _cloudformation_yaml(project, path: str, text: str, facts: InfraFacts) -> None:
    """CloudFormation/SAM YAML, read by indentation (its `!Ref` tags are not plain YAML)."""
    sam = "AWS::Serverless" in text
    facts.iac.append(IacFile(path, "sam" if sam else "cloudformation", "AWS template"))
    lines = text.splitlines()
    for m in _CFN_TYPE_LINE.finditer(text):
        indent = len(m.group(1))
        tline = _line_of(text, m.start(2))
        # the resource's logical id is the nearest line above that is less indented
        key_no, key_indent, name = tline, 0, ""
        for j in range(tline - 2, -1, -1):
            raw = lines[j]
            if raw.strip() and not raw.lstrip().startswith("#"):
                ind = len(raw) - len(raw.lstrip())
                if ind < indent:
                    key_no, key_indent, name = j + 1, ind, raw.strip().rstrip(":").strip("\"'")
                    break
        body_lines = [lines[key_no - 1]]
        for raw in lines[key_no:]:
            if raw.strip() and (len(raw) - len(raw.lstrip())) <= key_indent:
                break
            body_lines.append(raw)
        body = "\n".join(body_lines)
        facts.resources.append(IacResource(path, key_no, "cloudformation", m.group(2), name, body))
        _cfn_schedule(path, key_no, m.group(2), name, body, facts)


def _cfn_schedule(path: str, line: int, rtype: str, name: str, body: str, facts: InfraFacts) -> None:
    if rtype in ("AWS::Events::Rule", "AWS::Scheduler::Schedule") and "Schedule" in body or \
            rtype == "AWS::Serverless::Function" and re.search(r"Type:\s*[\"']?Schedule", body):
        facts.schedules.append(Schedule(path, line, "cloudformation", f"{rtype} {name}",
                                        bool(ML_WORK.search(name + " " + body))))


def _cloudformation_json(project, path: str, facts: InfraFacts) -> None:
    data = project.json(path)
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        return
    text = project.read_text(path) or ""
    sam = "AWS::Serverless" in text
    facts.iac.append(IacFile(path, "sam" if sam else "cloudformation", "AWS template (JSON)"))
    import json as _json

    for name, res in data["Resources"].items():
        if isinstance(res, dict) and isinstance(res.get("Type"), str):
            body = _json.dumps(res)[:20000]
            line = _find_line(text, rf"\"{re.escape(str(name))}\"\s*:") or 1
            facts.resources.append(IacResource(path, line, "cloudformation", res["Type"], str(name), body))
            _cfn_schedule(path, line, res["Type"], str(name), body, facts)


# JSON templates are only opened where infrastructure templates usually live (see _DASHBOARD_PATH).
_TEMPLATE_PATH = re.compile(r"(?i)template|cfn|cloudformation|stack|azuredeploy|\.arm\.json$|(?:^|/)(?:infra|"
                            r"infrastructure|iac|deploy|deployment|aws|azure|arm|cdk\.out)/")
_BICEP_RES = re.compile(r"^[ \t]*resource\s+(\w+)\s+'([^'@]+)@", re.MULTILINE)


def _other_iac(project, facts: InfraFacts) -> None:
    for path in project.files:
        base = _basename(path)
        low = base.lower()
        if low in ("pulumi.yaml", "pulumi.yml"):
            facts.iac.append(IacFile(path, "pulumi", "Pulumi project"))
        elif low == "cdk.json":
            facts.iac.append(IacFile(path, "cdk", "AWS CDK app"))
        elif low == "cdktf.json":
            facts.iac.append(IacFile(path, "terraform", "CDK for Terraform app"))
        elif low in ("serverless.yml", "serverless.yaml", "serverless.ts", "serverless.js", "serverless.json"):
            facts.iac.append(IacFile(path, "serverless", "Serverless Framework service"))
            text = project.read_text(path) or ""
            ln = _find_line(text, r"^[ \t]*-[ \t]*schedule[ \t]*:")
            if ln:
                facts.schedules.append(Schedule(path, ln, "serverless", "serverless schedule event",
                                                bool(ML_WORK.search(text))))
        elif low in ("helmfile.yaml", "helmfile.yml"):
            facts.iac.append(IacFile(path, "helm", "helmfile"))
        elif low == "ansible.cfg" or re.search(r"(^|/)roles/[^/]+/tasks/main\.ya?ml$", path) or (
                low.endswith((".yml", ".yaml")) and ("playbook" in low or "/playbooks/" in "/" + path)
                and _find_line(project.read_text(path), r"^[ \t]*-?[ \t]*hosts:")):
            facts.iac.append(IacFile(path, "ansible", "Ansible"))
        elif low.endswith(".bicep"):
            text = project.read_text(path) or ""
            facts.iac.append(IacFile(path, "bicep", "Bicep template"))
            for m in _BICEP_RES.finditer(text):
                start = text.find("{", m.end())
                body = _block_body(text, start) if start != -1 else ""
                facts.resources.append(IacResource(path, _line_of(text, m.start()), "bicep", m.group(2),
                                                   m.group(1), body))
        elif (low.endswith(".template") or low.endswith(".json") and _TEMPLATE_PATH.search(path)) \
                and project.size(path) < 5 * 1024 * 1024:
            text = project.read_text(path)
            if not text:
                continue
            if "deploymentTemplate.json" in text and '"resources"' in text:
                facts.iac.append(IacFile(path, "arm", "Azure Resource Manager template"))
            elif "AWSTemplateFormatVersion" in text or re.search(r'"Type"\s*:\s*"AWS::', text):
                _cloudformation_json(project, path, facts)


# ---------------------------------------------------------------------------------------
# Grafana dashboards (JSON)


# JSON files are only opened where dashboards live: reading every JSON file of a repository
# (datasets, annotations, notebooks' siblings) to look for `"panels"` would be slow.
_DASHBOARD_PATH = re.compile(r"(?i)grafana|dashboard|monitor|observab|mixin")


def _grafana_dashboards(project, facts: InfraFacts) -> None:
    for path in project.files:
        if not path.endswith(".json") or project.size(path) > 5 * 1024 * 1024 \
                or not _DASHBOARD_PATH.search(path):
            continue
        text = project.read_text(path)
        if not text or '"panels"' not in text:
            continue
        data = project.json(path)
        if isinstance(data, dict) and isinstance(data.get("dashboard"), dict):
            data = data["dashboard"]
        if not isinstance(data, dict) or not isinstance(data.get("panels"), list):
            continue
        if not ("schemaVersion" in data or "title" in data or "uid" in data):
            continue
        facts.monitoring.append(MonitoringConfig(path, 1, "grafana-dashboard",
                                                 f"Grafana dashboard {data.get('title', '')}".strip()))
        panels = list(data["panels"])
        for p in list(panels):
            if isinstance(p, dict) and isinstance(p.get("panels"), list):  # rows
                panels.extend(p["panels"])
        if any(isinstance(p, dict) and isinstance(p.get("alert"), dict) for p in panels):
            facts.monitoring.append(MonitoringConfig(path, _find_line(text, r'"alert"\s*:'), "grafana-alerts",
                                                     "legacy dashboard panel alert"))


# ---------------------------------------------------------------------------------------
# pipelines outside Python, and crontabs


def _other_pipelines(project, facts: InfraFacts) -> None:
    for path in project.files:
        base = _basename(path)
        if (base == "Snakefile" or path.endswith(".smk")) and not _in_test_dir(path):
            text = project.read_text(path) or ""
            line = _find_line(text, r"^[ \t]*rule\s+\w+[ \t]*:")
            if line or base == "Snakefile":
                facts.pipelines.append(PipelineFile(path, line, "snakemake", "Snakemake workflow"))
        elif base == ".kedro.yml":
            facts.pipelines.append(PipelineFile(path, 1, "kedro", "Kedro project"))
    for path in _by_names(project, "pyproject.toml"):
        data = project.toml(path) or {}
        if "kedro" in _dict(data.get("tool")):
            facts.pipelines.append(PipelineFile(path, _find_line(project.read_text(path), r"^\[tool\.kedro\]"),
                                                "kedro", "Kedro project"))
    for st in facts.dvc.stages:
        facts.pipelines.append(PipelineFile(st.file, st.line, "dvc", f"DVC stage {st.name}"))
    for ep in facts.entry_points:
        facts.pipelines.append(PipelineFile(ep.file, ep.line, "mlflow-project", f"MLflow entry point {ep.name}"))


_CRON_LINE = re.compile(r"^[ \t]*(?:@(?:hourly|daily|weekly|monthly|yearly|annually|reboot)|"
                        r"(?:[\d*/,-]+[ \t]+){4}[\d*/,A-Za-z-]+)[ \t]+(.+)$", re.MULTILINE)


def _crontabs(project, facts: InfraFacts) -> None:
    for path in project.files:
        base = _basename(path).lower()
        if not (base in ("crontab", "cronfile", "crontab.txt") or base.endswith((".cron", ".crontab"))
                or "/cron.d/" in "/" + path):
            continue
        text = project.read_text(path) or ""
        for m in _CRON_LINE.finditer(text):
            cmd = m.group(1).strip()
            facts.schedules.append(Schedule(path, _line_of(text, m.start()), "crontab", cmd[:120],
                                            bool(ML_WORK.search(cmd))))


def iter_strings(value: Any) -> Iterable[str]:
    """Every string (and mapping key) inside a parsed document; for predicates."""
    return _walk_strings(value, limit=100000)
