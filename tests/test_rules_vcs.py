"""VCS rules end to end: each rule passes, fails (and is n/a) on small repositories."""

from __future__ import annotations

import json

from tests.helpers import audit, make_repo, status

KIB = 1024
MIB = 1024 * 1024
GH = "ghp_" + "aB3dE6fG9hI2jK5lM8nO1pQ4rS7tU0vW3xY6"


def notebook(outputs: bool, metadata: dict | None = None) -> str:
    cell = {"cell_type": "code", "execution_count": 1 if outputs else None, "metadata": {},
            "source": ["import pandas as pd\n", "df = pd.read_csv('data.csv')\n", "df.head()"],
            "outputs": [{"output_type": "execute_result", "execution_count": 1, "metadata": {},
                         "data": {"text/plain": ["   a  b\n0  1  2"]}}] if outputs else []}
    return json.dumps({"cells": [cell], "metadata": metadata or {}, "nbformat": 4, "nbformat_minor": 5})


def result(path, rule_id, **kwargs):
    return audit(path, select=[rule_id], **kwargs)[rule_id]


# ----------------------------------------------------------------------------- VCS001
def test_vcs001_passes_inside_git(tmp_path):
    repo = make_repo(tmp_path, {"train.py": "print(1)\n"}, use_git=True)
    r = result(repo, "VCS001")
    assert r.status == "pass" and r.evidence[0].path == ".git"


def test_vcs001_passes_in_a_subfolder_of_a_work_tree(tmp_path):
    repo = make_repo(tmp_path, {"proj/train.py": "print(1)\n"}, use_git=True)
    r = result(repo / "proj", "VCS001")
    assert r.status == "pass" and r.evidence[0].path == "../.git"


def test_vcs001_fails_outside_git(tmp_path):
    repo = make_repo(tmp_path, {"train.py": "print(1)\n"})
    assert status(repo, "VCS001") == "fail"


# ----------------------------------------------------------------------------- VCS002
def test_vcs002_passes_on_ml_locations_and_types(tmp_path):
    repo = make_repo(tmp_path, {".gitignore": "__pycache__/\n/data/\n*.pt\n", "a.py": ""})
    r = result(repo, "VCS002")
    assert r.status == "pass"
    assert [(e.path, e.line) for e in r.evidence] == [(".gitignore", 2), (".gitignore", 3)]


def test_vcs002_accepts_nested_dvc_gitignore(tmp_path):
    repo = make_repo(tmp_path, {".gitignore": "__pycache__/\n", "data/.gitignore": "/raw.csv\n",
                                "data/raw.csv.dvc": "outs:\n- path: raw.csv\n"})
    r = result(repo, "VCS002")
    assert r.status == "pass" and r.evidence[0].path == "data/.gitignore"


def test_vcs002_fails_without_ml_entries(tmp_path):
    # the standard Python template: checkpoints of Jupyter are not ML checkpoints, and a
    # negated entry ignores nothing
    repo = make_repo(tmp_path, {".gitignore": "__pycache__/\n*.py[cod]\n.ipynb_checkpoints\n"
                                              "!data/.gitkeep\n.env\nbuild/\n", "a.py": ""})
    assert status(repo, "VCS002") == "fail"


def test_vcs002_fails_without_gitignore(tmp_path):
    repo = make_repo(tmp_path, {"a.py": ""})
    r = result(repo, "VCS002")
    assert r.status == "fail" and "No .gitignore" in r.message


# ----------------------------------------------------------------------------- VCS003
def test_vcs003_fails_on_a_large_committed_file(tmp_path):
    repo = make_repo(tmp_path, {"data/big.bin": b"\x01" * (2 * MIB), "a.py": ""}, use_git=True)
    r = result(repo, "VCS003", max_file_mb=1)
    assert r.status == "fail" and r.evidence[0].path == "data/big.bin" and "2.0 MiB" in r.evidence[0].detail


def test_vcs003_default_limit_is_ten_mib_outside_git(tmp_path):
    repo = make_repo(tmp_path, {"big.csv": b"1" * (11 * MIB), "small.csv": b"1" * (9 * MIB)})
    r = result(repo, "VCS003")
    assert r.status == "fail" and [e.path for e in r.evidence] == ["big.csv"]


def test_vcs003_passes_when_files_are_small_or_ignored(tmp_path):
    repo = make_repo(tmp_path, {".gitignore": "data/\n", "data/big.bin": b"\x01" * (2 * MIB),
                                "a.py": "x = 1\n"}, use_git=True)
    assert status(repo, "VCS003", max_file_mb=1) == "pass"


def test_vcs003_passes_for_files_stored_with_lfs(tmp_path):
    repo = make_repo(tmp_path, {
        ".gitattributes": "*.parquet filter=lfs diff=lfs merge=lfs -text\n",
        "assets/.gitattributes": "weights/** filter=lfs diff=lfs merge=lfs -text\n",
        "data/train.parquet": b"PAR1" + b"\x00" * (2 * MIB),
        "assets/weights/model.bin": b"\x00" * (2 * MIB),
    }, use_git=True)
    r = result(repo, "VCS003", max_file_mb=1)
    assert r.status == "pass" and "Git LFS" in r.message


def test_vcs003_lfs_pattern_of_a_nested_gitattributes_stays_below_it(tmp_path):
    repo = make_repo(tmp_path, {"assets/.gitattributes": "*.bin filter=lfs\n",
                                "other/model.bin": b"\x00" * (2 * MIB)}, use_git=True)
    assert status(repo, "VCS003", max_file_mb=1) == "fail"


# ----------------------------------------------------------------------------- VCS004
def test_vcs004_fails_on_committed_model_and_data(tmp_path):
    repo = make_repo(tmp_path, {
        "models/model.pkl": b"\x80\x04" + b"\x00" * (200 * KIB),
        "data/train.csv": "a,b\n" * (300 * KIB),          # 1.2 MiB
        "artifacts/clf.dat": b"\x80\x04\x95" + b"\x00" * (150 * KIB),   # a pickle under another name
        "src/a.py": "x = 1\n",
    }, use_git=True)
    r = result(repo, "VCS004")
    assert r.status == "fail"
    by_path = {e.path: e.detail for e in r.evidence}
    assert set(by_path) == {"models/model.pkl", "data/train.csv", "artifacts/clf.dat"}
    assert "pickle content" in by_path["artifacts/clf.dat"]


def test_vcs004_passes_on_small_files_fixtures_lfs_and_dvc(tmp_path):
    repo = make_repo(tmp_path, {
        "models/tiny.pkl": b"\x80\x04" + b"\x00" * (50 * KIB),             # under 100 KiB
        "tests/fixtures/model.pt": b"\x00" * (300 * KIB),                  # a test fixture
        "data/sample.csv": "a,b\n" * (100 * KIB),                          # under 1 MiB
        ".gitattributes": "*.onnx filter=lfs diff=lfs merge=lfs -text\n",
        "serving/model.onnx": b"\x08\x07" + b"\x00" * (300 * KIB),         # through LFS
        "data/raw.dvc": "outs:\n- path: raw\n",
        "data/raw/events.parquet": b"PAR1" + b"\x00" * (300 * KIB),        # tracked by DVC
        "docs/figure.png": b"\x89PNG" + b"\x00" * (300 * KIB),            # not an artifact
    })
    r = result(repo, "VCS004")
    assert r.status == "pass", r.evidence


# ----------------------------------------------------------------------------- VCS005
def test_vcs005_fails_with_redacted_evidence(tmp_path):
    repo = make_repo(tmp_path, {"src/hub.py": f'import os\nTOKEN = "{GH}"\n', "README.md": "# x\n"},
                     use_git=True)
    r = result(repo, "VCS005")
    assert r.status == "fail"
    assert [(e.path, e.line) for e in r.evidence] == [("src/hub.py", 2)]
    assert GH[4:12] not in r.message and all(GH[4:12] not in e.detail for e in r.evidence)


def test_vcs005_passes_on_a_clean_repository(tmp_path):
    repo = make_repo(tmp_path, {"src/hub.py": 'import os\nTOKEN = os.environ["HF_TOKEN"]\n',
                                ".env.example": "HF_TOKEN=<your token>\n"}, use_git=True)
    r = result(repo, "VCS005")
    assert r.status == "pass" and "2 text files scanned" in r.evidence[0].detail


def test_vcs005_ignores_untracked_files(tmp_path):
    repo = make_repo(tmp_path, {"src/a.py": "x = 1\n"}, use_git=True)
    (repo / ".env").write_text(f"HF_TOKEN={GH}\n")   # present, not committed
    assert status(repo, "VCS005") == "pass"


# ----------------------------------------------------------------------------- VCS006
def test_vcs006_na_without_notebooks(tmp_path):
    repo = make_repo(tmp_path, {"a.py": "x = 1\n"}, use_git=True)
    assert status(repo, "VCS006") == "n/a"


def test_vcs006_fails_on_committed_outputs(tmp_path):
    repo = make_repo(tmp_path, {"nb/eda.ipynb": notebook(True), "nb/clean.ipynb": notebook(False)},
                     use_git=True)
    r = result(repo, "VCS006")
    assert r.status == "fail" and [e.path for e in r.evidence] == ["nb/eda.ipynb"]
    assert "1 of 1 code cells have outputs" in r.evidence[0].detail


def test_vcs006_passes_when_notebooks_are_clean(tmp_path):
    repo = make_repo(tmp_path, {"nb/clean.ipynb": notebook(False)}, use_git=True)
    assert status(repo, "VCS006") == "pass"


def test_vcs006_passes_with_nbstripout_in_pre_commit(tmp_path):
    repo = make_repo(tmp_path, {
        "nb/eda.ipynb": notebook(True),
        ".pre-commit-config.yaml": "repos:\n  - repo: https://github.com/kynan/nbstripout\n    rev: 0.7.1\n"
                                   "    hooks:\n      - id: nbstripout\n",
    }, use_git=True)
    r = result(repo, "VCS006")
    assert r.status == "pass" and r.evidence[0].path == ".pre-commit-config.yaml"


def test_vcs006_passes_with_gitattributes_filter(tmp_path):
    repo = make_repo(tmp_path, {"nb/eda.ipynb": notebook(True),
                                ".gitattributes": "*.ipynb filter=nbstripout\n*.ipynb diff=ipynb\n"})
    r = result(repo, "VCS006")
    assert r.status == "pass" and (r.evidence[0].path, r.evidence[0].line) == (".gitattributes", 1)


def test_vcs006_lfs_filter_is_not_stripping(tmp_path):
    repo = make_repo(tmp_path, {"nb/eda.ipynb": notebook(True), ".gitattributes": "*.ipynb filter=lfs\n"})
    assert status(repo, "VCS006") == "fail"


def test_vcs006_passes_with_jupytext_pairing(tmp_path):
    repo = make_repo(tmp_path, {"nb/eda.ipynb": notebook(True), "jupytext.toml": 'formats = "ipynb,py:percent"\n'})
    assert status(repo, "VCS006") == "pass"
    paired = make_repo(tmp_path, {"nb/eda.ipynb": notebook(True, {"jupytext": {"formats": "ipynb,py:percent"}})},
                       name="paired")
    assert status(paired, "VCS006") == "pass"


def test_vcs006_reads_notebook_headers_only(tmp_path):
    """Cell and output counts come with every notebook's header: no code is parsed (issue #6)."""
    from auditor.checks.vcs import notebook_outputs_stripped
    from auditor.predicates import Context
    from auditor.project import Project

    repo = make_repo(tmp_path, {"nb/eda.ipynb": notebook(True), "nb/clean.ipynb": notebook(False),
                                "train.py": "import pandas as pd\n"}, use_git=True)
    project = Project(repo)
    out = notebook_outputs_stripped(Context(project))
    assert not out.ok and [e.path for e in out.evidence] == ["nb/eda.ipynb"]
    assert not any(m.loaded for m in project.fact("python").modules.values())
