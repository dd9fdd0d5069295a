"""Kubernetes rules about GitOps objects: Flux `HelmRelease` and Argo CD `Application`."""

from __future__ import annotations

import os
import re

from infra_expert.kubernetes.kustomize import entries
from infra_expert.kubernetes.model import at, mappings, namespace_of
from infra_expert.kubernetes.rules_workload import run_index
from infra_expert.lazyre import lazy_re
from infra_expert.model import RuleSet
from infra_expert.yamlsafe import YamlError, load_all

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
    example=(
        'apiVersion: helm.toolkit.fluxcd.io/v2\n'
        'kind: HelmRelease\n'
        'metadata:\n'
        '  name: app\n'
        'spec:\n'
        '  interval: 1h\n'
        '  chart:\n'
        '    spec:\n'
        '      chart: app-template\n'
        '      version: 4.3.0\n'
        '      sourceRef: {kind: HelmRepository, name: bjw-s}'))
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
    example=(
        'apiVersion: argoproj.io/v1alpha1\n'
        'kind: Application\n'
        'metadata:\n'
        '  name: shop\n'
        'spec:\n'
        '  project: default\n'
        '  source: {repoURL: "https://github.com/example/deploy", path: shop, targetRevision: main}\n'
        '  destination: {server: "https://kubernetes.default.svc", namespace: shop}\n'
        '  syncPolicy:\n'
        '    automated: {prune: true, selfHeal: true}'))
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


# --------------------------------------------------------- Flux release remediation ----
# Most repositories set remediation once for every HelmRelease: in a Flux Kustomization's
# `spec.patches` (often nested: a patch on the child Kustomizations that adds a patch on
# their HelmReleases), or in a kustomize `kustomization.yaml` (or a component it lists).
# A release is judged with what those patches add.

def _sets_retries(spec):
    """True when a HelmRelease spec (or a patch of one) decides how failures are retried."""
    if not isinstance(spec, dict):
        return False
    for action in ("install", "upgrade"):
        node = spec.get(action)
        if not isinstance(node, dict):
            continue
        if str(_get(node, "strategy", "name")) == "RetryOnFailure":
            return True
        remediation = node.get("remediation")
        if isinstance(remediation, dict) and ("retries" in remediation or (
                action == "upgrade" and "strategy" in remediation)):
            return True
    return False


def _is_flux_kustomization(obj):
    return obj.kind == "Kustomization" \
        and obj.api_version.startswith("kustomize.toolkit.fluxcd.io")


def _patch_covers(item, text, outer=None):
    """[(retries, drift, target, outer)] that a kustomize/Flux patch entry sets on
    HelmReleases (empty when it patches something else). A patch on Flux Kustomizations
    that adds patches of their own is followed: its inner patches cover the releases those
    Kustomizations (`outer`: the patch's target) deploy."""
    target = item.get("target") if isinstance(item.get("target"), dict) else {}
    try:
        docs = load_all(text) if isinstance(text, str) else []
    except YamlError:
        docs = []
    covers = []
    for d in docs:
        if not isinstance(d, dict):
            continue
        if d.get("kind") == "Kustomization":
            for inner in _patch_items(_get(d, "spec", "patches")):
                covers.extend(_patch_covers(inner, inner.get("patch"), target))
        elif d.get("kind") == "HelmRelease" or target.get("kind") == "HelmRelease":
            covers.append((_sets_retries(d.get("spec")),
                           isinstance(_get(d, "spec", "driftDetection"), dict), target, outer))
    if not covers and target.get("kind") == "HelmRelease":
        if not isinstance(text, str):      # a patch file not loaded: taken as covering
            return [(True, True, target, outer)]
        covers.append(("remediation" in text or "RetryOnFailure" in text,
                       "driftDetection" in text, target, outer))    # a JSON 6902 patch
    return covers


def _patch_items(patches):
    return [p for p in patches if isinstance(p, dict)] if isinstance(patches, list) else []


def _match(pattern, value):
    """kustomize matches names as anchored regular expressions; unknown: a match."""
    if value is None:
        return True
    try:
        return re.fullmatch(str(pattern), str(value)) is not None
    except re.error:
        return True


def _selects(selector, labels):
    """A simple label selector (`a=b`, `a!=b`, `a`, `!a`, comma-separated) against labels;
    set-based forms are unknown and taken as a match."""
    if "(" in str(selector):
        return True
    for term in str(selector).split(","):
        term = term.strip()
        if "!=" in term:
            k, v = (x.strip() for x in term.split("!=", 1))
            ok = str(labels.get(k)) != v if k in labels else True
        elif "=" in term:
            k, v = (x.strip() for x in term.replace("==", "=").split("=", 1))
            ok = k in labels and str(labels[k]) == v
        elif term.startswith("!"):
            ok = term[1:].strip() not in labels
        else:
            ok = not term or term in labels
        if not ok:
            return False
    return True


def _targets(target, obj):
    if not target:
        return True
    labels = obj.metadata.get("labels") if isinstance(obj.metadata.get("labels"), dict) else {}
    notes = obj.metadata.get("annotations")
    notes = notes if isinstance(notes, dict) else {}
    return ("name" not in target or _match(target["name"], obj.name)) \
        and ("namespace" not in target or _match(target["namespace"], obj.namespace)) \
        and ("labelSelector" not in target or _selects(target["labelSelector"], labels)) \
        and ("annotationSelector" not in target
             or _selects(target["annotationSelector"], notes))


def _remediation(ctx):
    """Patches of the run that set remediation or drift detection on HelmReleases:
    (flux, folders, deployers). `flux`: [(retries, drift, target, outer)] from Flux
    Kustomizations, for any release of the run; `folders`: {folder: [covers]} from
    kustomize files, for the releases in that folder or below; `deployers`: [(folder,
    Kustomization)], the folder a Flux Kustomization's `spec.path` names, found as the
    nearest folder above the Kustomization's file that holds that path."""
    flux, folders, deployers = [], {}, []
    docs = [d for d in ctx.documents if d.domain == "kubernetes"
            and hasattr(d.model, "objects")]
    dirs = set()
    for d in ctx.documents:
        path = os.path.dirname(os.path.abspath(d.abspath))
        while path not in dirs and os.path.dirname(path) != path:
            dirs.add(path)
            path = os.path.dirname(path)
    for d in docs:
        for obj in d.model.objects:
            if not _is_flux_kustomization(obj):
                continue
            for item in _patch_items(_get(obj.data, "spec", "patches")):
                flux.extend(_patch_covers(item, item.get("patch")))
            path = _get(obj.data, "spec", "path")
            if not isinstance(path, str) or _placeholder(path):
                continue
            above = os.path.dirname(os.path.abspath(d.abspath))
            while True:
                folder = os.path.normpath(os.path.join(above, path))
                if folder in dirs:
                    deployers.append((folder, obj))
                    break
                if os.path.dirname(above) == above:
                    break
                above = os.path.dirname(above)
    texts = {os.path.abspath(d.abspath): d.text for d in ctx.documents}
    own = {}        # folder of a kustomize file -> (its covers, its components' folders)
    for k in ctx.documents:
        if k.kind != "kustomization":
            continue
        data = entries(k, ctx)
        here = os.path.dirname(os.path.abspath(k.abspath))
        covers = []
        for key in ("patches", "patchesStrategicMerge", "patchesJson6902"):
            for item in data.get(key) if isinstance(data.get(key), list) else ():
                item = item if isinstance(item, dict) else {"path": item}
                text = item.get("patch")
                if text is None and isinstance(item.get("path"), str):
                    text = texts.get(os.path.normpath(os.path.join(here, item["path"])))
                covers.extend(_patch_covers(item, text))
        parts = data.get("components") if isinstance(data.get("components"), list) else []
        own[here] = (covers, [os.path.normpath(os.path.join(here, c))
                              for c in parts if isinstance(c, str)])
    for here, (covers, parts) in own.items():
        inherited = [c for part in parts for c in own.get(part, ([], []))[0]]
        if covers or inherited:
            folders[here] = covers + inherited
    return flux, folders, deployers


@rules.rule(
    "K8113", "suggestion", "reliability", "Flux HelmRelease failures are not retried",
    "Flux does not retry a failed Helm install or upgrade by default "
    "(`install.remediation.retries` and `upgrade.remediation.retries` are 0): a transient "
    "failure (a CRD not yet established, a webhook not ready, an image pull slower than the "
    "timeout) leaves the release failed until the next change to the HelmRelease or a "
    "manual `flux reconcile --force`. Settings made once for every release, in a Flux "
    "Kustomization's `spec.patches` or a kustomize patch targeting `kind: HelmRelease`, "
    "count. When nothing enables drift detection either, the finding says so: changes made "
    "by hand to what the release installed are then never corrected.",
    "Set `install.remediation.retries` and `upgrade.remediation.retries` (e.g. 3, with "
    "`upgrade.remediation.remediateLastFailure: true`), or `install.strategy.name: "
    "RetryOnFailure`, once for all releases: a Flux Kustomization patch with `target: "
    "{kind: HelmRelease}`. `driftDetection.mode: warn` (then `enabled`) fits in the same "
    "patch.",
    example=(
        'apiVersion: helm.toolkit.fluxcd.io/v2\n'
        'kind: HelmRelease\n'
        'metadata:\n'
        '  name: app\n'
        'spec:\n'
        '  interval: 1h\n'
        '  chart:\n'
        '    spec: {chart: app-template, version: 4.3.0, sourceRef: {kind: HelmRepository, name: bjw-s}}\n'
        '  install:\n'
        '    remediation: {retries: 3}\n'
        '  upgrade:\n'
        '    remediation: {retries: 3, remediateLastFailure: true}'))
def release_not_retried(doc, ctx):
    releases = [o for o in doc.model.objects if _flux(o, "HelmRelease")]
    if not releases:
        return
    flux, folders, deployers = ctx.index(_remediation)
    here = os.path.dirname(os.path.abspath(doc.abspath))

    def under(folder):
        return here == folder or here.startswith(folder + os.sep)
    local = [c for folder, covers in folders.items() if under(folder) for c in covers]
    # a patch on Flux Kustomizations covers what the Kustomizations it selects deploy: the
    # one whose `path` is nearest (a release no Kustomization is known to deploy: covered)
    nearest = max((len(folder) for folder, _ in deployers if under(folder)), default=0)
    deploying = [k for folder, k in deployers if under(folder) and len(folder) == nearest]
    flux = [c for c in flux if not c[3] or not deploying
            or any(_targets(c[3], k) for k in deploying)]
    for obj in releases:
        spec = obj.data.get("spec") if isinstance(obj.data.get("spec"), dict) else {}
        covers = [c for c in flux + local if _targets(c[2], obj)]
        if _sets_retries(spec) or any(c[0] for c in covers):
            continue
        drift = isinstance(spec.get("driftDetection"), dict) or any(c[1] for c in covers)
        yield at(spec, "chart" if "chart" in spec else "chartRef", obj,
                 "a failed install or upgrade is not retried (no `remediation.retries`)"
                 + ("" if drift else "; drift detection is not enabled either"))
