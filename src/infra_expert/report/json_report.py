"""`--format json`: the stable contract described in DESIGN.md (schema_version 1)."""

from __future__ import annotations

import json

from infra_expert import __version__
from infra_expert.report import utf8_tree


def as_json_object(review):
    """The contract; strings are valid UTF-8 (a path that is not gains `path_bytes`)."""
    return utf8_tree({
        "schema_version": 1,
        "tool": {"name": "infra-expert", "version": __version__},
        "files": [{"path": p, "domain": d, **review.file_fields.get((p, d), {})}
                  for p, d in review.files],
        "findings": [f.as_dict() for f in review.findings],
        "positives": [p.as_dict() for p in review.positives],
        "notices": [n.as_dict() for n in review.notices],
        "resources": review.resources,
        "summary": review.summary(),
    })


def render_json(review):
    return json.dumps(as_json_object(review), indent=2, ensure_ascii=False) + "\n"


def render_jsonl(review):
    """`--format jsonl`: one JSON object a line, each with its `type`: every finding, then
    every notice, then one `summary` line (schema version, tool, counts, files reviewed,
    and the resources). A pipeline reads it line by line; a run too large for one JSON
    document stays readable."""
    lines = [json.dumps(utf8_tree({"type": "finding", **f.as_dict()}), ensure_ascii=False)
             for f in review.findings]
    lines.extend(json.dumps(utf8_tree({"type": "notice", **n.as_dict()}), ensure_ascii=False)
                 for n in review.notices)
    lines.append(json.dumps(utf8_tree({
        "type": "summary", "schema_version": 1,
        "tool": {"name": "infra-expert", "version": __version__},
        "files": len(review.files), "positives": len(review.positives),
        "counts": review.summary(), "resources": review.resources}), ensure_ascii=False))
    return "\n".join(lines) + "\n"
