"""Reporters turn a finished Review into text; they never see rules or parsers.

Paths, names and quoted file content come from an untrusted repository. Text meant for a
terminal or a Markdown viewer shows control characters escaped (`visible`); JSON and SARIF
carry only valid UTF-8 (`utf8`), with the raw bytes of an undecodable path kept apart
(`path_bytes`).
"""

from __future__ import annotations

import os
import re

FORMATS = ("review", "markdown", "json", "jsonl", "sarif", "compact", "github", "gitlab",
           "junit", "html")
LINE_FORMATS = ("jsonl", "compact", "github")     # written a line at a time (`lines`)

# C0 but the tab, DEL, C1, the bidi embeddings/overrides/isolates (they reorder what the
# reader sees), and surrogates (bytes of a file name that were not UTF-8).
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def _escape(match):
    char = match.group()
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if 0xDC80 <= code <= 0xDCFF:          # os.fsdecode's stand-in for one raw byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text):
    """`text` with every character that could drive a terminal or reorder a line shown
    as an escape (`\\x1b`, `\\u202e`, `\\n`)."""
    text = str(text)
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text


def backtick_parts(text):
    """`text` split at its backticks: even items plain text, odd items the code spans
    between a pair; a last, unpaired backtick opens nothing and stays literal. How every
    view reads the backtick quotes of a message."""
    parts = text.split("`")
    if len(parts) % 2 == 0:
        parts[-2:] = [parts[-2] + "`" + parts[-1]]
    return parts


def utf8(text):
    """`text` encodable as UTF-8: surrogates become U+FFFD."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def path_bytes(path):
    """Hex of the bytes the file system holds for `path` when they are not UTF-8, else
    None (the path itself says it all)."""
    if not isinstance(path, str) or not _SURROGATE.search(path):
        return None
    try:
        return os.fsencode(path).hex()
    except UnicodeEncodeError:             # a surrogate that no byte stands for
        return path.encode("utf-8", "surrogatepass").hex()


def utf8_tree(value):
    """A JSON-ready copy of `value` whose strings are all valid UTF-8; a mapping whose
    `path` was not gains `path_bytes`."""
    if isinstance(value, str):
        return utf8(value)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out[utf8_tree(key)] = utf8_tree(item)
            raw = path_bytes(item) if key == "path" else None
            if raw is not None:
                out["path_bytes"] = raw
        return out
    if isinstance(value, (list, tuple)):
        return [utf8_tree(v) for v in value]
    return value


def write_report(review, fmt, write, colour=False, full=False, rules_url=None):
    """Write the report through `write` (a file's `write`): JSON, SARIF and the line
    formats (JSON Lines, compact, github) piece by piece, the other formats whole."""
    if fmt == "json":
        from infra_expert.report.json_report import write_json
        return write_json(review, write)
    if fmt in ("jsonl", "compact", "github"):
        from infra_expert.report.lines import write_lines
        return write_lines(review, fmt, write)
    if fmt == "sarif":
        from infra_expert.report.sarif import write_sarif
        return write_sarif(review, write, rules_url=rules_url)   # results left out
    text = render(review, fmt, colour=colour, full=full)
    write(text if text.endswith("\n") else text + "\n")


def render(review, fmt, colour=False, full=False):
    if fmt == "gitlab":
        from infra_expert.report.ci import render_gitlab
        return render_gitlab(review)
    if fmt == "junit":
        from infra_expert.report.ci import render_junit
        return render_junit(review)
    if fmt == "json":
        from infra_expert.report.json_report import render_json
        return render_json(review)
    if fmt in ("jsonl", "compact", "github"):
        from infra_expert.report.lines import write_lines
        out = []
        write_lines(review, fmt, out.append)
        return "".join(out)
    if fmt == "sarif":
        from infra_expert.report.sarif import render_sarif
        return render_sarif(review)
    if fmt == "html":
        from infra_expert.report.html import render_html
        return render_html(review, full=full)
    from infra_expert.report.markdown import render_review
    return render_review(review, colour=colour and fmt == "review",
                         markdown=fmt == "markdown", full=full)
