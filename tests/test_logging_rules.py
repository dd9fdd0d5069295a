"""What services log, across domains: debug switches left on in deployment files, human-only
log formats where JSON is one switch away, and shell tracing that prints secrets into build
logs (DF102, DF103, DC081, DC082, K8114, K8115, PM031, PM032). The cases of each domain are
run from that domain's CASES table (tests/test_*_rules.py, tests/test_podman.py)."""

from __future__ import annotations

from conftest import rule_locations

from infra_expert.knowledge import debug_switch, is_dev_file, unstructured_logs

# (rule, Dockerfile text, lines, other files): the shape of tests/test_dockerfile_rules.py
DOCKERFILE_LOGGING = [
    ("DF102", "FROM python:3.12-slim\nENV PYTHONUNBUFFERED=1 \\\n    FLASK_DEBUG=1\n"
              "USER 10001\nCMD [\"flask\", \"run\"]\n", [2], None),
    # a build stage's debug setting does not ship; a production value is fine
    ("DF102", "FROM node:22 AS build\nENV NODE_ENV=development\nRUN npm ci\n"
              "FROM node:22-slim\nENV NODE_ENV=production LOG_LEVEL=info\nUSER node\n",
     [], None),
    ("DF103", "FROM alpine:3.20\nARG GITHUB_TOKEN\nRUN set -eux; \\\n"
              "    wget --header \"Authorization: token ${GITHUB_TOKEN}\" "
              "-O /tmp/x https://api.github.com/x\n", [3], None),
    ("DF103", "FROM alpine:3.20\nRUN --mount=type=secret,id=tok \\\n"
              "    sh -xc 'wget --header \"X-Token: $(cat /run/secrets/tok)\" "
              "https://example.com/x'\n", [2], None),
    # tracing without a secret, or a secret without tracing
    ("DF103", "FROM alpine:3.20\nARG VERSION=1.2\nRUN set -eux; "
              "wget https://example.com/tool-${VERSION}.tgz\n"
              "ARG NPM_TOKEN\nRUN set -eu; echo \"//r/:_authToken=${NPM_TOKEN}\" > .npmrc\n",
     [], None),
]

COMPOSE_LOGGING = [
    ("DC081", {"compose.yaml": "services:\n  api:\n    image: ghcr.io/x/api:1.2\n"
                               "    environment:\n      LOG_LEVEL: debug\n"
                               "      DJANGO_DEBUG: \"True\"\n      TZ: UTC\n"},
     [("compose.yaml", 5), ("compose.yaml", 6)]),
    ("DC081", {"compose.yaml": "services:\n  api:\n    image: ghcr.io/x/api:1.2\n"
                               "    environment:\n      - LOG_LEVEL=info\n      - DEBUG=false\n"},
     []),
    # a developer's overlay is where debug belongs
    ("DC081", {"compose.dev.yaml": "services:\n  api:\n    image: ghcr.io/x/api:1.2\n"
                                   "    environment:\n      - LOG_LEVEL=debug\n"}, []),
    ("DC082", {"compose.yaml": "services:\n  api:\n    image: ghcr.io/x/api:1.2\n"
                               "    environment:\n      - LOG_FORMAT=text\n"},
     [("compose.yaml", 5)]),
    ("DC082", {"compose.yaml": "services:\n  api:\n    image: ghcr.io/x/api:1.2\n"
                               "    environment:\n      - LOG_FORMAT=json\n"}, []),
]

_POD = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\nspec:\n  containers:\n"
        "    - name: api\n      image: ghcr.io/x/api:1.2\n      env:\n")
KUBERNETES_LOGGING = [
    ("K8114", {"pod.yaml": _POD + "        - name: RUST_LOG\n          value: info,hyper=trace\n"},
     [("pod.yaml", 11)]),
    ("K8114", {"pod.yaml": _POD + "        - name: LOG_LEVEL\n          value: warn\n"}, []),
    ("K8115", {"pod.yaml": _POD + "        - name: LOG_FORMAT\n          value: console\n"},
     [("pod.yaml", 11)]),
    ("K8115", {"pod.yaml": _POD + "        - name: LOG_FORMAT\n          value: logfmt\n"}, []),
]

_UNIT = "[Container]\nImage=ghcr.io/x/api:1.2\n"
PODMAN_LOGGING = [
    ("PM031", {"api.container": _UNIT + "Environment=TZ=UTC NODE_ENV=development\n"},
     [("api.container", 3)]),
    ("PM031", {"api.container": _UNIT + "Environment=NODE_ENV=production\n"}, []),
    ("PM032", {"api.container": _UNIT + "Environment=LOG_FORMAT=plain\n"},
     [("api.container", 3)]),
    ("PM032", {"api.container": _UNIT + "Environment=LOG_FORMAT=json\n"}, []),
]

def test_a_developer_dockerfile_may_default_to_debug(tmp_path):
    files = {"Dockerfile.dev": "FROM node:22-slim\nENV NODE_ENV=development\n"}
    assert rule_locations(tmp_path, files, "DF102") == []


def test_switches():
    assert debug_switch("FLASK_DEBUG", "1")[0] == "warning"
    assert debug_switch("LOG_LEVEL", "DEBUG")[0] == "suggestion"
    assert debug_switch("LOG_LEVEL", "info") is None
    assert debug_switch("NODE_ENV", "production") is None
    assert debug_switch("DEBUG", "false") is None
    assert unstructured_logs("APP_LOG_FORMAT", "text")
    assert not unstructured_logs("LOG_FORMAT", "json")
    assert is_dev_file("deploy/compose.dev.yaml") and is_dev_file("local/compose.yaml")
    assert not is_dev_file("devices/compose.yaml") and not is_dev_file("compose.yaml")
