"""Rules for Prometheus alerting and recording rules (plain rule files and the groups of
Kubernetes PrometheusRule objects)."""

from __future__ import annotations

import math
from infra_expert.lazyre import lazy_re

from infra_expert.model import Hit, Pass, RuleSet
from infra_expert.monitoring import promql
from infra_expert.monitoring.model import Broken
from infra_expert.monitoring.promql import (Aggregate, Binary, Call, Number, Selector, Unary,
                                            parse_duration, unwrap)
from infra_expert.monitoring.run import (all_alerts, monitoring_docs, near, rule_docs_near,
                                         scrape_settings_for)

rules = RuleSet("monitoring")

RULE_KINDS = ("rules", "prometheusrule")


def _group(items):
    """A rule example as a whole rule file: one group holding `items`."""
    body = "".join(f"      {line}\n" for line in items.split("\n"))
    return f"groups:\n  - name: example\n    rules:\n{body}".rstrip("\n")
DEAD_MANS_SWITCH_NAMES = frozenset({"watchdog", "deadmansswitch", "deadmanswitch",
                                    "deadmanssnitch", "alwaysfiring", "heartbeat"})
_METRIC_NAME = lazy_re(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_RECORD_CONVENTION = lazy_re(r"^[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_:]+$")


def _rule_file(doc):
    if doc.kind not in RULE_KINDS or isinstance(doc.model, Broken):
        return None
    return doc.model


def _alerts(doc):
    rf = _rule_file(doc)
    return rf.alerts() if rf else []


def _parsed(rule):
    return rule.tree is not None


def is_dead_mans_switch(rule):
    """An alert meant to fire always (Watchdog): no metric in it, or named so."""
    if rule.name.replace("_", "").replace("-", "").lower() in DEAD_MANS_SWITCH_NAMES:
        return True
    return rule.tree is not None and not promql.selectors(rule.tree)


@rules.rule(
    "MO001", "critical", "reliability", "File or expression that cannot be loaded",
    "Prometheus refuses a whole rule file when one expression does not parse (the rules "
    "in it stop being evaluated, and a restart with the file fails), Alertmanager and "
    "Docker refuse to start on a config they cannot read.",
    "Fix the syntax at the line shown; check rule files with `promtool check rules` and "
    "configs with `promtool check config` / `amtool check-config` in CI.",
    peers=("pint:promql/syntax", "pint:yaml/parse"),
    example=("- alert: HighErrorRate\n"
             "  expr: sum by (job) (rate(http_errors_total[5m])) > 1\n"
             "  for: 10m\n"
             "  labels: {severity: warning}\n"
             "  annotations:\n"
             "    summary: \"{{ $labels.job }} serves more than 1 error/s\""))
def unloadable(doc, ctx):
    if isinstance(doc.model, Broken):
        yield Hit(doc.model.line, f"cannot be read: {doc.model.message}")
        return
    rf = _rule_file(doc)
    if rf is None:
        return
    for r in rf.rules():
        if r.error:
            yield Hit(r.error_line, f"{r.kind} `{r.name}`: {r.error}")
        if "alert" in r.node and "record" in r.node:
            yield Hit(r.line, f"`{r.name}` has both `alert` and `record`: Prometheus "
                              "refuses the file")


@rules.rule(
    "MO002", "critical", "reliability", "Invalid or redundant `for` / `keep_firing_for`",
    "A duration Prometheus cannot read (`5 min`, `1.5h`) makes it refuse the rule file. "
    "`for: 0s` is the default and says nothing.",
    "Write a Prometheus duration (`5m`, `1h30m`); drop a zero `for:` or give it a real "
    "hold time.",
    peers=("pint:alerts/for",),
    example=("- alert: DiskFull\n"
             "  expr: node_filesystem_avail_bytes{fstype!=\"tmpfs\"} < 1e9\n"
             "  for: 5m\n"
             "  keep_firing_for: 10m\n"
             "  labels: {severity: warning}\n"
             "  annotations: {summary: \"{{ $labels.instance }}: {{ $labels.mountpoint }} "
             "almost full\"}"))
def bad_for(doc, ctx):
    for r in _alerts(doc):
        for key in ("for", "keep_firing_for"):
            if key not in r.node:
                continue
            value = r.node.get(key)
            seconds = parse_duration(value) if value is not None else None
            if seconds is None:
                yield Hit(r.key_line(key), f"alert `{r.name}`: `{key}: {value}` is not a "
                                           "Prometheus duration: the file is refused")
            elif seconds == 0 and (key == "keep_firing_for" or not _needs_for(r)):
                yield Hit(r.key_line(key), f"alert `{r.name}`: `{key}: {value}` is the default: "
                                           "the line can go", severity="suggestion")


def _needs_for(rule):
    """Alerts built on other alerts (`ALERTS{…}`, an InfoInhibitor) follow their timing."""
    return _parsed(rule) and not is_dead_mans_switch(rule) and \
        not any(s.name == "ALERTS" for s in promql.selectors(rule.tree))


@rules.rule(
    "MO003", "warning", "reliability", "Alert fires on the first evaluation (no `for:`)",
    "Without `for:` one bad scrape, a restart or a short spike pages someone, and the "
    "alert resolves a minute later: flapping alerts teach people to ignore alerts. An "
    "`absent()` alert without `for:` fires after every Prometheus restart.",
    "Add `for:` long enough to ride out a blip (`for: 5m` is common; 2× the scrape "
    "interval at the very least), and `keep_firing_for:` to damp flapping recoveries.",
    positive="Every alert waits for a `for:` period before firing",
    example=("- alert: InstanceDown\n"
             "  expr: up == 0\n"
             "  for: 5m\n"
             "  keep_firing_for: 5m\n"
             "  labels: {severity: warning}\n"
             "  annotations: {summary: \"{{ $labels.job }} on {{ $labels.instance }} is down\"}"))
def no_for(doc, ctx):
    alerts = [r for r in _alerts(doc) if _needs_for(r)]
    for r in alerts:
        value = r.node.get("for")
        if "for" not in r.node:
            yield Hit(r.line, f"alert `{r.name}` has no `for:`: it fires on the first "
                              "evaluation that matches")
        elif parse_duration(value) == 0:
            yield Hit(r.key_line("for"), f"alert `{r.name}` has `for: {value}`: it fires on "
                                         "the first evaluation that matches")
    if alerts:
        yield Pass(alerts[0].line)


@rules.rule(
    "MO004", "warning", "reliability", "Alert without a `severity` label",
    "Alertmanager routes, silences and inhibits by labels, and `severity` is the one every "
    "routing tree and on-call tool expects: without it the alert goes to the default "
    "receiver whatever it means, and cannot be told apart from noise.",
    "Add `labels: {severity: critical|warning|info}` (your team's set) to every alert.",
    peers=("pint:rule/label",),
    positive="Every alert carries a `severity` label",
    example=("- alert: DiskFull\n"
             "  expr: node_filesystem_avail_bytes < 1e9\n"
             "  for: 10m\n"
             "  labels:\n"
             "    severity: warning\n"
             "  annotations: {summary: \"{{ $labels.instance }}: {{ $labels.mountpoint }} "
             "almost full\"}"))
def no_severity(doc, ctx):
    alerts = _alerts(doc)
    for r in alerts:
        if r.severity in (None, ""):
            yield Hit(r.line, f"alert `{r.name}` has no `severity` label")
    if alerts:
        yield Pass(alerts[0].line)


@rules.rule(
    "MO005", "warning", "reliability", "Alert without a summary or description",
    "The notification is all the on-call person sees at 3 a.m.: with no `summary` or "
    "`description` it says only the alert's name, not which instance, what value or what "
    "it means.",
    "Add `annotations.summary` (one line, with `{{ $labels.instance }}`) and "
    "`annotations.description` (what is wrong, the value `{{ $value }}`, what to check).",
    peers=("pint:alerts/annotation",),
    positive="Every alert has a summary or description annotation",
    example=("- alert: DiskFull\n"
             "  expr: node_filesystem_avail_bytes < 1e9\n"
             "  for: 10m\n"
             "  labels: {severity: warning}\n"
             "  annotations:\n"
             "    summary: \"{{ $labels.instance }}: {{ $labels.mountpoint }} almost full\"\n"
             "    description: \"{{ $value | humanize1024 }}B left; clean up or grow the "
             "volume.\""))
def no_summary(doc, ctx):
    alerts = [r for r in _alerts(doc) if not is_dead_mans_switch(r)]
    for r in alerts:
        notes = r.annotations
        if not any(str(notes.get(k) or "").strip() for k in ("summary", "description",
                                                              "message")):
            yield Hit(r.line, f"alert `{r.name}` has no `summary` or `description` annotation")
    if alerts:
        yield Pass(alerts[0].line)


@rules.rule(
    "MO006", "suggestion", "reliability", "Critical alert without a `runbook_url`",
    "An alert that pages should say what to do: a runbook link turns a page into a "
    "procedure, and its absence is the first thing a post-mortem finds.",
    "Add `annotations.runbook_url` pointing at the page that says how to diagnose and fix it.",
    peers=("pint:alerts/annotation",),
    example=("- alert: DatabaseDown\n"
             "  expr: pg_up == 0\n"
             "  for: 5m\n"
             "  labels: {severity: critical}\n"
             "  annotations:\n"
             "    summary: \"PostgreSQL on {{ $labels.instance }} is down\"\n"
             "    runbook_url: https://runbooks.example.org/postgres-down"))
def no_runbook(doc, ctx):
    for r in _alerts(doc):
        if r.severity in ("critical", "page", "p1", "emergency") and \
                not str(r.annotations.get("runbook_url") or r.annotations.get("runbook")
                        or "").strip() and not is_dead_mans_switch(r):
            yield Hit(r.line, f"alert `{r.name}` (severity {r.severity}) has no `runbook_url`")


# --- conditions ---------------------------------------------------------------------

def first_comparison(node):
    """pint's hasComparision: the first comparison (or `unless`) in the tree, pre-order."""
    if isinstance(node, Binary) and (node.op in promql.COMPARISONS or node.op == "unless"):
        return node
    for child in node.children():
        found = first_comparison(child)
        if found is not None:
            return found
    return None


def has_absent(node):
    return any(isinstance(n, Call) and n.name in ("absent", "absent_over_time")
               for n in node.walk())


@rules.rule(
    "MO007", "warning", "reliability", "Alert query without a condition",
    "Every series an alert query returns is a firing alert: `rate(errors_total[5m])` "
    "without `> 0` fires for every series as long as the metric exists, even at zero. A "
    "`bool` comparison returns 0 or 1 for every series, so the alert always fires; so does "
    "an `or` whose other side has no condition. An alert without any metric (`vector(1)`) "
    "is the deliberate dead-man's switch and is not reported here (pint reports it).",
    "Add the condition that means trouble (`rate(errors_total[5m]) > 0.1`, `up == 0`); "
    "drop `bool` from alert queries; put a condition on both sides of an `or`.",
    peers=("pint:alerts/comparison",),
    example=("- alert: Errors\n"
             "  expr: rate(http_errors_total[5m]) > 0.1\n"
             "  for: 10m\n"
             "  labels: {severity: warning}\n"
             "  annotations: {summary: \"{{ $labels.job }}: {{ $value }} errors/s\"}"))
def no_condition(doc, ctx):
    for r in _alerts(doc):
        if not _parsed(r) or is_dead_mans_switch(r):
            continue
        tree = unwrap(r.tree)
        if isinstance(tree, Binary) and tree.op == "or":
            if (first_comparison(tree.lhs) is None or first_comparison(tree.rhs) is None) \
                    and not has_absent(tree.lhs) and not has_absent(tree.rhs):
                vector_side = any(isinstance(unwrap(s), Call) and unwrap(s).name == "vector"
                                  for s in (tree.lhs, tree.rhs))
                yield Hit(r.expr_line, f"alert `{r.name}`: one side of `or` has no condition, "
                                       "so the alert always fires",
                          severity="critical" if vector_side else None)
        found = first_comparison(r.tree)
        if found is not None:
            if found.bool and first_comparison(found.lhs) is None and \
                    first_comparison(found.rhs) is None:
                yield Hit(r.expr_line, f"alert `{r.name}` compares with `bool`: every series "
                                       "returns 0 or 1, so the alert always fires",
                          severity="critical")
            continue
        if has_absent(r.tree):
            continue
        yield Hit(r.expr_line, f"alert `{r.name}`: the query has no condition, so it fires "
                               "for every series while the metric exists")


# value ranges of what a comparison compares: (low, high, discrete values or None)
_UNIT = (0.0, 1.0, frozenset({0.0, 1.0}))
_NON_NEGATIVE = (0.0, math.inf, None)
_RATE_LIKE = frozenset({"rate", "irate", "increase", "count_over_time", "changes", "resets",
                        "time", "timestamp", "abs", "sqrt"})
_KEEP_RANGE_OVER_TIME = frozenset({"min_over_time", "max_over_time", "last_over_time"})


def value_range(node):
    """(low, high, values, always_present) of an expression, or None when unknown.
    `always_present`: the value exists for every series whatever it is (a gauge, a rate),
    unlike `absent()` or `count()` which return something only when it matters."""
    node = unwrap(node)
    if isinstance(node, Number):
        return (node.value, node.value, frozenset({node.value}), True)
    if isinstance(node, Selector):
        if node.name in ("up", "probe_success") and node.range is None:
            return _UNIT + (True,)
        return None
    if isinstance(node, Unary) and node.op == "-":
        inner = value_range(node.expr)
        if inner is None:
            return None
        lo, hi, values, present = inner
        return (-hi, -lo, frozenset(-v for v in values) if values else None, present)
    if isinstance(node, Binary) and node.bool and node.op in promql.COMPARISONS:
        return _UNIT + (True,)
    if isinstance(node, Call):
        if node.name in ("absent", "absent_over_time"):
            return (1.0, 1.0, frozenset({1.0}), False)
        if node.name == "vector" and node.args:
            return value_range(node.args[0])
        if node.name in _RATE_LIKE:
            present = node.name not in ("count_over_time",)
            low = 1.0 if node.name == "count_over_time" else 0.0
            return (low, math.inf, None, present)
        if node.name in _KEEP_RANGE_OVER_TIME | {"avg_over_time"} and node.args:
            arg = unwrap(node.args[0])
            if isinstance(arg, Selector) and arg.name in ("up", "probe_success"):
                return (0.0, 1.0, None if node.name == "avg_over_time" else _UNIT[2], True)
        return None
    if isinstance(node, Aggregate) and node.args:
        if node.op == "count":
            return (1.0, math.inf, None, False)
        if node.op == "group":
            return (1.0, 1.0, frozenset({1.0}), False)
        inner = value_range(node.args[-1])
        if inner is None:
            return None
        lo, hi, values, present = inner
        if node.op in ("min", "max"):
            return inner
        if node.op == "avg":
            return (lo, hi, None, present)
        if node.op == "sum" and lo >= 0:
            return (0.0, math.inf, None, present)
    return None


_FLIP = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "==": "==", "!=": "!="}


def _never(op, c, lo, hi, values):
    if op == "==":
        return (values is not None and c not in values) or c < lo or c > hi
    if op == "!=":
        return values is not None and values == frozenset({c})
    return {">": hi <= c, ">=": hi < c, "<": lo >= c, "<=": lo > c}[op]


def _always(op, c, lo, hi, values):
    if op == "==":
        return values is not None and values == frozenset({c})
    if op == "!=":
        return (values is not None and c not in values) or c < lo or c > hi
    return {">": lo > c, ">=": lo >= c, "<": hi < c, "<=": hi <= c}[op]


def _fmt(v):
    return str(int(v)) if float(v).is_integer() else str(v)


@rules.rule(
    "MO008", "critical", "reliability", "Comparison that can never (or always) be true",
    "`up` is 0 or 1, `absent()` returns 1, `count()` of nothing returns nothing, a rate is "
    "never negative: `up == 2`, `count(up{job=\"db\"}) == 0` or `rate(x[5m]) < 0` can never "
    "match, so the alert never fires (the outage it was written for goes unseen) and the "
    "recording rule records nothing. `up >= 0` matches every series: the alert always fires.",
    "Compare against a value the expression can take: `up == 0`, "
    "`absent(up{job=\"db\"})` instead of `count(…) == 0`, `rate(x[5m]) > 0`.",
    example=("- alert: TargetDown\n"
             "  expr: up{job=\"db\"} == 0 or absent(up{job=\"db\"})\n"
             "  for: 5m\n"
             "  labels: {severity: critical}\n"
             "  annotations:\n"
             "    summary: The database exporter is down or gone\n"
             "    runbook_url: https://runbooks.example.org/database-down"))
def impossible_comparison(doc, ctx):
    rf = _rule_file(doc)
    if rf is None:
        return
    for r in rf.rules():
        if not _parsed(r):
            continue
        for node in r.tree.walk():
            if not isinstance(node, Binary) or node.op not in promql.COMPARISONS or node.bool:
                continue
            lhs, rhs, op = unwrap(node.lhs), unwrap(node.rhs), node.op
            if isinstance(lhs, Number) and not isinstance(rhs, Number):
                lhs, rhs, op = rhs, lhs, _FLIP[op]
            if not isinstance(rhs, Number) or isinstance(lhs, Number):
                continue
            found = value_range(lhs)
            if found is None:
                continue
            lo, hi, values, present = found
            c = rhs.value
            if math.isnan(c):
                continue
            what = _describe_range(lo, hi, values)
            if _never(op, c, lo, hi, values):
                yield Hit(r.expr_line, f"{r.kind} `{r.name}`: `… {op} {_fmt(c)}` can never "
                                       f"match ({what}): the {_result(r)}")
            elif present and r.kind == "alert" and _always(op, c, lo, hi, values) \
                    and promql.selectors(lhs):
                yield Hit(r.expr_line, f"alert `{r.name}`: `… {op} {_fmt(c)}` matches every "
                                       f"series ({what}): the alert always fires",
                          severity="warning")


def _result(rule):
    return "alert never fires" if rule.kind == "alert" else "rule records nothing"


def _describe_range(lo, hi, values):
    if values is not None:
        vals = sorted(values)
        return "the value is " + " or ".join(_fmt(v) for v in vals)
    if hi == math.inf:
        return f"the value is at least {_fmt(lo)} when there is one"
    return f"the value lies between {_fmt(lo)} and {_fmt(hi)}"


# --- rates --------------------------------------------------------------------------

_WINDOW_FUNCTIONS = ("rate", "irate", "increase", "deriv")


def _fmt_seconds(seconds):
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{_fmt(seconds)}s"


@rules.rule(
    "MO009", "warning", "reliability", "`rate()` window shorter than two scrape intervals",
    "`rate()`, `irate()`, `increase()` and `deriv()` need at least two samples in their "
    "window; with a window under 2× the scrape interval most evaluations see one sample "
    "and return nothing, so the alert or recording rule silently has no data (pint reports "
    "it as a bug). Judged against the scrape interval of the prometheus.yml in the review "
    "(the job's own, else `global.scrape_interval`, 1m by default).",
    "Use a window of at least 4× the scrape interval (`rate(x[2m])` at a 30s interval; "
    "`[5m]` is the usual choice).",
    peers=("pint:promql/rate",),
    example=("# prometheus.yml: scrape_interval: 1m, so a [5m] window holds 5 samples\n"
             "- record: job:http_requests:rate5m\n"
             "  expr: sum by (job) (rate(http_requests_total[5m]))"))
def short_rate_window(doc, ctx):
    rf = _rule_file(doc)
    if rf is None or not rf.rules():
        return
    settings = scrape_settings_for(doc, ctx)
    if settings is None:
        return
    for r in rf.rules():
        if not _parsed(r):
            continue
        for call in promql.calls(r.tree):
            if call.name not in _WINDOW_FUNCTIONS:
                continue
            for arg in call.args:
                if not isinstance(arg, Selector) or arg.range is None:
                    continue
                job = arg.matcher("job")
                interval = settings.jobs.get(job, settings.interval) if job else \
                    settings.interval
                if arg.range < 2 * interval:
                    yield Hit(r.expr_line, f"{r.kind} `{r.name}`: `{call.name}({arg.name or ''}"
                                           f"[{arg.range_text}])` spans less than 2× the "
                                           f"scrape interval ({_fmt_seconds(interval)} in "
                                           f"{settings.doc.path})")


_COUNTER_SUFFIXES = ("_total", "_count", "_sum", "_bucket", "_created")
_GAUGE_SUFFIXES = ("_bytes", "_ratio", "_celsius", "_percent", "_temperature", "_info",
                   "_timestamp_seconds", "_timestamp", "_volts", "_watts", "_amperes")


def gauge_looking(name):
    if not name or name.endswith(_COUNTER_SUFFIXES):
        return False
    return name == "up" or name.endswith(_GAUGE_SUFFIXES)


@rules.rule(
    "MO010", "warning", "reliability", "`rate()` on a metric that looks like a gauge",
    "`rate()`, `irate()` and `increase()` assume a counter: every drop in value is read as "
    "a counter reset and counted as a jump up. On a gauge (`…_bytes`, `…_celsius`, "
    "`…_ratio`, `up`) the result is garbage that looks plausible.",
    "For a gauge use `deriv()` (per-second slope) or `delta()` (change over the window); "
    "for a real counter whose name lacks `_total`, keep `rate()` and suppress this here.",
    example=("- record: instance:node_memory_active_bytes:deriv15m\n"
             "  expr: deriv(node_memory_Active_bytes[15m])"))
def rate_on_gauge(doc, ctx):
    rf = _rule_file(doc)
    if rf is None:
        return
    for r in rf.rules():
        if not _parsed(r):
            continue
        for call in promql.calls(r.tree):
            if call.name not in ("rate", "irate", "increase"):
                continue
            for arg in call.args:
                if isinstance(arg, Selector) and gauge_looking(arg.name):
                    yield Hit(r.expr_line, f"{r.kind} `{r.name}`: `{call.name}({arg.name}…)` — "
                                           f"`{arg.name}` looks like a gauge")


_PASS_THROUGH = frozenset({"sum", "min", "max", "avg", "topk", "bottomk", "quantile"})


def _compared_counters(tree):
    """`_total` selectors that are an operand of a comparison as they are (through
    parentheses and value-keeping aggregations): `x_total > 0`, `sum(x_total) > 100` —
    not `x_total - x_total offset 1h`, not `count(x_total)`."""
    for node in tree.walk():
        if not isinstance(node, Binary) or node.op not in promql.COMPARISONS:
            continue
        for side in (node.lhs, node.rhs):
            side = unwrap(side)
            while isinstance(side, Aggregate) and side.op in _PASS_THROUGH and side.args:
                side = unwrap(side.args[-1])
            if isinstance(side, Selector) and side.range is None and side.name and \
                    side.name.endswith("_total"):
                yield side


@rules.rule(
    "MO011", "warning", "reliability", "Alert compares a raw counter",
    "A `_total` counter only grows (until a restart resets it): `errors_total > 0` fires "
    "after the first error ever and keeps firing until the process restarts; a threshold "
    "on the raw value depends on uptime, not on what is happening now.",
    "Compare its rate or increase over a window: `increase(errors_total[15m]) > 0`, "
    "`rate(errors_total[5m]) > 0.1`.",
    example=("- alert: BackupErrors\n"
             "  expr: increase(backup_errors_total[1h]) > 0\n"
             "  for: 5m\n"
             "  labels: {severity: warning}\n"
             "  annotations: {summary: \"{{ $labels.job }}: a backup failed in the last hour\"}"))
def raw_counter(doc, ctx):
    for r in _alerts(doc):
        if not _parsed(r):
            continue
        seen = set()
        for sel in _compared_counters(r.tree):
            if sel.name not in seen:
                seen.add(sel.name)
                yield Hit(r.expr_line, f"alert `{r.name}` compares the counter `{sel.name}` "
                                       "as is, without `rate()`/`increase()`")


@rules.rule(
    "MO012", "suggestion", "reliability", "No dead-man's switch alert",
    "A Prometheus that is down, or cannot reach Alertmanager, sends no alerts at all — "
    "which looks exactly like everything being fine. An alert that always fires "
    "(`Watchdog`, `expr: vector(1)`), paired with an external service that pages when it "
    "stops arriving, is how that silence gets noticed. Judged when the review holds the "
    "Prometheus or Alertmanager config too.",
    "Add `- alert: Watchdog` with `expr: vector(1)` and route it to a dead-man's-switch "
    "service (healthchecks.io, Dead Man's Snitch, PagerDuty heartbeat) that pages when it "
    "stops.",
    positive="A dead-man's switch alert (`{name}`) watches the alerting pipeline itself",
    example=("- alert: Watchdog\n"
             "  expr: vector(1)\n"
             "  labels: {severity: none}\n"
             "  annotations:\n"
             "    summary: Always firing; healthchecks.io pages when it stops arriving"))
def no_dead_mans_switch(doc, ctx):
    if not _alerts(doc):
        return
    configs = [c for c in monitoring_docs(ctx, "prometheus", "alertmanager", root=doc.root)
               if near(c, doc)]
    if not configs:
        return     # rules added to a stack set up elsewhere (a Helm chart ships its Watchdog)
    docs = sorted({id(d): d for c in configs for d in rule_docs_near(ctx, c)
                   if d.model.alerts()}.values(), key=lambda d: d.path)
    switches = [r for d in docs for r in d.model.alerts() if is_dead_mans_switch(r)]
    if switches:
        own = next((s for s in switches if s in _alerts(doc)), None)
        if own is not None:
            yield Pass(own.line, name=own.name)
        return
    if docs and docs[0] is doc:    # said once per stack, on its first rule file
        yield Hit(_alerts(doc)[0].group.line, "no alert in the reviewed rule files always "
                                              "fires (Watchdog): a dead Prometheus or "
                                              "Alertmanager would go unnoticed")


@rules.rule(
    "MO013", "suggestion", "elegance", "Recording rule not named `level:metric:operations`",
    "Prometheus' naming convention for recorded series (`job:http_requests:rate5m`) says "
    "at a glance what was aggregated and how, and keeps recorded series from colliding "
    "with scraped ones. A name that is not a valid metric name makes Prometheus refuse "
    "the file.",
    "Rename to `<labels kept>:<metric>:<operations>`, e.g. "
    "`instance:node_cpu_utilisation:rate5m`.",
    example=("- record: job:http_requests:rate5m\n"
             "  expr: sum by (job) (rate(http_requests_total[5m]))"))
def record_naming(doc, ctx):
    rf = _rule_file(doc)
    if rf is None:
        return
    for r in rf.rules():
        if r.kind != "record" or promql.has_template(r.name):
            continue
        if not _METRIC_NAME.match(r.name):
            yield Hit(r.line, f"`{r.name}` is not a valid metric name: Prometheus refuses the "
                              "file", severity="critical")
        elif ":" not in r.name:
            yield Hit(r.line, f"recording rule `{r.name}` has no `level:` and `:operations` "
                              "parts")


@rules.rule(
    "MO014", "critical", "reliability", "Two rule groups with the same name in one file",
    "Prometheus refuses a rule file in which a group name is repeated (`groupname: \"x\" is "
    "repeated in the same file`): none of its rules are loaded.",
    "Rename one of the groups, or merge them.",
    example=("groups:\n"
             "  - name: node\n"
             "    rules:\n"
             "      - record: instance:node_cpu_utilisation:rate5m\n"
             "        expr: 1 - avg by (instance) "
             "(rate(node_cpu_seconds_total{mode=\"idle\"}[5m]))\n"
             "  - name: node-disk\n"
             "    rules:\n"
             "      - record: instance:node_filesystem_avail:ratio\n"
             "        expr: node_filesystem_avail_bytes / node_filesystem_size_bytes"))
def duplicate_group(doc, ctx):
    rf = _rule_file(doc)
    if rf is None:
        return
    seen = {}
    for g in rf.groups:
        key = (g.source, g.name)
        if key in seen:
            yield Hit(g.line, f"group `{g.name}` is also defined at line {seen[key]}")
        else:
            seen[key] = g.line


def _label_key(rule):
    return tuple(sorted((str(k), str(v)) for k, v in rule.labels.items()))


@rules.rule(
    "MO015", "warning", "reliability", "Duplicate rule",
    "Two copies of a rule (same name, labels and expression) in one file evaluate twice: a duplicated "
    "recording rule writes the same series twice (Prometheus logs out-of-order or "
    "duplicate-sample errors and keeps one at random), a duplicated alert notifies twice "
    "or hides that the two copies drifted apart (`promtool check rules` reports it).",
    "Delete one copy, or tell them apart with a label (`severity: warning` / `critical` "
    "thresholds are a legitimate pair).",
    example=("- alert: DiskFull\n"
             "  expr: node_filesystem_avail_bytes < 2e9\n"
             "  for: 10m\n"
             "  labels: {severity: warning}\n"
             "  annotations: {summary: \"{{ $labels.instance }}: under 2 GB free\"}\n"
             "- alert: DiskFull\n"
             "  expr: node_filesystem_avail_bytes < 5e8\n"
             "  for: 5m\n"
             "  labels: {severity: critical}\n"
             "  annotations:\n"
             "    summary: \"{{ $labels.instance }}: under 500 MB free\"\n"
             "    runbook_url: https://runbooks.example.org/disk-full"))
def duplicate_rule(doc, ctx):
    rf = _rule_file(doc)
    if rf is None:
        return
    seen = {}
    for r in rf.rules():
        if promql.has_template(r.name):
            continue
        key = (r.group.source, r.kind, r.name, _label_key(r), " ".join(r.expr.split()))
        if key in seen:
            yield Hit(r.line, f"{r.kind} `{r.name}` with the same labels and expression is "
                              f"also defined at line {seen[key]}")
        else:
            seen[key] = r.line


def has_up_or_absent_alert(ctx, around=None):
    for r in all_alerts(ctx, around):
        if not _parsed(r):
            continue
        if has_absent(r.tree) or any(s.name == "up" for s in promql.selectors(r.tree)):
            return True
    return False


# Examples are written as rule items above; shown and tested as whole rule files.
for _rule in rules.rules:
    if _rule.example.lstrip().startswith(("- alert", "- record", "# prometheus.yml")):
        _rule.example = _group(_rule.example)
