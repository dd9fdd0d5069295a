"""Schema validation of Kubernetes objects (unknown fields, wrong types), when the
optional package `kubernetes-validate` is installed (`pip install infra-expert[kubernetes]`).

Validators are built once per (version, apiVersion, kind); every error is reported at the
line of the offending field. Kinds without a schema (CRDs) are skipped silently.
"""

from __future__ import annotations

import re

from infra_expert.model import Hit, RuleSet
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


def _validator(version, api_version, kind):
    key = (version, api_version, kind)
    if key in _CACHE:
        return _CACHE[key]
    import jsonschema
    from kubernetes_validate import utils
    from referencing import Registry, Resource
    versions = [v for v in utils.all_versions()
                if utils.major_minor(v) <= utils.major_minor(version)]
    if not versions:
        _CACHE[key] = None
        return None
    schema_dir = f"v{versions[-1]}-local-strict"
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = utils.schema_contents(f"kubernetes-json-schema/{schema_dir}/"
                                       f"{kind.lower()}-{group}.json", version)
        defs = _CACHE.get(("defs", schema_dir))
        if defs is None:
            defs = utils.schema_contents(f"kubernetes-json-schema/{schema_dir}/"
                                         "_definitions.json", version)
            _CACHE[("defs", schema_dir)] = defs
    except (FileNotFoundError, Exception):  # noqa: BLE001 - no schema: a CRD or unknown kind
        _CACHE[key] = None
        return None
    registry = Resource.from_contents(defs) @ (Resource.from_contents(schema) @ Registry())
    validator = jsonschema.validators.Draft202012Validator(schema, registry=registry)
    _CACHE[key] = validator
    return validator


def default_version():
    from kubernetes_validate import utils
    return utils.latest_version()


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
    peers=("kube-linter:schema-validation",))
def schema_errors(doc, ctx):
    if not available():
        return
    version = ctx.cache.get("kubernetes-version") or default_version()
    for obj in doc.model.objects:
        validator = _validator(version, obj.api_version, obj.kind)
        if validator is None:
            continue
        seen = set()
        for err in validator.iter_errors(obj.data):
            if isinstance(err.instance, str) and ("${" in err.instance or "{{" in err.instance):
                continue   # an envsubst/Helm placeholder, filled in before apply
            path = list(err.absolute_path)
            node, (line, column) = _locate(obj.data, path)
            m = re.search(r"\('(.+?)' (?:was|were) unexpected\)", err.message)
            if m and isinstance(node, YMap):
                for name in re.findall(r"'([^']+)'", m.group(0)):
                    if name in node.key_pos:
                        line, column = node.key_pos[name]
                        message = f"unknown field `{'.'.join(map(str, path + [name]))}`"
                        break
                else:
                    message = err.message
            else:
                where = ".".join(map(str, path)) or "(object)"
                message = f"`{where}`: {err.message[:160]}"
            if (line, message) in seen:
                continue
            seen.add((line, message))
            yield Hit(line, f"{obj.label}: {message}", column=column,
                      path=obj.data.source or obj.path)
