"""The Kubernetes domain: manifests (multi-document YAML with `apiVersion` and `kind`)."""

from __future__ import annotations

import os
import re

from infra_expert.domain import Domain
from infra_expert.kubernetes import helm
from infra_expert.kubernetes.model import cname, containers_of, each_container, each_pod
from infra_expert.kubernetes.model import load_manifest
from infra_expert.lazyre import lazy_re
from infra_expert.model import RULE_ID, Suppression
from infra_expert.suppress import Pragma, line_comment_suppressions
from infra_expert.yamlsafe import YMap, YSeq

NAME = "kubernetes"
def _rulesets():
    """The rule modules, imported when a review has files of this domain (or the
    catalogue asks): a one-file review does not pay for the others."""
    from infra_expert.kubernetes import helm, rules_objects, rules_workload, schema, rules_batch, rules_gitops, rules_logging
    from infra_expert.kubernetes import rules_minio
    return (rules_workload.rules, rules_objects.rules, helm.rules, schema.rules,
            rules_batch.rules, rules_gitops.rules, rules_logging.rules, rules_minio.rules)

# Concepts of the reference table (polaris, kube-score, kube-linter, checkov) with no rule
# here, and why (printed in docs/rules.md).
NOT_COVERED = {
    "requests == limits (kube-score container-*-requests-equal-limits, optional)":
        "Guaranteed QoS is a per-workload policy choice, not a defect; K8003 covers the "
        "memory limit that matters.",
    "ephemeral-storage request/limit (kube-score)":
        "rarely set outside batch clusters; the kubelet's eviction already protects nodes.",
    "values within a range (custom checks), container privileged ports, node affinity, "
    "required labels/annotations, sorted keys, dnsConfig ndots (kube-linter opt-in)":
        "team policies rather than defects; expressible as config later.",
    "OpenShift SCC, ServiceMonitor selects no Service (kube-linter opt-in)":
        "platform- and CRD-specific; CRDs are tolerated, not judged.",
    "create access to pods, webhook configurations, CSR approval, services/status "
    "(kube-linter access-to-create-pods; checkov CKV2_K8S_1/3/4)":
        "RBAC fine print beyond exec/attach, secrets, wildcards, escalate/bind/impersonate "
        "and cluster-admin, which are covered.",
    "control-plane flags (checkov CKV_K8S_68-151), git-sync (CKV_K8S_159)":
        "static-pod flag audits are a CIS node benchmark, out of scope for manifest review.",
    "PodSecurityPolicy field checks (checkov PSP)":
        "the PSP API was removed in 1.25; K8072 reports the object itself.",
    "topology spread constraints that are invalid (kube-score)":
        "the API server validates them; K8065 reports their absence.",
}

IGNORE_ANNOTATION = "infra-expert.io/ignore"
IGNORE_CONTAINER = "infra-expert.io/ignore-container."


def load_all(docs, ctx):
    failures = []
    for doc in docs:
        try:
            if doc.kind in ("chart", "values"):
                doc.model = helm.load_helm(doc)
                continue
            if doc.kind == "kustomization":
                continue   # handled by kustomize(): rendered, or its resources reviewed raw
            if _is_patch(doc):
                doc.kind = "patch"
                continue   # a partial object that kustomize merges: not reviewed alone
            doc.model = load_manifest(doc.text, doc.path)
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on
            failures.append((doc, type(exc).__name__))
    kustomizations = [d for d in docs if d.kind == "kustomization"]
    if kustomizations:
        from infra_expert.kubernetes.kustomize import render_all
        manifests = [d for d in docs if d.kind == "manifest"]
        ctx.notices.extend(render_all(kustomizations, manifests, ctx))
    return failures


_VALUES_NAME = lazy_re(r"^values(?:[._-][^/]*)?\.ya?ml$")
_API = lazy_re(r"^apiVersion:\s*\S", re.MULTILINE)
_KIND = lazy_re(r"^kind:\s*[A-Z]", re.MULTILINE)
# Helm/Go-template actions; `{{ $labels.x }}` in a PrometheusRule is not one of them
_HELM = lazy_re(r"\{\{-?\s*(?:\.(?:Values|Release|Chart|Capabilities|Files|Template)\b|"
                r"include\b|template\b|if\b|else\b|end\b|range\b|with\b|toYaml\b|tpl\b|"
                r"define\b|/\*)")
# kustomize, skaffold and Helm's own files carry apiVersion/kind but are not objects
# (a Flux `Kustomization`, kustomize.toolkit.fluxcd.io, is an API object: reviewed)
_TOOLING = lazy_re(r"^kind:\s*(?:Component|Config)\s*$|"
                   r"^apiVersion:\s*(?:kustomize\.config|skaffold/|v2$)", re.MULTILINE)
_KUSTOMIZATION_KIND = lazy_re(r"^kind:\s*Kustomization\s*$", re.MULTILINE)
# objects that hand `{{ .Release.Name }}` to a chart as data (app-template's `tpl`): the
# file is an object, not a template
_PASSES_TEMPLATES = lazy_re(r"^apiVersion:\s*(?:helm\.toolkit\.fluxcd\.io|argoproj\.io)/",
                            re.MULTILINE)
_FLUX_KUSTOMIZATION = lazy_re(r"^apiVersion:\s*kustomize\.toolkit\.fluxcd\.io/", re.MULTILINE)


def by_name(name):
    if name == "Chart.yaml":
        return "chart"
    if name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        return "kustomization"
    return None


def by_content(head, name, where):
    """A chart's values file; YAML with `apiVersion` and `kind` that is neither a template
    nor a tool's own config."""
    if not name.lower().endswith((".yml", ".yaml")):
        return None
    if _VALUES_NAME.match(name) and where.beside("Chart.yaml"):
        return "values"
    if _API.search(head) and _KIND.search(head) \
            and (not _HELM.search(head) or _PASSES_TEMPLATES.search(head)) \
            and not _TOOLING.search(head) and not (
                _KUSTOMIZATION_KIND.search(head) and not _FLUX_KUSTOMIZATION.search(head)):
        return "manifest"
    return None


def project(doc):
    """Manifests group by folder; their subjects are containers."""
    return (os.path.dirname(doc.path) or ".", [doc.path],
            [f"{obj.label}: container `{cname(c)}`"
             for obj, _, c, _ in each_container(getattr(doc.model, "objects", ()))])


def link(docs, ctx):
    """Tell the run which images the workloads run, and whether they run to completion."""
    from infra_expert.crossfile import Runner
    for doc in docs:
        if doc.model is None:
            continue
        for obj, pod, _ in each_pod(doc.model.objects):
            for c, _ in containers_of(pod):
                ctx.links.add_runner(Runner("kubernetes", str(c.get("name", "")),
                                            image=str(c.get("image", "")),
                                            batch=obj.kind in ("Job", "CronJob")))


def _is_patch(doc):
    name = doc.path.rsplit("/", 1)[-1].lower()
    return "patch" in name or "\n$patch:" in doc.text or "\n  $patch:" in doc.text


def column(doc, line):
    return None


def _codes(text):
    """`"K8012,K8020 reason"` -> (["K8012", "K8020"], "reason")."""
    words = str(text).replace(",", " ").split()
    codes = []
    for w in words:
        if RULE_ID.match(w.upper()):
            codes.append(w.upper())
        else:
            break
    return codes


def _last_line(node):
    best = getattr(node, "line", 0)
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, YMap):
            for line, _ in list(cur.key_pos.values()) + list(cur.value_pos.values()):
                best = max(best, line)
            stack.extend(v for v in cur.values() if isinstance(v, (YMap, YSeq)))
        elif isinstance(cur, YSeq):
            for line, _ in cur.item_pos:
                best = max(best, line)
            stack.extend(v for v in cur if isinstance(v, (YMap, YSeq)))
    return best


def suppressions(doc, peer_index):
    """Exemptions: `infra-expert.io/ignore` on the object or its pod template,
    `infra-expert.io/ignore-container.<name>` for one container, the peers' own
    annotations, and `# infra-expert: ignore=` comments."""
    sups, unknown = [], []
    manifest = doc.model
    for obj in manifest.objects:
        metas = [obj.metadata]
        pods = [(pod, meta) for o, pod, meta in each_pod([obj])]
        metas.extend(meta for _, meta in pods if meta is not obj.metadata)
        for meta in metas:
            ann = meta.get("annotations")
            if not isinstance(ann, YMap):
                continue
            for key, value in ann.items():
                key = str(key)
                line = ann.key_pos.get(key, (obj.line, 1))[0]
                start, end = obj.line, obj.end_line    # a render's: mapped to the source
                if key == IGNORE_ANNOTATION:
                    pragma = Pragma("infra-expert", "object", _codes(value) or ["?"], None)
                elif key.startswith(IGNORE_CONTAINER):
                    name = key[len(IGNORE_CONTAINER):]
                    spans = [(c.line, _last_line(c)) for pod, _ in pods
                             for c, _ in containers_of(pod) if str(c.get("name")) == name]
                    if not spans:
                        unknown.append((line, [f"container {name}"]))
                        continue
                    start, end = spans[0]
                    pragma = Pragma("infra-expert", "object", _codes(value) or ["?"], None)
                elif key.startswith("polaris.fairwinds.com/") and key.endswith("-exempt") \
                        and str(value).lower() == "true":
                    check = key.split("/", 1)[1][:-len("-exempt")]
                    pragma = Pragma("polaris", "object", [check], None)
                elif key == "kube-score/ignore":
                    pragma = Pragma("kube-score", "object",
                                    [c.strip() for c in str(value).split(",") if c.strip()], None)
                elif key.startswith("ignore-check.kube-linter.io/"):
                    pragma = Pragma("kube-linter", "object", [key.split("/", 1)[1]], None)
                else:
                    continue
                ids, bad = _resolve(peer_index, pragma)
                if bad:
                    unknown.append((line, bad))
                if ids:
                    sups.append(Suppression(obj.path, line, ids, start, end,
                                            "infra-expert" if pragma.origin == "infra-expert"
                                            else pragma.origin, ",".join(pragma.codes)))
    more, bad = line_comment_suppressions(doc.path, doc.text, peer_index, Suppression)
    sups.extend(more)
    unknown.extend(bad)
    return sups, unknown


def _resolve(peer_index, pragma):
    if pragma.origin == "infra-expert":
        return peer_index.resolve(pragma)
    ids = set()
    for code in pragma.codes:
        ids |= peer_index.by_peer.get(f"{pragma.origin}:{code}".lower(), set())
    return ids, []


def _int(value, default):
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def resources(docs):
    """Requests and limits per workload, multiplied by the pods it keeps running.

    `schedule` says how a row adds up: `steady` (Deployments, StatefulSets: `replicas`, or
    the `minReplicas` of an HPA that scales it, `autoscaled`), `per-node` (a DaemonSet: one
    pod on every node, so its figures are per node) or `batch` (Jobs and CronJobs: pods that
    run to completion, counted at their peak `parallelism`, not in the steady total)."""
    from infra_expert.knowledge import heavy_command
    from infra_expert.kubernetes.model import namespace_of
    from infra_expert.oncalendar import cron_calendars
    from infra_expert.quantities import quantity_bytes, quantity_cpu
    hpa = {}
    for doc in docs:
        for obj in doc.model.objects:
            spec = obj.data.get("spec") if isinstance(obj.data.get("spec"), dict) else {}
            ref = spec.get("scaleTargetRef")
            if obj.kind == "HorizontalPodAutoscaler" and isinstance(ref, dict):
                hpa[(namespace_of(obj), str(ref.get("kind")), str(ref.get("name")))] = \
                    max(_int(spec.get("minReplicas"), 1), 1)
    rows = []
    for doc in docs:
        for obj, pod, _ in each_pod(doc.model.objects):
            spec = obj.data.get("spec") if isinstance(obj.data.get("spec"), dict) else {}
            autoscaled = False
            if obj.kind in ("Job", "CronJob"):
                schedule = "batch"
                job = spec
                if obj.kind == "CronJob":
                    template = spec.get("jobTemplate")
                    job = template.get("spec") if isinstance(template, dict) else None
                job = job if isinstance(job, dict) else {}
                replicas = max(_int(job.get("parallelism"), 1), 1)
            elif obj.kind == "DaemonSet":
                schedule, replicas = "per-node", 1
            else:
                schedule = "steady"
                replicas = _int(spec.get("replicas"), 1) if obj.kind in (
                    "Deployment", "StatefulSet", "ReplicaSet") else 1
                key = (namespace_of(obj), obj.kind, obj.name)
                if key in hpa:
                    replicas, autoscaled = hpa[key], True
            totals = {"cpu_request": 0.0, "cpu_limit": 0.0, "memory_request": 0,
                      "memory_limit": 0}
            images, heavy = [], None    # one image per container, whatever its limits
            for c, is_init in containers_of(pod, init=False):
                images.append(str(c.get("image") or ""))
                if schedule == "batch" and heavy is None:
                    words = [str(w) for k in ("command", "args")
                             for w in (c.get(k) if isinstance(c.get(k), list) else [])]
                    heavy = heavy_command(words)
                res = c.get("resources") if isinstance(c.get("resources"), dict) else {}
                for kind in ("requests", "limits"):
                    values = res.get(kind) if isinstance(res.get(kind), dict) else {}
                    suffix = "request" if kind == "requests" else "limit"
                    totals[f"cpu_{suffix}"] += quantity_cpu(values.get("cpu")) or 0
                    totals[f"memory_{suffix}"] += quantity_bytes(values.get("memory")) or 0
            row = {"path": doc.path, "kind": obj.kind, "name": obj.name,
                   "namespace": namespace_of(obj) or "default",
                   "replicas": replicas, "schedule": schedule,
                   "autoscaled": autoscaled, "images": images,
                   **{k: v * replicas for k, v in totals.items()}}
            if obj.kind == "CronJob":
                zone = spec.get("timeZone") if isinstance(spec.get("timeZone"), str) else None
                row["calendar"] = cron_calendars(str(spec.get("schedule") or ""), zone) or []
                if heavy is None and row["memory_request"] >= HEAVY_REQUEST:
                    heavy = f"requests {row['memory_request'] / 2**20:.0f} MiB"
                row["heavy"] = heavy
            rows.append(row)
    out = {"workloads": rows} if rows else {}
    claims = _claims(docs, quantity_bytes)
    if claims:
        out["claims"] = claims
    return out


def _claims(docs, quantity_bytes):
    """Persistent storage asked for: each PersistentVolumeClaim, and a StatefulSet's
    `volumeClaimTemplates` once per replica; `bytes` None when no size is given."""
    from infra_expert.kubernetes.model import namespace_of
    out = []

    def size(claim_spec):
        res = claim_spec.get("resources") if isinstance(claim_spec.get("resources"),
                                                       dict) else {}
        req = res.get("requests") if isinstance(res.get("requests"), dict) else {}
        return quantity_bytes(req.get("storage"))

    for doc in docs:
        for obj in doc.model.objects:
            spec = obj.data.get("spec") if isinstance(obj.data.get("spec"), dict) else {}
            if obj.kind == "PersistentVolumeClaim":
                out.append({"path": doc.path, "name": obj.name, "copies": 1,
                            "namespace": namespace_of(obj) or "default",
                            "storage_class": spec.get("storageClassName"),
                            "bytes": size(spec)})
            elif obj.kind == "StatefulSet" and isinstance(spec.get("volumeClaimTemplates"),
                                                           list):
                copies = max(_int(spec.get("replicas"), 1), 1)
                for tpl in spec["volumeClaimTemplates"]:
                    if not isinstance(tpl, dict):
                        continue
                    meta = tpl.get("metadata") if isinstance(tpl.get("metadata"), dict) else {}
                    tspec = tpl.get("spec") if isinstance(tpl.get("spec"), dict) else {}
                    one = size(tspec)
                    out.append({"path": doc.path, "name": f"{obj.name}/{meta.get('name')}",
                                "copies": copies, "namespace": namespace_of(obj) or "default",
                                "storage_class": tspec.get("storageClassName"),
                                "bytes": one * copies if one else None})
    return out


def _totals(workloads):
    """The steady requests (replicas, HPA minimum), then per node (DaemonSets), then the
    batch peak (Jobs, CronJobs), each said only when there is some."""
    def total(schedule):
        rows = [w for w in workloads if w.get("schedule", "steady") == schedule]
        return (len(rows), sum(w["cpu_request"] for w in rows),
                sum(w["memory_request"] for w in rows) / 2**20)
    n, cpu, mem = total("steady")
    text = [f"Requests add up to {cpu:g} CPU and {mem:.0f} MiB across {n} long-running "
            "workload(s) (replicas, or an HPA's minimum, included)"] if n else []
    n, cpu, mem = total("per-node")
    if n:
        text.append(f"{'plus ' if text else 'Requests add up to '}{cpu:g} CPU and "
                    f"{mem:.0f} MiB on every node for {n} DaemonSet(s)")
    text = [", ".join(text) + "; the cluster needs at least that much allocatable "
            "capacity, plus room for one node to drain."] if text else []
    n, cpu, mem = total("batch")
    if n:
        text.append(f"{n} Job(s)/CronJob(s) request up to {cpu:g} CPU and {mem:.0f} MiB "
                    + ("more while they run (not in the total above)." if text
                       else "while they run."))
    return " ".join(text)


# A CronJob that asks this much memory per run is a heavy job, whatever it runs.
HEAVY_REQUEST = 256 * 2**20


def consumers(res):
    return [{"name": f"{w['kind']} `{w['name']}`", "path": w["path"], "line": None,
             "group": f"namespace `{w.get('namespace', 'default')}`",
             "memory_limit": w["memory_limit"] or None,
             "memory_request": w["memory_request"] or None,
             "cpu_limit": w["cpu_limit"] or None, "schedule": w.get("schedule", "steady"),
             "optional": False, "images": w.get("images") or [],
             "image": (w.get("images") or [None])[0], "replicas": w.get("replicas", 1),
             "calendar": w.get("calendar") or [], "heavy": w.get("heavy"),
             # Guaranteed QoS (requests equal to limits) is the last the kubelet kills
             "oom_protected": bool(w["memory_limit"]) and w["memory_request"] ==
             w["memory_limit"] and bool(w["cpu_limit"]) and w["cpu_request"] == w["cpu_limit"]}
            for w in res.get("workloads", [])]


def show_resources(res, out):
    workloads = res.get("workloads", [])
    lines = []
    if workloads:
        lines = ["| Workload | Replicas | CPU requests | CPU limits | Memory requests | "
                 "Memory limits |", "|---|---|---|---|---|---|"]
        for w in (workloads if out.full else workloads[:3 * out.rows]):
            where = f"{out.code(w['path'])} {out.inline(w['kind'])} {out.code(w['name'])}"
            replicas = {"per-node": "× nodes",
                        "batch": f"{w['replicas']} (batch peak)"}.get(
                w.get("schedule"), f"{w['replicas']}" + (" (HPA min)" if w.get("autoscaled")
                                                         else ""))
            lines.append(f"| {out.cell(where)} | {replicas} | "
                         f"{w['cpu_request']:g} | {w['cpu_limit']:g} | "
                         f"{out.mib(w['memory_request'] or None)} | "
                         f"{out.mib(w['memory_limit'] or None)} |")
        lines.append("")
        if not out.full and len(workloads) > 3 * out.rows:
            lines.extend([f"+{len(workloads) - 3 * out.rows} workloads; `--full` lists "
                          "every one.", ""])
        lines.extend([_totals(workloads), ""])
    claims = res.get("claims") or []
    if claims:
        sized = [c["bytes"] for c in claims if c["bytes"]]
        text = (f"Persistent volume claims: {len(claims)}, asking for "
                f"{sum(sized) / 2**30:.1f} GiB in all (StatefulSet templates once per "
                "replica)")
        unsized = len(claims) - len(sized)
        lines.extend([text + (f"; {unsized} without a size." if unsized else "."), ""])
    return lines


DOMAIN = Domain(
    NAME, "K8", "Kubernetes", _rulesets, noun=("Kubernetes manifest", "Kubernetes manifests"),
    by_name=by_name, by_content=by_content, sniff=(".yml", ".yaml"), load=load_all,
    link=link, suppressions=suppressions, column=column, project=project,
    group_by_folder=True, subject_nouns=("container", "containers"),
    baseline=(("K8015", "runAsNonRoot"), ("K8014", "no privilege escalation"),
              ("K8017", "read-only root"), ("K8022", "drop ALL"),
              ("K8001", "CPU request"), ("K8002", "memory request"),
              ("K8003", "memory limit")),
    resources=resources, show_resources=show_resources, consumers=consumers, fence="yaml",
    not_covered=NOT_COVERED,
    example_names=("manifest.yaml", "kustomization.yaml", "Chart.yaml"))
