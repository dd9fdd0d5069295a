"""Issue 11: a folder of repositories reviewed one repository at a time, on every core,
with the same result; JSON Lines."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import CORPUS, needs_shared, write_tree

from infra_expert.config import Config, ConfigError, apply_settings
from infra_expert.engine import review
from infra_expert.report import render
from infra_expert.scale import plan, usable_cpus

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "homelab"

COMPOSE = ("services:\n  web:\n    image: nginx:1.27\n    ports: [\"8080:80\"]\n"
           "  db:\n    image: postgres:16.4\n")
K8S = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: apps}\n"
       "spec:\n  selector: {matchLabels: {app: web}}\n  template:\n"
       "    metadata: {labels: {app: web}}\n    spec:\n      containers:\n"
       "        - name: web\n          image: nginx:1.27\n")
SERVICE = ("apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: apps}\n"
           "spec:\n  selector: {app: web}\n  ports: [{port: 80}]\n")


def fleet(base):
    """An organisation's clones: three repositories (each with `.git`) and a loose file."""
    write_tree(base, {
        "alpha/.git/HEAD": "ref: refs/heads/main\n",
        "alpha/compose.yaml": COMPOSE,
        "alpha/app/Dockerfile": "FROM python:3.12-slim\nRUN pip install flask\n",
        "beta/.git/HEAD": "ref: refs/heads/main\n",
        "beta/k8s/web.yaml": K8S,
        "gamma/.git": "gitdir: ../.modules/gamma\n",       # a worktree: `.git` is a file
        "gamma/deploy/service.yaml": SERVICE,
        "ops/compose.yaml": COMPOSE,                          # not in a repository
    })
    return base


def _review(path, jobs, **settings):
    cfg = apply_settings(Config(), settings, set(), "test") if settings else Config()
    cwd = os.getcwd()
    os.chdir(path)
    try:
        return review(["."], cfg, str(path), jobs=jobs)
    finally:
        os.chdir(cwd)


def test_a_folder_of_repositories_is_planned_one_unit_each(tmp_path):
    fleet(tmp_path)
    units = plan([str(tmp_path)], Config(), str(tmp_path))
    assert [u.paths for u in units] == [[str(tmp_path)], [str(tmp_path / "alpha")],
                                        [str(tmp_path / "beta")], [str(tmp_path / "gamma")]]
    assert sorted(units[0].skip) == sorted(str(tmp_path / r) for r in ("alpha", "beta",
                                                                       "gamma"))
    # one repository (or none inside): one run, as always
    assert len(plan([str(tmp_path / "alpha")], Config(), str(tmp_path))) == 1
    assert len(plan([str(EXAMPLE)], Config(), str(ROOT))) == 1
    # a host means one machine: one run; so does a file given alone
    host = apply_settings(Config(), {"host": "rpi4-4gb"}, set(), "test")
    assert len(plan([str(tmp_path)], host, str(tmp_path))) == 1
    assert len(plan([str(tmp_path / "ops" / "compose.yaml"), str(tmp_path)], Config(),
                    str(tmp_path))) == 1


def test_an_ignored_repository_is_no_unit(tmp_path):
    fleet(tmp_path)
    write_tree(tmp_path, {".gitignore": "beta/\n"})
    units = plan([str(tmp_path)], Config(), str(tmp_path))
    assert [u.paths for u in units][1:] == [[str(tmp_path / "alpha")],
                                            [str(tmp_path / "gamma")]]


@pytest.mark.parametrize("fmt", ["json", "jsonl", "sarif", "markdown", "compact", "github"])
def test_the_output_does_not_depend_on_jobs(tmp_path, fmt):
    fleet(tmp_path)
    one = render(_review(tmp_path, 1), fmt)
    two = render(_review(tmp_path, 2), fmt)
    assert one == two


def test_every_repository_is_reviewed_and_findings_are_theirs(tmp_path):
    fleet(tmp_path)
    result = _review(tmp_path, 2)
    assert sorted(p for p, _ in result.files) == [
        "alpha/app/Dockerfile", "alpha/compose.yaml", "beta/k8s/web.yaml",
        "gamma/deploy/service.yaml", "ops/compose.yaml"]
    # the same findings as each repository reviewed alone (paths as seen from the top)
    for repo in ("alpha", "beta", "gamma"):
        alone = _review(tmp_path / repo, 1)
        mine = sorted((f.rule.id, f.path, f.line) for f in result.findings
                      if f.path.startswith(repo + "/"))
        assert mine == sorted((f.rule.id, f"{repo}/{f.path}", f.line)
                              for f in alone.findings), repo
    # a Service in one repository does not select the pods of another
    assert any(f.rule.id.startswith("K8") and f.path == "gamma/deploy/service.yaml"
               for f in result.findings) == any(
        f.rule.id.startswith("K8") for f in _review(tmp_path / "gamma", 1).findings)


def test_groups_of_what_runs_together_stay_apart(tmp_path):
    fleet(tmp_path)
    groups = _review(tmp_path, 2).resources["total"]["groups"]
    assert "Compose project `alpha/compose.yaml`" in groups
    assert "Compose project `ops/compose.yaml`" in groups


def test_jobs_setting_is_validated():
    assert apply_settings(Config(), {"jobs": 3}, set(), "t").jobs == 3
    assert apply_settings(Config(), {"jobs": "2"}, set(), "t").jobs == 2
    for bad in (0, -1, "many", True, 1000):
        with pytest.raises(ConfigError):
            apply_settings(Config(), {"jobs": bad}, set(), "t")
    assert usable_cpus() >= 1


def test_json_lines_one_finding_a_line_then_the_summary(tmp_path):
    fleet(tmp_path)
    result = _review(tmp_path, 1)
    lines = render(result, "jsonl").splitlines()
    objects = [json.loads(line) for line in lines]
    findings = [o for o in objects if o["type"] == "finding"]
    assert len(findings) == len(result.findings)
    assert findings[0]["rule"] == result.findings[0].rule.id
    assert objects[-1]["type"] == "summary"
    assert objects[-1]["counts"] == result.summary()
    assert objects[-1]["files"] == len(result.files)
    assert [o["type"] for o in objects[-2:]] == ["resources", "summary"]
    assert all(o["type"] in ("finding", "notice") for o in objects[:-2])


def test_json_lines_stream_a_fleet_unit_by_unit(tmp_path):
    """Streamed: each unit's findings (sorted within it), notices and resources as the unit
    is done, nothing kept; the same bytes for any --jobs, the same findings as one JSON."""
    fleet(tmp_path)
    texts = {}
    for jobs in (1, 2):
        out = []
        cwd = os.getcwd()
        os.chdir(tmp_path)
        try:
            result = review(["."], Config(), str(tmp_path), jobs=jobs, stream=out.append)
        finally:
            os.chdir(cwd)
        assert result.findings == [] and result.counts is not None
        texts[jobs] = "".join(out)
    assert texts[1] == texts[2]
    objects = [json.loads(line) for line in texts[1].splitlines()]
    whole = _review(tmp_path, 1)
    streamed = sorted((o["rule"], o["path"], o["line"]) for o in objects
                      if o["type"] == "finding")
    assert streamed == sorted((f.rule.id, f.path, f.line) for f in whole.findings)
    assert objects[-1]["counts"] == whole.summary()
    units = [o["unit"] for o in objects if o["type"] == "resources"]
    assert units == [".", "alpha", "beta"]     # gamma's Service estimates nothing


@pytest.mark.parametrize("fmt", ["compact", "github"])
def test_the_ci_line_formats_stream_a_fleet_too(tmp_path, fmt):
    """compact and github are written unit by unit like JSON Lines: the same lines as the
    whole review rendered, unit by unit, and the same bytes for any --jobs."""
    fleet(tmp_path)
    texts = {}
    for jobs in (1, 2):
        out = []
        cwd = os.getcwd()
        os.chdir(tmp_path)
        try:
            result = review(["."], Config(), str(tmp_path), jobs=jobs, stream=out.append,
                            line_format=fmt)
        finally:
            os.chdir(cwd)
        assert result.findings == [] and result.counts is not None
        texts[jobs] = "".join(out)
    assert texts[1] == texts[2]
    whole = render(_review(tmp_path, 1), fmt).splitlines()
    streamed = texts[1].splitlines()
    assert sorted(streamed) == sorted(whole)
    assert streamed[-1] == whole[-1] and streamed[-1].startswith("Found ")


@pytest.mark.parametrize("where", ["fleet", "example"])
def test_json_written_piece_by_piece_is_the_same_text(tmp_path, where):
    from infra_expert.report.json_report import render_json, write_json
    path = fleet(tmp_path) if where == "fleet" else EXAMPLE
    result = _review(path, 1)
    out = []
    write_json(result, out.append)
    assert "".join(out) == render_json(result)
    (tmp_path / "empty").mkdir()
    empty = _review(tmp_path / "empty", 1)
    out = []
    write_json(empty, out.append)
    assert "".join(out) == render_json(empty)


# --------------------------------------------------------- shards and merge (processes) --

def _cli(*args, cwd):
    import subprocess
    import sys
    return subprocess.run([sys.executable, "-m", "infra_expert", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, NO_COLOR="1"))


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_shards_merged_give_the_single_run(tmp_path, count):
    """N shards run as processes, their JSON merged: the same bytes as one run, in every
    format; no project is split across shards."""
    tree = fleet(tmp_path / "fleet")
    out = tmp_path / "out"
    out.mkdir()
    for i in range(count):
        done = _cli("review", ".", "--no-config", "--shard", f"{i}/{count}", "-f", "json",
                    "-o", str(out / f"shard-{i}.json"), "--fail-on", "never", cwd=tree)
        assert done.returncode == 0, done.stderr
    shards = [str(out / f"shard-{i}.json") for i in range(count)]
    files = [set(p["path"] for p in json.loads(Path(s).read_text())["files"]) for s in shards]
    for a in range(count):              # a repository lies in exactly one shard
        for b in range(a + 1, count):
            assert not files[a] & files[b]
    for fmt in ("json", "markdown", "sarif"):
        single = _cli("review", ".", "--no-config", "-f", fmt, "--fail-on", "never",
                      cwd=tree)
        merged = _cli("merge", *shards, "-f", fmt, "--fail-on", "never", cwd=tree)
        assert merged.returncode == 0, merged.stderr
        assert merged.stdout == single.stdout, fmt
    # the exit status follows the merged findings
    assert _cli("merge", *shards, "-f", "json", "--fail-on", "warning",
                cwd=tree).returncode == 1


def test_shard_and_merge_refuse_what_they_cannot_use(tmp_path):
    tree = fleet(tmp_path / "fleet")
    for bad in ("3/3", "-1/2", "x/2", "1", "0/0"):
        done = _cli("review", ".", "--shard", bad, cwd=tree)
        assert done.returncode == 2 and "--shard" in done.stderr and "Traceback" not in \
            done.stderr
    (tmp_path / "not.json").write_text("{\"hello\": 1}\n")
    (tmp_path / "broken.json").write_text("{\n")
    for name in ("not.json", "broken.json", "missing.json"):
        done = _cli("merge", str(tmp_path / name), cwd=tree)
        assert done.returncode == 2 and "merge:" in done.stderr
        assert "Traceback" not in done.stderr


def test_a_shard_is_stable_and_covers_every_unit(tmp_path):
    from infra_expert.scale import shard
    fleet(tmp_path)
    units = plan([str(tmp_path)], Config(), str(tmp_path))
    for count in (1, 2, 3, 7):
        parts = [shard(units, i, count) for i in range(count)]
        assert sorted(id(u) for p in parts for u in p) == sorted(id(u) for u in units)
        assert parts == [shard(units, i, count) for i in range(count)]


def test_the_fleet_manifests_pass_our_own_review():
    """deploy/: the Indexed Job, the merge Job and the image they run: no critical and no
    warning from infra-expert itself (schema validation included)."""
    from conftest import run_review
    result = run_review(ROOT / "deploy")
    assert sorted(p for p, _ in result.files) == [
        "Dockerfile", "kubernetes/fleet-review.yaml", "kubernetes/merge-job.yaml"]
    assert [(f.rule.id, f.path, f.line) for f in result.findings
            if f.severity in ("critical", "warning")] == []
    text = (ROOT / "deploy" / "kubernetes" / "fleet-review.yaml").read_text()
    assert "completionMode: Indexed" in text and '--shard "${JOB_COMPLETION_INDEX}/4"' in text
    assert "completions: 4" in text and "parallelism: 4" in text


def test_sarif_written_piece_by_piece_is_one_json_document(tmp_path):
    """The streamed SARIF is the same text as one dump of the whole log."""
    from infra_expert.report.sarif import write_sarif
    result = _review(fleet(tmp_path), 1)
    out = []
    write_sarif(result, out.append)
    text = "".join(out)
    log = json.loads(text)
    assert text == json.dumps(log, indent=2, ensure_ascii=False) + "\n"
    assert len(log["runs"][0]["results"]) == len(result.findings)
    (tmp_path / "empty").mkdir()
    out = []
    write_sarif(_review(tmp_path / "empty", 1), out.append)
    log = json.loads("".join(out))
    assert log["runs"][0]["results"] == [] and "".join(out) == json.dumps(
        log, indent=2, ensure_ascii=False) + "\n"


@needs_shared
def test_the_corpus_as_a_fleet_gives_the_same_bytes_for_any_jobs(tmp_path):
    """The 2,465-file corpus, each of its repositories a clone (`.git`), reviewed with
    --jobs 1 and --jobs 2 in JSON Lines (streamed) and in SARIF (merged and sorted)."""
    import shutil
    import subprocess
    import sys
    tree = tmp_path / "fleet"
    shutil.copytree(CORPUS, tree, symlinks=True)
    for repo in tree.iterdir():
        if repo.is_dir():
            (repo / ".git").mkdir()
    out = {}
    for fmt in ("jsonl", "sarif"):
        for jobs in ("1", "2"):
            done = subprocess.run(
                [sys.executable, "-m", "infra_expert", "review", "--no-config", "--fail-on",
                 "never", "--ignore", "DF104,CB010", "-f", fmt, "--jobs", jobs, "."],
                cwd=tree, capture_output=True)
            assert done.returncode == 0, done.stderr[-500:]
            out[fmt, jobs] = done.stdout
        assert out[fmt, "1"] == out[fmt, "2"]
    assert out["jsonl", "1"].count(b'"type": "finding"') > 30000
