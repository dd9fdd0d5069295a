from conftest import hits


def test_inline_suppression_applies_to_next_instruction(review_dockerfile):
    text = ("FROM debian:12\n# infra-expert: ignore=DF051 recommends are needed here\n"
            "RUN apt-get install -y \\\n    curl\nRUN apt-get install -y git\n")
    result = review_dockerfile(text)
    assert hits(result, "DF051") == [5]
    assert hits(result, "IE001") == []


def test_file_wide_suppression(review_dockerfile):
    text = "# infra-expert: ignore-file=DF052\nFROM debian:12\nRUN apt-get install -y a\nRUN apt-get install -y b\n"
    assert hits(review_dockerfile(text), "DF052") == []


def test_hadolint_pragmas_are_honoured_through_peers(review_dockerfile):
    text = ("# hadolint global ignore=DL3015\nFROM debian:12\n# hadolint ignore=DL3008,SC2086\n"
            "RUN apt-get install -y curl\nRUN apt-get install -y git\n")
    result = review_dockerfile(text)
    assert hits(result, "DF051") == []
    assert hits(result, "DF052") == [5]
    assert hits(result, "IE001") == []   # hadolint pragmas are never reported as unused


def test_unused_and_unknown_suppressions_are_reported(review_dockerfile):
    text = ("FROM debian:12\n# infra-expert: ignore=DF050\nRUN apt-get install -y --no-install-recommends curl=1\n"
            "# infra-expert: ignore=DF999 typo\nUSER 1\n")
    result = review_dockerfile(text)
    assert hits(result, "IE001") == [2]
    assert hits(result, "IE002") == [4]


def test_buildkit_check_skip_directive_is_honoured(review_dockerfile):
    text = "# check=skip=JSONArgsRecommended\nFROM alpine:3.20\nUSER 1\nCMD sh -c 'x'\n"
    assert hits(review_dockerfile(text), "DF019") == []
    assert hits(review_dockerfile(text.split("\n", 1)[1]), "DF019") == [3]


def test_suppression_comment_inside_a_continuation(review_dockerfile):
    text = ("FROM debian:12\nRUN apt-get update \\\n  # infra-expert: ignore=DF053\n"
            "  && apt-get install -y --no-install-recommends curl=1\n")
    assert hits(review_dockerfile(text), "DF053") == []


def test_kubernetes_ids_in_comments(tmp_path):
    from conftest import run_review, write_tree
    write_tree(tmp_path, {"m.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
                                    "  namespace: default  # infra-expert: ignore=K8071 legacy\n"})
    result = run_review(tmp_path)
    assert [f.rule.id for f in result.findings] == []
