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
}


def lookup(name):
    """The table's entry for an image base name (or an alias), or None."""
    name = (name or "").strip().lower()
    return TABLE.get(ALIASES.get(name, name))


def estimate(image):
    """The typical footprint of `image` (`postgres:16`, `ghcr.io/org/x@sha256:…`), or
    None when the table has no documented figure for it."""
    if not image or not isinstance(image, str):
        return None
    from infra_expert.images import ImageRef
    try:
        ref = ImageRef(image.strip())
    except Exception:   # noqa: BLE001 - a strange reference is just not estimated
        return None
    if "$" in ref.base_name:   # `${IMAGE}`: not known until run time
        return None
    return lookup(ref.base_name)
