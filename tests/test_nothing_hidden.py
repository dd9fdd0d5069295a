"""Bad input hides nothing: every rule's firing case still fires, at the same place, when
the project also holds items of the wrong shape (a service that is a string, a container
that is a number, `env: "x"`...) and files that do not parse; and no rule stops with an
internal error on them."""

import re
from pathlib import Path

import pytest

import test_compose_rules as compose_cases
import test_dockerfile_rules as dockerfile_cases
import test_kubernetes_rules as k8s_cases
import test_kubernetes_tooling as k8s_tooling
import test_podman as podman_cases
from conftest import run_review, write_tree
from infra_expert.config import Config
from infra_expert.engine import all_rules

# Inserted under `services:`: services that are not mappings, and one whose keys all have
# the wrong shape.
BAD_SERVICES = """\
  zz-a: x
  zz-b: [1]
  zz-c: 7
  zz-d:
    image: nginx:1.27
    ports: 5
    environment: 3
    volumes: {x: y}
    cap_add: 3
    cap_drop: {a: b}
    security_opt: 3
    depends_on: 3
    healthcheck: [1]
    deploy: 3
    build: 3
    logging: x
    labels: 3
    tmpfs: {a: 1}
    devices: {a: b}
    env_file: 3
    secrets: 3
    configs: {a: 1}
    ulimits: 3
    sysctls: 3
    extra_hosts: 3
    command: {a: 1}
    entrypoint: 3
    user: [1]
    restart: [1]
    profiles: 3
    read_only: [1]
    privileged: {a: 1}
    mem_limit: [1]
  zz-e:
    image: [1]
    ports: [1, null, [1], {published: [1]}, {target: {a: 1}}]
    volumes: [null, 3, [1], {type: bind}, {source: [1], target: 3}]
    environment: [null, 3, {a: b}, [1]]
    depends_on: {a: 3, b: [1]}
    healthcheck: {test: 3, interval: [1]}
    deploy: {resources: 3, replicas: [1]}
    logging: {driver: [1], options: 3}
    build: {context: [1], dockerfile: 3, args: 3}
    extends: 3
"""

# Appended to every manifest: objects whose parts have the wrong shape.
BAD_OBJECTS = """\
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: zz-spec, namespace: shop}
spec: 3
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: zz-pod, namespace: shop, labels: 3, annotations: [1]}
spec:
  selector: 3
  replicas: x
  template:
    metadata: 3
    spec:
      securityContext: 3
      volumes: [1, "x", null, {name: v, hostPath: 3}]
      initContainers: 3
      containers:
        - 1
        - "x"
        - null
        - [1]
        - {name: c, image: [1], env: "x", ports: 3, resources: 3, securityContext: [1],
           volumeMounts: 3, envFrom: 3, livenessProbe: 3, readinessProbe: [1], command: 3,
           args: {a: 1}, lifecycle: 3}
        - {name: d, env: [1, "x", null, {name: A, valueFrom: 3}, {valueFrom: {secretKeyRef: 3}}],
           ports: [1, null, {containerPort: x, hostPort: [1]}],
           resources: {limits: 3, requests: [1]},
           securityContext: {capabilities: 3, runAsUser: x, seccompProfile: 3},
           volumeMounts: [1, {name: [1], mountPath: 3}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: zz-ns, namespace: [1], labels: {app: [1]}}
spec: {template: {metadata: {labels: [1]}, spec: {containers: [{name: c, image: x}]}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: zz-sts, namespace: shop}
spec: {template: {spec: {containers: "x"}}, volumeClaimTemplates: 3}
---
apiVersion: v1
kind: Pod
metadata: 3
spec: {containers: {a: b}, hostNetwork: [1]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: zz-cron, namespace: shop}
spec: {jobTemplate: 3, schedule: [1]}
---
apiVersion: v1
kind: Service
metadata: {name: zz-svc, namespace: shop}
spec: {selector: 3, ports: [1, null, {port: x, targetPort: [1]}], type: [1]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: zz-ing, namespace: shop, annotations: 3}
spec: {rules: [1, {http: 3}, {http: {paths: [1, {backend: 3}]}}], tls: 3}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: zz-role, namespace: shop}
rules: [1, {verbs: 3, resources: x, apiGroups: 3}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: zz-crb}
subjects: 3
roleRef: [1]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: zz-np, namespace: shop}
spec: {podSelector: 3, ingress: [1, {from: 3}], policyTypes: 3}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: zz-pdb, namespace: shop}
spec: {selector: [1], minAvailable: [1]}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: zz-hpa, namespace: shop}
spec: {scaleTargetRef: 3, metrics: [1], minReplicas: x}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: zz-cm, namespace: shop}
data: 3
---
apiVersion: v1
kind: Secret
metadata: {name: zz-secret, namespace: shop}
data: [1]
stringData: 3
---
apiVersion: v1
kind: List
items: 3
---
3
---
[1, 2]
"""

BAD_DOCKERFILE = ("FROM\nCOPY\nADD --chown\nENV\nARG\nUSER\nWORKDIR\nEXPOSE abc\nHEALTHCHECK\n"
                  "ONBUILD\nSHELL []\nCMD [\"a\"\nENTRYPOINT [1]\nLABEL =\nVOLUME [\nRUN <<\n"
                  "FROM scratch AS\nCOPY --from= a\nRUN \\\n")

BAD_UNITS = {
    "zz.container": "[Container\nImage=\nPublishPort=abc\n=value\nVolume=\nVolume=:\n"
                    "Environment=\"unterminated\nEnvironment==\nExec=\\\n[Service]\n"
                    "Restart=\n[Install]\nWantedBy=\n",
    "zz.pod": "[Pod]\nPublishPort=\nNetwork=\n",
    "zz.network": "[Network]\nSubnet=x\n",
    "zz.kube": "[Kube]\nYaml=\n",
}

BAD_CHART = {
    "zzchart/Chart.yaml": "apiVersion: v2\nname: [1]\nversion: 3\n"
                          "dependencies: [1, x, null, {name: 3, version: [1]}]\n",
    "zzchart/values.yaml": "image: [1]\nresources: 3\n",
    "zzchart/templates/deploy.yaml": "{{ .Values.x }}\n",
}

# A sibling compose file that does not parse, and one that is not a mapping.
BAD_FILES = {"zzbad/compose.yaml": "services: [\n", "zzlist/compose.yaml": "- 1\n"}


def _all_rules_on():
    cfg = Config()
    cfg.enable = {r.id for r in all_rules() if not r.enabled}
    return cfg


def _no_internal_error(result):
    errors = [(n.path, n.message) for n in result.notices if "internal error" in n.message]
    assert not errors, errors


def _with_bad_services(files):
    """Append BAD_SERVICES to each `services:` block (after the case's own services, so
    that rules about the first or the order of services see the same ones); returns the
    files and, per file, (last line kept in place, lines inserted)."""
    out, shifts = {}, {}
    count = BAD_SERVICES.count("\n")
    for name, text in files.items():
        m = re.search(r"^services:[ \t]*\n(?:(?:[ \t].*)?\n)*", text, re.M) \
            if isinstance(text, str) and name.endswith((".yml", ".yaml")) else None
        if m:
            line = text.count("\n", 0, m.end())
            out[name] = text[:m.end()] + BAD_SERVICES + text[m.end():]
            shifts[name] = (line, count)
        else:
            out[name] = text
    return out, shifts


def _moved(expected, shifts):
    moved = []
    for path, line in expected:
        after, count = shifts.get(path, (None, 0))
        moved.append((path, line + count if after is not None and line > after else line))
    return moved


def _locations(result, rule_id):
    return {(f.path, f.line) for f in result.findings if f.rule.id == rule_id}


def _firing(cases):
    return [c for c in cases if c[2]]


COMPOSE = _firing(compose_cases.CASES)   # STYLE_CASES are part of CASES


@pytest.mark.parametrize("rule_id,files,expected", COMPOSE,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(COMPOSE)])
def test_compose_rule_still_fires_beside_malformed_services(tmp_path, rule_id, files, expected):
    files, shifts = _with_bad_services(files)
    assert shifts, "the case has no `services:` to add siblings to"
    write_tree(tmp_path, {**files, **BAD_FILES})
    result = run_review(tmp_path, config=_all_rules_on())
    _no_internal_error(result)
    assert set(_moved(expected, shifts)) <= _locations(result, rule_id)
    # a service that is not a mapping is reported once, by the load rule, and no other
    # rule sees it
    odd = [f for f in result.findings if re.search(r"`zz-[abc]`", f.message)]
    assert {f.rule.id for f in odd} <= {"DC024"}
    if rule_id != "DC024":               # (whose cases include a file that does not load)
        assert sorted(f.message for f in odd) == sorted(
            f"service `zz-{x}` is not a mapping" for x in "abc" for _ in shifts)


K8S = _firing(k8s_cases.CASES)


@pytest.mark.parametrize("rule_id,files,expected", K8S,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(K8S)])
def test_kubernetes_rule_still_fires_beside_malformed_objects(tmp_path, rule_id, files,
                                                               expected):
    files = {name: text + ("" if text.endswith("\n") else "\n") + BAD_OBJECTS
             for name, text in files.items()}
    write_tree(tmp_path, {**files, **BAD_CHART})
    result = run_review(tmp_path, config=_all_rules_on())
    _no_internal_error(result)
    assert set(expected) <= _locations(result, rule_id)


def test_helm_rules_still_fire_beside_a_malformed_chart(tmp_path):
    write_tree(tmp_path, {**k8s_tooling.CHART, **BAD_CHART})
    result = run_review(tmp_path, config=_all_rules_on())
    _no_internal_error(result)
    found = {(f.rule.id, f.path, f.line) for f in result.findings}
    assert {("K8078", "chart/Chart.yaml", 7), ("K8079", "chart/values.yaml", 3),
            ("K8080", "chart/values.yaml", 8)} <= found


def test_opt_in_kubernetes_rules_still_fire_beside_malformed_objects(tmp_path):
    files = {name: text + BAD_OBJECTS for name, text in k8s_cases.app().items()}
    write_tree(tmp_path, files)
    result = run_review(tmp_path, config=_all_rules_on())
    _no_internal_error(result)
    assert ("deploy.yaml", 40) in _locations(result, "K8004")
    assert ("deploy.yaml", 16) in _locations(result, "K8083")


DOCKERFILE = _firing([c for c in dockerfile_cases.CASES   # DF003 (a setting): below
                      if c[0] not in dockerfile_cases.SETTINGS])


@pytest.mark.parametrize("rule_id,text,expected,files", DOCKERFILE,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(DOCKERFILE)])
def test_dockerfile_rule_still_fires_beside_a_broken_dockerfile(tmp_path, rule_id, text,
                                                                 expected, files):
    write_tree(tmp_path, {"Dockerfile": text, **(files or {}),
                          "zz/Dockerfile": BAD_DOCKERFILE})
    result = run_review(tmp_path, ["Dockerfile", "zz/Dockerfile"], config=_all_rules_on())
    _no_internal_error(result)
    assert {("Dockerfile", line) for line in expected} <= _locations(result, rule_id)


def test_trusted_registry_rule_still_fires_beside_a_broken_dockerfile(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM debian:12\nFROM ghcr.io/org/app:1\n",
                          "zz/Dockerfile": BAD_DOCKERFILE})
    cfg = _all_rules_on()
    cfg.trusted_registries = ["docker.io"]
    result = run_review(tmp_path, ["Dockerfile", "zz/Dockerfile"], config=cfg)
    _no_internal_error(result)
    assert _locations(result, "DF003") == {("Dockerfile", 2)}


PODMAN = _firing(podman_cases.CASES)


@pytest.mark.parametrize("rule_id,files,expected", PODMAN,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(PODMAN)])
def test_podman_rule_still_fires_beside_malformed_units(tmp_path, rule_id, files, expected):
    write_tree(tmp_path, {**files, **BAD_UNITS})
    result = run_review(tmp_path, config=_all_rules_on())
    _no_internal_error(result)
    assert set(expected) <= _locations(result, rule_id)


# The operations domains: a malformed sibling of the domain's own kind beside each firing
# case of its CASES table (tests/test_<domain>.py).
BAD_SIBLINGS = {
    "systemd": {"zzbad.service": "[Service\nExecStart\n=x\n[Unit]\nAfter=\nRestart=\n",
                "zzbad.timer": "[Timer]\nOnCalendar=Mon..Fry 25:61\nOnBootSec=soon\n"},
    "cron": {"zzbad.cron": "61 25 * * * x\n@bogus x\n* * *\nMAILTO\n*/0 * * * * y\n"},
    "kestra": {"zzbad/flow.yaml": "id: x\nnamespace: n\ntasks: [\n",
               "zzbad/other.yaml": "id: 1\nnamespace: [a]\ntasks:\n  - 3\n  - {id: [x]}\n"},
    "monitoring": {"zzbad/rules.yml": "groups:\n  - name: x\n    rules:\n      - alert: A\n"
                                      "        expr: rate(x[5m]\n        for: soon\n"
                                      "      - 7\n  - rules: {}\n"},
    "burst": {"zzbad.sh": "#!/bin/bash\nhcloud server create $(\ntrap\n'open\n",
              "zzbad/Makefile": "\tterraform apply\n$(\n.ONESHELL:\n.SHELLFLAGS =\n"},
    "storage": {"zzbad/rclone.conf": "[a]\ntype = sftp\npass\n= x\n[\n[b]\ntype = s3\n"
                                     "secret_access_key =\n",
                "zzbad/policy.json": '{"Statement": [{"Effect": 3, "Principal": {"AWS": 1},'
                                     ' "Action": [null, {}], "Resource": 7}, 5, "x"',
                "zzbad/rules.json": '{"Rules": {"Status": "Enabled", "Expiration": 5}, '
                                    '"Transitions": [1]}',
                "zzbad/cors.json": '{"CORSRules": [{"AllowedOrigins": "*", '
                                   '"AllowedMethods": [1, null]}, 2]}',
                "zzbad/lc.json": '{"Rules": [{"Status": 1, "Transitions": [{"Days": "7", '
                                 '"StorageClass": 3}, 4], "Expiration": {"Days": true}}]}',
                "zzbad/mc.json": '{"aliases": {"a": {"secretKey": 5}, "b": []}, '
                                 '"accessKey": 1}'},
    "pipeline": {".github/workflows/zzbad.yml": "on: [push, 3]\njobs:\n  a: 3\n  b:\n"
                                                "    runs-on: {labels: 3}\n    steps:\n"
                                                "      - 1\n      - {uses: [1], with: 3}\n"
                                                "      - {run: {a: 1}, env: 3}\n",
                 ".github/workflows/zzbroken.yml": "on: push\njobs:\n  a: [\n",
                 "zzbad/.gitlab-ci.yml": "include: [3, {local: 4}, {local: '../../x.yml'}]\n"
                                         "default: 3\njob: {script: {a: 1}, extends: [7]}\n"
                                         "other: {extends: job, image: {name: 3}}\n",
                 "zzbad/.woodpecker.yml": "steps:\n  - 1\n  - {image: [3], commands: 4}\n"
                                          "  - {settings: 3, environment: [1]}\n"},
    # a live snapshot whose every part has the wrong shape
    "live": {"zzbad/bad.live.json": (
        '{"infra-expert-live": 1, "source": 3, "context": [], "collected_at": 7, '
        '"containers": [3, null, {"Name": 5, "Id": [], "State": [], "Config": "x", '
        '"HostConfig": {"Memory": "lots", "PortBindings": 3, "Binds": {}}, '
        '"RestartCount": "many", "Mounts": 1}], '
        '"objects": [{"kind": 3, "metadata": []}, null, {"kind": "Pod", "metadata": '
        '{"name": 1}, "status": {"containerStatuses": [1, {"state": 3}]}}], '
        '"units": {"a": 1}, "timers": [1, {"unit": 3, "last": []}], "stats": "x", '
        '"pods": [{"Containers": 3}], "images": [5], '
        '"host": {"memory": "x", "disks": [3, {"path": 1, "size": "a"}]}}'),
        "zzbad/broken.live.json": '{"infra-expert-live": 1, "containers": [\n'},
}


def _operations_cases():
    """The CASES of `test_<domain>.py` and of its siblings `test_<domain>_*.py`."""
    import importlib

    from infra_expert.registry import domains
    out = []
    here = Path(__file__).resolve().parent
    for d in domains():
        if d.name in BAD_SIBLINGS:
            names = [f"test_{d.name}"] + sorted(
                p.stem for p in here.glob(f"test_{d.name}_*.py"))
            for name in names:
                cases = getattr(importlib.import_module(name), "CASES", ())
                out.extend((c[0], c[1], c[2], d.name) for c in cases if c[2])
    return out


OPERATIONS = _operations_cases()


@pytest.mark.parametrize("rule_id,files,expected,domain", OPERATIONS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(OPERATIONS)])
def test_operations_rule_still_fires_beside_malformed_files(tmp_path, rule_id, files,
                                                            expected, domain):
    write_tree(tmp_path, {**files, **BAD_SIBLINGS[domain]})
    result = run_review(tmp_path, config=_all_rules_on())
    _no_internal_error(result)
    assert set(expected) <= _locations(result, rule_id)


def test_every_rule_is_fed_malformed_input():
    fed = {c[0] for c in COMPOSE + K8S + DOCKERFILE + PODMAN + OPERATIONS} | {
        "K8078", "K8079", "K8080", "K8004", "K8083", "DF003"}   # their own tests above
    engine_made = {"IE001", "IE002",      # produced by the engine, not by a rule function
                   "RS001", "RS002", "RS003", "RS004", "RS005", "RS006", "RS007",
                   "RS008"}   # judged once per run (test_fit.py)
    missing = {r.id for r in all_rules()} - fed - engine_made
    assert not missing, sorted(missing)


def test_compose_networks_and_top_level_keys_of_the_wrong_shape(tmp_path):
    """(Not in BAD_SERVICES: a service with `networks:` is off the default network, which
    changes what DC051 says about the others.)"""
    write_tree(tmp_path, {"compose.yaml": "services:\n"
                                          "  a: {image: 'x:1', networks: 3, network_mode: [1]}\n"
                                          "  b: {image: 'x:1', networks: {n: 3, m: [1]}}\n"
                                          "  c: {image: 'x:1', networks: [1, null, {a: b}]}\n"
                                          "  db:\n    image: mysql:8.4\n    environment:\n"
                                          "      MYSQL_ROOT_PASSWORD: literal\n"
                                          "networks: {n: 3, m: [1], o: {driver: [1]}}\n"
                                          "volumes: {v: [1], w: 3}\n"
                                          "secrets: {s: 3, t: {file: [1]}}\n"
                                          "configs: 3\n"
                                          "x-anchors: 3\n"})
    result = run_review(tmp_path, config=_all_rules_on())
    _no_internal_error(result)
    assert ("compose.yaml", 8) in _locations(result, "DC020")


def test_service_that_is_not_a_mapping_hides_no_secret(tmp_path):
    """The attack: `a: x` beside a literal root password made DC020 stop for the file."""
    write_tree(tmp_path, {"compose.yaml": "services:\n  a: x\n  db:\n    image: mysql:8.4\n"
                                          "    environment:\n"
                                          "      MYSQL_ROOT_PASSWORD: literal\n"})
    result = run_review(tmp_path)
    _no_internal_error(result)
    assert ("compose.yaml", 6) in _locations(result, "DC020")
    assert _locations(result, "DC024") == {("compose.yaml", 2)}
    services = result.resources["compose"]["projects"][0]["services"]
    assert [row["service"] for row in services] == ["db"]


def test_a_file_that_does_not_parse_hides_no_other_file(tmp_path):
    write_tree(tmp_path, {"a/compose.yaml": "services: [\n",
                          "b/compose.yaml": "services:\n  db:\n    image: mysql:8.4\n"
                                            "    environment:\n"
                                            "      MYSQL_ROOT_PASSWORD: literal\n",
                          "c/Dockerfile": "FROM alpine:3.20\nRUN echo \\\n",
                          "d/Dockerfile": "FROM debian\n"})
    result = run_review(tmp_path)
    _no_internal_error(result)
    assert ("b/compose.yaml", 5) in _locations(result, "DC020")
    assert ("d/Dockerfile", 1) in _locations(result, "DF001")
    assert ("a/compose.yaml", 2) in _locations(result, "DC024")   # where the YAML ends


@pytest.mark.parametrize("text,lines", [
    ("FROM debian\nRUN echo hi \\", [1]),           # the attack: a lone escape at the end
    ("FROM debian\n\\", [1]),
    ("FROM debian\n  \\  \n", [1]),
    ("\\\nFROM debian\n", [1]),
    ("FROM debian\n\\\n\n# c\n", [1]),
])
def test_dockerfile_ending_in_a_lone_escape_is_reviewed(tmp_path, text, lines):
    write_tree(tmp_path, {"Dockerfile": text})
    result = run_review(tmp_path)
    assert not result.notices, [n.message for n in result.notices]
    assert ("Dockerfile", "dockerfile") in result.files
    assert sorted(line for _, line in _locations(result, "DF001")) == lines
