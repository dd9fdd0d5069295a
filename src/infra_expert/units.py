"""systemd-style unit files (Quadlet units now, systemd units later), with positions.

The syntax of systemd.syntax(7): `[Section]` headers, `Key=Value` entries that may
repeat, `#` and `;` comments, a backslash at the end of a line to continue it (comment
lines inside a continuation are skipped), and drop-in directories `NAME.d/*.conf` whose
entries come after the unit's own. Nothing here raises on bad input: problems are kept
as (line, message).
"""

from __future__ import annotations

import os


class Entry:
    __slots__ = ("key", "value", "line", "path")

    def __init__(self, key, value, line, path):
        self.key, self.value, self.line, self.path = key, value, line, path


class Section:
    __slots__ = ("name", "line", "entries", "path")

    def __init__(self, name, line, path):
        self.name, self.line, self.path = name, line, path
        self.entries = []


class Unit:
    def __init__(self, path):
        self.path = path
        self.sections = []
        self.problems = []        # (path, line, message)

    def section(self, name):
        """The entries of all sections called `name`, in order (drop-ins last)."""
        return [e for s in self.sections if s.name == name for e in s.entries]

    def has_section(self, name):
        return any(s.name == name for s in self.sections)

    def first_section(self, name):
        return next((s for s in self.sections if s.name == name), None)

    def get(self, section, key, default=None):
        """The last value of a key (later assignments win), or `default`."""
        found = [e for e in self.section(section) if e.key == key]
        return found[-1].value if found else default

    def entry(self, section, key):
        found = [e for e in self.section(section) if e.key == key]
        return found[-1] if found else None

    def get_all(self, section, key):
        """Every entry of a list-like key; an empty assignment resets the list."""
        out = []
        for e in self.section(section):
            if e.key == key:
                if e.value == "":
                    out = []
                else:
                    out.append(e)
        return out


def parse_unit(text, path, unit=None):
    unit = unit if unit is not None else Unit(path)
    current = None
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        raw = lines[i]
        lineno = i + 1
        i += 1
        stripped = raw.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if stripped.startswith("["):
            if not stripped.endswith("]"):
                unit.problems.append((path, lineno, f"malformed section header `{stripped}`"))
                continue
            current = Section(stripped[1:-1].strip(), lineno, path)
            unit.sections.append(current)
            continue
        value_lines = [stripped]
        while value_lines[-1].endswith("\\") and i < len(lines):
            value_lines[-1] = value_lines[-1][:-1].rstrip()
            nxt = lines[i].strip()
            i += 1
            if nxt.startswith(("#", ";")):
                value_lines.append("\\")
                continue
            value_lines.append(nxt)
        if value_lines[-1].endswith("\\"):
            value_lines[-1] = value_lines[-1][:-1]
        logical = " ".join(v for v in value_lines if v and v != "\\")
        key, eq, value = logical.partition("=")
        if not eq:
            # The line is not quoted: without `=` nothing says which part is a key and which
            # a value (`DB_PASSWORD hunter2`), and the masker could not tell either.
            unit.problems.append((path, lineno, "this line is not Key=Value (no `=`)"))
            continue
        if current is None:
            unit.problems.append((path, lineno, f"`{key.strip()}=` comes before any "
                                                "[Section] header"))
            continue
        current.entries.append(Entry(key.strip(), value.strip(), lineno, path))
    return unit


def drop_in_paths(unit_path, kind_suffix, listdir=os.listdir):
    """Drop-in files for a unit, in the order systemd applies them (by file name):
    `NAME.d/*.conf`, then the type-wide `container.d/*.conf` (for Quadlet units).
    `listdir` is the gate's, so that a drop-in folder linked outside is not even listed."""
    directory, name = os.path.split(unit_path)
    found = {}
    candidates = [os.path.join(directory, name + ".d")]
    if kind_suffix:
        candidates.insert(0, os.path.join(directory, kind_suffix + ".d"))
    if "@" in name:   # template instance foo@bar.container -> foo@.container.d
        base = name.split("@", 1)[0] + "@" + os.path.splitext(name)[1]
        candidates.insert(1, os.path.join(directory, base + ".d"))
    for d in candidates:
        try:
            for f in listdir(d):
                if f.endswith(".conf") and os.path.isfile(os.path.join(d, f)):
                    found[f] = os.path.join(d, f)   # later directories win on equal names
        except OSError:
            continue
    return [found[k] for k in sorted(found)]


def load_unit(doc, ctx, kind_suffix):
    """Parse a unit document with its drop-ins (read through the gate, in systemd's
    order), found and shown beside the unit as the unit itself is shown. `unit.files` is the
    unit and its drop-ins, `unit.texts` the drop-ins' texts (for their suppression
    comments); a refused drop-in is a notice."""
    from infra_expert.fsgate import Refused
    from infra_expert.model import Notice
    unit = parse_unit(doc.text, doc.path)
    unit.files = [doc.path]
    unit.texts = {}
    for conf in drop_in_paths(doc.path, kind_suffix, ctx.gate.listdir):
        shown = os.path.normpath(conf)
        try:
            text = ctx.gate.read_text(conf)
        except Refused as exc:
            ctx.notices.append(Notice(shown, f"drop-in not applied: {exc.describe()}"))
            continue
        parse_unit(text, shown, unit)
        unit.files.append(shown)
        unit.texts[shown] = text
    return unit


def drop_in_owner(abs_path, folder_pattern):
    """The unit a drop-in given alone (`NAME.service.d/x.conf`) belongs to, or None.
    `folder_pattern` matches the drop-in folder's name; a template's drop-in whose
    template is not there names no unit."""
    if not abs_path.endswith(".conf"):
        return None
    folder = os.path.dirname(abs_path)
    if not folder_pattern.fullmatch(os.path.basename(folder)):
        return None
    unit = folder[:-2]
    return unit if os.path.isfile(unit) else None
