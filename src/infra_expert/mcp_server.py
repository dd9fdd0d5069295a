"""`infra-expert mcp`: the reviewer as a Model Context Protocol server over stdio.

An AI assistant calls the expert instead of guessing: `review_path`, `review_text`,
`explain_rule`, `list_rules`, `estimate_resources`. Built on the official `mcp` Python
SDK (an optional extra: `pip install 'infra-expert[mcp]'`), imported only here.

Read-only by construction:
- every path a tool is given must resolve (symbolic links followed) inside the server's
  root (the working directory at start, or `--root DIR`); anything else is refused
  before a byte is read;
- the reads of the review itself are held inside that root too (`confine=` of
  `infra_expert.review`, the file gate's roots clipped to it), so a file given alone
  cannot pull in context from a git work tree above the root, nor a Compose `build:` or
  a symbolic link from anywhere else;
- `review_text` writes the content to a private temporary folder under a sanitised
  name (`infra_expert.api.safe_name`), reviews it there and removes it;
- nothing reviewed is executed, nothing goes to the network, every message is masked for
  secrets by the engine (as in every output format).
"""

# no `from __future__ import annotations`: the SDK reads the tools' annotations, which
# name types local to `build_server`
import argparse
import os
import sys

INSTALL_HINT = "pip install 'infra-expert[mcp]'"
MAX_TEXT_BYTES = 5 * 1024 * 1024      # the engine's default file size cap

_SERVER_INSTRUCTIONS = """\
infra-expert reviews infrastructure files read-only, the way a senior DevOps/SRE engineer
would: Dockerfiles, Docker Compose, Podman Quadlet units, Kubernetes manifests and
Kustomize, systemd units and timers, crontabs, Kestra flows, Prometheus/Alertmanager
configuration, storage and backup jobs. Call it instead of guessing whether such a file is
secure, reliable and sized for its host. Findings come in three severities: critical (must
fix), warning (consider), suggestion (optional); positive points say what is already done
well; the resources part estimates memory, CPU and disk against a host profile.
Paths are relative to the server's root: {root}
Nothing is executed or sent anywhere; secrets in the files are masked in every answer."""

_HOSTS = ("rpi3-1gb, rpi4-2gb, rpi4-4gb, rpi4-8gb, rpi5-4gb, rpi5-8gb, zimaboard-2gb, "
          "zimaboard-8gb, nuc-16gb, or vm-<memory>-<cpus> such as vm-4g-2")


class _Refused(Exception):
    """A request the server will not do; its message goes to the assistant."""


def _within(real, root):
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


class Expert:
    """The tools' logic, without the SDK: paths checked against `root`, reviews run
    one at a time (the SDK runs a synchronous tool on a worker thread)."""

    def __init__(self, root, config_file=None, use_config=True, host=None):
        self.root = os.path.realpath(root)
        self.config_file = config_file
        self.use_config = use_config
        self.host = host
        import threading
        self._lock = threading.Lock()

    # -- paths ---------------------------------------------------------------------

    def relative(self, path):
        """`path` (relative to the root, or absolute) as a path relative to the root,
        refused when it resolves outside the root or does not exist."""
        from infra_expert.report import visible
        if not isinstance(path, str) or not path.strip() or "\0" in path:
            raise _Refused("path: give a file or folder inside the server's root "
                           f"({visible(self.root)}), e.g. `.` or `deploy/compose.yaml`")
        given = os.path.join(self.root, os.path.expanduser(path))
        real = os.path.realpath(given)
        if not _within(real, self.root):
            raise _Refused(f"refused: {visible(path)} is outside the server's root "
                           f"{visible(self.root)} (this server only reads files inside it; "
                           "start it with `--root DIR` to review another tree)")
        if not os.path.exists(real):
            raise _Refused(f"no such file or folder: {visible(path)} (paths are relative to "
                           f"{visible(self.root)})")
        rel = os.path.relpath(os.path.normpath(given), self.root)
        if rel == os.pardir or rel.startswith(os.pardir + os.sep):
            # `..` that resolved back inside through a symbolic link: name it as it is
            rel = os.path.relpath(real, self.root)
        return rel

    # -- reviews -------------------------------------------------------------------

    def _settings_host(self, host):
        host = host if host not in (None, "") else self.host
        return host

    def _config_file(self):
        if not self.use_config:
            return None
        if self.config_file:
            return self.config_file
        from infra_expert.config import find_config_file
        return find_config_file(self.root)

    def review_path(self, path, host=None):
        import infra_expert
        from infra_expert.config import ConfigError
        rel = self.relative(path)
        with self._lock:
            try:
                return infra_expert.review([rel], host=self._settings_host(host),
                                           config_file=self._config_file(),
                                           confine=self.root)
            except ConfigError as exc:
                raise _Refused(f"configuration error: {exc}") from None

    def review_text(self, content, filename, host=None):
        import infra_expert
        from infra_expert.config import ConfigError
        data = content.encode("utf-8", "surrogateescape") if isinstance(content, str) \
            else bytes(content)
        if len(data) > MAX_TEXT_BYTES:
            raise _Refused(f"content too large: {len(data)} bytes (at most {MAX_TEXT_BYTES})")
        with self._lock:
            try:
                return infra_expert.review_text(data, filename,
                                                host=self._settings_host(host),
                                                config_file=self._config_file())
            except ConfigError as exc:
                raise _Refused(f"configuration error: {exc}") from None
            except ValueError as exc:       # safe_name: a name with nothing usable
                from infra_expert.report import visible
                raise _Refused(visible(str(exc))) from None


# -- what the tools return ---------------------------------------------------------------

def _leave_out_below(review, min_severity):
    """Findings under `min_severity` taken out of `review`; how many of each left out."""
    from infra_expert.model import SEVERITIES, SEVERITY_RANK
    if min_severity in (None, ""):
        return {}
    if min_severity not in SEVERITY_RANK:
        raise _Refused(f"min_severity: one of {', '.join(SEVERITIES)}")
    limit = SEVERITY_RANK[min_severity]
    left = {}
    kept = []
    for f in review.findings:
        if SEVERITY_RANK[f.severity] <= limit:
            kept.append(f)
        else:
            left[f.severity] = left.get(f.severity, 0) + 1
    review.findings = kept
    return left


def review_object(review, left_out=None):
    """The review as `--format json` gives it (schema_version 1), plus `left_out` when
    `min_severity` left findings out."""
    from infra_expert.report.json_report import as_json_object
    obj = as_json_object(review)
    if left_out:
        obj["left_out"] = dict(left_out)
    return obj


def review_markdown(review, left_out=None):
    from infra_expert.report.markdown import render_review
    text = render_review(review, markdown=True)
    if left_out:
        what = ", ".join(f"{n} {sev}{'s' if n != 1 else ''}" for sev, n in left_out.items())
        text += f"\n_Left out by min_severity: {what}._\n"
    return text


def resources_object(review):
    from infra_expert.report import utf8_tree
    from infra_expert.report.json_report import as_json_object
    whole = as_json_object(review)
    return utf8_tree({
        "schema_version": whole["schema_version"],
        "tool": whole["tool"],
        "files": whole["files"],
        "resources": review.resources,
        "findings": [f.as_dict() for f in review.findings if f.rule.id.startswith("RS")],
        "notices": whole["notices"],
    })


def resources_markdown(review):
    from infra_expert.report import visible
    from infra_expert.report.markdown import HEADINGS, _inline, _loc, _resources
    out = [HEADINGS["resources"], ""]
    out.extend(_resources(review, True))
    judged = [f for f in review.findings if f.rule.id.startswith("RS")]
    if judged:
        out += ["", "#### Against the host", ""]
        marks = {"critical": "🔴", "warning": "🟡", "suggestion": "💡"}
        for f in judged:
            out.append(f"- {marks[f.severity]} **{f.rule.id}** {f.rule.title} — "
                       f"`{visible(_loc(f.path, f.line))}`: {_inline(f.message, True)}")
    return "\n".join(out) + "\n"


def _rule_dict(rule):
    out = rule.as_dict()
    out["example"] = rule.example
    out["positive"] = rule.positive
    return out


def find_rule(rule_id):
    """The Rule for an id of ours or a peer's (`DL3008`, `CKV_K8S_20`), else None."""
    from infra_expert.engine import all_rules
    rid = str(rule_id).strip().upper()
    rules = all_rules()
    rule = next((r for r in rules if r.id == rid), None)
    if rule is None:
        rule = next((r for r in rules
                     if any(p.split(":", 1)[-1].upper() == rid for p in r.peers)), None)
    return rule


def explain_object(rule_id):
    from infra_expert.catalogue import explain
    from infra_expert.report import visible
    text = explain(str(rule_id))
    if text is None:
        raise _Refused(f"unknown rule `{visible(rule_id)}`: call list_rules for the ids "
                       "(peers' ids such as DL3008 or CKV_K8S_20 are accepted too)")
    rule = find_rule(rule_id)
    obj = _rule_dict(rule) if rule is not None else {"id": str(rule_id).strip().upper()}
    obj["text"] = text
    return obj, text


def rules_object(domain=None):
    from infra_expert.catalogue import _ordered
    rules = _ordered()
    known = sorted({r.domain for r in rules})
    if domain not in (None, ""):
        name = domain.strip().lower()
        if name not in known:
            from infra_expert.report import visible
            raise _Refused(f"unknown domain `{visible(domain)}`: one of {', '.join(known)}")
        rules = [r for r in rules if r.domain == name]
    items = [{"id": r.id, "title": r.title, "severity": r.severity, "category": r.category,
              "domain": r.domain, "enabled_by_default": r.enabled, "peers": list(r.peers)}
             for r in rules]
    lines = [f"{len(items)} rules" + (f" in domain {rules[0].domain}" if domain and rules
                                      else "") + ". Call explain_rule(ID) for the rationale, "
             "fix and an example.", ""]
    lines += [f"- {r['id']} ({r['severity']}, {r['domain']}"
              f"{'' if r['enabled_by_default'] else ', off by default'}): {r['title']}"
              for r in items]
    return {"domains": known, "rules": items}, "\n".join(lines) + "\n"


# -- the SDK ----------------------------------------------------------------------------

def _sdk():
    """(server class, ToolError, CallToolResult, TextContent, ToolAnnotations).

    `mcp` 2.x (`MCPServer`); 1.x's `FastMCP` has the same decorator and arguments."""
    try:
        from mcp.server.mcpserver import MCPServer as Server
        from mcp.server.mcpserver.exceptions import ToolError
    except ImportError:
        from mcp.server.fastmcp import FastMCP as Server
        from mcp.server.fastmcp.exceptions import ToolError
    from mcp.types import CallToolResult, TextContent, ToolAnnotations
    return Server, ToolError, CallToolResult, TextContent, ToolAnnotations


def build_server(expert):
    """The MCP server with its five tools, over `expert` (an `Expert`)."""
    from typing import Literal, Optional

    from infra_expert import __version__
    Server, ToolError, CallToolResult, TextContent, ToolAnnotations = _sdk()

    kwargs = {"instructions": _SERVER_INSTRUCTIONS.format(root=expert.root)}
    try:
        server = Server("infra-expert", version=__version__, **kwargs)
    except TypeError:                     # an SDK whose constructor takes no version
        server = Server("infra-expert", **kwargs)
    read_only = ToolAnnotations(readOnlyHint=True, destructiveHint=False,
                                idempotentHint=True, openWorldHint=False)

    def result(obj, text):
        # `structuredContent`: the wire name, accepted by 1.x's model and 2.x's alias
        return CallToolResult(content=[TextContent(type="text", text=text)],
                              structuredContent=obj)

    def tool(fn):
        # the docstring, with the host profiles named, is what the assistant reads
        import inspect
        description = inspect.cleandoc(fn.__doc__).replace("HOST_PROFILES", _HOSTS)
        server.add_tool(fn, name=fn.__name__, description=description,
                        annotations=read_only)
        return fn

    def guarded(fn):
        try:
            return fn()
        except _Refused as exc:
            raise ToolError(str(exc)) from None

    @tool
    def review_path(path: str, host: Optional[str] = None,
                    min_severity: Optional[Literal["critical", "warning", "suggestion"]]
                    = None) -> CallToolResult:
        """Review an infrastructure file or folder inside the server's root, read-only,
        as a senior DevOps/SRE engineer would: Dockerfile, Docker Compose, Podman Quadlet,
        Kubernetes/Kustomize, systemd, cron, Kestra, Prometheus, storage and backups.
        A folder is walked with .gitignore respected; a file is reviewed with its project
        context (a Compose overlay with its base, a Quadlet drop-in with its unit).

        Use it before proposing changes to such files, or to check a change you made.

        Arguments: `path` relative to the server's root (`.` for all of it) or absolute
        inside it; paths outside the root are refused. `host` (optional): the machine the
        stack must fit on (HOST_PROFILES), which adds the host judgement (memory,
        CPU, architecture). `min_severity` (optional): leave out findings below it.

        Returns: structured content = the review as `infra-expert review --format json`
        gives it (schema_version 1: files, findings with rule id, severity, category,
        message, path, line, fix; positives; notices; resources; summary counts); text =
        the review in Markdown (critical, warnings, positive points, suggestions,
        estimated resources). Secrets found in the files are masked."""
        def run():
            review = expert.review_path(path, host)
            left = _leave_out_below(review, min_severity)
            return result(review_object(review, left), review_markdown(review, left))
        return guarded(run)

    @tool
    def review_text(content: str, filename: str, host: Optional[str] = None) -> CallToolResult:
        """Review the content of one infrastructure file that is not on disk (a draft you
        are writing, a snippet from the conversation), as if it were the file `filename`.

        `filename` says what the content is: `Dockerfile`, `compose.yaml`,
        `app.container`, `backup.timer`, `k8s/deploy.yaml`, `crontab`…; folders in it
        are kept as a hint, but nothing is written anywhere but a private temporary
        folder. `host` (optional): a host profile (HOST_PROFILES).

        Returns: structured content = the review as JSON (schema_version 1, paths are
        `filename`); text = the review in Markdown. Secrets are masked."""
        def run():
            review = expert.review_text(content, filename, host)
            return result(review_object(review), review_markdown(review))
        return guarded(run)

    @tool
    def explain_rule(rule_id: str) -> CallToolResult:
        """Explain one rule of infra-expert: why it matters, how to fix it, an example that
        passes it, and the equivalent checks of other tools (its peers). Accepts our ids
        (`DF001`, `DC020`, `K8001`) and peers' ids (`DL3008`, `CKV_K8S_20`, `SC2086`).

        Use it when a finding's message is not enough to fix it well, or before
        suppressing a rule.

        Returns: structured content = id, title, severity, category, domain, rationale,
        fix, example, peers, enabled_by_default, text; text = the explanation."""
        def run():
            obj, text = explain_object(rule_id)
            return result(obj, text)
        return guarded(run)

    @tool
    def list_rules(domain: Optional[str] = None) -> CallToolResult:
        """List infra-expert's rules: id, title, default severity, category, domain,
        whether on by default, and peers' ids. `domain` (optional) keeps one domain:
        dockerfile, compose, podman, kubernetes, systemd, kestra, cron, monitoring, burst,
        storage, resources or core.

        Returns: structured content = {domains, rules: [...]}; text = one line a rule."""
        def run():
            obj, text = rules_object(domain)
            return result(obj, text)
        return guarded(run)

    @tool
    def estimate_resources(path: Optional[str] = None, content: Optional[str] = None,
                           filename: Optional[str] = None,
                           host: Optional[str] = None) -> CallToolResult:
        """Estimate what a stack needs: memory and CPU limits per Compose service,
        Quadlet container, Kubernetes workload and systemd service, image sizes, logs on
        disk, schedules — and, with `host`, whether it fits that machine (HOST_PROFILES).

        Give either `path` (a file or folder inside the server's root) or `content` with
        its `filename` (as review_text).

        Returns: structured content = {resources, findings: the host judgement findings
        (RS rules: over memory, no limit on a small host, wrong architecture…), files,
        notices}; text = the estimated resources section in Markdown."""
        def run():
            if (path in (None, "")) == (content is None):
                raise _Refused("give either `path` (inside the server's root) or "
                               "`content` with `filename`")
            if content is not None:
                if not filename:
                    raise _Refused("`filename` is needed with `content` (Dockerfile, "
                                   "compose.yaml, app.container…)")
                review = expert.review_text(content, filename, host)
            else:
                review = expert.review_path(path, host)
            return result(resources_object(review), resources_markdown(review))
        return guarded(run)

    return server


# -- the command --------------------------------------------------------------------------

def _parser():
    p = argparse.ArgumentParser(
        prog="infra-expert mcp",
        description="Serve infra-expert's review to AI assistants over the Model Context "
                    "Protocol (stdio).")
    add_arguments(p)
    return p


def add_arguments(p):
    """The options of `infra-expert mcp` (shared with the CLI's subparser)."""
    p.add_argument("--root", metavar="DIR",
                   help="only files inside DIR can be reviewed (default: the current "
                        "directory)")
    p.add_argument("--host", metavar="PROFILE",
                   help="default host profile for reviews that name none")
    p.add_argument("--config", metavar="FILE",
                   help="use this config file (default: the one found from the root up)")
    p.add_argument("--no-config", action="store_true", help="ignore config files")


def main(argv=None, *, args=None):
    """Run the server on stdin/stdout until the client closes it. Exit status 2 when the
    `mcp` SDK is missing or the root is not a folder."""
    if args is None:
        args = _parser().parse_args(argv)
    try:
        _sdk()
    except ImportError:
        sys.stderr.write("infra-expert: the MCP server needs the `mcp` package: "
                         f"{INSTALL_HINT}\n")
        return 2
    root = os.path.realpath(args.root or os.getcwd())
    if not os.path.isdir(root):
        from infra_expert.report import visible
        sys.stderr.write(f"infra-expert: mcp: --root {visible(args.root)}: not a folder\n")
        return 2
    config_file = os.path.abspath(args.config) if args.config else None
    if config_file and not os.path.isfile(config_file):
        from infra_expert.report import visible
        sys.stderr.write(f"infra-expert: mcp: --config {visible(args.config)}: "
                         "no such config file\n")
        return 2
    os.chdir(root)                # paths in every answer are relative to the root
    expert = Expert(root, config_file=config_file, use_config=not args.no_config,
                    host=args.host)
    server = build_server(expert)
    server.run("stdio")
    return 0


if __name__ == "__main__":
    sys.exit(main())
