"""The "infra" fact: DVC, task runners, containers, Kubernetes, IaC, monitoring configs, schedules."""

from __future__ import annotations

from auditor.facts.infra import parse_dockerfile, parse_justfile, parse_makefile
from auditor.predicates import Context, evaluate
from auditor.project import Project
from tests.helpers import make_repo


def facts(tmp_path, files):
    project = Project(make_repo(tmp_path, files))
    return project, project.fact("infra")


def check(project, node):
    return evaluate(node, Context(project))


# ------------------------------------------------------------------ DVC

DVC_YAML = """stages:
  prepare:
    cmd: python -m pkg.prepare
    deps: [data/raw.csv]
    outs: [data/prepared]
  train:
    cmd:
      - python -m pkg.train
      - python -m pkg.export
    params:
      - train.lr
      - configs/train.yaml:
          - epochs
          - batch_size
    outs:
      - models/model.pkl:
          cache: true
    metrics:
      - reports/metrics.json:
          cache: false
    plots:
      - reports/roc.json
  sweep:
    foreach: [a, b]
    do:
      cmd: python -m pkg.sweep ${item}
artifacts:
  classifier:
    path: models/model.pkl
    type: model
"""


def test_dvc_stages_with_cmd_deps_outs_params_metrics(tmp_path):
    _, f = facts(tmp_path, {"dvc.yaml": DVC_YAML})
    stages = {s.name: s for s in f.dvc.stages}
    assert list(stages) == ["prepare", "train", "sweep"]
    assert stages["prepare"].cmd == ("python -m pkg.prepare",) and stages["prepare"].line == 2
    train = stages["train"]
    assert train.cmd == ("python -m pkg.train", "python -m pkg.export")
    assert train.params == ("train.lr", "configs/train.yaml:epochs", "configs/train.yaml:batch_size")
    assert train.outs == ("models/model.pkl",)
    assert train.metrics == ("reports/metrics.json",)
    assert train.plots == ("reports/roc.json",)
    assert stages["sweep"].cmd == ("python -m pkg.sweep ${item}",)  # foreach/do
    assert [(a.name, a.type, a.path) for a in f.dvc.artifacts] == [("classifier", "model", "models/model.pkl")]


def test_dvc_remotes_pointers_and_lock(tmp_path):
    _, f = facts(tmp_path, {
        "dvc.yaml": DVC_YAML, "dvc.lock": "schema: '2.0'\n",
        ".dvc/config": "[core]\n    remote = store\n['remote \"store\"']\n    url = s3://bucket/x\n"
                       "[remote \"backup\"]\n    url = gs://other\n",
        ".dvc/config.local": "['remote \"local\"']\n    url = /tmp/cache\n",
        "data/raw.csv.dvc": "outs:\n- md5: abc\n  path: raw.csv\n",
    })
    assert [(r.name, r.url, r.default) for r in f.dvc.remotes] == [("store", "s3://bucket/x", True),
                                                                  ("backup", "gs://other", False)]
    assert f.dvc.pointers == ["data/raw.csv.dvc"]
    assert f.dvc.locks == ["dvc.lock"]


def test_dvc_predicate_aspects(tmp_path):
    project, _ = facts(tmp_path, {"dvc.yaml": DVC_YAML})
    assert check(project, {"dvc": "stages"}).ok
    assert check(project, {"dvc": "metrics"}).ok
    assert check(project, {"dvc": "artifacts"}).ok
    assert not check(project, {"dvc": "remote"}).ok
    assert not check(project, {"dvc": "pointers"}).ok


def test_malformed_dvc_yaml_is_a_problem_not_a_crash(tmp_path):
    project, f = facts(tmp_path, {"dvc.yaml": "stages: [unclosed\n", "sub/dvc.yaml": "stages:\n  - just a list\n"})
    assert f.dvc.stages == []
    assert f.dvc.files == ["dvc.yaml", "sub/dvc.yaml"]
    assert any(p.path == "dvc.yaml" and "unparsable" in p.detail for p in project.problems)


# ------------------------------------------------------------------ task runners

MAKEFILE = """PYTHON ?= python
VERSION := $(shell git describe)
export PYTHONPATH = src

.PHONY: train test lint

define HELP
train: not a target inside define
endef

train: data/prepared.csv
\t@$(PYTHON) -m pkg.train \\
\t    --epochs 10
\t-$(MAKE) evaluate

evaluate:
\tpython -m pkg.evaluate   # comment after
\t# a recipe comment

test lint: ; pytest -q

train: EPOCHS = 3

deploy: push
\tkubectl apply -f k8s/
push:
\tdocker push img:$(VERSION)
"""


def test_makefile_targets_with_recipes():
    targets = {t.name: t for t in parse_makefile("Makefile", MAKEFILE)}
    assert set(targets) == {"train", "evaluate", "test", "lint", "deploy", "push"}
    train = targets["train"]
    assert train.line == 11 and train.prerequisites == ("data/prepared.csv",)
    assert train.recipe == ("$(PYTHON) -m pkg.train --epochs 10", "$(MAKE) evaluate")
    assert targets["evaluate"].recipe == ("python -m pkg.evaluate   # comment after",)
    assert targets["test"].recipe == ("pytest -q",) and targets["lint"].recipe == ("pytest -q",)


def test_expand_target_follows_prerequisites_and_sub_make(tmp_path):
    _, f = facts(tmp_path, {"Makefile": MAKEFILE})
    assert [line for _, line in f.expand_target("deploy")] == ["docker push img:$(VERSION)", "kubectl apply -f k8s/"]
    assert "python -m pkg.evaluate   # comment after" in [line for _, line in f.expand_target("train")]


def test_justfile_recipes():
    text = ('set dotenv-load\nversion := "1.0"\n\n# train the model\ntrain epochs="10": prepare\n'
            '    python -m pkg.train --epochs {{epochs}}\n\n@prepare:\n    dvc pull\n\nalias t := train\n')
    targets = {t.name: t for t in parse_justfile("justfile", text)}
    assert set(targets) == {"train", "prepare"}
    assert targets["train"].prerequisites == ("prepare",)
    assert targets["train"].recipe == ("python -m pkg.train --epochs {{epochs}}",)
    assert targets["prepare"].recipe == ("dvc pull",)


def test_taskfile_and_poe_tasks(tmp_path):
    _, f = facts(tmp_path, {
        "Taskfile.yml": "version: '3'\ntasks:\n  train:\n    cmds:\n      - python train.py\n      - task: report\n",
        "pyproject.toml": '[project]\nname = "x"\n[tool.poe.tasks]\nfit = "python -m pkg.fit"\n'
                          'check = { shell = "ruff check ." }\n',
    })
    got = {(t.tool, t.name): t.recipe for t in f.targets}
    assert got[("task", "train")] == ("python train.py",)
    assert got[("poe", "fit")] == ("python -m pkg.fit",)
    assert got[("poe", "check")] == ("ruff check .",)


def test_make_target_predicate_name_or_recipe(tmp_path):
    project, _ = facts(tmp_path, {"Makefile": MAKEFILE})
    assert check(project, {"make-target": "^train$"}).ok
    assert check(project, {"make-target": {"recipe": r"kubectl\s+apply"}}).ok
    assert not check(project, {"make-target": {"name": "^serve$"}}).ok


# ------------------------------------------------------------------ containers


def test_dockerfile_base_images_healthcheck_and_continuations():
    d = parse_dockerfile("Dockerfile", "# c\nFROM --platform=linux/amd64 python:3.11 AS build\nRUN pip install \\\n"
                                       "    numpy\nFROM gcr.io/distroless/python3\n"
                                       "HEALTHCHECK --retries=3 CMD curl -f http://localhost/\nCMD [\"serve\"]\n")
    assert d.base_images == ["python:3.11", "gcr.io/distroless/python3"]
    assert d.healthcheck_line == 6
    assert [(i.line, i.keyword) for i in d.instructions] == [(2, "FROM"), (3, "RUN"), (5, "FROM"),
                                                             (6, "HEALTHCHECK"), (7, "CMD")]
    assert d.instructions[1].text == "pip install numpy"
    assert parse_dockerfile("Dockerfile", "FROM x\nHEALTHCHECK NONE\n").healthcheck_line is None


def test_container_kinds(tmp_path):
    _, f = facts(tmp_path, {
        "docker/Dockerfile.gpu": "FROM nvidia/cuda:12.2.0-runtime-ubuntu22.04\n",
        "Containerfile": "FROM fedora\n",
        "docker-compose.yml": "services:\n  api:\n    build: .\n    command: uvicorn app:app\n"
                              "    healthcheck:\n      test: [CMD, curl, localhost]\n      retries: 3\n",
        ".devcontainer/devcontainer.json": "{\n  // comments are allowed here\n  \"image\": \"python\"\n}\n",
        "hpc/train.def": "Bootstrap: docker\nFrom: python:3.11\n",
        "notes.def": "not an apptainer file\n",
        "cog.yaml": "predict: predict.py:Predictor\n",
    })
    kinds = {(c.path, c.kind) for c in f.containers}
    assert kinds == {("docker/Dockerfile.gpu", "dockerfile"), ("Containerfile", "dockerfile"),
                     ("docker-compose.yml", "compose"), (".devcontainer/devcontainer.json", "devcontainer"),
                     ("hpc/train.def", "apptainer"), ("cog.yaml", "cog")}
    (svc,) = f.compose_services
    assert (svc.name, svc.build, svc.command, svc.healthcheck) == ("api", True, "uvicorn app:app", True)


# ------------------------------------------------------------------ Kubernetes

MULTI_DOC = """# leading comment
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/model:1.2
---
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly-retrain
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      backoffLimit: 4
      template:
        spec:
          containers:
            - name: train
              command: ["python", "-m", "pkg.train"]
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: cleanup
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: rm
              command: ["sh", "-c", "rm -rf /tmp/cache"]
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: churn
spec:
  predictor:
    canaryTrafficPercent: 10
"""


def test_multi_document_manifests_kinds_lines_and_names(tmp_path):
    _, f = facts(tmp_path, {"k8s/all.yaml": MULTI_DOC})
    assert [(d.kind, d.name, d.line) for d in f.k8s] == [
        ("Deployment", "api", 4), ("CronJob", "nightly-retrain", 16), ("CronJob", "cleanup", 31),
        ("InferenceService", "churn", 45)]
    assert all(d.doc is not None for d in f.k8s)
    scheds = {s.detail.split(" (")[0]: s.ml for s in f.schedules}
    assert scheds == {"CronJob nightly-retrain": True, "CronJob cleanup": False}
    assert [i.tool for i in f.iac] == ["kubernetes"]


def test_k8s_predicates(tmp_path):
    project, _ = facts(tmp_path, {"k8s/all.yaml": MULTI_DOC})
    assert check(project, {"k8s-kind": "CronJob"}).ok
    assert not check(project, {"k8s-kind": "cronjob"}).ok  # kinds are case-sensitive
    out = check(project, {"k8s-field": {"kind": "InferenceService", "path": "spec.predictor.canaryTrafficPercent"}})
    assert out.ok and out.evidence[0].line == 50
    assert check(project, {"k8s-field": {"kind": ["Job", "CronJob"], "key": "backoffLimit"}}).ok
    assert not check(project, {"k8s-field": {"kind": "Deployment", "key": "backoffLimit"}}).ok
    assert check(project, {"container-runs": r"ghcr\.io/acme/model"}).ok
    assert check(project, {"infra-schedule": True}).ok


def test_k8s_field_min_count_and_equals(tmp_path):
    project, _ = facts(tmp_path, {"seldon.yaml": (
        "apiVersion: machinelearning.seldon.io/v1\nkind: SeldonDeployment\nmetadata:\n  name: s\nspec:\n"
        "  predictors:\n    - name: main\n      traffic: 100\n    - name: shadow\n      shadow: true\n")})
    assert not check(project, {"k8s-field": {"kind": "SeldonDeployment", "path": "spec.predictors.traffic",
                                             "min-count": 2}}).ok
    assert check(project, {"k8s-field": {"kind": "SeldonDeployment", "path": "spec.predictors.shadow",
                                         "equals": True}}).ok


def test_broken_and_templated_yaml_fall_back_to_regex(tmp_path):
    project, f = facts(tmp_path, {
        "k8s/broken.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\nspec: [oops\n",
        "chart/Chart.yaml": "apiVersion: v2\nname: churn\nversion: 0.1.0\n",
        "chart/templates/cron.yaml": "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n"
                                     "  name: {{ .Release.Name }}-score\nspec:\n  schedule: {{ .Values.cron }}\n",
        "k8s/argo.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  name: wf\nspec:\n"
                         "  arguments:\n    parameters:\n      - name: x\n        value: \"{{workflow.name}}\"\n",
    })
    got = {(d.path, d.kind): d for d in f.k8s}
    assert got[("k8s/broken.yaml", "Service")].doc is None and got[("k8s/broken.yaml", "Service")].name == "svc"
    cron = got[("chart/templates/cron.yaml", "CronJob")]
    assert cron.doc is None and cron.name == "{{ .Release.Name }}-score"
    assert got[("k8s/argo.yaml", "Workflow")].doc is not None  # quoted templating is still YAML
    problems = {p.path for p in project.problems}
    assert "k8s/broken.yaml" in problems and "chart/templates/cron.yaml" not in problems
    assert {i.tool for i in f.iac} == {"helm", "kubernetes"}
    assert [p.tool for p in f.pipelines] == ["argo"]


def test_wrongly_shaped_yaml_never_crashes(tmp_path):
    _, f = facts(tmp_path, {
        "a.yaml": "apiVersion: v1\nkind: [not, a, string]\n",
        "b.yaml": "- apiVersion: v1\n  kind: Pod\n",
        "c.yaml": "apiVersion: v1\nkind: Pod\nspec: 3\nmetadata: nope\n",
        "prometheus.yml": "scrape_configs: 7\n",
        "rules.yml": "groups:\n  - rules: nope\n  - 5\n",
        "alertmanager.yml": "route: x\nreceivers: {}\n",
        "dash.json": "{\"panels\": 3, \"title\": \"x\"}",
        "dvc.yaml": "stages:\n  s: 3\n",
    })
    assert [(d.path, d.kind) for d in f.k8s] == [("c.yaml", "Pod")]
    assert f.monitoring == []
    assert f.dvc.stages == []


# ------------------------------------------------------------------ IaC, monitoring, schedules


def test_terraform_resources_and_schedulers(tmp_path):
    project, f = facts(tmp_path, {"infra/main.tf": (
        'resource "aws_s3_bucket" "data" {\n  bucket = "x" # {\n}\n\n'
        'resource "aws_cloudwatch_event_rule" "nightly_retrain" {\n  schedule_expression = "rate(1 day)"\n}\n'
        'resource "aws_cloudwatch_event_rule" "on_upload" {\n  event_pattern = "{}"\n}\n'
        'module "vpc" {\n  source = "x"\n}\n')})
    assert [(r.type, r.name, r.line) for r in f.resources] == [
        ("aws_s3_bucket", "data", 1), ("aws_cloudwatch_event_rule", "nightly_retrain", 5),
        ("aws_cloudwatch_event_rule", "on_upload", 8), ("module.vpc", "", 11)]
    assert [(s.detail, s.ml) for s in f.schedules] == [("aws_cloudwatch_event_rule.nightly_retrain", True)]
    out = check(project, {"iac-resource": {"type": "aws_cloudwatch_event_rule", "body": "schedule_expression"}})
    assert out.ok and out.evidence[0].line == 6


def test_cloudformation_with_tags_is_read_without_yaml_errors(tmp_path):
    project, f = facts(tmp_path, {"template.yaml": (
        "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\nResources:\n"
        "  ScoreFn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: app.handler\n"
        "      Role: !GetAtt Role.Arn\n      Events:\n        Nightly:\n          Type: Schedule\n"
        "          Properties:\n            Schedule: rate(1 day)\n"
        "  Alarm:\n    Type: AWS::CloudWatch::Alarm\n    Properties:\n      Threshold: !Ref T\n")})
    assert [(r.type, r.name, r.line) for r in f.resources] == [("AWS::Serverless::Function", "ScoreFn", 4),
                                                               ("AWS::CloudWatch::Alarm", "Alarm", 14)]
    assert [i.tool for i in f.iac] == ["sam"]
    assert [s.source for s in f.schedules] == ["cloudformation"]
    assert project.problems == []


def test_other_iac_tools(tmp_path):
    project, _ = facts(tmp_path, {"Pulumi.yaml": "name: x\nruntime: python\n", "cdk.json": "{}",
                                  "serverless.yml": "service: x\n", "ansible.cfg": "[defaults]\n",
                                  "kustomization.yaml": "resources: [a.yaml]\n",
                                  "main.bicep": "resource sa 'Microsoft.Storage/storageAccounts@2023-01-01' = {\n}\n"})
    out = check(project, {"iac": True})
    assert {e.detail.split(":")[0] for e in out.evidence} == {"pulumi", "cdk", "serverless", "ansible",
                                                              "kustomize", "bicep"}
    assert not check(project, {"iac": ["terraform"]}).ok


def test_monitoring_configs(tmp_path):
    _, f = facts(tmp_path, {
        "monitoring/prometheus.yml": "scrape_configs:\n  - job_name: api\n",
        "monitoring/rules.yml": "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: up\n"
                                "      - alert: Down\n        expr: up == 0\n"
                                "        annotations:\n          summary: \"{{ $labels.instance }} down\"\n",
        "monitoring/recording.yml": "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: up\n",
        "monitoring/alertmanager.yml": "route:\n  receiver: team\nreceivers:\n  - name: team\n",
        "grafana/dash.json": "{\"dashboard\": {\"title\": \"API\", \"panels\": [{\"type\": \"row\", \"panels\": "
                             "[{\"alert\": {\"name\": \"x\"}}]}]}}",
        "grafana/provisioning/alerting/rules.yaml": "apiVersion: 1\ngroups:\n  - name: g\n    rules:\n"
                                                    "      - uid: a\n        condition: B\n        data: []\n",
        "grafana/provisioning/datasources/ds.yaml": "apiVersion: 1\ndatasources:\n  - name: prom\n",
    })
    kinds = sorted((m.path, m.kind) for m in f.monitoring)
    assert kinds == [
        ("grafana/dash.json", "grafana-alerts"), ("grafana/dash.json", "grafana-dashboard"),
        ("grafana/provisioning/alerting/rules.yaml", "grafana-alerts"),
        ("grafana/provisioning/datasources/ds.yaml", "grafana-provisioning"),
        ("monitoring/alertmanager.yml", "alertmanager"),
        ("monitoring/prometheus.yml", "prometheus-scrape"),
        ("monitoring/recording.yml", "prometheus-rules"),
        ("monitoring/rules.yml", "prometheus-alerts"), ("monitoring/rules.yml", "prometheus-rules"),
    ]


def test_pipeline_files_and_crontab(tmp_path):
    project, f = facts(tmp_path, {
        "workflow/Snakefile": "rule train:\n    input: 'data.csv'\n    shell: 'python train.py'\n",
        "MLproject": "name: x\nentry_points:\n  main:\n    command: python train.py\n",
        "ops/crontab": "# m h dom mon dow cmd\n0 3 * * 1 python -m pkg.retrain\n@daily /usr/bin/backup-db\n",
    })
    assert {p.tool for p in f.pipelines} == {"snakemake", "mlflow-project"}
    assert [(e.name, e.command) for e in f.entry_points] == [("main", "python train.py")]
    assert [(s.line, s.ml) for s in f.schedules] == [(2, True), (3, False)]
    assert check(project, {"mlproject": True}).ok
    assert check(project, {"pipeline-file": ["snakemake"]}).ok


def test_empty_repository_has_empty_facts(tmp_path):
    project, f = facts(tmp_path, {"README.md": "# x\n"})
    assert (f.dvc.stages, f.targets, f.containers, f.k8s, f.iac, f.monitoring, f.schedules) == ([],) * 7
    assert not check(project, {"container": True}).ok
    assert project.problems == []


# ------------------------------------------------------------------ robustness

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

LINES = st.lists(st.sampled_from([
    "train: deps", "\tpython train.py", "\t", "x := 1", "define X", "endef", "a b: ; c", "\\", "target:\\",
    "  indented", "@recipe arg='1':", "FROM python", "RUN a \\", "HEALTHCHECK NONE", ":", "::=", "#", "",
    "ifeq ($(A),1)", "endif", "alias t := train", "[private]",
]) | st.text(max_size=30), max_size=30).map("\n".join)


@settings(max_examples=200, deadline=None)
@given(LINES)
def test_text_parsers_never_raise(text):
    for t in parse_makefile("Makefile", text) + parse_justfile("justfile", text):
        assert t.name and isinstance(t.recipe, tuple)
    parse_dockerfile("Dockerfile", text)


def test_garbage_in_every_recognised_file_never_crashes(tmp_path):
    junk = "\x01 {{ ]] : - !Ref\n\t- [\n}\n"
    names = ["dvc.yaml", ".dvc/config", "x.dvc", "MLproject", "Makefile", "justfile", "Taskfile.yml",
             "Dockerfile", "docker-compose.yml", "k8s/a.yaml", "chart/Chart.yaml", "main.tf", "t.template",
             "serverless.yml", "monitoring/dash.json", "monitoring/prometheus.yml", "Snakefile", "crontab",
             "pyproject.toml", "prefect.yaml", "main.bicep"]
    files = {n: junk for n in names}
    files["k8s/b.yaml"] = "apiVersion: v1\nkind: Pod\n" + junk
    files["monitoring/alertmanager.yml"] = "route: 1\nreceivers: 2\n"
    files["k8s/binary.yaml"] = "apiVersion: v1\nkind: Pod\n\x00"
    project, f = facts(tmp_path, files)
    assert [(d.path, d.kind, d.doc) for d in f.k8s] == [("k8s/b.yaml", "Pod", None)]
    for node in ({"dvc": "any"}, {"make-target": "x"}, {"container": True}, {"iac": True},
                 {"monitoring-config": True}, {"pipeline-file": True}, {"infra-schedule": "any"},
                 {"k8s-field": {"key": "x"}}, {"iac-resource": "."}, {"container-runs": "x"}):
        check(project, node)  # evaluates without raising


def test_vendored_trees_are_not_project_infrastructure(tmp_path):
    _, f = facts(tmp_path, {
        ".venv/pyvenv.cfg": "home = /usr/bin\n",
        ".venv/lib/python3.11/site-packages/pkg/Dockerfile": "FROM python\n",
        "env/pyvenv.cfg": "home = /usr/bin\n",
        "env/share/k8s.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n",
        "node_modules/x/Makefile": "train:\n\tnode train.js\n",
        "Dockerfile": "FROM python:3.11\n",
    })
    assert [c.path for c in f.containers] == ["Dockerfile"]
    assert f.k8s == [] and f.targets == []
