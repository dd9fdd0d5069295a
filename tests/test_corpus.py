"""The whole shared corpus is reviewed without a crash, and every line is inside its file."""

import os
import shutil

import pytest

from infra_expert.config import Config
from infra_expert.engine import review
from infra_expert.kubernetes import schema

from conftest import CORPUS, needs_shared


@needs_shared
def test_corpus_reviews_cleanly():
    result = review([str(CORPUS)], Config(), str(CORPUS))
    internal = [(n.path, n.message) for n in result.notices if "internal error" in n.message]
    assert internal == []
    assert len([1 for _, d in result.files if d == "dockerfile"]) >= 540
    line_counts = {}
    for f in result.findings + result.positives:
        if f.path not in line_counts:
            with open(f.path, encoding="utf-8", errors="replace") as fh:
                line_counts[f.path] = max(len(fh.read().splitlines()), 1)
        if f.line is not None:
            assert 1 <= f.line <= line_counts[f.path], (f.rule.id, f.path, f.line)


KUBERNETES_LISTS = (("corpus", ("kubernetes.txt",)),
                    ("corpus-homelab", ("homelab-kubernetes.txt", "homelab-kustomize.txt")))


@needs_shared
@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not found")
def test_kubernetes_and_kustomize_lines_inside_their_files():
    """Every Kubernetes finding, with schema validation and Kustomize rendering on, points
    at a line of its own file: a finding mapped back from a render once pointed at line 72
    of an 11-line kustomization.yaml. (About 35 s on an idle 2-core machine.)"""
    assert schema.available()
    lines = {}
    for folder, lists in KUBERNETES_LISTS:
        base = CORPUS.parent / folder
        paths = [str(base / p.strip()) for name in lists
                 for p in (CORPUS.parent / "corpus_lists" / name).read_text().splitlines()
                 if p.strip()]
        result = review(paths, Config(), str(base))
        assert not [n for n in result.notices if "internal error" in n.message
                    or "kubectl not found" in n.message]
        for f in result.findings + result.positives:
            if f.line is None:
                continue
            path = os.path.join(str(base), f.path)
            if path not in lines:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    lines[path] = max(len(fh.read().splitlines()), 1)
            assert 1 <= f.line <= lines[path], (f.rule.id, f.path, f.line, lines[path])
    assert len(lines) > 300
