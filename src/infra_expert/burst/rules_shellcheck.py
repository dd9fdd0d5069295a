"""ShellCheck on cloud bursting scripts, when ShellCheck is installed.

One process per script, the script on stdin, in the dialect of its shebang (`bash` when
it has none: what the domain assumes too); a `zsh` or other script is not checked.
A budget variable nothing reads (SC2034) is not said: it is what CB008 asks for.
Makefiles are not: each recipe line is a shell of its own and Make variables are only
partly known, so ShellCheck would mostly report what Make, not the shell, does.
"""

from __future__ import annotations

import re

from infra_expert.model import RuleSet

rules = RuleSet("burst")

_DIALECTS = {"sh": "sh", "dash": "dash", "ash": "sh", "busybox": "sh", "bash": "bash",
             "ksh": "ksh", "mksh": "ksh", "ksh93": "ksh"}
_SHEBANG = re.compile(r"#![ \t]*(\S+)(?:[ \t]+(.*))?")


@rules.rule(
    "CB010", "warning", "reliability",
    "ShellCheck: a script it cannot parse (its other findings carry their SC code)",
    "When ShellCheck is installed, every cloud bursting script is checked by it; its "
    "findings are reported under their own codes (SC2086 …: `infra-expert explain "
    "SC2086`, `ignore = [\"SC2086\"]`). A script it cannot parse at all is reported here: "
    "ShellCheck then checks nothing else in it, and the shell may stop half-way, after the "
    "machine was created.",
    "Fix the syntax ShellCheck points at (an unclosed `if`, quote or `$(`). Ignoring CB010 "
    "turns ShellCheck off for these scripts; ignore one SC code to silence only that check.",
    peers=("shellcheck:SC1072",),
    example=(
        '#!/usr/bin/env bash\n'
        'set -euo pipefail\n'
        'MAX_COST_EUR=2\n'
        'name="render-$(date +%s)"\n'
        'trap \'hcloud server delete "$name"\' EXIT\n'
        'hcloud server describe "$name" >/dev/null 2>&1 || \\\n'
        '  hcloud server create --name "$name" --type cx22 --image ubuntu-24.04\n'
        'timeout 2h ssh "root@$name" ./render.sh\n'))
def shellcheck_script(doc, ctx):
    if doc.kind != "script" or doc.model is None:
        return
    from infra_expert import shellcheck
    if shellcheck.find() is None:
        return
    dialect = _dialect(doc.text)
    if dialect is None:
        return
    ctx.index(shellcheck.checked).add(doc.path)
    found = shellcheck.check([shellcheck.Script(doc.text, dialect)])
    if found is None:
        return
    (comments,), problem = found
    if problem:
        from infra_expert.model import Notice
        ctx.notices.append(Notice(doc.path, problem))
    lines = doc.text.split("\n")
    from infra_expert.burst.rules import _BUDGET

    def said_by_ours(code, line):
        # `MAX_COST_EUR=5` is the budget CB008 asks for: ShellCheck's "appears unused"
        # (SC2034) would contradict that advice
        return code == "SC2034" and bool(_BUDGET.search(lines[line - 1]))

    yield from shellcheck.hits(comments, lines, list(range(1, len(lines) + 1)), "burst",
                               "this script", said_by_ours)


def _dialect(text):
    if not text.startswith("#!"):
        return "bash"
    m = _SHEBANG.match(text.split("\n", 1)[0])
    if not m:
        return "bash"
    name = m.group(1).rsplit("/", 1)[-1]
    if name == "env":
        words = [w for w in (m.group(2) or "").split() if not w.startswith("-")]
        name = words[0].rsplit("/", 1)[-1] if words else ""
    return _DIALECTS.get(name)
