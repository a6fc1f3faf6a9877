"""Test-suite facts: which test modules exist, what they test, and what they assert.

Fact name: "tests" -> `TestSuite`. Rules CODE001-003 and CODE009 ask about the test suite.
This is a view over the Python index (the "python" fact), so no file is parsed twice:
- a test module is a `.py` file the index marks as a test (`test_*.py`, `*_test.py`, or a
  module under a `tests`/`test` folder) that defines at least one test: a module-level
  `test*` function, a `Test*` class with `test*` methods, or a `*TestCase` subclass;
- "exercises ML code": it imports a first-party module that is ML code, or it imports an
  ML framework itself and calls a model method (`fit`, `predict`, `evaluate`, ...);
- model-quality assertions: an `assert` whose condition uses a prediction or a metric
  (a name such as `auc`/`preds`, a `predict`/metric call, or a name assigned from one), an
  `assert*` call on the same line as a prediction/metric call or naming such a value, and
  deepchecks suites that are run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

# Calls that build, train or evaluate a model or pipeline.
MODEL_CALLS = frozenset({"fit", "fit_transform", "fit_predict", "partial_fit", "predict", "predict_proba",
                         "predict_log_proba", "decision_function", "train", "train_model", "evaluate",
                         "backward", "score", "Trainer", "Pipeline", "make_pipeline", "cross_val_score",
                         "cross_validate", "train_on_batch", "training_step", "validation_step"})
# Calls whose result is a prediction or a metric.
QUALITY_CALLS = frozenset({"predict", "predict_proba", "predict_log_proba", "decision_function", "forward",
                           "evaluate", "score", "classify", "infer", "inference"})
METRIC_TOKENS = frozenset({"accuracy", "acc", "precision", "recall", "f1", "fbeta", "auc", "roc", "rocauc",
                           "auroc", "rmse", "mse", "mae", "mape", "smape", "r2", "logloss", "loss", "ndcg",
                           "bleu", "rouge", "perplexity", "iou", "dice", "score", "scores", "metric",
                           "metrics", "brier", "gini", "mcc", "kappa", "wer", "cer", "auprc"})
PREDICTION_TOKENS = frozenset({"predict", "predicted", "prediction", "predictions", "pred", "preds", "proba",
                               "probas", "probs", "probability", "probabilities", "logits", "yhat",
                               "forecast", "forecasts"})
_MOCK_ASSERTS = ("assert_called", "assert_any_call", "assert_has_calls", "assert_not_called",
                 "assert_awaited")


@dataclass(frozen=True)
class QualityAssert:
    line: int
    detail: str


@dataclass
class TestModule:
    path: str
    tests: int                                   # test functions, test methods and Test classes
    first_test_line: int | None
    frameworks: list[str] = field(default_factory=list)       # ML frameworks it imports itself
    ml_imports: list[str] = field(default_factory=list)       # first-party ML modules it imports
    model_calls: list[tuple[int, str]] = field(default_factory=list)   # (line, call)
    quality: list[QualityAssert] = field(default_factory=list)

    @property
    def exercises_ml(self) -> bool:
        return bool(self.ml_imports) or bool(self.frameworks and self.model_calls)


class TestSuite:
    """The test modules of a repository, analysed on demand and in index order.

    Why lazy: analysing a test module means parsing it, and a rule usually needs only the
    first few (CODE001 passes on the first test module). `iter_modules()` analyses as far
    as the caller reads; `modules` is the complete list (for counts in messages)."""

    def __init__(self, index=None, candidates: list[str] | None = None) -> None:
        self.candidates: list[str] = candidates or []   # test-looking .py files, with or without tests
        self._index = index
        self._done: list[TestModule] = []
        self._pending = self._analysed() if index is not None else iter(())

    def _analysed(self):
        index = self._index

        def may_define_tests(path: str) -> bool:
            text = index.source(path) if index.prefilter else None
            # (non-ASCII text is not filtered: Python reads `ｄef` as `def`)
            return text is None or not text.isascii() or _TEST_HINT.search(text) is not None

        mods = (index.modules[p] for p in self.candidates if may_define_tests(p))
        for m in index.batched(mods):
            if not m.parsed:
                continue
            info = _analyse(index, m.path, m)
            if info.tests:
                yield info

    def iter_modules(self):
        """Test modules with at least one test, analysed as they are reached."""
        yield from self._done
        for info in self._pending:
            self._done.append(info)
            yield info

    @property
    def modules(self) -> list[TestModule]:
        for _ in self.iter_modules():
            pass
        return self._done

    @property
    def present(self) -> bool:
        return next(self.iter_modules(), None) is not None


_TEST_HINT = re.compile(r"\bdef[ \t]+test|\bclass[ \t]+Test|TestCase")
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_SEP = re.compile(r"[^a-z0-9]+")
_QUALITY_TOKENS = METRIC_TOKENS | PREDICTION_TOKENS


_TRAILING_DIGITS = re.compile(r"(?<=[a-z])\d+$")


@lru_cache(maxsize=16384)
def tokens(name: str) -> frozenset[str]:
    """`rocAucScore` / `roc_auc_score` -> {"roc", "auc", "score"}; `logits1` -> {"logits"}."""
    words = _SEP.split(_CAMEL.sub(r"\1_\2", str(name)).lower())
    return frozenset(_TRAILING_DIGITS.sub("", t) for t in words if t)


def _quality_name(name: str) -> bool:
    return not tokens(name).isdisjoint(_QUALITY_TOKENS)


def _quality_call(call) -> bool:
    last = call.last
    if last in QUALITY_CALLS:
        return True
    return not tokens(last).isdisjoint(METRIC_TOKENS) and not last.startswith("assert")


def extract(project) -> TestSuite:
    index = project.fact("python")
    candidates = [path for path, m in sorted(index.modules.items())
                  if m.kind == "module" and m.is_test and path.rsplit("/", 1)[-1] not in ("conftest.py", "__init__.py")]
    return TestSuite(index, candidates)


def _analyse(index, path: str, m) -> TestModule:
    test_lines: list[int] = []
    classes = {d.name: d for d in m.definitions if d.kind == "class" and d.parent is None}
    for d in m.definitions:
        if d.kind == "function" and d.name.startswith("test") and (d.parent is None or d.parent in classes):
            test_lines.append(d.line)
    test_classes = [c for c in classes.values()
                    if any(b.rsplit(".", 1)[-1].endswith("TestCase") for b in c.bases)
                    or (c.name.startswith("Test") and any(
                        d.parent == c.name and d.name.startswith("test") for d in m.definitions))]
    test_lines.extend(c.line for c in test_classes)
    info = TestModule(path, len(test_lines), min(test_lines) if test_lines else None)
    if not test_lines:
        return info
    info.frameworks = list(index.frameworks.get(path, []))
    info.ml_imports = _ml_imports(index, path, m)
    info.model_calls = [(c.line, c.last) for c in m.calls if c.last in MODEL_CALLS]
    info.quality = _quality_asserts(m)
    return info


def _ml_imports(index, path: str, m) -> list[str]:
    """First-party ML modules a test imports, directly or through a package's re-exports.

    Two import shapes the index does not resolve to the ML module itself:
    - `from pkg import get_dataset` where `pkg/__init__.py` re-exports it from `pkg/data.py`
      (ML code): the name is followed one hop into the package's own imports;
    - `from project_dir.training.train import train_model` where `project_dir/` has no
      `__init__.py` (a namespace dir at the repository root) and a nested package made the
      index name the file `training.train`: the dotted path is looked up as a file path.
    """
    out: list[str] = []

    def add(target: str | None) -> None:
        if target and target != path and target not in out and index.is_ml(target):
            out.append(target)

    for target in index.first_party_imports(path):
        add(target)
        if target.endswith("__init__.py") and target not in out:
            for imp in m.imports:
                if index.resolve_module(imp.module, path) == target:
                    add(_reexport(index, target, imp.module))
    for imp in m.imports:
        if not imp.level:
            add(_by_file_path(index, imp.module))
    return out


def _reexport(index, init: str, imported: str) -> str | None:
    """The module a package `__init__.py` takes `imported`'s last name from (`from .data import x`)."""
    pkg = index.modules.get(init)
    name = imported.rsplit(".", 1)[-1]
    if pkg is None:
        return None
    for imp in pkg.imports:
        if imp.module.rsplit(".", 1)[-1] == name or imp.alias == name:
            # relative imports are recorded resolved (`from .data import x` -> `pkg.data.x`)
            source = imp.module.rsplit(".", 1)[0] if "." in imp.module else imp.module
            hit = index.resolve_module(source, init)
            if hit and hit != init:
                return hit
    return None


def _by_file_path(index, module: str) -> str | None:
    """`a.b.c` (or `a.b.c.name`) as the file `a/b/c.py` or `a/b/c/__init__.py` from the root."""
    parts = module.split(".")
    for i in range(len(parts), 1, -1):
        stem = "/".join(parts[:i])
        for cand in (stem + ".py", stem + "/__init__.py"):
            if cand in index.modules and index.modules[cand].kind == "module":
                return cand
    return None


def _quality_asserts(m) -> list[QualityAssert]:
    """Assertions on predictions or metrics, over the module's calls and assert guards."""
    quality_lines: dict[int, str] = {}
    tainted: set[str] = set()
    for c in m.calls:
        if _quality_call(c):
            quality_lines.setdefault(c.line, c.last)
            if c.target:
                tainted.add(c.target)
    for c in m.calls:   # `torch.allclose(logits1, logits2)` inside `self.assertTrue(...)`
        if c.line not in quality_lines and not c.last.startswith(_MOCK_ASSERTS) and any(
                isinstance(a, dict) and isinstance(a.get("expr"), str)
                and (a["expr"].split(".")[0] in tainted or _quality_name(a["expr"].rsplit(".", 1)[-1]))
                for a in c.args):
            quality_lines[c.line] = c.last
    out: list[QualityAssert] = []
    deepchecks = any(i.module == "deepchecks" or i.module.startswith("deepchecks.") for i in m.imports)
    for g in m.guards:
        if g.kind != "assert":
            continue
        hit = next((n for n in g.names if n in tainted or _quality_name(n)), None)
        if hit is None and g.line in quality_lines:
            hit = f"{quality_lines[g.line]}()"
        if hit:
            out.append(QualityAssert(g.line, f"asserts on `{hit}`"))
    for c in m.calls:
        last = c.last
        if last.startswith("assert") and not last.startswith(_MOCK_ASSERTS):
            exprs = [a["expr"] for a in c.args if isinstance(a, dict) and isinstance(a.get("expr"), str)]
            hit = next((e for e in exprs
                        if e.split(".")[0] in tainted or _quality_name(e.rsplit(".", 1)[-1])), None)
            if hit is None and c.line in quality_lines:
                hit = f"{quality_lines[c.line]}()"
            if hit:
                out.append(QualityAssert(c.line, f"{last}() on `{hit}`"))
        elif deepchecks and last == "run" and c.name.startswith("."):
            out.append(QualityAssert(c.line, "runs a deepchecks suite"))
    out.sort(key=lambda q: q.line)
    return out
