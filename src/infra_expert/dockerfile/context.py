"""The build context around a Dockerfile: its `.dockerignore` and the files it holds.

Read-only: we list and read files beside the Dockerfile, never write or run anything.
The context is the Dockerfile's directory (what `docker build .` next to it uses),
unless a Compose `build:` that uses the Dockerfile says otherwise.
"""

from __future__ import annotations

import os

from infra_expert.discover import SKIP_DIRS
from infra_expert.fsgate import Refused
from infra_expert.ignorefile import DockerIgnore
from infra_expert.model import Notice

MAX_CONTEXT_ENTRIES = 5000
MAX_CONTEXT_DEPTH = 4


def _contexts(ctx):
    """{Dockerfile path: (context_dir, DockerIgnore or None, [relative file paths])}."""
    return {}


def build_context(doc, ctx):
    """(context_dir, DockerIgnore or None, [relative file paths]) for a Dockerfile doc."""
    known = ctx.index(_contexts)
    if doc.abspath in known:
        return known[doc.abspath]
    context_dir = doc.context or os.path.dirname(doc.abspath)
    ignore = None
    name = os.path.basename(doc.abspath)
    if not ctx.gate.inside(context_dir):
        # a context outside the reviewed tree is neither listed nor read
        ctx.notices.append(Notice(
            doc.path, f"build context `{context_dir}` is outside the reviewed tree: its "
                      "files and .dockerignore are not looked at"))
        known[doc.abspath] = (context_dir, None, [])
        return known[doc.abspath]
    # BuildKit: `<Dockerfile>.dockerignore` beside the Dockerfile wins over the context's
    for path in (os.path.join(os.path.dirname(doc.abspath), name + ".dockerignore"),
                 os.path.join(context_dir, ".dockerignore")):
        if os.path.lexists(path):
            try:
                ignore = DockerIgnore(ctx.gate.read_text(path), path)
            except Refused as exc:
                ctx.notices.append(
                    Notice(path, f"not read: {exc.describe()}"))
            break
    files = _list(context_dir)
    known[doc.abspath] = (context_dir, ignore, files)
    return known[doc.abspath]


def _list(root):
    out = []
    stack = [("", 0)]
    while stack and len(out) < MAX_CONTEXT_ENTRIES:
        rel, depth = stack.pop()
        try:
            entries = sorted(os.scandir(os.path.join(root, rel) if rel else root),
                             key=lambda e: e.name)
        except OSError:
            continue
        for e in entries:
            path = f"{rel}/{e.name}" if rel else e.name
            try:
                is_dir = e.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                out.append(path + "/")
                if depth < MAX_CONTEXT_DEPTH and e.name not in SKIP_DIRS:
                    stack.append((path, depth + 1))
            else:
                out.append(path)
    return out
