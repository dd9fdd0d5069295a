"""Output cannot be forged by the reviewed files: control characters and bidi overrides are
escaped in the terminal and Markdown review, file content stays inside its code spans, and
JSON and SARIF are valid UTF-8 whatever the file names (undecodable bytes are kept apart)."""

import json
import os
import re

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT, run_review, write_tree
from infra_expert.engine import all_rules
from infra_expert.model import Finding, Notice, Review
from infra_expert.report import render, visible

# Raw characters that must never reach a terminal or a Markdown viewer.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
SGR = re.compile("\x1b\\[[0-9;]*m")      # the review's own colours

BAD_BYTES_NAME = b"bad\xff\xfe.Dockerfile"
CONTROL_NAME = b"a\nb\x1b]0;pwned\x07\x1b[2J.Dockerfile"
HOSTILE_CMD = ("CMD echo \x1b]0;pwned\x07\x1b[2J \u202eevil\u202c `x` "
               "[a](https://tracker.example/p.png) <img src=x> &#8238; y_z\n")


def _tree(tmp_path):
    """Three Dockerfiles: one named with bytes that are not UTF-8, one whose name holds a
    newline and escape sequences, one whose CMD (quoted by DF019) does."""
    write_tree(tmp_path, {"Dockerfile": "FROM alpine:3.20\nUSER 1000\n" + HOSTILE_CMD})
    base = os.fsencode(tmp_path)
    for name in (BAD_BYTES_NAME, CONTROL_NAME):
        with open(os.path.join(base, name), "wb") as fh:
            fh.write(b"FROM debian\n")
    return run_review(tmp_path)


def _outside_code(line):
    """The text of a Markdown line outside its code spans, with backslash-escaped
    characters removed (CommonMark: a backtick string closes only at the next backtick
    string of the same length; none closes it: literal backticks)."""
    out, i = [], 0
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line):
            i += 2
            continue
        if line[i] == "`":
            j = i
            while j < len(line) and line[j] == "`":
                j += 1
            close = re.compile(f"(?<!`){'`' * (j - i)}(?!`)").search(line, j)
            if close:
                i = close.end()
                continue
            out.append(line[i:j])
            i = j
            continue
        out.append(line[i])
        i += 1
    return "".join(out)


def _no_markup_from_content(text):
    for line in text.splitlines():
        outside = _outside_code(line)
        for forbidden in ("](", "<img", "<", "&#", "[a"):
            assert forbidden not in outside, (forbidden, line)


def test_odd_file_names_are_reviewed(tmp_path):
    result = _tree(tmp_path)
    paths = {p for p, _ in result.files}
    assert {os.fsdecode(BAD_BYTES_NAME), os.fsdecode(CONTROL_NAME), "Dockerfile"} <= paths
    located = {(f.rule.id, f.path, f.line) for f in result.findings}
    assert ("DF001", os.fsdecode(BAD_BYTES_NAME), 1) in located
    assert ("DF001", os.fsdecode(CONTROL_NAME), 1) in located
    assert ("DF019", "Dockerfile", 3) in located
    assert not result.notices, [n.message for n in result.notices]


def test_terminal_and_markdown_show_control_characters_escaped(tmp_path):
    result = _tree(tmp_path)
    result.notices.append(Notice("x\x1b[2J\u2067.yaml", "skipped: \x07\x9b bell"))
    for fmt, colour in (("review", True), ("review", False), ("markdown", False)):
        text = render(result, fmt, colour=colour)
        text.encode("utf-8")                                  # no surrogate left
        assert not FORBIDDEN.search(SGR.sub("", text) if colour else text), fmt
        for shown in ("\\x1b]0;pwned\\x07", "\\u202e", "bad\\xff\\xfe.Dockerfile",
                      "a\\nb\\x1b", "\\x9b"):
            assert shown in text.replace("\\\\", "\\"), (fmt, shown)


def test_markdown_keeps_file_content_out_of_its_markup(tmp_path):
    text = render(_tree(tmp_path), "markdown")
    seen = [ln for ln in text.splitlines() if "DF019" in ln or "pwned" in ln]
    assert seen
    _no_markup_from_content(text)


@settings(max_examples=300, deadline=None)
@given(message=st.text(alphabet="`[]()<>&#*_\\|! ax\n\x1b\u202e", max_size=40),
       path=st.text(alphabet="`|[]<> ax\n", min_size=1, max_size=12))
def test_no_message_or_path_breaks_out_of_markdown(message, path):
    rule = next(r for r in all_rules() if r.id == "DF019")
    review = Review()
    review.files = [(path, "dockerfile")]
    review.findings = [Finding(rule, "warning", path, 1, None, "[a](u) " + message),
                       Finding(rule, "warning", path, 2, None, message)]
    review.notices = [Notice(path, message)]
    text = render(review, "markdown")
    assert not FORBIDDEN.search(text)
    _no_markup_from_content(text)
    # the structure holds: every finding and notice is still one line
    assert sum(ln.startswith("  - ") for ln in text.splitlines()) == 3   # 2 places + fix
    assert sum(ln.startswith("- ") for ln in text.splitlines()) == 2     # finding + notice


def test_json_is_valid_utf8_and_keeps_undecodable_names_apart(tmp_path):
    result = _tree(tmp_path)
    text = render(result, "json")
    data = json.loads(text.encode("utf-8"))
    bad = "bad\ufffd\ufffd.Dockerfile"
    files = {f["path"]: f for f in data["files"]}
    assert files[bad]["path_bytes"] == BAD_BYTES_NAME.hex()
    assert "path_bytes" not in files[os.fsdecode(CONTROL_NAME)]   # valid UTF-8: as is
    assert "path_bytes" not in files["Dockerfile"]
    finding = next(f for f in data["findings"] if f["path"] == bad)
    assert finding["path_bytes"] == BAD_BYTES_NAME.hex()
    assert bytes.fromhex(finding["path_bytes"]) == BAD_BYTES_NAME


def test_sarif_is_valid_utf8_and_validates(tmp_path):
    result = _tree(tmp_path)
    text = render(result, "sarif")
    log = json.loads(text.encode("utf-8"))
    schema = json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(log, schema)
    run = log["runs"][0]
    by_uri = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r
              for r in run["results"]}
    bad = by_uri["bad%FF%FE.Dockerfile"]
    assert bad["properties"]["path_bytes"] == BAD_BYTES_NAME.hex()
    assert bad["properties"]["path"] == "bad\ufffd\ufffd.Dockerfile"
    assert "a%0Ab%1B%5D0%3Bpwned%07%1B%5B2J.Dockerfile" in by_uri
    for uri in by_uri:                      # URI references: nothing left to escape
        assert re.fullmatch(r"[A-Za-z0-9\-._~/%!$&'()*+,;=:@]+", uri), uri
    artifacts = {a["location"]["uri"]: a for a in run["artifacts"]}
    assert artifacts["bad%FF%FE.Dockerfile"]["properties"]["path_bytes"] == \
        BAD_BYTES_NAME.hex()


def test_visible_escapes_each_kind_once():
    assert visible("a\x1b[2Jb\x07\x7f\x85\u202e\u2066\tc\nd\r") == \
        "a\\x1b[2Jb\\x07\\x7f\\x85\\u202e\\u2066\tc\\nd\\r"
    assert visible(os.fsdecode(b"x\xff")) == "x\\xff"
    assert visible("plain `text` é ✓") == "plain `text` é ✓"
