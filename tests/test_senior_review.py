"""Issue 8, item 7: a realistic homelab project (a base with two overlays and `.env`
template, a shared `extends` file, a socket proxy, a Helm chart whose values have a
`services:` key, a Flux HelmRelease of app-template, a CSI node DaemonSet), reviewed whole.
The review is snapshotted and its judgement asserted."""

import os
from pathlib import Path

from infra_expert.config import Config
from infra_expert.engine import review
from infra_expert.report import render

from conftest import run_review, write_tree
from test_reporters import SNAPSHOTS, check_snapshot

FIXTURE = Path(__file__).parent / "fixtures" / "homelab-senior"


def senior_review():
    cwd = os.getcwd()
    os.chdir(FIXTURE.parent)
    try:
        return review(["homelab-senior"], Config(), str(FIXTURE.parent))
    finally:
        os.chdir(cwd)


def test_whole_review_snapshot():
    check_snapshot("homelab-senior.md", render(senior_review(), "markdown"))
    assert (SNAPSHOTS / "homelab-senior.md").is_file()


def test_what_a_senior_would_and_would_not_say():
    result = senior_review()
    by_rule = {}
    for f in result.findings:
        by_rule.setdefault(f.rule.id, []).append((f.path.split("/", 1)[1], f.line, f.severity))
    # nothing here is exploitable or broken as written
    assert [f for f in result.findings if f.severity == "critical"] == []
    # the CSI node plugin's privileges are expected: said, calibrated, not critical
    assert [(p, line) for p, line, _ in by_rule["K8013"]] == [("k8s/storage/csi-node.yaml", 21)]
    assert "K8090" not in by_rule
    # the socket proxy is the fix, and a positive; nothing else is told about the socket
    assert "DC001" not in by_rule
    assert any("socket proxy" in p.message for p in result.positives)
    # the chart's values.yaml with `services:` is not a Compose project
    assert [d for p, d in result.files if p.endswith("values.yaml")] == ["kubernetes"]
    # the CI overlay's throw-away password is a warning that says it is a fixture
    assert by_rule["DC020"] == [("docker-compose.ci.yml", 5, "warning")]
    # the variable the committed .env.example lists is provided at deploy time
    assert "DC025" not in by_rule and "DC026" not in by_rule
    # the shared extends templates are no project: no "neither image nor build"
    assert "DC053" not in by_rule
    assert not [p for p in result.positives if p.path.endswith("docker-compose.ci.yml")]
    # app-template values are judged like containers, and grouped under their own row
    assert by_rule["K8010"] == [("k8s/apps/paperless/helmrelease.yaml", 28, "warning")]


def test_env_template_variables_are_not_unset(tmp_path):
    files = {"compose.yaml": "services:\n  app:\n    image: a:1\n"
                             "    environment:\n      A: ${TOKEN}\n      B: ${OTHER}\n",
             ".env.example": "TOKEN=\n"}
    write_tree(tmp_path, files)
    result = run_review(tmp_path)
    assert [(f.rule.id, f.line) for f in result.findings if f.rule.id == "DC026"] == \
        [("DC026", 6)]


def test_csi_sidecar_images_from_sig_storage_are_known():
    from infra_expert.knowledge import image_role
    assert image_role("registry.k8s.io/sig-storage/nfsplugin:v4.8.0", "privileged").name \
        == "a CSI node plugin"
    assert image_role("nginx:1.27", "privileged") is None
