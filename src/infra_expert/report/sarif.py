"""`--format sarif`: SARIF 2.1.0 for code-scanning dashboards."""

from __future__ import annotations

import json

from infra_expert import __version__

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
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


def render_sarif(review):
    from infra_expert.engine import all_rules
    rules = all_rules()
    index = {r.id: i for i, r in enumerate(rules)}
    results = []
    for f in review.findings:
        region = {"startLine": f.line or 1}
        if f.column:
            region["startColumn"] = f.column
        results.append({
            "ruleId": f.rule.id,
            "ruleIndex": index[f.rule.id],
            "level": LEVELS[f.severity],
            "message": {"text": f"{f.rule.title.replace('`', '')}: {f.message}"},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": _uri(f.path), "uriBaseId": "%SRCROOT%"},
                "region": region}}],
            "properties": {"severity": f.severity, "category": f.rule.category},
        })
    notifications = [{"level": "note", "message": {"text": f"{n.path}: {n.message}"}}
                     for n in review.notices]
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "infra-expert",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_rule_descriptor(r) for r in rules],
            }},
            "invocations": [{"executionSuccessful": True,
                             "toolExecutionNotifications": notifications}],
            "artifacts": [{"location": {"uri": _uri(p), "uriBaseId": "%SRCROOT%"},
                           "properties": {"domain": d}} for p, d in review.files],
            "results": results,
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
