"""A Quadlet unit read as what it will run: keys and `PodmanArgs=` flags together.

`PodmanArgs=` and `GlobalArgs=` pass raw flags to `podman run`; a `--privileged` or a
`-p 0.0.0.0:…` hidden there must be seen like the equivalent key. `effective()` merges
both into one view whose every item remembers the Entry (file and line) it came from.
"""

from __future__ import annotations

from infra_expert.shell import split_words

QUADLET_KINDS = {".container": "Container", ".pod": "Pod", ".volume": "Volume",
                 ".network": "Network", ".kube": "Kube", ".image": "Image", ".build": "Build",
                 ".artifact": "Artifact"}

# podman run flags that take a value (so that the value is not read as a flag)
_VALUE_FLAGS = {
    "-p": "publish", "--publish": "publish", "-v": "volume", "--volume": "volume",
    "--cap-add": "cap_add", "--cap-drop": "cap_drop", "--security-opt": "security_opt",
    "--network": "network", "--net": "network", "-e": "env", "--env": "env", "-u": "user",
    "--user": "user", "--pid": "pid", "--ipc": "ipc", "--userns": "userns",
    "--device": "device", "--mount": "mount", "--name": None, "--label": None, "-l": None,
    "--memory": "memory", "-m": "memory", "--pids-limit": "pids", "--health-cmd": "health",
    "--restart": "restart", "--log-driver": None, "--log-opt": None, "--env-file": None,
    "--hostname": None, "-h": None, "--workdir": None, "-w": None, "--entrypoint": None,
    "--tmpfs": None, "--ulimit": None, "--sysctl": None, "--add-host": None, "--dns": None,
    "--cgroupns": None, "--uts": "uts", "--annotation": None, "--secret": "secret",
}
_BOOL_FLAGS = {"--privileged": "privileged", "--read-only": "read_only",
               "--no-new-privileges": "no_new_privileges", "--init": None, "--rm": None,
               "-d": None, "--detach": None, "-t": None, "-i": None, "--tty": None}


class Item:
    __slots__ = ("value", "entry", "via_args")

    def __init__(self, value, entry, via_args=False):
        self.value = value
        self.entry = entry
        self.via_args = via_args


def parse_podman_args(entry):
    """{name: [Item]} from one PodmanArgs= entry."""
    out = {}
    words = split_words(entry.value)
    i = 0
    while i < len(words):
        w = words[i]
        flag, eq, inline = w.partition("=")
        if flag in _BOOL_FLAGS:
            name = _BOOL_FLAGS[flag]
            if name:
                truth = inline.lower() not in ("false", "0") if eq else True
                out.setdefault(name, []).append(Item(truth, entry, True))
            i += 1
            continue
        if flag in _VALUE_FLAGS:
            if eq:
                value = inline
                i += 1
            else:
                value = words[i + 1] if i + 1 < len(words) else ""
                i += 2
            name = _VALUE_FLAGS[flag]
            if name:
                out.setdefault(name, []).append(Item(value, entry, True))
            continue
        i += 1
    return out


# Quadlet [Container] keys mapped onto the same names as the podman run flags
_KEY_MAP = {"PublishPort": "publish", "Volume": "volume", "AddCapability": "cap_add",
            "DropCapability": "cap_drop", "Network": "network", "Environment": "env",
            "User": "user", "UserNS": "userns", "AddDevice": "device", "Mount": "mount",
            "Memory": "memory", "PidsLimit": "pids", "HealthCmd": "health", "Secret": "secret"}


def effective(unit, section="Container"):
    """{name: [Item]} from the unit's keys and its PodmanArgs/GlobalArgs flags."""
    out = {}
    for key, name in _KEY_MAP.items():
        for e in unit.get_all(section, key):
            if key == "Environment":
                values = split_words(e.value)
            elif key in ("AddCapability", "DropCapability"):
                values = e.value.split()
            else:
                values = [e.value]
            for v in values:
                out.setdefault(name, []).append(Item(v, e))
    for key, name in (("ReadOnly", "read_only"), ("NoNewPrivileges", "no_new_privileges")):
        e = unit.entry(section, key)
        if e is not None:
            out.setdefault(name, []).append(Item(e.value.lower() in ("true", "yes", "1", "on"),
                                                 e))
    seccomp = unit.entry(section, "SeccompProfile")
    if seccomp is not None:
        out.setdefault("security_opt", []).append(Item(f"seccomp={seccomp.value}", seccomp))
    for key in ("PodmanArgs", "GlobalArgs"):
        for e in unit.get_all(section, key):
            for name, items in parse_podman_args(e).items():
                out.setdefault(name, []).extend(items)
    return out


def volume_parts(value):
    """(source, container path, options) of `Volume=SOURCE:TARGET[:OPTIONS]`, or
    `Volume=/target` (an anonymous volume: no source)."""
    parts = str(value).split(":")
    if len(parts) == 1:
        return "", parts[0], ""
    return parts[0], parts[1], parts[2] if len(parts) > 2 else ""


def publish_parts(value):
    """(host address or None, host port or None, container port) of `PublishPort=` as
    podman reads it (`[::]:9000:9000`, `127.0.0.1:8080:80`, `8080:80`, `80`)."""
    value = str(value).strip()
    host_ip = None
    if value.startswith("["):
        close = value.find("]")
        host_ip, value = value[1:close], value[close + 2:]
    parts = value.split(":")
    if len(parts) >= 3:
        host_ip, host_port, container = parts[-3], parts[-2], parts[-1]
    elif len(parts) == 2:
        host_port, container = parts
    else:
        host_port, container = None, parts[0]
    return host_ip or None, host_port or None, container

