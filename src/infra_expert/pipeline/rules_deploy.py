"""Deploy rules: how a pipeline changes a cluster or a host — previewed, waited for,
rolled back, approved, and with which credentials."""

from __future__ import annotations

from infra_expert.lazyre import lazy_re
from infra_expert.model import Hit, Pass, RuleSet
from infra_expert.pipeline.model import line_in, loaded, masked, repo_root, step_commands, text
from infra_expert.yamlsafe import YMap

rules = RuleSet("pipeline")

EXAMPLE = (
    "name: deploy\n"
    "on:\n"
    "  push:\n"
    "    branches: [main]\n"
    "permissions:\n"
    "  contents: read\n"
    "  id-token: write\n"
    "concurrency: production\n"
    "jobs:\n"
    "  deploy:\n"
    "    runs-on: ubuntu-24.04\n"
    "    environment: production\n"
    "    steps:\n"
    "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683  # v4.2.2\n"
    "        with:\n"
    "          persist-credentials: false\n"
    "      - uses: aws-actions/configure-aws-credentials@"
    "e3dd6a429d7300a6a4c196c26e071d42e0343502  # v4.0.2\n"
    "        with:\n"
    "          role-to-assume: arn:aws:iam::123456789012:role/deploy\n"
    "          aws-region: eu-west-1\n"
    "      - run: kubectl diff -k deploy/ || true\n"
    "      - run: |\n"
    "          kubectl apply --server-side -k deploy/\n"
    "          kubectl rollout status deployment/web --timeout=5m\n"
    "      - run: helm upgrade --install web ./chart --atomic --timeout 10m\n")

# --- reading the commands of a job -------------------------------------------------------

_KUBECTL_GLOBAL = ("-n", "--namespace", "--context", "--kubeconfig", "-s", "--server",
                   "--cluster", "--user", "--token", "--as", "--request-timeout")
_HELM_GLOBAL = ("-n", "--namespace", "--kube-context", "--kubeconfig", "--kube-apiserver",
                "--kube-token", "--repository-config", "--registry-config")
_COMPOSE_GLOBAL = ("-f", "--file", "-p", "--project-name", "--env-file", "--profile",
                   "--project-directory", "-H", "--host", "-c", "--context", "--config",
                   "--log-level", "--ansi", "--progress", "--parallel")
_SSH_VALUE = frozenset({"-b", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l",
                        "-m", "-O", "-o", "-p", "-Q", "-R", "-S", "-W", "-w", "-B"})
_SSH_ACTIONS = {"appleboy/ssh-action": "script", "garygrossgarten/github-action-ssh": "command",
                "d3rhase/ssh-command-action": "command", "cross-the-world/ssh-scp-ssh-pipelines":
                "last_ssh", "fifsky/ssh-action": "command"}
_HEREDOC = lazy_re(r"<<-?\s*\\?[\"']?([A-Za-z0-9_.\-]+)[\"']?")


class Cmd:
    """A command a job runs: `step`, `line` its line in the file, `remote` how it reaches
    another host: "ssh" (an ssh session, an ssh action's script), "docker" (a Docker
    client pointed at an `ssh://` host or a context), or None."""

    __slots__ = ("cmd", "step", "line", "remote", "index", "path")

    def __init__(self, cmd, step, line, remote, index, path=None):
        self.path = path        # the file the line is in when not the reviewed one (GitLab)
        self.cmd = cmd
        self.step = step
        self.line = line
        self.remote = remote
        self.index = index      # order in the job

    @property
    def name(self):
        return self.cmd.name

    @property
    def args(self):
        return self.cmd.args


def _operands(args, takes_value):
    from infra_expert.shell import operands
    return operands(args, takes_value)


def _verb(c):
    """`kubectl`/`helm` subcommand(s) or `compose` verb, lowercase, or ""."""
    name = c.name
    if name == "kubectl" or name == "oc":
        ops = _operands(c.args, _KUBECTL_GLOBAL)
        return " ".join(ops[:2]) if ops[:1] in (["set"], ["rollout"]) else (ops[0] if ops else "")
    if name == "helm":
        ops = _operands(c.args, _HELM_GLOBAL)
        return ops[0] if ops else ""
    if name == "docker-compose":
        ops = _operands(c.args, _COMPOSE_GLOBAL)
        return "compose " + ops[0] if ops else ""
    if name in ("docker", "podman"):
        ops = _operands(c.args, _COMPOSE_GLOBAL)
        if ops[:1] == ["compose"] and len(ops) > 1:
            return "compose " + ops[1]
        if ops[:2] == ["stack", "deploy"]:
            return "stack deploy"
    return ""


def _line_in(flow, start, offset, name, path=None):
    return line_in(flow.lines_of(path), start, offset, name)


def _remote_script(c, script):
    """The command line an `ssh host …` runs remotely (its operands, or the heredoc it
    reads), or None."""
    words = c.args
    if c.name == "sshpass":
        while words and words[0].rsplit("/", 1)[-1] != "ssh":
            words = words[1:]
        if not words:
            return None
        words = words[1:]
    i = 0
    while i < len(words) and words[i].startswith("-"):
        i += 2 if words[i] in _SSH_VALUE else 1
    rest = words[i + 1:]
    if rest:
        return " ".join(rest)
    lines = script.split("\n")
    if c.line < len(lines):
        m = _HEREDOC.search(lines[c.line])
        if m:
            body = []
            for line in lines[c.line + 1:]:
                if line.strip() == m.group(1):
                    break
                body.append(line)
            return "\n".join(body)
    return None


def _parse(script):
    from infra_expert.shell import commands
    try:
        return commands(masked(script)[0])
    except Exception:  # noqa: BLE001 - a script the splitter cannot read is not judged
        return []


def job_commands(flow, job):
    """Every command of the job, in order, as Cmd; an ssh session's commands follow the
    ssh line."""
    out = []
    for step in job.steps:
        found = [(sc.line, sc.cmd, None, sc.path, sc.script)
                 for sc in step_commands(flow, step)]
        uses = step.uses
        if uses is not None and uses.name in _SSH_ACTIONS:
            key = _SSH_ACTIONS[uses.name]
            value = step.with_.get(key)
            if isinstance(value, str):
                start = step.with_.value_pos.get(key, step.with_.pos_of(key))[0]
                found += [(_line_in(flow, start, c.line, c.name), c, "ssh", None, value)
                          for c in _parse(value)]
        for line, c, remote, path, script in found:
            out.append(Cmd(c, step, line, remote, len(out), path))
            if c.name in ("ssh", "sshpass"):
                inner = _remote_script(c, script)
                for r in _parse(inner) if inner else ():
                    out.append(Cmd(r, step, _line_in(flow, line, 0, r.name, path), "ssh",
                                   len(out), path))
    remote_from = _job_remote_docker(flow, job, out)
    for c in out:
        if c.remote is None and c.name in ("docker", "docker-compose", "podman") and (
                _remote_docker(c) or (remote_from is not None and c.index > remote_from)):
            c.remote = "docker"
    return out


def commands_of(ctx, flow, job):
    cache = ctx.index(_job_cache)
    found = cache.get(id(job))
    if found is None or found[0] is not job:
        found = cache[id(job)] = (job, job_commands(flow, job))
    return found[1]


def _job_cache(ctx):
    """{id(job): (job, its commands)}: every job's commands parsed once per run."""
    return {}


def _has(c, *names):
    from infra_expert.shell import has_option
    return has_option(c.args, *names)


def _option_value(c, name):
    """The value of `--name=v` or `--name v`, or None."""
    args = c.args
    for i, a in enumerate(args):
        if a == name and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


def _flag_on(c, *names):
    """A boolean flag given and not set to false (`--atomic`, not `--atomic=false`)."""
    for a in c.args:
        key, _, value = a.partition("=")
        if key in names and value.lower() not in ("false", "0"):
            return True
    return False


def _dry_run(c):
    value = _option_value(c, "--dry-run")
    return _has(c, "--dry-run") and (value is None or value.lower() != "none")


_EPHEMERAL_ACTIONS = frozenset({"helm/kind-action", "engineerd/setup-kind",
                                "container-tools/kind-action", "medyagh/setup-minikube",
                                "manusa/actions-setup-minikube", "absaoss/k3d-action",
                                "nolar/setup-k3d-k3s", "debianmaster/actions-k3s",
                                "jupyterhub/action-k3s-helm", "balchua/microk8s-actions",
                                "tale/kubectl-action-kind"})
_EPHEMERAL = lazy_re(r"\bkind\s+create\s+cluster\b|\bminikube\s+start\b|"
                     r"\bk3d\s+cluster\s+create\b|\bctlptl\s+create\b|\bget\.k3s\.io\b|"
                     r"\bkwokctl\s+create\b|\bvcluster\s+create\b")

_EPHEMERAL_IMAGE = lazy_re(r"\b(?:kind|k3s|k3d|minikube)\b")


def ephemeral_cluster(job):
    """The job creates its own throw-away cluster (kind, minikube, k3d…): what it
    applies there is a test, not a deploy."""
    for step in job.steps:
        uses = step.uses
        if uses is not None and uses.name in _EPHEMERAL_ACTIONS:
            return True
        if any(_EPHEMERAL.search(script) for _, script in step.scripts()):
            return True
    image = job.node.get("image")      # a GitLab or Woodpecker job's own image
    return isinstance(image, str) and bool(_EPHEMERAL_IMAGE.search(image))


def _job_path(flow, job):
    """The file a (GitLab) job is written in, when not the reviewed one; else None."""
    path = getattr(job, "path", None)
    return path if path and path != flow.path else None


def _kubectl_writes(c):
    verb = _verb(c)
    return (c.name in ("kubectl", "oc") and verb in ("apply", "create", "replace", "patch",
                                                     "set image", "rollout restart")
            and not _dry_run(c))


# --- CI030 -------------------------------------------------------------------------------

def _previews(cmds):
    for c in cmds:
        verb = _verb(c)
        if c.name in ("kubectl", "oc") and verb == "diff":
            return True
        if c.name in ("kubectl", "oc") and verb == "apply" and \
                (_option_value(c, "--dry-run") or "").lower() == "server":
            return True
        if c.name in ("flux", "argocd", "kubectl-diff", "kubediff", "kubecfg") and \
                "diff" in c.args:
            return True
        if c.name == "helm" and verb == "diff":
            return True
    return False


def _previewed_repos(ctx):
    """Repository keys (the folder that holds `.github/`) whose pipelines preview a
    Kubernetes change somewhere: `kubectl diff`, a server-side dry run, `flux diff`…"""
    keys = set()
    for d in ctx.documents:
        flow = d.model if d.domain == "pipeline" else None
        if flow is None or getattr(flow, "problems", True):
            continue
        if any(_previews(commands_of(ctx, flow, j)) for j in flow.jobs):
            keys.add(repo_root(d.path))
    return keys


@rules.rule(
    "CI030", "suggestion", "reliability", "`kubectl apply` with no preview of what it changes",
    "A pipeline that applies manifests straight to the cluster shows nobody what will "
    "change before it does: a renamed resource, a field edited by hand in the cluster "
    "(drift), a replica count an autoscaler owns and the manifest resets. Client-side "
    "apply merges through the `last-applied-configuration` annotation and silently keeps "
    "or drops fields other tools manage; with `--prune`, whatever the selector matches and "
    "the manifests no longer list is deleted — one wrong label and a whole namespace goes.",
    "Run `kubectl diff` (on pull requests, or just before the apply) so the change is "
    "read before it lands, and apply with `kubectl apply --server-side "
    "--field-manager=ci` so field ownership is tracked and conflicts are refused instead "
    "of overwritten. Drop `--prune`, or use `--prune --applyset=…` after a diff.",
    example=EXAMPLE)
def apply_without_preview(doc, ctx):
    flow = loaded(doc)
    if flow is None:
        return
    previewed = None
    for job in flow.jobs:
        applies = [c for c in commands_of(ctx, flow, job)
                   if c.name in ("kubectl", "oc") and _verb(c) == "apply"
                   and not _dry_run(c) and not _flag_on(c, "--server-side")
                   and not _generated(c)]
        if not applies or ephemeral_cluster(job):
            continue
        if previewed is None:
            previewed = repo_root(doc.path) in ctx.index(_previewed_repos)
        if previewed:
            return
        pruned = next((c for c in applies if _has(c, "--prune")), None)
        first = pruned or applies[0]
        more = f" (and {len(applies) - 1} more)" if len(applies) > 1 else ""
        if pruned is not None:
            yield Hit(first.line, f"job `{job.id}`: `kubectl apply --prune`{more} with no "
                                  "`kubectl diff` anywhere in the pipeline: whatever the "
                                  "selector matches and the manifests miss is deleted "
                                  "unseen", severity="warning", path=first.path)
        else:
            yield Hit(first.line, f"job `{job.id}`: `kubectl apply`{more}, client-side, "
                                  "with no `kubectl diff` or server-side dry run anywhere "
                                  "in the pipeline", path=first.path)


# --- CI031 -------------------------------------------------------------------------------

@rules.rule(
    "CI031", "warning", "reliability", "`helm upgrade` that neither waits nor rolls back",
    "Without `--wait`, `helm upgrade` returns as soon as the API server accepts the "
    "manifests: a release whose pods crash-loop or never pull their image is recorded "
    "`deployed` and the job is green. With `--wait` but no `--atomic` (Helm 4: "
    "`--rollback-on-failure`), a failed upgrade stays half-applied in state `failed` until "
    "someone runs `helm rollback`; a job cancelled or timed out mid-upgrade leaves it "
    "`pending-upgrade`, and every later run fails with \"another operation (install/"
    "upgrade/rollback) is in progress\". `--atomic` implies `--wait` and rolls back on "
    "failure; its deadline is `--timeout`, 5 minutes by default, per operation.",
    "`helm upgrade --install <release> <chart> --atomic --timeout 10m` (Helm 4: "
    "`--rollback-on-failure --wait=watcher --timeout 10m`), with `--timeout` shorter than "
    "the job's `timeout-minutes` so Helm, not the runner, ends a stuck rollout.",
    positive="`helm upgrade` waits for the release and rolls back on failure",
    example=EXAMPLE)
def helm_upgrade_unsafe(doc, ctx):
    flow = loaded(doc)
    if flow is None:
        return
    for job in flow.jobs:
        if ephemeral_cluster(job):
            continue
        for c in commands_of(ctx, flow, job):
            if c.name != "helm" or _verb(c) != "upgrade" or _dry_run(c):
                continue
            atomic = _flag_on(c, "--atomic", "--rollback-on-failure")
            wait = atomic or _flag_on(c, "--wait")
            timeout = _has(c, "--timeout")
            if atomic and timeout:
                if c.path is None:
                    yield Pass(c.line)
            elif not wait:
                yield Hit(c.line, "`helm upgrade` without `--wait` or `--atomic`: a release "
                                  "whose pods never become ready is recorded `deployed` "
                                  "and the job passes; nothing rolls it back", path=c.path)
            elif not atomic:
                yield Hit(c.line, "`helm upgrade --wait` without `--atomic`"
                                  + ("" if timeout else " nor `--timeout`")
                                  + ": a failed upgrade is left half-applied in state "
                                    "`failed` until someone runs `helm rollback`",
                          path=c.path)
            else:
                yield Hit(c.line, "`helm upgrade --atomic` without `--timeout`: Helm's "
                                  "default of 5 minutes decides when the rollout is rolled "
                                  "back — set it to what the release needs",
                          severity="suggestion", path=c.path)


# --- CI032 -------------------------------------------------------------------------------

_DEPLOY_ACTIONS = frozenset({
    "azure/k8s-deploy", "azure/webapps-deploy", "azure/functions-action",
    "azure/container-apps-deploy-action", "azure/arm-deploy", "azure/static-web-apps-deploy",
    "aws-actions/amazon-ecs-deploy-task-definition", "aws-actions/aws-cloudformation-github-deploy",
    "google-github-actions/deploy-cloudrun", "google-github-actions/deploy-appengine",
    "google-github-actions/deploy-cloud-functions", "deliverybot/helm",
    "amondnet/vercel-action", "cloudflare/wrangler-action", "superfly/flyctl-actions",
    "wahyd4/kubectl-helm-action", "koslib/helm-eks-action", "bitovi/github-actions-deploy-eks-helm",
    "appleboy/ssh-action", "garygrossgarten/github-action-ssh", "easingthemes/ssh-deploy",
    "burnett01/rsync-deployments", "hashicorp/tfc-workflows-github"})
_PLAN_ONLY = frozenset({"plan", "validate", "init", "fmt", "show", "output"})


def deploy_of(ctx, flow, job):
    """(line, what) of the first deploy the job makes — a command or an action that
    changes a cluster, a host or a cloud — or None."""
    found = []
    for step in job.steps:
        uses = step.uses
        if uses is not None and uses.name in _DEPLOY_ACTIONS:
            if uses.name in _SSH_ACTIONS and not isinstance(
                    step.with_.get(_SSH_ACTIONS[uses.name]), str):
                continue
            found.append((step.value_line("uses"), f"`{uses.name}`"))
            break
    for c in commands_of(ctx, flow, job):
        what = _deploy_command(c)
        if what:
            found.append((c.line, what))
            break
    return min(found) if found else None


def _deploy_command(c):
    name, args = c.name, c.args
    verb = _verb(c)
    if name in ("kubectl", "oc") and _kubectl_writes(c):
        return f"`{name} {verb}`"
    if name == "helm" and verb in ("upgrade", "install", "rollback") and not _dry_run(c):
        return f"`helm {verb}`"
    if name == "helmfile" and any(a in ("apply", "sync", "deploy") for a in args):
        return "`helmfile`"
    if name in ("terraform", "tofu", "terragrunt") and any(a in ("apply", "destroy")
                                                            for a in args[:3]):
        return f"`{name} apply`" if "apply" in args[:3] else f"`{name} destroy`"
    if name == "pulumi" and args[:1] in (["up"], ["update"], ["destroy"]):
        return "`pulumi up`"
    if name in ("cdk", "sam", "serverless", "sls", "kamal", "firebase") and "deploy" in args[:2]:
        return f"`{name} deploy`"
    if name in ("fly", "flyctl") and args[:1] == ["deploy"]:
        return f"`{name} deploy`"
    if name == "wrangler" and args[:1] in (["deploy"], ["publish"]):
        return "`wrangler deploy`"
    if name in ("vercel", "netlify") and "--prod" in args:
        return f"`{name} --prod`"
    if name == "flux" and args[:1] == ["reconcile"]:
        return "`flux reconcile`"
    if name == "argocd" and args[:2] == ["app", "sync"]:
        return "`argocd app sync`"
    if name == "gcloud" and "deploy" in args[:4]:
        return "`gcloud … deploy`"
    if name == "aws" and args[:2] in (["ecs", "update-service"], ["lambda",
                                                                 "update-function-code"],
                                      ["cloudformation", "deploy"], ["deploy",
                                                                     "create-deployment"]):
        return f"`aws {' '.join(args[:2])}`"
    if name == "az" and ("deploy" in args[:3] or args[:2] == ["containerapp", "update"]):
        return f"`az {' '.join(args[:2])}`"
    if verb in ("compose up", "stack deploy") and c.remote:
        return f"`docker {verb}` on a remote host"
    return None


_PROD = lazy_re(r"(?i)prod(?:uction)?\b|\blive\b")
_DEFAULT_BRANCHES = lazy_re(r"^(?:main|master|trunk|release[\w/*.-]*|prod[\w/*.-]*|"
                            r"stable|\*\*?|v\d[\w.*]*)$")
_PR_ONLY_IF = lazy_re(r"github\.event_name\s*==\s*'pull_request|"
                      r"github\.event\.pull_request\b(?!\.merged)")


def production_reason(flow, job):
    """Why the job's deploy is a production one (a phrase), or None."""
    names = " ".join([job.id, text(job.node.get("name"))])
    env = job.environment()
    if env is not None and _PROD.search(env[0]):
        return f"to environment `{env[0]}`"
    if _PROD.search(names):
        return "to production by its name"
    if flow.kind == "gitlab":
        return _gitlab_production(job)
    if flow.kind != "workflow":
        return None
    if _PR_ONLY_IF.search(text(job.node.get("if"))):
        return None
    triggers = flow.triggers
    if "release" in triggers:
        return "on `release`"
    push = triggers.get("push", False)
    if push is not False:
        if not isinstance(push, YMap) or not ({"branches", "branches-ignore", "tags"}
                                              & set(push)):
            return "on every push, the default branch's included"
        if "tags" in push:
            return "on tag pushes"
        branches = push.get("branches")
        names = [text(b) for b in branches] if isinstance(branches, list) else [text(branches)]
        hit = next((b for b in names if _DEFAULT_BRANCHES.match(b)), None)
        if hit or "branches-ignore" in push:
            return f"on pushes to `{hit or 'most branches'}`"
    for event in ("workflow_dispatch", "schedule", "repository_dispatch", "workflow_run"):
        if event in triggers:
            return f"on `{event}`"
    return None


_GITLAB_MAIN = lazy_re(r"CI_DEFAULT_BRANCH|CI_COMMIT_TAG|\b(?:main|master|tags|"
                       r"production|release)\b")
_GITLAB_MR = lazy_re(r"merge_request|CI_MERGE_REQUEST")


def _gitlab_production(job):
    """A GitLab job runs on the default branch or tags: no `rules`/`only` (every
    pipeline), or conditions that name them."""
    conditions = [job.node.get(k) for k in ("rules", "only") if k in job.node]
    if not conditions:
        return "on every pipeline, the default branch's included"
    said = repr(conditions)
    if _GITLAB_MAIN.search(said):
        return "on the default branch or tags"
    return None


@rules.rule(
    "CI032", "warning", "security", "Production deploy without an `environment:`",
    "A deploy job with no `environment:` runs on whatever triggered it, with secrets any "
    "job of the repository can read: no required reviewers, no wait timer, no branch "
    "restriction, no deployment history. Anyone who can push to the branch — or get a "
    "workflow edit merged — deploys to production and can read the production "
    "credentials.",
    "Add `environment: production` to the job and configure it (Settings → Environments): "
    "required reviewers, deployment branches limited to the default branch, and the "
    "deploy credentials as environment secrets, not repository secrets. On GitLab, "
    "`environment: production` plus a protected environment.",
    positive="Deploy jobs run in a protected `environment:`",
    example=EXAMPLE)
def deploy_without_environment(doc, ctx):
    flow = loaded(doc)
    if flow is None or flow.kind == "action":
        return
    for job in flow.jobs:
        if job.uses is not None or ephemeral_cluster(job):
            continue
        deploy = deploy_of(ctx, flow, job)
        if deploy is None:
            continue
        env = job.environment()
        if env is not None:
            yield Pass(env[1])
            continue
        reason = production_reason(flow, job)
        if reason is None:
            continue
        line, what = deploy
        yield Hit(job.line, f"job `{job.id}` deploys ({what}, line {line}) {reason}, "
                            "with no `environment:` — no approval, no deploy-only secrets",
                  path=_job_path(flow, job))


# --- CI033 -------------------------------------------------------------------------------

_ENDPOINT = lazy_re(r"(?i)endpoint|minio|\br2\b|wasabi|backblaze|digitaloceanspaces|"
                    r"linodeobjects|scw\.cloud|storj|localstack")
_ENV_KEYS = {
    "AWS_ACCESS_KEY_ID": ("AWS", "`aws-actions/configure-aws-credentials` with "
                                 "`role-to-assume` and `permissions: id-token: write`"),
    "AWS_SECRET_ACCESS_KEY": ("AWS", "`aws-actions/configure-aws-credentials` with "
                                     "`role-to-assume` and `permissions: id-token: write`"),
    "GOOGLE_CREDENTIALS": ("Google Cloud", "`google-github-actions/auth` with "
                                           "`workload_identity_provider`"),
    "GOOGLE_APPLICATION_CREDENTIALS_JSON": ("Google Cloud", "`google-github-actions/auth` "
                                                            "with `workload_identity_provider`"),
    "GCP_SA_KEY": ("Google Cloud", "`google-github-actions/auth` with "
                                   "`workload_identity_provider`"),
    "ARM_CLIENT_SECRET": ("Azure", "`ARM_USE_OIDC: true` with `ARM_CLIENT_ID`, "
                                   "`ARM_TENANT_ID` and `permissions: id-token: write`"),
    "AZURE_CLIENT_SECRET": ("Azure", "`azure/login` with `client-id`, `tenant-id`, "
                                     "`subscription-id` and `permissions: id-token: write`"),
}
_GITLAB_OIDC = {
    "AWS": "`id_tokens:` (`aud: sts.amazonaws.com`) and `aws sts "
           "assume-role-with-web-identity`",
    "Google Cloud": "`id_tokens:` and Workload Identity Federation (`gcloud iam "
                    "workload-identity-pools create-cred-config`)",
    "Azure": "`id_tokens:` and `az login --federated-token`",
}
_FROM_STORE = lazy_re(r"\$\{\{\s*(?:secrets|vars)\.|^\$\{?[A-Za-z_]")
_ACTION_KEYS = {
    "aws-actions/configure-aws-credentials": (
        ("aws-access-key-id", "aws-secret-access-key"),
        "a long-lived AWS access key; use `role-to-assume` with `permissions: id-token: "
        "write` (OIDC) instead"),
    "google-github-actions/auth": (
        ("credentials_json",),
        "a service-account key file; use `workload_identity_provider` and `service_account` "
        "(Workload Identity Federation, `permissions: id-token: write`) instead"),
    "azure/login": (
        ("creds",),
        "a service principal's client secret; use `client-id`, `tenant-id` and "
        "`subscription-id` with `permissions: id-token: write` (OIDC) instead"),
}


def _job_mentions_endpoint(flow, job):
    blocks = [flow.root.get("env"), job.node.get("env"), job.node.get("variables"),
              flow.root.get("variables")]
    blocks += [s.node.get("env") for s in job.steps] + [s.with_ for s in job.steps]
    for block in blocks:
        if isinstance(block, YMap) and any(_ENDPOINT.search(str(k)) or
                                           _ENDPOINT.search(text(v) if isinstance(v, str)
                                                            else "")
                                           for k, v in block.items()):
            return True
    return any("--endpoint-url" in script or "endpoint_url" in script
               for step in job.steps for _, script in step.scripts())


@rules.rule(
    "CI033", "warning", "security", "Long-lived cloud key where OIDC federation exists",
    "A cloud access key stored as a CI secret never expires on its own: whoever reads it "
    "once — a compromised action, a log, a fork's workflow run with secrets — keeps access "
    "until someone notices and rotates it. GitHub Actions and GitLab issue a short-lived "
    "OIDC token per job that AWS, Google Cloud and Azure exchange for credentials valid "
    "minutes, limited to this repository, branch or environment: nothing to leak or "
    "rotate. S3-compatible stores (MinIO, R2…) that have no OIDC are left alone.",
    "AWS: `aws-actions/configure-aws-credentials` with `role-to-assume` (an IAM role "
    "trusting `token.actions.githubusercontent.com`). Google Cloud: "
    "`google-github-actions/auth` with `workload_identity_provider` and "
    "`service_account`. Azure: `azure/login` with `client-id`, `tenant-id`, "
    "`subscription-id`. All need `permissions: id-token: write`; GitLab: `id_tokens:` "
    "and `assume-role-with-web-identity`. Then delete the stored key.",
    positive="Cloud credentials come from OIDC federation, not stored keys",
    example=EXAMPLE)
def long_lived_cloud_keys(doc, ctx):
    flow = loaded(doc)
    if flow is None:
        return
    found = {}      # (what, key) -> [lines]: said once per workflow
    for job in flow.jobs:
        for step in job.steps:
            uses = step.uses
            spec = _ACTION_KEYS.get(uses.name) if uses is not None else None
            if spec is None:
                continue
            keys, advice = spec
            given = [k for k in keys if text(step.with_.get(k))]
            if given:
                found.setdefault((f"`{uses.name}` with `{given[0]}`", advice), []).append(
                    (None, step.with_.pos_of(given[0])[0]))
            elif any(text(step.with_.get(k)) for k in (
                    "role-to-assume", "workload_identity_provider", "client-id")):
                yield Pass(step.value_line("uses"))
    for key, cloud, advice, line, path in _env_keys(flow):
        if flow.kind == "gitlab":
            advice = _GITLAB_OIDC[cloud]
        store = "variables" if flow.kind == "gitlab" else "secrets"
        found.setdefault((f"`{key}` from the CI {store}",
                          f"a long-lived {cloud} key; use {advice}"), []).append((path, line))
    for (what, advice), places in found.items():
        places = sorted(set(places), key=lambda p: (p[0] or "", p[1]))
        more = [line for path, line in places[1:] if path == places[0][0]]
        also = f" (also line{'s' if len(more) > 1 else ''} " \
               f"{', '.join(map(str, more))})" if more else ""
        yield Hit(places[0][1], f"{what}{also} — {advice}", path=places[0][0])


def _env_keys(flow):
    """(key, cloud, advice, line) of cloud keys handed to steps through `env:`/
    `variables:` from stored secrets; one per block, none where the job talks to an
    S3-compatible endpoint."""
    blocks = []
    for key in ("env", "variables"):
        if isinstance(flow.root.get(key), YMap):
            blocks.append((flow.root[key], flow.jobs))
    for job in flow.jobs:
        for key in ("env", "variables"):
            if isinstance(job.node.get(key), YMap):
                blocks.append((job.node[key], [job]))
        for step in job.steps:
            if isinstance(step.node.get("env"), YMap):
                blocks.append((step.node["env"], [job]))
    for block, jobs in blocks:
        for key, value in block.items():
            spec = _ENV_KEYS.get(str(key).upper()) if isinstance(value, str) else None
            if spec is None or not _FROM_STORE.search(value.strip()):
                continue
            cloud, advice = spec
            if cloud == "AWS" and jobs and all(_job_mentions_endpoint(flow, j) for j in jobs):
                break
            path, line = block.where(key) if hasattr(block, "where") else (None,
                                                                            block.pos_of(key)[0])
            yield str(key), cloud, advice, line, (path if path != flow.path else None)
            break


# --- CI034 -------------------------------------------------------------------------------

_SSH_HOST = lazy_re(r"ssh://")


def _remote_docker(c):
    """`docker compose up` told to talk to another host: `DOCKER_HOST=ssh://…`, `-H
    ssh://…`, `--context`."""
    if _SSH_HOST.match(c.cmd.assignments.get("DOCKER_HOST", "")):
        return True
    host = _option_value(c, "-H") or _option_value(c, "--host") or ""
    return bool(_SSH_HOST.match(host)) or _option_value(c, "--context") not in (None,
                                                                                "default")


def _job_remote_docker(flow, job, cmds):
    """The job points docker at another host for every later command: `DOCKER_HOST:
    ssh://…` in env, an `export DOCKER_HOST=ssh://…`, or `docker context use` of a context
    created on `host=ssh://…`."""
    for block in (flow.root.get("env"), job.node.get("env"), job.node.get("variables"),
                  flow.root.get("variables")):
        if isinstance(block, YMap) and _SSH_HOST.match(text(block.get("DOCKER_HOST"))):
            return -1
    for c in cmds:
        if c.name in ("export", "echo") and any("DOCKER_HOST=ssh://" in a or
                                                "DOCKER_HOST=\"ssh://" in a for a in c.args):
            return c.index
        if c.name == "docker" and c.args[:2] == ["context", "use"]:
            return c.index
        if c.name == "docker" and c.args[:2] == ["context", "create"] and \
                any("host=ssh://" in a for a in c.args):
            return c.index
    return None


_HEALTH_NAMES = frozenset({"curl", "wget", "http", "https", "nc", "wait-for-it",
                           "wait-for-it.sh", "wait-for", "dockerize", "hurl", "k6"})
_HEALTH_ACTIONS = frozenset({"jtalk/url-health-check-action", "cygnetdigital/wait_for_response",
                             "nev7n/wait_for_response", "siddharth2016/uptime-check-action"})
_HEALTH_WORDS = lazy_re(r"(?i)health|smoke|readiness|verify|wait")


def _health_after(cmds, after, job, step):
    for c in cmds:
        if c.index <= after:
            continue
        if c.name in _HEALTH_NAMES or (c.name == "docker" and "inspect" in c.args and
                                       any("Health" in a for a in c.args)):
            return True
        if _verb(c) == "compose up" and _has(c, "--wait"):
            return True
    later = job.steps[job.steps.index(step) + 1:] if step in job.steps else []
    for s in later:
        if s.uses is not None and s.uses.name in _HEALTH_ACTIONS:
            return True
        if _HEALTH_WORDS.search(s.name or ""):
            return True
    return False


@rules.rule(
    "CI034", "warning", "reliability", "Remote `docker compose up` with no health wait",
    "`docker compose up -d` returns once the containers are created, not once they work: "
    "a service that crash-loops on a bad variable or a failed migration leaves the job "
    "green while the site is down, and nobody is told. Over ssh, nothing else in the "
    "pipeline looks at the host afterwards.",
    "Use `docker compose up -d --wait --wait-timeout 120` (Compose v2.1+; it waits for "
    "healthchecks, so give the services a `healthcheck:`), or follow the deploy with a "
    "check that fails the job (`curl --fail --retry 10 --retry-all-errors "
    "https://host/health`).",
    example=EXAMPLE)
def remote_compose_no_wait(doc, ctx):
    flow = loaded(doc)
    if flow is None:
        return
    for job in flow.jobs:
        cmds = commands_of(ctx, flow, job)
        for c in cmds:
            if _verb(c) != "compose up" or not c.remote or _has(c, "--wait"):
                continue
            if not _has(c, "-d", "--detach"):
                continue
            if _health_after(cmds, c.index, job, c.step):
                continue
            how = "over ssh" if c.remote == "ssh" else "on a remote Docker host"
            spelled = "docker-compose" if c.name == "docker-compose" else "docker compose"
            yield Hit(c.line, f"job `{job.id}`: `{spelled} up -d` {how} with no "
                              "`--wait` nor a health check after it", path=c.path)
            break


# --- CI035 -------------------------------------------------------------------------------

def _verifies_rollout(c):
    verb = _verb(c)
    if c.name in ("kubectl", "oc") and verb in ("rollout status", "wait", "rollout undo"):
        return True
    return c.name == "argocd" and c.args[:2] == ["app", "wait"]


_ROLLOUT_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet"})
_NOT_WORKLOAD = lazy_re(r"(?i)^(?:.*[-_.])?(?:namespaces?|ns|secrets?|configmaps?|crds?|rbac|"
                        r"roles?|rolebindings?|clusterroles?|serviceaccounts?|sa|ingress(?:es)?|"
                        r"services?|svc|issuers?|certificates?|certs?|pvcs?|storage(?:class)?|"
                        r"netpols?|network-?polic(?:y|ies)|quotas?|limitranges?|priorityclass)"
                        r"(?:[-_.][^/]*)?\.ya?ml$")


def _generated(c):
    """`kubectl create secret … --dry-run=client -o yaml | kubectl apply -f -`: the idiom
    that makes `create` idempotent, nothing to preview or roll out."""
    feeder = c.cmd.pipe_in
    return feeder is not None and feeder.name in ("kubectl", "oc") and \
        _verb(feeder) == "create" and _dry_run(feeder)


def _may_roll_out(ctx, doc, c):
    """False when what `kubectl apply` gets is known not to hold a Deployment,
    StatefulSet or DaemonSet: a Secret generated by `kubectl create … --dry-run`, files
    named for namespaces or RBAC, or manifests of this run with no such kind."""
    if _verb(c) != "apply":
        return True
    targets = [v for k in ("-f", "--filename", "-k", "--kustomize")
               for v in [_option_value(c, k)] if v]
    if targets == ["-"] and _generated(c):
        return False
    if not targets or any("$" in t or "://" in t for t in targets):
        return True
    root = repo_root(doc.path)
    kinds, seen = set(), False
    for d in ctx.documents:
        if d.domain != "kubernetes" or d.model is None:
            continue
        path = d.path.replace("\\", "/")
        for t in targets:
            t = (root + "/" if root else "") + t.lstrip("./").rstrip("/")
            if path == t or path.startswith(t + "/"):
                seen = True
                kinds.update(o.kind for o in getattr(d.model, "objects", ()))
    if seen:
        return bool(kinds & _ROLLOUT_KINDS) or "HelmRelease" in kinds or "Kustomization" in kinds
    return not all(_NOT_WORKLOAD.match(t.rsplit("/", 1)[-1]) for t in targets)


@rules.rule(
    "CI035", "warning", "reliability", "Kubernetes deploy never waits for its rollout",
    "`kubectl apply` and `kubectl set image` return once the API server stores the new "
    "spec; the rollout happens afterwards. If the new pods crash or never pull their "
    "image, the job is still green, the old ReplicaSet keeps serving (or does not), and "
    "nothing runs `kubectl rollout undo`: the failure is found by users. `kubectl apply "
    "--wait` does not help — it waits for pruned objects to be deleted, not for pods.",
    "After the apply, `kubectl rollout status deployment/<name> --timeout=5m` (fails the "
    "job when the rollout does), and on failure `kubectl rollout undo deployment/<name>` "
    "(`if: failure()`); or `kubectl wait --for=condition=available`.",
    positive="Kubernetes deploys wait for `kubectl rollout status`",
    example=EXAMPLE)
def rollout_unverified(doc, ctx):
    flow = loaded(doc)
    if flow is None:
        return
    for job in flow.jobs:
        cmds = commands_of(ctx, flow, job)
        writes = [c for c in cmds if c.name in ("kubectl", "oc") and
                  _verb(c) in ("apply", "set image", "rollout restart") and not _dry_run(c)
                  and _may_roll_out(ctx, doc, c)]
        if not writes or ephemeral_cluster(job):
            continue
        last = writes[-1]
        if any(_verifies_rollout(c) for c in cmds if c.index > last.index):
            if last.path is None:
                yield Pass(last.line)
            continue
        first = writes[0]
        verb = _verb(first)
        yield Hit(first.line, f"job `{job.id}`: `kubectl {verb}` with no `kubectl rollout "
                              "status` after it: a rollout that fails still passes green",
                  path=first.path)


# --- CI036 -------------------------------------------------------------------------------

def _deliberate_only(flow):
    """Runs only on releases, tag pushes or by hand: rare enough not to race."""
    if flow.kind != "workflow":
        return False
    for event, config in flow.triggers.items():
        if event in ("release", "workflow_dispatch", "pull_request", "merge_group"):
            continue
        if event == "push" and isinstance(config, YMap) and "tags" in config and not (
                {"branches", "branches-ignore"} & set(config)):
            continue
        return False
    return True


@rules.rule(
    "CI036", "suggestion", "reliability", "Production deploys not serialised",
    "Without `concurrency:` (GitLab: `resource_group:`), two pushes in quick succession "
    "run two deploys at once: they race on the same release (Helm: \"another operation "
    "is in progress\"; Terraform: a "
    "state lock), and the older commit can finish last and win.",
    "Add `concurrency: {group: deploy-production, cancel-in-progress: false}` to the "
    "workflow or the deploy job: runs queue instead of overlapping. On GitLab, "
    "`resource_group: production` on the deploy job.",
    example=EXAMPLE)
def deploy_not_serialised(doc, ctx):
    flow = loaded(doc)
    if flow is None or flow.kind not in ("workflow", "gitlab") or "concurrency" in flow.root:
        return
    key = "resource_group" if flow.kind == "gitlab" else "concurrency"
    for job in flow.jobs:
        if job.uses is not None or key in job.node or ephemeral_cluster(job):
            continue
        deploy = deploy_of(ctx, flow, job)
        if deploy is None:
            continue
        reason = production_reason(flow, job)
        if reason is None or _deliberate_only(flow):
            continue
        yield Hit(job.line, f"job `{job.id}` deploys ({deploy[1]}) {reason} with no "
                            f"`{key}:`: two runs can deploy at once",
                  path=_job_path(flow, job))
