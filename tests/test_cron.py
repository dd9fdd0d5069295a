"""Crontabs: recognition, the parser, and every cron rule firing and staying quiet."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra_expert.cron import by_content, by_name, confirm
from infra_expert.cron.model import parse_crontab
from infra_expert.discover import Where

from conftest import rule_locations, run_review

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "cron"
SHARED = Path(__file__).resolve().parents[2] / "shared"

GOOD = """\
MAILTO=ops@example.org
PATH=/usr/local/bin:/usr/bin:/bin
30 3 * * * /usr/local/bin/backup.sh >> /var/log/backup.log 2>&1
"""

# (rule, {file: text}, [(file, line)])
CASES = [
    ("CR001", {"crontab": "0 25 * * * /usr/bin/true\n"}, [("crontab", 1)]),
    ("CR001", {"crontab": "*/0 * * * * /usr/bin/true\n@every /usr/bin/true\n"},
     [("crontab", 1), ("crontab", 2)]),
    ("CR001", {"crontab": "0 * * * * /usr/bin/true\n0-59/5 0-23 1-31 jan-dec mon-fri /bin/x\n"
                          "@daily /usr/bin/true\n0 0 * * 7 /bin/x\n"}, []),
    ("CR002", {"crontab": "MAILTO=a@b.c\n0 2 * * * tar czf /b/$(date +%F).tgz /srv\n"}, [("crontab", 2)]),
    ("CR002", {"crontab": "0 2 * * * tar czf /b/$(date +\\%F).tgz /srv 2>&1\n"}, []),
    ("CR003", {"crontab": "0 2 * * * backup.sh 2>&1\n0 3 * * * scripts/x 2>&1\n"},
     [("crontab", 1), ("crontab", 2)]),
    ("CR003", {"crontab": "0 2 * * * /opt/backup.sh\n0 3 * * * cd /opt/app && ./run 2>&1\n"
                          "0 4 * * * ~/bin/x.sh\n"}, []),
    ("CR003", {"crontab": "PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/bin\n0 2 * * * fstrim -a\n"}, []),
    ("CR004", {"crontab": "0 2 * * * /usr/bin/a\n0 3 * * * /usr/bin/b > /tmp/log\n"}, [("crontab", 1)]),
    ("CR004", {"crontab": GOOD}, []),
    ("CR004", {"crontab": "MAILTO=ops@example.org\n0 2 * * * /usr/bin/a\n"}, []),
    ("CR005", {"crontab": 'MAILTO=""\n0 2 * * * /usr/bin/a\n'}, [("crontab", 1)]),
    ("CR005", {"crontab": 'MAILTO=""\n0 2 * * * /usr/bin/a >> /var/log/a.log 2>&1\n'}, []),
    ("CR006", {"crontab": "MAILTO=a@b.c\n*/15 * * * * rsync -a /srv/ nas:/srv/\n"}, [("crontab", 2)]),
    ("CR006", {"crontab": "MAILTO=a@b.c\n*/15 * * * * flock -n /run/lock/s rsync -a /srv/ nas:/srv/\n"
                          "0 3 * * * rsync -a /srv/ nas:/srv/\n"}, []),
    ("CR007", {"etc/cron.d/backup.cron": "0 3 * * * root /usr/bin/true\n"}, [("etc/cron.d/backup.cron", 1)]),
    ("CR007", {"etc/cron.d/backup": "0 3 * * * root /usr/bin/true\n"}, []),
    ("CR008", {"crontab": "MAILTO=a@b.c\n0 3 * * * /usr/bin/true"}, [("crontab", 2)]),
    ("CR008", {"crontab": "MAILTO=a@b.c\n0 3 * * * /usr/bin/true\n"}, []),
    ("CR009", {"crontab": "MAILTO=a@b.c\n0 2 * * * /usr/local/bin/db-backup.sh\n"
                          "0 2 * * 1 rsync -a /srv/ nas:/srv/\n"}, [("crontab", 2)]),
    ("CR009", {"crontab": "MAILTO=a@b.c\n0 2 * * * /usr/local/bin/db-backup.sh\n"
                          "30 2 * * * rsync -a /srv/ nas:/srv/\n*/5 * * * * /usr/bin/rsync -a /a /b\n"}, []),
    ("CR010", {"crontab": GOOD}, [("crontab", 3)]),
    ("CR010", {"img/crontab": GOOD, "img/Dockerfile": "FROM alpine:3.20\n"}, []),
    ("CR011", {"etc/cron.d/job": "0 3 * * * /usr/bin/backup --all\n0 4 * * * /usr/bin/x\n"},
     [("etc/cron.d/job", 1), ("etc/cron.d/job", 2)]),
    ("CR011", {"crontab": "MAILTO=a@b.c\n0 3 * * * root /usr/bin/backup\n0 4 * * * /usr/bin/x\n"},
     [("crontab", 2)]),
    ("CR011", {"etc/cron.d/job": "0 3 * * * root /usr/bin/backup\n", "crontab": GOOD}, []),
    ("CR012", {"crontab": "TZ=Europe/Paris\n" + GOOD}, [("crontab", 1)]),
    ("CR012", {"crontab": "CRON_TZ=Europe/Paris\n" + GOOD}, []),
]

from test_storage import CRON_STORAGE  # noqa: E402
CASES += CRON_STORAGE   # rclone run by cron: tests/test_storage.py


@pytest.mark.parametrize("rule,files,expected", CASES,
                         ids=[f"{c[0]}-{'fires' if c[2] else 'quiet'}-{i}"
                              for i, c in enumerate(CASES)])
def test_rule(tmp_path, rule, files, expected):
    assert rule_locations(tmp_path, files, rule) == sorted(expected)


FIXTURE_EXPECTED = {
    ("CR007", "etc/cron.d/app.cron", 1), ("CR010", "etc/cron.d/app.cron", 2),
    ("CR011", "etc/cron.d/app.cron", 3), ("CR004", "etc/cron.d/app.cron", 3),
    ("CR010", "etc/cron.d/backup", 6),
    ("CR004", "etc/crontab", 13), ("CR010", "etc/crontab", 13),
    ("CR005", "home/crontab", 2), ("CR012", "home/crontab", 3), ("CR006", "home/crontab", 6),
    ("CR010", "home/crontab", 6), ("CR002", "home/crontab", 8), ("CR009", "home/crontab", 8),
    ("CR001", "home/crontab", 11), ("CR003", "home/crontab", 12), ("CR011", "home/crontab", 15),
    ("CR003", "home/crontab", 16),
}


def test_fixtures():
    result = run_review(FIXTURES)
    got = {(f.rule.id, f.path, f.line) for f in result.findings}
    assert got == FIXTURE_EXPECTED
    assert not [n for n in result.notices if "internal error" in n.message]
    assert "OnCalendar=*-*-* *:00/30:00" in next(
        f.message for f in result.findings if f.path == "etc/cron.d/backup")


def test_timer_suggestion_writes_both_calendars_for_dom_or_dow(tmp_path):
    (tmp_path / "crontab").write_text("CRON_TZ=Europe/Paris\n0 5 1,15 * 1 /usr/bin/x 2>&1\n"
                                      "@reboot /usr/bin/y 2>&1\n")
    msg = next(f.message for f in run_review(tmp_path).findings if f.rule.id == "CR010")
    # both calendars in the job's CRON_TZ, not only the first
    assert ("`OnCalendar=*-*-01,15 05:00:00 Europe/Paris` + "
            "`OnCalendar=Mon *-*-* 05:00:00 Europe/Paris`") in msg
    assert "`@reboot` (line 3) → `OnBootSec=1min`" in msg


def test_parser_system_and_user_formats():
    tab = parse_crontab("SHELL=/bin/sh\n17 * * * * root cd / && run-parts /etc/cron.hourly\n",
                        "etc/crontab", "/x/etc/crontab")
    assert tab.system and tab.jobs[0].user == "root"
    assert tab.jobs[0].command == "cd / && run-parts /etc/cron.hourly"
    assert tab.vars[0].name == "SHELL"
    user = parse_crontab('MAILTO = "a@b.c"\n@daily /bin/x\n', "crontab", "/x/crontab")
    assert not user.system and user.jobs[0].macro == "@daily"
    assert user.vars[0].value == "a@b.c" and user.jobs[0].env == {"MAILTO": "a@b.c"}


@pytest.mark.parametrize("name,kind", [("crontab", "crontab"), ("root.crontab", "crontab"),
                                       ("backup.cron", "crontab"), ("x.crontab", "crontab"),
                                       ("cron.py", None), ("crontab.yaml", None),
                                       ("Dockerfile", None)])
def test_by_name(name, kind):
    assert by_name(name) == kind


def test_recognition_by_content(tmp_path):
    cron_d = tmp_path / "cron.d"
    cron_d.mkdir()
    w = Where("cron.d/job", str(cron_d / "job"), str(tmp_path))
    assert by_content("# hi\n0 3 * * * root /bin/x\n", "job", w) == "crontab"
    assert by_content("#!/bin/sh\necho 0 3 * * * x\n", "job", w) is None
    other = Where("bin/job", str(tmp_path / "bin" / "job"), str(tmp_path))
    assert by_content("0 3 * * * root /bin/x\n", "job", other) is None     # not a cron folder
    assert confirm("crontab", "key: value\n", w) is None
    assert confirm("crontab", "@reboot /bin/x\n", w) == "crontab"


def test_hostile_input_does_not_crash(tmp_path):
    (tmp_path / "crontab").write_text("0 0\n@\n* * * * *\nA=\n=x\n" + "9" * 5000 + " * * * * x\n"
                                      "*/999999999999 * * * * x\n1-0 * * * * x\n")
    result = run_review(tmp_path)
    assert not [n for n in result.notices if "internal error" in n.message]
    assert any(f.rule.id == "CR001" for f in result.findings)


def test_suppression(tmp_path):
    (tmp_path / "crontab").write_text(
        "MAILTO=a@b.c\n# infra-expert: ignore=CR003 installed in PATH by the image\n"
        "0 2 * * * backup.sh\n")
    result = run_review(tmp_path)
    assert not [f for f in result.findings if f.rule.id == "CR003"]


@pytest.mark.skipif(not (SHARED / "corpus_lists" / "homelab-crontab.txt").is_file(),
                    reason="../shared corpus not present")
def test_real_crontabs_no_crash():
    base = SHARED / "corpus-homelab"
    paths = [str(base / p) for p in
             (SHARED / "corpus_lists" / "homelab-crontab.txt").read_text().split()]
    paths = [p for p in paths if Path(p).is_file()]
    assert paths
    result = run_review(base, paths)
    assert not [n for n in result.notices if "internal error" in n.message]
    assert len([f for f in result.files if f[1] == "cron"]) == len(paths)
    # crontabs baked into container images get no systemd-timer suggestion
    assert not [f for f in result.findings if "docker-images" in f.path and f.rule.id == "CR010"]
