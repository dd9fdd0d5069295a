"""The Kestra domain: flows (YAML with top-level `id`, `namespace` and `tasks`) and the
kestra-io blueprints that carry one (a flow plus an `extend:` block)."""

from __future__ import annotations

import os

import re

from infra_expert.domain import Domain
from infra_expert.lazyre import lazy_re
from infra_expert.model import Suppression
from infra_expert.suppress import line_comment_suppressions

NAME = "kestra"
def _rulesets():
    """The rule modules, imported when a review has files of this domain (or the
    catalogue asks): a one-file review does not pay for the others."""
    from infra_expert.kestra import rules_ops, rules_security, rules_storage
    return (rules_ops.rules, rules_security.rules, rules_storage.rules)
_YAML_EXT = (".yml", ".yaml")


def _top(key):
    return lazy_re(rf"^{key}[ \t]*:(?:[ \t]|$)", re.MULTILINE)


_ID, _NAMESPACE, _TASKS = _top("id"), _top("namespace"), _top("tasks")
# Other YAML domains' files: a Kubernetes object or a Compose file is never a flow.
_NOT_FLOW = _top("(?:apiVersion|kind|services)")


def by_content(head, name, where=None):
    """A `.yml`/`.yaml` whose top level has `id`, `namespace` and `tasks`."""
    if not name.lower().endswith(_YAML_EXT):
        return None
    if _ID.search(head) and _NAMESPACE.search(head) and _TASKS.search(head) \
            and not _NOT_FLOW.search(head):
        return "flow"
    return None


def load(docs, ctx):
    """Attach a `model.Flow` to each document; a text that turns out not to be a flow
    (the keys were inside a block scalar) is left unreviewed."""
    from infra_expert.kestra.model import load_flow
    failures = []
    for doc in docs:
        try:
            doc.model = load_flow(doc.text, doc.path)
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on
            failures.append((doc, type(exc).__name__))
    return failures


def suppressions(doc, peer_index):
    """`# infra-expert: ignore=KS009 reason` on the line (trailing) or the line before an
    entry, `ignore-file=` anywhere."""
    return line_comment_suppressions(doc.path, doc.text, peer_index, Suppression)


def resources(docs):
    """Flows per namespace and the schedules they run on."""
    from infra_expert.oncalendar import cron_calendars
    flows, schedules = {}, []
    for doc in docs:
        flow = doc.model
        if flow is None or not flow.namespace:
            continue
        flows[flow.namespace] = flows.get(flow.namespace, 0) + 1
        heavy = _heavy(flow) if flow.schedules() else None
        for trig in flow.schedules():
            cron, zone = str(trig.get("cron", "")), str(trig.get("timezone") or "")
            schedules.append({"path": doc.path, "flow": f"{flow.namespace}.{flow.id}",
                              "trigger": str(trig.get("id", "")), "cron": cron,
                              "timezone": zone, "line": getattr(trig, "line", None),
                              "calendar": cron_calendars(cron, zone or None) or [],
                              "heavy": heavy})
    if not flows:
        return {}
    return {"namespaces": [{"namespace": ns, "flows": n} for ns, n in sorted(flows.items())],
            "schedules": schedules}


def _heavy(flow):
    """The heavy program (`pg_dump`, `rclone sync`) a script task of the flow runs."""
    from infra_expert.knowledge import heavy_command
    for task in flow.tasks:
        for key in ("commands", "script", "command"):
            value = task.node.get(key)
            for text in (value if isinstance(value, list) else [value]):
                found = heavy_command(text) if isinstance(text, str) else None
                if found:
                    return found
    return None


def consumers(res):
    """A scheduled flow runs to completion on Kestra's worker, at its schedule."""
    return [{"name": f"Kestra flow `{row['flow']}`", "path": row["path"],
             "line": row.get("line"), "group": "the host's scheduled jobs",
             "memory_limit": None, "memory_request": None, "cpu_limit": None,
             "schedule": "batch", "optional": False, "image": None,
             "calendar": row.get("calendar") or [], "heavy": row.get("heavy")}
            for row in res.get("schedules", [])]


def show_resources(res, out):
    namespaces = res.get("namespaces") or []
    if not namespaces:
        return []
    total = sum(n["flows"] for n in namespaces)
    shown = namespaces if out.full else namespaces[:out.rows]
    parts = ", ".join(f"{out.code(n['namespace'])} ({n['flows']})" for n in shown)
    more = "" if len(shown) == len(namespaces) else f", +{len(namespaces) - len(shown)} more"
    lines = [f"Kestra: {total} flow{'s' if total != 1 else ''} in {len(namespaces)} "
             f"namespace{'s' if len(namespaces) != 1 else ''}: {parts}{more}"]
    schedules = res.get("schedules") or []
    if schedules:
        lines += ["", "| Flow | Schedule | Time zone |", "|---|---|---|"]
        for row in (schedules if out.full else schedules[:out.rows]):
            lines.append(f"| {out.cell(out.code(row['flow']))} | {out.cell(out.code(row['cron']))} "
                         f"| {out.cell(row['timezone'] or 'server default')} |")
        if not out.full and len(schedules) > out.rows:
            lines.append("")
            lines.append(f"+{len(schedules) - out.rows} schedules; `--full` lists every one.")
        lines.append("")
    return lines


def project(doc):
    """Flows group by folder (a repository's `flows/`, a namespace's folder): a rule that
    fires on forty flows is one entry with forty places."""
    return (os.path.dirname(doc.path) or ".", [doc.path], [])


DOMAIN = Domain(
    NAME, "KS", "Kestra flows", _rulesets, noun=("Kestra flow", "Kestra flows"),
    load=load, suppressions=suppressions, by_content=by_content, sniff=_YAML_EXT,
    resources=resources, show_resources=show_resources, consumers=consumers, fence="yaml",
    project=project, group_by_folder=True, subject_nouns=("flow", "flows"),
    example_names=("flow.yaml",))
