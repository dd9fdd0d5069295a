"""Images built in the pipeline (CI020–CI026): scanned before they ship, tagged so they
can be rolled back, attested, cached, built for the architecture the repository runs on,
and built from a Dockerfile that exists.

A build is a `docker/build-push-action` or `redhat-actions` step, a shell command
(`docker build|buildx build|push`, `podman`, `buildah`, `/kaniko/executor`, `ko`) or a
Woodpecker/Drone plugin step. The repository is the folder above `.github/` (`.forgejo/`,
`.gitea/`, `.woodpecker/`), or the folder of a `.gitlab-ci.yml` / `.woodpecker.yml`; its
other documents in the run (Dockerfiles, Compose files, manifests) are what ties a build
to what it builds and where it runs.
"""

from __future__ import annotations

import os
import re

from infra_expert.lazyre import lazy_re
from infra_expert.model import Hit, Pass, RuleSet
from infra_expert.pipeline.model import EXPR_MARK, loaded, repo_root, step_commands, text
from infra_expert.yamlsafe import YMap, YSeq

rules = RuleSet("pipeline")

_SHA = "11bd71901bbe5b1630ceea73d27597364c9af683"
EXAMPLE = (
    "name: image\n"
    "on:\n"
    "  push:\n"
    "    tags: ['v*']\n"
    "permissions:\n"
    "  contents: read\n"
    "  packages: write\n"
    "jobs:\n"
    "  image:\n"
    "    runs-on: ubuntu-24.04\n"
    "    steps:\n"
    f"      - uses: actions/checkout@{_SHA}  # v4.2.2\n"
    "        with:\n"
    "          persist-credentials: false\n"
    f"      - uses: docker/build-push-action@{_SHA}  # v6\n"
    "        with:\n"
    "          load: true\n"
    "          tags: ghcr.io/acme/app:scan\n"
    "          cache-from: type=gha\n"
    "          cache-to: type=gha,mode=max\n"
    f"      - uses: aquasecurity/trivy-action@{_SHA}  # 0.28.0\n"
    "        with:\n"
    "          image-ref: ghcr.io/acme/app:scan\n"
    "          exit-code: '1'\n"
    "          severity: CRITICAL,HIGH\n"
    f"      - uses: docker/build-push-action@{_SHA}  # v6\n"
    "        with:\n"
    "          push: true\n"
    "          sbom: true\n"
    "          platforms: linux/amd64,linux/arm64\n"
    "          tags: ghcr.io/acme/app:${{ github.ref_name }}\n"
    "          cache-from: type=gha\n")

_CI_ENTRIES = frozenset({".github", ".forgejo", ".gitea", ".woodpecker", ".woodpecker.yml",
                         ".woodpecker.yaml", ".gitlab-ci.yml", ".gitlab-ci.yaml", ".git",
                         "action.yml", "action.yaml"})
_HOSTED = lazy_re(r"^(?:ubuntu|windows|macos)-(?:latest|\d[\w.-]*)$")
_ARM_RUNNER = lazy_re(r"(?:^|[-_])(?:arm|arm64|aarch64)(?:$|[-_])", re.IGNORECASE)
_ARM = lazy_re(r"\barm(?:64|hf|el|v\d+)?\b|\baarch64\b", re.IGNORECASE)


# -- the repository ------------------------------------------------------------------

def _in_repo(doc, root):
    path = os.path.abspath(doc.abspath) if getattr(doc, "abspath", None) else None
    return bool(path) and (path + os.sep).startswith(root.rstrip(os.sep) + os.sep)


def _checked_out(root, ctx):
    """The repository's own files are in the reviewed tree (not a folder of workflows
    copied out of it): only then can a missing Dockerfile be said missing."""
    gate = getattr(ctx, "gate", None)
    if gate is None or not gate.inside(root):
        return False
    try:
        names = os.listdir(root)
    except OSError:
        return False
    return any(n not in _CI_ENTRIES for n in names)


# -- shell commands ------------------------------------------------------------------

def _dynamic(value):
    return "$" in value or EXPR_MARK in value


def _script_commands(flow, step):
    """(line, Command, path) of every command a step runs, with its line and the file it
    is written in (None: the workflow's own file; a GitLab include or template else)."""
    for sc in step_commands(flow, step):
        yield sc.line, sc.cmd, sc.path


def _options(args, with_value):
    """({option: [values]}, [operands]) of `args`; `--opt=value` and `-o value`."""
    opts, ops, i = {}, [], 0
    while i < len(args):
        a = args[i]
        if a.startswith("--") and "=" in a:
            k, v = a.split("=", 1)
            opts.setdefault(k, []).append(v)
        elif a.startswith("-") and a != "-":
            if a in with_value and i + 1 < len(args):
                opts.setdefault(a, []).append(args[i + 1])
                i += 1
            else:
                opts.setdefault(a, []).append(None)
        else:
            ops.append(a)
        i += 1
    return opts, ops


def _opt(opts, *names):
    out = []
    for n in names:
        out.extend(v for v in opts.get(n, []) if v is not None)
    return out


def _flag(opts, *names):
    """True/False for a boolean option present (`--push`, `--push=false`), else None."""
    for n in names:
        for v in opts.get(n, []):
            return v is None or v.lower() not in ("false", "0")
    return None


_BUILD_VALUE_OPTS = frozenset({
    "-t", "--tag", "-f", "--file", "--build-arg", "--platform", "--target", "--cache-from",
    "--cache-to", "--label", "--secret", "--ssh", "-o", "--output", "--progress",
    "--builder", "--network", "--iidfile", "--metadata-file", "--build-context", "--attest",
    "--add-host", "--allow", "--annotation", "--cgroup-parent", "--shm-size", "--ulimit",
    "-m", "--memory", "--isolation", "--security-opt", "--squash-all", "--format",
    "--authfile", "--creds", "--layers", "--jobs", "--os", "--arch", "--variant",
    "--manifest", "--cert-dir", "--sign-by", "--timestamp", "--build-arg-file",
    "--cpu-shares", "--cpuset-cpus", "--memory-swap", "--runtime", "--userns",
    "--volume", "-v", "--retry", "--tls-verify"})


class Build:
    """One image build or push, as the rules need it. `pushed`: True, False, or None when
    an expression decides; `tags`: the image references (None: not known here);
    `platforms`: [..] or None when none is given ("" entries: an expression);
    `dockerfile`: (path relative to the repository, whether it may not exist) or None."""

    __slots__ = ("step", "line", "tool", "pushed", "tags", "platforms", "cache", "no_cache",
                 "sbom", "provenance", "provenance_line", "dockerfile", "builds", "attests",
                 "key_line", "path", "pushed_by", "source")

    def __init__(self, step, line, tool, path=None):
        self.step, self.line, self.tool = step, line, tool
        self.path = path or getattr(step, "path", None)
        self.pushed = False
        self.tags = None
        self.platforms = None
        self.cache = False
        self.no_cache = False
        self.sbom = False
        self.provenance = None
        self.provenance_line = None
        self.dockerfile = None      # [candidate paths relative to the repository]
        self.builds = True          # False: a push of an image built elsewhere
        self.attests = False        # the builder can attach SBOM/provenance
        self.key_line = {}
        self.pushed_by = None       # the later `docker push` that pushes this local build
        self.source = None          # for such a push: the local build it pushes

    @property
    def job(self):
        return self.step.job


def _split_list(value):
    """A list input: a YAML list, or a string split on newlines and commas."""
    if isinstance(value, (list, YSeq)):
        items = [text(v) for v in value]
    else:
        items = re.split(r"[\n,]", text(value))
    return [i.strip() for i in items if i and i.strip()]


def _bool(value):
    """True / False / None (an expression, or absent)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    s = text(value).lower()
    if "${{" in s or "$" in s:
        return None
    return s in ("true", "1", "yes", "on")


def _workdir(flow, step):
    """The step's working directory relative to the repository ("" for the root), or None
    when an expression or an absolute path decides it."""
    wd = text(step.node.get("working-directory"))
    if not wd:
        for node in (step.job.node, getattr(flow, "root", None)):
            defaults = node.get("defaults") if isinstance(node, YMap) else None
            run = defaults.get("run") if isinstance(defaults, YMap) else None
            if isinstance(run, YMap) and text(run.get("working-directory")):
                wd = text(run.get("working-directory"))
                break
    if not wd:
        return ""
    if "$" in wd or os.path.isabs(wd) or wd.startswith("~"):
        return None
    return os.path.normpath(wd)


def _join(*parts):
    return os.path.normpath(os.path.join(*[p for p in parts if p])) if any(parts) else "."


def _action_build(step, uses):
    w = step.with_
    b = Build(step, step.value_line("uses"), "`docker/build-push-action`")
    push = _bool(w.get("push"))
    outputs = " ".join(_split_list(w.get("outputs")))
    if push is None and "push" in w:
        b.pushed = None
    else:
        b.pushed = bool(push) or "push=true" in outputs or "type=registry" in outputs
    if _bool(w.get("load")) and not push:
        b.pushed = False
    tags = _split_list(w.get("tags"))
    b.tags = tags or None
    if "platforms" in w:
        b.platforms = _split_list(w.get("platforms"))
    b.cache = bool(text(w.get("cache-from")))
    b.no_cache = bool(_bool(w.get("no-cache")))
    sbom = text(w.get("sbom")).lower()
    b.sbom = bool(sbom) and sbom != "false"
    attests = " ".join(_split_list(w.get("attests")))
    b.sbom = b.sbom or "type=sbom" in attests
    prov = text(w.get("provenance")).lower()
    if prov:
        b.provenance = prov != "false"
        b.provenance_line = w.pos_of("provenance")[0]
    major = uses.major()
    b.attests = major is None or major >= 4
    context = text(w.get("context"))
    file_ = text(w.get("file"))
    if "${{" in context + file_ or "$" in context + file_ or "://" in context \
            or context.startswith("git@") or context == "-" or os.path.isabs(file_):
        b.dockerfile = None
    else:
        b.dockerfile = [_join(file_)] if file_ else [_join(context, "Dockerfile")]
    for key in ("tags", "platforms", "file", "context", "push"):
        if key in w:
            b.key_line[key] = w.pos_of(key)[0]
    return b


def _redhat_build(step, uses):
    w = step.with_
    if uses.repo == "push-to-registry":
        b = Build(step, step.value_line("uses"), "`redhat-actions/push-to-registry`")
        b.pushed, b.builds = True, False
        image, tags = text(w.get("image")), _split_list(w.get("tags")) or ["latest"]
        if image and ":" not in image.rsplit("/", 1)[-1]:
            b.tags = [f"{image}:{t}" for t in tags]
        elif image:
            b.tags = [image]
        return b
    b = Build(step, step.value_line("uses"), "`redhat-actions/buildah-build`")
    b.platforms = _split_list(w.get("platforms")) or (
        _split_list(w.get("archs")) if "archs" in w else None)
    files = _split_list(w.get("containerfiles") or w.get("dockerfiles"))
    if files and not any("$" in f or os.path.isabs(f) for f in files):
        b.dockerfile = [_join(f) for f in files[:1]]
    b.cache = True      # buildah's layers: not a build-push-action cache question
    return b


def _cli_builds(flow, step):
    """Builds and pushes in a step's commands."""
    wd = _workdir(flow, step)
    for line, cmd, path in _script_commands(flow, step):
        words = cmd.words
        name = cmd.name
        if not words:
            continue
        args = words[1:]
        if name == "docker" and args[:1] == ["compose"] or name == "docker-compose" or \
                name == "docker" and args[:2] == ["buildx", "bake"]:
            b = _file_build(step, line, path, name, args)
            if b is not None:
                yield b
            continue
        if name in ("docker", "podman", "buildah", "nerdctl"):
            sub = args[:2]
            if sub[:1] == ["buildx"] and sub[1:] in (["build"], ["b"]):
                rest, tool = args[2:], f"`{name} buildx build`"
            elif sub[:1] in (["build"], ["bud"], ["image"]) and (
                    sub[:1] != ["image"] or sub[1:] == ["build"]):
                rest = args[2:] if sub[:1] == ["image"] else args[1:]
                tool = f"`{name} build`"
            elif sub[:1] == ["push"] or (sub[:1] == ["image"] and sub[1:] == ["push"]):
                rest = args[2:] if sub[:1] == ["image"] else args[1:]
                opts, ops = _options(rest, {"--authfile", "--creds", "--format", "-f",
                                            "--digestfile", "--sign-by", "--retry"})
                b = Build(step, line, f"`{name} push`", path)
                b.pushed, b.builds = True, False
                if "-a" in opts or "--all-tags" in opts or not ops:
                    b.tags = None
                else:
                    b.tags = ops[-1:] if name == "docker" else ops[-1:]
                yield b
                continue
            else:
                continue
            opts, ops = _options(rest, _BUILD_VALUE_OPTS)
            b = Build(step, line, tool, path)
            outputs = " ".join(_opt(opts, "-o", "--output"))
            push = _flag(opts, "--push")
            b.pushed = bool(push) or "type=registry" in outputs or "push=true" in outputs
            b.tags = _opt(opts, "-t", "--tag") or None
            plats = _opt(opts, "--platform")
            if plats:
                b.platforms = [p.strip() for v in plats for p in v.split(",") if p.strip()]
            elif _opt(opts, "--arch"):
                b.platforms = _opt(opts, "--arch")
            b.cache = bool(_opt(opts, "--cache-from")) or name in ("podman", "buildah")
            b.no_cache = _flag(opts, "--no-cache") is True
            attest = " ".join(_opt(opts, "--attest"))
            b.sbom = _flag(opts, "--sbom") is True or "type=sbom" in attest
            prov = _flag(opts, "--provenance")
            b.provenance = prov
            if prov is False:
                b.provenance_line = line
            b.attests = name == "docker" and push is not None and "buildx" in tool or (
                name == "docker" and bool(push))
            files = _opt(opts, "-f", "--file")
            context = ops[-1] if ops else None
            if wd is None or context is None or _dynamic(context) or "://" in context \
                    or context in ("-",) or context.startswith("git@") or any(
                        _dynamic(f) or f == "-" or os.path.isabs(f) for f in files) \
                    or os.path.isabs(context):
                b.dockerfile = None
            elif files:
                b.dockerfile = [_join(wd, files[-1])]
            elif name in ("podman", "buildah"):
                b.dockerfile = [_join(wd, context, "Containerfile"),
                                _join(wd, context, "Dockerfile")]
            else:
                b.dockerfile = [_join(wd, context, "Dockerfile")]
            yield b
        elif name == "executor" and "kaniko" in words[0] or name == "kaniko":
            opts, _ = _options(args, {"--destination", "-d", "--context", "-c",
                                      "--dockerfile", "-f", "--cache-repo",
                                      "--custom-platform", "--build-arg", "--target",
                                      "--label", "--tar-path", "--digest-file"})
            b = Build(step, line, "`kaniko`", path)
            dests = _opt(opts, "--destination", "-d")
            b.pushed = bool(dests) and "--no-push" not in opts
            b.tags = dests or None
            if _opt(opts, "--custom-platform"):
                b.platforms = _opt(opts, "--custom-platform")
            b.cache = _flag(opts, "--cache") is True
            yield b
        elif name == "ko" and args[:1] and args[0] in ("build", "publish", "resolve",
                                                        "apply", "create"):
            opts, _ = _options(args[1:], {"--platform", "--tags", "-t", "--image-refs",
                                          "-f", "--filename", "--bare", "-B"})
            b = Build(step, line, "`ko`", path)
            b.pushed = not ("--local" in opts or "-L" in opts or _flag(opts, "--push") is False)
            if _opt(opts, "--platform"):
                b.platforms = [p for v in _opt(opts, "--platform") for p in v.split(",")]
            b.cache = True      # ko builds Go binaries onto a base image: no layer cache
            yield b


_COMPOSE_GLOBAL = frozenset({"-f", "--file", "-p", "--project-name", "--project-directory",
                             "--env-file", "--profile", "--ansi", "--parallel", "--progress"})


def _file_build(step, line, path, name, args):
    """`docker compose build [--push]`, `docker compose push`, `docker buildx bake
    [--push]`: images whose Dockerfiles, tags, platforms and caches a Compose or bake file
    says (the Compose domain reviews those), so only what is pushed is judged here."""
    if args[:2] == ["buildx", "bake"]:
        rest, tool = args[2:], "`docker buildx bake`"
        verb = "build"
    else:
        rest = args[1:] if name == "docker" else args
        i = 0
        while i < len(rest) and rest[i].startswith("-"):      # Compose's own options
            i += 2 if rest[i] in _COMPOSE_GLOBAL else 1
        verb = rest[i] if i < len(rest) else ""
        if verb not in ("build", "push"):
            return None
        rest = rest[i + 1:]
        tool = f"`{'docker compose' if name == 'docker' else name} {verb}`"
    b = Build(step, line, tool, path)
    if verb == "push":
        b.pushed, b.builds = True, False
        return b
    opts, _ = _options(rest, {"--set", "-f", "--file", "--progress", "--builder",
                              "--metadata-file", "--build-arg", "-m", "--memory"})
    sets = " ".join(_opt(opts, "--set"))
    b.pushed = _flag(opts, "--push") is True or "type=registry" in sets or \
        "push=true" in sets
    b.platforms = [""]      # the file's `platform:`/`platforms` decide: not known here
    b.cache = True          # idem for `cache_from`/`cache-from`
    return b


_PLUGINS = {
    "woodpeckerci/plugin-docker-buildx": "buildx", "plugins/docker-buildx": "buildx",
    "thegeeklab/drone-docker-buildx": "buildx", "woodpeckerci/plugin-kaniko": "kaniko",
    "plugins/kaniko": "kaniko", "plugins/docker": "docker", "plugins/ecr": "docker",
    "plugins/gcr": "docker", "plugins/acr": "docker", "woodpeckerci/plugin-docker": "docker",
}


def _plugin_name(image):
    ref = image.strip().lower()
    ref = ref.split("@", 1)[0]
    last = ref.rsplit("/", 1)
    if ":" in last[-1]:
        ref = ref[:len(ref) - len(last[-1]) + last[-1].index(":")]
    parts = ref.split("/")
    if len(parts) > 2 and ("." in parts[0] or ":" in parts[0]):
        parts = parts[1:]
    return "/".join(parts)


def _plugin_build(step, image):
    kind = _PLUGINS.get(_plugin_name(image))
    if kind is None:
        return None
    w = step.with_
    b = Build(step, step.line, f"`{_plugin_name(image)}`")
    dry = _bool(w.get("dry_run", w.get("dry-run", w.get("no_push"))))
    b.pushed = None if dry is None and any(k in w for k in ("dry_run", "dry-run")) \
        else not dry
    repo = text(w.get("repo"))
    tags = _split_list(w.get("tags", w.get("tag")))
    if _bool(w.get("auto_tag")) or "tags_file" in w or "tags-file" in w or not repo \
            or _dynamic(repo):
        b.tags = None
    else:
        if not tags:
            tags = [text(w.get("default_tag")) or "latest"]
        b.tags = [f"{repo.split(',')[0]}:{t}" for t in tags]
    if "platforms" in w:
        b.platforms = _split_list(w.get("platforms"))
    b.cache = bool(text(w.get("cache_from")) or text(w.get("cache_images"))
                   or text(w.get("cache")))
    dockerfile = text(w.get("dockerfile")) or "Dockerfile"
    context = text(w.get("context"))
    if not _dynamic(dockerfile) and not os.path.isabs(dockerfile):
        b.dockerfile = [_join(dockerfile)] if kind != "kaniko" else \
            [_join(dockerfile), _join(context, dockerfile)]
    for key in ("tags", "platforms", "dockerfile"):
        if key in w:
            b.key_line[key] = w.pos_of(key)[0]
    return b


def builds(flow):
    """Every Build of a workflow (or GitLab/Woodpecker pipeline), in step order."""
    out = []
    for job in flow.jobs:
        for step in job.steps:
            uses = step.uses
            if uses is not None and uses.kind == "action":
                if uses.name == "docker/build-push-action":
                    out.append(_action_build(step, uses))
                elif uses.name == "docker/bake-action":
                    b = Build(step, step.value_line("uses"), "`docker/bake-action`")
                    push = step.with_.get("push")     # an expression: pushes on some runs
                    b.pushed = _bool(push) is True or (push is not None and _bool(push) is None)
                    b.platforms, b.cache = [""], True     # the bake file says
                    out.append(b)
                elif uses.owner == "redhat-actions" and uses.repo in ("buildah-build",
                                                                      "push-to-registry"):
                    out.append(_redhat_build(step, uses))
                continue
            image = step.image
            if isinstance(image, str) and image:
                b = _plugin_build(step, image)
                if b is not None:
                    out.append(b)
                    continue
            out.extend(_cli_builds(flow, step))
    _link_pushes(out)
    return out


def _link_pushes(found):
    """A `docker build -t x` whose image a later `docker push` of the same job pushes is a
    pushed build (its platforms, cache and Dockerfile are judged); the push keeps the
    rules about what is pushed (CI020, CI022), and names the Dockerfile built."""
    for i, push in enumerate(found):
        if push.builds or not push.pushed:
            continue
        local = [b for b in found[:i] if b.builds and b.job is push.job and
                 (not b.pushed or b.pushed_by is not None)]
        if push.tags is not None:
            local = [b for b in local if b.tags and set(b.tags) & set(push.tags)]
        for b in local:
            b.pushed, b.pushed_by = True, b.pushed_by or push
            push.source = push.source or b
            push.dockerfile = push.dockerfile or b.dockerfile


def _flow_builds(ctx, doc):
    """Builds of a document, computed once per run."""
    table = ctx.index(_builds_index)
    return table.get(id(doc), [])


def _builds_index(ctx):
    """id(document) -> [Build] for every pipeline document of the run."""
    out = {}
    for d in ctx.documents:
        if d.domain != "pipeline":
            continue
        flow = loaded(d)
        if flow is None:
            continue
        try:
            out[id(d)] = builds(flow)
        except Exception:  # noqa: BLE001 - a shape the reader does not know: no builds
            out[id(d)] = []
    return out


# -- scans ---------------------------------------------------------------------------

class Scan:
    """A vulnerability scan: `image` (it scans an image, not the source tree),
    `lenient` (line, why) when it can never fail the job, `sarif` it writes SARIF."""

    __slots__ = ("step", "line", "tool", "image", "lenient", "sarif", "path", "output")

    def __init__(self, step, line, tool, image=True, path=None):
        self.step, self.line, self.tool, self.image = step, line, tool, image
        self.lenient = None
        self.sarif = False
        self.path = path or getattr(step, "path", None)
        self.output = None      # the report file it writes, when it names one


def _env_has(flow, step, name):
    for node in (step.node, step.job.node, getattr(flow, "root", None)):
        env = node.get("env") if isinstance(node, YMap) else None
        if isinstance(env, YMap) and name in env:
            return True
    return False


def _continue_on_error(step):
    for key in ("continue-on-error", "allow_failure"):
        if _bool(step.node.get(key)) is True:
            return step.node.pos_of(key)[0], f"`{key}: true`"
    job = step.job.node
    if _bool(job.get("allow_failure")) is True:
        return job.pos_of("allow_failure")[0], "`allow_failure: true` on the job"
    if text(step.node.get("failure")).lower() == "ignore":
        return step.node.pos_of("failure")[0], "`failure: ignore`"
    return None


def _action_scan(flow, step, uses):
    w = step.with_
    name = uses.name
    line = step.value_line("uses")
    if name == "aquasecurity/trivy-action":
        fmt = text(w.get("format")).lower()
        if fmt in ("cyclonedx", "spdx", "spdx-json", "github"):
            return None     # an SBOM or a dependency snapshot, not a scan
        kind = text(w.get("scan-type")).lower() or "image"
        s = Scan(step, line, "`aquasecurity/trivy-action`", image=kind in ("image", "sbom"))
        s.sarif = fmt == "sarif"
        s.output = text(w.get("output")) or None
        code = text(w.get("exit-code"))
        if "trivy-config" in w or _env_has(flow, step, "TRIVY_EXIT_CODE") or "${{" in code:
            pass
        elif not code or code == "0":
            s.lenient = (w.pos_of("exit-code")[0] if code else line,
                         "`exit-code: 0`" if code else "no `exit-code` (Trivy exits 0 "
                         "whatever it finds)")
        return s
    if name == "anchore/scan-action":
        s = Scan(step, line, "`anchore/scan-action`",
                 image=bool(text(w.get("image")) or text(w.get("sbom"))))
        fmt = text(w.get("output-format")).lower()
        s.sarif = fmt in ("", "sarif") and (uses.major() is None or uses.major() >= 3)
        fail = _bool(w.get("fail-build"))
        if fail is False:
            s.lenient = (w.pos_of("fail-build")[0], "`fail-build: false`")
        elif fail is None and "fail-build" not in w and uses.major() is not None \
                and uses.major() < 2:
            s.lenient = (line, "no `fail-build` (v1 never fails)")
        return s
    if name == "docker/scout-action":
        command = text(w.get("command")).lower()
        if command and not any(c in command for c in ("cves", "quickview", "compare")):
            return None
        s = Scan(step, line, "`docker/scout-action`")
        s.sarif = bool(text(w.get("sarif-file")))
        s.output = text(w.get("sarif-file")) or None
        if _bool(w.get("exit-code")) is False or "exit-code" not in w:
            s.lenient = (w.pos_of("exit-code")[0] if "exit-code" in w else line,
                         "`exit-code: false`" if "exit-code" in w else "no `exit-code: "
                         "true` (Scout reports and exits 0)")
        return s
    if uses.owner == "snyk" and uses.repo == "actions" and uses.path.startswith("docker"):
        s = Scan(step, line, "`snyk/actions/docker`")
        s.sarif = "sarif" in " ".join(text(v) for v in w.values())
        return s
    if name in ("azure/container-scan", "crazy-max/ghaction-container-scan",
                "lacework/lw-scanner-action", "sysdiglabs/scan-action",
                "neuvector/scan-action", "aquasecurity/trivy-action-image"):
        return Scan(step, line, f"`{name}`")
    return None


def _cli_scans(flow, step):
    for line, cmd, path in _script_commands(flow, step):
        name, args = cmd.name, cmd.args
        s = None
        if name == "trivy" and args[:1] and args[0] in ("image", "i", "fs", "filesystem",
                                                          "rootfs", "repo", "repository",
                                                          "config", "sbom"):
            opts, _ = _options(args[1:], {"--exit-code", "-f", "--format", "-o", "--output",
                                          "--severity", "-s", "--config", "-c",
                                          "--input", "-i", "--scanners", "--timeout"})
            fmt = " ".join(_opt(opts, "-f", "--format")).lower()
            if fmt in ("cyclonedx", "spdx", "spdx-json", "github"):
                continue
            s = Scan(step, line, f"`trivy {args[0]}`", image=args[0] in ("image", "i", "sbom"),
                     path=path)
            s.sarif = fmt == "sarif"
            s.output = (_opt(opts, "-o", "--output") or [None])[-1]
            code = _opt(opts, "--exit-code")
            if not code and not _opt(opts, "--config", "-c") and not _env_has(
                    flow, step, "TRIVY_EXIT_CODE"):
                s.lenient = (line, "no `--exit-code` (Trivy exits 0 whatever it finds)")
            elif code and code[-1] == "0":
                s.lenient = (line, "`--exit-code 0`")
        elif name == "grype" and args:
            opts, ops = _options(args, {"--fail-on", "-f", "-o", "--output", "-c",
                                        "--config", "--scope", "-s", "--file", "--name"})
            target = ops[0] if ops else ""
            s = Scan(step, line, "`grype`",
                     image=not target.startswith(("dir:", "file:", ".", "/")), path=path)
            s.output = (_opt(opts, "--file") or [None])[-1]
            s.sarif = "sarif" in " ".join(_opt(opts, "-o", "--output"))
            if not _opt(opts, "--fail-on", "-f", "-c", "--config") and not _env_has(
                    flow, step, "GRYPE_FAIL_ON_SEVERITY"):
                s.lenient = (line, "no `--fail-on` (Grype exits 0 whatever it finds)")
        elif name == "docker" and args[:1] == ["scout"] and args[1:2] and args[1] in (
                "cves", "quickview", "qv", "compare"):
            opts, _ = _options(args[2:], {"--format", "--output", "-o", "--only-severity",
                                          "--to", "--org"})
            s = Scan(step, line, f"`docker scout {args[1]}`", path=path)
            s.output = (_opt(opts, "--output", "-o") or [None])[-1]
            s.sarif = "sarif" in " ".join(_opt(opts, "--format"))
            if "--exit-code" not in opts and "-e" not in opts:
                s.lenient = (line, "no `--exit-code` (Scout exits 0 whatever it finds)")
        elif name == "snyk" and args[:2] in (["container", "test"],):
            s = Scan(step, line, "`snyk container test`", path=path)
            s.sarif = any("sarif" in a for a in args)
        elif name in ("clair-scanner", "clairctl", "clair-action"):
            s = Scan(step, line, f"`{name}`", path=path)
        if s is None:
            continue
        if cmd.sep_after == "||":
            s.lenient = (line, "`|| …` after it: its failure is swallowed")
        yield s


def scans(flow):
    out = []
    for job in flow.jobs:
        for step in job.steps:
            uses = step.uses
            if uses is not None and uses.kind == "action":
                s = _action_scan(flow, step, uses)
                if s is not None:
                    out.append(s)
                continue
            out.extend(_cli_scans(flow, step))
    return out


_TEMPLATE_SCAN = lazy_re(r"Container-Scanning(?:\.latest)?\.gitlab-ci\.yml")


def _scans_index(ctx):
    """id(document) -> [Scan]; and per repository root, whether any pipeline scans an
    image (`roots`: {root: (path, line) of the first scan})."""
    per_doc, roots = {}, {}
    for d in ctx.documents:
        if d.domain != "pipeline":
            continue
        root = repo_root(d.abspath) if getattr(d, "abspath", None) else None
        flow = loaded(d)
        found = []
        if flow is not None:
            try:
                found = scans(flow)
            except Exception:  # noqa: BLE001
                found = []
        per_doc[id(d)] = found
        if root is None:
            continue
        first = next((s for s in found if s.image), None)
        if first is not None:
            roots.setdefault(root, (d.path, first.line))
        elif _TEMPLATE_SCAN.search(d.text or ""):
            roots.setdefault(root, (d.path, 1))
    return per_doc, roots


# -- links to the other files of the repository ---------------------------------------

def _dockerfiles_index(ctx):
    """realpath -> Dockerfile document of the run."""
    return {os.path.realpath(d.abspath): d for d in ctx.documents
            if d.domain == "dockerfile" and getattr(d, "abspath", None)}


def _built_doc(ctx, root, build):
    if not build.dockerfile:
        return None
    table = ctx.index(_dockerfiles_index)
    for rel in build.dockerfile:
        d = table.get(os.path.realpath(os.path.join(root, rel)))
        if d is not None:
            return d
    return None


def _what(ctx, doc, build):
    """How a message names a build: its step, and the Dockerfile when it is in the run."""
    root = repo_root(doc.abspath)
    built = _built_doc(ctx, root, build)
    where = f"{build.tool} in {_label(build.step)}"
    return where + (f" (builds `{built.path}`)" if built is not None else "")


def _label(step):
    """`step `x` of job `y``; a GitLab job is its own one step: `job `y``."""
    label = step.label()
    if label.startswith("job ") or getattr(step.job.workflow, "kind", "") == "woodpecker":
        return label
    return f"{label} of job `{step.job.id}`"


def _more(n):
    return f" (and {n} more build{'s' if n > 1 else ''} in this file)" if n else ""


# -- the rules -----------------------------------------------------------------------

@rules.rule(
    "CI020", "warning", "security", "Image pushed without a vulnerability scan",
    "An image built and pushed here ships its base image's and dependencies' known "
    "vulnerabilities unseen: nothing in the repository's pipelines scans it (Trivy, "
    "Grype, Docker Scout, Snyk, GitLab Container Scanning), so a critical CVE in a base "
    "layer is found by whoever attacks it. \"Images scanned for vulnerabilities\" is an "
    "item of the Docker security checklist, and the pipeline is the one place that sees "
    "every image before it is pulled. A build that is not pushed (a test build, "
    "`load: true`) is not this rule; a registry that scans on push (ECR, Harbor) is a "
    "reason to suppress it with a comment.",
    "Build, scan, then push: `docker/build-push-action` with `load: true`, then "
    "`aquasecurity/trivy-action` with `image-ref:` and `exit-code: '1'` (or "
    "`anchore/scan-action`, `docker/scout-action` with `exit-code: true`), then the push.",
    positive="Pushed images are scanned for vulnerabilities{where}", example=EXAMPLE)
def image_not_scanned(doc, ctx):
    flow = loaded(doc)
    if flow is None or not getattr(doc, "abspath", None):
        return
    found = _flow_builds(ctx, doc)
    pushed = [b for b in found if b.pushed is not False and b.pushed_by is None]
    if not pushed or not any(b.builds for b in found):
        return      # nothing pushed, or only images built elsewhere (a mirror)
    _, roots = ctx.index(_scans_index)
    root = repo_root(doc.abspath)
    found = roots.get(root)
    if found is not None:
        path, line = found
        if path == doc.path:
            yield Pass(line, where="")
        else:
            yield Pass(pushed[0].line, where=f" (by `{path}` line {line})")
        return
    b = pushed[0]
    images = len({id(p.source or p) for p in pushed})   # two tags of one build: one image
    yield Hit(b.line, f"{_what(ctx, doc, b)} pushes an image that no pipeline of the "
                      f"repository scans{_more(images - 1)}", path=b.path)


@rules.rule(
    "CI021", "warning", "security", "Vulnerability scan that can never fail the job",
    "A scan that exits 0 whatever it finds is a log nobody reads: the image ships with "
    "the critical CVE it reported. Trivy's exit code is 0 unless `exit-code` says "
    "otherwise, Docker Scout's too, `anchore/scan-action` with `fail-build: false`, "
    "`continue-on-error: true` and `|| true` all swallow the result. A scan whose SARIF "
    "report is uploaded to code scanning (`github/codeql-action/upload-sarif`) is not "
    "this rule: its findings become alerts that branch rules can block merges on, and "
    "failing the step would stop the upload.",
    "Make the scan fail on what matters: `exit-code: '1'` with `severity: CRITICAL,HIGH` "
    "(`ignore-unfixed: true` to keep it actionable), `fail-build: true`, Scout's "
    "`exit-code: true`; or upload its SARIF to code scanning and gate on the alerts.",
    positive="Vulnerability scans fail the job on findings", example=EXAMPLE)
def scan_cannot_fail(doc, ctx):
    flow = loaded(doc)
    if flow is None:
        return
    per_doc, _ = ctx.index(_scans_index)
    found = per_doc.get(id(doc), [])
    for s in found:
        job = s.step.job
        later = job.steps[s.step.index + 1:] if s.step in job.steps else []
        uploaded = any(x.uses is not None and x.uses.name == "github/codeql-action"
                       and x.uses.path.startswith("upload-sarif") for x in later)
        if s.sarif and uploaded or _report_read(s, later):
            continue
        coe = _continue_on_error(s.step)
        lenient = coe or s.lenient
        if lenient is None:
            continue
        line, why = lenient
        yield Hit(line, f"{s.tool} in {_label(s.step)}: {why}", path=s.path)
    if found:
        yield Pass(found[0].line, path=found[0].path)


def _report_read(scan, later):
    """A later step of the job reads the scan's report (a script that names its file or
    the step's outputs): the scan feeds a report, an issue or a gate of its own."""
    names = []
    if scan.output and not _dynamic(scan.output):
        names.append(os.path.basename(scan.output))
    sid = text(scan.step.node.get("id"))
    if sid:
        names.append(f"steps.{sid}.outputs")
    if not names:
        return False
    for x in later:
        uses = x.uses
        if uses is not None and uses.name in ("actions/upload-artifact",):
            continue
        texts = [t for _, t in x.scripts() if isinstance(t, str)]
        texts.extend(text(v) for v in x.with_.values())
        if any(n in t for n in names for t in texts):
            return True
    return False


def _latest_only(tags):
    """True when every reference is `:latest` or untagged (which is `:latest`); False
    when one has another tag; None when an expression or a variable decides."""
    from infra_expert.images import ImageRef
    for ref in tags:
        image = ImageRef(re.sub(r"^\$\{?CI_REGISTRY_IMAGE\}?", "registry.example/group/project",
                                ref.strip()))
        if image.digest or image.tag not in (None, "latest"):
            return False
        if image.tag is None and "$" in image.text.rsplit("/", 1)[-1]:
            return None     # the name ends in a variable: the tag may be in it
    return True


@rules.rule(
    "CI022", "warning", "reliability", "Only `:latest` pushed",
    "An image pushed only as `:latest` (or with no tag, which is `:latest`) overwrites "
    "the previous one: nothing to roll back to when the new one breaks, nothing to pin a "
    "deployment by, and two hosts that pulled at different times run different code under "
    "the same name.",
    "Push an immutable tag too: the version (`type=semver` in `docker/metadata-action`) or "
    "the commit (`:${{ github.sha }}`, `$CI_COMMIT_SHORT_SHA`), and deploy by that tag or "
    "by digest; keep `:latest` as a convenience if you like.",
    example=EXAMPLE)
def latest_only(doc, ctx):
    flow = loaded(doc)
    if flow is None:
        return
    by_job = {}
    for b in _flow_builds(ctx, doc):
        if b.pushed is False or b.tags is None or b.pushed_by is not None:
            continue
        by_job.setdefault(b.job.id, []).append(b)
    for job_id, found in by_job.items():
        refs = [t for b in found for t in b.tags]
        if _latest_only(refs) is not True:
            continue
        b = found[0]
        line = b.key_line.get("tags", b.line)
        names = ", ".join(f"`{r}`" for r in dict.fromkeys(refs))
        yield Hit(line, f"{_what(ctx, doc, b)} pushes only `latest` ({names})", path=b.path)


_ATTEST_ACTIONS = frozenset({"actions/attest-build-provenance", "actions/attest-sbom",
                             "actions/attest", "anchore/sbom-action"})


def _attested(flow):
    """An attestation of an image (not of release files) made in the workflow."""
    for step in flow.steps():
        uses = step.uses
        if uses is not None and uses.name.startswith("slsa-framework/"):
            return True
        if uses is not None and uses.name in _ATTEST_ACTIONS:
            w = step.with_
            if uses.name == "anchore/sbom-action" and text(w.get("image")) or \
                    text(w.get("subject-name")) or text(w.get("subject-digest")):
                return True
        for _, script in step.scripts():
            if isinstance(script, str) and re.search(
                    r"\b(?:cosign\s+attest|syft\b|docker\s+sbom\b|docker\s+scout\s+sbom|"
                    r"trivy\s+image\b[^\n]*--format\s+(?:cyclonedx|spdx))", script):
                return True
    return False


@rules.rule(
    "CI023", "suggestion", "security", "Pushed image without SBOM or provenance",
    "An SBOM attached to the image tells, months later, whether it contains the library "
    "of the next CVE without pulling and scanning every tag; provenance says which "
    "commit and workflow built it. `docker/build-push-action` (v4 and later) attaches "
    "provenance by default — `mode=max` in a public repository, `mode=min` in a private "
    "one — unless `provenance: false` or the image is only loaded; it adds an SBOM only "
    "with `sbom: true`. `docker buildx build --push` behaves the same.",
    "Add `sbom: true` to the build step (and leave `provenance` at its default, or "
    "`mode=max`); or attest after the push with `actions/attest-build-provenance` / "
    "`actions/attest-sbom`, `anchore/sbom-action`, or `cosign attest`.",
    example=EXAMPLE)
def no_sbom(doc, ctx):
    flow = loaded(doc)
    if flow is None:
        return
    pushed = [b for b in _flow_builds(ctx, doc) if b.pushed is not False and b.builds
              and b.attests]
    if not pushed:
        return
    off = [b for b in pushed if b.provenance is False]
    for b in off:
        yield Hit(b.provenance_line or b.line,
                  f"{_what(ctx, doc, b)}: `provenance: false` drops the provenance "
                  "attestation" + ("" if b.sbom else ", and no SBOM is attached"),
                  path=b.path)
    if _attested(flow):
        return
    bare = [b for b in pushed if not b.sbom and b.provenance is not False]
    if bare:
        b = bare[0]
        yield Hit(b.line, f"{_what(ctx, doc, b)} pushes with provenance only (the "
                          f"default) and no SBOM (`sbom: true`){_more(len(bare) - 1)}",
                  path=b.path)


def _hosted(job):
    labels = [label.lower() for label in job.runs_on()]
    return bool(labels) and "self-hosted" not in labels and all(
        _HOSTED.match(label) or label.endswith("-arm") and _HOSTED.match(label[:-4])
        for label in labels)


_RUN_LINE = lazy_re(r"^\s*RUN\b", re.MULTILINE | re.IGNORECASE)


@rules.rule(
    "CI024", "suggestion", "performance", "Image built with no layer cache on a hosted runner",
    "A GitHub-hosted runner starts empty: without `cache-from`, every run rebuilds every "
    "layer — the package installs and dependency downloads included — even when only the "
    "last `COPY` changed. That is minutes per run, paid on every push and pull request. "
    "Time, not safety: said as a suggestion, and not for a Dockerfile with no `RUN`, nor "
    "in a workflow run on a release or a tag push — a release is built clean, since a "
    "cache any workflow can write is how a poisoned layer reaches it (CI007).",
    "`cache-from: type=gha` and `cache-to: type=gha,mode=max` on `docker/build-push-"
    "action` (or `type=registry,ref=…:buildcache`); `--cache-from`/`--cache-to` on "
    "`docker buildx build`.",
    example=EXAMPLE)
def no_build_cache(doc, ctx):
    from infra_expert.pipeline.rules_supply import release_trigger
    flow = loaded(doc)
    if flow is None or getattr(flow, "kind", "workflow") not in ("workflow", "action") or \
            release_trigger(flow):
        return
    root = repo_root(doc.abspath) if getattr(doc, "abspath", None) else None
    bare = []
    for b in _flow_builds(ctx, doc):
        if not b.builds or b.cache or b.no_cache or not _hosted(b.job):
            continue
        if "buildx" not in b.tool and "build-push-action" not in b.tool and \
                b.tool != "`docker build`":
            continue
        built = _built_doc(ctx, root, b) if root else None
        if built is not None and not _RUN_LINE.search(built.text or ""):
            continue        # nothing but COPY and config: nothing worth caching
        bare.append(b)
    if bare:
        from infra_expert.pipeline.rules_supply import publisher_of
        b = bare[0]
        safe = " — a registry cache (`type=registry`): a `type=gha` cache in a job that " \
               "publishes is CI007's cache poisoning" if publisher_of(b.job) else ""
        yield Hit(b.line, f"{_what(ctx, doc, b)} has no `cache-from` on the hosted runner "
                          f"`{b.job.runs_on()[0]}`{_more(len(bare) - 1)}{safe}", path=b.path)


_ARCH_KEYS = ("kubernetes.io/arch", "beta.kubernetes.io/arch")
_ARM_REPOS = ("arm64v8/", "arm32v5/", "arm32v6/", "arm32v7/")


def _node_affinity_arm(pod):
    """A node affinity term (required or preferred) that selects ARM nodes."""
    affinity = pod.get("affinity")
    node = affinity.get("nodeAffinity") if isinstance(affinity, dict) else None
    if not isinstance(node, dict):
        return False
    required = node.get("requiredDuringSchedulingIgnoredDuringExecution")
    terms = list(required.get("nodeSelectorTerms") or ()) if isinstance(required, dict) else []
    terms += [p.get("preference") for p in node.get(
        "preferredDuringSchedulingIgnoredDuringExecution") or () if isinstance(p, dict)]
    for term in terms:
        for e in (term.get("matchExpressions") or ()) if isinstance(term, dict) else ():
            if isinstance(e, dict) and e.get("key") in _ARCH_KEYS and \
                    e.get("operator") == "In" and \
                    any(_ARM.search(str(v)) for v in e.get("values") or ()):
                return True
    return False


def _arm_evidence(doc):
    """(path, line, what) where a Compose project, a manifest or a Dockerfile says ARM,
    read from its model; or None."""
    model = doc.model
    if model is None:
        return None
    if doc.domain == "compose":
        from infra_expert.compose.walkers import each_service
        for svc in each_service(model):
            value = svc.data.get("platform")
            if isinstance(value, str) and _ARM.search(value):
                path, line = svc.data.where("platform")
                return path or doc.path, line, f"`platform: {value}`"
    elif doc.domain == "kubernetes":
        from infra_expert.kubernetes.model import each_pod
        for obj, pod, _meta in each_pod(getattr(model, "objects", ())):
            selector = pod.get("nodeSelector")
            for key in _ARCH_KEYS:
                value = selector.get(key) if isinstance(selector, dict) else None
                if isinstance(value, str) and _ARM.search(value):
                    return doc.path, pod.pos_of("nodeSelector")[0], f"`{key}: {value}`"
            if _node_affinity_arm(pod):
                return doc.path, pod.pos_of("affinity")[0], \
                    "a node affinity on `kubernetes.io/arch` = arm"
    elif doc.domain == "dockerfile":
        for st in getattr(model, "stages", ()):
            platform = st.from_.flag("platform") or ""
            if _ARM.search(platform):
                return doc.path, st.from_.line, f"`FROM --platform={platform}…`"
            image = (st.image or "").lower()
            repo = next((r for r in _ARM_REPOS if image.startswith(r) or f"/{r}" in image),
                        None)
            if repo:
                return doc.path, st.from_.line, f"`FROM {repo}…`"
    return None


def _arm_index(ctx):
    """[(document, path, line, what)] of every file of the run that says it runs on ARM
    (the path: the file that says it, an overlay of a Compose project included)."""
    out = []
    for d in ctx.documents:
        if d.domain in ("compose", "kubernetes", "dockerfile") and getattr(d, "abspath",
                                                                           None):
            found = _arm_evidence(d)
            if found:
                out.append((d, *found))
    return out


def _builds_arm(b):
    if b.platforms is None:
        return _ARM_RUNNER.search(" ".join(b.job.runs_on())) is not None
    return any(not p or "$" in p or _ARM.search(p) for p in b.platforms)


@rules.rule(
    "CI025", "warning", "reliability", "Single-architecture image for a repository that "
    "runs on ARM",
    "The repository's other files say its containers run on ARM (a Raspberry Pi, an ARM "
    "board or node), but the pipeline builds the image for the runner's architecture "
    "only (amd64 on hosted runners): the ARM host pulls it and fails with `exec format "
    "error`, or runs it under emulation at a fraction of the speed.",
    "Build for both: `platforms: linux/amd64,linux/arm64` with "
    "`docker/setup-qemu-action` (or a matrix on `ubuntu-24.04-arm` runners merged with "
    "`docker buildx imagetools create`); `--platform linux/amd64,linux/arm64` on "
    "`docker buildx build`.",
    example=EXAMPLE)
def single_arch(doc, ctx):
    flow = loaded(doc)
    if flow is None or not getattr(doc, "abspath", None):
        return
    found = [b for b in _flow_builds(ctx, doc) if b.builds and b.pushed is not False]
    if not found or any(_builds_arm(b) for b in _flow_builds(ctx, doc) if b.builds):
        return
    root = repo_root(doc.abspath)
    host = getattr(ctx.config, "host", None)
    evidence = None
    if host is not None and getattr(host, "arch", None) in ("arm64", "arm"):
        evidence = f"the host `{host.name}` is {host.arch}"
    for b in found:
        built = _built_doc(ctx, root, b)
        if evidence is None:
            for d, path, line, what in ctx.index(_arm_index):
                if d is built or not _in_repo(d, root):
                    continue
                evidence = f"`{path}` line {line} says {what}"
                break
        if evidence is None:
            return
        line = b.key_line.get("platforms", b.line)
        plats = f"`platforms: {', '.join(b.platforms)}`" if b.platforms else \
            "no `platforms`"
        yield Hit(line, f"{_what(ctx, doc, b)} builds one architecture ({plats}) while "
                        f"{evidence}{_more(len(found) - 1)}", path=b.path)
        return


_WRITES = lazy_re(r">|\btee\b|\bcp\b|\bmv\b|\bcat\b|\bsed\b|\bln\b|\bcurl\b|\bwget\b|"
                  r"\btouch\b|\bgenerate|\bmake\b|\benvsubst\b|\bgomplate\b|\bjinja|\bnpx\b|"
                  r"\bgit\b")


def _made_earlier(step, rel):
    """An earlier step of the job may create the file: a script that names it (or writes
    into its folder), an artifact download, a checkout of another repository."""
    base = os.path.basename(rel)
    folder = os.path.dirname(rel)
    for s in step.job.steps[:step.index] if step in step.job.steps else []:
        uses = s.uses
        if uses is not None and (uses.name in ("actions/download-artifact",
                                               "actions/cache", "dawidd6/action-download-"
                                               "artifact") or (
                uses.name == "actions/checkout" and (text(s.with_.get("repository")) or
                                                     text(s.with_.get("path"))))):
            return True
        if uses is not None and uses.kind in ("local", "action") and uses.name not in (
                "actions/checkout", "docker/setup-buildx-action", "docker/setup-qemu-action",
                "docker/login-action", "docker/metadata-action"):
            if any(base in text(v) for v in s.with_.values()):
                return True
        for _, script in s.scripts():
            if isinstance(script, str) and (base in script or (folder and folder in script)) \
                    and _WRITES.search(script):
                return True
    for _, script in step.scripts():     # `… > Dockerfile && docker build .`
        if isinstance(script, str) and re.search(
                rf"(?:>|\btee\b|\bcp\b|\bmv\b)[^\n;&|]*{re.escape(base)}", script):
            return True
    return False


@rules.rule(
    "CI026", "critical", "reliability", "Build names a Dockerfile that does not exist",
    "The build step points at a Dockerfile (its `context` and `file`, or `docker build "
    "-f`, resolved from the repository root, where the runner checks the repository "
    "out) that is not in the repository, and no earlier step of the job creates it: the "
    "build fails as written (`failed to read dockerfile: open Dockerfile: no such file`). "
    "Usually a file moved or renamed without the workflow. Paths built from expressions "
    "or variables are not judged.",
    "Point `file:` (or `-f`) and `context:` at the Dockerfile's real place, relative to "
    "the repository root (`context: app`, `file: app/Dockerfile`).",
    example=EXAMPLE)
def missing_dockerfile(doc, ctx):
    flow = loaded(doc)
    if flow is None or not getattr(doc, "abspath", None):
        return
    found = [b for b in _flow_builds(ctx, doc) if b.builds and b.dockerfile]
    if not found:
        return
    root = repo_root(doc.abspath)
    if not _checked_out(root, ctx):
        return
    for b in found:
        candidates = b.dockerfile
        if any(c.startswith("..") for c in candidates):
            continue
        if any(os.path.lexists(os.path.join(root, c)) for c in candidates):
            continue
        if _made_earlier(b.step, candidates[0]):
            continue
        wd = _workdir(flow, b.step)
        if wd and not os.path.isdir(os.path.join(root, wd)):
            continue        # a folder the job makes (or an odd layout): not judged
        line = b.key_line.get("file", b.key_line.get("context", b.line)) if \
            "build-push-action" in b.tool else b.line
        yield Hit(line, f"{b.tool} in {_label(b.step)} builds "
                        f"`{candidates[0]}`, which is not in the repository"
                        f"{_nearby(root, candidates[0])}", path=b.path)


def _nearby(root, rel):
    """`; there is app/Dockerfile` when a Dockerfile of the same name is elsewhere."""
    base = os.path.basename(rel).lower()
    seen = []
    top = root.rstrip(os.sep).count(os.sep)
    for dirpath, dirnames, filenames in os.walk(root):
        deep = dirpath.rstrip(os.sep).count(os.sep) - top >= 3
        dirnames[:] = [] if deep else sorted(
            d for d in dirnames if not d.startswith(".") and d not in (
                "node_modules", "vendor", "__pycache__"))
        seen.extend(os.path.relpath(os.path.join(dirpath, f), root)
                    for f in sorted(filenames) if f.lower() == base)
        if len(seen) >= 2:
            break
    if not seen:
        return ""
    return "; the repository has " + ", ".join(f"`{s}`" for s in seen[:2])
