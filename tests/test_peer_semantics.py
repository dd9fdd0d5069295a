"""Peers' semantics, exactly: the edge cases hadolint, compose-lint, kube-linter, checkov,
polaris and kube-score document for the ids our rules claim. Each case is compared by
rule id AND line (and file, for Compose and Kubernetes)."""

import pytest

from infra_expert.config import Config, apply_hadolint_config
from infra_expert.engine import all_rules

from conftest import hits, rule_locations, run_review, write_tree

APT_OK = "apt-get install -y --no-install-recommends curl=8.5.0-2"

# (rule, Dockerfile, expected lines)
DOCKERFILE = [
    # ONBUILD RUN is checked like the RUN it wraps (hadolint `onbuild` rules)
    ("DF050", "FROM debian:12\nONBUILD RUN apt-get update && apt-get install curl=1 "
              "--no-install-recommends && rm -rf /var/lib/apt/lists/*\n", [2]),
    ("DF052", "FROM debian:12\nLABEL a=b\nONBUILD RUN apt-get install -y curl\n", [3]),
    ("DF068", "FROM python:3.12\nONBUILD RUN pip install --no-cache-dir flask\n", [2]),
    # apt-get quiet level 2 implies -y; one -q does not; DEBIAN_FRONTEND does not
    ("DF050", "FROM debian:12\nRUN apt-get -q=2 install --no-install-recommends curl=1\n", []),
    ("DF050", "FROM debian:12\nRUN apt-get --quiet --quiet install --no-install-recommends curl=1\n", []),
    ("DF050", "FROM debian:12\nRUN apt-get -q -q install --no-install-recommends curl=1\n", []),
    ("DF050", "FROM debian:12\nRUN apt-get -qq install --no-install-recommends curl=1\n", []),
    ("DF050", "FROM debian:12\nRUN apt-get -q install --no-install-recommends curl=1\n", [2]),
    ("DF050", "FROM debian:12\nRUN DEBIAN_FRONTEND=noninteractive apt-get install "
              "--no-install-recommends curl=1\n", [2]),
    # BuildKit cache/tmpfs mounts satisfy the clean-up rules (hadolint DL3009/DL3019/DL3042)
    ("DF053", "FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt/lists \\\n"
              f"    apt-get update && {APT_OK}\n", []),
    ("DF053", "FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt \\\n"
              "    --mount=type=cache,target=/var/cache/apt,sharing=locked \\\n"
              f"    apt-get update && {APT_OK}\n", []),
    ("DF053", "FROM debian:12\nRUN --mount=type=tmpfs,target=/var/lib/apt/lists "
              f"apt-get update && {APT_OK}\n", []),
    ("DF053", "FROM debian:12\nRUN --mount=type=cache,target=/var/cache/apt "
              f"apt-get update && {APT_OK}\n", [2]),
    ("DF053", "FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt "
              f"apt-get update && {APT_OK}\n", [2]),
    ("DF057", "FROM alpine:3.20\nRUN --mount=type=cache,target=/var/cache/apk apk add curl=8.5.0-r0\n", []),
    ("DF057", "FROM alpine:3.20\nRUN --mount=type=tmpfs,target=/etc/apk/cache apk add curl=8.5.0-r0\n", []),
    ("DF069", "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pip pip install flask==3.0.3\n", []),
    ("DF069", "FROM python:3.12\nRUN --mount=type=tmpfs,target=/root/.cache pip install flask==3.0.3\n", []),
    ("DF069", "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/go-build pip install flask==3.0.3\n", [2]),
    ("DF069", "FROM python:3.12\nENV PIP_CACHE_DIR=/pipcache\nRUN --mount=type=cache,target=/pipcache pip install flask==3.0.3\n", []),
    # a clean-up *before* the install is no clean-up
    ("DF053", f"FROM debian:12\nRUN rm -rf /var/lib/apt/lists/* && apt-get update && {APT_OK}\n", [2]),
    ("DF053", f"FROM debian:12\nRUN apt-get update && {APT_OK} && rm -rf /var/lib/apt/lists/*\n", []),
    ("DF057", "FROM alpine:3.20\nRUN rm -rf /var/cache/apk/* && apk add curl=8.5.0-r0\n", [2]),
    ("DF057", "FROM alpine:3.20\nRUN apk add curl=8.5.0-r0 && rm -rf /var/cache/apk/*\n", []),
    ("DF059", "FROM centos:7\nRUN yum clean all && yum install -y httpd-2.4.6\n", [2]),
    ("DF059", "FROM centos:7\nRUN yum install -y httpd-2.4.6 && yum clean all\n", []),
    ("DF069", "FROM python:3.12\nRUN rm -rf /root/.cache && pip install flask==3.0.3\n", [2]),
    ("DF071", "FROM node:20\nRUN yarn cache clean && yarn install --frozen-lockfile\n", [2]),
    ("DF071", "FROM node:20\nRUN yarn install --frozen-lockfile && yarn cache clean\n", []),
    # pip pins: VCS URLs, local paths, archives, requirement/constraint files, `--`
    ("DF068", "FROM python:3.12\nRUN pip install --no-cache-dir "
              "git+https://github.com/rtfd/r-ext.git@0.6-alpha#egg=r-ext\n", []),
    ("DF068", "FROM python:3.12\nRUN pip install --no-cache-dir "
              "git+https://github.com/rtfd/read-ext.git#egg=read-ext\n", [2]),
    ("DF068", "FROM python:3.12\nRUN pip install --no-cache-dir git+ssh://git@github.com/org/repo.git\n", [2]),
    ("DF068", "FROM python:3.12\nRUN pip install --no-cache-dir ./pkg /src/lib dist/app-1.0.tar.gz app.whl\n", []),
    ("DF068", "FROM python:3.12\nRUN pip install --no-cache-dir .\n", []),
    ("DF068", "FROM python:3.12\nRUN pip install --no-cache-dir -e . flask\n", []),
    ("DF068", "FROM python:3.12\nRUN pip install --no-cache-dir -r requirements.txt gunicorn\n", []),
    ("DF068", "FROM python:3.12\nRUN pip install --no-cache-dir pykafka -c constraints.txt\n", []),
    ("DF068", "FROM python:3.12\nRUN pip install --no-cache-dir pykafka --constraint=c.txt\n", []),
    ("DF068", "FROM python:3.12\nRUN pip3 install --no-cache-dir --build /opt/y yamllint==1.20.0\n", []),
    ("DF068", "FROM python:3.12\nRUN pip install --no-cache-dir flask==3.0.3 -- --no-deps\n", []),
    ("DF068", "FROM python:3.12\nRUN pip install --no-cache-dir 'uvicorn[standard]'\n", [2]),
    # npm pins: git by #ref, tarballs, folders, args after `--`
    ("DF070", "FROM node:20\nRUN npm install -g git+https://github.com/npm/npm.git#v1.0.27 "
              "pkg-1.2.3.tar ../folder ~/dir @org/x@^1\n", []),
    ("DF070", "FROM node:20\nRUN npm install -g git+https://github.com/npm/npm.git\n", [2]),
    ("DF070", "FROM node:20\nRUN npm install --registry https://r.example sax@0.1.1 -- --foo bar\n", []),
    ("DF070", "FROM node:20\nRUN npm install --loglevel verbose sax@0.1.1\n", []),
    ("DF070", "FROM node:20\nRUN npm install -g @org/private\n", [2]),
    # gem: `i` alias, build flags after `--`, flag values
    ("DF072", "FROM ruby:3.3\nRUN gem i bundler\n", [2]),
    ("DF072", "FROM ruby:3.3\nRUN gem install bundler:2.0.1 -- --use-system-libraries true\n", []),
    ("DF072", "FROM ruby:3.3\nRUN gem install bundler:2.0.1 --use-system-libraries true\n", []),
    ("DF072", "FROM ruby:3.3\nRUN gem install bundler --version=2.0.1\n", []),
    # ENV of one stage is not visible in another (unless built FROM it)
    ("DF069", "FROM python:3.12 AS deps\nENV PIP_NO_CACHE_DIR=1\nFROM python:3.12-slim\n"
              "RUN pip install flask==3.0.3\n", [4]),
    ("DF069", "FROM python:3.12 AS deps\nENV PIP_NO_CACHE_DIR=1\nFROM deps\n"
              "RUN pip install flask==3.0.3\n", []),
    ("DF069", "FROM python:3.12\nRUN export PIP_NO_CACHE_DIR=1 && pip install flask==3.0.3\n", []),
    # DL4001: from the RUN where both tools have appeared, every RUN using either one
    ("DF080", "FROM debian:12\nRUN curl -fsSO https://a/x\nRUN wget -q https://a/y\n"
              "RUN curl -fsSO https://a/z\nFROM debian:12\nRUN wget -q https://a/w\n", [3, 4]),
]


@pytest.mark.parametrize("rule_id,text,expected", DOCKERFILE)
def test_dockerfile_peer_edge_cases(review_dockerfile, rule_id, text, expected):
    assert hits(review_dockerfile(text), rule_id) == expected


# -------------------------------------------------------------- hadolint pragmas ----
RUN_UNPINNED = "RUN apt-get install -y --no-install-recommends curl\n"


@pytest.mark.parametrize("text,expected", [
    ("FROM debian:12\n# hadolint ignore=DL3008\n" + RUN_UNPINNED, []),
    ("FROM debian:12\n# hadolint ignore=DL3008 # curl follows the base image\n" + RUN_UNPINNED, []),
    ("FROM debian:12\n#hadolint ignore = DL3015 , DL3008\n" + RUN_UNPINNED, []),
    # the next line only: a blank line or another comment in between and it covers nothing
    ("FROM debian:12\n# hadolint ignore=DL3008\n\n" + RUN_UNPINNED, [4]),
    ("FROM debian:12\n# hadolint ignore=DL3008\n# install curl\n" + RUN_UNPINNED, [4]),
    # hadolint's grammar: a reason after the codes, or lower-case, is not a pragma
    ("FROM debian:12\n# hadolint ignore=DL3008 curl is fine\n" + RUN_UNPINNED, [3]),
    ("FROM debian:12\n# hadolint ignore=dl3008\n" + RUN_UNPINNED, [3]),
    ("FROM debian:12\n# Hadolint ignore=DL3008\n" + RUN_UNPINNED, [3]),
    # global: the whole file, wherever it is
    ("FROM debian:12\n" + RUN_UNPINNED + "# hadolint global ignore=DL3008\n", []),
    # stage: the lines after the next one, up to the next FROM
    ("# hadolint stage ignore=DL3008\nFROM debian:12 AS a\n" + RUN_UNPINNED + "FROM debian:12\n"
     + RUN_UNPINNED, [5]),
    ("FROM debian:12 AS a\n# hadolint stage ignore=DL3008\n" + RUN_UNPINNED + RUN_UNPINNED
     + "FROM debian:12\n" + RUN_UNPINNED, [3, 6]),
])
def test_hadolint_pragma_reach(review_dockerfile, text, expected):
    assert hits(review_dockerfile(text), "DF052") == expected


def test_disable_ignore_pragma_in_hadolint_config(tmp_path):
    text = ("# hadolint global ignore=DL3015\nFROM debian:12\n# hadolint ignore=DL3008\n"
            "RUN apt-get install -y curl\n# infra-expert: ignore=DF052 pinned by the base\n"
            "RUN apt-get install -y --no-install-recommends wget\n")
    write_tree(tmp_path, {"Dockerfile": text,
                          ".hadolint.yaml": "disable-ignore-pragma: true\n"})
    cfg = Config()
    assert apply_hadolint_config(cfg, str(tmp_path / ".hadolint.yaml"), all_rules()) == []
    assert cfg.disable_ignore_pragma
    result = run_review(tmp_path, ["Dockerfile"], cfg)
    assert hits(result, "DF052") == [4]          # our own pragma (line 5) still holds
    assert hits(result, "DF051") == [4]
    default = run_review(tmp_path, ["Dockerfile"], Config())
    assert hits(default, "DF052") == [] and hits(default, "DF051") == []


# ------------------------------------------------------------------ compose-lint ----
def _compose(volumes="", devices=""):
    text = "services:\n  app:\n    image: nginx:1.27\n"
    if volumes:
        text += "    volumes:\n" + "".join(f"      - {v}\n" for v in volumes)
    if devices:
        text += "    devices:\n" + "".join(f"      - {d}\n" for d in devices)
    return text


@pytest.mark.parametrize("rule_id,text,expected", [
    ("DC001", _compose(["/var/run:/host-run:ro"]), [5]),
    ("DC001", _compose(["/run:/run"]), [5]),
    ("DC001", _compose(["/:/host:ro"]), [5]),
    ("DC001", _compose(["/var:/host-var:ro"]), [5]),
    ("DC001", _compose(["//var/run/./docker.sock:/var/run/docker.sock"]), [5]),
    ("DC001", _compose(["/var/run/../run/docker.sock:/var/run/docker.sock"]), [5]),
    ("DC001", _compose(["/run/systemd:/run/systemd:ro"]), [5]),
    ("DC001", _compose(["/run/myapp:/run/myapp", "/run/user/1000/pulse:/pulse",
                        "/run/dbus:/run/dbus:ro"]), []),
    ("DC013", _compose(["//etc/ssl/private:/certs:ro"]), [5]),
    ("DC013", _compose(["/srv/../etc:/host-etc:ro"]), [5]),
    ("DC014", _compose(["/./etc:/host-etc"]), [5]),
    ("DC014", _compose(["/srv/app/data:/data"]), []),
    ("DC016", _compose(devices=["/dev/sda:/dev/sda", "//dev/nvme0n1", "/dev/./md0",
                                "/dev/../dev/dm-0", "/dev/mapper/vg-root", "/dev/zfs",
                                "/dev/rbd0", "/dev/loop-control", "/dev/kmsg"]),
     [5, 6, 7, 8, 9, 10, 11, 12, 13]),
    ("DC016", _compose(devices=["/dev/net/tun", "/dev/dri/renderD128", "/dev/ttyUSB0",
                                "/dev/fuse", "/dev/snd"]), []),
])
def test_compose_lint_edge_cases(tmp_path, rule_id, text, expected):
    found = rule_locations(tmp_path, {"compose.yaml": text}, rule_id)
    assert found == [("compose.yaml", n) for n in expected]


# ---------------------------------------------------------------------- Kubernetes ----
ROLE = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: {kind}
metadata:
  name: {name}
  namespace: apps
rules:
  - apiGroups: {groups}
    resources: {resources}
    verbs: {verbs}
"""


def role(resources, verbs, groups='[""]', kind="Role", name="app"):
    return ROLE.format(kind=kind, name=name, groups=groups, resources=resources, verbs=verbs)


@pytest.mark.parametrize("rule_id,text,expected", [
    ("K8043", role('["*"]', '["*"]'), [8]),
    ("K8043", role('["pods/*"]', '["create"]'), [8]),
    ("K8043", role('["pods"]', '["*"]', groups='["*"]'), []),
    ("K8043", role('["*"]', '["get", "list"]', groups='["apps"]'), []),
    ("K8044", role('["*"]', '["*"]', groups='["*"]'), [8]),
    ("K8044", role('["*"]', '["get"]', groups='["apps", "batch"]'), []),
    ("K8044", role('["secrets"]', '["*"]'), [8]),
    ("K8045", role('["*"]', '["*"]', groups='["*"]'), [9]),
    ("K8045", role('["configmaps"]', '["*"]'), []),
    # Kubernetes' bootstrap RBAC is exempt by name
    ("K8042", role('["*"]', '["*"]', groups='["*"]', kind="ClusterRole", name="cluster-admin"), []),
    ("K8042", role('["*"]', '["*"]', groups='["*"]', kind="ClusterRole",
                   name="system:controller:x"), []),
    ("K8042", role('["*"]', '["*"]', groups='["*"]', kind="ClusterRole", name="ops-admin"), [9]),
    ("K8041", """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: cluster-admin
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
  - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:masters"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: system:basic-user
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
  - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:authenticated"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ci-admin
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - {kind: ServiceAccount, name: ci, namespace: ci}
""", [24]),
])
def test_rbac_edge_cases(tmp_path, rule_id, text, expected):
    found = rule_locations(tmp_path, {"rbac.yaml": text}, rule_id)
    assert found == [("rbac.yaml", n) for n in expected]


def workload(kind, policy, name="web", ns=None, extra=""):
    meta = f"  name: {name}\n" + (f"  namespace: {ns}\n" if ns else "")
    spec = "  selector: {matchLabels: {app: web}}\n" if kind != "Pod" else ""
    pod = ("    metadata: {labels: {app: web}}\n    spec:\n" if kind != "Pod"
           else "  ")
    restart = f"      restartPolicy: {policy}\n" if policy else ""
    if kind == "Pod":
        return (f"apiVersion: v1\nkind: Pod\nmetadata:\n{meta}  labels: {{app: web}}\nspec:\n"
                f"  restartPolicy: {policy}\n  containers:\n    - name: c\n      image: x:1\n")
    api = "batch/v1" if kind in ("Job",) else "apps/v1"
    return (f"apiVersion: {api}\nkind: {kind}\nmetadata:\n{meta}spec:\n{extra}{spec}"
            f"  template:\n{pod}{restart}      containers:\n        - name: c\n"
            f"          image: x:1\n")


@pytest.mark.parametrize("kind,policy,expected", [
    ("Deployment", "OnFailure", [10]),
    ("StatefulSet", "Never", [10]),
    ("DaemonSet", "OnFailure", [10]),
    ("Deployment", "Always", []),
    ("Deployment", None, []),
    ("Job", "Always", [10]),
    ("Job", None, [10]),
    ("Job", "Never", []),
    ("Pod", "Never", []),
    ("Pod", "Always", []),
])
def test_restart_policy_per_kind(tmp_path, kind, policy, expected):
    found = rule_locations(tmp_path, {"app.yaml": workload(kind, policy)}, "K8069")
    assert found == [("app.yaml", n) for n in expected]


SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
{ns}spec:
  selector: {{app: web}}
  ports: [{{port: 80, targetPort: http}}]
"""
PDB = """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
{ns}spec:
  maxUnavailable: 1
  selector: {{matchLabels: {{app: web}}}}
"""
NETPOL = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
{ns}spec:
  podSelector: {{matchLabels: {{app: web}}}}
  policyTypes: [Ingress]
"""


def _deploy(ns=None):
    return workload("Deployment", None, ns=ns, extra="  replicas: 3\n")


@pytest.mark.parametrize("rule_id,files,expected", [
    # a Service with no namespace is in `default`: it does not select pods in `apps`
    ("K8048", {"svc.yaml": SERVICE.format(ns=""), "app.yaml": _deploy("apps")}, []),
    ("K8048", {"svc.yaml": SERVICE.format(ns=""), "app.yaml": _deploy("apps"),
               "other.yaml": workload("Deployment", None, name="db", ns=None)
               .replace("app: web", "app: db")}, [("svc.yaml", 6)]),
    ("K8048", {"svc.yaml": SERVICE.format(ns="  namespace: apps\n"),
               "app.yaml": _deploy("apps")}, []),
    # a PDB in another namespace does not cover the pods
    ("K8062", {"pdb.yaml": PDB.format(ns="  namespace: other\n"), "app.yaml": _deploy("apps")},
     [("app.yaml", 2)]),
    ("K8062", {"pdb.yaml": PDB.format(ns="  namespace: apps\n"), "app.yaml": _deploy("apps")},
     []),
    # the kustomization's namespace applies to resources reviewed as written
    ("K8062", {"pdb.yaml": PDB.format(ns=""), "app.yaml": _deploy(),
               "kustomization.yaml": "namespace: apps\nresources: [app.yaml, pdb.yaml]\n"},
     []),
    ("K8062", {"pdb.yaml": PDB.format(ns=""), "app.yaml": _deploy(),
               "kustomization.yaml": "namespace: apps\nresources: [app.yaml]\n"},
     [("app.yaml", 2)]),
    ("K8055", {"np.yaml": NETPOL.format(ns="  namespace: other\n"),
               "app.yaml": _deploy("other").replace("app: web", "app: api")},
     [("np.yaml", 7)]),
    ("K8055", {"np.yaml": NETPOL.format(ns="  namespace: other\n"), "app.yaml": _deploy("apps"),
               "db.yaml": _deploy("other").replace("app: web", "app: db")},
     [("np.yaml", 7)]),
])
def test_selectors_respect_namespaces(tmp_path, monkeypatch, rule_id, files, expected):
    monkeypatch.setenv("PATH", "/nonexistent")     # no kubectl: resources reviewed as written
    assert rule_locations(tmp_path, files, rule_id) == expected


def test_socket_through_a_named_volume_bound_to_the_host(tmp_path):
    """compose-lint CL-0001: a named volume the local driver binds to /var/run is the
    socket folder."""
    from conftest import rule_locations
    compose = ("services:\n  app:\n    image: a:1\n    volumes:\n      - run:/host/run\n"
               "      - data:/data\n"
               "volumes:\n  run:\n    driver_opts: {type: none, o: bind, device: /var/run}\n"
               "  data:\n    driver_opts: {type: none, o: bind, device: /srv/data}\n")
    assert rule_locations(tmp_path, {"compose.yaml": compose}, "DC001") == [("compose.yaml", 5)]
