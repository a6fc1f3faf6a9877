"""Evaluate rules against a project snapshot and collect results.

For every rule of the selected profile: disabled by selection -> `disabled`; covered by an
active waiver -> `waived`; its not-applicable check holds -> `n/a`; else its check decides
`pass` or `fail`. A check that raises yields `error` with the reason; the run goes on.
Rules may refer to other rules (`rule = "INFRA001"`); those are evaluated on demand, once.
"""

from __future__ import annotations

import datetime as _dt
import re

from auditor.model import Evidence, Outcome, Result, Rule
from auditor.predicates import MAX_EVIDENCE, Context, RuleError, evaluate
from auditor.selection import in_profile, is_enabled

MAX_MESSAGE_ITEMS = 3


class Engine:
    def __init__(self, project, rules: list[Rule], config, *, user_rule_ids: set[str] | None = None,
                 today: _dt.date | None = None) -> None:
        self.project = project
        self.rules = {r.id: r for r in rules}
        self.config = config
        self.user_rule_ids = user_rule_ids or set()
        self.today = today or _dt.date.today()
        self._verdicts: dict[str, tuple[str, Outcome]] = {}
        self._in_progress: set[str] = set()
        self.ctx = Context(project, config.values, self.rule_status)

    # -------------------------------------------------------------- verdicts
    def rule_status(self, rule_id: str) -> str:
        if rule_id not in self.rules:
            raise RuleError(f"unknown rule {rule_id!r}")
        return self._verdict(self.rules[rule_id])[0]

    def _verdict(self, rule: Rule) -> tuple[str, Outcome]:
        """(status, outcome) of the rule's own logic, ignoring selection and waivers."""
        if rule.id in self._verdicts:
            return self._verdicts[rule.id]
        if rule.id in self._in_progress:
            raise RuleError(f"rule {rule.id} refers to itself through other rules")
        self._in_progress.add(rule.id)
        prev_user = self.ctx.user_rule
        self.ctx.user_rule = rule.id in self.user_rule_ids
        try:
            if rule.not_applicable is not None:
                na = evaluate(rule.not_applicable, self.ctx)
                if na.ok:
                    verdict = ("n/a", na)
                    self._verdicts[rule.id] = verdict
                    return verdict
            out = evaluate(rule.check, self.ctx)
            verdict = ("pass" if out.ok else "fail", out)
        except RuleError as exc:
            verdict = ("error", Outcome(ok=False, searched=str(exc)))
        except RecursionError:
            verdict = ("error", Outcome(ok=False, searched="check nested too deeply"))
        except Exception as exc:  # a bug in a check must not end the audit
            verdict = ("error", Outcome(ok=False, searched=f"internal error in check: {exc.__class__.__name__}: {exc}"))
        finally:
            self.ctx.user_rule = prev_user
            self._in_progress.discard(rule.id)
        self._verdicts[rule.id] = verdict
        return verdict

    # -------------------------------------------------------------- results
    def run(self) -> list[Result]:
        cfg = self.config
        profile = cfg["profile"]
        waivers = {w.rule: w for w in cfg.waivers if w.active(self.today)}
        overrides = cfg.get("severity", {}) or {}
        self._evaluate_in_lanes(profile, waivers)
        results = []
        for rule in self.rules.values():
            if not in_profile(rule, profile):
                continue
            severity = overrides.get(rule.id, rule.severity)
            if not is_enabled(rule, cfg["select"], cfg["ignore"]):
                results.append(Result(rule, "disabled", "Disabled by configuration (select/ignore).",
                                      severity=severity))
                continue
            if rule.id in waivers:
                w = waivers[rule.id]
                until = f" (until {w.expires.isoformat()})" if w.expires else ""
                results.append(Result(rule, "waived", f"Waived{until}: {w.reason}", severity=severity,
                                      waiver_reason=w.reason))
                continue
            status, out = self._verdict(rule)
            results.append(Result(rule, status, message_for(rule, status, out),
                                  evidence=evidence_for(status, out), severity=severity))
        return sorted(results, key=lambda r: _rule_order(r.rule))

    def _evaluate_in_lanes(self, profile: str, waivers: dict) -> None:
        """On a large tree with more than one job, evaluate the rules that will be
        reported in parallel processes first (auditor/lanes.py); `run` then finds their
        verdicts made."""
        from auditor import lanes

        cfg = self.config
        todo = [rule for rule in self.rules.values()
                if in_profile(rule, profile) and is_enabled(rule, cfg["select"], cfg["ignore"])
                and rule.id not in waivers]
        if lanes.worth_it(self.project, todo):
            lanes.evaluate(self, todo)

    def expired_waivers(self) -> list[str]:
        out = []
        for w in self.config.waivers:
            if not w.active(self.today):
                out.append(f"waiver for {w.rule} expired on {w.expires.isoformat()}; the rule is checked again")
            if w.rule not in self.rules:
                out.append(f"waiver names unknown rule {w.rule}")
        return out


_ID = re.compile(r"^([A-Z]+)(\d+)$")
_CATEGORY_ORDER = ["VCS", "DATA", "TRAIN", "CODE", "CI", "INFRA", "DEPLOY", "MON", "TEAM"]


def _rule_order(rule: Rule) -> tuple:
    cat = _CATEGORY_ORDER.index(rule.category) if rule.category in _CATEGORY_ORDER else len(_CATEGORY_ORDER)
    return (cat, rule.category, rule.id)


def evidence_for(status: str, out: Outcome) -> list[Evidence]:
    evidence = list(out.evidence[:MAX_EVIDENCE])
    if not evidence and out.searched:
        evidence = [Evidence(None, None, _describe(status, clause)) for clause in _clauses(out.searched)]
    return evidence[:MAX_EVIDENCE]


def _describe(status: str, clause: str) -> str:
    """Words for what a check looked at when it found nothing to point to."""
    if clause.startswith("not (") and clause.endswith(")"):
        return f"none found: {clause[5:-1]}"  # a negated search came up empty, so it holds
    return f"{'checked' if status == 'pass' else 'searched for'} {clause}"


def _clauses(searched: str) -> list[str]:
    """Split a combined `searched` text ("A; or B; or C") into one item per alternative."""
    parts = re.split(r"; (?:or|and) ", searched)
    return [p.strip() for p in parts if p.strip()]


def _statement(title: str) -> str:
    """'Experiments are tracked' -> 'experiments are tracked' (but keep 'CI runs ...')."""
    first = title.split(" ", 1)[0]
    if len(first) > 1 and first.isupper():  # an acronym: CI, DVC, README
        return title
    return title[:1].lower() + title[1:]


def _summarise(evidence: list[Evidence]) -> str:
    parts = []
    for e in evidence[:MAX_MESSAGE_ITEMS]:
        where = f"{e.path}:{e.line}" if e.path and e.line else (e.path or "")
        parts.append(f"{where} ({e.detail})" if where and e.detail else where or e.detail)
    more = len(evidence) - MAX_MESSAGE_ITEMS
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def message_for(rule: Rule, status: str, out: Outcome) -> str:
    if getattr(out, "message", ""):
        return out.message
    if status == "pass":
        return f"Found {_summarise(out.evidence)}." if out.evidence else "Passed."
    if status == "n/a":
        return f"Not applicable: {rule.na_reason or out.searched or 'condition met'}."
    if status == "error":
        return f"Check could not run: {out.searched}."
    if out.evidence:
        return f"Failed: {_summarise(out.evidence)}."
    return f"No evidence that {_statement(rule.title.rstrip('.'))}."
