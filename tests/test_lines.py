"""The CI line formats: compact (`path:line:col: ID [severity] message`) and github
(workflow commands), written a line at a time."""

from __future__ import annotations

import subprocess
import sys

from conftest import write_tree

from infra_expert.config import Config
from infra_expert.engine import review
from infra_expert.report import render

DOCKERFILE = ("FROM python:3.12-slim\n"
              "ENV API_TOKEN=s3cr3t-value-abcdef123456\n"
              "RUN pip install flask\n"
              "CMD [\"flask\", \"run\"]\n")


def _run(tmp_path, *args):
    return subprocess.run([sys.executable, "-m", "infra_expert", "review", "--no-config",
                           *args], cwd=tmp_path, capture_output=True, text=True)


def test_compact_is_one_finding_a_line_with_its_position(tmp_path):
    write_tree(tmp_path, {"Dockerfile": DOCKERFILE})
    done = _run(tmp_path, "-f", "compact", "Dockerfile")
    lines = done.stdout.splitlines()
    result = review([str(tmp_path / "Dockerfile")], Config())
    assert len(lines) == len(result.findings) + 1
    by_rule = {line.split(": ", 2)[1].split(" ")[0]: line for line in lines[:-1]}
    assert by_rule["DF041"].startswith("Dockerfile:2:1: DF041 [critical] ")
    assert "s3cr3t" not in done.stdout            # masked as in every format
    assert by_rule["DF069"].startswith("Dockerfile:3:1: DF069 [warning] ")   # pip cache
    assert by_rule["DF004"].startswith("Dockerfile:1:1: DF004 [warning] ")
    assert lines[-1].startswith(f"Found {len(result.findings)} findings (")
    assert done.returncode == 1                   # a critical finding, --fail-on critical


def test_compact_without_findings_says_so(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM scratch\nCOPY app /app\nUSER 10001\n"
                                        "ENTRYPOINT [\"/app\"]\n"})
    done = _run(tmp_path, "-f", "compact", "--ignore", "DF017", "Dockerfile")
    assert done.stdout == "No findings in 1 file.\n", done.stdout


def test_github_annotations_levels_and_positions(tmp_path):
    write_tree(tmp_path, {"Dockerfile": DOCKERFILE})
    out = _run(tmp_path, "-f", "github", "Dockerfile").stdout.splitlines()
    df041 = next(line for line in out if "title=DF041" in line)
    assert df041.startswith("::error file=Dockerfile,line=2,col=1,title=DF041 ")
    df017 = next(line for line in out if "title=DF017" in line)
    assert df017.startswith("::notice file=Dockerfile,line=1,col=1,title=DF017 ")
    levels = {line.split(" ", 1)[0] for line in out if line.startswith("::")}
    assert levels <= {"::error", "::warning", "::notice"}
    assert out[-1].startswith("Found ")


def test_github_commands_cannot_be_injected_by_the_reviewed_files(tmp_path):
    """A file name and a value from the repository reach the message and the `file=`
    property: a line break cannot start a command of its own, `,` and `:` cannot end a
    property, `%` is escaped as the runner unescapes it."""
    name = "odd,name:x%0A"
    write_tree(tmp_path, {f"{name}/Dockerfile": "FROM ubuntu\nRUN apt-get install -y curl\n"})
    result = review([str(tmp_path)], Config())
    # a hostile message, as a rule could quote it
    result.findings[0].message = "bad\n::set-output name=x::y\r\n%0A::stop-commands::z"
    text = render(result, "github")
    for line in text.splitlines():
        assert line.startswith(("::error ", "::warning ", "::notice ", "Found ", "No "))
    hostile = next(line for line in text.splitlines() if "::bad" in line)
    assert "file=" + str(tmp_path).replace(":", "%3A").replace(",", "%2C") in hostile
    assert "odd%2Cname%3Ax%250A/Dockerfile" in hostile
    assert "::bad%0A::set-output name=x::y\\r%0A%250A::stop-commands::z" in hostile


def test_github_notices_are_annotations_not_stderr(tmp_path):
    write_tree(tmp_path, {"web/Dockerfile": b"FROM x\x00\x01\n",
                          "Dockerfile": "FROM scratch\n"})
    done = _run(tmp_path, "-f", "github", ".")
    assert "::warning file=web/Dockerfile,title=infra-expert::skipped: binary file\n" \
        in done.stdout
    assert "web/Dockerfile" not in done.stderr
    compact = _run(tmp_path, "-f", "compact", ".")
    assert "web/Dockerfile: skipped: binary file" in compact.stderr   # stdout: findings
    assert "web/Dockerfile" not in compact.stdout
