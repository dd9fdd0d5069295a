"""The systemd domain: units (`.service`, `.timer`, `.socket`, `.path`, `.mount`,
`.target`), their drop-ins (`NAME.d/*.conf`, the type-wide `service.d/`, a template's
`foo@.service.d/`) merged in systemd's order, templates reviewed as written."""

from __future__ import annotations

import os
import re

from infra_expert.domain import Domain
from infra_expert.lazyre import lazy_re
from infra_expert.model import Suppression
from infra_expert.suppress import line_comment_suppressions
from infra_expert.units import drop_in_owner, load_unit

NAME = "systemd"
def _rulesets():
    """The rule modules, imported when a review has files of this domain (or the
    catalogue asks): a one-file review does not pay for the others."""
    from infra_expert.systemd import rules, rules_storage, timers
    return (rules.rules, timers.rules, rules_storage.rules)

EXTENSIONS = (".service", ".timer", ".socket", ".path", ".mount", ".target")
_SECTIONS = lazy_re(r"^[ \t]*\[(?:Unit|Service|Timer|Socket|Mount|Path|Install)\][ \t]*$",
                    re.MULTILINE)
_DROP_IN_DIR = lazy_re(r".+\.(?:service|timer|socket|path|mount|target)\.d")


def by_name(name):
    if name.endswith(EXTENSIONS) and not name.startswith("."):
        return name.rsplit(".", 1)[1]
    return None


def confirm(kind, text, where):
    """A file named like a unit whose content has no systemd section is something else."""
    return kind if _SECTIONS.search(text) else None


def owner(abs_path, gate=None):
    """The unit a drop-in (`NAME.service.d/x.conf`) belongs to, or None (a type-wide
    `service.d/` belongs to every unit of its type)."""
    return drop_in_owner(abs_path, _DROP_IN_DIR)


def load_all(docs, ctx):
    failures = []
    for doc in docs:
        try:
            kind = os.path.splitext(doc.path)[1].lstrip(".")
            unit = load_unit(doc, ctx, kind)
            unit.kind = kind
            unit.name = os.path.basename(doc.path)
            doc.model = unit
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on
            failures.append((doc, type(exc).__name__))
    return failures


def suppressions(doc, peer_index):
    """`# infra-expert: ignore=SD001 reason` (or `;`) on the line before an entry, or
    `ignore-file=` anywhere; in the unit and in each of its drop-ins."""
    sups, unknown = line_comment_suppressions(doc.path, doc.text, peer_index, Suppression,
                                              markers="#;", trailing=False)
    for path, text in getattr(doc.model, "texts", {}).items():
        more, bad = line_comment_suppressions(path, text, peer_index, Suppression,
                                              markers="#;", trailing=False)
        sups.extend(more)
        unknown.extend(bad)
    return sups, unknown


def project(doc):
    """Units group by folder: a timer and its service lie together."""
    return (os.path.dirname(doc.path) or ".", [doc.path], [])


def files_field(doc):
    """JSON `files[].exposure`: `systemd-analyze security`'s score, for a service."""
    unit = doc.model
    if unit is None or unit.kind != "service":
        return {}
    from infra_expert.systemd.exposure import exposure
    return {"exposure": round(exposure(unit).score, 1)}


def resources(docs):
    from infra_expert.knowledge import heavy_command
    from infra_expert.systemd.exposure import exposure
    from infra_expert.systemd.model import timer_target
    calendars = {}    # service name -> the OnCalendar= values of the timers that start it
    for doc in docs:
        if doc.model.kind == "timer":
            calendars.setdefault(timer_target(doc), []).extend(
                e.value for e in doc.model.get_all("Timer", "OnCalendar"))
    rows = []
    for doc in docs:
        unit = doc.model
        if unit.kind != "service":
            continue
        heavy = next(filter(None, (heavy_command(e.value.lstrip("-@:+!"))
                                   for e in unit.get_all("Service", "ExecStart"))), None)
        exp = exposure(unit)
        user = unit.get("Service", "User") or (
            "dynamic" if (unit.get("Service", "DynamicUser") or "").lower() in (
                "yes", "true", "1", "on") else None)
        rows.append({"path": doc.path, "exposure": round(exp.score, 1), "level": exp.word,
                     "memory_max": unit.get("Service", "MemoryMax"),
                     "memory_high": unit.get("Service", "MemoryHigh"),
                     "cpu_quota": unit.get("Service", "CPUQuota"),
                     "restart": unit.get("Service", "Restart"), "user": user,
                     "type": (unit.get("Service", "Type") or "simple").lower(),
                     "oom_score_adjust": unit.get("Service", "OOMScoreAdjust"),
                     "calendar": calendars.get(unit.name, []), "heavy": heavy})
    return {"services": rows} if rows else {}


def consumers(res):
    from infra_expert.quantities import size_bytes

    def limit(value):
        if not value or value.strip().lower() == "infinity" or value.strip().endswith("%"):
            return None       # a percentage of the host's memory: not a size here
        return size_bytes(value.strip())

    out = []
    for row in res.get("services", []):
        caps = [b for b in (limit(row["memory_max"]), limit(row["memory_high"])) if b]
        out.append({"name": f"unit `{row['path'].rsplit('/', 1)[-1]}`", "path": row["path"],
                    "line": None, "group": "the host's units",
                    "memory_limit": min(caps) if caps else None,
                    "memory_request": None, "cpu_limit": None,
                    "schedule": "batch" if row.get("type") == "oneshot"
                    or row.get("calendar") else "steady",
                    "optional": False, "image": None,
                    "calendar": row.get("calendar") or [], "heavy": row.get("heavy"),
                    "oom_protected": str(row.get("oom_score_adjust") or "0").strip()
                    .startswith("-")})
    return out


def show_resources(res, out):
    rows = res.get("services", [])
    if not rows:
        return []
    lines = ["| systemd service | Exposure | `MemoryMax=` | `CPUQuota=` | `Restart=` | `User=` |",
             "|---|---|---|---|---|---|"]

    def val(v):
        return out.cell(out.code(v)) if v else "—"

    for row in (rows if out.full else rows[:3 * out.rows]):
        lines.append(f"| {out.cell(out.code(row['path']))} | {row['exposure']:.1f} "
                     f"{row['level']} | {val(row['memory_max'] or row['memory_high'])} | "
                     f"{val(row['cpu_quota'])} | {val(row['restart'])} | "
                     f"{val(row['user']) if row['user'] else 'root'} |")
    lines.append("")
    if not out.full and len(rows) > 3 * out.rows:
        lines.extend([f"+{len(rows) - 3 * out.rows} services; `--full` lists every one.", ""])
    lines.extend(["Exposure is `systemd-analyze security`'s score (0.0 best – 10.0 worst), "
                  "computed by infra-expert.", ""])
    return lines


DOMAIN = Domain(
    NAME, "SD", "systemd units", _rulesets, noun=("systemd unit", "systemd units"),
    by_name=by_name, confirm=confirm, owner=owner, load=load_all,
    suppressions=suppressions, project=project, group_by_folder=True,
    resources=resources, show_resources=show_resources, consumers=consumers,
    files_field=files_field,
    fence="ini", example_names=("app.service", "app.timer"))
