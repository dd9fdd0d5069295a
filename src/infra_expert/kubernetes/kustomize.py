"""Kustomize: review what `kubectl kustomize` renders, mapped back to the source files.

The reviewed tree is untrusted, and kustomize can fetch, execute and read anywhere. So
before a kustomization is rendered, every kustomization it reaches (through `resources`,
`bases`, `components`) is read through the gate and vetted. It is not rendered at all, and
a notice names the reason, when:

- any string in it is a URL or a git/ssh reference (`://`, `git@`, `git::`, `gh:`,
  `github.com/`, `?ref=`, a `.git` path, `user@host:`...), whatever the field: kustomize
  would fetch it. Multi-line strings are content, not locations, and the data-only fields
  (`images`, `commonLabels`, `commonAnnotations`, `labels`, generator `literals`) are not
  read as references;
- it has `helmCharts`/`helmGlobals`, or `generators`/`transformers`/`validators` that are
  not builtin plugin configs (`apiVersion: builtin`, a known kind, no function annotation),
  or a folder of them: they would run programs;
- any string, taken as a path from its kustomization's folder (or absolute), names an
  existing file or folder whose real path is outside the reviewed roots ("refers outside
  the reviewed tree");
- a file it names is refused by the gate (size cap, not a regular file), or a YAML file it
  names (resources, patches, plugin configs, ...) or a multi-line YAML text with aliases
  fails our YAML loader or expands through aliases to more nodes than it has characters
  (kubectl expands an alias bomb without a bound);
- it reaches more than MAX_KUSTOMIZATIONS kustomizations or MAX_INPUT bytes of files.

A vetted tree is rendered by a kubectl found on an absolute PATH entry whose real path is
outside the reviewed tree (one inside it, or found through a relative entry such as `.`,
is never run, and a notice says so), in an environment built for it: PATH empty (kustomize
cannot exec git, ssh or helm), HOME, the working folder, XDG folders and TMPDIR in a fresh
temporary folder, a kubeconfig there that names no reachable server (with an empty one,
gcloud's kubectl dispatcher still connects to 127.0.0.1:8080), no proxy variables, stdin
closed, no plugin flags, the load restrictor at its default (root only). The child runs in
its own session under rlimits: MEMORY_LIMIT of address space, TIMEOUT seconds of CPU, no
file writes, no core dump, MAX_PROCESSES processes. One render gets at most TIMEOUT seconds
of wall time and all renders of one review TOTAL_TIMEOUT (the process group is killed
when either runs out), and at most
MAX_OUTPUT bytes of rendered YAML are read; either limit hit means no render, with a notice.

Rendered objects are matched to the reviewed source object of the same kind and name;
their findings point at that object's first line (fields move in a render). Bases that
another kustomization in the run includes are not rendered on their own. Without kubectl,
or when a render is refused or fails, the raw resources are reviewed as they are, and a
notice says so.
"""

from __future__ import annotations

import os
import re
import time

from infra_expert.fsgate import Refused
from infra_expert.kubernetes.model import load_manifest
from infra_expert.lazyre import lazy_re
from infra_expert.model import Notice
from infra_expert.yamlsafe import YamlError, YMap, YSeq, load_all

TIMEOUT = 60                   # seconds: wall time and CPU of one render
TOTAL_TIMEOUT = 600            # seconds: wall time of all renders of a review (a monorepo
                               # renders hundreds in ~30 s; a hostile tree stops here)
MEMORY_LIMIT = 2 << 30         # RLIMIT_AS: Go reserves ~700 MB of address space at start
MAX_PROCESSES = 4096           # RLIMIT_NPROC (counts the user's threads; not for root)
MAX_OUTPUT = 64 << 20          # bytes of rendered YAML read from kubectl
MAX_STDERR = 64 << 10          # bytes of kubectl's error output kept
MAX_KUSTOMIZATIONS = 256       # kustomizations one render may reach
MAX_INPUT = 64 << 20           # bytes of files one render may read
MAX_REFERENCE = 4096           # longer strings are not taken as paths

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
INCLUDES = ("resources", "bases", "components")
PLUGINS = ("generators", "transformers", "validators")
HELM = ("helmCharts", "helmGlobals", "helmChartInflationGenerator")
# Fields whose files kustomize parses as YAML (or JSON): they must pass our loader first.
YAML_FIELDS = INCLUDES + PLUGINS + ("crds", "configurations", "openapi", "patches",
                                    "patchesStrategicMerge", "patchesJson6902",
                                    "replacements")
YAML_SUFFIXES = (".yaml", ".yml", ".json")
# Values kustomize only copies into objects, never uses as a location.
DATA_FIELDS = frozenset(("images", "commonLabels", "commonAnnotations", "labels",
                         "literals"))
BUILTIN_PLUGINS = frozenset((
    "AnnotationsTransformer", "ConfigMapGenerator", "HashTransformer", "IAMPolicyGenerator",
    "ImageTagTransformer", "LabelTransformer", "NamespaceTransformer",
    "PatchJson6902Transformer", "PatchStrategicMergeTransformer", "PatchTransformer",
    "PrefixSuffixTransformer", "PrefixTransformer", "SuffixTransformer",
    "ReplacementTransformer", "ReplicaCountTransformer", "SecretGenerator",
    "SortOrderTransformer", "ValueAddTransformer"))
FUNCTION_ANNOTATIONS = ("config.kubernetes.io/function", "config.k8s.io/function")

_REMOTE_MARKS = ("://", "git::", "git@", "github.com/", "gitlab.com/", "bitbucket.org/",
                 "?ref=", "?version=", "?submodules=", "?timeout=", "_git/")
_REMOTE_FORMS = lazy_re(r"^gh:|\.git(?:$|[/?])|^[\w.-]+@[\w.-]+:", re.IGNORECASE)

# An unparseable server: client-go gives up before any socket is opened.
KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters:
- name: none
  cluster:
    server: "http://%zz"
contexts:
- name: none
  context:
    cluster: none
current-context: none
"""


class Unsafe(Exception):
    """A kustomization that is not rendered; the message says why, naming the reference."""


def _clip(text, limit=200):
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "..."


def is_remote(text):
    """A URL, or a git/ssh reference in any of the forms kustomize fetches."""
    low = text.lower()
    return any(mark in low for mark in _REMOTE_MARKS) or bool(_REMOTE_FORMS.search(text))


def _over(docs, limit):
    """True when the documents hold more than `limit` nodes once aliases are expanded.
    Stops counting at the limit, so an alias bomb costs no more than an honest file."""
    stack, count = list(docs), 0
    while stack:
        node = stack.pop()
        count += 1
        if isinstance(node, dict):
            count += len(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        if count > limit:
            return True
    return False


def _strings(node, skip=frozenset()):
    """Every string value in a tree (not the keys), leaving out the fields in `skip`."""
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            stack.extend(reversed([v for k, v in cur.items() if k not in skip]))
        elif isinstance(cur, list):
            stack.extend(reversed(cur))
        elif isinstance(cur, str):
            yield cur


def _paths(text):
    """What a string could name as a path: itself, and the part after `=` (`key=file`
    in generators). Multi-line strings are content, not locations."""
    if not text or len(text) > MAX_REFERENCE or "\n" in text or "\0" in text:
        return []
    return [text, text.split("=", 1)[1]] if "=" in text else [text]


class Vetting:
    """Walks the kustomizations a render would reach; raises Unsafe at the first reason
    not to render. `dirs` are the kustomization folders reached."""

    def __init__(self, gate, top):
        self.gate = gate
        self.top = top
        self.dirs = []
        self.files = {}      # real path -> its YAML documents, or None when only read
        self.read = 0

    def run(self):
        queue, seen = [self.top], set()
        while queue:
            directory = queue.pop(0)
            real = os.path.realpath(directory)
            if real in seen:
                continue
            seen.add(real)
            if len(seen) > MAX_KUSTOMIZATIONS:
                raise Unsafe(f"it reaches more than {MAX_KUSTOMIZATIONS} kustomizations")
            if not self.gate.inside(directory):
                raise Unsafe(f"refers outside the reviewed tree: `{self.shown(directory)}`")
            self.dirs.append(directory)
            queue.extend(self.kustomization(directory))
        return self.dirs

    def shown(self, path):
        return _clip(os.path.relpath(path, self.top))

    def kustomization(self, directory):
        """Vet the kustomization files of one folder; returns the folders it includes."""
        included = []
        for name in KUSTOMIZATION_FILES:
            path = os.path.join(directory, name)
            if not os.path.lexists(path):
                continue
            docs = self.yaml(path)
            data = docs[0] if docs and isinstance(docs[0], dict) else {}
            if data:
                for key, value in data.items():
                    self.references({key: value}, directory, key in YAML_FIELDS)
            self.references(docs[1:] if data else docs, directory, False)
            self.fields(data, directory, path)
            for key in INCLUDES:
                for item in _items(data.get(key)):
                    sub = os.path.normpath(os.path.join(directory, item))
                    if os.path.isdir(sub):
                        included.append(sub)
        return included

    def references(self, node, directory, yaml):
        for text in _strings(node, DATA_FIELDS):
            if "\n" not in text:      # multi-line text is content, never a location
                self.reference(text, directory, yaml)
        for text in _strings(node):
            if "\n" in text and "&" in text and "*" in text:
                self.inline_yaml(text, directory)

    def reference(self, text, directory, yaml):
        if is_remote(text):
            raise Unsafe(f"`{_clip(text)}` would be fetched from the network")
        for candidate in _paths(text):
            joined = os.path.join(directory, candidate)
            # Go cleans `a/../b` before the kernel sees it; the kernel follows `a` first.
            for path in dict.fromkeys((os.path.normpath(joined), joined)):
                if not os.path.lexists(path):
                    continue
                if not self.gate.inside(path):
                    raise Unsafe(f"refers outside the reviewed tree: `{_clip(text)}`")
                if not os.path.isdir(path):
                    self.file(path, yaml or path.lower().endswith(YAML_SUFFIXES))

    def fields(self, data, directory, path):
        """Fields that would run a program: Helm, and plugins that are not builtin."""
        for key in HELM:
            if data.get(key):
                raise Unsafe(f"`{key}` in `{self.shown(path)}` would run helm")
        for key in PLUGINS:
            value = data.get(key)
            for item in value if isinstance(value, list) else []:
                if isinstance(item, dict):
                    self.plugin(item, key, path)
                elif isinstance(item, str):
                    target = os.path.normpath(os.path.join(directory, item))
                    if os.path.isdir(target):
                        raise Unsafe(f"`{key}` entry `{_clip(item)}` is a kustomization of "
                                     "plugin configs")
                    if os.path.isfile(target):
                        docs = self.yaml(target)
                        for doc in docs:
                            if isinstance(doc, dict):
                                self.plugin(doc, key, target)
                        self.references(docs, directory, True)

    def plugin(self, config, key, path):
        api, kind = config.get("apiVersion"), config.get("kind")
        meta = config.get("metadata")
        notes = meta.get("annotations") if isinstance(meta, dict) else None
        function = isinstance(notes, dict) and any(a in notes for a in FUNCTION_ANNOTATIONS)
        if api != "builtin" or kind not in BUILTIN_PLUGINS or function:
            raise Unsafe(f"`{key}` in `{self.shown(path)}` names the plugin "
                         f"`{_clip(api, 60)}/{_clip(kind, 60)}`, which a review never runs")

    def file(self, path, yaml):
        if yaml:
            self.yaml(path)
        elif os.path.realpath(path) not in self.files:
            self.bytes(path)
            self.files[os.path.realpath(path)] = None

    def bytes(self, path):
        try:
            data = self.gate.read_bytes(path)
        except Refused as exc:
            raise Unsafe(f"`{self.shown(path)}` {exc.describe()}") from None
        self.read += len(data)
        if self.read > MAX_INPUT:
            raise Unsafe(f"it reads more than {MAX_INPUT:,} bytes of files")
        return data

    def yaml(self, path):
        real = os.path.realpath(path)
        if self.files.get(real) is None:
            text = self.bytes(path).decode("utf-8-sig", errors="replace")
            self.files[real] = self.parse(text, path, f"`{self.shown(path)}`")
        return self.files[real]

    def inline_yaml(self, text, directory):
        self.parse(text, None, f"a YAML text in `{self.shown(directory)}`")

    @staticmethod
    def parse(text, path, what):
        try:
            docs = load_all(text, path)
        except YamlError as exc:
            raise Unsafe(f"{what} is refused by the YAML reader: {exc.message}") from None
        if "*" in text and _over(docs, len(text) + 16):
            raise Unsafe(f"{what} expands through YAML aliases to more nodes than it has "
                         "characters")
        return docs


def _items(value):
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def vet(directory, gate):
    """The kustomization folders a render of `directory` reaches; raises Unsafe."""
    return Vetting(gate, directory).run()


# ------------------------------------------------------------------------ the child ----
def find_kubectl(gate, path=None):
    """(real path of kubectl, [why a kubectl was passed over]). Only absolute PATH entries
    are searched, and a kubectl whose real path is in the reviewed tree is never run."""
    passed = []
    for entry in (os.environ.get("PATH", "") if path is None else path).split(os.pathsep):
        candidate = os.path.join(entry or ".", "kubectl")
        if not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
            continue
        if not os.path.isabs(entry):
            passed.append(f"`{_clip(candidate)}` is not run: found through the relative "
                          f"PATH entry `{_clip(entry or '.')}`")
            continue
        real = os.path.realpath(candidate)
        if gate.inside(real):
            passed.append(f"`{_clip(candidate)}` is not run: it lies inside the reviewed tree")
            continue
        return real, passed
    return None, passed


def _environment(home):
    kubeconfig = os.path.join(home, "kubeconfig")
    with open(kubeconfig, "w", encoding="utf-8") as fh:
        fh.write(KUBECONFIG)
    return {"PATH": "", "HOME": home, "KUBECONFIG": kubeconfig, "TMPDIR": home,
            "XDG_CONFIG_HOME": os.path.join(home, ".config"),
            "XDG_CACHE_HOME": os.path.join(home, ".cache"), "LC_ALL": "C"}


def _limits():
    """In the child, before exec: bound memory, CPU, writes and processes."""
    import resource
    for which, value, hard in ((resource.RLIMIT_AS, MEMORY_LIMIT, MEMORY_LIMIT),
                               (resource.RLIMIT_CPU, TIMEOUT, TIMEOUT + 1),
                               (resource.RLIMIT_FSIZE, 0, 0),
                               (resource.RLIMIT_CORE, 0, 0),
                               (resource.RLIMIT_NPROC, MAX_PROCESSES, MAX_PROCESSES)):
        _, old = resource.getrlimit(which)
        if old != resource.RLIM_INFINITY:
            value, hard = min(value, old), min(hard, old)
        resource.setrlimit(which, (value, hard))


class Failed(Exception):
    """kubectl did not render; the message says why."""


def render(kubectl, directory, timeout):
    """The YAML that `kubectl kustomize directory` prints, run in the sandbox described in
    the module docstring. Raises Failed."""
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory(prefix="infra-expert-kustomize-") as home:
        env = _environment(home)
        try:
            proc = subprocess.Popen([kubectl, "kustomize", directory], stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                    cwd=home, start_new_session=True, preexec_fn=_limits)
        except (OSError, subprocess.SubprocessError) as exc:
            raise Failed(f"cannot start kubectl ({type(exc).__name__})") from None
        with proc:
            try:
                out, err = _collect(proc, time.monotonic() + timeout)
            except Failed:
                _kill(proc)
                raise
    if proc.returncode != 0:
        raise Failed(_reason(proc.returncode, err))
    return out.decode("utf-8", errors="replace")


def _collect(proc, deadline):
    """Read stdout (at most MAX_OUTPUT) and stderr (first MAX_STDERR kept) until both end
    and the child exits, or raise Failed at the deadline or the cap."""
    import selectors
    import subprocess
    out, err = bytearray(), bytearray()
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ, out)
        sel.register(proc.stderr, selectors.EVENT_READ, err)
        while sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failed("stopped: out of time")
            for key, _ in sel.select(left):
                chunk = os.read(key.fd, 1 << 16)
                if not chunk:
                    sel.unregister(key.fileobj)
                elif key.data is out:
                    out += chunk
                    if len(out) > MAX_OUTPUT:
                        raise Failed(f"output over {MAX_OUTPUT:,} bytes")
                elif len(err) < MAX_STDERR:
                    err += chunk[:MAX_STDERR - len(err)]
    try:
        proc.wait(max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        raise Failed("stopped: out of time") from None
    return bytes(out), bytes(err)


def _kill(proc):
    """Kill the child's whole process group (it is not reaped yet, so the id is ours)."""
    import signal
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    proc.wait()


def _reason(code, err):
    import signal
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    lines = err.decode("utf-8", errors="replace").strip().splitlines()
    # Go prints `fatal error: out of memory` first and a goroutine dump after it.
    lines = [ln for ln in lines if ln.startswith(("Error:", "error:", "fatal error:"))] \
        or lines[-1:] or ["unknown error"]
    return _clip(lines[0])


# ---------------------------------------------------------------------- the review ----
def _entries(ctx):
    """{id(kustomization document): its top mapping}."""
    return {}


def entries(doc, ctx):
    """A kustomization file's top mapping ({} when it does not parse), parsed once per
    run for the render and the rules that read it."""
    cache = ctx.index(_entries)
    if id(doc) not in cache:
        try:
            docs = load_all(doc.text, doc.path)
        except YamlError:
            docs = None
        cache[id(doc)] = docs[0] if docs and isinstance(docs[0], dict) else {}
    return cache[id(doc)]


def _listed_dirs(doc, ctx):
    """Directories a kustomization includes (resources/bases/components)."""
    data = entries(doc, ctx)
    here = os.path.dirname(doc.abspath)
    return [path for key in INCLUDES for item in _items(data.get(key))
            if os.path.isdir(path := os.path.normpath(os.path.join(here, item)))]


def render_all(kustomizations, manifests, ctx):
    """Render the top-level kustomizations. Returns notices; sets `doc.model` on each
    rendered kustomization and clears it on the source documents it covers."""
    notices = []
    bases = {d for k in kustomizations for d in _listed_dirs(k, ctx)}
    tops = [d for d in kustomizations if os.path.dirname(d.abspath) not in bases]
    if not tops:
        return notices
    kubectl, passed = find_kubectl(ctx.gate)
    notices.extend(Notice(tops[0].path, message) for message in passed)
    deadline = time.monotonic() + TOTAL_TIMEOUT
    for doc in tops:
        directory = os.path.dirname(doc.abspath)
        if kubectl is None:
            notices.append(Notice(doc.path, "kubectl not found: the resources of this "
                                            "kustomization are reviewed as they are, without "
                                            "its patches and transformers"))
            continue
        try:
            dirs = vet(directory, ctx.gate)
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failed(f"the {TOTAL_TIMEOUT} s time budget of the review is used up")
            text = render(kubectl, directory, min(left, TIMEOUT))
        except Unsafe as exc:
            notices.append(Notice(doc.path, f"not rendered: {exc}; local resources are "
                                            "reviewed as they are"))
            continue
        except Failed as exc:
            notices.append(Notice(doc.path, f"kubectl kustomize failed: {exc}; resources "
                                            "reviewed as they are"))
            continue
        _map_back(doc, load_manifest(text, doc.path), dirs, manifests)
    return notices


def _map_back(doc, rendered, dirs, manifests):
    sources = {}
    for m in manifests:
        if m.model is None or not any(os.path.abspath(m.abspath).startswith(r + os.sep)
                                      for r in dirs):
            continue
        for obj in m.model.objects:
            sources.setdefault((obj.kind, obj.name), (m, obj))
    covered = set()
    for obj in rendered.objects:
        found = sources.get((obj.kind, obj.name)) or _by_suffix(sources, obj)
        if found is not None:
            m, src = found
            obj.path, obj.line, obj.end_line = m.path, src.line, src.end_line
            _relocate(obj.data, src.data, m.path, (src.line, 1))
            covered.add(id(m))
        else:
            obj.path, obj.line, obj.end_line = doc.path, 1, 1
            _relocate(obj.data, None, doc.path, (1, 1))
    for m in manifests:
        if id(m) in covered:
            m.model = None     # reviewed through the render, not twice
    doc.model = rendered


def _relocate(node, src, path, fallback):
    """Move every position of a rendered node into the file it came from: a key or item
    that the source has takes the source's position, one that kustomize added (a patch,
    a label, a generated object) its nearest source ancestor's. The positions kubectl's
    output had are lines of the render, which no file has (line 72 of an 11-line
    kustomization)."""
    if isinstance(node, YMap):
        src = src if isinstance(src, YMap) else None
        node.line, node.column = (src.line, src.column) if src is not None else fallback
        node.source, node.key_source = path, {}
        here = (node.line, node.column)
        for key in list(node.key_pos):
            known = src is not None and key in src.key_pos
            node.key_pos[key] = src.key_pos[key] if known else here
            if key in node.value_pos:
                node.value_pos[key] = src.value_pos.get(key, src.key_pos[key]) if known \
                    else here
            _relocate(node[key], src[key] if known else None, path, node.key_pos[key])
    elif isinstance(node, YSeq):
        src = src if isinstance(src, YSeq) else None
        node.line, node.column = (src.line, src.column) if src is not None else fallback
        node.source = path
        here = (node.line, node.column)
        names = {}
        if src is not None:
            for j, item in enumerate(src):
                if isinstance(item, YMap) and "name" in item:
                    names.setdefault(str(item["name"]), j)
        for i, item in enumerate(node):
            j = None
            if src is not None:
                if isinstance(item, YMap) and "name" in item:
                    j = names.get(str(item["name"]))
                elif i < len(src):
                    j = i
            known = j is not None and j < len(src.item_pos)
            pos = src.item_pos[j] if known else here
            if i < len(node.item_pos):
                node.item_pos[i] = pos
            _relocate(item, src[j] if known else None, path, pos)


def _by_suffix(sources, obj):
    """Match a name that a namePrefix/nameSuffix changed (`prod-web` <- `web`)."""
    for (kind, name), found in sources.items():
        if kind == obj.kind and name and (obj.name.endswith("-" + name)
                                          or obj.name.startswith(name + "-")):
            return found
    return None
