"""Live source: the host itself (memory, swap/zram, CPUs, architecture, cgroups, disks of
the data and log paths) and, when systemd runs, its units and timers.

Host facts come from files (`/proc/meminfo`, `/proc/swaps`, `/sys/…`) and
`shutil.disk_usage`, every path under `root` (tests give a fake tree). systemd is asked
through `live.execute` only: `systemctl list-units --all --output=json` (the plain table
when JSON is not supported), `systemctl show --property=…` for services, timers and
failed units; unit files (fragment and drop-ins) are read from disk only under the
systemd directories, and only for units an administrator installed or changed (a file
or drop-in under `/etc/systemd` or `/run/systemd`): the distribution's own units are
judged by their state, not their files. Values of `Environment=` and `SetCredential=`
are dropped before the text is kept (the names stay; a literal secret is remembered by
name only, in `secret_env`).
"""

from __future__ import annotations

import os
import re

from infra_expert.live.execute import Unreachable
from infra_expert.live.synth import synthesizer

UNIT_DIRS = ("/etc/systemd", "/usr/lib/systemd", "/lib/systemd", "/run/systemd")
ADMIN_DIRS = ("/etc/systemd", "/run/systemd")
DATA_PATHS = ("/", "/var/lib/docker", "/var/lib/containers", "/var/log")
PROPERTIES = ("Id", "Type", "LoadState", "ActiveState", "SubState", "Result", "NRestarts",
              "FragmentPath", "DropInPaths", "UnitFileState", "Unit", "Triggers",
              "TriggeredBy", "LastTriggerUSec", "NextElapseUSecRealtime",
              "NextElapseUSecMonotonic", "ActiveEnterTimestampMonotonic", "MemoryCurrent",
              "MemoryMax", "MemoryHigh", "ExecMainStatus", "ExecMainCode", "Restart")
SHOWN_KINDS = ("service", "timer")
MAX_UNIT_FILE = 256 * 1024
CHUNK = 64
_UNSET = ("", "n/a", "[not set]", "infinity", "0")


# -- host facts ----------------------------------------------------------------------

def _read(root, path, limit=1 << 20):
    try:
        with open(os.path.join(root, path.lstrip("/")), encoding="utf-8",
                  errors="replace") as fh:
            return fh.read(limit)
    except OSError:
        return None


def _meminfo(text):
    out = {}
    for line in (text or "").splitlines():
        key, _, rest = line.partition(":")
        words = rest.split()
        if words and words[0].isdigit():
            out[key.strip()] = int(words[0]) * (1024 if words[1:2] == ["kB"] else 1)
    return out


def _swaps(text):
    """[{name, type, size}] of /proc/swaps (sizes in KiB there, bytes here)."""
    out = []
    for line in (text or "").splitlines()[1:]:
        words = line.split()
        if len(words) >= 3 and words[2].isdigit():
            out.append({"name": words[0], "type": words[1], "size": int(words[2]) * 1024})
    return out


def arch_name(machine):
    m = (machine or "").lower()
    if m in ("x86_64", "amd64"):
        return "amd64"
    if m in ("aarch64", "arm64", "aarch64_be"):
        return "arm64"
    if m.startswith("arm"):
        return "arm"
    return m or None


def _cpus(root):
    if root == "/":
        from infra_expert.scale import usable_cpus
        return usable_cpus()
    text = (_read(root, "/sys/devices/system/cpu/online") or "").strip()
    count = 0
    for part in filter(None, text.split(",")):
        lo, _, hi = part.partition("-")
        try:
            count += int(hi or lo) - int(lo) + 1
        except ValueError:
            return None
    return count or None


def _cgroup(root):
    """(version, memory controller on) — v2 by its `cgroup.controllers`."""
    controllers = _read(root, "/sys/fs/cgroup/cgroup.controllers")
    if controllers is not None:
        return 2, "memory" in controllers.split()
    if not os.path.isdir(os.path.join(root, "sys/fs/cgroup")):
        return None, None
    for line in (_read(root, "/proc/cgroups") or "").splitlines():
        words = line.split()
        if len(words) >= 4 and words[0] == "memory":
            return 1, words[3] == "1"
    return 1, False


def _mounts(root):
    """[(mount point, source)] from mountinfo, longest mount point first."""
    out = []
    for line in (_read(root, "/proc/self/mountinfo") or "").splitlines():
        words = line.split()
        if " - " not in line or len(words) < 5:
            continue
        after = line.split(" - ", 1)[1].split()
        if len(after) >= 2:
            out.append((words[4].replace("\\040", " "), after[1]))
    return sorted(out, key=lambda m: -len(m[0]))


def _disk_name(root, source):
    name = os.path.basename(source or "")
    if not source.startswith("/dev/") or not name:
        return None
    if os.path.isdir(os.path.join(root, "sys/block", name)):
        return name
    m = re.fullmatch(r"(.*\d)p\d+|(\D+)\d+", name)     # mmcblk0p2, nvme0n1p1, sda1
    disk = m and (m.group(1) or m.group(2))
    return disk if disk and os.path.isdir(os.path.join(root, "sys/block", disk)) else None


def storage_kind(root, source):
    """`sd` (an SD/eMMC card), `ssd`, `hdd`, or None when not cheaply known (virtual
    disks say `rotational` whatever lies below)."""
    disk = _disk_name(root, source)
    if disk is None:
        return None
    if disk.startswith("mmcblk"):
        return "sd"
    if disk.startswith(("vd", "xvd", "loop", "zram", "dm-", "md", "nbd")):
        return None
    flag = (_read(root, f"/sys/block/{disk}/queue/rotational") or "").strip()
    return {"0": "ssd", "1": "hdd"}.get(flag)


def _disks(root):
    import shutil
    mounts = _mounts(root)
    out = []
    for path in DATA_PATHS:
        full = os.path.join(root, path.lstrip("/"))
        if not os.path.isdir(full):
            continue
        try:
            usage = shutil.disk_usage(full)
            device = os.stat(full).st_dev
        except OSError:
            continue
        mount, source = next(((m, s) for m, s in mounts
                              if path == m or path.startswith(m.rstrip("/") + "/")),
                             (None, None))
        out.append({"path": path, "size": usage.total, "used": usage.used,
                    "free": usage.free, "device": device, "mount": mount,
                    "source": source, "storage": storage_kind(root, source or "")})
    return out


def host_facts(root="/"):
    """The host's own facts (see `live.model`), every path under `root`."""
    import platform
    mem = _meminfo(_read(root, "/proc/meminfo"))
    swaps = _swaps(_read(root, "/proc/swaps"))
    cgroup, memory_controller = _cgroup(root)
    disks = _disks(root)
    data_disk = next((d for d in disks if d["path"] == "/var/lib/docker"), None) or \
        next((d for d in disks if d["path"] == "/"), None)
    uptime = (_read(root, "/proc/uptime") or "").split()
    facts = {"memory": mem.get("MemTotal"), "available": mem.get("MemAvailable"),
             "swap": mem.get("SwapTotal", sum(s["size"] for s in swaps)),
             "swaps": swaps, "zram": any("zram" in s["name"] for s in swaps),
             "cpus": _cpus(root), "arch": arch_name(platform.machine()),
             "cgroup": cgroup, "memory_controller": memory_controller,
             "disks": disks, "storage": data_disk and data_disk["storage"],
             "kubelet": os.path.isdir(os.path.join(root, "var/lib/kubelet"))}
    try:
        facts["uptime"] = float(uptime[0])
    except (IndexError, ValueError):
        pass
    return facts


def as_host(facts):
    """The host of the 📊 section, from the facts read on it."""
    from infra_expert.hosts import GIB, Host
    memory = facts.get("memory")
    if not isinstance(memory, int) or memory <= 0:
        return None
    cpus = facts.get("cpus")
    cpus = cpus if isinstance(cpus, (int, float)) and cpus > 0 else None
    arch = facts.get("arch") if facts.get("arch") in ("amd64", "arm64", "arm") else None
    storage = facts.get("storage") if facts.get("storage") in ("sd", "ssd", "hdd") else None
    name = facts.get("hostname") or "this host"
    label = f"{name} (read live: {memory / GIB:.1f} GiB" + (
        f", {cpus:g} CPU)" if cpus else ")")
    return Host("live", label, memory, cpus, arch, storage)


# -- systemd -------------------------------------------------------------------------

def systemd_running(root="/"):
    """What sd_booted() checks: systemd is PID 1 when /run/systemd/system exists."""
    return os.path.isdir(os.path.join(root, "run/systemd/system"))


def _pid1(root):
    return (_read(root, "/proc/1/comm") or "").strip() or "unknown"


def _plain_units(text):
    """`systemctl list-units --plain --no-legend` rows (a failed unit may start with ●)."""
    out = []
    for line in text.splitlines():
        words = line.split(None, 4)
        if words and words[0] in ("●", "*"):
            words = line.split(None, 5)[1:]
        if len(words) >= 4:
            out.append({"unit": words[0], "load": words[1], "active": words[2],
                        "sub": words[3], "description": words[4] if len(words) > 4 else ""})
    return out


def list_units(run, run_json, timeout):
    try:
        rows = run_json(["systemctl", "list-units", "--all", "--output=json", "--no-pager"],
                        timeout=timeout)
        if isinstance(rows, list) and all(isinstance(r, dict) and "unit" in r for r in rows):
            return rows
    except Unreachable:
        pass
    return _plain_units(run(["systemctl", "list-units", "--all", "--plain", "--no-legend",
                             "--no-pager"], timeout=timeout))


def parse_show(text):
    """`systemctl show` of several units: one {property: value} per unit."""
    blocks, current = [], {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
            current = {}
            continue
        key, eq, value = line.partition("=")
        if eq:
            current[key] = value
    if current:
        blocks.append(current)
    return blocks


def _wanted(row):
    kind = row["unit"].rsplit(".", 1)[-1]
    if row.get("active") == "failed":
        return True
    return kind in SHOWN_KINDS and row.get("load") not in ("not-found", "masked")


def _under(real, dirs):
    return any(real == d or real.startswith(d + "/") for d in dirs)


_ENV_WORD = re.compile(r"""("?)([A-Za-z_][A-Za-z0-9_]*)=((?:[^"\s\\]|\\.)*)\1""")


def drop_values(text):
    """The unit text without the values of `Environment=`/`SetCredential=`, and the names
    whose literal value looked like a secret."""
    from infra_expert.secrets import is_literal_secret_value, is_secret_name, token_kind
    secrets = []

    def env(m):
        name, value = m.group(2), m.group(3)
        if value and (token_kind(value) or (is_secret_name(name) and
                                            is_literal_secret_value(value, name))):
            secrets.append(name)
        return f"{m.group(1)}{name}={m.group(1)}"

    lines = []
    for line in text.split("\n"):
        key, eq, value = line.partition("=")
        if eq and key.strip() == "Environment":
            line = f"{key}={_ENV_WORD.sub(env, value)}"
        elif eq and key.strip() == "SetCredential":
            name, colon, secret = value.partition(":")
            if secret and (token_kind(secret) or is_literal_secret_value(secret)):
                secrets.append(name.strip())
            line = f"{key}={name}{colon}"
        lines.append(line)
    return "\n".join(lines), secrets


def _unit_files(root, props, notices):
    """(fragment path, text, [drop-ins]) of an administrator's unit, else None."""
    fragment = props.get("FragmentPath") or ""
    dropins = (props.get("DropInPaths") or "").split()
    paths = [p for p in [fragment, *dropins] if p]
    if not paths or not any(_under(p, ADMIN_DIRS) for p in paths):
        return None
    read = {}
    for path in paths:
        real = os.path.realpath(os.path.join(root, path.lstrip("/")))
        real_root = os.path.realpath(root)
        shown = "/" + os.path.relpath(real, real_root) if real_root != "/" else real
        if shown.startswith("/..") or not _under(shown, UNIT_DIRS):
            notices.append(f"{props.get('Id')}: {path} not read (it lies outside the "
                           "systemd directories)")
            continue
        text = _read(root, shown, MAX_UNIT_FILE + 1)
        if text is None:
            notices.append(f"{props.get('Id')}: {path} could not be read")
            continue
        if len(text) > MAX_UNIT_FILE:
            notices.append(f"{props.get('Id')}: {path} not read (larger than "
                           f"{MAX_UNIT_FILE // 1024} KiB)")
            continue
        read[path] = text
    if fragment not in read:
        return None
    return fragment, read[fragment], [{"path": p, "text": read[p]} for p in dropins
                                      if p in read]


def systemd_state(options, root="/"):
    """(units, timers, notices) read from systemd."""
    from infra_expert.live import execute
    timeout = getattr(options, "timeout", None) or execute.TIMEOUT
    rows = list_units(execute.run, execute.run_json, timeout)
    names = [r["unit"] for r in rows if isinstance(r.get("unit"), str) and _wanted(r)]
    shown = {}
    for i in range(0, len(names), CHUNK):
        text = execute.run(["systemctl", "show", "--no-pager",
                            "--property=" + ",".join(PROPERTIES), "--", *names[i:i + CHUNK]],
                           timeout=timeout)
        for block in parse_show(text):
            if block.get("Id"):
                shown[block["Id"]] = block
    units, timers, notices = [], [], []
    for name in names:
        props = shown.get(name)
        if props is None:
            continue
        unit = {"name": name, "properties": props, "fragment": props.get("FragmentPath")}
        files = _unit_files(root, props, notices)
        if files is not None:
            unit["fragment"], text, dropins = files
            unit["text"], secrets = drop_values(text)
            unit["dropins"] = []
            for d in dropins:
                dtext, more = drop_values(d["text"])
                unit["dropins"].append({"path": d["path"], "text": dtext})
                secrets.extend(more)
            if secrets:
                unit["secret_env"] = sorted(set(secrets))
        units.append(unit)
        if name.endswith(".timer"):
            activates = (props.get("Unit") or props.get("Triggers") or "").split()
            timers.append({"unit": name, "activates": activates[0] if activates else None,
                           "last": _when(props.get("LastTriggerUSec")),
                           "next": _when(props.get("NextElapseUSecRealtime"))})
    vendor = sum(1 for u in units if "text" not in u and not any(
        _under(p, ADMIN_DIRS) for p in [u.get("fragment") or "",
                                        *(u["properties"].get("DropInPaths") or "").split()]))
    if vendor:
        notices.append(f"systemd: {vendor} unit{'s' if vendor != 1 else ''} of the "
                       "distribution (no file or drop-in under /etc/systemd or "
                       "/run/systemd) reviewed by their state only, not their files")
    return units, timers, notices


def _when(value):
    return None if (value or "").strip() in _UNSET else value.strip()


def collect(options, root="/", systemd_required=False):
    """The host's facts, and systemd's units and timers when systemd runs. Raises
    Unreachable when systemd is asked for alone and does not run here."""
    facts = host_facts(root)
    hostname = (_read(root, "/proc/sys/kernel/hostname") or "").strip()
    if not hostname and root == "/":
        import platform
        hostname = platform.node()
    facts["hostname"] = hostname or None
    parts = {"context": {"hostname": hostname} if hostname else {}, "host": facts,
             "notices": []}
    if not systemd_running(root):
        reason = (f"systemd is not running here: PID 1 is `{_pid1(root)}`, and there is "
                  "no /run/systemd/system")
        if systemd_required:
            raise Unreachable(reason)
        parts["notices"].append(f"systemd: not read ({reason}); the host's facts only")
        return parts
    units, timers, notices = systemd_state(options, root)
    parts.update(units=units, timers=timers)
    parts["notices"].extend(notices)
    return parts


# -- the units as unit files ----------------------------------------------------------

def unit_text(unit):
    """The unit as `systemctl cat` shows it: each file under a `# path` line, drop-ins
    after the fragment, in systemd's order."""
    chunks = [f"# {unit.get('fragment')}\n{unit['text'].rstrip()}\n"]
    for d in unit.get("dropins") or ():
        if isinstance(d, dict) and isinstance(d.get("text"), str):
            chunks.append(f"# {d.get('path')}\n{d['text'].rstrip()}\n")
    return "\n".join(chunks)


@synthesizer("units")
def unit_documents(snapshot, doc):
    """Each administrator's unit (with its drop-ins) as the systemd document
    `unit/NAME`, so the SD rules and the exposure score run on what is installed."""
    from infra_expert.model import Document
    out = []
    for unit in snapshot.units:
        name = unit.get("name")
        if not isinstance(name, str) or not isinstance(unit.get("text"), str):
            continue
        kind = name.rsplit(".", 1)[-1]
        if kind not in ("service", "timer", "socket", "path", "mount", "target"):
            continue
        out.append(Document(f"unit/{name}", None, "systemd", kind, unit_text(unit), None))
    return out
