"""Baselines: record today's failures, then gate only on new ones while reporting all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.baseline import BaselineError, compare, dumps, load, notices, parse
from auditor.cli import cli
from tests.helpers import make_repo
from tests.test_reporters_common import sample_report

RULES = """
[[rule]]
id = "XB001"
slug = "has-readme"
title = "The repo has a README"
category = "XB"
severity = "high"
profile = "research"
rationale = "People need to know what it is."
fix = "Write a README.md."
check = { file = "README.md" }

[[rule]]
id = "XB002"
slug = "has-license"
title = "The repo has a licence"
category = "XB"
severity = "low"
profile = "research"
rationale = "Reuse needs a licence."
fix = "Add a LICENSE file."
check = { file = "LICENSE" }

[[rule]]
id = "XB003"
slug = "has-changelog"
title = "The repo has a changelog"
category = "XB"
severity = "medium"
profile = "research"
rationale = "Users need to know what changed."
fix = "Add CHANGELOG.md."
check = { file = "CHANGELOG.md" }
"""


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def setup(tmp_path: Path):
    (tmp_path / "xb.toml").write_text(RULES, encoding="utf-8")
    cfg = tmp_path / "cfg.toml"
    cfg.write_text('rule-paths = ["xb.toml"]\nselect = ["XB"]\n', encoding="utf-8")
    repo = make_repo(tmp_path, {"README.md": "# demo\n"})
    return repo, cfg, tmp_path / "baseline.json"


def test_record_is_sorted_stable_and_only_failures():
    report = sample_report()
    data = json.loads(dumps(report))
    assert data["mlaudit-baseline"] == 1 and data["profile"] == "production"
    assert [e["id"] for e in data["failing"]] == ["CI002", "DATA001", "TEAM006", "VCS005", "VCS006"]
    assert dumps(report) == dumps(sample_report())  # no timestamp: same state, same file


def test_compare_new_known_fixed():
    base = parse(json.dumps({"mlaudit-baseline": 1, "failing": ["VCS005", {"id": "CI002"}, "TEAM001", "TEAM007"]}),
                 "b.json")
    cmp = compare(sample_report(), base)
    assert [r.rule.id for r in cmp.known] == ["VCS005", "CI002"]
    assert [r.rule.id for r in cmp.new] == ["VCS006", "DATA001", "TEAM006"]
    assert cmp.fixed == ["TEAM001"]  # passes now; TEAM007 is waived, so not "fixed"
    assert cmp.ok is False
    text = " ".join(notices(cmp, base))
    assert "3 new failure(s)" in text and "VCS006, DATA001, TEAM006" in text and "TEAM001 no longer fail" in text
    everything = parse(dumps(sample_report()), "all.json")
    assert compare(sample_report(), everything).ok


@pytest.mark.parametrize("content, needle", [
    ("not json", "invalid JSON"),
    ('{"failing": []}', "no 'mlaudit-baseline' key"),
    ('{"mlaudit-baseline": 7, "failing": []}', "not supported"),
    ('{"mlaudit-baseline": 1, "failing": [3]}', "failing[0]"),
])
def test_bad_baseline_files(tmp_path: Path, content, needle):
    f = tmp_path / "b.json"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(BaselineError, match=needle.replace("[", r"\[").replace("]", r"\]")):
        load(f)
    with pytest.raises(BaselineError, match="not found"):
        load(tmp_path / "missing.json")


def test_ratchet_end_to_end(setup):
    repo, cfg, base = setup
    recorded = run("baseline", str(repo), "--config", str(cfg), "-o", str(base))
    assert recorded.exit_code == 0, recorded.output
    assert "recorded 2 failing rule(s)" in recorded.output
    assert [e["id"] for e in json.loads(base.read_text())["failing"]] == ["XB002", "XB003"]

    # known failures only: exit 0 even below --fail-under, and the report still shows them
    gate = run(str(repo), "--config", str(cfg), "--baseline", str(base), "--fail-under", "100")
    assert gate.exit_code == 0, gate.output
    assert "XB002" in gate.output and "XB003" in gate.output and "no new failures" in gate.output
    without = run(str(repo), "--config", str(cfg), "--fail-under", "100")
    assert without.exit_code == 1  # the same run without the baseline fails the threshold

    # a new failure: exit 1, named in every format's notices
    (repo / "README.md").unlink()
    gate = run(str(repo), "--config", str(cfg), "--baseline", str(base), "-f", "json")
    assert gate.exit_code == 1
    data = json.loads(gate.output)
    assert any("new failure(s) not in the baseline: XB001" in n for n in data["notices"])
    assert {r["id"]: r["status"] for r in data["results"] if r["id"].startswith("XB")} == {
        "XB001": "fail", "XB002": "fail", "XB003": "fail"}
    assert run(str(repo), "--config", str(cfg), "--baseline", str(base), "--exit-zero").exit_code == 0

    # a fixed rule is reported so the baseline can be tightened
    (repo / "README.md").write_text("# demo\n")
    (repo / "LICENSE").write_text("MIT\n")
    gate = run(str(repo), "--config", str(cfg), "--baseline", str(base), "-f", "markdown")
    assert gate.exit_code == 0
    assert "XB002 no longer fail" in gate.output


def test_baseline_usage_errors_exit_2(setup, tmp_path: Path):
    repo, cfg, base = setup
    missing = run(str(repo), "--config", str(cfg), "--baseline", str(tmp_path / "nope.json"))
    assert missing.exit_code == 2 and "baseline file not found" in missing.output
    base.write_text("{", encoding="utf-8")
    bad = run(str(repo), "--config", str(cfg), "--baseline", str(base))
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    unwritable = run("baseline", str(repo), "--config", str(cfg), "-o", str(repo / "README.md" / "x.json"))
    assert unwritable.exit_code == 2 and "cannot write" in unwritable.output

