"""A Compose project resolved the way Docker Compose v2 resolves it.

The main file, the override file beside it (or the list in `COMPOSE_FILE` from `.env`),
interpolation from `.env`, `include:`, `extends:`, YAML anchors and merge keys, and the
`!reset` / `!override` tags. Every mapping keeps the file and line each key came from,
so a finding points where the user must edit. All profiles are kept; each service
records the profiles it belongs to.
"""

from __future__ import annotations

import os

from infra_expert.compose.interpolate import LIMITS, EnvFile, interpolate, limit_message, parse_env
from infra_expert.expansion import Budget
from infra_expert.yamlsafe import Tagged, YamlError, YMap, YSeq, load_all, new_map

MAIN_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
OVERRIDES = {
    "compose.yaml": ("compose.override.yaml", "compose.override.yml"),
    "compose.yml": ("compose.override.yml", "compose.override.yaml"),
    "docker-compose.yaml": ("docker-compose.override.yaml", "docker-compose.override.yml"),
    "docker-compose.yml": ("docker-compose.override.yml", "docker-compose.override.yaml"),
}
MAX_INCLUDE_DEPTH = 8
# Compose files one project may load (its files, COMPOSE_FILE members, includes, extends
# files, each counted every time it is parsed): a hostile project cannot make the review
# parse without end. Real projects load a handful.
MAX_PROJECT_FILES = 64
# Links of one `extends` chain followed (each is a merge; real chains have two or three).
MAX_EXTENDS_DEPTH = 32
# Sequences that Compose merges by a key rather than by appending.
_REPLACE = {"command", "entrypoint", "test"}
_DICT_LIKE = {"environment", "labels", "extra_hosts", "sysctls", "annotations", "args"}


class Problem:
    """Something the loader met. `code` says how it is reported: most become findings of
    the Compose rules; "notice" (a cap was hit, a repeat was skipped) becomes a notice."""

    __slots__ = ("path", "line", "code", "message")

    def __init__(self, path, line, code, message):
        self.path, self.line, self.code, self.message = path, line, code, message


class Service:
    """One resolved service: its merged mapping, name, profiles and where it is defined."""

    __slots__ = ("name", "data", "profiles", "source", "line")

    def __init__(self, name, data, source, line):
        self.name = name
        self.data = data
        profiles = data.get("profiles") if isinstance(data, dict) else None
        self.profiles = [str(p) for p in profiles] if isinstance(profiles, list) else []
        self.source = source
        self.line = line

    def get(self, key, default=None):
        return self.data.get(key, default) if isinstance(self.data, dict) else default

    def where(self, key=None):
        """(file, line) of a key of this service, or of the service itself."""
        if key is not None and isinstance(self.data, YMap) and key in self.data.key_pos:
            return self.data.where(key)
        return self.source, self.line

    @property
    def label(self):
        return f"{self.name} (profile {', '.join(self.profiles)})" if self.profiles else self.name


class _Bounds:
    """What loading one project may still cost, shared with the projects it includes."""

    __slots__ = ("budget", "loads", "included", "reported")

    def __init__(self):
        self.budget = Budget()       # text that `${}` interpolation may still produce
        self.loads = 0               # Compose files parsed so far (MAX_PROJECT_FILES)
        self.included = set()        # real paths loaded through `include`
        self.reported = set()        # (path, kind) of the caps already reported


class Project:
    def __init__(self, directory, files, bounds=None):
        self.directory = directory
        self.files = files            # paths as the user would name them, in merge order
        self.env = EnvFile()
        self.root = new_map(files[0] if files else None)
        self.services = {}
        self.problems = []
        self.documented = set()       # variables a committed `.env.example` lists
        self.unresolved = set()       # services whose `extends` could not be followed here
        self.interpolated = {}        # file -> {variable names used}
        self.texts = {}               # file -> its text, for suppression comments
        self.bounds = bounds or _Bounds()
        self.extends_roots = {}       # real path -> root of a file that `extends` names
        # service name -> {(file, line): name of the extended service that set it}: a
        # finding there is about the extended service, said once at its source
        self.origins = {}
        self._inherited = {}          # (id(pool), name) -> the same, while resolving
        self.baseline = None          # an overlay: the project of its base file alone
        self.overlay = None           # an overlay: its own path

    def top(self, key):
        value = self.root.get(key)
        return value if isinstance(value, dict) else {}


def project_files(main_path, read):
    """The files of the project whose main file is `main_path`, and the .env."""
    directory = os.path.dirname(main_path)
    env_path = os.path.join(directory, ".env")
    env_text = read(env_path)
    env = parse_env(env_text, env_path) if env_text is not None else EnvFile()
    listed = env.values.get("COMPOSE_FILE")
    if listed:
        sep = env.values.get("COMPOSE_PATH_SEPARATOR", os.pathsep)
        files = [os.path.normpath(os.path.join(directory, f.strip()))
                 for f in listed.split(sep) if f.strip()]
        if files:
            return files, env
    files = [main_path]
    base = os.path.basename(main_path)
    for name in OVERRIDES.get(base, ()):
        candidate = os.path.join(directory, name)
        if read(candidate) is not None:
            files.append(candidate)
            break
    return files, env


def load_project(main_path, read, env=None, files=None, _depth=0, _bounds=None, _chain=()):
    """Resolve a project. `read(path)` returns text or None (no file).

    An included project shares its includer's `_bounds`; `_chain` holds the real paths of
    the files that include it, directly or not, so that a cycle is seen."""
    if files is None:
        files, env = project_files(main_path, read)
    project = Project(os.path.dirname(main_path), files, _bounds)
    project.env = env or EnvFile()
    project.documented = _documented_variables(project.directory, read)
    for path, lineno, message in ((project.env.path, ln, msg) for ln, msg in project.env.problems):
        project.problems.append(Problem(path, lineno, "env-syntax", message))
    for kind, lineno, message in project.env.limits:
        _notice_once(project, project.env.path, lineno, kind, message)
    merged = None
    for path in files:
        root = _load_file(project, path, read)
        if root is None:
            continue
        merged = root if merged is None else merge(merged, root)
    if merged is None:
        return project
    project.root = merged
    _include(project, read, _depth, _chain + tuple(os.path.realpath(f) for f in files))
    services = project.root.get("services")
    if isinstance(services, dict):
        for name in list(services):
            data = services[name]
            if isinstance(data, dict) and "extends" in data:
                data = _extends(project, name, data, services, read, set())
                services[name] = data
                origin = project._inherited.get((id(services), name))
                if origin:
                    project.origins[str(name)] = origin
            source, line = services.where(name)
            if data is not None and not isinstance(data, dict):
                # Compose refuses it; reported once (DC024), and no rule sees it.
                project.problems.append(Problem(source, line, "not-a-mapping",
                                                f"service `{name}` is not a mapping"))
                continue
            project.services[str(name)] = Service(str(name), data if data is not None else {},
                                                  source, line)
    return project


def _load_file(project, path, read, missing=None):
    """The interpolated root mapping of one Compose file, or None (problem recorded).
    `missing` is (file, line, message) to report when the file does not exist."""
    if project.bounds.loads >= MAX_PROJECT_FILES:
        _notice_once(project, path, 1, "files",
                     f"not loaded, nor any further file of this Compose project: it already "
                     f"loaded {MAX_PROJECT_FILES} files (through COMPOSE_FILE, `include` and "
                     "`extends`), the most infra-expert reads for one project",
                     key=(None, "files"))
        return None
    text = read(path)
    if text is None:
        where, line, message = missing or (
            project.files[0], 1, f"`{path}` is listed in COMPOSE_FILE but does not exist")
        refused = getattr(read, "refused", {}).get(os.path.normpath(path))
        if refused:
            message = f"`{path}` was not read: {refused}"
        project.problems.append(Problem(where, line, "missing-file", message))
        return None
    project.texts[path] = text
    project.bounds.loads += 1
    try:
        docs = load_all(text, path, core=True)
    except YamlError as exc:
        project.problems.append(Problem(path, exc.line, "yaml", exc.message))
        return None
    root = next((d for d in docs if isinstance(d, dict)), None)
    if root is None:
        if docs and docs[0] is not None:
            project.problems.append(Problem(path, 1, "not-a-mapping",
                                            "the file is not a YAML mapping of Compose keys"))
        return new_map(path)
    used = project.interpolated.setdefault(path, set())
    _interpolate_tree(project, root, path, used)
    return root


def _interpolate_tree(project, node, path, used):
    """Interpolate every string value in place (keys too, as Compose does for values only).
    A node that aliases share is interpolated once (twice would expand `$$` again)."""
    stack = [node]
    done = set()
    while stack:
        cur = stack.pop()
        if id(cur) in done:
            continue
        done.add(id(cur))
        if isinstance(cur, YMap):
            items = list(cur.items())
            for key, value in items:
                if isinstance(key, str) and key.startswith("x-") and cur is node:
                    continue   # top-level extension fields are not interpolated
                if isinstance(value, str) and "$" in value:
                    cur.raw[key] = value
                    cur[key] = _interp_value(project, value, path, cur.value_pos.get(key), used)
                elif isinstance(value, (YMap, YSeq)):
                    stack.append(value)
        elif isinstance(cur, YSeq):
            for i, value in enumerate(cur):
                if isinstance(value, str) and "$" in value:
                    pos = cur.item_pos[i] if i < len(cur.item_pos) else None
                    cur.raw[i] = value
                    cur[i] = _interp_value(project, value, path, pos, used)
                elif isinstance(value, (YMap, YSeq)):
                    stack.append(value)


# Exported by every login shell that runs `docker compose`; not worth a finding. (UID is
# deliberately absent: bash sets it but does not export it, a classic surprise.)
SHELL_VARIABLES = frozenset({"PWD", "HOME", "USER", "LOGNAME", "PATH", "SHELL", "TERM",
                             "LANG"})


# Templates of `.env` that a project commits instead of its secrets.
ENV_EXAMPLES = (".env.example", ".env.sample", ".env.dist", ".env.template", "example.env",
                ".env.defaults")


def _documented_variables(directory, read):
    """Names a committed `.env` template lists: variables the project expects the deployer
    to set (in the untracked `.env` or the environment)."""
    names = set()
    for name in ENV_EXAMPLES:
        text = read(os.path.join(directory, name))
        if text is not None:
            names.update(parse_env(text, name).values)
    return names


def _interp_value(project, value, path, pos, used):
    result, problems = interpolate(value, project.env.values, project.bounds.budget)
    for name, kind in problems:
        if kind in LIMITS:
            _notice_once(project, path, pos[0] if pos else 1, kind, limit_message(kind))
            continue
        used.add(name)
        if kind == "unset" and name in SHELL_VARIABLES:
            continue
        if name in project.documented:
            continue   # listed in `.env.example`: provided where it is deployed, on purpose
        if kind == "required":
            project.problems.append(Problem(path, pos[0] if pos else 1, "required-var",
                                            f"`${{{name}:?…}}` is required but `{name}` is not "
                                            "set in .env: `docker compose up` refuses to start"))
        else:
            project.problems.append(Problem(path, pos[0] if pos else 1, "unset-var",
                                            f"`{name}` is not set in .env: Compose substitutes "
                                            "an empty string"))
    if isinstance(value, Tagged):
        tagged = Tagged(result)
        tagged.tag = value.tag
        return tagged
    return result


def _notice_once(project, path, line, kind, message, key=None):
    """A cap hit is told once per file and kind (or per `key`): a million cut values are
    one notice."""
    key = key or (path, kind)
    if key not in project.bounds.reported:
        project.bounds.reported.add(key)
        project.problems.append(Problem(path, line, "notice", message))


# ---------------------------------------------------------------------------- merging ----
def merge(base, override, key=None):
    """Compose's merge of `override` onto `base` (both from YAML), new objects."""
    if getattr(override, "tag", None) == "!reset":
        return None
    if getattr(override, "tag", None) == "!override":
        return override
    if isinstance(base, YMap) and isinstance(override, YMap):
        result = new_map(base.source, base.line, base.column)
        for k, v in base.items():
            result[k] = v
            result.key_pos[k] = base.key_pos.get(k, (base.line, base.column))
            result.value_pos[k] = base.value_pos.get(k, result.key_pos[k])
            if k in base.key_source:
                result.key_source[k] = base.key_source[k]
            if k in base.raw:
                result.raw[k] = base.raw[k]
        for k, v in override.items():
            if getattr(v, "tag", None) == "!reset":
                result.pop(k, None)
                result.key_pos.pop(k, None)
                continue
            # a service that a later file changes is still defined where the first has it
            stays = key == "services" and isinstance(result.get(k), YMap) \
                and isinstance(v, YMap) and getattr(v, "tag", None) != "!override"
            if k in result and getattr(v, "tag", None) != "!override":
                v = merge(result[k], v, k)
            result[k] = v
            if stays:
                continue
            result.key_pos[k] = override.key_pos.get(k, (override.line, override.column))
            result.value_pos[k] = override.value_pos.get(k, result.key_pos[k])
            if k in override.raw:
                result.raw[k] = override.raw[k]
            else:
                result.raw.pop(k, None)
            src = override.key_source.get(k, override.source)
            if src != result.source:
                result.key_source[k] = src
            else:
                result.key_source.pop(k, None)
        return result
    if key in _DICT_LIKE and isinstance(base, (YMap, YSeq)) and isinstance(override, (YMap, YSeq)):
        return merge(as_mapping(base), as_mapping(override))
    if isinstance(base, YSeq) and isinstance(override, YSeq):
        if key in _REPLACE:
            return override
        result = _MergedSeq()
        result.item_pos, result.raw, result.tag = [], {}, None
        result.line, result.column, result.source = base.line, base.column, base.source
        result.item_sources = {}
        seen = {}
        for seq in (base, override):
            for i, item in enumerate(seq):
                ident = _identity(key, item)
                pos = seq.item_pos[i] if i < len(seq.item_pos) else (seq.line, seq.column)
                if ident in seen:
                    result[seen[ident]] = item
                    result.item_pos[seen[ident]] = pos
                    index = seen[ident]
                else:
                    index = seen[ident] = len(result)
                    result.append(item)
                    result.item_pos.append(pos)
                if i in seq.raw:
                    result.raw[index] = seq.raw[i]
                else:
                    result.raw.pop(index, None)
                result.item_sources[index] = item_source(seq, i)
        return result
    return override


class _MergedSeq(YSeq):
    """A sequence two files made: `item_sources` says which file each item came from."""


def item_source(seq, index):
    """The file the index-th item of a sequence came from."""
    sources = getattr(seq, "item_sources", None)
    return sources.get(index, seq.source) if sources else seq.source


def _identity(key, item):
    if key == "volumes":
        if isinstance(item, dict):
            return ("target", str(item.get("target")))
        parts = str(item).split(":")
        return ("target", parts[1] if len(parts) > 1 else parts[0])
    if key in ("secrets", "configs") and isinstance(item, dict):
        return ("source", str(item.get("source")))
    if isinstance(item, dict):
        return tuple(sorted((str(k), str(v)) for k, v in item.items()))
    return str(item)


def as_mapping(value):
    """`environment`-style values in list form (`- A=1`) as a YMap."""
    if isinstance(value, YMap):
        return value
    result = new_map(getattr(value, "source", None), getattr(value, "line", 1),
                     getattr(value, "column", 1))
    if isinstance(value, YSeq):
        for i, item in enumerate(value):
            text = str(item)
            k, eq, v = text.partition("=")
            if not eq:
                k, sep, v = text.partition(":") if ":" in text and " " not in text.split(":")[0] else (text, "", None)
                v = v if sep else None
            result[k.strip()] = v
            if i in value.raw:
                result.raw[k.strip()] = value.raw[i].partition("=")[2]
            pos = value.item_pos[i] if i < len(value.item_pos) else (value.line, value.column)
            result.key_pos[k.strip()] = pos
            result.value_pos[k.strip()] = pos
    return result


# ------------------------------------------------------------------- include/extends ----
def _include(project, read, depth, chain):
    """Load each `include` entry as a project of its own and add its services. `chain`:
    real paths of this project's files and of the files that include them."""
    includes = project.root.get("include")
    if not isinstance(includes, list):
        return
    services = project.root.get("services")
    if not isinstance(services, YMap):
        services = new_map(project.root.source)
        project.root["services"] = services
    for i, entry in enumerate(includes):
        paths = entry.get("path") if isinstance(entry, dict) else entry
        paths = paths if isinstance(paths, list) else [paths]
        pos = includes.item_pos[i] if i < len(includes.item_pos) else (includes.line, 1)
        if depth >= MAX_INCLUDE_DEPTH:
            project.problems.append(Problem(includes.source, pos[0], "include-depth",
                                            "includes nested too deeply (a cycle?)"))
            return
        files = [os.path.normpath(os.path.join(project.directory, str(p))) for p in paths if p]
        if not files or _include_loops(project, files, chain, includes.source, pos[0]):
            continue
        for f in files:
            if read(f) is None:
                refused = getattr(read, "refused", {}).get(os.path.normpath(f))
                project.problems.append(Problem(
                    includes.source, pos[0], "missing-file",
                    f"included file `{f}` was not read: {refused}" if refused
                    else f"included file `{f}` does not exist"))
        files = [f for f in files if read(f) is not None]
        if not files:
            continue
        env_path = os.path.join(os.path.dirname(files[0]), ".env")
        env_text = read(env_path)
        env = parse_env(env_text, env_path) if env_text is not None else project.env
        sub = load_project(files[0], read, env=env, files=files, _depth=depth + 1,
                           _bounds=project.bounds, _chain=chain)
        project.problems.extend(sub.problems)
        for name, svc in sub.services.items():
            if name in services:
                project.problems.append(Problem(includes.source, pos[0], "include-conflict",
                                                f"service `{name}` from `{files[0]}` is also "
                                                "defined in this project: Compose refuses it"))
                continue
            services[name] = svc.data
            services.key_pos[name] = (svc.line, 1)
            services.key_source[name] = svc.source
        for section in ("networks", "volumes", "secrets", "configs"):
            theirs = sub.root.get(section)
            if isinstance(theirs, YMap):
                ours = project.root.get(section)
                project.root[section] = merge(ours, theirs) if isinstance(ours, YMap) else theirs


def _include_loops(project, files, chain, source, line):
    """True (problem recorded) when an included file is already being loaded up the chain
    (a cycle: Compose refuses it) or was already included elsewhere in this project (a
    repeat, say two includes of one shared file: loaded once). Compared by real path."""
    for f in files:
        real = os.path.realpath(f)
        if real in chain:
            project.problems.append(Problem(source, line, "include-cycle",
                                            f"`include` of `{f}` loops back to a file that "
                                            "includes it: Compose refuses an include cycle"))
            return True
        if real in project.bounds.included:
            project.problems.append(Problem(source, line, "notice",
                                            f"`{f}` is included more than once in this "
                                            "project: infra-expert loaded it once"))
            return True
    project.bounds.included.update(os.path.realpath(f) for f in files)
    return False


def _extends_root(project, path, read, source, line, written):
    """The root of a file that `extends` names, loaded once per project (by real path)
    however many services extend from it."""
    real = os.path.realpath(path)
    root = project.extends_roots.get(real)
    if root is None:
        root = _load_file(project, path, read, missing=(
            source, line, f"`extends.file` `{written}` does not exist"))
        if root is not None:      # a missing file is said at each reference
            project.extends_roots[real] = root
    return root


def _positions(node):
    """(file, line) of every key, value and item in a tree."""
    stack, found, done = [node], set(), set()
    while stack:
        cur = stack.pop()
        if id(cur) in done:
            continue
        done.add(id(cur))
        if isinstance(cur, YMap):
            for k, v in cur.items():
                src = os.path.normpath(cur.key_source.get(k, cur.source) or "")
                found.add((src, cur.key_pos.get(k, (cur.line, 1))[0]))
                found.add((src, cur.value_pos.get(k, (cur.line, 1))[0]))
                if isinstance(v, (YMap, YSeq)):
                    stack.append(v)
        elif isinstance(cur, YSeq):
            src = os.path.normpath(cur.source or "")
            for i, v in enumerate(cur):
                if i < len(cur.item_pos):
                    found.add((src, cur.item_pos[i][0]))
                if isinstance(v, (YMap, YSeq)):
                    stack.append(v)
    return found


def _extends(project, name, data, services, read, seen):
    ext = data.get("extends")
    if isinstance(ext, str):
        ext = {"service": ext}
    if not isinstance(ext, dict) or "service" not in ext:
        return data
    base_name = str(ext["service"])
    source, line = data.where("extends")
    if len(seen) >= MAX_EXTENDS_DEPTH:
        _notice_once(project, source, line, "extends-depth",
                     f"the `extends` chain through `{name}` is longer than "
                     f"{MAX_EXTENDS_DEPTH} links: infra-expert follows it no further")
        return data
    if ext.get("file"):
        path = os.path.normpath(os.path.join(os.path.dirname(source or project.files[0]),
                                             str(ext["file"])))
        written = (getattr(ext, "raw", None) or {}).get("file")
        if isinstance(written, str) and "$" in written and read(path) is None:
            # `${REPO_ROOT}/shared.yml` with the variable set by the deploy script: not
            # broken as written, only unresolvable here (DC026 names the variable)
            _notice_once(project, source, line, "extends-variable",
                         f"`extends.file` `{written}` names a file through variables not set "
                         "here: the services that extend it are reviewed without it, and "
                         "what they may inherit from it is not said to be missing",
                         key=(source, "extends-variable", written))
            project.unresolved.add(str(name))
            return data
        root = _extends_root(project, path, read, source, line, ext["file"])
        if root is None:
            return data
        pool = root.get("services") if isinstance(root.get("services"), dict) else {}
    else:
        pool = services
    # the pool is one object per file (roots are loaded once), so this names the service
    key = (id(pool), base_name)
    if key in seen:
        project.problems.append(Problem(source, line, "extends-cycle",
                                        f"`extends` of `{name}` loops back to `{base_name}`"))
        return data
    seen.add(key)
    base = pool.get(base_name)
    if not isinstance(base, YMap):
        project.problems.append(Problem(source, line, "extends-missing",
                                        f"`extends` names service `{base_name}`, which does "
                                        "not exist"))
        return data
    if "extends" in base:
        base = _extends(project, base_name, base, pool, read, seen)
    own = new_map(data.source, data.line, data.column)
    for k, v in data.items():
        if k != "extends":
            own[k] = v
            if k in data.raw:
                own.raw[k] = data.raw[k]
            own.key_pos[k] = data.key_pos.get(k, (data.line, data.column))
            own.value_pos[k] = data.value_pos.get(k, own.key_pos[k])
            if k in data.key_source:
                own.key_source[k] = data.key_source[k]
    result = merge(base, own)
    origin = dict(project._inherited.get((id(pool), base_name), {}))
    for position in _positions(base):
        origin.setdefault(position, base_name)
    project._inherited[(id(services), name)] = origin
    result.source, result.line, result.column = data.source, data.line, data.column
    for k in list(result.key_pos):
        if k not in own:
            result.key_source[k] = base.key_source.get(k, base.source)
        elif result.key_source.get(k) == result.source:
            result.key_source.pop(k, None)
    return result
