"""Render the rule catalogue (`mlaudit rules`) and one rule's documentation (`mlaudit explain`)."""

from __future__ import annotations

import json
import textwrap

from auditor.model import CATEGORIES, Rule


def rule_dict(r: Rule) -> dict:
    return {"id": r.id, "slug": r.slug, "title": r.title, "category": r.category, "severity": r.severity,
            "profile": r.profile, "weight": r.weight, "practice": r.practice, "rationale": r.rationale,
            "fix": r.fix, "not_applicable_when": r.na_reason or None}


def catalogue_json(rules: list[Rule]) -> str:
    return json.dumps([rule_dict(r) for r in rules], indent=2, ensure_ascii=False) + "\n"


def catalogue_text(rules: list[Rule]) -> str:
    lines = []
    current = None
    for r in rules:
        if r.category != current:
            current = r.category
            lines.append(f"\n{current} · {CATEGORIES.get(current, current)}")
        lines.append(f"  {r.id:<10} {r.slug:<30} {r.severity:<8} {r.profile:<10} {r.title}")
    return "\n".join(lines).lstrip("\n") + "\n"


def find_rule(rules: list[Rule], key: str) -> Rule | None:
    k = key.strip()
    for r in rules:
        if r.id == k.upper() or r.slug == k.lower():
            return r
    return None


def _para(title: str, text: str) -> list[str]:
    if not text:
        return []
    body = [textwrap.fill(" ".join(p.split()), width=90, initial_indent="  ", subsequent_indent="  ")
            for p in text.split("\n\n")]
    return [title, *body, ""]


def explain(r: Rule) -> str:
    lines = [f"{r.id} · {r.slug}", r.title, "",
             f"  category {r.category} ({CATEGORIES.get(r.category, r.category)}) · severity {r.severity} "
             f"(weight {r.weight:g}) · profile {r.profile} and above", ""]
    lines += _para("Practice", r.practice)
    lines += _para("Why it matters", r.rationale)
    lines += _para("How to fix", r.fix)
    if r.na_reason:
        lines += _para("Not applicable when", r.na_reason)
    if r.example:
        lines += ["Example", textwrap.indent(r.example.strip("\n"), "    "), ""]
    lines.append(f"Defined in {r.source}")
    return "\n".join(lines) + "\n"
