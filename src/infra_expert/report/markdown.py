"""The review: five sections, plain Markdown or coloured for a terminal."""

from __future__ import annotations

import re

from infra_expert.report import visible

HEADINGS = {
    "critical": "### 🔴 Critical (must fix)",
    "warning": "### 🟡 Warnings (consider)",
    "positive": "### 🟢 Positive points",
    "suggestion": "### 💡 Suggestions",
    "resources": "### 📊 Estimated resources",
}
_ANSI = {"critical": "\033[1;31m", "warning": "\033[1;33m", "suggestion": "\033[1;36m",
         "positive": "\033[1;32m", "resources": "\033[1;35m", "code": "\033[36m",
         "dim": "\033[2m", "bold": "\033[1m", "reset": "\033[0m"}


def summary_line(review):
    domains = {}
    for _, d in review.files:
        domains[d] = domains.get(d, 0) + 1
    n = len(review.files)
    per = ", ".join(f"{d}: {c}" for d, c in sorted(domains.items()))
    s = review.summary()
    parts = [f"{n} file{'s' if n != 1 else ''} reviewed" + (f" ({per})" if per else ""),
             f"{s['critical']} critical", f"{s['warning']} warning{'s' if s['warning'] != 1 else ''}",
             f"{s['suggestion']} suggestion{'s' if s['suggestion'] != 1 else ''}",
             f"{s['positive']} positive point{'s' if s['positive'] != 1 else ''}"]
    if review.notices:
        parts.append(f"{len(review.notices)} notice{'s' if len(review.notices) != 1 else ''}")
    return " · ".join(parts)


# Outside code spans these would make links, images, HTML, entities or emphasis of text
# taken from the reviewed files.
_MD_ACTIVE = re.compile(r"([\\`*_\[\]<>&~])")


def _loc(path, line):
    return f"{path}:{line}" if line else path


def _code(text):
    """An inline code span that nothing in `text` can close (CommonMark: a fence longer
    than any run of backticks inside)."""
    text = visible(text)
    runs = re.findall(r"`+", text)
    if not runs:
        return f"`{text}`"
    fence = "`" * (max(len(r) for r in runs) + 1)
    return f"{fence} {text} {fence}"


def _inline(text, markdown):
    """Untrusted text (a message that quotes the file) with control characters escaped;
    for Markdown, only its balanced backtick pairs stay code spans and everything else
    is literal text."""
    text = visible(text)
    if not markdown:
        return text
    parts = text.split("`")
    if len(parts) % 2 == 0:              # an odd backtick opens nothing: literal
        parts[-2:] = [parts[-2] + "`" + parts[-1]]
    # Every backtick left unescaped is a one-backtick fence around a non-empty span that
    # touches no other span: a Markdown reader pairs them exactly as written here.
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(_MD_ACTIVE.sub(r"\\\1", part))
        elif not part:
            out.append("\\`\\`")
        else:
            if i > 1 and not out[-1]:
                out[-1] = " "
            out.append(f"`{part}`")
    return "".join(out)


def _cell(text):
    """A table cell: `|` would end it, even inside a code span (GFM); `\\|` does not."""
    return text.replace("|", "\\|")


def _finding_lines(group, markdown):
    """One entry per rule and file: a rule that fires on four services reads as one
    point with four places, not four points."""
    f = group[0]
    title, fix = visible(f.rule.title), visible(f.fix)
    if len(group) == 1:
        return [f"- **{f.rule.id}** {title} — {_code(_loc(f.path, f.line))}",
                f"  - Seen: {_inline(f.message, markdown)}",
                f"  - Fix: {fix}"]
    out = [f"- **{f.rule.id}** {title} — {_code(f.path)}, {len(group)} places"]
    out.extend(f"  - {_code(_loc(g.path, g.line))} {_inline(g.message, markdown)}"
               for g in group)
    out.append(f"  - Fix: {fix}")
    return out


def _grouped(findings):
    groups, index = [], {}
    for f in findings:
        key = (f.rule.id, f.path)
        if key in index:
            groups[index[key]].append(f)
        else:
            index[key] = len(groups)
            groups.append([f])
    return groups


def _mib(value):
    return "—" if value is None else f"{value / 2**20:.0f} MiB"


def _resources(review, markdown):
    out = []
    images = review.resources.get("dockerfile", {}).get("images", [])
    for project in review.resources.get("compose", {}).get("projects", []):
        rows = project["services"]
        out.append(f"{_code(project['path'])}:")
        out.append("")
        out.append("| Service | Memory limit | CPU limit |")
        out.append("|---|---|---|")
        for row in rows:
            name = row["service"] + (f" (profile {', '.join(row['profiles'])})"
                                     if row["profiles"] else "")
            cpus = "—" if row["cpus"] is None else f"{row['cpus']:g}"
            out.append(f"| {_cell(_inline(name, markdown))} | "
                       f"{_mib(row['memory_limit_bytes'])} | {cpus} |")
        limited = [r["memory_limit_bytes"] for r in rows if r["memory_limit_bytes"]]
        unlimited = len(rows) - len(limited)
        total = f"{sum(limited) / 2**20:.0f} MiB" if limited else "nothing"
        out.append("")
        out.append(f"Declared memory limits add up to {total}"
                   + (f"; {unlimited} service(s) have no limit and can use any amount."
                      if unlimited else "."))
        out.append("")
    workloads = review.resources.get("kubernetes", {}).get("workloads", [])
    if workloads:
        out.append("| Workload | Replicas | CPU requests | CPU limits | Memory requests | "
                   "Memory limits |")
        out.append("|---|---|---|---|---|---|")
        for w in workloads:
            where = f"{_code(w['path'])} {_inline(w['kind'], markdown)} {_code(w['name'])}"
            out.append(f"| {_cell(where)} | {w['replicas']} | "
                       f"{w['cpu_request']:g} | {w['cpu_limit']:g} | "
                       f"{_mib(w['memory_request'] or None)} | {_mib(w['memory_limit'] or None)} |")
        cpu = sum(w["cpu_request"] for w in workloads)
        mem = sum(w["memory_request"] for w in workloads)
        out.append("")
        out.append(f"Requests add up to {cpu:g} CPU and {mem / 2**20:.0f} MiB across "
                   f"{len(workloads)} workload(s) (replicas included); the cluster needs at "
                   "least that much allocatable capacity, plus room for one node to drain.")
        out.append("")
    if images:
        out.append("| Dockerfile | Final base image | Base size (approx.) | Stages | "
                   "Layers added |")
        out.append("|---|---|---|---|---|")
        for img in images:
            size = img["base_size_mb"]
            size_text = "unknown" if size is None else f"~{size} MB"
            base = img["final_base"]
            if "@sha256:" in base:
                base = base[:base.index("@sha256:") + 12] + "…"
            out.append(f"| {_cell(_code(img['path']))} | {_cell(_code(base))} | "
                       f"{size_text} | {img['stages']} | {img['layers_added']} |")
        out.append("")
        out.append("Memory and CPU depend on how the image runs; they are estimated from "
                   "the Compose files, manifests or units that run it.")
    elif not out:
        out.append("_Nothing to estimate: no reviewed file declares images, services or "
                   "limits._")
    return out


def render_review(review, colour=False, markdown=True):
    """The review as Markdown, or (markdown=False) as text for a terminal: both show
    control characters escaped; Markdown also keeps file content out of its markup."""
    out = ["## infra-expert review", "", summary_line(review), ""]
    by_sev = {"critical": [], "warning": [], "suggestion": []}
    for f in review.findings:
        by_sev[f.severity].append(f)
    for section in ("critical", "warning", "positive", "suggestion", "resources"):
        out.append(HEADINGS[section])
        out.append("")
        if section == "positive":
            items = [f"- {_inline(p.message, markdown)} — {_code(_loc(p.path, p.line))}"
                     for p in review.positives]
            out.extend(items or ["_None found._"])
        elif section == "resources":
            out.extend(_resources(review, markdown))
        else:
            items = by_sev[section]
            if not items:
                out.append("_None._")
            for group in _grouped(items):
                out.extend(_finding_lines(group, markdown))
        out.append("")
    if review.notices:
        out.append("#### Notices")
        out.append("")
        for n in review.notices:
            out.append(f"- {_code(n.path)}: {_inline(n.message, markdown)}")
        out.append("")
    text = "\n".join(out)
    return _colourise(text) if colour else text


def _colourise(text):
    a = _ANSI
    lines = []
    for line in text.split("\n"):
        for key, heading in HEADINGS.items():
            if line == heading:
                line = f"{a[key]}{heading[4:]}{a['reset']}"
                break
        else:
            if line.startswith("## "):
                line = f"{a['bold']}{line[3:]}{a['reset']}"
            elif line.startswith("#### "):
                line = f"{a['bold']}{line[5:]}{a['reset']}"
            line = re.sub(r"\*\*([A-Z]{2}\d{3})\*\*", lambda m: f"{a['bold']}{m.group(1)}{a['reset']}", line)
            line = re.sub(r"`([^`]+)`", lambda m: f"{a['code']}{m.group(1)}{a['reset']}", line)
            if line.startswith("  - Fix: "):
                line = f"  {a['dim']}- Fix:{a['reset']} " + line[9:]
        lines.append(line)
    return "\n".join(lines)
