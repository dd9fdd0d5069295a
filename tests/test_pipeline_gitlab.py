"""GitLab CI and Woodpecker in the pipeline domain: recognition, the model (script lines,
`default:`/`extends:`/`!reference` inheritance, local includes through the gate), CI001
for each kind, and the shell rules firing on GitLab and Woodpecker at their lines."""

from __future__ import annotations

import os

import pytest

from conftest import SHARED, needs_shared, rule_locations, run_review, write_tree
from infra_expert.config import Config
from infra_expert.discover import Where
from infra_expert.engine import review
from infra_expert.pipeline import by_content, by_name
from infra_expert.pipeline.gitlab import load_gitlab, load_woodpecker

G = ".gitlab-ci.yml"
WP = ".woodpecker.yml"


def _read_from(files):
    def read(disp, full):
        return files.get(os.path.normpath(disp))
    return read


def gl(text, files=None):
    return load_gitlab(text, G, _read_from(files or {}))


def scripts(flow, job_id):
    job = next(j for j in flow.jobs if j.id == job_id)
    return [(p.path, line, t) for p in job.steps[0].scripts() for line, t in [p]]


# (rule, {file: text}, [(file, line)])
CASES = [
    # CI001: what GitLab / Woodpecker refuse
    ("CI001", {G: "build:\n  stage: build\n  image: alpine\n"}, [(G, 1)]),
    ("CI001", {G: "build:\n  extends: .nowhere\n  script: make\n"}, [(G, 2)]),
    ("CI001", {G: ".a:\n  extends: .b\n.b:\n  extends: .a\nbuild:\n  extends: .a\n"
                  "  script: make\n"}, [(G, 4)]),
    ("CI001", {G: "include:\n  - local: ci/missing.yml\nbuild:\n  script: make\n"}, [(G, 2)]),
    ("CI001", {G: "include: '../../etc/passwd.yml'\nbuild:\n  script: make\n"}, [(G, 1)]),
    ("CI001", {G: "include: /etc/passwd\nbuild:\n  script: make\n"}, [(G, 1)]),
    ("CI001", {G: "build: [make]\ntest:\n  script: make test\n"}, [(G, 1)]),
    ("CI001", {G: "build:\n  script: [make\n"}, [(G, 3)]),
    ("CI001", {G: "include: ci/jobs.yml\n", "ci/jobs.yml": "test:\n  stage: test\n"},
     [("ci/jobs.yml", 1)]),
    # not refused: a template without script, a trigger job, jobs from a remote include
    ("CI001", {G: ".tpl:\n  image: alpine\nbuild:\n  extends: .tpl\n  script: make\n"
                  "down:\n  trigger: group/project\n"}, []),
    ("CI001", {G: "include:\n  - project: group/ci\n    file: base.yml\n"
                  "build:\n  extends: .from-remote\ntest:\n  variables: {A: 1}\n"}, []),
    ("CI001", {G: "spec:\n  inputs:\n    env: {default: x}\n---\nbuild:\n  script: make\n"}, []),
    ("CI001", {"tests/data/" + G: "build:\n  stage: build\n"}, []),
    ("CI001", {G: "# nothing yet\n"}, []),
    ("CI001", {WP: "steps:\n  - name: build\n    commands: [make]\n"}, [(WP, 2)]),
    ("CI001", {WP: "when:\n  event: push\n"}, [(WP, 1)]),
    ("CI001", {".woodpecker/ci.yaml": "pipeline:\n  build:\n    image: alpine\n"
                                      "    commands: [make]\n"}, []),
    # CI010: curl | sh in GitLab scripts, included files, templates, Woodpecker commands
    ("CI010", {G: "build:\n  script:\n    - make\n    - curl -fsSL https://x.sh/i | bash\n"},
     [(G, 4)]),
    ("CI010", {G: "build:\n  script:\n    - |\n      set -e\n"
                  "      curl -fsSL https://x.sh/i | sh -s -- -y\n"}, [(G, 5)]),
    ("CI010", {G: "include: ci/build.yml\n",
               "ci/build.yml": "build:\n  script:\n    - wget -qO- https://x/i | sh\n"},
     [("ci/build.yml", 3)]),
    ("CI010", {G: ".setup:\n  before_script:\n    - curl -s https://x/i | bash\n"
                  "a:\n  extends: .setup\n  script: make a\n"
                  "b:\n  extends: .setup\n  script: make b\n"}, [(G, 3)]),
    ("CI010", {G: "default:\n  before_script:\n    - curl -s https://x/i | bash\n"
                  "a:\n  script: make\nb:\n  inherit:\n    default: false\n  script: make\n"},
     [(G, 3)]),
    ("CI010", {WP: "steps:\n  build:\n    image: alpine\n    commands:\n      - apk add curl\n"
                   "      - curl -fsSL https://x/i | sh\n"}, [(WP, 6)]),
    ("CI010", {G: "build:\n  script:\n    - curl -fsSLo i.sh https://x/i && sha256sum -c "
                  "i.sha256 && sh i.sh\n"}, []),
    ("CI010", {G: "build:\n  script: make\n  variables:\n    X: curl x | sh\n"}, []),
    # CI011: secret variables echoed to the log, or given to `docker login -p`
    ("CI011", {G: "deploy:\n  script:\n    - echo $DEPLOY_TOKEN\n"
                  "    - docker login -u me -p $REGISTRY_PASSWORD registry.example.com\n"
                  "    - docker login -u gitlab-ci-token -p $CI_JOB_TOKEN $CI_REGISTRY\n"},
     [(G, 3), (G, 4), (G, 5)]),
    ("CI011", {G: "deploy:\n  script:\n    - echo \"$REGISTRY_PASSWORD\" | docker login "
                  "--password-stdin -u me registry.example.com\n"
                  "    - echo \"$SSH_PRIVATE_KEY\" > ~/.ssh/id_ed25519\n"
                  "    - echo \"deploying $CI_COMMIT_SHA\"\n"
                  "    - echo ${{ secrets.X }}\n"}, []),
    ("CI011", {WP: "steps:\n  - name: publish\n    image: alpine\n    environment:\n"
                   "      NPM: {from_secret: npm}\n    commands:\n      - echo $NPM\n"
                   "      - echo $$NPM | npm login\n"}, [(WP, 7)]),
    # CI012: a registry password written in the pipeline
    ("CI012", {WP: "steps:\n  - name: image\n    image: woodpeckerci/plugin-docker-buildx\n"
                   "    settings:\n      repo: me/app\n      username: me\n"
                   "      password: hunter2-Real-0ne\n"}, [(WP, 7)]),
    ("CI012", {WP: "steps:\n  - name: image\n    image: woodpeckerci/plugin-docker-buildx\n"
                   "    settings:\n      username: me\n      password:\n"
                   "        from_secret: registry_password\n"}, []),
    ("CI012", {G: "variables:\n  DOCKER_AUTH_CONFIG: '{\"auths\": {\"r.example.com\": "
                  "{\"auth\": \"bWU6aHVudGVyMg==\"}}}'\nbuild:\n  script: make\n"
                  "test:\n  script: make test\n"}, [(G, 2)]),
    ("CI012", {G: "build:\n  script: make\n  variables:\n"
                  "    DOCKER_AUTH_CONFIG: $REGISTRY_AUTH\n"}, []),
]


@pytest.mark.parametrize("rule,files,expected", CASES,
                         ids=[f"{c[0]}-{'fires' if c[2] else 'quiet'}-{i}"
                              for i, c in enumerate(CASES)])
def test_rule(tmp_path, rule, files, expected):
    assert rule_locations(tmp_path, files, rule) == sorted(expected)


GITHUB_ONLY = ("CI002", "CI003", "CI004", "CI005", "CI006", "CI007", "CI008", "CI009",
               "CI013")


def test_github_only_rules_stay_quiet_on_gitlab_and_woodpecker(tmp_path):
    write_tree(tmp_path, {
        G: "variables:\n  ACTIONS_ALLOW_UNSECURE_COMMANDS: 'true'\n"
           "build:\n  image: alpine\n  permissions: write-all\n  uses: owner/repo@main\n"
           "  runs-on: [self-hosted]\n  secrets: inherit\n"
           "  script:\n    - echo \"$CI_COMMIT_MESSAGE\" ${{ github.event.issue.title }}\n",
        WP: "when:\n  event: [pull_request]\nsteps:\n  - name: a\n    image: alpine\n"
            "    uses: owner/repo@v1\n    commands: [echo \"$CI_COMMIT_MESSAGE\"]\n"})
    result = run_review(tmp_path)
    assert not [n for n in result.notices if "internal error" in n.message]
    assert [f for f in result.findings if f.rule.id in GITHUB_ONLY] == []


# -- recognition ---------------------------------------------------------------------------

def _where(path):
    return Where(path=path, abspath="/repo/" + path, root="/repo")


def test_recognition_by_name():
    assert by_name(".gitlab-ci.yml") == "gitlab"
    assert by_name(".woodpecker.yml") == by_name(".woodpecker.yaml") == "woodpecker"
    assert by_name("gitlab-ci.yml") is None and by_name("woodpecker.yml") is None


@pytest.mark.parametrize("path,kind", [
    (".woodpecker/build.yaml", "woodpecker"),
    (".woodpecker/test.yml", "woodpecker"),
    (".woodpecker/sub/test.yml", None),
    ("woodpecker/test.yml", None),
    (".woodpecker/notes.md", None),
])
def test_woodpecker_folder(path, kind):
    assert by_content("steps: []\n", path.rsplit("/", 1)[1], _where(path)) == kind


def test_discovery_finds_every_kind_and_the_included_files(tmp_path):
    write_tree(tmp_path, {
        G: "include:\n  - local: ci/*.yml\n  - remote: https://example.com/x.yml\n",
        "ci/build.yml": "build:\n  script: make\n",
        "ci/test.yml": "test:\n  script: make test\n",
        "ci/notes.yaml": "not: included\n",
        ".woodpecker/deploy.yaml": "services:\n  db:\n    image: postgres:16\nsteps:\n"
                                   "  - name: a\n    image: alpine\n    commands: [make]\n",
        ".woodpecker.yaml": "steps:\n  a:\n    image: alpine\n    commands: [make]\n"})
    result = run_review(tmp_path)
    files = {p.replace(os.sep, "/"): d for p, d in result.files}
    for path in (G, "ci/build.yml", "ci/test.yml", ".woodpecker/deploy.yaml",
                 ".woodpecker.yaml"):
        assert files.get(path) == "pipeline", path
    assert "ci/notes.yaml" not in files
    assert not [f for f in result.findings if f.rule.id == "CI001"]


# -- the model -----------------------------------------------------------------------------

def test_script_lines_each_with_its_line():
    flow = gl("build:\n"
              "  before_script: echo before\n"
              "  script:\n"
              "    - make\n"
              "    - - nested one\n"
              "      - nested two\n"
              "    - |\n"
              "      multi\n"
              "      line\n"
              "  after_script: [echo after]\n")
    assert not flow.problems
    assert [(line, t) for _, line, t in scripts(flow, "build")] == [
        (2, "echo before"), (4, "make"), (5, "nested one"), (6, "nested two"),
        (8, "multi\nline\n"), (10, "echo after")]
    step = flow.jobs[0].steps[0]
    assert step.uses is None and step.run is None and step.label() == "job `build`"
    assert flow.jobs[0].line == 1 and flow.kind == "gitlab"


def test_default_and_legacy_globals_are_inherited_unless_overridden_or_refused():
    flow = gl("image: ruby:3\n"
              "before_script: [echo legacy]\n"
              "variables:\n  A: global\n  B: global\n"
              "default:\n  image:\n    name: python:3.12\n    entrypoint: ['']\n"
              "a:\n  script: make\n  variables:\n    B: own\n"
              "b:\n  image: alpine\n  before_script: [echo own]\n  script: make\n"
              "c:\n  inherit:\n    default: false\n    variables: false\n  script: make\n")
    a, b, c = (next(j for j in flow.jobs if j.id == n).steps[0] for n in "abc")
    assert a.image == "python:3.12" and b.image == "alpine" and c.image is None
    assert [t for _, t in a.scripts()] == ["echo legacy", "make"]
    assert [t for _, t in b.scripts()] == ["echo own", "make"]
    assert [t for _, t in c.scripts()] == ["make"]
    assert dict(a.env) == {"A": "global", "B": "own"}
    assert a.env.pos_of("B")[0] == 13 and a.env.pos_of("A")[0] == 4
    assert dict(c.env) == {}


def test_extends_merges_deeply_later_parents_win_and_reference_tags_resolve():
    flow = gl(".base:\n"
              "  image: alpine\n"
              "  variables: {A: base, B: base}\n"
              "  script: [echo base]\n"
              ".other:\n"
              "  variables: {B: other}\n"
              "  environment: {name: production, url: https://x}\n"
              ".setup:\n"
              "  before_script:\n"
              "    - echo setup\n"
              "deploy:\n"
              "  extends: [.base, .other]\n"
              "  script:\n"
              "    - !reference [.setup, before_script]\n"
              "    - echo deploy\n")
    assert not flow.problems
    (job,) = flow.jobs
    step = job.steps[0]
    assert step.image == "alpine" and dict(step.env) == {"A": "base", "B": "other"}
    assert job.environment() == ("production", 7)
    assert [(line, t) for _, line, t in scripts(flow, "deploy")] == [
        (10, "echo setup"), (15, "echo deploy")]


def test_included_jobs_keep_their_file_and_lines_and_the_main_file_overrides():
    files = {"ci/jobs.yml": "include: ci/more.yml\n"
                            ".tpl:\n  before_script:\n    - echo from-template\n"
                            "build:\n  extends: .tpl\n  script:\n    - make\n"
                            "test:\n  script: make test\n  stage: test\n",
             "ci/more.yml": "lint:\n  script: make lint\n"}
    flow = gl("include:\n  - local: /ci/jobs.yml\n"
              "test:\n  stage: verify\n", files)
    assert not flow.problems
    assert flow.files == ["ci/jobs.yml", "ci/more.yml"]
    assert {j.id for j in flow.jobs} == {"build", "test", "lint"}
    assert scripts(flow, "build") == [("ci/jobs.yml", 4, "echo from-template"),
                                      ("ci/jobs.yml", 8, "make")]
    test = next(j for j in flow.jobs if j.id == "test")
    assert test.node["stage"] == "verify" and test.node.where("stage") == (G, 4)
    assert test.path == G and test.line == 3
    assert scripts(flow, "lint") == [("ci/more.yml", 2, "make lint")]


def test_includes_that_escape_or_are_missing_are_problems_never_reads():
    asked = []

    def read(disp, full):
        asked.append(disp)
        return None
    flow = load_gitlab("include:\n  - local: ../../etc/passwd.yml\n  - /etc/shadow.yml\n"
                       "  - local: ci/notes.txt\n  - 'https://example.com/ci.yml'\n"
                       "  - template: Auto-DevOps.gitlab-ci.yml\n"
                       "  - local: $CI_PROJECT_DIR/x.yml\n"
                       "build:\n  script: make\n", G, read)
    assert [p[0] for p in flow.problems] == [2, 3, 4]
    assert "leaves the repository" in flow.problems[0][1]
    assert "does not exist" in flow.problems[1][1]
    assert "YAML extension" in flow.problems[2][1]
    assert asked == ["etc/shadow.yml"]
    assert [line for line, _ in flow.remote_includes] == [5, 6, 7]


def test_an_include_linked_outside_the_tree_is_not_read(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.yml").write_text("evil:\n  script: curl https://x | sh\n")
    repo = tmp_path / "repo"
    write_tree(repo, {G: "include: ci/evil.yml\nbuild:\n  script: make\n"})
    (repo / "ci").mkdir()
    os.symlink(outside / "evil.yml", repo / "ci" / "evil.yml")
    result = run_review(repo)
    assert not [f for f in result.findings if f.rule.id in ("CI001", "CI010")]
    assert any("outside the reviewed tree" in n.message for n in result.notices)
    assert not any("evil" in p for p, _ in result.files)


def test_a_pragma_in_an_included_file_silences_its_finding(tmp_path):
    files = {G: "include: ci/build.yml\n",
             "ci/build.yml": "build:\n  script:\n"
                             "    - curl https://x/i | sh  # infra-expert: ignore=CI010 vetted\n"}
    assert rule_locations(tmp_path, files, "CI010") == []


def test_woodpecker_steps_as_list_mapping_and_old_pipeline_key():
    flow = load_woodpecker("steps:\n"
                           "  - name: build\n"
                           "    image: golang:1.22\n"
                           "    environment:\n      GOFLAGS: -mod=vendor\n"
                           "    commands:\n      - go build\n      - go test ./...\n"
                           "  - name: publish\n"
                           "    image: woodpeckerci/plugin-docker-buildx:5\n"
                           "    settings:\n      repo: me/app\n", ".woodpecker/ci.yml")
    assert not flow.problems and flow.kind == "woodpecker"
    (job,) = flow.jobs
    assert job.id == "ci" and job.environment() is None
    build, publish = job.steps
    assert build.scripts() == [(7, "go build"), (8, "go test ./...")]
    assert dict(build.env) == {"GOFLAGS": "-mod=vendor"} and build.image == "golang:1.22"
    assert dict(publish.with_) == {"repo": "me/app"} and publish.scripts() == []
    assert publish.label() == "step `publish`"
    old = load_woodpecker("pipeline:\n  build:\n    image: alpine\n    commands: make\n",
                          WP)
    assert not old.problems and old.jobs[0].steps[0].scripts() == [(4, "make")]
    assert old.jobs[0].steps[0].name == "build"


@pytest.mark.parametrize("name,text", [
    (G, "- 1\n"), (G, "build: 3\n.x: [1]\ndefault: 3\nvariables: [1]\n"),
    (G, "a:\n  script: {x: 1}\n  extends: [1, {a: 2}]\n  inherit: {default: [1]}\n"),
    (G, "a:\n  script: [!reference [.nope, script], !reference [], 3, null, true]\n"),
    (G, "include: [3, {local: 3}, {}, null]\nb:\n  script: x\n"),
    (G, "include: {local: '**/*.yml'}\nb:\n  script: x\n"),
    (G, "a: &a\n  script: x\n  extends: a\n"),
    (WP, "steps: 3\n"), (WP, "steps: [1, {image: 3}, {name: x, image: a, commands: {a: 1}}]\n"),
    (WP, "steps:\n  a:\n    image: x\n    environment: 3\n    settings: [1]\n"
         "    secrets: [a, 1]\n"),
    (".woodpecker/x.yaml", "{{ x }}\n"),
])
def test_malformed_pipelines_do_not_crash(tmp_path, name, text):
    write_tree(tmp_path, {name: text})
    result = run_review(tmp_path)
    assert not [n for n in result.notices if "internal error" in n.message]


def test_recursive_wildcard_include_of_itself_terminates(tmp_path):
    write_tree(tmp_path, {G: "include: '**/*.yml'\n",
                          "ci/a.yml": "include: '**/*.yml'\na:\n  script: x\n"})
    result = run_review(tmp_path)
    assert not [n for n in result.notices if "internal error" in n.message]
    assert {p.replace(os.sep, "/") for p, _ in result.files} == {G, "ci/a.yml"}


@needs_shared
def test_corpus_gitlab_and_woodpecker_files_review_cleanly():
    base = SHARED / "corpus-ci"
    paths = [str(base / p.strip()) for p in
             (SHARED / "corpus_lists" / "ci.txt").read_text().splitlines()
             if "gitlab" in p or "woodpecker" in p]
    assert len(paths) == 9
    result = review([str(base)], Config(), str(base))
    assert not [n for n in result.notices if "internal error" in n.message]
    reviewed = {os.path.realpath(p) for p, d in result.files if d == "pipeline"}
    assert {os.path.realpath(p) for p in paths} <= reviewed
    # checkov's deliberately broken GitLab fixtures are test data, not pipelines
    assert not [f for f in result.findings if f.rule.id == "CI001" and "gitlab_ci" in f.path]


def test_woodpecker_masks_its_secrets_so_an_echo_is_a_suggestion(tmp_path):
    from conftest import run_review, write_tree
    write_tree(tmp_path, {".woodpecker.yml": (
        "steps:\n  - name: notify\n    image: alpine:3.20\n    environment:\n"
        "      HOOK_TOKEN:\n        from_secret: hook\n    commands:\n"
        "      - echo \"using $HOOK_TOKEN\"\n      - echo \"$API_TOKEN\"\n")})
    said = sorted((f.line, f.severity) for f in run_review(tmp_path).findings
                  if f.rule.id == "CI011")
    # its own secret is masked in the log; a variable only named like one may not be
    assert said == [(8, "suggestion"), (9, "warning")]


def test_too_many_includes_is_said_once(tmp_path):
    from conftest import run_review, write_tree
    files = {".gitlab-ci.yml": "include:\n  - local: 'ci/*.yml'\n  - local: other.yml\n"
                               "job:\n  script: [make]\n",
             "other.yml": "o:\n  script: [make]\n"}
    files.update({f"ci/f{i}.yml": f"j{i}:\n  script: [echo {i}]\n" for i in range(160)})
    write_tree(tmp_path, files)
    found = [(f.path, f.line) for f in run_review(tmp_path).findings if f.rule.id == "CI001"]
    assert found == [(".gitlab-ci.yml", 2)]


def test_an_included_file_given_alone_is_reviewed_with_its_pipeline(tmp_path):
    """pre-commit stages only `ci/deploy.yml`: the `.gitlab-ci.yml` that includes it is
    read as context, the findings kept are the staged file's."""
    import infra_expert
    from conftest import write_tree
    write_tree(tmp_path, {
        ".gitlab-ci.yml": "include:\n  - local: ci/deploy.yml\nbuild:\n"
                          "  script: [curl -fsSL https://x.example/i.sh | sh]\n",
        "ci/deploy.yml": "deploy:\n  script:\n    - curl -fsSL https://x.example/i.sh | bash\n",
        "ci/notes.yml": "other:\n  script: [curl -fsSL https://x.example/i.sh | sh]\n",
        "k8s/app.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: b}\n"})
    (tmp_path / ".git").mkdir()       # a work tree: the project of a file given alone
    review = infra_expert.review([str(tmp_path / "ci" / "deploy.yml")])
    assert sorted((f.path.rsplit("/", 2)[-2:], f.rule.id, f.line)
                  for f in review.findings if f.rule.id == "CI010") == [
        (["ci", "deploy.yml"], "CI010", 3)]
    # a file no pipeline includes, or another domain's file, is what it is
    review = infra_expert.review([str(tmp_path / "ci" / "notes.yml")])
    assert not [f for f in review.findings if f.rule.id.startswith("CI")]
    review = infra_expert.review([str(tmp_path / "k8s" / "app.yaml")])
    assert {d for _, d in review.files} == {"kubernetes"}
    # outside a work tree the project is the file's folder: nothing above it is read
    import shutil
    shutil.rmtree(tmp_path / ".git")
    review = infra_expert.review([str(tmp_path / "ci" / "deploy.yml")])
    assert not [f for f in review.findings if f.rule.id == "CI010"]


def test_reference_cycles_are_refused_and_deep_chains_are_not(tmp_path):
    from conftest import run_review, write_tree
    chain = "".join(f".t{i}:\n  script: [!reference [.t{i + 1}, script]]\n" for i in range(9))
    write_tree(tmp_path, {".gitlab-ci.yml": (
        chain + ".t9:\n  script: [echo deep]\nok:\n  script: [!reference [.t0, script]]\n"
        ".a:\n  script: [!reference [.b, script]]\n.b:\n  script: [!reference [.a, script]]\n"
        "loop:\n  script: [!reference [.a, script]]\n")})
    result = run_review(tmp_path)
    refused = [(f.line, f.message) for f in result.findings if f.rule.id == "CI001"]
    assert len(refused) == 1 and "`!reference` nests more than 10" in refused[0][1]
    assert refused[0][0] in (24, 26)      # inside the .a/.b cycle, not the 10-level chain
