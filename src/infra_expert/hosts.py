"""Host profiles: the machine a stack is meant to run on (`--host rpi4-4gb`).

A profile gives memory, CPUs, architecture and the kind of storage. *Usable* memory is
what is left for the services once the operating system, the container engine and a floor
of page cache are served: 10 % of the memory, at least 256 MiB (a Raspberry Pi OS Lite
with Docker idles at ~200–250 MiB; a 16 GiB machine keeps more for its page cache).
"""

from __future__ import annotations

import re

GIB, MIB = 1 << 30, 1 << 20
RESERVED_SHARE, RESERVED_FLOOR = 0.10, 256 * MIB


class Host:
    __slots__ = ("name", "label", "memory", "cpus", "arch", "storage")

    def __init__(self, name, label, memory, cpus, arch=None, storage=None):
        self.name, self.label = name, label
        self.memory, self.cpus, self.arch, self.storage = memory, cpus, arch, storage

    @property
    def usable_memory(self):
        return max(self.memory - max(int(self.memory * RESERVED_SHARE), RESERVED_FLOOR), 0)

    @property
    def small(self):
        """A host where one unbounded service can starve the others (≤ 8 GiB)."""
        return self.memory <= 8 * GIB

    def as_dict(self):
        return {"name": self.name, "label": self.label, "memory_bytes": self.memory,
                "usable_memory_bytes": self.usable_memory, "cpus": self.cpus,
                "arch": self.arch, "storage": self.storage}


PROFILES = {
    "rpi3-1gb": ("Raspberry Pi 3 (1 GiB)", 1 * GIB, 4, "arm64", "sd"),
    "rpi4-2gb": ("Raspberry Pi 4 (2 GiB)", 2 * GIB, 4, "arm64", "sd"),
    "rpi4-4gb": ("Raspberry Pi 4 (4 GiB)", 4 * GIB, 4, "arm64", "sd"),
    "rpi4-8gb": ("Raspberry Pi 4 (8 GiB)", 8 * GIB, 4, "arm64", "sd"),
    "rpi5-4gb": ("Raspberry Pi 5 (4 GiB)", 4 * GIB, 4, "arm64", "sd"),
    "rpi5-8gb": ("Raspberry Pi 5 (8 GiB)", 8 * GIB, 4, "arm64", "sd"),
    "zimaboard-2gb": ("ZimaBoard (2 GiB)", 2 * GIB, 2, "amd64", "ssd"),
    "zimaboard-8gb": ("ZimaBoard (8 GiB)", 8 * GIB, 4, "amd64", "ssd"),
    "nuc-16gb": ("Intel NUC (16 GiB)", 16 * GIB, 8, "amd64", "ssd"),
}
ARCHES = ("amd64", "arm64", "arm")
STORAGES = ("sd", "ssd", "hdd")
_VM = re.compile(r"vm-(\d+(?:\.\d+)?)([mg])(?:i?b)?-(\d+(?:\.\d+)?)", re.IGNORECASE)


def parse_size(text):
    """`4GiB`, `4g`, `512M`, `2048MiB` -> bytes (binary units, as Compose reads them);
    ValueError otherwise, and for a bare small number (`4` is not 4 GiB)."""
    from infra_expert.quantities import size_bytes
    size = size_bytes(text)
    if size is None or size < 1024 * 1024:
        raise ValueError(f"`{text}` is not a memory size (write it like `4GiB` or `512MiB`)")
    return size


def parse_host(spec):
    """A profile name, or `vm-<memory>-<cpus>` (`vm-4g-2`, `vm-512m-1`); ValueError."""
    name = str(spec).strip().lower()
    if name in PROFILES:
        return Host(name, *PROFILES[name])
    m = _VM.fullmatch(name)
    if m:
        memory = int(float(m.group(1)) * (GIB if m.group(2).lower() == "g" else MIB))
        cpus = float(m.group(3))
        if memory >= 64 * MIB and cpus > 0:
            return Host(name, f"VM ({m.group(1)}{m.group(2).upper()}iB, {m.group(3)} CPU)",
                        memory, cpus)
    raise ValueError(f"unknown host `{spec}` (one of {', '.join(PROFILES)}, or "
                     "vm-<memory>-<cpus> such as vm-4g-2)")


def custom_host(base, memory=None, cpus=None, arch=None, storage=None):
    """A profile (or nothing) with the given fields overridden (`--host-memory 4GiB`)."""
    host = base or Host("custom", "custom host", None, None)
    if memory is not None:
        host.memory = parse_size(memory)
    if cpus is not None:
        host.cpus = float(cpus)
        if host.cpus <= 0:
            raise ValueError("`host-cpus` must be a positive number")
    if arch is not None:
        if str(arch).lower() not in ARCHES:
            raise ValueError(f"`host-arch` must be one of {', '.join(ARCHES)}")
        host.arch = str(arch).lower()
    if storage is not None:
        if str(storage).lower() not in STORAGES:
            raise ValueError(f"`host-storage` must be one of {', '.join(STORAGES)}")
        host.storage = str(storage).lower()
    if host.memory is None:
        raise ValueError("a host needs its memory: `--host PROFILE` or `--host-memory 4GiB`")
    if base is None or memory is not None or cpus is not None:
        host.label = f"{host.label if base else 'host'} ({host.memory / GIB:g} GiB" + (
            f", {host.cpus:g} CPU)" if host.cpus else ")")
    return host
