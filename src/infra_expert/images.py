"""Image references, shared by every domain that names an image (a Dockerfile's FROM, a
Compose `image:`, a Kubernetes container, a Quadlet `Image=`)."""

from __future__ import annotations


class ImageRef:
    __slots__ = ("registry", "repository", "tag", "digest", "text")

    def __init__(self, text):
        self.text = text
        rest, _, digest = text.partition("@")
        self.digest = digest or None
        name, tag = rest, None
        slash = rest.rfind("/")
        colon = rest.rfind(":")
        if colon > slash:
            name, tag = rest[:colon], rest[colon + 1:]
        self.tag = tag
        first, sep, remainder = name.partition("/")
        if sep and ("." in first or ":" in first or first == "localhost"):
            self.registry = first.lower()
            self.repository = remainder
        else:
            self.registry = "docker.io"
            self.repository = name if sep else "library/" + name
        if self.registry in ("index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"):
            self.registry = "docker.io"

    @property
    def short_name(self):
        """`python`, `bitnami/redis`, `ghcr.io/org/app`: how people name the image."""
        repo = self.repository
        if self.registry == "docker.io":
            return repo[8:] if repo.startswith("library/") else repo
        return f"{self.registry}/{repo}"

    @property
    def base_name(self):
        return self.repository.rsplit("/", 1)[-1]


# Images that keep state and whose data format changes between major versions: an
# unreviewed upgrade can leave the data unreadable (postgres refuses an older data
# directory outright).
DATABASES = frozenset({"postgres", "postgis", "timescaledb", "mysql", "mariadb", "mongo",
                       "mongodb", "redis", "valkey", "influxdb", "elasticsearch",
                       "opensearch", "clickhouse-server", "cassandra", "couchdb", "neo4j",
                       "etcd", "rabbitmq", "memcached", "cockroach", "percona-server",
                       "keydb", "dragonfly", "nextcloud", "gitea", "immich-server"})


def is_floating(image):
    """True for `:latest` or no tag (and no digest)."""
    ref = ImageRef(image)
    return ref.digest is None and (ref.tag is None or ref.tag == "latest")
