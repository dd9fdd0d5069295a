"""Kubernetes manifests as objects with positions, and walkers over their pods.

A file may hold many documents (`---`) and `List` kinds; every object keeps its file,
its first line and the line where the next one starts, so that findings and exemption
annotations apply to the right object. Unknown kinds and CRDs are kept and ignored by
rules that do not know them.
"""

from __future__ import annotations

from infra_expert.model import Hit
from infra_expert.yamlsafe import YMap, YSeq, YamlError, load_all

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod",
             "ReplicationController"}


class K8sObject:
    __slots__ = ("data", "path", "line", "end_line", "kind", "api_version", "name",
                 "namespace", "doc_index", "rendered")

    def __init__(self, data, path, line, doc_index):
        self.data = data
        self.path = path
        self.line = line
        self.end_line = line
        self.doc_index = doc_index
        self.rendered = False     # from `kubectl kustomize`: positions are the object's
        self.kind = str(data.get("kind", ""))
        self.api_version = str(data.get("apiVersion", ""))
        meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
        self.name = str(meta.get("name", "")) or str(meta.get("generateName", ""))
        namespace = meta.get("namespace")    # a list here would break every index of the run
        self.namespace = None if isinstance(namespace, (dict, list)) or namespace is None \
            else str(namespace)

    @property
    def metadata(self):
        meta = self.data.get("metadata")
        return meta if isinstance(meta, dict) else {}

    @property
    def label(self):
        return f"{self.kind} `{self.name or '?'}`"

    def annotations(self):
        ann = self.metadata.get("annotations")
        return ann if isinstance(ann, dict) else {}

    def labels(self):
        labels = self.metadata.get("labels")
        return labels if isinstance(labels, dict) else {}


class Manifest:
    def __init__(self, path):
        self.path = path
        self.objects = []
        self.problems = []        # (line, message)


def load_manifest(text, path):
    manifest = Manifest(path)
    try:
        docs = load_all(text, path)
    except YamlError as exc:
        manifest.problems.append((exc.line, exc.message))
        return manifest
    index = 0
    for doc in docs:
        if doc is None:
            continue
        if not isinstance(doc, YMap):
            manifest.problems.append((getattr(doc, "line", 1), "a document that is not a "
                                                                "Kubernetes object"))
            continue
        items = [doc]
        if str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), YSeq):
            items = [i for i in doc["items"] if isinstance(i, YMap)]
        for item in items:
            if "kind" not in item or "apiVersion" not in item:
                manifest.problems.append((item.line, "object without `apiVersion` and `kind`"))
                continue
            manifest.objects.append(K8sObject(item, path, item.line, index))
            index += 1
    total = text.count("\n") + 1
    for obj, nxt in zip(manifest.objects, manifest.objects[1:] + [None]):
        obj.end_line = (nxt.line - 1) if nxt is not None else total
    return manifest


# ---------------------------------------------------------------------- shape walkers ----
def mappings(node, key):
    """The items of the list `node[key]` that are mappings. Any other shape (`ports: 3`,
    `env: "x"`, an item that is a number) is skipped here, and reported by the schema
    check (K8081): one odd item must not stop a rule for the whole file."""
    seq = node.get(key) if isinstance(node, dict) else None
    return [item for item in seq if isinstance(item, dict)] if isinstance(seq, list) else []


def scalars(node, key):
    """The items of the list `node[key]` that are plain values (strings, numbers)."""
    seq = node.get(key) if isinstance(node, dict) else None
    return [i for i in seq if not isinstance(i, (dict, list))] if isinstance(seq, list) else []


# ---------------------------------------------------------------------- pod walkers ----
def pod_template(obj):
    """(pod spec, pod template metadata) of a workload, or (None, None)."""
    spec = obj.data.get("spec")
    if not isinstance(spec, dict):
        return None, None
    if obj.kind == "Pod":
        return spec, obj.metadata
    if obj.kind == "CronJob":
        job = spec.get("jobTemplate")
        spec = job.get("spec") if isinstance(job, dict) else None
        if not isinstance(spec, dict):
            return None, None
    template = spec.get("template")
    if not isinstance(template, dict):
        return None, None
    pod = template.get("spec")
    meta = template.get("metadata") if isinstance(template.get("metadata"), dict) else {}
    return (pod, meta) if isinstance(pod, dict) else (None, None)


def each_pod(objects):
    for obj in objects:
        if obj.kind in WORKLOADS:
            pod, meta = pod_template(obj)
            if pod is not None:
                yield obj, pod, meta


def containers_of(pod, init=True):
    """(container, is_init) for every container of a pod spec."""
    keys = ("initContainers", "containers") if init else ("containers",)
    for key in keys:
        for c in mappings(pod, key):
            yield c, key == "initContainers"


def each_container(objects, init=True):
    for obj, pod, meta in each_pod(objects):
        for c, is_init in containers_of(pod, init):
            yield obj, pod, c, is_init


def cname(container):
    return str(container.get("name", "?"))


def at(node, key, obj, message):
    """A Hit at `node[key]` (or at the node when the key is absent)."""
    if obj.rendered:
        return Hit(obj.line, f"{obj.label}: {message}", path=obj.path)
    if isinstance(node, YMap):
        if key is not None and key in node.key_pos:
            line, column = node.key_pos[key]
        else:
            line, column = node.line, node.column
        return Hit(line, f"{obj.label}: {message}", column=column,
                   path=node.source or obj.path)
    return Hit(obj.line, f"{obj.label}: {message}", path=obj.path)


def effective_security(pod, container, key):
    """A container securityContext value, falling back to the pod's (where Kubernetes
    does: runAsNonRoot, runAsUser, runAsGroup, seccompProfile, seLinuxOptions)."""
    csc = container.get("securityContext")
    if isinstance(csc, dict) and key in csc:
        return csc[key], csc
    psc = pod.get("securityContext")
    if isinstance(psc, dict) and key in psc and key in (
            "runAsNonRoot", "runAsUser", "runAsGroup", "seccompProfile", "seLinuxOptions",
            "appArmorProfile"):
        return psc[key], psc
    return None, csc if isinstance(csc, dict) else None


def selector_matches(selector, labels):
    """Label selector (matchLabels / matchExpressions, or a plain map) against labels."""
    if not isinstance(selector, dict):
        return False
    if not isinstance(labels, dict):
        labels = {}
    match = selector.get("matchLabels") if ("matchLabels" in selector
                                            or "matchExpressions" in selector) else selector
    if isinstance(match, dict):
        for k, v in match.items():
            if str(labels.get(k)) != str(v):
                return False
    for expr in mappings(selector, "matchExpressions"):
        key, op = expr.get("key"), expr.get("operator")
        values = [str(v) for v in scalars(expr, "values")]
        present = key in labels
        if op == "In" and not (present and str(labels[key]) in values):
            return False
        if op == "NotIn" and present and str(labels[key]) in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def namespace_of(obj):
    return obj.namespace or "default"
