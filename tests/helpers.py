"""Shared test helpers: build repositories in tmp_path and audit them."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_repos"

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
}


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create files (text or bytes) below root; parents are made as needed."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def git(root: Path, *args: str) -> str:
    env = {**os.environ, **_GIT_ENV}
    return subprocess.run(["git", *args], cwd=root, env=env, check=True,
                          capture_output=True, text=True).stdout


def git_init(root: Path, *, commit: bool = True, message: str = "initial commit") -> Path:
    git(root, "init", "-q", "-b", "main")
    if commit:
        git(root, "add", "-A")
        git(root, "commit", "-q", "--allow-empty", "-m", message)
    return root


def make_repo(tmp_path: Path, files: dict[str, str | bytes], *, use_git: bool = False,
              name: str = "repo") -> Path:
    root = write_tree(tmp_path / name, files)
    if use_git:
        git_init(root)
    return root


def copy_sample(name: str, dest: Path, *, use_git: bool = True) -> Path:
    """Copy a bundled sample into dest (and commit it there, samples have no .git)."""
    target = dest / name
    shutil.copytree(SAMPLES / name, target, symlinks=True)
    if use_git:
        git_init(target)
    return target


def audit_report(path: Path, *, config_file: str | None = None, no_config: bool = True, **overrides):
    """Run a full audit in-process; overrides use config keys with `_` for `-`."""
    from auditor.audit import AuditOptions, run_audit

    opts = AuditOptions(config_file=config_file, no_config=no_config,
                        overrides={k.replace("_", "-"): v for k, v in overrides.items()})
    return run_audit(path, opts)


def audit(path: Path, **kwargs):
    """Results of a full audit keyed by rule id (profile production unless given)."""
    return {r.rule.id: r for r in audit_report(path, **kwargs).results}


def status(path: Path, rule_id: str, **kwargs) -> str:
    """The status of one rule (only that rule is selected, so the audit stays cheap)."""
    results = audit(path, select=[rule_id], **kwargs)
    return results[rule_id].status
