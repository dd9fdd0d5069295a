"""Project context as Docker Compose and Podman see it: overlays merged onto their base,
files given alone with their base, unit or builder, `extends` said once at its source,
classification, and what was found but not reviewed."""

import os

from infra_expert.discover import classify_content, classify_name

from conftest import run_review, write_tree

BASE = """\
name: shop
services:
  db:
    image: postgres:16.3
    restart: unless-stopped
    environment:
      POSTGRES_PASSWORD: ${DB_PASSWORD}
    volumes:
      - db:/var/lib/postgresql/data
  web:
    extends:
      file: shared/base.yaml
      service: hardened
    image: ghcr.io/acme/web:1.4.2
    ports:
      - "127.0.0.1:8080:8080"
    deploy:
      resources:
        limits:
          memory: 256M
  worker:
    extends:
      file: shared/base.yaml
      service: hardened
    image: ghcr.io/acme/worker:1.4.2
volumes:
  db: {}
"""
SHARED = """\
services:
  hardened:
    image: busybox:1.36
    restart: unless-stopped
    privileged: true
    read_only: true
"""
CI = """\
services:
  db:
    environment:
      POSTGRES_PASSWORD: postgres
  mailhog:
    image: mailhog/mailhog:v1.0.1
    ports:
      - "127.0.0.1:8080:8025"
"""
PROD = """\
services:
  db:
    deploy:
      resources:
        limits:
          memory: 1G
  web:
    ports:
      - "8443:8080"
"""
PROJECT = {"compose.yaml": BASE, "shared/base.yaml": SHARED, "compose.ci.yaml": CI,
           "compose.prod.yaml": PROD, ".env": "DB_PASSWORD=${VAULT_DB_PASSWORD}\n",
           ".gitignore": ".env\n"}


def found(result, rule_id=None, path=None):
    return sorted((f.rule.id, f.path, f.line) for f in result.findings
                  if (rule_id is None or f.rule.id == rule_id)
                  and (path is None or f.path == path))


def test_realistic_project_base_two_overlays_env_and_shared_extends(tmp_path):
    write_tree(tmp_path, PROJECT)
    result = run_review(tmp_path)
    assert not [n for n in result.notices if "internal error" in n.message]
    # extends: the privileged value of the shared service is said once, at its source
    assert found(result, "DC002") == [("DC002", "shared/base.yaml", 5)]
    assert "service `hardened`" in next(f.message for f in result.findings
                                        if f.rule.id == "DC002")
    # the base's own findings are the base's, once: db has no memory limit in the base
    assert found(result, "DC031", "compose.yaml") == [("DC031", "compose.yaml", 3),
                                                      ("DC031", "compose.yaml", 21)]
    # an overlay never contradicts its base nor repeats a base finding per overlay
    assert found(result, "DC053") == []
    assert found(result, "DC031", "compose.prod.yaml") == []
    assert not [f for f in result.findings if f.path == "compose.prod.yaml"
                and f.rule.id in ("DC003", "DC032", "DC033", "DC035", "DC041")]
    # what an overlay introduces is reported on the overlay
    assert ("DC005", "compose.prod.yaml", 9) in found(result)
    assert ("DC020", "compose.ci.yaml", 4) in found(result)
    assert ("DC048", "compose.ci.yaml", 8) in found(result)
    assert ("DC031", "compose.ci.yaml", 5) in found(result)   # a service only it adds
    # a finding in the base that only the combination has names it
    combined = [f for f in result.findings if f.path == "compose.yaml"
                and "(with `compose.ci.yaml`)" in f.message]
    assert [(f.rule.id, f.line) for f in combined] == [("DC051", 3)]
    # the resources table counts the base's services once, not once per overlay, and a
    # file of `extends` templates is not a project of its own
    projects = result.resources["compose"]["projects"]
    assert sorted(p["path"] for p in projects) == ["compose.yaml"]
    assert ("shared/base.yaml", "compose") in result.files


def test_overlay_named_or_in_a_d_folder(tmp_path):
    write_tree(tmp_path, {
        "docker-compose.yml": "services:\n  app:\n    image: nginx:1.27\n"
                              "    mem_limit: 256m\n",
        "docker-compose.gpu.yml": "services:\n  app:\n    gpus: all\n",
        "docker-compose.override.yml.d/10-debug.yml": "services:\n  app:\n"
                                                      "    privileged: true\n",
    })
    result = run_review(tmp_path)
    kinds = {p: d for p, d in result.files}
    assert kinds["docker-compose.gpu.yml"] == "compose"
    assert found(result, path="docker-compose.gpu.yml") == []
    assert found(result, "DC002") == [("DC002", "docker-compose.override.yml.d/10-debug.yml", 3)]
    assert found(result, "DC031") == []      # the base sets a limit: no overlay contradicts it


def test_a_complete_alternative_file_stays_a_project_of_its_own(tmp_path):
    write_tree(tmp_path, {
        "compose.yaml": "services:\n  app:\n    image: nginx:1.27\n",
        "compose.tools.yaml": "services:\n  adminer:\n    image: adminer:4\n",
    })
    result = run_review(tmp_path)
    assert ("DC031", "compose.tools.yaml", 2) in found(result)


def test_override_given_alone_loads_its_base_and_keeps_its_own_findings(tmp_path):
    write_tree(tmp_path, {
        "compose.yaml": "services:\n  db:\n    image: postgres:16\n    mem_limit: 1g\n",
        "compose.override.yaml": "services:\n  db:\n    ports:\n      - '5432:5432'\n",
    })
    (tmp_path / ".git").mkdir()
    result = run_review(tmp_path, ["compose.override.yaml"])
    assert result.files == [("compose.override.yaml", "compose")]
    assert {f.path for f in result.findings} == {"compose.override.yaml"}
    assert ("DC005", "compose.override.yaml", 4) in found(result)
    assert found(result, "DC053") == [] and found(result, "DC031") == []
    result = run_review(tmp_path, ["compose.ci.yaml"] if False else ["compose.override.yaml",
                                                                      "compose.yaml"])
    assert ("DC019", "compose.yaml", 3) in found(result)      # both asked: both kept


def test_overlay_given_alone_loads_its_base(tmp_path):
    write_tree(tmp_path, {"compose.yaml": BASE, "shared/base.yaml": SHARED,
                          "compose.ci.yaml": CI})
    (tmp_path / ".git").mkdir()
    result = run_review(tmp_path, ["compose.ci.yaml"])
    assert {f.path for f in result.findings} == {"compose.ci.yaml"}
    assert ("DC048", "compose.ci.yaml", 8) in found(result)
    assert not [f for f in result.findings if "service `db`" in f.message
                and f.rule.id != "DC020"]


def test_quadlet_drop_in_given_alone_loads_its_unit(tmp_path):
    write_tree(tmp_path, {
        "web.container": "[Container]\nImage=docker.io/library/nginx:1.27\n",
        "web.container.d/10-debug.conf": "[Container]\nAddCapability=SYS_ADMIN\n",
    })
    (tmp_path / ".git").mkdir()
    result = run_review(tmp_path, ["web.container.d/10-debug.conf"])
    assert result.files == [("web.container", "podman")]   # reviewed with its drop-in
    paths = {f.path for f in result.findings}
    assert paths == {"web.container.d/10-debug.conf"}, paths
    assert not [n for n in result.notices if "not recognised" in n.message]


def test_dockerfile_given_alone_gets_the_compose_service_that_builds_it(tmp_path):
    write_tree(tmp_path, {
        "compose.yaml": "services:\n  api:\n    build: ./api\n    privileged: true\n",
        "api/Dockerfile": "FROM python:3.12-slim\nCOPY . /app\nCMD [\"python\", \"app\"]\n",
        "api/.dockerignore": ".git\n",
    })
    (tmp_path / ".git").mkdir()
    result = run_review(tmp_path, ["api/Dockerfile"])
    assert {f.path for f in result.findings} == {"api/Dockerfile"}
    assert [p for p, _ in result.files] == ["api/Dockerfile"]
    # the service that builds it is known: no "no USER" critical for a build the Compose
    # service runs as it says (the builder context is loaded, not reviewed)
    from infra_expert.config import Config
    from infra_expert.discover import discover
    os.chdir(tmp_path)
    docs, _ = discover(["api/Dockerfile"], Config(), str(tmp_path))
    assert sorted(d.path for d in docs) == ["api/Dockerfile", "compose.yaml"]


def test_extends_from_a_shared_file_is_said_once_across_projects(tmp_path):
    write_tree(tmp_path, {
        "shared/base.yaml": SHARED,
        "a/compose.yaml": "services:\n  one:\n    extends:\n      file: ../shared/base.yaml\n"
                          "      service: hardened\n",
        "b/compose.yaml": "services:\n  two:\n    extends:\n      file: ../shared/base.yaml\n"
                          "      service: hardened\n  three:\n    extends:\n"
                          "      file: ../shared/base.yaml\n      service: hardened\n",
    })
    result = run_review(tmp_path)
    assert found(result, "DC002") == [("DC002", "shared/base.yaml", 5)]


def test_compose_classification_needs_compose_services():
    helm_like = "services:\n  api:\n    enabled: true\n    replicas: 2\n"
    assert classify_content(helm_like, "config.yaml") is None
    listed = "services:\n  - name: web\n    image: nginx\n"
    assert classify_content(listed, "inventory.yaml") is None
    compose = "services:\n  api:\n    settings:\n      a: 1\n    image: nginx:1\n"
    assert classify_content(compose, "stack.yaml") == ("compose", "compose")
    assert classify_content("services:\n  api:\n    image: x\n", "values-prod.yaml") is None


def test_files_of_a_helm_chart_are_never_compose(tmp_path):
    compose_like = "services:\n  api:\n    image: nginx\n    ports: ['80:80']\n"
    write_tree(tmp_path, {
        "chart/Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\n",
        "chart/values.yaml": compose_like,
        "chart/ci/test-values.yaml": compose_like,
        "chart/files/docker-compose.yml": compose_like,
        "values-dev.yaml": compose_like,
        "app/stack.yml": compose_like,
    })
    result = run_review(tmp_path)
    compose = sorted(p for p, d in result.files if d == "compose")
    assert compose == ["app/stack.yml"]


def test_flux_placeholder_replicas_are_not_one_replica(tmp_path):
    deploy = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n"
              "  replicas: {r}\n  selector:\n    matchLabels: {{app: app}}\n  template:\n"
              "    metadata:\n      labels: {{app: app}}\n    spec:\n      containers:\n"
              "        - name: app\n          image: ghcr.io/acme/app:${{APP_VERSION}}\n")
    write_tree(tmp_path, {"flux/app.yaml": deploy.format(r="${REPLICAS:=1}"),
                          "plain/app.yaml": deploy.format(r=1)})
    result = run_review(tmp_path)
    assert found(result, "K8058") == [("K8058", "plain/app.yaml", 6)]
    assert not [f for f in result.findings if f.path == "flux/app.yaml"
                and "image" in f.message.lower() and "tag" in f.message.lower()]


def test_operations_files_are_reviewed_by_their_domains(tmp_path):
    flow = "id: hello\nnamespace: company.team\ntasks:\n  - id: log\n    type: io.kestra.Log\n"
    write_tree(tmp_path, {
        "Dockerfile": "FROM alpine:3.20\nUSER 1000\n",
        "flows/a.yaml": flow, "flows/b.yml": flow,
        "systemd/backup.service": "[Unit]\nDescription=b\n[Service]\nExecStart=/bin/true\n",
        "systemd/backup.timer": "[Unit]\nDescription=b\n[Timer]\nOnCalendar=daily\n",
        "systemd/notes.service": "just some notes\n",
        "cron/crontab.cron": "# m h dom mon dow\n0 3 * * * /usr/local/bin/backup\n",
        "monitoring/rules.yml": "groups:\n  - name: a\n    rules:\n      - alert: Down\n"
                                "        expr: up == 0\n",
        "monitoring/alertmanager.yml": "route:\n  receiver: x\nreceivers:\n  - name: x\n",
    })
    result = run_review(tmp_path)
    assert not [n for n in result.notices if "not reviewed" in n.message]
    assert sorted(result.files) == [
        ("Dockerfile", "dockerfile"), ("cron/crontab.cron", "cron"),
        ("flows/a.yaml", "kestra"), ("flows/b.yml", "kestra"),
        ("monitoring/alertmanager.yml", "monitoring"), ("monitoring/rules.yml", "monitoring"),
        ("systemd/backup.service", "systemd"), ("systemd/backup.timer", "systemd")]


def test_a_run_that_reviewed_nothing_says_so(tmp_path):
    write_tree(tmp_path, {"config/app.yaml": "listen: 8080\nworkers: 4\n",
                          "notes.service": "just some notes\n"})
    result = run_review(tmp_path)
    assert result.files == []
    assert result.notices[0].message.startswith("nothing was reviewed: no Dockerfile, ")


def test_recognition_by_name_then_content():
    assert classify_name("backup.timer") == ("systemd", "timer")
    assert classify_content("[Unit]\nA=b\n", "x.service") is None   # named: by_name's
    assert classify_name("x.service") == ("systemd", "service")
    assert classify_content("*/5 * * * * root run\n", "crontab") is not None \
        or classify_name("crontab") == ("cron", "crontab")
    assert classify_content("id: a\nnamespace: n\ntasks: []\n", "flow.yaml") == (
        "kestra", "flow")
    assert classify_content("groups: []\n", "values.yaml") is None


def test_quadlet_drop_in_given_alone_outside_git(tmp_path):
    write_tree(tmp_path, {
        "web.container": "[Container]\nImage=docker.io/library/nginx:1.27\n",
        "web.container.d/10-debug.conf": "[Container]\nAddCapability=SYS_ADMIN\n",
    })
    result = run_review(tmp_path, ["web.container.d/10-debug.conf"])
    assert {f.path for f in result.findings} == {"web.container.d/10-debug.conf"}
    assert not [n for n in result.notices if "outside" in n.message]


def test_extends_file_through_an_unset_variable_is_a_notice_not_a_broken_file(tmp_path):
    files = {"app/compose.yml": "services:\n  web:\n    image: nginx:1.27\n    extends:\n"
                                "      file: ${REPO_ROOT}/shared/compose.yml\n"
                                "      service: app\n  worker:\n    image: w:1\n    extends:\n"
                                "      file: ${REPO_ROOT}/shared/compose.yml\n"
                                "      service: app\n    depends_on:\n      web:\n"
                                "        condition: service_healthy\n"}
    write_tree(tmp_path, files)
    result = run_review(tmp_path)
    assert not [f for f in result.findings if f.rule.id == "DC024"]
    told = [n for n in result.notices if "names a file through variables" in n.message]
    assert len(told) == 1 and told[0].path.endswith("app/compose.yml")
    assert [f.line for f in result.findings if f.rule.id == "DC026"] == [5]
    # web's healthcheck may come from the base that could not be read: not "missing"
    assert not [f for f in result.findings if f.rule.id == "DC038"]


def test_what_an_unreadable_extends_may_give_is_not_said_missing(tmp_path):
    # matejkosiarcik/homelab's shape: every service extends a shared template through a
    # variable its deploy script sets; the template sets restart, read_only, limits …
    files = {"app/compose.yml": "services:\n"
                                "  web:\n"
                                "    extends:\n"
                                "      file: ${REPO_ROOT}/shared/compose.yml\n"
                                "      service: app\n"
                                "    privileged: true\n"
                                "  sidecar:\n"
                                "    image: busybox:1.36\n"}
    write_tree(tmp_path, files)
    result = run_review(tmp_path)
    at = lambda rule: [f.line for f in result.findings if f.rule.id == rule]
    assert at("DC030") == [7] and at("DC031") == [7]    # the sidecar's own, still said
    assert at("DC002") == [6]                           # what `web` sets is judged
    assert not [f for f in result.findings if f.line == 2]   # nothing "missing" on web


def test_container_name_emptied_by_an_unset_variable_is_the_variables_finding(tmp_path):
    files = {"compose.yaml": "services:\n  web:\n    image: nginx:1.27\n"
                             "    container_name: ${APP}-web\n  db:\n    image: postgres:16.4\n"
                             "    container_name: -db\n"}
    write_tree(tmp_path, files)
    result = run_review(tmp_path)
    assert [f.line for f in result.findings if f.rule.id == "DC047"] == [7]
    assert [f.line for f in result.findings if f.rule.id == "DC026"] == [4]


def test_rule_file_given_alone_is_judged_with_the_prometheus_yml_beside_it(tmp_path):
    write_tree(tmp_path, {
        "monitoring/prometheus.yml": "global:\n  scrape_interval: 1m\nrule_files: [app.rules.yml]\n"
                                     "scrape_configs:\n  - job_name: app\n"
                                     "    static_configs: [{targets: ['app:8080']}]\n",
        "monitoring/app.rules.yml": "groups:\n  - name: app\n    rules:\n      - alert: Errors\n"
                                    "        expr: rate(errors_total[1m]) > 1\n        for: 5m\n"
                                    "        labels: {severity: warning}\n"
                                    "        annotations: {summary: errors}\n"})
    (tmp_path / ".git").mkdir()
    result = run_review(tmp_path, ["monitoring/app.rules.yml"])
    assert [p for p, _ in result.files] == ["monitoring/app.rules.yml"]
    assert [(f.path, f.line) for f in result.findings if f.rule.id == "MO009"] == [
        ("monitoring/app.rules.yml", 5)]
    assert {f.path for f in result.findings} == {"monitoring/app.rules.yml"}


def test_a_helmrelease_that_hands_templates_to_its_chart_is_an_object():
    # bjw-s app-template values may say `{{ .Release.Name }}`: the HelmRelease is still a
    # Flux object to review (it was skipped as a Helm template, then shown at the
    # kustomization's line 1 through the render); a chart's own template is not
    release = ("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n"
               "  name: qui\nspec:\n  values:\n    controllers:\n      qui:\n"
               "        containers:\n          app:\n            envFrom:\n"
               "              - secretRef:\n                  name: '{{ .Release.Name }}-secret'\n")
    assert classify_content(release, "helmrelease.yaml") == ("kubernetes", "manifest")
    template = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
                "  name: {{ .Release.Name }}\n")
    assert classify_content(template, "deployment.yaml") is None
