"""The live sources, imported together so that their synthesizers are registered."""

from __future__ import annotations

from infra_expert.live import containers, host, kube

SOURCES = (containers, kube, host)
