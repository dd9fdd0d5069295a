"""Kubernetes rules about pods and containers: resources, probes, images, security."""

from __future__ import annotations

import re

from infra_expert.images import ImageRef
from infra_expert.kubernetes.model import (at, cname, containers_of, each_container, each_pod,
                                           effective_security, mappings, scalars)
from infra_expert.knowledge import (drops_privileges_image, image_role, is_weak_default,
                                    secret_context)
from infra_expert.model import Pass, RuleSet
from infra_expert.quantities import quantity_bytes, quantity_cpu
from infra_expert.secrets import MASK, is_literal_secret_value, is_secret_name, token_kind

rules = RuleSet("kubernetes")

_LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod",
                 "ReplicationController"}
def _resources(c):
    res = c.get("resources")
    res = res if isinstance(res, dict) else {}
    requests = res.get("requests") if isinstance(res.get("requests"), dict) else {}
    limits = res.get("limits") if isinstance(res.get("limits"), dict) else {}
    return res, requests, limits


def _res_hit(obj, c, message):
    return at(c, "resources" if "resources" in c else "name", obj,
              f"container `{cname(c)}`: {message}")


@rules.rule(
    "K8001", "warning", "reliability", "Container without a CPU request",
    "The scheduler places pods by their requests: without one, a node is overcommitted and "
    "the container gets the least CPU under contention.",
    "Set `resources.requests.cpu` to the container's usual consumption (e.g. `100m`).",
    peers=("polaris:cpuRequestsMissing", "kube-score:container-resources",
           "kube-linter:unset-cpu-requirements", "checkov:CKV_K8S_10"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      resources:\n'
        '        requests: {cpu: 100m, memory: 128Mi}\n'
        '        limits: {memory: 128Mi}'))
def cpu_request(doc, ctx):
    for obj, pod, c, is_init in each_container(doc.model.objects):
        if not is_init and _resources(c)[1].get("cpu") is None:
            yield _res_hit(obj, c, "no CPU request")


@rules.rule(
    "K8002", "warning", "reliability", "Container without a memory request",
    "Without a memory request the pod can be scheduled on a node that has no room for it, "
    "and it is among the first evicted under memory pressure.",
    "Set `resources.requests.memory` to the usual working set (e.g. `128Mi`).",
    peers=("polaris:memoryRequestsMissing", "kube-score:container-resources",
           "checkov:CKV_K8S_12"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      resources:\n'
        '        requests: {cpu: 100m, memory: 128Mi}\n'
        '        limits: {memory: 128Mi}'))
def memory_request(doc, ctx):
    """As the peers do, this fires whenever `requests.memory` is not written. With a memory
    limit set, Kubernetes makes the request equal to the limit: nothing is overcommitted,
    but the whole limit is reserved on the node, so it is said as a suggestion, once."""
    for obj, pod, c, is_init in each_container(doc.model.objects):
        if is_init:
            continue
        _, requests, limits = _resources(c)
        if requests.get("memory") is not None:
            continue
        if limits.get("memory") is None:
            yield _res_hit(obj, c, "no memory request")
            continue
        hit = _res_hit(obj, c, f"no memory request: Kubernetes makes it the limit "
                               f"({limits['memory']}), so all of it is reserved on the node; "
                               "write the usual working set as the request")
        hit.severity = "suggestion"
        yield hit


@rules.rule(
    "K8003", "warning", "reliability", "Container without a memory limit",
    "A container without a memory limit can take the node's memory until the kernel kills "
    "something else; a leak in one pod takes down its neighbours.",
    "Set `resources.limits.memory` (equal to the request for predictable behaviour).",
    peers=("polaris:memoryLimitsMissing", "kube-score:container-resources",
           "kube-linter:unset-memory-requirements", "checkov:CKV_K8S_13"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      resources:\n'
        '        requests: {cpu: 100m, memory: 128Mi}\n'
        '        limits: {memory: 128Mi}'))
def memory_limit(doc, ctx):
    for obj, pod, c, is_init in each_container(doc.model.objects):
        if _resources(c)[2].get("memory") is None:
            yield _res_hit(obj, c, "no memory limit")


@rules.rule(
    "K8004", "suggestion", "performance", "Container without a CPU limit",
    "Our stance: CPU limits are optional. They cause throttling even when the node is idle, "
    "which hurts latency; requests already share CPU fairly under contention. Set a limit "
    "only for batch work or on small shared nodes. Off by default for that reason.",
    "If you want one, set `resources.limits.cpu`; otherwise keep good CPU requests.",
    peers=("polaris:cpuLimitsMissing", "kube-score:container-resources", "checkov:CKV_K8S_11"),
    enabled=False,
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      resources:\n'
        '        requests: {cpu: 250m, memory: 256Mi}\n'
        '        limits: {cpu: "1", memory: 256Mi}'))
def cpu_limit(doc, ctx):
    for obj, pod, c, is_init in each_container(doc.model.objects):
        if not is_init and _resources(c)[2].get("cpu") is None:
            yield _res_hit(obj, c, "no CPU limit")


@rules.rule(
    "K8005", "critical", "reliability", "Resource limit below its request",
    "The API server rejects a container whose limit is lower than its request.",
    "Raise the limit or lower the request.",
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      resources:\n'
        '        requests: {cpu: 250m, memory: 256Mi}\n'
        '        limits: {memory: 512Mi}'))
def limit_below_request(doc, ctx):
    for obj, pod, c, is_init in each_container(doc.model.objects):
        _, requests, limits = _resources(c)
        for key, parse in (("cpu", quantity_cpu), ("memory", quantity_bytes)):
            req, lim = parse(requests.get(key)), parse(limits.get(key))
            if req is not None and lim is not None and lim < req:
                yield _res_hit(obj, c, f"{key} limit {limits[key]} < request {requests[key]}")


def _probe(c, name):
    p = c.get(name)
    return p if isinstance(p, dict) else None


@rules.rule(
    "K8006", "warning", "reliability", "No readiness probe",
    "Without a readiness probe the pod receives traffic as soon as the process starts, and "
    "keeps receiving it when it stops answering; rollouts cannot tell a broken version.",
    "Add a `readinessProbe` on the endpoint that says the app can serve (an HTTP health "
    "path, or a TCP port).",
    peers=("polaris:readinessProbeMissing", "kube-score:pod-probes",
           "kube-linter:no-readiness-probe", "checkov:CKV_K8S_9"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      ports:\n'
        '        - {name: http, containerPort: 80}\n'
        '      readinessProbe:\n'
        '        httpGet: {path: /healthz, port: http}\n'
        '        periodSeconds: 5'))
def readiness(doc, ctx):
    for obj, pod, c, is_init in each_container(doc.model.objects, init=False):
        if obj.kind in _LONG_RUNNING and _probe(c, "readinessProbe") is None:
            yield at(c, "name", obj, f"container `{cname(c)}` has no readinessProbe")


@rules.rule(
    "K8007", "suggestion", "reliability", "No liveness probe",
    "A liveness probe restarts a container that hangs; a careless one (same as readiness, "
    "too short a timeout) restarts healthy pods under load, so it is a suggestion.",
    "Add a `livenessProbe` that only fails when the process is truly stuck, with generous "
    "`timeoutSeconds` and `failureThreshold`.",
    peers=("polaris:livenessProbeMissing", "kube-linter:no-liveness-probe", "checkov:CKV_K8S_8"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      ports:\n'
        '        - {name: http, containerPort: 80}\n'
        '      livenessProbe:\n'
        '        httpGet: {path: /healthz, port: http}\n'
        '        timeoutSeconds: 5\n'
        '        failureThreshold: 6'))
def liveness(doc, ctx):
    for obj, pod, c, is_init in each_container(doc.model.objects, init=False):
        if obj.kind in _LONG_RUNNING and _probe(c, "livenessProbe") is None:
            yield at(c, "name", obj, f"container `{cname(c)}` has no livenessProbe")


def _probe_action(p):
    return {k: p.get(k) for k in ("httpGet", "tcpSocket", "exec", "grpc") if k in p}


@rules.rule(
    "K8008", "warning", "reliability", "Liveness probe identical to readiness probe",
    "When both probes hit the same check with the same thresholds, an overloaded pod is "
    "killed instead of being taken out of the load balancer: restarts cascade under load.",
    "Make liveness cheaper and more tolerant (a higher `failureThreshold`, a "
    "process-alive endpoint) than readiness.",
    peers=("kube-score:pod-probes-identical",),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      ports:\n'
        '        - {name: http, containerPort: 80}\n'
        '      readinessProbe:\n'
        '        httpGet: {path: /ready, port: http}\n'
        '      livenessProbe:\n'
        '        httpGet: {path: /healthz, port: http}\n'
        '        failureThreshold: 6'))
def identical_probes(doc, ctx):
    for obj, pod, c, is_init in each_container(doc.model.objects, init=False):
        live, ready = _probe(c, "livenessProbe"), _probe(c, "readinessProbe")
        if live and ready and _probe_action(live) == _probe_action(ready) and all(
                live.get(k) == ready.get(k) for k in ("failureThreshold", "periodSeconds",
                                                       "timeoutSeconds",
                                                       "initialDelaySeconds")):
            yield at(c, "livenessProbe", obj, f"container `{cname(c)}`: liveness and "
                                              "readiness probes are identical")


@rules.rule(
    "K8009", "critical", "reliability", "Probe uses a port name the container does not declare",
    "A probe on a named port that no `ports[].name` of the container defines can never "
    "succeed: readiness never passes, or liveness restarts the container for ever.",
    "Name the port in `ports:` (`- name: http`), or use the port number.",
    peers=("kube-linter:liveness-port", "kube-linter:readiness-port",
           "kube-linter:startup-port"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      ports:\n'
        '        - {name: http, containerPort: 80}\n'
        '      readinessProbe:\n'
        '        httpGet: {path: /healthz, port: http}'))
def probe_port(doc, ctx):
    for obj, pod, c, is_init in each_container(doc.model.objects, init=False):
        names = {str(p.get("name")) for p in mappings(c, "ports")}
        for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
            p = _probe(c, kind)
            if not p:
                continue
            for action in ("httpGet", "tcpSocket", "grpc"):
                a = p.get(action)
                port = a.get("port") if isinstance(a, dict) else None
                if isinstance(port, str) and not port.isdigit() and port not in names \
                        and "$" not in port and "{{" not in port:
                    yield at(a, "port", obj, f"container `{cname(c)}`: {kind} uses port "
                                             f"`{port}`, which no container port is named")


def _images(obj, pod):
    for c, is_init in containers_of(pod):
        image = c.get("image")
        if isinstance(image, str) and image and "{{" not in image and "$" not in image:
            yield c, image, ImageRef(image)


@rules.rule(
    "K8010", "warning", "reliability", "Image without a version tag",
    "`:latest` or no tag: every node pulls whatever is newest when it starts the pod, so "
    "replicas run different versions and a rollback does not roll back.",
    "Pin a version (`nginx:1.27.2`), ideally with its digest.",
    peers=("polaris:tagNotSpecified", "kube-score:container-image-tag",
           "kube-linter:latest-tag", "checkov:CKV_K8S_14"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2'))
def image_tag(doc, ctx):
    for obj, pod, _ in each_pod(doc.model.objects):
        for c, image, ref in _images(obj, pod):
            if ref.digest is None and (ref.tag is None or ref.tag == "latest"):
                yield at(c, "image", obj, f"container `{cname(c)}`: `{image}`")


@rules.rule(
    "K8011", "suggestion", "reliability", "Mutable tag without `imagePullPolicy: Always`",
    "With `IfNotPresent` (the default for a tag) each node keeps the copy of a re-pushed tag "
    "it pulled first: pods of one Deployment run different images. Digests make the "
    "question moot.",
    "Pin by digest, or set `imagePullPolicy: Always` for tags that can move.",
    peers=("polaris:pullPolicyNotAlways", "kube-score:container-image-pull-policy",
           "checkov:CKV_K8S_15"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: ghcr.io/example/app:main\n'
        '      imagePullPolicy: Always'))
def pull_policy(doc, ctx):
    for obj, pod, _ in each_pod(doc.model.objects):
        for c, image, ref in _images(obj, pod):
            policy = c.get("imagePullPolicy")
            if ref.digest is None and ref.tag not in (None, "latest") and policy != "Always":
                yield at(c, "imagePullPolicy" if policy else "image", obj,
                         f"container `{cname(c)}`: `{image}` with "
                         f"`imagePullPolicy: {policy or 'IfNotPresent (default)'}`")


@rules.rule(
    "K8012", "suggestion", "security", "Image not pinned by digest",
    "A tag can be re-pushed; a digest names exactly one image, which admission policies "
    "and supply-chain tools can verify.",
    "Use `image: repo/app:1.2.3@sha256:…` (Renovate keeps it current).",
    positive="Images pinned by digest in {name}",
    peers=("checkov:CKV_K8S_43",),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2@sha256:2b0079146a74e23bf4ae8f6a28e1b484c6292f6fb904cbb51825b4a19812fcd8'))
def image_digest(doc, ctx):
    for obj, pod, _ in each_pod(doc.model.objects):
        images = list(_images(obj, pod))
        for c, image, ref in images:
            if ref.digest is None:
                yield at(c, "image", obj, f"container `{cname(c)}`: `{image}` has no digest")
        if images and all(ref.digest for _, _, ref in images):
            yield Pass(obj.line, name=obj.label)


def _sc(c):
    sc = c.get("securityContext")
    return sc if isinstance(sc, dict) else {}


def _privileged(c):
    return _sc(c).get("privileged") is True


def _role(pod, need, c=None):
    """The well-known role (CSI node plugin, CNI agent …) of a container, or of any
    container of the pod (for pod-level settings) that needs this privilege."""
    items = [c] if c is not None else [x for x, _ in containers_of(pod)]
    for x in items:
        image = x.get("image")
        role = image_role(image, need) if isinstance(image, str) else None
        if role is not None:
            return role, image
    return None, None


def _calibrate(h, pod, need, severity, c=None):
    role, image = _role(pod, need, c)
    if role is not None:
        h.severity = severity
        h.message += f" — expected for {role.name} (`{image}`); {role.advice}"
    return h


def _chain_index(ctx):
    """{id(document): (parts, chains)}: the compound risks of each manifest, once."""
    return {}


def _chains(doc, ctx):
    """Compound risks of a manifest: {(id(obj), part rule id): (chain id, what, where)} and
    [(chain id, obj, node, key, text)]. Computed once per document."""
    known = ctx.index(_chain_index)
    if id(doc) in known:
        return known[id(doc)]
    parts, chains = {}, []
    for obj, pod, _ in each_pod(doc.model.objects):
        priv = [c for c, _ in containers_of(pod) if _privileged(c)]
        if priv and pod.get("hostNetwork") is True and _role(pod, "privileged")[0] is None:
            c = priv[0]
            p_at = at(_sc(c), "privileged", obj, "")
            n_at = at(pod, "hostNetwork", obj, "")
            text = (f"container `{cname(c)}` is privileged ({p_at.path}:{p_at.line}) and the "
                    f"pod has `hostNetwork: true` ({n_at.path}:{n_at.line}): root on the node "
                    "with its network stack, node-local services and cloud metadata in reach")
            chains.append(("K8090", obj, _sc(c), "privileged", text))
            where = f"{p_at.path}:{p_at.line}"
            for part in ("K8013", "K8023"):
                parts[(id(obj), part)] = ("K8090", "privileged on the host network", where)
        for v, path in _host_paths(pod):
            clean = path.rstrip("/") or "/"
            socket = bool(_SOCKET.search(clean))
            if not (socket or clean == "/"):
                continue
            users = [c for c, _ in containers_of(pod)
                     if any(isinstance(m, dict) and m.get("name") == v.get("name")
                            and (socket or m.get("readOnly") is not True)
                            for m in mappings(c, "volumeMounts"))]
            risky = [c for c in users if (_privileged(c) or _may_be_root(pod, c))
                     and image_role(c.get("image"), "host" if not socket else "socket") is None]
            if not risky:
                continue
            c = risky[0]
            v_at = at(v["hostPath"], "path", obj, "")
            what = "is privileged" if _privileged(c) else "may run as root"
            text = (f"hostPath `{path}` ({v_at.path}:{v_at.line}) mounted "
                    f"{'' if socket else 'writable '}by container `{cname(c)}`, which "
                    f"{what}: it controls the node (starts containers or rewrites the host)")
            chains.append(("K8091", obj, v["hostPath"], "path", text))
            where = f"{v_at.path}:{v_at.line}"
            for part in ("K8025", "K8026", "K8013", "K8015"):
                parts.setdefault((id(obj), part), ("K8091", "node takeover", where))
    known[id(doc)] = (parts, chains)
    return parts, chains


def _may_be_root(pod, c):
    user, _ = effective_security(pod, c, "runAsUser")
    non_root, _ = effective_security(pod, c, "runAsNonRoot")
    return user == 0 or (non_root is not True and not (isinstance(user, int) and user > 0))


def _part_of(h, doc, ctx, obj, rule_id):
    found = _chains(doc, ctx)[0].get((id(obj), rule_id))
    if found is not None:
        h.message += f" — part of {found[0]} ({found[1]}, at {found[2]})"
    return h


def _sc_hit(obj, c, key, message):
    """At the field when it is set, else at the container's securityContext (or name)."""
    sc = _sc(c)
    if key in sc:
        return at(sc, key, obj, message)
    return at(c, "securityContext" if sc else "name", obj, message)


@rules.rule(
    "K8013", "critical", "security", "Privileged container",
    "A privileged container has every capability and every host device: it is root on the "
    "node.",
    "Remove `privileged: true`; grant the specific capability or device instead.",
    peers=("polaris:runAsPrivileged", "kube-score:container-security-context-privileged",
           "kube-linter:privileged-container", "checkov:CKV_K8S_16"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      securityContext:\n'
        '        capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}'))
def privileged(doc, ctx):
    for obj, pod, c, is_init in each_container(doc.model.objects):
        if _privileged(c):
            h = _calibrate(at(_sc(c), "privileged", obj,
                              f"container `{cname(c)}` is privileged (its capabilities are "
                              "said here once)"), pod, "privileged", "warning", c)
            yield _part_of(h, doc, ctx, obj, "K8013")


@rules.rule(
    "K8014", "warning", "security", "Privilege escalation not disabled",
    "Unless `allowPrivilegeEscalation: false`, a setuid binary can give the process more "
    "privileges than its user has.",
    "Set `securityContext.allowPrivilegeEscalation: false` on every container.",
    peers=("polaris:privilegeEscalationAllowed", "kube-linter:privilege-escalation-container",
           "checkov:CKV_K8S_20", "checkov:CKV_K8S_30"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      securityContext:\n'
        '        allowPrivilegeEscalation: false'))
def privilege_escalation(doc, ctx):
    for obj, pod, c, is_init in each_container(doc.model.objects):
        sc = _sc(c)
        if _privileged(c):
            continue   # privileged implies escalation: said once, on `privileged` (K8013)
        if sc.get("allowPrivilegeEscalation") is not False:
            yield _calibrate(_sc_hit(obj, c, "allowPrivilegeEscalation",
                                     f"container `{cname(c)}`: `allowPrivilegeEscalation` "
                                     "is not false"), pod, "caps", "suggestion", c)


@rules.rule(
    "K8015", "warning", "security", "Container may run as root",
    "Without `runAsNonRoot: true` (or a non-zero `runAsUser`) the container runs as the "
    "image's user, often root; `runAsUser: 0` asks for root explicitly.",
    "Set `runAsNonRoot: true` and a numeric `runAsUser` (e.g. 10001) in the pod or "
    "container securityContext.",
    peers=("polaris:runAsRootAllowed", "kube-linter:run-as-non-root", "checkov:CKV_K8S_23",
           "checkov:CKV_K8S_29"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  securityContext:\n'
        '    runAsNonRoot: true\n'
        '    runAsUser: 10001\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2'))
def run_as_root(doc, ctx):
    for obj, pod, c, is_init in each_container(doc.model.objects):
        user, node = effective_security(pod, c, "runAsUser")
        non_root, node2 = effective_security(pod, c, "runAsNonRoot")
        if user == 0:
            h = at(node, "runAsUser", obj, f"container `{cname(c)}` runs as UID 0")
        elif non_root is not True and not (isinstance(user, int) and user > 0):
            h = _sc_hit(obj, c, "runAsNonRoot",
                        f"container `{cname(c)}`: nothing prevents running as root")
            _calibrate(h, pod, "privileged", "suggestion", c)
            if h.severity is None and drops_privileges_image(c.get("image")):
                h.severity = "suggestion"
                h.message += (f" (`{c.get('image')}` starts as root and switches to its own "
                              "user; set `runAsUser` to that user to enforce it)")
        else:
            continue
        yield _part_of(h, doc, ctx, obj, "K8015")


@rules.rule(
    "K8016", "suggestion", "security", "UID or GID below 10000",
    "Low UIDs collide with users of the node (a container escape as UID 1000 may be a real "
    "user there).",
    "Use `runAsUser`/`runAsGroup` of 10000 or more.",
    peers=("kube-score:container-security-context-user-group-id", "checkov:CKV_K8S_40"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  securityContext:\n'
        '    runAsNonRoot: true\n'
        '    runAsUser: 10001\n'
        '    runAsGroup: 10001\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2'))
def low_uid(doc, ctx):
    for obj, pod, c, is_init in each_container(doc.model.objects):
        for key in ("runAsUser", "runAsGroup"):
            value, node = effective_security(pod, c, key)
            if isinstance(value, int) and 0 < value < 10000:
                yield at(node, key, obj, f"container `{cname(c)}`: `{key}: {value}`")


@rules.rule(
    "K8017", "suggestion", "security", "Root filesystem is writable",
    "A read-only root filesystem stops an intruder from modifying binaries or dropping "
    "tools; writable paths become explicit volumes.",
    "Set `readOnlyRootFilesystem: true` and mount `emptyDir` volumes where the app writes.",
    peers=("polaris:notReadOnlyRootFilesystem",
           "kube-score:container-security-context-readonlyrootfilesystem",
           "kube-linter:no-read-only-root-fs", "checkov:CKV_K8S_22"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      securityContext:\n'
        '        readOnlyRootFilesystem: true\n'
        '      volumeMounts:\n'
        '        - {name: tmp, mountPath: /tmp}\n'
        '  volumes:\n'
        '    - name: tmp\n'
        '      emptyDir: {}'))
def read_only_root(doc, ctx):
    for obj, pod, c, is_init in each_container(doc.model.objects):
        if _sc(c).get("readOnlyRootFilesystem") is not True:
            yield _sc_hit(obj, c, "readOnlyRootFilesystem",
                          f"container `{cname(c)}`: root filesystem is writable")


@rules.rule(
    "K8018", "suggestion", "security", "No seccomp profile",
    "Without `seccompProfile: RuntimeDefault` the container can make every system call, "
    "including the ones most kernel exploits need; `Unconfined` says so explicitly.",
    "Set `securityContext.seccompProfile.type: RuntimeDefault` on the pod.",
    peers=("polaris:linuxHardening", "kube-score:container-seccomp-profile",
           "checkov:CKV_K8S_31"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  securityContext:\n'
        '    seccompProfile: {type: RuntimeDefault}\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2'))
def seccomp(doc, ctx):
    said = set()     # a pod-level `Unconfined` is said once for its pod, not per container
    for obj, pod, c, is_init in each_container(doc.model.objects):
        profile, node = effective_security(pod, c, "seccompProfile")
        kind = profile.get("type") if isinstance(profile, dict) else None
        if kind == "Unconfined":
            if node is pod.get("securityContext"):
                if id(node) not in said:
                    said.add(id(node))
                    yield _unconfined(profile, obj, pod, None)
            else:
                yield _unconfined(profile, obj, pod, c)
        elif kind is None:
            yield _sc_hit(obj, c, "seccompProfile", f"container `{cname(c)}`: no seccomp profile")


def _unconfined(profile, obj, pod, c):
    """`Unconfined` on a container, or (c None) on the pod for all its containers; lower
    for a well-known agent that needs the kernel's full interface (a CNI, a CSI plugin)."""
    what = f"container `{cname(c)}`" if c is not None else "pod (every container)"
    h = at(profile, "type", obj, f"{what}: seccomp `Unconfined`")
    h.severity = "warning"
    return _calibrate(h, pod, "caps", "suggestion", c)


@rules.rule(
    "K8019", "warning", "security", "Unmasked /proc",
    "`procMount: Unmasked` exposes kernel details the runtime normally hides.",
    "Remove `procMount` (the default is `Default`).",
    peers=("polaris:procMount", "kube-linter:unsafe-proc-mount"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      securityContext:\n'
        '        allowPrivilegeEscalation: false'))
def proc_mount(doc, ctx):
    for obj, pod, c, is_init in each_container(doc.model.objects):
        if _sc(c).get("procMount") == "Unmasked":
            yield at(_sc(c), "procMount", obj, f"container `{cname(c)}`: `procMount: Unmasked`")


_SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                 "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
                 "net.ipv4.ip_unprivileged_port_start", "net.ipv4.ip_local_reserved_ports",
                 "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                 "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}


@rules.rule(
    "K8020", "warning", "security", "Unsafe sysctl",
    "Sysctls outside Kubernetes' safe set affect the whole node, not just the pod.",
    "Remove it, or set it on the node and allow it explicitly in the kubelet.",
    peers=("kube-linter:unsafe-sysctls",),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  securityContext:\n'
        '    sysctls:\n'
        '      - {name: net.ipv4.ip_unprivileged_port_start, value: "80"}\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2'))
def unsafe_sysctls(doc, ctx):
    for obj, pod, _ in each_pod(doc.model.objects):
        psc = pod.get("securityContext")
        for s in mappings(psc, "sysctls"):
            if str(s.get("name")) not in _SAFE_SYSCTLS:
                yield at(s, "name", obj, f"sysctl `{s.get('name')}`")


_CRITICAL_CAPS = {"ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_RAWIO", "SYS_PTRACE", "BPF"}


@rules.rule(
    "K8021", "warning", "security", "Dangerous capability added",
    "`SYS_ADMIN`, `ALL`, `NET_ADMIN` and friends let a container reconfigure the node or "
    "escape; the first two are as good as privileged.",
    "Remove the capability, or keep only the narrow one that the app needs "
    "(`NET_BIND_SERVICE`).",
    peers=("polaris:dangerousCapabilities", "checkov:CKV_K8S_39", "checkov:CKV_K8S_25"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      securityContext:\n'
        '        capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}'))
def dangerous_caps(doc, ctx):
    for obj, pod, c, is_init in each_container(doc.model.objects):
        if _privileged(c):
            continue   # said once, on `privileged` (K8013)
        caps = _sc(c).get("capabilities")
        for cap in scalars(caps, "add"):
            name = str(cap).upper().removeprefix("CAP_")
            if name in _CRITICAL_CAPS or name in ("NET_ADMIN", "SYS_TIME", "NET_RAW"):
                h = at(caps, "add", obj, f"container `{cname(c)}` adds `{name}`")
                if name in _CRITICAL_CAPS:
                    h.severity = "critical"
                yield _calibrate(h, pod, "caps",
                                 "warning" if name in _CRITICAL_CAPS else "suggestion", c)


@rules.rule(
    "K8022", "suggestion", "security", "Capabilities not dropped",
    "Containers start with the runtime's default capabilities, NET_RAW among them (raw "
    "packets, ARP spoofing on the pod network). Most applications need none.",
    "Add `securityContext.capabilities.drop: [ALL]` (and `add` back only what is needed).",
    positive="All capabilities dropped in {name}",
    peers=("polaris:insecureCapabilities", "kube-linter:drop-net-raw-capability",
           "checkov:CKV_K8S_37", "checkov:CKV_K8S_28"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      securityContext:\n'
        '        capabilities: {drop: [ALL]}'))
def drop_caps(doc, ctx):
    for obj, pod, _ in each_pod(doc.model.objects):
        ok = True
        for c, is_init in containers_of(pod):
            caps = _sc(c).get("capabilities")
            dropped = {str(x).upper() for x in scalars(caps, "drop")}
            if _privileged(c):
                ok = False
                continue   # said once, on `privileged` (K8013)
            if "ALL" not in dropped:
                ok = False
                yield _sc_hit(obj, c, "capabilities",
                              f"container `{cname(c)}` does not drop ALL capabilities"
                              + ("" if "NET_RAW" in dropped else " (NET_RAW kept)"))
        if ok and list(containers_of(pod)):
            yield Pass(obj.line, name=obj.label)


@rules.rule(
    "K8023", "warning", "security", "Host namespace shared",
    "`hostNetwork`, `hostPID` or `hostIPC` give the pod the node's network stack, process "
    "list or shared memory: it can sniff traffic, signal host processes or bypass "
    "NetworkPolicies.",
    "Remove them unless this is a node agent (CNI, monitoring) that needs them.",
    peers=("polaris:hostNetworkSet", "polaris:hostPIDSet", "polaris:hostIPCSet",
           "kube-linter:host-network", "kube-linter:host-pid", "kube-linter:host-ipc",
           "checkov:CKV_K8S_19", "checkov:CKV_K8S_17", "checkov:CKV_K8S_18"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      ports:\n'
        '        - {name: http, containerPort: 80}'))
def host_namespaces(doc, ctx):
    for obj, pod, _ in each_pod(doc.model.objects):
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            if pod.get(key) is True:
                h = _calibrate(at(pod, key, obj, f"`{key}: true`"), pod, "host", "suggestion")
                yield _part_of(h, doc, ctx, obj, "K8023") if key == "hostNetwork" else h


@rules.rule(
    "K8024", "warning", "security", "hostPort used",
    "A hostPort opens the port on the node's address, bypasses Services and limits the pod "
    "to one per node.",
    "Use a Service (ClusterIP behind an Ingress, or NodePort/LoadBalancer if it must be "
    "reached from outside).",
    peers=("polaris:hostPortSet", "checkov:CKV_K8S_26"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        '  labels: {app: web}\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      ports:\n'
        '        - {name: http, containerPort: 80}\n'
        '---\n'
        'apiVersion: v1\n'
        'kind: Service\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  selector: {app: web}\n'
        '  ports:\n'
        '    - {port: 80, targetPort: http}'))
def host_port(doc, ctx):
    for obj, pod, c, is_init in each_container(doc.model.objects):
        for p in mappings(c, "ports"):
            if p.get("hostPort"):
                yield at(p, "hostPort", obj, f"container `{cname(c)}`: "
                                             f"`hostPort: {p.get('hostPort')}`")


_SENSITIVE = ("/", "/etc", "/proc", "/sys", "/root", "/boot", "/dev", "/var/run", "/run",
              "/var/lib/kubelet", "/var/lib/docker", "/var/lib/containerd", "/usr", "/lib",
              "/home", "/var/log")
_SOCKET = re.compile(r"(?:docker|containerd|crio|podman)\.sock$")


def _host_paths(pod):
    for v in mappings(pod, "volumes"):
        if isinstance(v.get("hostPath"), dict):
            yield v, str(v["hostPath"].get("path", ""))


@rules.rule(
    "K8025", "critical", "security", "Container runtime socket mounted",
    "The docker/containerd socket lets the pod start privileged containers on the node: "
    "full node compromise.",
    "Remove the mount; build images with a rootless builder (BuildKit rootless, Kaniko).",
    peers=("kube-linter:docker-sock", "checkov:CKV_K8S_27"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      volumeMounts:\n'
        '        - {name: cache, mountPath: /var/cache/nginx}\n'
        '  volumes:\n'
        '    - name: cache\n'
        '      emptyDir: {}'))
def runtime_socket(doc, ctx):
    for obj, pod, _ in each_pod(doc.model.objects):
        for v, path in _host_paths(pod):
            if _SOCKET.search(path.rstrip("/")):
                h = _calibrate(at(v["hostPath"], "path", obj, f"hostPath `{path}`"), pod,
                               "socket", "warning")
                yield _part_of(h, doc, ctx, obj, "K8025")


@rules.rule(
    "K8026", "warning", "security", "hostPath volume",
    "A hostPath ties the pod to one node's disk and exposes that path; a sensitive one "
    "(`/etc`, `/proc`, `/var/lib/kubelet` …) gives the pod knowledge or control of the node.",
    "Use a PersistentVolumeClaim, a ConfigMap/Secret, or an `emptyDir`.",
    peers=("polaris:hostPathSet", "kube-linter:sensitive-host-mounts",
           "kube-linter:writable-host-mount"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      volumeMounts:\n'
        '        - {name: data, mountPath: /usr/share/nginx/html}\n'
        '  volumes:\n'
        '    - name: data\n'
        '      persistentVolumeClaim: {claimName: web-data}'))
def host_path(doc, ctx):
    for obj, pod, _ in each_pod(doc.model.objects):
        for v, path in _host_paths(pod):
            if _SOCKET.search(path.rstrip("/")):
                continue   # K8025
            clean = path.rstrip("/") or "/"
            sensitive = any(clean == p or clean.startswith(p + "/") for p in _SENSITIVE
                            if p != "/") or clean == "/"
            h = _calibrate(at(v["hostPath"], "path", obj, f"hostPath `{path}`"
                              + (" (a sensitive host path)" if sensitive else "")),
                           pod, "host", "suggestion")
            yield _part_of(h, doc, ctx, obj, "K8026") if clean == "/" else h


@rules.rule(
    "K8027", "warning", "security", "Windows hostProcess container",
    "A hostProcess container runs directly on the Windows node with its privileges.",
    "Remove `hostProcess: true` unless this is a node-management DaemonSet.",
    peers=("polaris:hostProcess",),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  nodeSelector: {kubernetes.io/os: windows}\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2022'))
def host_process(doc, ctx):
    for obj, pod, c, is_init in each_container(doc.model.objects):
        win = _sc(c).get("windowsOptions")
        if isinstance(win, dict) and win.get("hostProcess") is True:
            yield at(win, "hostProcess", obj, f"container `{cname(c)}`: `hostProcess: true`")


@rules.rule(
    "K8028", "critical", "security", "Secret written as a literal in `env`",
    "A credential in the manifest is in git, in `kubectl get -o yaml` for anyone who can "
    "read the workload, and in every copy of the file.",
    "Store it in a Secret (from a secret manager, Sealed Secrets or SOPS) and mount it as a "
    "file, or reference it with `valueFrom.secretKeyRef`.",
    peers=("polaris:sensitiveContainerEnvVar", "kube-linter:env-var-secret"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      env:\n'
        '        - name: DB_PASSWORD\n'
        '          valueFrom:\n'
        '            secretKeyRef: {name: db, key: password}'))
def env_literal_secret(doc, ctx):
    for obj, pod, c, is_init in each_container(doc.model.objects):
        for e in mappings(c, "env"):
            if not isinstance(e.get("value"), str):
                continue
            name, value = str(e.get("name", "")), e["value"]
            if value and (token_kind(value) or (is_secret_name(name) and (
                    is_literal_secret_value(value, name) or is_weak_default(value)))):
                h = at(e, "value", obj, f"container `{cname(c)}`: `{name}={MASK}`")
                h.severity, note = secret_context(h.path or obj.path, value)
                h.message += note
                yield h


@rules.rule(
    "K8029", "suggestion", "security", "Secret exposed as an environment variable",
    "Environment variables leak: crash dumps, `/proc/*/environ`, child processes and error "
    "pages print them. Mounted files stay in the container's filesystem.",
    "Mount the Secret as a volume and point the app at the file (`*_FILE` variables).",
    peers=("kube-linter:read-secret-from-env-var", "checkov:CKV_K8S_35"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      env:\n'
        '        - {name: DB_PASSWORD_FILE, value: /run/secrets/db/password}\n'
        '      volumeMounts:\n'
        '        - {name: db, mountPath: /run/secrets/db, readOnly: true}\n'
        '  volumes:\n'
        '    - name: db\n'
        '      secret: {secretName: db}'))
def env_secret_ref(doc, ctx):
    for obj, pod, c, is_init in each_container(doc.model.objects):
        for e in mappings(c, "env"):
            ref = e.get("valueFrom")
            if isinstance(ref, dict) and isinstance(ref.get("secretKeyRef"), dict):
                yield at(e, "valueFrom", obj, f"container `{cname(c)}`: `{e.get('name')}` "
                                              "comes from a Secret")
        for src in mappings(c, "envFrom"):
            if isinstance(src.get("secretRef"), dict):
                yield at(src, "secretRef", obj, f"container `{cname(c)}`: all keys of Secret "
                                                f"`{src['secretRef'].get('name')}` as env")


@rules.rule(
    "K8030", "warning", "reliability", "Environment variable defined twice",
    "When a name appears twice in `env`, the last one silently wins: the first value is "
    "dead and misleading.",
    "Keep one entry per name.",
    peers=("kube-score:environment-variable-key-duplication", "kube-linter:duplicate-env-var"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      env:\n'
        '        - {name: LOG_LEVEL, value: info}\n'
        '        - {name: TZ, value: Europe/Paris}'))
def duplicate_env(doc, ctx):
    for obj, pod, c, is_init in each_container(doc.model.objects):
        seen = set()
        for e in mappings(c, "env"):
            name = str(e.get("name"))
            if name in seen:
                yield at(e, "name", obj, f"container `{cname(c)}`: `{name}` defined twice")
            seen.add(name)


@rules.rule(
    "K8031", "suggestion", "security", "Service account token mounted",
    "Every pod gets an API token by default; most applications never call the API, and a "
    "stolen token is the first step of many cluster attacks.",
    "Set `automountServiceAccountToken: false` on the pod (or its ServiceAccount) unless "
    "it talks to the Kubernetes API.",
    peers=("polaris:automountServiceAccountToken", "checkov:CKV_K8S_38"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  automountServiceAccountToken: false\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2'))
def token_automount(doc, ctx):
    sa_off = {(o.namespace or "default", o.name) for o in run_index(ctx).of("ServiceAccount")
              if o.data.get("automountServiceAccountToken") is False}
    for obj, pod, _ in each_pod(doc.model.objects):
        sa = str(pod.get("serviceAccountName") or "default")
        if pod.get("automountServiceAccountToken") is not False and \
                (obj.namespace or "default", sa) not in sa_off:
            yield at(pod, "automountServiceAccountToken", obj, "service account token is "
                                                                "mounted")


class RunIndex:
    """Built once per run, so that cross-object rules stay linear in the input.

    Namespaces: an object is in its `metadata.namespace`, else in the namespace of the
    kustomization that lists it (when that kustomization was not rendered and its
    resources are reviewed as written), else in `default`. Selectors (Service, PDB,
    NetworkPolicy) only ever match pods of their own namespace."""

    def __init__(self, objects, namespaces=None, generated=()):
        from infra_expert.kubernetes.model import pod_template
        self.objects = objects
        self.by_kind = {}
        self.keys = set(generated)     # (kind, namespace, name) made by kustomize generators
        self.pods_by_ns = {}
        self.memo = {}
        self._label_index = None
        self._namespaces = namespaces or {}
        for o in objects:
            self.by_kind.setdefault(o.kind, []).append(o)
            self.keys.add((o.kind, self.namespace(o), o.name))
            for name in _secrets_made_by(o):
                self.keys.add(("Secret", self.namespace(o), name))
            pod, meta = pod_template(o) if o.kind in _WORKLOAD_KINDS else (None, None)
            if pod is not None:
                labels = meta.get("labels") if isinstance(meta, dict) else None
                self.pods_by_ns.setdefault(self.namespace(o), []).append(
                    (o, pod, labels if isinstance(labels, dict) else {}))

    def namespace(self, obj):
        return obj.namespace or self._namespaces.get(id(obj)) or "default"

    def present(self, kind, namespace, name):
        """An object of the run, one a controller or generator makes, or one a Helm
        release of the run installs: what the "not in the reviewed files" rules ask."""
        return (kind, namespace, str(name)) in self.keys or self.from_chart(namespace, name)

    def from_chart(self, namespace, name):
        """True when a Helm release of the run (a Flux HelmRelease, an Argo CD
        Application with a Helm source, a k3s HelmChart) installs into `namespace` under a
        name that `name` carries (`nextcloud`, `nextcloud-redis`): charts name what they
        create after the release, and what they create is not in the reviewed files."""
        name = str(name)
        if "{{" in name:
            return True     # `{{ .Release.Name }}-secret`: the chart names it at install
        releases = self.cached("releases", self._releases)
        return any(name == r or name.startswith(r + "-") for r in releases.get(namespace, ()))

    def _releases(self):
        """{namespace: release names and name overrides} of the run's Helm releases."""
        from infra_expert.kubernetes.model import flux_release_name
        out = {}
        for o in self.objects:
            spec = o.data.get("spec") if isinstance(o.data, dict) else None
            if not isinstance(spec, dict):
                continue
            if o.kind == "HelmRelease":
                target, names = spec.get("targetNamespace"), [flux_release_name(o)]
                values = spec.get("values")
                if isinstance(values, dict):
                    names += [values.get("fullnameOverride"), values.get("nameOverride")]
            elif o.kind == "HelmChart" and o.api_version.startswith("helm.cattle.io/"):
                target, names = spec.get("targetNamespace"), [o.name]
            elif o.kind == "Application" and o.api_version.startswith("argoproj.io/"):
                destination = spec.get("destination")
                target = destination.get("namespace") if isinstance(destination, dict) else None
                sources = [spec.get("source")] + (spec.get("sources") if isinstance(
                    spec.get("sources"), list) else [])
                helm = [x.get("helm") for x in sources if isinstance(x, dict)
                        and (x.get("chart") or isinstance(x.get("helm"), dict))]
                names = [(h.get("releaseName") if isinstance(h, dict) else None) or o.name
                         for h in helm]
            else:
                continue
            namespace = str(target) if target else self.namespace(o)
            out.setdefault(namespace, set()).update(str(n) for n in names if n)
        return out

    def of(self, kind):
        return self.by_kind.get(kind, [])

    def cached(self, name, build):
        """A derived set computed once per run (services by name, HPA targets …)."""
        if name not in self.memo:
            self.memo[name] = build()
        return self.memo[name]

    def pods_matching(self, namespace, selector):
        """Workloads of a namespace whose pod labels match a selector. matchLabels are
        looked up in an index; expressions are checked on the few candidates left."""
        from infra_expert.kubernetes.model import selector_matches
        pods = self.pods_by_ns.get(namespace, [])
        if not isinstance(selector, dict):
            return []
        match = selector.get("matchLabels") if ("matchLabels" in selector
                                                or "matchExpressions" in selector) else selector
        if self._label_index is None:
            self._label_index = {}
            for ns, items in self.pods_by_ns.items():
                for i, (_, _, labels) in enumerate(items):
                    for k, v in labels.items():
                        self._label_index.setdefault((ns, str(k), str(v)), set()).add(i)
        candidates = None
        for k, v in (match or {}).items() if isinstance(match, dict) else ():
            found = self._label_index.get((namespace, str(k), str(v)), set())
            candidates = found if candidates is None else candidates & found
        indexes = range(len(pods)) if candidates is None else sorted(candidates)
        return [pods[i] for i in indexes if selector_matches(selector, pods[i][2])]


_WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob",
                   "Pod", "ReplicationController"}


# Controllers that write a Secret from another object, and where its name is:
# (kind, path to the name in the object, falls back to the object's own name)
_SECRET_MAKERS = {
    "ExternalSecret": (("spec", "target", "name"), True),        # external-secrets.io
    "SealedSecret": (("spec", "template", "metadata", "name"), True),   # bitnami
    "OnePasswordItem": ((), True),                                # 1Password operator
    "InfisicalSecret": (("spec", "managedSecretReference", "secretName"), False),
    "VaultStaticSecret": (("spec", "destination", "name"), False),  # Vault Secrets Operator
    "VaultDynamicSecret": (("spec", "destination", "name"), False),
    "VaultPKISecret": (("spec", "destination", "name"), False),
    "Certificate": (("spec", "secretName"), False),               # cert-manager
}


def _secrets_made_by(obj):
    """Names of the Secrets an ExternalSecret, SealedSecret, 1Password item, Vault or
    Infisical secret, cert-manager Certificate, CSI SecretProviderClass or CloudNativePG
    Cluster creates."""
    if obj.kind == "Cluster" and str(obj.api_version).startswith("postgresql.cnpg.io/"):
        # CloudNativePG writes the application and superuser credentials
        return [f"{obj.name}-app", f"{obj.name}-superuser"] if obj.name else []
    if obj.kind == "SecretProviderClass":
        spec = obj.data.get("spec") if isinstance(obj.data, dict) else None
        found = spec.get("secretObjects") if isinstance(spec, dict) else None
        return [str(s["secretName"]) for s in found if isinstance(s, dict)
                and s.get("secretName")] if isinstance(found, list) else []
    maker = _SECRET_MAKERS.get(obj.kind)
    if maker is None:
        return []
    path, own_name = maker
    node = obj.data
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, str) and node:
        return [node]
    return [obj.name] if own_name and obj.name else []


def _run_index(ctx):
    """The RunIndex of every object of the run."""
    docs = [d for d in ctx.documents if d.domain == "kubernetes" and d.model is not None
            and hasattr(d.model, "objects")]
    return RunIndex([o for d in docs for o in d.model.objects],
                    _kustomize_namespaces(ctx, docs), _generated(ctx))


def _generated(ctx):
    """(kind, namespace, name) of the ConfigMaps and Secrets kustomizations generate
    (`configMapGenerator`, `secretGenerator`): kustomize adds a hash to the name and
    rewrites the references of its resources to it."""
    from infra_expert.kubernetes.kustomize import entries
    out = set()
    for k in ctx.documents:
        if k.domain != "kubernetes" or k.kind != "kustomization":
            continue
        data = entries(k, ctx)
        namespace = data.get("namespace")
        for key, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
            items = data.get(key)
            for gen in items if isinstance(items, list) else ():
                if isinstance(gen, dict) and gen.get("name"):
                    ns = gen.get("namespace") or namespace
                    out.add((kind, str(ns) if isinstance(ns, str) and ns else "default",
                             str(gen["name"])))
    return out


def run_index(ctx):
    return ctx.index(_run_index)


def _kustomize_namespaces(ctx, docs):
    """{id(object): namespace} for objects with no namespace of their own that an
    unrendered kustomization with `namespace:` lists (the file itself, or a folder above
    it). The kustomization in the file's own folder wins; otherwise a namespace is given
    only when every kustomization that reaches the file agrees on it."""
    import os

    from infra_expert.kubernetes.kustomize import entries
    claims = {}     # abspath of a manifest -> {namespace: nearest distance}
    for k in ctx.documents:
        if k.kind != "kustomization" or k.model is not None:
            continue
        data = entries(k, ctx)
        namespace = data.get("namespace")
        if not isinstance(namespace, str) or not namespace or "$" in namespace:
            continue
        here = os.path.dirname(os.path.abspath(k.abspath))
        for key in ("resources", "bases"):
            items = data.get(key)
            for item in items if isinstance(items, list) else ():
                if not isinstance(item, str):
                    continue
                target = os.path.normpath(os.path.join(here, item))
                for d in docs:
                    path = os.path.abspath(d.abspath)
                    if path == target or path.startswith(target + os.sep):
                        distance = 0 if os.path.dirname(path) == here else 1
                        seen = claims.setdefault(path, {})
                        seen[namespace] = min(distance, seen.get(namespace, distance))
    out = {}
    for d in docs:
        seen = claims.get(os.path.abspath(d.abspath))
        if not seen:
            continue
        near = [ns for ns, dist in seen.items() if dist == 0]
        ns = near[0] if len(near) == 1 else (next(iter(seen)) if len(seen) == 1 else None)
        if ns:
            for o in d.model.objects:
                if not o.namespace:
                    out[id(o)] = ns
    return out


@rules.rule(
    "K8032", "suggestion", "security", "Pod uses the default service account",
    "All pods of the namespace share the `default` account: permissions granted for one "
    "app are given to every other.",
    "Create a ServiceAccount per application and set `serviceAccountName`.",
    peers=("kube-linter:default-service-account", "checkov:CKV_K8S_41"),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  serviceAccountName: web\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '---\n'
        'apiVersion: v1\n'
        'kind: ServiceAccount\n'
        'metadata:\n'
        '  name: web'))
def default_sa(doc, ctx):
    for obj, pod, _ in each_pod(doc.model.objects):
        if str(pod.get("serviceAccountName") or pod.get("serviceAccount") or "default") == \
                "default" and pod.get("automountServiceAccountToken") is not False:
            yield at(pod, "serviceAccountName", obj, "runs with the `default` service account")


@rules.rule(
    "K8033", "suggestion", "elegance", "Deprecated `serviceAccount` field",
    "`serviceAccount` is a deprecated alias of `serviceAccountName`.",
    "Rename it to `serviceAccountName`.",
    peers=("kube-linter:deprecated-service-account-field",),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  serviceAccountName: web\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '---\n'
        'apiVersion: v1\n'
        'kind: ServiceAccount\n'
        'metadata:\n'
        '  name: web'))
def deprecated_sa_field(doc, ctx):
    for obj, pod, _ in each_pod(doc.model.objects):
        if "serviceAccount" in pod:
            yield at(pod, "serviceAccount", obj, "`serviceAccount:` is deprecated")


@rules.rule(
    "K8090", "critical", "security", "Compound: privileged on the host network",
    "`privileged` alone is root on the node; with `hostNetwork` the pod also sits on the "
    "node's network stack: node-local services (kubelet, etcd on a control-plane node), "
    "the cloud metadata endpoint and every other pod's traffic are in reach. One "
    "compromise of this container is the node and a foothold on the cluster.",
    "Drop `privileged` for the capabilities the container needs, or leave the host "
    "network; node agents that need both (CNI, CSI) are recognised and not reported here.",
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  hostNetwork: true\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      securityContext:\n'
        '        capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}'))
def compound_privileged_host_network(doc, ctx):
    for rule_id, obj, node, key, text in _chains(doc, ctx)[1]:
        if rule_id == "K8090":
            yield at(node, key, obj, text)


@rules.rule(
    "K8091", "critical", "security", "Compound: node root or runtime socket + root",
    "A hostPath of the node's `/` (writable) or of the container runtime socket, used by a "
    "container that is privileged or may run as root, controls the node: it starts "
    "containers beside the kubelet or rewrites the host's files. Node agents that need "
    "it (CSI, monitoring) are recognised and not reported here.",
    "Remove the hostPath; mount only the narrow path needed, read-only, and run as a "
    "non-root user (`runAsNonRoot: true`).",
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      volumeMounts:\n'
        '        - {name: logs, mountPath: /var/log/app, readOnly: true}\n'
        '  securityContext:\n'
        '    runAsNonRoot: true\n'
        '    runAsUser: 10001\n'
        '  volumes:\n'
        '    - name: logs\n'
        '      hostPath: {path: /var/log/app}'))
def compound_node_takeover(doc, ctx):
    for rule_id, obj, node, key, text in _chains(doc, ctx)[1]:
        if rule_id == "K8091":
            yield at(node, key, obj, text)
