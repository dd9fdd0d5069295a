"""rclone run by a Kestra flow: the rclone commands of script tasks (`commands:`,
`beforeCommands:`, a shell `script:`), judged by the core `rclone.analyse`.

Kestra has no rclone plugin (kestra.io/plugins lists none); flows run rclone from a shell
or script task, whose commands Kestra runs with `set -e` (`failFast`, the default), so a
failed transfer fails the task unless the command throws its status away.
"""

from __future__ import annotations

from infra_expert.kestra.model import nested_keys, strings, text_line
from infra_expert.model import Hit, RuleSet

rules = RuleSet("kestra")

_KEYS = frozenset({"commands", "beforeCommands"})


def _scripts(task):
    """(value, line) of each shell text of a task: the items of `commands` and
    `beforeCommands`, and the `script` of a shell Script task."""
    skip = ("description",) + tuple(nested_keys(task.node))
    shell_script = task.type.endswith((".shell.Script",))
    for key, value, line in strings(task.node, skip=skip):
        if key in _KEYS or (key == "script" and shell_script):
            if "rclone" in value:
                yield value, line


@rules.rule(
    "KS020", "warning", "reliability", "rclone task with flags that lose data or hide failures",
    "rclone's defaults are sound (3 retries, 10 low-level retries, 5 minute IO timeout); "
    "what hurts is what a task's command adds: `--dry-run` left in (the execution succeeds "
    "and copies nothing), `--interactive`, retries or timeouts switched off, `sync` from a "
    "remote onto a local folder (it deletes local files missing on the remote), output "
    "sent to /dev/null (the execution log shows nothing), and `|| true`, which turns a "
    "failed transfer into a success that no `errors:` branch or alert sees.",
    "Drop `--dry-run` and `|| true`; keep the retry and timeout defaults (or use the "
    "task's `retry:`); prefer `copy`, or add `--backup-dir`/`--max-delete` to `sync`; let "
    "rclone log to the execution (`--log-level INFO`, no redirect to /dev/null).",
    example='id: photos_backup\nnamespace: homelab.backup\ntasks:\n  - id: copy\n'
            '    type: io.kestra.plugin.scripts.shell.Commands\n    taskRunner:\n'
            '      type: io.kestra.plugin.core.runner.Process\n    commands:\n'
            '      - rclone copy /srv/photos b2:photos --log-level INFO\n')
def rclone_task(doc, ctx):
    from infra_expert.rclone import analyse, combined, ignored_message, script_runs, subcommand
    from infra_expert.shell import commands
    lines = doc.text.split("\n")
    for task in doc.model.tasks:
        for value, line in _scripts(task):
            text_lines = value.split("\n")
            for run in script_runs(commands(value), text_lines):
                said = analyse(run.words, discarded=run.discarded)
                found = subcommand(run.words)
                if run.ignored and found and found[0] in ("sync", "copy", "move", "bisync",
                                                          "copyto", "moveto"):
                    said.append(ignored_message(found[0]))
                one = combined(said)
                if not one:
                    continue
                index = sum(len(t) + 1 for t in text_lines[:run.line])
                yield Hit(text_line(lines, line, value, index),
                          f"task `{task.id}`: {one[0]}",
                          severity=None if one[1] == "warning" else one[1])
