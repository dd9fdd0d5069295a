"""`--format json`: the stable contract described in DESIGN.md (schema_version 1)."""

from __future__ import annotations

import json

from infra_expert import __version__
from infra_expert.report import utf8_tree


def as_json_object(review):
    """The contract; strings are valid UTF-8 (a path that is not gains `path_bytes`)."""
    out = {
        "schema_version": 1,
        "tool": {"name": "infra-expert", "version": __version__},
        "files": [{"path": p, "domain": d, **review.file_fields.get((p, d), {})}
                  for p, d in review.files],
        "findings": [f.as_dict() for f in review.findings],
        "positives": [p.as_dict() for p in review.positives],
        "notices": [n.as_dict() for n in review.notices],
        "resources": review.resources,
        "projects": review.projects,
        "summary": review.summary(),
    }
    if review.live is not None:
        out["live"] = review.live
    return utf8_tree(out)


def render_json(review):
    return json.dumps(as_json_object(review), indent=2, ensure_ascii=False) + "\n"


_LISTS = ("files", "findings", "positives", "notices")


def write_json(review, write):
    """`render_json`'s text, written piece by piece through `write`: one finding at a time
    is made into a JSON object, so a large review never holds its whole document (the same
    bytes as `render_json`, tested)."""
    items = {
        "files": lambda: ({"path": p, "domain": d, **review.file_fields.get((p, d), {})}
                          for p, d in review.files),
        "findings": lambda: (f.as_dict() for f in review.findings),
        "positives": lambda: (p.as_dict() for p in review.positives),
        "notices": lambda: (n.as_dict() for n in review.notices)}
    head = {"schema_version": 1, "tool": {"name": "infra-expert", "version": __version__}}
    tail = {"resources": review.resources, "projects": review.projects,
            "summary": review.summary(), "live": review.live}
    write("{")
    first = True
    for key in ("schema_version", "tool", *_LISTS, "resources", "projects", "summary",
                *(("live",) if review.live is not None else ())):
        write(("\n" if first else ",\n") + f"  {json.dumps(key)}: ")
        first = False
        if key in items:
            empty = True
            for item in items[key]():
                text = json.dumps(utf8_tree(item), indent=2, ensure_ascii=False)
                write(("[\n    " if empty else ",\n    ") + text.replace("\n", "\n    "))
                empty = False
            write("[]" if empty else "\n  ]")
        else:
            value = head[key] if key in head else tail[key]
            write(json.dumps(utf8_tree(value), indent=2, ensure_ascii=False)
                  .replace("\n", "\n  "))
    write("\n}\n")


# `--format jsonl` (`infra_expert.report.lines`): one JSON object a line, each with its
# `type`: every finding, then every notice, then the resources (`resources`, what the
# review estimated: one line per unit when a folder of repositories is streamed), then one
# `summary` line (schema version, tool, counts, files reviewed). A pipeline reads it line
# by line; a run too large for one JSON document stays readable, and is written as it goes.

def jsonl_line(kind, obj):
    return json.dumps(utf8_tree({"type": kind, **obj}), ensure_ascii=False) + "\n"


def jsonl_summary(files, positives, counts):
    return json.dumps(utf8_tree({
        "type": "summary", "schema_version": 1,
        "tool": {"name": "infra-expert", "version": __version__},
        "files": files, "positives": positives, "counts": counts}),
        ensure_ascii=False) + "\n"
