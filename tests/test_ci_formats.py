"""Issue 12, CI formats: GitLab Code Quality, JUnit XML, and --baseline (only what is new,
matched by fingerprint)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

from conftest import write_tree

DOCKERFILE = ("FROM python:3.12-slim\n"
              "RUN pip install flask\n"
              "CMD [\"flask\", \"run\"]\n")
COMPOSE = ("services:\n  web:\n    image: nginx:latest\n  cache:\n    image: redis:latest\n")


def run(cwd, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.run([sys.executable, "-m", "infra_expert", "review", "--no-config",
                           *args], cwd=cwd, capture_output=True, text=True, env=env)


def test_gitlab_code_quality_report(tmp_path):
    write_tree(tmp_path, {".git/HEAD": "ref: refs/heads/main\n",
                          "app/Dockerfile": DOCKERFILE})
    done = run(tmp_path / "app", "-f", "gitlab", "Dockerfile")
    issues = json.loads(done.stdout)
    df004 = next(i for i in issues if i["check_name"] == "DF004")
    assert df004["severity"] == "major"
    assert df004["location"] == {"path": "app/Dockerfile", "lines": {"begin": 1}}
    assert df004["categories"] == ["Security"]
    assert df004["description"].startswith("DF004 no USER in the final stage")
    assert all(len(i["fingerprint"]) == 32 for i in issues)
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    assert {i["severity"] for i in issues} <= {"critical", "major", "minor"}
    # the same from the repository's top: same paths, same fingerprints
    top = json.loads(run(tmp_path, "-f", "gitlab", "app/Dockerfile").stdout)
    assert [(i["location"], i["fingerprint"]) for i in top] == \
        [(i["location"], i["fingerprint"]) for i in issues]


def test_junit_report_is_xml_with_a_case_per_finding_and_per_clean_file(tmp_path):
    write_tree(tmp_path, {"Dockerfile": DOCKERFILE,
                          "clean/Dockerfile": "FROM scratch\nCOPY app /app\nUSER 10001\n"
                                              "HEALTHCHECK NONE\nENTRYPOINT [\"/app\"]\n",
                          "odd<&>\x01name/Dockerfile": "FROM ubuntu\n"})
    done = run(tmp_path, "-f", "junit", ".")
    root = ET.fromstring(done.stdout)
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root}
    assert "Dockerfile" in suites and "clean/Dockerfile" in suites
    clean = suites["clean/Dockerfile"]
    assert clean.get("failures") == "0"
    assert [c.get("name") for c in clean] == ["no findings"]
    cases = list(suites["Dockerfile"])
    assert int(suites["Dockerfile"].get("failures")) == len(cases) > 0
    df004 = next(c for c in cases if c.get("name").startswith("DF004 "))
    assert df004.find("failure").get("type") == "warning"
    assert "Fix:" in df004.find("failure").text
    odd = next(name for name in suites if name.startswith("odd"))
    assert odd == "odd<&>\\x01name/Dockerfile"           # escaped, still well-formed
    assert int(root.get("failures")) == sum(int(s.get("failures")) for s in root)


def test_baseline_reports_only_what_is_new(tmp_path):
    write_tree(tmp_path, {"Dockerfile": DOCKERFILE, "compose.yaml": COMPOSE})
    saved = run(tmp_path, "-f", "json", "-o", "baseline.json", "--fail-on", "never", ".")
    assert saved.returncode == 0, saved.stderr
    # lines move (a comment above), nothing else changes: nothing new
    write_tree(tmp_path, {"Dockerfile": "# the app\n\n" + DOCKERFILE,
                          "compose.yaml": "# stack\n" + COMPOSE})
    same = run(tmp_path, "-f", "compact", "--baseline", "baseline.json", "--fail-on",
               "suggestion", ".")
    assert same.stdout.startswith("No findings in 2 files."), same.stdout
    assert same.returncode == 0
    assert "already in the baseline left out" in same.stderr
    # a third `latest` image is one new finding, the two known ones stay old
    write_tree(tmp_path, {"compose.yaml": "# stack\n" + COMPOSE +
                          "  queue:\n    image: rabbitmq:latest\n"})
    new = run(tmp_path, "-f", "compact", "--baseline", "baseline.json", ".")
    lines = new.stdout.splitlines()[:-1]
    assert any("DC004" in line and "queue" in line for line in lines)
    # what changed its message is new too: "3 services share the default network"
    assert [line for line in lines if "queue" not in line] == [
        next(line for line in lines if " DC051 " in line)], new.stdout
    # JSON Lines works as a baseline too
    run(tmp_path, "-f", "jsonl", "-o", "baseline.jsonl", "--fail-on", "never", ".")
    again = run(tmp_path, "-f", "compact", "--baseline", "baseline.jsonl", ".")
    assert again.stdout.startswith("No findings")


def test_a_baseline_that_is_not_a_review_is_an_error(tmp_path):
    write_tree(tmp_path, {"Dockerfile": DOCKERFILE, "nope.json": "[1, 2]\n",
                          "text.json": "hello\n"})
    for name, says in (("nope.json", "not a review"), ("text.json", "line 1 is not JSON"),
                       ("missing.json", "No such file")):
        done = run(tmp_path, "--baseline", name, "Dockerfile")
        assert done.returncode == 2 and says in done.stderr, done.stderr
