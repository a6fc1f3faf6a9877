"""MON rules end to end: each rule passes, fails and (where it has a condition) is n/a."""

from __future__ import annotations

import json

import pytest

from tests.helpers import audit, make_repo, status

ML = "import pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n\n\ndef train(df):\n" \
     "    return LogisticRegression().fit(df[['x']], df['y'])\n"


def rule(tmp_path, files, rule_id):
    return status(make_repo(tmp_path, files), rule_id)


def result(tmp_path, files, rule_id):
    return audit(make_repo(tmp_path, files), select=[rule_id])[rule_id]


def serve(log_block: str) -> str:
    """A FastAPI app that loads a model, predicts and then runs `log_block`."""
    body = "".join(f"    {line}\n" for line in log_block.splitlines())
    return ("import json\nimport logging\nimport os\n\nimport joblib\nfrom fastapi import FastAPI\n\n"
            "logger = logging.getLogger(__name__)\nMODEL_VERSION = os.environ.get('MODEL_VERSION', 'dev')\n"
            "model = joblib.load('models/model.joblib')\napp = FastAPI()\n\n\n@app.post('/predict')\n"
            "def predict(features: dict):\n    proba = float(model.predict_proba([list(features.values())])[0, 1])\n"
            f"{body}    return {{'churn_probability': proba}}\n")


# ------------------------------------------------------------------ MON001 service-observability
@pytest.mark.parametrize("extra", [
    {"pkg/serve.py": "from prometheus_client import Counter\n\nREQUESTS = Counter('requests_total', 'Requests')\n"},
    {"pkg/app.py": "from prometheus_fastapi_instrumentator import Instrumentator\n"},
    {"pkg/tracing.py": "from opentelemetry import trace\n"},
    {"pkg/obs.py": "import sentry_sdk\n\nsentry_sdk.init()\n"},
    {"pkg/cw.py": "import boto3\n\nboto3.client('cloudwatch').put_metric_data(Namespace='x', MetricData=[])\n"},
    {"monitoring/prometheus.yml": "scrape_configs:\n  - job_name: api\n    static_configs:\n"
                                 "      - targets: ['api:8080']\n"},
    {"dashboards/api.json": '{"title": "API", "schemaVersion": 39, "panels": [{"type": "timeseries"}]}'},
])
def test_mon001_passes_with_telemetry(tmp_path, extra):
    assert rule(tmp_path, {"pkg/model.py": ML, **extra}, "MON001") == "pass"


@pytest.mark.parametrize("extra", [
    {},
    {"pkg/serve.py": "import logging\n\nlogging.basicConfig(level=logging.INFO)\n"},
    {"monitoring/panels.json": '{"panels": [1, 2], "rows": 3}'},  # "panels" alone is not a dashboard
])
def test_mon001_fails_without_telemetry(tmp_path, extra):
    assert rule(tmp_path, {"pkg/model.py": ML, **extra}, "MON001") == "fail"


# ------------------------------------------------------------------ MON002 drift-monitoring
@pytest.mark.parametrize("extra", [
    {"pkg/drift.py": "from evidently import Report\nfrom evidently.presets import DataDriftPreset\n"},
    {"pkg/detect.py": "from alibi_detect.cd import KSDrift\n"},
    {"monitoring/job.py": "from scipy.stats import ks_2samp\n\n\ndef check(ref, cur):\n"
                          "    return ks_2samp(ref, cur).pvalue\n"},
    {"pkg/stats.py": "import numpy as np\n\n\ndef population_stability_index(ref, cur):\n    return 0.0\n",
     "pkg/monitor.py": "from pkg.stats import population_stability_index\n\n"
                       "print(population_stability_index([1], [2]))\n", "pkg/__init__.py": ""},
    {"pkg/dc.py": "from deepchecks.tabular.checks import FeatureDrift\n\nFeatureDrift().run(train_ds, test_ds)\n"},
])
def test_mon002_passes_with_drift_monitoring(tmp_path, extra):
    assert rule(tmp_path, {"pkg/model.py": ML, **extra}, "MON002") == "pass"


@pytest.mark.parametrize("extra", [
    {},
    {"analysis/compare.py": "from scipy.stats import ks_2samp\n\nprint(ks_2samp([1, 2], [2, 3]))\n"},
    {"pkg/dc.py": "from deepchecks.tabular.checks import DataDuplicates\n\nDataDuplicates().run(ds)\n"},
])
def test_mon002_fails_without_drift_monitoring(tmp_path, extra):
    assert rule(tmp_path, {"pkg/model.py": ML, **extra}, "MON002") == "fail"


# ------------------------------------------------------------------ MON003 prediction-logging
@pytest.mark.parametrize("block", [
    "logger.info(json.dumps({'model_version': MODEL_VERSION, 'features': features, 'proba': proba}))",
    ("record = {\n    'model_version': MODEL_VERSION,\n    'input': features,\n    'prediction': proba,\n}\n"
     "logger.info('prediction %s', json.dumps(record))"),
])
def test_mon003_passes_when_serving_code_logs_input_output_and_version(tmp_path, block):
    res = result(tmp_path, {"pkg/model.py": ML, "pkg/serve.py": serve(block)}, "MON003")
    assert res.status == "pass"
    assert res.evidence[0].path == "pkg/serve.py"


def test_mon003_passes_with_kserve_request_logger(tmp_path):
    files = {"pkg/model.py": ML, "k8s/isvc.yaml": (
        "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: m\nspec:\n"
        "  predictor:\n    logger:\n      mode: all\n      url: http://broker\n")}
    assert rule(tmp_path, files, "MON003") == "pass"


@pytest.mark.parametrize("block", [
    "logger.info('prediction served')",
    "logger.info(json.dumps({'features': features, 'proba': proba}))",  # no model version
    "logger.info('model %s answered', MODEL_VERSION)",  # no input, no output
])
def test_mon003_fails_without_complete_prediction_log(tmp_path, block):
    res = result(tmp_path, {"pkg/model.py": ML, "pkg/serve.py": serve(block)}, "MON003")
    assert res.status == "fail"


def test_mon003_not_applicable_without_serving_interface(tmp_path):
    assert rule(tmp_path, {"pkg/model.py": ML, "pkg/log.py": "import logging\nlogging.info('x')\n"},
                "MON003") == "n/a"


# ------------------------------------------------------------------ MON004 alerting
@pytest.mark.parametrize("extra", [
    {"monitoring/alerts.yml": "groups:\n  - name: api\n    rules:\n      - alert: HighErrorRate\n"
                              "        expr: rate(errors_total[5m]) > 0.1\n"},
    {"monitoring/alertmanager.yml": "route:\n  receiver: team\nreceivers:\n  - name: team\n"},
    {"k8s/rules.yaml": "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: r\n"
                       "spec:\n  groups:\n    - name: g\n      rules:\n        - alert: Down\n          expr: up == 0\n"},
    {"infra/alarms.tf": 'resource "aws_cloudwatch_metric_alarm" "errors" {\n  threshold = 5\n}\n'},
    {"monitoring/drift_job.py": "import os\nimport requests\n\nWEBHOOK = os.environ['SLACK_WEBHOOK_URL']\n\n\n"
                                "def notify(text):\n    requests.post(WEBHOOK, json={'text': text})\n"},
])
def test_mon004_passes_with_alerts(tmp_path, extra):
    assert rule(tmp_path, {"pkg/model.py": ML, **extra}, "MON004") == "pass"


@pytest.mark.parametrize("extra", [
    {},
    {"monitoring/recording.yml": "groups:\n  - name: api\n    rules:\n      - record: job:errors:rate5m\n"
                                 "        expr: rate(errors_total[5m])\n"},
    {"pkg/client.py": "import requests\n\nrequests.post('https://api.example.com/v1/items', json={})\n"},
])
def test_mon004_fails_without_alerts(tmp_path, extra):
    assert rule(tmp_path, {"pkg/model.py": ML, **extra}, "MON004") == "fail"


# ------------------------------------------------------------------ pre-filters (issue #6)
# The MON checks parse only the modules whose source text can hold a hit. Each case below
# is written the way a careless text filter would miss (case, aliases, a string split in
# two, a notebook whose code is one JSON string): the check must still find it, and give
# the same answer with the pre-filters switched off.
def _nb(code: str) -> str:
    """A notebook whose only code cell is one JSON string (lines start after an escaped \\n)."""
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": code, "outputs": [], "metadata": {}, "execution_count": None}]})


def _check(root, name: str):
    from auditor.checks import mon
    from auditor.predicates import Context
    from auditor.project import Project

    project = Project(root, use_git=False)
    out = getattr(mon, name)(Context(project))
    return out, project.fact("python")


@pytest.mark.parametrize("name, files, ok", [
    # drift words in a string split over two literals, in a module outside monitoring/
    ("drift_statistics", {"pkg/report.py": 'from scipy import stats\n\nTITLE = ("Distribution "\n'
                                           '         "Shift report")\n\n\ndef run(a, b):\n'
                                           '    return stats.ks_2samp(a, b)\n'}, True),
    # pandas' `.shift(1)` is no drift word: a KS test next to it is not monitoring code
    ("drift_statistics", {"pkg/lag.py": "from scipy.stats import ks_2samp\n\n\ndef lag(df):\n"
                                        "    return df.shift(1), ks_2samp(df.a, df.b)\n"}, False),
    # an upper-case PSI defined outside monitoring code, called there through an alias
    ("drift_statistics", {"pkg/__init__.py": "", "pkg/stats.py": "def PSI(ref, cur):\n    return 0.0\n",
                          "monitoring/job.py": "from pkg.stats import PSI as stability\n\n"
                                               "print(stability([1], [2]))\n"}, True),
    # ... but naming it in a comment or defining it is not calling it
    ("drift_statistics", {"pkg/__init__.py": "", "pkg/stats.py": "def psi(ref, cur):\n    return 0.0\n",
                          "monitoring/job.py": "# psi() lives in pkg.stats\n\n\ndef run():\n    return 1\n"},
     False),
    # "epsilon" holds "psi" but is no drift statistic
    ("drift_statistics", {"monitoring/job.py": "EPSILON = 1e-9\n\n\ndef epsilon_guard(x):\n"
                                               "    return x + EPSILON\n"}, False),
    # Python reads the full-width name as `ks_2samp` (identifiers are NFKC-normalised)
    ("drift_statistics", {"monitoring/job.py": "from scipy.stats import ks_2samp\n\n"
                                               "print(\uff4b\uff53_2samp([1], [2]))\n"}, True),
    # a drift word with a dotted capital I (`İ`), which only case folding reads as "i": the
    # word index (lower-cased words) does not see it, so non-ASCII texts are read
    ("drift_statistics", {"pkg/report.py": 'from scipy import stats\n\nTITLE = "Data DR\u0130FT"\n\n\n'
                                           'def run(a, b):\n    return stats.ks_2samp(a, b)\n'}, True),
    # a notebook in a drift folder whose cell is one string: the call starts a line
    ("drift_statistics", {"drift/check.ipynb": _nb("from scipy.stats import ks_2samp\nks_2samp(a, b)\n")}, True),
    # an upper-case webhook URL and a post from monitoring code
    ("alert_hooks", {"monitoring/notify.py": "import requests\n\nURL = 'HTTPS://HOOKS.SLACK.COM/services/x'\n\n\n"
                                             "def alert(msg):\n    requests.post(URL, json={'text': msg})\n"}, True),
    # an alert policy created through an alias, outside monitoring code
    ("alert_hooks", {"infra/policies.py": "from google.cloud.monitoring_v3 import AlertPolicy as Policy\n\n"
                                          "Policy(display_name='drift')\n"}, True),
    # a webhook outside monitoring code is no alert
    ("alert_hooks", {"pkg/client.py": "import requests\n\nrequests.post('https://hooks.slack.com/x', json={})\n"},
     False),
])
def test_mon_prefilters_keep_every_hit(tmp_path, monkeypatch, name, files, ok):
    from auditor.facts.python import PythonIndex

    fast, _idx = _check(make_repo(tmp_path / "a", {"pkg/model.py": ML, **files}), name)
    assert fast.ok is ok
    monkeypatch.setattr(PythonIndex, "prefilter", False)
    slow, _idx = _check(make_repo(tmp_path / "b", {"pkg/model.py": ML, **files}), name)
    assert (fast.ok, fast.evidence) == (slow.ok, slow.evidence)


def test_mon_checks_parse_only_candidates_and_stop_early(tmp_path):
    files = {f"monitoring/job_{i:02}.py": "def psi(ref, cur):\n    return 0.0\n" for i in range(20)}
    files["pkg/lag.py"] = "from scipy.stats import ks_2samp\n\n\ndef lag(df):\n    return df.shift(1), ks_2samp(1, 2)\n"
    files["pkg/eps.py"] = "EPSILON = 1e-9\n"
    out, idx = _check(make_repo(tmp_path, {"pkg/model.py": ML, **files}), "drift_statistics")
    assert out.ok and [e.path for e in out.evidence] == [f"monitoring/job_{i:02}.py" for i in range(5)]
    loaded = {p for p, m in idx.modules.items() if m.loaded}
    assert not loaded & {"pkg/lag.py", "pkg/eps.py", "pkg/model.py"}   # no text can hold a hit
    assert len(loaded) < 20                                              # stopped after five hits
