"""Scoring, as RULES.md defines it. Pure functions: results in, numbers out.

- a rule scores 1 for pass, 0 for fail; n/a, disabled, waived and error are left out;
- a category scores 100 * sum(weight * score) / sum(weight) over its counted rules;
- the overall score is the mean of category scores that have a counted rule, weighted by
  the configurable category weights (default 1), rounded to one decimal;
- grade: A >= 90, B >= 80, C >= 70, D >= 60, else F.
"""

from __future__ import annotations

from auditor.model import CATEGORIES, STATUSES, CategoryScore, Result, Summary

COUNTED = ("pass", "fail")
GRADES = ((90, "A"), (80, "B"), (70, "C"), (60, "D"))


def empty_counts() -> dict[str, int]:
    return {s: 0 for s in STATUSES}


def count(results: list[Result]) -> dict[str, int]:
    counts = empty_counts()
    for r in results:
        counts[r.status] += 1
    return counts


def category_score(results: list[Result]) -> float | None:
    counted = [r for r in results if r.status in COUNTED]
    total = sum(r.weight for r in counted)
    if not counted or total == 0:
        return None
    return 100.0 * sum(r.weight for r in counted if r.status == "pass") / total


def grade(score: float | None) -> str:
    if score is None:
        return "-"
    for bound, letter in GRADES:
        if score >= bound:
            return letter
    return "F"


def overall_score(categories: list[CategoryScore], weights: dict[str, float]) -> float | None:
    scored = [(c, float(weights.get(c.id, 1.0))) for c in categories if c.score is not None]
    total = sum(w for _, w in scored)
    if total == 0:
        return None
    return round(sum(c.score * w for c, w in scored) / total, 1)


def summarise(results: list[Result], *, category_weights: dict[str, float] | None = None,
              threshold: float | None = None) -> Summary:
    by_cat: dict[str, list[Result]] = {}
    for r in results:
        by_cat.setdefault(r.rule.category, []).append(r)
    categories = []
    for cat, rs in by_cat.items():
        score = category_score(rs)
        categories.append(CategoryScore(id=cat, title=CATEGORIES.get(cat, cat),
                                        score=None if score is None else round(score, 1), counts=count(rs)))
    score = overall_score(
        [CategoryScore(c.id, c.title, category_score(by_cat[c.id]), c.counts) for c in categories],
        category_weights or {},
    )
    met = threshold is None or (score if score is not None else 100.0) >= threshold
    return Summary(score=score, grade=grade(score), threshold=threshold, threshold_met=met,
                   counts=count(results), categories=categories)
