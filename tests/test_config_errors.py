"""Every malformed or wrongly typed configuration value is one clear line on stderr naming the
file and the key, and exit 2 — never a traceback, never a half-run audit."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from tests.helpers import make_repo
from tests.hostile import make_fifo

# (TOML body, the key the message must name)
CASES = [
    ('profile = "prod"', "profile"),
    ("profile = 3", "profile"),
    ('fail-under = "high"', "fail-under"),
    ("fail-under = 150", "fail-under"),
    ("fail-under = -1", "fail-under"),
    ('select = "DATA"', "select"),
    ("select = [1]", "select[0]"),
    ('select = ["data"]', "select[0]"),
    ('ignore = [["CODE"]]', "ignore[0]"),
    ('select = ["ZZZ"]', "select"),
    ('exclude = "vendor"', "exclude"),
    ('exclude = [""]', "exclude[0]"),
    ('exclude = ["*a*a*a*b"]', "exclude[0]"),
    ("max-file-mb = 0", "max-file-mb"),
    ('max-file-mb = "10"', "max-file-mb"),
    ('rule-paths = "rules"', "rule-paths"),
    ('rule-paths = ["missing_dir"]', "missing_dir"),
    ("category-weights = { data = 2 }", "category-weights"),
    ("category-weights = { DATA = -1 }", "category-weights.DATA"),
    ('category-weights = { DATA = "x" }', "category-weights.DATA"),
    ("category-weights = [1]", "category-weights"),
    ('severity = { TRAIN007 = "urgent" }', "severity.TRAIN007"),
    ('severity = { bad = "low" }', "severity"),
    ('waivers = [{ rule = "MON001" }]', "waivers[0]"),
    ('waivers = [{ rule = "MON001", reason = "   " }]', "waivers[0].reason"),
    ('waivers = [{ rule = "MON001", reason = "x", expires = "2027-13-45" }]', "waivers"),
    ('waivers = [{ rule = "MON001", reason = "x", expires = "soon" }]', "waivers[0].expires"),
    ('waivers = [{ rule = "MON001", reason = "x", expires = 2027 }]', "waivers[0].expires"),
    ('waivers = [{ rule = "mon1", reason = "x" }]', "waivers[0].rule"),
    ('waivers = [{ rule = "MON001", reason = "x", by = "me" }]', "waivers[0]"),
    ("waivers = { rule = 1 }", "waivers"),
    ('profil = "team"', "profil"),
    ("file-budget-ms = 0", "file-budget-ms"),
    ('file-budget-ms = "fast"', "file-budget-ms"),
    ("file-budget-ms = 1e12", "file-budget-ms"),
]


def run(root: Path, *args: str, env: dict | None = None):
    return CliRunner().invoke(cli, [str(root), "--no-cache", *args], env=env or {})


def assert_config_error(result, *needles: str) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("mlaudit: error: ")
    assert result.stdout == ""  # no report was printed
    for needle in needles:
        assert needle in err, (needle, err)
    return err


@pytest.mark.parametrize("body, key", CASES, ids=[c[0][:40] for c in CASES])
def test_bad_values_in_mlaudit_toml(tmp_path: Path, body: str, key: str):
    root = make_repo(tmp_path, {"README.md": "# r\n", ".mlaudit.toml": body + "\n"})
    assert_config_error(run(root), ".mlaudit.toml", key)


@pytest.mark.parametrize("body, key", CASES[:12], ids=[c[0][:40] for c in CASES[:12]])
def test_bad_values_in_pyproject_name_the_tool_table(tmp_path: Path, body: str, key: str):
    root = make_repo(tmp_path, {"README.md": "# r\n", "pyproject.toml": "[tool.mlaudit]\n" + body + "\n"})
    err = assert_config_error(run(root), "pyproject.toml", key)
    if key != "select":  # unknown selectors are reported against the key as written
        assert "tool.mlaudit." in err


@pytest.mark.parametrize("body, key", CASES[:8], ids=[c[0][:40] for c in CASES[:8]])
def test_bad_values_in_a_config_given_on_the_command_line(tmp_path: Path, body: str, key: str):
    root = make_repo(tmp_path, {"README.md": "# r\n"})
    cfg = tmp_path / "ci-config.toml"
    cfg.write_text(body + "\n")
    assert_config_error(run(root, "--config", str(cfg)), "ci-config.toml", key)


@pytest.mark.parametrize("name, content, needle", [
    (".mlaudit.toml", b"profile = \n", "invalid TOML"),
    (".mlaudit.toml", b"[profile\n", "invalid TOML"),
    (".mlaudit.toml", b"profile = 'team'\nprofile = 'research'\n", "invalid TOML"),
    (".mlaudit.toml", b"profile = \"t\xffeam\"\n", "not UTF-8"),
    (".mlaudit.toml", b"\x00\x01\x02", "invalid TOML"),
    ("pyproject.toml", b"[tool]\nmlaudit = 5\n", "must be a table"),
    ("pyproject.toml", b"[tool.mlaudit\n", "invalid TOML"),
    ("mlaudit.toml", b"a = " + b"[" * 5000 + b"]" * 5000, "mlaudit.toml"),
])
def test_unparsable_config_files(tmp_path: Path, name: str, content: bytes, needle: str):
    root = make_repo(tmp_path, {"README.md": "# r\n", name: content})
    assert_config_error(run(root), name, needle)


def test_config_file_given_on_the_command_line_must_exist_and_be_a_file(tmp_path: Path):
    root = make_repo(tmp_path, {"README.md": "# r\n"})
    assert_config_error(run(root, "--config", str(tmp_path / "nope.toml")), "nope.toml")
    fifo = make_fifo(tmp_path / "fifo.toml")
    assert_config_error(run(root, "--config", str(fifo)), "fifo.toml")


def test_a_fifo_or_huge_config_in_the_repository_does_not_hang(tmp_path: Path):
    root = make_repo(tmp_path, {"README.md": "# r\n"})
    make_fifo(root / ".mlaudit.toml")  # not a regular file: not a config file at all
    result = run(root, "--exit-zero")
    assert result.exit_code == 0, result.output
    (root / ".mlaudit.toml").unlink()
    (root / "mlaudit.toml").write_text("# " + "x" * (2 * 1024 * 1024) + "\n")
    assert_config_error(run(root), "mlaudit.toml", "larger than")


def test_bad_command_line_values_are_usage_errors(tmp_path: Path):
    root = make_repo(tmp_path, {"README.md": "# r\n"})
    for args in (["--profile", "prod"], ["--fail-under", "abc"], ["--fail-under", "101"], ["--select", "NOPE999"]):
        result = run(root, *args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output


def test_a_valid_config_still_runs(tmp_path: Path):
    body = ('profile = "team"\nfail-under = 0\nexclude = ["vendor/**"]\nfile-budget-ms = 2000\n'
            'category-weights = { DATA = 2 }\nseverity = { CODE001 = "low" }\n'
            '[[waivers]]\nrule = "MON001"\nreason = "batch only"\nexpires = 2999-01-01\n')
    root = make_repo(tmp_path, {"README.md": "# r\n", ".mlaudit.toml": body})
    result = run(root, "-f", "json")
    assert result.exit_code == 0, result.output
