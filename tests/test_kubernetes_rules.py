"""Every Kubernetes rule: a case that fires (rule id, file and line) and one that must not."""

import pytest

from infra_expert.config import Config
from infra_expert.engine import all_rules

from conftest import rule_locations, run_review, write_tree

DIGEST = "sha256:" + "a" * 64

SA = """\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
  namespace: shop
automountServiceAccountToken: false
"""

DEPLOYMENT = f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      serviceAccountName: web
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        seccompProfile:
          type: RuntimeDefault
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              app: web
      containers:
        - name: web
          image: ghcr.io/shop/web:1.4.2@{DIGEST}
          ports:
            - name: http
              containerPort: 8080
          env:
            - name: LOG_LEVEL
              value: info
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
            limits:
              memory: 128Mi
          readinessProbe:
            httpGet:
              path: /ready
              port: http
          livenessProbe:
            httpGet:
              path: /live
              port: http
            failureThreshold: 6
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector:
    app: web
  ports:
    - port: 80
      targetPort: http
"""

PDB = """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
  namespace: shop
spec:
  maxUnavailable: 1
  unhealthyPodEvictionPolicy: AlwaysAllow
  selector:
    matchLabels:
      app: web
"""

NETPOL = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: web
  policyTypes: [Ingress]
"""


def app(deployment=DEPLOYMENT, replace=None, extra=""):
    text = deployment
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new, 1)
    return {"sa.yaml": SA, "deploy.yaml": text, "svc.yaml": SERVICE, "pdb.yaml": PDB,
            "netpol.yaml": NETPOL, **({"extra.yaml": extra} if extra else {})}


def doc(text):
    return {"m.yaml": text}


JOB = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: backup
  namespace: shop
spec:
  schedule: "0 3 * * *"
  concurrencyPolicy: Forbid
  startingDeadlineSeconds: 300
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: backup
              image: ghcr.io/shop/backup:1.0
"""

INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
spec:
  tls:
    - hosts: [shop.example.com]
      secretName: shop-tls
  rules:
    - host: shop.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: web
                port:
                  number: 80
"""

ROLE = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
  namespace: shop
rules:
  - apiGroups: [""]
    resources: [configmaps]
    verbs: [get]
"""

CASES = [
    ("K8001", app(replace={"              cpu: 100m\n": ""}), [("deploy.yaml", 40)]),
    ("K8001", app(), []),
    ("K8002", app(replace={"              memory: 128Mi\n            limits": "            limits"}), [("deploy.yaml", 40)]),
    ("K8002", app(), []),
    ("K8003", app(replace={"            limits:\n              memory: 128Mi\n": ""}), [("deploy.yaml", 40)]),
    ("K8003", app(), []),
    ("K8005", app(replace={"limits:\n              memory: 128Mi": "limits:\n              memory: 64Mi"}), [("deploy.yaml", 40)]),
    ("K8005", app(), []),
    ("K8006", app(replace={"          readinessProbe:\n            httpGet:\n              path: /ready\n              port: http\n": ""}), [("deploy.yaml", 32)]),
    ("K8006", app(), []),
    ("K8007", app(replace={"          livenessProbe:\n            httpGet:\n              path: /live\n              port: http\n            failureThreshold: 6\n": ""}), [("deploy.yaml", 32)]),
    ("K8007", app(), []),
    ("K8008", app(replace={"path: /live": "path: /ready", "            failureThreshold: 6\n": ""}), [("deploy.yaml", 50)]),
    ("K8008", app(), []),
    ("K8009", app(replace={"              port: http\n            failureThreshold": "              port: metrics\n            failureThreshold"}), [("deploy.yaml", 53)]),
    ("K8009", app(), []),
    ("K8010", app(replace={f":1.4.2@{DIGEST}": ""}), [("deploy.yaml", 33)]),
    ("K8010", app(), []),
    ("K8011", app(replace={f"@{DIGEST}": ""}), [("deploy.yaml", 33)]),
    ("K8011", app(replace={f"@{DIGEST}": "\n          imagePullPolicy: Always"}), []),
    ("K8012", app(replace={f"@{DIGEST}": ""}), [("deploy.yaml", 33)]),
    ("K8012", app(), []),
    ("K8013", app(replace={"            allowPrivilegeEscalation: false\n": "            allowPrivilegeEscalation: false\n            privileged: true\n"}), [("deploy.yaml", 57)]),
    ("K8013", app(), []),
    ("K8014", app(replace={"            allowPrivilegeEscalation: false\n": ""}), [("deploy.yaml", 55)]),
    ("K8014", app(), []),
    ("K8015", app(replace={"        runAsNonRoot: true\n        runAsUser: 10001\n": "        runAsUser: 0\n"}), [("deploy.yaml", 19)]),
    ("K8015", app(), []),
    ("K8016", app(replace={"runAsUser: 10001": "runAsUser: 1000"}), [("deploy.yaml", 20)]),
    ("K8016", app(), []),
    ("K8017", app(replace={"            readOnlyRootFilesystem: true\n": ""}), [("deploy.yaml", 55)]),
    ("K8017", app(), []),
    ("K8018", app(replace={"        seccompProfile:\n          type: RuntimeDefault\n": ""}), [("deploy.yaml", 53)]),
    ("K8018", app(replace={"type: RuntimeDefault": "type: Localhost\n          localhostProfile: p.json"}), []),
    ("K8019", app(replace={"            readOnlyRootFilesystem: true\n": "            readOnlyRootFilesystem: true\n            procMount: Unmasked\n"}), [("deploy.yaml", 58)]),
    ("K8019", app(), []),
    ("K8020", app(replace={"        runAsGroup: 10001\n": "        runAsGroup: 10001\n        sysctls:\n          - name: net.core.somaxconn\n            value: '1024'\n"}), [("deploy.yaml", 23)]),
    ("K8020", app(replace={"        runAsGroup: 10001\n": "        runAsGroup: 10001\n        sysctls:\n          - name: net.ipv4.ip_local_port_range\n            value: '1024 65000'\n"}), []),
    ("K8021", app(replace={"              drop: [ALL]\n": "              drop: [ALL]\n              add: [SYS_ADMIN]\n"}), [("deploy.yaml", 60)]),
    ("K8021", app(replace={"              drop: [ALL]\n": "              drop: [ALL]\n              add: [NET_BIND_SERVICE]\n"}), []),
    ("K8022", app(replace={"              drop: [ALL]\n": "              drop: [NET_RAW]\n"}), [("deploy.yaml", 58)]),
    ("K8022", app(), []),
    ("K8023", app(replace={"      serviceAccountName: web\n": "      serviceAccountName: web\n      hostNetwork: true\n"}), [("deploy.yaml", 17)]),
    ("K8023", app(), []),
    ("K8024", app(replace={"              containerPort: 8080\n": "              containerPort: 8080\n              hostPort: 8080\n"}), [("deploy.yaml", 37)]),
    ("K8024", app(), []),
    ("K8025", app(replace={"      containers:\n": "      volumes:\n        - name: sock\n          hostPath:\n            path: /var/run/docker.sock\n      containers:\n"}), [("deploy.yaml", 34)]),
    ("K8025", app(), []),
    ("K8026", app(replace={"      containers:\n": "      volumes:\n        - name: logs\n          hostPath:\n            path: /var/log\n      containers:\n"}), [("deploy.yaml", 34)]),
    ("K8026", app(replace={"      containers:\n": "      volumes:\n        - name: tmp\n          emptyDir: {}\n      containers:\n"}), []),
    ("K8027", app(replace={"            readOnlyRootFilesystem: true\n": "            readOnlyRootFilesystem: true\n            windowsOptions:\n              hostProcess: true\n"}), [("deploy.yaml", 59)]),
    ("K8027", app(), []),
    ("K8028", app(replace={"              value: info\n": "              value: info\n            - name: DB_PASSWORD\n              value: hunter22\n"}), [("deploy.yaml", 41)]),
    ("K8028", app(), []),
    ("K8029", app(replace={"              value: info\n": "              value: info\n            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef: {name: db, key: pw}\n"}), [("deploy.yaml", 41)]),
    ("K8029", app(), []),
    ("K8030", app(replace={"              value: info\n": "              value: info\n            - name: LOG_LEVEL\n              value: debug\n"}), [("deploy.yaml", 40)]),
    ("K8030", app(), []),
    ("K8031", app(replace={"      automountServiceAccountToken: false\n": ""}, ) | {"sa.yaml": SA.replace("automountServiceAccountToken: false\n", "")}, [("deploy.yaml", 16)]),
    ("K8031", app(replace={"      automountServiceAccountToken: false\n": ""}), []),
    ("K8032", app(replace={"      serviceAccountName: web\n      automountServiceAccountToken: false\n": ""}), [("deploy.yaml", 16)]),
    ("K8032", app(), []),
    ("K8033", app(replace={"serviceAccountName: web": "serviceAccount: web"}), [("deploy.yaml", 16)]),
    ("K8033", app(), []),
    ("K8040", doc("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: 1\n"), [("m.yaml", 5)]),
    ("K8040", doc("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"), []),
    ("K8041", doc("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: ci\nroleRef:\n  kind: ClusterRole\n  name: cluster-admin\n  apiGroup: rbac.authorization.k8s.io\nsubjects: []\n"), [("m.yaml", 7)]),
    ("K8041", doc("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: ci\n  namespace: shop\nroleRef:\n  kind: Role\n  name: reader\n  apiGroup: rbac.authorization.k8s.io\n"), []),
    ("K8042", doc(ROLE.replace("verbs: [get]", 'verbs: ["*"]')), [("m.yaml", 9)]),
    ("K8042", doc(ROLE), []),
    ("K8043", doc(ROLE.replace("resources: [configmaps]\n    verbs: [get]", "resources: [pods/exec]\n    verbs: [create]")), [("m.yaml", 8)]),
    ("K8043", doc(ROLE), []),
    ("K8044", doc(ROLE.replace("resources: [configmaps]", "resources: [secrets]")), [("m.yaml", 8)]),
    ("K8044", doc(ROLE.replace("resources: [configmaps]", "resources: [secrets]\n    resourceNames: [app-tls]")), []),
    ("K8045", doc(ROLE.replace("verbs: [get]", "verbs: [get, impersonate]")), [("m.yaml", 9)]),
    ("K8045", doc(ROLE), []),
    ("K8046", app(extra=INGRESS.replace("  tls:\n    - hosts: [shop.example.com]\n      secretName: shop-tls\n", "")), [("extra.yaml", 6)]),
    ("K8046", app(extra=INGRESS), []),
    ("K8047", app(extra=INGRESS.replace("name: web\n                port", "name: wbe\n                port")), [("extra.yaml", 18)]),
    ("K8047", app(extra=INGRESS), []),
    # a chart installed into the namespace (Flux HelmRelease, Argo CD Helm Application)
    # creates what carries its release name: not in the files, but there
    ("K8047", app(extra=INGRESS.replace("name: web\n                port", "name: nextcloud\n                port")
                  + "---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: nextcloud\n"
                    "  namespace: shop\nspec:\n  chart:\n    spec: {chart: nextcloud, sourceRef: {kind: HelmRepository, name: nextcloud}}\n"), []),
    ("K8047", app(extra=INGRESS.replace("name: web\n                port", "name: wiki-web\n                port")
                  + "---\napiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: wiki\n"
                    "  namespace: argocd\nspec:\n  destination: {namespace: shop, server: https://kubernetes.default.svc}\n"
                    "  source: {repoURL: https://charts.example.com, chart: wiki, targetRevision: 1.2.0}\n"), []),
    # a release in another namespace, or under another name, creates nothing here
    ("K8047", app(extra=INGRESS.replace("name: web\n                port", "name: nextcloud\n                port")
                  + "---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: nextcloud\n"
                    "  namespace: cloud\nspec:\n  chart:\n    spec: {chart: nextcloud, sourceRef: {kind: HelmRepository, name: nextcloud}}\n"),
     [("extra.yaml", 18)]),
    ("K8048", app() | {"svc.yaml": SERVICE.replace("    app: web\n", "    app: wbe\n")}, [("svc.yaml", 7)]),
    ("K8048", app(), []),
    ("K8049", app() | {"svc.yaml": SERVICE.replace("spec:\n", "spec:\n  type: NodePort\n")}, [("svc.yaml", 7)]),
    ("K8049", app(), []),
    ("K8050", app() | {"svc.yaml": SERVICE.replace("targetPort: http", "targetPort: web")}, [("svc.yaml", 11)]),
    ("K8050", app(), []),
    ("K8051", app() | {"svc.yaml": SERVICE.replace("port: 80", "port: 22")}, [("svc.yaml", 10)]),
    ("K8051", app(), []),
    ("K8052", doc("apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  selector:\n    matchLabels: {app: db}\n  template:\n    metadata:\n      labels: {app: db}\n    spec:\n      containers: []\n"), [("m.yaml", 6)]),
    ("K8052", doc("apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  serviceName: db\n  selector:\n    matchLabels: {app: db}\n  template:\n    metadata:\n      labels: {app: db}\n    spec:\n      containers: []\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: db\nspec:\n  clusterIP: None\n  selector: {app: db}\n"), []),
    ("K8053", app(extra=INGRESS.replace("  namespace: shop\n", "  namespace: shop\n  annotations:\n    nginx.ingress.kubernetes.io/configuration-snippet: more_set_headers x\n")), [("extra.yaml", 7)]),
    ("K8053", app(extra=INGRESS), []),
    ("K8054", app() | {"netpol.yaml": NETPOL.replace("app: web", "app: other")}, [("deploy.yaml", 2)]),
    ("K8054", app(), []),
    ("K8055", app() | {"netpol.yaml": NETPOL.replace("app: web", "app: wbe")}, [("netpol.yaml", 7)]),
    ("K8055", app() | {"netpol.yaml": NETPOL.replace("    matchLabels:\n      app: web\n", "").replace("podSelector:", "podSelector: {}")}, []),
    ("K8056", doc("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  DB_PASSWORD: hunter22\n  LOG_LEVEL: info\n"), [("m.yaml", 6)]),
    ("K8056", doc("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  LOG_LEVEL: info\n"), []),
    ("K8057", doc("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter22\n"), [("m.yaml", 5)]),
    ("K8057", doc("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: kubernetes.io/tls\n"), []),
    # what a `secretGenerator` renders from a SOPS-encrypted file is encrypted in git
    ("K8057", doc("apiVersion: v1\nkind: Secret\nmetadata:\n  name: values\ndata:\n  values.yaml: cmVwbGljYXM6IEVOQ1tBRVMyNTZfR0NNLGRhdGE6VHI4PSxpdjp4LHRhZzp5LHR5cGU6aW50XQpzb3BzOgogICAgbWFjOiBFTkNbQUVTMjU2X0dDTSxkYXRhOnpdCg==\n"), []),
    ("K8057", doc("apiVersion: v1\nkind: Secret\nmetadata:\n  name: values\ndata:\n  values.yaml: cGFzc3dvcmQ6IGh1bnRlcjIyCg==\n"), [("m.yaml", 5)]),
    ("K8058", app(replace={"replicas: 2": "replicas: 1"}), [("deploy.yaml", 7)]),
    ("K8058", app(), []),
    ("K8059", doc("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  minReplicas: 1\n  maxReplicas: 5\n"), [("m.yaml", 6)]),
    ("K8059", doc("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  minReplicas: 2\n  maxReplicas: 5\n"), []),
    ("K8060", app(extra="apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: wbe}\n  minReplicas: 2\n  maxReplicas: 4\n"), [("extra.yaml", 7)]),
    ("K8060", app(extra="apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 2\n  maxReplicas: 4\n",
                  replace={"  replicas: 2\n": ""}), []),
    ("K8061", app(extra="apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 2\n  maxReplicas: 4\n"), [("deploy.yaml", 7)]),
    ("K8061", app(), []),
    ("K8062", {k: v for k, v in app().items() if k != "pdb.yaml"}, [("deploy.yaml", 2)]),
    ("K8062", app(), []),
    ("K8063", app() | {"pdb.yaml": PDB.replace("maxUnavailable: 1", "maxUnavailable: 0")}, [("pdb.yaml", 7)]),
    ("K8063", app(), []),
    ("K8064", app() | {"pdb.yaml": PDB.replace("  maxUnavailable: 1\n", "")}, [("pdb.yaml", 6)]),
    ("K8064", app(), []),
    ("K8065", app(replace={"      topologySpreadConstraints:\n        - maxSkew: 1\n          topologyKey: kubernetes.io/hostname\n          whenUnsatisfiable: ScheduleAnyway\n          labelSelector:\n            matchLabels:\n              app: web\n": ""}), [("deploy.yaml", 16)]),
    ("K8065", app(), []),
    ("K8066", app(replace={"spec:\n  replicas: 2\n": "spec:\n  replicas: 2\n  strategy:\n    type: Recreate\n"}), [("deploy.yaml", 9)]),
    ("K8066", app(), []),
    ("K8067", doc(JOB.replace("  startingDeadlineSeconds: 300\n", "")), [("m.yaml", 6)]),
    ("K8067", doc(JOB), []),
    ("K8068", doc(JOB.replace("  concurrencyPolicy: Forbid\n", "")), [("m.yaml", 7)]),
    ("K8068", doc(JOB), []),
    ("K8069", doc(JOB.replace("restartPolicy: OnFailure", "restartPolicy: Always")), [("m.yaml", 14)]),
    ("K8069", doc(JOB), []),
    ("K8070", doc("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: []\n"), [("m.yaml", 5)]),
    ("K8070", doc("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec:\n  ttlSecondsAfterFinished: 600\n  template:\n    spec:\n      restartPolicy: Never\n      containers: []\n"), []),
    ("K8071", doc("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: default\n"), [("m.yaml", 5)]),
    ("K8071", doc("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n"), []),
    ("K8072", doc("apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: old\n"), [("m.yaml", 1)]),
    ("K8072", doc("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: new\nspec:\n  tls: [{}]\n"), []),
    ("K8073", app(replace={"      labels:\n        app: web\n": "      labels:\n        app: web\n        release: -bad-\n"}), [("deploy.yaml", 15)]),
    ("K8073", app(), []),
    ("K8074", app(replace={"    matchLabels:\n      app: web\n  template": "    matchLabels:\n      app: webb\n  template"}), [("deploy.yaml", 8)]),
    ("K8074", app(), []),
    ("K8075", app(replace={"serviceAccountName: web": "serviceAccountName: wbe"}), [("deploy.yaml", 16)]),
    ("K8075", app(), []),
    ("K8076", app(replace={"              value: info\n": "              value: info\n            - name: A\n              valueFrom:\n                configMapKeyRef: {name: missing, key: a}\n"},
                  extra="apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: present\n  namespace: shop\n"), [("deploy.yaml", 42)]),
    ("K8076", app(), []),
    # made by a controller (an ExternalSecret's target, a SealedSecret) or by a kustomize
    # generator: there, just not as a Secret/ConfigMap manifest
    ("K8076", app(replace={"              value: info\n": "              value: info\n            - name: A\n              valueFrom:\n                secretKeyRef: {name: web-secret, key: a}\n            - name: B\n              valueFrom:\n                secretKeyRef: {name: sealed, key: b}\n"},
                  extra="apiVersion: v1\nkind: Secret\nmetadata:\n  name: present\n  namespace: shop\n---\n"
                        "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: web\n  namespace: shop\n"
                        "spec:\n  secretStoreRef: {kind: ClusterSecretStore, name: vault}\n  target: {name: web-secret}\n---\n"
                        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: sealed\n  namespace: shop\n"
                        "spec:\n  encryptedData: {b: AgBy8hCi}\n"), []),
    ("K8076", app(replace={"              value: info\n": "              value: info\n            - name: A\n              valueFrom:\n                secretKeyRef: {name: db-app, key: uri}\n"},
                  extra="apiVersion: v1\nkind: Secret\nmetadata:\n  name: present\n  namespace: shop\n---\n"
                        "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: db\n  namespace: shop\n"
                        "spec:\n  instances: 2\n  storage: {size: 1Gi}\n"), []),
    ("K8076", {**app(replace={"              value: info\n": "              value: info\n            - name: A\n              valueFrom:\n                configMapKeyRef: {name: web-settings, key: a}\n"},
                     extra="apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: present\n  namespace: shop\n"),
               "kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                                     "namespace: shop\nresources: [sa.yaml, deploy.yaml, svc.yaml, pdb.yaml, netpol.yaml, extra.yaml]\n"
                                     "configMapGenerator:\n  - name: web-settings\n    literals: [a=1]\n"}, []),
    ("K8077", doc("apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\nspec:\n  containers:\n    - name: t\n      image: ghcr.io/helm/tiller:v2.16.0\n"), [("m.yaml", 8)]),
    ("K8077", app(), []),
    ("K8055", app() | {"netpol.yaml": NETPOL + "  ingress:\n    - from:\n        - podSelector:\n            matchLabels: {app: frontnd}\n"}, [("netpol.yaml", 13)]),
    ("K8063", app(extra="apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  scaleTargetRef: {kind: Deployment, name: web}\n  minReplicas: 2\n  maxReplicas: 6\n",
                  replace={"  replicas: 2\n": "  replicas: 4\n"}) | {"pdb.yaml": PDB.replace("maxUnavailable: 1", "minAvailable: 2")}, [("pdb.yaml", 7)]),
    ("K8082", app() | {"pdb.yaml": PDB.replace("  unhealthyPodEvictionPolicy: AlwaysAllow\n", "")}, [("pdb.yaml", 6)]),
    ("K8082", app(), []),
    ("K8084", doc("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  labels:\n    app.kubernetes.io/instance: other\n"), [("m.yaml", 6)]),
    ("K8084", doc("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  labels:\n    app.kubernetes.io/instance: cfg\n"), []),
    ("K8081", app(replace={"          resources:\n": "          resouces:\n", "replicas: 2": "replicas: two"}),
     [("deploy.yaml", 7), ("deploy.yaml", 40)]),
    ("K8081", app(extra="apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: x\nspec:\n  anything: 1\n"), []),
]

from test_severity import K8S_CASES  # noqa: E402
CASES += K8S_CASES   # compound risks: tests/test_severity.py


from test_senior_rules import KUBERNETES_SENIOR  # noqa: E402
CASES += KUBERNETES_SENIOR   # issue 8 item 5: tests/test_senior_rules.py

from test_logging_rules import KUBERNETES_LOGGING  # noqa: E402
CASES += KUBERNETES_LOGGING   # what services log: tests/test_logging_rules.py

from test_minio import KUBERNETES_MINIO  # noqa: E402
CASES += KUBERNETES_MINIO   # MinIO server settings: tests/test_minio.py

# Opt-in rules (run switched on by test_rule) and the Helm chart rules.
from test_kubernetes_tooling import CHART  # noqa: E402
CASES += [
    ("K8004", app(), [("deploy.yaml", 40)]),
    ("K8004", app(replace={"            limits:\n              memory: 128Mi\n":
                           "            limits:\n              cpu: \"1\"\n              memory: 128Mi\n"}), []),
    ("K8083", app(), [("deploy.yaml", 16)]),
    ("K8083", app(replace={"      serviceAccountName: web\n":
                           "      serviceAccountName: web\n      priorityClassName: shop-critical\n"}), []),
    ("K8078", CHART, [("chart/Chart.yaml", 7)]),
    ("K8078", {**CHART, "chart/Chart.yaml": CHART["chart/Chart.yaml"].replace("^18.0.0", "18.6.4")}, []),
    ("K8079", CHART, [("chart/values.yaml", 3)]),
    ("K8079", {**CHART, "chart/values.yaml": CHART["chart/values.yaml"].replace("tag: latest", "tag: 1.4.2")}, []),
    ("K8080", CHART, [("chart/values.yaml", 8)]),
    ("K8080", {**CHART, "chart/values.yaml": CHART["chart/values.yaml"].replace(
        "resources: {}", "resources:\n  requests: {cpu: 100m, memory: 128Mi}\n  limits: {memory: 256Mi}")}, []),
]


@pytest.mark.parametrize("rule_id,files,expected", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule(tmp_path, rule_id, files, expected):
    config = Config()
    config.enable = {rule_id}   # a rule that is off by default is tested switched on
    assert rule_locations(tmp_path, files, rule_id, config) == sorted(expected)


def test_priority_class_rule_is_opt_in(tmp_path):
    write_tree(tmp_path, app())
    assert not [f for f in run_review(tmp_path).findings if f.rule.id == "K8083"]
    cfg = Config()
    cfg.enable = {"K8083"}
    assert [(f.path, f.line) for f in run_review(tmp_path, config=cfg).findings
            if f.rule.id == "K8083"] == [("deploy.yaml", 16)]


def test_kube_score_and_kube_linter_annotations(tmp_path):
    files = app(replace={"            readOnlyRootFilesystem: true\n": "",
                         "  namespace: shop\nspec:\n  replicas":
                         "  namespace: shop\n  annotations:\n"
                         "    kube-score/ignore: container-security-context-readonlyrootfilesystem\n"
                         "spec:\n  replicas"})
    assert "K8017" not in {f.rule.id for f in run_review(write_tree(tmp_path / "a", files)).findings}
    files = app(replace={"            readOnlyRootFilesystem: true\n": "",
                         "  namespace: shop\nspec:\n  replicas":
                         "  namespace: shop\n  annotations:\n"
                         "    ignore-check.kube-linter.io/no-read-only-root-fs: logs\n"
                         "spec:\n  replicas"})
    assert "K8017" not in {f.rule.id for f in run_review(write_tree(tmp_path / "b", files)).findings}


def test_cpu_limit_rule_is_opt_in(tmp_path):
    write_tree(tmp_path, app())
    assert not [f for f in run_review(tmp_path).findings if f.rule.id == "K8004"]
    cfg = Config()
    cfg.enable = {"K8004"}
    assert [(f.path, f.line) for f in run_review(tmp_path, config=cfg).findings
            if f.rule.id == "K8004"] == [("deploy.yaml", 40)]


def test_good_app_has_no_warning_or_critical(tmp_path):
    write_tree(tmp_path, app(extra=INGRESS))
    result = run_review(tmp_path)
    assert [(f.rule.id, f.path, f.line) for f in result.findings
            if f.severity != "suggestion"] == []


def test_every_kubernetes_rule_has_a_firing_and_a_clean_case():
    ids = {r.id for r in all_rules() if r.domain == "kubernetes"}
    assert ids <= {c[0] for c in CASES if c[2]}, sorted(ids - {c[0] for c in CASES if c[2]})
    assert ids <= {c[0] for c in CASES if not c[2]}


def test_exemption_annotations(tmp_path):
    files = app(replace={"            readOnlyRootFilesystem: true\n": ""})
    base = [f.rule.id for f in run_review(write_tree(tmp_path / "a", files)).findings]
    assert "K8017" in base
    ours = app(replace={"            readOnlyRootFilesystem: true\n": "",
                        "    metadata:\n      labels:\n        app: web\n":
                        "    metadata:\n      annotations:\n        infra-expert.io/ignore: "
                        "\"K8017 writes to /var/cache\"\n      labels:\n        app: web\n"})
    assert "K8017" not in [f.rule.id for f in run_review(write_tree(tmp_path / "b", ours)).findings]
    peer = app(replace={"            readOnlyRootFilesystem: true\n": "",
                        "  namespace: shop\nspec:\n  replicas":
                        "  namespace: shop\n  annotations:\n    "
                        "polaris.fairwinds.com/notReadOnlyRootFilesystem-exempt: \"true\"\n"
                        "spec:\n  replicas"})
    assert "K8017" not in [f.rule.id for f in run_review(write_tree(tmp_path / "c", peer)).findings]
    container = app(replace={"            readOnlyRootFilesystem: true\n": "",
                             "  namespace: shop\nspec:\n  replicas":
                             "  namespace: shop\n  annotations:\n    "
                             "infra-expert.io/ignore-container.web: K8017\nspec:\n  replicas"})
    assert "K8017" not in [f.rule.id for f in
                           run_review(write_tree(tmp_path / "d", container)).findings]


def test_multi_document_list_and_unknown_kinds(tmp_path):
    text = ("apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n"
            "    metadata: {name: p}\n    spec:\n      hostNetwork: true\n      containers: []\n"
            "---\napiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n"
            "  name: r\nspec:\n  groups: []\n")
    write_tree(tmp_path, {"m.yaml": text})
    result = run_review(tmp_path)
    assert [(f.rule.id, f.line) for f in result.findings if f.rule.id == "K8023"] == \
        [("K8023", 8)]
    assert not result.notices
