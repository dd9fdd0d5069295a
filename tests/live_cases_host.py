"""CASES of the LV rules of the host and its systemd units (see tests/test_live.py): a
snapshot that fires and one that must not, for each rule. Units are shaped like
`systemctl show` output (tests/fixtures/live/host/ holds recorded ones)."""

from __future__ import annotations

from infra_expert.live.model import dump_snapshot

FILE = "host.live.json"
GIB, MIB = 1 << 30, 1 << 20

HOST = {"memory": 4 * GIB, "available": 3 * GIB, "swap": 0, "zram": True, "cpus": 4,
        "arch": "arm64", "cgroup": 2, "memory_controller": True,
        "disks": [{"path": "/", "size": 64 * GIB, "used": 20 * GIB, "free": 41 * GIB,
                   "device": 45826, "mount": "/", "source": "/dev/mmcblk0p2",
                   "storage": "sd"}]}


def unit(name, **props):
    return {"name": name, "properties": {"Id": name, "LoadState": "loaded",
                                         "ActiveState": "active", "SubState": "running",
                                         "Result": "success", **props}}


def timer(name, service, last="Mon 2026-11-30 03:00:01 UTC",
          nxt="Tue 2026-12-01 03:00:00 UTC"):
    return {"unit": name, "activates": service, "last": last, "next": nxt}


def snap(units=(), timers=(), host=None, hostname="pi"):
    data = {"source": "systemd", "collected_at": "2026-11-30T07:50:00Z",
            "context": {"hostname": hostname}, "units": list(units),
            "timers": list(timers)}
    if host is not None:
        data["host"] = host
    return {FILE: dump_snapshot(data)}


def host(**changes):
    return {**HOST, **changes}


def disk(path, used, free, device):
    return {"path": path, "size": used + free, "used": used, "free": free,
            "device": device}


ADMIN = {"fragment": "/etc/systemd/system/report.timer",
         "text": "[Timer]\nOnCalendar=weekly\nPersistent=true\n\n[Install]\n"
                 "WantedBy=timers.target\n"}

CASES = [
    # LV040 a failed unit (not a timer's service: LV042 says those), a unit not loaded
    ("LV040", snap([unit("mnt-nas.mount", ActiveState="failed", SubState="failed",
                         Result="exit-code", ExecMainStatus="32"),
                    unit("web.service"), unit("odd.service", LoadState="bad-setting",
                                                  ActiveState="inactive")]),
     [("unit/mnt-nas.mount", None), ("unit/odd.service", None)]),
    ("LV040", snap([unit("web.service"), unit("backup.service", ActiveState="failed",
                                              Result="exit-code")],
                   [timer("backup.timer", "backup.service")]), []),
    # LV041 restart loop
    ("LV041", snap([unit("web.service", NRestarts="7"), unit("ssh.service", NRestarts="0")]),
     [("unit/web.service", None)]),
    ("LV041", snap([unit("web.service", NRestarts="2")]), []),
    # LV042 the last run of a timer's service failed
    ("LV042", snap([unit("backup.timer", SubState="waiting"),
                    unit("backup.service", ActiveState="failed", SubState="failed",
                         Result="exit-code")],
                   [timer("backup.timer", "backup.service")]),
     [("unit/backup.service", None)]),
    ("LV042", snap([unit("backup.timer", SubState="waiting"),
                    unit("backup.service", ActiveState="inactive", SubState="dead")],
                   [timer("backup.timer", "backup.service")]), []),
    # LV043 installed and never started; active with nothing to elapse
    ("LV043", snap([{**unit("report.timer", ActiveState="inactive", SubState="dead",
                            UnitFileState="disabled"), **ADMIN},
                    unit("boot.timer", SubState="elapsed",
                         NextElapseUSecMonotonic="infinity")],
                   [timer("report.timer", "report.service", last=None, nxt=None),
                    timer("boot.timer", "boot.service", last=None, nxt=None)]),
     [("unit/report.timer", None), ("unit/boot.timer", None)]),
    # not fired: waiting for its first elapse; a distribution's timer left inactive
    ("LV043", snap([unit("new.timer", SubState="waiting"),
                    unit("e2scrub_all.timer", ActiveState="inactive", SubState="dead")],
                   [timer("new.timer", "new.service", last=None),
                    timer("e2scrub_all.timer", "e2scrub_all.service", last=None,
                          nxt=None)]), []),
    # LV044 disks: one filesystem said once for its two paths; a full one
    ("LV044", snap(host=host(disks=[disk("/", 58 * GIB, 5 * GIB, 1),
                                    disk("/var/log", 58 * GIB, 5 * GIB, 1),
                                    disk("/var/lib/docker", 200 * GIB, 1 * GIB, 2)])),
     [("host/pi:/", None), ("host/pi:/var/lib/docker", None)]),
    ("LV044", snap(host=host(disks=[disk("/", 50 * GIB, 13 * GIB, 1)])), []),
    # LV045 memory in use near MemoryMax / MemoryHigh
    ("LV045", snap([unit("web.service", MemoryCurrent=str(250 * MIB),
                         MemoryMax=str(256 * MIB)),
                    unit("db.service", MemoryCurrent=str(500 * MIB), MemoryHigh=str(512 * MIB),
                         MemoryMax="infinity")]),
     [("unit/web.service", None), ("unit/db.service", None)]),
    ("LV045", snap([unit("web.service", MemoryCurrent=str(100 * MIB),
                         MemoryMax=str(256 * MIB)),
                    unit("ssh.service", MemoryCurrent=str(6 * MIB), MemoryMax="infinity")]),
     []),
    # LV046 no swap on a 2 GiB board; a 4 GiB host short of memory
    ("LV046", snap(host=host(memory=2 * GIB, available=GIB, zram=False), hostname="pi"),
     [("host/pi", None)]),
    ("LV046", snap(host=host(available=300 * MIB, zram=False), hostname="nuc"),
     [("host/nuc", None)]),
    ("LV046", snap(host=host(memory=8 * GIB, available=6 * GIB, zram=False)), []),
    ("LV046", snap(host=host(memory=GIB, available=200 * MIB, zram=False, kubelet=True)),
     []),
    # LV047 memory controller off
    ("LV047", snap(host=host(memory_controller=False)), [("host/pi", None)]),
    ("LV047", snap(host=host()), []),
    # LV048 cgroup v1
    ("LV048", snap(host=host(cgroup=1)), [("host/pi", None)]),
    ("LV048", snap(host=host()), []),
    # LV049 a literal secret in a running unit's environment (by name only)
    ("LV049", snap([{**unit("web.service"), "fragment": "/etc/systemd/system/web.service",
                     "text": "[Service]\nEnvironment=\"DB_PASSWORD=\"\n",
                     "secret_env": ["DB_PASSWORD"]}]),
     [("unit/web.service", None)]),
    ("LV049", snap([{**unit("web.service"), "fragment": "/etc/systemd/system/web.service",
                     "text": "[Service]\nEnvironment=LISTEN=\n"}]), []),
]
