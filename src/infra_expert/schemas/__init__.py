"""JSON Schemas shipped with the package.

    from infra_expert.schemas import review_schema, review_schema_path
    jsonschema.validate(json.load(open("review.json")), review_schema())

`review.schema.json` (draft 2020-12) describes `infra-expert review --format json`
(`schema_version` 1). Read through `importlib.resources`, so it is found in a wheel, a
zip or a source tree alike.
"""

from __future__ import annotations

REVIEW_SCHEMA = "review.schema.json"


def review_schema_path():
    """The schema as an `importlib.resources` Traversable (a `pathlib.Path` when the
    package is installed as files): `.read_text()`, or `as_file()` for a real path."""
    from importlib.resources import files
    return files(__name__).joinpath(REVIEW_SCHEMA)


def review_schema():
    """The schema as a dict."""
    import json
    return json.loads(review_schema_path().read_text(encoding="utf-8"))
