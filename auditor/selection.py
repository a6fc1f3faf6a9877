"""Which rules a run includes: profile, --select/--ignore selectors."""

from __future__ import annotations

from auditor.model import PROFILES, Rule


def in_profile(rule: Rule, profile: str) -> bool:
    """A profile includes every rule of the lower profiles."""
    return PROFILES.index(rule.profile) <= PROFILES.index(profile)


def matches_selector(rule: Rule, selector: str) -> bool:
    """A selector is a rule id, a category id, or an id prefix (`CI`, `CI00`, `CI002`)."""
    s = selector.strip().upper()
    return bool(s) and (rule.id == s or rule.category == s or rule.id.startswith(s))


def is_enabled(rule: Rule, select: list[str], ignore: list[str]) -> bool:
    if select and not any(matches_selector(rule, s) for s in select):
        return False
    return not any(matches_selector(rule, s) for s in ignore)


def unknown_selectors(rules: list[Rule], selectors: list[str]) -> list[str]:
    return [s for s in selectors if not any(matches_selector(r, s) for r in rules)]
