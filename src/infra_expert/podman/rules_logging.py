"""Quadlet rules about what containers log: debug switches and human-only formats."""

from __future__ import annotations

from infra_expert.knowledge import debug_switch, is_dev_file, is_fixture_path, unstructured_logs
from infra_expert.model import Hit, RuleSet
from infra_expert.podman.model import effective

rules = RuleSet("podman")


def _env(doc, judge):
    unit = doc.model
    if unit.kind != "Container" or is_dev_file(doc.path) or is_fixture_path(doc.path):
        return
    for item in effective(unit).get("env", []):
        name, eq, value = item.value.partition("=")
        found = judge(name, value) if eq else None
        if found:
            yield item.entry, name, value, found


@rules.rule(
    "PM031", "suggestion", "security", "Debug switch left on in a unit",
    "A framework's debug mode (`DJANGO_DEBUG`, `FLASK_DEBUG`, `APP_DEBUG`, `NODE_ENV="
    "development`) shows tracebacks and settings to whoever triggers an error; a debug or "
    "trace log level is verbose — it fills the journal, wears SD cards, and is where "
    "tokens and personal data end up in logs.",
    "Set the production value (`Environment=LOG_LEVEL=info`); keep debug switches in a "
    "drop-in you add while debugging.",
    example='[Container]\nImage=ghcr.io/example/api:2.3.1\nEnvironment=LOG_LEVEL=info\n\n'
            '[Service]\nRestart=always')
def debug_switch_on(doc, ctx):
    for entry, name, value, (severity, why) in _env(doc, debug_switch):
        yield Hit(entry.line, f"`{name}={value}` — {why}", path=entry.path, severity=severity)


@rules.rule(
    "PM032", "suggestion", "elegance", "Human-only log format where JSON is one switch away",
    "journald stores JSON lines as they are, and `journalctl -o json` or a collector can "
    "then filter on level and request id; text logs leave them guessing. The application "
    "already offers JSON.",
    "Set the structured format (`Environment=LOG_FORMAT=json`).",
    example='[Container]\nImage=ghcr.io/example/api:2.3.1\nEnvironment=LOG_FORMAT=json\n\n'
            '[Service]\nRestart=always')
def unstructured_format(doc, ctx):
    for entry, name, value, _ in _env(doc, unstructured_logs):
        yield Hit(entry.line, f"`{name}={value}`", path=entry.path)
