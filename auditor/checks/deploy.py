"""Named checks for DEPLOY rules: serving code, deployment jobs in CI, promotion gates.

Each needs to relate two things in the same place (a web app *and* model loading and
prediction; a CI job *and* a deploy command that is not a package upload; a promotion call
*and* a metric threshold in the same module), which a predicate over the whole repository
cannot express.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from auditor.model import Evidence, Outcome
from auditor.predicates import MAX_EVIDENCE, Context, found

# ---------------------------------------------------------------------------------- text pre-filters
# Parsing a module is the dominant cost of an audit (issue #6), so every check here first asks
# whether a module's source text *can* hold what it looks for, and parses only those. Each test
# below is a guaranteed superset of the check it guards:
# - every dotted part of a resolved call/base/decorator name is written in the file, except the
#   leading parts a relative import takes from the file's own package (`from . import serve` in
#   package `ray` resolves to `ray.serve`), so a part counts as present when it is in the text
#   *or* in the package name;
# - Python compares identifiers after NFKC normalisation (`ｍodel` is `model`), so a non-ASCII
#   text is normalised before searching, and a notebook whose JSON escapes characters (`\u...`)
#   is searched in its decoded code cells (both: `PythonIndex.normalised_text`);
# - a case-insensitive name test only filters ASCII text (`str.lower` and `re.IGNORECASE` agree
#   there, and not on every Unicode letter).


def _searchable(idx, project, m) -> str | None:
    """The text name tests search for module `m` (`PythonIndex.normalised_text`); None when
    it cannot be filtered on (or pre-filters are switched off: `PythonIndex.prefilter`)."""
    if not idx.prefilter:
        return None
    return idx.normalised_text(m.path)


def _plain_lower(text: str | None, m) -> str | None:
    """Lower-cased text for case-insensitive name tests; None when that is not exact (non-ASCII
    text, or a notebook's raw JSON that may escape characters as `\\u...`)."""
    if text is None or not text.isascii() or (m.kind == "notebook" and "\\u" in text):
        return None
    return text.lower()


def _call_parts(patterns: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    """For each name pattern (exact `a.b.c`, or a suffix `.b.c`), the dotted parts every
    resolved name it matches contains."""
    return tuple(tuple(x for x in p.lstrip(".").split(".") if x) for p in patterns)


@lru_cache(maxsize=None)
def _quick_words(parts: tuple[tuple[str, ...], ...]) -> tuple[str, ...]:
    """One necessary part per pattern (its longest), dropping any that contains another: a
    text with none of these cannot match, and searching a few words is what costs."""
    words = {max(ps, key=len) for ps in parts}
    return tuple(sorted(w for w in words if not any(o != w and o in w for o in words)))


def _may_call(idx, text: str | None, m, parts: tuple[tuple[str, ...], ...]) -> bool:
    """Whether module `m` can hold a name matching one of the patterns `parts` came from:
    each part of some pattern is written in the text or is in the file's package. The
    quick words are looked up in the index's word index (all files at once)."""
    if text is None:
        return True
    if m.path not in idx.mentioning(_quick_words(parts)):
        return False
    pkg = m.package or ""
    return any(all(x in text or x in pkg for x in ps) for ps in parts)


# ---------------------------------------------------------------------------------- serving

WEB_FRAMEWORKS = ("fastapi", "flask", "starlette", "django", "sanic", "aiohttp.web", "tornado.web",
                  "litserve", "falcon", "bottle", "quart", "connexion", "litestar", "robyn",
                  "gradio", "streamlit", "ray.serve", "grpc")

_PREDICT_METHODS = {"predict", "predict_proba", "predict_log_proba", "decision_function", "predict_on_batch",
                    "generate", "infer", "inference", "run_inference", "classify", "score_samples"}
_PREDICT_FUNCS = ("transformers.pipeline", "onnxruntime.InferenceSession")
_LOAD_CALLS = ("joblib.load", "pickle.load", "pickle.loads", "cloudpickle.load", "dill.load", "torch.load",
               "torch.jit.load", "torch.hub.load", "tensorflow.saved_model.load", "onnxruntime.InferenceSession",
               "xgboost.Booster", "lightgbm.Booster", "skops.io.load", "transformers.pipeline",
               "sentence_transformers.SentenceTransformer", "ultralytics.YOLO", "spacy.load",
               "fastai.learner.load_learner", "h2o.load_model", "bentoml.models.get")
_LOAD_NAME = re.compile(r"(?i)(?:^|[._])(?:load_model|load_learner|from_pretrained|load_pipeline|get_model|"
                        r"load_predictor|model_loader|load_checkpoint)$")


def _last(name: str) -> str:
    return name.rsplit(".", 1)[-1]


# Calling the model object itself (`model(x)`, `self.net(batch)`) is how torch/keras models predict.
_MODEL_VARS = {"model", "net", "network", "classifier", "clf", "predictor", "pipe", "estimator", "regressor",
               "nlp", "generator", "detector", "segmenter", "encoder"}
# Receivers of `.run(...)` that are inference sessions (`ort_session.run`, `sess.run`); a word
# match, so `report.run()` or `support.run()` are not sessions.
_SESSION_RECV = re.compile(r"(?i)(?<![a-z])(?:sess|ort(?![a-z])|onnx|infer|runtime)")
# `.generate(...)` predicts only on a model-like receiver (`model.generate`, `self.llm.generate`);
# `metric.generate(...)` or `item.generate(...)` build anything.
_GENERATOR_RECV = re.compile(r"(?i)model|(?<![a-z])llm|pipe|generator|engine|(?<![a-z])lm(?![a-z])|gpt|"
                             r"(?<![a-z])t5|bart|(?<![a-z])net(?![a-z])|network|decoder|seq2seq")


def _is_predict(call) -> bool:
    name = call.name.lstrip(".")
    if _last(call.name) == "generate":  # `model.generate(...)`; a bare `generate()` streams anything
        return bool(call.recv and _GENERATOR_RECV.search(call.recv)) or \
            ("." in name and bool(re.search(r"(?i)model|pipeline", name.rsplit(".", 1)[0])))
    if _last(call.name) in _PREDICT_METHODS or name in _PREDICT_FUNCS:
        return True
    if "." not in name and name.lower() in _MODEL_VARS:
        return True  # `model(x)` or `self.model(x)` (recorded as `.model` with receiver `self`)
    return _last(call.name) == "run" and bool(call.recv and _SESSION_RECV.search(call.recv))


def _is_load(call) -> bool:
    name = call.name.lstrip(".")
    if name in _LOAD_CALLS or _LOAD_NAME.search(name):
        return True
    # bentoml.<framework>.load_model / mlflow.<flavor>.load_model are caught above
    return name.startswith("bentoml.") and _last(name) in ("get", "load_model", "load_runner")


def _scope(idx, path: str, hops: int = 2) -> list[str]:
    """The module plus the first-party modules it imports, up to `hops` levels deep."""
    seen = [path]
    frontier = [path]
    for _ in range(hops):
        nxt = []
        for p in frontier:
            for q in idx.first_party_imports(p):
                if q not in seen and not idx.is_test_file(q):
                    seen.append(q)
                    nxt.append(q)
        frontier = nxt
    return seen


def _first(idx, paths: Iterable[str], pred, may=None) -> tuple[str, Any] | None:
    """The first call satisfying `pred` in the first of `paths` that has one; `may(m)` (a
    text pre-filter that is True for every module holding such a call) spares parsing the
    others."""
    mods = (m for m in (idx.modules.get(p) for p in paths) if m is not None and (may is None or may(m)))
    for m in idx.batched(mods):
        for c in m.calls:
            if pred(c):
                return m.path, c
    return None


# What a module must mention to hold a model-server signal other than a web app (see
# `_serving_evidence`): base classes under kserve./mlserver./cog./ts.torch_handler, the service
# calls and decorators (bentoml.*, ray.serve.*, litserve.LitServer), a SageMaker `model_fn` and
# an Azure ML scoring script (the AZUREML_MODEL_DIR string, or an azureml/inference_schema
# import, which the header answers).
_SERVICES = ("bentoml.service", "bentoml.Service", "bentoml.api", "ray.serve.deployment", "ray.serve.run",
             "litserve.LitServer")
_SERVER_BASES = ("ts.torch_handler", "kserve.", "mlserver.", "cog.")
_SERVER_PARTS = _call_parts(_SERVICES) + (("torch_handler",), ("kserve",), ("mlserver",), ("cog",),
                                          ("model_fn",))
_AZURE_DIR = "AZUREML_MODEL_DIR"  # a string: searched in the raw text, and only found written in one piece
_SERVER_IMPORTS = ("triton_python_backend_utils", "seldon_core")
_AZURE_IMPORTS = ("azureml", "inference_schema")


def _may_serve(idx, project, m) -> bool:
    """Whether `m` can be model-server code by something other than being a web app."""
    if any(i.module.startswith(_AZURE_IMPORTS) for i in m.imports):
        return True
    text = _searchable(idx, project, m)
    if text is None or _may_call(idx, text, m, _SERVER_PARTS):
        return True
    raw = project.read_text(m.path)
    return raw is None or _AZURE_DIR in raw


_PREDICT_WORDS = tuple(sorted(_PREDICT_METHODS | {"generate", "run"}))
_PREDICT_PARTS = _call_parts(_PREDICT_FUNCS)
_LOAD_PARTS = _call_parts(_LOAD_CALLS) + (("bentoml", "get"), ("bentoml", "load_model"), ("bentoml", "load_runner"))
_LOAD_WORDS = ("load_model", "load_learner", "from_pretrained", "load_pipeline", "get_model", "load_predictor",
               "model_loader", "load_checkpoint")  # the alternatives of _LOAD_NAME, lower case


def _may_predict(idx, project, m) -> bool:
    """Whether `m` can hold a call `_is_predict` accepts."""
    text = _searchable(idx, project, m)
    if text is None or any(w in text for w in _PREDICT_WORDS) or _may_call(idx, text, m, _PREDICT_PARTS):
        return True
    low = _plain_lower(text, m)  # `Model(x)`: model variables are compared case-insensitively
    return low is None or any(v in low for v in _MODEL_VARS)


def _may_load(idx, project, m) -> bool:
    """Whether `m` can hold a call `_is_load` accepts."""
    text = _searchable(idx, project, m)
    if text is None or _may_call(idx, text, m, _LOAD_PARTS):
        return True
    low = _plain_lower(text, m)  # _LOAD_NAME is case-insensitive
    return low is None or any(w in low for w in _LOAD_WORDS)


def serving_modules(ctx: Context) -> list[Evidence]:
    """Non-test modules that serve a model (see `model_serving`), as evidence; cached."""
    idx = ctx.project.fact("python")
    if "deploy.serving" in idx.memo:
        return idx.memo["deploy.serving"]
    # Every serving module is needed (MON003 looks into all of them), so no early exit: only
    # modules that can be server code are parsed, and a web app's own body only when it can
    # hold a server signal, a prediction or a model load.
    project = ctx.project
    todo: list[tuple[Any, bool]] = []
    for m in idx.select(tests=False, parse=False):
        server = _may_serve(idx, project, m)
        if server or m.imports_any(_SERVER_IMPORTS) or (m.kind == "module" and m.imports_any(WEB_FRAMEWORKS)):
            todo.append((m, server))
    idx.load(m for m, server in todo if server)
    out: list[Evidence] = []
    for m, server in todo:
        ev = _serving_evidence(idx, m, server, project)
        if ev is not None:
            out.append(ev)
    idx.memo["deploy.serving"] = out
    return out


def _defs(m) -> set[str]:
    return {d.name for d in m.definitions if d.kind == "function" and d.parent is None}


def _serving_evidence(idx, m, server: bool = True, project=None) -> Evidence | None:
    """Why `m` serves a model, or None. `server` False: the text of `m` rules out every
    signal but a web app (see `_may_serve`), so its body is not read for them."""
    # model servers whose API is itself "load a model, predict"
    for d in m.definitions if server else ():
        for b in d.bases:
            if b.startswith(_SERVER_BASES) or b in ("kserve.Model", "mlserver.MLModel", "cog.BasePredictor"):
                return Evidence(m.path, d.line, f"model server class {d.name}({b})")
    for imp in m.imports:
        if imp.module.startswith(_SERVER_IMPORTS):
            return Evidence(m.path, imp.line, f"model server code (imports {imp.module})")
    if server:
        for c in m.calls:
            name = c.name.lstrip(".")
            if name in _SERVICES:
                return Evidence(m.path, c.line, f"model service ({name})")
        for d in m.definitions:
            dec = next((x for x in d.decorators if x in _SERVICES), None)
            if dec:
                return Evidence(m.path, d.line, f"model service (@{dec} on {d.name})")
        defs = _defs(m)
        if m.kind == "module" and "model_fn" in defs and defs & {"predict_fn", "input_fn", "transform_fn",
                                                                  "output_fn"}:
            d = next(d for d in m.definitions if d.name == "model_fn")
            return Evidence(m.path, d.line, "SageMaker inference handler (model_fn/predict_fn)")
        if m.kind == "module" and {"init", "run"} <= defs and (
                any(s.value.startswith("AZUREML_MODEL_DIR") for s in m.strings)
                or any(i.module.startswith(_AZURE_IMPORTS) for i in m.imports)):
            d = next(d for d in m.definitions if d.name == "init")
            return Evidence(m.path, d.line, "Azure ML scoring script (init/run)")
    # web apps that load a model and predict (here or in first-party modules they import)
    web = m.imports_any(WEB_FRAMEWORKS)
    if not web or m.kind != "module":
        return None
    scope = _scope(idx, m.path)
    if project is None:
        pred = _first(idx, scope, _is_predict)
        load = _first(idx, scope, _is_load) if pred is not None else None
    else:
        pred = _first(idx, scope, _is_predict, lambda x: _may_predict(idx, project, x))
        load = _first(idx, scope, _is_load, lambda x: _may_load(idx, project, x)) if pred is not None else None
    if pred is None or load is None:
        return None
    detail = (f"{web[0].module.split('.')[0]} app: loads a model ({load[1].name.lstrip('.')}"
              f"{' in ' + load[0] if load[0] != m.path else ''}) and predicts "
              f"({pred[1].name.lstrip('.')}{' in ' + pred[0] if pred[0] != m.path else ''})")
    return Evidence(m.path, web[0].line, detail)


def model_serving(ctx: Context) -> Outcome:
    """Code serves a model: a web app or UI (FastAPI, Flask, Django, Gradio, Streamlit, ...)
    that loads a model and predicts (in the app module or a first-party module it imports,
    two levels deep); or model-server code (BentoML services, Ray Serve deployments,
    LitServe, TorchServe handlers, KServe/MLServer/Cog model classes, Triton Python
    backends, Seldon components, SageMaker `model_fn`/`predict_fn` handlers, Azure ML
    `init`/`run` scoring scripts). A web app without a model is not a model service."""
    return found(serving_modules(ctx)[:5],
                 "a web app that loads a model and predicts, or model-server code "
                 "(BentoML, Ray Serve, TorchServe, KServe, Triton, SageMaker/Azure ML handlers)")


# ---------------------------------------------------------------------------------- deployment in CI

DEPLOY_COMMAND = re.compile(
    r"(?i)"
    r"\b(?:docker|podman|buildah|nerdctl)\s+(?:image\s+)?push\b"
    r"|\bdocker\s+(?:buildx\s+)?build\b[^|;&]*\s--push\b|\bdocker\s+compose\s+push\b"
    r"|\b(?:crane|skopeo)\s+(?:push|copy)\b|\bko\s+(?:build|publish|apply|resolve)\b"
    r"|\bgcloud\s+builds\s+submit\b|\baz\s+acr\s+build\b|\bjib\b|\bspring-boot:build-image\b"
    r"|\bkubectl\s+(?:apply|create|replace|patch|set\s+image|rollout|argo\s+rollouts)\b|\bkubectl-argo-rollouts\b"
    r"|\bhelm\s+(?:upgrade|install)\b|\bhelmfile\s+(?:apply|sync)\b|\bskaffold\s+(?:run|deploy)\b"
    r"|\bargocd\s+app\s+(?:sync|set|create)\b|\bflux\s+reconcile\b|\bkustomize\s+build\b.*\|\s*kubectl"
    r"|\bgcloud\s+(?:beta\s+)?(?:run\s+(?:deploy|services\s+update|jobs\s+(?:deploy|update))|app\s+deploy|"
    r"functions\s+deploy|ai\s+(?:endpoints\s+(?:deploy-model|create|mutate-deployed-model)|models\s+upload))\b"
    r"|\baws\s+(?:ecs\s+(?:update-service|deploy)|lambda\s+update-function-code|apprunner\s+\S+|"
    r"sagemaker\s+(?:create|update)-(?:endpoint|endpoint-config|model)|deploy\s+create-deployment|"
    r"cloudformation\s+(?:deploy|create-stack|update-stack))\b"
    r"|\baz\s+(?:ml\s+(?:online-deployment|online-endpoint|batch-deployment|batch-endpoint|model)\s+(?:create|update)|"
    r"webapp\s+(?:deploy|up|config\s+container)|containerapp\s+(?:up|update|create)|functionapp\s+deploy)\b"
    r"|\b(?:terraform|tofu|terragrunt)\s+apply\b|\bpulumi\s+up\b|\bcdk\s+deploy\b|\bsam\s+deploy\b"
    r"|\b(?:serverless|sls)\s+deploy\b|\bcopilot\s+(?:svc\s+)?deploy\b|\bfly(?:ctl)?\s+deploy\b"
    r"|\bheroku\s+container:release\b|\bgit\s+push\s+heroku\b|\brailway\s+up\b|\bmodal\s+deploy\b"
    r"|\bmlflow\s+(?:deployments\s+create|sagemaker\s+deploy)\b|\bbentoml\s+(?:push|deploy)\b"
    r"|\bhuggingface-cli\s+upload\b|\bhf\s+upload\b|\btruss\s+push\b|\bcog\s+push\b|\bgto\s+(?:assign|promote)\b"
    r"|\bansible-playbook\b"
    r"|\baz\s+ml\s+(?:model\s+deploy|service\s+update|endpoint\s+realtime\s+(?:create|update))\b"
    r"|\banyscale\s+services?\s+(?:rollout|deploy)\b|\bsky\s+serve\s+(?:up|update)\b")

# Steps that publish something which is not a model or service: never deployment evidence.
NOT_DEPLOY = re.compile(
    r"(?i)\btwine\s+upload\b|\b(?:poetry|flit|hatch|uv|pdm|maturin)\s+publish\b|gh-action-pypi-publish"
    r"|mkdocs\s+gh-deploy|deploy-pages|actions-gh-pages|\bnpm\s+publish\b|\bghp-import\b")

DEPLOY_ACTIONS = re.compile(
    r"(?i)^(?:docker/build-push-action|redhat-actions/push-to-registry|akhilerm/tag-push-action"
    r"|azure/(?:k8s-deploy|webapps-deploy|container-apps-deploy-action|aci-deploy|functions-action)"
    r"|google-github-actions/(?:deploy-cloudrun|deploy-appengine|deploy-cloud-functions|deploy-gke)"
    r"|aws-actions/(?:amazon-ecs-deploy-task-definition|aws-cloudformation-github-deploy)"
    r"|deliverybot/helm|wahyd4/kubectl-helm-action|koslib/helm-eks-action|steebchen/kubectl|actions-hub/kubectl"
    r"|pulumi/actions|superfly/flyctl-actions|serverless/github-action|akhileshns/heroku-deploy"
    r"|huggingface/(?:hub-sync|push)|circleci/(?:aws-ecr|gcp-gcr|azure-acr|aws-ecs|kubernetes|helm)"
    r"|aws-ecr/build[-_]and[-_]push|gcp-gcr/build[-_]and[-_]push|azure-acr/build[-_]and[-_]push"
    r"|aws-ecs/deploy|heroku/deploy|kubernetes/|helm/(?:upgrade|install)"
    # Azure DevOps deployment tasks (`task: AzureWebAppContainer@1`)
    r"|AzureWebAppContainer$|AzureWebApp$|AzureRmWebAppDeployment$|AzureFunctionApp(?:Container)?$"
    r"|AzureContainerApps$|HelmDeploy$)", re.IGNORECASE)

# Python calls that deploy a model or push it to a hub (for CI steps running first-party scripts).
DEPLOY_CALLS = ("push_to_hub", "huggingface_hub.upload_folder", "huggingface_hub.upload_file",
                ".upload_folder", ".upload_file", "sagemaker.model.Model.deploy", ".deploy",
                ".create_deployment", ".begin_create_or_update", ".create_endpoint", ".update_endpoint",
                "bentoml.deployment.create")


def _python_target(text: str, cwd: str, idx) -> str | None:
    """The first-party file a `python script.py` / `python -m pkg.mod` command runs."""
    m = re.search(r"\bpython[\d.]*\s+(?:-\w+\s+)*-m\s+([\w.]+)", text)
    if m:
        return idx.resolve_module(m.group(1))
    m = re.search(r"(?:\bpython[\d.]*\s+(?:-\w+\s+)*|^\s*(?:\./)?)([\w./-]+\.py)\b", text)
    if m:
        rel = m.group(1).removeprefix("./")
        for cand in ((cwd + "/" + rel) if cwd else rel, rel):
            if cand in idx.modules:
                return cand
    return None


_DEPLOY_PARTS = _call_parts(DEPLOY_CALLS)


def _script_deploys(idx, path: str, project=None) -> str | None:
    m = idx.modules.get(path)
    if m is None:
        return None
    if project is not None and not _may_call(idx, _searchable(idx, project, m), m, _DEPLOY_PARTS):
        return None  # no deploying call can be in it: not parsed
    for c in m.calls:
        name = c.name
        if any(name == p or (p.startswith(".") and name.endswith(p)) or name.endswith("." + p.lstrip("."))
               for p in DEPLOY_CALLS):
            if _last(name) == "deploy" and not any(k in c.kwargs for k in
                                                   ("initial_instance_count", "instance_type", "endpoint",
                                                    "endpoint_name", "traffic_percentage", "traffic_split",
                                                    "deployed_model_display_name", "machine_type", "model",
                                                    "models", "deployment_config")):
                continue  # a bare `.deploy()` is too vague; model deploys name their target
            return f"{name.lstrip('.')}()"
    return None


def ci_deploys(ctx: Context) -> Outcome:
    """A CI/CD job builds and pushes an image or deploys a model or service.

    Counted commands (also through make/just/tox indirections the CI fact resolves):
    container pushes (`docker push`, `docker buildx build --push`, `gcloud builds submit`,
    `az acr build`...), `kubectl apply/set image/rollout`, `helm upgrade/install`,
    Argo CD/Flux syncs, cloud deploy commands (Cloud Run, App Engine, Vertex AI,
    SageMaker, ECS, Lambda, Azure ML/Web Apps/Container Apps), Terraform/Pulumi/CDK/SAM/
    Serverless deploys, model hub pushes (`huggingface-cli upload`, `bentoml push`,
    `gto assign`), and first-party Python scripts that deploy or push a model. Deploying
    actions (`docker/build-push-action`, `azure/k8s-deploy`, `google-github-actions/
    deploy-cloudrun`, ...) count too. Publishing a library (`twine upload`, `poetry
    publish`, `pypa/gh-action-pypi-publish`) or docs (`mkdocs gh-deploy`, Pages) does not.
    """
    ci = ctx.project.fact("ci")
    idx = None
    ev: list[Evidence] = []
    for job in ci.jobs:
        hit: Evidence | None = None
        for cmd in job.commands:
            for step in cmd.candidates():
                if step.kind != "run" or NOT_DEPLOY.search(step.text):
                    continue
                via = f" (via {step.via})" if step.via else ""
                if DEPLOY_COMMAND.search(step.text):
                    hit = Evidence(step.file or job.file, step.line,
                                   f"CI job `{job.name}` runs `{step.text[:100]}`{via}")
                    break
                if "python" in step.text or step.text.strip().endswith(".py"):
                    if idx is None:
                        idx = ctx.project.fact("python")
                    target = _python_target(step.text, cmd.cwd, idx)
                    what = _script_deploys(idx, target, ctx.project) if target else None
                    if what:
                        hit = Evidence(step.file or job.file, step.line,
                                       f"CI job `{job.name}` runs {target}, which calls {what}")
                        break
            if hit:
                break
        if hit is None:
            for uses in job.uses:
                action = uses.split("@")[0]
                if DEPLOY_ACTIONS.search(action) and not NOT_DEPLOY.search(action):
                    hit = Evidence(job.file, job.line, f"CI job `{job.name}` uses {uses}")
                    break
        if hit:
            ev.append(hit)
    return found(ev, "a CI/CD job that pushes a serving image or deploys a model or service "
                     "(package-index uploads and docs publishing excluded)")


# ---------------------------------------------------------------------------------- promotion gate

# Calls that register, promote, publish or deploy a model (not: saving a checkpoint).
PROMOTE_CALLS = (
    "mlflow.register_model", ".register_model", ".transition_model_version_stage", ".set_registered_model_alias",
    ".create_model_version", ".create_registered_model", ".set_model_version_tag", ".link_model",
    ".link_artifact", "push_to_hub", "huggingface_hub.upload_folder", "huggingface_hub.upload_file",
    ".create_model_package", "sagemaker.workflow.step_collections.RegisterModel", ".register",
    "google.cloud.aiplatform.Model.upload", ".upload_model", ".models.create_or_update",
    ".online_deployments.begin_create_or_update", ".deploy", ".promote", ".promote_model", "promote_model",
    "register_model", "deploy_model", "publish_model")
_PROMOTE_KWARGS = ("registered_model_name", "model_package_group_name")

# Built-in gates: the framework compares metrics to thresholds before the next step.
GATE_CALLS = ("mlflow.evaluate", "mlflow.models.evaluate", "mlflow.validate_evaluation_results",
              "mlflow.models.MetricThreshold", "mlflow.models.evaluation.validation.MetricThreshold",
              "sagemaker.workflow.condition_step.ConditionStep", "tensorflow_model_analysis.MetricThreshold",
              "tensorflow_model_analysis.GenericValueThreshold", "tensorflow_model_analysis.GenericChangeThreshold",
              "tfx.components.Evaluator", "tfx.v1.components.Evaluator")

_METRIC = re.compile(r"(?i)auc|roc|accuracy|(?<![a-z])acc(?![a-z])|f1|precision|recall|rmse|mae|mse|mape|r2|"
                     r"loss|score|metric|logloss|brier|ndcg|map(?![a-z])|bleu|rouge|perplexity|wer")
_REFERENCE = re.compile(r"(?i)threshold|min_|max_|minimum|maximum|baseline|production|prod_|champion|current|"
                        r"deployed|incumbent|reference|target|expected|floor|ceiling|limit|required|acceptable")
_COMPARE_LINE = re.compile(r"^\s*(?:if|elif|assert)\b.*?(?:<=|>=|<|>)")
_BEST = re.compile(r"(?i)best")
_GATE_COMMAND = re.compile(
    r"(?i)(?:check|validate|gate|compare|verify|assert)[-_]?(?:model|metrics?|performance|quality|models)"
    r"|model[-_]?(?:gate|validation|check|comparison)|--fail[-_]under|--min[-_][\w-]+|--threshold"
    r"|metrics\s+diff\b.*--(?:fail|thresh)")


@lru_cache(maxsize=65536)
def _promotion_name(name: str) -> bool:
    # memoised per distinct call name: the scan over PROMOTE_CALLS per call took seconds
    # on a 20,000-file repository
    return any(name == p or (p.startswith(".") and name.endswith(p)) or name.endswith("." + p.lstrip("."))
               for p in PROMOTE_CALLS)


def _promotion_calls(m) -> list[Any]:
    out = []
    for c in m.calls:
        name = c.name
        hit = _promotion_name(name)
        if _last(name) in ("deploy", "register") and hit:
            # generic verbs: only with a model-ish receiver or model kwargs
            hit = bool(re.search(r"(?i)model|estimator|endpoint|registry|pipeline", (c.recv or "") + name)
                       or any(k in c.kwargs for k in ("model_package_group_name", "initial_instance_count",
                                                        "endpoint_name", "model_name")))
        if hit or any(c.has_kwarg(k) for k in _PROMOTE_KWARGS):
            out.append(c)
    return out


def _threshold_lines(text: str) -> list[tuple[int, str]]:
    """`if`/`assert` lines comparing a metric with a threshold or the production model."""
    out = []
    for no, line in enumerate(text.splitlines(), 1):
        code = line.split("#", 1)[0]
        if not _COMPARE_LINE.search(code) or _BEST.search(code):
            continue
        if _METRIC.search(code) and (_REFERENCE.search(code) or re.search(r"[<>]=?\s*-?\d*\.\d+", code)):
            out.append((no, code.strip()))
    return out


def validation_gate(ctx: Context) -> Outcome:
    """A metric threshold (or a comparison with the production model) gates promotion.

    Passes on (a) a module that registers, promotes, publishes or deploys a model
    (`mlflow.register_model`, `registered_model_name=`, alias/stage transitions, W&B
    `link_model`, `push_to_hub`, SageMaker model packages, Vertex/Azure ML uploads and
    deployments, ...) and also compares an evaluation metric with a threshold or with the
    current model (`if auc < MIN_AUC: raise`, `assert new_f1 >= prod_f1`, ...); (b) a
    framework gate (MLflow `validation_thresholds`/`MetricThreshold`, SageMaker
    `ConditionStep`, TFMA thresholds); (c) a CI job, a DVC stage or a make target that
    runs a metric check (`check_metrics`, `validate_model`, `--min-auc`, `--fail-under`)
    and then registers, promotes or deploys; (d) an evaluation step (module named eval/
    validate/gate/compare/..., or one that names the production/champion model) that
    compares a metric with a threshold or the production model and stops the pipeline
    (`raise`, `sys.exit`, `run.cancel()`) right after, when another module registers or
    deploys the model. Comparisons with a "best" value (keeping the best checkpoint during
    training) never count, and neither does saving a model.
    """
    idx = ctx.project.fact("python")
    ev: list[Evidence] = []
    promoters: list[tuple[Any, Any]] = []  # (module, its first promotion call), for (d)
    for m in idx.batched(_gate_candidates(ctx, idx)):
        if len(ev) >= MAX_EVIDENCE:
            break  # `found` keeps no more (the CI evidence comes after these)
        for c in m.calls:
            name = c.name.lstrip(".")
            if name in GATE_CALLS and (name not in ("mlflow.evaluate", "mlflow.models.evaluate")
                                       or c.has_kwarg("validation_thresholds")):
                ev.append(Evidence(m.path, c.line, f"built-in model validation gate: {name}()"))
                break
        else:
            promos = _promotion_calls(m)
            if not promos:
                continue
            promoters.append((m, promos[0]))
            text = ctx.project.read_text(m.path) or ""
            last_promo = max(c.line for c in promos)
            gates = [(no, line) for no, line in _threshold_lines(text) if no < last_promo]
            if gates:
                no, line = gates[0]
                promo = next(c for c in promos if c.line > no)
                ev.append(Evidence(m.path, no, f"`{line[:90]}` gates {promo.name.lstrip('.')}() "
                                               f"(line {promo.line})"))
    if not ev:  # then every candidate was read, and `promoters` lists all promoting modules
        ev += _stopping_gates(ctx, idx, promoters)
    ev += _ci_gates(ctx)
    return found(ev, "a metric threshold or production-model comparison before a model is "
                     "registered, promoted or deployed (code, CI job, DVC stage or make target)")


# A pipeline step that evaluates the new model and stops the run when it is not good enough,
# with registration in a later step (another module): Azure ML / SageMaker / Kubeflow style.
_HALT = re.compile(r"\braise\b|\bsys\.exit\s*\(|(?<![\w.])exit\s*\(|\.cancel\s*\(|\.fail\s*\(|"
                   r"\.set_status\s*\(\s*['\"]?fail")
_STRONG_REFERENCE = re.compile(r"(?i)production|(?<![a-z])prod_|champion|incumbent|deployed|current|baseline|"
                               r"threshold|(?<![a-z])min_|(?<![a-z])max_|minimum|maximum|required|acceptable")
_GATE_MODULE = re.compile(r"(?i)eval|valid|gate|compar|promot|check|approv|accept|deploy|regist|release")
_HALT_WINDOW = 12
_PRODUCTION = re.compile(r"(?i)production|champion|incumbent|deployed")
_PRODUCTION_WORDS = ("production", "champion", "incumbent", "deployed")

# What a module must mention to hold a gate call or a promotion (`_promotion_calls`);
# `mlflow.evaluate` is a gate only with a `validation_thresholds=` keyword, written out.
_GATE_PARTS = tuple(ps + ("validation_thresholds",) if ps[-1] == "evaluate" else ps
                    for ps in _call_parts(GATE_CALLS)) + _call_parts(PROMOTE_CALLS)


def _gate_candidates(ctx: Context, idx) -> Iterator[Any]:
    """Non-test modules, in index order, that can hold a built-in gate or a promotion call."""
    for m in idx.select(tests=False, scope="modules", parse=False):
        text = _searchable(idx, ctx.project, m)
        if text is None or _may_call(idx, text, m, _GATE_PARTS) or any(k in text for k in _PROMOTE_KWARGS):
            yield m


def _stopping_gates(ctx: Context, idx, promoters: list[tuple[Any, Any]] | None = None) -> list[Evidence]:
    """(d) an evaluation step compares the new model's metric with the production model or
    a threshold and stops the pipeline (`raise`, `sys.exit`, `run.cancel()`) within a few
    lines, while another non-test module registers, promotes or deploys the model.

    `promoters`: (module, first promotion call) of every promoting non-test module in index
    order (only the first two are used); found here when not given. The gate itself is found
    in the text alone, so no module is parsed for it."""
    if promoters is None:
        promoters = []
        for m in idx.batched(_gate_candidates(ctx, idx)):
            promos = _promotion_calls(m)
            if promos:
                promoters.append((m, promos[0]))
                if len(promoters) == 2:
                    break
    if not promoters:
        return []
    out: list[Evidence] = []
    for m in idx.select(tests=False, scope="modules", parse=False):
        production = False
        text = None
        if not _GATE_MODULE.search(m.path):
            text = ctx.project.read_text(m.path) or ""
            low = text.lower() if text.isascii() else None  # a quick no before the regex
            if low is not None and not any(w in low for w in _PRODUCTION_WORDS):
                continue
            production = bool(_PRODUCTION.search(text))
            if not production:
                continue
        text = text if text is not None else (ctx.project.read_text(m.path) or "")
        lines = [ln.split("#", 1)[0] for ln in text.splitlines()]
        for no, line in _threshold_lines(text):
            if not _STRONG_REFERENCE.search(line):
                continue
            window = "\n".join(lines[no - 1: no - 1 + _HALT_WINDOW])
            if line.startswith("assert") or _HALT.search(window):
                other = next(((pm, c) for pm, c in promoters if pm.path != m.path), promoters[0])
                out.append(Evidence(m.path, no, f"`{line[:90]}` stops the pipeline before "
                                                f"{other[1].name.lstrip('.')}() in {other[0].path} "
                                                f"(line {other[1].line})"))
                break
        if len(out) >= 5:
            break
    return out


def _ci_gates(ctx: Context) -> list[Evidence]:
    out: list[Evidence] = []
    sequences: list[tuple[str, str, list[tuple[str, int | None, str]]]] = []
    ci = ctx.project.fact("ci")
    for job in ci.jobs:
        steps = [(s.file or job.file, s.line, s.text) for c in job.commands for s in c.candidates() if s.kind == "run"]
        sequences.append((f"CI job `{job.name}`", job.file, steps))
    infra = ctx.project.fact("infra")
    stages = [(s.file, s.line, c) for s in infra.dvc.stages for c in s.cmd]
    if stages:
        sequences.append(("DVC pipeline", stages[0][0], stages))
    for t in infra.targets:
        steps = [(tt.file, tt.line, line) for tt, line in infra.expand_target(t.name, tool=t.tool)]
        sequences.append((f"{t.tool} target `{t.name}`", t.file, steps))
    promote = re.compile(r"(?i)register|promot|deploy|publish|release|push|gto\s+assign|set[-_]alias|"
                         + DEPLOY_COMMAND.pattern.replace("(?i)", "", 1))
    for what, _file, steps in sequences:
        gate_at = next((i for i, (_, _, t) in enumerate(steps) if _GATE_COMMAND.search(t)), None)
        if gate_at is None:
            continue
        later = next((s for s in steps[gate_at + 1:] if promote.search(s[2]) and not NOT_DEPLOY.search(s[2])), None)
        if later is not None:
            f, line, text = steps[gate_at]
            out.append(Evidence(f, line, f"{what} checks `{text[:70]}` before `{later[2][:60]}`"))
    return out


# ---------------------------------------------------------------------------------- registry (receiver-based)

# (receiver regex, method) pairs that only mean "register a model" on that kind of object.
_REGISTRY_METHODS = (
    (re.compile(r"(?i)(?:^|\.)models$"), "create_or_update", "azure.ai.ml"),   # ml_client.models.create_or_update
    (re.compile(r"(?i)run|wandb"), "log_model", "wandb"),                       # run.log_model (W&B model artifacts)
    (re.compile(r"(?i)run|wandb"), "link_model", "wandb"),
    (re.compile(r"(?i)registry|model_registry"), "register_model", "model_registry"),
)


def _registry_candidates(ctx: Context, idx) -> Iterator[Any]:
    """Non-test files that import one of the libraries and mention its registering method
    (a method name is always written out)."""
    for m in idx.select(tests=False, parse=False):
        wanted = [meth for _rx, meth, lib in _REGISTRY_METHODS if m.imports_any([lib])]
        if wanted:
            text = _searchable(idx, ctx.project, m)
            if text is None or any(meth in text for meth in wanted):
                yield m


def registry_client_calls(ctx: Context) -> Outcome:
    """Registry calls that are only recognisable by their receiver and library.

    Azure ML v2 `ml_client.models.create_or_update(...)`, W&B `run.log_model(...)` /
    `run.link_model(...)`, Kubeflow Model Registry `registry.register_model(...)`: the
    method name alone is too common, so the module must also import the library.
    """
    idx = ctx.project.fact("python")
    ev: list[Evidence] = []
    for m in idx.batched(_registry_candidates(ctx, idx)):
        if len(ev) >= 5:
            break  # only five are shown, and any one passes
        for c in m.calls:
            if not c.name.startswith(".") or c.recv is None:
                continue
            method = c.name[1:]
            for rx, meth, lib in _REGISTRY_METHODS:
                if method == meth and rx.search(c.recv) and m.imports_any([lib]):
                    ev.append(Evidence(m.path, c.line, f"registers a model: {c.recv}.{method}() ({lib})"))
                    break
            else:
                continue
            break
    return found(ev[:5], "model registration through Azure ML, W&B or Kubeflow Model Registry clients")


# ---------------------------------------------------------------------------------- traffic routing in code

_ROUTING_WORDS = re.compile(r"(?i)challenger|champion|canary|shadow[_ -]?(?:model|mode|traffic|deploy)|"
                            r"(?<![a-z])ab[_-]?test|traffic[_ -]?(?:split|fraction|share|weight|percent)|"
                            r"rollout[_ -]?(?:fraction|percent)")
_ROUTING_CALLS = ("random.random", "random.uniform", "random.choices", "numpy.random.rand", "numpy.random.random",
                  "numpy.random.choice", "numpy.random.uniform", ".random", ".choice", "hashlib.md5", "hashlib.sha1",
                  "hashlib.sha256", "zlib.crc32", "mmh3.hash", "xxhash.xxh64")


_ROUTING_NEAR = 15
_ROUTING_PARTS = _call_parts(_ROUTING_CALLS)
# Literals every match of _ROUTING_WORDS contains (lower case), to skip the regex on most files.
_ROUTING_LITERALS = ("challenger", "champion", "canary", "shadow", "abtest", "ab_test", "ab-test", "traffic",
                     "rollout")


def _routing_candidates(ctx: Context, idx) -> Iterator[Any]:
    """Non-test modules that can hold a routing draw and name the routed models: a routing
    call's name parts and a match of _ROUTING_WORDS anywhere in the text (a match in the
    comment-free lines near a call, where the check looks, is one in the whole text)."""
    for m in idx.select(tests=False, scope="modules", parse=False):
        if not _may_call(idx, _searchable(idx, ctx.project, m), m, _ROUTING_PARTS):
            continue
        text = ctx.project.read_text(m.path)
        if text is None:
            continue  # the check reads no lines from it: nothing can be near a call
        low = _plain_lower(text, m)
        if low is not None and not any(w in low for w in _ROUTING_LITERALS):
            continue
        if _ROUTING_WORDS.search(text):
            yield m


def traffic_routing_code(ctx: Context) -> Outcome:
    """Serving code splits traffic between a champion and a challenger (or canary/shadow) model.

    Counted: a non-test module that names a challenger/canary/shadow model, an A/B test or
    a traffic split (in identifiers or strings) and routes requests by a random draw or a
    hash of the request/user id within 15 lines of those words. Choosing a model by a configuration flag or environment
    variable alone is a switch, not a progressive release, and does not count.
    """
    idx = ctx.project.fact("python")
    ev: list[Evidence] = []
    for m in idx.batched(_routing_candidates(ctx, idx)):
        if len(ev) >= 5:
            break  # only five are shown, and any one passes
        routes = [c for c in m.calls if any(c.name == r or (r.startswith(".") and c.name.endswith(r))
                                            for r in _ROUTING_CALLS)]
        if not routes:
            continue
        lines = [ln.split("#", 1)[0] for ln in (ctx.project.read_text(m.path) or "").splitlines()]
        for route in routes:
            # the draw must route between the named models: the words sit near the call
            # (a file hash 300 lines away from a canary config schema routes nothing)
            near = "\n".join(lines[max(0, route.line - 1 - _ROUTING_NEAR): route.line + _ROUTING_NEAR])
            word = _ROUTING_WORDS.search(near)
            if word is not None:
                ev.append(Evidence(m.path, route.line, f"routes traffic ({route.name.lstrip('.')}) between "
                                                       f"models ({word.group(0)})"))
                break
    return found(ev[:5], "champion/challenger, canary or shadow traffic routing in serving code")
