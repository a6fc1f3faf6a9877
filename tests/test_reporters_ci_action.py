"""The composite GitHub Action (action.yml): its interface, its safety, and its audit step run
for real with bash, the way a runner would (GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.helpers import ROOT, make_repo

ACTION = ROOT / "action.yml"


@pytest.fixture(scope="module")
def action() -> dict:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


def step(action: dict, name: str) -> dict:
    return next(s for s in action["runs"]["steps"] if s.get("name") == name or s.get("id") == name)


def test_interface(action):
    assert action["runs"]["using"] == "composite"
    for key in ("path", "profile", "fail-under", "formats", "upload-sarif", "step-summary", "baseline"):
        assert key in action["inputs"], key
        assert "description" in action["inputs"][key]
    assert {"score", "grade", "exit-code", "sarif-file"} <= set(action["outputs"])
    upload = step(action, "Upload SARIF to code scanning")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert "inputs.upload-sarif == 'true'" in upload["if"]
    assert step(action, "mlaudit verdict")["if"] == "always()"


def test_run_scripts_never_interpolate_expressions(action):
    """`${{ }}` inside a script is a code-injection hole; values must come in through env."""
    for s in action["runs"]["steps"]:
        if "run" in s:
            assert "${{" not in s["run"], s.get("name")
            assert s.get("shell") == "bash"


def run_audit_step(action: dict, tmp_path: Path, repo: Path, **inputs: str):
    """Run the action's audit step with bash, its env built from the inputs as GitHub would."""
    if shutil.which("mlaudit") is None or shutil.which("bash") is None:
        pytest.skip("mlaudit (pip install -e .) and bash are needed to run the action's script")
    s = step(action, "audit")
    values = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    values.update({k.replace("_", "-"): v for k, v in inputs.items()})
    env = dict(os.environ)
    for var, expr in s["env"].items():
        m = re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", expr)
        assert m, f"{var}: {expr}"
        env[var] = values[m.group(1)]
    out, summary = tmp_path / "gh_output", tmp_path / "gh_summary"
    out.write_text(""), summary.write_text("")
    env.update(GITHUB_OUTPUT=str(out), GITHUB_STEP_SUMMARY=str(summary))
    proc = subprocess.run(["bash", "-c", s["run"]], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    outputs = dict(line.split("=", 1) for line in out.read_text().splitlines() if "=" in line)
    return proc, outputs, summary.read_text()


def test_audit_step_writes_reports_summary_and_outputs(action, tmp_path: Path):
    repo = make_repo(tmp_path, {"README.md": "# demo\n", "train.py": "import pandas as pd\n"})
    proc, outputs, summary = run_audit_step(action, tmp_path, repo, formats="sarif, junit,html",
                                            upload_sarif="true")
    assert proc.returncode == 0, proc.stderr
    assert "Overall score" in proc.stdout  # the text report in the log
    assert outputs["exit-code"] == "0"
    report = json.loads((repo / "mlaudit-reports" / "mlaudit.json").read_text())
    assert outputs["grade"] == report["summary"]["grade"]
    assert outputs["score"] == ("" if report["summary"]["score"] is None else str(report["summary"]["score"]))
    assert outputs["sarif-file"] == "mlaudit-reports/mlaudit.sarif"
    assert json.loads((repo / outputs["sarif-file"]).read_text())["version"] == "2.1.0"
    for name in ("mlaudit.junit.xml", "mlaudit.html", "mlaudit.md"):
        assert (repo / "mlaudit-reports" / name).is_file(), name
    assert summary.startswith("## ") and "| Category | Score |" in summary


def test_audit_step_keeps_the_exit_code_for_the_verdict(action, tmp_path: Path):
    repo = make_repo(tmp_path, {"README.md": "# demo\n"})
    proc, outputs, summary = run_audit_step(action, tmp_path, repo, fail_under="100", step_summary="false",
                                            formats="markdown")
    assert proc.returncode == 0  # summary and upload still run; the last step fails the job
    assert outputs["exit-code"] == "1" and summary == ""
    verdict = subprocess.run(["bash", "-c", step(action, "mlaudit verdict")["run"]],
                             env={**os.environ, "CODE": outputs["exit-code"]}, capture_output=True, text=True,
                             check=False)
    assert verdict.returncode == 1 and "::error" in verdict.stdout


def test_audit_step_rejects_unknown_formats(action, tmp_path: Path):
    repo = make_repo(tmp_path, {"README.md": "# demo\n"})
    proc, outputs, _ = run_audit_step(action, tmp_path, repo, formats="sarif,pdf")
    assert outputs["exit-code"] == "2" and "unknown report format 'pdf'" in proc.stdout
