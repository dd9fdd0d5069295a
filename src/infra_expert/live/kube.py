"""Kubernetes, live: the objects of a context read with `kubectl get … -o json`.

Calls, all through `live.execute` (read-only, allowlisted, timed out):
`kubectl config current-context` (unless `--context`), `kubectl config view --minify`
(the context's cluster and namespace, no credentials kept), one `kubectl get` of the
namespaced kinds below, and one of the cluster-scoped ones (nodes; with `-A` also
cluster roles and bindings) whose refusal is a notice, not an error. Secrets and
ConfigMaps are never asked for: no rule needs their data.

What is kept: each object as the API gives it, minus `metadata.managedFields`, the
`kubectl.kubernetes.io/last-applied-configuration` annotation (a copy of the spec,
environment values included), the values of environment variables (names kept) and a
node's image list. Status is kept: it is what the LV rules read.

The synthesizer turns each object into a manifest document `<kind>/<namespace>/<name>`
that the kubernetes domain reviews like a file. A Pod or Job a controller owns is its
controller's business (reviewed once, there); ReplicaSets and Nodes are read for the LV
rules only; objects of the `kube-*` namespaces are the distribution's, reviewed as
manifests only when that namespace was asked for.
"""

from __future__ import annotations

import os
import re

from infra_expert.live import execute
from infra_expert.live.execute import Unreachable
from infra_expert.live.synth import synthesizer

# fully qualified, so that a CRD called `jobs` (Volcano's) is not read instead
KINDS = ("deployments.apps", "statefulsets.apps", "daemonsets.apps", "replicasets.apps",
         "jobs.batch", "cronjobs.batch", "pods", "services",
         "ingresses.networking.k8s.io", "networkpolicies.networking.k8s.io",
         "poddisruptionbudgets.policy", "horizontalpodautoscalers.autoscaling",
         "serviceaccounts", "roles.rbac.authorization.k8s.io",
         "rolebindings.rbac.authorization.k8s.io")
CLUSTER_KINDS = ("clusterroles.rbac.authorization.k8s.io",
                 "clusterrolebindings.rbac.authorization.k8s.io")
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
CONTROLLERS = {"ReplicaSet", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob",
               "ReplicationController"}
NOT_MANIFESTS = {"ReplicaSet", "Node", "Event"}


def collect(options):
    """{"context": {...}, "objects": [...], "notices": [...]} of the context and namespace
    the options name. Raises Unreachable with kubectl's reason."""
    timeout = float(options.timeout or execute.TIMEOUT)
    # kubectl gives up first, so that its own reason is what the user reads
    wait = timeout + 5
    context = options.context
    if not context:
        context = execute.run(["kubectl", "config", "current-context"], wait).strip()
        if not context:
            raise Unreachable("kubectl has no current context (use --context)")
    cluster, default_namespace = _context_facts(context, wait)
    namespace = None if options.all_namespaces else (
        options.namespace or default_namespace or "default")
    common = ["--context", context, f"--request-timeout={max(1, int(timeout))}s", "-o", "json"]
    scope = ["--all-namespaces"] if namespace is None else ["--namespace", namespace]
    try:
        objects = _items(execute.run_json(["kubectl", "get", ",".join(KINDS), *scope,
                                           *common], wait))
    except Unreachable as exc:
        raise Unreachable(f"context `{context}`: {exc}") from None
    notices = []
    cluster_kinds = ("nodes",) + (CLUSTER_KINDS if namespace is None else ())
    try:
        objects += _items(execute.run_json(["kubectl", "get", ",".join(cluster_kinds),
                                            *common], wait))
    except Unreachable as exc:
        notices.append(f"kubernetes: {', '.join(k.split('.')[0] for k in cluster_kinds)} "
                       f"not read ({exc})")
    system = sorted({o["metadata"].get("namespace") for o in objects
                     if _system_namespace(o, namespace)})
    if system:
        notices.append(f"kubernetes: objects of {', '.join(system)} are checked for their "
                       "state only (the distribution manages them; ask for the namespace "
                       "with -n to review them as manifests)")
    return {"context": {"kube_context": context, "cluster": cluster,
                        "namespace": namespace or "*"},
            "objects": [clean(o) for o in objects], "notices": notices}


def _context_facts(context, wait):
    """(cluster name, namespace) of a context; (None, None) when the config cannot say."""
    try:
        view = execute.run_json(["kubectl", "config", "view", "--minify", "-o", "json",
                                 "--context", context], wait)
    except Unreachable:
        return None, None
    contexts = view.get("contexts") if isinstance(view, dict) else None
    for item in contexts if isinstance(contexts, list) else ():
        if isinstance(item, dict) and item.get("name") == context:
            facts = item.get("context") if isinstance(item.get("context"), dict) else {}
            return facts.get("cluster"), facts.get("namespace")
    return None, None


def _items(listing):
    if isinstance(listing, dict) and isinstance(listing.get("items"), list):
        return [i for i in listing["items"]
                if isinstance(i, dict) and isinstance(i.get("metadata"), dict)]
    if isinstance(listing, dict) and "kind" in listing and \
            isinstance(listing.get("metadata"), dict):
        return [listing]
    raise Unreachable("`kubectl get` did not print a List of objects")


def _system_namespace(obj, asked):
    ns = obj.get("metadata", {}).get("namespace")
    return isinstance(ns, str) and ns.startswith("kube-") and ns != asked


def clean(obj):
    """The object without what the review must not keep or does not need."""
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
        annotations = meta.get("annotations")
        if isinstance(annotations, dict):
            annotations.pop(LAST_APPLIED, None)
            if not annotations:
                meta.pop("annotations")
    for spec in _pod_specs(obj):
        for key in ("initContainers", "containers", "ephemeralContainers"):
            for container in spec.get(key) or ():
                if not isinstance(container, dict):
                    continue
                for item in container.get("env") or ():
                    if isinstance(item, dict):
                        item.pop("value", None)
    if obj.get("kind") == "Node" and isinstance(obj.get("status"), dict):
        obj["status"].pop("images", None)
    return obj


def _pod_specs(obj):
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return []
    if obj.get("kind") == "Pod":
        return [spec]
    if obj.get("kind") == "CronJob":
        job = spec.get("jobTemplate")
        spec = job.get("spec") if isinstance(job, dict) else None
        if not isinstance(spec, dict):
            return []
    template = spec.get("template")
    pod = template.get("spec") if isinstance(template, dict) else None
    return [pod] if isinstance(pod, dict) else []


# ------------------------------------------------------------ shared with the rules ----
def meta(obj):
    m = obj.get("metadata")
    return m if isinstance(m, dict) else {}


def ref(obj):
    """`deployment/shop/web`, `node/ip-10-0-1-2` (the path findings point at)."""
    m = meta(obj)
    parts = [str(obj.get("kind", "?")).lower(), m.get("namespace"), m.get("name")]
    return "/".join(str(p) for p in parts if p)


def controller_of(obj):
    """(kind, name) of the controller that owns `obj`, or None."""
    for owner in meta(obj).get("ownerReferences") or ():
        if isinstance(owner, dict) and owner.get("controller") and \
                owner.get("kind") in CONTROLLERS:
            return str(owner["kind"]), str(owner.get("name", "?"))
    return None


class Index:
    """The objects of a snapshot by (kind, namespace, name), to walk owners up."""

    def __init__(self, objects):
        self.by_key = {(o.get("kind"), meta(o).get("namespace"), meta(o).get("name")): o
                       for o in objects}

    def top_owner(self, obj):
        """The object at the top of `obj`'s controller chain (a Pod -> its Deployment)."""
        seen = 0
        while seen < 4:
            owner = controller_of(obj)
            if owner is None:
                return obj
            found = self.by_key.get((owner[0], meta(obj).get("namespace"), owner[1]))
            if found is None:
                return obj
            obj, seen = found, seen + 1
        return obj

    def owner_words(self, obj):
        """` of Deployment `web` (Helm release `shop/shop`)` for an owned object, or the
        object's own origin; '' when nothing is known."""
        top = self.top_owner(obj)
        words = ""
        if top is not obj:
            words = f" of {top.get('kind')} `{meta(top).get('name')}`"
        elif controller_of(obj):
            kind, name = controller_of(obj)
            words = f" of {kind} `{name}`"
        where = origin(top)
        return words + (f" ({where})" if where else "")


def origin(obj):
    """Where an object came from, as its annotations and labels say (Helm, Argo CD, Flux,
    kustomize), or None."""
    m = meta(obj)
    ann = m.get("annotations") if isinstance(m.get("annotations"), dict) else {}
    labels = m.get("labels") if isinstance(m.get("labels"), dict) else {}
    if ann.get("meta.helm.sh/release-name"):
        release = f"{ann.get('meta.helm.sh/release-namespace') or m.get('namespace')}/" \
                  f"{ann['meta.helm.sh/release-name']}"
        chart = labels.get("helm.sh/chart")
        return f"Helm release `{release}`" + (f", chart `{chart}`" if chart else "")
    if ann.get("argocd.argoproj.io/tracking-id"):
        app = str(ann["argocd.argoproj.io/tracking-id"]).split(":", 1)[0]
        return f"Argo CD application `{app}`"
    if labels.get("argocd.argoproj.io/instance"):
        return f"Argo CD application `{labels['argocd.argoproj.io/instance']}`"
    for kind, prefix in (("Flux Kustomization", "kustomize.toolkit.fluxcd.io"),
                         ("Flux HelmRelease", "helm.toolkit.fluxcd.io")):
        if labels.get(f"{prefix}/name"):
            ns = labels.get(f"{prefix}/namespace")
            return f"{kind} `{ns + '/' if ns else ''}{labels[f'{prefix}/name']}`"
    source = ann.get("config.kubernetes.io/origin")
    if isinstance(source, str) and "path:" in source:
        path = source.split("path:", 1)[1].split("\n", 1)[0].strip()
        return f"kustomize `{path}`"
    managed = labels.get("app.kubernetes.io/managed-by")
    if managed:
        return f"managed by `{managed}`"
    return None


# ------------------------------------------------------------------- synthesizer ----
def reviewed_as_manifest(obj, asked_namespace):
    kind = obj.get("kind")
    if not isinstance(kind, str) or not kind or kind in NOT_MANIFESTS:
        return False
    if controller_of(obj):
        return False    # its Deployment / StatefulSet / CronJob is reviewed
    return not _system_namespace(obj, asked_namespace)


def _as_written(obj):
    """A copy of the object without what the API server adds on its own and a manifest
    would be blamed for (`serviceAccount`, the deprecated twin of `serviceAccountName`)."""
    import json
    obj = json.loads(json.dumps(obj))
    for spec in _pod_specs(obj):
        if spec.get("serviceAccount") == spec.get("serviceAccountName"):
            spec.pop("serviceAccount", None)
    return obj


def _comment(text):
    """Text from the cluster made safe for one comment line: no line break that would
    turn the rest into YAML, no pragma (`# infra-expert: ignore=`)."""
    text = re.sub(r"[^\w./@:,` -]", " ", str(text))
    return re.sub(r"(?i)infra-expert", "infra_expert", text)


@synthesizer("objects")
def manifests(snapshot, doc):
    """Each object a controller does not own, as a manifest document of its own."""
    import yaml
    from infra_expert.model import Document
    asked = snapshot.context.get("namespace")
    cluster = snapshot.context.get("kube_context")
    # a path no file has, under no folder that exists: rules that look beside a manifest
    # (kustomizations, Chart.lock) find nothing, and never the user's current folder
    base = (doc.abspath or os.path.abspath(doc.path)) + "#"
    out = []
    for obj in snapshot.objects:
        if not reviewed_as_manifest(obj, asked):
            continue
        header = [f"# {_comment(ref(obj))}, read live" +
                  (f" from context {_comment(cluster)}" if cluster else "")]
        where = origin(obj)
        if where:
            header.append(f"# from {_comment(where)}")
        body = yaml.safe_dump(_as_written(obj), sort_keys=False, default_flow_style=False,
                              allow_unicode=True, width=100)
        out.append(Document(ref(obj), base + ref(obj), "kubernetes", "manifest",
                            "\n".join(header) + "\n" + body, None))
    return out
