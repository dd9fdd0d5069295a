"""The live snapshot: what a live source read, as plain data.

    {"infra-expert-live": 1,
     "source": "docker" | "podman" | "kubernetes" | "systemd" | "all",
     "collected_at": "2026-11-30T07:50:00Z",
     "context": {"engine": "podman 4.3.1", "kube_context": "…", "namespace": "…"},
     "containers": [<engine inspect object, Env values removed>, …],
     "pods": […], "images": […], "stats": […],
     "objects": [<Kubernetes object as `kubectl get -o json` gives it>, …],
     "units": [{"name": "x.service", "properties": {…systemctl show…},
                "fragment": "/etc/systemd/system/x.service", "text": "…unit file…",
                "dropins": [{"path": …, "text": …}]}, …],
     "timers": [{"unit": "x.timer", "last": null | "…", "next": "…"}, …],
     "host": {"memory": bytes, "swap": bytes, "zram": bool, "cpus": n, "arch": "arm64",
              "cgroup": 1 | 2, "disks": [{"path": "/var/lib/docker", "size": b, "free": b}]},
     "notices": ["…what could not be read…"]}

Every part is optional; a source fills its own.
"""

from __future__ import annotations

import json

from infra_expert.live import MARKER

PARTS = ("containers", "pods", "images", "stats", "objects", "units", "timers")


class Snapshot:
    __slots__ = ("data", "source", "context", "host", "notices") + PARTS

    def __init__(self, data):
        self.data = data
        self.source = str(data.get("source") or "live")
        context = data.get("context")
        self.context = context if isinstance(context, dict) else {}
        host = data.get("host")
        self.host = host if isinstance(host, dict) else None
        notices = data.get("notices")
        self.notices = [str(n) for n in notices] if isinstance(notices, list) else []
        for part in PARTS:
            value = data.get(part)
            setattr(self, part, [v for v in value if isinstance(v, dict)]
                    if isinstance(value, list) else [])


def load_snapshot(text):
    """A Snapshot from its JSON text; ValueError when it is not one."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"invalid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get(MARKER) != 1:
        raise ValueError(f"no `\"{MARKER}\": 1` at the top")
    return Snapshot(data)


def dump_snapshot(data):
    """The snapshot's text (stable: sorted keys, two-space indent)."""
    return json.dumps({MARKER: 1, **data}, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
