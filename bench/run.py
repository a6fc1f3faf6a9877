"""Benchmark mlaudit against the cost of reading the repository once, and against repo-review.

Prints the ratios of issue 6 and the peak memory. Each timing is the median of --runs runs;
every mlaudit run on the large repo comes right after a raw read, and the small-repo runs
alternate with repo-review's, so both sides of a ratio see the same machine load:

- cold:  `mlaudit REPO --no-cache`            / `git ls-files -z | xargs -0 cat > /dev/null`
- warm:  `mlaudit REPO` with a filled cache    / the same raw read
- one changed: `mlaudit CLONE` with a filled cache and one module edited before each run
  (the pre-commit case; a clone, so the benchmarked repository is never written)
- small: `mlaudit SAMPLE` / `repo-review SAMPLE` on a bundled sample repo (git-initialised copy)
- peak RSS of the cold run (the largest single process; pool workers are reported apart)

    python bench/run.py                       # generate a 20,000-file repo in a temp dir
    python bench/run.py --repo /tmp/bench20k  # reuse (or create) a generated repo there
    python bench/run.py --setup-repo-review   # create bench/.venv-repo-review first

The warm runs use a private cache directory (MLAUDIT_CACHE_DIR) so they never touch the
user's cache. repo-review runs from its own virtual environment (never the project's
dependencies): `--repo-review PATH` names its executable; by default
bench/.venv-repo-review/bin/repo-review, which `--setup-repo-review` creates with
`pip install "repo-review[cli]" sp-repo-review`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_RR_VENV = HERE / ".venv-repo-review"
GIT_ENV = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com",
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


def timed(cmd: list[str], *, cwd: Path | None = None, env: dict | None = None,
          ok_codes: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """Run cmd; (wall seconds, peak RSS in MiB of the process and its waited-for children)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code not in ok_codes:
        raise SystemExit(f"bench: {' '.join(cmd)} exited {code}:\n{stderr.decode(errors='replace')[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def mlaudit_cmd() -> list[str]:
    exe = shutil.which("mlaudit")
    return [exe] if exe else [sys.executable, "-m", "auditor"]


def ensure_repo(path: Path | None, files: int, keep: list[Path]) -> Path:
    if path is not None and (path / ".git").is_dir():
        return path
    if path is None:
        tmp = Path(tempfile.mkdtemp(prefix="mlaudit-bench-"))
        keep.append(tmp)
        path = tmp / "repo"
    start = time.perf_counter()
    subprocess.run([sys.executable, str(HERE / "generate.py"), str(path), "--files", str(files)], check=True)
    print(f"generation: {time.perf_counter() - start:.1f} s", flush=True)
    return path


def sample_copy(name: str, dest: Path) -> Path:
    src = ROOT / "sample_repos" / name
    if not src.is_dir():
        raise SystemExit(f"bench: no sample repo {src}")
    target = dest / name
    shutil.copytree(src, target, symlinks=True)
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "sample"]):
        subprocess.run(["git", *args], cwd=target, env=env, check=True)
    return target


def setup_repo_review(venv: Path) -> Path:
    exe = venv / "bin" / "repo-review"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "repo-review[cli]", "sp-repo-review"],
                       check=True)
    return exe


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", type=Path, help="generated repo to use (created there if missing)")
    ap.add_argument("--files", type=int, default=20000)
    ap.add_argument("--runs", type=int, default=3, help="runs per timing (median)")
    ap.add_argument("--jobs", type=int, help="pass --jobs N to mlaudit")
    ap.add_argument("--sample", default="exemplary", help="bundled sample repo for the small-repo race")
    ap.add_argument("--repo-review", type=Path, help="repo-review executable")
    ap.add_argument("--setup-repo-review", action="store_true",
                    help=f"create {DEFAULT_RR_VENV.relative_to(ROOT)} with repo-review if missing")
    ap.add_argument("--skip", action="append", default=[], choices=["cold", "warm", "changed", "small"])
    ap.add_argument("--json", action="store_true", help="also print the results as one JSON line")
    args = ap.parse_args(argv)

    temps: list[Path] = []
    out: dict[str, float | str] = {}
    try:
        repo = ensure_repo(args.repo, args.files, temps)
        cache_dir = Path(tempfile.mkdtemp(prefix="mlaudit-bench-cache-"))
        temps.append(cache_dir)
        env = {**os.environ, "MLAUDIT_CACHE_DIR": str(cache_dir), "NO_COLOR": "1"}
        audit = mlaudit_cmd() + ["--format", "json", "--exit-zero"]
        if args.jobs:
            audit += ["--jobs", str(args.jobs)]
        n_files = len(subprocess.run(["git", "ls-files", "-z"], cwd=repo, capture_output=True,
                                     check=True).stdout.split(b"\0")) - 1
        print(f"repo: {repo} ({n_files} tracked files); runs per timing: {args.runs}", flush=True)

        raw_cmd = ["sh", "-c", "git ls-files -z | xargs -0 cat > /dev/null"]

        def against_raw(cmd: list[str]) -> tuple[float, float, float]:
            """(median run, median raw read, peak RSS): each run right after a raw read, so
            both see the same machine load."""
            runs, raws, rss = [], [], 0.0
            for _ in range(args.runs):
                raws.append(timed(raw_cmd, cwd=repo)[0])
                wall, peak = timed(cmd, env=env)
                runs.append(wall)
                rss = max(rss, peak)
            return statistics.median(runs), statistics.median(raws), rss

        if {"cold", "warm"} - set(args.skip):
            timed(raw_cmd, cwd=repo)  # warm the page cache first
        if "cold" not in args.skip:
            cold, raw, rss = against_raw(audit + ["--no-cache", str(repo)])
            out.update(raw_read_s=round(raw, 3), cold_s=round(cold, 3), cold_ratio=round(cold / raw, 2),
                       peak_rss_mib=round(rss, 1))
            print(f"cold:       {cold:.3f} s  raw read {raw:.3f} s  ratio {cold / raw:.2f}  (target <= 6)",
                  flush=True)
            print(f"peak RSS:   {rss:.0f} MiB (cold run; target < 300)", flush=True)
        if "warm" not in args.skip:
            fill, _ = timed(audit + [str(repo)], env=env)
            warm, wraw, wrss = against_raw(audit + [str(repo)])
            out.update(cache_fill_s=round(fill, 3), warm_s=round(warm, 3), warm_raw_read_s=round(wraw, 3),
                       warm_ratio=round(warm / wraw, 2), warm_peak_rss_mib=round(wrss, 1))
            print(f"cache fill: {fill:.3f} s", flush=True)
            print(f"warm:       {warm:.3f} s  raw read {wraw:.3f} s  ratio {warm / wraw:.2f}  (target <= 1.5)",
                  flush=True)
        if "changed" not in args.skip:
            # the pre-commit case: the cache is filled, then one module changes before each run
            # (in a clone, so the benchmarked repository itself is never written)
            clone_dir = Path(tempfile.mkdtemp(prefix="mlaudit-bench-changed-"))
            temps.append(clone_dir)
            clone = clone_dir / "repo"
            subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True, capture_output=True)
            module = next(p for p in subprocess.run(["git", "ls-files", "*.py"], cwd=clone, capture_output=True,
                                                    text=True, check=True).stdout.split("\n") if p)
            timed(audit + [str(clone)], env=env)   # fill the cache for the clone
            changed = []
            for n in range(args.runs):
                with open(clone / module, "a", encoding="utf-8") as fh:
                    fh.write(f"# edit {n}\n")
                changed.append(timed(audit + [str(clone)], env=env)[0])
            m_changed = statistics.median(changed)
            out.update(one_changed_s=round(m_changed, 3))
            print(f"one changed: {m_changed:.3f} s (cache filled, one module edited before each run)", flush=True)
        if "small" not in args.skip:
            rr = args.repo_review or DEFAULT_RR_VENV / "bin" / "repo-review"
            if args.setup_repo_review and args.repo_review is None:
                rr = setup_repo_review(DEFAULT_RR_VENV)
            small_dir = Path(tempfile.mkdtemp(prefix="mlaudit-bench-small-"))
            temps.append(small_dir)
            sample = sample_copy(args.sample, small_dir)
            timed(audit + [str(sample)], env=env)  # fill the cache (the normal, warm case)
            ours, ours_nc, theirs = [], [], []
            have_rr = Path(rr).exists()
            for _ in range(max(args.runs, 5)):  # interleaved, back to back
                ours.append(timed(audit + [str(sample)], env=env)[0])
                ours_nc.append(timed(audit + ["--no-cache", str(sample)], env=env)[0])
                if have_rr:
                    theirs.append(timed([str(rr), str(sample)], env=env, ok_codes=tuple(range(256)))[0])
            m_ours, m_nc = statistics.median(ours), statistics.median(ours_nc)
            out.update(small_s=round(m_ours, 3), small_no_cache_s=round(m_nc, 3))
            print(f"small ({args.sample}): mlaudit {m_ours:.3f} s (--no-cache {m_nc:.3f} s)", flush=True)
            if have_rr:
                m_rr = statistics.median(theirs)
                out.update(repo_review_s=round(m_rr, 3), small_ratio=round(m_ours / m_rr, 2))
                print(f"small:      repo-review {m_rr:.3f} s  ratio {m_ours / m_rr:.2f}  (target < 1)", flush=True)
            else:
                print(f"small:      repo-review not found at {rr} (use --setup-repo-review)", flush=True)
        if args.json:
            print(json.dumps(out))
    finally:
        for t in temps:
            shutil.rmtree(t, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
