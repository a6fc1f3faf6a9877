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


def classifier_trained(ctx) -> Outcome:
    """A supervised classifier in non-test ML code (language/generative models do not count:
    their token-level cross-entropy and accuracy are not class predictions)."""
    idx = index(ctx)
    ev: list[Evidence] = []
    for path in idx.ml_modules:
        m = idx.modules[path]

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


def config_file_read(ctx) -> Outcome:
    """ML code (or a module importing it) reads a YAML/TOML/JSON config, and a config file exists."""
    idx = index(ctx)
    searched = ("ML code reading a config file (yaml/toml/json/OmegaConf/dvc.api.params_show) "
                "with params.yaml, conf/ or configs/ files present")
    files = config_files(ctx)
    ev: list[Evidence] = []
    for path, m in idx.modules.items():
        if m.is_test:
            continue
        cloud_job = bool(m.imports_any(_CLOUD_TRAINING_SDKS))
        if path not in idx.ml_related and not cloud_job:
            continue
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


def cli_hyperparameters(ctx) -> Outcome:
    """ML code exposes hyperparameters on the command line (argparse, click, typer, fire,
    absl flags) or through environment variables (`os.getenv("LEARNING_RATE")`)."""
    idx = index(ctx)
    ev: list[Evidence] = []
    for path, m in idx.modules.items():
        if m.is_test or m.kind != "module" or path not in idx.ml_related:
            continue
        fn_hit = _cli_function_hit(m)
        if fn_hit:
            ev.append(evidence(m, fn_hit[0], None, fn_hit[1]))
            continue
        for c in m.calls:
            if any(isinstance(a, dict) and a.get("expr") in _ARGV_ARGS for a in c.args) \
                    and _ARGV_MERGE.search(c.last) and not c.last.startswith("parse"):
                ev.append(evidence(m, c.line, c.cell, f"config overridden from the command line ({c.last}(sys.argv))"))
                break
            if not any_name_matches(c.name, _CLI_CALLS):
                continue
            names = [a for a in c.args if isinstance(a, str)]
            hit = next((a for a in names if _HYPERPARAMETER.match(a)), None)
            if hit:
                kind = "environment variable" if c.last in ("getenv", "get") else "option"
                ev.append(evidence(m, c.line, c.cell, f"hyperparameter {kind} {hit!r}"))
                break
    return Outcome(bool(ev), ev[:MAX_EVIDENCE],
                   "hyperparameters exposed as CLI options (argparse/click/typer/absl), environment "
                   "variables or config overrides from sys.argv in ML code")


# ---------------------------------------------------------------------------- TRAIN004
_TELEMETRY = ("prometheus_client", "opentelemetry", "statsd", "datadog", "bentoml._internal.server.metrics")


def metrics_module(ctx) -> Outcome:
    """`metrics.py` or `metrics/*.py` that is ML code and not service telemetry (Prometheus,
    OpenTelemetry, StatsD): the project's model-evaluation metrics."""
    idx = index(ctx)
    ev: list[Evidence] = []
    for path, m in idx.modules.items():
        parts = path.split("/")
        if m.kind != "module" or m.is_test or not (parts[-1] == "metrics.py" or "metrics" in parts[:-1]):
            continue
        if path in idx.ml_related and not m.imports_any(_TELEMETRY):
            ev.append(Evidence(path, None, "metrics module in ML code"))
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
    deep-learning framework. n/a condition of TRAIN009 (feature automation)."""
    idx = index(ctx)
    ev: list[Evidence] = []
    for path in idx.training_modules:
        group = [path] + idx.first_party_imports(path)
        fws = {f for p in group for f in idx.frameworks.get(p, [])}
        for p in group:
            m = idx.modules.get(p)
            what = _tabular_signal(m, fws) if m is not None else None
            if what:
                ev.append(Evidence(path, None, f"trains on tabular data ({what}"
                                   + (f", in {p})" if p != path else ")")))
                break
        if len(ev) >= 5:
            break
    return Outcome(bool(ev), ev, "training code fitting tabular models (scikit-learn estimators, "
                                 "boosting, statsmodels) or training on data frames without deep learning")
