import os

from infra_expert.config import Config
from infra_expert.discover import classify_name, discover

from conftest import run_review, write_tree


def paths(result):
    return sorted(p for p, _ in result.files)


def test_classification_by_name():
    for name in ("Dockerfile", "Containerfile", "Dockerfile.prod", "api.Dockerfile",
                 "prod.dockerfile", "Dockerfile-dev", ".dockerignore"):
        assert classify_name(name) is not None, name
    assert classify_name("compose.yaml") == ("compose", "compose")
    assert classify_name("docker-compose.override.yml") == ("compose", "override")
    for name in ("Dockerfile.md", "dockerfile.txt", "README", "values.yaml", "Dockerfile.j2"):
        assert classify_name(name) is None, name


def test_walk_respects_gitignore_skip_dirs_and_exclude(tmp_path):
    write_tree(tmp_path, {
        ".gitignore": "build/\n*.tmp\n",
        "Dockerfile": "FROM a:1\n",
        "build/Dockerfile": "FROM a:1\n",
        "node_modules/x/Dockerfile": "FROM a:1\n",
        "legacy/Dockerfile": "FROM a:1\n",
        "svc/Dockerfile.tmp": "FROM a:1\n",
        "svc/Dockerfile.api": "FROM a:1\n",
        "svc/deploy/build-image": "# builder\nARG X=1\nFROM alpine:3.20\n",
        "svc/script": "#!/bin/sh\necho hi\n",
    })
    cfg = Config()
    cfg.exclude = ["legacy/"]
    result = run_review(tmp_path, config=cfg)
    assert paths(result) == ["Dockerfile", "svc/Dockerfile.api", "svc/deploy/build-image"]


def test_binary_large_and_missing_files_give_notices(tmp_path):
    write_tree(tmp_path, {"Dockerfile": b"FROM a:1\n\x00\x01", "big/Dockerfile": "FROM a:1\n" + "#" * 2000})
    cfg = Config()
    cfg.max_file_size = 1000
    docs, notices = discover([str(tmp_path), str(tmp_path / "nope")], cfg, str(tmp_path))
    assert docs == []
    assert len(notices) == 3
    assert any("binary" in n.message for n in notices)
    assert any("size cap" in n.message for n in notices)
    assert any("no such file" in n.message for n in notices)


def test_symlinks_never_followed_out_of_the_root(tmp_path):
    outside = tmp_path / "outside"
    root = tmp_path / "root"
    write_tree(outside, {"Dockerfile": "FROM a:1\n"})
    write_tree(root, {"Dockerfile": "FROM a:1\n"})
    os.symlink(outside / "Dockerfile", root / "other.Dockerfile")
    os.symlink(outside, root / "linked-dir")
    os.symlink(root, root / "loop")
    result = run_review(root)
    assert paths(result) == ["Dockerfile"]
    assert [n.message for n in result.notices] == [
        "skipped: symbolic link pointing outside the reviewed tree"]


def test_invalid_utf8_is_reviewed_with_a_notice(tmp_path):
    write_tree(tmp_path, {"Dockerfile": b"FROM alpine:3.20\nLABEL x=\"\xff\xfe\"\nUSER 0\n"})
    result = run_review(tmp_path)
    assert paths(result) == ["Dockerfile"]
    assert "not valid UTF-8" in result.notices[0].message
    assert any(f.rule.id == "DF004" and f.line == 3 for f in result.findings)


def test_crlf_and_bom(tmp_path):
    write_tree(tmp_path, {"Dockerfile": b"\xef\xbb\xbfFROM alpine:3.20\r\nUSER root\r\n"})
    result = run_review(tmp_path)
    assert [(f.rule.id, f.line) for f in result.findings if f.rule.id == "DF004"] == [("DF004", 2)]


def test_paths_stay_as_the_user_named_them(tmp_path):
    write_tree(tmp_path, {"app/Dockerfile": "FROM a:1\n"})
    result = run_review(tmp_path, ["./app"])
    assert paths(result) == ["app/Dockerfile"]


def test_fifo_is_never_opened(tmp_path):
    os.mkfifo(tmp_path / "Dockerfile")
    write_tree(tmp_path, {"sub/Dockerfile": "FROM a:1\n"})
    result = run_review(tmp_path)
    assert paths(result) == ["sub/Dockerfile"]
    assert [n.message for n in result.notices] == ["skipped: not a regular file"]
