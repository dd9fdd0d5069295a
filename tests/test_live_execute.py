"""Live mode's only door to the outside (`live.execute`): allowlisted read-only commands
with a time-out, and GET on a unix socket. Nothing else can be run."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading

import pytest

from infra_expert.live import execute
from infra_expert.live.execute import Refused, Unreachable, UnixHTTP, check, run


@pytest.mark.parametrize("argv", [
    ["docker", "ps", "-a", "--format", "json"],
    ["docker", "inspect", "web"],
    ["/usr/bin/podman", "pod", "ls", "--format", "json"],
    ["docker", "stats", "--no-stream", "--format", "json"],
    ["kubectl", "get", "deployments", "-o", "json", "--all-namespaces"],
    ["kubectl", "config", "current-context"],
    ["systemctl", "show", "nginx.service"],
    ["systemctl", "list-units", "--all", "--output=json"],
])
def test_read_only_calls_are_allowed(argv):
    check(argv)


@pytest.mark.parametrize("argv", [
    ["docker", "rm", "-f", "web"], ["docker", "run", "busybox"], ["docker", "exec", "web", "sh"],
    ["docker", "stop", "web"], ["docker", "container", "prune"], ["podman", "pod", "rm", "x"],
    ["docker", "stats"],                                   # streams for ever
    ["kubectl", "delete", "pod", "x"], ["kubectl", "apply", "-f", "x.yaml"],
    ["kubectl", "exec", "x", "--", "sh"], ["kubectl", "edit", "deploy/x"],
    ["kubectl", "get", "--raw", "/api/v1/secrets"], ["kubectl", "get", "pods", "-w"],
    ["kubectl", "get", "pods", "--watch=true"], ["kubectl", "config", "use-context", "prod"],
    ["kubectl", "get", "pods", "--kubeconfig=/tmp/evil"],
    ["systemctl", "restart", "nginx"], ["systemctl", "stop", "nginx"],
    ["systemctl", "daemon-reload"], ["sh", "-c", "docker ps"], ["bash"], ["rm", "-rf", "/"],
    ["docker"], [], ["docker", 3],
])
def test_everything_else_is_refused_before_a_process_starts(argv, monkeypatch):
    started = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: started.append(a))
    with pytest.raises(Refused):
        run(argv)
    assert started == []


def test_a_missing_program_a_failure_and_a_time_out_are_unreachable(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(Unreachable, match="not installed"):
        run(["kubectl", "get", "pods"])
    fake = tmp_path / "kubectl"
    fake.write_text("#!/bin/sh\necho 'error: You must be logged in' >&2\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(Unreachable, match="You must be logged in"):
        run(["kubectl", "get", "pods"])
    fake.write_text(f"#!/bin/sh\nexec {sys.executable} -c \"import time; time.sleep(5)\"\n")
    with pytest.raises(Unreachable, match="did not answer within 0.3 s"):
        run(["kubectl", "get", "pods"], timeout=0.3)


def _serve_once(path, answers):
    """A tiny HTTP server on a unix socket that records the request lines it gets."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(4)
    seen = []

    def loop():
        for _ in range(len(answers)):
            conn, _ = server.accept()
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            seen.append(data.split(b"\r\n", 1)[0].decode())
            status, body = answers[len(seen) - 1]
            payload = json.dumps(body).encode()
            conn.sendall(f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
                         .encode() + payload)
            conn.close()
        server.close()
    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return seen, thread


def test_the_engine_api_is_read_with_get_only(tmp_path):
    path = str(tmp_path / "engine.sock")
    seen, thread = _serve_once(path, [(200, {"Version": "4.3.1"}), (404, {"message": "no"})])
    api = UnixHTTP(path, timeout=5)
    assert api.get("/version") == {"Version": "4.3.1"}
    with pytest.raises(Unreachable, match="HTTP 404"):
        api.get("/containers/x/json")
    thread.join(5)
    assert seen == ["GET /version HTTP/1.1", "GET /containers/x/json HTTP/1.1"]
    assert not [name for name in dir(UnixHTTP) if name in ("post", "put", "delete", "request")]
    with pytest.raises(Refused):
        api.get("http://evil/")
    with pytest.raises(Refused):
        api.get("/x HTTP/1.1\r\nX: y")


def test_no_socket_or_no_permission_is_unreachable(tmp_path):
    with pytest.raises(Unreachable, match="no socket"):
        UnixHTTP(str(tmp_path / "none.sock")).get("/version")


def test_live_mode_never_calls_subprocess_or_sockets_outside_execute():
    """Every module of the live package reaches the outside through execute only."""
    import infra_expert.live as live
    folder = os.path.dirname(live.__file__)
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".py") or name == "execute.py":
            continue
        text = open(os.path.join(folder, name), encoding="utf-8").read()
        for word in ("subprocess", "import socket", "http.client", "urllib", "os.system",
                     "os.popen", "import requests", "from requests"):
            assert word not in text, f"live/{name} uses {word}"


def test_an_unreachable_engine_exits_2_with_the_reason(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path), "DOCKER_HOST": f"unix://{tmp_path}/no.sock"}
    done = subprocess.run([sys.executable, "-m", "infra_expert", "live", "docker",
                           "--no-config"], capture_output=True, text=True, env=env)
    assert done.returncode == 2
    assert done.stderr.startswith("infra-expert: live docker: ")
    assert "Traceback" not in done.stderr
