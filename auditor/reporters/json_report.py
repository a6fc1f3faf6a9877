"""The JSON report (contract in DESIGN.md, described by schemas/report.schema.json)."""

from __future__ import annotations

import json
from typing import Any

from auditor.model import Report, Result


def result_dict(r: Result) -> dict[str, Any]:
    return {
        "id": r.rule.id,
        "slug": r.rule.slug,
        "title": r.rule.title,
        "category": r.rule.category,
        "severity": r.severity or r.rule.severity,
        "weight": r.weight,
        "profile": r.rule.profile,
        "status": r.status,
        "message": r.message,
        "evidence": [e.to_dict() for e in r.evidence],
        "fix": r.rule.fix,
        "practice": r.rule.practice,
        **({"waiver": {"reason": r.waiver_reason}} if r.waiver_reason else {}),
    }


def report_dict(report: Report) -> dict[str, Any]:
    s = report.summary
    return {
        "tool": {"name": "mlaudit", "version": report.tool_version},
        "target": {"path": report.target_path, "git": report.git},
        "profile": report.profile,
        "summary": {
            "score": s.score,
            "grade": s.grade,
            "threshold": s.threshold,
            "threshold_met": s.threshold_met,
            "counts": s.counts,
            "categories": [
                {"id": c.id, "title": c.title, "score": c.score, "counts": c.counts} for c in s.categories
            ],
        },
        "results": [result_dict(r) for r in report.results],
        "problems": [p.to_dict() for p in report.problems],
        "notices": list(report.notices),
        "duration_ms": report.duration_ms,
    }


def render(report: Report, **_: Any) -> str:
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n"
