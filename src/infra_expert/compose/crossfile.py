"""What a Compose service builds: its Dockerfile and build context, read once per run."""

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


def built_dockerfile(svc, doc, ctx):
    """The parsed Dockerfile a service builds (from this run's documents), or None."""
    paths = build_paths(svc, doc.model)
    if paths is None:
        return None
    target = os.path.realpath(paths[1])
    for other in ctx.documents:
        if other.domain == "dockerfile" and other.kind == "dockerfile" \
                and os.path.realpath(other.abspath) == target:
            return other.model
    return None


def services_building(dockerfile_doc, ctx):
    """Compose services in this run that build the given Dockerfile document."""
    target = os.path.realpath(dockerfile_doc.abspath)
    found = []
    for doc in ctx.documents:
        if doc.domain != "compose" or doc.model is None:
            continue
        for svc in doc.model.services.values():
            paths = build_paths(svc, doc.model)
            if paths and os.path.realpath(paths[1]) == target:
                found.append(svc)
    return found
