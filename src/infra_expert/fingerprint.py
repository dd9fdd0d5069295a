"""A finding's fingerprint: the same finding gets the same one in the next run, after the
lines above it moved, from another working directory.

It hashes what says *which* finding it is — the rule, the file (relative to the source
root) and the message with any line number it quotes left out — plus its rank among the
findings that share those three (two `latest` tags in one file are two findings). Not the
line or column: inserting a line above must not make an old finding new. SARIF's
`partialFingerprints`, GitLab Code Quality's `fingerprint` and `--baseline` all use it.

The source root is the top of the git work tree holding the working directory (the
folder with `.git`), else the working directory: what GitHub calls `%SRCROOT%`.
"""

from __future__ import annotations

import hashlib
import os
import re

_LINE_REF = re.compile(r"\b(?:lines?|line no\.?)\s+\d+(?:\s*(?:[-–,]|and)\s*\d+)*", re.I)


def source_root(start=None):
    """The git work tree's top above `start` (default: the working directory), else
    `start` itself. Only looks for a `.git` entry; runs nothing."""
    from infra_expert.fsgate import work_tree
    here = os.path.abspath(start or os.getcwd())
    return work_tree(here) or here


def relative_uri(path, root):
    """`path` as a URI reference relative to `root` (forward slashes, no `./`); a path
    outside `root` stays as given, made absolute."""
    absolute = os.path.abspath(path)
    try:
        rel = os.path.relpath(absolute, root)
    except ValueError:            # another drive
        return absolute.replace(os.sep, "/")
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return absolute.replace(os.sep, "/")
    return rel.replace(os.sep, "/")


# Another file quoted with its line, `(deploy/compose.yaml:6)`: its folder depends on the
# working directory, its line on edits. The name is kept when it looks like a file (a
# letter, and an extension or a capital: `compose.yaml`, `Dockerfile`); `8080:8080`,
# `127.0.0.1:53` and `postgres:16` are left alone.
_FILE_REF = re.compile(r"(?<![^\s`'\"(),;:\[\]])([^\s`'\"(),;:\[\]]+):\d+(?::\d+)?(?!\d)")


def _file_ref(match):
    name = match.group(1).rstrip("/").rsplit("/", 1)[-1]
    if re.search("[A-Za-z]", name) and ("." in name.strip(".") or name[:1].isupper()):
        return name
    return match.group(0)


def normalised_message(message):
    """The message without the line numbers it may quote ("first set on line 12",
    "compose.yaml:6"), and a file it quotes by name only (not `../compose.yaml`)."""
    return _FILE_REF.sub(_file_ref, _LINE_REF.sub("line", str(message)))


def fingerprints(findings, root=None):
    """One hex fingerprint per finding (`Finding` objects or their `as_dict()`), in order.
    The rank among equal keys follows the order given (a review's sorted order)."""
    root = root or source_root()
    seen = {}
    out = []
    relative = {}                  # path -> its URI: a fleet has many findings per file
    for f in findings:
        if isinstance(f, dict):
            rule, path, message = f["rule"], f["path"], f["message"]
        else:
            rule, path, message = f.rule.id, f.path, f.message
        if path and path not in relative:
            relative[path] = relative_uri(path, root)
        key = "\0".join((rule, relative[path] if path else "", normalised_message(message)))
        rank = seen[key] = seen.get(key, -1) + 1
        digest = hashlib.sha256(f"{key}\0{rank}".encode("utf-8", "surrogateescape"))
        out.append(digest.hexdigest()[:32])
    return out
