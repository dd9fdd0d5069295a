"""Monitoring and logging: Prometheus rules (and PrometheusRule objects), prometheus.yml,
Alertmanager, daemon.json, journald and logrotate — every rule firing and staying quiet,
the PromQL reader, pint's control comments, and the real files of the corpus."""

import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from infra_expert.config import Config
from infra_expert.monitoring import DOMAIN, promql
from infra_expert.monitoring.pint import read_comment

from conftest import run_review, write_tree

FIXTURES = Path(__file__).parent / "fixtures" / "monitoring"
SHARED = Path(__file__).resolve().parents[2] / "shared"


def fixture(rel):
    return (FIXTURES / rel).read_text()


PROM = fixture("stack/prometheus.yml")
RULES = fixture("stack/rules/node.yml")
AM = fixture("stack/alertmanager.yml")
DAEMON = fixture("host/daemon.json")
JOURNALD = fixture("host/journald.conf")
LOGROTATE = fixture("host/logrotate.d/backup")


def edit(text, *pairs):
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def stack(prom=PROM, rules=RULES, am=AM, **extra):
    files = {"prometheus.yml": prom, "rules/node.yml": rules, "alertmanager.yml": am}
    files.update(extra)
    return files


def rule(body, group="extra"):
    """RULES plus one more group holding `body` (indented as a rules list item)."""
    return RULES + f"  - name: {group}\n    rules:\n" + "".join(
        f"      {line}\n" for line in body.strip("\n").split("\n"))


MARKED = None   # expected places: the lines marked `# <- MOxxx` in the files


def marked(files, rule_id):
    out = []
    for name, text in files.items():
        for i, line in enumerate(text.split("\n"), 1):
            m = re.search(r"<- ((?:MO\d{3}[ ,]*)+)", line)
            if m and rule_id in m.group(1):
                out.append((name, i))
    return sorted(out)


CASES = [
    # MO001 unloadable
    ("MO001", stack(rules=rule("- record: job:x:sum\n  expr: sum(rate(x_total[5m])  # <- MO001")), MARKED),
    ("MO001", stack(rules=rule("- alert: Broken  # <- MO001\n  record: job:x:sum\n  expr: up == 0\n  for: 5m\n"
                               "  labels: {severity: info}\n  annotations: {summary: x}")), MARKED),
    ("MO001", {"daemon.json": '{\n  "log-driver": "local",\n}\n'}, [("daemon.json", 3)]),
    ("MO001", stack(), []),
    # MO002 invalid / redundant for
    ("MO002", stack(rules=edit(RULES, ("for: 15m", "for: 15 min  # <- MO002"))), MARKED),
    ("MO002", stack(rules=edit(RULES, ("expr: vector(1)", "expr: vector(1)\n        for: 0s  # <- MO002"))), MARKED),
    ("MO002", stack(rules=edit(RULES, ("for: 5m", "for: 1h30m\n        keep_firing_for: 10m"))), []),
    # MO003 no for
    ("MO003", stack(rules=edit(RULES, ("        for: 5m\n", ""), ("- alert: TargetDown", "- alert: TargetDown  # <- MO003"))), MARKED),
    ("MO003", stack(rules=edit(RULES, ("for: 15m", "for: 0  # <- MO003"))), MARKED),
    ("MO003", stack(rules=rule("- alert: InfoInhibitor\n  expr: ALERTS{severity=\"info\"} == 1\n"
                               "  labels: {severity: none}\n  annotations: {summary: x}")), []),
    # MO004 severity
    ("MO004", stack(rules=edit(RULES, ("          severity: warning\n", "          team: infra\n"),
                                      ("- alert: DiskAlmostFull", "- alert: DiskAlmostFull  # <- MO004"))), MARKED),
    ("MO004", stack(), []),
    # MO005 summary/description
    ("MO005", stack(rules=edit(RULES, ("          description:", "          dashboard:"),
                                      ("- alert: DiskAlmostFull", "- alert: DiskAlmostFull  # <- MO005"))), MARKED),
    ("MO005", stack(rules=edit(RULES, ("          summary: Always", "          note: Always"))), []),
    # MO006 runbook on critical alerts
    ("MO006", stack(rules=edit(RULES, ("          runbook_url: https://runbooks.example.org/target-down\n", ""),
                                      ("- alert: TargetDown", "- alert: TargetDown  # <- MO006"))), MARKED),
    ("MO006", stack(rules=edit(RULES, ("          runbook_url: https://runbooks.example.org/target-down\n", ""),
                                      ("severity: critical", "severity: warning"))), []),
    # MO007 no condition (pint alerts/comparison)
    ("MO007", stack(rules=rule("- alert: Errors\n  expr: rate(http_errors_total[5m])  # <- MO007\n  for: 5m\n"
                               "  labels: {severity: warning}\n  annotations: {summary: x}")), MARKED),
    ("MO007", stack(rules=rule("- alert: Errors\n  expr: rate(http_errors_total[5m]) > bool 0  # <- MO007\n  for: 5m\n"
                               "  labels: {severity: warning}\n  annotations: {summary: x}")), MARKED),
    ("MO007", stack(rules=rule("- alert: Errors\n  expr: rate(errors_total[5m]) > 1 or vector(0)  # <- MO007\n  for: 5m\n"
                               "  labels: {severity: warning}\n  annotations: {summary: x}")), MARKED),
    ("MO007", stack(rules=rule("- alert: Gone\n  expr: absent(up{job=\"node\"})\n  for: 5m\n"
                               "  labels: {severity: warning}\n  annotations: {summary: x}")), []),
    ("MO007", stack(), []),      # Watchdog's vector(1) is the dead-man's switch
    # MO008 impossible comparison
    ("MO008", stack(rules=edit(RULES, ("expr: up == 0", "expr: up == 2  # <- MO008"))), MARKED),
    ("MO008", stack(rules=rule("- alert: DbGone\n  expr: count(up{job=\"db\"}) == 0  # <- MO008\n  for: 5m\n"
                               "  labels: {severity: warning}\n  annotations: {summary: x}")), MARKED),
    ("MO008", stack(rules=rule("- alert: Always\n  expr: up >= 0  # <- MO008\n  for: 5m\n"
                               "  labels: {severity: warning}\n  annotations: {summary: x}")), MARKED),
    ("MO008", stack(rules=rule("- alert: Flaky\n  expr: avg_over_time(up[10m]) < 0.9\n  for: 5m\n"
                               "  labels: {severity: warning}\n  annotations: {summary: x}")), []),
    # MO009 rate window vs scrape interval (pint promql/rate)
    ("MO009", stack(rules=edit(RULES, ("[2m]))", "[45s]))  # <- MO009"))), MARKED),
    ("MO009", stack(prom=edit(PROM, ("  - job_name: node\n", "  - job_name: node\n    scrape_interval: 2m\n")),
                    rules=edit(RULES, ('{mode="idle"}[2m]))', '{job="node",mode="idle"}[3m]))  # <- MO009'))), MARKED),
    ("MO009", stack(), []),
    ("MO009", {"rules/node.yml": edit(RULES, ("[2m]))", "[45s]))"))}, []),   # interval unknown
    # MO010 rate on a gauge
    ("MO010", stack(rules=rule("- record: instance:memory_active:rate5m\n"
                               "  expr: rate(node_memory_Active_bytes[5m])  # <- MO010")), MARKED),
    ("MO010", stack(rules=rule("- record: instance:network_rx:rate5m\n"
                               "  expr: rate(node_network_receive_bytes_total[5m])")), []),
    # MO011 raw counter
    ("MO011", stack(rules=rule("- alert: BackupErrors\n  expr: backup_errors_total > 0  # <- MO011\n  for: 5m\n"
                               "  labels: {severity: warning}\n  annotations: {summary: x}")), MARKED),
    ("MO011", stack(rules=rule("- alert: BackupErrors\n  expr: increase(backup_errors_total[1h]) > 0\n  for: 5m\n"
                               "  labels: {severity: warning}\n  annotations: {summary: x}\n"
                               "- alert: Load\n  expr: node_load1 / count without (cpu) (node_cpu_seconds_total{mode=\"idle\"}) > 2\n"
                               "  for: 15m\n  labels: {severity: warning}\n  annotations: {summary: x}")), []),
    # MO012 dead-man's switch
    ("MO012", stack(rules=edit(RULES, ("  - name: meta\n", "  - name: meta  # <- MO012\n"),
                               ("      - alert: Watchdog\n        expr: vector(1)\n", "      - alert: Heartbeat2\n        expr: up == 0\n        for: 1m\n")).replace(
                                   "Heartbeat2", "Beat")), MARKED),
    ("MO012", stack(), []),
    ("MO012", {"rules/node.yml": edit(RULES, ("      - alert: Watchdog\n        expr: vector(1)\n",
                                              "      - alert: Beat\n        expr: up == 0\n        for: 1m\n"))}, []),
    # MO013 recording rule names
    ("MO013", stack(rules=rule("- record: http_rate  # <- MO013\n  expr: sum(rate(http_requests_total[5m]))\n"
                               "- record: job-http:rate  # <- MO013\n  expr: sum(rate(http_requests_total[5m]))")), MARKED),
    ("MO013", stack(), []),
    # MO014 duplicate group
    ("MO014", stack(rules=rule("- record: job:up:sum\n  expr: sum by (job) (up)", group="node  # <- MO014")), MARKED),
    ("MO014", stack(), []),
    # MO015 duplicate rule
    ("MO015", stack(rules=rule("- record: job:up:sum\n  expr: sum by (job) (up)\n"
                               "- record: job:up:sum  # <- MO015\n  expr: sum by (job) (up)")), MARKED),
    ("MO015", stack(rules=rule("- record: job:up:sum\n  expr: sum by (job) (up)\n"
                               "- record: job:up:sum\n  expr: sum by (job) (up{job!=\"x\"})")), []),
    # MO016 scrape timeout
    ("MO016", stack(prom=edit(PROM, ("    sample_limit: 20000\n", "    sample_limit: 20000\n    scrape_interval: 5s\n"
                                                                    "    scrape_timeout: 15s  # <- MO016\n"))), MARKED),
    ("MO016", stack(prom=edit(PROM, ("    sample_limit: 20000\n", "    sample_limit: 20000\n    scrape_interval: 5s\n"))), []),
    # MO017 duplicate job
    ("MO017", stack(prom=PROM + "  - job_name: node  # <- MO017\n    static_configs:\n      - targets: [\"nas:9100\"]\n"), MARKED),
    ("MO017", stack(), []),
    # MO018 prometheus.yml credentials
    ("MO018", stack(prom=edit(PROM, ("      password_file: /run/secrets/node_exporter",
                                     "      password: Wq8-zx7vLpr2  # <- MO018"))), MARKED),
    ("MO018", stack(prom=edit(PROM, ("      password_file: /run/secrets/node_exporter",
                                     "      password: ${NODE_EXPORTER_PASSWORD}"))), []),
    # MO019 insecure_skip_verify
    ("MO019", stack(prom=edit(PROM, ("      ca_file: /etc/prometheus/homelab-ca.pem",
                                     "      insecure_skip_verify: true  # <- MO019"))), MARKED),
    ("MO019", stack(), []),
    # MO020 sample_limit
    ("MO020", stack(prom=edit(PROM, ("    sample_limit: 20000\n", ""), ("  - job_name: node", "  - job_name: node  # <- MO020"))), MARKED),
    ("MO020", stack(), []),
    # MO021 rule_files
    ("MO021", stack(prom=edit(PROM, ("  - rules/*.yml", "  - rules/*.yml\n  - alerts/*.yml  # <- MO021"))), MARKED),
    ("MO021", stack(), []),
    # MO022 no up/absent alert
    ("MO022", stack(prom=edit(PROM, ("scrape_configs:", "scrape_configs:  # <- MO022")),
                    rules=edit(RULES, ("expr: up == 0", "expr: node_load1 > 8"))), MARKED),
    ("MO022", stack(), []),
    # MO023 receivers
    ("MO023", stack(am=edit(AM, ("  receiver: ntfy\n", ""), ("route:", "route:  # <- MO023"))), MARKED),
    ("MO023", stack(am=edit(AM, ("    - receiver: healthchecks", "    - receiver: healthcheck  # <- MO023"))), MARKED),
    ("MO023", stack(), []),
    # MO024 group_by
    ("MO024", stack(am=edit(AM, ("  group_by: [alertname, instance]\n", ""), ("route:", "route:  # <- MO024"))), MARKED),
    ("MO024", stack(), []),
    # MO025 repeat_interval
    ("MO025", stack(am=edit(AM, ("  repeat_interval: 4h", "  repeat_interval: 5m  # <- MO025"))), MARKED),
    ("MO025", stack(), []),   # the Watchdog route repeats every minute on purpose
    # MO026 Alertmanager secrets
    ("MO026", stack(am=edit(AM, ("      - url: http://ntfy:80/homelab-alerts",
                                 "      - url: https://discord.com/api/webhooks/1234/AbCdEfGhIjKlMnOp  # <- MO026"))), MARKED),
    ("MO026", stack(am="global:\n  smtp_auth_password: Tr0ub4dor-horse  # <- MO026\n" + AM), MARKED),
    ("MO026", stack(am="global:\n  smtp_auth_password_file: /run/secrets/smtp\n" + AM), []),
    # MO027 inhibition
    ("MO027", stack(am=edit(AM, ("route:", "route:  # <- MO027")).split("inhibit_rules:")[0]), MARKED),
    ("MO027", stack(), []),
    # MO028 docker log rotation
    ("MO028", {"daemon.json": '{\n  "log-driver": "json-file",\n  "log-opts": {"max-file": "3"}\n}\n'}, [("daemon.json", 3)]),
    ("MO028", {"daemon.json": '{\n  "log-driver": "json-file",\n  "log-opts": {"max-size": "10m", "max-file": 3}\n}\n'},
     [("daemon.json", 3)]),
    ("MO028", {"daemon.json": DAEMON}, []),
    # MO029 journald cap
    ("MO029", {"journald.conf": "[Journal]\nStorage=persistent\n"}, [("journald.conf", 1)]),
    ("MO029", {"journald.conf": "[Journal]\nStorage=persistent\n",
               "journald.conf.d/size.conf": "[Journal]\nSystemMaxUse=100M\n"}, []),
    ("MO029", {"journald.conf": JOURNALD}, []),
    # MO030 logrotate counts
    ("MO030", {"logrotate.d/app": "/var/log/app/*.log {\n    daily\n    compress\n}\n"}, [("logrotate.d/app", 1)]),
    ("MO030", {"logrotate.d/backup": LOGROTATE}, []),
    # MO031 logrotate globs
    ("MO031", {"app.logrotate": "/var/log/app/* {\n    daily\n    rotate 7\n}\n"}, [("app.logrotate", 1)]),
    ("MO031", {"logrotate.d/backup": LOGROTATE}, []),
    # MO032 debug logging
    ("MO032", {"daemon.json": '{\n  "debug": true,\n  "log-driver": "local"\n}\n'}, [("daemon.json", 2)]),
    ("MO032", {"daemon.json": DAEMON}, []),
]


# expected places read from the `# <- MOxxx` markers: a marked case must mark something
CASES = [(rid, files, marked(files, rid) if exp is MARKED else exp) for rid, files, exp in CASES]
assert all(exp for _, files, exp in CASES if any("<- MO" in t for t in files.values()))


@pytest.mark.parametrize("rule_id,files,expected", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule(tmp_path, rule_id, files, expected):
    write_tree(tmp_path, files)
    result = run_review(tmp_path)
    assert not [n for n in result.notices if "internal error" in n.message]
    found = sorted((f.path, f.line) for f in result.findings if f.rule.id == rule_id)
    assert found == expected


def test_every_rule_documented():
    for r in DOMAIN.rules:
        assert r.title and r.rationale and r.fix and r.example, r.id
        assert r.id.startswith("MO")


def test_clean_stack_is_clean_and_praised():
    result = run_review(FIXTURES / "stack")
    assert [f.rule.id for f in result.findings] == []
    praised = {p.rule.id for p in result.positives}
    assert {"MO003", "MO004", "MO005", "MO012", "MO022", "MO024"} <= praised
    res = result.resources["monitoring"]
    assert res["rule_files"][0]["alerts"] == 3 and res["rule_files"][0]["records"] == 1


def test_host_logging_files_are_recognised():
    result = run_review(FIXTURES / "host")
    kinds = sorted(p for p, d in result.files if d == "monitoring")
    assert kinds == ["daemon.json", "journald.conf", "logrotate.d/backup"]
    assert result.findings == []


def test_severity_follows_what_was_found(tmp_path):
    files = stack(rules=rule("- alert: Errors\n  expr: rate(http_errors_total[5m]) > bool 0\n  for: 5m\n"
                             "  labels: {severity: warning}\n  annotations: {summary: x}\n"
                             "- alert: Rates\n  expr: rate(http_errors_total[5m])\n  for: 5m\n"
                             "  labels: {severity: warning}\n  annotations: {summary: x}"))
    write_tree(tmp_path, files)
    sev = {(f.line, f.severity) for f in run_review(tmp_path).findings if f.rule.id == "MO007"}
    assert {s for _, s in sev} == {"critical", "warning"}


def test_prometheusrule_is_reviewed_as_rules_too(tmp_path):
    manifest = """\
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: node
  namespace: monitoring
spec:
  groups:
    - name: node
      rules:
        - alert: NodeDown
          expr: up{job="node"} == 2
          labels:
            severity: critical
"""
    write_tree(tmp_path, {"prometheusrule.yaml": manifest})
    result = run_review(tmp_path)
    domains = sorted(d for _, d in result.files)
    assert "monitoring" in domains
    lines = {(f.rule.id, f.line) for f in result.findings if f.rule.id.startswith("MO")}
    assert ("MO008", 11) in lines and ("MO003", 10) in lines


def test_pint_comments_silence_their_checks(tmp_path):
    rules = rule("# pint disable alerts/comparison\n"
                 "- alert: Errors\n  expr: rate(http_errors_total[5m])\n  for: 5m\n"
                 "  labels: {severity: warning}\n  annotations: {summary: x}\n"
                 "- alert: Errors2\n  expr: rate(http_errors_total[5m])  # pint ignore/line\n  for: 5m\n"
                 "  labels: {severity: warning}\n  annotations: {summary: x}\n"
                 "- alert: Errors3\n  # pint disable alerts/for\n  expr: rate(http_errors_total[5m])\n  for: 5 min\n"
                 "  labels: {severity: warning}\n  annotations: {summary: x}\n"
                 "- alert: Errors4\n  # pint disable promql/series\n  expr: rate(http_errors_total[5m])\n  for: 5m\n"
                 "  labels: {severity: warning}\n  annotations: {summary: x}")
    write_tree(tmp_path, stack(rules=rules))
    found = {(f.rule.id, f.line) for f in run_review(tmp_path).findings}
    text = rules.split("\n")
    line = {name: next(i for i, t in enumerate(text, 1) if f"alert: {name}" in t)
            for name in ("Errors", "Errors2", "Errors3", "Errors4")}
    assert ("MO007", line["Errors"] + 1) not in found        # disable alerts/comparison
    assert ("MO007", line["Errors2"] + 1) not in found       # ignore/line
    assert ("MO002", line["Errors3"] + 3) not in found       # disable alerts/for
    assert ("MO007", line["Errors3"] + 2) in found           # … and nothing else
    assert ("MO007", line["Errors4"] + 2) in found           # a check we do not have


def test_pint_file_level_comments(tmp_path):
    body = ("- alert: Errors\n  expr: rate(http_errors_total[5m])\n  for: 5m\n"
            "  labels: {severity: warning}\n  annotations: {summary: x}")
    write_tree(tmp_path, stack(rules="# pint file/disable alerts/comparison\n" + rule(body)))
    assert not [f for f in run_review(tmp_path).findings if f.rule.id == "MO007"]
    write_tree(tmp_path, stack(rules="# pint ignore/file\n" + rule(body)))
    ids = {f.rule.id for f in run_review(tmp_path).findings}
    assert "MO007" not in ids
    begin = rule("# pint ignore/begin\n" + body + "\n# pint ignore/end")
    write_tree(tmp_path, stack(rules=begin))
    assert not [f for f in run_review(tmp_path).findings if f.rule.id == "MO007"]
    write_tree(tmp_path, stack(rules=rule("# pint ignore/next-line\n" + body)))
    assert [f for f in run_review(tmp_path).findings if f.rule.id == "MO007"]   # next line is `- alert:`


def test_pint_comment_grammar():
    assert read_comment("# pint disable alerts/for") == ("disable", "alerts/for")
    assert read_comment("expr: x  #pint ignore/line") == ("ignore/line", "")
    assert read_comment("# pint ignore/line please") is None        # a suffix: not a comment
    assert read_comment("# pint disable") is None                   # missing value
    assert read_comment("# pintx disable alerts/for") is None
    assert read_comment("# note # pint file/disable promql/rate(prod)") == \
        ("file/disable", "promql/rate(prod)")


def test_pint_snooze_expires(tmp_path):
    from infra_expert.engine import all_rules
    from infra_expert.monitoring.pint import pint_suppressions
    from infra_expert.suppress import PeerIndex

    class Doc:
        path = "r.yml"
        text = "# pint file/snooze 2030-01-01 alerts/comparison\n# pint file/snooze 2020-01-01 alerts/for\n"
        model = None
    sups = pint_suppressions(Doc(), PeerIndex(all_rules()),
                             now=datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert [sorted(s.ids) for s in sups] == [["MO007"]]


@pytest.mark.parametrize("expr", [
    'sum by (job) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (job) (rate(http_requests_total[5m])) > 0.05',
    'histogram_quantile(0.99, sum(rate(x_bucket[5m])) by (le)) > 1',
    'a and on(instance) group_left(foo) b', '{__name__="up"} == 0', 'rate(x[5m:1m]) > 0',
    'max_over_time(up[5m] offset 1h) == 0', 'x @ start()', '-x ^ 2', 'label_replace(up, "a", "$1", "b", "(.*)")',
    'count_values("v", x)', 'x{a="b",}', 'sum without(a)(x)', 'x > Inf', "1e3 + 0x1f", 'time() - foo > 86400',
    "up\n  # a comment in the expression\n  == 0", 'quantile_over_time(0.9, x[1h]) > 1',
])
def test_promql_reads_valid_expressions(expr):
    promql.parse(expr)


@pytest.mark.parametrize("expr", [
    "sum(rate(x[5m])", "up = 0", "x > ", "rate(x[5m]", 'x{a=b}', '(x)[5m]', 'max_over_time(up[5m]) bool == 1',
    'x{a="b"', "", "sum by job (x)",
])
def test_promql_refuses_invalid_expressions(expr):
    with pytest.raises(promql.PromQLError):
        promql.parse(expr)


def test_durations():
    assert promql.parse_duration("1h30m") == 5400
    assert promql.parse_duration("0") == 0 and promql.parse_duration(0) == 0
    assert promql.parse_duration("5 min") is None and promql.parse_duration("30m1h") is None
    assert promql.parse_duration("1.5h") is None


def test_hostile_inputs_do_not_crash(tmp_path):
    deep = "groups:\n  - name: x\n    rules:\n      - alert: Deep\n        expr: " + "(" * 400 + "up" + ")" * 400 + "\n"
    write_tree(tmp_path, {"deep.rules.yml": deep, "bad.rules": "groups: [\n",
                          "prometheus.yml": "scrape_configs: 5\nglobal: [1]\n",
                          "alertmanager.yml": "route: x\nreceivers: 3\n",
                          "daemon.json": "[1, 2]\n", "logrotate.d/x": "/var/log/x {\n  rotate\n"})
    result = run_review(tmp_path)
    assert not [n for n in result.notices if "internal error" in n.message]


def _real_files():
    if not SHARED.is_dir():
        return []
    out = subprocess.run(["grep", "-rl", "kind: PrometheusRule", str(SHARED / "corpus"),
                          str(SHARED / "corpus-homelab")], capture_output=True, text=True).stdout.split()
    out = [f for f in out if "CustomResourceDefinition" not in f]
    prom = SHARED / "corpus-homelab/bolens__homelab/stacks/onionprobe/config/prometheus.yml"
    return out + ([str(prom)] if prom.is_file() else [])


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared absent")
def test_real_files_reviewed_without_a_crash():
    files = _real_files()
    assert files
    result = run_review(Path.cwd(), files, Config())
    assert not [n for n in result.notices if "internal error" in n.message]
    reviewed = [p for p, d in result.files if d == "monitoring"]
    assert len(reviewed) >= 20
    assert not [f for f in result.findings if f.rule.id in ("MO001", "MO014")]


def test_files_of_other_tools_are_let_go(tmp_path):
    write_tree(tmp_path, {"daemon.json": '{"name": "x", "port": 3}\n',
                          "99-usb.rules": 'SUBSYSTEM=="usb", MODE="0660"\n',
                          "prometheus.yml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: p}\n"})
    result = run_review(tmp_path)
    assert [p for p, d in result.files if d == "monitoring"] == []
