"""systemd calendar events: normalised form and next elapses as `systemd-analyze calendar`
prints them (recorded from systemd 252 below, and compared live where it is installed)."""

from __future__ import annotations

import random
import shutil
import subprocess
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from infra_expert.oncalendar import (CalendarError, format_elapse, from_cron, parse_calendar,
                                     typical_interval)

BASE = datetime(2026, 3, 28, 12, 0, 0, tzinfo=timezone.utc)

# (expression, normalised form, the first two elapses after BASE, in UTC) — from
# `systemd-analyze calendar --base-time='2026-03-28 12:00:00 UTC' --iterations=2` (v252).
RECORDED = [
    ('Mon-Wed,Fri 12:00', 'Mon..Wed,Fri *-*-* 12:00:00', ('Mon 2026-03-30 12:00:00 UTC', 'Tue 2026-03-31 12:00:00 UTC')),
    ('*-02~03', '*-02~03 00:00:00', ('Fri 2027-02-26 00:00:00 UTC', 'Sun 2028-02-27 00:00:00 UTC')),
    ('Mon *-05~07/1', 'Mon *-05~07/1 00:00:00', ('Mon 2026-05-25 00:00:00 UTC', 'Mon 2027-05-31 00:00:00 UTC')),
    ('12:00:01.1234567', '*-*-* 12:00:01.123457', ('Sat 2026-03-28 12:00:01 UTC', 'Sun 2026-03-29 12:00:01 UTC')),
    ('minutely UTC', '*-*-* *:*:00 UTC', ('Sat 2026-03-28 12:01:00 UTC', 'Sat 2026-03-28 12:02:00 UTC')),
    ('weekly Europe/Berlin', 'Mon *-*-* 00:00:00 Europe/Berlin', ('Sun 2026-03-29 22:00:00 UTC', 'Sun 2026-04-05 22:00:00 UTC')),
    ('mon,', 'Mon *-*-* 00:00:00', ('Mon 2026-03-30 00:00:00 UTC', 'Mon 2026-04-06 00:00:00 UTC')),
    ('*-*-* 0..59/60:00', '*-*-* 00:00:00', ('Sun 2026-03-29 00:00:00 UTC', 'Mon 2026-03-30 00:00:00 UTC')),
    ('*-*~01..07', '*-*~01..07 00:00:00', ('Sun 2026-03-29 00:00:00 UTC', 'Mon 2026-03-30 00:00:00 UTC')),
    ('*:*:1.5/0.5', '*-*-* *:*:01.500000/0.500000', ('Sat 2026-03-28 12:00:01 UTC', 'Sat 2026-03-28 12:00:02 UTC')),
    ('Mon,Tue,Wed,Fri,Sat', 'Mon..Wed,Fri,Sat *-*-* 00:00:00', ('Mon 2026-03-30 00:00:00 UTC', 'Tue 2026-03-31 00:00:00 UTC')),
    ('Monday..Friday', 'Mon..Fri *-*-* 00:00:00', ('Mon 2026-03-30 00:00:00 UTC', 'Tue 2026-03-31 00:00:00 UTC')),
    ('*-*-* 2,1,2,1:00', '*-*-* 01,02:00:00', ('Sun 2026-03-29 01:00:00 UTC', 'Sun 2026-03-29 02:00:00 UTC')),
    ('69-01-01', '2069-01-01 00:00:00', ('Tue 2069-01-01 00:00:00 UTC',)),
    ('*-1..12/3-1', '*-01..10/3-01 00:00:00', ('Wed 2026-04-01 00:00:00 UTC', 'Wed 2026-07-01 00:00:00 UTC')),
    ('*-*-* 00:00:00 utc', '*-*-* 00:00:00 UTC', ('Sun 2026-03-29 00:00:00 UTC', 'Mon 2026-03-30 00:00:00 UTC')),
    ('quarterly', '*-01,04,07,10-01 00:00:00', ('Wed 2026-04-01 00:00:00 UTC', 'Wed 2026-07-01 00:00:00 UTC')),
    ('semi-annually', '*-01,07-01 00:00:00', ('Wed 2026-07-01 00:00:00 UTC', 'Fri 2027-01-01 00:00:00 UTC')),
    ('2024-02-29 12:00', '2024-02-29 12:00:00', ()),
    ('*-02-30', '*-02-30 00:00:00', ()),
    ('*:0', '*-*-* *:00:00', ('Sat 2026-03-28 13:00:00 UTC', 'Sat 2026-03-28 14:00:00 UTC')),
    ('1-1 1:1', '*-01-01 01:01:00', ('Fri 2027-01-01 01:01:00 UTC', 'Sat 2028-01-01 01:01:00 UTC')),
    ('Mon..Fri *-*-* 02:00/15:00', 'Mon..Fri *-*-* 02:00/15:00', ('Mon 2026-03-30 02:00:00 UTC', 'Mon 2026-03-30 02:15:00 UTC')),
    # the night Berlin springs forward: 02:30 does not exist on 2026-03-29, systemd skips it
    ('*-*-* 02:30 Europe/Berlin', '*-*-* 02:30:00 Europe/Berlin', ('Mon 2026-03-30 00:30:00 UTC', 'Tue 2026-03-31 00:30:00 UTC')),
    ('*-*-* 01:30:00 America/New_York', '*-*-* 01:30:00 America/New_York', ('Sun 2026-03-29 05:30:00 UTC', 'Mon 2026-03-30 05:30:00 UTC')),
    ('*-7~17,24', '*-07~17,24 00:00:00', ('Wed 2026-07-08 00:00:00 UTC', 'Wed 2026-07-15 00:00:00 UTC')),
    ('*-*-* 08..17:00/30', '*-*-* 08..17:00/30:00', ('Sat 2026-03-28 12:30:00 UTC', 'Sat 2026-03-28 13:00:00 UTC')),
    ('@1700000000', '2023-11-14 22:13:20 UTC', ()),
    ('daily', '*-*-* 00:00:00', ('Sun 2026-03-29 00:00:00 UTC', 'Mon 2026-03-30 00:00:00 UTC')),
    ('hourly', '*-*-* *:00:00', ('Sat 2026-03-28 13:00:00 UTC', 'Sat 2026-03-28 14:00:00 UTC')),
    ('monthly', '*-*-01 00:00:00', ('Wed 2026-04-01 00:00:00 UTC', 'Fri 2026-05-01 00:00:00 UTC')),
]

# rejected by systemd 252 as well
INVALID = ['*:30/45', '*-*-* 10..5:00', 'Sat..Mon', '*-*-* 00:00:05.', 'Mon..', 'Mon-Fri-Sat',
           '2200-01-01', '1969-01-01', '*-*-* 00:00:00 Nowhere/Zone', 'Mon *-*-* 12',
           '12:0:0:0', '', '*-~01', '2024~01-01', '*-7~1,28', '*-05~07/7', '*-*-* 24:00',
           '*-*-* 00:00:60', '*-13-01', 'Mo', '*-*-* 00:00:00/0', ' daily']


def _elapses(cal, base, n):
    out = []
    for _ in range(n):
        base = cal.next_after(base)
        if base is None:
            break
        out.append(format_elapse(base.astimezone(timezone.utc)))
    return tuple(out)


@pytest.mark.parametrize("expr,normalized,nexts", RECORDED)
def test_recorded(expr, normalized, nexts):
    cal = parse_calendar(expr)
    assert cal.normalized == normalized
    assert _elapses(cal, BASE, 2) == nexts


@pytest.mark.parametrize("expr", INVALID)
def test_invalid(expr):
    with pytest.raises(CalendarError) as e:
        parse_calendar(expr)
    assert str(e.value)


def test_next_after_keeps_zone():
    cal = parse_calendar("daily")
    paris = ZoneInfo("Europe/Paris")
    nxt = cal.next_after(datetime(2026, 7, 1, 12, 0, tzinfo=paris))
    assert nxt.tzinfo is paris and (nxt.hour, nxt.day) == (0, 2)
    assert format_elapse(nxt) == "Thu 2026-07-02 00:00:00 CEST"
    tz_cal = parse_calendar("daily Asia/Kolkata")
    got = tz_cal.next_after(datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc))
    assert format_elapse(got) == "Thu 2026-07-02 00:00:00 IST"


def test_typical_interval():
    assert typical_interval(parse_calendar("Mon..Fri 02:00"), BASE) == 86400
    assert typical_interval(parse_calendar("*:0/15"), BASE) == 900
    assert typical_interval(parse_calendar("weekly"), BASE) == 7 * 86400
    assert typical_interval(parse_calendar("2024-01-01"), BASE) is None


@pytest.mark.parametrize("cron,expected", [
    ("*/15 2 * * 1-5", "Mon..Fri *-*-* 02:00/15:00"),
    ("0 3 * * *", "*-*-* 03:00:00"),
    ("*/5 * * * *", "*-*-* *:00/5:00"),
    ("0 4 * * 0", "Sun *-*-* 04:00:00"),
    ("0 4 * * 7", "Sun *-*-* 04:00:00"),
    ("0 9-17 * * mon-fri", "Mon..Fri *-*-* 09..17:00:00"),
    ("0 0 * jan,jul *", "*-01,07-* 00:00:00"),
    ("5-30/5 * * * *", "*-*-* *:05..30/5:00"),
    ("0 0 * * 5-0", "Fri..Sun *-*-* 00:00:00"),
    ("0 */6 * * *", "*-*-* 00/6:00:00"),
    ("0 0 */2 * 1", "Mon *-*-01/2 00:00:00"),     # dom starts with '*': cron ANDs
    ("0 0 1,15 * 1", None),                       # both restricted: cron ORs them
    ("61 * * * *", None),
    ("0 0 * * 8", None),
])
def test_from_cron(cron, expected):
    assert from_cron(*cron.split()) == expected
    if expected:
        assert parse_calendar(expected).normalized == expected


def _systemd_with_base_time():
    exe = shutil.which("systemd-analyze")
    if not exe:
        return None
    p = subprocess.run([exe, "calendar", "--base-time=2026-01-01 00:00:00 UTC", "daily"],
                       capture_output=True, text=True)
    return exe if p.returncode == 0 else None


def _random_expressions(n, seed):
    rnd = random.Random(seed)

    def comp(lo, hi):
        a = f"{rnd.randint(lo, hi):02d}"
        r = rnd.random()
        if r < 0.2:
            return "*"
        if r < 0.45:
            return a
        if r < 0.6:
            return f"{a}..{rnd.randint(lo, hi)}"
        if r < 0.75:
            return f"{a}/{rnd.randint(1, hi - lo + 3)}"
        if r < 0.85:
            return f"{a}..{rnd.randint(lo, hi)}/{rnd.randint(1, 7)}"
        return f"{a},{rnd.randint(lo, hi)}"

    days = ["Mon", "Tue", "Wed", "Fri", "Sat", "Sun", "thursday"]
    for _ in range(n):
        parts = []
        if rnd.random() < 0.4:
            parts.append(rnd.choice(days) + rnd.choice(["", "..", ",", "-"]) * 1
                         + rnd.choice(days))
        if rnd.random() < 0.5:
            sep = "~" if rnd.random() < 0.2 else "-"
            parts.append(f"{rnd.choice(['*', comp(2024, 2030)])}-{comp(1, 12)}{sep}{comp(1, 31)}")
        parts.append(f"{comp(0, 23)}:{comp(0, 59)}" + (f":{comp(0, 59)}" if rnd.random() < 0.4
                                                      else ""))
        s = " ".join(parts)
        z = rnd.random()
        if z < 0.1:
            s += " UTC"
        elif z < 0.2:
            s += " " + rnd.choice(["Europe/Berlin", "America/New_York", "Australia/Sydney"])
        yield s


def _systemd(exe, expr, base):
    p = subprocess.run([exe, "calendar", f"--base-time={base} UTC", "--iterations=3", expr],
                       capture_output=True, text=True, env={"TZ": "UTC", "PATH": "/usr/bin:/bin",
                                                            "LANG": "C"})
    if p.returncode:
        return None
    norm, nexts = None, []
    for line in p.stdout.splitlines():
        line = line.strip()
        if line.startswith("Normalized form:"):
            norm = line.split(":", 1)[1].strip()
        elif line.startswith(("Next elapse:", "Iter. #")):
            v = line.split(":", 1)[1].strip()
            if v != "never":
                nexts.append(v)
    return norm, tuple(nexts)


def test_against_systemd_analyze():
    exe = _systemd_with_base_time()
    if not exe:
        pytest.skip("systemd-analyze with --base-time is not available")
    exprs = [r[0] for r in RECORDED if r[0].strip()] + INVALID[:-2] + \
        list(_random_expressions(150, 9))
    bases = ["2026-03-29 00:00:00", "2025-10-26 00:10:00", "2024-02-28 23:59:59"]
    wrong = []
    for i, expr in enumerate(exprs):
        base = bases[i % len(bases)]
        want = _systemd(exe, expr, base)
        try:
            cal = parse_calendar(expr)
        except CalendarError:
            cal = None
        if want is None or cal is None:
            if (want is None) != (cal is None):
                wrong.append((expr, want, cal))
            continue
        b = datetime.strptime(base, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
        got = (cal.normalized, _elapses(cal, b, 3))
        if got != want:
            wrong.append((expr, want, got))
    assert not wrong
