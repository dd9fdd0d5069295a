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


def _index(ctx):
    """Built once per run: Dockerfile documents by real path, and the Compose services
    that build each real path."""
    index = ctx.cache.get("compose-build-index")
    if index is None:
        dockerfiles, builders = {}, {}
        for doc in ctx.documents:
            if doc.domain == "dockerfile" and doc.kind == "dockerfile":
                dockerfiles[os.path.realpath(doc.abspath)] = doc
        # overlays last: a service an overlay changes is still one service
        compose = sorted((d for d in ctx.documents if d.domain == "compose"
                          and d.model is not None), key=lambda d: d.kind == "overlay")
        for doc in compose:
            for svc in doc.model.services.values():
                paths = build_paths(svc, doc.model)
                if paths:
                    known = builders.setdefault(os.path.realpath(paths[1]), [])
                    if doc.kind != "overlay" or all(s.name != svc.name for s in known):
                        known.append(svc)
        index = ctx.cache["compose-build-index"] = (dockerfiles, builders)
    return index


def built_dockerfile(svc, doc, ctx):
    """The parsed Dockerfile a service builds (from this run's documents), or None."""
    paths = build_paths(svc, doc.model)
    if paths is None:
        return None
    found = _index(ctx)[0].get(os.path.realpath(paths[1]))
    return found.model if found is not None else None


def services_building(dockerfile_doc, ctx):
    """Compose services in this run that build the given Dockerfile document."""
    reals = ctx.cache.setdefault("compose-real-paths", {})   # several rules ask per file
    real = reals.get(dockerfile_doc.abspath)
    if real is None:
        real = reals[dockerfile_doc.abspath] = os.path.realpath(dockerfile_doc.abspath)
    return _index(ctx)[1].get(real, [])
