"""Where a cold audit spends its time: per fact, per rule, and how many modules it parses.

    python bench/profile.py REPO [--jobs N] [--top 15]

Runs one audit in this process without the cache and prints the seconds spent extracting
each fact (the first rule that needs a fact pays for it; that time is listed under the fact,
not the rule), each rule's own time, and how many Python bodies each rule had parsed (the
lazy index of auditor/facts/python.py). Stdlib only; numbers vary with machine load.
"""

from __future__ import annotations

import argparse
import collections
import time


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repo")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--top", type=int, default=15)
    args = ap.parse_args(argv)

    import auditor.engine as engine
    import auditor.facts.python as python
    import auditor.project as project
    from auditor.audit import AuditOptions, run_audit

    fact_time: collections.Counter = collections.Counter()
    rule_time: collections.Counter = collections.Counter()
    parsed: collections.Counter = collections.Counter()
    nested: list[float] = []
    current = ["(facts)"]

    real_fact = project.Project.fact

    def fact(self, name):
        if name in self._facts:
            return self._facts[name]
        start = time.perf_counter()
        nested.append(0.0)
        try:
            return real_fact(self, name)
        finally:
            took = time.perf_counter() - start
            fact_time[name] += took - nested.pop()
            if nested:
                nested[-1] += took

    real_load = python.BodyLoader.load

    def load(self, mods):
        parsed[current[0]] += sum(1 for m in mods if m._body is None and m.indexable)
        return real_load(self, mods)

    real_verdict = engine.Engine._verdict

    def verdict(self, rule):
        current[0] = rule.id
        before = sum(fact_time.values())
        start = time.perf_counter()
        try:
            return real_verdict(self, rule)
        finally:
            rule_time[rule.id] += time.perf_counter() - start - (sum(fact_time.values()) - before)

    project.Project.fact = fact
    python.BodyLoader.load = load
    engine.Engine._verdict = verdict
    start = time.perf_counter()
    run_audit(args.repo, AuditOptions(no_config=True, jobs=args.jobs, use_cache=False))
    total = time.perf_counter() - start

    print(f"total {total:.2f} s (in-process; add ~0.1-0.2 s of interpreter start for the CLI)")
    print("facts:  " + ", ".join(f"{k} {v:.2f}" for k, v in fact_time.most_common()))
    print(f"rules (own time, top {args.top}):  "
          + ", ".join(f"{k} {v:.2f}" for k, v in rule_time.most_common(args.top)))
    print(f"rules, all together: {sum(rule_time.values()):.2f} s")
    print(f"Python bodies parsed: {sum(parsed.values())}  ("
          + ", ".join(f"{k} {v}" for k, v in parsed.most_common(args.top)) + ")")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
