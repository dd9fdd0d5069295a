"""Compose rules about privileges, exposure, mounts and secrets."""

from __future__ import annotations

import re

from infra_expert.compose.walkers import (as_list, each_service, env_position, environment, hit,
                                          item_hit, mounts, ports, security_opts)
from infra_expert.dockerfile.walkers import ImageRef
from infra_expert.lazyre import lazy_re
from infra_expert.model import Hit, Pass, RuleSet
from infra_expert.secrets import MASK, is_literal_secret_value, is_secret_name, token_kind

rules = RuleSet("compose")

_SOCKETS = ("docker.sock", "podman.sock", "containerd.sock", "crio.sock", "cri-dockerd.sock",
            "buildkitd.sock", "kubelet.sock")
_SOCKET_DIRS = ("/var/run", "/run", "/run/containerd", "/var/run/docker", "/run/podman",
                "/run/user")


@rules.rule(
    "DC001", "critical", "security", "Container runtime socket mounted",
    "The Docker (or Podman, containerd) socket is root on the host: any process in the "
    "container can start a privileged container and take the machine. `:ro` does not help, "
    "the API still accepts writes.",
    "Remove the mount. If a tool needs the API (Traefik, Portainer, Watchtower), put a "
    "socket proxy such as tecnativa/docker-socket-proxy in front with only the endpoints "
    "it needs.",
    peers=("compose-lint:CL-0001", "kics:d6355c88-1e8d-49e9-b2f2-f8a1ca12c75b"))
def runtime_socket(doc, ctx):
    for svc in each_service(doc.model):
        for m in mounts(svc):
            src = m.source.rstrip("/")
            if any(src.endswith(s) for s in _SOCKETS) or src in _SOCKET_DIRS:
                yield item_hit(svc, "volumes", m.index, f"mounts `{m.source}`")


@rules.rule(
    "DC002", "critical", "security", "Privileged container",
    "`privileged: true` gives every capability, every device and no seccomp/AppArmor: a "
    "compromise of the service is a compromise of the host.",
    "Remove it and grant only what is needed: `cap_add: [NET_ADMIN]`, `devices: "
    "[/dev/ttyUSB0]`.",
    peers=("compose-lint:CL-0002", "kics:ae5b6871-7f45-42e0-bb4c-ab300c4d2026"))
def privileged(doc, ctx):
    for svc in each_service(doc.model):
        if svc.get("privileged") is True:
            yield hit(svc, "privileged", "`privileged: true`")


@rules.rule(
    "DC003", "suggestion", "security", "`no-new-privileges` not set",
    "Without it a setuid binary in the image can raise a process's privileges inside the "
    "container.",
    "Add `security_opt: [\"no-new-privileges:true\"]`.",
    positive="`no-new-privileges` set on {count} service(s)",
    peers=("compose-lint:CL-0003", "kics:27fcc7d6-c49b-46e0-98f1-6c082a6a2750",
           "kics:610e266e-6c12-4bca-9925-1ed0cd29742b"))
def no_new_privileges(doc, ctx):
    good = 0
    for svc in each_service(doc.model):
        if any(o.replace(" ", "") in ("no-new-privileges", "no-new-privileges:true")
               for o in security_opts(svc)):
            good += 1
        else:
            yield hit(svc, "security_opt", "no `no-new-privileges:true`")
    if good:
        yield Pass(None, count=good)


_MUTABLE_TAGS = {"latest", "stable", "edge", "test", "nightly", "dev", "beta", "canary", "lts",
                 "main", "master", "release"}


@rules.rule(
    "DC004", "warning", "reliability", "Image without a version tag",
    "No tag (`:latest`) or a moving tag such as `stable`: a `docker compose pull` can "
    "bring a new major version without any change in the file, and a rollback is "
    "impossible.",
    "Pin a version tag (`postgres:16.4`), ideally with its digest, and let Renovate or "
    "Diun tell you about updates.",
    peers=("compose-lint:CL-0004", "dclint:service-image-require-explicit-tag"))
def image_tag(doc, ctx):
    for svc in each_service(doc.model):
        image = svc.get("image")
        if not isinstance(image, str) or not image or "$" in image:
            continue
        ref = ImageRef(image)
        if ref.digest:
            continue
        if ref.tag is None:
            yield hit(svc, "image", f"`image: {image}` has no tag (means `:latest`)")
        elif ref.tag.lower() in _MUTABLE_TAGS:
            yield hit(svc, "image", f"`image: {image}` uses the moving tag `{ref.tag}`")


_PUBLIC_WEB = {80, 443}


@rules.rule(
    "DC005", "warning", "security", "Port published on all interfaces",
    "A port without a host address listens on every interface, and Docker's iptables rules "
    "bypass UFW/firewalld: a database or admin UI meant for the LAN is reachable from "
    "anywhere the host is. Ports 80 and 443 are taken as meant to be public.",
    "Bind to loopback or a LAN address: `\"127.0.0.1:5432:5432\"`, or reach the service "
    "through the reverse proxy on an internal network.",
    peers=("compose-lint:CL-0005", "dclint:no-unbound-port-interfaces",
           "kics:451d79dc-0588-476a-ad03-3c7f0320abb3"))
def unbound_ports(doc, ctx):
    for svc in each_service(doc.model):
        for p in ports(svc):
            if p.host_ip not in (None, "", "0.0.0.0", "::"):
                continue
            if not p.published:
                yield item_hit(svc, "ports", p.index,
                               f"`{p.text}` publishes on a random host port on all interfaces")
                continue
            published = p.published_range()
            if published and all(x in _PUBLIC_WEB for x in published):
                continue
            yield item_hit(svc, "ports", p.index, f"`{p.text}` listens on all interfaces")


@rules.rule(
    "DC006", "suggestion", "security", "Capabilities not dropped",
    "Containers start with about 14 capabilities (chown, setuid, net_raw …); most services "
    "need none of them.",
    "Add `cap_drop: [ALL]` and `cap_add` back only what the service needs "
    "(`NET_BIND_SERVICE` for ports below 1024).",
    positive="Capabilities dropped (`cap_drop: [ALL]`) on {count} service(s)",
    peers=("compose-lint:CL-0006", "kics:ce76b7d0-9e77-464d-b86f-c5c48e03e22d"))
def cap_drop(doc, ctx):
    good = 0
    for svc in each_service(doc.model):
        if any(str(c).upper() == "ALL" for c in as_list(svc.get("cap_drop"))):
            good += 1
        elif svc.get("privileged") is not True:
            yield hit(svc, "cap_drop", "no `cap_drop: [ALL]`")
    if good:
        yield Pass(None, count=good)


@rules.rule(
    "DC007", "suggestion", "security", "Root filesystem is writable",
    "A read-only root filesystem stops an intruder from dropping tools or changing code, "
    "and on an SD card it also stops stray writes.",
    "Set `read_only: true` and give writable paths a volume or `tmpfs: [/tmp]`.",
    peers=("compose-lint:CL-0007",))
def read_only(doc, ctx):
    for svc in each_service(doc.model):
        if svc.get("read_only") is not True:
            yield hit(svc, "read_only", "root filesystem is writable")


@rules.rule(
    "DC008", "warning", "security", "Host network mode",
    "`network_mode: host` removes network isolation: the service sees every host "
    "interface and can bind any port, and its ports are not managed by Compose.",
    "Use a bridge network with published ports; keep host mode for the few tools that "
    "really need it (e.g. Home Assistant discovery) and say why in a suppression.",
    peers=("compose-lint:CL-0008", "kics:071a71ff-f868-47a4-ac0b-3c59e4ab5443"))
def host_network(doc, ctx):
    for svc in each_service(doc.model):
        if str(svc.get("network_mode", "")).lower() == "host":
            yield hit(svc, "network_mode", "`network_mode: host`")


@rules.rule(
    "DC009", "warning", "security", "Seccomp or AppArmor disabled",
    "`seccomp:unconfined` and `apparmor:unconfined` remove the kernel filters that block "
    "the most dangerous system calls.",
    "Remove the option, or write a custom profile that allows only the extra calls needed.",
    peers=("compose-lint:CL-0009", "kics:404fde2c-bc4b-4371-9747-7054132ac953"))
def unconfined(doc, ctx):
    for svc in each_service(doc.model):
        for opt in security_opts(svc):
            if opt.replace(" ", "").lower() in ("seccomp:unconfined", "apparmor:unconfined"):
                yield hit(svc, "security_opt", f"`{opt}`")


@rules.rule(
    "DC010", "warning", "security", "Host namespace shared",
    "`pid: host`, `ipc: host` or `userns_mode: host` let the container see or signal host "
    "processes, read shared memory, or undo user-namespace remapping.",
    "Remove the setting unless the service is a host monitoring agent.",
    peers=("compose-lint:CL-0010", "kics:4f31dd9f-2cc3-4751-9b53-67e4af83dac0",
           "kics:baa3890f-bed7-46f5-ab8f-1da8fc91c729",
           "kics:8af7162d-6c98-482f-868e-0d33fb675ca8"))
def host_namespaces(doc, ctx):
    for svc in each_service(doc.model):
        for key in ("pid", "ipc", "userns_mode", "uts", "cgroup"):
            if str(svc.get(key, "")).lower() == "host":
                yield hit(svc, key, f"`{key}: host`")


_CRITICAL_CAPS = {"ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_RAWIO"}
_RISKY_CAPS = {"NET_ADMIN", "BPF", "SYS_BOOT", "SYS_PTRACE", "DAC_READ_SEARCH", "PERFMON",
               "SYS_TIME", "SYS_NICE", "IPC_LOCK", "LEASE", "SYSLOG"}


def _caps(svc):
    for i, cap in enumerate(as_list(svc.get("cap_add"))):
        name = str(cap).upper()
        yield i, name[4:] if name.startswith("CAP_") else name


@rules.rule(
    "DC011", "critical", "security", "Root-equivalent capability added",
    "`SYS_ADMIN`, `SYS_MODULE`, `SYS_RAWIO` or `ALL` are as good as privileged: they allow "
    "mounting filesystems, loading kernel modules or reading raw memory.",
    "Remove the capability; find the narrow one the service needs, or a device mapping.",
    peers=("compose-lint:CL-0024",))
def critical_caps(doc, ctx):
    for svc in each_service(doc.model):
        for i, cap in _caps(svc):
            if cap in _CRITICAL_CAPS:
                yield item_hit(svc, "cap_add", i, f"`cap_add: {cap}`")


@rules.rule(
    "DC012", "warning", "security", "Risky capability added",
    "NET_ADMIN, SYS_PTRACE, SYS_TIME, BPF and friends widen what a compromised container can "
    "do to the host (sniff and reroute traffic, read other processes, change the clock).",
    "Keep it only when the service needs it (a VPN needs NET_ADMIN) and say so in a "
    "suppression comment.",
    peers=("compose-lint:CL-0011", "compose-lint:CL-0027", "compose-lint:CL-0028",
           "compose-lint:CL-0029", "compose-lint:CL-0030"))
def risky_caps(doc, ctx):
    for svc in each_service(doc.model):
        for i, cap in _caps(svc):
            if cap in _RISKY_CAPS:
                yield item_hit(svc, "cap_add", i, f"`cap_add: {cap}`")


_SENSITIVE = ("/etc", "/proc", "/sys", "/root", "/boot", "/dev", "/var/run", "/run", "/home",
              "/usr", "/lib", "/var/lib/docker", "/var/lib/containers", "/var/log")
_ROOT_EQUIVALENT = ("/", "/etc", "/root", "/boot", "/usr", "/lib", "/bin", "/sbin",
                    "/var/lib/docker", "/var/lib/containers", "/var/lib/kubelet", "/proc",
                    "/sys")


_HARMLESS_READ_ONLY = {"/etc/localtime", "/etc/timezone", "/usr/share/zoneinfo",
                       "/etc/hostname", "/etc/machine-id", "/etc/ssl/certs"}


def _host_path(source):
    if source.startswith("~"):
        return "/root" + source[1:] if source in ("~", "~/") else source
    return source.rstrip("/") or "/"


@rules.rule(
    "DC013", "warning", "security", "Sensitive host path mounted",
    "Host system directories (`/etc`, `/proc`, `/sys`, home directories, SSH keys) give the "
    "container knowledge or control of the host.",
    "Mount only the specific file or directory needed, read-only (`:ro`).",
    peers=("compose-lint:CL-0013", "kics:1c1325ff-831d-43a1-973e-839ae57dfcc0"))
def sensitive_mount(doc, ctx):
    for svc in each_service(doc.model):
        for m in mounts(svc):
            if not m.bind or not m.source or "$" in m.source:
                continue
            src = _host_path(m.source)
            if any(s in src for s in _SOCKETS):
                continue   # DC001
            if src in _ROOT_EQUIVALENT and not m.read_only:
                continue   # DC014
            if m.read_only and src in _HARMLESS_READ_ONLY:
                continue
            if src == "/" or any(src == p or src.startswith(p + "/") for p in _SENSITIVE) \
                    or "/.ssh" in src or src.startswith("~/"):
                yield item_hit(svc, "volumes", m.index, f"mounts `{m.source}`"
                               + (" read-only" if m.read_only else ""))


@rules.rule(
    "DC014", "critical", "security", "Root-equivalent host path mounted writable",
    "Writing to the host's `/`, `/etc`, `/usr` or the container runtime's state lets the "
    "container change what the host runs: a full host compromise.",
    "Remove the mount, or make it read-only and as narrow as possible.",
    peers=("compose-lint:CL-0025",))
def writable_root_mount(doc, ctx):
    for svc in each_service(doc.model):
        for m in mounts(svc):
            if m.bind and m.source and "$" not in m.source and not m.read_only \
                    and _host_path(m.source) in _ROOT_EQUIVALENT:
                yield item_hit(svc, "volumes", m.index, f"mounts `{m.source}` writable")


@rules.rule(
    "DC016", "critical", "security", "Dangerous host device exposed",
    "Raw disks, `/dev/mem`, `/dev/kmsg` or an `a *:* rwm` cgroup rule give direct access to "
    "host hardware and memory.",
    "Map only the device the service needs (`/dev/ttyUSB0`, `/dev/dri/renderD128`).",
    peers=("compose-lint:CL-0016",))
def dangerous_devices(doc, ctx):
    bad = re.compile(r"^/dev/(?:mem|kmem|port|kmsg|sd[a-z]|nvme\d|mmcblk\d+$|vd[a-z]|xvd[a-z]|"
                     r"disk/|mapper/|loop|fuse$)")
    for svc in each_service(doc.model):
        for i, dev in enumerate(as_list(svc.get("devices"))):
            host = str(dev.get("source", "") if isinstance(dev, dict) else dev).split(":")[0]
            if bad.match(host):
                yield item_hit(svc, "devices", i, f"`devices: {host}`")
        for i, rule in enumerate(as_list(svc.get("device_cgroup_rules"))):
            if re.match(r"^a\b|^[bc]\s+\*:\*", str(rule).strip()):
                yield item_hit(svc, "device_cgroup_rules", i, f"`{rule}`")


@rules.rule(
    "DC017", "suggestion", "security", "Shared mount propagation",
    "`shared`/`rshared` propagation lets mounts made inside the container appear on the "
    "host (and the other way round).",
    "Use the default `rprivate` propagation unless a storage driver needs it.",
    peers=("compose-lint:CL-0017", "kics:baa452f0-1f21-4a25-ace5-844e7a5f410d"))
def shared_propagation(doc, ctx):
    for svc in each_service(doc.model):
        for m in mounts(svc):
            if m.propagation in ("shared", "rshared"):
                yield item_hit(svc, "volumes", m.index, f"`{m.propagation}` propagation")


@rules.rule(
    "DC018", "warning", "security", "Service runs explicitly as root",
    "`user: root` overrides a non-root USER the image may define.",
    "Run as the image's user, or a numeric id with the right volume ownership: "
    "`user: \"1000:1000\"`.",
    peers=("compose-lint:CL-0018",))
def user_root(doc, ctx):
    for svc in each_service(doc.model):
        user = str(svc.get("user", "")).strip()
        if re.match(r"^(?:root|0)(?::.*)?$", user):
            yield hit(svc, "user", f"`user: {user}`")


@rules.rule(
    "DC019", "suggestion", "security", "Image not pinned by digest",
    "A tag can be re-pushed; only a digest names exactly one image.",
    "Add the digest: `image: postgres:16.4@sha256:…` (Renovate keeps it fresh).",
    positive="Images pinned by digest on {count} service(s)",
    peers=("compose-lint:CL-0019",))
def digest(doc, ctx):
    good = 0
    for svc in each_service(doc.model):
        image = svc.get("image")
        if not isinstance(image, str) or "$" in image or svc.get("build") is not None:
            continue
        ref = ImageRef(image)
        if ref.digest:
            good += 1
        elif ref.tag and ref.tag.lower() not in _MUTABLE_TAGS:
            yield hit(svc, "image", f"`image: {image}` is pinned by tag only")
    if good:
        yield Pass(None, count=good)


@rules.rule(
    "DC020", "critical", "security", "Secret written as a literal in `environment`",
    "Credentials in the Compose file end up in git, in `docker inspect` and in every "
    "process listing of the container environment.",
    "Use Compose `secrets:` with the image's `*_FILE` variable "
    "(`POSTGRES_PASSWORD_FILE: /run/secrets/db_password`), or at least `${VAR}` from an "
    "untracked `.env`.",
    peers=("compose-lint:CL-0020",))
def literal_secret(doc, ctx):
    for svc in each_service(doc.model):
        raw = svc.data.get("environment")
        for name, value in environment(svc).items():
            if not value:
                continue
            if _interpolated(raw, name):
                continue   # came from ${VAR}: judged on the .env instead
            kind = token_kind(value)
            if kind or (is_secret_name(name) and is_literal_secret_value(value)):
                path, line, column = env_position(svc, name)
                yield Hit(line, f"service `{svc.label}`: `{name}={MASK}` is a literal "
                                f"{kind or 'secret'}", column=column, path=path)


def _interpolated(env, name):
    """True when the value of `name` was written as `${...}` (the result comes from .env)."""
    raw = getattr(env, "raw", None) or {}
    if isinstance(env, dict):
        return name in raw
    for i, text in raw.items():
        if str(text).partition("=")[0] == name:
            return True
    return False


_CONN = lazy_re(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:([^\s@/]+)@", re.IGNORECASE)


@rules.rule(
    "DC021", "critical", "security", "Credentials inside a connection string",
    "`postgres://user:password@db` in the environment or command exposes the password "
    "exactly like a literal secret, and is easy to miss.",
    "Build the URL from a secret file at start-up, or pass the password separately through "
    "`secrets:`.",
    peers=("compose-lint:CL-0021",))
def connection_string(doc, ctx):
    for svc in each_service(doc.model):
        for name, value in environment(svc).items():
            m = _CONN.search(value or "")
            if m and is_literal_secret_value(m.group(1)):
                path, line, column = env_position(svc, name)
                yield Hit(line, f"service `{svc.label}`: `{name}` holds a URL with a "
                                f"password (`…:{MASK}@…`)", column=column, path=path)


@rules.rule(
    "DC022", "suggestion", "security", "tmpfs mounted with exec or suid",
    "A writable tmpfs that allows executables (or setuid) is the classic place to drop and "
    "run a payload.",
    "Mount tmpfs with `noexec,nosuid` (the default when no options are given).",
    peers=("compose-lint:CL-0022",))
def tmpfs_exec(doc, ctx):
    for svc in each_service(doc.model):
        for i, entry in enumerate(as_list(svc.get("tmpfs"))):
            opts = str(entry).split(":", 1)[1] if ":" in str(entry) else ""
            if re.search(r"(?:^|,)(?:exec|suid)(?:,|$)", opts):
                yield item_hit(svc, "tmpfs", i, f"`tmpfs: {entry}`")


@rules.rule(
    "DC023", "suggestion", "reliability", "Custom cgroup parent",
    "`cgroup_parent` moves the container out of the runtime's resource accounting; limits "
    "and monitoring may not apply as expected.",
    "Remove `cgroup_parent` unless a host-level resource policy requires it.",
    peers=("kics:4d9f44c6-2f4a-4317-9bb5-267adbea0232",))
def cgroup_parent(doc, ctx):
    for svc in each_service(doc.model):
        if svc.get("cgroup_parent"):
            yield hit(svc, "cgroup_parent", f"`cgroup_parent: {svc.get('cgroup_parent')}`")
