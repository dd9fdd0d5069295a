"""Docker/Podman live source: collection (Engine API, CLI fallback), what is kept and what
is dropped, the Compose document a container becomes, and an integration test against a
real Podman (`tests/live/podman_setup.sh` prepares it; skipped when podman is missing).

The recorded outputs in tests/fixtures/live/containers/ are real: Podman 4.3.1's
Docker-compatible API (`compat_*`), libpod API and CLI (`cli_*`) on two containers, `rec1`
(memory limit, restart always, healthy, port on 127.0.0.1, `-e SECRET_TOKEN=hunter2`)
and `rec2` (privileged, no limit, no restart policy, unhealthy, port on all interfaces,
/tmp mounted read-only)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid

import pytest
from conftest import run_review, write_tree

from infra_expert.live import containers, execute
from infra_expert.live.collect import Options, collect
from infra_expert.live.model import dump_snapshot

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "live", "containers")
SECRET = "hunter2"


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as fh:
        return fh.read()


def _ids():
    listed = json.loads(fixture("compat_containers.json"))
    return {c["Names"][0].lstrip("/"): c["Id"] for c in listed}


def _answer(path):
    """The recorded answer of the compat/libpod API to `GET path`, or None (404)."""
    ids = _ids()
    route = path.split("?")[0]
    table = {"/version": "compat_version.json", "/containers/json": "compat_containers.json",
             "/images/json": "compat_images.json", "/libpod/pods/json": "libpod_pods.json"}
    for name, cid in ids.items():
        table[f"/containers/{cid}/json"] = f"compat_inspect_{name}.json"
        table[f"/containers/{cid}/stats"] = f"compat_stats_{name}.json"
    return fixture(table[route]) if route in table else None


def _fake_engine(path):
    """An Engine API on a unix socket answering from the recordings; records every
    request line it gets, whatever the method."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(16)
    seen = []

    def loop():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            line = data.split(b"\r\n", 1)[0].decode()
            seen.append(line)
            method, target = line.split(" ")[:2]
            body = _answer(target) if method == "GET" else None
            status = 200 if body is not None else 404
            payload = (body or '{"message": "no such thing"}').encode()
            conn.sendall(f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
                         .encode() + payload)
            conn.close()
    threading.Thread(target=loop, daemon=True).start()
    return server, seen


@pytest.fixture
def engine(tmp_path):
    path = str(tmp_path / "engine.sock")
    server, seen = _fake_engine(path)
    yield path, seen
    server.close()


def test_the_engine_api_is_asked_with_get_only_and_env_values_are_dropped(engine):
    path, seen = engine
    snap = collect("podman", Options(socket=f"unix://{path}", timeout=5))
    assert seen and all(line.startswith("GET ") for line in seen)
    asked = {line.split(" ")[1].split("?")[0] for line in seen}
    assert "/libpod/pods/json" in asked and "/images/json" in asked
    assert sum("/stats" in a for a in asked) == 2          # both containers run
    assert snap["context"] == {"engine": "podman 4.3.1"}
    assert sorted(c["Name"] for c in snap["containers"]) == ["/rec1", "/rec2"]
    text = dump_snapshot(snap)
    assert SECRET not in text
    rec1 = next(c for c in snap["containers"] if c["Name"] == "/rec1")
    assert "SECRET_TOKEN=" in rec1["Config"]["Env"]        # the name stays
    assert {s["name"]: s["memory_usage"] for s in snap["stats"]} == {"rec1": 409600,
                                                                     "rec2": 675840}


def test_docker_through_podman_s_compatible_api_says_so(engine):
    path, seen = engine
    snap = collect("docker", Options(socket=path, timeout=5))
    assert snap["context"]["engine"] == "docker 4.3.1 (Podman's Docker-compatible API)"
    assert "/libpod/pods/json" not in " ".join(seen)       # docker has no pods to ask
    assert snap["pods"] == []


def test_the_socket_comes_from_the_option_then_the_environment(tmp_path):
    opts = Options()
    assert containers.socket_path("docker", Options(socket="unix:///x.sock")) == "/x.sock"
    assert containers.socket_path("docker", opts, {"DOCKER_HOST": "unix:///d.sock"}) \
        == "/d.sock"
    assert containers.socket_path("podman", opts, {"CONTAINER_HOST": "unix:///p.sock",
                                                   "DOCKER_HOST": "unix:///d.sock"}) \
        == "/p.sock"
    run = tmp_path / "podman"
    run.mkdir()
    (run / "podman.sock").write_text("")
    found = containers.socket_path("podman", opts, {"XDG_RUNTIME_DIR": str(tmp_path)})
    assert found in ("/run/podman/podman.sock", str(run / "podman.sock"))
    # a tcp:// DOCKER_HOST is not a unix socket: the default socket or the CLI
    assert containers.socket_path("docker", opts, {"DOCKER_HOST": "tcp://h:2375"}) in (
        None, "/var/run/docker.sock")


def test_an_explicit_socket_that_is_not_there_is_unreachable(tmp_path):
    with pytest.raises(execute.Unreachable, match="no socket"):
        collect("docker", Options(socket=str(tmp_path / "none.sock"), timeout=2))


def test_without_a_socket_the_cli_is_asked_with_allowlisted_read_only_calls(monkeypatch):
    calls = []
    outputs = {("podman", "version"): "cli_version.json", ("podman", "ps"): "cli_ps.json",
               ("podman", "inspect"): "cli_inspect.json", ("podman", "images"): "cli_images.json",
               ("podman", "stats"): "cli_stats.json", ("podman", "pod"): "cli_pods.json"}

    def fake_run(argv, **kwargs):
        calls.append(argv)
        out = fixture(outputs[tuple(argv[:2])]).encode()
        return subprocess.CompletedProcess(argv, 0, out, b"")
    monkeypatch.setattr(subprocess, "run", fake_run)
    monkeypatch.setattr(containers, "socket_path", lambda engine, options: None)
    snap = collect("podman", Options(timeout=5))
    assert [c[:2] for c in calls] == [["podman", "version"], ["podman", "ps"],
                                      ["podman", "inspect"], ["podman", "images"],
                                      ["podman", "stats"], ["podman", "pod"]]
    for argv in calls:
        execute.check(argv)                       # each one is allowlisted
    assert ["--no-stream"] == [a for a in calls[4] if a == "--no-stream"]
    assert snap["context"] == {"engine": "podman 4.3.1"}
    text = dump_snapshot(snap)
    assert SECRET not in text and "CreateCommand" not in text
    assert {s["name"]: s["memory_usage"] for s in snap["stats"]} == {"rec1": 409600,
                                                                     "rec2": 675800}
    assert {tuple(i["RepoTags"]) for i in snap["images"]} == {("localhost/local/busybox:1",)}


def _recorded_snapshot(tmp_path):
    server, _ = _fake_engine(str(tmp_path / "e.sock"))
    try:
        return collect("podman", Options(socket=str(tmp_path / "e.sock"), timeout=5))
    finally:
        server.close()


def test_a_container_is_reviewed_as_the_compose_service_it_amounts_to(tmp_path):
    snap = _recorded_snapshot(tmp_path)
    write_tree(tmp_path / "r", {"host.live.json": dump_snapshot(snap)})
    result = run_review(tmp_path / "r")
    found = {(f.rule.id, f.path) for f in result.findings}
    # rec2: privileged, port on all interfaces, no memory limit, no restart policy
    for rule in ("DC002", "DC005", "DC030", "LV001", "LV005"):
        assert (rule, "container/rec2") in found, rule
    # rec1: limited, restarts, bound to 127.0.0.1, healthy
    for rule in ("DC002", "DC005", "DC030", "DC031", "LV001"):
        assert (rule, "container/rec1") not in found, rule
    messages = " ".join(f.message for f in result.findings)
    assert SECRET not in messages


def test_compose_and_unit_sources_are_named_in_the_findings(tmp_path):
    from live_cases_containers import container, snapshot
    snap = snapshot(container("web", host={"Privileged": True}),
                    container("q", host={"Privileged": True},
                              config={"Labels": {"PODMAN_SYSTEMD_UNIT": "q.service"}}))
    write_tree(tmp_path, snap)
    result = run_review(tmp_path)
    said = {f.path: f.message for f in result.findings if f.rule.id == "DC002"}
    assert "created from `/srv/shop/compose.yaml` (service `web`)" in said["container/web"]
    assert "created from unit `q.service`" in said["container/q"]


def test_no_value_of_a_container_reads_as_a_suppression(tmp_path):
    from live_cases_containers import container, snapshot
    sneaky = "x # infra-expert: ignore=DC002"
    snap = snapshot(container("web", host={"Privileged": True},
                              config={"Labels": {"note": sneaky}, "User": sneaky}))
    write_tree(tmp_path, snap)
    result = run_review(tmp_path)
    assert [f.path for f in result.findings if f.rule.id == "DC002"] == ["container/web"]


# -- against a real Podman --------------------------------------------------------------

SETUP = os.path.join(os.path.dirname(__file__), "live", "podman_setup.sh")
needs_podman = pytest.mark.skipif(
    shutil.which("podman") is None,
    reason="podman is not installed (tests/live/podman_setup.sh installs it, as root)")


def _podman(*args, check=True):
    return subprocess.run(["podman", *args], capture_output=True, text=True, timeout=120,
                          check=check)


@pytest.fixture(scope="module")
def podman_service(tmp_path_factory):
    """Containers with good and bad settings, and `podman system service` on a socket."""
    if os.geteuid() == 0:
        subprocess.run(["bash", SETUP], check=True, capture_output=True, timeout=600)
    if _podman("image", "exists", "local/busybox:1", check=False).returncode != 0:
        pytest.skip("local/busybox:1 is missing: run tests/live/podman_setup.sh as root")
    tag = uuid.uuid4().hex[:6]
    names = {k: f"ie-{k}-{tag}" for k in ("good", "bad", "sick")}
    try:
        _podman("run", "-d", "--name", names["good"], "--memory", "64m", "--cpus", "0.5",
                "--restart=always", "--health-cmd", "true", "-p", "127.0.0.1:18081:80",
                "-e", f"API_TOKEN={SECRET}", "--read-only", "--cap-drop", "ALL",
                "--label", "com.docker.compose.project=shop",
                "--label", "com.docker.compose.project.config_files=/srv/shop/compose.yaml",
                "--label", "com.docker.compose.service=good",
                "local/busybox:1", "sleep", "300")
        _podman("run", "-d", "--name", names["bad"], "--privileged", "-p", "18082:80",
                "local/busybox:1", "sleep", "300")
        _podman("run", "-d", "--name", names["sick"], "--memory", "32m",
                "--restart=on-failure:3", "--health-cmd", "false", "--health-retries", "1",
                "local/busybox:1", "sleep", "300")
        _podman("healthcheck", "run", names["good"])
        _podman("healthcheck", "run", names["sick"], check=False)   # fails: unhealthy
        folder = tmp_path_factory.mktemp("podman")
        sock = str(folder / "podman.sock")
        service = subprocess.Popen(["podman", "system", "service", "--time=0",
                                    f"unix://{sock}"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                try:
                    execute.UnixHTTP(sock, timeout=2).get("/version")
                    break
                except (execute.Unreachable, execute.Refused):
                    time.sleep(0.1)
            yield sock, names
        finally:
            service.terminate()
            try:
                service.wait(10)
            except subprocess.TimeoutExpired:
                service.kill()
                service.wait(5)
    finally:
        _podman("rm", "-f", "-t", "0", *names.values(), check=False)


def _live(engine, sock, tmp_path):
    out = tmp_path / f"{engine}.live.json"
    done = subprocess.run([sys.executable, "-m", "infra_expert", "live", engine, "--socket",
                           sock, "--no-config", "--format", "json", "--snapshot", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout), out.read_text(encoding="utf-8"), done


@needs_podman
@pytest.mark.parametrize("engine", ["podman", "docker"])
def test_live_review_of_a_real_podman_reports_what_was_configured(podman_service, engine,
                                                                  tmp_path):
    sock, names = podman_service
    report, snapshot_text, done = _live(engine, sock, tmp_path)
    assert SECRET not in snapshot_text and SECRET not in done.stdout
    assert "API_TOKEN=" in snapshot_text
    found = {}
    for f in report["findings"]:
        found.setdefault(f["path"], set()).add(f["rule"] if isinstance(f["rule"], str)
                                               else f["rule"]["id"])
    good, bad, sick = (found.get(f"container/{names[k]}", set())
                       for k in ("good", "bad", "sick"))
    assert {"DC002", "DC005", "DC030", "DC031", "LV005"} <= bad
    assert not {"DC002", "DC005", "DC030", "DC031", "DC032", "DC006", "DC007", "LV001",
                "LV005"} & good
    assert "LV001" in sick and not {"DC030", "DC031"} & sick
    said = [f["message"] for f in report["findings"]
            if f["path"] == f"container/{names['good']}"]
    assert said and all("created from `/srv/shop/compose.yaml` (service `good`)" in m
                        for m in said)
    snap = json.loads(snapshot_text)
    assert snap["source"] == engine
    assert snap["context"]["engine"].startswith(f"{engine} 4.")
    by_name = {c["Name"].lstrip("/"): c for c in snap["containers"]}
    assert by_name[names["good"]]["HostConfig"]["Memory"] == 64 * 2**20
    assert by_name[names["sick"]]["State"]["Health"]["Status"] == "unhealthy"
