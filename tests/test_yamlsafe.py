import time

import pytest

from infra_expert.yamlsafe import YamlError, YMap, load_all


def test_positions_on_maps_and_sequences():
    (doc,) = load_all("services:\n  web:\n    image: nginx\n    ports:\n      - 80:80\n")
    assert isinstance(doc, YMap)
    assert doc.pos_of("services") == (1, 1)
    web = doc["services"]["web"]
    assert web.key_pos["ports"] == (4, 5)
    assert web["ports"].item_pos == [(5, 9)]
    assert web["ports"] == ["80:80"]


def test_multiple_documents_anchors_and_merge_keys():
    docs = load_all("a: &x {k: 1, j: 2}\nb:\n  <<: *x\n  j: 3\n---\n- 1\n- true\n- null\n")
    assert docs[0]["b"] == {"k": 1, "j": 3}
    assert docs[0]["b"].key_pos["k"] == (1, 8)   # merged key points at its source
    assert docs[1] == [1, True, None]


def test_no_arbitrary_tags_are_constructed():
    (doc,) = load_all("x: !!python/object/apply:os.system ['echo pwned']\ny: !reset null\n")
    assert doc["x"] == ["echo pwned"] and doc["y"] == "null"


def test_alias_bomb_is_refused_quickly():
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    prev = "a"
    for name in "bcdefghij":
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
        prev = name
    start = time.perf_counter()
    with pytest.raises(YamlError) as exc:
        load_all("\n".join(lines) + "\n")
    assert time.perf_counter() - start < 1.0
    assert "alias" in exc.value.message


def test_deep_nesting_is_refused():
    for text in ("[" * 20000 + "]" * 20000, "".join("  " * i + "k:\n" for i in range(400)) + "  " * 400 + "k: 1\n"):
        start = time.perf_counter()
        with pytest.raises(YamlError) as exc:
            load_all(text)
        assert time.perf_counter() - start < 1.0
        assert "nest" in exc.value.message


def test_syntax_errors_carry_a_line():
    with pytest.raises(YamlError) as exc:
        load_all("a: 1\nb:\n\tc: 2\n")
    assert exc.value.line == 3
    with pytest.raises(YamlError):
        load_all("a: *missing\n")
