"""Kestra flows: recognition, the loader's task walk, and every KS rule firing (at the
marked line) and staying quiet. Expected places are marked in the flow text itself:
`# <- KS005` (or `-- <- KS019` inside SQL) on the line a finding must point at."""

import re
import shutil
from pathlib import Path

import pytest

from conftest import CORPUS, SHARED, needs_shared, run_review, write_tree

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "kestra"
MARK = re.compile(r"<- (KS\d{3})")


def marked(text, rule_id):
    return [i for i, line in enumerate(text.split("\n"), 1)
            if rule_id in MARK.findall(line)]


def review_flow(tmp_path, text, name="flows/flow.yaml", extra=None):
    files = {name: text}
    files.update(extra or {})
    write_tree(tmp_path, files)
    result = run_review(tmp_path)
    assert not [n for n in result.notices if "internal error" in n.message]
    return result


def lines_of(result, rule_id, path="flows/flow.yaml"):
    return sorted(f.line for f in result.findings if f.rule.id == rule_id and f.path == path)


def flow(body="", tasks=None, head="id: demo\nnamespace: acme.data.orders\n"):
    tasks = tasks if tasks is not None else (
        "tasks:\n  - id: hello\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n")
    return head + tasks + body


SCHEDULE = ("triggers:\n  - id: nightly\n    type: io.kestra.plugin.core.trigger.Schedule\n"
            "    cron: \"0 2 * * *\"\n    timezone: UTC\n")
ERRORS = ("errors:\n  - id: alert\n    type: io.kestra.plugin.core.log.Log\n"
          "    message: failed\n")

# (rule, flow text): the expected lines are the text's `<- KSnnn` marks (none: must not fire)
FLOW_CASES = [
    ("KS001", flow(head="id: demo\nnamespace: Acme.Data   # <- KS001\n")),
    ("KS001", flow(tasks="tasks:\n  - id: a   # <- KS001\n    type: io.kestra.plugin.core.log.Log\n"
                         "    message: x\n  - id: b\n    type: io.kestra.plugin.core.flow.Sequential\n"
                         "    tasks:\n      - id: a   # <- KS001\n"
                         "        type: io.kestra.plugin.core.log.Log\n        message: y\n")
     .replace("  - id: a   # <- KS001\n    type: io.kestra.plugin.core.log.Log\n    message: x\n",
              "  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: x\n")),
    ("KS001", flow(tasks="tasks:\n  - id: extract.orders   # <- KS001\n"
                         "    type: io.kestra.plugin.core.log.Log\n    message: x\n")),
    ("KS001", flow("concurrency:   # <- KS001\n  behavior: QUEUE\n")),
    ("KS001", flow(tasks="tasks:\n  - id: again   # <- KS001\n    type: io.kestra.plugin.core.flow.Subflow\n"
                         "    namespace: acme.data.orders\n    flowId: demo\n")),
    ("KS001", flow("concurrency:\n  limit: 1\n")),
    ("KS001", flow(tasks="tasks:\n  - id: sub\n    type: io.kestra.plugin.core.flow.Subflow\n"
                         "    namespace: acme.data.orders\n    flowId: other\n")),
    ("KS002", flow(tasks="tasks:\n  - id: q\n    type: io.kestra.plugin.jdbc.postgresql.Query\n"
                         "    password: Vb7kq2LmZ9wXcT   # <- KS002\n    sql: SELECT 1\n")),
    ("KS002", flow(tasks="tasks:\n  - id: s\n    type: io.kestra.plugin.scripts.shell.Commands\n"
                         "    env:\n      GH: ghp_abcdefghijklmnopqrstuvwxyz0123456789   # <- KS002\n"
                         "    commands: [env]\n")),
    ("KS002", flow(tasks="tasks:\n  - id: p\n    type: io.kestra.plugin.amqp.Publish\n"
                         "    host: amqp://app:Kx8vPq2mWz@rabbit:5672/   # <- KS002\n")),
    ("KS002", flow(tasks="tasks:\n  - id: q\n    type: io.kestra.plugin.jdbc.postgresql.Query\n"
                         "    password: \"{{ secret('DB_PASSWORD') }}\"\n    sql: SELECT 1\n"
                         "  - id: s\n    type: io.kestra.plugin.scripts.python.Script\n"
                         "    env:\n      GOOGLE_APPLICATION_CREDENTIALS: sa.json\n"
                         "    script: password = os.environ['DB_PASSWORD']\n")),
    ("KS003", flow(tasks="tasks:\n  - id: debug\n    type: io.kestra.plugin.core.log.Log\n"
                         "    message: \"token {{ secret('API_TOKEN') }}\"   # <- KS003\n")),
    ("KS003", flow(tasks="tasks:\n  - id: s\n    type: io.kestra.plugin.scripts.shell.Script\n"
                         "    script: |\n      set -e\n"
                         "      echo \"{{ secret('API_TOKEN') | base64encode }}\"   # <- KS003\n")),
    ("KS003", flow(tasks="tasks:\n  - id: s\n    type: io.kestra.plugin.scripts.shell.Commands\n"
                         "    env:\n      TOKEN: \"{{ secret('API_TOKEN') }}\"\n"
                         "    commands:\n      - ./sync.sh --token \"$TOKEN\"\n")),
    ("KS004", flow(tasks="tasks:\n  - id: up\n    type: io.kestra.plugin.fs.sftp.Upload\n"
                         "    strictHostKeyChecking: \"no\"   # <- KS004\n    from: x\n")),
    ("KS004", flow(tasks="tasks:\n  - id: r\n    type: io.kestra.plugin.core.http.Request\n"
                         "    uri: https://api.example.com\n    options:\n"
                         "      ssl:\n        insecureTrustAllCertificates: true   # <- KS004\n")),
    ("KS004", flow(tasks="tasks:\n  - id: up\n    type: io.kestra.plugin.fs.sftp.Upload\n"
                         "    strictHostKeyChecking: \"yes\"\n    from: x\n")),
    ("KS005", flow(tasks="tasks:\n  - id: r\n    type: io.kestra.plugin.core.http.Request\n"
                         "    uri: https://api.example.com\n    retry:   # <- KS005\n"
                         "      type: constant\n      interval: PT10S\n")),
    ("KS005", flow(tasks="tasks:\n  - id: r\n    type: io.kestra.plugin.core.http.Request\n"
                         "    uri: https://api.example.com\n    retry:\n"
                         "      type: constant\n      interval: PT10S\n      maxAttempt: 3\n")),
    ("KS006", flow(tasks="tasks:\n  - id: r\n    type: io.kestra.plugin.core.http.Request\n"
                         "    uri: https://api.example.com\n    retry:   # <- KS006\n"
                         "      type: exponential\n      interval: PT10S\n      maxAttempt: 3\n")),
    ("KS006", flow(tasks="tasks:\n  - id: r\n    type: io.kestra.plugin.core.http.Request\n"
                         "    uri: https://api.example.com\n    retry:\n      type: exponential\n"
                         "      interval: PT10S\n      maxInterval: PT5M\n      maxAttempt: 3\n")),
    ("KS007", flow(SCHEDULE.replace("triggers:\n", "triggers:   # <- KS007\n"))),
    ("KS007", flow(ERRORS + SCHEDULE)),
    ("KS007", flow()),
    ("KS008", flow(tasks="tasks:\n  - id: opt\n    type: io.kestra.plugin.scripts.shell.Commands\n"
                         "    allowFailure: true   # <- KS008\n    commands: [./sync.sh]\n")),
    ("KS008", flow(tasks="tasks:\n  - id: opt\n    type: io.kestra.plugin.scripts.shell.Commands\n"
                         "    allowFailure: true\n    commands: [./sync.sh]\n"
                         "  - id: check\n    type: io.kestra.plugin.core.flow.If\n"
                         "    condition: \"{{ outputs.opt.exitCode == 0 }}\"\n    then:\n"
                         "      - id: ok\n        type: io.kestra.plugin.core.log.Log\n"
                         "        message: synced\n")),
    ("KS009", flow(SCHEDULE, tasks="tasks:\n  - id: transform   # <- KS009\n"
                                   "    type: io.kestra.plugin.scripts.python.Script\n"
                                   "    script: print(1)\n")),
    ("KS009", flow(SCHEDULE, tasks="tasks:\n  - id: wd\n    type: io.kestra.plugin.core.flow.WorkingDirectory\n"
                                   "    timeout: PT1H\n    tasks:\n      - id: transform\n"
                                   "        type: io.kestra.plugin.scripts.python.Script\n"
                                   "        script: print(1)\n")),
    ("KS009", flow(SCHEDULE + "pluginDefaults:\n  - type: io.kestra.plugin.scripts\n"
                              "    values:\n      timeout: PT20M\n",
                   tasks="tasks:\n  - id: transform\n    type: io.kestra.plugin.scripts.python.Script\n"
                         "    script: print(1)\n")),
    ("KS010", flow("triggers:\n  - id: d\n    type: io.kestra.plugin.core.trigger.Schedule\n"
                   "    cron: \"0 9 * * 1-5\"   # <- KS010\n")),
    ("KS010", flow("triggers:\n  - id: d\n    type: io.kestra.plugin.core.trigger.Schedule\n"
                   "    cron: \"*/10 * * * *\"\n")),
    ("KS011", flow("triggers:\n  - id: d\n    type: io.kestra.plugin.core.trigger.Schedule\n"
                   "    cron: \"*/10 * * * *\"   # <- KS011\n")),
    ("KS011", flow("triggers:\n  - id: d\n    type: io.kestra.plugin.core.trigger.Schedule\n"
                   "    cron: \"*/10 * * * *\"\n    recoverMissedSchedules: LAST\n")),
    ("KS012", flow("triggers:\n  - id: every   # <- KS012\n    type: io.kestra.plugin.core.trigger.Flow\n")),
    ("KS012", flow("triggers:\n  - id: after\n    type: io.kestra.plugin.core.trigger.Flow\n"
                   "    description: After each successful upstream load.\n"
                   "    preconditions:\n      flows:\n        - namespace: acme.data\n"
                   "          flowId: upstream\n          states: [SUCCESS]\n")),
    ("KS013", flow("triggers:\n  - id: after\n    type: io.kestra.plugin.core.trigger.Flow\n"
                   "    preconditions:   # <- KS013\n      flows:\n        - namespace: acme.data\n"
                   "          flowId: upstream\n")),
    ("KS013", flow("triggers:\n  - id: after\n    type: io.kestra.plugin.core.trigger.Flow\n"
                   "    description: After the upstream load.\n"
                   "    preconditions:\n      flows:\n        - namespace: acme.data\n"
                   "          flowId: upstream\n")),
    ("KS014", flow(SCHEDULE.replace("triggers:\n", "triggers:   # <- KS014\n"),
                   head="id: demo\nnamespace: acme.prod.billing\n")),
    ("KS014", flow("concurrency:\n  limit: 1\n" + SCHEDULE, head="id: demo\nnamespace: acme.prod.billing\n")),
    ("KS014", flow(SCHEDULE)),
    ("KS015", flow(tasks="tasks:\n  - id: q\n    type: io.kestra.plugin.jdbc.postgresql.Query\n"
                         "    url: jdbc:postgresql://db.prod.acme.internal:5432/sales   # <- KS015\n"
                         "    sql: SELECT 1\n")),
    ("KS015", flow(tasks="tasks:\n  - id: get\n    type: io.kestra.plugin.core.http.Download\n"
                         "    uri: https://data-prod.public.example.org/file.zip\n"
                         "  - id: q\n    type: io.kestra.plugin.jdbc.postgresql.Query\n"
                         "    url: \"{{ kv('DB_URL') }}\"\n    sql: SELECT 1\n")),
    ("KS016", flow(head="id: demo\nnamespace: default   # <- KS016\n")),
    ("KS016", flow(head="id: demo\nnamespace: company.team   # <- KS016\n")),
    ("KS016", flow(head="id: demo\nnamespace: system\n")),
    ("KS017", flow(SCHEDULE, head="id: demo   # <- KS017\nnamespace: acme.data\n")),
    ("KS017", flow(SCHEDULE + "labels:\n  team: data\n")),
    ("KS018", flow(tasks="tasks:\n  - id: hello\n    type: io.kestra.core.tasks.debugs.Echo   # <- KS018\n"
                         "    format: hi\n")),
    ("KS018", flow("listeners:   # <- KS018\n  - tasks:\n      - id: l\n"
                   "        type: io.kestra.plugin.core.log.Log\n        message: x\n")),
    ("KS018", flow("triggers:\n  - id: s\n    type: io.kestra.core.models.triggers.types.Schedule   # <- KS018\n"
                   "    cron: \"@daily\"\n    timezone: UTC\n    backfill:   # <- KS018\n"
                   "      start: 2024-01-01T00:00:00Z\n")),
    ("KS018", flow(tasks="tasks:\n  - id: s\n    type: io.kestra.plugin.scripts.python.Script\n"
                         "    runner: DOCKER   # <- KS018\n    script: print(1)\n")),
    ("KS018", flow(tasks="tasks:\n  - id: s\n    type: io.kestra.plugin.scripts.python.Script\n"
                         "    taskRunner:\n      type: io.kestra.plugin.scripts.runner.docker.Docker\n"
                         "    containerImage: python:3.12-slim\n    script: print(1)\n")),
    ("KS019", flow(tasks="tasks:\n  - id: load\n    type: io.kestra.plugin.jdbc.postgresql.Query\n"
                         "    sql: |\n      BEGIN;\n"
                         "      INSERT INTO orders SELECT * FROM staging;   -- <- KS019\n")),
    ("KS019", flow(tasks="tasks:\n  - id: s\n    type: io.kestra.plugin.scripts.shell.Commands\n"
                         "    commands:\n      - date >> /var/log/sync.log   # <- KS019\n")),
    ("KS019", flow(tasks="tasks:\n  - id: load\n    type: io.kestra.plugin.jdbc.postgresql.Query\n"
                         "    sql: |\n      DELETE FROM orders WHERE day = '{{ trigger.date }}';\n"
                         "      INSERT INTO orders SELECT * FROM staging;\n"
                         "  - id: s\n    type: io.kestra.plugin.scripts.shell.Commands\n"
                         "    commands:\n      - echo a >> out.csv\n"
                         "  - id: mem\n    type: io.kestra.plugin.jdbc.duckdb.Query\n"
                         "    sql: INSERT INTO t SELECT 1\n")),
    ("KS020", flow(tasks="tasks:\n  - id: s\n    type: io.kestra.plugin.scripts.shell.Commands\n"
                         "    commands:\n      - rclone copy /srv/a b2:a --dry-run   # <- KS020\n")),
    ("KS020", flow(tasks="tasks:\n  - id: s\n    type: io.kestra.plugin.scripts.shell.Commands\n"
                         "    commands:\n      - rclone copy /srv/a b2:a --log-level INFO\n"
                         "      - rclone check /srv/a b2:a --dry-run\n")),
]


NAME = "flows/flow.yaml"
# The shape every domain's CASES has: (rule, {file: text}, [(file, line)]).
CASES = [(rule, {NAME: text}, [(NAME, line) for line in marked(text, rule)])
         for rule, text in FLOW_CASES]


@pytest.mark.parametrize("rule_id,files,expected", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule_cases(tmp_path, rule_id, files, expected):
    result = review_flow(tmp_path, files[NAME])
    assert [(NAME, line) for line in lines_of(result, rule_id)] == expected


def test_rclone_fixture_ks020_at_its_marks(tmp_path):
    text = (FIXTURES / "rclone.yaml").read_text()
    result = review_flow(tmp_path, text)
    assert lines_of(result, "KS020") == marked(text, "KS020") == [12, 22]


def test_good_flow_has_no_finding(tmp_path):
    shutil.copy(FIXTURES / "good.yaml", tmp_path / "nightly_orders.yaml")
    result = run_review(tmp_path)
    assert [(f.rule.id, f.line, f.message) for f in result.findings] == []
    assert {p.rule.id for p in result.positives} >= {"KS002", "KS005", "KS007", "KS009",
                                                      "KS010", "KS014", "KS017"}


@pytest.mark.parametrize("name", ["bad.yaml", "blueprint.yaml"])
def test_fixture_marks(tmp_path, name):
    text = (FIXTURES / name).read_text()
    (tmp_path / name).write_text(text)
    result = run_review(tmp_path)
    got = sorted((f.rule.id, f.line) for f in result.findings)
    want = sorted((r, line) for line, ln in enumerate(text.split("\n"), 1)
                  for r in MARK.findall(ln))
    assert got == want


def test_severities_and_messages(tmp_path):
    text = (FIXTURES / "bad.yaml").read_text()
    (tmp_path / "bad.yaml").write_text(text)
    result = run_review(tmp_path)
    by_rule = {f.rule.id: f for f in result.findings}
    assert by_rule["KS002"].severity == "critical"
    assert "Vb7#kq2LmZ9wXc" not in by_rule["KS002"].message
    assert "`password` of task `load`" in by_rule["KS002"].message
    assert by_rule["KS007"].severity == "warning"
    assert by_rule["KS009"].severity == "warning"     # scheduled: runs unattended
    assert by_rule["KS019"].severity == "suggestion"  # no retry on that task


def test_blueprint_is_calibrated(tmp_path):
    text = (FIXTURES / "blueprint.yaml").read_text()
    (tmp_path / "blueprint.yaml").write_text(text)
    result = run_review(tmp_path)
    assert {f.severity for f in result.findings} == {"suggestion"}
    assert all("blueprint" in f.message for f in result.findings)


def test_real_looking_key_in_a_blueprint_stays_critical(tmp_path):
    text = flow("extend:\n  title: demo\n",
                tasks="tasks:\n  - id: s\n    type: io.kestra.plugin.scripts.shell.Commands\n"
                      "    env:\n      CLOUDQUERY_API_KEY: 9ITIyNYb8s3Cr8nSiV4KcKVPGJNSd6u8\n"
                      "    commands: [env]\n")
    result = review_flow(tmp_path, text)
    found = [f for f in result.findings if f.rule.id == "KS002"]
    assert [f.severity for f in found] == ["critical"]
    assert "9ITIyNYb8s3Cr8nSiV4KcKVPGJNSd6u8" not in found[0].message


def test_secret_piped_through_a_filter_is_critical(tmp_path):
    text = flow(tasks="tasks:\n  - id: debug\n    type: io.kestra.plugin.core.log.Log\n"
                      "    message: \"{{ secret('JSON') | jq('.token') }}\"\n")
    result = review_flow(tmp_path, text)
    assert [f.severity for f in result.findings if f.rule.id == "KS003"] == ["critical"]


def test_alert_flow_in_the_same_review_covers_its_namespace(tmp_path):
    alert = ("id: alerts\nnamespace: system\ntasks:\n  - id: send\n"
             "    type: io.kestra.plugin.core.log.Log\n    message: failed\n"
             "triggers:\n  - id: on_failure\n    type: io.kestra.plugin.core.trigger.Flow\n"
             "    description: Any failed execution under acme.\n    conditions:\n"
             "      - type: io.kestra.plugin.core.condition.ExecutionStatus\n        in: [FAILED]\n"
             "      - type: io.kestra.plugin.core.condition.ExecutionNamespace\n"
             "        namespace: acme\n        comparison: PREFIX\n")
    result = review_flow(tmp_path, flow(SCHEDULE), extra={"flows/alerts.yaml": alert})
    assert lines_of(result, "KS007") == []
    other = flow(SCHEDULE, head="id: demo\nnamespace: other.team\n")
    result = review_flow(tmp_path, other, extra={"flows/alerts.yaml": alert})
    assert lines_of(result, "KS007") != []


def test_nested_tasks_are_walked_with_lines():
    from infra_expert.kestra.model import load_flow
    text = (FIXTURES / "good.yaml").read_text()
    flow_ = load_flow(text, "good.yaml")
    where = {m.group(1): text[:m.start()].count("\n") + 1
             for m in re.finditer(r"- id: (\w+)", text)}
    assert [(t.id, t.line) for t in flow_.tasks] == [
        (name, where[name]) for name in ("extract", "branches", "load", "notify_done", "alert")]
    assert [t.parent.id if t.parent else None for t in flow_.tasks] == [
        None, None, "branches", "branches", None]
    switch = ("id: s\nnamespace: a.b\ntasks:\n  - id: sw\n    type: io.kestra.plugin.core.flow.Switch\n"
              "    value: x\n    cases:\n      x:\n        - id: in_case\n"
              "          type: io.kestra.plugin.core.log.Log\n          message: x\n"
              "    defaults:\n      - id: in_default\n        type: io.kestra.plugin.core.log.Log\n"
              "        message: y\n  - id: dag\n    type: io.kestra.plugin.core.flow.Dag\n"
              "    tasks:\n      - task:\n          id: in_dag\n"
              "          type: io.kestra.plugin.core.log.Log\n          message: z\n"
              "  - id: iff\n    type: io.kestra.plugin.core.flow.If\n    condition: 'true'\n"
              "    then:\n      - id: in_then\n        type: io.kestra.plugin.core.log.Log\n"
              "        message: a\n    else:\n      - id: in_else\n"
              "        type: io.kestra.plugin.core.log.Log\n        message: b\n"
              "finally:\n  - id: cleanup\n    type: io.kestra.plugin.core.log.Log\n    message: c\n"
              "afterExecution:\n  - id: notify\n    type: io.kestra.plugin.core.log.Log\n"
              "    message: d\n")
    ids = [t.id for t in load_flow(switch, "s.yaml").tasks]
    assert ids == ["sw", "in_case", "in_default", "dag", "in_dag", "iff", "in_then", "in_else",
                   "cleanup", "notify"]


@pytest.mark.parametrize("name,text,expected", [
    ("flow.yaml", "id: a\nnamespace: b.c\ntasks: []\n", "flow"),
    ("flow.yml", "# c\nid: a\nnamespace: b.c\ntasks:\n  - id: x\n", "flow"),
    ("deploy.yaml", "apiVersion: v1\nkind: Pod\nid: a\nnamespace: b\ntasks: []\n", None),
    ("compose.yaml", "services:\n  a:\n    image: x\nid: a\nnamespace: b\ntasks: []\n", None),
    ("flow.yaml", "id: a\nnamespace: b\nsteps: []\n", None),
    ("flow.json", "id: a\nnamespace: b\ntasks: []\n", None),
    ("flow.yaml", "id: a\nmetadata:\n  namespace: b\n  tasks: []\n", None),
])
def test_recognition(name, text, expected):
    from infra_expert.kestra import by_content
    assert by_content(text, name) == expected


def test_broken_yaml_is_a_finding_not_a_crash(tmp_path):
    result = review_flow(tmp_path, "id: a\nnamespace: b.c\ntasks:\n  - id: [x\n")
    assert [f.rule.id for f in result.findings] == ["KS001"]


def test_suppression_comment(tmp_path):
    text = flow(head="id: demo\nnamespace: default   # infra-expert: ignore=KS016 lab box\n")
    assert lines_of(review_flow(tmp_path, text), "KS016") == []


@needs_shared
def test_real_flows_reviewed_without_crash():
    listing = SHARED / "corpus_lists" / "kestra.txt"
    if not listing.is_file():
        pytest.skip("no Kestra corpus list")
    from infra_expert.config import Config
    from infra_expert.engine import review
    paths = [str(CORPUS / p) for p in listing.read_text().split()]
    result = review(paths, Config(), str(CORPUS))
    assert not [n for n in result.notices if "internal error" in n.message]
    reviewed = {p for p, domain in result.files if domain == "kestra"}
    assert len(reviewed) == len(paths)
    assert not [f for f in result.findings if f.rule.id == "KS001"
                and "s3-dataset-assets" in f.path]     # asset ids are not task ids


MALFORMED = [
    "id: [a]\nnamespace: 5\ntasks: 3\n",
    "id: a\nnamespace: b.c\ntasks:\n  - just a string\n  - 3\n  - id: x\n",
    "id: a\nnamespace: b.c\ntasks:\n  - id: x\n    type: io.kestra.plugin.scripts.shell.Commands\n"
    "    retry: 3\n    allowFailure: yes\n    timeout: [1]\n    commands: {a: 1}\n"
    "    env: [1, 2]\n    sql: 5\n    url: [x]\n",
    "id: a\nnamespace: b.c\ntasks:\n  - id: x\n    type: io.kestra.plugin.core.log.Log\n"
    "    message: [1, {secret: 2}]\n"
    "triggers: x\nlabels: 3\npluginDefaults: [1, {type: 3, values: 4}]\nconcurrency: [1]\n"
    "errors: {a: 1}\nretry: [1]\noutputs: 3\ninputs: [1, {name: 3}]\nsla: 3\nlisteners: 5\n",
    "id: a\nnamespace: b.c\ntasks:\n  - id: x\n    type: io.kestra.plugin.core.log.Log\n"
    "    message: m\ntriggers:\n  - 1\n  - {id: s, type: io.kestra.plugin.core.trigger.Schedule, "
    "cron: 5, withSeconds: true}\n  - {id: f, type: io.kestra.plugin.core.trigger.Flow, "
    "conditions: 3, preconditions: [1]}\n  - {id: g, type: [1]}\n",
    "id: a\nnamespace: b.c\ntasks:\n  - id: x\n    type: io.kestra.plugin.core.flow.Dag\n"
    "    tasks:\n      - task: 3\n      - task: {id: y, type: io.kestra.plugin.core.log.Log}\n"
    "  - id: z\n    type: io.kestra.plugin.core.flow.Switch\n    cases: {a: 3, b: [1, x]}\n",
    "---\nid: a\nnamespace: b.c\ntasks: []\n---\nid: b\nnamespace: b.c\ntasks: []\n",
]


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_flows_reach_every_rule_without_a_crash(tmp_path, text):
    from infra_expert.config import Config
    from infra_expert.kestra import DOMAIN
    config = Config()
    config.enable = {r.id for r in DOMAIN.rules if not r.enabled}
    write_tree(tmp_path, {"flows/flow.yaml": text})
    result = run_review(tmp_path, config=config)
    assert not [n for n in result.notices if "internal error" in n.message]
    assert [p for p, _ in result.files] == ["flows/flow.yaml"]
