"""`infra-expert live TARGET`: collect a snapshot of what runs, read-only.

TARGET is `docker`, `podman`, `kubernetes` (alias `k8s`), `systemd` or `all` (every
source that answers; one that is not there is a notice, not an error). Each source module
has `collect(options) -> dict` of snapshot parts (see `live.model`), raising
`execute.Unreachable` when its daemon, cluster or manager cannot be asked.
"""

from __future__ import annotations

import datetime

from infra_expert.live.execute import Unreachable

TARGETS = ("docker", "podman", "kubernetes", "systemd", "all")


class Options:
    """What the command line says about where to look."""

    __slots__ = ("socket", "context", "namespace", "all_namespaces", "timeout", "stats")

    def __init__(self, socket=None, context=None, namespace=None, all_namespaces=False,
                 timeout=20.0, stats=True):
        self.socket = socket              # an Engine API socket (else DOCKER_HOST …)
        self.context = context            # kube context (else the current one)
        self.namespace = namespace        # kube namespace (else the context's)
        self.all_namespaces = all_namespaces
        self.timeout = timeout
        self.stats = stats                # `docker stats --no-stream` (memory in use)


def _source(name, target):
    if name in ("docker", "podman"):
        from infra_expert.live import containers
        return lambda options: containers.collect(name, options)
    if name == "kubernetes":
        from infra_expert.live import kube
        return kube.collect
    from infra_expert.live import host
    # systemd units, timers and the host's own facts (the facts alone under `all`)
    return lambda options: host.collect(options, systemd_required=target == "systemd")


def collect(target, options):
    """The snapshot (a dict without the marker) of `target`. Raises Unreachable when a
    single named source cannot be asked; `all` collects what answers."""
    target = "kubernetes" if target == "k8s" else target
    if target not in TARGETS:
        raise ValueError(f"unknown live target `{target}` ({', '.join(TARGETS)})")
    snapshot = {"source": target,
                "collected_at": datetime.datetime.now(datetime.timezone.utc)
                .replace(microsecond=0).isoformat().replace("+00:00", "Z"),
                "context": {}, "notices": []}
    names = ("docker", "podman", "kubernetes", "systemd") if target == "all" else (target,)
    answered = 0
    for name in names:
        try:
            parts = _source(name, target)(options)
        except Unreachable as exc:
            if target != "all":
                raise
            snapshot["notices"].append(f"{name}: not read ({exc})")
            continue
        answered += 1
        for key, value in parts.items():
            if key == "context":
                snapshot["context"].update(value)
            elif key == "host":
                snapshot["host"] = value
            elif key == "notices":
                snapshot["notices"].extend(value)
            else:
                snapshot.setdefault(key, []).extend(value)
    if not answered:
        raise Unreachable("no live source answered: " + "; ".join(snapshot["notices"]))
    return snapshot
