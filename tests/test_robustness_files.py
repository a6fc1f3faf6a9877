"""Files that are not files, links that lead out, hostile names and shapes of trees.

Every test audits a tree built in tmp_path end to end (all rules), checks that the report
validates, and checks what must (not) have been read.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor.project import Project
from tests.helpers import git, git_init, make_repo
from tests.hostile import (OpenRecorder, audit_json, make_char_device, make_fifo, make_socket,
                           opened_under, problems, tree_state)

SECRET = "TOPSECRET-0c1d2e-outside-content"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory next to the audited repo holding content that must never be read."""
    d = tmp_path / "outside"
    d.mkdir()
    (d / "secret.py").write_text(f"API_TOKEN = '{SECRET}'\nimport sklearn\n")
    (d / "pyproject.toml").write_text(f'[project]\nname = "{SECRET}"\n')
    return d


def _assert_secret_absent(data: dict) -> None:
    import json

    assert SECRET not in json.dumps(data)


# ---------------------------------------------------------------- files that are not files
@pytest.mark.parametrize("use_git", [False, True])
def test_fifo_socket_and_device_are_reported_not_read(tmp_path: Path, use_git: bool):
    root = make_repo(tmp_path, {"README.md": "# r\n", "train.py": "import sklearn\n"}, use_git=use_git)
    make_fifo(root / "requirements.txt")  # a name rules open: reading it would block forever
    make_fifo(root / "pipe.py")
    sock = make_socket(root / "app.sock")
    has_device = make_char_device(root / "zero.py")  # like /dev/zero: reading never ends
    before = tree_state(root)
    data = audit_json(root)
    probs = problems(data)
    if not use_git:  # git does not list special files at all; outside git, each is reported
        assert any("FIFO" in d for d in probs["requirements.txt"])
        assert any("FIFO" in d for d in probs["pipe.py"])
        assert any("socket" in d for d in probs["app.sock"])
        if has_device:
            assert any("device" in d for d in probs["zero.py"])
    assert tree_state(root) == before
    sock.close()


def test_fifo_swapped_in_after_listing_does_not_block(tmp_path: Path):
    root = make_repo(tmp_path, {"setup.cfg": "[metadata]\nname = x\n"})
    project = Project(root, use_git=False)
    assert project.files == ["setup.cfg"]
    (root / "setup.cfg").unlink()
    make_fifo(root / "setup.cfg")
    assert project.read_text("setup.cfg") is None
    assert any(p.path == "setup.cfg" and "regular" in p.detail for p in project.problems)


@pytest.mark.parametrize("use_git", [False, True])
def test_symlinks_out_of_the_tree_are_never_followed(tmp_path: Path, outside: Path, use_git: bool):
    root = make_repo(tmp_path, {"README.md": "# r\n", "src/pkg/__init__.py": ""}, use_git=False)
    os.symlink(outside / "secret.py", root / "src" / "pkg" / "config.py")
    os.symlink(outside / "pyproject.toml", root / "pyproject.toml")
    os.symlink(outside, root / "vendor")  # a directory link
    os.symlink("../../outside/secret.py", root / "rel.py")  # relative, leading out
    os.symlink("/etc/passwd", root / "passwd.txt")
    if use_git:
        git_init(root)
    before = tree_state(root)
    with OpenRecorder.recording() as opened:
        data = audit_json(root)
    assert opened_under(opened, outside) == []
    _assert_secret_absent(data)
    probs = problems(data)
    for link in ("src/pkg/config.py", "pyproject.toml", "vendor", "rel.py", "passwd.txt"):
        assert any("outside" in d for d in probs[link]), (link, probs.get(link))
    assert tree_state(root) == before


def test_symlink_into_dot_git_is_not_followed(tmp_path: Path):
    root = make_repo(tmp_path, {"README.md": "# r\n"}, use_git=True)
    git(root, "remote", "add", "origin", "https://user:hunter2secret@example.com/x.git")
    os.symlink(".git/config", root / "notes.txt")
    data = audit_json(root)
    assert any(".git" in d for d in problems(data)["notes.txt"])
    assert "hunter2secret" not in str(data["results"])


@pytest.mark.parametrize("use_git", [False, True])
def test_symlink_loops_and_broken_links(tmp_path: Path, use_git: bool):
    root = make_repo(tmp_path, {"README.md": "# r\n", "real.py": "x = 1\n"}, use_git=False)
    os.symlink("loop_a", root / "loop_b")
    os.symlink("loop_b", root / "loop_a")
    os.symlink("self.py", root / "self.py")
    os.symlink("missing.py", root / "dangling.py")
    os.symlink("real.py", root / "alias.py")  # an in-tree link is fine and is read
    if use_git:
        git_init(root)
    data = audit_json(root)
    probs = problems(data)
    for link in ("loop_a", "loop_b", "self.py"):
        assert any("loop" in d or "resolved" in d for d in probs[link]), (link, probs.get(link))
    assert any("broken" in d for d in probs["dangling.py"])
    assert "alias.py" not in probs
    project = Project(root, use_git=use_git)
    assert project.read_text("alias.py") == "x = 1\n"


def test_git_index_listing_through_a_symlinked_directory_is_refused(tmp_path: Path, outside: Path):
    """A crafted work tree: the index has `conf/secret.py`, but `conf` is now a link out."""
    root = make_repo(tmp_path, {"README.md": "# r\n", "conf/secret.py": "x = 1\n"}, use_git=True)
    (root / "conf" / "secret.py").unlink()
    (root / "conf").rmdir()
    os.symlink(outside, root / "conf")
    with OpenRecorder.recording() as opened:
        data = audit_json(root)
    assert opened_under(opened, outside) == []
    _assert_secret_absent(data)
    assert any("symlink" in d for d in problems(data)["conf"])
    project = Project(root)
    assert "conf/secret.py" not in project.files


def test_crafted_index_paths_that_leave_the_tree_are_refused(tmp_path: Path):
    """Listing paths are validated even if git hands back `..` or `.git` components."""
    root = make_repo(tmp_path, {"README.md": "# r\n"}, use_git=True)
    project = Project(root)
    for bad in ("../outside/secret.py", "a/../../x", "/etc/passwd", ".git/config", "a//b", "./x"):
        assert project._admit(bad, check_dirs=True) is False
    assert {p.path for p in project.problems} >= {"../outside/secret.py", ".git/config"}


# ---------------------------------------------------------------- hostile names
@pytest.mark.parametrize("use_git", [False, True])
def test_hostile_file_names(tmp_path: Path, use_git: bool):
    files = {
        "README.md": "# r\n",
        "-rf.py": "import os\n",
        "--help.txt": "x\n",
        "line\nbreak.py": "import torch\n",
        "tab\there.yaml": "a: 1\n",
        "naïve_模型.py": "import sklearn\n",
        " leading space.md": "x\n",
        "quote\"and'apos.json": "{}\n",
        "back\\slash.toml": "a = 1\n",
        "star*name?.cfg": "[x]\n",
        "dir with spaces/-n/file.py": "x = 1\n",
    }
    root = make_repo(tmp_path, files, use_git=False)
    raw = os.fsencode(root) + b"/bad\xff\xfename.py"  # not UTF-8
    with open(raw, "wb") as fh:
        fh.write(b"import os\n")
    if use_git:
        git_init(root)
    before = tree_state(root)
    data = audit_json(root)
    probs = problems(data)
    assert any("UTF-8" in d for p, ds in probs.items() for d in ds if p.startswith("bad"))
    project = Project(root, use_git=use_git)
    for name in files:
        assert name in project.files, name
        assert project.read_text(name) == files[name]
    assert tree_state(root) == before


def test_directories_hundreds_of_levels_deep(tmp_path: Path):
    files = {"README.md": "# r\n", "/".join(["d"] * 400) + "/deep.py": "import sklearn\n"}
    root = make_repo(tmp_path, files, use_git=True)
    data = audit_json(root)
    assert data["summary"]["counts"]
    assert Project(root).read_text("/".join(["d"] * 400) + "/deep.py") == "import sklearn\n"
    assert Project(root, use_git=False).files == sorted(files)


def test_paths_longer_than_path_max_are_problems_not_crashes(tmp_path: Path):
    root = make_repo(tmp_path, {"README.md": "# r\n"})
    # build below the 4096-byte PATH_MAX limit with directory descriptors
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(30):
            name = "x" * 200
            os.mkdir(name, dir_fd=fd)
            nfd = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nfd
        wfd = os.open("deep.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(wfd, b"x = 1\n")
        os.close(wfd)
    finally:
        os.close(fd)
    data = audit_json(root)
    assert any("too long" in d.lower() for ds in problems(data).values() for d in ds)


def test_tens_of_thousands_of_files_in_one_folder(tmp_path: Path):
    root = tmp_path / "repo"
    big = root / "data"
    big.mkdir(parents=True)
    (root / "README.md").write_text("# r\n")
    for i in range(20000):
        (big / f"sample_{i:05d}.txt").write_bytes(b"")
    project = Project(root, use_git=False)
    assert len(project.files) == 20001
    data = audit_json(root)
    assert data["summary"]["counts"]


# ---------------------------------------------------------------- hostile .gitignore outside git
def test_hostile_gitignore_patterns_cannot_hang_the_walk(tmp_path: Path):
    name = "a" * 200
    lines = ["*a*a*a*a*a*b", "**/**/**/**/**/**/**/x", "a/**/b/**/c/**/d"] + [f"p{i}" for i in range(3000)]
    root = make_repo(tmp_path, {".gitignore": "\n".join(lines) + "\n", f"{name}/{name}.txt": "x\n",
                                "/".join(["a"] * 300) + "/y.py": "x = 1\n"})
    project = Project(root, use_git=False)
    assert f"{name}/{name}.txt" in project.files
    details = " ".join(p.detail for p in project.problems if p.path == ".gitignore")
    assert "wildcards" in details and "more than 1000 ignore patterns" in details


def test_files_larger_than_one_read_are_read_whole(tmp_path):
    """Reads stop at a short read: a multi-megabyte file still arrives complete."""
    from auditor.project import Project

    body = "".join(f"line {i:07d}\n" for i in range(300_000))   # ~3.6 MB
    root = tmp_path / "r"
    root.mkdir()
    (root / "big.txt").write_text(body)
    (root / "small.txt").write_text("x\n")
    project = Project(root, use_git=False)
    assert project.read_text("big.txt") == body
    assert project.read_text("small.txt") == "x\n"
