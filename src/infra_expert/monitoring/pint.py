"""pint's control comments, read as pint reads them, turned into our suppressions.

    # pint ignore/file             this line and every line below it
    # pint ignore/line             this line
    # pint ignore/next-line        the next line
    # pint ignore/begin … # pint ignore/end    the lines in between
    # pint disable CHECK           the rule the comment belongs to (one check per comment)
    # pint snooze DATE CHECK       the same, until DATE (RFC 3339 or YYYY-MM-DD)
    # pint file/disable CHECK      the whole file
    # pint file/snooze DATE CHECK  the whole file, until DATE

pint's grammar: a `#` anywhere on the line, optional spaces, the word `pint`, spaces, the
comment type, then its value. `ignore/*` with anything after it is not a valid comment
(pint ignores it and so do we); `disable` needs a value; a value matches a check when it
is the check's name or the name with a `(…)` qualifier (`promql/rate(prod)`). `ignore/*`
hides lines from pint altogether, so it silences every rule of ours that has a pint
equivalent; `disable` silences the rules that are equivalents of that check.
"""

from __future__ import annotations

from infra_expert.lazyre import lazy_re

from infra_expert.model import Suppression

_COMMENT = lazy_re(r"#[ \t]*pint[ \t]+([A-Za-z/-]+)(?:[ \t]+(.*?))?[ \t]*$")
_IGNORE = ("ignore/file", "ignore/line", "ignore/next-line", "ignore/begin", "ignore/end")
_KNOWN = _IGNORE + ("disable", "file/disable", "snooze", "file/snooze", "file/owner",
                    "rule/owner", "rule/set")


def read_comment(line):
    """(type, value) of the pint comment on a line, or None."""
    start = 0
    while True:
        at = line.find("#", start)
        if at < 0:
            return None
        m = _COMMENT.match(line, at)
        if m and m.group(1) in _KNOWN:
            value = (m.group(2) or "").strip()
            if m.group(1) in _IGNORE and value:
                return None                    # "unexpected comment suffix": not a comment
            if m.group(1) not in _IGNORE and not value:
                return None                    # "missing … value"
            return m.group(1), value
        start = at + 1


def _snooze_active(value, now=None):
    """(active, match) of a snooze value `DATE CHECK`."""
    date, _, match = value.partition(" ")
    if not match.strip():
        return False, ""
    from datetime import datetime, timezone
    until = None
    try:
        until = datetime.fromisoformat(date.replace("Z", "+00:00"))
    except ValueError:
        return False, ""
    if until.tzinfo is None:
        until = until.replace(tzinfo=timezone.utc)
    return until > (now or datetime.now(timezone.utc)), match.strip()


def _ids_for(match, peer_index):
    check = match.split("(", 1)[0] if match.endswith(")") and "(" in match else match
    if check != match and not match.startswith(check + "("):
        return set()
    return set(peer_index.by_peer.get(f"pint:{check}".lower(), ()))


def _pint_ids(peer_index):
    return {i for peer, ids in peer_index.by_peer.items() if peer.startswith("pint:")
            for i in ids}


def pint_suppressions(doc, peer_index, now=None):
    lines = doc.text.split("\n")
    total = len(lines)
    spans = []
    model = doc.model
    if model is not None and hasattr(model, "rules"):
        spans = sorted((min(r.node.line, r.line), r.end) for r in model.rules())
    every = _pint_ids(peer_index)
    out = []
    begin = None

    def add(line, ids, start, end, written):
        if ids and start <= end:
            out.append(Suppression(doc.path, line, ids, start, end, "pint", written))

    for i, raw in enumerate(lines, 1):
        if "pint" not in raw:
            continue
        found = read_comment(raw)
        if found is None:
            continue
        kind, value = found
        if kind == "ignore/file":
            add(i, every, i, total, kind)
        elif kind == "ignore/line":
            add(i, every, i, i, kind)
        elif kind == "ignore/next-line":
            add(i, every, i + 1, min(i + 1, total), kind)
        elif kind == "ignore/begin":
            begin = i
        elif kind == "ignore/end" and begin is not None:
            add(begin, every, begin + 1, i - 1, "ignore/begin")
            begin = None
        elif kind == "file/disable":
            add(i, _ids_for(value, peer_index), 1, total, value)
        elif kind == "file/snooze":
            active, match = _snooze_active(value, now)
            if active:
                add(i, _ids_for(match, peer_index), 1, total, match)
        elif kind in ("disable", "snooze"):
            match = value
            if kind == "snooze":
                active, match = _snooze_active(value, now)
                if not active:
                    continue
            span = _rule_of(i, spans, lines)
            if span:
                add(i, _ids_for(match, peer_index), span[0], span[1], match)
    if begin is not None:
        add(begin, every, begin + 1, total, "ignore/begin")
    return out


def _rule_of(line, spans, lines):
    """The (start, end) of the rule a comment belongs to: the rule whose lines hold it, or
    the rule right below a block of comment lines that holds it."""
    for start, end in spans:
        if start <= line <= end:
            return start, end
    nxt = line
    while nxt < len(lines) and lines[nxt].strip().startswith("#"):
        nxt += 1
    for start, end in spans:
        if start == nxt + 1:
            return start, end
    return None
