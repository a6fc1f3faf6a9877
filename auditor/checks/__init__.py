"""Named Python checks, for rules the declarative vocabulary cannot express.

A rule refers to one as `check = { python = "module.function" }`; the function lives in
`auditor/checks/module.py`, takes the predicate `Context` and returns an `Outcome`.
"""
