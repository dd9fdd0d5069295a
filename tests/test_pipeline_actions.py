"""zizmor's other offline audits (CI040–CI049) firing and staying quiet, compared by rule
id and line; and zizmor's `# zizmor: ignore[…]` comments silencing exactly the rules that
claim that audit."""

from __future__ import annotations

import pytest

from conftest import rule_locations, run_review, write_tree
from test_pipeline import SHA, job, wf

W = ".github/workflows/ci.yml"
A = "action.yml"
PRT = "pull_request_target"

# wf(job(steps)): line 9 is the first step.
CASES = [
    # CI040 github-env: a computed value written on a dangerous trigger
    ("CI040", {W: wf(job("      - run: |\n          echo hi\n"
                         "          echo \"TAG=$(git describe)\" >> \"$GITHUB_ENV\"\n"
                         "          echo \"$DIR\" >> $GITHUB_PATH\n"), on=PRT)}, [(W, 11)]),
    ("CI040", {W: wf(job("      - run: cat out.txt | tee -a ${GITHUB_ENV}\n"),
                     on="workflow_run")}, [(W, 9)]),
    ("CI040", {W: wf(job("      - run: echo \"MODE=release\" >> $GITHUB_ENV\n"
                         "      - run: echo 'X=${{ github.sha }}' >> $GITHUB_ENV\n"), on=PRT)},
     []),
    ("CI040", {W: wf(job("      - run: echo \"TAG=$(git describe)\" >> $GITHUB_ENV\n"))}, []),
    ("CI040", {W: wf(job("      - run: echo $X | Out-File -Append $env:GITHUB_ENV\n"
                         "        shell: pwsh\n"), on=PRT)}, [(W, 9)]),
    # CI041 use-trusted-publishing
    ("CI041", {W: wf(job("      - uses: pypa/gh-action-pypi-publish@release/v1\n"
                         "        with:\n"
                         "          password: ${{ secrets.PYPI_TOKEN }}\n"))}, [(W, 11)]),
    ("CI041", {W: wf(job("      - run: |\n          python -m build\n"
                         "          twine upload dist/*\n"))}, [(W, 11)]),
    ("CI041", {W: wf(job("      - uses: pypa/gh-action-pypi-publish@release/v1\n"
                         "        with:\n"
                         "          password: ${{ secrets.TOKEN }}\n"
                         "          repository-url: https://pypi.example.com/\n"
                         "      - run: cargo publish --dry-run\n"))}, []),
    ("CI041", {W: wf(job("      - run: npm publish --provenance\n"),
                     permissions="permissions:\n  id-token: write\n")}, []),
    # CI042 unpinned-images
    # GitLab: a `default:` image shared by two jobs is one finding, on the default's line;
    # each service item on its own line; a tag, a digest or a variable is pinned enough
    ("CI042", {".gitlab-ci.yml": "default:\n  image: node\n  services:\n    - postgres:latest\n"
                                 "    - name: redis:7\na:\n  script: [make]\nb:\n"
                                 "  script: [make]\nc:\n  image: python:3.12\n"
                                 "  services: [$DB_IMAGE]\n  script: [make]\n"},
     [(".gitlab-ci.yml", 2), (".gitlab-ci.yml", 4)]),
    ("CI042", {".gitlab-ci.yml": "a:\n  image: {name: 'alpine:3.20', entrypoint: ['']}\n"
                                 "  services: [docker:27-dind]\n  script: [make]\n"}, []),
    # Woodpecker: a plugin without a tag is given the step's secrets all the same
    ("CI042", {".woodpecker.yml": "steps:\n  - name: image\n"
                                  "    image: woodpeckerci/plugin-docker-buildx\n"
                                  "  - name: test\n    image: golang:1.23\n"
                                  "    commands: [go test ./...]\n"},
     [(".woodpecker.yml", 3)]),
    ("CI042", {W: wf("  test:\n    runs-on: x\n    container: node\n"
                     "    services:\n      db:\n        image: postgres:latest\n"
                     "      cache:\n        image: redis:7.4\n"
                     "    steps:\n      - run: make\n")}, [(W, 8), (W, 11)]),
    ("CI042", {W: wf("  test:\n    runs-on: x\n"
                     "    strategy:\n      matrix:\n        img: [alpine, 'alpine:3.20']\n"
                     "    container:\n      image: ${{ matrix.img }}\n"
                     "    steps:\n      - run: make\n")}, [(W, 12)]),
    ("CI042", {W: wf("  test:\n    runs-on: x\n    container:\n      image: node:22\n"
                     "    services:\n      db:\n        image: postgres@sha256:" + "a" * 64 +
                     "\n      x:\n        image: ${{ inputs.image }}\n"
                     "    steps:\n      - run: make\n")}, []),
    ("CI042", {A: "name: a\nruns:\n  using: docker\n  image: docker://alpine\n"}, [(A, 4)]),
    ("CI042", {A: "name: a\nruns:\n  using: docker\n  image: Dockerfile\n"}, []),
    # CI043 bot-conditions
    ("CI043", {W: wf("  merge:\n    runs-on: x\n"
                     "    if: github.actor == 'dependabot[bot]'\n"
                     "    steps:\n      - run: gh pr merge --auto\n"
                     "        if: ${{ 'renovate[bot]' == github.triggering_actor && true }}\n",
                     on=PRT)}, [(W, 8), (W, 11)]),
    ("CI043", {W: wf("  merge:\n    runs-on: x\n"
                     "    if: github.event.pull_request.user.login == 'dependabot[bot]'\n"
                     "    steps:\n      - run: gh pr merge --auto\n", on=PRT)}, []),
    ("CI043", {W: wf("  merge:\n    runs-on: x\n"
                     "    if: github.actor == 'dependabot[bot]'\n"
                     "    steps:\n      - run: make\n", on="pull_request")}, []),
    # CI044 overprovisioned-secrets
    ("CI044", {W: wf(job("      - run: ./deploy.sh\n        env:\n"
                         "          ALL: ${{ toJSON(secrets) }}\n"
                         "          ONE: ${{ secrets[matrix.name] }}\n"))},
     [(W, 11), (W, 12)]),
    ("CI044", {W: wf(job("      - run: ./deploy.sh\n        env:\n"
                         "          A: ${{ secrets.A }}\n          B: ${{ secrets['B'] }}\n"
                         "          C: ${{ toJSON(github) }}\n"))}, []),
    # CI045 unredacted-secrets
    ("CI045", {W: wf(job("      - run: ./deploy.sh\n        env:\n"
                         "          USER: ${{ fromJSON(secrets.CREDS).user }}\n"
                         "          PASS: ${{ fromJson(secrets.CREDS)['password'] }}\n"))},
     [(W, 11), (W, 12)]),
    ("CI045", {W: wf(job("      - run: ./deploy.sh\n        env:\n"
                         "          CREDS: ${{ secrets.CREDS }}\n"
                         "          X: ${{ fromJSON(vars.CONFIG).region }}\n"))}, []),
    # CI046 obfuscation
    ("CI046", {W: wf(job(f"      - uses: actions/checkout/./@{SHA}\n"
                         f"      - uses: owner//repo@{SHA}\n"
                         "      - run: echo ${{ fromJSON(toJSON(github.ref)) }}\n"
                         "        with:\n"
                         "          r: ${{ format('{0}/{1}', 'octo', 'hello') }}\n"))},
     [(W, 9), (W, 10), (W, 11), (W, 13)]),
    ("CI046", {W: wf(job(f"      - uses: actions/checkout@{SHA}\n"
                         "      - uses: ./.github/actions/setup\n"
                         "      - run: echo ${{ format('{0}-x', github.ref) }}\n"))}, []),
    # CI047 archived-uses
    ("CI047", {W: wf(job("      - uses: actions/create-release@v1\n"
                         "      - uses: actions-rs/toolchain@v1\n"))}, [(W, 9), (W, 10)]),
    ("CI047", {W: wf(job("      - uses: softprops/action-gh-release@v2\n"
                         "      - uses: dtolnay/rust-toolchain@stable\n"))}, []),
    # CI048 github-app
    ("CI048", {W: wf(job("      - uses: actions/create-github-app-token@v2\n"
                         "        with:\n          app-id: ${{ vars.APP_ID }}\n"
                         "          private-key: ${{ secrets.KEY }}\n"
                         "          owner: my-org\n"))}, [(W, 9)]),
    ("CI048", {W: wf(job("      - uses: actions/create-github-app-token@v2\n"
                         "        with:\n          app-id: ${{ vars.APP_ID }}\n"
                         "          private-key: ${{ secrets.KEY }}\n"
                         "          skip-token-revoke: true\n"
                         "          permission-contents: write\n"))}, [(W, 9)]),
    ("CI048", {W: wf(job("      - uses: actions/create-github-app-token@v2\n"
                         "        with:\n          app-id: ${{ vars.APP_ID }}\n"
                         "          private-key: ${{ secrets.KEY }}\n"
                         "          owner: my-org\n          repositories: site\n"
                         "          permission-contents: write\n"))}, []),
    # CI049 unsound-condition / unsound-contains
    ("CI049", {W: wf(job("      - run: make deploy\n        if: |\n          ${{ false }}\n"
                         "      - run: make\n        if: ${{ github.ref }} == 'x'\n"
                         "      - run: terraform apply\n"
                         "        if: contains('refs/heads/main refs/heads/dev', github.ref)\n"))},
     [(W, 10), (W, 13), (W, 15)]),
    ("CI049", {W: wf(job("      - run: make deploy\n        if: |-\n          ${{ false }}\n"
                         "      - run: make\n        if: ${{ github.ref == 'x' }}\n"
                         "      - run: make\n"
                         "        if: contains(fromJSON('[\"refs/heads/main\"]'), github.ref)\n"
                         "      - run: make\n"
                         "        if: contains(github.event.head_commit.message, '[skip]')\n"))},
     []),
]


@pytest.mark.parametrize("rule,files,expected", CASES,
                         ids=[f"{c[0]}-{'fires' if c[2] else 'quiet'}-{i}"
                              for i, c in enumerate(CASES)])
def test_rule(tmp_path, rule, files, expected):
    assert rule_locations(tmp_path, files, rule) == sorted(expected)


def test_severities_follow_the_stakes(tmp_path):
    files = {W: wf(job("      - run: make\n        if: |\n          ${{ false }}\n"
                       "      - run: make\n        if: contains('a b', github.ref)\n"
                       "      - run: twine upload dist/*\n"))}
    write_tree(tmp_path, files)
    got = {(f.rule.id, f.line): f.severity for f in run_review(tmp_path).findings
           if f.rule.id in ("CI049", "CI041")}
    assert got == {("CI049", 10): "critical", ("CI049", 13): "warning",
                   ("CI041", 14): "suggestion"}


# -- zizmor's ignore comments ------------------------------------------------------------

_ARCHIVED = "      - uses: actions/create-release@v1{c}\n"
_PUBLISH = ("      - uses: pypa/gh-action-pypi-publish@release/v1\n        with:\n"
            "          password: ${{{{ secrets.T }}}}{c}\n")


def _found(tmp_path, text, *rules):
    write_tree(tmp_path, {W: text})
    return sorted((f.rule.id, f.line) for f in run_review(tmp_path).findings
                  if f.rule.id in rules)


def test_zizmor_comment_silences_the_rule_of_its_audit_on_its_line(tmp_path):
    text = wf(job(_ARCHIVED.format(c="  # zizmor: ignore[archived-uses]")
                  + _ARCHIVED.format(c="")))
    assert _found(tmp_path, text, "CI047") == [("CI047", 10)]


def test_zizmor_comment_names_one_audit_not_another(tmp_path):
    text = wf(job(_ARCHIVED.format(c="  # zizmor: ignore[unpinned-uses]")))
    assert _found(tmp_path, text, "CI047", "CI002") == [("CI047", 9)]


def test_zizmor_comment_lists_audits_with_commas_and_spaces(tmp_path):
    text = wf(job(_ARCHIVED.format(c="  # zizmor: ignore[unpinned-uses, archived-uses] ok")))
    assert _found(tmp_path, text, "CI047", "CI002") == []


def test_zizmor_comment_anywhere_in_the_step_covers_the_step(tmp_path):
    # zizmor: a comment in any span of the finding (the step) ignores it
    text = wf(job(_PUBLISH.format(c="") .replace(
        "        with:\n", "        with:  # zizmor: ignore[use-trusted-publishing]\n")
        + _PUBLISH.format(c="")))
    assert _found(tmp_path, text, "CI041") == [("CI041", 14)]


def test_zizmor_grammar_is_exact(tmp_path):
    for comment in ("  #zizmor: ignore[archived-uses]", "  # zizmor:ignore[archived-uses]",
                    "  # zizmor: ignore[archived-uses]x", "  # zizmor: ignore[Archived-Uses]",
                    "  # zizmor: ignore archived-uses"):
        text = wf(job(_ARCHIVED.format(c=comment)))
        assert _found(tmp_path, text, "CI047") == [("CI047", 9)], comment


def test_zizmor_comment_inside_a_script_is_the_script_s(tmp_path):
    # a `#` inside `run: |` is a shell comment: zizmor does not read it, nor do we
    text = wf(job("      - run: |\n          # zizmor: ignore[github-env]\n"
                  "          echo \"A=$(date)\" >> $GITHUB_ENV\n"), on=PRT)
    assert _found(tmp_path, text, "CI040") == [("CI040", 11)]


def test_zizmor_comment_outside_steps_covers_its_line_only(tmp_path):
    text = wf("  test:\n    runs-on: x\n"
              "    container: node  # zizmor: ignore[unpinned-images]\n"
              "    services:\n      db:\n        image: postgres\n"
              "    steps:\n      - run: make\n")
    assert _found(tmp_path, text, "CI042") == [("CI042", 11)]


def test_zizmor_comment_for_an_audit_without_rule_is_not_reported(tmp_path):
    text = wf(job("      - run: make  # zizmor: ignore[concurrency-limits]\n"))
    write_tree(tmp_path, {W: text})
    assert not [f for f in run_review(tmp_path).findings if f.rule.id.startswith("IE")]
