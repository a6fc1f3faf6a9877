"""The per-file fact cache (auditor/cache.py): same reports with and without it, robust store.

Every audit here names its own cache directory in tmp_path, so the user's cache is never
touched and tests cannot see each other's entries.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from auditor import cache as cache_mod
from auditor.audit import AuditOptions, run_audit
from auditor.cache import DB_NAME, FactCache, open_cache
from auditor.reporters.json_report import report_dict
from tests.helpers import ROOT, copy_sample, git, make_repo

BENCH_GENERATE = ROOT / "bench" / "generate.py"
AWS_KEY_LINE = 'AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI7K7MDENGbPxRfiCY9x2q8Lk0aZs"\n'


def report_json(path: Path, *, cache_dir: Path | None, jobs: int = 1) -> dict:
    """The full JSON report minus timings."""
    opts = AuditOptions(no_config=True, use_cache=cache_dir is not None,
                        cache_dir=str(cache_dir) if cache_dir else None, jobs=jobs)
    data = report_dict(run_audit(path, opts))
    data.pop("duration_ms")
    return data


def generated_repo(tmp_path: Path, files: int = 260) -> Path:
    out = tmp_path / "gen"
    subprocess.run([sys.executable, str(BENCH_GENERATE), str(out), "--files", str(files), "--seed", "3"],
                   check=True, capture_output=True)
    return out


def drop_run_memo(cache_dir: Path) -> None:
    """Forget memoised whole runs, so the next run exercises the per-file entries."""
    with sqlite3.connect(cache_dir / DB_NAME) as conn:
        conn.execute("DELETE FROM entries WHERE ns LIKE 'run/%'")


def entry_count(cache_dir: Path) -> int:
    with sqlite3.connect(cache_dir / DB_NAME) as conn:
        return conn.execute("SELECT count(*) FROM entries").fetchone()[0]


# ----------------------------------------------------------------------------- same results
@pytest.mark.parametrize("sample", ["exemplary", "halfway", "notebook_only"])
def test_sample_reports_identical_without_cache_cold_and_warm(tmp_path, sample):
    repo = copy_sample(sample, tmp_path)
    cache_dir = tmp_path / "cache"
    plain = report_json(repo, cache_dir=None)
    cold = report_json(repo, cache_dir=cache_dir)
    assert entry_count(cache_dir) > 0
    memoised = report_json(repo, cache_dir=cache_dir)      # the whole-run memo
    drop_run_memo(cache_dir)
    per_file = report_json(repo, cache_dir=cache_dir)      # per-file entries only
    assert cold == plain
    assert memoised == plain
    assert per_file == plain


def test_generated_monorepo_identical_with_and_without_cache(tmp_path):
    repo = generated_repo(tmp_path)
    cache_dir = tmp_path / "cache"
    plain = report_json(repo, cache_dir=None)
    assert report_json(repo, cache_dir=cache_dir) == plain
    drop_run_memo(cache_dir)
    assert report_json(repo, cache_dir=cache_dir) == plain


def test_outside_git_text_is_hashed_and_results_match(tmp_path):
    repo = make_repo(tmp_path, {
        "src/pkg/__init__.py": "",
        "src/pkg/train.py": "import sklearn\nfrom sklearn.linear_model import LogisticRegression\n"
                            "LogisticRegression().fit([[0]], [0])\n",
        "settings.env": AWS_KEY_LINE,
    })
    cache_dir = tmp_path / "cache"
    plain = report_json(repo, cache_dir=None)
    assert report_json(repo, cache_dir=cache_dir) == plain
    assert report_json(repo, cache_dir=cache_dir) == plain
    # a changed file outside git is re-read and re-scanned, not served stale
    (repo / "settings.env").write_text("DEBUG=1\n")
    fresh = report_json(repo, cache_dir=None)
    assert report_json(repo, cache_dir=cache_dir) == fresh
    assert fresh != plain


def test_uncommitted_change_in_git_is_not_served_from_cache(tmp_path):
    repo = make_repo(tmp_path, {"README.md": "# x\n", "config/app.env": "DEBUG=1\n"}, use_git=True)
    cache_dir = tmp_path / "cache"
    before = report_json(repo, cache_dir=cache_dir)
    vcs005 = next(r for r in before["results"] if r["id"] == "VCS005")
    assert vcs005["status"] == "pass"
    (repo / "config/app.env").write_text(AWS_KEY_LINE)   # modified, not staged
    after = report_json(repo, cache_dir=cache_dir)
    assert after == report_json(repo, cache_dir=None)
    assert next(r for r in after["results"] if r["id"] == "VCS005")["status"] == "fail"


def test_problems_of_cached_files_are_reported_on_warm_runs(tmp_path):
    # broken.py is training code, so rules parse it (a file no rule needs is not parsed)
    repo = make_repo(tmp_path, {"README.md": "# x\n", "src/broken.py": "import sklearn\nmodel.fit(X, y\n",
                                "src/blob.py": b"\x00\x01binary\x00"}, use_git=True)
    cache_dir = tmp_path / "cache"
    plain = report_json(repo, cache_dir=None)
    paths = {p["path"] for p in plain["problems"]}
    assert {"src/broken.py", "src/blob.py"} <= paths
    assert report_json(repo, cache_dir=cache_dir) == plain
    assert report_json(repo, cache_dir=cache_dir) == plain


# ----------------------------------------------------------------------------- content keys
def test_file_digest_uses_git_blob_ids_and_skips_dirty_files(tmp_path):
    from auditor.project import Project

    repo = make_repo(tmp_path, {"a.py": "x = 1\n", "b.py": "y = 2\n"}, use_git=True)
    blob = git(repo, "rev-parse", "HEAD:a.py").strip()
    (repo / "b.py").write_text("y = 3\n")
    (repo / "c.py").write_text("z = 1\n")        # untracked
    project = Project(repo)
    assert project.files == ["a.py", "b.py", "c.py"]
    assert project.file_digest("a.py") == f"g{blob}:6"
    assert project.file_digest("b.py") is None     # only reading it can tell
    assert project.file_digest("c.py") is None


def test_file_digest_outside_git_is_none(tmp_path):
    from auditor.project import Project

    repo = make_repo(tmp_path, {"a.py": "x = 1\n"})
    assert Project(repo, use_git=False).file_digest("a.py") is None


# ----------------------------------------------------------------------------- the store
def test_pack_round_trip_and_damage_detection():
    value = {"calls": [{"name": "torch.manual_seed", "args": [0], "values": {"x": None}}], "t": (1, 2.5)}
    blob = FactCache.pack(value)
    assert FactCache.unpack(blob) == value
    with pytest.raises(ValueError):
        FactCache.unpack(blob[:-3])                   # truncated
    with pytest.raises(ValueError):
        FactCache.unpack(blob[:4] + b"X" + blob[5:])  # bit flip
    with pytest.raises(ValueError):
        FactCache.unpack(b"")


def test_put_get_and_stale_namespaces_are_dropped(tmp_path):
    c = FactCache(tmp_path)
    c.put("python/aaa", "k1", [1, 2])
    c.put("pythonic/zzz", "k1", "other family")
    assert c.get("python/aaa", "k1") == [1, 2]
    c2 = FactCache(tmp_path)                     # a newer extractor version writes
    c2.put("python/bbb", "k2", "new")
    assert c2.get("python/aaa", "k1") is None    # old version gone
    assert c2.get("python/bbb", "k2") == "new"
    assert c2.get("pythonic/zzz", "k1") == "other family"
    c.close()
    c2.close()


def test_damaged_entry_is_ignored_and_rebuilt(tmp_path):
    repo = copy_sample("exemplary", tmp_path)
    cache_dir = tmp_path / "cache"
    plain = report_json(repo, cache_dir=None)
    report_json(repo, cache_dir=cache_dir)
    with sqlite3.connect(cache_dir / DB_NAME) as conn:
        rows = conn.execute("SELECT ns, key, value FROM entries WHERE ns LIKE 'python/%' "
                            "OR ns LIKE 'secrets/%'").fetchall()
        for i, (ns, key, value) in enumerate(rows):   # truncated, bit-flipped or emptied values
            damaged = value[:6] if i % 3 == 0 else (value[:-1] + b"?" if i % 3 == 1 else b"")
            conn.execute("UPDATE entries SET value = ? WHERE ns = ? AND key = ?", (damaged, ns, key))
    assert len(rows) > 3
    drop_run_memo(cache_dir)
    assert report_json(repo, cache_dir=cache_dir) == plain
    with sqlite3.connect(cache_dir / DB_NAME) as conn:   # rebuilt: every entry decodes again
        for (blob,) in conn.execute("SELECT value FROM entries WHERE ns NOT LIKE 'rules/%'"):
            FactCache.unpack(blob)


def test_corrupt_database_file_is_set_aside(tmp_path):
    repo = copy_sample("halfway", tmp_path)
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    (cache_dir / DB_NAME).write_bytes(b"this is not an sqlite database" * 100)
    plain = report_json(repo, cache_dir=None)
    assert report_json(repo, cache_dir=cache_dir) == plain
    assert entry_count(cache_dir) > 0
    assert any(p.name.startswith(DB_NAME + ".corrupt-") for p in cache_dir.iterdir())


def test_unusable_cache_directory_means_no_cache_not_an_error(tmp_path):
    repo = copy_sample("halfway", tmp_path)
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    assert report_json(repo, cache_dir=blocker / "cache") == report_json(repo, cache_dir=None)


def test_cache_never_inside_the_audited_repository(tmp_path):
    repo = copy_sample("halfway", tmp_path)
    inside = repo / ".cache-here"
    assert open_cache(repo, inside) is None
    report_json(repo, cache_dir=inside)
    assert not inside.exists()
    assert open_cache(repo, tmp_path / "elsewhere") is not None


def test_default_cache_dir_honours_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MLAUDIT_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_mod.default_cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("MLAUDIT_CACHE_DIR")
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        assert cache_mod.default_cache_dir() == tmp_path / "xdg" / "mlaudit"
        monkeypatch.delenv("XDG_CACHE_HOME")
        assert cache_mod.default_cache_dir() == Path.home() / ".cache" / "mlaudit"


def test_extractor_code_change_invalidates_its_entries(tmp_path):
    src = tmp_path / "extractor.py"
    src.write_text("VERSION = 1\n")
    first = cache_mod.code_fingerprint(str(src))
    src.write_text("VERSION = 2\n")
    cache_mod._fingerprints.clear()
    assert cache_mod.code_fingerprint(str(src)) != first


# ----------------------------------------------------------------------------- CLI and processes
def _cli(args: list[str], cache_dir: Path, *extra_env: tuple[str, str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLAUDIT_CACHE_DIR": str(cache_dir), "NO_COLOR": "1", **dict(extra_env)}
    return subprocess.run([sys.executable, "-m", "auditor", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT)


def _strip(out: str) -> dict:
    data = json.loads(out)
    data.pop("duration_ms")
    return data


def test_cli_no_cache_writes_nothing_and_matches(tmp_path):
    repo = copy_sample("exemplary", tmp_path)
    cache_dir = tmp_path / "cache"
    a = _cli([str(repo), "-f", "json", "--exit-zero", "--no-config", "--no-cache"], cache_dir)
    assert a.returncode == 0, a.stderr
    assert not cache_dir.exists()
    b = _cli([str(repo), "-f", "json", "--exit-zero", "--no-config"], cache_dir)
    assert b.returncode == 0, b.stderr
    assert (cache_dir / DB_NAME).exists()
    assert _strip(a.stdout) == _strip(b.stdout)


def test_warm_run_does_not_import_jsonschema(tmp_path):
    repo = copy_sample("halfway", tmp_path)
    cache_dir = tmp_path / "cache"
    # the click command itself (`mlaudit` would end with os._exit before the probe prints)
    probe = ("import sys\nfrom auditor.cli import cli\n"
             "try:\n    cli.main([%r, '-q', '--exit-zero', '--no-config'], prog_name='mlaudit')\n"
             "except SystemExit:\n    pass\n"
             "print('JSONSCHEMA' if 'jsonschema' in sys.modules else 'NO-JSONSCHEMA', "
             "'GIT' if 'git' in sys.modules else 'NO-GIT')\n") % str(repo)
    env = {**os.environ, "MLAUDIT_CACHE_DIR": str(cache_dir)}

    def run():
        return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=ROOT)

    first = run()
    assert "NO-GIT" in first.stdout, first.stderr   # GitPython is never needed to audit
    second = run()
    assert "NO-JSONSCHEMA" in second.stdout, second.stderr


def test_concurrent_runs_share_the_cache_safely(tmp_path):
    repo = generated_repo(tmp_path, files=200)
    cache_dir = tmp_path / "cache"
    expected = report_json(repo, cache_dir=None)
    env = {**os.environ, "MLAUDIT_CACHE_DIR": str(cache_dir), "NO_COLOR": "1"}
    cmd = [sys.executable, "-m", "auditor", str(repo), "-f", "json", "--exit-zero", "--no-config"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
             for _ in range(3)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        data = _strip(out)
        data["target"]["path"] = expected["target"]["path"]
        assert data == expected
    with sqlite3.connect(cache_dir / DB_NAME) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert entry_count(cache_dir) > 0


# ----------------------------------------------------------------------------- whole-run memo
def _memo_rows(cache_dir: Path) -> int:
    with sqlite3.connect(cache_dir / DB_NAME) as conn:
        return conn.execute("SELECT count(*) FROM entries WHERE ns LIKE 'run/%'").fetchone()[0]


def test_run_memo_is_keyed_by_content_commit_and_options(tmp_path):
    repo = make_repo(tmp_path, {"README.md": "# x\n\nRun `make`.\n", "src/app.py": "import os\n"}, use_git=True)
    cache_dir = tmp_path / "cache"
    first = report_json(repo, cache_dir=cache_dir)
    assert _memo_rows(cache_dir) == 1
    assert report_json(repo, cache_dir=cache_dir) == first
    assert _memo_rows(cache_dir) == 1                       # a hit: nothing new stored
    # an untracked file, an uncommitted edit, a commit and another profile are new inputs
    (repo / "notes.txt").write_text("todo\n")
    assert report_json(repo, cache_dir=cache_dir) == report_json(repo, cache_dir=None)
    assert _memo_rows(cache_dir) == 2
    (repo / "src/app.py").write_text("import os\n" + AWS_KEY_LINE)
    leaked = report_json(repo, cache_dir=cache_dir)
    assert leaked == report_json(repo, cache_dir=None) != first
    assert next(r for r in leaked["results"] if r["id"] == "VCS005")["status"] == "fail"
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "add settings")
    committed = report_json(repo, cache_dir=cache_dir)
    assert committed == report_json(repo, cache_dir=None)
    assert committed["target"]["git"]["commit"] != first["target"]["git"]["commit"]
    opts = AuditOptions(no_config=True, use_cache=True, cache_dir=str(cache_dir), jobs=1,
                        overrides={"profile": "research"})
    research = report_dict(run_audit(repo, opts))
    assert research["profile"] == "research"
    assert _memo_rows(cache_dir) == 5


# ----------------------------------------------------------------------------- cached_map itself
def _letters(path: str, text: str, extra) -> set[str]:
    """A value the cache cannot store (a set): it must still be returned, just not cached."""
    return set(text.strip())


@pytest.mark.parametrize("jobs", [1, 2])
def test_unstorable_values_are_returned_not_cached(tmp_path, monkeypatch, jobs):
    from auditor.project import Project

    monkeypatch.setattr(cache_mod, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(cache_mod, "PARALLEL_MIN_BYTES", 0)
    repo = make_repo(tmp_path, {"a.txt": "ab\n", "b.txt": "c\n", "bin.dat": b"\x00\x01"})
    project = Project(repo, use_git=False)
    project.cache, project.jobs = FactCache(tmp_path / "c"), jobs
    project.cache.put("other/x", "k", 1)   # the database exists; only `letters` must stay empty
    items = [("a.txt", None), ("bin.dat", None), ("b.txt", None)]
    out = list(cache_mod.cached_map(project, "letters", items, _letters, encode=cache_mod.plain))
    assert out == [("a.txt", {"a", "b"}), ("b.txt", {"c"})]   # unreadable-as-text skipped
    assert [p.path for p in project.problems] == ["bin.dat"]
    project.cache.close()
    with sqlite3.connect(tmp_path / "c" / DB_NAME) as conn:
        assert conn.execute("SELECT count(*) FROM entries WHERE ns LIKE 'letters/%'").fetchone()[0] == 0


_CALLS: list[str] = []


def _counted(path: str, text: str, extra) -> int:
    _CALLS.append(path)
    return len(text)


def test_outside_git_entries_keyed_by_text_are_found_again(tmp_path):
    """Files git cannot key (no git, or modified) are keyed by their text's hash, and a second
    run finds those entries: only the changed file is computed again."""
    from auditor.project import Project

    repo = make_repo(tmp_path, {"a.txt": "one\n", "b.txt": "two\n", "c.txt": "three\n"})
    items = [("a.txt", None), ("b.txt", None), ("c.txt", None)]

    def run() -> list:
        project = Project(repo, use_git=False)
        project.cache = FactCache(tmp_path / "c")
        try:
            return list(cache_mod.cached_map(project, "lengths", items, _counted))
        finally:
            project.cache.close()

    _CALLS.clear()
    assert run() == [("a.txt", 4), ("b.txt", 4), ("c.txt", 6)] and len(_CALLS) == 3
    _CALLS.clear()
    assert run() == [("a.txt", 4), ("b.txt", 4), ("c.txt", 6)] and _CALLS == []
    (repo / "b.txt").write_text("changed\n")
    assert run() == [("a.txt", 4), ("b.txt", 8), ("c.txt", 6)] and _CALLS == ["b.txt"]
