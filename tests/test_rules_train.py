"""TRAIN001-TRAIN010 end to end: pass, fail and n/a on small repositories built in tmp_path."""

from __future__ import annotations

import json

import pytest

from tests.helpers import audit, make_repo, status

# training code without any of the practices the TRAIN rules look for
BARE_TRAIN = ("import pandas as pd\nfrom sklearn.ensemble import GradientBoostingRegressor\n"
              "df = pd.read_csv('data.csv')\nmodel = GradientBoostingRegressor()\nmodel.fit(df[['x']], df['y'])\n")
INFERENCE_ONLY = "import torch\nmodel = torch.load('model.pt')\nmodel.eval()\nprint(model(torch.zeros(1, 3)))\n"
TORCH_TRAIN = "import torch\nfor x, y in loader:\n    loss = crit(model(x), y)\n    loss.backward()\n    optimizer.step()\n"


def run(tmp_path, files, rule_id):
    return status(make_repo(tmp_path, files), rule_id)


def details(r) -> str:
    """Everything a result says: its message and evidence (a failure lists what was searched)."""
    return " | ".join([r.message] + [e.detail for e in r.evidence])


def result(tmp_path, files, rule_id):
    return audit(make_repo(tmp_path, files), select=[rule_id])[rule_id]


def with_train(extra: str) -> dict:
    return {"train.py": BARE_TRAIN + extra}


# ---------------------------------------------------------------------------- TRAIN001
@pytest.mark.parametrize("files", [
    with_train("import mlflow\nmlflow.log_metric('r2', 0.9)\n"),
    {"train.py": "from transformers import Trainer, TrainingArguments\n"
                 "args = TrainingArguments('out', report_to='wandb')\nTrainer(model=m, args=args).train()\n"},
    {"train.py": "import lightning as L\nfrom lightning.pytorch.loggers import MLFlowLogger\n"
                 "L.Trainer(logger=MLFlowLogger()).fit(model)\n"},
    {"train.py": "import hydra\nimport lightning as L\ntrainer = hydra.utils.instantiate(cfg.trainer)\ntrainer.fit(m)\n",
     "configs/logger/wandb.yaml": "wandb:\n  _target_: lightning.pytorch.loggers.wandb.WandbLogger\n"},
    {"train.py": TORCH_TRAIN + "from torch.utils.tensorboard import SummaryWriter\n"},
])
def test_train001_passes_with_experiment_tracking(tmp_path, files):
    assert run(tmp_path, files, "TRAIN001") == "pass"


def test_train001_fails_without_tracking_even_if_tests_use_wandb(tmp_path):
    r = result(tmp_path, {**with_train(""), "tests/test_log.py": "import wandb\n"}, "TRAIN001")
    assert r.status == "fail" and "mlflow" in details(r)


def test_train001_is_na_for_inference_only_code(tmp_path):
    assert run(tmp_path, {"serve.py": INFERENCE_ONLY}, "TRAIN001") == "n/a"


# ---------------------------------------------------------------------------- TRAIN002
@pytest.mark.parametrize("files", [
    with_train("import hydra\n"),
    {**with_train("import yaml\nparams = yaml.safe_load(open('params.yaml'))\n"), "params.yaml": "lr: 0.1\n"},
    with_train("import argparse\np = argparse.ArgumentParser()\np.add_argument('--learning-rate', type=float)\n"),
    with_train("import typer\napp = typer.Typer()\n@app.command()\ndef main(epochs: int = 10):\n    pass\n"),
    {**with_train("import json\ncfg = json.load(open('configs/train.json'))\n"), "configs/train.json": "{}"},
])
def test_train002_passes_with_external_config(tmp_path, files):
    assert run(tmp_path, files, "TRAIN002") == "pass"


@pytest.mark.parametrize("files", [
    with_train(""),
    with_train("import argparse\np = argparse.ArgumentParser()\np.add_argument('--input')\np.add_argument('-c')\n"),
    # a tool's config file is not a training config
    {**with_train("import yaml\nx = yaml.safe_load(open(path))\n"), ".pre-commit-config.yaml": "repos: []\n"},
    # json.load of data, not of a config
    {**with_train("import json\nrows = json.load(open('data/rows.json'))\n"), "configs/x.yaml": "a: 1\n"},
])
def test_train002_fails_with_hard_coded_hyperparameters(tmp_path, files):
    assert run(tmp_path, files, "TRAIN002") == "fail"


def test_train002_is_na_without_ml_code(tmp_path):
    assert run(tmp_path, {"app.py": "import argparse\n"}, "TRAIN002") == "n/a"


# ---------------------------------------------------------------------------- TRAIN003
@pytest.mark.parametrize("files", [
    {"train.py": TORCH_TRAIN + "torch.manual_seed(0)\n"},
    with_train("m2 = GradientBoostingRegressor(random_state=0)\n"),
    with_train("import numpy as np\nrng = np.random.default_rng(42)\n"),
    with_train("from utils import set_seed\nset_seed(3)\n"),
    {**with_train(""), "conf/config.yaml": "seed: 1234\n"},
])
def test_train003_passes_with_a_seed(tmp_path, files):
    assert run(tmp_path, files, "TRAIN003") == "pass"


def test_train003_fails_with_unseeded_randomness(tmp_path):
    files = with_train("import numpy as np\nrng = np.random.default_rng()\nm = GradientBoostingRegressor(random_state=None)\n")
    r = result(tmp_path, files, "TRAIN003")
    assert r.status == "fail" and "random.seed" in details(r)


def test_train003_is_na_without_ml_code(tmp_path):
    assert run(tmp_path, {"app.py": "import random\nrandom.seed(1)\n"}, "TRAIN003") == "n/a"


# ---------------------------------------------------------------------------- TRAIN004
@pytest.mark.parametrize("files", [
    with_train("from sklearn.metrics import r2_score\n"),
    {"train.py": "import torch\nimport torchmetrics\nacc = torchmetrics.Accuracy(task='binary')\n"},
    {**with_train(""), "reports/metrics.json": "{\"r2\": 0.8}"},
    {**with_train(""), "src/evaluate.py": "import json\n"},
    {"train.py": "from transformers import Trainer\nTrainer(model=m, compute_metrics=fn).train()\n"},
])
def test_train004_passes_with_declared_metrics(tmp_path, files):
    assert run(tmp_path, files, "TRAIN004") == "pass"


def test_train004_fails_without_metrics(tmp_path):
    files = {**with_train(""), "tests/test_eval.py": "from sklearn.metrics import r2_score\n"}
    assert run(tmp_path, files, "TRAIN004") == "fail"


def test_train004_is_na_without_ml_code(tmp_path):
    assert run(tmp_path, {"evaluate.py": "print(1)\n"}, "TRAIN004") == "n/a"


# ---------------------------------------------------------------------------- TRAIN005
@pytest.mark.parametrize("files", [
    with_train("import optuna\nstudy = optuna.create_study()\n"),
    with_train("from sklearn.model_selection import RandomizedSearchCV\ns = RandomizedSearchCV(model, {})\n"),
    with_train("from ray import tune\n"),
    {**with_train(""), "configs/hparams_search/optuna.yaml": "defaults:\n  - override hydra/sweeper: optuna\n"},
    {**with_train(""), "sweep.yaml": "program: train.py\nmethod: bayes\nparameters:\n  lr: {min: 0.001}\n"},
])
def test_train005_passes_with_automated_search(tmp_path, files):
    assert run(tmp_path, files, "TRAIN005") == "pass"


def test_train005_fails_with_a_hand_written_loop(tmp_path):
    files = with_train("for lr in [0.1, 0.01]:\n    GradientBoostingRegressor(learning_rate=lr).fit(X, y)\n")
    assert run(tmp_path, files, "TRAIN005") == "fail"


def test_train005_is_na_without_training_code(tmp_path):
    assert run(tmp_path, {"serve.py": INFERENCE_ONLY}, "TRAIN005") == "n/a"


# ---------------------------------------------------------------------------- TRAIN006
@pytest.mark.parametrize("files", [
    with_train("from sklearn.model_selection import train_test_split\na, b = train_test_split(df, random_state=1)\n"),
    with_train("from sklearn.model_selection import cross_val_score\ncross_val_score(model, X, y, cv=5)\n"),
    {"train.py": "import tensorflow as tf\nmodel.fit(x, y, validation_split=0.2, "
                 "callbacks=[tf.keras.callbacks.EarlyStopping(patience=3)])\n"},
    {"model.py": "import lightning as L\nclass M(L.LightningModule):\n    def training_step(self, b, i):\n"
                 "        pass\n    def validation_step(self, b, i):\n        pass\n"},
    {"train.py": "import xgboost as xgb\nxgb.train(params, dtrain, evals=[(dval, 'val')], early_stopping_rounds=20)\n"},
])
def test_train006_passes_with_a_validation_strategy(tmp_path, files):
    assert run(tmp_path, files, "TRAIN006") == "pass"


def test_train006_fails_when_only_training_data_is_used(tmp_path):
    assert run(tmp_path, {"train.py": TORCH_TRAIN}, "TRAIN006") == "fail"


def test_train006_is_na_without_training_code(tmp_path):
    assert run(tmp_path, {"serve.py": INFERENCE_ONLY}, "TRAIN006") == "n/a"


# ---------------------------------------------------------------------------- TRAIN007
@pytest.mark.parametrize("files", [
    with_train("import shap\nshap.TreeExplainer(model)\n"),
    with_train("print(model.feature_importances_)\n"),
    with_train("from sklearn.inspection import permutation_importance\n"),
    {"explain.py": "import torch\nfrom captum.attr import IntegratedGradients\n"},
])
def test_train007_passes_with_explanations(tmp_path, files):
    assert run(tmp_path, files, "TRAIN007") == "pass"


def test_train007_fails_without_explanations(tmp_path):
    assert run(tmp_path, with_train(""), "TRAIN007") == "fail"


def test_train007_is_na_without_ml_code(tmp_path):
    assert run(tmp_path, {"app.py": "import shap_like\n"}, "TRAIN007") == "n/a"


# ---------------------------------------------------------------------------- TRAIN008
CLASSIFIER = ("import pandas as pd\nfrom sklearn.ensemble import RandomForestClassifier\n"
              "from sklearn.model_selection import train_test_split\n"
              "clf = RandomForestClassifier(n_estimators=100)\n")


@pytest.mark.parametrize("files", [
    {"train.py": CLASSIFIER + "a, b = train_test_split(df, stratify=df['y'], random_state=0)\n"},
    {"train.py": CLASSIFIER + "clf = RandomForestClassifier(class_weight='balanced')\n"},
    {"train.py": CLASSIFIER + "from imblearn.over_sampling import SMOTE\n"},
    {"train.py": "import xgboost as xgb\nclf = xgb.XGBClassifier(scale_pos_weight=9)\n"},
    {"train.py": CLASSIFIER + "from sklearn.model_selection import StratifiedKFold\ncv = StratifiedKFold(5)\n"},
    {"train.py": "import torch\nfrom sklearn.metrics import f1_score\n"
                 "crit = torch.nn.CrossEntropyLoss(weight=class_weights)\nprint(f1_score(y, pred))\n"},
    {"train.py": "import lightgbm as lgb\nbooster = lgb.train(params, dtrain)\n",
     "params.yaml": "train:\n  objective: binary\n  is_unbalance: true\n",
     "metrics.py": "from sklearn.metrics import roc_auc_score\nauc = roc_auc_score(y, p)\n"},
])
def test_train008_passes_when_imbalance_is_handled(tmp_path, files):
    assert run(tmp_path, files, "TRAIN008") == "pass"


def test_train008_fails_for_a_naive_classifier(tmp_path):
    files = {"train.py": CLASSIFIER + "a, b = train_test_split(df, random_state=0)\n"
                                      "clf = RandomForestClassifier(class_weight=None).fit(X, y)\n"}
    r = result(tmp_path, files, "TRAIN008")
    assert r.status == "fail" and "stratify" in details(r)


@pytest.mark.parametrize("files", [
    with_train(""),                                        # a regressor
    {"lm.py": "from transformers import AutoModelForCausalLM, Trainer\nTrainer(model=m).train()\n"},
    {"tests/test_clf.py": CLASSIFIER + "RandomForestClassifier().fit(X, y)\n", "train.py": BARE_TRAIN},
    # importing a classifier is not training one
    {"train.py": BARE_TRAIN + "from sklearn.linear_model import LogisticRegression\n"},
])
def test_train008_is_na_without_a_classifier(tmp_path, files):
    assert run(tmp_path, files, "TRAIN008") == "n/a"


# ---------------------------------------------------------------------------- TRAIN009
@pytest.mark.parametrize("files", [
    with_train("from sklearn.feature_selection import SelectKBest\n"),
    with_train("import featuretools as ft\n"),
])
def test_train009_passes_with_feature_automation(tmp_path, files):
    assert run(tmp_path, files, "TRAIN009") == "pass"


def test_train009_fails_with_hand_picked_features(tmp_path):
    assert run(tmp_path, with_train(""), "TRAIN009") == "fail"


@pytest.mark.parametrize("files", [
    {"train.py": TORCH_TRAIN},
    # pandas to look at results is not tabular modelling
    {"train.py": TORCH_TRAIN, "analysis.py": "import pandas as pd\nruns = pd.read_csv('runs.csv')\n"},
])
def test_train009_is_na_without_tabular_training_code(tmp_path, files):
    assert run(tmp_path, files, "TRAIN009") == "n/a"


# ---------------------------------------------------------------------------- TRAIN010
@pytest.mark.parametrize("files", [
    {"export.py": "import torch\nq = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear})\n"},
    {"load.py": "from transformers import AutoModelForCausalLM\n"
                "m = AutoModelForCausalLM.from_pretrained(name, load_in_4bit=True)\n"},
    {"prune.py": "import torch\nimport torch.nn.utils.prune as prune\nprune.l1_unstructured(layer, 'weight', 0.3)\n"},
    {"distill.py": "import torch\nclass DistillationLoss(torch.nn.Module):\n    pass\n"},
])
def test_train010_passes_with_model_compression(tmp_path, files):
    assert run(tmp_path, files, "TRAIN010") == "pass"


def test_train010_fails_for_an_uncompressed_network(tmp_path):
    files = {"train.py": TORCH_TRAIN,
             "load.py": "from transformers import AutoModel\nm = AutoModel.from_pretrained('distilbert-base-uncased', load_in_8bit=False)\n"}
    assert run(tmp_path, files, "TRAIN010") == "fail"


def test_train010_is_na_without_deep_learning(tmp_path):
    assert run(tmp_path, with_train(""), "TRAIN010") == "n/a"


# ---------------------------------------------------------------------------- sample repositories
def test_train_rules_on_the_sample_repositories():
    from tests.helpers import SAMPLES

    got = {name: {k: r.status for k, r in audit(SAMPLES / name, select=["TRAIN"]).items() if k.startswith("TRAIN")}
           for name in ("exemplary", "halfway", "notebook_only")}
    assert got["exemplary"] == {**{f"TRAIN{i:03d}": "pass" for i in range(1, 10)}, "TRAIN010": "n/a"}
    assert got["halfway"] == {"TRAIN001": "fail", "TRAIN002": "pass", "TRAIN003": "pass", "TRAIN004": "pass",
                              "TRAIN005": "fail", "TRAIN006": "pass", "TRAIN007": "pass", "TRAIN008": "fail",
                              "TRAIN009": "fail", "TRAIN010": "n/a"}
    assert got["notebook_only"] == {"TRAIN001": "fail", "TRAIN002": "fail", "TRAIN003": "fail",
                                    "TRAIN004": "pass", "TRAIN005": "fail", "TRAIN006": "pass",
                                    "TRAIN007": "pass", "TRAIN008": "fail", "TRAIN009": "fail", "TRAIN010": "n/a"}


# ---------------------------------------------------------------------------- pre-filters (issue #6)
# The named TRAIN checks parse only the modules whose text can hold a hit. Each case is
# written the way a careless text filter would miss (case, spacing, aliases, a notebook
# whose code is one JSON string): the check must still find it, and give the same answer
# with the pre-filters switched off.
def _nb(code: str) -> str:
    """A notebook whose only code cell is one JSON string (lines start after an escaped \\n)."""
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": code, "outputs": [], "metadata": {}, "execution_count": None}]})


def _check(root, name: str):
    from auditor.checks import train
    from auditor.predicates import Context
    from auditor.project import Project

    project = Project(root, use_git=False)
    return getattr(train, name)(Context(project)), project.fact("python")


@pytest.mark.parametrize("name, files, ok", [
    ("classifier_trained", {"train.py": "import xgboost as xgb\nparams = {'objective': 'Binary:Logistic'}\n"
                                        "booster = xgb.train(params, dtrain)\n"}, True),
    ("classifier_trained", {"train.py": "import lightgbm as lgb\nmodel = lgb.LGBMModel(objective = 'binary')\n"}, True),
    ("classifier_trained", {"train.py": "import pandas as pd\nfrom sklearn import ensemble\n"
                                        "clf = (ensemble.RandomForestClassifier)(n_estimators=10)\n"}, True),
    ("classifier_trained", {"nb.ipynb": _nb("import pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n"
                                            "LogisticRegression().fit(X, y)\n")}, True),
    ("classifier_trained", {"train.py": TORCH_TRAIN}, False),
    # a hyperparameter file named in mixed case, read with json.load, no config file in the repository
    ("config_file_read", with_train("import json\nwith open('/opt/ml/input/config/HyperParameters.json') as f:\n"
                                    "    hp = json.load(f)\n"), True),
    ("config_file_read", {**with_train("import yaml\ncfg = yaml.safe_load(open('conf/train.yaml'))\n"),
                          "conf/train.yaml": "lr: 0.1\n"}, True),
    ("config_file_read", with_train("import json\nrows = json.load(open('rows.json'))\n"), False),
    # os.environ.get through an alias: the call is written `env.get(`
    ("cli_hyperparameters", with_train("from os import environ as env\nLR = float(env.get('LEARNING_RATE', '0.1'))\n"),
     True),
    ("cli_hyperparameters", with_train("import argparse\nparser = argparse.ArgumentParser()\n"
                                       "(parser.add_argument)('--lr', type=float)\n"), True),
    ("cli_hyperparameters", with_train("import os\nfrom typing import Optional\n"
                                       "HOME: Optional[str] = os.environ.get('HOME')\n"), False),
])
def test_train_prefilters_keep_every_hit(tmp_path, monkeypatch, name, files, ok):
    from auditor.facts.python import PythonIndex

    fast, _idx = _check(make_repo(tmp_path / "a", files), name)
    assert fast.ok is ok
    monkeypatch.setattr(PythonIndex, "prefilter", False)
    slow, _idx = _check(make_repo(tmp_path / "b", files), name)
    assert (fast.ok, fast.evidence) == (slow.ok, slow.evidence)


def test_tabular_training_parses_only_tabular_candidates_and_stops_early(tmp_path):
    files = {f"jobs/train_{i:02}.py": BARE_TRAIN for i in range(12)}
    files["dl/train_net.py"] = TORCH_TRAIN                                  # training, but not tabular
    files["notes.py"] = "import pandas as pd\nprint(pd.__version__)\n"      # tabular, but not training
    out, idx = _check(make_repo(tmp_path, files), "tabular_training")
    assert out.ok and [e.path for e in out.evidence] == [f"jobs/train_{i:02}.py" for i in range(5)]
    assert "sklearn.ensemble" in out.evidence[0].detail
    loaded = {p for p, m in idx.modules.items() if m.loaded}
    assert not loaded & {"dl/train_net.py", "notes.py"} and len(loaded) < 12
