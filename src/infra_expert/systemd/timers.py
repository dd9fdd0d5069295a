"""systemd timer rules (systemd.timer(5), systemd.time(7)): triggers, calendar events,
catch-up after downtime, boards without a real-time clock, and the timer's service."""

from __future__ import annotations


from infra_expert.model import Hit, Pass, RuleSet
from infra_expert.systemd.model import (folder_names, names, section_line,
                                        statically_enabled, timer_target, timespan, truthy,
                                        units)

rules = RuleSet("systemd")

_MONOTONIC = ("OnActiveSec", "OnBootSec", "OnStartupSec", "OnUnitActiveSec",
              "OnUnitInactiveSec")
_TRIGGERS = _MONOTONIC + ("OnCalendar", "OnClockChange", "OnTimezoneChange")
_DAY = 86400


def _timers(doc):
    unit = doc.model
    if unit.kind == "timer":
        yield unit


def _at(entry, message, severity=None):
    return Hit(entry.line, message, path=entry.path, severity=severity)


def _timer_line(unit):
    return section_line(unit, "Timer", section_line(unit, "Unit"))


def _calendars(unit):
    """[(entry, Calendar or None, error or None)] for every `OnCalendar=`."""
    from infra_expert.oncalendar import CalendarError, parse_calendar
    out = []
    for e in unit.get_all("Timer", "OnCalendar"):
        try:
            out.append((e, parse_calendar(e.value), None))
        except CalendarError as exc:
            out.append((e, None, str(exc)))
        except Exception:  # noqa: BLE001 - the parser must not end the review
            out.append((e, None, "not understood"))
    return out


def _now():
    from datetime import datetime, timezone
    return datetime.now(timezone.utc)


def _describe(cal):
    from infra_expert.oncalendar import format_elapse
    try:
        nxt = cal.next_after(_now())
    except Exception:  # noqa: BLE001
        nxt = None
    return f"`{cal.normalized}`, next {format_elapse(nxt)}" if nxt else f"`{cal.normalized}`"


def _interval(cal):
    from infra_expert.oncalendar import typical_interval
    try:
        return typical_interval(cal, _now())
    except Exception:  # noqa: BLE001
        return None


@rules.rule(
    "SD019", "critical", "reliability", "Timer without a trigger",
    "A timer with no `OnCalendar=` and no `On…Sec=` is refused by systemd (\"Timer unit "
    "lacks value setting. Refusing.\"): the job never runs.",
    "Add `OnCalendar=` (wall clock, e.g. `daily`) or `OnBootSec=`/`OnUnitActiveSec=` "
    "(intervals) to [Timer].",
    peers=("systemd-analyze:verify",),
    example="[Timer]\nOnCalendar=daily\nPersistent=true")
def no_trigger(doc, ctx):
    for unit in _timers(doc):
        if not any(unit.get_all("Timer", key) for key in _TRIGGERS):
            yield Hit(_timer_line(unit), "no `OnCalendar=` or `On…Sec=`: systemd refuses the "
                                         "timer")


@rules.rule(
    "SD020", "critical", "reliability", "Invalid `OnCalendar=`",
    "systemd ignores an `OnCalendar=` it cannot parse (\"Failed to parse calendar "
    "specification, ignoring\"); if it was the only trigger the timer is refused and the "
    "job never runs.",
    "Fix the expression; `systemd-analyze calendar 'EXPR'` shows how systemd reads it.",
    positive="Schedule {schedule}",
    peers=("systemd-analyze:calendar",),
    example="[Timer]\nOnCalendar=*-*-* 02:30:00\nPersistent=true")
def invalid_calendar(doc, ctx):
    for unit in _timers(doc):
        for e, cal, error in _calendars(unit):
            if cal is None:
                yield _at(e, f"`OnCalendar={e.value}` is not a calendar event systemd "
                             f"accepts: {error}")
            else:
                yield Pass(e.line, schedule=_describe(cal))


@rules.rule(
    "SD021", "warning", "reliability", "Daily or rarer timer without `Persistent=true`",
    "Without `Persistent=true` a run that falls while the machine is off or rebooting is "
    "skipped, not caught up: a board that loses power at night misses its nightly backup, "
    "and a weekly job can go missing for weeks.",
    "Add `Persistent=true` to [Timer].",
    positive="Missed runs caught up (`Persistent=true`)",
    example="[Timer]\nOnCalendar=daily\nPersistent=true")
def persistent(doc, ctx):
    for unit in _timers(doc):
        valid = [(e, cal) for e, cal, _ in _calendars(unit) if cal is not None]
        if not valid:
            continue
        entry = unit.entry("Timer", "Persistent")
        if entry is not None and truthy(entry.value):
            yield Pass(entry.line)
            continue
        rare = [(e, cal) for e, cal in valid
                if (_interval(cal) or float("inf")) >= _DAY - 3600]
        if rare:
            e, cal = rare[0]
            yield _at(e, f"runs {_describe(cal)} without `Persistent=true`: a run missed "
                         "while the machine was off is not caught up")


@rules.rule(
    "SD022", "warning", "reliability", "Monotonic timer that may never fire",
    "`OnUnitActiveSec=`/`OnUnitInactiveSec=` count from the service's last run: with no "
    "`OnBootSec=`/`OnActiveSec=` to start the first one, the service never runs. Monotonic "
    "intervals also restart at every boot and have no `Persistent=`: an `OnBootSec=1d` job "
    "on a board that reboots nightly never runs.",
    "Add `OnBootSec=5min` next to `OnUnitActiveSec=`; for daily or rarer jobs use "
    "`OnCalendar=` with `Persistent=true`.",
    example="[Timer]\nOnBootSec=5min\nOnUnitActiveSec=1h")
def monotonic(doc, ctx):
    for unit in _timers(doc):
        if unit.get_all("Timer", "OnCalendar"):
            continue
        anchored = any(unit.get_all("Timer", k) for k in ("OnBootSec", "OnStartupSec",
                                                           "OnActiveSec"))
        relative = [e for k in ("OnUnitActiveSec", "OnUnitInactiveSec")
                    for e in unit.get_all("Timer", k)]
        if relative and not anchored:
            yield _at(relative[0], f"`{relative[0].key}={relative[0].value}` with no "
                                   "`OnBootSec=`: nothing starts the first run")
            continue
        # every trigger a day or more away: a board rebooting daily never gets there
        spans = [(timespan(e.value), e) for k in _MONOTONIC for e in unit.get_all("Timer", k)]
        spans = [(s, e) for s, e in spans if s is not None]
        if spans and all(_DAY <= s < float("inf") for s, _ in spans):
            e = spans[0][1]
            yield _at(e, f"`{e.key}={e.value}` restarts counting at every boot and is not "
                         "persistent: use `OnCalendar=` with `Persistent=true`",
                      severity="suggestion")


@rules.rule(
    "SD023", "suggestion", "performance", "Calendar timer without `RandomizedDelaySec=`",
    "Every host with this timer fires at the same second: a fleet of boards all pull "
    "updates or push backups to the same server at 00:00:00.",
    "Add `RandomizedDelaySec=15min` (and `FixedRandomDelay=true` for a stable offset per "
    "host).",
    positive="Start spread with `RandomizedDelaySec={value}`",
    example="[Timer]\nOnCalendar=daily\nRandomizedDelaySec=15min\nFixedRandomDelay=true")
def randomized_delay(doc, ctx):
    for unit in _timers(doc):
        if not any(cal for _, cal, _ in _calendars(unit)):
            continue
        entry = unit.entry("Timer", "RandomizedDelaySec")
        if entry is not None and timespan(entry.value):
            yield Pass(entry.line, value=entry.value)
        else:
            e = unit.get_all("Timer", "OnCalendar")[0]
            yield _at(e, "every host fires at the same moment: no `RandomizedDelaySec=`")


def _service_doc(timer_doc, ctx):
    target = timer_target(timer_doc)
    candidates = {target}
    if "@" in target:
        candidates.add(target.split("@", 1)[0] + "@." + target.rsplit(".", 1)[-1])
    for d in units(ctx):
        if d.model.name in candidates:
            return d
    return None


@rules.rule(
    "SD024", "suggestion", "reliability", "Calendar job on a clock that may be wrong",
    "A board without a real-time clock (a Raspberry Pi) boots with the clock of its last "
    "shutdown, or 1970, until NTP answers. Calendar timers are ordered after "
    "`time-sync.target`, but that target is reached at once unless "
    "`systemd-time-wait-sync.service` is enabled: the job may run at the wrong time, stamp "
    "files wrongly, or fail on TLS certificates that look not yet valid.",
    "On boards without an RTC, enable `systemd-time-wait-sync.service` (it holds "
    "`time-sync.target` until NTP has set the clock), and write `After=time-sync.target` "
    "in the service so that the dependency is visible.",
    positive="Ordered after `time-sync.target`",
    example="[Unit]\nAfter=time-sync.target\n\n[Timer]\nOnCalendar=daily\nPersistent=true")
def time_sync(doc, ctx):
    for unit in _timers(doc):
        calendars = unit.get_all("Timer", "OnCalendar")
        if not calendars:
            continue
        service = _service_doc(doc, ctx)
        orderings = [n for key in ("After", "Wants", "Requires")
                     for n, _ in names(unit, "Unit", key)]
        if service is not None:
            orderings += [n for key in ("After", "Wants", "Requires")
                          for n, _ in names(service.model, "Unit", key)]
        if "time-sync.target" in orderings or "systemd-time-wait-sync.service" in orderings:
            yield Pass(None)
        elif not any(d.model.name == "systemd-time-wait-sync.service" for d in units(ctx)):
            yield _at(calendars[0], "calendar timer with nothing that waits for NTP: on a "
                                    "board without an RTC it may fire on a wrong clock")


@rules.rule(
    "SD025", "warning", "reliability", "Timer's service not found",
    "A timer without `Unit=` starts the service of its own name; if that file is not "
    "installed the timer fails at every elapse (\"Unit … not found\"), and "
    "`systemd-analyze verify` does not catch it. (An explicit `Unit=` may name a unit a "
    "package installs elsewhere: it is trusted.)",
    "Add the service next to the timer, or name the unit to start with `Unit=`.",
    example="[Timer]\nOnCalendar=daily\nPersistent=true\nUnit=backup.service")
def service_missing(doc, ctx):
    for unit in _timers(doc):
        if unit.get("Timer", "Unit") or _service_doc(doc, ctx) is not None:
            continue
        target = timer_target(doc)
        listed = folder_names(doc, ctx)
        if listed is None or target in listed or (
                "@" in target and target.split("@", 1)[0] + "@.service" in listed):
            continue
        yield Hit(_timer_line(unit), f"`{target}` is neither in this folder nor in the "
                                     "review")


@rules.rule(
    "SD026", "warning", "reliability", "Timer-started service enabled at boot too",
    "A service a timer starts should have no `WantedBy=` of its own: once enabled, it also "
    "runs at every boot — a backup or a cleanup at each reboot, on top of its schedule.",
    "Remove `WantedBy=` from the service's [Install] (keep `Also=NAME.timer` if you like); "
    "enable the timer, not the service.",
    example="[Service]\nType=oneshot\nExecStart=/usr/local/bin/backup\n\n[Install]\n"
            "Also=app.timer")
def service_installed(doc, ctx):
    unit = doc.model
    if unit.kind != "service":
        return
    timers = [d for d in units(ctx, "timer") if timer_target(d) == unit.name]
    if not timers:
        return
    wanted = [e for key in ("WantedBy", "RequiredBy") for e in unit.get_all("Install", key)]
    if wanted:
        yield _at(wanted[0], f"started by `{timers[0].model.name}` but also "
                             f"`{wanted[0].key}={wanted[0].value}`: it runs at every boot too")


@rules.rule(
    "SD027", "warning", "reliability", "Timer without `[Install]`",
    "A timer is started at boot by `WantedBy=timers.target`; without an [Install] section "
    "`systemctl enable` has nothing to do and the schedule only runs until the next reboot.",
    "Add `[Install]` with `WantedBy=timers.target`.",
    example="[Timer]\nOnCalendar=daily\nPersistent=true\n\n[Install]\nWantedBy=timers.target")
def timer_install(doc, ctx):
    for unit in _timers(doc):
        if unit.get_all("Install", "WantedBy") or unit.get_all("Install", "RequiredBy") \
                or statically_enabled(doc, ctx):
            continue
        if any(n == unit.name for d in units(ctx) if d is not doc
               for key in ("Wants", "Requires") for n, _ in names(d.model, "Unit", key)):
            continue
        yield Hit(section_line(unit, "Install", _timer_line(unit)),
                  "no `WantedBy=timers.target`: the timer does not start at boot")
