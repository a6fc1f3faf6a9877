"""Git facts: commit, branch, dirty flag, remotes and recent commit subjects."""

from __future__ import annotations

from dataclasses import dataclass, field

from auditor.gitsafe import GitError


@dataclass
class GitFacts:
    commit: str | None
    branch: str | None
    dirty: bool | None
    remotes: dict[str, str] = field(default_factory=dict)
    subjects: list[str] = field(default_factory=list)  # newest first, at most 100
    lfs_patterns: list[str] = field(default_factory=list)

    def to_report(self) -> dict:
        return {"commit": self.commit, "branch": self.branch, "dirty": self.dirty}


def extract(project) -> GitFacts | None:
    git = project.git
    if git is None:
        return None

    def ask(*argv: str) -> str | None:
        try:
            return git.text(*argv).strip()
        except GitError as exc:
            project.add_problem(".git", str(exc))
            return None

    def ask_quiet(*argv: str) -> str | None:
        try:
            out = git.text(*argv, check=False).strip()
        except GitError:
            return None
        return out or None

    commit = ask_quiet("rev-parse", "--verify", "-q", "HEAD")
    branch = ask_quiet("symbolic-ref", "--short", "-q", "HEAD")
    status = ask("status", "--porcelain", "--untracked-files=no", "--ignore-submodules")
    dirty = None if status is None else bool(status)
    remotes: dict[str, str] = {}
    for line in (ask_quiet("config", "--get-regexp", r"^remote\..*\.url$") or "").splitlines():
        key, _, url = line.partition(" ")
        remotes[key[len("remote."):-len(".url")]] = url
    subjects: list[str] = []
    if commit:
        log = ask("log", "-100", "--no-show-signature", "--format=%s")
        subjects = log.splitlines() if log else []
    return GitFacts(commit=commit, branch=branch, dirty=dirty, remotes=remotes, subjects=subjects)
