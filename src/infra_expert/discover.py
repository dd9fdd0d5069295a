"""Find the files to review and decide what each one is.

Directories are walked with `.gitignore` files and the config's `exclude` respected;
`.git`, `node_modules` and vendored trees are skipped; symlinks are never followed out
of the reviewed root (and symlinked directories not at all, which also rules out
loops); binaries and files over the size cap are skipped with a notice.
"""

from __future__ import annotations

import os
import re
import stat

from infra_expert.fsgate import OUTSIDE, UNREADABLE, Gate, Refused, project_root
from infra_expert.lazyre import lazy_re
from infra_expert.model import Document, Notice

# Files recognised only by their content are judged on this much of their head.
SNIFF_BYTES = 256 * 1024

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "vendor", "third_party", "third-party",
    ".venv", "venv", "__pycache__", ".tox", ".mypy_cache", ".pytest_cache",
    ".ruff_cache", ".terraform", "bower_components",
})

_DOCKERFILE_NAME = lazy_re(
    r"^(?:(?:docker|container)file(?:[._-].*)?|.+[._-](?:docker|container)file)$",
    re.IGNORECASE | re.DOTALL)   # a name may hold a newline: still reviewed
_DOCKERFILE_EXCLUDED_EXT = (".md", ".txt", ".rst", ".yml", ".yaml", ".json", ".sh",
                            ".py", ".j2", ".jinja", ".tpl", ".tmpl", ".template", ".orig",
                            ".bak", ".swp", ".html", ".go", ".rb", ".js", ".ts", ".toml")
_FIRST_INSTRUCTION = lazy_re(r"^\s*(FROM|ARG)\s+\S", re.IGNORECASE)
_FROM_LINE = lazy_re(r"^\s*FROM\s+\S", re.IGNORECASE | re.MULTILINE)


_COMPOSE_NAME = lazy_re(r"^(?:docker-|podman-)?compose(?:[._-][^/]*)?\.ya?ml$", re.IGNORECASE)
_QUADLET_EXT = (".container", ".pod", ".volume", ".network", ".kube", ".image", ".build")
_YAML_EXT = (".yml", ".yaml")
_COMPOSE_CONTENT = lazy_re(r"^services:[ \t]*(?:#.*)?$", re.MULTILINE)
_K8S_CONTENT = lazy_re(r"^(?:apiVersion|kind):", re.MULTILINE)
_QUADLET_CONTENT = lazy_re(r"^\[(?:Container|Pod|Volume|Network|Kube|Image|Build)\]",
                           re.MULTILINE)
# Helm/Go-template actions; `{{ $labels.x }}` in a PrometheusRule is not one of them
_HELM = lazy_re(r"\{\{-?\s*(?:\.(?:Values|Release|Chart|Capabilities|Files|Template)\b|"
                r"include\b|template\b|if\b|else\b|end\b|range\b|with\b|toYaml\b|tpl\b|"
                r"define\b|/\*)")
_VALUES_NAME = lazy_re(r"^values(?:[._-][^/]*)?\.ya?ml$")
_K8S_API = lazy_re(r"^apiVersion:\s*\S", re.MULTILINE)
_K8S_KIND = lazy_re(r"^kind:\s*[A-Z]", re.MULTILINE)
# kustomize, skaffold and Helm's own files carry apiVersion/kind but are not objects
# (a Flux `Kustomization`, kustomize.toolkit.fluxcd.io, is an API object: reviewed)
_K8S_TOOLING = lazy_re(r"^kind:\s*(?:Component|Config)\s*$|"
                       r"^apiVersion:\s*(?:kustomize\.config|skaffold/|v2$)", re.MULTILINE)
_KUSTOMIZATION_KIND = lazy_re(r"^kind:\s*Kustomization\s*$", re.MULTILINE)
_FLUX_KUSTOMIZATION = lazy_re(r"^apiVersion:\s*kustomize\.toolkit\.fluxcd\.io/", re.MULTILINE)
_OTHER_YAML = lazy_re(r"^(?:apiVersion|kind|tasks|namespace):", re.MULTILINE)
# What a Compose service holds: a `services:` mapping whose entries hold none of these
# (Helm values, an Ansible inventory, a Home Assistant config) is not a Compose file.
_COMPOSE_SERVICE_KEYS = frozenset({
    "image", "build", "command", "entrypoint", "ports", "expose", "volumes", "environment",
    "env_file", "depends_on", "restart", "networks", "network_mode", "container_name",
    "healthcheck", "deploy", "extends", "user", "working_dir", "cap_add", "cap_drop",
    "privileged", "profiles", "secrets", "configs", "logging", "hostname", "devices",
    "tmpfs", "ulimits", "security_opt", "mem_limit", "read_only", "labels", "stop_signal",
    "init", "pid", "ipc", "extra_hosts", "dns", "sysctls", "shm_size", "gpus", "runtime",
    "<<"})
_KEY_LINE = lazy_re(r"^( *)([A-Za-z0-9_.<-]+)[ \t]*:(?:[ \t]|$)")

# Files found but not reviewed (yet): recognised so that one notice counts them.
_UNIT_EXT = (".service", ".timer", ".socket", ".mount", ".path", ".target")
_UNIT_CONTENT = lazy_re(r"^\[(?:Unit|Service|Timer|Socket|Mount|Path|Install)\]", re.MULTILINE)
_CRON_LINE = lazy_re(r"^\s*(?:@(?:reboot|yearly|annually|monthly|weekly|daily|hourly)|"
                     r"(?:[0-9*/,-]+\s+){4}[0-9A-Za-z*/,-]+)\s+\S", re.MULTILINE)
_TOP = {key: lazy_re(rf"^{key}:", re.MULTILINE) for key in (
    "id", "namespace", "tasks", "groups", "route", "receivers", "scrape_configs")}
_RULES_ITEM = lazy_re(r"^\s+(?:- )?rules:", re.MULTILINE)
NOT_REVIEWED = {   # kind: (one, many), in the order a notice lists equal counts
    "kestra": ("Kestra flow", "Kestra flows"),
    "systemd": ("systemd unit", "systemd units"),
    "crontab": ("crontab", "crontabs"),
    "prometheus-rules": ("Prometheus rule file", "Prometheus rule files"),
    "prometheus": ("Prometheus config", "Prometheus configs"),
    "alertmanager": ("Alertmanager config", "Alertmanager configs"),
}


def _looks_like_compose_services(text):
    """True when an entry of the top-level `services:` mapping holds a Compose service key
    (`services:` of Helm values, an inventory or a dashboard config holds other things)."""
    lines = text.split("\n")
    start = next((i for i, ln in enumerate(lines) if _COMPOSE_CONTENT.fullmatch(ln)), None)
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
            if m and m.group(2) in _COMPOSE_SERVICE_KEYS:
                return True
    return False


def classify_other(name, head, in_cron_dir=False):
    """The kind (a key of NOT_REVIEWED) of a file infra-expert finds but does not review
    yet, or None."""
    lower = name.lower()
    if lower.endswith(_UNIT_EXT):
        return "systemd" if _UNIT_CONTENT.search(head) else None
    if lower in ("crontab", "root.crontab") or lower.endswith((".cron", ".crontab")) \
            or (in_cron_dir and "." not in name):
        return "crontab" if _CRON_LINE.search(head) else None
    if lower.endswith(_YAML_EXT):
        top = {k for k, rx in _TOP.items() if rx.search(head)}
        if {"id", "namespace", "tasks"} <= top:
            return "kestra"
        if "groups" in top and _RULES_ITEM.search(head):
            return "prometheus-rules"
        if "scrape_configs" in top:
            return "prometheus"
        if {"route", "receivers"} <= top:
            return "alertmanager"
    return None


def not_reviewed_notice(counts, where):
    """One notice counting the files found but not reviewed, per kind."""
    order = list(NOT_REVIEWED)
    parts = [f"{n} {NOT_REVIEWED[k][n != 1]}"
             for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], order.index(kv[0])))]
    return Notice(where, f"{', '.join(parts)}: not reviewed yet (infra-expert reviews "
                         "Dockerfiles, Compose files, Podman Quadlet units and Kubernetes "
                         "manifests)")


def classify_name(name):
    """(domain, kind) from the file name alone, or None."""
    if name == ".dockerignore" or name.endswith(".dockerignore"):
        return ("dockerfile", "dockerignore")
    if _COMPOSE_NAME.fullmatch(name):
        return ("compose", "override" if ".override." in name.lower() else "compose")
    if name.endswith(_QUADLET_EXT) and not name.startswith("."):
        return ("podman", name.rsplit(".", 1)[1])
    if name == "Chart.yaml":
        return ("kubernetes", "chart")
    if name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        return ("kubernetes", "kustomization")
    if _DOCKERFILE_NAME.fullmatch(name) and not name.lower().endswith(_DOCKERFILE_EXCLUDED_EXT):
        return ("dockerfile", "dockerfile")
    return None


def classify_content(head, name=""):
    """(domain, kind) from the first bytes of a file with an uninformative name."""
    if name.lower().endswith(_YAML_EXT):
        if _COMPOSE_CONTENT.search(head) and not _K8S_CONTENT.search(head) \
                and not _VALUES_NAME.match(name) and _looks_like_compose_services(head):
            return ("compose", "compose")
        if _K8S_API.search(head) and _K8S_KIND.search(head) and not _HELM.search(head) \
                and not _K8S_TOOLING.search(head) and not (
                    _KUSTOMIZATION_KIND.search(head) and not _FLUX_KUSTOMIZATION.search(head)):
            return ("kubernetes", "manifest")
        return None
    for line in head.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if _FIRST_INSTRUCTION.match(line) and _FROM_LINE.search(head):
            return ("dockerfile", "dockerfile")
        return None
    return None


class Discovery:
    def __init__(self, config, config_dir, gate):
        self.config = config
        self.gate = gate
        self.config_dir = config_dir
        self.documents = []
        self.notices = []
        self._seen = set()
        self._exclude = _spec(config.exclude) if config.exclude else None
        self.not_reviewed = {}    # kind (NOT_REVIEWED) -> files found but not reviewed
        self._charts = {}         # directory -> True when a Chart.yaml is in it or above

    # -- public -------------------------------------------------------------------------
    def add_path(self, arg):
        if not os.path.lexists(arg):
            self.notices.append(Notice(arg, "skipped: no such file or directory"))
            return
        if os.path.isdir(arg):
            self._walk(arg)
        else:
            self._file(arg, os.path.abspath(arg), root=project_root(arg), explicit=True)

    # -- walking ------------------------------------------------------------------------
    def _walk(self, arg):
        root_abs = os.path.abspath(arg)
        root_real = os.path.realpath(root_abs)
        ignores = _parent_gitignores(root_abs, self.gate)
        stack = [(arg, root_abs, ignores)]
        while stack:
            disp_dir, abs_dir, ignores = stack.pop()
            try:
                entries = sorted(os.scandir(abs_dir), key=lambda e: e.name)
            except OSError as exc:
                self.notices.append(Notice(disp_dir, f"skipped: cannot list directory "
                                                     f"({exc.strerror})"))
                continue
            names = {e.name for e in entries}
            if ".gitignore" in names:
                spec = _read_gitignore(os.path.join(abs_dir, ".gitignore"), self.gate)
                if spec is not None:
                    ignores = ignores + [(abs_dir, spec)]
            subdirs = []
            for entry in entries:
                disp = os.path.normpath(os.path.join(disp_dir, entry.name))
                abs_path = os.path.join(abs_dir, entry.name)
                try:
                    is_link = entry.is_symlink()
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    continue
                if is_dir:
                    if entry.name in SKIP_DIRS or _ignored(ignores, abs_path, True) \
                            or self._excluded(abs_path, True):
                        continue
                    subdirs.append((disp, abs_path, ignores))
                    continue
                if _ignored(ignores, abs_path, False) or self._excluded(abs_path, False):
                    continue
                if is_link:
                    target = os.path.realpath(abs_path)
                    if os.path.isdir(target):
                        continue  # never follow directory links: no loops, no escapes
                    if not (target == root_real or target.startswith(root_real + os.sep)):
                        if classify_name(entry.name) or entry.name.lower().endswith(_YAML_EXT):
                            self.notices.append(Notice(
                                disp, "skipped: symbolic link pointing outside the reviewed tree"))
                        continue
                self._file(disp, abs_path, root=root_abs, explicit=False)
            stack.extend(reversed(subdirs))

    def _excluded(self, abs_path, is_dir):
        if self._exclude is None:
            return False
        rel = os.path.relpath(abs_path, self.config_dir).replace(os.sep, "/")
        if rel.startswith("../"):
            rel = os.path.basename(abs_path)
        return self._exclude.match_file(rel + "/" if is_dir else rel)

    # -- one file -----------------------------------------------------------------------
    def _file(self, disp, abs_path, root, explicit):
        real = os.path.realpath(abs_path)
        if real in self._seen:
            return
        name = os.path.basename(abs_path)
        kind = classify_name(name)
        try:
            st = os.stat(abs_path)
        except OSError:
            st = None
        if st is None or not stat.S_ISREG(st.st_mode):
            if explicit or kind:
                # a FIFO, socket or device would block or never end: never opened
                self.notices.append(Notice(disp, "skipped: not a regular file" if st
                                           else "skipped: cannot read (broken link?)"))
            return
        if explicit and kind is None and name.endswith(".conf"):
            unit = _quadlet_of_drop_in(abs_path)
            if unit is not None:   # a drop-in given alone: its unit is what is reviewed
                self._file(os.path.join(os.path.dirname(os.path.dirname(disp)),
                                        os.path.basename(unit)), unit, root, explicit=True)
                return
        if kind is None and not explicit and "." in name.lstrip(".") \
                and not name.lower().endswith(_YAML_EXT + _OTHER_EXT):
            return  # content sniffing is for extension-less names and YAML only
        sniff = kind is None and not explicit
        try:
            # a file only sniffed by content is judged on its head; a recognised one is
            # read whole, up to the cap, and said when it is over
            data = self.gate.read_bytes(abs_path, max_size=SNIFF_BYTES if sniff else None,
                                        head=sniff)
        except Refused as exc:
            if explicit or kind or exc.reason in (OUTSIDE, UNREADABLE):
                self.notices.append(Notice(disp, f"skipped: {exc.describe()}"))
            return
        if len(data) > SNIFF_BYTES and sniff:   # a big extension-less or YAML file: ours?
            head = data[:SNIFF_BYTES]
            head_text = head.decode("utf-8", errors="replace")
            if b"\0" in head[:8192] or classify_content(
                    head_text if name.lower().endswith(_YAML_EXT) else head_text[:4096],
                    name) is None:
                return
            try:
                data = self.gate.read_bytes(abs_path)
            except Refused as exc:
                self.notices.append(Notice(disp, f"skipped: {exc.describe()}"))
                return
        if b"\0" in data[:8192]:
            if kind or explicit:
                self.notices.append(Notice(disp, "skipped: binary file"))
            return
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            text = data.decode("utf-8-sig", errors="replace")
            line = data[:exc.start].count(b"\n") + 1
            self.notices.append(Notice(
                disp, f"not valid UTF-8 (first bad byte on line {line}); "
                      "undecodable bytes were replaced and the file reviewed as far as possible"))
        if kind is not None and kind[0] == "compose" and _OTHER_YAML.search(text) \
                and not _COMPOSE_CONTENT.search(text):
            kind = None   # a Kestra flow or Kubernetes manifest that happens to be named so
        if kind is not None and kind[0] == "podman" and (
                not _QUADLET_CONTENT.search(text) or "\n[Match]" in "\n" + text):
            kind = None   # systemd-networkd .network, a non-unit .image/.build/.pod file
        if kind is not None and kind[0] == "compose" and self._in_chart(abs_path, root):
            kind = None   # a file of a Helm chart is never a Compose file
        if kind is None and _VALUES_NAME.match(name) and os.path.isfile(
                os.path.join(os.path.dirname(abs_path), "Chart.yaml")):
            kind = ("kubernetes", "values")
        if kind is None:
            kind = classify_content(text if name.lower().endswith(_YAML_EXT) else text[:4096],
                                    name)
            if kind is not None and kind[0] == "compose" and self._in_chart(abs_path, root):
                kind = None
        if kind is None:
            other = classify_other(name, text[:SNIFF_BYTES],
                                   os.path.basename(os.path.dirname(abs_path)) == "cron.d")
            if other is not None:
                self.not_reviewed[other] = self.not_reviewed.get(other, 0) + 1
                self._seen.add(real)
                return
            if explicit:
                self.notices.append(Notice(disp, "skipped: not recognised as a file type "
                                                 "infra-expert reviews"))
            return
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        self._seen.add(real)
        self.documents.append(Document(disp, abs_path, kind[0], kind[1], text, root))
        if explicit and kind == ("dockerfile", "dockerfile"):
            self._compose_building(disp, abs_path, root)

    def _compose_building(self, disp, abs_path, root):
        """For a Dockerfile given alone: the Compose files in its folder and the folders
        above it, up to its project root, join the run (their services may build it; the
        engine keeps only the findings of the files that were asked for)."""
        directory, shown = os.path.dirname(abs_path), os.path.dirname(disp)
        root = os.path.abspath(root)
        while True:
            try:
                names = sorted(os.listdir(directory))
            except OSError:
                names = []
            for name in names:
                if classify_name(name) == ("compose", "compose"):
                    self._file(os.path.normpath(os.path.join(shown, name)),
                               os.path.join(directory, name), root, explicit=False)
            parent = os.path.dirname(directory)
            if directory == root or parent == directory or not (
                    directory.startswith(root + os.sep)):
                return
            directory, shown = parent, os.path.join(shown, "..")

    def _in_chart(self, abs_path, root):
        """True when a `Chart.yaml` lies in the file's folder or a folder above it, up to
        the reviewed root."""
        directory, root = os.path.dirname(abs_path), os.path.abspath(root)
        walked = []
        found = False
        while True:
            if directory in self._charts:
                found = self._charts[directory]
                break
            walked.append(directory)
            if os.path.isfile(os.path.join(directory, "Chart.yaml")):
                found = True
                break
            parent = os.path.dirname(directory)
            if directory == root or parent == directory or not directory.startswith(root):
                break
            directory = parent
        for d in walked:
            self._charts[d] = found
        return found


_OTHER_EXT = _UNIT_EXT + (".cron", ".crontab")
_DROP_IN_DIR = lazy_re(r".+\.(?:container|pod|volume|network|kube|image|build)\.d")


def _quadlet_of_drop_in(abs_path):
    """The Quadlet unit a drop-in (`NAME.container.d/x.conf`) belongs to, or None."""
    folder = os.path.dirname(abs_path)
    if not _DROP_IN_DIR.fullmatch(os.path.basename(folder)):
        return None
    unit = folder[:-2]
    if "@" in os.path.basename(unit) and not os.path.isfile(unit):
        return None    # a template's drop-in: which instance is meant is not known
    return unit if os.path.isfile(unit) else None


# A .gitignore larger than this is not a real one (git's own limit is 100 MiB, but no
# project writes more than a few thousand patterns).
MAX_IGNORE_FILE = 1024 * 1024


def _spec(patterns):
    from infra_expert.ignorefile import GitIgnore   # linear time: no backtracking regex
    return GitIgnore.from_lines(patterns)


def _read_gitignore(path, gate, within=None):
    try:
        lines = gate.read_text(path, within=within, max_size=MAX_IGNORE_FILE).splitlines()
    except Refused:
        return None
    lines = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    return _spec(lines) if lines else None


def _parent_gitignores(root_abs, gate):
    """`.gitignore` files between the enclosing git work tree's top and the root."""
    chain = []
    path = os.path.dirname(root_abs)
    while True:
        chain.append(path)
        if os.path.exists(os.path.join(path, ".git")):
            break
        parent = os.path.dirname(path)
        if parent == path:
            return []  # not inside a git work tree: nothing above the root applies
        path = parent
    ignores = []
    top = chain[-1]   # the work tree: its .gitignore files apply to the reviewed folder
    for directory in reversed(chain):
        candidate = os.path.join(directory, ".gitignore")
        if os.path.lexists(candidate):
            spec = _read_gitignore(candidate, gate, within=top)
            if spec is not None:
                ignores.append((directory, spec))
    return ignores


def _ignored(ignores, abs_path, is_dir):
    for base, spec in ignores:
        rel = os.path.relpath(abs_path, base).replace(os.sep, "/")
        if spec.match_file(rel + "/" if is_dir else rel):
            return True
    return False


def discover(paths, config, config_dir, gate=None):
    if gate is None:
        from infra_expert.fsgate import roots_for
        gate = Gate(roots_for(paths), config.max_file_size)
    d = Discovery(config, config_dir, gate)
    for p in paths:
        d.add_path(p)
    if d.not_reviewed:
        d.notices.append(not_reviewed_notice(d.not_reviewed, ", ".join(paths)))
    return d.documents, d.notices
