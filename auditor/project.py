"""The read-only snapshot of an audited repository, shared by every rule.

Nothing here writes, imports or executes anything from the audited tree:
- files are listed once (git-aware, honouring .gitignore and `exclude`), and only regular
  files or symlinks that resolve to regular files inside the tree are ever opened;
- every open uses O_NOFOLLOW|O_NONBLOCK and checks the descriptor is a regular file, so a
  FIFO or device swapped in after listing cannot block the audit;
- reads and parses are cached, so two rules never read or parse the same file twice;
- anything that cannot be read or parsed becomes a `Problem`, recorded once, and the audit
  goes on.
Facts (CI jobs, dependencies, the Python index...) are computed lazily by extractor
functions named in `FACT_EXTRACTORS` and cached on the snapshot.
"""

from __future__ import annotations

import importlib
import os
import stat
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

from auditor.model import Problem
from auditor.pathmatch import IgnoreRules, compile_glob

DEFAULT_MAX_READ_BYTES = 8 * 1024 * 1024  # content reads beyond this are refused, as a problem
BINARY_SNIFF_BYTES = 8192

# name -> "module:function"; each function takes the Project and returns the fact.
FACT_EXTRACTORS: dict[str, str] = {
    "git": "auditor.facts.git:extract",
    "ci": "auditor.facts.ci:extract",
    "deps": "auditor.facts.deps:extract",
    "python": "auditor.facts.python:extract",
}


class InputError(Exception):
    """The audit target itself is unusable (exit 2)."""


class Project:
    """A lazily evaluated, read-only view of one repository."""

    def __init__(self, root: str | os.PathLike[str], *, exclude: list[str] | tuple[str, ...] = (),
                 use_git: bool = True, max_read_bytes: int = DEFAULT_MAX_READ_BYTES) -> None:
        path = Path(root)
        try:
            st = path.stat()
        except FileNotFoundError:
            raise InputError(f"path does not exist: {root}") from None
        except OSError as exc:
            raise InputError(f"cannot access {root}: {exc.strerror or exc}") from None
        if not stat.S_ISDIR(st.st_mode):
            raise InputError(f"not a directory: {root}")
        if not os.access(path, os.R_OK | os.X_OK):
            raise InputError(f"permission denied: {root}")
        self.root = path.resolve()
        self.display_path = str(root)
        self.exclude = list(exclude)
        self.max_read_bytes = max_read_bytes
        self._use_git = use_git
        self._problems: dict[tuple[str, str], Problem] = {}
        self._bytes: dict[str, bytes | None] = {}
        self._text: dict[str, str | None] = {}
        self._parsed: dict[tuple[str, str], Any] = {}
        self._facts: dict[str, Any] = {}
        self._sizes: dict[str, int] = {}
        self._link_targets: dict[str, str] = {}  # in-tree symlink -> resolved relative path

    # ------------------------------------------------------------------ problems
    def add_problem(self, path: str, detail: str) -> None:
        self._problems.setdefault((path, detail), Problem(path, detail))

    @property
    def problems(self) -> list[Problem]:
        return sorted(self._problems.values(), key=lambda p: (p.path, p.detail))

    # ------------------------------------------------------------------ git
    @cached_property
    def git_top(self) -> Path | None:
        """The work tree top when the audited path is inside git, else None."""
        if not self._use_git:
            return None
        from auditor.gitsafe import work_tree_top

        if not (self.root / ".git").exists() and not _has_git_ancestor(self.root):
            return None
        return work_tree_top(self.root)

    @property
    def in_git(self) -> bool:
        return self.git_top is not None

    @cached_property
    def git(self):
        from auditor.gitsafe import SafeGit

        return SafeGit(self.root) if self.in_git else None

    # ------------------------------------------------------------------ listing
    @cached_property
    def _listing(self) -> tuple[list[str], frozenset[str] | None]:
        if self.in_git:
            try:
                return self._list_git()
            except Exception as exc:  # git broke: fall back to a plain walk, and say so
                self.add_problem(".git", f"git could not list files ({exc}); walked the tree instead")
        return self._list_walk(), None

    def _list_git(self) -> tuple[list[str], frozenset[str]]:
        tracked_raw = self.git.run("ls-files", "-z", "--cached", "--full-name")
        others_raw = self.git.run("ls-files", "-z", "--others", "--exclude-standard", "--full-name")
        prefix = self._git_prefix()
        tracked = set(_split_z(tracked_raw, prefix))
        names = tracked | set(_split_z(others_raw, prefix))
        files = [p for p in names if self._admit(p)]
        return sorted(self._filter_excluded(files)), frozenset(f for f in files if f in tracked)

    def _git_prefix(self) -> str:
        top = self.git_top
        if top is None:
            return ""
        rel = os.path.relpath(self.root, top.resolve())
        return "" if rel == "." else rel.replace(os.sep, "/") + "/"

    def _list_walk(self) -> list[str]:
        ignore = IgnoreRules()
        out: list[str] = []
        stack = [""]
        while stack:
            rel_dir = stack.pop()
            full_dir = self.root / rel_dir if rel_dir else self.root
            gi = (rel_dir + "/.gitignore") if rel_dir else ".gitignore"
            gi_text = self._read_small(gi)
            if gi_text is not None:
                ignore.add_file(rel_dir, gi_text)
            try:
                entries = sorted(os.scandir(full_dir), key=lambda e: e.name)
            except OSError as exc:
                self.add_problem(rel_dir or ".", f"cannot list directory: {exc.strerror or exc}")
                continue
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                if entry.name == ".git":
                    continue
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    is_dir = False
                if ignore.ignored(rel, is_dir):
                    continue
                if is_dir:
                    stack.append(rel)
                elif self._admit(rel):
                    out.append(rel)
        return self._filter_excluded(out)

    def _read_small(self, rel: str) -> str | None:
        full = self.root / rel
        try:
            if not stat.S_ISREG(os.lstat(full).st_mode):
                return None
        except OSError:
            return None
        data = self._open_read(rel, full)
        return None if data is None else data.decode("utf-8", "replace")

    def _admit(self, rel: str) -> bool:
        """Keep regular files and in-tree symlinks to them; report everything else."""
        full = self.root / rel
        try:
            st = os.lstat(full)
        except FileNotFoundError:
            return False  # tracked but deleted in the work tree: nothing to read
        except OSError as exc:
            self.add_problem(rel, f"cannot stat: {exc.strerror or exc}")
            return False
        mode = st.st_mode
        if stat.S_ISREG(mode):
            self._sizes[rel] = st.st_size
            return True
        if stat.S_ISDIR(mode):
            return False  # a submodule or nested repository: not part of this snapshot
        if stat.S_ISLNK(mode):
            return self._admit_link(rel, full)
        kind = ("FIFO" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode)
                else "device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "special file")
        self.add_problem(rel, f"not a regular file ({kind}); not read")
        return False

    def _admit_link(self, rel: str, full: Path) -> bool:
        try:
            target = Path(os.path.realpath(full))
        except (OSError, RuntimeError):
            self.add_problem(rel, "symlink cannot be resolved (loop?); not followed")
            return False
        try:
            inside = target.relative_to(self.root).as_posix()
        except ValueError:
            self.add_problem(rel, "symlink points outside the repository; not followed")
            return False
        try:
            st = os.stat(target, follow_symlinks=False)
        except OSError:
            self.add_problem(rel, "broken symlink; not followed")
            return False
        if not stat.S_ISREG(st.st_mode):
            if not stat.S_ISDIR(st.st_mode):
                self.add_problem(rel, "symlink to something that is not a regular file; not followed")
            return False
        self._sizes[rel] = st.st_size
        self._link_targets[rel] = inside
        return True

    def _filter_excluded(self, files: list[str]) -> list[str]:
        if not self.exclude:
            return files
        rxs = [compile_glob(p) for p in self.exclude]
        return [f for f in files if not any(rx.match(f) for rx in rxs)]

    @property
    def files(self) -> list[str]:
        """Every file in the snapshot, as sorted POSIX paths relative to the root."""
        return self._listing[0]

    @property
    def tracked(self) -> frozenset[str] | None:
        """Files tracked by git (None outside git)."""
        return self._listing[1]

    @cached_property
    def file_set(self) -> frozenset[str]:
        return frozenset(self.files)

    @cached_property
    def dirs(self) -> frozenset[str]:
        """Every directory that contains at least one snapshot file."""
        out: set[str] = set()
        for f in self.files:
            parts = f.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                out.add("/".join(parts[:i]))
        return frozenset(out)

    @cached_property
    def by_name(self) -> dict[str, list[str]]:
        """Lower-cased base name -> paths, for fast lookups such as every `dvc.yaml`."""
        out: dict[str, list[str]] = {}
        for f in self.files:
            out.setdefault(f.rsplit("/", 1)[-1].lower(), []).append(f)
        return out

    def glob(self, pattern: str | list[str] | tuple[str, ...], *, ignore_case: bool = False) -> list[str]:
        """Snapshot files matching gitignore-style pattern(s), in path order."""
        patterns = [pattern] if isinstance(pattern, str) else list(pattern)
        rxs = [compile_glob(p, ignore_case) for p in patterns]
        return [f for f in self.files if any(rx.match(f) for rx in rxs)]

    def glob_dirs(self, pattern: str | list[str] | tuple[str, ...], *, ignore_case: bool = False) -> list[str]:
        patterns = [pattern] if isinstance(pattern, str) else list(pattern)
        rxs = [compile_glob(p.rstrip("/"), ignore_case) for p in patterns]
        return sorted(d for d in self.dirs if any(rx.match(d) for rx in rxs))

    def exists(self, rel: str) -> bool:
        return rel in self.file_set

    def size(self, rel: str) -> int:
        return self._sizes.get(rel, 0)

    # ------------------------------------------------------------------ reading
    def _open_read(self, rel: str, full: Path, limit: int | None = None) -> bytes | None:
        limit = self.max_read_bytes if limit is None else limit
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(full, flags)
        except OSError as exc:
            self.add_problem(rel, f"cannot open: {exc.strerror or exc}")
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                self.add_problem(rel, "not a regular file; not read")
                return None
            if st.st_size > limit:
                self.add_problem(rel, f"too large to read ({st.st_size / 1048576:.1f} MiB > "
                                      f"{limit / 1048576:.0f} MiB); content not checked")
                return None
            chunks = []
            remaining = limit + 1
            while remaining > 0:
                chunk = os.read(fd, min(remaining, 1 << 20))
                if not chunk:
                    break
                chunks.append(chunk)
                remaining -= len(chunk)
            data = b"".join(chunks)
            if len(data) > limit:
                self.add_problem(rel, "grew while being read; content not checked")
                return None
            return data
        except OSError as exc:
            self.add_problem(rel, f"cannot read: {exc.strerror or exc}")
            return None
        finally:
            os.close(fd)

    def read_bytes(self, rel: str) -> bytes | None:
        """File content, or None (with a problem recorded) if it cannot be read."""
        if rel in self._bytes:
            return self._bytes[rel]
        if rel not in self.file_set:
            return None
        target = self._link_targets.get(rel, rel)
        data = self._open_read(rel, self.root / target)
        self._bytes[rel] = data
        return data

    def read_text(self, rel: str) -> str | None:
        """Decoded text, or None (with a problem recorded) for binary or unreadable files."""
        if rel in self._text:
            return self._text[rel]
        data = self.read_bytes(rel)
        text: str | None = None
        if data is not None:
            if b"\x00" in data[:BINARY_SNIFF_BYTES]:
                self.add_problem(rel, "binary content where text was expected; not checked")
            else:
                text = decode_text(data)
        self._text[rel] = text
        # text is what rules use; keep memory low on large trees
        self._bytes.pop(rel, None)
        return text

    def is_binary(self, rel: str) -> bool:
        data = self.read_head(rel, BINARY_SNIFF_BYTES)
        return data is not None and b"\x00" in data

    def read_head(self, rel: str, n: int) -> bytes | None:
        """The first n bytes without caching the whole file (for magic-number sniffing)."""
        if rel not in self.file_set:
            return None
        target = self._link_targets.get(rel, rel)
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(self.root / target, flags)
        except OSError as exc:
            self.add_problem(rel, f"cannot open: {exc.strerror or exc}")
            return None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                self.add_problem(rel, "not a regular file; not read")
                return None
            return os.read(fd, n)
        except OSError as exc:
            self.add_problem(rel, f"cannot read: {exc.strerror or exc}")
            return None
        finally:
            os.close(fd)

    # ------------------------------------------------------------------ parsing
    def _parse(self, rel: str, kind: str, parser: Callable[[str], Any]) -> Any:
        key = (rel, kind)
        if key in self._parsed:
            return self._parsed[key]
        from auditor.parsing import ParseError

        value = None
        text = self.read_text(rel)
        if text is not None:
            try:
                value = parser(text)
            except ParseError as exc:
                self.add_problem(rel, f"unparsable: {exc}")
        self._parsed[key] = value
        return value

    def toml(self, rel: str) -> dict[str, Any] | None:
        from auditor.parsing import load_toml

        return self._parse(rel, "toml", load_toml)

    def yaml(self, rel: str) -> Any:
        from auditor.parsing import load_yaml

        return self._parse(rel, "yaml", load_yaml)

    def yaml_all(self, rel: str) -> list[Any]:
        from auditor.parsing import load_yaml_all

        return self._parse(rel, "yaml_all", load_yaml_all) or []

    def json(self, rel: str) -> Any:
        from auditor.parsing import load_json

        return self._parse(rel, "json", load_json)

    @property
    def pyproject(self) -> dict[str, Any]:
        return (self.toml("pyproject.toml") if self.exists("pyproject.toml") else None) or {}

    # ------------------------------------------------------------------ facts
    def fact(self, name: str) -> Any:
        """A named fact, extracted once (see FACT_EXTRACTORS)."""
        if name not in self._facts:
            target = FACT_EXTRACTORS[name]
            module, func = target.split(":")
            self._facts[name] = getattr(importlib.import_module(module), func)(self)
        return self._facts[name]


def decode_text(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            try:
                return data.decode("utf-16")
            except UnicodeDecodeError:
                pass
        return data.decode("utf-8", "replace")


def _split_z(raw: bytes, prefix: str) -> list[str]:
    out = []
    for item in raw.split(b"\0"):
        if not item:
            continue
        path = item.decode("utf-8", "surrogateescape")
        if prefix:
            if not path.startswith(prefix):
                continue
            path = path[len(prefix):]
        out.append(path)
    return out


def _has_git_ancestor(path: Path) -> bool:
    for parent in [path, *path.parents]:
        if (parent / ".git").exists():
            return True
    return False
