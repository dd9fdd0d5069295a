"""Helm charts, without rendering: `Chart.yaml` and `values.yaml` reviewed on their own.

Rendering templates needs a `helm` binary and the right values; it is never required.
"""

from __future__ import annotations

import os

from infra_expert.lazyre import lazy_re
from infra_expert.model import Hit, RuleSet
from infra_expert.yamlsafe import YMap, YamlError, load_all

rules = RuleSet("kubernetes")

_RANGE = lazy_re(r"[\^~*xX<>|]|\s-\s")


class HelmFile:
    """A chart's Chart.yaml or values file: no Kubernetes objects, its own data."""

    def __init__(self, kind, data, path):
        self.kind = kind
        self.data = data if isinstance(data, YMap) else None
        self.path = path
        self.objects = []
        self.problems = []


def load_helm(doc):
    try:
        docs = load_all(doc.text, doc.path)
    except YamlError as exc:
        model = HelmFile(doc.kind, None, doc.path)
        model.problems.append((exc.line, exc.message))
        return model
    return HelmFile(doc.kind, docs[0] if docs else None, doc.path)


def _helm(doc, kind):
    model = doc.model
    return model if isinstance(model, HelmFile) and model.kind == kind and model.data else None


@rules.rule(
    "K8078", "warning", "reliability", "Chart dependency with a version range and no lock",
    "A range (`^1.2.0`, `*`) in `dependencies` resolves to whatever is newest at `helm "
    "dependency update`; without a committed `Chart.lock` two installs of the same chart "
    "get different subcharts.",
    "Pin exact versions, or commit the `Chart.lock` that `helm dependency update` writes.",
    example=(
        '# Chart.yaml\n'
        'apiVersion: v2\n'
        'name: shop\n'
        'version: 1.4.2\n'
        'dependencies:\n'
        '  - name: postgresql\n'
        '    version: 15.5.38\n'
        '    repository: oci://registry-1.docker.io/bitnamicharts'))
def chart_dependencies(doc, ctx):
    chart = _helm(doc, "chart")
    if chart is None or os.path.isfile(os.path.join(os.path.dirname(doc.abspath), "Chart.lock")):
        return
    deps = chart.data.get("dependencies")
    for dep in deps if isinstance(deps, list) else []:
        if not isinstance(dep, YMap):
            continue
        version = str(dep.get("version", ""))
        if not version or _RANGE.search(version):
            line = dep.key_pos.get("version", (dep.line, 1))[0]
            yield Hit(line, f"dependency `{dep.get('name')}` version `{version or '(none)'}`")


def _image_blocks(node, path=()):
    """Mappings that look like `image: {repository, tag}` blocks of a values file."""
    if isinstance(node, YMap):
        if "repository" in node and "tag" in node:
            yield path, node
        for k, v in node.items():
            yield from _image_blocks(v, path + (str(k),))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _image_blocks(v, path + (str(i),))


@rules.rule(
    "K8079", "warning", "reliability", "Chart values use the `latest` image tag",
    "`tag: latest` in the chart's values deploys whatever was pushed last, differently on "
    "every node and every reinstall. (An empty tag usually means the chart's `appVersion`, "
    "which is pinned, and is not reported.)",
    "Set a version tag (or leave it empty to follow `appVersion`).",
    example=(
        '# values.yaml\n'
        'image:\n'
        '  repository: ghcr.io/example/shop\n'
        '  tag: "1.4.2"'))
def values_latest(doc, ctx):
    values = _helm(doc, "values")
    if values is None:
        return
    for path, block in _image_blocks(values.data):
        if str(block.get("tag")).lower() == "latest":
            yield Hit(block.key_pos["tag"][0], f"`{'.'.join(path)}.tag: latest`")


@rules.rule(
    "K8080", "suggestion", "reliability", "Chart values set no default resources",
    "`resources: {}` in values means every install without overrides runs without requests "
    "or limits.",
    "Give sensible default `requests` (and a memory limit) in values.yaml.",
    example=(
        '# values.yaml\n'
        'resources:\n'
        '  requests: {cpu: 100m, memory: 128Mi}\n'
        '  limits: {memory: 256Mi}'))
def values_resources(doc, ctx):
    values = _helm(doc, "values")
    if values is None:
        return
    res = values.data.get("resources")
    if "resources" in values.data and not res:
        yield Hit(values.data.key_pos["resources"][0], "`resources: {}`")
