"""Named checks of the CODE rules that need the test-suite and Python-index facts.

- `tests_present` (CODE001, and the n/a condition of CODE009)
- `ml_code_tested` (CODE002)
- `model_quality_tests` (CODE003)
- `logic_in_modules` (CODE010)
"""

from __future__ import annotations

from itertools import islice

from auditor.model import Evidence, Outcome
from auditor.predicates import MAX_EVIDENCE

TEST_WORDS = "test files (`test_*.py`, `*_test.py`, `tests/`) with a test function, Test class or TestCase"
MIN_SCRIPT_LINES = 30  # a module without functions or classes counts from this many code lines on


def tests_present(ctx) -> Outcome:
    suite = ctx.project.fact("tests")
    evidence = [Evidence(m.path, m.first_test_line, f"{m.tests} test{'s' if m.tests != 1 else ''}")
                for m in islice(suite.iter_modules(), MAX_EVIDENCE)]
    if not evidence and suite.candidates:
        shown = ", ".join(suite.candidates[:5]) + (" ..." if len(suite.candidates) > 5 else "")
        evidence = [Evidence(None, None, f"test-looking files without any test function: {shown}")]
        return Outcome(False, evidence, TEST_WORDS,
                       message=f"Test files exist ({shown}) but define no test function, Test class "
                               "or TestCase.")
    return Outcome(bool(evidence), evidence[:MAX_EVIDENCE], TEST_WORDS)


def ml_code_tested(ctx) -> Outcome:
    """A test imports first-party ML code, or itself builds/trains/evaluates a model."""
    suite = ctx.project.fact("tests")
    searched = ("a test module that imports a first-party ML module, or that imports an ML framework "
                "and builds, trains or evaluates a model (fit/predict/evaluate...)")
    if not suite.present:
        return Outcome(False, [Evidence(None, None, "no test suite found")], searched,
                       message="There is no test suite, so no test exercises the ML code.")
    evidence: list[Evidence] = []
    for mod in suite.iter_modules():
        if len(evidence) >= MAX_EVIDENCE:
            break
        if mod.ml_imports:
            shown = ", ".join(mod.ml_imports[:3])
            evidence.append(Evidence(mod.path, None, f"imports first-party ML code {shown}"))
        elif mod.frameworks and mod.model_calls:
            line, call = mod.model_calls[0]
            uses = ", ".join(mod.frameworks[:3])
            evidence.append(Evidence(mod.path, line, f"uses {uses} and calls `{call}()`"))
    if not evidence:
        shown = ", ".join(m.path for m in suite.modules[:5]) + (" ..." if len(suite.modules) > 5 else "")
        return Outcome(False, [Evidence(None, None, f"test modules ({shown}) import no first-party ML module "
                                                    "and train or evaluate no model")], searched,
                       message=f"{len(suite.modules)} test module(s) found, but none imports first-party ML "
                               "code or trains or evaluates a model.")
    return Outcome(True, evidence[:MAX_EVIDENCE], searched)


def model_quality_tests(ctx) -> Outcome:
    """A test that exercises ML code asserts on predictions or metrics (or runs deepchecks)."""
    suite = ctx.project.fact("tests")
    searched = ("a test that exercises ML code and asserts on predictions or metrics (metric thresholds, "
                "expected outputs, invariance, `pytest.approx` on a score) or runs a deepchecks suite")
    evidence: list[Evidence] = []
    for mod in suite.iter_modules():
        if len(evidence) >= MAX_EVIDENCE:
            break
        if mod.quality and mod.exercises_ml:
            evidence.extend(Evidence(mod.path, q.line, q.detail) for q in mod.quality[:3])
    if not evidence:
        message = ("No test that exercises ML code asserts on predictions or metrics." if suite.present
                   else "There is no test suite, so nothing checks model predictions or metrics.")
        return Outcome(False, [Evidence(None, None, "no model-quality assertion found")], searched,
                       message=message)
    return Outcome(True, evidence[:MAX_EVIDENCE], searched)


NOT_LOGIC = frozenset({"setup.py", "conftest.py", "noxfile.py", "fabfile.py", "tasks.py", "manage.py",
                       # tool configuration written in Python, not project logic
                       "jupyter_notebook_config.py", "jupyter_server_config.py", "jupyter_lab_config.py",
                       "ipython_config.py", "ipython_kernel_config.py", "nbconvert_config.py"})
# folders of CI/platform helper scripts: not where a project keeps its logic
NOT_LOGIC_DIRS = (".github/", ".gitlab/", ".circleci/", ".azuredevops/", ".devcontainer/")


def logic_in_modules(ctx) -> Outcome:
    """First-party .py modules with functions/classes (or 30+ code lines) besides the notebooks."""
    project = ctx.project
    index = project.fact("python")
    searched = ("first-party Python modules (not tests, not jupytext notebooks) that define functions or "
                f"classes or hold {MIN_SCRIPT_LINES}+ lines of code")
    evidence: list[Evidence] = []
    trivial: list[str] = []
    for path, m in sorted(index.modules.items()):
        name = path.rsplit("/", 1)[-1]
        if m.kind != "module" or m.is_test or not m.parsed or name in NOT_LOGIC or _docs_conf(path) \
                or path.startswith(NOT_LOGIC_DIRS):
            continue
        defs = sum(1 for d in m.definitions if d.parent is None)
        if not defs and not (m.calls or m.imports):
            continue  # empty or constants only (an `__init__.py`, a version file)
        text = project.read_text(path) or ""
        if _is_jupytext(text):
            continue
        code_lines = 0 if defs else _code_lines(text)
        if defs or code_lines >= MIN_SCRIPT_LINES:
            what = (f"{defs} top-level function/class definition{'s' if defs != 1 else ''}" if defs
                    else f"{code_lines} lines of code")
            evidence.append(Evidence(path, None, what))
            if len(evidence) >= MAX_EVIDENCE:
                break
        else:
            trivial.append(path)
    if evidence:
        return Outcome(True, evidence[:MAX_EVIDENCE], searched)
    notebooks = index.notebook_paths or project.glob("*.ipynb")
    shown = ", ".join(notebooks[:3])
    miss = [Evidence(None, None, f"{len(notebooks)} notebook(s) hold the code, e.g. {shown}")]
    if trivial:
        miss.append(Evidence(None, None, f"only trivial scripts: {', '.join(trivial[:5])}"))
    return Outcome(False, miss, searched, message=f"The project's logic lives only in notebooks "
                                                  f"({len(notebooks)}); no reusable Python module was found.")


def _docs_conf(path: str) -> bool:
    parts = path.split("/")
    return parts[-1] == "conf.py" and any(p in ("docs", "doc") for p in parts[:-1])


def _is_jupytext(text: str) -> bool:
    """A jupytext-paired notebook saved as .py (its YAML header names jupytext)."""
    head = text[:2000]
    return "jupytext:" in head and "jupyter:" in head


def _code_lines(text: str) -> int:
    return sum(1 for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#"))

