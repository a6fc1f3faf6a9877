"""Named checks of the TRAIN rules that couple facts within one module.

- `classifier_trained` (n/a condition of TRAIN008): a supervised classifier is trained or
  evaluated (scikit-learn/boosting `*Classifier`, logistic regression, classification metrics);
- `config_file_read` (TRAIN002): ML code loads a config file and one exists;
- `cli_hyperparameters` (TRAIN002): ML code exposes hyperparameters as CLI options or
  environment variables;
- `mlproject_parameters` (TRAIN002): an MLflow Project (not a test fixture) declares parameters;
- `metrics_module` (TRAIN004): a metrics module of ML code, not service telemetry;
- `tabular_training` (n/a condition of TRAIN009): training code fits tabular models.
"""

from __future__ import annotations

import re

from auditor.facts.tokens import AnyCase, calls_written, either, has_any, keywords_written, name_tokens, text_passes
from auditor.model import Evidence, Outcome
from auditor.predicates import MAX_EVIDENCE
from auditor.predicates.python import any_name_matches, evidence, index

# ---------------------------------------------------------------------------- TRAIN008
_CLASSIFIERS = [
    "LogisticRegression", "LogisticRegressionCV", "SVC", "LinearSVC", "NuSVC", "GaussianNB", "MultinomialNB",
    "BernoulliNB", "ComplementNB", "CategoricalNB", "LinearDiscriminantAnalysis",
    "QuadraticDiscriminantAnalysis", "statsmodels.api.Logit", "statsmodels.api.MNLogit",
    "statsmodels.api.Probit", "statsmodels.formula.api.logit", "pyspark.ml.classification.*",
]
_CLASSIFICATION_METRICS = [
    "sklearn.metrics.accuracy_score", "sklearn.metrics.balanced_accuracy_score", "sklearn.metrics.f1_score",
    "sklearn.metrics.fbeta_score", "sklearn.metrics.precision_score", "sklearn.metrics.recall_score",
    "sklearn.metrics.roc_auc_score", "sklearn.metrics.classification_report", "sklearn.metrics.confusion_matrix",
    "sklearn.metrics.average_precision_score", "sklearn.metrics.precision_recall_curve",
    "sklearn.metrics.roc_curve", "sklearn.metrics.matthews_corrcoef",
    "sklearn.metrics.precision_recall_fscore_support", "sklearn.metrics.top_k_accuracy_score",
    "sklearn.metrics.RocCurveDisplay*", "sklearn.metrics.ConfusionMatrixDisplay*",
    "sklearn.metrics.PrecisionRecallDisplay*", "torchmetrics.Accuracy", "torchmetrics.F1Score",
    "torchmetrics.AUROC", "torchmetrics.Precision", "torchmetrics.Recall", "torchmetrics.ConfusionMatrix",
    "torchmetrics.classification.*", "torchmetrics.functional.classification.*", "keras.metrics.AUC",
    "keras.metrics.BinaryAccuracy", "keras.metrics.Precision", "keras.metrics.Recall",
    "tensorflow.keras.metrics.AUC", "tensorflow.keras.metrics.BinaryAccuracy",
    "tensorflow.keras.metrics.Precision", "tensorflow.keras.metrics.Recall",
]
_CLASSIFICATION_OBJECTIVES = {"binary", "multiclass", "multiclassova", "binary:logistic", "binary:hinge",
                              "binary:logitraw", "multi:softmax", "multi:softprob", "logloss",
                              "binary_crossentropy"}
_OBJECTIVE_KWARGS = ("objective", "loss_function", "loss")


def _classifier_hit(c, first_party) -> str | None:
    if c.name.startswith(".") or "." not in c.name:
        return None  # a method of an unknown object, or a name defined in the module itself
    if (c.last.endswith("Classifier") or any_name_matches(c.name, _CLASSIFIERS)) and not first_party(c.name):
        return f"trains {c.last}"
    if any_name_matches(c.name, _CLASSIFICATION_METRICS):
        return f"computes {c.last}"
    return None


def _plain(patterns) -> list[str]:
    """Name patterns without glob characters (their last dotted name is written at the call)."""
    return [p for p in patterns if not any(c in p for c in "*?[")]


def _globs(patterns) -> list[str]:
    """Glob name patterns (only a literal run of theirs is known to be written)."""
    return [p for p in patterns if any(c in p for c in "*?[")]


# pre-filter: what a module's text must contain for `classifier_trained` to find something
# in it: a call of a classifier or metric (`*Classifier` ends with "Classifier"; a glob's
# literal part), `compile(`, an objective keyword (literal keyword values are written after
# their keyword), or a classification objective string (compared case-insensitively)
_CLASSIFIER_TEXT = either(
    calls_written({*name_tokens(_plain(_CLASSIFIERS + _CLASSIFICATION_METRICS)), "Classifier", "compile"}),
    has_any(name_tokens(_globs(_CLASSIFIERS + _CLASSIFICATION_METRICS))),
    keywords_written(_OBJECTIVE_KWARGS),
    AnyCase("binary:logistic|multi:soft", ("binary:logistic", "multi:soft")))


def classifier_trained(ctx) -> Outcome:
    """A supervised classifier in non-test ML code (language/generative models do not count:
    their token-level cross-entropy and accuracy are not class predictions).

    Only modules whose text names a classifier, a metric, an objective or a classification
    objective string are parsed, and the search stops at the evidence shown."""
    idx = index(ctx)
    mods = (idx.modules[p] for p in idx.ml_modules if text_passes(idx, idx.modules[p], _CLASSIFIER_TEXT))
    ev: list[Evidence] = []
    for m in idx.batched(mods):
        path = m.path

        def first_party(name, _p=path):
            return idx.is_first_party(name, _p)

        hit = None
        for c in m.calls:
            what = _classifier_hit(c, first_party)
            if what is None:
                for k in _OBJECTIVE_KWARGS:
                    v = c.values.get(k)
                    if isinstance(v, str) and v.lower() in _CLASSIFICATION_OBJECTIVES:
                        what = f"{k}={v!r}"
                        break
                else:
                    v = c.values.get("metrics")
                    if c.last == "compile" and re.search(r"(?i)\b(accuracy|acc|auc|binary_accuracy)\b", str(v)):
                        what = f"compiles with metrics={v!r}"
            if what:
                hit = evidence(m, c.line, c.cell, what)
                break
        if hit is None:
            s = next((s for s in m.strings if s.value.lower() in ("binary:logistic", "multi:softprob",
                                                                    "multi:softmax")), None)
            if s:
                hit = evidence(m, s.line, s.cell, f"classification objective {s.value!r}")
        if hit:
            ev.append(hit)
            if len(ev) >= MAX_EVIDENCE:
                break
    return Outcome(bool(ev), ev[:MAX_EVIDENCE],
                   "a supervised classifier (scikit-learn/boosting *Classifier, logistic regression, "
                   "classification objectives or metrics) in non-test ML code")


# ---------------------------------------------------------------------------- TRAIN002
CONFIG_FILE_GLOBS = ["**/params.yaml", "**/params.yml", "**/params.json", "**/conf/**/*.yaml",
                     "**/conf/**/*.yml", "**/configs/**", "**/config/**/*.yaml", "**/config/**/*.yml",
                     "**/config/**/*.json", "**/config/**/*.toml", "**/*config*.yaml", "**/*config*.yml",
                     "**/*config*.toml", "**/*config*.json", "**/hparams*.yaml", "**/hparams*.json",
                     "**/*params*.yaml", "**/*params*.yml", "**/*.gin", "**/*.cfg"]
_CONFIG_READERS = ["yaml.safe_load", "yaml.load", "yaml.full_load", "yaml.unsafe_load", "toml.load",
                   "tomllib.load", "tomli.load", "omegaconf.OmegaConf.load", "omegaconf.OmegaConf.create",
                   "dvc.api.params_show", "configparser.ConfigParser", "json.load", "json.loads", "ruamel.yaml.YAML",
                   "yaml.safe_load_all", "srsly.read_yaml", "hyperpyyaml.load_hyperpyyaml"]
# a string naming a config file: "config.json", "conf/params.yaml", "hparams.json"
_CONFIG_NAME = re.compile(r"(?i)(config|conf|param|hparam|setting)[\w./-]*\.(ya?ml|json|toml|cfg|ini|py)$"
                          r"|\.(ya?ml|toml)$")
_NON_CONFIG = {"setup.cfg", "pyproject.toml", "mkdocs.yml", "mkdocs.yaml", "environment.yml", "environment.yaml",
               "codecov.yml", "tox.ini", "mypy.ini", "pytest.ini"}
_TOOL_DIRS = (".github/", ".gitlab/", ".circleci/", ".devcontainer/", ".vscode/", ".idea/")
# a command-line option that takes the config file: `-c/--conf`, `--config`, `--config-file`, `--params`
_CONFIG_OPTION = re.compile(r"(?i)^-{1,2}(conf|config|cfg|params|hparams|settings)([-_](file|path))?$")
# a file of hyperparameters read at run time, often written next to the data rather than committed
# (SageMaker's `hyperparameters.json`): reading it counts even when no such file is in the repository
_HPARAM_FILE = re.compile(r"(?i)(^|[/\\])(hyper[-_]?)?(params|parameters|hparams)\.(json|ya?ml)$")
# SDKs that define cloud training jobs: their job definitions are training code for this purpose
_CLOUD_TRAINING_SDKS = ("sagemaker", "google.cloud.aiplatform", "azureml", "azure.ai.ml")


def config_files(ctx) -> list[str]:
    """Config files a training run could read (tool configs such as .pre-commit-config.yaml excluded)."""
    idx = index(ctx)
    out = []
    for f in ctx.project.glob(CONFIG_FILE_GLOBS):
        name = f.rsplit("/", 1)[-1]
        if name in _NON_CONFIG or name.startswith(".") or f.startswith(_TOOL_DIRS) or idx.is_test_file(f):
            continue
        if any(part.startswith(".") for part in f.split("/")[:-1]):
            continue  # a tool's own config (`.hyperlint/config.yaml`, `.dvc/config`), not a run's
        if "docker-compose" in name or name.startswith("compose."):
            continue
        out.append(f)
    return out


# pre-filters of `config_file_read`: every hit is a call to dvc.api.params_show, exec,
# runpy.run_path or a config reader (its last name is written in the source); a reader only
# counts when a config file exists or a string names a hyperparameter file (_HPARAM_FILE:
# every match contains "param", in any case)
_HAS_RUNNER = calls_written(("params_show", "exec", "run_path"))
_HAS_READER = calls_written(name_tokens(_CONFIG_READERS))
_PARAM_WORD = AnyCase("param", ("param",))


def config_file_read(ctx) -> Outcome:
    """ML code (or a module importing it) reads a YAML/TOML/JSON config, and a config file exists.

    Only modules whose text could hold a hit are parsed, and the search stops at the
    evidence shown."""
    idx = index(ctx)
    searched = ("ML code reading a config file (yaml/toml/json/OmegaConf/dvc.api.params_show) "
                "with params.yaml, conf/ or configs/ files present")
    files = config_files(ctx)

    def candidates():
        for path, m in idx.modules.items():
            if m.is_test or (path not in idx.ml_related and not m.imports_any(_CLOUD_TRAINING_SDKS)):
                continue
            if text_passes(idx, m, _HAS_RUNNER) or (
                    text_passes(idx, m, _HAS_READER) and (files or text_passes(idx, m, _PARAM_WORD))):
                yield m

    ev: list[Evidence] = []
    for m in idx.batched(candidates()):
        names_config = any(_CONFIG_NAME.search(s.value) for s in m.strings) or any(
            c.last == "add_argument" and any(isinstance(a, str) and _CONFIG_OPTION.match(a) for a in c.args)
            for c in m.calls)
        hparam_file = next((s.value for s in m.strings if _HPARAM_FILE.search(s.value)), None)
        for c in m.calls:
            if c.name == "dvc.api.params_show":
                ev.append(evidence(m, c.line, c.cell, "reads DVC params (dvc.api.params_show)"))
                break
            if c.name in ("exec", "runpy.run_path") and names_config and m.kind == "module":
                ev.append(evidence(m, c.line, c.cell, "executes a config file given on the command line"))
                break
            if hparam_file and any_name_matches(c.name, _CONFIG_READERS):
                ev.append(evidence(m, c.line, c.cell, f"reads hyperparameters from {hparam_file!r} with {c.name}()"))
                break
            if not any_name_matches(c.name, _CONFIG_READERS) or not files:
                continue
            if c.name.startswith("json") and not names_config:
                continue  # json.load of data, not of a config
            ev.append(evidence(m, c.line, c.cell, f"reads config with {c.name}() ({files[0]} present)"))
            break
        if len(ev) >= MAX_EVIDENCE:
            break
    return Outcome(bool(ev), ev[:MAX_EVIDENCE], searched)


_HYPERPARAMETER = re.compile(
    r"(?i)^-{0,2}(lr|learning[-_]?rate\w*|\w+_lr|epochs?|n[-_]?epochs|num[-_]?epochs|max[-_]?epochs|"
    r"batch[-_]?size\w*|bs|n[-_]?estimators|max[-_]?depth|min[-_]?samples[-_]?\w+|alpha|l[12](?:[-_]reg)?|"
    r"lambda\w*|reg[-_]?\w*|weight[-_]?decay|wd|dropout\w*|hidden[-_]?\w*|n[-_]?layers|num[-_]?layers|"
    r"momentum|gamma|warmup\w*|max[-_]?steps|num[-_]?steps|train[-_]?steps|n[-_]?neighbors|n[-_]?components|"
    r"test[-_]?size|val\w*[-_]size|optimizer|embed\w*[-_]dim|d[-_]?model|n[-_]?heads|num[-_]?heads|"
    r"patience|subsample|colsample\w*|num[-_]?leaves|max[-_]?iter|label[-_]?smoothing|"
    r"grad\w*[-_]accum\w*|gradient[-_]accumulation\w*|scheduler|max[-_]?features|n[-_]?trials|"
    r"seed|random[-_]?state|model[-_]?type|model[-_]?name|architecture|arch)$")
_CLI_CALLS = [".add_argument", "click.option", "click.argument", "typer.Option", "typer.Argument",
              "absl.flags.DEFINE_*", "tensorflow.compat.v1.flags.DEFINE_*", "os.getenv", "os.environ.get",
              ".add_option"]


# a config object updated from the raw command line: minGPT's `config.merge_from_args(sys.argv[1:])`
# (`--trainer.batch_size=32`), `cfg.override(sys.argv)`
_ARGV_MERGE = re.compile(r"(?i)merge|override|update|apply|config|cfg|conf|param")
_ARGV_ARGS = ("sys.argv", "sys.argv[]")

_COMMAND_DECORATORS = [".command", "click.command", "click.group", ".callback"]
_FUNCTION_CLIS = ["typer", "click", "fire"]


def _cli_function_hit(m) -> tuple[int, str] | None:
    """typer/click/fire turn function parameters into options: a hyperparameter-named one."""
    if not m.imports_any(_FUNCTION_CLIS):
        return None
    fire = any(c.name in ("fire.Fire", "typer.run") for c in m.calls)
    for d in m.definitions:
        if d.kind != "function" or not (fire or any(any_name_matches(x, _COMMAND_DECORATORS) for x in d.decorators)):
            continue
        hit = next((p for p in d.params if _HYPERPARAMETER.match(p)), None)
        if hit:
            return d.line, f"hyperparameter option {hit!r} of command {d.name}()"
    return None


# pre-filter of `cli_hyperparameters`: outside typer/click/fire modules, every hit is a call
# taking `sys.argv` or one matching _CLI_CALLS, written as `calls_written` says. For
# `os.environ.get` that is "get(" (in nearly every file), so "environ" is asked for instead,
# and for the absl/TensorFlow `...flags.DEFINE_*` globs "DEFINE_": every dotted part of a
# resolved name is written, except the importing package's own name (see `candidates`)
_CLI_TEXT = either(
    has_any(("argv", "environ", "DEFINE_")),
    calls_written(name_tokens([p for p in _plain(_CLI_CALLS) if p != "os.environ.get"])))


def cli_hyperparameters(ctx) -> Outcome:
    """ML code exposes hyperparameters on the command line (argparse, click, typer, fire,
    absl flags) or through environment variables (`os.getenv("LEARNING_RATE")`).

    Only modules whose imports or text could hold a hit are parsed, and the search stops
    at the evidence shown."""
    idx = index(ctx)

    def candidates():
        for path, m in idx.modules.items():
            if m.is_test or m.kind != "module" or path not in idx.ml_related:
                continue
            # a package inside `os.environ` would make `from . import get` read os.environ.get
            if m.imports_any(_FUNCTION_CLIS) or "environ" in (m.package or "") or text_passes(idx, m, _CLI_TEXT):
                yield m

    ev: list[Evidence] = []
    for m in idx.batched(candidates()):
        fn_hit = _cli_function_hit(m)
        hit = evidence(m, fn_hit[0], None, fn_hit[1]) if fn_hit else _cli_call_hit(m)
        if hit is not None:
            ev.append(hit)
            if len(ev) >= MAX_EVIDENCE:
                break
    return Outcome(bool(ev), ev[:MAX_EVIDENCE],
                   "hyperparameters exposed as CLI options (argparse/click/typer/absl), environment "
                   "variables or config overrides from sys.argv in ML code")


def _cli_call_hit(m) -> Evidence | None:
    """The first call of `m` that overrides a config from sys.argv or declares a
    hyperparameter-named option or environment variable, as evidence."""
    for c in m.calls:
        if any(isinstance(a, dict) and a.get("expr") in _ARGV_ARGS for a in c.args) \
                and _ARGV_MERGE.search(c.last) and not c.last.startswith("parse"):
            return evidence(m, c.line, c.cell, f"config overridden from the command line ({c.last}(sys.argv))")
        if not any_name_matches(c.name, _CLI_CALLS):
            continue
        names = [a for a in c.args if isinstance(a, str)]
        hit = next((a for a in names if _HYPERPARAMETER.match(a)), None)
        if hit:
            kind = "environment variable" if c.last in ("getenv", "get") else "option"
            return evidence(m, c.line, c.cell, f"hyperparameter {kind} {hit!r}")
    return None


# ---------------------------------------------------------------------------- TRAIN004
_TELEMETRY = ("prometheus_client", "opentelemetry", "statsd", "datadog", "bentoml._internal.server.metrics")


def metrics_module(ctx) -> Outcome:
    """`metrics.py` or `metrics/*.py` that is ML code and not service telemetry (Prometheus,
    OpenTelemetry, StatsD): the project's model-evaluation metrics."""
    idx = index(ctx)
    ev: list[Evidence] = []
    for path, m in idx.modules.items():   # paths and imports only: nothing is parsed
        parts = path.split("/")
        if m.kind != "module" or m.is_test or not (parts[-1] == "metrics.py" or "metrics" in parts[:-1]):
            continue
        if path in idx.ml_related and not m.imports_any(_TELEMETRY):
            ev.append(Evidence(path, None, "metrics module in ML code"))
            if len(ev) >= MAX_EVIDENCE:
                break
    return Outcome(bool(ev), ev[:MAX_EVIDENCE], "a metrics.py or metrics/ module in ML code (not service telemetry)")


_MLPROJECT_PARAMETERS = re.compile(r"^[ \t]+parameters:[ \t]*$", re.MULTILINE)


def mlproject_parameters(ctx) -> Outcome:
    """An MLflow Project (outside test fixtures) declares entry-point parameters, which
    `mlflow run . -P alpha=0.5` sets without editing code."""
    from auditor.facts.python import is_test_path

    ev: list[Evidence] = []
    for path in ctx.project.glob(["**/MLproject", "**/MLproject.yaml", "**/MLproject.yml"]):
        if is_test_path(path):
            continue  # a fixture of the test suite (BentoML's tests/integration/.../MLproject)
        text = ctx.project.read_text(path) or ""
        hit = _MLPROJECT_PARAMETERS.search(text)
        if hit:
            ev.append(Evidence(path, text.count("\n", 0, hit.start()) + 1, "MLflow Project entry point parameters"))
    return Outcome(bool(ev), ev[:MAX_EVIDENCE], "MLflow Project entry points declaring parameters (outside tests)")


# ---------------------------------------------------------------------------- TRAIN009
# frameworks that fit tabular models; scikit-learn counts unless only its metrics, splitters,
# utilities or toy datasets are used (a BERT fine-tuning script computing `accuracy_score`)
_TABULAR_MODELLING = frozenset({"xgboost", "lightgbm", "catboost", "statsmodels", "pycaret", "autogluon",
                                "h2o", "cuml", "pyspark.ml", "pyspark.mllib", "dask_ml", "sktime", "imblearn"})
_SKLEARN_NON_MODELLING = ("sklearn.metrics", "sklearn.model_selection", "sklearn.utils", "sklearn.datasets",
                          "sklearn.exceptions", "sklearn.calibration.calibration_curve")
# data frames are tabular data, unless they only carry text or results next to a deep-learning model
_DATAFRAMES = frozenset({"pandas", "polars", "modin", "cudf", "dask.dataframe", "vaex"})


def _tabular_signal(m, fws: set[str]) -> str | None:
    from auditor.facts.python import DEEP_LEARNING

    hit = sorted(fws & _TABULAR_MODELLING)
    if hit:
        return hit[0]
    sk = next((i.module for i in m.imports_any(["sklearn"])
               if not any(i.module == x or i.module.startswith(x + ".") for x in _SKLEARN_NON_MODELLING)), None)
    if sk:
        return sk
    frames = sorted(fws & _DATAFRAMES)
    if frames and not fws & DEEP_LEARNING:
        return frames[0]
    return None


def tabular_training(ctx) -> Outcome:
    """Training code (with the first-party modules it imports) fits tabular models: scikit-learn
    estimators, boosting libraries, statsmodels, ...; or trains on data frames without a
    deep-learning framework. n/a condition of TRAIN009 (feature automation).

    The tabular signal comes from imports alone, so it is found first for every module;
    only modules that have one are checked for being training code (which parses them), in
    order, until the evidence shown is complete."""
    idx = index(ctx)

    def signal(path: str) -> tuple[str, str] | None:
        """(what, where) of the first tabular signal of a module and its first-party imports."""
        group = [path] + idx.first_party_imports(path)
        fws = {f for p in group for f in idx.frameworks.get(p, [])}
        for p in group:
            m = idx.modules.get(p)
            what = _tabular_signal(m, fws) if m is not None else None
            if what:
                return what, p
        return None

    # training code is never a test and always ML-related (`PythonIndex.is_training`)
    signals = {p: hit for p in idx.ml_related if not idx.modules[p].is_test and (hit := signal(p))}
    ev: list[Evidence] = []
    for m in idx.select(tests=None, scope="training-code", paths=signals):
        what, p = signals[m.path]
        ev.append(Evidence(m.path, None, f"trains on tabular data ({what}" + (f", in {p})" if p != m.path else ")")))
        if len(ev) >= 5:
            break
    return Outcome(bool(ev), ev, "training code fitting tabular models (scikit-learn estimators, "
                                 "boosting, statsmodels) or training on data frames without deep learning")
