"""Cloud bursting scripts: recognition by content, every CB rule firing and staying
quiet, the fixtures, the bundled example and the real scripts of the corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import rule_locations, run_review
from infra_expert.burst import by_content, by_name, confirm
from infra_expert.burst.model import makefile_script, parse
from infra_expert.discover import Where

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "burst"
ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"

GOOD = (FIXTURES / "ops" / "gpu-burst.sh").read_text()

# a burst that deletes at the end, not in a trap, and never looks first
LINEAR = """\
#!/usr/bin/env bash
set -euo pipefail
MAX_COST_EUR=3
hcloud server create --name job-1 --type cx22 --image ubuntu-24.04
timeout 1h ssh root@job-1 ./run.sh
hcloud server delete job-1
"""

# (rule, {file: text}, [(file, line)])
CASES = [
    ("CB001", {"b.sh": "#!/bin/bash\nset -euo pipefail\nexport HCLOUD_TOKEN='Zq8xv2LkP0aW7rT3mN5bY1c'\n"
                       "hcloud server create --name a --type cx22 --image debian-12\n"},
     [("b.sh", 3)]),
    ("CB001", {"b.sh": "#!/bin/bash\nset -euo pipefail\n"
                       "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE aws ec2 run-instances "
                       "--instance-type t3.micro --client-token x\n"
                       "doctl compute droplet create a --size s-1vcpu-1gb --access-token dop_v1_abcdef0123456789\n"},
     [("b.sh", 3), ("b.sh", 4)]),
    ("CB001", {"b.sh": "#!/bin/bash\nset -euo pipefail\n: \"${HCLOUD_TOKEN:?}\"\n"
                       "SCW_ACCESS_KEY=SCWABCDEFGHIJ0123456\n"
                       "hcloud server create --name a --type cx22 --image debian-12\n"}, []),
    ("CB002", {"b.sh": "#!/bin/bash\nset -euo pipefail\ngcloud compute instances create vm --machine-type e2-small\n"
                       "curl -k https://x.example/a -o a\nwget --no-check-certificate https://x.example/b\n"
                       "rsync -a ./d rsync://vm/data\nrsync -a ./d vm::data\ncurl -fsSL http://x.example/i.sh | sh\n"},
     [("b.sh", 4), ("b.sh", 5), ("b.sh", 6), ("b.sh", 7), ("b.sh", 8)]),
    ("CB002", {"b.sh": "#!/bin/bash\nset -euo pipefail\ngcloud compute instances create vm --machine-type e2-small\n"
                       "curl -fsSL https://x.example/a -o a\ncurl -s http://169.254.169.254/latest/meta-data/\n"
                       "rsync -a -e ssh ./d vm::data\nrsync -az ./d vm:/srv/d\n"}, []),
    ("CB003", {"b.sh": LINEAR}, [("b.sh", 4)]),
    ("CB003", {"burst.sh": "#!/bin/bash\nset -euo pipefail\nscw instance server create type=DEV1-S image=debian_bookworm\n"},
     [("burst.sh", 3)]),
    ("CB003", {"b.sh": "#!/bin/bash\nset -euo pipefail\nkubectl -n ml scale deploy/worker --replicas=4\n"
                       "./submit.sh\nkubectl -n ml scale deploy/worker --replicas=0\n"}, [("b.sh", 3)]),
    ("CB003", {"b.sh": GOOD}, []),
    ("CB003", {"b.sh": "#!/bin/bash\nset -euo pipefail\ntrap 'hcloud server delete job-1' EXIT\n"
                       "hcloud server create --name job-1 --type cx22 --image debian-12\n"}, []),
    ("CB003", {"b.sh": "#!/bin/bash\nset -euo pipefail\nhcloud server create --name web --type cx22 --image debian-12\n"}, []),
    ("CB004", {"b.sh": LINEAR, "c.sh": "#!/bin/bash\nset -euo pipefail\n"
                                       "doctl compute droplet create a --size s-1vcpu-1gb || true\n"},
     [("b.sh", 4), ("c.sh", 3)]),
    ("CB004", {"b.sh": GOOD, "c.sh": "#!/bin/bash\nset -euo pipefail\nterraform -chdir=infra apply -auto-approve\n",
               "d.sh": "#!/bin/bash\nset -euo pipefail\naws ec2 run-instances --instance-type t3.micro --client-token \"$RUN\"\n"},
     []),
    ("CB005", {"b.sh": "#!/bin/bash\nset -e\nhcloud server create --name a --type cx22 --image debian-12\n",
               "c.sh": "#!/bin/bash\nhcloud server create --name a --type cx22 --image debian-12\n",
               "Makefile": ".ONESHELL:\nup:\n\tterraform apply -auto-approve\n"},
     [("Makefile", 1), ("b.sh", 2), ("c.sh", 2)]),
    ("CB005", {"b.sh": GOOD, "c.sh": "#!/bin/sh\nset -eu\nhcloud server create --name a --type cx22 --image d\n",
               "d.sh": "#!/bin/bash\nset -o errexit -o nounset\nset -o pipefail\nterraform apply\n",
               "Makefile": "up:\n\tterraform apply -auto-approve\n",
               "e.mk": "SHELL := bash\n.ONESHELL:\n.SHELLFLAGS := -euo pipefail -c\nup:\n\tterraform apply\n"},
     []),
    ("CB006", {"b.sh": LINEAR.replace("timeout 1h ", "")}, [("b.sh", 4)]),
    # a duration held in a variable bounds the run too
    ("CB006", {"b.sh": LINEAR.replace("timeout 1h ", "timeout \"${HOURS}h\" ")}, []),
    ("CB006", {"b.sh": LINEAR.replace("timeout 1h ", "timeout $MAX ")}, []),
    ("CB006", {"b.sh": LINEAR.replace("timeout 1h ", "echo timeout ")}, [("b.sh", 4)]),
    ("CB006", {"b.sh": GOOD, "c.sh": LINEAR,
               "d.sh": "#!/bin/bash\nset -euo pipefail\nhcloud server create --name web --type cx22 --image d\n"}, []),
    ("CB007", {"b.sh": "#!/bin/bash\nset -euo pipefail\nscw instance server create image=ubuntu_jammy name=x\n"
                       "gcloud compute instances create vm --zone europe-west1-b\n"},
     [("b.sh", 3), ("b.sh", 4)]),
    ("CB007", {"b.sh": GOOD, "c.sh": LINEAR,
               "d.sh": "#!/bin/bash\nset -euo pipefail\naws ec2 run-instances --launch-template LaunchTemplateName=gpu\n"},
     []),
    ("CB008", {"b.sh": LINEAR.replace("MAX_COST_EUR=3\n", "")}, [("b.sh", 3)]),
    ("CB008", {"b.sh": GOOD, "c.sh": LINEAR,
               "d.sh": "#!/bin/bash\nset -euo pipefail\nhcloud server create --name web --type cx22 --image d\n"}, []),
    ("CB009", {"b.sh": LINEAR.replace("timeout 1h", "rclone copy ./in b2:in || true\ntimeout 1h")},
     [("b.sh", 5)]),
    # CB010 needs ShellCheck (the `test` extra installs it): tests/test_shellcheck.py
    ("CB010", {"b.sh": LINEAR.replace("timeout 1h", "if [ -n \"$X\" ]; then\ntimeout 1h")},
     [("b.sh", 5)]),
    ("CB010", {"b.sh": GOOD, "c.sh": LINEAR}, []),
    ("CB009", {"b.sh": LINEAR.replace("timeout 1h", "rclone copy ./in b2:in --log-level INFO\n"
                                                    "timeout 1h"),
               "c.sh": LINEAR.replace("set -euo pipefail\n", "").replace(
                   "timeout 1h", "rclone copy ./in b2:in || exit 1\ntimeout 1h")}, []),
]


@pytest.mark.parametrize("rule,files,expected", CASES,
                         ids=[f"{c[0]}-{'fires' if c[2] else 'quiet'}-{i}"
                              for i, c in enumerate(CASES)])
def test_rule(tmp_path, rule, files, expected):
    assert rule_locations(tmp_path, files, rule) == sorted(expected)


FIXTURE_EXPECTED = {
    ("CB005", "ops/Makefile", 3),
    ("CB005", "ops/quick-burst.sh", 3), ("CB001", "ops/quick-burst.sh", 5),
    ("CB003", "ops/quick-burst.sh", 7), ("CB004", "ops/quick-burst.sh", 7),
    ("CB006", "ops/quick-burst.sh", 7), ("CB007", "ops/quick-burst.sh", 7),
    ("CB008", "ops/quick-burst.sh", 7), ("CB002", "ops/quick-burst.sh", 10),
    ("CB002", "ops/quick-burst.sh", 13),
    ("CB004", "ops/spot-job", 3), ("CB007", "ops/spot-job", 3), ("CB008", "ops/spot-job", 3),
}


def test_fixtures():
    result = run_review(FIXTURES)
    got = {(f.rule.id, f.path, f.line) for f in result.findings}
    assert got == FIXTURE_EXPECTED
    assert "ops/notes.sh" not in {p for p, _ in result.files}
    assert not [n for n in result.notices if "internal error" in n.message]
    sev = {(f.rule.id, f.line): f.severity for f in result.findings if f.path == "ops/quick-burst.sh"}
    assert sev[("CB001", 5)] == "critical" and sev[("CB002", 10)] == "critical"
    assert sev[("CB002", 13)] == "warning" and sev[("CB004", 7)] == "suggestion"
    text = " ".join(f.message for f in result.findings)
    assert "Zq8xv2" not in text


def test_rclone_fixture():
    result = run_review(FIXTURES.parent / "burst-rclone")
    assert sorted(f.line for f in result.findings if f.rule.id == "CB009") == [11, 15, 16]
    assert not [n for n in result.notices if "internal error" in n.message]


def test_gpu_without_runtime_cap_is_a_warning(tmp_path):
    script = GOOD.replace("timeout 4h ", "")
    found = [f for f in run_review_files(tmp_path, {"b.sh": script}) if f.rule.id == "CB006"]
    assert [(f.line, f.severity) for f in found] == [(20, "warning")]


def run_review_files(base, files):
    from conftest import write_tree
    write_tree(base, files)
    return run_review(base).findings


def test_the_bundled_example_has_one_finding():
    result = run_review(ROOT / "examples" / "homelab" / "ops" / "burst")
    assert [(f.rule.id, f.line) for f in result.findings] == [("CB008", 20)]


@pytest.mark.parametrize("name,kind", [("Makefile", "makefile"), ("infra.mk", "makefile"),
                                       ("burst.sh", "script"), ("x.bash", "script"),
                                       ("burst.py", None), ("Dockerfile", None)])
def test_by_name(name, kind):
    assert by_name(name) == kind


def test_recognition_by_content(tmp_path):
    w = Where("bin/burst", str(tmp_path / "bin" / "burst"), str(tmp_path))
    create = "hcloud server create --name a --type cx22 --image d\n"
    assert by_content("#!/usr/bin/env bash\n" + create, "burst", w) == "script"
    assert by_content("#!/bin/sh\n" + create, "burst", w) == "script"
    assert by_content("#!/usr/bin/env python3\n" + create, "burst", w) is None
    assert by_content("#!/bin/sh\necho hcloud server create\n", "burst", w) is None
    assert confirm("script", "#!/bin/sh\n# terraform apply\nls\n", w) is None
    assert confirm("makefile", "all:\n\tgo build ./...\n", w) is None
    assert confirm("makefile", "TF=terraform\nup:\n\t@$(TF) apply\n", w) == "makefile"


def test_makefile_recipes_keep_their_lines():
    body, oneshell, flags, shell = makefile_script(
        "X := scw\n\nup:\n\t@$(X) instance server create \\\n\t  type=DEV1-S\n\techo $$HOME\n")
    lines = body.split("\n")
    assert lines[3].startswith("scw instance server create") and lines[5] == "echo $HOME"
    script = parse("X := scw\n\nup:\n\t@$(X) instance server create type=DEV1-S\n", "makefile")
    assert [a.line for a in script.creates] == [4]


def test_hostile_input_does_not_crash(tmp_path):
    (tmp_path / "a.sh").write_text("#!/bin/bash\nhcloud server create $(\ntrap\n'unterminated\n")
    (tmp_path / "Makefile").write_text("\tterraform apply\n$(\n:\n.ONESHELL:\n.SHELLFLAGS =\n")
    (tmp_path / "b.sh").write_text("trap '' EXIT\nfunction f {\nkubectl scale\n")
    result = run_review(tmp_path)
    assert not [n for n in result.notices if "internal error" in n.message]


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared not present")
def test_real_scripts_do_not_crash_and_are_not_claimed_without_a_create():
    for corpus in sorted(SHARED.glob("corpus*")):
        if not corpus.is_dir():
            continue
        result = run_review(corpus)
        assert not [n for n in result.notices if "internal error" in n.message]
        for path, domain in result.files:
            if domain == "burst":
                assert parse((corpus / path).read_text(), "script").creates or \
                    path.endswith(("Makefile", ".mk"))
