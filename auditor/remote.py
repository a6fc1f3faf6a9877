"""Audit a git URL: clone it shallowly into a temporary directory that is always removed.

The clone runs with hooks disabled (an empty template and `core.hooksPath` set to the null
device), no filters or LFS smudging (no global or system config is read, so no filter driver
exists), no submodules, and a timeout (`MLAUDIT_CLONE_TIMEOUT` seconds, default 300). The
temporary directory is created under `TMPDIR` (Python's `tempfile` rules) and removed on
success, failure, Ctrl-C and SIGTERM: git runs in its own process group, which is killed
before the directory is removed, and the removal itself is not interruptible by Ctrl-C.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from auditor.gitsafe import GitError, env_seconds, run_git

CLONE_TIMEOUT_S = 300.0
TEMP_PREFIX = "mlaudit-clone-"
_URL = re.compile(r"^(?:(?:https?|ssh|git|file)://|[\w.-]+@[\w.-]+:)")


def is_git_url(target: str) -> bool:
    return bool(_URL.match(target))


def clone_timeout() -> float:
    return env_seconds("MLAUDIT_CLONE_TIMEOUT", CLONE_TIMEOUT_S)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Inside the block SIGTERM unwinds like Ctrl-C, so `finally` clauses run."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def _remove(tmp: Path) -> None:
    """Remove the clone; Ctrl-C and SIGTERM wait until it is gone (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        shutil.rmtree(tmp, ignore_errors=True)
        return
    old_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
    old_term = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        shutil.rmtree(tmp, ignore_errors=True)
    finally:
        signal.signal(signal.SIGINT, old_int if old_int is not None else signal.default_int_handler)
        signal.signal(signal.SIGTERM, old_term if old_term is not None else signal.SIG_DFL)


@contextmanager
def cloned(url: str, *, timeout: float | None = None) -> Iterator[Path]:
    """A shallow clone of `url` for the duration of the block."""
    timeout = clone_timeout() if timeout is None else timeout
    with _sigterm_as_interrupt():
        tmp = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX))
        try:
            dest = tmp / "repo"
            try:
                run_git(tmp, "clone", "--quiet", "--depth", "1", "--no-tags", "--single-branch",
                        "--no-recurse-submodules", "--template=", "-c", f"core.hooksPath={os.devnull}",
                        "--", url, str(dest), timeout=timeout, network=True)
            except GitError as exc:
                reason = str(exc).removeprefix("git clone failed: ")
                raise GitError(f"cannot clone {url}: {reason}") from None
            yield dest
        finally:
            _remove(tmp)
