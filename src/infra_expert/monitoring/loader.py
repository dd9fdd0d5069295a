"""Loading each kind of monitoring file into its model, and the resource table."""

from __future__ import annotations

import re

from infra_expert.lazyre import lazy_re
from infra_expert.monitoring.model import (Broken, DaemonJson, YamlConfig, load_daemon_json,
                                           load_yaml, parse_logrotate, rule_groups)
from infra_expert.yamlsafe import YamlError


def load_document(doc):
    kind = doc.kind
    if kind in ("rules", "prometheusrule", "prometheus", "alertmanager"):
        try:
            roots = load_yaml(doc.text, doc.path)
        except YamlError as exc:
            # a PrometheusRule manifest's YAML is the Kubernetes review's to report
            doc.model = None if kind == "prometheusrule" else Broken(exc.line, exc.message)
            return
        if kind in ("rules", "prometheusrule"):
            doc.model = rule_groups(roots, kind)
        else:
            doc.model = YamlConfig(roots[0] if roots else None)
        return
    if kind == "logging":
        if doc.text.lstrip().startswith("{") or doc.path.endswith(".json"):
            try:
                doc.model = DaemonJson(*load_daemon_json(doc.text))
            except ValueError as exc:
                doc.model = Broken(getattr(exc, "lineno", 1), f"invalid JSON: {exc}")
            return
        from infra_expert.units import parse_unit
        doc.model = parse_unit(doc.text, doc.path)
        return
    if kind == "logrotate":
        doc.model = parse_logrotate(doc.text)
        return
    doc.model = None


# An alert on memory: free or used memory, a container's working set, swap, OOM kills.
_MEMORY = lazy_re(r"memory|Mem(?:Available|Free|Total)|swap|oom", re.IGNORECASE)


def _log_caps(docs):
    """What bounds the host's logs: journald's `Storage=`/`SystemMaxUse=` (journald.conf
    and its drop-ins merged, the main file first) and Docker's default log driver."""
    from infra_expert.monitoring.model import journald as journald_files
    journald, journal = journald_files(docs)
    docker = None
    for d in docs:
        if d.kind == "logging" and isinstance(d.model, DaemonJson) and docker is None:
            data = d.model.data
            opts = data.get("log-opts") if isinstance(data.get("log-opts"), dict) else {}
            docker = {"path": d.path, "driver": str(data.get("log-driver", "json-file")),
                      "max_size": opts.get("max-size"), "max_file": opts.get("max-file")}
    out = {}
    if journald:
        out["journald"] = {"path": journald[0].path,
                           "storage": journal.get("Storage", "auto"),
                           "system_max_use": journal.get("SystemMaxUse")}
    if docker:
        out["docker"] = docker
    return out


def resource_rows(docs):
    from infra_expert.monitoring.promql import parse_duration
    rule_files, scrapes = [], []
    for doc in docs:
        model = doc.model
        if isinstance(model, Broken):
            continue
        if doc.kind in ("rules", "prometheusrule"):
            rules = model.rules()
            rule_files.append({"path": doc.path,
                               "alerts": sum(1 for r in rules if r.kind == "alert"),
                               "records": sum(1 for r in rules if r.kind == "record"),
                               "memory_alerts": sum(1 for r in rules if r.kind == "alert"
                                                    and _MEMORY.search(r.expr))})
        elif doc.kind == "prometheus":
            glob = model.root.get("global")
            default = (glob.get("scrape_interval") if isinstance(glob, dict) else None) or "1m"
            jobs = []
            for job in model.jobs():
                interval = job.get("scrape_interval") or default
                jobs.append({"job": str(job.get("job_name")), "interval": str(interval),
                             "interval_seconds": parse_duration(interval)})
            scrapes.append({"path": doc.path, "jobs": jobs})
    out = {}
    caps = _log_caps(docs)
    if caps:
        out["log_caps"] = caps
    if rule_files:
        out["rule_files"] = rule_files
    if scrapes:
        out["scrape_configs"] = scrapes
    return out
