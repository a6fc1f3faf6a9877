"""The Python index: what first-party code imports, calls and mentions, built once per file.

Most ML rules ask questions about code ("does training code log to MLflow?", "is every
`train_test_split` seeded?"). Answering them with regular expressions over source text is
fragile (aliases, comments, docstrings), so every `.py` file and every notebook is parsed
once with `ast` into a small, plain record (`ModuleFacts`) of:

- imports, with aliases and relative imports resolved (`from .data import load` inside
  package `churnmodel` records `churnmodel.data.load`);
- calls as resolved dotted names (`pd.read_csv` -> `pandas.read_csv`); a method called on
  an object the index cannot name is recorded as `.fit` with its receiver as written;
  keyword names, literal keyword values and the first few literal positional arguments;
- string literals (docstrings excluded, f-strings with `{}` holes), attribute names used,
  defined functions and classes (with bases and decorators), names that are sliced, and
  `assert` / `if ...: raise` guards with the names their conditions use.

`index_source(path, text, package)` is pure (its result depends only on its arguments and
is JSON-serialisable through `to_dict`/`from_dict`), so it can be cached by content hash.
`extract(project)` walks the snapshot, decides module names and first-party packages, and
returns a `PythonIndex` with the project-level views rules need (`ml_modules`,
`training_modules`, `first_party_names`, `is_test_file`, ...). Nothing is imported or run.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any


# ---------------------------------------------------------------------------- limits
MAX_PY_BYTES = 2 * 1024 * 1024   # larger .py files are generated code: not parsed (a problem)
MAX_STRINGS = 2000               # per module
MAX_STRING_LEN = 500
MAX_CALLS = 20000
MAX_ATTRIBUTES = 3000
MAX_LITERAL_ITEMS = 12
MAX_ARGS = 4                     # positional arguments recorded per call
MAX_GUARD_NAMES = 40
MAX_SLICED = 1000
MAX_RECV_LEN = 80
MAX_PARAMS = 40
_LEAF_FIELDS = frozenset({"ctx", "op", "ops", "type_comment"})

# Directories that hold third-party or generated code even when not git-ignored.
SKIP_DIRS = frozenset({".venv", "venv", "site-packages", "dist-packages", "node_modules", ".tox",
                       ".nox", ".ipynb_checkpoints", "__pycache__", ".eggs", ".mypy_cache",
                       ".git", ".hg", ".svn"})
SOURCE_ROOT_NAMES = ("src", "lib", "python")

# Top-level (or dotted) modules whose import makes first-party code "ML code" (RULES.md).
ML_FRAMEWORKS = frozenset({
    "sklearn", "torch", "torchvision", "torchaudio", "torchtext", "tensorflow", "tf_keras", "keras",
    "keras_nlp", "keras_cv", "jax", "flax", "optax", "haiku", "equinox", "xgboost", "lightgbm",
    "catboost", "transformers", "datasets", "sentence_transformers", "diffusers", "peft", "trl",
    "accelerate", "pandas", "polars", "statsmodels", "pyspark.ml", "pyspark.mllib", "mxnet",
    "gluonts", "paddle", "lightning", "pytorch_lightning", "fastai", "timm", "spacy", "gensim",
    "sktime", "prophet", "fbprophet", "darts", "pycaret", "h2o", "autogluon", "dask_ml",
    "dask.dataframe", "cuml", "cudf", "imblearn", "skorch", "ultralytics", "detectron2", "mmdet",
    "mmcv", "onnxruntime", "tensorflow_hub", "tflite_runtime", "torch_geometric", "dgl",
    "tensorflow_probability", "pyro", "numpyro", "pymc", "pymc3", "modin", "vaex", "kornia",
    "stable_baselines3", "composer", "ignite", "tensorflow_datasets", "tensorflow_text",
})
DEEP_LEARNING = frozenset({
    "torch", "tensorflow", "tf_keras", "keras", "jax", "flax", "mxnet", "paddle", "transformers",
    "lightning", "pytorch_lightning", "fastai", "timm", "diffusers", "peft", "trl",
    "sentence_transformers", "onnxruntime", "tflite_runtime", "ultralytics", "detectron2",
    "keras_nlp", "keras_cv", "composer", "ignite",
})
_FRAMEWORK_TOPS = frozenset(f.split(".")[0] for f in ML_FRAMEWORKS)
TABULAR = frozenset({"pandas", "polars", "sklearn", "xgboost", "lightgbm", "catboost", "modin",
                     "cudf", "cuml", "pycaret", "autogluon", "h2o", "dask.dataframe", "vaex"})

# ---------------------------------------------------------------------------- training signals
_OPTIMIZER_RECV = re.compile(r"(?i)opt")
_TRAINER_RECV = re.compile(r"(?i)trainer|learner")
_TRAINER_LIBS = ("transformers", "trl", "lightning", "pytorch_lightning", "sentence_transformers",
                 "setfit", "composer", "ignite", "accelerate", "ultralytics", "detectron2", "mmengine")
_FIT_METHODS = frozenset({"fit", "partial_fit", "fit_generator", "train_on_batch", "fit_one_cycle",
                          "fine_tune", "apply_gradients", "backward"})
_TRAIN_KWARGS = frozenset({"epochs", "num_epochs", "max_epochs", "training_frame", "train_data",
                           "input_fn", "max_steps"})
_TRAIN_FUNCTIONS = frozenset({
    "xgboost.train", "xgboost.cv", "lightgbm.train", "lightgbm.cv", "catboost.train", "catboost.cv",
    "optax.apply_updates", "sklearn.model_selection.cross_val_score",
    "sklearn.model_selection.cross_validate", "sklearn.model_selection.cross_val_predict",
    "sklearn.model_selection.learning_curve", "transformers.Trainer", "trl.SFTTrainer",
})
_TRAIN_DEFS = frozenset({"training_step", "train_step", "train_dataloader"})


# ---------------------------------------------------------------------------- records
@dataclass(slots=True)
class Import:
    """One imported module or name, absolute where it could be resolved."""

    module: str           # `import a.b` -> "a.b"; `from a import b` -> "a.b"; `from a import *` -> "a"
    line: int
    cell: int | None = None
    level: int = 0        # dots of a relative import as written (0: absolute)
    alias: str | None = None


@dataclass(slots=True)
class Call:
    """One call site. `name` is dotted and resolved, a bare name, or `.method` (unknown object)."""

    name: str
    line: int
    cell: int | None = None
    kwargs: list[str] = field(default_factory=list)        # keyword names; "**" for **mapping
    values: dict[str, Any] = field(default_factory=dict)   # literal keyword values only
    args: list[Any] = field(default_factory=list)          # first positional args: literal or {"expr": text}
    nargs: int = 0                                          # positional arguments (a *starred one counts 1)
    starargs: bool = False
    recv: str | None = None                                 # receiver as written, for `.method` calls
    target: str | None = None                               # `x = call(...)`: "x"
    discarded: bool = False                                 # inside an expression statement

    def has_kwarg(self, name: str) -> bool:
        """The keyword is passed and is not a literal None (`random_state=None` is no seed)."""
        return name in self.kwargs and not (name in self.values and self.values[name] is None)

    @property
    def last(self) -> str:
        return self.name.rsplit(".", 1)[-1]


@dataclass(slots=True)
class StringLit:
    value: str
    line: int
    cell: int | None = None


@dataclass(slots=True)
class Definition:
    name: str
    kind: str                 # "function" | "class"
    line: int
    cell: int | None = None
    parent: str | None = None  # enclosing class, for methods
    bases: list[str] = field(default_factory=list)
    decorators: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)  # parameter names (typer/click/fire CLIs use them)


@dataclass(slots=True)
class Guard:
    """An `assert` or an `if ...: raise`: the names its condition uses (attributes, calls, names)."""

    kind: str                 # "assert" | "raise"
    line: int
    cell: int | None = None
    names: list[str] = field(default_factory=list)


@dataclass(slots=True)
class NotebookInfo:
    cells: int = 0
    code_cells: int = 0
    cells_with_outputs: int = 0
    nbformat: int | None = None
    language: str = "python"


@dataclass(slots=True)
class ModuleBody:
    """What only parsing a file gives: the part of a ModuleFacts that is built on demand."""

    parsed: bool = True        # False: the code could not be parsed (see problems)
    calls: list[Call] = field(default_factory=list)
    strings: list[StringLit] = field(default_factory=list)
    attributes: dict[str, list] = field(default_factory=dict)   # name -> [line, cell]
    definitions: list[Definition] = field(default_factory=list)
    guards: list[Guard] = field(default_factory=list)
    sliced: list[str] = field(default_factory=list)   # names cut one-sided: x[:n], x[n:]
    problems: list[str] = field(default_factory=list)
    truncated: bool = False

    def to_data(self) -> list[Any]:
        """Plain, marshal-able form (positional: the cache stores millions of these)."""
        return [self.parsed,
                [[c.name, c.line, c.cell, c.kwargs, c.values, c.args, c.nargs, c.starargs, c.recv,
                  c.target, c.discarded] for c in self.calls],
                [[s.value, s.line, s.cell] for s in self.strings],
                self.attributes,
                [[d.name, d.kind, d.line, d.cell, d.parent, d.bases, d.decorators, d.params]
                 for d in self.definitions],
                [[g.kind, g.line, g.cell, g.names] for g in self.guards],
                self.sliced, self.problems, self.truncated]

    @classmethod
    def from_data(cls, data: list[Any]) -> ModuleBody:
        parsed, calls, strings, attributes, definitions, guards, sliced, problems, truncated = data
        intern = sys.intern
        return cls(parsed, [Call(intern(c[0]), *c[1:]) for c in calls],
                   [StringLit(*s) for s in strings], attributes,
                   [Definition(*d) for d in definitions], [Guard(*g) for g in guards],
                   sliced, problems, truncated)


_BODY_FIELDS = ("parsed", "calls", "strings", "attributes", "definitions", "guards", "sliced", "truncated")


class ModuleFacts:
    """One Python file or notebook: a header every file gets (imports, found by a line
    scanner) and a body (calls, strings, definitions, ...) parsed on first use.

    Why lazy: most rules look for a few names, and a module whose text does not contain
    them never needs its `ast` (see `PythonIndex.select(mentions=...)`). Reading any body
    attribute parses the file through its loader (the index's, which caches bodies by
    content); a record built by `index_source` is complete from the start.
    """

    __slots__ = ("path", "kind", "package", "is_test", "imports", "notebook", "header_problems",
                 "indexable", "_body", "_loader")

    def __init__(self, path: str, kind: str = "module", package: str | None = None, is_test: bool = False,
                 imports: list[Import] | None = None, notebook: NotebookInfo | None = None,
                 header_problems: list[str] | None = None, indexable: bool = True,
                 body: ModuleBody | None = None, loader=None) -> None:
        self.path = path
        self.kind = kind             # "module" | "notebook"
        self.package = package
        self.is_test = is_test
        self.imports = imports if imports is not None else []
        self.notebook = notebook
        self.header_problems = header_problems if header_problems is not None else []
        self.indexable = indexable   # False: nothing in the file can be indexed (too large, not a notebook)
        self._body = body if body is not None else (None if indexable else ModuleBody(parsed=False))
        self._loader = loader

    @property
    def body(self) -> ModuleBody:
        if self._body is None:
            loader, self._loader = self._loader, None
            if loader is not None:
                loader(self)
            if self._body is None:  # no loader (or it failed): nothing is known of the code
                self._body = ModuleBody(parsed=False)
        return self._body

    @property
    def loaded(self) -> bool:
        return self._body is not None

    parsed = property(lambda self: self.body.parsed)
    calls = property(lambda self: self.body.calls)
    strings = property(lambda self: self.body.strings)
    attributes = property(lambda self: self.body.attributes)
    definitions = property(lambda self: self.body.definitions)
    guards = property(lambda self: self.body.guards)
    sliced = property(lambda self: self.body.sliced)
    truncated = property(lambda self: self.body.truncated)

    @property
    def problems(self) -> list[str]:
        """Header problems, then those of the body (parsing it if that has not happened)."""
        return self.header_problems + self.body.problems

    def to_dict(self) -> dict[str, Any]:
        body = self.body
        return {"path": self.path, "kind": self.kind, "package": self.package, "is_test": self.is_test,
                "imports": [asdict(i) for i in self.imports],
                "notebook": asdict(self.notebook) if self.notebook is not None else None,
                "header_problems": self.header_problems, "indexable": self.indexable,
                "body": body.to_data()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModuleFacts:
        d = dict(data)
        d["imports"] = [Import(**x) for x in d.get("imports", [])]
        if d.get("notebook") is not None:
            d["notebook"] = NotebookInfo(**d["notebook"])
        body = d.pop("body", None)
        return cls(**d, body=ModuleBody.from_data(body) if body is not None else None)

    def header_data(self) -> list[Any]:
        """The header in plain form, for the cache."""
        return [[[i.module, i.line, i.cell, i.level, i.alias] for i in self.imports],
                asdict(self.notebook) if self.notebook is not None else None,
                self.header_problems, self.indexable]

    @classmethod
    def from_header(cls, path: str, kind: str, package: str | None, data: list[Any]) -> ModuleFacts:
        imports, notebook, problems, indexable = data
        return cls(path, kind, package, is_test_path(path),
                   [Import(sys.intern(i[0]), *i[1:]) for i in imports],
                   NotebookInfo(**notebook) if notebook is not None else None, problems, indexable)

    # -- small queries used by predicates and checks
    def imports_any(self, names: Iterable[str]) -> list[Import]:
        """Imports equal to or under one of `names` (dotted module names)."""
        under = module_matcher(tuple(names))
        return [i for i in self.imports if under(i.module)]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ModuleFacts) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ModuleFacts({self.path!r}, {self.kind!r}, loaded={self.loaded})"


class NameMatcher:
    """Matches dotted names against patterns; built once per pattern list, answers memoised.

    A plain pattern matches a name equal to it or ending with it after a dot (`.fit` and
    `fit` match `.fit`, `fit` and `sklearn.svm.SVC.fit`); a pattern with `*`, `?` or `[` is a
    glob over the whole name or over a dotted suffix (`sklearn.metrics.*`, `*SearchCV`).
    """

    __slots__ = ("exact", "glob", "memo")

    def __init__(self, patterns: Iterable[str]) -> None:
        import fnmatch

        exact, globs = set(), []
        for p in patterns:
            if any(c in p for c in "*?["):
                globs += [fnmatch.translate(p), fnmatch.translate("*." + p.lstrip("."))]
            else:
                exact.add(p.lstrip("."))
        self.exact = frozenset(exact)
        self.glob = re.compile("|".join(globs)) if globs else None
        self.memo: dict[str, bool] = {}

    def __call__(self, name: str) -> bool:
        hit = self.memo.get(name)
        if hit is None:
            hit = self._match(name)
            if len(self.memo) < 50_000:
                self.memo[name] = hit
        return hit

    def _match(self, name: str) -> bool:
        exact = self.exact
        if name in exact:
            return True
        i = name.find(".")
        while i != -1:
            if name[i + 1:] in exact:
                return True
            i = name.find(".", i + 1)
        return self.glob is not None and self.glob.match(name) is not None


class ModuleMatcher:
    """Is a dotted module equal to or under one of the given modules? (memoised)"""

    __slots__ = ("memo", "parents")

    def __init__(self, parents: Iterable[str]) -> None:
        self.parents = frozenset(parents)
        self.memo: dict[str, bool] = {}

    def __call__(self, module: str) -> bool:
        hit = self.memo.get(module)
        if hit is None:
            hit = module in self.parents
            i = module.find(".")
            while not hit and i != -1:
                hit = module[:i] in self.parents
                i = module.find(".", i + 1)
            if len(self.memo) < 50_000:
                self.memo[module] = hit
        return hit


@lru_cache(maxsize=512)
def name_matcher(patterns: tuple[str, ...]) -> NameMatcher:
    return NameMatcher(patterns)


@lru_cache(maxsize=512)
def module_matcher(parents: tuple[str, ...]) -> ModuleMatcher:
    return ModuleMatcher(parents)


def is_test_path(path: str) -> bool:
    """Test files: test_*.py, *_test.py, conftest.py, or anything below a tests/test dir."""
    parts = path.split("/")
    name = parts[-1]
    stem = name.rsplit(".", 1)[0]
    if stem.startswith("test_") or stem.endswith("_test") or stem in ("conftest", "tests", "test"):
        return True
    return any(p in ("tests", "test", "testing") for p in parts[:-1])


# ---------------------------------------------------------------------------- parsing
def parse_error(exc: BaseException, where: str = "") -> str:
    """The problem text for code `ast` could not parse: 'unparsable Python: reason (line N)'."""
    if isinstance(exc, SyntaxError):
        reason = exc.msg or "invalid syntax"
        line = exc.lineno
    elif isinstance(exc, RecursionError):
        reason, line = "nested too deeply", None
    elif isinstance(exc, MemoryError):
        reason, line = "nested too deeply or too large for the parser", None
    else:
        reason, line = " ".join(str(exc).split()) or exc.__class__.__name__, None
    loc = ", ".join(x for x in (where, f"line {line}" if line else "") if x)
    return f"unparsable Python: {reason}" + (f" ({loc})" if loc else "")


def parse_python(text: str):
    """ast.parse, or raise one of SyntaxError/ValueError/RecursionError/MemoryError."""
    import ast
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences in audited code are not ours
        return ast.parse(text)


def index_header(path: str, text: str, package: str | None = None, *,
                 is_test: bool | None = None) -> ModuleFacts:
    """The header of one Python file (its imports, by the line scanner); its body is not built.

    `package` is the dotted package the file belongs to (for a file `pkg/sub/mod.py` in a
    package, "pkg.sub"; for `pkg/__init__.py`, "pkg"), used to resolve relative imports.
    """
    from auditor.facts.pyimports import scan_imports

    facts = ModuleFacts(path, "module", package, is_test_path(path) if is_test is None else is_test)
    if len(text) * 4 > MAX_PY_BYTES and len(text.encode("utf-8", "surrogatepass")) > MAX_PY_BYTES:
        facts.indexable = False
        facts._body = ModuleBody(parsed=False)
        facts.header_problems.append(f"Python file too large to index (> {MAX_PY_BYTES // 1048576} MiB); "
                                     "not analysed")
        return facts
    facts.imports = scan_imports(text, package)
    return facts


def index_body(text: str, package: str | None = None) -> ModuleBody:
    """Parse one Python file into its body record. Pure: depends only on the arguments."""
    body = ModuleBody()
    try:
        tree = parse_python(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        body.parsed = False
        body.problems.append(parse_error(exc))
        return body
    Indexer(body, package).run([(tree, None)])
    return body


def index_source(path: str, text: str, package: str | None = None, *,
                 is_test: bool | None = None) -> ModuleFacts:
    """Index one Python file completely (header and body). Pure."""
    facts = index_header(path, text, package, is_test=is_test)
    if facts.indexable:
        facts._body = index_body(text, package)
    return facts


# ---------------------------------------------------------------------------- the indexer
_K_CALL, _K_ATTRIBUTE, _K_SCOPE, _K_EXPR, _K_ASSIGN, _K_CONSTANT, _K_FSTRING, _K_SUBSCRIPT, _K_ASSERT, _K_IF = range(10)
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}   # node class -> fields that may hold children, reversed
_KINDS: dict[type, int] = {}


def _node_kinds(ast) -> dict[type, int]:
    """Node class -> what the walk does with it (a dict lookup instead of a chain of tests)."""
    if not _KINDS:
        _KINDS.update({ast.Call: _K_CALL, ast.Attribute: _K_ATTRIBUTE, ast.Module: _K_SCOPE,
                       ast.ClassDef: _K_SCOPE, ast.FunctionDef: _K_SCOPE, ast.AsyncFunctionDef: _K_SCOPE,
                       ast.Expr: _K_EXPR, ast.Assign: _K_ASSIGN, ast.AnnAssign: _K_ASSIGN,
                       ast.Constant: _K_CONSTANT, ast.JoinedStr: _K_FSTRING, ast.Subscript: _K_SUBSCRIPT,
                       ast.Assert: _K_ASSERT, ast.If: _K_IF})
    return _KINDS


class Indexer:
    """Fills a ModuleBody from one or more trees (a notebook gives one tree per cell).

    Imports are read here only to resolve names (`pd.read_csv` -> `pandas.read_csv`); the
    module's import records come from the line scanner (auditor/facts/pyimports.py).

    Walks iteratively, so deeply nested but parsable code cannot exhaust the stack.
    """

    def __init__(self, body: ModuleBody, package: str | None) -> None:
        self.facts = body
        self.package = package
        self.aliases: dict[str, str] = {}
        self._attr_count = 0

    # -- entry
    def run(self, trees: list[tuple[Any, int | None]]) -> None:
        import ast

        self.ast = ast
        for tree, cell in trees:      # aliases first: a notebook may use in cell 5 what cell 1 imported
            self._collect_imports(tree, cell)
        for tree, cell in trees:
            self._walk(tree, cell)
        self.facts.calls.sort(key=lambda c: (c.cell or 0, c.line))
        self.facts.strings.sort(key=lambda s: (s.cell or 0, s.line))

    # -- imports
    def _statements(self, tree) -> Iterator[Any]:
        """Every statement, nested blocks included, without descending into expressions
        (imports are statements, so this finds them all at a fraction of a full walk)."""
        stack = [tree.body]
        while stack:
            for node in stack.pop():
                yield node
                for name in ("body", "orelse", "finalbody", "handlers", "cases"):
                    block = getattr(node, name, None)
                    if isinstance(block, list) and block:
                        stack.append(block)

    def _collect_imports(self, tree, cell) -> None:
        from auditor.facts.pyimports import resolve_relative

        ast = self.ast
        aliases = self.aliases
        for node in self._statements(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        aliases[a.asname] = a.name
                    else:
                        top = a.name.split(".")[0]
                        aliases.setdefault(top, top)
            elif isinstance(node, ast.ImportFrom):
                base = resolve_relative(self.package, node.level or 0, node.module)
                for a in node.names:
                    if a.name != "*":
                        aliases[a.asname or a.name] = f"{base}.{a.name}" if base else a.name

    # -- names
    def dotted(self, node) -> str | None:
        """`a.b.c` as written, or None when the chain does not end in a plain name."""
        ast = self.ast
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        parts.append(node.id)
        return ".".join(reversed(parts))

    def resolve(self, node) -> tuple[str | None, str | None]:
        """(resolved name, receiver) of a callable expression."""
        ast = self.ast
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id), None
        if isinstance(node, ast.Attribute):
            text = self.dotted(node)
            if text is not None:
                head, _, rest = text.partition(".")
                if head in self.aliases:
                    return f"{self.aliases[head]}.{rest}", None
                return "." + node.attr, text.rpartition(".")[0][:MAX_RECV_LEN]
            inner = node.value
            recv = None
            if isinstance(inner, ast.Call):
                inner_name, _ = self.resolve(inner.func)
                recv = f"{inner_name}()" if inner_name else None
            return "." + node.attr, recv[:MAX_RECV_LEN] if recv else None
        return None, None

    def literal(self, node, depth: int = 0) -> tuple[bool, Any]:
        ast = self.ast
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, str):
                return True, v[:MAX_STRING_LEN]
            if v is None or isinstance(v, (bool, int, float)):
                if isinstance(v, float) and not math.isfinite(v):
                    return True, str(v)  # JSON has no NaN or infinity
                return True, v
            return False, None
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
                and isinstance(node.operand.value, (int, float)) and not isinstance(node.operand.value, bool):
            return True, -node.operand.value
        if isinstance(node, (ast.List, ast.Tuple)) and depth < 2:
            out = []
            for elt in node.elts[:MAX_LITERAL_ITEMS]:
                ok, v = self.literal(elt, depth + 1)
                if not ok:
                    return False, None
                out.append(v)
            return True, out
        return False, None

    def _names_in(self, expr) -> list[str]:
        ast = self.ast
        names: list[str] = []
        for n in ast.walk(expr):
            if isinstance(n, ast.Attribute):
                names.append(n.attr)
            elif isinstance(n, ast.Name):
                names.append(n.id)
            elif isinstance(n, ast.Constant) and isinstance(n.value, str) and len(n.value) <= 60:
                names.append(n.value)
            if len(names) >= MAX_GUARD_NAMES:
                break
        return sorted(set(names))

    # -- the walk
    def _walk(self, tree, cell) -> None:
        ast = self.ast
        facts = self.facts
        skip: set[int] = set()          # ids of docstring / f-string part nodes
        targets: dict[int, str] = {}     # id(call) -> assigned name
        AST, Name, Constant = ast.AST, ast.Name, ast.Constant
        kinds = _node_kinds(ast)
        children_of = _CHILD_FIELDS
        strings = facts.strings
        # stack items: (node, enclosing class name, inside an expression statement)
        stack: list[tuple[Any, str | None, bool]] = [(tree, None, False)]
        push, pop = stack.append, stack.pop

        def visit_constant(child) -> None:
            # constants are leaves: handled where they are met instead of being pushed
            if child.value.__class__ is str and id(child) not in skip:
                if len(strings) >= MAX_STRINGS:
                    facts.truncated = True
                elif child.value.strip():
                    strings.append(StringLit(child.value[:MAX_STRING_LEN], child.lineno, cell))

        while stack:
            node, cls, discarded = pop()
            if id(node) in skip:
                continue
            kind = node.__class__
            what = kinds.get(kind)
            child_cls = cls
            child_discarded = discarded
            if what is None:
                pass
            elif what == _K_CALL:
                self._call(node, cell, targets.get(id(node)), discarded)
            elif what == _K_ATTRIBUTE:
                if node.attr not in facts.attributes and len(facts.attributes) < MAX_ATTRIBUTES:
                    facts.attributes[node.attr] = [node.lineno, cell]
            elif what == _K_SCOPE:
                body = node.body
                if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, Constant) \
                        and isinstance(body[0].value.value, str):
                    skip.add(id(body[0]))
                if kind is not ast.Module:
                    self._definition(node, cls, cell)
                    child_cls = node.name if kind is ast.ClassDef else None
            elif what == _K_EXPR:
                child_discarded = True
            elif what == _K_ASSIGN:
                value = node.value
                tgts = node.targets if kind is ast.Assign else [node.target]
                if isinstance(value, ast.Call) and len(tgts) == 1 and isinstance(tgts[0], Name):
                    targets[id(value)] = tgts[0].id
            elif what == _K_CONSTANT:
                visit_constant(node)
                continue
            elif what == _K_FSTRING:
                parts = []
                for v in node.values:
                    if isinstance(v, Constant) and isinstance(v.value, str):
                        parts.append(v.value)
                        skip.add(id(v))
                    else:
                        parts.append("{}")
                self._string("".join(parts), node.lineno, cell)
            elif what == _K_SUBSCRIPT:
                self._subscript(node)
            elif what == _K_ASSERT:
                facts.guards.append(Guard("assert", node.lineno, cell, self._names_in(node.test)))
            elif what == _K_IF and any(isinstance(s, ast.Raise) for s in node.body):
                facts.guards.append(Guard("raise", node.lineno, cell, self._names_in(node.test)))
            # children in reverse, so they pop in source order; contexts, operators and
            # plain names have nothing to record and are not pushed
            fields = children_of.get(kind)
            if fields is None:
                fields = children_of[kind] = tuple(f for f in reversed(kind._fields) if f not in _LEAF_FIELDS)
            for fname in fields:
                value = getattr(node, fname, None)
                if value.__class__ is list:
                    for child in reversed(value):
                        c = child.__class__
                        if c is Name or not isinstance(child, AST):
                            continue
                        push((child, child_cls, child_discarded))
                elif isinstance(value, AST) and value.__class__ is not Name:
                    push((value, child_cls, child_discarded))

    def _definition(self, node, cls, cell) -> None:
        ast = self.ast
        decorators = []
        for d in node.decorator_list:
            target = d.func if isinstance(d, ast.Call) else d
            name, _ = self.resolve(target)
            if name:
                decorators.append(name)
        bases, params = [], []
        if isinstance(node, ast.ClassDef):
            for b in node.bases:
                name, _ = self.resolve(b)
                if name:
                    bases.append(name)
        else:
            a = node.args
            params = [x.arg for x in (a.posonlyargs + a.args + a.kwonlyargs)][:MAX_PARAMS]
        self.facts.definitions.append(Definition(
            node.name, "class" if isinstance(node, ast.ClassDef) else "function",
            node.lineno, cell, cls, bases, decorators, params))

    def _call(self, node, cell, target, discarded) -> None:
        facts = self.facts
        if len(facts.calls) >= MAX_CALLS:
            facts.truncated = True
            return
        name, recv = self.resolve(node.func)
        if not name:
            return
        ast = self.ast
        kwargs, values = [], {}
        for kw in node.keywords:
            if kw.arg is None:
                kwargs.append("**")
                continue
            kwargs.append(kw.arg)
            ok, v = self.literal(kw.value)
            if ok:
                values[kw.arg] = v
        args: list[Any] = []
        starargs = False
        for a in node.args:
            if isinstance(a, ast.Starred):
                starargs = True
            if len(args) < MAX_ARGS:
                ok, v = self.literal(a)
                if not ok:
                    text = self.dotted(a)
                    if text is None and isinstance(a, ast.Subscript):
                        inner = self.dotted(a.value)  # `sys.argv[1:]` is recorded as "sys.argv[]"
                        text = f"{inner}[]" if inner else None
                    v = {"expr": text[:MAX_RECV_LEN] if text else type(a).__name__}
                args.append(v)
        # Names repeat across thousands of modules: interned, they are stored once.
        facts.calls.append(Call(sys.intern(name), node.lineno, cell, kwargs, values, args, len(node.args),
                                starargs, recv, target, discarded))

    def _string(self, value: str, line: int, cell) -> None:
        if len(self.facts.strings) >= MAX_STRINGS:
            self.facts.truncated = True
            return
        if value.strip():
            self.facts.strings.append(StringLit(value[:MAX_STRING_LEN], line, cell))

    def _subscript(self, node) -> None:
        """Record `x[:n]` / `x[n:]` (how a shuffled index is cut into a split); two-sided
        slices such as `perm[i:i + batch]` are batching, not splitting, and are left out."""
        ast = self.ast
        sl = node.slice
        slices = [sl] if isinstance(sl, ast.Slice) else \
            [e for e in sl.elts if isinstance(e, ast.Slice)] if isinstance(sl, ast.Tuple) else []
        if not any((s.lower is None) != (s.upper is None) for s in slices) or len(self.facts.sliced) >= MAX_SLICED:
            return
        text = self.dotted(node.value)
        if text:
            base = text.split(".")[0]
            for n in {text, base}:
                if n not in self.facts.sliced:
                    self.facts.sliced.append(n)


# ---------------------------------------------------------------------------- classification
def frameworks_of(facts: ModuleFacts, first_party=None) -> list[str]:
    """ML/data frameworks a module imports, as catalogue names ("sklearn", "pyspark.ml").

    `first_party(module, level) -> bool` excludes the repository's own modules (a local
    package named `datasets` is not Hugging Face datasets)."""
    out = set()
    for imp in facts.imports:
        if imp.level:
            continue
        parts = imp.module.split(".")
        found = [fw for fw in (parts[0], ".".join(parts[:2])) if fw in ML_FRAMEWORKS]
        if found and not (first_party is not None and first_party(imp.module, imp.level)):
            out.update(found)
    return sorted(out)


def training_signals(facts: ModuleFacts) -> list[tuple[int, int | None, str]]:
    """Where a module fits a model: (line, cell, what) for each signal, in source order."""
    out = []
    for c in facts.calls:
        last = c.last
        what = None
        if c.name in _TRAIN_FUNCTIONS or (last.endswith("Trainer") and c.name.split(".")[0] in _TRAINER_LIBS):
            what = f"{c.name}()"
        elif last in _FIT_METHODS and c.name.startswith("."):
            what = f"{c.recv + '.' if c.recv else ''}{last}()"
        elif last in _FIT_METHODS and c.name.split(".")[0] not in ("os", "sys", "re", "json"):
            what = f"{c.name}()"
        elif last in ("step", "minimize") and c.recv and _OPTIMIZER_RECV.search(c.recv.rsplit(".", 1)[-1]):
            what = f"{c.recv}.{last}()"
        elif last == "train" and c.name.startswith(".") and (
                (c.recv and _TRAINER_RECV.search(c.recv.rsplit(".", 1)[-1]))
                or any(k in _TRAIN_KWARGS for k in c.kwargs)):
            what = f"{c.recv + '.' if c.recv else ''}train()"
        if what:
            out.append((c.line, c.cell, what))
    for d in facts.definitions:
        if d.kind == "function" and d.parent and d.name in _TRAIN_DEFS:
            out.append((d.line, d.cell, f"defines {d.parent}.{d.name}"))
    return out


def module_name_of(path: str, file_set: frozenset[str] | set[str]) -> tuple[str, str | None]:
    """(dotted module name, package) of a .py file, from the chain of __init__.py above it."""
    parts = path[:-3].split("/") if path.endswith(".py") else path.split("/")
    dirs = parts[:-1]
    chain: list[str] = []
    i = len(dirs)
    while i > 0 and "/".join(dirs[:i]) + "/__init__.py" in file_set:
        chain.insert(0, dirs[i - 1])
        i -= 1
    stem = parts[-1]
    if stem == "__init__":
        name = ".".join(chain)
        return name, name or None
    return ".".join(chain + [stem]), (".".join(chain) or None)


# ---------------------------------------------------------------------------- the project view
class PythonIndex:
    """Project-level view over every indexed file (the `python` fact)."""

    # False: every text pre-filter passes (tests compare audits with and without them)
    prefilter = True

    def __init__(self, modules: dict[str, ModuleFacts], file_set: frozenset[str], loader=None) -> None:
        """`loader` (see `BodyLoader`) builds bodies in batches and gives each file's source
        text for `mentions` filters; without one every record must be complete already."""
        self.modules = modules
        self.memo: dict[str, Any] = {}   # per-audit caches for checks (e.g. DATA005's split list)
        self._file_set = file_set
        self._loader = loader
        self._training: dict[str, bool] = {}
        self._words = None   # a WordIndex of the sources, built on the first text pre-filter
        self._packages: dict[str, list[str]] | None = None
        self._decoded: dict[str, str] = {}   # notebooks' code cells, for `filter_text`
        self._nfkc: dict[str, str] = {}      # non-ASCII filter texts, NFKC-normalised
        self._train_hint: set[str] | None = None
        self._filter_paths: dict[Any, set[str]] = {}
        self._first_party_memo: dict[tuple[str, str, int], bool] = {}
        if loader is not None:
            for m in modules.values():
                if m._body is None:
                    m._loader = loader.load_one
        self._layout()
        self._classify()

    # -- layout: module names and first-party top-level names
    def _layout(self) -> None:
        """Find source roots (the repo root, src/-style dirs, the parent of each package) and
        the top-level names the repository defines: packages (a chain of __init__.py),
        modules and namespace dirs (with .py files but no __init__.py) directly in a root."""
        names: dict[str, str] = {}
        regular: set[str] = set()
        namespace: set[str] = set()
        roots: set[str] = {""}
        py_dirs: set[str] = set()
        for path, m in self.modules.items():
            if m.kind != "module":
                continue
            parent = path.rpartition("/")[0]
            py_dirs.add(parent)
            dotted, package = module_name_of(path, self._file_set)
            if dotted:
                names.setdefault(dotted, path)
            if package:  # inside a package: its top dir's parent is a source root
                depth = len(package.split("."))
                dirs = parent.split("/")
                regular.add(package.split(".")[0])
                roots.add("/".join(dirs[: len(dirs) - depth]))
        roots |= {f"{r}/{name}" if r else name for r in roots for name in SOURCE_ROOT_NAMES}
        for path, m in self.modules.items():
            if m.kind != "module":
                continue
            parts = path[:-3].split("/")
            for i in range(len(parts) - 1, -1, -1):
                if "/".join(parts[:i]) in roots:
                    rel = parts[i:]
                    if rel[-1] == "__init__":
                        rel = rel[:-1]
                    if len(rel) == 1:
                        regular.add(rel[0])
                    elif rel and rel[0] not in regular:
                        namespace.add(rel[0])
                    if rel:
                        names.setdefault(".".join(rel), path)
                    break
        namespace -= regular
        self.regular_names = frozenset(t for t in regular if t.isidentifier())
        self.namespace_names = frozenset(t for t in namespace if t.isidentifier())
        self.first_party_names = self.regular_names | self.namespace_names
        self.module_paths = names
        self._py_dirs = frozenset(py_dirs)

    def is_first_party(self, module: str, importer: str | None = None, level: int = 0) -> bool:
        """Whether an imported module is the repository's own code (memoised; see `_first_party`)."""
        if level:
            return True
        key = (module, importer.rpartition("/")[0] if importer and importer.endswith(".py") else "\0", level)
        hit = self._first_party_memo.get(key)
        if hit is None:
            hit = self._first_party_memo[key] = self._first_party(module, importer, level)
        return hit

    def _first_party(self, module: str, importer: str | None = None, level: int = 0) -> bool:
        """Whether an imported module is the repository's own code.

        A namespace dir (no __init__.py) does not shadow an installed package of the same
        name, so `import datasets` next to a local `datasets/` folder is third-party unless
        the full dotted name exists locally (`datasets.prepare`)."""
        if level:
            return True
        top = module.split(".")[0]
        if top in self.regular_names:
            return True
        if top in self.namespace_names:
            if top not in _FRAMEWORK_TOPS:
                return True
            parts = module.split(".")  # a framework's name: local only if the submodule is
            return len(parts) > 1 and ".".join(parts[:2]) in self.module_paths
        if importer and importer.endswith(".py"):
            d = importer.rpartition("/")[0]
            if (f"{d}/__init__.py" if d else "__init__.py") in self._file_set:
                return False  # inside a package, absolute imports do not see siblings
            prefix = f"{d}/" if d else ""
            return f"{prefix}{top}.py" in self._file_set or f"{prefix}{top}" in self._py_dirs
        return False

    def resolve_module(self, module: str, importer: str | None = None) -> str | None:
        """Path of the first-party file an import refers to (or of its nearest package)."""
        parts = module.split(".")
        for i in range(len(parts), 0, -1):
            hit = self.module_paths.get(".".join(parts[:i]))
            if hit:
                return hit
        if importer:
            d = importer.rpartition("/")[0]
            prefix = f"{d}/" if d else ""
            for i in range(len(parts), 0, -1):
                stem = prefix + "/".join(parts[:i])
                for cand in (stem + ".py", stem + "/__init__.py"):
                    if cand in self.modules:
                        return cand
        return None

    # -- text pre-filters (issue #6: a module that cannot match is never parsed)
    def source(self, path: str) -> str | None:
        """The text a file's body is parsed from; None when not known (no loader, unreadable)."""
        return self._loader.source(path) if self._loader is not None else None

    def filter_text(self, path: str) -> str | None:
        """The text pre-filters search for a file: its source, except that a notebook whose
        JSON spells characters as `\\u` escapes (`ｆit` becomes `\\uff46it`) is searched
        in its decoded code cells."""
        text = self.source(path)
        if text is None or not path.endswith(".ipynb") or "\\u" not in text:
            return text
        hit = self._decoded.get(path)
        if hit is None:
            from auditor.facts.notebooks import code_cell_text

            hit = self._decoded[path] = code_cell_text(path, text)
        return hit

    def mentions(self, m: ModuleFacts, tokens) -> bool:
        """Whether the source of `m` contains one of `tokens` (a tuple of strings, or a
        `TextFilter` for a finer test); True when that cannot be known."""
        if tokens is None or not self.prefilter:
            return True
        return m.path in self.mentioning(tokens)

    def mentioning(self, tokens) -> set[str]:
        """Paths of the files `mentions(m, tokens)` holds for (computed once per filter)."""
        if not self.prefilter:
            return set(self.modules)
        if isinstance(tokens, tuple):
            key: Any = tokens
            words, fold, verify, whole = tokens, False, None, False
        else:
            words, fold, verify = tokens.tokens, tokens.fold, tokens.verify
            whole = tokens.whole and not fold
            key = tokens.key
        hit = self._filter_paths.get(key)
        if hit is None:
            index = self.word_index()
            hit = set()
            for t in words:
                found = index.containing(t, fold)
                if whole:   # in a .py file an identifier is a word of its own (`split_sample` is not `sample`)
                    exact = index.with_words((t,))
                    found = {p for p in found if p in exact or not p.endswith(".py")}
                hit |= found
                hit |= self._in_package(t)
            if verify is not None:
                hit = {p for p in hit if (text := self.normalised_text(p)) is None or verify(text)}
            self._filter_paths[key] = hit
        return hit

    def word_index(self):
        if self._words is None:
            from auditor.facts.wordindex import WordIndex

            self._words = WordIndex(self.modules, self.filter_text)
        return self._words

    def _in_package(self, token: str) -> set[str]:
        """Files inside a package whose dotted name contains `token`: a relative import
        (`from . import x`) takes name parts from the package, not from the file's text."""
        if self._packages is None:
            self._packages = {}
            for p, m in self.modules.items():
                if m.package:
                    self._packages.setdefault(m.package, []).append(p)
        out: set[str] = set()
        for package, paths in self._packages.items():
            if token in package:
                out.update(paths)
        return out

    def normalised_text(self, path: str) -> str | None:
        """`filter_text` as Python reads identifiers (NFKC: `ｆit` is `fit`), for the finer
        text tests; normalised once per file."""
        text = self.filter_text(path)
        if text is None or text.isascii():
            return text
        hit = self._nfkc.get(path)
        if hit is None:
            import unicodedata

            hit = self._nfkc[path] = unicodedata.normalize("NFKC", text)
        return hit

    def load(self, mods: Iterable[ModuleFacts]) -> None:
        """Build the bodies of these records now, in one batch (cache and pool at once)."""
        todo = [m for m in mods if m._body is None]
        if todo and self._loader is not None:
            self._loader.load(todo)

    def first_party_imports(self, path: str) -> list[str]:
        """Paths of first-party modules that a file imports."""
        m = self.modules.get(path)
        if m is None:
            return []
        out = []
        for imp in m.imports:
            if self.is_first_party(imp.module, path, imp.level):
                hit = self.resolve_module(imp.module, path)
                if hit and hit != path and hit not in out:
                    out.append(hit)
        return out

    @property
    def importers(self) -> dict[str, list[str]]:
        """path -> first-party files that import it (computed once)."""
        if "_importers" not in self.memo:
            rev: dict[str, list[str]] = {}
            for p in self.modules:
                for q in self.first_party_imports(p):
                    rev.setdefault(q, []).append(p)
            self.memo["_importers"] = rev
        return self.memo["_importers"]

    # -- classification
    def _classify(self) -> None:
        """ML code and its importers, from the import headers alone (no parsing)."""
        self.frameworks: dict[str, list[str]] = {}
        for path, m in self.modules.items():
            fws = frameworks_of(m, lambda mod, level, _p=path: self.is_first_party(mod, _p, level))
            if fws:
                self.frameworks[path] = fws
        self.ml_modules = [p for p in self.frameworks if not self.modules[p].is_test]
        ml = set(self.ml_modules)
        # ML code plus the files that drive it through first-party imports (a train.py that
        # only imports `from pkg.model import build` still trains); scope "ml-code" uses this
        self.ml_related = frozenset(self.frameworks) | frozenset(
            p for p in self.modules if p not in self.frameworks and any(q in ml for q in self.first_party_imports(p)))

    def _training_candidate(self, path: str, m: ModuleFacts) -> bool:
        """Could this file fit a model? (cheap: headers and a scan of the text)"""
        if m.is_test or path not in self.ml_related:
            return False
        if not self.prefilter:
            return True
        if self._train_hint is None:
            self._train_hint = self.word_index().with_words(_TRAIN_WORDS, ("Trainer",))
        return path in self._train_hint

    def is_training(self, path: str) -> bool:
        """Whether a file is training code (ML-related, not a test, fits a model); parses it."""
        hit = self._training.get(path)
        if hit is None:
            m = self.modules.get(path)
            hit = m is not None and self._training_candidate(path, m) and bool(training_signals(m))
            self._training[path] = hit
        return hit

    @property
    def training_modules(self) -> list[str]:
        """Every training-code file (parses all candidates at once; `select` is lazier)."""
        if "_training_modules" not in self.memo:
            cands = [p for p, m in self.modules.items() if self._training_candidate(p, m)]
            self.load(self.modules[p] for p in cands)
            self.memo["_training_modules"] = [p for p in cands if self.is_training(p)]
        return self.memo["_training_modules"]

    # -- queries
    @property
    def first_party_modules(self) -> list[str]:
        """Every indexed .py file (tests included); notebooks are in `notebook_paths`."""
        return [p for p, m in self.modules.items() if m.kind == "module"]

    @property
    def notebook_paths(self) -> list[str]:
        return [p for p, m in self.modules.items() if m.kind == "notebook"]

    @property
    def notebooks(self) -> dict[str, NotebookInfo]:
        """path -> cells, code cells and cells with outputs (VCS006), for every notebook read."""
        return {p: m.notebook for p, m in self.modules.items() if m.notebook is not None}

    @property
    def test_modules(self) -> list[str]:
        return [p for p, m in self.modules.items() if m.is_test]

    def is_test_file(self, path: str) -> bool:
        m = self.modules.get(path)
        return m.is_test if m is not None else is_test_path(path)

    def is_ml(self, path: str) -> bool:
        return path in self.frameworks and not self.modules[path].is_test

    def uses_framework(self, names: Iterable[str]) -> list[str]:
        """Non-test files importing one of the frameworks (catalogue names such as "torch")."""
        wanted = set(names)
        return [p for p in self.ml_modules if wanted.intersection(self.frameworks[p])]

    def select(self, *, tests: bool | None = False, scope: str | None = None,
               paths: Iterable[str] | None = None, mentions: Iterable[str] | None = None,
               parse: bool = True) -> Iterator[ModuleFacts]:
        """Files to search: tests False = non-test (default), True = tests only, None = all;
        scope "ml-code" / "training-code" / "modules" / "notebooks" narrows further.

        `mentions`: only files whose source contains one of these strings, or passes this
        `TextFilter` (a pre-filter the caller guarantees is implied by what it looks for:
        see auditor/facts/tokens.py); None: all.
        With `parse` (default) the records come with their bodies, built in growing batches
        so that a caller that stops early parses little; `parse=False` is for callers that
        read only headers (imports, kind, notebook info)."""
        allowed = set(paths) if paths is not None else None
        ml = self.ml_related if scope == "ml-code" else None
        training = scope == "training-code"
        tokens = mentions if mentions is None or callable(mentions) else tuple(mentions)
        mentioned = self.mentioning(tokens) if tokens is not None else None

        def candidates() -> Iterator[ModuleFacts]:
            for p, m in self.modules.items():
                if tests is not None and m.is_test != tests:
                    continue
                if allowed is not None and p not in allowed:
                    continue
                if ml is not None and p not in ml:
                    continue
                if scope == "modules" and m.kind != "module":
                    continue
                if scope == "notebooks" and m.kind != "notebook":
                    continue
                if training and not self._training_candidate(p, m):
                    continue
                if mentioned is not None and p not in mentioned:
                    continue
                yield m

        if not parse and not training:
            yield from candidates()
            return
        for m in self.batched(candidates()):
            if not training or self.is_training(m.path):
                yield m

    def batched(self, mods: Iterable[ModuleFacts]) -> Iterator[ModuleFacts]:
        """The records of `mods`, in order, with their bodies: built in growing batches (8,
        32, 128, ...), so a caller that stops after a few parses few, and one that reads
        them all gets the cache and the process pool at work on large batches."""
        batch: list[ModuleFacts] = []
        size = 8
        for m in mods:
            batch.append(m)
            if len(batch) >= size:
                self.load(batch)
                yield from batch
                batch = []
                size = min(size * 4, 2048)
        if batch:
            self.load(batch)
            yield from batch


# Words a file must contain to hold a training signal (see `training_signals`): the last
# dotted part of every call it counts, and the methods a training loop defines; or a word
# ending in "Trainer".
_TRAIN_WORDS = frozenset({
    "fit", "partial_fit", "fit_generator", "train_on_batch", "fit_one_cycle", "fine_tune", "apply_gradients",
    "backward", "step", "minimize", "train", "cv", "apply_updates", "cross_val_score", "cross_validate",
    "cross_val_predict", "learning_curve", "training_step", "train_step", "train_dataloader"})


# ---------------------------------------------------------------------------- extraction
def _skipped(path: str, venvs: tuple[str, ...]) -> bool:
    parts = path.split("/")
    if any(p in SKIP_DIRS for p in parts[:-1]):
        return True
    return any(path.startswith(v) for v in venvs)


def extract(project) -> PythonIndex:
    """Headers of every .py file and notebook of the snapshot (problems go to the report);
    bodies are parsed when a rule first needs them (`BodyLoader`)."""
    files = project.files
    venvs = tuple(f[: -len("pyvenv.cfg")] for f in files if f.endswith("/pyvenv.cfg"))
    file_set = project.file_set
    modules: dict[str, ModuleFacts] = {}
    todo: list[tuple[str, str | None]] = []
    for path in files:
        is_py = path.endswith(".py")
        if not (is_py or path.endswith(".ipynb")) or _skipped(path, venvs):
            continue
        if is_py and project.size(path) > MAX_PY_BYTES:
            project.add_problem(path, f"Python file too large to index ({project.size(path) / 1048576:.1f} MiB"
                                      f" > {MAX_PY_BYTES // 1048576} MiB); not analysed")
            continue
        todo.append((path, module_name_of(path, file_set)[1] if is_py else None))
    # per-file work is cached by content and may run in worker processes (auditor/cache.py)
    from auditor import cache

    for path, facts in cache.cached_map(project, "pyhead", todo, _header_one, encode=_header_data,
                                        decode=_from_header_data, code=_code_files()):
        for detail in facts.header_problems:
            project.add_problem(path, detail)
        modules[path] = facts
    return PythonIndex(modules, file_set, BodyLoader(project, modules))


class BodyLoader:
    """Builds module bodies on demand, in batches, through the per-file cache and pool."""

    def __init__(self, project, modules: dict[str, ModuleFacts]) -> None:
        self.project = project
        self.modules = modules

    def source(self, path: str) -> str | None:
        """The text a file's body is parsed from (a notebook's JSON: its code is in there)."""
        return self.project.read_text(path)

    def load_one(self, m: ModuleFacts) -> None:
        self.load([m])

    def load(self, mods: list[ModuleFacts]) -> None:
        from auditor import cache

        items = [(m.path, m.package) for m in mods if m._body is None and m.indexable]
        for path, body in cache.cached_map(self.project, "python", items, _body_one,
                                           encode=ModuleBody.to_data, decode=ModuleBody.from_data,
                                           code=_code_files()):
            m = self.modules[path]
            m._body, m._loader = body, None
            for detail in body.problems:
                self.project.add_problem(path, detail)
        for m in mods:
            if m._body is None:   # unreadable now (the read problem is on record): nothing known
                m._body, m._loader = ModuleBody(parsed=False), None


def _code_files() -> tuple[str, ...]:
    from auditor.facts import notebooks, pyimports

    return (__file__, notebooks.__file__, pyimports.__file__)


def _header_one(path: str, text: str, package: str | None) -> ModuleFacts:
    """One file's header (a module-level function, so a worker process can run it)."""
    if path.endswith(".py"):
        return index_header(path, text, package)
    from auditor.facts.notebooks import notebook_header

    return notebook_header(path, text)


def _header_data(facts: ModuleFacts) -> list[Any]:
    return [facts.path, facts.kind, facts.package, *facts.header_data()]


def _from_header_data(data: list[Any]) -> ModuleFacts:
    return ModuleFacts.from_header(data[0], data[1], data[2], data[3:])


def _body_one(path: str, text: str, package: str | None) -> ModuleBody:
    """One file's body (a module-level function, so a worker process can run it)."""
    if path.endswith(".py"):
        return index_body(text, package)
    from auditor.facts.notebooks import notebook_body

    return notebook_body(path, text)
