"""TEAM rules end to end: each rule passes, fails (and is n/a) on small repositories."""

from __future__ import annotations

from tests.helpers import audit, git, make_repo, status

ML = {"src/model.py": "import sklearn\nfrom sklearn.linear_model import LogisticRegression\n"}

GOOD_README = """# Churn model

Predicts which customers will cancel their subscription next month.

## Installation

```bash
pip install -e '.[dev]'
```

## Usage

```bash
make train
```
"""


def result(path, rule_id, **kwargs):
    return audit(path, select=[rule_id], **kwargs)[rule_id]


def commit(repo, message: str, *, touch: str | None = None) -> None:
    name = touch or "log.txt"
    with open(repo / name, "a", encoding="utf-8") as fh:
        fh.write(message + "\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


# ----------------------------------------------------------------------------- TEAM001
def test_team001_passes_on_a_readme_with_setup_and_usage(tmp_path):
    repo = make_repo(tmp_path, {"README.md": GOOD_README})
    r = result(repo, "TEAM001")
    assert r.status == "pass"
    assert ("README.md", 5) in [(e.path, e.line) for e in r.evidence]      # the Installation heading


def test_team001_passes_on_inline_commands(tmp_path):
    text = "# Churn\n\nPredicts churn.\n\nInstall with `pip install churnmodel` and run\n" \
           "`python -m churnmodel.train`; results land in reports/.\nQuestions: #ml-churn on Slack.\n"
    repo = make_repo(tmp_path, {"README.md": text})
    r = result(repo, "TEAM001")
    assert r.status == "pass" and ("README.md", 5) in [(e.path, e.line) for e in r.evidence]


def test_team001_passes_on_rst_with_commands_only(tmp_path):
    text = ("Churn model\n===========\n\nPredicts churn.\n\nRun it like this::\n\n"
            "    python -m churnmodel.train --config configs/base.yaml\n\nResults go to reports/.\n")
    repo = make_repo(tmp_path, {"README.rst": text})
    assert status(repo, "TEAM001") == "pass"


def test_team001_fails_on_a_stub(tmp_path):
    repo = make_repo(tmp_path, {"README.md": "# churn\nsome experiments\n"})
    r = result(repo, "TEAM001")
    assert r.status == "fail" and "only 2 lines" in r.message


def test_team001_fails_on_prose_without_setup_or_usage(tmp_path):
    prose = "# Churn\n\nWritten in `python` with `pandas`.\n" + \
        "\n".join(f"This project studies churn, part {i}." for i in range(8)) + "\n"
    repo = make_repo(tmp_path, {"README.md": prose})
    r = result(repo, "TEAM001")
    assert r.status == "fail" and "no setup or usage" in r.message


def test_team001_fails_without_readme_and_a_data_readme_does_not_count(tmp_path):
    repo = make_repo(tmp_path, {"train.py": "", "data/README.md": GOOD_README})
    assert status(repo, "TEAM001") == "fail"
    sub = make_repo(tmp_path, {"services/api/pyproject.toml": "[project]\nname='api'\n",
                               "services/api/README.md": GOOD_README}, name="mono")
    assert status(sub, "TEAM001") == "pass"


def test_team001_ignores_code_comments_as_headings(tmp_path):
    text = "# Tool\n\nA tool.\n\n```python\n# Usage\nx = 1\n```\nMore words here.\nAnd here.\n"
    repo = make_repo(tmp_path, {"README.md": text})
    assert status(repo, "TEAM001") == "fail"


# ----------------------------------------------------------------------------- TEAM002
def test_team002_passes_on_codeowners(tmp_path):
    repo = make_repo(tmp_path, {".github/CODEOWNERS": "# owners\n*  @acme/churn-team\n"})
    r = result(repo, "TEAM002")
    assert r.status == "pass" and (r.evidence[0].path, r.evidence[0].line) == (".github/CODEOWNERS", 2)


def test_team002_passes_on_owners_file(tmp_path):
    repo = make_repo(tmp_path, {"OWNERS": "approvers:\n  - alice\n"})
    assert status(repo, "TEAM002") == "pass"


def test_team002_fails_on_missing_or_empty_codeowners(tmp_path):
    repo = make_repo(tmp_path, {"CODEOWNERS": "# TODO: add owners\n\n", "a.py": ""})
    assert status(repo, "TEAM002") == "fail"
    nested = make_repo(tmp_path, {"vendor/lib/CODEOWNERS": "* @someone-else\n"}, name="vendored")
    assert status(nested, "TEAM002") == "fail"


# ----------------------------------------------------------------------------- TEAM003
def test_team003_passes_on_a_pr_template(tmp_path):
    repo = make_repo(tmp_path, {".github/PULL_REQUEST_TEMPLATE.md": "## What changed\n"})
    assert status(repo, "TEAM003") == "pass"


def test_team003_passes_on_pull_request_history(tmp_path):
    repo = make_repo(tmp_path, {"a.py": ""}, use_git=True)
    for n in range(10, 16):
        commit(repo, f"Merge pull request #{n} from acme/feature-{n}")
    commit(repo, "Fix typo")
    r = result(repo, "TEAM003")
    assert r.status == "pass"
    assert "6 of the last 8 commit subjects carry a pull/merge request marker" in r.evidence[0].detail
    assert "Merge pull request #15 from acme/feature-15" in r.evidence[1].detail


def test_team003_passes_on_squash_merges(tmp_path):
    repo = make_repo(tmp_path, {"a.py": ""}, use_git=True)
    for n in range(3):
        commit(repo, f"Add feature {n} (#{40 + n})")
    assert status(repo, "TEAM003") == "pass"


def test_team003_merge_commit_workflow_counts_the_main_line(tmp_path):
    repo = make_repo(tmp_path, {"a.py": ""}, use_git=True)
    for n in range(4):
        git(repo, "checkout", "-q", "-b", f"feature-{n}")
        for k in range(3):
            commit(repo, f"wip {n}.{k}", touch=f"f{n}.txt")
        git(repo, "checkout", "-q", "main")
        git(repo, "merge", "-q", "--no-ff", f"feature-{n}", "-m", f"Merge pull request #{n + 1} from acme/feature-{n}")
    # all subjects: 4 of 17 are merges; the main line: 4 of 5
    r = result(repo, "TEAM003")
    assert r.status == "pass" and "first-parent" in r.evidence[0].detail


def test_team003_fails_on_direct_commits(tmp_path):
    repo = make_repo(tmp_path, {"a.py": ""}, use_git=True)
    for n in range(4):
        commit(repo, f"update model {n}")
    commit(repo, "Merge branch 'dev'")       # a local merge is no review marker
    r = result(repo, "TEAM003")
    assert r.status == "fail" and "0 of the last 6" in r.evidence[0].detail


def test_team003_fails_outside_git_without_template(tmp_path):
    repo = make_repo(tmp_path, {"a.py": ""})
    assert status(repo, "TEAM003") == "fail"


# ----------------------------------------------------------------------------- TEAM004
def test_team004_passes_on_issue_templates(tmp_path):
    repo = make_repo(tmp_path, {".github/ISSUE_TEMPLATE/bug_report.md": "---\nname: Bug\n---\n"})
    assert status(repo, "TEAM004") == "pass"
    form = make_repo(tmp_path, {".github/ISSUE_TEMPLATE/bug.yml": "name: Bug\nbody:\n  - type: textarea\n"},
                     name="form")
    assert status(form, "TEAM004") == "pass"


def test_team004_fails_on_chooser_config_alone(tmp_path):
    repo = make_repo(tmp_path, {".github/ISSUE_TEMPLATE/config.yml": "blank_issues_enabled: false\n"
                                "contact_links:\n  - name: Slack\n    url: https://acme.slack.com\n"})
    assert status(repo, "TEAM004") == "fail"


# ----------------------------------------------------------------------------- TEAM005
def test_team005_na_without_ml_code(tmp_path):
    repo = make_repo(tmp_path, {"src/util.py": "import os\n", "README.md": GOOD_README})
    assert status(repo, "TEAM005") == "n/a"


def test_team005_passes_on_a_model_card_file(tmp_path):
    card = "# Model card\n\n## Intended use\nx\n## Training data\ny\n## Evaluation\nz\n"
    repo = make_repo(tmp_path, {**ML, "docs/MODEL_CARD.md": card})
    r = result(repo, "TEAM005")
    assert r.status == "pass" and r.evidence[0].path == "docs/MODEL_CARD.md"


def test_team005_passes_on_readme_sections(tmp_path):
    readme = GOOD_README + "\n## Training data\nCRM export.\n\n## Evaluation results\nAUC 0.84\n\n" \
                           "## Limitations\nOnly EU customers.\n"
    repo = make_repo(tmp_path, {**ML, "README.md": readme})
    r = result(repo, "TEAM005")
    assert r.status == "pass"
    assert {e.detail.split(":")[0] for e in r.evidence} == {"training data", "evaluation", "limitations"}


def test_team005_fails_when_most_sections_are_missing(tmp_path):
    readme = GOOD_README + "\n## Results\nAUC 0.84\n"
    repo = make_repo(tmp_path, {**ML, "README.md": readme, "model_card.md": "TODO\n"})
    r = result(repo, "TEAM005")
    assert r.status == "fail"
    details = " | ".join(e.detail for e in r.evidence)
    assert "only 1 line of content" in details and "missing intended use, training data, limitations" in details


# ----------------------------------------------------------------------------- TEAM006
def test_team006_passes_on_license_file_or_metadata(tmp_path):
    repo = make_repo(tmp_path, {"LICENSE.md": "MIT License\n"})
    assert status(repo, "TEAM006") == "pass"
    meta = make_repo(tmp_path, {"pyproject.toml": '[project]\nname = "x"\nlicense = "Apache-2.0"\n'}, name="meta")
    assert status(meta, "TEAM006") == "pass"
    cfg = make_repo(tmp_path, {"setup.cfg": "[metadata]\nname = x\nlicense = MIT\n"}, name="cfg")
    assert status(cfg, "TEAM006") == "pass"


def test_team006_fails_without_license(tmp_path):
    repo = make_repo(tmp_path, {"src/license.py": "def check(): pass\n",
                                "pyproject.toml": '[project]\nname = "x"\n'})
    assert status(repo, "TEAM006") == "fail"


# ----------------------------------------------------------------------------- TEAM007
def test_team007_passes_on_adrs(tmp_path):
    repo = make_repo(tmp_path, {"docs/adr/0001-use-lightgbm.md": "# 1. Use LightGBM\n"})
    r = result(repo, "TEAM007")
    assert r.status == "pass" and r.evidence[0].path == "docs/adr/0001-use-lightgbm.md"


def test_team007_fails_without_adrs(tmp_path):
    repo = make_repo(tmp_path, {"docs/index.md": "# Docs\n", "src/adr.py": ""})
    assert status(repo, "TEAM007") == "fail"


# ----------------------------------------------------------------------------- TEAM008
def test_team008_na_without_ml_code(tmp_path):
    repo = make_repo(tmp_path, {"src/util.py": "import os\n"})
    assert status(repo, "TEAM008") == "n/a"


def test_team008_passes_on_fairness_import(tmp_path):
    repo = make_repo(tmp_path, {**ML, "src/fairness.py": "from fairlearn.metrics import MetricFrame\n"})
    r = result(repo, "TEAM008")
    assert r.status == "pass" and r.evidence[0].path == "src/fairness.py"


def test_team008_passes_on_declared_fairness_dependency(tmp_path):
    repo = make_repo(tmp_path, {**ML, "requirements.txt": "scikit-learn==1.5.0\naif360==0.6.1\n"})
    assert status(repo, "TEAM008") == "pass"


def test_team008_fails_without_fairness_toolkit(tmp_path):
    repo = make_repo(tmp_path, {**ML, "requirements.txt": "scikit-learn==1.5.0\n"})
    assert status(repo, "TEAM008") == "fail"


# ----------------------------------------------------------------------------- TEAM009
def test_team009_passes_on_remote_without_leaking_credentials(tmp_path):
    repo = make_repo(tmp_path, {"a.py": ""}, use_git=True)
    git(repo, "remote", "add", "origin", "https://bot:s3cr3tT0ken@github.com/acme/churn.git")
    r = result(repo, "TEAM009")
    assert r.status == "pass"
    assert "https://github.com/acme/churn.git" in r.evidence[0].detail
    assert "s3cr3t" not in r.message and all("s3cr3t" not in e.detail for e in r.evidence)


def test_team009_passes_on_platform_config(tmp_path):
    repo = make_repo(tmp_path, {".gitlab-ci.yml": "test:\n  script: [pytest]\n"})
    assert status(repo, "TEAM009") == "pass"


def test_team009_fails_on_local_only_repository(tmp_path):
    repo = make_repo(tmp_path, {"a.py": ""}, use_git=True)
    assert status(repo, "TEAM009") == "fail"
