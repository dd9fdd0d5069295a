"""LV020–LV039: what only a running cluster shows — containers crash-looping, restarting,
OOM-killed or unable to pull their image, workloads short of ready replicas, pods the
scheduler cannot place, failed Jobs, CronJobs that stopped running, nodes under pressure,
autoscalers pinned at their maximum, disruption budgets that block every drain, evicted
pods. They read the status the API server reports in a snapshot's `objects`; times are
judged against the snapshot's `collected_at`, not the clock of the review."""

from __future__ import annotations

import datetime

from infra_expert.live.kube import Index, meta, origin, ref
from infra_expert.model import Hit, Pass, RuleSet

rules = RuleSet("live")

RESTARTS_OFTEN = 5       # restarts of one container that are not bad luck any more
PULL_FAILURES = ("ImagePullBackOff", "ErrImagePull", "InvalidImageName",
                 "ErrImageNeverPull")


def _snapshot(objects, collected_at="2026-11-30T07:50:00Z", context=None):
    """A `host.live.json` text for a rule's example."""
    import json
    return json.dumps({"infra-expert-live": 1, "source": "kubernetes",
                       "collected_at": collected_at,
                       "context": context or {"kube_context": "home", "namespace": "apps"},
                       "objects": objects}, indent=2)


def _pod(name, statuses, phase="Running", owner="web-5d8f", conditions=None):
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "namespace": "apps"},
           "spec": {"containers": [{"name": s["name"], "image": "nginx:1.27.2"}
                                   for s in statuses]},
           "status": {"phase": phase, "containerStatuses": statuses}}
    if owner:
        pod["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                               "name": owner, "controller": True,
                                               "uid": "0c1d"}]
    if conditions:
        pod["status"]["conditions"] = conditions
    return pod


_RUNNING = {"name": "web", "ready": True, "restartCount": 0,
            "state": {"running": {"startedAt": "2026-11-29T10:00:00Z"}}, "lastState": {}}
POD_EXAMPLE = _snapshot([_pod("web-5d8f-x2k4p", [_RUNNING])])


def _of_kind(doc, *kinds):
    return [o for o in doc.model.objects if o.get("kind") in kinds]


def _status(obj):
    status = obj.get("status")
    return status if isinstance(status, dict) else {}


def _spec(obj):
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def _container_statuses(pod):
    status = _status(pod)
    for key in ("initContainerStatuses", "containerStatuses"):
        for cs in status.get(key) or ():
            if isinstance(cs, dict):
                yield cs


def _state(cs, which, key="state"):
    state = cs.get(key)
    found = state.get(which) if isinstance(state, dict) else None
    return found if isinstance(found, dict) else None


def _int(value, default=0):
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _time(text):
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _age(doc, text):
    """How long before the snapshot was read `text` (an RFC 3339 time) was, or None."""
    then, now = _time(text), _time(doc.model.data.get("collected_at"))
    if then is None or now is None:
        return None
    if then.tzinfo is None:
        then = then.replace(tzinfo=datetime.timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=datetime.timezone.utc)
    return now - then


def _ago(delta):
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.0f} days" if hours >= 48 else f"{hours:.0f} hours"


def _condition(obj, type_):
    for c in _status(obj).get("conditions") or ():
        if isinstance(c, dict) and c.get("type") == type_:
            return c
    return None


def _pods(doc):
    return _of_kind(doc, "Pod")


def _statuses(doc):
    """(pod, container status, how to name its owner) of every container of every pod."""
    index = Index(doc.model.objects)
    for pod in _pods(doc):
        for cs in _container_statuses(pod):
            yield pod, cs, index.owner_words(pod)


@rules.rule(
    "LV020", "critical", "reliability", "Container in CrashLoopBackOff",
    "The container starts, dies and is started again with a growing back-off (up to five "
    "minutes): whatever it serves is down or running short of replicas, and every restart "
    "loses in-memory state and open connections. It will not heal by waiting.",
    "Read why it dies: `kubectl logs POD -c CONTAINER --previous` and `kubectl describe "
    "pod POD` (exit code, OOMKilled, failing liveness probe); fix the cause (configuration, "
    "a missing Secret, a dependency, memory), then roll out again.",
    positive="No container is crash-looping",
    example=POD_EXAMPLE)
def crash_loop(doc, ctx):
    for pod, cs, owner in _statuses(doc):
        waiting = _state(cs, "waiting")
        if waiting and waiting.get("reason") == "CrashLoopBackOff":
            last = _state(cs, "terminated", "lastState") or {}
            why = f", last exit {last.get('exitCode')}" + \
                  (f" ({last['reason']})" if last.get("reason") else "") \
                if last.get("exitCode") is not None else ""
            yield Hit(None, f"container `{cs.get('name')}`{owner} is in CrashLoopBackOff: "
                            f"{_int(cs.get('restartCount'))} restarts{why}", path=ref(pod))
    if _pods(doc):
        yield Pass()


@rules.rule(
    "LV021", "warning", "reliability", "Container restarting often",
    f"A container that restarted {RESTARTS_OFTEN} times or more since its pod started is "
    "failing now and then — a liveness probe too strict for slow moments, a memory limit "
    "reached under load, a crash on some requests. Each restart drops the requests in "
    "flight.",
    "Look at the last termination (`kubectl describe pod`: reason and exit code) and the "
    "previous logs (`kubectl logs --previous`); loosen a liveness probe that kills a busy "
    "process, raise a memory limit that is reached, fix the crash.",
    positive="Containers run without repeated restarts",
    example=POD_EXAMPLE)
def restarting_often(doc, ctx):
    for pod, cs, owner in _statuses(doc):
        waiting = _state(cs, "waiting")
        if waiting and waiting.get("reason") == "CrashLoopBackOff":
            continue    # LV020 says it, louder
        count = _int(cs.get("restartCount"))
        if count >= RESTARTS_OFTEN:
            last = _state(cs, "terminated", "lastState") or {}
            why = f"; last exit {last.get('exitCode')} ({last.get('reason', '?')}) at " \
                  f"{last.get('finishedAt', '?')}" if last else ""
            yield Hit(None, f"container `{cs.get('name')}`{owner} restarted {count} times"
                            f"{why}", path=ref(pod))
    if _pods(doc):
        yield Pass()


def _memory_limit(pod, name):
    for c in _spec(pod).get("containers") or ():
        if isinstance(c, dict) and c.get("name") == name:
            res = c.get("resources") if isinstance(c.get("resources"), dict) else {}
            lim = res.get("limits") if isinstance(res.get("limits"), dict) else {}
            return lim.get("memory")
    return None


@rules.rule(
    "LV022", "warning", "reliability", "Container was OOM-killed",
    "The kernel killed the container because it reached its memory limit (or the node ran "
    "out of memory): the process got no chance to finish requests or flush data, and it "
    "will happen again at the same load.",
    "Compare the limit with what the process really uses (`kubectl top pod`, the "
    "container's memory metrics); raise `resources.limits.memory` (and the request) to "
    "the peak plus a margin, or bound the application's own memory (JVM `-Xmx`, worker "
    "counts, caches).",
    positive="No container was killed for memory",
    example=POD_EXAMPLE)
def oom_killed(doc, ctx):
    for pod, cs, owner in _statuses(doc):
        for key in ("state", "lastState"):
            ended = _state(cs, "terminated", key)
            if ended and ended.get("reason") == "OOMKilled":
                limit = _memory_limit(pod, cs.get("name"))
                yield Hit(None, f"container `{cs.get('name')}`{owner} was OOM-killed at "
                                f"{ended.get('finishedAt', '?')} (memory limit "
                                f"{f'`{limit}`' if limit else 'none: the node ran out'})",
                          path=ref(pod))
                break
    if _pods(doc):
        yield Pass()


@rules.rule(
    "LV023", "critical", "reliability", "Image cannot be pulled",
    "The kubelet cannot pull the container's image (wrong name or tag, a private registry "
    "without `imagePullSecrets`, a registry that is down or rate-limits): the container "
    "never starts, and a rollout that needs it stalls.",
    "Read the reason (`kubectl describe pod`: Events); check that the image and tag exist "
    "(`docker manifest inspect IMAGE`), give the pod an `imagePullSecrets` entry or the "
    "node access to the registry, or mirror the image to a registry you control.",
    positive="Every image could be pulled",
    example=POD_EXAMPLE)
def image_pull_failing(doc, ctx):
    for pod, cs, owner in _statuses(doc):
        waiting = _state(cs, "waiting")
        if waiting and waiting.get("reason") in PULL_FAILURES:
            yield Hit(None, f"container `{cs.get('name')}`{owner}: {waiting['reason']} for "
                            f"`{cs.get('image', '?')}`", path=ref(pod))
    if _pods(doc):
        yield Pass()


_WORKLOAD_EXAMPLE = _snapshot([{
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "apps"},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
             "template": {"metadata": {"labels": {"app": "web"}},
                          "spec": {"containers": [{"name": "web", "image": "nginx:1.27.2"}]}}},
    "status": {"replicas": 2, "readyReplicas": 2, "availableReplicas": 2,
               "updatedReplicas": 2}}])


def _wanted_and_ready(obj):
    status, spec = _status(obj), _spec(obj)
    if obj.get("kind") == "DaemonSet":
        return (_int(status.get("desiredNumberScheduled")),
                _int(status.get("numberAvailable", status.get("numberReady"))))
    wanted = _int(spec.get("replicas"), 1)
    return wanted, _int(status.get("availableReplicas", status.get("readyReplicas")))


@rules.rule(
    "LV024", "warning", "reliability", "Workload short of ready replicas",
    "Fewer pods are available than the workload asks for: the service runs without its "
    "redundancy (or not at all), and a stalled rollout (`ProgressDeadlineExceeded`) keeps "
    "old and new versions side by side. Critical when none is available.",
    "Find the pods that are not ready (`kubectl get pods -l SELECTOR`, then `kubectl "
    "describe pod`): crash loops, failing readiness probes, pods Pending for lack of "
    "resources or a volume; fix the cause, or roll back (`kubectl rollout undo`).",
    positive="Workloads have every replica available",
    example=_WORKLOAD_EXAMPLE)
def short_of_replicas(doc, ctx):
    workloads = _of_kind(doc, "Deployment", "StatefulSet", "DaemonSet")
    for obj in workloads:
        if "status" not in obj:
            continue
        wanted, ready = _wanted_and_ready(obj)
        stalled = _condition(obj, "Progressing")
        stalled = stalled and stalled.get("reason") == "ProgressDeadlineExceeded"
        if wanted > 0 and (ready < wanted or stalled):
            where = origin(obj)
            words = f"{obj.get('kind')} `{meta(obj).get('name')}`" + \
                    (f" ({where})" if where else "")
            text = f"{words}: {ready} of {wanted} replicas available"
            if stalled:
                text += "; the rollout exceeded its progress deadline"
            yield Hit(None, text, path=ref(obj),
                      severity="critical" if ready == 0 else None)
    if workloads:
        yield Pass()


@rules.rule(
    "LV025", "warning", "reliability", "Pod cannot be scheduled",
    "The scheduler found no node for the pod (not enough CPU or memory requested free, a "
    "taint, a node selector or affinity no node matches, a volume in another zone): it "
    "stays Pending and the capacity it stands for does not exist.",
    "Read the scheduler's reason (in the message, or `kubectl describe pod`); lower the "
    "requests to what the process uses, add nodes or let the autoscaler add them, or fix "
    "the selector, toleration or volume topology.",
    positive="Every pod found a node",
    example=POD_EXAMPLE)
def unschedulable(doc, ctx):
    pods = _pods(doc)
    index = Index(doc.model.objects)
    for pod in pods:
        scheduled = _condition(pod, "PodScheduled")
        if scheduled and scheduled.get("status") == "False" and \
                scheduled.get("reason") == "Unschedulable":
            message = str(scheduled.get("message") or "").split(". preemption:")[0]
            yield Hit(None, f"pod{index.owner_words(pod)} is Pending: "
                            f"{message[:240] or 'unschedulable'}", path=ref(pod))
    if pods:
        yield Pass()


_JOB_EXAMPLE = _snapshot([{
    "apiVersion": "batch/v1", "kind": "Job",
    "metadata": {"name": "migrate-42", "namespace": "apps"},
    "spec": {"backoffLimit": 2, "template": {"spec": {
        "restartPolicy": "Never", "containers": [{"name": "migrate",
                                                  "image": "ghcr.io/example/api:2.3.1"}]}}},
    "status": {"succeeded": 1, "startTime": "2026-11-30T02:30:00Z",
               "completionTime": "2026-11-30T02:31:10Z",
               "conditions": [{"type": "Complete", "status": "True"}]}}])


@rules.rule(
    "LV026", "warning", "reliability", "Job failed",
    "The Job gave up (its back-off limit or deadline was reached): the work it stands for "
    "— a backup, a migration, a report — was not done, and nothing retries it until the "
    "next schedule.",
    "Read the failed pods' logs (`kubectl logs job/NAME`, or the pods of the Job); fix the "
    "cause, then run it again (`kubectl create job --from=cronjob/NAME`) and alert on "
    "failed Jobs (kube-state-metrics `kube_job_failed`).",
    positive="No Job has failed",
    example=_JOB_EXAMPLE)
def job_failed(doc, ctx):
    jobs = _of_kind(doc, "Job")
    index = Index(doc.model.objects)
    for job in jobs:
        failed = _condition(job, "Failed")
        if failed and failed.get("status") == "True":
            reason = failed.get("reason") or "failed"
            yield Hit(None, f"Job `{meta(job).get('name')}`{index.owner_words(job)} failed "
                            f"({reason}, {_int(_status(job).get('failed'))} failed pods) at "
                            f"{failed.get('lastTransitionTime', '?')}", path=ref(job))
    if jobs:
        yield Pass()


def _period_bound(schedule):
    """The longest gap a cron schedule can leave between runs (an upper bound, read from
    the fields that are restricted), or None when it cannot say."""
    macros = {"@hourly": 1, "@daily": 24, "@midnight": 24, "@weekly": 24 * 7,
              "@monthly": 24 * 31, "@yearly": 24 * 366, "@annually": 24 * 366}
    words = str(schedule or "").split()
    if words and words[0].startswith("CRON_TZ=") or words and words[0].startswith("TZ="):
        words = words[1:]
    if len(words) == 1 and words[0] in macros:
        return datetime.timedelta(hours=macros[words[0]])
    if len(words) != 5:
        return None
    minute, hour, dom, month, dow = words
    if month != "*":
        hours = 24 * 366
    elif dom != "*":
        hours = 24 * 31
    elif dow != "*":
        hours = 24 * 7
    elif hour != "*" and not hour.startswith("*/"):
        hours = 24
    elif hour.startswith("*/") and hour[2:].isdigit():
        hours = int(hour[2:])
    else:
        hours = 1
    return datetime.timedelta(hours=hours)


_CRONJOB_EXAMPLE = _snapshot([{
    "apiVersion": "batch/v1", "kind": "CronJob",
    "metadata": {"name": "backup", "namespace": "apps",
                 "creationTimestamp": "2026-09-14T11:02:37Z"},
    "spec": {"schedule": "30 2 * * *", "jobTemplate": {"spec": {"template": {"spec": {
        "restartPolicy": "OnFailure",
        "containers": [{"name": "backup", "image": "ghcr.io/example/backup:1.4.0"}]}}}}},
    "status": {"lastScheduleTime": "2026-11-30T02:30:00Z",
               "lastSuccessfulTime": "2026-11-30T02:31:12Z"}}])


@rules.rule(
    "LV027", "warning", "reliability", "CronJob has not run or succeeded for too long",
    "The CronJob's status says it was never scheduled, or its last schedule or last "
    "success is older than twice the longest gap its schedule allows: the controller "
    "skipped it (too many missed starts, `startingDeadlineSeconds`), it is suspended and "
    "forgotten, or every run fails. A backup that silently stopped is found on the day it "
    "is needed.",
    "`kubectl describe cronjob NAME` (Events: missed starts, failed Jobs); fix the failing "
    "run, set `startingDeadlineSeconds` so missed starts are retried, resume a forgotten "
    "`suspend: true`, and alert on `kube_cronjob_status_last_successful_time`.",
    positive="CronJobs ran and succeeded on schedule",
    example=_CRONJOB_EXAMPLE)
def cronjob_stale(doc, ctx):
    cronjobs = _of_kind(doc, "CronJob")
    for cj in cronjobs:
        spec, status = _spec(cj), _status(cj)
        bound = _period_bound(spec.get("schedule"))
        if bound is None or "status" not in cj:
            continue
        limit = 2 * bound
        suspended = " (it is suspended)" if spec.get("suspend") is True else ""
        name = f"CronJob `{meta(cj).get('name')}` (`{spec.get('schedule')}`)"
        where = origin(cj)
        name += f" ({where})" if where else ""
        last, success = status.get("lastScheduleTime"), status.get("lastSuccessfulTime")
        created = _age(doc, meta(cj).get("creationTimestamp"))
        if not last:
            if created is not None and created > limit:
                yield Hit(None, f"{name} was never scheduled in the {_ago(created)} since it "
                                f"was created{suspended}", path=ref(cj))
            continue
        age = _age(doc, last)
        if age is not None and age > limit:
            yield Hit(None, f"{name} was last scheduled {_ago(age)} ago{suspended}",
                      path=ref(cj))
            continue
        if "lastSuccessfulTime" in status or success:
            since = _age(doc, success) if success else created
            if since is not None and since > limit and not status.get("active"):
                yield Hit(None, f"{name} last succeeded "
                                f"{_ago(since) + ' ago' if success else 'never'}; it was "
                                f"last scheduled {_ago(age) if age else '?'} ago",
                          path=ref(cj))
    if cronjobs:
        yield Pass()


_NODE_EXAMPLE = _snapshot([{
    "apiVersion": "v1", "kind": "Node", "metadata": {"name": "pi-1"},
    "spec": {},
    "status": {"conditions": [
        {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory"},
        {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure"},
        {"type": "PIDPressure", "status": "False", "reason": "KubeletHasSufficientPID"},
        {"type": "Ready", "status": "True", "reason": "KubeletReady"}]}}])


@rules.rule(
    "LV028", "warning", "reliability", "Node not ready or under pressure",
    "A node that is NotReady runs nothing new and its pods are evicted after a grace "
    "period; memory, disk or PID pressure makes the kubelet evict pods and refuse new "
    "ones. Critical when no node is ready.",
    "`kubectl describe node NAME` (Conditions, Events); free or grow the disk (image "
    "garbage collection, logs), add memory or move workloads, look at the kubelet's logs "
    "(`journalctl -u kubelet`) on a NotReady node.",
    positive="Nodes are ready and under no pressure",
    example=_NODE_EXAMPLE)
def node_condition(doc, ctx):
    nodes = _of_kind(doc, "Node")
    ready_nodes = 0
    hits = []
    for node in nodes:
        problems = []
        ready = _condition(node, "Ready")
        if ready is not None and ready.get("status") != "True":
            problems.append(f"NotReady ({ready.get('reason') or ready.get('status')})")
        else:
            ready_nodes += 1
        for type_ in ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable"):
            c = _condition(node, type_)
            if c is not None and c.get("status") == "True":
                problems.append(f"{type_} since {c.get('lastTransitionTime', '?')}")
        if _spec(node).get("unschedulable") is True and problems:
            problems.append("cordoned")
        if problems:
            hits.append((node, problems))
    for node, problems in hits:
        yield Hit(None, f"node `{meta(node).get('name')}`: {', '.join(problems)}",
                  path=ref(node), severity="critical" if not ready_nodes else None)
    if nodes:
        yield Pass()


_HPA_EXAMPLE = _snapshot([{
    "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "web", "namespace": "apps"},
    "spec": {"minReplicas": 2, "maxReplicas": 6,
             "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
             "metrics": [{"type": "Resource", "resource": {
                 "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]},
    "status": {"currentReplicas": 2, "desiredReplicas": 2, "conditions": [
        {"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale"},
        {"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound"},
        {"type": "ScalingLimited", "status": "False", "reason": "DesiredWithinRange"}]}}])


@rules.rule(
    "LV029", "warning", "performance", "Autoscaler pinned at its maximum or blind",
    "An autoscaler that wants more replicas than `maxReplicas` (`ScalingLimited: "
    "TooManyReplicas`) leaves the load on too few pods — latency grows, pods hit their "
    "limits; one that cannot read its metrics (`ScalingActive: False`, no metrics-server "
    "or requests missing) does not scale at all.",
    "Raise `maxReplicas` if the nodes have room (or let the cluster autoscaler add them) "
    "and look at why the load grew; for a blind autoscaler install metrics-server or the "
    "metrics adapter, and set CPU/memory requests on every container of the target.",
    positive="Autoscalers read their metrics and scale within their range",
    example=_HPA_EXAMPLE)
def hpa_limited(doc, ctx):
    hpas = _of_kind(doc, "HorizontalPodAutoscaler")
    for hpa in hpas:
        spec, status = _spec(hpa), _status(hpa)
        target = spec.get("scaleTargetRef") if isinstance(spec.get("scaleTargetRef"), dict) \
            else {}
        name = f"autoscaler `{meta(hpa).get('name')}` of {target.get('kind', '?')} " \
               f"`{target.get('name', '?')}`"
        active = _condition(hpa, "ScalingActive")
        limited = _condition(hpa, "ScalingLimited")
        if active is not None and active.get("status") == "False":
            yield Hit(None, f"{name} cannot scale: {active.get('reason', '?')}"
                            f" — {str(active.get('message') or '')[:200]}", path=ref(hpa))
        elif limited is not None and limited.get("status") == "True" and \
                limited.get("reason") == "TooManyReplicas":
            yield Hit(None, f"{name} wants more than its maximum of "
                            f"{spec.get('maxReplicas', '?')} replicas (at "
                            f"{_int(status.get('currentReplicas'))} since "
                            f"{limited.get('lastTransitionTime', '?')})", path=ref(hpa))
    if hpas:
        yield Pass()


_PDB_EXAMPLE = _snapshot([{
    "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
    "metadata": {"name": "web", "namespace": "apps"},
    "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "web"}}},
    "status": {"currentHealthy": 3, "desiredHealthy": 2, "disruptionsAllowed": 1,
               "expectedPods": 3}}])


@rules.rule(
    "LV030", "warning", "reliability", "Disruption budget allows no disruption",
    "With `disruptionsAllowed: 0` every voluntary eviction of these pods is refused: "
    "`kubectl drain`, node upgrades and the cluster autoscaler's scale-down hang until "
    "someone deletes pods by hand — or the budget asks for every replica (`minAvailable` "
    "equal to the replicas), or pods are already unhealthy.",
    "Make the budget leave room (`maxUnavailable: 1`, or `minAvailable` below the "
    "replicas) and run enough replicas; if pods are unhealthy, fix them first (see LV020–"
    "LV025).",
    positive="Disruption budgets leave room for a drain",
    example=_PDB_EXAMPLE)
def pdb_blocks(doc, ctx):
    pdbs = _of_kind(doc, "PodDisruptionBudget")
    for pdb in pdbs:
        status = _status(pdb)
        if "disruptionsAllowed" not in status or _int(status.get("expectedPods")) == 0:
            continue
        if _int(status.get("disruptionsAllowed"), 1) == 0:
            yield Hit(None, f"PodDisruptionBudget `{meta(pdb).get('name')}`: 0 disruptions "
                            f"allowed ({_int(status.get('currentHealthy'))} healthy of "
                            f"{_int(status.get('expectedPods'))}, "
                            f"{_int(status.get('desiredHealthy'))} required)", path=ref(pdb))
    if pdbs:
        yield Pass()


@rules.rule(
    "LV031", "suggestion", "reliability", "Evicted pods left behind",
    "The kubelet evicted these pods (node memory or disk pressure, ephemeral storage over "
    "its limit): their replacements run elsewhere, but the failed pods stay listed until "
    "garbage collection, hiding the pressure that caused them and cluttering `kubectl get "
    "pods`.",
    "Find the cause in the message (which resource ran out), set ephemeral-storage and "
    "memory requests/limits that match the use, then delete the evicted pods "
    "(`kubectl delete pods --field-selector=status.phase=Failed`).",
    example=POD_EXAMPLE)
def evicted(doc, ctx):
    index = Index(doc.model.objects)
    for pod in _pods(doc):
        status = _status(pod)
        if status.get("phase") == "Failed" and status.get("reason") == "Evicted":
            yield Hit(None, f"pod{index.owner_words(pod)} was evicted: "
                            f"{str(status.get('message') or '?')[:200]}", path=ref(pod))
