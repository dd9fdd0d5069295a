"""Issue 7, item 1: every read goes through one gate. References in a hostile repository
(build contexts, include, extends, COMPOSE_FILE, overrides, drop-ins, .gitignore files)
never lead the review outside the reviewed tree, and what was refused is said."""

import os
import time

import pytest

from infra_expert.config import Config
from infra_expert.fsgate import NOT_REGULAR, OUTSIDE, TOO_BIG, Gate, Refused, roots_for
from infra_expert.report import render

from conftest import run_review, write_tree

PRIVATE = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAPLANTEDKEY\n"
TOKEN = "https://x:ghp_PLANTEDTOKEN0123456789abcdefghijklmn@github.com\n"
OUTSIDE_COMPOSE = "services:\n  smuggled:\n    image: evil:1\n    privileged: true\n"
FORMATS = ("review", "markdown", "json", "sarif")


@pytest.fixture
def outside(tmp_path):
    """A home directory beside the repository, with things worth stealing."""
    home = tmp_path / "home"
    write_tree(home, {".ssh/id_ed25519": PRIVATE, ".git-credentials": TOKEN,
                      "evil.yaml": OUTSIDE_COMPOSE,
                      "evil.conf": "[Container]\nPodmanArgs=--privileged\n"})
    return home


def review_repo(tmp_path, files, paths=None):
    repo = write_tree(tmp_path / "repo", files)
    (repo / ".git").mkdir(exist_ok=True)
    result = run_review(repo, paths)
    outputs = "\n".join(render(result, fmt) for fmt in FORMATS)
    return result, outputs


def notices(result):
    return [f"{n.path}: {n.message}" for n in result.notices]


def assert_nothing_from_outside(result, outputs):
    for planted in ("PLANTEDKEY", "PLANTEDTOKEN", "BEGIN OPENSSH", "smuggled"):
        assert planted not in outputs
    assert not [n for n in result.notices if "internal error" in n.message]


@pytest.mark.parametrize("build", [
    "{context: ../home/.ssh, dockerfile: id_ed25519}",
    "{context: HOME/.ssh, dockerfile: id_ed25519}",
    "{context: ., dockerfile: HOME/.git-credentials}",
    "{context: HOME, dockerfile: .git-credentials}",
])
def test_build_outside_the_tree_is_never_read(tmp_path, outside, build):
    compose = f"services:\n  app:\n    build: {build.replace('HOME', str(outside))}\n"
    result, outputs = review_repo(tmp_path, {"compose.yaml": compose})
    assert_nothing_from_outside(result, outputs)
    assert [d for _, d in result.files] == ["compose"]
    assert any(OUTSIDE in n and "app" in n for n in notices(result)), notices(result)


def test_dockerfile_etc_passwd_is_not_quoted(tmp_path):
    if not os.path.isfile("/etc/passwd"):
        pytest.skip("no /etc/passwd")
    compose = "services:\n  app:\n    build: {context: ., dockerfile: /etc/passwd}\n"
    result, outputs = review_repo(tmp_path, {"compose.yaml": compose})
    assert "root:x:0:0" not in outputs
    assert any(OUTSIDE in n for n in notices(result))


@pytest.mark.parametrize("files", [
    {"compose.yaml": "include:\n  - ../home/evil.yaml\nservices:\n  web:\n    image: a:1\n"},
    {"compose.yaml": "services:\n  web:\n    image: a:1\n",
     ".env": "COMPOSE_FILE=compose.yaml:HOME/evil.yaml\n"},
    {"compose.yaml": "services:\n  web:\n    extends:\n      file: HOME/evil.yaml\n"
                     "      service: smuggled\n"},
])
def test_compose_references_outside_are_refused(tmp_path, outside, files):
    files = {k: v.replace("HOME", str(outside)) for k, v in files.items()}
    result, outputs = review_repo(tmp_path, files)
    assert_nothing_from_outside(result, outputs)
    said = [f.message for f in result.findings if "was not read" in f.message] + notices(result)
    assert any(OUTSIDE in m for m in said), said


def test_override_symlinked_outside_is_not_merged(tmp_path, outside):
    repo = write_tree(tmp_path / "repo", {"compose.yaml": "services:\n  web:\n    image: a:1\n"})
    os.symlink(outside / "evil.yaml", repo / "compose.override.yaml")
    (repo / ".git").mkdir()
    result = run_review(repo)
    outputs = "\n".join(render(result, fmt) for fmt in FORMATS)
    assert_nothing_from_outside(result, outputs)
    assert not [f for f in result.findings if f.rule.id == "DC001"]   # privileged
    assert any("compose.override.yaml" in n and "outside" in n for n in notices(result))


def test_quadlet_drop_in_symlinked_outside_is_not_applied(tmp_path, outside):
    repo = write_tree(tmp_path / "repo", {
        "web.container": "[Container]\nImage=docker.io/library/nginx:1.27\n"})
    (repo / "web.container.d").mkdir()
    os.symlink(outside / "evil.conf", repo / "web.container.d" / "10-evil.conf")
    result = run_review(repo)
    assert not [f for f in result.findings if "privileged" in f.message.lower()]
    assert any("10-evil.conf" in n and "drop-in not applied" in n and OUTSIDE in n
               for n in notices(result)), notices(result)


def test_file_given_alone_loads_its_base_from_the_work_tree(tmp_path):
    repo = write_tree(tmp_path / "repo", {
        "compose.yaml": "services:\n  db:\n    image: postgres:16\n"
                        "    environment:\n      POSTGRES_PASSWORD: hunter2hunter2\n",
        "compose.override.yaml": "services:\n  db:\n    ports: ['5432:5432']\n",
        "deploy/web.container": "[Container]\nImage=docker.io/library/nginx:1.27\n"
                                "Network=app.network\n",
        "deploy/app.network": "[Network]\n",
    })
    (repo / ".git").mkdir()
    result = run_review(repo / "deploy", ["web.container"])
    assert not [n for n in result.notices if OUTSIDE in n.message]
    result = run_review(repo, ["compose.yaml"])
    assert ("compose.override.yaml", "compose") not in result.files   # merged, not alone
    # findings stay on the file asked for
    assert {f.path for f in result.findings} == {"compose.yaml"}
    result = run_review(repo, ["compose.override.yaml"])
    assert {f.path for f in result.findings} == {"compose.override.yaml"}


# --- .gitignore files that attack the walk -------------------------------------------

def test_gitignore_fifo_does_not_hang(tmp_path):
    repo = write_tree(tmp_path / "repo", {"Dockerfile": "FROM alpine:3.20\n"})
    os.mkfifo(repo / ".gitignore")
    start = time.monotonic()
    result = run_review(repo)
    assert time.monotonic() - start < 10
    assert result.files == [("Dockerfile", "dockerfile")]


def test_gitignore_symlink_to_dev_zero_and_sparse_giant(tmp_path):
    repo = write_tree(tmp_path / "repo", {"Dockerfile": "FROM alpine:3.20\n",
                                          "sub/Dockerfile": "FROM alpine:3.20\n"})
    os.symlink("/dev/zero", repo / ".gitignore")
    with open(repo / "sub" / ".gitignore", "wb") as fh:
        fh.truncate(1 << 30)            # 1 GiB, sparse: must not be read
    start = time.monotonic()
    result = run_review(repo)
    assert time.monotonic() - start < 10
    assert sorted(p for p, _ in result.files) == ["Dockerfile", "sub/Dockerfile"]


# --- the gate itself --------------------------------------------------------------------

def test_gate_refusals(tmp_path):
    write_tree(tmp_path, {"in/a.txt": "x" * 100, "out/b.txt": "secret"})
    os.symlink(tmp_path / "out" / "b.txt", tmp_path / "in" / "link.txt")
    os.mkfifo(tmp_path / "in" / "fifo")
    gate = Gate([tmp_path / "in"], 50)
    for path, reason in ((tmp_path / "in" / "link.txt", OUTSIDE),
                         (tmp_path / "out" / "b.txt", OUTSIDE),
                         (tmp_path / "in" / "fifo", NOT_REGULAR),
                         (tmp_path / "in" / "a.txt", TOO_BIG)):
        with pytest.raises(Refused) as info:
            gate.read_text(str(path))
        assert info.value.reason == reason, path
    assert gate.read_text(str(tmp_path / "in" / "a.txt"), max_size=100) == "x" * 100
    assert gate.read_text(str(tmp_path / "in" / "../in/a.txt"), max_size=1000) == "x" * 100


def test_roots_are_given_folders_or_the_work_tree_of_a_file(tmp_path):
    write_tree(tmp_path, {"repo/a/compose.yaml": "services: {}\n", "loose/Dockerfile": ""})
    (tmp_path / "repo" / ".git").mkdir()
    assert roots_for([str(tmp_path / "repo" / "a" / "compose.yaml")]) == [str(tmp_path / "repo")]
    assert roots_for([str(tmp_path / "loose" / "Dockerfile")]) == [str(tmp_path / "loose")]
    assert roots_for([str(tmp_path / "repo" / "a")]) == [str(tmp_path / "repo" / "a")]


def test_config_file_that_is_a_fifo_is_not_opened(tmp_path):
    from infra_expert.config import ConfigError, load_config
    os.mkfifo(tmp_path / ".infra-expert.toml")
    with pytest.raises(ConfigError):
        load_config(str(tmp_path / ".infra-expert.toml"), set())
    assert Config().max_file_size > 0


def test_manifest_over_the_sniff_size_is_still_reviewed(tmp_path):
    big = "".join(f"  key{i}: {'v' * 80}\n" for i in range(4000))    # ~350 KB
    manifest = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
                "  - name: c\n    image: nginx:latest\n---\napiVersion: v1\nkind: ConfigMap\n"
                "metadata:\n  name: big\ndata:\n" + big)
    assert len(manifest) > 256 * 1024
    result, _ = review_repo(tmp_path, {"app.yaml": manifest, "data.yaml": "x: 1\n" + big})
    assert result.files == [("app.yaml", "kubernetes")]
    assert any(f.path == "app.yaml" and f.line == 8 for f in result.findings)


def test_file_over_the_cap_is_a_notice(tmp_path):
    cfg = Config()
    cfg.max_file_size = 1000
    repo = write_tree(tmp_path, {"Dockerfile": "FROM alpine:3.20\n" + "# pad\n" * 500,
                                 "compose.yaml": "services: {}\n"})
    result = run_review(repo, config=cfg)
    assert [n.path for n in result.notices if TOO_BIG in n.message] == ["Dockerfile"]


def test_quadlet_drop_in_folder_linked_outside_is_not_listed(tmp_path, outside):
    repo = write_tree(tmp_path / "repo", {
        "web.container": "[Container]\nImage=docker.io/library/nginx:1.27\n"})
    os.rename(outside / "evil.conf", outside / "10-evil.conf")
    os.symlink(outside, repo / "web.container.d")
    result = run_review(repo)
    assert not [f for f in result.findings if "privileged" in f.message.lower()]
    assert "web.container.d: folder not listed: outside the reviewed tree" in notices(result)
    assert not [n for n in notices(result) if "10-evil" in n]
