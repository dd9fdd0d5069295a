"""The Compose domain: `compose*.y(a)ml`, `docker-compose*.y(a)ml`, overrides, `.env`."""

from __future__ import annotations

import os

from infra_expert.compose import rules_ops, rules_security, rules_style
from infra_expert.compose.loader import OVERRIDES, load_project, project_files
from infra_expert.model import Notice, Suppression
from infra_expert.suppress import line_comment_suppressions

NAME = "compose"
RULESETS = (rules_security.rules, rules_ops.rules, rules_style.rules)
NOT_COVERED = {}


def _reader(ctx):
    """`read(path)`: a Compose-side file's text, or None. Every read goes through the gate;
    a refusal other than "no such file" is said once in a notice (the reference, never
    the content) and remembered in `read.refused` so that the loader says why."""
    from infra_expert.fsgate import MISSING, Refused
    cache = ctx.cache.setdefault("compose-files", {})
    refused = ctx.cache.setdefault("compose-refused", {})

    def read(path):
        key = os.path.normpath(path)
        if key not in cache:
            try:
                cache[key] = ctx.gate.read_text(key)
            except Refused as exc:
                cache[key] = None
                if exc.reason != MISSING:
                    refused[key] = exc.describe()
                    ctx.cache.setdefault("notices", []).append(
                        Notice(key, f"not read: {exc.describe()}"))
        return cache[key]
    read.refused = refused
    return read


def load_all(docs, ctx):
    """Build one Project per main file; overrides and COMPOSE_FILE members join theirs.
    Returns [(doc, error)] for files that could not be loaded."""
    failures = []
    read = _reader(ctx)
    for doc in docs:   # discovery read them already: no second read
        ctx.cache["compose-files"][os.path.normpath(doc.path)] = doc.text
    members = {}
    mains = [d for d in docs if d.kind == "compose"]
    for doc in mains:
        try:
            files, _ = project_files(os.path.normpath(doc.path), read)
        except Exception:  # noqa: BLE001 - the project load below reports it for this file
            continue
        if files[0] == os.path.normpath(doc.path):
            for f in files[1:]:
                members[f] = doc.path
    for doc in docs:
        key = os.path.normpath(doc.path)
        if key in members and members[key] != doc.path:
            doc.kind = "override"
            doc.model = None
            continue
        try:
            if doc.kind == "override" and _main_beside(doc, read) is not None:
                doc.model = None
                continue
            doc.model = load_project(key, read)
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on
            failures.append((doc, type(exc).__name__))
            continue
        # caps hit and repeats skipped while loading (loader.Problem code "notice")
        ctx.cache.setdefault("notices", []).extend(
            Notice(p.path, f"line {p.line}: {p.message}" if p.line else p.message)
            for p in doc.model.problems if p.code == "notice")
    return failures


def related_documents(docs, ctx):
    """The Dockerfiles that services build: reviewed once, with the Compose build context."""
    from infra_expert.compose.crossfile import build_paths
    from infra_expert.fsgate import MISSING, Refused
    from infra_expert.model import Document
    known = {os.path.realpath(d.abspath): d for d in ctx.documents}
    added = []
    for doc in docs:
        if doc.model is None:
            continue
        for svc in doc.model.services.values():
            paths = build_paths(svc, doc.model)
            if paths is None:
                continue
            context_dir, dockerfile = paths
            real = os.path.realpath(dockerfile)
            existing = known.get(real)
            if existing is not None:
                if existing.domain == "dockerfile" and existing.context is None:
                    existing.context = os.path.abspath(context_dir)
                continue
            try:
                text = ctx.gate.read_text(dockerfile)
            except Refused as exc:
                if exc.reason != MISSING:
                    ctx.cache.setdefault("notices", []).append(Notice(
                        dockerfile, f"build of service `{svc.name}` not reviewed: "
                                    f"{exc.describe()}"))
                continue
            if "\0" in text[:8192]:
                continue
            new = Document(dockerfile, os.path.abspath(dockerfile), "dockerfile", "dockerfile",
                           text, doc.root, context=os.path.abspath(context_dir))
            known[real] = new
            added.append(new)
    return added


def _main_beside(doc, read):
    directory = os.path.dirname(os.path.normpath(doc.path))
    for main, overrides in OVERRIDES.items():
        if os.path.basename(doc.path) in overrides:
            candidate = os.path.join(directory, main)
            if read(candidate) is not None:
                return candidate
    return None


def reviewable(doc):
    return doc.model is not None


def column(doc, line):
    return None


def suppressions(doc, peer_index):
    """Pragmas in every file of the project: `# infra-expert: ignore=DC001` on the line
    (trailing comment) or alone on the line before."""
    sups, unknown = [], []
    texts = dict(doc.model.texts)     # read once, by the loader
    texts[os.path.normpath(doc.path)] = doc.text
    for path, text in texts.items():
        shown = path if path != os.path.normpath(doc.path) else doc.path
        more, bad = line_comment_suppressions(shown, text, peer_index, Suppression)
        sups.extend(more)
        unknown.extend(bad)
    return sups, unknown


def resources(docs):
    """Declared limits per service, summed per project."""
    from infra_expert.compose.walkers import cpu_limit, memory_limit_bytes
    projects = []
    for doc in docs:
        project = doc.model
        rows = []
        for svc in project.services.values():
            rows.append({"service": svc.name, "profiles": svc.profiles,
                         "memory_limit_bytes": memory_limit_bytes(svc),
                         "cpus": cpu_limit(svc)})
        if rows:
            projects.append({"path": doc.path, "services": rows})
    return {"projects": projects} if projects else {}
