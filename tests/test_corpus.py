"""The whole shared corpus is reviewed without a crash, and every line is inside its file."""

from infra_expert.config import Config
from infra_expert.engine import review

from conftest import CORPUS, needs_shared


@needs_shared
def test_corpus_reviews_cleanly():
    result = review([str(CORPUS)], Config(), str(CORPUS))
    internal = [(n.path, n.message) for n in result.notices if "internal error" in n.message]
    assert internal == []
    assert len([1 for _, d in result.files if d == "dockerfile"]) >= 540
    line_counts = {}
    for f in result.findings + result.positives:
        if f.path not in line_counts:
            with open(f.path, encoding="utf-8", errors="replace") as fh:
                line_counts[f.path] = max(len(fh.read().splitlines()), 1)
        if f.line is not None:
            assert 1 <= f.line <= line_counts[f.path], (f.rule.id, f.path, f.line)
