"""`--format sarif`: SARIF 2.1.0 for code-scanning dashboards."""

from __future__ import annotations

import json
import os
from urllib.parse import quote

from infra_expert import __version__
from infra_expert.report import path_bytes, utf8, utf8_tree

LEVELS = {"critical": "error", "warning": "warning", "suggestion": "note"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _rule_descriptor(rule):
    peers = ", ".join(rule.peers) if rule.peers else "none"
    markdown = (f"**{rule.title}**\n\n{rule.rationale}\n\n**Fix:** {rule.fix}\n\n"
                f"Peers: {peers}")
    return {
        "id": rule.id,
        "name": "".join(w.capitalize() for w in rule.title.replace("`", "").split()
                        if w.isalnum())[:60] or rule.id,
        "shortDescription": {"text": rule.title.replace("`", "")},
        "fullDescription": {"text": rule.rationale},
        "help": {"text": f"{rule.rationale}\n\nFix: {rule.fix}", "markdown": markdown},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": [rule.category, rule.domain], "peers": list(rule.peers),
                       "severity": rule.severity},
    }


def _uri(path):
    """A relative URI reference: the path's bytes percent-encoded where a URI needs it
    (`#`, `?`, `%`, spaces, control characters, bytes that are not UTF-8)."""
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    try:
        raw = os.fsencode(path)
    except UnicodeEncodeError:
        raw = utf8(path).encode("utf-8")
    return quote(raw, safe="/")


def _location(path):
    """artifactLocation, plus the properties that keep an undecodable path's bytes."""
    location = {"uri": _uri(path), "uriBaseId": "%SRCROOT%"}
    raw = path_bytes(path)
    return location, ({"path": utf8(path), "path_bytes": raw} if raw else {})


_DESCRIPTORS = {}


def _descriptors(rules):
    """Rule descriptors are the same in every report of a process: built once."""
    key = tuple(r.id for r in rules)
    if key not in _DESCRIPTORS:
        _DESCRIPTORS[key] = [_rule_descriptor(r) for r in rules]
    return _DESCRIPTORS[key]


def render_sarif(review):
    out = []
    write_sarif(review, out.append)
    return "".join(out)


_RESULTS = "\x00infra-expert-results\x00"     # where the results go in the skeleton


def write_sarif(review, write):
    """The SARIF log written piece by piece: the skeleton, then one result at a time (the
    same bytes as one `json.dumps(…, indent=2)` of the whole log)."""
    from infra_expert.engine import all_rules
    rules = all_rules()
    index = {r.id: i for i, r in enumerate(rules)}
    for f in review.findings:     # a foreign code's rule (ShellCheck's SC2086) is made on use
        if f.rule.id not in index:
            index[f.rule.id] = len(rules)
            rules = [*rules, f.rule]

    def results():
        for f in review.findings:
            region = {"startLine": f.line or 1}
            if f.column:
                region["startColumn"] = f.column
            location, raw = _location(f.path)
            yield {
                "ruleId": f.rule.id,
                "ruleIndex": index[f.rule.id],
                "level": LEVELS[f.severity],
                "message": {"text": f"{f.rule.title.replace('`', '')}: {f.message}"},
                "locations": [{"physicalLocation": {"artifactLocation": location,
                                                    "region": region}}],
                "properties": {"severity": f.severity, "category": f.rule.category,
                               "group": f.group, **raw},
            }

    notifications = []
    for n in review.notices:
        raw = path_bytes(n.path)
        notifications.append({"level": "note", "message": {"text": f"{n.path}: {n.message}"},
                              **({"properties": {"path_bytes": raw}} if raw else {})})
    artifacts = []
    for p, d in review.files:
        location, raw = _location(p)
        artifacts.append({"location": location, "properties": {"domain": d, **raw}})
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "infra-expert",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": _descriptors(rules),
            }},
            "invocations": [{"executionSuccessful": True,
                             "toolExecutionNotifications": notifications}],
            "artifacts": artifacts,
            "results": _RESULTS,
        }],
    }
    skeleton = json.dumps(utf8_tree(log), indent=2, ensure_ascii=False) + "\n"
    mark = json.dumps(_RESULTS)
    at = skeleton.index(mark)
    indent = " " * (at - skeleton.rindex("\n", 0, at) - 1 - len('"results": '))
    write(skeleton[:at])
    empty = True
    for item in results():
        text = json.dumps(utf8_tree(item), indent=2, ensure_ascii=False)
        write(("[\n" if empty else ",\n") + indent + "  "
              + text.replace("\n", "\n" + indent + "  "))
        empty = False
    write("[]" if empty else "\n" + indent + "]")
    write(skeleton[at + len(mark):])
