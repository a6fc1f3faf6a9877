"""The CI model: every vendor normalised into jobs with commands, lines, triggers and matrix."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.facts.ci_yaml import command_kind, split_script
from auditor.project import Project
from tests.helpers import make_repo


def model(tmp_path, files):
    files = {k: textwrap.dedent(v).lstrip("\n") if isinstance(v, str) else v for k, v in files.items()}
    project = Project(make_repo(tmp_path, files), use_git=False)
    return project.fact("ci"), project


def job(m, name):
    matches = [j for j in m.jobs if j.name == name]
    assert matches, f"no job {name!r} in {[j.name for j in m.jobs]}"
    return matches[0]


def texts(j):
    return [c.text for c in j.commands]


def runs(j):
    """Every (text, file, line) a job runs, through indirections."""
    return [(s.text, s.file, s.line) for c in j.commands for s in c.candidates() if s.kind == "run"]


# ---------------------------------------------------------------- shell splitting

def test_split_script_lines_continuations_heredocs_and_operators():
    script = "pip install -e . && pytest \\\n  -q\n# comment\n\ncat <<EOF > f\npytest not-a-command\nEOF\necho a; ruff check .\n"
    assert split_script(script, 10) == [
        ("pip install -e .", 10), ("pytest -q", 10), ("cat <<EOF > f", 14), ("echo a", 17), ("ruff check .", 17)]


def test_split_script_keeps_quoted_operators():
    assert split_script('python -c "import a; print(1)" && pytest', 1) == [
        ('python -c "import a; print(1)"', 1), ("pytest", 1)]


@pytest.mark.parametrize("text, kind", [
    ("pip install pytest", "install"), ("python -m pip install -U pip", "install"), ("uv sync --all-extras", "install"),
    ("poetry install --with dev", "install"), ("pre-commit install", "install"), ("sudo apt-get install -y graphviz", "install"),
    ("echo running pytest", "info"), ("pytest --version", "info"),
    ("pytest -q", "run"), ("uv run pytest", "run"), ("pre-commit run --all-files", "run"), ("tox -e py", "run"),
])
def test_command_kind(text, kind):
    assert command_kind(text) == kind


# ---------------------------------------------------------------- GitHub Actions

def test_github_jobs_commands_lines_triggers_matrix(tmp_path):
    m, _ = model(tmp_path, {".github/workflows/ci.yml": """
        name: CI
        on:
          push:
            branches: [main]
          pull_request:
          schedule:
            - cron: "0 3 * * 1"
        jobs:
          test:
            runs-on: ${{ matrix.os }}
            strategy:
              matrix:
                os: [ubuntu-latest, windows-latest]
                py: [3.10, "3.11"]
                include:
                  - os: macos-latest
                    py: "3.12"
            steps:
              - uses: actions/checkout@v4
              - uses: actions/setup-python@v5
                with:
                  python-version: ${{ matrix.py }}
              - run: |
                  pip install -e .[test]
                  pytest --cov=src
          train:
            if: github.event_name == 'schedule'
            runs-on: ubuntu-latest
            steps:
              - run: dvc repro
        """})
    assert m.files["github-actions"] == [".github/workflows/ci.yml"]
    test = job(m, "test")
    assert test.line == 9
    assert test.triggers == {"push", "pull_request", "schedule"}
    assert test.matrix == {"os": ["ubuntu-latest", "windows-latest", "macos-latest"], "python": ["3.10", "3.11", "3.12"]}
    assert test.python == ["3.10", "3.11", "3.12"]  # 3.10 stays "3.10", not 3.1
    assert [(c.text, c.line, c.kind) for c in test.commands] == [
        ("pip install -e .[test]", 24, "install"), ("pytest --cov=src", 25, "run")]
    assert test.uses == ["actions/checkout@v4", "actions/setup-python@v5"]
    train = job(m, "train")
    assert train.triggers == {"schedule"}  # narrowed by `if: github.event_name == 'schedule'`
    assert train.os == ["ubuntu-latest"]


def test_github_on_forms_and_tags(tmp_path):
    m, _ = model(tmp_path, {
        ".github/workflows/a.yml": "on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{run: make}]\n",
        ".github/workflows/b.yml": "on: [pull_request, workflow_dispatch]\njobs:\n  b:\n    steps: [{run: make}]\n",
        ".github/workflows/c.yml": "on:\n  push:\n    tags: ['v*']\n  release:\njobs:\n  c:\n    steps: [{run: make}]\n",
    })
    assert job(m, "a").triggers == {"push"}
    assert job(m, "b").triggers == {"pull_request", "manual"}
    assert job(m, "c").triggers == {"tag", "release"}


def test_github_working_directory_local_action_and_reusable_workflow(tmp_path):
    m, _ = model(tmp_path, {
        ".github/workflows/ci.yml": """
            on:
              schedule: [{cron: "0 0 * * *"}]
            jobs:
              setup:
                runs-on: ubuntu-latest
                defaults:
                  run:
                    working-directory: service
                steps:
                  - uses: ./.github/actions/setup
                  - run: make test
              call:
                uses: ./.github/workflows/train.yml
            """,
        ".github/workflows/train.yml": """
            on: workflow_call
            jobs:
              fit:
                runs-on: ubuntu-latest
                steps: [{run: python train.py}]
            """,
        ".github/actions/setup/action.yml": """
            runs:
              using: composite
              steps:
                - run: pip install -r requirements.txt
                  shell: bash
                - run: ruff check .
                  shell: bash
            """,
        "service/Makefile": "test:\n\tpytest tests\n",
    })
    setup = job(m, "setup")
    assert ("ruff check .", ".github/actions/setup/action.yml", 6) in runs(setup)
    make = next(c for c in setup.commands if c.text == "make test")
    assert make.cwd == "service" and make.resolved
    assert [(s.text, s.file, s.line) for s in make.expands] == [("pytest tests", "service/Makefile", 2)]
    # a reusable workflow's jobs run on the triggers of their caller
    assert job(m, "fit").triggers == {"call", "schedule"}
    assert job(m, "call").uses == ["./.github/workflows/train.yml"]


def test_github_wrongly_shaped_yaml_never_raises(tmp_path):
    m, project = model(tmp_path, {
        ".github/workflows/a.yml": "- just\n- a list\n",
        ".github/workflows/b.yml": "on: 3\njobs: [1, 2]\n",
        ".github/workflows/c.yml": "on: push\njobs:\n  x: [1]\n  y:\n    steps: {run: pytest}\n    strategy: {matrix: '${{ fromJson(x) }}'}\n  z:\n    steps: [3, null, {run: [1]}, {uses: 5}]\n",
        ".github/workflows/d.yml": "",
    })
    assert len(m.files["github-actions"]) == 4
    assert {j.name for j in m.jobs} == {"y", "z"}
    assert job(m, "y").matrix == {} and job(m, "y").commands == []
    assert project.problems == []


# ---------------------------------------------------------------- broken YAML

def test_broken_yaml_counts_as_configured_with_a_problem_and_no_jobs(tmp_path):
    m, project = model(tmp_path, {
        ".github/workflows/ci.yml": "on: push\njobs:\n  test:\n    steps:\n      - run: pytest\n     bad: [\n",
        ".gitlab-ci.yml": "test:\n  script: [pytest\n",
    })
    assert m.configured and m.files["github-actions"] == [".github/workflows/ci.yml"]
    assert m.jobs == []
    paths = {p.path for p in project.problems}
    assert paths == {".github/workflows/ci.yml", ".gitlab-ci.yml"}
    assert all("unparsable" in p.detail and "line" in p.detail for p in project.problems)


@pytest.mark.parametrize("levels", [8, 25])  # 80 aliases pass the alias count but expand to 10**9 nodes
def test_yaml_alias_bomb_is_a_problem_not_a_hang(tmp_path, levels):
    bomb = "a: &a [[], [], [], [], [], [], [], [], [], []]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(levels))
    last = chr(97 + levels)
    m, project = model(tmp_path, {".gitlab-ci.yml": bomb + f"test:\n  script: *{last}\n",
                                  "azure-pipelines.yml": bomb + f"steps: *{last}\n"})
    assert m.configured and m.jobs == []
    assert {p.path for p in project.problems} == {".gitlab-ci.yml", "azure-pipelines.yml"}
    assert all("alias" in p.detail for p in project.problems)


def test_recursive_yaml_alias_is_a_problem(tmp_path):
    m, project = model(tmp_path, {".gitlab-ci.yml": "a: &a [1, *a]\ntest:\n  script: *a\n"})
    assert m.jobs == [] and "recursive" in project.problems[0].detail


# ---------------------------------------------------------------- GitLab CI

def test_gitlab_extends_default_hidden_jobs_include_and_reference(tmp_path):
    m, project = model(tmp_path, {
        ".gitlab-ci.yml": """
            include:
              - local: ci/templates.yml
              - template: Security/SAST.gitlab-ci.yml
            default:
              image: python:3.11
              before_script:
                - pip install -e .
            stages: [test, train]
            test:
              extends: .pytest
              parallel:
                matrix:
                  - PYTHON_VERSION: ["3.10", "3.11"]
              image: python:$PYTHON_VERSION
            nightly:
              stage: train
              script: !reference [.train, script]
              rules:
                - if: $CI_PIPELINE_SOURCE == "schedule"
            lint:
              script: ruff check .
              only: [merge_requests]
            release:
              script: [make publish]
              rules:
                - if: $CI_COMMIT_TAG
            manual-deploy:
              script: helm upgrade svc chart/
              when: manual
            """,
        "ci/templates.yml": """
            .pytest:
              script:
                - echo start
                - - pytest --cov
                  - coverage xml
            .train:
              script: |
                dvc pull
                dvc repro
            """,
    })
    assert m.files["gitlab-ci"] == [".gitlab-ci.yml", "ci/templates.yml"]
    assert project.problems == []  # `!reference` is GitLab syntax, not an error
    test = job(m, "test")
    assert [(c.text, c.file, c.line) for c in test.commands] == [
        ("pip install -e .", ".gitlab-ci.yml", 7),
        ("echo start", "ci/templates.yml", 3), ("pytest --cov", "ci/templates.yml", 4),
        ("coverage xml", "ci/templates.yml", 5)]
    assert test.matrix == {"python": ["3.10", "3.11"]} and test.python == ["3.10", "3.11"]
    assert test.triggers == {"push", "tag"}
    nightly = job(m, "nightly")
    assert nightly.triggers == {"schedule"}
    assert [(c.text, c.file, c.line) for c in nightly.commands][-2:] == [
        ("dvc pull", "ci/templates.yml", 8), ("dvc repro", "ci/templates.yml", 9)]
    assert nightly.python == ["3.11"]
    assert job(m, "lint").triggers == {"pull_request"}
    assert job(m, "release").triggers == {"tag"}
    assert job(m, "manual-deploy").triggers == {"manual"}
    assert not any(j.name.startswith(".") for j in m.jobs)
    sast = [j for j in m.jobs if "template:Security/SAST.gitlab-ci.yml" in j.uses]
    assert sast and sast[0].file == ".gitlab-ci.yml"


def test_gitlab_child_pipeline_and_inherit_and_except(tmp_path):
    m, _ = model(tmp_path, {
        ".gitlab-ci.yml": """
            before_script: [source env.sh]
            trigger-ml:
              trigger:
                include: ml/.gitlab-ci.yml
              rules:
                - if: $CI_PIPELINE_SOURCE == "schedule"
            plain:
              inherit:
                default: false
              script: [pytest]
              except: [schedules]
            """,
        "ml/.gitlab-ci.yml": "train:\n  script:\n    - python train.py\n",
    })
    assert "ml/.gitlab-ci.yml" in m.files["gitlab-ci"]
    train = job(m, "train")
    assert train.file == "ml/.gitlab-ci.yml" and train.triggers == {"schedule"}
    plain = job(m, "plain")
    assert texts(plain) == ["pytest"]  # inherit: default: false drops the global before_script
    assert plain.triggers == {"push", "tag"}


def test_gitlab_rules_and_scripts_through_references(tmp_path):
    m, _ = model(tmp_path, {".gitlab-ci.yml": """
        .nightly-rules:
          rules:
            - if: $CI_PIPELINE_SOURCE == "schedule"
        .setup:
          script: [pip install -e .]
        retrain:
          rules:
            - !reference [.nightly-rules, rules]
          before_script: !reference [.setup, script]
          script:
            - # a null item
            - python -m churn.train
        """})
    retrain = job(m, "retrain")
    assert retrain.triggers == {"schedule"}
    assert [(c.text, c.line) for c in retrain.commands] == [("pip install -e .", 5), ("python -m churn.train", 12)]


# ---------------------------------------------------------------- Azure Pipelines

def test_azure_stages_jobs_steps_schedules_matrix_templates(tmp_path):
    m, _ = model(tmp_path, {
        "azure-pipelines.yml": """
            trigger: [main]
            pr: none
            schedules:
              - cron: "0 2 * * *"
                branches: {include: [main]}
            stages:
              - stage: Test
                jobs:
                  - job: tests
                    pool: {vmImage: $(imageName)}
                    strategy:
                      matrix:
                        linux_py311: {imageName: ubuntu-latest, python.version: "3.11"}
                        mac_py312: {imageName: macos-latest, python.version: "3.12"}
                    steps:
                      - task: UsePythonVersion@0
                        inputs: {versionSpec: $(python.version)}
                      - script: |
                          python -m pip install -e .
                          pytest
                      - bash: ruff check .
                      - template: templates/audit.yml
              - stage: Deploy
                jobs:
                  - deployment: serve
                    environment: prod
                    strategy:
                      runOnce:
                        deploy:
                          steps:
                            - task: Docker@2
                              inputs: {command: buildAndPush, repository: churn}
                            - task: AzureCLI@2
                              inputs:
                                scriptType: bash
                                inlineScript: az ml online-deployment update -f deploy.yml
            """,
        "templates/audit.yml": "steps:\n  - script: pip-audit\n",
    })
    assert m.files["azure-pipelines"] == ["azure-pipelines.yml"]
    tests = job(m, "tests")
    assert tests.triggers == {"push", "schedule"}
    assert tests.matrix["os"] == ["ubuntu-latest", "macos-latest"]
    assert tests.python == ["3.11", "3.12"]
    assert [(c.text, c.line) for c in tests.commands][:3] == [
        ("python -m pip install -e .", 19), ("pytest", 20), ("ruff check .", 21)]
    assert ("pip-audit", "templates/audit.yml", 2) in runs(tests)
    assert "UsePythonVersion@0" in tests.uses
    serve = job(m, "serve")
    assert "Docker@2 (command: buildAndPush)" in serve.uses
    assert texts(serve) == ["az ml online-deployment update -f deploy.yml"]
    # a file used only as a template is not a pipeline of its own
    assert {j.file for j in m.jobs} == {"azure-pipelines.yml"}


def test_azure_top_level_steps_and_default_triggers(tmp_path):
    m, _ = model(tmp_path, {"azure-pipelines.yml": "pool: {vmImage: ubuntu-22.04}\nsteps:\n  - pwsh: pytest\n"})
    j = m.jobs[0]
    assert j.triggers == {"push", "pull_request"} and j.os == ["ubuntu-22.04"] and texts(j) == ["pytest"]


# ---------------------------------------------------------------- CircleCI

def test_circleci_jobs_workflows_schedule_matrix_orbs_commands(tmp_path):
    m, _ = model(tmp_path, {".circleci/config.yml": """
        version: 2.1
        orbs:
          python: circleci/python@2.1.1
          snyk: snyk/snyk@1.7.0
        commands:
          lint:
            steps:
              - run: ruff check .
        jobs:
          test:
            parameters:
              version: {type: string}
            docker:
              - image: cimg/python:<< parameters.version >>
            steps:
              - checkout
              - python/install-packages:
                  pkg-manager: pip
              - lint
              - run:
                  name: tests
                  command: pytest -q
          retrain:
            docker: [{image: "python:3.11"}]
            steps:
              - run: dvc repro
              - snyk/scan
        workflows:
          ci:
            jobs:
              - test:
                  matrix:
                    parameters:
                      version: ["3.10", "3.11"]
          nightly:
            triggers:
              - schedule:
                  cron: "0 0 * * *"
                  filters: {branches: {only: [main]}}
            jobs: [retrain]
        """})
    test = job(m, "test")
    assert test.triggers == {"push"}
    assert test.matrix == {"python": ["3.10", "3.11"]} and test.python == ["3.10", "3.11"]
    assert [(c.text, c.line) for c in test.commands] == [("ruff check .", 8), ("pytest -q", 22)]
    assert "circleci/python@2.1.1 install-packages" in test.uses
    retrain = job(m, "retrain")
    assert retrain.triggers == {"schedule"} and retrain.python == ["3.11"]
    assert "snyk/snyk@1.7.0 scan" in retrain.uses


# ---------------------------------------------------------------- Bitbucket, Travis

def test_bitbucket_pipelines_sections_steps_pipes(tmp_path):
    m, _ = model(tmp_path, {"bitbucket-pipelines.yml": """
        image: python:3.12
        definitions:
          steps:
            - step: &test
                name: Test
                script:
                  - pip install -r requirements.txt
                  - pytest
        pipelines:
          default:
            - step: *test
          pull-requests:
            '**':
              - parallel:
                  - step: *test
                  - step:
                      name: Lint
                      script: [ruff check .]
          custom:
            retrain:
              - step:
                  name: Train
                  script:
                    - python train.py
                    - pipe: atlassian/aws-s3-deploy:1.1.0
                      variables: {S3_BUCKET: models}
        """})
    names = [(j.name, frozenset(j.triggers)) for j in m.jobs]
    assert ("Test", frozenset({"push"})) in names and ("Test", frozenset({"pull_request"})) in names
    assert ("Lint", frozenset({"pull_request"})) in names
    train = job(m, "Train")
    assert train.triggers == {"manual"}
    assert texts(train) == ["python train.py"] and train.uses == ["atlassian/aws-s3-deploy:1.1.0"]
    assert job(m, "Test").python == ["3.12"]
    assert job(m, "Test").commands[1].line == 8


def test_travis_python_list_os_include_and_cron_condition(tmp_path):
    m, _ = model(tmp_path, {".travis.yml": """
        language: python
        python: ["3.10", "3.11"]
        os: [linux, osx]
        install: pip install -e .
        script:
          - pytest
        jobs:
          include:
            - python: "3.12"
            - name: nightly-train
              if: type = cron
              script: dvc repro
        deploy:
          provider: pypi
        """})
    build = job(m, "build")
    assert build.matrix == {"python": ["3.10", "3.11", "3.12"], "os": ["linux", "osx"]}
    assert build.triggers == {"push", "pull_request"}  # Travis cron lives in settings: invisible
    assert [(c.text, c.line) for c in build.commands] == [("pip install -e .", 4), ("pytest", 6)]
    assert "deploy:pypi" in build.uses
    nightly = job(m, "nightly-train")
    assert nightly.triggers == {"schedule"}
    assert texts(nightly) == ["pip install -e .", "dvc repro"]


# ---------------------------------------------------------------- Jenkins and text-only vendors

def test_jenkinsfile_stages_shell_steps_cron_and_matrix(tmp_path):
    m, _ = model(tmp_path, {"Jenkinsfile": """
        pipeline {
          agent any
          triggers { cron('H 2 * * *') }
          stages {
            stage('Test') {
              matrix {
                axes {
                  axis {
                    name 'PYTHON_VERSION'
                    values '3.10', '3.11'
                  }
                }
                stages {
                  stage('Unit') {
                    steps {
                      sh 'pip install -e . && pytest -q'
                      sh(script: "ruff check .", label: 'lint')
                    }
                  }
                }
              }
            }
            stage("Train") {
              steps {
                sh '''
                  dvc pull
                  dvc repro
                '''
              }
            }
          }
        }
        """})
    unit = job(m, "Unit")
    assert [(c.text, c.line) for c in unit.commands] == [
        ("pip install -e .", 16), ("pytest -q", 16), ("ruff check .", 17)]
    assert unit.triggers == {"schedule"}
    assert unit.python == ["3.10", "3.11"]
    assert [(c.text, c.line) for c in job(m, "Train").commands] == [("dvc pull", 26), ("dvc repro", 27)]


def test_other_vendors_detected_and_read(tmp_path):
    m, _ = model(tmp_path, {
        ".drone.yml": "kind: pipeline\nname: ci\nsteps:\n  - name: test\n    image: python:3.11\n    commands:\n      - pytest\ntrigger:\n  event: [push, cron]\n",
        ".woodpecker/test.yml": "steps:\n  test:\n    image: python:3.12\n    commands: [pytest]\nwhen:\n  - event: pull_request\n",
        "cloudbuild.yaml": "steps:\n  - name: gcr.io/cloud-builders/docker\n    args: [build, -t, gcr.io/p/churn, .]\n  - name: python:3.11\n    entrypoint: bash\n    args: [-c, 'pip install -e . && pytest']\nimages: [gcr.io/p/churn]\n",
        "buildspec.yml": "version: 0.2\nphases:\n  install:\n    runtime-versions: {python: 3.11}\n    commands: [pip install -e .]\n  build:\n    commands:\n      - pytest\n",
        ".buildkite/pipeline.yml": "steps:\n  - label: tests\n    command: pytest\n    plugins:\n      - docker#v5.9.0: {image: python}\n  - wait\n",
        ".tekton/pr.yaml": "apiVersion: tekton.dev/v1\nkind: PipelineRun\nmetadata:\n  name: pr\n  annotations:\n    pipelinesascode.tekton.dev/on-event: \"[pull_request]\"\nspec:\n  pipelineSpec:\n    tasks:\n      - name: test\n        taskSpec:\n          steps:\n            - name: t\n              image: python:3.12\n              script: |\n                pytest\n",
        ".prow.yaml": "presubmits:\n  - name: unit\n    spec:\n      containers:\n        - image: python:3.12\n          command: [make]\n          args: [test]\n",
        "Jenkinsfile.nightly": "node { stage('x') { sh 'make train' } }\n",
    })
    assert {s for s, f in m.files.items() if f} == {
        "drone", "woodpecker", "cloud-build", "codebuild", "buildkite", "tekton", "prow", "jenkins"}
    by_system = {j.system: j for j in m.jobs}
    assert texts(by_system["drone"]) == ["pytest"] and by_system["drone"].triggers == {"push", "schedule"}
    assert by_system["woodpecker"].triggers == {"pull_request"} and by_system["woodpecker"].python == ["3.12"]
    assert texts(by_system["cloud-build"]) == [
        "docker build -t gcr.io/p/churn .", "pip install -e .", "pytest", "docker push gcr.io/p/churn"]
    assert texts(by_system["codebuild"]) == ["pip install -e .", "pytest"] and by_system["codebuild"].python == ["3.11"]
    assert texts(by_system["buildkite"]) == ["pytest"] and by_system["buildkite"].uses == ["docker#v5.9.0"]
    assert texts(by_system["tekton"]) == ["pytest"] and by_system["tekton"].triggers == {"pull_request"}
    assert texts(by_system["prow"]) == ["make test"] and by_system["prow"].triggers == {"pull_request"}
    assert texts(by_system["jenkins"]) == ["make train"]


def test_no_ci(tmp_path):
    m, _ = model(tmp_path, {"README.md": "# hi\n", "ci/notes.yml": "jobs: {}\n"})
    assert not m.configured and m.jobs == [] and m.systems == []


# ---------------------------------------------------------------- indirection

def test_tox_envlist_commands_factors_and_interpreters(tmp_path):
    m, _ = model(tmp_path, {
        ".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    steps:\n      - run: tox\n      - run: tox -e lint\n",
        "tox.ini": """
            [tox]
            envlist = py{310,311}, lint

            [testenv]
            deps = pytest
            commands =
                pip install -e .
                py311: pytest --cov {posargs:tests}
                !py311: pytest {posargs}

            [testenv:lint]
            commands = ruff check .
            """,
    })
    tox, lint = job(m, "t").commands
    assert tox.resolved and tox.interpreters == ["3.10", "3.11"]
    assert [(s.text, s.line, s.kind) for s in tox.expands if s.via == "tox env `py311`"] == [
        ("pip install -e .", 7, "install"), ("pytest --cov tests", 8, "run")]
    assert [s.text for s in tox.expands if s.via == "tox env `py310`"] == ["pip install -e .", "pytest"]
    assert [(s.text, s.file, s.line) for s in lint.expands] == [("ruff check .", "tox.ini", 12)]


def test_nox_sessions_read_with_ast_never_imported(tmp_path):
    m, _ = model(tmp_path, {
        ".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    steps:\n      - run: nox -s tests\n      - run: nox\n",
        "noxfile.py": """
            import nox
            raise SystemExit("never imported")
            PYTHONS = ["3.10", "3.11", "3.12"]
            nox.options.sessions = ["lint"]

            @nox.session(python=PYTHONS)
            def tests(session):
                session.install("-e", ".[test]")
                session.run("pytest", "--cov", *session.posargs)

            @nox.session
            def lint(session):
                session.run("ruff", "check", ".")
            """,
    })
    tests, default = job(m, "t").commands
    assert [(s.text, s.line) for s in tests.expands] == [("pytest --cov …", 9)]
    assert tests.interpreters == ["3.10", "3.11", "3.12"]
    assert [s.text for s in default.expands] == ["ruff check ."]


def test_make_just_poe_hatch_scripts_and_unresolved(tmp_path):
    m, _ = model(tmp_path, {
        ".github/workflows/ci.yml": """
            on: push
            jobs:
              t:
                steps:
                  - run: make -C ml demo
                  - run: just test
                  - run: poetry run poe check
                  - run: hatch run test:cov
                  - run: bash scripts/ci.sh
                  - run: make nothing-here
                  - run: invoke test
            """,
        "ml/Makefile": "PY := python3\n.PHONY: demo\ndemo:\n\t@$(PY) examples/demo.py\n",
        "justfile": "default: test\n\ntest: lint\n    pytest -x\n\nlint:\n    ruff check .\n",
        "pyproject.toml": """
            [tool.poe.tasks]
            check = ["lint", "test"]
            lint = "ruff check ."
            test = { cmd = "pytest" }

            [tool.hatch.envs.test]
            scripts = { cov = "pytest --cov" }
            [[tool.hatch.envs.test.matrix]]
            python = ["3.11", "3.12"]
            """,
        "scripts/ci.sh": "#!/usr/bin/env bash\nset -e\ncd service\npytest -q\n",
        "tasks.py": "from invoke import task\n\n@task\ndef test(c):\n    c.run('pytest -q tests')\n",
    })
    make, just, poe, hatch, script, missing, inv = job(m, "t").commands
    assert [(s.text, s.file, s.line) for s in make.expands] == [("python3 examples/demo.py", "ml/Makefile", 4)]
    assert [s.text for s in just.expands] == ["ruff check .", "pytest -x"]
    assert [s.text for s in poe.expands] == ["ruff check .", "pytest"]
    assert [s.text for s in hatch.expands] == ["pytest --cov"] and hatch.interpreters == ["3.11", "3.12"]
    assert [(s.text, s.line) for s in script.expands] == [("set -e", 2), ("pytest -q", 4)]
    assert not missing.resolved and missing.expands == []
    assert [(s.text, s.line) for s in inv.expands] == [("pytest -q tests", 5)]


def test_pre_commit_run_adds_hooks(tmp_path):
    m, _ = model(tmp_path, {
        ".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    steps:\n      - run: pre-commit run --all-files\n",
        ".pre-commit-config.yaml": "repos:\n  - repo: https://github.com/PyCQA/bandit\n    rev: 1.7.9\n    hooks:\n      - id: bandit\n  - repo: local\n    hooks:\n      - id: types\n        entry: mypy src\n        language: system\n",
    })
    cmd = job(m, "t").commands[0]
    assert not cmd.resolved  # pre-commit itself still counts as running pre-commit
    assert [(s.text, s.line) for s in cmd.expands] == [("bandit", 5), ("types: mypy src", 8)]
    assert m.precommit_ci == []


# ---------------------------------------------------------------- never crash on odd shapes

_KEYS = ["on", "jobs", "steps", "run", "uses", "with", "strategy", "matrix", "include", "script", "stages",
         "extends", "rules", "if", "only", "default", "before_script", "parallel", "trigger", "pr", "schedules",
         "job", "deployment", "template", "task", "inputs", "pool", "vmImage", "workflows", "orbs", "commands",
         "docker", "image", "pipelines", "step", "python", "os", "deploy", "phases", "spec", "containers",
         "command", "args", "when", "event", "kind", "apiVersion", "tasks", "presubmits", "local", "runs-on",
         "python-version", "working-directory", "variables", "branches", "tags", ".hidden", "test"]
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(
    ["pytest", "make test", "tox -e py", "3.10", "./x.sh", "ci/a.yml", "tekton.dev/v1", "Task", "none", "*"]))
_trees = st.recursive(_scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.sampled_from(_KEYS), children, max_size=5)), max_leaves=25)

_FILES = [".github/workflows/ci.yml", ".gitlab-ci.yml", "azure-pipelines.yml", ".circleci/config.yml",
          ".travis.yml", "bitbucket-pipelines.yml", ".buildkite/pipeline.yml", ".drone.yml", ".woodpecker.yml",
          "cloudbuild.yaml", "buildspec.yml", ".tekton/run.yaml", ".prow.yaml", "ci/a.yml"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=st.lists(_trees, min_size=len(_FILES), max_size=len(_FILES)))
def test_any_yaml_shape_gives_a_model_never_an_exception(tmp_path_factory, docs):
    import yaml

    root = tmp_path_factory.mktemp("fuzz")
    files = {rel: yaml.safe_dump(doc) for rel, doc in zip(_FILES, docs)}
    files["Makefile"] = "test: test\n\t$(MAKE) test\n"  # a self-recursive target must not loop
    files["tox.ini"] = "[tox]\nenvlist = {py310,py311\n[testenv]\ncommands = tox\n"
    project = Project(make_repo(root, files), use_git=False)
    m = project.fact("ci")
    assert m.configured
    for j in m.jobs:
        assert isinstance(j.triggers, set) and all(isinstance(c.text, str) for c in j.commands)


def test_huge_command_lines_are_truncated_and_stay_cheap(tmp_path):
    blob = "echo " + "a_b=flow" * 20000
    m, _ = model(tmp_path, {".github/workflows/ci.yml": f"on: push\njobs:\n  t:\n    steps:\n      - run: {blob} && pytest\n"})
    cmds = job(m, "t").commands
    assert len(cmds[0].text) <= 4000 and cmds[-1].text == "pytest"
