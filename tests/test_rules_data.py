"""DATA001-DATA006 end to end: pass, fail and n/a on small repositories built in tmp_path."""

from __future__ import annotations

import json

import pytest

from tests.helpers import audit, make_repo, status

SKLEARN = "import pandas as pd\nfrom sklearn.linear_model import LinearRegression\n"


def notebook(*sources: str) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": s}
        for s in sources]})


def details(r) -> str:
    """Everything a result says: its message and evidence (a failure lists what was searched)."""
    return " | ".join([r.message] + [e.detail for e in r.evidence])


def result(tmp_path, files, rule_id):
    root = make_repo(tmp_path, files)
    return audit(root, select=[rule_id])[rule_id]


def run(tmp_path, files, rule_id):
    return status(make_repo(tmp_path, files), rule_id)


# ---------------------------------------------------------------------------- DATA001
@pytest.mark.parametrize("files", [
    {"data/raw.csv.dvc": "outs:\n- md5: abc\n  path: raw.csv\n"},
    {".gitattributes": "data/** filter=lfs diff=lfs merge=lfs -text\n"},
    {".gitattributes": "*.parquet filter=lfs diff=lfs merge=lfs -text\n"},
    {"load.py": "import lakefs\nrepo = lakefs.repository('churn')\n"},
    {"etl.py": "df.write.format('delta').save(path)\n"},
])
def test_data001_passes_with_data_versioning(tmp_path, files):
    assert run(tmp_path, files, "DATA001") == "pass"


def test_data001_fails_with_model_only_lfs_and_says_what_it_searched(tmp_path):
    r = result(tmp_path, {".gitattributes": "*.pt filter=lfs diff=lfs merge=lfs -text\n",
                          "train.py": SKLEARN}, "DATA001")
    assert r.status == "fail"
    assert r.evidence and "DVC" in details(r)


# ---------------------------------------------------------------------------- DATA002
@pytest.mark.parametrize("files", [
    {".dvc/config": "[core]\n    remote = storage\n['remote \"storage\"']\n    url = s3://bucket/dvc\n"},
    {"load.py": "import pandas as pd\ndf = pd.read_parquet(f's3://{BUCKET}/customers.parquet')\n"},
    {"load.py": "from datasets import load_dataset\nds = load_dataset('imdb')\n"},
    {"load.py": "from datasets import load_dataset\nds = load_dataset(cfg.dataset_name)\n"},
    {"load.py": "import pandas as pd\nfrom sqlalchemy import create_engine\n"
                "df = pd.read_sql('select * from t', create_engine(URL))\n"},
    {"load.py": "import torchvision\nds = torchvision.datasets.CIFAR10('data', download=True)\n"},
    {"load.py": "import boto3\ns3 = boto3.client('s3')\n"},
    {"params.yaml": "data:\n  source: gs://acme-data/churn/2024.parquet\n", "train.py": SKLEARN},
    {"feature_repo/feature_store.yaml": "project: churn\nprovider: local\n"},
])
def test_data002_passes_with_shared_storage(tmp_path, files):
    assert run(tmp_path, files, "DATA002") == "pass"


@pytest.mark.parametrize("files", [
    {"train.py": SKLEARN + "from sklearn.datasets import load_iris, make_classification\nX, y = load_iris(return_X_y=True)\n"},
    {"train.py": "from datasets import load_dataset\nds = load_dataset('csv', data_files='data/train.csv')\n"},
    {"train.py": SKLEARN + "mlflow.set_tracking_uri('x')\nARTIFACTS = 's3://acme/mlflow/artifacts'\n"
                            "df = pd.read_csv('data/local.csv')\n"},
    {"tests/test_io.py": "import pandas as pd\ndf = pd.read_parquet('s3://bucket/fixture.parquet')\n",
     "train.py": SKLEARN},
])
def test_data002_fails_on_local_toy_or_model_store_data(tmp_path, files):
    assert run(tmp_path, files, "DATA002") == "fail"


# ---------------------------------------------------------------------------- DATA003
@pytest.mark.parametrize("files", [
    {"src/data.py": "import pandas as pd\nimport pandera as pa\nschema = pa.DataFrameSchema({})\n"},
    {"src/data.py": "import pandas as pd\nimport great_expectations as gx\n"},
    {"src/data.py": ("import pandas as pd\nREQUIRED = {'age', 'churn'}\n"
                     "def load(path):\n    df = pd.read_csv(path)\n    missing = REQUIRED - set(df.columns)\n"
                     "    if missing:\n        raise ValueError(f'missing columns {missing}')\n"
                     "    assert df['age'].between(0, 120).all()\n    return df\n")},
    {"src/ingest.py": "import pandas as pd\ndef load(p):\n    df = pd.read_parquet(p)\n"
                      "    assert not df.isna().any().any(), 'nulls in export'\n    return df\n"},
    {"src/records.py": "import pandas as pd\nfrom pydantic import BaseModel\nclass Row(BaseModel):\n    age: int\n"},
])
def test_data003_passes_with_a_declared_check(tmp_path, files):
    assert run(tmp_path, files, "DATA003") == "pass"


@pytest.mark.parametrize("files", [
    {"src/data.py": "import pandas as pd\ndef load(p):\n    return pd.read_csv(p).dropna()\n",
     "tests/test_data.py": "import pandas as pd\ndef test_x():\n    assert df.isna().sum().sum() == 0\n"},
    # an assert unrelated to data, in a module that does not load data
    {"src/model.py": "import torch\ndef f(x):\n    assert isinstance(x, int)\n    return x\n"},
    # pydantic for an API, outside ML code
    {"api.py": "from pydantic import BaseModel\n", "train.py": SKLEARN},
])
def test_data003_fails_without_validation(tmp_path, files):
    assert run(tmp_path, files, "DATA003") == "fail"


def test_data003_is_na_without_ml_code(tmp_path):
    assert run(tmp_path, {"app.py": "import flask\n"}, "DATA003") == "n/a"


# ---------------------------------------------------------------------------- DATA004
def test_data004_passes_with_a_data_module(tmp_path):
    r = result(tmp_path, {"src/pkg/data.py": "import pandas as pd\ndef load(p):\n    return pd.read_csv(p)\n",
                          "nb/eda.ipynb": notebook("import pandas as pd\ndf = pd.read_csv('x.csv')")}, "DATA004")
    assert r.status == "pass" and r.evidence[0].path == "src/pkg/data.py"


def test_data004_passes_with_dataset_classes(tmp_path):
    files = {"pkg/ds.py": "import torch\nclass Images(torch.utils.data.Dataset):\n    pass\n"}
    assert run(tmp_path, files, "DATA004") == "pass"


def test_data004_fails_when_data_prep_is_only_in_notebooks(tmp_path):
    r = result(tmp_path, {"nb/eda.ipynb": notebook("import pandas as pd", "df = pd.read_csv('x.csv').dropna()"),
                          "utils.py": "def fmt(x):\n    return str(x)\n"}, "DATA004")
    assert r.status == "fail"
    assert r.evidence[0].path == "nb/eda.ipynb" and r.evidence[0].detail.startswith("cell 2: ")


def test_data004_is_na_without_ml_code(tmp_path):
    assert run(tmp_path, {"app.py": "print('hi')\n"}, "DATA004") == "n/a"


# ---------------------------------------------------------------------------- DATA005
@pytest.mark.parametrize("files", [
    {"split.py": "from sklearn.model_selection import train_test_split\n"
                 "a, b = train_test_split(X, test_size=0.2, random_state=SEED)\n"},
    {"split.py": "import numpy as np\nfrom sklearn.model_selection import train_test_split\n"
                 "np.random.seed(0)\na, b = train_test_split(X)\n"},
    {"split.py": "from torch.utils.data import random_split\nimport torch\n"
                 "tr, va = random_split(ds, [0.9, 0.1], generator=torch.Generator().manual_seed(1))\n"},
    {"split.py": "from sklearn.model_selection import KFold\ncv = KFold(5, shuffle=True, random_state=0)\n"},
    {"nb.ipynb": notebook("import numpy as np\nnp.random.seed(42)",
                          "idx = np.random.permutation(len(df))\ntrain = df.iloc[idx[:800]]")},
    # seeded in the entry point that imports the module with the split
    {"pkg/__init__.py": "", "pkg/data.py": "from sklearn.model_selection import train_test_split\n"
                                            "def split(df):\n    return train_test_split(df)\n",
     "pkg/train.py": "import lightning as L\nfrom pkg.data import split\nL.seed_everything(7)\n"},
    # a Hydra entry point seeds; the datamodule it instantiates by name is not imported by it
    {"src/dm.py": "import torch\nfrom torch.utils.data import random_split\n"
                  "class DM:\n    def setup(self):\n        self.tr, self.va = random_split(self.ds, [0.9, 0.1])\n",
     "src/train.py": "import hydra\nimport lightning as L\n@hydra.main(config_path='conf')\n"
                     "def main(cfg):\n    L.seed_everything(cfg.seed)\n    hydra.utils.instantiate(cfg.data)\n"},
    {"split.py": "import pandas as pd\nsample = df.sample(frac=0.1, random_state=3)\n"},
    {"split.py": "from sklearn.model_selection import train_test_split\na, b = train_test_split(X, **split_args)\n"},
])
def test_data005_passes_when_every_split_is_seeded(tmp_path, files):
    assert run(tmp_path, files, "DATA005") == "pass"


@pytest.mark.parametrize("files, unseeded", [
    ({"split.py": "from sklearn.model_selection import train_test_split\n"
                  "a, b = train_test_split(X, test_size=0.2, random_state=0)\n"
                  "c, d = train_test_split(a, test_size=0.1)\n"}, 3),
    ({"split.py": "from sklearn.model_selection import StratifiedKFold\ncv = StratifiedKFold(5, shuffle=True)\n"}, 2),
    ({"split.py": "import pandas as pd\ntrain = df.sample(frac=0.8)\n"}, 2),
    # a script of its own is not covered by another script's seed
    ({"split.py": "import torch\nfrom torch.utils.data import random_split\ntr, va = random_split(ds, [8, 2])\n"
                  "if __name__ == '__main__':\n    main()\n",
      "train.py": "import torch\ntorch.manual_seed(0)\nif __name__ == '__main__':\n    main()\n"}, 3),
    ({"split.py": "from sklearn.model_selection import train_test_split\na, b = train_test_split(X, random_state=None)\n"}, 2),
    ({"nb.ipynb": notebook("from sklearn.model_selection import train_test_split",
                           "X_train, X_test = train_test_split(X, test_size=0.25)")}, 1),  # line in cell 2
])
def test_data005_fails_on_an_unseeded_split_and_points_at_it(tmp_path, files, unseeded):
    r = result(tmp_path, files, "DATA005")
    assert r.status == "fail"
    assert [e.line for e in r.evidence] == [unseeded]
    assert "without random_state" in r.evidence[0].detail
    assert r.evidence[0].detail.startswith("cell 2: ") == r.evidence[0].path.endswith(".ipynb")


def test_data005_reads_argument_seeded_splits_without_parsing_helpers_named_like_a_sample(tmp_path, monkeypatch):
    """`def split_sample(` calls no `.sample`: the module's seeded split is read from the
    call expression alone; a spaced `df . sample (` still has the module parsed."""
    import auditor.facts.python as python_facts

    parsed = []
    real = python_facts.index_body

    def index_body(text, package=None):
        parsed.append(text)
        return real(text, package)

    monkeypatch.setattr(python_facts, "index_body", index_body)
    helper = ("from sklearn.model_selection import train_test_split\n"
              "def split_sample(frame, seed=3):\n    return train_test_split(frame, random_state=seed)\n"
              "def evaluate_sample(model, frame):\n    return model.score(frame)\n")
    assert run(tmp_path / "a", {"pkg/split.py": helper}, "DATA005") == "pass"
    assert not any("split_sample" in t for t in parsed)
    r = result(tmp_path / "b", {"pkg/split.py": helper, "pkg/sub.py": "import pandas as pd\nx = df . sample (frac=0.3)\n"},
               "DATA005")
    assert r.status == "fail" and [(e.path, e.line) for e in r.evidence] == [("pkg/sub.py", 2)]


@pytest.mark.parametrize("files", [
    {"train.py": "import torch\nloader = torch.utils.data.DataLoader(ds, batch_size=32, shuffle=True)\n"},
    {"cv.py": "from sklearn.model_selection import KFold\ncv = KFold(n_splits=5)\n"},
    {"nb.ipynb": notebook("import pandas as pd\ndf = pd.read_csv('x.csv')", "df.sample(n=5)")},
    {"split.py": "from sklearn.model_selection import train_test_split\na, b = train_test_split(X, shuffle=False)\n"},
    {"tests/test_split.py": "from sklearn.model_selection import train_test_split\na, b = train_test_split(X)\n"},
    # per-epoch shuffling cut into batches is not a split
    {"loop.py": "import numpy as np\nfor epoch in range(10):\n    perm = np.random.permutation(n)\n"
                "    for i in range(0, n, bs):\n        batch = perm[i:i + bs]\n"},
])
def test_data005_is_na_without_random_splits(tmp_path, files):
    assert run(tmp_path, files, "DATA005") == "n/a"


# ---------------------------------------------------------------------------- DATA006
@pytest.mark.parametrize("files", [
    {"data/README.md": "# Data\nSource: CRM export.\n", "train.py": SKLEARN},
    {"project/datasets/raw/readme.txt": "columns...\n", "train.py": SKLEARN},
    {"docs/datasheet.md": "# Datasheet\n", "train.py": SKLEARN},
    {"README.md": "# Churn\n\n## Dataset\nCustomer snapshot from the CRM.\n", "train.py": SKLEARN},
])
def test_data006_passes_with_data_documentation(tmp_path, files):
    assert run(tmp_path, files, "DATA006") == "pass"


def test_data006_fails_without_data_docs_even_with_a_data_comment_in_readme(tmp_path):
    files = {"README.md": "# Project\n\n```python\n# data\ntrain, val = mnist()\n```\n", "train.py": SKLEARN}
    r = result(tmp_path, files, "DATA006")
    assert r.status == "fail" and "README" in details(r)


def test_data006_is_na_without_ml_code(tmp_path):
    assert run(tmp_path, {"data/README.md": "x\n", "app.py": "import os\n"}, "DATA006") == "n/a"


# ---------------------------------------------------------------------------- sample repositories
def test_data_rules_on_the_sample_repositories():
    from tests.helpers import SAMPLES

    got = {name: {k: r.status for k, r in audit(SAMPLES / name, select=["DATA"]).items() if k.startswith("DATA")}
           for name in ("exemplary", "halfway", "notebook_only")}
    assert set(got["exemplary"].values()) == {"pass"}
    assert got["halfway"] == {"DATA001": "fail", "DATA002": "fail", "DATA003": "fail", "DATA004": "pass",
                              "DATA005": "pass", "DATA006": "fail"}
    assert got["notebook_only"] == {"DATA001": "fail", "DATA002": "fail", "DATA003": "fail",
                                    "DATA004": "fail", "DATA005": "fail", "DATA006": "fail"}
    split = audit(SAMPLES / "notebook_only", select=["DATA005"])["DATA005"].evidence[0]
    assert split.path == "notebooks/02-random-forest.ipynb" and split.detail.startswith("cell 3: train_test_split")
