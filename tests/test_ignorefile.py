"""`.gitignore` / `.dockerignore` matching: linear time on hostile patterns, git's and
Docker's semantics (the git table is also checked against `git check-ignore` itself)."""

import os
import shutil
import subprocess
import time

import pytest

from infra_expert import ignorefile
from infra_expert.ignorefile import DockerIgnore, GitIgnore

from conftest import hits, run_review, write_tree

HOSTILE = "*a*a*a*a*a*ab"
DEEP = "/".join(["a"] * 1000) + "/b"


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


# -- bounded time -------------------------------------------------------------------------

@pytest.mark.parametrize("pattern, path, expected", [
    (HOSTILE, "a" * 10_000, False),               # backtracking regexes: minutes
    (HOSTILE, "b" * 10_000 + "ab", False),        # passes every cheap check, then fails
    (HOSTILE, "a" * 10_000 + "ab", True),
    ("*a" * 2000 + "b", "a" * 3000, False),       # a 4 KiB pattern
    ("**/" * 500 + "b", DEEP, True),
    ("a/" + "**/a/" * 200 + "c", DEEP, False),
    ("/".join(["**/*a"] * 50), DEEP, True),
])
@pytest.mark.parametrize("kind", ["git", "docker"])
def test_hostile_patterns_match_in_linear_time(kind, pattern, path, expected):
    if kind == "git":
        spec = GitIgnore.from_lines([pattern])
        result, took = _timed(lambda: spec.match_file(path))
    else:
        spec = DockerIgnore(pattern + "\n")
        result, took = _timed(lambda: spec.ignores(path))
    assert result is expected
    assert took < 0.5, took   # a few milliseconds in practice


def test_many_patterns_against_many_files_stay_fast():
    lines = [f"*x{i}*y{i}*" for i in range(ignorefile.MAX_PATTERNS)]
    git, docker = GitIgnore.from_lines(lines), DockerIgnore("\n".join(lines))
    paths = [f"src/d{i % 40}/file{i}.pem" for i in range(300)]
    ignored, took = _timed(lambda: [git.match_file(p) or docker.ignores(p) for p in paths])
    assert not any(ignored)
    assert took < 3, took


def test_pattern_count_and_length_are_capped():
    filler = [f"f{i}" for i in range(ignorefile.MAX_PATTERNS)]
    assert not GitIgnore.from_lines(filler + ["x"]).match_file("x")       # 10,001st: ignored
    assert GitIgnore.from_lines(filler[1:] + ["x"]).match_file("x")       # 10,000th: kept
    assert not DockerIgnore("\n".join(filler + ["x"])).ignores("x")
    assert DockerIgnore("\n".join(filler[1:] + ["x"])).ignores("x")
    too_long = "x" + "*" * ignorefile.MAX_PATTERN_LENGTH
    assert not GitIgnore.from_lines([too_long]).match_file("xy")
    assert not DockerIgnore(too_long).ignores("xy")
    assert GitIgnore.from_lines([too_long, "y"]).match_file("y")          # the rest still work
    big = ["p" + "?" * 4000 for _ in range(ignorefile.MAX_TOTAL_LENGTH // 4000 + 1)]
    assert len(GitIgnore.from_lines(big).patterns) == ignorefile.MAX_TOTAL_LENGTH // 4001


def test_hostile_gitignore_does_not_stall_discovery(tmp_path):
    files = {".gitignore": HOSTILE + "\n" + "**/" * 300 + "z\n",
             "a" * 200: "x", "Dockerfile": "FROM alpine:3.20\nUSER app\n"}
    write_tree(tmp_path, files)
    result, took = _timed(lambda: run_review(tmp_path))
    assert took < 5, took
    assert [path for path, domain in result.files] == ["Dockerfile"]


def test_odd_gitignore_line_does_not_abort_the_review(tmp_path):
    # pathspec raised on `x\  ` (an escaped space, then a space): the whole run died
    write_tree(tmp_path, {".gitignore": "x\\  \n[\n\\\n", "x ": "",
                          "Dockerfile": "FROM alpine\nUSER app\n"})
    result = run_review(tmp_path)
    assert [path for path, _ in result.files] == ["Dockerfile"]
    assert hits(result, "DF001") == [1]


def test_hostile_dockerignore_does_not_stall_rules(review_dockerfile):
    name = "a" * 200 + ".pem"
    result, took = _timed(lambda: review_dockerfile(
        "FROM alpine:3.20\nCOPY . .\n", {".dockerignore": f"{HOSTILE}\n.git\n", name: "k"}))
    assert took < 5, took
    assert hits(result, "DF046") == [2]    # `.env` files and the key are not excluded
    assert "keys" in [f for f in result.findings if f.rule.id == "DF046"][0].message


# -- git semantics ------------------------------------------------------------------------

# (.gitignore lines, path relative to it; a trailing "/" makes it a directory, ignored?)
GIT_CASES = [
    (["foo"], "foo", True),
    (["foo"], "a/foo", True),                       # no slash: any depth
    (["foo"], "foo/x", True),                       # a matched directory covers its content
    (["/foo"], "a/foo", False),                     # leading slash: here only
    (["/foo"], "foo", True),
    (["a/b"], "x/a/b", False),                      # a slash in the middle anchors it too
    (["a/b"], "a/b", True),
    (["foo/"], "foo", False),                       # trailing slash: directories only
    (["foo/"], "foo/", True),
    (["foo/"], "foo/x", True),
    (["foo/"], "a/foo/x", True),
    (["*.log", "!keep.log"], "keep.log", False),    # the last match wins
    (["*.log", "!keep.log"], "a.log", True),
    (["!keep.log", "*.log"], "keep.log", True),
    (["build/", "!build/keep.txt"], "build/keep.txt", True),   # no way back out
    (["build/*", "!build/keep.txt"], "build/keep.txt", False),
    (["*", "!*.txt"], "a.txt", False),
    (["*", "!*.txt"], "d/a.txt", True),             # its directory `d` is ignored
    (["**/logs"], "logs/", True),
    (["**/logs"], "a/b/logs/", True),
    (["logs/**"], "logs/x/y", True),
    (["logs/**"], "logs/", False),                  # the inside, not the directory
    (["a/**/b"], "a/b", True),
    (["a/**/b"], "a/x/y/b", True),
    (["a/**/b"], "x/a/b", False),
    (["a/b**"], "a/b/c/d", True),                   # git compares the literal head apart
    (["a/*b"], "a/x/b", False),
    (["doc/*.txt"], "doc/a.txt", True),
    (["doc/*.txt"], "doc/x/a.txt", False),
    (["foo\\ "], "foo ", True),                     # an escaped trailing space stays
    (["foo  "], "foo", True),                       # trailing spaces go
    (["x\\  "], "x ", True),                        # pathspec raised on this one
    (["  foo"], "  foo", True),                     # leading spaces stay
    (["  foo"], "foo", False),
    (["#a"], "#a", False),                          # a comment
    (["\\#a"], "#a", True),
    (["\\!a"], "!a", True),
    (["[!a]b"], "bb", True),
    (["[!a]b"], "ab", False),
    (["[^a]b"], "ab", False),
    (["[a-c]x"], "bx", True),
    (["[]]x"], "]x", True),
    (["x[[:digit:]]"], "x1", True),
    (["x[[:digit:]]"], "xa", False),
    (["a?c"], "abc", True),
    (["a?c"], "a/c", False),
    (["foo["], "foo[", False),                      # a broken class never matches
    (["*.TXT"], "a.txt", False),
    (["\u00e9?"], "\u00e9a", True),
    (["?"], "\u00e9", False),                       # git matches bytes: "é" is two
    (["a\\*"], "a*", True),
    (["a\\*"], "ab", False),
]


def _git_check_ignore(tmp_path, cases):
    """What git itself says: each case in its own folder with its own .gitignore."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    queries = []
    for i, (lines, rel, _) in enumerate(cases):
        folder = tmp_path / f"c{i}"
        folder.mkdir()
        (folder / ".gitignore").write_text("\n".join(lines) + "\n")
        target = folder / rel
        if rel.endswith("/"):
            target.mkdir(parents=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("")
        queries.append(f"c{i}/{rel.rstrip('/')}")
    out = subprocess.run(
        ["git", "-C", str(tmp_path), "-c", "core.ignorecase=false", "check-ignore",
         "--no-index", "-v", "-n", "-z", "--stdin"],
        input="\0".join(queries) + "\0", capture_output=True, text=True).stdout.split("\0")
    verdict = {}
    for k in range(0, len(out) - 1, 4):
        _, _, pattern, path = out[k:k + 4]
        verdict[path] = bool(pattern) and not pattern.startswith("!")
    return [verdict[q] for q in queries]


@pytest.mark.parametrize("lines, rel, expected", GIT_CASES)
def test_gitignore_semantics(lines, rel, expected):
    assert GitIgnore.from_lines(lines).match_file(rel) is expected


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_gitignore_table_is_what_git_does(tmp_path):
    said = _git_check_ignore(tmp_path, GIT_CASES)
    wrong = [(lines, rel) for (lines, rel, expected), git in zip(GIT_CASES, said)
             if git is not expected]
    assert wrong == []


def test_gitignore_memory_of_directories_keeps_answers_exact():
    spec = GitIgnore.from_lines(["a/*", "!a/b"])
    assert not spec.match_file("a/b/")
    assert spec.match_file("a/c/x")
    assert not spec.match_file("a/b/x")      # remembered `a/b` is not ignored
    assert spec.match_file("a/c/y")          # remembered `a/c` is


def test_pathspec_api_is_covered():
    # the two uses: discovery's per-directory .gitignore and the config's `exclude`
    spec = GitIgnore.from_lines(["build/", "*.tmp", "", "# c"])
    assert spec.match_file("build/") and spec.match_file("x/y.tmp")
    assert not spec.match_file("build") and not spec.match_file("src/")
    assert spec.match_file("./x.tmp") and not spec.match_file("")


# -- docker semantics ---------------------------------------------------------------------

# (.dockerignore text, path relative to the context, excluded?), as moby's patternmatcher
# (MatchesOrParentMatches after ReadAll) decides
DOCKER_CASES = [
    ("*.md\n!README.md\n", "README.md", False),
    ("*.md\n!README.md\n", "a.md", True),
    ("*.md\n", "docs/a.md", False),                 # `*` stays in one directory
    ("**/*.md\n", "docs/x/a.md", True),
    ("**/*.md\n", "a.md", True),
    ("temp?\n", "temp1", True),
    ("temp?\n", "temp12", False),
    ("/foo\n", "foo", True),
    ("./foo/\n", "foo/bar", True),                  # cleaned, and it covers its content
    ("foo/../bar\n", "bar", True),
    ("node_modules\n", "node_modules/x/y", True),
    (".git\n!.git/HEAD\n", ".git/HEAD", False),     # unlike git, an exception reaches in
    (".git\n!.git/HEAD\n", ".git/config", True),
    ("*\n!keep\n", "keep/x", False),
    ("*\n!keep\n", "other/x", True),
    ("**\n", "a/b/c", True),
    ("[^a]bc\n", "xbc", True),
    ("[^a]bc\n", "abc", False),
    ("[!a]bc\n", "!bc", True),                      # Go: only `^` negates
    ("[!a]bc\n", "xbc", False),
    ("a\\*b\n", "a*b", True),
    ("a\\*b\n", "axb", False),
    ("**.go\n", "a/b.go", True),                    # moby: "**" + text is a suffix
    ("a**b\n", "ab", True),                         # moby: `**` is "(.*/)?" even here
    ("a**b\n", "ax/b", True),
    ("a**b\n", "axb", False),
    ("dir/**\n", "dir/x", True),
    ("dir/**\n", "dir", False),
    ("  foo  \n", "foo", True),
    ("  # note\n", "# note", False),
    ("[a-\nkeep\n", "keep", True),                  # a malformed pattern is left out
    (".\n", "foo", False),                          # Docker never excludes the root
    ("!\nfoo\n", "foo", True),
    ("#x\n\\#x\n", "#x", True),
]


@pytest.mark.parametrize("text, rel, expected", DOCKER_CASES)
def test_dockerignore_semantics(text, rel, expected):
    assert DockerIgnore(text, ".dockerignore").ignores(rel) is expected


def test_dockerignore_public_shape():
    ignore = DockerIgnore("# c\n.git\n!.git/keep\n\n", "/ctx/.dockerignore")
    assert ignore.path == "/ctx/.dockerignore"
    assert [(negated, text) for _, negated, text in ignore.patterns] == \
        [(False, ".git"), (True, "!.git/keep")]
    assert ignore.ignores(".git/") and ignore.ignores(".git") and not ignore.ignores(".git/keep")
    assert not ignore.ignores(os.curdir)
