"""Run git against an untrusted repository without letting that repository run anything.

Git executes commands named in a repository's own configuration for some invocations:
`core.fsmonitor` on index reads, clean/smudge filters on `status`, hooks, `core.sshCommand`,
`gpg.program` with `log.showSignature`, pagers and editors. Command-line `-c` settings win
over every configuration file (including `include`d ones), so each call below overrides
every setting that names a program, turns off optional index writes, and never pages.
Filter drivers are neutralised by name: the names are read from the repository's config
with `git config --list`, which itself runs nothing.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

GIT_TIMEOUT_S = 30

# Settings that make git run a program; each is forced to something harmless.
_HARDENING = [
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.sshCommand=false",
    "core.pager=cat",
    "core.editor=false",
    "core.askPass=false",
    "core.gitProxy=",
    "core.untrackedCache=false",
    "core.alternateRefsCommand=false",
    "credential.helper=",
    "diff.external=",
    "gpg.program=false",
    "gpg.ssh.program=false",
    "gpg.x509.program=false",
    "log.showSignature=false",
    "sequence.editor=false",
    "protocol.ext.allow=never",
    "uploadpack.packObjectsHook=",
    "safe.directory=*",
]

_ENV_OVERRIDES = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",  # `status` must not refresh (write) the index
    "GIT_PAGER": "cat",
    "GIT_ASKPASS": "false",
    "SSH_ASKPASS": "false",
    "GIT_LFS_SKIP_SMUDGE": "1",
    "LC_ALL": "C",
}

_FILTER_KEY = re.compile(r"^(filter|diff|merge)\.(.+)\.(clean|smudge|process|textconv|command|driver)$")


class GitError(Exception):
    """git could not answer; the message is one line for the report."""


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(_ENV_OVERRIDES)
    return env


def _base_args(extra: list[str] | None = None) -> list[str]:
    args = ["git", "--no-pager", "--no-replace-objects"]
    for setting in _HARDENING + (extra or []):
        args += ["-c", setting]
    return args


def run_git(cwd: Path, *argv: str, extra_config: list[str] | None = None,
            timeout: float = GIT_TIMEOUT_S, check: bool = True) -> bytes:
    """Run one hardened git command in `cwd` and return its stdout."""
    try:
        proc = subprocess.run(
            _base_args(extra_config) + list(argv),
            cwd=str(cwd),
            env=git_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=timeout,
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {argv[0]} timed out after {timeout:g}s") from exc
    if check and proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {argv[0]} failed: {msg[-1] if msg else proc.returncode}")
    return proc.stdout


class SafeGit:
    """A hardened git bound to one work tree; neutralises the repo's own filter drivers."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._extra: list[str] | None = None

    def _driver_overrides(self) -> list[str]:
        if self._extra is None:
            extra: list[str] = []
            try:
                names = run_git(self.root, "config", "--name-only", "--list", check=False)
            except GitError:
                names = b""
            for key in names.decode("utf-8", "replace").splitlines():
                m = _FILTER_KEY.match(key.strip())
                if m:
                    extra.append(f"{key.strip()}=")
            self._extra = extra
        return self._extra

    def run(self, *argv: str, check: bool = True, timeout: float = GIT_TIMEOUT_S) -> bytes:
        return run_git(self.root, *argv, extra_config=self._driver_overrides(),
                       check=check, timeout=timeout)

    def text(self, *argv: str, check: bool = True) -> str:
        return self.run(*argv, check=check).decode("utf-8", "replace")


def work_tree_top(path: Path) -> Path | None:
    """The top of the git work tree containing `path`, or None outside git."""
    try:
        out = run_git(path, "rev-parse", "--show-toplevel", check=False)
    except GitError:
        return None
    top = out.decode("utf-8", "surrogateescape").strip()
    return Path(top) if top else None
