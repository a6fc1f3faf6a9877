"""Predicates over pipeline and infrastructure facts (`project.fact("infra")`).

Vocabulary (every value form is documented on its function):

- `dvc = "stages" | "remote" | "pointers" | "metrics" | "params" | "lock" | "artifacts" | "any"`
- `make-target = "regex"` or `{ name = "regex", recipe = "regex" }` (Makefile, justfile,
  Taskfile, poe tasks)
- `mlproject = true`
- `container = true | ["dockerfile", "compose", "devcontainer", "apptainer", "cog", "bentoml"]`
- `container-runs = "regex"` (Dockerfile FROM/RUN/CMD/ENTRYPOINT, compose image/command,
  Kubernetes container image/command/args)
- `k8s-kind = "CronJob" | [...] | { kind = [...], api-version = "regex" }`
- `k8s-field = { kind = ..., path = "spec.a.b" | key = "name", equals = v, min-count = n }`
- `iac = true | ["terraform", "kubernetes", "helm", ...]`
- `iac-resource = "type-regex" | { type = "regex", body = "regex" }`
- `monitoring-config = true | "prometheus-alerts" | [...]`
- `pipeline-file = true | ["snakemake", "argo", ...]`
- `infra-schedule = true | "any"`
"""

from __future__ import annotations

from typing import Any

from auditor.model import Evidence, Outcome
from auditor.predicates import Context, RuleError, as_list, found
from auditor.predicates.files import compile_pattern


def _facts(ctx: Context):
    return ctx.project.fact("infra")


def _kinds(value: Any, allowed: set[str], what: str) -> list[str] | None:
    """`true` -> None (every kind); a string or list -> those kinds (validated)."""
    if value is True:
        return None
    kinds = [str(v) for v in as_list(value)]
    if not kinds or value is False:
        raise RuleError(f"`{what}` needs true or one or more of: {', '.join(sorted(allowed))}")
    bad = [k for k in kinds if k not in allowed]
    if bad:
        raise RuleError(f"`{what}`: unknown kind(s) {', '.join(bad)}; expected {', '.join(sorted(allowed))}")
    return kinds


def _rx(ctx: Context, pattern: Any, what: str, ignore_case: bool = True):
    if not isinstance(pattern, str) or not pattern:
        raise RuleError(f"`{what}` needs a regular expression string")
    return compile_pattern(pattern, ignore_case, ctx.user_rule)


# ---------------------------------------------------------------------------------- DVC

_DVC_ASPECTS = {"any", "stages", "remote", "pointers", "metrics", "params", "lock", "artifacts"}
# How a failed search reads in a report.
_DVC_WORDS = {
    "any": "DVC files (`.dvc/config`, `dvc.yaml`, `*.dvc`)",
    "stages": "DVC pipeline stages in `dvc.yaml`",
    "remote": "a DVC remote in `.dvc/config`",
    "pointers": "DVC-tracked data (`*.dvc` pointer files)",
    "metrics": "DVC metrics",
    "params": "DVC stage params",
    "lock": "a committed `dvc.lock`",
    "artifacts": "DVC artifacts in `dvc.yaml`",
}


def dvc(ctx: Context, value: Any) -> Outcome:
    """`dvc = "stages"`: the repository uses DVC in that way (a list means any of them).

    stages: `dvc.yaml` declares at least one stage with a command; remote: `.dvc/config`
    names a remote with a URL (shared storage); pointers: `*.dvc` files track data;
    metrics: a stage or `dvc.yaml` declares metrics files; params: a stage declares params;
    lock: `dvc.lock` is committed; artifacts: `dvc.yaml` declares model/data artifacts;
    any: any DVC file at all (`.dvc/config`, `dvc.yaml`, `*.dvc`).
    """
    aspects = [str(v) for v in as_list(value)]
    bad = [a for a in aspects if a not in _DVC_ASPECTS]
    if not aspects or bad:
        raise RuleError(f"`dvc` expects one or more of {', '.join(sorted(_DVC_ASPECTS))}")
    d = _facts(ctx).dvc
    ev: list[Evidence] = []
    for aspect in aspects:
        if aspect in ("stages", "any"):
            ev += [Evidence(s.file, s.line, f"DVC stage `{s.name}`: {s.cmd[0] if s.cmd else ''}".rstrip(": "))
                   for s in d.stages if s.cmd]
        if aspect == "remote":
            ev += [Evidence(r.file, r.line, f"DVC remote `{r.name}` -> {r.url}") for r in d.remotes if r.url]
        if aspect in ("pointers", "any"):
            ev += [Evidence(p, None, "DVC-tracked data pointer") for p in d.pointers]
        if aspect == "metrics":
            ev += [Evidence(s.file, s.line, f"DVC stage `{s.name}` metrics: {', '.join(s.metrics)}")
                   for s in d.stages if s.metrics]
            ev += [Evidence(f, None, f"DVC metrics: {m}") for f, m in d.metrics]
        if aspect == "params":
            ev += [Evidence(s.file, s.line, f"DVC stage `{s.name}` params: {', '.join(s.params[:5])}")
                   for s in d.stages if s.params]
        if aspect == "lock":
            ev += [Evidence(p, None, "DVC lock file") for p in d.locks]
        if aspect == "artifacts":
            ev += [Evidence(a.file, a.line, f"DVC artifact `{a.name}` ({a.type or 'untyped'})")
                   for a in d.artifacts]
        if aspect == "any":
            ev += [Evidence(p, None, "DVC configuration") for p in d.config_files]
            ev += [Evidence(p, None, "DVC pipeline file") for p in d.files if not any(s.file == p for s in d.stages)]
    return found(ev, " or ".join(_DVC_WORDS[a] for a in aspects))


# ---------------------------------------------------------------------------------- task runners


def make_target(ctx: Context, value: Any) -> Outcome:
    """A Makefile/justfile/Taskfile/poe target whose name or recipe matches.

    `make-target = "regex"`: the target name or one of its recipe lines matches (search,
    case-insensitive). `make-target = { name = "regex", recipe = "regex" }`: a target whose
    name matches `name` or whose recipe matches `recipe` (either key may be left out).
    Recipes are the target's own lines; use `^...$` anchors to match whole names.
    """
    if isinstance(value, dict):
        name_rx = _rx(ctx, value["name"], "make-target.name") if "name" in value else None
        recipe_rx = _rx(ctx, value["recipe"], "make-target.recipe") if "recipe" in value else None
        if name_rx is None and recipe_rx is None:
            raise RuleError("`make-target` table needs `name` and/or `recipe`")
        desc = " or ".join(x for x in (f"named /{value['name']}/" if name_rx else "",
                                        f"running /{value['recipe']}/" if recipe_rx else "") if x)
    else:
        name_rx = recipe_rx = _rx(ctx, value, "make-target")
        desc = f"named or running /{value}/"
    ev: list[Evidence] = []
    for t in _facts(ctx).targets:
        if name_rx is not None and name_rx.search(t.name):
            first = f": {t.recipe[0]}" if t.recipe else ""
            ev.append(Evidence(t.file, t.line, f"{t.tool} target `{t.name}`{first}"))
            continue
        if recipe_rx is not None:
            hit = next((r for r in t.recipe if recipe_rx.search(r)), None)
            if hit is not None:
                ev.append(Evidence(t.file, t.line, f"{t.tool} target `{t.name}` runs `{hit[:120]}`"))
    return found(ev, f"a Makefile/justfile/Taskfile/poe target {desc}")


def mlproject(ctx: Context, value: Any) -> Outcome:
    """`mlproject = true`: an MLflow Project (`MLproject`) declares entry points."""
    f = _facts(ctx)
    ev = [Evidence(e.file, e.line, f"MLflow Project entry point `{e.name}`: {e.command[:80]}") for e in f.entry_points]
    if value is not True:
        raise RuleError("`mlproject` expects true")
    return found(ev, "an `MLproject` file with entry points")


# ---------------------------------------------------------------------------------- containers

_CONTAINER_KINDS = {"dockerfile", "compose", "devcontainer", "apptainer", "cog", "bentoml"}


def container(ctx: Context, value: Any) -> Outcome:
    """`container = true`: a container definition exists (or only the listed kinds).

    Kinds: dockerfile (Dockerfile/Containerfile and variants), compose, devcontainer,
    apptainer (Apptainer/Singularity definitions), cog (`cog.yaml`), bentoml (`bentofile.yaml`).
    """
    kinds = _kinds(value, _CONTAINER_KINDS, "container")
    ev = [Evidence(c.path, None, f"{c.kind} definition") for c in _facts(ctx).containers
          if kinds is None or c.kind in kinds]
    return found(ev, f"a container definition ({', '.join(kinds or sorted(_CONTAINER_KINDS))})")


def container_runs(ctx: Context, value: Any) -> Outcome:
    """`container-runs = "regex"`: a container image or command matches.

    Searched: Dockerfile FROM/RUN/CMD/ENTRYPOINT lines, compose service `image`/`command`,
    and Kubernetes container `image`/`command`/`args` (any container list in a manifest).
    """
    rx = _rx(ctx, value, "container-runs")
    f = _facts(ctx)
    ev: list[Evidence] = []
    for d in f.dockerfiles:
        for ins in d.instructions:
            if ins.keyword in ("FROM", "RUN", "CMD", "ENTRYPOINT") and rx.search(ins.text):
                ev.append(Evidence(d.path, ins.line, f"{ins.keyword} {ins.text[:120]}"))
                break
    for s in f.compose_services:
        for what in (s.image, s.command):
            if what and rx.search(what):
                ev.append(Evidence(s.file, s.line, f"compose service `{s.name}`: {what[:120]}"))
                break
    for d in f.k8s:
        for c in _k8s_containers(d.doc):
            texts = [str(c.get("image", ""))] + [str(x) for k in ("command", "args") for x in as_list(c.get(k))]
            hit = next((t for t in texts if t and rx.search(t)), None)
            if hit:
                ev.append(Evidence(d.path, d.line, f"{d.kind} {d.name} container: {hit[:120]}"))
                break
    return found(ev, f"a container image or command matching /{value}/")


def _k8s_containers(doc: Any) -> list[dict]:
    """Every mapping inside a `containers`/`initContainers` list anywhere in the document."""
    return [c for key in ("containers", "initContainers") for sub in _with_key(doc, key)
            if isinstance(sub, list) for c in sub if isinstance(c, dict)]


# ---------------------------------------------------------------------------------- Kubernetes


def _kind_filter(ctx: Context, value: Any, what: str):
    if isinstance(value, dict):
        kinds = [str(k) for k in as_list(value.get("kind"))]
        api = _rx(ctx, value["api-version"], f"{what}.api-version") if value.get("api-version") else None
    else:
        kinds, api = [str(k) for k in as_list(value)], None
    if not kinds and api is None:
        raise RuleError(f"`{what}` needs a kind (or a table with `kind` and/or `api-version`)")

    def match(d) -> bool:
        return (not kinds or d.kind in kinds) and (api is None or bool(api.search(d.api_version)))

    return kinds, api, match


def k8s_kind(ctx: Context, value: Any) -> Outcome:
    """`k8s-kind = ["CronJob", "Rollout"]`: a Kubernetes-style document of that kind exists.

    Kinds compare exactly (Kubernetes kinds are case-sensitive). The table form
    `{ kind = [...], api-version = "regex" }` also constrains the apiVersion, e.g.
    `{ kind = "Rollout", api-version = "argoproj\\.io" }`. Documents in Helm templates are
    read by regex, so they count too.
    """
    kinds, api, match = _kind_filter(ctx, value, "k8s-kind")
    ev = [Evidence(d.path, d.line, f"{d.kind} {d.name} ({d.api_version})".replace("  ", " "))
          for d in _facts(ctx).k8s if match(d)]
    what = " or ".join(kinds) if kinds else "any kind"
    return found(ev, f"a Kubernetes manifest of kind {what}" + (f" with apiVersion /{api.pattern}/" if api else ""))


def _at_path(value: Any, parts: list[str]) -> list[Any]:
    """Values at a dotted path; lists along the way are searched element by element."""
    cur = [value]
    for part in parts:
        nxt: list[Any] = []
        for v in cur:
            items = v if isinstance(v, list) else [v]
            for item in items:
                if isinstance(item, dict) and part in item:
                    nxt.append(item[part])
        cur = nxt
    flat: list[Any] = []
    for v in cur:  # a list at the end of the path counts element by element
        flat.extend(v if isinstance(v, list) else [v])
    return flat


def _with_key(value: Any, key: str) -> list[Any]:
    out: list[Any] = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            for k, sub in v.items():
                if k == key:
                    out.append(sub)
                stack.append(sub)
        elif isinstance(v, list):
            stack.extend(v)
    return out


def _loose_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return str(a).lower() == str(b).lower()
    return str(a).strip().lower() == str(b).strip().lower()


def k8s_field(ctx: Context, value: Any) -> Outcome:
    """A Kubernetes document of a kind sets a field.

    `k8s-field = { kind = "InferenceService", path = "spec.predictor.canaryTrafficPercent" }`
    (dotted path from the document root; a list on the way is searched element by
    element) or `{ kind = [...], key = "backoffLimit" }` (the key at any depth).
    Optional: `api-version = "regex"`, `equals = value` (the field has that value; strings
    compare case-insensitively), `min-count = n` (the field occurs at least n times in one
    document, e.g. two weighted routes make a traffic split). A null value does not count.
    Templated (Helm) documents are inspected with their directives neutralised: a field set
    by an expression (`weight: {{ .Values.weight }}`) is present, but equals no literal.
    """
    if not isinstance(value, dict) or ("path" not in value and "key" not in value):
        raise RuleError("`k8s-field` needs a table with `path` or `key` (and usually `kind`)")
    if "kind" in value or "api-version" in value:
        _, _, match = _kind_filter(ctx, {k: value[k] for k in ("kind", "api-version") if k in value}, "k8s-field")
    else:
        def match(d) -> bool:
            return True
    path = str(value.get("path", ""))
    key = str(value.get("key", "")) or path.rsplit(".", 1)[-1]
    try:
        min_count = int(value.get("min-count", 1))
    except (TypeError, ValueError):
        raise RuleError("`k8s-field.min-count` must be an integer") from None
    ev: list[Evidence] = []
    for d in _facts(ctx).k8s:
        doc = d.doc if d.doc is not None else d.rendered
        if doc is None or not match(d):
            continue
        vals = _at_path(doc, path.split(".")) if path else _with_key(doc, key)
        vals = [v for v in vals if v is not None]
        if "equals" in value:
            vals = [v for v in vals if _loose_equal(v, value["equals"])]
        if len(vals) >= min_count:
            shown = ", ".join(str(v) if not isinstance(v, (dict, list)) else "{...}" for v in vals[:3])
            ev.append(Evidence(d.path, d.key_line(ctx.project, key), f"{d.kind} {d.name}: {key} = {shown}"))
    cond = f" = {value['equals']!r}" if "equals" in value else ""
    times = f" (at least {min_count} times)" if min_count > 1 else ""
    kinds = ", ".join(as_list(value.get("kind"))) or "any kind"
    return found(ev, f"`{path or key}`{cond}{times} in a Kubernetes manifest of kind {kinds}")


# ---------------------------------------------------------------------------------- IaC

_IAC_TOOLS = {"terraform", "kubernetes", "helm", "kustomize", "pulumi", "cloudformation", "sam", "cdk",
              "serverless", "ansible", "bicep", "arm"}


def iac(ctx: Context, value: Any) -> Outcome:
    """`iac = true`: infrastructure is declared as code (or only by the listed tools).

    Tools: terraform (`*.tf`, Terragrunt, CDKTF), kubernetes (manifests with apiVersion and
    kind), helm (`Chart.yaml`, helmfile), kustomize, pulumi (`Pulumi.yaml`), cloudformation,
    sam, cdk (`cdk.json`), serverless (`serverless.yml`), ansible, bicep, arm.
    """
    tools = _kinds(value, _IAC_TOOLS, "iac")
    seen: set[str] = set()
    ev: list[Evidence] = []
    for f in _facts(ctx).iac:
        if (tools is None or f.tool in tools) and f.path not in seen:
            seen.add(f.path)
            ev.append(Evidence(f.path, None, f"{f.tool}: {f.detail}" if f.detail else f.tool))
    return found(ev, f"infrastructure as code ({', '.join(tools or sorted(_IAC_TOOLS))})")


def iac_resource(ctx: Context, value: Any) -> Outcome:
    """A declared cloud resource of a type (Terraform, CloudFormation/SAM, Bicep).

    `iac-resource = "aws_cloudwatch_metric_alarm|AWS::CloudWatch::Alarm"` matches the
    resource type (regex search, case-insensitive); the table form
    `{ type = "regex", body = "regex" }` also requires the resource's body to match.
    """
    if isinstance(value, dict):
        type_rx = _rx(ctx, value.get("type"), "iac-resource.type")
        body_rx = _rx(ctx, value["body"], "iac-resource.body") if value.get("body") else None
    else:
        type_rx, body_rx = _rx(ctx, value, "iac-resource"), None
    ev: list[Evidence] = []
    for r in _facts(ctx).resources:
        if not type_rx.search(r.type):
            continue
        if body_rx is not None:
            m = body_rx.search(r.body)
            if not m:
                continue
            line = r.line + r.body.count("\n", 0, m.start())
            ev.append(Evidence(r.path, line, f"{r.type} {r.name}: {m.group(0)[:80]}"))
        else:
            ev.append(Evidence(r.path, r.line, f"{r.type} {r.name}".strip()))
    body = f" whose body matches /{body_rx.pattern}/" if body_rx is not None else ""
    return found(ev, f"an infrastructure resource of type /{type_rx.pattern}/{body}")


# ---------------------------------------------------------------------------------- monitoring

_MON_KINDS = {"prometheus-scrape", "prometheus-rules", "prometheus-alerts", "alertmanager",
              "grafana-dashboard", "grafana-provisioning", "grafana-alerts"}


def monitoring_config(ctx: Context, value: Any) -> Outcome:
    """`monitoring-config = ["prometheus-alerts", "alertmanager"]`: monitoring is configured.

    Kinds: prometheus-scrape (scrape_configs, ServiceMonitor/PodMonitor, scrape
    annotations), prometheus-rules (recording or alerting rule files, PrometheusRule),
    prometheus-alerts (rules with `alert:`), alertmanager, grafana-dashboard (dashboard
    JSON), grafana-provisioning, grafana-alerts (alert rules, contact points, policies).
    """
    kinds = _kinds(value, _MON_KINDS, "monitoring-config")
    ev = [Evidence(m.path, m.line, f"{m.kind}: {m.detail}") for m in _facts(ctx).monitoring
          if kinds is None or m.kind in kinds]
    return found(ev, f"monitoring configuration ({', '.join(kinds or sorted(_MON_KINDS))})")


# ---------------------------------------------------------------------------------- pipelines

_PIPELINE_TOOLS = {"dvc", "mlflow-project", "snakemake", "argo", "kubeflow", "tekton", "kedro", "azureml",
                   "prefect"}


def pipeline_file(ctx: Context, value: Any) -> Outcome:
    """`pipeline-file = true`: a pipeline is declared in a non-Python file.

    Tools: dvc (stages), mlflow-project (entry points), snakemake (Snakefile / `*.smk`),
    argo (Workflow/WorkflowTemplate/CronWorkflow), kubeflow (compiled pipeline specs,
    Kubeflow resources), tekton (Pipeline/PipelineRun), kedro (project metadata), azureml
    (pipeline job YAML), prefect (`prefect.yaml` deployments).
    """
    tools = _kinds(value, _PIPELINE_TOOLS, "pipeline-file")
    ev = [Evidence(p.path, p.line, p.detail) for p in _facts(ctx).pipelines if tools is None or p.tool in tools]
    return found(ev, f"a pipeline definition ({', '.join(tools or sorted(_PIPELINE_TOOLS))})")


def infra_schedule(ctx: Context, value: Any) -> Outcome:
    """`infra-schedule = true`: something declared outside CI runs ML work on a timer.

    Sources: Kubernetes CronJobs, Argo CronWorkflows, cloud schedulers in Terraform or
    CloudFormation/SAM (EventBridge rules and schedules, Cloud Scheduler, Logic Apps, Glue,
    Databricks jobs), Serverless schedule events, crontab files, prefect.yaml and Azure ML
    schedules. With `true`, only schedules whose names, commands or targets look like ML
    work count (training, evaluation, scoring, ingestion, validation, monitoring...: see
    `auditor.facts.infra.ML_WORK`); `"any"` accepts every schedule.
    """
    if value not in (True, "any"):
        raise RuleError("`infra-schedule` expects true or \"any\"")
    scheds = _facts(ctx).schedules
    ev = [Evidence(s.path, s.line, f"{s.source}: {s.detail}") for s in scheds if s.ml or value == "any"]
    out = found(ev, "a scheduled job (CronJob, cloud scheduler, crontab...) that runs ML work")
    if not out.ok:
        out.evidence = [Evidence(s.path, s.line, f"{s.source}: {s.detail} (does not look like ML work)")
                        for s in scheds][:5]
    return out
