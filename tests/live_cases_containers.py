"""CASES of the LV rules on Docker/Podman containers (see tests/test_live.py): a snapshot
that fires and one that must not, for each rule. The containers are shaped like
`docker inspect` output (tests/fixtures/live/containers/ holds real recorded ones)."""

from __future__ import annotations

import copy

from infra_expert.live.model import dump_snapshot

FILE = "host.live.json"
IMAGE = "sha256:" + "a" * 64
NEWER = "sha256:" + "b" * 64


def container(name="web", state=None, host=None, config=None, **top):
    """One inspect object: a healthy, limited, Compose-managed nginx unless told."""
    c = {"Id": (name.encode().hex() + "0" * 64)[:64], "Name": f"/{name}",
         "Engine": "docker", "Image": IMAGE, "RestartCount": 0,
         "State": {"Status": "running", "Running": True, "Restarting": False,
                   "OOMKilled": False, "ExitCode": 0, "StartedAt": "2026-11-30T07:00:00Z",
                   "FinishedAt": "0001-01-01T00:00:00Z"},
         "Config": {"Image": "nginx:1.27", "Env": ["TZ="], "User": "101",
                    "Labels": {"com.docker.compose.project": "shop",
                               "com.docker.compose.project.config_files":
                                   "/srv/shop/compose.yaml",
                               "com.docker.compose.service": name}},
         "HostConfig": {"Memory": 268435456, "RestartPolicy": {"Name": "unless-stopped"},
                        "LogConfig": {"Type": "local", "Config": {}}}}
    c["State"].update(state or {})
    c["HostConfig"].update(host or {})
    c["Config"].update(config or {})
    c.update(top)
    return c


def snapshot(*containers, images=None, stats=None, pods=None):
    return {FILE: dump_snapshot({
        "source": "docker", "collected_at": "2026-11-30T07:50:00Z",
        "context": {"engine": "docker 27.3.1"}, "containers": list(containers),
        "images": images if images is not None else
        [{"Id": IMAGE, "RepoTags": ["nginx:1.27"], "Created": 1795000000}],
        "stats": stats or [], "pods": pods or []})}


HEALTHCHECK = {"Healthcheck": {"Test": ["CMD-SHELL", "wget -qO- localhost || exit 1"],
                               "Interval": 30 * 10**9}}
UNHEALTHY = {"Health": {"Status": "unhealthy", "FailingStreak": 4, "Log": [{"ExitCode": 1}]}}
HEALTHY = {"Health": {"Status": "healthy", "FailingStreak": 0, "Log": [{"ExitCode": 0}]}}
BY_HAND = {"Labels": {}}
EXITED = {"Status": "exited", "Running": False, "ExitCode": 1,
          "FinishedAt": "2026-11-30T06:00:00Z"}
POD = {"Id": "p" * 64, "Name": "shop", "Status": "Degraded",
       "Containers": [{"Id": "1" * 64, "Names": "shop-infra", "Status": "running"},
                      {"Id": "2" * 64, "Names": "shop-db", "Status": "exited"}]}


def _pod(status):
    pod = copy.deepcopy(POD)
    pod["Status"] = status
    if status == "Running":
        pod["Containers"][1]["Status"] = "running"
    return pod


CASES = [
    ("LV001", snapshot(container(state=UNHEALTHY, config=HEALTHCHECK)),
     [("container/web", None)]),
    ("LV001", snapshot(container(state=HEALTHY, config=HEALTHCHECK),
                       # stopped: its last health says nothing about now
                       container("old", state={**EXITED, **UNHEALTHY})), []),
    ("LV002", snapshot(container(RestartCount=12)), [("container/web", None)]),
    ("LV002", snapshot(container(state={"Restarting": True, "Running": True},
                                 RestartCount=2)), [("container/web", None)]),
    ("LV002", snapshot(container(RestartCount=2)), []),
    ("LV003", snapshot(container(state={"OOMKilled": True})), [("container/web", None)]),
    ("LV003", snapshot(container()), []),
    ("LV004", snapshot(container(), images=[
        {"Id": NEWER, "RepoTags": ["nginx:1.27"], "Created": 1796000000},
        {"Id": IMAGE, "RepoTags": [], "Created": 1795000000}]), [("container/web", None)]),
    # podman names the tag in full, the CLI gives a short id: the same image
    ("LV004", snapshot(container(), images=[
        {"Id": IMAGE[7:19], "RepoTags": ["docker.io/library/nginx:1.27"],
         "Created": 1795000000}]), []),
    ("LV005", snapshot(container(config=BY_HAND)), [("container/web", None)]),
    ("LV005", snapshot(container(), container("q", config={
        "Labels": {"PODMAN_SYSTEMD_UNIT": "q.service"}}),
        container("gone", config=BY_HAND, state=EXITED)), []),
    ("LV006", snapshot(container(), stats=[
        {"id": container()["Id"], "name": "web", "memory_usage": 250 * 2**20}]),
     [("container/web", None)]),
    ("LV006", snapshot(container(), container("free", host={"Memory": 0}), stats=[
        {"id": container()["Id"][:12], "name": "web", "memory_usage": 100 * 2**20},
        {"id": container("free")["Id"][:12], "name": "free", "memory_usage": 900 * 2**20}]),
     []),
    ("LV007", snapshot(container(state=EXITED, host={"RestartPolicy": {"Name": ""}})),
     [("container/web", None)]),
    ("LV007", snapshot(container(state=EXITED),          # unless-stopped: it was stopped
                       container("stopped", state={**EXITED, "ExitCode": 143},
                                 host={"RestartPolicy": {"Name": "no"}}),
                       container("done", state={**EXITED, "ExitCode": 0},
                                 host={"RestartPolicy": {"Name": "no"}})), []),
    ("LV008", snapshot(container(config=HEALTHCHECK,
                                 state={"Health": {"Status": "starting", "Log": None}})),
     [("container/web", None)]),
    ("LV008", snapshot(container(config=HEALTHCHECK, state=HEALTHY),
                       container("fresh", config=HEALTHCHECK,
                                 state={"StartedAt": "2026-11-30T07:49:30Z",
                                        "Health": {"Status": "starting"}})), []),
    ("LV009", snapshot(pods=[POD]), [("pod/shop", None)]),
    ("LV009", snapshot(pods=[_pod("Running")]), []),
]
