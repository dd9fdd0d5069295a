"""MinIO server settings: the core judgement (infra_expert.minio) and the rules that use it
in Compose (DC083-DC085), Quadlet (PM033) and Kubernetes (K8116)."""

import re
import shutil
from pathlib import Path

import pytest

from infra_expert.minio import Published, Server, is_minio, review

from conftest import SHARED, needs_shared, run_review

FIXTURES = Path(__file__).parent / "fixtures" / "minio"


def concerns(server):
    return sorted((c, line) for c, line, _ in review(server))


# ------------------------------------------------------------------------ core ----
@pytest.mark.parametrize("image,words,expected", [
    ("minio/minio:RELEASE.2024-10-13T13-34-11Z", ["server", "/data"], True),
    ("quay.io/minio/minio", ["minio", "server", "/data"], True),
    ("docker.io/bitnami/minio:2024.10.13", [], True),            # runs the server itself
    ("bitnamilegacy/minio:2024.9.13", [], True),
    ("minio/minio", [], False),                                  # CMD `minio`: the help
    ("minio/mc:RELEASE.2024-10-08T09-37-26Z", ["alias", "set"], False),
    ("bitnami/minio-client:2024", [], False),
    ("alpine:3.20", ["sh", "-c", "mkdir -p /d && /usr/bin/minio server /d"], True),
    ("alpine:3.20", ["sh", "-c", "echo server"], False),
    ("${MINIO_IMAGE}", ["server", "/data"], False),
])
def test_recognised(image, words, expected):
    assert is_minio(image, words) is expected


def test_no_credentials_is_the_default_login():
    s = Server("minio/minio", ["server", "/data"], line=3)
    assert concerns(s) == [("default-credentials", 3)]
    message = review(s)[0][2]
    assert "minioadmin" not in message and "MINIO_ROOT_PASSWORD" in message


@pytest.mark.parametrize("env,kw", [
    ({"MINIO_ROOT_USER": ("admin", 5), "MINIO_ROOT_PASSWORD": (None, 6)}, {}),
    ({"MINIO_ROOT_PASSWORD_FILE": ("/run/secrets/pw", 6)}, {}),
    ({"MINIO_ACCESS_KEY": ("a", 5), "MINIO_SECRET_KEY": ("s3cret-long-value", 6)}, {}),
    ({"MINIO_CONFIG_ENV_FILE": ("/etc/minio/config.env", 6)}, {}),
    ({}, {"env_unknown": True}),                      # env_file / envFrom: unknown
    ({}, {"secrets": ["access_key", "secret_key"]}),  # the image's *_FILE defaults
    ({}, {"mounts": ["/run/secrets"]}),
])
def test_credentials_set_somewhere_say_nothing(env, kw):
    assert concerns(Server("minio/minio", ["server", "/data"], env, line=3, **kw)) == []


def test_password_that_resolves_to_the_default():
    env = {"MINIO_ROOT_USER": ("admin", 5), "MINIO_ROOT_PASSWORD": ("minioadmin", 6)}
    assert concerns(Server("minio/minio", ["server", "/d"], env, line=3)) == \
        [("default-credentials", 6)]
    # a literal another rule reports (DC020, PM007, K8028) is not said twice
    assert concerns(Server("minio/minio", ["server", "/d"], env, line=3,
                           said={"MINIO_ROOT_PASSWORD"})) == []
    # bitnami's own default
    env = {"MINIO_ROOT_PASSWORD": ("miniosecret", 6)}
    assert concerns(Server("bitnami/minio", [], env, line=3)) == [("default-credentials", 6)]
    assert concerns(Server("minio/minio", ["server", "/d"], env, line=3)) == []


def _open(line_api=8, line_console=9, host="0.0.0.0"):
    return [Published(host, "9000", "9000", line_api), Published(host, "9001", "9001",
                                                                 line_console)]


CREDS = {"MINIO_ROOT_USER": ("u", 1), "MINIO_ROOT_PASSWORD_FILE": ("/run/secrets/p", 2)}


def test_console_and_api_on_all_interfaces():
    s = Server("minio/minio", ["server", "/data", "--console-address", ":9001"], CREDS,
               ports=_open())
    assert concerns(s) == [("console-exposed", 9), ("plain-http", 8)]
    # without a console address MinIO picks a random port: publishing 9001 reaches nothing
    s = Server("minio/minio", ["server", "/data"], CREDS, ports=_open())
    assert concerns(s) == [("plain-http", 8)]
    # MINIO_BROWSER=off: no console at all
    env = dict(CREDS, MINIO_BROWSER=("off", 3))
    s = Server("minio/minio", ["server", "/data", "--console-address=:9001"], env,
               ports=_open())
    assert concerns(s) == [("plain-http", 8)]


@pytest.mark.parametrize("host", ["127.0.0.1", "192.168.1.10", "::1"])
def test_bound_to_an_address_is_fine(host):
    s = Server("minio/minio", ["server", "/data", "--console-address", ":9001"], CREDS,
               ports=_open(host=host))
    assert concerns(s) == []


@pytest.mark.parametrize("extra", [
    {"mounts": ["/root/.minio/certs"]},
    {"mounts": ["/root/.minio/certs/public.crt", "/data"]},
    {"words": ["--certs-dir", "/opt/certs"]},
    {"words": ["-S", "/opt/certs"]},
    {"env": {"MINIO_SERVER_URL": ("https://s3.example.org", 4)}},
])
def test_tls_silences_plain_http(extra):
    env = dict(CREDS, **extra.get("env", {}))
    s = Server("minio/minio", ["server", "/data", *extra.get("words", [])], env,
               ports=_open(), mounts=extra.get("mounts", ()))
    assert concerns(s) == []


def test_addresses_and_ports_are_read():
    # API moved to 9300 with --address, console given through the environment
    env = dict(CREDS, MINIO_CONSOLE_ADDRESS=(":9301", 3))
    ports = [Published(None, "9000", "9000", 7), Published(None, "9300", "9300", 8),
             Published(None, None, "9301", 9)]
    s = Server("minio/minio", ["server", "/d", "--address", ":9300"], env, ports=ports)
    assert concerns(s) == [("console-exposed", 9), ("plain-http", 8)]
    # a range that covers the port
    s = Server("minio/minio", ["server", "/d"], CREDS,
               ports=[Published(None, "9000-9001", "9000-9001", 7)])
    assert concerns(s) == [("plain-http", 7)]
    # an address written through a variable is unknown: nothing said about it
    s = Server("minio/minio", ["server", "/d", "--address", ":${PORT}"], CREDS,
               ports=[Published(None, "9000", "9000", 7)])
    assert concerns(s) == []


def test_bitnami_ports_scheme_and_certs():
    env = {"MINIO_ROOT_USER": ("u", 1), "MINIO_ROOT_PASSWORD": (None, 2)}
    s = Server("bitnami/minio:2024", [], env, ports=_open())
    assert concerns(s) == [("console-exposed", 9), ("plain-http", 8)]
    https = dict(env, MINIO_SCHEME=("https", 3))
    assert concerns(Server("bitnami/minio", [], https, ports=_open(),
                           mounts=["/certs"])) == [("console-exposed", 9)]
    moved = dict(env, MINIO_API_PORT_NUMBER=("9500", 3), MINIO_CONSOLE_PORT_NUMBER=("9501", 4))
    assert concerns(Server("bitnami/minio", [], moved, ports=_open())) == []


def test_host_network():
    s = Server("minio/minio", ["server", "/d", "--console-address", ":9001"], CREDS,
               host_network=True, network_line=6, line=3)
    assert concerns(s) == [("console-exposed", 6), ("plain-http", 6)]
    s = Server("minio/minio", ["server", "/d", "--address", "127.0.0.1:9000"], CREDS,
               host_network=True, network_line=6, line=3)
    assert concerns(s) == []


def test_not_minio_says_nothing():
    assert review(Server("nginx:1.27", ["nginx"], ports=_open(), line=3)) == []
    assert review(Server(None, None and [], line=3)) == []


# ---------------------------------------------------------------- rules on fixtures ----
def _marked(path):
    """{(rule, line)} from `# <- DCnnn` marks in a fixture."""
    out = set()
    for i, line in enumerate(path.read_text().splitlines(), 1):
        for rule in re.findall(r"# <- (DC08[3-5])", line):
            out.add((rule, i))
    return out


def _minio_findings(tmp_path, folder):
    shutil.copytree(FIXTURES / folder, tmp_path / folder)
    result = run_review(tmp_path / folder)
    assert not [n for n in result.notices if "internal error" in n.message]
    return result, {(f.rule.id, f.line) for f in result.findings
                    if f.rule.id in ("DC083", "DC084", "DC085")}


def test_homelab_behind_traefik_is_clean(tmp_path):
    _, found = _minio_findings(tmp_path, "behind-traefik")
    assert found == set()


def test_published_raw_fires_where_marked(tmp_path):
    result, found = _minio_findings(tmp_path, "published-raw")
    assert found == _marked(FIXTURES / "published-raw" / "compose.yaml")
    text = "\n".join(f.message for f in result.findings)
    assert "miniosecret" not in text and "minioadmin" not in text
    severities = {f.rule.id: f.severity for f in result.findings
                  if f.rule.id.startswith("DC08")}
    assert severities["DC083"] == "critical" and severities["DC084"] == "warning"
    # said once: the MinIO port lines are not also "port published on all interfaces"
    said = {f.line for f in result.findings if f.rule.id in ("DC084", "DC085")}
    assert said and not [f for f in result.findings
                         if f.rule.id == "DC005" and f.line in said]


# --------------------------------------------------------------------- rule CASES ----
_MINIO = "    image: quay.io/minio/minio:RELEASE.2024-10-13T13-34-11Z\n"


def _compose(body):
    return {"compose.yaml": "services:\n  minio:\n" + _MINIO + body}


_CMD = '    command: server /data --console-address ":9001"\n'
_CREDS = ("    environment:\n      MINIO_ROOT_USER: root\n"
          "      MINIO_ROOT_PASSWORD: ${MINIO_ROOT_PASSWORD}\n")

COMPOSE_MINIO = [
    ("DC083", _compose(_CMD), [("compose.yaml", 3)]),
    ("DC083", _compose(_CMD + "    environment:\n      TZ: Europe/Paris\n"), [("compose.yaml", 5)]),
    ("DC083", {**_compose(_CMD + _CREDS), ".env": "MINIO_ROOT_PASSWORD=minioadmin\n"},
     [("compose.yaml", 7)]),
    ("DC083", {**_compose(_CMD + _CREDS), ".env": "MINIO_ROOT_PASSWORD=Zq8-long-random-value\n"},
     []),
    ("DC083", _compose(_CMD + "    env_file: minio.env\n"), []),
    # a literal default password is DC020's, said once
    ("DC083", _compose(_CMD + "    environment:\n      - MINIO_ROOT_USER=minioadmin\n"
                              "      - MINIO_ROOT_PASSWORD=minioadmin\n"), []),
    ("DC084", _compose(_CMD + "    env_file: minio.env\n    ports:\n      - 9000:9000\n"
                              "      - 9001:9001\n"), [("compose.yaml", 8)]),
    ("DC084", _compose(_CMD + "    env_file: minio.env\n    ports:\n"
                              "      - 127.0.0.1:9001:9001\n"), []),
    ("DC085", _compose(_CMD + "    env_file: minio.env\n    ports:\n      - 9000:9000\n"),
     [("compose.yaml", 7)]),
    ("DC085", _compose(_CMD + "    env_file: minio.env\n    ports:\n      - 9000:9000\n"
                              "    volumes:\n      - ./certs:/root/.minio/certs:ro\n"), []),
]

_UNIT = """\
[Container]
Image=quay.io/minio/minio:RELEASE.2024-10-13T13-34-11Z
Exec=server /data --console-address :9001
Secret=minio-root-user,type=env,target=MINIO_ROOT_USER
Secret=minio-root-password,type=env,target=MINIO_ROOT_PASSWORD
PublishPort=127.0.0.1:9000:9000
PublishPort=127.0.0.1:9001:9001
Volume=minio-data:/data

[Service]
Restart=always

[Install]
WantedBy=default.target
"""


def _unit(**replace):
    text = _UNIT
    for old, new in replace.items():
        old = {"user": "Secret=minio-root-user,type=env,target=MINIO_ROOT_USER\n",
               "password": "Secret=minio-root-password,type=env,target=MINIO_ROOT_PASSWORD\n",
               "api": "PublishPort=127.0.0.1:9000:9000\n",
               "console": "PublishPort=127.0.0.1:9001:9001\n"}[old]
        assert old in text
        text = text.replace(old, new)
    return {"minio.container": text}


PODMAN_MINIO = [
    ("PM033", _unit(user="", password=""), [("minio.container", 2)]),
    ("PM033", _unit(api="PublishPort=9000:9000\n", console="PublishPort=0.0.0.0:9001:9001\n"),
     [("minio.container", 6), ("minio.container", 7)]),
    ("PM033", _unit(user="", password="EnvironmentFile=/etc/minio/root.env\n"), []),
    ("PM033", _unit(api="PublishPort=9000:9000\nVolume=/etc/minio/certs:/root/.minio/certs:ro,Z\n"),
     []),
    ("PM033", _unit(), []),
]

_STS = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: minio
  namespace: storage
spec:
  serviceName: minio
  replicas: 1
  selector:
    matchLabels: {app: minio}
  template:
    metadata:
      labels: {app: minio}
    spec:
      containers:
        - name: minio
          image: quay.io/minio/minio:RELEASE.2024-10-13T13-34-11Z
          args: ["server", "/data", "--console-address", ":9001"]
          env:
            - name: MINIO_ROOT_USER
              valueFrom:
                secretKeyRef: {name: minio-root, key: user}
            - name: MINIO_ROOT_PASSWORD
              valueFrom:
                secretKeyRef: {name: minio-root, key: password}
          volumeMounts:
            - {name: data, mountPath: /data}
"""

_NO_CREDS = _STS.replace(
    "          env:\n            - name: MINIO_ROOT_USER\n              valueFrom:\n"
    "                secretKeyRef: {name: minio-root, key: user}\n"
    "            - name: MINIO_ROOT_PASSWORD\n              valueFrom:\n"
    "                secretKeyRef: {name: minio-root, key: password}\n", "")
assert _NO_CREDS != _STS

KUBERNETES_MINIO = [
    ("K8116", {"minio.yaml": _NO_CREDS}, [("minio.yaml", 17)]),
    ("K8116", {"minio.yaml": _NO_CREDS.replace(
        "          volumeMounts:", "          env:\n            - {name: TZ, value: UTC}\n"
                                   "          volumeMounts:")}, [("minio.yaml", 19)]),
    ("K8116", {"minio.yaml": _STS}, []),
    ("K8116", {"minio.yaml": _NO_CREDS.replace(
        "          volumeMounts:", "          envFrom:\n            - secretRef: {name: minio}\n"
                                   "          volumeMounts:")}, []),
]


# ------------------------------------------------------------------ real files ----
@needs_shared
def test_no_crash_on_the_real_minio_files(tmp_path):
    roots = [SHARED / "corpus", SHARED / "corpus-homelab"]
    folders = sorted({p.parent for root in roots if root.is_dir()
                      for p in root.rglob("*.y*ml")
                      if "minio" in str(p).lower() or "minio" in p.read_text(errors="ignore")
                      .lower()[:200000]})
    assert folders
    for folder in folders[:40]:
        result = run_review(folder)
        assert not [n for n in result.notices if "internal error" in n.message], folder
