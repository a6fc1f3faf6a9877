"""CODE rules end to end: each rule passes, fails and (where it has a condition) is n/a."""

from __future__ import annotations

import json

import pytest

from tests.helpers import audit, make_repo, status

ML_MODULE = """import pandas as pd
from sklearn.linear_model import LogisticRegression


def train(frame: pd.DataFrame):
    return LogisticRegression().fit(frame[["x"]], frame["y"])
"""
UTIL_MODULE = "def slugify(text):\n    return text.lower().replace(' ', '-')\n"
PYPROJECT = '[project]\nname = "demo"\nversion = "0.1.0"\ndependencies = ["pandas>=2", "scikit-learn>=1.4"]\n'


def notebook(*cells: str) -> str:
    return json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                   "source": src} for src in cells],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    })


def rule(tmp_path, files, rule_id):
    return status(make_repo(tmp_path, files), rule_id)


def result(tmp_path, files, rule_id):
    return audit(make_repo(tmp_path, files), select=[rule_id])[rule_id]


def explained(res) -> str:
    """Everything a result tells the user: its message and its evidence."""
    return " | ".join([res.message, *(f"{e.path}:{e.line} {e.detail}" for e in res.evidence)])


# ------------------------------------------------------------------ CODE001 tests-present
@pytest.mark.parametrize("files", [
    {"tests/test_slug.py": "from pkg.util import slugify\n\n"
                           "def test_slug():\n    assert slugify('A b') == 'a-b'\n"},
    {"pkg/util_test.py": "def test_it():\n    assert True\n"},
    {"tests/check_api.py": "import unittest\n\nclass ApiCase(unittest.TestCase):\n"
                           "    def runTest(self):\n        self.assertTrue(True)\n"},
    {"tests/test_cls.py": "class TestSlug:\n    def test_lower(self):\n        assert 'a' == 'a'\n"},
])
def test_code001_passes_with_test_functions_or_cases(tmp_path, files):
    assert rule(tmp_path, files, "CODE001") == "pass"


def test_code001_evidence_names_the_test_file(tmp_path):
    res = result(tmp_path, {"tests/test_a.py": "\n\ndef test_a():\n    pass\n\ndef test_b():\n    pass\n"},
                 "CODE001")
    assert res.status == "pass"
    first = res.evidence[0]
    assert (first.path, first.line, first.detail) == ("tests/test_a.py", 3, "2 tests")


@pytest.mark.parametrize("files", [
    {"pkg/util.py": UTIL_MODULE, "README.md": "# demo\n"},
    {"tests/conftest.py": "import pytest\n\n@pytest.fixture\ndef frame():\n    return 1\n",
     "tests/test_helpers.py": "def make_frame():\n    return 1\n", "tests/__init__.py": ""},
    {"test_notes.txt": "def test_x(): pass\n"},
])
def test_code001_fails_without_test_functions(tmp_path, files):
    assert rule(tmp_path, files, "CODE001") == "fail"


def test_code001_names_test_files_without_tests(tmp_path):
    res = result(tmp_path, {"tests/test_helpers.py": "def make_frame():\n    return 1\n"}, "CODE001")
    assert res.status == "fail"
    assert "tests/test_helpers.py" in res.message and "no test function" in res.message


# ------------------------------------------------------------------ CODE002 ml-code-tested
def test_code002_passes_when_a_test_imports_first_party_ml_code(tmp_path):
    res = result(tmp_path, {
        "src/churn/__init__.py": "", "src/churn/model.py": ML_MODULE,
        "tests/test_model.py": "from churn.model import train\n\n"
                               "def test_train(frame):\n    assert train(frame)\n",
    }, "CODE002")
    assert res.status == "pass"
    assert res.evidence[0].path == "tests/test_model.py"
    assert "src/churn/model.py" in res.evidence[0].detail


def test_code002_passes_when_a_test_trains_a_model_itself(tmp_path):
    assert rule(tmp_path, {
        "notebooks/explore.ipynb": notebook("import pandas as pd\ndf = pd.read_csv('d.csv')"),
        "tests/test_baseline.py": "from sklearn.dummy import DummyClassifier\n\ndef test_fit():\n"
                                  "    m = DummyClassifier().fit([[0], [1]], [0, 1])\n    assert m\n",
    }, "CODE002") == "pass"


def test_code002_fails_when_tests_only_cover_utilities(tmp_path):
    res = result(tmp_path, {
        "pkg/__init__.py": "", "pkg/model.py": ML_MODULE, "pkg/util.py": UTIL_MODULE,
        "tests/test_util.py": "from pkg.util import slugify\n\n"
                              "def test_slug():\n    assert slugify('A') == 'a'\n",
    }, "CODE002")
    assert res.status == "fail"
    assert "tests/test_util.py" in explained(res)


def test_code002_fails_without_tests(tmp_path):
    assert rule(tmp_path, {"pkg/__init__.py": "", "pkg/model.py": ML_MODULE}, "CODE002") == "fail"


def test_code002_is_na_without_ml_code(tmp_path):
    assert rule(tmp_path, {"pkg/util.py": UTIL_MODULE,
                           "tests/test_util.py": "def test_x():\n    assert True\n"}, "CODE002") == "n/a"


# ------------------------------------------------------------------ CODE003 model-quality-tests
ML_TREE = {"pkg/__init__.py": "", "pkg/model.py": ML_MODULE}


@pytest.mark.parametrize("test_source", [
    # a metric threshold on a value computed from predictions
    ("from sklearn.metrics import roc_auc_score\nfrom pkg.model import train\n\ndef test_auc(frame):\n"
     "    model = train(frame)\n    proba = model.predict_proba(frame[['x']])[:, 1]\n"
     "    value = roc_auc_score(frame['y'], proba)\n    assert value > 0.7\n"),
    # expected outputs, unittest style, prediction call on the assertion line
    ("import numpy as np\nfrom pkg.model import train\n\ndef test_expected(frame, expected):\n"
     "    model = train(frame)\n    np.testing.assert_allclose(model.predict(frame[['x']]), expected)\n"),
    # pytest.approx on a score
    ("import pytest\nfrom pkg.model import train\n\ndef test_score(frame):\n"
     "    assert train(frame).score(frame[['x']], frame['y']) == pytest.approx(0.9, abs=0.05)\n"),
    # an invariance test
    ("from pkg.model import train\n\ndef test_invariance(frame, frame_renamed):\n    model = train(frame)\n"
     "    a = model.predict(frame[['x']])\n    b = model.predict(frame_renamed[['x']])\n"
     "    assert (a == b).all()\n"),
    # a deepchecks suite
    ("from deepchecks.tabular.suites import model_evaluation\nfrom pkg.model import train\n\n"
     "def test_suite(train_ds, test_ds, frame):\n"
     "    result = model_evaluation().run(train_ds, test_ds, train(frame))\n"
     "    assert result.passed()\n"),
])
def test_code003_passes_on_prediction_or_metric_assertions(tmp_path, test_source):
    assert rule(tmp_path, {**ML_TREE, "tests/test_quality.py": test_source}, "CODE003") == "pass"


def test_code003_evidence_points_at_the_assertion(tmp_path):
    res = result(tmp_path, {**ML_TREE, "tests/test_quality.py":
                            "from pkg.model import train\n\ndef test_acc(frame):\n    model = train(frame)\n"
                            "    accuracy = (model.predict(frame[['x']]) == frame['y']).mean()\n"
                            "    assert accuracy >= 0.8\n"}, "CODE003")
    assert res.status == "pass"
    assert (res.evidence[0].path, res.evidence[0].line) == ("tests/test_quality.py", 6)


@pytest.mark.parametrize("files", [
    # tests exercise ML code but assert only on structure
    {**ML_TREE, "tests/test_model.py": "from pkg.model import train\n\ndef test_train_runs(frame):\n"
                                       "    model = train(frame)\n    assert model is not None\n"
                                       "    assert hasattr(model, 'coef_')\n"},
    # metric-looking assertions in a test that touches no ML code do not count
    {**ML_TREE, "pkg/report.py": "def score_label(x):\n    return str(x)\n",
     "tests/test_report.py": "from pkg.report import score_label\n\ndef test_label():\n"
                             "    score = score_label(3)\n    assert score == '3'\n"},
    # no tests at all
    ML_TREE,
])
def test_code003_fails_without_quality_assertions(tmp_path, files):
    assert rule(tmp_path, files, "CODE003") == "fail"


def test_code003_mock_assertions_are_not_quality_checks(tmp_path):
    assert rule(tmp_path, {**ML_TREE, "tests/test_model.py":
                           "from unittest import mock\nfrom pkg.model import train\n\n"
                           "def test_calls(frame):\n"
                           "    model, sink = mock.Mock(), mock.Mock()\n    preds = model.predict([1])\n"
                           "    sink(preds)\n    sink.assert_called_once_with(preds)\n    train(frame)\n"},
                "CODE003") == "fail"


def test_code003_is_na_without_ml_code(tmp_path):
    assert rule(tmp_path, {"tests/test_x.py": "def test_x():\n    score = 1\n    assert score == 1\n"},
                "CODE003") == "n/a"


# ------------------------------------------------------------------ CODE004 static-analysis-configured
@pytest.mark.parametrize("files", [
    {"ruff.toml": "line-length = 100\n"},
    {"services/api/.flake8": "[flake8]\nmax-line-length = 100\n"},
    {"pyproject.toml": '[tool.black]\nline-length = 100\n'},
    {"pyproject.toml": '[tool.mypy]\nstrict = true\n'},
    {"setup.cfg": "[metadata]\nname = x\n\n[flake8]\nmax-line-length = 100\n"},
    {"tox.ini": "[tox]\nenvlist = py311\n\n[isort]\nprofile = black\n"},
    {".pre-commit-config.yaml": "repos:\n  - repo: https://github.com/psf/black\n    rev: 24.4.2\n"
                                "    hooks:\n      - id: black\n"},
    {"Makefile": "lint:\n\tpylint src\n"},
    {"noxfile.py": "import nox\n\n@nox.session\ndef lint(session):\n    session.run('ruff', 'check', '.')\n"},
])
def test_code004_passes_with_any_static_analysis_setup(tmp_path, files):
    assert rule(tmp_path, files, "CODE004") == "pass"


def workflow(*steps: str) -> str:
    body = "".join(f"      - {step}\n" for step in steps)
    return ("name: ci\non: [push]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: actions/checkout@v4\n" + body)


def test_code004_passes_when_ci_runs_a_linter(tmp_path):
    ci = workflow("run: pip install ruff", "run: ruff check .")
    res = result(tmp_path, {".github/workflows/ci.yml": ci}, "CODE004")
    assert res.status == "pass"
    assert res.evidence[0].path == ".github/workflows/ci.yml"


def test_code004_installing_a_linter_in_ci_is_not_running_it(tmp_path):
    assert rule(tmp_path, {".github/workflows/ci.yml": workflow("run: pip install ruff mypy", "run: pytest")},
                "CODE004") == "fail"


def test_code004_fails_without_static_analysis(tmp_path):
    res = result(tmp_path, {
        "setup.cfg": "[metadata]\nname = x\n",
        "Makefile": "test:\n\tpytest -q\n",
        "pyproject.toml": PYPROJECT,
        ".pre-commit-config.yaml": "repos:\n  - repo: https://github.com/pre-commit/pre-commit-hooks\n"
                                   "    rev: v4.6.0\n    hooks:\n      - id: check-yaml\n",
    }, "CODE004")
    assert res.status == "fail"
    assert "[tool.ruff]" in explained(res)


# ------------------------------------------------------------------ CODE005 dependencies-declared
def test_code005_passes_with_a_declaration(tmp_path):
    res = result(tmp_path, {"requirements.txt": "pandas\nscikit-learn\n"}, "CODE005")
    assert res.status == "pass"
    assert res.evidence[0].path == "requirements.txt"
    assert res.evidence[0].detail == "2 dependencies declared (requirements)"


def test_code005_fails_without_a_declaration(tmp_path):
    res = result(tmp_path, {"train.py": "import pandas\n", "requirements.txt": "\n# todo\n"}, "CODE005")
    assert res.status == "fail"
    assert "requirements*.txt" in explained(res)


# ------------------------------------------------------------------ CODE006 dependencies-pinned
def test_code006_passes_with_a_lock_file(tmp_path):
    lock = 'version = 1\n[[package]]\nname = "pandas"\nversion = "2.2.2"\n'
    res = result(tmp_path, {"pyproject.toml": PYPROJECT, "uv.lock": lock}, "CODE006")
    assert res.status == "pass"
    assert res.evidence[0].path == "uv.lock"


def test_code006_passes_with_pinned_runtime_requirements(tmp_path):
    assert rule(tmp_path, {"requirements.txt": "pandas==2.2.2\nscikit-learn==1.5.0\n",
                           "requirements-dev.txt": "pytest\n"}, "CODE006") == "pass"


def test_code006_fails_with_loose_requirements(tmp_path):
    res = result(tmp_path, {"requirements.txt": "pandas\nscikit-learn>=1.4\njupyter\n"}, "CODE006")
    assert res.status == "fail"
    assert "0 of 3 entries pinned" in explained(res)


def test_code006_is_na_without_declarations(tmp_path):
    assert rule(tmp_path, {"train.py": "print('hi')\n"}, "CODE006") == "n/a"


# ------------------------------------------------------------------ CODE007 project-packaged
@pytest.mark.parametrize("files", [
    {"pyproject.toml": PYPROJECT},
    {"pyproject.toml": '[tool.poetry]\nname = "x"\nversion = "0.1.0"\n'},
    {"setup.py": "from setuptools import setup\nsetup(name='x')\n"},
    {"libs/core/setup.cfg": "[metadata]\nname = core\n"},
])
def test_code007_passes_for_installable_packages(tmp_path, files):
    assert rule(tmp_path, files, "CODE007") == "pass"


def test_code007_fails_for_tool_config_only(tmp_path):
    assert rule(tmp_path, {"pyproject.toml": "[tool.ruff]\nline-length = 100\n",
                           "setup.cfg": "[flake8]\nmax-line-length = 100\n"}, "CODE007") == "fail"


# ------------------------------------------------------------------ CODE008 pre-commit-configured
def test_code008_passes_with_a_hook(tmp_path):
    config = "repos:\n  - repo: local\n    hooks:\n      - id: pytest\n        entry: pytest\n"
    res = result(tmp_path, {"sub/.pre-commit-config.yaml": config}, "CODE008")
    assert res.status == "pass"
    assert (res.evidence[0].path, res.evidence[0].line) == ("sub/.pre-commit-config.yaml", 4)


@pytest.mark.parametrize("files", [
    {},
    {".pre-commit-config.yaml": "repos: []\n"},
    {".pre-commit-config.yaml": "repos: [\n"},
])
def test_code008_fails_without_hooks(tmp_path, files):
    assert rule(tmp_path, {"README.md": "x\n", **files}, "CODE008") == "fail"


# ------------------------------------------------------------------ CODE009 coverage-measured
TESTS = {"tests/test_a.py": "def test_a():\n    assert True\n"}


@pytest.mark.parametrize("files", [
    {"pyproject.toml": "[tool.coverage.run]\nbranch = true\n"},
    {".coveragerc": "[run]\nbranch = True\n"},
    {"pyproject.toml": '[tool.pytest.ini_options]\naddopts = "--cov=pkg --cov-report=xml"\n'},
    {"pytest.ini": "[pytest]\naddopts = --cov pkg\n"},
    {"setup.cfg": "[coverage:run]\nbranch = True\n"},
    {"codecov.yml": "coverage:\n  status:\n    project: off\n"},
    {"Makefile": "cov:\n\tcoverage run -m pytest\n"},
])
def test_code009_passes_when_coverage_is_measured(tmp_path, files):
    assert rule(tmp_path, {**TESTS, **files}, "CODE009") == "pass"


@pytest.mark.parametrize("steps", [
    ("run: pytest --cov=pkg --cov-report=xml",),
    ("run: coverage run -m pytest",),
    ("run: pytest", "uses: codecov/codecov-action@v4"),
])
def test_code009_passes_when_ci_measures_coverage(tmp_path, steps):
    assert rule(tmp_path, {**TESTS, ".github/workflows/ci.yml": workflow(*steps)}, "CODE009") == "pass"


def test_code009_fails_without_coverage(tmp_path):
    assert rule(tmp_path, {**TESTS, "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-ra"\n'},
                "CODE009") == "fail"


def test_code009_is_na_without_tests(tmp_path):
    assert rule(tmp_path, {".coveragerc": "[run]\n", "pkg/util.py": UTIL_MODULE}, "CODE009") == "n/a"


# ------------------------------------------------------------------ CODE010 logic-outside-notebooks
NB = {"notebooks/01-explore.ipynb": notebook("import pandas as pd", "df = pd.read_csv('data.csv')")}


def test_code010_passes_with_modules_beside_notebooks(tmp_path):
    res = result(tmp_path, {**NB, "src/churn/__init__.py": "", "src/churn/features.py": ML_MODULE}, "CODE010")
    assert res.status == "pass"
    assert res.evidence[0].path == "src/churn/features.py"


@pytest.mark.parametrize("files", [
    {},
    {"run.py": "import papermill\npapermill.execute_notebook('a.ipynb', 'b.ipynb')\n",
     "setup.py": "from setuptools import setup\n\ndef read():\n    return ''\nsetup(name='x')\n",
     "tests/test_nb.py": "def test_runs():\n    assert True\n",
     "docs/conf.py": "def setup(app):\n    pass\n",
     "notebooks/01_explore.py": "# ---\n# jupyter:\n#   jupytext:\n#     formats: ipynb,py:percent\n# ---\n"
                                "# %%\ndef helper():\n    return 1\n"},
])
def test_code010_fails_with_notebooks_only(tmp_path, files):
    res = result(tmp_path, {**NB, **files}, "CODE010")
    assert res.status == "fail"
    assert "notebooks/01-explore.ipynb" in explained(res)


def test_code010_is_na_without_notebooks(tmp_path):
    assert rule(tmp_path, {"train.py": "print('x')\n"}, "CODE010") == "n/a"
