"""Kubernetes rules about Jobs and CronJobs, and memory requests left to their default."""

from __future__ import annotations

from infra_expert.kubernetes.model import at, each_pod, mappings, namespace_of, scalars
from infra_expert.kubernetes.rules_workload import run_index
from infra_expert.model import RuleSet

rules = RuleSet("kubernetes")

_BATCH = ("Job", "CronJob")
_SERVING = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod",
            "ReplicationController")


def _claims(pod):
    """{claim name: volume mapping} of a pod spec."""
    out = {}
    for v in mappings(pod, "volumes"):
        pvc = v.get("persistentVolumeClaim")
        if isinstance(pvc, dict) and pvc.get("claimName") and not pvc.get("readOnly"):
            out[str(pvc["claimName"])] = pvc
    return out


def _job_spec(obj):
    spec = obj.data.get("spec") if isinstance(obj.data.get("spec"), dict) else {}
    if obj.kind == "CronJob":
        template = spec.get("jobTemplate")
        job = template.get("spec") if isinstance(template, dict) else None
        return spec, (job if isinstance(job, dict) else {})
    return spec, spec


@rules.rule(
    "K8100", "warning", "reliability", "Job mounts a ReadWriteOnce volume a workload also mounts",
    "A ReadWriteOnce volume attaches to one node at a time. When the Job's pod lands on "
    "another node than the Deployment (or other workload) using the same claim, it stays "
    "in `ContainerCreating` with a Multi-Attach error until it times out; a backup or "
    "migration Job that \"usually works\" fails whenever the scheduler picks another "
    "node. (`ReadWriteOncePod` never shares, even on one node.)",
    "Co-locate the Job with a required `podAffinity` on the workload's labels "
    "(`topologyKey: kubernetes.io/hostname`), use a ReadWriteMany volume, or back up "
    "through the application or a volume snapshot instead.",
    example=(
        'apiVersion: batch/v1\n'
        'kind: CronJob\n'
        'metadata:\n'
        '  name: backup\n'
        'spec:\n'
        '  schedule: "0 2 * * *"\n'
        '  concurrencyPolicy: Forbid\n'
        '  jobTemplate:\n'
        '    spec:\n'
        '      template:\n'
        '        spec:\n'
        '          restartPolicy: OnFailure\n'
        '          affinity:\n'
        '            podAffinity:\n'
        '              requiredDuringSchedulingIgnoredDuringExecution:\n'
        '                - labelSelector: {matchLabels: {app: nextcloud}}\n'
        '                  topologyKey: kubernetes.io/hostname\n'
        '          containers: [{name: backup, image: "ghcr.io/example/backup:1.4.2"}]'))
def rwo_shared_with_job(doc, ctx):
    index = run_index(ctx)

    def build():
        modes = {}
        for pvc in index.of("PersistentVolumeClaim"):
            spec = pvc.data.get("spec") if isinstance(pvc.data.get("spec"), dict) else {}
            modes[(namespace_of(pvc), pvc.name)] = {str(m) for m in
                                                    scalars(spec, "accessModes")}
        users = {}
        for d in ctx.documents:
            if d.domain != "kubernetes" or d.model is None:
                continue
            for obj, pod, _ in each_pod(d.model.objects):
                if obj.kind in _SERVING:
                    for claim in _claims(pod):
                        users.setdefault((namespace_of(obj), claim), obj)
        return modes, users
    modes, users = index.cached("rwo-claims", build)
    for obj, pod, _ in each_pod(doc.model.objects):
        if obj.kind not in _BATCH:
            continue
        affinity = pod.get("affinity")
        if isinstance(affinity, dict) and affinity.get("podAffinity"):
            continue
        for claim, node in _claims(pod).items():
            key = (namespace_of(obj), claim)
            access = modes.get(key, set())
            owner = users.get(key)
            if owner is not None and access and not access & {"ReadWriteMany",
                                                              "ReadOnlyMany"}:
                yield at(node, "claimName", obj,
                         f"mounts `{claim}` ({', '.join(sorted(access))}), also mounted by "
                         f"{owner.label}: on another node its pod cannot attach it")


@rules.rule(
    "K8101", "warning", "reliability", "Job that can run for ever",
    "Nothing stops a Job whose pod hangs (a stuck connection, a lock, a prompt): without "
    "`activeDeadlineSeconds` it runs until someone notices. Two settings make it worse: "
    "with `concurrencyPolicy: Forbid` one hung run blocks every later run of the "
    "CronJob; with `backoffLimit: 0` the author wanted one attempt, yet a hang is never "
    "retried nor failed. Jobs with neither are not reported.",
    "Set `activeDeadlineSeconds` on the Job (in `jobTemplate.spec` of a CronJob) to a "
    "generous upper bound of a normal run.",
    example=(
        'apiVersion: batch/v1\n'
        'kind: CronJob\n'
        'metadata:\n'
        '  name: report\n'
        'spec:\n'
        '  schedule: "0 3 * * *"\n'
        '  concurrencyPolicy: Forbid\n'
        '  jobTemplate:\n'
        '    spec:\n'
        '      activeDeadlineSeconds: 3600\n'
        '      backoffLimit: 2\n'
        '      template:\n'
        '        spec:\n'
        '          restartPolicy: OnFailure\n'
        '          containers: [{name: report, image: "ghcr.io/example/report:1.4.2"}]'))
def job_no_deadline(doc, ctx):
    for obj in doc.model.objects:
        if obj.kind not in _BATCH:
            continue
        spec, job = _job_spec(obj)
        if "activeDeadlineSeconds" in job:
            continue
        if obj.kind == "CronJob" and spec.get("concurrencyPolicy") == "Forbid":
            yield at(spec, "concurrencyPolicy", obj, "`concurrencyPolicy: Forbid` and no "
                     "`activeDeadlineSeconds`: one hung run blocks every later run")
        elif job.get("backoffLimit") == 0:
            yield at(job, "backoffLimit", obj, "`backoffLimit: 0` and no "
                     "`activeDeadlineSeconds`: a hung run is never stopped")
