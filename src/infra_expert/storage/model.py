"""Models of the storage files: an rclone configuration (INI sections per remote, with
lines) and a JSON document read with positions (`jsonpos`)."""

from __future__ import annotations

from infra_expert.storage.jsonpos import JArr, JObj, JSONError, loads


class Entry:
    __slots__ = ("key", "value", "line")

    def __init__(self, key, value, line):
        self.key, self.value, self.line = key, value, line


class Remote:
    __slots__ = ("name", "line", "entries")

    def __init__(self, name, line):
        self.name, self.line = name, line
        self.entries = {}

    @property
    def type(self):
        e = self.entries.get("type")
        return e.value.strip().lower() if e else ""

    def get(self, key, default=""):
        e = self.entries.get(key)
        return e.value if e else default


class RcloneConf:
    __slots__ = ("encrypted", "remotes", "bad_lines")

    def __init__(self):
        self.encrypted = False
        self.remotes = []
        self.bad_lines = []       # (line, text) that are neither a section nor key = value


def parse_rclone(text):
    conf = RcloneConf()
    if "RCLONE_ENCRYPT_V0:" in text:
        conf.encrypted = True
        return conf
    current = None
    for n, raw in enumerate(text.split("\n"), 1):
        s = raw.strip()
        if not s or s[0] in "#;":
            continue
        if s.startswith("[") and s.endswith("]"):
            current = Remote(s[1:-1].strip(), n)
            conf.remotes.append(current)
            continue
        key, eq, value = s.partition("=")
        if not eq or current is None:
            conf.bad_lines.append(n)
            continue
        current.entries[key.strip().lower()] = Entry(key.strip(), value.strip(), n)
    return conf


class JsonDoc:
    __slots__ = ("kind", "root", "error", "error_line")

    def __init__(self, kind, root, error=None, error_line=None):
        self.kind, self.root, self.error, self.error_line = kind, root, error, error_line


def load_json(text, kind):
    try:
        return JsonDoc(kind, loads(text))
    except JSONError as exc:
        return JsonDoc(kind, None, str(exc).split(": ", 1)[-1], exc.line)
    except RecursionError:
        return JsonDoc(kind, None, "nested too deeply", 1)


def as_list(value):
    """A JSON value that may be one item or a list of them, as a list."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def line_of(obj, key=None, default=1):
    if isinstance(obj, JObj):
        return obj.key_line(key) if key is not None else obj.line
    if isinstance(obj, JArr):
        return obj.line
    return default
