"""The exposure score of `systemd-analyze security`, computed from a parsed unit.

systemd rates a service's sandbox with a fixed list of checks, each with a weight and a
range: a check's badness (0 … range) counts `ceil(badness × weight / range)` towards a
sum, and the exposure is `ceil(sum × 100 / Σ weights)` tenths — 0.0 (perfect) to 10.0. A
check that does not apply (supplementary groups of a root service) counts for nothing
and weighs nothing. The table below is ours, written from systemd.exec(5) and the
behaviour of `systemd-analyze security --offline=true` (systemd 252): the same checks,
weights and bands, so that the number is the one a user would see, on any OS.

What the unit loader implies before the score is taken is reproduced too:
`DynamicUser=` turns on `PrivateTmp=`, `RemoveIPC=`, `ProtectSystem=strict`,
`ProtectHome=read-only`, `NoNewPrivileges=` and `RestrictSUIDSGID=`; `PrivateDevices=`,
`ProtectKernelModules=`, `ProtectKernelLogs=` and `ProtectClock=` drop their
capabilities from the bounding set; `PrivateDevices=` closes the device policy and
`ProtectClock=` adds the RTC to the device list.
"""

from __future__ import annotations

CAPS = ("CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP "
        "LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER "
        "SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE "
        "SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP "
        "MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF "
        "CHECKPOINT_RESTORE").split()
ALL_CAPS = frozenset(CAPS)
NAMESPACES = ("cgroup", "ipc", "net", "mnt", "pid", "user", "uts")

_TRUE = ("1", "yes", "y", "true", "t", "on")
_FALSE = ("0", "no", "n", "false", "f", "off")


def _bool(value):
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    return None


class Info:
    """What the checks look at, after the unit's settings and the loader's implications."""

    def __init__(self):
        self.default_dependencies = True
        self.user = ""
        self.dynamic_user = False
        self.supplementary_groups = []
        self.bounding = set(ALL_CAPS)
        self.bounding_initial = True
        self.ambient = set()
        self.flags = {}                  # PrivateTmp=, NoNewPrivileges=, … -> bool
        self.protect_home = "no"
        self.protect_system = "no"
        self.protect_proc = "default"
        self.proc_subset = "all"
        self.keyring_mode = "private"
        self.notify_access = "none"
        self.delegate = False
        self.umask = 0o022
        self.namespaces = None           # allowed namespace types; None: never set (all)
        self.af_allow_list = False
        self.af_set = set()
        self.af_set_used = False
        self.archs = set()
        self.sc_allow_list = False
        self.sc_filter = set()
        self.sc_set = False
        self.root_directory = ""
        self.root_image = ""
        self.ip_deny_v4 = self.ip_deny_v6 = False
        self.ip_allow_localhost = self.ip_allow_other = False
        self.ip_filters = False
        self.device_policy = "auto"
        self.device_allow = []


_FLAG_KEYS = ("PrivateDevices", "PrivateMounts", "PrivateNetwork", "PrivateTmp",
              "PrivateUsers", "ProtectControlGroups", "ProtectKernelModules",
              "ProtectKernelTunables", "ProtectKernelLogs", "ProtectClock", "ProtectHostname",
              "LockPersonality", "MemoryDenyWriteExecute", "NoNewPrivileges", "RemoveIPC",
              "RestrictRealtime", "RestrictSUIDSGID")


def _caps(words):
    out = set()
    for w in words:
        name = w.upper().removeprefix("CAP_")
        if name in ALL_CAPS:
            out.add(name)
    return out


def _cap_assign(current, value, is_initial):
    """systemd's merge of capability lists: a first (or empty) assignment replaces, later
    ones add, and a later `~` list takes its capabilities away."""
    invert = value.startswith("~")
    caps = _caps(value.lstrip("~").split())
    total = (ALL_CAPS - caps) if invert else caps
    if not total or is_initial:
        return set(total)
    return (current - caps) if invert else (current | total)


def _localhost(addr):
    a = addr.split("/", 1)[0].strip("[]").lower()
    return a.startswith("127.") or a in ("::1", "0:0:0:0:0:0:0:1")


def gather(unit):
    """An Info from a unit (its drop-ins already merged)."""
    info = Info()
    dd = unit.get("Unit", "DefaultDependencies")
    if dd is not None and _bool(dd) is not None:
        info.default_dependencies = _bool(dd)
    for e in unit.section("Service"):
        k, v = e.key, e.value
        if k in _FLAG_KEYS:
            b = _bool(v) if v else False
            if b is not None:
                info.flags[k] = b
        elif k == "User":
            info.user = v
        elif k == "DynamicUser":
            b = _bool(v)
            if b is not None:
                info.dynamic_user = b
        elif k == "SupplementaryGroups":
            info.supplementary_groups = (info.supplementary_groups + v.split()) if v else []
        elif k == "CapabilityBoundingSet":
            if not v:
                info.bounding, info.bounding_initial = set(), False
            else:
                info.bounding = _cap_assign(info.bounding, v, info.bounding_initial)
                info.bounding_initial = False
        elif k == "AmbientCapabilities":
            if not v:
                info.ambient = set()
            else:
                info.ambient = _cap_assign(info.ambient, v, not info.ambient)
        elif k == "ProtectHome":
            b = _bool(v)
            if b is not None:
                info.protect_home = "yes" if b else "no"
            elif v in ("read-only", "tmpfs"):
                info.protect_home = v
        elif k == "ProtectSystem":
            b = _bool(v)
            if b is not None:
                info.protect_system = "yes" if b else "no"
            elif v in ("full", "strict"):
                info.protect_system = v
        elif k == "ProtectProc" and v in ("noaccess", "invisible", "ptraceable", "default"):
            info.protect_proc = v
        elif k == "ProcSubset" and v in ("all", "pid"):
            info.proc_subset = v
        elif k == "KeyringMode" and v in ("inherit", "private", "shared"):
            info.keyring_mode = v
        elif k == "NotifyAccess" and v in ("none", "main", "exec", "all"):
            info.notify_access = v
        elif k == "Delegate":
            b = _bool(v)
            info.delegate = True if b is None and v else bool(b)
        elif k == "UMask":
            try:
                info.umask = int(v, 8)
            except ValueError:
                pass
        elif k == "RestrictNamespaces":
            _namespaces(info, v)
        elif k == "RestrictAddressFamilies":
            _families(info, v)
        elif k == "SystemCallArchitectures":
            info.archs = (info.archs | set(v.split())) if v else set()
        elif k == "SystemCallFilter":
            _syscalls(info, v)
        elif k == "RootDirectory":
            info.root_directory = v
        elif k == "RootImage":
            info.root_image = v
        elif k in ("IPAddressDeny", "IPAddressAllow"):
            _ip(info, k, v)
        elif k in ("IPIngressFilterPath", "IPEgressFilterPath"):
            info.ip_filters = info.ip_filters or bool(v)
        elif k == "DevicePolicy" and v in ("auto", "closed", "strict"):
            info.device_policy = v
        elif k == "DeviceAllow":
            info.device_allow = (info.device_allow + [v]) if v else []
    if unit.get("Service", "Type", "") == "notify" and "NotifyAccess" not in {
            e.key for e in unit.section("Service")}:
        info.notify_access = "main"
    _imply(info, unit)
    return info


def _namespaces(info, v):
    if not v:
        info.namespaces = None
        return
    b = _bool(v)
    if b is not None:
        info.namespaces = set() if b else set(NAMESPACES)
        return
    invert = v.startswith("~")
    listed = {w for w in v.lstrip("~").split() if w in NAMESPACES}
    if info.namespaces is None:
        info.namespaces = (set(NAMESPACES) - listed) if invert else listed
    elif invert:
        info.namespaces -= listed
    else:
        info.namespaces |= listed


def _families(info, v):
    if not v:
        info.af_set, info.af_allow_list, info.af_set_used = set(), False, False
        return
    if v == "none":
        info.af_set, info.af_allow_list, info.af_set_used = set(), True, True
        return
    invert = v.startswith("~")
    if not info.af_set_used:
        info.af_allow_list = not invert
        info.af_set_used = True
    for w in v.lstrip("~").split():
        if (not invert) == info.af_allow_list:
            info.af_set.add(w)
        else:
            info.af_set.discard(w)


def _syscalls(info, v):
    from infra_expert.systemd.syscalls import expand
    if not v:
        info.sc_filter, info.sc_allow_list, info.sc_set = set(), False, False
        return
    invert = v.startswith("~")
    if not info.sc_set:
        info.sc_set = True
        info.sc_allow_list = not invert
        if info.sc_allow_list:
            info.sc_filter = set(expand("@default"))
    for w in v.lstrip("~").split():
        name = w.split(":", 1)[0]
        calls = expand(name)
        if (not invert) == info.sc_allow_list:
            info.sc_filter |= calls
        else:
            info.sc_filter -= calls


def _ip(info, key, v):
    if not v:
        if key == "IPAddressDeny":
            info.ip_deny_v4 = info.ip_deny_v6 = False
        else:
            info.ip_allow_localhost = info.ip_allow_other = False
        return
    for w in v.split():
        w = w.lower()
        if key == "IPAddressDeny":
            if w == "any" or w == "0.0.0.0/0":
                info.ip_deny_v4 = True
            if w == "any" or w in ("::/0", "[::]/0"):
                info.ip_deny_v6 = True
        elif w == "localhost":
            info.ip_allow_localhost = True
        elif w in ("any", "link-local", "multicast"):
            info.ip_allow_other = True
        elif _localhost(w):
            info.ip_allow_localhost = True
        else:
            info.ip_allow_other = True


def _imply(info, unit):
    """What systemd's loader adds before the score is taken."""
    f = info.flags
    if info.dynamic_user:
        if not info.user:
            info.user = unit.path.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "dynamic"
        f["PrivateTmp"] = f["RemoveIPC"] = True
        info.protect_system = "strict"
        if info.protect_home == "no":
            info.protect_home = "read-only"
        f["NoNewPrivileges"] = f["RestrictSUIDSGID"] = True
    if f.get("PrivateDevices"):
        info.bounding -= {"MKNOD", "SYS_RAWIO"}
        if info.device_policy == "auto":
            info.device_policy = "closed"
    if f.get("ProtectKernelModules"):
        info.bounding.discard("SYS_MODULE")
    if f.get("ProtectKernelLogs"):
        info.bounding.discard("SYSLOG")
    if f.get("ProtectClock"):
        info.bounding -= {"SYS_TIME", "WAKE_ALARM"}
        info.device_allow = info.device_allow + ["char-rtc r"]


def _privileged(info):
    if info.user in ("0", "root"):
        return True
    if info.dynamic_user:
        return False
    return not info.user


# ---------------------------------------------------------------- the checks ----
# (name as systemd prints it, weight, range, assess(info) -> badness or None for n/a,
#  what to set: the fix a message names)

def _flag(key):
    return lambda i: 0 if i.flags.get(key) else 1


def _cap(*names):
    return lambda i: 1 if i.bounding & set(names) else 0


def _ns(name):
    return lambda i: 1 if i.namespaces is None or name in i.namespaces else 0


def _af(*names, other=False):
    def assess(i):
        if not i.af_set_used:
            return 1
        if other:
            listed = any(a not in ("AF_INET", "AF_INET6", "AF_UNIX", "AF_NETLINK", "AF_PACKET")
                         for a in i.af_set)
        else:
            listed = any(a in names for a in i.af_set)
        restricted = (not listed) if i.af_allow_list else listed
        return 0 if restricted else 1
    return assess


def _sc(group):
    def assess(i):
        from infra_expert.systemd.syscalls import expand
        if not i.sc_allow_list and not i.sc_filter:
            return 10
        calls = expand(group)
        if i.sc_allow_list:
            return 9 if calls & i.sc_filter else 0
        return 10 if calls - i.sc_filter else 0
    return assess


def _user(i):
    if i.user == "nobody":
        return 9
    if i.dynamic_user and i.user not in ("0", "root"):
        return 0
    if i.user and i.user not in ("0", "root"):
        return 0
    return 10


def _home(i):
    return {"yes": 0, "read-only": 5, "tmpfs": 1}.get(i.protect_home, 10)


def _system(i):
    return {"yes": 5, "full": 3, "strict": 0}.get(i.protect_system, 10)


def _umask(i):
    m = i.umask
    if not m & 0o002:
        return 10
    if not m & 0o004:
        return 5
    if not m & 0o020:
        return 2
    if not m & 0o040:
        return 1
    return 0


def _archs(i):
    if not i.archs:
        return 10
    if i.archs == {"native"}:
        return 0
    return 8


def _ip_deny(i):
    if i.ip_filters:
        return 0
    if not (i.ip_deny_v4 and i.ip_deny_v6):
        return 10
    if i.ip_allow_other:
        return 5
    if i.ip_allow_localhost:
        return 2
    return 0


def _devices(i):
    if i.device_policy in ("strict", "closed"):
        return 5 if i.device_allow else 0
    return 10


_DD = "default-dependencies"    # n/a in an early-boot unit (DefaultDependencies=no)

CHECKS = (
    ("User=/DynamicUser=", 2000, 10, _user, "User= or DynamicUser=yes", None),
    ("SupplementaryGroups=", 200, 1,
     lambda i: None if _privileged(i) else (1 if i.supplementary_groups else 0),
     "no SupplementaryGroups=", None),
    ("PrivateDevices=", 1000, 1, _flag("PrivateDevices"), "PrivateDevices=yes", None),
    ("PrivateMounts=", 1000, 1, _flag("PrivateMounts"), "PrivateMounts=yes", None),
    ("PrivateNetwork=", 2500, 1, _flag("PrivateNetwork"), "PrivateNetwork=yes", None),
    ("PrivateTmp=", 1000, 1, _flag("PrivateTmp"), "PrivateTmp=yes", _DD),
    ("PrivateUsers=", 1000, 1, _flag("PrivateUsers"), "PrivateUsers=yes", None),
    ("ProtectControlGroups=", 1000, 1, _flag("ProtectControlGroups"),
     "ProtectControlGroups=yes", None),
    ("ProtectKernelModules=", 1000, 1, _flag("ProtectKernelModules"),
     "ProtectKernelModules=yes", None),
    ("ProtectKernelTunables=", 1000, 1, _flag("ProtectKernelTunables"),
     "ProtectKernelTunables=yes", None),
    ("ProtectKernelLogs=", 1000, 1, _flag("ProtectKernelLogs"), "ProtectKernelLogs=yes", None),
    ("ProtectClock=", 1000, 1, _flag("ProtectClock"), "ProtectClock=yes", None),
    ("ProtectHome=", 1000, 10, _home, "ProtectHome=yes", _DD),
    ("ProtectHostname=", 50, 1, _flag("ProtectHostname"), "ProtectHostname=yes", None),
    ("ProtectSystem=", 1000, 10, _system, "ProtectSystem=strict", _DD),
    ("RootDirectory=/RootImage=", 200, 1,
     lambda i: 1 if i.root_directory in ("", "/") and i.root_image in ("", "/") else 0,
     "RootDirectory=", _DD),
    ("LockPersonality=", 100, 1, _flag("LockPersonality"), "LockPersonality=yes", None),
    ("MemoryDenyWriteExecute=", 100, 1, _flag("MemoryDenyWriteExecute"),
     "MemoryDenyWriteExecute=yes", None),
    ("NoNewPrivileges=", 1000, 1, _flag("NoNewPrivileges"), "NoNewPrivileges=yes", None),
    ("CapabilityBoundingSet=~CAP_SYS_ADMIN", 1500, 1, _cap("SYS_ADMIN"),
     "CapabilityBoundingSet=", None),
    ("CapabilityBoundingSet=~CAP_SET(UID|GID|PCAP)", 1500, 1,
     _cap("SETUID", "SETGID", "SETPCAP"), "CapabilityBoundingSet=", None),
    ("CapabilityBoundingSet=~CAP_SYS_PTRACE", 1500, 1, _cap("SYS_PTRACE"),
     "CapabilityBoundingSet=", None),
    ("CapabilityBoundingSet=~CAP_SYS_TIME", 1000, 1, _cap("SYS_TIME"),
     "CapabilityBoundingSet=", None),
    ("CapabilityBoundingSet=~CAP_NET_ADMIN", 1000, 1, _cap("NET_ADMIN"),
     "CapabilityBoundingSet=", None),
    ("CapabilityBoundingSet=~CAP_SYS_RAWIO", 1000, 1, _cap("SYS_RAWIO"),
     "CapabilityBoundingSet=", None),
    ("CapabilityBoundingSet=~CAP_SYS_MODULE", 1000, 1, _cap("SYS_MODULE"),
     "CapabilityBoundingSet=", None),
    ("CapabilityBoundingSet=~CAP_AUDIT_*", 500, 1,
     _cap("AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE"), "CapabilityBoundingSet=", None),
    ("CapabilityBoundingSet=~CAP_SYSLOG", 500, 1, _cap("SYSLOG"),
     "CapabilityBoundingSet=", None),
    ("CapabilityBoundingSet=~CAP_SYS_(NICE|RESOURCE)", 500, 1,
     _cap("SYS_NICE", "SYS_RESOURCE"), "CapabilityBoundingSet=", None),
    ("CapabilityBoundingSet=~CAP_MKNOD", 500, 1, _cap("MKNOD"),
     "CapabilityBoundingSet=", None),
    ("CapabilityBoundingSet=~CAP_(CHOWN|FSETID|SETFCAP)", 1000, 1,
     _cap("CHOWN", "FSETID", "SETFCAP"), "CapabilityBoundingSet=", None),
    ("CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|IPC_OWNER)", 1000, 1,
     _cap("DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "IPC_OWNER"),
     "CapabilityBoundingSet=", None),
    ("CapabilityBoundingSet=~CAP_KILL", 500, 1, _cap("KILL"), "CapabilityBoundingSet=", None),
    ("CapabilityBoundingSet=~CAP_NET_(BIND_SERVICE|BROADCAST|RAW)", 500, 1,
     _cap("NET_BIND_SERVICE", "NET_BROADCAST", "NET_RAW"), "CapabilityBoundingSet=", None),
    ("CapabilityBoundingSet=~CAP_SYS_BOOT", 100, 1, _cap("SYS_BOOT"),
     "CapabilityBoundingSet=", None),
    ("CapabilityBoundingSet=~CAP_MAC_*", 100, 1, _cap("MAC_ADMIN", "MAC_OVERRIDE"),
     "CapabilityBoundingSet=", None),
    ("CapabilityBoundingSet=~CAP_LINUX_IMMUTABLE", 75, 1, _cap("LINUX_IMMUTABLE"),
     "CapabilityBoundingSet=", None),
    ("CapabilityBoundingSet=~CAP_IPC_LOCK", 50, 1, _cap("IPC_LOCK"),
     "CapabilityBoundingSet=", None),
    ("CapabilityBoundingSet=~CAP_SYS_CHROOT", 50, 1, _cap("SYS_CHROOT"),
     "CapabilityBoundingSet=", None),
    ("CapabilityBoundingSet=~CAP_BLOCK_SUSPEND", 25, 1, _cap("BLOCK_SUSPEND"),
     "CapabilityBoundingSet=", None),
    ("CapabilityBoundingSet=~CAP_WAKE_ALARM", 25, 1, _cap("WAKE_ALARM"),
     "CapabilityBoundingSet=", None),
    ("CapabilityBoundingSet=~CAP_LEASE", 25, 1, _cap("LEASE"), "CapabilityBoundingSet=", None),
    ("CapabilityBoundingSet=~CAP_SYS_TTY_CONFIG", 25, 1, _cap("SYS_TTY_CONFIG"),
     "CapabilityBoundingSet=", None),
    ("CapabilityBoundingSet=~CAP_SYS_PACCT", 25, 1, _cap("SYS_PACCT"),
     "CapabilityBoundingSet=", None),
    ("CapabilityBoundingSet=~CAP_BPF", 25, 1, _cap("BPF"), "CapabilityBoundingSet=", None),
    ("UMask=", 100, 10, _umask, "UMask=0077", None),
    ("KeyringMode=", 1000, 1, lambda i: 0 if i.keyring_mode == "private" else 1,
     "KeyringMode=private", None),
    ("ProtectProc=", 1000, 3,
     lambda i: {"noaccess": 1, "invisible": 0, "ptraceable": 0}.get(i.protect_proc, 3),
     "ProtectProc=invisible", None),
    ("ProcSubset=", 10, 1, lambda i: 0 if i.proc_subset == "pid" else 1, "ProcSubset=pid",
     None),
    ("NotifyAccess=", 1000, 1, lambda i: 1 if i.notify_access == "all" else 0,
     "NotifyAccess=main", None),
    ("RemoveIPC=", 100, 1,
     lambda i: None if _privileged(i) else (0 if i.flags.get("RemoveIPC") else 1),
     "RemoveIPC=yes", None),
    ("Delegate=", 100, 1, lambda i: 1 if i.delegate else 0, "no Delegate=", None),
    ("RestrictRealtime=", 500, 1, _flag("RestrictRealtime"), "RestrictRealtime=yes", None),
    ("RestrictSUIDSGID=", 1000, 1, _flag("RestrictSUIDSGID"), "RestrictSUIDSGID=yes", None),
    ("RestrictNamespaces=~user", 1500, 1, _ns("user"), "RestrictNamespaces=yes", None),
    ("RestrictNamespaces=~mnt", 500, 1, _ns("mnt"), "RestrictNamespaces=yes", None),
    ("RestrictNamespaces=~ipc", 500, 1, _ns("ipc"), "RestrictNamespaces=yes", None),
    ("RestrictNamespaces=~pid", 500, 1, _ns("pid"), "RestrictNamespaces=yes", None),
    ("RestrictNamespaces=~cgroup", 500, 1, _ns("cgroup"), "RestrictNamespaces=yes", None),
    ("RestrictNamespaces=~net", 500, 1, _ns("net"), "RestrictNamespaces=yes", None),
    ("RestrictNamespaces=~uts", 100, 1, _ns("uts"), "RestrictNamespaces=yes", None),
    ("RestrictAddressFamilies=~AF_(INET|INET6)", 1500, 1, _af("AF_INET", "AF_INET6"),
     "RestrictAddressFamilies=", None),
    ("RestrictAddressFamilies=~AF_UNIX", 25, 1, _af("AF_UNIX"),
     "RestrictAddressFamilies=", None),
    ("RestrictAddressFamilies=~AF_NETLINK", 200, 1, _af("AF_NETLINK"),
     "RestrictAddressFamilies=", None),
    ("RestrictAddressFamilies=~AF_PACKET", 1000, 1, _af("AF_PACKET"),
     "RestrictAddressFamilies=", None),
    ("RestrictAddressFamilies=~…", 1250, 1, _af(other=True),
     "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6", None),
    ("SystemCallArchitectures=", 1000, 10, _archs, "SystemCallArchitectures=native", None),
    ("SystemCallFilter=~@swap", 1000, 10, _sc("@swap"), "SystemCallFilter=@system-service",
     None),
    ("SystemCallFilter=~@obsolete", 250, 10, _sc("@obsolete"),
     "SystemCallFilter=@system-service", None),
    ("SystemCallFilter=~@clock", 1000, 10, _sc("@clock"), "SystemCallFilter=@system-service",
     None),
    ("SystemCallFilter=~@cpu-emulation", 250, 10, _sc("@cpu-emulation"),
     "SystemCallFilter=@system-service", None),
    ("SystemCallFilter=~@debug", 1000, 10, _sc("@debug"), "SystemCallFilter=@system-service",
     None),
    ("SystemCallFilter=~@mount", 1000, 10, _sc("@mount"), "SystemCallFilter=@system-service",
     None),
    ("SystemCallFilter=~@module", 1000, 10, _sc("@module"),
     "SystemCallFilter=@system-service", None),
    ("SystemCallFilter=~@raw-io", 1000, 10, _sc("@raw-io"),
     "SystemCallFilter=@system-service", None),
    ("SystemCallFilter=~@reboot", 1000, 10, _sc("@reboot"),
     "SystemCallFilter=@system-service", None),
    ("SystemCallFilter=~@privileged", 700, 10, _sc("@privileged"),
     "SystemCallFilter=~@privileged", None),
    ("SystemCallFilter=~@resources", 700, 10, _sc("@resources"),
     "SystemCallFilter=~@resources", None),
    ("IPAddressDeny=", 1000, 10, _ip_deny, "IPAddressDeny=any", None),
    ("DeviceAllow=", 1000, 10, _devices, "DevicePolicy=closed", None),
    ("AmbientCapabilities=", 500, 1, lambda i: 1 if i.ambient else 0,
     "no AmbientCapabilities=", None),
)

# systemd's words for the score (in tenths): the first band the score reaches
BANDS = ((100, "DANGEROUS"), (90, "UNSAFE"), (75, "EXPOSED"), (50, "MEDIUM"), (10, "OK"),
         (1, "SAFE"), (0, "PERFECT"))


def _ceil_div(a, b):
    return -(-a // b)


class Exposure:
    __slots__ = ("tenths", "items")

    def __init__(self, tenths, items):
        self.tenths = tenths          # 0 … 100
        self.items = items            # [(name, weight, range, badness or None, fix)]

    @property
    def score(self):
        return self.tenths / 10

    @property
    def word(self):
        return next(name for limit, name in BANDS if self.tenths >= limit)

    def top(self, n=5):
        """The checks costing the most, as (name, fix, tenths of the score), largest first;
        checks sharing a fix are said once."""
        total = sum(w for _, w, _, b, _ in self.items if b is not None)
        costs = {}
        for name, weight, rng, badness, fix in self.items:
            if badness:
                cost = _ceil_div(badness * weight * 100, rng) / total
                prev = costs.get(fix)
                costs[fix] = (prev[0] + cost, prev[1]) if prev else (cost, name)
        ranked = sorted(costs.items(), key=lambda kv: -kv[1][0])
        return [(name, fix, cost / 10) for fix, (cost, name) in ranked[:n]]


def exposure(unit):
    """The Exposure of a service unit (its drop-ins already merged)."""
    info = gather(unit)
    badness_sum = weight_sum = 0
    items = []
    for name, weight, rng, assess, fix, only in CHECKS:
        if only is _DD and not info.default_dependencies:
            badness = None
        else:
            badness = assess(info)
        items.append((name, weight, rng, badness, fix))
        if badness is None:
            continue
        badness_sum += _ceil_div(badness * weight, rng)
        weight_sum += weight
    return Exposure(_ceil_div(badness_sum * 100, weight_sum), items)
