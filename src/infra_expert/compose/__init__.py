"""The Compose domain: `compose*.y(a)ml`, `docker-compose*.y(a)ml`, overrides, `.env`."""

from __future__ import annotations

import os
import re

from infra_expert.compose.crossfile import link
from infra_expert.compose.loader import MAIN_NAMES, OVERRIDES, load_project, project_files
from infra_expert.domain import Domain
from infra_expert.lazyre import lazy_re
from infra_expert.model import Notice, Suppression
from infra_expert.suppress import line_comment_suppressions

NAME = "compose"
def _rulesets():
    """The rule modules, imported when a review has files of this domain (or the
    catalogue asks): a one-file review does not pay for the others."""
    from infra_expert.compose import rules_ops, rules_security, rules_style, rules_logging, rules_updates
    from infra_expert.compose import rules_rclone
    from infra_expert.compose import rules_minio
    return (rules_security.rules, rules_ops.rules, rules_style.rules, rules_updates.rules,
            rules_logging.rules, rules_rclone.rules, rules_minio.rules)
NOT_COVERED = {}


_NAME = lazy_re(r"^(?:docker-|podman-)?compose(?:[._-][^/]*)?\.ya?ml$", re.IGNORECASE)
_SERVICES = lazy_re(r"^services:[ \t]*(?:#.*)?$", re.MULTILINE)
_K8S = lazy_re(r"^(?:apiVersion|kind):", re.MULTILINE)
_VALUES_NAME = lazy_re(r"^values(?:[._-][^/]*)?\.ya?ml$")
# a Kestra flow, a manifest or a Prometheus file that happens to be named compose.yaml
_OTHER_YAML = lazy_re(r"^(?:apiVersion|kind|tasks|namespace):", re.MULTILINE)
# What a Compose service holds: a `services:` mapping whose entries hold none of these
# (Helm values, an Ansible inventory, a Home Assistant config) is not a Compose file.
_SERVICE_KEYS = frozenset({
    "image", "build", "command", "entrypoint", "ports", "expose", "volumes", "environment",
    "env_file", "depends_on", "restart", "networks", "network_mode", "container_name",
    "healthcheck", "deploy", "extends", "user", "working_dir", "cap_add", "cap_drop",
    "privileged", "profiles", "secrets", "configs", "logging", "hostname", "devices",
    "tmpfs", "ulimits", "security_opt", "mem_limit", "read_only", "labels", "stop_signal",
    "init", "pid", "ipc", "extra_hosts", "dns", "sysctls", "shm_size", "gpus", "runtime",
    "<<"})
_KEY_LINE = lazy_re(r"^( *)([A-Za-z0-9_.<-]+)[ \t]*:(?:[ \t]|$)")


def by_name(name):
    if _NAME.fullmatch(name):
        return "override" if ".override." in name.lower() else "compose"
    return None


def by_content(head, name, where):
    if name.lower().endswith((".yml", ".yaml")) and _SERVICES.search(head) \
            and not _K8S.search(head) and not _VALUES_NAME.match(name) \
            and where.folder != ".woodpecker" \
            and _looks_like_compose_services(head):
        return "compose"
    return None


def confirm(kind, text, where):
    """A file named like Compose that holds another YAML, or lies in a Helm chart, is not
    one."""
    if _OTHER_YAML.search(text) and not _SERVICES.search(text):
        return None
    return None if where.in_chart() else kind


def _looks_like_compose_services(text):
    """True when an entry of the top-level `services:` mapping holds a Compose service key
    (`services:` of Helm values, an inventory or a dashboard config holds other things)."""
    lines = text.split("\n")
    start = next((i for i, ln in enumerate(lines) if _SERVICES.fullmatch(ln)), None)
    if start is None:
        return False
    entry = level = None
    for ln in lines[start + 1:]:
        stripped = ln.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(ln) - len(ln.lstrip(" "))
        if indent == 0:
            break                          # the next top-level key
        if entry is None:
            if stripped.startswith("- "):
                return False               # a list of services: not Compose's shape
            entry = indent                 # the indent of the service names
        if indent <= entry:
            level = None                   # the next service
            continue
        if level is None:
            level = indent                 # the indent of this service's keys
        if indent == level:
            m = _KEY_LINE.match(ln)
            if m and m.group(2) in _SERVICE_KEYS:
                return True
    return False


def compose_files(ctx):
    """{normalised path: text or None}: every Compose-side file read in this run, once."""
    return {}


def _refused(ctx):
    """{normalised path: why the gate refused it}."""
    return {}


def _baselines(ctx):
    """{base file: (rule id, message) of every finding the base alone has}."""
    return {}


def _reader(ctx):
    """`read(path)`: a Compose-side file's text, or None. Every read goes through the gate;
    a refusal other than "no such file" is said once in a notice (the reference, never
    the content) and remembered in `read.refused` so that the loader says why."""
    from infra_expert.fsgate import MISSING, Refused
    cache = ctx.index(compose_files)
    refused = ctx.index(_refused)

    def read(path):
        key = os.path.normpath(path)
        if key not in cache:
            try:
                cache[key] = ctx.gate.read_text(key)
            except Refused as exc:
                cache[key] = None
                if exc.reason != MISSING:
                    refused[key] = exc.describe()
                    ctx.notices.append(
                        Notice(key, f"not read: {exc.describe()}"))
        return cache[key]
    read.refused = refused
    return read


def load_all(docs, ctx):
    """Build one Project per main file; overrides and COMPOSE_FILE members join theirs.
    Returns [(doc, error)] for files that could not be loaded."""
    failures = []
    read = _reader(ctx)
    for doc in docs:   # discovery read them already: no second read
        ctx.index(compose_files)[os.path.normpath(doc.path)] = doc.text
    members = {}
    mains = [d for d in docs if d.kind == "compose"]
    for doc in mains:
        try:
            files, _ = project_files(os.path.normpath(doc.path), read)
        except Exception:  # noqa: BLE001 - the project load below reports it for this file
            continue
        if files[0] == os.path.normpath(doc.path):
            for f in files[1:]:
                members[f] = doc.path
    in_run = {os.path.normpath(d.path) for d in mains}
    for doc in docs:
        key = os.path.normpath(doc.path)
        if key in members and members[key] != doc.path:
            doc.kind = "override"
            doc.model = None
            continue
        try:
            main = _main_beside(doc, read) if doc.kind == "override" else None
            if main is not None and main in in_run:
                doc.model = None      # reviewed with its main file, as one project
                continue
            base = main or _overlay_base(key, read)
            if base is not None:
                doc.kind = "overlay"
                doc.model = _load_overlay(base, key, read)
            else:
                doc.model = load_project(key, read)
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on
            failures.append((doc, type(exc).__name__))
            continue
        # caps hit and repeats skipped while loading (loader.Problem code "notice")
        ctx.notices.extend(
            Notice(p.path, f"line {p.line}: {p.message}" if p.line else p.message)
            for p in doc.model.problems if p.code == "notice")
    _templates_are_not_projects(docs)
    return failures


def _templates_are_not_projects(docs):
    """A file that other projects only `extends` from (`shared/base.yaml` with a
    `hardened` service and no image) is a set of templates, not a project: what it sets is
    judged, at its own lines, through the services that extend it."""
    sources = set()
    for doc in docs:
        if doc.model is not None:
            sources.update(getattr(doc.model, "extends_roots", {}))
    for doc in docs:
        if doc.model is None or os.path.basename(doc.path) in MAIN_NAMES \
                or os.path.realpath(doc.abspath) not in sources:
            continue
        doc.kind = "extends-source"
        doc.model = None


def related_documents(docs, ctx):
    """The Dockerfiles that services build: reviewed once, with the Compose build context."""
    from infra_expert.compose.crossfile import build_paths
    from infra_expert.fsgate import MISSING, Refused
    from infra_expert.model import Document
    known = {os.path.realpath(d.abspath): d for d in ctx.documents}
    added = []
    for doc in docs:
        if doc.model is None:
            continue
        for svc in doc.model.services.values():
            paths = build_paths(svc, doc.model)
            if paths is None:
                continue
            context_dir, dockerfile = paths
            real = os.path.realpath(dockerfile)
            existing = known.get(real)
            if existing is not None:
                if existing.domain == "dockerfile" and existing.context is None:
                    existing.context = os.path.abspath(context_dir)
                continue
            try:
                text = ctx.gate.read_text(dockerfile)
            except Refused as exc:
                if exc.reason != MISSING:
                    ctx.notices.append(Notice(
                        dockerfile, f"build of service `{svc.name}` not reviewed: "
                                    f"{exc.describe()}"))
                continue
            if "\0" in text[:8192]:
                continue
            new = Document(dockerfile, os.path.abspath(dockerfile), "dockerfile", "dockerfile",
                           text, doc.root, context=os.path.abspath(context_dir))
            known[real] = new
            added.append(new)
    return added


# `docker-compose.ci.yml`, `compose.prod.yaml`, `app.override.yml`: named as an overlay
_OVERLAY_NAME = re.compile(r"^(?:(?:docker-|podman-)?compose\.[^/]+|[^/]+\.override)\.ya?ml$",
                           re.IGNORECASE)
_OVERLAY_DIR = re.compile(r"^(?:docker-|podman-)?compose(?:\.[^/]+)?\.ya?ml\.d$", re.IGNORECASE)
_SERVICE_SOURCE = ("image", "build", "extends")


def _overlay_base(path, read):
    """The base Compose file an overlay adds to, or None for a project of its own.

    An overlay is named `docker-compose.<env>.yml`, `compose.<env>.yaml`,
    `*.override.yml`, or kept in a `compose.yaml.d/`-style folder; its base is the main
    Compose file beside it (above the folder); and its services add to or change the
    base's: one of them is also a service of the base, or one of them has no image,
    build or extends of its own (a snippet that cannot run alone)."""
    from infra_expert.yamlsafe import YamlError, load_all
    directory, name = os.path.split(path)
    if _OVERLAY_DIR.match(os.path.basename(directory)):
        directory = os.path.dirname(directory)
    elif name.lower() in MAIN_NAMES or not _OVERLAY_NAME.match(name):
        return None
    family = name.lower().startswith("docker-")
    candidates = sorted(MAIN_NAMES, key=lambda n: n.startswith("docker-") != family)
    base = next((os.path.join(directory, n) for n in candidates
                 if os.path.join(directory, n) != path
                 and read(os.path.join(directory, n)) is not None), None)
    if base is None:
        return None

    def services(p):
        try:
            docs = load_all(read(p) or "", p, core=True)
        except YamlError:
            return {}
        root = next((d for d in docs if isinstance(d, dict)), None) or {}
        found = root.get("services")
        return found if isinstance(found, dict) else {}
    own, theirs = services(path), services(base)
    if not own:
        return None
    if set(own) & set(theirs) or any(
            isinstance(svc, dict) and not any(k in svc for k in _SERVICE_SOURCE)
            or svc is None for svc in own.values()):
        return base
    return None


def _load_overlay(base, overlay, read):
    """`docker compose -f base -f overlay`, with the base alone kept as its baseline."""
    _, env = project_files(base, read)
    project = load_project(base, read, env=env, files=[base, overlay])
    project.baseline = load_project(base, read, env=env, files=[base])
    project.overlay = overlay
    return project


def adjust_findings(doc, ctx, findings):
    """What a project's review keeps and how it says it.

    A value a service inherits through `extends` is the extended service's: its finding
    names that service, at its source, so that the engine says it once however many
    services or projects extend it. An overlay's review keeps only what the overlay
    introduces or changes: a finding its base alone also has is the base's, and one that
    lies in the base but comes from the combination says so ("with `compose.ci.yml`")."""
    project = doc.model
    if project is None:
        return findings
    for f in findings:
        f.message = _at_origin(project, f.path, f.line, f.message)
    if doc.text.startswith(_LIVE_FROM):   # a running container (`infra-expert live`)
        source = doc.text[len(_LIVE_FROM):doc.text.find("\n")]
        for f in findings:
            f.message = f"{f.message} (created from {source})"
    if project.unresolved:
        findings = _known_only(project, findings)
    if project.baseline is None:
        return findings
    baseline = _baseline_keys(doc, ctx, project)
    shown = os.path.relpath(project.overlay, os.path.dirname(project.files[0]))
    kept = []
    for f in findings:
        if (f.rule.id, f.message) in baseline:
            continue   # the base alone says the same: its finding, said on its review
        if os.path.normpath(f.path) != project.overlay:
            f.message = f"{f.message} (with `{shown}`)"
        kept.append(f)
    return kept


_LIVE_FROM = "# live container, created from: "   # live.containers.SOURCE_MARK


def _known_only(project, findings):
    """A service whose `extends` names a file through variables not set here may inherit
    anything from it: a finding that it lacks a key (placed on the service itself, no key
    to point at) is not known, and is left out; what it sets is still judged."""
    starts = {(os.path.normpath(svc.source or ""), svc.line)
              for svc in map(project.services.get, project.unresolved) if svc is not None}
    return [f for f in findings
            if f.column is not None or (os.path.normpath(f.path or ""), f.line) not in starts]


def _at_origin(project, path, line, message):
    if not project.origins or not message.startswith("service `"):
        return message
    where = (os.path.normpath(path or ""), line)
    for name, origin in project.origins.items():
        svc = project.services.get(name)
        prefix = f"service `{svc.label if svc else name}`:"
        if message.startswith(prefix) and where in origin:
            return f"service `{origin[where]}`:{message[len(prefix):]}"
    return message


def _baseline_keys(doc, ctx, project):
    """(rule, message) of every finding the base alone has, once per base: the same
    statement about the same service, wherever the merge now places it."""
    from infra_expert.model import Document
    cache = ctx.index(_baselines)
    base = project.files[0]
    if base not in cache:
        text = ctx.index(compose_files).get(os.path.normpath(base)) or ""
        pseudo = Document(base, os.path.abspath(base), NAME, "compose", text, doc.root)
        pseudo.model = project.baseline
        keys = set()
        for rule in DOMAIN.rules:
            try:
                for item in rule.fn(pseudo, ctx):
                    if type(item).__name__ == "Hit":
                        path = os.path.normpath(item.path or base)
                        keys.add((rule.id, _at_origin(project.baseline, path,
                                                      item.line, item.message)))
            except Exception:  # noqa: BLE001 - the engine reports rule errors
                continue
        cache[base] = keys
    return cache[base]


def _main_beside(doc, read):
    directory = os.path.dirname(os.path.normpath(doc.path))
    for main, overrides in OVERRIDES.items():
        if os.path.basename(doc.path) in overrides:
            candidate = os.path.join(directory, main)
            if read(candidate) is not None:
                return candidate
    return None


def column(doc, line):
    return None


def project(doc):
    """A main file with its overrides, includes and `.env`; its subjects are services."""
    model = doc.model
    if not hasattr(model, "services"):
        return None
    members = [doc.path, *getattr(model, "files", ()), *getattr(model, "texts", ())]
    env = getattr(getattr(model, "env", None), "path", None)
    return (doc.path, members + ([env] if env else []),
            [svc.label for svc in model.services.values() if isinstance(svc.data, dict)])


def suppressions(doc, peer_index):
    """Pragmas in every file of the project: `# infra-expert: ignore=DC001` on the line
    (trailing comment) or alone on the line before."""
    sups, unknown = [], []
    texts = dict(doc.model.texts)     # read once, by the loader
    texts[os.path.normpath(doc.path)] = doc.text
    for path, text in texts.items():
        shown = path if path != os.path.normpath(doc.path) else doc.path
        more, bad = line_comment_suppressions(shown, text, peer_index, Suppression)
        sups.extend(more)
        unknown.extend(bad)
    return sups, unknown


def resources(docs):
    """Declared limits per service, summed per project."""
    from infra_expert.compose.walkers import cpu_limit, memory_limit_bytes, mounts
    projects = []
    for doc in docs:
        project = doc.model
        if project.overlay is not None:
            continue      # its services are its base's, counted once there
        rows = []
        for svc in project.services.values():
            path, line = svc.where()
            rows.append({"service": svc.name, "profiles": svc.profiles,
                         "memory_limit_bytes": memory_limit_bytes(svc),
                         "cpus": cpu_limit(svc), "file": path, "line": line,
                         "image": svc.get("image") if isinstance(svc.get("image"), str)
                         else None, "oom_score_adj": _int_or_none(svc.get("oom_score_adj")),
                         "platform": svc.get("platform") if isinstance(svc.get("platform"),
                                                                       str) else None,
                         "log": _log_budget(svc), "tmpfs": _tmpfs(svc),
                         "mounts": [{"kind": "bind" if m.bind else "volume",
                                     "source": m.source, "target": m.target,
                                     "read_only": m.read_only}
                                    for m in mounts(svc) if m.target and not
                                    _is_tmpfs_mount(svc, m)]})
        if rows:
            projects.append({"path": doc.path, "services": rows})
    return {"projects": projects} if projects else {}


# Docker's defaults: `local` keeps 5 files of 20 MB; `json-file` keeps one file that grows
# without bound unless `max-size` is set (then `max-file` files, 1 by default).
_LOCAL_DEFAULT = ("20m", "5")


def _log_budget(svc):
    """{"driver", "bytes"}: the most disk the service's logs can take; `bytes` is None when
    unbounded (json-file without max-size) or unknown (no `logging:`: the daemon's default,
    which the project does not show) and 0 for drivers that keep nothing on this disk."""
    from infra_expert.quantities import size_bytes
    logging = svc.get("logging")
    if not isinstance(logging, dict):
        return {"driver": None, "bytes": None}
    driver = str(logging.get("driver") or "json-file")
    options = logging.get("options") if isinstance(logging.get("options"), dict) else {}
    if driver in ("json-file", "local"):
        size, count = (options.get("max-size"), options.get("max-file"))
        if driver == "local":
            size, count = size or _LOCAL_DEFAULT[0], count or _LOCAL_DEFAULT[1]
        size = size_bytes(str(size)) if size is not None else None
        count = _int_or_none(count if count is not None else 1)
        return {"driver": driver, "bytes": size * max(count or 1, 1) if size else None}
    if driver == "none":
        return {"driver": driver, "bytes": 0}
    # journald, syslog, fluentd, loki…: kept by another program, under its own caps
    return {"driver": driver, "bytes": 0}


def _is_tmpfs_mount(svc, mount):
    volumes = svc.get("volumes")
    items = volumes if isinstance(volumes, list) else []
    item = items[mount.index] if mount.index < len(items) else None
    return isinstance(item, dict) and item.get("type") == "tmpfs"


def _tmpfs(svc):
    """[{"target", "bytes"}] for `tmpfs:` entries and tmpfs volumes; `bytes` None when no
    size is set (Docker's tmpfs is then unlimited: it takes memory as it fills)."""
    from infra_expert.quantities import size_bytes
    out = []
    value = svc.get("tmpfs")
    for item in (value if isinstance(value, list) else [value] if value else []):
        target, _, opts = str(item).partition(":")
        size = next((o.split("=", 1)[1] for o in opts.split(",") if o.startswith("size=")),
                    None)
        out.append({"target": target, "bytes": _size_or_none(size, size_bytes)})
    volumes = svc.get("volumes")
    for item in (volumes if isinstance(volumes, list) else []):
        if isinstance(item, dict) and item.get("type") == "tmpfs":
            opts = item.get("tmpfs") if isinstance(item.get("tmpfs"), dict) else {}
            out.append({"target": str(item.get("target") or ""),
                        "bytes": _size_or_none(opts.get("size"), size_bytes)})
    return out


def _size_or_none(value, size_bytes):
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return size_bytes(str(value))


def _int_or_none(value):
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def consumers(res):
    return [{"name": f"service `{row['service']}`", "path": row.get("file") or p["path"],
             "group": f"Compose project `{p['path']}`",
             "line": row.get("line"), "memory_limit": row["memory_limit_bytes"],
             "memory_request": None, "cpu_limit": row["cpus"], "schedule": "steady",
             "optional": bool(row["profiles"]), "image": row.get("image"),
             "oom_protected": (row.get("oom_score_adj") or 0) < 0,
             "platform": row.get("platform"), "mounts": row.get("mounts") or [],
             "log": row.get("log"), "tmpfs": row.get("tmpfs") or []}
            for p in res.get("projects", []) for row in p["services"]]


def _log_text(log, out):
    """What the service's logs can take on disk: a size, `unbounded`, or where they go."""
    if log.get("bytes"):
        return f"{out.mib(log['bytes'])} ({log['driver']})"
    if log.get("driver") == "json-file":
        return "unbounded (json-file, no `max-size`)"
    if log.get("driver"):
        return f"— ({log['driver']})"
    return "daemon default"


def _tmpfs_text(tmpfs, out):
    return ", ".join(f"{t['target']} {out.mib(t['bytes']) if t['bytes'] else 'unbounded'}"
                     for t in tmpfs) or "—"


def show_resources(res, out):
    compose = res.get("projects", [])
    lines = []
    if not out.full and len(compose) > out.projects:   # a large repository: a row a project
        lines.append("| Compose project | Services | Memory limits declared | Without a limit |")
        lines.append("|---|---|---|---|")
        for project in compose[:out.rows]:
            rows = project["services"]
            limited = [r["memory_limit_bytes"] for r in rows if r["memory_limit_bytes"]]
            lines.append(f"| {out.cell(out.code(project['path']))} | {len(rows)} | "
                         f"{out.mib(sum(limited)) if limited else '—'} | "
                         f"{len(rows) - len(limited)} |")
        lines.append("")
        if len(compose) > out.rows:
            lines.extend([f"+{len(compose) - out.rows} projects; `--full` shows every "
                          "project and service.", ""])
        return lines
    for project in compose:
        rows = project["services"]
        lines.append(f"{out.code(project['path'])}:")
        lines.append("")
        tmpfs = any(r.get("tmpfs") for r in rows)
        lines.append("| Service | Memory limit | CPU limit | Logs on disk |"
                     + (" tmpfs |" if tmpfs else ""))
        lines.append("|---|---|---|---|" + ("---|" if tmpfs else ""))
        for row in rows:
            name = row["service"] + (f" (profile {', '.join(row['profiles'])})"
                                     if row["profiles"] else "")
            cpus = "—" if row["cpus"] is None else f"{row['cpus']:g}"
            lines.append(f"| {out.cell(out.inline(name))} | "
                         f"{out.mib(row['memory_limit_bytes'])} | {cpus} | "
                         f"{out.cell(_log_text(row.get('log') or {}, out))} |"
                         + (f" {out.cell(_tmpfs_text(row.get('tmpfs') or [], out))} |"
                            if tmpfs else ""))
        limited = [r["memory_limit_bytes"] for r in rows if r["memory_limit_bytes"]]
        unlimited = len(rows) - len(limited)
        total = f"{sum(limited) / 2**20:.0f} MiB" if limited else "nothing"
        lines.append("")
        lines.append(f"Declared memory limits add up to {total}"
                     + (f"; {unlimited} service(s) have no limit and can use any amount."
                        if unlimited else "."))
        lines.append("")
    return lines


DOMAIN = Domain(
    NAME, "DC", "Compose", _rulesets, noun=("Compose file", "Compose files"),
    by_name=by_name, confirm=confirm, by_content=by_content, sniff=(".yml", ".yaml"),
    load=load_all, related=related_documents, link=link, adjust=adjust_findings,
    suppressions=suppressions, column=column, project=project,
    subject_nouns=("service", "services"), subject_is_code=True, positives_per_project=True,
    baseline=(("DC003", "no-new-privileges"), ("DC006", "cap_drop ALL"),
              ("DC007", "read-only root"), ("DC031", "memory limit"),
              ("DC032", "CPU limit"), ("DC033", "pids limit"), ("DC041", "logging")),
    resources=resources, show_resources=show_resources, consumers=consumers, fence="yaml",
    not_covered=NOT_COVERED,
    example_names=("compose.yaml",))
