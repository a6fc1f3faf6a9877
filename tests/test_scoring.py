"""Scoring follows RULES.md exactly: weights, exclusions, category means, grades."""

from auditor.model import Result, Rule
from auditor.scoring import grade, summarise


def _rule(rid: str, cat: str, sev: str) -> Rule:
    return Rule(id=rid, slug=rid.lower(), title=rid, category=cat, severity=sev, profile="research",
                practice="", rationale="r", fix="f", check={"file": "x"})


def _res(rid, cat, sev, status, override=""):
    return Result(_rule(rid, cat, sev), status, "", severity=override)


def test_category_score_is_weighted_by_severity():
    results = [_res("A001", "CODE", "high", "pass"), _res("A002", "CODE", "low", "fail")]
    s = summarise(results)
    assert s.categories[0].score == round(100 * 7.5 / 10.0, 1)  # 75.0
    assert s.score == 75.0


def test_na_disabled_waived_error_are_left_out():
    results = [_res("A001", "CODE", "high", "pass"), _res("A002", "CODE", "critical", "n/a"),
               _res("A003", "CODE", "critical", "waived"), _res("A004", "CODE", "critical", "disabled"),
               _res("A005", "CODE", "critical", "error")]
    s = summarise(results)
    assert s.score == 100.0
    assert s.counts == {"pass": 1, "fail": 0, "n/a": 1, "waived": 1, "disabled": 1, "error": 1}


def test_overall_is_mean_of_categories_with_weights():
    results = [_res("A001", "CODE", "high", "pass"), _res("B001", "DATA", "high", "fail")]
    assert summarise(results).score == 50.0
    assert summarise(results, category_weights={"DATA": 3}).score == 25.0
    # a category with nothing counted does not pull the mean
    results.append(_res("C001", "MON", "high", "n/a"))
    s = summarise(results)
    assert s.score == 50.0
    assert [c.score for c in s.categories if c.id == "MON"] == [None]


def test_severity_override_changes_weight():
    results = [_res("A001", "CODE", "high", "pass"), _res("A002", "CODE", "low", "fail", override="critical")]
    assert summarise(results).score == round(100 * 7.5 / 17.5, 1)


def test_grades_and_threshold():
    assert [grade(x) for x in (95, 90, 89.9, 80, 70, 60, 59.9, None)] == ["A", "A", "B", "B", "C", "D", "F", "-"]
    results = [_res("A001", "CODE", "high", "pass"), _res("A002", "CODE", "high", "fail")]
    assert summarise(results, threshold=50).threshold_met is True
    assert summarise(results, threshold=50.1).threshold_met is False


def test_rounding_to_one_decimal():
    results = [_res("A001", "CODE", "high", "pass"), _res("A002", "CODE", "high", "pass"),
               _res("A003", "CODE", "high", "fail")]
    assert summarise(results).score == 66.7
