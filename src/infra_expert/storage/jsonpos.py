"""JSON with positions: the stdlib's `json` keeps no line numbers, so this small reader
builds the same values (dicts, lists, str, int/float, bool, None) where every object and
array knows its own line and the line of each of its keys or items.

`loads(text) -> value`; `JSONError(message, line)` on bad input. Objects are `JObj` (a
dict: `.line`, `.key_line(k)`), arrays `JArr` (a list: `.line`, `.item_line(i)`).
Duplicate keys: the last wins, as in `json`.
"""

from __future__ import annotations

_MAX_DEPTH = 200


class JSONError(ValueError):
    def __init__(self, message, line):
        super().__init__(f"line {line}: {message}")
        self.line = line


class JObj(dict):
    __slots__ = ("line", "lines")

    def key_line(self, key, default=None):
        return self.lines.get(key, self.line if default is None else default)


class JArr(list):
    __slots__ = ("line", "lines")

    def item_line(self, i):
        return self.lines[i] if 0 <= i < len(self.lines) else self.line


_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r",
            "t": "\t"}
_WS = " \t\n\r"


class _Reader:
    def __init__(self, text):
        self.s = text
        self.i = 0
        self.n = len(text)
        self.line = 1

    def fail(self, message):
        raise JSONError(message, self.line)

    def skip(self):
        s, i, n = self.s, self.i, self.n
        while i < n and s[i] in _WS:
            if s[i] == "\n":
                self.line += 1
            i += 1
        self.i = i

    def value(self, depth):
        if depth > _MAX_DEPTH:
            self.fail("nested too deeply")
        self.skip()
        if self.i >= self.n:
            self.fail("unexpected end of file")
        c = self.s[self.i]
        if c == "{":
            return self.obj(depth)
        if c == "[":
            return self.arr(depth)
        if c == '"':
            return self.string()
        for word, val in (("true", True), ("false", False), ("null", None)):
            if self.s.startswith(word, self.i):
                self.i += len(word)
                return val
        return self.number()

    def obj(self, depth):
        out = JObj()
        out.line, out.lines = self.line, {}
        self.i += 1
        self.skip()
        if self.i < self.n and self.s[self.i] == "}":
            self.i += 1
            return out
        while True:
            self.skip()
            if self.i >= self.n or self.s[self.i] != '"':
                self.fail("expected a quoted key")
            line = self.line
            key = self.string()
            self.skip()
            if self.i >= self.n or self.s[self.i] != ":":
                self.fail(f"expected `:` after key {key!r}")
            self.i += 1
            out[key] = self.value(depth + 1)
            out.lines[key] = line
            self.skip()
            if self.i < self.n and self.s[self.i] == ",":
                self.i += 1
                continue
            if self.i < self.n and self.s[self.i] == "}":
                self.i += 1
                return out
            self.fail("expected `,` or `}`")

    def arr(self, depth):
        out = JArr()
        out.line, out.lines = self.line, []
        self.i += 1
        self.skip()
        if self.i < self.n and self.s[self.i] == "]":
            self.i += 1
            return out
        while True:
            self.skip()
            out.lines.append(self.line)
            out.append(self.value(depth + 1))
            self.skip()
            if self.i < self.n and self.s[self.i] == ",":
                self.i += 1
                continue
            if self.i < self.n and self.s[self.i] == "]":
                self.i += 1
                return out
            self.fail("expected `,` or `]`")

    def string(self):
        s, i, n = self.s, self.i + 1, self.n
        parts = []
        while True:
            j = i
            while j < n and s[j] not in '"\\\n':
                j += 1
            parts.append(s[i:j])
            if j >= n or s[j] == "\n":
                self.fail("unterminated string")
            if s[j] == '"':
                self.i = j + 1
                return "".join(parts)
            esc = s[j + 1:j + 2]
            if esc in _ESCAPES:
                parts.append(_ESCAPES[esc])
                i = j + 2
            elif esc == "u":
                try:
                    parts.append(chr(int(s[j + 2:j + 6], 16)))
                except ValueError:
                    self.fail("bad \\u escape")
                i = j + 6
            else:
                self.fail("bad escape in a string")

    def number(self):
        s, i, n = self.s, self.i, self.n
        j = i
        while j < n and s[j] in "+-0123456789.eE":
            j += 1
        token = s[i:j]
        if not token:
            self.fail(f"unexpected character {s[i]!r}")
        self.i = j
        try:
            return int(token) if token.lstrip("-").isdigit() else float(token)
        except ValueError:
            self.fail(f"bad number {token!r}")


def loads(text):
    if text.startswith("\ufeff"):
        text = text[1:]
    r = _Reader(text)
    value = r.value(0)
    r.skip()
    if r.i < r.n:
        r.fail("extra data after the JSON value")
    return value
