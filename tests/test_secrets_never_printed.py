"""Secrets never printed: one masker for every string that leaves the engine.

Three layers: mask_secrets() itself (what it hides and what it must leave alone), the
attacks that once printed a credential (each rule still fires, no format shows the
secret), and every rule's firing case from the rule tables with secrets planted in it.
"""

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra_expert import engine
from infra_expert.config import Config
from infra_expert.kubernetes import schema
from infra_expert.model import Notice, Positive, Review
from infra_expert.report import FORMATS, render
from infra_expert.secrets import MASK, mask_secrets

from conftest import run_review, write_tree

SECRET = "S3cr3tPl4nt3d"
NUMBER_SECRET = "987654321"      # a password that is a number: only the validator knows
URL = f"https://deploy:{SECRET}@repo.example.com/pkg"


def outputs(result):
    return {fmt: render(result, fmt) for fmt in FORMATS}


def assert_not_printed(result, secrets=(SECRET, NUMBER_SECRET)):
    """No format shows a secret, not even its first five characters (a rule that cut it
    short)."""
    for fmt, text in outputs(result).items():
        for secret in secrets:
            start = secret[:5]
            assert start not in text, (fmt, [line for line in text.splitlines()
                                              if start in line][:5])


# -- mask_secrets ---------------------------------------------------------------------------

MASKED = [
    # credentials in URLs, whatever the scheme, also cut short (`…`) or path-normalised
    ("ADD https://user:pw1234@host/x /x", "ADD https://user:****@host/x /x"),
    ("pip install --index-url https://u:p4ss@pypi.example.com/simple x",
     "pip install --index-url https://u:****@pypi.example.com/simple x"),
    ("DATABASE_URL=postgres://app:hunter22@db:5432/app", "DATABASE_URL=postgres://app:****@db:5432/app"),
    ("https://:ghtoken123@github.com/o/r", "https://:****@github.com/o/r"),
    ("//user:pw12@nas/share", "//user:****@nas/share"),
    ("include `https:/u:pw12@git.example.com/c.yaml`", "include `https:/u:****@git.example.com/c.yaml`"),
    ("`wget https://a-long-user-name:passw…`", "`wget https://a-long-user-name:****…`"),
    # password options of the usual commands
    ("CMD mysql -pS3cr3t -h db", "CMD mysql -p**** -h db"),
    ('["mysqldump", "-pS3cr3t", "db"]', '["mysqldump", "-p****", "db"]'),
    ("mariadb -uroot -phunter22 app", "mariadb -uroot -p**** app"),
    ("sshpass -p hunter22 ssh host", "sshpass -p **** ssh host"),
    ("redis-cli -a hunter22 ping", "redis-cli -a **** ping"),
    ("curl -u admin:hunter22 https://x", "curl -u admin:**** https://x"),
    ("curl -fsSLu admin:hunter22 https://x", "curl -fsSLu admin:**** https://x"),
    # flags
    ("mysqldump --password=S3cr3t db", "mysqldump --password=**** db"),
    ("mysql --password S3cr3t db", "mysql --password **** db"),
    ('["mysql", "--password", "S3cr3t"]', '["mysql", "--password", "****"]'),
    ("app --passwd=x1y2 --token abc123 --api-key=k3y --client-secret 'a b'",
     "app --passwd=**** --token **** --api-key=**** --client-secret '****'"),
    ("app --secret hunter22", "app --secret ****"),
    ("podman pull --creds deploy:hunter22 img", "podman pull --creds deploy:**** img"),
    ("skopeo copy --src-creds=u:hunter22 a b", "skopeo copy --src-creds=u:**** a b"),
    # secret-named pairs, any syntax
    ("docker run -e POSTGRES_PASSWORD=hunter22 pg", "docker run -e POSTGRES_PASSWORD=**** pg"),
    ('ENV API_KEY="a b c"', 'ENV API_KEY="****"'),
    ("ENV DB_PASSWORD hunter22", "ENV DB_PASSWORD ****"),
    ("Options=vers=4,password=hunter22", "Options=vers=4,password=****"),
    ("Environment=TZ=UTC DB_PASSWORD=hunter22", "Environment=TZ=UTC DB_PASSWORD=****"),
    ("password: hunter22", "password: ****"),
    ("dbPassword: 'hunter22'", "dbPassword: '****'"),
    ('{"client_secret":"hunter22","user":"app"}', '{"client_secret":"****","user":"app"}'),
    ('jaas: password=\\"hunter22\\";', 'jaas: password=\\"****\\";'),
    ("Server=db;User Id=sa;Password=hunter22;", "Server=db;User Id=sa;Password=****;"),
    # headers, token shapes, key blocks
    ("-H 'Authorization: Bearer abc.def.ghi'", "-H 'Authorization: Bearer ****'"),
    ("Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic ****"),
    ("token ghp_" + "a" * 36 + " used", "token **** used"),
    ("key AKIAABCDEFGHIJKLMNOP", "key ****"),
    ("jwt eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.c2lnbmF0dXJlMTIz", "jwt ****"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
     "-----BEGIN RSA PRIVATE KEY-----****-----END RSA PRIVATE KEY-----"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXkt", "-----BEGIN OPENSSH PRIVATE KEY-----****"),
]

LEFT_ALONE = [
    "docker run -p 8080:80 nginx",
    "podman run -p 127.0.0.1:5432:5432 -u 1000:1000 pg",
    "mysql -p mydb",                          # prompts; `mydb` is the database
    "--password-file=/run/secrets/db_password",
    "--password=${DB_PASSWORD}",
    "DB_PASSWORD=${DB_PASSWORD}",
    "POSTGRES_PASSWORD_FILE=/run/secrets/db",
    "echo $TOKEN | docker login --password-stdin registry.example.com",
    "docker build --secret id=npm,src=.npmrc .",
    "podman pull --creds deploy img",
    "Secret=db,type=env,target=DB_PASSWORD",
    "https://example.com/a@b",
    "https://registry.example.com:5000/v2/",
    "http://localhost:${PORT}",
    "image: myrepo/secret:1.0",
    "secretName: tls-cert",
    "secretKeyRef: {name: db, key: password}",
    "password: changeme",
    "DB_PASSWORD=****",
    "Authorization: Bearer ${TOKEN}",
    "authorization: Bearer {{ secret('API_TOKEN') }}",
    "./data:/data:ro",
    "`ENV DB_PASSWORD=****` holds a literal secret",
    "service `db`: `DATABASE_URL` holds a URL with a password (`…:****@…`)",
    "apt-get install -y --no-install-recommends curl=7.88",
]


@pytest.mark.parametrize("text,expected", MASKED)
def test_masks(text, expected):
    assert mask_secrets(text) == expected
    assert mask_secrets(expected) == expected           # idempotent


@pytest.mark.parametrize("text", LEFT_ALONE)
def test_leaves_ordinary_text_alone(text):
    assert mask_secrets(text) == text


def test_non_strings_pass_through():
    assert mask_secrets(None) is None
    assert mask_secrets("") == ""
    assert mask_secrets(3) == 3


FRAGMENTS = ["password", "PASSWORD", "=", ":", " ", "//", ":/", "@", "-p", "--token", "mysql",
             "curl -u ", "\"", "'", "`", "…", ",", ";", "\n", "\\\"", "S3cr3t", "${X}", "****",
             "Authorization: Bearer ", "ghp_", "a" * 36, "ENV ", "-----BEGIN PRIVATE KEY-----"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=30))
def test_masking_is_idempotent(parts):
    once = mask_secrets("".join(parts))
    assert mask_secrets(once) == once


ADVERSARIAL = ["a=" * 50_000, "password=" * 20_000, "--password " * 20_000, "//a:" * 50_000,
               "//a:b" * 40_000, "https://u:" + "p" * 100_000, "key: " * 40_000,
               '"password":"' * 15_000, "mysql -p" * 25_000, "mysql;" * 30_000,
               "ENV PASSWORD " * 15_000, "authorization: " * 15_000,
               "-----BEGIN PRIVATE KEY-----" * 5_000, "O=" + "a=b," * 50_000, "\\\"" * 100_000]


def test_masking_is_linear_on_adversarial_text():
    """~200 KB each: a backtracking pattern would take minutes; allow a generous bound on a
    shared machine."""
    for text in ADVERSARIAL:
        start = time.perf_counter()
        mask_secrets(text)
        assert time.perf_counter() - start < 3, text[:30]


# -- the engine masks everything it returns ------------------------------------------------------

def test_engine_masks_notices_resources_and_positives():
    result = Review()
    result.positives.append(Positive(engine.all_rules()[0], "Dockerfile", 1, f"`{URL}` ok"))
    result.notices.append(Notice(f"https://u:{SECRET}@h/k", f"not rendered: `{URL}`"))
    result.resources["compose"] = {"projects": [{"path": "c.yaml", "services": [
        {"service": f"DB_PASSWORD={SECRET}", "profiles": [f"--token {SECRET}"]}]}]}
    engine._mask_output(result)
    assert SECRET not in repr([n.as_dict() for n in result.notices])
    assert SECRET not in repr(result.resources) + result.positives[0].message
    assert result.notices[0].path == f"https://u:{MASK}@h/k"


# -- attacks that once printed a credential ----------------------------------------------------

# (name, files, [(rule, path, line)] that must still be found)
ATTACKS = [
    ("ADD url", {"Dockerfile": f"FROM debian:12\nADD https://user:{SECRET}@host.example.com/x.tgz /x\n"},
     [("DF028", "Dockerfile", 2)]),
    ("wget url", {"Dockerfile": f"FROM debian:12\nRUN wget https://u:{SECRET}@h.example.com/file\n"},
     [("DF081", "Dockerfile", 2)]),
    ("wget url cut short", {"Dockerfile": "FROM debian:12\nRUN wget https://a-very-long-user-name-"
                                          f"for-the-artifact-server:{SECRET}@h.example.com/f\n"},
     [("DF081", "Dockerfile", 2)]),
    ("apt-get url", {"Dockerfile": "FROM debian:12\nRUN apt-get update && apt-get install -y "
                                   f"https://u:{SECRET}@repo.example.com/pkg.deb\n"},
     [("DF051", "Dockerfile", 2)]),
    ("pip index url", {"Dockerfile": "FROM python:3.12-slim\nRUN pip install --index-url "
                                     f"https://u:{SECRET}@pypi.example.com/simple flask\n"},
     [("DF068", "Dockerfile", 2), ("DF069", "Dockerfile", 2)]),
    ("mysql -p in CMD", {"Dockerfile": f"FROM debian:12\nCMD mysql -p{SECRET} -h db\n"},
     [("DF019", "Dockerfile", 2)]),
    ("--password= in ENTRYPOINT", {"Dockerfile": f"FROM debian:12\nENTRYPOINT mysqldump --password={SECRET} db\n"},
     [("DF019", "Dockerfile", 2)]),
    ("--password X in ENTRYPOINT", {"Dockerfile": f"FROM debian:12\nENTRYPOINT mysqldump --password {SECRET} db\n"},
     [("DF019", "Dockerfile", 2)]),
    ("sudo", {"Dockerfile": f"FROM debian:12\nRUN sudo mysql -p{SECRET} -e 'select 1'\n"},
     [("DF074", "Dockerfile", 2)]),
    ("chmod", {"Dockerfile": f"FROM debian:12\nRUN chmod 777 /x https://u:{SECRET}@h/x\n"},
     [("DF079", "Dockerfile", 2)]),
    ("cd", {"Dockerfile": f"FROM debian:12\nRUN cd /x --password={SECRET} && make\n"},
     [("DF075", "Dockerfile", 2)]),
    ("parser directive", {"Dockerfile": f"FROM debian:12\n# syntax=docker/dockerfile:1 --password={SECRET}\n"},
     [("DF037", "Dockerfile", 2)]),
    ("schema: env value", {"m.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n"
                                     "  containers:\n    - name: c\n      image: nginx:1.27\n"
                                     "      env:\n        - name: DB_PASSWORD\n"
                                     f"          value: {NUMBER_SECRET}\n"},
     [("K8081", "m.yaml", 11)]),
    ("schema: Secret stringData", {"m.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n"
                                             f"stringData:\n  token: {NUMBER_SECRET}\n"},
     [("K8081", "m.yaml", 6)]),
    ("schema: secret-named field", {"m.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n"
                                              "spec:\n  containers:\n    - name: c\n"
                                              "      image: nginx:1.27\n      env:\n"
                                              "        - name: X\n          value: a\n"
                                              f"          password: {NUMBER_SECRET}\n"},
     [("K8081", "m.yaml", 12)]),
    ("compose include url", {"compose.yaml": f"include:\n  - https://u:{SECRET}@git.example.com/c.yaml\n"
                                              "services:\n  a:\n    image: nginx:1.27\n"},
     [("DC024", "compose.yaml", 2)]),
    ("malformed unit line", {"web.container": "[Container]\nImage=docker.io/library/nginx:1.27\n"
                                              f"DB_PASSWORD {SECRET}\n"},
     [("PM020", "web.container", 3)]),
]


@pytest.mark.parametrize("files,expected", [a[1:] for a in ATTACKS], ids=[a[0] for a in ATTACKS])
def test_attack_is_found_and_masked(tmp_path, files, expected):
    write_tree(tmp_path, files)
    result = run_review(tmp_path)
    found = {(f.rule.id, f.path, f.line) for f in result.findings}
    assert set(expected) <= found, sorted(found)
    assert_not_printed(result)


def test_notice_naming_a_remote_reference_is_masked(tmp_path):
    write_tree(tmp_path, {"k/kustomization.yaml": f"resources:\n  - {URL}//base\n"})
    result = run_review(tmp_path)
    assert any("https://deploy:****@repo.example.com" in n.message for n in result.notices)
    assert_not_printed(result)


def test_schema_message_names_the_type_not_the_value(tmp_path):
    files = dict(ATTACKS[[a[0] for a in ATTACKS].index("schema: env value")][1])
    write_tree(tmp_path, files)
    [message] = [f.message for f in run_review(tmp_path).findings if f.rule.id == "K8081"]
    assert message.endswith("`spec.containers.0.env.0.value`: an integer is not of type string")


def test_without_the_mask_pass_the_attacks_would_print(tmp_path, monkeypatch):
    """The attack tests can fail: with the engine's pass disabled, the secret shows."""
    monkeypatch.setattr(engine, "_mask_output", lambda result: None)
    write_tree(tmp_path, {"Dockerfile": f"FROM debian:12\nCMD mysql -p{SECRET} -h db\n"})
    assert all(SECRET in text for text in outputs(run_review(tmp_path)).values())


# -- every rule's firing case, with secrets planted ----------------------------------------------

# Lines that rules quote: DF081 (wget), DF074 (sudo), DF028 (ADD of a URL).
PLANT_DOCKERFILE = (f"RUN wget {URL}/a.tgz && sudo mysql -p{SECRET} --password={SECRET}\n"
                    f"ADD {URL}/b.tgz /b\n"
                    f"ENV DB_PASSWORD={SECRET}\n")
PLANT_SERVICE = ["planted:", "  image: nginx:1.27",
                 f"  command: [\"sh\", \"-c\", \"wget -q {URL} && mysql --password={SECRET}\"]",
                 "  environment:", f"    DB_PASSWORD: {SECRET}", f"    REPO_URL: {URL}"]
PLANT_MANIFEST = f"""\
---
apiVersion: v1
kind: Pod
metadata:
  name: planted
spec:
  containers:
    - name: c
      image: nginx:1.27
      command: ["sh", "-c", "wget -q {URL} && mysql --password={SECRET}"]
      env:
        - name: DB_PASSWORD
          value: {SECRET}
        - name: API_TOKEN
          value: {NUMBER_SECRET}
"""
PLANT_UNIT = [f"Environment=DB_PASSWORD={SECRET} REPO={URL}",
              f"Exec=sh -c \"wget -q {URL} && mysql --password={SECRET}\"",
              f"DB_PASSWORD {SECRET}"]                   # PM020 quotes malformed lines
# Every Quadlet section takes PodmanArgs=; only [Container] takes Environment= and Exec=.
PLANT_PODMAN_ARGS = [f"PodmanArgs=--creds deploy:{SECRET} --env DB_PASSWORD={SECRET} "
                     f"--label src={URL}"]
QUADLET_SECTIONS = ("[Pod]", "[Volume]", "[Network]", "[Kube]", "[Image]", "[Build]")
COMPOSE_FILE = re.compile(r"(^|/)(docker-)?compose[^/]*\.ya?ml$|podman-compose\.ya?ml$")


def _insert_after(text, at, lines):
    """`lines` inserted after line number `at` (1-based); returns the text and the shift."""
    rows = text.splitlines(keepends=True)
    block = "".join(line + "\n" for line in lines)
    return "".join(rows[:at]) + block + "".join(rows[at:]), len(lines)


def _plant_compose(text):
    """A service added last in `services:` (rules that name the first one are unmoved)."""
    rows = text.splitlines()
    if "services:" not in rows:
        return text, None, 0
    start = rows.index("services:") + 1
    indent = next((len(r) - len(r.lstrip()) for r in rows[start:] if r.strip()), 2) or 2
    at = next((i for i in range(start, len(rows))
               if rows[i].strip() and not rows[i][0].isspace()), len(rows))
    new, shift = _insert_after(text, at, [" " * indent + line for line in PLANT_SERVICE])
    return new, at, shift


def _plant_unit(text):
    rows = text.splitlines()
    if "[Container]" in rows:
        at = rows.index("[Container]") + 1
        new, shift = _insert_after(text, at, PLANT_UNIT + PLANT_PODMAN_ARGS)
        return new, at, shift
    header = next((r for r in rows if r in QUADLET_SECTIONS), None)
    if header is None:
        return text, None, 0
    at = rows.index(header) + 1
    new, shift = _insert_after(text, at, PLANT_PODMAN_ARGS)
    return new, at, shift


def _plant_file(name, text):
    """(planted text, line after which lines were inserted or None, number inserted)."""
    if COMPOSE_FILE.search(name):
        return _plant_compose(text)
    if name.endswith((".container", ".pod", ".volume", ".network", ".kube", ".image", ".build")):
        return _plant_unit(text)
    if name.endswith((".yaml", ".yml")) and "kind:" in text and "apiVersion:" in text:
        return text.rstrip("\n") + "\n" + PLANT_MANIFEST, None, 0
    return text, None, 0


def _planted(files, expected):
    out, shifts = {}, {}
    for name, text in files.items():
        out[name], at, n = _plant_file(name, text)
        shifts[name] = (at, n)
    moved = []
    for path, line in expected:
        at, n = shifts.get(path, (None, 0))
        moved.append((path, line + n if at is not None and line > at else line))
    return out, moved


def _firing_cases():
    """The first firing case of each rule in the rule tables, as (rule, files, [(path, line)])."""
    import test_compose_rules
    import test_dockerfile_rules
    import test_kubernetes_rules
    import test_podman
    cases = {}
    for rule, text, lines, extra in test_dockerfile_rules.CASES:
        if lines and rule not in cases:
            files = dict(extra or {})
            files["Dockerfile"] = text + ("" if text.endswith("\n") else "\n") + PLANT_DOCKERFILE
            cases[rule] = (rule, files, [("Dockerfile", n) for n in lines])
    for mod in (test_compose_rules, test_kubernetes_rules, test_podman):
        for rule, files, expected in mod.CASES:
            if expected and rule not in cases:
                cases[rule] = (rule, *_planted(files, expected))
    return sorted(cases.values())


FIRING = _firing_cases()


@pytest.mark.parametrize("rule_id,files,expected", FIRING, ids=[c[0] for c in FIRING])
def test_planted_secret_is_printed_by_no_rule(tmp_path, rule_id, files, expected):
    assert SECRET in "".join(files.values())
    write_tree(tmp_path, files)
    import test_dockerfile_rules
    config = Config()
    config.enable = {rule_id}   # an opt-in rule's case runs with it on, as in its table
    for key, value in test_dockerfile_rules.SETTINGS.get(rule_id, {}).items():
        setattr(config, key, value)
    result = run_review(tmp_path, [*files] if "Dockerfile" in files else None, config)
    found = {(f.path, f.line) for f in result.findings if f.rule.id == rule_id}
    assert set(expected) <= found, sorted(found)
    assert_not_printed(result)


@pytest.mark.parametrize("rule_id,disable", [
    ("DF001", lambda mp: mp.setattr(engine, "_mask_output", lambda result: None)),
    ("K8001", lambda mp: mp.setattr(schema, "_secret_field", lambda obj, path: False)),
])
def test_without_masking_the_planted_secrets_would_print(tmp_path, monkeypatch, rule_id, disable):
    """The planted cases can fail: with the engine's pass (or the validator's care) off,
    a secret shows."""
    disable(monkeypatch)
    _, files, _ = next(c for c in FIRING if c[0] == rule_id)
    write_tree(tmp_path, files)
    with pytest.raises(AssertionError):
        assert_not_printed(run_review(tmp_path))


def test_every_domain_is_planted():
    """The planting reached each format: a Compose service, a unit, a manifest."""
    planted = "".join(t for _, files, _ in FIRING for t in files.values())
    assert PLANT_SERVICE[0] in planted and PLANT_UNIT[0] in planted
    assert PLANT_PODMAN_ARGS[0] in planted
    assert "name: planted" in planted and PLANT_DOCKERFILE in planted
