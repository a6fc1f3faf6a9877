"""Pre-commit facts: the hooks of every `.pre-commit-config.yaml` in the tree.

Several rules ask about hooks (static analysis, notebook output stripping, pre-commit in
CI), so the configuration files are parsed once here. A file whose shape is not what
pre-commit expects becomes a report problem; the hooks that could be read still count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CONFIG_NAMES = (".pre-commit-config.yaml", ".pre-commit-config.yml")  # anywhere in the tree


@dataclass(frozen=True)
class Hook:
    id: str
    repo: str            # the repository URL, or "local" / "meta"
    file: str
    line: int | None


@dataclass
class PreCommitConfig:
    path: str
    hooks: list[Hook] = field(default_factory=list)
    ci: dict | None = None   # the `ci:` section (pre-commit.ci settings), when present


@dataclass
class PreCommitFacts:
    configs: list[PreCommitConfig] = field(default_factory=list)

    @property
    def hooks(self) -> list[Hook]:
        return [h for c in self.configs for h in c.hooks]


def extract(project) -> PreCommitFacts:
    facts = PreCommitFacts()
    paths = sorted(p for name in CONFIG_NAMES for p in project.by_name.get(name, []))
    for path in paths:
        data = project.yaml(path)
        if data is None:
            continue  # unreadable or unparsable: already a problem (an empty file has no hooks)
        if not isinstance(data, dict):
            project.add_problem(path, "pre-commit configuration is not a mapping; no hooks read")
            continue
        config = PreCommitConfig(path, ci=data["ci"] if isinstance(data.get("ci"), dict) else None)
        repos = data.get("repos", [])
        if not isinstance(repos, list):
            project.add_problem(path, "`repos` is not a list; no hooks read")
            repos = []
        lines = (project.read_text(path) or "").splitlines()
        cursor = 0
        bad = 0
        for repo in repos:
            if not isinstance(repo, dict) or not isinstance(repo.get("hooks", []), list):
                bad += 1
                continue
            url = str(repo.get("repo", ""))
            cursor = _line_after(lines, re.compile(r"^\s*-?\s*repo\s*:\s*['\"]?" + re.escape(url)), cursor)
            for hook in repo.get("hooks", []):
                hook_id = hook.get("id") if isinstance(hook, dict) else None
                if not isinstance(hook_id, (str, int)) or not str(hook_id).strip():
                    bad += 1
                    continue
                hook_id = str(hook_id).strip()
                rx = re.compile(r"^\s*-?\s*id\s*:\s*['\"]?" + re.escape(hook_id) + r"['\"]?\s*(?:#.*)?$")
                cursor = _line_after(lines, rx, cursor)
                config.hooks.append(Hook(hook_id, url, path, cursor or None))
        if bad:
            project.add_problem(path, f"{bad} repo or hook entr{'y' if bad == 1 else 'ies'} without the "
                                      "expected `repo`/`hooks`/`id` shape; skipped")
        facts.configs.append(config)
    return facts


def _line_after(lines: list[str], rx: re.Pattern[str], cursor: int) -> int:
    """1-based number of the first matching line after `cursor` (or `cursor` if none)."""
    for i in range(cursor, len(lines)):
        if rx.match(lines[i]):
            return i + 1
    return cursor
