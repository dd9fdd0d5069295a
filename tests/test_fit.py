"""Will it fit? Host profiles, the totals of what runs together, and RS001/RS002."""

from __future__ import annotations

import json

import pytest
from conftest import run_review, write_tree

from infra_expert.config import Config, ConfigError, apply_settings
from infra_expert.hosts import GIB, MIB, custom_host, parse_host, parse_size
from infra_expert.report.json_report import render_json
from infra_expert.report.markdown import render_review

COMPOSE = """services:
  db:
    image: postgres:16.4
    mem_limit: 1g
  app:
    image: ghcr.io/example/app:1.4.2
    deploy:
      resources:
        limits: {memory: 1.5g, cpus: "0.5"}
  cache:
    image: valkey/valkey:8.0
  tools:
    image: alpine:3.20
    profiles: [tools]
"""
K8S = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: apps}
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: web
          image: ghcr.io/example/web:1.0.0
          resources: {limits: {memory: 512Mi, cpu: 500m}, requests: {memory: 256Mi}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: apps}
spec:
  template:
    spec:
      containers:
        - name: agent
          image: ghcr.io/example/agent:1.0.0
          resources: {limits: {memory: 128Mi}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: apps}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: report
              image: ghcr.io/example/report:1.0.0
              resources: {limits: {memory: 2Gi}}
"""


def _config(host=None, **more):
    cfg = Config()
    data = {"host": host} if host else {}
    data.update(more)
    return apply_settings(cfg, data, set(), "test")


def _rs(result):
    return sorted((f.rule.id, f.severity, f.path, f.line) for f in result.findings
                  if f.rule.id.startswith("RS"))


def test_profiles_and_sizes():
    pi = parse_host("rpi4-4gb")
    assert (pi.memory, pi.cpus, pi.arch, pi.storage) == (4 * GIB, 4, "arm64", "sd")
    assert pi.usable_memory == 4 * GIB - int(4 * GIB * 0.10)
    assert parse_host("rpi3-1gb").usable_memory == 1 * GIB - 256 * MIB   # the floor
    vm = parse_host("vm-512m-1")
    assert (vm.memory, vm.cpus) == (512 * MIB, 1)
    assert parse_host("VM-4g-2").memory == 4 * GIB
    for bad in ("rpi9", "vm-4g", "vm-1m-1", "vm-4g-0"):
        with pytest.raises(ValueError):
            parse_host(bad)
    assert parse_size("1.5GiB") == int(1.5 * GIB) and parse_size("512M") == 512 * MIB
    assert parse_size("2048MiB") == 2 * GIB
    with pytest.raises(ValueError):
        parse_size("4")      # a bare small number is not a memory size
    host = custom_host(parse_host("rpi4-4gb"), memory="3GiB", arch="arm64", storage="ssd")
    assert (host.memory, host.storage) == (3 * GIB, "ssd")


def test_host_settings_are_validated():
    assert _config("zimaboard-2gb").host.memory == 2 * GIB
    assert _config(**{"host-memory": "6GiB", "host-cpus": 2}).host.memory == 6 * GIB
    for data in ({"host": "rpi9"}, {"host-cpus": 2}, {"host": "rpi4-4gb", "host-arch": "sparc"},
                 {"host": "rpi4-4gb", "host-storage": "tape"}):
        with pytest.raises(ConfigError):
            apply_settings(Config(), data, set(), "test")


def test_totals_count_what_runs_together(tmp_path):
    write_tree(tmp_path, {"compose.yaml": COMPOSE, "k8s/apps.yaml": K8S})
    result = run_review(tmp_path)
    total = result.resources["total"]
    compose = total["groups"]["Compose project `compose.yaml`"]
    # db 1 GiB + app 1.5 GiB; cache is unbounded; tools is behind a profile
    assert compose["memory_limit_bytes"] == GIB + int(1.5 * GIB)
    assert compose["unbounded"] == ["service `cache`"] and compose["running"] == 3
    assert compose["cpu_limit"] == 0.5
    apps = total["groups"]["namespace `apps`"]
    # 3 replicas × 512 MiB, plus the DaemonSet's pod on this node; the CronJob apart
    assert apps["memory_limit_bytes"] == 3 * 512 * MIB + 128 * MIB
    assert total["batch"] == 1 and total["optional"] == 1
    assert "host" not in total and not _rs(result)


def test_over_the_host_is_critical_near_it_a_warning(tmp_path):
    write_tree(tmp_path, {"compose.yaml": COMPOSE})
    # 2.5 GiB of limits: 3.6 GiB usable on a 4 GiB Pi (69 %), 1.75 on a 2 GiB one (143 %)
    assert _rs(run_review(tmp_path, config=_config("rpi4-4gb"))) == [
        ("RS002", "warning", "compose.yaml", 10), ("RS003", "suggestion", "compose.yaml", 2)]
    assert _rs(run_review(tmp_path, config=_config("rpi4-2gb"))) == [
        ("RS001", "critical", "compose.yaml", 5), ("RS002", "warning", "compose.yaml", 10),
        ("RS003", "warning", "compose.yaml", 2)]
    assert ("RS001", "warning", "compose.yaml", 5) in _rs(
        run_review(tmp_path, config=_config(**{"host-memory": "3.3GiB", "host-cpus": 4})))
    # a big host: everything fits and one unbounded service is not a finding
    assert _rs(run_review(tmp_path, config=_config("nuc-16gb"))) == []


def test_units_and_quadlet_containers_are_the_host_s(tmp_path):
    write_tree(tmp_path, {
        "app.service": "[Service]\nExecStart=/usr/bin/app\nMemoryMax=300M\n[Install]\n"
                       "WantedBy=multi-user.target\n",
        "job.service": "[Service]\nType=oneshot\nExecStart=/usr/bin/job\n",
        "web.container": "[Container]\nImage=docker.io/library/nginx:1.27\n"})
    result = run_review(tmp_path, config=_config("rpi3-1gb"))
    units = result.resources["total"]["groups"]["the host's units"]
    assert units["memory_limit_bytes"] == 300 * MIB and units["running"] == 2
    assert units["unbounded"] == ["container `web.container`"]
    assert _rs(result) == [("RS002", "warning", "web.container", None)]


def test_the_review_answers_the_question(tmp_path):
    write_tree(tmp_path, {"compose.yaml": COMPOSE})
    result = run_review(tmp_path, config=_config("rpi4-2gb"))
    text = render_review(result)
    assert "**Will it fit?** Raspberry Pi 4 (2 GiB): 1792 MiB usable of 2048 MiB" in text
    assert ("| Compose project `compose.yaml` | 3 | 2560 MiB | 1 | ~85 MiB (estimate) | "
            "██████████ 143% (~148% with the estimates) |") in text
    data = json.loads(render_json(result))
    assert data["resources"]["total"]["host"]["usable_memory_bytes"] == 1792 * MIB
    assert data["resources"]["total"]["groups"]["Compose project `compose.yaml`"][
        "share_of_usable_memory"] == 1.429


def test_an_ignored_rule_is_not_judged(tmp_path):
    write_tree(tmp_path, {"compose.yaml": COMPOSE})
    cfg = _config("rpi4-2gb")
    cfg.ignore = {"RS001", "RS002", "RS003"}
    assert _rs(run_review(tmp_path, config=cfg)) == []


# --- estimates from the footprint table (issue 10) ---------------------------------------

ESTIMATED = """services:
  cache:
    image: docker.io/valkey/valkey:8.0
  dash:
    image: grafana/grafana:11.2.0
  db:
    image: postgres:16.4
  nc:
    image: nextcloud:29.0
    mem_limit: 1g
"""


def test_the_footprint_table_cites_every_figure():
    from infra_expert.footprints import ALIASES, TABLE, estimate
    assert TABLE, "the table is empty"
    for name, fp in TABLE.items():
        assert fp.image == name == name.lower()
        assert fp.source.startswith("https://"), name
        assert fp.kind in ("typical", "minimum", "recommended"), name
        assert fp.scope in ("service", "host"), name
        assert fp.idle_bytes > 0 and fp.memory_bytes >= fp.idle_bytes, name
        assert fp.note, name
    for alias, target in ALIASES.items():
        assert target in TABLE, alias
    # looked up by base name, whatever the registry, tag or digest
    assert estimate("valkey/valkey:8.0") is TABLE["redis"]
    assert estimate("ghcr.io/home-assistant/home-assistant:2024.9") is TABLE["home-assistant"]
    assert estimate("codeberg.org/forgejo/forgejo:9@sha256:" + "a" * 64) is TABLE["gitea"]
    # no documented figure, no estimate: never a guess
    for image in ("postgres:16", "ghcr.io/example/app:1.0", "", None, "${IMAGE}"):
        assert estimate(image) is None


def test_estimates_only_where_nothing_is_declared_and_apart(tmp_path):
    from infra_expert.footprints import TABLE
    write_tree(tmp_path, {"compose.yaml": ESTIMATED})
    result = run_review(tmp_path, config=_config("rpi4-2gb"))
    group = result.resources["total"]["groups"]["Compose project `compose.yaml`"]
    # the declared limits are the declared limits: nextcloud's own 1 GiB, no estimate
    assert group["memory_limit_bytes"] == GIB
    assert group["memory_estimated_bytes"] == (TABLE["redis"].memory_bytes
                                               + TABLE["grafana"].memory_bytes)
    assert group["estimated"] is True
    assert [e["name"] for e in group["estimates"]] == ["service `cache`", "service `dash`"]
    assert group["unbounded"] == ["service `cache`", "service `dash`", "service `db`"]
    first = group["estimates"][0]["figures"][0]
    assert first["source"] == TABLE["redis"].source and first["kind"] == "typical"
    # RS002 keeps its places and says the estimate with its source; postgres has none
    found = {f.line: f.message for f in result.findings if f.rule.id == "RS002"}
    assert sorted(found) == [2, 4, 6]
    assert TABLE["redis"].source in found[2] and "estimated ~85 MiB" in found[2]
    assert "estimated" not in found[6]
    data = json.loads(render_json(result))
    jgroup = data["resources"]["total"]["groups"]["Compose project `compose.yaml`"]
    assert jgroup["estimated"] is True and jgroup["memory_limit_bytes"] == GIB
    assert jgroup["memory_estimated_bytes"] == group["memory_estimated_bytes"]


def test_nothing_estimated_when_everything_is_declared(tmp_path):
    write_tree(tmp_path, {"compose.yaml": "services:\n  cache:\n    image: redis:7.4\n"
                                          "    mem_limit: 64m\n"})
    group = run_review(tmp_path).resources["total"]["groups"][
        "Compose project `compose.yaml`"]
    assert group["estimated"] is False and group["memory_estimated_bytes"] == 0
    assert group["estimates"] == [] and group["memory_limit_bytes"] == 64 * MIB


def test_rs001_stays_on_declared_limits(tmp_path):
    # 1.5 GiB declared on a 2 GiB Pi (1792 MiB usable): 86 %, a warning; with the
    # estimate it would pass 100 %, but an estimate never makes it critical
    write_tree(tmp_path, {"compose.yaml": "services:\n  app:\n    image: ghcr.io/x/app:1\n"
                                          "    mem_limit: 1.5g\n  photos:\n"
                                          "    image: ghcr.io/immich-app/immich-server:v1.120\n"})
    result = run_review(tmp_path, config=_config("rpi4-2gb"))
    rs001 = [f for f in result.findings if f.rule.id == "RS001"]
    assert [(f.severity, f.line) for f in rs001] == [("warning", 2)]
    assert "estimated, not declared: ~6144 MiB more for 1 service(s)" in rs001[0].message
    group = result.resources["total"]["groups"]["Compose project `compose.yaml`"]
    assert group["share_of_usable_memory"] == 0.857
    assert group["share_with_estimates"] > 1


def test_kubernetes_estimates_per_container_times_replicas(tmp_path):
    from infra_expert.footprints import TABLE
    write_tree(tmp_path, {"k8s/cache.yaml": """apiVersion: apps/v1
kind: Deployment
metadata: {name: cache, namespace: apps}
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: redis
          image: redis:7.4
        - name: dash
          image: grafana/grafana:11.2.0
        - name: sidecar
          image: ghcr.io/example/exporter:1.0
"""})
    group = run_review(tmp_path).resources["total"]["groups"]["namespace `apps`"]
    (est,) = group["estimates"]
    assert est["replicas"] == 2 and est["partial"] is True
    assert est["memory_bytes"] == 2 * (TABLE["redis"].memory_bytes
                                       + TABLE["grafana"].memory_bytes)
    assert [f["image"] for f in est["figures"]] == ["redis:7.4", "grafana/grafana:11.2.0"]
    assert group["memory_estimated_bytes"] == est["memory_bytes"]


def test_quadlet_image_is_estimated(tmp_path):
    from infra_expert.footprints import TABLE
    write_tree(tmp_path, {"dns.container":
                          "[Container]\nImage=docker.io/pihole/pihole:2024.07.0\n"})
    group = run_review(tmp_path).resources["total"]["groups"]["the host's units"]
    assert group["memory_estimated_bytes"] == TABLE["pihole"].memory_bytes
    assert group["estimates"][0]["figures"][0]["scope"] == "host"


def test_the_review_marks_estimates_as_estimates(tmp_path):
    from infra_expert.footprints import TABLE
    write_tree(tmp_path, {"compose.yaml": ESTIMATED})
    result = run_review(tmp_path)
    for markdown in (True, False):
        text = render_review(result, markdown=markdown)
        assert "| Estimated (not declared) |" in text
        assert "| Compose project `compose.yaml` | 4 | 1024 MiB | 3 | ~340 MiB (estimate) |" \
            in text
        assert "Estimated, not declared:" in text
        assert TABLE["grafana"].source in text
        assert "service `dash` in `compose.yaml`: ~255 MiB (minimum, " in text


def test_the_bundled_example_on_a_raspberry_pi_4(monkeypatch):
    """The 📊 section a homelab user reads for `infra-expert review examples/ --host
    rpi4-4gb` (snapshot: tests/snapshots/example-rpi4-4gb-resources.md)."""
    from pathlib import Path

    from test_reporters import check_snapshot

    from infra_expert.engine import review
    root = Path(__file__).resolve().parents[1]
    monkeypatch.chdir(root)
    result = review(["examples"], _config("rpi4-4gb"))
    text = render_review(result)
    section = text[text.index("### 📊 Estimated resources"):]
    section = section[:section.index("#### Notices")] if "#### Notices" in section else section
    check_snapshot("example-rpi4-4gb-resources.md", section)
    assert "**Will it fit?** Raspberry Pi 4 (4 GiB): 3686 MiB usable of 4096 MiB" in section


def test_a_database_without_an_oom_priority(tmp_path):
    # COMPOSE: postgres `db` among others, `cache` unbounded: at risk on any small host
    write_tree(tmp_path, {"compose.yaml": COMPOSE})
    assert ("RS003", "warning", "compose.yaml", 2) in _rs(
        run_review(tmp_path, config=_config("rpi4-2gb")))          # over 80 %: a warning
    assert ("RS003", "suggestion", "compose.yaml", 2) in _rs(
        run_review(tmp_path, config=_config("rpi4-4gb")))
    protected = COMPOSE.replace("    mem_limit: 1g\n", "    mem_limit: 1g\n    oom_score_adj: -500\n")
    write_tree(tmp_path, {"compose.yaml": protected})
    assert not [r for r in _rs(run_review(tmp_path, config=_config("rpi4-2gb")))
                if r[0] == "RS003"]


def test_oom_priority_of_units_and_guaranteed_pods(tmp_path):
    units = {"postgresql.service": "[Service]\nExecStart=/usr/lib/postgresql/16/bin/postgres\n"
                                   "MemoryMax=1G\n",
             "app.service": "[Service]\nExecStart=/usr/bin/app\n"}
    write_tree(tmp_path / "a", units)
    assert [r[:3] for r in _rs(run_review(tmp_path / "a", config=_config("rpi4-4gb")))
            if r[0] == "RS003"] == [("RS003", "suggestion", "postgresql.service")]
    units["postgresql.service"] += "OOMScoreAdjust=-500\n"
    write_tree(tmp_path / "b", units)
    assert not [r for r in _rs(run_review(tmp_path / "b", config=_config("rpi4-4gb")))
                if r[0] == "RS003"]
    pods = ("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  template:\n"
            "    spec:\n      containers:\n        - name: db\n          image: postgres:16.4\n"
            "          resources: {requests: {memory: 1Gi, cpu: 500m}, limits: {memory: 1Gi, "
            "cpu: 500m}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\n"
            "spec:\n  template:\n    spec:\n      containers:\n        - name: app\n"
            "          image: ghcr.io/example/app:1.0.0\n")
    write_tree(tmp_path / "c", {"db.yaml": pods})
    assert not [r for r in _rs(run_review(tmp_path / "c", config=_config("rpi4-4gb")))
                if r[0] == "RS003"]        # Guaranteed QoS: the last the kubelet kills
    write_tree(tmp_path / "d", {"db.yaml": pods.replace("requests: {memory: 1Gi, cpu: 500m}, ",
                                                        "")})
    assert [r[0] for r in _rs(run_review(tmp_path / "d", config=_config("rpi4-4gb")))
            if r[0] == "RS003"] == ["RS003"]
