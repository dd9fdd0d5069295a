"""Images built in the pipeline (CI020–CI026): every rule firing and staying quiet,
compared by rule id and line; the fixture project ties a workflow to its Dockerfile,
Compose file and manifests."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SHARED, needs_shared, rule_locations, run_review
from infra_expert.config import Config
from infra_expert.engine import review
from test_pipeline import SHA, job, wf

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "pipeline_images"
W = ".github/workflows/ci.yml"
GL = ".gitlab-ci.yml"
WP = ".woodpecker/image.yaml"
BPA = f"docker/build-push-action@{SHA}"
TRIVY = f"aquasecurity/trivy-action@{SHA}"


def bpa(*lines):
    """A build-push-action step (line 9 of `wf(job(...))`), `with:` on line 10."""
    return f"      - uses: {BPA}\n        with:\n" + "".join(f"          {x}\n" for x in lines)


SCAN = (f"      - uses: {TRIVY}\n        with:\n          image-ref: app:scan\n"
        "          exit-code: '1'\n")
PUSH_V = ("push: true", "tags: ghcr.io/acme/app:${{ github.sha }}", "cache-from: type=gha",
          "sbom: true")
APP = {"README.md": "app\n", "app/Dockerfile": "FROM alpine:3.20\nRUN apk add curl\n"}

# (rule, {file: text}, [(file, line)])
CASES = [
    # CI020: pushed with no scan anywhere in the repository's pipelines
    ("CI020", {W: wf(job(bpa(*PUSH_V)))}, [(W, 9)]),
    ("CI020", {W: wf(job("      - run: |\n          docker build -t ghcr.io/acme/app:1 .\n"
                         "          docker push ghcr.io/acme/app:1\n"))}, [(W, 11)]),
    # images a Compose or bake file builds, pushed by the CLI; a build alone is no push
    ("CI020", {W: wf(job("      - run: |\n          docker compose -f compose.yaml build\n"
                         "          docker compose push\n"))}, [(W, 11)]),
    ("CI020", {W: wf(job("      - run: docker buildx bake --push\n"))}, [(W, 9)]),
    ("CI020", {W: wf(job("      - uses: docker/bake-action@v6\n        with:\n"
                         "          push: ${{ github.event_name != 'pull_request' }}\n"))},
     [(W, 9)]),
    ("CI020", {W: wf(job("      - uses: docker/bake-action@v6\n        with:\n"
                         "          load: true\n"))}, []),
    ("CI020", {W: wf(job("      - run: docker compose --profile x build app\n"))}, []),
    ("CI020", {W: wf(job("      - run: docker compose up -d --build\n"))}, []),
    ("CI020", {W: wf(job(SCAN + bpa(*PUSH_V)))}, []),
    ("CI020", {W: wf(job(bpa(*PUSH_V))),
               ".github/workflows/scan.yml": wf(job("      - run: trivy image --exit-code 1 "
                                                    "ghcr.io/acme/app:main\n"))}, []),
    ("CI020", {W: wf(job(bpa("load: true", "tags: app:test")))}, []),
    ("CI020", {W: wf(job(bpa("push: false", "tags: app:test")))}, []),
    ("CI020", {W: wf(job(f"      - uses: {TRIVY}\n        with:\n          scan-type: fs\n"
                         "          exit-code: '1'\n" + bpa(*PUSH_V)))}, [(W, 13)]),
    # CI021: a scan that can never fail the job
    ("CI021", {W: wf(job(f"      - uses: {TRIVY}\n        with:\n          image-ref: x\n"))},
     [(W, 9)]),
    ("CI021", {W: wf(job(f"      - uses: {TRIVY}\n        with:\n          image-ref: x\n"
                         "          exit-code: 0\n"))}, [(W, 12)]),
    ("CI021", {W: wf(job(f"      - uses: {TRIVY}\n        continue-on-error: true\n"
                         "        with:\n          image-ref: x\n          exit-code: 1\n"))},
     [(W, 10)]),
    ("CI021", {W: wf(job("      - run: |\n          trivy image --exit-code 1 app || true\n"
                         "          grype app:1\n"
                         "          docker scout cves --exit-code app\n"))},
     [(W, 10), (W, 11)]),
    ("CI021", {W: wf(job(f"      - uses: anchore/scan-action@{SHA}\n        with:\n"
                         "          image: app\n          fail-build: false\n"))}, [(W, 12)]),
    ("CI021", {W: wf(job(f"      - uses: docker/scout-action@{SHA}\n        with:\n"
                         "          command: cves\n          image: app\n"))}, [(W, 9)]),
    ("CI021", {W: wf(job(f"      - uses: {TRIVY}\n        with:\n          image-ref: x\n"
                         "          format: sarif\n          output: t.sarif\n"
                         f"      - uses: github/codeql-action/upload-sarif@{SHA}\n"
                         "        with:\n          sarif_file: t.sarif\n"))}, []),
    ("CI021", {W: wf(job(SCAN + f"      - uses: anchore/scan-action@{SHA}\n        with:\n"
                         "          image: app\n"
                         "      - run: trivy image --exit-code 1 --severity CRITICAL app\n"))},
     []),
    ("CI021", {W: wf(job(f"      - uses: {TRIVY}\n        with:\n          image-ref: x\n"
                         "          format: cyclonedx\n"))}, []),
    # CI022: only :latest pushed
    ("CI022", {W: wf(job(SCAN + bpa("push: true", "tags: ghcr.io/acme/app:latest",
                                    "cache-from: type=gha", "sbom: true")))}, [(W, 16)]),
    ("CI022", {W: wf(job("      - run: |\n          docker build -t ghcr.io/acme/app .\n"
                         "          docker push ghcr.io/acme/app\n"))}, [(W, 11)]),
    ("CI022", {W: wf(job(bpa("push: true", "tags: |",
                             "  ghcr.io/acme/app:latest",
                             "  ghcr.io/acme/app:${{ github.sha }}")))}, []),
    ("CI022", {W: wf(job(bpa("push: true", "tags: ${{ steps.meta.outputs.tags }}")))}, []),
    ("CI022", {W: wf(job("      - run: |\n          docker push ghcr.io/acme/app:latest\n"
                         "          docker push ghcr.io/acme/app:$GITHUB_SHA\n"))}, []),
    ("CI022", {W: wf(job(bpa("load: true", "tags: app:latest")))}, []),
    # CI023: no SBOM / provenance where the action supports it
    ("CI023", {W: wf(job(bpa("push: true", "tags: a/b:${{ github.sha }}")))}, [(W, 9)]),
    ("CI023", {W: wf(job(bpa("push: true", "sbom: true", "provenance: false",
                             "tags: a/b:1")))}, [(W, 13)]),
    ("CI023", {W: wf(job(bpa("push: true", "sbom: true", "tags: a/b:1")))}, []),
    ("CI023", {W: wf(job(bpa("push: true", "tags: a/b:1") +
                         f"      - uses: actions/attest-build-provenance@{SHA}\n"
                         "        with:\n          subject-name: a/b\n"
                         "          subject-digest: ${{ steps.b.outputs.digest }}\n"))}, []),
    ("CI023", {W: wf(job("      - uses: docker/build-push-action@v3\n        with:\n"
                         "          push: true\n          tags: a/b:1\n"))}, []),
    ("CI023", {W: wf(job(bpa("load: true", "tags: a/b:1")))}, []),
    # CI024: no build cache on a hosted runner
    ("CI024", {W: wf(job(bpa("load: true", "tags: a/b:1")))}, [(W, 9)]),
    ("CI024", {W: wf(job("      - run: docker buildx build -t a/b:1 --load .\n"))}, [(W, 9)]),
    ("CI024", {W: wf(job(bpa("load: true", "tags: a/b:1", "cache-from: type=gha")))}, []),
    # a release run is built clean: a cache there is what CI007 warns of, so no suggestion
    ("CI024", {W: wf(job(bpa("push: true", "tags: a/b:1")), on="{push: {tags: [\"v*\"]}}")},
     []),
    ("CI024", {W: wf(job(bpa("push: true", "tags: a/b:1")), on="{push: {branches: [main]}}")},
     [(W, 9)]),
    ("CI024", {W: wf(job(bpa("load: true", "tags: a/b:1"),
                         "  test:\n    runs-on: [self-hosted, linux]\n"))}, []),
    ("CI024", {W: wf(job(bpa("load: true", "no-cache: true")))}, []),
    ("CI024", {W: wf(job(bpa("context: app", "load: true"))),
               "README.md": "x\n", "app/Dockerfile": "FROM scratch\nCOPY app /app\n"}, []),
    # CI025: single architecture while the repository says ARM
    ("CI025", {W: wf(job(bpa(*PUSH_V))),
               "compose.yaml": "services:\n  app:\n    image: ghcr.io/acme/app\n"
                               "    platform: linux/arm64\n"}, [(W, 9)]),
    # read from the Compose model: a commented-out `platform:` says nothing
    ("CI025", {W: wf(job(bpa(*PUSH_V))),
               "compose.yaml": "services:\n  app:\n    image: ghcr.io/acme/app\n"
                               "    # platform: linux/arm64\n"}, []),
    # a Compose build takes its platform from the Compose file: not judged here
    ("CI025", {W: wf(job("      - run: docker compose build --push\n")),
               "compose.yaml": "services:\n  app:\n    build: .\n    image: ghcr.io/acme/app\n"
                               "    platform: linux/arm64\n"}, []),
    # `docker build` then `docker push` of the same image: a pushed build, judged at the build
    ("CI025", {W: wf(job("      - run: |\n          docker build -t ghcr.io/acme/app:1 .\n"
                         "          docker push ghcr.io/acme/app:1\n")),
               "compose.yaml": "services:\n  app:\n    image: ghcr.io/acme/app\n"
                               "    platform: linux/arm64\n"}, [(W, 10)]),
    # ... but a local test build, pushed under another name, is not the pushed image
    ("CI025", {W: wf(job("      - run: |\n          docker build -t test:1 .\n"
                         "          docker push ghcr.io/acme/other:1\n")),
               "compose.yaml": "services:\n  app:\n    image: ghcr.io/acme/app\n"
                               "    platform: linux/arm64\n"}, []),
    ("CI025", {W: wf(job(bpa(*PUSH_V, "platforms: linux/amd64"))),
               "k8s/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
                               "  name: app\nspec:\n  selector:\n    matchLabels: {a: b}\n"
                               "  template:\n    metadata:\n      labels: {a: b}\n"
                               "    spec:\n      nodeSelector:\n"
                               "        kubernetes.io/arch: arm64\n"
                               "      containers:\n        - name: app\n"
                               "          image: ghcr.io/acme/app:1\n"}, [(W, 15)]),
    ("CI025", {W: wf(job(bpa(*PUSH_V, "platforms: linux/amd64,linux/arm64"))),
               "compose.yaml": "services:\n  app:\n    image: x\n"
                               "    platform: linux/arm64\n"}, []),
    ("CI025", {W: wf(job(bpa(*PUSH_V)))}, []),
    ("CI025", {W: wf(job(bpa(*PUSH_V), "  test:\n    runs-on: ubuntu-24.04-arm\n")),
               "compose.yaml": "services:\n  app:\n    image: x\n"
                               "    platform: linux/arm64\n"}, []),
    # CI026: the Dockerfile a build names is not in the repository
    ("CI026", {W: wf(job(bpa("context: .", "file: docker/Dockerfile", "load: true"))),
               **APP}, [(W, 12)]),
    ("CI026", {W: wf(job("      - run: docker build -t app:1 -f build/Dockerfile .\n")),
               **APP}, [(W, 9)]),
    ("CI026", {W: wf(job(bpa("context: app", "load: true"))), **APP}, []),
    ("CI026", {W: wf(job(bpa("context: .", "file: app/Dockerfile", "load: true"))), **APP},
     []),
    ("CI026", {W: wf(job(bpa("file: ${{ matrix.dockerfile }}", "load: true"))), **APP}, []),
    ("CI026", {W: wf(job("      - run: ./gen.sh > Dockerfile\n"
                         "      - run: docker build -t app:1 .\n")), **APP}, []),
    ("CI026", {W: wf(job("      - run: docker build -t app:1 .\n"
                         "        working-directory: app\n")), **APP}, []),
    # a folder of workflows copied out of their repository: nothing to say it is missing
    ("CI026", {W: wf(job(bpa("context: .", "file: docker/Dockerfile", "load: true")))}, []),
    # a scan that feeds a report read by a later step is not a forgotten log
    ("CI021", {W: wf(job(f"      - uses: docker/scout-action@{SHA}\n        with:\n"
                         "          command: cves\n          image: app\n"
                         "          sarif-file: scout.sarif\n"
                         "      - run: python report.py --sarif scout.sarif\n"))}, []),
    # attesting release files (subject-path) is not an attestation of the image
    ("CI023", {W: wf(job(bpa("push: true", "tags: a/b:1") +
                         f"      - uses: actions/attest-build-provenance@{SHA}\n"
                         "        with:\n          subject-path: dist/*\n"))}, [(W, 9)]),
    # GitLab CI: one job, its script lines each with their own line
    ("CI022", {GL: "build:\n  image: docker:27\n  script:\n"
                   "    - docker build -t $CI_REGISTRY_IMAGE .\n    - |\n      echo hi\n"
                   "      docker push $CI_REGISTRY_IMAGE\n"}, [(GL, 7)]),
    ("CI022", {GL: "build:\n  image: docker:27\n  script:\n"
                   "    - docker build -t $CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA .\n"
                   "    - docker push $CI_REGISTRY_IMAGE:$CI_COMMIT_SHORT_SHA\n"}, []),
    ("CI020", {GL: "kaniko:\n  image: gcr.io/kaniko-project/executor:debug\n  script:\n"
                   "    - /kaniko/executor --context . --destination $CI_REGISTRY_IMAGE:$TAG\n"},
     [(GL, 4)]),
    ("CI020", {GL: "include:\n  - template: Jobs/Container-Scanning.gitlab-ci.yml\n"
                   "kaniko:\n  image: gcr.io/kaniko-project/executor:debug\n  script:\n"
                   "    - /kaniko/executor --context . --destination $CI_REGISTRY_IMAGE:$TAG\n"},
     []),
    ("CI021", {GL: "scan:\n  image: aquasec/trivy\n  allow_failure: true\n  script:\n"
                   "    - trivy image --exit-code 1 $CI_REGISTRY_IMAGE\n"}, [(GL, 3)]),
    ("CI021", {GL: "scan:\n  image: aquasec/trivy\n  script:\n"
                   "    - trivy image --exit-code 1 $CI_REGISTRY_IMAGE\n"}, []),
    # Woodpecker plugin steps: settings are the step's `with_`
    ("CI022", {WP: "steps:\n  - name: image\n    image: woodpeckerci/plugin-docker-buildx\n"
                   "    settings:\n      repo: codeberg.org/acme/app\n      tags: latest\n"},
     [(WP, 6)]),
    ("CI022", {WP: "steps:\n  - name: image\n    image: woodpeckerci/plugin-docker-buildx\n"
                   "    settings:\n      repo: codeberg.org/acme/app\n      auto_tag: true\n"},
     []),
    ("CI026", {WP: "steps:\n  - name: image\n    image: woodpeckerci/plugin-docker-buildx\n"
                   "    settings:\n      repo: codeberg.org/acme/app\n"
                   "      dockerfile: docker/Dockerfile\n      dry_run: true\n", **APP},
     [(WP, 2)]),
    ("CI026", {WP: "steps:\n  - name: image\n    image: woodpeckerci/plugin-docker-buildx\n"
                   "    settings:\n      repo: codeberg.org/acme/app\n"
                   "      dockerfile: app/Dockerfile\n      dry_run: true\n", **APP}, []),
]


@pytest.mark.parametrize("rule,files,expected", CASES,
                         ids=[f"{c[0]}-{'fires' if c[2] else 'quiet'}-{i}"
                              for i, c in enumerate(CASES)])
def test_rule(tmp_path, rule, files, expected):
    assert rule_locations(tmp_path, files, rule) == sorted(expected)


def test_host_profile_on_arm_asks_for_multi_arch(tmp_path):
    config = Config()
    from infra_expert.hosts import parse_host
    config.host = parse_host("rpi4-4gb")
    files = {W: wf(job(bpa(*PUSH_V)))}
    assert rule_locations(tmp_path, files, "CI025", config=config) == [(W, 9)]
    config.host = parse_host("zimaboard-8gb")       # an x86 board: amd64 is right
    assert rule_locations(tmp_path / "x", files, "CI025", config=config) == []


def _found(result, prefix="CI02"):
    return sorted((f.rule.id, f.path.replace("\\", "/"), f.line) for f in result.findings
                  if f.rule.id.startswith(prefix))


def test_fixture_project_ties_the_build_to_its_dockerfile_compose_and_manifests():
    result = run_review(FIXTURE)
    assert not [n for n in result.notices if "internal error" in n.message]
    found = _found(result)
    assert found == [
        ("CI020", ".github/workflows/release.yml", 23),
        ("CI022", ".github/workflows/release.yml", 27),
        ("CI023", ".github/workflows/release.yml", 23),
        ("CI024", ".github/workflows/release.yml", 23),
        ("CI025", ".github/workflows/release.yml", 23),
        ("CI026", ".github/workflows/worker.yml", 17),
    ]
    messages = {f.rule.id: f.message for f in result.findings if f.rule.id.startswith("CI02")}
    assert "`web/Dockerfile`" in messages["CI020"]          # the Dockerfile it builds
    assert "`compose.yaml` line 6" in messages["CI025"]     # the file that says ARM
    assert "`worker/Dockerfile`" in messages["CI026"] and "`workers/Dockerfile`" in \
        messages["CI026"]


@needs_shared
def test_corpus_ci_images_without_a_crash():
    base = SHARED / "corpus-ci"
    paths = [str(base / p.strip()) for p in
             (SHARED / "corpus_lists" / "ci.txt").read_text().splitlines() if p.strip()]
    result = review(paths, Config(), str(base))
    assert not [(n.path, n.message) for n in result.notices if "internal error" in n.message]
    # the corpus holds workflows without their repositories: no Dockerfile is "missing"
    assert not [f for f in result.findings if f.rule.id == "CI026"]


def test_one_build_pushed_under_two_tags_is_one_image(tmp_path):
    from conftest import run_review, write_tree
    write_tree(tmp_path, {
        "Dockerfile": "FROM alpine:3.20\nRUN apk add --no-cache curl\n",
        ".gitlab-ci.yml": (
            "build:\n  image: docker:27\n  script:\n"
            "    - docker build -t \"$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA\" "
            "-t \"$CI_REGISTRY_IMAGE:latest\" .\n"
            "    - docker push \"$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA\"\n"
            "    - docker push \"$CI_REGISTRY_IMAGE:latest\"\n")})
    found = [(f.rule.id, f.line, f.message) for f in run_review(tmp_path).findings
             if f.rule.id in ("CI020", "CI022")]
    assert [(r, line) for r, line, _ in found] == [("CI020", 5)]
    assert "more" not in found[0][2] and "`Dockerfile`" in found[0][2]
