"""Compose rules about automatic image updates (Watchtower) of stateful services."""

from __future__ import annotations

from infra_expert.compose.walkers import each_service, environment, hit, mounts
from infra_expert.images import DATABASES, ImageRef, is_floating
from infra_expert.model import RuleSet

rules = RuleSet("compose")

_WATCHTOWER = ("containrrr/watchtower", "nickfedor/watchtower", "beatkind/watchtower")
_ENABLE_LABEL = "com.centurylinklabs.watchtower.enable"


def _labels(svc):
    labels = svc.get("labels")
    if isinstance(labels, dict):
        return {str(k): str(v) for k, v in labels.items()}
    out = {}
    for item in labels if isinstance(labels, list) else ():
        k, _, v = str(item).partition("=")
        out[k] = v
    return out


def _stateful(svc):
    """Why the service keeps state ("a database", "volume `db`"), or None."""
    image = str(svc.get("image") or "")
    if ImageRef(image).base_name.lower() in DATABASES:
        return "a database"
    for m in mounts(svc):
        if m.read_only or not m.source or m.source.endswith((".sock", ".conf", ".yml",
                                                             ".yaml", ".json", ".toml")):
            continue
        if not m.bind:
            return f"volume `{m.source}`"
        if m.source.startswith((".", "/", "~")) and not m.source.startswith(("/etc",
                                                                              "/var/run",
                                                                              "/run",
                                                                              "/dev",
                                                                              "/proc",
                                                                              "/sys")):
            return f"data in `{m.source}`"
    return None


def _scope(svc):
    """(label-enable, names it is limited to, monitor-only) from Watchtower's flags/env."""
    command = svc.get("command")
    words = command.split() if isinstance(command, str) else [str(w) for w in command or ()] \
        if isinstance(command, list) else []
    env = environment(svc)
    on = ("true", "1", "yes")
    label_enable = "--label-enable" in words or str(env.get("WATCHTOWER_LABEL_ENABLE")
                                                    ).lower() in on
    monitor_only = "--monitor-only" in words or str(env.get("WATCHTOWER_MONITOR_ONLY")
                                                    ).lower() in on
    scoped = "--scope" in words or any(w.startswith("--scope=") for w in words) \
        or bool(env.get("WATCHTOWER_SCOPE"))
    value_opts = {"--interval", "-i", "--schedule", "-s", "--scope", "--host", "-H",
                  "--notifications", "--notification-url", "--http-api-token",
                  "--stop-timeout", "--log-level"}
    names, skip = [], False
    for w in words:
        if skip:
            skip = False
        elif w.startswith("-"):
            skip = w in value_opts
        else:
            names.append(w)
    return label_enable, names, monitor_only or scoped


@rules.rule(
    "DC080", "warning", "reliability", "Watchtower auto-updates a stateful service on `latest`",
    "Watchtower pulls and restarts every container of the host whose image changed. For a "
    "database, or any service that keeps data in a volume, on `:latest` (or no tag), that "
    "means an unreviewed major upgrade at 4 a.m.: a new PostgreSQL major refuses the old "
    "data directory, a MariaDB or an application migrates its schema with no way back. "
    "Not reported when Watchtower is limited to labelled containers, to a scope, to named "
    "containers that are not stateful, or runs with `--monitor-only`.",
    "Pin stateful services to a version (`postgres:16.4`) and update them by hand; limit "
    "Watchtower with `--label-enable` (or `WATCHTOWER_LABEL_ENABLE=true`) and label only "
    "stateless services `com.centurylinklabs.watchtower.enable=true`, or exclude the "
    "stateful ones with `com.centurylinklabs.watchtower.enable=false`.",
    example=(
        'services:\n'
        '  watchtower:\n'
        '    image: containrrr/watchtower:1.7.1\n'
        '    environment:\n'
        '      WATCHTOWER_LABEL_ENABLE: "true"\n'
        '  db:\n'
        '    image: postgres:16.4    # pinned, updated by hand'))
def watchtower_stateful(doc, ctx):
    services = each_service(doc.model)
    for tower in services:
        if not any(w in str(tower.get("image") or "") for w in _WATCHTOWER):
            continue
        label_enable, names, limited = _scope(tower)
        if limited:
            continue
        exposed = []
        for svc in services:
            if svc is tower:
                continue
            image = str(svc.get("image") or "")
            if not image or "$" in image or not is_floating(image):
                continue
            opt = _labels(svc).get(_ENABLE_LABEL, "").lower()
            name = str(svc.get("container_name") or svc.name)
            if opt == "false" or (label_enable and opt != "true") or (
                    names and name not in names):
                continue
            why = _stateful(svc)
            if why:
                exposed.append(f"`{svc.name}` ({image}, {why})")
        if exposed:
            shown = ", ".join(exposed[:3]) + (f" (+{len(exposed) - 3})" if len(exposed) > 3
                                              else "")
            yield hit(tower, "image", f"auto-updates {shown}")
