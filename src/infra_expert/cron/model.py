"""A crontab read the way cron reads it: comments, `NAME=value` lines (each applying to the
jobs below it), jobs with five time fields or an `@` macro, and — in `/etc/crontab` and
`/etc/cron.d/*` — a user field before the command."""

from __future__ import annotations

import os

from infra_expert.lazyre import lazy_re

MACROS = ("@reboot", "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight",
          "@hourly")
_ENV = lazy_re(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
_JOB_START = lazy_re(r"^\s*(?:@[A-Za-z]+|[0-9*])")
_USER = lazy_re(r"^[a-z_][a-z0-9_.-]*\$?$")
# `/etc/crontab` and `cron.d` files name the user; these are the usual ones
KNOWN_USERS = frozenset({"root", "www-data", "nobody", "daemon", "backup", "postgres", "mysql",
                         "nginx", "apache", "git", "redis", "mail", "news", "nagios", "zabbix",
                         "smmsp", "pi", "ubuntu", "debian", "admin", "user", "nextcloud",
                         "odoo", "elasticsearch", "prometheus", "grafana", "munin", "sync"})


class Var:
    __slots__ = ("line", "name", "value")

    def __init__(self, line, name, value):
        self.line, self.name, self.value = line, name, value


class Job:
    """One job. `fields` are the five time fields (None for a macro), each (text, column);
    `env` holds the variables set above it."""

    __slots__ = ("line", "raw", "macro", "macro_col", "fields", "user", "user_col", "command",
                 "command_col", "env", "problem")

    def __init__(self, line, raw):
        self.line = line
        self.raw = raw
        self.macro = None
        self.macro_col = None
        self.fields = None
        self.user = None
        self.user_col = None
        self.command = ""
        self.command_col = 1
        self.env = {}
        self.problem = None      # (message, column): a line cron cannot read

    def schedule(self):
        """The schedule as written: '@daily' or '*/5 * * * *'."""
        if self.macro:
            return self.macro
        return " ".join(f[0] for f in self.fields or ())


class Crontab:
    __slots__ = ("path", "system", "in_cron_d", "vars", "jobs", "lines", "final_newline",
                 "in_image")

    def __init__(self, path, system, in_cron_d):
        self.in_image = False     # a Dockerfile beside it: the crontab of a container
        self.path = path
        self.system = system
        self.in_cron_d = in_cron_d
        self.vars = []
        self.jobs = []
        self.lines = []
        self.final_newline = True

    def var_before(self, name, line):
        """The last `name=` assignment above `line`, or None."""
        found = None
        for v in self.vars:
            if v.line >= line:
                break
            if v.name == name:
                found = v
        return found


def _tokens(text, count):
    """The first `count` whitespace-separated tokens with their 1-based columns, and the
    column where the rest starts (None when the line ends first)."""
    out = []
    i, n = 0, len(text)
    while len(out) < count:
        while i < n and text[i] in " \t":
            i += 1
        if i >= n:
            return out, None
        j = i
        while j < n and text[j] not in " \t":
            j += 1
        out.append((text[i:j], i + 1))
        i = j
    while i < n and text[i] in " \t":
        i += 1
    return out, (i + 1 if i < n else None)


def looks_system(abspath, text):
    """`/etc/crontab` and `cron.d` files carry a user field. Elsewhere a file counts as one
    when every job names a known user in the sixth field."""
    folder = os.path.basename(os.path.dirname(abspath or ""))
    name = os.path.basename(abspath or "").lower()
    if folder == "cron.d" or (name == "crontab" and folder == "etc"):
        return True
    if folder == "crontabs":
        return False
    users = 0
    jobs = 0
    for raw in text.split("\n"):
        s = raw.strip()
        if not s or s.startswith("#") or _ENV.match(s) or not _JOB_START.match(s):
            continue
        jobs += 1
        toks, _ = _tokens(s, 2 if s.startswith("@") else 6)
        if toks and toks[-1][0] in KNOWN_USERS and len(toks) == (2 if s.startswith("@") else 6):
            users += 1
    return jobs > 0 and users == jobs


def parse_crontab(text, path, abspath=None, system=None):
    abspath = abspath or path
    if system is None:
        system = looks_system(abspath, text)
    in_cron_d = os.path.basename(os.path.dirname(abspath)) == "cron.d"
    tab = Crontab(path, system, in_cron_d)
    tab.final_newline = text == "" or text.endswith("\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    tab.lines = lines
    env = {}
    for idx, raw in enumerate(lines):
        lineno = idx + 1
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _ENV.match(raw)
        if m and not _JOB_START.match(raw):
            value = m.group(2)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            tab.vars.append(Var(lineno, m.group(1), value))
            env[m.group(1)] = value
            continue
        job = Job(lineno, raw)
        job.env = dict(env)
        tab.jobs.append(job)
        if stripped.startswith("@"):
            toks, rest = _tokens(raw, 2 if system else 1)
            job.macro, job.macro_col = toks[0][0].lower(), toks[0][1]
            if system and len(toks) == 2:
                job.user, job.user_col = toks[1]
        else:
            toks, rest = _tokens(raw, 6 if system else 5)
            if len(toks) < 5:
                job.problem = ("a job needs five time fields and a command", 1)
                continue
            job.fields = toks[:5]
            if system and len(toks) == 6:
                job.user, job.user_col = toks[5]
        if rest is None and job.user is not None:
            # `m h dom mon dow command` in a system crontab: the command stands as the user
            job.command, job.command_col = job.user, job.user_col
            job.user = job.user_col = None
            continue
        if rest is None:
            job.problem = ("no command after the schedule", len(raw.rstrip()) + 1)
            continue
        job.command = raw[rest - 1:]
        job.command_col = rest
    return tab
