"""The cloud bursting domain: shell scripts and Makefiles that create machines or clusters
(`scw instance server create`, `aws ec2 run-instances`, `hcloud server create`,
`gcloud compute instances create`, `terraform apply`, `kubectl scale` …).

Recognised by content only: a `*.sh`, `*.bash`, extension-less script with a shell
shebang, `Makefile` or `*.mk` is ours when it runs one of those commands; any other script
is left alone.
"""

from __future__ import annotations

from infra_expert.domain import Domain
from infra_expert.lazyre import lazy_re
from infra_expert.model import Suppression
from infra_expert.suppress import line_comment_suppressions

NAME = "burst"
_SHEBANG = lazy_re(r"\A#![ \t]*(?:/usr)?(?:/local)?/bin/(?:env[ \t]+(?:-\S+[ \t]+)*)?"
                   r"(?:ba|da|k|z)?sh\b")


def _rulesets():
    from infra_expert.burst import rules, rules_shellcheck
    return (rules.rules, rules_shellcheck.rules)


def by_name(name):
    lower = name.lower()
    if name in ("Makefile", "makefile", "GNUmakefile") or lower.endswith(".mk"):
        return "makefile"
    if lower.endswith((".sh", ".bash")) and not lower.startswith("."):
        return "script"
    return None


def confirm(kind, text, where):
    """Only scripts and Makefiles that create machines or clusters are ours."""
    from infra_expert.burst.model import looks_like_ours
    if kind == "makefile":
        from infra_expert.burst.model import makefile_script
        try:
            body = makefile_script(text)[0]
        except Exception:  # noqa: BLE001 - not ours, then
            return None
        return kind if looks_like_ours(body) else None
    return kind if looks_like_ours(text) else None


def by_content(head, name, where):
    """An extension-less file with a `#!/bin/sh`, `bash` or `env bash` shebang."""
    if "." in name.lstrip(".") or not _SHEBANG.match(head):
        return None
    from infra_expert.burst.model import looks_like_ours
    return "script" if looks_like_ours(head) else None


def load(docs, ctx):
    from infra_expert.burst.model import parse
    failures = []
    for doc in docs:
        try:
            doc.model = parse(doc.text, doc.kind)
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on
            failures.append((doc, type(exc).__name__))
    return failures


def suppressions(doc, peer_index):
    """`# infra-expert: ignore=CB004 reason` alone on the line before a command, or
    `ignore-file=` anywhere."""
    return line_comment_suppressions(doc.path, doc.text, peer_index, Suppression,
                                     markers="#", trailing=False)


DOMAIN = Domain(
    NAME, "CB", "Cloud bursting scripts", _rulesets,
    noun=("cloud bursting script", "cloud bursting scripts"),
    by_name=by_name, confirm=confirm, by_content=by_content, sniff=("",), load=load,
    suppressions=suppressions, fence="bash",
    example_names=("ops/burst/render.sh", "ops/burst/render"))
