"""INFRA rules end to end: each rule passes, fails and (where it has a condition) is n/a."""

from __future__ import annotations

import pytest

from tests.helpers import audit, make_repo, status

ML = "import pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n\n\ndef train(df):\n" \
     "    return LogisticRegression().fit(df[['x']], df['y'])\n"
UTIL = "def slugify(text):\n    return text.lower()\n"


def rule(tmp_path, files, rule_id):
    return status(make_repo(tmp_path, files), rule_id)


def result(tmp_path, files, rule_id):
    return audit(make_repo(tmp_path, files), select=[rule_id])[rule_id]


def workflow(on: str, *commands: str) -> str:
    steps = "".join(f"      - run: {c}\n" for c in commands)
    return (f"name: wf\non:\n{on}\njobs:\n  job:\n    runs-on: ubuntu-latest\n    steps:\n"
            f"      - uses: actions/checkout@v4\n{steps}")


CRON = "  schedule:\n    - cron: '0 3 * * 1'"
PUSH = "  push:\n    branches: [main]"


# ------------------------------------------------------------------ INFRA001 pipeline-defined
@pytest.mark.parametrize("extra", [
    {"dvc.yaml": "stages:\n  train:\n    cmd: python -m pkg.train\n    deps: [data]\n"},
    {"Makefile": "train:\n\tpython -m pkg.train\n"},
    {"Makefile": "all:\n\tdvc repro\n"},
    {"justfile": "fit:\n    python scripts/fit_model.py\n"},
    {"MLproject": "name: x\nentry_points:\n  main:\n    command: python train.py\n"},
    {"Snakefile": "rule train:\n    shell: 'python train.py'\n"},
    {"dags/train_dag.py": "from airflow import DAG\n\nwith DAG('train') as dag:\n    pass\n"},
    {"flows/flow.py": "from prefect import flow\n\n@flow\ndef pipeline():\n    pass\n"},
    {"pipeline/kfp_pipeline.py": "from kfp import dsl\n\n@dsl.pipeline(name='x')\ndef p():\n    pass\n"},
])
def test_infra001_passes_with_a_declared_pipeline(tmp_path, extra):
    assert rule(tmp_path, {"pkg/model.py": ML, **extra}, "INFRA001") == "pass"


@pytest.mark.parametrize("extra", [
    {},
    {"Makefile": "test:\n\tpytest -q tests/test_train.py\nlint:\n\truff check .\n"},
    {"dvc.yaml": "stages: {}\n", "data.csv.dvc": "outs:\n- path: data.csv\n"},
])
def test_infra001_fails_without_pipeline(tmp_path, extra):
    res = result(tmp_path, {"pkg/model.py": ML, **extra}, "INFRA001")
    assert res.status == "fail"
    searched = " ".join(e.detail for e in res.evidence)
    assert "DVC pipeline stages" in searched and "Makefile/justfile" in searched


def test_infra001_not_applicable_without_ml_code(tmp_path):
    assert rule(tmp_path, {"pkg/util.py": UTIL}, "INFRA001") == "n/a"


# ------------------------------------------------------------------ INFRA002 containerized
@pytest.mark.parametrize("extra", [
    {"Dockerfile": "FROM python:3.11-slim\n"},
    {"docker/train.Dockerfile": "FROM python:3.11\n"},
    {"compose.yaml": "services:\n  db:\n    image: postgres\n"},
    {".devcontainer/devcontainer.json": "{\"image\": \"mcr.microsoft.com/devcontainers/python\"}"},
    {"Singularity": "Bootstrap: docker\nFrom: python\n"},
    {"bentofile.yaml": "service: 'service:svc'\n"},
])
def test_infra002_passes_with_container_definition(tmp_path, extra):
    assert rule(tmp_path, {"pkg/model.py": ML, **extra}, "INFRA002") == "pass"


def test_infra002_fails_without_container_definition(tmp_path):
    assert rule(tmp_path, {"pkg/model.py": ML, "docs/docker.md": "We should use a Dockerfile.\n"},
                "INFRA002") == "fail"


# ------------------------------------------------------------------ INFRA003 scheduled-runs
@pytest.mark.parametrize("extra", [
    {".github/workflows/retrain.yml": workflow(CRON, "pip install -e .", "dvc repro")},
    {".github/workflows/nightly.yml": workflow(CRON, "make retrain"),
     "Makefile": "retrain:\n\tpython -m pkg.train\n"},
    {"k8s/cron.yaml": "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: batch-scoring\nspec:\n"
                      "  schedule: '0 * * * *'\n"},
    {"dags/d.py": "from airflow import DAG\n\nwith DAG('retrain', schedule='@weekly') as dag:\n    pass\n"},
    {"orchestration/defs.py": "from dagster import ScheduleDefinition\n\n"
                              "s = ScheduleDefinition(job=train_job, cron_schedule='0 0 * * *')\n"},
    {"infra/main.tf": 'resource "google_cloud_scheduler_job" "retrain" {\n  schedule = "0 3 * * *"\n}\n'},
])
def test_infra003_passes_with_scheduled_ml_work(tmp_path, extra):
    assert rule(tmp_path, {"pkg/model.py": ML, **extra}, "INFRA003") == "pass"


@pytest.mark.parametrize("extra", [
    {".github/workflows/docs.yml": workflow(CRON, "pip install mkdocs", "mkdocs build")},
    {".github/workflows/nightly.yml": workflow(CRON, "pytest tests/test_model.py")},
    {".github/workflows/train.yml": workflow(PUSH, "python -m pkg.train")},
    {"dags/d.py": "from airflow import DAG\n\nwith DAG('retrain', schedule=None) as dag:\n    pass\n"},
    {"k8s/cron.yaml": "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: cleanup\nspec:\n"
                      "  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n"
                      "            - name: rm\n              command: [rm, -rf, /tmp/cache]\n"},
])
def test_infra003_fails_without_ml_schedule(tmp_path, extra):
    assert rule(tmp_path, {"pkg/model.py": ML, **extra}, "INFRA003") == "fail"


# ------------------------------------------------------------------ INFRA004 failure-handling
PIPELINE = {"pkg/model.py": ML, "dvc.yaml": "stages:\n  train:\n    cmd: python -m pkg.model\n"}


@pytest.mark.parametrize("extra", [
    {"pkg/ingest.py": "from tenacity import retry, stop_after_attempt\n\n@retry(stop=stop_after_attempt(3))\n"
                      "def load():\n    pass\n"},
    {"dags/d.py": "from airflow import DAG\n\ndefault_args = {'owner': 'ml', 'retries': 2}\n"},
    {"flows/f.py": "from prefect import task\n\n@task(retries=3, retry_delay_seconds=10)\ndef ingest():\n    pass\n"},
    {"k8s/job.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: train\nspec:\n  backoffLimit: 3\n"},
    {"pkg/http.py": "import requests\nfrom urllib3.util.retry import Retry\n\nr = Retry(total=5)\n"},
])
def test_infra004_passes_with_retries(tmp_path, extra):
    assert rule(tmp_path, {**PIPELINE, **extra}, "INFRA004") == "pass"


def test_infra004_fails_when_only_container_healthchecks_retry(tmp_path):
    res = result(tmp_path, {**PIPELINE,
                            "Dockerfile": "FROM python\nHEALTHCHECK --retries=3 CMD curl -f localhost\n",
                            "docker-compose.yml": "services:\n  api:\n    build: .\n    healthcheck:\n"
                                                  "      test: [CMD, curl, localhost]\n      retries: 5\n"},
                 "INFRA004")
    assert res.status == "fail"


def test_infra004_not_applicable_without_pipeline_or_schedule(tmp_path):
    res = result(tmp_path, {"pkg/model.py": ML, "pkg/ingest.py": "import tenacity\n"}, "INFRA004")
    assert res.status == "n/a"


# ------------------------------------------------------------------ INFRA005 infrastructure-as-code
@pytest.mark.parametrize("extra", [
    {"terraform/main.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n'},
    {"k8s/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n"},
    {"charts/api/Chart.yaml": "apiVersion: v2\nname: api\nversion: 0.1.0\n"},
    {"Pulumi.yaml": "name: infra\nruntime: python\n"},
    {"template.json": '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"B": {"Type": "AWS::S3::Bucket"}}}'},
])
def test_infra005_passes_with_iac(tmp_path, extra):
    assert rule(tmp_path, {"pkg/model.py": ML, **extra}, "INFRA005") == "pass"


def test_infra005_fails_without_iac(tmp_path):
    assert rule(tmp_path, {"pkg/model.py": ML, "Dockerfile": "FROM python\n",
                           "config.yaml": "kind: of\nvalue: 3\n"}, "INFRA005") == "fail"
