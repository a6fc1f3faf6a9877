"""A cache of per-file facts keyed by file content, and the per-file work map that uses it.

Why: most of an audit's time on a large repository goes into per-file work (parsing every
Python module and notebook into the Python index, scanning every tracked text file for
secrets). That work depends only on a file's content (and path), so a second run can take
it from a cache instead of redoing it.

Keys. In a git work tree the content key of a file is free: `git ls-files -s` gives the
blob id of every tracked file, and `git diff-files` names the files whose work-tree copy
may differ from the index (those are keyed by their text instead). The work-tree size is
mixed into the key, so checkout conversions (CRLF, LFS smudging, `ident`) that change the
bytes behind one blob id never share an entry. Outside git a file's text is hashed after
it is read. A key also holds the path, so a value may depend on where the file is.

Store. One SQLite database in the user cache directory (`MLAUDIT_CACHE_DIR`, else
`$XDG_CACHE_HOME/mlaudit`, `~/Library/Caches/mlaudit`, `%LOCALAPPDATA%\\mlaudit\\Cache`, or
`~/.cache/mlaudit`), never inside the audited repository. WAL mode and single-transaction
writes let concurrent runs share it; every value carries a CRC and is checked when read, so
a damaged entry is ignored and rebuilt; a database that SQLite cannot open is moved aside
and started afresh; a cache that cannot be used at all is switched off for the run, which
then simply does the work. Entries live in namespaces that fingerprint the code computing
them (mlaudit version, Python version, source of the extractor modules), so editing an
extractor invalidates exactly its entries; stale namespaces are dropped on write.

Parallelism. `cached_map` runs the misses in a process pool (`--jobs`) when there is
enough work to pay for it. Results come back in input order and are identical for any
number of jobs: the pool only changes where a pure function runs.
"""

from __future__ import annotations

import hashlib
import math
import os
import sys
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from auditor import __version__

DB_NAME = "facts-v1.sqlite"
SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 3000
QUERY_CHUNK = 500                    # SQLite's host-parameter limit is 999 on old builds
PARALLEL_MIN_FILES = 64              # below this a pool costs more than it saves
PARALLEL_MIN_BYTES = 1 << 20
CHUNK_FILES = 48                     # files per task sent to a worker
FLUSH_EVERY = 2000                   # cache entries per write transaction


# --------------------------------------------------------------------------- location
def default_cache_dir() -> Path:
    """The user cache directory for mlaudit (see the module docstring for the order)."""
    env = os.environ.get("MLAUDIT_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        if base:
            return Path(base) / "mlaudit" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "mlaudit"
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "mlaudit"
    return Path.home() / ".cache" / "mlaudit"


def default_jobs() -> int:
    """The CPUs this process may use: its affinity mask, bounded by a cgroup CPU quota (a
    container limited with `--cpus=2` still sees every CPU of its host)."""
    try:
        cpus = max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        cpus = max(1, os.cpu_count() or 1)
    quota = cgroup_cpu_quota()
    return max(1, min(cpus, math.ceil(quota))) if quota else cpus


# cgroup v2, then v1: the CPU time a container may use per period
CGROUP_CPU_MAX = "/sys/fs/cgroup/cpu.max"
CGROUP_V1_QUOTA = ("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu/cpu.cfs_period_us")


def cgroup_cpu_quota() -> float | None:
    """CPUs' worth of time the cgroup allows (2.0 for `--cpus=2`); None when unlimited or
    unknown (no cgroup files: not Linux, or not readable)."""
    def read(path: str) -> str | None:
        try:
            with open(path, encoding="ascii") as fh:
                return fh.read(256).strip()
        except (OSError, ValueError):
            return None

    v2 = read(CGROUP_CPU_MAX)
    if v2 is not None:
        parts = v2.split()
        pairs = [(parts[0], parts[1])] if len(parts) == 2 else []
    else:
        pairs = [(read(CGROUP_V1_QUOTA[0]) or "", read(CGROUP_V1_QUOTA[1]) or "")]
    for quota, period in pairs:
        try:
            q, p = int(quota), int(period)
        except ValueError:
            return None   # "max": no limit
        return q / p if q > 0 and p > 0 else None
    return None


# --------------------------------------------------------------------------- store
class FactCache:
    """Content-keyed values in one SQLite file; every failure degrades to a cache miss."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self.path = self.directory / DB_NAME
        self._conn = None
        self._broken = False
        self._pruned: set[str] = set()

    # -- connection
    def _connect(self):
        if self._conn is not None or self._broken:
            return self._conn
        import sqlite3

        for attempt in (1, 2):
            try:
                self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
                conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000,
                                       isolation_level=None, check_same_thread=False)
                conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                conn.execute("PRAGMA journal_mode=WAL").fetchone()
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("CREATE TABLE IF NOT EXISTS entries (ns TEXT NOT NULL, key TEXT NOT NULL, "
                             "value BLOB NOT NULL, PRIMARY KEY (ns, key)) WITHOUT ROWID")
                conn.execute("SELECT count(*) FROM entries WHERE ns = '' AND key = ''").fetchone()
                self._conn = conn
                return conn
            except sqlite3.OperationalError:
                break  # locked for too long, unwritable directory...: run without a cache
            except sqlite3.DatabaseError:
                # not a database, or damaged beyond use: move it aside once and start afresh
                try:
                    conn.close()  # type: ignore[possibly-undefined]
                except Exception:
                    pass
                if attempt == 1 and self._set_aside():
                    continue
                break
            except (OSError, sqlite3.Error):
                break
        self._broken = True
        return None

    def _set_aside(self) -> bool:
        moved = False
        for suffix in ("", "-wal", "-shm"):
            src = Path(str(self.path) + suffix)
            try:
                if src.exists():
                    os.replace(src, str(src) + f".corrupt-{os.getpid()}")
                    moved = True
            except OSError:
                pass
        return moved

    def forked(self) -> "FactCache":
        """The same store for a forked child, which must open its own connection: a SQLite
        connection is never used on both sides of a fork."""
        twin = FactCache(self.directory)
        twin._broken = self._broken
        twin._pruned = set(self._pruned)
        return twin

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                pass
            self._conn = None

    # -- values: CRC32 (4 bytes) + marshal bytes
    @staticmethod
    def pack(value: Any) -> bytes:
        import marshal
        import zlib

        body = marshal.dumps(value)
        return zlib.crc32(body).to_bytes(4, "big") + body

    @staticmethod
    def unpack(blob: bytes) -> Any:
        """The stored value; raises ValueError for a damaged or truncated entry."""
        import marshal
        import zlib

        if not isinstance(blob, bytes) or len(blob) < 5:
            raise ValueError("truncated cache entry")
        body = blob[4:]
        if zlib.crc32(body).to_bytes(4, "big") != blob[:4]:
            raise ValueError("cache entry checksum mismatch")
        try:
            return marshal.loads(body)
        except (EOFError, ValueError, TypeError) as exc:
            raise ValueError(f"undecodable cache entry: {exc}") from None

    # -- raw access
    def get_many(self, ns: str, keys: Iterable[str]) -> dict[str, bytes]:
        """Stored blobs for the keys that are present (unchecked: see `unpack`)."""
        conn = self._connect()
        keys = list(dict.fromkeys(keys))
        out: dict[str, bytes] = {}
        if conn is None or not keys:
            return out
        import sqlite3

        try:
            for i in range(0, len(keys), QUERY_CHUNK):
                chunk = keys[i:i + QUERY_CHUNK]
                marks = ",".join("?" * len(chunk))
                for key, value in conn.execute(
                        f"SELECT key, value FROM entries WHERE ns = ? AND key IN ({marks})", [ns, *chunk]):
                    out[key] = value
        except sqlite3.Error:
            return out
        return out

    def put_many(self, ns: str, items: dict[str, bytes]) -> None:
        """Store blobs in one transaction; drop other versions of the namespace first."""
        conn = self._connect()
        if conn is None or not items:
            return
        import sqlite3

        family = ns.split("/", 1)[0]
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if family not in self._pruned:
                    conn.execute("DELETE FROM entries WHERE ns >= ? AND ns < ? AND ns != ?",
                                 (family + "/", family + "0", ns))
                    self._pruned.add(family)
                conn.executemany("INSERT OR REPLACE INTO entries (ns, key, value) VALUES (?, ?, ?)",
                                 [(ns, k, v) for k, v in items.items()])
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.Error:
            pass  # locked for too long, read-only, disk full: the next run computes again

    # -- single values (the rule catalogue)
    def get(self, ns: str, key: str) -> Any:
        blob = self.get_many(ns, [key]).get(key)
        if blob is None:
            return None
        try:
            return self.unpack(blob)
        except ValueError:
            return None

    def put(self, ns: str, key: str, value: Any) -> None:
        try:
            blob = self.pack(value)
        except ValueError:  # not marshal-able: nothing to cache
            return
        self.put_many(ns, {key: blob})


def open_cache(root: Path | None = None, directory: str | os.PathLike[str] | None = None) -> FactCache | None:
    """The cache for auditing `root`, or None when its directory lies inside `root`.

    An audit never writes into the audited tree, so auditing one's home directory with the
    default cache location simply runs without a cache.
    """
    cache = FactCache(directory)
    if root is not None:
        try:
            Path(os.path.realpath(cache.directory)).relative_to(Path(root).resolve())
            return None
        except ValueError:
            pass
    return cache


# --------------------------------------------------------------------------- fingerprints
_fingerprints: dict[tuple[str, ...], str] = {}


def code_fingerprint(*files: str) -> str:
    """A short hash of mlaudit's version, the Python version and the given source files."""
    key = tuple(files)
    if key not in _fingerprints:
        h = hashlib.sha1(f"{SCHEMA_VERSION}|{__version__}|{sys.version_info[:2]}".encode())
        for f in files:
            try:
                h.update(Path(f).read_bytes())
            except OSError:
                h.update(f"missing:{f}".encode())
        _fingerprints[key] = h.hexdigest()[:16]
    return _fingerprints[key]


def text_digest(text: str) -> str:
    return "t" + hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


# --------------------------------------------------------------------------- git content keys
def git_blob_keys(project) -> dict[str, str]:
    """Relative path -> content key for tracked files whose work-tree copy matches the index.

    One `git ls-files -s` and one `git diff-files` (which compares stat data, and content for
    racily clean entries) per run; both are hardened through `auditor.gitsafe`. Symlinks,
    submodules, conflicted entries and anything git reports as changed are left out.
    """
    git = project.git
    if git is None:
        return {}
    from auditor.gitsafe import GitError

    try:
        staged = git.run("ls-files", "-s", "-z")
        changed = git.run("diff-files", "--name-only", "--relative", "-z")
    except GitError:
        return {}
    dirty = {p.decode("utf-8", "surrogateescape") for p in changed.split(b"\0") if p}
    out: dict[str, str] = {}
    for rec in staged.split(b"\0"):
        if not rec:
            continue
        meta, _, raw_path = rec.partition(b"\t")
        parts = meta.split()
        if len(parts) != 3 or parts[2] != b"0" or parts[0] not in (b"100644", b"100755"):
            continue
        path = raw_path.decode("utf-8", "surrogateescape")
        if path not in dirty:
            out[path] = parts[1].decode("ascii")
    return out


def _blob_table(project) -> dict[str, str]:
    blobs = project.__dict__.get("_blob_keys")
    if blobs is None:
        blobs = git_blob_keys(project) if project.in_git else {}
        project.__dict__["_blob_keys"] = blobs
    return blobs


def file_digest(project, rel: str) -> str | None:
    """The content key of a snapshot file without reading it, or None when only reading it
    (and hashing its text, see `text_digest`) can tell."""
    blobs = _blob_table(project)
    target = project._link_targets.get(rel, rel)
    blob = blobs.get(target)
    if blob is None:
        return None
    return f"g{blob}:{project.size(rel)}"


# --------------------------------------------------------------------------- the per-file map
def _packed(value: Any, encode: Callable[[Any], Any]) -> bytes | None:
    """The stored form of a value, or None when it cannot be stored (it is then not cached)."""
    try:
        return FactCache.pack(encode(value))
    except (TypeError, ValueError, RecursionError):
        return None


# What a forked worker inherits for `_run_reading_chunk`: (project, read, fn, encode). Set just
# before the pool forks, so tasks carry only paths, never the snapshot or the texts.
_FORK_STATE: tuple | None = None


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _run_reading_chunk(tasks):
    """Worker side: read each file, compute its value; return (stored form or None, value or
    None, read problems as (path, detail), content digest or None when unreadable)."""
    import gc

    gc.disable()  # short-lived worker: the records it builds hold no cycles
    project, read, fn, encode = _FORK_STATE
    problems = project._problems
    out = []
    for path, extra in tasks:
        seen = len(problems)
        text = read(path)
        new = [(p.path, p.detail) for p in list(problems.values())[seen:]] if len(problems) > seen else []
        if text is None:
            out.append((None, None, new, None))
            continue
        value = fn(path, text, extra)
        digest = text_digest(text)
        if encode is None:
            out.append((None, value, new, digest))
        else:
            blob = _packed(value, encode)
            out.append((blob, None, new, digest) if blob is not None else (None, value, new, digest))
    return out


def _pool(jobs: int):
    import multiprocessing

    try:
        ctx = multiprocessing.get_context("fork")   # children inherit the loaded modules
    except ValueError:  # pragma: no cover - platforms without fork
        ctx = multiprocessing.get_context("spawn")
    return ctx.Pool(jobs)


def cached_map(project, name: str, items: Iterable[tuple[str, Any]],
               fn: Callable[[str, str, Any], Any], *,
               encode: Callable[[Any], Any] | None = None,
               decode: Callable[[Any], Any] | None = None,
               code: Iterable[str] = (),
               read: Callable[[str], str | None] | None = None) -> Iterator[tuple[str, Any]]:
    """Yield `(path, fn(path, text, extra))` for each `(path, extra)`, in order, from the cache
    where possible.

    - `fn` must be pure and picklable (a module-level function): it may run in a worker.
    - `read(path)` gives the text (default `project.read_text`); a path whose text is None is
      skipped and never cached, so read problems are recorded on every run.
    - `encode`/`decode` turn a value into marshal-able data and back (default: identity);
      `code` names the source files whose content the value depends on (the namespace).
    - The cache is `project.cache` (None: no caching); the pool size is `project.jobs`.
    """
    import gc

    cache = getattr(project, "cache", None)
    jobs = max(1, int(getattr(project, "jobs", 1) or 1))
    read = read or project.read_text
    enc = encode if encode is not None else (lambda v: v)
    dec = decode if decode is not None else (lambda v: v)
    items = list(items)
    ns = f"{name}/{code_fingerprint(*code)}"

    def key_of(path: str, extra: Any, digest: str) -> str:
        return f"{digest}\0{path}\0{extra!r}"

    hits: dict[str, Any] = {}
    keys: dict[str, str] = {}
    if cache is not None:
        for path, extra in items:
            digest = file_digest(project, path)
            if digest is None:
                # not clean in git's index (or no git): only the text can key it
                text = read(path)
                if text is None:
                    continue
                digest = text_digest(text)
            keys[path] = key_of(path, extra, digest)
        if keys:
            blobs = cache.get_many(ns, keys.values())
            for path, key in keys.items():
                blob = blobs.get(key)
                if blob is None:
                    continue
                try:
                    hits[path] = dec(FactCache.unpack(blob))
                except Exception:  # damaged or from an incompatible shape: rebuild it
                    continue

    misses = [(path, extra) for path, extra in items if path not in hits]
    computed: dict[str, Any] = {}
    fresh: dict[str, bytes] = {}

    def remember(key: str, blob: bytes) -> None:
        fresh[key] = blob
        if len(fresh) >= FLUSH_EVERY:  # written in batches: the stored forms are large
            cache.put_many(ns, fresh)
            fresh.clear()

    was_enabled = gc.isenabled()
    gc.disable()  # building many acyclic records: generational GC passes only cost time
    try:
        parallel = jobs > 1 and len(misses) >= PARALLEL_MIN_FILES and _can_fork() \
            and sum(project.size(path) for path, _ in misses) >= PARALLEL_MIN_BYTES
        if parallel:
            # workers read the files themselves (through their copy of the snapshot) and send
            # back only results and the read problems they met
            chunks = [misses[i:i + CHUNK_FILES] for i in range(0, len(misses), CHUNK_FILES)]
            wire = encode  # marshal-able data crosses the process boundary far faster than pickles
            global _FORK_STATE
            _FORK_STATE = (project, read, fn, wire)
            try:
                with _pool(min(jobs, len(chunks))) as pool:
                    for chunk, results in zip(chunks, pool.imap(_run_reading_chunk, chunks), strict=True):
                        for (path, extra), (blob, value, problems, digest) in zip(chunk, results, strict=True):
                            for where, detail in problems:
                                project.add_problem(where, detail)
                            if digest is None:
                                continue  # unreadable: nothing computed, nothing cached
                            if blob is not None:
                                try:
                                    value = dec(FactCache.unpack(blob))
                                except Exception:  # no faithful round trip: compute it here
                                    text = read(path)
                                    if text is None:
                                        continue
                                    value = fn(path, text, extra)
                                    blob = None
                            if cache is not None:
                                keys.setdefault(path, key_of(path, extra, digest))
                                if blob is not None:
                                    remember(keys[path], blob)
                            computed[path] = value
            finally:
                _FORK_STATE = None
        else:
            for path, extra in misses:
                text = read(path)
                if text is None:
                    continue
                if cache is not None and path not in keys:
                    keys[path] = key_of(path, extra, text_digest(text))
                value = fn(path, text, extra)
                if cache is not None:
                    blob = _packed(value, enc)
                    if blob is not None:
                        try:
                            decoded = dec(FactCache.unpack(blob))  # the same round trip as a later hit
                        except Exception:
                            pass  # not stored: the value is used as computed
                        else:
                            value = decoded
                            remember(keys[path], blob)
                computed[path] = value
    finally:
        if was_enabled:
            gc.enable()
    if cache is not None and fresh:
        cache.put_many(ns, fresh)
        fresh.clear()
    for path, _ in items:
        if path in hits:
            yield path, hits[path]
        elif path in computed:
            yield path, computed[path]


# --------------------------------------------------------------------------- encoding
_FIELDS: dict[type, tuple[str, ...]] = {}


def plain(obj: Any) -> Any:
    """Dataclasses, lists, tuples and dicts as plain marshal-able data (what
    `dataclasses.asdict` gives for JSON-like records, several times faster: no deep copies)."""
    cls = obj.__class__
    if cls in (str, int, float, bool) or obj is None:
        return obj
    if cls is list:
        return [plain(x) for x in obj]
    if cls is dict:
        return {k: plain(v) for k, v in obj.items()}
    if cls is tuple:
        return tuple(plain(x) for x in obj)
    names = _FIELDS.get(cls)
    if names is None:
        import dataclasses

        if not dataclasses.is_dataclass(obj):
            raise TypeError(f"cannot cache a {cls.__name__}")
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(obj))
    return {n: plain(getattr(obj, n)) for n in names}


# --------------------------------------------------------------------------- whole-run memo
_PACKAGE = Path(__file__).resolve().parent


def _package_fingerprint() -> str:
    """Every source file of mlaudit plus its bundled rules and schemas (so any code change
    invalidates memoised runs)."""
    from auditor.resources import data_dir

    files: list[Path] = sorted(_PACKAGE.rglob("*.py"))
    for name, pattern in (("rules", "*.toml"), ("schemas", "*.json")):
        files += sorted(data_dir(name).glob(pattern))
    return code_fingerprint(*map(str, files))


class RunMemo:
    """The results of a whole audit, keyed by everything they depend on.

    When no file changed since the last run (the common case for a pre-commit hook run
    twice, a CI retry, an editor integration), the rules need not be evaluated at all: the
    key covers the mlaudit code and data, the configuration and rules, the date, the file
    listing with every file's content key (git blob id; for untracked or modified files the
    stat data git itself trusts: size, mtime, ctime, inode), the listing problems and the
    git facts (commit, branch, dirty flag, remotes, recent history). Anything else changes
    the key and the audit runs normally.
    """

    NS = "run"

    def __init__(self, project, parts: list[Any]) -> None:
        self.project = project
        self.ns = f"{self.NS}/{_package_fingerprint()}"
        self.key = self._key(parts)

    def _key(self, parts: list[Any]) -> str:
        project = self.project
        h = hashlib.sha256()
        for part in parts:
            h.update(repr(part).encode("utf-8", "surrogateescape"))
            h.update(b"\1")
        # git answers in parallel with the listing: the blob table and the git facts each
        # cost a pass of lstat over the work tree inside git, as does the listing itself
        import threading

        def quietly(fn, *args):
            try:
                fn(*args)
            except Exception:  # computed again (and reported) by the caller below
                pass

        _ = project.git  # resolve the work tree once, before the threads share it
        helpers = [threading.Thread(target=quietly, args=(project.fact, "git"), daemon=True),
                   threading.Thread(target=quietly, args=(_blob_table, project), daemon=True)]
        for t in helpers:
            t.start()
        files = project.files
        for t in helpers:
            t.join()
        h.update(repr((project.tracked is None, sorted(project.tracked or ()) if project.tracked is not None
                       and len(project.tracked) != len(files) else None)).encode("utf-8", "surrogateescape"))
        blobs = _blob_table(project)
        links, sizes = project._link_targets, project._sizes
        for rel in files:
            blob = blobs.get(links.get(rel, rel))
            digest = f"g{blob}:{sizes.get(rel, 0)}" if blob is not None else None
            if digest is None:
                target = project.root / project._link_targets.get(rel, rel)
                try:
                    st = os.stat(target, follow_symlinks=False)
                    digest = f"s{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}:{st.st_mode}"
                except OSError as exc:
                    digest = f"e{exc.errno}"
            h.update(rel.encode("utf-8", "surrogateescape"))
            h.update(b"\0")
            h.update(digest.encode())
            h.update(b"\n")
        h.update(repr([(p.path, p.detail) for p in project.problems]).encode("utf-8", "surrogateescape"))
        git = project.fact("git")
        h.update(repr(git).encode("utf-8", "surrogateescape"))
        return h.hexdigest()

    def load(self, rules) -> tuple[list, list] | None:
        """(results, problems) of the memoised run, or None."""
        cache = self.project.cache
        data = cache.get(self.ns, self.key) if cache is not None else None
        if not isinstance(data, dict):
            return None
        from auditor.model import Evidence, Problem, Result

        by_id = {r.id: r for r in rules}
        try:
            results = [Result(by_id[rid], status, message, [Evidence(*e) for e in evidence], severity, waiver)
                       for rid, status, message, evidence, severity, waiver in data["results"]]
            problems = [Problem(path, detail) for path, detail in data["problems"]]
        except (KeyError, TypeError, ValueError):
            return None
        return results, problems

    def store(self, results, problems) -> None:
        cache = self.project.cache
        if cache is None:
            return
        # a run in which some file ran out of its time budget depends on the machine's load
        # that day: never replay it
        budget_left = getattr(self.project, "budget_left", None)
        if budget_left is not None and any(not budget_left(rel) for rel in getattr(self.project, "_spent", {})):
            return
        data = {
            "results": [(r.rule.id, r.status, r.message, [(e.path, e.line, e.detail) for e in r.evidence],
                         r.severity, r.waiver_reason) for r in results],
            "problems": [(p.path, p.detail) for p in problems],
        }
        cache.put(self.ns, self.key, data)
