"""One audit, end to end: config -> snapshot -> rules -> results -> scored Report.

This is the seam the CLI, the tests and the benchmarks call. It reads files (through the
Project) but never writes; rendering and exit codes are the CLI's business.
"""

from __future__ import annotations

import datetime as _dt
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.config import Config, ConfigError, load_config
from auditor.engine import Engine
from auditor.model import Report
from auditor.project import Project
from auditor.rules_loader import RuleFileError, load_rules
from auditor.scoring import summarise
from auditor.selection import unknown_selectors


@dataclass
class AuditOptions:
    config_file: str | None = None
    no_config: bool = False
    overrides: dict[str, Any] = field(default_factory=dict)  # CLI values; None = not given
    today: _dt.date | None = None
    display_path: str | None = None
    use_cache: bool = False         # the per-file fact cache (auditor/cache.py); the CLI turns it on
    cache_dir: str | None = None    # default: MLAUDIT_CACHE_DIR or the user cache directory
    jobs: int | None = None         # processes for per-file work; None: all CPUs (--jobs)


def prepare(path: Path, options: AuditOptions, *, cache=None) -> tuple[Config, list, set[str]]:
    """Configuration and rules for a run; raises ConfigError / RuleFileError (exit 2)."""
    config = load_config(path, config_file=options.config_file, no_config=options.no_config,
                         overrides=options.overrides)
    rule_paths = [(config.base_dir or path) / p for p in config.get("rule-paths", [])]
    # rule-paths from the audited repository's own config must stay inside it
    from_repo = options.config_file is None and config.source is not None
    rules, user_ids = load_rules(rule_paths, user_root=path if from_repo else None, cache=cache,
                                 source=config.source)
    for key in ("select", "ignore"):
        unknown = unknown_selectors(rules, config.get(key) or [])
        if unknown:
            where = f"{config.source}: " if config.source and not options.overrides.get(key) else ""
            raise ConfigError(f"{where}{key}: unknown rule or category {', '.join(map(repr, unknown))}")
    return config, rules, user_ids


@contextmanager
def _rare_gc(gen0: int = 50_000):
    """Collect cycles less often while rules run.

    Why: an audit builds hundreds of thousands of small acyclic records (index headers,
    parsed bodies, CI models); with CPython's default threshold (700) the collector walks
    them over and over, about a tenth of a cold run on a large tree. Cycles are still
    collected, just in larger batches."""
    import gc

    before = gc.get_threshold()
    gc.set_threshold(max(before[0], gen0), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def run_audit(path: str | Path, options: AuditOptions | None = None) -> Report:
    options = options or AuditOptions()
    started = time.perf_counter()
    root = Path(path)
    project = Project(root)  # validates the path first: a missing path is exit 2
    if options.use_cache:
        from auditor.cache import open_cache

        project.cache = open_cache(project.root, options.cache_dir)
    if options.jobs is None:
        from auditor.cache import default_jobs

        project.jobs = default_jobs()
    else:
        project.jobs = max(1, options.jobs)
    config, rules, user_ids = prepare(project.root, options, cache=project.cache)
    project.exclude = list(config.get("exclude") or [])  # the listing is lazy: not built yet
    project.file_budget_ms = config.get("file-budget-ms")  # per-file time budget (auditor/budget.py)
    project.display_path = options.display_path or str(path)
    engine = Engine(project, rules, config, user_rule_ids=user_ids, today=options.today)
    memo = memoised = None
    if project.cache is not None:  # an unchanged tree is not audited twice (auditor/cache.py)
        from auditor.cache import RunMemo

        memo = RunMemo(project, [config.values, config.source, [vars(w) for w in config.waivers], rules,
                                 sorted(user_ids), engine.today, project.display_path])
        memoised = memo.load(rules)
    if memoised is not None:
        results, problems = memoised
    else:
        with _rare_gc():
            results = engine.run()
        problems = project.problems
        if memo is not None:
            memo.store(results, problems)
    summary = summarise(results, category_weights=config.get("category-weights"),
                        threshold=config.get("fail-under"))
    git = project.fact("git")
    if project.cache is not None:
        project.cache.close()
    return Report(
        tool_version=__version__,
        target_path=project.display_path,
        git=git.to_report() if git else None,
        profile=config["profile"],
        summary=summary,
        results=results,
        problems=problems,
        duration_ms=int((time.perf_counter() - started) * 1000),
        notices=engine.expired_waivers(),
    )


__all__ = ["AuditOptions", "run_audit", "prepare", "ConfigError", "RuleFileError"]
