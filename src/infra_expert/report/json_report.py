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
