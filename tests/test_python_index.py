"""The Python index (auditor/facts/python.py, notebooks.py) and its predicates."""

from __future__ import annotations

import json

import pytest

from auditor.facts.notebooks import index_notebook, strip_magics
from auditor.facts.python import MAX_PY_BYTES, ModuleFacts, index_source, is_test_path
from auditor.predicates import Context, RuleError, evaluate
from auditor.project import Project
from tests.helpers import audit_report, make_repo


def notebook(*cells, nbformat=4, language="python") -> str:
    """A notebook from (source, outputs) pairs or plain source strings."""
    out = []
    for c in cells:
        source, outputs = (c, []) if isinstance(c, str) else c
        out.append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": outputs,
                    "source": source.splitlines(keepends=True)})
    return json.dumps({"nbformat": nbformat, "nbformat_minor": 5, "cells": out,
                       "metadata": {"kernelspec": {"language": language, "name": "k"}}})


def names(facts: ModuleFacts) -> list[str]:
    return [c.name for c in facts.calls]


def check(root, node) -> tuple[bool, list]:
    out = evaluate(node, Context(Project(root)))
    return out.ok, out.evidence


# ---------------------------------------------------------------------------- single files
def test_aliases_and_from_imports_resolve_calls():
    f = index_source("m.py", "import pandas as pd\nimport numpy.random as npr\n"
                             "from sklearn.model_selection import train_test_split as tts\n"
                             "df = pd.read_csv('x.csv')\nnpr.seed(1)\ntts(df, random_state=3)\n")
    assert names(f) == ["pandas.read_csv", "numpy.random.seed", "sklearn.model_selection.train_test_split"]
    assert [i.module for i in f.imports] == ["pandas", "numpy.random", "sklearn.model_selection.train_test_split"]
    split = f.calls[2]
    assert split.kwargs == ["random_state"] and split.values == {"random_state": 3}
    assert f.calls[0].args == ["x.csv"] and f.calls[0].target == "df"


def test_unknown_objects_become_method_calls_with_receiver():
    f = index_source("m.py", "self.optimizer.step()\nmodel.fit(X, y, epochs=3)\nload().predict(x)\n")
    assert [(c.name, c.recv) for c in f.calls] == [(".step", "self.optimizer"), (".fit", "model"),
                                                  (".predict", "load()"), ("load", None)]
    assert f.calls[1].values == {"epochs": 3} and f.calls[1].nargs == 2


def test_relative_imports_resolve_against_the_package():
    src = "from . import features\nfrom .data import load\nfrom ..utils import seed as s\nload()\ns.fix()\n"
    f = index_source("src/pkg/sub/train.py", src, package="pkg.sub")
    assert [i.module for i in f.imports] == ["pkg.sub.features", "pkg.sub.data.load", "pkg.utils.seed"]
    assert [i.level for i in f.imports] == [1, 1, 2]
    assert names(f) == ["pkg.sub.data.load", "pkg.utils.seed.fix"]


def test_literal_none_keyword_is_not_a_value_and_starred_args_are_flagged():
    f = index_source("m.py", "f(a, random_state=None, stratify=y, **kw)\ng(*args)\n")
    call = f.calls[0]
    assert not call.has_kwarg("random_state") and call.has_kwarg("stratify")
    assert "**" in call.kwargs and f.calls[1].starargs


def test_strings_skip_docstrings_and_keep_fstring_text():
    f = index_source("m.py", '"""Module doc s3://doc."""\ndef f():\n    """Doc."""\n'
                             '    return f"s3://{bucket}/raw.csv", "plain"\n')
    assert [s.value for s in f.strings] == ["s3://{}/raw.csv", "plain"]


def test_definitions_bases_decorators_params_attributes_guards_and_slices():
    src = ("import lightning as L\nimport pytest\n"
           "class Lit(L.LightningModule):\n    def training_step(self, batch, idx):\n        return 1\n"
           "@pytest.fixture\ndef data(lr=0.1, *, epochs=3):\n    pass\n"
           "imp = model.feature_importances_\n"
           "assert df.isna().sum().sum() == 0\n"
           "if 'y' not in df.columns:\n    raise ValueError('no label')\n"
           "idx = perm[:100]\n")
    f = index_source("m.py", src)
    lit, step, fixture = f.definitions
    assert lit.bases == ["lightning.LightningModule"] and step.parent == "Lit"
    assert fixture.decorators == ["pytest.fixture"] and fixture.params == ["lr", "epochs"]
    assert "feature_importances_" in f.attributes
    assert [g.kind for g in f.guards] == ["assert", "raise"]
    assert "isna" in f.guards[0].names and "columns" in f.guards[1].names
    assert f.sliced == ["perm"]


def test_facts_round_trip_through_json():
    f = index_source("src/a/b.py", "import torch\nclass M(torch.nn.Module):\n    pass\nx = torch.randn(3)[:2]\n",
                     package="a")
    again = ModuleFacts.from_dict(json.loads(json.dumps(f.to_dict())))
    assert again == f


def test_syntax_error_is_a_problem_with_its_line():
    f = index_source("bad.py", "x = 1\nprint 'py2'\n")
    assert not f.parsed and f.calls == []
    assert len(f.problems) == 1 and f.problems[0].startswith("unparsable Python: ")
    assert f.problems[0].endswith("(line 2)")


@pytest.mark.parametrize("source", [
    "(" * 1000 + ")" * 1000,                    # too many nested parentheses
    "x = " + "+".join(["1"] * 100_000),          # recursion in the parser
    "x = " + "-" * 100_000 + "1",                # parser memory
    "x = 1\x00",                                 # null byte
])
def test_pathological_sources_become_problems_not_exceptions(source):
    f = index_source("deep.py", source)
    assert not f.parsed
    assert f.problems and f.problems[0].startswith("unparsable Python: ")


def test_deep_but_parsable_nesting_is_walked_without_recursion():
    src = "x = " + "[" * 150 + "f(1)" + "]" * 150 + "\ny = " + "+".join(["g(1)"] * 2000) + "\n"
    f = index_source("deep.py", src)
    assert f.parsed and names(f).count("g") == 2000 and "f" in names(f)


def test_huge_file_is_not_parsed():
    f = index_source("gen.py", "x = 1\n" * (MAX_PY_BYTES // 6 + 10))
    assert not f.parsed and "too large" in f.problems[0]


def test_test_paths():
    assert is_test_path("tests/helpers.py") and is_test_path("pkg/test_x.py") and is_test_path("x_test.py")
    assert is_test_path("conftest.py") and not is_test_path("src/pkg/testing_utils.py")
    assert not is_test_path("src/contest.py")


# ---------------------------------------------------------------------------- notebooks
def test_notebook_magics_shell_and_cell_magics_are_stripped():
    text = notebook(
        "%matplotlib inline\nimport pandas as pd\n!pip install shap\nfiles = !ls data\n",
        "%%bash\nls -la\n",
        "%%time\ndf = pd.read_csv('d.csv')\nfor i in range(2):\n    !echo $i\ndf.head?\n",
    )
    f = index_notebook("nb/x.ipynb", text)
    assert f.parsed and f.problems == []
    assert [(i.module, i.cell, i.line) for i in f.imports] == [("pandas", 1, 2)]
    read = next(c for c in f.calls if c.name == "pandas.read_csv")
    assert (read.cell, read.line) == (3, 2)


def test_plain_python_is_not_touched_by_magic_stripping():
    # a continuation line starting with % is modulo, not a magic
    f = index_notebook("n.ipynb", notebook("x = (10\n     % 3)\nprint(x)\n"))
    assert f.problems == [] and "print" in names(f)
    assert strip_magics("%%bash\nls\n") is None
    assert strip_magics("  !ls\nx = 1") == "  pass\nx = 1"


def test_notebook_outputs_are_counted_and_nbformat3_is_read():
    f = index_notebook("n.ipynb", notebook(("1 + 1", [{"output_type": "execute_result"}]), ("x = 2", [])))
    assert (f.notebook.cells, f.notebook.code_cells, f.notebook.cells_with_outputs) == (2, 2, 1)
    v3 = json.dumps({"nbformat": 3, "worksheets": [{"cells": [
        {"cell_type": "code", "input": "import torch\ntorch.manual_seed(0)", "outputs": [{"x": 1}]}]}]})
    f3 = index_notebook("old.ipynb", v3)
    assert f3.notebook.nbformat == 3 and f3.notebook.cells_with_outputs == 1
    assert names(f3) == ["torch.manual_seed"]


@pytest.mark.parametrize("text, problem", [
    ("{not json", "unparsable: invalid JSON"),
    ("[1, 2]", "not a notebook"),
    ('{"cells": 3}', "not a notebook"),
    ('{"metadata": {}}', "not a notebook"),
])
def test_malformed_notebooks_are_problems(text, problem):
    f = index_notebook("bad.ipynb", text)
    assert not f.parsed and f.problems[0].startswith(problem)


def test_bad_cells_are_skipped_and_reported_others_indexed():
    nb = json.loads(notebook("import numpy as np", "def broken(:\n  pass", "np.random.seed(1)"))
    nb["cells"] += ["garbage", {"cell_type": "code", "source": 42}]
    f = index_notebook("n.ipynb", json.dumps(nb))
    assert names(f) == ["numpy.random.seed"]
    # the cell shapes are known from the header, the syntax error only once the cells are parsed
    assert "2 malformed cell(s)" in f.problems[0]
    assert f.problems[1] == "unparsable Python: invalid syntax (cell 2, line 1)"


def test_non_python_notebooks_are_not_parsed():
    f = index_notebook("r.ipynb", notebook("library(ggplot2)\nx <- 1", language="R"))
    assert f.problems == [] and f.calls == [] and f.notebook.language == "r"


# ---------------------------------------------------------------------------- the project view
def test_first_party_layouts_and_ml_classification(tmp_path):
    root = make_repo(tmp_path, {
        "src/churn/__init__.py": "",
        "src/churn/data.py": "import pandas as pd\n",
        "src/churn/train.py": "from .data import pd\nfrom churn import data\nmodel.fit(X, y)\n",
        "scripts/run.py": "import helpers\nimport churn.train\nhelpers.go()\n",
        "scripts/helpers.py": "def go():\n    pass\n",
        "datasets/prepare.py": "from datasets import load_dataset\nload_dataset('imdb')\n",
        "tools/cli.py": "import click\n",
        "tests/test_train.py": "import sklearn\nfrom churn.train import model\n",
        ".venv/lib/site.py": "import torch\n",
        "venv2/pyvenv.cfg": "home = /usr\n",
        "venv2/lib/x.py": "import torch\n",
        ".ipynb_checkpoints/n-checkpoint.ipynb": notebook("import torch"),
        "notebooks/explore.ipynb": notebook("import polars as pl"),
    })
    idx = Project(root).fact("python")
    assert "churn" in idx.first_party_names and "scripts" in idx.first_party_names
    assert idx.is_first_party("churn.data") and idx.is_first_party("helpers", "scripts/run.py")
    assert not idx.is_first_party("helpers", "src/churn/train.py") and not idx.is_first_party("pandas")
    # a namespace dir named like a framework does not shadow it, its submodules are local
    assert not idx.is_first_party("datasets") and idx.is_first_party("datasets.prepare")
    assert idx.first_party_imports("src/churn/train.py") == ["src/churn/data.py"]
    assert idx.resolve_module("churn.train.model") == "src/churn/train.py"
    assert sorted(idx.ml_modules) == ["datasets/prepare.py", "notebooks/explore.ipynb", "src/churn/data.py"]
    assert idx.training_modules == ["src/churn/train.py"]  # imports first-party ML code and fits
    assert idx.is_test_file("tests/test_train.py") and idx.test_modules == ["tests/test_train.py"]
    assert not any(p.startswith((".venv", "venv2", ".ipynb")) for p in idx.modules)
    assert idx.notebooks["notebooks/explore.ipynb"].code_cells == 1


@pytest.mark.parametrize("src, trains", [
    ("import torch\nloss.backward()\nopt.step()\n", True),
    ("from transformers import Trainer\nTrainer(model=m).train()\n", True),
    ("import tensorflow as tf\nmodel.compile('adam')\nmodel.fit(x, y)\n", True),
    ("import lightning as L\nclass M(L.LightningModule):\n    def training_step(self, b, i):\n        pass\n", True),
    ("import xgboost as xgb\nbooster = xgb.train(params, dtrain)\n", True),
    ("import torch\nscheduler.step()\nmodel.eval()\nmodel(x)\n", False),
    ("import torch\nmodel = torch.load('m.pt')\nmodel.train()\n", False),
    ("import requests\nmodel.fit(x)\n", False),  # not ML code
])
def test_training_code_detection(tmp_path, src, trains):
    root = make_repo(tmp_path, {"m.py": src})
    assert (Project(root).fact("python").training_modules == ["m.py"]) is trains


def test_unparsable_files_are_reported_as_problems(tmp_path):
    root = make_repo(tmp_path, {"bad.py": "def f(:\n", "nb.ipynb": "{oops", "big.py": "x = 1\n" * 400_000,
                                "ok.py": "import sklearn\n"})
    project = Project(root)
    idx = project.fact("python")
    problems = {p.path: p.detail for p in project.problems}
    # what the headers tell: a notebook that is no JSON, a file too large to index
    assert problems["nb.ipynb"].startswith("unparsable: invalid JSON")
    assert "too large to index" in problems["big.py"] and "big.py" not in idx.modules
    assert idx.ml_modules == ["ok.py"]
    # a syntax error shows once the code is needed (bodies are parsed on demand)
    assert "bad.py" not in problems and not idx.modules["bad.py"].loaded
    assert not idx.modules["bad.py"].parsed
    problems = {p.path: p.detail for p in project.problems}
    assert problems["bad.py"].startswith("unparsable Python: ")


def test_a_broken_module_a_rule_needs_is_in_the_report(tmp_path):
    """Lazy parsing never hides a file the audit relied on: ML code is searched by the
    rules, so its syntax error is reported."""
    root = make_repo(tmp_path, {"train.py": "import sklearn\nmodel.fit(X, y\n", "ok.py": "x = 1\n"})
    report = audit_report(root)
    assert any(p.path == "train.py" and p.detail.startswith("unparsable Python: ") for p in report.problems)


# ---------------------------------------------------------------------------- predicates
@pytest.fixture()
def repo(tmp_path):
    return make_repo(tmp_path, {
        "src/pkg/__init__.py": "",
        "src/pkg/train.py": ("import mlflow\nimport numpy as np\nfrom sklearn.model_selection import train_test_split\n"
                             "from sklearn.ensemble import RandomForestClassifier as RF\n"
                             "rng = np.random.default_rng(7)\n"
                             "a, b = train_test_split(X, test_size=0.2, random_state=42)\n"
                             "clf = RF(class_weight='balanced')\nclf.fit(a, b)\nimp = clf.feature_importances_\n"
                             "URI = 's3://bucket/raw.csv'\n"
                             "@app.command()\ndef main(lr: float = 0.1):\n    pass\n"),
        "tests/test_train.py": "import pytest\nimport wandb\ndef test_x():\n    assert True\n",
        "nb/explore.ipynb": notebook("import pandas as pd", "df = pd.read_csv('gs://b/x.csv')"),
    })


def test_imports_predicate(repo):
    ok, ev = check(repo, {"imports": "mlflow"})
    assert ok and (ev[0].path, ev[0].line, ev[0].detail) == ("src/pkg/train.py", 1, "imports mlflow")
    assert check(repo, {"imports": ["sklearn.model_selection"]})[0]
    assert not check(repo, {"imports": "sklearn.metrics"})[0]
    # tests are left out by default, and searched alone with tests = true
    assert not check(repo, {"imports": "wandb"})[0]
    assert check(repo, {"imports": {"name": "wandb", "tests": True}})[0]
    assert not check(repo, {"imports": {"name": "mlflow", "tests": True}})[0]
    assert check(repo, {"imports": {"name": ["wandb"], "tests": "any"}})[0]
    ok, ev = check(repo, {"imports": {"name": "pandas", "in": "notebooks"}})
    assert ok and ev[0].detail == "cell 1: imports pandas" and ev[0].path == "nb/explore.ipynb"
    assert not check(repo, {"imports": {"name": "pandas", "in": "modules"}})[0]
    assert not check(repo, {"imports": {"name": "mlflow", "files": "nb/**"}})[0]


def test_calls_predicate(repo):
    ok, ev = check(repo, {"calls": "sklearn.model_selection.train_test_split"})
    assert ok and ev[0].line == 6
    assert check(repo, {"calls": "train_test_split"})[0]               # suffix after a dot
    assert check(repo, {"calls": ".fit"})[0]                           # any method named fit
    assert check(repo, {"calls": "sklearn.*.RandomForestClassifier"})[0]  # glob
    assert not check(repo, {"calls": "split"})[0]                      # not a partial name
    ok, ev = check(repo, {"calls": {"name": "train_test_split", "kwarg": "random_state"}})
    assert ok and "random_state=42" in ev[0].detail
    assert check(repo, {"calls": {"kwarg": "class_weight", "value": "^balanced$"}})[0]
    assert not check(repo, {"calls": {"kwarg": "class_weight", "value": "^none$"}})[0]
    assert check(repo, {"calls": {"name": "pandas.read_csv", "arg": "^gs://"}})[0]
    assert check(repo, {"calls": {"name": "numpy.random.default_rng", "min-args": 1}})[0]
    assert not check(repo, {"calls": {"name": "numpy.random.default_rng", "min-args": 2}})[0]
    with pytest.raises(RuleError):
        check(repo, {"calls": {"nam": "x"}})


def test_strings_attribute_defines_subclass_decorator(repo):
    ok, ev = check(repo, {"strings": r"^s3://"})
    assert ok and ev[0].line == 10
    assert check(repo, {"strings": {"pattern": "^GS://", "ignore-case": True}})[0]
    assert check(repo, {"attribute": "feature_importances_"})[0]
    assert not check(repo, {"attribute": "coef_"})[0]
    assert check(repo, {"defines": "^main$"})[0] and not check(repo, {"defines": {"pattern": "^main$", "kind": "class"}})[0]
    assert check(repo, {"decorator": ".command"})[0]
    assert not check(repo, {"subclass": "LightningModule"})[0]


def test_ml_code_training_code_and_framework(repo, tmp_path):
    ok, ev = check(repo, {"ml-code": True})
    assert ok and {e.path for e in ev} == {"src/pkg/train.py", "nb/explore.ipynb"}
    assert not check(repo, {"ml-code": False})[0]
    ok, ev = check(repo, {"training-code": True})
    assert ok and ev[0].detail == "trains a model: clf.fit()"
    assert check(repo, {"framework": "tabular"})[0] and not check(repo, {"framework": "deep-learning"})[0]
    assert check(repo, {"framework": {"name": "pandas", "in": "notebooks"}})[0]
    assert not check(repo, {"framework": {"name": "pandas", "in": "training-code"}})[0]
    empty = make_repo(tmp_path, {"app.py": "import flask\n"}, name="plain")
    assert check(empty, {"ml-code": False})[0] and check(empty, {"training-code": False})[0]
