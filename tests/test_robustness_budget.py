"""The per-file time budget (`file-budget-ms`, MLAUDIT_FILE_BUDGET_MS): work on one file that
runs past it is abandoned, reported as a problem, and not retried."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.budget import BudgetExceeded, call_with_deadline, checkpoint
from auditor.cli import cli
from auditor.project import Project
from tests.helpers import make_repo
from tests.hostile import audit_json, problems

CATASTROPHIC = re.compile(r"(a+)+$")  # exponential on "aaaa...b"; built-in code could have one


def test_deadline_interrupts_a_runaway_regex():
    finished, value = call_with_deadline(0.2, CATASTROPHIC.search, "a" * 60 + "b")
    assert (finished, value) == (False, None)


def test_deadline_returns_the_value_of_quick_work_and_leaves_no_timer():
    import signal

    assert call_with_deadline(5, sum, [1, 2, 3]) == (True, 6)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN)


def test_nested_deadlines_belong_to_the_outer_one():
    def inner():
        return call_with_deadline(10, CATASTROPHIC.search, "a" * 60 + "b")

    assert call_with_deadline(0.2, inner) == (False, None)


def test_cooperative_checkpoints_off_the_main_thread():
    out = {}

    def loop():
        def spin():
            while True:
                checkpoint()
        out["result"] = call_with_deadline(0.1, spin)

    t = threading.Thread(target=loop)
    t.start()
    t.join(10)
    assert not t.is_alive() and out["result"] == (False, None)


def test_budget_exceeded_is_not_swallowed_by_except_exception():
    def careless():
        try:
            CATASTROPHIC.search("a" * 60 + "b")
        except Exception:  # noqa: BLE001 - what rule code might do
            return "swallowed"
        return "finished"

    assert issubclass(BudgetExceeded, BaseException) and not issubclass(BudgetExceeded, Exception)
    assert call_with_deadline(0.2, careless) == (False, None)


def test_project_find_first_is_bounded_and_reported_once(tmp_path: Path):
    root = make_repo(tmp_path, {"notes.txt": "a" * 60 + "b\n"})
    project = Project(root, use_git=False, file_budget_ms=200)
    assert project.find_first("notes.txt", CATASTROPHIC) is None
    assert project.find_first("notes.txt", re.compile("b")) is None  # budget spent: skipped at once
    details = [p.detail for p in project.problems if p.path == "notes.txt"]
    assert len(details) == 1 and "200 ms" in details[0] and "file-budget-ms" in details[0]
    assert not project.budget_left("notes.txt")


def test_user_patterns_are_matched_per_line_with_a_cap(tmp_path: Path):
    root = make_repo(tmp_path, {"a.txt": "x" * 10000 + "needle\nsecond line needle\n"})
    project = Project(root, use_git=False)
    assert project.find_first("a.txt", re.compile("needle"), per_line=True) == (2, "second line needle")
    assert any("longer than 4096" in p.detail for p in project.problems)
    assert project.find_first("a.txt", re.compile("needle")) == (1, "x" * 10000 + "needle")


def _slow_yaml(n: int = 12000) -> str:
    # an anchor forces the pure-Python loader: parsing takes far longer than a few milliseconds
    return "base: &b {x: 1}\nuse: *b\n" + "".join(f"k{i}: [{i}, text, more, words]\n" for i in range(n))


def test_audit_abandons_a_parse_past_the_budget(tmp_path: Path):
    root = make_repo(tmp_path, {"README.md": "# r\n", "environment.yml": _slow_yaml()}, use_git=True)
    data = audit_json(root, file_budget_ms=30)
    assert any("abandoned" in d and "30 ms" in d for d in problems(data)["environment.yml"])
    # with the default budget the same file parses
    assert "environment.yml" not in problems(audit_json(root))


@pytest.mark.parametrize("how", ["env", "config"])
def test_budget_is_configurable_from_the_cli(tmp_path: Path, how: str):
    files = {"README.md": "# r\n", "environment.yml": _slow_yaml()}
    env = {}
    if how == "env":
        env["MLAUDIT_FILE_BUDGET_MS"] = "30"
    else:
        files[".mlaudit.toml"] = "file-budget-ms = 30\n"
    root = make_repo(tmp_path, files, use_git=True)
    result = CliRunner().invoke(cli, [str(root), "-f", "json", "--exit-zero", "--no-cache"], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert any("abandoned" in p["detail"] for p in data["problems"] if p["path"] == "environment.yml")


@pytest.mark.parametrize("value", ["0", "-5", "abc", "inf", "nan"])
def test_bad_budget_in_the_environment_is_a_config_error(tmp_path: Path, value: str):
    root = make_repo(tmp_path, {"README.md": "# r\n"})
    result = CliRunner().invoke(cli, [str(root)], env={"MLAUDIT_FILE_BUDGET_MS": value})
    assert result.exit_code == 2
    assert "MLAUDIT_FILE_BUDGET_MS" in result.stderr and "Traceback" not in result.output


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_deadline_survives_its_exception_being_swallowed_by_a_gc_callback():
    """A signal handler's exception raised inside a gc callback is printed and dropped; the
    timer fires again, so the deadline still ends the work."""
    import gc

    calls = [0]

    def callback(phase, info):
        calls[0] += 1
        if calls[0] % 10 == 0:
            time.sleep(0.002)  # time spent inside callbacks, where the alarm may land

    def churn():
        end = time.monotonic() + 20
        while time.monotonic() < end:
            [[] for _ in range(1000)]
        return "finished"

    gc.callbacks.append(callback)
    try:
        assert call_with_deadline(0.2, churn) == (False, None)
    finally:
        gc.callbacks.remove(callback)
