"""Kestra rules about running flows unattended: validity, failure handling, retries,
timeouts, schedules, concurrency, idempotency, configuration and deprecations."""

from __future__ import annotations

import re

from infra_expert.kestra.model import (FLOW_TRIGGER_TYPES, SCHEDULE_TYPES, nested_keys,
                                       strings, text_line)
from infra_expert.lazyre import lazy_re
from infra_expert.model import Hit, Pass, RuleSet

rules = RuleSet("kestra")

EXAMPLE_NOTE = " (a blueprint, an example: worth doing before deploying it)"


def _ops_hit(flow, line, message, severity=None):
    """An operational-readiness finding: on a blueprint (an example, not a deployment)
    it is a suggestion that says so."""
    if flow.blueprint:
        return Hit(line, message + EXAMPLE_NOTE, severity="suggestion")
    return Hit(line, message, severity=severity)


@rules.rule(
    "KS001", "critical", "reliability", "Kestra refuses this flow",
    "Kestra validates a flow when it is saved or deployed: invalid YAML, an invalid id or "
    "namespace, a task without `id`/`type`, a duplicate task id, a `concurrency` without "
    "a limit or a Subflow calling its own flow is rejected, so the flow never runs (and a "
    "CI deploy of the namespace fails).",
    "Fix what the message names; `kestra flow validate` (or the editor) shows the same "
    "errors before deploying.",
    example='id: nightly_export\nnamespace: acme.data.sales\ntasks:\n  - id: extract_orders\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n')
def flow_refused(doc, ctx):
    for line, message in doc.model.problems:
        yield Hit(line, message)


# --------------------------------------------------------------------------- retries ----
_RETRY_REQUIRED = {"constant": ("interval",), "exponential": ("interval", "maxInterval"),
                   "random": ("minInterval", "maxInterval")}


def _retries(flow):
    """(owner label, retry mapping, line) for the flow's own retry and every task's."""
    from infra_expert.yamlsafe import YMap
    if isinstance(flow.root.get("retry"), YMap):
        yield "the flow", flow.root["retry"], flow.line_of("retry")
    for task in flow.tasks:
        retry = task.node.get("retry")
        if isinstance(retry, YMap):
            yield f"task `{task.id}`", retry, task.key_line("retry")
    for prefix, values in flow.plugin_defaults():
        retry = values.get("retry")
        if isinstance(retry, YMap):
            yield f"the plugin default for `{prefix}`", retry, values.pos_of("retry")[0]


@rules.rule(
    "KS005", "warning", "reliability", "Retry without a bound",
    "A `retry` without `maxAttempt` or `maxDuration` does not say when to give up: a task "
    "that fails for good (a wrong password, a deleted table) keeps being retried on a "
    "limit nobody chose, holding the execution (and its concurrency slot) and delaying "
    "the failure alert.",
    "Set `maxAttempt` (and/or `maxDuration`) on every retry; prefer `exponential` or "
    "`random` for network calls.",
    positive="Every retry is bounded (`maxAttempt`/`maxDuration`)",
    example='id: nightly_export\nnamespace: acme.data.sales\ntasks:\n  - id: call_api\n    type: io.kestra.plugin.core.http.Request\n    uri: https://api.acme.example/orders\n    retry:\n      type: exponential\n      interval: PT10S\n      maxInterval: PT5M\n      maxAttempt: 5\n')
def retry_unbounded(doc, ctx):
    found = False
    for owner, retry, line in _retries(doc.model):
        found = True
        if "maxAttempt" not in retry and "maxAttempts" not in retry \
                and "maxDuration" not in retry:
            yield Hit(line, f"retry of {owner} sets neither `maxAttempt` nor `maxDuration`")
    if found:
        yield Pass(doc.model.line_of("id"))


@rules.rule(
    "KS006", "critical", "reliability", "Retry policy missing a required field",
    "Each retry type has required fields (`constant`: `interval`; `exponential`: "
    "`interval` and `maxInterval`; `random`: `minInterval` and `maxInterval`) and a "
    "`type`; without them Kestra refuses the flow.",
    "Add the missing fields, e.g. `type: exponential`, `interval: PT10S`, "
    "`maxInterval: PT5M`, `maxAttempt: 5`.",
    example='id: nightly_export\nnamespace: acme.data.sales\ntasks:\n  - id: call_api\n    type: io.kestra.plugin.core.http.Request\n    uri: https://api.acme.example/orders\n    retry:\n      type: exponential\n      interval: PT10S\n      maxInterval: PT5M\n      maxAttempt: 5\n')
def retry_invalid(doc, ctx):
    for owner, retry, line in _retries(doc.model):
        kind = retry.get("type")
        if kind is None:
            yield Hit(line, f"retry of {owner} has no `type` (constant, exponential or random)")
            continue
        missing = [k for k in _RETRY_REQUIRED.get(str(kind).strip().lower(), ()) if k not in retry]
        if missing:
            yield Hit(line, f"`{kind}` retry of {owner} needs " +
                      " and ".join(f"`{k}`" for k in missing))


# ------------------------------------------------------------------ failure handling ----
def _alert_scopes(ctx):
    """Namespaces (prefixes; "" for all) watched by flows of this run that a Flow trigger
    starts on a FAILED execution: their failures are not silent."""
    scopes = []
    for other in getattr(ctx, "documents", ()) or ():
        flow = other.model if getattr(other, "domain", None) == "kestra" else None
        if flow is None or not hasattr(flow, "triggers") or flow.blueprint:
            continue
        for trig in flow.triggers:
            if str(trig.get("type", "")).strip() not in FLOW_TRIGGER_TYPES:
                continue
            text = repr(trig)
            if "FAILED" not in text:
                continue
            prefix = ""
            for cond in _conditions(trig):
                if "ExecutionNamespace" in str(cond.get("type", "")):
                    prefix = str(cond.get("namespace") or "")
                    if str(cond.get("comparison", "")).upper() != "PREFIX" \
                            and cond.get("prefix") is not True:
                        prefix = "=" + prefix
            pre = trig.get("preconditions")
            if isinstance(pre, dict):
                for key in ("where", "filters"):
                    for item in pre.get(key) or ():
                        for f in (item.get("filters") or [item]) if isinstance(item, dict) else ():
                            if isinstance(f, dict) and str(f.get("field", "")).upper() \
                                    == "NAMESPACE":
                                prefix = str(f.get("value") or "")
            scopes.append(prefix)
    return scopes


def _conditions(trig):
    conds = trig.get("conditions")
    return [c for c in conds if isinstance(c, dict)] if isinstance(conds, list) else []


def _is_alert_flow(flow):
    return any(str(t.get("type", "")).strip() in FLOW_TRIGGER_TYPES and "FAILED" in repr(t)
               for t in flow.triggers)


@rules.rule(
    "KS007", "warning", "reliability", "Triggered flow that fails silently",
    "A flow started by a trigger runs when nobody watches: without an `errors` branch, "
    "an `afterExecution` notification or an alert flow watching its namespace, a failed "
    "run is only seen when someone opens the UI, often days later.",
    "Add flow-level `errors:` tasks that notify (Slack, email, a ticket), or one alert "
    "flow with a Flow trigger on `ExecutionStatus` FAILED for the namespace.",
    positive="Failures are handled: `errors`/`afterExecution` or an alert flow",
    example='id: nightly_export\nnamespace: acme.data.sales\ntasks:\n  - id: hello\n    type: io.kestra.plugin.core.log.Log\n    message: hello\nerrors:\n  - id: alert\n    type: io.kestra.plugin.notifications.slack.SlackIncomingWebhook\n    url: "{{ secret(\'SLACK_WEBHOOK\') }}"\n    payload: \'{"text": "nightly_export failed"}\'\ntriggers:\n  - id: nightly\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: "0 2 * * *"\n    timezone: Europe/Paris\n')
def silent_failure(doc, ctx):
    flow = doc.model
    if not flow.triggers:
        return
    root = flow.root
    if root.get("errors") or root.get("afterExecution") or _is_alert_flow(flow):
        yield Pass(flow.line_of("errors") if "errors" in root else flow.line_of("id"))
        return
    ns = flow.namespace
    if any(p == "" or ns == p.lstrip("=") or (p[:1] != "=" and ns.startswith(p))
           for p in _alert_scopes(ctx)):
        yield Pass(flow.line_of("id"))
        return
    yield _ops_hit(flow, flow.line_of("triggers"),
                   f"flow `{flow.id}` has triggers but no `errors` or `afterExecution` tasks, "
                   "and no alert flow of this review watches its namespace")


_FOLLOW_UP = lazy_re(r"tasksWithState|execution\.state|errorLogs\(")


@rules.rule(
    "KS008", "warning", "reliability", "`allowFailure` without a follow-up",
    "`allowFailure: true` turns a failed task into a WARNING execution that no `errors` "
    "branch sees: unless a later task checks the outcome or an `afterExecution` "
    "notification reports WARNING runs, the failure is forgotten.",
    "Check the result afterwards (an `If` on `outputs.<task>`, `runIf`, "
    "`tasksWithState('FAILED')`) or report WARNING executions in `afterExecution`.",
    example='id: nightly_export\nnamespace: acme.data.sales\ntasks:\n  - id: optional_sync\n    type: io.kestra.plugin.scripts.shell.Commands\n    allowFailure: true\n    commands:\n      - ./sync.sh\n  - id: check_sync\n    type: io.kestra.plugin.core.flow.If\n    condition: "{{ outputs.optional_sync.exitCode != 0 }}"\n    then:\n      - id: warn\n        type: io.kestra.plugin.core.log.Log\n        level: WARN\n        message: sync failed, using yesterday\'s data\n')
def allow_failure_unchecked(doc, ctx):
    flow = doc.model
    if flow.root.get("afterExecution") or _FOLLOW_UP.search(doc.text):
        return
    for task in flow.tasks:
        if task.node.get("allowFailure") is not True:
            continue
        if _referenced(flow, task):
            continue
        yield Hit(task.key_line("allowFailure"), f"task `{task.id}` may fail without "
                                                "anything checking it afterwards")
    for prefix, values in flow.plugin_defaults():
        if values.get("allowFailure") is True:
            yield Hit(values.pos_of("allowFailure")[0], f"every `{prefix}` task may fail "
                      "(a plugin default) without anything checking it afterwards")


def _referenced(flow, task):
    """True when another task's properties mention this task's outputs or state."""
    pattern = re.compile(r"(?:outputs|parents?|tasks)\s*(?:\.\s*" + re.escape(task.id) +
                         r"\b|\[\s*['\"]" + re.escape(task.id) + r"['\"])")
    mine = {id(task.node)}
    for other in flow.tasks:
        if id(other.node) in mine:
            continue
        for _k, value, _l in strings(other.node, skip=("description",) +
                                     tuple(nested_keys(other.node))):
            if pattern.search(value):
                return True
    for section in ("outputs",):
        for _k, value, _l in strings(flow.root.get(section) or {}):
            if pattern.search(value):
                return True
    return False


# ------------------------------------------------------------------------ timeouts ----
_LONG_RUNNING = (
    "io.kestra.plugin.scripts.", "io.kestra.plugin.jdbc.", "io.kestra.plugin.docker.Run",
    "io.kestra.plugin.dbt.cli.", "io.kestra.plugin.ansible.", "io.kestra.plugin.terraform.",
    "io.kestra.plugin.fs.ssh.Command", "io.kestra.plugin.core.http.Request",
    "io.kestra.plugin.core.http.Download", "io.kestra.plugin.fs.http.",
    "io.kestra.plugin.kubernetes.PodCreate", "io.kestra.plugin.kubernetes.core.PodCreate",
    "io.kestra.plugin.spark.", "io.kestra.plugin.sqlmesh.", "io.kestra.plugin.dlt.",
    "io.kestra.plugin.aws.cli.", "io.kestra.plugin.gcp.cli.", "io.kestra.plugin.azure.cli.",
    "io.kestra.core.tasks.scripts.")
_NOT_LONG = ("io.kestra.plugin.scripts.runner.",)
_POLLING_TRIGGER = lazy_re(r"\.Trigger$|\.RealtimeTrigger$")


def _sla_bounded(flow):
    sla = flow.root.get("sla")
    return isinstance(sla, list) and any(
        isinstance(s, dict) and str(s.get("type", "")).upper() == "MAX_DURATION"
        and str(s.get("behavior", "FAIL")).upper() in ("FAIL", "CANCEL") for s in sla)


@rules.rule(
    "KS009", "warning", "reliability", "Long-running tasks without a timeout",
    "A script, query, container or download with no `timeout` that hangs (a stuck "
    "connection, a lock, a prompt) holds a worker thread and the execution forever; "
    "with a schedule and a concurrency limit it also blocks every later run.",
    "Set `timeout: PT30M` (ISO-8601, sized to the task) on each, or once for all "
    "tasks of a type with `pluginDefaults`; a flow-level `sla` of type MAX_DURATION "
    "bounds the whole run.",
    positive="Long-running tasks have a timeout",
    example='id: nightly_export\nnamespace: acme.data.sales\ntasks:\n  - id: transform\n    type: io.kestra.plugin.scripts.python.Script\n    timeout: PT30M\n    script: print("done")\ntriggers:\n  - id: nightly\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: "0 2 * * *"\n    timezone: Europe/Paris\n')
def missing_timeout(doc, ctx):
    flow = doc.model
    if _sla_bounded(flow):
        yield Pass(flow.line_of("sla"))
        return
    bare, covered = [], 0
    for task in flow.tasks:
        if not task.type.startswith(_LONG_RUNNING) or task.type.startswith(_NOT_LONG):
            continue
        if task.get("timeout") is not None or any(
                a.node.get("timeout") is not None for a in task.ancestors()):
            covered += 1
            continue
        bare.append(task)
    if not bare:
        if covered:
            yield Pass(flow.line_of("id"))
        return
    names = ", ".join(f"`{t.id}`" for t in bare[:5]) + (" …" if len(bare) > 5 else "")
    scheduled = any(str(t.get("type", "")).strip() in SCHEDULE_TYPES
                    or _POLLING_TRIGGER.search(str(t.get("type", ""))) for t in flow.triggers)
    if scheduled:
        yield _ops_hit(flow, bare[0].line, f"{len(bare)} long-running task(s) without "
                                           f"`timeout` in a flow that runs unattended: {names}")
    else:
        yield Hit(bare[0].line, f"{len(bare)} long-running task(s) without `timeout`: "
                                f"{names} (run by hand or by an event, so a suggestion)",
                  severity="suggestion")


# ------------------------------------------------------------------------ schedules ----
_NICK_PINNED = frozenset({"@daily", "@midnight", "@weekly", "@monthly", "@yearly",
                          "@annually"})


def _cron_fields(trig):
    cron = str(trig.get("cron") or "").strip()
    if not cron:
        return cron, None
    if cron.startswith("@"):
        return cron, None
    fields = cron.split()
    if trig.get("withSeconds") is True and len(fields) >= 6:
        fields = fields[1:]
    return cron, fields if len(fields) == 5 else None


def _pins_time_of_day(trig):
    cron, fields = _cron_fields(trig)
    if cron in _NICK_PINNED:
        return True
    return bool(fields) and fields[1] != "*" and not fields[1].startswith("*/")


def _runs_hourly_or_more(trig):
    cron, fields = _cron_fields(trig)
    if cron == "@hourly":
        return True
    return bool(fields) and fields[1] in ("*", "*/1") and fields[2] in ("*", "*/1") \
        and fields[4] in ("*", "?")


def _trigger_value(flow, trig, key):
    if key in trig:
        return trig[key]
    return flow.default_for(str(trig.get("type", "")).strip(), key)


@rules.rule(
    "KS010", "warning", "reliability", "Schedule at a time of day without `timezone`",
    "Without `timezone` the cron is read in the server's zone (UTC in recent versions, "
    "the JVM's zone in older ones): `0 9 * * *` runs at 09:00 UTC, an hour off local "
    "business time half the year, and moves if the flow is deployed on another server.",
    "Add `timezone: Europe/Paris` (an IANA zone) to the Schedule trigger, or "
    "`timezone: UTC` to say that UTC is meant.",
    positive="Schedules state their `timezone`",
    example='id: nightly_export\nnamespace: acme.data.sales\ntasks:\n  - id: hello\n    type: io.kestra.plugin.core.log.Log\n    message: hello\ntriggers:\n  - id: nightly\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: "0 2 * * *"\n    timezone: Europe/Paris\n')
def schedule_timezone(doc, ctx):
    flow = doc.model
    for trig in flow.schedules():
        if _trigger_value(flow, trig, "timezone"):
            yield Pass(trig.pos_of("timezone")[0])
            continue
        if _pins_time_of_day(trig):
            yield _ops_hit(flow, trig.pos_of("cron")[0], f"schedule `{trig.get('id')}` (cron "
                           f"`{trig.get('cron')}`) has no `timezone`")


@rules.rule(
    "KS011", "warning", "reliability", "Frequent schedule without a catch-up strategy",
    "After an outage Kestra starts every missed run of a Schedule by default "
    "(`recoverMissedSchedules: ALL`): a day down for an every-5-minutes flow means 288 "
    "executions at once, hammering the systems it calls.",
    "Say what should happen: `recoverMissedSchedules: LAST` (one catch-up run) or `NONE`, "
    "and use a backfill from the UI/API when the history really must be replayed; "
    "`lateMaximumDelay` skips runs that start too late.",
    positive="Frequent schedules say how missed runs are recovered",
    example='id: nightly_export\nnamespace: acme.data.sales\ntasks:\n  - id: hello\n    type: io.kestra.plugin.core.log.Log\n    message: hello\ntriggers:\n  - id: every_5_min\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: "*/5 * * * *"\n    recoverMissedSchedules: LAST\n')
def schedule_catch_up(doc, ctx):
    flow = doc.model
    for trig in flow.schedules():
        if not _runs_hourly_or_more(trig):
            continue
        if _trigger_value(flow, trig, "recoverMissedSchedules") is not None:
            yield Pass(trig.pos_of("recoverMissedSchedules")[0])
            continue
        yield _ops_hit(flow, trig.pos_of("cron")[0], f"schedule `{trig.get('id')}` runs "
                       f"`{trig.get('cron')}` with the default `recoverMissedSchedules: ALL`")


# ------------------------------------------------------------------------- triggers ----
@rules.rule(
    "KS012", "warning", "reliability", "Flow trigger without conditions",
    "A Flow trigger with neither `conditions` nor `preconditions` starts this flow after "
    "EVERY execution of EVERY flow of the instance (Kestra warns about it too): a load "
    "multiplier and, if the flow fails, an alert storm.",
    "Add `preconditions` (flows, namespace, states) or `conditions` "
    "(`ExecutionFlow`, `ExecutionNamespace`, `ExecutionStatus`).",
    example='id: nightly_export\nnamespace: acme.data.sales\ntasks:\n  - id: hello\n    type: io.kestra.plugin.core.log.Log\n    message: hello\ntriggers:\n  - id: after_upstream\n    type: io.kestra.plugin.core.trigger.Flow\n    description: Once the upstream load succeeded.\n    preconditions:\n      flows:\n        - namespace: acme.data.sales\n          flowId: upstream_load\n          states: [SUCCESS]\n')
def flow_trigger_unconditioned(doc, ctx):
    for trig in doc.model.triggers:
        if str(trig.get("type", "")).strip() in FLOW_TRIGGER_TYPES \
                and not trig.get("conditions") and not trig.get("preconditions"):
            yield Hit(trig.line, f"Flow trigger `{trig.get('id')}` has no `conditions` or "
                                 "`preconditions`")


@rules.rule(
    "KS013", "suggestion", "elegance", "Trigger conditions without a description",
    "Conditions decide when a flow runs (business days only, after two upstream flows, on "
    "a FAILED state): without a `description` the next reader has to reverse-engineer the "
    "intent from condition classes, and the UI shows nothing.",
    "Add `description:` to the trigger, saying in one sentence when and why it fires.",
    example='id: nightly_export\nnamespace: acme.data.sales\ntasks:\n  - id: hello\n    type: io.kestra.plugin.core.log.Log\n    message: hello\ntriggers:\n  - id: after_upstream\n    type: io.kestra.plugin.core.trigger.Flow\n    description: Once the upstream load succeeded.\n    preconditions:\n      flows:\n        - namespace: acme.data.sales\n          flowId: upstream_load\n          states: [SUCCESS]\n')
def trigger_undocumented(doc, ctx):
    for trig in doc.model.triggers:
        if trig.get("description"):
            continue
        for key in ("conditions", "preconditions", "scheduleConditions"):
            if trig.get(key):
                yield Hit(trig.pos_of(key)[0], f"trigger `{trig.get('id')}` has `{key}` but no "
                                               "`description`")
                break


# ---------------------------------------------------------------- production, config ----
_PROD_WORD = lazy_re(r"(?:^|[._/@:-])(?:prod|production|prd)(?:$|[._/:0-9-])", re.IGNORECASE)


def _is_production(flow):
    ns = flow.namespace.lower()
    if any(part in ("prod", "production", "prd") for part in ns.split(".")):
        return "namespace `" + flow.namespace + "`"
    labels = flow.root.get("labels")
    pairs = []
    if isinstance(labels, dict):
        pairs = list(labels.items())
    elif isinstance(labels, list):
        pairs = [(i.get("key"), i.get("value")) for i in labels if isinstance(i, dict)]
    for k, v in pairs:
        if str(k).lower() in ("env", "environment", "stage", "tier") \
                and str(v).lower() in ("prod", "production", "prd"):
            return f"label `{k}: {v}`"
    return None


@rules.rule(
    "KS014", "warning", "reliability", "Production flow without a concurrency limit",
    "Triggered runs of a production flow can overlap (a slow run, a catch-up burst, a "
    "manual run during the scheduled one): two runs writing the same tables or calling "
    "the same API at once corrupt data or double the load.",
    "Add `concurrency: {limit: 1, behavior: QUEUE}` (or `CANCEL`/`FAIL` when a skipped "
    "run is better than a late one).",
    positive="Production flow limits its concurrent executions",
    example='id: billing_export\nnamespace: acme.prod.billing\nconcurrency:\n  limit: 1\n  behavior: QUEUE\ntasks:\n  - id: hello\n    type: io.kestra.plugin.core.log.Log\n    message: hello\ntriggers:\n  - id: nightly\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: "0 2 * * *"\n    timezone: Europe/Paris\n')
def production_concurrency(doc, ctx):
    flow = doc.model
    why = _is_production(flow)
    if not why or not flow.triggers:
        return
    if "concurrency" in flow.root:
        yield Pass(flow.line_of("concurrency"))
        return
    yield Hit(flow.line_of("triggers"), f"flow `{flow.id}` ({why}) is triggered and has no "
                                        "`concurrency` limit")


_HOST_KEYS = frozenset({"url", "host", "hostname", "endpoint", "server", "jdbcUrl",
                        "connectionString", "bootstrapServers", "address", "baseUrl",
                        "serverUrl", "apiUrl"})
# In an http(s) URL only a whole `prod` label counts (`api.prod.acme.com`): a public
# dataset at `data-prod.example.org` is someone else's production, not this flow's.
_PROD_LABEL = lazy_re(r"(?:^|\.)(?:prod|production|prd)(?:\.|$)", re.IGNORECASE)
_HOST_OF = lazy_re(r"^(?:[a-z][a-z0-9+.:-]*://)?(?:[^@/\s]*@)?([^/?#\s]+)", re.IGNORECASE)


@rules.rule(
    "KS015", "suggestion", "reliability", "Production host written into a task",
    "A production host or URL written in a task makes the same flow impossible to run "
    "against staging, and a copy of the flow in another namespace silently writes to "
    "production.",
    "Keep per-environment values out of tasks: flow `variables`, the namespace's KV store "
    "(`{{ kv('DB_HOST') }}`) or `pluginDefaults` set per namespace.",
    example='id: nightly_export\nnamespace: acme.data.sales\ntasks:\n  - id: load\n    type: io.kestra.plugin.jdbc.postgresql.Query\n    url: "{{ kv(\'SALES_DB_URL\') }}"\n    sql: SELECT 1\n')
def hard_coded_prod_host(doc, ctx):
    for task in doc.model.tasks:
        for key, value, line in strings(task.node, skip=("description",) +
                                        tuple(nested_keys(task.node))):
            if key not in _HOST_KEYS or "{{" in value:
                continue
            url = value.strip()
            m = _HOST_OF.match(url.removeprefix("jdbc:"))
            web = url.lower().startswith(("http://", "https://"))
            if m and (_PROD_LABEL if web else _PROD_WORD).search(m.group(1).split(":")[0]):
                yield Hit(line, f"`{key}` of task `{task.id}` names the production host "
                                f"`{m.group(1)}`")


@rules.rule(
    "KS016", "suggestion", "security", "Namespace without isolation",
    "Secrets, KV pairs, namespace files, plugin defaults and permissions are scoped by "
    "namespace and inherited down its dotted hierarchy: a flow in `default`, a one-word "
    "namespace or the docs' `company.team` shares all of them with unrelated flows.",
    "Use a hierarchy that matches ownership: `<company>.<team>.<project>` (and "
    "`<company>.<env>.…` if environments share an instance).",
    example='id: nightly_export\nnamespace: acme.data.sales\ntasks:\n  - id: hello\n    type: io.kestra.plugin.core.log.Log\n    message: hello\n')
def namespace_isolation(doc, ctx):
    flow = doc.model
    ns = flow.namespace
    if not ns or any(line == flow.line_of("namespace") for line, _ in flow.problems):
        return
    if ns == "system":
        return      # where Kestra wants alerting and purge flows
    if "." not in ns:
        yield Hit(flow.line_of("namespace"), f"namespace `{ns}` has no hierarchy: everything "
                                             "it holds is shared with every flow in it")
    elif ns == "company.team" and not flow.blueprint:
        yield Hit(flow.line_of("namespace"), "namespace `company.team` is the documentation's "
                                             "placeholder")


@rules.rule(
    "KS017", "suggestion", "elegance", "Triggered flow without labels",
    "Labels (`team`, `env`, `owner`) are copied onto every execution: they are how "
    "executions are filtered, dashboards grouped and alerts routed once many flows run.",
    "Add `labels:` (a map, e.g. `team: data`, `env: prod`).",
    positive="Flows carry labels",
    example='id: nightly_export\nnamespace: acme.data.sales\nlabels:\n  team: data\n  env: prod\ntasks:\n  - id: hello\n    type: io.kestra.plugin.core.log.Log\n    message: hello\ntriggers:\n  - id: nightly\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: "0 2 * * *"\n    timezone: Europe/Paris\n')
def missing_labels(doc, ctx):
    flow = doc.model
    if flow.root.get("labels"):
        yield Pass(flow.line_of("labels"))
        return
    if flow.triggers and not flow.blueprint:    # an example is not deployed as is
        yield Hit(flow.line_of("id"), f"triggered flow `{flow.id}` has no `labels`")


# --------------------------------------------------------------------- deprecations ----
_RENAMED = {
    "io.kestra.core.tasks.scripts.Bash": "io.kestra.plugin.scripts.shell.Commands",
    "io.kestra.core.tasks.scripts.Python": "io.kestra.plugin.scripts.python.Script",
    "io.kestra.core.tasks.scripts.Node": "io.kestra.plugin.scripts.node.Script",
    "io.kestra.core.tasks.flows.Flow": "io.kestra.plugin.core.flow.Subflow",
    "io.kestra.plugin.core.flow.Flow": "io.kestra.plugin.core.flow.Subflow",
    "io.kestra.core.tasks.flows.Worker": "io.kestra.plugin.core.flow.WorkingDirectory",
    "io.kestra.plugin.core.flow.Worker": "io.kestra.plugin.core.flow.WorkingDirectory",
    "io.kestra.core.tasks.flows.EachSequential": "io.kestra.plugin.core.flow.ForEach",
    "io.kestra.plugin.core.flow.EachSequential": "io.kestra.plugin.core.flow.ForEach",
    "io.kestra.core.tasks.flows.EachParallel": "io.kestra.plugin.core.flow.ForEach "
                                               "(with `concurrencyLimit`)",
    "io.kestra.plugin.core.flow.EachParallel": "io.kestra.plugin.core.flow.ForEach "
                                               "(with `concurrencyLimit`)",
    "io.kestra.core.tasks.debugs.Echo": "io.kestra.plugin.core.log.Log",
    "io.kestra.plugin.core.debug.Echo": "io.kestra.plugin.core.log.Log",
    "io.kestra.core.tasks.storages.LocalFiles": "`inputFiles`/`outputFiles` on the "
                                                "WorkingDirectory or script task",
    "io.kestra.plugin.core.storage.LocalFiles": "`inputFiles`/`outputFiles` on the "
                                                "WorkingDirectory or script task",
}
# Deprecated and disabled by default: they do not run.
_DISABLED = {"io.kestra.core.tasks.flows.Template": "io.kestra.plugin.core.flow.Subflow",
             "io.kestra.plugin.core.flow.Template": "io.kestra.plugin.core.flow.Subflow"}
_PREFIXES = (
    ("io.kestra.core.models.triggers.types.", "io.kestra.plugin.core.trigger."),
    ("io.kestra.core.models.conditions.types.", "io.kestra.plugin.core.condition."),
    ("io.kestra.core.models.tasks.runners.types.", "io.kestra.plugin.core.runner."),
    ("io.kestra.plugin.fs.http.", "io.kestra.plugin.core.http."),
)
_CORE_PACKAGES = {"flows": "flow", "debugs": "debug", "storages": "storage",
                  "executions": "execution", "states": "state", "outputs": "output"}


def _replacement(kind):
    if kind in _RENAMED:
        return _RENAMED[kind]
    for old, new in _PREFIXES:
        if kind.startswith(old):
            return new + kind[len(old):]
    if kind.startswith("io.kestra.core.tasks."):
        parts = kind[len("io.kestra.core.tasks."):].split(".")
        if len(parts) >= 2:
            parts[0] = _CORE_PACKAGES.get(parts[0], parts[0])
            return "io.kestra.plugin.core." + ".".join(parts)
    return None


def _typed_nodes(root):
    from infra_expert.yamlsafe import YMap, YSeq
    stack = [root]
    while stack:
        cur = stack.pop()
        if isinstance(cur, YMap):
            if isinstance(cur.get("type"), str):
                yield cur
            stack.extend(v for k, v in cur.items() if k != "extend" and
                         isinstance(v, (YMap, YSeq)))
        elif isinstance(cur, YSeq):
            stack.extend(v for v in cur if isinstance(v, (YMap, YSeq)))


@rules.rule(
    "KS018", "suggestion", "elegance", "Deprecated Kestra type or property",
    "Renamed types (`io.kestra.core.tasks.*` → `io.kestra.plugin.core.*`, 0.17) and "
    "deprecated properties (`runner`, `docker`, `taskDefaults`, `scheduleConditions`, "
    "Schedule `backfill`) still work through aliases but are being removed; `listeners` "
    "and Templates are disabled by default and do not run at all.",
    "Use the names the message gives (the migration guide lists them all); replace "
    "listeners with a Flow trigger and Templates with a Subflow.",
    example='id: nightly_export\nnamespace: acme.data.sales\ntasks:\n  - id: hello\n    type: io.kestra.plugin.scripts.shell.Commands\n    taskRunner:\n      type: io.kestra.plugin.core.runner.Process\n    commands:\n      - echo hi\n')
def deprecated(doc, ctx):
    flow = doc.model
    root = flow.root
    for node in _typed_nodes(root):
        kind = node["type"].strip()
        if kind in _DISABLED:
            yield Hit(node.pos_of("type")[0], f"`{kind}` is deprecated and disabled by "
                      f"default (it does not run): use `{_DISABLED[kind]}`", severity="warning")
            continue
        new = _replacement(kind)
        if new:
            yield Hit(node.pos_of("type")[0], f"`{kind}` is deprecated: use `{new}`")
    if "listeners" in root:
        yield Hit(flow.line_of("listeners"), "`listeners` are deprecated and disabled by "
                  "default since 0.12 (they do not run): use a flow with a Flow trigger",
                  severity="warning")
    if "taskDefaults" in root:
        yield Hit(flow.line_of("taskDefaults"), "`taskDefaults` is deprecated: rename it "
                                                "`pluginDefaults`")
    for trig in flow.schedules():
        for key, new in (("scheduleConditions", "`conditions`"),
                         ("backfill", "a backfill started from the UI or API")):
            if key in trig:
                yield Hit(trig.pos_of(key)[0], f"`{key}` of trigger `{trig.get('id')}` is "
                                               f"deprecated: use {new}")
    for task in flow.tasks:
        node = task.node
        if task.type.startswith(("io.kestra.plugin.scripts.", "io.kestra.plugin.dbt.")):
            if isinstance(node.get("runner"), str):
                yield Hit(task.key_line("runner"), f"`runner` of task `{task.id}` is "
                                                   "deprecated: use `taskRunner`")
            if isinstance(node.get("docker"), dict):
                yield Hit(task.key_line("docker"), f"`docker` of task `{task.id}` is "
                          "deprecated: use `taskRunner` and `containerImage`")
        if task.type in ("io.kestra.plugin.core.flow.Subflow", "io.kestra.core.tasks.flows.Flow",
                         "io.kestra.core.tasks.flows.Subflow") and "outputs" in node:
            yield Hit(task.key_line("outputs"), f"`outputs` of Subflow task `{task.id}` is "
                                                "deprecated: declare flow `outputs` in the "
                                                "subflow")
    inputs = root.get("inputs")
    if isinstance(inputs, list):
        for item in inputs:
            if isinstance(item, dict) and "name" in item and "id" not in item:
                yield Hit(item.pos_of("name")[0], f"input `name: {item['name']}` is "
                                                  "deprecated: use `id`")


# ------------------------------------------------------------------------ idempotency ----
_INSERT = lazy_re(r"\bINSERT\s+INTO\b", re.IGNORECASE)
_IDEMPOTENT_SQL = lazy_re(
    r"\bON\s+CONFLICT\b|\bON\s+DUPLICATE\s+KEY\b|\bINSERT\s+OR\s+(?:REPLACE|IGNORE)\b|"
    r"\bINSERT\s+IGNORE\b|\bMERGE\s+INTO\b|\bNOT\s+EXISTS\b|\bTRUNCATE\b|\bDELETE\s+FROM\b|"
    r"\bCREATE\s+OR\s+REPLACE\b|\bDROP\s+TABLE\b|\bINSERT\s+OVERWRITE\b|\bUPSERT\b|"
    r"\bREPLACE\s+INTO\b|\bEXCEPT\b|\bLEFT\s+(?:OUTER\s+)?JOIN\b[^;]*\bIS\s+NULL\b",
    re.IGNORECASE)
_DROP = lazy_re(r"\bDROP\s+(?:TABLE|VIEW|SCHEMA|DATABASE|INDEX)\s+(?!IF\s+EXISTS)",
                re.IGNORECASE)
# `>> /absolute/path` outside the task's temporary working directory (not /dev/…, /tmp/…)
_APPEND = lazy_re(r">>\s*[\"']?(/(?!dev/|tmp/|proc/)[\w./-]+)")
_SQL_KEYS = frozenset({"sql", "query", "queries", "statements"})


def _in_memory(task):
    """A DuckDB/SQLite query without a database file runs on a fresh in-memory database."""
    if not task.type.startswith(("io.kestra.plugin.jdbc.duckdb.", "io.kestra.plugin.jdbc.sqlite.")):
        return False
    url = str(task.get("url") or "")
    return url.rstrip(":/") in ("", "jdbc:duckdb", "jdbc:sqlite") or ":memory:" in url


def _retried(flow, task):
    return task.get("retry") is not None or flow.root.get("retry") is not None


@rules.rule(
    "KS019", "suggestion", "reliability", "Task that is not safe to run twice",
    "Retries, restarts, replays and backfills run a task again: an `INSERT` without a key "
    "or conflict clause duplicates rows, an append to a file outside the working "
    "directory doubles lines, a `DROP` without `IF EXISTS` fails the second time.",
    "Make the step idempotent: `INSERT … ON CONFLICT`/`MERGE` on a key (or delete the "
    "run's partition first), write files whole instead of appending, `DROP … IF EXISTS`.",
    example='id: nightly_export\nnamespace: acme.data.sales\ntasks:\n  - id: load\n    type: io.kestra.plugin.jdbc.postgresql.Query\n    url: "{{ kv(\'SALES_DB_URL\') }}"\n    sql: |\n      INSERT INTO orders SELECT * FROM staging_orders\n      ON CONFLICT (order_id) DO NOTHING;\n')
def not_idempotent(doc, ctx):
    flow = doc.model
    lines = doc.text.split("\n")
    for task in flow.tasks:
        skip = ("description",) + tuple(nested_keys(task.node))
        for key, value, line in strings(task.node, skip=skip):
            found = None
            if key in _SQL_KEYS and not _in_memory(task):
                m = _INSERT.search(value)
                if m and not _IDEMPOTENT_SQL.search(value):
                    found = (m.start(), "`INSERT INTO` without a conflict clause or a "
                                        "delete of the run's rows first")
                else:
                    m = _DROP.search(value)
                    if m:
                        found = (m.start(), f"`{m.group(0).strip()}` without `IF EXISTS`")
            elif key in ("commands", "script", "beforeCommands"):
                m = _APPEND.search(value)
                if m:
                    found = (m.start(), f"an append to `{m.group(1)}`")
            if found is None:
                continue
            at = text_line(lines, line, value, found[0])
            if _retried(flow, task):
                yield Hit(at, f"task `{task.id}` retries {found[1]}: a retry after a "
                              "partial success repeats it", severity="warning")
            else:
                yield Hit(at, f"task `{task.id}` runs {found[1]}: a restart or backfill "
                              "repeats it")
            break
