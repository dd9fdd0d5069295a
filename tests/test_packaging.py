"""Packaging: the JSON Schema of `--format json` against real output, and the sdist and
wheel as a user gets them (built offline with `python -m build --no-isolation`)."""

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import jsonschema
import pytest

from conftest import ROOT, write_tree
from infra_expert.schemas import review_schema, review_schema_path

EXAMPLE = ROOT / "examples" / "homelab"


def cli(*args, cwd=ROOT, env=None):
    return subprocess.run([sys.executable, "-m", "infra_expert", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300)


def validator():
    schema = review_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors(document):
    return [(list(e.absolute_path), e.message) for e in validator().iter_errors(document)]


def review_json(tmp_path, *args, name="review.json"):
    out = tmp_path / name
    done = cli("review", *args, "--fail-on", "never", "-f", "json", "-o", str(out))
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text(encoding="utf-8"))


# -- the schema against real output ------------------------------------------------------

def test_the_schema_is_shipped_in_the_package_and_is_draft_2020_12():
    path = review_schema_path()
    assert path.is_file() and path.name == "review.schema.json"
    assert Path(str(path)).parent == ROOT / "src" / "infra_expert" / "schemas"
    schema = review_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_the_example_review_validates_with_and_without_a_host(tmp_path):
    plain = review_json(tmp_path, "examples", name="plain.json")
    hosted = review_json(tmp_path, "examples", "--host", "rpi4-4gb", name="host.json")
    for doc in (plain, hosted):
        assert errors(doc) == []
        assert doc["findings"] and doc["positives"] and doc["projects"]
        assert doc["summary"]["critical"] >= 1
    # what the host adds is described too, not let through as an unknown field
    assert "host" not in plain["resources"]["total"]
    assert hosted["resources"]["total"]["host"]["name"] == "rpi4-4gb"
    group = next(iter(hosted["resources"]["total"]["groups"].values()))
    assert "share_of_usable_memory" in group
    assert any(f["rule"].startswith("RS") for f in hosted["findings"])
    broken = copy.deepcopy(hosted)
    broken["resources"]["total"]["host"]["memory_bytes"] = "4GiB"
    assert [p for p, _ in errors(broken)] == [["resources", "total", "host", "memory_bytes"]]


def test_a_merged_review_of_shards_validates(tmp_path):
    shards = []
    for i in (0, 1):
        shards.append(review_json(tmp_path, "examples", "tests/fixtures", "--shard",
                                  f"{i}/2", name=f"shard-{i}.json"))
        assert errors(shards[-1]) == []
    merged = tmp_path / "merged.json"
    done = cli("merge", str(tmp_path / "shard-0.json"), str(tmp_path / "shard-1.json"),
               "--fail-on", "never", "-f", "json", "-o", str(merged))
    assert done.returncode == 0, done.stderr
    doc = json.loads(merged.read_text(encoding="utf-8"))
    assert errors(doc) == []
    assert len(doc["findings"]) == sum(len(s["findings"]) for s in shards)
    paths = {f["path"] for f in doc["files"]}
    assert any(p.startswith("examples/") for p in paths)
    assert any(p.startswith("tests/fixtures/") for p in paths)
    # estimates from documented footprints (the rclone fixture) are in the merged totals
    estimates = [e for g in doc["resources"]["total"]["groups"].values()
                 for e in g["estimates"]]
    assert estimates and all(e["figures"] for e in estimates)


def test_odd_files_validate_path_bytes_exposure_and_notices(tmp_path):
    """A folder whose name is not UTF-8 (`path_bytes`), a systemd service (`exposure`),
    a binary file (a notice) and an empty review."""
    base = tmp_path / "tree"
    write_tree(base, {
        "ops/systemd/backup.service":
            "[Unit]\nDescription=nightly backup\n\n[Service]\n"
            "ExecStart=/usr/local/bin/backup\n",
        "compose.yaml": b"\x00\x01\x02 not yaml at all",
    })
    odd = os.fsencode(str(base)) + b"/app\xff"
    os.mkdir(odd)
    with open(odd + b"/Dockerfile", "wb") as fh:
        fh.write(b"FROM python:3.12-slim\nRUN pip install flask\nCMD [\"python\"]\n")
    out = tmp_path / "odd.json"
    done = cli("review", ".", "--fail-on", "never", "-f", "json", "-o", str(out), cwd=base)
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert errors(doc) == []
    by_domain = {f["domain"]: f for f in doc["files"]}
    assert bytes.fromhex(by_domain["dockerfile"]["path_bytes"]) == b"app\xff/Dockerfile"
    assert 0 <= by_domain["systemd"]["exposure"] <= 10
    assert doc["notices"] and all(n["message"] for n in doc["notices"])
    assert any("path_bytes" in f for f in doc["findings"])
    # the schema checks the hex it promises
    bad = copy.deepcopy(doc)
    bad["files"][[f["domain"] for f in doc["files"]].index("dockerfile")]["path_bytes"] = "xyz"
    assert errors(bad) and errors(bad)[0][0][-1] == "path_bytes"

    (tmp_path / "empty").mkdir()
    empty = tmp_path / "empty.json"
    done = cli("review", ".", "-f", "json", "-o", str(empty), cwd=tmp_path / "empty")
    assert done.returncode == 0, done.stderr
    doc = json.loads(empty.read_text(encoding="utf-8"))
    assert doc["files"] == [] and doc["findings"] == [] and errors(doc) == []


BROKEN = [
    ("a finding without rule", lambda d: d["findings"][0].pop("rule"), ["findings", 0]),
    ("a wrong severity", lambda d: d["findings"][0].update(severity="error"),
     ["findings", 0, "severity"]),
    ("a lower-case rule id", lambda d: d["findings"][0].update(rule="df004"),
     ["findings", 0, "rule"]),
    ("an unknown category", lambda d: d["findings"][0].update(category="style"),
     ["findings", 0, "category"]),
    ("line 0", lambda d: d["findings"][0].update(line=0), ["findings", 0, "line"]),
    ("a line as text", lambda d: d["findings"][0].update(line="12"),
     ["findings", 0, "line"]),
    ("peers not a list", lambda d: d["findings"][0].update(peers="hadolint:DL3008"),
     ["findings", 0, "peers"]),
    ("a finding without group", lambda d: d["findings"][0].pop("group"), ["findings", 0]),
    ("another schema version", lambda d: d.update(schema_version=2), ["schema_version"]),
    ("no summary", lambda d: d.pop("summary"), []),
    ("a negative count", lambda d: d["summary"].update(warning=-1),
     ["summary", "warning"]),
    ("a summary without positives", lambda d: d["summary"].pop("positive"), ["summary"]),
    ("a file without domain", lambda d: d["files"][0].pop("domain"), ["files", 0]),
    ("a positive without message", lambda d: d["positives"][0].pop("message"),
     ["positives", 0]),
    ("a notice as a string", lambda d: d["notices"].append("skipped"), ["notices", 0]),
    ("a project without subjects", lambda d: next(iter(d["projects"].values())).pop(
        "subjects"), ["projects"]),
    ("totals without groups", lambda d: d["resources"]["total"].pop("groups"),
     ["resources", "total"]),
    ("a domain's resources as a list", lambda d: d["resources"].update(dockerfile=[]),
     ["resources", "dockerfile"]),
]


@pytest.fixture(scope="module")
def example_document(tmp_path_factory):
    return review_json(tmp_path_factory.mktemp("doc"), "examples")


@pytest.mark.parametrize("what, breaks, where", BROKEN, ids=[b[0] for b in BROKEN])
def test_the_schema_rejects_a_broken_document(example_document, what, breaks, where):
    doc = copy.deepcopy(example_document)
    assert errors(doc) == []
    breaks(doc)
    found = errors(doc)
    assert found, what
    # rejected for the broken field, not for something else
    assert any(path[:len(where)] == where for path, _ in found), (what, found)


def test_fields_may_be_added():
    """The README's promise: a later release may add fields, a reader of version 1 goes on."""
    doc = {"schema_version": 1, "tool": {"name": "infra-expert", "version": "9.0"},
           "files": [{"path": "Dockerfile", "domain": "dockerfile", "lines": 12}],
           "findings": [{"rule": "DF004", "severity": "critical", "category": "security",
                         "title": "t", "message": "m", "path": "Dockerfile", "line": 3,
                         "column": None, "fix": "f", "peers": ["hadolint:DL3002"],
                         "group": "DF004:Dockerfile", "fingerprint": "ab12"}],
           "positives": [], "notices": [], "resources": {"total": {
               "groups": {}, "batch": 0, "optional": 0, "swap": 1}},
           "projects": {}, "summary": {"critical": 1, "warning": 0, "suggestion": 0,
                                       "positive": 0, "total": 1}, "baseline": {}}
    assert errors(doc) == []


def test_the_schema_says_what_the_code_writes():
    """Every field the reporter writes is in the schema, and the vocabulary (severities,
    categories, rule ids, domains, peers) is the code's: a field added to the JSON fails
    here until the schema documents it."""
    from infra_expert.engine import all_rules
    from infra_expert.fit import totals
    from infra_expert.hosts import parse_host
    from infra_expert.model import CATEGORIES, SEVERITIES, Finding, Notice, Positive
    from infra_expert.registry import domains
    schema = review_schema()
    defs = schema["$defs"]
    assert defs["severity"]["enum"] == list(SEVERITIES)
    assert defs["category"]["enum"] == list(CATEGORIES)
    rule = all_rules()[0]
    written = {
        "finding": Finding(rule, rule.severity, "Dockerfile", 1, 1, "m").as_dict(),
        "positive": Positive(rule, "Dockerfile", 1, "m").as_dict(),
        "notice": Notice("Dockerfile", "m").as_dict(),
        "host": parse_host("rpi4-4gb").as_dict(),
    }
    for name, obj in written.items():
        described = set(defs[name]["properties"]) - {"path_bytes"}
        assert set(obj) == described, name
        assert set(defs[name]["required"]) == set(obj), name
    top = set(json.loads(cli("review", "--fail-on", "never", "-f", "json",
                             str(EXAMPLE / "app" / "Dockerfile")).stdout))
    # `live` is written by `infra-expert live` only (tests/test_live.py checks it)
    assert top == set(schema["properties"]) - {"live"} == set(schema["required"])
    found = [{"name": "db", "path": "compose.yaml", "line": 3, "memory_limit": None,
              "cpu_limit": None, "image": "postgres:16", "schedule": "steady",
              "optional": False, "group": "g"}]
    try:
        total = totals(found, parse_host("rpi4-4gb"))
    except KeyError:     # the consumer's fields changed: say which, rather than pass
        raise AssertionError("fit.totals needs other consumer fields; update this test")
    assert set(total) == set(defs["total"]["properties"])
    group = total["groups"]["g"]
    assert set(group) <= set(defs["group"]["properties"])
    assert set(defs["group"]["required"]) <= set(group)
    if group["estimates"]:
        estimate = group["estimates"][0]
        assert set(estimate) == set(defs["estimate"]["required"])
        figure = defs["estimate"]["properties"]["figures"]["items"]
        assert set(estimate["figures"][0]) == set(figure["required"])

    rule_id = jsonschema.Draft202012Validator(defs["rule_id"])
    peer = jsonschema.Draft202012Validator(defs["finding"]["properties"]["peers"])
    for r in all_rules():
        assert rule_id.is_valid(r.id), r.id
        assert peer.is_valid(list(r.peers)), (r.id, r.peers)
    assert rule_id.is_valid("SC2086") and not rule_id.is_valid("SC20861")
    domain = jsonschema.Draft202012Validator(defs["domain"])
    for d in domains():
        assert domain.is_valid(d.name), d.name


# -- the sdist and the wheel -------------------------------------------------------------

# what a fresh clone does not hold (.gitignore), and the benchmarks' tools: left out of the
# copy that is built, so a stale `*.egg-info/SOURCES.txt` of the work tree cannot stand in
# for MANIFEST.in and package-data
_NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git", ".venv", "*.egg-info", "build", "dist", "__pycache__", "*.pyc", ".hypothesis",
    ".pytest_cache", "bench")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The sdist, and the wheel built from it (what `python -m build` does), offline,
    from a copy of the source as a fresh clone holds it."""
    source = tmp_path_factory.mktemp("clone") / "infra-expert"
    shutil.copytree(ROOT, source, ignore=_NOT_IN_A_CLONE, symlinks=True)
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    sdist = next(out.glob("infra_expert-*.tar.gz"))
    wheel = next(out.glob("infra_expert-*-py3-none-any.whl"))
    return sdist, wheel, source


def test_the_sdist_holds_the_tests_examples_and_docs_and_they_pass_from_it(built, tmp_path):
    sdist, _, source = built
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
        top = names[0].split("/")[0]
        if hasattr(tarfile, "data_filter"):      # Python 3.12, and later 3.10/3.11
            tar.extractall(tmp_path, filter="data")
        else:
            tar.extractall(tmp_path)
    rel = {n.split("/", 1)[1] for n in names if "/" in n}
    for wanted in ("README.md", "LICENSE", "pyproject.toml", "docs/rules.md",
                   "tests/conftest.py", "tests/test_lines.py", "tests/snapshots/review.md",
                   "examples/homelab/compose.yaml", "deploy/Dockerfile",
                   "src/infra_expert/schemas/review.schema.json",
                   "src/infra_expert/cli.py"):
        assert wanted in rel, wanted
    assert not [n for n in rel if "__pycache__" in n or n.endswith(".pyc")]
    # every file of the tests (fixtures, snapshots, vendored schemas), the examples and
    # the docs is in it
    for folder in ("tests", "examples", "docs"):
        mine = {p.relative_to(source).as_posix() for p in (source / folder).rglob("*")
                if p.is_file()}
        assert mine, folder
        assert mine <= rel, sorted(mine - rel)[:10]

    tree = tmp_path / top
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    where = subprocess.run(
        [sys.executable, "-c", "import infra_expert; print(infra_expert.__file__)"],
        cwd=tree, env=env, capture_output=True, text=True, timeout=60)
    assert where.stdout.strip() == str(tree / "src" / "infra_expert" / "__init__.py")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-o", "addopts=", "-q", "-rs", "-p",
         "no:cacheprovider", "tests/test_lines.py", "tests/test_reporters.py",
         "tests/test_cli.py::test_bundled_example_reviews"],
        cwd=tree, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert re.search(r"\b\d{2,} passed\b", done.stdout), done.stdout[-2000:]
    # nothing skipped, but what needs the work tree's `../shared` (not in an sdist)
    skipped = [line for line in done.stdout.splitlines() if line.startswith("SKIPPED")]
    assert all("../shared" in line for line in skipped), skipped


def test_the_wheel_holds_the_schema_and_the_entry_point(built, tmp_path):
    _, wheel, _ = built
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        entry_points = zf.read(f"{info}/entry_points.txt").decode()
        metadata = zf.read(f"{info}/METADATA").decode()
        shipped = json.loads(zf.read("infra_expert/schemas/review.schema.json"))
    assert shipped == review_schema()
    assert "infra_expert/schemas/__init__.py" in names
    assert "[console_scripts]" in entry_points
    assert "infra-expert = infra_expert.cli:main" in entry_points
    assert not [n for n in names if n.startswith(("tests/", "examples/"))]
    assert "Project-URL: Homepage, https://github.com/infra-expert/infra-expert" in metadata
    assert "Classifier: Topic :: Software Development :: Quality Assurance" in metadata
    assert "Requires-Python: >=3.10" in metadata

    # installed (offline, into a folder of its own) it finds its schema and its command runs
    target = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index",
                           "--quiet", "--target", str(target), str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONDONTWRITEBYTECODE": "1"}
    probe = subprocess.run(
        [sys.executable, "-c", "import infra_expert, infra_expert.schemas as s; "
                               "print(infra_expert.__file__); print(s.review_schema_path())"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    module, schema = probe.stdout.split()
    assert module.startswith(str(target)) and schema.startswith(str(target)), probe.stdout
    assert Path(schema).is_file()
    script = target / "bin" / "infra-expert"
    assert script.is_file()
    out = tmp_path / "review.json"
    done = subprocess.run([str(script), "review", str(EXAMPLE), "--fail-on", "never",
                           "-f", "json", "-o", str(out)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert errors(json.loads(out.read_text(encoding="utf-8"))) == []
