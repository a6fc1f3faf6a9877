"""DEPLOY rules end to end: each rule passes, fails and (where it has a condition) is n/a."""

from __future__ import annotations

import pytest

from tests.helpers import audit, make_repo, status

ML = "import pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n\n\ndef train(df):\n" \
     "    return LogisticRegression().fit(df[['x']], df['y'])\n"
INFER_ONLY = "import joblib\nimport pandas as pd\n\nmodel = joblib.load('m.joblib')\n\n\ndef score(df):\n" \
             "    return model.predict(df)\n"
UTIL = "def slugify(text):\n    return text.lower()\n"


def rule(tmp_path, files, rule_id):
    return status(make_repo(tmp_path, files), rule_id)


def result(tmp_path, files, rule_id):
    return audit(make_repo(tmp_path, files), select=[rule_id])[rule_id]


def workflow(*commands: str, uses: str = "") -> str:
    steps = "".join(f"      - run: {c}\n" for c in commands)
    if uses:
        steps += f"      - uses: {uses}\n        with:\n          push: true\n"
    return ("name: cd\non:\n  push:\n    tags: ['v*']\njobs:\n  release:\n    runs-on: ubuntu-latest\n"
            f"    steps:\n      - uses: actions/checkout@v4\n{steps}")


# ------------------------------------------------------------------ DEPLOY001 model-serving
FASTAPI_APP = """import joblib
from fastapi import FastAPI

app = FastAPI()
model = joblib.load("models/model.joblib")


@app.post("/predict")
def predict(payload: dict):
    return {"score": float(model.predict_proba([list(payload.values())])[0, 1])}
"""


@pytest.mark.parametrize("extra", [
    {"pkg/serve.py": FASTAPI_APP},
    {"app/routes.py": "from flask import Flask, request\nfrom app.predictor import Predictor\n\n"
                      "app = Flask(__name__)\npredictor = Predictor()\n\n@app.post('/predict')\ndef pred():\n"
                      "    return predictor.predict(request.json)\n",
     "app/__init__.py": "",
     "app/predictor.py": "import mlflow\n\nclass Predictor:\n    def __init__(self):\n"
                         "        self.model = mlflow.pyfunc.load_model('models:/churn/Production')\n"
                         "    def predict(self, x):\n        return self.model.predict(x)\n"},
    {"svc/service.py": "import bentoml\n\n@bentoml.service\nclass Churn:\n    pass\n"},
    {"code/inference.py": "import torch\n\ndef model_fn(model_dir):\n    return torch.load(model_dir)\n\n"
                          "def predict_fn(data, model):\n    return model(data)\n"},
    {"k8s/isvc.yaml": "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: m\n"},
    {"Dockerfile": "FROM tensorflow/serving:2.15.0\nCOPY models /models\n"},
    {"demo/app.py": "import gradio as gr\nimport torch\n\nmodel = torch.jit.load('model.pt')\n\n\n"
                    "def classify(x):\n    with torch.no_grad():\n        return model(torch.tensor(x)).tolist()\n\n\n"
                    "gr.Interface(fn=classify, inputs='text', outputs='label').launch()\n"},
])
def test_deploy001_passes_with_serving_interface(tmp_path, extra):
    assert rule(tmp_path, {"pkg/model.py": ML, **extra}, "DEPLOY001") == "pass"


@pytest.mark.parametrize("extra", [
    {},
    {"web/app.py": "from flask import Flask\n\napp = Flask(__name__)\n\n@app.get('/')\ndef index():\n"
                   "    return 'dashboard'\n"},
    {"scripts/predict_batch.py": INFER_ONLY},
])
def test_deploy001_fails_without_model_service(tmp_path, extra):
    assert rule(tmp_path, {"pkg/model.py": ML, **extra}, "DEPLOY001") == "fail"


def test_deploy001_not_applicable_without_ml_code(tmp_path):
    assert rule(tmp_path, {"pkg/util.py": UTIL, "app.py": "from flask import Flask\napp = Flask(__name__)\n"},
                "DEPLOY001") == "n/a"


# ------------------------------------------------------------------ DEPLOY002 automated-deployment
@pytest.mark.parametrize("extra", [
    {".github/workflows/cd.yml": workflow("docker build -t ghcr.io/acme/model:1 .", "docker push ghcr.io/acme/model:1")},
    {".github/workflows/cd.yml": workflow("helm upgrade --install api charts/api")},
    {".github/workflows/cd.yml": workflow("make deploy"), "Makefile": "deploy:\n\tkubectl apply -f k8s/\n"},
    {".github/workflows/cd.yml": workflow(uses="docker/build-push-action@v5")},
    {".github/workflows/cd.yml": workflow("python scripts/publish.py"),
     "scripts/publish.py": "from transformers import AutoModel\n\nAutoModel.from_pretrained('x').push_to_hub('acme/x')\n"},
    {"gitops/app.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: churn\n"},
])
def test_deploy002_passes_with_automated_deployment(tmp_path, extra):
    assert rule(tmp_path, {"pkg/model.py": ML, **extra}, "DEPLOY002") == "pass"


@pytest.mark.parametrize("extra", [
    {},
    {".github/workflows/release.yml": workflow("python -m build", "twine upload dist/*")},
    {".github/workflows/release.yml": workflow(uses="pypa/gh-action-pypi-publish@release/v1")},
    {".github/workflows/docs.yml": workflow("mkdocs gh-deploy --force")},
    {"Makefile": "deploy:\n\tkubectl apply -f k8s/\n"},  # manual: not run by CI
])
def test_deploy002_fails_for_manual_or_library_publishing(tmp_path, extra):
    assert rule(tmp_path, {"pkg/model.py": ML, **extra}, "DEPLOY002") == "fail"


# ------------------------------------------------------------------ DEPLOY003 model-registry
@pytest.mark.parametrize("extra", [
    {"pkg/register.py": "import mlflow\n\nmlflow.register_model('runs:/1/model', 'churn')\n"},
    {"pkg/log.py": "import mlflow\n\nmlflow.sklearn.log_model(m, 'model', registered_model_name='churn')\n"},
    {"pkg/hub.py": "from transformers import AutoModel\n\nAutoModel.from_pretrained('x').push_to_hub('acme/x')\n"},
    {"pkg/wb.py": "import wandb\n\nart = wandb.Artifact('churn', type='model')\n"},
    {"pkg/az.py": "from azure.ai.ml import MLClient\n\nml_client.models.create_or_update(model)\n"},
    {"dvc.yaml": "artifacts:\n  churn:\n    path: models/m.pkl\n    type: model\n"},
])
def test_deploy003_passes_with_registry(tmp_path, extra):
    assert rule(tmp_path, {"pkg/model.py": ML, **extra}, "DEPLOY003") == "pass"


@pytest.mark.parametrize("extra", [
    {},
    {"pkg/save.py": "import joblib\nimport mlflow\n\njoblib.dump(m, 'model.joblib')\n"
                    "mlflow.sklearn.log_model(m, 'model')\n"},
    {"pkg/wb.py": "import wandb\n\nart = wandb.Artifact('train-data', type='dataset')\n"},
])
def test_deploy003_fails_without_registry(tmp_path, extra):
    assert rule(tmp_path, {"pkg/model.py": ML, **extra}, "DEPLOY003") == "fail"


def test_deploy003_not_applicable_without_ml_code(tmp_path):
    assert rule(tmp_path, {"pkg/util.py": UTIL}, "DEPLOY003") == "n/a"


# ------------------------------------------------------------------ DEPLOY004 model-validation-gate
GATED = """import json
import mlflow

MIN_ROC_AUC = 0.8


def promote(run_id):
    metrics = json.load(open("reports/metrics.json"))
    if metrics["roc_auc"] < MIN_ROC_AUC:
        raise SystemExit("candidate rejected")
    mlflow.register_model(f"runs:/{run_id}/model", "churn")
"""
BEST_CHECKPOINT = """import torch
import mlflow


def fit(model, loader, opt, epochs):
    best_loss = float("inf")
    for epoch in range(epochs):
        loss = model(loader).mean()
        loss.backward()
        opt.step()
        if loss.item() < best_loss:
            best_loss = loss.item()
            torch.save(model.state_dict(), "best.pt")
    mlflow.pytorch.log_model(model, "model", registered_model_name="net")
"""


@pytest.mark.parametrize("extra", [
    {"pkg/promote.py": GATED},
    {"pkg/eval.py": "import mlflow\nfrom mlflow.models import MetricThreshold\n\n"
                    "mlflow.evaluate(model_uri, data, targets='y', model_type='classifier',\n"
                    "                validation_thresholds={'roc_auc': MetricThreshold(threshold=0.8)})\n"},
    {".github/workflows/release.yml": workflow("python -m pkg.check_metrics --min-auc 0.8",
                                               "python -m pkg.register")},
])
def test_deploy004_passes_with_gate(tmp_path, extra):
    assert rule(tmp_path, {"pkg/model.py": ML, **extra}, "DEPLOY004") == "pass"


@pytest.mark.parametrize("extra", [
    {"pkg/promote.py": "import mlflow\n\ndef promote(run_id):\n"
                       "    mlflow.register_model(f'runs:/{run_id}/model', 'churn')\n"},
    {"pkg/fit.py": BEST_CHECKPOINT},
    {"pkg/eval.py": "def check(metrics):\n    if metrics['auc'] < 0.8:\n        raise ValueError('too low')\n"},
    {"pkg/promote.py": "import mlflow\n\ndef promote(run_id, auc):\n"
                       "    mlflow.register_model(f'runs:/{run_id}/model', 'churn')\n"
                       "    if auc < 0.8:\n        print('registered a weak model')\n"},
])
def test_deploy004_fails_without_gate(tmp_path, extra):
    assert rule(tmp_path, {"pkg/model.py": ML, **extra}, "DEPLOY004") == "fail"


def test_deploy004_not_applicable_without_training_code(tmp_path):
    assert rule(tmp_path, {"pkg/score.py": INFER_ONLY}, "DEPLOY004") == "n/a"


# ------------------------------------------------------------------ DEPLOY005 progressive-delivery
ROLLOUT = """apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: api
spec:
  strategy:
    canary:
      steps:
        - setWeight: 10
"""
ISTIO_SPLIT = """apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: model
spec:
  http:
    - route:
        - destination: {host: model-v1}
          weight: 90
        - destination: {host: model-v2}
          weight: 10
"""
CHALLENGER = """import random

CHALLENGER_SHARE = 0.1


def choose(champion, challenger):
    return challenger if random.random() < CHALLENGER_SHARE else champion
"""


@pytest.mark.parametrize("extra", [
    {"k8s/rollout.yaml": ROLLOUT},
    {"k8s/vs.yaml": ISTIO_SPLIT},
    {"k8s/isvc.yaml": "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: m\n"
                      "spec:\n  predictor:\n    canaryTrafficPercent: 20\n"},
    {"pkg/deploy.py": "from google.cloud import aiplatform\n\nendpoint.deploy(model, traffic_percentage=10)\n"},
    {"pkg/router.py": CHALLENGER},
])
def test_deploy005_passes_with_progressive_delivery(tmp_path, extra):
    assert rule(tmp_path, {"pkg/model.py": ML, **extra}, "DEPLOY005") == "pass"


@pytest.mark.parametrize("extra", [
    {},
    {"pkg/serve.py": "import os\n\nMODEL = 'challenger' if os.environ.get('USE_NEW_MODEL') else 'champion'\n"},
    {"k8s/vs.yaml": ISTIO_SPLIT.replace("          weight: 90\n", "").replace(
        "        - destination: {host: model-v2}\n          weight: 10\n", "")},
    {"pkg/deploy.py": "from google.cloud import aiplatform\n\nendpoint.deploy(model, traffic_percentage=100)\n"},
    {"k8s/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  strategy:\n"
                        "    type: RollingUpdate\n"},
])
def test_deploy005_fails_for_flag_switches_and_plain_rollouts(tmp_path, extra):
    assert rule(tmp_path, {"pkg/model.py": ML, **extra}, "DEPLOY005") == "fail"


# ------------------------------------------------------------------ text pre-filters (issue #6)
# The named checks parse only modules whose text can hold what they look for. These cases are
# the ones where the written text and the resolved names differ; each must still be found,
# and a module that cannot match must stay unparsed.
def _checks(tmp_path, files):
    from auditor.project import Project
    from auditor.predicates import Context

    ctx = Context(Project(make_repo(tmp_path, files), use_git=False))
    return ctx, ctx.project.fact("python")


def test_serving_found_through_package_case_and_nfkc_spellings(tmp_path):
    from auditor.checks import deploy

    ctx, idx = _checks(tmp_path, {
        # `from . import service` in package `bentoml` resolves to bentoml.service: the
        # file never writes "bentoml"
        "bentoml/__init__.py": "",
        "bentoml/svc.py": "from . import service\n\n@service\nclass Churn:\n    pass\n",
        # a model variable is matched case-insensitively: `NET(...)` predicts
        "web/app.py": "import joblib\nimport streamlit as st\n\nNET = joblib.load('m.joblib')\nst.write(NET([1]))\n",
        # Python reads `ｍodel` (fullwidth m) as `model`
        "web/nfkc.py": "import joblib\nfrom flask import Flask\n\napp = Flask(__name__)\n"
                       "\uff4dodel = joblib.load('m.joblib')\n\n@app.get('/')\ndef p():\n"
                       "    return str(\uff4dodel([[1]]))\n",
        "pkg/util.py": UTIL,
    })
    got = {e.path: e.detail for e in deploy.serving_modules(ctx)}
    assert got == {"bentoml/svc.py": "model service (@bentoml.service on Churn)",
                   "web/app.py": "streamlit app: loads a model (joblib.load) and predicts (NET)",
                   "web/nfkc.py": "flask app: loads a model (joblib.load) and predicts (model)"}
    assert not idx.modules["pkg/util.py"].loaded  # nothing in it can serve a model: never parsed


def test_registry_client_found_when_method_is_spelled_with_nfkc(tmp_path):
    from auditor.checks import deploy

    ctx, idx = _checks(tmp_path, {
        "pkg/reg.py": "import wandb\n\nrun = wandb.init()\nrun.\uff4cink_model(path='m.pt', name='churn')\n",
        "pkg/log.py": "import wandb\n\nwandb.log({'loss': 1.0})\n",
    })
    out = deploy.registry_client_calls(ctx)
    assert [e.detail for e in out.evidence] == ["registers a model: run.link_model() (wandb)"]
    assert not idx.modules["pkg/log.py"].loaded  # imports wandb but names no registering method


def test_registry_client_shows_the_first_five_in_index_order(tmp_path):
    from auditor.checks import deploy

    reg = "import wandb\n\nrun = wandb.init()\nrun.log_model(path='m.pt')\n"
    ctx, _ = _checks(tmp_path, {f"pkg/reg{i}.py": reg for i in range(7)})
    out = deploy.registry_client_calls(ctx)
    assert [e.path for e in out.evidence] == [f"pkg/reg{i}.py" for i in range(5)]


def test_deploy004_stopping_gate_names_the_registering_module(tmp_path):
    """(d): the evaluation step stops the run; registration happens in another module."""
    from auditor.checks import deploy

    ctx, idx = _checks(tmp_path, {
        "pipeline/evaluate.py": "import sys\n\ndef check(metrics, production_auc):\n"
                                "    if metrics['auc'] < production_auc:\n        sys.exit(1)\n",
        "pipeline/register.py": "import mlflow\n\nmlflow.register_model('runs:/1/model', 'churn')\n",
        # mentions mlflow.evaluate, but without validation_thresholds it is no gate
        "pipeline/report.py": "import mlflow\n\nmlflow.evaluate(uri, data, targets='y')\n",
    })
    out = deploy.validation_gate(ctx)
    assert out.ok
    assert [(e.path, e.line, e.detail) for e in out.evidence] == [
        ("pipeline/evaluate.py", 4, "`if metrics['auc'] < production_auc:` stops the pipeline before "
                                    "mlflow.register_model() in pipeline/register.py (line 3)")]
    assert not idx.modules["pipeline/report.py"].loaded
    assert not idx.modules["pipeline/evaluate.py"].loaded  # the gate is found in its text alone


def test_deploy004_stops_collecting_at_the_evidence_limit(tmp_path):
    from auditor.checks import deploy
    from auditor.predicates import MAX_EVIDENCE

    files = {f"pkg/promote{i:02}.py": GATED for i in range(MAX_EVIDENCE + 5)}
    ctx, _ = _checks(tmp_path, files)
    out = deploy.validation_gate(ctx)
    assert [e.path for e in out.evidence] == sorted(files)[:MAX_EVIDENCE]
