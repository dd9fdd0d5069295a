"""What a senior engineer knows about well-known images and paths, shared by the domains.

Three tables, each documented in docs/rules.md (see catalogue.py):

- `PRIVILEGED_IMAGES`: images that *need* a privilege by design (the Docker socket, a
  capability, `privileged`, host mounts). A finding on them is kept but calibrated
  (critical -> warning) and made useful: it says why the privilege is expected and what
  still matters.
- `DROPS_PRIVILEGES_IMAGES`: images that start as root and switch to an unprivileged user
  themselves (gosu, su-exec, s6-overlay with `PUID`/`PGID`): not "runs as root" criticals.
- `FIXTURE_PATH`: files that are CI/test fixtures or examples: a credential there is a
  warning that says so, not a critical.

And `WEAK_DEFAULTS`: credentials every attacker tries first. In a real deployment file
they stay critical and the finding says they are a well-known default.
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar

from infra_expert.lazyre import lazy_re


class Role:
    """A kind of well-known image: which privileges it needs and what to say about them."""

    __slots__ = ("name", "needs", "advice", "patterns")

    def __init__(self, name, needs, advice, patterns):
        self.name = name            # "a CSI node plugin"
        self.needs = frozenset(needs)   # subset of NEEDS
        self.advice = advice        # "keep it to this DaemonSet"
        self.patterns = patterns    # regexes on the image repository (no tag, no registry)


# What a role may need: "socket" (container runtime socket), "privileged", "caps"
# (capabilities such as NET_ADMIN/SYS_ADMIN), "host" (host paths, host namespaces).
NEEDS = ("socket", "privileged", "caps", "host")

SOCKET_PROXY = Role(
    "a Docker socket proxy", {"socket"},
    "mount the socket read-only and enable only the API sections its clients need",
    (r"tecnativa/docker-socket-proxy", r"linuxserver/socket-proxy",
     r"wollomatic/socket-proxy", r"[^/]*/?docker-socket-proxy", r"fluencelabs/docker-socket-proxy"))

PRIVILEGED_IMAGES = (
    SOCKET_PROXY,
    Role("a tool that drives the Docker API", {"socket"},
         "put a socket proxy (tecnativa/docker-socket-proxy) in front with only the API "
         "sections it needs, and point it at `DOCKER_HOST=tcp://socket-proxy:2375`",
         (r"traefik", r"portainer/portainer(?:-ce|-ee)?", r"portainer/agent",
          r"containrrr/watchtower", r"nickfedor/watchtower", r"amir20/dozzle",
          r"gethomepage/homepage", r"benphelps/homepage", r"louislam/uptime-kuma",
          r"nginxproxy/nginx-proxy", r"jwilder/nginx-proxy", r"nginxproxy/docker-gen",
          r"crazymax/diun", r"lucaslorentz/caddy-docker-proxy", r"willfarrell/autoheal",
          r"ghcr\.io/gethomepage/homepage", r"netdata/netdata", r"henrygd/beszel-agent")),
    Role("a CI runner or Docker-in-Docker", {"socket", "privileged"},
         "run it on a dedicated host or VM: every job it runs is root there",
         (r"docker", r"gitlab/gitlab-runner", r"gitlab-runner", r"myoung34/github-runner",
          r"summerwind/actions-runner(?:-dind)?", r"actions-runner[^/]*",
          r"actions/actions-runner", r"drone/drone-runner-docker", r"woodpeckerci/woodpecker-agent",
          r"jenkins/inbound-agent", r"gitea/act_runner", r"buildkite/agent"),),
    Role("a CSI node plugin", {"privileged", "caps", "host", "socket"},
         "keep it to this node DaemonSet",
         (r"[^ ]*csi[^ ]*", r"sig-storage/[^ ]+", r"longhornio/longhorn-manager", r"longhornio/longhorn-instance-manager",
          r"rook/ceph", r"[^ ]*rook-ceph[^ ]*", r"quay\.io/cephcsi/cephcsi", r"cephcsi/cephcsi",
          r"democratic-csi/democratic-csi", r"openebs/[^ ]+", r"piraeusdatastore/[^ ]+")),
    Role("a CNI or kube-proxy agent", {"privileged", "caps", "host"},
         "keep it to this node DaemonSet",
         (r"cilium/cilium", r"cilium/operator[^ ]*", r"calico/node", r"calico/cni",
          r"flannel/flannel", r"flannelcni/flannel", r"rancher/mirrored-flannelcni-flannel",
          r"coreos/flannel", r"kube-proxy", r"weaveworks/weave-kube", r"multus-cni[^ ]*",
          r"kube-vip/kube-vip", r"plndr/kube-vip", r"metallb/speaker",
          r"cloudnativelabs/kube-router")),
    Role("a VPN container", {"caps", "privileged"},
         "grant only `NET_ADMIN` and `/dev/net/tun`, not `privileged`",
         (r"qmcgaw/gluetun", r"gluetun", r"linuxserver/wireguard", r"wireguard[^ ]*",
          r"weejewel/wg-easy", r"wg-easy/wg-easy", r"tailscale/tailscale",
          r"dperson/openvpn-client", r"kylemanna/openvpn", r"[^ ]*openvpn[^ ]*",
          r"haugene/transmission-openvpn", r"bubuntux/nordvpn", r"dockovpn/dockovpn",
          r"cloudflare/cloudflared", r"netbirdio/netbird", r"zerotier/zerotier")),
    Role("a host monitoring agent", {"host", "caps", "privileged", "socket"},
         "mount host paths read-only and keep it on the nodes that need it",
         (r"prom/node-exporter", r"prometheus/node-exporter", r"quay\.io/prometheus/node-exporter",
          r"[^ ]*node-exporter", r"gcr\.io/cadvisor/cadvisor", r"google/cadvisor",
          r"[^ ]*cadvisor", r"grafana/promtail", r"grafana/alloy", r"grafana/agent",
          r"fluent/fluent-bit", r"fluent/fluentd[^ ]*", r"timberio/vector", r"elastic/filebeat",
          r"elastic/metricbeat", r"datadog/agent", r"falcosecurity/falco[^ ]*",
          r"netdata/netdata", r"analogj/scrutiny", r"newrelic/infrastructure[^ ]*",
          r"sysdig/agent[^ ]*", r"[^ ]*nvidia-container-toolkit[^ ]*", r"prometheuscommunity/smartctl-exporter",
          r"glances", r"nicolargo/glances")),
    Role("a GPU device plugin", {"privileged", "host", "caps"},
         "keep it to the GPU nodes",
         (r"nvidia/k8s-device-plugin", r"nvcr\.io/nvidia/k8s-device-plugin",
          r"nvidia/gpu-feature-discovery", r"intel/intel-gpu-plugin")),
)

# Images that start as root and drop to an unprivileged user in their entrypoint.
DROPS_PRIVILEGES_IMAGES = (
    r"postgres", r"redis", r"mysql", r"mariadb", r"mongo", r"rabbitmq", r"memcached",
    r"elasticsearch", r"cassandra", r"couchdb", r"influxdb", r"zookeeper", r"nextcloud",
    r"linuxserver/[^ ]+", r"lscr\.io/linuxserver/[^ ]+", r"jlesage/[^ ]+",
    r"bitnami/[^ ]+", r"grafana/grafana", r"minio/minio",
)


def _repository(image):
    """`ghcr.io/org/app:1.2@sha256:…` -> `ghcr.io/org/app`, lower case; Docker Hub's
    `docker.io/` and `library/` prefixes removed."""
    from infra_expert.images import ImageRef
    return ImageRef(str(image).strip().lower()).short_name


def _matches(patterns, image):
    """True when the repository (with or without its registry) matches one pattern whole."""
    repo = _repository(image)
    if not repo or "$" in repo or "{{" in repo:
        return False
    parts = repo.split("/")
    candidates = {repo, parts[-1]}
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        candidates.add("/".join(parts[1:]))     # without its registry
    combined = _COMBINED.get(patterns)
    if combined is None:
        combined = _COMBINED[patterns] = re.compile("|".join(f"(?:{p})" for p in patterns))
    return any(combined.fullmatch(c) for c in candidates)


_COMBINED = {}    # a tuple of patterns -> one compiled alternation


def image_role(image, need=None):
    """The Role of a well-known image that needs a privilege (optionally: this one)."""
    if not isinstance(image, str) or not image:
        return None
    for role in PRIVILEGED_IMAGES:
        if (need is None or need in role.needs) and _matches(role.patterns, image):
            return role
    return None


def is_socket_proxy(image):
    return isinstance(image, str) and _matches(SOCKET_PROXY.patterns, image)


def drops_privileges_image(image):
    """Official database images, linuxserver.io … start as root and switch user."""
    return isinstance(image, str) and bool(image) and _matches(DROPS_PRIVILEGES_IMAGES, image)


# Environment names that tell an s6-overlay/linuxserver image which user to switch to.
DROP_PRIVILEGE_ENV = ("PUID", "PGID", "USER_ID", "GROUP_ID", "UID", "GID")

# Commands an entrypoint uses to switch to an unprivileged user.
DROPS_PRIVILEGES_COMMAND = lazy_re(
    r"\b(?:gosu|su-exec|s6-setuidgid|setpriv|chroot\s+--userspec|runuser|setuser)\b")

# Fixture, CI and example files: `docker-compose.ci.yml`, `tests/`, `.env.example` …
FIXTURE_PATH = lazy_re(
    r"(?:^|/)(?:tests?|testing|testdata|test[_-]?data|__tests__|spec|fixtures?|e2e|"
    r"examples?|samples?|demo|\.github|\.gitlab|ci)/"
    r"|[._-](?:ci|test|tests|testing|e2e|example|examples|sample|demo)\.ya?ml$"
    r"|\.(?:example|sample|template|dist)(?:\.ya?ml)?$"
    r"|(?:^|/)\.env\.(?:example|sample|template|dist|test|ci)$", re.IGNORECASE)


# Test inputs only (`tests/`, `testdata/`, `fixtures/`, `e2e/`): files a test suite feeds
# to a program, never deployed as they are. Examples and samples are not here: people
# copy them, so how they would run still matters.
TEST_PATH = lazy_re(
    r"(?:^|/)(?:tests?|testing|testdata|test[_-]?data|__tests__|fixtures?|e2e)/",
    re.IGNORECASE)
TEST_NOTE = " (a test input: never deployed as it is)"


def is_test_path(path):
    return bool(path) and bool(TEST_PATH.search(inside_project(path)))


def is_fixture_path(path):
    """True for CI/test fixtures and examples, where a credential is not a deployed one."""
    return bool(path) and bool(FIXTURE_PATH.search(inside_project(path)))


class ProjectBases:
    """The folders a run reviews (and the git work trees of files given alone): a path
    is judged a fixture or a test input by what lies below them, never by where the
    user keeps the project (`~/tests/shop` is not a test)."""

    __slots__ = ("bases", "seen")

    def __init__(self, bases):
        self.bases = [b.rstrip(os.sep) for b in bases]
        self.seen = {}


# the ProjectBases of the run in progress (set by engine.review_unit)
PROJECT_BASES = ContextVar("infra_expert_project_bases", default=None)


def inside_project(path):
    """`path` (as shown) relative to the reviewed folder it lies in, `/`-separated; as
    given when no folder of the run holds it (a file given alone outside git, live)."""
    path = str(path).replace("\\", "/")
    current = PROJECT_BASES.get()
    if current is None or not current.bases:
        return path
    found = current.seen.get(path)
    if found is None:
        real = os.path.realpath(path)
        found = path
        for base in current.bases:
            if real.startswith(base + os.sep):
                found = os.path.relpath(real, base).replace(os.sep, "/")
                break
        current.seen[path] = found
    return found


# Credentials every scanner and every attacker tries first.
WEAK_DEFAULTS = frozenset({
    "changeme", "change_me", "change-me", "changeit", "password", "passw0rd", "password1",
    "password123", "secret", "admin", "administrator", "root", "toor", "postgres", "mysql",
    "mariadb", "123456", "12345678", "1234", "qwerty", "letmein", "default", "test",
    "guest", "example", "pass", "minioadmin", "rabbitmq", "redis", "mongo", "user",
})


def is_weak_default(value):
    """A well-known default credential (`changeme`, `postgres`, `admin`, `password`)."""
    return isinstance(value, str) and value.strip().strip("\"'").lower() in WEAK_DEFAULTS


# Rules about a credential written in a file that do not place it themselves: the engine
# gives their findings in a CI/test fixture the fixture severity and note (the others call
# secret_context with the value, which also knows weak defaults).
FIXTURE_CALIBRATED_RULES = frozenset({"DF041", "DF043", "DF044", "DF048", "K8056", "PM007",
                                      "PM022"})
FIXTURE_NOTE = (" (in an example or a CI/test fixture: not a deployed credential, but keep "
                "real ones out of it)")


def secret_context(path, value):
    """(severity or None, note) for a literal credential at `path`: a CI/test fixture is
    a warning that says so; a well-known default in a deployment file stays critical and
    says why; anything else keeps the rule's severity (None, "")."""
    if is_fixture_path(path):
        return "warning", FIXTURE_NOTE
    if is_weak_default(value):
        return "critical", " — a well-known default credential, the first one an " \
                           "attacker tries"
    return None, ""


def markdown_tables():
    """The tables above, for docs/rules.md."""
    out = ["## Well-known images and paths", "",
           "Findings on these images are kept but calibrated: the privilege is expected, "
           "the finding says so and what still matters. Matched on the image repository "
           "(registry and tag ignored).", "",
           "| role | needs | advice | images |", "|---|---|---|---|"]
    for role in PRIVILEGED_IMAGES:
        images = ", ".join(f"`{p}`" for p in role.patterns).replace("|", "\\|")
        out.append(f"| {role.name} | {', '.join(sorted(role.needs))} | {role.advice} | "
                   f"{images} |")
    out += ["", "A service that mounts the Docker socket through a socket proxy is a "
                "positive point: the proxy *is* the fix. Services that talk to it "
                "(`DOCKER_HOST=tcp://socket-proxy:2375`) are not told to fix the socket.", "",
            "*Images that drop privileges themselves* (start as root, switch user in the "
            "entrypoint; not reported as running as root): "
            + ", ".join(f"`{p}`" for p in DROPS_PRIVILEGES_IMAGES)
            + "; or any image given `PUID`/`PGID`; a Dockerfile whose entrypoint uses "
              "`gosu`, `su-exec`, `s6-setuidgid`, `setpriv` or `chroot --userspec`.", "",
            "*CI/test fixtures* (credentials there are warnings): paths under `test/`, "
            "`tests/`, `fixtures/`, `examples/`, `ci/`, `.github/`; names such as "
            "`docker-compose.ci.yml`, `*.test.yml`, `*.example`, `.env.example`.", "",
            "*Test inputs* (fed to a test, never deployed as they are, often broken on "
            "purpose: a critical there is a warning, a reliability or performance warning "
            "a suggestion): paths under `test/`, "
            "`tests/`, `testdata/`, `fixtures/`, `e2e/` — not `examples/`, which people "
            "copy.", "",
            "Both are judged below the folder reviewed (or the git work tree of a file given "
            "alone): where the project is kept (`~/tests/shop`) does not make it a test.", "",
            "*Well-known default credentials* (critical in a deployment file): "
            + ", ".join(f"`{w}`" for w in sorted(WEAK_DEFAULTS)) + ".", ""]
    return "\n".join(out)


# ------------------------------------------------------------------ logging switches ----
# Debug switches that deployment files leave on. A framework's debug mode is a warning:
# it shows tracebacks, settings and sometimes an interactive console to whoever triggers
# an error (the Werkzeug debugger runs code). A debug or trace log level is a suggestion:
# verbose, it wears SD cards and fills disks, and it is where tokens and personal data
# end up in logs.
_LEVEL_NAME = lazy_re(r"^(?:[A-Z0-9_]*_)?(?:LOG_?LEVEL|LOGGING_LEVEL|LOG_LVL|VERBOSITY)$|"
                      r"^RUST_LOG$", re.IGNORECASE)
_LEVEL_VALUE = lazy_re(r"^(?:debug|trace|all|verbose|debug[1-9]|silly)$|(?:^|[,=])"
                       r"(?:debug|trace)(?:$|,)", re.IGNORECASE)
_FRAMEWORK_DEBUG = {"DJANGO_DEBUG", "FLASK_DEBUG", "APP_DEBUG", "WP_DEBUG", "LARAVEL_DEBUG",
                    "SYMFONY_DEBUG", "RAILS_DEBUG"}
_TRUE = {"1", "true", "yes", "on", "y"}
_DEV_ENVIRONMENT = {"FLASK_ENV": "development", "NODE_ENV": "development",
                    "APP_ENV": "dev", "RAILS_ENV": "development", "RACK_ENV": "development",
                    "ASPNETCORE_ENVIRONMENT": "development", "GIN_MODE": "debug",
                    "SPRING_PROFILES_ACTIVE": "dev"}
_FORMAT_NAME = lazy_re(r"^(?:[A-Z0-9_]*_)?LOG_?(?:FORMAT|ENCODING|STYLE)$", re.IGNORECASE)
_UNSTRUCTURED = {"text", "plain", "console", "pretty", "human", "color", "colour", "dev",
                 "simple"}
# Deployment files meant for a developer's machine: debug is their point.
_DEV_FILE = lazy_re(r"(?:^|/|[._-])(?:dev|devel|development|local|debug)(?:[._-]|/|$)",
                    re.IGNORECASE)


def debug_switch(name, value):
    """("warning" | "suggestion", why) when `name=value` turns debugging on, else None."""
    if value is None:
        return None
    name, text = str(name).strip(), str(value).strip().strip("'\"")
    upper = name.upper()
    if upper in _FRAMEWORK_DEBUG and text.lower() in _TRUE:
        return ("warning", "a framework debug mode: error pages show tracebacks and "
                           "settings to whoever triggers an error")
    if upper == "DEBUG" and text.lower() in _TRUE:
        return ("suggestion", "debug output is verbose and is where tokens and personal "
                              "data leak; many apps also show tracebacks with it")
    wanted = _DEV_ENVIRONMENT.get(upper)
    if wanted and text.lower() in (wanted, wanted[:3], "develop", "debug"):
        return ("warning", "a development mode: debug pages, unminified assets, no "
                           "production safeguards")
    if _LEVEL_NAME.match(name) and _LEVEL_VALUE.search(text):
        return ("suggestion", "debug-level logs are verbose (disk and SD-card wear) and "
                              "are where tokens and personal data leak")
    return None


def unstructured_logs(name, value):
    """True when `name=value` picks a human-only log format where JSON is one switch
    away (`LOG_FORMAT=text`)."""
    return value is not None and bool(_FORMAT_NAME.match(str(name).strip())) and \
        str(value).strip().strip("'\"").lower() in _UNSTRUCTURED


def is_dev_file(path):
    """A file for a developer's machine (`compose.dev.yaml`, `local/`, `debug.env`):
    debug switches are its point."""
    tail = "/".join(str(path or "").replace("\\", "/").split("/")[-2:])
    return bool(tail) and bool(_DEV_FILE.search(tail))


# -- Heavy scheduled jobs ----------------------------------------------------------------
# Programs that read or write a whole data set when they run: database dumps, backups,
# archives, transfers and transcodes. On a small host two of them starting together
# compete for memory, disk and the SD card's few IOPS. (`rclone` counts for its transfer
# subcommands only: a mount is not a job.)
HEAVY_PROGRAMS = frozenset({
    "pg_dump", "pg_dumpall", "pg_basebackup", "mysqldump", "mariadb-dump", "mariabackup",
    "xtrabackup", "mongodump", "influxd", "restic", "borg", "borgmatic", "duplicity",
    "duplicati-cli", "kopia", "rsnapshot", "tar", "zstd", "xz", "7z", "ffmpeg",
    "handbrakecli", "clamscan", "autorestic", "resticprofile"})
_RCLONE_TRANSFERS = frozenset({"sync", "copy", "move", "bisync", "copyto", "moveto"})


def heavy_command(text):
    """The heavy program a command line (a string, or its words) runs (`pg_dump`,
    `rclone sync`), or None."""
    if isinstance(text, list):
        words = [str(w) for w in text[:512]]
    elif text and isinstance(text, str):
        from infra_expert.shell import split_words
        words = split_words(text[:4096])
    else:
        return None
    for i, word in enumerate(words):
        name = word.rsplit("/", 1)[-1].lower().strip(";&|()`'\"")
        if name in HEAVY_PROGRAMS:
            return name
        if name == "rclone":
            from infra_expert.rclone import subcommand
            found = subcommand(words[i:])
            if found and found[0] in _RCLONE_TRANSFERS:
                return f"rclone {found[0]}"
    return None
