"""Storage: rclone.conf, S3/MinIO bucket policies, lifecycle and CORS JSON, mc's config.json
(ST rules), the core rclone command-line reader, and rclone run by systemd (SD028, SD029)
and cron (CR013), whose cases are appended to tests/test_systemd.py and tests/test_cron.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import SHARED, rule_locations, run_review, write_tree

from infra_expert.rclone import analyse, is_remote
from infra_expert.storage import by_content, by_name, json_kind
from infra_expert.storage.jsonpos import JSONError, loads
from infra_expert.storage.rules import is_obscured

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "storage"


def fx(name, replace=None, append=""):
    text = (FIXTURES / name).read_text()
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    return text + append


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2) + "\n"


TLS = {"Sid": "TLSOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
       "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
       "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
APP = {"Sid": "App", "Effect": "Allow",
       "Principal": {"AWS": ["arn:aws:iam::123456789012:user/app"]},
       "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::b/*"}

RC, BP, LC, CORS, MC = "rclone.conf", "bucket-policy.json", "lifecycle.json", "cors.json", \
    "mc/config.json"
CLEAN_RC = fx("clean/rclone.conf")

# (rule, {file: text}, [(file, line)])
CASES = [
    ("ST001", {RC: fx(RC)}, [(RC, 15)]),
    ("ST001", {RC: fx(RC, replace={"pass = correct-horse-battery":
                                   "pass = BwgJCgsMDQ4PEBESExQVFpkrJihwoyePsvbh1Q"})}, []),
    ("ST002", {RC: fx(RC)}, [(RC, 7), (RC, 20), (RC, 26), (RC, 42)]),
    ("ST002", {RC: CLEAN_RC, "clean/encrypted-rclone.conf": fx("clean/encrypted-rclone.conf")},
     []),
    ("ST003", {RC: fx(RC)}, [(RC, 1)]),
    ("ST003", {RC: CLEAN_RC, "b-rclone.conf": fx("clean/encrypted-rclone.conf")}, []),
    ("ST004", {RC: fx(RC)}, [(RC, 34), (RC, 43), (RC, 44)]),
    ("ST004", {RC: CLEAN_RC.replace("https://minio.example.org", "http://127.0.0.1:9000")}, []),
    ("ST005", {RC: fx(RC), MC: fx(MC)}, [(MC, 14), (RC, 33)]),
    ("ST005", {RC: CLEAN_RC, MC: fx(MC, replace={'"secretKey": "minioadmin"':
                                                 '"secretKey": ""'})}, []),
    ("ST006", {BP: fx(BP)}, [(BP, 22)]),
    ("ST006", {BP: policy(dict(APP, Principal="*", Action="s3:PutObject",
                               Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))},
     [(BP, 8)]),   # narrowed by a Condition: still said, as a warning
    ("ST006", {BP: policy(APP, TLS)}, []),
    ("ST007", {BP: fx(BP)}, [(BP, 8), (BP, 15)]),
    ("ST007", {BP: policy(APP, TLS, dict(APP, Principal="*", Action="s3:GetObject",
                                         Condition={"IpAddress": {"aws:SourceIp":
                                                                  "192.168.1.0/24"}}))}, []),
    ("ST008", {BP: fx(BP)}, [(BP, 29)]),
    ("ST008", {BP: policy(APP, TLS)}, []),
    ("ST009", {BP: fx(BP)}, [(BP, 3)]),
    ("ST009", {BP: policy(APP, TLS)}, []),
    # an identity policy (no Principal) is not a bucket policy
    ("ST009", {"user-policy.json": policy({"Effect": "Allow", "Action": ["s3:GetObject"],
                                           "Resource": ["arn:aws:s3:::b/*"]})}, []),
    ("ST010", {BP: fx("lockout-policy.json")}, [(BP, 8)]),
    ("ST010", {BP: policy(APP, TLS)}, []),
    ("ST011", {BP: fx(BP)}, [(BP, 37)]),
    ("ST011", {BP: policy(APP, TLS, dict(APP, Action="s3:ListBucket",
                                         Resource="arn:aws:s3:::b"))}, []),
    ("ST012", {LC: fx(LC)}, [(LC, 2)]),
    ("ST012", {LC: fx(LC, replace={'"Expiration": {"Days": 60}':
                                   '"Expiration": {"Days": 120},\n      '
                                   '"AbortIncompleteMultipartUpload": '
                                   '{"DaysAfterInitiation": 7}'})}, []),
    ("ST013", {LC: fx(LC)}, [(LC, 8)]),
    ("ST013", {LC: fx(LC, replace={'"Days": 7, "StorageClass": "STANDARD_IA"':
                                   '"Days": 30, "StorageClass": "STANDARD_IA"'})}, []),
    ("ST014", {LC: fx(LC)}, [(LC, 11)]),
    ("ST014", {LC: fx(LC, replace={'"Expiration": {"Days": 60}':
                                   '"Expiration": {"Days": 365}'})}, []),
    ("ST015", {LC: fx(LC)}, [(LC, 15)]),
    ("ST015", {LC: fx(LC, replace={'"Status": "Disabled"': '"Status": "Enabled"'})}, []),
    ("ST016", {CORS: fx(CORS)}, [(CORS, 9)]),
    ("ST016", {CORS: fx(CORS, replace={'"AllowedOrigins": ["*"],\n      '
                                       '"AllowedMethods": ["GET", "PUT"':
                                       '"AllowedOrigins": ["https://app.example.org"],\n      '
                                       '"AllowedMethods": ["GET", "PUT"'})}, []),
    ("ST017", {MC: fx(MC)}, [(MC, 21)]),
    ("ST017", {MC: fx(MC, replace={'"h8Yq2Lm4Np6Rs8Tv0Xz2Bc4De6Fg8Hj0"': '""'})}, []),
    ("ST018", {BP: '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow",\n'
                   '     "Action": "s3:GetObject" "Resource": "*"}\n  ]\n}\n',
               LC: '{\n  "Rules": [\n    {"ID": "x", "Status": "enabled ",\n'
                   '     "Expiration": {"Days": 3}}\n  ]\n}\n'},
     [(BP, 5), (LC, 3)]),
    ("ST018", {BP: policy(APP, TLS), LC: fx(LC)}, []),
]

_MOUNT = "rclone-media.service"
_COPY = "rclone-backup.service"
_CRON = "crontab"
SYSTEMD_STORAGE = [
    ("SD028", {_MOUNT: fx(_MOUNT, replace={"    --vfs-cache-max-size 10G \\\n": ""})},
     [(_MOUNT, 8)]),
    ("SD028", {_COPY: fx(_COPY, replace={"ExecStart=/usr/bin/rclone copy":
                                         "ExecStart=-/usr/bin/rclone copy"})}, [(_COPY, 8)]),
    ("SD028", {_COPY: fx(_COPY, replace={"rclone copy /srv/backups b2-crypt: "
                                         "--transfers 2 --max-delete 50":
                                         "rclone sync b2-crypt: /srv/restore --dry-run "
                                         "--retries 1"})}, [(_COPY, 8)]),
    ("SD028", {_MOUNT: fx(_MOUNT), _COPY: fx(_COPY)}, []),
    ("SD029", {_MOUNT: fx(_MOUNT, replace={"Type=notify": "Type=simple"})}, [(_MOUNT, 7)]),
    ("SD029", {_MOUNT: fx(_MOUNT, replace={"Wants=network-online.target\n"
                                           "After=network-online.target\n": "",
                                           "/mnt/media \\\n": "/mnt/media --daemon \\\n"})},
     [(_MOUNT, 6)]),
    ("SD029", {_MOUNT: fx(_MOUNT), _COPY: fx(_COPY)}, []),
]
CRON_STORAGE = [
    ("CR013", {_CRON: fx(_CRON, append="0 4 * * 0 rclone sync nas:photos /srv/photos "
                                       ">/dev/null 2>&1\n"
                                       "0 5 * * * rclone copy /srv/a b2:a --dry-run "
                                       ">> /var/log/a.log 2>&1\n")},
     [(_CRON, 6), (_CRON, 7)]),
    ("CR013", {_CRON: fx(_CRON)}, []),
]


@pytest.mark.parametrize("rule,files,expected", CASES,
                         ids=[f"{c[0]}-{'fires' if c[2] else 'quiet'}-{i}"
                              for i, c in enumerate(CASES)])
def test_rule(tmp_path, rule, files, expected):
    assert rule_locations(tmp_path, files, rule) == sorted(expected)


def test_the_clean_fixtures_are_clean_and_praised(tmp_path):
    result = run_review(FIXTURES / "clean")
    assert [(f.rule.id, f.line) for f in result.findings] == []
    assert {p.rule.id for p in result.positives} >= {"ST003"}


def test_context_severities(tmp_path):
    write_tree(tmp_path, {RC: fx(RC), BP: fx(BP)})
    result = run_review(tmp_path)
    sev = {(f.rule.id, f.line): f.severity for f in result.findings}
    assert sev[("ST004", 34)] == "suggestion"          # a LAN address
    assert sev[("ST004", 43)] == "warning"
    assert sev[("ST007", 8)] == "warning"              # a public website
    assert sev[("ST007", 15)] == "critical"            # public backups


def test_no_secret_value_is_printed(tmp_path):
    write_tree(tmp_path, {RC: fx(RC), MC: fx(MC)})
    result = run_review(tmp_path)
    text = " ".join(f.message for f in result.findings)
    for secret in ("correct-horse-battery", "K001abcdefghijklmnopqrstuvwxyz012",
                   "9fK2mQx7Lp4vZt8RwYb3NcJh6GdSa1Ue", "h8Yq2Lm4Np6Rs8Tv0Xz2Bc4De6Fg8Hj0",
                   "minioadmin", "BwgJCgsMDQ4PEBESExQVF"):
        assert secret not in text


# -- recognition --------------------------------------------------------------------------

@pytest.mark.parametrize("name,text,kind", [
    ("bucket.json", fx(BP), "policy"),
    ("rules.json", fx(LC), "lifecycle"),
    ("cors.json", fx(CORS), "cors"),
    ("cors.json", '[{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]', "cors"),
    ("config.json", fx(MC), "mc"),
    ("package.json", '{"name": "x", "scripts": {"Rules": "x"}}', None),
    ("daemon.json", '{"log-driver": "json-file", "log-opts": {"max-size": "10m"}}', None),
    ("tsconfig.json", '{"compilerOptions": {}}', None),
    ("sarif.json", '{"runs": [{"tool": {"driver": {"rules": []}}}]}', None),
    ("remotes.conf", CLEAN_RC, "rclone"),
    ("override.conf", "[Service]\nType=simple\n", None),
    ("unbound.conf", "server:\n  interface: 0.0.0.0\n", None),
])
def test_by_content(name, text, kind):
    assert by_content(text, name, None) == kind


def test_by_name_and_confirm(tmp_path):
    assert by_name("rclone.conf") == "rclone" and by_name("pi-rclone.conf") == "rclone"
    assert by_name("nginx.conf") is None
    write_tree(tmp_path, {"rclone.conf": "#!/bin/sh\nrclone sync a: b\n"})
    result = run_review(tmp_path)
    assert not result.files


def test_json_kind_of_a_broken_file():
    assert json_kind('{"Statement": [{"Effect": "Allow",') == "policy"
    assert json_kind("Statement Effect") is None


# -- the JSON reader ----------------------------------------------------------------------

def test_positions():
    doc = loads('{\n  "a": 1,\n  "b": [\n    {"c": "x\\"y"},\n    2\n  ]\n}\n')
    assert doc.line == 1 and doc.key_line("a") == 2 and doc.key_line("b") == 3
    assert doc["b"].item_line(0) == 4 and doc["b"].item_line(1) == 5
    assert doc["b"][0] == {"c": 'x"y'}
    assert loads('[1.5, -2, true, null, "\\u00e9"]') == [1.5, -2, True, None, "é"]


@pytest.mark.parametrize("text,line", [("{\n\"a\": 1\n\"b\": 2}", 3), ("[1,\n2,\n", 3),
                                       ('{"a": tru}', 1), ("", 1), ('{"a": 1} x', 1),
                                       ("[" * 500, 1), ('{"a": "x\n"}', 1)])
def test_errors(text, line):
    with pytest.raises(JSONError) as err:
        loads(text)
    assert err.value.line == line


def test_same_values_as_the_stdlib():
    text = (FIXTURES / BP).read_text()
    assert loads(text) == json.loads(text)


# -- rclone ---------------------------------------------------------------------------------

def test_obscured():
    assert is_obscured("sX969X17eFgwkNIdpL4FJV0Gh0EXjbc")
    for plain in ("hunter2", "correct-horse-battery", "p@ss word!", "", "abc"):
        assert not is_obscured(plain)


def test_is_remote():
    assert is_remote("b2:bucket/x") and is_remote("nas:") and is_remote(":s3:bucket")
    assert not is_remote("/srv/a") and not is_remote("C:\\data") and not is_remote("./a:b")


def _severities(line):
    return [s for _m, s in analyse(line.split())]


@pytest.mark.parametrize("line,count", [
    ("rclone mount nas:media /mnt/media", 1),
    ("rclone mount nas:media /mnt/media --vfs-cache-mode=writes", 1),
    ("rclone mount nas:media /mnt/media --vfs-cache-mode full --vfs-cache-max-size 20G", 0),
    ("rclone copy /a b2:a", 0),
    ("rclone copy /a b2:a --retries 3 --low-level-retries 10 --timeout 5m", 0),
    ("rclone copy /a b2:a --retries 1 --low-level-retries=1 --timeout 0 --contimeout 0s", 4),
    ("rclone -n copy /a b2:a", 1),
    ("rclone sync b2:a /srv/a", 1),
    ("rclone sync b2:a /srv/a --backup-dir /srv/old", 0),
    ("rclone sync /srv/a b2:a", 0),
    ("rclone sync /srv/a b2:a > /dev/null 2>&1", 1),
    ("rclone sync /srv/a b2:a --log-file /var/log/r.log > /dev/null 2>&1", 1 - 1),
    ("rsync -a /a /b", 0),
    ("rclone version", 0),
])
def test_analyse(line, count):
    assert len(_severities(line)) == count, analyse(line.split())


# -- real files ---------------------------------------------------------------------------

@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared not present")
def test_real_files_do_not_crash():
    paths = sorted(str(p) for p in SHARED.rglob("*")
                   if p.is_file() and p.suffix in (".json", ".conf"))
    if not paths:
        pytest.skip("no .json or .conf files in ../shared")
    result = run_review(SHARED, paths)
    assert not [n for n in result.notices if "internal error" in n.message]
    # nothing there is a storage file (a SARIF schema, unbound and coturn configs)
    assert not [f for f in result.files if f[1] == "storage"]


def test_a_pulled_mirror_matters_more_when_it_is_the_backup():
    assert _severities("rclone sync b2:a /srv/a") == ["suggestion"]
    assert _severities("rclone sync b2:pi /mnt/usb/backups/pi") == ["warning"]


def test_rclone_in_units_and_crontabs_is_said_once_per_line(tmp_path):
    write_tree(tmp_path, {_COPY: fx(_COPY, replace={
        "ExecStart=/usr/bin/rclone copy": "ExecStart=-/usr/bin/rclone copy",
        "--transfers 2": "--transfers 2 --dry-run"})})
    result = run_review(tmp_path)
    found = [f for f in result.findings if f.rule.id == "SD028"]
    assert len(found) == 1 and "--dry-run" in found[0].message and "`-` prefix" in \
        found[0].message
