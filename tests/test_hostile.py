"""Hostile input is normal input: each file is reviewed (or skipped with a notice),
without a crash and without quadratic memory."""

import tracemalloc

import pytest

from conftest import run_review, write_tree

HOSTILE = {
    "env-chain": "FROM a:1\n" + "".join(f"ENV A{i}=$A{i - 1}x\n" for i in range(20000))
                 + "USER $A19999\n",
    "rm-backtracking": "FROM a:1\nRUN apt-get update && " + "rm " * 50000 + "\n",
    "nested-substitution": "FROM a:1\nRUN " + "$(" * 20000 + ")" * 20000 + "\n",
    "many-heredocs": "FROM a:1\n" + "RUN <<EOF\necho\nEOF\n" * 5000,
    "many-stages": "".join(f"FROM a:1 AS s{i}\nCOPY --from=s{i - 1} / /\n" for i in range(2000)),
    "unbalanced-quotes": "FROM a:1\nRUN echo \"abc 'def $(ghi\nUSER root\n",
    "heredoc-markers": "FROM a:1\nRUN " + "<<A " * 5000 + "\n",
    "only-continuations": "FROM a:1\nRUN \\\n" * 3 + "\\\n" * 10000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_dockerfiles(tmp_path, name):
    write_tree(tmp_path, {"Dockerfile": HOSTILE[name]})
    tracemalloc.start()
    try:
        result = run_review(tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.files == [("Dockerfile", "dockerfile")]
    assert not [n for n in result.notices if "internal error" in n.message]
    assert peak < 300 * 1024 * 1024, f"{peak / 2**20:.0f} MiB"
