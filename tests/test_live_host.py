"""The host and systemd live source: host facts read from a fake root
(tests/fixtures/live/host/root, shaped like /proc and /sys of a Raspberry Pi with an SSD),
systemd asked through intercepted `systemctl` calls answered with recorded outputs
(list-units.json / list-units.txt / show.txt), and the CLI on this machine, where systemd
does not run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra_expert.live import execute, host
from infra_expert.live.collect import Options
from infra_expert.live.execute import Unreachable
from infra_expert.live.model import dump_snapshot, load_snapshot

FIXTURES = Path(__file__).parent / "fixtures" / "live" / "host"
ROOT = str(FIXTURES / "root")
GIB = 1 << 30


class FakeSystemctl:
    """Stands in for subprocess.run under live.execute: records every argv (which
    `execute.check` has already let through) and answers from the recorded outputs."""

    def __init__(self, json_supported=True):
        self.calls = []
        self.json_supported = json_supported

    def __call__(self, argv, **kwargs):
        self.calls.append(list(argv))
        assert kwargs.get("timeout"), "every call has a time-out"
        verb = argv[1]
        if verb == "list-units" and "--output=json" in argv:
            name = "list-units.json" if self.json_supported else "list-units.txt"
        elif verb == "list-units":
            name = "list-units.txt"
        elif verb == "show":
            names = argv[argv.index("--") + 1:]
            blocks = [b for b in (FIXTURES / "show.txt").read_text().split("\n\n")
                      if any(f"Id={n}\n" in b + "\n" for n in names)]
            return subprocess.CompletedProcess(argv, 0, "\n\n".join(blocks).encode(), b"")
        else:
            return subprocess.CompletedProcess(argv, 1, b"", b"unexpected call")
        return subprocess.CompletedProcess(argv, 0, (FIXTURES / name).read_bytes(), b"")


@pytest.fixture
def systemctl(monkeypatch):
    fake = FakeSystemctl()
    monkeypatch.setattr(execute.subprocess, "run", fake)
    return fake


def test_host_facts_from_a_fake_root(monkeypatch):
    monkeypatch.setattr("platform.machine", lambda: "aarch64")
    facts = host.host_facts(ROOT)
    assert facts["memory"] == 1918232 * 1024
    assert facts["available"] == 141208 * 1024
    assert facts["swap"] == 0 and facts["swaps"] == [] and facts["zram"] is False
    assert facts["cpus"] == 4
    assert facts["arch"] == "arm64"
    assert (facts["cgroup"], facts["memory_controller"]) == (2, True)
    assert facts["uptime"] == pytest.approx(183012.61)
    assert facts["kubelet"] is False
    disks = {d["path"]: d for d in facts["disks"]}
    assert sorted(disks) == ["/", "/var/lib/docker", "/var/log"]   # no /var/lib/containers
    assert disks["/"]["source"] == "/dev/mmcblk0p2" and disks["/"]["storage"] == "sd"
    assert disks["/var/log"]["mount"] == "/"
    assert disks["/var/lib/docker"]["source"] == "/dev/sda1"
    assert disks["/var/lib/docker"]["storage"] == "ssd"
    assert facts["storage"] == "ssd"          # where the containers' data lives
    assert all(d["size"] > 0 and d["free"] >= 0 for d in disks.values())


def test_swap_zram_and_cgroup_v1(tmp_path):
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "meminfo").write_text("MemTotal:  1000000 kB\nSwapTotal:  "
                                               "500000 kB\n")
    (tmp_path / "proc" / "swaps").write_text(
        "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
        "/dev/zram0                              partition\t500000\t\t0\t\t100\n")
    (tmp_path / "proc" / "cgroups").write_text(
        "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t2\t1\t1\nmemory\t0\t1\t0\n")
    (tmp_path / "sys" / "fs" / "cgroup").mkdir(parents=True)
    facts = host.host_facts(str(tmp_path))
    assert facts["swap"] == 500000 * 1024 and facts["zram"] is True
    assert facts["swaps"] == [{"name": "/dev/zram0", "type": "partition",
                               "size": 500000 * 1024}]
    assert (facts["cgroup"], facts["memory_controller"]) == (1, False)


@pytest.mark.parametrize("machine, arch", [("x86_64", "amd64"), ("aarch64", "arm64"),
                                           ("armv7l", "arm"), ("armv6l", "arm"),
                                           ("riscv64", "riscv64")])
def test_arch_names(machine, arch):
    assert host.arch_name(machine) == arch


@pytest.mark.parametrize("source, kind", [("/dev/mmcblk0p2", "sd"), ("/dev/sda1", "ssd"),
                                          ("/dev/vda1", None), ("overlay", None)])
def test_storage_kind(source, kind):
    assert host.storage_kind(ROOT, source) == kind


def test_as_host():
    facts = {"memory": 2 * GIB, "cpus": 4, "arch": "arm64", "storage": "sd",
             "hostname": "pi"}
    h = host.as_host(facts)
    assert (h.memory, h.cpus, h.arch, h.storage) == (2 * GIB, 4, "arm64", "sd")
    assert "pi" in h.label and "2.0 GiB" in h.label
    assert h.small
    assert host.as_host({"memory": None}) is None


def test_systemd_collected_with_allowlisted_calls_only(systemctl):
    parts = host.collect(Options(timeout=3), root=ROOT)
    for argv in systemctl.calls:
        execute.check(argv)                       # each was allowlisted …
        assert argv[0] == "systemctl" and argv[1] in ("list-units", "show"), argv
    assert [c[1] for c in systemctl.calls] == ["list-units", "show"]
    assert parts["context"] == {"hostname": "pi-cupboard"}
    units = {u["name"]: u for u in parts["units"]}
    # services, timers and the failed mount; not the not-found one nor the target
    assert sorted(units) == ["backup.service", "backup.timer", "mnt-nas.mount",
                             "odd.service", "report.timer", "ssh.service", "web.service"]
    web = units["web.service"]
    assert web["properties"]["NRestarts"] == "7"
    assert web["fragment"] == "/etc/systemd/system/web.service"
    assert [d["path"] for d in web["dropins"]] == [
        "/etc/systemd/system/web.service.d/override.conf"]
    assert "MemoryMax=256M" in web["dropins"][0]["text"]
    assert "text" not in units["ssh.service"]               # the distribution's
    assert "text" not in units["odd.service"]               # a link out of /etc/systemd
    assert any("odd.service" in n and "outside the systemd directories" in n
               for n in parts["notices"])
    assert any("1 unit of the distribution" in n for n in parts["notices"])
    assert "Where=/mnt/nas" in units["mnt-nas.mount"]["text"]
    timers = {t["unit"]: t for t in parts["timers"]}
    assert timers["backup.timer"] == {"unit": "backup.timer", "activates": "backup.service",
                                      "last": "Mon 2026-11-30 03:00:01 UTC",
                                      "next": "Tue 2026-12-01 03:00:00 UTC"}
    assert timers["report.timer"]["last"] is None and timers["report.timer"]["next"] is None


def test_environment_values_never_kept(systemctl):
    parts = host.collect(Options(timeout=3), root=ROOT)
    text = dump_snapshot(parts)
    assert "Zq8vLr2mXc91TtPw" not in text and "127.0.0.1:8080" not in text
    web = next(u for u in parts["units"] if u["name"] == "web.service")
    assert 'Environment="DB_PASSWORD=" LISTEN=' in web["text"]
    assert web["secret_env"] == ["DB_PASSWORD"]


def test_plain_table_when_json_is_not_supported(monkeypatch):
    fake = FakeSystemctl(json_supported=False)
    monkeypatch.setattr(execute.subprocess, "run", fake)
    parts = host.collect(Options(timeout=3), root=ROOT)
    assert [c[1] for c in fake.calls] == ["list-units", "list-units", "show"]
    assert "--plain" in fake.calls[1]
    assert {u["name"] for u in parts["units"]} >= {"backup.service", "mnt-nas.mount",
                                                   "web.service", "report.timer"}


def test_refused_verbs_never_reach_a_process(monkeypatch):
    started = []
    monkeypatch.setattr(execute.subprocess, "run", lambda *a, **k: started.append(a))
    for argv in (["systemctl", "restart", "web.service"], ["systemctl", "reset-failed"],
                 ["systemctl", "edit", "web.service"], ["systemctl", "start", "x"],
                 ["systemctl", "--no-pager", "stop", "x"], ["journalctl", "--vacuum-size=1"],
                 ["systemctl", "set-property", "x", "MemoryMax=1"]):
        with pytest.raises(execute.Refused):
            execute.run(argv)
    assert started == []


def test_no_systemd_here(tmp_path, monkeypatch):
    called = []
    monkeypatch.setattr(execute.subprocess, "run", lambda *a, **k: called.append(a))
    (tmp_path / "proc" / "1").mkdir(parents=True)
    (tmp_path / "proc" / "1" / "comm").write_text("tini\n")
    with pytest.raises(Unreachable, match=r"systemd is not running here: PID 1 is `tini`"):
        host.collect(Options(), root=str(tmp_path), systemd_required=True)
    parts = host.collect(Options(), root=str(tmp_path))
    assert "units" not in parts and parts["host"]["disks"] == [
        d for d in parts["host"]["disks"] if d["path"] == "/"]
    assert any("systemd: not read" in n for n in parts["notices"])
    assert called == []


def test_units_reviewed_as_unit_files(systemctl, tmp_path):
    from conftest import run_review, write_tree
    parts = host.collect(Options(timeout=3), root=ROOT)
    write_tree(tmp_path, {"pi.live.json": dump_snapshot({"source": "systemd", **parts})})
    result = run_review(tmp_path)
    assert not [n.message for n in result.notices if "internal error" in n.message]
    files = {p for p, d in result.files if d == "systemd"}
    assert files == {"unit/web.service", "unit/backup.service", "unit/backup.timer",
                     "unit/report.timer", "unit/mnt-nas.mount"}
    by_rule = {}
    for f in result.findings:
        by_rule.setdefault(f.rule.id, set()).add(f.path)
    assert "unit/web.service" not in by_rule.get("SD013", set())   # MemoryMax= in drop-in
    assert "unit/web.service" not in by_rule.get("SD010", set())   # User=web
    assert "unit/backup.service" in by_rule.get("SD010", set())    # root
    assert ("unit/web.service", "systemd") in result.file_fields   # exposure score
    assert by_rule["LV040"] == {"unit/mnt-nas.mount"}
    assert by_rule["LV041"] == {"unit/web.service"}
    assert by_rule["LV042"] == {"unit/backup.service"}
    assert by_rule["LV043"] == {"unit/report.timer"}
    assert by_rule["LV045"] == {"unit/web.service"}
    assert by_rule["LV046"] == {"host/pi-cupboard"}   # 1.8 GiB, no swap
    assert by_rule["LV049"] == {"unit/web.service"}
    assert "SD011" not in by_rule                          # the value is not there to see
    # the unit text is `systemctl cat`'s: a finding's line points into it
    web = load_snapshot((tmp_path / "pi.live.json").read_text())
    text = host.unit_text(next(u for u in web.units if u["name"] == "web.service"))
    assert text.splitlines()[0] == "# /etc/systemd/system/web.service"
    assert "# /etc/systemd/system/web.service.d/override.conf" in text


def test_the_live_host_is_the_host_of_the_review(systemctl):
    from infra_expert.config import Config
    from infra_expert.live.review import review_snapshot
    parts = host.collect(Options(timeout=3), root=ROOT)
    config = Config()
    result = review_snapshot(dump_snapshot({"source": "systemd", **parts}), config,
                             "live:systemd")
    assert config.host is not None and config.host.memory == 1918232 * 1024
    assert "RS004" not in {f.rule.id for f in result.findings}   # LV046 says it


def _cli(*args):
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "infra_expert", *args], capture_output=True, text=True,
                          env=env, timeout=300, check=False)


@pytest.mark.skipif(host.systemd_running(), reason="systemd runs on this machine")
def test_cli_live_systemd_without_systemd():
    done = _cli("live", "systemd")
    assert done.returncode == 2
    assert "systemd is not running here" in done.stderr
    assert done.stdout == ""


@pytest.mark.skipif(host.systemd_running(), reason="systemd runs on this machine")
def test_cli_live_all_reviews_the_host(monkeypatch, capsys):
    from infra_expert import cli
    from infra_expert.live import collect

    def unreachable(name, target):
        if name == "systemd":
            return lambda options: host.collect(options, systemd_required=False)
        def fail(options):
            raise Unreachable(f"no {name} here")
        return fail

    monkeypatch.setattr(collect, "_source", unreachable)
    status = cli.main(["live", "all", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert status in (0, 1)
    assert [f["path"] for f in out["files"]] == ["live:all"]
    rules = {f["rule"] for f in out["findings"]} | {p["rule"] for p in out["positives"]}
    assert rules & {"LV044", "LV046", "LV047", "LV048"}     # the host's facts were judged
    said = [n["message"] for n in out["notices"]]
    assert "docker: not read (no docker here)" in said
    assert any(n.startswith("systemd: not read (systemd is not running here") for n in said)
