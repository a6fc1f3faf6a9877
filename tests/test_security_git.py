"""Repository-local git configuration cannot make an audit execute anything.

Each test builds a repository whose own configuration would run a command that creates a
marker file. A control run of plain git on an identical copy proves the configuration is
live (the marker appears); the audit of the original must leave no marker, no change to the
tree (including .git), and must not reach the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from auditor.gitsafe import GitError, SafeGit, run_git
from auditor.project import Project
from tests.helpers import _GIT_ENV, git, make_repo
from tests.hostile import audit_json, make_fifo, problems, tree_state


def plain_git(root: Path, *args: str) -> subprocess.CompletedProcess:
    """git as a user would run it (no hardening), with the test's identity and no global config."""
    env = {**os.environ, **_GIT_ENV}
    return subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True, timeout=60)


def marker_cmd(marker: Path) -> str:
    return f"touch '{marker}'; false"


def _repo(tmp_path: Path, files: dict | None = None) -> Path:
    files = files or {"README.md": "# r\n", "train.py": "import sklearn\n", "data.csv": "a,b\n1,2\n"}
    return make_repo(tmp_path, files, use_git=True)


def _commit_attributes(root: Path, line: str) -> None:
    """Commit a .gitattributes that routes files through a (hostile) driver."""
    (root / ".gitattributes").write_text(line)
    git(root, "add", ".gitattributes")
    git(root, "commit", "-q", "-m", "attributes")


def _control(root: Path, tmp_path: Path, marker: Path, *commands: tuple[str, ...]) -> None:
    """Plain git on a copy of the repository does run the configured command."""
    copy = tmp_path / "control"
    shutil.copytree(root, copy, symlinks=True)
    for cmd in commands:
        plain_git(copy, *cmd)
    assert marker.exists(), f"control: {commands} did not run the configured command"
    marker.unlink()


def _audit_leaves_no_marker(root: Path, marker: Path) -> dict:
    before = tree_state(root)
    data = audit_json(root)
    assert not marker.exists(), "the audited repository made mlaudit run a command"
    assert tree_state(root) == before
    assert data["target"]["git"] is not None
    return data


def test_fsmonitor_hook_is_not_run(tmp_path: Path):
    marker = tmp_path / "fsmonitor-ran"
    root = _repo(tmp_path)
    git(root, "config", "core.fsmonitor", marker_cmd(marker))
    _control(root, tmp_path, marker, ("status",))
    _audit_leaves_no_marker(root, marker)


def test_fsmonitor_from_an_included_file_is_not_run(tmp_path: Path):
    marker = tmp_path / "include-ran"
    root = _repo(tmp_path)
    inc = root / ".git" / "extra.cfg"
    inc.write_text(f"[core]\n\tfsmonitor = {marker_cmd(marker)}\n")
    git(root, "config", "include.path", "extra.cfg")
    git(root, "config", "includeIf.gitdir:/.path", "extra.cfg")
    _control(root, tmp_path, marker, ("status",))
    _audit_leaves_no_marker(root, marker)


@pytest.mark.parametrize("driver", ["clean", "process"])
def test_clean_and_process_filters_are_not_run(tmp_path: Path, driver: str):
    marker = tmp_path / f"{driver}-ran"
    root = _repo(tmp_path)
    _commit_attributes(root, "* filter=evil diff=evil\n")
    git(root, "config", f"filter.evil.{driver}", marker_cmd(marker))
    git(root, "config", "filter.evil.required", "false")
    time.sleep(0.01)
    with open(root / "train.py", "a") as fh:  # a modified file: status must look at its content
        fh.write("# changed\n")
    _control(root, tmp_path, marker, ("status",))
    _audit_leaves_no_marker(root, marker)


def test_filter_whose_name_contains_an_equals_sign_is_neutralised(tmp_path: Path):
    """`-c filter.a=b.clean=` would be mis-split; settings go through GIT_CONFIG_* instead."""
    marker = tmp_path / "odd-filter-ran"
    root = _repo(tmp_path)
    _commit_attributes(root, "* filter=a=b\n")
    (root / ".git" / "config").write_text((root / ".git" / "config").read_text()
                                          + f'[filter "a=b"]\n\tclean = {marker_cmd(marker)}\n')
    time.sleep(0.01)
    with open(root / "train.py", "a") as fh:
        fh.write("# changed\n")
    _control(root, tmp_path, marker, ("status",))
    _audit_leaves_no_marker(root, marker)


def test_textconv_external_diff_and_pager_are_not_run(tmp_path: Path):
    marker = tmp_path / "diff-ran"
    root = _repo(tmp_path)
    _commit_attributes(root, "*.py diff=evil\n")
    git(root, "config", "diff.evil.textconv", marker_cmd(marker))
    git(root, "config", "diff.external", marker_cmd(marker))
    git(root, "config", "core.pager", marker_cmd(marker))
    git(root, "config", "pager.log", marker_cmd(marker))
    git(root, "config", "pager.status", marker_cmd(marker))
    with open(root / "train.py", "a") as fh:
        fh.write("# changed\n")
    _control(root, tmp_path, marker, ("diff",))
    _audit_leaves_no_marker(root, marker)


def test_hooks_are_not_run(tmp_path: Path):
    marker = tmp_path / "hook-ran"
    root = _repo(tmp_path)
    hooks = root / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    for name in ("post-index-change", "reference-transaction", "post-checkout", "pre-commit",
                 "post-rewrite", "pre-auto-gc", "fsmonitor-watchman", "post-merge"):
        hook = hooks / name
        hook.write_text(f"#!/bin/sh\ntouch '{marker}'\n")
        hook.chmod(0o755)
    git(root, "config", "core.hooksPath", str(hooks))
    _control(root, tmp_path, marker, ("update-index", "--really-refresh"), ("commit", "-q", "--allow-empty", "-m", "x"))
    _audit_leaves_no_marker(root, marker)


def test_signature_program_is_not_run(tmp_path: Path):
    marker = tmp_path / "gpg-ran"
    root = _repo(tmp_path)
    # a commit carrying a (fake) signature makes `log --show-signature` call gpg.program
    head = plain_git(root, "cat-file", "commit", "HEAD").stdout
    header, _, message = head.partition("\n\n")
    signed = header + "\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n x\n -----END PGP SIGNATURE-----\n\n" + message
    sha = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--stdin"], cwd=root, input=signed,
                         capture_output=True, text=True, check=True).stdout.strip()
    git(root, "update-ref", "refs/heads/main", sha)
    program = tmp_path / "fake-gpg"  # gpg.program is run directly, not through a shell
    program.write_text(f"#!/bin/sh\ntouch '{marker}'\nexit 1\n")
    program.chmod(0o755)
    git(root, "config", "gpg.program", str(program))
    git(root, "config", "log.showSignature", "true")
    _control(root, tmp_path, marker, ("log", "-1"))
    _audit_leaves_no_marker(root, marker)


def test_lazy_fetch_from_a_promisor_remote_never_reaches_the_network(tmp_path: Path):
    """A partial clone missing an object would fetch it (running core.sshCommand)."""
    marker = tmp_path / "ssh-ran"
    root = _repo(tmp_path)
    git(root, "config", "core.repositoryformatversion", "1")
    git(root, "config", "extensions.partialClone", "origin")
    git(root, "config", "remote.origin.url", "ssh://git@example.invalid/x.git")
    git(root, "config", "remote.origin.promisor", "true")
    git(root, "config", "core.sshCommand", marker_cmd(marker))
    tree = plain_git(root, "rev-parse", "HEAD^{tree}").stdout.strip()
    (root / ".git" / "objects" / tree[:2] / tree[2:]).unlink()  # the HEAD tree is now "promised"
    _control(root, tmp_path, marker, ("status",), ("ls-tree", "HEAD"))
    _audit_leaves_no_marker(root, marker)


def test_config_including_a_fifo_cannot_hang_the_audit(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("MLAUDIT_GIT_TIMEOUT", "2")
    root = _repo(tmp_path)
    make_fifo(root / ".git" / "blocker")
    with open(root / ".git" / "config", "a") as fh:
        fh.write("[include]\n\tpath = blocker\n")
    data = audit_json(root)
    assert "train.py" in Project(root, use_git=False).files
    assert data["target"]["git"] is None  # git gave no answer: the tree was walked instead
    assert ".git" in problems(data)


def test_a_timed_out_repository_is_not_asked_again(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("MLAUDIT_GIT_TIMEOUT", "1")
    root = _repo(tmp_path)
    make_fifo(root / ".git" / "blocker")
    with open(root / ".git" / "config", "a") as fh:
        fh.write("[include]\n\tpath = blocker\n")
    g = SafeGit(root)
    for _ in range(5):
        with pytest.raises(GitError):
            g.run("status")


def test_a_started_command_times_out_like_a_run_one(tmp_path: Path, monkeypatch):
    """`SafeGit.start` (the untracked-file listing runs beside other work) keeps the
    timeout of `run`: the wait raises, and git is not asked again."""
    root = _repo(tmp_path)
    g = SafeGit(root)
    g._driver_overrides()            # read before the config is made to hang
    monkeypatch.setenv("MLAUDIT_GIT_TIMEOUT", "1")
    make_fifo(root / ".git" / "blocker")
    with open(root / ".git" / "config", "a") as fh:
        fh.write("[include]\n\tpath = blocker\n")
    pending = g.start("ls-files", "-z", "--others", "--exclude-standard")
    with pytest.raises(GitError, match="timed out"):
        pending.wait()
    with pytest.raises(GitError, match="not used further"):
        g.run("status")


def test_untracked_listing_failure_falls_back_to_a_walk(tmp_path: Path, monkeypatch):
    root = _repo(tmp_path)
    (root / "notes.txt").write_text("untracked\n")

    class Broken:
        def wait(self):
            raise GitError("git ls-files failed: simulated")

        def cancel(self):
            pass

    monkeypatch.setattr(SafeGit, "start", lambda self, *argv: Broken())
    project = Project(root)
    assert {"train.py", "notes.txt"} <= set(project.files)
    assert any(p.path == ".git" and "walked the tree" in p.detail for p in project.problems)


def test_core_worktree_pointing_elsewhere_is_not_used(tmp_path: Path):
    other = make_repo(tmp_path, {"elsewhere.py": "import torch\n"}, use_git=True, name="other")
    root = _repo(tmp_path)
    git(root, "config", "core.worktree", str(other))
    project = Project(root)
    assert "train.py" in project.files and "elsewhere.py" not in project.files
    assert any("worktree" in p.detail for p in project.problems)


def test_git_runs_with_no_inherited_git_environment_and_no_transport(tmp_path: Path, monkeypatch):
    root = _repo(tmp_path)
    monkeypatch.setenv("GIT_DIR", "/nonexistent")
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'core.fsmonitor'='touch /tmp/x'")
    out = run_git(root, "config", "--get", "protocol.allow").decode().strip()
    assert out == "never"
    assert run_git(root, "config", "--get", "core.fsmonitor").decode().strip() == "false"
    assert run_git(root, "rev-parse", "--show-toplevel").decode().strip() == str(root.resolve())
