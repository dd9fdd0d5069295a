"""Pipeline rules (being written)."""

from __future__ import annotations

from infra_expert.model import RuleSet

rules = RuleSet("pipeline")
