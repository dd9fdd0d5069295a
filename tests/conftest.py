import os
import textwrap
from pathlib import Path

import pytest

from infra_expert.config import Config
from infra_expert.engine import review

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(),
                                  reason="../shared (corpus, schemas, references) not present")


def write_tree(base, files):
    for rel, content in files.items():
        path = Path(base) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content) if content.startswith("\n") else content)
    return Path(base)


def run_review(base, paths=None, config=None):
    config = config or Config()
    cwd = os.getcwd()
    os.chdir(base)
    try:
        return review(paths or ["."], config, str(base))
    finally:
        os.chdir(cwd)


@pytest.fixture
def review_dockerfile(tmp_path):
    """Review one Dockerfile (plus optional context files); returns the Review."""
    def run(text, files=None, config=None, name="Dockerfile"):
        tree = {name: text}
        tree.update(files or {})
        write_tree(tmp_path, tree)
        return run_review(tmp_path, [name], config)
    return run


def hits(result, rule_id):
    return sorted(f.line for f in result.findings if f.rule.id == rule_id)


def rule_locations(base, files, rule_id, config=None):
    """Write `files` under `base`, review it, and return sorted (path, line) of one rule;
    also checks that no rule or parser crashed."""
    write_tree(base, files)
    result = run_review(base, config=config)
    assert not [n for n in result.notices if "internal error" in n.message]
    return sorted((f.path, f.line) for f in result.findings if f.rule.id == rule_id)
