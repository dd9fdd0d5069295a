"""A GitHub Actions workflow (or a composite/Docker action) as the rules see it: the
triggers, permissions, jobs and steps, each with its line.

Read with the YAML 1.2 core schema, as GitHub reads it: `on:` stays the key `on` (a YAML
1.1 reader makes it the boolean True; that key is accepted too). What makes GitHub refuse
the file is kept in `problems` as (line, message), never raised.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from infra_expert.lazyre import lazy_re
from infra_expert.yamlsafe import YMap, YSeq, YamlError, load_all, new_map

# `owner/repo[/path]@ref`; `./local`; `docker://image`
_USES = lazy_re(r"^([^@\s]+?)(?:@([^\s]+))?$")
SHA = lazy_re(r"^[0-9a-f]{40}$")
_URL = lazy_re(r"^[a-z][a-z0-9+.-]*://([^/]+)/", re.IGNORECASE)
_VERSION = lazy_re(r"^v?(\d+)(?:\.\d+)*$")


_FORGE_DIRS = (".github", ".forgejo", ".gitea", ".woodpecker")


def repo_root(path):
    """The repository folder a pipeline file belongs to (absolute or display path, the same
    kind back): the folder above `.github/` (`.forgejo/`, `.gitea/`, `.woodpecker/`), else
    the file's own folder; "" for the current folder."""
    parts = path.replace("\\", "/").split("/")
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] in _FORGE_DIRS:
            return "/".join(parts[:i]) or ("/" if path.startswith("/") else "")
    return "/".join(parts[:-1]) or ("/" if path.startswith("/") else "")


def text(value):
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value))


class Uses:
    """A `uses:` reference: `kind` is "local", "docker", "action" or "workflow" (a
    reusable workflow); `owner`, `repo`, `ref` for the remote ones."""

    __slots__ = ("raw", "kind", "owner", "repo", "path", "ref", "host")

    def __init__(self, raw):
        self.raw = raw
        self.owner = self.repo = self.path = self.ref = self.host = ""
        if raw.startswith("./") or raw.startswith(".\\"):
            self.kind = "local"
            return
        if raw.startswith("docker://"):
            self.kind = "docker"
            self.ref = raw[len("docker://"):]
            return
        m = _USES.match(raw)
        name, self.ref = (m.group(1), m.group(2) or "") if m else (raw, "")
        url = _URL.match(name)
        if url:         # Forgejo/Gitea: `https://code.forgejo.org/actions/checkout@v4`
            self.host = url.group(1).lower()
            name = name[url.end():]
        parts = name.split("/")
        self.owner = parts[0].lower()
        self.repo = parts[1].lower() if len(parts) > 1 else ""
        self.path = "/".join(parts[2:])
        self.kind = "workflow" if self.path.endswith((".yml", ".yaml")) and \
            ".github/workflows" in self.path else "action"

    @property
    def name(self):
        """`owner/repo` (lower case), the action's identity."""
        return f"{self.owner}/{self.repo}"

    @property
    def pinned(self):
        if self.kind == "local":
            return True
        if self.kind == "docker":
            return "@sha256:" in self.ref
        return bool(SHA.match(self.ref))

    def major(self):
        """The major version of a `vN`/`vN.M` ref, or None."""
        m = _VERSION.match(self.ref) if self.ref else None
        return int(m.group(1)) if m else None


class Step:
    __slots__ = ("node", "job", "index", "_commands", "_uses")

    def __init__(self, node, job, index):
        self.node = node
        self.job = job
        self.index = index

    @property
    def line(self):
        return self.node.line

    def key_line(self, key):
        return self.node.pos_of(key)[0]

    def value_line(self, key):
        return self.node.value_pos.get(key, self.node.pos_of(key))[0]

    @property
    def name(self):
        return text(self.node.get("name")) or text(self.node.get("id"))

    @property
    def uses(self):
        """The step's `uses:` as a Uses (read once), or None."""
        try:
            return self._uses
        except AttributeError:
            raw = self.node.get("uses")
            self._uses = Uses(raw.strip()) if isinstance(raw, str) and raw.strip() else None
            return self._uses

    @property
    def run(self):
        value = self.node.get("run")
        return value if isinstance(value, str) else None

    @property
    def with_(self):
        value = self.node.get("with")
        return value if isinstance(value, YMap) else new_map()

    @property
    def env(self):
        value = self.node.get("env")
        return value if isinstance(value, YMap) else new_map()

    def label(self):
        name = self.name
        return f"step `{name}`" if name else f"step {self.index + 1}"

    def scripts(self):
        """[(line, shell text)] this step runs: GitHub's `run:` (its value's first line).
        GitLab and Woodpecker steps give one pair per script line, with its own line; the
        rules that read commands (curl | sh, docker push, kubectl, helm…) read only this."""
        run = self.run
        return [(self.value_line("run"), run)] if run is not None else []

    @property
    def image(self):
        """The container image the step itself runs in (Woodpecker, GitLab), or None."""
        return None


class Job:
    __slots__ = ("id", "node", "steps", "workflow")

    def __init__(self, job_id, node, workflow):
        self.id = job_id
        self.node = node
        self.workflow = workflow
        self.steps = []

    @property
    def line(self):
        return self.workflow.jobs_node.pos_of(self.id)[0] if self.workflow.jobs_node \
            is not None else self.node.line

    def key_line(self, key):
        return self.node.pos_of(key)[0]

    @property
    def uses(self):
        raw = self.node.get("uses")
        return Uses(raw.strip()) if isinstance(raw, str) and raw.strip() else None

    def environment(self):
        """(name, line) of the job's deployment `environment:` (a string or a mapping's
        `name`), or None: a protected environment is where approvals and deploy-only
        secrets live."""
        value = self.node.get("environment")
        if isinstance(value, YMap):
            value = value.get("name")
        if isinstance(value, str) and value.strip():
            return value.strip(), self.key_line("environment")
        return None

    def runs_on(self):
        """The runner labels (strings) of `runs-on`: a string, a list, or a `group`/
        `labels` mapping."""
        value = self.node.get("runs-on")
        if isinstance(value, YMap):
            value = value.get("labels")
        if isinstance(value, str):
            return [value.strip()]
        if isinstance(value, list):
            return [v.strip() for v in value if isinstance(v, str)]
        return []


class Workflow:
    """`kind`: "workflow" or "action". `triggers`: {event: its configuration or None}."""

    __slots__ = ("root", "path", "kind", "triggers", "triggers_line", "jobs", "jobs_node",
                 "problems", "lines")

    def __init__(self, root, path, kind, text_):
        self.root = root
        self.path = path
        self.kind = kind
        self.triggers = {}
        self.triggers_line = 1
        self.jobs = []
        self.jobs_node = None
        self.problems = []
        self.lines = text_.split("\n")

    def line_of(self, key):
        return self.root.pos_of(key)[0]

    @property
    def permissions(self):
        return self.root.get("permissions")

    def triggered_by(self, *events):
        return any(e in self.triggers for e in events)

    def steps(self):
        for job in self.jobs:
            yield from job.steps

    def lines_of(self, path=None):
        """The text lines of `path` (a GitLab pipeline's included file), or the flow's."""
        return self.lines

    def locate(self, start, needle, nth=0):
        """The line, from `start` on, of the `nth` occurrence of `needle` (a run script's
        expression is found in the text, whatever the scalar style); `start` if absent."""
        seen = 0
        for i in range(max(start - 1, 0), len(self.lines)):
            count = self.lines[i].count(needle)
            if seen + count > nth:
                return i + 1
            seen += count
        return start


def _triggers(value):
    """{event: configuration} of `on:` in its three shapes."""
    if isinstance(value, str):
        return {value.strip(): None}
    if isinstance(value, YSeq):
        return {v.strip(): None for v in value if isinstance(v, str)}
    if isinstance(value, YMap):
        return {str(k): v for k, v in value.items()}
    return {}


def loaded(doc):
    """The pipeline model of `doc` when it loaded without problems (a file the CI would
    refuse is CI001's alone), else None."""
    flow = doc.model
    return flow if flow is not None and not getattr(flow, "problems", None) else None


def load_workflow(text_, path, kind):
    """The Workflow in `text_`; a file GitHub would refuse has `problems`."""
    try:
        docs = load_all(text_, path, core=True)
    except YamlError as exc:
        flow = Workflow(new_map(path), path, kind, text_)
        flow.problems.append((exc.line, exc.message))
        return flow
    roots = [d for d in docs if d is not None]
    root = roots[0] if roots else None
    if root is None:
        return None     # empty or only comments: a workflow switched off, nothing to review
    if not isinstance(root, YMap):
        flow = Workflow(new_map(path), path, kind, text_)
        flow.problems.append((getattr(root, "line", 1), "the file is not a YAML mapping"))
        return flow
    flow = Workflow(root, path, kind, text_)
    if len(roots) > 1:
        flow.problems.append((getattr(roots[1], "line", 1), "more than one YAML document: "
                              "GitHub reads only a single one"))
    if kind == "action":
        _load_action(flow)
    else:
        _load_jobs(flow)
    return flow


def _load_action(flow):
    runs = flow.root.get("runs")
    if not isinstance(runs, YMap):
        flow.problems.append((flow.line_of("runs"), "`runs:` must be a mapping with `using`"))
        return
    job = Job("(action)", runs, flow)
    flow.jobs.append(job)
    steps = runs.get("steps")
    if isinstance(steps, YSeq):
        job.steps = [Step(s, job, i) for i, s in enumerate(steps) if isinstance(s, YMap)]


def _load_jobs(flow):
    root = flow.root
    on_key = "on" if "on" in root else (True if True in root else "True" if "True" in root
                                        else None)
    if on_key is None:
        flow.problems.append((root.line, "no `on:`: the workflow is never triggered"))
    else:
        flow.triggers = _triggers(root[on_key])
        flow.triggers_line = root.pos_of(on_key)[0]
    jobs = root.get("jobs")
    if not isinstance(jobs, YMap):
        flow.problems.append((flow.line_of("jobs"), "`jobs:` must be a mapping of jobs"
                              if "jobs" in root else "no `jobs:`"))
        return
    flow.jobs_node = jobs
    for job_id, node in jobs.items():
        if not isinstance(node, YMap):
            flow.problems.append((jobs.pos_of(job_id)[0], f"job `{job_id}` is not a mapping"))
            continue
        job = Job(str(job_id), node, flow)
        steps = node.get("steps")
        if isinstance(steps, YSeq):
            for i, (s, pos) in enumerate(zip(steps, steps.item_pos)):
                if isinstance(s, YMap):
                    job.steps.append(Step(s, job, i))
                else:
                    flow.problems.append((pos[0], f"job `{job_id}`: step {i + 1} is not "
                                          "a mapping"))
        elif "steps" in node:
            flow.problems.append((job.key_line("steps"), f"job `{job_id}`: `steps` must be "
                                  "a list"))
        elif "uses" not in node:
            flow.problems.append((job.line, f"job `{job_id}` has neither `steps` nor `uses`"))
        flow.jobs.append(job)


# -- the commands a step runs ------------------------------------------------------------

_EXPR = lazy_re(r"\$\{\{.*?\}\}", re.DOTALL)
EXPR_MARK = "__ciexpr"      # what a `${{ … }}` reads as in a parsed command's words
_BLOCK = lazy_re(r"[:-][ \t]*[|>][-+0-9]*[ \t]*(?:#.*)?$")


class ScriptCommand(NamedTuple):
    """A command a step runs: `line` in the file it is written in, `cmd` the parsed
    command (infra_expert.shell.Command; a `${{ … }}` in it reads `__ciexprN__`), `path`
    that file when it is not the pipeline's own (a GitLab include) else None, `script` the
    whole script it was read from (for a heredoc's body)."""
    line: int
    cmd: object
    path: str | None
    script: str


def masked(script):
    """`script` with every `${{ … }}` replaced by one plain word (the shell reader keeps
    it whole), and the expressions in order."""
    exprs = []

    def sub(m):
        exprs.append(m.group(0))
        return f"{EXPR_MARK}{len(exprs) - 1}__"
    return _EXPR.sub(sub, script), exprs


def line_in(lines, start, offset, name):
    """The file line of a command `offset` lines into a script whose value starts on
    `start` (a block scalar's text starts on the line after its `|`); checked against the
    text, since a folded scalar moves lines, else the first line from `start` naming it."""
    if not 1 <= start <= len(lines):
        return start
    guess = start + offset + (1 if _BLOCK.search(lines[start - 1]) else 0)
    if 1 <= guess <= len(lines) and name in lines[guess - 1]:
        return guess
    for i in range(start - 1, len(lines)):
        if name in lines[i]:
            return i + 1
    return start


def step_commands(flow, step):
    """Every command `step` runs (its `scripts()`, parsed once), as ScriptCommands in
    order; a script the shell reader cannot split gives none."""
    found = getattr(step, "_commands", None)
    if found is None:
        found = step._commands = list(_read_commands(flow, step))
    return found


def _read_commands(flow, step):
    from infra_expert.shell import commands
    for pair in step.scripts():
        start, script = pair
        if not isinstance(script, str) or not script.strip():
            continue
        path = getattr(pair, "path", None)
        path = path if path and path != flow.path else None
        try:
            cmds = commands(masked(script)[0])
        except Exception:  # noqa: BLE001 - a script the reader cannot split: not judged
            continue
        lines = flow.lines_of(path)
        for cmd in cmds:
            yield ScriptCommand(line_in(lines, start, cmd.line, cmd.name), cmd, path, script)
