"""Predicates over git state: work tree, remotes and recent history (from the `git` fact).

`git = "work-tree"`  the audited path is inside a git work tree;
`git = "remote"`     the repository has at least one configured remote;
`git-history = { pattern = "regex", more-than = 0.5, what = "carry a PR marker" }`
                     more than that share of the last 100 commit subjects match the pattern
                     (`what` names the pattern in evidence; default "match /pattern/").
                     Merge-commit workflows interleave the merged branch's own commits with
                     the merge commits, so the main line (`--first-parent`) is consulted too
                     and the higher share wins: both histories show the same practice.
"""

from __future__ import annotations

import os
import re
from typing import Any

from auditor.model import Evidence, Outcome
from auditor.predicates import Context, RuleError

MAX_SUBJECT_EVIDENCE = 3
_USERINFO = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*://)[^/@]*@")


def safe_url(url: str) -> str:
    """A remote URL without any embedded user name or token."""
    return _USERINFO.sub(r"\1", url)


def git_state(ctx: Context, value: Any) -> Outcome:
    project = ctx.project
    if value == "work-tree":
        if not project.in_git:
            return Outcome(False, [], "a git work tree (`.git`) at or above the audited path")
        facts = project.fact("git")
        rel = os.path.relpath(project.git_top, project.root)
        where = ".git" if rel == "." else f"{rel}/.git"
        parts = []
        if facts is not None and facts.branch:
            parts.append(f"branch {facts.branch}")
        if facts is not None:
            parts.append(f"commit {facts.commit[:12]}" if facts.commit else "no commits yet")
        detail = "git work tree" + (f" ({', '.join(parts)})" if parts else "")
        return Outcome(True, [Evidence(where, None, detail)], "a git work tree")
    if value == "remote":
        facts = project.fact("git") if project.in_git else None
        remotes = facts.remotes if facts is not None else {}
        evidence = [Evidence(None, None, f"git remote `{name}` -> {safe_url(url)}")
                    for name, url in sorted(remotes.items())]
        return Outcome(bool(evidence), evidence, "a configured git remote")
    raise RuleError(f"`git` expects \"work-tree\" or \"remote\", got {value!r}")


def _first_parent_subjects(project) -> list[str]:
    from auditor.gitsafe import GitError

    try:
        out = project.git.text("log", "-100", "--first-parent", "--no-show-signature", "--format=%s")
    except GitError:
        return []
    return out.splitlines()


def git_history(ctx: Context, value: Any) -> Outcome:
    if not isinstance(value, dict) or "pattern" not in value:
        raise RuleError("`git-history` needs a table with `pattern` (and optionally `more-than`)")
    from auditor.predicates.files import compile_pattern

    rx = compile_pattern(str(value["pattern"]), bool(value.get("ignore-case", False)), ctx.user_rule)
    threshold = float(value.get("more-than", 0.5))
    what = str(value.get("what") or f"match /{value['pattern']}/")
    searched = f"more than {threshold:.0%} of the last 100 commit subjects that {what}"
    project = ctx.project
    facts = project.fact("git") if project.in_git else None
    if facts is None or not facts.subjects:
        return Outcome(False, [], searched + (" (no commits yet)" if facts is not None
                                              else " (not a git repository)"))
    best: tuple[float, list[str], int, str] | None = None
    histories = [("", facts.subjects)]
    for label, subjects in histories:
        hits = [s for s in subjects if rx.search(s)]
        share = len(hits) / len(subjects)
        if best is None or share > best[0]:
            best = (share, hits, len(subjects), label)
        if share <= threshold and not label and facts.commit:
            first_parent = _first_parent_subjects(project)
            if first_parent and first_parent != subjects:
                histories.append(("first-parent ", first_parent))
    share, hits, total, label = best
    summary = f"{len(hits)} of the last {total} {label}commit subjects {what}"
    evidence = [Evidence(None, None, summary)]
    evidence += [Evidence(None, None, f"commit subject: {s[:120]}") for s in hits[:MAX_SUBJECT_EVIDENCE]]
    return Outcome(share > threshold, evidence, searched)
