"""systemd units: recognition, drop-ins, every SD rule firing and staying quiet (with
lines), and the real unit files of this machine and of the corpus reviewed without a
crash."""

from pathlib import Path

import pytest


from conftest import SHARED, rule_locations, run_review, write_tree

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "systemd" / "homelab"


def fx(name, replace=None, append=""):
    text = (FIXTURES / name).read_text()
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    return text + append


WEB, JOB, TIMER = "webapp.service", "backup.service", "backup.timer"


def web(**kw):
    return {WEB: fx(WEB, **kw)}


def job(service=None, timer=None):
    return {JOB: fx(JOB, **(service or {})), TIMER: fx(TIMER, **(timer or {}))}


BARE = "[Unit]\nDescription=app\n\n[Service]\nExecStart=/usr/bin/app\n\n[Install]\nWantedBy=multi-user.target\n"
MOUNT = "[Unit]\nDescription=data\n\n[Mount]\nWhat=/dev/sda1\nWhere=/mnt/data\nType=ext4\n"

# (rule, {file: text}, [(file, line)])
CASES = [
    ("SD001", web(replace={"Restart=on-failure\nRestartSec=5s\n": "Nice=0\nNice=0\n"}), [(WEB, 7)]),
    ("SD001", web(replace={"Restart=on-failure": "Restart=on-success"}), [(WEB, 11)]),
    ("SD001", web(), []),
    ("SD001", job(), []),
    ("SD002", web(replace={"RestartSec=5s": "Nice=0"}), [(WEB, 11)]),
    ("SD002", web(), []),
    ("SD003", web(replace={"CPUQuota=80%": "StartLimitIntervalSec=60"}), [(WEB, 16)]),
    ("SD003", web(replace={"Description=Web application": "Description=Web application\nRestart=always"}), [(WEB, 3)]),
    ("SD003", {WEB: fx(WEB, replace={"CPUQuota=80%": "StartLimitBurst=3",
                                     "Requires=postgresql.service\n": "StartLimitIntervalSec=60\n"}),
               "mnt-data.mount": MOUNT}, []),
    ("SD004", web(replace={"Type=notify": "Type=forking"}), [(WEB, 8)]),
    ("SD004", job(service={"replace": {"Type=oneshot": "Type=simple"}}), [(JOB, 8)]),
    ("SD004", {**web(), **job()}, []),
    ("SD005", web(replace={"CPUQuota=80%": "ExecStart=/usr/local/bin/other"}), [(WEB, 16)]),
    ("SD005", job(service={"replace": {"Nice=10": "Restart=always"}}), [(JOB, 11)]),
    ("SD005", job(service={"replace": {"ExecStart=/usr/local/bin/backup": "ExecStart=bin/backup"}}), [(JOB, 9)]),
    ("SD005", job(service={"replace": {"Nice=10": "ExecStart=/usr/local/bin/prune"}}), []),
    ("SD006", web(replace={"Wants=network-online.target": "Wants=redis.service"}), [(WEB, 4)]),
    ("SD006", web(), []),
    ("SD007", web(replace={"After=network-online.target postgresql.service": "After=network-online.target"}), [(WEB, 5)]),
    ("SD007", {**web(), "dbus.service": "[Unit]\nRequires=dbus.socket\n[Service]\nExecStart=/usr/bin/dbus-daemon\n"}, []),
    ("SD008", web(replace={"[Install]\nWantedBy=multi-user.target\n": ""}), [(WEB, 7)]),
    ("SD008", {**web(replace={"[Install]\nWantedBy=multi-user.target\n": ""}),
               "multi-user.target.wants/webapp.service": "(a link)\n"}, []),
    ("SD008", {**web(replace={"[Install]\nWantedBy=multi-user.target\n": ""}),
               "webapp.socket": "[Socket]\nListenStream=8080\n[Install]\nWantedBy=sockets.target\n"}, []),
    ("SD009", job(service={"replace": {"OnFailure=notify-failure@%n.service": "Documentation=man:backup(8)"}}), [(JOB, 7)]),
    ("SD009", job(), []),
    ("SD010", web(replace={"User=webapp": "Environment=TZ=UTC"}), [(WEB, 7)]),
    ("SD010", web(replace={"User=webapp": "User=root"}), []),
    ("SD011", web(replace={"CPUQuota=80%": "Environment=TZ=UTC DB_PASSWORD=hunter22x"}), [(WEB, 16)]),
    ("SD011", web(replace={"CPUQuota=80%": "Environment=DB_PASSWORD_FILE=/run/credentials/webapp.service/db"}), []),
    ("SD012", web(replace={"CPUQuota=80%": "SetCredential=db-password:hunter22x"}), [(WEB, 16)]),
    ("SD012", web(replace={"CPUQuota=80%": "SetCredential=log-level:debug"}), []),
    ("SD013", web(replace={"MemoryHigh=400M\nMemoryMax=512M\n": "Nice=0\nNice=0\n"}), [(WEB, 7)]),
    ("SD013", web(), []),
    ("SD014", web(replace={"CPUQuota=80%": "TasksMax=infinity", "RestartSec=5s": "OOMScoreAdjust=-1000"}),
     [(WEB, 12), (WEB, 16)]),
    ("SD014", web(replace={"CPUQuota=80%": "OOMScoreAdjust=-500"}), []),
    ("SD015", job(service={"replace": {"Nice=10\nIOSchedulingClass=idle\n": "Environment=A=1\nEnvironment=B=2\n"}}), [(JOB, 7)]),
    ("SD015", job(), []),
    ("SD016", web(replace={"CPUQuota=80%": "StandardOutput=append:/var/log/webapp.log"}), [(WEB, 16)]),
    ("SD016", web(replace={"CPUQuota=80%": "StandardOutput=append:/run/webapp.status"}), []),
    ("SD016", {**web(replace={"CPUQuota=80%": "StandardOutput=append:/var/log/webapp.log"}),
               "webapp.logrotate": "/var/log/webapp.log {\n  weekly\n  rotate 4\n  copytruncate\n}\n"}, []),
    ("SD017", web(replace={"WatchdogSec=30s": "TimeoutStopSec=30s"}), [(WEB, 8)]),
    ("SD017", web(), []),
    # rclone speaks sd_notify but never sends WATCHDOG=1: no watchdog to suggest
    ("SD017", {"media.service": "[Unit]\nWants=network-online.target\nAfter=network-online"
                                ".target\n\n[Service]\nType=notify\nExecStart=/usr/bin/"
                                "rclone mount nas:media /mnt/media --vfs-cache-mode writes "
                                "--vfs-cache-max-size 10G\nRestart=on-failure\n"}, []),
    ("SD018", {"app.service": BARE}, [("app.service", 4)]),
    ("SD018", web(), []),
    ("SD019", job(timer={"replace": {"OnCalendar=*-*-* 02:30:00": "AccuracySec=1min"}}), [(TIMER, 4)]),
    ("SD019", job(), []),
    ("SD020", job(timer={"replace": {"02:30:00": "25:00:00"}}), [(TIMER, 5)]),
    ("SD020", job(), []),
    ("SD021", job(timer={"replace": {"Persistent=true": "AccuracySec=1min"}}), [(TIMER, 5)]),
    ("SD021", job(timer={"replace": {"Persistent=true": "AccuracySec=1min", "*-*-* 02:30:00": "hourly"}}), []),
    ("SD022", job(timer={"replace": {"OnCalendar=*-*-* 02:30:00": "OnUnitActiveSec=1h"}}), [(TIMER, 5)]),
    ("SD022", job(timer={"replace": {"OnCalendar=*-*-* 02:30:00": "OnBootSec=2d"}}), [(TIMER, 5)]),
    ("SD022", job(timer={"replace": {"OnCalendar=*-*-* 02:30:00": "OnBootSec=5min\nOnUnitActiveSec=1d"}}), []),
    ("SD023", job(timer={"replace": {"RandomizedDelaySec=15min": "AccuracySec=1min"}}), [(TIMER, 5)]),
    ("SD023", job(), []),
    ("SD024", job(service={"replace": {"After=network-online.target time-sync.target": "After=network-online.target"}}), [(TIMER, 5)]),
    ("SD024", job(), []),
    ("SD025", {TIMER: fx(TIMER)}, [(TIMER, 4)]),
    ("SD025", {TIMER: fx(TIMER, replace={"[Timer]": "[Timer]\nUnit=other.service"})}, []),
    ("SD025", {TIMER: fx(TIMER), "backup.service": "just notes, not a unit\n"}, []),
    ("SD025", job(), []),
    ("SD026", job(service={"append": "\n[Install]\nWantedBy=multi-user.target\n"}), [(JOB, 27)]),
    ("SD026", job(service={"append": "\n[Install]\nAlso=backup.timer\n"}), []),
    ("SD027", job(timer={"replace": {"[Install]\nWantedBy=timers.target\n": ""}}), [(TIMER, 4)]),
    ("SD027", job(), []),
    # a packaged timer enabled by its link in `timers.target.wants/`, as distributions ship
    ("SD027", {**job(timer={"replace": {"[Install]\nWantedBy=timers.target\n": ""}}),
               "timers.target.wants/backup.timer": "(a symbolic link in a real tree)\n"}, []),
]

from test_storage import SYSTEMD_STORAGE  # noqa: E402
CASES += SYSTEMD_STORAGE   # rclone run by systemd: tests/test_storage.py


@pytest.mark.parametrize("rule_id,files,expected", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule(tmp_path, rule_id, files, expected):
    assert rule_locations(tmp_path, files, rule_id) == sorted(expected)


BAD_UNITS = {
    "zz/broken.service": "[Service\nExecStart\n=nokey\nUser=a\\\n[Install]\nWantedBy=\x00\n",
    "zz/broken.timer": "Unit=x\n[Timer]\nOnCalendar=Mon..Funday 99:99\nOnBootSec=soon\nPersistent=maybe\n",
    "zz/broken.service.d/x.conf": "[Service]\nExecStart\n",
}
FIRING = [c for c in CASES if c[2]]


@pytest.mark.parametrize("rule_id,files,expected", FIRING,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(FIRING)])
def test_rule_still_fires_beside_malformed_units(tmp_path, rule_id, files, expected):
    write_tree(tmp_path, {**files, **BAD_UNITS})
    result = run_review(tmp_path)
    assert not [n for n in result.notices if "internal error" in n.message]
    assert set(expected) <= {(f.path, f.line) for f in result.findings if f.rule.id == rule_id}


def test_the_homelab_fixture_is_clean_and_praised():
    result = run_review(FIXTURES)
    assert [(f.rule.id, f.path, f.line) for f in result.findings] == []
    praised = {p.rule.id for p in result.positives}
    assert {"SD001", "SD009", "SD011", "SD013", "SD015", "SD017", "SD018", "SD020",
            "SD021", "SD023", "SD024"} <= praised
    (row,) = [r for r in result.resources["systemd"]["services"] if r["path"] == WEB]
    assert (row["exposure"], row["level"], row["memory_max"], row["user"]) == \
        (3.3, "OK", "512M", "webapp")


def test_drop_ins_merge_in_order_and_their_findings_point_at_them(tmp_path):
    files = {**web(),
             "webapp.service.d/10-token.conf": "[Service]\nEnvironment=API_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789\n",
             "webapp.service.d/20-user.conf": "[Service]\nUser=\n",
             "service.d/00-all.conf": "[Service]\nRestart=no\n"}
    write_tree(tmp_path, files)
    result = run_review(tmp_path)
    found = {(f.rule.id, f.path, f.line) for f in result.findings}
    assert ("SD011", "webapp.service.d/10-token.conf", 2) in found
    assert ("SD010", WEB, 7) in found          # User= emptied by the drop-in
    assert not [f for f in result.findings if f.rule.id == "SD001"]   # webapp's own wins
    assert "ghp_" not in " ".join(f.message for f in result.findings)


def test_a_drop_in_given_alone_reviews_its_unit(tmp_path):
    write_tree(tmp_path, {**web(), "webapp.service.d/10-mem.conf": "[Service]\nMemoryMax=\nCPUQuota=\n"})
    result = run_review(tmp_path, ["webapp.service.d/10-mem.conf"])
    assert (WEB, "systemd") in result.files


def test_suppression_comment_in_a_unit_and_in_a_drop_in(tmp_path):
    files = web(replace={"User=webapp": "Nice=0",
                         "[Service]": "# infra-expert: ignore=SD010 needs raw sockets\n[Service]"})
    files["webapp.service.d/10-x.conf"] = ("[Service]\n# infra-expert: ignore=SD016 rotated by the app\n"
                                           "StandardError=append:/var/log/webapp.err\n")
    write_tree(tmp_path, files)
    result = run_review(tmp_path)
    assert not [(f.rule.id, f.path, f.line) for f in result.findings
                if f.rule.id in ("SD010", "SD016", "IE001")]


def test_templates_are_reviewed_as_written(tmp_path):
    write_tree(tmp_path, {"worker@.service": "[Service]\nExecStart=/usr/bin/worker %i\nUser=%i\n"})
    result = run_review(tmp_path)
    assert ("worker@.service", "systemd") in result.files
    assert {f.rule.id for f in result.findings} >= {"SD001", "SD018"}
    assert "SD008" not in {f.rule.id for f in result.findings}   # instances are enabled


def test_not_ours_networkd_quadlet_and_text(tmp_path):
    write_tree(tmp_path, {"eth0.network": "[Match]\nName=eth0\n[Network]\nDHCP=yes\n",
                          "notes.service": "this is not a unit\n",
                          "web.container": "[Container]\nImage=docker.io/library/nginx:1\n"})
    result = run_review(tmp_path)
    assert not [p for p, d in result.files if d == "systemd"]


def test_broken_unit_does_not_crash(tmp_path):
    write_tree(tmp_path, {"x.service": "[Service\nExecStart=/bin/true\nno equals\n[Timer]\nOnCalendar=\x00\n",
                          "x.timer": "[Timer]\nOnCalendar=Mon..Funday 99:99\nOnBootSec=abc\n"})
    result = run_review(tmp_path)
    assert not [n for n in result.notices if "internal error" in n.message]


def _real_units():
    out = sorted(Path("/lib/systemd/system").glob("*.service")) + sorted(
        Path("/lib/systemd/system").glob("*.timer"))
    return [p for p in out if p.is_file()]


@pytest.mark.skipif(not _real_units(), reason="no /lib/systemd/system units on this machine")
def test_this_machines_units_reviewed_without_a_crash():
    result = run_review(Path("/lib/systemd/system"), ["."])
    assert len([p for p, d in result.files if d == "systemd"]) >= 50
    assert not [n for n in result.notices if "internal error" in n.message]


@pytest.mark.skipif(not (SHARED / "corpus_lists" / "systemd.txt").is_file(), reason="../shared absent")
def test_corpus_units_reviewed_without_a_crash(tmp_path):
    from infra_expert.config import Config
    from infra_expert.engine import review
    paths = []
    for lst, base in (("systemd.txt", "corpus"), ("homelab-systemd.txt", "corpus-homelab")):
        for line in (SHARED / "corpus_lists" / lst).read_text().split():
            if not line.endswith(".container") and (SHARED / base / line).is_file():
                paths.append(str(SHARED / base / line))
    result = review(paths, Config())
    assert len([p for p, d in result.files if d == "systemd"]) >= 60
    assert not [n for n in result.notices if "internal error" in n.message]


def test_output_rotated_by_a_logrotate_file_of_the_run_is_praised(tmp_path):
    write_tree(tmp_path, {**web(replace={"CPUQuota=80%": "StandardOutput=append:/var/log/webapp.log"}),
                          "webapp.logrotate": "/var/log/webapp.log {\n  weekly\n  rotate 4\n  copytruncate\n}\n"})
    result = run_review(tmp_path)
    assert [(p.path, p.line, p.message) for p in result.positives if p.rule.id == "SD016"] == [
        (WEB, 16, "`/var/log/webapp.log` rotated by `webapp.logrotate`")]
