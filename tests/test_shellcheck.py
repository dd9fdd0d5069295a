"""ShellCheck, where installed: its findings on Dockerfile RUN lines (DF104's family) and
cloud bursting scripts (CB010's) under their SC codes, at the reviewed file's lines;
ignored by code; nothing said and nothing broken without it; a timeout is one notice."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import run_review, write_tree

from infra_expert import shellcheck
from infra_expert.config import Config, ConfigError, apply_settings
from infra_expert.engine import all_rules

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "shellcheck"
SHARED = Path(__file__).resolve().parents[2] / "shared"

needs_shellcheck = pytest.mark.skipif(shellcheck.find() is None,
                                      reason="ShellCheck not installed (the `test` extra has it)")


def sc(result, path=None):
    return sorted((f.rule.id, f.line) for f in result.findings
                  if f.rule.id.startswith("SC") and (path is None or f.path == path))


@pytest.fixture
def no_shellcheck(monkeypatch):
    """ShellCheck nowhere: PATH empty and the finder answering None."""
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(shellcheck, "_found", [None])


@needs_shellcheck
def test_fixture_dockerfile_findings_by_code_and_line():
    result = run_review(FIXTURES)
    assert sc(result, "Dockerfile") == [
        ("SC2045", 12),             # heredoc script: `for f in $(ls …)`
        ("SC2086", 9), ("SC2086", 24),
        ("SC2154", 9),              # after a continuation and a dropped comment line
        ("SC2154", 17),             # in the body of `cat <<EOT`, which the shell expands
        ("SC2154", 24),             # ONBUILD RUN
        ("SC3010", 13),             # `[[` under the default /bin/sh
    ]
    by = {(f.rule.id, f.line): f for f in result.findings}
    assert by[("SC2154", 9)].column == 56
    assert by[("SC2154", 9)].severity == "warning"
    assert by[("SC2086", 9)].severity == "suggestion"
    assert "`$release_name`" in by[("SC2154", 9)].message
    assert by[("SC2086", 9)].rule.title == "ShellCheck SC2086"
    assert "https://www.shellcheck.net/wiki/SC2086" in by[("SC2086", 9)].fix
    assert not result.notices


@needs_shellcheck
def test_must_not_cases_in_the_fixture_dockerfile():
    result = run_review(FIXTURES)
    lines = {f.line for f in result.findings if f.path == "Dockerfile"
             and f.rule.id.startswith("SC")}
    assert 9 in lines
    # ARG/ENV names are known (hadolint's `export NAME=1`); exec form, a Python
    # heredoc and the keyword/flags are not shell; the dropped comment is not a command
    for line in (5, 6, 7, 8, 16, 19, 21, 22):
        assert line not in lines, line
    messages = " ".join(f.message for f in result.findings)
    for name in ("VERSION", "APP_HOME", "exec_form", "not_shell"):
        assert f"{name} is referenced" not in messages


@needs_shellcheck
def test_fixture_script_findings_by_code_and_line():
    result = run_review(FIXTURES)
    assert sc(result, "fetch.sh") == [("SC2013", 6), ("SC2086", 7), ("SC3010", 9)]
    # MAX_COST_EUR is the budget CB008 asks for: not "appears unused"
    assert not [f for f in result.findings if f.rule.id == "SC2034"]


@needs_shellcheck
@pytest.mark.parametrize("text,expected", [
    # SHELL switches the dialect: `[[` is fine in bash
    ('FROM debian:12\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN [[ -d /x ]] && echo x\n', []),
    ('FROM debian:12\nRUN [[ -d /x ]] && echo x\n', [("SC3010", 2)]),
    # PowerShell is not checked
    ('FROM mcr.microsoft.com/windows/servercore:ltsc2022\nSHELL ["powershell", "-Command"]\n'
     'RUN echo $x\n', []),
    # `cd` without `|| exit` is DF075's (same RUN), not SC2164 too
    ('FROM debian:12\nRUN cd /tmp; make\n', []),
    # the proxy variables are known
    ('FROM debian:12\nRUN echo "$http_proxy"\n', []),
    # a continuation line's finding is at its own line and column
    ('FROM debian:12\nRUN apt-get update \\\n  && echo $lower\n', [("SC2086", 3), ("SC2154", 3)]),
])
def test_dockerfile_cases(tmp_path, text, expected):
    write_tree(tmp_path, {"Dockerfile": text})
    result = run_review(tmp_path)
    assert sc(result) == expected
    assert not [f for f in result.findings if f.rule.id == "DF104"]


@needs_shellcheck
def test_columns_follow_the_dockerfile(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM debian:12\nRUN apt-get update \\\n  && echo $lower\n"})
    result = run_review(tmp_path)
    assert {f.column for f in result.findings if f.rule.id == "SC2154"} == {11}


@needs_shellcheck
def test_ignore_by_code_in_config_cli_and_pragma(tmp_path):
    cfg = Config()
    apply_settings(cfg, {"ignore": ["sc2086"]}, {r.id for r in all_rules()}, "test")
    assert cfg.ignore == {"SC2086"}
    result = run_review(FIXTURES, config=cfg)
    assert not [f for f in result.findings if f.rule.id == "SC2086"]
    assert [f for f in result.findings if f.rule.id == "SC2154"]
    # a pragma by SC code, ours and hadolint's
    write_tree(tmp_path, {"Dockerfile": (
        "FROM debian:12\n# infra-expert: ignore=SC2154,SC2086 set by the base image\n"
        "RUN echo $lower\n# hadolint ignore=SC2086\nRUN echo $other\nRUN echo $third\n")})
    result = run_review(tmp_path)
    assert sc(result) == [("SC2086", 6), ("SC2154", 5), ("SC2154", 6)]
    assert not [f for f in result.findings if f.rule.id in ("IE001", "IE002")]
    # severity by code; an unknown-looking id is still refused
    apply_settings(cfg, {"severity": {"SC2154": "critical"}}, {r.id for r in all_rules()}, "t")
    assert cfg.severity == {"SC2154": "critical"}
    with pytest.raises(ConfigError):
        apply_settings(Config(), {"ignore": ["SC20866"]}, {r.id for r in all_rules()}, "t")


@needs_shellcheck
def test_family_rule_turns_it_off_and_unused_pragma_is_said(tmp_path):
    cfg = Config()
    cfg.ignore = {"DF104", "CB010"}
    assert sc(run_review(FIXTURES, config=cfg)) == []
    write_tree(tmp_path, {"Dockerfile": "FROM debian:12\n# infra-expert: ignore=SC2086 x\n"
                                        "RUN echo \"$HOME\"\n"})
    result = run_review(tmp_path)
    assert [(f.rule.id, f.line) for f in result.findings if f.rule.id == "IE001"] == [("IE001", 2)]


def test_not_installed_says_nothing_and_breaks_nothing(tmp_path, no_shellcheck):
    assert shellcheck.find() is None
    assert shellcheck.check([shellcheck.Script("echo $x\n", "sh")]) is None
    result = run_review(FIXTURES)
    assert sc(result) == []
    assert not [f for f in result.findings if f.rule.id in ("DF104", "CB010")]
    assert not result.notices
    # a pragma naming only SC codes is not "unused" where ShellCheck did not run
    write_tree(tmp_path, {"Dockerfile": "FROM debian:12\n# infra-expert: ignore=SC2086 x\n"
                                        "RUN echo $x\n"})
    result = run_review(tmp_path)
    assert not [f for f in result.findings if f.rule.id in ("IE001", "IE002")]


def test_lookup_ignores_relative_path_entries(monkeypatch, tmp_path):
    fake = tmp_path / "shellcheck"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", ".")
    monkeypatch.setattr("sysconfig.get_path", lambda name: str(tmp_path / "nowhere"))
    assert shellcheck._lookup() is None


@needs_shellcheck
def test_timeout_is_one_notice(monkeypatch):
    real = subprocess.run

    def slow(*args, **kwargs):
        raise subprocess.TimeoutExpired(args[0], kwargs.get("timeout"))

    monkeypatch.setattr(subprocess, "run", slow)
    result = run_review(FIXTURES)
    monkeypatch.setattr(subprocess, "run", real)
    notices = [n for n in result.notices if "ShellCheck did not finish" in n.message]
    assert {n.path for n in notices} == {"Dockerfile", "fetch.sh"}
    assert sc(result) == []
    assert [f for f in result.findings if f.rule.id == "DF005"]   # the review went on


@needs_shellcheck
def test_broken_output_is_one_notice(monkeypatch):
    class Done:
        returncode = 1
        stdout = b"not json"

    monkeypatch.setattr(subprocess, "run", lambda *a, **k: Done())
    result = run_review(FIXTURES)
    assert len([n for n in result.notices if "could not be read" in n.message]) == 2
    assert sc(result) == []


@needs_shellcheck
def test_one_process_per_file(monkeypatch):
    calls = []
    real = subprocess.run

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counting)
    run_review(FIXTURES)
    assert len(calls) == 2          # the Dockerfile's 5 shell RUNs in one process
    assert all("--norc" in c and "--format=json1" in c for c in calls)


@needs_shellcheck
def test_explain_sarif_and_catalogue():
    from infra_expert.catalogue import explain, render_catalogue
    from infra_expert.report import render
    text = explain("sc2086")
    assert "https://www.shellcheck.net/wiki/SC2086" in text
    catalogue = render_catalogue("text")
    assert "DF104" in catalogue and "CB010" in catalogue and "SC2086" not in catalogue
    sarif = render(run_review(FIXTURES), "sarif")
    assert '"ruleId": "SC2086"' in sarif


@needs_shellcheck
def test_family_cases_parse_failure():
    result = run_review(FIXTURES)
    assert not [f for f in result.findings if f.rule.id in ("DF104", "CB010")]


@needs_shellcheck
@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared not present")
@pytest.mark.parametrize("folder,listing", [("corpus", "dockerfile.txt"),
                                            ("corpus-homelab", "homelab-dockerfile.txt")])
def test_real_dockerfiles_do_not_crash_and_lines_are_inside(folder, listing):
    from infra_expert.engine import review
    lists = SHARED / "corpus_lists" / listing
    if not lists.is_file():
        pytest.skip("no corpus list")
    base = SHARED / folder
    paths = [str(base / p.strip()) for p in lists.read_text().splitlines() if p.strip()]
    result = review([p for p in paths if Path(p).is_file()], Config(), str(base))
    assert not [n for n in result.notices if "internal error" in n.message
                or "ShellCheck" in n.message]
    found = [f for f in result.findings if f.rule.id.startswith("SC")]
    assert found
    for f in found:
        lines = (base / f.path).read_text(errors="replace").split("\n")
        assert 1 <= f.line <= len(lines), (f.path, f.line)
        assert not lines[f.line - 1].lstrip().startswith("#"), (f.path, f.line, f.rule.id)
