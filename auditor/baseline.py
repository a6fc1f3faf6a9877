"""Baselines ("ratchet"): adopt the gate on an existing repository without fixing everything first.

`mlaudit baseline` records the rules that fail today in a small JSON file that is committed
with the code. `mlaudit --baseline FILE` then still reports every failure, but its exit code
depends only on rules that fail and are *not* in the baseline (new failures). A recorded rule
that passes again is named in a notice, so the baseline can be tightened
(`mlaudit baseline` again) and the ratchet only ever turns one way.

Rules are matched by their stable id. The file has no timestamp, so re-recording an
unchanged state gives an identical file (no noise in diffs).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from auditor.model import Report, Result

FORMAT_VERSION = 1
DEFAULT_FILE = ".mlaudit-baseline.json"


class BaselineError(Exception):
    """The baseline file is missing or unusable; str(self) is one line (exit 2)."""


@dataclass
class Baseline:
    failing: dict[str, str]  # rule id -> slug at the time of recording
    profile: str | None = None
    source: str = ""


@dataclass
class Comparison:
    new: list[Result] = field(default_factory=list)  # failing now, not in the baseline
    known: list[Result] = field(default_factory=list)  # failing now and in the baseline
    fixed: list[str] = field(default_factory=list)  # in the baseline, no longer failing

    @property
    def ok(self) -> bool:
        return not self.new


def record(report: Report) -> dict:
    failing = sorted((r for r in report.results if r.status == "fail"), key=lambda r: r.rule.id)
    return {
        "mlaudit-baseline": FORMAT_VERSION,
        "profile": report.profile,
        "score": report.summary.score,
        "failing": [{"id": r.rule.id, "slug": r.rule.slug, "title": r.rule.title} for r in failing],
    }


def dumps(report: Report) -> str:
    return json.dumps(record(report), indent=2, ensure_ascii=False) + "\n"


def parse(text: str, source: str) -> Baseline:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BaselineError(f"{source}: not a baseline file (invalid JSON: {exc})") from None
    if not isinstance(data, dict) or "mlaudit-baseline" not in data:
        raise BaselineError(f"{source}: not a baseline file (no 'mlaudit-baseline' key); "
                            "create one with `mlaudit baseline`")
    if data["mlaudit-baseline"] != FORMAT_VERSION:
        raise BaselineError(f"{source}: baseline format {data['mlaudit-baseline']!r} is not supported "
                            f"(expected {FORMAT_VERSION})")
    entries = data.get("failing")
    if not isinstance(entries, list):
        raise BaselineError(f"{source}: 'failing' must be a list of rules")
    failing: dict[str, str] = {}
    for i, entry in enumerate(entries):
        if isinstance(entry, str):
            failing[entry.upper()] = ""
        elif isinstance(entry, dict) and isinstance(entry.get("id"), str):
            failing[entry["id"].upper()] = str(entry.get("slug", ""))
        else:
            raise BaselineError(f"{source}: failing[{i}] must be a rule id or an object with an 'id'")
    profile = data.get("profile") if isinstance(data.get("profile"), str) else None
    return Baseline(failing=failing, profile=profile, source=source)


def load(path: str | Path) -> Baseline:
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise BaselineError(f"{path}: baseline file not found; create it with `mlaudit baseline -o {path}`") from None
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise BaselineError(f"{path}: baseline is not UTF-8 text") from None
    return parse(text, str(path))


def compare(report: Report, baseline: Baseline) -> Comparison:
    cmp = Comparison()
    failing_now = set()
    for r in report.results:
        if r.status != "fail":
            continue
        failing_now.add(r.rule.id)
        (cmp.known if r.rule.id in baseline.failing else cmp.new).append(r)
    present = {r.rule.id: r.status for r in report.results}
    # "fixed" only for rules this run evaluated (not waived, disabled or outside the profile)
    cmp.fixed = sorted(rid for rid in baseline.failing
                       if rid not in failing_now and present.get(rid) in ("pass", "n/a"))
    return cmp


def notices(cmp: Comparison, baseline: Baseline) -> list[str]:
    src = baseline.source or "the baseline"
    out = []
    if cmp.new:
        ids = ", ".join(r.rule.id for r in cmp.new)
        out.append(f"baseline {src}: {len(cmp.new)} new failure(s) not in the baseline: {ids}")
    else:
        out.append(f"baseline {src}: no new failures ({len(cmp.known)} known failure(s) accepted)")
    if cmp.fixed:
        out.append(f"baseline {src}: {', '.join(cmp.fixed)} no longer fail(s); run `mlaudit baseline -o {src}` "
                   "to tighten the baseline")
    return out


def annotate(report: Report, cmp: Comparison, baseline: Baseline) -> Report:
    """The same report with the baseline verdict among its notices (shown by every format)."""
    return dataclasses.replace(report, notices=[*report.notices, *notices(cmp, baseline)])
