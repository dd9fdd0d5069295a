"""Kubernetes manifests as objects with positions, and walkers over their pods.

A file may hold many documents (`---`) and `List` kinds; every object keeps its file,
its first line and the line where the next one starts, so that findings and exemption
annotations apply to the right object. Unknown kinds and CRDs are kept and ignored by
rules that do not know them.
"""

from __future__ import annotations

from infra_expert.model import Hit
from infra_expert.yamlsafe import YMap, YSeq, YamlError, load_all, new_map, new_seq

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod",
             "ReplicationController"}


class K8sObject:
    __slots__ = ("data", "path", "line", "end_line", "kind", "api_version", "name",
                 "namespace", "doc_index")

    def __init__(self, data, path, line, doc_index):
        self.data = data
        self.path = path
        self.line = line
        self.end_line = line
        self.doc_index = doc_index
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
        elif obj.kind == "HelmRelease":
            yield from chart_pods(obj)


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
    """A Hit at `node[key]` (or at the node when the key is absent). A node of a
    Kustomize render carries the position of the source line it came from
    (`kustomize._relocate`; what a patch or transformer added, its nearest source
    ancestor's)."""
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


# ------------------------------------------------------ bjw-s app-template values ----
# A Flux HelmRelease of the bjw-s `app-template` chart (or any chart on its `common`
# library) declares its workloads inline: `values.controllers.<id>.containers.<id>`. Each
# controller becomes a workload whose pod and containers are built from the values, with
# the values' own positions, so that the pod and container rules judge them as they judge
# a Deployment. Only what the chart renders from the values is mapped: image, resources,
# securityContext, env/envFrom, ports, probes (those `enabled`), pod options
# (`defaultPodOptions` overridden by `controllers.<id>.pod`) and the chart's selector
# labels. Services, persistence and ServiceAccounts the chart creates are not objects here.

_CONTROLLER_KINDS = {"deployment": "Deployment", "statefulset": "StatefulSet",
                     "daemonset": "DaemonSet", "cronjob": "CronJob", "job": "Job"}
_CONTAINER_KEYS = ("command", "args", "workingDir", "securityContext", "lifecycle", "envFrom",
                   "ports", "resources", "restartPolicy", "stdin", "tty")


class ChartWorkload(K8sObject):
    """A workload declared in a HelmRelease's app-template values."""

    __slots__ = ("release", "controller")

    @property
    def label(self):
        return f"HelmRelease `{self.release.name or '?'}` controller `{self.controller}`"


def _copy(dst, src, key, as_key=None):
    as_key = as_key or key
    dst[as_key] = src[key]
    dst.key_pos[as_key] = src.key_pos.get(key, (src.line, src.column))
    dst.value_pos[as_key] = src.value_pos.get(key, dst.key_pos[as_key])


def _map_at(parent, key):
    """An empty mapping placed at `parent[key]` (for synthesised nodes)."""
    line, column = parent.key_pos.get(key, (parent.line, parent.column))
    return new_map(parent.source, line, column)


def _enabled(node):
    return isinstance(node, YMap) and node.get("enabled", True) is not False


def app_template_controllers(obj):
    """[(controller id, controller values, values)] of an app-template HelmRelease."""
    spec = obj.data.get("spec")
    values = spec.get("values") if isinstance(spec, YMap) else None
    controllers = values.get("controllers") if isinstance(values, YMap) else None
    if not isinstance(controllers, YMap):
        return []
    out = []
    for cid, ctl in controllers.items():
        containers = ctl.get("containers") if isinstance(ctl, YMap) else None
        if _enabled(ctl) and isinstance(containers, YMap) and any(
                isinstance(c, YMap) and isinstance(c.get("image"), YMap)
                for c in containers.values()):
            out.append((str(cid), ctl, values))
    return out


def flux_release_name(obj):
    """Flux names a HelmRelease's Helm release `[<targetNamespace>-]<name>` unless
    `releaseName` says otherwise."""
    spec = obj.data.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    target = spec.get("targetNamespace")
    return str(spec.get("releaseName") or (f"{target}-{obj.name}" if target else obj.name))


def chart_pods(obj):
    """(workload, pod spec, pod metadata) per controller of an app-template HelmRelease."""
    for cid, ctl, values in app_template_controllers(obj):
        kind = _CONTROLLER_KINDS.get(str(ctl.get("type", "deployment")).lower(), "Deployment")
        pod = _chart_pod(ctl, values, kind)
        release = flux_release_name(obj)
        name_override = values.get("global", {}).get("nameOverride") \
            if isinstance(values.get("global"), YMap) else None
        meta = _map_at(ctl, "pod")
        # the chart's selector labels, then the controller's own pod labels
        meta["labels"] = {"app.kubernetes.io/name": str(name_override or release),
                          "app.kubernetes.io/instance": release,
                          "app.kubernetes.io/controller": cid}
        options = ctl.get("pod")
        for key in ("labels", "annotations"):
            if isinstance(options, YMap) and isinstance(options.get(key), YMap):
                if key == "labels":
                    meta["labels"].update(options[key])
                    meta.key_pos[key] = options.key_pos[key]
                else:
                    _copy(meta, options, key)
        data = new_map(obj.data.source, obj.line, 1)
        data["apiVersion"], data["kind"] = "apps/v1", kind
        data["metadata"] = {"name": cid, "namespace": obj.data["spec"].get("targetNamespace")
                            or obj.namespace}
        template = {"metadata": meta, "spec": pod}
        spec = _map_at(ctl, "replicas")
        if "replicas" in ctl:
            _copy(spec, ctl, "replicas")
        if kind == "CronJob":
            spec["jobTemplate"] = {"spec": {"template": template}}
        else:
            spec["template"] = template
        data["spec"] = spec
        workload = ChartWorkload(data, obj.path, obj.line, obj.doc_index)
        workload.end_line = obj.end_line
        workload.release, workload.controller = obj, cid
        yield workload, pod, meta


def _chart_pod(ctl, values, kind):
    pod = _map_at(ctl, "pod")
    defaults = values.get("defaultPodOptions")
    options = ctl.get("pod")
    merge = str(values.get("defaultPodOptionsStrategy", "overwrite")) == "merge"
    for source in (defaults, options):
        if not isinstance(source, YMap):
            continue
        for key in source:
            if merge and source is options and isinstance(pod.get(key), YMap) \
                    and isinstance(source[key], YMap):
                merged = new_map(source[key].source, source[key].line, source[key].column)
                for inner in (pod[key], source[key]):
                    for k in inner:
                        _copy(merged, inner, k)
                pod[key] = merged
                continue
            _copy(pod, source, key)
    # what the chart renders when the values say nothing
    pod.setdefault("automountServiceAccountToken", False)
    if kind in ("Job", "CronJob"):
        pod.setdefault("restartPolicy", "Never")
    # the chart's own ServiceAccount: the one named, or the only one the values define
    account = ctl.get("serviceAccount")
    accounts = values.get("serviceAccount")
    if isinstance(account, YMap) and (account.get("name") or account.get("identifier")):
        _copy(pod, ctl, "serviceAccount", "serviceAccountName")
        pod["serviceAccountName"] = str(account.get("name") or account.get("identifier"))
    elif account is None and isinstance(accounts, YMap) and len(accounts) == 1:
        pod["serviceAccountName"] = str(next(iter(accounts)))
    ports = _service_ports(values)
    for key in ("initContainers", "containers"):
        group = ctl.get(key)
        if not isinstance(group, YMap):
            continue
        seq = new_seq(group.source, group.line, group.column)
        for name, values_c in group.items():
            if _enabled(values_c):
                seq.append(_chart_container(str(name), values_c, group, ports))
                seq.item_pos.append(group.key_pos.get(name, (group.line, group.column)))
        _copy(pod, ctl, key)
        pod[key] = seq
    return pod


def _service_ports(values):
    """Named ports of the chart's Services: the chart names container ports after them."""
    out = []
    services = values.get("service")
    for svc in services.values() if isinstance(services, YMap) else ():
        ports = svc.get("ports") if isinstance(svc, YMap) else None
        for name, port in ports.items() if isinstance(ports, YMap) else ():
            if isinstance(port, YMap) and _enabled(port):
                out.append({"name": str(name),
                            "containerPort": port.get("targetPort", port.get("port"))})
    return out


def _chart_container(name, values_c, group, service_ports):
    c = _map_at(group, name)
    c["name"] = name
    c.key_pos["name"] = c.value_pos["name"] = (c.line, c.column)
    image = values_c.get("image")
    if isinstance(image, YMap) and image.get("repository"):
        text = str(image["repository"])
        if image.get("tag") not in (None, ""):
            text += f":{image['tag']}"
        if image.get("digest"):
            text += f"@{image['digest']}"
        _copy(c, values_c, "image")
        c["image"] = text
        if image.get("pullPolicy"):
            _copy(c, image, "pullPolicy", "imagePullPolicy")
    for key in _CONTAINER_KEYS:
        if key in values_c:
            _copy(c, values_c, key)
    if "ports" not in c and service_ports:
        c["ports"] = service_ports
    env = values_c.get("env")
    if isinstance(env, YSeq):
        _copy(c, values_c, "env")
    elif isinstance(env, YMap):
        _copy(c, values_c, "env")
        seq = new_seq(env.source, env.line, env.column)
        for key, value in env.items():
            item = _map_at(env, key)
            item["name"] = str(key)
            item.key_pos["name"] = env.key_pos.get(key, (env.line, env.column))
            if isinstance(value, YMap):
                for k in value:
                    _copy(item, value, k)
            else:
                _copy(item, env, key, "value")
            seq.append(item)
            seq.item_pos.append(item.key_pos["name"])
        c["env"] = seq
    probes = values_c.get("probes")
    for probe, values_p in probes.items() if isinstance(probes, YMap) else ():
        if probe in ("liveness", "readiness", "startup") and isinstance(values_p, YMap) \
                and values_p.get("enabled") is True:
            _copy(c, probes, probe, f"{probe}Probe")
            c[f"{probe}Probe"] = _chart_probe(values_p, probes, probe)
    return c


def _chart_probe(values_p, probes, name):
    spec = values_p.get("spec")
    if values_p.get("custom") and isinstance(spec, YMap):
        return spec
    probe = _map_at(probes, name)
    if isinstance(spec, YMap):
        for k in ("initialDelaySeconds", "failureThreshold", "timeoutSeconds", "periodSeconds"):
            if k in spec:
                _copy(probe, spec, k)
    kind = str(values_p.get("type", "TCP")).upper()
    action = {"COMMAND": "exec", "HTTP": "httpGet", "HTTPS": "httpGet",
              "GRPC": "grpc"}.get(kind, "tcpSocket")
    if "command" in values_p and kind in ("AUTO", "TCP") and "type" not in values_p:
        action = "exec"
    target = _map_at(values_p, "port")
    if action == "exec":
        target["command"] = values_p.get("command")
    else:
        if "port" in values_p:
            _copy(target, values_p, "port")
        if values_p.get("path"):
            target["path"] = values_p["path"]
    probe[action] = target
    return probe
