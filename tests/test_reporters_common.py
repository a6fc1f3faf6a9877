"""A hand-built report covering every status (shared by the reporter tests), and the helpers
every CI reporter uses: where a failure belongs, code spans, output routing."""

from __future__ import annotations

import pytest

from auditor.model import Evidence, Problem, Report, Result, Rule
from auditor.reporters import FORMATS, render
from auditor.reporters.common import fix_location, redundant_evidence, split_code_spans
from auditor.reporters.outputs import Destination, OutputError, plan, split_target
from auditor.scoring import summarise

NASTY = '<script>alert(1)</script> | `x` ](http://evil.example) & "q"'


def rule(rid: str, cat: str, sev: str, *, slug: str | None = None, title: str | None = None,
         fix: str = "Do the thing with `pyproject.toml`.", profile: str = "research") -> Rule:
    return Rule(id=rid, slug=slug or f"{cat.lower()}-rule-{rid[-3:]}", title=title or f"Title of {rid}",
                category=cat, severity=sev, profile=profile, practice=f"Practice of {rid}",
                rationale=f"Rationale of {rid}: it matters.", fix=fix, check={"file": "x"},
                na_reason="no ML code" if rid == "CI004" else "")


def sample_results() -> list[Result]:
    return [
        Result(rule("VCS002", "VCS", "medium", slug="gitignore-ml-artifacts"), "pass",
               "Found .gitignore:3 (ignores data/).", [Evidence(".gitignore", 3, "ignores data/")]),
        Result(rule("VCS005", "VCS", "critical", slug="no-secrets", title="No credentials are committed",
                    fix="Remove the key, rotate it, and read it from the environment."), "fail",
               "Failed: src/settings.py:12 (AWS access key id).",
               [Evidence("src/settings.py", 12, "AWS access key id"), Evidence("deploy/.env", 2, "API token")]),
        Result(rule("VCS006", "VCS", "low", slug="notebook-outputs-stripped"), "fail",
               "Failed: notebooks keep outputs.", [Evidence("weird dir/fi`le<1>.ipynb", None, NASTY)]),
        Result(rule("DATA001", "DATA", "high", slug="data-versioned", title="Datasets are versioned"), "fail",
               "Not found: dvc.yaml, *.dvc pointer files or Git LFS data patterns.",
               [Evidence(None, None, "searched for dvc.yaml, *.dvc pointer files or Git LFS data patterns")]),
        Result(rule("DATA003", "DATA", "high", slug="data-validation"), "error",
               "Check could not run: internal error in check: KeyError: 'x'."),
        Result(rule("CI001", "CI", "high", slug="ci-configured", profile="team"), "pass",
               "Found .github/workflows/lint.yml.", [Evidence(".github/workflows/lint.yml", None, "GitHub Actions")]),
        Result(rule("CI002", "CI", "high", slug="ci-runs-tests", title="CI runs the test suite",
                    fix="Add a CI job that installs the project and runs `pytest`.", profile="team"), "fail",
               "Not found: a CI job running pytest, unittest, tox or nox.",
               [Evidence(None, None, "searched for a CI job running pytest, unittest, tox or nox")]),
        Result(rule("CI004", "CI", "low", slug="ci-multi-environment", profile="production"), "n/a",
               "Not applicable: no ML code."),
        Result(rule("TEAM001", "TEAM", "high", slug="readme"), "pass", "Found README.md.",
               [Evidence("README.md", None, "setup section")]),
        Result(rule("TEAM002", "TEAM", "low", slug="code-ownership", profile="team"), "disabled",
               "Disabled by configuration (select/ignore)."),
        Result(rule("TEAM007", "TEAM", "low", slug="decision-records", profile="production"), "waived",
               "Waived (until 2027-06-30): We record decisions in the wiki.",
               waiver_reason="We record decisions in the wiki."),
        Result(rule("TEAM006", "TEAM", "low", slug="license"), "fail", "Not found: a LICENSE file.",
               [Evidence(None, None, "searched for a LICENSE file")]),
    ]


def sample_report(*, threshold: float | None = 70, target: str = "./repo", results=None) -> Report:
    results = sample_results() if results is None else results
    return Report(tool_version="9.9.9", target_path=target,
                  git={"commit": "0123456789abcdef0123456789abcdef01234567", "branch": "main", "dirty": False},
                  profile="production", summary=summarise(results, threshold=threshold), results=results,
                  problems=[Problem("params.yaml", "unparsable YAML: mapping values are not allowed here")],
                  duration_ms=42, notices=["waiver for MON001 expired on 2024-01-01; the rule is checked again"])


def by_id(report: Report) -> dict[str, Result]:
    return {r.rule.id: r for r in report.results}


def test_sample_report_covers_every_status():
    report = sample_report()
    assert {r.status for r in report.results} == {"pass", "fail", "n/a", "waived", "disabled", "error"}
    assert report.summary.threshold_met is False  # so threshold wording is exercised


def test_fix_location_prefers_own_evidence_then_known_files_then_convention():
    report = sample_report()
    r = by_id(report)
    assert fix_location(r["VCS005"], report) == ("src/settings.py", 12)
    # CI002 has no file of its own: an existing workflow (seen in CI001's evidence) is where the fix goes
    assert fix_location(r["CI002"], report) == (".github/workflows/lint.yml", None)
    assert fix_location(r["TEAM006"], report) == ("LICENSE", None)
    # nothing known and no convention: the README
    assert fix_location(r["DATA001"], report) == ("README.md", None)
    without_ci = sample_report(results=[x for x in sample_results() if x.rule.id != "CI001"])
    assert fix_location(by_id(without_ci)["CI002"], without_ci) == (".github/workflows/", None)


def test_split_code_spans_and_redundant_evidence():
    assert split_code_spans("run `pytest -q` now") == [(False, "run "), (True, "pytest -q"), (False, " now")]
    assert split_code_spans("a lone ` tick") == [(False, "a lone ` tick")]
    r = by_id(sample_report())
    assert redundant_evidence(r["DATA001"]) is True  # "searched for X" repeats "Not found: X"
    assert redundant_evidence(r["VCS005"]) is False


def test_every_registered_format_renders_the_sample():
    report = sample_report()
    for fmt in FORMATS:
        out = render(fmt, report)
        assert isinstance(out, str) and out.strip(), fmt


def test_output_plan_keeps_the_contract_and_adds_format_file(tmp_path):
    assert plan("json", (), FORMATS) == [Destination("json", None)]
    assert plan("json", ("out.json",), FORMATS) == [Destination("json", "out.json")]
    dests = plan("text", ("sarif:a.sarif", "markdown:b.md"), FORMATS)
    assert dests == [Destination("text", None), Destination("sarif", "a.sarif"), Destination("markdown", "b.md")]
    assert split_target("C:/x/report.json", FORMATS) == (None, "C:/x/report.json")
    assert split_target("notes:x.txt", FORMATS) == (None, "notes:x.txt")
    with pytest.raises(OutputError, match="more than once"):
        plan("text", ("a.txt", "b.txt"), FORMATS)
    with pytest.raises(OutputError, match="would be written there"):
        plan("json", ("same.out", "sarif:same.out"), FORMATS)
