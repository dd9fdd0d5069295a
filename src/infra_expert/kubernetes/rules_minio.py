"""Kubernetes rule about a MinIO server container (core `infra_expert.minio` judges)."""

from __future__ import annotations

from infra_expert.kubernetes.model import at, cname, each_container, mappings
from infra_expert.model import RuleSet

rules = RuleSet("kubernetes")


def _server(c):
    from infra_expert.knowledge import is_weak_default
    from infra_expert.minio import Server
    from infra_expert.secrets import is_literal_secret_value, is_secret_name, token_kind
    env, said = {}, set()
    for e in mappings(c, "env"):
        name = str(e.get("name", ""))
        value = e.get("value")
        value = str(value) if isinstance(value, (str, int, float)) and \
            not isinstance(value, bool) else None
        env[name] = (value, ("value", e))
        if value and (token_kind(value) or (is_secret_name(name) and (
                is_literal_secret_value(value, name) or is_weak_default(value)))):
            said.add(name)        # K8028 says it
    words = [str(w) for key in ("command", "args")
             for w in (c.get(key) if isinstance(c.get(key), list) else [])
             if not isinstance(w, (dict, list))]
    mounts = [str(m.get("mountPath", "")) for m in mappings(c, "volumeMounts")]
    return Server(c.get("image"), words, env, env_unknown=bool(c.get("envFrom")),
                  mounts=mounts, said=said, line=("env" if "env" in c else "image", c))


@rules.rule(
    "K8116", "critical", "security", "MinIO server with its default root login",
    "A container runs `minio server` with neither `MINIO_ROOT_USER`/`MINIO_ROOT_PASSWORD` "
    "(literal, `valueFrom` or `envFrom`) nor their `_FILE` variants or "
    "`MINIO_CONFIG_ENV_FILE`: MinIO starts with the root login `minioadmin`/`minioadmin` "
    "(MinIO server reference: both \"default to minioadmin\"; bitnami's image "
    "`minio`/`miniosecret`). Any pod in the cluster (and whatever the Service exposes) can "
    "log in as root and read or delete every bucket. A literal password in `env` is "
    "K8028's.",
    "Set both from a Secret: `env: [{name: MINIO_ROOT_USER, valueFrom: {secretKeyRef: "
    "…}}, {name: MINIO_ROOT_PASSWORD, valueFrom: {secretKeyRef: …}}]` (or `envFrom` a "
    "Secret).",
    example=(
        'apiVersion: apps/v1\n'
        'kind: StatefulSet\n'
        'metadata:\n'
        '  name: minio\n'
        'spec:\n'
        '  serviceName: minio\n'
        '  selector:\n'
        '    matchLabels: {app: minio}\n'
        '  template:\n'
        '    metadata:\n'
        '      labels: {app: minio}\n'
        '    spec:\n'
        '      containers:\n'
        '        - name: minio\n'
        '          image: quay.io/minio/minio:RELEASE.2024-10-13T13-34-11Z\n'
        '          args: ["server", "/data", "--console-address", ":9001"]\n'
        '          envFrom:\n'
        '            - secretRef: {name: minio-root}\n'))
def minio_default_login(doc, ctx):
    from infra_expert.minio import review
    for obj, pod, c, is_init in each_container(doc.model.objects):
        for concern, (key, node), message in review(_server(c)):
            if concern == "default-credentials":
                yield at(node, key, obj, f"container `{cname(c)}`: {message}")
