"""Kustomize on a hostile tree (issue 7, item 2): no network, no program from the tree,
nothing outside the tree read, bounded time, memory and output.

Every address a test offers to the tool is on 127.0.0.1, where a listener records whoever
calls; fake `git`, `ssh` and `helm` first on PATH record whoever runs them.
"""

import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import threading
import time
from types import SimpleNamespace

import pytest

from conftest import run_review, write_tree
from infra_expert.fsgate import Gate
from infra_expert.kubernetes import kustomize
from test_kubernetes_tooling import DEPLOY

KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")


LOCAL = {
    "local/base/deploy.yaml": DEPLOY,
    "local/base/kustomization.yaml": "resources:\n  - deploy.yaml\n",
    "local/overlay/kustomization.yaml": "namespace: default\nnamePrefix: prod-\n"
                                       "resources:\n  - ../base\n",
}

CANARY = "CANARY-d41d8cd98f00"


def laughs(depth, width=9):
    """A ConfigMap whose `x` expands to width**(depth+1) strings through aliases."""
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: lol", "x:",
             "  a0: &a0 [" + ",".join(['"lol"'] * width) + "]"]
    lines += [f"  a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * width) + "]"
              for i in range(1, depth + 1)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def listener():
    """A TCP server on 127.0.0.1 that records every connection it accepts."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.05)
    accepted, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, peer = server.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            accepted.append(peer)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join(2)
    server.close()


@pytest.fixture
def trap(tmp_path_factory, monkeypatch, listener):
    """Fake git/ssh/helm first on PATH, a kubeconfig and proxies aimed at the listener."""
    port, accepted = listener
    base = tmp_path_factory.mktemp("trap")
    log = base / "ran.log"
    bin_dir = base / "bin"
    bin_dir.mkdir()
    for name in ("git", "ssh", "helm"):
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\necho "{name} $*" >> "{log}"\n')
        script.chmod(0o755)
    home = base / "home"
    (home / ".kube").mkdir(parents=True)
    kubeconfig = home / ".kube" / "config"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
        f"    server: http://127.0.0.1:{port}\ncontexts:\n- name: c\n  context:\n"
        "    cluster: c\n    user: u\nusers:\n- name: u\n  user:\n    token: t\n"
        "current-context: c\n")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(proxy, f"http://127.0.0.1:{port}")
    return SimpleNamespace(port=port, accepted=accepted, log=log)


@pytest.fixture
def renders(monkeypatch):
    """The directories kubectl was asked to render."""
    calls, real = [], kustomize.render

    def recording(kubectl, directory, timeout):
        calls.append(directory)
        return real(kubectl, directory, timeout)

    monkeypatch.setattr(kustomize, "render", recording)
    return calls


def _found(result):
    return {(f.rule.id, f.path, f.line) for f in result.findings}


def _notices(result):
    return {n.path: n.message for n in result.notices}


# ------------------------------------------------------------------- whole review ----
@needs_kubectl
def test_hostile_kustomizations_reach_no_network_and_run_nothing(tmp_path, trap):
    url = f"http://127.0.0.1:{trap.port}"
    hostile = {   # folder: (kustomization, the reference its notice must name)
        "generator": (f"resources:\n  - deploy.yaml\ngenerators:\n  - {url}/gen.yaml\n",
                      f"{url}/gen.yaml"),
        "openapi": (f"resources:\n  - deploy.yaml\nopenapi:\n  path: {url}/openapi.json\n",
                    f"{url}/openapi.json"),
        "ssh": ("resources:\n  - deploy.yaml\n  - ssh://git@127.0.0.1/org/repo.git\n",
                "ssh://git@127.0.0.1/org/repo.git"),
        "component": ("resources:\n  - deploy.yaml\n"
                      "components:\n  - git::https://127.0.0.1/org/repo//c?ref=main\n",
                      "git::https://127.0.0.1/org/repo//c?ref=main"),
        "scp": ("resources:\n  - deploy.yaml\ntransformers:\n  - git@127.0.0.1:org/repo\n",
                "git@127.0.0.1:org/repo"),
        "crds": (f"resources:\n  - deploy.yaml\ncrds:\n  - {url}/crd.json\n",
                 f"{url}/crd.json"),
        "helm": ("resources:\n  - deploy.yaml\nhelmCharts:\n  - name: x\n    version: 1.0.0\n",
                 "helmCharts"),
    }
    tree = dict(LOCAL)
    for name, (kustomization, _) in hostile.items():
        tree[f"{name}/kustomization.yaml"] = kustomization
        tree[f"{name}/deploy.yaml"] = DEPLOY
    write_tree(tmp_path, tree)
    result = run_review(tmp_path)

    assert not trap.log.exists(), trap.log.read_text()
    assert trap.accepted == []
    notices = _notices(result)
    for name, (_, reference) in hostile.items():
        message = notices[f"{name}/kustomization.yaml"]
        assert message.startswith("not rendered: ") and f"`{reference}`" in message
        # not rendered: its resources are reviewed raw, where they are
        assert ("K8010", f"{name}/deploy.yaml", 14) in _found(result)
    # the local overlay still renders, its findings mapped back onto the base
    assert ("K8071", "local/base/deploy.yaml", 4) in _found(result)
    assert "local/overlay/kustomization.yaml" not in notices


@needs_kubectl
@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_render_child_execs_only_kubectl_and_connects_nowhere(tmp_path, trap):
    """The sandbox alone (no vetting): a local render, then a git URL kustomize would
    clone with `git`. Only kubectl is executed; no socket but AF_UNIX is connected."""
    write_tree(tmp_path, {**LOCAL, "remote/kustomization.yaml":
                          "resources:\n  - ssh://git@127.0.0.1/org/repo.git\n"})
    code = (
        "import sys\n"
        "from infra_expert.kubernetes import kustomize\n"
        "kubectl = sys.argv[1]\n"
        "print(len(kustomize.render(kubectl, sys.argv[2], 30)))\n"
        "try:\n"
        "    kustomize.render(kubectl, sys.argv[3], 30)\n"
        "except kustomize.Failed as exc:\n"
        "    print('failed:', exc)\n")
    trace = tmp_path / "trace"
    proc = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=execve,connect", "-o", str(trace),
         sys.executable, "-c", code, KUBECTL, str(tmp_path / "local/overlay"),
         str(tmp_path / "remote")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.splitlines()[0]) > 100       # the local render has objects
    assert "failed:" in proc.stdout                       # no git: the clone fails
    calls = [line.split(None, 1)[1] for line in trace.read_text().splitlines()]
    programs = [c.split('"')[1] for c in calls if c.startswith("execve(")]
    assert programs[0] == sys.executable
    assert programs[1:] and all(os.path.basename(p).startswith("kubectl")
                                for p in programs[1:]), programs
    connects = [c for c in calls if c.startswith("connect(")]
    assert all("AF_UNIX" in c for c in connects), connects
    assert not trap.log.exists()
    assert trap.accepted == []


def test_kubectl_planted_in_the_tree_is_never_run(tmp_path, monkeypatch):
    repo = write_tree(tmp_path / "repo", LOCAL)
    marker = tmp_path / "planted-kubectl-ran"
    for rel in ("kubectl", "bin/kubectl"):
        planted = repo / rel
        planted.parent.mkdir(exist_ok=True)
        planted.write_text(f'#!/bin/sh\ntouch "{marker}"\n')
        planted.chmod(0o755)
    entries = [".", str(repo / "bin")] + ([os.path.dirname(KUBECTL)] if KUBECTL else [])
    monkeypatch.setenv("PATH", os.pathsep.join(entries))
    result = run_review(repo)          # the working folder is the reviewed tree
    assert not marker.exists()
    messages = [n.message for n in result.notices]
    assert "`./kubectl` is not run: found through the relative PATH entry `.`" in messages
    assert f"`{repo}/bin/kubectl` is not run: it lies inside the reviewed tree" in messages
    if KUBECTL:      # a kubectl outside the tree, later on PATH, renders
        assert ("K8071", "local/base/deploy.yaml", 4) in _found(result)


@needs_kubectl
def test_resources_outside_the_tree_are_not_read(tmp_path, renders):
    write_tree(tmp_path / "outside", {
        "kustomization.yaml": "resources:\n  - cm.yaml\n",
        "cm.yaml": f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n"
                   f"stringData:\n  password: {CANARY}\n",
    })
    repo = tmp_path / "repo"
    write_tree(repo, {
        "app/kustomization.yaml": "resources:\n  - ../../outside\n",
        "linked/kustomization.yaml": "resources:\n  - secret\n",
        "gen/kustomization.yaml": "configMapGenerator:\n  - name: c\n"
                                  "    files:\n      - key=../../outside/cm.yaml\n",
    })
    (repo / "linked" / "secret").symlink_to(tmp_path / "outside")
    result = run_review(repo)
    notices = _notices(result)
    assert "refers outside the reviewed tree: `../../outside`" in notices["app/kustomization.yaml"]
    assert "refers outside the reviewed tree: `secret`" in notices["linked/kustomization.yaml"]
    assert ("refers outside the reviewed tree: `key=../../outside/cm.yaml`"
            in notices["gen/kustomization.yaml"])
    assert renders == []
    everything = json.dumps([[f.path, f.message] for f in result.findings]
                            + [[n.path, n.message] for n in result.notices])
    assert CANARY not in everything


@needs_kubectl
def test_sparse_1gb_base_kustomization_is_refused_quickly(tmp_path, renders):
    write_tree(tmp_path, {"overlay/kustomization.yaml": "resources:\n  - ../base\n",
                          "base/deploy.yaml": DEPLOY})
    with open(tmp_path / "base" / "kustomization.yaml", "wb") as fh:
        fh.truncate(1 << 30)
    start = time.monotonic()
    result = run_review(tmp_path)
    assert time.monotonic() - start < 5
    message = _notices(result)["overlay/kustomization.yaml"]
    assert message.startswith("not rendered: `../base/kustomization.yaml` over the size cap")
    assert renders == []
    assert ("K8010", "base/deploy.yaml", 14) in _found(result)    # reviewed raw


@needs_kubectl
def test_billion_laughs_resource_is_not_rendered(tmp_path, renders):
    """A full bomb (refused by our reader) and a small one that our reader accepts (59k
    strings from 314 bytes; kubectl takes 160 MB for it, 9 times that for one more
    level): neither reaches kubectl."""
    write_tree(tmp_path, {"full/kustomization.yaml": "resources:\n  - cm.yaml\n",
                          "full/cm.yaml": laughs(9),
                          "mid/kustomization.yaml": "resources:\n  - cm.yaml\n",
                          "mid/cm.yaml": laughs(4)})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    result = run_review(tmp_path)
    assert time.monotonic() - start < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024
    notices = _notices(result)
    assert notices["full/kustomization.yaml"].startswith(
        "not rendered: `cm.yaml` is refused by the YAML reader: ")
    assert notices["mid/kustomization.yaml"].startswith(
        "not rendered: `cm.yaml` expands through YAML aliases")
    assert renders == []


# ----------------------------------------------------------------- the child alone ----
@needs_kubectl
def test_kubectl_memory_is_bounded(tmp_path, monkeypatch):
    """A bomb that kubectl renders in ~160 MB (measured; it needs ~1 GiB of address space)
    dies under a lowered address-space limit: the rlimit reaches the child."""
    write_tree(tmp_path, {"kustomization.yaml": "resources:\n  - cm.yaml\n",
                          "cm.yaml": laughs(4)})
    monkeypatch.setattr(kustomize, "MEMORY_LIMIT", 800 << 20)
    with pytest.raises(kustomize.Failed, match="out of memory"):
        kustomize.render(KUBECTL, str(tmp_path), 30)


@needs_kubectl
def test_kubectl_time_and_output_are_bounded(tmp_path, monkeypatch):
    write_tree(tmp_path, {"kustomization.yaml": "resources:\n  - cm.yaml\n",
                          "cm.yaml": laughs(4)})
    start = time.monotonic()
    with pytest.raises(kustomize.Failed, match="out of time"):
        kustomize.render(KUBECTL, str(tmp_path), 0.2)
    assert time.monotonic() - start < 1
    write_tree(tmp_path, {"cm.yaml": laughs(3)})           # 100 KB of output
    monkeypatch.setattr(kustomize, "MAX_OUTPUT", 10_000)
    with pytest.raises(kustomize.Failed, match="output over 10,000 bytes"):
        kustomize.render(KUBECTL, str(tmp_path), 30)


# ---------------------------------------------------------------- the vetting alone ----
OUTSIDE_FILES = {"p.yaml": "- op: add\n  path: /x\n  value: 1\n", "secret": "k=v\n"}

BOMB_PATCH = "patchesStrategicMerge:\n  - |\n" + "".join(
    "    " + line + "\n" for line in laughs(4).splitlines())

REFUSED = [
    ("openapi:\n  path: https://127.0.0.1/openapi.json\n",
     "`https://127.0.0.1/openapi.json` would be fetched from the network"),
    ("crds:\n  - git@github.com:org/repo\n", "`git@github.com:org/repo` would be fetched"),
    ("configurations:\n  - gh:org/repo\n", "`gh:org/repo` would be fetched"),
    ("resources:\n  - 127.0.0.1/org/repo.git\n", "`127.0.0.1/org/repo.git` would be fetched"),
    ("replacements:\n  - path: github.com/org/repo/r.yaml\n",
     "`github.com/org/repo/r.yaml` would be fetched"),
    ("helmGlobals:\n  chartHome: charts\n", "`helmGlobals` in `kustomization.yaml` would run helm"),
    ("validators:\n  - apiVersion: example.com/v1\n    kind: Check\n",
     "names the plugin `example.com/v1/Check`"),
    ("transformers:\n  - fn.yaml\n", "names the plugin `builtin/PatchTransformer`"),
    ("generators:\n  - plugins\n", "`generators` entry `plugins` is a kustomization of plugin"),
    ("generators:\n  - apiVersion: builtin\n    kind: HelmChartInflationGenerator\n",
     "names the plugin `builtin/HelmChartInflationGenerator`"),
    ("patches:\n  - path: ../../outside/p.yaml\n",
     "refers outside the reviewed tree: `../../outside/p.yaml`"),
    ("secretGenerator:\n  - name: s\n    envs:\n      - /etc/passwd\n",
     "refers outside the reviewed tree: `/etc/passwd`"),
    ("resources:\n  - up/../../../outside\n",
     "refers outside the reviewed tree: `up/../../../outside`"),
    ("resources:\n  - fifo\n", "`fifo` not a regular file"),
    (BOMB_PATCH, "a YAML text in `.` expands through YAML aliases"),
]

ACCEPTED = [
    "images:\n  - name: web\n    newName: registry.gitlab.com/group/web\n",
    "commonAnnotations:\n  runbook: https://wiki.example/run\nresources:\n  - deploy.yaml\n",
    "transformers:\n  - apiVersion: builtin\n    kind: LabelTransformer\n    metadata:\n"
    "      name: l\n    labels: {team: a}\n    fieldSpecs: [{path: metadata/labels}]\n",
    "patches:\n  - patch: |-\n      - op: add\n        path: /metadata/annotations\n"
    "        value: {link: 'https://x'}\n    target: {kind: Deployment}\n",
]


def _vet_tree(tmp_path, kustomization):
    write_tree(tmp_path / "outside", OUTSIDE_FILES)
    repo = tmp_path / "repo"
    write_tree(repo, {"app/kustomization.yaml": kustomization, "app/deploy.yaml": DEPLOY,
                      "app/fn.yaml": "apiVersion: builtin\nkind: PatchTransformer\n"
                                     "metadata:\n  name: p\n  annotations:\n"
                                     "    config.kubernetes.io/function: |\n"
                                     "      exec: {path: ./run.sh}\n",
                      "app/plugins/kustomization.yaml": "resources: []\n"})
    (repo / "app" / "up").mkdir()
    os.mkfifo(repo / "app" / "fifo")
    return Gate([str(repo)], 5 << 20), str(repo / "app")


@pytest.mark.parametrize("kustomization, reason", REFUSED)
def test_vetting_refuses(tmp_path, kustomization, reason):
    gate, app = _vet_tree(tmp_path, kustomization)
    with pytest.raises(kustomize.Unsafe) as caught:
        kustomize.vet(app, gate)
    assert reason in str(caught.value)


@pytest.mark.parametrize("kustomization", ACCEPTED)
def test_vetting_accepts_data_and_builtins(tmp_path, kustomization):
    gate, app = _vet_tree(tmp_path, kustomization)
    assert kustomize.vet(app, gate) == [app]


def test_vetting_is_bounded_in_kustomizations(tmp_path, monkeypatch):
    monkeypatch.setattr(kustomize, "MAX_KUSTOMIZATIONS", 3)
    files = {f"k{i}/kustomization.yaml": f"resources:\n  - ../k{i + 1}\n" for i in range(5)}
    files["k5/kustomization.yaml"] = "resources: []\n"
    write_tree(tmp_path, files)
    with pytest.raises(kustomize.Unsafe, match="more than 3 kustomizations"):
        kustomize.vet(str(tmp_path / "k0"), Gate([str(tmp_path)], 1 << 20))
