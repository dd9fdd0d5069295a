"""Say it once, in order: a rule is one entry per review listing its places, the hardening
baseline is a table, an unset variable is one finding, the review opens with the must-fix
items, and a positive never sits beside a finding about the same setting."""

import json
import re
import subprocess
import sys

from infra_expert.report import render

from conftest import run_review, write_tree

HARDENED = """\
    security_opt: ["no-new-privileges:true"]
    cap_drop: [ALL]
    read_only: true
    pids_limit: 200
    mem_limit: 256m
    cpus: 0.5
    logging:
      driver: local
"""

# A homelab project: one hardened proxy, five plain services, an override adding a sixth,
# and a variable used three times that no .env sets.
PROJECT = {
    "compose.yaml": f"""\
name: homeapps
services:
  proxy:
    image: traefik:v3.1.2
{HARDENED}    ports:
      - "127.0.0.1:8080:80"
    healthcheck:
      test: ["CMD", "traefik", "healthcheck"]
  app:
    image: ghcr.io/example/app:1.4.0
    environment:
      TAG: ${{APP_TAG}}
      URL: https://${{DOMAIN}}/app
    depends_on:
      db:
        condition: service_healthy
  worker:
    image: ghcr.io/example/app:1.4.0
    environment:
      URL: https://${{DOMAIN}}/worker
  db:
    image: postgres:16.4
    healthcheck:
      test: ["CMD", "pg_isready"]
  redis:
    image: redis:7.2.5
  backup:
    image: ghcr.io/example/backup:2.0.1
    environment:
      TARGET: s3://${{DOMAIN}}/backups
""",
    "compose.override.yaml": """\
services:
  adminer:
    image: adminer:4.8.1
""",
}


def _project(tmp_path):
    write_tree(tmp_path, PROJECT)
    return run_review(tmp_path)


def _entries(text, rule_id):
    return [ln for ln in text.splitlines() if ln.startswith(f"- **{rule_id}**")]


def test_a_rule_on_many_services_is_one_entry_listing_them(tmp_path):
    result = _project(tmp_path)
    no_health = [f for f in result.findings if f.rule.id == "DC035"]
    assert len(no_health) == 5                      # one result per place stays
    text = render(result, "markdown")
    [entry] = _entries(text, "DC035")
    assert entry.endswith("— `compose.yaml`: 5 of 7 services: `adminer`, `app`, `worker` (+2)")
    body = text.split(entry, 1)[1].split("\n- ", 1)[0]
    assert "  - Seen: `compose.override.yaml:2` service `adminer`: no healthcheck" in body
    assert "(+2 more; `--full` lists every place)" in body
    full = render(result, "markdown", full=True)
    body = full.split(_entries(full, "DC035")[0], 1)[1].split("\n- ", 1)[0]
    for f in no_health:
        assert f"`{f.path}:{f.line}` {f.message}" in body
    assert "--full" not in body


def test_the_same_rule_across_projects_is_one_entry_with_counts(tmp_path):
    for name in ("media", "tools", "notes"):
        write_tree(tmp_path / name, {"compose.yaml": f"""\
services:
  {name}:
    image: example/{name}:1.0
  {name}-db:
    image: postgres:16.4
"""})
    text = render(run_review(tmp_path), "markdown")
    [entry] = _entries(text, "DC035")
    assert ("6 places in 3 files: `media/compose.yaml` (2 of 2 services), "
            "`notes/compose.yaml` (2 of 2 services), `tools/compose.yaml` (2 of 2 services)"
            in entry)


def test_json_and_sarif_keep_every_place_with_a_group_key(tmp_path):
    result = _project(tmp_path)
    data = json.loads(render(result, "json"))
    groups = {f["group"] for f in data["findings"] if f["rule"] == "DC035"}
    assert groups == {"DC035:compose.yaml"}
    assert len([f for f in data["findings"] if f["rule"] == "DC035"]) == 5
    # the override's finding folds with the base file's: one project
    assert {f["path"] for f in data["findings"] if f["rule"] == "DC035"} == {
        "compose.yaml", "compose.override.yaml"}
    sarif = json.loads(render(result, "sarif"))
    results = sarif["runs"][0]["results"]
    assert all(r["properties"]["group"] == f"{r['ruleId']}:compose.yaml" for r in results)
    assert len(results) == len(data["findings"])


def test_the_hardening_baseline_is_one_table_per_project(tmp_path):
    text = render(_project(tmp_path), "markdown")
    for rule_id in ("DC003", "DC006", "DC007", "DC031", "DC032", "DC033", "DC041"):
        assert not _entries(text, rule_id), rule_id
    [head] = [ln for ln in text.splitlines() if ln.startswith("- **Hardening baseline**")]
    assert "`compose.yaml`: 6 of 7 services lack at least one item" in head
    assert ("  | Service | no-new-privileges | cap_drop ALL | read-only root | memory limit | "
            "CPU limit | pids limit | logging |") in text
    assert "  | `proxy` | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ |" in text
    assert "  | `app` | ✗ | ✗ | ✗ | ✗ | ✗ | ✗ | ✗ |" in text
    assert "  | `adminer` | ✗ | ✗ | ✗ | ✗ | ✗ | ✗ | ✗ |" in text
    # memory is a warning: the table stands in the warnings, and says so
    warnings = text.split("### 🟡 Warnings", 1)[1].split("### 🟢", 1)[0]
    assert "**Hardening baseline**" in warnings
    assert "Missing memory limit: warning" in warnings
    assert "Fix pids limit (**DC033**)" in warnings


def test_many_projects_fold_the_baseline_into_one_row_each(tmp_path):
    for i in range(5):
        write_tree(tmp_path / f"app{i}", {"compose.yaml": f"""\
services:
  web:
    image: example/web:{i}.0
  cache:
    image: redis:7.2.5
{HARDENED.replace('    ', '    ', 1)}"""})
    result = run_review(tmp_path)
    text = render(result, "markdown")
    assert "| Project (services lacking / all) |" in text
    assert "| `app0/compose.yaml` | ✗ 1/2 |" in text
    full = render(result, "markdown", full=True)
    assert "  `app4/compose.yaml`:" in full and "  | `cache` | ✓ |" in full


def test_kubernetes_baseline_table(tmp_path):
    write_tree(tmp_path, {"k8s/deploy.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27.0
          securityContext:
            runAsNonRoot: true
            allowPrivilegeEscalation: false
        - name: sidecar
          image: busybox:1.36.1
"""})
    text = render(run_review(tmp_path), "markdown")
    [head] = [ln for ln in text.splitlines() if ln.startswith("- **Hardening baseline**")]
    assert "`k8s`: 2 of 2 containers lack at least one item" in head
    row = [ln for ln in text.splitlines() if "container `sidecar`" in ln and ln.startswith("  |")]
    assert row and "✓" not in row[0].split("|", 2)[2].split("|")[0]
    web = [ln for ln in text.splitlines() if "container `web`" in ln and ln.startswith("  |")]
    cells = [c.strip() for c in web[0].strip().strip("|").split("|")[1:]]
    assert cells[:2] == ["✓", "✓"]                 # runAsNonRoot, no privilege escalation


def test_an_unset_variable_is_one_finding_listing_its_uses(tmp_path):
    result = _project(tmp_path)
    unset = sorted((f.line, f.message) for f in result.findings if f.rule.id == "DC026")
    assert [line for line, _ in unset] == [20, 21]
    assert unset[0][1].startswith("`APP_TAG` is not set") and "used" not in unset[0][1]
    assert unset[1][1].startswith("`DOMAIN` is not set")
    assert unset[1][1].endswith("; used 3 times, also at line 28, line 38")


def test_the_review_opens_with_the_must_fix_items_in_order(tmp_path):
    write_tree(tmp_path, {"compose.yaml": """\
services:
  app:
    image: example/app:1.0
    environment:
      DB_PASSWORD: "S3cure-Pa55-2024"
  monitor:
    image: example/monitor:2.1
    privileged: true
  ci:
    image: example/ci:1.0
    privileged: true
"""})
    result = run_review(tmp_path)
    text = render(result, "markdown")
    head, rest = text.split("### 🔴 Critical (must fix)", 1)
    must = [ln for ln in head.splitlines() if re.match(r"\d+\. \*\*", ln)]
    section = [ln for ln in rest.split("### 🟡", 1)[0].splitlines() if ln.startswith("- **")]
    assert [m.split("**")[1] for m in must] == [s.split("**")[1] for s in section]
    assert len(must) >= 2
    privileged = [m for m in must if "**DC002**" in m][0]
    first = min((f for f in result.findings if f.rule.id == "DC002"), key=lambda f: f.line)
    assert privileged.endswith(f"— `compose.yaml:{first.line}` (+1 more)")
    crit = [f.rule.id for f in result.findings if f.severity == "critical"]
    assert [m.split("**")[1] for m in must] == list(dict.fromkeys(crit))


def test_no_positive_beside_a_finding_on_the_same_setting(tmp_path):
    # every service drops ALL, one adds SYS_ADMIN back: "capabilities dropped" is not praise
    write_tree(tmp_path, {"compose.yaml": """\
services:
  web:
    image: example/web:1.0
    cap_drop: [ALL]
  vpn:
    image: example/vpn:1.0
    cap_drop: [ALL]
    cap_add: [SYS_ADMIN]
"""})
    result = run_review(tmp_path)
    assert any(f.rule.id == "DC011" for f in result.findings)
    assert not [p for p in result.positives if p.rule.id == "DC006"]


def test_no_positive_in_the_base_when_the_override_breaks_it(tmp_path):
    # the base drops capabilities on its service; the override adds one that does not
    write_tree(tmp_path, {
        "compose.yaml": "services:\n  web:\n    image: example/web:1.0\n    cap_drop: [ALL]\n",
        "compose.override.yaml": "services:\n  debug:\n    image: example/debug:1.0\n"})
    result = run_review(tmp_path)
    assert [f.path for f in result.findings if f.rule.id == "DC006"] == ["compose.override.yaml"]
    assert not [p for p in result.positives if p.rule.id == "DC006"]
    found = {(f.rule.id, f.project) for f in result.findings}
    assert not [p for p in result.positives if (p.rule.id, "compose.yaml") in found]


def test_full_flag_on_the_command_line(tmp_path):
    write_tree(tmp_path, PROJECT)
    run = [sys.executable, "-m", "infra_expert", "review", ".", "--no-config", "-f", "markdown"]
    short = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True).stdout
    full = subprocess.run(run + ["--full"], cwd=tmp_path, capture_output=True, text=True).stdout
    assert "`--full` lists every place" in short
    assert "`--full` lists every place" not in full
    assert "`compose.yaml:35` service `backup`: no healthcheck" in full


def test_required_variable_is_said_once_per_variable(tmp_path):
    from conftest import write_tree, run_review
    write_tree(tmp_path, {"compose.yaml": "services:\n  a:\n    image: a:1\n    environment:\n"
                                          "      X: ${PW:?set it}\n      Y: ${PW:?set it}\n"})
    result = run_review(tmp_path)
    hits = [(f.line, f.message) for f in result.findings if f.rule.id == "DC025"]
    assert len(hits) == 1 and hits[0][0] == 5 and "used 2 times, also at line 6" in hits[0][1]
