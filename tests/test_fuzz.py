"""Fuzzing: every parser, and the whole engine, on generated and mutated input.

Inputs are not random text: they are built from each format's grammar fragments
(instruction keywords, continuations, heredocs, quotes, `$`/`${`/`:-`, YAML indicators,
`[Section]`/`Key=`, `%` specifiers) and from a fixed set of real files (built-in seeds
plus a few corpus files per kind from ../shared) mutated by byte flips, line
duplication/deletion/swap, inserted fragments and truncation.

Properties: no exception escapes but the documented one (`YamlError` from the YAML
layer; nothing from the others), each input finishes within the example deadline, and
one example in MEMORY_EVERY is run under tracemalloc with a peak cap. The whole engine
must review a mutated tree without an "internal error" notice and render every format
as valid UTF-8 (JSON and SARIF parse, the terminal and Markdown text hold no raw control
character), and nothing from the files planted beside the tree (OUTSIDE) may show up.

Profiles: "ci" (default) is small and derandomized, so CI is reproducible; "long"
(HYPOTHESIS_PROFILE=long) is random and is what `bench/fuzz.py` runs for minutes.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tracemalloc
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra_expert.compose.interpolate import interpolate, parse_env
from infra_expert.compose.loader import load_project
from infra_expert.dockerfile.parser import INSTRUCTIONS, parse
from infra_expert.shell import commands, has_option, operands
from infra_expert.kubernetes.model import load_manifest
from infra_expert.report import FORMATS, render
from infra_expert.units import parse_unit
from infra_expert.yamlsafe import YamlError, load_all

from conftest import CORPUS, run_review, write_tree

# --------------------------------------------------------------------------- profiles --
_COMMON = dict(database=None, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("ci", max_examples=100, derandomize=True, **_COMMON)
settings.register_profile("long", max_examples=2000, derandomize=False, **_COMMON)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if PROFILE not in ("ci", "long"):
    PROFILE = "ci"
# Generous on purpose: a loaded 2-core CI machine must not make this flaky, and what we
# look for (exponential expansion, backtracking) costs seconds to hours, not milliseconds.
PARSER_DEADLINE = timedelta(seconds=2)
ENGINE_DEADLINE = timedelta(seconds=10)


def fuzz(share, deadline=PARSER_DEADLINE):
    """Settings of one fuzz test: `share` of the profile's examples (engine tests are
    ~10x dearer than parser tests)."""
    base = settings.get_profile(PROFILE)
    return settings(base, max_examples=max(1, int(base.max_examples * share)),
                    deadline=deadline)


# Inputs run per parser; bench/fuzz.py reads it to report what a run covered.
RUNS = Counter()
# tracemalloc slows allocation several times over: measure one example in this many.
MEMORY_EVERY = 5
PARSER_PEAK = 64 << 20       # a parse of a few KB peaks at well under 1 MB
ENGINE_PEAK = 256 << 20      # includes lazily loaded rule tables and schemas


def bounded(kind, fn, *args, peak=PARSER_PEAK):
    """Run fn(*args), counting it under `kind`; every MEMORY_EVERY-th run is traced and
    its peak allocation must stay under `peak`."""
    RUNS[kind] += 1
    with _address_space_guard():
        if RUNS[kind] % MEMORY_EVERY or tracemalloc.is_tracing():
            return fn(*args)
        tracemalloc.start()
        try:
            result = fn(*args)
            used = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert used < peak, f"{kind}: peak {used:,} bytes on one input"
    return result


GUARD = 2 << 30    # address space an example may add before it gets a MemoryError


@contextmanager
def _address_space_guard():
    """An expansion bomb found by the fuzzer must fail the test, not take the machine:
    lower the soft RLIMIT_AS to what the process uses now plus GUARD (Linux only)."""
    try:
        import resource
        with open("/proc/self/statm") as fh:
            used = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError):
        yield
        return
    limit = used + GUARD
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft != resource.RLIM_INFINITY:
        limit = min(limit, soft)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


# -------------------------------------------------------------------- grammar pieces --
WEIRD = ["\t", " ", "\r", "\x00", "\x1b[2J", "\x7f", "é", "\u2028", "\ufeff", "\U0001F600",
         "\x85", "\v"]
VARS = ["$A", "${A}", "${A:-def}", "${A-def}", "${A:+alt}", "${A+alt}", "${A:?err}",
        "${A?err}", "${A:-${B:-c}}", "${A}${A}", "$$", "\\$A", "$", "${", "}", "{", "${A",
        "${1}", "${A:}", "${A:-{x}}", "$B", "${B}"]
QUOTES = ["'", '"', "`", "\\", '\\"', "\\'", "\\n"]

DF_KEYWORDS = sorted(INSTRUCTIONS) + ["run", "from", "Copy", "ONBUILD RUN", "ONBUILD ONBUILD",
                                      "UNKNOWN", "FROM scratch", "FROM alpine AS base"]
DF_ARGS = [
    "alpine:3.19", "ubuntu", "python:3.12-slim@sha256:0123abcd", "AS", "as build", "scratch",
    "--platform=$BUILDPLATFORM", "--from=build", "--from=0", "--from=", "--link",
    "--mount=type=cache,target=/root/.cache", "--mount=type=secret,id=tok,target=/s",
    "--mount=type=bind,from=x,source=/,target=/src", "--chown=1000:1000", "--chmod=755",
    "--network=none", "--security=insecure", "--", "--unknown-flag", "--interval=5s",
    "--retries=", "--checksum=sha256:00", "--parents", "--exclude=*.md", "CMD", "NONE",
    '["sh", "-c", "echo hi"]', '["/bin/app"', "[]", '[""]', '["a", 1, null]', "{",
    "<<EOF", "<<-EOF", "<<'EOT'", '<<"EOF"', "<<EOF <<EOT", "EOF", "EOT", "#", "# note",
    "&&", "||", "|", ";", "&", "$(", ")", "(", "apt-get update", "apt-get install -y curl",
    "pip install requests", "npm install", "curl -fsSL https://u:p@x.example/i.sh | sh",
    "wget -O- http://x.example/a", "sudo -E", "cd /tmp", "chmod -R 777 /", "useradd -u 0 x",
    "A=1", "A=${A}${A}", 'B="x y"', "key=value", "0", "1000", "root", "80/tcp", "8080",
    "SIGKILL", "/app", ".", "./", "*.txt", "..", "/", "~", "%", "mysql -pSECRET",
    "https://user:tok@github.com/o/r.git",
] + VARS + QUOTES + WEIRD
DF_DIRECTIVES = ["# syntax=docker/dockerfile:1", "# escape=`", "# escape=\\", "# escape=x",
                 "# check=skip=all;error=true", "#syntax = x", "# hadolint shell=powershell",
                 "# hadolint ignore=DL3008", "# infra-expert: ignore=DF004 reason",
                 "# infra-expert: ignore=XX999", "# escape=`\n# escape=\\"]

SH_WORDS = [
    "apt-get", "install", "-y", "--no-install-recommends", "update", "pip", "pip3", "npm",
    "yarn", "apk", "add", "--no-cache", "curl", "-fsSL", "https://x.example/i.sh", "sh",
    "bash", "-c", "wget", "-qO-", "sudo", "-u", "nobody", "env", "A=b", "xargs", "-n1",
    "cd", "/tmp", "rm", "-rf", "/var/lib/apt/lists/*", "chmod", "+x", "777", "echo", "hi",
    "set", "-eux", "if", "then", "else", "fi", "for", "in", "do", "done", "while", "case",
    "esac", "{", "}", "!", "exec", "command", "time", "nohup", "deps='a b'", "$deps",
    '"$@"', "--", "-", "=", "mysql", "-pPW", "--password=PW", "git", "clone",
    "https://u:p@git.example/r", "tar", "xzf", "-", "useradd", "groupadd", "busybox",
]
SH_OPERATORS = ["&&", "||", ";", "&", "|", "\n", "(", ")", "$(", "`", "<<EOF\nbody\nEOF\n",
                "<<-'X'\n\tb\n\tX\n", "<<EOF", "\\\n", ">", ">>", "2>&1", "<", "<(", "#",
                "# c\n", ";;", "\\"]

ENV_KEYS = ["A", "B", "C", "COMPOSE_FILE", "COMPOSE_PATH_SEPARATOR", "COMPOSE_PROFILES",
            "export A", "_x", "a.b-c", "1BAD", " A", "PASSWORD", "DB_PASSWORD", ""]
ENV_VALUES = ["x", "secret", "compose.yaml", "other.yaml:compose.yaml", "/etc/passwd",
              "../../x.yaml", ":", ",", " #c", "#", "multi\nline", " ", "=", "a b"
              ] + VARS + QUOTES + WEIRD

UNIT_SECTIONS = ["[Unit]", "[Service]", "[Container]", "[Install]", "[Pod]", "[Kube]",
                 "[Volume]", "[Network]", "[Build]", "[Image]", "[X-Custom]", "[Unit",
                 "[]", "[ Container ]", "[Container]]", "[[Service]"]
UNIT_KEYS = ["Description", "Image", "Exec", "ExecStart", "ExecStartPre", "PublishPort",
             "Volume", "Environment", "EnvironmentFile", "User", "Group", "Network", "Pod",
             "PodmanArgs", "SecurityLabelDisable", "AddCapability", "DropCapability",
             "NoNewPrivileges", "ReadOnly", "HealthCmd", "Label", "Secret", "Mount",
             "WantedBy", "Yaml", "ContainerName", "Notify", "Restart", "TimeoutStartSec",
             "AutoUpdate", "UserNS", "Privileged", "Unmask", "Sysctl", "Tmpfs", "Device",
             "ContainerName ", " Image", "", "key with space"]
UNIT_VALUES = ["docker.io/library/nginx:latest", "nginx", "%h/data:/data:Z", "%n", "%i",
               "%%", "%", "%U", "%t/x", "%E", "8080:80", "0.0.0.0:22:22", "A=b",
               '"A=b c"', "'x'", "ALL", "CAP_SYS_ADMIN", "true", "no", "--privileged",
               "-", "@", "\\", "; c", "# c", "$VAR", "${X}", "=", "%h/../..", "/etc/passwd",
               "/run/docker.sock:/var/run/docker.sock", "keep-id", "all", "x.kube",
               "--cap-add=ALL", "PASSWORD=hunter2", "https://u:p@r.example/i"] + WEIRD

YAML_INDENTS = ["", "  ", "    ", "      ", "\t", "- ", "  - ", "- - ", "? "]
YAML_PIECES = [
    "a", "b", "key", "services", "web", "image", "<<", "&a", "&b", "*a", "*b", "<<: *a",
    "<<: [*a, *b]", "!tag", "!!str", "!!int", "!!binary", "!!map", "!!python/object:os.system",
    "!reset", "!override", "!!merge", ": ", ":", "- ", "-", "|", "|-", ">-", ">+2", "{",
    "}", "[", "]", ", ", "? ", "---", "...", "%YAML 1.2", "%TAG ! tag:x,2000:", "#", "'",
    '"', "~", "null", "yes", "on", "0x1F", "0o17", "1e3", ".inf", ".nan", "2001-12-14",
    "12:30:45", "=", "@", "%", "{a: 1, b: [2, 3]}", "[*a, *a, *a]", "''", '""',
] + VARS + WEIRD

K8S_KINDS = ["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "Service",
             "ConfigMap", "Secret", "List", "PodList", "Ingress", "NetworkPolicy",
             "HorizontalPodAutoscaler", "Role", "ClusterRoleBinding", "Namespace", "Foo"]

COMPOSE_KEYS = ["image", "build", "command", "entrypoint", "environment", "env_file",
                "ports", "volumes", "networks", "depends_on", "extends", "privileged",
                "cap_add", "user", "restart", "healthcheck", "labels", "profiles",
                "network_mode", "secrets", "read_only", "security_opt", "deploy", "x-foo"]


def joined(pieces, max_size=8, separators=(" ", "", "\t", "=")):
    """Fragments of a grammar glued by a few separators."""
    return st.lists(st.tuples(st.sampled_from(pieces), st.sampled_from(separators)),
                    max_size=max_size).map(lambda xs: "".join(p + s for p, s in xs))


def lines_of(line, max_lines=30, newline=st.sampled_from(["\n", "\n", "\n", "\r\n"])):
    return st.lists(st.tuples(line, newline), max_size=max_lines).map(
        lambda xs: "".join(a + b for a, b in xs))


def _heredoc(parts):
    keyword, marker, body, close = parts
    return f"{keyword} {marker}\n{body}\n{close}"


DF_HEREDOC = st.tuples(
    st.sampled_from(["RUN", "COPY", "ADD", "RUN cat", "RUN python3"]),
    st.sampled_from(["<<EOF", "<<-EOF", "<<'EOF'", '<<"EOF"', "<<EOF > /x", "<<EOF <<EOT",
                     "<<EOF /app/x"]),
    joined(SH_WORDS + SH_OPERATORS, 6),
    st.sampled_from(["EOF", "\tEOF", "EOT\nEOF", "", "EOF\nEOT"]),
).map(_heredoc)
DF_LINE = st.one_of(
    st.tuples(st.sampled_from(DF_KEYWORDS), joined(DF_ARGS)).map(" ".join),
    st.sampled_from(DF_DIRECTIVES),
    joined(DF_ARGS, 4),
    DF_HEREDOC,
    st.tuples(st.sampled_from(DF_KEYWORDS), joined(DF_ARGS, 3), st.sampled_from(["\\", "`"]),
              joined(SH_WORDS, 4)).map(lambda t: f"{t[0]} {t[1]} {t[2]}\n  {t[3]}"),
)
DOCKERFILE = lines_of(DF_LINE)
SHELL = joined(SH_WORDS + SH_OPERATORS + VARS + QUOTES, 30, (" ", "", " ", "\n"))
ENV_LINE = st.one_of(
    st.tuples(st.sampled_from(ENV_KEYS), st.sampled_from(["=", " = ", "=", ""]),
              joined(ENV_VALUES, 5, ("", " ", ""))).map("".join),
    st.sampled_from(["# comment", "", "   ", "export", "=x", "A", "A='multi", 'A="open']),
)
ENV_TEXT = lines_of(ENV_LINE, 20)
UNIT_LINE = st.one_of(
    st.sampled_from(UNIT_SECTIONS),
    st.tuples(st.sampled_from(UNIT_KEYS), st.sampled_from(["=", " = ", "", "=="]),
              joined(UNIT_VALUES, 4, (" ", "", " \\\n", "\\"))).map("".join),
    st.sampled_from(["# c", "; c", "", "\\", "Key=a \\", "# c \\"]),
)
UNIT_TEXT = lines_of(UNIT_LINE)
YAML_LINE = st.tuples(st.sampled_from(YAML_INDENTS), joined(YAML_PIECES, 5, (" ", "", ": "))
                      ).map("".join)
YAML_TEXT = lines_of(YAML_LINE)


# Files beside the reviewed tree, and references that lead there: their content must never
# reach any output (the references themselves may be named).
MARKER = "outsidemarker"
OUTSIDE = {
    "Dockerfile": f"FROM {MARKER}:1\nRUN curl http://{MARKER}.example | sh\n",
    "compose.yaml": f"services:\n  leak:\n    image: {MARKER}\n    privileged: true\n",
    ".env": f"LEAK={MARKER}\nCOMPOSE_FILE=../outside/compose.yaml\n",
    "app.container": f"[Container]\nImage={MARKER}\nPodmanArgs=--privileged\n",
}
OUTSIDE_REFS = ["../outside", "../outside/Dockerfile", "../outside/compose.yaml",
                "../outside/.env", "../outside/app.container", "../../outside/compose.yaml",
                "..", "../outside/../outside/compose.yaml"]


SCALARS = ["x", "nginx:latest", "./", "..", "/etc", "other.yaml", "compose.yaml", "80:80",
           "0.0.0.0:22:22", "ALL", "SYS_ADMIN", "root", "0", "true", "host",
           "/var/run/docker.sock:/var/run/docker.sock", "PASSWORD=hunter2",
           "sh -c 'echo hi'"] + OUTSIDE_REFS + VARS


def _scalar():
    return st.one_of(st.sampled_from(SCALARS), st.integers(-5, 70000), st.booleans(),
                     st.none())


def _tree(keys):
    return st.recursive(
        _scalar(),
        lambda inner: st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(keys) | st.text(max_size=4), inner, max_size=4),
        max_leaves=16)


COMPOSE_DATA = st.fixed_dictionaries(
    {"services": st.dictionaries(st.sampled_from(["web", "db", "app", "1", "a.b"]),
                                 st.dictionaries(st.sampled_from(COMPOSE_KEYS),
                                                 _tree(COMPOSE_KEYS + ["file", "service",
                                                                       "context", "path"]),
                                                 max_size=5)
                                 | _scalar(),
                                 max_size=3)},
    optional={"include": _tree(["path", "env_file", "project_directory"]),
              "volumes": _tree(["data", "external", "driver"]),
              "networks": _tree(["default", "external", "driver"]),
              "x-base": _tree(COMPOSE_KEYS)})
K8S_KEYS = ["apiVersion", "kind", "metadata", "spec", "template", "containers",
            "initContainers", "securityContext", "image", "name", "namespace", "items",
            "hostNetwork", "privileged", "runAsUser", "resources", "limits", "ports",
            "volumes", "hostPath", "path", "selector", "matchLabels", "labels", "jobTemplate"]
K8S_DATA = st.fixed_dictionaries(
    {"apiVersion": st.sampled_from(["v1", "apps/v1", "batch/v1", "x/y", ""]),
     "kind": st.sampled_from(K8S_KINDS)},
    optional={"metadata": _tree(K8S_KEYS), "spec": _tree(K8S_KEYS), "items": _tree(K8S_KEYS)})


def _dump(docs):
    return "---\n".join(yaml.safe_dump(d, default_flow_style=None, allow_unicode=True)
                        for d in docs)


# --------------------------------------------------------------------------- seeds ----
BUILTIN = {
    "dockerfile": [
        "# syntax=docker/dockerfile:1\nARG BASE=alpine:3.19\nFROM ${BASE} AS build\n"
        "ENV A=1 B=\"two words\"\nRUN --mount=type=cache,target=/root/.cache \\\n"
        "    apk add --no-cache curl && \\\n    curl -fsSL https://x.example/i.sh | sh\n"
        "COPY <<EOF /etc/app.conf\nkey=${A}\nEOF\nFROM scratch\n"
        "COPY --from=build /app /app\nUSER 1000\nHEALTHCHECK CMD [\"/app\", \"-health\"]\n"
        "ENTRYPOINT [\"/app\"]\n",
        "# escape=`\nFROM mcr.microsoft.com/windows/servercore\nRUN dir `\n  c:\\\n"
        "ONBUILD RUN echo hi\nSHELL [\"powershell\", \"-Command\"]\n",
        "FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y \\\n  curl \\\n\n"
        "  # comment inside\n  git && rm -rf /var/lib/apt/lists/*\nRUN <<-EOT bash\n"
        "\tset -eux\n\tpip install requests\n\tEOT\nEXPOSE 80/tcp 22\nCMD nginx -g 'daemon off;'\n",
        "ARG A=x\nFROM alpine:${A}\nARG A\nENV A=${A}${A}\nENV B=${A:-${A}}${A}\n"
        "RUN echo $A $B\n",
    ],
    "shell": [
        "set -eux; apt-get update && apt-get install -y --no-install-recommends curl "
        "&& rm -rf /var/lib/apt/lists/*",
        "deps='gcc make' && apk add --virtual .b $deps && (cd /src && make) | tee log",
        "cat <<EOF > /x\nhello $(whoami) `id`\nEOF\nfor f in *; do echo \"$f\"; done",
        "if [ -n \"$A\" ]; then sudo -u app env A=1 xargs -n1 pip install < req.txt; fi",
    ],
    "env": [
        "# comment\nA=1\nexport B=${A:-x}\nC='single $A'\nD=\"multi\nline ${B}\"\n"
        "COMPOSE_FILE=compose.yaml:compose.override.yaml\nE=value # trailing\n",
        "PASSWORD=hunter2\nURL=https://u:${PASSWORD}@db.example/x\nX=${Y?need y}\n",
        # doubling: line duplication turns this into the exponential expansion attack
        "A=x\nA=${A}${A}\nB=\"${A}${A:-${A}}\"\n",
    ],
    "unit": [
        "[Unit]\nDescription=web %n\nAfter=network-online.target\n\n[Container]\n"
        "Image=docker.io/library/nginx:latest\nPublishPort=8080:80\nVolume=%h/data:/data:Z\n"
        "Environment=\"A=b c\" D=e\nPodmanArgs=--privileged \\\n  --cap-add=ALL\n"
        "# comment\n\n[Service]\nRestart=always\n\n[Install]\nWantedBy=default.target\n",
        "[Kube]\nYaml=app.yaml\n[Service]\nExecStart=/bin/sh -c 'echo %i %%'\n",
    ],
    "yaml": [
        "base: &a {x: 1, y: [1, 2]}\nother: &b\n  z: 2\nm:\n  <<: [*a, *b]\n  w: !reset null\n"
        "s: |\n  text\n  more\nf: >-\n  folded\nq: \"esc \\u0041\"\n---\n- !!str 1\n- *a\n",
        "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c]\n",
    ],
    "compose": [
        "x-base: &base\n  restart: always\n  environment:\n    A: ${A:-1}\nservices:\n"
        "  web:\n    <<: *base\n    image: nginx:${TAG:-latest}\n    ports: [\"80:80\"]\n"
        "    build: {context: ., dockerfile: Dockerfile}\n    env_file: .env\n"
        "  db:\n    extends: {service: web}\n    image: !override postgres\n"
        "    volumes: !reset []\n    profiles: [debug]\ninclude:\n  - other.yaml\n",
        "services:\n  app:\n    extends:\n      file: other.yaml\n      service: app\n"
        "    environment:\n      - PASSWORD=${PASSWORD}\n      - B=$$B\n",
    ],
    "kubernetes": [
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {app: web}\n"
        "spec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata:\n"
        "      labels: {app: web}\n    spec:\n      hostNetwork: true\n      containers:\n"
        "        - name: web\n          image: nginx\n          securityContext:\n"
        "            privileged: true\n          env:\n            - {name: PASSWORD, "
        "value: hunter2}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
        "spec: {selector: {app: web}, ports: [{port: 80}]}\n",
        "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n"
        "    metadata: {name: p}\n    spec:\n      containers: [{name: c, image: busybox}]\n"
        "      volumes: [{name: h, hostPath: {path: /}}]\n  - kind: nothing\n",
    ],
}
# A fixed, small set of real files per kind (from ../shared/corpus_lists); missing ones
# are skipped, and the built-in seeds above keep the tests meaningful without them.
CORPUS_PICKS = {
    "dockerfile": [
        "corpus/docker__awesome-compose/nginx-golang/backend/Dockerfile",
        "corpus/GoogleCloudPlatform__kubernetes-engine-samples/ai-ml/t5-model-serving/model/"
        "Dockerfile",
        "corpus/GoogleCloudPlatform__microservices-demo/src/cartservice/src/Dockerfile",
        "corpus/nginxinc__docker-nginx/modules/Dockerfile.alpine",
        "corpus/docker__awesome-compose/react-express-mysql/backend/Dockerfile",
    ],
    "compose": [
        "corpus/Haxxnet__Compose-Examples/examples/keycloak/docker-compose.yml",
        "corpus/Haxxnet__Compose-Examples/examples/firezone/docker-compose.yml",
        "corpus/Haxxnet__Compose-Examples/examples/vaultwarden/docker-compose.yml",
        "corpus-homelab/bolens__homelab/stacks/firecrawl/docker-compose.yml",
        "corpus-homelab/matejkosiarcik__homelab/docker-compose/actualbudget/compose.yml",
        "corpus-homelab/matejkosiarcik__homelab/docker-compose/.template/"
        "compose.override-dev.yml",
    ],
    "env": [
        "corpus-homelab/bolens__homelab/shared.env.example",
        "corpus-homelab/bolens__homelab/stacks/caddy/stack.env.example",
        "corpus-homelab/matejkosiarcik__homelab/servers/odroid-h4-ultra/docker-apps/"
        "openwebui/config/compose.env",
    ],
    "unit": [
        "corpus/containers__podman/test/e2e/quadlet/basic.container",
        "corpus/containers__podman/test/e2e/quadlet/env-file.container",
        "corpus/containers__podman/test/e2e/quadlet/basepodman.container",
        "corpus/containers__podman/test/e2e/quadlet/capabilities.container",
        "corpus/containers__podman/contrib/systemd/system/podman.socket",
        "corpus-homelab/bolens__homelab/scripts/avahi-alias@.service",
    ],
    "kubernetes": [
        "corpus/GoogleCloudPlatform__kubernetes-engine-samples/ai-ml/anthropic-agent-sandbox/"
        "deploy/base/dispatcher.yaml",
        "corpus/GoogleCloudPlatform__kubernetes-engine-samples/ai-ml/adk-vllm/deploy-agent/"
        "deploy-agent.yaml",
        "corpus/GoogleCloudPlatform__kubernetes-engine-samples/ai-ml/gke-ray/tpu/dws/"
        "dws-tpu-queue.yaml",
        "corpus-homelab/angelnu__k8s-gitops/apps/authentik/app/helmrelease.yaml",
    ],
}
CORPUS_PICKS["yaml"] = CORPUS_PICKS["compose"][:3] + CORPUS_PICKS["kubernetes"][:3]
CORPUS_PICKS["shell"] = []
# The operations domains (issue 9): seeds and fragments of their own.
BUILTIN["calendar"] = ["Mon..Fri *-*-* 02:00", "*-*-1,15 4:30:00 Europe/Paris", "daily",
                       "*-02~03", "Sat,Sun 08..18/2:00", "2026-12-24 18:00:00.5 UTC",
                       "@1700000000", "*:0/15", "quarterly", "Mon *-*-* 00:00:00"]
BUILTIN["promql"] = ['sum by (job) (rate(http_requests_total{code=~"5.."}[5m])) > 0.1',
                     "up == 0 or absent(up{job=\"x\"})", "time() - x > 2 * 86400",
                     "histogram_quantile(0.99, sum(rate(h_bucket[5m])) by (le)) > bool 1",
                     "max_over_time(x[1h:5m] offset 1d) @ 1700000000 unless on(a) y"]
BUILTIN["crontab"] = ["MAILTO=a@example.org\nPATH=/usr/bin:/bin\nCRON_TZ=Europe/Paris\n"
                      "*/15 2-4 * jan-mar mon-fri /usr/bin/backup >> /var/log/b.log 2>&1\n"
                      "@reboot sleep 30 && run\n0 0 1 * * date +%F > /tmp/d\n",
                      "SHELL=/bin/bash\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n"]
BUILTIN["kestra"] = ["id: f\nnamespace: a.b\ntasks:\n  - id: p\n    type: io.kestra.plugin.core.flow.Parallel\n"
                     "    tasks:\n      - id: s\n        type: io.kestra.plugin.scripts.shell.Commands\n"
                     "        commands: ['echo {{ secret(\"X\") }} >> /data/out']\n"
                     "        retry: {type: constant, interval: PT1M}\n"
                     "triggers:\n  - id: t\n    type: io.kestra.plugin.core.trigger.Schedule\n"
                     "    cron: '0 7 * * *'\nerrors:\n  - id: e\n    type: io.kestra.plugin.core.log.Log\n"
                     "    message: x\n"]
BUILTIN["promrules"] = ["groups:\n  - name: g\n    interval: 1m\n    rules:\n      - alert: A\n"
                        "        expr: rate(x_total[1m]) > 1\n        for: 5m\n        labels: {severity: page}\n"
                        "        annotations: {summary: s}\n      - record: job:x:rate5m\n"
                        "        expr: sum by (job) (rate(x_total[5m]))\n# pint disable promql/rate\n"]
for kind in ("calendar", "promql", "crontab", "kestra", "promrules"):
    CORPUS_PICKS[kind] = []
CORPUS_PICKS["crontab"] = ["corpus-homelab/matejkosiarcik__homelab/docker-images/certbot/crontab.cron"]
CORPUS_PICKS["kestra"] = ["corpus/kestra-io__blueprints/flows/advanced-scheduling.yaml"]

# The pipeline domain (issue 14): a GitHub workflow, a GitLab pipeline with local includes
# (some aimed outside the tree), a Woodpecker file.
BUILTIN["workflow"] = [
    "name: ci\non:\n  push:\n    tags: ['v*']\n  pull_request_target:\npermissions: write-all\n"
    "jobs:\n  build:\n    runs-on: [self-hosted]\n    environment: production\n"
    "    container: {image: 'node:20', credentials: {username: u, password: p}}\n"
    "    steps:\n      - uses: actions/checkout@v4\n        with:\n"
    "          ref: ${{ github.event.pull_request.head.sha }}\n"
    "      - run: |\n          echo \"${{ github.event.pull_request.title }}\" >> $GITHUB_ENV\n"
    "          curl -fsSL https://x.example/i.sh | sh\n"
    "          docker build -t ghcr.io/a/b:latest . && docker push ghcr.io/a/b:latest\n"
    "          helm upgrade --install web ./chart\n          kubectl apply -f k8s/\n"
    "      - uses: docker/build-push-action@v6\n        with: {push: true, tags: 'a/b:latest'}\n"
    "      - uses: aquasecurity/trivy-action@0.32.0\n        with: {image-ref: a/b, exit-code: '0'}\n"
    "        continue-on-error: true  # zizmor: ignore[unpinned-uses]\n"
    "  call:\n    uses: org/wf/.github/workflows/x.yml@main\n    secrets: inherit\n"]
BUILTIN["gitlab"] = [
    "include:\n  - local: ci/*.yml\n  - local: ../outside/compose.yaml\n  - template: X.yml\n"
    "default:\n  image: docker:27\n  before_script: [docker login -p $CI_REGISTRY_PASSWORD r]\n"
    ".base: &base\n  script: [echo $API_TOKEN]\nbuild:\n  <<: *base\n  extends: .base\n"
    "  script:\n    - docker build -t $CI_REGISTRY_IMAGE:latest .\n"
    "    - docker push $CI_REGISTRY_IMAGE:latest\n    - !reference [.base, script]\n"
    "deploy:\n  environment: {name: production}\n  script: [ssh h 'docker compose up -d']\n"
    "  rules: [{if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH'}]\n"]
BUILTIN["woodpecker"] = [
    "when: [{event: push, branch: main}]\nsteps:\n  - name: image\n"
    "    image: woodpeckerci/plugin-docker-buildx\n    settings:\n      repo: a/b\n"
    "      tags: latest\n      password: {from_secret: reg}\n  - name: run\n    image: alpine\n"
    "    environment: {TOKEN: {from_secret: t}}\n    commands: [echo $TOKEN, kubectl apply -f k]\n"]
for kind in ("workflow", "gitlab", "woodpecker"):
    CORPUS_PICKS[kind] = []
CORPUS_PICKS["workflow"] = ["corpus-ci/tmatens__compose-lint/.github/workflows/publish.yml"]
CORPUS_PICKS["gitlab"] = ["corpus-ci/bridgecrewio__checkov/tests/gitlab_ci/resources/rules/"
                          ".gitlab-ci.yml"]
CORPUS_PICKS["woodpecker"] = ["corpus-ci/bolens__homelab/.woodpecker.yml"]


def _seeds(kind):
    found = [s.encode() for s in BUILTIN[kind]]
    for rel in CORPUS_PICKS[kind]:
        path = CORPUS.parent / rel
        if path.is_file() and path.stat().st_size <= 16384:
            found.append(path.read_bytes())
    return found


FRAGMENTS = {
    "dockerfile": DF_ARGS + DF_DIRECTIVES + DF_KEYWORDS + ["\\\n", "\n"],
    "shell": SH_WORDS + SH_OPERATORS + VARS + QUOTES,
    "env": ENV_VALUES + ENV_KEYS + ["\n"],
    "unit": UNIT_SECTIONS + UNIT_KEYS + UNIT_VALUES + ["\\\n", "\n"],
    "yaml": YAML_PIECES + YAML_INDENTS + ["\n"],
}
FRAGMENTS["compose"] = FRAGMENTS["yaml"] + COMPOSE_KEYS + OUTSIDE_REFS
FRAGMENTS["env"] += [f"COMPOSE_FILE={ref}" for ref in OUTSIDE_REFS[1:3]]
FRAGMENTS["unit"] += OUTSIDE_REFS
FRAGMENTS["kubernetes"] = FRAGMENTS["yaml"] + K8S_KEYS + K8S_KINDS
_PIPELINE = ["${{ github.event.issue.body }}", "${{ toJSON(secrets) }}", "uses: ", "run: |",
             "script:", "extends: ", "include:", "- local: ", "!reference [", "steps:",
             "commands:", "settings:", "from_secret:", "| sh", ">> $GITHUB_ENV", "@main",
             "docker push ", "helm upgrade ", "kubectl apply ", "environment:", "if: |"]
FRAGMENTS["workflow"] = FRAGMENTS["yaml"] + _PIPELINE
FRAGMENTS["gitlab"] = FRAGMENTS["yaml"] + _PIPELINE + OUTSIDE_REFS + ["/etc/passwd", "**/*.yml"]
FRAGMENTS["woodpecker"] = FRAGMENTS["yaml"] + _PIPELINE
SEEDS = {kind: _seeds(kind) for kind in BUILTIN}
FRAGMENTS["calendar"] = ["*", "..", "~", "/", ",", ":", "-", " ", "Mon", "Sun", "UTC",
                         "Europe/Paris", "999999", "0", "60", "24", ".5", "@", "hourly"]
FRAGMENTS["promql"] = ["(", ")", "[5m]", "[1h:5m]", "{", "}", "=~", "!=", '"', "'", "`",
                       " by ", " on ", " ignoring(", " group_left", " bool ", " offset ",
                       " @ ", "rate(", "sum(", " > ", " and ", " unless ", "1e309", "#"]
FRAGMENTS["crontab"] = ["*", "*/0", "1-", "61", ",", "%", "\\%", "@yearly", "@bogus",
                        "MAILTO=", "CRON_TZ=Mars/Base", "root", "\n", "\t", "flock -n"]
FRAGMENTS["kestra"] = FRAGMENTS["yaml"] + ["tasks:", "- id: x", "type: io.kestra.core.tasks.log.Log",
                                           "then:", "cases:", "retry:", "timeout: PT", "{{ secret('", "errors:"]
FRAGMENTS["promrules"] = FRAGMENTS["yaml"] + FRAGMENTS["promql"] + [
    "groups:", "rules:", "- alert: X", "expr: ", "for: ", "record: ", "# pint ignore/line",
    "# pint ignore/begin", "# pint disable "]


# ----------------------------------------------------------------------- mutations ----
def _lines(data):
    return data.split(b"\n")


@st.composite
def mutated(draw, kind, max_ops=6):
    """A seed of `kind` after a few mutations; bytes (the engine decodes them itself)."""
    data = bytearray(draw(st.sampled_from(SEEDS[kind])))
    fragments = FRAGMENTS[kind]
    for _ in range(draw(st.integers(1, max_ops))):
        op = draw(st.sampled_from(["flip", "byte", "dup", "delete", "swap", "insert",
                                   "insert-line", "truncate"]))
        size = len(data)
        if op in ("flip", "byte") and size:
            at = draw(st.integers(0, size - 1))
            data[at] = (data[at] ^ (1 << draw(st.integers(0, 7))) if op == "flip"
                        else draw(st.sampled_from(b"\\\"'$`{}[]&*!|>:-#%\n\t\r\x00\xff")))
        elif op in ("dup", "delete", "swap"):
            lines = _lines(bytes(data))
            i = draw(st.integers(0, len(lines) - 1))
            if op == "dup":
                # 32 copies of a line like `A=${A}${A}` is the exponential expansion attack
                lines[i:i] = [lines[i]] * draw(st.sampled_from([1, 2, 3, 8, 32]))
            elif op == "delete":
                del lines[i:i + draw(st.integers(1, 3))]
            else:
                j = draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
            data = bytearray(b"\n".join(lines))
        elif op == "insert":
            at = draw(st.integers(0, size))
            data[at:at] = draw(st.sampled_from(fragments)).encode("utf-8", "surrogateescape")
        elif op == "insert-line":
            lines = _lines(bytes(data))
            i = draw(st.integers(0, len(lines)))
            lines.insert(i, draw(joined(fragments, 4)).encode("utf-8", "surrogateescape"))
            data = bytearray(b"\n".join(lines))
        elif op == "truncate" and size:
            del data[draw(st.integers(0, size - 1)):]
    return bytes(data)


def as_text(data):
    """What the engine would hand a parser (see fsgate.read_text)."""
    return data.decode("utf-8-sig", errors="replace")


def texts(kind, grammar):
    return st.one_of(grammar, mutated(kind).map(as_text))


# ---------------------------------------------------------------------- parser tests --
def _check_dockerfile(text):
    df = parse(text)
    n = max(len(df.lines), 1)
    for ins in df.all_instructions():
        assert 1 <= ins.line <= ins.end_line <= n, (ins, ins.line, ins.end_line, n)
    for line, code, message in df.problems:
        assert 1 <= line <= n and code and message


@fuzz(1)
@given(texts("dockerfile", DOCKERFILE))
def test_dockerfile_parser(text):
    bounded("dockerfile", _check_dockerfile, text)


def _check_shell(script):
    variables = {}
    for cmd in commands(script, variables):
        assert isinstance(cmd.words, list) and all(isinstance(w, str) for w in cmd.words)
        has_option(cmd.args, "-y", "--yes")
        operands(cmd.args, ("-o",))


@fuzz(1)
@given(st.one_of(SHELL, st.sampled_from(BUILTIN["shell"]), mutated("shell").map(as_text)))
def test_shell_reader(script):
    bounded("shell", _check_shell, script)


def _check_env(text):
    env = parse_env(text, "/p/.env")
    n = text.count("\n") + 1
    assert all(1 <= line <= n for line in env.lines.values())
    assert all(1 <= line <= n for line, _ in env.problems)


@fuzz(1)
@given(texts("env", ENV_TEXT))
def test_env_parser(text):
    bounded("env", _check_env, text)


def _check_calendar(text):
    from datetime import datetime, timezone

    from infra_expert.oncalendar import CalendarError, parse_calendar
    try:
        cal = parse_calendar(text)
    except CalendarError as exc:
        assert str(exc)
        return
    assert isinstance(cal.normalized, str)
    nxt = cal.next_after(datetime(2026, 11, 30, tzinfo=timezone.utc))
    assert nxt is None or nxt.tzinfo is not None


@fuzz(1)
@given(st.one_of(st.sampled_from(BUILTIN["calendar"]), mutated("calendar").map(as_text),
                 joined(FRAGMENTS["calendar"], 12, ("", " "))))
def test_calendar_parser(text):
    bounded("calendar", _check_calendar, text)


def _check_promql(text):
    from infra_expert.monitoring.promql import PromQLError, parse
    try:
        parse(text)
    except PromQLError as exc:
        assert str(exc)


@fuzz(1)
@given(st.one_of(mutated("promql").map(as_text), joined(FRAGMENTS["promql"], 16, ("", " "))))
def test_promql_reader(text):
    bounded("promql", _check_promql, text)


def _check_crontab(text):
    from infra_expert.cron.model import parse_crontab
    tab = parse_crontab(text, "/p/crontab")
    n = text.count("\n") + 1
    for job in getattr(tab, "jobs", ()):
        assert 1 <= job.line <= n


@fuzz(1)
@given(texts("crontab", joined(FRAGMENTS["crontab"], 20, (" ", "\n"))))
def test_crontab_parser(text):
    bounded("crontab", _check_crontab, text)


@fuzz(1)
@given(joined(ENV_VALUES + YAML_PIECES, 12, ("", " ", "")),
       st.dictionaries(st.sampled_from(["A", "B", "C", "PASSWORD"]),
                       joined(ENV_VALUES, 4, ("", " ")), max_size=4))
def test_compose_interpolation(text, variables):
    value, problems = bounded("interpolate", interpolate, text, variables)
    assert isinstance(value, str)
    assert all(isinstance(name, str) and isinstance(kind, str) for name, kind in problems)


def _check_unit(text):
    unit = parse_unit(text, "/p/x.container")
    n = text.count("\n") + 1
    for section in unit.sections:
        assert 1 <= section.line <= n
        assert all(1 <= e.line <= n for e in section.entries)
    assert all(1 <= line <= n for _, line, _ in unit.problems)


@fuzz(1)
@given(texts("unit", UNIT_TEXT))
def test_unit_parser(text):
    bounded("unit", _check_unit, text)


def _check_yaml(text, core):
    try:
        load_all(text, "/p/x.yaml", core=core)
    except YamlError as exc:
        assert exc.message and exc.line >= 1


@fuzz(1)
@given(st.one_of(YAML_TEXT, mutated("yaml").map(as_text),
                 st.lists(_tree(YAML_PIECES + COMPOSE_KEYS), max_size=3).map(_dump)),
       st.booleans())
def test_yaml_layer(text, core):
    bounded("yaml", _check_yaml, text, core)


def _project_files(main, env, extra):
    files = {"/p/compose.yaml": main, "/p/.env": env}
    files.update(extra)
    return files


COMPOSE_TEXT = st.one_of(COMPOSE_DATA.map(lambda d: _dump([d])), mutated("compose").map(as_text),
                         YAML_TEXT)
PROJECT = st.builds(
    _project_files, COMPOSE_TEXT,
    st.one_of(st.none(), ENV_TEXT, mutated("env").map(as_text)),
    st.dictionaries(st.sampled_from(["/p/other.yaml", "/p/compose.override.yaml",
                                     "/p/sub/compose.yaml", "/outside.yaml"]),
                    COMPOSE_TEXT, max_size=2))


def _check_compose(files):
    project = load_project("/p/compose.yaml", files.get)
    for service in project.services.values():
        assert isinstance(service.label, str)
        service.where("image")


@fuzz(0.6)
@given(PROJECT)
def test_compose_loader(files):
    bounded("compose", _check_compose, files)


def _check_manifest(text):
    manifest = load_manifest(text, "/p/x.yaml")
    for obj in manifest.objects:
        assert obj.line >= 1 and obj.end_line >= obj.line - 1
        assert isinstance(obj.label, str)


@fuzz(1)
@given(st.one_of(texts("kubernetes", YAML_TEXT),
                 st.lists(K8S_DATA, min_size=1, max_size=3).map(_dump)))
def test_kubernetes_loader(text):
    bounded("kubernetes", _check_manifest, text)


# ---------------------------------------------------------------------- whole engine --
_RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _review_tree(kind, files):
    """Write `files` into a fresh directory (with OUTSIDE beside it), review it and render
    every format."""
    with tempfile.TemporaryDirectory() as tmp:
        write_tree(Path(tmp, "outside"), OUTSIDE)
        repo = write_tree(Path(tmp, "repo"), files)
        result = run_review(repo)
        internal = [n.message for n in result.notices if "internal error" in n.message]
        assert internal == [], internal
        size = sum(len(v) for v in files.values())
        for fmt in FORMATS:
            out = render(result, fmt)
            out.encode("utf-8")          # strict: no lone surrogates
            if fmt in ("review", "markdown"):
                # a control character from a file must not drive the reader's terminal
                assert not _RAW_CONTROL.search(out), (fmt, _RAW_CONTROL.findall(out)[:5])
            # findings are capped per rule and file, so output grows with the input,
            # never with an expansion of it
            assert len(out) < 1_000_000 + 400 * size, (fmt, len(out), size)
            assert MARKER not in out, f"{fmt} output quotes a file outside the tree"
            if fmt in ("json", "sarif"):
                json.loads(out)
    return result


def engine(kind, files):
    return bounded("engine:" + kind, _review_tree, kind, files, peak=ENGINE_PEAK)


def source(kind, grammar):
    """A file for the engine: a mutated seed, or one built from the grammar."""
    return st.one_of(mutated(kind), grammar.map(lambda t: t.encode("utf-8", "surrogatepass")))


@fuzz(0.2, ENGINE_DEADLINE)
@given(source("dockerfile", DOCKERFILE), st.one_of(st.none(), joined(
    ["*", "*.md", "!keep", "**/x", "*a*a*a*a*a*ab", "[", "\\", "node_modules", "../"], 4,
    ("\n",))))
def test_engine_dockerfile(dockerfile, ignore):
    # a long name gives a backtracking pattern matcher something to choke on
    files = {"Dockerfile": dockerfile, "app/main.py": "print(1)\n", "requirements.txt": "x\n",
             "a" * 60: "x\n"}
    if ignore is not None:
        files[".dockerignore"] = ignore
    engine("dockerfile", files)


@fuzz(0.2, ENGINE_DEADLINE)
@given(source("compose", COMPOSE_DATA.map(lambda d: _dump([d]))),
       st.one_of(st.none(), source("env", ENV_TEXT)),
       st.sampled_from(["compose.yaml", "docker-compose.yml", "podman-compose.yaml"]))
def test_engine_compose(compose, env, name):
    files = {name: compose, "Dockerfile": SEEDS["dockerfile"][0], "other.yaml": SEEDS[
        "compose"][1]}
    if env is not None:
        files[".env"] = env
    engine("compose", files)


@fuzz(0.2, ENGINE_DEADLINE)
@given(source("unit", UNIT_TEXT), st.one_of(st.none(), mutated("unit", 2)))
def test_engine_quadlet(unit, drop_in):
    files = {"web.container": unit, "app.yaml": SEEDS["kubernetes"][0]}
    if drop_in is not None:
        files["web.container.d/10-override.conf"] = drop_in
    engine("quadlet", files)


@fuzz(0.2, ENGINE_DEADLINE)
@given(source("kubernetes", st.lists(K8S_DATA, min_size=1, max_size=3).map(_dump)))
def test_engine_kubernetes(manifest):
    engine("kubernetes", {"deploy.yaml": manifest})


@fuzz(0.2, ENGINE_DEADLINE)
@given(source("unit", UNIT_TEXT), source("calendar", joined(FRAGMENTS["calendar"], 8, ("", " "))),
       st.one_of(st.none(), mutated("unit", 2)))
def test_engine_systemd(service, calendar, drop_in):
    timer = b"[Timer]\nOnCalendar=" + calendar.replace(b"\n", b" ") + b"\nPersistent=true\n"
    files = {"backup.service": service, "backup.timer": timer}
    if drop_in is not None:
        files["backup.service.d/10-x.conf"] = drop_in
    engine("systemd", files)


@fuzz(0.2, ENGINE_DEADLINE)
@given(mutated("crontab"), mutated("kestra"), mutated("promrules"))
def test_engine_operations(crontab, flow, rules):
    engine("operations", {"etc/cron.d/backup": crontab, "crontab": crontab,
                          "flows/flow.yaml": flow, "monitoring/rules.yml": rules,
                          "monitoring/prometheus.yml": b"global: {scrape_interval: 30s}\n"
                                                      b"rule_files: [rules.yml]\n"})


@fuzz(0.2, ENGINE_DEADLINE)
@given(mutated("workflow"), mutated("gitlab"), mutated("woodpecker"), mutated("gitlab", 3))
def test_engine_pipeline(workflow, gitlab, woodpecker, included):
    engine("pipeline", {".github/workflows/ci.yml": workflow, ".gitlab-ci.yml": gitlab,
                        "ci/jobs.yml": included, ".woodpecker.yml": woodpecker,
                        "Dockerfile": SEEDS["dockerfile"][0],
                        ".github/actions/x/action.yml": b"runs:\n  using: composite\n"
                                                        b"  steps:\n    - run: echo hi\n"
                                                        b"      shell: bash\n"})
