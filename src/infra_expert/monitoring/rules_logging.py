"""Rules for the files that keep logs bounded: Docker's daemon.json, journald.conf (and
its drop-ins), logrotate files."""

from __future__ import annotations

from infra_expert.model import Hit, Pass, RuleSet
from infra_expert.monitoring.model import DaemonJson, Logrotate, journald
from infra_expert.units import Unit

rules = RuleSet("monitoring")


def _daemon(doc):
    return doc.model if doc.kind == "logging" and isinstance(doc.model, DaemonJson) else None


@rules.rule(
    "MO028", "warning", "reliability", "Docker logs without rotation (daemon.json)",
    "Docker's default `json-file` log driver keeps every line a container ever wrote: one "
    "chatty container fills the disk (on a Pi, the SD card) and takes every other service "
    "down with it. `log-opts` values must be strings: `\"max-file\": 3` stops dockerd "
    "from starting.",
    "Set `\"log-driver\": \"local\"` (rotated and compressed by default) or keep json-file "
    "with `\"log-opts\": {\"max-size\": \"10m\", \"max-file\": \"3\"}` — values quoted.",
    positive="Docker rotates container logs (`{how}`)",
    example=('{\n'
             '  "log-driver": "json-file",\n'
             '  "log-opts": {\n'
             '    "max-size": "10m",\n'
             '    "max-file": "3"\n'
             '  }\n'
             '}'))
def docker_log_rotation(doc, ctx):
    d = _daemon(doc)
    if d is None:
        return
    data = d.data
    driver = str(data.get("log-driver", "json-file"))
    opts = data.get("log-opts") if isinstance(data.get("log-opts"), dict) else {}
    bad = [k for k, v in opts.items() if not isinstance(v, str)]
    if bad:
        yield Hit(d.line("log-opts"), f"`log-opts` {', '.join(bad)} must be strings: dockerd "
                                      "refuses to start", severity="critical")
    if driver == "json-file" and "max-size" not in opts:
        line = d.line("log-opts") if "log-opts" in data else d.line("log-driver") \
            if "log-driver" in data else 1
        yield Hit(line, "json-file logs without `max-size`: container logs grow without limit")
    elif driver == "local" or "max-size" in opts:
        yield Pass(d.line("log-driver") if "log-driver" in data else d.line("log-opts"),
                   how=f"{driver}" + (f", max-size {opts['max-size']}" if "max-size" in opts
                                      else ""))


def _journald(doc):
    if doc.kind == "logging" and isinstance(doc.model, Unit):
        return doc.model
    return None


@rules.rule(
    "MO029", "suggestion", "performance", "journald without a size cap",
    "Persistent journald keeps up to 10% of the filesystem (at most 4G) by default: on a "
    "small SD card or eMMC that is space and write wear the services need more.",
    "Set `SystemMaxUse=` (e.g. `200M` on a Pi) in `/etc/systemd/journald.conf.d/size.conf`, "
    "or `Storage=volatile` when logs are shipped elsewhere.",
    positive="journald is capped (`{how}`)",
    example=("[Journal]\n"
             "Storage=persistent\n"
             "SystemMaxUse=200M\n"
             "MaxRetentionSec=1month"))
def journald_cap(doc, ctx):
    unit = _journald(doc)
    if unit is None or not unit.has_section("Journal"):
        return
    docs, values = journald([d for d in ctx.documents if d.domain == "monitoring"])
    storage = values.get("Storage", "auto").lower()
    if storage in ("volatile", "none"):
        yield Pass(unit.first_section("Journal").line, how=f"Storage={storage}")
        return
    if values.get("SystemMaxUse"):
        yield Pass(unit.first_section("Journal").line, how=f"SystemMaxUse={values['SystemMaxUse']}")
        return
    if docs and docs[0] is doc or doc.path.endswith("journald.conf"):
        yield Hit(unit.first_section("Journal").line, "no `SystemMaxUse=`: the journal may "
                                                      "take 10% of the disk (up to 4G)")


def _logrotate(doc):
    return doc.model if doc.kind == "logrotate" and isinstance(doc.model, Logrotate) else None


_FREQUENCY = ("hourly", "daily", "weekly", "monthly", "yearly", "size", "maxsize")


@rules.rule(
    "MO030", "suggestion", "reliability", "logrotate block without a rotation count",
    "Without `rotate N` a block inherits the count from logrotate.conf — or keeps 0 old "
    "files where none is set — so how much history survives depends on a file elsewhere; "
    "without a frequency or `maxsize` a fast-growing log waits a whole week to rotate.",
    "Say it in the block: `rotate 7`, `daily` (or `maxsize 100M`), `compress`, `missingok`.",
    example=("/var/log/app/*.log {\n"
             "    daily\n"
             "    rotate 7\n"
             "    compress\n"
             "    missingok\n"
             "    notifempty\n"
             "}"))
def logrotate_limits(doc, ctx):
    lr = _logrotate(doc)
    if lr is None:
        return
    global_rotate = "rotate" in lr.globals or any(
        "rotate" in d.model.globals for d in ctx.documents
        if d.domain == "monitoring" and _logrotate(d) is not None)
    global_freq = any(k in lr.globals for k in _FREQUENCY)
    for b in lr.blocks:
        missing = []
        if "rotate" not in b.directives and not global_rotate:
            missing.append("`rotate`")
        if not any(k in b.directives for k in _FREQUENCY) and not global_freq and \
                doc.path.endswith("logrotate.conf"):
            missing.append("a frequency or `maxsize`")
        if missing:
            yield Hit(b.line, f"`{' '.join(b.paths)}` has no {' and no '.join(missing)}")


@rules.rule(
    "MO031", "warning", "reliability", "logrotate pattern that matches rotated files",
    "A pattern ending in `*` (or `*.log*`) also matches `app.log.1` and `app.log-20240101`: "
    "logrotate rotates the rotated files again every run (`app.log.1.1.1…`), and the "
    "number of files explodes.",
    "Match the live files only: `/var/log/app/*.log`.",
    example=("/var/log/app/*.log {\n"
             "    daily\n"
             "    rotate 7\n"
             "    compress\n"
             "    delaycompress\n"
             "    missingok\n"
             "}"))
def logrotate_glob(doc, ctx):
    lr = _logrotate(doc)
    if lr is None:
        return
    for b in lr.blocks:
        if "olddir" in b.directives:
            continue
        for p in b.paths:
            if p.endswith("*") and not p.endswith("**"):
                yield Hit(b.line, f"`{p}` also matches the files it rotates")


@rules.rule(
    "MO032", "warning", "performance", "Debug logging turned on in daemon.json",
    "`\"debug\": true` or `\"log-level\": \"debug\"` makes dockerd log every API call: "
    "the journal grows fast, the disk wears, and request details end up in logs.",
    "Remove `debug` / set `\"log-level\": \"info\"` once the investigation is over.",
    example=('{\n'
             '  "log-driver": "local",\n'
             '  "log-level": "info"\n'
             '}'))
def docker_debug(doc, ctx):
    d = _daemon(doc)
    if d is None:
        return
    if d.data.get("debug") is True:
        yield Hit(d.line("debug"), "`\"debug\": true`")
    level = str(d.data.get("log-level", "")).lower()
    if level in ("debug", "trace"):
        yield Hit(d.line("log-level"), f"`\"log-level\": \"{level}\"`")

