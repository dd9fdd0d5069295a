"""`--format html`: one self-contained page; what a reviewed file holds is text, never
markup; excerpts come only from listed files and show no secret; and, in a real headless
Chromium, the page loads clean, the filters work and the layout fits a phone."""

import base64
import hashlib
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

import infra_expert
from infra_expert.model import Finding, Review, Rule
from infra_expert.report import FORMATS, render
from infra_expert.report.html import (EXCERPT_LINE_CHARS, SECRET_LINE, _lines_html, _Writer,
                                      render_html)

from conftest import ROOT, write_tree

EXAMPLES = ROOT / "examples" / "homelab"
CHROMIUM = "/usr/bin/chromium"
SECRET = "S3cr3tPl4nt3d"

HOSTILE_DOCKERFILE = (
    "FROM registry.example.com/x</script><img src=x onerror=alert(1)>:latest\n"
    "RUN echo \"\x1b[31m\u202e\" && curl -u admin:hunter22hunter https://example.com/x | sh\n"
    f"ENV DB_PASSWORD={SECRET}\n"
    "CMD echo hi\n")
HOSTILE_COMPOSE = f"""\
services:
  "web</td><script>alert(1)</script>":
    image: nginx
    ports:
      - "80:80"
    environment:
      API_TOKEN: {SECRET}Value
"""
HOSTILE_DIR = 'we<b>ird" onmouseover="x'


class Page(HTMLParser):
    """Every tag with its attributes, the text of <script> and <style>, and the text."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags, self.scripts, self.styles, self.text = [], [], [], []
        self._in = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in = tag if tag in ("script", "style") else None

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "script":
            self.scripts.append(data)
        elif self._in == "style":
            self.styles.append(data)
        else:
            self.text.append(data)


def in_dir(path, fn):
    cwd = os.getcwd()
    os.chdir(path)
    try:
        return fn()
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="module")
def homelab_html(tmp_path_factory):
    """The report of the bundled example, on a Raspberry Pi 4, as the CLI writes it."""
    out = tmp_path_factory.mktemp("html") / "report.html"
    proc = subprocess.run([sys.executable, "-m", "infra_expert", "review", "examples",
                           "--host", "rpi4-4gb", "--format", "html", "-o", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    return out


@pytest.fixture()
def hostile(tmp_path):
    write_tree(tmp_path, {f"{HOSTILE_DIR}/Dockerfile": HOSTILE_DOCKERFILE,
                          "compose.yaml": HOSTILE_COMPOSE})
    result = in_dir(tmp_path, lambda: infra_expert.review(["."]))
    page = in_dir(tmp_path, lambda: render_html(result))
    return result, page


# -- the page as text ----------------------------------------------------------------------

def test_html_is_a_format():
    assert "html" in FORMATS


def test_hostile_paths_and_messages_are_text(hostile):
    result, page = hostile
    assert any("<script>" in f.message for f in result.findings)     # the file did say it
    parsed = Page(page)
    tags = [t for t, _ in parsed.tags]
    assert tags.count("script") == 1 and tags.count("style") == 1
    # no element or attribute came from the files: no <img>, no handler, no odd <td>
    assert "img" not in tags
    assert all(not name.startswith("on") for _, attrs in parsed.tags for name in attrs)
    text = "".join(parsed.text)
    assert "web</td><script>alert(1)</script>" in text       # shown, as text
    assert f"{HOSTILE_DIR}/Dockerfile" in text
    assert "x</script><img src=x onerror=alert(1)>:latest" in text  # in the excerpt
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # the escape and the bidi override show as escapes, never raw
    assert "\x1b" not in page and "\u202e" not in page
    assert "\\x1b[31m\\u202e" in text


def test_no_external_url_and_a_strict_policy(homelab_html):
    page = homelab_html.read_text(encoding="utf-8")
    parsed = Page(page)
    links = [attrs.get(a) for _, attrs in parsed.tags for a in ("src", "href", "action",
                                                                "xlink:href") if a in attrs]
    assert links and all(link.startswith("#") for link in links), links
    tags = {t for t, _ in parsed.tags}
    assert not tags & {"link", "img", "iframe", "object", "embed", "base", "meta refresh"}
    style, script = "".join(parsed.styles), "".join(parsed.scripts)
    assert "url(" not in style and "@import" not in style
    assert "fetch(" not in script and "XMLHttpRequest" not in script
    csp = next(a["content"] for t, a in parsed.tags
               if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")

    def digest(text):
        return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert f"script-src '{digest(script)}'" in csp
    assert f"style-src '{digest(style)}'" in csp
    assert "default-src 'none'" in csp
    assert "unsafe-eval" not in csp and "unsafe-inline" not in csp


def test_sections_counts_and_resources(homelab_html):
    page = homelab_html.read_text(encoding="utf-8")
    result = in_dir(ROOT, lambda: infra_expert.review(["examples"], host="rpi4-4gb"))
    summary = result.summary()
    for heading, key in (("🔴 Critical (must fix)", "critical"), ("🟡 Warnings (consider)",
                                                                  "warning"),
                         ("🟢 Positive points", "positive"), ("💡 Suggestions", "suggestion")):
        assert f'{heading} <span class="count">{summary[key]}</span>' in page, heading
    assert "📊 Estimated resources" in page
    # every finding is there: a `file:severity` token each, and each rule's title
    tokens = re.findall(r'class="item finding[^"]*"[^>]*data-f="([^"]*)"', page)
    tokens += re.findall(r'class="item baseline[^"]*"[^>]*data-f="([^"]*)"', page)
    assert sum(len(t.split()) for t in tokens) == len(result.findings)
    for f in result.findings:
        assert f.rule.id in page
    assert "Must fix" in page and 'href="#g1"' in page
    assert "Hardening baseline" in page and "✗" in page
    # the host: the table's share column and the bars, against the usable memory
    assert "Will it fit?" in page and "Raspberry Pi 4 (4 GiB)" in page
    assert page.count('<svg class="bar"') >= 4
    assert "All of it on one host:" in page
    # the domains' own tables, as HTML tables (no Markdown pipe left)
    assert "<th>Final base image</th>" in page
    resources = page[page.index('<section id="resources"'):]
    resources = resources[:resources.index("</section>")]
    assert "|---" not in resources and "| " not in re.sub(r"<[^>]+>", "", resources)


def test_without_host_no_bars_but_a_hint(tmp_path):
    result = in_dir(ROOT, lambda: infra_expert.review(["examples"]))
    page = in_dir(ROOT, lambda: render_html(result))
    assert '<svg class="bar"' not in page
    assert "Name the machine with <code>--host</code>" in page


def test_excerpt_shows_the_lines_around(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM python:3.12\nWORKDIR /app\n"
                          "RUN pip install flask\nCOPY . .\nCMD python app.py\n"})
    result = in_dir(tmp_path, lambda: infra_expert.review(["."]))
    page = in_dir(tmp_path, lambda: render_html(result))
    shell = next(f for f in result.findings if f.rule.id == "DF019")   # CMD shell form
    assert shell.line == 5
    block = re.search(r'<span class="hit"><span class="ln">5</span>'
                      r'<span class="tx">([^<]*)</span>', page)
    assert block and block.group(1) == "CMD python app.py"
    assert '<span class="ln">3</span><span class="tx">RUN pip install flask</span>' in page


def test_secrets_are_masked_in_excerpts(hostile):
    result, page = hostile
    assert any(f.line == 3 and f.rule.id == "DF041" for f in result.findings)
    assert SECRET[:6] not in page
    assert "hunter22" not in page
    assert SECRET_LINE in page                      # the lines a secret finding points at
    assert "curl -u admin:****" in page             # masked, the rest of the line shown


def test_masking_with_a_reader_key_blocks_and_unknown_shapes():
    """The masker sees the whole file: a private key's lines stay hidden even when the
    window starts inside the block, and a line a secret finding points at is withheld
    even when the masker does not know the value's shape."""
    text = ("FROM alpine:3.20\n"
            "RUN echo '-----BEGIN OPENSSH PRIVATE KEY-----\n"
            "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
            "QyNTUxOQAAACBhc2RmZ2hqa2xhc2RmZ2hqa2xhc2RmZ2hqa2xhc2RmZwAAAJg9ypVJPcqV\n"
            "-----END OPENSSH PRIVATE KEY-----' > /k\n"
            "LABEL note=\"x\"\n"
            "ENV SESAME 4242-open-4242\n"
            "USER app\n")
    rule = Rule("DF999", "dockerfile", "warning", "security", "Test rule", "Because.",
                "Do it.")
    review = Review()
    review.files = [("Dockerfile", "dockerfile")]
    review.findings = [Finding(rule, "warning", "Dockerfile", 4, None, "key body"),
                       Finding(rule, "warning", "Dockerfile", 7, None, "`SESAME=****`")]
    asked = []

    def read(path):
        asked.append(path)
        return text

    page = render_html(review, read=read)
    assert asked == ["Dockerfile"]
    assert "b3BlbnNzaC1rZXkt" not in page and "QyNTUxOQAAACBhc2Rm" not in page
    assert "BEGIN OPENSSH PRIVATE KEY" in page       # what it is shows, not what it holds
    assert "4242-open" not in page and SECRET_LINE in page
    assert '<span class="ln">8</span><span class="tx">USER app</span>' in page


def test_reader_asked_only_about_listed_files(tmp_path):
    rule = Rule("DF999", "dockerfile", "warning", "security", "Test rule", "Because.", "Do.")
    review = Review()
    review.files = [("Dockerfile", "dockerfile")]
    review.findings = [Finding(rule, "warning", "../outside/passwd", 1, None, "elsewhere"),
                       Finding(rule, "warning", "/etc/passwd", 1, None, "elsewhere"),
                       Finding(rule, "warning", ".env", 1, None, "a secrets file"),
                       Finding(rule, "warning", "Dockerfile", 1, None, "here")]
    review.files.append((".env", "compose"))
    asked = []
    page = render_html(review, read=lambda p: asked.append(p) or "FROM alpine\n")
    assert asked == ["Dockerfile"]                    # a `.env` is never quoted either
    assert page.count('class="excerpt"') == 1


def test_default_reader_follows_no_link_out(tmp_path):
    """A listed file swapped for a link to a file outside the reviewed tree after the
    review (or a path that means another file now) is not read."""
    marker = "OUTSIDE-MARKER-7f3a"
    write_tree(tmp_path, {"outside/notes.txt": f"{marker}\n" * 20,
                          "repo/Dockerfile": "FROM python:3.12\nCMD python app.py\n"})
    repo = tmp_path / "repo"
    result = in_dir(repo, lambda: infra_expert.review(["."]))
    assert in_dir(repo, lambda: render_html(result)).count('class="excerpt"') > 0
    (repo / "Dockerfile").unlink()
    (repo / "Dockerfile").symlink_to(tmp_path / "outside" / "notes.txt")
    page = in_dir(repo, lambda: render_html(result))
    assert marker not in page
    assert page.count('class="excerpt"') == 0


def test_long_lines_are_cut(tmp_path):
    rule = Rule("DF999", "dockerfile", "warning", "security", "Test rule", "Because.", "Do.")
    review = Review()
    review.files = [("Dockerfile", "dockerfile")]
    review.findings = [Finding(rule, "warning", "Dockerfile", 1, None, "long")]
    page = render_html(review, read=lambda p: "RUN echo " + "a" * 50_000 + "\n")
    assert "a" * EXCERPT_LINE_CHARS not in page and "a" * 200 in page


def test_domain_table_cells_keep_their_shape():
    """A file's `|`, `*` and backticks in a resource table stay text in one cell."""
    w = _Writer(full=False)
    lines = ["| Service | Memory limit |", "|---|---|",
             f"| {w.cell(w.inline('we|b **x** `y`'))} | {w.cell(w.code('a|b</td>'))} |",
             "", "Declared `MemoryMax=` add up to **1 GiB**."]
    out = _lines_html(lines)
    row = re.search(r"<tbody><tr>(.*?)</tr>", out).group(1)
    assert row.count("<td") == 2
    assert "we|b **x** <code>y</code>" in row
    assert "<code>a|b&lt;/td&gt;</code>" in row
    assert "<code>MemoryMax=</code>" in out and "<b>1 GiB</b>" in out


def test_render_and_cli_agree(homelab_html):
    page = homelab_html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    result = in_dir(ROOT, lambda: infra_expert.review(["examples"], host="rpi4-4gb"))
    assert in_dir(ROOT, lambda: render(result, "html")).strip() == page.strip()


# -- in a browser --------------------------------------------------------------------------

def _browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (Debian's chromium package)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright)")
    return sync_playwright


ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def _visible(page, selector):
    return page.eval_on_selector_all(
        selector, "els => els.filter(e => e.getClientRects().length > 0)"
                  ".map(e => e.getAttribute('data-d') + '|' + e.getAttribute('data-s'))")


def test_in_chromium(homelab_html, tmp_path):
    sync_playwright = _browser()
    url = homelab_html.as_uri()
    shots = Path(os.environ.get("INFRA_EXPERT_SHOTS", tmp_path))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=120_000)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            problems, requests = [], []
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url, wait_until="load")
            assert problems == [] and requests == [url], (problems, requests)

            # the script ran (its hash is in the policy): the filters show
            assert page.is_visible("#filters")
            everything = _visible(page, ".item")
            assert len(everything) > 50
            for section in ("critical", "warnings", "positives", "suggestions", "resources"):
                assert page.is_visible(f"#{section} h2")

            # severity: no warning left, the heading says how many are shown
            page.uncheck("input[name=sev][value=warning]")
            left = _visible(page, ".item")
            assert left and all(not v.endswith("|warning") for v in left)
            assert page.text_content("#warnings .count").startswith("0 of ")
            assert page.is_visible("#warnings .none-shown")
            page.click("#f-reset")
            assert len(_visible(page, ".item")) == len(everything)

            # domain: only Compose's entries
            page.select_option("#f-domain", "compose")
            compose = _visible(page, ".item")
            assert compose and all(v.startswith("compose|") for v in compose)
            assert len(compose) < len(everything)
            page.click("#f-reset")

            # file: only entries with a place in that file, and only those places
            value = page.eval_on_selector(
                "#f-file", "s => [...s.options].find(o => o.text.startsWith("
                           "'examples/homelab/app/Dockerfile ')).value")
            page.select_option("#f-file", value)
            places = page.eval_on_selector_all(
                ".places > li", "els => els.filter(e => e.getClientRects().length > 0)"
                                ".map(e => e.getAttribute('data-p'))")
            assert places and set(places) == {value}
            shown = _visible(page, ".item")
            assert 0 < len(shown) < len(everything)
            assert "Showing" in page.text_content("#f-status")

            # printed: filters hidden, everything shown even while filtered
            page.emulate_media(media="print")
            assert not page.is_visible("#filters")
            assert len(_visible(page, ".item")) == len(everything)
            page.emulate_media(media="screen")
            page.click("#f-reset")

            for width, name in ((1280, "desktop"), (375, "phone")):
                page.set_viewport_size({"width": width, "height": 900})
                sizes = page.evaluate("[document.documentElement.scrollWidth, innerWidth,"
                                      " document.body.scrollWidth]")
                assert sizes[0] <= sizes[1] and sizes[2] <= sizes[1], (name, sizes)
                # no element reaches past the right edge (a table scrolls in its box)
                wide = page.evaluate(
                    "[...document.querySelectorAll('main *')].filter(e => {"
                    " const r = e.getBoundingClientRect();"
                    " return r.width > 0 && r.right > innerWidth + 1 &&"
                    " !e.closest('.scroll'); }).length")
                assert wide == 0, name
                shot = shots / f"report-{name}.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 50_000, (name, shot.stat().st_size)
                top = shots / f"report-{name}-top.png"
                page.screenshot(path=str(top))
                assert top.stat().st_size > 10_000

            # without JavaScript: every entry shows, the filters do not
            context = browser.new_context(java_script_enabled=False)
            plain = context.new_page()
            plain.goto(url)
            assert not plain.is_visible("#filters")
            assert len(_visible(plain, ".item")) == len(everything)
            context.close()
        finally:
            browser.close()
