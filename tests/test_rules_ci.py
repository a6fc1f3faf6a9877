"""CI001-CI007 end to end: pass, fail and n/a on small repositories built in tmp_path."""

from __future__ import annotations

import textwrap

import pytest

from tests.helpers import audit, make_repo


def gha(steps: str, *, on: str = "[push, pull_request]", extra_jobs: str = "") -> str:
    """A GitHub workflow with one job `build` running the given steps (YAML list items)."""
    body = textwrap.indent(textwrap.dedent(steps).strip("\n"), " " * 6)
    return f"on: {on}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n{body}\n{extra_jobs}"


def result(tmp_path, rule_id, files):
    files = {k: textwrap.dedent(v).lstrip("\n") for k, v in files.items()}
    return audit(make_repo(tmp_path, files), select=[rule_id])[rule_id]


def status(tmp_path, rule_id, files):
    return result(tmp_path, rule_id, files).status


WF = ".github/workflows/ci.yml"


# ---------------------------------------------------------------- CI001

@pytest.mark.parametrize("files", [
    {WF: gha("- run: pytest")},
    {".gitlab-ci.yml": "test:\n  script: pytest\n"},
    {"Jenkinsfile": "pipeline { stages { stage('t') { steps { sh 'pytest' } } } }\n"},
    {".circleci/config.yml": "version: 2.1\njobs:\n  t:\n    docker: [{image: cimg/python:3.12}]\n    steps: [checkout]\n"},
    {"azure-pipelines.yml": "steps:\n  - script: pytest\n"},
    {"bitbucket-pipelines.yml": "pipelines:\n  default:\n    - step: {script: [pytest]}\n"},
    {"services/api/.travis.yml": "language: python\nscript: pytest\n"},
])
def test_ci001_passes_for_each_vendor(tmp_path, files):
    res = result(tmp_path, "CI001", files)
    assert res.status == "pass"
    assert [e.path for e in res.evidence] == list(files)


def test_ci001_counts_an_unparsable_workflow(tmp_path):
    res = result(tmp_path, "CI001", {WF: "on: push\njobs: [\n"})
    assert res.status == "pass" and res.evidence[0].path == WF


def test_ci001_fails_without_ci(tmp_path):
    assert status(tmp_path, "CI001", {"README.md": "# x\n", "ci/config.yml": "jobs: {}\n",
                                      "docs/github-actions.md": "how to add .github/workflows\n"}) == "fail"


# ---------------------------------------------------------------- CI002

@pytest.mark.parametrize("steps, extra", [
    ("- run: pytest -q", {}),
    ("- run: python -m unittest discover -s tests", {}),
    ("- run: uv run pytest", {}),
    ("- run: tox", {}),
    ("- run: hatch test", {}),
    ("- run: make test", {"Makefile": "test:\n\tpython -m pytest --cov\n"}),
    ("- run: make check", {"Makefile": "check: lint unit\nlint:\n\truff check .\nunit:\n\tpytest\n"}),
    ("- run: ./scripts/ci.sh", {"scripts/ci.sh": "#!/bin/sh\nset -eu\npytest\n"}),
])
def test_ci002_passes_when_ci_runs_tests(tmp_path, steps, extra):
    res = result(tmp_path, "CI002", {WF: gha(steps), **extra})
    assert res.status == "pass"
    assert res.evidence[0].path == WF and res.evidence[0].line == 6


def test_ci002_evidence_names_the_recipe_behind_a_make_target(tmp_path):
    res = result(tmp_path, "CI002", {WF: gha("- run: make test"), "Makefile": "test:\n\tpytest tests\n"})
    assert "Makefile:2" in res.evidence[0].detail and "pytest tests" in res.evidence[0].detail


@pytest.mark.parametrize("steps, extra", [
    ("- run: ruff check .", {}),
    ("- run: python train.py --epochs 1\n- run: python examples/demo.py", {}),
    ("- run: pip install pytest tox", {}),
    ("- run: pytest --version", {}),
    ("- run: make test", {"Makefile": "test:\n\tpython scripts/demo.py\n"}),  # a 'test' target running a demo
    ("- run: tox -e lint", {"tox.ini": "[tox]\nenvlist = lint\n[testenv:lint]\ncommands = ruff check .\n"}),
])
def test_ci002_fails_without_a_test_suite(tmp_path, steps, extra):
    assert status(tmp_path, "CI002", {WF: gha(steps), **extra}) == "fail"


def test_ci002_is_na_without_ci(tmp_path):
    assert status(tmp_path, "CI002", {"tests/test_a.py": "def test_a():\n    assert True\n"}) == "n/a"


# ---------------------------------------------------------------- CI003

@pytest.mark.parametrize("files", [
    {WF: gha("- run: ruff check . && mypy src")},
    {WF: gha("- uses: pre-commit/action@v3.0.1")},
    {WF: gha("- run: pre-commit run --all-files")},
    {".gitlab-ci.yml": "lint:\n  script:\n    - pip install flake8\n    - flake8 src\n"},
    {WF: gha("- run: tox -e lint"), "tox.ini": "[testenv:lint]\ncommands = pylint src\n"},
    {WF: gha("- run: pytest"), ".pre-commit-config.yaml": "ci:\n  autoupdate_schedule: monthly\nrepos: []\n"},
])
def test_ci003_passes_when_ci_lints(tmp_path, files):
    assert status(tmp_path, "CI003", files) == "pass"


@pytest.mark.parametrize("files", [
    {WF: gha("- run: pytest")},
    {WF: gha("- run: pip install ruff mypy\n- run: pytest")},
    {WF: gha("- run: pytest"), ".pre-commit-config.yaml": "repos:\n  - repo: local\n    hooks: []\n"},
])
def test_ci003_fails_when_ci_does_not_lint(tmp_path, files):
    assert status(tmp_path, "CI003", files) == "fail"


def test_ci003_is_na_without_ci(tmp_path):
    assert status(tmp_path, "CI003", {"pyproject.toml": "[tool.ruff]\nline-length = 100\n"}) == "n/a"


# ---------------------------------------------------------------- CI004

MATRIX_WF = """
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python-version: ["3.11", "3.12"]
    steps:
      - uses: actions/setup-python@v5
        with: {python-version: "${{ matrix.python-version }}"}
      - run: pytest
"""


@pytest.mark.parametrize("files", [
    {WF: MATRIX_WF},
    {WF: gha("- run: pytest").replace("runs-on: ubuntu-latest", "runs-on: ${{ matrix.os }}\n    strategy:\n"
                                      "      matrix:\n        os: [ubuntu-latest, windows-latest]")},
    {WF: gha("- run: tox"), "tox.ini": "[tox]\nenvlist = py310, py311\n[testenv]\ncommands = pytest\n"},
    {".gitlab-ci.yml": "t310:\n  image: python:3.10\n  script: [pytest]\nt311:\n  image: python:3.11\n  script: [pytest]\n"},
    {".travis.yml": "language: python\npython: ['3.10', '3.11']\nscript: pytest\n"},
])
def test_ci004_passes_for_tests_on_several_environments(tmp_path, files):
    assert status(tmp_path, "CI004", files) == "pass"


@pytest.mark.parametrize("files", [
    {WF: gha("- uses: actions/setup-python@v5\n  with: {python-version: '3.12'}\n- run: pytest")},
    # the matrix is on the lint job, the tests run on one version
    {WF: MATRIX_WF.replace("- run: pytest", "- run: ruff check .") + "  unit:\n    runs-on: ubuntu-latest\n"
                                                                     "    steps: [{run: pytest}]\n"},
    {WF: gha("- run: tox -e py"), "tox.ini": "[tox]\nenvlist = py310, py311\n[testenv]\ncommands = pytest\n"},
])
def test_ci004_fails_for_tests_on_one_environment(tmp_path, files):
    assert status(tmp_path, "CI004", files) == "fail"


def test_ci004_is_na_without_ci(tmp_path):
    assert status(tmp_path, "CI004", {"tox.ini": "[tox]\nenvlist = py310, py311\n"}) == "n/a"


# ---------------------------------------------------------------- CI005

@pytest.mark.parametrize("steps, extra", [
    ("- run: dvc pull && dvc repro", {}),
    ("- run: python -m churnmodel.train --config conf/train.yaml", {}),
    ("- run: python src/train_model.py", {}),
    ("- run: mlflow run . -e train", {}),
    ("- run: make retrain", {"Makefile": "retrain:\n\tpython -m churnmodel.pipeline\n"}),
])
def test_ci005_passes_when_ci_runs_the_ml_workflow(tmp_path, steps, extra):
    assert status(tmp_path, "CI005", {WF: gha(steps, on="{schedule: [{cron: '0 3 * * 1'}]}"), **extra}) == "pass"


@pytest.mark.parametrize("steps, extra", [
    ("- uses: iterative/setup-cml@v2\n- run: cml comment create report.md", {}),  # a CML report step alone
    ("- run: pytest tests/test_train.py", {}),  # tests that train toy models
    ("- run: python -m pytest -k training", {}),
    ("- run: make test", {"Makefile": "test:\n\tpytest tests/test_train.py\n"}),
    ("- run: python train.py --help", {}),
    ("- run: python -m churnmodel.constraints", {}),
])
def test_ci005_fails_without_an_ml_workflow(tmp_path, steps, extra):
    assert status(tmp_path, "CI005", {WF: gha(steps), **extra}) == "fail"


def test_ci005_is_na_without_ci(tmp_path):
    assert status(tmp_path, "CI005", {"dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n"}) == "n/a"


# ---------------------------------------------------------------- CI006

@pytest.mark.parametrize("files", [
    {".github/dependabot.yml": "version: 2\nupdates:\n  - package-ecosystem: pip\n    directory: /\n"},
    {"renovate.json": '{"extends": ["config:recommended"]}\n'},
    {"package.json": '{"name": "x", "renovate": {"extends": ["config:base"]}}\n'},
])
def test_ci006_passes_with_an_update_bot(tmp_path, files):
    assert status(tmp_path, "CI006", files) == "pass"


def test_ci006_fails_without_an_update_bot(tmp_path):
    assert status(tmp_path, "CI006", {WF: gha("- run: pytest"), "package.json": '{"name": "renovate-me"}\n'}) == "fail"


# ---------------------------------------------------------------- CI007

RUFF_S = '[tool.ruff.lint]\nselect = ["E", "F", "S"]\n'


@pytest.mark.parametrize("files", [
    {WF: gha("- run: pip install pip-audit\n- run: pip-audit -r requirements.txt")},
    {WF: gha("- uses: github/codeql-action/init@v3\n- uses: github/codeql-action/analyze@v3")},
    {WF: gha("- run: bandit -r src")},
    {".gitlab-ci.yml": "include:\n  - template: Jobs/SAST.gitlab-ci.yml\ntest:\n  script: pytest\n"},
    {WF: gha("- run: ruff check ."), "pyproject.toml": RUFF_S},
    {WF: gha("- run: pre-commit run -a"), "pyproject.toml": '[tool.ruff]\nselect = ["ALL"]\n',
     ".pre-commit-config.yaml": "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n"
                                "    rev: v0.6.0\n    hooks:\n      - id: ruff\n"},
])
def test_ci007_passes_with_a_security_scan(tmp_path, files):
    assert status(tmp_path, "CI007", files) == "pass"


@pytest.mark.parametrize("files", [
    {WF: gha("- run: pytest")},
    {WF: gha("- run: pytest"), "pyproject.toml": RUFF_S},  # S rules selected, but CI never runs Ruff
    {WF: gha("- run: ruff check ."), "pyproject.toml": '[tool.ruff.lint]\nselect = ["E", "F", "SIM"]\n'},
    {WF: gha("- run: ruff check ."), "pyproject.toml": '[tool.ruff.lint]\nselect = ["ALL"]\nignore = ["S"]\n'},
    {WF: gha("- run: pip install bandit safety")},
])
def test_ci007_fails_without_a_security_scan(tmp_path, files):
    assert status(tmp_path, "CI007", files) == "fail"


def test_ci007_is_na_without_ci(tmp_path):
    assert status(tmp_path, "CI007", {"pyproject.toml": RUFF_S}) == "n/a"


def test_ci004_counts_os_families_not_runner_labels_across_jobs(tmp_path):
    two_jobs = ("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: [{run: pytest tests/unit}]\n"
                "  b:\n    runs-on: ubuntu-22.04\n    steps: [{run: pytest tests/integration}]\n")
    assert status(tmp_path, "CI004", {WF: two_jobs}) == "fail"
    assert status(tmp_path / "w", "CI004", {WF: two_jobs.replace("ubuntu-22.04", "windows-latest")}) == "pass"


# ---------------------------------------------------------------- the predicates themselves

def ctx_for(tmp_path, files):
    from auditor.predicates import Context
    from auditor.project import Project

    files = {k: textwrap.dedent(v).lstrip("\n") for k, v in files.items()}
    return Context(Project(make_repo(tmp_path, files), use_git=False))


def test_ci_trigger_and_runs_filters(tmp_path):
    from auditor.predicates import evaluate

    ctx = ctx_for(tmp_path, {WF: gha("- run: pytest", on="{push: null, schedule: [{cron: '0 0 * * *'}]}",
                                     extra_jobs="  docs:\n    if: github.event_name == 'push'\n"
                                                "    steps: [{run: mkdocs build}]\n")})
    assert evaluate({"ci-trigger": "schedule"}, ctx).ok
    assert not evaluate({"ci-trigger": "pull_request"}, ctx).ok
    assert evaluate({"ci-trigger": {"kind": "schedule", "runs": "pytest"}}, ctx).ok
    # the docs job only runs on push: a schedule that "builds docs" is not found
    assert not evaluate({"ci-trigger": {"kind": "schedule", "runs": "mkdocs"}}, ctx).ok
    assert evaluate({"ci-runs": {"pattern": "mkdocs", "trigger": "push"}}, ctx).ok
    assert not evaluate({"ci-runs": {"pattern": "mkdocs", "trigger": "schedule"}}, ctx).ok
    assert evaluate({"ci-runs": ["nothing", "pytest"]}, ctx).ok
    assert not evaluate({"ci-runs": {"pattern": "pytest", "exclude": "^pytest$"}}, ctx).ok


def test_ci_uses_is_case_insensitive_and_ci_system_ids(tmp_path):
    from auditor.predicates import evaluate

    ctx = ctx_for(tmp_path, {WF: gha("- uses: PyCQA/bandit-action@v1")})
    assert evaluate({"ci-uses": "pycqa/bandit"}, ctx).ok
    assert evaluate({"ci": "github-actions"}, ctx).ok
    assert not evaluate({"ci": ["gitlab-ci", "jenkins"]}, ctx).ok


@pytest.mark.parametrize("node", [
    {"ci-runs": ""}, {"ci-runs": {"exclude": "x"}}, {"ci-trigger": {"runs": "x"}}, {"ci-matrix": "two"},
    {"ci-matrix": {"min": 0}}, {"ci": "github"}, {"pre-commit-ci": "yes"}, {"ruff-selects": "S 1"},
    {"ci-runs": "("},
])
def test_malformed_ci_predicates_are_rule_errors(tmp_path, node):
    from auditor.predicates import RuleError, evaluate

    with pytest.raises(RuleError):
        evaluate(node, ctx_for(tmp_path, {WF: gha("- run: pytest")}))
