"""Every Compose rule: a case that fires (rule id, file and line) and one that must not."""

import pytest

from infra_expert.config import Config
from infra_expert.engine import all_rules

from conftest import rule_locations, run_review, write_tree

# A service that passes every per-service rule, to build cases from.
GOOD = """\
    image: nginx:1.27@sha256:0000000000000000000000000000000000000000000000000000000000000000
    restart: unless-stopped
    read_only: true
    cap_drop: [ALL]
    security_opt: ["no-new-privileges:true"]
    deploy:
      resources:
        limits: {memory: 128M, cpus: "0.5", pids: 100}
    healthcheck:
      test: ["CMD", "true"]
    logging:
      driver: local
"""


def svc(name, extra="", base=GOOD):
    return f"  {name}:\n{base}{extra}"


def compose(*services, top=""):
    return "services:\n" + "".join(services) + top


# (rule, {file: text}, [(file, line)] expected for that rule)
CASES = [
    ("DC001", {"compose.yaml": compose(svc("a", "    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock:ro\n"))},
     [("compose.yaml", 16)]),
    ("DC001", {"compose.yaml": compose(svc("a", "    volumes:\n      - ./data:/data\n"))}, []),
    ("DC002", {"compose.yaml": compose(svc("a", "    privileged: true\n"))}, [("compose.yaml", 15)]),
    ("DC002", {"compose.yaml": compose(svc("a", "    privileged: false\n"))}, []),
    ("DC003", {"compose.yaml": compose(svc("a", base=GOOD.replace('    security_opt: ["no-new-privileges:true"]\n', "")))},
     [("compose.yaml", 2)]),
    ("DC003", {"compose.yaml": compose(svc("a"))}, []),
    ("DC004", {"compose.yaml": compose(svc("a", base=GOOD.replace("nginx:1.27@sha256:" + "0" * 64, "nginx")),
                                       svc("b", base=GOOD.replace("nginx:1.27@sha256:" + "0" * 64, "traefik:stable")))},
     [("compose.yaml", 3), ("compose.yaml", 16)]),
    ("DC004", {"compose.yaml": compose(svc("a", base=GOOD.replace("@sha256:" + "0" * 64, "")))}, []),
    ("DC005", {"compose.yaml": compose(svc("a", "    ports:\n      - \"5432:5432\"\n      - \"0.0.0.0:8080:80\"\n      - 443:443\n"))},
     [("compose.yaml", 16), ("compose.yaml", 17)]),
    ("DC005", {"compose.yaml": compose(svc("a", "    ports:\n      - \"127.0.0.1:5432:5432\"\n      - \"80:80\"\n"))}, []),
    # the host address is a variable the deploy sets (DC026 says it is unset here): where
    # it listens is not known; set to 0.0.0.0 in .env (or by a default), it is all of them
    ("DC005", {"compose.yaml": compose(svc("a", "    ports:\n      - \"${LAN_IP}:53:53/udp\"\n"
                                                "      - host_ip: ${LAN_IP}\n        target: 853\n"
                                                "        published: \"853\"\n"))}, []),
    ("DC005", {"compose.yaml": compose(svc("a", "    ports:\n      - \"${LAN_IP}:53:53/udp\"\n"
                                                "      - \"${WAN_IP:-0.0.0.0}:853:853\"\n")),
               ".env": "LAN_IP=0.0.0.0\n"},
     [("compose.yaml", 16), ("compose.yaml", 17)]),
    ("DC006", {"compose.yaml": compose(svc("a", base=GOOD.replace("    cap_drop: [ALL]\n", "")))}, [("compose.yaml", 2)]),
    ("DC006", {"compose.yaml": compose(svc("a"))}, []),
    ("DC007", {"compose.yaml": compose(svc("a", base=GOOD.replace("    read_only: true\n", "")))}, [("compose.yaml", 2)]),
    ("DC007", {"compose.yaml": compose(svc("a"))}, []),
    ("DC008", {"compose.yaml": compose(svc("a", "    network_mode: host\n"))}, [("compose.yaml", 15)]),
    ("DC008", {"compose.yaml": compose(svc("a", "    network_mode: bridge\n"))}, []),
    ("DC009", {"compose.yaml": compose(svc("a", base=GOOD.replace('["no-new-privileges:true"]', '["no-new-privileges:true", "seccomp=unconfined"]')))},
     [("compose.yaml", 7)]),
    ("DC009", {"compose.yaml": compose(svc("a"))}, []),
    ("DC010", {"compose.yaml": compose(svc("a", "    pid: host\n    ipc: host\n"))}, [("compose.yaml", 15), ("compose.yaml", 16)]),
    ("DC010", {"compose.yaml": compose(svc("a", "    ipc: shareable\n"))}, []),
    ("DC011", {"compose.yaml": compose(svc("a", "    cap_add: [SYS_ADMIN, NET_BIND_SERVICE]\n"))}, [("compose.yaml", 15)]),
    ("DC011", {"compose.yaml": compose(svc("a", "    cap_add: [NET_BIND_SERVICE]\n"))}, []),
    ("DC012", {"compose.yaml": compose(svc("a", "    cap_add:\n      - CHOWN\n      - CAP_NET_ADMIN\n"))}, [("compose.yaml", 17)]),
    ("DC012", {"compose.yaml": compose(svc("a", "    cap_add: [CHOWN]\n"))}, []),
    ("DC013", {"compose.yaml": compose(svc("a", "    volumes:\n      - /etc/ssl/private:/certs:ro\n      - ~/.ssh:/root/.ssh\n"))},
     [("compose.yaml", 16), ("compose.yaml", 17)]),
    ("DC013", {"compose.yaml": compose(svc("a", "    volumes:\n      - /srv/app:/app\n      - data:/data\n      - /etc/localtime:/etc/localtime:ro\n"))}, []),
    ("DC014", {"compose.yaml": compose(svc("a", "    volumes:\n      - /:/host\n      - type: bind\n        source: /etc\n        target: /host-etc\n"))},
     [("compose.yaml", 16), ("compose.yaml", 17)]),
    ("DC014", {"compose.yaml": compose(svc("a", "    volumes:\n      - /:/host:ro\n"))}, []),
    ("DC016", {"compose.yaml": compose(svc("a", "    devices:\n      - /dev/sda:/dev/sda\n"))}, [("compose.yaml", 16)]),
    ("DC016", {"compose.yaml": compose(svc("a", "    devices:\n      - /dev/ttyUSB0:/dev/ttyUSB0\n"))}, []),
    ("DC017", {"compose.yaml": compose(svc("a", "    volumes:\n      - /mnt/media:/media:rshared\n"))}, [("compose.yaml", 16)]),
    ("DC017", {"compose.yaml": compose(svc("a", "    volumes:\n      - /mnt/media:/media:ro\n"))}, []),
    ("DC018", {"compose.yaml": compose(svc("a", "    user: root\n"))}, [("compose.yaml", 15)]),
    ("DC018", {"compose.yaml": compose(svc("a", '    user: "1000:1000"\n'))}, []),
    ("DC019", {"compose.yaml": compose(svc("a", base=GOOD.replace("@sha256:" + "0" * 64, "")))}, [("compose.yaml", 3)]),
    ("DC019", {"compose.yaml": compose(svc("a"))}, []),
    ("DC020", {"compose.yaml": compose(svc("a", "    environment:\n      POSTGRES_PASSWORD: hunter22\n"))},
     [("compose.yaml", 16)]),
    ("DC020", {"compose.yaml": compose(svc("a", "    environment:\n      POSTGRES_PASSWORD_FILE: /run/secrets/db\n      API_TOKEN: ${API_TOKEN}\n")),
               ".env": "API_TOKEN=abc\n", ".gitignore": ".env\n"}, []),
    ("DC021", {"compose.yaml": compose(svc("a", "    environment:\n      - DATABASE_URL=postgres://app:s3cr3tpw@db/app\n"))}, [("compose.yaml", 16)]),
    ("DC021", {"compose.yaml": compose(svc("a", "    environment:\n      - DATABASE_URL=postgres://app@db/app\n"))}, []),
    ("DC022", {"compose.yaml": compose(svc("a", "    tmpfs:\n      - /tmp:exec,mode=1777\n"))}, [("compose.yaml", 16)]),
    ("DC022", {"compose.yaml": compose(svc("a", "    tmpfs:\n      - /tmp\n"))}, []),
    ("DC023", {"compose.yaml": compose(svc("a", "    cgroup_parent: custom\n"))}, [("compose.yaml", 15)]),
    ("DC023", {"compose.yaml": compose(svc("a"))}, []),
    ("DC024", {"compose.yaml": "services:\n  a:\n    image: x:1\n   bad: indent\n"}, [("compose.yaml", 4)]),
    ("DC024", {"compose.yaml": compose(svc("a", "    extends:\n      service: nope\n"))}, [("compose.yaml", 15)]),
    ("DC024", {"compose.yaml": compose(svc("a"))}, []),
    ("DC025", {"compose.yaml": compose(svc("a", "    environment:\n      KEY: ${KEY:?set KEY}\n"))}, [("compose.yaml", 16)]),
    ("DC025", {"compose.yaml": compose(svc("a", "    environment:\n      KEY: ${KEY:?set KEY}\n")), ".env": "KEY=1\n"}, []),
    ("DC026", {"compose.yaml": compose(svc("a", "    environment:\n      KEY: ${KEY}\n      OTHER: ${OTHER:-x}\n"))}, [("compose.yaml", 16)]),
    ("DC026", {"compose.yaml": compose(svc("a", "    environment:\n      KEY: ${KEY}\n    volumes: ['${PWD}/x:/x']\n")), ".env": "KEY=1\n"}, []),
    ("DC027", {"compose.yaml": compose(svc("a", "    environment:\n      DB_PASSWORD: ${DB_PASSWORD}\n")),
               ".env": "# local\nDB_PASSWORD=s3cr3t-value\n"}, [(".env", 2)]),
    ("DC027", {"compose.yaml": compose(svc("a", "    environment:\n      DB_PASSWORD: ${DB_PASSWORD}\n")),
               ".env": "DB_PASSWORD=s3cr3t-value\n", ".gitignore": ".env\n"}, []),
    ("DC030", {"compose.yaml": compose(svc("a", base=GOOD.replace("    restart: unless-stopped\n", "")))}, [("compose.yaml", 2)]),
    ("DC030", {"compose.yaml": compose(svc("a"), svc("job", "    profiles: [tools]\n", base=GOOD.replace("    restart: unless-stopped\n", "")))}, []),
    ("DC031", {"compose.yaml": compose(svc("a", base=GOOD.replace("memory: 128M, ", "")))}, [("compose.yaml", 8)]),
    ("DC031", {"compose.yaml": compose(svc("a", "    mem_limit: 128m\n", base=GOOD.replace("memory: 128M, ", "")))}, []),
    ("DC032", {"compose.yaml": compose(svc("a", base=GOOD.replace('cpus: "0.5", ', "")))}, [("compose.yaml", 8)]),
    ("DC032", {"compose.yaml": compose(svc("a"))}, []),
    ("DC033", {"compose.yaml": compose(svc("a", base=GOOD.replace(", pids: 100", "")))}, [("compose.yaml", 8)]),
    ("DC033", {"compose.yaml": compose(svc("a", "    pids_limit: 50\n", base=GOOD.replace(", pids: 100", "")))}, []),
    ("DC034", {"compose.yaml": compose(svc("a", "    mem_limit: 256m\n"))}, [("compose.yaml", 15)]),
    ("DC034", {"compose.yaml": compose(svc("a", "    mem_limit: 128m\n"))}, []),
    ("DC035", {"compose.yaml": compose(svc("a", base=GOOD.replace('    healthcheck:\n      test: ["CMD", "true"]\n', "")))}, [("compose.yaml", 2)]),
    ("DC035", {"compose.yaml": compose(svc("a"))}, []),
    ("DC036", {"compose.yaml": compose(svc("a", base=GOOD.replace('test: ["CMD", "true"]', 'test: ["CMD", "true"]\n      interval: 1s\n      timeout: 100ms\n      retries: 0')))},
     [("compose.yaml", 13), ("compose.yaml", 14), ("compose.yaml", 15)]),
    ("DC036", {"compose.yaml": compose(svc("a", base=GOOD.replace('test: ["CMD", "true"]', 'test: ["CMD", "true"]\n      interval: 30s\n      timeout: 5s')))}, []),
    ("DC037", {"compose.yaml": compose(svc("a"))}, [("compose.yaml", 11)]),
    ("DC037", {"compose.yaml": compose(svc("a"), svc("b", "    depends_on:\n      a:\n        condition: service_healthy\n",
                                                     base=GOOD.replace('    healthcheck:\n      test: ["CMD", "true"]\n', "")))}, []),
    ("DC038", {"compose.yaml": compose(svc("a", base=GOOD.replace('    healthcheck:\n      test: ["CMD", "true"]\n', "    build: .\n")),
                                       svc("b", "    depends_on:\n      a:\n        condition: service_healthy\n")),
               "Dockerfile": "FROM alpine:3.20\nUSER 1\n"},
     [("compose.yaml", 28)]),
    ("DC038", {"compose.yaml": compose(svc("a"), svc("b", "    depends_on:\n      a:\n        condition: service_healthy\n"))}, []),
    ("DC039", {"compose.yaml": compose(svc("a"), svc("b", "    depends_on: [a]\n"))}, [("compose.yaml", 28)]),
    ("DC039", {"compose.yaml": compose(svc("a"), svc("b", "    depends_on:\n      a: {condition: service_healthy}\n"))}, []),
    ("DC040", {"compose.yaml": compose(svc("a", base=GOOD.replace("driver: local", "driver: json-file")))}, [("compose.yaml", 13)]),
    ("DC040", {"compose.yaml": compose(svc("a", base=GOOD.replace("driver: local", "driver: json-file\n      options: {max-size: 10m, max-file: '3'}")))}, []),
    ("DC041", {"compose.yaml": compose(svc("a", base=GOOD.replace("    logging:\n      driver: local\n", "")))}, [("compose.yaml", 2)]),
    ("DC041", {"compose.yaml": compose(svc("a"))}, []),
    ("DC042", {"compose.yaml": compose(svc("a", base=GOOD.replace("driver: local", "driver: none")))}, [("compose.yaml", 13)]),
    ("DC042", {"compose.yaml": compose(svc("a"))}, []),
    ("DC043", {"compose.yaml": "version: '3.8'\n" + compose(svc("a"))}, [("compose.yaml", 1)]),
    ("DC043", {"compose.yaml": compose(svc("a"))}, []),
    ("DC044", {"compose.yaml": compose(svc("a"), svc("b", "    links: [a]\n"))}, [("compose.yaml", 28)]),
    ("DC044", {"compose.yaml": compose(svc("a"))}, []),
    ("DC045", {"compose.yaml": compose(svc("a", "    platform: linux/amd64\n"))}, [("compose.yaml", 15)]),
    ("DC045", {"compose.yaml": compose(svc("a"))}, []),
    ("DC046", {"compose.yaml": compose(svc("a", "    container_name: web\n"))}, [("compose.yaml", 15)]),
    ("DC046", {"compose.yaml": compose(svc("a"))}, []),
    ("DC047", {"compose.yaml": compose(svc("a", "    container_name: web\n"), svc("b", "    container_name: web\n"), svc("c", "    container_name: _bad\n"))},
     [("compose.yaml", 29), ("compose.yaml", 43)]),
    ("DC047", {"compose.yaml": compose(svc("a", "    container_name: web\n"), svc("b", "    container_name: api\n"))}, []),
    ("DC048", {"compose.yaml": compose(svc("a", "    ports: ['127.0.0.1:8080:80']\n"), svc("b", "    ports: ['127.0.0.1:8080:80']\n"))},
     [("compose.yaml", 29)]),
    ("DC048", {"compose.yaml": compose(svc("a", "    ports: ['127.0.0.1:8080:80']\n"), svc("b", "    ports: ['127.0.0.1:8081:80']\n"))}, []),
    ("DC049", {"compose.yaml": compose(svc("a", "    build: .\n")), "Dockerfile": "FROM alpine:3.20\n"}, [("compose.yaml", 3)]),
    ("DC049", {"compose.yaml": compose(svc("a", "    build: .\n    pull_policy: build\n")), "Dockerfile": "FROM alpine:3.20\n"}, []),
    ("DC050", {"compose.yaml": compose(svc("a", "    volumes:\n      - ./pg:/var/lib/postgresql/data\n"))}, [("compose.yaml", 16)]),
    ("DC050", {"compose.yaml": compose(svc("a", "    volumes:\n      - pg:/var/lib/postgresql/data\n"), top="volumes:\n  pg:\n")}, []),
    ("DC051", {"compose.yaml": compose(svc("a"), svc("b"), svc("c"))}, [("compose.yaml", 2)]),
    ("DC051", {"compose.yaml": compose(svc("a", "    networks: [n]\n"), svc("b", "    networks: [n]\n"), svc("c", "    networks: [n]\n"), top="networks:\n  n:\n")}, []),
    ("DC052", {"compose.yaml": compose(svc("a", "    ports: ['192.168.1.2:53:53/udp']\n"))}, [("compose.yaml", 15)]),
    ("DC052", {"compose.yaml": compose(svc("a", "    ports: ['127.0.0.1:8053:53/udp', '443:443']\n"))}, []),
    ("DC053", {"compose.yaml": compose(svc("a", base=GOOD.replace("    image: nginx:1.27@sha256:" + "0" * 64 + "\n", "")))}, [("compose.yaml", 2)]),
    ("DC053", {"compose.yaml": compose(svc("a"))}, []),
    ("DC054", {"compose.yaml": compose(svc("a", "    enviroment:\n      A: 1\n")) + "servces: {}\n"},
     [("compose.yaml", 15), ("compose.yaml", 17)]),
    ("DC054", {"compose.yaml": compose(svc("a", "    x-note: ok\n")) + "x-anchors: {}\n"}, []),
    ("DC055", {"compose.yaml": compose(svc("a", "    volumes: [data:/data]\n"), svc("b", "    volumes: [data:/srv]\n"), top="volumes:\n  data:\n")},
     [("compose.yaml", 29)]),
    ("DC055", {"compose.yaml": compose(svc("a", "    volumes: [data:/data]\n"), svc("b", "    volumes: ['data:/srv:ro']\n"), top="volumes:\n  data:\n")}, []),
    ("DC056", {"compose.yaml": compose(svc("a", "    build: ./app\n    pull_policy: build\n",
                                           base=GOOD.replace('test: ["CMD", "true"]', 'test: ["CMD", "curl", "-f", "http://localhost/"]'))),
               "app/Dockerfile": "FROM python:3.12-alpine\nUSER 1000\nCMD [\"python\"]\n"},
     [("compose.yaml", 12)]),
    ("DC056", {"compose.yaml": compose(svc("a", "    build: ./app\n    pull_policy: build\n",
                                           base=GOOD.replace('test: ["CMD", "true"]', 'test: ["CMD-SHELL", "wget -qO- http://localhost/ || exit 1"]'))),
               "app/Dockerfile": "FROM python:3.12-alpine\nUSER 1000\nCMD [\"python\"]\n"}, []),
]

from test_severity import COMPOSE_CASES  # noqa: E402
CASES += COMPOSE_CASES   # compound risks: tests/test_severity.py

CASES += [
    ("DC036", {"compose.yaml": compose(svc("a", base=GOOD.replace("nginx:1.27", "postgres:16.4").replace('test: ["CMD", "true"]', 'test: ["CMD", "pg_isready"]\n      interval: 5s\n      retries: 3')))},
     [("compose.yaml", 11)]),
    ("DC036", {"compose.yaml": compose(svc("a", base=GOOD.replace("nginx:1.27", "postgres:16.4").replace('test: ["CMD", "true"]', 'test: ["CMD", "pg_isready"]\n      interval: 5s\n      start_period: 60s')))}, []),
    ("DC057", {"podman-compose.yml": compose(svc("a"))}, [("podman-compose.yml", 4)]),
    ("DC057", {"compose.yaml": compose(svc("a"))}, []),
]

# Style rules are off by default: run with all of them enabled.
STYLE_CASES = [
    ("DC060", {"compose.yaml": compose(svc("a"))}, [("compose.yaml", 1)]),
    ("DC060", {"compose.yaml": "name: lab\n" + compose(svc("a"))}, []),
    ("DC061", {"compose.yaml": compose(svc("a", "    ports:\n      - 127.0.0.1:8080:80\n      - '127.0.0.1:8443:443'\n"))}, [("compose.yaml", 16)]),
    ("DC061", {"compose.yaml": compose(svc("a", "    ports:\n      - \"127.0.0.1:8080:80\"\n"))}, []),
    ("DC062", {"compose.yaml": compose(svc("a", "    volumes:\n      - \"./d:/d\"\n"))}, [("compose.yaml", 16)]),
    ("DC062", {"compose.yaml": compose(svc("a", "    volumes:\n      - ./d:/d\n"))}, []),
    ("DC063", {"compose.yaml": compose(svc("b"), svc("a"))}, [("compose.yaml", 15)]),
    ("DC063", {"compose.yaml": compose(svc("a"), svc("b"))}, []),
    ("DC064", {"compose.yaml": compose(svc("a", "    image: x:1\n", base="    restart: always\n"))}, [("compose.yaml", 4)]),
    ("DC064", {"compose.yaml": compose(svc("a", "    restart: always\n", base="    image: x:1\n"))}, []),
    ("DC065", {"compose.yaml": compose(svc("a", "    ports: ['127.0.0.1:9000:9000', '127.0.0.1:8000:8000']\n"))}, [("compose.yaml", 15)]),
    ("DC065", {"compose.yaml": compose(svc("a", "    ports: ['127.0.0.1:8000:8000', '127.0.0.1:9000:9000']\n"))}, []),
    ("DC066", {"compose.yaml": compose(svc("a"), svc("b"), svc("c", "    depends_on: [b, a]\n"))}, [("compose.yaml", 41)]),
    ("DC066", {"compose.yaml": compose(svc("a"), svc("b"), svc("c", "    depends_on: [a, b]\n"))}, []),
    ("DC067", {"compose.yaml": "volumes:\n  v:\n" + compose(svc("a"))}, [("compose.yaml", 3)]),
    ("DC067", {"compose.yaml": "x-a: &a {}\nname: n\n" + compose(svc("a")) + "volumes:\n  v:\n"}, []),
]


CASES += STYLE_CASES   # run with their rule enabled (test_rule)


from test_senior_rules import COMPOSE_SENIOR  # noqa: E402
CASES += COMPOSE_SENIOR   # issue 8 item 5: tests/test_senior_rules.py

from test_logging_rules import COMPOSE_LOGGING  # noqa: E402
CASES += COMPOSE_LOGGING   # what services log: tests/test_logging_rules.py

from test_minio import COMPOSE_MINIO  # noqa: E402
CASES += COMPOSE_MINIO   # MinIO server settings: tests/test_minio.py

# rclone run by Compose (DC086): a realistic mount + sync + serve stack, and its fix.
from pathlib import Path as _Path  # noqa: E402
from infra_expert.compose.rules_rclone import EXAMPLE as _RCLONE_OK  # noqa: E402
_RCLONE = (_Path(__file__).parent / "fixtures" / "compose-rclone" / "compose.yaml").read_text()
_RCLONE_CONSUMER = _RCLONE_OK.replace("/mnt/media:/media:ro,rslave", "/mnt/media:/media:ro")
CASES += [
    ("DC086", {"compose.yaml": _RCLONE}, [("compose.yaml", 7), ("compose.yaml", 16),
                                          ("compose.yaml", 33)]),
    ("DC086", {"compose.yaml": _RCLONE_OK}, []),
    ("DC086", {"compose.yaml": _RCLONE_CONSUMER}, [("compose.yaml", 20)]),
    ("DC086", {"compose.yaml": "services:\n  b:\n    image: rclone/rclone:1.68.2\n"
                               "    command: rclone copy /srv/a b2:a\n"}, [("compose.yaml", 4)]),
    ("DC086", {"compose.yaml": "services:\n  b:\n    image: rclone/rclone:1.68.2\n"
                               "    command: [copy, /srv/a, \"b2:a\"]\n"}, []),
    ("DC086", {"compose.yaml": "services:\n  b:\n    image: alpine:3.20\n    command: [\"sh\", "
                               "\"-c\", \"rclone copy /a b2:a --dry-run && sleep 3600\"]\n"},
     [("compose.yaml", 4)]),
    ("DC086", {"compose.yaml": "services:\n  m:\n    image: rclone/rclone:1.68.2\n"
                               "    command: mount nas:m /data --read-only\n    volumes:\n"
                               "      - /mnt/m:/data:rshared\n"}, []),
]

@pytest.mark.parametrize("rule_id,files,expected", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule(tmp_path, rule_id, files, expected):
    config = Config()
    config.enable = {rule_id}   # a rule that is off by default is tested switched on
    assert rule_locations(tmp_path, files, rule_id, config) == sorted(expected)


@pytest.mark.parametrize("rule_id,files,expected", STYLE_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(STYLE_CASES)])
def test_style_rule(tmp_path, rule_id, files, expected):
    write_tree(tmp_path, files)
    cfg = Config()
    cfg.enable = {r.id for r in all_rules() if not r.enabled}
    result = run_review(tmp_path, config=cfg)
    assert sorted((f.path, f.line) for f in result.findings if f.rule.id == rule_id) == \
        sorted(expected)
    assert not [f for f in run_review(tmp_path).findings if f.rule.id == rule_id]  # off by default


def test_every_compose_rule_has_a_firing_and_a_clean_case():
    ids = {r.id for r in all_rules() if r.domain == "compose"}
    fired = {c[0] for c in CASES if c[2]}
    clean = {c[0] for c in CASES if not c[2]}
    assert ids <= fired, sorted(ids - fired)
    assert ids <= clean, sorted(ids - clean)
