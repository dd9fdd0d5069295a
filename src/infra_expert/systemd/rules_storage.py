"""rclone run by systemd: the flags of `ExecStart=` lines (core `rclone.analyse`) and how an
`rclone mount` service is wired (rclone.org/commands/rclone_mount: systemd section)."""

from __future__ import annotations

from infra_expert.model import Hit, RuleSet
from infra_expert.systemd.model import names, service_type

rules = RuleSet("systemd")

_PREFIXES = "-@+!:|"


def _rclone_starts(doc):
    """(entry, words, ignore_failure) of each `ExecStart=` that runs rclone."""
    from infra_expert.rclone import rclone_index
    from infra_expert.shell import split_words
    unit = doc.model
    if unit.kind != "service":
        return []
    out = []
    for e in unit.get_all("Service", "ExecStart"):
        value = e.value.lstrip()
        prefix = value[:len(value) - len(value.lstrip(_PREFIXES))]
        words = split_words(value[len(prefix):])
        if words and words[0].rsplit("/", 1)[-1] in ("sh", "bash") and "-c" in words \
                and words.index("-c") + 1 < len(words):
            words = split_words(words[words.index("-c") + 1])
        if rclone_index(words) >= 0:
            out.append((e, words, "-" in prefix))
    return out


@rules.rule(
    "SD028", "warning", "reliability", "rclone run with flags that lose data or hide failures",
    "rclone's defaults are sound (3 retries, 10 low-level retries, 5 minute IO timeout); "
    "what hurts is what a unit adds: `--dry-run` left in (the job succeeds and copies "
    "nothing), retries or timeouts switched off, a mount without a VFS write cache (or "
    "with an unbounded one), `sync` from a remote onto a local folder (it deletes local "
    "files missing on the remote), and a `-` prefix that makes a failed transfer count as "
    "success (so `OnFailure=` never fires).",
    "Drop `--dry-run`; keep the retry and timeout defaults; mount with `--vfs-cache-mode "
    "writes --vfs-cache-max-size 10G`; prefer `copy` or add `--backup-dir`/`--max-delete` to "
    "`sync`; let a failed transfer fail the unit.",
    example="[Unit]\nWants=network-online.target\nAfter=network-online.target\n\n"
            "[Service]\nType=oneshot\nExecStart=/usr/bin/rclone copy /srv/backups "
            "b2:homelab-backups --max-delete 50\n")
def rclone_flags(doc, ctx):
    from infra_expert.rclone import analyse, combined, subcommand
    for entry, words, ignored in _rclone_starts(doc):
        said = analyse(words)
        found = subcommand(words)
        if ignored and found and found[0] in ("sync", "copy", "move", "bisync", "copyto",
                                              "moveto"):
            said.append((f"`ExecStart=-…rclone {found[0]}`: the `-` prefix makes a failed "
                         "transfer a success; `OnFailure=` never fires", "warning"))
        one = combined(said)
        if one:
            yield Hit(entry.line, one[0], path=entry.path,
                      severity=None if one[1] == "warning" else one[1])


@rules.rule(
    "SD029", "warning", "reliability", "rclone mount service not wired for systemd",
    "`rclone mount` tells systemd when the mount is ready (`Type=notify`); with "
    "`--daemon` it forks away and systemd loses the process it supervises. Without "
    "`Wants=`/`After=network-online.target` it starts before the network and fails at "
    "boot; with another `Type=` the units ordered after it start before the mount exists "
    "and write into the empty mount point.",
    "`Type=notify`, no `--daemon`, `Wants=network-online.target` and "
    "`After=network-online.target`, `Restart=on-failure`, and `ExecStop=/bin/fusermount -u "
    "MOUNTPOINT` (optional: rclone unmounts on SIGTERM).",
    example="[Unit]\nWants=network-online.target\nAfter=network-online.target\n\n"
            "[Service]\nType=notify\nExecStart=/usr/bin/rclone mount nas:media /mnt/media "
            "--vfs-cache-mode writes --vfs-cache-max-size 10G\nRestart=on-failure\n")
def rclone_mount_unit(doc, ctx):
    from infra_expert.rclone import subcommand
    unit = doc.model
    for entry, words, _ignored in _rclone_starts(doc):
        found = subcommand(words)
        if not found or found[0] not in ("mount", "cmount", "nfsmount"):
            continue
        flags = found[1]
        said = []
        if "--daemon" in flags:
            said.append("`rclone mount --daemon` under systemd: the process systemd "
                        "supervises exits at once; drop `--daemon` and use `Type=notify`")
        elif service_type(unit) != "notify":
            where = unit.entry("Service", "Type") or entry
            yield Hit(where.line, f"`rclone mount` in a `Type={service_type(unit)}` service: "
                                  "units after it start before the mount is ready; rclone "
                                  "supports `Type=notify`", path=where.path)
        wanted = {n for key in ("After", "Wants", "Requires", "BindsTo")
                  for n, _e in names(unit, "Unit", key)}
        if "network-online.target" not in wanted:
            said.append("`rclone mount` without `Wants=`/`After=network-online.target`: at "
                        "boot it starts before the network and fails")
        if said:
            yield Hit(entry.line, "; ".join(said), path=entry.path)
