"""The Podman domain: Quadlet units (`.container`, `.pod`, `.volume`, `.network`, `.kube`,
`.image`, `.build`), their drop-ins and templates."""

from __future__ import annotations

import os

from infra_expert.fsgate import Refused
from infra_expert.model import Notice, Suppression
from infra_expert.podman import rules
from infra_expert.podman import rules_updates
from infra_expert.podman.model import QUADLET_KINDS
from infra_expert.suppress import line_comment_suppressions
from infra_expert.units import drop_in_paths, parse_unit

NAME = "podman"
RULESETS = (rules.rules, rules_updates.rules)


def load_all(docs, ctx):
    failures = []
    for doc in docs:
        try:
            ext = os.path.splitext(doc.path)[1]
            unit = parse_unit(doc.text, doc.path)
            unit.files = [doc.path]      # the unit and the drop-ins applied to it
            for conf in drop_in_paths(doc.path, ext.lstrip("."), ctx.gate.listdir):
                try:
                    text = ctx.gate.read_text(conf)
                except Refused as exc:
                    ctx.cache.setdefault("notices", []).append(
                        Notice(conf, f"drop-in not applied: {exc.describe()}"))
                    continue
                parse_unit(text, conf, unit)
                unit.files.append(conf)
            unit.kind = QUADLET_KINDS.get(ext, "Container")
            doc.model = unit
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on
            failures.append((doc, type(exc).__name__))
    return failures


def reviewable(doc):
    return doc.model is not None


def column(doc, line):
    return 1


def suppressions(doc, peer_index):
    """`# infra-expert: ignore=PM001 reason` (or `;`) on the line before an entry, or
    `ignore-file=` anywhere. Unit files have no trailing comments."""
    return line_comment_suppressions(doc.path, doc.text, peer_index, Suppression,
                                     markers="#;", trailing=False)


def resources(docs):
    rows = []
    for doc in docs:
        unit = doc.model
        if unit.kind != "Container":
            continue
        rows.append({"path": doc.path, "memory": unit.get("Container", "Memory"),
                     "memory_max": unit.get("Service", "MemoryMax")})
    return {"containers": rows} if rows else {}
