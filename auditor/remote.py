"""Audit a git URL: clone it shallowly into a temporary directory that is always removed.

The clone runs with hooks disabled, no filters or LFS smudging, no submodules, no global or
system config, and a timeout; the directory is removed on success, failure and Ctrl-C.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from auditor.gitsafe import GitError, run_git

CLONE_TIMEOUT_S = 300
_URL = re.compile(r"^(?:(?:https?|ssh|git|file)://|[\w.-]+@[\w.-]+:)")


def is_git_url(target: str) -> bool:
    return bool(_URL.match(target))


@contextmanager
def cloned(url: str, *, timeout: float = CLONE_TIMEOUT_S) -> Iterator[Path]:
    tmp = Path(tempfile.mkdtemp(prefix="mlaudit-clone-"))
    try:
        dest = tmp / "repo"
        try:
            run_git(tmp, "clone", "--depth", "1", "--no-tags", "--single-branch",
                    "--no-recurse-submodules", "--template=", "-c", "core.hooksPath=/dev/null",
                    "--", url, str(dest), timeout=timeout)
        except GitError as exc:
            raise GitError(f"cannot clone {url}: {str(exc).removeprefix('git clone failed: ')}") from None
        yield dest
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
