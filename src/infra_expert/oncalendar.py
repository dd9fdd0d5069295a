"""systemd calendar events (systemd.time(7)): parse, normalise and compute the next elapse
exactly as `systemd-analyze calendar` does, on any OS.

    parse_calendar("Mon..Fri 2:00/15")        -> Calendar; .normalized is
                                                 "Mon..Fri *-*-* 02:00/15:00"
    cal.next_after(datetime(..., tzinfo=...)) -> the next elapse (aware), or None
    typical_interval(cal)                     -> seconds between consecutive elapses
    format_elapse(dt)                         -> "Mon 2026-11-30 02:00:00 UTC"
    from_cron("*/15", "2", "*", "*", "1-5")   -> "Mon..Fri *-*-* 02:00/15:00"

The grammar and its corner cases follow systemd's calendarspec.c (v252): weekday lists and
ranges (`..`, or `-` for compatibility), `year-month-day` or `month-day`, `~` counting days
from the end of the month, comma lists, `a..b` ranges, `/` repetition, seconds with up to
six decimals, two-digit years, the shorthands (minutely … semiannually), `@epoch`, and a
trailing `UTC` or time-zone name. Only the local-time-zone abbreviations that systemd
accepts from the machine it runs on (`tzname[]`) are not recognised: they depend on that
machine.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

USEC = 1_000_000
MIN_YEAR = 1970
MAX_YEAR = 2199
_ALL_WEEKDAYS = 0x7F
_COMPONENTS_MAX = 240

_DAYS = (("monday", 0), ("mon", 0), ("tuesday", 1), ("tue", 1), ("wednesday", 2), ("wed", 2),
         ("thursday", 3), ("thu", 3), ("friday", 4), ("fri", 4), ("saturday", 5), ("sat", 5),
         ("sunday", 6), ("sun", 6))
_DAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class CalendarError(ValueError):
    """The text is not a calendar event systemd accepts; the message says why."""


class _Comp:
    """One element of a chain: start[..stop][/repeat]; stop is -1 when absent."""
    __slots__ = ("start", "stop", "repeat")

    def __init__(self, start, stop=-1, repeat=0):
        self.start, self.stop, self.repeat = start, stop, repeat

    def key(self):
        return (self.start, self.stop, self.repeat)


class _Cursor:
    __slots__ = ("s", "i")

    def __init__(self, s):
        self.s, self.i = s, 0

    def peek(self, k=0):
        j = self.i + k
        return self.s[j] if j < len(self.s) else ""

    def rest(self):
        return self.s[self.i:]


# --- parsing ---------------------------------------------------------------------------

def _decimal(cur, usec, what):
    start = cur.i
    s = cur.s
    while cur.i < len(s) and s[cur.i].isdigit() and s[cur.i].isascii():
        cur.i += 1
    if cur.i == start:
        got = cur.peek() or "the end"
        raise CalendarError(f"expected a number in the {what}, found {got!r}")
    if cur.i - start > 12:
        raise CalendarError(f"number out of range in the {what}")
    value = int(s[start:cur.i])
    if usec:
        value *= USEC
        if cur.peek() == "." and cur.peek(1) != ".":
            cur.i += 1
            fs = cur.i
            while cur.i < len(s) and s[cur.i].isdigit() and s[cur.i].isascii():
                cur.i += 1
            digits = s[fs:cur.i]
            if not digits:
                raise CalendarError("a decimal point in the seconds needs digits after it")
            frac = int((digits + "000000")[:6])
            if len(digits) > 6 and digits[6] >= "5":
                frac += 1
            value += frac
    if value > 2**31 - 1:
        raise CalendarError(f"number out of range in the {what}")
    return value


def _chain(cur, usec, what):
    """A comma list of components; '*' alone is None (any), or 0/1s for the seconds."""
    if cur.peek() == "*":
        cur.i += 1
        return [_Comp(0, -1, USEC)] if usec else None
    out = []
    while True:
        if len(out) > _COMPONENTS_MAX:
            raise CalendarError(f"too many values in the {what}")
        start = _decimal(cur, usec, what)
        stop, repeat = -1, 0
        if cur.peek() == "." and cur.peek(1) == ".":
            cur.i += 2
            stop = _decimal(cur, usec, what)
            repeat = USEC if usec else 1
        if cur.peek() == "/":
            cur.i += 1
            repeat = _decimal(cur, usec, what)
            if repeat == 0:
                raise CalendarError(f"a repetition of 0 in the {what}")
        elif usec and stop >= 0 and start + repeat > stop:
            raise CalendarError("a range of seconds shorter than one second needs a repetition")
        if cur.peek() not in ("", " ", ",", "-", "~", ":"):
            raise CalendarError(f"unexpected {cur.peek()!r} in the {what}")
        out.append(_Comp(start, stop, repeat))
        if cur.peek() == ",":
            cur.i += 1
            continue
        return out


def _weekdays(cur):
    bits = 0
    last = -1
    first = True
    while True:
        low = cur.rest().lower()
        for name, nr in _DAYS:
            if low.startswith(name):
                nxt = cur.peek(len(name))
                if nxt not in ("", "-", ".", ",", " "):
                    raise CalendarError(f"unknown weekday {cur.rest().split(' ')[0]!r}")
                bits |= 1 << nr
                if last >= 0:
                    if last > nr:
                        raise CalendarError("a weekday range must go forward (Mon..Fri, not "
                                            "Fri..Mon)")
                    for j in range(last + 1, nr):
                        bits |= 1 << j
                cur.i += len(name)
                break
        else:
            if first:
                return 0
            raise CalendarError(f"expected a weekday, found {cur.rest().split(' ')[0]!r}")
        c = cur.peek()
        if c == "":
            return bits
        if c == " ":
            _skip_spaces(cur)
            return bits
        if c == ".":
            if last >= 0 or cur.peek(1) != ".":
                raise CalendarError("bad weekday range")
            last = nr
            cur.i += 2
        elif c == "-":
            if last >= 0:
                raise CalendarError("bad weekday range")
            last = nr
            cur.i += 1
        elif c == ",":
            last = -1
            cur.i += 1
        if cur.peek() in ("", " "):
            _skip_spaces(cur)
            if last >= 0:
                raise CalendarError("a weekday range without its end")
            return bits
        first = False


def _skip_spaces(cur):
    while cur.peek() == " ":
        cur.i += 1


class Calendar:
    """A parsed calendar event. `normalized` is systemd's "Normalized form:"."""

    __slots__ = ("original", "weekdays", "end_of_month", "utc", "tz", "year", "month", "day",
                 "hour", "minute", "usec", "normalized")

    def __init__(self, original):
        self.original = original
        self.weekdays = -1
        self.end_of_month = False
        self.utc = False
        self.tz = None            # a time-zone name other than UTC
        self.year = self.month = self.day = self.hour = self.minute = None
        self.usec = None
        self.normalized = ""

    def __repr__(self):
        return f"Calendar({self.normalized!r})"

    @property
    def zone(self):
        """The tzinfo the expression is evaluated in, or None (the caller's)."""
        if self.utc:
            return timezone.utc
        if self.tz:
            from zoneinfo import ZoneInfo
            return ZoneInfo(self.tz)
        return None

    def next_after(self, dt):
        """The first elapse strictly after `dt` (an aware datetime; a naive one is taken as
        UTC), in the expression's zone when it names one, else in dt's; None if never."""
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        zone = self.zone or dt.tzinfo
        return _next(self, dt, zone)

    def elapses(self, dt, count):
        out = []
        for _ in range(count):
            dt = self.next_after(dt)
            if dt is None:
                break
            out.append(dt)
        return out


def _const(v):
    return [_Comp(v)]


_SHORTHANDS = {
    "minutely": dict(usec=0),
    "hourly": dict(minute=0, usec=0),
    "daily": dict(hour=0, minute=0, usec=0),
    "monthly": dict(day=1, hour=0, minute=0, usec=0),
    "annually": dict(month=1, day=1, hour=0, minute=0, usec=0),
    "yearly": dict(month=1, day=1, hour=0, minute=0, usec=0),
    "anually": dict(month=1, day=1, hour=0, minute=0, usec=0),
    "weekly": dict(weekdays=1, hour=0, minute=0, usec=0),
    "quarterly": dict(month=(1, 4, 7, 10), day=1, hour=0, minute=0, usec=0),
    "biannually": dict(month=(1, 7), day=1, hour=0, minute=0, usec=0),
    "bi-annually": dict(month=(1, 7), day=1, hour=0, minute=0, usec=0),
    "semiannually": dict(month=(1, 7), day=1, hour=0, minute=0, usec=0),
    "semi-annually": dict(month=(1, 7), day=1, hour=0, minute=0, usec=0),
}


def valid_zone(name):
    """True for an IANA zone name this machine's tz database knows (`Europe/Paris`);
    never a path."""
    if not name or len(name) > 255 or name.startswith("/") or ".." in name:
        return False
    if not all(ch.isascii() and (ch.isalnum() or ch in "/-_+") for ch in name):
        return False
    try:
        from zoneinfo import ZoneInfo
        ZoneInfo(name)
    except Exception:
        return False
    return True


def parse_calendar(text):
    """Parse a calendar event as systemd does; raises CalendarError."""
    if not isinstance(text, str):
        raise CalendarError("not a string")
    cal = Calendar(text)
    p = text
    if p.lower().endswith(" utc"):
        cal.utc = True
        p = p[:-4]
    else:
        sp = p.rfind(" ")
        if sp >= 0 and valid_zone(p[sp + 1:]):
            cal.tz = p[sp + 1:]
            p = p[:sp]
    if not p:
        raise CalendarError("empty calendar expression")
    short = _SHORTHANDS.get(p.lower())
    if short is not None:
        for field, v in short.items():
            if field == "weekdays":
                cal.weekdays = v
            elif field == "usec":
                cal.usec = _const(v)
            else:
                setattr(cal, field, [_Comp(x) for x in v] if isinstance(v, tuple) else _const(v))
    else:
        cur = _Cursor(p)
        w = _weekdays(cur)
        if w:
            cal.weekdays = w
        if _parse_date(cur, cal):
            pass
        _parse_time(cur, cal)
        if cur.peek() != "":
            raise CalendarError(f"unexpected {cur.rest()!r} at the end")
    _normalize(cal)
    _validate(cal)
    cal.normalized = _format(cal)
    return cal


def _parse_date(cur, cal):
    if cur.peek() == "":
        return False
    if cur.peek() == "@":
        digits = cur.s[cur.i + 1:]
        if not digits.isdigit() or not digits.isascii():
            raise CalendarError("@ must be followed by seconds since the epoch")
        if len(digits) > 12:
            raise CalendarError("@ timestamp out of range")
        t = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=int(digits))
        cal.year, cal.month, cal.day = _const(t.year), _const(t.month), _const(t.day)
        cal.hour, cal.minute, cal.usec = _const(t.hour), _const(t.minute), _const(t.second * USEC)
        cal.utc = True
        cur.i = len(cur.s)
        return True
    save = cur.i
    first = _chain(cur, False, "date")
    c = cur.peek()
    if c in ("", ":"):
        cur.i = save          # it was a time, not a date
        return False
    if c == "~":
        cal.end_of_month = True
    elif c != "-":
        raise CalendarError(f"unexpected {c!r} in the date")
    cur.i += 1
    second = _chain(cur, False, "date")
    c = cur.peek()
    if c in ("", " "):
        _skip_spaces(cur)
        cal.month, cal.day = first, second
        return True
    if cal.end_of_month:
        raise CalendarError("'~' may only come before the day")
    if c == "~":
        cal.end_of_month = True
    elif c != "-":
        raise CalendarError(f"unexpected {c!r} in the date")
    cur.i += 1
    third = _chain(cur, False, "date")
    if cur.peek() not in ("", " "):
        raise CalendarError(f"unexpected {cur.peek()!r} after the date")
    _skip_spaces(cur)
    cal.year, cal.month, cal.day = first, second, third
    return True


def _parse_time(cur, cal):
    if cal.usec is not None:        # @epoch filled everything
        return
    if cur.peek() == "":
        cal.hour, cal.minute, cal.usec = _const(0), _const(0), _const(0)
        return
    h = _chain(cur, False, "hour")
    if cur.peek() != ":":
        raise CalendarError("a time needs hours and minutes (HH:MM[:SS])")
    cur.i += 1
    m = _chain(cur, False, "minute")
    if cur.peek() == "":
        cal.hour, cal.minute, cal.usec = h, m, _const(0)
        return
    if cur.peek() != ":":
        raise CalendarError(f"unexpected {cur.rest()!r} in the time")
    cur.i += 1
    s = _chain(cur, True, "seconds")
    if cur.peek() != "":
        raise CalendarError(f"unexpected {cur.rest()!r} in the time")
    cal.hour, cal.minute, cal.usec = h, m, s


def _normalize_chain(chain):
    if chain is None:
        return None
    for c in chain:
        if c.stop > c.start and c.repeat > 0:
            c.stop -= (c.stop - c.start) % c.repeat
        if c.start == c.stop:
            c.repeat, c.stop = 0, -1
    out = []
    for c in sorted(chain, key=_Comp.key):
        if not out or out[-1].key() != c.key():
            out.append(c)
    return out


def _fix_year(chain):
    for c in chain or ():
        for attr in ("start", "stop"):
            v = getattr(c, attr)
            if 0 <= v < 70:
                setattr(c, attr, v + 2000)
            elif 70 <= v < 100:
                setattr(c, attr, v + 1900)


def _normalize(cal):
    if cal.weekdays <= 0 or cal.weekdays >= _ALL_WEEKDAYS:
        cal.weekdays = -1
    if cal.end_of_month and cal.day is None:
        cal.end_of_month = False
    _fix_year(cal.year)
    for f in ("year", "month", "day", "hour", "minute", "usec"):
        setattr(cal, f, _normalize_chain(getattr(cal, f)))


_BOUNDS = (("year", MIN_YEAR, MAX_YEAR, "year"), ("month", 1, 12, "month"),
           ("day", 1, 31, "day"), ("hour", 0, 23, "hour"), ("minute", 0, 59, "minute"),
           ("usec", 0, 60 * USEC - 1, "seconds"))


def _validate(cal):
    for field, lo, hi, what in _BOUNDS:
        d = USEC if field == "usec" else 1
        eom = field == "day" and cal.end_of_month
        if eom:
            what = "day counted from the month's end"
        for c in getattr(cal, field) or ():
            if eom:
                # systemd lowers the limit by 3 for each further element of a `~` list
                hi -= 3
            shown = _num(c.start, d)
            if c.start < lo or c.start > hi:
                raise CalendarError(f"{what} {shown} is out of range ({lo // d}..{hi // d})")
            if c.repeat > hi - lo:
                raise CalendarError(f"repetition /{_num(c.repeat, d)} in the {what} is larger "
                                    "than the field")
            if eom and c.stop < 0 and c.start - c.repeat < lo:
                raise CalendarError(f"~{shown}/{c.repeat} would count back past the month's "
                                    "start")
            if c.start + c.repeat > hi and not eom:
                raise CalendarError(f"{what} {shown}/{_num(c.repeat, d)} never repeats within "
                                    f"{lo // d}..{hi // d}")
            if c.stop >= 0 and (c.stop < lo or c.stop > hi):
                raise CalendarError(f"{what} {_num(c.stop, d)} is out of range "
                                    f"({lo // d}..{hi // d})")
            if c.stop >= 0 and c.stop < c.start:
                raise CalendarError(f"range {shown}..{_num(c.stop, d)} in the {what} goes "
                                    "backwards")


def _num(v, d):
    if d == 1 or v % d == 0:
        return str(v // d)
    return f"{v // d}.{v % d:06d}"


# --- formatting ------------------------------------------------------------------------

def _format_chain(chain, width, usec=False):
    d = USEC if usec else 1
    if chain is None:
        return "*"
    if usec and len(chain) == 1 and chain[0].start == 0 and chain[0].repeat == USEC \
            and chain[0].stop < 0:
        return "*"
    parts = []
    for c in chain:
        s = f"{c.start // d:0{width}d}"
        if c.start % d:
            s += f".{c.start % d:06d}"
        if c.stop > 0:
            s += f"..{c.stop // d:0{width}d}"
            if c.stop % d:
                s += f".{c.stop % d:06d}"
        if c.repeat > 0 and not (c.stop > 0 and c.repeat == d):
            s += f"/{c.repeat // d}"
            if c.repeat % d:
                s += f".{c.repeat % d:06d}"
        parts.append(s)
    return ",".join(parts)


def _format_weekdays(bits):
    out = []
    x = 0
    while x < 7:
        if bits & (1 << x):
            y = x
            while y + 1 < 7 and bits & (1 << (y + 1)):
                y += 1
            if y == x:
                out.append(_DAY_ABBR[x])
            elif y == x + 1:
                out.append(f"{_DAY_ABBR[x]},{_DAY_ABBR[y]}")
            else:
                out.append(f"{_DAY_ABBR[x]}..{_DAY_ABBR[y]}")
            x = y + 1
        else:
            x += 1
    return ",".join(out)


def _format(cal):
    s = ""
    if 0 < cal.weekdays < _ALL_WEEKDAYS:
        s = _format_weekdays(cal.weekdays) + " "
    s += (f"{_format_chain(cal.year, 4)}-{_format_chain(cal.month, 2)}"
          f"{'~' if cal.end_of_month else '-'}{_format_chain(cal.day, 2)} "
          f"{_format_chain(cal.hour, 2)}:{_format_chain(cal.minute, 2)}:"
          f"{_format_chain(cal.usec, 2, True)}")
    if cal.utc:
        s += " UTC"
    elif cal.tz:
        s += " " + cal.tz
    return s


# --- next elapse -----------------------------------------------------------------------

class _Tm:
    """struct tm in wall-clock fields: mon is 0-based, sec holds whole seconds."""
    __slots__ = ("year", "mon", "mday", "hour", "min", "sec", "usec")

    def __init__(self, year, mon, mday, hour, mn, sec, usec):
        self.year, self.mon, self.mday = year, mon, mday
        self.hour, self.min, self.sec, self.usec = hour, mn, sec, usec

    def fields(self):
        return (self.year, self.mon, self.mday, self.hour, self.min, self.sec)

    def copy(self):
        return _Tm(self.year, self.mon, self.mday, self.hour, self.min, self.sec, self.usec)


def _naive(tm):
    """mktime-like normalisation of possibly overflowing fields to a naive datetime."""
    y = tm.year + tm.mon // 12
    mon = tm.mon % 12
    if y < 1 or y > 9998:
        return None
    base = datetime(y, mon + 1, 1)
    try:
        return base + timedelta(days=tm.mday - 1, hours=tm.hour, minutes=tm.min,
                                seconds=tm.sec)
    except OverflowError:
        return None


def _mktime(tm, zone):
    """Normalise tm in place as mktime() would in `zone`; returns False on failure."""
    n = _naive(tm)
    if n is None:
        return False
    if zone is not None and zone is not timezone.utc:
        aware = n.replace(tzinfo=zone)
        back = aware.astimezone(timezone.utc).astimezone(zone)
        if back.replace(tzinfo=None) != n:
            # a wall-clock time in a gap (spring forward): move past the gap, as mktime does
            gap = (aware.replace(fold=1).utcoffset() or timedelta()) - \
                (aware.replace(fold=0).utcoffset() or timedelta())
            n = n + abs(gap)
    tm.year, tm.mon, tm.mday = n.year, n.month - 1, n.day
    tm.hour, tm.min, tm.sec = n.hour, n.minute, n.second
    return True


def _within_bounds(tm, zone):
    """1: unchanged by normalisation; 0: normalised (tm updated); -1: out of range."""
    if tm.year > MAX_YEAR:
        return -1
    t = tm.copy()
    if not _mktime(t, zone):
        return -1
    if t.year != tm.year:
        cmp = (t.year > tm.year) - (t.year < tm.year)
        t.mon = 0
    elif t.mon != tm.mon:
        cmp = (t.mon > tm.mon) - (t.mon < tm.mon)
        t.mday = 1
    elif t.mday != tm.mday:
        cmp = (t.mday > tm.mday) - (t.mday < tm.mday)
        t.hour = 0
    elif t.hour != tm.hour:
        cmp = (t.hour > tm.hour) - (t.hour < tm.hour)
        t.min = 0
    elif t.min != tm.min:
        cmp = (t.min > tm.min) - (t.min < tm.min)
        t.sec = 0
    else:
        cmp = (t.sec > tm.sec) - (t.sec < tm.sec)
    if cmp < 0:
        return -1
    if cmp > 0:
        tm.year, tm.mon, tm.mday, tm.hour, tm.min, tm.sec = t.fields()
        return 0
    return 1


def _end_of_month(tm, zone, day):
    t = tm.copy()
    t.mon += 1
    t.mday = 1 - day
    t.hour = t.min = t.sec = 0
    n = _naive(t)
    if n is None or n.month - 1 != tm.mon % 12:
        return -1
    return n.day


def _match(cal, chain, tm, zone, val):
    """Earliest value >= val matched by chain: (changed, value); value None when none."""
    if chain is None:
        return False, val
    eom = cal.end_of_month and chain is cal.day
    best = None
    for c in chain:
        if eom:
            start = _end_of_month(tm, zone, c.start)
            stop = _end_of_month(tm, zone, c.stop)
            if stop > 0:
                start, stop = stop, start
        else:
            start, stop = c.start, c.stop
        if start >= val:
            if best is None or start < best:
                best = start
        elif c.repeat > 0:
            k = start + -(-(val - start) // c.repeat) * c.repeat
            if (best is None or k < best) and (stop < 0 or k <= stop):
                best = k
    if best is None:
        return False, None
    return best != val, best


def _weekday_ok(cal, tm, zone):
    if cal.weekdays < 0 or cal.weekdays >= _ALL_WEEKDAYS:
        return True
    n = _naive(tm)
    return n is not None and bool(cal.weekdays & (1 << n.weekday()))


def _next(cal, dt, zone):
    start = (dt.astimezone(timezone.utc) + timedelta(microseconds=1)).astimezone(zone)
    c = _Tm(start.year, start.month - 1, start.day, start.hour, start.minute, start.second,
            start.microsecond)
    for _ in range(200_000):
        _mktime(c, zone)
        # year
        ch, v = _match(cal, cal.year, c, zone, c.year)
        if v is None:
            return None
        if ch:
            c.year = v
            c.mon, c.mday, c.hour, c.min, c.sec, c.usec = 0, 1, 0, 0, 0, 0
        r = _within_bounds(c, zone)
        if r < 0:
            return None
        if r == 0:
            continue
        # month
        ch, v = _match(cal, cal.month, c, zone, c.mon + 1)
        if v is not None:
            if ch:
                c.mon = v - 1
                c.mday, c.hour, c.min, c.sec, c.usec = 1, 0, 0, 0, 0
            r = _within_bounds(c, zone)
        if v is None or r < 0:
            c.year += 1
            c.mon, c.mday, c.hour, c.min, c.sec, c.usec = 0, 1, 0, 0, 0, 0
            continue
        if r == 0:
            continue
        # day
        ch, v = _match(cal, cal.day, c, zone, c.mday)
        if v is not None:
            if ch:
                c.mday = v
                c.hour, c.min, c.sec, c.usec = 0, 0, 0, 0
            r = _within_bounds(c, zone)
        if v is None or r < 0:
            c.mon += 1
            c.mday, c.hour, c.min, c.sec, c.usec = 1, 0, 0, 0, 0
            continue
        if r == 0:
            continue
        if not _weekday_ok(cal, c, zone):
            c.mday += 1
            c.hour, c.min, c.sec, c.usec = 0, 0, 0, 0
            continue
        # hour
        ch, v = _match(cal, cal.hour, c, zone, c.hour)
        if v is not None:
            if ch:
                c.hour = v
                c.min, c.sec, c.usec = 0, 0, 0
            r = _within_bounds(c, zone)
        if v is None or r < 0:
            c.mday += 1
            c.hour, c.min, c.sec, c.usec = 0, 0, 0, 0
            continue
        if r == 0:
            continue
        # minute
        ch, v = _match(cal, cal.minute, c, zone, c.min)
        if v is not None:
            if ch:
                c.min = v
                c.sec, c.usec = 0, 0
            r = _within_bounds(c, zone)
        if v is None or r < 0:
            c.hour += 1
            c.min, c.sec, c.usec = 0, 0, 0
            continue
        if r == 0:
            continue
        # seconds (in microseconds)
        ch, v = _match(cal, cal.usec, c, zone, c.sec * USEC + c.usec)
        if v is not None:
            c.sec, c.usec = divmod(v, USEC)
            r = _within_bounds(c, zone)
        if v is None or r < 0:
            c.min += 1
            c.sec, c.usec = 0, 0
            continue
        if r == 0:
            continue
        n = _naive(c)
        if n is None:
            return None
        result = n.replace(microsecond=c.usec, tzinfo=zone)
        if zone is not timezone.utc and result.astimezone(timezone.utc) <= \
                dt.astimezone(timezone.utc):
            # an ambiguous wall-clock time (fall back) read as its earlier instant
            result = result.replace(fold=1)
        return result
    return None


# --- helpers for reviews ---------------------------------------------------------------

def typical_interval(cal, base=None, count=8):
    """The shortest gap, in seconds, between the next `count` elapses after `base` (now by
    default); None when it elapses fewer than twice."""
    if isinstance(cal, str):
        cal = parse_calendar(cal)
    base = base or datetime.now(timezone.utc)
    times = cal.elapses(base, count)
    if len(times) < 2:
        return None
    gaps = [(b.astimezone(timezone.utc) - a.astimezone(timezone.utc)).total_seconds()
            for a, b in zip(times, times[1:])]
    return min(gaps)


def format_elapse(dt):
    """systemd's timestamp style: 'Mon 2026-11-30 02:00:00 UTC'."""
    if dt is None:
        return "never"
    name = dt.tzname() or "UTC"
    if dt.tzinfo is timezone.utc:
        name = "UTC"
    return f"{_DAY_ABBR[dt.weekday()]} {dt:%Y-%m-%d %H:%M:%S} {name}"


# --- cron ------------------------------------------------------------------------------

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
CRON_FIELDS = (("minute", 0, 59, None), ("hour", 0, 23, None),
               ("day of month", 1, 31, None), ("month", 1, 12, _MONTHS),
               ("day of week", 0, 7, _CRON_DAYS))


def cron_field(text, index):
    """The values a cron field matches, as a sorted list, or raise CalendarError saying
    what is wrong. index: 0 minute … 4 day of week (7 is folded onto 0, Sunday)."""
    what, lo, hi, names = CRON_FIELDS[index]
    values = set()
    if text == "":
        raise CalendarError(f"empty {what} field")
    for part in text.split(","):
        if part == "":
            raise CalendarError(f"empty element in the {what} field {text!r}")
        rng, slash, step = part.partition("/")
        if slash:
            if not step.isdigit() or not step.isascii():
                raise CalendarError(f"step {step[:20]!r} in the {what} field is not a number")
            step_n = int(step[:12])
            if step_n == 0:
                raise CalendarError(f"step 0 in the {what} field")
        else:
            step_n = 1
        if rng == "*":
            a, b = lo, hi
            if index == 4:
                b = 6 if not slash else 7
        else:
            first, dash, last = rng.partition("-")
            a = _cron_value(first, what, lo, hi, names)
            if dash:
                b = _cron_value(last, what, lo, hi, names)
            elif slash:
                b = hi          # "5/10": cronie's "5-max/10"
            else:
                b = a
            if b < a:
                if index == 4 and b == 0:
                    b = 7       # "5-0": Friday to Sunday
                else:
                    raise CalendarError(f"range {rng!r} in the {what} field goes backwards")
        if step_n > hi - lo + 1 and not (index == 4):
            raise CalendarError(f"step /{step_n} in the {what} field is larger than its range")
        values.update(range(a, b + 1, step_n))
    if index == 4:
        values = {0 if v == 7 else v for v in values}
    return sorted(values)


def _cron_value(tok, what, lo, hi, names):
    if names and tok[:3].lower() in names and len(tok) == 3:
        v = names.index(tok.lower())
        return v + 1 if names is _MONTHS else v
    if not tok.isdigit() or not tok.isascii():
        raise CalendarError(f"{tok[:20]!r} is not a valid {what}")
    if len(tok) > 6:
        raise CalendarError(f"{what} {tok[:20]}… is out of range ({lo}-{hi})")
    v = int(tok)
    if v < lo or v > hi:
        raise CalendarError(f"{what} {v} is out of range ({lo}-{hi})")
    return v


def _systemd_list(values, lo, hi, width, text=""):
    """Values → a compact systemd chain: '*', 'a/step', 'a..b', or a list."""
    full = list(range(lo, hi + 1))
    if values == full:
        return "*"
    if len(values) >= 3 or (len(values) == 2 and text.startswith("*/")):
        step = values[1] - values[0]
        if all(b - a == step for a, b in zip(values, values[1:])):
            last = values[-1]
            if step == 1:
                return f"{values[0]:0{width}d}..{last:0{width}d}"
            if last + step > hi:
                return f"{values[0]:0{width}d}/{step}"
            return f"{values[0]:0{width}d}..{last:0{width}d}/{step}"
    return ",".join(f"{v:0{width}d}" for v in values)


CRON_MACROS = {
    "@yearly": ("0", "0", "1", "1", "*"), "@annually": ("0", "0", "1", "1", "*"),
    "@monthly": ("0", "0", "1", "*", "*"), "@weekly": ("0", "0", "*", "*", "0"),
    "@daily": ("0", "0", "*", "*", "*"), "@midnight": ("0", "0", "*", "*", "*"),
    "@hourly": ("0", "*", "*", "*", "*"),
}


def from_cron(minute, hour, dom, month, dow):
    """The OnCalendar= expression (normalised) equal to a cron schedule, or None when there
    is none (an invalid field, or day-of-month and day-of-week both restricted: cron runs
    when EITHER matches, systemd when both do)."""
    try:
        mins = cron_field(minute, 0)
        hours = cron_field(hour, 1)
        days = cron_field(dom, 2)
        months = cron_field(month, 3)
        wdays = cron_field(dow, 4)
    except CalendarError:
        return None
    dom_star = dom.startswith("*")
    dow_star = dow.startswith("*")
    if not dom_star and not dow_star:
        return None
    text = ""
    if wdays != list(range(7)):
        # cron 0 = Sunday; systemd bit 0 = Monday
        text = ",".join(_DAY_ABBR[(d - 1) % 7] for d in sorted(wdays, key=lambda d: (d - 1) % 7))
        text += " "
    text += (f"*-{_systemd_list(months, 1, 12, 2, month)}-{_systemd_list(days, 1, 31, 2, dom)} "
             f"{_systemd_list(hours, 0, 23, 2, hour)}:{_systemd_list(mins, 0, 59, 2, minute)}:00")
    try:
        return parse_calendar(text).normalized
    except CalendarError:
        return None


def cron_calendars(schedule, zone=None):
    """The OnCalendar= expressions equal to a cron schedule (`0 3 * * *`, `@daily`), with
    `zone` appended when it is a valid time-zone name: one expression, or two when cron's
    "day of month OR weekday" needs both; [] when it cannot be read; None for `@reboot`."""
    text = str(schedule or "").strip()
    if text.lower() == "@reboot":
        return None
    if text.startswith("@"):
        fields = CRON_MACROS.get(text.lower())
    else:
        fields = tuple(text.split())
    if not fields or len(fields) != 5:
        return []
    suffix = f" {zone}" if zone and valid_zone(zone) else ""
    exact = from_cron(*fields)
    if exact is not None:
        return [exact + suffix]
    minute, hour, dom, month, dow = fields
    return [c + suffix for c in (from_cron(minute, hour, dom, month, "*"),
                                 from_cron(minute, hour, "*", month, dow)) if c]
