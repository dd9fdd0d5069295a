"""The rest of zizmor's offline audits for GitHub Actions (CI040–CI049), in zizmor's
`regular` persona: what is actionable, said once per place. Each rule claims its zizmor
audit as a peer, so `# zizmor: ignore[<audit>]` silences it (see the domain's
`suppressions`)."""

from __future__ import annotations

import re

from infra_expert.lazyre import lazy_re
from infra_expert.model import Hit, RuleSet
from infra_expert.images import ImageRef, is_floating
from infra_expert.pipeline.model import loaded, step_commands, text
from infra_expert.yamlsafe import YMap, YSeq

rules = RuleSet("pipeline")

EXAMPLE = (
    "name: release\n"
    "on:\n"
    "  push:\n"
    "    tags: ['v*']\n"
    "permissions: {}\n"
    "jobs:\n"
    "  publish:\n"
    "    runs-on: ubuntu-24.04\n"
    "    environment: pypi\n"
    "    permissions:\n"
    "      id-token: write   # trusted publishing\n"
    "    container:\n"
    "      image: python:3.13-slim\n"
    "    steps:\n"
    "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683  # v4.2.2\n"
    "        with:\n"
    "          persist-credentials: false\n"
    "      - run: python -m build\n"
    "      - uses: pypa/gh-action-pypi-publish@76f52bc884231f62b9a034ebfe128415bbaabdfc"
    "  # v1.12.4\n")

_EXPR = lazy_re(r"\$\{\{(.*?)\}\}", re.DOTALL)


def _line_of_offset(value, index, start):
    """The file line of `value[index]`, `value` being a scalar whose first line is `start`
    (a block scalar's text starts on the line after its key: callers pass that)."""
    return start + value.count("\n", 0, index)


def _shell(step):
    """The shell a `run:` step runs in: its own `shell:`, the job's or the workflow's
    `defaults.run.shell`, else bash (Linux runners; Windows defaults to pwsh)."""
    own = text(step.node.get("shell"))
    if own:
        return own
    for node in (step.job.node, step.job.workflow.root):
        defaults = node.get("defaults")
        run = defaults.get("run") if isinstance(defaults, YMap) else None
        if isinstance(run, YMap) and text(run.get("shell")):
            return text(run.get("shell"))
    labels = " ".join(step.job.runs_on()).lower()
    return "pwsh" if "windows" in labels else "bash"


def _shell_name(shell):
    first = shell.split()[0] if shell.split() else ""
    return first.rsplit("/", 1)[-1].lower()


def _run_start(step):
    """The line where a `run:` script's text starts: the key's line for a one-line value,
    the next line for a block scalar (`|`, `>`)."""
    key_line = step.key_line("run")
    value_line = step.value_line("run")
    return value_line + 1 if value_line == key_line and \
        _block_scalar(step.job.workflow.lines, key_line) else value_line


def _block_scalar(lines, line):
    raw = lines[line - 1] if 0 < line <= len(lines) else ""
    after = raw.split(":", 1)[1] if ":" in raw else ""
    after = after.split(" #", 1)[0].strip()
    return after[:1] in ("|", ">")


# -- CI040 github-env --------------------------------------------------------------------

_ENV_FILE = r"""["']?\$(?:\{)?(GITHUB_ENV|GITHUB_PATH)\b\}?["']?"""
_REDIRECT = lazy_re(r"(?:^|[^<>&0-9])\d?>>?\|?\s*" + _ENV_FILE)
_TEE = lazy_re(r"\|\s*(?:sudo\s+)?tee\b[^|;&]*?\s" + _ENV_FILE)
_PWSH_ENV = lazy_re(r"\$env:(GITHUB_ENV|GITHUB_PATH)\b", re.IGNORECASE)
_PWSH_WRITE = lazy_re(r">>?\s*[\"']?\$env:(GITHUB_ENV|GITHUB_PATH)\b|"
                      r"\b(?:out-file|add-content|set-content|tee-object)\b[^|;\n]*"
                      r"\$env:(GITHUB_ENV|GITHUB_PATH)\b", re.IGNORECASE)
_SEPARATORS = lazy_re(r"&&|\|\||[;|&(]|\bthen\b|\bdo\b|\belse\b")
DANGEROUS_TRIGGERS = ("pull_request_target", "workflow_run")


def _logical_lines(script):
    """(index of the first physical line, text) of each logical line, backslash
    continuations joined."""
    out, buf, first = [], [], 0
    for i, raw in enumerate(script.split("\n")):
        if not buf:
            first = i
        if raw.rstrip().endswith("\\"):
            buf.append(raw.rstrip()[:-1])
            continue
        buf.append(raw)
        out.append((first, " ".join(buf)))
        buf = []
    if buf:
        out.append((first, " ".join(buf)))
    return out


def _literal_echo(command):
    """`echo` whose arguments are literal words or quoted strings with no expansion:
    zizmor lets `echo "FOO=bar" >> $GITHUB_ENV` go (a `${{ }}` in it is template-injection's
    business)."""
    from infra_expert.shell import split_words
    words = command.strip()
    if not words.startswith("echo ") and words != "echo":
        return False
    in_single = False
    plain = []
    for ch in words:
        if ch == "'":
            in_single = not in_single
            continue
        if not in_single:
            plain.append(ch)
    rest = "".join(plain)
    rest = _EXPR.compiled.sub("", rest)
    if "$" in rest or "`" in rest:
        return False
    try:
        split_words(words)
    except Exception:  # noqa: BLE001 - unbalanced quotes: not a literal we can vouch for
        return False
    return True


def _env_writes(script, shell):
    """[(physical line index, GITHUB_ENV|GITHUB_PATH)] of the writes zizmor flags."""
    name = _shell_name(shell)
    found = []
    for first, line in _logical_lines(script):
        stripped = line.lstrip()
        if stripped.startswith("#"):
            continue
        if name in ("pwsh", "powershell"):
            m = _PWSH_WRITE.search(line)
            if m:
                found.append((first, (m.group(1) or m.group(2)).upper()))
            continue
        if name not in ("bash", "sh", ""):
            continue
        m = _TEE.search(line)
        if m:
            found.append((first, m.group(1)))
            continue
        m = _REDIRECT.search(line)
        if not m:
            continue
        before = line[:m.start() + (1 if m.group(0)[:1] not in "0123456789>" else 0)]
        command = _SEPARATORS.compiled.split(before)[-1] if before.strip() else ""
        if command.strip().startswith("{") or command.strip() in ("", "}", ")", "done",
                                                                  "fi"):
            # `{ …; } >> $GITHUB_ENV`, a loop's output: what is written is not visible here
            found.append((first, m.group(1)))
            continue
        if _literal_echo(command):
            continue
        found.append((first, m.group(1)))
    return found


@rules.rule(
    "CI040", "warning", "security", "Computed value written to `$GITHUB_ENV` or "
    "`$GITHUB_PATH` on a dangerous trigger",
    "On `pull_request_target` and `workflow_run` the run holds the repository's secrets "
    "while an outsider controls part of what it reads (the pull request's files, "
    "artifacts, branch names). A variable written to `$GITHUB_ENV` applies to every later "
    "step: `LD_PRELOAD`, `NODE_OPTIONS` or `BASH_ENV` from a crafted value runs code; a "
    "directory added to `$GITHUB_PATH` shadows `git` or `ssh`.",
    "Pass state between steps with `$GITHUB_OUTPUT` (read as `steps.<id>.outputs.x` through "
    "`env:`); if `$GITHUB_ENV` is unavoidable, write only literals or values computed from "
    "trusted sources.",
    peers=("zizmor:github-env",), example=EXAMPLE)
def github_env(doc, ctx):
    flow = loaded(doc)
    if flow is None or flow.kind != "workflow":
        return
    triggers = [t for t in DANGEROUS_TRIGGERS if t in flow.triggers]
    if not triggers:
        return
    for step in flow.steps():
        script = step.run
        if script is None or "GITHUB_" not in script:
            continue
        writes = _env_writes(script, _shell(step))
        if not writes:
            continue
        index, dest = writes[0]
        physical = script.split("\n")[index].strip()[:60] or "GITHUB_"
        start = flow.locate(_run_start(step), physical)
        more = f" (and {len(writes) - 1} more write{'s' if len(writes) > 2 else ''})" \
            if len(writes) > 1 else ""
        yield Hit(start, f"{step.label()} of job `{step.job.id}` writes a computed "
                                 f"value to `${dest}`{more} in a workflow run on "
                                 f"`{triggers[0]}`")


# -- CI041 use-trusted-publishing --------------------------------------------------------

_PYPI = ("https://upload.pypi.org/legacy/", "https://test.pypi.org/legacy/")
_NPMJS = ("https://registry.npmjs.org", "https://registry.npmjs.org/")
_PUBLISH = {
    "twine": lambda a: "upload" in a,
    "gem": lambda a: "push" in a,
    "hatch": lambda a: "publish" in a,
    "pdm": lambda a: "publish" in a,
    "uv": lambda a: "publish" in a and "--dry-run" not in a,
    "cargo": lambda a: "publish" in a and "--dry-run" not in a and "-n" not in a,
    "npm": lambda a: "publish" in a and "--dry-run" not in a,
    "pnpm": lambda a: "publish" in a and "--dry-run" not in a,
    "yarn": lambda a: "npm" in a and "publish" in a and "--dry-run" not in a and "-n" not in a,
}
_INDEX = {"twine": "PyPI", "hatch": "PyPI", "pdm": "PyPI", "uv": "PyPI", "gem": "RubyGems",
          "cargo": "crates.io", "npm": "npm", "pnpm": "npm", "yarn": "npm"}


def _truthy(value):
    return text(value).lower() in ("true", "yes", "1", "on")


def _id_token(flow, job):
    for node in (job.node, flow.root):
        if "permissions" not in node:
            continue
        perms = node.get("permissions")
        if isinstance(perms, YMap):
            return text(perms.get("id-token")).lower() == "write"
        return text(perms) == "write-all"
    return False


def _manual_credential(step):
    """(line, what) when a publishing action is given a token instead of OIDC."""
    uses = step.uses
    if uses is None:
        return None
    w = step.with_
    name = uses.name
    if name == "pypa/gh-action-pypi-publish" and text(w.get("password")):
        url = text(w.get("repository-url") or w.get("repository_url"))
        if not url or url in _PYPI:
            return w.pos_of("password")[0], "`pypa/gh-action-pypi-publish` with `password:`"
    if name == "rubygems/release-gem" and "setup-trusted-publisher" in w and \
            text(w.get("setup-trusted-publisher")).lower() == "false":
        return (w.pos_of("setup-trusted-publisher")[0],
                "`rubygems/release-gem` with `setup-trusted-publisher: false`")
    if name == "rubygems/configure-rubygems-credentials" and text(w.get("api-token")):
        server = text(w.get("gem-server"))
        if not server or server == "https://rubygems.org":
            return (w.pos_of("api-token")[0],
                    "`rubygems/configure-rubygems-credentials` with `api-token:`")
    if name == "actions/setup-node" and text(w.get("registry-url")) in _NPMJS and \
            _truthy(w.get("always-auth")):
        return w.pos_of("always-auth")[0], "`actions/setup-node` with `always-auth: true`"
    return None


@rules.rule(
    "CI041", "suggestion", "security", "Package published with a long-lived token where "
    "Trusted Publishing is available",
    "PyPI, RubyGems, crates.io, npm and nuget.org accept Trusted Publishing: the job proves "
    "who it is with a short-lived OIDC token and no upload token is stored at all. A stored "
    "token lives for months, works from anywhere, and leaks with the first compromised step "
    "of any workflow that can read it.",
    "Register this workflow as a trusted publisher on the index, grant the publish job "
    "`permissions: id-token: write`, and drop the `password:`/token "
    "(`pypa/gh-action-pypi-publish`, `rubygems/release-gem`, "
    "`rust-lang/crates-io-auth-action`, `npm publish --provenance`).",
    peers=("zizmor:use-trusted-publishing",), example=EXAMPLE)
def use_trusted_publishing(doc, ctx):
    flow = loaded(doc)
    if flow is None:
        return
    for job in flow.jobs:
        oidc = flow.kind == "workflow" and _id_token(flow, job)
        for step in job.steps:
            manual = _manual_credential(step)
            if manual:
                yield Hit(manual[0], f"{manual[1]} in job `{job.id}`: a stored token where "
                                     "Trusted Publishing needs none")
                continue
            script = step.run
            if script is None or oidc or flow.kind != "workflow" or \
                    _shell_name(_shell(step)) not in ("bash", "sh", "zsh"):
                continue
            if not any(tool in script for tool in _PUBLISH):
                continue
            for sc in step_commands(flow, step):
                cmd = sc.cmd
                check = _PUBLISH.get(cmd.name)
                if check is not None and check(set(cmd.args)):
                    verb = {"twine": "upload", "gem": "push"}.get(cmd.name, "publish")
                    yield Hit(sc.line, f"`{cmd.name} … {verb}` "
                                       f"in job `{job.id}` without `id-token: write`: "
                                       f"{_INDEX[cmd.name]} accepts Trusted Publishing")
                    break


# -- CI042 unpinned-images ---------------------------------------------------------------

_MATRIX_ONLY = lazy_re(r"^\$\{\{\s*matrix\.([\w-]+)\s*\}\}$")


def _how(image):
    """How a floating image floats, said in a message."""
    return "`:latest`" if ImageRef(image).tag else "no tag"


def _matrix_values(job, key):
    strategy = job.node.get("strategy")
    matrix = strategy.get("matrix") if isinstance(strategy, YMap) else None
    if not isinstance(matrix, YMap):
        return None
    values = []
    axis = matrix.get(key)
    if isinstance(axis, YSeq):
        values.extend(v for v in axis if isinstance(v, str))
    elif axis is not None:
        return None
    include = matrix.get("include")
    if isinstance(include, YSeq):
        values.extend(e[key] for e in include if isinstance(e, YMap)
                      and isinstance(e.get(key), str))
    return values


def _job_images(job):
    """(line, image text, label) of the job's container and services."""
    container = job.node.get("container")
    if isinstance(container, str):
        yield job.node.value_pos.get("container", job.node.pos_of("container"))[0], \
            container.strip(), "the job container"
    elif isinstance(container, YMap) and isinstance(container.get("image"), str):
        yield container.pos_of("image")[0], container["image"].strip(), "the job container"
    services = job.node.get("services")
    if isinstance(services, YMap):
        for name, svc in services.items():
            if isinstance(svc, YMap) and isinstance(svc.get("image"), str):
                yield svc.pos_of("image")[0], svc["image"].strip(), f"service `{name}`"


def _ci_images(step):
    """(image, key, path, line) of a GitLab job's `image:` and `services:` (each item on
    its own line, in the file that wrote it: a `default:` too), a Woodpecker step's
    `image:`."""
    if step.image:
        yield (step.image, "image", *step.where("image"))
    services = step.node.get("services") if step.kind == "gitlab" else None
    if isinstance(services, YSeq):
        path = step.where("services")[0]
        for svc, pos in zip(services, services.item_pos):
            name = svc.get("name") if isinstance(svc, YMap) else svc
            if isinstance(name, str) and name.strip():
                yield name.strip(), "services", path, pos[0]


def _unpinned_ci_images(flow):
    """GitLab and Woodpecker: images with no tag or `:latest`, each place once (a
    `default:` image many jobs share is one finding)."""
    places = {}
    for step in flow.steps():
        for image, key, path, line in _ci_images(step):
            if "$" in image:
                continue        # a variable: decided elsewhere
            if not is_floating(image):
                continue
            places.setdefault((path, line, image, key), []).append(step)
    for (path, line, image, key), steps in places.items():
        more = f" (and {len(steps) - 1} more)" if len(steps) > 1 else ""
        what = "service" if key == "services" else "image"
        yield Hit(line, f"{steps[0].label()}{more}: {what} `{image}` ({_how(image)})",
                  path=path if path and path != flow.path else None)


@rules.rule(
    "CI042", "warning", "security", "Job container or service image with no tag or `:latest`",
    "`image: postgres` or `:latest` is whatever the registry serves on the day of the run: "
    "the job's container runs with its token and secrets, so a replaced image is code "
    "running in the pipeline, and an upstream release that changes behaviour breaks the "
    "build with no change in the repository. The same holds for a GitLab job's `image:` "
    "and `services:` and a Woodpecker step's or plugin's `image:` (a plugin is given the "
    "step's secrets).",
    "Pin a version tag at least (`postgres:16.4`), better the digest "
    "(`postgres:16.4@sha256:…`) kept current by Dependabot or Renovate.",
    peers=("zizmor:unpinned-images",), example=EXAMPLE)
def unpinned_images(doc, ctx):
    flow = loaded(doc)
    if flow is None:
        return
    if flow.kind in ("gitlab", "woodpecker"):
        yield from _unpinned_ci_images(flow)
        return
    if flow.kind == "action":
        runs = flow.root.get("runs")
        image = text(runs.get("image")) if isinstance(runs, YMap) else ""
        if image.startswith("docker://"):
            inner = image[len("docker://"):]
            if is_floating(inner):
                yield Hit(runs.pos_of("image")[0], f"the Docker action runs `{image}`, "
                          + ("`:latest`" if ImageRef(inner).tag else "with no tag"))
        return
    for job in flow.jobs:
        for line, image, label in _job_images(job):
            if not image:
                continue
            candidates = [image]
            m = _MATRIX_ONLY.match(image)
            if m:
                values = _matrix_values(job, m.group(1))
                if not values:
                    continue        # computed elsewhere: zizmor calls it low confidence
                candidates = values
            elif "${{" in image:
                continue
            bad = [c for c in candidates if is_floating(c)]
            if bad:
                what = ", ".join(f"`{b}`" for b in bad[:3]) + (" …" if len(bad) > 3 else "")
                hows = {_how(b) for b in bad}
                how = hows.pop() if len(hows) == 1 else "no tag or `:latest`"
                yield Hit(line, f"job `{job.id}`, {label}: {what} ({how})")


# -- CI043 bot-conditions ----------------------------------------------------------------

_ACTOR = r"(?:github\.(?:actor|triggering_actor|event\.pull_request\.sender\.login))"
_ACTOR_ID = r"(?:github\.(?:actor_id|event\.pull_request\.sender\.id))"
_BOT_NAME = r"""'[^']*\[bot\]'"""
_BOT_IDS = r"""'?(?:29110|49699333|27856297|29139614)'?"""
_BOT_CHECK = lazy_re(
    rf"(?<![\w.]){_ACTOR}\s*==\s*{_BOT_NAME}|{_BOT_NAME}\s*==\s*{_ACTOR}(?![\w.])|"
    rf"(?<![\w.]){_ACTOR_ID}\s*==\s*{_BOT_IDS}(?!\d)|(?<![\d']){_BOT_IDS}\s*==\s*{_ACTOR_ID}"
    rf"(?![\w.])", re.IGNORECASE)


@rules.rule(
    "CI043", "warning", "security", "Spoofable bot check (`github.actor == '…[bot]'`) on "
    "`pull_request_target`",
    "`github.actor` is whoever last acted on the pull request, not who wrote it: an "
    "attacker opens a pull request, then gets Dependabot to push to it (a rebase, a "
    "`@dependabot recreate`), and the run sees `dependabot[bot]` while the branch carries "
    "the attacker's commits — which the privileged job then approves, merges or runs.",
    "Check who opened the pull request: `github.event.pull_request.user.login == "
    "'dependabot[bot]'`; better, automate Dependabot pull requests on `pull_request` with "
    "Dependabot secrets and explicit permissions.",
    peers=("zizmor:bot-conditions",), example=EXAMPLE)
def bot_conditions(doc, ctx):
    flow = loaded(doc)
    if flow is None or flow.kind != "workflow" or "pull_request_target" not in flow.triggers:
        return
    for job in flow.jobs:
        conds = [(job.node, f"job `{job.id}`")]
        conds.extend((s.node, f"{s.label()} of job `{job.id}`") for s in job.steps)
        for node, label in conds:
            cond = node.get("if")
            if not isinstance(cond, str):
                continue
            m = _BOT_CHECK.search(cond)
            if m:
                yield Hit(node.pos_of("if")[0], f"{label} runs when `{m.group(0)}`: the "
                                                "last actor, which an attacker can make a "
                                                "bot")


# -- CI044 overprovisioned-secrets / CI045 unredacted-secrets ----------------------------

_WHOLE_SECRETS = lazy_re(r"\btoJSON\s*\(\s*secrets\s*\)|(?<![\w.])secrets\s*\[\s*(?!['\"])",
                         re.IGNORECASE)
_UNREDACTED = lazy_re(r"\bfromJSON\s*\(\s*secrets\.([\w-]+)\s*\)\s*(?:\.|\[)|"
                      r"\bfromJSON\s*\(\s*secrets\s*\[\s*'([^']+)'\s*\]\s*\)\s*(?:\.|\[)",
                      re.IGNORECASE)


def _expression_lines(flow):
    """(line, expression text) of every `${{ }}` in the file, outside YAML comments."""
    for i, raw in enumerate(flow.lines):
        if "${{" not in raw:
            continue
        body = raw
        if raw.lstrip().startswith("#"):
            continue
        for m in _EXPR.finditer(body):
            yield i + 1, m.group(1)


def _if_lines(flow):
    """(line, condition) of bare `if:` expressions (no `${{`), jobs and steps."""
    for job in flow.jobs:
        for node in [job.node, *(s.node for s in job.steps)]:
            cond = node.get("if")
            if isinstance(cond, str) and "${{" not in cond:
                yield node.pos_of("if")[0], cond


@rules.rule(
    "CI044", "warning", "security", "Every secret handed to a step (`toJSON(secrets)`)",
    "The runner gives a job only the secrets its expressions name. `toJSON(secrets)` or "
    "`secrets[<computed>]` names them all: every repository and organisation secret lands "
    "in the step's environment or arguments, where one compromised dependency reads them.",
    "Name the secrets the step needs: `API_KEY: ${{ secrets.API_KEY }}`.",
    peers=("zizmor:overprovisioned-secrets",), example=EXAMPLE)
def overprovisioned_secrets(doc, ctx):
    for line, m in _first_match_per_line(doc, _WHOLE_SECRETS):
        what = "`toJSON(secrets)`" if m.group(0).lower().startswith("tojson") \
            else "`secrets[…]` with a computed name"
        yield Hit(line, f"{what} exposes every secret of the repository to this job")


def _first_match_per_line(doc, pattern):
    """(line, match) of `pattern` in the expressions and `if:` conditions of a loaded
    workflow, once per line."""
    flow = loaded(doc)
    if flow is None:
        return
    seen = set()
    for line, expr in [*_expression_lines(flow), *_if_lines(flow)]:
        m = pattern.search(expr)
        if m and line not in seen:
            seen.add(line)
            yield line, m


@rules.rule(
    "CI045", "warning", "security", "Field of a JSON secret used (not masked in logs)",
    "The runner masks a secret's exact value in the logs. A field taken out of a JSON "
    "secret (`fromJSON(secrets.CREDS).password`) is a new string the runner does not know "
    "to mask: any step that prints it, or a tool's debug output, shows it in clear.",
    "Store each field as its own secret (`secrets.DB_PASSWORD`); or, in the step, register "
    "the value for masking first (`echo \"::add-mask::$VALUE\"`).",
    peers=("zizmor:unredacted-secrets",), example=EXAMPLE)
def unredacted_secrets(doc, ctx):
    for line, m in _first_match_per_line(doc, _UNREDACTED):
        yield Hit(line, f"a field of `fromJSON(secrets.{m.group(1) or m.group(2)})`: "
                        "the runner does not mask it")


# -- CI046 obfuscation -------------------------------------------------------------------

_NOOP_JSON = lazy_re(r"\bfromJSON\s*\(\s*toJSON\s*\(", re.IGNORECASE)
_LITERAL_FORMAT = lazy_re(r"\bformat\s*\(\s*'(?:[^']|'')*'\s*(?:,\s*(?:'(?:[^']|'')*'|"
                          r"-?\d+(?:\.\d+)?|true|false|null)\s*)*\)", re.IGNORECASE)


_URL_USES = lazy_re(r"^[a-z][a-z0-9+.-]*://[^/]+/", re.IGNORECASE)


def _obfuscated_path(raw):
    """Why a `uses:` path is obfuscated (`owner//repo`, `./`, `../`), or None."""
    name = raw.split("@", 1)[0]
    url = _URL_USES.match(name)
    if url:
        name = name[url.end():]     # Forgejo/Gitea: `uses: https://github.com/owner/repo@…`
    if name.startswith(("./", ".\\", "docker://")):
        body = name[2:] if name.startswith(("./", ".\\")) else ""
    else:
        body = name
    if not body:
        return None
    parts = body.replace("\\", "/").split("/")
    if "" in parts[:-1] or (parts[-1] == "" and len(parts) > 1):
        return "an empty path component (`//` or a trailing `/`)"
    if any(p in (".", "..") for p in parts):
        return "a `.` or `..` path component"
    return None


@rules.rule(
    "CI046", "suggestion", "security", "Obfuscated `uses:` path or expression",
    "`uses: actions/checkout/./@v4`, `owner//repo`, `fromJSON(toJSON(x))` or "
    "`format('{0}', 'literal')` work exactly like their plain form but hide it from "
    "reviewers and from tools that match on it (allow-lists, pin checkers, this review).",
    "Write the plain form: `actions/checkout@…`, `x`, the literal string.",
    peers=("zizmor:obfuscation",), example=EXAMPLE)
def obfuscation(doc, ctx):
    flow = loaded(doc)
    if flow is None:
        return
    for job in flow.jobs:
        nodes = [(job, job.node)] + [(s, s.node) for s in job.steps]
        for owner, node in nodes:
            raw = node.get("uses")
            if not isinstance(raw, str):
                continue
            why = _obfuscated_path(raw.strip())
            if why:
                yield Hit(node.value_pos.get("uses", node.pos_of("uses"))[0],
                          f"`uses: {raw.strip()}` has {why}")
    seen = set()
    for line, expr in _expression_lines(flow):
        if line in seen:
            continue
        if _NOOP_JSON.search(expr):
            seen.add(line)
            yield Hit(line, "`fromJSON(toJSON(…))` is the value itself")
        elif _LITERAL_FORMAT.search(expr):
            seen.add(line)
            yield Hit(line, "`format(…)` of literals only is a constant string")


# -- CI047 archived-uses -----------------------------------------------------------------

# Repositories of actions archived by their owners (read-only, unmaintained), as
# zizmor's archived-uses audit lists them; the most used ones first in mind:
# actions/create-release, actions/upload-release-asset, actions-rs/*, actions/setup-ruby.
ARCHIVED = frozenset("""
8398a7/action-slack actions-rs/audit-check actions-rs/cargo actions-rs/clippy-check
actions-rs/components-nightly actions-rs/grcov actions-rs/install actions-rs/tarpaulin
actions-rs/toolchain actions/create-release actions/setup-elixir actions/setup-haskell
actions/setup-ruby actions/upload-release-asset actionstoolbox/gem-build-and-release-action
allanchain/poetry-cache-action andrewmcodes-archive/rubocop-linter-action artichoke/setup-rust
aslafy-z/conventional-pr-title-action azure/appconfiguration-sync azure/appservice-actions
azure/azure-resource-login-action azure/container-actions azure/container-scan
azure/data-factory-deploy-action azure/data-factory-export-action
azure/data-factory-validate-action azure/get-keyvault-secrets azure/k8s-actions
azure/manage-azure-policy azure/publish-security-assessments azure/run-sqlpackage-action
azure/spring-cloud-deploy azure/webapps-container-deploy cedrickring/golang-action
cirrus-actions/rebase contributor-assistant/github-action cpcloud/flake-update-action
crazy-max/ghaction-docker-buildx crazy-max/ghaction-hugo decathlon/pull-request-labeler-action
delaguardo/setup-graalvm dulvui/godot-android-export elstudio/actions-settings
expo/expo-preview-action fabasoad/setup-zizmor-action facebook/pysa-action
fregante/release-with-changelog google/mirror-branch-action google/skywater-pdk-actions
gradle/gradle-build-action grafana/k6-action hashicorp/terraform-cdk-action
helaili/github-graphql-action helaili/jekyll-action ilshidur/action-slack irgolic/autopr
jakejarvis/backblaze-b2-action jakejarvis/cloudflare-purge-action
jakejarvis/firebase-deploy-action jakejarvis/hugo-build-action jakejarvis/lighthouse-action
jakejarvis/s3-sync-action jimmygchen/runner-fallback-action justinribeiro/lighthouse-action
kanadgupta/glitch-sync kxxt/chatgpt-action lapras-inc/resume-sync-action liskin/gh-pipx
machine-learning-apps/wandb-action mansagroup/gcs-cache-action
marvinpinto/action-automatic-releases marvinpinto/actions maxheld83/ghpages
meilcli/danger-action meilcli/gradle-update-check-action meilcli/npm-update-check-action
meilcli/nuget-update-check-action micnncim/action-lgtm-reaction
mikepenz/gradle-dependency-submission niklasmerz/github-deployment-action
orf/cargo-bloat-action paambaati/codeclimate-action philips-software/docker-ci-scripts
primer/figma-action reasonsoftware/action-pylint repo-sync/pull-request repo-sync/repo-sync
sagebind/docker-swarm-deploy-action scottbrenner/generate-changelog-action secrethub/actions
semgrep/semgrep-action shaunlwm/action-release-debugapk soichisumi/issue-copy-action
sonarsource/sonarcloud-github-action stefafafan/psi-action stefanprodan/kube-tools
suzuki-shunsuke/github-action-format suzuki-shunsuke/github-action-tflint
suzuki-shunsuke/github-action-tfsec suzuki-shunsuke/required-status-check-action
suzuki-shunsuke/trivy-config-action suzuki-shunsuke/validate-pr-review-action
svenstaro/upx-action swiftdocorg/github-wiki-publish-action
tachiyomiorg/issue-moderator-action technote-space/auto-cancel-redundant-workflow
technote-space/get-diff-action tencentcloudbase/cloudbase-action tibdex/github-app-token
trmcnvn/chrome-addon verygoodopensource/very_good_coverage
whelk-io/maven-settings-xml-action yeslayla/build-godot-action youyo/aws-cdk-github-actions
yumemi-inc/clean-cache-action z0al/dependent-issues
""".split())


@rules.rule(
    "CI047", "warning", "security", "Action from an archived repository",
    "An archived repository is read-only: nobody fixes its bugs, bumps its runtime (Node "
    "versions GitHub retires) or patches the dependencies bundled into it, and a "
    "vulnerability found in it stays. `actions/create-release` and the `actions-rs/*` "
    "actions are the usual ones.",
    "Replace it: `gh release create` / `softprops/action-gh-release` for releases, "
    "`dtolnay/rust-toolchain` or plain `cargo` for `actions-rs/*`, `ruby/setup-ruby` for "
    "`actions/setup-ruby`, `gradle/actions/setup-gradle` for `gradle/gradle-build-action`.",
    peers=("zizmor:archived-uses",), example=EXAMPLE)
def archived_uses(doc, ctx):
    flow = loaded(doc)
    if flow is None:
        return
    for job in flow.jobs:
        nodes = [job.node] + [s.node for s in job.steps]
        for node in nodes:
            raw = node.get("uses")
            if not isinstance(raw, str) or raw.strip().startswith(("./", "docker://")):
                continue
            name = raw.strip().split("@", 1)[0]
            url = _URL_USES.match(name)
            parts = name[url.end():].split("/") if url else name.split("/")
            if len(parts) >= 2 and f"{parts[0]}/{parts[1]}".lower() in ARCHIVED:
                yield Hit(node.value_pos.get("uses", node.pos_of("uses"))[0],
                          f"`{parts[0]}/{parts[1]}` is archived: unmaintained")


# -- CI048 github-app --------------------------------------------------------------------

@rules.rule(
    "CI048", "warning", "security", "GitHub App token broader or longer-lived than needed",
    "`actions/create-github-app-token` mints a token with every permission of the App's "
    "installation unless `permission-*` inputs narrow it, for every repository of the "
    "owner when `owner:` is given without `repositories:`, and leaves it valid for an hour "
    "after the job with `skip-token-revoke: true`: a step that leaks it hands over far more "
    "than the job used.",
    "Add the `permission-<name>: read|write` inputs the job needs, `repositories:` next to "
    "`owner:`, and leave token revocation on.",
    peers=("zizmor:github-app",), example=EXAMPLE)
def github_app(doc, ctx):
    flow = loaded(doc)
    if flow is None:
        return
    for step in flow.steps():
        uses = step.uses
        if uses is None or uses.name != "actions/create-github-app-token":
            continue
        if "with" in step.node and not isinstance(step.node.get("with"), YMap):
            continue     # `with: ${{ … }}`: not readable here
        w = step.with_
        problems = []
        skip = w.get("skip-token-revoke")
        if skip is not None and (_truthy(skip) or "${{" in text(skip)):
            problems.append("`skip-token-revoke` keeps it valid after the job"
                            + (" (when the expression is true)" if "${{" in text(skip) else ""))
        if "owner" in w and not ({"repositories", "repository"} & set(w)):
            problems.append("`owner:` without `repositories:` opens every repository of the "
                            "installation")
        if not any(str(k).startswith("permission-") for k in w):
            problems.append("no `permission-*` input: every permission of the installation")
        if problems:
            yield Hit(step.value_line("uses"), f"App token of {step.label()} in job "
                                               f"`{step.job.id}`: " + "; ".join(problems))


# -- CI049 unsound-condition / unsound-contains ------------------------------------------

_CONTAINS_STR = lazy_re(r"\bcontains\s*\(\s*'((?:[^']|'')*)'\s*,\s*"
                        r"([A-Za-z_][\w-]*(?:\.[\w*-]+|\[[^\]]*\])+)\s*\)", re.IGNORECASE)


def _conditions(flow):
    for job in flow.jobs:
        for node, label in [(job.node, f"job `{job.id}`"),
                            *((s.node, f"{s.label()} of job `{job.id}`") for s in job.steps)]:
            cond = node.get("if")
            if isinstance(cond, str):
                yield node, label, cond


@rules.rule(
    "CI049", "warning", "reliability", "Condition that does not test what it seems",
    "An `if:` whose text is more than one `${{ }}` — a block scalar (`if: |`) adds a "
    "newline after it, or words sit around it — is a non-empty string, so it is always "
    "true: the step or job always runs, whatever the expression says (critical: broken as "
    "written). `contains('refs/heads/main refs/heads/dev', github.ref)` tests for a "
    "substring, so a branch named `mai` passes it.",
    "Write the condition bare (`if: github.ref == 'refs/heads/main'`) or use `|-`/`>-`; "
    "test membership with a list: `contains(fromJSON('[\"refs/heads/main\"]'), github.ref)`.",
    peers=("zizmor:unsound-condition", "zizmor:unsound-contains"), example=EXAMPLE)
def unsound_condition(doc, ctx):
    flow = loaded(doc)
    if flow is None:
        return
    for node, label, cond in _conditions(flow):
        line = node.pos_of("if")[0]
        if "${{" in cond:
            whole = cond.startswith("${{") and cond.endswith("}}") and cond.count("${{") == 1
            if not whole:
                yield Hit(line, f"`if:` of {label} is text around `${{{{ }}}}`: always true",
                          severity="critical")
                continue
        m = _CONTAINS_STR.search(cond)
        if m and "${{" not in m.group(1):
            yield Hit(line, f"`if:` of {label}: `contains('{m.group(1)[:40]}', "
                            f"{m.group(2)})` matches any substring")
