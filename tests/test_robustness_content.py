"""Hostile content: binary and mis-encoded text, huge files and lines, parser bombs,
truncated or wrongly shaped notebooks and configs, empty files.

Each case is audited end to end (every rule) and must give a valid report with the bad
file recorded in `problems` where it could not be used, within a bounded time.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.parsing import ParseError, load_json, load_toml, load_yaml, load_yaml_all
from auditor.project import Project
from tests.helpers import make_repo
from tests.hostile import audit_json, problems, tree_state

BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(9))


# ---------------------------------------------------------------- parsers directly
@pytest.mark.parametrize("text, reason", [
    (BILLION_LAUGHS, "alias bomb"),
    ("a: &x [1, *x]\n", "recursive alias"),
    ("- " * 50000 + "x\n", "nested too deeply"),      # crashes libyaml's C composer unguarded
    ("[" * 50000 + "]" * 50000, "nested too deeply"),
    ("".join(" " * i + "k:\n" for i in range(3000)), "nested too deeply"),
    ("a: [1, 2\n", "invalid YAML"),
    ("!!python/object/apply:os.system ['touch /tmp/x']\n", "invalid YAML"),
], ids=["billion-laughs", "recursive", "deep-dashes", "deep-flow", "deep-indent", "truncated", "python-tag"])
def test_yaml_bombs_and_bad_yaml_are_parse_errors(text: str, reason: str):
    with pytest.raises(ParseError, match=reason):
        load_yaml_all(text)


def test_yaml_with_ordinary_anchors_still_loads():
    text = "base: &b {image: python, script: [pytest]}\njob1: *b\njob2:\n  <<: *b\n  stage: test\n"
    data = load_yaml(text)
    assert data["job1"]["script"] == ["pytest"] and data["job2"]["stage"] == "test"


def test_deep_json_and_toml_are_parse_errors():
    with pytest.raises(ParseError, match="nested too deeply"):
        load_json("[" * 200000 + "]" * 200000)
    with pytest.raises(ParseError):
        load_toml("a = " + "[" * 5000 + "]" * 5000)
    with pytest.raises(ParseError):
        load_json('{"a": 1')
    with pytest.raises(ParseError):
        load_json("9" * 100000)  # more digits than Python converts


# ---------------------------------------------------------------- end to end
def test_binary_and_misencoded_files_with_source_names(tmp_path: Path):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    root = make_repo(tmp_path, {
        "README.md": "# r\n",
        "train.py": png,                                    # binary with a source extension
        "pyproject.toml": b"\x00\x01\x02[project]\n",       # binary config
        "requirements.txt": "numpy==1.0\ncaf\xe9\n".encode("latin-1"),  # not UTF-8
        "setup.cfg": "[metadata]\nname = x\n".encode("utf-16"),          # UTF-16 with a BOM
        "notes.md": b"\xff\xfe\xfd broken \xc3\x28 utf8",
        "dvc.yaml": b"stages:\n  train:\n    cmd: python \xff\xfe.py\n",
    }, use_git=True)
    before = tree_state(root)
    data = audit_json(root)
    probs = problems(data)
    assert any("binary" in d for d in probs["train.py"])
    assert any("binary" in d for d in probs["pyproject.toml"])
    project = Project(root)
    assert project.read_text("setup.cfg").startswith("[metadata]")
    assert "numpy==1.0" in project.read_text("requirements.txt")
    assert tree_state(root) == before


def test_files_too_large_to_read_and_multi_megabyte_lines(tmp_path: Path):
    root = make_repo(tmp_path, {"README.md": "# r\n"}, use_git=True)
    (root / "huge.py").write_bytes(b"x = 1\n" * (9 * 1024 * 1024 // 6))        # over the read cap
    (root / "oneline.py").write_text("x = '" + "a" * (6 * 1024 * 1024) + "'\n")  # one 6 MB line
    (root / "wide.yaml").write_text("k: " + "v" * (3 * 1024 * 1024) + "\n")
    (root / "params.json").write_text("[" + ",".join(["1"] * 1_000_000) + "]")
    data = audit_json(root)
    probs = problems(data)
    assert any("too large" in d for d in probs["huge.py"])


def test_parser_bombs_in_files_rules_read(tmp_path: Path):
    nb_deep = '{"cells": ' + "[" * 100000 + "]" * 100000 + "}"
    root = make_repo(tmp_path, {
        "README.md": "# r\n",
        ".github/workflows/ci.yml": BILLION_LAUGHS,
        ".gitlab-ci.yml": "a: &x [1, *x]\n",
        "dvc.yaml": "- " * 40000 + "x\n",
        "environment.yml": "".join(" " * i + "k:\n" for i in range(2000)),
        "params.json": "[" * 300000 + "]" * 300000,
        "deep.py": "x = " + "-" * 100000 + "1\n",
        "chain.py": "y = a" + ".b" * 50000 + "\n",
        "sum.py": "z = 1" + " + 1" * 100000 + "\n",
        "parens.py": "w = " + "(" * 5000 + ")" * 5000 + "\n",
        "analysis.ipynb": nb_deep,
        "pyproject.toml": "[project]\ndeps = " + "[" * 3000 + "]" * 3000 + "\n",
        "k8s/deploy.yaml": BILLION_LAUGHS,
    }, use_git=True)
    before = tree_state(root)
    data = audit_json(root)
    probs = problems(data)
    for path in (".github/workflows/ci.yml", ".gitlab-ci.yml", "pyproject.toml", "analysis.ipynb",
                 "chain.py", "deep.py"):
        assert path in probs, (path, sorted(probs))
    assert tree_state(root) == before


@pytest.mark.parametrize("notebook", [
    '{"cells": [{"cell_type": "code", "source": "import torch", "outputs": [',   # truncated
    '[]',                                                                        # wrong top level
    '{"cells": "not a list"}',
    '{"cells": [42, null, "x", {"cell_type": 7, "source": {"a": 1}}], "nbformat": "four"}',
    '{"cells": [{"cell_type": "code", "source": ["import os\\n", 3, null], "outputs": 5}]}',
    '{"metadata": {"kernelspec": []}, "cells": [{"cell_type": "code"}]}',
    '',
    'null',
], ids=["truncated", "list", "cells-str", "bad-cells", "bad-source", "no-source", "empty", "null"])
def test_truncated_or_wrongly_shaped_notebooks(tmp_path: Path, notebook: str):
    root = make_repo(tmp_path, {"README.md": "# r\n", "analysis.ipynb": notebook,
                                "train.py": "import sklearn\n"}, use_git=True)
    data = audit_json(root)
    assert not [r for r in data["results"] if r["status"] == "error"], \
        [(r["id"], r["message"]) for r in data["results"] if r["status"] == "error"]


@pytest.mark.parametrize("name, content", [
    ("pyproject.toml", "[project]\nname = 5\ndependencies = {a = 1}\n[tool]\npytest = 'x'\n"),
    ("pyproject.toml", "[project\n"),
    ("pyproject.toml", "project = [1, 2]\n[tool.ruff]\nselect = 7\n"),
    (".pre-commit-config.yaml", "repos: 5\n"),
    (".pre-commit-config.yaml", "- just\n- a list\n"),
    (".github/workflows/ci.yml", "on: push\njobs: [1, 2]\n"),
    (".github/workflows/ci.yml", "jobs:\n  test:\n    steps: {run: pytest}\n"),
    (".gitlab-ci.yml", "test: 5\nstages: {a: 1}\n"),
    ("dvc.yaml", "stages: [1, 2]\n"),
    ("environment.yml", "dependencies: 'numpy'\n"),
    ("requirements.txt", "-r requirements.txt\n-r ../../../etc/passwd\n--index-url\n===\n"),
    ("Pipfile.lock", "[1, 2, 3]"),
    ("docker-compose.yml", "services: [web]\n"),
    ("setup.py", "from setuptools import setup\nsetup(install_requires=[" + "[" * 300 + "]" * 300 + "])\n"),
    ("Dockerfile", "\x00" * 100),
    ("Makefile", "test:\n\t" + "x" * 100000 + "\n"),
])
def test_wrongly_shaped_configs_do_not_break_rules(tmp_path: Path, name: str, content: str):
    root = make_repo(tmp_path, {"README.md": "# r\n", name: content, "src/m.py": "import pandas\n"},
                     use_git=True)
    data = audit_json(root)
    assert not [r for r in data["results"] if r["status"] == "error"], \
        [(r["id"], r["message"]) for r in data["results"] if r["status"] == "error"]


def test_empty_files_everywhere(tmp_path: Path):
    names = ["README.md", "pyproject.toml", "setup.cfg", "requirements.txt", "dvc.yaml", "Dockerfile",
             ".github/workflows/ci.yml", ".gitlab-ci.yml", ".pre-commit-config.yaml", "analysis.ipynb",
             "train.py", "params.json", "environment.yml", ".gitignore", ".gitattributes", "Makefile",
             "MLproject", "tests/test_x.py", "mlaudit.toml"]
    root = make_repo(tmp_path, {n: "" for n in names}, use_git=True)
    data = audit_json(root, no_config=False)
    assert not [r for r in data["results"] if r["status"] == "error"]
    assert json.dumps(data)


# Names the rules and extractors read, filled with text built to make backtracking regular
# expressions (in built-in rules and extractors as much as in user rules) take quadratic or
# exponential time. Found and fixed this way: `^\s*Type:` and `^\s*-?\s*(alert|record):`
# (quadratic over blank lines) and a Kubernetes `metadata:` pattern (exponential).
READ_BY_RULES = [
    "README.md", "pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "environment.yml",
    "dvc.yaml", "Dockerfile", "docker-compose.yml", ".github/workflows/ci.yml", ".gitlab-ci.yml",
    ".pre-commit-config.yaml", "Makefile", "MLproject", "k8s/deploy.yaml", "train.py",
    "tests/test_a.py", "notebook.ipynb", "params.yaml", ".gitignore", "Jenkinsfile", "main.tf",
    "monitoring/prometheus.yml", "serve.py", "tox.ini", "Pipfile", "docs/model_card.md",
    ".dvc/config", "azure-pipelines.yml", ".circleci/config.yml", "template.yaml",
]
ADVERSARIAL = {
    "blank-lines": "\n" * 20000,
    "indented-blank-lines": "".join(" " * (i % 300) + "\n" for i in range(2000)),
    "one-long-run": " " * 20000 + "x\n",
    "k8s-metadata": "metadata:\n" + "    x: y\n" * 2000 + "kind: Deployment\napiVersion: apps/v1\n",
    "cfn-like": "Resources:\n" + "  \n" * 5000 + "  Type: AWS::S3::Bucket\n",
    "open-brackets": "{" * 3000 + "x",
    "repeated-tokens": "- " * 10000,
}


@pytest.mark.parametrize("kind", sorted(ADVERSARIAL))
def test_backtracking_bait_in_every_file_rules_read(tmp_path: Path, kind: str):
    """Terminates within roughly files x budget even where a built-in pattern is slow on the
    bait (several `^\\s*...` rule patterns are quadratic over blank lines): the per-file
    budget cuts them off and says so."""
    root = make_repo(tmp_path, {n: ADVERSARIAL[kind] for n in READ_BY_RULES}, use_git=True)
    data = audit_json(root, file_budget_ms=300)
    for path, details in problems(data).items():
        for d in details:
            assert "abandoned" not in d or "300 ms" in d
