"""The terminal view (rich) and the progress line."""

import io
import os
import re
import subprocess
import sys

import pytest

import infra_expert
from infra_expert.progress import Progress
from infra_expert.report.terminal import render_terminal, wants_colour, wants_terminal

from conftest import ROOT, write_tree

EXAMPLE = ROOT / "examples" / "homelab"
PLAIN = {"TERM": "xterm-256color"}          # no NO_COLOR, no FORCE_COLOR: as given
SECTIONS = ["Critical (must fix)", "Warnings (consider)", "Positive points", "Suggestions",
            "Estimated resources"]


@pytest.fixture(scope="module")
def homelab():
    # reviewed by its relative path, as a user types it: paths are shown as given, and an
    # absolute one as long as a CI checkout's would change how the tables wrap
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        return infra_expert.review([str(EXAMPLE.relative_to(ROOT))])
    finally:
        os.chdir(here)


def cell_width(line):
    from rich.cells import cell_len
    return cell_len(line)


@pytest.mark.parametrize("width", [100, 60])
def test_example_project_reads_as_a_terminal_view(homelab, width):
    text = render_terminal(homelab, width=width, colour=False, environ=PLAIN)
    assert "\x1b" not in text
    # nothing of Markdown's syntax: no table pipes, no bold, no headings, no `_None._`
    assert not re.search(r"^\s*\||\|\s*$| \| .* \| ", text, re.M)   # (`|| exit 1` in a fix)
    assert not re.search(r"\*\*[A-Z]", text)        # (`KEY=****`: a masked secret)
    assert not re.search(r"^#+ ", text, re.M)
    assert "_None" not in text and "---|" not in text
    # every line fits the terminal: narrow terminals wrap, nothing overflows
    assert max(cell_width(line) for line in text.splitlines()) <= width
    # every finding's rule says its id, and the sections come in the Markdown order
    for f in homelab.findings:
        assert f.rule.id in text, f.rule.id
    at = [text.index(s) for s in SECTIONS]
    assert at == sorted(at)
    assert text.index("Must fix:") < at[0]
    # a path cut in the middle of a word only when nothing else can give way
    assert "examples/homelab/compose.yaml:67" in text


def test_the_same_entries_in_the_same_order_as_markdown(homelab):
    from infra_expert.report.markdown import render_review
    markdown = render_review(homelab)
    text = render_terminal(homelab, width=200, colour=False, environ=PLAIN)
    ids = lambda s: [m for m in re.findall(r"\b([A-Z][A-Z0-9]\d{3})\b", s)]
    firsts = lambda seq: list(dict.fromkeys(seq))
    assert firsts(ids(text)) == firsts(ids(markdown))
    # the example's messages, places and fixes, as words (wrapping aside)
    for f in homelab.findings[:10]:
        words = f.message.replace("`", "").split()[:4]
        assert " ".join(words) in " ".join(text.replace("`", "").split())


def test_tables_are_aligned_columns(homelab):
    text = render_terminal(homelab, width=120, colour=False, environ=PLAIN)
    lines = text.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("Service ") and
                "Memory limit" in line)
    column = lines[head].index("Memory limit")
    rows = lines[head + 2:head + 6]
    assert [r.split()[0] for r in rows] == ["proxy", "notes", "db", "backup"]
    assert all(r[column:].split()[0] in ("—", "256") for r in rows)


def test_colour_and_its_switches(homelab):
    coloured = render_terminal(homelab, width=100, colour=True, environ=PLAIN)
    assert "\x1b[" in coloured
    # the quotes of a message are styled, not backticks
    assert "`5432:5432`" not in coloured
    assert "\x1b[" not in render_terminal(homelab, width=100, colour=True,
                                          environ={**PLAIN, "NO_COLOR": "1"})
    assert "\x1b[" not in render_terminal(homelab, width=100, colour=False, environ=PLAIN)
    assert wants_colour(environ={"TERM": "xterm"})
    assert not wants_colour(environ={"TERM": "xterm", "NO_COLOR": "1"})
    assert not wants_colour(no_color=True, environ={"TERM": "xterm"})
    assert not wants_colour(environ={"TERM": "dumb"})
    assert wants_colour(environ={"TERM": "dumb", "FORCE_COLOR": "1"})
    assert not wants_colour(environ={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    piped = io.StringIO()
    assert not wants_terminal(piped, environ={})
    assert wants_terminal(piped, environ={"FORCE_COLOR": "1"})


def test_term_dumb_is_ascii_only(monkeypatch):
    # given relative, as a user types it: paths are shown as given, and an absolute path
    # as long as CI's checkout would widen the table's first column
    monkeypatch.chdir(ROOT)
    review = infra_expert.review([str(EXAMPLE.relative_to(ROOT))], host="rpi4-4gb")
    for width in (100, 50):
        text = render_terminal(review, width=width, colour=True, environ={"TERM": "dumb"})
        bad = sorted({c for c in text if ord(c) > 127})
        assert not bad, bad
        assert "\x1b" not in text
        for section in SECTIONS:
            assert section in text
        assert "[###.......] 28% of 3686 MiB declared" in " ".join(text.split())
    text = render_terminal(review, width=100, colour=False, environ=PLAIN)
    assert "███░░░░░░░ 28% of 3686 MiB declared" in text
    assert re.search(r"^namespace `homelab` .* █░░░░░░░░░ 14%$", text, re.M)


def test_hostile_names_stay_literal(tmp_path):
    write_tree(tmp_path, {
        "app/Dockerfile": "FROM python:3.12\nUSER root\nCMD python app.py\n",
        "compose.yaml": ("services:\n"
                         '  "[red]web[/red]\\e[2J":\n'          # YAML's escape of ESC
                         "    image: 'nginx:latest'\n"
                         "    ports: ['80:80']\n"),
    })
    review = infra_expert.review([str(tmp_path)])
    assert review.findings
    for colour in (True, False):
        text = render_terminal(review, width=100, colour=colour, environ=PLAIN)
        assert "\x1b[2J" not in text
        assert "\\x1b[2J" in text
        assert "[red]web[/red]" in text      # literal, not markup


def test_hostile_file_name(tmp_path):
    folder = tmp_path / "[red]x[bold]\x1b[2J\x1b]8;;http:"
    folder.mkdir()
    (folder / "Dockerfile").write_text("FROM ubuntu:latest\nRUN apt-get update\n")
    review = infra_expert.review([str(folder)])
    assert review.findings
    text = render_terminal(review, width=200, colour=True, environ=PLAIN)
    assert "\x1b[2J" not in text and "\x1b]8" not in text
    assert "[red]x[bold]\\x1b[2J\\x1b]8;;http:/Dockerfile" in text


def test_nothing_to_say_is_said_plainly(tmp_path):
    write_tree(tmp_path, {"notes.txt": "hello\n"})
    review = infra_expert.review([str(tmp_path)])
    text = render_terminal(review, width=80, colour=False, environ=PLAIN)
    assert "_None" not in text and "none" in text
    for section in SECTIONS:
        assert section in text


def test_a_markdown_review_does_not_import_rich():
    code = ("import sys, infra_expert\n"
            "from infra_expert.report import render\n"
            "import infra_expert.report.terminal, infra_expert.progress\n"
            f"r = infra_expert.review([{str(EXAMPLE / 'app' / 'Dockerfile')!r}])\n"
            "render(r, 'markdown')\n"
            "assert not any(m == 'rich' or m.startswith('rich.') for m in sys.modules), "
            "[m for m in sys.modules if m.startswith('rich')]\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_silent_when_not_a_terminal():
    stream, clock = io.StringIO(), FakeClock()
    p = Progress(stream, delay=1.0, clock=clock).start(10)
    for _ in range(10):
        clock.now += 1
        p.advance()
    p.done()
    assert stream.getvalue() == ""


def test_progress_on_a_terminal_after_the_delay():
    stream, clock = FakeTTY(), FakeClock()
    p = Progress(stream, delay=1.0, clock=clock).start(2465)
    p.advance(100)
    clock.now += 0.5
    p.advance(100)
    assert stream.getvalue() == ""                 # a short run says nothing
    clock.now += 0.6
    p.advance(1034)
    assert stream.getvalue().endswith("reviewing 1,234/2,465 files…")
    written = stream.getvalue()
    for _ in range(50):                            # 50 files within 50 ms: one update
        clock.now += 0.001
        p.advance()
    assert stream.getvalue() == written
    clock.now += 0.2
    p.advance()
    assert stream.getvalue().endswith("reviewing 1,285/2,465 files…")
    assert "\n" not in stream.getvalue()           # one line, rewritten in place
    p.done()
    last = stream.getvalue().rsplit("files…", 1)[1]
    assert last.startswith("\r") and last.endswith("\r") and not last.strip()


def test_progress_quiet_and_short_runs():
    stream, clock = FakeTTY(), FakeClock()
    p = Progress(stream, delay=1.0, clock=clock, quiet=True).start(5)
    clock.now += 5
    p.advance()
    p.done()
    stream2 = FakeTTY()
    with Progress(stream2, delay=1.0, clock=clock).start(5) as q:
        q.advance(5)
    assert stream.getvalue() == "" and stream2.getvalue() == ""
