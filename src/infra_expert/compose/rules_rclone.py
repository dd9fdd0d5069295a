"""rclone run by Compose: the flags of a service's rclone command (core `rclone.analyse`)
and how an `rclone mount` container shares its mount with the host and other services.

The `rclone/rclone` image runs `rclone` as its entrypoint, so its `command:` holds rclone's
arguments (`mount nas:media /data …`). Other images run rclone when their command starts
with it or a `sh -c` script calls it. `/dev/fuse`, `SYS_ADMIN` and `apparmor:unconfined`
are what a FUSE mount in a container needs: they are not judged here.
"""

from __future__ import annotations

import posixpath

from infra_expert.compose.walkers import each_service, environment, hit, item_hit, mounts
from infra_expert.model import RuleSet

rules = RuleSet("compose")

_MOUNTS = ("mount", "cmount", "nfsmount")
_SHARED = ("shared", "rshared")
_SEES_LATER = ("shared", "rshared", "slave", "rslave")
# What a `sh -c` script may do besides mounting and still be only a mount container.
_IDLE = frozenset({"sleep", "wait", "echo", "printf", "mkdir", "tail", "true", ":", "trap",
                   "exec", "rclone", "fusermount", "fusermount3", "umount", "set"})

EXAMPLE = """\
services:
  rclone:
    image: rclone/rclone:1.68.2
    restart: unless-stopped
    command: >-
      mount nas:media /data/media --vfs-cache-mode writes --vfs-cache-max-size 10G
      --cache-dir /cache --allow-other
    devices: [/dev/fuse]
    cap_add: [SYS_ADMIN]
    security_opt: ["apparmor:unconfined"]
    volumes:
      - ./rclone:/config/rclone:ro
      - /srv/rclone-cache:/cache
      - /mnt/media:/data/media:rshared
    healthcheck:
      test: ["CMD", "sh", "-c", "grep -q ' /data/media fuse' /proc/mounts"]
  jellyfin:
    image: jellyfin/jellyfin:10.10.3
    volumes:
      - /mnt/media:/media:ro,rslave
    depends_on:
      rclone:
        condition: service_healthy
"""


def _words(value):
    from infra_expert.shell import split_words
    if isinstance(value, list):
        return [str(w) for w in value if not isinstance(w, (dict, list))]
    if isinstance(value, str):
        return split_words(value)
    return []


def rclone_image(image):
    """The official image (`rclone/rclone`, on any registry), whose entrypoint is `rclone`."""
    if not isinstance(image, str) or not image.strip():
        return False
    from infra_expert.images import ImageRef
    return ImageRef(image.strip().lower()).repository == "rclone/rclone"


class Run:
    """One rclone command line of a service: its words, the key that holds it, whether it
    is the container's whole job (not one step of a longer script), and whether its output
    is sent to /dev/null (None: unknown)."""

    __slots__ = ("words", "key", "alone", "discarded", "doubled")

    def __init__(self, words, key, alone, discarded=None, doubled=False):
        self.words, self.key, self.alone = words, key, alone
        self.discarded, self.doubled = discarded, doubled


def runs(svc):
    """The rclone command lines a service runs."""
    from infra_expert.shell import SHELLS, commands
    entry, cmd = _words(svc.get("entrypoint")), _words(svc.get("command"))
    key = "entrypoint" if svc.get("entrypoint") is not None else "command"
    doubled = False
    if entry:
        full = entry + cmd
        if cmd and not any("rclone" in w for w in entry):
            key = "command"
    elif rclone_image(svc.get("image")):
        if not cmd:
            return []
        doubled = _is_rclone(cmd[0])       # `rclone rclone sync …`
        full = ["rclone"] + cmd
        key = "command"
    else:
        full = cmd
    if not full:
        return []
    head = full[0].rsplit("/", 1)[-1]
    if head in SHELLS and "-c" in full[1:3]:
        at = full.index("-c", 1)
        if at + 1 >= len(full):
            return []
        script = full[at + 1]
        found = commands(script)
        alone = all(c.name in _IDLE for c in found)
        out = []
        for c in found:
            if c.name == "rclone" and not c.nested:
                out.append(Run(["rclone"] + c.words[1:], key, alone,
                               discarded=_redirected(script, c)))
        return out
    if full[0] == "exec":
        full = full[1:]
    if full and _is_rclone(full[0]):
        return [Run(["rclone"] + full[1:], key, True, doubled=doubled)]
    return []


def _is_rclone(word):
    return word.rsplit("/", 1)[-1] == "rclone"


def _redirected(script, cmd):
    """Both output streams of the command on its script line sent to /dev/null."""
    lines = script.split("\n")
    if not 0 <= cmd.line < len(lines):
        return None
    text = lines[cmd.line].replace(" ", "")
    return "&>/dev/null" in text or (">/dev/null" in text and "2>&1" in text)


def _covering(mount_list, path):
    """The volume whose target holds `path` (the deepest), or None."""
    best = None
    for m in mount_list:
        target = posixpath.normpath(m.target) if m.target else ""
        if target and (path == target or path.startswith(target.rstrip("/") + "/")):
            if best is None or len(target) > len(posixpath.normpath(best.target)):
                best = m
    return best


def _host_path(mount, path):
    """Where `path` inside the container lives on the host, through a bind `mount`."""
    rel = posixpath.relpath(path, posixpath.normpath(mount.target))
    source = posixpath.normpath(mount.source)
    return source if rel == "." else posixpath.join(source, rel)


def _related(a, b):
    """One host path holds the other."""
    return a == b or a.startswith(b.rstrip("/") + "/") or b.startswith(a.rstrip("/") + "/")


def _cache_dir(svc, flags):
    """(path, shown) of the VFS cache inside the container, or (None, shown) when it
    depends on a home directory we cannot know."""
    value = flags.get("--cache-dir")
    if isinstance(value, str) and value.startswith("/"):
        return posixpath.normpath(value), f"`--cache-dir {value}`"
    xdg = environment(svc).get("XDG_CACHE_HOME")
    if xdg and xdg.startswith("/"):
        return posixpath.join(posixpath.normpath(xdg), "rclone"), "`$XDG_CACHE_HOME/rclone`"
    if svc.get("user") is None:
        return "/root/.cache/rclone", "`/root/.cache/rclone`, the default"
    return None, "`~/.cache/rclone`, the default"


def _in_memory(svc, path):
    tmpfs = svc.get("tmpfs")
    items = tmpfs if isinstance(tmpfs, list) else [tmpfs] if isinstance(tmpfs, str) else []
    for item in items:
        target = posixpath.normpath(str(item).split(":", 1)[0])
        if path == target or path.startswith(target + "/"):
            return True
    return False


def _mount_notes(svc, flags, operands, alone):
    """What the Compose wiring of an `rclone mount` gets wrong, as (message, index of the
    volume it is about or None)."""
    out = []
    mode = flags.get("--vfs-cache-mode")
    if mode in ("writes", "full"):
        path, shown = _cache_dir(svc, flags)
        vols = mounts(svc)
        if path is not None:
            held = _covering(vols, path) is not None or _in_memory(svc, path)
        else:
            held = any("cache" in m.target.lower() for m in vols)
        if not held:
            out.append((f"the VFS cache ({shown}) is not on a volume: it lives in the "
                        "container's writable layer, so files written but not yet uploaded "
                        "are lost when the container is recreated", None))
    if not alone or len(operands) < 2:
        return out
    point = operands[1]
    if not point.startswith("/") or "$" in point:
        return out
    point = posixpath.normpath(point)
    vol = _covering(mounts(svc), point)
    if vol is None:
        out.append((f"the mount point `{point}` is on no volume: the FUSE mount stays inside "
                    "this container and neither the host nor another service sees it; "
                    f"bind it with `:rshared` (`/mnt/x:{point}:rshared`)", None))
    elif not vol.bind:
        out.append((f"the mount point `{point}` is on the named volume `{vol.source}`: the "
                    "FUSE mount stays inside this container; bind a host directory with "
                    "`:rshared` instead", vol.index))
    elif vol.propagation not in _SHARED:
        out.append((f"the mount point `{point}` is bound without `:rshared` propagation: the "
                    "FUSE mount stays inside this container and the host (and any service "
                    "that binds the same directory) sees the empty directory", vol.index))
    return out


def _shared_host_path(svc, operands):
    """The host directory an `rclone mount` service shares its mount through, or None."""
    if len(operands) < 2 or not operands[1].startswith("/"):
        return None
    point = posixpath.normpath(operands[1])
    vol = _covering(mounts(svc), point)
    if vol is None or not vol.bind or vol.propagation not in _SHARED or "$" in vol.source:
        return None
    return _host_path(vol, point)


@rules.rule(
    "DC086", "warning", "reliability", "rclone service with flags or wiring that lose data",
    "rclone's defaults are sound (3 retries, 10 low-level retries, 5 minute IO timeout); "
    "what hurts is what a service's command adds: `--dry-run` left in, retries or timeouts "
    "switched off, a mount without a VFS write cache or with an unbounded one, `sync` from a "
    "remote onto a local folder. A mount in a container also needs wiring: the mount point "
    "bound with `:rshared` (or the mount never leaves the container), the VFS cache on a "
    "volume (or unsent writes vanish with the container), and the services that read the "
    "mount binding it with `:rslave` (or they keep the empty directory they saw at start).",
    "Drop `--dry-run`; keep the retry and timeout defaults; mount with `--vfs-cache-mode "
    "writes --vfs-cache-max-size 10G --cache-dir /cache` and a volume at `/cache`; bind the "
    "mount point `/mnt/x:/data:rshared`, bind it in readers as `/mnt/x:/media:rslave` and "
    "start them with `depends_on: {rclone: {condition: service_healthy}}`. The "
    "`rclone/rclone` image runs `rclone` itself: its `command:` starts at the subcommand.",
    example=EXAMPLE)
def rclone_service(doc, ctx):
    from infra_expert.rclone import analyse, combined, subcommand
    shared = []          # (host path, service) of well-wired mount services
    for svc in each_service(doc.model):
        for run in runs(svc):
            if run.doubled:
                h = hit(svc, run.key, "the `rclone/rclone` image already runs `rclone`: "
                        "`command: rclone …` runs `rclone rclone …`, which rclone refuses "
                        "(unknown command); start the command at the subcommand")
                h.severity = "critical"
                yield h
                continue
            said = analyse(run.words, discarded=run.discarded)
            found = subcommand(run.words)
            notes = []
            if found and found[0] in _MOUNTS:
                notes = _mount_notes(svc, found[1], found[2], run.alone)
                where = _shared_host_path(svc, found[2]) if run.alone else None
                if where is not None and not where.startswith("$"):
                    shared.append((where, svc))
            said += [(m, "warning") for m, index in notes if index is None]
            one = combined(said)
            if one:
                h = hit(svc, run.key, one[0])
                h.severity = None if one[1] == "warning" else one[1]
                yield h
            for message, index in notes:
                if index is not None:
                    yield item_hit(svc, "volumes", index, message)
    if not shared:
        return
    from infra_expert.compose.walkers import depends_on
    for svc in each_service(doc.model):
        if any(svc is owner for _p, owner in shared):
            continue
        for m in mounts(svc):
            if not m.bind or "$" in m.source or not m.source:
                continue
            source = posixpath.normpath(m.source)
            owner = next((o for p, o in shared if _related(source, p)), None)
            if owner is None or m.propagation in _SEES_LATER:
                continue
            waits = depends_on(svc).get(owner.name) == "service_healthy"
            yield item_hit(svc, "volumes", m.index,
                           f"`{m.source}` holds the rclone mount of service `{owner.name}` "
                           "but is bound without `:rslave`: this container keeps the "
                           "directory as it was when it started, so a mount that comes up "
                           "later or is remounted after a restart stays invisible here"
                           + ("" if waits else f"; also wait for it with `depends_on: "
                              f"{owner.name}: condition: service_healthy`"))
            break

