"""Kubernetes rules about what containers log: debug switches and human-only formats."""

from __future__ import annotations

from infra_expert.knowledge import debug_switch, is_dev_file, is_fixture_path, unstructured_logs
from infra_expert.kubernetes.model import at, cname, each_container, mappings
from infra_expert.model import RuleSet

rules = RuleSet("kubernetes")


def _env(doc, judge):
    if is_dev_file(doc.path) or is_fixture_path(doc.path):
        return
    for obj, _, c, _ in each_container(doc.model.objects):
        for e in mappings(c, "env"):
            value = e.get("value")
            if isinstance(value, (str, int, bool)):
                name = str(e.get("name", ""))
                found = judge(name, str(value).lower() if isinstance(value, bool)
                              else str(value))
                if found:
                    yield obj, c, e, name, value, found


@rules.rule(
    "K8114", "suggestion", "security", "Debug switch left on in a manifest",
    "A framework's debug mode (`DJANGO_DEBUG`, `FLASK_DEBUG`, `APP_DEBUG`, `NODE_ENV="
    "development`) shows tracebacks and settings to whoever triggers an error; a debug or "
    "trace log level is verbose — it fills node disks and log storage, and is where "
    "tokens and personal data end up in logs.",
    "Set the production value (`LOG_LEVEL=info`) and keep debug switches in a dev overlay.",
    example='apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\nspec:\n  containers:\n'
            '    - name: api\n      image: ghcr.io/example/api:2.3.1\n      env:\n'
            '        - name: LOG_LEVEL\n          value: info')
def debug_switch_on(doc, ctx):
    for obj, c, e, name, value, (severity, why) in _env(doc, debug_switch):
        h = at(e, "value", obj, f"container `{cname(c)}`: `{name}={value}` — {why}")
        h.severity = severity
        yield h


@rules.rule(
    "K8115", "suggestion", "elegance", "Human-only log format where JSON is one switch away",
    "Text logs read well in `kubectl logs` and badly everywhere else: the cluster's log "
    "collector has to guess where a message ends and cannot filter on level or request "
    "id. The application already offers JSON.",
    "Set the structured format (`LOG_FORMAT=json`).",
    example='apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\nspec:\n  containers:\n'
            '    - name: api\n      image: ghcr.io/example/api:2.3.1\n      env:\n'
            '        - name: LOG_FORMAT\n          value: json')
def unstructured_format(doc, ctx):
    for obj, c, e, name, value, _ in _env(doc, unstructured_logs):
        yield at(e, "value", obj, f"container `{cname(c)}`: `{name}={value}`")
