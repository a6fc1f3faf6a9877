"""Dependency and pre-commit facts: every declaration format, lock files, malformed input,
and the `dependency` / `deps` / `precommit-hook` predicates."""

from __future__ import annotations

import pytest

from auditor.facts.reqparse import (
    normalize,
    parse_conda,
    parse_pep508,
    parse_reference,
    parse_requirement_lines,
    poetry_constraint_pinned,
    resolve_relative,
)
from auditor.predicates import Context, RuleError, evaluate
from auditor.project import Project
from tests.helpers import make_repo


def facts_of(tmp_path, files):
    project = Project(make_repo(tmp_path, files), use_git=False)
    return project, project.fact("deps")


def reqs_by_name(facts, path=None):
    return {r.name: r for r in facts.requirements if path is None or r.file == path}


def problems(project):
    return {(p.path, p.detail) for p in project.problems}


# ------------------------------------------------------------------ string parsers
def test_normalize_follows_pep503():
    assert normalize("Scikit_Learn") == "scikit-learn"
    assert normalize("ruamel.yaml") == "ruamel-yaml"
    assert normalize("A--B__c") == "a-b-c"


@pytest.mark.parametrize("text, name, spec, pinned", [
    ("numpy==1.26.4", "numpy", "==1.26.4", True),
    ("numpy===1.26.4", "numpy", "===1.26.4", True),
    ("numpy == 1.26.4 ; python_version >= '3.9'", "numpy", "==1.26.4", True),
    ("numpy==1.*", "numpy", "==1.*", False),
    ("numpy>=1.26,<2", "numpy", ">=1.26,<2", False),
    ("numpy~=1.26", "numpy", "~=1.26", False),
    ("torch (==2.1.0)", "torch", "==2.1.0", True),
    ("Scikit_Learn[alldeps]", "scikit-learn", "", False),
    ("pkg @ https://example.com/pkg-1.0.tar.gz", "pkg", "@ https://example.com/pkg-1.0.tar.gz", True),
    ("pkg @ git+https://github.com/o/pkg.git@main", "pkg", "@ git+https://github.com/o/pkg.git@main", False),
])
def test_parse_pep508(text, name, spec, pinned):
    req = parse_pep508(text)
    assert (req.name, req.spec, req.pinned) == (name, spec, pinned)


def test_parse_pep508_keeps_extras_and_markers_and_rejects_garbage():
    req = parse_pep508('requests[socks,security]>=2 ; sys_platform == "linux"')
    assert req.extras == ("socks", "security")
    assert req.marker == 'sys_platform == "linux"'
    assert parse_pep508("this is not a requirement!!") is None
    assert parse_pep508("numpy >> 3") is None


@pytest.mark.parametrize("text, name, pinned, local", [
    ("git+https://github.com/o/pkg.git@0123456789abcdef#egg=My_Pkg", "my-pkg", True, False),
    ("git+https://github.com/o/pkg.git@v1.2.0#egg=pkg", "pkg", True, False),
    ("git+https://github.com/o/pkg.git@develop#egg=pkg", "pkg", False, False),
    ("https://files.example.com/torch-2.1.0-cp311-linux_x86_64.whl", "torch", True, False),
    ("./libs/featurelib", "", False, True),
    (".", "", False, True),
    ("dist/mypkg-0.3.0-py3-none-any.whl", "mypkg", True, True),
])
def test_parse_reference_urls_and_paths(text, name, pinned, local):
    req = parse_reference(text)
    assert (req.name, req.pinned, req.local) == (name, pinned, local)


@pytest.mark.parametrize("text, name, pinned", [
    ("numpy", "numpy", False),
    ("numpy=1.26", "numpy", False),          # conda `=1.26` means 1.26.*
    ("numpy=1.26.4", "numpy", True),
    ("numpy=1.26.4=py311h64a7726_0", "numpy", True),
    ("numpy==1.26", "numpy", True),
    ("conda-forge::pandas>=2", "pandas", False),
    ("scipy 1.11.*", "scipy", False),
    ("scipy 1.11.4", "scipy", True),
])
def test_parse_conda(text, name, pinned):
    req = parse_conda(text)
    assert (req.name, req.pinned) == (name, pinned)


def test_poetry_bare_version_is_exact():
    assert poetry_constraint_pinned("1.2.3")
    assert poetry_constraint_pinned("==1.2")
    assert not poetry_constraint_pinned("^1.2.3")
    assert not poetry_constraint_pinned("~1.2")
    assert not poetry_constraint_pinned("*")
    assert not poetry_constraint_pinned(">=1.2,<2")


def test_requirement_lines_syntax():
    text = (
        "# comment line\n"
        "numpy==1.26.4 \\\n"
        "    --hash=sha256:aaaa \\\n"
        "    --hash=sha256:bbbb\n"
        "pandas  # trailing comment\n"
        "-r base.txt\n"
        "--requirement=more.txt\n"
        "-c constraints.txt\n"
        "-e .\n"
        "--editable git+https://github.com/o/x.git@abcdef1#egg=x\n"
        "--index-url https://pypi.example.com/simple\n"
        "--extra-index-url https://download.pytorch.org/whl/cpu\n"
        "requests --hash=sha256:cccc\n"
        "%%% not valid\n"
    )
    items = parse_requirement_lines(text)
    kinds = [(i.line, i.kind, i.req.name if i.req else i.target) for i in items]
    assert kinds == [
        (2, "req", "numpy"), (5, "req", "pandas"), (6, "requirement", "base.txt"),
        (7, "requirement", "more.txt"), (8, "constraint", "constraints.txt"), (9, "req", ""),
        (10, "req", "x"), (13, "req", "requests"), (14, "error", "%%% not valid"),
    ]
    by_line = {i.line: i for i in items}
    assert by_line[2].hashed and by_line[2].req.pinned
    assert by_line[13].req.pinned, "a hash pins an otherwise unpinned requirement"
    assert not by_line[5].req.pinned
    assert by_line[9].req.local


def test_resolve_relative_stays_in_tree():
    assert resolve_relative("requirements/prod.txt", "base.txt") == "requirements/base.txt"
    assert resolve_relative("a/b/req.txt", "../common.txt") == "a/common.txt"
    assert resolve_relative("req.txt", "../outside.txt") is None
    assert resolve_relative("req.txt", "/etc/passwd") is None
    assert resolve_relative("req.txt", "https://example.com/r.txt") is None


# ------------------------------------------------------------------ requirement files in a tree
def test_requirements_includes_constraints_and_problems(tmp_path):
    project, facts = facts_of(tmp_path, {
        "requirements.txt": "-r requirements/base.txt\n-c constraints.txt\npandas\n-r ../escape.txt\n"
                            "-r missing.txt\n!!bad line\n",
        "requirements/base.txt": "numpy==1.26.4\n-r common.in\n",
        "requirements/common.in": "scipy\n-r ../requirements.txt\n",   # a cycle back to the top
        "constraints.txt": "pandas==2.2.2\n",
        "dev-requirements.txt": "pytest\n",
        "services/api/requirements.txt": "fastapi==0.111.0\n",
    })
    paths = sorted({d.path for d in facts.declarations})
    assert paths == ["constraints.txt", "dev-requirements.txt", "requirements.txt",
                     "requirements/base.txt", "requirements/common.in", "services/api/requirements.txt"]
    top = facts.declaration("requirements.txt")
    assert top.includes == ["requirements/base.txt"]
    assert top.constraints == ["constraints.txt"]
    pandas = reqs_by_name(facts, "requirements.txt")["pandas"]
    assert (pandas.line, pandas.pinned, pandas.spec) == (3, False, "")
    stats = facts.pin_stats(top)   # pandas pinned via -c; numpy pinned; scipy (via base -> common.in) not
    assert (stats.pinned, stats.total, stats.unpinned) == (2, 3, ("scipy",))
    assert ("requirements.txt", "unparsable requirement line(s) 6; skipped") in problems(project)
    assert facts.declaration("dev-requirements.txt").auxiliary
    assert not top.auxiliary


def test_pyproject_pep621_groups_and_tools(tmp_path):
    project, facts = facts_of(tmp_path, {"pyproject.toml": """
[project]
name = "demo"
dependencies = [
    "pandas>=2.1",
    "scikit-learn==1.5.0",
]

[project.optional-dependencies]
dev = ["pytest>=8", "ruff==0.4.8"]

[dependency-groups]
lint = ["mypy"]
test = ["pytest-cov", {include-group = "lint"}]

[tool.uv]
dev-dependencies = ["ipykernel"]

[tool.pdm.dev-dependencies]
docs = ["mkdocs>=1.5", "-e file:///${PROJECT_ROOT}/libs/core#egg=core"]

[tool.hatch.envs.default]
dependencies = ["coverage[toml]"]
"""})
    reqs = reqs_by_name(facts)
    assert reqs["pandas"].line == 5 and reqs["pandas"].group == ""
    assert reqs["scikit-learn"].pinned and reqs["scikit-learn"].line == 6
    assert reqs["ruff"].group == "dev" and reqs["ruff"].line == 10
    assert reqs["mypy"].group == "lint" and reqs["pytest-cov"].group == "test"
    assert reqs["ipykernel"].group == "dev"
    assert reqs["mkdocs"].group == "docs" and reqs["core"].local
    assert reqs["coverage"].group == "hatch:default"
    assert {d.format for d in facts.declarations} == {"pyproject", "uv", "pdm", "hatch"}
    assert not project.problems


def test_pyproject_bad_shapes_are_problems(tmp_path):
    project, facts = facts_of(tmp_path, {
        "pyproject.toml": '[project]\nname = "x"\ndependencies = "pandas"\n'
                          '[project.optional-dependencies]\ndev = ["pytest", "not valid!!"]\n',
        "sub/pyproject.toml": "[project\nname = broken",
    })
    assert [r.name for r in facts.requirements] == ["pytest"]
    found = problems(project)
    assert ("pyproject.toml", "[project.dependencies] is not a list of requirement strings; skipped") in found
    assert any(p == "pyproject.toml" and "cannot parse requirement 'not valid!!'" in d for p, d in found)
    assert any(p == "sub/pyproject.toml" and d.startswith("unparsable") for p, d in found)


def test_poetry_dependencies_and_groups(tmp_path):
    _, facts = facts_of(tmp_path, {"pyproject.toml": """
[tool.poetry]
name = "demo"

[tool.poetry.dependencies]
python = "^3.10"
pandas = "^2.1"
numpy = "1.26.4"
torch = {version = "2.3.0", source = "pytorch"}
featurelib = {path = "../featurelib", develop = true}
tracking = {git = "https://github.com/acme/tracking.git", rev = "a1b2c3d"}
"my_lib" = [{version = "1.0", python = "<3.11"}, {version = "1.1", python = ">=3.11"}]

[tool.poetry.group.dev.dependencies]
pytest = "*"

[tool.poetry.dev-dependencies]
black = "24.4.2"
"""})
    reqs = reqs_by_name(facts)
    assert "python" not in reqs
    assert not reqs["pandas"].pinned and reqs["pandas"].spec == "^2.1"
    assert reqs["numpy"].pinned and reqs["torch"].pinned and reqs["tracking"].pinned
    assert reqs["featurelib"].local
    assert reqs["my-lib"].pinned
    assert reqs["pytest"].group == "dev" and reqs["pytest"].spec == ""
    assert reqs["black"].group == "dev" and reqs["black"].pinned
    assert reqs["pandas"].line == 7


def test_setup_cfg_with_file_reference(tmp_path):
    project, facts = facts_of(tmp_path, {
        "setup.cfg": "[metadata]\nname = demo\n[options]\ninstall_requires =\n    numpy>=1.2\n"
                     "    # a comment\n    scipy==1.11.0  # inline\n[options.extras_require]\n"
                     "dev =\n    pytest\n    black\ndocs = file: docs/reqs.txt\n",
        "docs/reqs.txt": "sphinx==7.3.7\n",
        "broken/setup.cfg": "no section header\n",
    })
    reqs = reqs_by_name(facts)
    assert reqs["numpy"].line == 5 and not reqs["numpy"].pinned
    assert reqs["scipy"].line == 7 and reqs["scipy"].pinned
    assert reqs["black"].group == "dev"
    assert reqs["sphinx"].file == "docs/reqs.txt"
    assert any(p == "broken/setup.cfg" and d.startswith("unparsable") for p, d in problems(project))


def test_setup_py_read_as_text_never_run(tmp_path):
    marker = tmp_path / "executed"
    _, facts = facts_of(tmp_path, {
        "setup.py": f"""import pathlib
pathlib.Path({str(marker)!r}).write_text("ran")
from setuptools import setup
REQS = ["xgboost==2.0.3", "lightgbm>=4"]
setup(
    name="demo",
    install_requires=REQS,
    extras_require={{"viz": ["matplotlib>=3.8"]}},
    tests_require=["pytest"],
)
""",
        "computed/setup.py": "from setuptools import setup\n"
                             "setup(install_requires=open('r.txt').read().split())\n",
        "nosetup/setup.py": "from setuptools import setup\nsetup(name='x')\n",
        "string/setup.py": 'import setuptools\nsetuptools.setup(\n'
                           '    install_requires="""numpy>=1.2\nscipy"""\n)\n',
    })
    assert not marker.exists()
    reqs = reqs_by_name(facts, "setup.py")
    assert reqs["xgboost"].pinned and reqs["xgboost"].line == 4
    assert reqs["matplotlib"].group == "viz" and reqs["pytest"].group == "test"
    paths = {d.path for d in facts.declarations}
    assert "computed/setup.py" in paths, "a computed install_requires still declares dependencies"
    assert "nosetup/setup.py" not in paths
    lines = {r.name: r.line for r in facts.requirements if r.file == "string/setup.py"}
    assert lines == {"numpy": 3, "scipy": 4}


def test_setup_py_python2_falls_back_to_pattern(tmp_path):
    project, facts = facts_of(tmp_path, {
        "setup.py": "print 'building'\nfrom setuptools import setup\n"
                    "setup(name='old', install_requires=['numpy>=1.8', 'scipy'])\n",
    })
    assert sorted(r.name for r in facts.requirements) == ["numpy", "scipy"]
    assert reqs_by_name(facts)["numpy"].line == 3
    assert ("setup.py", "not valid Python 3; install_requires read by pattern") in problems(project)


def test_conda_environment_with_pip_section(tmp_path):
    project, facts = facts_of(tmp_path, {
        "environment.yml": "name: churn\nchannels: [conda-forge]\ndependencies:\n  - python=3.11\n"
                           "  - numpy=1.26.4\n  - pandas>=2\n  - pip\n  - pip:\n      - mlflow==2.13.2\n"
                           "      - -r requirements.txt\n",
        "requirements.txt": "shap==0.45.1\n",
        "mlflow/conda.yaml": "dependencies: not-a-list\n",
        "bad/environment.yaml": "dependencies: [unclosed\n",
    })
    env = next(d for d in facts.declarations if d.path == "environment.yml")
    names = {r.name: r for r in env.requirements}
    assert "python" not in names
    assert names["numpy"].pinned and names["numpy"].line == 5
    assert names["mlflow"].group == "" and names["mlflow"].line == 9
    assert env.includes == ["requirements.txt"]
    assert facts.pin_stats(env).unpinned == ("pandas >=2",)   # pip itself is not counted
    found = problems(project)
    assert ("mlflow/conda.yaml", "`dependencies` is not a list; skipped") in found
    assert any(p == "bad/environment.yaml" and d.startswith("unparsable") for p, d in found)


def test_pipfile(tmp_path):
    _, facts = facts_of(tmp_path, {"Pipfile": """
[[source]]
url = "https://pypi.org/simple"

[packages]
requests = "*"
flask = "==3.0.3"
mylib = {path = ".", editable = true}

[dev-packages]
pytest = {version = ">=8"}

[requires]
python_version = "3.11"
"""})
    reqs = reqs_by_name(facts)
    assert set(reqs) == {"requests", "flask", "mylib", "pytest"}
    assert reqs["flask"].pinned and reqs["flask"].line == 7
    assert reqs["mylib"].local and reqs["pytest"].group == "dev"


def test_lock_files_of_every_format(tmp_path):
    project, facts = facts_of(tmp_path, {
        "a/poetry.lock": '[[package]]\nname = "numpy"\nversion = "1.26.4"\n',
        "b/uv.lock": 'version = 1\n[[package]]\nname = "a"\nversion = "1"\n'
                     '[[package]]\nname = "b"\nversion = "2"\n',
        "c/Pipfile.lock": '{"_meta": {}, "default": {"flask": {"version": "==3.0.3"}}, "develop": {}}',
        "d/pdm.lock": '[[package]]\nname = "x"\nversion = "1"\n',
        "e/pylock.toml": 'lock-version = "1.0"\n[[packages]]\nname = "x"\nversion = "1"\n',
        "f/conda-lock.yml": "version: 1\npackage:\n  - name: numpy\n    version: 1.26.4\n",
        "g/conda-linux-64.lock": "# platform: linux-64\n@EXPLICIT\nhttps://conda.anaconda.org/x/numpy-1.26.4.conda\n",
        "h/pixi.lock": "version: 5\npackages:\n  - conda: https://x/numpy.conda\n",
        "i/requirements.lock": "numpy==1.26.4\npandas==2.2.2\n",
        "broken/poetry.lock": "<<<<<<< HEAD\n",
        "broken/Pipfile.lock": "[1, 2]",
    })
    got = {lk.path: (lk.format, lk.packages) for lk in facts.locks}
    assert got == {
        "a/poetry.lock": ("poetry", 1), "b/uv.lock": ("uv", 2), "c/Pipfile.lock": ("pipenv", 1),
        "d/pdm.lock": ("pdm", 1), "e/pylock.toml": ("pylock", 1), "f/conda-lock.yml": ("conda-lock", 1),
        "g/conda-linux-64.lock": ("conda-lock", 1), "h/pixi.lock": ("pixi", 1),
        "i/requirements.lock": ("requirements-lock", 2),
    }
    found = problems(project)
    assert any(p == "broken/poetry.lock" and d.startswith("unparsable") for p, d in found)
    assert ("broken/Pipfile.lock", "Pipfile.lock is not a JSON object") in found


def test_vendored_trees_are_not_declarations(tmp_path):
    _, facts = facts_of(tmp_path, {
        ".venv/lib/site-packages/pkg/requirements.txt": "numpy\n",
        "node_modules/x/requirements.txt": "numpy\n",
    })
    assert facts.declarations == []


def test_binary_and_empty_files_do_not_crash(tmp_path):
    project, facts = facts_of(tmp_path, {
        "requirements.txt": b"\x00\x01\x02binary",
        "pyproject.toml": "",
        "environment.yml": "",
        "setup.cfg": "",
    })
    assert facts.requirements == []
    assert any(p == "requirements.txt" and "binary" in d for p, d in problems(project))


# ------------------------------------------------------------------ pre-commit fact
def test_precommit_hooks_with_lines(tmp_path):
    project = Project(make_repo(tmp_path, {
        ".pre-commit-config.yaml": """repos:
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: v0.4.8
    hooks:
      - id: ruff
        args: [--fix]
      - id: ruff-format
  - repo: local
    hooks:
      - id: mypy
        name: mypy
        entry: mypy
        language: system
  - repo: https://github.com/kynan/nbstripout
    rev: 0.7.1
    hooks: [{id: nbstripout}]
ci:
  autoupdate_schedule: monthly
""",
        "services/api/.pre-commit-config.yaml": "repos:\n  - repo: https://github.com/psf/black\n"
                                               "    rev: 24.4.2\n    hooks:\n      - id: black\n",
    }), use_git=False)
    facts = project.fact("precommit")
    got = [(h.file, h.id, h.repo, h.line) for h in facts.hooks]
    assert got == [
        (".pre-commit-config.yaml", "ruff", "https://github.com/astral-sh/ruff-pre-commit", 5),
        (".pre-commit-config.yaml", "ruff-format", "https://github.com/astral-sh/ruff-pre-commit", 7),
        (".pre-commit-config.yaml", "mypy", "local", 10),
        (".pre-commit-config.yaml", "nbstripout", "https://github.com/kynan/nbstripout", 14),
        ("services/api/.pre-commit-config.yaml", "black", "https://github.com/psf/black", 5),
    ]
    assert facts.configs[0].ci == {"autoupdate_schedule": "monthly"}
    assert not project.problems


@pytest.mark.parametrize("text, detail", [
    ("- just\n- a list\n", "pre-commit configuration is not a mapping; no hooks read"),
    ("repos: {a: 1}\n", "`repos` is not a list; no hooks read"),
    ("repos:\n  - a string\n  - repo: local\n    hooks:\n      - name: no id\n",
     "2 repo or hook entries without the expected `repo`/`hooks`/`id` shape; skipped"),
])
def test_precommit_malformed_shapes_are_problems(tmp_path, text, detail):
    project = Project(make_repo(tmp_path, {".pre-commit-config.yaml": text}), use_git=False)
    assert project.fact("precommit").hooks == []
    assert (".pre-commit-config.yaml", detail) in problems(project)


def test_precommit_unparsable_yaml_is_a_problem(tmp_path):
    project = Project(make_repo(tmp_path, {".pre-commit-config.yaml": "repos: [\n"}), use_git=False)
    assert project.fact("precommit").hooks == []
    assert any(p == ".pre-commit-config.yaml" and d.startswith("unparsable") for p, d in problems(project))


# ------------------------------------------------------------------ predicates
def check(tmp_path, files, node, **ctx_opts):
    project = Project(make_repo(tmp_path, files), use_git=False)
    return evaluate(node, Context(project))


def test_dependency_predicate_normalises_names_and_gives_lines(tmp_path):
    files = {"requirements.txt": "numpy\nScikit_Learn>=1.4\n", "pyproject.toml":
             '[project]\nname = "x"\ndependencies = ["mlflow>=2"]\n'}
    out = check(tmp_path, files, {"dependency": "scikit-learn"})
    assert out.ok
    assert [(e.path, e.line) for e in out.evidence] == [("requirements.txt", 2)]
    out = check(tmp_path / "2", files, {"dependency": ["wandb", "MLflow"]})
    assert out.ok and out.evidence[0].path == "pyproject.toml" and out.evidence[0].line == 3
    out = check(tmp_path / "3", files, {"dependency": "wandb"})
    assert not out.ok and "`wandb`" in out.searched


def test_dependency_predicate_ignores_lock_files(tmp_path):
    out = check(tmp_path, {"poetry.lock": '[[package]]\nname = "pyarrow"\nversion = "16.0.0"\n'},
                {"dependency": "pyarrow"})
    assert not out.ok


def test_dependency_predicate_needs_a_name(tmp_path):
    with pytest.raises(RuleError):
        check(tmp_path, {}, {"dependency": []})


@pytest.mark.parametrize("files, ok", [
    ({"requirements.txt": "pandas\n"}, True),
    ({"requirements.txt": "# nothing yet\n"}, False),
    ({"sub/pyproject.toml": '[project]\nname = "x"\ndependencies = []\n'}, True),
    ({"pyproject.toml": '[project]\nname = "x"\n'}, False),
    ({"setup.py": "from setuptools import setup\nsetup(install_requires=['numpy'])\n"}, True),
    ({"environment.yml": "dependencies:\n  - numpy\n"}, True),
    ({"Pipfile": "[packages]\nrequests = '*'\n"}, True),
    ({"README.md": "pip install pandas\n"}, False),
])
def test_deps_declared(tmp_path, files, ok):
    assert check(tmp_path, files, {"deps": "declared"}).ok is ok


PINNED = "pandas==2.2.2\nscikit-learn==1.5.0\nnumpy==1.26.4\n"


@pytest.mark.parametrize("files, ok", [
    # a lock file anywhere
    ({"pyproject.toml": '[project]\nname="x"\ndependencies=["pandas"]\n', "uv.lock": "version = 1\n"}, True),
    # fully pinned runtime requirements next to loose dev requirements: pass
    ({"requirements.txt": PINNED, "requirements-dev.txt": "pytest\nruff\n"}, True),
    # 9 of 10 pinned is enough, 8 of 10 is not
    ({"requirements.txt": "".join(f"p{i}==1.0\n" for i in range(9)) + "loose\n"}, True),
    ({"requirements.txt": "".join(f"p{i}==1.0\n" for i in range(8)) + "a\nb\n"}, False),
    # pinned tooling only: fail
    ({"requirements.txt": "pandas\nscikit-learn\n", "requirements-dev.txt": "pytest==8.2.2\n",
      "docs/requirements.txt": "sphinx==7.3.7\n"}, False),
    # pip-compile input only: fail; its compiled output: pass
    ({"requirements.in": "pandas\n"}, False),
    ({"requirements.in": "pandas\n", "requirements.txt": "pandas==2.2.2 \\\n  --hash=sha256:abc\n"}, True),
    # pins through -r includes and -c constraints
    ({"requirements.txt": "-r requirements/base.txt\n-c constraints.txt\npandas\n",
      "requirements/base.txt": "numpy==1.26.4\n", "constraints.txt": "pandas==2.2.2\n"}, True),
    # an exported conda environment
    ({"environment.yml": "dependencies:\n  - numpy=1.26.4=py311h_0\n  - pandas=2.2.2=py311h_0\n"
                         "  - pip\n"}, True),
    ({"environment.yml": "dependencies:\n  - numpy\n  - pandas\n"}, False),
    # `-e .` alone says nothing about pins
    ({"requirements.txt": "-e .\n",
      "pyproject.toml": '[project]\nname="x"\ndependencies=["pandas"]\n'}, False),
    # a broken lock file does not count
    ({"requirements.txt": "pandas\n", "poetry.lock": "<<<<<<< HEAD\n"}, False),
])
def test_deps_pinned_policy(tmp_path, files, ok):
    assert check(tmp_path, files, {"deps": "pinned"}).ok is ok


def test_deps_pinned_failure_explains_itself(tmp_path):
    out = check(tmp_path, {"requirements.txt": "pandas\nnumpy==1.26.4\n",
                           "requirements-dev.txt": "pytest==8\n"}, {"deps": "pinned"})
    assert not out.ok
    details = {e.path: e.detail for e in out.evidence}
    assert details["requirements.txt"] == "1 of 2 entries pinned (50%); not pinned: pandas"
    assert "tooling-only" in details["requirements-dev.txt"]


def test_deps_rejects_unknown_values(tmp_path):
    with pytest.raises(RuleError):
        check(tmp_path, {}, {"deps": "frozen"})


def test_precommit_hook_predicate(tmp_path):
    files = {".pre-commit-config.yaml": "repos:\n  - repo: https://github.com/kynan/nbstripout\n"
                                        "    rev: 0.7.1\n    hooks:\n      - id: nbstripout\n"}
    out = check(tmp_path, files, {"precommit-hook": "nbstripout"})
    assert out.ok and (out.evidence[0].path, out.evidence[0].line) == (".pre-commit-config.yaml", 5)
    assert check(tmp_path / "2", files, {"precommit-hook": "kynan/"}).ok, "the repo URL matches too"
    assert check(tmp_path / "3", files, {"precommit-hook": True}).ok
    assert not check(tmp_path / "4", files, {"precommit-hook": ["^ruff$", "^black$"]}).ok
    assert not check(tmp_path / "5", {}, {"precommit-hook": True}).ok
    with pytest.raises(RuleError):
        check(tmp_path / "6", files, {"precommit-hook": False})
