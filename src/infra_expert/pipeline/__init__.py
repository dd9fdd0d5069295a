"""The pipeline domain: GitHub Actions workflows (`.github/workflows/*.yml`, and the same
syntax under `.forgejo/workflows/` and `.gitea/workflows/`) and composite or Docker
actions (`action.yml` with `runs.using`).

Kinds: "workflow", "action". A workflow is recognised by its folder; elsewhere only a
YAML file whose top level clearly is a workflow (`on:`, `jobs:` and a job with `runs-on:`
or `steps:`) is one.
"""

from __future__ import annotations

import os
import re

from infra_expert.domain import Domain
from infra_expert.lazyre import lazy_re
from infra_expert.model import Suppression
from infra_expert.suppress import line_comment_suppressions

NAME = "pipeline"
_YAML_EXT = (".yml", ".yaml")
_FORGES = (".github", ".forgejo", ".gitea")


def _rulesets():
    """The rule modules, imported when a review has files of this domain (or the
    catalogue asks): a one-file review does not pay for the others."""
    from infra_expert.pipeline import rules_actions, rules_deploy, rules_images, rules_supply
    return (rules_supply.rules, rules_actions.rules, rules_images.rules, rules_deploy.rules)


def _top(key):
    return lazy_re(rf"^[\"']?{key}[\"']?[ \t]*:(?:[ \t]|$)", re.MULTILINE)


_ON, _JOBS, _RUNS = _top("on"), _top("jobs"), _top("runs")
_JOB_BODY = lazy_re(r"^[ \t]+(?:runs-on|steps)[ \t]*:", re.MULTILINE)
_USING = lazy_re(r"^[ \t]+using[ \t]*:[ \t]*[\"']?(composite|docker)\b", re.MULTILINE)


def by_name(name):
    return "action" if name.lower() in ("action.yml", "action.yaml") else None


def confirm(kind, text, where):
    """An `action.yml` that is a composite or Docker action; a JavaScript action (nothing
    to review but its inputs) or anything else is let go."""
    if kind == "action":
        return kind if _RUNS.search(text) and _USING.search(text) else None
    return kind


def _in_workflows_folder(where):
    abspath = getattr(where, "abspath", None) if where is not None else None
    if not abspath:
        return False
    parent = os.path.dirname(abspath)
    return os.path.basename(parent) == "workflows" and \
        os.path.basename(os.path.dirname(parent)) in _FORGES


def by_content(head, name, where):
    if not name.lower().endswith(_YAML_EXT):
        return None
    if _in_workflows_folder(where):
        return "workflow"     # GitHub runs every YAML file of the folder
    if _ON.search(head) and _JOBS.search(head) and _JOB_BODY.search(head):
        return "workflow"
    return None


def load(docs, ctx):
    from infra_expert.pipeline.model import load_workflow
    failures = []
    for doc in docs:
        try:
            doc.model = load_workflow(doc.text, doc.path, doc.kind)
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on
            failures.append((doc, type(exc).__name__))
    return failures


def suppressions(doc, peer_index):
    """`# infra-expert: ignore=CI002 reason` on the line (trailing) or the line before,
    `ignore-file=` anywhere."""
    return line_comment_suppressions(doc.path, doc.text, peer_index, Suppression)


def project(doc):
    """Workflows group by folder: a rule that fires in twelve workflows is one entry."""
    return (os.path.dirname(doc.path) or ".", [doc.path], [])


def column(doc, line):
    """Where the key a finding is about starts on its line: past the indentation and a
    list item's `- ` (`      - uses: x@v1` -> the `u`); None for a line out of range."""
    lines = doc.text.split("\n")
    if not 1 <= line <= len(lines):
        return None
    text = lines[line - 1]
    stripped = text.lstrip(" ")
    while stripped.startswith("- "):
        stripped = stripped[2:].lstrip(" ")
    return len(text) - len(stripped) + 1 if stripped else None


DOMAIN = Domain(
    NAME, "CI", "CI/CD pipelines (GitHub Actions)", _rulesets,
    noun=("CI workflow", "CI workflows"),
    by_name=by_name, confirm=confirm, by_content=by_content, sniff=_YAML_EXT, load=load,
    suppressions=suppressions, column=column, project=project, group_by_folder=True,
    subject_nouns=("workflow", "workflows"), fence="yaml",
    example_names=(".github/workflows/ci.yml",))
