"""Live source: Docker and Podman containers, read-only.

`collect(engine, options)` asks the Engine API over its unix socket (GET only, through
`live.execute.UnixHTTP`) — `--socket`, else `DOCKER_HOST` (docker) / `CONTAINER_HOST`
(podman) when it is `unix://…`, else the engine's usual sockets — and falls back to the
CLI's JSON (`docker ps -a --format json`, `docker inspect` …) when there is no socket.
Environment VALUES are dropped as they are read (`NAME=` is kept), and so is Podman's
`CreateCommand` (the whole `podman run` line, `-e NAME=value` included).

The synthesizer writes each container as a one-service Compose file, document
`container/<name>`, so that the Compose rules (DC…) judge what runs as they judge a file:
the restart policy, limits, mounts, the host IP a port is actually bound on,
capabilities, healthcheck, log driver. A container created by Compose or by a Quadlet /
`podman generate systemd` unit names where it came from on the document's first line,
and its findings say it ("created from `/srv/app/compose.yaml`").
"""

from __future__ import annotations

import json
import os
import re

from infra_expert.live.execute import Unreachable, UnixHTTP, run_json
from infra_expert.live.synth import synthesizer

# the first line of a synthesized document: the Compose domain appends what follows to the
# messages of its findings on that document
SOURCE_MARK = "# live container, created from: "

COMPOSE_FILES = "com.docker.compose.project.config_files"
COMPOSE_PROJECT = "com.docker.compose.project"
COMPOSE_SERVICE = "com.docker.compose.service"
SYSTEMD_UNIT = "PODMAN_SYSTEMD_UNIT"
# labels that say something other than a person manages the container
MANAGED_BY = (COMPOSE_PROJECT, SYSTEMD_UNIT, "io.podman.compose.project",
              "com.docker.swarm.service.name", "io.kubernetes.pod.name",
              "io.kubernetes.container.name", "com.docker.stack.namespace")


# -- collection -------------------------------------------------------------------------

def socket_path(engine, options, environ=None):
    """The Engine API socket to ask, or None (then the CLI is asked)."""
    environ = os.environ if environ is None else environ
    if getattr(options, "socket", None):
        sock = options.socket
        return sock[len("unix://"):] if sock.startswith("unix://") else sock
    host = environ.get("DOCKER_HOST" if engine == "docker" else "CONTAINER_HOST", "")
    if host.startswith("unix://"):
        return host[len("unix://"):]
    if engine == "docker":
        candidates = ["/var/run/docker.sock"]
    else:
        candidates = ["/run/podman/podman.sock"]
        runtime = environ.get("XDG_RUNTIME_DIR")
        if runtime:
            candidates.append(os.path.join(runtime, "podman", "podman.sock"))
    return next((c for c in candidates if os.path.exists(c)), None)


def collect(engine, options):
    """{"context", "containers", "images", "stats", "pods"} read from `engine`."""
    sock = socket_path(engine, options)
    timeout = getattr(options, "timeout", 20.0) or 20.0
    want_stats = getattr(options, "stats", True)
    parts = (_from_api(engine, UnixHTTP(sock, timeout), want_stats) if sock
             else _from_cli(engine, timeout, want_stats))
    for c in parts["containers"]:
        c["Engine"] = engine
    return parts


def _from_api(engine, api, want_stats):
    version = api.get("/version") or {}
    components = [c.get("Name", "") for c in version.get("Components") or []
                  if isinstance(c, dict)]
    label = f"{engine} {version.get('Version', '?')}"
    if engine == "docker" and any("podman" in n.lower() for n in components):
        label += " (Podman's Docker-compatible API)"
    listed = api.get("/containers/json?all=1") or []
    containers, stats = [], []
    for item in listed:
        cid = item.get("Id")
        if not isinstance(cid, str) or not re.fullmatch(r"[0-9a-f]{12,64}", cid):
            continue
        data = api.get(f"/containers/{cid}/json")
        if not isinstance(data, dict):
            continue
        containers.append(redact(data))
        if want_stats and part(data, "State").get("Running"):
            try:
                raw = api.get(f"/containers/{cid}/stats?stream=false&one-shot=true")
            except Unreachable:
                continue
            usage = _api_memory_usage(raw)
            if usage is not None:
                stats.append({"id": cid, "name": _name(data), "memory_usage": usage})
    images = [_image(i) for i in api.get("/images/json") or [] if isinstance(i, dict)]
    pods = []
    if engine == "podman":
        try:
            pods = [p for p in api.get("/libpod/pods/json") or [] if isinstance(p, dict)]
        except Unreachable:
            pods = []          # an engine without pods (Docker behind a podman name)
    return {"context": {"engine": label}, "containers": containers, "images": images,
            "stats": stats, "pods": pods}


def _from_cli(engine, timeout, want_stats):
    version = _cli_json([engine, "version", "--format", "json"], timeout)
    if not isinstance(version, dict):
        version = {}
    number = part(version, "Server").get("Version") or \
        part(version, "Client").get("Version") or "?"
    listed = _cli_json([engine, "ps", "-a", "--format", "json"], timeout)
    ids = []
    for item in listed if isinstance(listed, list) else []:
        cid = item.get("Id") or item.get("ID") if isinstance(item, dict) else None
        if isinstance(cid, str) and re.fullmatch(r"[0-9a-f]{12,64}", cid):
            ids.append(cid)
    containers = []
    if ids:
        inspected = _cli_json([engine, "inspect", "--type", "container", *ids], timeout)
        containers = [redact(c) for c in inspected if isinstance(c, dict)] \
            if isinstance(inspected, list) else []
    images = _cli_json([engine, "images", "--format", "json"], timeout)
    images = [_image(i) for i in images if isinstance(i, dict)] \
        if isinstance(images, list) else []
    stats = []
    if want_stats and any(part(c, "State").get("Running") for c in containers):
        try:
            raw = _cli_json([engine, "stats", "--no-stream", "--format", "json"], timeout)
        except Unreachable:
            raw = []
        for s in raw if isinstance(raw, list) else []:
            if not isinstance(s, dict):
                continue
            usage = _cli_memory_usage(s.get("MemUsage") or s.get("mem_usage"))
            if usage is not None:
                stats.append({"id": str(s.get("ID") or s.get("id") or ""),
                              "name": str(s.get("Name") or s.get("name") or ""),
                              "memory_usage": usage})
    pods = []
    if engine == "podman":
        try:
            raw = _cli_json(["podman", "pod", "ls", "--format", "json"], timeout)
            pods = [p for p in raw if isinstance(p, dict)] if isinstance(raw, list) else []
        except Unreachable:
            pods = []
    return {"context": {"engine": f"{engine} {number}"}, "containers": containers,
            "images": images, "stats": stats, "pods": pods}


def _cli_json(argv, timeout):
    return run_json(argv, timeout)


def redact(inspect):
    """The inspect object without environment values (`NAME=` kept) nor the command line
    that created it (Podman's `CreateCommand` repeats `-e NAME=value`)."""
    config = inspect.get("Config")
    if isinstance(config, dict):
        env = config.get("Env")
        if isinstance(env, list):
            config["Env"] = [str(e).split("=", 1)[0] + "=" for e in env]
        config.pop("CreateCommand", None)
    inspect.pop("CreateCommand", None)
    return inspect


def _image(raw):
    tags = raw.get("RepoTags") or raw.get("Names") or []
    if not tags and raw.get("Repository") and raw.get("Tag") not in (None, "<none>"):
        tags = [f"{raw['Repository']}:{raw['Tag']}"]        # `docker images --format json`
    created = raw.get("Created")
    if not isinstance(created, (int, float)):
        created = raw.get("CreatedAt") or created
    return {"Id": str(raw.get("Id") or raw.get("ID") or ""),
            "RepoTags": [str(t) for t in tags if t and "<none>" not in str(t)],
            "Created": created}


def _api_memory_usage(raw):
    mem = raw.get("memory_stats") if isinstance(raw, dict) else None
    if not isinstance(mem, dict) or not isinstance(mem.get("usage"), int):
        return None
    inner = mem.get("stats") if isinstance(mem.get("stats"), dict) else {}
    # what `docker stats` shows: the page cache the kernel can drop is not "in use"
    cache = inner.get("inactive_file", inner.get("total_inactive_file", inner.get("cache", 0)))
    return max(mem["usage"] - (cache if isinstance(cache, int) else 0), 0)


def _cli_memory_usage(text):
    """Bytes of `1.5MiB / 64MiB` (docker) or `409.6kB / 67.11MB` (podman): Kubernetes
    quantity units (binary `Mi`, decimal `M`, `k`) followed by a `B`."""
    from infra_expert.quantities import quantity_bytes
    first = str(text or "").split("/")[0].strip()
    return quantity_bytes(first[:-1] if first.endswith("B") else first)


# -- reading an inspect object -----------------------------------------------------------

def part(obj, key):
    """obj[key] when it is a mapping, else {} (an inspect object as any engine wrote it)."""
    found = obj.get(key) if isinstance(obj, dict) else None
    return found if isinstance(found, dict) else {}


def _name(c):
    return str(c.get("Name") or c.get("Id", "")[:12]).lstrip("/")


def labels(c):
    found = part(c, "Config").get("Labels")
    return found if isinstance(found, dict) else {}


def state(c):
    return part(c, "State")


def health(c):
    s = state(c)
    found = s.get("Health") or s.get("Healthcheck")
    return found if isinstance(found, dict) else {}


def restart_policy(c):
    """`no`, `always`, `unless-stopped`, `on-failure[:N]` (Podman's compat API says '')."""
    policy = part(part(c, "HostConfig"), "RestartPolicy")
    name = str(policy.get("Name") or "no")
    retries = policy.get("MaximumRetryCount")
    if name == "on-failure" and isinstance(retries, int) and retries > 0:
        return f"on-failure:{retries}"
    return name


def source_of(c):
    """Where the container came from, as a phrase, or None: the Compose file(s) with the
    service, or the systemd unit (Quadlet, `podman generate systemd`)."""
    lab = labels(c)
    files = lab.get(COMPOSE_FILES)
    if files:
        shown = ", ".join(f"`{f.strip()}`" for f in str(files).split(",") if f.strip())
        service = lab.get(COMPOSE_SERVICE)
        return shown + (f" (service `{service}`)" if service else "")
    if lab.get(SYSTEMD_UNIT):
        return f"unit `{lab[SYSTEMD_UNIT]}`"
    return None


def managed(c):
    """True when Compose, a unit, Kubernetes or a pod manages the container."""
    lab = labels(c)
    return any(lab.get(k) for k in MANAGED_BY) or bool(c.get("Pod")) or bool(c.get("IsInfra"))


def memory_limit(c):
    value = part(c, "HostConfig").get("Memory")
    return value if isinstance(value, int) and value > 0 else None


def document_paths(snapshot):
    """{id(container): `container/<name>`}, unique within the snapshot."""
    out, seen = {}, set()
    for c in snapshot.containers:
        path = f"container/{_name(c)}"
        if path in seen:
            path = f"{path}@{c.get('Engine') or 'engine'}-{str(c.get('Id', ''))[:12]}"
        seen.add(path)
        out[id(c)] = path
    return out


# -- the synthesizer: a container as a one-service Compose file --------------------------

_PLAIN = re.compile(r"[A-Za-z0-9_/.~][A-Za-z0-9_/.~:@+=,-]*")
_NOT_PLAIN = re.compile(r"(?i)(?:y|n|yes|no|true|false|on|off|null|~|[-+.0-9][-+.0-9e_:]*)")


def _q(value):
    """A YAML double-quoted scalar (JSON's escapes; `#` escaped so that no value of a
    container can read as a suppression comment)."""
    return json.dumps(str(value), ensure_ascii=False).replace("#", "\\x23")


def _scalar(value):
    text = str(value)
    return text if _PLAIN.fullmatch(text) and not _NOT_PLAIN.fullmatch(text) \
        and not text.endswith(":") else _q(text)


def _duration(ns):
    return f"{ns / 1e9:g}s" if isinstance(ns, (int, float)) and ns > 0 else None


def _project_name(c):
    raw = labels(c).get(COMPOSE_PROJECT) or _name(c)
    name = re.sub(r"[^a-z0-9_-]+", "-", str(raw).lower()).strip("-_") or "container"
    return name if name[0].isalnum() else "c" + name


def _ports(c):
    """Published ports as bound (NetworkSettings), else as asked (HostConfig)."""
    bound = part(c, "NetworkSettings").get("Ports")
    if not isinstance(bound, dict) or not any(bound.values()):
        bound = part(c, "HostConfig").get("PortBindings")
    out = set()
    for target, bindings in bound.items() if isinstance(bound, dict) else ():
        port, _, proto = str(target).partition("/")
        for b in bindings if isinstance(bindings, list) else []:
            if not isinstance(b, dict) or not b.get("HostPort"):
                continue
            ip = str(b.get("HostIp") or "0.0.0.0")
            if ip == "::" and any(o[0] == "0.0.0.0" and o[1] == str(b["HostPort"])
                                  and o[2] == port for o in out):
                continue
            out.add((ip, str(b["HostPort"]), port, proto or "tcp"))
    # one binding on both families is one port on all interfaces
    out = {o for o in out if not (o[0] == "::" and (("0.0.0.0",) + o[1:]) in out)}
    rows = []
    for ip, host, port, proto in sorted(out, key=lambda o: (_int(o[1]), o)):
        ip_text = f"[{ip}]" if ":" in ip else ip
        rows.append(f"{ip_text}:{host}:{port}" + ("" if proto == "tcp" else f"/{proto}"))
    return rows


def _int(text):
    try:
        return int(text)
    except ValueError:
        return 0


def _mounts(c):
    out = []
    for m in c.get("Mounts") if isinstance(c.get("Mounts"), list) else []:
        if not isinstance(m, dict):
            continue
        kind = m.get("Type")
        target = m.get("Destination")
        if not target or kind == "tmpfs":
            continue
        source = m.get("Source") if kind == "bind" else (m.get("Name") or "")
        text = f"{source}:{target}" if source else str(target)
        if m.get("RW") is False:
            text += ":ro"
        out.append(text)
    return out


def _healthcheck(c):
    hc = part(c, "Config").get("Healthcheck")
    if not isinstance(hc, dict):
        return []
    test = hc.get("Test")
    if not isinstance(test, list) or not test or str(test[0]).upper() == "NONE":
        return []
    lines = ["    healthcheck:",
             "      test: [" + ", ".join(_q(t) for t in test) + "]"]
    for key, name in (("Interval", "interval"), ("Timeout", "timeout"),
                      ("StartPeriod", "start_period")):
        value = _duration(hc.get(key))
        if value:
            lines.append(f"      {name}: {value}")
    if isinstance(hc.get("Retries"), int) and hc["Retries"] > 0:
        lines.append(f"      retries: {hc['Retries']}")
    return lines


def _list(key, items, scalar=_scalar):
    if not items:
        return []
    return [f"    {key}:"] + [f"      - {scalar(i)}" for i in items]


# the capabilities an engine grants by default (Docker's set; Podman's is a subset): a
# container that drops them all is `cap_drop: [ALL]` (Podman lists them one by one)
_DEFAULT_CAPS = frozenset(
    "AUDIT_WRITE CHOWN DAC_OVERRIDE FOWNER FSETID KILL MKNOD NET_BIND_SERVICE NET_RAW "
    "SETFCAP SETGID SETPCAP SETUID SYS_CHROOT".split())


def _caps(value):
    return [str(c).upper().removeprefix("CAP_") for c in value or [] if c]


def compose_text(c, path):
    """The container as a Compose file (one service), in the usual key order."""
    host, config = part(c, "HostConfig"), part(c, "Config")
    name = _name(c)
    source = source_of(c)
    lines = [f"{SOURCE_MARK}{source}" if source else f"# live container {path}",
             f"name: {_project_name(c)}", "services:", f"  {_q(name)}:"]
    image = config.get("Image") or c.get("ImageName") or c.get("Image")
    if image:
        lines.append(f"    image: {_scalar(image)}")
    lines += _list("volumes", _mounts(c))
    tmpfs = host.get("Tmpfs")
    if isinstance(tmpfs, dict) and tmpfs:
        lines += _list("tmpfs", [f"{k}:{v}" if v else k for k, v in sorted(tmpfs.items())])
    lines += _list("ports", _ports(c), scalar=_q)
    mode = str(host.get("NetworkMode") or "")
    if mode in ("host", "none") or mode.startswith(("container:", "service:")):
        lines.append(f"    network_mode: {_scalar(mode)}")
    if config.get("User"):
        lines.append(f"    user: {_q(config['User'])}")
    policy = restart_policy(c)
    if policy not in ("", "no"):
        lines.append(f"    restart: {_scalar(policy)}")
    lines += _healthcheck(c)
    if host.get("Init") is True:
        lines.append("    init: true")
    shown = {k: v for k, v in sorted(labels(c).items())
             if not str(k).startswith(("com.docker.compose.", "org.opencontainers."))}
    if shown:
        lines.append("    labels:")
        lines += [f"      {_q(k)}: {_q(v)}" for k, v in shown.items()]
    log = host.get("LogConfig")
    if isinstance(log, dict) and log.get("Type"):
        lines += ["    logging:", f"      driver: {_scalar(log['Type'])}"]
        options = log.get("Config") if isinstance(log.get("Config"), dict) else {}
        if options:
            lines.append("      options:")
            lines += [f"        {_q(k)}: {_q(v)}" for k, v in sorted(options.items())]
    privileged = host.get("Privileged") is True
    lines += _list("cap_add", _caps(host.get("CapAdd")))
    if not privileged:      # a privileged container lists a drop or two that mean nothing
        dropped = _caps(host.get("CapDrop"))
        lines += _list("cap_drop", ["ALL"] if set(dropped) >= _DEFAULT_CAPS else dropped)
    if privileged:
        lines.append("    privileged: true")
    lines += _list("security_opt", host.get("SecurityOpt") or [], scalar=_q)
    if host.get("ReadonlyRootfs") is True:
        lines.append("    read_only: true")
    for key, field in (("userns_mode", "UsernsMode"), ("pid", "PidMode"), ("ipc", "IpcMode")):
        if host.get(field) == "host":
            lines.append(f"    {key}: host")
    devices = [f"{d.get('PathOnHost')}:{d.get('PathInContainer') or d.get('PathOnHost')}"
               for d in host.get("Devices") or [] if isinstance(d, dict) and d.get("PathOnHost")]
    lines += _list("devices", devices, scalar=_q)
    if memory_limit(c):
        lines.append(f"    mem_limit: {memory_limit(c)}")
    cpus = None
    if isinstance(host.get("NanoCpus"), int) and host["NanoCpus"] > 0:
        cpus = host["NanoCpus"] / 1e9
    elif isinstance(host.get("CpuQuota"), int) and host["CpuQuota"] > 0:
        cpus = host["CpuQuota"] / (host.get("CpuPeriod") or 100000)
    if cpus:
        lines.append(f"    cpus: {cpus:g}")
    if isinstance(host.get("PidsLimit"), int) and host["PidsLimit"] > 0:
        lines.append(f"    pids_limit: {host['PidsLimit']}")
    return "\n".join(lines) + "\n"


@synthesizer("containers")
def container_documents(snapshot, doc):
    from infra_expert.model import Document
    paths = document_paths(snapshot)
    out = []
    for c in snapshot.containers:
        if c.get("IsInfra"):
            continue        # a pod's pause container: the pod's plumbing, nothing set on it
        path = paths[id(c)]
        out.append(Document(path, os.path.join(os.sep, "live", path), "compose", "compose",
                            compose_text(c, path),
                            doc.root))
    return out
