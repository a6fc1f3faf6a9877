"""The pre-commit hook, exercised through real pre-commit (`pre-commit try-repo`).

pre-commit needs a committed repository to install a hook from, so the working tree (tracked
and untracked, non-ignored files) is copied to tmp_path and committed there; pre-commit then
pip-installs that copy into its own environment (PRE_COMMIT_HOME inside tmp_path) and runs
the hook in another temporary git repository. Slow (it builds an environment): deselect
with `-m "not slow"`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import _GIT_ENV, ROOT, git, git_init, make_repo

pytestmark = pytest.mark.slow

HOOK_ID = "mlaudit"


def test_hook_definition():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == HOOK_ID)
    assert hook["entry"] == "mlaudit" and hook["language"] == "python"
    assert hook["pass_filenames"] is False and hook["always_run"] is True and hook["require_serial"] is True


def _project_files() -> list[str]:
    """Tracked plus untracked files that .gitignore does not exclude (the tree pre-commit would see)."""
    if (ROOT / ".git").exists():
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                             capture_output=True, check=True).stdout.decode()
        return sorted({f for f in out.split("\0") if f})
    skip = {".git", ".venv", ".ci-venv", "build", "dist", "__pycache__", ".pytest_cache", ".hypothesis"}
    return sorted(str(p.relative_to(ROOT)) for p in ROOT.rglob("*")
                  if p.is_file() and not skip & set(p.relative_to(ROOT).parts))


def _copy_project(dest: Path) -> Path:
    for rel in _project_files():
        src = ROOT / rel
        if not src.is_file() or src.is_symlink():
            continue  # deleted but still listed, or a link: not part of an installable copy
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    return git_init(dest, message="snapshot for pre-commit try-repo")


def _try_repo(hook_repo: Path, target: Path, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, **_GIT_ENV, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1",
           "PRE_COMMIT_COLOR": "never"}
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), HOOK_ID,
                           "--all-files", "--verbose", "--color", "never"],
                          cwd=target, env=env, capture_output=True, text=True, timeout=900,
                          check=False)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> Path:
    pytest.importorskip("pre_commit", reason="pre-commit is in the test extra: pip install -e '.[test]'")
    if not (ROOT / "pyproject.toml").is_file():
        pytest.skip("not running from the mlaudit source tree")
    return _copy_project(tmp_path_factory.mktemp("hook") / "mlaudit")


def test_try_repo_passes_then_fails_below_the_threshold(hook_repo: Path, tmp_path: Path):
    target = make_repo(tmp_path, {
        "README.md": "# churn\n\nTrain with `python train.py`.\n",
        "train.py": "import pandas as pd\n",
        ".mlaudit.toml": 'profile = "research"\n',
    }, use_git=True, name="project")
    home = tmp_path / "pre-commit-home"

    ok = _try_repo(hook_repo, target, home)
    output = ok.stdout + ok.stderr
    assert ok.returncode == 0, output
    assert "mlaudit (MLOps best practices)" in output and "Passed" in output
    assert "Overall score" in output  # --verbose shows the hook's report
    assert git(target, "status", "--porcelain") == ""  # the hook wrote nothing into the repository

    (target / ".mlaudit.toml").write_text('profile = "research"\nfail-under = 100\n', encoding="utf-8")
    git(target, "commit", "-qam", "demand a perfect score")
    failed = _try_repo(hook_repo, target, home)
    output = failed.stdout + failed.stderr
    assert failed.returncode == 1, output
    assert "Failed" in output and "exit code: 1" in output
    assert "Threshold 100: NOT met" in output
