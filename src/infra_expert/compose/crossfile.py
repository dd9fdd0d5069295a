"""What a Compose service builds: its Dockerfile and build context, read once per run,
and the links it gives the run (core `crossfile`)."""

from __future__ import annotations

import os


def build_paths(svc, project):
    """(context_dir, dockerfile_path) for a service with `build:`, or None."""
    build = svc.get("build")
    if build is None:
        return None
    if isinstance(build, dict):
        context = str(build.get("context", "."))
        dockerfile = build.get("dockerfile")
        if build.get("dockerfile_inline") is not None:
            return None
    else:
        context, dockerfile = str(build), None
    if "://" in context or context.startswith("git@"):
        return None   # remote context: nothing to read
    source, _ = svc.where("build")
    base = os.path.dirname(source) if source else project.directory
    context_dir = os.path.normpath(os.path.join(base, context))
    dockerfile = os.path.normpath(os.path.join(context_dir, str(dockerfile or "Dockerfile")))
    return context_dir, dockerfile


def _dockerfiles(ctx):
    """{real path: Dockerfile document} of the run."""
    return {os.path.realpath(doc.abspath): doc for doc in ctx.documents
            if doc.domain == "dockerfile" and doc.kind == "dockerfile"}


def built_dockerfile(svc, doc, ctx):
    """The parsed Dockerfile a service builds (from this run's documents), or None."""
    paths = build_paths(svc, doc.model)
    if paths is None:
        return None
    found = ctx.index(_dockerfiles).get(os.path.realpath(paths[1]))
    return found.model if found is not None else None


def link(docs, ctx):
    """Tell the run which Dockerfiles the services build (core `crossfile`): overlays
    last, so that a service an overlay changes stays one service."""
    from infra_expert.compose.rules_ops import is_batch_service
    from infra_expert.compose.walkers import healthcheck
    from infra_expert.crossfile import Runner
    for doc in sorted((d for d in docs if d.model is not None),
                      key=lambda d: d.kind == "overlay"):
        for svc in doc.model.services.values():
            paths = build_paths(svc, doc.model)
            if paths:
                image = svc.get("image")
                ctx.links.add_builder(paths[1], Runner(
                    "compose", svc.name, svc.label,
                    image=image if isinstance(image, str) else None,
                    image_at=svc.where("image"), user=svc.get("user"),
                    healthcheck=healthcheck(svc) is not None,
                    batch=is_batch_service(svc, ctx)), overlay=doc.kind == "overlay")
