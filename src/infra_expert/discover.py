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
from infra_expert.registry import domains

# Files recognised only by their content are judged on this much of their head.
SNIFF_BYTES = 256 * 1024

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "vendor", "third_party", "third-party",
    ".venv", "venv", "__pycache__", ".tox", ".mypy_cache", ".pytest_cache",
    ".ruff_cache", ".terraform", "bower_components",
})

_YAML_EXT = (".yml", ".yaml")


def reviewed_kinds(plural=True, last="and"):
    """"Dockerfiles, Compose files, Quadlet units and Kubernetes manifests"."""
    nouns = [d.noun[1 if plural else 0] for d in domains()]
    return (", ".join(nouns[:-1]) + f" {last} " + nouns[-1]) if len(nouns) > 1 else nouns[0]


def classify_name(name):
    """(domain, kind) from the file name alone, or None."""
    for d in domains():
        kind = d.by_name(name)
        if kind is not None:
            return (d.name, kind)
    return None


def classify_content(head, name="", where=None):
    """(domain, kind) from the text of a file no name recognised (its first bytes for a
    big one), or None."""
    where = where or Where()
    for d in domains():
        kind = d.by_content(head, name, where)
        if kind is not None and d.confirm is not None:
            kind = d.confirm(kind, head, where)
        if kind is not None:
            return (d.name, kind)
    return None


def _sniffed_extensions():
    """Extensions whose files are read to be recognised by content (names without an
    extension always are)."""
    exts = set()
    for d in domains():
        exts.update(e for e in d.sniff if e)
    return tuple(sorted(exts))


class Where:
    """What a domain's recognisers may ask about a file beyond its name and text."""

    __slots__ = ("path", "abspath", "root", "_discovery")

    def __init__(self, path=None, abspath=None, root=None, discovery=None):
        self.path, self.abspath, self.root = path, abspath, root
        self._discovery = discovery

    def in_chart(self):
        """A `Chart.yaml` lies in the file's folder or one above it, up to the root."""
        return self._discovery is not None and self._discovery._in_chart(self.abspath,
                                                                          self.root)

    def beside(self, name):
        return self.abspath is not None and os.path.isfile(
            os.path.join(os.path.dirname(self.abspath), name))

    @property
    def folder(self):
        return os.path.basename(os.path.dirname(self.abspath)) if self.abspath else ""


# A file that sets up swap on the host: a `.swap` unit, zram-generator's or zram-tools'
# configuration, Raspberry Pi OS's dphys-swapfile.
SWAP_FILE = lazy_re(r"(?:\.swap|^zram[\w.-]*|^dphys-swapfile[\w.-]*)$", re.IGNORECASE)

class Discovery:
    def __init__(self, config, config_dir, gate):
        self.config = config
        self.gate = gate
        self.config_dir = config_dir
        self.documents = []
        self.notices = []
        self._seen = set()
        self._exclude = _spec(config.exclude) if config.exclude else None
        self._charts = {}         # directory -> True when a Chart.yaml is in it or above
        self._domains = {d.name: d for d in domains()}
        self.swap_seen = False    # a swap or zram configuration is in the tree
        self._sniffed = _sniffed_extensions()
        self._skip = frozenset()  # folders (absolute) left to another unit of the run
        self.plan_only = False    # walk folders only, to find nested repositories
        self.repositories = []    # [(display path, absolute path)] found by a plan walk

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
            if abs_dir != root_abs and (abs_dir in self._skip or (
                    self.plan_only and ".git" in names)):
                if self.plan_only:
                    self.repositories.append((disp_dir, abs_dir))
                continue          # another unit's: a repository of its own
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
                if self.plan_only or _ignored(ignores, abs_path, False) \
                        or self._excluded(abs_path, False):
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
        if not self.swap_seen and SWAP_FILE.search(name):
            self.swap_seen = True     # by its name only: the file is not read
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
        if explicit and kind is None:
            for d in domains():
                unit = d.owner(abs_path, self.gate)
                if unit is not None:
                    # a drop-in given alone: its unit is what is reviewed; a file a GitLab
                    # pipeline includes: that pipeline (the file joins it)
                    shown = os.path.normpath(os.path.join(
                        os.path.dirname(disp),
                        os.path.relpath(unit, os.path.dirname(abs_path))))
                    self._file(shown, unit, root, explicit=True)
                    return
        if kind is None and not explicit and "." in name.lstrip(".") \
                and not name.lower().endswith(self._sniffed):
            return  # content sniffing is for extension-less names and the domains' own
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
        where = Where(disp, abs_path, root, self)
        if kind is not None:
            confirm = self._domains[kind[0]].confirm
            if confirm is not None and confirm(kind[1], text, where) is None:
                kind = None   # named like ours, holds something else (a Kestra flow …)
        if kind is None:
            kind = classify_content(text if name.lower().endswith(_YAML_EXT) else text[:4096],
                                    name, where)
        if kind is None:
            if explicit:
                self.notices.append(Notice(disp, "skipped: not recognised as a file type "
                                                 "infra-expert reviews"))
            return
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        self._seen.add(real)
        self.documents.append(Document(disp, abs_path, kind[0], kind[1], text, root))
        for d in domains():     # a second view of the same file (a PrometheusRule's rules)
            if d.name != kind[0]:
                also = d.also(text, name, where)
                if also is not None:
                    self.documents.append(Document(disp, abs_path, d.name, also, text, root))
        if explicit:
            for wanted in self._domains[kind[0]].alone_with:
                self._beside(disp, abs_path, root, wanted)

    def _beside(self, disp, abs_path, root, wanted):
        """For a file given alone (a Dockerfile): the files of the `wanted` (domain, kind)
        in its folder and the folders above it, up to its project root, join the run (a
        Compose service may build it; the engine keeps only the findings of the files
        that were asked for)."""
        directory, shown = os.path.dirname(abs_path), os.path.dirname(disp)
        root = os.path.abspath(root)
        while True:
            try:
                names = sorted(os.listdir(directory))
            except OSError:
                names = []
            for name in names:
                if classify_name(name) == wanted:
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


def nested_repositories(folder, config, config_dir, gate):
    """The git work trees inside `folder` (a folder holding `.git`, the folder itself
    excepted), as (display path, absolute path), in walk order; a repository's own nested
    ones (submodules) stay with it. Folders only: no file is read but `.gitignore`."""
    d = Discovery(config, config_dir, gate)
    d.plan_only = True
    d._walk(folder)
    return d.repositories


def discover(paths, config, config_dir, gate=None, seen=None, skip=()):
    """(documents, notices); `seen["swap"]` (when a dict is given) says whether a file of
    the tree sets up swap or zram, for the host checks; folders in `skip` (absolute) are
    not walked (another unit of the run reviews them)."""
    if gate is None:
        from infra_expert.fsgate import roots_for
        gate = Gate(roots_for(paths, config.confine), config.max_file_size)
    d = Discovery(config, config_dir, gate)
    d._skip = frozenset(skip)
    for p in paths:
        d.add_path(p)
    if seen is not None:
        seen["swap"] = d.swap_seen
    return d.documents, d.notices
