"""Compose rules about a MinIO server: default root login, console and plain-HTTP API on
all interfaces (core `infra_expert.minio` judges; this module says what a service holds)."""

from __future__ import annotations

from infra_expert.compose.walkers import (as_list, each_service, env_position, environment,
                                          hit, item_hit, mounts, ports)
from infra_expert.model import Hit, RuleSet

rules = RuleSet("compose")

_WEB = (
    'services:\n'
    '  minio:\n'
    '    image: quay.io/minio/minio:RELEASE.2024-10-13T13-34-11Z\n'
    '    command: ["server", "/data", "--console-address", ":9001"]\n'
    '    environment:\n'
    '      MINIO_ROOT_USER: backup-admin\n'
    '      MINIO_ROOT_PASSWORD_FILE: /run/secrets/minio_root_password\n'
    '    secrets: [minio_root_password]\n'
    '    ports:\n'
    '      - "127.0.0.1:9000:9000"\n'
    '      - "127.0.0.1:9001:9001"\n'
    '    volumes:\n'
    '      - minio-data:/data\n'
    'secrets:\n'
    '  minio_root_password:\n'
    '    file: ./secrets/minio_root_password.txt\n'
    'volumes:\n'
    '  minio-data:')


def _words(value):
    from infra_expert.shell import split_words
    if isinstance(value, str):
        return split_words(value)
    return [str(w) for w in as_list(value) if not isinstance(w, (dict, list))]


def _server(svc):
    """(Server, {place: (path, line, column)}) for one service."""
    from infra_expert.compose.rules_security import _interpolated
    from infra_expert.minio import Published, Server
    places = {}
    raw = svc.data.get("environment")
    env, said = {}, set()
    for name, value in environment(svc).items():
        places[("env", name)] = env_position(svc, name)
        env[name] = (value, ("env", name))
        if value and not _interpolated(raw, name):
            said.add(name)        # a literal credential is DC020's
    published = []
    for p in ports(svc):
        h = item_hit(svc, "ports", p.index, "")
        places[("port", p.index)] = (h.path, h.line, h.column)
        published.append(Published(p.host_ip, p.published, p.target, ("port", p.index)))
    secrets = []
    for s in as_list(svc.get("secrets")):
        if isinstance(s, dict):
            secrets.append(str(s.get("target") or s.get("source") or "").rsplit("/", 1)[-1])
        elif s is not None:
            secrets.append(str(s))
    key = "environment" if svc.get("environment") is not None else "image"
    h = hit(svc, key, "")
    places["service"] = (h.path, h.line, h.column)
    h = hit(svc, "network_mode", "")
    places["network"] = (h.path, h.line, h.column)
    words = _words(svc.get("entrypoint")) + _words(svc.get("command"))
    return Server(svc.get("image"), words, env, env_unknown=bool(svc.get("env_file")),
                  secrets=secrets, ports=published, mounts=[m.target for m in mounts(svc)],
                  said=said, line="service",
                  host_network=str(svc.get("network_mode", "")).lower() == "host",
                  network_line="network"), places


def _findings(doc, concern):
    from infra_expert.minio import review
    for svc in each_service(doc.model):
        if not isinstance(svc.get("image"), str) and svc.get("command") is None:
            continue
        server, places = _server(svc)
        for found, place, message in review(server):
            if found == concern:
                path, line, column = places[place]
                yield Hit(line, f"service `{svc.label}`: {message}", column=column, path=path)


@rules.rule(
    "DC083", "critical", "security", "MinIO server with its default root login",
    "With neither `MINIO_ROOT_USER`/`MINIO_ROOT_PASSWORD` nor their `_FILE` variants (or "
    "an env file, or `MINIO_CONFIG_ENV_FILE`), MinIO starts with the root login "
    "`minioadmin`/`minioadmin` (MinIO server reference: both \"default to minioadmin\"); "
    "bitnami's image with `minio`/`miniosecret`. The root user can read, overwrite and "
    "delete every bucket and change every policy, and these are the first credentials any "
    "scanner tries. A literal password in `environment` is DC020's; this rule also sees one "
    "that `${VAR}` resolves to the default.",
    "Set both from a secret: `MINIO_ROOT_USER` and `MINIO_ROOT_PASSWORD_FILE: "
    "/run/secrets/minio_root_password` with Compose `secrets:`, or `${VAR}` from an "
    "untracked `.env` holding a long random value.",
    example=_WEB)
def minio_default_login(doc, ctx):
    yield from _findings(doc, "default-credentials")


@rules.rule(
    "DC084", "warning", "security", "MinIO console published on all interfaces",
    "The console (`--console-address`, 9001 in MinIO's container docs) is the admin web UI "
    "that takes the root login: published without a host address it listens on every "
    "interface, past UFW/firewalld (Docker's iptables rules), open to password guessing "
    "from anywhere the host is reachable.",
    "Bind it to loopback or the LAN (`\"127.0.0.1:9001:9001\"`) and reach it through the "
    "reverse proxy with TLS (and its own authentication), or set `MINIO_BROWSER=off` when "
    "`mc` is enough.",
    example=_WEB, supersedes=("DC005",))
def minio_console_exposed(doc, ctx):
    yield from _findings(doc, "console-exposed")


@rules.rule(
    "DC085", "warning", "security", "MinIO S3 API over plain HTTP on all interfaces",
    "MinIO serves HTTP unless it finds certificates (`~/.minio/certs`, `--certs-dir`): "
    "published on every interface, access keys (the signature does not hide the key id), "
    "presigned URLs and the objects themselves cross the network in clear. Behind a "
    "reverse proxy on `127.0.0.1` (or an internal network) the proxy's TLS covers it.",
    "Publish the API on `127.0.0.1` and serve it through the TLS reverse proxy "
    "(`MINIO_SERVER_URL=https://s3.example.org`), or mount `public.crt`/`private.key` at "
    "`/root/.minio/certs` (bitnami: `/certs` with `MINIO_SCHEME=https`).",
    example=_WEB, supersedes=("DC005",))
def minio_plain_http(doc, ctx):
    yield from _findings(doc, "plain-http")
