"""Badges: the shields.io endpoint JSON and the self-contained SVG, and `mlaudit badge`."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner

from auditor.cli import cli
from auditor.reporters import render
from auditor.reporters.badge import COLOURS, text_width
from tests.helpers import make_repo
from tests.test_reporters_common import sample_report, sample_results

SVG = "{http://www.w3.org/2000/svg}"


def test_endpoint_json_follows_the_shields_schema():
    report = sample_report()
    data = json.loads(render("badge", report))
    assert data == {"schemaVersion": 1, "label": "mlaudit",
                    "message": f"{report.summary.score:.1f} · {report.summary.grade}",
                    "color": COLOURS[report.summary.grade]}


def test_colour_follows_the_grade():
    passing = [r for r in sample_results() if r.status == "pass"]
    assert json.loads(render("badge", sample_report(results=passing)))["color"] == "brightgreen"
    assert json.loads(render("badge", sample_report()))["color"] == "red"  # grade F
    unscored = json.loads(render("badge", sample_report(results=[r for r in sample_results()
                                                                  if r.status == "n/a"])))
    assert unscored["message"] == "not scored" and unscored["color"] == "lightgrey"


def test_svg_is_well_formed_self_contained_and_says_the_score():
    report = sample_report()
    svg = render("badge-svg", report)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    message = f"{report.summary.score:.1f} · {report.summary.grade}"
    assert "mlaudit" in texts and message in texts
    assert root.find(f"{SVG}title").text == f"mlaudit: {message}"
    for el in root.iter():
        for name, value in el.attrib.items():
            assert "http" not in value or name == "xmlns", (el.tag, name, value)
        assert el.tag not in (f"{SVG}image", f"{SVG}script", f"{SVG}foreignObject")
    # the message box is wide enough for its text
    rects = [r for r in root.iter(f"{SVG}rect") if r.get("x")]
    assert int(rects[0].get("width")) >= text_width(message)
    assert int(root.get("width")) == int(rects[0].get("x")) + int(rects[0].get("width"))


def test_badge_command_writes_both_files(tmp_path: Path):
    repo = make_repo(tmp_path, {"README.md": "# demo\n"})
    j, s = tmp_path / "out" / "badge.json", tmp_path / "out" / "badge.svg"
    result = CliRunner().invoke(cli, ["badge", str(repo), "--no-config", "--json", str(j), "--svg", str(s)])
    assert result.exit_code == 0, result.output
    data = json.loads(j.read_text(encoding="utf-8"))
    assert data["schemaVersion"] == 1 and data["message"] in result.output
    assert data["message"] in [t.text for t in ET.parse(s).getroot().iter(f"{SVG}text")]
    # same contract as the audit: below the threshold is exit 1 (the badge is still written)
    j.unlink()
    result = CliRunner().invoke(cli, ["badge", str(repo), "--no-config", "--json", str(j), "--svg", "",
                                      "--fail-under", "100"])
    assert result.exit_code == 1 and j.is_file()
    assert CliRunner().invoke(cli, ["badge", str(tmp_path / "missing")]).exit_code == 2


def test_format_badge_on_stdout(tmp_path: Path):
    repo = make_repo(tmp_path, {"README.md": "# demo\n"})
    result = CliRunner().invoke(cli, [str(repo), "--no-config", "-f", "badge"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["label"] == "mlaudit"
