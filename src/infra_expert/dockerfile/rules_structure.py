"""Dockerfile rules about base images, stages, users and the instructions themselves."""

from __future__ import annotations

import re

from infra_expert.dockerfile.parser import env_pairs, label_pairs, split_words
from infra_expert.dockerfile.walkers import (each_command, each_instruction, final_user,
                                             resolve)
from infra_expert.images import ImageRef
from infra_expert.lazyre import lazy_re
from infra_expert.model import Hit, Pass, RuleSet

rules = RuleSet("dockerfile")


def _external_stages(df):
    """Stages whose FROM names an image (not scratch, not an earlier stage)."""
    for st in df.stages:
        if st.parent is None and not st.is_scratch and st.image_resolved:
            yield st


@rules.rule(
    "DF001", "warning", "reliability", "Base image has no tag",
    "Without a tag the build takes `:latest`, whatever it is on the day: builds stop "
    "being reproducible and a new major version can arrive unannounced.",
    "Name a version: `FROM python:3.12-slim` (or pin a digest, `@sha256:…`).",
    peers=("hadolint:DL3006", "kics:9efb0b2d-89c9-41a3-91ca-dcc0aec911fd"),
    example=(
        'FROM node:22-bookworm-slim\n'
        'WORKDIR /app\n'
        'COPY package.json package-lock.json ./\n'
        'RUN npm ci --omit=dev\n'
        'COPY src/ ./src/\n'
        'USER 1000\n'
        'CMD ["node", "src/server.js"]'))
def untagged_base(doc, ctx):
    for st in _external_stages(doc.model):
        if st.unresolved:
            continue  # judged by DF009, never guessed
        ref = ImageRef(st.image_resolved)
        if ref.tag is None and ref.digest is None:
            yield Hit(st.from_.line, f"`FROM {st.image_resolved}` has no tag (means `:latest`)")


@rules.rule(
    "DF002", "warning", "reliability", "Base image uses the `latest` tag",
    "`latest` moves: two builds of the same commit can get different bases, and a "
    "rollback rebuild does not bring the old image back.",
    "Pin an explicit version tag, and let a bot such as Renovate propose updates.",
    peers=("hadolint:DL3007", "kics:f45ea400-6bbe-4501-9fc7-1c3d75c32067"),
    example=(
        'FROM node:22.11-bookworm-slim\n'
        'WORKDIR /app\n'
        'COPY package.json package-lock.json ./\n'
        'RUN npm ci --omit=dev\n'
        'COPY src/ ./src/\n'
        'USER 1000\n'
        'CMD ["node", "src/server.js"]'))
def latest_base(doc, ctx):
    for st in _external_stages(doc.model):
        if st.unresolved:
            continue
        ref = ImageRef(st.image_resolved)
        if ref.tag == "latest" and ref.digest is None:
            yield Hit(st.from_.line, f"`FROM {st.image_resolved}`")


def registry_allowed(registry, trusted):
    for t in trusted:
        t = t.lower().rstrip("/")
        if t in ("docker.io", "index.docker.io", "registry-1.docker.io", "hub.docker.com"):
            t = "docker.io"
        if t == "*" or t == registry or (t.startswith("*.") and registry.endswith(t[1:])):
            return True
    return False


@rules.rule(
    "DF003", "critical", "security", "Base image from a registry that is not trusted",
    "The organisation allows base images only from the registries listed in "
    "`trusted-registries`; anything else bypasses its scanning and provenance checks.",
    "Use a base image from one of the trusted registries, or add the registry to "
    "`trusted-registries` in `.infra-expert.toml` if it is approved.",
    peers=("hadolint:DL3026",),
    example=(
        'FROM docker.io/library/python:3.12-slim\n'
        'WORKDIR /app\n'
        'COPY app.py .\n'
        'USER 10001\n'
        'CMD ["python", "app.py"]'))
def untrusted_registry(doc, ctx):
    trusted = ctx.config.trusted_registries
    if not trusted:
        return
    for st in _external_stages(doc.model):
        if st.unresolved:
            continue
        ref = ImageRef(st.image_resolved)
        if not registry_allowed(ref.registry, trusted):
            yield Hit(st.from_.line, f"`{st.image_resolved}` comes from `{ref.registry}`, "
                                     f"not one of: {', '.join(trusted)}")
        else:
            yield Pass(st.from_.line, image=st.image_resolved)
    for ins in each_instruction(doc.model, "COPY"):
        src = ins.flag("from")
        if src and ("/" in src or ":" in src) and doc.model.stage_by_name(src) is None:
            ref = ImageRef(resolve(src, ins)[0])
            if not registry_allowed(ref.registry, trusted):
                yield Hit(ins.line, f"`COPY --from={src}` pulls from `{ref.registry}`")


_ROOT = lazy_re(r"^(?:root|0)(?::.*)?$")


@rules.rule(
    "DF004", "warning", "security", "Final stage runs as root",
    "A process running as root inside the container is root on the host's kernel: any "
    "escape, mounted socket or writable host path becomes a full compromise. Build "
    "stages may use root; the stage that ships should not. A warning, not a critical: "
    "root alone needs a second flaw to hurt (when a Compose file adds that flaw — the "
    "Docker socket, a published port — the compound DC070 says so). Not reported when the "
    "image drops privileges itself: an entrypoint that uses gosu, su-exec, "
    "`s6-setuidgid`, `setpriv` or `chroot --userspec`, s6-overlay, or a base image that "
    "does it (the official postgres/redis/mysql/mariadb/mongo images, linuxserver.io).",
    "Create an unprivileged user and switch to it at the end of the final stage: "
    "`RUN useradd --system --uid 10001 app` then `USER 10001`.",
    positive="Final stage runs as non-root user `{user}`",
    peers=("hadolint:DL3002", "kics:67fd0c4a-68cf-46d7-8c41-bc9fba7e40ae",
           "kics:fd54f200-402c-4333-a5a4-36ef6709af2f"),
    example=(
        'FROM alpine:3.20\n'
        'RUN adduser -D -u 10001 app\n'
        'COPY --chmod=755 app /usr/local/bin/app\n'
        'USER 10001\n'
        'CMD ["app"]'))
def final_root(doc, ctx):
    df = doc.model
    final = df.final_stage
    if final is None:
        return
    if _compose_runs_as_non_root(doc, ctx):
        return   # the deployment that builds it sets a non-root `user:` (no contradiction)
    user, ins = final_user(final)
    if user is None:
        if _nonroot_base(final) or _drops_privileges(final) \
                or _entrypoint_drops_privileges(doc, ctx, final):
            return
        yield Hit(final.from_.line, f"no USER in the final stage (`FROM {final.image}`): "
                                    "the container runs as root")
        return
    value, unresolved = resolve(user, ins)
    if unresolved:
        return  # decided at build time; not guessed
    if _ROOT.match(value):
        yield Hit(ins.line, f"`USER {user}` is the last user of the final stage")
    else:
        yield Pass(ins.line, user=value)


def _compose_runs_as_non_root(doc, ctx):
    services = ctx.links.builders_of(doc)
    return bool(services) and all(
        s.user is not None and not _ROOT.match(str(s.user).strip()) for s in services)


def _drops_privileges(stage):
    """gosu/su-exec/setpriv in the image: the entrypoint switches user at run time (the
    pattern of the official database images), so root at build time is intended."""
    for st in stage.inherited():
        for ins in st.instructions:
            if ins.keyword in ("RUN", "COPY", "ADD") and re.search(
                    r"\b(?:gosu|su-exec|setpriv|chroot\s+--userspec)\b", ins.args):
                return True
    return False


def _entrypoint_drops_privileges(doc, ctx, stage):
    """The image starts as root and switches user itself: an entrypoint script copied from
    the build context that calls gosu/su-exec/s6-setuidgid/setpriv; s6-overlay (`/init`);
    or a base image known to do it, with its entrypoint kept."""
    import os

    from infra_expert.dockerfile.context import build_context
    from infra_expert.knowledge import DROPS_PRIVILEGES_COMMAND, drops_privileges_image
    entry = None
    for st in stage.inherited():
        for ins in st.instructions:
            if ins.keyword in ("RUN", "COPY", "ADD") and "s6-overlay" in ins.args:
                return True
        if entry is None:
            entry = next((i for i in reversed(st.instructions) if i.keyword == "ENTRYPOINT"),
                         None)
    words = (entry.json or entry.args.split()) if entry is not None else []
    if any(w == "/init" or w.endswith("/s6-svscan") for w in words):
        return True
    if entry is None:
        return any(drops_privileges_image(st.image_resolved) for st in stage.inherited()
                   if not st.is_scratch)
    names = {os.path.basename(w) for w in words if w.endswith(".sh") or "entrypoint" in w}
    if not names or ctx is None or getattr(ctx, "gate", None) is None:
        return False
    context_dir = build_context(doc, ctx)[0]
    for st in stage.inherited():
        for ins in st.instructions:
            if ins.keyword not in ("COPY", "ADD") or ins.flag("from"):
                continue
            for src in (ins.json[:-1] if ins.json else ins.args.split()[:-1]):
                if os.path.basename(src.rstrip("/")) in names or src.rstrip("/") in (".", "./"):
                    path = os.path.join(context_dir, src)
                    candidates = [path] if os.path.basename(src.rstrip("/")) in names else \
                        [os.path.join(path, n) for n in names]
                    for c in candidates:
                        text = ctx.gate.try_text(c)
                        if text and DROPS_PRIVILEGES_COMMAND.search(text):
                            return True
    return False


def _nonroot_base(stage):
    """Images documented to run as a non-root user by default."""
    for st in stage.inherited():
        img = st.image_resolved.lower()
        if (":nonroot" in img or "-nonroot" in img or img.startswith("cgr.dev/chainguard/")
                and "-dev" not in img):
            return True
    return False


@rules.rule(
    "DF005", "suggestion", "security", "Base image not pinned by digest",
    "A tag can be re-pushed; only a digest names exactly one image. Digest pins make "
    "builds reproducible and stop a compromised tag from reaching you.",
    "Pin the digest next to the tag, `FROM python:3.12-slim@sha256:…`, and let "
    "Renovate or Dependabot update it.",
    positive="Base image `{image}` is pinned by digest",
    example=(
        'FROM python:3.12-slim@sha256:2b0079146a74e23bf4ae8f6a28e1b484c6292f6fb904cbb51825b4a19812fcd8\n'
        'WORKDIR /app\n'
        'COPY app.py .\n'
        'USER 10001\n'
        'CMD ["python", "app.py"]'))
def digest_pin(doc, ctx):
    df = doc.model
    shipped = {id(s) for s in df.shipped_stages()}
    for st in _external_stages(df):
        if st.unresolved or id(st) not in shipped:
            continue
        ref = ImageRef(st.image_resolved)
        if ref.digest:
            yield Pass(st.from_.line, image=ref.short_name + (f":{ref.tag}" if ref.tag else ""))
        elif ref.tag and ref.tag != "latest":
            yield Hit(st.from_.line, f"`FROM {st.image_resolved}` is pinned by tag only")


_FULL_IMAGES = {
    "ubuntu", "debian", "centos", "fedora", "rockylinux", "almalinux", "amazonlinux",
    "python", "node", "ruby", "php", "perl", "golang", "rust", "openjdk", "maven",
    "gradle", "buildpack-deps", "eclipse-temurin", "elixir", "erlang", "haskell", "gcc",
    "mono", "swift", "r-base", "julia",
}
_MINIMAL_TAG = lazy_re(r"(?:^|[-_.])(?:slim|alpine|minimal|micro|distroless|busybox|"
                          r"chiseled|nonroot|static|jre|runtime)(?:$|[-_.0-9])")


@rules.rule(
    "DF006", "suggestion", "performance", "Final image built on a full distribution",
    "Full images carry compilers, shells and hundreds of packages the application never "
    "uses: hundreds of MB more to pull on every node, and more CVEs to patch.",
    "Use a `-slim` or `-alpine` variant, a distroless or Chainguard image, or copy the "
    "build result into a small runtime stage.",
    positive="Final stage uses a small base image (`{image}`)",
    example=(
        'FROM python:3.12-slim\n'
        'WORKDIR /app\n'
        'COPY app.py .\n'
        'USER 10001\n'
        'CMD ["python", "app.py"]'))
def full_base(doc, ctx):
    final = doc.model.final_stage
    if final is None or final.unresolved:
        return
    root = list(final.inherited())[-1]
    if root.is_scratch:
        yield Pass(final.from_.line, image="scratch")
        return
    ref = ImageRef(root.image_resolved)
    tag = ref.tag or ""
    name = ref.base_name.lower()
    if _MINIMAL_TAG.search(tag) or name in ("alpine", "busybox", "distroless") \
            or "distroless" in ref.repository or ref.registry == "cgr.dev" \
            or name.endswith("-minimal") or "ubi-micro" in name or "ubi-minimal" in name:
        yield Pass(final.from_.line, image=ref.short_name + (f":{tag}" if tag else ""))
    elif name in _FULL_IMAGES and ref.registry == "docker.io":
        yield Hit(final.from_.line, f"final stage is built on `{root.image_resolved}`")


@rules.rule(
    "DF007", "warning", "reliability", "`FROM --platform` fixed to one platform",
    "A hard-coded platform makes the image run under emulation (slowly, or not at all) "
    "on other architectures, such as a Raspberry Pi or an ARM cloud instance.",
    "Drop `--platform`, or use `--platform=$BUILDPLATFORM` for cross-compiling build "
    "stages, and choose the target with `docker buildx build --platform`.",
    peers=("hadolint:DL3029", "kics:b16e8501-ef3c-44e1-a543-a093238099c9"),
    example=(
        'FROM --platform=$BUILDPLATFORM golang:1.23 AS build\n'
        'ARG TARGETOS TARGETARCH\n'
        'WORKDIR /src\n'
        'COPY . .\n'
        'RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .\n'
        'FROM gcr.io/distroless/static-debian12:nonroot\n'
        'COPY --from=build /out/app /app\n'
        'ENTRYPOINT ["/app"]'))
def fixed_platform(doc, ctx):
    for st in doc.model.stages:
        platform = st.from_.flag("platform")
        if platform and "BUILDPLATFORM" not in platform and "TARGETPLATFORM" not in platform \
                and "$" not in platform:
            yield Hit(st.from_.line, f"`FROM --platform={platform}`")


@rules.rule(
    "DF008", "suggestion", "elegance", "`FROM --platform=$TARGETPLATFORM` is redundant",
    "The target platform is already the default for every stage; spelling it out adds "
    "noise and suggests a cross-compilation setup that is not there.",
    "Remove `--platform=$TARGETPLATFORM` (keep `$BUILDPLATFORM` where you mean it).",
    peers=("hadolint:DL3065",),
    example=(
        'FROM --platform=$BUILDPLATFORM golang:1.23 AS build\n'
        'WORKDIR /src\n'
        'COPY . .\n'
        'RUN CGO_ENABLED=0 go build -o /out/app .\n'
        'FROM gcr.io/distroless/static-debian12:nonroot\n'
        'COPY --from=build /out/app /app\n'
        'ENTRYPOINT ["/app"]'))
def redundant_platform(doc, ctx):
    for st in doc.model.stages:
        platform = st.from_.flag("platform") or ""
        if platform.replace("{", "").replace("}", "") == "$TARGETPLATFORM":
            yield Hit(st.from_.line, f"`FROM --platform={platform}`")


@rules.rule(
    "DF009", "warning", "reliability", "Variable in FROM has no value",
    "An ARG used in FROM must be declared before the first FROM; with no default the "
    "build fails (or pulls an odd image) unless every caller passes `--build-arg`.",
    "Declare it before the first FROM with a sane default: `ARG BASE=python:3.12-slim`.",
    peers=("docker:UndefinedArgInFrom",),
    example=(
        'ARG BASE_IMAGE=debian:12-slim\n'
        'FROM ${BASE_IMAGE}\n'
        'COPY --chmod=755 app /usr/local/bin/app\n'
        'USER 10001\n'
        'CMD ["app"]'))
def undefined_from_arg(doc, ctx):
    df = doc.model
    for st in df.stages:
        names = [n for n in st.unresolved if n not in _PLATFORM_NAMES]
        if not names:
            continue
        undeclared = [n for n in names if n not in df.global_args]
        if undeclared:
            yield Hit(st.from_.line, f"`{', '.join('$' + n for n in undeclared)}` is not "
                                     "declared by an ARG before the first FROM")
        else:
            yield Hit(st.from_.line, f"`{', '.join('$' + n for n in names)}` has no default: "
                                     "the build needs `--build-arg`")


_PLATFORM_NAMES = frozenset({"TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
                             "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT"})


@rules.rule(
    "DF010", "critical", "reliability", "Duplicate stage name",
    "BuildKit refuses a Dockerfile in which two stages have the same name.",
    "Give every `FROM … AS name` a unique name.",
    peers=("hadolint:DL3024", "kics:f2daed12-c802-49cd-afed-fe41d0b82fed",
           "docker:DuplicateStageName"),
    example=(
        'FROM golang:1.23 AS build\n'
        'WORKDIR /src\n'
        'COPY . .\n'
        'RUN go build -o /out/app .\n'
        'FROM gcr.io/distroless/base-debian12:nonroot AS runtime\n'
        'COPY --from=build /out/app /app\n'
        'ENTRYPOINT ["/app"]'))
def duplicate_stage(doc, ctx):
    seen = {}
    for st in doc.model.stages:
        if st.name is None:
            continue
        if st.name in seen:
            yield Hit(st.from_.line, f"stage `{st.name_written}` was already defined "
                                     f"on line {seen[st.name]}")
        else:
            seen[st.name] = st.from_.line


@rules.rule(
    "DF011", "warning", "reliability", "Reserved stage name",
    "`scratch` and `context` have a meaning of their own in `FROM` and `COPY --from`; a "
    "stage with that name is ambiguous.",
    "Rename the stage (`AS build`, `AS runtime`).",
    peers=("hadolint:DL3063", "docker:ReservedStageName"),
    example=(
        'FROM golang:1.23 AS build\n'
        'WORKDIR /src\n'
        'COPY . .\n'
        'RUN go build -o /out/app .\n'
        'FROM gcr.io/distroless/base-debian12:nonroot AS runtime\n'
        'COPY --from=build /out/app /app\n'
        'ENTRYPOINT ["/app"]'))
def reserved_stage(doc, ctx):
    for st in doc.model.stages:
        if st.name in ("scratch", "context"):
            yield Hit(st.from_.line, f"stage named `{st.name_written}`")


@rules.rule(
    "DF012", "warning", "reliability", "`COPY --from` names no stage",
    "A `--from` value that is not a stage name is pulled as an image; a typo in a stage "
    "name silently becomes a pull of `name:latest`, and an index past the last stage "
    "fails.",
    "Use the name of an earlier stage, or a full image reference with a tag "
    "(`--from=nginx:1.27`).",
    peers=("hadolint:DL3022",),
    example=(
        'FROM golang:1.23 AS build\n'
        'WORKDIR /src\n'
        'COPY . .\n'
        'RUN go build -o /out/app .\n'
        'FROM alpine:3.20\n'
        'COPY --from=build /out/app /usr/local/bin/app\n'
        'USER 10001\n'
        'CMD ["app"]'))
def copy_from_unknown(doc, ctx):
    df = doc.model
    for ins in each_instruction(df, "COPY", "ADD"):
        src = ins.flag("from")
        if not src or ins.stage is None:
            continue
        src_v, unresolved = resolve(src, ins)
        if unresolved:
            continue
        if src_v.isdigit():
            if int(src_v) >= ins.stage.index:
                yield Hit(ins.line, f"`--from={src}` refers to a stage that is not "
                                    "defined before this one")
            continue
        st = df.stage_by_name(src_v)
        if st is not None:
            continue
        ref = ImageRef(src_v)
        if ref.tag is None and ref.digest is None:
            yield Hit(ins.line, f"`--from={src}` matches no stage: it will be pulled as "
                                f"the image `{src_v}:latest`")


@rules.rule(
    "DF013", "critical", "reliability", "`COPY --from` refers to its own stage",
    "A stage cannot copy from itself: the build fails.",
    "Copy from an earlier stage, or use a plain `COPY` from the build context.",
    peers=("hadolint:DL3023", "kics:cdddb86f-95f6-4fc4-b5a1-483d9afceb2b"),
    example=(
        'FROM node:22-bookworm-slim AS build\n'
        'WORKDIR /src\n'
        'COPY . .\n'
        'RUN npm ci && npm run build\n'
        'FROM nginxinc/nginx-unprivileged:1.27-alpine\n'
        'COPY --from=build /src/dist /usr/share/nginx/html\n'
        'USER 101'))
def copy_from_self(doc, ctx):
    for ins in each_instruction(doc.model, "COPY", "ADD"):
        src = ins.flag("from")
        if src and ins.stage is not None and ins.stage.name \
                and src.lower() == ins.stage.name:
            yield Hit(ins.line, f"`--from={src}` inside stage `{ins.stage.name_written}`")


@rules.rule(
    "DF014", "suggestion", "elegance", "`COPY --from` uses a stage number",
    "Stage numbers shift when a stage is added; names keep the Dockerfile readable and "
    "correct through edits.",
    "Name the stage (`FROM golang:1.23 AS build`) and copy `--from=build`.",
    peers=("kics:68a51e22-ae5a-4d48-8e87-b01a323605c9",),
    example=(
        'FROM golang:1.23 AS build\n'
        'WORKDIR /src\n'
        'COPY . .\n'
        'RUN go build -o /out/app .\n'
        'FROM gcr.io/distroless/static-debian12:nonroot\n'
        'COPY --from=build /out/app /app\n'
        'ENTRYPOINT ["/app"]'))
def copy_from_index(doc, ctx):
    for ins in each_instruction(doc.model, "COPY", "ADD"):
        src = ins.flag("from")
        if src and src.isdigit():
            yield Hit(ins.line, f"`--from={src}`")


@rules.rule(
    "DF015", "warning", "performance", "Whole filesystem copied from another stage",
    "`COPY --from=stage / /` copies every file of the other stage, package caches and "
    "build tools included, defeating the purpose of a multi-stage build.",
    "Copy only the build output: `COPY --from=build /app/dist /app`.",
    peers=("hadolint:DL3067",),
    example=(
        'FROM node:22-bookworm-slim AS build\n'
        'WORKDIR /src\n'
        'COPY . .\n'
        'RUN npm ci && npm run build\n'
        'FROM nginxinc/nginx-unprivileged:1.27-alpine\n'
        'COPY --from=build /src/dist /usr/share/nginx/html\n'
        'USER 101'))
def copy_whole_fs(doc, ctx):
    for ins in each_instruction(doc.model, "COPY"):
        if not ins.has_flag("from"):
            continue
        words = ins.json if ins.json is not None else ins.args.split()
        if len(words) >= 2 and words[0] in ("/", "/.", "/*") and words[-1].startswith("/"):
            yield Hit(ins.line, f"`{ins.text}`")


@rules.rule(
    "DF016", "suggestion", "reliability", "Final USER is a name, not a numeric id",
    "Kubernetes `runAsNonRoot` can only verify a numeric user; a name is resolved inside "
    "the image and cannot be checked by the orchestrator, so the pod is refused.",
    "Use the numeric id you created: `USER 10001` (optionally `10001:10001`).",
    peers=("hadolint:DL3066",),
    example=(
        'FROM debian:12-slim\n'
        'RUN useradd --system --uid 10001 app\n'
        'COPY --chmod=755 app /usr/local/bin/app\n'
        'USER 10001\n'
        'CMD ["app"]'))
def named_user(doc, ctx):
    final = doc.model.final_stage
    if final is None:
        return
    user, ins = final_user(final)
    if user is None:
        return
    value, unresolved = resolve(user, ins)
    if unresolved or _ROOT.match(value):
        return
    uid = value.split(":", 1)[0]
    if not uid.isdigit():
        yield Hit(ins.line, f"`USER {user}`")


@rules.rule(
    "DF017", "suggestion", "reliability", "No HEALTHCHECK in the final stage",
    "Without a healthcheck Docker and Compose only know whether the process exists, not "
    "whether it answers. (Kubernetes ignores HEALTHCHECK and uses probes, so this is a "
    "suggestion.) Not asked of batch images: those that the run shows are only run to "
    "completion (by a Job or CronJob, a Quadlet unit started by a timer, a one-shot "
    "Compose service).",
    "Add one that exercises the service with a tool present in the image: "
    "`HEALTHCHECK --interval=30s --timeout=3s CMD wget -qO- http://localhost:8080/health "
    "|| exit 1`.",
    positive="Final stage defines a HEALTHCHECK",
    peers=("hadolint:DL3057", "kics:b03a748a-542d-44f4-bb86-9199ab4fd2d5"),
    example=(
        'FROM nginxinc/nginx-unprivileged:1.27-alpine\n'
        'COPY site/ /usr/share/nginx/html/\n'
        'USER 101\n'
        'HEALTHCHECK --interval=30s --timeout=3s --retries=3 \\\n'
        '  CMD wget -qO- http://localhost:8080/ || exit 1'))
def missing_healthcheck(doc, ctx):
    final = doc.model.final_stage
    if final is None:
        return
    for st in final.inherited():
        for ins in st.instructions:
            if ins.keyword == "HEALTHCHECK":
                if ins.args.strip().upper() != "NONE":
                    yield Pass(ins.line)
                return
    if _runs_service(final) and not _compose_healthchecks(doc, ctx) \
            and not _run_as_batch(doc, ctx):
        yield Hit(final.from_.line, f"final stage `FROM {final.image}` has no HEALTHCHECK")


def _image_names(doc, services):
    """The names an image built from this Dockerfile goes by: the `image:` of the Compose
    services that build it, its folder's name, the NAME of `Dockerfile.NAME` or
    `NAME.Dockerfile`."""
    import os
    names = {ImageRef(s.image).base_name for s in services if s.image}
    base = os.path.basename(doc.abspath)
    low = base.lower()
    if low.startswith("dockerfile.") or low.endswith(".dockerfile"):
        names.add(base[11:] if low.startswith("dockerfile.") else base[:-11])
    names.add(os.path.basename(os.path.dirname(os.path.abspath(doc.abspath))))
    return {n.lower() for n in names if n}


def _run_as_batch(doc, ctx):
    """True when every runner of the image that the run shows runs it to completion: the
    Compose services that build it (`restart: "no"`, a one-shot, see DC035), and the
    Kubernetes workloads and Quadlet containers whose image has its name (a Job or
    CronJob; a unit of `Type=oneshot` or started by a `.timer` of the same name)."""
    services = ctx.links.builders_of(doc)
    runners = [s.batch for s in services]
    for name in _image_names(doc, services):
        runners.extend(r.batch for r in ctx.links.runners_named(name)
                       if not _official(ImageRef(r.image)))
    return bool(runners) and all(runners)


def _official(ref):
    """A Docker Hub official image (`python`, `postgres`): never the one a Dockerfile of the
    repository builds, whatever its folder is called."""
    return ref.registry == "docker.io" and ref.repository.startswith("library/")


def _compose_healthchecks(doc, ctx):
    """True when every Compose service of this run that builds the image defines its own
    healthcheck: the deployment is covered, so the Dockerfile is not blamed."""
    services = ctx.links.builders_of(doc)
    return bool(services) and all(s.healthcheck for s in services)


_SERVER_IMAGES = frozenset({
    "nginx", "nginx-unprivileged", "httpd", "caddy", "traefik", "haproxy", "tomcat", "jetty",
    "postgres", "mysql", "mariadb", "redis", "valkey", "mongo", "rabbitmq", "memcached",
    "elasticsearch", "grafana", "prometheus", "openresty", "php", "wordpress", "nextcloud",
    "minio", "keycloak", "gitea", "registry", "influxdb", "eclipse-mosquitto",
})


def _runs_service(stage):
    """A stage that looks like a long-running service: it EXPOSEs a port, sets CMD or
    ENTRYPOINT, or is built on a well-known server image (which brings its own CMD)."""
    for st in stage.inherited():
        for ins in st.instructions:
            if ins.keyword in ("EXPOSE", "CMD", "ENTRYPOINT"):
                return True
        if st.parent is None and not st.unresolved and not st.is_scratch:
            ref = ImageRef(st.image_resolved)
            tag = ref.tag or ""
            if ref.base_name in _SERVER_IMAGES and not (ref.base_name == "php" and "cli" in tag):
                return True
    return False


@rules.rule(
    "DF018", "warning", "reliability", "More than one HEALTHCHECK in a stage",
    "Only the last HEALTHCHECK counts; the earlier ones are dead code that readers "
    "will believe.",
    "Keep a single HEALTHCHECK per stage.",
    peers=("hadolint:DL3012",),
    example=(
        'FROM nginxinc/nginx-unprivileged:1.27-alpine\n'
        'COPY site/ /usr/share/nginx/html/\n'
        'USER 101\n'
        'HEALTHCHECK --interval=30s --timeout=3s \\\n'
        '  CMD wget -qO- http://localhost:8080/ || exit 1'))
def multiple_healthchecks(doc, ctx):
    yield from _multiple(doc.model, "HEALTHCHECK")


def _multiple(df, keyword):
    for st in df.stages:
        found = [i for i in st.instructions if i.keyword == keyword]
        for ins in found[1:]:
            yield Hit(ins.line, f"`{keyword}` also on line {found[0].line}; only the last "
                                "one takes effect")


@rules.rule(
    "DF019", "warning", "reliability", "CMD or ENTRYPOINT in shell form",
    "In shell form the process runs under `/bin/sh -c`: it is not PID 1, does not get "
    "SIGTERM on `docker stop`, and is killed after the grace period without shutting "
    "down cleanly.",
    "Use the JSON (exec) form: `CMD [\"gunicorn\", \"app:app\"]`; if you need a shell, "
    "end the script with `exec`.",
    peers=("hadolint:DL3025", "kics:b86987e1-6397-4619-81d5-8807f2387c79",
           "docker:JSONArgsRecommended"),
    example=(
        'FROM python:3.12-slim\n'
        'WORKDIR /app\n'
        'COPY app.py .\n'
        'USER 10001\n'
        'CMD ["python", "app.py"]'))
def shell_form_cmd(doc, ctx):
    for ins in each_instruction(doc.model, "CMD", "ENTRYPOINT"):
        if ins.json is not None or not ins.args:
            continue
        if ins.bad_json:
            yield Hit(ins.line, f"`{ins.text}` looks like JSON but is not valid JSON "
                                "(double quotes only): it runs in shell form")
        else:
            yield Hit(ins.line, f"`{ins.text}`")


@rules.rule(
    "DF020", "warning", "reliability", "More than one CMD in a stage",
    "Only the last CMD takes effect; the others mislead readers.",
    "Keep a single CMD per stage.",
    peers=("hadolint:DL4003", "kics:41c195f4-fc31-4a5c-8a1b-90605538d49f"),
    example=(
        'FROM python:3.12-slim\n'
        'WORKDIR /app\n'
        'COPY app.py .\n'
        'USER 10001\n'
        'ENTRYPOINT ["python", "app.py"]\n'
        'CMD ["--port", "8080"]'))
def multiple_cmd(doc, ctx):
    yield from _multiple(doc.model, "CMD")


@rules.rule(
    "DF021", "warning", "reliability", "More than one ENTRYPOINT in a stage",
    "Only the last ENTRYPOINT takes effect; the others mislead readers.",
    "Keep a single ENTRYPOINT per stage.",
    peers=("hadolint:DL4004", "kics:6938958b-3f1a-451c-909b-baeee14bdc97"),
    example=(
        'FROM python:3.12-slim\n'
        'WORKDIR /app\n'
        'COPY app.py .\n'
        'USER 10001\n'
        'ENTRYPOINT ["python", "app.py"]\n'
        'CMD ["--port", "8080"]'))
def multiple_entrypoint(doc, ctx):
    yield from _multiple(doc.model, "ENTRYPOINT")


def _port_range(text):
    """go-connections' nat.ParsePortRange: `80` or `8000-8010`, each 0..65535 (Go's
    ParseUint: digits only); (first, last) or None."""
    first, dash, rest = text.partition("-")
    last = rest.split("-", 1)[0] if dash else first
    if not (first.isascii() and first.isdigit() and last.isascii() and last.isdigit()):
        return None
    first, last = int(first), int(last)
    if first > 65535 or last > 65535 or last < first:
        return None
    return first, last


def _port_spec(word):
    """(first, last) container ports of one EXPOSE word as BuildKit parses it
    (nat.ParsePortSpec: `[ip:][hostPort:]port[-port][/proto]`, proto tcp/udp/sctp in any
    case, `80/` meaning tcp), or None when the build would fail."""
    import ipaddress
    parts = word.split(":")
    container, host = parts[-1], (parts[-2] if len(parts) >= 2 else "")
    ip = parts[0] if len(parts) == 3 else ":".join(parts[:-2])
    port, _, proto = container.partition("/")
    proto = proto.split("/", 1)[0] or "tcp"
    if ip:
        try:
            ipaddress.ip_address(ip[1:-1] if ip.startswith("[") and ip.endswith("]") else ip)
        except ValueError:
            return None
    ports = _port_range(port)
    if ports is None or proto.lower() not in ("tcp", "udp", "sctp"):
        return None
    if host:
        hosts = _port_range(host)
        if hosts is None or (hosts[1] - hosts[0] != ports[1] - ports[0]
                             and ports[0] != ports[1]):
            return None
    return ports


def exposed_ports(ins):
    """[(port_text, first, last)] of an EXPOSE, as BuildKit reads it: each word expanded
    with the ARG/ENV in scope, unquoted and split again (`EXPOSE "80" $PORTS`); a word whose
    variables are unknown is skipped, one that expands to nothing is dropped. first/last
    are None for a word the build rejects."""
    out = []
    for raw in ins.args.split():
        value, unresolved = resolve(raw, ins)
        if unresolved:
            continue
        for word in split_words(value):
            if not word:
                continue
            ports = _port_spec(word)
            out.append((word, *(ports or (None, None))))
    return out


@rules.rule(
    "DF022", "critical", "reliability", "EXPOSE with an invalid port",
    "Ports run from 0 to 65535, optionally with `/tcp`, `/udp` or `/sctp`; anything else "
    "makes the build fail. Checked as BuildKit parses it: quotes and variables are resolved "
    "first, ranges (`8000-8010`) and any case of the protocol are valid.",
    "Fix the port number or protocol: `EXPOSE 8080/tcp`.",
    peers=("hadolint:DL3011", "kics:71bf8cf8-f0a1-42fa-b9d2-d10525e0a38e"),
    example=(
        'FROM nginxinc/nginx-unprivileged:1.27-alpine\n'
        'COPY site/ /usr/share/nginx/html/\n'
        'USER 101\n'
        'EXPOSE 8080/tcp'))
def invalid_port(doc, ctx):
    for ins in each_instruction(doc.model, "EXPOSE"):
        for text, first, last in exposed_ports(ins):
            if first is None:
                yield Hit(ins.line, f"`EXPOSE {text}`")


@rules.rule(
    "DF023", "warning", "security", "SSH server in a container",
    "An SSH daemon in a container is one more service to patch and brute-force, with "
    "keys baked into the image; `docker exec` / `kubectl exec` already give a shell.",
    "Remove the SSH server and port 22; use `docker exec` or `kubectl exec` to get in.",
    peers=("kics:5907595b-5b6d-4142-b173-dbb0e73fbff8",),
    example=(
        'FROM debian:12-slim\n'
        'RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \\\n'
        ' && rm -rf /var/lib/apt/lists/*\n'
        'COPY --chmod=755 app /usr/local/bin/app\n'
        'USER 10001\n'
        'EXPOSE 8080\n'
        'CMD ["app"]'))
def ssh_server(doc, ctx):
    for ins in each_instruction(doc.model, "EXPOSE"):
        for text, first, last in exposed_ports(ins):
            if first is not None and first <= 22 <= last:
                yield Hit(ins.line, f"`EXPOSE {text}`")
    for ins, cmd, line in each_command(doc.model, "apt-get", "apt", "apk", "yum", "dnf",
                                       "microdnf", "zypper"):
        if any(a in ("openssh-server", "openssh") or a.startswith("openssh-server=")
               for a in cmd.args):
            yield Hit(line, f"`{cmd.name}` installs an SSH server")


@rules.rule(
    "DF024", "warning", "reliability", "WORKDIR is a relative path",
    "A relative WORKDIR depends on every WORKDIR before it, including the base image's: "
    "moving a line changes where files land.",
    "Use an absolute path: `WORKDIR /app`.",
    peers=("hadolint:DL3000", "kics:6b376af8-cfe8-49ab-a08d-f32de23661a4",
           "docker:WorkdirRelativePath"),
    example=(
        'FROM python:3.12-slim\n'
        'WORKDIR /app\n'
        'COPY app.py .\n'
        'USER 10001\n'
        'CMD ["python", "app.py"]'))
def relative_workdir(doc, ctx):
    for ins in each_instruction(doc.model, "WORKDIR"):
        value, unresolved = resolve(ins.args.strip().strip("\"'"), ins)
        if unresolved or not value:
            continue
        if not (value.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", value)):
            yield Hit(ins.line, f"`WORKDIR {ins.args.strip()}`")


def copy_parts(ins):
    """(sources, destination) of a COPY/ADD, or (None, None) for heredoc-only forms."""
    if ins._words is None:
        ins._words = ins.json if ins.json is not None else _copy_words(ins.args)
    words = ins._words
    if len(words) < 2:
        return None, None
    return words[:-1], words[-1]


def _copy_words(args):
    return split_words(args)


@rules.rule(
    "DF025", "warning", "reliability", "COPY to a relative path with no WORKDIR",
    "Without WORKDIR the destination is relative to `/` (or to whatever the base image "
    "set): files land somewhere unexpected.",
    "Set `WORKDIR /app` first, or copy to an absolute path.",
    peers=("hadolint:DL3045",),
    example=(
        'FROM python:3.12-slim\n'
        'WORKDIR /app\n'
        'COPY requirements.txt app.py ./\n'
        'RUN pip install --no-cache-dir -r requirements.txt\n'
        'USER 10001\n'
        'CMD ["python", "app.py"]'))
def copy_relative_no_workdir(doc, ctx):
    for st in doc.model.stages:
        has_workdir = any(i.keyword == "WORKDIR" for s in st.inherited()
                          for i in s.instructions if s is not st)
        for ins in st.instructions:
            if ins.keyword == "WORKDIR":
                has_workdir = True
            elif ins.keyword in ("COPY", "ADD") and not has_workdir and not ins.heredocs:
                _, dest = copy_parts(ins)
                if dest is None:
                    continue
                value, _ = resolve(dest, ins)
                if not (value.startswith(("/", "$")) or re.match(r"^[A-Za-z]:[\\/]", value)):
                    yield Hit(ins.line, f"`{ins.text}` with no WORKDIR set")


@rules.rule(
    "DF026", "critical", "reliability", "COPY of several sources to a destination without `/`",
    "With more than one source the destination must be a directory ending in `/`; "
    "otherwise the build fails.",
    "End the destination with a slash: `COPY a.txt b.txt /app/`.",
    peers=("hadolint:DL3021", "kics:6db6e0c2-32a3-4a2e-93b5-72c35f4119db"),
    example=(
        'FROM python:3.12-slim\n'
        'COPY requirements.txt app.py /app/\n'
        'WORKDIR /app\n'
        'RUN pip install --no-cache-dir -r requirements.txt\n'
        'USER 10001\n'
        'CMD ["python", "app.py"]'))
def copy_many_no_slash(doc, ctx):
    for ins in each_instruction(doc.model, "COPY", "ADD"):
        if ins.heredocs:
            continue
        sources, dest = copy_parts(ins)
        if sources and len(sources) > 1 and not dest.endswith(("/", "\\")) \
                and not dest.startswith("$"):
            yield Hit(ins.line, f"`{ins.text}`")


@rules.rule(
    "DF030", "suggestion", "elegance", "MAINTAINER is deprecated",
    "MAINTAINER has been deprecated since Docker 1.13; the OCI label is what tools read.",
    "Use `LABEL org.opencontainers.image.authors=\"name <mail>\"`.",
    peers=("hadolint:DL4000", "kics:99614418-f82b-4852-a9ae-5051402b741c",
           "docker:MaintainerDeprecated"),
    example=(
        'FROM alpine:3.20\n'
        'LABEL org.opencontainers.image.authors="Ops Team <ops@example.com>"\n'
        'COPY --chmod=755 app /usr/local/bin/app\n'
        'USER 10001\n'
        'CMD ["app"]'))
def maintainer(doc, ctx):
    for ins in each_instruction(doc.model, "MAINTAINER"):
        yield Hit(ins.line, "`MAINTAINER`")


_LABEL_KEY = lazy_re(r"^[a-z](?:[a-z0-9.\-/_]*[a-z0-9])?$")


@rules.rule(
    "DF031", "suggestion", "elegance", "Label key does not follow the convention",
    "Label keys should be lower-case reverse-DNS names (`org.opencontainers.image.source`); "
    "the `com.docker.*`, `io.docker.*` and `org.dockerproject.*` namespaces are reserved.",
    "Rename the key, ideally to an OCI annotation key (`org.opencontainers.image.*`).",
    peers=("hadolint:DL3048",),
    example=(
        'FROM alpine:3.20\n'
        'LABEL org.opencontainers.image.source="https://github.com/example/app" \\\n'
        '      org.opencontainers.image.licenses="MIT"\n'
        'COPY --chmod=755 app /usr/local/bin/app\n'
        'USER 10001\n'
        'CMD ["app"]'))
def label_key(doc, ctx):
    for ins in each_instruction(doc.model, "LABEL"):
        for key, _ in label_pairs(ins.args):
            if "$" in key:
                continue
            if (not _LABEL_KEY.match(key) or ".." in key or "--" in key
                    or key.startswith(("com.docker.", "io.docker.", "org.dockerproject."))):
                yield Hit(ins.line, f"label key `{key}`")


@rules.rule(
    "DF032", "warning", "reliability", "ENV refers to a variable it defines itself",
    "All pairs of one ENV are set at once: `ENV A=1 B=$A` gives B the *previous* value of "
    "A (usually empty), not 1.",
    "Split it into two ENV instructions.",
    peers=("hadolint:DL3044",),
    example=(
        'FROM python:3.12-slim\n'
        'ENV APP_HOME=/app\n'
        'ENV APP_BIN=$APP_HOME/bin\n'
        'WORKDIR $APP_HOME\n'
        'COPY app.py .\n'
        'USER 10001\n'
        'CMD ["python", "app.py"]'))
def env_self_reference(doc, ctx):
    for ins in each_instruction(doc.model, "ENV"):
        pairs = env_pairs(ins.args)
        defined = set()
        for name, value in pairs:
            for ref in re.findall(r"(?<!\\)\$\{?([A-Za-z_][A-Za-z0-9_]*)", value):
                if ref in defined:
                    yield Hit(ins.line, f"`{name}` uses `${ref}` defined in the same ENV")
            defined.add(name)


@rules.rule(
    "DF033", "critical", "reliability", "Forbidden instruction inside ONBUILD",
    "`ONBUILD ONBUILD`, `ONBUILD FROM` and `ONBUILD MAINTAINER` are refused by the builder.",
    "Remove it, or move the instruction out of ONBUILD.",
    peers=("hadolint:DL3043",),
    example=(
        'FROM node:22-bookworm-slim\n'
        'WORKDIR /app\n'
        'ONBUILD COPY package.json package-lock.json ./\n'
        'ONBUILD RUN npm ci --omit=dev\n'
        'ONBUILD COPY . .\n'
        'USER 1000\n'
        'CMD ["node", "server.js"]'))
def onbuild_forbidden(doc, ctx):
    for ins in doc.model.instructions:
        if ins.inner is not None and ins.inner.keyword in ("ONBUILD", "FROM", "MAINTAINER"):
            yield Hit(ins.line, f"`ONBUILD {ins.inner.keyword}`")


@rules.rule(
    "DF034", "critical", "reliability", "Dockerfile does not start with FROM",
    "Only ARG (and comments or directives) may come before the first FROM; anything else "
    "fails the build.",
    "Start the file with `FROM` (optionally preceded by `ARG`s used in FROM).",
    peers=("hadolint:DL3061",),
    example=(
        '# syntax=docker/dockerfile:1\n'
        'ARG NODE_VERSION=22\n'
        'FROM node:${NODE_VERSION}-bookworm-slim\n'
        'WORKDIR /app\n'
        'COPY server.js .\n'
        'USER 1000\n'
        'CMD ["node", "server.js"]'))
def first_instruction(doc, ctx):
    for ins in doc.model.instructions:
        if ins.keyword == "FROM":
            return
        if ins.keyword != "ARG":
            yield Hit(ins.line, f"`{ins.keyword}` before any FROM")
            return


def _problems(doc, codes):
    for line, code, message in doc.model.problems:
        if code in codes:
            yield Hit(line, message)


@rules.rule(
    "DF035", "critical", "reliability", "Unknown instruction",
    "The builder stops at an instruction it does not know.",
    "Fix the spelling, or remove the line (a continuation `\\` missing on the line "
    "before is a common cause).",
    example=(
        'FROM python:3.12-slim\n'
        'WORKDIR /app\n'
        'RUN pip install --no-cache-dir flask==3.0.3 \\\n'
        '    gunicorn==22.0.0\n'
        'COPY app.py .\n'
        'USER 10001\n'
        'CMD ["gunicorn", "app:app"]'))
def unknown_instruction(doc, ctx):
    yield from _problems(doc, ("unknown-instruction",))


@rules.rule(
    "DF036", "warning", "reliability", "Unknown instruction flag",
    "A flag the builder does not know fails the build, or needs a newer `# syntax=` "
    "frontend than the one you use. infra-expert reads on and reviews the rest.",
    "Check the spelling against the Dockerfile reference, or pin a `# syntax=` "
    "frontend that supports the flag.",
    example=(
        'FROM python:3.12-slim\n'
        'WORKDIR /app\n'
        'COPY --chown=root:root --chmod=644 app.py .\n'
        'USER 10001\n'
        'CMD ["python", "app.py"]'))
def unknown_flag(doc, ctx):
    yield from _problems(doc, ("unknown-flag",))


@rules.rule(
    "DF037", "suggestion", "reliability", "Parser directive problem",
    "Directives (`# syntax=`, `# escape=`, `# check=`) only work at the very top of the "
    "file, once each; anything else is a comment that does not do what it says.",
    "Put directives first, before any comment, blank line or instruction, once each.",
    example=(
        '# syntax=docker/dockerfile:1\n'
        '# escape=\\\n'
        'FROM python:3.12-slim\n'
        'WORKDIR /app\n'
        'COPY app.py .\n'
        'USER 10001\n'
        'CMD ["python", "app.py"]'))
def directive_problem(doc, ctx):
    yield from _problems(doc, ("unknown-directive", "duplicate-directive", "bad-escape"))
    seen_instruction = False
    df = doc.model
    first_ins = df.instructions[0].line if df.instructions else None
    for line, text in df.comments:
        if first_ins is not None and line > first_ins:
            seen_instruction = True
        m = re.match(r"#\s*(syntax|escape)\s*=", text, re.IGNORECASE)
        if m and (line not in [v[1] for v in df.directives.values()]):
            where = "after an instruction" if seen_instruction else "after a comment or blank line"
            yield Hit(line, f"`{text}` comes {where}: it is only a comment")


@rules.rule(
    "DF038", "critical", "reliability", "Unterminated heredoc or line continuation",
    "A heredoc without its terminator swallows the rest of the file, and a continuation "
    "at the end of the file joins nothing: the build fails or runs something else.",
    "Add the terminator line (exactly the delimiter, alone on its line) or remove the "
    "trailing escape character.",
    example=(
        '# syntax=docker/dockerfile:1\n'
        'FROM debian:12-slim\n'
        'RUN <<EOF\n'
        'set -eux\n'
        'apt-get update\n'
        'apt-get install -y --no-install-recommends curl\n'
        'rm -rf /var/lib/apt/lists/*\n'
        'EOF\n'
        'USER 10001'))
def unterminated(doc, ctx):
    yield from _problems(doc, ("unterminated-heredoc", "continuation-eof"))


@rules.rule(
    "DF039", "suggestion", "elegance", "Inconsistent instruction or stage-name casing",
    "Instructions and stage names are case-insensitive, but mixing `run` and `RUN`, or "
    "naming a stage `Build` and copying `--from=build`, makes the file harder to read "
    "and grep.",
    "Write all instructions in upper case, and stage names in lower case.",
    peers=("docker:ConsistentInstructionCasing", "docker:FromAsCasing",
           "docker:StageNameCasing"),
    example=(
        'FROM golang:1.23 AS build\n'
        'WORKDIR /src\n'
        'COPY . .\n'
        'RUN go build -o /out/app .\n'
        'FROM gcr.io/distroless/static-debian12:nonroot\n'
        'COPY --from=build /out/app /app\n'
        'ENTRYPOINT ["/app"]'))
def instruction_casing(doc, ctx):
    instructions = list(doc.model.all_instructions())
    upper = sum(1 for i in instructions if i.written.isupper())
    lower = sum(1 for i in instructions if i.written.islower())
    if upper and lower:
        minority_lower = lower < upper
        for ins in instructions:
            if (ins.written.islower() if minority_lower else ins.written.isupper()):
                yield Hit(ins.line, f"`{ins.written}` while most instructions are "
                                    f"{'upper' if minority_lower else 'lower'} case")
    for ins in instructions:
        if not ins.written.isupper() and not ins.written.islower():
            yield Hit(ins.line, f"`{ins.written}` in mixed case")
    for st in doc.model.stages:
        if st.name_written and st.name_written != st.name:
            yield Hit(st.from_.line, f"stage name `{st.name_written}` is not lower case "
                                     "(stage names are compared case-insensitively)")


@rules.rule(
    "DF040", "warning", "reliability", "Empty line inside a line continuation",
    "BuildKit warns about empty continuation lines and a future version will refuse "
    "them; they also hide where an instruction really ends.",
    "Remove the empty line, or end the instruction before it.",
    peers=("docker:NoEmptyContinuation",),
    example=(
        'FROM debian:12-slim\n'
        'RUN apt-get update \\\n'
        ' && apt-get install -y --no-install-recommends curl \\\n'
        ' && rm -rf /var/lib/apt/lists/*\n'
        'USER 10001\n'
        'CMD ["bash"]'))
def empty_continuation(doc, ctx):
    yield from _problems(doc, ("empty-continuation",))
