"""Inline suppression comments, read the same way in every domain.

    # infra-expert: ignore=DF004,DF005 reason      the line itself / the next statement
    # infra-expert: ignore-file=DF004 reason       the whole file
    # hadolint ignore=DL3008                       honoured through the rules' `peers`
    # hadolint global ignore=DL3008                the whole file
    # hadolint stage ignore=DL3008                 the rest of the build stage

hadolint's pragmas are read with hadolint's grammar exactly: lower-case keywords, codes
made of `D L S C` and digits, separated by commas with optional spaces, nothing after
them but an optional `# comment`. Anything else (a reason written after the codes, a
lower-case code) is not a pragma for hadolint, so it is not one here either.

Suppression is a post-filter (the engine applies it after all rules ran); this module
only reads comments. Domains decide which lines a comment covers.
"""

from __future__ import annotations

import re

from infra_expert.lazyre import lazy_re

_OURS = lazy_re(r"infra-expert\s*:\s*(ignore-file|ignore)\s*=\s*(.*)$", re.IGNORECASE)
_CODE = lazy_re(r"\s*([A-Za-z][A-Za-z0-9]\d{3}|SC\d{4}|all)\b\s*(,)?", re.IGNORECASE)
_SHELLCHECK = lazy_re(r"^SC\d{4}$")   # a ShellCheck code: its findings' rule id
_HADOLINT = lazy_re(r"hadolint[ \t]+(?:(global|stage)[ \t]+)?ignore[ \t]*=[ \t]*"
                       r"([DLSC0-9]+(?:[ \t]*,[ \t]*[DLSC0-9]+)*)[ \t]*(?:#.*)?$")


class Pragma:
    __slots__ = ("origin", "scope", "codes", "reason")

    def __init__(self, origin, scope, codes, reason):
        self.origin = origin      # "infra-expert" | "hadolint"
        self.scope = scope        # "line" | "file" | "stage"
        self.codes = codes        # as written, upper-cased
        self.reason = reason


def read_pragma(comment):
    """A Pragma from the text of one comment (with or without the leading `#`)."""
    text = comment.lstrip("#").strip()
    m = _OURS.match(text)
    if m:
        rest, codes = m.group(2), []
        while True:
            c = _CODE.match(rest)
            if not c:
                break
            codes.append(c.group(1).upper())
            rest = rest[c.end():]
            if not c.group(2):
                break
        if not codes and rest.strip():
            codes = [rest.split()[0].rstrip(",").upper()]   # a typo: reported as unknown
            rest = rest.strip()[len(codes[0]):]
        scope = "file" if m.group(1).lower() == "ignore-file" else "line"
        return Pragma("infra-expert", scope, codes, rest.strip() or None)
    m = _HADOLINT.match(text)
    if m:
        codes = [c.strip().upper() for c in m.group(2).split(",") if c.strip()]
        scope = {"global": "file", "stage": "stage"}.get((m.group(1) or "").lower(), "line")
        return Pragma("hadolint", scope, codes, None)
    return None


class PeerIndex:
    """Maps foreign codes (`hadolint:DL3008`) and our ids to the rules they name."""

    def __init__(self, rules, more=None):
        self.ids = set()
        self.by_peer = {}
        self._more = more    # more(code): the rules of the domain a code belongs to, or ()
        self._add(rules)

    def _add(self, rules):
        for r in rules:
            self.ids.add(r.id)
            for p in r.peers:
                self.by_peer.setdefault(p.lower(), set()).add(r.id)

    def resolve(self, pragma):
        """(rule ids, unknown codes) named by a pragma."""
        ids, unknown = set(), []
        for code in pragma.codes:
            if pragma.origin == "infra-expert":
                if code == "ALL":
                    ids |= self.ids
                elif code in self.ids or _SHELLCHECK.match(code):
                    ids.add(code)
                elif self._more is not None and code in {r.id for r in self._more(code)}:
                    self._add(self._more(code))   # a rule of a domain not in this run
                    ids.add(code)
                else:
                    unknown.append(code)
            else:
                found = self.by_peer.get(f"{pragma.origin}:{code}".lower())
                if found:
                    ids |= found
                elif _SHELLCHECK.match(code):    # hadolint passes SC codes to ShellCheck
                    ids.add(code)
        return ids, unknown


def line_comment_suppressions(path, text, peer_index, make, markers="#", trailing=True):
    """Suppressions from `# infra-expert: …` comments: a trailing comment (YAML) covers its
    own line, a comment alone on its line covers the next statement line, `ignore-file=`
    the whole file. `markers` are the comment characters (`#;` for unit files, which have
    no trailing comments: `trailing=False`). `make(path, line, ids, start, end, origin,
    codes)` builds each Suppression. Returns (suppressions, [(line, unknown codes)])."""
    sups, unknown = [], []
    lines = text.split("\n")
    total = len(lines)
    for i, raw in enumerate(lines):
        if "infra-expert" not in raw:
            continue
        stripped = raw.lstrip()
        if stripped[:1] and stripped[0] in markers:
            hash_at = len(raw) - len(stripped)
        elif trailing:
            hash_at = raw.find("#")
            while hash_at > 0 and not raw[hash_at - 1].isspace():
                hash_at = raw.find("#", hash_at + 1)
            if hash_at < 0:
                continue
        else:
            continue
        pragma = read_pragma(raw[hash_at:].lstrip(markers).strip())
        if pragma is None:
            continue
        ids, bad = peer_index.resolve(pragma)
        if bad:
            unknown.append((i + 1, bad))
        if not ids:
            continue
        if pragma.scope == "file":
            start, end = 1, total
        elif raw[:hash_at].strip():
            start = end = i + 1
        else:
            nxt = i + 1
            while nxt < total and (not lines[nxt].strip()
                                   or lines[nxt].lstrip()[0] in markers):
                nxt += 1
            start, end = i + 1, min(nxt + 1, total)
        sups.append(make(path, i + 1, ids, start, end, pragma.origin, ",".join(pragma.codes)))
    return sups, unknown
