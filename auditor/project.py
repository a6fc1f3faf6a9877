"""The read-only snapshot of an audited repository, shared by every rule.

Nothing here writes, imports or executes anything from the audited tree:
- files are listed once (git-aware, honouring .gitignore and `exclude`), and only regular
  files or symlinks that resolve to regular files inside the tree are ever opened;
- every open uses O_NOFOLLOW|O_NONBLOCK and checks the descriptor is a regular file, so a
  FIFO or device swapped in after listing cannot block the audit;
- reads and parses are cached, so two rules never read or parse the same file twice;
- anything that cannot be read or parsed becomes a `Problem`, recorded once, and the audit
  goes on;
- listed paths are checked before use: no `..`, absolute or `.git` component, no name that
  is not valid UTF-8, no directory on the way that is a symlink (a crafted git index can
  list `dir/file` where the work tree has `dir -> /etc`);
- work on one file (parsing, pattern scans) runs within a per-file time budget
  (`bounded()`, config `file-budget-ms`); what runs out is abandoned and reported.
Facts (CI jobs, dependencies, the Python index...) are computed lazily by extractor
functions named in `FACT_EXTRACTORS` and cached on the snapshot.
"""

from __future__ import annotations

import bisect
import importlib
import os
import re
import stat
import time
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Callable

from auditor.model import Problem
from auditor.pathmatch import IgnoreRules, compile_glob, required_text

DEFAULT_MAX_READ_BYTES = 8 * 1024 * 1024  # content reads beyond this are refused, as a problem
BINARY_SNIFF_BYTES = 8192
DEFAULT_FILE_BUDGET_MS = 5000  # config `file-budget-ms`: time one file may cost the audit
USER_PATTERN_LINE_CAP = 4096  # custom-rule patterns are matched per line, on this many chars
MAX_WALK_IGNORE_PATTERNS = 1000  # .gitignore patterns honoured outside git (each costs per path)

# name -> "module:function"; each function takes the Project and returns the fact.
FACT_EXTRACTORS: dict[str, str] = {
    "git": "auditor.facts.git:extract",
    "ci": "auditor.facts.ci:extract",
    "deps": "auditor.facts.deps:extract",
    "python": "auditor.facts.python:extract",
    "infra": "auditor.facts.infra:extract",
    "precommit": "auditor.facts.precommit:extract",
    "tests": "auditor.facts.testsuite:extract",
    "secrets": "auditor.facts.secrets:extract",
}


class InputError(Exception):
    """The audit target itself is unusable (exit 2)."""


class Project:
    """A lazily evaluated, read-only view of one repository."""

    # Set by auditor.audit.run_audit (auditor/cache.py): the per-file fact cache (None: off)
    # and how many processes per-file work may use.
    cache = None
    jobs = 1

    def __init__(self, root: str | os.PathLike[str], *, exclude: list[str] | tuple[str, ...] = (),
                 use_git: bool = True, max_read_bytes: int = DEFAULT_MAX_READ_BYTES,
                 file_budget_ms: float | None = DEFAULT_FILE_BUDGET_MS) -> None:
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
        self._root_str = str(self.root)   # joined as strings on hot paths (no Path per file read)
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
        self.file_budget_ms = file_budget_ms  # None or <= 0: no per-file budget
        self._spent: dict[str, float] = {}
        self._joined: tuple[str, str, list[int] | None] | None = None   # see _containing
        self._globbed: dict[tuple, tuple[str, ...]] = {}   # glob() results (the listing is fixed)  # seconds of bounded work charged to each file
        self._dir_ok: dict[str, bool] = {"": True}  # listed directory -> a real directory?

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

        holder = _git_ancestor(self.root)
        if holder is None:
            return None
        top = work_tree_top(self.root)
        if top is None:
            if _looks_like_repo(holder / ".git"):
                self.add_problem(".git", "git did not answer for this repository; walked the tree instead")
            return None
        try:
            same = os.path.samefile(top, holder)
        except OSError:
            same = False
        if not same:
            # core.worktree (or GIT_WORK_TREE-like config) points somewhere else: git would
            # describe another tree. Walk this one instead.
            self.add_problem(".git", "git work tree is configured elsewhere (core.worktree); "
                                     "walked the tree instead")
            return None
        return top

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
        # git walks the work tree for untracked files while the tracked ones are checked here
        others = self.git.start("ls-files", "-z", "--others", "--exclude-standard", "--full-name")
        try:
            tracked_raw = self.git.run("ls-files", "-z", "--cached", "--full-name")
            prefix = self._git_prefix()
            tracked = set(_split_z(tracked_raw, prefix))
            files = [p for p in tracked if self._admit(p, check_dirs=True)]
            others_raw = others.wait()
        except BaseException:
            others.cancel()
            raise
        files += [p for p in set(_split_z(others_raw, prefix)) - tracked if self._admit(p, check_dirs=True)]
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
                self._add_ignore_file(ignore, rel_dir, gi, gi_text)
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

    def _add_ignore_file(self, ignore: IgnoreRules, rel_dir: str, gi: str, text: str) -> None:
        """Honour a .gitignore outside git, refusing patterns too costly to match safely."""
        from auditor.globguard import GlobTooComplex, check_glob

        used = getattr(self, "_ignore_patterns_used", 0)
        for line in text.splitlines():
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if used >= MAX_WALK_IGNORE_PATTERNS:
                self.add_problem(gi, f"more than {MAX_WALK_IGNORE_PATTERNS} ignore patterns in the tree; "
                                     "the rest are not applied")
                break
            negate = "!" if stripped.startswith("!") else ""
            try:
                pattern = check_glob(stripped[len(negate):])
            except GlobTooComplex as exc:
                self.add_problem(gi, f"ignore pattern {stripped[:80]!r} not applied: {exc}")
                continue
            ignore.add(rel_dir, negate + pattern)
            used += 1
        self._ignore_patterns_used = used

    def _read_small(self, rel: str) -> str | None:
        full = self.root / rel
        try:
            if not stat.S_ISREG(os.lstat(full).st_mode):
                return None
        except OSError:
            return None
        data = self._open_read(rel, full)
        return None if data is None else data.decode("utf-8", "replace")

    def _admit(self, rel: str, check_dirs: bool = False) -> bool:
        """Keep regular files and in-tree symlinks to them; report everything else.

        `check_dirs`: the path came from git's index, not from walking, so every directory
        on the way must be checked to be a real directory of this tree (once per directory).
        """
        if not rel.isascii():
            try:
                rel.encode("utf-8")
            except UnicodeEncodeError:
                self.add_problem(printable_path(rel), "file name is not valid UTF-8; not read")
                return False
        if _bad_rel(rel):
            self.add_problem(printable_path(rel), "path leaves the repository or enters .git; not read")
            return False
        if check_dirs:
            parent = rel.rpartition("/")[0]
            if not self._real_dir(parent):
                return False
        full = os.path.join(self.root, rel)  # a str: pathlib costs ~0.3 s per 20,000 files
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

    def _real_dir(self, rel_dir: str) -> bool:
        """Whether every component of `rel_dir` is a real directory (not a symlink), cached."""
        cache = self._dir_ok
        if rel_dir in cache:
            return cache[rel_dir]
        todo = []
        d = rel_dir
        while d not in cache:  # iterative: trees hundreds of levels deep must not recurse
            todo.append(d)
            d = d.rpartition("/")[0]
        ok = cache[d]
        for d in reversed(todo):
            if ok:
                try:
                    mode = os.lstat(self.root / d).st_mode
                except OSError:
                    mode = 0
                if stat.S_ISLNK(mode):
                    self.add_problem(d, "directory is a symlink; files below it are not read")
                ok = stat.S_ISDIR(mode)
            cache[d] = ok
        return ok

    def _admit_link(self, rel: str, full: Path) -> bool:
        try:
            target = Path(os.path.realpath(full))
        except (OSError, RuntimeError, ValueError):
            self.add_problem(rel, "symlink cannot be resolved; not followed")
            return False
        try:
            inside = target.relative_to(self.root).as_posix()
        except ValueError:
            self.add_problem(rel, "symlink points outside the repository; not followed")
            return False
        if inside == ".git" or inside.startswith(".git/") or "/.git/" in f"/{inside}":
            self.add_problem(rel, "symlink points into .git; not followed")
            return False
        try:
            st = os.stat(target, follow_symlinks=False)
        except OSError:
            self.add_problem(rel, "broken symlink; not followed")
            return False
        if stat.S_ISLNK(st.st_mode):  # realpath stops where a chain of links loops
            self.add_problem(rel, "symlink loop; not followed")
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
        from auditor.globguard import safe_globs

        rxs = [compile_glob(p) for p in safe_globs(self.exclude, self, "exclude")]
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
        patterns = (pattern,) if isinstance(pattern, str) else tuple(pattern)
        key = (patterns, ignore_case)
        hit = self._globbed.get(key)
        if hit is None:   # rules ask for the same globs again and again: one pass each
            match = _any_glob(patterns, ignore_case).match  # one regex per file, not one per pattern
            needs = [required_text(p) for p in patterns]
            if not patterns or None in needs:
                hit = tuple(f for f in self.files if match(f))
            else:   # most paths lack the patterns' literal parts: find those first
                hit = tuple(f for f in self._containing(needs, ignore_case) if match(f))
            self._globbed[key] = hit
        return list(hit)

    def _containing(self, needs: list[str], fold: bool) -> list[str]:
        """Files (in listing order) whose path contains one of `needs` (case-insensitively
        with `fold`): searched in the whole listing joined by newlines, at C speed, then
        mapped back to paths; each path is tested on its own when the listing cannot be
        joined that way (a newline or non-ASCII character in some path)."""
        if self._joined is None:
            joined = "\n".join(self.files)
            ok = joined.count("\n") == max(len(self.files) - 1, 0) and joined.isascii()
            starts, pos = [], 0
            for f in self.files if ok else ():
                starts.append(pos)
                pos += len(f) + 1
            self._joined = (joined, joined.lower(), starts) if ok else ("", "", None)
        joined, lowered, starts = self._joined
        if fold:
            needs = [n.lower() for n in needs]
        if starts is None:
            return [f for f in self.files   # (a non-ASCII path may match case-insensitively unlowered)
                    if fold and not f.isascii() or any(n in (f.lower() if fold else f) for n in needs)]
        text = lowered if fold else joined
        found: set[int] = set()
        for need in needs:
            if "\n" in need:
                continue
            i = text.find(need)
            while i != -1:
                k = bisect.bisect_right(starts, i) - 1
                found.add(k)
                i = text.find(need, starts[k + 1] if k + 1 < len(starts) else len(text))
        return [self.files[k] for k in sorted(found)]

    def glob_dirs(self, pattern: str | list[str] | tuple[str, ...], *, ignore_case: bool = False) -> list[str]:
        patterns = [pattern] if isinstance(pattern, str) else list(pattern)
        rxs = [compile_glob(p.rstrip("/"), ignore_case) for p in patterns]
        return sorted(d for d in self.dirs if any(rx.match(d) for rx in rxs))

    def exists(self, rel: str) -> bool:
        return rel in self.file_set

    def size(self, rel: str) -> int:
        return self._sizes.get(rel, 0)

    # ------------------------------------------------------------------ reading
    def _open_read(self, rel: str, full: str | Path, limit: int | None = None) -> bytes | None:
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
            total = 0
            while remaining > 0:
                # up to one byte past the size fstat gave: a short read of a regular file is its
                # end, so a small file costs one read; a file that grew is read on to the limit
                request = min(remaining, 1 << 20, st.st_size + 1 - total if total <= st.st_size else 1 << 20)
                chunk = os.read(fd, request)
                if not chunk:
                    break
                chunks.append(chunk)
                remaining -= len(chunk)
                total += len(chunk)
                if len(chunk) < request:
                    break
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
        data = self._open_read(rel, os.path.join(self._root_str, target))
        self._bytes[rel] = data
        return data

    def read_text(self, rel: str) -> str | None:
        """Decoded text, or None (with a problem recorded) for binary or unreadable files."""
        if rel in self._text:
            return self._text[rel]
        data = self.read_bytes(rel)
        text: str | None = None
        if data is not None:
            if b"\x00" in data[:BINARY_SNIFF_BYTES] and not data.startswith(_UTF16_BOMS):
                self.add_problem(rel, "binary content where text was expected; not checked")
            else:
                text = decode_text(data)
        self._text[rel] = text
        # text is what rules use; keep memory low on large trees
        self._bytes.pop(rel, None)
        return text

    def is_binary(self, rel: str) -> bool:
        data = self.read_head(rel, BINARY_SNIFF_BYTES)
        return data is not None and b"\x00" in data and not data.startswith(_UTF16_BOMS)

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
                value = self.bounded(rel, parser, text, what=f"parsing ({kind})")
            except ParseError as exc:
                self.add_problem(rel, f"unparsable: {exc}")
            except (RecursionError, MemoryError):
                self.add_problem(rel, f"unparsable: {kind} nested too deeply or too large")
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

    def file_digest(self, rel: str) -> str | None:
        """Content key of a file from git's index, without reading it (see auditor/cache.py);
        None when only reading the file can tell."""
        from auditor.cache import file_digest

        return file_digest(self, rel)

    # ------------------------------------------------------------------ time budget
    def bounded(self, rel: str, fn: Callable[..., Any], *args: Any, what: str = "checking",
                default: Any = None, **kwargs: Any) -> Any:
        """`fn(*args, **kwargs)` charged to file `rel`'s time budget (`file-budget-ms`).

        Use it around any parse or scan of one file's content whose cost depends on that
        content. If the file's budget runs out, the work is abandoned, `default` is returned,
        the file is reported once as a problem, and later bounded work on it returns
        `default` at once. Without a budget (None or <= 0) this is a plain call.
        """
        budget_ms = self.file_budget_ms
        if not budget_ms or budget_ms <= 0:
            return fn(*args, **kwargs)
        from auditor.budget import call_with_deadline

        budget = budget_ms / 1000.0
        spent = self._spent.get(rel, 0.0)
        if spent >= budget:
            return default
        started = time.monotonic()
        try:
            finished, value = call_with_deadline(budget - spent, fn, *args, **kwargs)
        finally:
            self._spent[rel] = spent + (time.monotonic() - started)
        if finished:
            return value
        self._spent[rel] = budget
        self.add_problem(rel, f"{what} abandoned: the file used up its time budget "
                              f"({budget_ms:g} ms, `file-budget-ms`); results for it may be incomplete")
        return default

    def budget_left(self, rel: str) -> bool:
        """Whether bounded work on `rel` may still run."""
        budget_ms = self.file_budget_ms
        return not budget_ms or budget_ms <= 0 or self._spent.get(rel, 0.0) < budget_ms / 1000.0

    def find_first(self, rel: str, rx: "re.Pattern[str]", *, per_line: bool = False,
                   line_cap: int = USER_PATTERN_LINE_CAP) -> tuple[int, str] | None:
        """(line number, line) of the first match of `rx` in the file, or None; bounded.

        `per_line=True` is for patterns from user rule files: each line is matched on its
        own, on at most `line_cap` characters, so even a polynomial pattern costs at most
        lines x cap^k; lines that were cut are reported once per file as a problem.
        """
        text = self.read_text(rel)
        if text is None:
            return None
        if per_line:
            return self.bounded(rel, self._find_per_line, rel, text, rx, line_cap, what="pattern search")
        return self.bounded(rel, _find_whole, text, rx, what="pattern search")

    def _find_per_line(self, rel: str, text: str, rx, cap: int) -> tuple[int, str] | None:
        from auditor.budget import checkpoint

        search = rx.search
        for number, line in enumerate(text.split("\n"), 1):
            if len(line) > cap:
                self.add_problem(rel, f"lines longer than {cap} characters (first: line {number}); "
                                      "custom rule patterns were matched on their start only")
                line = line[:cap]
            if search(line):
                return number, line
            if not number & 1023:
                checkpoint()
        return None

    # ------------------------------------------------------------------ facts
    def fact(self, name: str) -> Any:
        """A named fact, extracted once (see FACT_EXTRACTORS)."""
        if name not in self._facts:
            target = FACT_EXTRACTORS[name]
            module, func = target.split(":")
            self._facts[name] = getattr(importlib.import_module(module), func)(self)
        return self._facts[name]


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@lru_cache(maxsize=1024)
def _any_glob(patterns: tuple[str, ...], ignore_case: bool) -> "re.Pattern[str]":
    """One regex matching what any of the globs matches (each is anchored on its own)."""
    import re

    if not patterns:
        return re.compile(r"(?!)")
    return re.compile("|".join(f"(?:{compile_glob(p, ignore_case).pattern})" for p in patterns),
                      re.IGNORECASE if ignore_case else 0)


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
    return _git_ancestor(path) is not None


def _git_ancestor(path: Path) -> Path | None:
    """The nearest directory at or above `path` holding a `.git` entry (a repository's top)."""
    for parent in [path, *path.parents]:
        if os.path.lexists(parent / ".git"):
            return parent
    return None


def _looks_like_repo(dotgit: Path) -> bool:
    try:
        return os.path.isdir(dotgit) and os.path.lexists(dotgit / "HEAD")
    except OSError:
        return False


def _find_whole(text: str, rx) -> tuple[int, str] | None:
    m = rx.search(text)
    if m is None:
        return None
    start = text.rfind("\n", 0, m.start()) + 1
    end = text.find("\n", m.start())
    return text.count("\n", 0, m.start()) + 1, text[start: end if end != -1 else len(text)]


def _bad_rel(rel: str) -> bool:
    """A listed path that is absolute, has an empty, `.`, `..` or `.git` component."""
    if rel.startswith("/") or rel.endswith("/") or "//" in rel or "\0" in rel:
        return True
    if "/." not in "/" + rel:  # fast path: no component starts with a dot
        return False
    for part in rel.split("/"):
        if part in ("", ".", "..", ".git"):
            return True
    return False


def printable_path(rel: str) -> str:
    """`rel` as valid UTF-8 text for reports (undecodable bytes become U+FFFD)."""
    try:
        rel.encode("utf-8")
        return rel
    except UnicodeEncodeError:
        return rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
