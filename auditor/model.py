"""The result model every reporter renders: plain dataclasses, no behaviour beyond shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STATUSES = ("pass", "fail", "n/a", "waived", "disabled", "error")
SEVERITY_WEIGHTS = {"critical": 10.0, "high": 7.5, "medium": 5.0, "low": 2.5}
PROFILES = ("research", "team", "production")
CATEGORIES = {
    "VCS": "Version control and repository hygiene",
    "DATA": "Data management",
    "TRAIN": "Training and model development",
    "CODE": "Code quality and testing",
    "CI": "Continuous integration and automation",
    "INFRA": "Pipelines and infrastructure",
    "DEPLOY": "Deployment",
    "MON": "Monitoring",
    "TEAM": "Collaboration and governance",
}


@dataclass(frozen=True)
class Evidence:
    """One thing found (or looked for): a file, optionally a line, and what it shows."""

    path: str | None
    line: int | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "detail": self.detail}


@dataclass(frozen=True)
class Problem:
    """An input the audit could not use (unreadable, unparsable, too large, not a file...)."""

    path: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "detail": self.detail}


@dataclass
class Outcome:
    """What a check found: whether it holds, and the evidence either way.

    `searched` says in words what was looked for, so a failure can explain itself.
    """

    ok: bool
    evidence: list[Evidence] = field(default_factory=list)
    searched: str = ""
    message: str = ""  # optional: a check's own one-line verdict, overriding the generic one


@dataclass
class Rule:
    id: str
    slug: str
    title: str
    category: str
    severity: str
    profile: str
    practice: str
    rationale: str
    fix: str
    check: dict[str, Any]
    not_applicable: dict[str, Any] | None = None
    na_reason: str = ""
    example: str = ""
    source: str = ""  # the file the rule was loaded from

    @property
    def weight(self) -> float:
        return SEVERITY_WEIGHTS[self.severity]


@dataclass
class Result:
    rule: Rule
    status: str
    message: str
    evidence: list[Evidence] = field(default_factory=list)
    severity: str = ""  # effective severity after configuration overrides
    waiver_reason: str | None = None

    @property
    def weight(self) -> float:
        return SEVERITY_WEIGHTS[self.severity or self.rule.severity]


@dataclass
class CategoryScore:
    id: str
    title: str
    score: float | None
    counts: dict[str, int]


@dataclass
class Summary:
    score: float | None
    grade: str
    threshold: float | None
    threshold_met: bool
    counts: dict[str, int]
    categories: list[CategoryScore]


@dataclass
class Report:
    tool_version: str
    target_path: str
    git: dict[str, Any] | None
    profile: str
    summary: Summary
    results: list[Result]
    problems: list[Problem]
    duration_ms: int
    notices: list[str] = field(default_factory=list)  # e.g. expired waivers
