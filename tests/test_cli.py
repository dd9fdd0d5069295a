import json
import os
import subprocess
import sys

from conftest import ROOT, write_tree


def run(*args, cwd=None, env=None):
    full_env = dict(os.environ, NO_COLOR="1", **(env or {}))
    return subprocess.run([sys.executable, "-m", "infra_expert", *args], cwd=cwd,
                          capture_output=True, text=True, env=full_env, timeout=60)


def test_review_exit_codes_and_fail_on(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM alpine:3.20\nUSER 10001\nCMD [\"sh\"]\n"})
    assert run("review", ".", "--no-config", cwd=tmp_path).returncode == 0
    assert run("review", ".", "--no-config", "--fail-on", "suggestion", cwd=tmp_path).returncode == 1
    write_tree(tmp_path, {"Dockerfile": "FROM alpine:3.20\nRUN apt-get install curl\n"})
    assert run("review", ".", "--no-config", cwd=tmp_path).returncode == 1
    assert run("review", ".", "--no-config", "--fail-on", "never", cwd=tmp_path).returncode == 0


def test_piped_review_is_markdown(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM alpine:3.20\n"})
    out = run("review", "--no-config", cwd=tmp_path).stdout
    assert out.startswith("## infra-expert review")
    assert "\033[" not in out


def test_json_and_sarif_formats_and_output_file(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM alpine\n"})
    data = json.loads(run("review", "--no-config", "-f", "json", cwd=tmp_path).stdout)
    assert [f["rule"] for f in data["findings"] if f["line"] == 1][:1] == ["DF004"]
    r = run("review", "--no-config", "-f", "sarif", "-o", "out.sarif", cwd=tmp_path)
    assert r.stdout == ""
    assert json.loads((tmp_path / "out.sarif").read_text())["version"] == "2.1.0"


def test_config_errors_exit_2_without_traceback(tmp_path):
    write_tree(tmp_path, {".infra-expert.toml": "colour = true\n", "Dockerfile": "FROM a:1\n"})
    r = run("review", ".", cwd=tmp_path)
    assert r.returncode == 2
    assert "unknown key `colour`" in r.stderr and "Traceback" not in r.stderr
    r = run("review", ".", "--no-config", "--ignore", "XX123", cwd=tmp_path)
    assert r.returncode == 2 and "unknown rule" in r.stderr
    r = run("review", ".", "--no-config", "--severity", "DF001=loud", cwd=tmp_path)
    assert r.returncode == 2


def test_cli_flags_override_config(tmp_path):
    write_tree(tmp_path, {".infra-expert.toml": 'fail-on = "never"\n', "Dockerfile": "FROM alpine\nRUN apt-get install curl\n"})
    assert run("review", ".", cwd=tmp_path).returncode == 0
    assert run("review", ".", "--fail-on", "critical", cwd=tmp_path).returncode == 1
    out = run("review", ".", "--ignore", "DF004,DF001", "-f", "json", cwd=tmp_path).stdout
    assert not {"DF004", "DF001"} & {f["rule"] for f in json.loads(out)["findings"]}


def test_usage_errors_exit_2():
    assert run("review", "--format", "yaml").returncode == 2
    assert run().returncode == 2
    assert run("explain", "ZZ999").returncode == 2


def test_rules_and_explain():
    out = run("rules").stdout
    assert "DF004" in out and "rules." in out
    catalogue = json.loads(run("rules", "--format", "json").stdout)
    assert {"id", "domain", "severity", "category", "title", "rationale", "fix", "peers"} <= set(catalogue[0])
    text = run("explain", "df004").stdout
    assert "Final stage runs as root" in text and "hadolint:DL3002" in text and "Fix:" in text
    assert "DF052" in run("explain", "DL3008").stdout


def test_nothing_to_review_is_not_an_error(tmp_path):
    r = run("review", str(tmp_path), "--no-config")
    assert r.returncode == 0 and "no file to review" in r.stderr


def test_bundled_example_reviews(tmp_path):
    r = run("review", "examples", cwd=ROOT)
    assert r.returncode in (0, 1), r.stderr
    assert "### 🔴 Critical (must fix)" in r.stdout and "Traceback" not in r.stderr


def test_hadolint_config_is_honoured(tmp_path):
    write_tree(tmp_path, {
        ".hadolint.yaml": "ignored:\n  - DL3006\noverride:\n  error:\n    - DL3015\n"
                          "trustedRegistries:\n  - ghcr.io\n",
        "Dockerfile": "FROM alpine\nFROM debian:12\nRUN apt-get install -y curl=1\nUSER 1\n"})
    data = json.loads(run("review", ".", "-f", "json", cwd=tmp_path).stdout)
    found = {(f["rule"], f["severity"]) for f in data["findings"]}
    assert not any(rule == "DF001" for rule, _ in found)          # ignored through DL3006
    assert ("DF051", "critical") in found                         # DL3015 raised to error
    assert ("DF003", "critical") in found                         # docker.io not trusted
    no_cfg = json.loads(run("review", ".", "--no-config", "-f", "json", cwd=tmp_path).stdout)
    assert any(f["rule"] == "DF001" for f in no_cfg["findings"])
