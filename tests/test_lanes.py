"""Rule lanes (auditor/lanes.py): rules evaluated in forked processes give the same report.

Lanes start only on large trees; these tests lower the threshold so that they run on small
fixtures, and compare full JSON reports (minus timings) with a serial run (`jobs=1`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from auditor import lanes
from auditor.audit import AuditOptions, run_audit
from auditor.model import Rule
from auditor.reporters.json_report import report_dict
from tests.helpers import ROOT, copy_sample, git, write_tree

BROKEN = {
    "src/pipeline/broken.py": "import sklearn\nfrom sklearn.model_selection import train_test_split\n"
                              "def split(df):\n    return train_test_split(df, test_size=0.2\n",
    "notebooks/broken.ipynb": '{"cells": [',
    ".github/workflows/broken.yml": "jobs: [unclosed\n",
    "configs/bad.toml": "a = = 1\n",
    "data/blob.csv": b"\x00\x01\x02binary",
}


def _report(path, jobs, cache_dir=None, profile=None) -> dict:
    overrides = {"profile": profile} if profile else {}
    opts = AuditOptions(no_config=True, jobs=jobs, use_cache=cache_dir is not None,
                        cache_dir=str(cache_dir) if cache_dir else None, overrides=overrides)
    data = report_dict(run_audit(path, opts))
    data.pop("duration_ms")
    return data


@pytest.fixture
def here(monkeypatch):
    """Ids of the rules whose checks ran in this (the parent) process."""
    import auditor.engine as engine_mod

    parent, seen = os.getpid(), []
    real = engine_mod.Engine._verdict

    def verdict(self, rule):
        if os.getpid() == parent and rule.id not in self._verdicts:
            seen.append(rule.id)
        return real(self, rule)

    monkeypatch.setattr(engine_mod.Engine, "_verdict", verdict)
    return seen


@pytest.fixture
def forks(monkeypatch):
    """Lanes on any tree; the pids of the lanes started, for the test to inspect."""
    monkeypatch.setattr(lanes, "MIN_FILES", 0)
    started: list[int] = []
    real = lanes._fork

    def spy(engine, work, jobs=1):
        lane = real(engine, work, jobs)
        started.append(lane.pid)
        return lane

    monkeypatch.setattr(lanes, "_fork", spy)
    return started


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _with_problems(tmp_path, sample):
    repo = write_tree(copy_sample(sample, tmp_path), BROKEN)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "broken inputs")
    return repo


@pytest.mark.parametrize("sample", ["exemplary", "halfway", "notebook_only"])
def test_lanes_give_the_serial_report(tmp_path, forks, here, sample):
    repo = _with_problems(tmp_path, sample)
    serial = _report(repo, 1, profile="production")
    assert forks == [] and "VCS005" in here
    here.clear()
    parallel = _report(repo, 2, profile="production")
    assert len(forks) == 2, "both lanes should have been forked"
    assert "VCS005" not in here and len(here) < len(serial["results"]) - 10   # done in the lanes
    assert parallel == serial
    paths = {p["path"] for p in serial["problems"]}
    # problems met in each lane reach the report: CI YAML in lane A, Python in the main lanes
    assert {".github/workflows/broken.yml", "notebooks/broken.ipynb"} <= paths
    assert all(_gone(pid) for pid in forks), "a lane was left running or unreaped"


@pytest.mark.parametrize("jobs", [3, 4])
def test_more_jobs_more_lanes_same_report(tmp_path, forks, monkeypatch, jobs):
    """With N jobs: lane A and this process share the first phase (each with its half of the
    jobs for a per-file pool, which kicks in here at any size), then N - 1 lanes drain the
    work queue beside this process."""
    from auditor import cache as cache_mod

    monkeypatch.setattr(cache_mod, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(cache_mod, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(cache_mod, "CHUNK_FILES", 3)
    repo = _with_problems(tmp_path, "halfway")
    serial = _report(repo, 1, profile="production")
    assert _report(repo, jobs, profile="production") == serial
    assert len(forks) == jobs
    assert all(_gone(pid) for pid in forks)


def test_second_phase_lanes_are_capped(tmp_path, forks, monkeypatch):
    repo = copy_sample("halfway", tmp_path)
    serial = _report(repo, 1)
    monkeypatch.setattr(lanes, "MAX_LANES", 2)
    assert _report(repo, 8, profile=None) == serial
    assert len(forks) == 2            # lane A, and one lane beside this process


def test_lanes_on_a_generated_monorepo_with_cache(tmp_path, forks):
    repo = tmp_path / "gen"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), str(repo), "--files", "400",
                    "--seed", "11"], check=True, capture_output=True)
    serial = _report(repo, 1)
    cache_dir = tmp_path / "cache"
    assert _report(repo, 2, cache_dir) == serial            # lanes fill the cache side by side
    assert forks
    import sqlite3

    with sqlite3.connect(cache_dir / "facts-v1.sqlite") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.execute("DELETE FROM entries WHERE ns LIKE 'run/%'")   # keep per-file entries only
    assert _report(repo, 2, cache_dir) == serial            # and read what they stored
    assert _report(repo, 1, cache_dir) == serial


@pytest.mark.parametrize("failure", ["exit", "signal", "garbage"])
def test_a_failed_lane_is_redone_here(tmp_path, forks, here, monkeypatch, failure):
    repo = copy_sample("halfway", tmp_path)
    serial = _report(repo, 1)
    real_become = lanes._become_lane

    def broken(project, jobs=1):
        real_become(project, jobs)
        if failure == "exit":
            os._exit(3)
        if failure == "signal":
            os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(lanes, "_become_lane", broken)
    if failure == "garbage":   # a lane that exits cleanly but sends a truncated answer
        real_dumps = lanes.pickle.dumps
        monkeypatch.setattr(lanes.pickle, "dumps", lambda obj, protocol=None: real_dumps(obj)[:-5])
    here.clear()
    assert _report(repo, 2) == serial
    assert forks and all(_gone(pid) for pid in forks)
    assert "VCS005" in here, "the failed lane's rules were not evaluated again here"


@pytest.mark.parametrize("arrives", ["intact", "garbled"])
def test_facts_built_in_lane_a_are_not_built_again(tmp_path, forks, monkeypatch, arrives):
    """Lane A sends back the small facts it built (the CI model, ...); once they have
    arrived, neither this process nor lane B builds them again."""
    import auditor.facts.ci as ci_facts

    repo = _with_problems(tmp_path, "halfway")
    serial = _report(repo, 1, profile="production")
    monkeypatch.setattr(lanes, "WAIT_FOR_SIDE_S", 60.0)   # wait for lane A, however slow
    log = tmp_path / "built-by"
    real = ci_facts.extract

    def extract(project):
        with open(log, "a") as out:   # every process that builds the fact
            out.write(f"{os.getpid()}\n")
        return real(project)

    monkeypatch.setattr(ci_facts, "extract", extract)
    if arrives == "garbled":   # the verdicts arrive, the facts do not unpickle
        monkeypatch.setattr(lanes, "_facts_to_send", lambda project: {n: b"garbage" for n in lanes.SENT_BACK})

    assert _report(repo, 2, profile="production") == serial
    assert len(forks) == 2
    builders = set(map(int, log.read_text().split()))
    assert forks[0] in builders                              # lane A built it
    assert (builders == {forks[0]}) == (arrives == "intact")   # and, if it arrived, nobody else


def test_no_lane_when_fork_fails(tmp_path, monkeypatch, here):
    repo = copy_sample("halfway", tmp_path)
    serial = _report(repo, 1)
    monkeypatch.setattr(lanes, "MIN_FILES", 0)

    def no_fork():
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(lanes.os, "fork", no_fork)
    here.clear()
    assert _report(repo, 2) == serial
    assert "VCS005" in here


def test_a_failing_shared_fact_stays_the_error_of_its_rules(tmp_path, monkeypatch, forks):
    import auditor.facts.python as python_facts

    def broken(project):
        raise RuntimeError("index exploded")

    monkeypatch.setattr(python_facts, "extract", broken)
    repo = copy_sample("halfway", tmp_path)
    serial = _report(repo, 1)
    errors = [r for r in serial["results"] if r["status"] == "error"]
    assert errors and "index exploded" in errors[0]["message"]
    assert _report(repo, 2) == serial
    assert len(forks) == 2


def test_interrupt_stops_the_lanes(tmp_path, forks, monkeypatch):
    repo = copy_sample("halfway", tmp_path)
    import auditor.engine as engine_mod

    real = engine_mod.Engine._verdict

    def verdict(self, rule):
        if forks and os.getpid() == parent and rule.id.startswith("DATA"):
            raise KeyboardInterrupt
        return real(self, rule)

    parent = os.getpid()
    monkeypatch.setattr(engine_mod.Engine, "_verdict", verdict)
    with pytest.raises(KeyboardInterrupt):
        _report(repo, 2)
    assert forks and all(_gone(pid) for pid in forks)


def test_lanes_only_where_they_pay(tmp_path, monkeypatch):
    repo = copy_sample("exemplary", tmp_path)
    from auditor.project import Project

    project = Project(repo)
    rules = [_rule("A"), _rule("B")]
    project.jobs = 2
    assert not lanes.worth_it(project, rules)          # 60 files: far below MIN_FILES
    monkeypatch.setattr(lanes, "MIN_FILES", 0)
    assert lanes.worth_it(project, rules)
    project.jobs = 1
    assert not lanes.worth_it(project, rules)          # --jobs 1
    project.jobs = 2
    assert not lanes.worth_it(project, rules[:1])      # nothing to share out
    import threading

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not lanes.worth_it(project, rules)      # forking beside a thread can deadlock
    finally:
        stop.set()
        thread.join()


def _rule(rule_id: str) -> Rule:
    return Rule(id=rule_id, slug=rule_id.lower(), title=rule_id, category="DATA", severity="low",
                profile="team", practice="", rationale="", fix="", check={"path-exists": "x"})


def test_units_heaviest_first_with_groups_kept_whole():
    ids = ("CODE001", "DATA003", "DATA005", "DEPLOY001", "MON002", "MON003", "TRAIN001", "TRAIN003")
    work = lanes.units([_rule(r) for r in ids])
    assert sorted(r.id for unit in work for r in unit) == sorted(ids)
    assert [r.id for r in work[0]] == ["DATA005"]
    group = next(unit for unit in work if len(unit) > 1)
    assert [r.id for r in group] == ["DEPLOY001", "MON002", "MON003"]   # catalogue order inside
    weights = [sum(lanes.WEIGHTS.get(r.id, 1) for r in unit) for unit in work if len(unit) == 1]
    assert weights == sorted(weights, reverse=True)
    assert lanes.units([]) == []


def test_two_processes_draining_one_queue_take_each_piece_once():
    """The work queue of the second phase: every piece is taken by exactly one process."""
    count = 200
    queue = lanes._queue(count)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:   # pragma: no cover - the child reports through the pipe
        try:
            taken = bytearray()
            while piece := os.read(queue, 1):
                taken += piece
                sum(range(2000))   # some work, so that both sides take pieces
            os.write(write_end, bytes(taken))
        finally:
            os._exit(0)
    os.close(write_end)
    mine = bytearray()
    while piece := os.read(queue, 1):
        mine += piece
        sum(range(2000))
    os.waitpid(pid, 0)
    theirs = os.read(read_end, 4096)
    os.close(read_end)
    os.close(queue)
    assert sorted(mine + theirs) == list(range(count))
    assert lanes._queue(256) == -1   # more pieces than one byte can name: no queue
