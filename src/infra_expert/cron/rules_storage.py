"""rclone run by cron: the flags of a job's rclone command (core `rclone.analyse`)."""

from __future__ import annotations

from infra_expert.model import Hit, RuleSet

rules = RuleSet("cron")


@rules.rule(
    "CR013", "warning", "reliability", "rclone job with flags that lose data or hide failures",
    "rclone's defaults are sound (3 retries, 10 low-level retries, 5 minute IO timeout); "
    "what hurts is what a crontab line adds: `--dry-run` left in (the job succeeds and "
    "copies nothing), `--interactive` (waits for an answer), retries or timeouts switched "
    "off, a mount without a VFS write cache (or with an unbounded one), `sync` from a "
    "remote onto a local folder (it deletes local files missing on the remote), and output "
    "sent to /dev/null without `--log-file` (a failed transfer leaves no trace).",
    "Drop `--dry-run`; keep the retry and timeout defaults; prefer `copy` or add "
    "`--backup-dir`/`--max-delete` to `sync`; log with `--log-file /var/log/rclone.log "
    "--log-level INFO` (rotated) instead of discarding output.",
    example="MAILTO=ops@example.org\n"
            "30 3 * * * root /usr/bin/rclone copy /srv/backups b2:homelab-backups "
            "--log-file /var/log/rclone-backup.log --log-level INFO\n")
def rclone_job(doc, ctx):
    from infra_expert.rclone import analyse, combined
    from infra_expert.shell import split_words
    for job in doc.model.jobs:
        if job.problem is not None or "rclone" not in job.command:
            continue
        one = combined(analyse(split_words(job.command)))
        if one:
            yield Hit(job.line, one[0], column=job.command_col,
                      severity=None if one[1] == "warning" else one[1])
