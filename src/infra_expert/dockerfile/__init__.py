"""The Dockerfile domain: `Dockerfile`, `*.Dockerfile`, `Containerfile*`, `.dockerignore`."""

from __future__ import annotations

import re

from infra_expert.dockerfile.parser import parse
from infra_expert.domain import Domain
from infra_expert.lazyre import lazy_re
from infra_expert.model import Notice, Suppression
from infra_expert.suppress import Pragma, read_pragma

NAME = "dockerfile"
def _rulesets():
    """The rule modules, imported when a review has files of this domain (or the
    catalogue asks): a one-file review does not pay for the others."""
    from infra_expert.dockerfile import rules_compound, rules_content, rules_run, rules_structure, rules_logging, rules_supply, rules_shellcheck
    return (rules_structure.rules, rules_content.rules, rules_run.rules,
            rules_compound.rules, rules_supply.rules, rules_logging.rules,
            rules_shellcheck.rules)

# hadolint rules with no equivalent here, and why (printed in docs/rules.md).
NOT_COVERED = {
    "DL1001": "A team policy (\"no inline ignore pragmas\"), not a property of the "
              "Dockerfile. infra-expert instead reports suppressions that no longer match "
              "anything (IE001), which keeps pragmas honest.",
    "DL3049-DL3056": "Label-schema validation (required labels, strict labels, empty, URL, "
                     "RFC3339, SPDX, git-hash and semver label values) is opt-in in hadolint "
                     "and needs a project-specific schema; infra-expert checks label keys "
                     "(DF031) and secrets in label values (DF041).",
    "DL3058": "Email-format label values: the same opt-in label schema.",
    "SCxxxx": "Not embedded: when ShellCheck is installed (the optional extra "
              "`infra-expert[shellcheck]`), its findings on RUN are reported under their SC "
              "codes, as hadolint does (DF104); without it, infra-expert still reads RUN "
              "commands itself for the Dockerfile-specific checks.",
}


_NAME = lazy_re(
    r"^(?:(?:docker|container)file(?:[._-].*)?|.+[._-](?:docker|container)file)$",
    re.IGNORECASE | re.DOTALL)   # a name may hold a newline: still reviewed
_NOT_A_DOCKERFILE = (".md", ".txt", ".rst", ".yml", ".yaml", ".json", ".sh", ".py", ".j2",
                     ".jinja", ".tpl", ".tmpl", ".template", ".orig", ".bak", ".swp",
                     ".html", ".go", ".rb", ".js", ".ts", ".toml")
_FIRST_INSTRUCTION = lazy_re(r"^\s*(FROM|ARG)\s+\S", re.IGNORECASE)
_FROM_LINE = lazy_re(r"^\s*FROM\s+\S", re.IGNORECASE | re.MULTILINE)


def by_name(name):
    if name == ".dockerignore" or name.endswith(".dockerignore"):
        return "dockerignore"
    if _NAME.fullmatch(name) and not name.lower().endswith(_NOT_A_DOCKERFILE):
        return "dockerfile"
    return None


def by_content(head, name, where):
    """A file whose first instruction is FROM or ARG, with a FROM somewhere."""
    if name.lower().endswith((".yml", ".yaml")):
        return None
    for line in head.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if _FIRST_INSTRUCTION.match(line) and _FROM_LINE.search(head):
            return "dockerfile"
        return None
    return None


def load_all(docs, ctx):
    failures = []
    for doc in docs:
        if doc.kind == "dockerfile":
            try:
                doc.model = parse(doc.text)
            except Exception as exc:  # noqa: BLE001 - reported, the run goes on
                failures.append((doc, type(exc).__name__))
                continue
            # a cap of ARG/ENV expansion was hit: not a finding, but the user must know
            ctx.notices.extend(
                Notice(doc.path, f"line {line}: {message}")
                for line, code, message in doc.model.problems if code == "expansion-limit")
    return failures


def reviewable(doc):
    return doc.kind == "dockerfile" and doc.model is not None


def column(doc, line):
    """Findings point at an instruction: its first non-blank character."""
    lines = doc.model.lines
    if 1 <= line <= len(lines):
        text = lines[line - 1]
        return len(text) - len(text.lstrip()) + 1
    return None


def pragmas(doc):
    """[(comment line, Pragma, first line, last line)] for a Dockerfile."""
    df = doc.model
    if df is None:
        return []
    out = []
    instructions = df.instructions
    total = max(len(df.lines), 1)
    check = df.directives.get("check")
    if check:
        # `# check=skip=JSONArgsRecommended,UndefinedVar;error=true`: BuildKit's own checks
        for part in check[0].split(";"):
            key, _, value = part.partition("=")
            if key.strip().lower() == "skip" and value.strip().lower() != "all":
                codes = [c.strip().upper() for c in value.split(",") if c.strip()]
                out.append((check[1], Pragma("docker", "file", codes, None), 1, total))
    for line, text in df.comments:
        pragma = read_pragma(text)
        if pragma is None:
            continue
        if pragma.scope == "file":
            out.append((line, pragma, 1, total))
            continue
        target = next((ins for ins in instructions if ins.end_line >= line), None)
        if pragma.origin == "hadolint":
            out.append((line, pragma) + _hadolint_reach(df, pragma, line, target, total))
            continue
        if target is None:
            out.append((line, pragma, line, line))
            continue
        if pragma.scope == "stage":
            later = [s.from_.line for s in df.stages if s.from_.line > line]
            out.append((line, pragma, line, (later[0] - 1) if later else total))
        else:
            out.append((line, pragma, min(line, target.line), target.end_line))
    return out


def _hadolint_reach(df, pragma, line, target, total):
    """(first, last) line a hadolint pragma covers, as hadolint does: `ignore=` covers the
    line right after the comment only, so the instruction must start there (a blank line
    or another comment in between and it covers nothing); `stage ignore=` covers the lines
    after that next line, up to the next FROM."""
    nxt = line + 1
    if pragma.scope == "stage":
        later = [s.from_.line for s in df.stages if s.from_.line > nxt]
        return nxt + 1, (later[0] - 1) if later else total
    if target is not None and target.line == nxt:
        return nxt, target.end_line
    return nxt, nxt


def suppressions(doc, peer_index):
    """(Suppressions, [(line, unknown codes)]) for a document."""
    sups, unknown = [], []
    for line, pragma, start, end in pragmas(doc):
        ids, bad = peer_index.resolve(pragma)
        if bad:
            unknown.append((line, bad))
        if ids:
            sups.append(Suppression(doc.path, line, ids, start, end, pragma.origin,
                                    ",".join(pragma.codes)))
    return sups, unknown


# Approximate uncompressed sizes (MB) of common base images, for the resources section.
_BASE_SIZES = (
    ("scratch", 0), ("busybox", 4), ("alpine", 8), ("distroless/static", 2),
    ("distroless/base", 20), ("distroless/cc", 25), ("distroless/python3", 55),
    ("distroless/java", 200), ("distroless/nodejs", 170), ("chainguard", 20),
    ("debian:*-slim", 75), ("debian", 120), ("ubuntu", 78),
    ("python:*-alpine", 55), ("python:*-slim", 130), ("python", 1000),
    ("node:*-alpine", 135), ("node:*-slim", 220), ("node", 1100),
    ("golang:*-alpine", 250), ("golang", 850), ("rust:*-slim", 700), ("rust", 1500),
    ("nginx:*-alpine", 50), ("nginx", 190), ("eclipse-temurin:*-jre*", 270),
    ("eclipse-temurin", 450), ("openjdk", 470), ("maven", 500), ("ruby:*-alpine", 90),
    ("ruby:*-slim", 200), ("ruby", 1000), ("php:*-alpine", 100), ("php", 500),
    ("postgres:*-alpine", 240), ("postgres", 430), ("redis:*-alpine", 40), ("redis", 140),
    ("httpd:*-alpine", 60), ("httpd", 150), ("centos", 230), ("fedora", 190),
    ("rockylinux", 180), ("ubi-minimal", 100), ("ubi", 215),
)


def base_size_mb(image):
    """Rough size of a base image, or None when unknown."""
    from fnmatch import fnmatch

    from infra_expert.images import ImageRef
    ref = ImageRef(image)
    name = ref.short_name.lower()
    short = name.rsplit("/", 1)[-1]
    tag = (ref.tag or "latest").lower()
    for pattern, size in _BASE_SIZES:
        pname, _, ptag = pattern.partition(":")
        if "/" in pname:
            if pname not in name:
                continue
        elif pname == "chainguard":
            if not name.startswith("cgr.dev/chainguard"):
                continue
        elif short != pname:
            continue
        if ptag and not fnmatch(tag, ptag):
            continue
        return size
    return None


def resources(docs):
    """Per Dockerfile: stages, shipped base image and its approximate size."""
    images = []
    for doc in docs:
        df = doc.model
        if df is None or not df.stages:
            continue
        final = df.final_stage
        root = list(final.inherited())[-1]
        size = None if root.unresolved else (0 if root.is_scratch else
                                             base_size_mb(root.image_resolved))
        layers = sum(1 for s in df.shipped_stages() for i in s.instructions
                     if i.keyword in ("RUN", "COPY", "ADD"))
        images.append({"path": doc.path, "stages": len(df.stages),
                       "final_base": root.image_resolved, "base_size_mb": size,
                       "layers_added": layers})
    return {"images": images} if images else {}


def show_resources(res, out):
    images = res.get("images", [])
    if not images:
        return []
    lines = ["| Dockerfile | Final base image | Base size (approx.) | Stages | Layers added |",
             "|---|---|---|---|---|"]
    for img in (images if out.full else images[:3 * out.rows]):
        size = img["base_size_mb"]
        size_text = "unknown" if size is None else f"~{size} MB"
        base = img["final_base"]
        if "@sha256:" in base:
            base = base[:base.index("@sha256:") + 12] + "…"
        lines.append(f"| {out.cell(out.code(img['path']))} | {out.cell(out.code(base))} | "
                     f"{size_text} | {img['stages']} | {img['layers_added']} |")
    lines.append("")
    if not out.full and len(images) > 3 * out.rows:
        lines.extend([f"+{len(images) - 3 * out.rows} Dockerfiles; `--full` lists "
                      "every one.", ""])
    lines.extend(["Memory and CPU depend on how the image runs; they are estimated from "
                  "the Compose files, manifests or units that run it.", ""])
    return lines


DOMAIN = Domain(
    NAME, "DF", "Dockerfile", _rulesets, noun=("Dockerfile", "Dockerfiles"),
    by_name=by_name, by_content=by_content, sniff=("",), alone_with=(("compose", "compose"),),
    load=load_all, reviewable=reviewable, suppressions=suppressions, column=column,
    resources=resources, show_resources=show_resources, fence="dockerfile",
    not_covered=NOT_COVERED,
    example_names=("Dockerfile",))
