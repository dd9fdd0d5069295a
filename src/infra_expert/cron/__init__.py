"""The cron domain: user crontabs, `/etc/crontab` and `/etc/cron.d/*` files."""

from __future__ import annotations

import os
import re

from infra_expert.domain import Domain
from infra_expert.lazyre import lazy_re
from infra_expert.model import Suppression
from infra_expert.suppress import line_comment_suppressions

NAME = "cron"
def _rulesets():
    """The rule modules, imported when a review has files of this domain (or the
    catalogue asks): a one-file review does not pay for the others."""
    from infra_expert.cron import rules, rules_storage
    return (rules.rules, rules_storage.rules)

# a job line: an @ macro, or five schedule fields, then a command
_CRON_LINE = lazy_re(r"^[ \t]*(?:@(?:reboot|yearly|annually|monthly|weekly|daily|midnight|"
                     r"hourly)|(?:[0-9*/,-]+[ \t]+){2}[0-9*/,?LW#-]+[ \t]+[0-9A-Za-z*/,-]+"
                     r"[ \t]+[0-9A-Za-z*/,?L#-]+)[ \t]+\S", re.MULTILINE)
_FOLDERS = ("cron.d", "crontabs")


def _folder(where):
    return getattr(where, "folder", "") if where is not None else ""


def by_name(name):
    lower = name.lower()
    if lower in ("crontab", "root.crontab") or (
            lower.endswith((".cron", ".crontab")) and not lower.startswith(".")):
        return "crontab"
    return None


def _looks_like_crontab(text, strict=False):
    """A job line somewhere; `strict`: the first line that is not blank or a comment is a
    job or a variable too."""
    if not _CRON_LINE.search(text):
        return False
    if not strict:
        return True
    from infra_expert.cron.model import _ENV
    for raw in text.split("\n"):
        s = raw.strip()
        if s and not s.startswith("#"):
            return bool(_ENV.match(s) or _CRON_LINE.match(raw))
    return False


def confirm(kind, text, where):
    """A `crontab` or `*.cron` file that holds something else (a script, YAML): not ours."""
    return kind if _looks_like_crontab(text) else None


def by_content(head, name, where):
    """Extension-less files in a `cron.d` or `crontabs` folder whose content is a crontab."""
    if _folder(where) in _FOLDERS and "." not in name.lstrip(".") and \
            _looks_like_crontab(head, strict=True):
        return "crontab"
    return None


def load(docs, ctx):
    from infra_expert.cron.model import parse_crontab
    failures = []
    for doc in docs:
        try:
            doc.model = parse_crontab(doc.text, doc.path, doc.abspath)
            folder = os.path.dirname(doc.abspath)
            doc.model.in_image = any(n == "Dockerfile" or n.endswith((".Dockerfile",
                                                                      ".dockerfile"))
                                     or n.startswith("Dockerfile.")
                                     for n in ctx.gate.listdir(folder))
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on
            failures.append((doc, type(exc).__name__))
    return failures


def suppressions(doc, peer_index):
    """`# infra-expert: ignore=CR002 reason` on the line before a job, or `ignore-file=`
    anywhere. A `#` after a command is part of the command, so no trailing comments."""
    return line_comment_suppressions(doc.path, doc.text, peer_index, Suppression,
                                     markers="#", trailing=False)


def resources(docs):
    """Each job's schedule, its OnCalendar= equivalent (for the host's schedule overlap
    check) and the heavy program it runs, if any (`pg_dump`: never the command itself,
    which may hold a secret)."""
    from infra_expert.knowledge import heavy_command
    from infra_expert.oncalendar import cron_calendars
    rows = []
    for doc in docs:
        for job in doc.model.jobs:
            if job.problem is None:
                schedule = job.schedule()
                rows.append({"path": doc.path, "line": job.line, "schedule": schedule,
                             "calendar": cron_calendars(schedule, job.env.get("CRON_TZ"))
                             or [], "heavy": heavy_command(job.command)})
    return {"jobs": rows} if rows else {}


def consumers(res):
    """Every job runs to completion, at its schedule."""
    return [{"name": f"cron job (line {row['line']})", "path": row["path"],
             "line": row["line"], "group": "the host's scheduled jobs", "memory_limit": None,
             "memory_request": None, "cpu_limit": None, "schedule": "batch",
             "optional": False, "image": None, "calendar": row.get("calendar") or [],
             "heavy": row.get("heavy")}
            for row in res.get("jobs", [])]


def show_resources(res, out):
    rows = res.get("jobs", [])
    if not rows:
        return []
    from infra_expert.cron.rules import timer_equivalent
    lines = ["| Crontab | Line | Schedule | systemd timer |", "|---|---|---|---|"]
    shown = rows if out.full else rows[:3 * out.rows]
    for row in shown:
        lines.append(f"| {out.cell(out.code(row['path']))} | {row['line']} | "
                     f"{out.cell(out.code(row['schedule']))} | "
                     f"{out.cell(timer_equivalent(row['schedule']))} |")
    lines.append("")
    if len(shown) < len(rows):
        lines.extend([f"+{len(rows) - len(shown)} jobs; `--full` lists every one.", ""])
    return lines


DOMAIN = Domain(
    NAME, "CR", "cron", _rulesets, noun=("crontab", "crontabs"),
    by_name=by_name, confirm=confirm, by_content=by_content, sniff=("",), load=load,
    suppressions=suppressions, resources=resources, show_resources=show_resources,
    consumers=consumers, fence="crontab", example_names=("etc/cron.d/backup",))
