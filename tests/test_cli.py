"""The CLI contract: commands, options, exit codes 0/1/2, config handling, JSON schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from auditor.cli import cli
from tests.helpers import ROOT, SAMPLES, make_repo

USER_RULES = """
[[rule]]
id = "XT001"
slug = "has-readme"
title = "The repo has a README"
category = "XT"
severity = "high"
profile = "research"
rationale = "People need to know what it is."
fix = "Write a README.md."
check = { file = { glob = "README*", ignore-case = true } }

[[rule]]
id = "XT002"
slug = "has-ruff"
title = "Ruff is configured"
category = "XT"
severity = "low"
profile = "team"
rationale = "Linters catch bugs."
fix = "Add [tool.ruff] to pyproject.toml."
na-when = "no Python files"
not-applicable = { not = { file = "*.py" } }
check = { toml-key = { key = "tool.ruff" } }

[[rule]]
id = "XT003"
slug = "prod-only"
title = "A production-only rule"
category = "XT"
severity = "medium"
profile = "production"
rationale = "r"
fix = "Add DEPLOY.md."
check = { file = "DEPLOY.md" }
"""


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), env=env or {})


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "xt_rules.toml").write_text(USER_RULES)  # for --config files in tmp_path
    root = make_repo(tmp_path, {
        "README.md": "# demo\n",
        "main.py": "print('hi')\n",
        "audit_rules/xt.toml": USER_RULES,
        "pyproject.toml": '[tool.mlaudit]\nrule-paths = ["audit_rules"]\nselect = ["XT"]\n',
    })
    return root


def report_json(result) -> dict:
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


def test_bare_path_and_check_are_the_same(repo):
    a = run(str(repo), "--config", str(repo / "pyproject.toml"), "-f", "json")
    b = run("check", str(repo), "--config", str(repo / "pyproject.toml"), "-f", "json")
    ja, jb = report_json(a), report_json(b)
    ja.pop("duration_ms"), jb.pop("duration_ms")
    assert ja == jb


def test_statuses_and_profile(repo):
    cfg = str(repo / "pyproject.toml")
    data = report_json(run(str(repo), "--config", cfg, "-f", "json"))
    by_id = {r["id"]: r for r in data["results"]}
    assert by_id["XT001"]["status"] == "pass"
    assert by_id["XT001"]["evidence"][0]["path"] == "README.md"
    assert by_id["XT002"]["status"] == "fail"
    assert by_id["XT002"]["message"] == "No evidence that ruff is configured."
    assert any("tool.ruff" in e["detail"] for e in by_id["XT002"]["evidence"])  # what was searched
    assert by_id["XT003"]["status"] == "fail"
    research = report_json(run(str(repo), "--config", cfg, "-f", "json", "--profile", "research"))
    assert [r["id"] for r in research["results"] if r["id"].startswith("XT")] == ["XT001"]
    # rules outside the selection are reported as disabled, never silently dropped
    assert {r["status"] for r in research["results"] if not r["id"].startswith("XT")} <= {"disabled"}
    assert research["profile"] == "research"


def test_not_applicable(repo):
    (repo / "main.py").unlink()
    data = report_json(run(str(repo), "--config", str(repo / "pyproject.toml"), "-f", "json"))
    xt2 = next(r for r in data["results"] if r["id"] == "XT002")
    assert xt2["status"] == "n/a"
    assert "no Python files" in xt2["message"]


def test_fail_under_and_exit_zero(repo):
    cfg = str(repo / "pyproject.toml")
    # XT001 pass (7.5), XT002 fail (2.5), XT003 fail (5) -> 50.0
    assert report_json(run(str(repo), "--config", cfg, "-f", "json"))["summary"]["score"] == 50.0
    assert run(str(repo), "--config", cfg, "--fail-under", "50").exit_code == 0
    assert run(str(repo), "--config", cfg, "--fail-under", "50.1").exit_code == 1
    assert run(str(repo), "--config", cfg, "--fail-under", "90", "--exit-zero").exit_code == 0


def test_config_fail_under_is_used(repo):
    (repo / "pyproject.toml").write_text('[tool.mlaudit]\nrule-paths = ["audit_rules"]\n'
                                         'select = ["XT"]\nfail-under = 80\n')
    result = run(str(repo))
    assert result.exit_code == 1
    assert "Threshold 80: NOT met" in result.output


def test_repo_config_cannot_load_rules_from_outside(repo):
    (repo / "pyproject.toml").write_text('[tool.mlaudit]\nrule-paths = ["../xt_rules.toml"]\n')
    result = run(str(repo))
    assert result.exit_code == 2
    assert "inside the audited repository" in result.output


def test_select_and_ignore_mark_rules_disabled(repo):
    cfg = str(repo / "pyproject.toml")
    data = report_json(run(str(repo), "--config", cfg, "-f", "json", "--ignore", "XT002,XT003"))
    statuses = {r["id"]: r["status"] for r in data["results"] if r["id"].startswith("XT")}
    assert statuses == {"XT001": "pass", "XT002": "disabled", "XT003": "disabled"}
    assert data["summary"]["score"] == 100.0
    assert data["summary"]["counts"]["disabled"] == len(data["results"]) - 1


def test_waivers_apply_until_they_expire(repo, tmp_path):
    cfg = tmp_path / "cfg.toml"
    cfg.write_text('rule-paths = ["xt_rules.toml"]\nselect = ["XT"]\n'
                   '[[waivers]]\nrule = "XT003"\nreason = "No deployment yet."\nexpires = 2999-01-01\n'
                   '[[waivers]]\nrule = "XT002"\nreason = "Old waiver."\nexpires = "2000-01-01"\n')
    data = report_json(run(str(repo), "--config", str(cfg), "-f", "json"))
    by_id = {r["id"]: r for r in data["results"]}
    assert by_id["XT003"]["status"] == "waived"
    assert by_id["XT003"]["waiver"]["reason"] == "No deployment yet."
    assert by_id["XT002"]["status"] == "fail"  # expired: checked again
    assert any("expired" in n and "XT002" in n for n in data["notices"])
    text = run(str(repo), "--config", str(cfg)).output
    assert "No deployment yet." in text and "expired" in text


@pytest.mark.parametrize("content, needle", [
    ('[tool.mlaudit]\nprofile = "prod"\n', "tool.mlaudit.profile"),
    ('[tool.mlaudit]\nfail-under = "high"\n', "tool.mlaudit.fail-under"),
    ('[tool.mlaudit]\nfail_under = 3\n', "fail_under"),
    ('[tool.mlaudit]\nselect = "CI"\n', "tool.mlaudit.select"),
    ('[tool.mlaudit]\n[[tool.mlaudit.waivers]]\nrule = "CI001"\n', "reason"),
    ('[tool.mlaudit\n', "invalid TOML"),
])
def test_bad_config_is_one_line_exit_2(tmp_path, content, needle):
    root = make_repo(tmp_path, {"pyproject.toml": content})
    result = CliRunner(mix_stderr=False).invoke(cli, [str(root)]) if _has_mix_stderr() else run(str(root))
    assert result.exit_code == 2
    err = (result.stderr if _has_mix_stderr() else result.output).strip()
    assert "pyproject.toml" in err and needle in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def _has_mix_stderr() -> bool:
    import inspect

    return "mix_stderr" in inspect.signature(CliRunner.__init__).parameters


def test_no_config_ignores_repo_config(tmp_path):
    root = make_repo(tmp_path, {"pyproject.toml": '[tool.mlaudit]\nprofile = "nonsense"\n'})
    result = run(str(root), "--no-config", "-f", "json")
    assert result.exit_code in (0, 1), result.output
    assert json.loads(result.output)["profile"] == "production"


def test_unknown_selector_is_usage_error(repo):
    result = run(str(repo), "--select", "NOPE999")
    assert result.exit_code == 2
    assert "NOPE999" in result.output


def test_missing_path_and_bad_format_exit_2(tmp_path):
    r = run(str(tmp_path / "missing"))
    assert r.exit_code == 2 and "does not exist" in r.output
    assert run(str(tmp_path), "-f", "xml").exit_code == 2
    f = tmp_path / "file.txt"
    f.write_text("x")
    r = run(str(f))
    assert r.exit_code == 2 and "not a directory" in r.output


def test_output_file(repo, tmp_path):
    out = tmp_path / "report.json"
    result = run(str(repo), "--config", str(repo / "pyproject.toml"), "-f", "json", "-o", str(out))
    assert result.exit_code == 0 and result.output == ""
    assert json.loads(out.read_text())["tool"]["name"] == "mlaudit"


def test_text_report_shows_failures_with_fix_and_scores(repo):
    result = run(str(repo), "--config", str(repo / "pyproject.toml"))
    out = result.output
    assert "\033[" not in out  # not a TTY: no colour
    assert "Failed rules (2)" in out
    assert out.index("XT002") < out.index("Scores")
    assert "fix: Add [tool.ruff] to pyproject.toml." in out
    assert "Overall score 50.0 / 100 · grade F" in out


def test_quiet_prints_only_the_score(repo):
    out = run(str(repo), "--config", str(repo / "pyproject.toml"), "-q").output
    assert out.startswith("Overall score 50.0")
    assert len(out.strip().splitlines()) == 1


def test_verbose_lists_passes(repo):
    out = run(str(repo), "--config", str(repo / "pyproject.toml"), "-v").output
    assert "Passed and not applicable" in out and "XT001" in out


def test_json_report_validates_against_schema(repo):
    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
    data = report_json(run(str(repo), "--config", str(repo / "pyproject.toml"), "-f", "json"))
    jsonschema.validate(data, schema)
    assert data["target"]["git"] is None


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.iterdir() if p.is_dir()))
def test_sample_reports_validate_against_schema(sample):
    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
    result = run(str(SAMPLES / sample), "-f", "json", "--no-config")
    jsonschema.validate(report_json(result), schema)


def test_rules_and_explain_commands():
    listing = run("rules", "--format", "json")
    assert listing.exit_code == 0
    rules = json.loads(listing.output)
    for r in rules:
        assert {"id", "slug", "title", "category", "severity", "profile"} <= set(r)
    if rules:
        first = rules[0]
        out = run("explain", first["id"]).output
        assert first["slug"] in out and "Why it matters" in out and "How to fix" in out
        assert run("explain", first["slug"]).exit_code == 0
    bad = run("explain", "NOPE001")
    assert bad.exit_code == 2 and "unknown rule" in bad.output


def test_broken_user_rule_file_is_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rule]]\nid = "X1"\n')
    cfg = tmp_path / "cfg.toml"
    cfg.write_text('rule-paths = ["bad.toml"]\n')
    result = run(str(tmp_path), "--config", str(cfg))
    assert result.exit_code == 2 and "bad.toml" in result.output and "Traceback" not in result.output


def test_unknown_python_check_is_a_rule_file_error(tmp_path):
    (tmp_path / "r.toml").write_text(
        '[[rule]]\nid = "XE001"\nslug = "x"\ntitle = "x"\ncategory = "XE"\nseverity = "low"\n'
        'profile = "research"\nrationale = "r"\nfix = "f"\ncheck = { python = "nosuch.check" }\n')
    (tmp_path / "cfg.toml").write_text('rule-paths = ["r.toml"]\nselect = ["XE"]\n')
    result = run(str(tmp_path), "--config", str(tmp_path / "cfg.toml"), "-f", "json")
    assert result.exit_code == 2
    assert "r.toml" in result.output and "nosuch.check" in result.output


def test_check_error_becomes_error_status(tmp_path, monkeypatch):
    """A check that raises at run time yields status `error`; the audit goes on."""
    import auditor.predicates.files as files

    def boom(ctx, value):
        raise ValueError("disk on fire")

    monkeypatch.setattr(files, "file_exists", boom)
    monkeypatch.setattr("auditor.predicates._cache", {})
    (tmp_path / "r.toml").write_text(
        '[[rule]]\nid = "XE001"\nslug = "x"\ntitle = "x"\ncategory = "XE"\nseverity = "low"\n'
        'profile = "research"\nrationale = "r"\nfix = "f"\ncheck = { file = "x" }\n'
        '[[rule]]\nid = "XE002"\nslug = "y"\ntitle = "y"\ncategory = "XE"\nseverity = "low"\n'
        'profile = "research"\nrationale = "r"\nfix = "f"\ncheck = { toml-key = { key = "a" } }\n')
    (tmp_path / "cfg.toml").write_text('rule-paths = ["r.toml"]\nselect = ["XE"]\n')
    data = report_json(run(str(tmp_path), "--config", str(tmp_path / "cfg.toml"), "-f", "json"))
    by_id = {r["id"]: r for r in data["results"]}
    assert by_id["XE001"]["status"] == "error" and "disk on fire" in by_id["XE001"]["message"]
    assert by_id["XE002"]["status"] == "fail"
    assert data["summary"]["counts"]["error"] == 1


def test_text_report_neutralises_terminal_escapes_in_file_names(tmp_path):
    """A file name is attacker-controlled: its escape sequences must not reach the terminal."""
    root = make_repo(tmp_path, {"README.md": "# x\n"})
    evil = root / "data\x1b]0;pwned\x07\x1b[31m.pkl"
    evil.write_bytes(b"\x80\x04" + b"x" * 200_000)  # a pickle over 100 KiB: VCS004 names it
    result = run(str(root), "--no-config", "--select", "VCS004")
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\\x1b]0;pwned" in result.output


def test_the_command_exits_without_teardown_yet_delivers_everything(tmp_path):
    """`mlaudit` ends with `os._exit` after flushing (auditor/cli.py:_exit_now): the exit
    codes stay those of the contract, and piped output and report files arrive whole."""
    import subprocess
    import sys

    from tests.helpers import copy_sample

    repo = copy_sample("halfway", tmp_path)

    def cli_run(*args):
        return subprocess.run([sys.executable, "-m", "auditor", *args], capture_output=True, text=True,
                              cwd=ROOT)

    piped = cli_run(str(repo), "-f", "json")
    assert piped.returncode == 0
    assert len(json.loads(piped.stdout)["results"]) >= 40          # the whole report came through
    below = cli_run(str(repo), "--fail-under", "99", "-q")
    assert below.returncode == 1 and "Threshold 99: NOT met" in below.stdout
    out = tmp_path / "report.sarif"
    written = cli_run(str(repo), "-f", "sarif", "-o", str(out))
    assert written.returncode == 0 and json.loads(out.read_text())["runs"]
    missing = cli_run(str(tmp_path / "nope"))
    assert missing.returncode == 2 and missing.stderr.startswith("mlaudit: error:")
    assert "Traceback" not in missing.stderr
