"""The review for a terminal: the Markdown view's sections, order and grouping, drawn
with rich (aligned tables, bars, colour), with nothing of Markdown's syntax left.

rich is imported inside the functions: a review piped to a file or to CI never loads it.
Text from a reviewed file goes into rich as `Text` pieces, never as markup, and through
`visible()` first: `[bold]` in a file name stays literal and no control character reaches
the terminal.
"""

from __future__ import annotations

import os
import re

from infra_expert.report import markdown as md
from infra_expert.report import backtick_parts, visible

HEADINGS = {
    "critical": ("🔴", "Critical (must fix)", "red"),
    "warning": ("🟡", "Warnings (consider)", "yellow"),
    "positive": ("🟢", "Positive points", "green"),
    "suggestion": ("💡", "Suggestions", "cyan"),
    "resources": ("📊", "Estimated resources", "magenta"),
}
CODE = "cyan"
LABEL = "dim"

# TERM=dumb: ASCII only. The renderer's own glyphs and the typography of rule texts have
# ASCII stand-ins; they are put in before layout so that columns stay aligned.
_ASCII = str.maketrans({"—": "-", "–": "-", "…": "...", "·": "-", "✓": "ok", "✗": "no",
                        "×": "x", "→": "->", "←": "<-", "≥": ">=", "≤": "<=", "≈": "~",
                        "█": "#", "░": ".", "•": "*", "‘": "'", "’": "'", "“": '"',
                        "”": '"', "\u00a0": " ", "½": "1/2"})

# What a domain's `show_resources` writes with in this view: file text is wrapped in
# private-use markers (code, literal) and `|` inside a cell is kept apart, so that the
# lines it returns can be read back into tables and styled pieces unambiguously.
_CODE_OPEN, _CODE_CLOSE, _LIT_OPEN, _LIT_CLOSE, _PIPE = "\ue000\ue001\ue002\ue003\ue004"
_MARKERS = re.compile("[\ue000-\ue004]")
_SEPARATOR = re.compile(r"^:?-{3,}:?$")
_TRAILING = re.compile(r"[ \t]+((?:\x1b\[[0-9;]*m)*)$", re.M)
_EMPHASIS = re.compile(r"(?<![\w*])\*([^*\s][^*]*?)\*(?![\w*])")


def is_dumb(environ=None):
    env = os.environ if environ is None else environ
    return env.get("TERM", "").lower() in ("dumb", "unknown")


def forced_colour(environ=None):
    """FORCE_COLOR (https://force-color.org/) set to anything but empty, `0`, `false` or
    `no`: colour even when piped (CI logs render ANSI)."""
    env = os.environ if environ is None else environ
    value = env.get("FORCE_COLOR")
    return value is not None and value.strip().lower() not in ("", "0", "false", "no")


def wants_terminal(stream, environ=None):
    """Whether `--format review` written to `stream` gets this view: a TTY, or any
    stream when FORCE_COLOR is set."""
    env = os.environ if environ is None else environ
    if forced_colour(env):
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def wants_colour(no_color=False, environ=None):
    """Colour unless `--no-color`, NO_COLOR (https://no-color.org/) or TERM=dumb;
    FORCE_COLOR gives colour on a dumb terminal too. NO_COLOR wins over FORCE_COLOR."""
    env = os.environ if environ is None else environ
    if no_color or env.get("NO_COLOR"):
        return False
    return forced_colour(env) or not is_dumb(env)


def _colour_system(env):
    if env.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
        return "truecolor"
    return "256" if "256" in env.get("TERM", "") else "standard"


def render_terminal(review, width=None, colour=True, full=False, environ=None):
    """The review as text for a terminal (ANSI styles when `colour`). NO_COLOR and
    TERM=dumb turn colour off (FORCE_COLOR back on); TERM=dumb also draws ASCII only.
    `width` defaults to the terminal's (COLUMNS, else 80 when there is none)."""
    from io import StringIO

    from rich.console import Console

    env = os.environ if environ is None else environ
    colour = colour and wants_colour(environ=env)
    if width is None:
        import shutil
        width = shutil.get_terminal_size((80, 24)).columns
    buffer = StringIO()
    console = Console(file=buffer, width=max(width, 20), height=25, force_terminal=colour,
                      no_color=not colour,
                      color_system=_colour_system(env) if colour else None,
                      markup=False, emoji=False, highlight=False, legacy_windows=False,
                      _environ=dict(env))
    width = max(width, 20)
    view = _View(colour, is_dumb(env), full, width)
    for block in view.review(review):
        console.print(block)
    # cells are padded to the column's width: no trailing blanks (before a reset code)
    return _TRAILING.sub(r"\1", buffer.getvalue())


def _column_widths(rows, room, whole=()):
    """Content widths that fit `room` (None: the natural widths fit): first the room
    between a column's longest line and its longest word is given up, in proportion;
    then, if that is not enough, the widest words are cut (a long path, not `on-failure`)."""
    from rich.cells import cell_len
    texts = [[_plain(cell) for cell in row] for row in rows]
    longest = [max((cell_len(line) for cell in col for line in cell.split("\n")), default=1)
               for col in zip(*texts)]
    words = _words(rows, whole)
    if sum(longest) <= room:
        return None
    if sum(words) <= room:
        return _shrink(longest, [m - w for m, w in zip(longest, words)], sum(longest) - room)
    widths = list(words)            # the widest column gives way, one cell at a time
    for _ in range(sum(words) - max(room, 3 * len(words))):
        widest = max(range(len(widths)), key=widths.__getitem__)
        widths[widest] -= 1
    return widths


def _shrink(widths, slack, excess):
    """`widths` less `excess` in all, each giving in proportion to its `slack`."""
    total = sum(slack) or 1
    cut = [min(s, -(-excess * s // total)) for s in slack]      # rounded up
    over = sum(cut) - excess
    for i in sorted(range(len(cut)), key=lambda i: cut[i]):      # give back what is extra
        back = min(over, cut[i])
        cut[i] -= back
        over -= back
    return [max(1, w - c) for w, c in zip(widths, cut)]


def _words_fit(rows, room, whole=()):
    return sum(_words(rows, whole)) <= room


def _words(rows, whole=()):
    """Each column's longest word; a column in `whole` keeps its cells on one line (a bar
    and its percentage), its header still wraps."""
    from rich.cells import cell_len
    out = []
    for i, col in enumerate(zip(*rows)):
        parts = [w for cell in col[:1] for w in _plain(cell).split()]
        parts += ([_plain(cell) for cell in col[1:]] if i in whole
                  else [w for cell in col[1:] for w in _plain(cell).split()])
        out.append(max((cell_len(w) for w in parts), default=1))
    return out


def _plain(cell):
    return cell if isinstance(cell, str) else cell.plain


class _View:
    """The pieces of the review as rich renderables."""

    def __init__(self, colour, ascii, full, width):
        self.colour, self.ascii, self.full, self.width = colour, ascii, full, width

    # -- text pieces: (text, style); file text goes through `visible` ------------------

    def text(self, *parts):
        from rich.text import Text
        out = Text(overflow="fold")
        for part in parts:
            if isinstance(part, list):
                out.append_text(self.text(*part))
                continue
            if isinstance(part, Text):
                out.append_text(part)
                continue
            text, style = (part, "") if isinstance(part, str) else part
            out.append(text.translate(_ASCII) if self.ascii else text, style)
        return out

    def code(self, text):
        return (visible(text), CODE)

    def quoted(self, text, emphasis=False):
        """A rule's text that quotes the file between backticks (a message, a title, a
        fix): the quotes are styled when there is colour, kept as backticks when not;
        an odd backtick is literal. `emphasis`: `*word*` is italic (rule texts only)."""
        parts = backtick_parts(visible(text))
        out = []
        for i, part in enumerate(parts):
            if i % 2 == 0:
                out.extend(self._emphasis(part) if emphasis else [part])
            elif not part:
                out.append("``")
            else:
                out.append((part, CODE) if self.colour else (f"`{part}`", CODE))
        return out

    def _emphasis(self, text):
        out, at = [], 0
        for m in _EMPHASIS.finditer(text):
            out.extend([text[at:m.start()], (m.group(1), "italic")])
            at = m.end()
        out.append(text[at:])
        return out

    def grid(self, *widths):
        """Columns without borders: a label column and text that wraps under itself."""
        from rich.table import Table
        grid = Table.grid(padding=(0, 1))
        for w in widths:
            grid.add_column(no_wrap=w is not None, min_width=w, overflow="fold")
        grid.add_column(overflow="fold", ratio=1)
        return grid

    def table(self, headers, rows, indent=0, centre=(), whole=()):
        """An aligned table as wide as the terminal allows: when it must shrink, columns
        wrap between words first. When even the words do not fit (a narrow terminal),
        each row becomes a record: its first cell, then `header: value` lines."""
        from rich import box
        from rich.table import Table
        room = self.width - indent - 3 * (len(headers) - 1)
        if not _words_fit([headers, *rows], room, whole):
            return self.records(headers, rows)
        ascii_head = box.Box("    \n    \n -- \n    \n    \n    \n    \n    \n", ascii=True)
        table = Table(box=ascii_head if self.ascii else box.SIMPLE_HEAD, show_edge=False,
                      header_style="bold", pad_edge=False, border_style="dim",
                      expand=False)
        widths = _column_widths([headers, *rows], room, whole)
        for i, h in enumerate(headers):
            table.add_column(h, overflow="fold", width=widths[i] if widths else None,
                             justify="center" if i in centre else "left")
        for row in rows:
            table.add_row(*row)
        return table

    def records(self, headers, rows):
        from rich.console import Group
        out = []
        for row in rows:
            first = row[0] if not isinstance(row[0], str) else self.text(row[0])
            grid = self.grid(None)
            for header, cell in zip(headers[1:], row[1:]):
                label = self.text((_plain(header).replace("\n", " ") + ":", LABEL))
                grid.add_row(label, cell)
            out.append(Group(first, self.padded(grid)))
        return Group(*out)

    @staticmethod
    def padded(renderable, left=2):
        from rich.padding import Padding
        return Padding(renderable, (0, 0, 0, left))

    def heading(self, section):
        from rich.rule import Rule
        icon, title, colour = HEADINGS[section]
        label = title if self.ascii else f"{icon} {title}"
        return Rule(self.text((label, f"bold {colour}")), align="left",
                    characters="-" if self.ascii else "─", style=colour)

    def none(self, what="none"):
        return self.text(("  " + what, "dim"))

    def mark(self, ok):
        return self.text(("✓", "green") if ok else ("✗", "bold red"))

    # -- the review ------------------------------------------------------------------

    def review(self, review):
        entries = md.section_entries(review)
        yield self.text(("infra-expert review", "bold"))
        yield self.text(md.summary_line(review))
        if review.live:
            yield self.text((md.live_line(review), "bold"))
        criticals = [g for kind, g in entries["critical"] if kind == "group"]
        if criticals:
            yield ""
            yield from self.must_fix(criticals)
        for section in ("critical", "warning", "positive", "suggestion", "resources"):
            yield ""
            if section == "positive":
                yield self.heading(section)
                yield self.positives(review)
            elif section == "resources":
                yield self.heading(section)
                yield from self.resources(review)
            else:
                yield self.heading(section)
                yield self.findings(entries[section], review, section)
        if review.notices:
            yield ""
            yield self.text(("Notices", "bold"))
            grid = self.grid(1)
            for n in review.notices:
                grid.add_row(self.text(("!", "yellow")),
                             self.text(self.code(n.path), ": ", self.quoted(n.message)))
            yield grid

    def must_fix(self, groups):
        yield self.text(("Must fix:", "bold red"))
        grid = self.grid(3, 5)
        for i, group in enumerate(groups[:md.MUST_FIX_SHOWN], 1):
            f = group[0]
            grid.add_row(f"{i}.", self.text((f.rule.id, "bold red")),
                         self.text(self.quoted(f.rule.title, True), " — ",
                                   self.short_where(group)))
        if len(groups) > md.MUST_FIX_SHOWN:
            grid.add_row(f"{md.MUST_FIX_SHOWN + 1}.", self.text("…"),
                         self.text(f"and {len(groups) - md.MUST_FIX_SHOWN} more rules in "
                                   "Critical below"))
        yield grid

    def findings(self, entries, review, section):
        if not entries:
            return self.none()
        colour = HEADINGS[section][2]
        grid = self.grid(5)
        for i, (kind, item) in enumerate(entries):
            if i:
                grid.add_row()
            if kind == "group":
                grid.add_row(self.text((item[0].rule.id, f"bold {colour}")),
                             self.group(item, review.projects))
            else:
                grid.add_row("", self.baseline(*item, review))
        return grid

    def details(self, rows):
        grid = self.grid(4)
        for label, text in rows:
            grid.add_row(self.text((label, LABEL)), text)
        return grid

    def group(self, group, projects):
        """One rule and its places (a port of markdown's `_finding_lines`)."""
        from rich.console import Group
        f = group[0]
        title = self.quoted(f.rule.title, True)
        fix = self.text(self.quoted(f.fix, True))
        if len(group) == 1:
            head = self.text(title, " — ", self.code(md._loc(f.path, f.line)))
            return Group(head, self.details([("Seen", self.text(self.quoted(f.message))),
                                             ("Fix", fix)]))
        head = self.text(title, " — ", self.where(group, projects))
        rows = []
        if self.full or len(group) <= md.PLACES_SHOWN:
            rows.extend(("•", self.text(self.code(md._loc(g.path, g.line)), " ",
                                        self.quoted(g.message))) for g in group)
        else:
            first = md._loc(f.path, f.line)
            rows.append(("Seen", self.text(self.code(first), " ", self.quoted(f.message))))
            rest = []
            for g in group:
                loc = md._loc(g.path, g.line)
                if loc != first and loc not in rest:
                    rest.append(loc)
            shown = rest[:md.PLACES_SHOWN - 1]
            left = len(group) - 1 - min(len(rest), md.PLACES_SHOWN - 1)
            if shown:
                parts = self.join([self.code(loc) for loc in shown])
                if left > 0:
                    parts += [f" (+{left} more; ", ("--full", CODE), " lists every place)"]
                rows.append(("Also", self.text(parts)))
        rows.append(("Fix", fix))
        return Group(head, self.details(rows))

    @staticmethod
    def join(pieces, sep=", "):
        out = []
        for i, piece in enumerate(pieces):
            if i:
                out.append(sep)
            out.append(piece)
        return out

    def subject(self, subject, domain):
        d = md._domain(domain)
        return [self.code(subject)] if d is not None and d.subject_is_code \
            else self.quoted(subject)

    def subjects(self, findings, info, names=True):
        """"6 of 9 services: a, b, c (+3)" for the places of one project, or "4 places"."""
        count, subjects = md.subject_count(findings, info)
        if not names or subjects is None:
            return [count]
        shown = self.join([self.subject(s, info["domain"])
                           for s in subjects[:md.NAMES_SHOWN]])
        return [count, ": ", *shown, md._more(len(subjects) - md.NAMES_SHOWN)]

    def where(self, group, projects):
        by_project = md._by_project(group)
        if len(by_project) == 1:
            project, found = next(iter(by_project.items()))
            return [self.code(project), ": ", *self.subjects(found, projects.get(project))]
        parts = []
        for p, found in list(by_project.items())[:md.PROJECTS_SHOWN]:
            if p in projects or len(found) > 1:
                parts.append([self.code(p), " (",
                              *self.subjects(found, projects.get(p), False), ")"])
            else:
                parts.append([self.code(p)])
        unit = md._unit(by_project)
        return [f"{len(group)} places in {len(by_project)} {unit}: ",
                *self.join(parts), md._more(len(by_project) - md.PROJECTS_SHOWN, unit)]

    def short_where(self, group):
        f = group[0]
        loc = self.code(md._loc(f.path, f.line))
        if len(group) == 1:
            return [loc]
        by_project = md._by_project(group)
        scope = (f" in {len(by_project)} {md._unit(by_project)}" if len(by_project) > 1
                 else "")
        return [loc, f" (+{len(group) - 1} more{scope})"]

    def baseline(self, domain, findings, review):
        """The hardening baseline: which service lacks what, as a table."""
        from rich.console import Group
        cols, missing, rows, rules = md.baseline_table(domain, findings, review)
        one, many = md._nouns(domain)
        total = sum(len(r) for r in rows.values())
        where = ([self.code(next(iter(rows))), ": "] if len(rows) == 1
                 else [f"{len(rows)} projects: "])
        out = [self.text(("Hardening baseline", "bold"),
                         f" ({', '.join(rid for rid, _ in cols)}) — ", where,
                         f"{len(missing)} of {total} {one if total == 1 else many} lack "
                         "at least one item")]
        labels = [label for _, label in cols]
        if self.full or (len(rows) <= md.PROJECTS_SHOWN and total <= 3 * md.ROWS_SHOWN):
            for project, subjects in rows.items():
                if len(rows) > 1:
                    out.append(self.text(self.code(project), ":"))
                body = []
                for subject in subjects:
                    gone = missing.get((project, subject), set())
                    body.append([self.text(self.subject(subject, domain))]
                                + [self.mark(rid not in gone) for rid, _ in cols])
                head = [one.capitalize()] + labels
                if _words_fit([head, *body], self.width - 6 - 3 * len(labels)):
                    out.append(self.table(head, body, indent=6,
                                          centre=range(1, len(labels) + 1)))
                    continue
                grid = self.grid(None)        # narrow: what each one lacks, in words
                for subject, row in zip(subjects, body):
                    gone = [label for (rid, label) in cols
                            if rid in missing.get((project, subject), ())]
                    grid.add_row(row[0], self.text(("✗ ", "bold red"), ", ".join(gone))
                                 if gone else self.mark(True))
                out.append(grid)
        else:
            body = []
            for project, subjects in list(rows.items())[:md.ROWS_SHOWN]:
                cells = [self.text(self.code(project))]
                for rid, _ in cols:
                    n = sum(1 for s in subjects if rid in missing.get((project, s), ()))
                    cells.append(self.text(("✗", "bold red"), f" {n}/{len(subjects)}")
                                 if n else self.mark(True))
                body.append(cells)
            out.append(self.table([f"Project ({many} lacking / all)"] + labels, body,
                                  indent=6))
            if len(rows) > md.ROWS_SHOWN:
                out.append(self.text(f"+{len(rows) - md.ROWS_SHOWN} projects; ",
                                     ("--full", CODE), f" shows every {one}."))
        notes = []
        warned = [label for rid, label in cols if rules[rid].severity == "warning"]
        if warned and len(warned) < len(cols):
            notes.append(("", self.text(f"Missing {', '.join(warned)}: warning; the other "
                                        "columns are suggestions.")))
        for rid, label in cols:
            notes.append(("Fix", self.text(f"{label} (", (rid, "bold"), "): ",
                                           self.quoted(rules[rid].fix, True))))
        out.append(self.details(notes))
        return Group(*out)

    def positives(self, review):
        by_rule = {}
        for p in review.positives:
            by_rule.setdefault(p.rule.id, []).append(p)
        if not by_rule:
            return self.none("none found")
        grid = self.grid(1)
        mark = self.text(("✓", "green"))
        for items in by_rule.values():
            if self.full or len(items) <= md.POSITIVES_SHOWN:
                for p in items:
                    grid.add_row(mark, self.text(self.quoted(p.message), " — ",
                                                 self.code(md._loc(p.path, p.line))))
            else:
                p = items[0]
                grid.add_row(mark, self.text(self.quoted(p.message), " — ",
                                             self.code(md._loc(p.path, p.line)),
                                             f" (+{len(items) - 1} more files like it)"))
        return grid

    # -- 📊 resources ------------------------------------------------------------------

    def resources(self, review):
        from infra_expert.registry import domains
        out = list(self.fit(review.resources.get("total") or {}))
        writer = _Writer(self.full)
        for d in domains():
            res = review.resources.get(d.name)
            if res and d.show_resources is not None:
                out.extend(self.lines(d.show_resources(res, writer)))
        if not out:
            return [self.text("Nothing to estimate: no reviewed file declares images, "
                              "services or limits.")]
        return self.join(out, "")       # a blank line between tables and paragraphs

    def bar(self, share, width=10):
        filled = min(width, round(share * width))
        colour = "green" if share < 0.7 else "yellow" if share <= 1 else "red"
        if self.ascii:
            return self.text("[", ("#" * filled, colour), "." * (width - filled), "]")
        return self.text(("█" * filled, colour), ("░" * (width - filled), "dim"))

    def fit(self, total):
        """What runs together, a row a group; against the host when there is one."""
        groups = total.get("groups") or {}
        if not groups:
            return
        host = total.get("host")
        name_host = self.text("Name the machine with ", ("--host", CODE), " (",
                              ("rpi4-4gb", CODE), ", ", ("vm-4g-2", CODE),
                              " …) to see what fits.")
        if not host and len(groups) > md.PROJECTS_SHOWN and not self.full:
            yield name_host
            return
        if host:
            yield self.text(("Will it fit? ", "bold"), self.quoted(host["label"]),
                            f": {md._mib(host['usable_memory_bytes'])} usable of "
                            f"{md._mib(host['memory_bytes'])}"
                            + (f", {host['cpus']:g} CPU" if host.get("cpus") else "") + ".")
        headers = ["What runs together", "Running", "Memory limits", "Without a limit",
                   "Estimated (not declared)"]
        if host:
            headers.append("Share of the host")
        shown = list(groups.items()) if self.full else list(groups.items())[:md.ROWS_SHOWN]
        body = []
        for name, g in shown:
            guessed = g.get("memory_estimated_bytes") or 0
            row = [self.text(self.quoted(name)), str(g["running"]),
                   md._mib(g["memory_limit_bytes"] or None), str(len(g["unbounded"])),
                   self.text(f"~{md._mib(guessed)} (estimate)" if guessed else "—")]
            if host:
                share = g.get("share_of_usable_memory") or 0
                cell = (self.text(self.bar(share), f" {share:.0%}") if g["memory_limit_bytes"]
                        else self.text("— (no limit declared)"))
                if g.get("share_with_estimates") is not None:
                    cell.append_text(self.text(f" (~{g['share_with_estimates']:.0%} with the "
                                               "estimates)"))
                row.append(cell)
            body.append(row)
        yield self.table(headers, body, whole=(5,))
        if len(shown) < len(groups):
            yield self.text(f"+{len(groups) - len(shown)} more; ", ("--full", CODE),
                            " lists every one.")
        if host and len(groups) > 1:
            yield self.host_bar(groups.values(), host)
        yield from self.estimates([g for _, g in shown])
        apart = md.counted_apart(total)
        if apart:
            yield self.text(apart)
        if not host:
            yield name_host

    def host_bar(self, groups, host):
        usable = host["usable_memory_bytes"] or 1
        declared = sum(g["memory_limit_bytes"] for g in groups)
        guessed = sum(g.get("memory_estimated_bytes") or 0 for g in groups)
        unbounded = sum(len(g["unbounded"]) for g in groups)
        line = self.text("All of it on one host: ", self.bar(declared / usable),
                         f" {declared / usable:.0%} of {md._mib(usable)} declared")
        if guessed:
            line.append_text(self.text(f", ~{(declared + guessed) / usable:.0%} with the "
                                       "estimates"))
        if unbounded:
            line.append_text(self.text(f"; {unbounded} without a limit can take the rest"))
        line.append(".")
        return line

    def estimates(self, groups):
        estimates = [e for g in groups for e in g.get("estimates") or ()]
        if not estimates:
            return
        yield self.text("Estimated, not declared: typical footprints from each project's "
                        "own documentation, for services without a memory limit:")
        grid = self.grid(1)
        for e in (estimates if self.full else estimates[:md.ROWS_SHOWN]):
            figures = self.join([[self.quoted(f["what"]), ", ", visible(f["source"])]
                                 for f in e["figures"]], "; ")
            times = f" for {e['replicas']} replicas" if e.get("replicas", 1) > 1 else ""
            partial = ", other containers not estimated" if e.get("partial") else ""
            grid.add_row("•", self.text(self.quoted(e["name"]), " in ", self.code(e["path"]),
                                        f": ~{md._mib(e['memory_bytes'])}{times} (",
                                        figures, f"{partial})"))
        if not self.full and len(estimates) > md.ROWS_SHOWN:
            grid.add_row("•", self.text(f"+{len(estimates) - md.ROWS_SHOWN} more; ",
                                        ("--full", CODE), " lists every one."))
        yield grid

    # -- a domain's lines, read back -------------------------------------------------

    def pieces(self, text):
        """Styled pieces of one line a domain wrote with `_Writer`: its own words (where
        backticks quote), and file text between the writer's markers."""
        out, at = [], 0
        while at < len(text):
            start = min((i for i in (text.find(_CODE_OPEN, at), text.find(_LIT_OPEN, at))
                         if i >= 0), default=len(text))
            out.extend(self.quoted(text[at:start]) if start > at else [])
            if start == len(text):
                break
            close = _CODE_CLOSE if text[start] == _CODE_OPEN else _LIT_CLOSE
            end = text.find(close, start + 1)
            end = len(text) if end < 0 else end
            inner = _MARKERS.sub("", text[start + 1:end].replace(_PIPE, "|"))
            out.append((inner, CODE) if close == _CODE_CLOSE else inner)
            at = end + 1
        return [p.replace(_PIPE, "|") if isinstance(p, str) else p for p in out]

    def lines(self, lines):
        """Markdown-shaped lines of a domain (tables, bullets, paragraphs) as renderables."""
        out, rows = [], []

        def flush():
            if rows:
                head, body = rows[0], rows[1:]
                out.append(self.table([self.text(self.pieces(c)) for c in head],
                                      [[self.text(self.pieces(c)) for c in r] for r in body]))
                rows.clear()

        for raw in lines:
            line = visible(raw).strip()
            if line.startswith("|"):
                cells = [c.strip() for c in line.strip("|").split("|")]
                if not all(_SEPARATOR.match(c) for c in cells):
                    rows.append(cells)
                continue
            flush()
            if line.startswith("- "):
                grid = self.grid(1)
                grid.add_row("•", self.text(self.pieces(line[2:])))
                out.append(grid)
            elif line:
                out.append(self.text(self.pieces(line)))
        flush()
        return out


class _Writer:
    """What a domain's `show_resources` writes with in the terminal view (see `_View.lines`):
    the same limits as the Markdown view, file text marked instead of escaped."""

    markdown = False

    def __init__(self, full):
        self.full = full
        self.rows, self.projects = md.ROWS_SHOWN, md.PROJECTS_SHOWN
        self.mib = md._mib

    @staticmethod
    def code(text):
        return _CODE_OPEN + _MARKERS.sub("", visible(text)) + _CODE_CLOSE

    @staticmethod
    def inline(text):
        return _LIT_OPEN + _MARKERS.sub("", visible(text)) + _LIT_CLOSE

    @staticmethod
    def cell(text):
        return str(text).replace("|", _PIPE)
