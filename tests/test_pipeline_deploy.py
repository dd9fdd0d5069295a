"""Deploy rules of the pipeline domain (CI030–CI036): each firing and staying quiet,
compared by rule id and line."""

from __future__ import annotations

import pytest

from conftest import rule_locations

W = ".github/workflows/deploy.yml"
SHA = "11bd71901bbe5b1630ceea73d27597364c9af683"


def wf(body, on="push:\n    branches: [main]\n", permissions="permissions:\n  contents: read\n",
       top=""):
    """A workflow: `on:` (lines 2-4 for the default), permissions (5-6), `top`, `jobs:`."""
    return f"name: deploy\non:\n  {on}{permissions}{top}jobs:\n{body}"


def job(steps, head="  deploy:\n    runs-on: ubuntu-24.04\n    environment: production\n"):
    return head + "    steps:\n" + steps


# With the defaults: `jobs:` is line 7, the job key 8, `steps:` 11, the first step 12.
BARE = "  deploy:\n    runs-on: ubuntu-24.04\n"          # no environment: the first step 11
ROLLOUT = "      - run: kubectl rollout status deployment/web --timeout=5m\n"

CASES = [
    # CI030: apply with no preview anywhere
    ("CI030", {W: wf(job("      - run: |\n          echo deploying\n"
                         "          kubectl apply -f k8s/\n" + ROLLOUT))}, [(W, 14)]),
    ("CI030", {W: wf(job("      - run: kubectl apply --prune -l app=web -f k8s/\n"
                         "      - run: kubectl apply -f more/\n" + ROLLOUT))}, [(W, 12)]),
    ("CI030", {W: wf(job("      - run: kubectl apply --server-side -f k8s/\n" + ROLLOUT))}, []),
    ("CI030", {W: wf(job("      - run: kubectl apply --dry-run=client -f k8s/\n"))}, []),
    ("CI030", {W: wf(job("      - run: kubectl apply -f k8s/\n" + ROLLOUT)),
               ".github/workflows/pr.yml": wf(job("      - run: kubectl diff -f k8s/\n"),
                                              on="pull_request:\n")}, []),
    ("CI030", {W: wf(job("      - uses: helm/kind-action@v1\n"
                         "      - run: kubectl apply -f k8s/\n"))}, []),
    ("CI030", {W: wf(job("      - run: |\n          kind create cluster\n"
                         "          kustomize build . | kubectl apply -f -\n"))}, []),
    # CI031: helm upgrade
    ("CI031", {W: wf(job("      - run: helm upgrade --install web ./chart\n"
                         "      - run: helm upgrade web ./chart --wait\n"
                         "      - run: helm upgrade web ./chart --atomic\n"
                         "      - run: helm upgrade web ./chart --atomic=false --timeout 5m\n"))},
     [(W, 12), (W, 13), (W, 14), (W, 15)]),
    ("CI031", {W: wf(job("      - run: |\n          helm -n web upgrade --install web ./chart \\\n"
                         "            --atomic --timeout 10m\n"
                         "      - run: helm upgrade web ./chart --rollback-on-failure "
                         "--wait=watcher --timeout 10m\n"
                         "      - run: helm upgrade --dry-run=server web ./chart\n"
                         "      - run: helm template web ./chart | kubeconform\n"))}, []),
    ("CI031", {W: wf(job("      - uses: helm/kind-action@v1\n"
                         "      - run: helm upgrade --install web ./chart\n"))}, []),
    # CI032: production deploy without environment
    ("CI032", {W: wf(job("      - run: helm upgrade --install web ./chart --atomic "
                         "--timeout 5m\n", head=BARE))}, [(W, 8)]),
    ("CI032", {W: wf(job("      - uses: appleboy/ssh-action@v1\n        with:\n"
                         "          host: example.org\n"
                         "          script: cd /srv && docker compose up -d --wait\n",
                         head=BARE), on="release:\n")}, [(W, 7)]),
    ("CI032", {W: wf(job("      - run: terraform apply -auto-approve\n",
                         head="  apply-prod:\n    runs-on: ubuntu-24.04\n"),
                     on="pull_request:\n")}, [(W, 7)]),
    ("CI032", {W: wf(job("      - run: helm upgrade --install web ./chart --atomic "
                         "--timeout 5m\n"))}, []),
    ("CI032", {W: wf(job("      - run: terraform plan\n      - run: docker compose up -d\n"
                         "      - run: kubectl apply --dry-run=server -f k8s/\n",
                         head=BARE))}, []),
    ("CI032", {W: wf(job("      - run: helm upgrade --install web ./chart --atomic "
                         "--timeout 5m\n", head=BARE), on="pull_request:\n")}, []),
    ("CI032", {W: wf(job("      - run: helm upgrade --install web ./chart --atomic "
                         "--timeout 5m\n", head=BARE),
                     on="push:\n    branches: [develop]\n")}, []),
    ("CI032", {W: wf(job("      - run: kubectl apply -f k8s/\n" + ROLLOUT, head=BARE + (
        "    if: github.event_name == 'pull_request'\n")), on="[push, pull_request]\n")}, []),
    # CI033: long-lived cloud keys
    ("CI033", {W: wf(job("      - uses: aws-actions/configure-aws-credentials@v4\n"
                         "        with:\n"
                         "          aws-access-key-id: ${{ secrets.AWS_KEY }}\n"
                         "          aws-secret-access-key: ${{ secrets.AWS_SECRET }}\n"
                         "          aws-region: eu-west-1\n"
                         "      - uses: google-github-actions/auth@v2\n        with:\n"
                         "          credentials_json: ${{ secrets.GCP }}\n"
                         "      - uses: azure/login@v2\n        with:\n"
                         "          creds: ${{ secrets.AZURE }}\n"))},
     [(W, 14), (W, 19), (W, 22)]),
    ("CI033", {W: wf(job("      - run: aws s3 sync dist/ s3://bucket\n        env:\n"
                         "          AWS_ACCESS_KEY_ID: ${{ secrets.KEY }}\n"
                         "          AWS_SECRET_ACCESS_KEY: ${{ secrets.SECRET }}\n"
                         "      - run: aws s3 ls\n        env:\n"
                         "          AWS_ACCESS_KEY_ID: ${{ secrets.KEY }}\n"))},
     [(W, 14)]),
    ("CI033", {W: wf(job("      - uses: aws-actions/configure-aws-credentials@v4\n"
                         "        with:\n"
                         "          role-to-assume: arn:aws:iam::1:role/deploy\n"
                         "          aws-region: eu-west-1\n"
                         "      - uses: google-github-actions/auth@v2\n        with:\n"
                         "          workload_identity_provider: projects/1/x\n"))}, []),
    ("CI033", {W: wf(job("      - run: aws --endpoint-url https://minio.lan s3 sync d s3://b\n"
                         "        env:\n"
                         "          AWS_ACCESS_KEY_ID: ${{ secrets.MINIO_KEY }}\n"))}, []),
    ("CI033", {W: wf(job("      - run: aws s3 sync d s3://b\n        env:\n"
                         "          AWS_ENDPOINT_URL: https://acc.r2.cloudflarestorage.com\n"
                         "          AWS_ACCESS_KEY_ID: ${{ secrets.R2_KEY }}\n"))}, []),
    # CI034: remote compose up with no health wait
    ("CI034", {W: wf(job("      - uses: appleboy/ssh-action@v1\n        with:\n"
                         "          host: example.org\n"
                         "          script: |\n            cd /srv/app\n"
                         "            docker compose pull\n"
                         "            docker compose up -d\n"))}, [(W, 18)]),
    ("CI034", {W: wf(job("      - run: |\n          ssh deploy@example.org "
                         "'cd /srv && docker-compose up -d'\n"))}, [(W, 13)]),
    ("CI034", {W: wf(job("      - run: docker compose up -d\n        env:\n"
                         "          DOCKER_HOST: ssh://deploy@example.org\n",
                         head="  deploy:\n    runs-on: x\n    environment: production\n"
                         "    env:\n      DOCKER_HOST: ssh://deploy@example.org\n"))},
     [(W, 14)]),
    ("CI034", {W: wf(job("      - run: |\n          ssh deploy@example.org <<'EOF'\n"
                         "            cd /srv\n            docker compose up -d\n"
                         "          EOF\n"))}, [(W, 15)]),
    ("CI034", {W: wf(job("      - uses: appleboy/ssh-action@v1\n        with:\n"
                         "          script: cd /srv && docker compose up -d --wait\n"
                         "      - run: ssh h 'docker compose up -d'\n"
                         "      - run: curl --fail --retry 10 https://example.org/health\n"))},
     []),
    ("CI034", {W: wf(job("      - run: docker compose up -d\n"
                         "      - run: docker compose run tests\n"))}, []),
    # CI035: no rollout status
    ("CI035", {W: wf(job("      - run: kubectl apply --server-side -f k8s/\n"
                         "      - run: kubectl set image deployment/web web=app:1\n"))},
     [(W, 12)]),
    ("CI035", {W: wf(job("      - run: |\n          kubectl apply --server-side -f k8s/\n"
                         "          kubectl -n web rollout status deploy/web\n"))}, []),
    ("CI035", {W: wf(job("      - run: kubectl apply --server-side -f k8s/\n"
                         "      - run: kubectl wait --for=condition=available deploy/web\n"))},
     []),
    ("CI035", {W: wf(job("      - run: helm upgrade --install web ./chart\n"
                         "      - run: kubectl apply --dry-run=server -f k8s/\n"))}, []),
    # CI036: production deploys not serialised
    ("CI036", {W: wf(job("      - run: helm upgrade --install web ./chart --atomic "
                         "--timeout 5m\n"))}, [(W, 8)]),
    ("CI036", {W: wf(job("      - run: helm upgrade --install web ./chart --atomic "
                         "--timeout 5m\n"), top="concurrency: production\n")}, []),
    ("CI036", {W: wf(job("      - run: helm upgrade --install web ./chart --atomic "
                         "--timeout 5m\n"), on="release:\n")}, []),
]


@pytest.mark.parametrize("rule,files,expected", CASES,
                         ids=[f"{c[0]}-{'fires' if c[2] else 'quiet'}-{i}"
                              for i, c in enumerate(CASES)])
def test_rule(tmp_path, rule, files, expected):
    assert rule_locations(tmp_path, files, rule) == sorted(expected)


def test_messages_say_what_is_missing(tmp_path):
    from conftest import run_review, write_tree
    write_tree(tmp_path, {W: wf(job("      - run: helm upgrade web ./chart --wait\n"
                                    "      - uses: aws-actions/configure-aws-credentials@v4\n"
                                    "        with:\n"
                                    "          aws-access-key-id: ${{ secrets.K }}\n"))})
    result = run_review(tmp_path)
    by_rule = {f.rule.id: f.message for f in result.findings}
    assert "without `--atomic` nor `--timeout`" in by_rule["CI031"]
    assert "role-to-assume" in by_rule["CI033"] and "secrets.K" not in by_rule["CI033"]


ROLLOUT_CASES = [
    ("CI035", {W: wf(job("      - run: |\n          kubectl create secret generic db "
                         "--from-literal=a=b --dry-run=client -o yaml | kubectl apply -f -\n"
                         "          kubectl apply -f k8s/namespace.yaml\n"
                         "          kubectl apply -f config/\n")),
               "config/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"},
     []),
    ("CI035", {W: wf(job("      - run: kubectl apply --server-side -f deploy/\n")),
               "deploy/web.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
                                  "  name: web\nspec:\n  selector: {}\n  template: {}\n"},
     [(W, 12)]),
]


@pytest.mark.parametrize("rule,files,expected", ROLLOUT_CASES)
def test_rollout_reads_what_is_applied(tmp_path, rule, files, expected):
    assert rule_locations(tmp_path, files, rule) == sorted(expected)


G = ".gitlab-ci.yml"
GITLAB_CASES = [
    ("CI031", {G: "deploy:\n  script:\n    - echo hi\n    - |\n      helm upgrade --install web "
                  "./chart \\\n        --namespace web\n"}, [(G, 5)]),
    ("CI032", {G: "deploy_prod:\n  rules:\n    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n"
                  "  script:\n    - kubectl apply --server-side -f k8s/\n"}, [(G, 1)]),
    ("CI032", {G: "deploy:\n  environment: production\n  resource_group: production\n"
                  "  script:\n    - kubectl apply --server-side -f k8s/\n"}, []),
    ("CI032", {G: "review:\n  rules:\n    - if: $CI_MERGE_REQUEST_IID\n"
                  "  script:\n    - helm upgrade --install r ./chart --atomic --timeout 5m\n"},
     []),
    ("CI033", {G: "variables:\n  AWS_ACCESS_KEY_ID: $PROD_AWS_KEY\n"
                  "job:\n  script:\n    - aws s3 ls\n"}, [(G, 2)]),
    ("CI034", {G: "deploy:\n  environment: production\n  script:\n"
                  "    - ssh deploy@host \"cd /srv && docker compose up -d\"\n"}, [(G, 4)]),
    ("CI036", {G: "deploy:\n  environment: production\n"
                  "  script:\n    - helm upgrade --install web ./chart --atomic --timeout 5m\n"},
     [(G, 1)]),
]


@pytest.mark.parametrize("rule,files,expected", GITLAB_CASES)
def test_gitlab(tmp_path, rule, files, expected):
    assert rule_locations(tmp_path, files, rule) == sorted(expected)
