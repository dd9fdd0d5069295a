"""Schema validation of Kubernetes objects (unknown fields, wrong types) against the
schemas the package `kubernetes-validate` ships (a dependency; a notice says so when it
is missing).

Validators are built once per (version, apiVersion, kind); every error is reported at the
line of the offending field. Kinds without a schema (CRDs) are skipped silently.
"""

from __future__ import annotations

import re

from infra_expert.model import Hit, RuleSet
from infra_expert.secrets import is_secret_name, mask_secrets
from infra_expert.yamlsafe import YMap, YSeq

rules = RuleSet("kubernetes")
_CACHE = {}
_MISSING = object()


def available():
    try:
        import kubernetes_validate  # noqa: F401
        return True
    except ImportError:
        return False


def _schema(version, api_version, kind):
    """(schema, definitions) for a kind, or None (a CRD or unknown kind). Cached."""
    key = (version, api_version, kind)
    if key in _CACHE:
        return _CACHE[key]
    from kubernetes_validate import utils
    wanted = utils.major_minor(version)
    versions = [v for mm, v in _versions() if mm <= wanted]
    result = None
    if versions:
        schema_dir = f"v{versions[-1]}-local-strict"
        group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
        try:
            schema = utils.schema_contents(f"kubernetes-json-schema/{schema_dir}/"
                                           f"{kind.lower()}-{group}.json", version)
            defs = _CACHE.get(("defs", schema_dir))
            if defs is None:
                defs = utils.schema_contents(f"kubernetes-json-schema/{schema_dir}/"
                                             "_definitions.json", version).get("$defs", {})
                _CACHE[("defs", schema_dir)] = defs
            result = (schema, defs)
        except Exception:  # noqa: BLE001 - no schema: a CRD or an unknown kind
            result = None
    _CACHE[key] = result
    return result


_TYPES = {"null": lambda v: v is None, "boolean": lambda v: isinstance(v, bool),
          "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
          "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
          "string": lambda v: isinstance(v, str), "array": lambda v: isinstance(v, list),
          "object": lambda v: isinstance(v, dict)}


def _check(value, schema, defs, path, errors, depth=0):
    """A small validator for the keywords Kubernetes' schemas use (type, enum, properties,
    additionalProperties, required, items, $ref, oneOf/anyOf): many times faster than a
    general JSON-schema engine on thousands of objects."""
    if depth > 64 or not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if ref:
        schema = defs.get(ref.rsplit("/", 1)[-1], {})
    for key in ("oneOf", "anyOf"):
        if key in schema:
            if not any(_ok(value, branch, defs, depth) for branch in schema[key]):
                errors.append((path, "type", value, "matches none of the allowed forms"))
            return
    types = schema.get("type")
    if types is not None:
        types = [types] if isinstance(types, str) else types
        if not any(_TYPES.get(t, lambda v: True)(value) for t in types):
            wanted = " or ".join(t for t in types if t != "null")
            errors.append((path, "type", value, f"is not of type {wanted}"))
            return
    enum = schema.get("enum")
    if enum is not None and value is not None and value not in enum:
        errors.append((path, "enum", value, f"is not one of {', '.join(map(str, enum))}"))
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties", True)
        for k, v in value.items():
            if k in props:
                _check(v, props[k], defs, path + [k], errors, depth + 1)
            elif extra is False:
                errors.append((path + [k], "unknown", None, None))
            elif isinstance(extra, dict):
                _check(v, extra, defs, path + [k], errors, depth + 1)
        for k in schema.get("required") or ():
            if k not in value:
                errors.append((path, "required", None, f"missing required field `{k}`"))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, v in enumerate(value):
            _check(v, schema["items"], defs, path + [i], errors, depth + 1)


def _ok(value, schema, defs, depth):
    errs = []
    _check(value, schema, defs, [], errs, depth + 1)
    return not errs


_KINDS = ((bool, "a boolean"), (int, "an integer"), (float, "a number"), (str, "a string"),
          (dict, "a mapping"), (list, "a list"))


def _show(value, secret=False):
    """The offending value, as the message quotes it. A value under a secret-named key or
    in a Secret's data is named by its type only (the masker cannot know that `123456789`
    is a password); a mapping or list too (it may hold one, and is cut short anyway)."""
    if value is None:
        return "null"
    if secret or isinstance(value, (dict, list)):
        return next((name for t, name in _KINDS if isinstance(value, t)), "a value")
    text = repr(mask_secrets(value) if isinstance(value, str) else value)
    return f"`{text[:40]}…`" if len(text) > 40 else f"`{text}`"


def _secret_field(obj, path):
    """Whether the value at `path` of `obj` may be a secret: in a Secret's data, under a
    secret-named key, or the `value` of an env entry whose `name` is secret-named."""
    if obj.kind == "Secret" and path[:1] in (["data"], ["stringData"]):
        return True
    if any(isinstance(p, str) and is_secret_name(p) for p in path):
        return True
    if path and path[-1] == "value":
        parent, _ = _locate(obj.data, path[:-1])
        name = parent.get("name") if isinstance(parent, dict) else None
        return isinstance(name, str) and is_secret_name(name)
    return False


def default_version():
    if "latest" not in _CACHE:
        from kubernetes_validate import utils
        _CACHE["latest"] = utils.latest_version()
    return _CACHE["latest"]


def _versions():
    if "versions" not in _CACHE:
        from kubernetes_validate import utils
        _CACHE["versions"] = [(utils.major_minor(v), v) for v in utils.all_versions()]
    return _CACHE["versions"]


def _locate(data, path):
    """(line, column) of the deepest node of `path` that exists in the YAML."""
    node, pos = data, (getattr(data, "line", 1), getattr(data, "column", 1))
    for part in path:
        if isinstance(node, YMap) and part in node:
            pos = node.key_pos.get(part, pos)
            node = node[part]
        elif isinstance(node, YSeq) and isinstance(part, int) and part < len(node):
            pos = node.item_pos[part] if part < len(node.item_pos) else pos
            node = node[part]
        else:
            break
    return node, pos


@rules.rule(
    "K8081", "critical", "reliability", "Field unknown to Kubernetes or of the wrong type",
    "The API server (and `kubectl apply`, which validates strictly) rejects unknown fields "
    "and wrong types; a misspelt key such as `resouces:` or a field that was renamed or "
    "removed is the most common manifest bug, and other linters read past it.",
    "Fix the spelling or the type (the message names the schema rule); check the field "
    "against `kubectl explain KIND.FIELD` for your Kubernetes version.",
    peers=("kube-linter:schema-validation",),
    example=(
        'apiVersion: apps/v1\n'
        'kind: Deployment\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  replicas: 2\n'
        '  selector: {matchLabels: {app: web}}\n'
        '  template:\n'
        '    metadata: {labels: {app: web}}\n'
        '    spec:\n'
        '      containers: [{name: web, image: "nginx:1.27.2"}]'))
def schema_errors(doc, ctx):
    if not available():
        # a dependency, but an install without it must not look like a clean review
        from infra_expert.model import Notice
        ctx.notices.append(Notice("kubernetes", (
            "schema validation is off: the package kubernetes-validate is not installed "
            "(pip install kubernetes-validate); unknown fields and wrong types (K8081) were "
            "not checked")))
        return
    version = ctx.kubernetes_version or default_version()
    for obj in doc.model.objects:
        found = _schema(version, obj.api_version, obj.kind)
        if found is None:
            continue
        errors = []
        _check(obj.data, found[0], found[1], [], errors)
        seen = set()
        for path, kind, value, message in errors:
            node, (line, column) = _locate(obj.data, path)
            if isinstance(node, str) and ("${" in node or "{{" in node):
                continue   # an envsubst/Helm placeholder, filled in before apply
            dotted = ".".join(map(str, path)) or "(object)"
            if kind == "unknown" and path[:1] == ["sops"] and isinstance(obj.data.get("sops"),
                                                                       dict):
                continue   # SOPS metadata: Flux or ksops decrypts and drops it before apply
            if kind == "unknown":
                text = f"unknown field `{dotted}`"
            elif kind == "required":
                text = f"`{dotted}`: {message}"
            else:
                text = f"`{dotted}`: {_show(value, _secret_field(obj, path))} {message}"
            if (line, text) in seen:
                continue
            seen.add((line, text))
            yield Hit(line, f"{obj.label}: {text}", column=column,
                      path=obj.data.source or obj.path)
