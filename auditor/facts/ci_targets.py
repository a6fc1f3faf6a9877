"""Resolve CI commands that only call another tool into what that tool runs.

`tox`, `nox -s tests`, `make test`, `just test`, `invoke test`, `poe test`, `hatch run test`,
`pdm run test`, `pixi run test`, `pre-commit run` and `./scripts/ci.sh` hide the real work
behind a target name. "CI runs the tests" must look behind it: `make test` whose recipe
is `python demo.py` runs no test suite, and `tox -e lint` runs a linter. The resolver reads
the target definitions (tox.ini / setup.cfg / pyproject [tool.tox] / tox.toml, noxfile.py and
tasks.py parsed with `ast` and never imported, Makefile, justfile, pyproject [tool.poe],
[tool.hatch.envs], [tool.pdm.scripts], pixi tasks, .pre-commit-config.yaml, shell scripts),
all through the project snapshot, and annotates the command with the leaf commands.

Semantics of an annotation (see `CICommand.candidates`):
- resolved indirection (a target found): the expansion *replaces* the command;
- pre-commit: hooks are *added* (pre-commit itself is a linter runner);
- unresolved: the command stands for itself (`make test` with no Makefile in sight).
Interpreters a tox/nox/hatch run covers (tox `py310,py311`) are collected for CI004.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from auditor.facts.ci import CICommand, CIStep, join_dir
from auditor.facts.ci_yaml import command_kind, split_script

MAX_DEPTH = 4
MAX_STEPS = 200


@dataclass
class Expansion:
    steps: list[CIStep] = field(default_factory=list)
    resolved: bool = True
    interpreters: list[str] = field(default_factory=list)
    additive: bool = False  # pre-commit: hooks add to the command instead of replacing it


# (text, file, line, via, cwd)
Raw = tuple[str, str, "int | None", str, str]

_ENV_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_WRAPPERS = {"sudo", "time", "env", "exec", "command", "nice", "nohup", "xvfb-run", "stdbuf"}
_UV_RUN_OPTS_WITH_VALUE = {"--with", "--with-requirements", "--extra", "--group", "-p", "--python", "--package",
                           "--directory", "--project", "--env-file", "--index", "--index-url", "-w",
                           "--with-editable", "--only-group", "--no-group", "--frozen-from"}
_PY_INTERP = re.compile(r"^(?:py|python)(\d)\.?(\d{1,2})$|^(\d)\.(\d{1,2})$|^pypy(\d)\.?(\d{0,2})$")


def interpreter_of(factor: str) -> str | None:
    """'3.11' for tox/nox factors `py311`, `py3.11`, `3.11`, 'pypy3.10' for `pypy310`."""
    m = _PY_INTERP.match(factor.strip().lower())
    if not m:
        return None
    if m.group(1):
        return f"{m.group(1)}.{m.group(2)}"
    if m.group(3):
        return f"{m.group(3)}.{m.group(4)}"
    return f"pypy{m.group(5)}{'.' + m.group(6) if m.group(6) else ''}"


_CI_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def words_of(text: str) -> list[str]:
    # `${{ matrix.env }}` is one value to the runner; keep it one word (`-e ${{ matrix.env }} tests`)
    text = _CI_EXPR.sub(lambda m: "${{" + "".join(m.group(1).split()) + "}}", text)
    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError:
        return text.split()


def strip_wrappers(words: list[str]) -> list[str]:
    """Drop `VAR=x`, `sudo`, `uv run`, `poetry run`, `python -m` and the like in front of a tool."""
    w = list(words)
    for _ in range(8):
        if not w:
            return w
        head = w[0]
        if _ENV_ASSIGN.match(head) or head in _WRAPPERS or head.startswith("-") and head in ("-a", "--auto-servernum"):
            w = w[1:]
        elif head in ("uv", "poetry", "pipenv", "rye", "pipx", "micromamba", "conda", "mamba") and \
                len(w) > 1 and w[1] == "run":
            rest = w[2:]
            while rest and rest[0].startswith("-"):
                opt = rest.pop(0)
                if opt in _UV_RUN_OPTS_WITH_VALUE or opt in ("-n", "--name", "--prefix", "--spec") and rest:
                    rest = rest[1:]
            w = rest
        elif head in ("uvx",) or head == "poetry" and len(w) > 1 and w[1] == "poe":
            w = w[1:]
        elif re.match(r"^(?:python|python3|python3\.\d+|py)$", head) and len(w) > 2 and w[1] == "-m":
            w = w[2:]
        else:
            return w
    return w


def _split_opts(args: list[str], with_value: set[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Options (with values) and positional words, stopping at `--`."""
    opts: dict[str, list[str]] = {}
    pos: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            break
        if a.startswith("--") and "=" in a:
            k, v = a.split("=", 1)
            opts.setdefault(k, []).append(v)
        elif a in with_value:
            opts.setdefault(a, []).append(args[i + 1] if i + 1 < len(args) else "")
            i += 1
        elif a.startswith("-") and len(a) > 2 and a[:2] in with_value:
            opts.setdefault(a[:2], []).append(a[2:].lstrip("="))
        elif a.startswith("-"):
            opts.setdefault(a, []).append("")
        else:
            pos.append(a)
        i += 1
    return opts, pos


def _find_line(text: str, needle: str, start: int = 0) -> int | None:
    if not needle:
        return None
    pos = text.find(needle, start)
    return None if pos < 0 else text.count("\n", 0, pos) + 1


# ---------------------------------------------------------------- INI with line numbers

def parse_ini(text: str) -> dict[str, dict[str, list[tuple[str, int]]]]:
    """Sections -> keys -> value lines (text, line). Tolerant, order-preserving."""
    sections: dict[str, dict[str, list[tuple[str, int]]]] = {}
    section: dict[str, list[tuple[str, int]]] | None = None
    key: str | None = None
    for no, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if raw[:1] in (" ", "\t") and section is not None and key is not None:
            section[key].append((stripped, no))
            continue
        if stripped.startswith("[") and "]" in stripped:
            section = sections.setdefault(stripped[1:stripped.index("]")].strip(), {})
            key = None
            continue
        m = re.match(r"^([^=:\s][^=:]*?)\s*[=:]\s*(.*)$", stripped)
        if m and section is not None:
            key = m.group(1).strip()
            section[key] = [(m.group(2).strip(), no)] if m.group(2).strip() else []
    return sections


def _expand_braces(name: str) -> list[str]:
    m = re.search(r"\{([^{}]*)\}", name)
    if not m:
        return [name]
    out = []
    for alt in m.group(1).split(","):
        out.extend(_expand_braces(name[:m.start()] + alt.strip() + name[m.end():]))
        if len(out) > 200:
            break
    return out


_FACTOR_COND = re.compile(r"^!?[A-Za-z0-9_.{}-]+(?:\s*,\s*!?[A-Za-z0-9_.{}-]+)*\s*:\s+(?=\S)")


class Resolver:
    """Expands indirections; every file it reads comes from the project snapshot."""

    def __init__(self, project) -> None:
        self.project = project
        self._memo: dict[tuple[str, str], Expansion | None] = {}
        self._parsed: dict[tuple[str, str], Any] = {}

    # ------------------------------------------------------------ entry points
    def annotate(self, cmd: CICommand) -> None:
        if cmd.kind != "run":
            return
        exp = self.expand(cmd.text, cmd.cwd, 0)
        if exp is None:
            return
        cmd.expands = exp.steps[:MAX_STEPS]
        cmd.resolved = exp.resolved and not exp.additive
        cmd.interpreters = exp.interpreters

    def expand(self, text: str, cwd: str, depth: int) -> Expansion | None:
        key = (text, cwd)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = None  # guards against cycles (make a -> make a)
        result = None
        if depth <= MAX_DEPTH:
            try:
                result = self._dispatch(text, cwd, depth)
            except RecursionError:
                result = None
        self._memo[key] = result
        return result

    def _dispatch(self, text: str, cwd: str, depth: int) -> Expansion | None:
        words = strip_wrappers(words_of(text))
        if not words:
            return None
        tool = posixpath.basename(words[0])
        args = words[1:]
        if tool == "tox":
            return self._tox(args, cwd, depth)
        if tool == "nox":
            return self._nox(args, cwd, depth)
        if tool in ("make", "gmake", "$(MAKE)", "${MAKE}"):
            return self._make(args, cwd, depth)
        if tool == "just":
            return self._just(args, cwd, depth)
        if tool in ("invoke", "inv"):
            return self._invoke(args, cwd, depth)
        if tool == "poe":
            return self._poe(args, cwd, depth)
        if tool == "hatch" and args[:1] == ["run"]:
            return self._hatch(args[1:], cwd, depth)
        if tool == "hatch" and args[:1] == ["test"]:
            return self._hatch_test(args[1:], cwd)
        if tool == "pdm" and args[:1] == ["run"]:
            return self._pdm(args[1:], cwd, depth)
        if tool == "pixi" and args[:1] == ["run"]:
            return self._pixi(args[1:], cwd, depth)
        if tool in ("pre-commit", "prek") and args[:1] == ["run"]:
            return self._precommit(args[1:], cwd)
        if tool == "anyscale" and args[:2] in (["job", "submit"], ["jobs", "submit"]):
            return self._job_spec(args[2:], cwd, depth, "anyscale job", ("entrypoint",))
        if tool == "sky" and (args[:1] in (["launch"], ["exec"]) or args[:2] == ["jobs", "launch"]):
            return self._job_spec(args[2:] if args[0] == "jobs" else args[1:], cwd, depth, "SkyPilot task",
                                  ("setup", "run"))
        if tool in ("bash", "sh", "zsh", "source", ".") and args and not args[0].startswith("-"):
            return self._script(args[0], cwd, depth)
        if tool.endswith(".sh") or words[0].startswith("./"):
            return self._script(words[0], cwd, depth)
        return None

    # ------------------------------------------------------------ helpers
    def _locate(self, cwd: str, names: tuple[str, ...]) -> str | None:
        for d in dict.fromkeys([cwd, ""]):
            for name in names:
                rel = join_dir(d, name) if d else name
                if self.project.exists(rel):
                    return rel
        return None

    def _leaves(self, raws: list[Raw], depth: int, interpreters: list[str] | None = None) -> Expansion:
        out: list[CIStep] = []
        interp = list(interpreters or [])
        for text, file, line, via, cwd in raws:
            if len(out) >= MAX_STEPS:
                break
            kind = command_kind(text)
            sub = self.expand(text, cwd, depth + 1) if kind == "run" else None
            if sub is not None and sub.resolved and not sub.additive:
                out.extend(CIStep(s.text, s.file, s.line, f"{via} → {s.via}" if s.via else via, s.kind)
                           for s in sub.steps)
            else:
                out.append(CIStep(text, file, line, via, kind))
                if sub is not None:
                    out.extend(CIStep(s.text, s.file, s.line, f"{via} → {s.via}" if s.via else via, s.kind)
                               for s in sub.steps)
            if sub is not None:
                interp.extend(i for i in sub.interpreters if i not in interp)
        return Expansion(steps=out, resolved=True, interpreters=interp)

    @staticmethod
    def _with_cwd(pairs: list[tuple[str, int | None]], file: str, via: str, cwd: str,
                  per_line: bool = False) -> list[Raw]:
        """Attach a directory to each command, following `cd` (per line in a Makefile recipe)."""
        from auditor.facts.ci import _CD

        out: list[Raw] = []
        cur, last_line = cwd, None
        for text, line in pairs:
            if per_line and line != last_line:
                cur = cwd
            last_line = line
            m = _CD.match(text)
            if m:
                cur = join_dir(cur, m.group(2))
                continue
            out.append((text, file, line, via, cur))
        return out

    # ------------------------------------------------------------ tox
    def _tox_config(self, cwd: str, explicit: str | None) -> tuple[str, dict] | None:
        """(file, {'envlist': [(name, line)], 'envs': {name: section-dict}, 'base': section})."""
        names = (explicit,) if explicit else ("tox.ini", "tox.toml", "setup.cfg", "pyproject.toml")
        for d in dict.fromkeys([cwd, ""]):
            for name in names:
                rel = join_dir(d, name) if d else name
                if not self.project.exists(rel):
                    continue
                cfg = self._tox_parse(rel)
                if cfg is not None:
                    return rel, cfg
        return None

    def _tox_parse(self, rel: str) -> dict | None:
        key = (rel, "tox")
        if key in self._parsed:
            return self._parsed[key]
        cfg = None
        text = self.project.read_text(rel) or ""
        base = posixpath.basename(rel)
        if base == "setup.cfg":
            ini = parse_ini(text)
            if "tox:tox" in ini:
                cfg = self._tox_from_ini(ini, "tox:tox", 0)
        elif base == "pyproject.toml":
            data = self.project.toml(rel) or {}
            tox = (data.get("tool") or {}).get("tox") if isinstance(data.get("tool"), dict) else None
            if isinstance(tox, dict):
                legacy = tox.get("legacy_tox_ini")
                if isinstance(legacy, str):
                    offset = (_find_line(text, "legacy_tox_ini") or 1)
                    cfg = self._tox_from_ini(parse_ini(legacy), "tox", offset)
                else:
                    cfg = self._tox_from_toml(tox, text)
        elif base.endswith(".toml"):
            data = self.project.toml(rel)
            if isinstance(data, dict):
                cfg = self._tox_from_toml(data, text)
        else:
            cfg = self._tox_from_ini(parse_ini(text), "tox", 0)
        self._parsed[key] = cfg
        return cfg

    @staticmethod
    def _tox_from_ini(ini: dict, main: str, offset: int) -> dict:
        def shifted(lines):
            return [(t, n + offset) for t, n in lines]

        envlist: list[tuple[str, int]] = []
        for value, line in shifted(ini.get(main, {}).get("envlist", []) or ini.get(main, {}).get("env_list", [])):
            for part in re.split(r"[,\s]+(?![^{]*\})", value):
                for name in _expand_braces(part.strip()):
                    if name:
                        envlist.append((name, line))
        envs = {}
        for section, keys in ini.items():
            if section.startswith("testenv:"):
                envs[section[len("testenv:"):]] = {k: shifted(v) for k, v in keys.items()}
        base = {k: shifted(v) for k, v in ini.get("testenv", {}).items()}
        return {"envlist": envlist, "envs": envs, "base": base, "ini": True}

    @staticmethod
    def _tox_from_toml(tox: dict, text: str) -> dict:
        def render(cmds: Any) -> list[tuple[str, int | None]]:
            out = []
            for cmd in cmds if isinstance(cmds, list) else []:
                parts = cmd if isinstance(cmd, list) else [cmd]
                words = [p if isinstance(p, str) else "…" for p in parts]
                first = next((p for p in parts if isinstance(p, str)), "")
                out.append((" ".join(words), _find_line(text, f'"{first}"')))
            return out

        env_list = tox.get("env_list") or tox.get("envlist") or []
        envlist = [(str(n), _find_line(text, "env_list")) for n in env_list if isinstance(n, (str, int, float))]
        envs = {}
        for name, env in (tox.get("env") or {}).items() if isinstance(tox.get("env"), dict) else []:
            if isinstance(env, dict):
                envs[str(name)] = {k: render(env.get(k)) for k in ("commands_pre", "commands", "commands_post")}
                envs[str(name)]["base_python"] = [(str(env.get("base_python", "")), None)]
        base_env = tox.get("env_run_base") if isinstance(tox.get("env_run_base"), dict) else {}
        base = {k: render(base_env.get(k)) for k in ("commands_pre", "commands", "commands_post")}
        return {"envlist": envlist, "envs": envs, "base": base, "ini": False}

    def _tox(self, args: list[str], cwd: str, depth: int) -> Expansion | None:
        sub = args[0] if args and not args[0].startswith("-") else None
        if sub in ("list", "l", "config", "c", "depends", "de", "quickstart", "q", "devenv", "d"):
            return Expansion(steps=[], resolved=True)
        if sub in ("run", "r", "run-parallel", "p", "exec", "e", "legacy", "le"):
            args = args[1:]
        opts, _pos = _split_opts(args, {"-e", "--env", "-c", "--conf", "-m", "-f", "--factors", "--root",
                                        "-p", "--parallel", "-x", "--override", "--workdir"})
        found = self._tox_config(cwd, (opts.get("-c") or opts.get("--conf") or [None])[0])
        if found is None:
            return None
        rel, cfg = found
        tox_dir = posixpath.dirname(rel)
        listed = [n for n, _l in cfg["envlist"]]
        selected: list[str] = []
        for value in opts.get("-e", []) + opts.get("--env", []):
            for part in value.split(","):
                selected.extend(_expand_braces(part.strip()))
        if not selected or "ALL" in selected or "-m" in opts or "-f" in opts or "--factors" in opts:
            selected = listed or list(cfg["envs"]) or ["py"]
        interpreters: list[str] = []
        raws: list[Raw] = []
        for env in selected:
            factors = env.split("-")
            for factor in factors:
                interp = interpreter_of(factor)
                if interp and interp not in interpreters:
                    interpreters.append(interp)
            section = cfg["envs"].get(env) if "$" not in env and "{" not in env else None
            if section is None:
                section = cfg["base"]
            elif not any(k in section for k in ("commands", "commands_pre", "commands_post")):
                section = {**cfg["base"], **section}
            base_py = section.get("basepython") or section.get("base_python") or []
            for value, _line in base_py:
                interp = interpreter_of(value.replace("python", "py"))
                if interp and interp not in interpreters:
                    interpreters.append(interp)
            for key in ("commands_pre", "commands", "commands_post"):
                for text, line in self._tox_commands(section.get(key, []), cfg, env):
                    raws.append((text, rel, line, f"tox env `{env}`", tox_dir))
        exp = self._leaves(raws, depth, interpreters)
        return exp

    def _tox_commands(self, lines: list[tuple[str, int | None]], cfg: dict, env: str,
                      depth: int = 0) -> list[tuple[str, int | None]]:
        out: list[tuple[str, int | None]] = []
        pending, pending_line = "", None
        for text, line in lines:
            if text.endswith("\\"):
                pending += text[:-1] + " "
                pending_line = pending_line or line
                continue
            text, line = (pending + text).strip(), pending_line or line
            pending, pending_line = "", None
            m = re.fullmatch(r"\{\[([^\]]+)\]commands\}", text)
            if m and depth < 3:
                section = cfg["base"] if m.group(1) == "testenv" else cfg["envs"].get(m.group(1).split(":", 1)[-1], {})
                out.extend(self._tox_commands(section.get("commands", []), cfg, env, depth + 1))
                continue
            cond = _FACTOR_COND.match(text) if cfg.get("ini") else None
            if cond and "//" not in cond.group(0):
                wanted = [f.strip() for f in cond.group(0).rstrip().rstrip(":").split(",")]
                factors = set(env.split("-"))
                if not any((w[1:] not in factors) if w.startswith("!") else (w in factors or "{" in w)
                           for w in wanted):
                    continue
                text = text[cond.end():]
            text = text.lstrip("-! ").strip()
            text = re.sub(r"\{posargs(?::([^}]*))?\}", lambda mm: mm.group(1) or "", text)
            text = text.replace("{envpython}", "python").replace("{envbindir}/", "").replace("{toxinidir}", ".")
            if text:
                out.append((" ".join(text.split()), line))
        return out

    # ------------------------------------------------------------ nox and invoke (ast, never imported)
    def _py_tasks(self, rel: str, kind: str) -> dict | None:
        """Sessions (nox) or tasks (invoke): name -> {'runs': [(text, line)], 'python': [...], 'deps': [...]}."""
        key = (rel, kind)
        if key in self._parsed:
            return self._parsed[key]
        text = self.project.read_text(rel)
        result = None
        if text is not None:
            import ast

            try:
                tree = ast.parse(text)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                tree = None
            if tree is not None:
                result = _collect_py_tasks(tree, kind)
        self._parsed[key] = result
        return result

    def _nox(self, args: list[str], cwd: str, depth: int) -> Expansion | None:
        opts, pos = _split_opts(args, {"-s", "--session", "--sessions", "-f", "--noxfile", "-p", "--python",
                                       "-k", "--keywords", "-t", "--tags", "-e", "--default-venv-backend"})
        rel = self._locate(cwd, tuple((opts.get("-f") or opts.get("--noxfile") or []) or ["noxfile.py"]))
        if rel is None or "-l" in opts or "--list" in opts:
            return None if rel is None else Expansion(steps=[], resolved=True)
        tasks = self._py_tasks(rel, "nox")
        if tasks is None:
            return None
        sessions = tasks.get("", {}).get("default_sessions") or []
        chosen = [s for key in ("-s", "--session", "--sessions") for s in opts.get(key, [])] + \
            ([p for p in pos] if any(k in opts for k in ("-s", "--session", "--sessions")) else [])
        if not chosen:
            chosen = sessions or [n for n, t in tasks.items() if n and t.get("default", True)]
        if "-k" in opts or "--keywords" in opts or "-t" in opts or "--tags" in opts:
            chosen = [n for n in tasks if n]
        interpreters: list[str] = []
        only_py = opts.get("-p", []) + opts.get("--python", [])
        raws: list[Raw] = []
        for name in chosen:
            name, base, version = _nox_session_name(name, tasks)
            task = tasks.get(name) or tasks.get(base)
            if not task:
                continue
            pys = [version] if version and tasks.get(base) is task else task.get("python", [])
            if pys == ["$"]:
                pys = []  # `tests-${{ matrix.python }}`: the CI matrix, not nox, spreads the versions
            if only_py:
                pys = [p for p in pys if p in only_py] or only_py
            for p in pys:
                interp = interpreter_of(p) or (p if re.match(r"^\d\.\d+$", p) else None)
                if interp and interp not in interpreters:
                    interpreters.append(interp)
            for text, line in self._task_runs(tasks, name if name in tasks else base, set()):
                raws.append((text, rel, line, f"nox session `{name}`", posixpath.dirname(rel)))
        if not raws and not interpreters:
            return None  # no session found: `nox -s x` stands for itself rather than for nothing
        return self._leaves(raws, depth, interpreters)

    def _task_runs(self, tasks: dict, name: str, seen: set[str]) -> list[tuple[str, int | None]]:
        if name in seen or name not in tasks or len(seen) > 20:
            return []
        seen.add(name)
        out = []
        for dep in tasks[name].get("deps", []):
            out.extend(self._task_runs(tasks, dep, seen))
        out.extend(tasks[name].get("runs", []))
        for dep in tasks[name].get("notify", []):
            out.extend(self._task_runs(tasks, dep, seen))
        return out

    def _invoke(self, args: list[str], cwd: str, depth: int) -> Expansion | None:
        _opts, pos = _split_opts(args, {"-c", "--collection", "-r", "--search-root", "-f", "--config"})
        rel = self._locate(cwd, ("tasks.py",))
        if rel is None:
            return None
        tasks = self._py_tasks(rel, "invoke")
        if tasks is None:
            return None
        names = [p for p in pos if p.replace("-", "_") in tasks or p in tasks]
        if not names:
            return None
        raws: list[Raw] = []
        for name in names:
            key = name if name in tasks else name.replace("-", "_")
            for text, line in self._task_runs(tasks, key, set()):
                raws.append((text, rel, line, f"invoke task `{name}`", posixpath.dirname(rel)))
        return self._leaves(raws, depth)

    # ------------------------------------------------------------ make
    def _makefile(self, rel: str) -> dict:
        key = (rel, "make")
        if key in self._parsed:
            return self._parsed[key]
        text = self.project.read_text(rel) or ""
        variables: dict[str, str] = {}
        targets: dict[str, dict] = {}
        first: str | None = None
        current: list[str] = []
        lines = text.splitlines()
        i = 0
        while i < len(lines):
            no = i + 1
            raw = lines[i]
            while raw.endswith("\\") and i + 1 < len(lines):
                i += 1
                raw = raw[:-1] + " " + lines[i].strip()
            i += 1
            if raw.startswith("\t"):
                for t in current:
                    targets[t]["recipe"].append((raw[1:].strip(), no))
                continue
            stripped = raw.strip()
            if not stripped or stripped.startswith("#"):
                continue
            m = re.match(r"^(?:export\s+|override\s+)?([A-Za-z_][\w.-]*)\s*(?::::?|[:+?!])?=\s*(.*)$", stripped)
            if m:
                variables.setdefault(m.group(1), m.group(2).split("#")[0].strip())
                current = []
                continue
            m = re.match(r"^([^\s#=:][^=:]*?)\s*::?(?!=)\s*(.*)$", stripped)
            if m and not stripped.startswith(("include ", "-include ", "ifeq", "ifneq", "ifdef", "ifndef",
                                                "else", "endif", "define", "endef")):
                names = m.group(1).split()
                rest = m.group(2)
                deps_part, _, inline = rest.partition(";")
                current = [n for n in names if "%" not in n]
                for n in current:
                    t = targets.setdefault(n, {"deps": [], "recipe": [], "line": no})
                    if re.match(r"^[A-Za-z_][\w.-]*\s*[:+?]?=", deps_part.strip()):
                        continue  # target-specific variable
                    t["deps"].extend(d for d in deps_part.split() if "%" not in d)
                    if inline.strip():
                        t["recipe"].append((inline.strip(), no))
                    if first is None and not n.startswith("."):
                        first = n
                continue
            current = []
        parsed = {"vars": variables, "targets": targets, "default": first}
        self._parsed[key] = parsed
        return parsed

    @staticmethod
    def _make_subst(text: str, variables: dict[str, str], target: str, extra: dict[str, str]) -> str:
        def repl(m: re.Match) -> str:
            name = m.group(1) or m.group(2)
            if name == "MAKE":
                return "make"
            if name in extra:
                return extra[name]
            return variables.get(name, m.group(0))

        for _ in range(3):
            new = re.sub(r"\$\(([A-Za-z_][\w.-]*)\)|\$\{([A-Za-z_][\w.-]*)\}", repl, text)
            if new == text:
                break
            text = new
        return text.replace("$@", target).replace("$$", "$")

    def _make(self, args: list[str], cwd: str, depth: int) -> Expansion | None:
        opts, pos = _split_opts(args, {"-C", "--directory", "-f", "--file", "--makefile", "-j", "--jobs",
                                       "-l", "-o", "-W", "-I"})
        directory = (opts.get("-C") or opts.get("--directory") or [None])[0]
        here = join_dir(cwd, directory) if directory else cwd
        explicit = (opts.get("-f") or opts.get("--file") or opts.get("--makefile") or [None])[0]
        names = (explicit,) if explicit else ("GNUmakefile", "makefile", "Makefile")
        rel = None
        for name in names:
            cand = join_dir(here, name) if here else name
            if self.project.exists(cand):
                rel = cand
                break
        if rel is None:
            return None
        mk = self._makefile(rel)
        extra = dict(p.split("=", 1) for p in pos if "=" in p and _ENV_ASSIGN.match(p))
        goals = [p for p in pos if "=" not in p] or ([mk["default"]] if mk["default"] else [])
        if not goals or not all(g in mk["targets"] for g in goals):
            return None
        raws: list[Raw] = []
        seen: set[str] = set()

        def visit(target: str, level: int) -> None:
            if target in seen or level > 6 or target not in mk["targets"]:
                return
            seen.add(target)
            t = mk["targets"][target]
            for dep in t["deps"]:
                visit(dep, level + 1)
            pairs: list[tuple[str, int | None]] = []
            for line_text, no in t["recipe"]:
                body = self._make_subst(line_text.lstrip("@-+ "), mk["vars"], target, extra)
                for text, line in split_script(body, no):
                    pairs.append((text.lstrip("@-+ "), line))
            raws.extend(self._with_cwd(pairs, rel, f"make target `{target}`", posixpath.dirname(rel),
                                       per_line=True))

        for goal in goals:
            visit(goal, 0)
        return self._leaves(raws, depth)

    # ------------------------------------------------------------ just
    def _justfile(self, rel: str) -> dict:
        key = (rel, "just")
        if key in self._parsed:
            return self._parsed[key]
        text = self.project.read_text(rel) or ""
        recipes: dict[str, dict] = {}
        first = None
        current = None
        for no, raw in enumerate(text.splitlines(), start=1):
            if raw[:1] in (" ", "\t"):
                if current is not None and raw.strip() and not raw.strip().startswith("#"):
                    recipes[current]["body"].append((raw.strip().lstrip("@-").strip(), no))
                continue
            current = None
            stripped = raw.strip()
            if not stripped or stripped.startswith(("#", "[", "set ", "alias ", "export ", "import ", "mod ")):
                continue
            if re.match(r"^[A-Za-z_][\w-]*\s*:=", stripped):
                continue
            m = re.match(r"^@?([A-Za-z_][\w-]*)([^:]*?):(?!=)\s*(.*)$", stripped)
            if m:
                name = m.group(1)
                deps = [d for d in re.sub(r"\([^)]*\)", "", m.group(3)).replace("&&", " ").split()
                        if re.match(r"^[A-Za-z_][\w-]*$", d)]
                recipes[name] = {"deps": deps, "body": [], "line": no}
                current = name
                if first is None:
                    first = name
        parsed = {"recipes": recipes, "default": "default" if "default" in recipes else first}
        self._parsed[key] = parsed
        return parsed

    def _just(self, args: list[str], cwd: str, depth: int) -> Expansion | None:
        opts, pos = _split_opts(args, {"-f", "--justfile", "-d", "--working-directory", "--set"})
        explicit = (opts.get("-f") or opts.get("--justfile") or [None])[0]
        rel = self._locate(cwd, (explicit,) if explicit else ("justfile", "Justfile", ".justfile", "JUSTFILE"))
        if rel is None or "--list" in opts or "-l" in opts:
            return None
        jf = self._justfile(rel)
        names = [p for p in pos if p in jf["recipes"]][:1] + [p for p in pos[1:] if p in jf["recipes"]]
        if not pos and jf["default"]:
            names = [jf["default"]]
        if not names:
            return None
        raws: list[Raw] = []
        seen: set[str] = set()

        def visit(name: str, level: int) -> None:
            if name in seen or level > 6 or name not in jf["recipes"]:
                return
            seen.add(name)
            recipe = jf["recipes"][name]
            for dep in recipe["deps"]:
                visit(dep, level + 1)
            pairs = []
            for text, no in recipe["body"]:
                if text.startswith("#!"):
                    continue
                pairs.extend(split_script(text, no))
            raws.extend(self._with_cwd(pairs, rel, f"just recipe `{name}`", posixpath.dirname(rel),
                                       per_line=True))

        for name in dict.fromkeys(names):
            visit(name, 0)
        return self._leaves(raws, depth)

    # ------------------------------------------------------------ pyproject task runners
    def _pyproject(self, cwd: str) -> tuple[str | None, dict, str]:
        rel = self._locate(cwd, ("pyproject.toml",))
        if rel is None:
            return None, {}, ""
        data = self.project.toml(rel) or {}
        return rel, data, self.project.read_text(rel) or ""

    def _named_tasks(self, rel: str, text: str, tasks: dict, name: str, via: str, depth: int,
                     render) -> Expansion | None:
        raws: list[Raw] = []
        seen: set[str] = set()

        def visit(n: str, level: int) -> None:
            if n in seen or level > 6 or n not in tasks:
                return
            seen.add(n)
            for item in render(tasks[n]):
                if item[0] == "ref":
                    visit(item[1], level + 1)
                else:
                    cmd = item[1]
                    for part, _l in split_script(cmd, None):
                        raws.append((part, rel, _find_line(text, cmd.split("\n")[0][:60]) or
                                     _find_line(text, n), f"{via} `{n}`", posixpath.dirname(rel)))

        visit(name, 0)
        return self._leaves(raws, depth)

    def _poe(self, args: list[str], cwd: str, depth: int) -> Expansion | None:
        rel, data, text = self._pyproject(cwd)
        tasks = ((data.get("tool") or {}).get("poe") or {}).get("tasks") if rel else None
        if not isinstance(tasks, dict):
            return None
        _opts, pos = _split_opts(args, {"-C", "--directory", "--root", "-e", "--executor"})
        if not pos or pos[0] not in tasks:
            return None

        def render(task: Any) -> list[tuple[str, str]]:
            if isinstance(task, str):
                return [("cmd", task)]
            if isinstance(task, list):  # a sequence
                return [("ref", t) if isinstance(t, str) else ("cmd", _poe_cmd(t)) for t in task]
            if isinstance(task, dict):
                if "sequence" in task:
                    return [("ref", t) if isinstance(t, str) else ("cmd", _poe_cmd(t))
                            for t in task.get("sequence") or []]
                if "ref" in task:
                    return [("ref", str(task["ref"]).split()[0])]
                deps = [("ref", d) for d in task.get("deps", []) if isinstance(d, str)]
                return deps + [("cmd", _poe_cmd(task))]
            return []

        return self._named_tasks(rel, text, tasks, pos[0], "poe task", depth, render)

    def _hatch_scripts(self, cwd: str) -> tuple[str | None, dict, str]:
        """(file, {env: {'scripts': {...}, 'python': [...]}}, text) from pyproject or hatch.toml."""
        hatch_rel = self._locate(cwd, ("hatch.toml",))
        if hatch_rel:
            data = self.project.toml(hatch_rel) or {}
            return hatch_rel, data.get("envs") if isinstance(data.get("envs"), dict) else {}, \
                self.project.read_text(hatch_rel) or ""
        rel, data, text = self._pyproject(cwd)
        envs = ((data.get("tool") or {}).get("hatch") or {}).get("envs") if rel else None
        return rel, envs if isinstance(envs, dict) else {}, text

    @staticmethod
    def _hatch_matrix_pythons(env: Any) -> list[str]:
        out: list[str] = []
        for entry in env.get("matrix", []) if isinstance(env, dict) and isinstance(env.get("matrix"), list) else []:
            if isinstance(entry, dict):
                for v in entry.get("python", entry.get("py", [])) or []:
                    interp = interpreter_of(str(v)) or str(v)
                    if interp not in out:
                        out.append(interp)
        return out

    def _hatch(self, args: list[str], cwd: str, depth: int) -> Expansion | None:
        if not args:
            return None
        rel, envs, text = self._hatch_scripts(cwd)
        if rel is None:
            return None
        target = args[0]
        env_name, _, script = target.rpartition(":") if ":" in target else ("default", "", target)
        env_name = env_name.lstrip("+").split("+")[0] or "default"
        env = envs.get(env_name) if isinstance(envs.get(env_name), dict) else {}
        scripts = env.get("scripts") if isinstance(env.get("scripts"), dict) else {}
        if env_name != "default" and isinstance(envs.get("default"), dict):
            scripts = {**(envs["default"].get("scripts") or {}), **scripts}
        if script not in scripts:
            return None

        def render(value: Any) -> list[tuple[str, str]]:
            items = value if isinstance(value, list) else [value]
            out = []
            for item in items:
                if not isinstance(item, str):
                    continue
                head = item.split()[0] if item.split() else ""
                out.append(("ref", head) if head in scripts and head != script else ("cmd", item))
            return out

        exp = self._named_tasks(rel, text, scripts, script, f"hatch script ({env_name})", depth, render)
        if exp is not None:
            exp.interpreters.extend(p for p in self._hatch_matrix_pythons(env) if p not in exp.interpreters)
        return exp

    def _hatch_test(self, args: list[str], cwd: str) -> Expansion | None:
        opts, _pos = _split_opts(args, {"-py", "--python", "-i", "--include", "-x", "--exclude"})
        interpreters = []
        for value in opts.get("-py", []) + opts.get("--python", []):
            interpreters.extend(interpreter_of(v) or v for v in value.split(","))
        if "--all" in opts or "-a" in opts:
            _rel, envs, _text = self._hatch_scripts(cwd)
            interpreters.extend(self._hatch_matrix_pythons(envs.get("hatch-test", {})) or
                                ["3.9", "3.10", "3.11", "3.12", "3.13"])
        if not interpreters:
            return None
        return Expansion(steps=[], resolved=False, interpreters=list(dict.fromkeys(interpreters)), additive=True)

    def _pdm(self, args: list[str], cwd: str, depth: int) -> Expansion | None:
        rel, data, text = self._pyproject(cwd)
        scripts = ((data.get("tool") or {}).get("pdm") or {}).get("scripts") if rel else None
        _opts, pos = _split_opts(args, {"-p", "--project"})
        if not isinstance(scripts, dict) or not pos or pos[0] not in scripts or pos[0] == "_":
            return None

        def render(value: Any) -> list[tuple[str, str]]:
            if isinstance(value, str):
                return [("cmd", value)]
            if isinstance(value, dict):
                if "composite" in value:
                    out = []
                    for item in value.get("composite") or []:
                        head = str(item).split()[0] if str(item).split() else ""
                        out.append(("ref", head) if head in scripts else ("cmd", str(item)))
                    return out
                for key in ("cmd", "shell"):
                    if key in value:
                        cmd = value[key]
                        return [("cmd", " ".join(map(str, cmd)) if isinstance(cmd, list) else str(cmd))]
                if "call" in value:
                    return [("cmd", f"python -c 'call {value['call']}'")]
            return []

        return self._named_tasks(rel, text, scripts, pos[0], "pdm script", depth, render)

    def _pixi(self, args: list[str], cwd: str, depth: int) -> Expansion | None:
        _opts, pos = _split_opts(args, {"-e", "--environment", "--manifest-path"})
        if not pos:
            return None
        rel = self._locate(cwd, ("pixi.toml",))
        tasks: dict = {}
        text = ""
        if rel:
            data = self.project.toml(rel) or {}
            tasks = dict(data.get("tasks") or {}) if isinstance(data.get("tasks"), dict) else {}
            for feat in (data.get("feature") or {}).values() if isinstance(data.get("feature"), dict) else []:
                if isinstance(feat, dict) and isinstance(feat.get("tasks"), dict):
                    tasks.update(feat["tasks"])
            text = self.project.read_text(rel) or ""
        else:
            rel, data, text = self._pyproject(cwd)
            pixi = (data.get("tool") or {}).get("pixi") if rel else None
            tasks = dict(pixi.get("tasks")) if isinstance(pixi, dict) and isinstance(pixi.get("tasks"), dict) else {}
            features = pixi.get("feature") if isinstance(pixi, dict) else None
            for feat in features.values() if isinstance(features, dict) else []:
                if isinstance(feat, dict) and isinstance(feat.get("tasks"), dict):
                    tasks.update(feat["tasks"])  # [tool.pixi.feature.<name>.tasks]
        if not rel or pos[0] not in tasks:
            return None

        def render(value: Any) -> list[tuple[str, str]]:
            if isinstance(value, str):
                return [("cmd", value)]
            if isinstance(value, list):
                return [("ref", v) for v in value if isinstance(v, str)]
            if isinstance(value, dict):
                deps = value.get("depends-on", value.get("depends_on", []))
                out = [("ref", d if isinstance(d, str) else str(as_dict(d).get("task", "")))
                       for d in (deps if isinstance(deps, list) else [deps])]
                cmd = value.get("cmd")
                if isinstance(cmd, list):
                    cmd = " ".join(map(str, cmd))
                if isinstance(cmd, str):
                    out.append(("cmd", cmd))
                return out
            return []

        return self._named_tasks(rel, text, tasks, pos[0], "pixi task", depth, render)

    # ------------------------------------------------------------ pre-commit and scripts
    def _precommit(self, args: list[str], cwd: str) -> Expansion | None:
        opts, pos = _split_opts(args, {"-c", "--config", "--hook-stage", "--from-ref", "--to-ref",
                                       "-s", "-o", "--files"})
        explicit = (opts.get("-c") or opts.get("--config") or [None])[0]
        rel = self._locate(cwd, (explicit,) if explicit else (".pre-commit-config.yaml", ".pre-commit-config.yml"))
        if rel is None:
            return None
        data = self.project.yaml(rel)  # shared with the pre-commit fact: one parse, one problem
        lines = {(h.id, h.repo): h.line for h in self.project.fact("precommit").hooks if h.file == rel}
        only = pos[0] if pos and not opts.get("--files") else None
        steps: list[CIStep] = []
        for repo in data.get("repos", []) if isinstance(data, dict) and isinstance(data.get("repos"), list) else []:
            if not isinstance(repo, dict) or not isinstance(repo.get("hooks"), list):
                continue
            url = str(repo.get("repo", ""))
            for hook in repo["hooks"]:
                hid = hook.get("id") if isinstance(hook, dict) else None
                if not isinstance(hid, str) or (only and hid != only and hook.get("alias") != only):
                    continue
                stages = [str(s) for s in hook.get("stages") or []] if isinstance(hook.get("stages"), list) else []
                if stages and not any(s in ("pre-commit", "commit", "pre-push", "push", "manual") for s in stages):
                    continue
                entry = hook.get("entry") if url in ("local", "meta") else None
                text = f"{hid}: {entry}" if isinstance(entry, str) else hid
                steps.append(CIStep(text, rel, lines.get((hid, url)), f"pre-commit hook from {url or '?'}", "run"))
        return Expansion(steps=steps, resolved=True, additive=True)

    def _job_spec(self, args: list[str], cwd: str, depth: int, via: str,
                  keys: tuple[str, ...]) -> Expansion | None:
        """A remote job submitted from CI (`anyscale job submit job.yaml`, `sky launch task.yaml`):
        what it runs is the spec's shell command (`entrypoint:`, SkyPilot `setup:`/`run:`)."""
        opts, pos = _split_opts(args, {"-f", "--config-file", "--name", "-n", "--cluster", "-c",
                                       "--env", "--project-id", "--image-uri", "--compute-config"})
        spec = (opts.get("-f") or opts.get("--config-file") or [None])[0] or \
            next((p for p in pos if p.endswith((".yaml", ".yml"))), None)
        if not spec or "$" in spec:
            return None
        rel = self._locate(cwd, (spec,))
        data = self.project.yaml(rel) if rel else None
        if not isinstance(data, dict):
            return None
        text = self.project.read_text(rel) or ""
        pairs: list[tuple[str, int | None]] = []
        for key in keys:
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                line = _find_line(text, f"{key}:")
                pairs.extend((t, line) for t, _l in split_script(value, line))
        if not pairs:
            return None
        return self._leaves(self._with_cwd(pairs, rel, f"{via} `{rel}`", cwd), depth)

    def _script(self, path: str, cwd: str, depth: int) -> Expansion | None:
        if "$" in path or not re.search(r"\.(?:sh|bash)$|^\./", path):
            return None
        rel = None
        for d in dict.fromkeys([cwd, ""]):
            cand = join_dir(d, path) if d else join_dir("", path)
            if cand and self.project.exists(cand):
                rel = cand
                break
        if rel is None:
            return None
        text = self.project.read_text(rel)
        if text is None or (not rel.endswith((".sh", ".bash")) and not text.startswith("#!")):
            return None
        if text.startswith("#!") and not re.match(r"#!.*\b(?:ba|z|da|k)?sh\b", text.split("\n", 1)[0]):
            return None  # a Python or other interpreter script: not shell commands
        pairs = split_script(text, 1)
        raws = self._with_cwd(pairs, rel, f"script `{rel}`", posixpath.dirname(rel))
        return self._leaves(raws, depth)


def _nox_session_name(name: str, tasks: dict) -> tuple[str, str, str]:
    """(name, base session, python version) of a session selector.

    `tests-3.11`, `unit-${{matrix.python-version}}`, `e2e-testing-3.12(suite='io')` and
    `framework-integration(framework='${{matrix.framework}}')` name a session, optionally with
    its Python version and a parametrization; the session may itself contain dashes.
    """
    name = re.sub(r"\(.*\)\s*$", "", name.strip()) or name
    if name in tasks:
        return name, name, ""
    m = re.match(r"^(.+)-((?:py|pypy)?\d[\d.]*|\$\{\{.*\}\}|\$\{?\w+\}?)$", name)
    if m and m.group(1) in tasks:
        return name, m.group(1), m.group(2) if "$" not in m.group(2) else "$"  # "$": one version per job
    base, _, version = name.partition("-")
    return name, base, version if "$" not in version else "$"


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _poe_cmd(task: Any) -> str:
    if isinstance(task, str):
        return task
    if not isinstance(task, dict):
        return ""
    for key in ("cmd", "shell"):
        if key in task:
            value = task[key]
            return " ".join(map(str, value)) if isinstance(value, list) else str(value)
    if "script" in task:
        return f"python -c 'script {task['script']}'"
    if "expr" in task:
        return f"python -c 'expr {task['expr']}'"
    return ""


# ---------------------------------------------------------------- noxfile.py / tasks.py

def _const_strings(node) -> list[str] | None:
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float)):
        return [str(node.value)]
    if isinstance(node, (ast.List, ast.Tuple)):
        out = []
        for elt in node.elts:
            sub = _const_strings(elt)
            out.extend(sub or [])
        return out
    return None


def _render_arg(node, names: dict[str, list[str]] | None = None) -> str:
    """A call argument as shell words; module-level constants (`*TEST_ARGS`) are substituted."""
    import ast

    names = names or {}
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.JoinedStr):
        return "".join(str(v.value) if isinstance(v, ast.Constant) else "…" for v in node.values)
    if isinstance(node, ast.Starred):
        inner = node.value
        if isinstance(inner, ast.Name) and inner.id in names:
            return " ".join(names[inner.id])
        if isinstance(inner, (ast.List, ast.Tuple)):
            return _render_arg(inner, names)
        return "…"
    if isinstance(node, ast.Name) and len(names.get(node.id, [])) == 1:
        return names[node.id][0]
    if isinstance(node, (ast.List, ast.Tuple)):
        return " ".join(_render_arg(e, names) for e in node.elts)
    return "…"


def _collect_py_tasks(tree, kind: str) -> dict:
    """nox sessions / invoke tasks of a module: name -> runs, python, deps, notify."""
    import ast

    names: dict[str, list[str]] = {}
    default_sessions: list[str] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            values = _const_strings(stmt.value)
            for target in stmt.targets:
                if isinstance(target, ast.Name) and values is not None:
                    names[target.id] = values
                if isinstance(target, ast.Attribute) and target.attr == "sessions" and values is not None:
                    default_sessions = values
    tasks: dict[str, dict] = {"": {"default_sessions": default_sessions}}
    decorator_names = ("session",) if kind == "nox" else ("task",)
    for stmt in ast.walk(tree):
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        info: dict[str, Any] | None = None
        for dec in stmt.decorator_list:
            func = dec.func if isinstance(dec, ast.Call) else dec
            dname = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if dname not in decorator_names:
                continue
            info = {"runs": [], "python": [], "deps": [], "notify": [], "default": True, "name": stmt.name}
            if isinstance(dec, ast.Call):
                for kw in dec.keywords:
                    if kw.arg in ("python", "py"):
                        if isinstance(kw.value, ast.Name):
                            info["python"] = names.get(kw.value.id, [])
                        else:
                            info["python"] = _const_strings(kw.value) or []
                    elif kw.arg == "name" and isinstance(kw.value, ast.Constant):
                        info["name"] = str(kw.value.value)
                    elif kw.arg == "default" and isinstance(kw.value, ast.Constant):
                        info["default"] = bool(kw.value.value)
                    elif kw.arg in ("pre", "post") and isinstance(kw.value, (ast.List, ast.Tuple)):
                        info["deps"].extend(e.id for e in kw.value.elts if isinstance(e, ast.Name))
                if kind == "invoke":
                    info["deps"].extend(a.id for a in dec.args if isinstance(a, ast.Name))
        if info is None:
            continue
        for node in ast.walk(stmt):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            attr = node.func.attr
            if attr in ("run", "run_always", "run_install", "sudo") and node.args:
                text = " ".join(_render_arg(a, names) for a in node.args)
                info["runs"].append((" ".join(text.split()), node.lineno))
            elif attr == "notify" and node.args and isinstance(node.args[0], ast.Constant):
                info["notify"].append(str(node.args[0].value))
        name = info["name"]
        if kind == "invoke":
            name = name.replace("_", "-")
            tasks[stmt.name] = info
        tasks[name] = info
    return tasks
