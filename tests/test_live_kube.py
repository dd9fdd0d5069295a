"""`infra-expert live kubernetes`: what is asked of kubectl (only `get`/`config`, never
Secrets or ConfigMaps), what is kept of the answers (no managedFields, no last-applied
copy, no environment values), how objects become manifests (owned pods and ReplicaSets
not reviewed twice, origin said), and the command end to end with a fake `kubectl` that
prints recorded real-shaped outputs (tests/fixtures/live/kube/)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra_expert.config import Config
from infra_expert.live import execute
from infra_expert.live.collect import Options, collect
from infra_expert.live.execute import Unreachable
from infra_expert.live.model import dump_snapshot, load_snapshot
from infra_expert.live.review import review_snapshot

FIXTURES = Path(__file__).parent / "fixtures" / "live" / "kube"


def _answer(argv):
    if argv[1:3] == ["config", "current-context"]:
        return (FIXTURES / "current-context.txt").read_text()
    if argv[1:3] == ["config", "view"]:
        return (FIXTURES / "config-view.json").read_text()
    if argv[1] == "get" and argv[2].startswith("nodes"):
        return (FIXTURES / "nodes.json").read_text()
    if argv[1] == "get":
        return (FIXTURES / "namespaced.json").read_text()
    raise AssertionError(f"unexpected call {argv}")


@pytest.fixture
def kubectl(monkeypatch):
    """execute.run intercepted: the calls made (each checked against the allowlist) and
    the recorded answers; `fail` maps a word of a call to kubectl's error."""
    calls, fail = [], {}

    def run(argv, timeout=execute.TIMEOUT, env=None):
        execute.check(argv)
        calls.append(list(argv))
        for word, reason in fail.items():
            if any(word in a for a in argv):
                raise Unreachable(f"`{' '.join(argv[:3])}` failed: {reason}")
        return _answer(argv)

    monkeypatch.setattr(execute, "run", run)
    return calls, fail


def _snapshot(options=None):
    data = collect("kubernetes", options or Options())
    data["collected_at"] = "2026-11-30T07:50:00Z"
    return data


def test_only_get_and_config_are_called_and_never_secrets(kubectl):
    calls, _ = kubectl
    _snapshot()
    assert calls and all(c[0] == "kubectl" and c[1] in ("get", "config", "version")
                         for c in calls)
    for call in calls:
        kinds = " ".join(call).lower()
        assert "secret" not in kinds and "configmap" not in kinds
        assert "--raw" not in call
    gets = [c for c in calls if c[1] == "get"]
    assert all("-o" in c and "json" in c and "--context" in c for c in gets)
    assert all(any(a.startswith("--request-timeout=") for a in c) for c in gets)
    assert ["--namespace", "shop"] == gets[0][3:5]      # the context's namespace


def test_all_namespaces_reads_cluster_roles_too(kubectl):
    calls, _ = kubectl
    data = _snapshot(Options(context="prod-eu", all_namespaces=True))
    gets = [c for c in calls if c[1] == "get"]
    assert "--all-namespaces" in gets[0]
    assert "clusterroles" in gets[1][2] and "nodes" in gets[1][2]
    assert not [c for c in calls if c[1:3] == ["config", "current-context"]]
    assert data["context"]["namespace"] == "*"


def test_what_is_kept_and_what_is_dropped(kubectl):
    text = dump_snapshot(_snapshot())
    assert "hunter2" not in text and "postgres://" not in text      # env values
    assert "managedFields" not in text
    assert "last-applied-configuration" not in text
    assert '"DATABASE_URL"' in text and '"PGDATA"' in text           # env names kept
    assert "sizeBytes" not in text                                   # a node's images
    snap = load_snapshot(text)
    assert snap.context == {"kube_context": "prod-eu", "cluster": "eks-prod-eu-west-1",
                            "namespace": "shop"}
    web = next(o for o in snap.objects if o["kind"] == "Deployment")
    assert web["status"]["unavailableReplicas"] == 1                # status kept


def test_a_namespace_that_cannot_be_read_is_unreachable_and_nodes_a_notice(kubectl):
    calls, fail = kubectl
    fail["nodes"] = 'Error from server (Forbidden): nodes is forbidden: User "dev" cannot ' \
                    'list resource "nodes" in API group "" at the cluster scope'
    data = _snapshot()
    assert any("nodes not read" in n and "Forbidden" in n for n in data["notices"])
    assert not [o for o in data["objects"] if o["kind"] == "Node"]
    fail["deployments"] = "Error from server (Forbidden): deployments.apps is forbidden"
    with pytest.raises(Unreachable, match="context `prod-eu`.*Forbidden"):
        _snapshot()


def test_no_current_context_is_unreachable(monkeypatch):
    def run(argv, timeout=None, env=None):
        raise Unreachable("`kubectl config current-context` failed: error: current-context "
                          "is not set")
    monkeypatch.setattr(execute, "run", run)
    with pytest.raises(Unreachable, match="current-context is not set"):
        collect("kubernetes", Options())


def _review(kubectl_fixture):
    return review_snapshot(dump_snapshot(_snapshot()), Config(), "live:kubernetes")


def test_a_prod_context_is_said_and_objects_are_reviewed_once(kubectl):
    result = _review(kubectl)
    assert result.live["production"] is True
    assert result.live["context"]["kube_context"] == "prod-eu"
    files = {path for path, domain in result.files if domain == "kubernetes"}
    # owned pods, the ReplicaSet, the CronJob's Job and the node are not manifests
    assert files == {"deployment/shop/web", "statefulset/shop/db", "pod/shop/report-adhoc",
                     "cronjob/shop/backup", "service/shop/web",
                     "horizontalpodautoscaler/shop/web", "poddisruptionbudget/shop/web",
                     "serviceaccount/shop/web"}
    assert not [n for n in result.notices if "internal error" in n.message]
    by_rule = {}
    for f in result.findings:
        by_rule.setdefault(f.rule.id, []).append(f)
    # the existing rules run on the objects as on files
    assert {"K8006", "K8015", "K8032"} <= set(by_rule)
    assert "K8033" not in by_rule     # `serviceAccount` is the API server's, not the author's
    # the live rules, with the object's origin
    crash = by_rule["LV020"][0]
    assert crash.path == "pod/shop/web-7d9c5b8f6d-q8wzn"
    assert "Deployment `web`" in crash.message and "Helm release `shop/shop`" in crash.message
    assert "Argo CD" not in crash.message
    assert {f.rule.id for f in result.findings if f.rule.id.startswith("LV")} == {
        "LV020", "LV022", "LV023", "LV024", "LV025", "LV026", "LV027", "LV028", "LV029",
        "LV030"}
    assert "Flux Kustomization `flux-system/shop`" in by_rule["LV026"][0].message


def test_the_manifest_document_names_its_origin_and_cannot_smuggle_a_pragma():
    from infra_expert.live.kube import manifests
    from infra_expert.model import Document
    deploy = json.loads((FIXTURES / "namespaced.json").read_text())["items"][0]
    deploy["metadata"]["annotations"]["meta.helm.sh/release-name"] = \
        "x\nspec: {}\n# infra-expert: ignore=K8006"
    sts = json.loads((FIXTURES / "namespaced.json").read_text())["items"][5]
    text = dump_snapshot({"source": "kubernetes", "context": {"kube_context": "home"},
                          "objects": [deploy, sts]})
    doc = Document("s.live.json", None, "live", "snapshot", text, None)
    doc.model = load_snapshot(text)
    out = manifests(doc.model, doc)
    assert [d.path for d in out] == ["deployment/shop/web", "statefulset/shop/db"]
    head = out[0].text.splitlines()[:2]
    assert head[0] == "# deployment/shop/web, read live from context home"
    assert head[1].startswith("# from Helm release") and "infra-expert" not in head[1]
    assert out[0].text.splitlines()[2] == "apiVersion: apps/v1"
    assert "# from Argo CD application `shop-db`" in out[1].text
    assert not os.path.exists(os.path.dirname(out[0].abspath))


# ------------------------------------------------------------------ end to end ----
FAKE_KUBECTL = """#!{python}
import sys
args = sys.argv[1:]
fixtures = {fixtures!r}
if {fail!r}:
    sys.stderr.write({fail!r} + "\\n")
    sys.exit(1)
with open(fixtures + "/calls.log", "a") as log:
    log.write(" ".join(args) + "\\n")
if args[:2] == ["config", "current-context"]:
    name = "current-context.txt"
elif args[:2] == ["config", "view"]:
    name = "config-view.json"
elif args[0] == "get" and args[1].startswith("nodes"):
    name = "nodes.json"
elif args[0] == "get":
    name = "namespaced.json"
else:
    sys.stderr.write("unexpected: " + " ".join(args) + "\\n")
    sys.exit(3)
sys.stdout.write(open({real!r} + "/" + name).read())
"""


def _fake_kubectl(tmp_path, fail=""):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "kubectl"
    fake.write_text(FAKE_KUBECTL.format(python=sys.executable, fixtures=str(tmp_path),
                                        real=str(FIXTURES), fail=fail))
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    return env


def _live(tmp_path, env, *args):
    return subprocess.run([sys.executable, "-m", "infra_expert", "live", "kubernetes",
                           "--no-config", *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120)


def test_end_to_end_with_a_fake_kubectl(tmp_path):
    env = _fake_kubectl(tmp_path)
    (tmp_path / "saved").mkdir()
    saved = tmp_path / "saved" / "prod.live.json"
    done = _live(tmp_path, env, "-f", "json", "--snapshot", str(saved))
    assert done.returncode == 1, done.stderr          # criticals: crash loop, image pull
    report = json.loads(done.stdout)
    rules = {f["rule"] for f in report["findings"]}
    assert {"LV020", "LV023", "LV024", "K8006"} <= rules
    assert "hunter2" not in done.stdout and "hunter2" not in saved.read_text()
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert all(c.split()[0] in ("get", "config") for c in calls)
    assert not [c for c in calls if "secret" in c or "configmap" in c]
    # the saved snapshot reviews the same later (its folder: a snapshot named alone loses
    # its synthesized documents to the engine's "asked" filter, reported to the lead)
    again = subprocess.run([sys.executable, "-m", "infra_expert", "review", "--no-config",
                            "-f", "json", str(saved.parent)], capture_output=True, text=True,
                           cwd=tmp_path, timeout=120)
    assert {f["rule"] for f in json.loads(again.stdout)["findings"]} == rules


def test_the_review_header_says_production(tmp_path):
    env = _fake_kubectl(tmp_path)
    done = _live(tmp_path, env, "-f", "markdown", "--fail-on", "never")
    assert done.returncode == 0, done.stderr
    assert "context prod-eu" in done.stdout and "PRODUCTION" in done.stdout


def test_an_unreachable_cluster_exits_2_with_kubectl_reason(tmp_path):
    env = _fake_kubectl(tmp_path, fail="The connection to the server 10.0.0.1:6443 was "
                                       "refused - did you specify the right host or port?")
    done = _live(tmp_path, env)
    assert done.returncode == 2
    assert done.stderr.startswith("infra-expert: live kubernetes: ")
    assert "connection to the server" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""
