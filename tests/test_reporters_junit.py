"""JUnit XML: one test case per rule, one suite per category, in the subset GitLab, Jenkins and
Azure DevOps read (testsuites > testsuite > testcase with failure / error / skipped)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.reporters import render
from tests.helpers import SAMPLES, make_repo
from tests.test_reporters_common import NASTY, sample_report

ALLOWED_CHILDREN = {"testsuites": {"testsuite"}, "testsuite": {"properties", "testcase"},
                    "properties": {"property"}, "testcase": {"failure", "error", "skipped", "system-out"}}


def parse(report) -> ET.Element:
    return ET.fromstring(render("junit", report).encode("utf-8"))


def cases(root: ET.Element) -> dict[str, ET.Element]:
    return {tc.get("name").split()[0]: tc for tc in root.iter("testcase")}


def check_structure(root: ET.Element) -> None:
    """The common JUnit shape: only known elements, counts that add up, required attributes."""
    assert root.tag == "testsuites"
    for el in root.iter():
        if el.tag in ALLOWED_CHILDREN:
            assert {c.tag for c in el} <= ALLOWED_CHILDREN[el.tag], el.tag
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in root.findall("testsuite"):
        tcs = suite.findall("testcase")
        got = {"tests": len(tcs), "failures": sum(tc.find("failure") is not None for tc in tcs),
               "errors": sum(tc.find("error") is not None for tc in tcs),
               "skipped": sum(tc.find("skipped") is not None for tc in tcs)}
        assert {k: int(suite.get(k)) for k in got} == got, suite.get("name")
        for k in total:
            total[k] += got[k]
        for tc in tcs:
            assert tc.get("classname") and tc.get("name") and tc.get("time") is not None
            assert sum(tc.find(t) is not None for t in ("failure", "error", "skipped")) <= 1
    assert {k: int(root.get(k)) for k in total} == total


def test_one_suite_per_category_one_case_per_rule():
    report = sample_report()
    root = parse(report)
    check_structure(root)
    suites = root.findall("testsuite")
    assert [s.get("name").split(" · ")[0] for s in suites] == ["VCS", "DATA", "CI", "TEAM"]
    assert sorted(cases(root)) == sorted(r.rule.id for r in report.results)
    assert {tc.get("classname") for tc in suites[2].findall("testcase")} == {"mlaudit.CI"}
    props = {p.get("name"): p.get("value") for p in suites[0].find("properties")}
    assert props["grade"] == report.summary.grade and props["category"] == "VCS"


def test_statuses_map_to_failure_error_skipped():
    tc = cases(parse(sample_report()))
    failure = tc["CI002"].find("failure")
    assert failure is not None and failure.get("type") == "high"
    assert failure.get("message").startswith("Not found: a CI job running pytest")
    assert "Fix: Add a CI job that installs the project and runs `pytest`." in failure.text
    assert tc["DATA003"].find("error") is not None
    for rid, status in (("CI004", "n/a"), ("TEAM007", "waived"), ("TEAM002", "disabled")):
        skipped = tc[rid].find("skipped")
        assert skipped is not None and skipped.get("message").startswith(status + ":")
    assert "We record decisions in the wiki." in tc["TEAM007"].find("skipped").get("message")
    passed = tc["TEAM001"]
    assert passed.find("failure") is None and passed.find("skipped") is None
    assert "README.md" in passed.find("system-out").text


def test_repository_text_is_escaped_not_injected():
    tc = cases(parse(sample_report()))
    text = tc["VCS006"].find("failure").text
    assert NASTY in text  # survived the round trip as text, not as markup
    assert "weird dir/fi`le<1>.ipynb" in text


def test_control_characters_do_not_break_the_xml():
    report = sample_report()
    report.results[2].evidence[0] = type(report.results[2].evidence[0])("x.py", 1, "bell\x07 and nul\x00 end")
    tc = cases(parse(report))
    assert "bell and nul end" in tc["VCS006"].find("failure").text


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.iterdir() if p.is_dir()))
def test_real_audits_parse(sample):
    result = CliRunner().invoke(cli, [str(SAMPLES / sample), "-f", "junit", "--no-config"])
    assert result.exit_code == 0, result.output
    root = ET.fromstring(result.output.encode("utf-8"))
    check_structure(root)
    assert int(root.get("tests")) == len(list(root.iter("testcase"))) > 0


def test_junit_file_and_exit_code(tmp_path: Path):
    repo = make_repo(tmp_path, {"README.md": "# demo\n"})
    out = tmp_path / "mlaudit-junit.xml"
    result = CliRunner().invoke(cli, [str(repo), "--no-config", "-f", "junit", "-o", str(out), "--fail-under", "100"])
    root = ET.parse(out).getroot()
    check_structure(root)
    assert int(root.get("failures")) > 0 and result.exit_code == 1
