"""Regression tests for errors found by validating CI, INFRA, DEPLOY and MON on real repositories.

Each test reproduces, with a minimal self-written fixture, a pattern seen in a real ML
repository that a rule got wrong (see docs/validation.md, sections CI/INFRA/DEPLOY/MON),
and checks the corrected verdict. The fixtures are written for these tests; nothing is
copied from the audited repositories.
"""

from __future__ import annotations

import textwrap

from tests.helpers import audit, make_repo


def _files(files: dict[str, str]) -> dict[str, str]:
    return {k: textwrap.dedent(v).lstrip("\n") for k, v in files.items()}


def result(tmp_path, rule_id: str, files: dict[str, str]):
    return audit(make_repo(tmp_path, _files(files)), select=[rule_id])[rule_id]


def statuses(tmp_path, rule_ids: list[str], files: dict[str, str]) -> dict[str, str]:
    res = audit(make_repo(tmp_path, _files(files)), select=rule_ids)
    return {r: res[r].status for r in rule_ids}


WF = ".github/workflows/ci.yml"

# ====================================================================================== CI

NOXFILE = """
    import nox

    TEST_ARGS = ["pytest", "--cov=mypkg", "-vv"]
    PYTHONS = ["3.10", "3.11", "3.12"]


    @nox.session(python=PYTHONS, name="unit")
    def unit(session):
        session.install("-e", ".[test]")
        session.run(*TEST_ARGS, "tests/unit")


    @nox.session(name="e2e-serving", python=PYTHONS)
    @nox.parametrize("suite", ["http", "grpc"])
    def e2e(session, suite):
        session.run(*TEST_ARGS, "tests/e2e")


    @nox.session
    def lint(session):
        session.run("ruff", "check", ".")
"""


def test_ci002_nox_session_with_matrix_version_and_starred_constant_args(tmp_path):
    """BentoML: `nox --session unit-${{ matrix.python-version }}` runs `session.run(*TEST_ARGS, ...)`
    where TEST_ARGS = ["pytest", ...]: a test suite, over the job's Python matrix."""
    wf = """
        on: [push, pull_request]
        jobs:
          unit:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                python-version: ["3.10", "3.11", "3.12"]
            steps:
              - uses: actions/setup-python@v5
                with: {python-version: "${{ matrix.python-version }}"}
              - run: pipx install nox
              - run: nox --session unit-${{ matrix.python-version }}
              - run: nox -s "e2e-serving-${{ matrix.python-version }}(suite='${{ matrix.suite }}')"
    """
    res = audit(make_repo(tmp_path, _files({WF: wf, "noxfile.py": NOXFILE})), select=["CI002", "CI004"])
    assert res["CI002"].status == "pass"
    details = " ".join(e.detail for e in res["CI002"].evidence)
    assert "pytest --cov=mypkg -vv tests/unit" in details
    assert res["CI004"].status == "pass"


def test_ci002_nox_session_that_does_not_exist_is_not_resolved_to_nothing(tmp_path):
    """An unknown session leaves the `nox` command standing for itself instead of erasing it."""
    from auditor.project import Project

    root = make_repo(tmp_path, _files({WF: "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
                                           "      - run: nox -s integration-3.11\n",
                                       "noxfile.py": NOXFILE}))
    cmd = next(c for j in Project(root).fact("ci").jobs for c in j.commands if c.text.startswith("nox"))
    assert not cmd.resolved


def test_ci002_nox_lint_session_is_not_a_test_suite(tmp_path):
    wf = "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: nox -s lint\n"
    assert result(tmp_path, "CI002", {WF: wf, "noxfile.py": NOXFILE}).status == "fail"


PIXI_PYPROJECT = """
    [project]
    name = "mypkg"
    version = "0.1"

    [tool.pixi.workspace]
    channels = ["conda-forge"]
    platforms = ["linux-64"]

    [tool.pixi.feature.tests.tasks]
    tests = { cmd = "pytest -q --cov=mypkg mypkg" }

    [tool.pixi.feature.lint.tasks]
    lint = { cmd = "pre-commit run --all-files" }

    [tool.pixi.environments]
    tests = ["tests"]
    lint = ["lint"]
"""


def test_ci002_ci003_ci004_pixi_feature_tasks_in_pyproject(tmp_path):
    """imbalanced-learn: `pixi run -e ${{ matrix.environment }} tests -n 3` with the task in
    `[tool.pixi.feature.tests.tasks]`, over a matrix of operating systems."""
    wf = """
        on: [push, pull_request]
        jobs:
          test:
            strategy:
              matrix:
                os: [ubuntu-latest, windows-latest, macos-latest]
                environment: [py310, py312]
            runs-on: ${{ matrix.os }}
            steps:
              - uses: prefix-dev/setup-pixi@v0.8.1
              - run: pixi run -e ${{ matrix.environment }} tests -n 3
          lint:
            runs-on: ubuntu-latest
            steps:
              - run: pixi run -e lint lint
    """
    precommit = """
        repos:
          - repo: https://github.com/astral-sh/ruff-pre-commit
            rev: v0.6.0
            hooks: [{id: ruff}]
    """
    got = statuses(tmp_path, ["CI002", "CI003", "CI004"],
                   {WF: wf, "pyproject.toml": PIXI_PYPROJECT, ".pre-commit-config.yaml": precommit})
    assert got == {"CI002": "pass", "CI003": "pass", "CI004": "pass"}


def test_ci002_pixi_task_that_is_not_a_test_suite_fails(tmp_path):
    wf = "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pixi run -e lint lint\n"
    assert result(tmp_path, "CI002", {WF: wf, "pyproject.toml": PIXI_PYPROJECT}).status == "fail"


def test_ci002_behave_is_a_test_runner(tmp_path):
    """kedro-starters: the suite is BDD features run with `behave`, inside an if/else shell block."""
    wf = """
        on: [push, pull_request]
        jobs:
          e2e:
            strategy:
              matrix:
                os: [ubuntu-latest, windows-latest]
            runs-on: ${{ matrix.os }}
            steps:
              - run: |
                  if [ "${{ runner.os }}" = "Windows" ]; then
                    behave features/run.feature --tags "~@spark"
                  else
                    behave features/run.feature
                  fi
                shell: bash
    """
    got = statuses(tmp_path, ["CI002", "CI004", "CI005"], {WF: wf})
    assert got == {"CI002": "pass", "CI004": "pass", "CI005": "fail"}


ANYSCALE_JOB = """
    name: workloads
    compute_config: my-compute
    entrypoint: bash deploy/jobs/workloads.sh
    max_retries: 0
"""
WORKLOADS_SH = """
    #!/bin/bash
    export PYTHONPATH=$PYTHONPATH:$PWD
    python -m pytest tests/code --verbose
    python mypkg/train.py --experiment-name demo --num-epochs 2
    python mypkg/evaluate.py --run-id $RUN_ID
"""


def test_ci002_ci005_anyscale_job_submitted_from_ci_is_read(tmp_path):
    """Made-With-ML: CI runs `anyscale jobs submit deploy/jobs/workloads.yaml`, whose
    `entrypoint` script runs the tests, training and evaluation."""
    wf = """
        on: [pull_request, workflow_dispatch]
        jobs:
          workloads:
            runs-on: ubuntu-22.04
            steps:
              - run: python3 -m pip install anyscale
              - run: |
                  export ANYSCALE_CLI_TOKEN=${{ secrets.ANYSCALE_CLI_TOKEN }}
                  anyscale jobs submit deploy/jobs/workloads.yaml --wait
    """
    files = {WF: wf, "deploy/jobs/workloads.yaml": ANYSCALE_JOB, "deploy/jobs/workloads.sh": WORKLOADS_SH}
    res = audit(make_repo(tmp_path, _files(files)), select=["CI002", "CI005"])
    assert res["CI002"].status == "pass"
    assert res["CI005"].status == "pass"
    assert any("mypkg/train.py" in e.detail and "anyscale job" in e.detail for e in res["CI005"].evidence)


def test_ci005_anyscale_job_without_training_fails(tmp_path):
    wf = "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n" \
         "      - run: anyscale job submit job.yaml\n"
    files = {WF: wf, "job.yaml": "name: docs\nentrypoint: mkdocs build\n"}
    assert result(tmp_path, "CI005", files).status == "fail"


def test_ci_expression_with_spaces_stays_one_word():
    from auditor.facts.ci_targets import words_of

    assert words_of("pixi run -e ${{ matrix.environment }} tests") == \
        ["pixi", "run", "-e", "${{matrix.environment}}", "tests"]


CLOUD_BUILD = """
    # CI/CD steps for Cloud Build
    steps:
    - name: 'gcr.io/cloud-builders/git'
      args: ['clone', '--depth', '1', '$_REPO_URL']
      id: 'Clone'
    - name: '$_CICD_IMAGE_URI'
      entrypoint: 'pytest'
      args: ['src/tests/model_tests.py', '-s']
      id: 'Unit tests'
    - name: 'gcr.io/cloud-builders/docker'
      args: ['build', '-t', '$_IMAGE_URI', '.']
    images: ['$_IMAGE_URI']
"""


def test_ci001_ci002_cloud_build_config_with_any_name(tmp_path):
    """mlops-with-vertex-ai: Cloud Build configs live in build/pipeline-deployment.yaml
    (run with `gcloud builds submit --config`), not in cloudbuild.yaml."""
    got = statuses(tmp_path, ["CI001", "CI002"], {"build/pipeline-deployment.yaml": CLOUD_BUILD})
    assert got == {"CI001": "pass", "CI002": "pass"}


def test_ci001_yaml_with_steps_that_is_not_cloud_build(tmp_path):
    """Top-level `steps:` alone (a Woodpecker/Drone-like or arbitrary document) is not Cloud Build."""
    drone_like = "steps:\n- name: test\n  image: python:3.12\n  commands: [pytest]\n"
    recipe = "title: pancakes\nsteps:\n- name: mix\n  args: [flour, eggs]\n"
    assert statuses(tmp_path, ["CI001"], {"conf/steps.yaml": drone_like, "docs/recipe.yaml": recipe}) == \
        {"CI001": "fail"}


# ==================================================================================== INFRA

SKLEARN_TRAIN = """
    import pandas as pd
    from sklearn.linear_model import LogisticRegression


    def train(df: pd.DataFrame) -> LogisticRegression:
        model = LogisticRegression()
        model.fit(df.drop(columns="y"), df["y"])
        return model
"""


def test_infra001_mlproject_test_fixture_is_not_the_projects_pipeline(tmp_path):
    """BentoML: the only MLproject is a fixture under tests/integration/...; a serving
    library has no ML workflow of its own."""
    files = {"src/lib/model.py": SKLEARN_TRAIN,
             "tests/integration/mlflow/MNIST/MLproject": "name: mnist\nentry_points:\n  main:\n"
                                                           "    command: python train.py\n"}
    assert result(tmp_path, "INFRA001", files).status == "fail"


def test_infra001_root_mlproject_still_counts(tmp_path):
    files = {"src/lib/model.py": SKLEARN_TRAIN,
             "MLproject": "name: churn\nentry_points:\n  main:\n    command: python train.py\n"}
    assert result(tmp_path, "INFRA001", files).status == "pass"


def test_infra001_step_functions_data_science_sdk_workflow(tmp_path):
    """amazon-sagemaker-safe-deployment-pipeline: the training workflow is an AWS Step
    Functions Data Science SDK `Workflow` of TrainingStep/ModelStep."""
    files = {"src/lib/model.py": SKLEARN_TRAIN,
             "model/run_pipeline.py": """
                from stepfunctions import steps
                from stepfunctions.workflow import Workflow


                def build(estimator, role):
                    training = steps.TrainingStep("Train", estimator=estimator, data={}, job_name="j")
                    return Workflow("wf", definition=steps.Chain([training]), role=role)
             """}
    assert result(tmp_path, "INFRA001", files).status == "pass"


def test_infra001_ci_job_that_trains_is_a_declared_pipeline(tmp_path):
    """Made-With-ML: the workflow (tests, training, evaluation) is declared as a CI job."""
    wf = """
        on: [workflow_dispatch]
        jobs:
          workloads:
            runs-on: ubuntu-latest
            steps:
              - run: python mypkg/train.py --num-epochs 10
              - run: python mypkg/evaluate.py --run-id $RUN_ID
    """
    files = {"mypkg/model.py": SKLEARN_TRAIN, WF: wf}
    assert result(tmp_path, "INFRA001", files).status == "pass"


def test_infra001_ci_job_running_only_tests_is_not_a_pipeline(tmp_path):
    wf = "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest tests/test_train.py\n"
    files = {"mypkg/model.py": SKLEARN_TRAIN, WF: wf}
    assert result(tmp_path, "INFRA001", files).status == "fail"


def _scheduled(run_lines: str) -> str:
    steps = "".join(f"      - run: {line}\n" for line in run_lines.strip().splitlines())
    return "on:\n  schedule:\n    - cron: '0 0 * * *'\njobs:\n  nightly:\n    runs-on: ubuntu-latest\n" \
           f"    steps:\n{steps}"


def test_infra003_nightly_test_run_is_not_ml_work(tmp_path):
    """BentoML / evidently / kedro-starters: a nightly CI run of the test suite whose other
    commands merely mention 'monitoring', 'dataset' or 'features' in their arguments."""
    wf = _scheduled("""
        nox -s e2e-monitoring-3.11
        mv .coverage ".coverage.monitoring.ubuntu"
        curl -k https://example.org/static/public/bike+sharing+dataset.zip -o data.zip
        behave features/run.feature features/test.feature
    """)
    assert result(tmp_path, "INFRA003", {WF: wf}).status == "fail"


def test_infra003_scheduled_retraining_counts(tmp_path):
    for n, line in enumerate(["python scripts/retrain_model.py --since 7d", "dvc repro",
                              "make retrain", "uv run python -m churn.monitoring.drift_report"]):
        assert result(tmp_path / str(n), "INFRA003", {WF: _scheduled(line)}).status == "pass", line


# =================================================================================== DEPLOY

def test_deploy001_fastapi_service_loading_a_joblib_model_is_serving_not_na(tmp_path):
    """fastapi-ml-skeleton: the service imports only joblib and numpy (no ML framework), loads
    a pickled scikit-learn model and predicts; it is a model service, not "no ML code"."""
    files = {"app/main.py": """
                from fastapi import FastAPI
                from app.services.models import HousePriceModel

                app = FastAPI()
                model = HousePriceModel("sample_model/model.joblib")


                @app.post("/predict")
                def predict(payload: dict) -> dict:
                    return {"price": model.predict(payload)}
             """,
             "app/services/models.py": """
                import joblib
                import numpy as np


                class HousePriceModel:
                    def __init__(self, path):
                        self.model = joblib.load(path)

                    def predict(self, payload):
                        return float(self.model.predict(np.asarray([list(payload.values())]))[0])
             """}
    assert result(tmp_path, "DEPLOY001", files).status == "pass"


def test_deploy001_report_service_of_a_monitoring_library_is_not_model_serving(tmp_path):
    """evidently: a web UI that loads report snapshots (`Snapshot.load_model`) and runs
    reports (`report.run`, `metric.generate`) serves no model."""
    files = {"lib/__init__.py": "", "lib/ui/__init__.py": "",
             "lib/core.py": "import pandas as pd\n\n\ndef frame():\n    return pd.DataFrame()\n",
             "lib/ui/api.py": """
                from litestar import Litestar, get
                from lib.snapshots import Snapshot, build


                @get("/snapshots/{sid:str}")
                def snapshot(sid: str) -> dict:
                    return Snapshot.load_model(sid).dict()


                app = Litestar([snapshot])
             """,
             "lib/snapshots.py": """
                class Snapshot:
                    @staticmethod
                    def load_model(model):
                        return Snapshot()


                def build(report, data, items):
                    report.run(data)
                    return [item.generate(data) for item in items]
             """}
    assert result(tmp_path, "DEPLOY001", files).status == "fail"


def test_deploy001_model_deployed_to_a_managed_endpoint(tmp_path):
    """mlops-with-vertex-ai: the model is served by a Vertex AI endpoint created and deployed
    to by build/utils.py (prebuilt serving container, no serving code of its own)."""
    files = {"src/model.py": SKLEARN_TRAIN,
             "build/utils.py": """
                from google.cloud import aiplatform as vertex_ai


                def deploy_model(endpoint_name, model_name, spec):
                    endpoint = vertex_ai.Endpoint.create(endpoint_name)
                    model = vertex_ai.Model.list(filter=f"display_name={model_name}")[0]
                    return endpoint.deploy(model=model, **spec)
             """}
    assert result(tmp_path, "DEPLOY001", files).status == "pass"


def test_deploy002_azure_ml_cli_v1_model_deploy_and_web_app_task(tmp_path):
    """MLOpsPython: `az ml model deploy` in an AzureCLI task, and an AzureWebAppContainer task."""
    azure = """
        trigger: none
        stages:
        - stage: Deploy
          jobs:
          - job: Deploy_ACI
            pool: {vmImage: ubuntu-latest}
            steps:
            - task: AzureCLI@1
              inputs:
                scriptLocation: inlineScript
                inlineScript: |
                  az ml model deploy --name aci-svc --model 'm:1' --ic inference_config.yml --dc aci.yml --overwrite
    """
    webapp = """
        trigger: none
        jobs:
        - job: Deploy_Webapp
          pool: {vmImage: ubuntu-latest}
          steps:
          - task: AzureWebAppContainer@1
            inputs:
              appName: my-scoring-app
              imageName: myacr.azurecr.io/package:1
    """
    assert result(tmp_path / "a", "DEPLOY002", {".pipelines/cd.yml": azure}).status == "pass"
    assert result(tmp_path / "b", "DEPLOY002", {".pipelines/webapp.yml": webapp}).status == "pass"


def test_deploy002_anyscale_service_rollout(tmp_path):
    """Made-With-ML: `anyscale service rollout --service-config-file ...` deploys the model service."""
    wf = "on: push\njobs:\n  serve:\n    runs-on: ubuntu-latest\n    steps:\n" \
         "      - run: anyscale service rollout --service-config-file deploy/services/serve_model.yaml\n"
    assert result(tmp_path, "DEPLOY002", {WF: wf}).status == "pass"


CODEPIPELINE = """
    AWSTemplateFormatVersion: '2010-09-09'
    Resources:
      DeployPipeline:
        Type: AWS::CodePipeline::Pipeline
        Properties:
          RoleArn: !GetAtt Role.Arn
          Stages:
            - Name: Source
              Actions:
                - Name: Source
                  ActionTypeId: {Category: Source, Owner: AWS, Provider: S3, Version: "1"}
            - Name: Build
              Actions:
                - Name: Build
                  ActionTypeId: {Category: Build, Owner: AWS, Provider: CodeBuild, Version: "1"}
%s
"""
DEPLOY_STAGE = """
            - Name: DeployPrd
              Actions:
                - Name: DeployModelPrd
                  ActionTypeId:
                    Category: Deploy
                    Owner: AWS
                    Provider: CloudFormation
                    Version: "1"
                  Configuration:
                    ActionMode: CREATE_UPDATE
"""


def test_deploy002_codepipeline_with_a_deploy_stage(tmp_path):
    """amazon-sagemaker-safe-deployment-pipeline: a CodePipeline (CloudFormation) deploys the
    model stack to dev and prod with CloudFormation deploy actions."""
    assert result(tmp_path / "a", "DEPLOY002", {"pipeline.yml": CODEPIPELINE % DEPLOY_STAGE}).status == "pass"
    assert result(tmp_path / "b", "DEPLOY002", {"pipeline.yml": CODEPIPELINE % ""}).status == "fail"


def test_deploy004_evaluation_step_gates_a_separate_registration_step(tmp_path):
    """MLOpsPython: the evaluate step compares the new model's metric with the production
    model's and cancels the pipeline run; a later step registers the model."""
    files = {"src/train.py": SKLEARN_TRAIN,
             "src/evaluate/evaluate_model.py": """
                def evaluate(run, model, metric_eval="mse"):
                    production_model_mse = float(model.tags.get(metric_eval, 10000))
                    new_model_mse = float(run.parent.get_metrics().get(metric_eval))
                    if new_model_mse < production_model_mse:
                        print("New model performs better, it should be registered")
                    else:
                        print("New model is worse; skipping registration")
                        run.parent.cancel()
             """,
             "src/register/register_model.py": """
                from azureml.core import Model


                def register(ws, path, name):
                    return Model.register(workspace=ws, model_path=path, model_name=name)
             """}
    assert result(tmp_path, "DEPLOY004", files).status == "pass"


def test_deploy004_divergence_check_in_training_is_not_a_gate(tmp_path):
    diverge = """

        def step(loss):
            if loss > 1e6:
                raise RuntimeError("training diverged")
    """
    files = {"src/train.py": textwrap.dedent(SKLEARN_TRAIN) + textwrap.dedent(diverge),
             "src/register/register_model.py": """
                import mlflow


                def register(uri):
                    return mlflow.register_model(uri, "churn")
             """}
    assert result(tmp_path, "DEPLOY004", files).status == "fail"


HELM_VS = """
    apiVersion: networking.istio.io/v1alpha3
    kind: VirtualService
    metadata:
      name: mlmodel-virtualservice
    spec:
      hosts:
        - '*'
      http:
      - route:
        - destination:
            host: {{ .Values.svc.name }}-green.svc.cluster.local
            port:
              number: {{ .Values.svc.port }}
          weight: {{ .Values.weight.green }}
        - destination:
            host: {{ .Values.svc.name }}-blue.svc.cluster.local
            port:
              number: {{ .Values.svc.port }}
          weight: {{ .Values.weight.blue }}
"""


def test_deploy005_weighted_routes_in_a_helm_template(tmp_path):
    """MLOpsPython: an Istio VirtualService in a Helm chart splits traffic between two model
    versions with templated weights."""
    files = {"charts/abtest/Chart.yaml": "apiVersion: v2\nname: abtest\nversion: 0.1.0\n",
             "charts/abtest/values.yaml": "weight:\n  green: 50\n  blue: 50\n",
             "charts/abtest/templates/istio.yaml": HELM_VS}
    assert result(tmp_path, "DEPLOY005", files).status == "pass"


def test_deploy005_single_templated_route_is_not_a_split(tmp_path):
    one_route = HELM_VS.split("        - destination:\n            host: {{ .Values.svc.name }}-blue")[0]
    files = {"charts/abtest/Chart.yaml": "apiVersion: v2\nname: abtest\nversion: 0.1.0\n",
             "charts/abtest/templates/istio.yaml": one_route}
    assert result(tmp_path, "DEPLOY005", files).status == "fail"


def test_deploy005_file_hash_in_a_module_naming_canary_elsewhere_is_not_routing(tmp_path):
    """BentoML: a cloud client hashes uploaded files with md5; the same module has a canary
    deployment schema hundreds of lines away. That is not champion/challenger routing."""
    filler = "\n                ".join(f"X{i} = {i}" for i in range(60))
    files = {"lib/model.py": SKLEARN_TRAIN,
             "lib/cloud/deployment.py": f'''
                import hashlib


                class DeploymentCanarySchema:
                    versions: dict = {{}}


                def canary_config():
                    return DeploymentCanarySchema()


                {filler}


                def changed(pod_files, rel_path, content):
                    return pod_files.get(rel_path) != hashlib.md5(content).hexdigest()
             '''}
    assert result(tmp_path, "DEPLOY005", files).status == "fail"


# ====================================================================================== MON

def test_mon001_azure_ml_deployment_with_application_insights(tmp_path):
    """MLOpsPython: the AKS deployment config enables Application Insights telemetry."""
    on = {"scoring/deployment_config_aks.yml": "computeType: AKS\nautoScaler:\n  autoscaleEnabled: True\n"
                                               "appInsightsEnabled: True\n"}
    off = {"scoring/deployment_config_aks.yml": "computeType: AKS\nappInsightsEnabled: false\n"}
    sdk = {"deploy.py": "from azureml.core.webservice import AksWebservice\n\n"
                        "cfg = AksWebservice.deploy_configuration(enable_app_insights=True)\n"}
    assert result(tmp_path / "a", "MON001", on).status == "pass"
    assert result(tmp_path / "b", "MON001", off).status == "fail"
    assert result(tmp_path / "c", "MON001", sdk).status == "pass"


def test_deploy001_bare_generate_function_in_a_web_api_is_not_prediction(tmp_path):
    """evidently: an API module streams a response body from a local `generate()` function."""
    files = {"lib/__init__.py": "", "lib/core.py": "import pandas as pd\n",
             "lib/api.py": """
                from fastapi import FastAPI
                from lib.store import Snapshot

                app = FastAPI()


                @app.get("/download/{sid}")
                def download(sid: str) -> bytes:
                    snap = Snapshot.load_model(sid)

                    def generate():
                        yield from snap.chunks()

                    return b"".join(generate())
             """,
             "lib/store.py": "class Snapshot:\n    @staticmethod\n    def load_model(x):\n        return x\n"}
    assert result(tmp_path, "DEPLOY001", files).status == "fail"


def test_deploy001_llm_generate_on_a_model_still_counts(tmp_path):
    files = {"app.py": """
                from fastapi import FastAPI
                from transformers import AutoModelForCausalLM, AutoTokenizer

                app = FastAPI()
                tok = AutoTokenizer.from_pretrained("gpt2")
                model = AutoModelForCausalLM.from_pretrained("gpt2")


                @app.post("/complete")
                def complete(prompt: str) -> str:
                    ids = tok(prompt, return_tensors="pt").input_ids
                    return tok.decode(model.generate(ids, max_new_tokens=20)[0])
             """}
    assert result(tmp_path, "DEPLOY001", files).status == "pass"


VERTEX_MONITORING = """
    from google.cloud import aiplatform_v1beta1 as vertex_ai_beta

    drift = vertex_ai_beta.ModelMonitoringObjectiveConfig.PredictionDriftDetectionConfig(
        drift_thresholds={"trip_miles": vertex_ai_beta.ThresholdConfig(value=0.3)})
    alerting = vertex_ai_beta.ModelMonitoringAlertConfig(
        email_alert_config=vertex_ai_beta.ModelMonitoringAlertConfig.EmailAlertConfig(user_emails=["ml@acme.io"]))
    sampling = vertex_ai_beta.SamplingStrategy(
        random_sample_config=vertex_ai_beta.SamplingStrategy.RandomSampleConfig(sample_rate=0.8))
    job = vertex_ai_beta.ModelDeploymentMonitoringJob(
        display_name="monitor", endpoint="projects/p/locations/l/endpoints/1",
        logging_sampling_strategy=sampling, model_monitoring_alert_config=alerting)
"""


def test_mon002_mon004_vertex_ai_model_monitoring_job(tmp_path):
    """mlops-with-vertex-ai: a Vertex AI model monitoring job (GAPIC v1beta1 types) with drift
    thresholds, request sampling and e-mail alerts, next to a deployed endpoint."""
    files = {"src/model.py": SKLEARN_TRAIN, "monitoring.py": VERTEX_MONITORING,
             "deploy.py": "from google.cloud import aiplatform\n\n"
                          "endpoint = aiplatform.Endpoint.create(display_name='taxi')\n"}
    got = statuses(tmp_path, ["MON002", "MON003", "MON004"], files)
    assert got == {"MON002": "pass", "MON003": "pass", "MON004": "pass"}


def test_infra003_scheduled_vertex_model_monitoring(tmp_path):
    """mlops-with-vertex-ai: the monitoring job runs on a ModelDeploymentMonitoringScheduleConfig."""
    code = VERTEX_MONITORING + """
    schedule = vertex_ai_beta.ModelDeploymentMonitoringScheduleConfig(monitor_interval=None)
"""
    assert result(tmp_path, "INFRA003", {"monitoring.py": code}).status == "pass"
