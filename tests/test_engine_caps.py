"""Bounded output: one rule says the same thing at most 50 times per file, then counts."""

from infra_expert.engine import MAX_FINDINGS_PER_RULE_AND_FILE

from conftest import run_review, write_tree


def test_findings_per_rule_and_file_are_capped_with_a_count(tmp_path):
    lines = "".join(f"RUN cd /src{i} && make\n" for i in range(120))
    write_tree(tmp_path, {"Dockerfile": "FROM alpine:3.20\n" + lines,
                          "other/Dockerfile": "FROM alpine:3.20\nRUN cd /x && make\n"})
    result = run_review(tmp_path)
    rule = next(f.rule.id for f in result.findings if f.line == 2 and "cd" in f.message)
    here = [f for f in result.findings if f.rule.id == rule and f.path == "Dockerfile"]
    assert len(here) == MAX_FINDINGS_PER_RULE_AND_FILE
    assert [f.line for f in here] == list(range(2, 2 + MAX_FINDINGS_PER_RULE_AND_FILE))
    assert here[-1].message.endswith(
        "and 70 more like this in this file, not listed (at most 50 per rule and file)")
    assert "more like this" not in here[-2].message
    other = [f for f in result.findings if f.rule.id == rule and f.path != "Dockerfile"]
    assert [f.line for f in other] == [2] and "more like this" not in other[0].message
