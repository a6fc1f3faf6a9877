"""Predicates over first-party Python code and notebooks (the `python` fact).

Every predicate searches the indexed `.py` files and notebook code cells of the repository.
By default test files (test_*.py, *_test.py, conftest.py, anything under tests/) are left
out: evidence of a practice should come from the project's own code. Each predicate also
takes a table form with these options:

    tests = false      # default: non-test code; true: test files only; "any": both
    in = "ml-code"     # ML code and files importing first-party ML code; or "training-code",
                       # "modules" (.py files only), "notebooks"
    files = "glob"     # only files matching these globs

Names of calls, bases and decorators are resolved dotted names (`pd.read_csv` is
`pandas.read_csv`). A pattern matches a name equal to it or ending with it after a dot
(`train_test_split` matches `sklearn.model_selection.train_test_split`; `.fit` matches any
method named fit); a pattern with `*` is a glob (`sklearn.metrics.*`, `*SearchCV`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditor.facts.python import module_matcher, name_matcher
from auditor.facts.tokens import base_filter, call_filter, decorator_filter, keyword_filter, regex_filter
from auditor.model import Evidence, Outcome
from auditor.predicates import Context, RuleError, as_list, found

MAX_HITS = 5
_OPTIONS = {"tests", "in", "files"}
_CALL_OPTIONS = {"kwarg", "value", "arg", "min-args", "except"}
_SCOPES = {None, "ml-code", "training-code", "modules", "notebooks"}


# ---------------------------------------------------------------------------- shared helpers
def index(ctx: Context):
    return ctx.project.fact("python")


def name_matches(name: str, pattern: str) -> bool:
    """`pattern` equals `name`, or `name` ends with it after a dot; `*` makes it a glob."""
    return name_matcher((pattern,))(name)


def any_name_matches(name: str, patterns: list[str] | tuple[str, ...]) -> bool:
    """One of the patterns matches (see `NameMatcher`; compiled once per pattern list)."""
    return name_matcher(tuple(patterns))(name)


def split_value(value: Any, key: str, allowed: set[str]) -> tuple[list[str], dict[str, Any]]:
    """A predicate value is a string, a list, or a table {<key> = ..., options...}."""
    if isinstance(value, dict):
        unknown = set(value) - allowed - _OPTIONS - {key}
        if unknown:
            raise RuleError(f"unknown option(s) {', '.join(sorted(unknown))}")
        return [str(v) for v in as_list(value.get(key))], value
    if isinstance(value, (str, list, tuple)):
        return [str(v) for v in as_list(value)], {}
    raise RuleError(f"expected a string, a list or a table, got {value!r}")


def modules(ctx: Context, opts: dict[str, Any], *, mentions: tuple[str, ...] | None = None,
            parse: bool = True) -> Iterator:
    """The ModuleFacts an option table selects (see the module docstring).

    `mentions`: strings one of which the source of any file that can match must contain
    (a pre-filter, see `PythonIndex.select`); `parse=False` when only headers are read."""
    tests = opts.get("tests", False)
    if tests not in (True, False, "any"):
        raise RuleError("`tests` must be true, false or \"any\"")
    scope = opts.get("in")
    if scope not in _SCOPES:
        raise RuleError(f"`in` must be one of {', '.join(sorted(s for s in _SCOPES if s))}")
    files = as_list(opts.get("files"))
    paths = ctx.project.glob(files) if files else None
    return index(ctx).select(tests=None if tests == "any" else tests, scope=scope, paths=paths,
                             mentions=mentions, parse=parse)


def in_scope(idx, path: str, scope: str) -> bool:
    """Whether a non-test file is in an `in = ...` scope (parses it only for training-code)."""
    if scope == "ml-code":
        return path in idx.ml_related
    if scope == "training-code":
        return idx.is_training(path)
    kind = idx.modules[path].kind
    return kind == "module" if scope == "modules" else kind == "notebook"


def where(opts: dict[str, Any]) -> str:
    tests = opts.get("tests", False)
    scope = {"ml-code": "ML code", "training-code": "training code", "modules": "Python modules",
             "notebooks": "notebooks"}.get(opts.get("in"), "first-party Python code and notebooks")
    prefix = "tests" if tests is True else ""
    text = f"{prefix} ({scope})" if prefix else scope
    if opts.get("files"):
        text += f" matching {', '.join(as_list(opts['files']))}"
    return text


def evidence(m, line: int, cell: int | None, detail: str) -> Evidence:
    """Evidence in a module, or in a notebook cell (line is then relative to the cell)."""
    return Evidence(m.path, line, f"cell {cell}: {detail}" if cell is not None else detail)


def _first_per_file(hits: Iterator[Evidence]) -> list[Evidence]:
    out: list[Evidence] = []
    seen: set[str] = set()
    for ev in hits:
        if ev.path in seen:
            continue
        seen.add(ev.path)
        out.append(ev)
        if len(out) >= MAX_HITS:
            break
    return out


def _quote(items: list[str]) -> str:
    return ", ".join(f"`{i}`" for i in items[:8]) + (" ..." if len(items) > 8 else "")


def render_literal(v: Any) -> str:
    if isinstance(v, str):
        return repr(v if len(v) <= 40 else v[:39] + "…")
    return repr(v)


# ---------------------------------------------------------------------------- predicates
def _excepted(opts: dict[str, Any]) -> list[str]:
    """The `except` option: names (or patterns) a predicate must not count even though they
    match (`sklearn.metrics` but not `sklearn.metrics.pairwise`, which is no evaluation metric)."""
    return [str(v) for v in as_list(opts.get("except"))]


def imports(ctx: Context, value: Any) -> Outcome:
    """`imports = "mlflow"` or a list: code imports a module equal to or under one of them
    (and, with `except = [...]`, not equal to or under one of those)."""
    names, opts = split_value(value, "name", {"except"})
    if not names:
        raise RuleError("`imports` needs at least one module name")
    excepted = module_matcher(tuple(_excepted(opts)))

    # an absolute import writes every part of the module's name (a relative one takes the
    # package's: `PythonIndex.mentioning` counts files in such packages too)
    tokens = tuple(sorted({max(n.split("."), key=len) for n in names})) if all(names) else None

    def hits():
        for m in modules(ctx, opts, mentions=tokens, parse=False):
            for imp in m.imports_any(names):
                if excepted(imp.module):
                    continue
                yield evidence(m, imp.line, imp.cell, f"imports {imp.module}")
    return found(_first_per_file(hits()), f"imports of {_quote(names)} in {where(opts)}")


def matching_calls(ctx: Context, value: Any) -> Iterator[tuple[Any, Any, str]]:
    """(module, call, key detail) for every call a `calls` value selects."""
    names, opts = split_value(value, "name", _CALL_OPTIONS)
    kwargs = [str(k) for k in as_list(opts.get("kwarg"))]
    if not names and not kwargs:
        raise RuleError("`calls` needs a name or a `kwarg`")
    min_args = opts.get("min-args", 0)
    if not isinstance(min_args, int) or isinstance(min_args, bool) or min_args < 0:
        raise RuleError("`min-args` must be a non-negative integer")
    value_rx = arg_rx = None
    if opts.get("value") is not None:
        from auditor.predicates.files import compile_pattern

        value_rx = compile_pattern(str(opts["value"]), True, ctx.user_rule)
    if opts.get("arg") is not None:
        from auditor.predicates.files import compile_pattern

        arg_rx = compile_pattern(str(opts["arg"]), True, ctx.user_rule)
    wanted = name_matcher(tuple(names)) if names else None
    excepted = _excepted(opts)
    unwanted = name_matcher(tuple(excepted)) if excepted else None
    # files whose text cannot hold a wanted call are never parsed (issue #6: speed)
    tokens = call_filter(names) if names else keyword_filter(kwargs)
    for m in modules(ctx, opts, mentions=tokens):
        for c in m.calls:
            if wanted is not None and not wanted(c.name):
                continue
            if unwanted is not None and unwanted(c.name):
                continue
            if c.nargs < min_args:
                continue
            detail = ""
            if kwargs:
                present = [k for k in kwargs if c.has_kwarg(k)]
                if not present:
                    continue
                if value_rx is not None:
                    present = [k for k in present if k in c.values and value_rx.search(str(c.values[k]))]
                    if not present:
                        continue
                k = present[0]
                detail = f"{k}={render_literal(c.values[k])}" if k in c.values else f"{k}=…"
            if arg_rx is not None:
                first = c.args[0] if c.args else None
                if not isinstance(first, str) or not arg_rx.search(first):
                    continue
                detail = render_literal(first) + (", " + detail if detail else "")
            yield m, c, detail


def calls(ctx: Context, value: Any) -> Outcome:
    """`calls = "sklearn.model_selection.train_test_split"`, a list, or a table
    `{ name = [...], kwarg = "random_state", value = "regex", arg = "regex", min-args = 1 }`.

    `except`: names or patterns that do not count even when `name` matches them;
    `kwarg`: the call passes one of these keywords with a value other than a literal None;
    `value`: that keyword's literal value matches the regex; `arg`: the first positional
    argument is a string literal matching the regex; `min-args`: at least that many
    positional arguments (`default_rng(42)`, not `default_rng()`). Without `name`, any call
    qualifies.
    """
    names, opts = split_value(value, "name", _CALL_OPTIONS)
    hits = (evidence(m, c.line, c.cell, f"calls {c.name.lstrip('.')}({d})")
            for m, c, d in matching_calls(ctx, value))
    what = _quote(names) if names else "any function"
    if opts.get("kwarg"):
        what += f" with {' or '.join(f'`{k}=`' for k in as_list(opts['kwarg']))}"
    if opts.get("arg"):
        what += f" with first argument matching /{opts['arg']}/"
    return found(_first_per_file(hits), f"calls to {what} in {where(opts)}")


def strings(ctx: Context, value: Any) -> Outcome:
    """`strings = "regex"` (or a list, or `{ pattern = ..., ignore-case = true }`): a string
    literal (not a docstring; f-strings with `{}` for their holes) matches."""
    from auditor.predicates.files import compile_pattern

    patterns, opts = split_value(value, "pattern", {"ignore-case"})
    if not patterns:
        raise RuleError("`strings` needs a pattern")
    rxs = [compile_pattern(p, bool(opts.get("ignore-case")), ctx.user_rule) for p in patterns]
    tokens = regex_filter(patterns, bool(opts.get("ignore-case")))

    def hits():
        for m in modules(ctx, opts, mentions=tokens):
            for s in m.strings:
                if any(rx.search(s.value) for rx in rxs):
                    shown = s.value if len(s.value) <= 80 else s.value[:79] + "…"
                    yield evidence(m, s.line, s.cell, f"string {shown!r}")
                    break
    return found(_first_per_file(hits()),
                 f"string literals matching {' or '.join(f'/{p}/' for p in patterns)} in {where(opts)}")


def attribute(ctx: Context, value: Any) -> Outcome:
    """`attribute = "feature_importances_"` or a list: code reads or writes `x.<name>`."""
    names, opts = split_value(value, "name", set())

    def hits():
        for m in modules(ctx, opts, mentions=tuple(names) or None):
            for n in names:
                if n in m.attributes:
                    line, cell = m.attributes[n]
                    yield evidence(m, line, cell, f"uses .{n}")
                    break
    return found(_first_per_file(hits()), f"uses of {_quote(['.' + n for n in names])} in {where(opts)}")


def defines(ctx: Context, value: Any) -> Outcome:
    """`defines = "regex"` or `{ pattern = ..., kind = "function"|"class" }`: a function,
    method or class whose name matches is defined."""
    from auditor.predicates.files import compile_pattern

    patterns, opts = split_value(value, "pattern", {"kind"})
    kind = opts.get("kind")
    rxs = [compile_pattern(p, False, ctx.user_rule) for p in patterns]
    tokens = regex_filter(patterns)

    def hits():
        for m in modules(ctx, opts, mentions=tokens):
            for d in m.definitions:
                if (kind is None or d.kind == kind) and any(rx.search(d.name) for rx in rxs):
                    owner = f"{d.parent}." if d.parent else ""
                    yield evidence(m, d.line, d.cell, f"defines {d.kind} {owner}{d.name}")
                    break
    return found(_first_per_file(hits()),
                 f"{kind or 'function or class'} definitions matching "
                 f"{' or '.join(f'/{p}/' for p in patterns)} in {where(opts)}")


def _definitions_with(ctx: Context, value: Any, field: str, show) -> tuple[list[Evidence], list[str], dict]:
    """First definition per file one of whose `field` names (bases, decorators) matches."""
    names, opts = split_value(value, "name", set())
    tokens = base_filter(names) if field == "bases" else decorator_filter(names)

    def hits():
        for m in modules(ctx, opts, mentions=tokens):
            for d in m.definitions:
                hit = next((x for x in getattr(d, field) if any_name_matches(x, names)), None)
                if hit:
                    yield evidence(m, d.line, d.cell, show(d, hit.lstrip(".")))
                    break
    return _first_per_file(hits()), names, opts


def subclass(ctx: Context, value: Any) -> Outcome:
    """`subclass = "LightningModule"` or a list: a class derives from a matching base."""
    ev, names, opts = _definitions_with(ctx, value, "bases", lambda d, base: f"class {d.name}({base})")
    return found(ev, f"classes derived from {_quote(names)} in {where(opts)}")


def decorator(ctx: Context, value: Any) -> Outcome:
    """`decorator = "hydra.main"` or a list: a function or class carries a matching decorator."""
    ev, names, opts = _definitions_with(ctx, value, "decorators", lambda d, dec: f"@{dec} on {d.name}")
    return found(ev, f"decorators {_quote(names)} in {where(opts)}")


_GROUPS = {"deep-learning": "DEEP_LEARNING", "tabular": "TABULAR", "any": "ML_FRAMEWORKS"}


def framework(ctx: Context, value: Any) -> Outcome:
    """`framework = "torch"`, a list, or a group: "deep-learning", "tabular", "any"; or a
    table `{ name = "tabular", in = "training-code" }` to look only at ML or training code.

    Non-test code imports one of these ML/data frameworks as a third-party package (a local
    package that shadows a framework name does not count)."""
    from auditor.facts import python as facts

    names, opts = split_value(value, "name", set())
    if set(opts) - {"name", "in"}:
        raise RuleError("`framework` takes only `name` and `in`")
    wanted: set[str] = set()
    for n in names:
        wanted |= set(getattr(facts, _GROUPS[n])) if n in _GROUPS else {n}
    idx = index(ctx)
    scope = opts.get("in")
    if scope:
        modules(ctx, {"in": scope}, parse=False)  # validates the option
    ev = []
    for path in idx.uses_framework(wanted):
        if scope and not in_scope(idx, path, scope):
            continue
        used = [f for f in idx.frameworks[path] if f in wanted]
        m = idx.modules[path]
        imp = next((i for i in m.imports_any(used)), None)
        ev.append(evidence(m, imp.line if imp else None, imp.cell if imp else None, f"imports {', '.join(used)}"))
        if len(ev) >= MAX_HITS:
            break
    return found(ev, f"{where(opts) if opts.get('in') else 'first-party code'} using "
                     f"{' or '.join(names)} frameworks")


def ml_code(ctx: Context, value: Any) -> Outcome:
    """`ml-code = true`: some non-test module or notebook imports an ML/data framework
    (RULES.md "ML code"); `ml-code = false` holds when there is none."""
    idx = index(ctx)
    ev = []
    for path in idx.ml_modules[:3]:
        m = idx.modules[path]
        fws = idx.frameworks[path]
        imp = next(iter(m.imports_any(fws)), None)
        ev.append(evidence(m, imp.line if imp else None, imp.cell if imp else None,
                           f"ML code (imports {', '.join(fws[:4])})"))
    searched = "first-party modules or notebooks importing an ML or data framework"
    return _bool(value, found(ev, searched))


def training_code(ctx: Context, value: Any) -> Outcome:
    """`training-code = true`: some ML code fits a model (`.fit(`, `loss.backward()`, an
    optimizer `.step()`, a Trainer, `xgboost.train`, ...); `false` holds when none does."""
    from auditor.facts.python import training_signals

    ev = []
    for m in index(ctx).select(scope="training-code"):
        line, cell, what = training_signals(m)[0]
        ev.append(evidence(m, line, cell, f"trains a model: {what}"))
        if len(ev) >= 3:
            break
    searched = "ML code that fits a model (.fit, loss.backward(), optimizer.step(), Trainer, xgboost.train, ...)"
    return _bool(value, found(ev, searched))


def _bool(value: Any, out: Outcome) -> Outcome:
    if value is True:
        return out
    if value is False:
        return Outcome(ok=not out.ok, evidence=out.evidence, searched=f"no {out.searched}")
    raise RuleError("expected true or false")
