"""Just enough POSIX shell to judge the commands in a RUN.

`commands(script)` splits a script into simple commands at `&&`, `||`, `;`, `&`, `|`,
newlines and parentheses, honouring quotes, escapes, `$(...)`, backticks, comments and
heredocs. Each Command knows its words with quotes removed, whether it was run through
`sudo`, `env` or `xargs`, and what it pipes into. This is not a shell: it is a reader
that package-manager and pipe rules can trust on real Dockerfiles.
"""

from __future__ import annotations


from infra_expert.lazyre import lazy_re

_PREFIX_WORDS = frozenset({"!", "{", "}", "then", "do", "else", "if", "elif", "while",
                           "until", "time", "exec", "nohup", "command", "builtin",
                           "fi", "done", "esac", "in"})
_ASSIGNMENT = lazy_re(r"^[A-Za-z_][A-Za-z0-9_]*\+?=")
_HEREDOC_MARK = lazy_re(r"<<(-?)\s*\\?[\"']?([A-Za-z0-9_.\-]+)[\"']?")
_PLAIN = lazy_re(r"[^\\'\"$`#<>;&|()\s0-9]+")
_SPECIAL_BUILTINS = frozenset({"set", ":", "export", "readonly", "eval", "."})
SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "busybox"})


class Command:
    __slots__ = ("words", "name", "assignments", "sudo", "via_xargs", "pipe_in", "pipe_out",
                 "line", "sep_before", "sep_after", "nested")

    def __init__(self, words, assignments, line):
        self.words = words
        self.name = words[0].rsplit("/", 1)[-1] if words else ""
        self.assignments = assignments
        self.sudo = False
        self.via_xargs = False
        self.pipe_in = None       # the Command piping into this one
        self.pipe_out = None      # the Command this one pipes into
        self.line = line          # 0-based line offset in the script
        self.sep_before = None
        self.sep_after = None
        self.nested = False       # inside a $(...) or `...` substitution

    @property
    def args(self):
        return self.words[1:]

    def __repr__(self):
        return "Command(%r)" % (self.words,)


def commands(script, variables=None, _depth=0):
    """Simple commands of `script`, in order; those inside `$(...)` follow their host.

    Plain assignments (`deps='a b'`) are not commands; when `variables` is a dict they
    are recorded in it, so that `apt-get install $deps` can be judged.
    """
    result = []
    previous = None
    for words, line, sep_before, sep_after in _split(script):
        cmd = _command(words, line)
        if cmd is None:
            if variables is not None:
                for w in words:
                    if _ASSIGNMENT.match(w):
                        name, _, value = w.partition("=")
                        variables[name.rstrip("+")] = value
            if _depth < 8:   # `x="$(a | b)"` alone: still look inside
                for text in words:
                    for inner in _substitutions(text):
                        for c in commands(inner, _depth=_depth + 1):
                            c.line += line
                            c.nested = True
                            result.append(c)
            continue
        cmd.sep_before = sep_before
        cmd.sep_after = sep_after
        if variables is not None and cmd.name in _SPECIAL_BUILTINS:
            # POSIX: assignments before a special built-in persist (`deps='a b' set -x`)
            variables.update(cmd.assignments)
            if cmd.name in ("export", "readonly"):
                for w in cmd.args:
                    if _ASSIGNMENT.match(w):
                        name, _, value = w.partition("=")
                        variables[name.rstrip("+")] = value
        if sep_before == "|" and previous is not None and previous.sep_after == "|":
            cmd.pipe_in = previous
            previous.pipe_out = cmd
        result.append(cmd)
        previous = cmd
        if _depth < 8:
            for text in list(cmd.words) + list(cmd.assignments.values()):
                for inner in _substitutions(text):
                    for c in commands(inner, _depth=_depth + 1):
                        c.line += line
                        c.nested = True
                        result.append(c)
    return result


def _substitutions(word):
    """Contents of `$(...)` and backtick substitutions in a word."""
    if "$(" not in word and "`" not in word:
        return []
    out = []
    i = word.find("$(")
    while i >= 0:
        if word.startswith("$((", i):      # arithmetic, not a command
            i = word.find("$(", i + 3)
            continue
        end = _balanced(word, i + 1)
        out.append(word[i + 2:end - 1])
        i = word.find("$(", end)
    parts = word.split("`")
    out.extend(parts[1::2] if len(parts) >= 3 else [])
    return out


def _command(words, line):
    assignments = {}
    i = 0
    while i < len(words):
        w = words[i]
        if w in _PREFIX_WORDS:
            i += 1
        elif _ASSIGNMENT.match(w):
            name, _, value = w.partition("=")
            assignments[name.rstrip("+")] = value
            i += 1
        else:
            break
    words = words[i:]
    sudo = xargs = False
    changed = True
    while words and changed:
        changed = False
        name = words[0].rsplit("/", 1)[-1]
        if name == "sudo":
            sudo = changed = True
            words = _skip_options(words[1:], {"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t",
                                              "-U", "--user", "--group"})
        elif name == "env":
            changed = True
            words = _skip_options(words[1:], {"-u", "--unset", "-C", "--chdir", "-S"})
            while words and _ASSIGNMENT.match(words[0]):
                k, _, v = words[0].partition("=")
                assignments[k] = v
                words = words[1:]
        elif name == "xargs":
            xargs = changed = True
            words = _skip_options(words[1:], {"-n", "-I", "-P", "-L", "-d", "-E", "-s",
                                              "-a", "--max-args", "--max-procs",
                                              "--delimiter", "--arg-file"})
        elif name in ("nice", "ionice", "stdbuf", "timeout", "chroot", "gosu", "su-exec"):
            changed = True
            rest = _skip_options(words[1:], {"-n", "-c", "-o", "-e", "-i", "-s", "-k"})
            if name in ("timeout", "chroot", "gosu", "su-exec") and rest:
                rest = rest[1:]   # their first operand is a duration, root or user
            words = rest
        elif name in _PREFIX_WORDS:
            changed = True
            words = words[1:]
    if not words:
        return None
    cmd = Command(words, assignments, line)
    cmd.sudo = sudo
    cmd.via_xargs = xargs
    return cmd


def _skip_options(words, takes_value):
    i = 0
    while i < len(words) and words[i].startswith("-") and words[i] != "-":
        if words[i] == "--":
            return words[i + 1:]
        if words[i] in takes_value and "=" not in words[i]:
            i += 1
        i += 1
    return words[i:]


def _split(script):
    """Yield (words, line, separator_before, separator_after) for each simple command."""
    out = []
    words, cur, has = [], [], False
    line = 0
    cmd_line = 0
    sep_before = None
    pending_heredocs = []
    case = []          # per open `case … in`: "pattern" (a pattern is next) or "body"
    i, n = 0, len(script)

    def end_word():
        nonlocal cur, has
        if cur or has:
            words.append("".join(cur))
            if len(words) == 3 and words[0] == "case" and words[2] == "in":
                words.clear()          # `case WORD in` runs nothing; patterns follow
                case.append("pattern")
            elif words == ["esac"] and case:
                words.clear()
                case.pop()
        cur, has = [], False

    def end_command(sep):
        nonlocal words, sep_before, cmd_line
        end_word()
        if words:
            out.append([words, cmd_line, sep_before, sep])
            sep_before = sep
        elif out and sep in ("&&", "||", "|", ";", "&"):
            sep_before = sep
        else:
            sep_before = sep if sep not in ("\n",) else sep_before
        words = []
        cmd_line = line

    plain = _PLAIN.match
    while i < n:
        c = script[i]
        if case and case[-1] == "pattern" and not words and not cur and not has:
            # `x86_64|aarch64)`: a pattern, its `|` no pipe and its `)` no subshell
            if c in " \t\r;":
                i += 1
                continue
            if c == "\n" or script.startswith("\\\n", i):
                line += 1
                i += 1 if c == "\n" else 2
                continue
            if c == "#":
                j = script.find("\n", i)
                i = n if j < 0 else j
                continue
            if script.startswith("esac", i) and (i + 4 == n or script[i + 4] in " \t\r\n;&|)"):
                case.pop()
                i += 4
                continue
            j = i
            while j < n and script[j] != ")":
                if script[j] in "\"'":
                    close = script.find(script[j], j + 1)
                    j = n if close < 0 else close
                elif script[j] == "\\":
                    j += 1
                    line += script.startswith("\n", j)
                elif script[j] == "\n":
                    line += 1
                j += 1
            i = j + 1
            case[-1] = "body"
            cmd_line = line
            continue
        if not words and not cur and not has and c not in " \t\r\n;&|()\\":
            cmd_line = line
        m = plain(script, i)
        if m is not None:
            cur.append(m.group())
            i = m.end()
            continue
        if c == "\\":
            if i + 1 < n and script[i + 1] == "\n":
                i += 2
                line += 1
                continue
            if i + 1 < n:
                cur.append(script[i + 1])
                i += 2
                continue
            i += 1
            continue
        if c == "'":
            j = script.find("'", i + 1)
            j = n if j < 0 else j
            cur.append(script[i + 1:j])
            line += script.count("\n", i, j)
            has = True
            i = j + 1
            continue
        if c == '"':
            j = i + 1
            buf = []
            while j < n and script[j] != '"':
                if script[j] == "\\" and j + 1 < n and script[j + 1] in '"\\$`\n':
                    if script[j + 1] != "\n":
                        buf.append(script[j + 1])
                    j += 2
                    continue
                if script[j] == "$" and script.startswith("$(", j):
                    k = _balanced(script, j + 1)
                    buf.append(script[j:k])
                    j = k
                    continue
                buf.append(script[j])
                j += 1
            cur.append("".join(buf))
            line += script.count("\n", i, j)
            has = True
            i = j + 1
            continue
        if c == "$" and i + 1 < n and script[i + 1] == "(":
            k = _balanced(script, i + 1)
            cur.append(script[i:k])
            line += script.count("\n", i, k)
            i = k
            continue
        if c == "`":
            j = script.find("`", i + 1)
            j = n if j < 0 else j
            cur.append(script[i:j + 1])
            i = j + 1
            continue
        if c == "#" and not cur and not has:
            j = script.find("\n", i)
            i = n if j < 0 else j
            continue
        if c == "<" and script.startswith("<<", i) and not script.startswith("<<<", i):
            m = _HEREDOC_MARK.match(script, i)
            if m:
                pending_heredocs.append((m.group(2), m.group(1) == "-"))
                end_word()
                i = m.end()
                continue
        if c == "\n":
            end_command("\n")
            line += 1
            i += 1
            while pending_heredocs:
                delim, strip = pending_heredocs.pop(0)
                while i < n:
                    j = script.find("\n", i)
                    j = n if j < 0 else j
                    body_line = script[i:j]
                    i = j + 1
                    line += 1
                    if (body_line.lstrip("\t") if strip else body_line).strip() == delim:
                        break
            cmd_line = line
            continue
        if c in " \t\r":
            end_word()
            i += 1
            continue
        if c in ";&|()":
            two = script[i:i + 2]
            if two in ("&&", "||", ";;", "|&"):
                end_command("|" if two == "|&" else ("&&" if two == "&&" else
                                                     "||" if two == "||" else ";"))
                i += 2
                if two == ";;" and case:
                    case[-1] = "pattern"          # the next pattern of the case
                    if script.startswith("&", i):
                        i += 1                    # bash `;;&`
                continue
            if two == ";&" and case:              # bash fall-through: the next pattern
                end_command(";")
                case[-1] = "pattern"
                i += 2
                continue
            if c == "&" and script.startswith("&>", i):
                end_word()
                i += 2
                continue
            if c == "&" and i > 0 and script[i - 1] in "<>":
                cur.append(c)
                i += 1
                continue
            end_command(c)
            i += 1
            continue
        if c == ">" or c == "<":
            # redirections: drop the operator and its target from the words
            if cur and not has and "".join(cur).isdigit():
                cur = []          # `2>file`: the digits are the fd, not a word
            end_word()
            j = i
            while j < n and script[j] in "<>|":
                j += 1
            if j < n and script[j] == "&":      # >&2, <&0, >&- : the fd is the target
                j += 1
                while j < n and (script[j].isdigit() or script[j] == "-"):
                    j += 1
                i = j
                continue
            while j < n and script[j] in " \t":
                j += 1
            k = j
            while k < n and script[k] not in " \t\n;&|()":
                if script[k] in "\"'":
                    close = script.find(script[k], k + 1)
                    k = n if close < 0 else close
                k += 1
            i = k
            continue
        if c.isdigit() and not cur and i + 1 < n and script[i + 1] in "<>":
            i += 1
            continue
        cur.append(c)
        i += 1
    end_command(None)
    return out


def _balanced(s, i):
    """Index just past the `)` matching the `(` at s[i]."""
    depth, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        elif c in "'\"":
            j = s.find(c, i + 1)
            i = n if j < 0 else j
        i += 1
    return n


def has_option(args, *names):
    """True if any of the option spellings appears (`-y`, `--yes`, combined `-qy`)."""
    for a in args:
        if a in names:
            return True
        if a.startswith("--"):
            if a.split("=", 1)[0] in names:
                return True
        elif a.startswith("-") and len(a) > 2:
            for ch in a[1:]:
                if "-" + ch in names:
                    return True
    return False


def operands(args, takes_value=()):
    """Non-option arguments, skipping the value of options that take one."""
    out, i = [], 0
    while i < len(args):
        a = args[i]
        if a == "--":
            out.extend(args[i + 1:])
            break
        if a.startswith("-") and a != "-":
            if a in takes_value:
                i += 1
        else:
            out.append(a)
        i += 1
    return out


def split_words(s):
    """Split on unquoted whitespace; quotes are removed, backslash escapes honoured
    (Dockerfile ENV/LABEL values, Quadlet `Environment=` and `Exec=`)."""
    words, cur, quote, i, n, has = [], [], None, 0, len(s), False
    while i < n:
        c = s[i]
        if quote:
            if c == quote:
                quote = None
            elif c == "\\" and quote == '"' and i + 1 < n:
                i += 1
                cur.append(s[i])
            else:
                cur.append(c)
        elif c in "\"'":
            quote = c
            has = True
        elif c == "\\" and i + 1 < n:
            i += 1
            cur.append(s[i])
            has = True
        elif c.isspace():
            if cur or has:
                words.append("".join(cur))
                cur, has = [], False
        else:
            cur.append(c)
        i += 1
    if cur or has:
        words.append("".join(cur))
    return words
