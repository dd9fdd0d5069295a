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
    here = os.path.abspath(start or os.getcwd())
    probe = here
    while True:
        if os.path.exists(os.path.join(probe, ".git")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            return here
        probe = parent


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


def normalised_message(message):
    """The message without the line numbers it may quote ("first set on line 12")."""
    return _LINE_REF.sub("line", str(message))


def fingerprints(findings, root=None):
    """One hex fingerprint per finding (`Finding` objects or their `as_dict()`), in order.
    The rank among equal keys follows the order given (a review's sorted order)."""
    root = root or source_root()
    seen = {}
    out = []
    for f in findings:
        if isinstance(f, dict):
            rule, path, message = f["rule"], f["path"], f["message"]
        else:
            rule, path, message = f.rule.id, f.path, f.message
        key = "\0".join((rule, relative_uri(path, root) if path else "",
                         normalised_message(message)))
        rank = seen[key] = seen.get(key, -1) + 1
        digest = hashlib.sha256(f"{key}\0{rank}".encode("utf-8", "surrogateescape"))
        out.append(digest.hexdigest()[:32])
    return out
