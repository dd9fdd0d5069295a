"""Dockerfile rules about what goes into the image: files, context, secrets, layers."""

from __future__ import annotations

import re

from infra_expert.dockerfile.context import build_context
from infra_expert.dockerfile.parser import env_pairs, label_pairs
from infra_expert.dockerfile.rules_structure import copy_parts
from infra_expert.dockerfile.walkers import (each_instruction, final_user, run_commands,
                                             shell_text)
from infra_expert.lazyre import lazy_re
from infra_expert.model import Hit, Pass, RuleSet
from infra_expert.secrets import (MASK, is_literal_secret_value, is_secret_file,
                                  is_secret_name, token_kind)

rules = RuleSet("dockerfile")

_URL = lazy_re(r"^(?:https?|ftp)://", re.IGNORECASE)
_GIT = lazy_re(r"^(?:git@|git://|https?://[^ ]+\.git(?:#.*)?$)", re.IGNORECASE)
_ARCHIVE = lazy_re(r"\.(?:tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|gz|bz2|xz|"
                      r"zst|zip)$", re.IGNORECASE)


@rules.rule(
    "DF027", "warning", "security", "ADD used to copy local files",
    "ADD also downloads URLs and unpacks archives; for plain files that magic only adds "
    "surprises (a `.tar.gz` in the context is silently extracted).",
    "Use `COPY` for files and directories; keep ADD for remote sources with `--checksum`.",
    peers=("hadolint:DL3020", "kics:9513a694-aa0d-41d8-be61-3271e056f36b"),
    example=(
        'FROM python:3.12-slim\n'
        'WORKDIR /app\n'
        'COPY app.py /app/\n'
        'USER 10001\n'
        'CMD ["python", "app.py"]'))
def add_local(doc, ctx):
    for ins in each_instruction(doc.model, "ADD"):
        if ins.heredocs:
            continue
        sources, _ = copy_parts(ins)
        if not sources:
            continue
        plain = [s for s in sources if not _URL.match(s) and not _GIT.match(s)
                 and not _ARCHIVE.search(s)]
        if plain:
            yield Hit(ins.line, f"`{ins.text}`")


@rules.rule(
    "DF028", "warning", "security", "ADD of a remote URL without `--checksum`",
    "A downloaded file that is not verified can be swapped on the server or in transit; "
    "the build will bake whatever it gets into the image.",
    "Add `--checksum=sha256:…` (BuildKit), or download in a RUN and verify with "
    "`sha256sum -c`.",
    peers=("kics:4b410d24-1cbe-4430-a632-62c9a931cf1c",),
    example=(
        '# syntax=docker/dockerfile:1\n'
        'FROM alpine:3.20\n'
        'ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d \\\n'
        '    https://example.com/tool-1.4.2.tgz /opt/\n'
        'USER 10001'))
def add_remote_unverified(doc, ctx):
    for ins in each_instruction(doc.model, "ADD"):
        sources, _ = copy_parts(ins)
        if not sources or ins.has_flag("checksum"):
            continue
        for s in sources:
            if _URL.match(s) and not _GIT.match(s):
                yield Hit(ins.line, f"`ADD {s}` is not verified")


@rules.rule(
    "DF029", "suggestion", "performance", "Archive copied, then extracted in a RUN",
    "The archive stays in the COPY layer even after extraction: the image carries it twice.",
    "Let `ADD archive.tar.gz /dest/` extract it in one layer, or use `RUN --mount=type=bind` "
    "to extract it without copying.",
    peers=("hadolint:DL3010",),
    example=(
        'FROM debian:12-slim\n'
        'ADD vendor.tar.gz /opt/vendor/\n'
        'USER 10001\n'
        'CMD ["/opt/vendor/bin/app"]'))
def copy_then_extract(doc, ctx):
    for st in doc.model.stages:
        copied = {}
        for ins in st.instructions:
            if ins.keyword == "COPY" and not ins.has_flag("from"):
                sources, dest = copy_parts(ins)
                for s in sources or ():
                    if _ARCHIVE.search(s) and not s.lower().endswith(".zip"):
                        copied[s.rsplit("/", 1)[-1]] = ins
            elif ins.keyword == "RUN" and copied:
                for cmd, line in run_commands(ins):
                    if cmd.name in ("tar", "unzip", "gunzip", "bunzip2", "xz", "zstd"):
                        for arg in cmd.args:
                            base = arg.rsplit("/", 1)[-1]
                            if base in copied:
                                yield Hit(copied.pop(base).line,
                                          f"`{base}` is copied here and extracted on line {line}")


def _secret_pairs(ins):
    if ins.keyword == "ENV":
        return env_pairs(ins.args)
    if ins.keyword == "LABEL":
        return label_pairs(ins.args)
    out = []
    for word in ins.args.split():
        name, eq, value = word.partition("=")
        out.append((name, value.strip("\"'") if eq else None))
    return out


@rules.rule(
    "DF041", "critical", "security", "Secret value written in the Dockerfile",
    "ENV, ARG and LABEL values are stored in the image metadata and its history: anyone "
    "who can pull the image can read them, for ever.",
    "Remove the value and rotate the secret. Pass it at run time (environment, Docker or "
    "Kubernetes secrets), or at build time with `RUN --mount=type=secret,id=…`.",
    example=(
        'FROM python:3.12-slim\n'
        'WORKDIR /app\n'
        'COPY app.py .\n'
        'ENV DB_PASSWORD_FILE=/run/secrets/db_password\n'
        'USER 10001\n'
        'CMD ["python", "app.py"]'))
def secret_value(doc, ctx):
    for ins in each_instruction(doc.model, "ENV", "ARG", "LABEL"):
        for name, value in _secret_pairs(ins):
            if not value:
                continue
            kind = token_kind(value)
            if kind:
                yield Hit(ins.line, f"`{ins.keyword} {name}={MASK}` holds a {kind}")
            elif is_secret_name(name) and is_literal_secret_value(value, name):
                yield Hit(ins.line, f"`{ins.keyword} {name}={MASK}` holds a literal secret")


@rules.rule(
    "DF042", "warning", "security", "Secret passed as a build argument or environment variable",
    "Build arguments end up in `docker history` and in the image's provenance; an ENV "
    "meant for a secret invites a literal value, and one holding a placeholder "
    "(`changeme`) ships a default password. Names are judged with their values, so "
    "`JENKINS_USERNAME` or `TOKEN_FILE=/run/secrets/token` do not trigger this.",
    "Use `RUN --mount=type=secret,id=token` at build time, and runtime secrets "
    "(`*_FILE` pointing at `/run/secrets/…`) at run time.",
    peers=("hadolint:DL3064", "docker:SecretsUsedInArgOrEnv"),
    example=(
        '# syntax=docker/dockerfile:1\n'
        'FROM node:22-bookworm-slim\n'
        'WORKDIR /app\n'
        'COPY package.json package-lock.json ./\n'
        'RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci --omit=dev\n'
        'USER 1000\n'
        'CMD ["node", "server.js"]'))
def secret_build_arg(doc, ctx):
    for ins in each_instruction(doc.model, "ARG", "ENV"):
        for name, value in _secret_pairs(ins):
            if not is_secret_name(name) or (value and is_literal_secret_value(value, name)):
                continue   # literal values are DF041's
            if ins.keyword == "ARG":
                yield Hit(ins.line, f"`ARG {name}`: the value passed with --build-arg is "
                                    "recorded in the image history")
            elif value and "$" in value:
                yield Hit(ins.line, f"`ENV {name}` copies a build argument into the image's "
                                    "environment")
            elif value and not value.startswith("/"):
                yield Hit(ins.line, f"`ENV {name}` bakes a placeholder credential into the "
                                    "image: containers that forget to override it run with it")


@rules.rule(
    "DF043", "critical", "security", "Key or credentials file copied into the image",
    "A private key, `.env` or credentials file copied into a layer stays there even if a "
    "later step deletes it, and ships with every pull of the image.",
    "Do not copy it: mount it at build time (`RUN --mount=type=secret`) or provide it at "
    "run time as a secret volume.",
    example=(
        '# syntax=docker/dockerfile:1\n'
        'FROM alpine:3.20\n'
        'RUN apk add --no-cache git openssh-client\n'
        'RUN --mount=type=ssh git clone git@github.com:example/repo.git /src\n'
        'USER 10001'))
def secret_file_copied(doc, ctx):
    for ins in each_instruction(doc.model, "COPY", "ADD"):
        if ins.heredocs or ins.has_flag("from"):
            continue
        sources, _ = copy_parts(ins)
        for s in sources or ():
            if is_secret_file(s):
                yield Hit(ins.line, f"`{ins.keyword} {s}`")


def _whole_context_copies(df):
    for ins in each_instruction(df, "COPY", "ADD"):
        if ins.has_flag("from") or ins.heredocs:
            continue
        sources, _ = copy_parts(ins)
        if sources and any(s in (".", "./", "*", "./*", "/", ".*") for s in sources):
            yield ins


def _context_secrets(files, ignore):
    return [f for f in files if is_secret_file(f) and not (ignore and ignore.ignores(f))]


@rules.rule(
    "DF044", "critical", "security", "Whole build context copied while it holds secrets",
    "`COPY . .` with no `.dockerignore` puts every file of the context in the image, and "
    "this context holds keys or `.env` files: they ship with the image.",
    "Add a `.dockerignore` that excludes them (`.env*`, `*.pem`, `*.key`, `.git`), and "
    "rotate anything that was already pushed.",
    example=(
        'FROM python:3.12-slim\n'
        'WORKDIR /app\n'
        'COPY requirements.txt .\n'
        'RUN pip install --no-cache-dir -r requirements.txt\n'
        'COPY src/ ./src/\n'
        'USER 10001\n'
        'CMD ["python", "-m", "src"]'))
def context_secrets_copied(doc, ctx):
    copies = list(_whole_context_copies(doc.model))
    if not copies:
        return
    _, ignore, files = build_context(doc, ctx)
    secrets = _context_secrets(files, ignore)
    if ignore is None and secrets:
        shown = ", ".join(f"`{s}`" for s in secrets[:5])
        more = f" and {len(secrets) - 5} more" if len(secrets) > 5 else ""
        yield Hit(copies[0].line, f"`{copies[0].text}` copies {shown}{more} into the image")


@rules.rule(
    "DF045", "warning", "performance", "No .dockerignore beside the Dockerfile",
    "Without a .dockerignore the whole directory (`.git`, `node_modules`, local builds, "
    "editor files) is sent to the builder on every build and lands in `COPY . .` layers, "
    "which also breaks the layer cache whenever any file changes.",
    "Add a `.dockerignore` listing at least `.git`, `.env*`, `*.pem`, `*.key`, "
    "`node_modules` and build output.",
    positive="`.dockerignore` present beside the Dockerfile",
    example=(
        'FROM python:3.12-slim\n'
        'WORKDIR /app\n'
        'COPY requirements.txt .\n'
        'RUN pip install --no-cache-dir -r requirements.txt\n'
        'COPY src/ ./src/\n'
        'USER 10001\n'
        'CMD ["python", "-m", "src"]'))
def missing_dockerignore(doc, ctx):
    copies = list(_whole_context_copies(doc.model))
    context_dir, ignore, files = build_context(doc, ctx)
    if ignore is not None:
        yield Pass(None)
        return
    if copies and not _context_secrets(files, None):
        yield Hit(copies[0].line, f"`{copies[0].text}` with no .dockerignore in the context")


def _coverage_checks(files):
    """(label, sample path) that a .dockerignore must exclude for this context.

    `.env` files are checked always: they are usually git-ignored, so they exist on a
    developer's machine even when the repository does not show them. The others are
    checked when they are present in the context.
    """
    checks = [(".env files", ".env")]
    if ".git/" in files or ".git" in files:
        checks.insert(0, (".git", ".git"))
    keys = [f for f in files if is_secret_file(f) and not f.rsplit("/", 1)[-1].startswith(".env")]
    if keys:
        checks.append(("keys", keys[0]))
    if "node_modules/" in files or "package.json" in files:
        checks.append(("node_modules", "node_modules"))
    return checks


@rules.rule(
    "DF046", "warning", "security", ".dockerignore leaves sensitive or bulky files in",
    "The .dockerignore exists but lets through files that should never reach an image: "
    "`.git` (history, sometimes credentials), `.env` files (usually git-ignored, so present "
    "on the machine that builds even when the repository does not show them), keys, or "
    "`node_modules` built for another platform.",
    "Add the missing entries to .dockerignore (e.g. `.git`, `.env*`, `**/*.pem`, "
    "`**/*.key`, `node_modules`).",
    positive="`.dockerignore` excludes {covered}",
    example=(
        'FROM python:3.12-slim\n'
        'WORKDIR /app\n'
        'COPY requirements.txt .\n'
        'RUN pip install --no-cache-dir -r requirements.txt\n'
        'COPY src/ ./src/\n'
        'USER 10001\n'
        'CMD ["python", "-m", "src"]'))
def dockerignore_coverage(doc, ctx):
    copies = list(_whole_context_copies(doc.model))
    _, ignore, files = build_context(doc, ctx)
    if ignore is None or not copies:
        return
    checks = _coverage_checks(files)
    missing = [label for label, sample in checks if not ignore.ignores(sample)]
    if missing:
        yield Hit(copies[0].line, f"`{copies[0].text}` with a .dockerignore that does not "
                                  f"exclude: {', '.join(missing)}")
    else:
        yield Pass(None, covered=", ".join(label for label, _ in checks))


_MANIFESTS = lazy_re(
    r"(?:^|/)(?:requirements[^/]*\.txt|constraints[^/]*\.txt|Pipfile(?:\.lock)?|"
    r"pyproject\.toml|poetry\.lock|uv\.lock|setup\.py|setup\.cfg|package(?:-lock)?\.json|"
    r"yarn\.lock|pnpm-lock\.yaml|npm-shrinkwrap\.json|go\.mod|go\.sum|Cargo\.(?:toml|lock)|"
    r"pom\.xml|build\.gradle(?:\.kts)?|settings\.gradle(?:\.kts)?|Gemfile(?:\.lock)?|"
    r"composer\.(?:json|lock)|mix\.(?:exs|lock)|\*\.csproj|[^/]*\.csproj|packages\.config|"
    r"bun\.lockb?|deno\.json|\.npmrc|\.yarnrc(?:\.yml)?)$")
_INSTALL = {
    "pip": ("install",), "pip3": ("install",), "poetry": ("install",), "uv": ("sync", "pip"),
    "pipenv": ("install", "sync"), "npm": ("install", "i", "ci"), "yarn": ("install", ""),
    "pnpm": ("install", "i"), "go": ("mod", "build"), "cargo": ("build", "fetch"),
    "mvn": ("",), "gradle": ("",), "bundle": ("install", ""), "composer": ("install",),
    "dotnet": ("restore", "publish", "build"), "bun": ("install", "i"),
}


@rules.rule(
    "DF047", "suggestion", "performance", "Source copied before dependencies are installed",
    "When the whole source is copied before the dependency install, any code change "
    "invalidates the install layer and every build downloads all dependencies again.",
    "Copy the dependency manifests first, install, then copy the rest: "
    "`COPY requirements.txt .` → `RUN pip install -r requirements.txt` → `COPY . .`.",
    positive="Dependency manifests are copied and installed before the source code",
    example=(
        'FROM python:3.12-slim\n'
        'WORKDIR /app\n'
        'COPY requirements.txt .\n'
        'RUN pip install --no-cache-dir -r requirements.txt\n'
        'COPY . .\n'
        'USER 10001\n'
        'CMD ["python", "app.py"]'))
def layer_order(doc, ctx):
    for st in doc.model.stages:
        whole_copy = None
        manifest_copied = False
        for ins in st.instructions:
            if ins.keyword in ("COPY", "ADD") and not ins.has_flag("from") and not ins.heredocs:
                sources, _ = copy_parts(ins)
                sources = sources or ()
                if any(s in (".", "./", "*", "./*") for s in sources):
                    whole_copy = whole_copy or ins
                elif any(_MANIFESTS.search(s) for s in sources):
                    manifest_copied = True
            elif ins.keyword == "RUN" and not _bind_mounts_manifest(ins):
                installs = [c for c, _ in run_commands(ins) if _is_install(c)]
                if not installs:
                    continue
                if whole_copy is not None and not manifest_copied:
                    yield Hit(whole_copy.line,
                              f"`{whole_copy.text}` comes before `{' '.join(installs[0].words[:3])}` "
                              f"on line {ins.line}")
                elif manifest_copied and whole_copy is None:
                    yield Pass(ins.line)
                break


def _bind_mounts_manifest(ins):
    return any(_MANIFESTS.search(v) for v in ins.flag_values("mount"))


def _is_install(cmd):
    subs = _INSTALL.get(cmd.name)
    if subs is None:
        return False
    if cmd.name in ("pip", "pip3") and "-r" not in cmd.args and "--requirement" not in cmd.args \
            and "." not in cmd.args and "-e" not in cmd.args:
        return False
    first = next((a for a in cmd.args if not a.startswith("-")), "")
    return "" in subs or first in subs


@rules.rule(
    "DF048", "critical", "security", "Credential written in a RUN or heredoc",
    "A token or private key inside a RUN command or a heredoc is stored in the layer and "
    "in the build cache, readable by anyone with the image.",
    "Remove it and rotate it; use `RUN --mount=type=secret,id=…` to use a secret during "
    "the build.",
    example=(
        '# syntax=docker/dockerfile:1\n'
        'FROM python:3.12-slim\n'
        'WORKDIR /app\n'
        'COPY requirements.txt .\n'
        'RUN --mount=type=secret,id=pip_index_url \\\n'
        '    PIP_INDEX_URL="$(cat /run/secrets/pip_index_url)" pip install --no-cache-dir -r requirements.txt\n'
        'USER 10001'))
def secret_in_run(doc, ctx):
    for ins in each_instruction(doc.model, "RUN", "COPY", "ADD"):
        if ins.keyword == "RUN":
            kind = token_kind(shell_text(ins))
            if kind:
                yield Hit(ins.line, f"a {kind} appears in this RUN")
                continue
            for cmd, line in run_commands(ins):
                for k, v in cmd.assignments.items():
                    if is_secret_name(k) and is_literal_secret_value(v, k):
                        yield Hit(line, f"`{k}={MASK}` set inline in a RUN")
        else:
            for h in ins.heredocs:
                kind = token_kind(h.body)
                if kind:
                    yield Hit(ins.line, f"a {kind} is written into the image by the heredoc "
                                        f"on line {h.line}")


@rules.rule(
    "DF049", "suggestion", "security", "Application files owned by the runtime user",
    "`COPY --chown` to the user the container runs as lets a compromised process rewrite "
    "its own code. Read-only, root-owned files with execute permission are enough.",
    "Drop `--chown` for code and configuration; give the runtime user write access only "
    "to the directories it must write (data, cache, tmp).",
    peers=("kics:aa93e17f-b6db-4162-9334-c70334e7ac28",),
    example=(
        'FROM python:3.12-slim\n'
        'RUN useradd --system --uid 10001 app && mkdir -p /app/data && chown 10001 /app/data\n'
        'WORKDIR /app\n'
        'COPY app.py .\n'
        'USER 10001\n'
        'CMD ["python", "app.py"]'))
def chown_to_runtime_user(doc, ctx):
    final = doc.model.final_stage
    if final is None:
        return
    user, _ = final_user(final)
    if not user:
        return
    runtime = user.split(":", 1)[0]
    for ins in final.instructions:
        if ins.keyword in ("COPY", "ADD"):
            owner = (ins.flag("chown") or "").split(":", 1)[0]
            if owner and owner == runtime:
                yield Hit(ins.line, f"`{ins.text}`")
