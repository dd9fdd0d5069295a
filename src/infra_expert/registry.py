"""Every domain, in the order discovery asks them. Adding a domain is its package (which
exports `DOMAIN`, a `domain.Domain`) plus one line here."""

from __future__ import annotations

PACKAGES = (
    "dockerfile",
    "compose",
    "podman",
    "kubernetes",
    "systemd",
    "kestra",
    "cron",
    "monitoring",
    "burst",
    "storage",
    "live",
    "pipeline",
)

_loaded = []


def domains():
    """The descriptors, in order; imported once, on first use."""
    if not _loaded:
        from importlib import import_module
        _loaded.extend(import_module(f"infra_expert.{p}").DOMAIN for p in PACKAGES)
    return _loaded
