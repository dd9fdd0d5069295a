"""Compose rules about what services log: debug switches and human-only formats."""

from __future__ import annotations

from infra_expert.compose.walkers import each_service, env_position, environment
from infra_expert.knowledge import debug_switch, is_dev_file, is_fixture_path, unstructured_logs
from infra_expert.model import Hit, RuleSet

rules = RuleSet("compose")


def _deployed(doc):
    """A file meant to deploy: not a developer's overlay, a CI fixture or an example."""
    return not is_dev_file(doc.path) and not is_fixture_path(doc.path)


def _env_hits(doc, judge):
    for svc in each_service(doc.model):
        for name, value in environment(svc).items():
            found = judge(name, value)
            if found:
                path, line, column = env_position(svc, name)
                yield svc, name, value, found, path, line, column


@rules.rule(
    "DC081", "suggestion", "security", "Debug switch left on in a deployment file",
    "A framework's debug mode (`DJANGO_DEBUG`, `FLASK_DEBUG`, `APP_DEBUG`, `NODE_ENV="
    "development`) shows tracebacks and settings to whoever triggers an error; a debug or "
    "trace log level is verbose — it fills disks, wears SD cards, and is where tokens and "
    "personal data end up in logs.",
    "Set the production value here (`LOG_LEVEL=info`, `DEBUG=false`) and keep debug "
    "switches in a developer overlay (`compose.dev.yaml`) or an `.env` you do not deploy.",
    example='services:\n  api:\n    image: ghcr.io/example/api:2.3.1\n    environment:\n'
            '      LOG_LEVEL: info\n      DJANGO_DEBUG: "false"')
def debug_switch_on(doc, ctx):
    if not _deployed(doc):
        return
    for svc, name, value, (severity, why), path, line, column in _env_hits(doc,
                                                                          debug_switch):
        yield Hit(line, f"service `{svc.label}`: `{name}={value}` — {why}", column=column,
                  path=path, severity=severity)


@rules.rule(
    "DC082", "suggestion", "elegance", "Human-only log format where JSON is one switch away",
    "Text logs read well in a terminal and badly everywhere else: a log collector (Loki, "
    "Elasticsearch, journald's fields) has to guess where a message ends and cannot filter "
    "on level or request id. The service already offers JSON.",
    "Set the structured format (`LOG_FORMAT=json`) in deployment files.",
    example='services:\n  api:\n    image: ghcr.io/example/api:2.3.1\n    environment:\n'
            '      LOG_FORMAT: json')
def unstructured_format(doc, ctx):
    if not _deployed(doc):
        return
    for svc, name, value, _, path, line, column in _env_hits(doc, unstructured_logs):
        yield Hit(line, f"service `{svc.label}`: `{name}={value}`", column=column, path=path)
