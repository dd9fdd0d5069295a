"""Crontab rules (crontab(5), cron(8)): schedules, `%`, PATH, output, overlap, cron.d."""

from __future__ import annotations

import os
import re

from infra_expert.lazyre import lazy_re
from infra_expert.model import Hit, Pass, RuleSet

def _cal():
    """The calendar module, imported when a rule needs it (it brings `datetime`)."""
    from infra_expert import oncalendar
    return oncalendar


rules = RuleSet("cron")

_MONTHLY_OR_RARER = 28 * 86400
_HEAVY = lazy_re(r"(?<![\w.-])(?:rsync|rclone|restic|duplicity|duplicacy|pg_dump|pg_dumpall|"
                 r"pg_basebackup|mysqldump|mariadb-dump|mongodump|xtrabackup|mariabackup|"
                 r"rdiff-backup|tar|zip|7z|dd)(?![\w.-])|[\w.-]*backup[\w.-]*", re.IGNORECASE)
_LOCK = lazy_re(r"(?<![\w-])(?:flock|lckdo|run-one|solo|setlock|lockrun|with-lock-ex|"
                r"lockfile|pidof|pgrep)(?![\w-])")
_SCRIPT = lazy_re(r"\.(?:sh|bash|py|pl|rb|php|js)$")
# on Debian and Ubuntu these live in /sbin or /usr/sbin: not on cron's PATH (/usr/bin:/bin)
_SBIN = frozenset({"reboot", "shutdown", "poweroff", "halt", "iptables", "ip6tables", "nft",
                   "ufw", "service", "logrotate", "fstrim", "zpool", "zfs", "smartctl",
                   "hdparm", "ntpdate", "modprobe", "sysctl", "useradd", "cryptsetup",
                   "mdadm", "e2fsck", "fsck", "swapon", "swapoff", "sendmail", "a2enmod",
                   "apache2ctl", "apachectl", "nginx", "ethtool", "ifup", "ifdown", "dhclient",
                   "postfix", "postqueue", "chpasswd", "ldconfig", "blkdiscard", "wipefs",
                   "iw", "ipset", "tc", "pvs", "lvs", "lvcreate", "vgs", "sshd",
                   "update-grub", "needrestart", "unattended-upgrade", "chroot", "rndc"})
_NOT_USERS = frozenset({"sh", "bash", "cd", "test", "run-parts", "python", "python3", "php",
                        "perl", "node", "docker", "curl", "wget", "find", "rm", "echo",
                        "flock", "nice", "ionice", "sudo", "env", "true", "exec", "timeout",
                        "if", "[", "[[", "tar", "rsync", "cp", "mv"})


def _tab(doc):
    return doc.model


def _jobs(doc):
    return [j for j in doc.model.jobs if j.problem is None]


def _first_unescaped_percent(command):
    i = 0
    while i < len(command):
        ch = command[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "%":
            return i
        i += 1
    return -1


def _on_calendar(job):
    """The OnCalendar= values equal to the job's schedule ([] when there is none, None for
    @reboot); two when cron's "day of month OR weekday" needs both (core
    `oncalendar.cron_calendars`, with the job's `CRON_TZ`)."""
    return _cal().cron_calendars(job.schedule(), job.env.get("CRON_TZ"))


def timer_equivalent(schedule):
    """'0 3 * * *' -> '`OnCalendar=*-*-* 03:00:00`' (for the resources table)."""
    from infra_expert.cron.model import Job
    job = Job(0, schedule)
    if schedule.startswith("@"):
        job.macro = schedule.lower()
        if job.macro not in _cal().CRON_MACROS and job.macro != "@reboot":
            return "–"
    else:
        parts = schedule.split()
        if len(parts) != 5:
            return "–"
        job.fields = [(p, 0) for p in parts]
    cals = _on_calendar(job)
    if cals is None:
        return "`OnBootSec=`"
    return " + ".join(f"`OnCalendar={c}`" for c in cals) or "–"


def _interval(job):
    """The shortest gap between runs, in seconds; None when unknown or @reboot."""
    from infra_expert.oncalendar import parse_calendar, typical_interval
    from datetime import datetime, timezone
    cals = _on_calendar(job) or []
    base = datetime(2026, 1, 5, tzinfo=timezone.utc)
    gaps = []
    for text in cals:
        try:
            gap = typical_interval(parse_calendar(text), base, 12)
        except _cal().CalendarError:
            gap = None
        if gap:
            gaps.append(gap)
    return min(gaps) if gaps else None


def _heavy(job):
    m = _HEAVY.search(job.command)
    return m.group(0) if m else None


def _stderr_handled(command):
    c = command
    return ("2>" in c or "&>" in c or ">&" in c or "|&" in c or "logger" in c
            or "systemd-cat" in c)


def _lines(items, limit=6):
    nums = [str(n) for n in items]
    shown = ", ".join(nums[:limit])
    return shown + (f" and {len(nums) - limit} more" if len(nums) > limit else "")


@rules.rule(
    "CR001", "critical", "reliability", "Schedule cron cannot read",
    "A field out of range (minute 60, day-of-week 8), a step of 0, an unknown month or "
    "day name, a missing field or an unknown `@` macro: `crontab` refuses to install the "
    "whole file, and cron skips the line of a `cron.d` file with only a note in syslog — "
    "the job silently never runs.",
    "Write each of the five fields within its range (minute 0-59, hour 0-23, day 1-31, "
    "month 1-12 or jan-dec, weekday 0-7 or sun-sat), as `*`, a value, a range `a-b`, a list "
    "`a,b` or a step `*/n`; or use one of @reboot, @hourly, @daily, @weekly, @monthly, "
    "@yearly.",
    example="0 23 * * 1-5 root /usr/local/bin/report >> /var/log/report.log 2>&1")
def invalid_schedule(doc, ctx):
    for job in doc.model.jobs:
        if job.problem is not None:
            yield Hit(job.line, job.problem[0], column=job.problem[1])
            continue
        if job.macro:
            if job.macro not in _cal().CRON_MACROS and job.macro != "@reboot":
                yield Hit(job.line, f"unknown macro `{job.macro}`", column=job.macro_col)
            continue
        for index, (text, col) in enumerate(job.fields):
            try:
                _cal().cron_field(text, index)
            except _cal().CalendarError as exc:
                yield Hit(job.line, f"`{text}`: {exc}", column=col)
                break


@rules.rule(
    "CR002", "critical", "reliability", "Unescaped `%` in a command",
    "cron turns the first unescaped `%` of a command into a newline and feeds what follows "
    "to the command's standard input: `tar czf /b/$(date +%F).tgz /srv` runs as "
    "`tar czf /b/$(date +` and fails. Quotes do not protect it.",
    "Escape every `%` as `\\%` (`date +\\%F`), or move the command into a script.",
    example="0 2 * * * root tar czf /b/$(date +\\%F).tgz /srv >> /var/log/tar.log 2>&1")
def unescaped_percent(doc, ctx):
    for job in _jobs(doc):
        at = _first_unescaped_percent(job.command)
        if at < 0:
            continue
        start = max(job.command.rfind(" ", 0, at) + 1, 0)
        end = job.command.find(" ", at)
        word = job.command[start:end if end > 0 else len(job.command)]
        if len(word) > 40:
            word = word[:40] + "…"
        yield Hit(job.line, f"`%` in `{word}`: cron cuts the command there and feeds the rest "
                            "to its standard input", column=job.command_col + at)


def _command_words(command):
    from infra_expert.shell import commands
    try:
        return commands(command)
    except Exception:  # noqa: BLE001 - an odd command is judged on its first word only
        return []


@rules.rule(
    "CR003", "warning", "reliability", "Command not found on cron's PATH",
    "cron starts jobs with `PATH=/usr/bin:/bin` in the home directory of the user: a "
    "script named without its folder (`backup.sh`, `scripts/backup.sh`) or a tool from "
    "`/usr/sbin` or `/usr/local/bin` works in a terminal and fails with `not found` under "
    "cron.",
    "Call the command by its absolute path (`/usr/local/bin/backup.sh`, `/usr/sbin/logrotate`), "
    "or set `PATH=` at the top of the crontab.",
    example="0 3 * * * root /usr/local/bin/backup.sh >> /var/log/backup.log 2>&1")
def relative_command(doc, ctx):
    for job in _jobs(doc):
        if "PATH" in job.env:
            continue
        cd_seen = False
        for cmd in _command_words(job.command):
            if not cmd.words:
                continue
            first = cmd.words[0]
            if cmd.name == "cd":
                cd_seen = True
                continue
            problem = None
            if "/" in first and not first.startswith(("/", "~", "$")) and not cd_seen:
                problem = f"`{first}` is relative to the home directory cron starts in"
            elif "/" not in first and "$" not in first and _SCRIPT.search(first):
                problem = f"`{first}` is not on cron's PATH (/usr/bin:/bin)"
            elif "/" not in first and first in _SBIN:
                problem = f"`{first}` lives in /usr/sbin or /sbin, not on cron's PATH " \
                          "(/usr/bin:/bin)"
            if problem:
                col = job.command.find(first)
                yield Hit(job.line, problem,
                          column=job.command_col + col if col >= 0 else job.command_col)
                break


@rules.rule(
    "CR004", "warning", "reliability", "Job errors neither logged nor mailed",
    "Without `MAILTO=` cron mails a job's output to the local mailbox of its user, which "
    "nobody reads — and without a mail transfer agent cron discards it: a failing job fails "
    "in silence.",
    "Send the output somewhere read: `>> /var/log/job.log 2>&1`, `2>&1 | logger -t job`, or "
    "`MAILTO=ops@example.org` with a working MTA — or run the job as a systemd timer, whose "
    "output lands in the journal.",
    positive="every job's errors are logged or mailed",
    example="0 3 * * * root /usr/local/bin/backup.sh >> /var/log/backup.log 2>&1")
def output_lost(doc, ctx):
    lost = [j for j in _jobs(doc) if "MAILTO" not in j.env
            and not _stderr_handled(j.command)]
    if lost:
        yield Hit(lost[0].line,
                  f"{len(lost)} job(s) (line {_lines(j.line for j in lost)}) neither redirect "
                  "their errors nor have a `MAILTO=` to send them to",
                  column=lost[0].command_col)
    elif _jobs(doc) and all(_stderr_handled(j.command) or j.env.get("MAILTO", "").strip()
                            for j in _jobs(doc)):
        yield Pass(_jobs(doc)[0].line)


@rules.rule(
    "CR005", "warning", "reliability", "`MAILTO=\"\"` silences failures",
    "An empty `MAILTO` tells cron to throw away everything a job prints, error messages "
    "included: jobs below it that do not log their output fail without a trace.",
    "Log the output of those jobs (`>> /var/log/job.log 2>&1`, `2>&1 | logger -t job`), or "
    "set `MAILTO=` to an address that is read.",
    example='MAILTO=""\n0 3 * * * root /usr/local/bin/backup.sh >> /var/log/backup.log 2>&1')
def mailto_empty(doc, ctx):
    tab = doc.model
    for var in tab.vars:
        if var.name != "MAILTO" or var.value.strip():
            continue
        silenced = [j for j in _jobs(doc) if j.line > var.line
                    and j.env.get("MAILTO", None) == var.value
                    and tab.var_before("MAILTO", j.line) is var
                    and not _stderr_handled(j.command)]
        if silenced:
            yield Hit(var.line, f"`MAILTO=\"\"` discards the errors of {len(silenced)} job(s) "
                                f"that do not log them (line {_lines(j.line for j in silenced)})")


@rules.rule(
    "CR006", "warning", "reliability", "Long job can overlap its next run",
    "cron starts a job on schedule whether or not the previous run finished: a backup or sync "
    "that runs every few minutes and once takes longer (a slow disk, a big change) starts "
    "again beside itself — two rsyncs on one target, two dumps filling the disk.",
    "Take a lock that skips the run when one is going: `flock -n /run/lock/backup.lock "
    "/usr/local/bin/backup.sh` — or make it a systemd timer, which never starts a service "
    "that is still running.",
    positive="frequent long jobs take a lock (`flock`)",
    example="*/10 * * * * root flock -n /run/lock/sync.lock rsync -a /srv/ nas:/srv/ "
            "2>&1 | logger -t sync")
def overlap(doc, ctx):
    guarded = None
    for job in _jobs(doc):
        tool = _heavy(job)
        if not tool:
            continue
        gap = _interval(job)
        if gap is None or gap > 3600:
            continue
        if _LOCK.search(job.command):
            guarded = guarded or job.line
            continue
        every = f"every {int(gap // 60)} min" if gap < 3600 else "every hour"
        yield Hit(job.line, f"`{tool}` runs {every} with no lock: a slow run overlaps the next",
                  column=job.command_col)
    if guarded:
        yield Pass(guarded)


_RUN_PARTS_NAME = lazy_re(r"^[A-Za-z0-9_-]+$")


@rules.rule(
    "CR007", "warning", "reliability", "cron.d file name that cron ignores",
    "Debian and Ubuntu cron read only `/etc/cron.d` files whose names are made of letters, "
    "digits, `_` and `-` (run-parts' rule): `backup.cron` or `app.conf` is skipped without "
    "a word, and its jobs never run.",
    "Rename the file without the dot or other characters: `backup`, `app-backup`.",
    example="# /etc/cron.d/backup (no dot in the name)\n"
            "0 3 * * * root /usr/local/bin/backup.sh >> /var/log/backup.log 2>&1")
def cron_d_name(doc, ctx):
    if not doc.model.in_cron_d:
        return
    name = os.path.basename(doc.path)
    if not _RUN_PARTS_NAME.match(name):
        bad = sorted({c for c in name if not (c.isascii() and (c.isalnum() or c in "_-"))})
        yield Hit(1, f"`{name}` contains {', '.join(repr(c) for c in bad)}: cron skips "
                     "this file on Debian and Ubuntu")


@rules.rule(
    "CR008", "warning", "reliability", "Last job without a final newline",
    "cron reads a crontab line by line and drops a last line that has no newline; "
    "`crontab` refuses to install such a file (`missing newline before EOF`): the last job "
    "never runs.",
    "End the file with a newline.",
    example="0 3 * * * root /usr/local/bin/backup.sh >> /var/log/backup.log 2>&1\n")
def final_newline(doc, ctx):
    tab = doc.model
    if tab.final_newline or not tab.lines:
        return
    last = len(tab.lines)
    if any(j.line == last for j in tab.jobs):
        yield Hit(last, "the file ends without a newline: cron ignores this last job",
                  column=len(tab.lines[-1]) + 1)


@rules.rule(
    "CR009", "suggestion", "performance", "Heavy jobs start at the same minute",
    "Backups, dumps and syncs that start together compete for the same disk, CPU and "
    "network; on a small board or a VPS they slow each other down, and the box with them.",
    "Stagger them a few minutes apart (`0 2`, `20 2`, `40 2`), or chain them in one script.",
    example="0 2 * * * root /usr/local/bin/db-backup.sh 2>&1 | logger\n"
            "30 2 * * * root rsync -a /srv/ nas:/srv/ 2>&1 | logger")
def same_minute(doc, ctx):
    from datetime import datetime, timezone
    from infra_expert.oncalendar import parse_calendar
    base = datetime(2026, 1, 5, tzinfo=timezone.utc)
    starts = {}
    for job in _jobs(doc):
        if not _heavy(job) or (_interval(job) or 0) < 3600:
            continue     # a job every few minutes meets every other one: not worth saying
        for text in _on_calendar(job) or []:
            try:
                cal = parse_calendar(text)
            except _cal().CalendarError:
                continue
            for t in cal.elapses(base, 40):
                if (t - base).days >= 7:
                    break
                starts.setdefault(t.replace(tzinfo=None), set()).add(job.line)
    seen = set()
    for when in sorted(starts):
        lines = tuple(sorted(starts[when]))
        if len(lines) < 2 or lines in seen:
            continue
        seen.add(lines)
        yield Hit(lines[0], f"{len(lines)} heavy jobs (lines {_lines(lines)}) start together, "
                            f"e.g. at {when:%H:%M}")
        return


@rules.rule(
    "CR010", "suggestion", "reliability", "Could be a systemd timer",
    "A systemd timer runs the same schedule with what cron lacks: `Persistent=true` catches "
    "up a run missed while the machine was off, the output lands in the journal, a run never "
    "overlaps the previous one, and `systemctl list-timers` shows the next and last runs.",
    "Write a `.service` with the command (`Type=oneshot`) and a `.timer` with the "
    "`OnCalendar=` given in the message, `Persistent=true`, `WantedBy=timers.target`.",
    example="# infra-expert: ignore-file=CR010 a board without systemd (the timer would be\n"
            "# backup.timer: OnCalendar=*-*-* 03:00:00, Persistent=true)\n"
            "0 3 * * * root /usr/local/bin/backup.sh >> /var/log/backup.log 2>&1")
def as_timer(doc, ctx):
    jobs = _jobs(doc)
    if not jobs or doc.model.in_image:
        return     # a container's crontab: there is no systemd in there
    parts = []
    for job in jobs[:3]:
        cals = _on_calendar(job)
        if cals is None:
            parts.append(f"`{job.schedule()}` (line {job.line}) → `OnBootSec=1min`")
        elif cals:
            parts.append(f"`{job.schedule()}` (line {job.line}) → "
                         + " + ".join(f"`OnCalendar={c}`" for c in cals))
    if not parts:
        return
    more = f"; {len(jobs) - 3} more job(s)" if len(jobs) > 3 else ""
    yield Hit(jobs[0].line, "as systemd timers: " + "; ".join(parts) + more)


def _plausible_user(word):
    return bool(re.match(r"^[a-z_][a-z0-9_.-]*\$?$", word)) and word not in _NOT_USERS \
        and not _SCRIPT.search(word)


@rules.rule(
    "CR011", "critical", "reliability", "User field wrong for this kind of crontab",
    "`/etc/crontab` and `/etc/cron.d/*` name the user between the schedule and the command; "
    "user crontabs (`crontab -e`, `/var/spool/cron/crontabs/*`, `/etc/crontabs/*`) do not. "
    "Missing, cron takes the command's first word for a user and never runs the job; extra, "
    "it runs the user name as a command (`root: not found`).",
    "In `/etc/crontab` and `cron.d` files write `m h dom mon dow user command`; in a user "
    "crontab `m h dom mon dow command`.",
    example="# /etc/cron.d/backup: m h dom mon dow user command\n"
            "0 3 * * * root /usr/local/bin/backup.sh >> /var/log/backup.log 2>&1")
def user_field(doc, ctx):
    from infra_expert.cron.model import KNOWN_USERS
    tab = doc.model
    for job in doc.model.jobs:
        if tab.system:
            if job.user is None and job.problem is not None:
                continue
            if job.user is None:
                first = job.command.split()[0] if job.command.split() else ""
                yield Hit(job.line, f"no user field: cron takes `{first}` for the user and "
                                    "never runs the job", column=job.command_col)
            elif not _plausible_user(job.user):
                yield Hit(job.line, f"`{job.user}` stands where the user goes: this "
                                    "system crontab needs `user command`",
                          column=job.user_col)
        elif job.problem is None:
            words = job.command.split()
            if len(words) >= 2 and words[0] in KNOWN_USERS and (
                    words[1].startswith("/") or words[1] in _NOT_USERS):
                yield Hit(job.line, f"`{words[0]}` is run as a command: a user field belongs "
                                    "only in /etc/crontab and cron.d files",
                          column=job.command_col)


@rules.rule(
    "CR012", "warning", "reliability", "`TZ=` does not move the schedule",
    "`TZ=` in a crontab only sets the jobs' environment; cron still reads the five fields in "
    "the system's time zone (cronie reads `CRON_TZ=` for that, Debian's cron nothing): a job "
    "meant for 02:00 local time runs at 02:00 of the server's zone.",
    "Write the schedule in the server's time zone, or use `CRON_TZ=` where cronie runs, or "
    "a systemd timer with the zone in `OnCalendar=` (`*-*-* 02:00 Europe/Paris`).",
    example="CRON_TZ=Europe/Paris\n"
            "0 3 * * * root /usr/local/bin/backup.sh >> /var/log/backup.log 2>&1")
def tz_variable(doc, ctx):
    tab = doc.model
    for var in tab.vars:
        if var.name == "TZ" and any(j.line > var.line for j in _jobs(doc)) and \
                var.value not in ("UTC", "Etc/UTC", ":UTC"):
            yield Hit(var.line, f"`TZ={var.value}` changes the jobs' environment, not when "
                                "cron starts them")
