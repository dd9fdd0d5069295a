"""GitLab CI and Woodpecker pipelines, loaded into the shared model (Workflow, Job, Step)
so that the rules written for GitHub Actions read them through the same interface.

GitLab (kind "gitlab"): `.gitlab-ci.yml` and the files it includes locally. One Job per
job (hidden `.name` templates and the global keywords are not jobs), each with ONE Step
whose `scripts()` are the `before_script`, `script` and `after_script` lines the job runs,
after `extends:`, `default:`, the old top-level `image`/`before_script`/… and
`!reference` tags are resolved, each line with its own file and line.

Local includes (`include: 'ci/a.yml'`, `include: [{local: …}]`, wildcards `ci/*.yml`) are
read through the run's file gate, relative to the folder of the `.gitlab-ci.yml` (the
repository's root): never outside it, never through a link that leaves the reviewed tree,
never over the size cap. Remote, project, template and component includes are noted and
never fetched; a pipeline that has them may get jobs and templates from there, so a job
that extends an unknown template or has no `script` is not called broken then.

Woodpecker (kind "woodpecker"): `.woodpecker.yml`/`.woodpecker.yaml` and each YAML file in
`.woodpecker/`. One file is one workflow: ONE Job (its id: the file's name without the
extension) whose Steps are the file's `steps:` (a list or a mapping; the old `pipeline:`
key too).
"""

from __future__ import annotations

import os
import re

from infra_expert.lazyre import lazy_re
from infra_expert.pipeline.model import Job, Step, Workflow, text
from infra_expert.yamlsafe import Tagged, YMap, YSeq, YamlError, load_all, new_map

# Top-level keys of a GitLab pipeline that are not jobs.
GITLAB_GLOBALS = frozenset({"stages", "types", "variables", "workflow", "default", "include",
                            "image", "services", "before_script", "after_script", "cache",
                            "spec"})
# What `default:` gives every job that does not set it (GitLab's list).
DEFAULT_KEYS = ("after_script", "artifacts", "before_script", "cache", "hooks", "id_tokens",
                "image", "interruptible", "retry", "services", "tags", "timeout")
# The old top-level form of some of them.
LEGACY_GLOBALS = ("image", "services", "cache", "before_script", "after_script")
SCRIPT_KEYS = ("before_script", "script", "after_script")
MAX_INCLUDES = 150          # GitLab's default limit of included files per pipeline
MAX_EXTENDS_DEPTH = 11      # GitLab: `extends` nests at most 11 levels
MAX_REFERENCE_DEPTH = 10    # GitLab: `!reference` nests at most 10 levels
MAX_WILDCARD_FILES = 5000   # files looked at when a wildcard include is expanded
_WALK_SKIP = frozenset({".git", "node_modules", "vendor", ".venv", "venv", "__pycache__"})
_URL = lazy_re(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_YAML_EXT = (".yml", ".yaml")
REFUSED = object()     # what `read` returns for a file the gate would not read


class ScriptLine(tuple):
    """One `(line, text)` pair of `step.scripts()`, with `path`: the file the line is in
    (an included file, or the file of a template the job extends)."""

    def __new__(cls, line, text_, path):
        pair = tuple.__new__(cls, (line, text_))
        pair.path = path
        return pair


class CIStep(Step):
    """A GitLab job's one step, or a Woodpecker step. `path`: the file the job or step is
    written in; a finding about it gives `path=step.path`."""

    __slots__ = ("path", "kind", "step_name", "_scripts", "_image", "_env", "_with")

    def __init__(self, node, job, index, *, path, kind, name, scripts, image, env, with_):
        super().__init__(node, job, index)
        self.path = path
        self.kind = kind
        self.step_name = name
        self._scripts = scripts
        self._image = image
        self._env = env
        self._with = with_

    @property
    def name(self):
        return self.step_name

    @property
    def uses(self):
        return None

    @property
    def run(self):
        return None

    @property
    def with_(self):
        return self._with

    @property
    def env(self):
        return self._env

    @property
    def image(self):
        return self._image

    def label(self):
        return f"job `{self.step_name}`" if self.kind == "gitlab" else f"step `{self.step_name}`"

    def scripts(self):
        return list(self._scripts)

    def where(self, key):
        """(path, line) of a key of the step's mapping, in the file that wrote it."""
        source, line = self.node.where(key)
        return source or self.path, line

    def locate(self, start, needle, nth=0, path=None):
        """Like `Workflow.locate`, in the file of this step (or `path`)."""
        return self.job.workflow.locate(start, needle, nth, path=path or self.path)


class CIJob(Job):
    __slots__ = ("path", "_line")

    def __init__(self, job_id, node, workflow, path, line):
        super().__init__(job_id, node, workflow)
        self.path = path
        self._line = line

    @property
    def line(self):
        return self._line

    @property
    def uses(self):
        return None

    def environment(self):
        if self.workflow.kind != "gitlab":
            return None      # Woodpecker's `environment:` is the step's variables
        return super().environment()

    def runs_on(self):
        return []


class CIWorkflow(Workflow):
    """A GitLab or Woodpecker pipeline. `files`: the local files it includes (read);
    `remote_includes`: [(line, what)] includes that are not read (remote, project,
    template, component)."""

    __slots__ = ("files", "texts", "remote_includes", "included_by")

    def __init__(self, root, path, kind, text_):
        super().__init__(root, path, kind, text_)
        self.files = []
        self.texts = {path: self.lines}
        self.remote_includes = []
        self.included_by = None

    def lines_of(self, path):
        return self.texts.get(path, self.lines)

    def locate(self, start, needle, nth=0, path=None):
        lines = self.lines_of(path) if path else self.lines
        seen = 0
        for i in range(max(start - 1, 0), len(lines)):
            count = lines[i].count(needle)
            if seen + count > nth:
                return i + 1
            seen += count
        return start


def stub(path, kind, text_, included_by):
    """The model of a file another pipeline includes: reviewed with it (its jobs carry
    their own lines), nothing of its own."""
    flow = CIWorkflow(new_map(path), path, kind, text_)
    flow.included_by = included_by
    return flow


# -- reading -----------------------------------------------------------------------------

def _parse(text_, path):
    """(root mapping or None, problem or None) of a GitLab/Woodpecker file. A GitLab file
    may start with a `spec:` header document, then `---` and the configuration."""
    try:
        docs = load_all(text_, path, core=True)
    except YamlError as exc:
        return None, (exc.line, exc.message)
    roots = [d for d in docs if d is not None]
    if roots and isinstance(roots[0], YMap) and set(roots[0]) == {"spec"} and len(roots) > 1:
        roots = roots[1:]
    if not roots:
        return new_map(path), None          # empty: nothing to run, nothing to say
    root = roots[0]
    if not isinstance(root, YMap):
        return None, (getattr(root, "line", 1), "the file is not a YAML mapping")
    return root, None


def _overlay(base, top):
    """A new mapping: `base` deep-merged under `top` (GitLab's merge of includes and
    `extends`: mappings merge key by key, anything else is replaced). Positions and the
    file each key came from are kept."""
    out = new_map(top.source, top.line, top.column)
    for src in (base, top):
        for key, value in src.items():
            if src is top and key in out and isinstance(value, YMap) \
                    and isinstance(out[key], YMap):
                value = _overlay(out[key], value)
            out[key] = value
            out.key_pos[key] = src.key_pos.get(key, (src.line, src.column))
            out.value_pos[key] = src.value_pos.get(key, out.key_pos[key])
            source = src.key_source.get(key, src.source) if src._key_source else src.source
            if source != out.source:
                out.key_source[key] = source
            elif key in out.key_source:
                del out.key_source[key]
    return out


def _with_key(node, key, value, giver):
    """A copy of `node` with `key` set from the mapping `giver` (positions and file)."""
    out = _overlay(new_map(node.source, node.line, node.column), node)
    out[key] = value
    out.key_pos[key] = giver.key_pos.get(key, (giver.line, giver.column))
    out.value_pos[key] = giver.value_pos.get(key, out.key_pos[key])
    source = giver.key_source.get(key, giver.source) if giver._key_source else giver.source
    if source != out.source:
        out.key_source[key] = source
    return out


class _Includes:
    """Reads the local includes of one GitLab pipeline through `read(path) -> text | None`
    (the gate), relative to `base` (the repository root: the main file's folder)."""

    def __init__(self, flow, base_disp, base_abs, read, listdir):
        self.flow = flow
        self.base_disp, self.base_abs = base_disp, base_abs
        self.read, self.listdir = read, listdir
        self.seen = set()
        self.roots = []        # (display path, root) of included files, in merge order
        self.count = 0
        self.over = False       # the include limit was crossed (said once)

    def follow(self, root, path):
        value = root.get("include")
        if value is None:
            return
        line = root.pos_of("include")[0]
        items = value if isinstance(value, YSeq) else [value]
        positions = value.item_pos if isinstance(value, YSeq) else [(line, 1)]
        for item, pos in zip(items, positions):
            self._one(item, pos[0], path)

    def _one(self, item, line, path):
        flow = self.flow
        local = None
        if isinstance(item, str):
            if _URL.match(item.strip()):
                flow.remote_includes.append((line, item.strip()))
                return
            local = item.strip()
        elif isinstance(item, YMap):
            if "local" in item and isinstance(item["local"], str):
                local = item["local"].strip()
                line = item.pos_of("local")[0]
            else:
                what = next((k for k in ("remote", "project", "template", "component")
                             if k in item), "include")
                flow.remote_includes.append((line, f"{what}: {text(item.get(what))}"))
                return
        if not local:
            return
        if "$" in local:
            flow.remote_includes.append((line, f"local: {local}"))   # a variable: unknown
            return
        rel = local.lstrip("/")
        if "*" in rel:
            for found in self._expand(rel):
                self._read(found, line, path, shown=found, wildcard=True)
            return
        if not rel.endswith(_YAML_EXT):
            flow.problems.append((line, f"local include `{local}` does not have a YAML "
                                        "extension (`.yml`/`.yaml`): GitLab refuses it",
                                  path))
            return
        self._read(rel, line, path, shown=local)

    def _read(self, rel, line, path, shown, wildcard=False):
        flow = self.flow
        norm = os.path.normpath(rel)
        if norm.startswith("..") or os.path.isabs(norm):
            flow.problems.append((line, f"local include `{shown}` leaves the repository: "
                                        "GitLab reads only files in it", path))
            return
        disp = os.path.normpath(os.path.join(self.base_disp, norm))
        if disp in self.seen or disp == flow.path:
            return      # GitLab includes a file once
        if self.count >= MAX_INCLUDES:
            if not self.over:       # said once, where the limit is crossed
                self.over = True
                flow.problems.append((line, f"more than {MAX_INCLUDES} included files: "
                                            "GitLab refuses the pipeline", path))
            return
        text_ = self.read(disp, os.path.join(self.base_abs, norm))
        if text_ is REFUSED:
            return      # the gate said why, in a notice
        if text_ is None:
            if not wildcard:
                flow.problems.append((line, f"local include `{shown}` does not exist: GitLab "
                                            "refuses the pipeline", path))
            return
        self.seen.add(disp)
        self.count += 1
        flow.files.append(disp)
        flow.texts[disp] = text_.split("\n")
        root, problem = _parse(text_, disp)
        if problem is not None:
            flow.problems.append((problem[0], problem[1], disp))
            return
        self.follow(root, disp)          # nested includes first: the file overrides them
        self.roots.append((disp, root))

    def _expand(self, pattern):
        """Files of the repository matching a GitLab wildcard (`*` within a folder, `**`
        across folders), walked through the gate's listing, bounded."""
        parts = []
        for piece in re.split(r"(\*\*/|\*\*|\*)", pattern):
            parts.append({"**/": "(?:.*?/)?", "**": ".*?", "*": "[^/]*?"}.get(
                piece, re.escape(piece)))
        rx = re.compile("^" + "".join(parts) + "$")
        found, stack, looked = [], [""], 0
        while stack and looked < MAX_WILDCARD_FILES:
            rel_dir = stack.pop()
            for name in self.listdir(os.path.join(self.base_abs, rel_dir)):
                looked += 1
                rel = f"{rel_dir}{name}"
                full = os.path.join(self.base_abs, rel)
                if os.path.islink(full):
                    continue
                if os.path.isdir(full):
                    if name not in _WALK_SKIP:
                        stack.append(rel + "/")
                elif rx.match(rel):
                    found.append(rel)
        return sorted(found)


# -- GitLab --------------------------------------------------------------------------------

def load_gitlab(text_, path, read=None, listdir=None, base_abs=None):
    """The pipeline in `text_` (a `.gitlab-ci.yml` at `path`) with its local includes,
    read by `read(display path, absolute path) -> text | None`. Problems are (line,
    message) in this file or (line, message, path) in an included one."""
    root, problem = _parse(text_, path)
    if problem is not None:
        flow = CIWorkflow(new_map(path), path, "gitlab", text_)
        flow.problems.append(problem)
        return flow
    flow = CIWorkflow(root, path, "gitlab", text_)
    includes = _Includes(flow, os.path.dirname(path), base_abs or os.path.dirname(
        os.path.abspath(path)), read or (lambda disp, full: None), listdir or (lambda d: []))
    includes.follow(root, path)
    merged = root
    if includes.roots:
        merged = new_map(path, root.line, root.column)
        for _, included in includes.roots:
            merged = _overlay(merged, included)
        merged = _overlay(merged, root)
    _gitlab_jobs(flow, merged)
    return flow


def _gitlab_jobs(flow, root):
    unknown_sources = bool(flow.remote_includes)
    resolver = _Extends(root, flow, lenient=unknown_sources)
    default = root.get("default") if isinstance(root.get("default"), YMap) else None
    variables = root.get("variables") if isinstance(root.get("variables"), YMap) else None
    for job_id, node in root.items():
        name = str(job_id)
        if name in GITLAB_GLOBALS or name.startswith("."):
            continue
        key_path, key_line = root.where(job_id)
        key_path = key_path or flow.path
        if not isinstance(node, YMap):
            flow.problems.append((key_line, f"`{name}` is not a job: a top-level key that is "
                                            "not a GitLab keyword must be a job mapping "
                                            "(hide a template as `.name`)", key_path))
            continue
        effective = resolver.resolve(name)
        if effective is None:
            continue        # a broken `extends`, said already
        if not unknown_sources and not any(k in effective for k in ("script", "trigger",
                                                                      "run")):
            flow.problems.append((key_line, f"job `{name}` has no `script` (nor `trigger`): "
                                            "GitLab refuses the pipeline", key_path))
        effective = _inherit(effective, root, default)
        job = CIJob(name, effective, flow, key_path, key_line)
        job.steps = [CIStep(effective, job, 0, path=key_path, kind="gitlab", name=name,
                            scripts=_gitlab_scripts(effective, root, flow, key_path),
                            image=_image(effective.get("image")),
                            env=_variables(effective, variables), with_=new_map())]
        flow.jobs.append(job)


def _inherit(job, root, default):
    """`job` with what `default:` (or the old top-level keywords) gives it, unless it sets
    the key itself or `inherit: default:` says no."""
    inherit = job.get("inherit")
    allowed = None
    if isinstance(inherit, YMap):
        value = inherit.get("default")
        if value is False:
            return job
        if isinstance(value, YSeq):
            allowed = {str(v) for v in value}
    for key in DEFAULT_KEYS:
        if key in job or (allowed is not None and key not in allowed):
            continue
        if default is not None and key in default:
            job = _with_key(job, key, default[key], default)
        elif key in LEGACY_GLOBALS and key in root:
            job = _with_key(job, key, root[key], root)
    return job


def _variables(job, globals_):
    """The job's `variables:` over the pipeline's (unless `inherit: variables: false`)."""
    own = job.get("variables") if isinstance(job.get("variables"), YMap) else None
    inherit = job.get("inherit")
    take = globals_
    if isinstance(inherit, YMap) and globals_ is not None:
        value = inherit.get("variables")
        if value is False:
            take = None
        elif isinstance(value, YSeq):
            keep = {str(v) for v in value}
            take = new_map(globals_.source, globals_.line, globals_.column)
            for k, v in globals_.items():
                if k in keep:
                    take = _with_key(take, k, v, globals_)
    if take is None:
        return own if own is not None else new_map()
    return _overlay(take, own) if own is not None else take


def _image(value):
    if isinstance(value, YMap):
        value = value.get("name")
    return value.strip() if isinstance(value, str) and value.strip() else None


class _Extends:
    """Resolves `extends:` (a name or a list; later parents win, the job wins over all;
    mappings merge deeply), within the merged pipeline."""

    def __init__(self, root, flow, lenient):
        self.root, self.flow, self.lenient = root, flow, lenient
        self.done = {}

    def resolve(self, name, chain=()):
        if name in self.done:
            return self.done[name]
        node = self.root.get(name)
        path, _ = self.root.where(name)
        path = path or self.flow.path
        if not isinstance(node, YMap):
            return None
        parents = node.get("extends")
        if parents is None:
            self.done[name] = node
            return node
        names = [parents] if isinstance(parents, str) else [
            p for p in parents if isinstance(p, str)] if isinstance(parents, YSeq) else []
        ext_path, ext_line = node.where("extends")
        ext_path = ext_path or path
        if len(chain) >= MAX_EXTENDS_DEPTH:
            self.flow.problems.append((ext_line, f"`{name}`: `extends` nests more than "
                                                 f"{MAX_EXTENDS_DEPTH} levels", ext_path))
            self.done[name] = None
            return None
        merged = new_map(node.source, node.line, node.column)
        for parent in names:
            if parent == name or parent in chain:
                self.flow.problems.append((ext_line, f"`{name}`: `extends: {parent}` is "
                                                     "circular: GitLab refuses the pipeline",
                                           ext_path))
                self.done[name] = None
                return None
            if not isinstance(self.root.get(parent), YMap):
                if self.lenient:
                    continue    # it may come from a remote/project/template include
                self.flow.problems.append((ext_line, f"`{name}`: `extends: {parent}` names no "
                                                     "job or template in the pipeline: GitLab "
                                                     "refuses it", ext_path))
                self.done[name] = None
                return None
            resolved = self.resolve(parent, chain + (name,))
            if resolved is None:
                self.done[name] = None
                return None
            merged = _overlay(merged, resolved)
        out = _overlay(merged, node)
        self.done[name] = out
        return out


def _gitlab_scripts(job, root, flow, job_path):
    pairs = []
    for key in SCRIPT_KEYS:
        if key not in job:
            continue
        source, _ = job.where(key)
        source = source or job_path
        value = job[key]
        line = job.value_pos.get(key, job.pos_of(key))[0]
        _flatten(value, line, source, root, flow, pairs, 0)
    return pairs


def _flatten(value, line, source, root, flow, out, depth):
    """Script items, nested lists flattened and `!reference [job, key]` resolved."""
    if depth > MAX_REFERENCE_DEPTH:
        problem = (line, f"`!reference` nests more than {MAX_REFERENCE_DEPTH} levels (or "
                         "refers back to itself): GitLab refuses the pipeline", source)
        if problem not in flow.problems:
            flow.problems.append(problem)
        return
    if isinstance(value, YSeq):
        if value.tag == "!reference":
            target = _reference(value, root)
            if target is not None:
                node, key = target
                src, _ = node.where(key)
                pos = node.value_pos.get(key, node.pos_of(key))[0]
                _flatten(node[key], pos, src or source, root, flow, out, depth + 1)
            return
        src = value.source or source
        for item, pos in zip(value, value.item_pos):
            _flatten(item, pos[0], src, root, flow, out, depth)   # only references count
        return
    if value is None or isinstance(value, (YMap, bool)):
        return
    if isinstance(value, Tagged):
        return
    script = value if isinstance(value, str) else str(value)
    out.append(ScriptLine(_content_line(flow, source, line, script), script, source))


def _reference(seq, root):
    """(mapping, key) that `!reference [a, b, c]` points at, or None."""
    keys = [str(k) for k in seq]
    if len(keys) < 2:
        return None
    node = root
    for k in keys[:-1]:
        node = node.get(k) if isinstance(node, YMap) else None
    if not isinstance(node, YMap) or keys[-1] not in node:
        return None
    return node, keys[-1]


def _content_line(flow, path, line, script):
    """The line where a script item's text starts: a block scalar (`- |`) starts on the
    line after its indicator."""
    if "\n" not in script.rstrip("\n"):
        return line
    lines = flow.lines_of(path)
    first = next((s.strip() for s in script.split("\n") if s.strip()), "")
    if not first:
        return line
    for i in range(line - 1, min(len(lines), line + 50)):
        if first in lines[i]:
            return i + 1
    return line


# -- Woodpecker ----------------------------------------------------------------------------

def load_woodpecker(text_, path):
    root, problem = _parse(text_, path)
    if problem is not None:
        flow = CIWorkflow(new_map(path), path, "woodpecker", text_)
        flow.problems.append(problem)
        return flow
    flow = CIWorkflow(root, path, "woodpecker", text_)
    if not root:
        return flow
    key = "steps" if "steps" in root else "pipeline" if "pipeline" in root else None
    if key is None:
        flow.problems.append((root.line, "no `steps:`: Woodpecker has nothing to run"))
        return flow
    steps = root[key]
    name = os.path.basename(path)
    for ext in _YAML_EXT:
        if name.endswith(ext):
            name = name[:-len(ext)]
    job = CIJob(name.lstrip(".") or "woodpecker", root, flow, path, root.pos_of(key)[0])
    flow.jobs_node = None
    flow.jobs.append(job)
    if isinstance(steps, YMap):
        items = [(str(k), v, steps.pos_of(k)[0]) for k, v in steps.items()]
    elif isinstance(steps, YSeq):
        items = [(None, v, pos[0]) for v, pos in zip(steps, steps.item_pos)]
    else:
        flow.problems.append((root.pos_of(key)[0], f"`{key}:` must be a list or a mapping "
                                                   "of steps"))
        return flow
    for i, (step_name, node, line) in enumerate(items):
        label = step_name or (text(node.get("name")) if isinstance(node, YMap) else "") \
            or str(i + 1)
        if not isinstance(node, YMap):
            flow.problems.append((line, f"step `{label}` is not a mapping"))
            continue
        image = node.get("image")
        if not (isinstance(image, str) and image.strip()):
            flow.problems.append((node.pos_of("image")[0] if "image" in node else line,
                                  f"step `{label}` has no `image:`: Woodpecker refuses it"))
        pairs = []
        commands = node.get("commands")
        if commands is not None:
            _flatten(commands, node.value_pos.get("commands", node.pos_of("commands"))[0],
                     path, root, flow, pairs, 0)
        settings = node.get("settings")
        env = node.get("environment")
        job.steps.append(CIStep(node, job, i, path=path, kind="woodpecker", name=label,
                                scripts=pairs, image=_image(image),
                                env=env if isinstance(env, YMap) else new_map(),
                                with_=settings if isinstance(settings, YMap) else new_map()))
    return flow


# -- the run: documents, the gate ------------------------------------------------------------

def _texts(ctx):
    """{normalised display path: text} of the files GitLab pipelines included in this run."""
    return {}


def _included(ctx):
    """{real path: display path of the pipeline that includes it}."""
    return {}


_INCLUDED = {}      # (pipeline, its mtime and size, the gate's roots) -> included real paths


def includes_file(pipeline, target, gate):
    """True when the `.gitlab-ci.yml` at `pipeline` includes the file `target` locally
    (directly, nested, or by a wildcard); every read through `gate`. The pipeline is
    loaded once for the files staged beside each other (pre-commit)."""
    from infra_expert.fsgate import Refused
    try:
        st = os.stat(pipeline)
    except OSError:
        return False
    key = (os.path.realpath(pipeline), st.st_mtime_ns, st.st_size, gate.roots)
    found = _INCLUDED.get(key)
    if found is None:
        def read(disp, full):
            try:
                return gate.read_text(full)
            except Refused:
                return None
        text_ = read(pipeline, pipeline)
        base_abs = os.path.dirname(os.path.abspath(pipeline))
        flow = load_gitlab(text_, ".gitlab-ci.yml", read, gate.listdir, base_abs) \
            if text_ is not None else None
        found = frozenset(os.path.realpath(os.path.join(base_abs, disp))
                          for disp in (flow.files if flow is not None else ()))
        if len(_INCLUDED) > 64:
            _INCLUDED.clear()
        _INCLUDED[key] = found
    return os.path.realpath(target) in found


def load_gitlab_documents(docs, ctx):
    """Load every `.gitlab-ci.yml` with its local includes (through the gate); a file one
    of them includes is reviewed with it (its model a stub). Returns [(doc, error)]."""
    from infra_expert.fsgate import MISSING, Refused
    from infra_expert.model import Notice
    failures = []
    by_real = {os.path.realpath(d.abspath): d for d in ctx.documents
               if d.domain == "pipeline" and d.abspath}
    texts = ctx.index(_texts)
    included = ctx.index(_included)

    def read(disp, full):
        real = os.path.realpath(full)
        known = by_real.get(real)
        if known is not None:
            texts[os.path.normpath(known.path)] = known.text
            return known.text
        key = os.path.normpath(disp)
        if key in texts:
            return texts[key]
        try:
            value = ctx.gate.read_text(full)
        except Refused as exc:
            if exc.reason != MISSING:
                ctx.notices.append(Notice(disp, f"included file not read: {exc.describe()}"))
                return REFUSED
            return None
        texts[key] = value
        return value

    def listdir(directory):
        return ctx.gate.listdir(directory)

    mains = [d for d in docs if d.kind == "gitlab"]
    for doc in mains:
        try:
            base_abs = os.path.dirname(os.path.abspath(doc.abspath or doc.path))
            doc.model = load_gitlab(doc.text, doc.path, read, listdir, base_abs)
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on
            failures.append((doc, type(exc).__name__))
            continue
        base_disp = os.path.dirname(doc.path)
        for disp in doc.model.files:
            rel = os.path.relpath(disp, base_disp) if base_disp else disp
            real = os.path.realpath(os.path.join(base_abs, rel))
            included.setdefault(real, doc.path)
    for doc in docs:
        real = os.path.realpath(doc.abspath) if doc.abspath else None
        includer = included.get(real)
        if includer is not None and includer != doc.path:
            # reviewed with the pipeline that includes it
            doc.kind = "gitlab-include"
            doc.model = stub(doc.path, "gitlab-include", doc.text, includer)
        elif doc.kind == "gitlab-include":
            doc.model = stub(doc.path, "gitlab-include", doc.text, None)
    return failures


def included_documents(docs, ctx):
    """Documents for the included files not yet in the run (read already)."""
    from infra_expert.model import Document
    known = {os.path.realpath(d.abspath) for d in ctx.documents if d.abspath}
    texts = ctx.index(_texts)
    added = []
    for doc in docs:
        flow = doc.model
        if doc.kind != "gitlab" or flow is None:
            continue
        base_abs = os.path.dirname(os.path.abspath(doc.abspath or doc.path))
        base_disp = os.path.dirname(doc.path)
        for disp in flow.files:
            rel = os.path.relpath(disp, base_disp) if base_disp else disp
            full = os.path.join(base_abs, rel)
            real = os.path.realpath(full)
            text_ = texts.get(os.path.normpath(disp))
            if real in known or text_ is None:
                continue
            known.add(real)
            added.append(Document(disp, os.path.abspath(full), "pipeline", "gitlab-include",
                                  text_, doc.root))
    return added
