"""`--jobs N` changes where per-file work runs, never the report."""

from __future__ import annotations

import subprocess
import sys

import pytest

from auditor import cache as cache_mod
from auditor.audit import AuditOptions, run_audit
from auditor.reporters.json_report import report_dict
from tests.helpers import ROOT


@pytest.fixture(scope="module")
def monorepo(tmp_path_factory):
    out = tmp_path_factory.mktemp("jobs") / "gen"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), str(out), "--files", "300",
                    "--seed", "5"], check=True, capture_output=True)
    return out


def _report(path, jobs, cache_dir=None) -> dict:
    opts = AuditOptions(no_config=True, jobs=jobs, use_cache=cache_dir is not None,
                        cache_dir=str(cache_dir) if cache_dir else None)
    data = report_dict(run_audit(path, opts))
    data.pop("duration_ms")
    return data


@pytest.fixture
def pool_always(monkeypatch):
    """Make the pool kick in on a small repository (thresholds are tuned for large ones)."""
    monkeypatch.setattr(cache_mod, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(cache_mod, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(cache_mod, "CHUNK_FILES", 7)
    calls = []
    real = cache_mod._pool

    def spy(jobs):
        calls.append(jobs)
        return real(jobs)

    monkeypatch.setattr(cache_mod, "_pool", spy)
    return calls


def test_jobs_do_not_change_the_report(monorepo, pool_always):
    serial = _report(monorepo, 1)
    assert pool_always == []
    parallel = _report(monorepo, 2)
    assert pool_always, "the process pool was not used"
    assert parallel == serial
    assert _report(monorepo, 3) == serial


def test_jobs_with_cache_cold_and_warm_match_serial(monorepo, pool_always, tmp_path):
    serial = _report(monorepo, 1)
    assert _report(monorepo, 2, tmp_path / "c") == serial      # computed in workers, stored
    assert _report(monorepo, 2, tmp_path / "c") == serial      # served from the cache
    assert _report(monorepo, 1, tmp_path / "c") == serial


def test_cli_jobs_option_validates(tmp_path):
    out = subprocess.run([sys.executable, "-m", "auditor", str(tmp_path), "--jobs", "0"],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 2
    assert "--jobs" in out.stderr


@pytest.mark.parametrize("v2, v1, affinity, expected", [
    ("max 100000", None, 8, 8),                 # cgroup v2, no limit
    ("200000 100000", None, 8, 2),              # `docker run --cpus=2`
    ("150000 100000", None, 8, 2),              # 1.5 CPUs: two processes still pay
    ("400000 100000", None, 2, 2),              # the affinity mask is smaller
    (None, ("-1", "100000"), 8, 8),             # cgroup v1, no limit
    (None, ("300000", "100000"), 8, 3),         # cgroup v1 quota
    (None, None, 4, 4),                         # no cgroup files (not Linux, or hidden)
    ("garbage", None, 4, 4),
])
def test_default_jobs_follow_a_cgroup_cpu_quota(tmp_path, monkeypatch, v2, v1, affinity, expected):
    def write(name, text):
        path = tmp_path / name
        if text is not None:
            path.write_text(text + "\n")
        return str(path)

    monkeypatch.setattr(cache_mod, "CGROUP_CPU_MAX", write("cpu.max", v2))
    monkeypatch.setattr(cache_mod, "CGROUP_V1_QUOTA", (write("quota", v1 and v1[0]), write("period", v1 and v1[1])))
    monkeypatch.setattr(cache_mod.os, "sched_getaffinity", lambda pid: set(range(affinity)), raising=False)
    assert cache_mod.default_jobs() == expected
