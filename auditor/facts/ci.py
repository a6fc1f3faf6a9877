"""The CI model: every CI system of the repository, normalised into jobs.

Rules ask questions such as "does a CI job run the tests?" or "does anything run on a
schedule?" whatever the vendor. This module finds the CI configuration files of every
system named in rule CI001, hands each to its vendor reader (`ci_github`, `ci_gitlab`,
`ci_azure`, `ci_vendors`, `ci_jenkins`), and then annotates each command that only calls
another tool (`tox`, `nox`, `make test`, `just test`, `invoke`, `poe`, `hatch run`,
`pdm run`, `pre-commit run`, a shell script) with what that tool runs (`ci_targets`).

A file that cannot be parsed still counts as "CI configured" (it is in `files`) but gives no
jobs; the problem is recorded on the project. Readers never raise on wrongly shaped input.

Fact name: "ci" -> `CIModel`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# system id -> display name
SYSTEMS: dict[str, str] = {
    "github-actions": "GitHub Actions",
    "gitlab-ci": "GitLab CI",
    "jenkins": "Jenkins",
    "circleci": "CircleCI",
    "azure-pipelines": "Azure Pipelines",
    "travis": "Travis CI",
    "bitbucket-pipelines": "Bitbucket Pipelines",
    "buildkite": "Buildkite",
    "drone": "Drone",
    "woodpecker": "Woodpecker CI",
    "cloud-build": "Google Cloud Build",
    "codebuild": "AWS CodeBuild",
    "tekton": "Tekton",
    "prow": "Prow",
}

# system id -> globs of its configuration files (anywhere: monorepo subprojects count)
DETECT: dict[str, list[str]] = {
    "github-actions": ["**/.github/workflows/*.yml", "**/.github/workflows/*.yaml"],
    "gitlab-ci": ["**/.gitlab-ci.yml", "**/.gitlab-ci.yaml"],
    "jenkins": ["**/Jenkinsfile", "**/Jenkinsfile.*", "**/Jenkinsfile-*", "**/Jenkinsfile_*",
                "**/*.jenkinsfile", "**/*.Jenkinsfile"],
    "circleci": ["**/.circleci/config.yml", "**/.circleci/config.yaml"],
    "azure-pipelines": ["**/azure-pipelines*.yml", "**/azure-pipelines*.yaml",
                        "**/.azure-pipelines/**/*.yml", "**/.azure-pipelines/**/*.yaml",
                        "**/azure-pipelines/**/*.yml", "**/azure-pipelines/**/*.yaml",
                        "**/.azuredevops/**/*.yml", "**/.azuredevops/**/*.yaml"],
    "travis": ["**/.travis.yml", "**/.travis.yaml"],
    "bitbucket-pipelines": ["**/bitbucket-pipelines.yml", "**/bitbucket-pipelines.yaml"],
    "buildkite": ["**/.buildkite/*.yml", "**/.buildkite/*.yaml", "**/.buildkite/*.json",
                  "**/buildkite.yml", "**/buildkite.yaml"],
    "drone": ["**/.drone.yml", "**/.drone.yaml"],
    "woodpecker": ["**/.woodpecker.yml", "**/.woodpecker.yaml",
                   "**/.woodpecker/*.yml", "**/.woodpecker/*.yaml"],
    "cloud-build": ["**/cloudbuild*.yaml", "**/cloudbuild*.yml", "**/cloudbuild*.json"],
    "codebuild": ["**/buildspec*.yml", "**/buildspec*.yaml"],
    "tekton": ["**/.tekton/**/*.yaml", "**/.tekton/**/*.yml"],
    "prow": ["**/.prow.yaml", "**/.prow.yml", "**/.prow/*.yaml", "**/.prow/*.yml"],
}

# Directories that hold other files, recognised by content rather than by name.
_CONTENT_DETECT: dict[str, tuple[list[str], re.Pattern[str]]] = {
    "tekton": (["**/tekton/**/*.yaml", "**/tekton/**/*.yml"],
               re.compile(r"^apiVersion:\s*tekton\.dev/", re.MULTILINE)),
    "azure-pipelines": (["**/.pipelines/**/*.yml", "**/.pipelines/**/*.yaml",
                         "**/.azure/pipelines/**/*.yml", "**/.azure/pipelines/**/*.yaml"],
                        re.compile(r"^[ \t]*(?:-[ \t]*)?(?:vmImage|pool|task|stages|trigger)[ \t]*:", re.MULTILINE)),
}

# Folders that hold CI files for the directory above them (their "base" directory).
_CONFIG_DIRS = (".github/workflows", ".github", ".circleci", ".buildkite", ".woodpecker", ".tekton",
                ".prow", ".azure-pipelines", "azure-pipelines", ".azuredevops", ".pipelines",
                ".azure/pipelines")


@dataclass(frozen=True)
class CIStep:
    """A command reached through indirection: what `make test` or `tox -e py` really runs."""

    text: str
    file: str
    line: int | None
    via: str = ""     # how it was reached, e.g. "make target `test`", "tox env `py311`"
    kind: str = "run"  # run | install | info (see ci_yaml.command_kind)


@dataclass
class CICommand:
    """One simple shell command of a job (a `run:` block gives several)."""

    text: str
    line: int | None
    file: str = ""
    kind: str = "run"   # run | install | info; only "run" commands count as running a tool
    cwd: str = ""       # directory it runs in, relative to the project root ("" = root)
    note: str = ""      # where a synthetic command comes from, e.g. "uses: pre-commit/action@v3"
    expands: list[CIStep] = field(default_factory=list)
    resolved: bool = False  # an indirection whose target was found: `expands` replaces `text`
    interpreters: list[str] = field(default_factory=list)  # tox/nox/hatch interpreters it covers

    def candidates(self) -> list[CIStep]:
        """What this command runs: itself, plus or instead of (when resolved) its expansion."""
        own = CIStep(self.text, self.file, self.line, "", self.kind)
        return list(self.expands) if self.resolved else [own, *self.expands]


@dataclass
class CIJob:
    """A CI job, normalised across vendors."""

    system: str
    file: str
    name: str
    line: int | None
    commands: list[CICommand] = field(default_factory=list)
    triggers: set[str] = field(default_factory=set)  # push, pull_request, schedule, manual, tag, ...
    matrix: dict[str, list[str]] = field(default_factory=dict)  # axes; python/os normalised
    uses: list[str] = field(default_factory=list)  # actions, orbs, templates, tasks, pipes, plugins
    python: list[str] = field(default_factory=list)  # Python versions it runs on (matrix or fixed)
    os: list[str] = field(default_factory=list)  # operating systems / runner images it runs on
    calls: list[str] = field(default_factory=list)  # local files of reusable workflows it calls

    def add_commands(self, pairs: Iterable[tuple[str, int | None]], *, file: str | None = None,
                     cwd: str | None = None, note: str = "") -> str:
        """Append commands, following `cd DIR` so later commands know their directory.

        `cwd` defaults to the directory the CI file builds; the final directory is returned
        (GitLab and Jenkins keep one shell across a job's script lines).
        """
        from auditor.facts.ci_yaml import MAX_COMMAND_CHARS, command_kind

        if cwd is None:
            cwd = base_dir(self.file)
        for text, line in pairs:
            text = text[:MAX_COMMAND_CHARS]
            m = _CD.match(text)
            if m:
                cwd = _join_dir(cwd, m.group(1))
            self.commands.append(CICommand(text=text, line=line, file=file or self.file,
                                           kind=command_kind(text), cwd=cwd, note=note))
        return cwd


@dataclass
class CIModel:
    files: dict[str, list[str]] = field(default_factory=dict)  # system id -> config files
    jobs: list[CIJob] = field(default_factory=list)
    precommit_ci: list[str] = field(default_factory=list)  # pre-commit configs with a `ci:` section

    @property
    def configured(self) -> bool:
        return any(self.files.values())

    @property
    def systems(self) -> list[str]:
        return [s for s, files in self.files.items() if files]

    def all_files(self) -> list[str]:
        return sorted({f for files in self.files.values() for f in files})


_CD = re.compile(r"^(?:cd|pushd)\s+(['\"]?)([^'\"\s;&|]+)\1\s*$")


def _join_dir(cwd: str, target: str) -> str:
    if target.startswith(("$", "~", "-")) or "$" in target:
        return cwd  # unknown at rest
    if target.startswith("/"):
        return cwd  # an absolute path on the runner: cannot map it to the tree
    joined = posixpath.normpath(posixpath.join(cwd or ".", target))
    return "" if joined in (".", "") or joined.startswith("..") else joined


def join_dir(cwd: str, target: str) -> str:
    """`cwd` joined with a relative directory from a CI file, normalised ("" = root)."""
    return _join_dir(cwd, target.rstrip("/")) if target else cwd


def base_dir(rel: str) -> str:
    """The directory a CI file builds: `sub/.github/workflows/ci.yml` -> `sub`."""
    parent = posixpath.dirname(rel)
    for d in _CONFIG_DIRS:
        if parent == d:
            return ""
        if parent.endswith("/" + d):
            return parent[: -len(d) - 1]
        idx = parent.find("/" + d + "/") if not parent.startswith(d + "/") else -1
        if parent.startswith(d + "/"):
            return ""
        if idx != -1:
            return parent[:idx]
    return parent


# ---------------------------------------------------------------- matrix axes

_PY_AXIS = re.compile(r"python|^py(?:thon)?[-_.]?(?:ver(?:sion)?s?)?$|^pyver|^interpreter|^toxenv$|^py$",
                      re.IGNORECASE)
_OS_AXIS = re.compile(r"^(?:os|platform|platforms|runner|runners|runs[-_]on|vm[-_]?image|image[-_]?name|"
                      r"operating[-_]system|os[-_]version|os[-_]name|agent|machine|host[-_]os)$", re.IGNORECASE)


def axis_name(key: str) -> str:
    """Normalise a matrix axis name: Python versions -> 'python', OS/runner -> 'os'."""
    k = str(key).strip()
    if _OS_AXIS.match(k):
        return "os"
    if _PY_AXIS.search(k):
        return "python"
    return k


def axis_values(value: Any) -> list[str]:
    """A matrix axis value as a list of strings ([] for expressions we cannot evaluate)."""
    if isinstance(value, dict):
        return []
    items = value if isinstance(value, list) else [value]
    out = []
    for v in items:
        if v is None or isinstance(v, (dict, list)):
            continue
        s = str(v).strip()
        if s and s not in out:
            out.append(s)
    return out


def merge_axes(matrix: dict[str, list[str]], key: str, values: Iterable[str]) -> None:
    name = axis_name(key)
    cur = matrix.setdefault(name, [])
    for v in values:
        if v not in cur:
            cur.append(v)


def python_version_of(text: Any) -> str | None:
    """The Python version of a container image: '3.11' from `python:3.11-slim`, `cimg/python:3.11`."""
    m = re.search(r"(?:python|pypy)[^:/\s]*:(\d\.\d{1,2})", str(text), re.IGNORECASE)
    return m.group(1) if m else None


# ---------------------------------------------------------------- extraction

def _could_be_ci(base: str) -> bool:
    return base.endswith((".yml", ".yaml", ".json")) or "jenkinsfile" in base


def detect(project) -> dict[str, list[str]]:
    """System id -> its configuration files. One pass over the (pre-filtered) file list."""
    from auditor.pathmatch import compile_glob

    candidates = sorted(p for base, paths in project.by_name.items() if _could_be_ci(base) for p in paths)
    files: dict[str, list[str]] = {}
    for system, globs in DETECT.items():
        rxs = [compile_glob(g) for g in globs]
        files[system] = [f for f in candidates if any(rx.match(f) for rx in rxs)]
    for system, (globs, marker) in _CONTENT_DETECT.items():
        rxs = [compile_glob(g) for g in globs]
        for rel in (f for f in candidates if any(rx.match(f) for rx in rxs)):
            if rel in files[system]:
                continue
            text = project.read_text(rel)
            if text and marker.search(text):
                files[system].append(rel)
        files[system].sort()
    _detect_cloudbuild_by_content(project, candidates, files)
    return files


# Cloud Build configurations may have any name (`gcloud builds submit --config build/deploy.yaml`):
# recognised by shape, a top-level `steps:` list of builder images with args/entrypoint/script.
# `[ \t]` rather than `\s` after `^`: `\s*` would run across blank lines (quadratic on bait files)
_CB_STEPS = re.compile(r"^steps:[ \t]*(?:#.*)?$", re.MULTILINE)
_CB_BUILDER = re.compile(r"^[ \t]*-[ \t]*name:[ \t]*['\"]?(?:gcr\.io/|[\w-]+-docker\.pkg\.dev/|\$_|\$\{_)",
                         re.MULTILINE)
_CB_ARGS = re.compile(r"^[ \t]+(?:args|entrypoint|script):", re.MULTILINE)
_CB_OTHER = re.compile(r"^[ \t]+(?:image|commands|run|uses|task|pool|runs-on):", re.MULTILINE)
_CB_SKIP = (".github/", ".gitlab/", ".circleci/", ".buildkite/", ".woodpecker/", ".tekton/", "node_modules/")


def _detect_cloudbuild_by_content(project, candidates: list[str], files: dict[str, list[str]]) -> None:
    known = {f for paths in files.values() for f in paths}
    for rel in candidates:
        if rel in known or not rel.endswith((".yaml", ".yml")) or any(d in "/" + rel for d in
                                                                       ["/" + s for s in _CB_SKIP]):
            continue
        text = project.read_text(rel)
        if text and _CB_STEPS.search(text) and _CB_BUILDER.search(text) and _CB_ARGS.search(text) \
                and not _CB_OTHER.search(text):
            files["cloud-build"].append(rel)
    files["cloud-build"].sort()


def _precommit_ci(project) -> list[str]:
    """pre-commit configurations with a `ci:` section: pre-commit.ci runs their hooks."""
    return [c.path for c in project.fact("precommit").configs if c.ci is not None]


def extract(project) -> CIModel:
    from auditor.facts import ci_azure, ci_github, ci_gitlab, ci_jenkins, ci_vendors
    from auditor.facts.ci_targets import Resolver

    model = CIModel(files=detect(project))
    if model.files["gitlab-ci"]:  # the files a pipeline includes are part of its configuration
        model.files["gitlab-ci"] = sorted(ci_gitlab.all_files(project, ci_gitlab.roots(project, model.files["gitlab-ci"])))
    readers = {
        "github-actions": ci_github.jobs,
        "gitlab-ci": ci_gitlab.jobs,
        "azure-pipelines": ci_azure.jobs,
        "jenkins": ci_jenkins.jobs,
        "circleci": ci_vendors.circleci_jobs,
        "travis": ci_vendors.travis_jobs,
        "bitbucket-pipelines": ci_vendors.bitbucket_jobs,
        "buildkite": ci_vendors.buildkite_jobs,
        "drone": ci_vendors.drone_jobs,
        "woodpecker": ci_vendors.woodpecker_jobs,
        "cloud-build": ci_vendors.cloudbuild_jobs,
        "codebuild": ci_vendors.codebuild_jobs,
        "tekton": ci_vendors.tekton_jobs,
        "prow": ci_vendors.prow_jobs,
    }
    for system, files in model.files.items():
        if not files:
            continue
        try:
            model.jobs.extend(readers[system](project, files))
        except RecursionError:
            for rel in files:
                project.add_problem(rel, "CI configuration nested too deeply; jobs not read")
    resolver = Resolver(project)
    for job in model.jobs:
        for cmd in job.commands:
            resolver.annotate(cmd)
    model.precommit_ci = _precommit_ci(project)
    return model
