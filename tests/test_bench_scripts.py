"""The benchmark scripts run end to end on a small generated repository (no timing is
asserted: the numbers belong to bench/README.md and closing notes, not to tests)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from tests.helpers import ROOT


def test_run_py_measures_every_line_and_leaves_the_repository_as_it_was(tmp_path):
    repo = tmp_path / "gen"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), str(repo), "--files", "150",
                    "--seed", "2"], check=True, capture_output=True)
    before = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True).stdout
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--repo", str(repo), "--runs", "1",
                          "--skip", "small", "--json"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout.strip().splitlines()[-1])
    for key in ("raw_read_s", "cold_s", "cold_ratio", "peak_rss_mib", "cache_fill_s", "warm_s", "warm_ratio",
                "one_changed_s"):
        assert data[key] > 0, key
    assert subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True,
                          text=True).stdout == before


def test_profile_py_reports_facts_rules_and_parses(tmp_path):
    repo = tmp_path / "gen"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), str(repo), "--files", "120",
                    "--seed", "4"], check=True, capture_output=True)
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "profile.py"), str(repo)], capture_output=True,
                         text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("total ")
    facts = next(line for line in lines if line.startswith("facts:"))
    assert all(name in facts for name in ("python", "secrets", "ci", "infra"))
    assert any(re.match(r"rules \(own time, top \d+\):\s+[A-Z]+\d{3} \d", line) for line in lines)
    assert any(line.startswith("Python bodies parsed:") for line in lines)
