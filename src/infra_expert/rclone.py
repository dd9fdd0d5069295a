"""What a senior reviewer says about one rclone command line (rclone.org/docs, `rclone help
flags`, rclone 1.60 defaults verified): shared by the domains that run commands (systemd
`ExecStart=`, crontab jobs).

`analyse(words)` takes the words of a command (split, quotes removed; shell words such as
`||`, `>` and `2>&1` may follow) and returns [(message, severity)]. Defaults are not
reported: `--retries` (3), `--low-level-retries` (10), `--timeout` (5m) and `--contimeout`
(1m) are sound when absent; only values that switch them off are. Messages quote flags and
remote names, never a value of a secret (rclone takes none on the command line we judge).
"""

from __future__ import annotations

# global flags that take a value as the next word (when written without `=`)
_TAKES_VALUE = frozenset({
    "--config", "--log-file", "--log-level", "--retries", "--retries-sleep",
    "--low-level-retries", "--timeout", "--contimeout", "--transfers", "--checkers",
    "--bwlimit", "--tpslimit", "--backup-dir", "--suffix", "--max-delete", "--cache-dir",
    "--vfs-cache-mode", "--vfs-cache-max-size", "--vfs-cache-max-age", "--vfs-write-back",
    "--vfs-cache-min-free-space", "--vfs-cache-poll-interval",
    "--vfs-read-chunk-size", "--vfs-read-chunk-size-limit", "--buffer-size",
    "--dir-cache-time", "--poll-interval", "--umask", "--uid", "--gid", "--filter",
    "--filter-from", "--include", "--include-from", "--exclude", "--exclude-from",
    "--min-age", "--max-age", "--min-size", "--max-size", "--stats", "--password-command",
    "--order-by", "--max-transfer", "--cutoff-mode", "--compare-dest", "--copy-dest",
    "--max-duration", "--user-agent", "--stats-log-level",
    "--volname", "--attr-timeout", "--daemon-timeout", "--max-backlog", "--dump",
    "--bind", "--rc-addr", "--files-from", "--multi-thread-streams",
    "--drive-chunk-size", "--s3-chunk-size", "--log-format",
    "--track-renames-strategy", "--exclude-if-present",
    "-o", "--option", "--fuse-flag", "--devname",
})
_SHORT_VALUE = frozenset({"-o"})
_TRANSFER = frozenset({"sync", "copy", "move", "bisync", "copyto", "moveto"})
_MOUNT = frozenset({"mount", "cmount", "nfsmount"})
# subcommands that change something, where `--dry-run` means "do nothing"
_CHANGES = _TRANSFER | frozenset({"delete", "deletefile", "purge", "rmdir", "rmdirs",
                                  "dedupe", "cleanup", "copyurl", "rcat", "touch", "mkdir",
                                  "settier", "link"})
_SHELL_OPS = frozenset({"||", "&&", ";", "|", "&"})


def _flags(args):
    """({flag: value or True}, operands) of rclone's arguments up to a shell operator."""
    flags, operands, i = {}, [], 0
    while i < len(args):
        a = args[i]
        if a in _SHELL_OPS or a.startswith((">", "2>", "&>", "1>")):
            break
        if a.startswith("--") and len(a) > 2:
            name, eq, value = a.partition("=")
            if eq:
                flags[name] = value
            elif name in _TAKES_VALUE and i + 1 < len(args):
                flags[name] = args[i + 1]
                i += 1
            else:
                flags[name] = True
        elif a.startswith("-") and len(a) > 1 and a != "-":
            if a in _SHORT_VALUE and i + 1 < len(args):
                i += 1
            else:
                for ch in a[1:]:
                    flags["-" + ch] = True
        else:
            operands.append(a)
        i += 1
    return flags, operands


def _number(value):
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _zero_duration(value):
    v = str(value).strip().lower()
    return v in ("0", "0s", "0ms", "0m", "0h", "off")


def is_remote(path):
    """`name:path` or `:backend:path` (not `C:\\`, not `./a:b`, not `/a:b`)."""
    if path.startswith(("/", "./", "../", "~")) or ":" not in path:
        return False
    head = path.split(":", 1)[0] if not path.startswith(":") else path[1:].split(":", 1)[0]
    if len(head) == 1 and path[1:3] in (":\\", ":/"):
        return False                     # a Windows drive
    return bool(head) and all(c.isalnum() or c in "_-. " for c in head)


def rclone_index(words):
    """The index of the `rclone` word, or -1."""
    for i, w in enumerate(words):
        if w.rsplit("/", 1)[-1] == "rclone":
            return i
        if w in _SHELL_OPS:
            continue
    return -1


def subcommand(words):
    """(subcommand, flags, operands) of the rclone invocation in `words`, or None."""
    at = rclone_index(words)
    if at < 0:
        return None
    flags, operands = _flags(words[at + 1:])
    if not operands:
        return None
    return operands[0], flags, operands[1:]


def _discarded(words, flags):
    """Output sent to /dev/null (both streams) and no `--log-file`."""
    if "--log-file" in flags:
        return False
    joined = " ".join(words)
    return ("&>/dev/null" in joined.replace(" ", "") or
            (">/dev/null" in joined.replace(" ", "") and "2>&1" in joined))


def _cache_bounded(flags):
    """A cap on the VFS cache: `--vfs-cache-max-size` (not `off`/`-1`), or
    `--vfs-cache-min-free-space` (rclone 1.62+: stop growing when the disk runs low)."""
    size = flags.get("--vfs-cache-max-size")
    if isinstance(size, str) and size.strip().lower() not in ("", "off", "-1"):
        return True
    return isinstance(flags.get("--vfs-cache-min-free-space"), str) and \
        flags["--vfs-cache-min-free-space"].strip().lower() not in ("", "off", "-1")


def analyse(words, discarded=None):
    """[(message, severity)] about the rclone invocation in `words` ([] if none).
    `discarded`: whether the caller knows that the command's output goes to /dev/null
    (a shell reader that dropped the redirections); None: look for them in `words`."""
    found = subcommand(words)
    if found is None:
        return []
    sub, flags, operands = found
    out = []
    if ("--dry-run" in flags or "-n" in flags) and sub in _CHANGES:
        out.append((f"`rclone {sub} --dry-run` left in: the job reports success and "
                    "transfers nothing", "warning"))
    if "--interactive" in flags or "-i" in flags:
        out.append((f"`rclone {sub} --interactive` waits for an answer nobody gives in "
                    "an unattended run", "warning"))
    retries = _number(flags.get("--retries", ""))
    if retries is not None and retries <= 1:
        out.append((f"`--retries {retries}` switches off rclone's whole-run retries "
                    "(default 3): one flaky moment fails the run", "warning"))
    low = _number(flags.get("--low-level-retries", ""))
    if low is not None and low <= 1:
        out.append((f"`--low-level-retries {low}` switches off per-request retries "
                    "(default 10)", "warning"))
    for flag, what in (("--timeout", "an idle transfer"), ("--contimeout", "a connection")):
        if flag in flags and _zero_duration(flags[flag]):
            out.append((f"`{flag} 0` disables the timeout: {what} to an unreachable remote "
                        "hangs forever", "warning"))
    if sub in _MOUNT:
        mode = flags.get("--vfs-cache-mode")
        if mode in (None, True, "off") and "--read-only" not in flags:
            # read-only: no writes to break, and rclone seeks reads without a cache
            out.append((f"`rclone {sub}` with `--vfs-cache-mode "
                        f"{'off (the default)' if mode is None else 'off'}`: programs that "
                        "open a file for read and write or seek while writing fail; use "
                        "`--vfs-cache-mode writes` (or `full`)", "warning"))
        elif mode in ("writes", "full", "minimal") and not _cache_bounded(flags):
            where = (f"`--cache-dir {flags['--cache-dir']}`"
                     if isinstance(flags.get("--cache-dir"), str) else
                     "`~/.cache/rclone`, the default `--cache-dir`")
            cap = ("`--vfs-cache-max-size off`" if "--vfs-cache-max-size" in flags
                   else "without `--vfs-cache-max-size`")
            out.append((f"`--vfs-cache-mode {mode}` {cap}: the "
                        "local cache has no cap and grows until the disk holding it "
                        f"({where}) is full", "warning"))
    if sub == "sync" and len(operands) >= 2:
        src, dst = operands[0], operands[1]
        guarded = any(f in flags for f in ("--backup-dir", "--max-delete", "--dry-run", "-n"))
        if not guarded and is_remote(src) and not is_remote(dst):
            backup = any(w in dst.lower() for w in ("backup", "archive", "snapshot"))
            out.append((f"`rclone sync {src} {dst}` makes the local folder a mirror of the "
                        "remote: local files missing there are deleted, so a wiped or "
                        "wrong remote path empties it"
                        + (" — and this looks like the backup copy" if backup else "")
                        + "; use `copy`, or `--backup-dir`/`--max-delete`",
                        "warning" if backup else "suggestion"))
    if discarded is None:
        discarded = _discarded(words, flags)
    elif "--log-file" in flags:
        discarded = False
    if sub in _TRANSFER and discarded:
        out.append((f"`rclone {sub}` output goes to /dev/null and there is no "
                    "`--log-file`: a failed transfer leaves no trace", "warning"))
    return out


_RANK = {"critical": 0, "warning": 1, "suggestion": 2}


def combined(found):
    """One (message, severity) for several findings about one command line: the messages
    joined, the highest severity; None for none."""
    if not found:
        return None
    severity = min((s for _m, s in found), key=_RANK.__getitem__)
    return "; ".join(m for m, _s in found), severity


class ScriptRun:
    """One rclone command of a shell script: the Command, its words (starting at
    `rclone`), its 0-based line, whether its output goes to /dev/null, whether `|| true`
    (or `|| :`) throws its exit status away, and whether something checks that status
    (`if`, `&&`, `||`, a `$?` test right after)."""

    __slots__ = ("cmd", "words", "line", "discarded", "ignored", "checked")

    def __init__(self, cmd, words, line, discarded, ignored, checked):
        self.cmd, self.words, self.line = cmd, words, line
        self.discarded, self.ignored, self.checked = discarded, ignored, checked


_CONDITION_WORDS = ("if ", "elif ", "while ", "until ", "! ")


def script_runs(cmds, lines):
    """The rclone commands among `cmds` (from `shell.commands`) of a script whose text is
    `lines` (commands keep their line numbers in it)."""
    out = []
    for i, c in enumerate(cmds):
        if c.name != "rclone" or c.nested:
            continue
        text, j = "", c.line
        while 0 <= j < len(lines):          # the command's line and its continuations
            text += lines[j].rstrip("\\") + " "
            if not lines[j].rstrip().endswith("\\"):
                break
            j += 1
        flat = text.replace(" ", "")
        discarded = "&>/dev/null" in flat or (">/dev/null" in flat and "2>&1" in flat)
        nxt = cmds[i + 1] if i + 1 < len(cmds) else None
        ignored = c.sep_after == "||" and nxt is not None and nxt.sep_before == "||" \
            and nxt.name in ("true", ":") and len(nxt.words) == 1
        head = lines[c.line].lstrip() if 0 <= c.line < len(lines) else ""
        checked = c.sep_after in ("&&", "||") or head.startswith(_CONDITION_WORDS) \
            or (nxt is not None and any("$?" in w for w in nxt.words))
        out.append(ScriptRun(c, ["rclone"] + list(c.words[1:]), c.line, discarded, ignored,
                             checked))
    return out


def ignored_message(sub):
    return (f"`rclone {sub} … || true` throws the exit status away: a failed transfer "
            "counts as success and nothing after it knows", "warning")
