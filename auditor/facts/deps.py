"""Dependency facts: every dependency declaration and lock file in the tree, parsed once.

Formats read (anywhere in the tree, so monorepos and subprojects count):
- pip requirement files (`requirements*.txt`, `*-requirements.txt`, `requirements/*.txt`,
  and pip-compile inputs `*.in`), following `-r`/`-c` includes that stay inside the tree;
- `pyproject.toml`: `[project]` dependencies and optional-dependencies, `[dependency-groups]`,
  `[tool.poetry]` dependencies and groups, `[tool.pdm]`/`[tool.uv]` dev-dependencies,
  `[tool.hatch.envs.*]` dependencies, and `[tool.setuptools.dynamic]` requirement files;
- `setup.cfg` (`install_requires`, `extras_require`, `file:` references) and `setup.py`,
  read AS TEXT (an `ast` parse, never executed; a pattern when it is not valid Python 3);
- conda environment files (`environment*.yml`, `conda.yaml`, ...) including the `pip:` list;
- `Pipfile`;
- lock files: poetry.lock, uv.lock, Pipfile.lock, pdm.lock, pylock.toml, conda-lock.yml and
  explicit conda lock files, pixi.lock, Rye `requirements*.lock`.

Malformed files become report problems and contribute what could be read.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from auditor.facts.reqparse import (
    ParsedReq,
    normalize,
    parse_conda,
    parse_pep508,
    parse_reference,
    parse_requirement_lines,
    poetry_constraint_pinned,
    resolve_relative,
    url_is_pinned,
    valid_name,
)

# Lower-cased base-name patterns (fnmatch), looked up anywhere in the tree; files below a
# `requirements/` folder ending in .txt/.in count as requirement files too.
REQUIREMENTS_NAMES = ("*requirements*.txt", "*requirements*.in")
CONDA_NAMES = ("environment*.yml", "environment*.yaml", "conda.yml", "conda.yaml", "conda-env*.yml",
               "conda-env*.yaml", "conda_env*.yml", "conda_env*.yaml")
# Other names conda environments go by (Azure ML's `conda_dependencies.yml`, a CI job's
# `ci_dependencies.yml`): read only when the content is a conda environment (a `dependencies`
# list next to `name` or `channels`), silently skipped otherwise.
SNIFFED_CONDA_NAMES = ("*conda*.yml", "*conda*.yaml", "*dependencies*.yml", "*dependencies*.yaml")
LOCK_NAMES = {
    "poetry.lock": "poetry", "uv.lock": "uv", "pipfile.lock": "pipenv", "pdm.lock": "pdm",
    "pylock.toml": "pylock", "pylock.*.toml": "pylock", "conda-lock.yml": "conda-lock",
    "conda-lock.yaml": "conda-lock", "*.conda-lock.yml": "conda-lock", "*.conda-lock.yaml": "conda-lock",
    "conda-*.lock": "conda-lock", "pixi.lock": "pixi", "requirements*.lock": "requirements-lock",
}
# Vendored third-party trees are not the project's declarations.
SKIP_SEGMENTS = ("node_modules", "site-packages", ".tox", ".nox", ".venv", "venv")
# Requirement-file names (split on - _ . /) that mark tooling rather than the runtime.
AUXILIARY_WORDS = frozenset({"dev", "develop", "development", "test", "tests", "testing", "doc", "docs",
                             "lint", "linting", "style", "typing", "types", "mypy", "ci", "format",
                             "formatting", "precommit", "pre", "qa", "check", "checks", "bench",
                             "benchmark", "benchmarks", "tox", "build", "release", "examples",
                             "example",
                             # lower-bound test matrices (`requirements.min.txt`): not the runtime
                             "min", "minimum", "mindeps", "lowest", "oldest"})
NOT_PACKAGES = frozenset({"python"})   # the interpreter, declared next to packages in some formats
NOT_COUNTED_FOR_PINS = frozenset({"pip", "setuptools", "wheel"})
# Test and lint tools listed in a runtime requirements file: they do not change what the
# model code computes, so one loose `pytest` line does not make the environment unpinned.
DEV_TOOLS = frozenset({"pytest", "coverage", "flake8", "black", "ruff", "mypy", "pylint", "isort",
                       "pre-commit", "tox", "nox", "bandit", "pycodestyle", "pydocstyle", "autopep8",
                       "yapf", "pyright"})


def counted_for_pins(req: "Requirement") -> bool:
    """Whether an entry counts towards the pinned share of an environment file."""
    return not (req.local or req.name in NOT_COUNTED_FOR_PINS or req.name in DEV_TOOLS
                or req.name.startswith(("pytest-", "flake8-", "types-")))


@dataclass(frozen=True)
class Requirement:
    """One declared dependency."""

    name: str                 # PEP 503 normalised; "" when a URL or path names no project
    spec: str                 # "==1.2", ">=2,<3", "^1.4", "@ <url>", a path, or "" (unconstrained)
    pinned: bool              # one version fixed: == / ===, a hash, an archive URL, a commit
    file: str
    line: int | None
    group: str = ""           # "" = runtime; else the extra / group / section ("dev", "test"...)
    local: bool = False       # a local path or the project itself (`-e .`), not a third-party package

    def label(self) -> str:
        return f"{self.name or '?'}{(' ' + self.spec) if self.spec and not self.spec.startswith('@') else ''}"


@dataclass
class Declaration:
    """One file (or one table of a file) that declares dependencies."""

    path: str
    # requirements | pyproject | poetry | pdm | uv | hatch | setup.cfg | setup.py | conda | pipfile
    format: str
    requirements: list[Requirement] = field(default_factory=list)
    line: int | None = None   # where the declaration starts (a table header, a keyword)
    includes: list[str] = field(default_factory=list)     # -r targets (tree paths) that exist
    constraints: list[str] = field(default_factory=list)  # -c targets (tree paths) that exist

    @property
    def auxiliary(self) -> bool:
        """True for tooling-only requirement files (dev, test, docs, lint...)."""
        words = set(re.split(r"[-_./]+", self.path.lower()))
        return bool(words & AUXILIARY_WORDS) or "/docs/" in f"/{self.path.lower()}"


@dataclass(frozen=True)
class LockFile:
    path: str
    format: str               # poetry | uv | pipenv | pdm | pylock | conda-lock | pixi | requirements-lock
    packages: int


@dataclass(frozen=True)
class PinStats:
    """How much of one environment file is pinned (own entries, -r includes and -c pins)."""

    path: str
    pinned: int
    total: int
    unpinned: tuple[str, ...]

    @property
    def ratio(self) -> float:
        return self.pinned / self.total if self.total else 0.0


@dataclass
class DepsFacts:
    declarations: list[Declaration] = field(default_factory=list)
    locks: list[LockFile] = field(default_factory=list)

    @property
    def requirements(self) -> list[Requirement]:
        return [r for d in self.declarations for r in d.requirements]

    def find(self, name: str) -> list[Requirement]:
        key = normalize(name)
        return [r for r in self.requirements if r.name == key]

    def declaration(self, path: str) -> Declaration | None:
        return next((d for d in self.declarations if d.path == path and d.format == "requirements"), None)

    def environment_files(self) -> list[Declaration]:
        """Requirement (.txt) and conda files that describe a runtime environment."""
        return [d for d in self.declarations
                if (d.format == "conda" or (d.format == "requirements" and not d.path.endswith(".in")))
                and not d.auxiliary]

    def pin_stats(self, decl: Declaration) -> PinStats:
        """Pins of one environment file, following its -r includes and -c constraint pins."""
        reqs: list[Requirement] = []
        constrained: set[str] = set()
        seen: set[str] = set()

        def walk(d: Declaration) -> None:
            if d.path in seen:
                return
            seen.add(d.path)
            reqs.extend(d.requirements)
            for inc in d.includes:
                sub = self.declaration(inc)
                if sub is not None:
                    walk(sub)
            for con in d.constraints:
                sub = self.declaration(con)
                if sub is not None:
                    constrained.update(r.name for r in sub.requirements if r.pinned and r.name)

        walk(decl)
        counted = [r for r in reqs if counted_for_pins(r)]
        unpinned = [r for r in counted if not (r.pinned or (r.name and r.name in constrained))]
        return PinStats(decl.path, len(counted) - len(unpinned), len(counted),
                        tuple(r.label() for r in unpinned))


# ====================================================================== extraction
def extract(project) -> DepsFacts:
    facts = DepsFacts()
    done: set[str] = set()
    for path in _candidates(project, REQUIREMENTS_NAMES, in_requirements_dir=True):
        _read_requirements_tree(project, path, facts, done)
    for path in _candidates(project, ("pyproject.toml",)):
        _read_pyproject(project, path, facts, done)
    for path in _candidates(project, ("setup.cfg",)):
        _read_setup_cfg(project, path, facts, done)
    for path in _candidates(project, ("setup.py",)):
        _read_setup_py(project, path, facts)
    conda = _candidates(project, CONDA_NAMES)
    for path in conda:
        _read_conda(project, path, facts, done)
    locks = set(_candidates(project, tuple(LOCK_NAMES)))
    for path in _candidates(project, SNIFFED_CONDA_NAMES):
        if path not in conda and path not in locks:
            _read_conda(project, path, facts, done, sniffed=True)
    for path in _candidates(project, ("pipfile",)):
        _read_pipfile(project, path, facts)
    for path in _candidates(project, tuple(LOCK_NAMES)):
        _read_lock(project, path, _lock_format(path), facts)
    facts.declarations.sort(key=lambda d: (d.path, d.format))
    facts.locks.sort(key=lambda lk: lk.path)
    return facts


def _name_rx(patterns) -> re.Pattern[str]:
    import fnmatch

    return re.compile("|".join(fnmatch.translate(p) for p in patterns))


def _candidates(project, names, *, in_requirements_dir: bool = False) -> list[str]:
    """Files whose (lower-cased) base name matches one of `names` (fnmatch patterns).

    Looks names up in the snapshot's base-name index rather than matching every path, so
    the cost does not grow with the number of files. Vendored trees are skipped.
    """
    rx = _name_rx(names)
    out = [p for name, paths in project.by_name.items() if rx.match(name) for p in paths]
    if in_requirements_dir:
        out += [p for name, paths in project.by_name.items() if name.endswith((".txt", ".in"))
                for p in paths if "/requirements/" in f"/{p.lower()}"]
    return sorted({p for p in out if not any(seg in SKIP_SEGMENTS for seg in p.split("/")[:-1])})


def _lock_format(path: str) -> str:
    name = posixpath.basename(path).lower()
    return next(fmt for pattern, fmt in LOCK_NAMES.items() if _name_rx([pattern]).match(name))


class _Lines:
    """Find the line of a key or string in a file whose parser gives no positions."""

    def __init__(self, text: str | None) -> None:
        self.lines = (text or "").splitlines()

    def header(self, table: str) -> int | None:
        parts = [re.escape(p) for p in table.split(".")]
        rx = re.compile(r"^\s*\[\s*" + r"\s*\.\s*".join(f"[\"']?{p}[\"']?" for p in parts) + r"\s*\]")
        return next((i + 1 for i, ln in enumerate(self.lines) if rx.match(ln)), None)

    def find(self, needle: str, after: int | None = None, *, key: bool = False) -> int | None:
        start = (after or 1) - 1
        if key:
            rx = re.compile(r"^\s*[\"']?" + re.escape(needle) + r"[\"']?\s*[=:]", re.IGNORECASE)
            hit = (i for i in range(start, len(self.lines)) if rx.match(self.lines[i]))
        else:
            hit = (i for i in range(start, len(self.lines)) if needle in self.lines[i])
        return next((i + 1 for i in hit), None)


# ---------------------------------------------------------------------- requirements files
def _read_requirements_tree(project, path: str, facts: DepsFacts, done: set[str]) -> None:
    """Parse a requirements file and, transitively, the in-tree files it includes."""
    stack = [path]
    while stack:
        current = stack.pop()
        if current in done:
            continue
        done.add(current)
        decl = _read_requirements(project, current)
        if decl is None:
            continue
        facts.declarations.append(decl)
        stack.extend(t for t in decl.includes + decl.constraints if t not in done)


def _read_requirements(project, path: str, *, fmt: str = "requirements") -> Declaration | None:
    text = project.read_text(path)
    if text is None:
        return None
    decl = Declaration(path, fmt, line=1)
    bad: list[int] = []
    for item in parse_requirement_lines(text):
        if item.kind == "error":
            bad.append(item.line)
        elif item.kind == "req":
            _add(decl, item.req, item.line)
        else:
            target = resolve_relative(path, item.target)
            if target is not None and project.exists(target):
                (decl.includes if item.kind == "requirement" else decl.constraints).append(target)
    if bad:
        project.add_problem(path, f"unparsable requirement line(s) {', '.join(map(str, bad[:10]))}"
                                  f"{' ...' if len(bad) > 10 else ''}; skipped")
    return decl


def _add(decl: Declaration, req: ParsedReq | None, line: int | None, group: str = "") -> None:
    if req is None or req.name in NOT_PACKAGES:
        return
    decl.requirements.append(Requirement(req.name, req.spec, req.pinned, decl.path, line, group, req.local))


# ---------------------------------------------------------------------- pyproject.toml
def _read_pyproject(project, path: str, facts: DepsFacts, done: set[str]) -> None:
    data = project.toml(path)
    if not isinstance(data, dict):
        return
    lines = _Lines(project.read_text(path))
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}

    proj = data.get("project")
    if isinstance(proj, dict) and ("dependencies" in proj or "optional-dependencies" in proj):
        decl = Declaration(path, "pyproject", line=lines.header("project"))
        _pep508_list(project, decl, lines, proj.get("dependencies"), "", decl.line, "project.dependencies")
        opt = proj.get("optional-dependencies")
        if isinstance(opt, dict):
            start = lines.header("project.optional-dependencies") or decl.line
            for group, items in opt.items():
                _pep508_list(project, decl, lines, items, str(group), start,
                             f"project.optional-dependencies.{group}")
        facts.declarations.append(decl)

    groups = data.get("dependency-groups")
    if isinstance(groups, dict):
        decl = Declaration(path, "pyproject", line=lines.header("dependency-groups"))
        for group, items in groups.items():
            items = [i for i in items if isinstance(i, str)] if isinstance(items, list) else items
            _pep508_list(project, decl, lines, items, str(group), decl.line, f"dependency-groups.{group}")
        facts.declarations.append(decl)

    poetry = tool.get("poetry")
    if isinstance(poetry, dict):
        _read_poetry(project, path, poetry, lines, facts)

    for name, key in (("pdm", "dev-dependencies"), ("uv", "dev-dependencies")):
        section = tool.get(name)
        if not isinstance(section, dict) or key not in section:
            continue
        decl = Declaration(path, name, line=lines.header(f"tool.{name}"))
        value = section[key]
        if isinstance(value, dict):  # pdm: group -> list
            for group, items in value.items():
                _pep508_list(project, decl, lines, items, str(group), decl.line, f"tool.{name}.{key}.{group}")
        else:                        # uv: one list
            _pep508_list(project, decl, lines, value, "dev", decl.line, f"tool.{name}.{key}")
        facts.declarations.append(decl)

    hatch_envs = (tool.get("hatch") or {}).get("envs") if isinstance(tool.get("hatch"), dict) else None
    if isinstance(hatch_envs, dict):
        decl = Declaration(path, "hatch", line=None)
        for env, conf in hatch_envs.items():
            if not isinstance(conf, dict):
                continue
            start = lines.header(f"tool.hatch.envs.{env}")
            for key in ("dependencies", "extra-dependencies"):
                if key in conf:
                    _pep508_list(project, decl, lines, conf[key], f"hatch:{env}", start,
                                 f"tool.hatch.envs.{env}.{key}")
        if decl.requirements:
            decl.line = decl.requirements[0].line
            facts.declarations.append(decl)

    setuptools = tool.get("setuptools")
    dynamic = (setuptools.get("dynamic") or {}) if isinstance(setuptools, dict) else {}
    if isinstance(dynamic, dict):
        for key in ("dependencies", "optional-dependencies"):
            for ref in _file_refs(dynamic.get(key)):
                target = resolve_relative(path, ref)
                if target and project.exists(target):
                    _read_requirements_tree(project, target, facts, done)


def _file_refs(value) -> list[str]:
    """`{file = [...]}` values of [tool.setuptools.dynamic] (also nested per extra)."""
    if isinstance(value, dict):
        if "file" in value:
            f = value["file"]
            if isinstance(f, str):
                return [f]
            return [x for x in f if isinstance(x, str)] if isinstance(f, list) else []
        return [r for v in value.values() for r in _file_refs(v)]
    return []


def _pep508_list(project, decl: Declaration, lines: _Lines, items, group: str, start: int | None,
                 where: str) -> None:
    if items is None:
        return
    if not isinstance(items, list):
        project.add_problem(decl.path, f"[{where}] is not a list of requirement strings; skipped")
        return
    cursor = start
    for item in items:
        if not isinstance(item, str):
            continue
        text = item.strip()
        text = text.removeprefix("-e ")  # pdm editable entries
        local_or_url = text.startswith(("-", ".", "/", "file:", "git+"))
        req = parse_reference(text) if local_or_url else parse_pep508(text)
        line = lines.find(item, cursor) or lines.find(item) or start
        if line:
            cursor = line
        if req is None:
            project.add_problem(decl.path, f"[{where}]: cannot parse requirement {item!r}; skipped")
            continue
        _add(decl, req, line, group)


def _read_poetry(project, path: str, poetry: dict, lines: _Lines, facts: DepsFacts) -> None:
    tables: list[tuple[str, str, object]] = []
    if "dependencies" in poetry:
        tables.append(("", "tool.poetry.dependencies", poetry["dependencies"]))
    if "dev-dependencies" in poetry:
        tables.append(("dev", "tool.poetry.dev-dependencies", poetry["dev-dependencies"]))
    groups = poetry.get("group")
    if isinstance(groups, dict):
        for group, conf in groups.items():
            if isinstance(conf, dict) and "dependencies" in conf:
                tables.append((str(group), f"tool.poetry.group.{group}.dependencies", conf["dependencies"]))
    if not tables:
        return
    decl = Declaration(path, "poetry", line=lines.header(tables[0][1]) or lines.header("tool.poetry"))
    for group, where, table in tables:
        if not isinstance(table, dict):
            project.add_problem(path, f"[{where}] is not a table; skipped")
            continue
        start = lines.header(where)
        for name, value in table.items():
            if not valid_name(str(name)) or normalize(str(name)) in NOT_PACKAGES:
                continue
            spec, pinned, local = _poetry_value(value)
            line = lines.find(str(name), start, key=True) or start
            decl.requirements.append(
                Requirement(normalize(str(name)), spec, pinned, path, line, group, local))
    facts.declarations.append(decl)


def _poetry_value(value) -> tuple[str, bool, bool]:
    """(spec, pinned, local) of a Poetry or Pipfile dependency value."""
    if isinstance(value, str):
        spec = value.strip()
        return ("" if spec == "*" else spec), poetry_constraint_pinned(spec), False
    if isinstance(value, list):  # several constraints for different markers: pinned if all are
        parts = [_poetry_value(v) for v in value]
        return (" || ".join(p[0] for p in parts if p[0]), bool(parts) and all(p[1] for p in parts),
                any(p[2] for p in parts))
    if isinstance(value, dict):
        if "path" in value:
            return str(value["path"]), False, True
        for vcs in ("git", "hg", "svn"):
            if vcs in value:
                ref = value.get("rev") or value.get("ref") or value.get("tag") or value.get("branch") or ""
                url = f"{vcs}+{value[vcs]}" + (f"@{ref}" if ref else "")
                return "@ " + url, url_is_pinned(url), False
        if "url" in value:
            return "@ " + str(value["url"]), url_is_pinned(str(value["url"])), False
        version = value.get("version")
        if isinstance(version, str):
            spec = version.strip()
            return ("" if spec == "*" else spec), poetry_constraint_pinned(spec), False
    return "", False, False


# ---------------------------------------------------------------------- setup.cfg / setup.py
def _read_setup_cfg(project, path: str, facts: DepsFacts, done: set[str]) -> None:
    import configparser

    text = project.read_text(path)
    if text is None:
        return
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text, source=path)
    except configparser.Error as exc:
        project.add_problem(path, f"unparsable: {' '.join(str(exc).split())}")
        return
    lines = _Lines(text)
    entries: list[tuple[str, str, int | None]] = []  # (group, value, section line)
    if parser.has_option("options", "install_requires"):
        entries.append(("", parser.get("options", "install_requires"), lines.header("options")))
    if parser.has_section("options.extras_require"):
        start = lines.header("options.extras_require")
        for group, value in parser.items("options.extras_require"):
            entries.append((group, value, start))
    if not entries:
        return
    decl = Declaration(path, "setup.cfg", line=entries[0][2])
    for group, value, start in entries:
        cursor = start
        for raw in value.splitlines():
            item = "" if raw.strip().startswith(("#", ";")) else re.sub(r"\s+#.*$", "", raw).strip()
            if not item:
                continue
            if item.startswith("file:"):
                for ref in item[5:].split(","):
                    target = resolve_relative(path, ref.strip())
                    if target and project.exists(target):
                        _read_requirements_tree(project, target, facts, done)
                continue
            req = parse_pep508(item) or parse_reference(item)
            line = lines.find(item, cursor) or start
            cursor = line
            if req is None:
                project.add_problem(path, f"line {line}: cannot parse requirement {item!r}; skipped")
                continue
            _add(decl, req, line, group)
    facts.declarations.append(decl)


_SETUP_KEYWORDS = {"install_requires": "", "extras_require": None, "tests_require": "test"}


def _read_setup_py(project, path: str, facts: DepsFacts) -> None:
    """install_requires / extras_require / tests_require of setup(), from the AST (never run)."""
    import ast

    text = project.read_text(path)
    if text is None:
        return
    try:
        tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        _read_setup_py_by_pattern(project, path, text, facts)
        return
    assigned: dict[str, ast.AST] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            assigned[node.targets[0].id] = node.value
    decl: Declaration | None = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        fname = (func.id if isinstance(func, ast.Name)
                 else func.attr if isinstance(func, ast.Attribute) else "")
        if fname != "setup":
            continue
        for kw in node.keywords:
            if kw.arg not in _SETUP_KEYWORDS:
                continue
            if decl is None:
                decl = Declaration(path, "setup.py", line=kw.value.lineno)
            value = kw.value
            if isinstance(value, ast.Name) and value.id in assigned:
                value = assigned[value.id]
            if kw.arg == "extras_require":
                if isinstance(value, ast.Dict):
                    for k, v in zip(value.keys, value.values):
                        named = isinstance(k, ast.Constant) and isinstance(k.value, str)
                        group = k.value if named else "extra"
                        if isinstance(v, ast.Name) and v.id in assigned:
                            v = assigned[v.id]
                        _setup_py_list(decl, v, group)
            else:
                _setup_py_list(decl, value, _SETUP_KEYWORDS[kw.arg])
    if decl is not None:
        facts.declarations.append(decl)


def _setup_py_list(decl: Declaration, node, group: str) -> None:
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, str):  # one string, one per line
        for offset, item in enumerate(node.value.splitlines()):
            if item.strip() and not item.strip().startswith("#"):
                _add(decl, parse_pep508(item) or parse_reference(item), node.lineno + offset, group)
        return
    if not isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return  # computed (e.g. read from a file): the keyword still declares dependencies
    for elt in node.elts:
        if isinstance(elt, ast.Constant) and isinstance(elt.value, str):
            _add(decl, parse_pep508(elt.value) or parse_reference(elt.value), elt.lineno, group)


_SETUP_PATTERN = re.compile(r"install_requires\s*=\s*\[(?P<body>[^\]]*)\]", re.DOTALL)


def _read_setup_py_by_pattern(project, path: str, text: str, facts: DepsFacts) -> None:
    m = _SETUP_PATTERN.search(text)
    if not m and "install_requires" not in text:
        project.add_problem(path, "not valid Python 3; no install_requires found by pattern")
        return
    project.add_problem(path, "not valid Python 3; install_requires read by pattern")
    start = text.count("\n", 0, m.start() if m else text.index("install_requires")) + 1
    decl = Declaration(path, "setup.py", line=start)
    if m:
        body_start = m.start("body")
        for s in re.finditer(r"""(['"])([^'"\n]+)\1""", m.group("body")):
            line = text.count("\n", 0, body_start + s.start()) + 1
            _add(decl, parse_pep508(s.group(2)), line)
    facts.declarations.append(decl)


# ---------------------------------------------------------------------- conda / Pipfile
def _read_conda(project, path: str, facts: DepsFacts, done: set[str], *, sniffed: bool = False) -> None:
    data = project.yaml(path)
    if data is None:
        return
    if sniffed and not (isinstance(data, dict) and isinstance(data.get("dependencies"), list)
                        and ("name" in data or "channels" in data)):
        return                             # some other YAML file with a similar name
    if not isinstance(data, dict) or "dependencies" not in data:
        if isinstance(data, dict) and ("name" in data or "channels" in data):
            project.add_problem(path, "conda environment without a `dependencies` list")
        return
    deps = data.get("dependencies")
    if not isinstance(deps, list):
        project.add_problem(path, "`dependencies` is not a list; skipped")
        return
    lines = _Lines(project.read_text(path))
    decl = Declaration(path, "conda", line=lines.find("dependencies", key=True))
    cursor = decl.line
    for item in deps:
        if isinstance(item, (str, int, float)):
            text = str(item)
            line = lines.find(text, cursor) or cursor
            cursor = line
            req = parse_conda(text)
            if req is None:
                project.add_problem(path, f"line {line}: cannot parse conda spec {text!r}; skipped")
            _add(decl, req, line, "conda")
        elif isinstance(item, dict) and isinstance(item.get("pip"), list):
            for pip_item in item["pip"]:
                if not isinstance(pip_item, str):
                    continue
                line = lines.find(pip_item, cursor) or cursor
                cursor = line
                for parsed in parse_requirement_lines(pip_item):
                    if parsed.kind == "req":
                        _add(decl, parsed.req, line)
                    elif parsed.kind in ("requirement", "constraint"):
                        target = resolve_relative(path, parsed.target)
                        if target and project.exists(target):
                            refs = decl.includes if parsed.kind == "requirement" else decl.constraints
                            refs.append(target)
                            _read_requirements_tree(project, target, facts, done)
                    else:
                        project.add_problem(path, f"line {line}: cannot parse pip requirement {pip_item!r}")
    facts.declarations.append(decl)


def _read_pipfile(project, path: str, facts: DepsFacts) -> None:
    data = project.toml(path)
    if not isinstance(data, dict):
        return
    lines = _Lines(project.read_text(path))
    decl = Declaration(path, "pipfile", line=lines.header("packages"))
    found = False
    for section, table in data.items():
        if section in ("source", "requires", "scripts", "pipenv") or not isinstance(table, dict):
            continue
        found = True
        group = "" if section == "packages" else "dev" if section == "dev-packages" else section
        start = lines.header(section)
        for name, value in table.items():
            if not valid_name(str(name)):
                continue
            spec, pinned, local = _poetry_value(value)
            if isinstance(value, dict) and value.get("editable") and "path" in value:
                local = True
            line = lines.find(str(name), start, key=True) or start
            decl.requirements.append(
                Requirement(normalize(str(name)), spec, pinned, path, line, group, local))
    if found:
        facts.declarations.append(decl)


# ---------------------------------------------------------------------- lock files
def _read_lock(project, path: str, fmt: str, facts: DepsFacts) -> None:
    """Record a lock file that parses; count its packages. Unparsable locks are problems."""
    count: int | None = None
    base = posixpath.basename(path)
    if fmt in ("poetry", "uv", "pdm", "pylock"):
        data = project.toml(path)
        if isinstance(data, dict):
            pkgs = data.get("packages" if fmt == "pylock" else "package", [])
            count = len(pkgs) if isinstance(pkgs, list) else 0
    elif fmt == "pipenv":
        data = project.json(path)
        if isinstance(data, dict):
            count = sum(len(v) for k, v in data.items() if k != "_meta" and isinstance(v, dict))
        elif data is not None:
            project.add_problem(path, "Pipfile.lock is not a JSON object")
    elif fmt == "requirements-lock":
        decl = _read_requirements(project, path, fmt="requirements-lock")
        if decl is not None:
            count = len(decl.requirements)
    elif fmt == "conda-lock" and base.endswith(".lock"):
        text = project.read_text(path)
        if text is not None:
            if "@EXPLICIT" in text:
                urls = ("http://", "https://", "file:")
                count = sum(1 for ln in text.splitlines() if ln.strip().startswith(urls))
            else:
                project.add_problem(path, "not an explicit conda lock file (no @EXPLICIT marker)")
    else:  # conda-lock.yml, pixi.lock
        data = project.yaml(path)
        if isinstance(data, dict):
            pkgs = data.get("package") if fmt == "conda-lock" else data.get("packages")
            if isinstance(pkgs, dict):  # older pixi: platform -> list
                pkgs = [p for v in pkgs.values() if isinstance(v, list) for p in v]
            count = len(pkgs) if isinstance(pkgs, list) else 0
        elif data is not None:
            project.add_problem(path, f"{base} is not a YAML mapping")
    if count is not None:
        facts.locks.append(LockFile(path, fmt, count))
