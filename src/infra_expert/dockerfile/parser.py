"""A tolerant Dockerfile parser with exact line numbers.

It follows BuildKit's reading of a Dockerfile: parser directives at the top (`syntax`,
`escape`, `check`), line continuations with the escape character (comment lines inside a
continuation dropped), heredocs on RUN/COPY/ADD (the next instruction may follow the
terminator directly), JSON (exec) and shell forms, flags parsed generically (an unknown
flag is recorded, never fatal), ONBUILD wrapping, stages with names, and ARG/ENV values
resolved so that rules judge what the build will really see.

Problems the parser meets are kept in `problems` as (line, code, message): rules turn
them into findings; nothing here raises on bad input.
"""

from __future__ import annotations

from infra_expert.shell import split_words

import json
import re

from infra_expert.expansion import MAX_EXPANSION_TOTAL, MAX_VALUE_LENGTH, Budget
from infra_expert.lazyre import lazy_re

INSTRUCTIONS = frozenset({
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
    "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
    "WORKDIR",
})
KNOWN_FLAGS = {
    "FROM": {"platform"},
    "RUN": {"mount", "network", "security", "device"},
    "COPY": {"from", "chown", "chmod", "link", "parents", "exclude"},
    "ADD": {"chown", "chmod", "link", "checksum", "keep-git-dir", "exclude", "unpack",
            "parents"},
    "HEALTHCHECK": {"interval", "timeout", "start-period", "start-interval", "retries"},
}
JSON_FORM = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"})
HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})
DIRECTIVES = frozenset({"syntax", "escape", "check"})
# Predefined build args: always available, value known only at build time.
PLATFORM_ARGS = frozenset({
    "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT", "BUILDPLATFORM",
    "BUILDOS", "BUILDARCH", "BUILDVARIANT", "HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY",
    "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "ftp_proxy", "no_proxy",
    "all_proxy", "BUILDKIT_SYNTAX", "BUILDKIT_INLINE_CACHE", "SOURCE_DATE_EPOCH",
    "BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE",
    "BUILDKIT_CONTEXT_KEEP_GIT_DIR", "BUILDKIT_MULTI_PLATFORM",
})

_DIRECTIVE = lazy_re(r"^#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(.*?)\s*$")
_HEREDOC = lazy_re(r"(?<![<\w$])<<(?!<)(-?)\s*(\\?)([\"']?)([A-Za-z0-9_.\-]+)\3")
_FLAG = lazy_re(r"--([A-Za-z][\w-]*)(?:=(\"[^\"]*\"|'[^']*'|\S*))?(?:\s+|$)")
_VAR = lazy_re(r"\\\$|\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])([^}]*))?\}"
                  r"|([A-Za-z_][A-Za-z0-9_]*))")
_PLAIN_VAR = lazy_re(r"\\\$|\$([A-Za-z_][A-Za-z0-9_]*)")


class Heredoc:
    __slots__ = ("name", "body", "line", "end_line", "strip_tabs", "quoted")

    def __init__(self, name, body, line, end_line, strip_tabs, quoted):
        self.name = name
        self.body = body
        self.line = line          # first body line
        self.end_line = end_line  # the terminator line
        self.strip_tabs = strip_tabs
        self.quoted = quoted


class Instruction:
    """One instruction. `line`..`end_line` covers continuations and heredoc bodies."""

    __slots__ = ("keyword", "written", "line", "end_line", "flags", "args", "json",
                 "heredocs", "inner", "stage", "env", "shell", "bad_json", "_commands",
                 "_words", "shell_vars")

    def __init__(self, keyword, written, line, end_line, flags, args):
        self.keyword = keyword
        self.written = written    # the keyword as written (for casing checks)
        self.line = line
        self.end_line = end_line
        self.flags = flags        # [(name, value or None)] in order
        self.args = args          # text after the flags, continuations joined
        self.json = None          # list of str for exec form
        self.heredocs = []
        self.inner = None         # the wrapped instruction of an ONBUILD
        self.stage = None
        self.env = None           # variables in scope (name -> value or None); shared
        self.shell = None         # the SHELL (JSON words) in effect, None for /bin/sh -c
        self.bad_json = False     # starts with "[" but is not a JSON string array
        self._commands = None
        self._words = None
        self.shell_vars = {}      # plain assignments seen in a RUN's script

    def flag(self, name, default=None):
        value = default
        for n, v in self.flags:
            if n == name:
                value = v if v is not None else ""
        return value

    def flag_values(self, name):
        return [v or "" for n, v in self.flags if n == name]

    def has_flag(self, name):
        return any(n == name for n, _ in self.flags)

    @property
    def text(self):
        """A short rendering of the instruction for messages."""
        flags = " ".join(f"--{n}={v}" if v is not None else f"--{n}" for n, v in self.flags)
        s = f"{self.keyword} {flags + ' ' if flags else ''}{self.args}".strip()
        s = " ".join(s.split())
        return s if len(s) <= 120 else s[:117] + "..."

    def commands(self):
        """[(Command, line)] of a RUN (see `walkers.run_commands`): what another domain
        reading this model (a Compose healthcheck's tools) asks, without importing it."""
        from infra_expert.dockerfile.walkers import run_commands
        return run_commands(self)

    def __repr__(self):
        return f"<{self.keyword}@{self.line}>"


class Stage:
    __slots__ = ("index", "name", "name_written", "image", "image_resolved", "from_",
                 "instructions", "parent", "unresolved")

    def __init__(self, index, name, name_written, image, from_):
        self.index = index
        self.name = name                  # lower-cased alias or None
        self.name_written = name_written
        self.image = image                # as written
        self.image_resolved = image       # with ARG defaults substituted
        self.unresolved = []              # variables that had no value
        self.from_ = from_
        self.instructions = []
        self.parent = None                # the earlier Stage this one is built FROM

    @property
    def is_scratch(self):
        return self.image_resolved.lower() == "scratch"

    def inherited(self):
        """This stage and the stages it is built FROM, nearest first."""
        stage, seen = self, set()
        while stage is not None and stage.index not in seen:
            seen.add(stage.index)
            yield stage
            stage = stage.parent


class Dockerfile:
    """The parsed file: instructions, stages, directives, comments and problems."""

    def __init__(self):
        self.instructions = []     # top level, in order (ONBUILD inner ones via .inner)
        self.stages = []
        self.global_args = {}      # ARGs before the first FROM: name -> default or None
        self.directives = {}       # name -> (value, line)
        self.escape = "\\"
        self.comments = []         # (line, text) of every comment line
        self.problems = []         # (line, code, message)
        self.lines = []
        self.cache = {}            # per-file memo for walkers

    @property
    def final_stage(self):
        return self.stages[-1] if self.stages else None

    def shipped_stages(self):
        """The final stage and every stage it (transitively) builds FROM."""
        final = self.final_stage
        return list(final.inherited()) if final else []

    def all_instructions(self):
        """Every instruction, including those wrapped in ONBUILD."""
        for ins in self.instructions:
            yield ins
            if ins.inner is not None:
                yield ins.inner

    def stage_by_name(self, name):
        name = name.lower()
        for st in self.stages:
            if st.name == name:
                return st
        return None


# ----------------------------------------------------------------------------------------
def parse(text):
    df = Dockerfile()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    df.lines = lines
    n = len(lines)
    i = _directives(df, lines)
    esc = df.escape
    while i < n:
        raw = lines[i]
        stripped = raw.strip()
        if not stripped:
            i += 1
            continue
        if stripped.startswith("#"):
            df.comments.append((i + 1, stripped))
            i += 1
            continue
        start = i
        parts = []
        while True:
            cur = lines[i]
            body = cur.rstrip()
            if body.endswith(esc):
                parts.append(body[:-1])
                i += 1
                empty_seen = False
                while i < n:
                    s = lines[i].strip()
                    if s.startswith("#"):
                        df.comments.append((i + 1, s))
                    elif s:
                        break
                    else:
                        empty_seen = True
                    i += 1
                if empty_seen:
                    df.problems.append((start + 1, "empty-continuation",
                                        "empty line inside a line continuation "
                                        "(deprecated; a future BuildKit will refuse it)"))
                if i >= n:
                    df.problems.append((start + 1, "continuation-eof",
                                        "the file ends inside a line continuation"))
                    break
                continue
            parts.append(cur)
            i += 1
            break
        logical = " ".join(p.strip() for p in parts).strip()
        if not logical:
            continue   # a lone escape (at the end of the file, say): nothing to read
        end = i  # exclusive index of the last physical line used so far
        ins, i = _instruction(df, logical, start + 1, end, lines, i)
        if ins is not None:
            df.instructions.append(ins)
    _stages(df)
    _hadolint_shell(df)
    return df


def _hadolint_shell(df):
    """`# hadolint shell=powershell`: the default shell when no SHELL says otherwise."""
    for _, text in df.comments:
        m = re.match(r"#\s*hadolint\s+shell\s*=\s*(\S+)", text, re.IGNORECASE)
        if m:
            for ins in df.all_instructions():
                if ins.shell is None:
                    ins.shell = [m.group(1)]
            return


def _directives(df, lines):
    i = 0
    for i, raw in enumerate(lines):
        m = _DIRECTIVE.match(raw.strip())
        if not m or not raw.strip().startswith("#"):
            return i
        name = m.group(1).lower()
        if name not in DIRECTIVES:
            if name in ("hadolint", "infra-expert"):
                return i
            df.problems.append((i + 1, "unknown-directive",
                                f"`# {m.group(1)}=` is not a parser directive BuildKit knows; "
                                "it is read as a comment"))
            df.comments.append((i + 1, raw.strip()))
            return i + 1
        if name in df.directives:
            df.problems.append((i + 1, "duplicate-directive",
                                f"parser directive `{name}` given twice; BuildKit rejects it"))
        df.directives[name] = (m.group(2), i + 1)
        if name == "escape":
            if m.group(2) in ("\\", "`"):
                df.escape = m.group(2)
            else:
                df.problems.append((i + 1, "bad-escape",
                                    f"escape directive must be \\ or `, not {m.group(2)!r}"))
    return len(lines)


def _instruction(df, logical, line, end, lines, i):
    m = re.match(r"(\S+)\s*(.*)$", logical, re.S)
    written, rest = m.group(1), m.group(2)
    keyword = written.upper()
    ins = _make(keyword, written, rest, line, end, df)
    if keyword == "ONBUILD":
        m2 = re.match(r"(\S+)\s*(.*)$", rest, re.S)
        if m2:
            ins.inner = _make(m2.group(1).upper(), m2.group(1), m2.group(2), line, end, df)
    target = ins.inner if ins.inner is not None else ins
    if target.keyword in HEREDOC_INSTRUCTIONS and "<<" in target.args:
        i = _heredocs(df, target, lines, i)
        ins.end_line = target.end_line
    return ins, i


def _make(keyword, written, rest, line, end, df):
    flags = []
    while rest.startswith("--"):
        m = _FLAG.match(rest)
        if not m:
            break
        value = m.group(2)
        if value is not None and len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        flags.append((m.group(1).lower(), value))
        rest = rest[m.end():]
    ins = Instruction(keyword, written, line, end, flags, rest.strip())
    if keyword not in INSTRUCTIONS:
        df.problems.append((line, "unknown-instruction",
                            f"`{written}` is not a Dockerfile instruction"))
    known = KNOWN_FLAGS.get(keyword, set())
    for name, _ in flags:
        if name not in known:
            df.problems.append((line, "unknown-flag",
                                f"`{keyword} --{name}` is not a flag this instruction "
                                "is known to accept"))
    if keyword in JSON_FORM and ins.args.startswith("["):
        try:
            value = json.loads(ins.args)
        except ValueError:
            value = None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            ins.json = value
        else:
            ins.bad_json = True
    return ins


def _heredocs(df, ins, lines, i):
    n = len(lines)
    for m in _HEREDOC.finditer(ins.args):
        strip_tabs = m.group(1) == "-"
        quoted = bool(m.group(2) or m.group(3))
        name = m.group(4)
        body = []
        first = i + 1
        while i < n:
            cur = lines[i]
            check = cur.lstrip("\t") if strip_tabs else cur
            if check.rstrip() == name:
                break
            body.append(cur.lstrip("\t") if strip_tabs else cur)
            i += 1
        if i >= n:
            df.problems.append((ins.line, "unterminated-heredoc",
                                f"heredoc `<<{name}` is never terminated: the rest of the "
                                "file is swallowed into it"))
            ins.heredocs.append(Heredoc(name, "\n".join(body), first, n, strip_tabs, quoted))
            ins.end_line = n
            return n
        ins.heredocs.append(Heredoc(name, "\n".join(body), first, i + 1, strip_tabs, quoted))
        ins.end_line = i + 1
        i += 1
    return i


# ---------------------------------------------------------------- stages and variables --
def expand(text, env, budget=None):
    """Substitute $VAR forms with values from `env` (name -> value or None).

    Returns (expanded, unresolved_names). A variable that is unknown or has no value,
    and no default applies, is left as written and reported. A result longer than
    MAX_VALUE_LENGTH, or one that `budget` (a file's expansion.Budget) has no room for,
    is not produced: the text comes back as written, its variables unresolved (unknown,
    never guessed), and `budget.hits` counts it.
    """
    if "$" not in text:
        return text, []
    if budget is not None and budget.exhausted:
        return _not_expanded(text, budget)
    unresolved = []

    def sub(whole, name, op, word):
        if whole == "\\$":
            return "$"
        value = env.get(name)
        is_set = name in env and value is not None
        if op is None:
            if is_set:
                return value
            unresolved.append(name)
            return whole
        word, inner = expand(word or "", env)
        if op in (":-", "-"):
            if is_set and (value or op == "-"):
                return value
            unresolved.extend(inner)
            return word
        if op in (":+", "+"):
            return word if is_set and (value or op == "+") else ""
        # :? and ? -- an error when unset; we cannot know at review time
        if is_set:
            return value
        unresolved.append(name)
        return whole

    # Built piece by piece so that a value past the cap stops costing at the cap.
    pieces, size, pos = [], 0, 0
    for start, end, whole, name, op, word in _variables(text):
        piece = text[pos:start] + sub(whole, name, op, word)
        pieces.append(piece)
        size += len(piece)
        pos = end
        if size > MAX_VALUE_LENGTH:
            return _not_expanded(text, budget)
    pieces.append(text[pos:])
    result = "".join(pieces)
    if budget is not None and not budget.take(len(result)):
        return _not_expanded(text, budget)
    return result, unresolved


def _variables(text):
    """(start, end, whole, name, op, word) of each `$NAME`, `${NAME...}` and `\\$`.

    A `${` with no `}` after it never matches, but the regex would scan to the end of the
    text for each one (quadratic on `${A:-` repeated): past the last `}` only `$NAME`
    and `\\$` are looked for."""
    end = text.rfind("}") + 1
    for m in _VAR.finditer(text, 0, end):
        yield m.start(), m.end(), m.group(0), m.group(1) or m.group(4), m.group(2), m.group(3)
    for m in _PLAIN_VAR.finditer(text, end):
        yield m.start(), m.end(), m.group(0), m.group(1), None, None


def _not_expanded(text, budget):
    if budget is not None:
        budget.hits += 1
    names = dict.fromkeys(name for _, _, _, name, _, _ in _variables(text) if name)
    return text, list(names)


def _expansion_problem(df, budget, line, reported):
    """Tell once per file, at the instruction `line` that hit it, that a cap of variable
    expansion was hit (reported as a notice). Returns whether it has been told."""
    if budget.hits and not reported and line is not None:
        df.problems.append((line, "expansion-limit", EXPANSION_LIMIT_MESSAGE))
        return True
    return reported


EXPANSION_LIMIT_MESSAGE = (
    f"an ARG/ENV value expands to more than {MAX_VALUE_LENGTH // 1024} KiB, or the file's "
    f"expansions to more than {MAX_EXPANSION_TOTAL // 2**20} MiB: from here on such values "
    "are reviewed as written, unexpanded")


# Hostile input: a file with thousands of ENV lines must not cost quadratic memory.
# Scopes are shared between instructions and copied only when an ARG/ENV changes them;
# past these caps variables are no longer tracked, so their values count as unknown
# (never guessed).
MAX_SCOPE_COPIES = 2000
MAX_VARIABLES = 256


def _stages(df):
    global_args = {}
    env = {}
    shell = None
    stage = None
    copies = 0
    frozen = False
    budget = Budget()     # what ARG/ENV/FROM expansion may produce for this file
    told, previous = False, None
    for ins in df.instructions:
        told = _expansion_problem(df, budget, previous, told)
        previous = ins.line
        kw = ins.keyword
        if kw == "FROM":
            m = re.match(r"(\S+)(?:\s+[Aa][Ss]\s+(\S+))?\s*$", ins.args)
            image = m.group(1) if m else ins.args.split()[0] if ins.args else ""
            alias = m.group(2) if m and m.group(2) else None
            scope = dict(global_args)
            for name in PLATFORM_ARGS:
                scope.setdefault(name, None)
            resolved, unresolved = expand(image, scope, budget)
            stage = Stage(len(df.stages), alias.lower() if alias else None, alias, image, ins)
            stage.image_resolved = resolved
            stage.unresolved = unresolved
            parent = df.stage_by_name(resolved) if not unresolved else None
            if parent is not None and parent.index < stage.index:
                stage.parent = parent
                env = parent.instructions[-1].env if parent.instructions else {}
                shell = parent.instructions[-1].shell if parent.instructions else None
            else:
                env, shell = {}, None
            df.stages.append(stage)
            ins.stage = stage
            ins.env = scope
            stage.instructions.append(ins)
            continue
        ins.shell = shell
        if stage is None:
            ins.env = global_args
            if kw == "ARG" and not frozen:
                copies += 1
                if copies > MAX_SCOPE_COPIES or len(global_args) > MAX_VARIABLES:
                    frozen = True
                    continue
                global_args = dict(global_args)
                for name, value in _arg_pairs(ins.args):
                    if value is not None:
                        value, _ = expand(value, global_args, budget)
                    global_args[name] = value
            continue
        if kw in ("ARG", "ENV") and not frozen:
            copies += 1
            if copies > MAX_SCOPE_COPIES or len(env) > MAX_VARIABLES:
                frozen = True
                env = {}
            else:
                before = env
                env = dict(env)
                if kw == "ARG":
                    for name, value in _arg_pairs(ins.args):
                        if value is not None:
                            value, _ = expand(value, before, budget)
                        elif name in global_args:
                            value = global_args[name]
                        env[name] = value
                else:
                    # all pairs of one ENV see the values from before it
                    for name, value in env_pairs(ins.args):
                        env[name], _ = expand(value, before, budget)
        elif kw == "SHELL" and ins.json:
            shell = ins.json
        ins.stage = stage
        ins.env = env
        if ins.inner is not None:
            ins.inner.stage = stage
            ins.inner.env = env
            ins.inner.shell = shell
        stage.instructions.append(ins)
    df.global_args = global_args
    _expansion_problem(df, budget, previous, told)


def _arg_pairs(args):
    for word in split_words(args):
        name, eq, value = word.partition("=")
        yield name, (value if eq else None)


def env_pairs(args):
    """`ENV a=b c="d e"` or legacy `ENV key some value`."""
    words = split_words(args)
    if not words:
        return []
    if "=" not in words[0]:
        key, _, value = args.strip().partition(" ")
        return [(key, _unquote(value.strip()))]
    return [(w.partition("=")[0], w.partition("=")[2]) for w in words if "=" in w]


def _unquote(s):
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'":
        return s[1:-1]
    return s




def label_pairs(args):
    words = split_words(args)
    if words and "=" not in words[0] and len(words) >= 2:  # legacy `LABEL key value`
        return [(words[0], " ".join(words[1:]))]
    return [(w.partition("=")[0], w.partition("=")[2]) for w in words]
