"""ShellCheck on shell-form RUN instructions, when ShellCheck is installed.

Behaves as hadolint does: every shell-form RUN (and ONBUILD RUN), in the dialect of the
SHELL in effect (default `/bin/sh`: POSIX sh), none under PowerShell or cmd (nor on a
Windows base image, whose default shell is cmd), none for a
heredoc whose shebang is another language; every ARG/ENV name (and the proxy variables)
declared as `export NAME=1` before the script, so that build arguments are neither
"referenced but not assigned" (SC2154) nor word-split (SC2086); SC1090, SC1091 (sourcing a
file) and SC2187 (ash) skipped. A code that one of our rules already says about the same RUN
(SC2164 beside DF075) is left to ours.

All RUNs of one Dockerfile go to one ShellCheck process, each as a script of its own (a
RUN is its own shell). Lines and columns are the Dockerfile's: the instruction keyword
and flags are blanked, comment and empty lines inside a continuation (which BuildKit
drops) become a bare continuation, heredoc bodies stay where they are.
"""

from __future__ import annotations

import re

from infra_expert.model import RuleSet

rules = RuleSet("dockerfile")

SKIPPED = ("SC2187",)                  # hadolint's: ash; SC1090/SC1091 always skipped
# `cd` without `|| exit`: DF075 says `cd` (on the RUN's first line) already
SAID_BY_OURS = {"SC2164": "DF075"}
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY")
_DIALECTS = {"sh": "sh", "dash": "dash", "ash": "sh", "busybox": "sh", "bash": "bash",
             "ksh": "ksh", "mksh": "ksh", "ksh93": "ksh"}
_PREFIX = re.compile(r"[ \t]*(?:onbuild[ \t]+)?run\b[ \t]*", re.IGNORECASE)
_FLAG = re.compile(r"--[A-Za-z][\w-]*(?:=(?:\"[^\"]*\"|'[^']*'|\S*))?[ \t]*")
_HEREDOC_ONLY = re.compile(r"^<<-?[ \t]*(\\?)([\"']?)[A-Za-z0-9_.\-]+\2[ \t]*$")
_WINDOWS = re.compile(r"(?i)mcr\.microsoft\.com/(?:windows|dotnet/framework)|nanoserver|"
                      r"servercore|windows/")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@rules.rule(
    "DF104", "warning", "reliability",
    "ShellCheck on RUN: a RUN it cannot parse (its other findings carry their SC code)",
    "When ShellCheck is installed, every shell-form RUN is checked by it, the way hadolint "
    "does; its findings are reported under their own codes (SC2086 …: `infra-expert "
    "explain SC2086`, `ignore = [\"SC2086\"]`). A RUN it cannot parse at all is reported "
    "here: ShellCheck then checks nothing else in it, and the build's shell may refuse it.",
    "Fix the syntax ShellCheck points at (an unclosed `if`, quote or `$(`). Ignoring DF104 "
    "turns ShellCheck off for Dockerfiles; ignore one SC code to silence only that check.",
    peers=("hadolint:SC1072", "shellcheck:SC1072"),
    example=(
        'FROM debian:12-slim\n'
        'ARG VERSION=1.2.3\n'
        'RUN if [ -n "$VERSION" ]; then \\\n'
        '      echo "building $VERSION" > /etc/build-version; \\\n'
        '    fi\n'
        'USER 10001'))
def shellcheck_run(doc, ctx):
    from infra_expert import shellcheck
    df = doc.model
    if df is None or df.escape != "\\" or shellcheck.find() is None:
        return
    from infra_expert.dockerfile.walkers import each_instruction
    jobs = []
    for ins in each_instruction(df, "RUN"):
        job = _script(df, ins)
        if job is not None:
            jobs.append(job)
    if not jobs:
        return
    ctx.index(shellcheck.checked).add(doc.path)
    found = shellcheck.check([shellcheck.Script("\n".join(lines) + "\n", dialect)
                              for dialect, lines, _ in jobs], exclude=SKIPPED)
    if found is None:
        return
    results, problem = found
    if problem:
        from infra_expert.model import Notice
        ctx.notices.append(Notice(doc.path, problem))
    ours = {}

    def said_by_ours(code, first, last):
        rid = SAID_BY_OURS.get(code)
        if rid is None:
            return False
        if rid not in ours:
            ours[rid] = _lines_of(rid, doc, ctx)
        return any(first <= line <= last for line in ours[rid])

    for (dialect, lines, origin), comments in zip(jobs, results):
        lines_of_run = [n for n in origin if n] or [0]
        first, last = min(lines_of_run), max(lines_of_run)
        yield from shellcheck.hits(comments, lines, origin, "dockerfile", "this RUN",
                                   lambda code, line: said_by_ours(code, first, last))


def _lines_of(rule_id, doc, ctx):
    """The lines one of our Dockerfile rules fires on in this file."""
    from infra_expert.dockerfile import _rulesets
    for ruleset in _rulesets():
        for rule in ruleset.rules:
            if rule.id == rule_id:
                try:
                    return {h.line for h in rule.fn(doc, ctx) if hasattr(h, "message")}
                except Exception:  # noqa: BLE001 - then ShellCheck says it
                    return set()
    return set()


def _windows(ins):
    """The stage builds on a Windows image, whose default shell is `cmd`."""
    stage = ins.stage
    try:
        chain = list(stage.inherited()) if stage is not None else []
    except Exception:  # noqa: BLE001 - a broken chain: judge the stage alone
        chain = [stage] if stage is not None else []
    return any(_WINDOWS.search(str(st.image_resolved or st.image or "")) for st in chain)


def _dialect(ins):
    """ShellCheck's dialect for the SHELL in effect, or None (PowerShell, cmd, zsh …)."""
    if not ins.shell:
        return None if _windows(ins) else "sh"
    name = ins.shell[0].replace("\\", "/").rsplit("/", 1)[-1].lower()
    if name.endswith(".exe"):
        return None
    return _DIALECTS.get(name)


def _exports(ins):
    names = [n for n in (ins.env or {}) if _NAME.match(n)]
    names += [p for proxy in PROXIES for p in (proxy, proxy.lower()) if p not in names]
    return "export " + " ".join(f"{n}=1" for n in names)


def _script(df, ins):
    """(dialect, script lines, origin) of one RUN, `origin[k]` the Dockerfile line of the
    script's line k+1 (None for the exports line); None when it is not shell."""
    if ins.json is not None:
        return None
    dialect = _dialect(ins)
    if dialect is None:
        return None
    lines = df.lines
    args = ins.args
    while args.startswith("--"):        # flags are not the command (parsed already)
        m = _FLAG.match(args)
        if not m:
            break
        args = args[m.end():]
    if any(d.end_line >= len(lines) and lines[d.end_line - 1].strip() != d.name
           for d in ins.heredocs):
        return None                  # an unterminated heredoc (DF038 says it)
    if ins.heredocs and _HEREDOC_ONLY.match(args.strip()):
        doc = ins.heredocs[0]
        body = lines[doc.line - 1:doc.end_line - 1]
        origin = list(range(doc.line, doc.line + len(body)))
        if body and body[0].startswith("#!"):
            words = body[0][2:].split()
            if words and words[0].rsplit("/", 1)[-1] == "env":
                words = [w for w in words[1:] if not w.startswith("-")]
            dialect = _DIALECTS.get(words[0].rsplit("/", 1)[-1] if words else "")
            if dialect is None:
                return None          # a Python (or other) script
            return dialect, [body[0], _exports(ins)] + body[1:], \
                [origin[0], None] + origin[1:]
        return dialect, [_exports(ins)] + body, [None] + origin
    out = []
    i = ins.line - 1
    end = min(ins.end_line, len(lines))
    prefix = True           # still in the keyword and flags
    continued = False       # inside the continuation of the instruction's own line
    while i < end:
        raw = lines[i]
        if continued and (not raw.strip() or raw.strip().startswith("#")):
            out.append("\\")     # BuildKit drops it: keep the line, join around it
            i += 1
            continue
        text = raw.rstrip()
        if prefix:
            m = _PREFIX.match(text) if i == ins.line - 1 else re.match(r"[ \t]*", text)
            pos = m.end() if m else 0
            while text.startswith("--", pos):
                f = _FLAG.match(text, pos)
                if not f:
                    break
                pos = f.end()
            rest = text[pos:]
            if rest.strip() in ("", "\\"):
                out.append("")
                continued = rest.strip() == "\\"
                i += 1
                if not continued:
                    break
                continue
            text = " " * pos + rest
            prefix = False
        out.append(text)   # rstripped: BuildKit reads `\ ` at the end as a continuation
        continued = text.endswith("\\")
        i += 1
        if not continued:
            break
    # the rest (heredoc bodies and terminators) as written
    while i < end:
        out.append(lines[i])
        i += 1
    origin = list(range(ins.line, ins.line + len(out)))
    return dialect, [_exports(ins)] + out, [None] + origin
