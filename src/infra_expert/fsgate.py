"""One gate for every read of the reviewed tree.

The reviewed tree is untrusted: a Compose `build:`, an `include:`, a Kustomize resource
or a symbolic link can name any path on the machine. Every file the tool reads goes
through `Gate.read`, which resolves the real path, refuses what lies outside the
reviewed roots, refuses what is not a regular file before opening it (a FIFO would
block, a device would never end), and enforces the size cap on the bytes actually read.

The reviewed roots are the folders given on the command line and, for a file given
alone, the project it belongs to: the git work tree that holds it, or its folder.
"""

from __future__ import annotations

import os
import stat

# Why a read was refused, in words a notice can carry.
MISSING = "no such file"
OUTSIDE = "outside the reviewed tree"
NOT_REGULAR = "not a regular file"
TOO_BIG = "over the size cap"
UNREADABLE = "cannot be read"


class Refused(Exception):
    """A read the gate would not do; `reason` is one of the constants above."""

    def __init__(self, path, reason, detail=""):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
        self.detail = detail

    def describe(self):
        """What a notice says: the reference and why, never any content."""
        return f"{self.reason}{f' ({self.detail})' if self.detail else ''}"


def work_tree(directory):
    """The git work tree `directory` lies in (the nearest folder with a `.git` entry), or
    None. Only looks; runs nothing."""
    probe = os.path.abspath(directory)
    while True:
        if os.path.lexists(os.path.join(probe, ".git")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            return None
        probe = parent


def project_root(path):
    """The project a file given alone belongs to: its git work tree, or its folder."""
    directory = os.path.dirname(os.path.abspath(path))
    found = work_tree(directory)
    if found is not None:
        return found
    # a drop-in or overlay folder (`web.container.d/`): its unit or base is above
    return os.path.dirname(directory) if directory.endswith(".d") else directory


def roots_for(paths, confine=None):
    """The reviewed roots for the paths given on the command line. `confine` (a folder):
    every read stays inside it — a root above it (a file's git work tree) becomes the
    folder itself, a root elsewhere is dropped (the MCP server's `--root`)."""
    roots = []
    for p in paths:
        if os.path.isdir(p):
            roots.append(p)
        elif os.path.lexists(p):
            roots.append(project_root(p))
    if confine is None:
        return roots
    limit = os.path.realpath(confine)
    clipped = []
    for root in roots:
        real = os.path.realpath(root)
        if Gate._within(real, (limit,)):
            clipped.append(root)
        elif Gate._within(limit, (real,)):
            clipped.append(limit)
    return clipped


class Gate:
    """Reads files for the review, only inside `roots`, only regular, at most `max_size`."""

    def __init__(self, roots, max_size):
        self.roots = tuple(sorted({os.path.realpath(r) for r in roots}))
        self.max_size = max_size
        self.unlisted = []    # folders outside the roots that a reference led to

    def inside(self, path):
        """True when the real path of `path` lies in a reviewed root."""
        return self._within(os.path.realpath(path), self.roots)

    @staticmethod
    def _within(real, roots):
        for root in roots:
            if real == root or real.startswith(root.rstrip(os.sep) + os.sep):
                return True
        return False

    def check(self, path, within=None):
        """The real path of a readable regular file, or raise Refused (nothing opened)."""
        real = os.path.realpath(path)
        if not self._within(real, (os.path.realpath(within),) if within else self.roots):
            if not os.path.lexists(path):
                raise Refused(path, MISSING)
            raise Refused(path, OUTSIDE)
        try:
            st = os.stat(real)
        except FileNotFoundError:
            raise Refused(path, MISSING) from None
        except OSError as exc:
            raise Refused(path, UNREADABLE, exc.strerror or "") from None
        if not stat.S_ISREG(st.st_mode):
            raise Refused(path, NOT_REGULAR)
        return real

    def read_bytes(self, path, within=None, max_size=None, head=False):
        """The bytes of a file, or raise Refused. The cap applies to what is read, not to
        what `stat` said (a file can grow, a link can change, /proc lies about sizes).
        With `head`, a bigger file is not refused: its first cap + 1 bytes are returned
        (one more than the cap says that more follows)."""
        cap = self.max_size if max_size is None else max_size
        real = self.check(path, within)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) \
            | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(real, flags)
        except OSError as exc:
            raise Refused(path, UNREADABLE, exc.strerror or "") from None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):   # swapped since the check
                raise Refused(path, NOT_REGULAR)
            chunks, total = [], 0
            while total <= cap:
                chunk = os.read(fd, min(1 << 20, cap + 1 - total))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
            if total > cap and not head:
                raise Refused(path, TOO_BIG, f"more than {cap} bytes; max-file-size")
            return b"".join(chunks)
        except OSError as exc:
            raise Refused(path, UNREADABLE, exc.strerror or "") from None
        finally:
            os.close(fd)

    def read_text(self, path, within=None, max_size=None):
        """The text of a file (UTF-8, BOM dropped, undecodable bytes replaced, newlines
        normalised), or raise Refused."""
        data = self.read_bytes(path, within, max_size)
        text = data.decode("utf-8-sig", errors="replace")
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        return text

    def try_text(self, path, within=None, max_size=None):
        """The text, or None when the gate refuses (the caller says nothing)."""
        try:
            return self.read_text(path, within, max_size)
        except Refused:
            return None

    def listdir(self, path):
        """Names in a directory inside the roots ([] otherwise, or when unreadable). A
        folder outside is remembered in `unlisted`, for the engine to say so."""
        if not self.inside(path):
            if os.path.isdir(path):
                self.unlisted.append(path)
            return []
        try:
            return sorted(os.listdir(path))
        except OSError:
            return []
