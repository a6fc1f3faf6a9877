"""The cold-run shortcuts of issue #6 must never change a result.

- the import line scanner (auditor/facts/pyimports.py) finds what `ast` finds;
- text pre-filters (auditor/facts/tokens.py) are supersets: a file they rule out holds no
  match, so an audit with them equals an audit without them;
- bodies are parsed on demand: only what a rule needs, and a broken file a rule needs is
  still reported.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from auditor.facts.pyimports import resolve_relative, scan_imports
from auditor.facts.python import PythonIndex
from auditor.facts.tokens import (base_filter, call_filter, decorator_filter, keyword_filter, name_tokens,
                                  regex_filter, regex_tokens)
from auditor.project import Project
from tests.helpers import audit_report, copy_sample, git_init, make_repo

ROOT = Path(__file__).resolve().parents[1]


def ast_imports(text: str, package: str | None = None) -> list[tuple]:
    """Reference: (module, line, level, alias) of every import statement, by `ast`."""
    out = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno, 0, a.asname) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = resolve_relative(package, node.level or 0, node.module)
            for a in node.names:
                full = base if a.name == "*" else (f"{base}.{a.name}" if base else a.name)
                out.append((full, node.lineno, node.level or 0, None if a.name == "*" else a.asname))
    return sorted(out, key=lambda t: (t[1], t[0]))


def scanned(text: str, package: str | None = None) -> list[tuple]:
    return sorted(((i.module, i.line, i.level, i.alias) for i in scan_imports(text, package)),
                  key=lambda t: (t[1], t[0]))


TRICKY = '''"""Module doc.

Example:
    import torch
    from sklearn import svm
"""
import os, sys as system
from . import sibling
from ..pkg import (a as b,
    c,  # a comment inside the parentheses
    d)
from .mod import *
import numpy.random \\
    as npr
try:
    import torch
except ImportError:  # import nothing
    torch = None
def f():
    """Doc: from x import y"""
    from pandas import read_csv; import json
    x = 1  # from here on, import is just a word
    return "import mlflow"
s = \'\'\'
from wandb import init
\'\'\'
from __future__ import annotations
'''


def test_scanner_matches_ast_on_tricky_code():
    assert scanned(TRICKY, "top.sub") == ast_imports(TRICKY, "top.sub")
    found = {i.module for i in scan_imports(TRICKY, "top.sub")}
    assert "torch" in found and "pandas.read_csv" in found and "top.pkg.a" in found
    assert not {"sklearn.svm", "x.y", "mlflow", "wandb.init"} & found  # strings are not code


def _corpus(name: str) -> list[Path]:
    if name == "stdlib":   # a large body of real code in every Python installation
        import json as anchor

        root = Path(anchor.__file__).resolve().parents[1]
        return sorted(p for p in root.glob("*.py"))
    return sorted(p for p in (ROOT / name).rglob("*.py") if not any(x.startswith(".venv") for x in p.parts))


@pytest.mark.parametrize("corpus", ["auditor", "tests", "sample_repos", "bench", "stdlib"])
def test_scanner_matches_ast_on_real_code(corpus):
    """Every .py file of this repository (our code, tests, samples) and of the standard
    library's top level: the scanner finds the imports `ast` finds, except those written
    after a colon on one line (`if x: import y`), which it is documented to miss."""
    files = _corpus(corpus)
    assert files
    checked = 0
    for f in files:
        try:
            text = f.read_text(encoding="utf-8")
            expected = ast_imports(text, "pkg.sub")
        except (UnicodeDecodeError, SyntaxError):
            continue
        got = scanned(text, "pkg.sub")
        lines = text.split("\n")
        missed = [t for t in expected if t not in got]
        assert all(":" in lines[t[1] - 1].split("import")[0] for t in missed), (f, missed)
        assert all(t in expected for t in got), (f, [t for t in got if t not in expected])
        checked += 1
    assert checked >= len(files) * 0.9


@pytest.mark.parametrize("text", ["", "import os", "from x import y\nimport z", "\nimport a\n\n  from b import c",
                                  "fromage = 1\nimportant = 2\n", "x = 1\n\timport(y)\nfrom\\\n a import b",
                                  "import\n", "\r\nimport a\r\n"])
def test_statement_lines_found_after_newlines_are_those_of_the_multiline_pattern(text):
    from auditor.facts import pyimports

    assert list(pyimports._statement_starts(text)) == [m.start() for m in pyimports._STATEMENT.finditer(text)]


def test_statement_lines_on_real_code():
    from auditor.facts import pyimports

    for f in _corpus("auditor") + _corpus("stdlib"):
        text = f.read_text(encoding="utf-8", errors="replace")
        assert list(pyimports._statement_starts(text)) == [m.start() for m in pyimports._STATEMENT.finditer(text)], f


def test_scanner_ignores_prose_that_starts_with_from():
    text = "x = (\n    1\n)\nfrom the docs, import nothing\nimport 3d\n"
    assert scan_imports(text) == []


def test_name_tokens():
    assert name_tokens(["sklearn.model_selection.train_test_split", ".fit"]) == ("fit", "train_test_split")
    assert name_tokens(["*SearchCV"]) == ("SearchCV",)
    assert name_tokens(["pandas.read_*"]) == ("read_",)      # the most specific literal part
    assert name_tokens(["mlflow.shap.*"]) == ("shap",)
    assert name_tokens(["*"]) is None and name_tokens([]) is None


def test_regex_tokens():
    assert regex_tokens([r"^(lakefs|pfs)://"]) == ("://",)
    assert regex_tokens([r"^retries$"]) == ("retries",)
    assert set(regex_tokens([r"^(train|fit)_?model$"])) == {"model"}
    assert regex_tokens([r"(?i)mlflow"]) is None and regex_tokens(["mlflow"], ignore_case=True) is None
    assert regex_tokens([r"a.b"]) is None            # nothing of two characters is required
    assert regex_tokens([r"x*y?"]) is None
    assert regex_tokens([r"\{bucket\}"]) is None     # braces may be f-string holes in the source


@pytest.mark.parametrize("text, hit", [
    ("from sklearn.model_selection import train_test_split\ntrain_test_split(X)\n", True),
    ("from sklearn.model_selection import train_test_split as tts\ntts(X)\n", True),   # alias
    ("import sklearn.model_selection as ms\nms.train_test_split (X)\n", True),           # space
    ("x = f(\n    train_test_split\n    (X))\n", True),                                   # newline
    ("# we do not use train_test_split here\n", False),
    ("names = ['train_test_split']\n", False),
    ("train_test_split_v2(X)\n", False),                                                # another name
    ("my_train_test_split(X)\n", True),      # no left boundary (notebook JSON): a harmless superset
])
def test_call_filter(text, hit):
    assert call_filter(["sklearn.model_selection.train_test_split"])(text) is hit


def test_decorator_and_base_filters():
    dec = decorator_filter(["tenacity.retry"])
    assert dec("from tenacity import retry\n@retry(stop=3)\ndef f(): pass\n")
    assert dec("import tenacity as t\n@ t.retry\ndef f(): pass\n")
    assert dec("from tenacity import retry as again\n@again\ndef f(): pass\n")
    assert not dec("MAX_RETRY = 3\nretry_count = 0\n")
    base = base_filter(["WandbLogger"])
    assert base("class L(\n    loggers.WandbLogger,\n):\n    pass\n")
    assert not base("logger = WandbLogger(project='x')\n")


def test_folded_queries_keep_non_ascii_texts(tmp_path):
    """`(?i)distill` matches "DİSTILL" (a dotted capital I), which `str.lower` does not turn
    into "distill": the word index cannot rule out a non-ASCII text for a folded query."""
    import re

    root = make_repo(tmp_path, {"kd.py": "class KnowledgeD\u0130STILL: pass\n", "plain.py": "x = 1\n"})
    assert re.search(r"(?i)distill", (root / "kd.py").read_text())
    idx = Project(root).fact("python")
    assert idx.mentioning(regex_filter([r"(?i)distill"])) == {"kd.py"}


def test_case_insensitive_patterns_filter_on_folded_text():
    f = regex_filter([r"(?i)distill"])
    assert f.fold and f("def DistillTeacher(): pass") and not f("def teach(): pass")
    assert regex_filter(["Distill"], ignore_case=True)("class KnowledgeDISTILLATION: pass")


def test_keyword_filter():
    kw = keyword_filter(["random_state", "**"])
    assert kw("split(X, random_state = 0)") and not kw("if random_state == 0: pass")
    assert keyword_filter(["**"]) is None


# ---------------------------------------------------------------------------- whole audits
TRICKY_REPO = {
    "src/pkg/__init__.py": "from .data import load\n",
    "src/pkg/data.py": ("import pandas as pd\nfrom sklearn.model_selection import train_test_split as tts\n"
                        "def load(p):\n    df = pd.read_csv(p)\n    assert not df.isna().any().any()\n"
                        "    return tts(df, test_size=.2)\n"),
    "src/pkg/train.py": ("import torch\nfrom lightning import seed_everything as se\nfrom . import data\n"
                         "se(1)\nclass M(torch.nn.Module):\n    pass\n"
                         "def main():\n    opt = torch.optim.Adam([])\n    loss.backward()\n    opt.step()\n"
                         "if __name__ == '__main__':\n    main()\n"),
    "src/pkg/serve.py": ("from fastapi import FastAPI\nimport joblib\napp = FastAPI()\n"
                         "model = joblib.load('m.pkl')\n@app.post('/predict')\ndef predict(x):\n"
                         "    return model.predict(x)\n"),
    "notebooks/eda.ipynb": json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": "import mlflow\nmlflow.log_metric('auc', 0.9)\n", "outputs": [],
         "metadata": {}, "execution_count": None}]}),
    "tests/test_data.py": "from pkg.data import load\ndef test_load():\n    assert load('x') is not None\n",
}


def _results(report) -> list:
    return [(r.rule.id, r.status, r.message, [e.to_dict() for e in r.evidence]) for r in report.results]


@pytest.mark.parametrize("sample", ["exemplary", "halfway", "notebook_only", "tricky"])
def test_prefilters_never_change_a_result(tmp_path, monkeypatch, sample):
    if sample == "tricky":
        root = make_repo(tmp_path / "tricky", TRICKY_REPO)
        git_init(root)
    else:
        root = copy_sample(sample, tmp_path)
    fast = _results(audit_report(root, profile="production"))
    monkeypatch.setattr(PythonIndex, "prefilter", False)
    slow = _results(audit_report(root, profile="production"))
    assert fast == slow


def test_bodies_are_parsed_only_when_needed(tmp_path):
    root = make_repo(tmp_path, {"a.py": "import os\nprint(os.getcwd())\n", "b.py": "x = 1\n"})
    idx = Project(root).fact("python")
    assert not any(m.loaded for m in idx.modules.values())
    assert [m.path for m in idx.select(tests=None, mentions=("getcwd",))] == ["a.py"]
    assert idx.modules["a.py"].loaded and not idx.modules["b.py"].loaded
    assert idx.modules["b.py"].calls == [] and idx.modules["b.py"].loaded   # reading a body parses it


def test_training_words_cover_every_training_signal():
    """`_TRAIN_WORDS` pre-selects files for `training_signals`: every name it counts is in it."""
    from auditor.facts import python as P

    counted = set(P._FIT_METHODS) | {n.rsplit(".", 1)[-1] for n in P._TRAIN_FUNCTIONS if not n.endswith("Trainer")} \
        | set(P._TRAIN_DEFS) | {"step", "minimize", "train"}
    assert counted <= P._TRAIN_WORDS


def test_fullwidth_identifiers_pass_the_filters(tmp_path):
    """Python reads `ｆit` as `fit` (NFKC); the word index and the finer tests do too."""
    root = make_repo(tmp_path, {"m.py": "from sklearn.model_selection import train_test_split\n"
                                        "ｔrain_test_split(X)\nmodel.ｆit(X)\n"})
    idx = Project(root).fact("python")
    assert idx.mentioning(call_filter(["train_test_split"])) == {"m.py"}
    assert idx.mentioning(call_filter([".fit"])) == {"m.py"}


def test_relative_imports_take_name_parts_from_the_package(tmp_path):
    root = make_repo(tmp_path, {"mlflow/__init__.py": "", "mlflow/tracking.py": "from . import log\nlog()\n"})
    idx = Project(root).fact("python")
    assert [c.name for c in idx.modules["mlflow/tracking.py"].calls] == ["mlflow.log"]
    assert "mlflow/tracking.py" in idx.mentioning(name_tokens(["mlflow.*"]))


def test_filters_find_code_in_notebook_json():
    """A notebook's source is JSON: a line starts right after an escaped `\\n`."""
    nb = json.dumps({"cells": [{"cell_type": "code", "source": "x = 1\ntrain_test_split(X)\n"
                                "class M(WandbLogger):\n    pass\n@retry\ndef f(): pass\n"}]})
    assert "\\ntrain_test_split(" in nb
    assert call_filter(["train_test_split"])(nb)
    assert base_filter(["WandbLogger"])(nb)
    assert decorator_filter(["tenacity.retry"])(nb)


def test_seed_filter_sees_notebook_calls(tmp_path):
    from auditor.checks.data import _SEED_TOKENS

    assert _SEED_TOKENS("x = 1\\nnp.random.seed(0)") and _SEED_TOKENS("torch.manual_seed (0)")
    assert not _SEED_TOKENS("random_state = SEED\nsplit(seed=SEED)")


# ---------------------------------------------------------------------------- call sites
def _call_key(c):
    return (c.name, c.line, c.kwargs, c.values, c.args, c.nargs, c.starargs, c.recv)


_NAMES = frozenset({"train_test_split", "KFold", "join", "append", "get", "split", "format", "open"})


def _same_calls_as_the_parser(text: str) -> bool | None:
    """None: call_sites declined; else whether it found exactly the parser's calls, in order."""
    from auditor.facts.callsites import call_sites
    from auditor.facts.python import index_source

    fast = call_sites(text, _NAMES, "pkg.sub")
    if fast is None:
        return None
    full = index_source("m.py", text, "pkg.sub")
    return [_call_key(c) for c in fast] == [_call_key(c) for c in full.calls if c.last in _NAMES]


@pytest.mark.parametrize("text, expected", [
    ("from sklearn.model_selection import train_test_split\n"
     "a, b = train_test_split(X, y,\n    random_state=42,  # seeded\n    stratify=y)\n", True),
    ("import sklearn.model_selection as ms\ndef f():\n    '''train_test_split(x) in a docstring'''\n"
     "    return ms.train_test_split(X, shuffle=False)\n", True),
    ("from sklearn.model_selection import (\n    KFold,\n    train_test_split,\n)\nKFold(5)\n", True),
    ("def train_test_split(x):\n    return x\n# train_test_split(x)\n", True),
    ("from sklearn.model_selection import train_test_split as tts\ntts(X)\n", None),   # alias
    ("s = f'{train_test_split(X)}'\n", None),                                            # f-string
    ("s = f'''\n{train_test_split(X)}\n'''\n", None),
    ("fn = train_test_split\n", None),                                                   # reference
    ("x = f().train_test_split(1)\n", None),                                             # call result
    ("x = (a.\n     train_test_split(1))\n", None),                                     # chain over lines
    ("x = (train_test_split)(1)\n", None),
    ("if True: from sklearn.model_selection import train_test_split as split\n", None),
    ("import os\nfrom x import os\n", None),                                             # order-dependent
    ("paths = [os.path.join(a, b) for a in x.split(',')]\n", True),
])
def test_call_sites_match_the_parser_or_decline(text, expected):
    assert _same_calls_as_the_parser(text) is expected


@pytest.mark.parametrize("corpus", ["auditor", "tests", "stdlib"])
def test_call_sites_match_the_parser_on_real_code(corpus):
    """Where call_sites answers, it answers what the full parse says (checked on 11,946
    site-packages files as well while it was written)."""
    answered = 0
    for f in _corpus(corpus):
        try:
            text = f.read_text(encoding="utf-8")
            compile(text, str(f), "exec", flags=ast.PyCF_ONLY_AST)
        except (UnicodeDecodeError, SyntaxError):
            continue
        same = _same_calls_as_the_parser(text)
        assert same is not False, f
        answered += same is True
    assert answered > 0


def test_call_sites_decline_hostile_nesting():
    """40,000 nested calls would cost quadratic scanning (hours): call_sites declines after
    scanning about twice the text, and the parser's own limits decide."""
    from auditor.facts.callsites import call_sites

    text = "x = " + "train_test_split(" * 40_000 + "1" + ")" * 40_000 + "\n"
    assert call_sites(text, frozenset({"train_test_split"})) is None


# ---------------------------------------------------------------------------- property
import os  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_IMPORTS = [
    "import mlflow", "import mlflow as mf", "from mlflow import log_metric as lm", "import numpy as np",
    "from sklearn.model_selection import train_test_split as tts", "from sklearn.model_selection import *",
    "import sklearn.model_selection as ms", "from lightning import seed_everything", "import torch",
    "from tenacity import retry as again", "from keras.callbacks import TensorBoard as TB", "import pandas as pd",
    "from . import helpers", "from sklearn.model_selection import (\n    KFold,\n    train_test_split,\n)",
    "from fastapi import FastAPI", "import joblib", "from sklearn.ensemble import RandomForestClassifier",
    "from datasets import load_dataset", "from scipy.stats import ks_2samp", "import requests", "import yaml",
    "import lightning.pytorch.loggers as loggers", "from sklearn.metrics import accuracy_score", "import re",
]
_STATEMENTS = [
    "tts(X, y)", "ms.train_test_split (X, random_state=1)", "train_test_split(X, shuffle=False)",
    "train_test_split(X,\n    random_state=0)", "(train_test_split)(X)", "f = train_test_split", "mf.log_metric('auc', 1)",
    "lm('auc', 1)", "seed_everything(1)", "np.random.seed(0)", "model.fit(X, y)", "loss.backward()",
    "opt.step()", "df = pd.read_csv('data.csv')", "assert df.isna().sum() == 0", "x = df.sample(frac=0.5)",
    "idx = np.random.permutation(n)\ntrain = idx[:80]", "KFold(5, shuffle=True)", "s = f'{train_test_split(X)}'",
    "# train_test_split(X)", "'''docs: train_test_split(X)'''", "class CB(TB):\n    pass",
    "@again\ndef g():\n    pass", "app = FastAPI()\n@app.post('/predict')\ndef predict(x):\n    return model.predict(x)",
    "mlflow.register_model('runs:/1/m', 'm')", "model = joblib.load('m.pkl')", "s3 = 's3://bucket/data.csv'",
    "if __name__ == '__main__':\n    main()", "class M:\n    def training_step(self, batch):\n        pass",
    "ｔrain_test_split(X)", "clf = RandomForestClassifier(class_weight='balanced')", "x = a.b(\n    c).fit(X)",
    "def test_model():\n    assert accuracy_score(y, model.predict(X)) > 0.8",
    "%matplotlib inline\n!pip install x", "def f():\n    from sklearn.model_selection import train_test_split as s\n    s(X)",
    "import sklearn.model_selection\nsklearn.model_selection.train_test_split(X)",
    "class L(\n    loggers.WandbLogger,\n    Base,\n):\n    pass", "ds = load_dataset('imdb')",
    "uri = \"gs://bucket/train.parquet\"", "mlflow.set_tracking_uri('http://mlflow:5000')",
    "y = x if train_test_split(a) else train_test_split(b, random_state=1)", "DRIFT = ks_2samp(a, b)",
    "logger.info('prediction %s model_version %s', pred, version)", "requests.post(SLACK_WEBHOOK_URL, json=msg)",
    "parser.add_argument('--lr', type=float)", "cfg = yaml.safe_load(open('config.yaml'))",
    "torch.manual_seed(0)", "rng = np.random.default_rng(42)", "x = 'train_test_split(' + y",
    "r = re.compile(r'\"\"\"')\nfrom sklearn.model_selection import train_test_split\ntrain_test_split(X)",
]
_module = st.tuples(st.lists(st.sampled_from(_IMPORTS), max_size=4),
                    st.lists(st.sampled_from(_STATEMENTS), min_size=1, max_size=6)).map(
    lambda p: "\n".join(p[0] + p[1]) + "\n")
_PLACES = ["src/pkg/train.py", "src/pkg/data.py", "serve.py", "tests/test_model.py", "notebooks/eda.ipynb",
           "pipelines/split.py"]


def _as_file(path: str, code: str) -> str:
    if path.endswith(".ipynb"):
        return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
            {"cell_type": "code", "source": code, "outputs": [], "metadata": {}, "execution_count": None}]})
    return code


@settings(max_examples=int(os.environ.get("MLAUDIT_PROPERTY_EXAMPLES", "40")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.dictionaries(st.sampled_from(_PLACES), _module, min_size=1, max_size=4))
def test_prefilters_never_change_a_result_on_generated_code(tmp_path_factory, files):
    """Random modules and notebooks made of aliased imports, odd call syntax, names in strings,
    comments and f-strings: every rule's result is the same with the pre-filters on and off."""
    import tempfile

    root = Path(tempfile.mkdtemp(dir=tmp_path_factory.getbasetemp()))
    contents = {p: _as_file(p, code) for p, code in files.items()}
    if any(p.startswith("src/pkg/") for p in contents):
        contents["src/pkg/__init__.py"] = ""
    make_repo(root, contents)
    fast = _results(audit_report(root, profile="production"))
    try:
        PythonIndex.prefilter = False
        slow = _results(audit_report(root, profile="production"))
    finally:
        PythonIndex.prefilter = True
    assert fast == slow


def test_called_names_are_whole_words_in_modules_not_in_notebook_json(tmp_path):
    """`split_sample(` calls no `.sample`: a .py file needs the name as a word of its own. A
    notebook's JSON glues `\\n` to a line's first word, so there the name is searched inside
    words."""
    nb = json.dumps({"nbformat": 4, "metadata": {}, "cells": [
        {"cell_type": "code", "source": "x = 1\nsample(n=3)\n", "outputs": [], "metadata": {}}]})
    assert "\\nsample(" in nb
    root = make_repo(tmp_path, {"helper.py": "def split_sample(frame):\n    return split_sample(frame)\n",
                                "caller.py": "df.sample(frac=0.5)\n", "spaced.py": "df . sample (n=1)\n",
                                "eda.ipynb": nb, "kw.py": "f(my_random_state=1)\n", "kw2.py": "f(random_state=1)\n"})
    idx = Project(root).fact("python")
    assert idx.mentioning(call_filter([".sample"])) == {"caller.py", "spaced.py", "eda.ipynb"}
    assert idx.mentioning(keyword_filter(["random_state"])) == {"kw2.py"}
    # the same test on one module's text
    sample = call_filter([".sample"])
    assert [sample.in_module((root / f).read_text()) for f in ("helper.py", "caller.py", "spaced.py")] \
        == [False, True, True]
    assert sample.in_module("x = \uff53ample(n=1)\n")          # NFKC: no promise for non-ASCII text
    assert call_filter(["pandas.read_*"]).in_module("read_parquet(x)")   # a glob: substring semantics
    assert [c.name for c in idx.modules["eda.ipynb"].calls] == ["sample"]


def test_notebooks_with_unicode_escapes_are_searched_decoded(tmp_path):
    """json.dumps writes `ｔ` as `\\uff54`: the filters search the decoded cells (found by the
    property test above)."""
    nb = json.dumps({"nbformat": 4, "metadata": {}, "cells": [
        {"cell_type": "code", "source": "ｔrain_test_split(X)\n", "outputs": [], "metadata": {}}]})
    assert "\\uff54rain_test_split" in nb
    root = make_repo(tmp_path, {"eda.ipynb": nb})
    idx = Project(root).fact("python")
    assert idx.mentioning(call_filter(["train_test_split"])) == {"eda.ipynb"}
    assert [c.name for c in idx.modules["eda.ipynb"].calls] == ["train_test_split"]


@pytest.mark.parametrize("pattern, path", [
    ("**/*.ipynb", "a/b/c.ipynb"), ("*.py", "x.py/inner.txt"), ("k8s/**/*.yaml", "k8s/a/b/svc.yaml"),
    ("Dockerfile*", "svc/Dockerfile.gpu"), ("data/", "data/raw/x.csv"), ("[Mm]akefile", "Makefile"),
    ("**/.github/workflows/*.yml", ".github/workflows/ci.yml"),
])
def test_glob_literal_part_is_in_every_match(pattern, path):
    """`Project.glob` skips paths without the pattern's literal part before matching."""
    from auditor.pathmatch import compile_glob, required_text

    assert compile_glob(pattern).match(path)
    need = required_text(pattern)
    assert need is None or need in path


@pytest.mark.parametrize("listing", ["ascii", "non-ascii"])
def test_glob_with_and_without_the_literal_test_agree(tmp_path, listing):
    """The literal parts are searched in the joined listing (ASCII) or path by path."""
    from auditor.pathmatch import compile_glob

    files = {"a/b/c.ipynb": "", "x.py/inner.txt": "", "k8s/a/svc.yaml": "", "svc/Dockerfile.gpu": "",
             "Makefile": "", "docs/INDEX.MD": "", "docs/index.md.md": "", "k8s/k8s/k8s.yaml": "",
             "yaml": "", "z.yaml": ""}
    if listing == "non-ascii":
        files["naïve/Ünïcode.md"] = ""
    project = Project(make_repo(tmp_path, files))
    for patterns, ignore_case in [(("*.py",), False), (("**/*.ipynb", "k8s/**/*.yaml"), False),
                                  (("**/*.md",), True), (("Dockerfile*",), False), (("*",), False),
                                  (("**/*.yaml", "k8s/**"), False), (("*.YAML", "**/INDEX*"), True),
                                  (("nothing/**",), False)]:
        plain = [f for f in project.files if any(compile_glob(p, ignore_case).match(f) for p in patterns)]
        assert project.glob(list(patterns), ignore_case=ignore_case) == plain
