"""Named checks of the DATA rules that need more than one predicate can say.

- `no_splits` / `reproducible_splits` (DATA005): every split or subsample is seeded;
- `explicit_validation` (DATA003): assert/raise checks on data in data-loading code;
- `prep_in_modules` (DATA004): data preparation is not only in notebooks;
- `hub_datasets` (DATA002): datasets pulled from a hub (not a local file through a hub API);
- `dataset_docs` (DATA006): a README in a data folder or a docs page about the data.

All of them read the Python index (`project.fact("python")`); test files are left out.
"""

from __future__ import annotations

import re

from auditor.model import Evidence, Outcome
from auditor.predicates import MAX_EVIDENCE
from auditor.facts.callsites import call_sites
from auditor.facts.tokens import CALL_AFTER, TextFilter, call_filter, name_tokens
from auditor.predicates.python import any_name_matches, evidence, index, render_literal

# ---------------------------------------------------------------------------- DATA005
SEED_KWARGS = ("random_state", "seed", "generator", "rng", "random_seed")
# (patterns, what the call is, positional index from which a seed may be passed or None)
_SEEDED_SPLITTERS = [
    (["sklearn.model_selection.train_test_split", "sklearn.cross_validation.train_test_split"],
     "train_test_split", None),
    ([".train_test_split"], "train_test_split", None),        # Hugging Face datasets
    (["ShuffleSplit", "StratifiedShuffleSplit", "GroupShuffleSplit"], "shuffle split", 3),
    (["RepeatedKFold", "RepeatedStratifiedKFold"], "repeated k-fold", None),
    (["torch.utils.data.random_split", "torch.utils.data.dataset.random_split"], "random_split", 2),
    (["sklearn.utils.shuffle", "sklearn.utils.resample"], "shuffle/resample", None),
    ([".randomSplit"], "randomSplit", 1),                      # Spark
]
_KFOLDS = ["KFold", "StratifiedKFold", "GroupKFold", "StratifiedGroupKFold"]
_PERMUTATIONS = ["numpy.random.permutation", "numpy.random.shuffle", "random.shuffle", "torch.randperm"]
# global seeding functions; a method on an unknown object counts only for the unambiguous names
_SEED_FUNC = re.compile(
    r"^(?:(?:set|fix|init|setup|reset)_?)?(?:global_|random_|all_|torch_|everything_)?seeds?"
    r"(?:_everything|_all|_torch|_everything)?$|^manual_seed(?:_all)?$|^seed_?everything$|^set_random_seed$",
    re.IGNORECASE)
_AMBIGUOUS_SEED_METHODS = {"seed", "manual_seed"}


def is_global_seed(call) -> bool:
    last = call.last
    if not _SEED_FUNC.match(last):
        return False
    return not call.name.startswith(".") or last not in _AMBIGUOUS_SEED_METHODS


_ENTRY_DECORATORS = ["hydra.main", "click.command", "click.group", ".command", "absl.app.run"]
_ENTRY_CALLS = ["LightningCLI", "fire.Fire", "typer.run", "absl.app.run", "tensorflow.compat.v1.app.run"]


# pre-filters: a call named like `_SEED_FUNC` is written `<name>(` or imported `<name> as`
_SEED_TOKENS = TextFilter(("seed", "Seed", "SEED"), after=CALL_AFTER, word=_SEED_FUNC.match)
_SPLIT_TOKENS = call_filter([p for patterns, _, _ in _SEEDED_SPLITTERS for p in patterns]
                            + _KFOLDS + _PERMUTATIONS + [".sample"])
# splits judged by their own arguments (`_split_kind` needs nothing else of the module for
# them); a module that may call the others (`.sample`, shuffles, permutations) is parsed
_QUICK_SPLIT_NAMES = frozenset(p.rsplit(".", 1)[-1] for patterns, _, _ in _SEEDED_SPLITTERS
                               for p in patterns + _KFOLDS) - {"shuffle"}
_NEEDS_BODY = call_filter(_PERMUTATIONS + [".sample", "sklearn.utils.shuffle"])


def is_entry_point(m) -> bool:
    """A script: `if __name__ == "__main__"`, a Hydra/click/typer command, or a CLI runner."""
    if m.kind != "module":
        return False
    return any(s.value == "__main__" for s in m.strings) \
        or any(any_name_matches(d, _ENTRY_DECORATORS) for x in m.definitions for d in x.decorators) \
        or any(any_name_matches(c.name, _ENTRY_CALLS) for c in m.calls)


def _split_kind(call, sliced: set[str]) -> tuple[str | None, int | None]:
    """(description, positional seed index) when the call is a random split, else (None, None)."""
    for patterns, what, pos in _SEEDED_SPLITTERS:
        if any_name_matches(call.name, patterns):
            if call.values.get("shuffle") is False:
                return None, None  # an ordered split has nothing to seed
            return what, pos
    if any_name_matches(call.name, _KFOLDS):
        if "shuffle" in call.kwargs and call.values.get("shuffle") is not False:
            return f"{call.last}(shuffle=True)", 2
        return None, None
    if call.name == ".sample" and not call.discarded and ({"n", "frac", "fraction"} & set(call.kwargs)):
        return "sample", 4 if "fraction" not in call.kwargs else 2
    if any_name_matches(call.name, _PERMUTATIONS) and not call.name.startswith("."):
        if call.target and call.target in sliced:
            return f"{call.name} then slicing `{call.target}`", None
        first = call.args[0] if call.args else None
        if call.last == "shuffle" and isinstance(first, dict) and first.get("expr") in sliced:
            return f"{call.name} then slicing `{first['expr']}`", None
    return None, None


def _seeded_by_argument(call, pos: int | None) -> str | None:
    if "**" in call.kwargs or call.starargs:
        return "arguments passed through **kwargs"
    for k in SEED_KWARGS:
        if call.has_kwarg(k):
            return f"{k}={render_literal(call.values[k])}" if k in call.values else f"{k}=…"
    if pos is not None and call.nargs > pos:
        return "seed passed positionally"
    return None


def find_splits(ctx) -> list[tuple[Evidence, bool]]:
    """Every random split or subsample in non-test code: (evidence, seeded). Computed once."""
    idx = index(ctx)
    if "data.splits" in idx.memo:
        return idx.memo["data.splits"]
    seeds: dict[str, tuple[int, int | None, str]] = {}
    for m in idx.select(tests=None, mentions=_SEED_TOKENS):
        for c in m.calls:
            if is_global_seed(c):
                seeds[m.path] = (c.line, c.cell, c.name.lstrip("."))
                break
    entry_seeds = [p for p in seeds if idx.modules[p].kind == "module" and not idx.modules[p].is_test
                   and is_entry_point(idx.modules[p])]
    # Most files' splits are seeded by an argument (`random_state=42`): those are read from
    # the call expressions alone (auditor/facts/callsites.py); the rest are parsed in full.
    candidates = list(idx.select(tests=False, mentions=_SPLIT_TOKENS, parse=False))
    found = {m.path: _argument_seeded_splits(idx, m) for m in candidates}
    for m in idx.batched(m for m in candidates if found[m.path] is None):
        found[m.path] = _splits_of(idx, m, seeds, entry_seeds)
    out = [hit for m in candidates for hit in found[m.path]]
    idx.memo["data.splits"] = out
    return out


def _argument_seeded_splits(idx, m) -> list[tuple[Evidence, bool]] | None:
    """The splits of a module when every one is seeded by an argument, from its call
    expressions alone; None when the parsed module is needed (another kind of split, a
    split without a seed argument, or calls `call_sites` cannot read exactly)."""
    text = idx.source(m.path) if m.kind == "module" else None
    if text is None or _NEEDS_BODY.in_module(text):   # (`def split_sample(` calls no `.sample`)
        return None
    calls = call_sites(text, _QUICK_SPLIT_NAMES, m.package)
    if calls is None:
        return None
    out = []
    for c in calls:
        what, pos = _split_kind(c, set())
        if what is None:
            continue
        how = _seeded_by_argument(c, pos)
        if how is None:
            return None
        out.append((evidence(m, c.line, c.cell, f"{what}: seeded ({how})"), True))
    return out


def _splits_of(idx, m, seeds, entry_seeds) -> list[tuple[Evidence, bool]]:
    """The splits of a parsed module, each seeded by an argument, a global seed in the
    module, or one in an entry point."""
    out: list[tuple[Evidence, bool]] = []
    path = m.path
    sliced = set(m.sliced)
    for c in m.calls:
        what, pos = _split_kind(c, sliced)
        if what is None:
            continue
        how = _seeded_by_argument(c, pos)
        if how is None and path in seeds:
            line, cell, fn = seeds[path]
            how = f"global seed {fn}() at {'cell ' + str(cell) if cell else 'line ' + str(line)}"
        if how is None:
            entry = next((p for p in idx.importers.get(path, []) if p in seeds), None)
            if entry is None and m.kind == "module" and not is_entry_point(m):
                # a library module runs under some entry point (often wired by Hydra or a
                # CLI rather than an import): one that seeds globally covers it
                entry = next(iter(entry_seeds), None)
            if entry:
                how = f"global seed {seeds[entry][2]}() in entry point {entry}"
        if how is None and "torch.randperm" == c.name and c.has_kwarg("generator"):
            how = "generator="
        seeded = how is not None
        detail = f"{what}: seeded ({how})" if seeded else \
            f"{what} without {'/'.join(SEED_KWARGS[:3])}= and no global seed in the module or its entry point"
        out.append((evidence(m, c.line, c.cell, detail), seeded))
    return out


SPLIT_WORDS = ("dataset splits or subsamples (train_test_split, random_split, KFold(shuffle=True), "
               "ShuffleSplit, DataFrame.sample(n=/frac=), permutation-then-slice)")


def no_splits(ctx) -> Outcome:
    """n/a condition of DATA005: no split call anywhere in non-test code."""
    splits = find_splits(ctx)
    return Outcome(ok=not splits, evidence=[e for e, _ in splits[:3]], searched=SPLIT_WORDS)


def reproducible_splits(ctx) -> Outcome:
    """Every split is seeded by an argument, a global seed in its module, or in an entry point."""
    splits = find_splits(ctx)
    unseeded = [e for e, seeded in splits if not seeded]
    if unseeded:
        return Outcome(False, unseeded[:MAX_EVIDENCE], f"a seed for every one of the {len(splits)} {SPLIT_WORDS}")
    return Outcome(bool(splits), [e for e, _ in splits][:MAX_EVIDENCE], f"seeded {SPLIT_WORDS}")


# ---------------------------------------------------------------------------- DATA003
# calls that read a dataset: a module making them is data-loading code
DATA_LOADERS = ["pandas.read_*", "polars.read_*", "polars.scan_*", "dask.dataframe.read_*",
                ".read_csv", ".read_parquet", ".read_json", ".read_excel", ".read_table", ".read_sql",
                ".read_feather", "datasets.load_dataset", "datasets.load_from_disk", ".read.csv",
                ".read.parquet", ".read.json", ".read.table", "numpy.load", "numpy.loadtxt", "numpy.genfromtxt",
                "pyarrow.parquet.read_table", "sklearn.datasets.fetch_*", "tensorflow_datasets.load"]
_DATA_PATH = re.compile(r"(?i)(^|/)[^/]*(data|load|ingest|prep|valid|schema|clean|etl|feature|extract)[^/]*$")
# `shape` is not among them: `assert X.shape[1] == self.n_features_in_` inside an estimator or
# `if df.shape[0] == 0: raise` on a query result are consistency checks, not data validation
_CHECK_NAMES = {"isna", "isnull", "notna", "notnull", "hasnans", "columns", "dtypes", "dtype", "schema",
                "between", "duplicated", "nunique", "is_unique", "empty", "select_dtypes", "issubset",
                "issuperset", "null_count", "is_null", "is_nan", "isnan", "isfinite", "isin"}
# a name made of these words checks data (`missing_cols`, `n_nulls`, `valid_range`, `ColumnType`) ...
_CHECK_TOKENS = frozenset({"missing", "null", "nulls", "nan", "nans", "na", "schema", "column", "columns",
                           "col", "cols", "dtype", "dtypes", "range", "bounds"})
# ... unless it is a behaviour flag (`download_if_missing`, `ignore_missing`, `allow_nan`)
_FLAG_TOKENS = frozenset({"if", "download", "allow", "ignore", "skip", "drop", "fill", "create", "use",
                          "raise", "warn", "handle", "keep", "errors", "on"})
_TOKEN_SPLIT = re.compile(r"[_\W]+|(?<=[a-z0-9])(?=[A-Z])")


def is_check_name(name: str) -> bool:
    """A name used in a guard that inspects data: `isna`, `columns`, `missing_cols`, ..."""
    if name in _CHECK_NAMES:
        return True
    tokens = {t.lower() for t in _TOKEN_SPLIT.split(name) if t}
    return bool(tokens & _CHECK_TOKENS) and not tokens & _FLAG_TOKENS


_LOADER_CALLS = call_filter(DATA_LOADERS)


def is_data_loading(path: str, m) -> bool:
    return bool(_DATA_PATH.search(path.rsplit(".", 1)[0])) or any(
        any_name_matches(c.name, DATA_LOADERS) for c in m.calls)


def explicit_validation(ctx) -> Outcome:
    """`assert` / `if ...: raise` on schema, missing values or ranges in data-loading ML code."""
    idx = index(ctx)
    ev: list[Evidence] = []
    # a guard is an `assert` or a `raise`, and data-loading code has a data-ish path or a
    # loader call: files that cannot have both are never parsed
    guarded = idx.mentioning(("assert", "raise"))
    loading = idx.mentioning(_LOADER_CALLS)
    candidates = (idx.modules[p] for p in idx.ml_modules
                  if p in guarded and (p in loading or _DATA_PATH.search(p.rsplit(".", 1)[0])))
    for m in idx.batched(candidates):
        if not is_data_loading(m.path, m):
            continue
        for g in m.guards:
            hits = [n for n in g.names if is_check_name(n)]
            if hits:
                verb = "assert" if g.kind == "assert" else "raise on a check"
                ev.append(evidence(m, g.line, g.cell, f"{verb} of {', '.join(hits[:3])} in data-loading code"))
                break
        if len(ev) >= MAX_EVIDENCE:
            break
    return Outcome(bool(ev), ev[:MAX_EVIDENCE],
                   "assert or raise checks on columns, dtypes, missing values or ranges in data-loading code")


# ---------------------------------------------------------------------------- DATA004
DATA_PREP = DATA_LOADERS + [
    "sklearn.preprocessing.*", "sklearn.compose.*", "sklearn.impute.*", "sklearn.pipeline.Pipeline",
    "sklearn.pipeline.make_pipeline", "sklearn.feature_extraction.*", "pandas.get_dummies", "pandas.merge",
    "pandas.concat", ".fillna", ".dropna", ".drop_duplicates", ".merge", ".groupby", "torchvision.transforms.*",
    "tensorflow.data.*", "torch.utils.data.DataLoader", ".to_parquet", ".to_csv", ".with_columns",
    "transformers.AutoTokenizer.from_pretrained"]
_DATASET_BASES = ["Dataset", "IterableDataset", "LightningDataModule", "DataModule", "tensorflow.keras.utils.Sequence",
                  "keras.utils.Sequence", "keras.utils.PyDataset", "BaseEstimator", "TransformerMixin"]


_PREP_TOKENS = name_tokens(DATA_PREP + _DATASET_BASES)   # bases are not calls: no `(` to expect


def prep_signal(path: str, m) -> tuple[int | None, int | None, str] | None:
    """Where a file prepares data (reads, cleans, transforms, builds features), if it does."""
    for d in m.definitions:
        base = next((b for b in d.bases if any_name_matches(b, _DATASET_BASES)), None)
        if base:
            return d.line, d.cell, f"class {d.name}({base.lstrip('.')})"
    for c in m.calls:
        if any_name_matches(c.name, DATA_PREP):
            return c.line, c.cell, f"calls {c.name.lstrip('.')}()"
    if _DATA_PATH.search(path.rsplit(".", 1)[0]) and m.definitions:
        return m.definitions[0].line, None, "data module"
    return None


def prep_in_modules(ctx) -> Outcome:
    """Data ingestion, cleaning or feature code lives in .py modules, not only in notebooks."""
    idx = index(ctx)
    searched = ("data loading, cleaning or feature code in Python modules (not only in notebooks), "
                "or data pipeline stages")
    modules_ev, notebooks_ev = [], []
    # a file without a preparation name in its text can only qualify by its path (`prep_signal`)
    candidates = (idx.modules[p] for p in idx.ml_modules
                  if _DATA_PATH.search(p.rsplit(".", 1)[0]) or idx.mentions(idx.modules[p], _PREP_TOKENS))
    for m in idx.batched(candidates):
        hit = prep_signal(m.path, m)
        if hit:
            (notebooks_ev if m.kind == "notebook" else modules_ev).append(evidence(m, *hit))
            if len(modules_ev) >= MAX_EVIDENCE:
                break  # enough to pass; notebook evidence is only shown when this list is empty
    if modules_ev:
        return Outcome(True, modules_ev[:MAX_EVIDENCE], searched)
    ml_py = [p for p in idx.ml_modules if idx.modules[p].kind == "module"]
    if notebooks_ev or not ml_py:
        shown = [Evidence(e.path, e.line, f"{e.detail} (data preparation only in notebooks)") for e in notebooks_ev]
        return Outcome(False, (shown or [Evidence(p, None, "ML code only in notebooks")
                                         for p in idx.ml_modules])[:5], searched)
    return Outcome(True, [Evidence(p, None, "ML code in a Python module; no data preparation in notebooks")
                          for p in ml_py[:3]], searched)


# ---------------------------------------------------------------------------- DATA002
_LOCAL_BUILDERS = {"csv", "json", "parquet", "text", "imagefolder", "audiofolder", "arrow", "pandas",
                   "webdataset", "sql", "generator", "videofolder", "xml"}
_LOCAL_PATH = re.compile(r"^(\.{0,2}/|~|[A-Za-z]:\\)|\.(csv|tsv|json|jsonl|parquet|txt|arrow)$")


_HUB_CALLS = call_filter(["load_dataset", "hf_hub_download", "snapshot_download"])


def hub_datasets(ctx) -> Outcome:
    """Datasets pulled from the Hugging Face Hub: `load_dataset("imdb")` or a hub name from a
    variable, and `hf_hub_download`/`snapshot_download(repo_type="dataset")`; a local builder
    (`load_dataset("csv", data_files=...)`) or a local path does not count."""
    ev = []
    for m in index(ctx).select(tests=False, mentions=_HUB_CALLS):
        if len(ev) >= MAX_EVIDENCE:
            break
        for c in m.calls:
            if any_name_matches(c.name, ["datasets.load_dataset"]):
                first = c.args[0] if c.args else c.values.get("path")
                if first is None and "path" not in c.kwargs:
                    continue
                if isinstance(first, str) and (first.lower() in _LOCAL_BUILDERS or _LOCAL_PATH.search(first)):
                    continue
                shown = render_literal(first) if isinstance(first, str) else "…"
                ev.append(evidence(m, c.line, c.cell, f"loads dataset {shown} from the Hugging Face Hub"))
                break
            if any_name_matches(c.name, ["huggingface_hub.hf_hub_download", "huggingface_hub.snapshot_download"]) \
                    and c.values.get("repo_type") == "dataset":
                ev.append(evidence(m, c.line, c.cell, f"downloads a dataset from the Hub ({c.last})"))
                break
    return Outcome(bool(ev), ev[:MAX_EVIDENCE], "datasets loaded from the Hugging Face Hub")


# ---------------------------------------------------------------------------- DATA006
# a folder that holds data: `data/`, `datasets/`, `raw_data/`, `test-data/` (not `data_science/`,
# `databricks-iris/`, `metadata/` or `grafana_data_drift_dashboard/`, which only contain the word)
_DATA_DIR = re.compile(r"(?i)^(?:[\w.-]*[-_])?(?:data|datasets?|data[-_]sets?)$")
_DOCS_DIR = frozenset({"docs", "doc", "documentation"})
# a documentation page about data: data.md, datasets.rst, training-data.md, data_dictionary.md
_DATA_DOC_STEM = re.compile(
    r"(?i)^(?:[\w-]*[-_])?(?:data|datasets?)(?:[-_](?:sheets?|cards?|descriptions?|dictionary|sources?|"
    r"overview|schema|provenance|catalog|guide))?$")
_DOC_SUFFIXES = (".md", ".rst", ".txt", ".markdown", ".adoc")
# lines that are markup, not prose: mkdocstrings/sphinx directives and their options (`::: pkg.data`,
# `.. automodule::`, `:toctree:`), headings, rules and code fences; prose has a few words per line
_MARKUP_LINE = re.compile(r"^\s*(?::|\.\.\s|#|[=\-~^*+|]{3,}|```)")
MIN_PROSE_CHARS = 80


def _prose_chars(text: str) -> int:
    return sum(len(line.strip()) for line in text.splitlines()[:400]
               if not _MARKUP_LINE.match(line) and len(line.split()) >= 3)


def dataset_docs(ctx) -> Outcome:
    """A README inside a data folder (any depth), or a documentation page about the data
    (`docs/data.md`, `docs/datasets/index.rst`) that has prose: an API-reference stub such as
    mkdocstrings' `::: pkg.data` documents code, not data."""
    project = ctx.project
    ev: list[Evidence] = []
    for path in project.files:
        parts = path.split("/")
        name = parts[-1]
        stem, _, suffix = name.rpartition(".") if "." in name else (name, "", "")
        dirs = parts[:-1]
        if stem.lower() == "readme" or name.lower() == "readme":
            data_dir = next((d for d in dirs if _DATA_DIR.match(d)), None)
            if data_dir and not any(d in _DOCS_DIR for d in dirs):
                ev.append(Evidence(path, None, f"README in data folder `{data_dir}/`"))
                continue
        if not any(d.lower() in _DOCS_DIR for d in dirs) or not name.lower().endswith(_DOC_SUFFIXES):
            continue
        below_docs = dirs[max(i for i, d in enumerate(dirs) if d.lower() in _DOCS_DIR) + 1:]
        about_data = _DATA_DOC_STEM.match(stem) or (
            stem.lower() in ("index", "readme") and below_docs and _DATA_DIR.match(below_docs[-1]))
        if not about_data:
            continue
        text = project.read_text(path) or ""
        if _prose_chars(text) >= MIN_PROSE_CHARS:
            ev.append(Evidence(path, None, "documentation page about the data"))
        if len(ev) >= MAX_EVIDENCE:
            break
    return Outcome(bool(ev), ev[:MAX_EVIDENCE],
                   "a README in a data folder (data/, datasets/, raw_data/, ...) or a documentation page "
                   "about the data (docs/data.md, docs/datasets/...) with prose, not an API stub")
