"""The review: five sections, plain Markdown or coloured for a terminal."""

from __future__ import annotations

import re

from infra_expert.report import backtick_parts, visible

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


def counted_apart(total):
    """What the totals leave out, said under them in every view (None: nothing)."""
    extra = []
    if total.get("batch"):
        extra.append(f"{total['batch']} job(s) that run to completion (cron jobs, timers, "
                     "Kestra schedules, Jobs and CronJobs, one-shot units) are counted apart, "
                     "at their own times")
    if total.get("optional"):
        extra.append(f"{total['optional']} Compose service(s) behind a profile are not counted")
    return "; ".join(extra) + "." if extra else None


def live_line(review):
    """`infra-expert live`: which machine or cluster was read, so that nobody mistakes it
    (a context or namespace that looks like production is said loudly). None otherwise."""
    live = review.live
    if not live:
        return None
    context = live.get("context") or {}
    parts = [f"Live: {visible(live.get('source', 'live'))}"]
    for key, label in (("engine", "engine"), ("kube_context", "context"),
                       ("namespace", "namespace"), ("hostname", "host")):
        if context.get(key):
            parts.append(f"{label} {visible(context[key])}")
    if live.get("collected_at"):
        parts.append(f"read {visible(live['collected_at'])}")
    line = " · ".join(parts)
    if live.get("production"):
        line += " · ⚠ THIS LOOKS LIKE PRODUCTION"
    return line


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
    parts = backtick_parts(text)
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
    """A table cell: `|` would end it, even inside a code span (GFM); `\\|` does not.
    Control characters are shown escaped (a cell may hold a value read from a file: a
    scrape interval, a time zone)."""
    return visible(text).replace("|", "\\|")


# The default review stays short on a large repository: a group shows this many places,
# names, projects and table rows, and says how many more there are; `--full` lists all.
PLACES_SHOWN = 3
NAMES_SHOWN = 3
PROJECTS_SHOWN = 3
ROWS_SHOWN = 10
MUST_FIX_SHOWN = 10
POSITIVES_SHOWN = 3



def _domain(name):
    from infra_expert.registry import domains
    return next((d for d in domains() if d.name == name), None)


def _baselines():
    """The hardening baseline: one table per project (which service lacks what) instead
    of one entry per rule; each domain says its columns, in the order a reviewer would fix
    them."""
    from infra_expert.registry import domains
    return {d.name: d.baseline for d in domains() if d.baseline}


def _nouns(domain):
    d = _domain(domain)
    return d.subject_nouns if d is not None else ("place", "places")


def _more(n, what=""):
    return f" (+{n}{' ' + what if what else ''})" if n > 0 else ""


def _subject_text(subject, domain, markdown):
    d = _domain(domain)
    return _code(subject) if d is not None and d.subject_is_code else _inline(subject, markdown)


def _by_project(group):
    projects = {}
    for f in group:
        projects.setdefault(f.project, []).append(f)
    return projects


def subject_count(findings, info):
    """("6 of 9 services", [the subjects, in order]) of the places of one project, or
    ("4 places", None) when they are not named subjects. Every view says it this way."""
    subjects = []
    for f in findings:
        if f.subject is None or info is None:
            return f"{len(findings)} place{'s' if len(findings) != 1 else ''}", None
        if f.subject not in subjects:
            subjects.append(f.subject)
    known = info["subjects"]
    one, many = _nouns(info["domain"])
    if not all(s in known for s in subjects):
        d = _domain(info["domain"])
        if d is None or not d.subject_is_code:
            one, many = "object", "objects"
        return f"{len(subjects)} {one if len(subjects) == 1 else many}", subjects
    return f"{len(subjects)} of {len(known)} {one if len(known) == 1 else many}", subjects


def _subjects(findings, info, markdown, names=True):
    """"6 of 9 services: a, b, c (+3)" for the places of one project, or "4 places"."""
    count, subjects = subject_count(findings, info)
    if not names or subjects is None:
        return count
    shown = ", ".join(_subject_text(s, info["domain"], markdown) for s in subjects[:NAMES_SHOWN])
    return f"{count}: {shown}{_more(len(subjects) - NAMES_SHOWN)}"


def _where(group, projects, markdown):
    """Where a rule fired: one project and its services, or the projects and counts."""
    by_project = _by_project(group)
    if len(by_project) == 1:
        project, found = next(iter(by_project.items()))
        return f"{_code(project)}: {_subjects(found, projects.get(project), markdown)}"
    parts = []
    for p, found in list(by_project.items())[:PROJECTS_SHOWN]:
        if p in projects or len(found) > 1:
            parts.append(f"{_code(p)} ({_subjects(found, projects.get(p), markdown, False)})")
        else:
            parts.append(_code(p))
    return (f"{len(group)} places in {len(by_project)} {_unit(by_project)}: "
            + ", ".join(parts) + _more(len(by_project) - PROJECTS_SHOWN, _unit(by_project)))


def _unit(by_project):
    """"files" when every project is a file alone (Dockerfiles), else "projects"."""
    alone = all(f.path == p for p, found in by_project.items() for f in found)
    return "files" if alone else "projects"


def _short_where(group):
    """For the opening list: the first place and how many more."""
    f = group[0]
    if len(group) == 1:
        return _code(_loc(f.path, f.line))
    by_project = _by_project(group)
    scope = (f" in {len(by_project)} {_unit(by_project)}" if len(by_project) > 1 else "")
    return f"{_code(_loc(f.path, f.line))} (+{len(group) - 1} more{scope})"


def _finding_lines(group, markdown, projects=None, full=False):
    """One entry per rule: a rule that fires on four services, or in forty projects, reads
    as one point listing its places, not forty points."""
    f = group[0]
    title, fix = visible(f.rule.title), visible(f.fix)
    if len(group) == 1:
        return [f"- **{f.rule.id}** {title} — {_code(_loc(f.path, f.line))}",
                f"  - Seen: {_inline(f.message, markdown)}",
                f"  - Fix: {fix}"]
    out = [f"- **{f.rule.id}** {title} — {_where(group, projects or {}, markdown)}"]
    if full or len(group) <= PLACES_SHOWN:
        out.extend(f"  - {_code(_loc(g.path, g.line))} {_inline(g.message, markdown)}"
                   for g in group)
    else:
        out.append(f"  - Seen: {_code(_loc(f.path, f.line))} {_inline(f.message, markdown)}")
        rest = []
        for g in group:
            loc = _loc(g.path, g.line)
            if loc != _loc(f.path, f.line) and loc not in rest:
                rest.append(loc)
        shown = ", ".join(_code(loc) for loc in rest[:PLACES_SHOWN - 1])
        left = len(group) - 1 - min(len(rest), PLACES_SHOWN - 1)
        if shown:
            out.append(f"  - Also: {shown}" + (f" (+{left} more; `--full` lists every "
                                               "place)" if left > 0 else ""))
    out.append(f"  - Fix: {fix}")
    return out


def _grouped(findings):
    """Findings of one rule together, in the order of the rule's first finding (the
    findings come sorted: security first, then file and line)."""
    groups, index = [], {}
    for f in findings:
        if f.rule.id in index:
            groups[index[f.rule.id]].append(f)
        else:
            index[f.rule.id] = len(groups)
            groups.append([f])
    return groups


def _baseline_split(review):
    """{domain: findings} of the hardening baseline that go into its table: a finding
    that names its service/container in a known project, and is not critical."""
    ids = {rid: domain for domain, cols in _baselines().items() for rid, _ in cols}
    tables = {}
    for f in review.findings:
        domain = ids.get(f.rule.id)
        if (domain and f.severity != "critical" and f.subject is not None
                and f.project in review.projects):
            tables.setdefault(domain, []).append(f)
    return tables


def baseline_table(domain, findings, review):
    """The hardening baseline of a domain as data, for every view: the columns (rule id,
    label) that some finding fills, {(project, subject): ids it lacks}, {project: every
    service or container, in order}, {rule id: one of its findings}."""
    cols = [(rid, label) for rid, label in _baselines()[domain]
            if any(f.rule.id == rid for f in findings)]
    missing, rows, rules = {}, {}, {}
    for f in findings:
        missing.setdefault((f.project, f.subject), set()).add(f.rule.id)
        rules.setdefault(f.rule.id, f)
    for f in findings:
        if f.project not in rows:
            rows[f.project] = list(review.projects[f.project]["subjects"])
        if f.subject not in rows[f.project]:
            rows[f.project].append(f.subject)
    return cols, missing, rows, rules


def _baseline_lines(domain, findings, review, markdown, full):
    cols, missing, rows, rules = baseline_table(domain, findings, review)
    one, many = _nouns(domain)
    total = sum(len(r) for r in rows.values())
    lacking = len(missing)
    ids = ", ".join(rid for rid, _ in cols)
    where = (f"{_code(next(iter(rows)))}: " if len(rows) == 1
             else f"{len(rows)} projects: ")
    out = [f"- **Hardening baseline** ({ids}) — {where}{lacking} of {total} "
           f"{one if total == 1 else many} lack at least one item", ""]
    head = " | ".join(label for _, label in cols)
    rule_line = "|---" * (len(cols) + 1) + "|"
    if full or (len(rows) <= PROJECTS_SHOWN and total <= 3 * ROWS_SHOWN):
        for project, subjects in rows.items():
            if len(rows) > 1:
                out.extend([f"  {_code(project)}:", ""])
            out.append(f"  | {one.capitalize()} | {head} |")
            out.append("  " + rule_line)
            for subject in subjects:
                gone = missing.get((project, subject), set())
                cells = " | ".join("✗" if rid in gone else "✓" for rid, _ in cols)
                name = _cell(_subject_text(subject, domain, markdown))
                out.append(f"  | {name} | {cells} |")
            out.append("")
    else:
        out.append(f"  | Project ({many} lacking / all) | {head} |")
        out.append("  " + rule_line)
        for project, subjects in list(rows.items())[:ROWS_SHOWN]:
            cells = []
            for rid, _ in cols:
                n = sum(1 for s in subjects if rid in missing.get((project, s), ()))
                cells.append(f"✗ {n}/{len(subjects)}" if n else "✓")
            out.append(f"  | {_cell(_code(project))} | {' | '.join(cells)} |")
        out.append("")
        if len(rows) > ROWS_SHOWN:
            out.extend([f"  +{len(rows) - ROWS_SHOWN} projects; `--full` shows every "
                        f"{one}.", ""])
    warned = [label for rid, label in cols if rules[rid].severity == "warning"]
    if warned and len(warned) < len(cols):
        out.append(f"  - Missing {', '.join(warned)}: warning; the other columns are "
                   "suggestions.")
    for rid, label in cols:
        out.append(f"  - Fix {label} (**{rid}**): {visible(rules[rid].fix)}")
    return out


def _must_fix(groups, review, markdown):
    """The opening list: the critical findings in order, one line per rule."""
    if not groups:
        return []
    out = ["**Must fix:**", ""]
    for i, group in enumerate(groups[:MUST_FIX_SHOWN], 1):
        f = group[0]
        out.append(f"{i}. **{f.rule.id}** {visible(f.rule.title)} — {_short_where(group)}")
    if len(groups) > MUST_FIX_SHOWN:
        out.append(f"{MUST_FIX_SHOWN + 1}. … and {len(groups) - MUST_FIX_SHOWN} more rules "
                   "in 🔴 Critical below")
    out.append("")
    return out


def _positive_lines(review, markdown, full):
    """One line per rule: its first positive, and how many more places it holds in."""
    by_rule = {}
    for p in review.positives:
        by_rule.setdefault(p.rule.id, []).append(p)
    out = []
    for items in by_rule.values():
        if full or len(items) <= POSITIVES_SHOWN:
            out.extend(f"- {_inline(p.message, markdown)} — {_code(_loc(p.path, p.line))}"
                       for p in items)
        else:
            p = items[0]
            out.append(f"- {_inline(p.message, markdown)} — {_code(_loc(p.path, p.line))}"
                       f" (+{len(items) - 1} more files like it)")
    return out


def _mib(value):
    return "—" if value is None else f"{value / 2**20:.0f} MiB"


class _Writer:
    """What a domain's `show_resources` writes with: the reporter's escaping and limits."""

    def __init__(self, markdown, full):
        self.markdown, self.full = markdown, full
        self.rows, self.projects = ROWS_SHOWN, PROJECTS_SHOWN
        self.code, self.cell, self.mib = _code, _cell, _mib

    def inline(self, text):
        return _inline(text, self.markdown)


def _bar(share, width=10):
    filled = min(width, round(share * width))
    return "█" * filled + "░" * (width - filled)


def _fit_lines(total, markdown, full=False):
    """What runs together, one row a group; against the host when there is one."""
    groups = total.get("groups") or {}
    if not groups:
        return []
    host = total.get("host")
    out = []
    if not host and len(groups) > PROJECTS_SHOWN and not full:
        # a large repository, no host named: the domains' own tables say it per project
        return ["Name the machine with `--host` (`rpi4-4gb`, `vm-4g-2` …) to see what "
                "fits.", ""]
    if host:
        out.append(f"**Will it fit?** {_inline(host['label'], markdown)}: "
                   f"{_mib(host['usable_memory_bytes'])} usable of {_mib(host['memory_bytes'])}"
                   + (f", {host['cpus']:g} CPU" if host.get("cpus") else "") + ".")
        out.append("")
    head = ("| What runs together | Running | Memory limits | Without a limit | "
            "Estimated (not declared) |")
    rule = "|---|---|---|---|---|"
    if host:
        head += " Share of the host |"
        rule += "---|"
    out.extend([head, rule])
    shown = list(groups.items()) if full else list(groups.items())[:ROWS_SHOWN]
    for name, g in shown:
        guessed = g.get("memory_estimated_bytes") or 0
        row = (f"| {_cell(_inline(name, markdown))} | {g['running']} | "
               f"{_mib(g['memory_limit_bytes'] or None)} | {len(g['unbounded'])} | "
               f"{'~' + _mib(guessed) + ' (estimate)' if guessed else '—'} |")
        if host:
            share = g.get("share_of_usable_memory") or 0
            row += (f" {_bar(share)} {share:.0%}" if g["memory_limit_bytes"]
                    else " — (no limit declared)")
            if g.get("share_with_estimates") is not None:
                row += f" (~{g['share_with_estimates']:.0%} with the estimates)"
            row += " |"
        out.append(row)
    out.append("")
    if len(shown) < len(groups):
        out.extend([f"+{len(groups) - len(shown)} more; `--full` lists every one.", ""])
    if host and len(groups) > 1:
        out.extend([_host_bar(groups.values(), host), ""])
    out.extend(_estimate_lines([g for _, g in shown], markdown, full))
    apart = counted_apart(total)
    if apart:
        out.extend([apart, ""])
    if not host:
        out.extend(["Name the machine with `--host` (`rpi4-4gb`, `vm-4g-2` …) to see what fits.",
                    ""])
    return out


def _host_bar(groups, host):
    """Everything on the one host named: declared limits, then with the estimates."""
    usable = host["usable_memory_bytes"] or 1
    declared = sum(g["memory_limit_bytes"] for g in groups)
    guessed = sum(g.get("memory_estimated_bytes") or 0 for g in groups)
    unbounded = sum(len(g["unbounded"]) for g in groups)
    line = (f"All of it on one host: {_bar(declared / usable)} {declared / usable:.0%} of "
            f"{_mib(usable)} declared")
    if guessed:
        line += f", ~{(declared + guessed) / usable:.0%} with the estimates"
    if unbounded:
        line += f"; {unbounded} without a limit can take the rest"
    return line + "."


def _estimate_lines(groups, markdown, full):
    """Each estimate with the documentation it comes from: estimates, never limits."""
    estimates = [e for g in groups for e in g.get("estimates") or ()]
    if not estimates:
        return []
    out = ["Estimated, not declared: typical footprints from each project's own "
           "documentation, for services without a memory limit:", ""]
    for e in (estimates if full else estimates[:ROWS_SHOWN]):
        figures = "; ".join(
            f"{f['what']}, {_source(f['source'], markdown)}" for f in e["figures"])
        times = f" for {e['replicas']} replicas" if e.get("replicas", 1) > 1 else ""
        partial = ", other containers not estimated" if e.get("partial") else ""
        out.append(f"- {_inline(e['name'], markdown)} in {_code(e['path'])}: "
                   f"~{_mib(e['memory_bytes'])}{times} ({figures}{partial})")
    if not full and len(estimates) > ROWS_SHOWN:
        out.append(f"- +{len(estimates) - ROWS_SHOWN} more; `--full` lists every one.")
    out.append("")
    return out


def _source(url, markdown):
    return f"<{url}>" if markdown else url


def _resources(review, markdown, full=False):
    from infra_expert.registry import domains
    out, writer = [], _Writer(markdown, full)
    out.extend(_fit_lines(review.resources.get("total") or {}, markdown, full))
    for d in domains():
        res = review.resources.get(d.name)
        if res and d.show_resources is not None:
            out.extend(d.show_resources(res, writer))
    while out and out[-1] == "":
        out.pop()
    return out or ["_Nothing to estimate: no reviewed file declares images, services or "
                   "limits._"]


def section_entries(review):
    """{severity: [("group", findings of one rule) or ("baseline", (domain, findings))]}
    in the order the review says them (the terminal view shares it)."""
    baseline = _baseline_split(review)
    in_table = {id(f) for found in baseline.values() for f in found}
    by_sev = {"critical": [], "warning": [], "suggestion": []}
    for f in review.findings:
        if id(f) not in in_table:
            by_sev[f.severity].append(f)
    entries = {sev: [("group", g) for g in _grouped(items)] for sev, items in by_sev.items()}
    order = {id(f): i for i, f in enumerate(review.findings)}
    for domain, found in baseline.items():   # the table stands where its first row would
        sev = "warning" if any(f.severity == "warning" for f in found) else "suggestion"
        firsts = [order[id(g[0] if kind == "group" else g[1][0])] for kind, g in entries[sev]]
        at = sum(1 for i in firsts if i < order[id(found[0])])
        entries[sev].insert(at, ("baseline", (domain, found)))
    return entries


def render_review(review, colour=False, markdown=True, full=False):
    """The review as Markdown, or (markdown=False) as text for a terminal: both show
    control characters escaped; Markdown also keeps file content out of its markup.
    A rule is said once with its places (`full`: every place, every project)."""
    entries = section_entries(review)
    out = ["## infra-expert review", "", summary_line(review), ""]
    if review.live:
        out[3:3] = ["", live_line(review)]
    out.extend(_must_fix([g for kind, g in entries["critical"] if kind == "group"],
                         review, markdown))
    for section in ("critical", "warning", "positive", "suggestion", "resources"):
        out.append(HEADINGS[section])
        out.append("")
        if section == "positive":
            out.extend(_positive_lines(review, markdown, full) or ["_None found._"])
        elif section == "resources":
            out.extend(_resources(review, markdown, full))
        else:
            if not entries[section]:
                out.append("_None._")
            for kind, item in entries[section]:
                if kind == "group":
                    out.extend(_finding_lines(item, markdown, review.projects, full))
                else:
                    out.extend(_baseline_lines(*item, review, markdown, full))
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
