"""Parser edge cases: the places where other Dockerfile linters stumble."""

from infra_expert.dockerfile.parser import expand, parse
from infra_expert.dockerfile.walkers import run_commands
from infra_expert.images import ImageRef


def kw_lines(df):
    return [(i.keyword, i.line) for i in df.instructions]


def test_continuations_and_comments_inside_keep_line_numbers():
    df = parse("FROM a:1\nRUN apt-get update \\\n  # a comment\n  && apt-get install -y x\n"
               "\nCMD [\"x\"]\n")
    assert kw_lines(df) == [("FROM", 1), ("RUN", 2), ("CMD", 6)]
    run = df.instructions[1]
    assert run.end_line == 4
    assert [c.words[:2] for c, _ in run_commands(run)] == [["apt-get", "update"],
                                                          ["apt-get", "install"]]


def test_escape_directive_backtick():
    df = parse("# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
               "RUN dir `\n  C:\\\n")
    assert df.escape == "`"
    assert kw_lines(df) == [("FROM", 2), ("RUN", 3)]
    assert "C:\\" in df.instructions[1].args


def test_directives_only_at_top():
    df = parse("# syntax=docker/dockerfile:1.7\n# check=skip=JSONArgsRecommended\nFROM a:1\n")
    assert df.directives["syntax"][0] == "docker/dockerfile:1.7"
    assert df.directives["check"][1] == 2
    df = parse("FROM a:1\n# syntax=x\n")
    assert "syntax" not in df.directives


def test_heredoc_followed_directly_by_next_instruction():
    df = parse("FROM a:1\nRUN <<EOF\nset -e\napt-get update\nEOF\nCOPY <<EOT /etc/x\nhello\nEOT\n"
               "CMD [\"x\"]\n")
    assert kw_lines(df) == [("FROM", 1), ("RUN", 2), ("COPY", 6), ("CMD", 9)]
    assert df.instructions[1].heredocs[0].body == "set -e\napt-get update"
    assert df.instructions[1].end_line == 5
    assert not df.problems


def test_heredoc_variants():
    df = parse("FROM a:1\nRUN <<-\\EOT\n\techo $HOME\n\tEOT\nRUN <<'A' cat >a && <<\"B\" cat >b\n1\nA\n2\nB\n"
               "RUN python3 <<EOF\nprint('x')\nEOF\nRUN <<EOF bash\nset -o pipefail\nEOF\n")
    ins = df.instructions
    assert kw_lines(df) == [("FROM", 1), ("RUN", 2), ("RUN", 5), ("RUN", 10), ("RUN", 13)]
    h = ins[1].heredocs[0]
    assert (h.name, h.body, h.strip_tabs, h.quoted) == ("EOT", "echo $HOME", True, True)
    assert [h.name for h in ins[2].heredocs] == ["A", "B"]
    # python heredoc body is data for python, not shell commands
    assert [c.name for c, _ in run_commands(ins[3])] == ["python3"]
    # `RUN <<EOF bash`: the body is the bash script
    assert [c.name for c, _ in run_commands(ins[4])] == ["set"]


def test_heredoc_after_continuation():
    df = parse("FROM a:1\nRUN --mount=type=cache,target=/x \\\n  <<EOF\nmake\nEOF\nUSER 1\n")
    assert kw_lines(df) == [("FROM", 1), ("RUN", 2), ("USER", 6)]
    assert df.instructions[1].flag("mount") == "type=cache,target=/x"


def test_unterminated_heredoc_is_a_problem_not_a_crash():
    df = parse("FROM a:1\nRUN <<EOF\necho\n")
    assert [p[1] for p in df.problems] == ["unterminated-heredoc"]


def test_json_and_shell_forms():
    df = parse('FROM a:1\nCMD ["a", "b"]\nENTRYPOINT [\'a\']\nRUN ["sh", "-c", "x | y"]\n')
    cmd, ep, run = df.instructions[1:]
    assert cmd.json == ["a", "b"] and not cmd.bad_json
    assert ep.json is None and ep.bad_json
    assert [c.name for c, _ in run_commands(run)] == ["x", "y"]


def test_unknown_flags_and_instructions_are_recorded_not_fatal():
    df = parse("FROM --future=1 a:1\nFOO bar\nRUN --newflag=x make\nUSER 1\n")
    codes = [p[1] for p in df.problems]
    assert codes == ["unknown-flag", "unknown-instruction", "unknown-flag"]
    assert kw_lines(df)[-1] == ("USER", 4)


def test_onbuild_wraps_an_instruction():
    df = parse("FROM a:1\nONBUILD RUN sudo make\n")
    ins = df.instructions[1]
    assert ins.inner.keyword == "RUN"
    assert run_commands(ins.inner)[0][0].sudo


def test_args_before_from_and_stage_inheritance():
    df = parse("ARG REG=ghcr.io\nARG TAG=1.2\nFROM $REG/org/app:${TAG} AS base\n"
               "ENV HOME=/srv\nWORKDIR /srv\nFROM base AS final\nARG TAG\nUSER 10\n")
    base, final = df.stages
    assert base.image_resolved == "ghcr.io/org/app:1.2"
    assert final.parent is base
    assert final.instructions[-1].env["HOME"] == "/srv"
    assert final.instructions[-1].env["TAG"] == "1.2"   # re-declared global ARG
    assert df.shipped_stages() == [final, base]


def test_expand_forms():
    env = {"A": "x", "E": "", "N": None}
    assert expand("${A}-$A-${B:-d}-${E:-d}-${E-d}-${A:+y}-${B:+y}-\\$A", env) == \
        ("x-x-d-d--y--$A", [])
    assert expand("${N}", env) == ("${N}", ["N"])
    assert expand("${B:?required}", env) == ("${B:?required}", ["B"])


def test_crlf_bom_and_lowercase_keywords_are_handled_upstream():
    df = parse("from a:1 as Build\nrun make\n")
    assert kw_lines(df) == [("FROM", 1), ("RUN", 2)]
    assert df.stages[0].name == "build"


def test_env_legacy_and_multi_pair_forms():
    df = parse('FROM a:1\nENV PATH /usr/local/bin:$PATH\nENV A="x y" B=z\nUSER 1\n')
    env = df.instructions[-1].env
    assert env["A"] == "x y" and env["B"] == "z"
    assert env["PATH"] == "/usr/local/bin:$PATH"


def test_image_refs():
    r = ImageRef("localhost:5000/team/app:1.0@sha256:abc")
    assert (r.registry, r.repository, r.tag, r.digest) == ("localhost:5000", "team/app", "1.0",
                                                           "sha256:abc")
    r = ImageRef("python")
    assert (r.registry, r.repository, r.tag, r.short_name) == ("docker.io", "library/python",
                                                                None, "python")
    assert ImageRef("docker.io/bitnami/redis:7").short_name == "bitnami/redis"


def test_empty_and_comment_only_files():
    assert parse("").instructions == []
    assert parse("# only a comment\n\n").instructions == []
