import re
import subprocess
import sys

from infra_expert.engine import all_rules
from infra_expert.model import CATEGORIES, RULE_ID, SEVERITIES

from conftest import ROOT, needs_shared

PEER = re.compile(r"^(hadolint:DL\d{4}|kics:[0-9a-f-]{36}|docker:[A-Za-z]+|"
                  r"[a-z-]+:[A-Za-z0-9_./-]+)$")


def test_rule_metadata_is_complete_and_ids_unique():
    rules = all_rules()
    ids = [r.id for r in rules]
    assert len(ids) == len(set(ids))
    assert len([r for r in rules if r.domain == "dockerfile"]) >= 70
    for r in rules:
        assert RULE_ID.match(r.id), r.id
        assert r.severity in SEVERITIES and r.category in CATEGORIES, r.id
        assert r.title and len(r.title) < 90, r.id
        assert len(r.rationale) > 40 and len(r.fix) > 15, r.id
        assert all(PEER.match(p) for p in r.peers), (r.id, r.peers)
        if r.domain == "dockerfile":
            assert r.id.startswith("DF")


@needs_shared
def test_every_hadolint_rule_is_covered_or_explained():
    from infra_expert.dockerfile import NOT_COVERED
    reference = (ROOT.parent / "shared" / "reference" / "dockerfile-hadolint-rules.md").read_text()
    codes = set(re.findall(r"^\| (DL\d{4}) \|", reference, re.M))
    assert len(codes) == 71
    covered = {p.split(":")[1] for r in all_rules() for p in r.peers if p.startswith("hadolint:")}
    explained = set()
    for key in NOT_COVERED:
        m = re.match(r"DL(\d{4})-DL(\d{4})", key)
        if m:
            explained |= {f"DL{n}" for n in range(int(m.group(1)), int(m.group(2)) + 1)}
        else:
            explained.add(key)
    assert codes - covered - explained == set()


def test_docs_rules_md_is_in_sync():
    out = subprocess.run([sys.executable, "-m", "infra_expert", "rules", "--format", "markdown"],
                         capture_output=True, text=True, check=True).stdout
    assert (ROOT / "docs" / "rules.md").read_text() == out, \
        "regenerate: infra-expert rules --format markdown > docs/rules.md"
