import json
import os
from pathlib import Path

import jsonschema

from infra_expert.config import Config
from infra_expert.engine import review
from infra_expert.report import render

from conftest import ROOT

FIXTURE = Path(__file__).parent / "fixtures" / "snapshot"
SNAPSHOTS = Path(__file__).parent / "snapshots"
SECRET = "abcd1234efgh5678"


def fixture_review():
    cwd = os.getcwd()
    os.chdir(FIXTURE.parent)
    try:
        return review(["snapshot"], Config(), str(FIXTURE.parent))
    finally:
        os.chdir(cwd)


def check_snapshot(name, text):
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.write_text(text)
    assert text == path.read_text(), f"{name} changed; rerun with UPDATE_SNAPSHOTS=1 if intended"


def test_markdown_review_snapshot():
    check_snapshot("review.md", render(fixture_review(), "markdown"))


def test_review_has_the_five_sections_in_order():
    text = render(fixture_review(), "markdown")
    headings = [ln for ln in text.splitlines() if ln.startswith("### ")]
    assert headings == ["### 🔴 Critical (must fix)", "### 🟡 Warnings (consider)",
                        "### 🟢 Positive points", "### 💡 Suggestions",
                        "### 📊 Estimated resources"]


def test_terminal_colour_only_when_asked():
    result = fixture_review()
    assert "\033[" in render(result, "review", colour=True)
    assert "\033[" not in render(result, "markdown", colour=True)


def test_json_contract():
    data = json.loads(render(fixture_review(), "json"))
    assert data["schema_version"] == 1
    assert data["tool"]["name"] == "infra-expert"
    assert data["files"] == [{"path": "snapshot/Dockerfile", "domain": "dockerfile"}]
    f = data["findings"][0]
    assert set(f) >= {"rule", "severity", "category", "title", "message", "path", "line",
                      "column", "fix", "peers"}
    assert data["summary"]["critical"] == sum(1 for x in data["findings"]
                                              if x["severity"] == "critical")
    assert "resources" in data and "notices" in data and "positives" in data
    check_snapshot("review.json", json.dumps(
        {k: v for k, v in data.items() if k != "tool"}, indent=2, ensure_ascii=False) + "\n")


def test_sarif_validates_against_the_official_schema():
    schema = json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())
    log = json.loads(render(fixture_review(), "sarif"))
    jsonschema.validate(log, schema)
    run = log["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for res in run["results"]:
        assert ids[res["ruleIndex"]] == res["ruleId"]
        assert res["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
    assert {r["level"] for r in run["results"]} <= {"error", "warning", "note"}


def test_secrets_never_appear_in_any_format():
    result = fixture_review()
    assert any(f.rule.id == "DF041" for f in result.findings)
    for fmt in ("review", "markdown", "json", "sarif"):
        assert SECRET not in render(result, fmt, colour=True), fmt


def test_suppressed_rule_is_gone_and_summary_counts():
    result = fixture_review()
    assert "DF017" not in {f.rule.id for f in result.findings}
    text = render(result, "markdown")
    s = result.summary()
    assert (f"1 file reviewed (dockerfile: 1) · {s['critical']} critical · "
            f"{s['warning']} warnings") in text


def test_json_files_carry_a_domain_s_own_fields(tmp_path):
    """A systemd service's exposure score is in `files[]`, one decimal, 0–10; other
    files have only path and domain."""
    import json

    from conftest import run_review, write_tree

    from infra_expert.report.json_report import render_json
    write_tree(tmp_path, {
        "app.service": "[Unit]\nDescription=app\n[Service]\nExecStart=/usr/bin/app\n"
                       "DynamicUser=yes\nProtectSystem=strict\n[Install]\n"
                       "WantedBy=multi-user.target\n",
        "Dockerfile": "FROM alpine:3.20\nUSER 1000\n"})
    files = {f["path"]: f for f in json.loads(render_json(run_review(tmp_path)))["files"]}
    exposure = files["app.service"]["exposure"]
    assert isinstance(exposure, float) and 0 <= exposure <= 10 and round(exposure, 1) == exposure
    assert set(files["Dockerfile"]) == {"path", "domain"}


def test_a_table_cell_read_from_a_file_cannot_drive_the_terminal(tmp_path):
    """A scrape interval is printed in the 📊 table as the file wrote it: its control
    characters (a title-setting OSC, a screen clear) are shown escaped."""
    from conftest import write_tree

    from infra_expert.config import Config
    from infra_expert.engine import review
    from infra_expert.report import render
    write_tree(tmp_path, {"prometheus.yml": (
        'scrape_configs:\n  - job_name: node\n'
        '    scrape_interval: "30s\\u001b]0;pwned\\u0007\\u001b[2J"\n'
        '    static_configs:\n      - targets: ["localhost:9100"]\n')})
    text = render(review([str(tmp_path)], Config()), "markdown")
    row = next(line for line in text.splitlines() if "`node`" in line)
    assert "30s\\x1b]0;pwned\\x07\\x1b[2J" in row
    assert "\x1b" not in text and "\x07" not in text
