"""Every domain is held to the same standard through its descriptor: complete rule
metadata, a case that fires and one that must not for every rule (the domain's CASES
table), and an example of the fix that is reviewed and clean when written as one of the
domain's files."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from conftest import run_review, write_tree

from infra_expert.config import Config
from infra_expert.engine import all_rules, core
from infra_expert.model import RULE_ID
from infra_expert.registry import PACKAGES, domains

TESTS = Path(__file__).resolve().parent

def _cases(domain):
    """The CASES table of the domain's test module: (rule id, files, expected places)."""
    for name in (f"test_{domain.name}_rules", f"test_{domain.name}"):
        if (TESTS / f"{name}.py").exists():
            cases = list(importlib.import_module(name).CASES)
            # a domain's rules split over several modules: `test_<domain>_<part>.py`
            for more in sorted(TESTS.glob(f"test_{domain.name}_*.py")):
                if more.stem != name:
                    cases += getattr(importlib.import_module(more.stem), "CASES", [])
            return cases
    return []


def test_every_package_has_one_descriptor_with_its_own_prefix():
    found = domains()
    assert [d.name for d in found] == list(PACKAGES)
    prefixes = [d.prefix for d in found]
    assert len(set(prefixes)) == len(prefixes)
    for d in found:
        assert re.fullmatch(r"[A-Z][A-Z0-9]", d.prefix), d
        assert d.title and d.noun and len(d.noun) == 2, d
        assert d.rules, f"{d.name}: a domain without rules"
        for r in d.rules:
            assert r.id.startswith(d.prefix) and r.domain == d.name, r.id
            assert RULE_ID.match(r.id), r.id


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.id)
def test_rule_metadata_is_complete(rule):
    assert rule.title.strip() and rule.rationale.strip() and rule.fix.strip()
    assert rule.example and rule.example.strip(), f"{rule.id}: no example"


@pytest.mark.parametrize("domain", domains(), ids=lambda d: d.name)
def test_every_rule_has_a_case_that_fires_and_one_that_must_not(domain):
    cases = _cases(domain)
    fired = {c[0] for c in cases if c[2]}
    clean = {c[0] for c in cases if not c[2]}
    ids = {r.id for r in domain.rules}
    assert not ids - fired, f"{domain.name}: no firing case for {sorted(ids - fired)}"
    assert not ids - clean, f"{domain.name}: no clean case for {sorted(ids - clean)}"


def _everything_on():
    config = Config()
    config.enable = {r.id for r in all_rules() if not r.enabled}
    return config


EXAMPLES = [(d, r) for d in domains() for r in d.rules]


@pytest.mark.parametrize("domain,rule", EXAMPLES, ids=[r.id for _, r in EXAMPLES])
def test_the_example_of_a_rule_is_reviewed_and_clean(tmp_path, domain, rule):
    """A rule's example shows the fix: written as one of the domain's files (the one its
    content is for: a `[Kube]` unit as `app.kube`), it is recognised and reviewed, and
    the rule finds nothing in it."""
    assert domain.example_names, f"{domain.name}: no example_names"
    seen = {}
    for i, name in enumerate(domain.example_names):
        base = tmp_path / str(i)
        write_tree(base, {name: rule.example.rstrip("\n") + "\n"})
        result = run_review(base, config=_everything_on())
        assert not [n for n in result.notices if "internal error" in n.message]
        if result.files:
            seen[name] = [f.line for f in result.findings if f.rule.id == rule.id]
            if not seen[name]:
                return
    assert seen, f"{rule.id}: its example is reviewed under none of {domain.example_names}"
    pytest.fail(f"{rule.id}: its example fires wherever it is reviewed: {seen}")


def test_core_rules_are_the_engine_s():
    assert {r.id for r in core.rules} == {"IE001", "IE002"}


def test_a_one_file_review_imports_only_its_domain_s_rules(tmp_path):
    """Start-up: the rule modules of a domain are imported when the run has its files."""
    import subprocess
    import sys
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nUSER 1000\n")
    code = ("import sys\nfrom infra_expert.cli import main\n"
            "try:\n    main(['review', sys.argv[1], '--format', 'json', '--fail-on', 'never'])\n"
            "except SystemExit:\n    pass\n"
            "print('LOADED', sorted(m for m in sys.modules if '.rules' in m or '.timers' in m))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "Dockerfile")],
                         capture_output=True, text=True, check=True).stdout
    loaded = out.rsplit("LOADED", 1)[1]
    assert "infra_expert.dockerfile.rules_structure" in loaded
    for other in ("compose", "kubernetes", "podman", "systemd", "kestra", "cron", "monitoring",
                  "storage", "burst"):
        assert f"infra_expert.{other}." not in loaded, loaded


def test_a_pragma_naming_another_domain_s_rule_is_known(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "# infra-expert: ignore=K8001 copied from a manifest\n"
                                        "FROM alpine:3.20\nUSER 1000\n"})
    result = run_review(tmp_path)
    assert not [f for f in result.findings if f.rule.id == "IE002"]
    assert [f.line for f in result.findings if f.rule.id == "IE001"] == [1]
