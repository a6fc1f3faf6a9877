"""Named checks for MON rules: drift statistics, prediction logging, alert hooks in code.

Each one relates a call to the kind of module it sits in ("KS test in monitoring code",
"a logging call in serving code that records the model version", "a Slack post from
monitoring code"), which the repository-wide predicates cannot express.

They run on large repositories, so each parses only the modules whose source text can
hold what it looks for and stops once it has the evidence it shows. The text pre-filters
(auditor/facts/tokens.py: `text_passes` with `has_any`, `calls_written`, `keywords_written`,
`AnyCase`) are guaranteed supersets: a module they rule out cannot hold a hit.
"""

from __future__ import annotations

import re

from auditor.facts.tokens import CALL_AFTER, AnyCase, TextFilter, calls_written, name_tokens, text_passes
from auditor.model import Evidence, Outcome
from auditor.predicates import Context, found

_MONITORING_PATH = re.compile(r"(?i)monitor|drift|observab|watchdog|alert|surveil")
_DRIFT_WORD = re.compile(r"(?i)drift|distribution[ _-]?shift|data[ _-]?shift")
_MAX_HITS = 5   # evidence shown by the checks below (`found(ev[:5], ...)`): they stop there


# Every _DRIFT_WORD match is "drift" or ends with "shift" after a space, "_", "-" or the
# last letter of "data"/"distribution" (or a quote, when a long string is split in two):
# never after "." (pandas' `.shift(1)` is no drift word)
_DRIFT_FOLD = re.compile(r"(?i)drift|(?<!\.)shift")


def _drift_text(text: str) -> bool:
    if text.isascii():   # exact for ASCII, and much faster than the regex
        low = text.lower()
        return "drift" in low or low.count("shift") > low.count(".shift")
    return _DRIFT_FOLD.search(text) is not None


_DRIFT_WORDS = TextFilter(("drift", "shift"), fold=True)


def _maybe_monitoring(idx, m) -> bool:
    """Cheap superset of `_is_monitoring_module` (path and source text, no parsing; memoised):
    a drift word in a definition name or a string literal is written in the source, so the
    text has "drift" or "shift" in its words (the word index answers that for all files)."""
    memo = idx.memo.setdefault("mon:maybe-monitoring", {})
    hit = memo.get(m.path)
    if hit is None:
        hit = memo[m.path] = bool(_MONITORING_PATH.search(m.path)) or (
            m.path in idx.mentioning(_DRIFT_WORDS) and text_passes(idx, m, _drift_text))
    return hit


def _is_monitoring_module(m) -> bool:
    """Monitoring code: its path says so, or it defines or names drift checks."""
    if _MONITORING_PATH.search(m.path):
        return True
    if any(_DRIFT_WORD.search(d.name) for d in m.definitions):
        return True
    return any(_DRIFT_WORD.search(s.value) for s in m.strings[:500])


def _is_monitoring(idx, m) -> bool:
    """`_is_monitoring_module`, parsing the module only when its text has a drift word (memoised)."""
    memo = idx.memo.setdefault("mon:monitoring", {})
    hit = memo.get(m.path)
    if hit is None:
        hit = memo[m.path] = _maybe_monitoring(idx, m) and _is_monitoring_module(m)
    return hit


# ---------------------------------------------------------------------------------- drift statistics

DRIFT_STATISTICS = ("scipy.stats.ks_2samp", "scipy.stats.kstest", "scipy.stats.wasserstein_distance",
                    "scipy.spatial.distance.jensenshannon", "scipy.stats.chisquare", "scipy.stats.chi2_contingency",
                    "scipy.stats.anderson_ksamp", "scipy.stats.cramervonmises_2samp", "scipy.stats.energy_distance",
                    "scipy.stats.epps_singleton_2samp", "scipy.stats.entropy")
_PSI_DEF = re.compile(r"(?i)^(?:_?psi|.*population_stability.*|.*_psi|psi_.*|.*stability_index.*|.*kl_divergence.*|"
                      r".*jensen_shannon.*|.*wasserstein.*)$")
# pre-filters: the last name of a SciPy statistic is written in a module that calls it; a
# function named like _PSI_DEF is written after `def` as a whole name, so its text holds
# "psi" before a non-name character (`psi(`, `_psi (`), "psi_", or one of the longer words
# ("epsilon" alone is no candidate); the regex runs only on texts with one of the words
_HAS_STATISTIC = calls_written(name_tokens(DRIFT_STATISTICS))
_PSI_TEXT = AnyCase(r"psi(?![^\W_])|population_stability|stability_index|kl_divergence|jensen_shannon|wasserstein",
                    ("psi", "population_stability", "stability_index", "kl_divergence", "jensen_shannon",
                     "wasserstein"))


def _psi_used(text: str) -> bool:
    """Whether the text could call a function named like _PSI_DEF: the name is written
    before a call's `(` or an alias' `as` (see `calls_written`), and not as the name of a
    `def` (in valid code `def` and whitespace before a name always define it)."""
    found_ = _PSI_TEXT.find(text)
    if found_ is None:
        return False
    searched, matches = found_
    if not text.isascii():
        return True   # the name's ends are not found by ASCII rules: no promise
    for hit in matches:
        start, end = hit.start(), hit.end()   # widen to the name holding the word
        while start > 0 and (searched[start - 1].isalnum() or searched[start - 1] == "_"):
            start -= 1
        while end < len(searched) and (searched[end].isalnum() or searched[end] == "_"):
            end += 1
        if searched[max(0, start - 4):start] not in ("def ", "def\t") and CALL_AFTER.match(searched, end):
            return True
    return False


def _psi_called_anywhere(idx) -> bool:
    """Could any monitoring module call a drift-statistic function? (text only, memoised)

    When not, a definition outside monitoring code can never count, so such modules need
    not be parsed at all."""
    if "mon:psi-called" not in idx.memo:
        idx.memo["mon:psi-called"] = any(
            _maybe_monitoring(idx, m) and text_passes(idx, m, _psi_used)
            for m in idx.select(tests=False, parse=False))
    return idx.memo["mon:psi-called"]


def drift_statistics(ctx: Context) -> Outcome:
    """Monitoring code computes drift statistics.

    Counted: two-sample tests and distances from SciPy (`ks_2samp`, `kstest`,
    `wasserstein_distance`, `jensenshannon`, chi-square, Anderson-Darling, Cramér-von
    Mises, energy distance, KL via `entropy`) called in monitoring code (a module whose
    path says monitor/drift/observability/alert, or that defines or names drift checks),
    and hand-written drift statistics anywhere in non-test code (functions named like
    `psi`, `population_stability_index`, `kl_divergence`, `jensen_shannon`, `wasserstein`)
    that are defined in monitoring code or called from it.

    Only modules whose text could hold a hit are parsed (a SciPy statistic's name in
    possible monitoring code, or a drift-statistic function name), and the search stops
    at the evidence shown.
    """
    idx = ctx.project.fact("python")

    def candidates():
        for m in idx.select(tests=False, parse=False):
            if _maybe_monitoring(idx, m) and text_passes(idx, m, _HAS_STATISTIC):
                yield m
            elif text_passes(idx, m, _PSI_TEXT) and (_maybe_monitoring(idx, m) or _psi_called_anywhere(idx)):
                yield m

    ev: list[Evidence] = []
    for m in idx.batched(candidates()):
        monitoring = _is_monitoring(idx, m)
        hit = None
        if monitoring:
            for c in m.calls:
                if c.name in DRIFT_STATISTICS:
                    hit = Evidence(m.path, c.line, f"drift statistic {c.name}() in monitoring code")
                    break
        if hit is None:
            for d in m.definitions:
                if d.kind == "function" and _PSI_DEF.match(d.name) and (monitoring or _called_from_monitoring(idx, d.name)):
                    hit = Evidence(m.path, d.line, f"drift statistic defined: {d.name}()")
                    break
        if hit:
            ev.append(hit)
            if len(ev) >= _MAX_HITS:
                break
    return found(ev[:_MAX_HITS], "drift statistics (KS, PSI, Wasserstein, Jensen-Shannon, chi-square) in "
                                 "monitoring code")


def _called_from_monitoring(idx, func: str) -> bool:
    """Whether some non-test monitoring module calls `func` (a call whose last dotted part
    is `func`: `c.name == func or c.name.endswith("." + func)`, as a defined name has no dot).

    Memoised per name for the audit (asking once per definition made this quadratic); only
    monitoring modules whose text mentions the name are parsed, and the search stops at the
    first caller."""
    called = idx.memo.setdefault("mon:called-from-monitoring", {})
    hit = called.get(func)
    if hit is None:
        # a caller writes the name before the call's `(` or an alias' `as`, and not as the
        # name of a `def` (in valid code `def ` followed by a name always defines it)
        other_use = re.compile(r"(?<!def )(?<!def\t)" + re.escape(func) + CALL_AFTER.pattern)

        def uses(text: str) -> bool:
            return func in text and other_use.search(text) is not None

        mods = (m for m in idx.select(tests=False, parse=False) if _maybe_monitoring(idx, m) and text_passes(idx, m, uses))
        hit = called[func] = any(_is_monitoring(idx, m) and any(c.name.rsplit(".", 1)[-1] == func for c in m.calls)
                                 for m in idx.batched(mods))
    return hit


# ---------------------------------------------------------------------------------- prediction logging

_LOG_METHODS = {"info", "debug", "warning", "warn", "error", "exception", "critical", "log", "msg"}
_LOG_RECV = re.compile(r"(?i)log|structlog|audit|journal")
_SINK_METHODS = {
    # databases and warehouses
    "execute", "executemany", "insert_one", "insert_many", "insert_rows", "insert_rows_json", "put_item",
    "bulk_write", "to_sql", "add", "add_all", "index", "write_points", "insert",
    # queues and streams
    "send", "send_message", "send_messages", "produce", "publish", "put_record", "put_records", "xadd",
    "rpush", "lpush", "send_and_wait", "put", "put_object", "upload_fileobj",
}
_TRACKING = ("mlflow.log_metric", "mlflow.log_metrics", "mlflow.log_dict", "mlflow.log_table", "mlflow.log_param",
             "wandb.log", "whylogs.log", "arize.pandas.logger.Client.log", "bentoml.monitor", ".log_prediction",
             ".log_predictions", ".log_inference", ".record_prediction", ".save_prediction", "log_prediction",
             "log_predictions", "record_prediction", "save_prediction", "log_inference")
_MODEL_ID = re.compile(r"(?i)model[_ .-]?(?:version|uri|id|name|tag|sha|hash|stage|alias)|(?<![a-z])run[_ ]?id"
                       r"|deployment[_ ]?id|endpoint[_ ]?(?:name|id)|(?<![a-z])version(?![a-z])|model_info")
_INPUT = re.compile(r"(?i)feature|input|payload|request(?![_ ]?id)|instance|record|(?<![a-z])x(?![a-z])|body|"
                    r"customer|(?<![a-z])data(?![a-z])|text|prompt|query|sample|(?<![a-z])row")
_OUTPUT = re.compile(r"(?i)predict|proba|score|output|result|label|y_pred|(?<![a-z])pred(?![a-z])|response|"
                     r"decision|class|estimate|forecast|answer|completion")
_IDENT = re.compile(r"[A-Za-z_]\w*")
# the last dotted name of every call `_is_sink` accepts (tracking calls, log methods, sinks)
_HAS_SINK = calls_written({t.rsplit(".", 1)[-1] for t in _TRACKING} | _LOG_METHODS | _SINK_METHODS)
_MAX_STATEMENT_LINES = 25
_LOOKBACK = 20


def _shown(c) -> str:
    return f"{c.recv}{c.name}" if c.name.startswith(".") and c.recv else c.name.lstrip(".")


def _is_sink(c) -> bool:
    last = c.name.rsplit(".", 1)[-1]
    name = c.name.lstrip(".")
    if any(name == t.lstrip(".") or name.endswith("." + t.lstrip(".")) for t in _TRACKING):
        return True
    if last in _LOG_METHODS and (name.startswith(("logging.", "structlog.", "loguru.")) or
                                 (c.recv and _LOG_RECV.search(c.recv.rsplit(".", 1)[-1]))):
        return True
    return c.name.startswith(".") and last in _SINK_METHODS and c.recv is not None


def _statement(lines: list[str], start: int) -> str:
    """Source of the statement starting at 1-based line `start` (until brackets balance)."""
    depth = 0
    out = []
    for ln in lines[start - 1: start - 1 + _MAX_STATEMENT_LINES]:
        code = ln.split("#", 1)[0]
        out.append(code)
        depth += sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}")
        if depth <= 0:
            break
    return "\n".join(out)


def _logged_text(lines: list[str], line: int) -> str:
    """What a logging call records: its own statement, plus the assignments (within the
    preceding lines of the function) of the names it passes, e.g. `record = {...}` before
    `logger.info(json.dumps(record))`."""
    stmt = _statement(lines, line)
    parts = [stmt]
    names = set(_IDENT.findall(stmt))
    for no in range(line - 1, max(0, line - 1 - _LOOKBACK), -1):
        code = lines[no - 1]
        if re.match(r"\s*(?:async\s+)?def\s", code):
            break
        m = re.match(r"\s*([A-Za-z_]\w*)\s*(?::[^=]+)?=(?!=)", code)
        if m and m.group(1) in names:
            parts.append(_statement(lines, no))
    return "\n".join(parts)


def prediction_logging(ctx: Context) -> Outcome:
    """Serving code records inputs, outputs and a model identifier for each prediction.

    Looks in the modules found by DEPLOY001's serving check, and in the first-party modules
    they import (two levels), for a logging call (`logger.info`, `logging.*`, structlog,
    loguru), a database/queue write (`execute`, `insert_*`, `put_item`, `send`, `produce`,
    `publish`, `put_record`, ...) or a tracking call (`mlflow.log_*`, `wandb.log`,
    `whylogs.log`, `bentoml.monitor`, `log_prediction`...) whose statement, together with
    the assignments of the names it passes (`record = {...}` before `logger.info(record)`),
    mentions the input (features, payload, request body...), the output (prediction,
    probability, score...) and a model identifier (model version, run id, model URI,
    deployment id). Modules whose text names no such call are not parsed, and the search
    stops at the evidence shown.
    """
    from auditor.checks.deploy import _scope, serving_modules

    idx = ctx.project.fact("python")
    servers = serving_modules(ctx)
    # modules in scope, in order, whose text names a sink (`_is_sink` needs one of these
    # last names): only those are parsed, and the search stops at the evidence shown
    todo = []
    seen: set[str] = set()
    for server in servers:
        for path in _scope(idx, server.path):
            if path in seen:
                continue
            seen.add(path)
            m = idx.modules.get(path)
            if m is not None and m.kind == "module" and ctx.project.read_text(path) and text_passes(idx, m, _HAS_SINK):
                todo.append(m)
    ev: list[Evidence] = []
    partial: list[Evidence] = []
    for m in idx.batched(todo):
        path, lines = m.path, (ctx.project.read_text(m.path) or "").splitlines()
        for c in m.calls:
            if not _is_sink(c):
                continue
            win = _logged_text(lines, c.line)
            has = {"model identifier": bool(_MODEL_ID.search(win)), "input": bool(_INPUT.search(win)),
                   "output": bool(_OUTPUT.search(win))}
            if all(has.values()):
                ev.append(Evidence(path, c.line, f"{_shown(c)}() records input, output and model identifier"))
                break
            if len(partial) < 3 and any(has.values()):
                missing = ", ".join(k for k, v in has.items() if not v)
                partial.append(Evidence(path, c.line, f"{_shown(c)}() does not record: {missing}"))
        if len(ev) >= _MAX_HITS:
            break   # found: `partial` is not shown
    out = found(ev[:_MAX_HITS], "a logging, database, queue or tracking call in serving code that records the input, "
                        "the prediction and the model version")
    if not out.ok:
        out.evidence = partial or [Evidence(s.path, s.line, "serving code without prediction logging")
                                   for s in servers[:3]]
    return out


# ---------------------------------------------------------------------------------- alert hooks

_NOTIFY_IMPORTS = ("slack_sdk", "slack", "slackclient", "pymsteams", "pdpyras", "pagerduty", "opsgenie_sdk",
                   "apprise", "discord_webhook", "twilio", "sendgrid", "smtplib", "notifiers", "knockapi")
_HOOK_STRINGS = re.compile(r"(?i)hooks\.slack\.com|slack[_-]?webhook|webhook[_-]?url|events\.pagerduty\.com|"
                           r"outlook\.office\.com/webhook|webhook\.office\.com|discord(?:app)?\.com/api/webhooks|"
                           r"api\.opsgenie\.com|teams[_-]?webhook|alert[_-]?webhook")
_HOOK_CALLS = ("requests.post", "httpx.post", "urllib.request.urlopen", "aiohttp.ClientSession.post", ".post",
               ".chat_postMessage", ".send_message", ".sendmail", ".send", ".trigger", ".publish", ".notify")
_ALARM_CALLS = ("put_metric_alarm", "AlertPolicy", "create_alert_policy", "google.cloud.monitoring_v3.AlertPolicy",
                "azure.mgmt.monitor.models.MetricAlertResource")
# pre-filters: a call name ending with an alarm call ends with its last dotted part, which
# is written in the source; every _HOOK_STRINGS match contains "hook", "pagerduty" or "opsgenie"
_HAS_ALARM = calls_written(name_tokens(_ALARM_CALLS))
_HAS_HOOK_CALL = calls_written(name_tokens(_HOOK_CALLS))
_HOOK_TEXT = AnyCase("hook|pagerduty|opsgenie", ("hook", "pagerduty", "opsgenie"))


def alert_hooks(ctx: Context) -> Outcome:
    """Monitoring code notifies people, or code creates alarms.

    Counted: in monitoring code (path says monitor/drift/alert/observability, or the module
    defines or names drift checks), a notification: a Slack/Teams/PagerDuty/Opsgenie/email
    client import (slack_sdk, pymsteams, pdpyras, opsgenie_sdk, apprise, smtplib, ...) or
    a webhook (a Slack/Teams/PagerDuty URL or `*_WEBHOOK*` setting) together with an HTTP
    post or send call; anywhere in non-test code, creating an alarm or alert policy
    (CloudWatch `put_metric_alarm`, Cloud Monitoring `AlertPolicy`, Azure metric alerts).
    Only modules whose text could hold a hit are parsed, and the search stops at the
    evidence shown.
    """
    idx = ctx.project.fact("python")

    def candidates():
        # what each hit needs in the text (header facts first: they are free)
        for m in idx.select(tests=False, parse=False):
            if text_passes(idx, m, _HAS_ALARM):
                yield m
            elif _maybe_monitoring(idx, m) and (
                    m.imports_any(_NOTIFY_IMPORTS)
                    or (text_passes(idx, m, _HOOK_TEXT) and text_passes(idx, m, _HAS_HOOK_CALL))):
                yield m

    ev: list[Evidence] = []
    for m in idx.batched(candidates()):
        hit = None
        for c in m.calls:
            if any(c.name.endswith(a) for a in _ALARM_CALLS):
                hit = Evidence(m.path, c.line, f"creates an alarm: {c.name.lstrip('.')}()")
                break
        if hit is None and _is_monitoring(idx, m):
            notify = m.imports_any(_NOTIFY_IMPORTS)
            if notify:
                hit = Evidence(m.path, notify[0].line, f"monitoring code notifies via {notify[0].module}")
            else:
                hook = next((s for s in m.strings if _HOOK_STRINGS.search(s.value)), None)
                post = next((c for c in m.calls if any(c.name == h or (h.startswith(".") and c.name.endswith(h))
                                                       for h in _HOOK_CALLS)), None)
                if hook is not None and post is not None:
                    hit = Evidence(m.path, post.line, f"monitoring code posts to a webhook ({hook.value[:40]!r})")
        if hit:
            ev.append(hit)
            if len(ev) >= _MAX_HITS:
                break
    return found(ev[:_MAX_HITS], "notification hooks (Slack, Teams, PagerDuty, e-mail, webhooks) in monitoring "
                                 "code, or alarms created from code")
