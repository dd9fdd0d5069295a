"""Severity that means something (issue 8, item 2) and "privileged is said once" (item 3).

Each case is compared by rule id, file, line and severity. The CASES lists at the top are
also added to the domain tables (tests/test_*_rules.py), which hold every rule to a case
that fires and one that must not.
"""

import os

from infra_expert.catalogue import render_catalogue
from infra_expert.knowledge import image_role, is_fixture_path, is_weak_default

from conftest import run_review, write_tree

# ------------------------------------------------------------------ compound risks ----
DOZZLE = """\
services:
  dozzle:
    image: amir20/dozzle:v8.4.1
    ports:
      - "8080:8080"
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
"""
NODE_EXPORTER = """\
services:
  node-exporter:
    image: quay.io/prometheus/node-exporter:v1.8.2
    ports:
      - "9100:9100"
    volumes:
      - /:/host/root:ro
"""
HOME_ASSISTANT = """\
services:
  homeassistant:
    image: ghcr.io/home-assistant/home-assistant:2024.9.1
    privileged: true
    network_mode: host
"""

COMPOSE_CASES = [
    ("DC070", {"compose.yaml": DOZZLE}, [("compose.yaml", 6)]),
    # bound to loopback: not reachable from outside, no chain
    ("DC070", {"compose.yaml": DOZZLE.replace('"8080:8080"', '"127.0.0.1:8080:8080"')}, []),
    # through a socket proxy: no socket on the UI
    ("DC070", {"compose.yaml": DOZZLE.replace(
        "    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n",
        "    environment:\n      DOCKER_HOST: tcp://socket-proxy:2375\n")}, []),
    # not root
    ("DC070", {"compose.yaml": DOZZLE.replace("    ports:", "    user: \"1000:999\"\n    ports:")},
     []),
    # a host monitoring agent reading `/` read-only: the socket is inside what it reads,
    # its port serves metrics, not the API (DC001 says the mount, a warning)
    ("DC070", {"compose.yaml": NODE_EXPORTER}, []),
    # the same agent given the socket itself: the chain is there
    ("DC070", {"compose.yaml": NODE_EXPORTER.replace(
        "/:/host/root:ro", "/var/run/docker.sock:/var/run/docker.sock")}, [("compose.yaml", 6)]),
    # an unknown image mounting `/`: the chain is there too
    ("DC070", {"compose.yaml": NODE_EXPORTER.replace(
        "quay.io/prometheus/node-exporter:v1.8.2", "example/agent:1.0")}, [("compose.yaml", 6)]),
    ("DC071", {"compose.yaml": HOME_ASSISTANT}, [("compose.yaml", 4)]),
    ("DC071", {"compose.yaml": HOME_ASSISTANT.replace("    network_mode: host\n", "")}, []),
    # a CNI-like image that needs both is calibrated, not compounded
    ("DC071", {"compose.yaml": HOME_ASSISTANT.replace(
        "ghcr.io/home-assistant/home-assistant:2024.9.1", "docker:27-dind")}, []),
]


def _pod(kind="Deployment", name="app", image="example/app:1.0", pod="", container="",
         volumes=""):
    return f"""\
apiVersion: apps/v1
kind: {kind}
metadata:
  name: {name}
spec:
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
{pod}      containers:
        - name: {name}
          image: {image}
{container}{volumes}"""


PRIV = "          securityContext:\n            privileged: true\n"
HOSTNET = "      hostNetwork: true\n"
SOCK_MOUNT = ("          volumeMounts:\n            - name: sock\n"
              "              mountPath: /var/run/docker.sock\n")
SOCK_VOL = ("      volumes:\n        - name: sock\n          hostPath:\n"
            "            path: /var/run/docker.sock\n")
CSI = "registry.k8s.io/sig-storage/csi-driver-nfs:v4.8.0"

K8S_CASES = [
    ("K8090", {"app.yaml": _pod(pod=HOSTNET, container=PRIV)}, [("app.yaml", 17)]),
    ("K8090", {"app.yaml": _pod(container=PRIV)}, []),
    ("K8090", {"app.yaml": _pod(kind="DaemonSet", image=CSI, pod=HOSTNET, container=PRIV)}, []),
    ("K8091", {"app.yaml": _pod(container=SOCK_MOUNT, volumes=SOCK_VOL)}, [("app.yaml", 21)]),
    # mounted by nobody, or by a container that runs as a user: no chain
    ("K8091", {"app.yaml": _pod(volumes=SOCK_VOL)}, []),
    ("K8091", {"app.yaml": _pod(pod="      securityContext: {runAsNonRoot: true, runAsUser: 10001}\n",
                                container=SOCK_MOUNT, volumes=SOCK_VOL)}, []),
]

PUSHED = "services:\n  app:\n    build: .\n    image: ghcr.io/me/app:1.0\n"
SECRET_DOCKERFILE = "FROM alpine:3.20\nENV API_TOKEN=s3cr3tvalue9x\nUSER 10001\n"

DOCKERFILE_CASES = [
    ("DF090", SECRET_DOCKERFILE, [2], {"compose.yaml": PUSHED}),
    # built for local use only: no registry in the name
    ("DF090", SECRET_DOCKERFILE, [], {"compose.yaml": PUSHED.replace("ghcr.io/me/app", "app")}),
    # pushed, but no secret in the image
    ("DF090", "FROM alpine:3.20\nENV LOG_LEVEL=info\nUSER 10001\n", [],
     {"compose.yaml": PUSHED}),
]


def found(base, files, rule_id=None):
    """[(rule, path, line, severity)] of a review of `files`, optionally of one rule."""
    write_tree(base, files)
    result = run_review(base)
    assert not [n for n in result.notices if "internal error" in n.message]
    return sorted((f.rule.id, f.path, f.line, f.severity) for f in result.findings
                  if rule_id is None or f.rule.id == rule_id)


def messages(base, files, rule_id):
    write_tree(base, files)
    return [f.message for f in run_review(base).findings if f.rule.id == rule_id]


# ------------------------------------------------------------- the severity definition ----
def test_docs_define_the_severities_and_the_tables():
    text = render_catalogue("markdown")
    assert "exploitable as written, or breaks when deployed" in text
    assert "## Well-known images and paths" in text
    assert "tecnativa/docker-socket-proxy" in text and "a CSI node plugin" in text


def test_compounds_link_their_parts(tmp_path):
    write_tree(tmp_path, {"compose.yaml": DOZZLE})
    result = run_review(tmp_path)
    by = {f.rule.id: f for f in result.findings}
    assert by["DC070"].severity == "critical"
    assert "compose.yaml:5" in by["DC070"].message and "compose.yaml:7" in by["DC070"].message
    # the parts stay, point at the compound, and keep their own (calibrated) severity
    assert "part of DC070" in by["DC001"].message and by["DC001"].severity == "warning"
    assert "part of DC070" in by["DC005"].message and by["DC005"].severity == "warning"
    assert sum(1 for f in result.findings if f.rule.id == "DC070") == 1


def test_k8s_compound_parts(tmp_path):
    rows = found(tmp_path, {"app.yaml": _pod(pod=HOSTNET, container=PRIV)})
    assert ("K8090", "app.yaml", 17, "critical") in rows
    assert ("K8013", "app.yaml", 17, "critical") in rows
    msgs = messages(tmp_path, {}, "K8023")
    assert msgs and "part of K8090" in msgs[0]


def test_dockerfile_secret_pushed_names_the_service(tmp_path):
    write_tree(tmp_path, {"Dockerfile": SECRET_DOCKERFILE, "compose.yaml": PUSHED})
    f = next(f for f in run_review(tmp_path).findings if f.rule.id == "DF090")
    assert f.severity == "critical" and "DF041 at line 2" in f.message
    assert "compose.yaml:4" in f.message


# ---------------------------------------------------------------------- credentials ----
PG = "services:\n  db:\n    image: postgres:16.4\n    environment:\n      POSTGRES_PASSWORD: {}\n"


def test_fixture_credentials_are_warnings_that_say_so(tmp_path):
    files = {"tests/compose.yaml": PG.format("Xk29dkq0zP"),
             "ci/docker-compose.ci.yml": PG.format("postgres")}
    assert found(tmp_path, files, "DC020") == [
        ("DC020", "ci/docker-compose.ci.yml", 5, "warning"),
        ("DC020", "tests/compose.yaml", 5, "warning")]
    assert all("CI/test fixture" in m for m in messages(tmp_path, {}, "DC020"))


def test_weak_default_in_a_deployment_file_stays_critical(tmp_path):
    # `changeme` used to be taken for a placeholder and said nothing at all
    assert found(tmp_path, {"compose.yaml": PG.format("changeme")}, "DC020") == [
        ("DC020", "compose.yaml", 5, "critical")]
    assert "well-known default" in messages(tmp_path, {}, "DC020")[0]


def test_k8s_credentials_in_fixture_and_weak_default(tmp_path):
    env = "          env:\n            - name: DB_PASSWORD\n              value: {}\n"
    files = {"deploy/app.yaml": _pod(container=env.format("admin")),
             "test/fixtures/app.yaml": _pod(container=env.format("Xk29dkq0zP"))}
    assert found(tmp_path, files, "K8028") == [
        ("K8028", "deploy/app.yaml", 17, "critical"),
        ("K8028", "test/fixtures/app.yaml", 17, "warning")]


def test_knowledge_tables():
    assert is_fixture_path("docker-compose.ci.yml") and is_fixture_path(".env.example")
    assert is_fixture_path("examples/compose.yaml") and not is_fixture_path("compose.yaml")
    assert is_weak_default("changeme") and is_weak_default("postgres")
    assert not is_weak_default("Xk29dkq0zP")
    assert image_role("ghcr.io/tecnativa/docker-socket-proxy:0.2").name == "a Docker socket proxy"
    assert image_role("quay.io/cilium/cilium:v1.15.6", "privileged").name == "a CNI or kube-proxy agent"
    assert image_role("nginx:1.27") is None


# ------------------------------------------------------------- well-known images ----
PROXIED = """\
services:
  socket-proxy:
    image: tecnativa/docker-socket-proxy:0.2.0
    environment:
      CONTAINERS: 1
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock:ro
  traefik:
    image: traefik:v3.1.2
    ports: ["443:443"]
    environment:
      DOCKER_HOST: tcp://socket-proxy:2375
"""


def test_socket_proxy_is_a_positive_and_its_clients_are_not_told(tmp_path):
    write_tree(tmp_path, {"compose.yaml": PROXIED})
    result = run_review(tmp_path)
    assert not [f for f in result.findings if f.rule.id in ("DC001", "DC070")]
    assert [p.message for p in result.positives if p.rule.id == "DC001"] == [
        "Docker socket reached through a socket proxy (`socket-proxy`): the other services "
        "talk to the proxy, not to the socket"]


def test_socket_on_a_known_tool_is_a_useful_warning(tmp_path):
    files = {"compose.yaml": PROXIED.replace("tecnativa/docker-socket-proxy:0.2.0",
                                             "example/agent:1.0")
             .replace("    environment:\n      DOCKER_HOST: tcp://socket-proxy:2375\n",
                      "    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock:ro\n")}
    assert found(tmp_path, files, "DC001") == [("DC001", "compose.yaml", 7, "critical"),
                                               ("DC001", "compose.yaml", 12, "warning")]
    assert "socket proxy" in messages(tmp_path, {}, "DC001")[1]


def test_csi_daemonset_privilege_is_expected(tmp_path):
    files = {"csi.yaml": _pod(kind="DaemonSet", name="csi-node", image=CSI, container=PRIV)}
    assert found(tmp_path, files, "K8013") == [("K8013", "csi.yaml", 16, "warning")]
    assert "expected for a CSI node plugin; keep it to this node DaemonSet" in \
        messages(tmp_path, {}, "K8013")[0].replace(f" (`{CSI}`)", "")
    files = {"csi.yaml": _pod(container=PRIV)}
    assert found(tmp_path, files, "K8013") == [("K8013", "csi.yaml", 16, "critical")]


def test_vpn_and_monitoring_agents(tmp_path):
    files = {"compose.yaml": "services:\n  vpn:\n    image: qmcgaw/gluetun:v3.39\n"
                             "    cap_add: [NET_ADMIN]\n"
                             "  ne:\n    image: prom/node-exporter:v1.8.2\n    volumes:\n"
                             "      - /proc:/host/proc:ro\n"}
    assert found(tmp_path, files, "DC012") == [("DC012", "compose.yaml", 4, "suggestion")]
    assert found(tmp_path, files, "DC013") == [("DC013", "compose.yaml", 8, "suggestion")]


# ---------------------------------------------------------- images that drop privileges ----
def test_dockerfile_entrypoint_that_drops_privileges(review_dockerfile):
    text = ("FROM debian:12\nCOPY docker-entrypoint.sh /usr/local/bin/\n"
            "ENTRYPOINT [\"docker-entrypoint.sh\"]\nCMD [\"app\"]\n")
    script = {"docker-entrypoint.sh": "#!/bin/sh\nexec gosu app \"$@\"\n"}
    assert [f for f in review_dockerfile(text, script).findings if f.rule.id == "DF004"] == []
    plain = {"docker-entrypoint.sh": "#!/bin/sh\nexec \"$@\"\n"}
    assert [(f.line, f.severity) for f in review_dockerfile(text, plain).findings
            if f.rule.id == "DF004"] == [(1, "warning")]


def test_dockerfile_base_image_that_drops_privileges(review_dockerfile):
    assert not [f for f in review_dockerfile("FROM postgres:16.4\nCOPY init.sql /docker-entrypoint-initdb.d/\n",
                                             {"init.sql": "select 1;\n"}).findings
                if f.rule.id == "DF004"]
    # its entrypoint replaced: the image's own switch no longer runs
    assert [f.line for f in review_dockerfile("FROM postgres:16.4\nENTRYPOINT [\"/app\"]\n").findings
            if f.rule.id == "DF004"] == [1]


def test_k8s_image_that_drops_privileges_is_a_suggestion(tmp_path):
    rows = found(tmp_path, {"db.yaml": _pod(image="postgres:16.4")}, "K8015")
    assert rows == [("K8015", "db.yaml", 13, "suggestion")]


# ------------------------------------------------------- privileged: said once ----
def test_privileged_compose_service_is_not_told_about_capabilities(tmp_path):
    files = {"compose.yaml": "services:\n  a:\n    image: example/a:1.0\n    privileged: true\n"
                             "    cap_add: [SYS_ADMIN, NET_ADMIN]\n"}
    ids = {r[0] for r in found(tmp_path, files)}
    assert "DC002" in ids and not ids & {"DC006", "DC011", "DC012"}
    files["compose.yaml"] = files["compose.yaml"].replace("    privileged: true\n", "")
    ids = {r[0] for r in found(tmp_path, files)}
    assert {"DC006", "DC011", "DC012"} <= ids


def test_privileged_k8s_container_is_not_told_about_capabilities(tmp_path):
    caps = "            capabilities: {add: [SYS_ADMIN]}\n"
    files = {"app.yaml": _pod(container=PRIV + caps)}
    ids = {r[0] for r in found(tmp_path, files)}
    assert "K8013" in ids and not ids & {"K8014", "K8021", "K8022"}
    files["app.yaml"] = _pod(container="          securityContext:\n" + caps)
    ids = {r[0] for r in found(tmp_path, files)}
    assert {"K8014", "K8021", "K8022"} <= ids


def test_credentials_in_fixtures_are_warnings_for_every_credential_rule(tmp_path):
    from conftest import run_review, write_tree
    dockerfile = "FROM alpine:3.20\nENV API_TOKEN=q8Zr4TnW2xLp0vYc\nUSER 1000\n"
    write_tree(tmp_path, {"tests/fixtures/app/Dockerfile": dockerfile,
                          "deploy/Dockerfile": dockerfile})
    result = run_review(tmp_path)
    seen = sorted((f.path, f.severity) for f in result.findings if f.rule.id == "DF041")
    assert seen == [("deploy/Dockerfile", "critical"),
                    ("tests/fixtures/app/Dockerfile", "warning")]
    fixture = next(f for f in result.findings if f.rule.id == "DF041" and "tests/" in f.path)
    assert fixture.message.endswith("keep real ones out of it)")


def test_cni_agent_hardening_is_calibrated_and_a_pod_setting_said_once(tmp_path):
    # the shape of Cilium's rendered install: seccomp `Unconfined` on the pod, several
    # containers without `allowPrivilegeEscalation: false`
    unconfined = "      securityContext:\n        seccompProfile: {type: Unconfined}\n"
    sidecar = "        - name: sidecar\n          image: example/sidecar:1.0\n"
    files = {"app.yaml": _pod(pod=unconfined, container=sidecar)}
    assert found(tmp_path, files, "K8018") == [("K8018", "app.yaml", 13, "warning")]
    assert found(tmp_path, files, "K8014") == [("K8014", "app.yaml", 15, "warning"),
                                                ("K8014", "app.yaml", 17, "warning")]
    files = {"app.yaml": _pod(kind="DaemonSet", image="quay.io/cilium/cilium:v1.18.2",
                              pod=unconfined, container=sidecar)}
    assert found(tmp_path, files, "K8018") == [("K8018", "app.yaml", 13, "suggestion")]
    # the agent's own container is calibrated; the unknown sidecar is not
    assert found(tmp_path, files, "K8014") == [("K8014", "app.yaml", 15, "suggestion"),
                                                ("K8014", "app.yaml", 17, "warning")]


def test_a_test_input_is_not_told_how_it_would_run(tmp_path):
    # podman's quadlet generator tests: units that are inputs to a test, never started
    unit = "[Container]\nImage=docker.io/library/nginx:1.27\n"
    files = {"test/e2e/quadlet/basic.container": unit, "deploy/web.container": unit}
    rows = [r for r in found(tmp_path, files) if r[0] in ("PM010", "PM012")]
    assert rows == [("PM010", "deploy/web.container", 1, "warning"),
                    ("PM010", "test/e2e/quadlet/basic.container", 1, "suggestion"),
                    ("PM012", "deploy/web.container", 1, "warning"),
                    ("PM012", "test/e2e/quadlet/basic.container", 1, "suggestion")]
    # examples are copied by people: how they would run still matters
    files = {"examples/web.container": unit}
    assert ("PM010", "examples/web.container", 1, "warning") in found(tmp_path / "x", files)


def test_a_test_input_broken_on_purpose_is_no_critical(tmp_path):
    # `noimage.container` in podman's tests: broken as written, on purpose
    unit = "[Container]\nExec=sleep 1\n"
    files = {"test/e2e/quadlet/noimage.container": unit, "deploy/web.container": unit}
    rows = [r for r in found(tmp_path, files) if r[0] == "PM020"]
    assert rows == [("PM020", "deploy/web.container", 1, "critical"),
                    ("PM020", "test/e2e/quadlet/noimage.container", 1, "warning")]


def test_where_the_user_keeps_a_project_does_not_make_it_a_test(tmp_path):
    # judged below the folder reviewed: `~/tests/shop` is a project, its `e2e/` a test
    unit = "[Container]\nExec=sleep 1\n"
    write_tree(tmp_path, {"tests/shop/web.container": unit,
                          "tests/shop/e2e/broken.container": unit})
    from conftest import run_review
    result = run_review(tmp_path, [str(tmp_path / "tests" / "shop")])
    rows = sorted((os.path.basename(f.path), f.severity) for f in result.findings
                  if f.rule.id == "PM020")
    assert rows == [("broken.container", "warning"), ("web.container", "critical")]
    # a file given alone is judged inside its git work tree
    (tmp_path / "tests" / "shop" / ".git").mkdir()
    for name, severity in (("web.container", "critical"), ("e2e/broken.container", "warning")):
        result = run_review(tmp_path, [str(tmp_path / "tests" / "shop" / name)])
        assert [f.severity for f in result.findings if f.rule.id == "PM020"] == [severity]
