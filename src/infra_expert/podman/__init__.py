"""The Podman domain: Quadlet units (`.container`, `.pod`, `.volume`, `.network`, `.kube`,
`.image`, `.build`), their drop-ins and templates."""

from __future__ import annotations

import os

import re

from infra_expert.domain import Domain
from infra_expert.lazyre import lazy_re
from infra_expert.model import Suppression
from infra_expert.podman.model import QUADLET_KINDS
from infra_expert.suppress import line_comment_suppressions
from infra_expert.units import drop_in_owner, load_unit

NAME = "podman"
def _rulesets():
    """The rule modules, imported when a review has files of this domain (or the
    catalogue asks): a one-file review does not pay for the others."""
    from infra_expert.podman import rules, rules_logging, rules_minio, rules_updates
    return (rules.rules, rules_updates.rules, rules_logging.rules, rules_minio.rules)


_EXTENSIONS = (".container", ".pod", ".volume", ".network", ".kube", ".image", ".build")
_SECTIONS = lazy_re(r"^\[(?:Container|Pod|Volume|Network|Kube|Image|Build)\]", re.MULTILINE)
_DROP_IN_DIR = lazy_re(r".+\.(?:container|pod|volume|network|kube|image|build)\.d")


def by_name(name):
    if name.endswith(_EXTENSIONS) and not name.startswith("."):
        return name.rsplit(".", 1)[1]
    return None


def confirm(kind, text, where):
    """systemd-networkd's `.network`, a non-unit `.image`/`.build`/`.pod` file: not ours."""
    if not _SECTIONS.search(text) or "\n[Match]" in "\n" + text:
        return None
    return kind


def owner(abs_path, gate=None):
    """The Quadlet unit a drop-in (`NAME.container.d/x.conf`) belongs to, or None."""
    return drop_in_owner(abs_path, _DROP_IN_DIR)


def load_all(docs, ctx):
    failures = []
    for doc in docs:
        try:
            ext = os.path.splitext(doc.path)[1]
            unit = load_unit(doc, ctx, ext.lstrip("."))
            unit.kind = QUADLET_KINDS.get(ext, "Container")
            doc.model = unit
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on
            failures.append((doc, type(exc).__name__))
    return failures


def link(docs, ctx):
    """Tell the run which images the Quadlet containers run; one of `Type=oneshot`, or
    started by a `.timer` of the same name, runs to completion."""
    from infra_expert.crossfile import Runner
    for doc in docs:
        unit = doc.model
        if unit is None or getattr(unit, "kind", None) != "Container":
            continue
        image = unit.get("Container", "Image") or ""
        if image:
            timer = os.path.splitext(os.path.basename(doc.abspath))[0] + ".timer"
            ctx.links.add_runner(Runner(
                "podman", os.path.basename(doc.path), image=image,
                batch=unit.get("Service", "Type") == "oneshot"
                or timer in ctx.gate.listdir(os.path.dirname(doc.abspath))))


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
                     "memory_max": unit.get("Service", "MemoryMax"),
                     "image": unit.get("Container", "Image"),
                     "mounts": [_mount(e.value) for e in unit.get_all("Container", "Volume")
                                if ":" in e.value]})
    return {"containers": rows} if rows else {}


def project(doc):
    """Units group by folder: a pod and its containers lie together."""
    return (os.path.dirname(doc.path) or ".", [doc.path], [])


def _memory(value):
    from infra_expert.quantities import size_bytes
    return size_bytes(value) if value else None


def _mount(value):
    """`Volume=SOURCE:TARGET[:OPTIONS]`: a `.volume` unit or a name is a volume, a path a
    bind mount."""
    from infra_expert.podman.model import volume_parts
    source, target, opts = volume_parts(value)
    options = set(opts.split(","))
    return {"kind": "bind" if source.startswith(("/", ".", "%")) else "volume",
            "source": source, "target": target, "read_only": "ro" in options}


def consumers(res):
    out = []
    for row in res.get("containers", []):
        limits = [b for b in (_memory(row["memory"]), _memory(row["memory_max"])) if b]
        out.append({"name": f"container `{os.path.basename(row['path'])}`",
                    "path": row["path"], "line": None, "group": "the host's units",
                    "memory_limit": min(limits) if limits else None, "memory_request": None,
                    "cpu_limit": None, "schedule": "steady", "optional": False,
                    "image": row.get("image"), "mounts": row.get("mounts") or []})
    return out


def show_resources(res, out):
    rows = res.get("containers", [])
    if not rows:
        return []
    lines = ["| Quadlet container | Memory (`Memory=`) | Memory cap (`MemoryMax=`) |",
             "|---|---|---|"]
    for row in (rows if out.full else rows[:3 * out.rows]):
        lines.append(f"| {out.cell(out.code(row['path']))} | "
                     f"{out.mib(_memory(row['memory']))} | "
                     f"{out.mib(_memory(row['memory_max']))} |")
    lines.append("")
    if not out.full and len(rows) > 3 * out.rows:
        lines.extend([f"+{len(rows) - 3 * out.rows} units; `--full` lists every one.", ""])
    capped = sum(1 for r in rows if r["memory"] or r["memory_max"])
    if capped < len(rows):
        lines.extend([f"{len(rows) - capped} of {len(rows)} container(s) have no memory "
                      "limit and can use any amount.", ""])
    return lines


DOMAIN = Domain(
    NAME, "PM", "Podman (Quadlet)", _rulesets, noun=("Quadlet unit", "Quadlet units"),
    by_name=by_name, confirm=confirm, owner=owner, load=load_all, link=link,
    suppressions=suppressions, project=project, group_by_folder=True,
    resources=resources, show_resources=show_resources, consumers=consumers, fence="ini",
    example_names=("app.container", "app.pod", "app.volume", "app.network",
                   "app.kube", "app.image", "app.build"))
