"""Quadlet rules about `podman auto-update` of stateful containers."""

from __future__ import annotations

from infra_expert.images import DATABASES, is_floating
from infra_expert.images import ImageRef
from infra_expert.model import Hit, RuleSet

rules = RuleSet("podman")


def _stateful(unit):
    image = unit.get("Container", "Image") or ""
    if ImageRef(image).base_name.lower() in DATABASES:
        return "a database"
    for e in unit.get_all("Container", "Volume"):
        source, sep, rest = e.value.partition(":")
        options = rest.partition(":")[2].split(",")
        if not sep or "ro" in options:
            continue
        if source.endswith(".volume") or not source.startswith(("/", ".", "%")):
            return f"volume `{source}`"
        if not source.startswith(("/etc", "/run", "/var/run", "/dev", "/proc", "/sys")) \
                and not source.endswith((".sock", ".conf", ".yml", ".yaml", ".json")):
            return f"data in `{source}`"
    return None


@rules.rule(
    "PM030", "warning", "reliability", "`AutoUpdate=registry` on `latest` for a stateful container",
    "`podman auto-update` pulls the tag again and restarts the unit whenever the registry "
    "has a newer image. On `:latest` (or no tag) of a database, or of a container that "
    "keeps data in a volume, that is an unreviewed major upgrade: a new PostgreSQL major "
    "refuses the old data directory, an application migrates its schema with no way back; "
    "auto-update's rollback only covers a unit that fails to start, not a migrated volume.",
    "Pin a version tag (`Image=docker.io/library/postgres:16.4`) so that auto-update only "
    "brings rebuilds of that version, or drop `AutoUpdate=` for stateful containers and "
    "update them by hand.",
    example=(
        '[Container]\n'
        'Image=docker.io/library/postgres:16.4\n'
        'AutoUpdate=registry\n'
        'Volume=pgdata:/var/lib/postgresql/data\n'
        '\n'
        '[Service]\n'
        'Restart=always\n'
        '\n'
        '[Install]\n'
        'WantedBy=default.target'))
def auto_update_stateful(doc, ctx):
    unit = doc.model
    if unit.kind != "Container":
        return
    auto = unit.entry("Container", "AutoUpdate")
    image = unit.get("Container", "Image") or ""
    if auto is None or auto.value.strip().lower() != "registry" or not image \
            or "$" in image or image.endswith((".image", ".build")) or not is_floating(image):
        return
    why = _stateful(unit)
    if why:
        yield Hit(auto.line, f"`AutoUpdate=registry` on `{image}` ({why})", path=auto.path)
