"""Bounded work on hostile input: variable expansion, include/extends and YAML merge keys.

Each attack below once cost gigabytes or a minute from a few hundred bytes. Now each is
reviewed within a time and memory bound, the user is told in a notice or finding which
cap was hit, and the other findings of the review are still there.
"""

import time
import tracemalloc

import pytest

from conftest import hits, run_review, write_tree
from infra_expert.compose.interpolate import interpolate, parse_env
from infra_expert.compose.loader import MAX_EXTENDS_DEPTH, MAX_PROJECT_FILES
from infra_expert.dockerfile.parser import expand, parse
from infra_expert.expansion import MAX_EXPANSION_TOTAL, MAX_VALUE_LENGTH, Budget
from infra_expert.report.json_report import render_json
from infra_expert.yamlsafe import MAX_ALIAS_NODES, YamlError, load_all

# Generous for a loaded 2-core machine; the attacks took 53 s and 3 GB before the caps.
SECONDS = 5
PEAK = 200 * 1024 * 1024

# A compose service and a Dockerfile with one known finding each, beside every attack.
PRIVILEGED = "services:\n  web:\n    image: nginx:1.25\n    privileged: true\n"
ROOT_DOCKERFILE = "FROM alpine:3.19\nUSER root\n"


@pytest.fixture(autouse=True, scope="module")
def imported(tmp_path_factory):
    """Import every domain and rule before anything is timed or traced."""
    run_review(write_tree(tmp_path_factory.mktemp("warm"), {
        "compose.yaml": PRIVILEGED, "Dockerfile": ROOT_DOCKERFILE}))


def bounded_review(base, files, trace=True):
    """Review `files` under `base`; asserts the time and memory bound, returns the Review.
    (tracemalloc slows allocation-heavy code tenfold: `trace=False` checks time only.)"""
    write_tree(base, files)
    if trace:
        tracemalloc.start()
    start = time.monotonic()
    try:
        result = run_review(base)
        _, peak = tracemalloc.get_traced_memory() if trace else (0, 0)
    finally:
        tracemalloc.stop()
    elapsed = time.monotonic() - start
    assert elapsed < SECONDS, f"{elapsed:.1f} s"
    assert peak < PEAK, f"{peak / 2**20:.0f} MiB"
    assert not [n for n in result.notices if "internal error" in n.message]
    return result


def notices(result):
    return sorted((n.path, n.message) for n in result.notices)


def locations(result, rule_id):
    return sorted((f.path, f.line) for f in result.findings if f.rule.id == rule_id)


# ------------------------------------------------------------------ variable expansion --
def test_env_file_doubling_is_cut_and_told(tmp_path):
    """`.env` `A=${A}${A}` 28 times (313 bytes) was 2.6 GB and a 537 MB report."""
    env = "A=x\n" + "A=${A}${A}\n" * 28
    result = bounded_review(tmp_path, {
        ".env": env, "compose.yaml": PRIVILEGED + "    environment:\n      V: ${A}${A}\n",
        "Dockerfile": ROOT_DOCKERFILE})
    too_long = (f"a variable expands to more than {MAX_VALUE_LENGTH // 1024} KiB: its value "
                "is reviewed cut at that length")
    # the .env line where the value first passed 64 KiB (2**17 characters: line 18)
    assert (".env", f"line 18: {too_long}") in notices(result)
    assert ("compose.yaml", f"line 6: {too_long}") in notices(result)
    assert locations(result, "DC002") == [("compose.yaml", 4)]
    assert locations(result, "DF004") == [("Dockerfile", 2)]
    assert len(render_json(result)) < 200_000


def test_env_file_line_of_the_cap():
    env = parse_env("A=x\n" + "A=${A}${A}\n" * 28, ".env")
    assert [(kind, line) for kind, line, _ in env.limits] == [("too-long", 18)]
    assert len(env.values["A"]) == MAX_VALUE_LENGTH


def test_env_file_total_expansion_is_capped(tmp_path):
    """Many values each under the length cap: together past the total, left unexpanded."""
    big = "x" * (60 * 1024)
    env = f"X={big}\n" + "".join(f"B{i}=${{X}}\n" for i in range(40))
    parsed = parse_env(env, ".env")
    produced = sum(len(parsed.values[f"B{i}"]) for i in range(40) if parsed.values[f"B{i}"] == big)
    assert produced <= MAX_EXPANSION_TOTAL
    assert parsed.values["B39"] == "${X}"            # as written, unexpanded
    assert [kind for kind, _, _ in parsed.limits] == ["budget"]
    result = bounded_review(tmp_path, {".env": env, "compose.yaml": PRIVILEGED})
    assert any(path == ".env" and "more than 1 MiB of text" in message
               for path, message in notices(result))
    assert locations(result, "DC002") == [("compose.yaml", 4)]


def test_compose_interpolation_total_is_capped_per_project(tmp_path):
    """Short `.env` values, but a Compose file that references a 60 KiB one many times."""
    env = "X=" + "x" * (60 * 1024) + "\n"
    labels = "".join(f"      l{i}: ${{X}}\n" for i in range(40))
    result = bounded_review(tmp_path, {
        ".env": env, "compose.yaml": PRIVILEGED + "    labels:\n" + labels})
    told = [m for p, m in notices(result) if p == "compose.yaml"]
    assert len(told) == 1 and "more than 1 MiB of text" in told[0]
    assert locations(result, "DC002") == [("compose.yaml", 4)]


def test_interpolate_cuts_a_long_value_without_building_it():
    variables = {"A": "a" * 1000}
    value, problems = interpolate("${A}" * 1_000_000, variables)   # 1 GB if built whole
    assert len(value) == MAX_VALUE_LENGTH
    assert problems == [(None, "too-long")]
    # a default inside a default is cut too
    value, problems = interpolate("${U:-" + "${A}" * 100 + "}", variables)
    assert len(value) == MAX_VALUE_LENGTH and (None, "too-long") in problems


def test_interpolate_reports_each_unset_variable_once():
    value, problems = interpolate("${U}" * 100_000, {})
    assert value == "" and problems == [("U", "unset")]


def test_env_comment_search_is_linear():
    start = time.monotonic()
    env = parse_env("A=a" + " " * 1_000_000 + "x # comment\nB=b  # c\n")
    assert time.monotonic() - start < 1
    assert env.values["A"].endswith("x") and env.values["B"] == "b"


def test_env_unclosed_quote_is_linear():
    start = time.monotonic()
    env = parse_env('A="open\n' + "line\n" * 200_000 + 'B=b\n')
    assert time.monotonic() - start < 1
    assert env.values["A"].startswith("open\nline")


@pytest.mark.parametrize("keyword", ["ENV", "ARG"])
def test_dockerfile_doubling_is_left_unexpanded_and_told(tmp_path, keyword):
    """`ENV A=$A$A` (or ARG) 28 times: each line doubled the value."""
    dockerfile = (f"FROM alpine:3.19\n{keyword} A=x\n" + f"{keyword} A=$A$A\n" * 28
                  + "RUN echo $A\nUSER root\n")
    result = bounded_review(tmp_path, {"Dockerfile": dockerfile, "compose.yaml": PRIVILEGED})
    # line 19 is the first whose value (2**17 characters) passes 64 KiB
    assert [(p, m.split(":")[0]) for p, m in notices(result)] == [("Dockerfile", "line 19")]
    assert "more than 64 KiB" in notices(result)[0][1]
    assert locations(result, "DF004") == [("Dockerfile", 32)]
    assert locations(result, "DC002") == [("compose.yaml", 4)]


def test_dockerfile_global_arg_doubling():
    df = parse("ARG A=x\n" + "ARG A=$A$A\n" * 28 + "FROM alpine:$A\n")
    assert [(line, code) for line, code, _ in df.problems] == [(18, "expansion-limit")]
    assert len(df.global_args["A"]) <= MAX_VALUE_LENGTH


def test_dockerfile_total_expansion_is_capped():
    big = "x" * (60 * 1024)
    df = parse(f"FROM alpine:3.19\nENV X={big}\n"
               + "".join(f"ENV B{i}=$X\n" for i in range(40)) + "USER root\n")
    assert [code for _, code, _ in df.problems] == ["expansion-limit"]
    env = df.instructions[-1].env
    assert env["B0"] == big and env["B39"] == "$X"      # past the budget: as written


def test_unclosed_braces_are_read_in_linear_time():
    """`${A:-` repeated with no `}`: the regex scanned to the end from each one (20,000 of
    them took 32 s)."""
    start = time.monotonic()
    df = parse("FROM alpine:3.19\nENV X=" + "${A:-" * 200_000 + "\nENV Y=${X:-}$B}\n")
    assert time.monotonic() - start < 1
    assert df.instructions[-1].env["Y"].endswith("$B}")
    assert expand("${A:-a}${B", {}) == ("a${B", [])
    value, problems = interpolate("${A:-" * 200_000, {})
    assert time.monotonic() - start < 2


def test_expand_cap_holds_without_a_budget():
    """Rules call expand() on their own: the length cap holds there too."""
    value, unresolved = expand("$A" * 100_000, {"A": "a" * 1000})
    assert value == "$A" * 100_000 and unresolved == ["A"]
    budget = Budget(10)
    assert expand("$A$A", {"A": "abcdef"}, budget) == ("$A$A", ["A"])
    assert budget.hits == 1


# ---------------------------------------------------------------------- include/extends --
def test_self_include_is_a_cycle_found_at_once(tmp_path):
    """A compose file that `include`s itself five times (128 bytes): 53 s and 3.1 GB."""
    compose = "include:\n" + "  - compose.yaml\n" * 5 + PRIVILEGED
    start = time.monotonic()
    result = bounded_review(tmp_path, {"compose.yaml": compose, "Dockerfile": ROOT_DOCKERFILE})
    assert time.monotonic() - start < 1
    assert locations(result, "DC024") == [("compose.yaml", line) for line in range(2, 7)]
    assert all("include cycle" in f.message for f in result.findings if f.rule.id == "DC024")
    assert locations(result, "DC002") == [("compose.yaml", 10)]
    assert locations(result, "DF004") == [("Dockerfile", 2)]


def test_include_cycle_through_another_file(tmp_path):
    result = bounded_review(tmp_path, {
        "compose.yaml": "include:\n  - sub/compose.yaml\n" + PRIVILEGED,
        "sub/compose.yaml": "include:\n  - ../compose.yaml\nservices:\n  db:\n"
                            "    image: postgres:16\n    privileged: true\n"})
    cycles = [(f.path, f.line) for f in result.findings
              if f.rule.id == "DC024" and "include cycle" in f.message]
    assert ("sub/compose.yaml", 2) in cycles
    assert ("compose.yaml", 6) in locations(result, "DC002")


def test_diamond_include_is_loaded_once(tmp_path):
    result = bounded_review(tmp_path, {
        "compose.yaml": "include:\n  - b/compose.yaml\n  - c/compose.yaml\n" + PRIVILEGED,
        "b/compose.yaml": "include:\n  - ../shared.yaml\nservices:\n  b:\n    image: b:1\n",
        "c/compose.yaml": "include:\n  - ../shared.yaml\nservices:\n  c:\n    image: c:1\n",
        "shared.yaml": "services:\n  shared:\n    image: s:1\n"})
    told = [(p, m) for p, m in notices(result) if "included more than once" in m]
    assert told == [("c/compose.yaml",
                     "line 2: `shared.yaml` is included more than once in this project: "
                     "infra-expert loaded it once")]
    # loaded once: no "also defined in this project" conflict for `shared`
    assert not [f for f in result.findings if "also defined" in f.message]
    assert locations(result, "DC002") == [("compose.yaml", 7)]


def test_compose_file_count_is_capped(tmp_path):
    """COMPOSE_FILE naming one file 5,000 times."""
    result = bounded_review(tmp_path, {
        ".env": "COMPOSE_FILE=" + ":".join(["compose.yaml"] * 5000) + "\n",
        "compose.yaml": PRIVILEGED})
    told = [m for _, m in notices(result) if f"loaded {MAX_PROJECT_FILES} files" in m]
    assert len(told) == 1
    assert locations(result, "DC002") == [("compose.yaml", 4)]


def test_include_tree_is_capped(tmp_path):
    """Distinct files, each including two more, seven levels deep (255 files)."""
    files = {}
    for depth in range(8):
        for j in range(2 ** depth):
            name = "compose.yaml" if depth == 0 else f"inc/f{depth}_{j}.yaml"
            body = f"services:\n  s{depth}_{j}:\n    image: nginx:1\n"
            if depth < 7:
                prefix = "inc/" if depth == 0 else ""
                body = (f"include:\n  - {prefix}f{depth + 1}_{2 * j}.yaml\n"
                        f"  - {prefix}f{depth + 1}_{2 * j + 1}.yaml\n") + body
            files[name] = body
    files["compose.yaml"] += "    privileged: true\n"
    result = bounded_review(tmp_path, files, trace=False)
    assert any(p == "compose.yaml" or f"loaded {MAX_PROJECT_FILES} files" in m
               for p, m in notices(result))
    assert ("compose.yaml", 7) in locations(result, "DC002")


def test_long_extends_chain_is_cut(tmp_path):
    services = "".join(f"  s{i}:\n    extends: s{i + 1}\n" for i in range(500))
    compose = f"services:\n{services}  s500:\n    image: nginx:1\n    privileged: true\n"
    result = bounded_review(tmp_path, {"compose.yaml": compose}, trace=False)
    told = [m for _, m in notices(result) if "`extends` chain" in m]
    assert told == [f"line 67: the `extends` chain through `s{MAX_EXTENDS_DEPTH}` is longer than "
                    f"{MAX_EXTENDS_DEPTH} links: infra-expert follows it no further"]
    assert ("compose.yaml", 1004) in locations(result, "DC002")


def test_extends_file_is_parsed_once(tmp_path):
    """100 services extending from one file: one load, so no file cap is hit."""
    services = "".join(f"  s{i}:\n    extends:\n      file: base.yaml\n      service: base\n"
                       for i in range(100))
    result = bounded_review(tmp_path, {
        "compose.yaml": f"services:\n{services}",
        "base.yaml": "services:\n  base:\n    image: nginx:1\n    privileged: true\n"})
    assert not [m for _, m in notices(result) if "files" in m]
    assert hits(result, "DC002") == [4]   # said once, at its source in base.yaml


# ------------------------------------------------------------------------- YAML merges --
def merge_bomb(services=300, keys=1000):
    anchor = "x-big: &big\n" + "".join(f"  K{i}: v{i}\n" for i in range(keys))
    return anchor + "services:\n" + "".join(
        f"  s{i}:\n    image: nginx:1\n    environment:\n      <<: *big\n"
        for i in range(services))


def test_merge_key_bomb_is_refused_with_a_clear_message(tmp_path):
    """300 services merging a 1,000-key anchor: 1 GB and 303k findings."""
    result = bounded_review(tmp_path, {"compose.yaml": merge_bomb(),
                                       "other/compose.yaml": PRIVILEGED,
                                       "Dockerfile": ROOT_DOCKERFILE})
    refused = [f for f in result.findings if f.rule.id == "DC024"]
    assert [(f.path, f.line) for f in refused] == [("compose.yaml", 1202)]
    assert refused[0].message.startswith("too many nodes after expanding aliases/merge keys")
    assert locations(result, "DC002") == [("other/compose.yaml", 4)]
    assert locations(result, "DF004") == [("Dockerfile", 2)]


def test_merge_copies_count_towards_the_alias_cap():
    per_merge = 2 * 1000 + 1       # a mapping of 1,000 keys: itself, keys and values
    fits = MAX_ALIAS_NODES // per_merge
    load_all(merge_bomb(services=fits), core=True)
    with pytest.raises(YamlError) as exc:
        load_all(merge_bomb(services=fits + 1), core=True)
    assert "too many nodes after expanding aliases/merge keys" in exc.value.message


def test_ordinary_anchors_are_far_below_the_cap():
    """A real-looking file: 40 services merging a 30-key anchor of defaults."""
    text = merge_bomb(services=40, keys=30)
    docs = load_all(text, core=True)
    assert len(docs[0]["services"]["s39"]["environment"]) == 30
