"""Issue 12, CLI conventions a hadolint/ruff user expects: a missing path is an error,
`-` reads standard input, peers' ids and prefixes in --ignore/--enable/--severity and the
config, --min-severity, -V, FORCE_COLOR/NO_COLOR/TERM=dumb, .hadolint.yaml's
failure-threshold and its mistakes, Kubernetes schema versions checked."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import write_tree

DOCKERFILE = ("FROM python:3.12-slim\n"
              "RUN pip install flask\n"
              "CMD [\"flask\", \"run\"]\n")


def run(cwd, *args, stdin=None, env=None):
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "infra_expert", *args], cwd=cwd,
                          capture_output=True, text=True, input=stdin, env=full_env)


def rules_of(stdout):
    """{(rule id, line)} of a compact report."""
    found = set()
    for line in stdout.splitlines()[:-1]:
        where, rest = line.split(": ", 1)
        parts = where.split(":")
        found.add((rest.split(" ", 1)[0], int(parts[1]) if len(parts) > 1 else None))
    return found


@pytest.fixture
def project(tmp_path):
    write_tree(tmp_path, {"Dockerfile": DOCKERFILE})
    return tmp_path


def test_a_missing_path_is_an_error_after_the_rest_is_reviewed(project):
    done = run(project, "review", "--no-config", "-f", "compact", "Dockerfil", "Dockerfile")
    assert done.returncode == 2
    assert "infra-expert: error: Dockerfil: no such file or directory" in done.stderr
    assert ("DF004", 1) in rules_of(done.stdout)          # the rest was reviewed
    alone = run(project, "review", "--no-config", "nothing-here")
    assert alone.returncode == 2 and "nothing-here: no such file" in alone.stderr


def test_a_broken_link_is_an_error_too(project):
    os.symlink(project / "gone", project / "link")
    done = run(project, "review", "--no-config", "-f", "compact", "link", "Dockerfile")
    assert done.returncode == 2 and "link: a broken symbolic link" in done.stderr


def test_stdin_is_read_with_or_without_a_name(project):
    named = run(project, "review", "--no-config", "-f", "compact", "-",
                "--stdin-filename", "deploy/compose.yaml",
                stdin="services:\n  web:\n    image: nginx\n    privileged: true\n")
    assert named.stdout.startswith("deploy/compose.yaml:4:5: DC002 [critical] ")
    assert named.returncode == 1
    sniffed = run(project, "review", "--no-config", "-f", "compact", "-", stdin=DOCKERFILE)
    assert ("DF004", 1) in rules_of(sniffed.stdout)
    assert sniffed.stdout.splitlines()[0].startswith("-:")
    mixed = run(project, "review", "--no-config", "-", "Dockerfile", stdin=DOCKERFILE)
    assert mixed.returncode == 2 and "reviewed alone" in mixed.stderr
    stray = run(project, "review", "--no-config", "--stdin-filename", "x", "Dockerfile")
    assert stray.returncode == 2


def test_stdin_name_cannot_leave_the_private_folder(project):
    done = run(project, "review", "--no-config", "-f", "compact", "-",
                "--stdin-filename", "../../etc/Dockerfile", stdin=DOCKERFILE)
    assert done.stdout.splitlines()[0].startswith("etc/Dockerfile:")
    assert not (project.parent.parent / "etc" / "Dockerfile").exists()


@pytest.mark.parametrize("name, gone, kept", [
    ("DL3042", {("DF069", 2)}, {("DF004", 1)}),            # hadolint's id
    ("hadolint:DL3042", {("DF069", 2)}, {("DF004", 1)}),   # with its tool
    ("dl3042", {("DF069", 2)}, {("DF004", 1)}),            # any case
    ("DF06", {("DF068", 2), ("DF069", 2)}, {("DF004", 1)}),  # a prefix of ours
    ("DF", {("DF004", 1), ("DF069", 2)}, set()),            # a whole domain
])
def test_ignore_takes_peers_ids_and_prefixes(project, name, gone, kept):
    base = rules_of(run(project, "review", "--no-config", "-f", "compact",
                        "Dockerfile").stdout)
    assert gone <= base and kept <= base
    after = rules_of(run(project, "review", "--no-config", "-f", "compact", "--ignore", name,
                         "Dockerfile").stdout)
    assert not gone & after and kept <= after


def test_severity_and_config_take_peers_ids(project):
    done = run(project, "review", "--no-config", "-f", "compact", "--severity",
               "DL3042=critical", "Dockerfile")
    assert any(line.startswith("Dockerfile:2:1: DF069 [critical]")
               for line in done.stdout.splitlines())
    write_tree(project, {".infra-expert.toml": 'ignore = ["run-as-non-root", "DL3002", '
                                              '"DF004"]\n'})
    configured = run(project, "review", "-f", "compact", "Dockerfile")
    assert configured.returncode in (0, 1), configured.stderr
    assert ("DF004", 1) not in rules_of(configured.stdout)


def test_an_unknown_name_is_still_an_error(project):
    done = run(project, "review", "--no-config", "--ignore", "DL9999", "Dockerfile")
    assert done.returncode == 2 and "unknown rule `DL9999`" in done.stderr


def test_min_severity_leaves_out_the_rest_and_the_exit_status_follows(project):
    done = run(project, "review", "--no-config", "-f", "compact", "--min-severity", "warning",
               "--fail-on", "suggestion", "Dockerfile")
    severities = {line.split("[", 1)[1].split("]")[0] for line in done.stdout.splitlines()[:-1]}
    assert severities == {"warning"}
    assert ", 0 suggestion)" in done.stdout
    critical_only = run(project, "review", "--no-config", "-f", "compact", "--min-severity",
                        "critical", "--fail-on", "suggestion", "Dockerfile")
    assert critical_only.stdout == "No findings in 1 file.\n"
    assert critical_only.returncode == 0


def test_version_flag():
    done = run(".", "-V")
    assert done.returncode == 0 and done.stdout.startswith("infra-expert ")


def test_colour_follows_force_color_no_color_and_dumb_terminals(project):
    plain = run(project, "review", "--no-config", "Dockerfile")
    assert "\x1b[" not in plain.stdout and plain.stdout.startswith("## infra-expert")
    forced = run(project, "review", "--no-config", "Dockerfile", env={"FORCE_COLOR": "1"})
    assert "\x1b[" in forced.stdout
    both = run(project, "review", "--no-config", "Dockerfile",
               env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b[" not in both.stdout
    dumb = run(project, "review", "--no-config", "Dockerfile",
               env={"FORCE_COLOR": "0", "TERM": "dumb"})
    assert "\x1b[" not in dumb.stdout


def test_hadolint_failure_threshold_and_no_fail(project):
    write_tree(project, {".hadolint.yaml": "failure-threshold: error\n"})
    done = run(project, "review", "-f", "compact", "Dockerfile")
    assert "[warning]" in done.stdout and done.returncode == 0   # no error-level finding
    write_tree(project, {".hadolint.yaml": "failure-threshold: style\n"})
    assert run(project, "review", "-f", "compact", "Dockerfile").returncode == 1
    write_tree(project, {".hadolint.yaml": "failure-threshold: style\nno-fail: true\n"})
    assert run(project, "review", "-f", "compact", "Dockerfile").returncode == 0
    # our own setting wins where both speak
    assert run(project, "review", "-f", "compact", "--fail-on", "warning",
               "Dockerfile").returncode == 1


@pytest.mark.parametrize("text, says", [
    ("ignored: [DL3008\n", "line"),
    ("failure-threshold: fatal\n", "`failure-threshold` must be one of"),
    ("override:\n  critical: [DL3008]\n", "unknown level `critical`"),
    ("ignored: 3008\n", "`ignored` must be a list of strings"),
    ("- just a list\n", "a mapping of settings"),
])
def test_an_invalid_hadolint_config_is_an_error(project, text, says):
    write_tree(project, {".hadolint.yaml": text})
    done = run(project, "review", "-f", "compact", "Dockerfile")
    assert done.returncode == 2, done.stdout
    assert "configuration error" in done.stderr and says in done.stderr
    assert done.stdout == ""


def test_kubernetes_version_must_be_one_with_schemas(project):
    done = run(project, "review", "--no-config", "--kubernetes-version", "1.99", "Dockerfile")
    assert done.returncode == 2 and "no Kubernetes 1.99 schema" in done.stderr
    ok = run(project, "review", "--no-config", "--kubernetes-version", "1.30", "-f",
             "compact", "Dockerfile")
    assert ok.returncode == 0, ok.stderr


def test_schema_validation_is_on_in_a_plain_install(tmp_path):
    write_tree(tmp_path, {"deploy.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
        "  selector: {matchLabels: {app: web}}\n  template:\n"
        "    metadata: {labels: {app: web}}\n    spec:\n      containers:\n"
        "        - name: web\n          image: nginx:1.27.2\n          resouces: {}\n")})
    done = run(tmp_path, "review", "--no-config", "-f", "compact", "deploy.yaml")
    assert ("K8081", 12) in rules_of(done.stdout)


def test_without_kubernetes_validate_every_run_says_schemas_are_off(tmp_path, monkeypatch):
    from infra_expert.config import Config
    from infra_expert.engine import review
    from infra_expert.kubernetes import schema
    write_tree(tmp_path, {"deploy.yaml": "apiVersion: v1\nkind: ConfigMap\n"
                                         "metadata: {name: x}\ndata: {a: b}\n"})
    monkeypatch.setattr(schema, "available", lambda: False)
    result = review([str(tmp_path)], Config())
    said = [n.message for n in result.notices if n.path == "kubernetes"]
    assert len(said) == 1 and "schema validation is off" in said[0]
