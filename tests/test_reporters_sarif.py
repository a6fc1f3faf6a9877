"""SARIF output: valid against the official 2.1.0 schema, and shaped the way GitHub code
scanning uses it (descriptors, levels, locations, fingerprints, security-severity)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.reporters import render
from auditor.reporters.sarif import uri_prefix
from tests.helpers import ROOT, SAMPLES, make_repo
from tests.test_reporters_common import sample_report, sample_results

# The official schema lives in the project's shared folder, beside the repository (never vendored).
SCHEMA_PATH = ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator():
    if not SCHEMA_PATH.is_file():
        pytest.skip(f"official SARIF 2.1.0 schema not found at {SCHEMA_PATH} (../shared/schemas/ from the repo root)")
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def assert_valid(validator, data):
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def sarif(report) -> dict:
    return json.loads(render("sarif", report))


def test_sample_report_is_valid_sarif_and_the_schema_has_teeth(validator):
    data = sarif(sample_report())
    assert_valid(validator, data)
    broken = copy.deepcopy(data)
    del broken["runs"][0]["results"][0]["message"]
    assert list(validator.iter_errors(broken)), "the schema must reject a result without a message"


def test_one_descriptor_per_rule_one_result_per_failure():
    report = sample_report()
    run = sarif(report)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [d["id"] for d in rules] == [r.rule.id for r in report.results]
    failing = [r.rule.id for r in report.results if r.status == "fail"]
    assert [res["ruleId"] for res in run["results"]] == failing
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
    d = next(d for d in rules if d["id"] == "CI002")
    assert d["name"] == "CiRunsTests"
    assert d["shortDescription"]["text"] == "CI runs the test suite"
    assert d["fullDescription"]["text"].startswith("Rationale of CI002")
    assert "pytest" in d["help"]["text"] and "How to fix" in d["help"]["markdown"]
    assert d["defaultConfiguration"]["level"] == "error"  # high


def test_levels_follow_severity():
    run = sarif(sample_report())["runs"][0]
    level = {r["ruleId"]: r["level"] for r in run["results"]}
    assert level == {"VCS005": "error", "VCS006": "note", "DATA001": "error", "CI002": "error", "TEAM006": "note"}


def test_security_severity_only_on_security_rules():
    rules = sarif(sample_report())["runs"][0]["tool"]["driver"]["rules"]
    with_sec = {d["id"]: d["properties"] for d in rules if "security-severity" in d["properties"]}
    assert set(with_sec) == {"VCS005"}
    assert float(with_sec["VCS005"]["security-severity"]) >= 9.0  # critical in GitHub's scale
    assert "security" in with_sec["VCS005"]["tags"]
    for d in rules:
        assert len(d["properties"]["tags"]) <= 10
        if d["id"] != "VCS005":
            assert "security" not in d["properties"]["tags"]
            assert d["properties"]["problem.severity"] in ("error", "warning", "recommendation")


def test_locations_point_at_the_most_relevant_file():
    run = sarif(sample_report(target="."))["runs"][0]
    loc = {r["ruleId"]: r["locations"][0]["physicalLocation"] for r in run["results"]}
    assert loc["VCS005"]["artifactLocation"]["uri"] == "src/settings.py"
    assert loc["VCS005"]["region"]["startLine"] == 12
    assert loc["CI002"]["artifactLocation"]["uri"] == ".github/workflows/lint.yml"  # existing workflow
    assert loc["TEAM006"]["artifactLocation"]["uri"] == "LICENSE"  # where the fix belongs
    assert loc["DATA001"]["artifactLocation"]["uri"] == "README.md"  # nothing better
    # odd characters are percent-encoded, so the URI stays a valid URI reference
    assert loc["VCS006"]["artifactLocation"]["uri"] == "weird%20dir/fi%60le%3C1%3E.ipynb"
    secrets = next(r for r in run["results"] if r["ruleId"] == "VCS005")
    assert [x["physicalLocation"]["artifactLocation"]["uri"] for x in secrets["relatedLocations"]] == ["deploy/.env"]
    assert "rotate it" in secrets["message"]["text"]  # the fix is in the alert text


def test_relative_subdirectory_prefixes_uris():
    assert uri_prefix(".") == "" and uri_prefix("./") == "" and uri_prefix("/abs/repo") == ""
    assert uri_prefix("https://example.com/x.git") == "" and uri_prefix("../elsewhere") == ""
    assert uri_prefix("services/model") == "services/model/"
    run = sarif(sample_report(target="services/model"))["runs"][0]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]]
    assert all(u.startswith("services/model/") for u in uris)


def test_fingerprints_are_stable_and_distinct():
    a = sarif(sample_report())["runs"][0]["results"]
    # same rules, different evidence and line: the fingerprint must not move
    moved = sample_results()
    moved[1].evidence[0] = type(moved[1].evidence[0])("src/other.py", 99, "AWS access key id")
    b = sarif(sample_report(results=moved))["runs"][0]["results"]
    fa = {r["ruleId"]: r["partialFingerprints"] for r in a}
    fb = {r["ruleId"]: r["partialFingerprints"] for r in b}
    assert fa == fb
    assert len({f["mlauditRule/v1"] for f in fa.values()}) == len(fa)
    assert all(f["primaryLocationLineHash"].endswith(":1") for f in fa.values())
    other_dir = sarif(sample_report(target="services/model"))["runs"][0]["results"]
    assert other_dir[0]["partialFingerprints"] != a[0]["partialFingerprints"]


def test_errors_problems_and_notices_are_tool_notifications():
    run = sarif(sample_report())["runs"][0]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any(n["level"] == "error" and n["associatedRule"]["id"] == "DATA003" for n in notes)
    assert any(n["level"] == "warning" and "params.yaml" in n["message"]["text"] for n in notes)
    assert any(n["level"] == "note" and "MON001" in n["message"]["text"] for n in notes)
    assert run["properties"]["score"] == sample_report().summary.score
    assert run["properties"]["grade"] == sample_report().summary.grade


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.iterdir() if p.is_dir()))
def test_real_audits_of_samples_are_valid_sarif(validator, sample):
    result = CliRunner().invoke(cli, [str(SAMPLES / sample), "-f", "sarif", "--no-config"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert_valid(validator, data)
    run = data["runs"][0]
    assert len(run["results"]) == run["properties"]["counts"]["fail"]
    assert len(run["results"]) <= 25_000 and len(run["tool"]["driver"]["rules"]) <= 25_000


def test_sarif_to_file_while_text_goes_to_the_terminal(validator, tmp_path: Path):
    repo = make_repo(tmp_path, {"README.md": "# demo\n", "train.py": "import sklearn\n"})
    out = tmp_path / "reports" / "mlaudit.sarif"
    result = CliRunner().invoke(cli, [str(repo), "--no-config", "-o", f"sarif:{out}"])
    assert result.exit_code == 0, result.output
    assert "Overall score" in result.output  # the text report still on stdout
    assert_valid(validator, json.loads(out.read_text(encoding="utf-8")))
    # exit codes stay the contract's: below --fail-under is 1, with SARIF written all the same
    out.unlink()
    result = CliRunner().invoke(cli, [str(repo), "--no-config", "-f", "sarif", "-o", str(out), "--fail-under", "100"])
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["runs"][0]["properties"]["counts"]["fail"] > 0  # a bare repo fails rules (no tests, no CI...)
    assert result.exit_code == 1 and result.output == ""
