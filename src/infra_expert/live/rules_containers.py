"""LV rules on running Docker/Podman containers: what only live state shows (health,
restarts, OOM kills, images left behind by a pull, containers nobody manages, memory in
use, pods half down). What the container was started WITH is judged by the Compose rules
on its synthesized document (`live.containers`)."""

from __future__ import annotations

import datetime

from infra_expert.live.containers import (
    document_paths, health, managed, memory_limit, part, restart_policy, source_of,
    state)
from infra_expert.model import Hit, Pass, RuleSet

rules = RuleSet("live")

RESTART_LOOP = 5          # restarts by the engine that make a loop, not bad luck
MEMORY_NEAR = 0.9         # share of the limit in use that leaves no room for a peak
# exit codes of a stop asked for (SIGINT, SIGKILL after the stop time-out, SIGTERM)
_STOPPED = (130, 137, 143)


def _ok(name="web", **state_fields):
    """A small, real-shaped snapshot text for the examples (the fix, reviewed clean)."""
    import json
    container = {
        "Id": "4f1c2d3e4b5a" + "0" * 52, "Name": f"/{name}", "Engine": "docker",
        "Image": "sha256:" + "a" * 64, "RestartCount": 0,
        "State": {"Status": "running", "Running": True, "Restarting": False,
                  "OOMKilled": False, "ExitCode": 0, "StartedAt": "2026-11-30T07:00:00Z",
                  "FinishedAt": "0001-01-01T00:00:00Z",
                  "Health": {"Status": "healthy", "FailingStreak": 0,
                             "Log": [{"ExitCode": 0}]}, **state_fields},
        "Config": {"Image": "nginx:1.27", "Env": ["TZ="], "User": "101",
                   "Labels": {"com.docker.compose.project": "shop",
                              "com.docker.compose.project.config_files":
                                  "/srv/shop/compose.yaml",
                              "com.docker.compose.service": name},
                   "Healthcheck": {"Test": ["CMD", "true"], "Interval": 30000000000}},
        "HostConfig": {"Memory": 268435456, "RestartPolicy": {"Name": "unless-stopped"},
                       "LogConfig": {"Type": "local", "Config": {}}}}
    data = {"infra-expert-live": 1, "source": "docker",
            "collected_at": "2026-11-30T07:50:00Z",
            "context": {"engine": "docker 27.3.1"}, "containers": [container],
            "images": [{"Id": "sha256:" + "a" * 64, "RepoTags": ["nginx:1.27"],
                        "Created": 1795000000}],
            "stats": [{"id": container["Id"], "name": name, "memory_usage": 52428800}]}
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def _containers(doc, running=None):
    """(container, path, its name as said, where it came from) for each container."""
    snapshot = doc.model
    paths = document_paths(snapshot)
    for c in snapshot.containers:
        if c.get("IsInfra"):
            continue
        if running is not None and bool(state(c).get("Running")) != running:
            continue
        path = paths[id(c)]
        source = source_of(c)
        yield c, path, f"container `{path.split('/', 1)[1]}`", \
            f" (created from {source})" if source else ""


def _time(text):
    if not isinstance(text, str) or text.startswith("0001-"):
        return None
    try:
        return datetime.datetime.fromisoformat(text[:19].replace("Z", "")).replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        return None


@rules.rule(
    "LV001", "warning", "reliability", "Container running unhealthy",
    "The container runs but fails its own healthcheck: whatever depends on it gets errors "
    "or time-outs, and neither Docker nor Podman restarts an unhealthy container by "
    "itself (only Swarm, an autoheal helper or Quadlet's `HealthOnFailure=` do). A "
    "warning, not a critical: the process is up and may still answer part of its work, "
    "or the check itself may be what is wrong.",
    "Read why: `docker inspect --format '{{json .State.Health}}' NAME` (the last checks' "
    "output), then fix the service or the check; act on the state (Quadlet "
    "`HealthOnFailure=kill` with `Restart=always`, or an autoheal container).",
    positive="Every running container with a healthcheck is healthy",
    example=_ok())
def unhealthy(doc, ctx):
    healthy = 0
    for c, path, name, source in _containers(doc, running=True):
        status = health(c).get("Status")
        if status == "unhealthy":
            streak = health(c).get("FailingStreak")
            said = f" ({streak} failed checks in a row)" if isinstance(streak, int) and \
                streak else ""
            yield Hit(None, f"{name} is unhealthy{said}{source}", path=path)
        elif status == "healthy":
            healthy += 1
    if healthy:
        yield Pass(None, count=healthy)


@rules.rule(
    "LV002", "warning", "reliability", "Container restarting in a loop",
    f"The engine restarted the container again and again ({RESTART_LOOP} times or more, or "
    "it is restarting right now): the process dies soon after it starts — a missing "
    "file or variable, a dependency that is not up, a crash at start-up. It is down for "
    "most of the time and its restarts hide the failure. A warning: the count does not "
    "say whether it still loops now or recovered long ago.",
    "Read the last lines of its logs (`docker logs --tail 50 NAME`), fix the cause, and "
    "give the policy a bound for jobs that may fail for good (`on-failure:5`).",
    example=_ok())
def restart_loop(doc, ctx):
    for c, path, name, source in _containers(doc):
        count = c.get("RestartCount")
        count = count if isinstance(count, int) else 0
        if state(c).get("Restarting") is True or count >= RESTART_LOOP:
            now = " and is restarting now" if state(c).get("Restarting") is True else ""
            yield Hit(None, f"{name} was restarted {count} times by its `restart: "
                            f"{restart_policy(c)}` policy{now}{source}", path=path)


@rules.rule(
    "LV003", "warning", "reliability", "Container killed for lack of memory",
    "The kernel killed the container's process because it reached its memory limit (or "
    "the host ran out of memory): the work in flight was lost and, without a restart "
    "policy, it stays down. A warning: one kill may have been a rare peak, but it comes "
    "back with the same load.",
    "Raise `mem_limit` above the observed peak (`docker stats`), or find what grows "
    "(a cache without a bound, a leak); keep a restart policy so a kill is not an outage.",
    example=_ok())
def oom_killed(doc, ctx):
    for c, path, name, source in _containers(doc):
        if state(c).get("OOMKilled") is True:
            limit = memory_limit(c)
            said = f"its {limit / 2**20:.0f} MiB limit" if limit else \
                "the host's memory (no limit set)"
            yield Hit(None, f"{name} was OOM-killed: it reached {said}{source}", path=path)


def _tag(ref):
    """`nginx:1.27` for `docker.io/library/nginx:1.27`, `localhost/x:1`, `nginx`."""
    ref = str(ref or "").split("@", 1)[0]
    for prefix in ("docker.io/library/", "docker.io/", "localhost/"):
        if ref.startswith(prefix):
            ref = ref[len(prefix):]
            break
    last = ref.rsplit("/", 1)[-1]
    return ref if ":" in last else f"{ref}:latest"


def _bare(image_id):
    return str(image_id or "").removeprefix("sha256:")


def _same(a, b):
    a, b = _bare(a), _bare(b)
    return bool(a and b) and (a.startswith(b) or b.startswith(a))


@rules.rule(
    "LV004", "warning", "security",
    "Container runs an older image than its tag's local one",
    "A newer image of the same tag was pulled on this host, but the container still runs "
    "the old one: the fixes that pull brought (often security updates) are not running, "
    "and the next recreate will change the version silently, at a moment nobody chose.",
    "Recreate the container from the pulled image now (`docker compose up -d`, "
    "`podman auto-update`, or `systemctl restart` of its unit), and check it comes up.",
    example=_ok())
def stale_image(doc, ctx):
    images = doc.model.images
    for c, path, name, source in _containers(doc, running=True):
        wanted = part(c, "Config").get("Image") or c.get("ImageName")
        running = c.get("Image")
        if not wanted or not running or str(wanted).startswith("sha256:"):
            continue
        tag = _tag(wanted)
        local = [i for i in images if any(_tag(t) == tag for t in i.get("RepoTags") or ())]
        if not local or any(_same(i.get("Id"), running) for i in local):
            continue
        newest = local[0]
        old = next((i for i in images if _same(i.get("Id"), running)), None)
        if old is not None and isinstance(old.get("Created"), (int, float)) and \
                isinstance(newest.get("Created"), (int, float)) and \
                newest["Created"] <= old["Created"]:
            continue     # the tag was moved back to an older build: a choice, not an oversight
        yield Hit(None, f"{name} runs image {_bare(running)[:12]} but `{wanted}` is now "
                        f"{_bare(newest.get('Id'))[:12]} on this host{source}", path=path)


@rules.rule(
    "LV005", "suggestion", "reliability", "Container not managed by Compose or a unit",
    "A container started by hand with `docker run` lives only in the engine's state: no "
    "file says how it was started, so it cannot be reviewed, recreated after a host loss "
    "or updated the same way twice, and it drifts from whatever the repository says.",
    "Write it down as a Compose service (or a Quadlet `.container` unit for Podman) and "
    "recreate it from that file; `docker inspect NAME` shows the settings to carry over.",
    example=_ok())
def unmanaged(doc, ctx):
    for c, path, name, _source in _containers(doc, running=True):
        if not managed(c):
            yield Hit(None, f"{name} runs without a Compose project, unit or pod label: "
                            "it was started by hand", path=path)


def _usage(doc, c):
    cid = str(c.get("Id") or "")
    name = str(c.get("Name") or "").lstrip("/")
    for s in doc.model.stats:
        sid = str(s.get("id") or "")
        if (sid and cid and (cid.startswith(sid) or sid.startswith(cid))) or \
                (not sid and s.get("name") == name):
            usage = s.get("memory_usage")
            return usage if isinstance(usage, int) else None
    return None


@rules.rule(
    "LV006", "warning", "reliability", "Memory in use near the container's limit",
    f"The container uses {MEMORY_NEAR:.0%} or more of its memory limit right now: the "
    "next peak (a bigger request, a cache filling, a GC cycle) reaches the limit, and the "
    "kernel kills it (or, with swap, it slows to a crawl).",
    "Raise `mem_limit` to leave room above the observed peak, or bound what grows "
    "(the application's cache or heap size) below the limit.",
    example=_ok())
def memory_near_limit(doc, ctx):
    for c, path, name, source in _containers(doc, running=True):
        limit, usage = memory_limit(c), _usage(doc, c)
        if limit and usage is not None and usage >= MEMORY_NEAR * limit:
            yield Hit(None, f"{name} uses {usage / 2**20:.0f} MiB of its "
                            f"{limit / 2**20:.0f} MiB limit ({usage / limit:.0%}){source}",
                      path=path)


@rules.rule(
    "LV007", "warning", "reliability", "Container exited with an error, nothing restarts it",
    "The container stopped with a non-zero exit code and its restart policy is `no`: the "
    "service is down until someone notices, and stays down after a reboot.",
    "Read why (`docker logs --tail 50 NAME`), fix it, and give it `restart: "
    "unless-stopped` (a job: `on-failure:5`), or remove the container if it is not "
    "needed any more.",
    example=_ok())
def exited_with_error(doc, ctx):
    for c, path, name, source in _containers(doc, running=False):
        s = state(c)
        code = s.get("ExitCode")
        if s.get("Status") != "exited" or not isinstance(code, int) or code == 0 \
                or (code in _STOPPED and s.get("OOMKilled") is not True):
            continue
        if restart_policy(c) in ("", "no"):
            yield Hit(None, f"{name} exited with code {code} and its restart policy is "
                            f"`no`{source}", path=path)


@rules.rule(
    "LV008", "warning", "reliability", "Healthcheck that never runs",
    "The container has a healthcheck, has run for longer than a few check intervals, but "
    "no check ever ran: its health says nothing. Podman runs healthchecks from systemd "
    "timers, so on a host without systemd (a container, WSL, some minimal VMs) or with "
    "`--health-interval=disable` they never run and a broken service looks fine.",
    "Run Podman under systemd (Quadlet), or run `podman healthcheck run NAME` from cron "
    "or your monitoring; with Docker, check that the daemon is not paused or overloaded.",
    example=_ok())
def healthcheck_never_runs(doc, ctx):
    collected = _time(doc.model.data.get("collected_at"))
    for c, path, name, source in _containers(doc, running=True):
        hc = part(c, "Config").get("Healthcheck")
        if not isinstance(hc, dict) or not hc.get("Test") or \
                str(hc["Test"][0]).upper() == "NONE":
            continue
        h = health(c)
        if h.get("Log") or h.get("Status") not in (None, "", "starting"):
            continue
        started = _time(state(c).get("StartedAt"))
        interval = hc.get("Interval") if isinstance(hc.get("Interval"), int) and \
            hc["Interval"] > 0 else 30 * 10**9
        grace = hc.get("StartPeriod") if isinstance(hc.get("StartPeriod"), int) else 0
        wait = max((3 * interval + grace) / 1e9, 120)
        if collected and started and (collected - started).total_seconds() > wait:
            minutes = (collected - started).total_seconds() / 60
            yield Hit(None, f"{name} has run {minutes:.0f} min and its healthcheck never "
                            f"ran (health: {h.get('Status') or 'none'}){source}", path=path)


@rules.rule(
    "LV009", "warning", "reliability", "Pod partly down",
    "Podman says the pod is degraded: some of its containers run and others exited, so "
    "the pod answers with part of its parts — often the sidecar or the database is the "
    "one missing, and the errors show up elsewhere.",
    "See which container stopped (`podman pod ps`, `podman ps -a --pod`), read its logs, "
    "fix it and give the containers a restart policy (or run the pod with `podman kube "
    "play` under a Quadlet `.kube` unit).",
    example=_ok())
def pod_degraded(doc, ctx):
    for pod in doc.model.pods:
        status = str(pod.get("Status") or "")
        if status in ("Degraded", "Error"):
            down = [str((c.get("Names") or "?")) for c in pod.get("Containers") or []
                    if isinstance(c, dict) and str(c.get("Status") or "").lower()
                    not in ("running", "")]
            said = f": {', '.join(down)} not running" if down else ""
            yield Hit(None, f"pod `{pod.get('Name')}` is {status.lower()}{said}",
                      path=f"pod/{pod.get('Name')}")
