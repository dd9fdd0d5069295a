"""The only way live mode reaches anything outside its own process: read-only calls,
allowlisted, each with a time-out.

- `run(argv)`: a command from `ALLOWED` (program and the words that must follow it),
  run without a shell, with a time-out, its output returned; anything else raises
  `Refused` before a process is started. `docker ps`, `podman inspect`, `kubectl get`,
  `systemctl show` … — no verb that changes anything is in the list, and a command is
  matched on its leading words only after its options were checked
  (`FORBIDDEN_OPTIONS`: `kubectl get --raw`, `-w` …).
- `UnixHTTP(socket).get(path)`: GET on the Docker/Podman Engine API over its unix socket
  (`DOCKER_HOST=unix://…`, `CONTAINER_HOST`); no other method exists on it.

A daemon or cluster that cannot be reached, or a permission refused, raises
`Unreachable` with the reason; the CLI says it and exits 2.
"""

from __future__ import annotations

import json
import os
import subprocess

TIMEOUT = 20.0            # seconds for one call

# program -> allowed leading words (after the program); a call must start with one of them
ALLOWED = {
    "docker": (("version",), ("info",), ("ps",), ("inspect",), ("container", "inspect"),
               ("container", "ls"), ("image", "inspect"), ("image", "ls"), ("images",),
               ("stats", "--no-stream"), ("network", "inspect"), ("network", "ls"),
               ("volume", "ls"), ("volume", "inspect")),
    "podman": (("version",), ("info",), ("ps",), ("inspect",), ("container", "inspect"),
               ("container", "ls"), ("image", "inspect"), ("image", "ls"), ("images",),
               ("stats", "--no-stream"), ("pod", "ls"), ("pod", "ps"), ("pod", "inspect"),
               ("network", "inspect"), ("network", "ls"), ("volume", "ls"),
               ("volume", "inspect")),
    "kubectl": (("get",), ("version",), ("config", "current-context"),
                ("config", "view", "--minify")),
    "systemctl": (("show",), ("list-units",), ("list-timers",), ("list-unit-files",),
                  ("cat",), ("status",), ("is-system-running",)),
    "journalctl": (("--disk-usage",),),
}
# options that would make an allowed verb do something else (stream for ever, reach an
# arbitrary API path, write a file, run a plugin)
FORBIDDEN_OPTIONS = ("--raw", "-w", "--watch", "--watch-only", "--output-watch-events",
                     "-f", "--follow", "--kubeconfig=", "--exec", "--template-file",
                     "--edit")


class Refused(Exception):
    """A call live mode will not make (not read-only, or not in the allowlist)."""


class Unreachable(Exception):
    """The daemon, cluster or manager could not be asked: not running, no permission,
    timed out, not installed."""


def check(argv):
    """Raise Refused unless `argv` is an allowlisted read-only call."""
    if not argv or not all(isinstance(a, str) for a in argv):
        raise Refused("not a command")
    program = os.path.basename(argv[0])
    allowed = ALLOWED.get(program)
    if allowed is None:
        raise Refused(f"`{program}` is not a program live mode calls")
    words = argv[1:]
    for word in words:
        if any(word == f or (f.endswith("=") and word.startswith(f)) or
               (not f.endswith("=") and word.startswith(f + "="))
               for f in FORBIDDEN_OPTIONS):
            raise Refused(f"`{program} … {word}` is not read-only or not bounded")
    if not any(tuple(words[:len(p)]) == p for p in allowed):
        raise Refused(f"`{program} {' '.join(words[:2])}` is not an allowed read-only call")


def run(argv, timeout=TIMEOUT, env=None):
    """stdout of an allowlisted command (text). Raises Refused, or Unreachable when it
    cannot be run or fails (its first error line said)."""
    check(argv)
    try:
        done = subprocess.run(argv, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL,
                              env=env, check=False)
    except FileNotFoundError:
        raise Unreachable(f"`{argv[0]}` is not installed") from None
    except PermissionError:
        raise Unreachable(f"`{argv[0]}`: permission denied") from None
    except subprocess.TimeoutExpired:
        raise Unreachable(f"`{' '.join(argv[:3])}` did not answer within {timeout:g} s") \
            from None
    if done.returncode != 0:
        first = (done.stderr.decode("utf-8", "replace").strip().splitlines() or [""])[0]
        raise Unreachable(f"`{' '.join(argv[:3])}` failed: {first[:300]}")
    return done.stdout.decode("utf-8", "replace")


def run_json(argv, timeout=TIMEOUT):
    """An allowlisted command's JSON output (one document, or JSON Lines as a list)."""
    text = run(argv, timeout)
    try:
        return json.loads(text) if text.strip() else []
    except ValueError:
        items = []
        for line in text.splitlines():
            if line.strip():
                try:
                    items.append(json.loads(line))
                except ValueError:
                    raise Unreachable(f"`{' '.join(argv[:3])}` did not print JSON") from None
        return items


class UnixHTTP:
    """GET on an HTTP API over a unix socket (the Docker/Podman Engine API). GET is the
    only method there is."""

    def __init__(self, socket_path, timeout=TIMEOUT):
        self.socket_path = socket_path
        self.timeout = timeout

    def get(self, path):
        """The JSON of `GET path` (a path like `/v1.41/containers/json?all=1`)."""
        import http.client
        import socket
        if not path.startswith("/") or any(c in path for c in "\r\n "):
            raise Refused(f"not an API path: {path!r}")
        conn = http.client.HTTPConnection("localhost", timeout=self.timeout)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except FileNotFoundError:
            sock.close()
            raise Unreachable(f"no socket at {self.socket_path}") from None
        except PermissionError:
            sock.close()
            raise Unreachable(f"{self.socket_path}: permission denied (is this user in "
                              "the docker group?)") from None
        except OSError as exc:
            sock.close()
            raise Unreachable(f"{self.socket_path}: {exc.strerror or exc}") from None
        conn.sock = sock
        try:
            conn.request("GET", path, headers={"Host": "localhost"})
            response = conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise Unreachable(f"{self.socket_path}: {exc}") from None
        finally:
            conn.close()
        if response.status >= 400:
            raise Unreachable(f"GET {path.split('?')[0]}: HTTP {response.status}")
        try:
            return json.loads(body) if body.strip() else None
        except ValueError:
            raise Unreachable(f"GET {path.split('?')[0]}: not JSON") from None
