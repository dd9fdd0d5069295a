"""Kustomize: review what `kubectl kustomize` renders, mapped back to the source files.

Rendering is read-only and offline: a tree with remote `resources:` or `helmCharts:` is
not rendered at all (kustomize would fetch them), and a notice says so. Rendered objects are matched to the reviewed source object of the same kind
and name; their findings point at that object's first line (fields move in a render).
Bases that another kustomization in the run includes are not rendered on their own.
Without kubectl the raw resources are reviewed as they are, and a notice says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from infra_expert.kubernetes.model import load_manifest
from infra_expert.model import Notice
from infra_expert.yamlsafe import YamlError, load_all

TIMEOUT = 60


def _entries(text, path):
    try:
        docs = load_all(text, path)
    except YamlError:
        return {}
    return docs[0] if docs and isinstance(docs[0], dict) else {}


def _listed_dirs(doc):
    """Directories a kustomization includes (resources/bases/components)."""
    data = _entries(doc.text, doc.path)
    here = os.path.dirname(doc.abspath)
    out = []
    for key in ("resources", "bases", "components"):
        for item in data.get(key) or []:
            path = os.path.normpath(os.path.join(here, str(item)))
            if os.path.isdir(path):
                out.append(path)
    return out


def _remote(directory, depth=0):
    """A remote resource or a Helm chart anywhere in the tree: rendering would go to the
    network, which a review never does."""
    for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            break
    else:
        return None
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            data = _entries(fh.read(), path)
    except OSError:
        return None
    if data.get("helmCharts"):
        return "helmCharts"
    for key in ("resources", "bases", "components"):
        for item in data.get(key) or []:
            item = str(item)
            if "://" in item or item.startswith(("github.com/", "git@")) or "?ref=" in item:
                return item
            sub = os.path.normpath(os.path.join(directory, item))
            if depth < 8 and os.path.isdir(sub):
                found = _remote(sub, depth + 1)
                if found:
                    return found
    return None


def render_all(kustomizations, manifests, ctx):
    """Render the top-level kustomizations. Returns notices; sets `doc.model` on each
    rendered kustomization and clears it on the source documents it covers."""
    notices = []
    bases = {d for k in kustomizations for d in _listed_dirs(k)}
    kubectl = shutil.which("kubectl")
    for doc in kustomizations:
        directory = os.path.dirname(doc.abspath)
        if directory in bases:
            continue   # a base: reviewed through the overlay that uses it
        if kubectl is None:
            notices.append(Notice(doc.path, "kubectl not found: the resources of this "
                                            "kustomization are reviewed as they are, without "
                                            "its patches and transformers"))
            continue
        remote = _remote(directory)
        if remote:
            notices.append(Notice(doc.path, f"not rendered: `{remote}` would be fetched from "
                                            "the network; local resources are reviewed as "
                                            "they are"))
            continue
        try:
            proc = subprocess.run([kubectl, "kustomize", directory], capture_output=True,
                                  text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL,
                                  env={"PATH": os.environ.get("PATH", ""),
                                       "HOME": os.environ.get("HOME", "/nonexistent")})
        except (OSError, subprocess.TimeoutExpired) as exc:
            notices.append(Notice(doc.path, f"kubectl kustomize failed ({type(exc).__name__}); "
                                            "resources reviewed as they are"))
            continue
        if proc.returncode != 0:
            first = (proc.stderr.strip().splitlines() or ["unknown error"])[-1][:200]
            notices.append(Notice(doc.path, f"kubectl kustomize failed: {first}; resources "
                                            "reviewed as they are"))
            continue
        rendered = load_manifest(proc.stdout, doc.path)
        sources = {}
        roots = [directory] + _listed_dirs(doc)
        for m in manifests:
            if m.model is None or not any(os.path.abspath(m.abspath).startswith(r + os.sep)
                                          for r in roots):
                continue
            for obj in m.model.objects:
                sources.setdefault((obj.kind, obj.name), (m, obj))
        covered = set()
        for obj in rendered.objects:
            found = sources.get((obj.kind, obj.name)) or _by_suffix(sources, obj)
            obj.rendered = True
            if found is not None:
                m, src = found
                obj.path, obj.line = m.path, src.line
                covered.add(id(m))
            else:
                obj.path, obj.line = doc.path, 1
        for m in manifests:
            if id(m) in covered:
                m.model = None     # reviewed through the render, not twice
        doc.model = rendered
    return notices


def _by_suffix(sources, obj):
    """Match a name that a namePrefix/nameSuffix changed (`prod-web` <- `web`)."""
    for (kind, name), found in sources.items():
        if kind == obj.kind and name and (obj.name.endswith("-" + name)
                                          or obj.name.startswith(name + "-")):
            return found
    return None
