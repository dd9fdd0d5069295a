"""Kubernetes rules about objects and how they fit together: RBAC, Services, Ingress,
NetworkPolicies, PDBs, HPAs, Jobs, namespaces, API versions, labels."""

from __future__ import annotations

import re

from infra_expert.kubernetes.model import (ChartWorkload, at, containers_of, each_pod, mappings,
                                           selector_matches)
from infra_expert.kubernetes.rules_workload import run_index
from infra_expert.model import Hit, RuleSet
from infra_expert.secrets import MASK, is_literal_secret_value, is_secret_name, token_kind

rules = RuleSet("kubernetes")


def _of(doc, *kinds):
    return [o for o in doc.model.objects if o.kind in kinds]


def _spec(obj):
    spec = obj.data.get("spec")
    return spec if isinstance(spec, dict) else {}


def _ns(ctx, obj):
    """The object's namespace as the run sees it: its own, else its (unrendered)
    kustomization's, else `default` (see RunIndex)."""
    return run_index(ctx).namespace(obj)


def _pods_in(ctx, namespace):
    """(workload, pod spec, pod template labels) of every workload of the run in a
    namespace."""
    return run_index(ctx).pods_by_ns.get(namespace, [])


@rules.rule(
    "K8040", "critical", "reliability", "Manifest cannot be read",
    "Invalid YAML or a document without `apiVersion`/`kind`: `kubectl apply` refuses the "
    "file.",
    "Fix the reported line (`kubectl apply --dry-run=client -f FILE` shows the same).",
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2'))
def unreadable(doc, ctx):
    for line, message in doc.model.problems:
        yield Hit(line, message)


# --------------------------------------------------------------------------- RBAC ----
def _rules_of(obj):
    rules_ = obj.data.get("rules")
    return [r for r in rules_ if isinstance(r, dict)] if isinstance(rules_, list) else []


def _strs(value):
    return [str(v) for v in value] if isinstance(value, list) else []


_BUILTIN_CLUSTER_ROLES = {"cluster-admin", "admin", "edit", "view"}


def _builtin(obj):
    """Kubernetes' own bootstrap RBAC objects, exempt by name as kube-linter, checkov and
    polaris exempt them: any `system:` name (`system:basic-user`, `system:node`, …), the
    default ClusterRoles `cluster-admin`, `admin`, `edit` and `view`, and the default
    ClusterRoleBinding `cluster-admin` (to the group `system:masters`)."""
    name = obj.name or ""
    if name.startswith("system:"):
        return True
    if obj.kind == "ClusterRole":
        return name in _BUILTIN_CLUSTER_ROLES
    if obj.kind == "ClusterRoleBinding" and name == "cluster-admin":
        return all(isinstance(s, dict) and s.get("name") == "system:masters"
                   for s in obj.data.get("subjects") or [{}])
    return False


def _rbac(doc, *kinds):
    return [o for o in _of(doc, *kinds) if not _builtin(o)]


def _grants(rule, group, resource, verbs):
    """True when a PolicyRule grants one of `verbs` on `resource` (`pods/exec`) of API
    `group` (`""` for the core group). `*` in apiGroups, resources or verbs grants
    everything, `pods/*` every subresource of pods; `resourceNames` narrows it."""
    groups = _strs(rule.get("apiGroups")) if "apiGroups" in rule else [""]
    resources = _strs(rule.get("resources"))
    base = resource.split("/", 1)[0]
    return (("*" in groups or group in groups)
            and ("*" in resources or resource in resources or f"{base}/*" in resources)
            and bool(set(_strs(rule.get("verbs"))) & (set(verbs) | {"*"})))


@rules.rule(
    "K8041", "critical", "security", "Binding to cluster-admin",
    "Whoever holds the bound subject (a ServiceAccount token in a pod) controls the whole "
    "cluster.",
    "Bind a Role with the few verbs and resources needed, in its namespace.",
    peers=("polaris:clusterrolebindingClusterAdmin",
           "polaris:rolebindingClusterAdminClusterRole", "polaris:rolebindingClusterAdminRole",
           "kube-linter:cluster-admin-role-binding"),
    example=(
        'apiVersion: rbac.authorization.k8s.io/v1\n'
        'kind: RoleBinding\n'
        'metadata:\n'
        '  name: deployer\n'
        '  namespace: shop\n'
        'roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}\n'
        'subjects:\n'
        '  - {kind: ServiceAccount, name: deployer, namespace: shop}'))
def cluster_admin(doc, ctx):
    """Edge cases: RoleBindings count too (a RoleBinding to the `cluster-admin`
    ClusterRole is admin of that namespace); Kubernetes' own `cluster-admin` binding to
    `system:masters` and `system:` bindings are exempt by name."""
    for obj in _rbac(doc, "ClusterRoleBinding", "RoleBinding"):
        ref = obj.data.get("roleRef")
        if isinstance(ref, dict) and str(ref.get("name")) == "cluster-admin":
            yield at(ref, "name", obj, "binds `cluster-admin`")


@rules.rule(
    "K8042", "warning", "security", "Wildcard in RBAC rules",
    "`*` in verbs, resources or API groups grants everything, including kinds added later.",
    "List the verbs and resources explicitly.",
    peers=("kube-linter:wildcard-in-rules", "checkov:CKV_K8S_49"),
    example=(
        'apiVersion: rbac.authorization.k8s.io/v1\n'
        'kind: Role\n'
        'metadata:\n'
        '  name: deployer\n'
        '  namespace: shop\n'
        'rules:\n'
        '  - apiGroups: [apps]\n'
        '    resources: [deployments]\n'
        '    verbs: [get, list, patch]'))
def wildcard_rules(doc, ctx):
    """Edge cases (kube-linter wildcard-in-rules, checkov CKV_K8S_49): `*` in verbs,
    resources or apiGroups, one finding per rule; the built-in ClusterRoles
    (`cluster-admin`, `admin`, `edit`, `view`, `system:*`) are exempt by name."""
    for obj in _rbac(doc, "Role", "ClusterRole"):
        for r in _rules_of(obj):
            for key in ("verbs", "resources", "apiGroups"):
                if "*" in _strs(r.get(key)):
                    yield at(r, key, obj, f"`{key}: [\"*\"]`")
                    break


@rules.rule(
    "K8043", "warning", "security", "RBAC grants exec/attach into pods",
    "`pods/exec` or `pods/attach` lets the holder run commands in any pod it can reach, "
    "reading its secrets and tokens.",
    "Grant exec only to humans through a break-glass role, not to workloads.",
    peers=("polaris:clusterrolePodExecAttach", "polaris:rolePodExecAttach",
           "polaris:clusterrolebindingPodExecAttach",
           "polaris:rolebindingClusterRolePodExecAttach", "polaris:rolebindingRolePodExecAttach",
           "checkov:CKV2_K8S_2"),
    example=(
        'apiVersion: rbac.authorization.k8s.io/v1\n'
        'kind: Role\n'
        'metadata:\n'
        '  name: pod-reader\n'
        '  namespace: shop\n'
        'rules:\n'
        '  - apiGroups: [""]\n'
        '    resources: [pods, pods/log]\n'
        '    verbs: [get, list, watch]'))
def pod_exec(doc, ctx):
    """Edge cases (polaris *PodExecAttach, checkov CKV2_K8S_2): `pods/exec`, `pods/attach`
    and `nodes/proxy` with `create` (or `get`, which older API servers used for exec), in
    the core API group; wildcards grant them too: `resources: ["*"]` or `["pods/*"]`,
    `verbs: ["*"]`, `apiGroups: ["*"]`. Built-in roles (`system:*`, `admin`, `edit`,
    `cluster-admin`) are exempt by name."""
    for obj in _rbac(doc, "Role", "ClusterRole"):
        for r in _rules_of(obj):
            hit = [x for x in ("pods/exec", "pods/attach", "nodes/proxy")
                   if _grants(r, "", x, ("create", "get"))]
            if hit:
                named = hit[0] in _strs(r.get("resources"))
                yield at(r, "resources", obj, f"grants `{hit[0]}`" + (
                    "" if named else " (through a wildcard)"))


@rules.rule(
    "K8044", "suggestion", "security", "RBAC grants read access to Secrets",
    "Reading Secrets cluster- or namespace-wide exposes every credential stored there.",
    "Limit it with `resourceNames` to the Secrets the workload needs.",
    peers=("kube-linter:access-to-secrets", "checkov:CKV2_K8S_5"),
    example=(
        'apiVersion: rbac.authorization.k8s.io/v1\n'
        'kind: Role\n'
        'metadata:\n'
        '  name: app-secrets\n'
        '  namespace: shop\n'
        'rules:\n'
        '  - apiGroups: [""]\n'
        '    resources: [secrets]\n'
        '    resourceNames: [app-db]\n'
        '    verbs: [get]'))
def read_secrets(doc, ctx):
    """Edge cases (kube-linter access-to-secrets, checkov CKV2_K8S_5): `get`, `list` or
    `watch` on `secrets` of the core API group, wildcards included (`resources: ["*"]`,
    `verbs: ["*"]`, `apiGroups: ["*"]`); a rule of another API group only
    (`apiGroups: ["apps"]`, `resources: ["*"]`) grants no Secret; `resourceNames` limits
    it to named Secrets; built-in roles are exempt by name."""
    for obj in _rbac(doc, "Role", "ClusterRole"):
        for r in _rules_of(obj):
            if _grants(r, "", "secrets", ("get", "list", "watch")) \
                    and not r.get("resourceNames"):
                yield at(r, "resources", obj, "can read all Secrets")


@rules.rule(
    "K8045", "warning", "security", "RBAC allows escalate, bind or impersonate",
    "These verbs let the holder give itself any permission.",
    "Remove them; only cluster administrators need them.",
    peers=("checkov:CKV_K8S_155", "checkov:CKV_K8S_156", "checkov:CKV_K8S_157",
           "checkov:CKV_K8S_158"),
    example=(
        'apiVersion: rbac.authorization.k8s.io/v1\n'
        'kind: Role\n'
        'metadata:\n'
        '  name: deployer\n'
        '  namespace: shop\n'
        'rules:\n'
        '  - apiGroups: [rbac.authorization.k8s.io]\n'
        '    resources: [rolebindings]\n'
        '    verbs: [get, list]'))
def escalate(doc, ctx):
    """Edge cases (checkov CKV_K8S_155–158): `escalate`/`bind` on roles or clusterroles,
    `impersonate` on users, groups or serviceaccounts; `verbs: ["*"]` grants them too when
    the resources reach those kinds (`*` included); built-in roles exempt by name."""
    targets = (("rbac.authorization.k8s.io", ("roles", "clusterroles"), ("escalate", "bind")),
               ("", ("users", "groups", "serviceaccounts"), ("impersonate",)))
    for obj in _rbac(doc, "Role", "ClusterRole"):
        for r in _rules_of(obj):
            verbs = set(_strs(r.get("verbs"))) & {"escalate", "bind", "impersonate"}
            if verbs:
                yield at(r, "verbs", obj, f"verb `{sorted(verbs)[0]}`")
            elif "*" in _strs(r.get("verbs")) and any(
                    _grants(r, group, res, vs) for group, ress, vs in targets for res in ress):
                yield at(r, "verbs", obj, "verb `*` includes escalate, bind and impersonate")


# ------------------------------------------------------------------------ networking ----
@rules.rule(
    "K8046", "warning", "security", "Ingress without TLS",
    "Traffic to the Ingress is plain HTTP: logins and cookies cross the network in clear.",
    "Add a `tls:` section with the hosts and a certificate Secret (cert-manager issues "
    "them).",
    peers=("polaris:tlsSettingsMissing",),
    example=(
        'apiVersion: networking.k8s.io/v1\n'
        'kind: Ingress\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  tls:\n'
        '    - {hosts: [shop.example.com], secretName: shop-tls}\n'
        '  rules:\n'
        '    - host: shop.example.com\n'
        '      http:\n'
        '        paths:\n'
        '          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}'))
def ingress_tls(doc, ctx):
    for obj in _of(doc, "Ingress"):
        if not _spec(obj).get("tls"):
            yield at(obj.data, "spec", obj, "no `tls:`")


def _ingress_backends(obj):
    spec = _spec(obj)
    out = []
    default = spec.get("defaultBackend") or spec.get("backend")
    if isinstance(default, dict):
        out.append(default)
    for rule in mappings(spec, "rules"):
        for path in mappings(rule.get("http"), "paths"):
            if isinstance(path.get("backend"), dict):
                out.append(path["backend"])
    return out


@rules.rule(
    "K8047", "warning", "reliability", "Ingress backend Service not in the reviewed files",
    "The Ingress sends traffic to a Service that none of the reviewed manifests defines: a "
    "typo gives 503s. (It may exist elsewhere; the finding says what was checked.)",
    "Fix the Service name, or review it together with the manifests that define it.",
    peers=("kube-score:ingress-targets-service", "kube-linter:dangling-ingress"),
    example=(
        'apiVersion: networking.k8s.io/v1\n'
        'kind: Ingress\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  tls:\n'
        '    - {hosts: [shop.example.com], secretName: shop-tls}\n'
        '  rules:\n'
        '    - host: shop.example.com\n'
        '      http:\n'
        '        paths:\n'
        '          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}\n'
        '---\n'
        'apiVersion: v1\n'
        'kind: Service\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  selector: {app: web}\n'
        '  ports: [{port: 80}]'))
def ingress_backend(doc, ctx):
    index = run_index(ctx)
    if not index.of("Service"):
        return
    for obj in _of(doc, "Ingress"):
        for b in _ingress_backends(obj):
            svc = b.get("service") if isinstance(b.get("service"), dict) else None
            name = svc.get("name") if svc else b.get("serviceName")
            if name and not index.present("Service", _ns(ctx, obj), name):
                yield at(svc or b, "name" if svc else "serviceName", obj,
                         f"Service `{name}` is not in the reviewed files")


@rules.rule(
    "K8048", "warning", "reliability", "Service selects no pod",
    "No workload in the reviewed files has the labels the Service selects: it has no "
    "endpoints and every request fails.",
    "Make the selector match the pod template labels (or review the workload with it).",
    peers=("kube-score:service-targets-pod", "kube-linter:dangling-service"),
    example=(
        'apiVersion: v1\n'
        'kind: Service\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  selector: {app: web}\n'
        '  ports: [{port: 80, targetPort: http}]\n'
        '---\n'
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        '  labels: {app: web}\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      ports: [{name: http, containerPort: 80}]'))
def service_selects(doc, ctx):
    for obj in _of(doc, "Service"):
        selector = _spec(obj).get("selector")
        if not isinstance(selector, dict) or not selector or _spec(obj).get("type") == \
                "ExternalName":
            continue
        if _pods_in(ctx, _ns(ctx, obj)) and \
                not run_index(ctx).pods_matching(_ns(ctx, obj), selector):
            yield at(_spec(obj), "selector", obj, "selects no pod of the reviewed workloads")


@rules.rule(
    "K8049", "suggestion", "security", "Service exposed outside the cluster",
    "NodePort and LoadBalancer Services open the app on every node or on a public address, "
    "bypassing the Ingress and its TLS and authentication.",
    "Use a ClusterIP Service behind the Ingress; restrict `loadBalancerSourceRanges` if a "
    "LoadBalancer is really needed.",
    peers=("kube-score:service-type", "kube-linter:exposed-services"),
    example=(
        'apiVersion: v1\n'
        'kind: Service\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  type: ClusterIP\n'
        '  selector: {app: web}\n'
        '  ports: [{port: 80, targetPort: 8080}]'))
def exposed_service(doc, ctx):
    for obj in _of(doc, "Service"):
        kind = _spec(obj).get("type")
        if kind in ("NodePort", "LoadBalancer") and not (
                kind == "LoadBalancer" and _spec(obj).get("loadBalancerSourceRanges")):
            yield at(_spec(obj), "type", obj, f"`type: {kind}`")


@rules.rule(
    "K8050", "critical", "reliability", "Service targetPort names no container port",
    "A named `targetPort` must match a `ports[].name` of the selected containers; otherwise "
    "the Service has no usable endpoint.",
    "Use the container port's name or number.",
    peers=("kube-score:container-ports-check", "kube-linter:invalid-target-ports"),
    example=(
        'apiVersion: v1\n'
        'kind: Service\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  selector: {app: web}\n'
        '  ports: [{port: 80, targetPort: http}]\n'
        '---\n'
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        '  labels: {app: web}\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      ports: [{name: http, containerPort: 80}]'))
def target_port(doc, ctx):
    for obj in _of(doc, "Service"):
        selector = _spec(obj).get("selector")
        if not isinstance(selector, dict) or not selector:
            continue
        names, found = set(), False
        for _, pod, labels in run_index(ctx).pods_matching(_ns(ctx, obj), selector):
            found = True
            for c, _ in containers_of(pod, init=False):
                names |= {str(p.get("name")) for p in mappings(c, "ports")}
        if not found:
            continue
        for p in mappings(_spec(obj), "ports"):
            tp = p.get("targetPort")
            if isinstance(tp, str) and not tp.isdigit() and tp not in names and "$" not in tp:
                yield at(p, "targetPort", obj, f"`targetPort: {tp}` is not a container port "
                                               "name")


@rules.rule(
    "K8051", "warning", "security", "SSH port exposed",
    "Port 22 in a container or Service means an SSH server inside the cluster: one more "
    "credential surface, usually unnecessary with `kubectl exec`.",
    "Remove the SSH server and the port.",
    peers=("kube-linter:ssh-port",),
    example=(
        'apiVersion: v1\n'
        'kind: Service\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  selector: {app: web}\n'
        '  ports: [{name: https, port: 443, targetPort: 8443}]'))
def ssh_port(doc, ctx):
    for obj, pod, _ in each_pod(doc.model.objects):
        for c, _ in containers_of(pod, init=False):
            for p in mappings(c, "ports"):
                if p.get("containerPort") == 22:
                    yield at(p, "containerPort", obj, "container port 22")
    for obj in _of(doc, "Service"):
        for p in mappings(_spec(obj), "ports"):
            if 22 in (p.get("port"), p.get("targetPort")):
                yield at(p, "port", obj, "port 22")


@rules.rule(
    "K8052", "warning", "reliability", "StatefulSet serviceName is not a headless Service",
    "A StatefulSet's pods get stable DNS names only through a headless Service "
    "(`clusterIP: None`) named in `serviceName`.",
    "Create the headless Service, or fix `serviceName`.",
    peers=("kube-score:statefulset-has-servicename",),
    example=(
        'apiVersion: v1\n'
        'kind: Service\n'
        'metadata:\n'
        '  name: db\n'
        'spec:\n'
        '  clusterIP: None\n'
        '  selector: {app: db}\n'
        '  ports: [{port: 5432}]\n'
        '---\n'
        'apiVersion: apps/v1\n'
        'kind: StatefulSet\n'
        'metadata:\n'
        '  name: db\n'
        'spec:\n'
        '  serviceName: db\n'
        '  selector: {matchLabels: {app: db}}\n'
        '  template:\n'
        '    metadata: {labels: {app: db}}\n'
        '    spec:\n'
        '      containers: [{name: db, image: "postgres:16.4"}]'))
def statefulset_service(doc, ctx):
    index = run_index(ctx)
    services = index.cached("services-by-name", lambda: {(_ns(ctx, o), o.name): o
                                                         for o in index.of("Service")})
    for obj in _of(doc, "StatefulSet"):
        name = _spec(obj).get("serviceName")
        svc = services.get((_ns(ctx, obj), str(name))) if name else None
        if not name:
            yield at(_spec(obj), None, obj, "no `serviceName`")
        elif svc is not None and _spec(svc).get("clusterIP") != "None":
            yield at(_spec(obj), "serviceName", obj, f"Service `{name}` is not headless")


@rules.rule(
    "K8053", "warning", "security", "ingress-nginx snippet annotation",
    "`configuration-snippet`/`server-snippet` inject raw nginx configuration; they were the "
    "vector of CVE-2021-25742 (reading other tenants' secrets).",
    "Use the dedicated annotations instead, and keep `allow-snippet-annotations: false`.",
    peers=("checkov:CKV_K8S_152", "checkov:CKV_K8S_153", "checkov:CKV_K8S_154"),
    example=(
        'apiVersion: networking.k8s.io/v1\n'
        'kind: Ingress\n'
        'metadata:\n'
        '  name: web\n'
        '  annotations:\n'
        '    nginx.ingress.kubernetes.io/proxy-body-size: 10m\n'
        'spec:\n'
        '  ingressClassName: nginx\n'
        '  tls: [{hosts: [shop.example.com], secretName: shop-tls}]\n'
        '  rules:\n'
        '    - host: shop.example.com\n'
        '      http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}'))
def nginx_snippets(doc, ctx):
    for obj in _of(doc, "Ingress"):
        for key in obj.annotations():
            if str(key).endswith(("configuration-snippet", "server-snippet", "auth-snippet")):
                yield at(obj.metadata.get("annotations"), key, obj, f"annotation `{key}`")


# -------------------------------------------------------------------- NetworkPolicy ----
@rules.rule(
    "K8054", "suggestion", "security", "Pods not covered by a NetworkPolicy",
    "Without a NetworkPolicy every pod accepts traffic from every other pod of the cluster: "
    "a compromised neighbour reaches the database directly. Cilium "
    "(`CiliumNetworkPolicy`, `CiliumClusterwideNetworkPolicy`: `endpointSelector`) and "
    "Calico (`NetworkPolicy`, `GlobalNetworkPolicy` of `projectcalico.org/v3`: `selector`, "
    "its simple `==`, `!=`, `in`, `has()`, `all()` terms read, anything else taken as "
    "covering) policies count.",
    "Add a default-deny policy per namespace and allow the flows the app needs.",
    peers=("polaris:missingNetworkPolicy", "kube-score:pod-networkpolicy",
           "kube-linter:non-isolated-pod", "checkov:CKV2_K8S_6"),
    example=(
        'apiVersion: networking.k8s.io/v1\n'
        'kind: NetworkPolicy\n'
        'metadata:\n'
        '  name: default-deny\n'
        'spec:\n'
        '  podSelector: {}\n'
        '  policyTypes: [Ingress, Egress]\n'
        '---\n'
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2'))
def network_policy(doc, ctx):
    index = run_index(ctx)
    policies = [p for kind in _POLICY_KINDS for p in index.of(kind)]
    for obj, pod, meta in each_pod(doc.model.objects):
        if obj.kind in ("Job", "CronJob"):
            continue
        labels = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
        ns = _ns(ctx, obj)
        if not any(_policy_covers(ctx, p, ns, labels) for p in policies):
            yield at(obj.data, "kind", obj, "no NetworkPolicy selects its pods")


_POLICY_KINDS = ("NetworkPolicy", "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy",
                 "GlobalNetworkPolicy")


def _policy_covers(ctx, policy, ns, labels):
    """Whether a Kubernetes, Cilium or Calico policy applies to pods with `labels` in
    namespace `ns`."""
    kind, calico = policy.kind, "projectcalico.org" in policy.api_version
    if kind in ("NetworkPolicy", "CiliumNetworkPolicy") and _ns(ctx, policy) != ns:
        return False
    if kind in ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"):
        pod = {**labels, "io.kubernetes.pod.namespace": ns}
        specs = [_spec(policy)] + list(mappings(policy.data, "specs"))
        return any(_cilium_selects(s.get("endpointSelector"), pod) for s in specs)
    if calico:
        spec = _spec(policy)
        pod = {**labels, "projectcalico.org/namespace": ns}
        names = {"projectcalico.org/name": ns, "kubernetes.io/metadata.name": ns}
        return _calico_selects(spec.get("selector"), pod) and (
            kind != "GlobalNetworkPolicy"
            or _calico_selects(spec.get("namespaceSelector"), names, known=names))
    if kind != "NetworkPolicy":
        return False
    selector = _spec(policy).get("podSelector")
    if selector is None:
        return False
    if isinstance(selector, dict) and not selector:
        return True      # `podSelector: {}` selects every pod of the namespace
    return selector_matches(selector, labels)


def _cilium_selects(selector, labels):
    """A Cilium endpointSelector (a label selector whose keys may carry a `k8s:`/`any:`
    source prefix); None (a `nodeSelector` host policy) selects no pod."""
    if not isinstance(selector, dict):
        return False

    def bare(key):
        key = str(key)
        return key.split(":", 1)[1] if key.startswith(("k8s:", "any:")) else key
    plain = {k: v for k, v in selector.items() if k not in ("matchLabels", "matchExpressions")}
    match = selector.get("matchLabels") if isinstance(selector.get("matchLabels"), dict) \
        else plain
    exprs = [{**e, "key": bare(e.get("key"))} for e in mappings(selector, "matchExpressions")]
    return selector_matches({"matchLabels": {bare(k): v for k, v in match.items()},
                             "matchExpressions": exprs}, labels)


_CALICO_TERM = re.compile(
    r"^(?:(?P<all>all\(\))|(?P<neg>!\s*)?has\(\s*(?P<has>[\w./-]+)\s*\)"
    r"|(?P<key>[\w./-]+)\s*(?:(?P<op>==|!=)\s*(?P<q>['\"])(?P<val>[^'\"]*)(?P=q)"
    r"|(?P<notin>not\s+)?in\s*\{(?P<set>[^}]*)\}))$")


def _calico_selects(expr, labels, known=None):
    """A Calico selector expression against labels. Terms joined by `&&` of the simple
    forms (`k == 'v'`, `k != 'v'`, `k in {'a'}`, `k not in {…}`, `has(k)`, `!has(k)`,
    `all()`) are evaluated; an empty selector is `all()`; any other form (`||`, brackets,
    `starts with`…), or a key outside `known`, is taken as selecting."""
    if not isinstance(expr, str) or not expr.strip():
        return True
    if "||" in expr:
        return True
    for term in expr.split("&&"):
        m = _CALICO_TERM.match(term.strip())
        if m is None or m.group("all"):
            continue
        key = m.group("has") or m.group("key")
        if known is not None and key not in known:
            continue
        value = labels.get(key)
        if m.group("has"):
            ok = (key in labels) != bool(m.group("neg"))
        elif m.group("op"):
            ok = (str(value) == m.group("val")) == (m.group("op") == "==") \
                if value is not None else m.group("op") == "!="
        else:
            values = {v.strip().strip("'\"") for v in m.group("set").split(",")}
            ok = (value is not None and str(value) in values) != bool(m.group("notin"))
        if not ok:
            return False
    return True


@rules.rule(
    "K8055", "warning", "reliability", "NetworkPolicy selects no pod",
    "The policy's podSelector (or a peer's podSelector in `from`/`to`) matches none of the "
    "reviewed workloads: the policy protects nothing or allows nobody, usually because of a "
    "label typo.",
    "Fix the podSelector labels.",
    peers=("kube-score:networkpolicy-targets-pod", "kube-linter:dangling-networkpolicy",
           "kube-linter:dangling-networkpolicypeer-podselector"),
    example=(
        'apiVersion: networking.k8s.io/v1\n'
        'kind: NetworkPolicy\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  podSelector: {matchLabels: {app: web}}\n'
        '  ingress: [{ports: [{port: 80}]}]\n'
        '---\n'
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        '  labels: {app: web}\n'
        'spec:\n'
        '  containers: [{name: web, image: "nginx:1.27.2"}]'))
def dangling_policy(doc, ctx):
    index = run_index(ctx)
    for obj in _of(doc, "NetworkPolicy"):
        ns = _ns(ctx, obj)
        if not _pods_in(ctx, ns) or "projectcalico.org" in obj.api_version:
            continue
        selector = _spec(obj).get("podSelector")
        if isinstance(selector, dict) and selector and not index.pods_matching(ns, selector):
            yield at(_spec(obj), "podSelector", obj, "selects no pod of the reviewed workloads")
        for direction, side in (("ingress", "from"), ("egress", "to")):
            for rule in mappings(_spec(obj), direction):
                for peer in mappings(rule, side):
                    sel = peer.get("podSelector")
                    if isinstance(sel, dict) and sel and "namespaceSelector" not in peer \
                            and not index.pods_matching(ns, sel):
                        yield at(peer, "podSelector", obj, f"a `{side}` podSelector matches "
                                                           "no pod of the reviewed workloads")


# ------------------------------------------------------------------ ConfigMap, Secret ----
@rules.rule(
    "K8056", "critical", "security", "Secret-looking value in a ConfigMap",
    "ConfigMaps are not secret: readable by anyone with `get configmaps`, printed in logs "
    "and dashboards.",
    "Move the value to a Secret (from a secret manager, Sealed Secrets or SOPS).",
    peers=("polaris:sensitiveConfigmapContent",),
    example=(
        'apiVersion: v1\n'
        'kind: ConfigMap\n'
        'metadata:\n'
        '  name: app\n'
        'data:\n'
        '  LOG_LEVEL: info\n'
        '  DATABASE_HOST: db.shop.svc'))
def configmap_secret(doc, ctx):
    for obj in _of(doc, "ConfigMap"):
        data = obj.data.get("data")
        if not isinstance(data, dict):
            continue
        for key, value in data.items():
            value = str(value)
            if token_kind(value) or (is_secret_name(str(key)) and "\n" not in value
                                     and is_literal_secret_value(value, str(key))):
                yield at(data, key, obj, f"`{key}: {MASK}`")


def _sops_file(key, value):
    """A `data` value that is a whole SOPS-encrypted file (a kustomize `secretGenerator`
    reading `values.sops.yaml`): encrypted in git, as the fix asks."""
    if key != "data":
        return False
    import base64
    import binascii
    try:
        text = base64.b64decode(str(value), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return False
    return "ENC[AES256_GCM," in text or "sops:" in text and "mac:" in text


@rules.rule(
    "K8057", "warning", "security", "Secret values committed in the manifest",
    "A Secret's `data` is only base64, not encryption: committed to git it is readable by "
    "everyone with the repository.",
    "Generate Secrets outside git (External Secrets, Sealed Secrets, SOPS) or from the CI.",
    example=(
        'apiVersion: bitnami.com/v1alpha1\n'
        'kind: SealedSecret\n'
        'metadata:\n'
        '  name: db\n'
        '  namespace: shop\n'
        'spec:\n'
        '  encryptedData:\n'
        '    password: AgA...  # kubeseal output, safe to commit'))
def committed_secret(doc, ctx):
    """Values encrypted with SOPS (`ENC[…]`, with the file's `sops:` metadata) are what the
    fix recommends: only plain values are said, and counted."""
    for obj in _of(doc, "Secret"):
        for key in ("data", "stringData"):
            data = obj.data.get(key)
            if not isinstance(data, dict):
                continue
            plain = [v for v in data.values() if v not in (None, "")
                     and not str(v).startswith("ENC[") and not _sops_file(key, v)]
            if plain:
                yield at(obj.data, key, obj, f"`{key}` holds {len(plain)} plain value(s)")


# ----------------------------------------------------------------------- availability ----
def _replicas(obj):
    value = _spec(obj).get("replicas", 1)
    return value if isinstance(value, int) else 1


def _hpas(ctx):
    return run_index(ctx).of("HorizontalPodAutoscaler")


def _hpa_target(hpa):
    ref = _spec(hpa).get("scaleTargetRef")
    return (str(ref.get("kind")), str(ref.get("name"))) if isinstance(ref, dict) else (None,
                                                                                       None)


@rules.rule(
    "K8058", "suggestion", "reliability", "Single replica",
    "One replica means downtime at every rollout that fails, node drain or crash. (Fine for "
    "a homelab; a suggestion.)",
    "Run 2 or more replicas (with a PodDisruptionBudget and anti-affinity), or an HPA with "
    "`minReplicas: 2`.",
    peers=("polaris:deploymentMissingReplicas", "kube-score:deployment-replicas",
           "kube-linter:minimum-three-replicas"),
    example=(
        'apiVersion: apps/v1\n'
        'kind: Deployment\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  replicas: 3\n'
        '  selector: {matchLabels: {app: web}}\n'
        '  template:\n'
        '    metadata: {labels: {app: web}}\n'
        '    spec:\n'
        '      containers: [{name: web, image: "nginx:1.27.2"}]'))
def single_replica(doc, ctx):
    scaled = run_index(ctx).cached("hpa-names", lambda: {(_ns(ctx, h), _hpa_target(h)[1])
                                                         for h in _hpas(ctx)})
    for obj in _of(doc, "Deployment", "StatefulSet"):
        if any(m in str(_spec(obj).get("replicas", "")) for m in ("${", "{{")):
            continue   # a Flux `postBuild` / template placeholder: filled in at deploy
        if _replicas(obj) < 2 and (_ns(ctx, obj), obj.name) not in scaled:
            yield at(_spec(obj), "replicas", obj, f"{_replicas(obj)} replica")


@rules.rule(
    "K8059", "suggestion", "reliability", "HPA minReplicas below 2 or equal to maxReplicas",
    "`minReplicas: 1` scales down to a single pod; `minReplicas == maxReplicas` never "
    "scales.",
    "Use `minReplicas: 2` or more, and a `maxReplicas` above it.",
    peers=("polaris:hpaMinAvailability", "polaris:hpaMaxAvailability",
           "kube-score:horizontalpodautoscaler-replicas", "kube-linter:hpa-minimum-three-replicas"),
    example=(
        'apiVersion: autoscaling/v2\n'
        'kind: HorizontalPodAutoscaler\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n'
        '  minReplicas: 2\n'
        '  maxReplicas: 6\n'
        '---\n'
        'apiVersion: apps/v1\n'
        'kind: Deployment\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  selector: {matchLabels: {app: web}}\n'
        '  template:\n'
        '    metadata: {labels: {app: web}}\n'
        '    spec:\n'
        '      containers: [{name: web, image: "nginx:1.27.2"}]'))
def hpa_bounds(doc, ctx):
    for obj in _of(doc, "HorizontalPodAutoscaler"):
        spec = _spec(obj)
        low, high = spec.get("minReplicas", 1), spec.get("maxReplicas")
        if isinstance(low, int) and low < 2:
            yield at(spec, "minReplicas", obj, f"`minReplicas: {low}`")
        elif low == high:
            yield at(spec, "maxReplicas", obj, f"`minReplicas` = `maxReplicas` = {high}")


@rules.rule(
    "K8060", "warning", "reliability", "HPA target not in the reviewed files",
    "The autoscaler points at a workload that none of the reviewed manifests defines: it "
    "scales nothing.",
    "Fix `scaleTargetRef` (kind and name), or review it with the workload.",
    peers=("kube-score:horizontalpodautoscaler-has-target",
           "kube-linter:dangling-horizontalpodautoscaler"),
    example=(
        'apiVersion: autoscaling/v2\n'
        'kind: HorizontalPodAutoscaler\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n'
        '  minReplicas: 2\n'
        '  maxReplicas: 6\n'
        '---\n'
        'apiVersion: apps/v1\n'
        'kind: Deployment\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  selector: {matchLabels: {app: web}}\n'
        '  template:\n'
        '    metadata: {labels: {app: web}}\n'
        '    spec:\n'
        '      containers: [{name: web, image: "nginx:1.27.2"}]'))
def hpa_target(doc, ctx):
    index = run_index(ctx)
    for obj in _of(doc, "HorizontalPodAutoscaler"):
        kind, name = _hpa_target(obj)
        if kind and not index.present(kind, _ns(ctx, obj), name):
            yield at(_spec(obj), "scaleTargetRef", obj, f"{kind} `{name}` is not in the "
                                                        "reviewed files")


@rules.rule(
    "K8061", "warning", "reliability", "Workload sets replicas while an HPA scales it",
    "Every `kubectl apply` resets the replica count the HPA chose: a scaled-out Deployment "
    "drops back to the manifest's number under load.",
    "Remove `spec.replicas` from workloads that an HPA manages.",
    peers=("kube-score:deployment-targeted-by-hpa-does-not-have-replicas-configured",),
    example=(
        'apiVersion: autoscaling/v2\n'
        'kind: HorizontalPodAutoscaler\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n'
        '  minReplicas: 2\n'
        '  maxReplicas: 6\n'
        '---\n'
        'apiVersion: apps/v1\n'
        'kind: Deployment\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  selector: {matchLabels: {app: web}}\n'
        '  template:\n'
        '    metadata: {labels: {app: web}}\n'
        '    spec:\n'
        '      containers: [{name: web, image: "nginx:1.27.2"}]'))
def replicas_with_hpa(doc, ctx):
    scaled = run_index(ctx).cached("hpa-targets", lambda: {(_ns(ctx, h),) + _hpa_target(h)
                                                           for h in _hpas(ctx)})
    for obj in _of(doc, "Deployment", "StatefulSet"):
        if (_ns(ctx, obj), obj.kind, obj.name) in scaled and "replicas" in _spec(obj):
            yield at(_spec(obj), "replicas", obj, "sets `replicas` although an HPA scales it")


def _pdbs(ctx):
    return run_index(ctx).of("PodDisruptionBudget")


@rules.rule(
    "K8062", "suggestion", "reliability", "No PodDisruptionBudget",
    "Without a PDB a node drain may evict all replicas at once.",
    "Add a PodDisruptionBudget with `maxUnavailable: 1` selecting the pods.",
    peers=("polaris:missingPodDisruptionBudget", "kube-score:deployment-has-poddisruptionbudget",
           "kube-score:statefulset-has-poddisruptionbudget"),
    example=(
        'apiVersion: policy/v1\n'
        'kind: PodDisruptionBudget\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  maxUnavailable: 1\n'
        '  selector: {matchLabels: {app: web}}\n'
        '---\n'
        'apiVersion: apps/v1\n'
        'kind: Deployment\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  replicas: 3\n'
        '  selector: {matchLabels: {app: web}}\n'
        '  template:\n'
        '    metadata: {labels: {app: web}}\n'
        '    spec:\n'
        '      containers: [{name: web, image: "nginx:1.27.2"}]'))
def missing_pdb(doc, ctx):
    pdbs = _pdbs(ctx)
    for obj, pod, meta in each_pod(doc.model.objects):
        if obj.kind not in ("Deployment", "StatefulSet") or _replicas(obj) < 2:
            continue
        labels = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
        if not any(_ns(ctx, p) == _ns(ctx, obj)
                   and selector_matches(_spec(p).get("selector"), labels) for p in pdbs):
            yield at(obj.data, "kind", obj, "no PodDisruptionBudget selects its pods")


@rules.rule(
    "K8063", "warning", "reliability", "PodDisruptionBudget that blocks every eviction",
    "`maxUnavailable: 0` (or `minAvailable` equal to the replicas, or 100%) means a node "
    "drain can never evict the pods: upgrades hang.",
    "Allow at least one disruption: `maxUnavailable: 1`.",
    peers=("polaris:pdbDisruptionsIsZero", "kube-linter:pdb-max-unavailable",
           "kube-linter:pdb-min-available", "polaris:pdbMinAvailableGreaterThanHPAMinReplicas"),
    example=(
        'apiVersion: policy/v1\n'
        'kind: PodDisruptionBudget\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  maxUnavailable: 1\n'
        '  selector: {matchLabels: {app: web}}'))
def pdb_zero(doc, ctx):
    for obj in _of(doc, "PodDisruptionBudget"):
        spec = _spec(obj)
        max_un, min_av = spec.get("maxUnavailable"), spec.get("minAvailable")
        if max_un in (0, "0", "0%") or min_av == "100%":
            yield at(spec, "maxUnavailable" if "maxUnavailable" in spec else "minAvailable",
                     obj, "allows no disruption")
        elif isinstance(min_av, int):
            hpa_min = {(_ns(ctx, h), _hpa_target(h)[1]): _spec(h).get("minReplicas", 1)
                       for h in _hpas(ctx)}
            for w, _, labels in _pods_in(ctx, _ns(ctx, obj)):
                if not (selector_matches(spec.get("selector"), labels)
                        and w.kind in ("Deployment", "StatefulSet")):
                    continue
                floor = hpa_min.get((_ns(ctx, w), w.name), _replicas(w))
                if isinstance(floor, int) and min_av >= floor:
                    yield at(spec, "minAvailable", obj, f"`minAvailable: {min_av}` with "
                                                        f"{floor} replica(s) of {w.label}"
                                                        + (" at the HPA's minimum"
                                                           if (_ns(ctx, w), w.name) in hpa_min
                                                           else ""))
                    break


@rules.rule(
    "K8064", "warning", "reliability", "PodDisruptionBudget without a policy",
    "A PDB needs `minAvailable` or `maxUnavailable`; without either it protects nothing.",
    "Add `maxUnavailable: 1`.",
    peers=("kube-score:poddisruptionbudget-has-policy",),
    example=(
        'apiVersion: policy/v1\n'
        'kind: PodDisruptionBudget\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  maxUnavailable: 1\n'
        '  selector: {matchLabels: {app: web}}'))
def pdb_policy(doc, ctx):
    for obj in _of(doc, "PodDisruptionBudget"):
        spec = _spec(obj)
        if "minAvailable" not in spec and "maxUnavailable" not in spec:
            yield at(obj.data, "spec", obj, "neither `minAvailable` nor `maxUnavailable`")


@rules.rule(
    "K8065", "suggestion", "reliability", "No anti-affinity or topology spread",
    "Several replicas may land on the same node: one node failure takes them all.",
    "Add `topologySpreadConstraints` on `kubernetes.io/hostname` (or a preferred pod "
    "anti-affinity).",
    peers=("kube-score:deployment-has-host-podantiaffinity",
           "kube-score:statefulset-has-host-podantiaffinity", "kube-linter:no-anti-affinity",
           "polaris:topologySpreadConstraint"),
    example=(
        'apiVersion: apps/v1\n'
        'kind: Deployment\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  replicas: 3\n'
        '  selector: {matchLabels: {app: web}}\n'
        '  template:\n'
        '    metadata: {labels: {app: web}}\n'
        '    spec:\n'
        '      topologySpreadConstraints:\n'
        '        - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: web}}}\n'
        '      containers: [{name: web, image: "nginx:1.27.2"}]'))
def spread(doc, ctx):
    for obj, pod, _ in each_pod(doc.model.objects):
        if obj.kind not in ("Deployment", "StatefulSet") or _replicas(obj) < 2:
            continue
        affinity = pod.get("affinity")
        if not pod.get("topologySpreadConstraints") and not (
                isinstance(affinity, dict) and affinity.get("podAntiAffinity")):
            yield at(pod, None, obj, f"{_replicas(obj)} replicas with no spreading rule")


@rules.rule(
    "K8066", "suggestion", "reliability", "Deployment strategy is Recreate",
    "`Recreate` stops every pod before starting the new ones: each rollout is an outage.",
    "Use `RollingUpdate` (the default), unless the app cannot run two versions at once.",
    peers=("kube-score:deployment-strategy", "kube-linter:no-rolling-update-strategy"),
    example=(
        'apiVersion: apps/v1\n'
        'kind: Deployment\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  replicas: 3\n'
        '  strategy:\n'
        '    type: RollingUpdate\n'
        '    rollingUpdate: {maxUnavailable: 0, maxSurge: 1}\n'
        '  selector: {matchLabels: {app: web}}\n'
        '  template:\n'
        '    metadata: {labels: {app: web}}\n'
        '    spec:\n'
        '      containers: [{name: web, image: "nginx:1.27.2"}]'))
def strategy(doc, ctx):
    for obj in _of(doc, "Deployment"):
        st = _spec(obj).get("strategy")
        if isinstance(st, dict) and st.get("type") == "Recreate":
            yield at(st, "type", obj, "`strategy.type: Recreate`")


# ----------------------------------------------------------------------------- jobs ----
@rules.rule(
    "K8067", "suggestion", "reliability", "CronJob without a starting deadline",
    "If the controller misses a schedule (downtime, too many missed runs) the job may start "
    "much later than intended, or not at all after 100 misses.",
    "Set `startingDeadlineSeconds` (e.g. 300).",
    peers=("kube-score:cronjob-has-deadline",),
    example=(
        'apiVersion: batch/v1\n'
        'kind: CronJob\n'
        'metadata:\n'
        '  name: report\n'
        'spec:\n'
        '  schedule: "0 3 * * *"\n'
        '  startingDeadlineSeconds: 300\n'
        '  concurrencyPolicy: Forbid\n'
        '  jobTemplate:\n'
        '    spec:\n'
        '      activeDeadlineSeconds: 3600\n'
        '      template:\n'
        '        spec:\n'
        '          restartPolicy: OnFailure\n'
        '          containers: [{name: report, image: "ghcr.io/example/report:1.4.2"}]'))
def cron_deadline(doc, ctx):
    for obj in _of(doc, "CronJob"):
        if "startingDeadlineSeconds" not in _spec(obj):
            yield at(obj.data, "spec", obj, "no `startingDeadlineSeconds`")


@rules.rule(
    "K8068", "warning", "reliability", "CronJob runs may overlap",
    "The default `concurrencyPolicy: Allow` starts a new run while the previous one is still "
    "going: backups and syncs then fight over the same data.",
    "Set `concurrencyPolicy: Forbid` (or `Replace`).",
    example=(
        'apiVersion: batch/v1\n'
        'kind: CronJob\n'
        'metadata:\n'
        '  name: report\n'
        'spec:\n'
        '  schedule: "0 3 * * *"\n'
        '  startingDeadlineSeconds: 300\n'
        '  concurrencyPolicy: Forbid\n'
        '  jobTemplate:\n'
        '    spec:\n'
        '      activeDeadlineSeconds: 3600\n'
        '      template:\n'
        '        spec:\n'
        '          restartPolicy: OnFailure\n'
        '          containers: [{name: report, image: "ghcr.io/example/report:1.4.2"}]'))
def cron_overlap(doc, ctx):
    for obj in _of(doc, "CronJob"):
        if _spec(obj).get("concurrencyPolicy", "Allow") == "Allow":
            yield at(_spec(obj), "concurrencyPolicy", obj, "`concurrencyPolicy: Allow`")


@rules.rule(
    "K8069", "critical", "reliability", "Invalid restartPolicy for the kind",
    "Jobs and CronJobs accept only `OnFailure` or `Never`, and Deployments, StatefulSets, "
    "DaemonSets and ReplicaSets only `Always`: any other value is rejected by the API.",
    "Jobs: set `restartPolicy: OnFailure` (or `Never`) in the pod template; long-running "
    "workloads: remove `restartPolicy` (it defaults to `Always`).",
    peers=("kube-score:cronjob-restartpolicy", "kube-linter:restart-policy"),
    example=(
        'apiVersion: batch/v1\n'
        'kind: Job\n'
        'metadata:\n'
        '  name: migrate\n'
        'spec:\n'
        '  ttlSecondsAfterFinished: 86400\n'
        '  activeDeadlineSeconds: 600\n'
        '  template:\n'
        '    spec:\n'
        '      restartPolicy: OnFailure\n'
        '      containers: [{name: migrate, image: "ghcr.io/example/app:1.4.2", args: [migrate]}]'))
def job_restart(doc, ctx):
    """Edge cases (kube-score cronjob-restartpolicy, kube-linter restart-policy, the API's
    own validation): valid values per kind — Job and CronJob: `OnFailure` or `Never` (an
    absent one defaults to `Always`, which the API rejects for them); Deployment,
    ReplicaSet, ReplicationController, DaemonSet and StatefulSet: `Always` only (absent is
    Always; `OnFailure`/`Never` are rejected); a bare Pod: any of the three. A templated
    value (`{{ }}`, `${VAR}`) is not judged."""
    for obj, pod, _ in each_pod(doc.model.objects):
        policy = pod.get("restartPolicy")
        if isinstance(policy, str) and ("{{" in policy or "$" in policy):
            continue
        if obj.kind in ("Job", "CronJob") and policy not in ("OnFailure", "Never"):
            yield at(pod, "restartPolicy", obj, f"`restartPolicy: "
                                                f"{policy or 'Always (default)'}`")
        elif obj.kind in _ALWAYS_ONLY and policy is not None and policy != "Always":
            yield at(pod, "restartPolicy", obj, f"`restartPolicy: {policy}` on a {obj.kind}: "
                                                "only `Always` is accepted")


_ALWAYS_ONLY = ("Deployment", "ReplicaSet", "ReplicationController", "DaemonSet",
                "StatefulSet")


@rules.rule(
    "K8070", "suggestion", "reliability", "Job without ttlSecondsAfterFinished",
    "Finished Jobs and their pods stay in the cluster for ever, cluttering the namespace and "
    "the API server.",
    "Set `ttlSecondsAfterFinished` (e.g. 86400) on plain Jobs (CronJobs keep a history "
    "limit instead).",
    peers=("kube-linter:job-ttl-seconds-after-finished",),
    example=(
        'apiVersion: batch/v1\n'
        'kind: Job\n'
        'metadata:\n'
        '  name: migrate\n'
        'spec:\n'
        '  ttlSecondsAfterFinished: 86400\n'
        '  activeDeadlineSeconds: 600\n'
        '  template:\n'
        '    spec:\n'
        '      restartPolicy: OnFailure\n'
        '      containers: [{name: migrate, image: "ghcr.io/example/app:1.4.2", args: [migrate]}]'))
def job_ttl(doc, ctx):
    for obj in _of(doc, "Job"):
        if "ttlSecondsAfterFinished" not in _spec(obj):
            yield at(obj.data, "spec", obj, "no `ttlSecondsAfterFinished`")


# ------------------------------------------------------------------- namespaces, APIs ----
_NAMESPACED = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob",
               "Pod", "Service", "Ingress", "ConfigMap", "Secret", "NetworkPolicy",
               "PodDisruptionBudget", "HorizontalPodAutoscaler", "ServiceAccount", "Role",
               "RoleBinding", "PersistentVolumeClaim"}


@rules.rule(
    "K8071", "suggestion", "elegance", "Object in the `default` namespace",
    "The `default` namespace mixes unrelated apps, cannot be given its own quotas and "
    "policies cleanly, and is where mistakes land. (Manifests without a namespace take the "
    "one of `kubectl apply -n`, so only an explicit `default` is reported.)",
    "Deploy into a dedicated namespace.",
    peers=("kube-linter:use-namespace", "checkov:CKV_K8S_21"),
    example=(
        'apiVersion: v1\n'
        'kind: ConfigMap\n'
        'metadata:\n'
        '  name: app\n'
        '  namespace: shop\n'
        'data:\n'
        '  LOG_LEVEL: info'))
def default_namespace(doc, ctx):
    for obj in doc.model.objects:
        if obj.kind in _NAMESPACED and obj.namespace == "default":
            yield at(obj.metadata, "namespace", obj, "`namespace: default`")


# (apiVersion, kind) -> (removed in, replacement)
_REMOVED = {
    ("extensions/v1beta1", "Deployment"): ("1.16", "apps/v1"),
    ("extensions/v1beta1", "DaemonSet"): ("1.16", "apps/v1"),
    ("extensions/v1beta1", "ReplicaSet"): ("1.16", "apps/v1"),
    ("extensions/v1beta1", "Ingress"): ("1.22", "networking.k8s.io/v1"),
    ("extensions/v1beta1", "NetworkPolicy"): ("1.16", "networking.k8s.io/v1"),
    ("extensions/v1beta1", "PodSecurityPolicy"): ("1.16", "(removed; use Pod Security Admission)"),
    ("apps/v1beta1", "Deployment"): ("1.16", "apps/v1"),
    ("apps/v1beta2", "Deployment"): ("1.16", "apps/v1"),
    ("apps/v1beta1", "StatefulSet"): ("1.16", "apps/v1"),
    ("apps/v1beta2", "StatefulSet"): ("1.16", "apps/v1"),
    ("apps/v1beta2", "DaemonSet"): ("1.16", "apps/v1"),
    ("apps/v1beta2", "ReplicaSet"): ("1.16", "apps/v1"),
    ("networking.k8s.io/v1beta1", "Ingress"): ("1.22", "networking.k8s.io/v1"),
    ("networking.k8s.io/v1beta1", "IngressClass"): ("1.22", "networking.k8s.io/v1"),
    ("batch/v1beta1", "CronJob"): ("1.25", "batch/v1"),
    ("policy/v1beta1", "PodDisruptionBudget"): ("1.25", "policy/v1"),
    ("policy/v1beta1", "PodSecurityPolicy"): ("1.25", "(removed; use Pod Security Admission)"),
    ("autoscaling/v2beta1", "HorizontalPodAutoscaler"): ("1.25", "autoscaling/v2"),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler"): ("1.26", "autoscaling/v2"),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRole"): ("1.22", "rbac.authorization.k8s.io/v1"),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding"): ("1.22", "rbac.authorization.k8s.io/v1"),
    ("rbac.authorization.k8s.io/v1beta1", "Role"): ("1.22", "rbac.authorization.k8s.io/v1"),
    ("rbac.authorization.k8s.io/v1beta1", "RoleBinding"): ("1.22", "rbac.authorization.k8s.io/v1"),
    ("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition"): ("1.22", "apiextensions.k8s.io/v1"),
    ("admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration"): ("1.22", "admissionregistration.k8s.io/v1"),
    ("admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration"): ("1.22", "admissionregistration.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", "CSIDriver"): ("1.22", "storage.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", "StorageClass"): ("1.22", "storage.k8s.io/v1"),
    ("scheduling.k8s.io/v1beta1", "PriorityClass"): ("1.22", "scheduling.k8s.io/v1"),
    ("discovery.k8s.io/v1beta1", "EndpointSlice"): ("1.25", "discovery.k8s.io/v1"),
    ("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema"): ("1.29", "flowcontrol.apiserver.k8s.io/v1"),
    ("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema"): ("1.32", "flowcontrol.apiserver.k8s.io/v1"),
}


@rules.rule(
    "K8072", "critical", "reliability", "apiVersion removed from Kubernetes",
    "The API server no longer serves this group/version for this kind: `kubectl apply` "
    "fails on any cluster newer than the version named.",
    "Move to the replacement apiVersion (and adapt the fields that changed, e.g. "
    "`spec.selector` for apps/v1, the `backend.service` form for Ingress v1).",
    peers=("kube-score:stable-version", "kube-linter:no-extensions-v1beta"),
    example=(
        'apiVersion: apps/v1\n'
        'kind: Deployment\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  selector: {matchLabels: {app: web}}\n'
        '  template:\n'
        '    metadata: {labels: {app: web}}\n'
        '    spec:\n'
        '      containers: [{name: web, image: "nginx:1.27.2"}]'))
def removed_api(doc, ctx):
    for obj in doc.model.objects:
        removed = _REMOVED.get((obj.api_version, obj.kind))
        if removed:
            yield at(obj.data, "apiVersion", obj, f"`{obj.api_version}` was removed in "
                                                  f"Kubernetes {removed[0]}; use {removed[1]}")


# ------------------------------------------------------------------------- labels ----
_LABEL_VALUE = re.compile(r"^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")


@rules.rule(
    "K8073", "critical", "reliability", "Invalid label value",
    "Label values must be at most 63 characters of letters, digits, `-`, `_`, `.`, starting "
    "and ending with an alphanumeric: the API server rejects anything else.",
    "Fix the value (quote numbers and booleans: `\"true\"`).",
    peers=("kube-score:label-values",),
    example=(
        'apiVersion: v1\n'
        'kind: ConfigMap\n'
        'metadata:\n'
        '  name: app\n'
        '  labels:\n'
        '    app.kubernetes.io/name: app\n'
        '    example.com/public: "true"\n'
        'data:\n'
        '  LOG_LEVEL: info'))
def label_values(doc, ctx):
    for obj in doc.model.objects:
        metas = [obj.metadata] + [m for _, _, m in each_pod([obj]) if m is not obj.metadata]
        for meta in metas:
            labels = meta.get("labels")
            if not isinstance(labels, dict):
                continue
            for key, value in labels.items():
                if "${" in str(value):
                    continue   # an envsubst template, filled in before apply
                if isinstance(value, bool) or not _LABEL_VALUE.match(str(value)):
                    yield at(labels, key, obj, f"label `{key}: {value}`")


@rules.rule(
    "K8074", "critical", "reliability", "Selector does not match the pod template labels",
    "A Deployment/StatefulSet/DaemonSet whose `selector` does not match its own template "
    "labels is rejected by the API server (or, for loose selectors, adopts other pods).",
    "Make `spec.selector.matchLabels` a subset of `spec.template.metadata.labels`.",
    peers=("kube-score:deployment-pod-selector-labels-match-template-metadata-labels",
           "kube-score:statefulset-pod-selector-labels-match-template-metadata-labels",
           "kube-linter:mismatching-selector"),
    example=(
        'apiVersion: apps/v1\n'
        'kind: Deployment\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  selector: {matchLabels: {app: web}}\n'
        '  template:\n'
        '    metadata: {labels: {app: web, tier: frontend}}\n'
        '    spec:\n'
        '      containers: [{name: web, image: "nginx:1.27.2"}]'))
def selector_mismatch(doc, ctx):
    for obj, pod, meta in each_pod(doc.model.objects):
        if obj.kind not in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
            continue
        selector = _spec(obj).get("selector")
        labels = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
        if isinstance(selector, dict) and selector and not selector_matches(selector, labels):
            yield at(_spec(obj), "selector", obj, "selector does not match the template labels")


@rules.rule(
    "K8075", "warning", "reliability", "ServiceAccount not in the reviewed files",
    "The pod names a ServiceAccount that none of the reviewed manifests creates: the pod is "
    "not created until it exists. (It may come from elsewhere, e.g. Terraform.)",
    "Add the ServiceAccount to the manifests, or review it together with them.",
    peers=("kube-linter:non-existent-service-account",),
    example=(
        'apiVersion: v1\n'
        'kind: ServiceAccount\n'
        'metadata:\n'
        '  name: web\n'
        '---\n'
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  serviceAccountName: web\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2'))
def missing_sa(doc, ctx):
    index = run_index(ctx)
    if not index.of("ServiceAccount"):
        return
    for obj, pod, _ in each_pod(doc.model.objects):
        if isinstance(obj, ChartWorkload):
            continue   # app-template creates the ServiceAccount it names
        sa = pod.get("serviceAccountName")
        if sa and sa != "default" and not index.present("ServiceAccount", _ns(ctx, obj), sa):
            yield at(pod, "serviceAccountName", obj, f"ServiceAccount `{sa}` is not in the "
                                                     "reviewed files")


@rules.rule(
    "K8076", "warning", "reliability", "Referenced Secret or ConfigMap not in the reviewed files",
    "An env or volume reference to a Secret/ConfigMap that no reviewed manifest defines "
    "keeps the pod in `CreateContainerConfigError` until it exists.",
    "Create it with the app's manifests, or mark the reference `optional: true`.",
    peers=("kube-linter:env-value-from",),
    example=(
        'apiVersion: v1\n'
        'kind: Pod\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  containers:\n'
        '    - name: web\n'
        '      image: nginx:1.27.2\n'
        '      envFrom:\n'
        '        - configMapRef: {name: web-config}\n'
        '---\n'
        'apiVersion: v1\n'
        'kind: ConfigMap\n'
        'metadata:\n'
        '  name: web-config\n'
        'data:\n'
        '  LOG_LEVEL: info'))
def missing_refs(doc, ctx):
    index = run_index(ctx)
    kinds_present = index.cached("ref kinds", lambda: {k for k, _, _ in index.keys
                                                       if k in ("Secret", "ConfigMap")})
    for obj, pod, _ in each_pod(doc.model.objects):
        ns = _ns(ctx, obj)
        for c, _ in containers_of(pod):
            for e in mappings(c, "env"):
                ref = e.get("valueFrom")
                for key, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
                    r = ref.get(key) if isinstance(ref, dict) else None
                    if isinstance(r, dict) and kind in kinds_present and not r.get("optional") \
                            and not index.present(kind, ns, r.get("name")):
                        yield at(r, "name", obj, f"{kind} `{r.get('name')}` is not in the "
                                                 "reviewed files")


@rules.rule(
    "K8077", "warning", "security", "Legacy cluster component with known risks",
    "Helm 2's Tiller runs with cluster-admin and no authentication; the Kubernetes "
    "Dashboard exposed with a privileged token has been the entry of several breaches.",
    "Remove Tiller (Helm 3 has none); run the Dashboard with a read-only account behind "
    "authentication, or not at all.",
    peers=("checkov:CKV_K8S_34", "checkov:CKV_K8S_44", "checkov:CKV_K8S_45",
           "checkov:CKV_K8S_33"),
    example=(
        'apiVersion: apps/v1\n'
        'kind: Deployment\n'
        'metadata:\n'
        '  name: headlamp\n'
        '  namespace: kube-system\n'
        'spec:\n'
        '  selector: {matchLabels: {app: headlamp}}\n'
        '  template:\n'
        '    metadata: {labels: {app: headlamp}}\n'
        '    spec:\n'
        '      containers: [{name: headlamp, image: "ghcr.io/headlamp-k8s/headlamp:v0.25.1"}]'))
def legacy_components(doc, ctx):
    for obj, pod, _ in each_pod(doc.model.objects):
        for c, _ in containers_of(pod, init=False):
            image = str(c.get("image", ""))
            if "tiller" in image or "kubernetes-dashboard" in image or "kubernetesui/dashboard" \
                    in image:
                yield at(c, "image", obj, f"`{image}`")


@rules.rule(
    "K8082", "suggestion", "reliability", "PodDisruptionBudget keeps unhealthy pods from eviction",
    "With the default `unhealthyPodEvictionPolicy` a crash-looping pod counts against the "
    "budget and can block node drains for good.",
    "Set `unhealthyPodEvictionPolicy: AlwaysAllow` on the PDB.",
    peers=("kube-linter:pdb-unhealthy-pod-eviction-policy",),
    example=(
        'apiVersion: policy/v1\n'
        'kind: PodDisruptionBudget\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  maxUnavailable: 1\n'
        '  unhealthyPodEvictionPolicy: AlwaysAllow\n'
        '  selector: {matchLabels: {app: web}}'))
def pdb_eviction_policy(doc, ctx):
    for obj in _of(doc, "PodDisruptionBudget"):
        if "unhealthyPodEvictionPolicy" not in _spec(obj):
            yield at(obj.data, "spec", obj, "no `unhealthyPodEvictionPolicy`")


@rules.rule(
    "K8083", "suggestion", "reliability", "No priorityClassName",
    "Without a priority class every pod has the same priority: under pressure the scheduler "
    "may preempt or starve the important ones. Whether it matters depends on the cluster, so "
    "the rule is off by default.",
    "Define PriorityClasses and set `priorityClassName` on important workloads.",
    peers=("polaris:priorityClassNotSet", "kube-linter:priority-class-name"), enabled=False,
    example=(
        'apiVersion: apps/v1\n'
        'kind: Deployment\n'
        'metadata:\n'
        '  name: web\n'
        'spec:\n'
        '  selector: {matchLabels: {app: web}}\n'
        '  template:\n'
        '    metadata: {labels: {app: web}}\n'
        '    spec:\n'
        '      priorityClassName: shop-critical\n'
        '      containers: [{name: web, image: "nginx:1.27.2"}]'))
def priority_class(doc, ctx):
    for obj, pod, _ in each_pod(doc.model.objects):
        if obj.kind in ("Deployment", "StatefulSet", "DaemonSet") \
                and not pod.get("priorityClassName"):
            yield at(pod, "priorityClassName", obj, "no `priorityClassName`")


@rules.rule(
    "K8084", "suggestion", "elegance", "`app.kubernetes.io/instance` differs from the name",
    "The recommended labels identify an instance by its name; a mismatch (often a copied "
    "manifest) makes dashboards and selectors group the wrong objects.",
    "Make `app.kubernetes.io/instance` equal to `metadata.name` (or drop it).",
    peers=("polaris:metadataAndInstanceMismatched",),
    example=(
        'apiVersion: v1\n'
        'kind: ConfigMap\n'
        'metadata:\n'
        '  name: shop-web\n'
        '  labels:\n'
        '    app.kubernetes.io/name: web\n'
        '    app.kubernetes.io/instance: shop-web\n'
        'data:\n'
        '  LOG_LEVEL: info'))
def instance_label(doc, ctx):
    for obj in doc.model.objects:
        labels = obj.labels()
        value = labels.get("app.kubernetes.io/instance")
        if value is not None and obj.name and str(value) != obj.name and "$" not in str(value) \
                and "{{" not in str(value):
            yield at(obj.metadata.get("labels"), "app.kubernetes.io/instance", obj,
                     f"`app.kubernetes.io/instance: {value}`")
