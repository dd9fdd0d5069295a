"""What a senior reviewer adds (issue 8, item 5): unverified downloads, a shell as PID 1,
auto-updates of stateful services, Jobs and RWO volumes, Jobs with no deadline, memory
requests left to the limit, GitOps chart pins, and bjw-s app-template values judged as
containers. Each case marks the expected line in the fixture with `# <- RULE`."""

import pytest

from conftest import rule_locations, run_review, write_tree


def marked(files, rule_id):
    """(path, line) of every `<- RULE` marker in the fixture files."""
    out = []
    for path, text in files.items():
        for i, line in enumerate(text.splitlines(), 1):
            if f"<- {rule_id}" in line:
                out.append((path, i))
    return sorted(out)


# ------------------------------------------------------------------- Dockerfile ----
DL_BAD = """\
FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates \\
 && rm -rf /var/lib/apt/lists/*
# <- DF100 (next line)
RUN curl -fsSLo /usr/local/bin/kubectl https://dl.k8s.io/release/v1.31.0/bin/linux/amd64/kubectl \\
 && chmod +x /usr/local/bin/kubectl
# <- DF100 (next line)
RUN curl -fsSL https://github.com/x/tool/releases/download/v1.2.3/tool.tar.gz | tar -xz -C /opt
# <- DF100 (next line)
RUN wget -q https://example.com/pkg/app_1.0_amd64.deb && dpkg -i app_1.0_amd64.deb
USER 10001
CMD ["kubectl"]
"""

DL_GOOD = """\
FROM debian:12-slim
ARG KUBECTL_SHA256=0000000000000000000000000000000000000000000000000000000000000000
RUN curl -fsSLo /usr/local/bin/kubectl https://dl.k8s.io/release/v1.31.0/bin/linux/amd64/kubectl \\
 && echo "${KUBECTL_SHA256}  /usr/local/bin/kubectl" | sha256sum -c - \\
 && chmod +x /usr/local/bin/kubectl
RUN curl -fsSLO https://example.com/tool.tar.gz && curl -fsSLO https://example.com/tool.tar.gz.asc \\
 && gpg --batch --verify tool.tar.gz.asc tool.tar.gz && tar -xzf tool.tar.gz -C /opt
RUN curl -fsSL https://example.com/key.asc | gpg --dearmor -o /usr/share/keyrings/x.gpg
RUN curl -fsSLo /tmp/i.sh https://get.example.sh && openssl sha512 -r /tmp/i.sh
RUN curl -fsSL https://example.com/data.json -o /srv/data.json
USER 10001
CMD ["kubectl"]
"""

PID1_BAD_JSON = """\
FROM debian:12-slim
USER 10001
CMD ["sh", "-c", "worker --queue jobs & exec app"]   # <- DF101
"""

PID1_BAD_SERVICE = """\
FROM debian:12-slim
CMD service nginx start && tail -f /var/log/nginx/access.log   # <- DF101
"""

PID1_KEEPALIVE = """\
FROM debian:12-slim
ENTRYPOINT ["tail", "-f", "/dev/null"]   # <- DF101
"""

PID1_GOOD = """\
FROM debian:12-slim
COPY entrypoint.sh /entrypoint.sh
ENTRYPOINT ["/entrypoint.sh"]
CMD ["sh", "-c", "trap 'kill -TERM $pid' TERM; app & pid=$!; wait $pid"]
"""

PID1_GOOD_EXEC = """\
FROM debian:12-slim
CMD ["sh", "-c", "exec app --port ${PORT:-8080}"]
"""


def _strip_comment_marks(text):
    """Dockerfile comments cannot trail an instruction: keep the marker on the line
    for `marked`, and drop it from the text that is reviewed."""
    return "\n".join(line.split("   # <-")[0] for line in text.splitlines()) + "\n"


@pytest.mark.parametrize("text,rule_id", [
    (DL_BAD, "DF100"), (DL_GOOD, "DF100"),
    (PID1_BAD_JSON, "DF101"), (PID1_BAD_SERVICE, "DF101"), (PID1_KEEPALIVE, "DF101"),
    (PID1_GOOD, "DF101"), (PID1_GOOD_EXEC, "DF101"),
])
def test_dockerfile_rules(tmp_path, text, rule_id):
    expected = []
    for path, line in marked({"Dockerfile": text}, rule_id):
        # `# <- DF100 (next line)` marks the instruction below it
        mark = text.splitlines()[line - 1]
        expected.append((path, line + 1 if "(next line)" in mark else line))
    files = {"Dockerfile": _strip_comment_marks(text)}
    assert rule_locations(tmp_path, files, rule_id) == sorted(expected)


def test_pid1_severity_says_what_it_is(tmp_path):
    write_tree(tmp_path, {"a/Dockerfile": _strip_comment_marks(PID1_BAD_JSON),
                          "b/Dockerfile": _strip_comment_marks(PID1_KEEPALIVE)})
    found = {f.path: f for f in run_review(tmp_path).findings if f.rule.id == "DF101"}
    assert found["a/Dockerfile"].severity == "warning"
    assert "`worker --queue`" in found["a/Dockerfile"].message
    assert found["b/Dockerfile"].severity == "suggestion"


def test_build_tools_in_single_stage_are_df085_not_a_new_rule(tmp_path):
    """Compilers and -dev packages left in a runtime image: DF085 already says it."""
    text = ("FROM debian:12-slim\nRUN apt-get update && apt-get install -y "
            "--no-install-recommends gcc libpq-dev && rm -rf /var/lib/apt/lists/*\n")
    assert rule_locations(tmp_path, {"Dockerfile": text}, "DF085") == [("Dockerfile", 2)]


# --------------------------------------------------------------- Compose, Podman ----
COMPOSE_BAD = """\
services:
  watchtower:
    image: containrrr/watchtower:1.7.1   # <- DC080
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
  db:
    image: postgres
    volumes:
      - pgdata:/var/lib/postgresql/data
  app:
    image: ghcr.io/example/app:latest
    volumes:
      - ./uploads:/srv/uploads
  web:
    image: nginx:latest
    volumes:
      - ./nginx.conf:/etc/nginx/nginx.conf:ro
volumes:
  pgdata:
"""

COMPOSE_LABEL_ENABLE = """\
services:
  watchtower:
    image: nickfedor/watchtower
    environment:
      WATCHTOWER_LABEL_ENABLE: "true"
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
  db:
    image: postgres:latest
    volumes:
      - pgdata:/var/lib/postgresql/data
  web:
    image: nginx:latest
    labels:
      - com.centurylinklabs.watchtower.enable=true
volumes:
  pgdata:
"""

COMPOSE_LABEL_ENABLE_BAD = COMPOSE_LABEL_ENABLE.replace(
    "image: nickfedor/watchtower", "image: nickfedor/watchtower   # <- DC080").replace(
    "    image: postgres:latest\n",
    "    image: postgres:latest\n    labels:\n      com.centurylinklabs.watchtower.enable: \"true\"\n")

COMPOSE_PINNED = COMPOSE_BAD.replace("image: postgres\n", "image: postgres:16.4\n").replace(
    "app:latest", "app:2.3.1").replace("   # <- DC080", "")


@pytest.mark.parametrize("text", [COMPOSE_BAD, COMPOSE_LABEL_ENABLE, COMPOSE_LABEL_ENABLE_BAD,
                                  COMPOSE_PINNED])
def test_watchtower(tmp_path, text):
    files = {"compose.yaml": text}
    assert rule_locations(tmp_path, files, "DC080") == marked(files, "DC080")


def test_watchtower_names_the_stateful_services(tmp_path):
    write_tree(tmp_path, {"compose.yaml": COMPOSE_BAD})
    [f] = [f for f in run_review(tmp_path).findings if f.rule.id == "DC080"]
    assert "`db` (postgres, a database)" in f.message
    assert "`app`" in f.message and "`web`" not in f.message


QUADLET_BAD = """\
[Container]
Image=docker.io/library/postgres:latest
# <- PM030 (next line)
AutoUpdate=registry
Volume=pgdata.volume:/var/lib/postgresql/data
"""

QUADLET_GOOD = QUADLET_BAD.replace("postgres:latest", "postgres:16.4").replace(
    "# <- PM030 (next line)\n", "")

QUADLET_STATELESS = """\
[Container]
Image=docker.io/library/nginx:latest
AutoUpdate=registry
Volume=/srv/site:/usr/share/nginx/html:ro
"""


@pytest.mark.parametrize("text", [QUADLET_BAD, QUADLET_GOOD, QUADLET_STATELESS])
def test_auto_update_stateful(tmp_path, text):
    expected = [(p, line + 1) for p, line in marked({"db.container": text}, "PM030")]
    assert rule_locations(tmp_path, {"db.container": text}, "PM030") == expected


# ------------------------------------------------------------------- Kubernetes ----
PVC = """\
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {name}
  namespace: apps
spec:
  accessModes: [{mode}]
  resources:
    requests:
      storage: 10Gi
"""

APP = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nextcloud
  namespace: apps
spec:
  selector:
    matchLabels: {app: nextcloud}
  template:
    metadata:
      labels: {app: nextcloud}
    spec:
      containers:
        - name: app
          image: nextcloud:29.0.4
      volumes:
        - name: data
          persistentVolumeClaim:
            claimName: nextcloud-data
"""

BACKUP = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: backup
  namespace: apps
spec:
  schedule: "0 3 * * *"
  concurrencyPolicy: Forbid{deadline_mark}
  jobTemplate:
    spec:{deadline}
      template:
        spec:
          restartPolicy: OnFailure{affinity}
          containers:
            - name: restic
              image: restic/restic:0.17.0
          volumes:
            - name: data
              persistentVolumeClaim:
                claimName: nextcloud-data{claim_mark}
"""

AFFINITY = """
          affinity:
            podAffinity:
              requiredDuringSchedulingIgnoredDuringExecution:
                - labelSelector: {matchLabels: {app: nextcloud}}
                  topologyKey: kubernetes.io/hostname"""


def _backup(claim_mark="", deadline="", deadline_mark="", affinity=""):
    return BACKUP.format(claim_mark=claim_mark, deadline=deadline,
                         deadline_mark=deadline_mark, affinity=affinity)


SENIOR_K8S = [
    ("K8100", {"pvc.yaml": PVC.format(name="nextcloud-data", mode="ReadWriteOnce"),
               "app.yaml": APP, "backup.yaml": _backup("   # <- K8100")}),
    ("K8100", {"pvc.yaml": PVC.format(name="nextcloud-data", mode="ReadWriteMany"),
               "app.yaml": APP, "backup.yaml": _backup()}),
    ("K8100", {"pvc.yaml": PVC.format(name="nextcloud-data", mode="ReadWriteOnce"),
               "app.yaml": APP, "backup.yaml": _backup(affinity=AFFINITY)}),
    ("K8100", {"pvc.yaml": PVC.format(name="other", mode="ReadWriteOnce"),
               "app.yaml": APP, "backup.yaml": _backup()}),
    ("K8101", {"backup.yaml": _backup(deadline_mark="   # <- K8101")}),
    ("K8101", {"backup.yaml": _backup(deadline="\n      activeDeadlineSeconds: 3600")}),
    ("K8101", {"job.yaml": """\
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  backoffLimit: 0   # <- K8101
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: example/migrate:1.0.0
"""}),
    ("K8101", {"job.yaml": """\
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  backoffLimit: 0
  activeDeadlineSeconds: 600
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: example/migrate:1.0.0
"""}),
]

HELMRELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: {name}
  namespace: media
spec:
  interval: 1h
  chart:
    spec:
      chart: {chart}
      version: {version}
      sourceRef:
        kind: HelmRepository
        name: charts
"""

OCI_RELEASE = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: app-template
  namespace: media
spec:
  interval: 15m
  url: oci://ghcr.io/bjw-s-labs/helm/app-template
{ref}---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: sonarr
  namespace: media
spec:
  interval: 1h
  chartRef:
    kind: OCIRepository
    name: app-template{mark}
"""

ARGO = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: {repo}
    {chart}targetRevision: {rev}
    path: .
  destination:
    server: https://kubernetes.default.svc
    namespace: apps
  syncPolicy:
    automated:
      prune: true
      selfHeal: true{empty}
"""

SENIOR_K8S += [
    ("K8110", {"hr.yaml": HELMRELEASE.format(name="a", chart="cert-manager",
                                             version='"*"   # <- K8110')}),
    ("K8110", {"hr.yaml": HELMRELEASE.format(name="a", chart="cert-manager",
                                             version='">=1.14.0 <2.0.0"   # <- K8110')}),
    ("K8110", {"hr.yaml": HELMRELEASE.format(name="a", chart="cert-manager",
                                             version="v1.15.3")}),
    ("K8110", {"hr.yaml": HELMRELEASE.format(name="a", chart="cert-manager",
                                             version="${CERT_MANAGER_VERSION}")}),
    ("K8110", {"hr.yaml": OCI_RELEASE.format(ref="", mark="   # <- K8110")}),
    ("K8110", {"hr.yaml": OCI_RELEASE.format(ref="  ref:\n    semver: '>=4.0.0'\n",
                                             mark="   # <- K8110")}),
    ("K8110", {"hr.yaml": OCI_RELEASE.format(ref="  ref:\n    tag: 4.3.0\n", mark="")}),
    ("K8110", {"app.yaml": ARGO.format(name="redis", repo="https://charts.bitnami.com/bitnami",
                                       chart="chart: redis\n    ",
                                       rev="19.x   # <- K8110", empty="")}),
    ("K8110", {"app.yaml": ARGO.format(name="redis", repo="https://charts.bitnami.com/bitnami",
                                       chart="chart: redis\n    ", rev="19.6.4", empty="")}),
    ("K8110", {"app.yaml": ARGO.format(name="site", repo="https://github.com/x/site.git",
                                       chart="", rev="HEAD", empty="")}),
    ("K8112", {"app.yaml": ARGO.format(name="site", repo="https://github.com/x/site.git",
                                       chart="", rev="HEAD",
                                       empty="\n      allowEmpty: true   # <- K8112")}),
    ("K8112", {"app.yaml": ARGO.format(name="site", repo="https://github.com/x/site.git",
                                       chart="", rev="HEAD", empty="")}),
]


@pytest.mark.parametrize("rule_id,files", SENIOR_K8S,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(SENIOR_K8S)])
def test_kubernetes_rules(tmp_path, rule_id, files):
    assert rule_locations(tmp_path, files, rule_id) == marked(files, rule_id)


# --------------------------------------------------------------- app-template ----
APP_TEMPLATE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: sonarr
  namespace: media
spec:
  interval: 1h
  chartRef:
    kind: OCIRepository
    name: app-template
  values:
    defaultPodOptions:
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        seccompProfile: {type: RuntimeDefault}
    controllers:
      sonarr:
        containers:
          app:                                   # <- K8006 K8007
            image:
              repository: ghcr.io/home-operations/sonarr
              tag: latest                        # <- K8010 (image key above)
            env:
              TZ: Europe/Paris
              SONARR__AUTH__APIKEY: 3f9a1c7e5b2d4a6c8e0f1a3b5c7d9e1f   # <- K8028
            securityContext:
              allowPrivilegeEscalation: false
              readOnlyRootFilesystem: true
              capabilities: {drop: ["ALL"]}
            resources:                          # <- K8002
              requests:
                cpu: 10m
              limits:
                memory: 1Gi
      exporter:
        containers:
          app:
            image:
              repository: ghcr.io/onedr0p/exportarr
              tag: v2.0.1@sha256:0000000000000000000000000000000000000000000000000000000000000000
            securityContext:
              allowPrivilegeEscalation: false
              readOnlyRootFilesystem: true
              capabilities: {drop: ["ALL"]}
            probes:
              liveness: &probe
                enabled: true
                custom: true
                spec:
                  httpGet: {path: /healthz, port: metrics}
              readiness: *probe
            resources:
              requests: {cpu: 10m, memory: 64Mi}
              limits: {memory: 128Mi}
    service:
      app:
        controller: sonarr
        ports:
          http:
            port: 8989
      metrics:
        controller: exporter
        ports:
          metrics:
            port: 9707
"""


def _app_template_findings(tmp_path):
    write_tree(tmp_path, {"helmrelease.yaml": APP_TEMPLATE})
    return run_review(tmp_path).findings


def test_app_template_containers_are_judged_like_pod_containers(tmp_path):
    findings = _app_template_findings(tmp_path)
    lines = {i: line for i, line in enumerate(APP_TEMPLATE.splitlines(), 1)}

    def at(rule_id):
        return sorted(f.line for f in findings if f.rule.id == rule_id)

    image_line = next(i for i, t in lines.items() if t.strip() == "image:")
    assert at("K8010") == [image_line]
    assert at("K8006") == at("K8007") == [next(i for i, t in lines.items()
                                                if "<- K8006" in t)]
    assert at("K8028") == [next(i for i, t in lines.items() if "<- K8028" in t)]
    k8002 = [f for f in findings if f.rule.id == "K8002"]
    assert [f.line for f in k8002] == [next(i for i, t in lines.items() if "<- K8002" in t)]
    assert k8002[0].severity == "suggestion" and "makes it the limit (1Gi)" in k8002[0].message
    # the pod's securityContext and the container's hardening are read from the values
    for rule_id in ("K8014", "K8015", "K8017", "K8018", "K8022", "K8009"):
        assert at(rule_id) == [], rule_id
    # `readiness: *probe` is the same probe: said, as for a Deployment
    assert len(at("K8008")) == 1
    message = next(f.message for f in findings if f.rule.id == "K8010")
    assert message.startswith("HelmRelease `sonarr` controller `sonarr`: container `app`")
    assert "ghcr.io/home-operations/sonarr:latest" in message


def test_app_template_only_when_values_have_controllers(tmp_path):
    other = APP_TEMPLATE.replace("    controllers:", "    workloads:")
    write_tree(tmp_path, {"helmrelease.yaml": other})
    findings = run_review(tmp_path).findings
    assert not [f for f in findings if "controller `" in f.message]


# ------------------------------------------- the domains' "firing and clean" tables ----
def _df_case(text, rule_id):
    lines = [line + 1 if "(next line)" in text.splitlines()[line - 1] else line
             for _, line in marked({"Dockerfile": text}, rule_id)]
    return (rule_id, _strip_comment_marks(text), lines, None)


# imported by test_dockerfile_rules.py, test_compose_rules.py, test_podman.py and
# test_kubernetes_rules.py, whose completeness tests want every rule in their tables
DOCKERFILE_SENIOR = [_df_case(DL_BAD, "DF100"), _df_case(DL_GOOD, "DF100"),
                     _df_case(PID1_BAD_JSON, "DF101"), _df_case(PID1_GOOD, "DF101")]
COMPOSE_SENIOR = [("DC080", {"compose.yaml": t}, marked({"compose.yaml": t}, "DC080"))
                  for t in (COMPOSE_BAD, COMPOSE_PINNED)]
PODMAN_SENIOR = [("PM030", {"db.container": t},
                  [(p, line + 1) for p, line in marked({"db.container": t}, "PM030")])
                 for t in (QUADLET_BAD, QUADLET_GOOD)]
KUBERNETES_SENIOR = [(rule_id, files, marked(files, rule_id))
                     for rule_id, files in SENIOR_K8S]


# ------------------------------------- Flux release remediation (K8113), set centrally ----
FLUX_RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: {name}
  namespace: media
{labels}spec:
  interval: 1h
  chartRef:{mark}
    kind: OCIRepository
    name: app-template
{extra}  values:
    controllers:
      {name}:
        containers:
          app:
            image:
              repository: ghcr.io/home-operations/{name}
              tag: 4.0.15
"""

# bjw-s-labs/home-ops style: the cluster Kustomization patches every child Kustomization
# with a patch that sets HelmRelease defaults (xunholy/k8s-gitops adds label selectors)
FLUX_CLUSTER_KS = """\
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cluster-apps
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  patches:
    - # HelmRelease defaults for all Kustomizations
      patch: |-
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: _
        spec:
          patches:
            - patch: |-
                apiVersion: helm.toolkit.fluxcd.io/v2
                kind: HelmRelease
                metadata:
                  name: _
                spec:
                  install:
                    strategy:
                      name: RetryOnFailure
                  upgrade:
                    cleanupOnFail: true
                    remediation:
                      remediateLastFailure: true
                      retries: 2{drift}
              target:
                group: helm.toolkit.fluxcd.io
                kind: HelmRelease{inner}
      target:
        group: kustomize.toolkit.fluxcd.io
        kind: Kustomization{outer}
"""

APP_KS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {name}
  namespace: flux-system
{labels}spec:
  interval: 1h
  path: ./kubernetes/apps/media/{name}/app
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  targetNamespace: media
  dependsOn:
    - name: volsync
"""

_OPT_OUT = "  labels:\n    defaults: disabled\n"
_FIRES = "   # <- K8113"


def _release(name="sonarr", mark="", labels="", extra=""):
    return FLUX_RELEASE.format(name=name, mark=mark, labels=labels, extra=extra)


def _cluster(inner="", outer="", drift=""):
    return FLUX_CLUSTER_KS.format(inner=inner, outer=outer, drift=drift)


_RELEASE_PATH = "kubernetes/apps/media/sonarr/app/helmrelease.yaml"
K8113_CASES = [
    # nothing anywhere: Flux's defaults (0 retries)
    {_RELEASE_PATH: _release(mark=_FIRES)},
    # set on the release itself, either way
    {_RELEASE_PATH: _release(extra="  install:\n    remediation:\n      retries: 3\n"
                                   "  upgrade:\n    remediation:\n      retries: 3\n")},
    {_RELEASE_PATH: _release(extra="  install:\n    strategy:\n      name: RetryOnFailure\n")},
    # set once for every release by the cluster Kustomization (bjw-s-labs/home-ops)
    {"kubernetes/flux/cluster/ks.yaml": _cluster(),
     "kubernetes/apps/media/sonarr/ks.yaml": APP_KS.format(name="sonarr", labels=""),
     _RELEASE_PATH: _release()},
    # ... except for the Kustomizations that opt out by label (xunholy/k8s-gitops)
    {"kubernetes/flux/cluster/ks.yaml": _cluster(
        outer="\n        labelSelector: defaults!=disabled"),
     "kubernetes/apps/media/sonarr/ks.yaml": APP_KS.format(name="sonarr", labels=_OPT_OUT),
     _RELEASE_PATH: _release(mark=_FIRES),
     "kubernetes/apps/media/radarr/ks.yaml": APP_KS.format(name="radarr", labels=""),
     "kubernetes/apps/media/radarr/app/helmrelease.yaml": _release("radarr")},
    # ... or the releases that opt out by label, or that the patch does not name
    {"kubernetes/flux/cluster/ks.yaml": _cluster(
        inner="\n                labelSelector: defaults!=disabled"),
     _RELEASE_PATH: _release(mark=_FIRES, labels=_OPT_OUT),
     "kubernetes/apps/media/radarr/app/helmrelease.yaml": _release("radarr")},
    {"kubernetes/flux/cluster/ks.yaml": _cluster(inner="\n                name: radarr"),
     _RELEASE_PATH: _release(mark=_FIRES),
     "kubernetes/apps/media/radarr/app/helmrelease.yaml": _release("radarr")},
    # a kustomize patch in a kustomization.yaml above the release
    {"kubernetes/apps/media/kustomization.yaml": """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - sonarr/app/helmrelease.yaml
patches:
  - target:
      kind: HelmRelease
    patch: |-
      - op: add
        path: /spec/upgrade
        value: {remediation: {retries: 3}}
""", _RELEASE_PATH: _release()},
]
K8113_SENIOR = [("K8113", files, marked(files, "K8113")) for files in K8113_CASES]
KUBERNETES_SENIOR += K8113_SENIOR


@pytest.mark.parametrize("rule_id,files,expected", K8113_SENIOR,
                         ids=[f"K8113-{i}" for i in range(len(K8113_SENIOR))])
def test_flux_release_remediation(tmp_path, rule_id, files, expected):
    assert rule_locations(tmp_path, files, rule_id) == expected


def test_flux_release_drift_detection_said_only_when_nothing_sets_it(tmp_path):
    write_tree(tmp_path / "a", {"hr.yaml": _release(mark=_FIRES)})
    bare = [f for f in run_review(tmp_path / "a").findings if f.rule.id == "K8113"]
    assert [f.severity for f in bare] == ["suggestion"]
    assert bare[0].message == ("HelmRelease `sonarr`: a failed install or upgrade is not "
                               "retried (no `remediation.retries`); drift detection is not "
                               "enabled either")
    drift = "\n                  driftDetection:\n                    mode: enabled"
    write_tree(tmp_path / "b", {
        "kubernetes/flux/cluster/ks.yaml": _cluster(inner="\n                name: radarr|sonarr",
                                                    drift=drift),
        _RELEASE_PATH: _release(extra="  driftDetection:\n    mode: warn\n")})
    assert not [f for f in run_review(tmp_path / "b").findings if f.rule.id == "K8113"]
    write_tree(tmp_path / "c", {
        "kubernetes/flux/cluster/ks.yaml": _cluster(drift=drift).replace(
            "                    remediation:\n                      remediateLastFailure: "
            "true\n                      retries: 2", "").replace(
            "                    strategy:\n                      name: RetryOnFailure\n", ""),
        _RELEASE_PATH: _release()})
    found = [f for f in run_review(tmp_path / "c").findings if f.rule.id == "K8113"]
    assert len(found) == 1 and "drift" not in found[0].message


def test_flux_kustomizations_are_reviewed_without_noise(tmp_path):
    """A Flux Kustomization is an API object (reviewed, and its patches read); a kustomize
    kustomization.yaml stays a build file. Neither draws findings of its own."""
    from infra_expert.discover import classify_content
    cluster = _cluster(outer="\n        labelSelector: defaults!=disabled")
    assert classify_content(cluster, "ks.yaml") == ("kubernetes", "manifest")
    assert classify_content("apiVersion: kustomize.config.k8s.io/v1beta1\n"
                            "kind: Kustomization\nresources: [a.yaml]\n", "k.yaml") is None
    assert classify_content("kind: Kustomization\nresources: [a.yaml]\n"
                            "apiVersion: v1\n", "k.yaml") is None
    result = run_review(write_tree(tmp_path, {
        "kubernetes/flux/cluster/ks.yaml": cluster,
        "kubernetes/apps/media/sonarr/ks.yaml": APP_KS.format(name="sonarr", labels="")}))
    assert len(result.files) == 2
    assert [(f.rule.id, f.path) for f in result.findings] == []
