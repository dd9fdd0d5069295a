"""Podman Quadlet rules (podman-systemd.unit(5))."""

from __future__ import annotations

import os
import re

from infra_expert.images import ImageRef
from infra_expert.model import Hit, Pass, RuleSet
from infra_expert.podman.model import effective, publish_parts
from infra_expert.secrets import MASK, is_literal_secret_value, is_secret_name, token_kind

rules = RuleSet("podman")


def _containers(doc):
    unit = doc.model
    if unit.kind == "Container":
        yield unit, effective(unit)


def _at(entry, message, severity=None):
    return Hit(entry.line, message, path=entry.path, severity=severity)


def _section_line(unit, name):
    sec = unit.first_section(name)
    return sec.line if sec else 1


def _truthy(value):
    return str(value).lower() in ("true", "yes", "1", "on")


@rules.rule(
    "PM001", "warning", "reliability", "Image name not fully qualified",
    "A short name (`nginx:1.27`) is resolved through `registries.conf`, which differs from "
    "host to host and may prompt or pick another registry; `AutoUpdate=registry` refuses "
    "short names outright.",
    "Write the registry: `Image=docker.io/library/nginx:1.27`.",
    peers=("quadlet-lsp:qsr004",),
    example=(
        '[Container]\n'
        'Image=docker.io/library/nginx:1.27\n'
        'PublishPort=127.0.0.1:8080:80\n'
        '\n'
        '[Service]\n'
        'Restart=always\n'
        '\n'
        '[Install]\n'
        'WantedBy=default.target'))
def short_image(doc, ctx):
    unit = doc.model
    section = unit.kind if unit.kind in ("Container", "Image", "Volume") else None
    entry = unit.entry(section, "Image") if section else None
    if entry is None or entry.value.endswith((".image", ".build")) or "$" in entry.value:
        return
    first = entry.value.split("/", 1)[0]
    qualified = "/" in entry.value and ("." in first or ":" in first or first == "localhost")
    if not qualified:
        auto = (unit.get("Container", "AutoUpdate") or "").lower() == "registry"
        yield _at(entry, f"`Image={entry.value}` is a short name"
                  + (" and `AutoUpdate=registry` requires a fully-qualified one" if auto else ""),
                  severity="critical" if auto else None)


@rules.rule(
    "PM002", "warning", "security", "Port published on all interfaces",
    "`PublishPort=8080:80` (or `0.0.0.0:`) listens on every interface of the host, "
    "bypassing a host firewall that only knows about the host's own services.",
    "Bind to an address: `PublishPort=127.0.0.1:8080:80`, or put the service behind the "
    "reverse proxy's network.",
    example=(
        '[Container]\n'
        'Image=docker.io/library/nginx:1.27\n'
        'PublishPort=127.0.0.1:8080:80\n'
        '\n'
        '[Service]\n'
        'Restart=always\n'
        '\n'
        '[Install]\n'
        'WantedBy=default.target'))
def published_all(doc, ctx):
    for unit, eff in _containers(doc):
        for item in eff.get("publish", []):
            host_ip, port, _ = publish_parts(item.value)
            if host_ip in (None, "0.0.0.0", "::") and port not in ("80", "443"):
                where = " (in PodmanArgs)" if item.via_args else ""
                yield _at(item.entry, f"`{item.value}` listens on all interfaces{where}")


@rules.rule(
    "PM003", "suggestion", "security", "`NoNewPrivileges` not set",
    "Quadlet's default is false: a setuid binary in the image can raise privileges.",
    "Add `NoNewPrivileges=true` to [Container].",
    positive="`NoNewPrivileges=true` set",
    example=(
        '[Container]\n'
        'Image=ghcr.io/example/app:1.4.2\n'
        'NoNewPrivileges=true\n'
        '\n'
        '[Service]\n'
        'Restart=always\n'
        '\n'
        '[Install]\n'
        'WantedBy=default.target'))
def no_new_privileges(doc, ctx):
    for unit, eff in _containers(doc):
        items = eff.get("no_new_privileges", [])
        if items and items[-1].value:
            yield Pass(items[-1].entry.line)
        else:
            yield Hit(_section_line(unit, "Container"), "no `NoNewPrivileges=true`")


@rules.rule(
    "PM004", "suggestion", "security", "Capabilities not dropped",
    "The container keeps Podman's default capability set; most services need none of it.",
    "Add `DropCapability=all` and `AddCapability=` only what is needed.",
    positive="`DropCapability=all` set",
    example=(
        '[Container]\n'
        'Image=ghcr.io/example/app:1.4.2\n'
        'DropCapability=all\n'
        'AddCapability=NET_BIND_SERVICE\n'
        '\n'
        '[Service]\n'
        'Restart=always\n'
        '\n'
        '[Install]\n'
        'WantedBy=default.target'))
def drop_caps(doc, ctx):
    for unit, eff in _containers(doc):
        if any(i.value.lower() == "all" for i in eff.get("cap_drop", [])):
            yield Pass(None)
        else:
            yield Hit(_section_line(unit, "Container"), "no `DropCapability=all`")


@rules.rule(
    "PM005", "suggestion", "security", "Root filesystem is writable",
    "`ReadOnly=true` stops an intruder from changing the container's files (Quadlet then "
    "mounts tmpfs on /tmp, /run and friends by default).",
    "Add `ReadOnly=true`; give writable paths a `Volume=`.",
    example=(
        '[Container]\n'
        'Image=ghcr.io/example/app:1.4.2\n'
        'ReadOnly=true\n'
        'Volume=app-data:/var/lib/app\n'
        '\n'
        '[Service]\n'
        'Restart=always\n'
        '\n'
        '[Install]\n'
        'WantedBy=default.target'))
def read_only(doc, ctx):
    for unit, eff in _containers(doc):
        items = eff.get("read_only", [])
        if not (items and items[-1].value):
            yield Hit(_section_line(unit, "Container"), "root filesystem is writable")


@rules.rule(
    "PM006", "critical", "security", "Privileged container or confinement disabled",
    "`--privileged`, `SeccompProfile=unconfined`, `Unmask=ALL`, `SecurityLabelDisable=true` "
    "or a root-equivalent capability remove the protections between the container and the "
    "host.",
    "Remove it; grant the one capability or device that is needed.",
    example=(
        '[Container]\n'
        'Image=ghcr.io/koenkk/zigbee2mqtt:1.40.1\n'
        'AddDevice=/dev/ttyUSB0\n'
        '\n'
        '[Service]\n'
        'Restart=always\n'
        '\n'
        '[Install]\n'
        'WantedBy=default.target'))
def privileged(doc, ctx):
    for unit, eff in _containers(doc):
        for item in eff.get("privileged", []):
            if item.value:
                yield _at(item.entry, "`--privileged` in PodmanArgs")
        for item in eff.get("security_opt", []):
            if item.value.replace(":", "=").lower() in ("seccomp=unconfined",
                                                         "apparmor=unconfined",
                                                         "label=disable"):
                yield _at(item.entry, f"`{item.value}`")
        for item in eff.get("cap_add", []):
            if item.value.upper().removeprefix("CAP_") in ("ALL", "SYS_ADMIN", "SYS_MODULE",
                                                            "SYS_RAWIO"):
                yield _at(item.entry, f"capability `{item.value}` added")
        for key in ("Unmask", "SecurityLabelDisable"):
            e = unit.entry("Container", key)
            if e is not None and (e.value.upper() == "ALL" or _truthy(e.value)):
                yield _at(e, f"`{key}={e.value}`")


@rules.rule(
    "PM007", "critical", "security", "Secret written in `Environment=`",
    "Unit files are world-readable and end up in backups and `systemctl show`; a literal "
    "credential there is exposed.",
    "Store it with `podman secret create` and use `Secret=name,type=env,target=VAR`.",
    example=(
        '[Container]\n'
        'Image=docker.io/library/postgres:16.4\n'
        'Secret=db-password,type=env,target=POSTGRES_PASSWORD\n'
        '\n'
        '[Service]\n'
        'Restart=always\n'
        '\n'
        '[Install]\n'
        'WantedBy=default.target'))
def literal_secret(doc, ctx):
    for unit, eff in _containers(doc):
        for item in eff.get("env", []):
            name, eq, value = item.value.partition("=")
            if eq and value and (token_kind(value) or (
                    is_secret_name(name) and is_literal_secret_value(value, name))):
                yield _at(item.entry, f"`{name}={MASK}`")


@rules.rule(
    "PM008", "suggestion", "reliability", "Healthcheck that nothing acts on",
    "Podman only records the health status by default: an unhealthy container keeps "
    "running. With `HealthOnFailure=kill` systemd's `Restart=` brings it back.",
    "Add `HealthOnFailure=kill` (with `Restart=always` in [Service]); consider "
    "`Notify=healthy` so that dependants wait for it.",
    positive="Healthcheck acted on (`HealthOnFailure={action}`)",
    example=(
        '[Container]\n'
        'Image=ghcr.io/example/app:1.4.2\n'
        'HealthCmd=wget -qO- http://localhost:8080/health\n'
        'HealthInterval=30s\n'
        'HealthOnFailure=kill\n'
        '\n'
        '[Service]\n'
        'Restart=always\n'
        '\n'
        '[Install]\n'
        'WantedBy=default.target'))
def health_unused(doc, ctx):
    for unit, eff in _containers(doc):
        if not eff.get("health"):
            continue
        action = unit.get("Container", "HealthOnFailure", "none").lower()
        if action in ("kill", "restart", "stop"):
            yield Pass(unit.entry("Container", "HealthOnFailure").line, action=action)
        else:
            yield _at(eff["health"][-1].entry, "the healthcheck has no `HealthOnFailure=`")


@rules.rule(
    "PM009", "critical", "reliability", "`Notify=healthy` without a healthcheck",
    "With `Notify=healthy` the unit only becomes ready once the healthcheck passes; with no "
    "`HealthCmd` it never does and the start times out.",
    "Add `HealthCmd=` (and timings), or use `Notify=true`.",
    example=(
        '[Container]\n'
        'Image=ghcr.io/example/app:1.4.2\n'
        'HealthCmd=wget -qO- http://localhost:8080/health\n'
        'HealthOnFailure=kill\n'
        'Notify=healthy\n'
        '\n'
        '[Service]\n'
        'Restart=always\n'
        '\n'
        '[Install]\n'
        'WantedBy=default.target'))
def notify_without_health(doc, ctx):
    for unit, eff in _containers(doc):
        e = unit.entry("Container", "Notify")
        if e is not None and e.value.lower() == "healthy" and not eff.get("health"):
            yield _at(e, "`Notify=healthy` with no `HealthCmd=`")


# systemd.service(5): what each policy restarts after. A crash is usually a non-zero exit
# code, which only `always` and `on-failure` act on.
_RESTARTS_ON = {"on-success": "a clean exit", "on-abort": "an uncaught signal",
                "on-watchdog": "a watchdog timeout"}


@rules.rule(
    "PM010", "warning", "reliability", "No `Restart=` in [Service], or one that ignores crashes",
    "Quadlet adds no restart policy: a container that exits or crashes stays down. "
    "`Restart=on-success` (like `on-abort` and `on-watchdog`) does not restart after a "
    "non-zero exit, which is how most crashes end. An explicit `Restart=no` is a choice and "
    "is not reported.",
    "Add `[Service]` with `Restart=always` (or `on-failure`).",
    positive="Restart policy `{policy}` set",
    example=(
        '[Container]\n'
        'Image=ghcr.io/example/app:1.4.2\n'
        '\n'
        '[Service]\n'
        'Restart=always\n'
        '\n'
        '[Install]\n'
        'WantedBy=default.target'))
def restart(doc, ctx):
    unit = doc.model
    if unit.kind not in ("Container", "Kube", "Pod"):
        return
    policy = unit.get("Service", "Restart")
    if policy is not None:
        entry = unit.entry("Service", "Restart")
        value = policy.strip().lower()
        if value in _RESTARTS_ON:
            yield Hit(entry.line, f"`Restart={policy}` only restarts after "
                                  f"{_RESTARTS_ON[value]}: a crash (non-zero exit) leaves "
                                  "it down", path=entry.path)
        elif value not in ("no", ""):
            yield Pass(entry.line, policy=policy)
    elif unit.get("Service", "Type") != "oneshot":
        yield Hit(_section_line(unit, unit.kind), "no `Restart=` in [Service]")


@rules.rule(
    "PM011", "suggestion", "reliability", "Default start timeout with an image pull",
    "The first start pulls the image inside systemd's 90 s start timeout; on a Raspberry Pi "
    "or a slow line the pull is killed and the unit fails.",
    "Add `TimeoutStartSec=900` to [Service] (or pre-pull with an `.image` unit).",
    example=(
        '[Container]\n'
        'Image=ghcr.io/example/app:1.4.2\n'
        '\n'
        '[Service]\n'
        'Restart=always\n'
        'TimeoutStartSec=900\n'
        '\n'
        '[Install]\n'
        'WantedBy=default.target'))
def start_timeout(doc, ctx):
    unit = doc.model
    if unit.kind not in ("Container", "Kube"):
        return
    pull = (unit.get("Container", "Pull") or "").lower()
    image = unit.get("Container", "Image") or ""
    if pull == "never" or image.endswith((".image", ".build")):
        return
    if unit.get("Service", "TimeoutStartSec") is None:
        yield Hit(_section_line(unit, unit.kind), "no `TimeoutStartSec=`: the pull must fit in "
                                                  "90 s")


def _rootless(path):
    p = os.path.abspath(path).replace(os.sep, "/")
    return "/.config/containers/systemd" in p or "/containers/systemd/users" in p


@rules.rule(
    "PM012", "warning", "reliability", "Unit not started at boot, or with the wrong target",
    "Without `[Install] WantedBy=` the generated service is never started automatically; a "
    "rootless unit must use `default.target` (the user manager has no "
    "`multi-user.target`), a rootful one usually `multi-user.target`.",
    "Add `[Install]` with `WantedBy=default.target` (rootless, plus `loginctl "
    "enable-linger USER`) or `WantedBy=multi-user.target` (rootful).",
    example=(
        '[Container]\n'
        'Image=ghcr.io/example/app:1.4.2\n'
        '\n'
        '[Service]\n'
        'Restart=always\n'
        '\n'
        '[Install]\n'
        'WantedBy=default.target'))
def install_target(doc, ctx):
    unit = doc.model
    if unit.kind not in ("Container", "Kube", "Pod"):
        return
    wanted = [e for e in unit.section("Install") if e.key in ("WantedBy", "RequiredBy",
                                                                "UpheldBy")]
    if not wanted:
        yield Hit(_section_line(unit, unit.kind), "no `[Install] WantedBy=`: it only starts "
                                                  "when something else pulls it in")
        return
    if _rootless(doc.abspath):
        for e in wanted:
            if "multi-user.target" in e.value:
                yield _at(e, "rootless unit wanted by `multi-user.target`, which the user "
                             "manager never reaches")


@rules.rule(
    "PM013", "suggestion", "reliability", "Kube unit hides container failures",
    "`ExitCodePropagation` defaults to `none`: the service reports success even when every "
    "container in the YAML failed.",
    "Set `ExitCodePropagation=any` (or `all`) in [Kube].",
    example=(
        '[Kube]\n'
        'Yaml=app.yaml\n'
        'ExitCodePropagation=any\n'
        '\n'
        '[Service]\n'
        'Restart=always\n'
        '\n'
        '[Install]\n'
        'WantedBy=default.target'))
def kube_exit_code(doc, ctx):
    unit = doc.model
    if unit.kind != "Kube":
        return
    value = (unit.get("Kube", "ExitCodePropagation") or "none").lower()
    if value == "none":
        e = unit.entry("Kube", "ExitCodePropagation")
        yield _at(e, "`ExitCodePropagation=none`") if e else \
            Hit(_section_line(unit, "Kube"), "no `ExitCodePropagation=`: failures are hidden")


@rules.rule(
    "PM014", "warning", "reliability", "`KubeDownForce=true` deletes volumes",
    "On `podman kube down` (each stop of the unit) force also removes the volumes: data is "
    "lost on every restart.",
    "Remove `KubeDownForce=true` unless the volumes are disposable.",
    example=(
        '[Kube]\n'
        'Yaml=app.yaml\n'
        'ExitCodePropagation=any\n'
        '\n'
        '[Service]\n'
        'Restart=always\n'
        '\n'
        '[Install]\n'
        'WantedBy=default.target'))
def kube_down_force(doc, ctx):
    unit = doc.model
    e = unit.entry("Kube", "KubeDownForce") if unit.kind == "Kube" else None
    if e is not None and _truthy(e.value):
        yield _at(e, "`KubeDownForce=true`")


_REF_KEYS = {"Network": ".network", "Volume": ".volume", "Pod": ".pod", "Image": (".image",
                                                                                 ".build"),
             "Mount": ".volume"}


@rules.rule(
    "PM015", "critical", "reliability", "Reference to a Quadlet unit that does not exist",
    "`Network=x.network`, `Volume=x.volume:/data`, `Pod=x.pod` or `Image=x.image` name "
    "another Quadlet file; if it is not there the generator drops the unit or it fails to "
    "start.",
    "Create the referenced unit beside this one, or fix the name.",
    peers=("quadlet-lsp:qsr006", "quadlet-lsp:qsr013", "quadlet-lsp:qsr014",
           "quadlet-lsp:qsr017"),
    example=(
        '[Container]\n'
        'Image=ghcr.io/example/app:1.4.2\n'
        'Volume=app-data:/var/lib/app\n'
        '\n'
        '[Service]\n'
        'Restart=always\n'
        '\n'
        '[Install]\n'
        'WantedBy=default.target'))
def missing_reference(doc, ctx):
    unit = doc.model
    directory = os.path.dirname(doc.abspath)
    section = unit.kind
    for key, suffixes in _REF_KEYS.items():
        for e in unit.get_all(section, key):
            for word in re.split(r"[,:=\s]", e.value):
                if word.endswith(suffixes if isinstance(suffixes, tuple) else (suffixes,)) \
                        and "/" not in word and not os.path.exists(os.path.join(directory, word)):
                    yield _at(e, f"`{key}={e.value}`: `{word}` is not beside this unit")


@rules.rule(
    "PM016", "critical", "reliability", "Container in a pod publishes ports or sets a network",
    "Inside a pod the network belongs to the pod: Quadlet rejects `PublishPort=` and "
    "`Network=` on a container that has `Pod=`.",
    "Move `PublishPort=`/`Network=` to the `.pod` unit.",
    peers=("quadlet-lsp:qsr018", "quadlet-lsp:qsr019"),
    example=(
        '[Pod]\n'
        'PublishPort=127.0.0.1:8080:80\n'
        '\n'
        '[Install]\n'
        'WantedBy=default.target'))
def pod_ports(doc, ctx):
    unit = doc.model
    if unit.kind != "Container" or unit.get("Container", "Pod") is None:
        return
    for key in ("PublishPort", "Network"):
        for e in unit.get_all("Container", key):
            yield _at(e, f"`{key}=` on a container in `Pod={unit.get('Container', 'Pod')}`")


@rules.rule(
    "PM017", "critical", "security", "Container runtime socket mounted",
    "The Podman or Docker socket gives full control of the host's containers, and root on "
    "a rootful host.",
    "Remove the mount; if a tool needs the API, give it a narrowly scoped socket proxy.",
    example=(
        '[Container]\n'
        'Image=ghcr.io/example/app:1.4.2\n'
        'Volume=app-data:/var/lib/app\n'
        '\n'
        '[Service]\n'
        'Restart=always\n'
        '\n'
        '[Install]\n'
        'WantedBy=default.target'))
def socket_mount(doc, ctx):
    for unit, eff in _containers(doc):
        for item in eff.get("volume", []) + eff.get("mount", []):
            if re.search(r"(?:docker|podman|containerd)\.sock", item.value):
                yield _at(item.entry, f"mounts `{item.value.split(':')[0]}`")


@rules.rule(
    "PM018", "warning", "security", "Host namespace shared",
    "`Network=host`, `--pid=host`, `--ipc=host` or `UserNS=host` remove the isolation "
    "between the container and the host.",
    "Use a Quadlet `.network` (or the default) and private namespaces.",
    example=(
        '[Container]\n'
        'Image=ghcr.io/example/app:1.4.2\n'
        'PublishPort=127.0.0.1:8080:8080\n'
        '\n'
        '[Service]\n'
        'Restart=always\n'
        '\n'
        '[Install]\n'
        'WantedBy=default.target'))
def host_namespace(doc, ctx):
    for unit, eff in _containers(doc):
        for name in ("network", "pid", "ipc", "userns", "uts"):
            for item in eff.get(name, []):
                if item.value.lower() == "host":
                    yield _at(item.entry, f"{name} `host`"
                              + (" (in PodmanArgs)" if item.via_args else ""))


@rules.rule(
    "PM019", "warning", "security", "Host environment passed into the container",
    "`EnvironmentHost=true` copies every variable of the service manager into the "
    "container, secrets and tokens included.",
    "Pass the few variables needed with `Environment=` or `Secret=`.",
    example=(
        '[Container]\n'
        'Image=ghcr.io/example/app:1.4.2\n'
        'Environment=TZ=Europe/Paris LOG_LEVEL=info\n'
        '\n'
        '[Service]\n'
        'Restart=always\n'
        '\n'
        '[Install]\n'
        'WantedBy=default.target'))
def environment_host(doc, ctx):
    e = doc.model.entry("Container", "EnvironmentHost")
    if e is not None and _truthy(e.value):
        yield _at(e, "`EnvironmentHost=true`")


@rules.rule(
    "PM020", "critical", "reliability", "Required key missing or unit malformed",
    "A `.container` needs `Image=` (or `Rootfs=`), a `.kube` needs `Yaml=`, a `.build` needs "
    "`ImageTag=`; "
    "a malformed line or a missing section makes the generator skip the unit.",
    "Add the key (or fix the line) that the message names.",
    peers=("quadlet-lsp:qsr001", "quadlet-lsp:qsr002", "quadlet-lsp:qsr025"),
    example=(
        '[Container]\n'
        'Image=ghcr.io/example/app:1.4.2\n'
        '\n'
        '[Service]\n'
        'Restart=always\n'
        '\n'
        '[Install]\n'
        'WantedBy=default.target'))
def required_keys(doc, ctx):
    unit = doc.model
    for path, line, message in unit.problems:
        yield Hit(line, message, path=path)
    required = {"Container": "Image", "Kube": "Yaml", "Build": "ImageTag", "Image": "Image"}
    key = required.get(unit.kind)
    if key is None:
        return
    if not unit.has_section(unit.kind):
        yield Hit(1, f"no [{unit.kind}] section")
    elif unit.get(unit.kind, key) is None and not (unit.kind == "Container"
                                                   and unit.get("Container", "Rootfs")):
        yield Hit(_section_line(unit, unit.kind), f"[{unit.kind}] has no `{key}=`")


@rules.rule(
    "PM021", "warning", "security", "TLS verification disabled",
    "`TLSVerify=false` accepts any certificate from the registry: a man in the middle can "
    "serve another image.",
    "Remove it and trust the registry's CA instead.",
    example=(
        '[Container]\n'
        'Image=registry.example.com/team/app:1.4.2\n'
        '\n'
        '[Service]\n'
        'Restart=always\n'
        '\n'
        '[Install]\n'
        'WantedBy=default.target'))
def tls_verify(doc, ctx):
    unit = doc.model
    e = unit.entry(unit.kind, "TLSVerify")
    if e is not None and not _truthy(e.value):
        yield _at(e, "`TLSVerify=false`")


@rules.rule(
    "PM022", "critical", "security", "Credentials in volume mount options",
    "`Options=…,password=…` of an NFS/CIFS `.volume` stores the password in a readable unit "
    "file.",
    "Use `credentials=/path/to/protected/file` for CIFS, or Kerberos/IP-based access for NFS.",
    example=(
        '[Volume]\n'
        'Type=cifs\n'
        'Device=//nas.example.com/media\n'
        'Options=credentials=/etc/samba/media.cred,uid=1000'))
def volume_credentials(doc, ctx):
    unit = doc.model
    if unit.kind != "Volume":
        return
    for e in unit.get_all("Volume", "Options"):
        m = re.search(r"(?:^|,)(pass(?:word)?)=([^,]+)", e.value)
        if m and is_literal_secret_value(m.group(2)):
            yield _at(e, f"`{m.group(1)}={MASK}` in `Options=`")


@rules.rule(
    "PM023", "suggestion", "reliability", "Image may change under a running unit",
    "A tag without `AutoUpdate=` is never refreshed, and `:latest` changes on every manual "
    "pull: pin a version and let `podman auto-update` (with rollback) move it.",
    "Pin a version tag, and add `AutoUpdate=registry` with a fully-qualified name if you "
    "want automatic, rolled-back updates.",
    example=(
        '[Container]\n'
        'Image=ghcr.io/example/app:1.4.2\n'
        'AutoUpdate=registry\n'
        '\n'
        '[Service]\n'
        'Restart=always\n'
        '\n'
        '[Install]\n'
        'WantedBy=default.target'))
def image_tag(doc, ctx):
    unit = doc.model
    e = unit.entry("Container", "Image") if unit.kind == "Container" else None
    if e is None or e.value.endswith((".image", ".build")) or "$" in e.value:
        return
    ref = ImageRef(e.value)
    if ref.digest is None and (ref.tag is None or ref.tag == "latest") \
            and (unit.get("Container", "AutoUpdate") or "").lower() != "registry":
        yield _at(e, f"`Image={e.value}` has no version tag")


@rules.rule(
    "PM024", "suggestion", "elegance", "Related containers not grouped in a pod",
    "Several containers of one app on the same Quadlet network, none in a pod: a `.pod` "
    "unit starts and stops them together, shares localhost between them and publishes "
    "ports in one place.",
    "Create `app.pod` (with the `PublishPort=` lines) and add `Pod=app.pod` to each "
    "container.",
    example=(
        '[Container]\n'
        'Image=ghcr.io/example/app:1.4.2\n'
        'Pod=app.pod\n'
        '\n'
        '[Service]\n'
        'Restart=always\n'
        '\n'
        '[Install]\n'
        'WantedBy=default.target'))
def group_in_pod(doc, ctx):
    unit = doc.model
    if unit.kind != "Container" or unit.get("Container", "Pod"):
        return
    network = unit.get("Container", "Network")
    if not network or not network.endswith(".network"):
        return
    directory = os.path.dirname(doc.abspath)
    siblings = [d for d in ctx.documents if d is not doc and d.domain == "podman"
                and d.model is not None and d.model.kind == "Container"
                and os.path.dirname(d.abspath) == directory
                and d.model.get("Container", "Network") == network
                and not d.model.get("Container", "Pod")]
    if siblings and doc.path < min(d.path for d in siblings):
        names = ", ".join(f"`{os.path.basename(d.path)}`" for d in siblings[:3])
        yield _at(unit.entry("Container", "Network"),
                  f"shares `{network}` with {names}, and no pod groups them")
