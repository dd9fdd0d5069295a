"""Issue 12, pre-commit: the hook in .pre-commit-hooks.yaml, run for real with
`pre-commit try-repo` on a sample repository (pre-commit installs this project into its
own environment, as a user's machine would). Staged files are reviewed with their
project's context: a Compose overlay with its base, a Quadlet drop-in with its unit."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write_tree

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
    pytest.mark.skipif(subprocess.run([sys.executable, "-c", "import pre_commit"],
                                      capture_output=True).returncode != 0,
                       reason="pre-commit is not installed (pip install -e '.[test]')"),
]


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"})


def _try_repo(repo, home, *files):
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "infra-expert",
         "--files", *files], cwd=repo, capture_output=True, text=True, timeout=900,
        env={**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"})


def test_the_manifest_covers_every_domain_file_kind():
    import yaml
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "infra-expert")
    assert hook["language"] == "python" and "--fail-on" in hook["args"]
    files = re.compile(hook["files"])
    for name in ("Dockerfile", "app/Containerfile", "web.dockerfile", ".dockerignore",
                 "compose.yaml", "docker-compose.override.yml", ".env", "k8s/deploy.yaml",
                 "containers/systemd/web.container", "web.container.d/10-debug.conf",
                 "app.pod", "backup.timer", "backup.service", "crontab",
                 "etc/cron.d/backup", "flows/etl.yml", "prometheus/alerts.yml",
                 "rclone.conf", "bucket-policy.json", "scripts/burst.sh"):
        assert files.search(name), name
    for name in ("README.md", "src/app.py", "logo.png", "index.html"):
        assert not files.search(name), name


def test_staged_files_are_reviewed_with_their_project_context(tmp_path):
    repo = write_tree(tmp_path / "repo", {
        "compose.yaml": "services:\n  web:\n    image: nginx:1.27.2\n"
                        "    restart: unless-stopped\n",
        "compose.override.yaml": "services:\n  web:\n    privileged: true\n",
        "containers/systemd/web.container": (
            "[Container]\nImage=docker.io/library/nginx:1.27.2\n"
            "PublishPort=127.0.0.1:8080:80\n\n[Install]\nWantedBy=default.target\n"),
        "containers/systemd/web.container.d/10-debug.conf":
            "[Container]\nPodmanArgs=--privileged\n",
        "README.md": "# notes\n",
    })
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "init")
    home = tmp_path / "pre-commit-home"
    failed = _try_repo(repo, home, "compose.override.yaml",
                       "containers/systemd/web.container.d/10-debug.conf", "README.md")
    out = failed.stdout + failed.stderr
    assert failed.returncode == 1, out
    assert "infra-expert" in out and "Failed" in out
    # the overlay's finding, seen with its base (the service exists there)
    assert re.search(r"compose\.override\.yaml:3:\d+: DC002 \[critical\]", out), out
    # the drop-in's, reviewed as part of its unit
    assert "web.container.d/10-debug.conf:2: PM006 [critical]" in out, out
    assert "README.md" not in out.split("- exit code")[-1]
    # only what was staged is reported: the base is context, not a finding's place
    assert not re.search(r"^compose\.yaml:", out, re.M), out
    passed = _try_repo(repo, home, "compose.yaml", "README.md")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
