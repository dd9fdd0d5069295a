"""Kustomize rendering (with and without kubectl) and Helm chart files."""

import os
import shutil
import subprocess
import sys

import pytest

from conftest import run_review, write_tree

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:latest
"""

TREE = {
    "base/deploy.yaml": DEPLOY,
    "base/kustomization.yaml": "resources:\n  - deploy.yaml\n",
    "overlay/kustomization.yaml": "namespace: default\nnamePrefix: prod-\nresources:\n  - ../base\n",
}


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_overlay_is_rendered_and_mapped_back(tmp_path):
    write_tree(tmp_path, TREE)
    result = run_review(tmp_path)
    found = {(f.rule.id, f.path, f.line) for f in result.findings}
    # namespace: default comes from the overlay: the finding lands on the source object's
    # metadata (what kustomize added takes its nearest source ancestor's line); the image
    # on its own line of the base
    assert ("K8071", "base/deploy.yaml", 4) in found
    assert ("K8010", "base/deploy.yaml", 14) in found
    # reviewed once, through the render (not also as the raw base file)
    assert [f.line for f in result.findings if f.rule.id == "K8010"] == [14]
    assert not result.notices


def test_without_kubectl_raw_resources_are_reviewed_with_a_notice(tmp_path):
    write_tree(tmp_path, TREE)
    env = dict(os.environ, PATH=str(tmp_path / "no-bin"))
    proc = subprocess.run([sys.executable, "-m", "infra_expert", "review", ".", "--no-config",
                           "-f", "json"], cwd=tmp_path, capture_output=True, text=True, env=env)
    import json
    data = json.loads(proc.stdout)
    assert [n["path"] for n in data["notices"]] == ["overlay/kustomization.yaml"]
    assert "kubectl not found" in data["notices"][0]["message"]
    assert ("K8010", "base/deploy.yaml", 14) in {(f["rule"], f["path"], f["line"])
                                                 for f in data["findings"]}


CHART = {
    "chart/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 1.0.0\nappVersion: 1.4.2\n"
                        "dependencies:\n  - name: redis\n    version: ^18.0.0\n"
                        "    repository: oci://registry-1.docker.io/bitnamicharts\n",
    "chart/values.yaml": "image:\n  repository: ghcr.io/shop/web\n  tag: latest\n"
                         "worker:\n  image:\n    repository: ghcr.io/shop/worker\n    tag: \"\"\n"
                         "resources: {}\n",
    "chart/templates/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\n"
                                       "metadata:\n  name: {{ .Release.Name }}\n",
}


def test_helm_chart_files(tmp_path):
    write_tree(tmp_path, CHART)
    result = run_review(tmp_path)
    found = sorted((f.rule.id, f.path, f.line) for f in result.findings)
    assert ("K8078", "chart/Chart.yaml", 7) in found
    assert ("K8079", "chart/values.yaml", 3) in found
    assert ("K8080", "chart/values.yaml", 8) in found
    assert not any(f.rule.id == "K8079" and f.line == 7 for f in result.findings)
    assert all(path != "chart/templates/deployment.yaml" for _, path, _ in found)


def test_helm_chart_files_clean(tmp_path):
    clean = dict(CHART)
    clean["chart/Chart.lock"] = "dependencies: []\n"
    clean["chart/values.yaml"] = ("image:\n  repository: ghcr.io/shop/web\n  tag: 1.4.2\n"
                                  "resources:\n  requests: {cpu: 100m, memory: 128Mi}\n")
    write_tree(tmp_path, clean)
    rules = {f.rule.id for f in run_review(tmp_path).findings}
    assert not {"K8078", "K8079", "K8080"} & rules


def test_remote_resources_are_never_fetched(tmp_path):
    tree = dict(TREE)
    tree["overlay/kustomization.yaml"] = ("resources:\n  - ../base\n"
                                          "  - https://github.com/org/repo//deploy?ref=v1\n")
    write_tree(tmp_path, tree)
    result = run_review(tmp_path)
    notices = [n for n in result.notices if n.path == "overlay/kustomization.yaml"]
    assert notices and ("would be fetched" in notices[0].message
                        or "kubectl not found" in notices[0].message)
    assert ("K8010", "base/deploy.yaml", 14) in {(f.rule.id, f.path, f.line)
                                                 for f in result.findings}


@pytest.fixture(params=[True, False], ids=["kubectl", "no-kubectl"])
def rendered(request, tmp_path, monkeypatch):
    """Each test twice: rendered by kubectl, and without it (kubectl not on the PATH)."""
    if not request.param:
        monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    elif shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    return request.param


def test_generated_configmaps_are_in_the_reviewed_files(tmp_path, rendered):
    # `configMapGenerator` makes `web-settings-<hash>` and rewrites the reference: with
    # kubectl it is rendered, without it the generator's name stands for the ConfigMap
    deploy = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
              "  selector: {matchLabels: {app: web}}\n  template:\n"
              "    metadata: {labels: {app: web}}\n    spec:\n      containers:\n"
              "        - name: web\n          image: nginx:1.27.2\n          env:\n"
              "            - name: A\n              valueFrom:\n"
              "                configMapKeyRef: {name: web-settings, key: a}\n"
              "            - name: B\n              valueFrom:\n"
              "                configMapKeyRef: {name: nowhere, key: b}\n")
    kustomization = ("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                     "namespace: shop\nresources: [deploy.yaml]\n"
                     "configMapGenerator:\n  - name: web-settings\n    literals: [a=1]\n")
    write_tree(tmp_path / "app", {"deploy.yaml": deploy, "kustomization.yaml": kustomization})
    result = run_review(tmp_path / "app")
    missing = [f.message for f in result.findings if f.rule.id == "K8076"]
    assert missing == ["Deployment `web`: ConfigMap `nowhere` is not in the reviewed files"]


def test_ignore_annotation_covers_a_kustomized_object(tmp_path, rendered):
    # the render's findings sit on their source lines: the object's annotation still
    # covers them (it once covered the first line only, and IE001 called it unused)
    deploy = DEPLOY.replace("  name: web\n", "  name: web\n  annotations:\n"
                                             "    infra-expert.io/ignore: K8003,K8010\n", 1)
    write_tree(tmp_path / "app", {"deploy.yaml": deploy, "kustomization.yaml":
                                  "namespace: shop\nresources: [deploy.yaml]\n"})
    result = run_review(tmp_path / "app")
    ids = {f.rule.id for f in result.findings}
    assert not ids & {"K8003", "K8010", "IE001"}, ids
    assert "K8001" in ids          # what the annotation does not name is still said
