"""Compose rules about privileges, exposure, mounts and secrets."""

from __future__ import annotations

import re

from infra_expert.compose.walkers import (as_list, each_service, env_position, environment, hit,
                                          item_hit, mounts, ports, security_opts)
from infra_expert.images import ImageRef
from infra_expert.knowledge import (DROP_PRIVILEGE_ENV, drops_privileges_image, image_role,
                                    is_socket_proxy, is_weak_default, secret_context)
from infra_expert.lazyre import lazy_re
from infra_expert.model import Hit, Pass, RuleSet
from infra_expert.secrets import MASK, is_literal_secret_value, is_secret_name, token_kind

rules = RuleSet("compose")

_SOCKETS = ("docker.sock", "podman.sock", "containerd.sock", "crio.sock", "cri-dockerd.sock",
            "buildkitd.sock", "kubelet.sock", "/run/systemd/private")
# Folders that hold a runtime's control socket: mounting one of them, or any folder above
# them (`/var`, `/`), hands the socket over without naming it.
_SOCKET_DIRS = ("/var/run", "/run", "/run/containerd", "/var/run/docker", "/run/podman",
                "/run/user", "/run/systemd", "/var/run/containerd", "/var/run/systemd")


def _normal(source):
    """A host path as the kernel reads it: `//var/run/./docker.sock`, `/var/run/../run/x`
    and `/var/run/docker.sock/` all name one file, and Compose passes them verbatim."""
    import posixpath
    if not source.startswith("/"):
        return source
    return posixpath.normpath("/" + source.lstrip("/"))


def _exposes_socket(source):
    """True when a bind mount of `source` reaches a runtime socket: the socket itself
    (named anywhere in the path, `${XDG_RUNTIME_DIR}/docker.sock` too), a folder that holds
    one, or a folder above such a folder (`/var`, the whole `/`)."""
    if not source:
        return False
    src = _normal(source)
    if any(src.endswith(s) for s in _SOCKETS):
        return True
    return src.startswith("/") and (src == "/" or any(
        d == src or d.startswith(src + "/") for d in _SOCKET_DIRS))


def _names_socket(source):
    return any(_normal(source).endswith(s) for s in _SOCKETS)


def _reads_host_only(svc, socket):
    """A well-known agent that reads host folders (node-exporter mounting `/` read-only):
    the socket is inside what it mounts, not what it talks to. DC001 says the mount (a
    warning); there is no API behind its port to chain to."""
    role = image_role(_image(svc), "socket")
    return role is not None and "host" in role.needs and all(
        m.read_only and not _names_socket(m.source) for m in socket)


def _image(svc):
    image = svc.get("image")
    return image if isinstance(image, str) else ""


def _calibrate(h, svc, need, severity):
    """A well-known image that needs this privilege: keep the finding, lower it, say why."""
    role = image_role(_image(svc), need)
    if role is not None:
        h.severity = severity
        h.message += f" — expected for {role.name} (`{_image(svc)}`); {role.advice}"
    return h


def _socket_mounts(svc, project=None):
    """Mounts that hand a runtime socket to the container. Edge cases (compose-lint
    CL-0001): any mount naming `docker.sock`, `podman.sock`, `containerd.sock`,
    `crio.sock` (rootless `$XDG_RUNTIME_DIR/docker.sock` too) or systemd's
    `/run/systemd/private`, `:ro` or not (the API stays read-write); a mount of a folder
    that holds one (`/run`, `/var/run`, `/run/containerd`, `/run/systemd`) or of any folder
    above it (`/var`, the whole `/`), in either mode; host paths normalised first
    (`//var/run/./docker.sock`, `/var/run/../run`). A sibling that holds no daemon socket
    (`/run/myapp`, `/run/user/1000`, `/run/dbus`) is not a socket mount. A named volume
    that the local driver binds to a host folder (`driver_opts: {type: none, o: bind,
    device: /var/run}`) is judged by that folder."""
    binds = _bound_volumes(project) if project is not None else {}
    for m in mounts(svc):
        if _exposes_socket(m.source):
            yield m
        elif not m.bind and _exposes_socket(binds.get(m.source)):
            m.source = f"{m.source} → {binds[m.source]}"   # the volume and its host folder
            yield m


def _bound_volumes(project):
    """{named volume: host folder} for top-level volumes the local driver binds."""
    out = {}
    for name, spec in project.top("volumes").items():
        opts = spec.get("driver_opts") if isinstance(spec, dict) else None
        if not isinstance(opts, dict) or spec.get("driver", "local") != "local":
            continue
        device = opts.get("device")
        if isinstance(device, str) and device.startswith("/") and (
                str(opts.get("type", "")) in ("none", "bind") or "bind" in str(opts.get("o", ""))):
            out[str(name)] = device
    return out


def _runs_as_root(svc):
    """No non-root `user:`, and neither an image that switches user itself nor PUID/PGID."""
    user = str(svc.get("user", "") or "").strip()
    if user and not re.match(r"^(?:root|0)(?::.*)?$", user):
        return False
    env = environment(svc)
    if not user and (drops_privileges_image(_image(svc))
                     or any(env.get(k) for k in DROP_PRIVILEGE_ENV)):
        return False
    return True


def _where(svc, key):
    path, line = svc.where(key)
    return f"{path}:{line}"


def _chain_index(ctx):
    """{id(document): (parts, chains)}: the compound risks of each project, once."""
    return {}


def _chains(doc, ctx):
    """Compound risks of a project: {(service name, part rule id): (chain rule id, text)},
    and the chains themselves as [(rule id, service, message, severity)]. Computed once."""
    known = ctx.index(_chain_index)
    if id(doc) in known:
        return known[id(doc)]
    parts, chains = {}, []
    for svc in each_service(doc.model):
        socket = [m for m in _socket_mounts(svc, doc.model)]
        open_ports = [p for p in ports(svc) if p.all_interfaces
                      and not (p.published_range()
                               and all(x in _PUBLIC_WEB for x in p.published_range()))]
        if socket and open_ports and _runs_as_root(svc) and not is_socket_proxy(_image(svc)) \
                and not _reads_host_only(svc, socket):
            port_at = item_hit(svc, "ports", open_ports[0].index, "")
            sock_at = item_hit(svc, "volumes", socket[0].index, "")
            root = (f"`user: {svc.get('user')}` at {_where(svc, 'user')}"
                    if svc.get("user") is not None else "no `user:` (root)")
            mounted = (f"the runtime socket `{socket[0].source}` mounted directly"
                       if _names_socket(socket[0].source) else
                       f"`{socket[0].source}` mounted (it holds the runtime socket)")
            text = (f"port `{open_ports[0].text}` on all interfaces "
                    f"({port_at.path}:{port_at.line}) + {mounted} "
                    f"({sock_at.path}:{sock_at.line})"
                    f" + {root}: anyone who reaches "
                    "that port and gets past the app (or it has no login) is root on the "
                    "host")
            chains.append(("DC070", svc, text))
            for part in ("DC001", "DC005", "DC018"):
                parts[(svc.name, part)] = ("DC070", "remote root on the host",
                                           _where(svc, "volumes"))
        if svc.get("privileged") is True and \
                str(svc.get("network_mode", "")).lower() == "host" and \
                image_role(_image(svc), "privileged") is None:
            text = (f"`privileged: true` ({_where(svc, 'privileged')}) + `network_mode: host` "
                    f"({_where(svc, 'network_mode')}): every capability and device, on the "
                    "host's own network stack — a compromise of this service is the host, "
                    "its interfaces and firewall included")
            chains.append(("DC071", svc, text))
            for part in ("DC002", "DC008"):
                parts[(svc.name, part)] = ("DC071", "privileged on the host network",
                                           _where(svc, "privileged"))
    known[id(doc)] = (parts, chains)
    return parts, chains


def _part_of(h, doc, ctx, svc, rule_id):
    """Point a part of a compound risk at the compound, which carries the critical."""
    found = _chains(doc, ctx)[0].get((svc.name, rule_id))
    if found is not None:
        h.message += f" — part of {found[0]} ({found[1]}, at {found[2]})"
    return h


@rules.rule(
    "DC001", "critical", "security", "Container runtime socket mounted",
    "The Docker (or Podman, containerd) socket is root on the host: any process in the "
    "container can start a privileged container and take the machine. `:ro` does not help, "
    "the API still accepts writes.",
    "Remove the mount. If a tool needs the API (Traefik, Portainer, Watchtower), put a "
    "socket proxy such as tecnativa/docker-socket-proxy in front with only the endpoints "
    "it needs. Expected (a warning) for the images that drive the Docker API by design, "
    "see *Well-known images* below; a socket proxy mounting it is a positive point.",
    positive="Docker socket reached through a socket proxy ({name}): the other services "
             "talk to the proxy, not to the socket",
    peers=("compose-lint:CL-0001", "kics:d6355c88-1e8d-49e9-b2f2-f8a1ca12c75b"),
    example=(
        'services:\n'
        '  socket-proxy:\n'
        '    image: tecnativa/docker-socket-proxy:0.2.0\n'
        '    environment:\n'
        '      CONTAINERS: 1\n'
        '    volumes:\n'
        '      - /var/run/docker.sock:/var/run/docker.sock:ro\n'
        '  traefik:\n'
        '    image: traefik:v3.1\n'
        '    command: ["--providers.docker.endpoint=tcp://socket-proxy:2375"]'))
def runtime_socket(doc, ctx):
    proxies = []
    for svc in each_service(doc.model):
        for m in _socket_mounts(svc, doc.model):
            if is_socket_proxy(_image(svc)):
                proxies.append(svc.name)
                if not m.read_only:
                    h = item_hit(svc, "volumes", m.index, f"socket proxy mounts "
                                 f"`{m.source}` writable: add `:ro`")
                    h.severity = "suggestion"
                    yield h
                continue
            h = _calibrate(item_hit(svc, "volumes", m.index, f"mounts `{m.source}`"),
                           svc, "socket", "warning")
            yield _part_of(h, doc, ctx, svc, "DC001")
    if proxies:
        yield Pass(None, name=", ".join(f"`{p}`" for p in proxies))


@rules.rule(
    "DC002", "critical", "security", "Privileged container",
    "`privileged: true` gives every capability, every device and no seccomp/AppArmor: a "
    "compromise of the service is a compromise of the host.",
    "Remove it and grant only what is needed: `cap_add: [NET_ADMIN]`, `devices: "
    "[/dev/ttyUSB0]`.",
    peers=("compose-lint:CL-0002", "kics:ae5b6871-7f45-42e0-bb4c-ab300c4d2026"),
    example=(
        'services:\n'
        '  zigbee2mqtt:\n'
        '    image: koenkk/zigbee2mqtt:1.40.1\n'
        '    devices:\n'
        '      - /dev/ttyUSB0:/dev/ttyACM0\n'
        '    restart: unless-stopped'))
def privileged(doc, ctx):
    for svc in each_service(doc.model):
        if svc.get("privileged") is True:
            h = _calibrate(hit(svc, "privileged", "`privileged: true` (its capabilities "
                               "and devices are said here once)"), svc, "privileged",
                           "warning")
            yield _part_of(h, doc, ctx, svc, "DC002")


@rules.rule(
    "DC003", "suggestion", "security", "`no-new-privileges` not set",
    "Without it a setuid binary in the image can raise a process's privileges inside the "
    "container.",
    "Add `security_opt: [\"no-new-privileges:true\"]`.",
    positive="`no-new-privileges` set on {count} service(s)",
    peers=("compose-lint:CL-0003", "kics:27fcc7d6-c49b-46e0-98f1-6c082a6a2750",
           "kics:610e266e-6c12-4bca-9925-1ed0cd29742b"),
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    security_opt:\n'
        '      - no-new-privileges:true'))
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
    peers=("compose-lint:CL-0004", "dclint:service-image-require-explicit-tag"),
    example=(
        'services:\n'
        '  db:\n'
        '    image: postgres:16.4\n'
        '    volumes:\n'
        '      - db-data:/var/lib/postgresql/data\n'
        'volumes:\n'
        '  db-data:'))
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
           "kics:451d79dc-0588-476a-ad03-3c7f0320abb3"),
    example=(
        'services:\n'
        '  db:\n'
        '    image: postgres:16.4\n'
        '    ports:\n'
        '      - "127.0.0.1:5432:5432"'))
def unbound_ports(doc, ctx):
    for svc in each_service(doc.model):
        for p in ports(svc):
            if not p.all_interfaces:
                continue
            if not p.published:
                yield item_hit(svc, "ports", p.index,
                               f"`{p.text}` publishes on a random host port on all interfaces")
                continue
            published = p.published_range()
            if published and all(x in _PUBLIC_WEB for x in published):
                continue
            yield _part_of(item_hit(svc, "ports", p.index,
                                    f"`{p.text}` listens on all interfaces"),
                           doc, ctx, svc, "DC005")


@rules.rule(
    "DC006", "suggestion", "security", "Capabilities not dropped",
    "Containers start with about 14 capabilities (chown, setuid, net_raw …); most services "
    "need none of them.",
    "Add `cap_drop: [ALL]` and `cap_add` back only what the service needs "
    "(`NET_BIND_SERVICE` for ports below 1024).",
    positive="Capabilities dropped (`cap_drop: [ALL]`) on {count} service(s)",
    peers=("compose-lint:CL-0006", "kics:ce76b7d0-9e77-464d-b86f-c5c48e03e22d"),
    example=(
        'services:\n'
        '  web:\n'
        '    image: nginxinc/nginx-unprivileged:1.27-alpine\n'
        '    cap_drop: [ALL]\n'
        '    ports:\n'
        '      - "127.0.0.1:8080:8080"'))
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
    peers=("compose-lint:CL-0007",),
    example=(
        'services:\n'
        '  web:\n'
        '    image: nginxinc/nginx-unprivileged:1.27-alpine\n'
        '    read_only: true\n'
        '    tmpfs:\n'
        '      - /tmp'))
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
    peers=("compose-lint:CL-0008", "kics:071a71ff-f868-47a4-ac0b-3c59e4ab5443"),
    example=(
        'services:\n'
        '  web:\n'
        '    image: nginx:1.27-alpine\n'
        '    networks: [frontend]\n'
        '    ports:\n'
        '      - "127.0.0.1:8080:80"\n'
        'networks:\n'
        '  frontend:'))
def host_network(doc, ctx):
    for svc in each_service(doc.model):
        if str(svc.get("network_mode", "")).lower() == "host":
            h = _calibrate(hit(svc, "network_mode", "`network_mode: host`"), svc, "host",
                           "suggestion")
            yield _part_of(h, doc, ctx, svc, "DC008")


@rules.rule(
    "DC009", "warning", "security", "Seccomp or AppArmor disabled",
    "`seccomp:unconfined` and `apparmor:unconfined` remove the kernel filters that block "
    "the most dangerous system calls.",
    "Remove the option, or write a custom profile that allows only the extra calls needed.",
    peers=("compose-lint:CL-0009", "kics:404fde2c-bc4b-4371-9747-7054132ac953"),
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    security_opt:\n'
        '      - no-new-privileges:true'))
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
           "kics:8af7162d-6c98-482f-868e-0d33fb675ca8"),
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    init: true'))
def host_namespaces(doc, ctx):
    for svc in each_service(doc.model):
        for key in ("pid", "ipc", "userns_mode", "uts", "cgroup"):
            if str(svc.get(key, "")).lower() == "host":
                yield _calibrate(hit(svc, key, f"`{key}: host`"), svc, "host", "suggestion")


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
    peers=("compose-lint:CL-0024",),
    example=(
        'services:\n'
        '  vpn:\n'
        '    image: qmcgaw/gluetun:v3.39.0\n'
        '    cap_add: [NET_ADMIN]\n'
        '    devices:\n'
        '      - /dev/net/tun:/dev/net/tun'))
def critical_caps(doc, ctx):
    for svc in each_service(doc.model):
        if svc.get("privileged") is True:
            continue   # said once, on `privileged` (DC002)
        for i, cap in _caps(svc):
            if cap in _CRITICAL_CAPS:
                yield _calibrate(item_hit(svc, "cap_add", i, f"`cap_add: {cap}`"), svc,
                                 "caps", "warning")


@rules.rule(
    "DC012", "warning", "security", "Risky capability added",
    "NET_ADMIN, SYS_PTRACE, SYS_TIME, BPF and friends widen what a compromised container can "
    "do to the host (sniff and reroute traffic, read other processes, change the clock).",
    "Keep it only when the service needs it (a VPN needs NET_ADMIN) and say so in a "
    "suppression comment.",
    peers=("compose-lint:CL-0011", "compose-lint:CL-0027", "compose-lint:CL-0028",
           "compose-lint:CL-0029", "compose-lint:CL-0030"),
    example=(
        'services:\n'
        '  web:\n'
        '    image: nginx:1.27-alpine\n'
        '    cap_drop: [ALL]\n'
        '    cap_add: [NET_BIND_SERVICE, CHOWN, SETUID, SETGID]'))
def risky_caps(doc, ctx):
    for svc in each_service(doc.model):
        if svc.get("privileged") is True:
            continue   # said once, on `privileged` (DC002)
        for i, cap in _caps(svc):
            if cap in _RISKY_CAPS:
                yield _calibrate(item_hit(svc, "cap_add", i, f"`cap_add: {cap}`"), svc,
                                 "caps", "suggestion")


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
    return _normal(source)


@rules.rule(
    "DC013", "warning", "security", "Sensitive host path mounted",
    "Host system directories (`/etc`, `/proc`, `/sys`, home directories, SSH keys) give the "
    "container knowledge or control of the host.",
    "Mount only the specific file or directory needed, read-only (`:ro`).",
    peers=("compose-lint:CL-0013", "kics:1c1325ff-831d-43a1-973e-839ae57dfcc0"),
    example=(
        'services:\n'
        '  promtail:\n'
        '    image: grafana/promtail:3.1.1\n'
        '    volumes:\n'
        '      - /etc/localtime:/etc/localtime:ro\n'
        '      - /srv/nginx/logs:/var/log/nginx:ro\n'
        '      - ./promtail.yaml:/etc/promtail/config.yml:ro'))
def sensitive_mount(doc, ctx):
    """Edge cases (compose-lint CL-0013): bind mounts of `/`, `/etc`, `/proc`, `/sys`,
    `/boot`, `/dev`, `/root`, `/home`, `/var/lib/docker`, … and their subpaths, short or
    long syntax, host paths normalised first (`//etc`, `/./etc`, `/srv/../etc`); a socket
    or a folder holding one is DC001's, a writable root-equivalent path DC014's; a few
    harmless read-only files (`/etc/localtime`, `/etc/timezone`) are not reported."""
    for svc in each_service(doc.model):
        for m in mounts(svc):
            if not m.bind or not m.source or "$" in m.source:
                continue
            src = _host_path(m.source)
            if _exposes_socket(src) and src not in ("/", "/var"):
                continue   # DC001 (a mount of `/` or `/var` is also a sensitive path)
            if src in _ROOT_EQUIVALENT and not m.read_only:
                continue   # DC014
            if m.read_only and src in _HARMLESS_READ_ONLY:
                continue
            if src == "/" or any(src == p or src.startswith(p + "/") for p in _SENSITIVE) \
                    or "/.ssh" in src or src.startswith("~/"):
                yield _calibrate(item_hit(svc, "volumes", m.index, f"mounts `{m.source}`"
                                          + (" read-only" if m.read_only else "")),
                                 svc, "host", "suggestion")


@rules.rule(
    "DC014", "critical", "security", "Root-equivalent host path mounted writable",
    "Writing to the host's `/`, `/etc`, `/usr` or the container runtime's state lets the "
    "container change what the host runs: a full host compromise.",
    "Remove the mount, or make it read-only and as narrow as possible.",
    peers=("compose-lint:CL-0025",),
    example=(
        'services:\n'
        '  backup:\n'
        '    image: restic/restic:0.17.1\n'
        '    volumes:\n'
        '      - /srv/app/data:/data:ro\n'
        '      - backup-cache:/root/.cache/restic\n'
        'volumes:\n'
        '  backup-cache:'))
def writable_root_mount(doc, ctx):
    """Edge cases (compose-lint CL-0025): writable binds of `/`, `/etc`, `/root`, `/boot`,
    `/proc`, `/var/lib/docker` (and the other root-equivalent paths), host paths
    normalised first; `:ro` moves the mount to DC013."""
    for svc in each_service(doc.model):
        for m in mounts(svc):
            if m.bind and m.source and "$" not in m.source and not m.read_only \
                    and _host_path(m.source) in _ROOT_EQUIVALENT:
                yield _calibrate(item_hit(svc, "volumes", m.index,
                                          f"mounts `{m.source}` writable"),
                                 svc, "host", "warning")


@rules.rule(
    "DC016", "critical", "security", "Dangerous host device exposed",
    "Raw disks, `/dev/mem`, `/dev/kmsg` or an `a *:* rwm` cgroup rule give direct access to "
    "host hardware and memory.",
    "Map only the device the service needs (`/dev/ttyUSB0`, `/dev/dri/renderD128`).",
    peers=("compose-lint:CL-0016",),
    example=(
        'services:\n'
        '  jellyfin:\n'
        '    image: jellyfin/jellyfin:10.9.10\n'
        '    devices:\n'
        '      - /dev/dri/renderD128:/dev/dri/renderD128'))
def dangerous_devices(doc, ctx):
    """Edge cases (compose-lint CL-0016): raw block devices — `/dev/sd*`, `/dev/hd*`,
    `/dev/nvme*`, `/dev/vd*`, `/dev/xvd*`, `/dev/mmcblk*`, `/dev/md*`, `/dev/dm-*`,
    `/dev/mapper/*`, `/dev/disk/*`, `/dev/loop*` (and `loop-control`), `/dev/rbd*`,
    `/dev/zfs` — and `/dev/kmsg`, in short or long syntax, the host path normalised first
    (`//dev/sda`, `/dev/./sda`, `/dev/../dev/sda`); an `a` or `b|c *:*` device cgroup
    rule. Not claimed here, as compose-lint does not: `/dev/mem`, `/dev/port` and
    `/dev/fuse`, which are usable only with a capability that DC011/DC012 report, and
    harmless devices such as `/dev/net/tun`, `/dev/dri/*`, `/dev/ttyUSB0`."""
    bad = re.compile(r"^/dev/(?:kmsg$|[sh]d[a-z]|nvme\d|mmcblk\d|vd[a-z]|xvd[a-z]|md\d|md/|"
                     r"dm-\d|disk/|mapper/|loop|rbd\d|zfs$)")
    for svc in each_service(doc.model):
        for i, dev in enumerate(as_list(svc.get("devices"))):
            host = _normal(str(dev.get("source", "") if isinstance(dev, dict)
                               else dev).split(":")[0])
            if bad.match(host):
                h = item_hit(svc, "devices", i, f"`devices: {host}`")
                if host == "/dev/fuse":
                    h.severity = "warning"
                    h.message += " (FUSE mounts: the device alone does not reach the host)"
                yield _calibrate(h, svc, "host", "warning")
        for i, rule in enumerate(as_list(svc.get("device_cgroup_rules"))):
            if re.match(r"^a\b|^[bc]\s+\*:\*", str(rule).strip()):
                yield item_hit(svc, "device_cgroup_rules", i, f"`{rule}`")


@rules.rule(
    "DC017", "suggestion", "security", "Shared mount propagation",
    "`shared`/`rshared` propagation lets mounts made inside the container appear on the "
    "host (and the other way round).",
    "Use the default `rprivate` propagation unless a storage driver needs it.",
    peers=("compose-lint:CL-0017", "kics:baa452f0-1f21-4a25-ace5-844e7a5f410d"),
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    volumes:\n'
        '      - ./data:/data'))
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
    peers=("compose-lint:CL-0018",),
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    user: "1000:1000"\n'
        '    volumes:\n'
        '      - ./data:/data'))
def user_root(doc, ctx):
    for svc in each_service(doc.model):
        user = str(svc.get("user", "")).strip()
        if re.match(r"^(?:root|0)(?::.*)?$", user):
            yield _part_of(hit(svc, "user", f"`user: {user}`"), doc, ctx, svc, "DC018")


@rules.rule(
    "DC019", "suggestion", "security", "Image not pinned by digest",
    "A tag can be re-pushed; only a digest names exactly one image.",
    "Add the digest: `image: postgres:16.4@sha256:…` (Renovate keeps it fresh).",
    positive="Images pinned by digest on {count} service(s)",
    peers=("compose-lint:CL-0019",),
    example=(
        'services:\n'
        '  db:\n'
        '    image: postgres:16.4@sha256:2b0079146a74e23bf4ae8f6a28e1b484c6292f6fb904cbb51825b4a19812fcd8'))
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
    peers=("compose-lint:CL-0020",),
    example=(
        'services:\n'
        '  db:\n'
        '    image: postgres:16.4\n'
        '    environment:\n'
        '      POSTGRES_PASSWORD_FILE: /run/secrets/db_password\n'
        '    secrets: [db_password]\n'
        'secrets:\n'
        '  db_password:\n'
        '    file: ./secrets/db_password.txt'))
def literal_secret(doc, ctx):
    for svc in each_service(doc.model):
        raw = svc.data.get("environment")
        for name, value in environment(svc).items():
            if not value:
                continue
            if _interpolated(raw, name):
                continue   # came from ${VAR}: judged on the .env instead
            kind = token_kind(value)
            if kind or (is_secret_name(name) and (is_literal_secret_value(value, name)
                                                  or is_weak_default(value))):
                path, line, column = env_position(svc, name)
                severity, note = secret_context(path, value)
                yield Hit(line, f"service `{svc.label}`: `{name}={MASK}` is a literal "
                                f"{kind or 'secret'}{note}", column=column, path=path,
                          severity=severity)


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
    peers=("compose-lint:CL-0021",),
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    environment:\n'
        '      DATABASE_HOST: db\n'
        '      DATABASE_USER: app\n'
        '      DATABASE_PASSWORD_FILE: /run/secrets/db_password\n'
        '    secrets: [db_password]\n'
        'secrets:\n'
        '  db_password:\n'
        '    file: ./secrets/db_password.txt'))
def connection_string(doc, ctx):
    for svc in each_service(doc.model):
        for name, value in environment(svc).items():
            m = _CONN.search(value or "")
            if m and (is_literal_secret_value(m.group(1)) or is_weak_default(m.group(1))):
                path, line, column = env_position(svc, name)
                severity, note = secret_context(path, m.group(1))
                yield Hit(line, f"service `{svc.label}`: `{name}` holds a URL with a "
                                f"password (`…:{MASK}@…`){note}", column=column, path=path,
                          severity=severity)


@rules.rule(
    "DC022", "suggestion", "security", "tmpfs mounted with exec or suid",
    "A writable tmpfs that allows executables (or setuid) is the classic place to drop and "
    "run a payload.",
    "Mount tmpfs with `noexec,nosuid` (the default when no options are given).",
    peers=("compose-lint:CL-0022",),
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    read_only: true\n'
        '    tmpfs:\n'
        '      - /tmp:noexec,nosuid,size=64m'))
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
    peers=("kics:4d9f44c6-2f4a-4317-9bb5-267adbea0232",),
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    deploy:\n'
        '      resources:\n'
        '        limits: {cpus: "1.0", memory: 512M}'))
def cgroup_parent(doc, ctx):
    for svc in each_service(doc.model):
        if svc.get("cgroup_parent"):
            yield hit(svc, "cgroup_parent", f"`cgroup_parent: {svc.get('cgroup_parent')}`")


@rules.rule(
    "DC070", "critical", "security", "Compound: published port + runtime socket + root",
    "Each part alone is a finding; together they are one attack path: a port published on "
    "all interfaces (Docker bypasses the host firewall), the Docker socket mounted "
    "directly and a root process. Whoever gets past that app — a login it lacks, a weak "
    "password, an RCE — talks to the Docker API and starts a privileged container: remote "
    "root on the host.",
    "Break the chain at the socket: put a socket proxy (tecnativa/docker-socket-proxy) in "
    "front with only the API sections needed; and bind the port to `127.0.0.1` or serve it "
    "through the authenticating reverse proxy.",
    example=(
        'services:\n'
        '  socket-proxy:\n'
        '    image: tecnativa/docker-socket-proxy:0.2.0\n'
        '    environment: {CONTAINERS: 1}\n'
        '    volumes: [/var/run/docker.sock:/var/run/docker.sock:ro]\n'
        '  dozzle:\n'
        '    image: amir20/dozzle:v8.4.1\n'
        '    environment: {DOZZLE_REMOTE_HOST: "tcp://socket-proxy:2375"}\n'
        '    ports: ["127.0.0.1:8080:8080"]'))
def compound_remote_root(doc, ctx):
    for rule_id, svc, text in _chains(doc, ctx)[1]:
        if rule_id == "DC070":
            yield hit(svc, "volumes", text)


@rules.rule(
    "DC071", "critical", "security", "Compound: privileged on the host network",
    "`privileged` alone gives every capability and device; with `network_mode: host` the "
    "container also owns the host's interfaces, routes and firewall (NET_ADMIN on the real "
    "stack): there is no boundary left between the service and the host.",
    "Drop `privileged` for the capabilities and devices the service needs "
    "(`cap_add: [NET_ADMIN]`, `devices: [/dev/ttyUSB0]`), or leave the host network.",
    example=(
        'services:\n'
        '  homeassistant:\n'
        '    image: ghcr.io/home-assistant/home-assistant:2024.9.3\n'
        '    network_mode: host\n'
        '    devices:\n'
        '      - /dev/ttyUSB0:/dev/ttyUSB0'))
def compound_privileged_host_network(doc, ctx):
    for rule_id, svc, text in _chains(doc, ctx)[1]:
        if rule_id == "DC071":
            yield hit(svc, "privileged", text)
