"""Small helpers shared by the CI and review reporters (SARIF, JUnit, Markdown, HTML, badge).

They only read a `Report`: ordering, grouping, wording and "which file does this failure
belong to". None of them recomputes a verdict, a score or a grade.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re

from auditor.model import CATEGORIES, Report, Result

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
SKIPPED = ("n/a", "waived", "disabled")  # statuses that leave a rule out of the score

# Where the fix for a rule usually goes: (globs matched against paths already in the report's
# evidence, conventional default path when none of them is known). Rule ids first, then
# categories. A failing rule with evidence of its own points at that evidence instead.
_CI_FILES = (".github/workflows/*", ".gitlab-ci.yml", "Jenkinsfile", "azure-pipelines.yml",
             ".circleci/config.yml", "bitbucket-pipelines.yml", ".travis.yml", ".woodpecker.yml",
             ".drone.yml", "cloudbuild.yaml", "buildspec.yml")
_PACKAGING = ("pyproject.toml", "setup.cfg", "setup.py")
FIX_LOCATIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "VCS002": ((".gitignore",), ".gitignore"),
    "VCS006": ((".pre-commit-config.yaml", ".gitattributes"), ".pre-commit-config.yaml"),
    "DATA001": (("dvc.yaml", ".dvc/config", "*.dvc", ".gitattributes"), None),
    "DATA002": ((".dvc/config",), None),
    "DATA006": (("data/README*", "datasets/README*"), "data/README.md"),
    "TRAIN002": (("params.yaml", "conf/*", "configs/*", "config/*"), None),
    "CODE004": (("pyproject.toml", "ruff.toml", ".ruff.toml", "setup.cfg", ".flake8", "tox.ini",
                 ".pre-commit-config.yaml"), "pyproject.toml"),
    "CODE005": (("pyproject.toml", "requirements.txt", "requirements/*.txt", "setup.py", "setup.cfg",
                 "environment.yml"), "pyproject.toml"),
    "CODE006": (("requirements*.txt", "requirements/*.txt", "pyproject.toml"), "pyproject.toml"),
    "CODE007": (_PACKAGING, "pyproject.toml"),
    "CODE008": ((".pre-commit-config.yaml",), ".pre-commit-config.yaml"),
    "CODE009": (("pyproject.toml", ".coveragerc", "setup.cfg", "tox.ini"), "pyproject.toml"),
    "CI": (_CI_FILES, ".github/workflows/"),
    "CI006": ((".github/dependabot.yml", ".github/dependabot.yaml", "renovate.json", ".github/renovate.json"),
              ".github/dependabot.yml"),
    "INFRA001": (("dvc.yaml", "Makefile", "justfile"), None),
    "INFRA002": (("Dockerfile", "*/Dockerfile", "Containerfile", "docker-compose.yml", "compose.yaml"),
                 "Dockerfile"),
    "TEAM001": (("README*",), "README.md"),
    "TEAM002": (("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS"), ".github/CODEOWNERS"),
    "TEAM003": ((".github/pull_request_template.md", ".github/PULL_REQUEST_TEMPLATE/*"),
                ".github/pull_request_template.md"),
    "TEAM004": ((".github/ISSUE_TEMPLATE/*",), ".github/ISSUE_TEMPLATE/"),
    "TEAM005": (("MODEL_CARD*", "model_card*", "README*"), None),
    "TEAM006": (("LICENSE*", "COPYING*") + _PACKAGING, "LICENSE"),
    "TEAM007": (("docs/adr/*", "docs/decisions/*", "adr/*"), "docs/adr/"),
}
FALLBACK_LOCATION = "README.md"


def severity(r: Result) -> str:
    """The effective severity (after configuration overrides)."""
    return r.severity or r.rule.severity


def by_severity(results: list[Result]) -> list[Result]:
    return sorted(results, key=lambda r: (SEVERITY_ORDER.get(severity(r), 9), r.rule.id))


def with_status(report: Report, *statuses: str) -> list[Result]:
    return [r for r in report.results if r.status in statuses]


def category_title(report: Report, cat: str) -> str:
    for c in report.summary.categories:
        if c.id == cat:
            return c.title
    return CATEGORIES.get(cat, cat)


def grouped_by_category(results: list[Result]) -> dict[str, list[Result]]:
    """Results per category, in the report's order (which is the catalogue order)."""
    out: dict[str, list[Result]] = {}
    for r in results:
        out.setdefault(r.rule.category, []).append(r)
    return out


def score_text(score: float | None) -> str:
    return "n/a" if score is None else f"{score:.1f}"


def counts_line(report: Report) -> str:
    c = report.summary.counts
    parts = [f"{c['pass']} passed", f"{c['fail']} failed", f"{c['n/a']} n/a"]
    parts += [f"{c[k]} {k}" for k in ("waived", "disabled") if c[k]]
    if c["error"]:
        parts.append(f"{c['error']} errors")
    return ", ".join(parts)


def threshold_text(report: Report) -> str | None:
    s = report.summary
    if s.threshold is None:
        return None
    return f"threshold {s.threshold:g}: {'met' if s.threshold_met else 'NOT met'}"


def where(path: str | None, line: int | None) -> str:
    if path and line:
        return f"{path}:{line}"
    return path or ""


def clean_path(path: str) -> str:
    p = path.replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    return p


def known_paths(report: Report) -> list[str]:
    """Every repository path the report mentions, in order of first appearance."""
    seen: dict[str, None] = {}
    for r in report.results:
        for e in r.evidence:
            if e.path:
                seen.setdefault(clean_path(e.path), None)
    return list(seen)


def fix_location(result: Result, report: Report, known: list[str] | None = None) -> tuple[str, int | None]:
    """The most relevant file (and line) for a result, for annotations and code scanning.

    Its own evidence first; else a file where the fix belongs that the report shows exists
    (e.g. an existing workflow for a CI rule); else where such a file conventionally goes;
    else the README.
    """
    for e in result.evidence:
        if e.path and clean_path(e.path) not in ("", "."):
            return clean_path(e.path), e.line if e.line and e.line > 0 else None
    known = known_paths(report) if known is None else known
    globs, default = FIX_LOCATIONS.get(result.rule.id) or FIX_LOCATIONS.get(result.rule.category) or ((), None)
    for match in (lambda p, g: fnmatch.fnmatchcase(p, g),  # a whole path first, then a name anywhere
                  lambda p, g: fnmatch.fnmatchcase(posixpath.basename(p), g)):
        for pattern in globs:
            for p in known:
                if match(p, pattern):
                    return p, None
    if default:
        return default, None
    readmes = [p for p in known if posixpath.dirname(p) == "" and p.lower().startswith("readme")]
    return (readmes[0] if readmes else FALLBACK_LOCATION), None


_CODE_SPAN = re.compile(r"(`+)(.+?)\1")


def split_code_spans(text: str) -> list[tuple[bool, str]]:
    """Rule texts use Markdown code spans (`pyproject.toml`): [(is_code, piece), ...] on one line."""
    text = " ".join((text or "").split())
    out: list[tuple[bool, str]] = []
    pos = 0
    for m in _CODE_SPAN.finditer(text):
        if m.start() > pos:
            out.append((False, text[pos:m.start()]))
        out.append((True, m.group(2).strip() or m.group(2)))
        pos = m.end()
    if pos < len(text):
        out.append((False, text[pos:]))
    return out


def redundant_evidence(result: Result) -> bool:
    """True when the evidence only repeats what the message already says ("searched for X")."""
    for e in result.evidence:
        if e.path:
            return False
        detail = e.detail
        for verb in ("searched for ", "checked "):
            detail = detail.removeprefix(verb)
        if " ".join(detail.split()) not in " ".join(result.message.split()):
            return False
    return True


def fold(text: str, limit: int) -> tuple[str, bool]:
    """(text cut at a word before `limit` characters with an ellipsis, whether it was cut).

    Long failure messages list everything that was searched for; the short form keeps a
    report readable, the reporter puts the whole text one click away.
    """
    flat = " ".join((text or "").split())
    if len(flat) <= limit:
        return flat, False
    return flat[:limit].rsplit(" ", 1)[0].replace("`", "") + " …", True
