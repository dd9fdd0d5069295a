"""Issue 8, item 4: what the review said wrong, each with a regression test (rule id + line)."""

import shutil

import pytest

from infra_expert.report.markdown import render_review
from infra_expert.secrets import is_literal_secret_value

from conftest import rule_locations, run_review, write_tree

needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not found")


# -- 1. Quadlet Restart= -------------------------------------------------------------------
UNIT = """\
[Unit]
Description=Web app

[Container]
Image=docker.io/library/nginx:1.27
PublishPort=127.0.0.1:8080:80

[Service]
Restart={restart}
TimeoutStartSec=900

[Install]
WantedBy=default.target
"""


@pytest.mark.parametrize("restart, expected", [
    ("on-success", [("web.container", 9)]),    # never restarts after a crash
    ("on-abort", [("web.container", 9)]),      # not after a non-zero exit either
    ("no", []),                                # an explicit choice
    ("always", []),
    ("on-failure", []),
])
def test_quadlet_restart_policy(tmp_path, restart, expected):
    files = {"web.container": UNIT.format(restart=restart)}
    assert rule_locations(tmp_path, files, "PM010") == expected


def test_quadlet_restart_on_success_is_not_praised(tmp_path):
    write_tree(tmp_path, {"web.container": UNIT.format(restart="on-success")})
    result = run_review(tmp_path)
    assert not [p for p in result.positives if p.rule.id == "PM010"]
    [hit] = [f for f in result.findings if f.rule.id == "PM010"]
    assert "crash" in hit.message and hit.severity == "warning"


def test_quadlet_missing_restart_still_reported(tmp_path):
    files = {"web.container": UNIT.format(restart="always").replace("Restart=always\n", "")}
    assert rule_locations(tmp_path, files, "PM010") == [("web.container", 4)]


# -- 2. EXPOSE as BuildKit parses it -------------------------------------------------------
DOCKERFILE = """\
FROM nginx:1.27-alpine
ARG PORT=8080
ARG PORTS="9000 9001/udp"
ARG EMPTY=
EXPOSE "80" '443/tcp' 8000-8010 5353/UDP
EXPOSE ${PORT} $PORTS $EMPTY 53/
EXPOSE BAD
CMD ["nginx", "-g", "daemon off;"]
"""


@pytest.mark.parametrize("bad, expected", [
    ("81", []),
    ('"82/tcp"', []),
    ("127.0.0.1:8081:81", []),          # BuildKit accepts it (and warns ExposeInvalidFormat)
    ("80/http", [("Dockerfile", 7)]),
    ("70000", [("Dockerfile", 7)]),
    ("8010-8000", [("Dockerfile", 7)]),
    ("abc", [("Dockerfile", 7)]),
    ('"99999"', [("Dockerfile", 7)]),
])
def test_expose_ports(tmp_path, bad, expected):
    assert rule_locations(tmp_path, {"Dockerfile": DOCKERFILE.replace("BAD", bad)},
                          "DF022") == expected


# -- 3. secret-shaped names, non-secret values --------------------------------------------
@pytest.mark.parametrize("value, name", [
    ("3600", "JWT_TOKEN_EXPIRES_IN"), ("500000", "PASSWORD_ITERATIONS"), ("12", "SECRET_BITS"),
    ("30s", "TOKEN"), ("1h30m", "SESSION_SECRET"), ("512Mi", "SECRET"), ("true", "TOKEN"),
    ("on", "PASSWORD"), ("disabled", "API_KEY"), ("/run/secrets/db", "DB_PASSWORD"),
    ("../secrets/db", "DB_PASSWORD"), ("https://auth.example.com/token", "OAUTH_TOKEN"),
    ("${DB_PASSWORD}", "DB_PASSWORD"), ("file:/etc/token", "TOKEN"),
    ("vault:secret/data/db#password", "DB_PASSWORD"), ("op://vault/db/password", "DB_PASSWORD"),
    ("%kernel.project_dir%/config/jwt/private.pem", "JWT_SECRET_KEY"), ("", "PASSWORD"),
    ("10.0.0.5", "SECRET_HOST_ADDR"),
])
def test_not_secret_values(value, name):
    assert not is_literal_secret_value(value, name)


@pytest.mark.parametrize("value, name", [
    ("Xk3v9q", "DB_PASSWORD"), ("123456", "DB_PASSWORD"), ("4821", "PIN_PASSWORD"),
    ("c0ffee1234deadbeef", "SECRET_KEY_BASE"), ("postgres://app:Xk3v9q@db/app", "DATABASE_DSN"),
    ("hunter2", "PASSWORD"),
])
def test_real_secrets_kept(value, name):
    assert is_literal_secret_value(value, name)
    assert is_literal_secret_value(value)


def test_number_without_a_name_stays_masked():
    # The masker knows no name: a number it sees next to a secret word stays hidden.
    assert is_literal_secret_value("3600")


COMPOSE_ENV = """\
services:
  app:
    image: ghcr.io/example/app:1.4.2
    environment:
      PASSWORD_ITERATIONS: "500000"
      JWT_TOKEN_EXPIRES_IN: "3600"
      SESSION_SECRET_ROTATION: 24h
      SECRET_FILE_SIZE: "10"
      TOKEN_REFRESH: "true"
      DB_PASSWORD_FILE: /run/secrets/db
      OIDC_TOKEN_ENDPOINT_URI: https://id.example.com/oauth/token
      API_KEY: ${API_KEY:?set it in .env}
      DB_PASSWORD: Xk3v9qLw
      REDIS_PASSWORD: "739251"
"""


def test_compose_literal_secrets_only_real_ones(tmp_path):
    assert rule_locations(tmp_path, {"compose.yaml": COMPOSE_ENV}, "DC020") == [
        ("compose.yaml", 13), ("compose.yaml", 14)]


# -- 4. Cilium and Calico policies count ---------------------------------------------------
DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web, tier: frontend}
    spec:
      containers:
        - name: web
          image: ghcr.io/example/web:1.0
"""

CILIUM = """\
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: web
  namespace: {ns}
spec:
  endpointSelector:
    matchLabels:
      {key}: {value}
  ingress:
    - fromEndpoints:
        - matchLabels: {{app: gateway}}
"""

CILIUM_CLUSTER = """\
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata:
  name: default-deny
spec:
  endpointSelector:
    matchExpressions:
      - {{key: "k8s:io.kubernetes.pod.namespace", operator: In, values: [{ns}]}}
  ingress:
    - {{}}
"""

CALICO = """\
apiVersion: projectcalico.org/v3
kind: {kind}
metadata:
  name: web
  namespace: shop
spec:
  selector: {selector}
  types: [Ingress]
  ingress:
    - action: Allow
      source:
        selector: app == 'gateway'
"""


@pytest.mark.parametrize("policy, expected", [
    (CILIUM.format(ns="shop", key="app", value="web"), []),
    (CILIUM.format(ns="shop", key="k8s:tier", value="frontend"), []),
    (CILIUM.format(ns="shop", key="app", value="db"), [("deploy.yaml", 2)]),
    (CILIUM.format(ns="other", key="app", value="web"), [("deploy.yaml", 2)]),
    (CILIUM.replace("  endpointSelector:\n    matchLabels:\n      {key}: {value}\n",
                    "  endpointSelector: {{}}\n").format(ns="shop"), []),
    (CILIUM.replace("endpointSelector", "nodeSelector").format(
        ns="shop", key="app", value="web"), [("deploy.yaml", 2)]),   # a host policy
    (CILIUM_CLUSTER.format(ns="shop"), []),
    (CILIUM_CLUSTER.format(ns="other"), [("deploy.yaml", 2)]),
    (CALICO.format(kind="NetworkPolicy", selector="app == 'web'"), []),
    (CALICO.format(kind="NetworkPolicy", selector="app == 'db'"), [("deploy.yaml", 2)]),
    (CALICO.format(kind="NetworkPolicy", selector="has(tier) && app in {'web', 'api'}"), []),
    (CALICO.format(kind="NetworkPolicy", selector="'!has(tier)'"), [("deploy.yaml", 2)]),
    (CALICO.format(kind="NetworkPolicy", selector="app starts with 'w'"), []),  # not read
    (CALICO.format(kind="GlobalNetworkPolicy", selector="all()"), []),
    (CALICO.format(kind="GlobalNetworkPolicy", selector="app == 'db' || app == 'web'"), []),
    (CALICO.format(kind="GlobalNetworkPolicy", selector="app != 'web'"), [("deploy.yaml", 2)]),
])
def test_cilium_and_calico_policies_cover_pods(tmp_path, policy, expected):
    files = {"deploy.yaml": DEPLOY, "policy.yaml": policy}
    assert rule_locations(tmp_path, files, "K8054") == expected


def test_calico_policy_is_not_a_dangling_kubernetes_policy(tmp_path):
    files = {"deploy.yaml": DEPLOY,
             "policy.yaml": CALICO.format(kind="NetworkPolicy", selector="app == 'db'")}
    assert rule_locations(tmp_path, files, "K8055") == []


# -- 5. no HEALTHCHECK asked of batch images -----------------------------------------------
JOB_DOCKERFILE = """\
FROM python:3.12-slim
WORKDIR /app
COPY cleanup.py .
USER 10001
CMD ["python", "cleanup.py"]
"""

CRONJOB = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: cleanup
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: cleanup
              image: ghcr.io/example/cleanup:1.2.0
"""


def test_dockerfile_run_by_a_cronjob_needs_no_healthcheck(tmp_path):
    files = {"cleanup/Dockerfile": JOB_DOCKERFILE, "deploy/cronjob.yaml": CRONJOB}
    assert rule_locations(tmp_path, files, "DF017") == []


def test_dockerfile_run_by_a_deployment_still_needs_one(tmp_path):
    deployment = DEPLOY.replace("ghcr.io/example/web:1.0", "ghcr.io/example/cleanup:1.2.0")
    files = {"cleanup/Dockerfile": JOB_DOCKERFILE, "deploy/cronjob.yaml": CRONJOB,
             "deploy/deploy.yaml": deployment}
    assert rule_locations(tmp_path, files, "DF017") == [("cleanup/Dockerfile", 1)]


def test_dockerfile_alone_still_needs_one(tmp_path):
    assert rule_locations(tmp_path, {"cleanup/Dockerfile": JOB_DOCKERFILE}, "DF017") == [
        ("cleanup/Dockerfile", 1)]


def test_dockerfile_run_by_a_timer_unit_needs_no_healthcheck(tmp_path):
    files = {"cleanup/Dockerfile": JOB_DOCKERFILE,
             "quadlet/cleanup.container": "[Container]\nImage=ghcr.io/example/cleanup:1.2.0\n",
             "quadlet/cleanup.timer": "[Timer]\nOnCalendar=daily\n\n[Install]\n"
                                      "WantedBy=timers.target\n"}
    assert rule_locations(tmp_path, files, "DF017") == []


COMPOSE_BATCH = """\
services:
  web:
    image: ghcr.io/example/web:1.0
    ports: ["127.0.0.1:8080:8080"]
    depends_on:
      migrate: {condition: service_completed_successfully}
  migrate:
    image: ghcr.io/example/web:1.0
    command: ["python", "manage.py", "migrate"]
  seed:
    image: ghcr.io/example/seed:1.0
  fix-perms:
    image: alpine:3.20
    command: chown -R 1000:1000 /data
  backup:
    image: ghcr.io/example/backup:1.0
    restart: "no"
  serve:
    image: ghcr.io/example/web:1.0
    command: sh -c "python manage.py migrate && exec gunicorn app.wsgi"
  cleanup:
    build: ./cleanup
    restart: "no"
"""


def test_compose_batch_services_need_no_healthcheck(tmp_path):
    files = {"compose.yaml": COMPOSE_BATCH.replace(
        "  seed:\n    image: ghcr.io/example/seed:1.0\n",
        "  seed:\n    image: ghcr.io/example/seed:1.0\n    depends_on: [web]\n"),
        "cleanup/Dockerfile": JOB_DOCKERFILE}
    # web and serve are long-running (serve migrates, then serves); seed runs forever as
    # far as the file says. migrate, fix-perms, backup: run to completion.
    assert rule_locations(tmp_path, files, "DC035") == [
        ("compose.yaml", 2), ("compose.yaml", 10), ("compose.yaml", 19)]
    # cleanup is built here from a Dockerfile it runs to completion: DF017 is quiet too
    assert rule_locations(tmp_path, files, "DF017") == []


# -- 6. the 📊 totals ----------------------------------------------------------------------
RESOURCES = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: ghcr.io/example/web:1.0
          resources: {requests: {cpu: 500m, memory: 256Mi}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 3
  maxReplicas: 10
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers:
        - name: agent
          image: ghcr.io/example/agent:1.0
          resources: {requests: {cpu: 100m, memory: 64Mi}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      parallelism: 2
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: report
              image: ghcr.io/example/report:1.0
              resources: {requests: {cpu: "2", memory: 1Gi}}
"""


def test_resources_know_batch_daemonsets_and_autoscaling(tmp_path):
    write_tree(tmp_path, {"app.yaml": RESOURCES})
    result = run_review(tmp_path)
    rows = {w["name"]: w for w in result.resources["kubernetes"]["workloads"]}
    assert (rows["web"]["replicas"], rows["web"]["schedule"], rows["web"]["autoscaled"]) == \
        (3, "steady", True)
    assert rows["web"]["cpu_request"] == 1.5
    assert (rows["agent"]["schedule"], rows["agent"]["replicas"]) == ("per-node", 1)
    assert (rows["report"]["schedule"], rows["report"]["replicas"]) == ("batch", 2)
    assert rows["report"]["cpu_request"] == 4
    text = render_review(result)
    assert "| 3 (HPA min) |" in text and "| × nodes |" in text and "| 2 (batch peak) |" in text
    assert "Requests add up to 1.5 CPU and 768 MiB across 1 long-running workload(s)" in text
    assert "plus 0.1 CPU and 64 MiB on every node for 1 DaemonSet(s)" in text
    assert "1 Job(s)/CronJob(s) request up to 4 CPU and 2048 MiB more while they run" in text


# -- 7. findings of a Kustomize render stay inside their files ------------------------------
KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: shop
resources:
  - deploy.yaml
patches:
  - target: {kind: Deployment, name: web}
    patch: |-
      - op: add
        path: /spec/template/spec/containers/0/resouces
        value: {limits: {memory: 128Mi}}
"""


@needs_kubectl
def test_kustomize_findings_point_into_their_source(tmp_path):
    deploy = DEPLOY.replace("  namespace: shop\n", "")
    write_tree(tmp_path, {"app/kustomization.yaml": KUSTOMIZATION,
                          "app/deploy.yaml": deploy})
    result = run_review(tmp_path)
    assert not [n for n in result.notices if "kubectl kustomize failed" in n.message]
    lengths = {"app/kustomization.yaml": KUSTOMIZATION.count("\n"),
               "app/deploy.yaml": deploy.count("\n")}
    for f in result.findings + result.positives:
        if f.line is not None:
            assert f.path in lengths and 1 <= f.line <= lengths[f.path], (f.rule.id, f.path,
                                                                          f.line)
    # the typo a patch added is placed at the container it was added to
    assert [(f.path, f.line) for f in result.findings if f.rule.id == "K8081"] == [
        ("app/deploy.yaml", 14)]


SOPS_SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: cluster-secrets
stringData:
  SECRET_DOMAIN: ENC[AES256_GCM,data:7pLq2w==,iv:abc=,tag:def=,type:str]
  PLAIN: leftover-value
sops:
  age:
    - recipient: age1qyqszqgpqyqszqgpqyqszqgpqyqszqgp
  lastmodified: "2024-01-01T00:00:00Z"
  version: 3.8.1
"""


def test_sops_encrypted_secret_is_not_an_unknown_field_nor_plain_values(tmp_path):
    """Flux/ksops decrypt SOPS files before apply: `sops:` is their metadata, and `ENC[…]`
    values are encrypted. Only the value left in plain text is said."""
    from conftest import run_review, write_tree
    write_tree(tmp_path, {"secret.sops.yaml": SOPS_SECRET,
                          "other.yaml": SOPS_SECRET.replace("sops:", "sopz:")})
    result = run_review(tmp_path)
    k8081 = sorted((f.path, f.line) for f in result.findings if f.rule.id == "K8081")
    assert k8081 == [("other.yaml", 8)]
    k8057 = [(f.path, f.line, f.message) for f in result.findings
             if f.rule.id == "K8057" and f.path == "secret.sops.yaml"]
    assert k8057 == [("secret.sops.yaml", 5,
                      "Secret `cluster-secrets`: `stringData` holds 1 plain value(s)")]
