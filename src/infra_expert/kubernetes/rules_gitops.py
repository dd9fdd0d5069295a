"""Kubernetes rules about GitOps objects: Flux `HelmRelease` and Argo CD `Application`.

Not here, on purpose: Flux remediation and drift-detection defaults. Most repositories set
them once in a Flux Kustomization's `patches`, which discovery does not load as an object,
so a per-HelmRelease rule would be wrong on them (165 false findings on the homelab corpus)."""

from __future__ import annotations

from infra_expert.kubernetes.model import at, mappings, namespace_of
from infra_expert.kubernetes.rules_workload import run_index
from infra_expert.lazyre import lazy_re
from infra_expert.model import RuleSet

rules = RuleSet("kubernetes")

_RANGE = lazy_re(r"[\^~*xX<>|]|\s-\s|^\s*$")


def _flux(obj, kind):
    return obj.kind == kind and obj.api_version.startswith(("helm.toolkit.fluxcd.io",
                                                            "source.toolkit.fluxcd.io"))


def _get(node, *keys):
    for k in keys:
        node = node.get(k) if isinstance(node, dict) else None
    return node


def _placeholder(value):
    return "${" in str(value) or "{{" in str(value)


def _loose(version):
    """Why a chart version is not pinned, or None."""
    if version is None:
        return "no version (the newest chart is installed)"
    text = str(version).strip()
    if _placeholder(text):
        return None
    if text in ("*", "latest", "HEAD") or _RANGE.search(text):
        return f"`{text}` is a range"
    return None


@rules.rule(
    "K8110", "warning", "reliability", "Helm chart version not pinned in GitOps",
    "A Flux HelmRelease (`chart.spec.version`, or the `ref` of the OCIRepository its "
    "`chartRef` names) or an Argo CD Application (`targetRevision` of a Helm chart "
    "source) with no version, `*` or a range installs whatever chart was published last "
    "at the next reconcile: a new major version with breaking values changes rolls out "
    "unreviewed, and what runs is not what the repository says. (`targetRevision: HEAD` "
    "of a Git source is the normal GitOps practice and is not reported.)",
    "Pin an exact chart version (`version: 5.1.0`, `ref.tag: 5.1.0`, `targetRevision: "
    "5.1.0`) and let Renovate or Dependabot propose upgrades.",
    example='spec:\n  chart:\n    spec:\n      chart: app-template\n      version: 4.3.0')
def chart_unpinned(doc, ctx):
    index = run_index(ctx)
    for obj in doc.model.objects:
        if _flux(obj, "HelmRelease"):
            spec = obj.data.get("spec") if isinstance(obj.data.get("spec"), dict) else {}
            chart = _get(spec, "chart", "spec")
            if isinstance(chart, dict) and chart.get("chart"):
                why = _loose(chart.get("version"))
                if why:
                    yield at(chart, "version" if "version" in chart else "chart", obj,
                             f"chart `{chart['chart']}`: {why}")
            ref = spec.get("chartRef")
            if isinstance(ref, dict) and ref.get("kind") == "OCIRepository":
                ns = str(ref.get("namespace") or namespace_of(obj))
                repo = next((o for o in index.of("OCIRepository")
                             if o.name == str(ref.get("name")) and namespace_of(o) == ns),
                            None)
                if repo is None:
                    continue
                oci_ref = _get(repo.data, "spec", "ref")
                oci_ref = oci_ref if isinstance(oci_ref, dict) else {}
                if oci_ref.get("digest") or (oci_ref.get("tag") and not _loose(
                        oci_ref["tag"])):
                    continue
                why = _loose(oci_ref.get("semver")) if "semver" in oci_ref else \
                    "no `ref` (the `latest` tag)" if not oci_ref.get("tag") else \
                    _loose(oci_ref["tag"])
                if why:
                    yield at(ref, "name", obj, f"OCIRepository `{repo.name}`: {why}")
        elif obj.kind == "Application" and obj.api_version.startswith("argoproj.io"):
            spec = obj.data.get("spec") if isinstance(obj.data.get("spec"), dict) else {}
            sources = mappings(spec, "sources") or (
                [spec["source"]] if isinstance(spec.get("source"), dict) else [])
            for src in sources:
                if not src.get("chart"):
                    continue       # a Git source: HEAD or a branch is GitOps as usual
                why = _loose(src.get("targetRevision"))
                if why:
                    yield at(src, "targetRevision" if "targetRevision" in src else "chart",
                             obj, f"chart `{src['chart']}`: {why}")


@rules.rule(
    "K8112", "warning", "reliability", "Argo CD prunes everything when the source renders empty",
    "`syncPolicy.automated` with `prune: true` and `allowEmpty: true` lets an empty "
    "render (a wrong path, a broken Kustomize or Helm change, a moved directory) delete "
    "every resource of the application, PersistentVolumeClaims included. Argo CD refuses "
    "to sync an empty application by default for exactly this reason.",
    "Remove `allowEmpty: true` (the default is false); keep `prune: true` only with that "
    "safeguard.",
    example='syncPolicy:\n  automated:\n    prune: true\n    selfHeal: true')
def argo_prune_empty(doc, ctx):
    for obj in doc.model.objects:
        if obj.kind not in ("Application", "ApplicationSet") \
                or not obj.api_version.startswith("argoproj.io"):
            continue
        spec = obj.data.get("spec") if isinstance(obj.data.get("spec"), dict) else {}
        if obj.kind == "ApplicationSet":
            spec = _get(spec, "template", "spec") or {}
        auto = _get(spec, "syncPolicy", "automated")
        if isinstance(auto, dict) and auto.get("prune") is True \
                and auto.get("allowEmpty") is True:
            yield at(auto, "allowEmpty", obj, "`prune: true` with `allowEmpty: true`")
