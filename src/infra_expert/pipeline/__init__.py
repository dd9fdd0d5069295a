"""The pipeline domain: GitHub Actions workflows (`.github/workflows/*.yml`, and the same
syntax under `.forgejo/workflows/` and `.gitea/workflows/`), composite or Docker actions
(`action.yml` with `runs.using`), GitLab CI (`.gitlab-ci.yml` with the files it includes
locally) and Woodpecker (`.woodpecker.yml`, `.woodpecker/*.yml`).

Kinds: "workflow", "action", "gitlab", "gitlab-include" (a file a `.gitlab-ci.yml`
includes: reviewed with it, see `gitlab.py`), "woodpecker". A workflow is recognised by
its folder; elsewhere only a YAML file whose top level clearly is a workflow (`on:`,
`jobs:` and a job with `runs-on:` or `steps:`) is one.
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


_BY_NAME = {"action.yml": "action", "action.yaml": "action", ".gitlab-ci.yml": "gitlab",
            ".woodpecker.yml": "woodpecker", ".woodpecker.yaml": "woodpecker"}


def by_name(name):
    return _BY_NAME.get(name.lower())


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


def owner(abs_path, gate=None):
    """A YAML file given alone that the nearest `.gitlab-ci.yml` above it (inside the
    reviewed tree) includes: that pipeline is reviewed, and the engine keeps the findings
    of the file that was asked for (pre-commit staging only `ci/deploy.yml`)."""
    if gate is None or not abs_path.lower().endswith(_YAML_EXT) or \
            os.path.basename(abs_path).lower() == ".gitlab-ci.yml":
        return None
    directory = os.path.dirname(os.path.abspath(abs_path))
    while gate.inside(directory):
        candidate = os.path.join(directory, ".gitlab-ci.yml")
        if os.path.isfile(candidate):
            from infra_expert.pipeline.gitlab import includes_file
            return candidate if includes_file(candidate, abs_path, gate) else None
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent
    return None


def by_content(head, name, where):
    if not name.lower().endswith(_YAML_EXT):
        return None
    if _in_workflows_folder(where):
        return "workflow"     # GitHub runs every YAML file of the folder
    if where is not None and where.abspath and where.folder == ".woodpecker":
        return "woodpecker"   # Woodpecker runs every YAML file directly in `.woodpecker/`
    if _ON.search(head) and _JOBS.search(head) and _JOB_BODY.search(head):
        return "workflow"
    return None


def load(docs, ctx):
    from infra_expert.pipeline.model import load_workflow
    failures = []
    gitlab = [d for d in docs if d.kind in ("gitlab", "gitlab-include")]
    if gitlab:
        from infra_expert.pipeline.gitlab import load_gitlab_documents
        failures.extend(load_gitlab_documents(gitlab, ctx))
    for doc in docs:
        if doc.kind in ("gitlab", "gitlab-include"):
            continue
        try:
            if doc.kind == "woodpecker":
                from infra_expert.pipeline.gitlab import load_woodpecker
                doc.model = load_woodpecker(doc.text, doc.path)
            else:
                doc.model = load_workflow(doc.text, doc.path, doc.kind)
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on
            failures.append((doc, type(exc).__name__))
    return failures


def related(docs, ctx):
    """The files a `.gitlab-ci.yml` includes locally join the run (kind "gitlab-include"):
    their jobs are reviewed with the pipeline, their pragmas silence findings there."""
    if not any(d.kind == "gitlab" for d in docs):
        return []
    from infra_expert.pipeline.gitlab import included_documents
    return included_documents(docs, ctx)


def suppressions(doc, peer_index):
    """`# infra-expert: ignore=CI002 reason` on the line (trailing) or the line before,
    `ignore-file=` anywhere; and zizmor's `# zizmor: ignore[audit-a,audit-b]`, which
    silences the rules that claim `zizmor:<audit>` as a peer (see `_zizmor`)."""
    sups, unknown = line_comment_suppressions(doc.path, doc.text, peer_index, Suppression)
    if "zizmor: ignore[" in doc.text:
        sups.extend(_zizmor(doc, peer_index))
    return sups, unknown


# zizmor's own grammar, searched in a YAML comment: `# zizmor: ignore[a, b]`, one space
# after `#` and after `:`, no space before `[`, anything after `]` only past a space.
_ZIZMOR = lazy_re(r"# zizmor: ignore\[(.+)\](?:\s+.*)?$")
_BLOCK_START = lazy_re(r"^(\s*(?:-\s+)*)[^#\s][^#]*?:\s*[|>][-+0-9]*\s*(?:#.*)?$")


def _yaml_comment_at(raw):
    """Index of the `#` that starts a YAML comment on `raw`, or -1 (a `#` inside a word or
    a quoted string is not one)."""
    quote = None
    for i, ch in enumerate(raw):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'" and (i == 0 or raw[i - 1] in " \t:[{,-"):
            quote = ch
        elif ch == "#" and (i == 0 or raw[i - 1] in " \t"):
            return i
    return -1


def _indent(raw):
    return len(raw) - len(raw.lstrip(" "))


def _block_end(lines, start, indent):
    """Last line (1-based) of the block opened at line `start` (its content is indented
    more than `indent`), trailing blank and comment-only lines left out."""
    end = start
    for j in range(start, len(lines)):
        raw = lines[j]
        if not raw.strip():
            continue
        if _indent(raw) <= indent:
            break
        if not raw.lstrip().startswith("#"):
            end = j + 1
    return end


def _scalar_lines(lines):
    """1-based lines inside block scalars (`run: |`): a `#` there is the script's, not a
    YAML comment, and zizmor does not read it."""
    inside = set()
    for i, raw in enumerate(lines):
        if i + 1 in inside:
            continue
        m = _BLOCK_START.match(raw)
        if m:
            key_indent = len(m.group(1))
            for j in range(i + 1, len(lines)):
                nxt = lines[j]
                if nxt.strip() and _indent(nxt) <= key_indent:
                    break
                inside.add(j + 1)
    return inside


def _step_spans(doc):
    """(first, last) line of every step of the workflow: zizmor's findings about a step
    include the whole step, so an ignore comment anywhere in it applies."""
    flow = doc.model
    if flow is None or getattr(flow, "problems", None):
        return []
    lines = flow.lines
    spans = []
    for step in flow.steps():
        first = step.node.line
        raw = lines[first - 1] if 0 < first <= len(lines) else ""
        col = step.node.column - 1
        dash = raw.rfind("-", 0, col)
        spans.append((first, _block_end(lines, first, dash if dash >= 0 else col - 1)))
    return spans


def _zizmor(doc, peer_index):
    """Suppressions from zizmor's ignore comments, with zizmor's reach: a comment anywhere
    in a step covers the step; elsewhere, a trailing comment covers its line (and the block
    its key opens), a comment alone on its line the block it sits in."""
    from infra_expert.suppress import Pragma
    lines = doc.text.split("\n")
    scalars = None
    spans = None
    out = []
    for i, raw in enumerate(lines):
        if "zizmor: ignore[" not in raw:
            continue
        if scalars is None:
            scalars, spans = _scalar_lines(lines), _step_spans(doc)
        if i + 1 in scalars:
            continue
        at = _yaml_comment_at(raw)
        if at < 0:
            continue
        m = _ZIZMOR.search(raw[at:])
        if not m:
            continue
        codes = [c.strip() for c in m.group(1).split(",") if c.strip()]
        # zizmor compares audit names exactly: `Artipacked` names nothing
        ids, _ = peer_index.resolve(Pragma("zizmor", "line",
                                           [c for c in codes if c == c.lower()], None))
        if not ids:
            continue     # an audit no rule here claims: zizmor's business only
        line = i + 1
        step = next(((a, b) for a, b in spans if a <= line <= b), None)
        if step is not None:
            start, end = step
        elif raw[:at].strip():
            start = line
            end = _block_end(lines, line, _indent(raw)) if raw[:at].rstrip().endswith(":") \
                else line
        else:
            parent = next((j for j in range(i - 1, -1, -1) if lines[j].strip()
                           and not lines[j].lstrip().startswith("#")
                           and _indent(lines[j]) < _indent(raw)), None)
            if parent is None:
                start, end = line, line
            else:
                start = parent + 1
                end = _block_end(lines, parent + 1, _indent(lines[parent]))
        out.append(Suppression(doc.path, line, ids, start, end, "zizmor", ",".join(codes)))
    return out


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
    NAME, "CI", "CI/CD pipelines (GitHub Actions, GitLab CI, Woodpecker)", _rulesets,
    noun=("CI pipeline", "CI pipelines"),
    by_name=by_name, confirm=confirm, by_content=by_content, sniff=_YAML_EXT, load=load,
    owner=owner,
    related=related,
    suppressions=suppressions, column=column, project=project, group_by_folder=True,
    subject_nouns=("workflow", "workflows"), fence="yaml",
    example_names=(".github/workflows/ci.yml",))
