"""What the systemd rules share: a service's type, whether it is a job, the timers and
sockets of the run that start it, and systemd's time spans."""

from __future__ import annotations

import os
import re

from infra_expert.lazyre import lazy_re

TRUE = ("1", "yes", "y", "true", "t", "on")


def truthy(value):
    return (value or "").strip().lower() in TRUE


def units(ctx, kind=None):
    """The loaded systemd units of the run."""
    for d in ctx.documents:
        if d.domain == "systemd" and d.model is not None and (kind is None
                                                              or d.model.kind == kind):
            yield d


def stem(name):
    return name.rsplit(".", 1)[0]


def timer_target(timer_doc):
    """The unit a timer starts: `Unit=`, or the service of the same name."""
    unit = timer_doc.model
    return unit.get("Timer", "Unit") or stem(unit.name) + ".service"


def activators(doc, ctx):
    """Timers, sockets and paths of the run that start this service."""
    name = doc.model.name
    found = []
    for d in units(ctx):
        kind = d.model.kind
        if kind == "timer" and timer_target(d) == name:
            found.append(d)
        elif kind in ("socket", "path") and (
                (d.model.get("Socket" if kind == "socket" else "Path", "Service")
                 or d.model.get("Path", "Unit") or stem(d.model.name) + ".service") == name
                or (kind == "socket" and "@" in name and stem(d.model.name) + "@.service"
                    == name)):
            found.append(d)
    return found


def timer_started(doc, ctx):
    return any(d.model.kind == "timer" for d in activators(doc, ctx))


def service_type(unit):
    """Type=, or systemd's default for it."""
    t = unit.get("Service", "Type")
    if t:
        return t.strip().lower()
    if unit.get("Service", "BusName"):
        return "dbus"
    if not unit.get_all("Service", "ExecStart"):
        return "oneshot"
    return "simple"


def long_running(doc, ctx):
    """A daemon: a service that is not a one-shot and that no timer starts."""
    unit = doc.model
    return (unit.kind == "service" and service_type(unit) != "oneshot"
            and unit.get_all("Service", "ExecStart") and not timer_started(doc, ctx))


def section_line(unit, name, default=1):
    sec = unit.first_section(name)
    return sec.line if sec else default


def names(unit, section, key):
    """The unit names of a list key (`After=a.service b.target`), each with its entry."""
    out = []
    for e in unit.get_all(section, key):
        out.extend((n, e) for n in e.value.split())
    return out


_SPAN = lazy_re(r"(\d+(?:\.\d+)?)\s*([a-zµ]*)", re.IGNORECASE)
_SPAN_UNITS = {
    "": 1, "s": 1, "sec": 1, "second": 1, "seconds": 1,
    "us": 1e-6, "usec": 1e-6, "µs": 1e-6, "ms": 1e-3, "msec": 1e-3,
    "m": 60, "min": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "week": 604800, "weeks": 604800,
    "month": 2629800, "months": 2629800, "M": 2629800,
    "y": 31557600, "year": 31557600, "years": 31557600,
}


def timespan(value):
    """systemd.time(7) time span (`5min 20s`, `1h`, `90`) in seconds; `infinity` is inf;
    None when unreadable."""
    text = (value or "").strip()
    if not text:
        return None
    if text.lower() == "infinity":
        return float("inf")
    total, pos = 0.0, 0
    for m in _SPAN.finditer(text):
        if text[pos:m.start()].strip():
            return None
        unit = m.group(2)
        factor = _SPAN_UNITS.get(unit, _SPAN_UNITS.get(unit.lower()))
        if factor is None:
            return None
        total += float(m.group(1)) * factor
        pos = m.end()
    if text[pos:].strip() or pos == 0:
        return None
    return total


def folder_names(doc, ctx):
    """The file names in a unit's folder (through the gate), or None if not listable."""
    try:
        return set(ctx.gate.listdir(os.path.dirname(doc.abspath)))
    except Exception:  # noqa: BLE001 - a refused or missing folder says nothing
        return None


def _static_links(ctx):
    """{folder: {unit names linked from its `*.wants/` and `*.requires/` folders}}."""
    return {}


def statically_enabled(doc, ctx):
    """True when a `*.wants/` or `*.requires/` folder beside the unit links it: packaged
    units are enabled that way (`timers.target.wants/foo.timer`), with no [Install]."""
    if doc.abspath is None:
        return False      # a unit read live (`live.host`): no folder of it was reviewed
    folder = os.path.dirname(doc.abspath)
    known = ctx.index(_static_links)
    if folder not in known:
        linked = set()
        for entry in ctx.gate.listdir(folder):
            if entry.endswith((".wants", ".requires")):
                linked.update(ctx.gate.listdir(os.path.join(folder, entry)))
        known[folder] = linked
    return os.path.basename(doc.abspath) in known[folder]
