"""A small, tolerant PromQL reader: enough to find selectors, calls, range windows and
comparisons in an expression, and to say when it cannot parse.

It follows the grammar of Prometheus' parser for what rules need (operator precedence,
`bool`, vector matching, aggregations with `by`/`without` before or after the arguments,
subqueries, `offset`/`@` modifiers, the three string quotes) and raises `PromQLError` with
the character offset of the first thing it cannot read. It never evaluates anything.
"""

from __future__ import annotations

import re

from infra_expert.lazyre import lazy_re

AGGREGATIONS = frozenset({
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
    "bottomk", "topk", "quantile", "limitk", "limit_ratio"})
KEYWORD_OPS = {"and": "and", "or": "or", "unless": "unless", "atan2": "atan2"}
COMPARISONS = frozenset({"==", "!=", ">", "<", ">=", "<="})
# binary precedence, low to high; `^` is right-associative
PRECEDENCE = {"or": 1, "and": 2, "unless": 2, "==": 3, "!=": 3, ">": 3, "<": 3, ">=": 3,
              "<=": 3, "+": 4, "-": 4, "*": 5, "/": 5, "%": 5, "atan2": 5, "^": 6}

_DURATION = lazy_re(r"(?:\d+(?:y|w|d|h|ms|m|s))+")
_DURATION_PART = lazy_re(r"(\d+)(y|w|d|h|ms|m|s)")
_DURATION_SECONDS = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60,
                     "s": 1, "ms": 0.001}
_NUMBER = lazy_re(r"0[xX][0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_IDENT = lazy_re(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = lazy_re(r"[a-zA-Z_][a-zA-Z0-9_]*")
# Prometheus' model.ParseDuration: units in this order, each at most once
_PROM_DURATION = lazy_re(r"(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?"
                         r"(?:(\d+)ms)?")


class PromQLError(Exception):
    def __init__(self, message, offset=0):
        super().__init__(message)
        self.message = message
        self.offset = offset


def parse_duration(text):
    """Seconds of a Prometheus duration (`5m`, `1h30m`, `0`), or None when invalid —
    the same grammar Prometheus uses for `for:`, `interval:` and scrape settings."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return 0.0 if text == 0 else None
    text = str(text).strip()
    if text == "0":
        return 0.0
    if not text:
        return None
    m = _PROM_DURATION.fullmatch(text)
    if not m or not any(m.groups()):
        return None
    total = 0.0
    for value, unit in zip(m.groups(), ("y", "w", "d", "h", "m", "s", "ms")):
        if value:
            total += int(value) * _DURATION_SECONDS[unit]
    return total


def _duration_seconds(text):
    return sum(int(n) * _DURATION_SECONDS[u] for n, u in _DURATION_PART.findall(text))


class Token:
    __slots__ = ("kind", "value", "pos")

    def __init__(self, kind, value, pos):
        self.kind, self.value, self.pos = kind, value, pos

    def __repr__(self):
        return f"{self.kind}:{self.value}"


def tokenize(text):
    """Tokens: ident, number, string, duration, op, punct ( ) { } [ ] , : @ ; comments
    (`# …` to the end of the line) are skipped."""
    out = []
    i, n = 0, len(text)
    in_brackets = 0
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if c in "\"'`":
            j = i + 1
            while j < n and text[j] != c:
                if text[j] == "\\" and c != "`":
                    j += 1
                elif text[j] == "\n" and c != "`":
                    raise PromQLError("unterminated quoted string", i)
                j += 1
            if j >= n:
                raise PromQLError("unterminated quoted string", i)
            out.append(Token("string", text[i + 1:j], i))
            i = j + 1
            continue
        if in_brackets and c.isdigit():
            m = _DURATION.match(text, i)
            if m:
                out.append(Token("duration", m.group(), i))
                i = m.end()
                continue
        if c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            m = _DURATION.match(text, i)
            if m and not (m.end() < n and (text[m.end()].isalnum() or text[m.end()] == "_")):
                out.append(Token("duration", m.group(), i))
                i = m.end()
                continue
            m = _NUMBER.match(text, i)
            out.append(Token("number", m.group(), i))
            i = m.end()
            continue
        if c.isalpha() or c == "_" or (c == ":" and not in_brackets):
            m = _IDENT.match(text, i)
            out.append(Token("ident", m.group(), i))
            i = m.end()
            continue
        two = text[i:i + 2]
        if two in ("==", "!=", ">=", "<=", "=~", "!~"):
            out.append(Token("op", two, i))
            i += 2
            continue
        if c in "+-*/%^<>=":
            out.append(Token("op", c, i))
            i += 1
            continue
        if c in "(){}[],:@":
            if c == "[":
                in_brackets += 1
            elif c == "]":
                in_brackets = max(0, in_brackets - 1)
            out.append(Token("punct", c, i))
            i += 1
            continue
        raise PromQLError(f"unexpected character `{c}`", i)
    out.append(Token("eof", "", n))
    return out


# --- the tree -------------------------------------------------------------------------

class Node:
    __slots__ = ()

    def children(self):
        return ()

    def walk(self):
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children()))


class Number(Node):
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class String(Node):
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class Selector(Node):
    """`name{matchers}[range]`; `range` in seconds (None for an instant selector)."""

    __slots__ = ("name", "matchers", "range", "range_text", "pos")

    def __init__(self, name, matchers, pos):
        self.name = name
        self.matchers = matchers      # [(label, op, value)]
        self.range = None
        self.range_text = None
        self.pos = pos

    def matcher(self, label):
        return next((v for lbl, op, v in self.matchers if lbl == label and op == "="), None)


class Call(Node):
    __slots__ = ("name", "args", "pos")

    def __init__(self, name, args, pos):
        self.name, self.args, self.pos = name, args, pos

    def children(self):
        return self.args


class Aggregate(Node):
    __slots__ = ("op", "args", "grouping", "without")

    def __init__(self, op, args, grouping, without):
        self.op, self.args, self.grouping, self.without = op, args, grouping, without

    def children(self):
        return self.args


class Binary(Node):
    __slots__ = ("op", "lhs", "rhs", "bool")

    def __init__(self, op, lhs, rhs, bool_):
        self.op, self.lhs, self.rhs, self.bool = op, lhs, rhs, bool_

    def children(self):
        return (self.lhs, self.rhs)


class Unary(Node):
    __slots__ = ("op", "expr")

    def __init__(self, op, expr):
        self.op, self.expr = op, expr

    def children(self):
        return (self.expr,)


class Paren(Node):
    __slots__ = ("expr",)

    def __init__(self, expr):
        self.expr = expr

    def children(self):
        return (self.expr,)


class Subquery(Node):
    __slots__ = ("expr", "range")

    def __init__(self, expr, range_):
        self.expr, self.range = expr, range_

    def children(self):
        return (self.expr,)


# --- the parser -----------------------------------------------------------------------

class _Parser:
    def __init__(self, text):
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self, k=0):
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def next(self):
        tok = self.tokens[self.i]
        self.i = min(self.i + 1, len(self.tokens) - 1)
        return tok

    def expect(self, value):
        tok = self.next()
        if tok.value != value or tok.kind not in ("punct", "op"):
            raise PromQLError(f"expected `{value}`, found {_describe(tok)}", tok.pos)
        return tok

    def parse(self):
        if self.peek().kind == "eof":
            raise PromQLError("empty expression", 0)
        expr = self.expr(0)
        tok = self.peek()
        if tok.kind != "eof":
            raise PromQLError(f"unexpected {_describe(tok)}", tok.pos)
        return expr

    def binary_op(self):
        tok = self.peek()
        if tok.kind == "op" and tok.value in PRECEDENCE:
            return tok.value
        if tok.kind == "ident" and tok.value.lower() in KEYWORD_OPS:
            return tok.value.lower()
        return None

    def expr(self, min_prec):
        lhs = self.unary()
        while True:
            op = self.binary_op()
            if op is None or PRECEDENCE[op] < min_prec:
                return lhs
            prec = PRECEDENCE[op]
            self.next()
            bool_ = False
            if self.peek().kind == "ident" and self.peek().value.lower() == "bool":
                self.next()
                bool_ = True
            self.vector_matching()
            rhs = self.expr(prec if op == "^" else prec + 1)
            lhs = Binary(op, lhs, rhs, bool_)

    def vector_matching(self):
        tok = self.peek()
        if tok.kind == "ident" and tok.value.lower() in ("on", "ignoring"):
            self.next()
            self.label_list()
            tok = self.peek()
            if tok.kind == "ident" and tok.value.lower() in ("group_left", "group_right"):
                self.next()
                if self.peek().value == "(":
                    self.label_list()

    def label_list(self):
        self.expect("(")
        labels = []
        while self.peek().value != ")":
            tok = self.next()
            if tok.kind not in ("ident", "string") or tok.kind == "ident" and ":" in tok.value:
                raise PromQLError(f"expected a label name, found {_describe(tok)}", tok.pos)
            labels.append(tok.value)
            if self.peek().value == ",":
                self.next()
            elif self.peek().value != ")":
                raise PromQLError(f"expected `,` or `)`, found {_describe(self.peek())}",
                                  self.peek().pos)
        self.expect(")")
        return labels

    def unary(self):
        tok = self.peek()
        if tok.kind == "op" and tok.value in "+-":
            self.next()
            # `-x ^ y` is `-(x ^ y)`: unary binds weaker than `^`
            return Unary(tok.value, self.expr(PRECEDENCE["^"]))
        return self.postfix(self.primary())

    def postfix(self, node):
        while True:
            tok = self.peek()
            if tok.value == "[" and tok.kind == "punct":
                self.next()
                first = self.next()
                if first.kind != "duration":
                    raise PromQLError(f"expected a duration in `[…]`, found {_describe(first)}",
                                      first.pos)
                if self.peek().value == ":":
                    self.next()
                    if self.peek().kind == "duration":
                        self.next()
                    self.expect("]")
                    node = Subquery(node, _duration_seconds(first.value))
                    continue
                self.expect("]")
                if not isinstance(node, Selector):
                    raise PromQLError("a range `[…]` applies only to a metric selector "
                                      "(use a subquery `[range:step]`)", tok.pos)
                node.range = _duration_seconds(first.value)
                node.range_text = first.value
                continue
            if tok.kind == "ident" and tok.value.lower() == "offset":
                self.next()
                if self.peek().value == "-":
                    self.next()
                d = self.next()
                if d.kind not in ("duration", "number"):
                    raise PromQLError(f"expected a duration after `offset`, found "
                                      f"{_describe(d)}", d.pos)
                continue
            if tok.value == "@" and tok.kind == "punct":
                self.next()
                nxt = self.next()
                if nxt.kind == "ident" and nxt.value in ("start", "end"):
                    self.expect("(")
                    self.expect(")")
                elif nxt.kind == "op" and nxt.value in "+-" and self.peek().kind == "number":
                    self.next()
                elif nxt.kind not in ("number", "duration"):
                    raise PromQLError(f"expected a timestamp after `@`, found "
                                      f"{_describe(nxt)}", nxt.pos)
                continue
            return node

    def primary(self):
        tok = self.next()
        if tok.kind == "number":
            return Number(_number(tok.value))
        if tok.kind == "duration":
            return Number(_duration_seconds(tok.value))
        if tok.kind == "string":
            return String(tok.value)
        if tok.kind == "punct" and tok.value == "(":
            inner = self.expr(0)
            self.expect(")")
            return Paren(inner)
        if tok.kind == "punct" and tok.value == "{":
            self.i -= 1
            matchers = self.matchers()
            name = next((v for lbl, op, v in matchers if lbl == "__name__" and op == "="), None)
            return Selector(name, matchers, tok.pos)
        if tok.kind == "ident":
            low = tok.value.lower()
            if low in ("inf", "nan") and self.peek().value not in ("(", "{"):
                return Number(float(low))
            nxt = self.peek()
            if low in AGGREGATIONS and (nxt.value == "(" or nxt.kind == "ident"
                                        and nxt.value.lower() in ("by", "without")):
                return self.aggregate(low)
            if self.peek().value == "(" and self.peek().kind == "punct" and ":" not in tok.value:
                self.next()
                return Call(tok.value, self.args(), tok.pos)
            if low in KEYWORD_OPS or low in ("bool", "by", "without", "on", "ignoring",
                                             "group_left", "group_right", "offset"):
                if self.peek().value != "{":
                    raise PromQLError(f"unexpected keyword `{tok.value}`", tok.pos)
            matchers = self.matchers() if self.peek().value == "{" else []
            return Selector(tok.value, matchers, tok.pos)
        raise PromQLError(f"unexpected {_describe(tok)}", tok.pos)

    def aggregate(self, op):
        grouping, without = None, False
        if self.peek().kind == "ident" and self.peek().value.lower() in ("by", "without"):
            without = self.next().value.lower() == "without"
            grouping = self.label_list()
        self.expect("(")
        args = self.args()
        if grouping is None and self.peek().kind == "ident" and \
                self.peek().value.lower() in ("by", "without"):
            without = self.next().value.lower() == "without"
            grouping = self.label_list()
        return Aggregate(op, args, grouping, without)

    def args(self):
        args = []
        if self.peek().value == ")":
            self.next()
            return args
        while True:
            args.append(self.expr(0))
            tok = self.next()
            if tok.value == ")":
                return args
            if tok.value != ",":
                raise PromQLError(f"expected `,` or `)`, found {_describe(tok)}", tok.pos)

    def matchers(self):
        self.expect("{")
        out = []
        while self.peek().value != "}":
            label = self.next()
            if label.kind not in ("ident", "string"):
                raise PromQLError(f"expected a label name, found {_describe(label)}", label.pos)
            op = self.peek()
            if label.kind == "string" and op.value in (",", "}"):
                out.append(("__name__", "=", label.value))
            else:
                op = self.next()
                if op.kind != "op" or op.value not in ("=", "!=", "=~", "!~"):
                    raise PromQLError(f"expected a label matcher operator, found "
                                      f"{_describe(op)}", op.pos)
                value = self.next()
                if value.kind != "string":
                    raise PromQLError(f"expected a quoted label value, found "
                                      f"{_describe(value)}", value.pos)
                out.append((label.value, op.value, value.value))
            if self.peek().value == ",":
                self.next()
            elif self.peek().value != "}":
                raise PromQLError(f"expected `,` or `}}`, found {_describe(self.peek())}",
                                  self.peek().pos)
        self.expect("}")
        return out


def _number(text):
    try:
        return float(int(text, 16)) if text.lower().startswith("0x") else float(text)
    except ValueError:
        return float("nan")


def _describe(tok):
    if tok.kind == "eof":
        return "the end of the expression"
    return f"`{tok.value}`"


def parse(text):
    """The tree of a PromQL expression. Raises PromQLError."""
    return _Parser(str(text)).parse()


def line_of(text, offset):
    """0-based line of a character offset in `text`."""
    return text.count("\n", 0, offset)


def unwrap(node):
    while isinstance(node, Paren):
        node = node.expr
    return node


def selectors(node):
    return [n for n in node.walk() if isinstance(n, Selector)]


def calls(node):
    return [n for n in node.walk() if isinstance(n, Call)]


def has_template(text):
    """A Go/Helm/Jinja template the rule file is rendered from: not PromQL yet."""
    return "{{" in text or "{%" in text or re.search(r"\$\{[A-Za-z_]", text) is not None
