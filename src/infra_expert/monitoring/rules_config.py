"""Rules for prometheus.yml and Alertmanager configs."""

from __future__ import annotations

import fnmatch
import os
import re

from infra_expert.lazyre import lazy_re

from infra_expert.model import Hit, Pass, RuleSet
from infra_expert.monitoring.model import Broken
from infra_expert.monitoring.promql import parse_duration
from infra_expert.monitoring.run import all_alerts, matches_rule_file, near, rule_file_patterns
from infra_expert.secrets import WEBHOOK_URL, is_literal_secret_value
from infra_expert.yamlsafe import YMap, YSeq

rules = RuleSet("monitoring")


def _config(doc, kind):
    if doc.kind != kind or doc.model is None or isinstance(doc.model, Broken):
        return None
    return doc.model


def _walk(node, path=()):
    """(mapping, key, value, path of keys) for every key of a YAML tree."""
    stack = [(node, path)]
    while stack:
        n, p = stack.pop()
        if isinstance(n, YMap):
            for k, v in n.items():
                yield n, k, v, p + (str(k),)
                if isinstance(v, (YMap, YSeq)):
                    stack.append((v, p + (str(k),)))
        elif isinstance(n, YSeq):
            for v in n:
                if isinstance(v, (YMap, YSeq)):
                    stack.append((v, p))


def _line(mapping, key):
    return mapping.key_pos.get(key, (mapping.line, 1))[0]


def _job_name(job):
    return str(job.get("job_name", "?"))


def _fmt(seconds):
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


# --- prometheus.yml -----------------------------------------------------------------

@rules.rule(
    "MO016", "critical", "reliability", "`scrape_timeout` longer than `scrape_interval`",
    "Prometheus refuses to load a config in which a scrape may take longer than the "
    "interval between scrapes (`scrape timeout greater than scrape interval`).",
    "Keep `scrape_timeout` at or below `scrape_interval` (the default timeout is 10s; a "
    "slow exporter wants a longer interval, not an overlapping scrape).",
    example=("global:\n"
             "  scrape_interval: 30s\n"
             "scrape_configs:\n"
             "  - job_name: node\n"
             "    scrape_interval: 15s\n"
             "    scrape_timeout: 10s\n"
             "    static_configs:\n"
             "      - targets: [\"node-exporter:9100\"]"))
def timeout_over_interval(doc, ctx):
    cfg = _config(doc, "prometheus")
    if cfg is None:
        return
    glob = cfg.root.get("global") if isinstance(cfg.root.get("global"), YMap) else None
    g_interval = parse_duration(glob.get("scrape_interval", "1m")) if glob else 60.0
    g_timeout = parse_duration(glob.get("scrape_timeout", "10s")) if glob else 10.0
    if glob is not None and g_interval and g_timeout and g_timeout > g_interval:
        yield Hit(_line(glob, "scrape_timeout"), f"global scrape_timeout {_fmt(g_timeout)} > "
                                                 f"scrape_interval {_fmt(g_interval)}")
    for job in cfg.jobs():
        interval = parse_duration(job["scrape_interval"]) if "scrape_interval" in job \
            else g_interval
        if "scrape_timeout" in job:
            timeout = parse_duration(job["scrape_timeout"])
        else:
            # an unset timeout is the global one, capped at the job's interval by Prometheus
            timeout = min(g_timeout or 10.0, interval or 60.0) if "scrape_interval" in job \
                else g_timeout
        if interval and timeout and timeout > interval:
            key = "scrape_timeout" if "scrape_timeout" in job else "scrape_interval"
            yield Hit(_line(job, key), f"job `{_job_name(job)}`: scrape_timeout "
                                       f"{_fmt(timeout)} > scrape_interval {_fmt(interval)}")


@rules.rule(
    "MO017", "critical", "reliability", "Two scrape jobs with the same `job_name`",
    "Prometheus refuses a config in which a `job_name` is repeated (`found multiple scrape "
    "configs with job name …`).",
    "Give every scrape config its own `job_name`, or merge their targets into one job.",
    example=("scrape_configs:\n"
             "  - job_name: node\n"
             "    static_configs:\n"
             "      - targets: [\"pi1:9100\", \"pi2:9100\"]\n"
             "  - job_name: cadvisor\n"
             "    static_configs:\n"
             "      - targets: [\"pi1:8080\"]"))
def duplicate_job(doc, ctx):
    cfg = _config(doc, "prometheus")
    if cfg is None:
        return
    seen = {}
    for job in cfg.jobs():
        name = _job_name(job)
        if name in seen:
            yield Hit(_line(job, "job_name"), f"job `{name}` is also defined at line {seen[name]}")
        else:
            seen[name] = _line(job, "job_name")


_PROM_SECRET_KEYS = {"password": "basic_auth", "bearer_token": None,
                     "credentials": "authorization", "client_secret": "oauth2"}


@rules.rule(
    "MO018", "critical", "security", "Credential written into prometheus.yml",
    "prometheus.yml is committed, copied into images and shown by the server's "
    "`/api/v1/status/config` page to anyone who can reach it (recent versions mask it, "
    "older ones and copies do not): a password or token written in it is a leaked "
    "credential.",
    "Use the `*_file` form (`password_file`, `bearer_token_file`, `credentials_file`, "
    "`client_secret_file`) pointing at a mounted secret, and rotate the exposed value.",
    example=("scrape_configs:\n"
             "  - job_name: node\n"
             "    basic_auth:\n"
             "      username: prometheus\n"
             "      password_file: /run/secrets/node_exporter_password\n"
             "    static_configs:\n"
             "      - targets: [\"pi1:9100\"]"))
def inline_credentials(doc, ctx):
    cfg = _config(doc, "prometheus")
    if cfg is None:
        return
    for mapping, key, value, path in _walk(cfg.root):
        parent = _PROM_SECRET_KEYS.get(key, "")
        if parent == "" or not isinstance(value, str) or not value.strip():
            continue
        if parent is not None and (len(path) < 2 or path[-2] != parent):
            continue
        if is_literal_secret_value(value, key):
            where = ".".join(p for p in path if not p.isdigit())
            yield Hit(_line(mapping, key), f"`{where}` holds a literal credential; use "
                                           f"`{key}_file`")


@rules.rule(
    "MO019", "warning", "security", "TLS verification turned off",
    "`insecure_skip_verify: true` accepts any certificate: whoever sits between Prometheus "
    "and the target (or Alertmanager and its receiver) can read and change the data, and "
    "steal the credentials sent with it.",
    "Give `tls_config.ca_file` the CA that signed the target's certificate (and "
    "`server_name` when the address differs), then remove `insecure_skip_verify`.",
    example=("scrape_configs:\n"
             "  - job_name: proxmox\n"
             "    scheme: https\n"
             "    tls_config:\n"
             "      ca_file: /etc/prometheus/proxmox-ca.pem\n"
             "      server_name: pve.lan\n"
             "    static_configs:\n"
             "      - targets: [\"192.168.1.10:9221\"]"))
def skip_verify(doc, ctx):
    if doc.kind not in ("prometheus", "alertmanager") or isinstance(doc.model, Broken) \
            or doc.model is None:
        return
    for mapping, key, value, path in _walk(doc.model.root):
        if key == "insecure_skip_verify" and value is True:
            yield Hit(_line(mapping, key), f"`{'.'.join(path)}: true`")


_SD = lazy_re(r"_sd_configs$")


@rules.rule(
    "MO020", "suggestion", "performance", "Scrape of many targets without `sample_limit`",
    "One target that suddenly exports a million series (a label holding a user id, a "
    "request path) takes the whole Prometheus down with it — on a small board within "
    "minutes. `sample_limit` (and `label_limit`) make that one scrape fail instead.",
    "Set `sample_limit:` on jobs whose targets are discovered or numerous (a few times "
    "today's series per target), or globally in `global:` (Prometheus 2.45+).",
    example=("scrape_configs:\n"
             "  - job_name: pods\n"
             "    sample_limit: 50000\n"
             "    label_limit: 64\n"
             "    kubernetes_sd_configs:\n"
             "      - role: pod"))
def no_sample_limit(doc, ctx):
    cfg = _config(doc, "prometheus")
    if cfg is None:
        return
    glob = cfg.root.get("global")
    if isinstance(glob, YMap) and "sample_limit" in glob:
        return
    for job in cfg.jobs():
        if "sample_limit" in job:
            continue
        discovered = [k for k in job if _SD.search(str(k)) and str(k) != "static_configs"]
        targets = 0
        for sc in job.get("static_configs") or []:
            if isinstance(sc, YMap) and isinstance(sc.get("targets"), list):
                targets += len(sc["targets"])
        if discovered:
            yield Hit(_line(job, "job_name"), f"job `{_job_name(job)}` scrapes targets found "
                                              f"by `{discovered[0]}` with no `sample_limit`")
        elif targets >= 10:
            yield Hit(_line(job, "job_name"), f"job `{_job_name(job)}` scrapes {targets} "
                                              "targets with no `sample_limit`")


_GLOB_CHARS = lazy_re(r"[*?\[]")


@rules.rule(
    "MO021", "warning", "reliability", "`rule_files` entry that matches no file",
    "Prometheus globs every `rule_files` entry and says nothing when one matches no file: "
    "the alerts you think are loaded are not, and nothing tells you until the outage.",
    "Fix the path (relative paths are read from the folder of prometheus.yml), or mount "
    "the rule file where the entry says; `promtool check config` lists the files it loads.",
    example=("rule_files:\n"
             "  - /etc/prometheus/rules/*.yml   # where compose mounts ./rules\n"
             "scrape_configs:\n"
             "  - job_name: node\n"
             "    static_configs:\n"
             "      - targets: [\"node-exporter:9100\"]"))
def rule_file_missing(doc, ctx):
    cfg = _config(doc, "prometheus")
    if cfg is None:
        return
    rule_docs = [d for d in ctx.documents if d.domain == "monitoring"
                 and d.kind in ("rules", "prometheusrule") and near(doc, d)]
    for pattern, absolute, line in rule_file_patterns(doc):
        if any(matches_rule_file(pattern, absolute, d) for d in rule_docs):
            continue
        if os.path.isabs(pattern):
            if not rule_docs:
                continue         # a container path mounted from elsewhere: cannot tell
            yield Hit(line, f"`{pattern}` matches none of the rule files reviewed here "
                            f"({len(rule_docs)} found); check what is mounted there")
            continue
        if _exists(ctx, absolute):
            continue
        yield Hit(line, f"`{pattern}` matches no file next to {os.path.basename(doc.path)}")


def _exists(ctx, absolute):
    gate = ctx.gate
    directory, name = os.path.split(absolute)
    if gate is not None and not gate.inside(directory):
        return True             # outside the reviewed tree: not ours to judge
    try:
        names = gate.listdir(directory) if gate is not None else os.listdir(directory)
    except Exception:  # noqa: BLE001 - a missing or refused folder: nothing matches
        return False
    if _GLOB_CHARS.search(name):
        return any(fnmatch.fnmatch(n, name) for n in names)
    return name in names


@rules.rule(
    "MO022", "suggestion", "reliability", "No alert for a target that stops being scraped",
    "When an exporter or a whole host dies, its metrics vanish and every threshold alert "
    "on them goes quiet: only an alert on `up == 0` (or `absent(up{job=…})`) says that "
    "something stopped reporting.",
    "Add `- alert: TargetDown` with `expr: up == 0` and `for: 5m` (and `absent(up{job=\"x\"})` "
    "for jobs that must always exist).",
    positive="An alert watches scrape targets going down (`up`/`absent()`)",
    example=("groups:\n"
             "  - name: targets\n"
             "    rules:\n"
             "      - alert: TargetDown\n"
             "        expr: up == 0\n"
             "        for: 5m\n"
             "        labels: {severity: warning}\n"
             "        annotations: {summary: \"{{ $labels.job }} on {{ $labels.instance }} is "
             "down\"}\n"
             "      - alert: NodeExporterMissing\n"
             "        expr: absent(up{job=\"node\"})\n"
             "        for: 10m\n"
             "        labels: {severity: warning}\n"
             "        annotations: {summary: No node exporter is scraped at all}"))
def no_target_down_alert(doc, ctx):
    from infra_expert.monitoring.rules_rules import has_up_or_absent_alert
    cfg = _config(doc, "prometheus")
    if cfg is None or not cfg.jobs() or not all_alerts(ctx, doc):
        return
    if has_up_or_absent_alert(ctx, doc):
        yield Pass(_line(cfg.root, "scrape_configs"))
        return
    yield Hit(_line(cfg.root, "scrape_configs"), "none of the reviewed alerts uses `up` or "
                                                 "`absent()`: a dead target goes unnoticed")


# --- Alertmanager -------------------------------------------------------------------

def _routes(route, depth=0):
    if not isinstance(route, YMap) or depth > 50:
        return
    yield route
    for child in route.get("routes") or []:
        yield from _routes(child, depth + 1)


@rules.rule(
    "MO023", "critical", "reliability", "Alertmanager route without a valid receiver",
    "Alertmanager refuses to start when the root route has no `receiver` (the default for "
    "every alert no child route catches) or when a route names a receiver that is not "
    "defined.",
    "Set `route.receiver` to a receiver defined under `receivers:`, and fix the names "
    "child routes use.",
    example=("route:\n"
             "  receiver: ntfy\n"
             "  group_by: [alertname, instance]\n"
             "  routes:\n"
             "    - matchers: [severity=\"critical\"]\n"
             "      receiver: pager\n"
             "receivers:\n"
             "  - name: ntfy\n"
             "    webhook_configs:\n"
             "      - url: http://ntfy-bridge:8080/alerts\n"
             "  - name: pager\n"
             "    pagerduty_configs:\n"
             "      - routing_key_file: /etc/alertmanager/secrets/pagerduty"))
def bad_receiver(doc, ctx):
    cfg = _config(doc, "alertmanager")
    if cfg is None:
        return
    root = cfg.root
    route = root.get("route")
    if not isinstance(route, YMap):
        yield Hit(_line(root, "route"), "no root `route:`")
        return
    names = {str(r.get("name")) for r in root.get("receivers") or [] if isinstance(r, YMap)}
    if not str(route.get("receiver") or "").strip():
        yield Hit(_line(root, "route") if "receiver" not in route else _line(route, "receiver"),
                  "the root route has no default `receiver`")
    for r in _routes(route):
        name = r.get("receiver")
        if name is not None and str(name).strip() and str(name) not in names:
            yield Hit(_line(r, "receiver"), f"receiver `{name}` is not defined under "
                                            "`receivers:`")


@rules.rule(
    "MO024", "suggestion", "reliability", "Alertmanager root route without `group_by`",
    "Without `group_by` every alert of a route lands in one group: an outage that fires "
    "forty alerts sends one notification mixing them all, and a new unrelated alert waits "
    "for that group's interval. `group_by: ['...']` does the opposite: one notification "
    "per alert.",
    "Group by what one incident shares: `group_by: [alertname, cluster, service]` "
    "(or `[alertname, instance]` on a homelab).",
    positive="Alerts are grouped (`group_by: {labels}`)",
    example=("route:\n"
             "  receiver: ntfy\n"
             "  group_by: [alertname, instance]\n"
             "receivers:\n"
             "  - name: ntfy\n"
             "    webhook_configs:\n"
             "      - url: http://ntfy-bridge:8080/alerts"))
def no_group_by(doc, ctx):
    cfg = _config(doc, "alertmanager")
    if cfg is None:
        return
    route = cfg.root.get("route")
    if not isinstance(route, YMap):
        return
    group_by = route.get("group_by")
    if not group_by:
        yield Hit(_line(cfg.root, "route"), "the root route has no `group_by`: all alerts "
                                            "share one group")
    elif isinstance(group_by, list) and "..." in [str(g) for g in group_by]:
        yield Hit(_line(route, "group_by"), "`group_by: ['...']` sends one notification per "
                                            "alert")
    else:
        yield Pass(_line(route, "group_by"), labels=", ".join(str(g) for g in group_by))


@rules.rule(
    "MO025", "suggestion", "reliability", "Very short `repeat_interval`",
    "`repeat_interval` re-sends a firing alert that nobody resolved. At a few minutes it "
    "floods the channel while someone is already working on it, and people mute the "
    "channel — then miss the next, different alert.",
    "Keep the default `4h` (or at least `1h`) and use escalation in the paging tool for "
    "unacknowledged pages.",
    example=("route:\n"
             "  receiver: slack\n"
             "  group_by: [alertname, instance]\n"
             "  repeat_interval: 4h\n"
             "receivers:\n"
             "  - name: slack\n"
             "    slack_configs:\n"
             "      - api_url_file: /etc/alertmanager/secrets/slack-webhook"))
def short_repeat(doc, ctx):
    cfg = _config(doc, "alertmanager")
    if cfg is None:
        return
    for r in _routes(cfg.root.get("route")):
        if "repeat_interval" in r and not _dead_mans_route(r):
            seconds = parse_duration(r.get("repeat_interval"))
            if seconds is not None and 0 < seconds < 30 * 60:
                yield Hit(_line(r, "repeat_interval"), f"`repeat_interval: "
                                                       f"{r.get('repeat_interval')}` re-sends "
                                                       "every unresolved alert that often")


_HEARTBEAT = lazy_re(r"watchdog|dead.?man|heartbeat|healthchecks|snitch|always.?firing",
                        re.IGNORECASE)


def _dead_mans_route(route):
    """A route for the dead-man's switch repeats often on purpose (the receiver pages
    when the repeats stop)."""
    text = " ".join(str(route.get(k) or "") for k in ("receiver", "matchers", "match",
                                                      "match_re"))
    return bool(_HEARTBEAT.search(text))


_AM_SECRET_KEYS = frozenset({
    "smtp_auth_password", "smtp_auth_secret", "auth_password", "auth_secret", "api_key",
    "api_secret", "routing_key", "service_key", "bot_token", "token", "user_key",
    "password", "credentials", "bearer_token", "client_secret"})
_AM_URL_KEYS = frozenset({"slack_api_url", "api_url", "webhook_url", "url"})
# beyond the chat webhooks of core `secrets.WEBHOOK_URL`: tokens in the path or query
_TOKEN_URL = lazy_re(
    r"webhook\.office\.com/|/webhookb2/|api\.telegram\.org/bot|chat\.googleapis\.com/.*key=|"
    r"[?&](?:token|key|apikey|api_key|secret|access_token|auth|sig)=[^&\s]{6,}|"
    r"://[^/@\s:]+:[^/@\s]+@", re.IGNORECASE)


@rules.rule(
    "MO026", "critical", "security", "Secret written into the Alertmanager config",
    "A Slack or Discord webhook URL, an SMTP password, a PagerDuty routing key or a bot "
    "token in alertmanager.yml is readable by everyone with the repository, and anyone "
    "holding it can post to your channels or page your on-call — and Alertmanager's "
    "`/api/v2/status` shows the config to whoever reaches it.",
    "Use the `*_file` form (`slack_api_url_file`, `api_url_file`, `smtp_auth_password_file`, "
    "`routing_key_file`, `bot_token_file`, `url_file` …) with a mounted secret, and rotate "
    "the exposed value.",
    example=("global:\n"
             "  slack_api_url_file: /etc/alertmanager/secrets/slack-webhook\n"
             "route:\n"
             "  receiver: slack\n"
             "  group_by: [alertname, instance]\n"
             "receivers:\n"
             "  - name: slack\n"
             "    slack_configs:\n"
             "      - channel: \"#alerts\""))
def am_inline_secret(doc, ctx):
    cfg = _config(doc, "alertmanager")
    if cfg is None:
        return
    for mapping, key, value, path in _walk(cfg.root):
        if not isinstance(value, str) or not value.strip():
            continue
        where = ".".join(path)
        if key in _AM_URL_KEYS:
            if "${" in value or "{{" in value or "<" in value:
                continue
            if WEBHOOK_URL.search(value) or _TOKEN_URL.search(value):
                yield Hit(_line(mapping, key), f"`{where}` is a URL that carries its token; "
                                               f"use `{key}_file`")
            continue
        if key in _AM_SECRET_KEYS and is_literal_secret_value(value, key):
            yield Hit(_line(mapping, key), f"`{where}` holds a literal secret; use "
                                           f"`{key}_file`")


@rules.rule(
    "MO027", "suggestion", "reliability", "No inhibition of warnings by critical alerts",
    "When a host is down its critical alert fires together with every warning about the "
    "same host (disk, memory, service checks): an `inhibit_rules` entry that mutes "
    "`severity=warning` while `severity=critical` fires for the same labels turns a burst "
    "of pages into the one that matters.",
    "Add `inhibit_rules: [{source_matchers: [severity=\"critical\"], target_matchers: "
    "[severity=\"warning\"], equal: [alertname, instance]}]` (adjust `equal` to your labels).",
    example=("route:\n"
             "  receiver: ntfy\n"
             "  group_by: [alertname, instance]\n"
             "receivers:\n"
             "  - name: ntfy\n"
             "    webhook_configs:\n"
             "      - url: http://ntfy-bridge:8080/alerts\n"
             "inhibit_rules:\n"
             "  - source_matchers: [severity=\"critical\"]\n"
             "    target_matchers: [severity=\"warning\"]\n"
             "    equal: [alertname, instance]"))
def no_inhibit(doc, ctx):
    cfg = _config(doc, "alertmanager")
    if cfg is None or cfg.root.get("inhibit_rules"):
        return
    severities = {r.severity for r in all_alerts(ctx, doc)}
    if {"critical", "warning"} <= severities:
        yield Hit(_line(cfg.root, "route"), "the reviewed rules have critical and warning "
                                            "alerts, and nothing inhibits one by the other")

