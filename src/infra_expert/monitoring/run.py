"""What the monitoring rules know about the whole run: the scrape interval that applies
to a rule file, every alert of every rule file, the rule files prometheus.yml names."""

from __future__ import annotations

import fnmatch
import os

from infra_expert.monitoring.model import Broken
from infra_expert.monitoring.promql import parse_duration

DEFAULT_SCRAPE_INTERVAL = 60.0


def monitoring_docs(ctx, *kinds, root=None):
    """The loaded monitoring documents of these kinds; with `root`, those of one project
    (a run over several repositories does not mix their rules and configs)."""
    return [d for d in ctx.documents
            if d.domain == "monitoring" and d.model is not None and d.kind in kinds
            and not isinstance(d.model, Broken) and (root is None or d.root == root)]


class ScrapeSettings:
    """The intervals of one prometheus.yml: global and per job (seconds)."""

    def __init__(self, doc):
        self.doc = doc
        root = doc.model.root
        glob = root.get("global") if isinstance(root.get("global"), dict) else {}
        self.interval = parse_duration(glob.get("scrape_interval", "1m")) or \
            DEFAULT_SCRAPE_INTERVAL
        self.jobs = {}
        for job in doc.model.jobs():
            iv = parse_duration(job.get("scrape_interval")) if "scrape_interval" in job \
                else None
            self.jobs[str(job.get("job_name"))] = iv or self.interval


def rule_file_patterns(doc):
    """[(pattern as written, absolute pattern, line)] of a prometheus.yml's rule_files."""
    out = []
    root = doc.model.root
    files = root.get("rule_files")
    if not isinstance(files, list):
        return out
    base = os.path.dirname(doc.abspath or doc.path)
    for value, pos in zip(files, getattr(files, "item_pos", [(1, 1)] * len(files))):
        if not isinstance(value, str):
            continue
        absolute = value if os.path.isabs(value) else os.path.normpath(os.path.join(base, value))
        out.append((value, absolute, pos[0]))
    return out


def matches_rule_file(pattern, absolute, rule_doc):
    """Does a rule_files entry name this rule file? A relative entry is resolved from the
    prometheus.yml's folder; an absolute one (a container path such as
    /etc/prometheus/rules/*.yml) is matched on its last components."""
    target = os.path.normpath(rule_doc.abspath or rule_doc.path)
    if not os.path.isabs(pattern):
        return fnmatch.fnmatch(target, absolute)
    tail = pattern.rstrip("/").split("/")
    parts = target.split(os.sep)
    for depth in (2, 1):
        if len(tail) >= depth and len(parts) >= depth and fnmatch.fnmatch(
                "/".join(parts[-depth:]), "/".join(tail[-depth:])):
            return True
    return False


def scrape_settings_for(rule_doc, ctx):
    """The ScrapeSettings of the prometheus.yml that loads this rule file, or of the only
    prometheus.yml of the run; None when the interval is not known."""
    configs = monitoring_docs(ctx, "prometheus", root=rule_doc.root)
    if not configs:
        return None
    for cfg in configs:
        for pattern, absolute, _ in rule_file_patterns(cfg):
            if matches_rule_file(pattern, absolute, rule_doc):
                return ScrapeSettings(cfg)
    if len(configs) == 1 and near(configs[0], rule_doc):
        return ScrapeSettings(configs[0])
    return None


def near(config_doc, doc):
    """Is `doc` part of the monitoring setup of `config_doc` (a prometheus.yml or an
    Alertmanager config)? Its folder or the folder above it holds `doc` — a stack's
    `config/prometheus.yml` and its `rules/`, not another stack of the same tree."""
    if config_doc.root != doc.root:
        return False
    base = os.path.dirname(os.path.dirname(os.path.abspath(config_doc.abspath or config_doc.path)))
    return os.path.abspath(doc.abspath or doc.path).startswith(base.rstrip(os.sep) + os.sep)


def rule_docs_near(ctx, config_doc):
    return [d for d in monitoring_docs(ctx, "rules", "prometheusrule", root=config_doc.root)
            if near(config_doc, d)]


def all_alerts(ctx, around=None):
    """Every alert of the run, or of the rule files near the config `around`."""
    docs = monitoring_docs(ctx, "rules", "prometheusrule") if around is None \
        else rule_docs_near(ctx, around)
    return [r for d in docs for r in d.model.alerts()]
