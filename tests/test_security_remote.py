"""`mlaudit <git URL>`: a shallow clone with no hooks or filters, a timeout, and a temporary
directory (under TMPDIR) that is removed on success, failure, Ctrl-C and SIGTERM.

The audits run as real subprocesses (`python -m auditor`) so signals behave as in a shell.
A stand-in `git` placed first on PATH logs its arguments and can stall a chosen subcommand,
so a test can interrupt the clone, or the audit after it, at a known moment.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import ROOT, _GIT_ENV, git, make_repo

REAL_GIT = shutil.which("git")


def _origin(tmp_path: Path, extra: dict | None = None) -> Path:
    files = {"README.md": "# remote\n", "train.py": "import sklearn\n", **(extra or {})}
    return make_repo(tmp_path, files, use_git=True, name="origin")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir(exist_ok=True)
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "MLAUDIT_"))}
    env.update({"TMPDIR": str(tmpdir), "HOME": str(home), "MLAUDIT_CACHE_DIR": str(tmp_path / "cache"),
                "PYTHONPATH": str(ROOT)})
    env.update(extra)
    return env


def _clones_left(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "tmpdir").iterdir() if p.name.startswith("mlaudit-clone-"))


def _fake_git(tmp_path: Path, stall_on: str | None = None) -> Path:
    """A `git` that logs its arguments and, for subcommand `stall_on`, records its pid and
    sleeps instead of running."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    log = tmp_path / "git-args.log"
    stall = ""
    if stall_on:
        stall = (f'for a in "$@"; do if [ "$a" = "{stall_on}" ]; then echo $$ > "{tmp_path}/stalled.pid"; '
                 f"exec sleep 120; fi; done\n")
    script = bindir / "git"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\n{stall}exec "{REAL_GIT}" "$@"\n')
    script.chmod(0o755)
    return bindir


def _mlaudit(args: list[str], env: dict[str, str], **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "auditor", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end, "the stand-in git was never reached"
        time.sleep(0.05)


def _pid_gone(pid: int, timeout: float = 10) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_clone_audit_of_a_file_url_removes_its_directory(tmp_path: Path):
    origin = _origin(tmp_path)
    env = _env(tmp_path, PATH=f"{_fake_git(tmp_path)}{os.pathsep}{os.environ['PATH']}")
    url = origin.as_uri()
    proc = _mlaudit([url, "-f", "json", "--exit-zero"], env)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    data = json.loads(out)
    assert data["target"]["path"] == url
    head = git(origin, "rev-parse", "HEAD").strip()
    assert data["target"]["git"]["commit"] == head
    assert _clones_left(tmp_path) == []
    clone_line = next(line for line in (tmp_path / "git-args.log").read_text().splitlines() if " clone " in line)
    for flag in ("--depth 1", "--no-recurse-submodules", "--template=", "core.hooksPath=", "--single-branch"):
        assert flag in clone_line, clone_line


def test_clone_runs_no_hooks_templates_or_filters_from_the_users_git_config(tmp_path: Path):
    """The user's global config names a template with hooks and a smudge filter the remote's
    .gitattributes selects; plain `git clone` runs them, mlaudit's clone does not."""
    marker = tmp_path / "clone-ran-something"
    origin = _origin(tmp_path, {".gitattributes": "* filter=evil\n"})
    template = tmp_path / "template" / "hooks"
    template.mkdir(parents=True)
    hook = template / "post-checkout"
    hook.write_text(f"#!/bin/sh\ntouch '{marker}'\n")
    hook.chmod(0o755)
    env = _env(tmp_path)
    Path(env["HOME"], ".gitconfig").write_text(
        f"[init]\n\ttemplateDir = {template.parent}\n"
        f"[filter \"evil\"]\n\tsmudge = touch '{marker}'; cat\n")
    control = subprocess.run([REAL_GIT, "clone", "-q", origin.as_uri(), str(tmp_path / "control")],
                             env={**env, **_GIT_ENV, "GIT_CONFIG_GLOBAL": str(Path(env["HOME"], ".gitconfig"))},
                             capture_output=True, text=True)
    assert control.returncode == 0, control.stderr
    assert marker.exists(), "control: plain git clone did not run the hook or filter"
    marker.unlink()
    proc = _mlaudit([origin.as_uri(), "-f", "json", "--exit-zero"], env)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert not marker.exists()
    assert _clones_left(tmp_path) == []


def test_failed_clone_is_exit_2_and_leaves_nothing(tmp_path: Path):
    env = _env(tmp_path)
    proc = _mlaudit([(tmp_path / "no-such-repo").as_uri()], env)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert "cannot clone" in err and "Traceback" not in err
    assert _clones_left(tmp_path) == []


def test_clone_timeout_kills_git_and_removes_the_directory(tmp_path: Path):
    origin = _origin(tmp_path)
    env = _env(tmp_path, PATH=f"{_fake_git(tmp_path, stall_on='clone')}{os.pathsep}{os.environ['PATH']}",
               MLAUDIT_CLONE_TIMEOUT="2")
    started = time.monotonic()
    proc = _mlaudit([origin.as_uri()], env)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "timed out" in err, err
    assert time.monotonic() - started < 60
    assert _clones_left(tmp_path) == []
    assert _pid_gone(int((tmp_path / "stalled.pid").read_text()))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("stage", ["clone", "ls-files"], ids=["during-clone", "during-audit"])
def test_interrupt_removes_the_clone_directory(tmp_path: Path, sig: int, stage: str):
    origin = _origin(tmp_path)
    env = _env(tmp_path, PATH=f"{_fake_git(tmp_path, stall_on=stage)}{os.pathsep}{os.environ['PATH']}")
    proc = _mlaudit([origin.as_uri(), "--no-cache"], env)
    _wait_for(tmp_path / "stalled.pid", proc)
    assert len(_clones_left(tmp_path)) == 1  # the clone directory exists while git runs
    if stage == "ls-files":
        assert (Path(env["TMPDIR"]) / _clones_left(tmp_path)[0] / "repo" / "train.py").exists()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, (proc.returncode, err)
    assert "Traceback" not in err, err
    assert _clones_left(tmp_path) == [], err
    assert _pid_gone(int((tmp_path / "stalled.pid").read_text()), timeout=30), err
