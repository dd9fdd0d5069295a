"""CI/CD pipelines (GitHub Actions): recognition, the model, and every CI rule firing and
staying quiet, compared by rule id and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import SHARED, needs_shared, rule_locations, run_review
from infra_expert.config import Config
from infra_expert.discover import Where
from infra_expert.engine import review
from infra_expert.pipeline import by_content, by_name, confirm
from infra_expert.pipeline.model import load_workflow

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "pipeline"
W = ".github/workflows/ci.yml"
SHA = "11bd71901bbe5b1630ceea73d27597364c9af683"


def wf(body, on="push", permissions="permissions:\n  contents: read\n"):
    """A workflow: `on`, permissions, then `jobs:` with `body` (already indented)."""
    return f"name: ci\non: {on}\n{permissions}jobs:\n{body}"


def job(steps, head="  test:\n    runs-on: ubuntu-24.04\n"):
    return head + "    steps:\n" + steps


CHECKOUT = f"      - uses: actions/checkout@{SHA}\n        with:\n          persist-credentials: false\n"

# (rule, {file: text}, [(file, line)])
CASES = [
    ("CI001", {W: "on: push\njobs:\n  a:\n    steps:\n      - run: x\n     - run: y\n"}, [(W, 6)]),
    ("CI001", {W: "on: push\njobs: 3\n"}, [(W, 2)]),
    ("CI001", {W: "name: x\njobs:\n  a:\n    runs-on: x\n    steps: [{run: y}]\n"}, [(W, 1)]),
    ("CI001", {W: "# switched off\n# on: push\n"}, []),
    ("CI001", {W: wf(job("      - run: make\n"))}, []),
    ("CI002", {W: wf(job("      - uses: tj-actions/changed-files@v44\n"
                         "      - uses: actions/checkout@v4\n"
                         "      - uses: docker://alpine:3.20\n"
                         "      - uses: owner/repo@main\n"))},
     [(W, 9), (W, 10), (W, 11), (W, 12)]),
    ("CI002", {W: wf(job(f"      - uses: owner/repo@{SHA}  # v1\n"
                         "      - uses: ./.github/actions/setup\n"
                         "      - uses: docker://alpine@sha256:" + "a" * 64 + "\n"))}, []),
    ("CI002", {W: wf("  call:\n    uses: org/wf/.github/workflows/x.yml@v1\n")}, [(W, 7)]),
    ("CI003", {W: wf(job("      - run: make\n"), permissions="")}, [(W, 3)]),
    ("CI003", {W: wf(job("      - run: make\n"), permissions="permissions: write-all\n")},
     [(W, 3)]),
    ("CI003", {W: wf(job("      - run: make\n", "  test:\n    runs-on: x\n"
                         "    permissions: write-all\n"))}, [(W, 8)]),
    ("CI003", {W: wf(job("      - run: make\n", "  test:\n    runs-on: x\n"
                         "    permissions: {contents: read}\n"), permissions="")}, []),
    ("CI003", {W: wf(job("      - run: make\n"), on="workflow_call", permissions="")}, []),
    # zizmor's excessive-permissions: `read-all` anywhere; a write scope at the top of a
    # workflow of several jobs (one job: it is that job's own grant)
    ("CI003", {W: wf(job("      - run: make\n") + job("      - run: make\n", "  docs:\n    runs-on: x\n"
                         "    permissions: read-all\n"), permissions="permissions: read-all\n")},
     [(W, 3), (W, 11)]),
    ("CI003", {W: wf(job("      - run: make\n") + job("      - run: make\n", "  docs:\n    runs-on: x\n"),
                     permissions="permissions:\n  contents: write\n  pages: read\n")}, [(W, 4)]),
    ("CI003", {W: wf(job("      - run: make\n"),
                     permissions="permissions:\n  contents: write\n  pages: read\n")}, []),
    ("CI003", {W: wf(job("      - run: make\n"), permissions="permissions: read-all\n")}, []),
    ("CI003", {".forgejo/workflows/ci.yml": wf(job("      - run: make\n"), permissions="")},
     []),
    ("CI004", {W: wf(job("      - run: |\n          echo hi\n"
                         "          echo \"${{ github.event.issue.title }}\"\n"),
                     on="issues")}, [(W, 11)]),
    ("CI004", {W: wf(job("      - run: git push origin ${{ github.head_ref }}\n"),
                     on="pull_request")}, [(W, 9)]),
    ("CI004", {W: wf(job("      - env:\n          TITLE: ${{ github.event.issue.title }}\n"
                         "        run: echo \"$TITLE\" ${{ github.event.issue.number }}\n"),
                     on="issues")}, []),
    ("CI005", {W: wf(job("      - uses: actions/checkout@v4\n        with:\n"
                         "          ref: ${{ github.event.pull_request.head.sha }}\n"
                         "      - run: make test\n"), on="pull_request_target")}, [(W, 9)]),
    # the base branch checked out: no pwn request, but the trigger itself is named (a
    # suggestion, as zizmor's dangerous-triggers does), at its line
    ("CI005", {W: wf(job("      - uses: actions/checkout@v4\n      - run: make test\n"),
                     on="pull_request_target")}, [(W, 2)]),
    ("CI005", {W: wf(job("      - run: gh pr edit --add-label triage\n"),
                     on="\n  workflow_run:\n    workflows: [ci]\n")}, [(W, 3)]),
    ("CI005", {W: wf(job("      - uses: actions/checkout@v4\n        with:\n"
                         "          ref: ${{ github.event.pull_request.head.sha }}\n"
                         "      - run: make test\n"), on="pull_request")}, []),
    ("CI006", {W: wf(job("      - uses: actions/checkout@v4\n      - run: make\n"
                         "      - uses: actions/upload-artifact@v4\n        with:\n"
                         "          path: .\n          include-hidden-files: true\n"))},
     [(W, 9)]),
    ("CI006", {W: wf(job(CHECKOUT + "      - uses: actions/upload-artifact@v4\n"
                         "        with:\n          path: .\n"
                         "          include-hidden-files: true\n"))}, []),
    # no workspace upload: the checkout that keeps its token is still named (zizmor's
    # artipacked does), as a suggestion
    ("CI006", {W: wf(job("      - uses: actions/checkout@v4\n"
                         "      - uses: actions/upload-artifact@v4\n        with:\n"
                         "          path: dist/\n"))}, [(W, 9)]),
    ("CI006", {W: wf(job(CHECKOUT + "      - uses: actions/upload-artifact@v4\n        with:\n"
                         "          path: dist/\n"))}, []),
    ("CI007", {W: wf(job(CHECKOUT + "      - uses: actions/cache@v4\n        with:\n"
                         "          path: ~/.npm\n          key: npm\n"), on="release")},
     [(W, 12)]),
    ("CI007", {W: wf(job(CHECKOUT + "      - uses: actions/setup-go@v5\n"),
                     on="{push: {tags: ['v*']}}")}, [(W, 12)]),
    # tags with branches are a tag push too (zizmor counts them); `cache: false` is quiet
    ("CI007", {W: wf(job(CHECKOUT + "      - uses: actions/cache@v4\n"
                         "      - uses: actions/setup-go@v5\n        with: {cache: false}\n"),
                     on="{push: {branches: [main], tags: ['v*']}}")}, [(W, 12)]),
    # on a branch push, the job that publishes is the release job; the job beside it is not
    ("CI007", {W: wf(job(CHECKOUT + "      - uses: actions/setup-python@v5\n        with: {cache: pip}\n"
                         "      - uses: pypa/gh-action-pypi-publish@release/v1\n")
                     + job(CHECKOUT + "      - uses: actions/setup-python@v5\n        with: {cache: pip}\n",
                           head="  lint:\n    runs-on: ubuntu-24.04\n"),
                     on="{push: {branches: [main]}}")}, [(W, 12)]),
    ("CI007", {W: wf(job(CHECKOUT + "      - uses: actions/setup-go@v5\n        with: {cache: false}\n"
                         "      - uses: goreleaser/goreleaser-action@v6\n"),
                     on="workflow_dispatch")}, []),
    # `docker/build-push-action` publishes unless it says `push: false`
    ("CI007", {W: wf(job(CHECKOUT + "      - uses: actions/cache@v4\n"
                         "      - uses: docker/build-push-action@v6\n        with: {push: false}\n"),
                     on="pull_request")}, []),
    ("CI007", {W: wf(job(CHECKOUT + "      - uses: actions/cache@v4\n"
                         "      - uses: docker/build-push-action@v6\n        with: {tags: app}\n"),
                     on="pull_request")}, [(W, 12)]),
    ("CI008", {W: wf("  call:\n    uses: org/wf/.github/workflows/x.yml@" + SHA + "\n"
                     "    secrets: inherit\n")}, [(W, 8)]),
    ("CI008", {W: wf("  call:\n    uses: org/wf/.github/workflows/x.yml@" + SHA + "\n"
                     "    secrets:\n      TOKEN: ${{ secrets.TOKEN }}\n")}, []),
    ("CI009", {W: wf(job("      - run: make\n", "  test:\n    runs-on: [self-hosted, arm64]\n"),
                     on="pull_request")}, [(W, 7)]),
    ("CI009", {W: wf(job("      - run: make\n", "  test:\n    runs-on: [self-hosted, arm64]\n"),
                     on="push")}, []),
    ("CI010", {W: wf(job("      - run: |\n          set -e\n"
                         "          curl -fsSL https://get.example.sh | sudo bash -s\n"))},
     [(W, 11)]),
    ("CI010", {W: wf(job("      - run: curl -fsSLo tool.sh https://x/tool.sh && "
                         "sha256sum -c tool.sha256 && sh tool.sh\n"))}, []),
    ("CI011", {W: wf(job("      - run: |\n          echo ${{ secrets.DEPLOY_KEY }}\n"
                         "          docker login -p ${{ secrets.REG }} ghcr.io\n"))},
     [(W, 10), (W, 11)]),
    ("CI011", {W: wf(job("      - env:\n          REG: ${{ secrets.REG }}\n"
                         "        run: echo \"$REG\" | docker login --password-stdin ghcr.io\n"))},
     []),
    ("CI012", {W: wf("  test:\n    runs-on: x\n    services:\n      db:\n"
                     "        image: ghcr.io/acme/db:1\n        credentials:\n"
                     "          username: acme\n          password: hunter2-Real-0ne\n"
                     "    steps: [{run: make}]\n")}, [(W, 13)]),
    ("CI012", {W: wf("  test:\n    runs-on: x\n    container:\n"
                     "      image: ghcr.io/acme/db:1\n      credentials:\n"
                     "        username: acme\n        password: ${{ secrets.REG }}\n"
                     "    steps: [{run: make}]\n")}, []),
    ("CI013", {W: wf(job("      - run: make\n        env:\n"
                         "          ACTIONS_ALLOW_UNSECURE_COMMANDS: 'true'\n"))}, [(W, 11)]),
    ("CI013", {W: wf(job("      - run: make\n        env:\n          OTHER: 'true'\n"))}, []),
]


@pytest.mark.parametrize("rule,files,expected", CASES,
                         ids=[f"{c[0]}-{'fires' if c[2] else 'quiet'}-{i}"
                              for i, c in enumerate(CASES)])
def test_rule(tmp_path, rule, files, expected):
    assert rule_locations(tmp_path, files, rule) == sorted(expected)


def _marked(base):
    """(rule, path, line) of every `# <- CI…` marker in the fixture tree."""
    out = set()
    for path in sorted(base.rglob("*.y*ml")):
        rel = path.relative_to(base).as_posix()
        for i, line in enumerate(path.read_text().split("\n"), 1):
            m = re.search(r"# <- ((?:CI\d{3} ?)+)", line)
            if m:
                out.update((rid, rel, i) for rid in m.group(1).split())
    return out


def test_fixtures_fire_exactly_where_marked():
    result = run_review(FIXTURES)
    assert not [n for n in result.notices if "internal error" in n.message]
    found = {(f.rule.id, ".github/" + f.path.replace("\\", "/").split(".github/", 1)[1],
              f.line) for f in result.findings if f.rule.id.startswith("CI")}
    assert found == _marked(FIXTURES)
    severities = {f.rule.id: f.severity for f in result.findings
                  if f.rule.id in ("CI004", "CI005") and "triage" in f.path}
    assert severities == {"CI004": "critical", "CI005": "critical"}


def test_messages_never_print_a_secret_value():
    result = run_review(FIXTURES)
    text = " ".join(f.message for f in result.findings)
    assert "s3cr3tP4ssw0rd" not in text


def _where(path):
    return Where(path=path, abspath="/repo/" + path, root="/repo")


@pytest.mark.parametrize("path,head,kind", [
    (".github/workflows/ci.yml", "anything: 1\n", "workflow"),
    (".forgejo/workflows/ci.yaml", "on: push\n", "workflow"),
    (".gitea/workflows/ci.yml", "on: push\n", "workflow"),
    ("ci/build.yml", "on:\n  push:\njobs:\n  a:\n    runs-on: x\n", "workflow"),
    ("ci/build.yml", "on: push\njobs: 3\n", None),
    ("workflows/ci.yml", "name: x\nsteps: []\n", None),
    (".github/workflows/notes.txt", "on: push\n", None),
])
def test_recognition_by_folder_and_content(path, head, kind):
    assert by_content(head, path.rsplit("/", 1)[1], _where(path)) == kind


def test_composite_and_docker_actions_but_not_javascript_ones():
    assert by_name("action.yml") == "action" and by_name("action.yaml") == "action"
    assert confirm("action", "runs:\n  using: composite\n  steps: []\n", None) == "action"
    assert confirm("action", "runs:\n  using: 'docker'\n  image: Dockerfile\n", None) == "action"
    assert confirm("action", "runs:\n  using: node20\n  main: index.js\n", None) is None


def test_on_is_the_key_on_not_true():
    flow = load_workflow("on:\n  pull_request_target:\n  issues:\njobs:\n  a:\n"
                         "    runs-on: x\n    steps:\n      - run: y\n", "w.yml", "workflow")
    assert not flow.problems
    assert set(flow.triggers) == {"pull_request_target", "issues"}
    assert flow.triggers_line == 1
    step = flow.jobs[0].steps[0]
    assert (flow.jobs[0].id, flow.jobs[0].line, step.line, step.run) == ("a", 5, 8, "y")


@pytest.mark.parametrize("text", ["on: [push, 3, [x]]\njobs: {a: 3, b: {steps: 3}, "
                                  "c: {steps: [1, null, {uses: [1]}, {run: {a: 1}}]}}\n",
                                  "- 1\n", "on: push\njobs:\n  a:\n    runs-on: {labels: 3}\n"
                                  "    permissions: [1]\n    container: 3\n    services: 3\n"
                                  "    steps:\n      - {uses: 'docker://', with: 3, env: 3}\n",
                                  "{{ x }}\n", "on: push\njobs: {a: {uses: 3, secrets: 3}}\n"])
def test_malformed_workflows_do_not_crash(tmp_path, text):
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "x.yml").write_text(text)
    result = run_review(tmp_path)
    assert not [n for n in result.notices if "internal error" in n.message]


@needs_shared
def test_corpus_ci_reviews_without_a_crash():
    base = SHARED / "corpus-ci"
    paths = [str(base / p.strip()) for p in
             (SHARED / "corpus_lists" / "ci.txt").read_text().splitlines() if p.strip()]
    assert len(paths) == 139
    result = review(paths, Config(), str(base))
    assert not [(n.path, n.message) for n in result.notices if "internal error" in n.message]
    assert len([1 for _, d in result.files if d == "pipeline"]) >= 125


def test_a_finding_s_column_is_where_its_key_starts(tmp_path):
    from conftest import run_review, write_tree
    write_tree(tmp_path, {".github/workflows/ci.yml": (
        "on: push\npermissions: {contents: read}\njobs:\n  build:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: someone/action@v1\n      - name: x\n"
        "        uses: other/action@main\n")})
    result = run_review(tmp_path)
    found = sorted((f.line, f.column) for f in result.findings if f.rule.id == "CI002")
    assert found == [(7, 9), (9, 9)]


def test_a_secret_piped_to_stdin_is_not_said_echoed(tmp_path):
    from conftest import run_review, write_tree
    write_tree(tmp_path, {".github/workflows/ci.yml": wf(job(
        "      - run: |\n"
        "          echo \"${{ secrets.REGISTRY_TOKEN }}\" | docker login -u me --password-stdin r.io\n"
        "          echo \"${{ secrets.DEBUG_TOKEN }}\"\n"
        "          echo \"${{ secrets.KUBECONFIG }}\" > kubeconfig\n"))})
    said = sorted((f.line, f.message) for f in run_review(tmp_path).findings
                  if f.rule.id == "CI011")
    assert [line for line, _ in said] == [10, 11, 12]
    assert "pasted into the script text (piped on" in said[0][1] and "echoed" not in said[0][1]
    assert "`DEBUG_TOKEN` echoed" in said[1][1]
    assert "`KUBECONFIG` pasted into the script text (written to a file" in said[2][1]


def test_forgejo_url_uses_are_read_as_owner_and_repo(tmp_path):
    from conftest import run_review, write_tree
    from infra_expert.pipeline.model import Uses
    u = Uses("https://code.forgejo.org/actions/checkout@v4")
    assert (u.host, u.name, u.ref, u.kind) == ("code.forgejo.org", "actions/checkout", "v4",
                                                "action")
    write_tree(tmp_path, {".forgejo/workflows/ci.yml": (
        "on: [push]\njobs:\n  test:\n    runs-on: docker\n    steps:\n"
        "      - uses: https://code.forgejo.org/actions/checkout@v4\n"
        "      - uses: https://github.com/someone/tool@main\n"
        "      - uses: https://example.org/actions/checkout@v4\n")})
    found = sorted((f.line, f.severity, f.message) for f in run_review(tmp_path).findings
                   if f.rule.id == "CI002")
    assert [(line, sev) for line, sev, _ in found] == [
        (6, "suggestion"), (7, "warning"), (8, "warning")]
    assert "Forgejo's own action" in found[0][2]
