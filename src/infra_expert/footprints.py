"""Typical memory footprints of common images: an *estimate* for a service that declares
no memory limit, so that "will it fit?" has an answer before anything is declared.

Every figure comes from the project's own documentation (system requirements, sizing
pages, FAQ) and carries its source URL and what the figure is:

- `kind` says what the documentation gives: `typical` (what it uses), `minimum` or
  `recommended` (what it asks for);
- `scope` says for what: `service` (the program itself) or `host` (a whole machine
  dedicated to it: the OS and any companions included, so it overstates one container).

An image without a documented figure is not in the table: no guess is ever shown as a
source. Figures are per instance, in bytes: `idle_bytes` is the figure `kind` names (at
idle for `typical`); `light_bytes` the figure under light load where the documentation
gives one, else None.

`PLATFORMS` says, with the same rule, which architectures an image is published for
(`platforms(image)`). Image sizes per architecture are not given: no project documents
them (the registries' own listings change with every tag).
"""

from __future__ import annotations

MIB = 2**20
GIB = 2**30


class Footprint:
    """One documented figure (a plain class: importing dataclasses costs start-up)."""

    __slots__ = ("image", "idle_bytes", "light_bytes", "kind", "scope", "source", "note")

    def __init__(self, image, idle_bytes, light_bytes, kind, scope, source, note=""):
        self.image = image              # the table's key (an image base name)
        self.idle_bytes = idle_bytes    # at idle, or the documented floor
        self.light_bytes = light_bytes  # under light load, when documented
        self.kind = kind                # "typical" | "minimum" | "recommended"
        self.scope = scope              # "service" | "host"
        self.source = source            # URL of the project's documentation
        self.note = note                # what the documentation says, in short

    @property
    def memory_bytes(self):
        """The figure the totals use: under light load when documented, else at idle."""
        return self.light_bytes or self.idle_bytes

    @property
    def what(self):
        """`typical use`, `minimum for the whole host` … : how a report names the figure."""
        noun = {"typical": "typical use"}.get(self.kind, self.kind)
        return noun + (" for the whole host" if self.scope == "host" else "")

    def as_dict(self):
        return {"image": self.image, "memory_bytes": self.memory_bytes,
                "idle_bytes": self.idle_bytes, "light_bytes": self.light_bytes,
                "kind": self.kind, "scope": self.scope, "source": self.source,
                "note": self.note, "estimated": True}


_REDIS_FAQ = "https://redis.io/docs/getting-started/faq/"
_GITEA = "https://docs.gitea.com/"

TABLE = {f.image: f for f in (
    Footprint("redis", 3 * MIB, 85 * MIB, "typical", "service", _REDIS_FAQ,
              "an empty instance uses ~3 MB; 1 million small string keys ~85 MB "
              "(64-bit)"),
    Footprint("nextcloud", 512 * MIB, None, "recommended", "service",
              "https://github.com/nextcloud/documentation/blob/"
              "00762dad4d0014fcb6841cece720abb668654cf3/admin_manual/installation/"
              "system_requirements.rst",
              "a minimum of 128 MB RAM, 512 MB recommended"),
    Footprint("immich-server", 6 * GIB, None, "minimum", "host",
              "https://github.com/immich-app/immich/blob/"
              "0a0a903e786ca459b017c336dc009b26563f5d62/docs/docs/install/requirements.md",
              "RAM: minimum 6 GB, recommended 8 GB, for the whole Immich stack "
              "(4 GB with machine learning disabled)"),
    Footprint("pihole", 512 * MIB, None, "minimum", "host",
              "https://docs.pi-hole.net/main/prerequisites/",
              "hardware: 512 MB RAM"),
    Footprint("grafana", 255 * MIB, None, "minimum", "service",
              "https://github.com/grafana/grafana/blob/"
              "ba135819381fabdd3fadc0ba8911d9acb9e164df/docs/sources/installation/"
              "requirements.md",
              "minimum recommended memory: 255 MB; image rendering and alerting need more"),
    Footprint("gitea", 1 * GIB, None, "typical", "host", _GITEA,
              "2 CPU cores and 1 GB RAM is typically sufficient for small teams"),
    Footprint("jellyfin", 4 * GIB, None, "recommended", "host",
              "https://github.com/jellyfin/jellyfin.org/blob/"
              "003233273451a48ec76e05a49a9aef9808845575/docs/general/administration/"
              "hardware-selection.md",
              "at least 8 GB is recommended for most configurations; for a Linux server "
              "running without a GUI, 4 GB should be enough"),
    Footprint("photoprism", 3 * GIB, None, "recommended", "host",
              "https://github.com/photoprism/photoprism-docs/blob/"
              "492ab4af38d62cc425f391366f4b933172ef201c/docs/getting-started/index.md",
              "a server with at least 2 cores and 3 GB of physical memory, and 4 GB of "
              "swap; RAM should match the number of CPU cores"),
    Footprint("keycloak", 1000 * MIB, None, "typical", "service",
              "https://github.com/keycloak/keycloak/blob/"
              "d6697aac76295bf6c4d7d2d5caa3a32da8d8ae1b/docs/guides/high-availability/"
              "concepts-memory-and-cpu-sizing.adoc",
              "the base memory usage for an inactive Pod is 1000 MB of RAM; add 500 MB "
              "per 100,000 active user sessions"),
    Footprint("authentik", 2 * GIB, None, "minimum", "host",
              "https://github.com/goauthentik/authentik/blob/"
              "60081a6d2dafed2b5a230170a7967ff9e0c0b3f1/website/docs/install-config/"
              "install/docker-compose.mdx",
              "a host with at least 2 CPU cores and 2 GB of RAM (server, worker and "
              "their database together)"),
    Footprint("influxdb", 2 * GIB, None, "recommended", "host",
              "https://github.com/influxdata/docs-v2/blob/"
              "0967a8aab6769ce5b41b9a3fe8785ad3a8153349/content/influxdb/v1/guides/"
              "hardware_sizing.md",
              "InfluxDB 1.x OSS: 2-4 cores and 2-4 GB RAM for < 5,000 writes/s, < 5 "
              "queries/s and < 100,000 series"),
    Footprint("jenkins", 4 * GIB, None, "recommended", "host",
              "https://github.com/jenkins-infra/jenkins.io/blob/"
              "6c6ee840c64dd6fbf04437d529766f8b3ef7bbbb/content/doc/book/installing/"
              "_installation_requirements.adoc",
              "4 GB+ of RAM recommended for a small team (256 MB is the bare minimum)"),
    Footprint("gitlab-ce", 8 * GIB, None, "recommended", "host",
              "https://github.com/gitlabhq/gitlabhq/blob/"
              "6f0f893bd87535b61e0ecb1ce069eaa7fcb9e5be/doc/install/requirements.md",
              "8 GB RAM is the recommended minimum memory size for all installations "
              "(up to 100 users); 4 GB RAM + 4 GB swap is very slow"),
    Footprint("mattermost-team-edition", 4 * GIB, None, "recommended", "host",
              "https://github.com/mattermost/docs/blob/"
              "701949b98ffd4d148479c869e8dd85ad74c2a113/source/scale/"
              "scale-to-200-users.rst",
              "reference architecture up to 200 users: one application node of 2 vCPU / "
              "4 GiB (database on its own server)"),
    Footprint("n8n", 100 * MIB, None, "typical", "service",
              "https://github.com/n8n-io/n8n-docs/blob/"
              "a36194763bcf02fe24e633820dfa2b9852c58b58/docs/embed/prerequisites.md",
              "an n8n.cloud instance at idle requires ~100 MB; sizing 320 MB - 2 GB "
              "depending on workflows and data"),
    Footprint("home-assistant", 2 * GIB, None, "minimum", "host",
              "https://github.com/home-assistant/home-assistant.io/blob/"
              "029b7fde8c5639ccd4c60a86ebba3db5ed04778b/source/_includes/installation/"
              "operating_system.md",
              "minimum recommended VM assignment: 2 GB RAM (Home Assistant OS with "
              "add-ons)"),
)}

# Other names of the same program: a fork documented by its parent's figure (said in
# the note), or the name an official image goes by.
ALIASES = {
    "valkey": "redis",          # Valkey is a fork of Redis 7.2
    "forgejo": "gitea",         # Forgejo is a fork of Gitea
    "homeassistant": "home-assistant",
    "pi-hole": "pihole",
    "gitlab-ee": "gitlab-ce",   # the same Omnibus package, licensed features apart
    "mattermost-enterprise-edition": "mattermost-team-edition",
}

# Images whose base name alone says nothing (`goauthentik/server`, `vaultwarden/server`):
# matched by their whole repository (registry left out).
REPOSITORIES = {
    "goauthentik/server": "authentik",
    "beryju/authentik": "authentik",
}


def lookup(name):
    """The table's entry for an image base name (or an alias), or None."""
    name = (name or "").strip().lower()
    return TABLE.get(ALIASES.get(name, name))


def _ref(image):
    """The parsed reference of `image`, or None when it cannot be judged."""
    if not image or not isinstance(image, str):
        return None
    from infra_expert.images import ImageRef
    try:
        ref = ImageRef(image.strip())
    except Exception:   # noqa: BLE001 - a strange reference is just not looked up
        return None
    if "$" in ref.repository or not ref.base_name:   # `${IMAGE}`: known at run time
        return None
    return ref


def estimate(image):
    """The typical footprint of `image` (`postgres:16`, `ghcr.io/org/x@sha256:…`), or
    None when the table has no documented figure for it."""
    ref = _ref(image)
    if ref is None:
        return None
    key = REPOSITORIES.get(ref.repository.lower())
    if key is not None:
        return TABLE[key]
    return lookup(ref.base_name)


# --- architectures ---------------------------------------------------------------------
# What an image is published for, from its maintainers' own documentation: for Docker
# official images the "Supported architectures" line of docker-library/docs; else the
# project's docs. Keyed by the Docker Hub repository (`library/postgres`), so that
# `bitnami/postgresql` or a fork is never taken for the official image. Architectures
# are named `amd64`, `arm64` and `arm` (32-bit: v5, v6 or v7); the others an image may
# be published for (i386, ppc64le, s390x, riscv64 …) are left out.

AMD64, ARM64, ARM = "amd64", "arm64", "arm"
ARCHES = frozenset({AMD64, ARM64, ARM})


def _docs(name, commit):
    return f"https://github.com/docker-library/docs/blob/{commit}/{name}/README.md"


_DOCS_2026 = "004549907adefe11e26343bb844ce54c037b3c2d"
_DOCS_2024 = "00475079b33ebaf73ebe8093251c408e80658e15"

PLATFORMS = {
    "library/postgres": (frozenset({AMD64, ARM64, ARM}), _docs("postgres", _DOCS_2026)),
    "library/nginx": (frozenset({AMD64, ARM64, ARM}), _docs("nginx", _DOCS_2026)),
    "library/redis": (frozenset({AMD64, ARM64, ARM}), _docs("redis", _DOCS_2024)),
    "library/caddy": (frozenset({AMD64, ARM64, ARM}), _docs("caddy", _DOCS_2024)),
    # MariaDB's official image has no 32-bit ARM build
    "library/mariadb": (frozenset({AMD64, ARM64}), _docs("mariadb", _DOCS_2024)),
    "photoprism/photoprism": (
        frozenset({AMD64, ARM64}),
        "https://github.com/photoprism/photoprism-docs/blob/"
        "492ab4af38d62cc425f391366f4b933172ef201c/docs/getting-started/index.md"),
}


def platforms(image):
    """`(frozenset of architectures, source)` the image is documented as published for,
    or None when nothing is documented here (never a guess)."""
    ref = _ref(image)
    if ref is None or ref.registry != "docker.io":
        return None
    return PLATFORMS.get(ref.repository.lower())
