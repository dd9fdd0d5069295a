"""`--format html`: the review as one self-contained page for a browser.

One file: inline CSS, a small inline script, no URL to fetch; a Content-Security-Policy
allows only that style and script (by hash), so nothing quoted from a reviewed file can
load, run or send anything. Every string from the review is HTML-escaped after its
control and bidi characters are shown as escapes (`visible`). Without JavaScript the whole
review shows; the script only adds the filters (severity, domain, file).

A finding shows a few lines of its file around its line. They are read only from a file
the review lists (`review.files`), through the same gate as the review's own reads (a
regular file whose real path stays in the reviewed folders, size-capped), with secrets
masked; a line a secret finding points at is not shown at all, nor any line of a file whose
name says it holds credentials (`.env`, `*.pem` …).
"""

from __future__ import annotations

import html
import os
import re

from infra_expert.report import backtick_parts, visible
from infra_expert.report.markdown import (HEADINGS, MUST_FIX_SHOWN, _by_project, _domain,
                                          _mib, _nouns, baseline_table, counted_apart,
                                          section_entries, subject_count)

EXCERPT_CONTEXT = 2              # lines shown either side of a finding's line
EXCERPT_LINE_CHARS = 240         # a longer line is cut (minified JSON, a key on one line)
EXCERPT_READ_BYTES = 2 * 2**20   # what is read of a file for its excerpts
EXCERPTS_PER_GROUP = 5           # places of one rule that show their lines
EXCERPTS_MAX = 400               # excerpts in one report (a huge repository stays loadable)
SECRET_LINE = "···· (a secret is on this line, not shown)"

SECTION_TITLES = {key: heading[4:] for key, heading in HEADINGS.items()}
SECTION_IDS = {"critical": "critical", "warning": "warnings", "positive": "positives",
               "suggestion": "suggestions", "resources": "resources"}
SEVERITY_LABELS = {"critical": "Critical", "warning": "Warning", "suggestion": "Suggestion",
                   "positive": "Positive"}
# Private-use characters mark code, literal text and table pipes in a domain's resource
# lines; they are taken out of what a file put there first, so no file can forge them.
_CODE_OPEN, _CODE_CLOSE, _LIT_OPEN, _LIT_CLOSE, _PIPE = "\ue000\ue001\ue002\ue003\ue004"
_MARKS = re.compile("[\ue000-\ue004]")
_MARKED = re.compile("\ue000([^\ue001]*)\ue001|\ue002([^\ue003]*)\ue003")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_TABLE_RULE = re.compile(r"^\|(?:\s*:?-+:?\s*\|)+\s*$")


def _esc(text):
    """Untrusted text for an HTML text node or a quoted attribute."""
    return html.escape(visible(text), quote=True)


def _rich(text):
    """Like `_esc`, with balanced backtick pairs as code (how the messages quote what they
    saw: `service \\`db\\`: \\`5432:5432\\``); an odd backtick is literal."""
    parts = backtick_parts(visible(text))
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(html.escape(part, quote=True))
        elif part:
            out.append(f"<code>{html.escape(part, quote=True)}</code>")
        else:
            out.append("``")
    return "".join(out)


def _loc(path, line):
    return f"{path}:{line}" if line else path


def _plural(n, one, many=None):
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _domain_titles():
    from infra_expert.registry import domains
    titles = {d.name: d.title for d in domains()}
    titles.update(resources="Resources", core="infra-expert")
    return titles


# -- excerpts ----------------------------------------------------------------------------

def disk_reader(review):
    """The default reader: the text of a file the review lists, through the review's gate
    (a regular file inside the folders that hold the listed files, at most
    EXCERPT_READ_BYTES of it), or None."""
    from infra_expert.fsgate import Gate, Refused
    listed = {p for p, _ in review.files}
    if not listed:
        return lambda path: None
    try:
        root = os.path.commonpath([os.path.dirname(os.path.abspath(p)) for p in listed])
    except ValueError:                     # different drives: no common folder
        return lambda path: None
    gate = Gate([root], EXCERPT_READ_BYTES)

    def read(path):
        if path not in listed:
            return None
        try:
            data = gate.read_bytes(path, head=True)
        except Refused:
            return None
        if len(data) > EXCERPT_READ_BYTES:          # cut: drop the partial last line
            data = data[:data.rfind(b"\n") + 1]
        text = data.decode("utf-8-sig", errors="replace")
        return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text
    return read


class _Excerpts:
    """Lines around a place, from files the review lists only, masked and escaped."""

    def __init__(self, review, read):
        from infra_expert.secrets import MASK
        self.listed = {p for p, _ in review.files}
        self.read = read if read is not None else disk_reader(review)
        self.lines = {}
        self.left = EXCERPTS_MAX
        # lines a finding says hold a secret: the masker may not know that value's shape
        self.secret_lines = {(f.path, f.line) for f in review.findings
                             if f.line and MASK in (f.message or "")}

    def _file_lines(self, path):
        if path in self.lines:
            return self.lines[path]
        from infra_expert.secrets import is_secret_file
        lines = None
        if path in self.listed and not is_secret_file(str(path)):
            try:
                text = self.read(path)
            except Exception:                # a reader that fails shows no lines
                text = None
            if isinstance(text, str):
                lines = _masked_lines(text)
        self.lines[path] = lines
        return lines

    def html(self, path, line):
        if not line or self.left <= 0:
            return ""
        lines = self._file_lines(path)
        if not lines or line > len(lines):
            return ""
        from infra_expert.secrets import mask_secrets
        self.left -= 1
        first = max(1, line - EXCERPT_CONTEXT)
        last = min(len(lines), line + EXCERPT_CONTEXT)
        rows = []
        for n in range(first, last + 1):
            text = lines[n - 1]
            text = SECRET_LINE if (path, n) in self.secret_lines else mask_secrets(text)
            if len(text) > EXCERPT_LINE_CHARS:
                text = text[:EXCERPT_LINE_CHARS] + " …"
            mark = ' class="hit"' if n == line else ""
            rows.append(f'<span{mark}><span class="ln">{n}</span>'
                        f'<span class="tx">{_esc(text) or " "}</span></span>')
        return f'<pre class="excerpt"><code>{"".join(rows)}</code></pre>'


def _masked_lines(text):
    """The file's lines with secrets masked; the lines of a private key block each become
    `****`, so line numbers stay right and no key line shows whatever the window."""
    from infra_expert.secrets import MASK, _KEY_BLOCK, mask_secrets
    if "PRIVATE KEY" in text:
        text = _KEY_BLOCK.sub(lambda m: m.group(1) + re.sub(r"[^\n]+", MASK, m.group(2))
                              + m.group(3), text)
    masked = mask_secrets(text)
    if masked.count("\n") == text.count("\n"):
        return masked.split("\n")
    return [mask_secrets(line) for line in text.split("\n")]


# -- findings ----------------------------------------------------------------------------

class _Files:
    """A number for every path, so filters compare numbers, never file names."""

    def __init__(self, review):
        paths = [p for p, _ in review.files]
        paths += [f.path for f in review.findings] + [p.path for p in review.positives]
        self.ids = {}
        for p in paths:
            self.ids.setdefault(p, len(self.ids))
        self.counts = {}
        for item in list(review.findings) + list(review.positives):
            self.counts[item.path] = self.counts.get(item.path, 0) + 1

    def id(self, path):
        return str(self.ids[path])


def _item_attrs(sev, domain, places, files):
    """What the filters read: the entry's section, its domain, and a `file:severity`
    token per finding (or positive) it holds, which the counts add up."""
    tokens = " ".join(f"{files.id(path)}:{kind}" for path, kind in places)
    return f'data-s="{sev}" data-d="{_esc(domain)}" data-f="{tokens}"'


def _chips(f, titles):
    rule = f.rule
    return (f'<span class="chip sev-{f.severity}">{SEVERITY_LABELS[f.severity]}</span>'
            f'<span class="chip">{_esc(rule.category)}</span>'
            f'<span class="chip">{_esc(titles.get(rule.domain, rule.domain))}</span>')


def _where(group, projects):
    """One line on where a rule fired: the project and its services, or how many places
    in how many files or projects."""
    by_project = _by_project(group)
    if len(by_project) == 1:
        project, found = next(iter(by_project.items()))
        info = projects.get(project)
        text = f"<code>{_esc(project)}</code>"
        count, subjects = subject_count(found, info)
        if subjects:
            names = ", ".join(_subject(s, info["domain"]) for s in subjects)
            return f"{text}: {count}: {names}"
        return f"{text}: {_plural(len(found), 'place')}" if len(found) > 1 else text
    alone = all(f.path == p for p, found in by_project.items() for f in found)
    return (f"{len(group)} places in {len(by_project)} "
            f"{'files' if alone else 'projects'}")


def _subject(subject, domain):
    """A service or container name as code; a longer subject (a Deployment and its
    container, each quoted) with its own code spans."""
    d = _domain(domain)
    return (f"<code>{_esc(subject)}</code>" if d is not None and d.subject_is_code
            else _rich(subject))


def _group_html(group, anchor, review, files, excerpts, titles):
    f = group[0]
    rule = f.rule
    domain = rule.domain
    out = [f'<article class="item finding sev-{f.severity}" id="{anchor}" '
           f'{_item_attrs(f.severity, domain, [(g.path, g.severity) for g in group], files)}>',
           f'<h3><span class="rid">{_esc(rule.id)}</span> {_rich(rule.title)}</h3>',
           f'<p class="meta">{_chips(f, titles)}<span class="where">'
           f'{_where(group, review.projects)}</span></p>',
           '<ul class="places">']
    for i, g in enumerate(group):
        excerpt = excerpts.html(g.path, g.line) if i < EXCERPTS_PER_GROUP else ""
        fix = (f'<p class="fix"><b>Fix here:</b> {_rich(g.fix)}</p>'
               if g.fix != f.fix else "")
        out.append(f'<li data-p="{files.id(g.path)}"><span class="loc">'
                   f'{_esc(_loc(g.path, g.line))}</span> <span class="msg">{_rich(g.message)}'
                   f'</span>{excerpt}{fix}</li>')
    out.append("</ul>")
    out.append(f'<p class="why"><b>Why:</b> {_rich(rule.rationale)}</p>')
    out.append(f'<p class="fix"><b>Fix:</b> {_rich(f.fix)}</p>')
    if rule.peers:
        out.append(f'<p class="peers">Peers: {", ".join(_esc(p) for p in rule.peers)}</p>')
    out.append("</article>")
    return "\n".join(out)


def _baseline_html(domain, found, sev, review, files, titles):
    """The hardening baseline of a domain: which service lacks what, one table a
    project, every row (the Markdown review summarises a large one)."""
    cols, missing, rows, rules = baseline_table(domain, found, review)
    one, many = _nouns(domain)
    total = sum(len(r) for r in rows.values())
    kinds = {s: sum(1 for f in found if f.severity == s) for s in ("warning", "suggestion")}
    made_of = ", ".join(_plural(n, s) for s, n in kinds.items() if n)
    where = (f"<code>{_esc(next(iter(rows)))}</code>" if len(rows) == 1
             else f"{len(rows)} projects")
    out = [f'<article class="item baseline sev-{sev}" '
           f'{_item_attrs(sev, domain, [(f.path, f.severity) for f in found], files)}>',
           f'<h3>Hardening baseline <small>({", ".join(_esc(r) for r, _ in cols)})</small></h3>',
           f'<p class="meta"><span class="chip">{_esc(titles.get(domain, domain))}</span>'
           f'<span class="where">{where}: {len(missing)} of {total} '
           f'{one if total == 1 else many} lack at least one item ({made_of})</span></p>']
    head = "".join(f"<th>{_esc(label)}</th>" for _, label in cols)
    for project, subjects in rows.items():
        if len(rows) > 1:
            out.append(f'<p class="project"><code>{_esc(project)}</code></p>')
        out.append(f'<div class="scroll"><table class="grid"><thead><tr>'
                   f'<th>{_esc(one.capitalize())}</th>{head}</tr></thead><tbody>')
        for subject in subjects:
            gone = missing.get((project, subject), set())
            cells = "".join(f'<td class="no" data-label="{_esc(label)}">✗</td>' if rid in gone
                            else f'<td class="ok" data-label="{_esc(label)}">✓</td>'
                            for rid, label in cols)
            out.append(f"<tr><th>{_subject(subject, domain)}</th>{cells}</tr>")
        out.append("</tbody></table></div>")
    warned = [label for rid, label in cols if rules[rid].severity == "warning"]
    if warned and len(warned) < len(cols):
        out.append(f"<p>Missing {_esc(', '.join(warned))}: warning; the other columns are "
                   "suggestions.</p>")
    out.append('<ul class="fixes">')
    for rid, label in cols:
        out.append(f'<li><b>Fix {_esc(label)}</b> (<span class="rid">{_esc(rid)}</span>): '
                   f'{_rich(rules[rid].fix)}</li>')
    out.append("</ul></article>")
    return "\n".join(out)


def _must_fix_html(groups, anchors, files):
    if not groups:
        return ""
    out = ['<nav class="must-fix" aria-label="Must fix"><h2>Must fix</h2><ol>']
    for group in groups[:MUST_FIX_SHOWN]:
        f = group[0]
        more = f" (+{len(group) - 1} more)" if len(group) > 1 else ""
        attrs = _item_attrs("critical", f.rule.domain, [(g.path, g.severity) for g in group],
                            files)
        out.append(f'<li class="mf" {attrs}>'
                   f'<a href="#{anchors[id(group)]}"><span class="rid">{_esc(f.rule.id)}</span> '
                   f'{_rich(f.rule.title)}</a> — <span class="loc">{_esc(_loc(f.path, f.line))}'
                   f'</span>{more}</li>')
    if len(groups) > MUST_FIX_SHOWN:
        out.append(f'<li class="more">… and {len(groups) - MUST_FIX_SHOWN} more rules in '
                   f'<a href="#critical">Critical</a></li>')
    out.append("</ol></nav>")
    return "\n".join(out)


def _positives_html(review, files, titles):
    out = ['<ul class="positives">']
    for p in review.positives:
        domain = p.rule.domain
        attrs = _item_attrs("positive", domain, [(p.path, "positive")], files)
        out.append(f'<li class="item" {attrs}>'
                   f'{_rich(p.message)} <span class="loc">{_esc(_loc(p.path, p.line))}</span>'
                   f' <span class="chip">{_esc(titles.get(domain, domain))}</span></li>')
    out.append("</ul>")
    return "\n".join(out)


# -- resources ---------------------------------------------------------------------------

def _bar(values, scale, label):
    """An SVG bar: `values` are (share of the host, css class, tooltip) laid end to end;
    `scale` is the share the full width stands for (over 1: a mark shows the host)."""
    scale = max(scale, 1.0)
    parts, x = [], 0.0
    for share, cls, tip in values:
        w = max(0.0, share) / scale * 100
        if w > 0:
            parts.append(f'<rect x="{x:.2f}" y="0" width="{w:.2f}" height="10" class="{cls}">'
                         f'<title>{_esc(tip)}</title></rect>')
        x += w
    mark = ""
    if scale > 1:
        at = 100 / scale
        mark = f'<line x1="{at:.2f}" x2="{at:.2f}" y1="0" y2="10" class="limit"/>'
    return (f'<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" '
            f'aria-label="{_esc(label)}"><rect x="0" y="0" width="100" height="10" '
            f'class="track"/>{"".join(parts)}{mark}</svg>')


def _fit_html(total):
    groups = total.get("groups") or {}
    host = total.get("host")
    out = []
    if host:
        cpus = f", {host['cpus']:g} CPU" if host.get("cpus") else ""
        out.append(f'<p class="fit"><b>Will it fit?</b> {_rich(host["label"])}: '
                   f'{_mib(host["usable_memory_bytes"])} usable of '
                   f'{_mib(host["memory_bytes"])}{cpus}.</p>')
    if not groups:
        return "\n".join(out)
    head = ("<th>What runs together</th><th>Running</th><th>Memory limits</th>"
            "<th>Without a limit</th><th>Estimated (not declared)</th>")
    if host:
        head += "<th>Share of the host</th>"
    out.append(f'<div class="scroll"><table class="fit stack"><thead><tr>{head}</tr></thead>'
               '<tbody>')
    usable = (host or {}).get("usable_memory_bytes") or 1
    for name, g in groups.items():
        guessed = g.get("memory_estimated_bytes") or 0
        unbounded = g.get("unbounded") or []
        names = (f'<br><small>{", ".join(_rich(u) for u in unbounded)}</small>'
                 if unbounded else "")
        row = (f'<td data-label="What runs together">{_rich(name)}</td>'
               f'<td data-label="Running">{g["running"]}</td>'
               f'<td data-label="Memory limits">{_mib(g["memory_limit_bytes"] or None)}</td>'
               f'<td data-label="Without a limit">{len(unbounded)}{names}</td>'
               f'<td data-label="Estimated">{"~" + _mib(guessed) if guessed else "—"}</td>')
        if host:
            share = g.get("share_of_usable_memory")
            if share is None:
                share = (g["memory_limit_bytes"] or 0) / usable
            with_est = g.get("share_with_estimates")
            est = (with_est - share) if with_est is not None else guessed / usable
            if g["memory_limit_bytes"] or guessed:
                text = f"{share:.0%}" if g["memory_limit_bytes"] else "no limit declared"
                if with_est is not None:
                    text += f" (~{with_est:.0%} with the estimates)"
                bar = _bar([(share, "declared", f"declared: {share:.0%}"),
                            (est, "estimated", f"estimated: ~{est:.0%}")],
                           share + est, f"{name}: {text} of the host")
                row += (f'<td class="share" data-label="Share of the host">{bar}'
                        f'<span>{_esc(text)}</span></td>')
            else:
                row += '<td data-label="Share of the host">— (no limit declared)</td>'
        out.append(f"<tr>{row}</tr>")
    out.append("</tbody></table></div>")
    if host and len(groups) > 1:
        out.append(_host_bar(groups, host))
    return "\n".join(out)


def _host_bar(groups, host):
    """Everything on the one host named: each group's declared limits side by side, then
    the estimates, against the usable memory."""
    usable = host["usable_memory_bytes"] or 1
    segments, legend = [], []
    declared = guessed = unbounded = 0
    for i, (name, g) in enumerate(groups.items()):
        limit = g["memory_limit_bytes"] or 0
        declared += limit
        guessed += g.get("memory_estimated_bytes") or 0
        unbounded += len(g.get("unbounded") or [])
        cls = f"seg{i % 6}"
        segments.append((limit / usable, cls, f"{visible(name)}: {_mib(limit or None)}"))
        legend.append(f'<li><svg class="key" viewBox="0 0 10 10" aria-hidden="true">'
                      f'<rect width="10" height="10" class="{cls}"/></svg>{_rich(name)}: '
                      f'{_mib(limit or None)}</li>')
    if guessed:
        segments.append((guessed / usable, "estimated", f"estimates: ~{_mib(guessed)}"))
        legend.append('<li><svg class="key" viewBox="0 0 10 10" aria-hidden="true">'
                      f'<rect width="10" height="10" class="estimated"/></svg>'
                      f'estimated, not declared: ~{_mib(guessed)}</li>')
    text = f"{declared / usable:.0%} of {_mib(usable)} declared"
    if guessed:
        text += f", ~{(declared + guessed) / usable:.0%} with the estimates"
    if unbounded:
        text += f"; {unbounded} without a limit can take the rest"
    bar = _bar(segments, (declared + guessed) / usable, f"All of it on one host: {text}")
    return (f'<figure class="host"><figcaption><b>All of it on one host:</b> {_esc(text)}.'
            f'</figcaption>{bar}<ul class="legend">{"".join(legend)}</ul></figure>')


def _estimates_html(total):
    estimates = [e for g in (total.get("groups") or {}).values()
                 for e in g.get("estimates") or ()]
    if not estimates:
        return ""
    out = ["<p>Estimated, not declared: typical footprints from each project's own "
           "documentation, for services without a memory limit:</p>", "<ul>"]
    for e in estimates:
        # the source is shown, not linked: the page fetches and opens nothing
        figures = "; ".join(f"{_rich(f['what'])}, <code>{_esc(f['source'])}</code>"
                            for f in e["figures"])
        times = f" for {e['replicas']} replicas" if e.get("replicas", 1) > 1 else ""
        partial = ", other containers not estimated" if e.get("partial") else ""
        out.append(f"<li>{_rich(e['name'])} in <code>{_esc(e['path'])}</code>: "
                   f"~{_mib(e['memory_bytes'])}{times} ({figures}{partial})</li>")
    out.append("</ul>")
    return "\n".join(out)


class _Writer:
    """What a domain's `show_resources` writes with. Its lines are the Markdown review's;
    what a file put in them is wrapped in marks that `_lines_html` turns into HTML, so a
    file's `|`, `*` or backtick is never markup."""

    def __init__(self, full):
        from infra_expert.report.markdown import PROJECTS_SHOWN, ROWS_SHOWN
        self.markdown, self.full = True, full
        self.rows, self.projects = ROWS_SHOWN, PROJECTS_SHOWN
        self.mib = _mib

    @staticmethod
    def code(text):
        return _CODE_OPEN + _MARKS.sub("", visible(text)) + _CODE_CLOSE

    @staticmethod
    def inline(text):
        # balanced backticks stay code, like the review's messages; the rest is literal
        parts = backtick_parts(_MARKS.sub("", visible(text)))
        return "".join((_CODE_OPEN + p + _CODE_CLOSE) if i % 2 else (_LIT_OPEN + p + _LIT_CLOSE)
                       for i, p in enumerate(parts) if p)

    @staticmethod
    def cell(text):
        return text.replace("|", _PIPE)


def _span_html(text):
    """A domain's line: marked code and literal text from files, and the domain's own
    `code` and **bold** around them."""
    text = visible(text)
    out, at = [], 0
    for m in _MARKED.finditer(text):
        out.append(_own_markup(text[at:m.start()]))
        if m.group(1) is not None:
            out.append(f"<code>{_unmarked(m.group(1))}</code>")
        else:
            out.append(_unmarked(m.group(2)))
        at = m.end()
    out.append(_own_markup(text[at:]))
    return "".join(out)


def _unmarked(text):
    return html.escape(_MARKS.sub("", text.replace(_PIPE, "|")), quote=True)


def _own_markup(text):
    text = _unmarked(text)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    return _BOLD.sub(r"<b>\1</b>", text)


def _lines_html(lines):
    """The few Markdown shapes a domain's resource lines use: tables, list items and
    paragraphs."""
    out, i = [], 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append(lines[i].strip())
                i += 1
            out.append(_table_html(rows))
            continue
        if line.startswith("- "):
            items = []
            while i < len(lines) and lines[i].strip().startswith("- "):
                items.append(f"<li>{_span_html(lines[i].strip()[2:])}</li>")
                i += 1
            out.append(f"<ul>{''.join(items)}</ul>")
            continue
        if line:
            out.append(f"<p>{_span_html(line)}</p>")
        i += 1
    return "\n".join(out)


def _table_html(rows):
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows
             if not _TABLE_RULE.match(row)]
    if not cells:
        return ""
    head = "".join(f"<th>{_span_html(c)}</th>" for c in cells[0])
    labels = [_unmarked(re.sub("[`*\ue000-\ue004]", "", c)) for c in cells[0]]
    body = "".join("<tr>" + "".join(
        f'<td data-label="{labels[i] if i < len(labels) else ""}">{_span_html(c)}</td>'
        for i, c in enumerate(row)) + "</tr>" for row in cells[1:])
    return (f'<div class="scroll"><table class="stack"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def _resources_html(review, full, titles):
    from infra_expert.registry import domains
    total = review.resources.get("total") or {}
    out = [_fit_html(total), _estimates_html(total)]
    apart = counted_apart(total)
    if apart:
        out.append(f"<p>{_esc(apart)}</p>")
    if total.get("groups") and not total.get("host"):
        out.append("<p>Name the machine with <code>--host</code> (<code>rpi4-4gb</code>, "
                   "<code>vm-4g-2</code> …) to see what fits.</p>")
    writer = _Writer(full)
    for d in domains():
        res = review.resources.get(d.name)
        if res and d.show_resources is not None:
            lines = d.show_resources(res, writer)
            if lines:
                out.append(f"<h3>{_esc(titles.get(d.name, d.name))}</h3>")
                out.append(_lines_html(lines))
    body = "\n".join(part for part in out if part)
    return body or ("<p class=\"none\">Nothing to estimate: no reviewed file declares "
                    "images, services or limits.</p>")


# -- the page ----------------------------------------------------------------------------

_CSS = """
:root{--bg:#f5f6f8;--fg:#1c2330;--muted:#586274;--card:#fff;--line:#d9dee6;--code:#eef1f5;
--crit:#c62828;--warn:#a86a00;--sugg:#1d64a8;--pos:#2e7d32;--res:#6a3fb5;--hit:#fff4c2;
--track:#e4e8ee;--est:#9aa7b8;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#13161b;--fg:#e4e8ee;--muted:#9ba5b4;
--card:#1c2027;--line:#303743;--code:#262c35;--crit:#ef5350;--warn:#e0a030;--sugg:#5aa2e6;
--pos:#66bb6a;--res:#a586e6;--hit:#3d3515;--track:#2b313b;--est:#6d7a8c}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);
font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif,
"Apple Color Emoji","Segoe UI Emoji","Noto Color Emoji"}
main{max-width:66rem;margin:0 auto;padding:.75rem 1rem 3rem}
h1{font-size:1.45rem;margin:.4rem 0 .2rem}
h2{font-size:1.2rem;margin:1.6rem 0 .6rem;display:flex;gap:.5rem;align-items:baseline;
flex-wrap:wrap}
h3{font-size:1rem;margin:0 0 .3rem}
p{margin:.35rem 0}
code,pre,.loc,.rid{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",
monospace}
code{font-size:.88em;background:var(--code);padding:0 .25em;border-radius:3px}
code,.loc,.msg,.where,li,p,h3{overflow-wrap:anywhere}
td,th{overflow-wrap:break-word}
table code{overflow-wrap:normal}
[id]{scroll-margin-top:8rem}
.muted,small{color:var(--muted)}
.summary{color:var(--muted);margin:.2rem 0 .8rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(7.5rem,1fr));gap:.5rem;
margin:.5rem 0}
.card{display:block;background:var(--card);border:1px solid var(--line);
border-top:4px solid var(--c,var(--line));border-radius:6px;padding:.4rem .7rem;
color:inherit;text-decoration:none}
.card b{display:block;font-size:1.5rem;line-height:1.2}
.card span{color:var(--muted);font-size:.85rem}
.sev-critical{--c:var(--crit)}.sev-warning{--c:var(--warn)}.sev-suggestion{--c:var(--sugg)}
.sev-positive{--c:var(--pos)}.sev-resources{--c:var(--res)}
#filters{position:sticky;top:0;z-index:2;background:var(--bg);border-bottom:1px solid var(--line);
padding:.5rem 0;display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:center}
#filters[hidden]{display:none}
#filters fieldset{border:0;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.2rem .7rem}
#filters legend{float:left;margin-right:.4rem;font-weight:600}
#filters label{white-space:nowrap}
#filters select{max-width:100%;min-width:0;font:inherit;padding:.15rem}
#f-domain{width:13rem}#f-file{width:24rem}
#filters .pick{display:flex;gap:.3rem;align-items:center;min-width:0;max-width:100%}
#filters button{font:inherit;padding:.15rem .6rem}
#f-status{color:var(--muted);font-size:.9rem}
.must-fix{background:var(--card);border:1px solid var(--line);border-left:4px solid var(--crit);
border-radius:6px;padding:.2rem 1rem .5rem;margin:1rem 0}
.must-fix h2{margin:.5rem 0 .2rem}
.must-fix ol{margin:.2rem 0;padding-left:1.4rem}
.must-fix a{color:inherit}
.count{font-size:.85rem;font-weight:500;color:var(--muted);background:var(--code);
padding:0 .5em;border-radius:1em}
.item.finding,.item.baseline{background:var(--card);border:1px solid var(--line);
border-left:4px solid var(--c);border-radius:6px;padding:.6rem .9rem;margin:.6rem 0;
break-inside:avoid}
.rid{font-weight:700;margin-right:.2rem}
.meta{display:flex;flex-wrap:wrap;gap:.3rem .4rem;align-items:center;font-size:.9rem}
.chip{font-size:.75rem;border:1px solid var(--line);border-radius:1em;padding:0 .55em;
color:var(--muted);overflow-wrap:anywhere}
.chip.sev-critical,.chip.sev-warning,.chip.sev-suggestion{color:var(--c);border-color:var(--c)}
.where{color:var(--muted)}
.places{list-style:none;padding:0;margin:.4rem 0}
.places>li{padding:.25rem 0;border-top:1px dashed var(--line)}
.places>li:first-child{border-top:0}
.loc{font-size:.85rem;color:var(--muted);white-space:normal}
.excerpt{margin:.35rem 0 .2rem;background:var(--code);border-radius:4px;padding:.35rem 0;
font-size:.82rem;line-height:1.45;white-space:pre-wrap;overflow-wrap:anywhere;max-width:100%}
.excerpt code{background:none;padding:0;font-size:inherit;display:block}
.excerpt code>span{display:flex}
.excerpt .ln{flex:none;width:3.2em;padding-right:.6em;text-align:right;color:var(--muted);
user-select:none}
.excerpt .tx{flex:1;min-width:0;padding-right:.5em}
.excerpt .hit{background:var(--hit)}
.why,.fix,.peers{font-size:.92rem}
.why b,.fix b{color:var(--muted)}
.peers{color:var(--muted)}
.positives{padding-left:1.2rem}
.positives>li{margin:.2rem 0}
.positives>li::marker{color:var(--pos)}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.4rem 0;font-size:.9rem;background:var(--card)}
th,td{border:1px solid var(--line);padding:.2rem .5rem;text-align:left;vertical-align:top}
thead th{background:var(--code)}
.grid td{text-align:center}
.grid td.ok{color:var(--pos)}.grid td.no{color:var(--crit);font-weight:700}
.fixes{font-size:.92rem;padding-left:1.2rem}
.share{min-width:9rem}
.bar{display:block;width:100%;height:.8rem;margin:.15rem 0}
.bar .track{fill:var(--track)}
.bar .declared{fill:var(--res)}
.bar .estimated{fill:var(--est)}
.bar .limit{stroke:var(--crit);stroke-width:1.2;vector-effect:non-scaling-stroke}
.seg0{fill:#6a3fb5}.seg1{fill:#1d64a8}.seg2{fill:#2e7d32}.seg3{fill:#a86a00}
.seg4{fill:#ad1457}.seg5{fill:#00838f}.estimated{fill:var(--est)}
figure.host{margin:.8rem 0;background:var(--card);border:1px solid var(--line);
border-radius:6px;padding:.6rem .9rem}
figure.host .bar{height:1.2rem}
.legend{list-style:none;padding:0;margin:.3rem 0 0;display:flex;flex-wrap:wrap;gap:.2rem 1rem;
font-size:.85rem}
.key{width:.8em;height:.8em;margin-right:.3em;vertical-align:-.05em}
.none{color:var(--muted);font-style:italic}
.off{display:none}
footer{margin-top:2rem;color:var(--muted);font-size:.85rem}
@media (max-width:40rem){main{padding:.5rem .6rem 2rem}body{font-size:14px}
.item.finding,.item.baseline{padding:.5rem .6rem}#filters{position:static}
.excerpt .ln{width:2.4em}
table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
table.stack thead{display:none}
table.stack tr{border:1px solid var(--line);border-radius:4px;margin:.4rem 0;padding:.2rem 0}
table.stack td{border:0;padding:.1rem .5rem;overflow-wrap:anywhere}
table.stack td::before{content:attr(data-label) ": ";font-weight:600;color:var(--muted)}
table.stack code{overflow-wrap:anywhere}
table.grid thead{display:none}
table.grid,table.grid tbody,table.grid tr,table.grid th{display:block;width:100%}
table.grid tr{border:1px solid var(--line);border-radius:4px;margin:.4rem 0;padding:.2rem .4rem}
table.grid th,table.grid td{border:0;padding:.1rem .3rem;text-align:left}
table.grid td{display:inline-block}
table.grid td::before{content:attr(data-label) " ";color:var(--fg)}}
@media print{:root{--bg:#fff;--fg:#1c2330;--muted:#586274;--card:#fff;--line:#d9dee6;
--code:#f3f3f3;--crit:#c62828;--warn:#a86a00;--sugg:#1d64a8;--pos:#2e7d32;--res:#6a3fb5;
--hit:#fff1b8;--track:#e4e8ee;--est:#9aa7b8;color-scheme:light}
#filters{display:none!important}.off{display:revert!important}.none-shown{display:none!important}
main{max-width:none;padding:0}body{font-size:11pt}
a{color:inherit;text-decoration:none}.scroll{overflow:visible}
h2{break-after:avoid}.item,.host,tr{break-inside:avoid}}
"""

_JS = r"""
(function () {
  "use strict";
  var bar = document.getElementById("filters");
  if (!bar) { return; }
  var boxes = Array.prototype.slice.call(bar.querySelectorAll("input[name=sev]"));
  var domain = document.getElementById("f-domain");
  var file = document.getElementById("f-file");
  var status = document.getElementById("f-status");
  var each = function (root, sel, fn) {
    Array.prototype.forEach.call(root.querySelectorAll(sel), fn);
  };
  function apply() {
    var on = {}, d = domain.value, f = file.value, filtered = !!(d || f);
    boxes.forEach(function (b) { on[b.value] = b.checked; filtered = filtered || !b.checked; });
    var seen = {}, all = {}, shownAll = 0, totalAll = 0;
    each(document, "[data-s]", function (el) {
      var counted = el.classList.contains("item");
      var ok = on[el.getAttribute("data-s")] && (!d || el.getAttribute("data-d") === d);
      var n = 0;
      el.getAttribute("data-f").split(" ").forEach(function (token) {
        var parts = token.split(":"), hit = ok && (!f || parts[0] === f);
        if (hit) { n += 1; }
        if (counted) {
          all[parts[1]] = (all[parts[1]] || 0) + 1;
          totalAll += 1;
          if (hit) { seen[parts[1]] = (seen[parts[1]] || 0) + 1; shownAll += 1; }
        }
      });
      el.classList.toggle("off", n === 0);
      each(el, "[data-p]", function (p) {
        p.classList.toggle("off", !!f && p.getAttribute("data-p") !== f);
      });
    });
    each(document, "section[data-sec]", function (sec) {
      var key = sec.getAttribute("data-sec"), n = seen[key] || 0, total = all[key] || 0;
      var count = sec.querySelector(".count");
      if (count) { count.textContent = filtered ? n + " of " + total : String(total); }
      var items = sec.querySelectorAll(".item").length;
      var hidden = sec.querySelectorAll(".item.off").length;
      var none = sec.querySelector(".none-shown");
      if (none) { none.classList.toggle("off", !(items > 0 && hidden === items)); }
    });
    status.textContent = filtered ? "Showing " + shownAll + " of " + totalAll +
      " findings and positive points." : "";
  }
  boxes.forEach(function (b) { b.addEventListener("change", apply); });
  domain.addEventListener("change", apply);
  file.addEventListener("change", apply);
  document.getElementById("f-reset").addEventListener("click", function () {
    boxes.forEach(function (b) { b.checked = true; });
    domain.value = ""; file.value = "";
    apply();
  });
  // printed, everything shows (the print style): so do the counts
  window.addEventListener("beforeprint", function () {
    each(document, "section[data-sec] .count", function (c) {
      c.textContent = c.textContent.replace(/^\d+ of /, "");
    });
  });
  window.addEventListener("afterprint", apply);
  bar.hidden = false;
  apply();
}());
"""


def _digest(text):
    import base64
    import hashlib
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def _filters_html(review, files, titles):
    domains = {}
    for item in list(review.findings) + list(review.positives):
        domains[item.rule.domain] = domains.get(item.rule.domain, 0) + 1
    boxes = "".join(f'<label><input type="checkbox" name="sev" value="{s}" checked> '
                    f'{label}</label>' for s, label in
                    (("critical", "Critical"), ("warning", "Warnings"),
                     ("suggestion", "Suggestions"), ("positive", "Positive")))
    dom = "".join(f'<option value="{_esc(d)}">{_esc(titles.get(d, d))} ({n})</option>'
                  for d, n in sorted(domains.items(), key=lambda kv: titles.get(kv[0], kv[0])))
    fil = "".join(f'<option value="{i}">{_esc(p)} ({files.counts[p]})</option>'
                  for p, i in files.ids.items() if files.counts.get(p))
    return ('<form id="filters" hidden aria-label="Filters">'
            f'<fieldset><legend>Show</legend>{boxes}</fieldset>'
            f'<label class="pick">Domain <select id="f-domain"><option value="">all</option>'
            f'{dom}</select></label>'
            f'<label class="pick">File <select id="f-file"><option value="">all</option>'
            f'{fil}</select></label>'
            '<button type="button" id="f-reset">Reset</button>'
            '<span id="f-status" role="status"></span></form>')


def _header_html(review):
    from infra_expert import __version__
    summary = review.summary()
    per_domain = {}
    for _, d in review.files:
        per_domain[d] = per_domain.get(d, 0) + 1
    per = ", ".join(f"{_esc(d)}: {n}" for d, n in sorted(per_domain.items()))
    n = len(review.files)
    cards = []
    for key, label in (("critical", "critical"), ("warning", "warnings"),
                       ("suggestion", "suggestions"), ("positive", "positive points")):
        cards.append(f'<a class="card sev-{key}" href="#{SECTION_IDS[key]}"><b>'
                     f'{summary.get(key, 0)}</b><span>{label}</span></a>')
    cards.append(f'<a class="card" href="#files"><b>{n}</b><span>'
                 f'file{"s" if n != 1 else ""} reviewed</span></a>')
    if review.notices:
        cards.append(f'<a class="card" href="#notices"><b>{len(review.notices)}</b>'
                     f'<span>notice{"s" if len(review.notices) != 1 else ""}</span></a>')
    from infra_expert.report.markdown import live_line
    live = live_line(review)
    live_html = f'<p class="summary"><b>{_esc(live)}</b></p>' if live else ""
    return (f'<header><h1>infra-expert review</h1>'
            f'<p class="summary">{_plural(n, "file")} reviewed'
            f'{f" ({per})" if per else ""} · infra-expert {_esc(__version__)}</p>'
            f'{live_html}<div class="cards">{"".join(cards)}</div></header>')


def render_html(review, read=None, full=False):
    """The review as one HTML page. `read(path) -> text or None` gives a reviewed file's
    text for the excerpts (default: `disk_reader`, from disk through the gate); it is
    asked only about files the review lists. `full`: the domains' resource tables list
    every row."""
    titles = _domain_titles()
    files = _Files(review)
    excerpts = _Excerpts(review, read)
    entries = section_entries(review)
    anchors, counter = {}, 0
    sections = {}
    for sev in ("critical", "warning", "suggestion"):
        parts = []
        for kind, item in entries[sev]:
            counter += 1
            if kind == "group":
                anchors[id(item)] = f"g{counter}"
                parts.append(_group_html(item, f"g{counter}", review, files, excerpts, titles))
            else:
                parts.append(_baseline_html(*item, sev, review, files, titles))
        sections[sev] = parts
    body = [_header_html(review), _filters_html(review, files, titles),
            _must_fix_html([g for kind, g in entries["critical"] if kind == "group"],
                           anchors, files)]
    per_sev = {sev: sum(1 for f in review.findings if f.severity == sev)
               for sev in ("critical", "warning", "suggestion")}
    per_sev["positive"] = len(review.positives)
    for key in ("critical", "warning", "positive", "suggestion", "resources"):
        total = per_sev.get(key)
        if key == "positive":
            content = _positives_html(review, files, titles) if total else ""
        elif key == "resources":
            content = _resources_html(review, full, titles)
        else:
            content = "\n".join(sections[key])
            elsewhere = sum(1 for sev, items in entries.items() if sev != key
                            for kind, item in items if kind == "baseline"
                            for f in item[1] if f.severity == key)
            if elsewhere:
                where = ", ".join(f'<a href="#{SECTION_IDS[sev]}">{SECTION_TITLES[sev]}</a>'
                                  for sev, items in entries.items() if sev != key and any(
                                      kind == "baseline" and any(f.severity == key
                                                                 for f in item[1])
                                      for kind, item in items))
                content = (f'<p class="muted">{_plural(elsewhere, key)} '
                           f'{"is" if elsewhere == 1 else "are"} in the hardening baseline '
                           f'table under {where}.</p>\n' + content)
        count = f' <span class="count">{total}</span>' if total is not None else ""
        empty = ""
        if total == 0:
            empty = '<p class="none">None found.</p>' if key == "positive" else \
                '<p class="none">None.</p>'
        elif total:
            empty = '<p class="none none-shown off">None match the filters.</p>'
        data = f' data-sec="{key}"' if total is not None else ""
        body.append(f'<section id="{SECTION_IDS[key]}" class="sev-{key}"{data}>'
                    f'<h2>{SECTION_TITLES[key]}{count}</h2>{empty}\n{content}</section>')
    if review.notices:
        items = "".join(f"<li><code>{_esc(n.path)}</code>: {_rich(n.message)}</li>"
                        for n in review.notices)
        body.append(f'<section id="notices"><h2>Notices <span class="count">'
                    f'{len(review.notices)}</span></h2><ul>{items}</ul></section>')
    listed = "".join(f"<li><code>{_esc(p)}</code> <span class=\"chip\">"
                     f"{_esc(titles.get(d, d))}</span></li>" for p, d in review.files)
    body.append(f'<section id="files"><h2>Files reviewed <span class="count">'
                f'{len(review.files)}</span></h2><ul class="files">{listed}</ul></section>')
    body.append('<footer>Written by infra-expert, which reads and never changes what it '
                'reviews. This page loads nothing: no network, no fonts, no scripts but '
                'its own filters.</footer>')
    css, js = _CSS.strip(), _JS.strip()
    csp = (f"default-src 'none'; style-src '{_digest(css)}'; script-src '{_digest(js)}'; "
           "img-src 'none'; font-src 'none'; connect-src 'none'; base-uri 'none'; "
           "form-action 'none'")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
            '<meta name="referrer" content="no-referrer">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            "<title>infra-expert review</title>\n"
            f"<style>{css}</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(part for part in body if part)
            + f"\n</main>\n<script>{js}</script>\n</body>\n</html>\n")
