"""CASES of the Kubernetes LV rules (LV020–LV031): snapshots of `kubectl get -o json`
objects, in the shapes the API server gives them (see tests/fixtures/live/kube/)."""

from infra_expert.live.model import dump_snapshot


def snap(*objects, collected_at="2026-11-30T07:50:00Z"):
    return {"cluster.live.json": dump_snapshot({
        "source": "kubernetes", "collected_at": collected_at,
        "context": {"kube_context": "home", "namespace": "apps"},
        "objects": list(objects)})}


def pod(name, *statuses, phase="Running", owner="web-5d8f", conditions=None, **status):
    obj = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "namespace": "apps"},
           "spec": {"containers": [{"name": s["name"], "image": "nginx:1.27.2",
                                    "resources": {"limits": {"memory": "128Mi"}}}
                                   for s in statuses] or [{"name": "web",
                                                           "image": "nginx:1.27.2"}]},
           "status": {"phase": phase, **status}}
    if statuses:
        obj["status"]["containerStatuses"] = list(statuses)
    if owner:
        obj["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                               "name": owner, "controller": True,
                                               "uid": "1"}]
    if conditions:
        obj["status"]["conditions"] = conditions
    return obj


def cs(name="web", restarts=0, waiting=None, last=None, running=True, image="nginx:1.27.2"):
    state = {"waiting": {"reason": waiting}} if waiting else (
        {"running": {"startedAt": "2026-11-30T07:00:00Z"}} if running else {})
    return {"name": name, "image": image, "ready": not waiting, "restartCount": restarts,
            "state": state, "lastState": {"terminated": last} if last else {}}


def deployment(name="web", replicas=3, status=None):
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "apps",
                         "annotations": {"meta.helm.sh/release-name": "shop",
                                         "meta.helm.sh/release-namespace": "apps"}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": name,
                                                           "image": "nginx:1.27.2"}]}}},
            "status": status or {}}


def replicaset(name="web-5d8f", owner="web"):
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": "apps", "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "Deployment", "name": owner,
                 "controller": True, "uid": "2"}]},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": owner}},
                     "template": {"spec": {"containers": [{"name": "web",
                                                           "image": "nginx:1.27.2"}]}}},
            "status": {"replicas": 1}}


OOM = {"exitCode": 137, "reason": "OOMKilled", "finishedAt": "2026-11-30T07:40:00Z"}
ERROR = {"exitCode": 1, "reason": "Error", "finishedAt": "2026-11-30T07:40:00Z"}


def job(name="backup-29408790", failed=True, owner="backup"):
    cond = ({"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
             "lastTransitionTime": "2026-11-30T02:41:19Z"} if failed else
            {"type": "Complete", "status": "True"})
    obj = {"apiVersion": "batch/v1", "kind": "Job",
           "metadata": {"name": name, "namespace": "apps"},
           "spec": {"backoffLimit": 2, "template": {"spec": {
               "restartPolicy": "Never",
               "containers": [{"name": "backup", "image": "ghcr.io/example/backup:1.4.0"}]}}},
           "status": {"failed": 3 if failed else 0, "conditions": [cond]}}
    if owner:
        obj["metadata"]["ownerReferences"] = [{"apiVersion": "batch/v1", "kind": "CronJob",
                                               "name": owner, "controller": True,
                                               "uid": "3"}]
    return obj


def cronjob(schedule="30 2 * * *", created="2026-09-14T11:02:37Z", **status):
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "backup", "namespace": "apps", "creationTimestamp": created},
            "spec": {"schedule": schedule, "startingDeadlineSeconds": 300,
                     "jobTemplate": {"spec": {"template": {"spec": {
                         "restartPolicy": "OnFailure",
                         "containers": [{"name": "backup",
                                         "image": "ghcr.io/example/backup:1.4.0"}]}}}}},
            "status": status}


def node(name="pi-1", ready="True", **pressure):
    conditions = [{"type": t, "status": pressure.get(t, "False"),
                   "lastTransitionTime": "2026-11-29T22:03:41Z"}
                  for t in ("MemoryPressure", "DiskPressure", "PIDPressure")]
    conditions.append({"type": "Ready", "status": ready, "reason": "KubeletReady"
                       if ready == "True" else "NodeStatusUnknown"})
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}, "spec": {},
            "status": {"conditions": conditions}}


def hpa(active="True", limited="False"):
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web", "namespace": "apps"},
            "spec": {"minReplicas": 2, "maxReplicas": 4,
                     "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                        "name": "web"}},
            "status": {"currentReplicas": 4, "desiredReplicas": 4, "conditions": [
                {"type": "ScalingActive", "status": active,
                 "reason": "ValidMetricFound" if active == "True"
                 else "FailedGetResourceMetric",
                 "message": "unable to get metrics for resource cpu"},
                {"type": "ScalingLimited", "status": limited,
                 "reason": "TooManyReplicas" if limited == "True" else "DesiredWithinRange",
                 "lastTransitionTime": "2026-11-29T19:02:44Z"}]}}


def pdb(allowed):
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": "web", "namespace": "apps"},
            "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}},
            "status": {"currentHealthy": 2 + allowed, "desiredHealthy": 2,
                       "disruptionsAllowed": allowed, "expectedPods": 2 + allowed}}


UNSCHEDULABLE = [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                  "message": "0/3 nodes are available: 3 Insufficient memory. preemption: "
                             "0/3 nodes are available: 3 No preemption victims found."}]
SCHEDULED = [{"type": "PodScheduled", "status": "True"}]

P = "pod/apps/web-5d8f-x2k4p"
CASES = [
    ("LV020", snap(deployment(), replicaset(),
                   pod("web-5d8f-x2k4p", cs(restarts=38, waiting="CrashLoopBackOff",
                                             last=ERROR))), [(P, None)]),
    ("LV020", snap(pod("web-5d8f-x2k4p", cs(restarts=1, last=ERROR))), []),
    ("LV021", snap(pod("web-5d8f-x2k4p", cs(restarts=7, last=ERROR))), [(P, None)]),
    ("LV021", snap(pod("web-5d8f-x2k4p", cs(restarts=4, last=ERROR)),
                   pod("web-5d8f-q8wzn", cs(restarts=40, waiting="CrashLoopBackOff"))), []),
    ("LV022", snap(pod("web-5d8f-x2k4p", cs(restarts=2, last=OOM))), [(P, None)]),
    ("LV022", snap(pod("web-5d8f-x2k4p", cs(restarts=2, last=ERROR))), []),
    ("LV023", snap(pod("report", cs("report", waiting="ImagePullBackOff",
                                    image="registry.example.com/report:2.0.0-rc1"),
                       phase="Pending", owner=None)), [("pod/apps/report", None)]),
    ("LV023", snap(pod("report", cs("report", waiting="ContainerCreating"), phase="Pending",
                       owner=None)), []),
    ("LV024", snap(deployment(status={"replicas": 3, "readyReplicas": 2,
                                      "availableReplicas": 2, "unavailableReplicas": 1})),
     [("deployment/apps/web", None)]),
    ("LV024", snap(deployment(status={"replicas": 3, "readyReplicas": 3,
                                      "availableReplicas": 3}),
                   deployment("idle", replicas=0, status={"observedGeneration": 2})), []),
    ("LV025", snap(pod("web-5d8f-x2k4p", phase="Pending", conditions=UNSCHEDULABLE)),
     [(P, None)]),
    ("LV025", snap(pod("web-5d8f-x2k4p", cs(), conditions=SCHEDULED)), []),
    ("LV026", snap(cronjob(lastScheduleTime="2026-11-30T02:30:00Z",
                           lastSuccessfulTime="2026-11-30T02:31:00Z"), job()),
     [("job/apps/backup-29408790", None)]),
    ("LV026", snap(job(failed=False)), []),
    # never scheduled since September; last scheduled a week ago (daily); last success old
    ("LV027", snap(cronjob()), [("cronjob/apps/backup", None)]),
    ("LV027", snap(cronjob(lastScheduleTime="2026-11-23T02:30:00Z",
                           lastSuccessfulTime="2026-11-23T02:31:00Z")),
     [("cronjob/apps/backup", None)]),
    ("LV027", snap(cronjob(lastScheduleTime="2026-11-30T02:30:00Z",
                           lastSuccessfulTime="2026-11-20T02:31:00Z")),
     [("cronjob/apps/backup", None)]),
    # monthly, created a week ago: not due yet; daily and on time
    ("LV027", snap(cronjob("0 3 1 * *", created="2026-11-23T00:00:00Z")), []),
    ("LV027", snap(cronjob(lastScheduleTime="2026-11-30T02:30:00Z",
                           lastSuccessfulTime="2026-11-30T02:31:00Z")), []),
    ("LV028", snap(node("pi-1", DiskPressure="True"), node("pi-2")), [("node/pi-1", None)]),
    ("LV028", snap(node("pi-1"), node("pi-2")), []),
    ("LV029", snap(hpa(limited="True")), [("horizontalpodautoscaler/apps/web", None)]),
    ("LV029", snap(hpa(active="False")), [("horizontalpodautoscaler/apps/web", None)]),
    ("LV029", snap(hpa()), []),
    ("LV030", snap(pdb(0)), [("poddisruptionbudget/apps/web", None)]),
    ("LV030", snap(pdb(1)), []),
    ("LV031", snap(pod("web-5d8f-x2k4p", phase="Failed", reason="Evicted",
                       message="The node was low on resource: memory.")), [(P, None)]),
    ("LV031", snap(pod("web-5d8f-x2k4p", phase="Failed", reason="Error")), []),
]
