from infra_expert.shell import commands, has_option, operands


def names(script):
    return [c.name for c in commands(script)]


def test_separators_and_quotes():
    assert names("a && b || c; d & e | f") == ["a", "b", "c", "d", "e", "f"]
    assert names("echo 'a && b' \"c | d\"") == ["echo"]
    assert commands("echo 'a && b'")[0].words == ["echo", "a && b"]


def test_pipes_are_linked():
    cmds = commands("curl -fsSL https://x | sudo -E bash -s -- --flag")
    assert cmds[0].pipe_out is cmds[1] and cmds[1].pipe_in is cmds[0]
    assert cmds[1].name == "bash" and cmds[1].sudo


def test_wrappers_and_assignments_are_stripped():
    c = commands("DEBIAN_FRONTEND=noninteractive env A=1 nice -n 10 apt-get install -y x")[0]
    assert c.name == "apt-get"
    assert c.assignments == {"DEBIAN_FRONTEND": "noninteractive", "A": "1"}
    c = commands("find . -name x | xargs -r -n1 rm")[1]
    assert c.name == "rm" and c.via_xargs


def test_substitutions_are_read_too():
    cmds = commands('deps="$(scanelf --needed /x | sort -u)"; apk add $deps')
    assert [c.name for c in cmds] == ["scanelf", "sort", "apk"]
    assert cmds[1].pipe_in is cmds[0] and cmds[0].nested
    assert names("echo $((1 << 2))") == ["echo"]


def test_redirections_do_not_become_words():
    c = commands('echo >&2 "unsupported arch: $a"; exit 1')
    assert [x.words for x in c] == [["echo", "unsupported arch: $a"], ["exit", "1"]]
    assert commands("make 2>/dev/null > out.log")[0].words == ["make"]


def test_control_flow_keywords_and_heredocs():
    script = "if [ -f x ]; then apt-get update; fi\ncat <<EOF > f\nrm -rf /\nEOF\nls"
    assert names(script) == ["[", "apt-get", "cat", "ls"]


def test_case_patterns_are_neither_pipes_nor_subshells():
    # nginx's official alpine Dockerfile: `x86_64|aarch64)` is two patterns, no pipe
    script = ('apkArch="$(cat /etc/apk/arch)" && case "$apkArch" in\n'
              '  x86_64|aarch64) apk add nginx ;;\n'
              '  # another arch\n'
              '  (*) echo "$apkArch" | tee arch.txt ;;\n'
              'esac && echo done')
    cmds = commands(script)
    assert [c.name for c in cmds] == ["cat", "apk", "echo", "tee", "echo"]
    assert [c.line for c in cmds] == [0, 1, 3, 3, 4]
    assert cmds[1].pipe_in is None and cmds[3].pipe_in is cmds[2]
    # bash's fall-through terminators, a last item without `;;`, and a `case` word
    assert names("case $a in a) x ;& b) y ;;& c) z\nesac; w") == ["x", "y", "z", "w"]
    assert names("echo case in | grep in") == ["echo", "grep"]


def test_comments_and_continuations():
    assert names("a \\\n  && b # trailing && c\nd") == ["a", "b", "d"]


def test_option_helpers():
    assert has_option(["-qy"], "-y")
    assert has_option(["--yes=true"], "--yes")
    assert not has_option(["--no-install-recommends"], "-y")
    assert operands(["-t", "bookworm", "install", "-y", "curl"], {"-t"}) == ["install", "curl"]
