"""`.env` files and Compose variable interpolation, as Docker Compose v2 does them.

Values come from the project's `.env` only: never from the reviewing machine's
environment, so that a review is the same everywhere and no local secret leaks into it.
"""

from __future__ import annotations

from infra_expert.expansion import MAX_EXPANSION_TOTAL, MAX_VALUE_LENGTH, Budget
from infra_expert.lazyre import lazy_re

_ENV_LINE = lazy_re(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$")
_COMMENT = lazy_re(r"\s#")
_VAR = lazy_re(r"\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])((?:[^{}]|\{[^{}]*\})*))?\}"
               r"|([A-Za-z_][A-Za-z0-9_]*))")


class EnvFile:
    """A parsed `.env`: values and the line each was set on."""

    def __init__(self, path=None):
        self.path = path
        self.values = {}
        self.lines = {}
        self.problems = []     # (line, message)
        self.limits = []       # (kind, line, message): an expansion cap hit, once per kind
        self.budget = Budget()


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
            parts = [value[1:]]
            # a quoted value may span lines (only the newest line can hold the closing
            # quote: looking at the whole body each time was quadratic)
            while quote not in parts[-1].replace("\\" + quote, "") and i < len(lines):
                parts.append(lines[i])
                i += 1
            body = "\n".join(parts)
            end = body.find(quote)
            while end > 0 and quote == '"' and body[end - 1] == "\\":
                end = body.find(quote, end + 1)
            value = body[:end] if end >= 0 else body
            if quote == '"':
                value = value.replace("\\n", "\n").replace('\\"', '"')
                value = _env_value(env, value, lineno)
        else:
            # `KEY=value  # comment`: found with a linear search (`\s+#.*$` backtracked
            # quadratically on a long run of blanks)
            comment = _COMMENT.search(value)
            value = (value[:comment.start()] if comment else value).strip()
            value = _env_value(env, value, lineno)
        env.values[key] = value
        env.lines[key] = lineno
    return env


def _env_value(env, value, lineno):
    value, problems = interpolate(value, env.values, env.budget)
    for _, kind in problems:
        if kind in LIMITS and kind not in (k for k, _, _ in env.limits):
            env.limits.append((kind, lineno, limit_message(kind)))
    return value


# Problem kinds of interpolate() that say a cap was hit (see infra_expert.expansion).
LIMITS = ("too-long", "budget")


def limit_message(kind):
    if kind == "too-long":
        return (f"a variable expands to more than {MAX_VALUE_LENGTH // 1024} KiB: its value "
                "is reviewed cut at that length")
    return (f"variable expansion here produced more than {MAX_EXPANSION_TOTAL // 2**20} MiB "
            "of text: values from this line on are reviewed as written, unexpanded")


def interpolate(text, variables, budget=None):
    """Substitute `${VAR}` forms. Returns (value, [(name, problem)]).

    problem is "unset" for a plain variable with no value (Compose substitutes an empty
    string and warns) and "required" for `${VAR:?err}` / `${VAR?err}` with no value (Compose
    refuses the file). Hostile input is bounded (name None): "too-long" when the value
    passes MAX_VALUE_LENGTH (it is cut there), "budget" when `budget` is spent (the text
    is returned as written, unexpanded).
    """
    if "$" not in text:
        return text, []
    if budget is not None and budget.exhausted:
        budget.hits += 1
        return text, [(None, "budget")]
    problems = []
    seen = set()

    def report(found):
        # once per (name, kind): a value of a million `${X}` is one problem, not a million
        for problem in found:
            if problem not in seen:
                seen.add(problem)
                problems.append(problem)

    def sub(m):
        if m.group(1):
            return "$"
        name = m.group(2) or m.group(5)
        op, word = m.group(3), m.group(4) or ""
        is_set = name in variables
        value = variables.get(name, "")
        if op is None:
            if not is_set:
                report([(name, "unset")])
            return value
        if op in (":-", "-"):
            if (op == ":-" and value) or (op == "-" and is_set):
                return value
            word, inner = interpolate(word, variables)
            report(inner)
            return word
        if op in (":+", "+"):
            if (op == ":+" and value) or (op == "+" and is_set):
                word, inner = interpolate(word, variables)
                report(inner)
                return word
            return ""
        if (op == ":?" and value) or (op == "?" and is_set):
            return value
        report([(name, "required")])
        return ""

    # Built piece by piece so that a value past the cap stops costing at the cap.
    pieces, size, pos = [], 0, 0
    for m in _VAR.finditer(text):
        piece = text[pos:m.start()] + sub(m)
        pieces.append(piece)
        size += len(piece)
        pos = m.end()
        if size > MAX_VALUE_LENGTH:
            break
    else:
        pieces.append(text[pos:])
        size += len(text) - pos
    result = "".join(pieces)
    if size > MAX_VALUE_LENGTH:
        result = result[:MAX_VALUE_LENGTH]
        problems.append((None, "too-long"))
        if budget is not None:
            budget.hits += 1
    if budget is not None and not budget.take(len(result)):
        budget.hits += 1
        return text, [p for p in problems if p[1] != "too-long"] + [(None, "budget")]
    return result, problems
