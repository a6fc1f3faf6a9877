"""User rule files cannot hang an audit or make it read outside the audited tree.

Unsafe patterns are refused when the rule file is loaded: exit 2 with one line naming the
rule file, the rule id and the pattern, before any rule runs.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.predicates import RuleError
from auditor.predicates.files import compile_pattern
from auditor.regex_guard import check_user_regex
from tests.helpers import make_repo
from tests.hostile import OpenRecorder, make_fifo, opened_under

SECRET = "TOPSECRET-rules-5f1e"


def rule(check: str, rid: str = "XU001") -> str:
    return (f'[[rule]]\nid = "{rid}"\nslug = "user-rule"\ntitle = "A user rule"\ncategory = "XU"\n'
            f'severity = "low"\nprofile = "research"\nrationale = "r"\nfix = "f"\ncheck = {check}\n')


def run(root: Path, *args: str, env: dict | None = None):
    return CliRunner().invoke(cli, [str(root), "--no-cache", *args], env=env or {})


def _repo_with_rules(tmp_path: Path, rules_text: str, files: dict | None = None) -> Path:
    return make_repo(tmp_path, {"README.md": "# r\n", "mlaudit.toml": 'rule-paths = ["audit_rules"]\n',
                                "audit_rules/custom.toml": rules_text, **(files or {})})


UNSAFE = [
    r".*.*.*x",
    r"\s*\s*\s*$",
    r"(a+)+$",
    r"(?:a|ab)*c",
    r"(\w)\1",
    r"\d+\w*",
    r"(x+x+)+y",
    r"a*b*c*d*e*f",  # more unbounded repeats than allowed
]


@pytest.mark.parametrize("pattern", UNSAFE)
def test_unsafe_user_patterns_are_config_errors_naming_file_rule_and_pattern(tmp_path: Path, pattern: str):
    toml_pattern = pattern.replace("\\", "\\\\")
    root = _repo_with_rules(tmp_path, rule(f'{{ text = {{ files = "*.md", pattern = "{toml_pattern}" }} }}'))
    result = run(root)
    assert result.exit_code == 2, result.output
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in result.output
    assert "custom.toml" in err and "XU001" in err and repr(pattern) in err, err


@pytest.mark.parametrize("check", [
    '{ ci-runs = "(a|aa)*b" }',
    '{ strings = { pattern = ".*.*" } }',
    '{ any = [ { file = "x" }, { not = { git-history = { pattern = "(x+)+" } } } ] }',
    '{ dependency = "\\\\s*\\\\s*" }',
])
def test_unsafe_patterns_in_any_predicate_or_nested_check_are_refused(tmp_path: Path, check: str):
    root = _repo_with_rules(tmp_path, rule(check))
    result = run(root)
    assert result.exit_code == 2 and "XU001" in result.stderr and "refused" in result.stderr, result.output


def test_unsafe_pattern_in_not_applicable_is_refused(tmp_path: Path):
    text = rule('{ file = "README.md" }').replace(
        "check =", 'not-applicable = { text = { files = "*", pattern = "(a*)*" } }\ncheck =')
    root = _repo_with_rules(tmp_path, text)
    assert run(root).exit_code == 2


@pytest.mark.parametrize("check, what", [
    ('{ text = { files = "*.md", pattern = "([unclosed" } }', "invalid regular expression"),
    ('{ file = "*a*a*a*b" }', "glob"),
    ('{ text = { files = "**/**/**/a/**/b/**/c", pattern = "x" } }', "glob"),
    ('{ python = "code.re" }', "not a built-in check"),
    ('{ python = { name = "os.system", command = "touch /tmp/pwned" } }', "not a built-in check"),
    ('{ python = "code._private" }', "not a built-in check"),
])
def test_other_unusable_user_rules_are_config_errors(tmp_path: Path, check: str, what: str):
    root = _repo_with_rules(tmp_path, rule(check))
    result = run(root)
    assert result.exit_code == 2 and what in result.stderr and "XU001" in result.stderr, result.output


SAFE = [r"import\s+torch", r"^\s*-\s*run:.*pytest", r"train.*loss.*backward", r"[A-Z]{2,}_KEY\s*=\s*\S+",
        r"(?i)dvc\s+(push|pull)", r"\bseed\b", r"mlflow\.log_(?:param|metric)s?"]


@pytest.mark.parametrize("pattern", SAFE)
def test_ordinary_user_patterns_are_accepted(pattern: str):
    check_user_regex(pattern)


def test_user_rules_run_and_match_line_by_line(tmp_path: Path):
    root = _repo_with_rules(tmp_path, rule('{ text = { files = "notes.txt", pattern = "needle" } }'),
                            {"notes.txt": "x" * 20000 + "needle\nhay\nthe needle\n"})
    result = run(root, "-f", "json", "--exit-zero")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    res = next(r for r in data["results"] if r["id"] == "XU001")
    assert res["status"] == "pass" and res["evidence"][0]["line"] == 3
    assert any("longer than 4096" in p["detail"] for p in data["problems"] if p["path"] == "notes.txt")


def test_accepted_but_polynomial_pattern_on_hostile_lines_is_bounded(tmp_path: Path):
    lines = ("a" * 4000 + "\n") * 2000  # `a.*b.*c.*d` backtracks on every line
    root = _repo_with_rules(tmp_path, rule('{ text = { files = "data.txt", pattern = "a.*b.*c.*d" } }'),
                            {"data.txt": lines})
    started = time.monotonic()
    result = run(root, "-f", "json", "--exit-zero", env={"MLAUDIT_FILE_BUDGET_MS": "1000"})
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 60
    data = json.loads(result.stdout)
    assert any("abandoned" in p["detail"] for p in data["problems"] if p["path"] == "data.txt")


def test_runtime_backstop_turns_an_unsafe_pattern_into_a_rule_error():
    with pytest.raises(RuleError, match="unsafe"):
        compile_pattern("(a+)+$", False, True)
    assert compile_pattern("(a+)+$", False, False).pattern == "(a+)+$"  # built-in rules are trusted


# ---------------------------------------------------------------- reading outside the tree
@pytest.fixture
def outside(tmp_path: Path) -> Path:
    d = tmp_path / "outside"
    d.mkdir()
    (d / "secret.md").write_text(f"{SECRET}\n")
    (d / "pyproject.toml").write_text(f'[tool.x]\nkey = "{SECRET}"\n')
    (d / "rules.toml").write_text(rule('{ file = "README.md" }', "XO001"))
    return d


def test_rule_globs_cannot_reach_outside_the_tree(tmp_path: Path, outside: Path):
    checks = [
        '{ text = { files = "../outside/secret.md", pattern = "TOP[S]ECRET" } }',
        f'{{ text = {{ files = "{outside}/secret.md", pattern = "TOP[S]ECRET" }} }}',
        '{ toml-key = { file = "../outside/pyproject.toml", key = "tool.x" } }',
        '{ file = "/etc/passwd" }',
        '{ text = { files = "**", pattern = "TOP[S]ECRET" } }',
    ]
    text = "".join(rule(c, f"XU{i:03d}") for i, c in enumerate(checks, 1))
    root = _repo_with_rules(tmp_path, text)
    os.symlink(outside / "secret.md", root / "linked.md")  # and a link leading out
    with OpenRecorder.recording() as opened:
        result = run(root, "-f", "json", "--exit-zero")
    assert result.exit_code == 0, result.output
    assert opened_under(opened, outside) == []
    assert SECRET not in result.stdout
    data = json.loads(result.stdout)
    assert all(r["status"] == "fail" for r in data["results"] if r["id"].startswith("XU"))


@pytest.mark.parametrize("how", ["relative", "absolute", "symlink"])
def test_rule_paths_in_the_repository_config_must_stay_inside_it(tmp_path: Path, outside: Path, how: str):
    root = make_repo(tmp_path, {"README.md": "# r\n"})
    target = {"relative": "../outside/rules.toml", "absolute": str(outside / "rules.toml"),
              "symlink": "linked_rules.toml"}[how]
    if how == "symlink":
        os.symlink(outside / "rules.toml", root / "linked_rules.toml")
    (root / "mlaudit.toml").write_text(f'rule-paths = ["{target}"]\n')
    result = run(root)
    assert result.exit_code == 2 and "inside the audited repository" in result.stderr, result.output


def test_rule_path_that_is_a_fifo_does_not_block(tmp_path: Path):
    root = make_repo(tmp_path, {"README.md": "# r\n", "mlaudit.toml": 'rule-paths = ["r.toml", "rules"]\n',
                                "rules/ok.toml": rule('{ file = "README.md" }')})
    make_fifo(root / "r.toml")
    make_fifo(root / "rules" / "blocked.toml")
    started = time.monotonic()
    result = run(root)
    assert time.monotonic() - started < 30
    assert result.exit_code == 2 and "r.toml" in result.stderr, result.output


def test_rule_files_from_the_users_own_config_may_live_anywhere(tmp_path: Path, outside: Path):
    root = make_repo(tmp_path, {"README.md": "# r\n"})
    cfg = tmp_path / "my.toml"
    cfg.write_text(f'rule-paths = ["{outside / "rules.toml"}"]\n')
    result = run(root, "--config", str(cfg), "-f", "json", "--exit-zero")
    assert result.exit_code == 0, result.output
    assert any(r["id"] == "XO001" for r in json.loads(result.stdout)["results"])
