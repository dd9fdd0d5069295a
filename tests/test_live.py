"""The live domain: snapshots of what runs, reviewed with the same rules. Every LV rule
has a case that fires and one that must not (CASES, one module a source), compared by
rule id, path and line; a snapshot is a `*.live.json` file written by `infra-expert live
--snapshot` (or by hand from real outputs)."""

from __future__ import annotations

import pytest
from conftest import run_review, write_tree
from live_cases_containers import CASES as CONTAINER_CASES
from live_cases_host import CASES as HOST_CASES
from live_cases_kube import CASES as KUBE_CASES

CASES = CONTAINER_CASES + KUBE_CASES + HOST_CASES


@pytest.mark.parametrize("rule, files, expected", [c[:3] for c in CASES],
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule(tmp_path, rule, files, expected):
    write_tree(tmp_path, files)
    result = run_review(tmp_path)
    found = sorted((f.path, f.line) for f in result.findings if f.rule.id == rule)
    assert found == sorted(expected)


def test_a_live_review_in_json_carries_its_header_and_fits_the_schema():
    """`infra-expert live …` writes `live` (source, when, where, production) into the
    JSON; the shipped schema describes it. A kube context named like production says so
    in every view."""
    import json

    import jsonschema

    from infra_expert.config import Config
    from infra_expert.live.model import dump_snapshot
    from infra_expert.live.review import review_snapshot
    from infra_expert.report import render
    from infra_expert.schemas import review_schema
    rule, files, _expected = next(c[:3] for c in CASES if c[2])
    text = next(t for name, t in files.items() if name.endswith(".live.json"))
    data = json.loads(text)
    data.pop("infra-expert-live")
    data["context"] = {**data.get("context", {}), "kube_context": "prod-eu"}
    result = review_snapshot(dump_snapshot(data), Config(), "live:all")
    out = json.loads(render(result, "json"))
    jsonschema.validate(out, review_schema())
    assert out["live"]["production"] is True
    assert out["live"]["context"]["kube_context"] == "prod-eu"
    assert "THIS LOOKS LIKE PRODUCTION" in render(result, "markdown").split("###")[0]
    assert any(f["rule"] == rule for f in out["findings"])
