"""Property-based: random trees of files, links, FIFOs and contents, with and without git.

For every generated tree: no exception escapes the audit, the JSON report validates against
schemas/report.schema.json, the tree is byte-for-byte and timestamp-for-timestamp unchanged
(.git included), every listed file that could not be read is in `problems`, and content
outside the tree never reaches the report. Bounded for CI: a few seconds per property.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.helpers import git_init
from tests.hostile import OpenRecorder, audit_json, opened_under, problems, tree_state

SECRET = "OUTSIDE-SECRET-9a7c"

NAMES = ["pyproject.toml", "requirements.txt", "setup.py", "setup.cfg", "train.py", "model.py",
         "dvc.yaml", "params.yaml", "environment.yml", "Dockerfile", "Makefile", "README.md",
         "analysis.ipynb", "ci.yml", "config.json", ".pre-commit-config.yaml", "data.csv",
         "-dash.py", "new\nline.py", "naïve.py", "sp ace.txt", "x", ".mlaudit.toml", "MLproject",
         "Pipfile.lock", "mlaudit.toml", ".gitattributes", "test_model.py"]
DIRS = ["src", "tests", ".github/workflows", "notebooks", "-d", "deep/a/b/c/d", "data", "k8s", "é"]

HOSTILE = [
    "",
    "\x00\x01binary\x00",
    'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8)),
    "a: &x [1, *x]\n",
    "- " * 3000 + "x\n",
    "[" * 5000,
    '{"cells": [{"cell_type": "code", "source": ',
    '{"cells": [null, 3, {"cell_type": "code", "source": 5, "outputs": "x"}]}',
    "[project]\ndependencies = 5\n[tool.mlaudit]\nprofile = 7\n",
    "x = " + "(" * 300 + ")" * 300 + "\n",
    "y = 1" + " + 1" * 3000 + "\n",
    "import torch\nmodel.fit(X, y)\n",
    "jobs:\n  t:\n    steps: [{run: pytest}]\n",
    "\n" * 3000,
    "metadata:\n" + "    x\n" * 200,
    "\ufeff\u2028\u0085 odd separators",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)
contents = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=200),
    st.binary(max_size=200),
    json_values.map(json.dumps),
    st.fixed_dictionaries({"cells": st.lists(json_values, max_size=3)}).map(json.dumps),
)
paths = st.builds(lambda d, n: f"{d}/{n}" if d else n, st.sampled_from([""] + DIRS), st.sampled_from(NAMES))
entries = st.lists(
    st.tuples(
        st.sampled_from(["file", "file", "file", "link-in", "link-out", "link-loop", "link-dangling",
                         "link-dir-out", "fifo"]),
        paths,
        contents,
    ),
    min_size=1, max_size=10, unique_by=lambda e: e[1],
)


# files git itself reads while the fixture commits (`git add -A`): as FIFOs they would hang
# that plain git, not the audit (tests/test_security_git.py covers FIFOs in git's way)
GIT_READS = {".gitattributes", ".gitignore", ".gitmodules", ".mailmap"}


def _build(root: Path, outside: Path, spec, *, use_git: bool = False) -> dict[str, str]:
    """Create the tree; returns path -> what must be reported ("" for nothing)."""
    expect: dict[str, str] = {}
    files = [p for kind, p, _ in spec if kind == "file"]
    for kind, rel, content in spec:
        full = root / rel
        if any(rel.startswith(other + "/") for _, other, _ in spec if other != rel):
            continue  # a path that is also used as a directory prefix
        full.parent.mkdir(parents=True, exist_ok=True)
        if full.exists() or full.is_symlink():
            continue
        if kind == "file":
            full.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
        elif kind == "link-in" and files:
            target = root / files[0]
            os.symlink(os.path.relpath(target, full.parent), full)
        elif kind == "link-out":
            os.symlink(outside / "secret.py", full)
            expect[rel] = "outside"
        elif kind == "link-dir-out":
            os.symlink(outside, full)
            expect[rel] = "outside"
        elif kind == "link-loop":
            os.symlink(full.name, full)
            expect[rel] = "loop"
        elif kind == "link-dangling":
            os.symlink("does-not-exist", full)
            expect[rel] = "broken"
        elif kind == "fifo" and not (use_git and full.name in GIT_READS):
            os.mkfifo(full)
            expect[rel] = "FIFO"
    return expect


def _check_tree(spec, use_git: bool) -> None:
    base = Path(tempfile.mkdtemp(prefix="mlaudit-prop-"))
    try:
        outside = base / "outside"
        outside.mkdir()
        (outside / "secret.py").write_text(f"TOKEN = '{SECRET}'\nimport torch\n")
        root = base / "repo"
        root.mkdir()
        expect = _build(root, outside, spec, use_git=use_git)
        if use_git:
            git_init(root)
            expect = {p: why for p, why in expect.items() if why != "FIFO"}  # git does not list FIFOs
        before = tree_state(root)
        with OpenRecorder.recording() as opened:
            data = audit_json(root)  # raises on any escaped exception or schema violation
        assert tree_state(root) == before, "the audit changed the tree"
        assert opened_under(opened, outside) == [], "the audit opened a file outside the tree"
        assert SECRET not in json.dumps(data)
        probs = problems(data)
        for rel, why in expect.items():
            assert any(why in d for d in probs.get(rel, [])), (rel, why, probs.get(rel))
    finally:
        shutil.rmtree(base, ignore_errors=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=entries)
def test_random_trees_outside_git(spec):
    _check_tree(spec, use_git=False)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=entries)
@example(spec=[("fifo", ".gitattributes", ""), ("file", "train.py", "import torch\n")])  # hung the fixture once
def test_random_trees_in_git(spec):
    _check_tree(spec, use_git=True)
