"""The monitoring domain: Prometheus rule files (and the rule groups of Kubernetes
PrometheusRule objects), prometheus.yml, Alertmanager configs, and the files that keep
logs bounded (Docker's daemon.json, journald.conf, logrotate)."""

from __future__ import annotations

import os
import re

from infra_expert.domain import Domain
from infra_expert.lazyre import lazy_re
from infra_expert.model import Suppression
from infra_expert.monitoring.pint import pint_suppressions
from infra_expert.suppress import line_comment_suppressions

NAME = "monitoring"
def _rulesets():
    """The rule modules, imported when a review has files of this domain (or the
    catalogue asks): a one-file review does not pay for the others."""
    from infra_expert.monitoring import rules_config, rules_logging, rules_rules
    return (rules_rules.rules, rules_config.rules, rules_logging.rules)

_YAML_EXT = (".yml", ".yaml")
_TOP = lazy_re(r"^(groups|route|receivers|scrape_configs|global|rule_files|apiVersion|kind|"
               r"id|namespace|tasks|services)[ \t]*:", re.MULTILINE)
_RULES_ITEM = lazy_re(r"^\s+(?:- )?rules[ \t]*:", re.MULTILINE)
_ALERT_OR_RECORD = lazy_re(r"^\s+(?:- )?(?:alert|record)[ \t]*:", re.MULTILINE)
_PROMETHEUS_RULE = lazy_re(r"^kind:[ \t]*PrometheusRule[ \t]*$", re.MULTILINE)
_JOURNAL = lazy_re(r"^\[Journal\][ \t]*$", re.MULTILINE)
_DOCKER_KEY = lazy_re(r'"(?:log-driver|log-opts|log-level|storage-driver|data-root|'
                      r'registry-mirrors|insecure-registries|live-restore|exec-opts|'
                      r'default-address-pools|features|builder|bip|iptables|ipv6|debug|hosts|'
                      r'runtimes|default-runtime|dns|userns-remap|max-concurrent-downloads|'
                      r'experimental|metrics-addr|mtu|icc|no-new-privileges|selinux-enabled)"'
                      r'\s*:')
_LOGROTATE_BLOCK = lazy_re(r"^\s*[/\"'*~][^\n{]*\{", re.MULTILINE)


def _top(head):
    """The top-level keys of `head` that tell the YAML kinds apart (one pass)."""
    return {m.group(1) for m in _TOP.finditer(head)}


def _yaml_kind(head):
    """Our kind for a YAML text, or None (Kubernetes, Compose, Kestra are not ours)."""
    top = _top(head)
    if top & {"apiVersion", "kind"} or {"id", "namespace", "tasks"} <= top:
        return None
    if "groups" in top and _RULES_ITEM.search(head):
        return "rules"
    if "scrape_configs" in top:
        return "prometheus"
    if {"route", "receivers"} <= top:
        return "alertmanager"
    return None


def _folder(where):
    path = getattr(where, "path", None) or ""
    return os.path.basename(os.path.dirname(path))


def by_name(name):
    lower = name.lower()
    if lower in ("prometheus.yml", "prometheus.yaml"):
        return "prometheus"
    if lower in ("alertmanager.yml", "alertmanager.yaml"):
        return "alertmanager"
    if lower.endswith(".rules") or lower.endswith((".rules.yml", ".rules.yaml")):
        return "rules"
    if lower == "daemon.json" or lower == "journald.conf":
        return "logging"
    if lower == "logrotate.conf" or lower.endswith(".logrotate"):
        return "logrotate"
    return None


def confirm(kind, text, where=None):
    """A file named like ours whose content is something else is let go."""
    if kind in ("prometheus", "alertmanager", "rules"):
        found = _yaml_kind(text)
        if kind == "prometheus" and found is None and ({"global", "rule_files"} & _top(text)) \
                and not _top(text) & {"apiVersion", "kind", "services"}:
            return kind
        return kind if found == kind else None
    if kind == "logging":
        stripped = text.lstrip()
        if stripped.startswith("{"):     # Docker's daemon.json, not another tool's
            return kind if _DOCKER_KEY.search(text) or not stripped.strip("{} \n") else None
        return kind if _JOURNAL.search(text) else None
    if kind == "logrotate":
        return kind
    return kind


def by_content(head, name, where=None):
    lower = name.lower()
    if lower.endswith(_YAML_EXT):
        return _yaml_kind(head)
    if _folder(where) == "logrotate.d" and _LOGROTATE_BLOCK.search(head):
        return "logrotate"
    if lower.endswith(".conf") and _JOURNAL.search(head) and (
            _folder(where) == "journald.conf.d" or lower.startswith("journald")):
        return "logging"
    return None


def also(head, name, where=None):
    """A Kubernetes PrometheusRule holds Prometheus rule groups: reviewed here too."""
    if name.lower().endswith(_YAML_EXT) and _PROMETHEUS_RULE.search(head):
        return "prometheusrule"
    return None


def load(docs, ctx):
    from infra_expert.monitoring.loader import load_document
    failures = []
    for doc in docs:
        try:
            load_document(doc)
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on
            failures.append((doc, type(exc).__name__))
    return failures


def reviewable(doc):
    return doc.model is not None


def suppressions(doc, peer_index):
    """`# infra-expert: ignore=MO003 reason` (`;` too in journald files), and pint's
    control comments in rule files (`# pint disable alerts/for`, `ignore/line` …)."""
    markers = "#;" if doc.kind == "logging" and not doc.text.lstrip().startswith("{") else "#"
    sups, unknown = line_comment_suppressions(doc.path, doc.text, peer_index, Suppression,
                                              markers=markers)
    if doc.kind in ("rules", "prometheusrule"):
        sups.extend(pint_suppressions(doc, peer_index))
    return sups, unknown


def resources(docs):
    from infra_expert.monitoring.loader import resource_rows
    return resource_rows(docs)


def show_resources(res, out):
    lines = []
    caps = res.get("log_caps") or {}
    journal, docker = caps.get("journald"), caps.get("docker")
    if journal:
        storage = journal["storage"].lower()
        lines.append(f"Logs on disk: the journal ({out.code(journal['path'])}) "
                     + ("stays in memory (`Storage=volatile`)" if storage == "volatile"
                        else "is not kept (`Storage=none`)" if storage == "none"
                        else f"is capped at {out.code('SystemMaxUse=' + journal['system_max_use'])}"
                        if journal["system_max_use"]
                        else "may take 10 % of the disk, up to 4 GiB (no `SystemMaxUse=`)")
                     + ".")
        lines.append("")
    if docker:
        size, count = docker["max_size"], docker["max_file"]
        lines.append(f"Containers' default logs ({out.code(docker['path'])}): "
                     + (f"{out.code(docker['driver'])}, {size} × {count or 1} file(s) each"
                        if size else "`local`, 100 MB each (20 MB × 5, Docker's default)"
                        if docker["driver"] == "local" else
                        f"{out.code(docker['driver'])} without `max-size`: unbounded"
                        if docker["driver"] == "json-file" else out.code(docker["driver"]))
                     + ".")
        lines.append("")
    files = res.get("rule_files") or []
    if files:
        lines.extend(["| Prometheus rule file | Alerting rules | Recording rules |",
                      "|---|---|---|"])
        for row in (files if out.full else files[:3 * out.rows]):
            lines.append(f"| {out.cell(out.code(row['path']))} | {row['alerts']} | "
                         f"{row['records']} |")
        lines.append("")
        if not out.full and len(files) > 3 * out.rows:
            lines.extend([f"+{len(files) - 3 * out.rows} files; `--full` lists every one.", ""])
    for cfg in res.get("scrape_configs") or []:
        jobs = cfg["jobs"]
        lines.extend([f"| Scrape job ({out.cell(out.code(cfg['path']))}) | Interval |",
                      "|---|---|"])
        for job in (jobs if out.full else jobs[:3 * out.rows]):
            lines.append(f"| {out.cell(out.code(job['job']))} | {out.cell(job['interval'])} |")
        lines.append("")
    return lines


DOMAIN = Domain(
    NAME, "MO", "Monitoring and logging", _rulesets,
    noun=("monitoring file", "monitoring files"),
    load=load, suppressions=suppressions, by_name=by_name, confirm=confirm,
    by_content=by_content, sniff=(".yml", ".yaml", ".conf", ""), also=also,
    reviewable=reviewable, resources=resources, show_resources=show_resources,
    fence="yaml", group_by_folder=False,
    # a rule file given alone (pre-commit) is judged with the prometheus.yml that loads it
    alone_with=(("monitoring", "prometheus"), ("monitoring", "alertmanager")),
    example_names=("alerts.rules.yml", "prometheus.yml", "alertmanager.yml", "daemon.json",
                   "journald.conf", "app.logrotate"),
    not_covered={
        "pint:alerts/absent": "Needs a live Prometheus (its scrape interval); MO003 asks "
                              "every alert for a `for:` instead.",
        "pint:promql/series": "Needs a live Prometheus to know which series exist.",
        "pint:promql/counter": "Needs a live Prometheus' metric metadata; MO011 judges "
                               "`_total` names offline.",
        "pint:alerts/count": "Needs a live Prometheus to replay the alert over time.",
    },
)
