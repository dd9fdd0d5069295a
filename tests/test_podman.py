"""Quadlet units: the unit parser, and every Podman rule firing and staying quiet."""

import pytest

from infra_expert.engine import all_rules
from infra_expert.podman.model import effective
from infra_expert.units import parse_unit

from conftest import rule_locations, run_review, write_tree

GOOD = """\
[Unit]
Description=web

[Container]
Image=docker.io/library/nginx:1.27
PublishPort=127.0.0.1:8080:80
NoNewPrivileges=true
DropCapability=all
ReadOnly=true
HealthCmd=curl -f http://localhost/
HealthOnFailure=kill

[Service]
Restart=always
TimeoutStartSec=900

[Install]
WantedBy=multi-user.target default.target
"""


def unit(extra="", base=GOOD, replace=None):
    text = base
    for old, new in (replace or {}).items():
        text = text.replace(old, new)
    return text.replace("[Service]", extra + "[Service]", 1) if extra else text


# (rule, {file: text}, [(file, line)])
CASES = [
    ("PM001", {"web.container": unit(replace={"docker.io/library/nginx:1.27": "nginx:1.27"})}, [("web.container", 5)]),
    ("PM001", {"web.container": unit()}, []),
    ("PM002", {"web.container": unit(replace={"127.0.0.1:8080:80": "8080:80"})}, [("web.container", 6)]),
    ("PM002", {"web.container": unit("PodmanArgs=--publish 0.0.0.0:9000:9000\n")}, [("web.container", 13)]),
    ("PM002", {"web.container": unit(replace={"127.0.0.1:8080:80": "443:443"})}, []),
    # IPv6: bound to loopback is not all interfaces; `[::]` is
    ("PM002", {"web.container": unit(replace={"127.0.0.1:8080:80": "[::1]:8080:80"})}, []),
    ("PM002", {"web.container": unit(replace={"127.0.0.1:8080:80": "[::]:8080:80"})},
     [("web.container", 6)]),
    ("PM003", {"web.container": unit(replace={"NoNewPrivileges=true\n": ""})}, [("web.container", 4)]),
    ("PM003", {"web.container": unit()}, []),
    ("PM004", {"web.container": unit(replace={"DropCapability=all\n": "DropCapability=NET_RAW\n"})}, [("web.container", 4)]),
    ("PM004", {"web.container": unit()}, []),
    ("PM005", {"web.container": unit(replace={"ReadOnly=true\n": ""})}, [("web.container", 4)]),
    ("PM005", {"web.container": unit()}, []),
    ("PM006", {"web.container": unit("PodmanArgs=--privileged --init\nSeccompProfile=unconfined\n")},
     [("web.container", 13), ("web.container", 14)]),
    ("PM006", {"web.container": unit("AddCapability=NET_BIND_SERVICE\n")}, []),
    ("PM007", {"web.container": unit("Environment=TZ=UTC DB_PASSWORD=hunter22\n")}, [("web.container", 13)]),
    ("PM007", {"web.container": unit("Environment=TZ=UTC\nSecret=db,type=env,target=DB_PASSWORD\n")}, []),
    ("PM008", {"web.container": unit(replace={"HealthOnFailure=kill\n": ""})}, [("web.container", 10)]),
    ("PM008", {"web.container": unit()}, []),
    ("PM009", {"web.container": unit("Notify=healthy\n", replace={"HealthCmd=curl -f http://localhost/\n": "", "HealthOnFailure=kill\n": ""})},
     [("web.container", 11)]),
    ("PM009", {"web.container": unit("Notify=healthy\n")}, []),
    ("PM010", {"web.container": unit(replace={"Restart=always\n": ""})}, [("web.container", 4)]),
    ("PM010", {"web.container": unit()}, []),
    ("PM011", {"web.container": unit(replace={"TimeoutStartSec=900\n": ""})}, [("web.container", 4)]),
    ("PM011", {"web.container": unit("Pull=never\n", replace={"TimeoutStartSec=900\n": ""})}, []),
    ("PM012", {"web.container": unit(replace={"[Install]\nWantedBy=multi-user.target default.target\n": ""})}, [("web.container", 4)]),
    ("PM012", {".config/containers/systemd/web.container": unit(replace={"multi-user.target default.target": "multi-user.target"})},
     [(".config/containers/systemd/web.container", 18)]),
    ("PM012", {".config/containers/systemd/web.container": unit(replace={"multi-user.target default.target": "default.target"})}, []),
    ("PM013", {"app.kube": "[Kube]\nYaml=app.yaml\n\n[Service]\nRestart=always\nTimeoutStartSec=900\n[Install]\nWantedBy=default.target\n",
               "app.yaml": "apiVersion: v1\nkind: Pod\n"}, [("app.kube", 1)]),
    ("PM013", {"app.kube": "[Kube]\nYaml=app.yaml\nExitCodePropagation=any\n[Service]\nRestart=always\n", "app.yaml": "x: 1\n"}, []),
    ("PM014", {"app.kube": "[Kube]\nYaml=app.yaml\nExitCodePropagation=any\nKubeDownForce=true\n", "app.yaml": "x: 1\n"}, [("app.kube", 4)]),
    ("PM014", {"app.kube": "[Kube]\nYaml=app.yaml\nExitCodePropagation=any\nKubeDownForce=false\n", "app.yaml": "x: 1\n"}, []),
    ("PM015", {"web.container": unit("Network=backend.network\nVolume=data.volume:/data\n")}, [("web.container", 13), ("web.container", 14)]),
    ("PM015", {"web.container": unit("Network=backend.network\nVolume=data.volume:/data\n"),
               "backend.network": "[Network]\nInternal=true\n", "data.volume": "[Volume]\n"}, []),
    ("PM016", {"web.container": unit("Pod=app.pod\n"), "app.pod": "[Pod]\nPublishPort=127.0.0.1:8080:80\n"}, [("web.container", 6)]),
    ("PM016", {"web.container": unit("Pod=app.pod\n", replace={"PublishPort=127.0.0.1:8080:80\n": ""}),
               "app.pod": "[Pod]\nPublishPort=127.0.0.1:8080:80\n"}, []),
    ("PM017", {"web.container": unit("Volume=/run/podman/podman.sock:/var/run/docker.sock\n")}, [("web.container", 13)]),
    ("PM017", {"web.container": unit("Volume=/srv/web:/usr/share/nginx/html:ro,Z\n")}, []),
    ("PM018", {"web.container": unit("Network=host\nPodmanArgs=--pid=host\n")}, [("web.container", 13), ("web.container", 14)]),
    ("PM018", {"web.container": unit("PodmanArgs=--pid=private\n")}, []),
    ("PM019", {"web.container": unit("EnvironmentHost=true\n")}, [("web.container", 13)]),
    ("PM019", {"web.container": unit("EnvironmentHost=false\n")}, []),
    ("PM020", {"web.container": "[Container]\nPublishPort=8080:80\nbroken line\n"}, [("web.container", 1), ("web.container", 3)]),
    ("PM020", {"web.container": unit()}, []),
    ("PM021", {"app.image": "[Image]\nImage=quay.io/org/app:1\nTLSVerify=false\n"}, [("app.image", 3)]),
    ("PM021", {"app.image": "[Image]\nImage=quay.io/org/app:1\n"}, []),
    ("PM022", {"nas.volume": "[Volume]\nType=cifs\nDevice=//nas/share\nOptions=username=me,password=S3cr3t!\n"}, [("nas.volume", 4)]),
    ("PM022", {"nas.volume": "[Volume]\nType=cifs\nDevice=//nas/share\nOptions=credentials=/etc/nas.cred\n"}, []),
    ("PM023", {"web.container": unit(replace={"nginx:1.27": "nginx:latest"})}, [("web.container", 5)]),
    ("PM023", {"web.container": unit("AutoUpdate=registry\n", replace={"nginx:1.27": "nginx:latest"})}, []),
    ("PM024", {"api.container": unit("Network=app.network\n"), "web.container": unit("Network=app.network\n"),
               "app.network": "[Network]\n"}, [("api.container", 13)]),
    ("PM024", {"api.container": unit("Network=app.network\nPod=app.pod\n", replace={"PublishPort=127.0.0.1:8080:80\n": ""}),
               "web.container": unit("Pod=app.pod\n", replace={"PublishPort=127.0.0.1:8080:80\n": ""}),
               "app.network": "[Network]\n", "app.pod": "[Pod]\nNetwork=app.network\n"}, []),
]


from test_senior_rules import PODMAN_SENIOR  # noqa: E402
CASES += PODMAN_SENIOR   # issue 8 item 5: tests/test_senior_rules.py

from test_logging_rules import PODMAN_LOGGING  # noqa: E402
CASES += PODMAN_LOGGING   # what services log: tests/test_logging_rules.py

from test_minio import PODMAN_MINIO  # noqa: E402
CASES += PODMAN_MINIO   # MinIO server settings: tests/test_minio.py

@pytest.mark.parametrize("rule_id,files,expected", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule(tmp_path, rule_id, files, expected):
    assert rule_locations(tmp_path, files, rule_id) == sorted(expected)


def test_every_podman_rule_has_a_firing_and_a_clean_case():
    ids = {r.id for r in all_rules() if r.domain == "podman"}
    assert ids <= {c[0] for c in CASES if c[2]}
    assert ids <= {c[0] for c in CASES if not c[2]}


def test_auto_update_with_short_name_is_critical(tmp_path):
    write_tree(tmp_path, {"web.container": unit("AutoUpdate=registry\n", replace={
        "docker.io/library/nginx:1.27": "nginx:1.27"})})
    result = run_review(tmp_path)
    assert [(f.rule.id, f.severity) for f in result.findings if f.rule.id == "PM001"] == \
        [("PM001", "critical")]


def test_unit_parser_repeats_continuations_comments_and_dropins(tmp_path):
    write_tree(tmp_path, {
        "web.container": "# header\n[Container]\nImage=docker.io/x/y:1\nEnvironment=A=1 \\\n"
                         "  # skipped comment\n  B=2\nEnvironment=C=3\n; other comment\n"
                         "PublishPort=80:80\nPublishPort=\nPublishPort=127.0.0.1:81:81\n",
        "web.container.d/10-extra.conf": "[Container]\nPodmanArgs=--cap-add=NET_ADMIN\n",
        "container.d/00-all.conf": "[Service]\nRestart=always\n",
    })
    from infra_expert.units import drop_in_paths
    u = parse_unit((tmp_path / "web.container").read_text(), "web.container")
    assert [e.value for e in u.get_all("Container", "Environment")] == ["A=1 B=2", "C=3"]
    assert [e.value for e in u.get_all("Container", "PublishPort")] == ["127.0.0.1:81:81"]
    assert u.entry("Container", "Environment").line == 7
    paths = drop_in_paths(str(tmp_path / "web.container"), "container")
    assert [p.split("/")[-1] for p in paths] == ["00-all.conf", "10-extra.conf"]
    for p in paths:
        parse_unit(open(p).read(), p, u)
    assert u.get("Service", "Restart") == "always"
    caps = [i.value for i in effective(u).get("cap_add", [])]
    assert caps == ["NET_ADMIN"]


def test_networkd_files_are_not_taken_for_quadlet(tmp_path):
    write_tree(tmp_path, {"eth0.network": "[Match]\nName=eth0\n[Network]\nDHCP=yes\n",
                          "lan.network": "[Network]\nSubnet=10.89.0.0/24\n"})
    result = run_review(tmp_path)
    assert sorted(result.files) == [("lan.network", "podman")]


def test_suppression_comments_in_units(tmp_path):
    text = unit(replace={"ReadOnly=true\n": "", "[Container]\n":
                         "[Container]\n; infra-expert: ignore=PM003 set by a drop-in\n",
                         "NoNewPrivileges=true\n": ""})
    text = "# infra-expert: ignore-file=PM005 writes to /var\n" + text
    write_tree(tmp_path, {"web.container": text})
    rules = {f.rule.id for f in run_review(tmp_path).findings}
    assert "PM005" not in rules
    # the comment sits before the first entry, but PM003 reports at the section line
    assert "PM003" in rules and "IE001" in rules
