""".gitignore and .dockerignore matching in time linear in the pattern and the path.

Ignore files come from the reviewed repository, which is untrusted: a pattern such as
`*a*a*a*a*a*ab` made the backtracking regular expressions that globs used to be compiled
to run for minutes on one long name. Here a pattern is compiled to a small automaton with
one state per pattern token, all the patterns of a file side by side, and simulated with
bit operations (one big integer holds the set of live states), so matching one path
costs O(path length x total pattern length / 64) whatever the patterns: nothing is ever
retried.

Two dialects share the automaton:
- `GitIgnore`: git's .gitignore (wildmatch with WM_PATHNAME), matched on UTF-8 bytes as
  git does; a drop-in for `pathspec.GitIgnoreSpec.from_lines(...).match_file(rel)`.
- `DockerIgnore`: Docker's .dockerignore (moby/patternmatcher: Go `filepath.Match` globs
  after path cleaning, `**` for any number of directories), matched on characters.

Both keep the first MAX_PATTERNS patterns within MAX_TOTAL_LENGTH characters (the rest
are ignored) and skip a pattern longer than MAX_PATTERN_LENGTH: real ignore files stay
far below all three. Ignoring a pattern can only make more files reviewed.
"""

from __future__ import annotations

import posixpath

MAX_PATTERNS = 10_000
MAX_PATTERN_LENGTH = 4096
MAX_TOTAL_LENGTH = 128 * 1024
# Results remembered per ignore file (discovery asks about siblings one by one).
_CACHE_LIMIT = 10_000

# Pattern tokens: ("lit", symbol), ("one",) any symbol but "/", ("class", _Class),
# ("star",) any run without "/", ("any",) any run at all, ("opt",) "(.*/)?": nothing, or
# any run that ends with "/" (what `**/` means).
_STAR_KINDS = {"star", "any", "opt"}


class _Class:
    """A bracket expression: single symbols, inclusive ranges and named classes."""

    __slots__ = ("negated", "symbols", "ranges", "tests", "slash", "allow_slash")

    def __init__(self, negated, symbols, ranges, tests, slash, allow_slash):
        self.negated = negated
        self.symbols = frozenset(symbols)
        self.ranges = tuple(ranges)
        self.tests = tuple(tests)
        self.slash = slash
        self.allow_slash = allow_slash   # git's never matches "/", Go's may

    def __contains__(self, c):
        if c == self.slash and not self.allow_slash:
            return False
        hit = c in self.symbols or any(lo <= c <= hi for lo, hi in self.ranges) \
            or any(test(c) for test in self.tests)
        return hit != self.negated


def _mask(positions):
    """An integer with the given bits set, built in one go (or-ing bits one at a time
    into a big integer costs quadratic time)."""
    if not positions:
        return 0
    bitmap = bytearray(max(positions) // 8 + 1)
    for pos in positions:
        bitmap[pos >> 3] |= 1 << (pos & 7)
    return int.from_bytes(bitmap, "little")


class _Automaton:
    """Patterns side by side in one bit-parallel automaton, one state per token.

    State i means "the tokens before i matched". A symbol moves state i to i+1 when token
    i consumes it; a star keeps its state i+1 alive on the symbols it repeats; stars step
    over themselves (i -> i+1) and `(.*/)?` over its two positions (i -> i+2) without
    consuming anything. Each pattern ends in an accepting state; the next pattern's states
    follow it, and no step crosses from one pattern into the next. A path is read once for
    all patterns: a step is a handful of big-integer operations, whatever the patterns.
    """

    _MASKS = ("ones", "keep_any", "keep_noslash", "eps1", "eps2", "starts", "finals")

    def __init__(self, slash):
        self.slash = slash
        self._size = 0
        self._lit_at = {}        # symbol -> positions of literal tokens that consume it
        self._class_at = []      # (position, _Class)
        self._at = {name: [] for name in self._MASKS}
        self._ready = False

    def add(self, tokens):
        """Append one pattern; returns the position of its accepting state."""
        at, pos = self._at, self._size
        at["starts"].append(pos)
        for kind, *arg in _merge_stars(tokens):
            if kind == "lit":
                self._lit_at.setdefault(arg[0], []).append(pos)
            elif kind == "one":
                at["ones"].append(pos)
            elif kind == "class":
                self._class_at.append((pos, arg[0]))
            else:   # a star: it loops at pos+1, and pos steps to pos+1 on nothing
                at["keep_noslash" if kind == "star" else "keep_any"].append(pos + 1)
                at["eps1"].append(pos)
                if kind == "opt":   # "(.*/)?": then "/" at pos+1; or skip both
                    at["eps2"].append(pos)
                    pos += 1
                    self._lit_at.setdefault(self.slash, []).append(pos)
            pos += 1
        at["finals"].append(pos)
        self._size = pos + 1
        self._ready = False
        return pos

    def _prepare(self):
        for name in self._MASKS:
            setattr(self, "_" + name, _mask(self._at[name]))
        self.finals = self._finals
        self._lits = {c: _mask(positions) for c, positions in self._lit_at.items()}
        self._adv = {}
        self._start = self._close(self._starts)
        self._ready = True

    def _close(self, d):
        eps1, eps2 = self._eps1, self._eps2
        while True:
            n = d | ((d & eps1) << 1) | ((d & eps2) << 2)
            if n == d:
                return d
            d = n

    def _advance_mask(self, c):
        mask = self._lits.get(c, 0) | _mask([pos for pos, cls in self._class_at if c in cls])
        if c != self.slash:
            mask |= self._ones
        if len(self._adv) < 4096:
            self._adv[c] = mask
        return mask

    def start(self):
        """The live states before any symbol."""
        if not self._ready:
            self._prepare()
        return self._start

    def feed(self, d, text, at_slash=False):
        """(live states after reading `text` from states `d`, accepting states reached
        just before each "/" when `at_slash`)."""
        seen, finals = 0, self._finals
        adv_cache, slash, eps = self._adv, self.slash, self._eps1
        keep_slash = self._keep_any
        keep_other = self._keep_any | self._keep_noslash
        for c in text:
            if c == slash:
                if at_slash:
                    seen |= d & finals
                keep = keep_slash
            else:
                keep = keep_other
            adv = adv_cache.get(c)
            if adv is None:
                adv = self._advance_mask(c)
            d = ((d & adv) << 1) | (d & keep)
            if not d:
                break
            if d & eps:
                d = self._close(d)
        return d, seen

    def run(self, text, at_slash=False):
        """The accepting states that the whole of `text` (str or bytes, as the patterns)
        reaches; with `at_slash`, also those that each part before a "/" reaches."""
        if not self._at["finals"]:
            return 0
        d, seen = self.feed(self.start(), text, at_slash)
        return seen | (d & self._finals)


def _merge_stars(tokens):
    """Adjacent stars that mean the same as one (`**/**/`, `.*` next to `*`) become one:
    it keeps the automaton small and its empty-step chains short."""
    out = []
    for tok in tokens:
        kind = tok[0]
        prev = out[-1][0] if out else None
        if kind in _STAR_KINDS and prev in _STAR_KINDS:
            if prev == "any" or kind == prev:
                continue                    # `.*` absorbs any star after it; `**` is `*`
            if kind == "any":
                out[-1] = tok               # `*` or `(.*/)?` then `.*` is `.*`
                continue
        out.append(tok)
    return out


# -- git ----------------------------------------------------------------------------------

_SLASH = ord("/")
_BACKSLASH = ord("\\")
_STAR = ord("*")

# wildmatch's [:name:] classes, with git's own ASCII-only ctype (its isspace is " \t\n\r")
_NAMED = {
    b"alnum": lambda c: 48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122,
    b"alpha": lambda c: 65 <= c <= 90 or 97 <= c <= 122,
    b"blank": lambda c: c in (9, 32),
    b"cntrl": lambda c: c < 32 or c == 127,
    b"digit": lambda c: 48 <= c <= 57,
    b"graph": lambda c: 33 <= c <= 126,
    b"lower": lambda c: 97 <= c <= 122,
    b"print": lambda c: 32 <= c <= 126,
    b"punct": lambda c: 33 <= c <= 47 or 58 <= c <= 64 or 91 <= c <= 96 or 123 <= c <= 126,
    b"space": lambda c: c in (9, 10, 13, 32),
    b"upper": lambda c: 65 <= c <= 90,
    b"xdigit": lambda c: 48 <= c <= 57 or 65 <= c <= 70 or 97 <= c <= 102,
}


def _git_class(p, j):
    """Parse a bracket expression after its "[" at p[j:], as wildmatch does.

    Returns (_Class, index after "]"), or None when it is malformed: wildmatch then aborts,
    so the whole pattern can never match.
    """
    n = len(p)
    if j >= n:
        return None
    negated = p[j] in b"!^"
    if negated:
        j += 1
    symbols, ranges, tests = set(), [], []
    prev = 0
    while True:   # a do-while: a "]" right after "[" or "[!" is a member
        if j >= n:
            return None
        ch = p[j]
        if ch == _BACKSLASH:
            j += 1
            if j >= n:
                return None
            ch = p[j]
            symbols.add(ch)
        elif ch == ord("-") and prev and j + 1 < n and p[j + 1] != ord("]"):
            j += 1
            ch = p[j]
            if ch == _BACKSLASH:
                j += 1
                if j >= n:
                    return None
                ch = p[j]
            ranges.append((prev, ch))
            ch = 0
        elif ch == ord("[") and j + 1 < n and p[j + 1] == ord(":"):
            end = p.find(b"]", j + 2)
            if end < 0:
                return None
            name = p[j + 2:end]
            if not name.endswith(b":"):
                symbols.add(ch)   # no ":]": a plain "[" member, scanning goes on at ":"
            else:
                test = _NAMED.get(name[:-1])
                if test is None:
                    return None
                tests.append(test)
                j = end
                ch = 0
        else:
            symbols.add(ch)
        prev = ch
        j += 1
        if j < n and p[j] == ord("]"):
            return _Class(negated, symbols, ranges, tests, _SLASH, False), j + 1


def _literal_length(p):
    """git's simple_length: how long the pattern is before its first special character."""
    return next((i for i, c in enumerate(p) if c in b"*?[\\"), len(p))


def _git_tokens(p, start=0):
    """wildmatch (WM_PATHNAME) tokens of a pattern (bytes), or None if it never matches.

    `start` is where git begins wildmatch: for a pattern with a slash, git compares the
    literal head itself and wildmatches the rest, so a `**` right after that head counts
    as the start of a pattern (`a/b**` reaches into `a/b/c/d`, as `git check-ignore`
    shows).
    """
    tokens, i, n = [], 0, len(p)
    while i < n:
        c = p[i]
        if c == _BACKSLASH:
            if i + 1 >= n:
                return None   # a trailing backslash matches nothing
            tokens.append(("lit", p[i + 1]))
            i += 2
        elif c == ord("?"):
            tokens.append(("one",))
            i += 1
        elif c == _STAR:
            j = i
            while j < n and p[j] == _STAR:
                j += 1
            whole = j - i >= 2 and (i == start or p[i - 1] == _SLASH)
            if whole and j == n:
                tokens.append(("any",))               # trailing `/**`: everything inside
            elif whole and p[j] == _SLASH:
                tokens.append(("opt",))               # `**/`: zero or more directories
                j += 1
            elif whole and p[j:j + 2] == b"\\/":
                tokens.append(("any",))               # `**\/`: no zero-directory shortcut
            else:
                tokens.append(("star",))              # any other run of stars is one `*`
            i = j
        elif c == ord("["):
            parsed = _git_class(p, i + 1)
            if parsed is None:
                return None
            tokens.append(("class", parsed[0]))
            i = parsed[1]
        else:
            tokens.append(("lit", c))
            i += 1
    return tokens


def _trim_trailing_spaces(line):
    """git's trim_trailing_spaces: unescaped trailing spaces go, `\\ ` stays."""
    last_space, i, n = None, 0, len(line)
    while i < n:
        ch = line[i]
        if ch == " ":
            if last_space is None:
                last_space = i
        elif ch == "\\":
            i += 1
            if i >= n:
                return line
            last_space = None
        else:
            last_space = None
        i += 1
    return line if last_space is None else line[:last_space]


class _GitPattern:
    __slots__ = ("tokens", "negated", "dir_only", "anchored", "text")

    def __init__(self, tokens, negated, dir_only, anchored, text):
        self.tokens, self.negated, self.dir_only = tokens, negated, dir_only
        self.anchored, self.text = anchored, text


def _git_pattern(line):
    """One .gitignore line as git's add_pattern reads it, or None (blank, comment, too
    long, or a pattern that can never match)."""
    if line.endswith("\r"):
        line = line[:-1]
    if not line or line.startswith("#") or len(line) > MAX_PATTERN_LENGTH:
        return None
    text = line
    line = _trim_trailing_spaces(line)
    negated = line.startswith("!")
    if negated:
        line = line[1:]
    dir_only = line.endswith("/")
    if dir_only:
        line = line[:-1]
    anchored = "/" in line   # a slash anywhere but at the end: relative to this directory
    if line.startswith("/"):
        line = line[1:]
    if not line:
        return None
    raw = line.encode("utf-8", "surrogateescape")
    tokens = _git_tokens(raw, _literal_length(raw) if anchored else 0)
    if tokens is None:
        return None
    return _GitPattern(tokens, negated, dir_only, anchored, text)


def _encode(path):
    return path.encode("utf-8", "surrogateescape")


def _bounded(parsed, size):
    """The first patterns of an ignore file, within MAX_PATTERNS and MAX_TOTAL_LENGTH."""
    kept, total = [], 0
    for item in parsed:
        if item is None:
            continue
        total += size(item)
        if len(kept) >= MAX_PATTERNS or total > MAX_TOTAL_LENGTH:
            break
        kept.append(item)
    return kept


class GitIgnore:
    """The patterns of one .gitignore, with git's semantics; paths are relative to the
    directory that holds it. `match_file("a/b/")` asks about a directory."""

    def __init__(self, patterns):
        self.patterns = patterns
        self._dirs = {}
        # patterns with a slash match the path from here, the others the name at any depth
        self._automata = {True: _Automaton(_SLASH), False: _Automaton(_SLASH)}
        self._owner = {}                         # (anchored, state position) -> index
        file_finals = {True: [], False: []}      # accepting states of non-`dir/` patterns
        for index, pattern in enumerate(patterns):
            pos = self._automata[pattern.anchored].add(pattern.tokens)
            self._owner[(pattern.anchored, pos)] = index
            if not pattern.dir_only:
                file_finals[pattern.anchored].append(pos)
        self._file_finals = {k: _mask(v) for k, v in file_finals.items()}

    @classmethod
    def from_lines(cls, lines):
        return cls(_bounded((_git_pattern(line) for line in lines), lambda p: len(p.text)))

    def match_file(self, rel_path):
        """True when git ignores the path: the last pattern that matches it is not a `!`
        one, or one of its parent directories is ignored (which nothing can undo)."""
        is_dir = rel_path.endswith("/")
        path = _normalize(rel_path)
        if not path:
            return False
        parent, _, name = path.rpartition("/")
        if parent and self._dir_ignored(parent):
            return True
        return self._decide(path, name, is_dir)

    def _dir_ignored(self, directory):
        """Whether a directory is ignored, itself or through a parent: one pass from the
        top, the path automaton carried from each directory into the next."""
        cached = self._dirs.get(directory)
        if cached is not None:
            return cached
        paths = self._automata[True]
        d, ignored = paths.start(), False
        for i, part in enumerate(directory.split("/")):
            d, _ = paths.feed(d, _encode(part if i == 0 else "/" + part))
            if self._verdict(d & paths.finals, part, True):
                ignored = True   # nothing below an ignored directory comes back
                break
        if len(self._dirs) >= _CACHE_LIMIT:
            self._dirs.clear()
        self._dirs[directory] = ignored
        return ignored

    def _decide(self, path, name, is_dir):
        return self._verdict(self._automata[True].run(_encode(path)), name, is_dir)

    def _verdict(self, path_hits, name, is_dir):
        """Ignored or not, from the patterns with a slash that matched the path and those
        without one that match its name: the last pattern that matches decides."""
        last = -1
        for anchored, hits in ((True, path_hits),
                               (False, self._automata[False].run(_encode(name)))):
            if not is_dir:
                hits &= self._file_finals[anchored]
            if hits:
                last = max(last, self._owner[(anchored, hits.bit_length() - 1)])
        return last >= 0 and not self.patterns[last].negated


def _normalize(rel_path):
    path = rel_path.strip("/")
    while path.startswith("./"):
        path = path[2:].lstrip("/")
    return "" if path == "." else path


# -- docker -------------------------------------------------------------------------------

# Go's unicode.IsSpace, which strings.TrimSpace strips
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006" \
            "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_GO_SPECIAL = set("*?[]\\")


def _go_clean(path):
    """Go's filepath.Clean on a slash path (posixpath keeps a leading "//", Go does not)."""
    path = posixpath.normpath(path)
    return path[1:] if path.startswith("//") else path


def _go_class(p, j):
    """A filepath.Match bracket expression after its "[" at p[j:]: (_Class, index after
    "]"), or None when Go calls the pattern malformed (Docker then refuses the file)."""
    n = len(p)
    negated = j < n and p[j] == "^"
    if negated:
        j += 1
    ranges = []

    def escaped(k):
        if k >= n or p[k] in "-]":
            return None, k
        if p[k] == "\\":
            k += 1
            if k >= n:
                return None, k
        return p[k], k + 1

    while True:
        if j < n and p[j] == "]" and ranges:
            return _Class(negated, (), ranges, (), "/", True), j + 1
        lo, j = escaped(j)
        if lo is None or j >= n:
            return None
        hi = lo
        if p[j] == "-":
            hi, j = escaped(j + 1)
            if hi is None or j >= n:
                return None
        ranges.append((lo, hi))


def _docker_tokens(p):
    """Tokens of a cleaned .dockerignore pattern, as moby's patternmatcher reads it, or
    None when the pattern is malformed."""
    if p.startswith("**") and not _GO_SPECIAL & set(p[2:]):
        # moby matches "**" + plain text as a suffix of the whole path ("**.go" matches
        # "a/b.go"); "**/name" is then "name" at any depth
        rest = p[2:]
        if rest.startswith("/"):
            return [("opt",)] + [("lit", c) for c in rest[1:]]
        return [("any",)] + [("lit", c) for c in rest]
    tokens, i, n = [], 0, len(p)
    while i < n:
        c = p[i]
        if c == "*" and p.startswith("**", i):
            i += 2
            if i < n and p[i] == "/":
                i += 1                                   # `**/` eats its slash
            tokens.append(("any",) if i == n else ("opt",))
            continue
        if c == "*":
            tokens.append(("star",))
        elif c == "?":
            tokens.append(("one",))
        elif c == "\\":
            if i + 1 >= n:
                return None
            i += 1
            tokens.append(("lit", p[i]))
        elif c == "[":
            parsed = _go_class(p, i + 1)
            if parsed is None:
                return None
            tokens.append(("class", parsed[0]))
            i = parsed[1]
            continue
        else:
            tokens.append(("lit", c))
        i += 1
    return tokens


def _docker_pattern(line):
    """(tokens, negated, line text) for one .dockerignore line, as Docker's ReadAll and
    patternmatcher.New read it, or None (blank, comment, malformed, too long)."""
    text = line.strip(_GO_SPACE)
    if not text or text.startswith("#") or len(text) > MAX_PATTERN_LENGTH:
        return None
    pattern, negated = text, text.startswith("!")
    if negated:
        pattern = pattern[1:].strip(_GO_SPACE)
        if not pattern:
            return None   # a lone "!": Docker refuses the file
    pattern = _go_clean(pattern)
    if len(pattern) > 1 and pattern.startswith("/"):
        pattern = _go_clean(pattern[1:])
    tokens = _docker_tokens(pattern)
    if tokens is None:
        return None
    return tokens, negated, text


class DockerIgnore:
    """`.dockerignore` semantics: Go `filepath.Match` patterns after path cleaning,
    relative to the context root, `**` for any number of directories, `!` exceptions,
    the last matching pattern wins, and a pattern matching a directory covers its content.

    `patterns` holds (tokens, negated, line text); `path` is where it was read.
    """

    def __init__(self, text="", path=None):
        self.path = path
        self.patterns = _bounded((_docker_pattern(line) for line in text.splitlines()),
                                 lambda p: len(p[2]))
        self._automaton = _Automaton("/")
        self._negated = {}   # accepting state position -> the pattern is a `!` one
        for tokens, negated, _ in self.patterns:
            self._negated[self._automaton.add(tokens)] = negated
        self._cache = {}

    @classmethod
    def from_lines(cls, lines, path=None):
        return cls("\n".join(lines), path)

    def ignores(self, rel_path):
        """True when Docker leaves `rel_path` (relative to the context) out of the build."""
        path = _go_clean(rel_path.strip("/") or ".")
        cached = self._cache.get(path)
        if cached is None:
            cached = False
            if path != "." and not path.startswith("../"):
                # one pass sees the path and each parent directory (the parts before "/")
                hits = self._automaton.run(path, at_slash=True)
                cached = bool(hits) and not self._negated[hits.bit_length() - 1]
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[path] = cached
        return cached
