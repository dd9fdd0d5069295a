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


def _rs(result, ids=("RS001", "RS002", "RS003")):
    """The RS findings of the run (the memory ones unless `ids` says which; None: all)."""
    return sorted((f.rule.id, f.severity, f.path, f.line) for f in result.findings
                  if f.rule.id.startswith("RS") and (ids is None or f.rule.id in ids))


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
    cfg.ignore = {"RS001", "RS002", "RS003", "RS004", "RS008"}
    assert _rs(run_review(tmp_path, config=cfg), ids=None) == []


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


# --- host findings beyond memory (issue 10): RS004–RS008 ---------------------------------

NEAR = """services:
  db:
    image: postgres:16.4
    mem_limit: 1536m
    oom_score_adj: -500
    volumes:
      - /mnt/ssd/pgdata:/var/lib/postgresql/data
  app:
    image: ghcr.io/example/app:1.4.2
    mem_limit: 1g
"""


def test_no_swap_near_the_limit(tmp_path):
    # 2.5 GiB of limits on a 4 GiB Pi's 3.6 GiB: 69 %, not near; on 3 GiB usable: 83 %
    write_tree(tmp_path / "a", {"compose.yaml": NEAR})
    assert _rs(run_review(tmp_path / "a", config=_config("rpi4-4gb")), ids=("RS004",)) == []
    near = _config(**{"host-memory": "3.3GiB", "host-cpus": 4})
    assert _rs(run_review(tmp_path / "a", config=near), ids=("RS004",)) == [
        ("RS004", "suggestion", "compose.yaml", 2)]          # on the largest: db
    # a zram configuration in the tree (by its name, never read) answers it
    write_tree(tmp_path / "b", {"compose.yaml": NEAR,
                                "host/etc/systemd/zram-generator.conf": "[zram0]\n"})
    assert _rs(run_review(tmp_path / "b", config=near), ids=("RS004",)) == []
    # Kubernetes nodes run without swap: a namespace near the limit is not told to add it
    pods = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n"
            "  template:\n    spec:\n      containers:\n        - name: app\n"
            "          image: ghcr.io/example/app:1.0.0\n"
            "          resources: {limits: {memory: 3Gi}}\n")
    write_tree(tmp_path / "c", {"app.yaml": pods})
    assert _rs(run_review(tmp_path / "c", config=near), ids=("RS004",)) == []


OPS = {
    "etc/cron.d/backup": "MAILTO=ops@example.org\n"
                         "0 3 * * * root pg_dump -U notes notes > /srv/backup/notes.sql\n"
                         "15 * * * * root /usr/local/bin/healthcheck\n",
    "systemd/offsite.service": "[Unit]\nDescription=Off-site copy\n\n[Service]\nType=oneshot\n"
                               "ExecStart=/usr/bin/restic backup /srv/backup\n",
    "systemd/offsite.timer": "[Timer]\nOnCalendar=*-*-* 03:05:00\nPersistent=true\n\n"
                             "[Install]\nWantedBy=timers.target\n",
    "kestra/sync.yaml": "id: photos-sync\nnamespace: homelab.media\ntasks:\n"
                        "  - id: sync\n    type: io.kestra.plugin.scripts.shell.Commands\n"
                        "    commands:\n      - rclone copy /srv/photos b2:photos\n"
                        "triggers:\n  - id: nightly\n    type: io.kestra.plugin.core.trigger."
                        "Schedule\n    cron: \"0 4 * * SUN\"\n",
}


def test_heavy_jobs_starting_together(tmp_path):
    write_tree(tmp_path / "a", OPS)
    found = _rs(run_review(tmp_path / "a", config=_config("rpi4-4gb")), ids=("RS005",))
    # pg_dump at 03:00 and restic at 03:05 every day: one finding, on the first of them
    assert found == [("RS005", "warning", "etc/cron.d/backup", 2)]
    result = run_review(tmp_path / "a", config=_config("rpi4-4gb"))
    message = next(f.message for f in result.findings if f.rule.id == "RS005")
    assert "2 heavy jobs start within 10 minutes of each other, around 03:00, every day" \
        in message and "(pg_dump)" in message and "(restic)" in message
    # a big host: said as a suggestion
    assert _rs(run_review(tmp_path / "a", config=_config("nuc-16gb")), ids=("RS005",)) == [
        ("RS005", "suggestion", "etc/cron.d/backup", 2)]
    # staggered by an hour: nothing; the hourly health check is not heavy
    staggered = dict(OPS, **{"systemd/offsite.timer": OPS["systemd/offsite.timer"].replace(
        "03:05", "04:30")})
    write_tree(tmp_path / "b", staggered)
    assert _rs(run_review(tmp_path / "b", config=_config("rpi4-4gb")), ids=("RS005",)) == []
    # the weekly rclone copy at 04:00 on Sundays meets a 04:00 daily dump once a week
    weekly = dict(staggered, **{"etc/cron.d/backup": OPS["etc/cron.d/backup"].replace(
        "0 3 * * *", "0 4 * * *")})
    write_tree(tmp_path / "c", weekly)
    result = run_review(tmp_path / "c", config=_config("rpi4-4gb"))
    assert [(f.rule.id, f.path, f.line) for f in result.findings if f.rule.id == "RS005"] == [
        ("RS005", "etc/cron.d/backup", 2)]
    assert "every week" in next(f.message for f in result.findings if f.rule.id == "RS005")
    # without a host, nothing is judged
    assert _rs(run_review(tmp_path / "a"), ids=None) == []


def test_cronjobs_asking_for_memory_are_heavy(tmp_path):
    jobs = "".join(
        f"---\napiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: {name}}}\nspec:\n"
        f"  schedule: \"{cron}\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n"
        f"          restartPolicy: OnFailure\n          containers:\n"
        f"            - name: {name}\n              image: ghcr.io/example/{name}:1.0.0\n"
        f"              resources: {{requests: {{memory: {memory}}}}}\n"
        for name, cron, memory in (("reindex", "30 2 * * *", "1Gi"),
                                   ("thumbnails", "30 2 * * *", "512Mi"),
                                   ("ping", "30 2 * * *", "16Mi")))
    write_tree(tmp_path, {"jobs.yaml": jobs})
    result = run_review(tmp_path, config=_config("rpi5-8gb"))
    found = [f for f in result.findings if f.rule.id == "RS005"]
    assert [(f.path, f.line) for f in found] == [("jobs.yaml", None)]
    assert "CronJob `reindex` (requests 1024 MiB)" in found[0].message
    assert "ping" not in found[0].message


SD = """services:
  db:
    image: mariadb:11.4
    mem_limit: 512m
    volumes:
      - db-data:/var/lib/mysql
      - ./init.sql:/docker-entrypoint-initdb.d/init.sql:ro
  web:
    image: nginx:1.27
    mem_limit: 64m
    volumes:
      - ./logs:/var/log/nginx
  archive:
    image: postgres:16.4
    mem_limit: 512m
    volumes:
      - /mnt/usb/pg:/var/lib/postgresql/data
volumes:
  db-data: {}
"""


def test_database_and_logs_on_the_sd_card(tmp_path):
    write_tree(tmp_path, {"compose.yaml": SD})
    assert _rs(run_review(tmp_path, config=_config("rpi4-4gb")), ids=("RS006",)) == [
        ("RS006", "warning", "compose.yaml", 2), ("RS006", "warning", "compose.yaml", 8)]
    # the same stack on an SSD, or with the storage left unsaid: nothing
    assert _rs(run_review(tmp_path, config=_config("zimaboard-8gb")), ids=("RS006",)) == []
    assert _rs(run_review(tmp_path, config=_config("vm-4g-2")), ids=("RS006",)) == []
    ssd = _config("rpi4-4gb", **{"host-storage": "ssd"})
    assert _rs(run_review(tmp_path, config=ssd), ids=("RS006",)) == []


def test_image_for_another_architecture(tmp_path):
    compose = ("services:\n  legacy:\n    image: ghcr.io/example/legacy:2.1.0\n"
               "    platform: linux/amd64\n    mem_limit: 256m\n"
               "  arm32:\n    image: ghcr.io/example/tool:1.0.0\n    platform: linux/arm/v7\n"
               "    mem_limit: 64m\n")
    write_tree(tmp_path, {"compose.yaml": compose})
    assert _rs(run_review(tmp_path, config=_config("rpi4-4gb")), ids=("RS007",)) == [
        ("RS007", "warning", "compose.yaml", 2)]     # an arm64 Pi runs armv7 images too
    assert _rs(run_review(tmp_path, config=_config("nuc-16gb")), ids=("RS007",)) == [
        ("RS007", "warning", "compose.yaml", 6)]
    # the architecture unknown (a VM profile): nothing said
    assert _rs(run_review(tmp_path, config=_config("vm-4g-2")), ids=("RS007",)) == []


ALERTS = """groups:
  - name: host
    rules:
      - alert: HostLowMemory
        expr: node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes < 0.10
        for: 5m
        labels: {severity: warning}
        annotations: {summary: Low memory}
"""


def test_no_alert_on_memory(tmp_path):
    write_tree(tmp_path / "a", {"compose.yaml": NEAR})
    assert _rs(run_review(tmp_path / "a", config=_config("rpi4-4gb")), ids=("RS008",)) == [
        ("RS008", "suggestion", "compose.yaml", 2)]
    assert _rs(run_review(tmp_path / "a", config=_config("nuc-16gb")), ids=("RS008",)) == []
    assert _rs(run_review(tmp_path / "a"), ids=("RS008",)) == []
    write_tree(tmp_path / "b", {"compose.yaml": NEAR, "alerts/host.rules.yml": ALERTS})
    assert _rs(run_review(tmp_path / "b", config=_config("rpi4-4gb")), ids=("RS008",)) == []
    other = ALERTS.replace("node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes < 0.10",
                           "up == 0")
    write_tree(tmp_path / "c", {"compose.yaml": NEAR, "alerts/host.rules.yml": other})
    assert _rs(run_review(tmp_path / "c", config=_config("rpi4-4gb")), ids=("RS008",)) == [
        ("RS008", "suggestion", "alerts/host.rules.yml", None)]
    netdata = NEAR + "  netdata:\n    image: netdata/netdata:v1.47\n    mem_limit: 256m\n"
    write_tree(tmp_path / "d", {"compose.yaml": netdata})
    assert _rs(run_review(tmp_path / "d", config=_config("rpi4-4gb")), ids=("RS008",)) == []


def test_resources_say_log_budget_tmpfs_and_mounts(tmp_path):
    compose = ("services:\n  app:\n    image: ghcr.io/example/app:1.4.2\n    mem_limit: 256m\n"
               "    tmpfs:\n      - /tmp:size=64m\n      - /run\n"
               "    logging:\n      driver: json-file\n      options: {max-size: 10m, "
               "max-file: \"3\"}\n"
               "  quiet:\n    image: ghcr.io/example/quiet:1.0.0\n"
               "    logging: {driver: local}\n"
               "  loud:\n    image: ghcr.io/example/loud:1.0.0\n"
               "    logging: {driver: json-file}\n")
    write_tree(tmp_path, {"compose.yaml": compose})
    rows = {r["service"]: r for r in run_review(tmp_path).resources["compose"]["projects"][0][
        "services"]}
    assert rows["app"]["log"] == {"driver": "json-file", "bytes": 30 * MIB}
    assert rows["app"]["tmpfs"] == [{"target": "/tmp", "bytes": 64 * MIB},
                                    {"target": "/run", "bytes": None}]
    assert rows["quiet"]["log"] == {"driver": "local", "bytes": 100 * MIB}
    assert rows["loud"]["log"] == {"driver": "json-file", "bytes": None}


def test_claims_and_log_caps_are_shown(tmp_path):
    write_tree(tmp_path, {
        "k8s/db.yaml": "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n"
                       "  replicas: 3\n  template:\n    spec:\n      containers:\n"
                       "        - name: db\n          image: postgres:16.4\n"
                       "  volumeClaimTemplates:\n    - metadata: {name: data}\n      spec:\n"
                       "        resources: {requests: {storage: 10Gi}}\n---\n"
                       "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: media}\n"
                       "spec:\n  resources: {requests: {storage: 500Gi}}\n",
        "host/journald.conf": "[Journal]\nStorage=persistent\nSystemMaxUse=200M\n"})
    result = run_review(tmp_path)
    claims = result.resources["kubernetes"]["claims"]
    assert [(c["name"], c["copies"], c["bytes"]) for c in claims] == [
        ("db/data", 3, 30 * GIB), ("media", 1, 500 * GIB)]
    text = render_review(result)
    assert "Persistent volume claims: 2, asking for 530.0 GiB in all" in text
    assert "is capped at `SystemMaxUse=200M`" in text


def test_official_image_without_a_build_for_the_host(tmp_path):
    # mariadb's official image has no 32-bit arm build (docker-library's documentation)
    write_tree(tmp_path, {"compose.yaml": "services:\n  db:\n    image: mariadb:11.4\n"
                                          "    mem_limit: 256m\n  cache:\n"
                                          "    image: redis:7.4\n    mem_limit: 64m\n"})
    armhf = _config(**{"host-memory": "1GiB", "host-arch": "arm"})
    result = run_review(tmp_path, config=armhf)
    found = [f for f in result.findings if f.rule.id == "RS007"]
    assert [(f.path, f.line) for f in found] == [("compose.yaml", 2)]
    assert "published for amd64, arm64 only" in found[0].message
    assert "docker-library/docs" in found[0].message
    assert _rs(run_review(tmp_path, config=_config("rpi4-4gb")), ids=("RS007",)) == []


def test_a_quadlet_database_on_the_sd_card(tmp_path):
    write_tree(tmp_path, {
        "db.container": "[Container]\nImage=docker.io/library/postgres:16.4\n"
                        "Volume=pgdata.volume:/var/lib/postgresql/data\n"
                        "Volume=/etc/pg/conf.d:/etc/postgresql/conf.d:ro\n[Service]\n"
                        "MemoryMax=512M\n",
        "usb.container": "[Container]\nImage=docker.io/library/postgres:16.4\n"
                         "Volume=/mnt/usb/pg:/var/lib/postgresql/data\n[Service]\n"
                         "MemoryMax=512M\n"})
    result = run_review(tmp_path, config=_config("rpi5-8gb"))
    assert _rs(result, ids=("RS006",)) == [("RS006", "warning", "db.container", None)]
    assert "`pgdata.volume`" in next(f.message for f in result.findings if f.rule.id == "RS006")


@pytest.mark.parametrize("reader,text,expected", [
    ("size", "512m", 512 * MIB), ("size", "1.5g", int(1.5 * GIB)), ("size", "64k", 64 * 1024),
    ("quantity", "1.5Gi", int(1.5 * GIB)), ("quantity", "500M", 500_000_000),
    ("quantity", "256Mi", 256 * MIB), ("cpu", "500m", 0.5), ("cpu", "0.5", 0.5),
    ("cpu", "2", 2.0)])
def test_the_arithmetic_of_sizes_and_cpus(reader, text, expected):
    """Compose sizes are binary (`512m` is 512 MiB); Kubernetes `M` is decimal, `Mi`
    binary; `500m` CPU is half a core."""
    from infra_expert.quantities import quantity_bytes, quantity_cpu, size_bytes
    read = {"size": size_bytes, "quantity": quantity_bytes, "cpu": quantity_cpu}[reader]
    assert read(text) == expected


def test_a_daemonset_counts_per_node_and_jobs_apart(tmp_path):
    write_tree(tmp_path, {"k8s.yaml": K8S})
    total = run_review(tmp_path, config=_config("rpi4-8gb")).resources["total"]
    apps = total["groups"]["namespace `apps`"]
    # 3 × 512 MiB of web, plus the DaemonSet's one pod on this node; the CronJob apart
    assert apps["memory_limit_bytes"] == 3 * 512 * MIB + 128 * MIB
    assert apps["running"] == 2 and total["batch"] == 1


@pytest.mark.parametrize("a,b,expected", [
    ([0, 86400], [300, 86700], [0, 86400]),          # five minutes apart, every day
    ([0, 86400], [601, 87001], []),                  # just past ten minutes
    ([0], [600], [0]),                               # exactly ten minutes: together
    ([0, 3600, 7200], [7000], [7200]),               # one of three
    ([], [0], [])])
def test_start_times_together(a, b, expected):
    from infra_expert.fit import _together
    assert _together(a, b) == expected
