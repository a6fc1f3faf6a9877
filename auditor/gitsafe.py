"""Run git against an untrusted repository without letting that repository run anything.

Git executes commands named in a repository's own configuration for some invocations:
`core.fsmonitor` on index reads, clean/smudge/process filters on `status`, hooks,
`core.sshCommand` and `remote.*.uploadpack` when it fetches (a partial clone fetches missing
objects lazily), `gpg.program` with `log.showSignature`, textconv drivers, pagers and
editors. Settings given in the command-line scope win over every configuration file
(including `include`d ones), so each call below passes, through `GIT_CONFIG_COUNT` /
`GIT_CONFIG_KEY_n` / `GIT_CONFIG_VALUE_n` (which, unlike `-c`, never mis-split a name that
contains `=`), a setting for every key that names a program, forbids every transport, turns
off optional index writes, and never pages. Filter, diff and merge drivers are neutralised
by name: the names are read from the repository's config with `git config --list`, which
itself runs nothing.

Every call has a timeout and runs in its own process group, which is killed on timeout,
Ctrl-C or any other exception, so no git (or anything git started) outlives the call. A
repository whose config `include`s a FIFO makes git block; after one timeout the SafeGit of
that repository gives up at once instead of waiting again on each command.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

GIT_TIMEOUT_S = 30.0  # default; MLAUDIT_GIT_TIMEOUT (seconds) overrides
PROBE_TIMEOUT_S = 10.0  # the first question asked of a repository (rev-parse) must be quick

# Settings that make git run a program or touch the network; each is forced harmless.
_HARDENING: list[tuple[str, str]] = [
    ("core.fsmonitor", "false"),
    ("core.hooksPath", os.devnull),
    ("core.sshCommand", "false"),
    ("core.pager", "cat"),
    ("core.editor", "false"),
    ("core.askPass", "false"),
    ("core.gitProxy", ""),
    ("core.untrackedCache", "false"),
    ("core.alternateRefsCommand", "false"),
    ("credential.helper", ""),
    ("diff.external", ""),
    ("gpg.program", "false"),
    ("gpg.ssh.program", "false"),
    ("gpg.x509.program", "false"),
    ("gpg.ssh.defaultKeyCommand", "false"),
    ("log.showSignature", "false"),
    ("sequence.editor", "false"),
    ("protocol.ext.allow", "never"),
    ("uploadpack.packObjectsHook", ""),
    ("safe.directory", "*"),
]
# Auditing a local repository never needs a transport (a promisor remote would be fetched
# from lazily otherwise); only an explicit URL clone is allowed one.
_NO_NETWORK: list[tuple[str, str]] = [("protocol.allow", "never")]
# For a clone: the user's own ssh must work; the cloned repository has no config yet.
_CLONE_SKIP = {"core.sshCommand"}

_ENV_OVERRIDES = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",  # `status` must not refresh (write) the index
    "GIT_PAGER": "cat",
    "GIT_EDITOR": "false",
    "GIT_ASKPASS": "false",
    "SSH_ASKPASS": "false",
    "GIT_LFS_SKIP_SMUDGE": "1",
    "GIT_NO_LAZY_FETCH": "1",
    "GIT_ATTR_NOSYSTEM": "1",
    "LC_ALL": "C",
}
# The user's own environment may choose how a URL clone reaches the network.
_CLONE_ENV_KEEP = ("GIT_SSH", "GIT_SSH_COMMAND", "GIT_SSH_VARIANT", "GIT_SSL_CAINFO", "GIT_SSL_CAPATH")

_FILTER_KEY = re.compile(r"^(filter|diff|merge)\.(.+)\.(clean|smudge|process|textconv|command|driver)$",
                         re.DOTALL)


class GitError(Exception):
    """git could not answer; the message is one line for the report."""


def env_seconds(name: str, default: float) -> float:
    """A positive number of seconds from the environment variable `name`, else `default`."""
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


def git_timeout() -> float:
    return env_seconds("MLAUDIT_GIT_TIMEOUT", GIT_TIMEOUT_S)


def git_env(settings: list[tuple[str, str]] | None = None, *, network: bool = False) -> dict[str, str]:
    """The environment for one git call: no GIT_* from outside, our settings as config."""
    keep = _CLONE_ENV_KEEP if network else ()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in keep}
    env.update(_ENV_OVERRIDES)
    pairs = [kv for kv in _HARDENING if not (network and kv[0] in _CLONE_SKIP)]
    if not network:
        pairs += _NO_NETWORK
    pairs += settings or []
    env["GIT_CONFIG_COUNT"] = str(len(pairs))
    for i, (key, value) in enumerate(pairs):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env


def _pairs(extra: list[str] | list[tuple[str, str]] | None) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for item in extra or []:
        if isinstance(item, tuple):
            out.append(item)
        else:
            key, _, value = item.partition("=")
            out.append((key, value))
    return out


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        try:
            proc.kill()
        except OSError:
            pass
    try:
        proc.communicate(timeout=5)
    except Exception:  # pragma: no cover - a process that survives SIGKILL
        pass


def run_git(cwd: Path, *argv: str, extra_config: list | None = None,
            timeout: float | None = None, check: bool = True, network: bool = False) -> bytes:
    """Run one hardened git command in `cwd` and return its stdout.

    `network=True` only for an explicit URL clone: transports are allowed and the user's
    ssh settings apply. `extra_config` holds further ("key", "value") settings (or "k=v").
    """
    return start_git(cwd, *argv, extra_config=extra_config, timeout=timeout, check=check,
                     network=network).wait()


class PendingGit:
    """A git command started by `start_git`; `wait()` gives its stdout (or raises GitError)."""

    def __init__(self, proc: subprocess.Popen, argv: tuple[str, ...], timeout: float, check: bool) -> None:
        self.proc, self.argv, self.timeout, self.check = proc, argv, timeout, check

    def wait(self) -> bytes:
        proc = self.proc
        try:
            out, err = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise GitTimeout(f"git {self.argv[0]} timed out after {self.timeout:g}s") from None
        except BaseException:
            _kill_group(proc)
            raise
        if self.check and proc.returncode != 0:
            msg = err.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"git {self.argv[0]} failed: {msg[-1] if msg else proc.returncode}")
        return out

    def cancel(self) -> None:
        """Stop it (its answer is no longer wanted)."""
        _kill_group(self.proc)


def start_git(cwd: Path, *argv: str, extra_config: list | None = None,
              timeout: float | None = None, check: bool = True, network: bool = False) -> PendingGit:
    """Start one hardened git command (see `run_git`), to be waited for later: lets a slow
    command (walking the work tree for untracked files) run beside other work."""
    timeout = git_timeout() if timeout is None else timeout
    try:
        proc = subprocess.Popen(
            ["git", "--no-pager", "--no-replace-objects", *argv],
            cwd=str(cwd),
            env=git_env(_pairs(extra_config), network=network),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # our own process group: killed whole on timeout or Ctrl-C
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed") from exc
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror or exc}") from exc
    return PendingGit(proc, argv, timeout, check)


class GitTimeout(GitError):
    """git did not answer in time (a FIFO in its config, a huge repository...)."""


class SafeGit:
    """A hardened git bound to one work tree; neutralises the repo's own filter drivers."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._extra: list[tuple[str, str]] | None = None
        self._dead: str | None = None  # set after a timeout: later calls fail at once

    def _driver_overrides(self) -> list[tuple[str, str]]:
        if self._extra is None:
            extra: list[tuple[str, str]] = []
            names = self._call("config", "-z", "--name-only", "--list", check=False, extra=[])
            for key in names.decode("utf-8", "surrogateescape").split("\0"):
                key = key.strip()
                if _FILTER_KEY.match(key):
                    extra.append((key, ""))
            self._extra = extra
        return self._extra

    def _call(self, *argv: str, check: bool, extra: list[tuple[str, str]],
              timeout: float | None = None) -> bytes:
        if self._dead:
            raise GitError(self._dead)
        try:
            return run_git(self.root, *argv, extra_config=extra, check=check, timeout=timeout)
        except GitTimeout as exc:
            self._give_up(exc)
            raise

    def _give_up(self, exc: GitTimeout) -> None:
        """After a timeout every later call fails at once (a hanging git hangs again)."""
        self._dead = f"{exc}; git is not used further for this repository"

    def run(self, *argv: str, check: bool = True, timeout: float | None = None) -> bytes:
        return self._call(*argv, check=check, extra=self._driver_overrides(), timeout=timeout)

    def start(self, *argv: str) -> "SafeGit.Pending":
        """Start a command now, wait for its stdout later (`.wait()`); a timeout there
        marks this git as dead, as in `run`."""
        if self._dead:
            raise GitError(self._dead)
        return SafeGit.Pending(self, start_git(self.root, *argv, extra_config=self._driver_overrides()))

    class Pending:
        def __init__(self, git: "SafeGit", pending: PendingGit) -> None:
            self._git, self._pending = git, pending

        def wait(self) -> bytes:
            try:
                return self._pending.wait()
            except GitTimeout as exc:
                self._git._give_up(exc)
                raise

        def cancel(self) -> None:
            self._pending.cancel()

    def text(self, *argv: str, check: bool = True) -> str:
        return self.run(*argv, check=check).decode("utf-8", "replace")


def work_tree_top(path: Path) -> Path | None:
    """The top of the git work tree containing `path`, or None outside git (or no answer)."""
    try:
        out = run_git(path, "rev-parse", "--show-toplevel", check=False,
                      timeout=min(PROBE_TIMEOUT_S, git_timeout()))
    except GitError:
        return None
    top = out.decode("utf-8", "surrogateescape").strip()
    return Path(top) if top else None
