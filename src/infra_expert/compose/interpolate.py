"""`.env` files and Compose variable interpolation, as Docker Compose v2 does them.

Values come from the project's `.env` only: never from the reviewing machine's
environment, so that a review is the same everywhere and no local secret leaks into it.
"""

from __future__ import annotations

import re

from infra_expert.lazyre import lazy_re

_ENV_LINE = lazy_re(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$")
_VAR = lazy_re(r"\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])((?:[^{}]|\{[^{}]*\})*))?\}"
               r"|([A-Za-z_][A-Za-z0-9_]*))")


class EnvFile:
    """A parsed `.env`: values and the line each was set on."""

    def __init__(self, path=None):
        self.path = path
        self.values = {}
        self.lines = {}
        self.problems = []     # (line, message)


def parse_env(text, path=None):
    env = EnvFile(path)
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        raw = lines[i]
        lineno = i + 1
        i += 1
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _ENV_LINE.match(raw)
        if not m:
            env.problems.append((lineno, f"line {lineno} of .env is not KEY=VALUE"))
            continue
        key, value = m.group(1), m.group(2)
        if value[:1] in ("'", '"'):
            quote = value[0]
            body = value[1:]
            # a quoted value may span lines
            while quote not in body.replace("\\" + quote, "") and i < len(lines):
                body += "\n" + lines[i]
                i += 1
            end = body.find(quote)
            while end > 0 and quote == '"' and body[end - 1] == "\\":
                end = body.find(quote, end + 1)
            value = body[:end] if end >= 0 else body
            if quote == '"':
                value = value.replace("\\n", "\n").replace('\\"', '"')
                value, _ = interpolate(value, env.values)
        else:
            value = re.sub(r"\s+#.*$", "", value).strip()
            value, _ = interpolate(value, env.values)
        env.values[key] = value
        env.lines[key] = lineno
    return env


def interpolate(text, variables):
    """Substitute `${VAR}` forms. Returns (value, [(name, problem)]).

    problem is "unset" for a plain variable with no value (Compose substitutes an empty
    string and warns) and "required" for `${VAR:?err}` / `${VAR?err}` with no value (Compose
    refuses the file).
    """
    if "$" not in text:
        return text, []
    problems = []

    def sub(m):
        if m.group(1):
            return "$"
        name = m.group(2) or m.group(5)
        op, word = m.group(3), m.group(4) or ""
        is_set = name in variables
        value = variables.get(name, "")
        if op is None:
            if not is_set:
                problems.append((name, "unset"))
            return value
        if op in (":-", "-"):
            if (op == ":-" and value) or (op == "-" and is_set):
                return value
            word, inner = interpolate(word, variables)
            problems.extend(inner)
            return word
        if op in (":+", "+"):
            if (op == ":+" and value) or (op == "+" and is_set):
                word, inner = interpolate(word, variables)
                problems.extend(inner)
                return word
            return ""
        if (op == ":?" and value) or (op == "?" and is_set):
            return value
        problems.append((name, "required"))
        return ""

    return _VAR.sub(sub, text), problems
