"""LV rules of the host and its systemd units (LV040–LV059): what only the running
machine shows — failed units, restart loops, timers that failed or never run, memory in
use against a unit's limit, disks filling up, no swap on a small board, cgroup memory
limits that are not enforced, a secret in a running unit's environment."""

from __future__ import annotations

from infra_expert.model import Hit, Pass, RuleSet

rules = RuleSet("live")

GIB, MIB = 1 << 30, 1 << 20
RESTART_LOOP = 3          # restarts since the service was last started by hand
DISK_WARN, DISK_FULL = 0.90, 0.99
MEMORY_NEAR = 0.90


def _example(**parts):
    from infra_expert.live.model import dump_snapshot
    return dump_snapshot({"source": "systemd", "collected_at": "2026-11-30T07:50:00Z",
                          "context": {"hostname": "pi"}, **parts})


_HOST = {"memory": 4 * GIB, "available": 3 * GIB, "swap": 2 * GIB, "zram": True,
         "cpus": 4, "arch": "arm64", "cgroup": 2, "memory_controller": True,
         "disks": [{"path": "/", "size": 64 * GIB, "used": 20 * GIB, "free": 41 * GIB,
                    "device": 45826, "mount": "/", "source": "/dev/mmcblk0p2",
                    "storage": "sd"}]}


def _unit(name, **props):
    return {"name": name, "properties": {"Id": name, "LoadState": "loaded",
                                         "ActiveState": "active", "Result": "success",
                                         **props}}


def _props(unit):
    p = unit.get("properties")
    return p if isinstance(p, dict) else {}


def _int(value):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _path(unit):
    return f"unit/{unit.get('name')}"


def _host_path(snapshot, where=""):
    name = snapshot.context.get("hostname") or (snapshot.host or {}).get("hostname")
    return f"host/{name or 'localhost'}{where}"


def _timer_services(snapshot):
    """{service: timer} for the timers of the snapshot."""
    return {t.get("activates"): t.get("unit") for t in snapshot.timers if t.get("activates")}


def _units(snapshot):
    return [u for u in snapshot.units if isinstance(u.get("name"), str)]


@rules.rule(
    "LV040", "critical", "reliability", "Unit failed",
    "A failed unit is a service that is not running, a mount that is not mounted or a "
    "socket nobody answers: whatever depends on it is down now, and systemd will not try "
    "again by itself. `systemctl is-system-running` says `degraded` for it.",
    "Read why (`systemctl status NAME`, `journalctl -u NAME -b`), fix the cause, then "
    "`systemctl restart NAME`; if the unit is not needed, disable it and "
    "`systemctl reset-failed NAME`.",
    positive="No failed units ({count} units read)",
    example=_example(units=[_unit("web.service", SubState="running", NRestarts="0")]))
def unit_failed(doc, ctx):
    snapshot = doc.model
    started_by_timer = _timer_services(snapshot)
    units = _units(snapshot)
    failed = 0
    for unit in units:
        p = _props(unit)
        name = unit["name"]
        if p.get("LoadState") in ("error", "bad-setting"):
            failed += 1
            yield Hit(None, f"`{name}`: systemd could not load it (`{p['LoadState']}`): "
                            f"`systemd-analyze verify {name}` says why", path=_path(unit))
        elif p.get("ActiveState") == "failed" and name not in started_by_timer:
            failed += 1
            result = p.get("Result") or "failed"
            why = ("killed by the OOM killer" if result == "oom-kill" else
                   f"result `{result}`" + (f", exit status {p['ExecMainStatus']}"
                                           if _int(p.get("ExecMainStatus")) else ""))
            yield Hit(None, f"`{name}` is failed ({why})", path=_path(unit))
    if units and not failed:
        yield Pass(None, count=len(units))


@rules.rule(
    "LV041", "warning", "reliability", "Service restarting in a loop",
    "`Restart=` hides a crash: the service comes back, the status says `active`, and it "
    "dies again — losing requests, connections and whatever it held in memory each time. "
    "Several restarts since it was started mean a bug, a missing dependency or a limit "
    "that is too low, not bad luck.",
    "Read the crashes (`journalctl -u NAME -b`, look for the exit status or the OOM "
    "killer), fix the cause; give `RestartSec=` and `StartLimitIntervalSec=`/"
    "`StartLimitBurst=` so a loop ends in a visible failure.",
    positive="No service restarting in a loop",
    example=_example(units=[_unit("web.service", SubState="running", NRestarts="0",
                                  Restart="on-failure")]))
def restart_loop(doc, ctx):
    seen = False
    for unit in _units(doc.model):
        if not unit["name"].endswith(".service"):
            continue
        p = _props(unit)
        restarts = _int(p.get("NRestarts"))
        if restarts is None:
            continue
        seen = True
        if restarts >= RESTART_LOOP:
            now = "/".join(filter(None, (p.get("ActiveState"), p.get("SubState"))))
            yield Hit(None, f"`{unit['name']}` was restarted {restarts} times by systemd "
                            f"since it was started" + (f" (now {now})" if now else ""),
                      path=_path(unit))
    if seen:
        yield Pass(None)


@rules.rule(
    "LV042", "critical", "reliability", "Scheduled job's last run failed",
    "A timer keeps firing whatever its service did: a backup, a renewal or a cleanup that "
    "fails is noticed only when its result is needed — the restore without a backup, the "
    "expired certificate.",
    "Read why (`journalctl -u NAME.service`), fix it and run it once by hand "
    "(`systemctl start NAME.service`); add `OnFailure=` to the service so the next "
    "failure is sent somewhere.",
    positive="Every scheduled job's last run succeeded",
    example=_example(units=[_unit("backup.timer", SubState="waiting"),
                            _unit("backup.service", ActiveState="inactive", SubState="dead")],
                     timers=[{"unit": "backup.timer", "activates": "backup.service",
                              "last": "Sun 2026-11-29 03:00:04 UTC",
                              "next": "Mon 2026-11-30 03:00:00 UTC"}]))
def timer_run_failed(doc, ctx):
    units = {u["name"]: u for u in _units(doc.model)}
    checked = 0
    for timer in doc.model.timers:
        service = units.get(timer.get("activates"))
        if service is None:
            continue
        checked += 1
        p = _props(service)
        result = p.get("Result") or ""
        if p.get("ActiveState") == "failed" or result not in ("", "success"):
            why = "killed by the OOM killer" if result == "oom-kill" else f"`{result}`"
            yield Hit(None, f"`{service['name']}`, started by `{timer.get('unit')}`, "
                            f"failed on its last run ({why}; last elapse "
                            f"{timer.get('last') or 'not recorded'})", path=_path(service))
    if checked:
        yield Pass(None)


@rules.rule(
    "LV043", "warning", "reliability", "Timer that never runs",
    "A timer that was installed but never started, or that has nothing left to elapse, "
    "runs its job never: the backup or the cleanup it was written for does not happen, "
    "and nothing fails to say so.",
    "Start it and start it at boot: `systemctl enable --now NAME.timer`; check "
    "`systemctl list-timers` shows a NEXT time. A monotonic timer (`OnBootSec=`, "
    "`OnUnitActiveSec=`) needs a base event that happens: add `OnBootSec=` or use "
    "`OnCalendar=`.",
    example=_example(units=[_unit("backup.timer", SubState="waiting",
                                  NextElapseUSecRealtime="Mon 2026-11-30 03:00:00 UTC")],
                     timers=[{"unit": "backup.timer", "activates": "backup.service",
                              "last": None, "next": "Mon 2026-11-30 03:00:00 UTC"}]))
def timer_never_runs(doc, ctx):
    from infra_expert.live.host import _when
    units = {u["name"]: u for u in _units(doc.model)}
    for timer in doc.model.timers:
        unit = units.get(timer.get("unit"))
        if unit is None or timer.get("last"):
            continue
        p = _props(unit)
        scheduled = timer.get("next") or _when(p.get("NextElapseUSecMonotonic"))
        if p.get("ActiveState") != "active":
            if "text" in unit:   # the administrator's: installed and forgotten
                yield Hit(None, f"`{unit['name']}` never ran and is not started "
                                f"({p.get('ActiveState') or 'inactive'}, "
                                f"{p.get('UnitFileState') or 'not enabled'})",
                          path=_path(unit))
        elif not scheduled:
            yield Hit(None, f"`{unit['name']}` is active but never ran and has no next "
                            "elapse: it will not fire", path=_path(unit))


def _disk_share(disk):
    used, free = disk.get("used"), disk.get("free")
    if not isinstance(used, int) or not isinstance(free, int) or used + free <= 0:
        return None
    return used / (used + free)         # as `df` counts it: blocks reserved for root apart


@rules.rule(
    "LV044", "warning", "reliability", "Disk nearly full on a data or log path",
    "When the disk of the container store, the data or the logs fills up, writes fail: "
    "a database stops or corrupts its last transaction, images cannot be pulled, logs are "
    "lost exactly when something goes wrong. Above 90 % the next burst of logs or an "
    "upgrade is enough.",
    "Find what grew (`du -xh --max-depth=2 PATH | sort -h`, `docker system df`), prune "
    "(`docker image prune`, `journalctl --vacuum-size=200M`), cap the logs (`max-size` "
    "for the log driver, `SystemMaxUse=` for journald), or move the data to a bigger "
    "disk; alert on free space.",
    positive="The data and log paths have room ({worst:.0%} used at most)",
    example=_example(host=_HOST))
def disk_nearly_full(doc, ctx):
    host = doc.model.host or {}
    disks = [d for d in host.get("disks") or () if isinstance(d, dict)]
    worst, said = 0.0, set()
    for disk in disks:
        share = _disk_share(disk)
        if share is None:
            continue
        worst = max(worst, share)
        key = disk.get("device", disk.get("path"))
        if share < DISK_WARN or key in said:
            continue
        said.add(key)
        paths = [d.get("path") for d in disks if d.get("device", d.get("path")) == key]
        full = share >= DISK_FULL
        yield Hit(None, f"{', '.join(f'`{p}`' for p in paths)}: {share:.0%} used, "
                        f"{disk['free'] / GIB:.1f} GiB free of {disk.get('size', 0) / GIB:.1f}"
                        " GiB" + (": writes fail now or within the next burst" if full
                                  else ""),
                  path=_host_path(doc.model, f":{paths[0]}"),
                  severity="critical" if full else None)
    if disks and not said:
        yield Pass(None, worst=worst)


def _limit(p):
    caps = [(_int(p.get(k)), k) for k in ("MemoryMax", "MemoryHigh")]
    caps = [(b, k) for b, k in caps if b]
    return min(caps) if caps else (None, None)


@rules.rule(
    "LV045", "warning", "reliability", "Unit's memory near its limit",
    "A unit at its `MemoryMax=` is killed by the OOM killer on its next allocation; at "
    "`MemoryHigh=` it is throttled and reclaimed hard, and slows down for everyone it "
    "serves. Measured close to the limit means the limit was sized for a quieter day.",
    "Raise the limit to the peak under load plus a margin (`systemctl set-property NAME "
    "MemoryMax=…`, then put it in the unit), or find what grows (a cache without a bound, "
    "a leak); alert before the limit.",
    example=_example(units=[_unit("web.service", SubState="running",
                                  MemoryCurrent="104857600", MemoryMax="536870912")]))
def memory_near_limit(doc, ctx):
    for unit in _units(doc.model):
        p = _props(unit)
        current = _int(p.get("MemoryCurrent"))
        limit, key = _limit(p)
        if not current or not limit or current < MEMORY_NEAR * limit:
            continue
        yield Hit(None, f"`{unit['name']}` uses {current / MIB:.0f} MiB, {current / limit:.0%}"
                        f" of its `{key}=` ({limit / MIB:.0f} MiB)", path=_path(unit))


@rules.rule(
    "LV046", "suggestion", "reliability", "No swap or zram on a small host",
    "Without swap a short peak (an upgrade pulling an image, a dump, a page-cache burst) "
    "goes straight to the OOM killer. On a board of 2 GiB or less, or a host already "
    "short of memory, compressed RAM (zram) absorbs it at little cost and without wearing "
    "an SD card the way a swap file does.",
    "Set up zram (`zram-generator` with `zram-size = ram / 2`, or `zram-tools` on "
    "Raspberry Pi OS); a swap file on an SSD is the fallback. Kubernetes nodes are left "
    "out: the kubelet wants swap off.",
    positive="Swap available (zram: {zram})",
    example=_example(host=_HOST))
def no_swap(doc, ctx):
    host = doc.model.host
    if not host or not isinstance(host.get("memory"), int) or host.get("kubelet"):
        return
    memory, available = host["memory"], host.get("available")
    short = isinstance(available, int) and available < 0.2 * memory
    if host.get("swap") or host.get("zram"):
        yield Pass(None, zram="yes" if host.get("zram") else "no")
        return
    if memory > 2 * GIB and not short:
        return
    low = isinstance(available, int) and available < 0.1 * memory
    yield Hit(None, f"no swap and no zram on a host of {memory / GIB:.1f} GiB"
                    + (f", {available / MIB:.0f} MiB available now" if short else ""),
              path=_host_path(doc.model), severity="warning" if low else None)


@rules.rule(
    "LV047", "warning", "reliability", "Memory limits not enforced (memory cgroup off)",
    "Without the kernel's memory controller every memory limit is ignored: Compose's "
    "`mem_limit`, a pod's limit, a unit's `MemoryMax=` — Docker only warns once, at "
    "start. Raspberry Pi OS kernels long shipped with it off.",
    "Enable it on the kernel command line (`cgroup_enable=memory cgroup_memory=1` at the "
    "end of `/boot/firmware/cmdline.txt` on a Raspberry Pi) and reboot; `docker info` "
    "stops warning about memory limit support.",
    positive="The memory controller is on: memory limits are enforced",
    example=_example(host=_HOST))
def memory_cgroup_off(doc, ctx):
    host = doc.model.host or {}
    if host.get("memory_controller") is False:
        yield Hit(None, "the `memory` cgroup controller is not enabled: memory limits are "
                        "not enforced on this host", path=_host_path(doc.model))
    elif host.get("memory_controller") is True:
        yield Pass(None)


@rules.rule(
    "LV048", "suggestion", "reliability", "Host on cgroup v1",
    "On cgroup v1 rootless Podman cannot apply CPU and memory limits, `MemoryHigh=` and "
    "pressure information do not exist, and the tools are leaving it: systemd 256 no "
    "longer boots on it, Kubernetes put v1 in maintenance mode.",
    "Boot with the unified hierarchy (Debian 11, Ubuntu 21.10, Raspberry Pi OS 11 and "
    "later default to it; otherwise add `systemd.unified_cgroup_hierarchy=1` to the "
    "kernel command line) and reboot.",
    positive="cgroup v2 (unified hierarchy)",
    example=_example(host=_HOST))
def cgroup_v1(doc, ctx):
    host = doc.model.host or {}
    if host.get("cgroup") == 1:
        yield Hit(None, "the host runs cgroup v1", path=_host_path(doc.model))
    elif host.get("cgroup") == 2:
        yield Pass(None)


@rules.rule(
    "LV049", "critical", "security", "Secret in a running unit's environment",
    "An installed unit file is world-readable and `systemctl show` prints its "
    "environment to any local user: a literal credential in `Environment=` or "
    "`SetCredential=` is exposed on this machine. (The value was not kept in the "
    "snapshot; only its name.)",
    "Put it in a root-only file and use `LoadCredential=name:/etc/credstore/name` (read "
    "from `$CREDENTIALS_DIRECTORY/name`), or `EnvironmentFile=` with mode 0600; then "
    "change the credential, it has been readable.",
    example=_example(units=[{**_unit("web.service", SubState="running"),
                             "fragment": "/etc/systemd/system/web.service",
                             "text": "[Service]\nExecStart=/usr/bin/web\n"
                                     "LoadCredential=db:/etc/credstore/db\n"}]))
def unit_secret(doc, ctx):
    for unit in _units(doc.model):
        names = unit.get("secret_env")
        if isinstance(names, list) and names:
            yield Hit(None, f"`{unit['name']}` ({unit.get('fragment') or 'its unit file'}): "
                            + ", ".join(f"`{n}`" for n in names if isinstance(n, str))
                            + " written as a literal value", path=_path(unit))
