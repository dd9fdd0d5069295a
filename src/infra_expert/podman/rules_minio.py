"""Quadlet rule about a MinIO server container (core `infra_expert.minio` judges)."""

from __future__ import annotations

from infra_expert.model import Hit, RuleSet
from infra_expert.podman.model import effective, publish_parts, volume_parts

rules = RuleSet("podman")


def _mount_target(spec):
    """The container path of `Mount=type=bind,source=…,destination=…`."""
    for part in str(spec).split(","):
        key, _, value = part.partition("=")
        if key.strip() in ("target", "destination", "dst"):
            return value.strip()
    return ""


def _server(unit, eff):
    from infra_expert.minio import Published, Server
    from infra_expert.secrets import is_literal_secret_value, is_secret_name, token_kind
    from infra_expert.shell import split_words
    image = unit.entry("Container", "Image")
    exec_ = unit.entry("Container", "Exec")
    env, said, secrets = {}, set(), []
    for item in eff.get("env", []):
        name, eq, value = item.value.partition("=")
        env[name] = (value if eq else None, item.entry)
        if eq and value and (token_kind(value) or (
                is_secret_name(name) and is_literal_secret_value(value, name))):
            said.add(name)        # PM007 says it
    for item in eff.get("secret", []):
        fields = dict(p.partition("=")[::2] for p in item.value.split(",")[1:])
        name = item.value.split(",")[0]
        if fields.get("type") == "env":
            env[fields.get("target") or name] = (None, item.entry)
        else:
            secrets.append((fields.get("target") or name).rsplit("/", 1)[-1])
    args = " ".join(e.value for e in unit.get_all("Container", "PodmanArgs"))
    env_unknown = bool(unit.get_all("Container", "EnvironmentFile")) or "--env-file" in args \
        or any(e.value.strip().lower() in ("true", "yes", "1", "on")
               for e in unit.get_all("Container", "EnvironmentHost"))
    ports = [Published(*publish_parts(item.value), item.entry)
             for item in eff.get("publish", [])]
    mounts = [volume_parts(i.value)[1] for i in eff.get("volume", [])] + \
        [_mount_target(i.value) for i in eff.get("mount", [])]
    networks = eff.get("network", [])
    host = [n for n in networks if n.value.strip() == "host"]
    return Server(image.value if image else "", split_words(exec_.value) if exec_ else [],
                  env, env_unknown=env_unknown, secrets=secrets, ports=ports, mounts=mounts,
                  said=said, line=image, host_network=bool(host),
                  network_line=host[0].entry if host else None)


@rules.rule(
    "PM033", "critical", "security", "MinIO server: default login, open console or plain HTTP",
    "Three things a MinIO container gets wrong, with their own severity. Critical: no "
    "`MINIO_ROOT_USER`/`MINIO_ROOT_PASSWORD` (nor a `_FILE` variant, `Secret=`, an "
    "`EnvironmentFile=`): MinIO starts with the root login `minioadmin`/`minioadmin` "
    "(MinIO server reference: both \"default to minioadmin\"; bitnami's image "
    "`minio`/`miniosecret`), the first login any scanner tries. Warning: the console "
    "(`--console-address`) published on all interfaces — the admin UI open to password "
    "guessing. Warning: the S3 API published on all interfaces without TLS (no "
    "certificates in `~/.minio/certs` or `--certs-dir`, no `MINIO_SERVER_URL=https://…`): "
    "keys, presigned URLs and objects in clear. A literal password in `Environment=` is "
    "PM007's.",
    "Give the root login from podman secrets (`Secret=minio-root-password,type=env,"
    "target=MINIO_ROOT_PASSWORD`), publish the API and console on `127.0.0.1` behind the "
    "TLS reverse proxy, or mount certificates at `/root/.minio/certs`.",
    example=(
        '[Container]\n'
        'Image=quay.io/minio/minio:RELEASE.2024-10-13T13-34-11Z\n'
        'Exec=server /data --console-address :9001\n'
        'Environment=MINIO_ROOT_USER=backup-admin\n'
        'Secret=minio-root-password,type=env,target=MINIO_ROOT_PASSWORD\n'
        'PublishPort=127.0.0.1:9000:9000\n'
        'PublishPort=127.0.0.1:9001:9001\n'
        'Volume=minio-data:/data\n'
        '\n'
        '[Service]\n'
        'Restart=always\n'
        '\n'
        '[Install]\n'
        'WantedBy=default.target'), supersedes=("PM002",))
def minio_server(doc, ctx):
    from infra_expert.minio import SEVERITY, review
    unit = doc.model
    if unit.kind != "Container":
        return
    server = _server(unit, effective(unit))
    for concern, entry, message in review(server):
        severity = SEVERITY[concern]
        if entry is None:
            continue
        yield Hit(entry.line, message, path=entry.path,
                  severity=None if severity == "critical" else severity)
