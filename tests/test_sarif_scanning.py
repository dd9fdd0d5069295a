"""SARIF for GitHub code scanning: what GitHub relies on, checked on real reviews.

- `partialFingerprints` that keep an alert across runs: lines inserted above, another
  working directory, two equal findings in one file told apart;
- every rule with `helpUri` (an anchor that exists in docs/rules.md, or ShellCheck's wiki),
  `help.markdown` (rationale, fix, fenced example), `security-severity`, `tags`,
  `precision`;
- URIs relative to `%SRCROOT%` (the git top, else the working directory), percent-encoded,
  that resolve back to the very file; a file outside the root as a `file://` URI; never an
  absolute path otherwise;
- GitHub's limit of 25,000 results per run: the most severe kept, a notification, and the
  number left out returned;
- all of it valid against the OASIS SARIF 2.1.0 schema vendored in tests/schemas.
"""

import json
import os
import re
from urllib.parse import unquote_to_bytes, urljoin, urlsplit

import jsonschema

import infra_expert
from conftest import ROOT, write_tree
from infra_expert.engine import all_rules
from infra_expert.fingerprint import fingerprints
from infra_expert.model import Finding, Notice, Review
from infra_expert.report import sarif as sarif_module
from infra_expert.report.sarif import (FINGERPRINT_KEY, MAX_RESULTS, MAX_RULES, RULES_URL,
                                       render_sarif, rule_descriptor, write_sarif)

SCHEMA_PATH = ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json"
EXAMPLES = ROOT / "examples" / "homelab"

# RFC 3986: a relative reference's characters (unreserved, sub-delims, ":", "@", "/",
# percent-encodings) and no scheme-looking first segment.
RELATIVE_REF = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=@/]|%[0-9A-F]{2})"
                          r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})*")
FILE_URI = re.compile(r"file:///(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})*")

DOCKERFILE = """\
# syntax=docker/dockerfile:1
FROM python:3.12-slim AS build
WORKDIR /src
COPY requirements.txt .
RUN pip wheel --wheel-dir /wheels -r requirements.txt

FROM debian:12
RUN apt-get update && apt-get install -y curl ca-certificates
RUN apt-get update && apt-get install -y curl ca-certificates
COPY --from=build /wheels /wheels
ENV API_TOKEN=ghp_0123456789abcdefABCDEF0123456789abcd
EXPOSE 8080
CMD ["/usr/local/bin/app", "--port", "8080"]
"""

COMPOSE = """\
services:
  app:
    build: ./app
    image: registry.example.com/team/app:latest
    ports:
      - "8080:8080"
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
    privileged: true
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: hunter2hunter2
"""


def schema():
    return json.loads(SCHEMA_PATH.read_text())


def validate(log):
    jsonschema.validate(log, schema())


def make_repo(base):
    """A small repository (a `.git` folder makes it one, as `source_root` sees it)."""
    (base / ".git").mkdir(parents=True)
    write_tree(base, {"deploy/app/Dockerfile": DOCKERFILE,
                      "deploy/app/requirements.txt": "flask==3.0.3\n",
                      "deploy/compose.yaml": COMPOSE,
                      "README.md": "# a service\n"})
    return base


def sarif_from(cwd, paths, monkeypatch, **kwargs):
    """Review `paths` from `cwd` and render SARIF there, as `infra-expert review -f sarif`
    run in `cwd` does."""
    monkeypatch.chdir(cwd)
    result = infra_expert.review(paths)
    return result, json.loads(render_sarif(result, **kwargs))


def results_by(log):
    """{(ruleId, uri, startLine): result}"""
    out = {}
    for r in log["runs"][0]["results"]:
        loc = r["locations"][0]["physicalLocation"]
        key = (r["ruleId"], loc["artifactLocation"]["uri"], loc["region"]["startLine"])
        assert key not in out, key
        out[key] = r
    return out


def every_uri(log):
    run = log["runs"][0]
    for r in run["results"]:
        yield r["locations"][0]["physicalLocation"]["artifactLocation"]
    for a in run["artifacts"]:
        yield a["location"]


def resolve(log, location):
    """The file system path (bytes) an artifactLocation points at."""
    if "uriBaseId" in location:
        base = log["runs"][0]["originalUriBaseIds"][location["uriBaseId"]]["uri"]
        uri = urljoin(base, location["uri"])
    else:
        uri = location["uri"]
    parts = urlsplit(uri)
    assert parts.scheme == "file" and parts.netloc == "", uri
    return unquote_to_bytes(parts.path)


# ---------------------------------------------------------------- the schema ----
def test_the_vendored_schema_is_the_oasis_one():
    data = schema()
    assert data["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")
    assert "reportingDescriptor" in data["definitions"]


def test_example_project_is_valid_and_ready_for_code_scanning(monkeypatch):
    result, log = sarif_from(ROOT, [str(EXAMPLES.relative_to(ROOT))], monkeypatch)
    validate(log)
    run = log["runs"][0]
    assert len(run["results"]) == len(result.findings) > 20
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": ROOT.as_uri() + "/"}}
    for location in every_uri(log):
        assert location["uriBaseId"] == "%SRCROOT%"
        assert location["uri"].startswith("examples/homelab/"), location
        assert RELATIVE_REF.fullmatch(location["uri"]), location
        assert os.path.isfile(resolve(log, location)), location
    prints = [r["partialFingerprints"][FINGERPRINT_KEY] for r in run["results"]]
    assert len(set(prints)) == len(prints)
    assert all(re.fullmatch(r"[0-9a-f]{32}", p) for p in prints)
    rules = run["tool"]["driver"]["rules"]
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        if r["properties"]["category"] == "security":
            assert r["properties"]["security-severity"] == \
                {"critical": "9.5", "warning": "6.5", "suggestion": "3.0"}[r["properties"]["severity"]]
    # the notice's text is a notification; its level one GitHub accepts
    for n in run["invocations"][0]["toolExecutionNotifications"]:
        assert n["level"] in ("note", "warning", "error")


def test_the_run_describes_the_rules_its_results_use(monkeypatch):
    result, log = sarif_from(ROOT, [str(EXAMPLES.relative_to(ROOT))], monkeypatch)
    run = log["runs"][0]
    ids = [d["id"] for d in run["tool"]["driver"]["rules"]]
    assert len(ids) == len(set(ids)) and set(ids) == {f.rule.id for f in result.findings}
    order = [r.id for r in all_rules()]
    assert ids == sorted(ids, key=order.index)
    assert all(d == rule_descriptor(next(r for r in all_rules() if r.id == d["id"]))
               for d in run["tool"]["driver"]["rules"])
    assert len(order) <= MAX_RULES


def test_every_rule_descriptor_has_what_github_shows():
    catalogue = {r.id: r for r in all_rules()}
    descriptors = json.loads(json.dumps([rule_descriptor(r) for r in catalogue.values()]))
    validate({"version": "2.1.0", "runs": [{"tool": {"driver": {
        "name": "infra-expert", "rules": descriptors}}, "results": []}]})
    anchors = set(re.findall(r"^### ([A-Z]+\d+)$", (ROOT / "docs" / "rules.md").read_text(),
                             re.M))
    fences = {"dockerfile": "dockerfile", "compose": "yaml", "kubernetes": "yaml"}
    for d in descriptors:
        rule = catalogue[d["id"]]
        assert d["helpUri"] == f"{RULES_URL}#{rule.id.lower()}"
        assert rule.id in anchors, f"docs/rules.md has no heading for {rule.id}"
        assert d["shortDescription"]["text"] == rule.title.replace("`", "")
        assert d["fullDescription"]["text"] == rule.rationale
        assert d["defaultConfiguration"]["level"] == \
            {"critical": "error", "warning": "warning", "suggestion": "note"}[rule.severity]
        md, text = d["help"]["markdown"], d["help"]["text"]
        assert rule.rationale in md and rule.fix in md and rule.rationale in text
        if rule.example:
            lang = fences.get(rule.domain)
            fenced = re.search(r"^(`{3,})([a-z]*)\n(.*?)\n\1$", md, re.M | re.S)
            assert fenced, rule.id
            assert fenced.group(3) == rule.example.rstrip("\n"), rule.id
            if lang:
                assert fenced.group(2) == lang, (rule.id, fenced.group(2))
            assert rule.example.splitlines()[0] in text
        props = d["properties"]
        assert props["tags"][0] == rule.category and rule.domain in props["tags"]
        assert 2 <= len(props["tags"]) <= 10
        assert all(re.fullmatch(r"[a-z0-9._/-]+", t) for t in props["tags"]), props["tags"]
        assert props["precision"] in ("high", "medium")
        if rule.category == "security":
            score = float(props["security-severity"])
            bucket = ("critical" if score > 9.0 else "high" if score >= 7.0 else
                      "medium" if score >= 4.0 else "low")
            assert bucket == {"critical": "critical", "warning": "medium",
                              "suggestion": "low"}[rule.severity], rule.id
        else:
            assert "security-severity" not in props
    by_id = {d["id"]: d for d in descriptors}
    assert "external/hadolint/dl3002" in by_id["DF004"]["properties"]["tags"]
    assert by_id["DF004"]["properties"]["precision"] == "high"


def test_rules_url_is_overridable_and_shellcheck_codes_point_at_its_wiki(tmp_path,
                                                                        monkeypatch):
    from infra_expert.shellcheck import code_rule
    make_repo(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = infra_expert.review(["deploy"])
    sc = code_rule("SC2086", "info", "dockerfile")
    result.findings.append(Finding(sc, "suggestion", "deploy/app/Dockerfile", 8, 5,
                                   "Double quote to prevent globbing and word splitting."))
    url = "https://git.example.com/ops/infra-expert/-/blob/v2/docs/rules.md#top"
    log = json.loads(render_sarif(result, rules_url=url))
    validate(log)
    descriptors = {d["id"]: d for d in log["runs"][0]["tool"]["driver"]["rules"]}
    assert descriptors["DF053"]["helpUri"] == \
        "https://git.example.com/ops/infra-expert/-/blob/v2/docs/rules.md#df053"
    assert descriptors["SC2086"]["helpUri"] == "https://www.shellcheck.net/wiki/SC2086"
    assert descriptors["SC2086"]["properties"]["precision"] == "medium"
    result_sc = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "SC2086")
    assert log["runs"][0]["tool"]["driver"]["rules"][result_sc["ruleIndex"]]["id"] == "SC2086"
    # the default again: the descriptors of another URL are not reused
    default = json.loads(render_sarif(result))
    assert {d["id"]: d for d in default["runs"][0]["tool"]["driver"]["rules"]}[
        "DF053"]["helpUri"] == RULES_URL + "#df053"


# ------------------------------------------------------------ fingerprints ----
def test_fingerprints_survive_lines_inserted_above(tmp_path, monkeypatch):
    make_repo(tmp_path)
    _, before = sarif_from(tmp_path, ["deploy"], monkeypatch)
    dockerfile = tmp_path / "deploy" / "app" / "Dockerfile"
    lines = DOCKERFILE.splitlines(keepends=True)
    shifted = lines[:6] + ["# build the runtime image\n", "# (see docs/runbook.md)\n",
                           "LABEL org.opencontainers.image.source=https://example.com\n"] \
        + lines[6:]
    dockerfile.write_text("".join(shifted))
    _, after = sarif_from(tmp_path, ["deploy"], monkeypatch)
    old = {(k[0], k[1]): [] for k in results_by(before)}
    for (rule, uri, line), r in sorted(results_by(before).items()):
        old[rule, uri].append((line, r["partialFingerprints"][FINGERPRINT_KEY]))
    new = {(k[0], k[1]): [] for k in results_by(after)}
    for (rule, uri, line), r in sorted(results_by(after).items()):
        new[rule, uri].append((line, r["partialFingerprints"][FINGERPRINT_KEY]))
    moved = 0
    for key, places in old.items():
        if key not in new:
            continue
        for (line_before, fp_before), (line_after, fp_after) in zip(places, new[key]):
            assert fp_before == fp_after, key
            if key[1] == "deploy/app/Dockerfile" and line_before >= 7:
                assert line_after == line_before + 3, key
                moved += 1
    assert moved >= 3          # the apt-get lines, the secret, … all moved down 3 lines
    assert ("DF053", "deploy/app/Dockerfile") in old


def test_fingerprints_survive_lines_inserted_in_a_file_another_finding_quotes(tmp_path,
                                                                             monkeypatch):
    """DF090 (in the Dockerfile) and DC070 quote `compose.yaml:4`: lines added at the top
    of compose.yaml move those quotes, not the fingerprints."""
    make_repo(tmp_path)
    _, before = sarif_from(tmp_path, ["deploy"], monkeypatch)
    compose = tmp_path / "deploy" / "compose.yaml"
    compose.write_text("# the app and its database\n# owner: ops\n\n" + COMPOSE)
    _, after = sarif_from(tmp_path, ["deploy"], monkeypatch)

    def prints(log):
        return sorted((r["ruleId"], r["partialFingerprints"][FINGERPRINT_KEY])
                      for r in log["runs"][0]["results"])

    def message(log, rule):
        return next(r["message"]["text"] for r in log["runs"][0]["results"]
                    if r["ruleId"] == rule)
    assert "compose.yaml:4)" in message(before, "DF090")
    assert "compose.yaml:7)" in message(after, "DF090")      # the quote moved …
    assert "compose.yaml:9)" in message(after, "DC070")
    assert prints(before) == prints(after)                    # … the fingerprints did not


def test_two_equal_findings_in_one_file_have_different_fingerprints(tmp_path, monkeypatch):
    make_repo(tmp_path)
    _, log = sarif_from(tmp_path, ["deploy"], monkeypatch)
    twins = [r for r in log["runs"][0]["results"] if r["ruleId"] == "DF053"]
    assert len(twins) == 2
    assert twins[0]["message"] == twins[1]["message"]
    assert twins[0]["locations"][0]["physicalLocation"]["artifactLocation"] == \
        twins[1]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert twins[0]["partialFingerprints"] != twins[1]["partialFingerprints"]
    prints = [r["partialFingerprints"][FINGERPRINT_KEY] for r in log["runs"][0]["results"]]
    assert len(set(prints)) == len(prints)


def test_another_working_directory_gives_the_same_uris_and_fingerprints(tmp_path,
                                                                       monkeypatch):
    repo = make_repo(tmp_path / "repo")
    _, top = sarif_from(repo, ["deploy"], monkeypatch)
    _, inside = sarif_from(repo / "deploy", ["."], monkeypatch)
    _, deeper = sarif_from(repo / "deploy" / "app", ["..", "../../README.md"], monkeypatch)
    (tmp_path / "elsewhere").mkdir()
    _, given_root = sarif_from(tmp_path / "elsewhere", [str(repo / "deploy")], monkeypatch,
                               root=str(repo))

    def seen(log):
        return {k: r["partialFingerprints"][FINGERPRINT_KEY]
                for k, r in results_by(log).items()}
    assert seen(top) and seen(top) == seen(inside) == seen(deeper) == seen(given_root)
    for log in (top, inside, deeper, given_root):
        assert log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == \
            repo.as_uri() + "/"
        assert {u["uri"] for u in every_uri(log)} >= {"deploy/app/Dockerfile",
                                                      "deploy/compose.yaml"}
        validate(log)


def test_fingerprints_are_the_shared_ones(tmp_path, monkeypatch):
    """The same fingerprint as the JSON baseline and GitLab's report use."""
    make_repo(tmp_path)
    result, log = sarif_from(tmp_path, ["deploy"], monkeypatch)
    assert [r["partialFingerprints"][FINGERPRINT_KEY] for r in log["runs"][0]["results"]] \
        == fingerprints(result.findings, str(tmp_path))


# -------------------------------------------------------------------- URIs ----
HOSTILE_DIRS = {
    "my app": "my%20app",                  # a space
    "svc#1": "svc%231",                    # a fragment delimiter
    "100%": "100%25",                      # a percent sign
    "what?": "what%3F",                    # a query delimiter
    "a:b": "a%3Ab",                        # would read as a scheme
    "naïve": "na%C3%AFve",                 # UTF-8
}


def test_hostile_paths_are_encoded_uri_references_that_find_the_file(tmp_path,
                                                                    monkeypatch):
    repo = make_repo(tmp_path / "repo")
    for name in HOSTILE_DIRS:
        write_tree(repo / "deploy" / name, {"Dockerfile": "FROM debian\nRUN echo hi\n"})
    raw_dir = os.path.join(os.fsencode(repo / "deploy"), b"caf\xe9")   # Latin-1, not UTF-8
    os.mkdir(raw_dir)
    with open(os.path.join(raw_dir, b"Dockerfile"), "wb") as fh:
        fh.write(b"FROM debian\nRUN echo hi\n")
    result, log = sarif_from(repo / "deploy", ["."], monkeypatch)
    validate(log)
    json.dumps(log).encode("utf-8")          # nothing left that is not UTF-8
    uris = {}
    for location in every_uri(log):
        uri = location["uri"]
        assert location.get("uriBaseId") == "%SRCROOT%", uri
        assert RELATIVE_REF.fullmatch(uri), uri
        assert not uri.startswith("/") and str(tmp_path) not in uri
        path = resolve(log, location)
        assert os.path.isfile(path), (uri, path)
        uris[uri] = path
    for name, encoded in HOSTILE_DIRS.items():
        assert f"deploy/{encoded}/Dockerfile" in uris, name
        assert uris[f"deploy/{encoded}/Dockerfile"] == \
            os.fsencode(repo / "deploy" / name / "Dockerfile")
    assert "deploy/caf%E9/Dockerfile" in uris
    assert uris["deploy/caf%E9/Dockerfile"] == os.path.join(raw_dir, b"Dockerfile")
    bad = next(r for r in log["runs"][0]["results"]
               if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
               == "deploy/caf%E9/Dockerfile")
    assert bytes.fromhex(bad["properties"]["path_bytes"]) == b"caf\xe9/Dockerfile"


def test_a_file_outside_the_root_is_an_absolute_file_uri(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "repo")
    outside = write_tree(tmp_path / "other dir#2", {"Dockerfile": DOCKERFILE})
    monkeypatch.chdir(repo)
    result = infra_expert.review(["deploy", str(outside / "Dockerfile")])
    log = json.loads(render_sarif(result))
    validate(log)
    located = {}
    for location in every_uri(log):
        if "uriBaseId" in location:
            assert RELATIVE_REF.fullmatch(location["uri"]) and \
                location["uri"].startswith("deploy/"), location
        else:
            assert FILE_URI.fullmatch(location["uri"]), location
            located[location["uri"]] = resolve(log, location)
    want = (outside / "Dockerfile").as_uri()
    assert want.startswith("file:///") and "%20" in want and "%232" in want
    assert located == {want: os.fsencode(outside / "Dockerfile")}


def test_the_root_uri_ends_with_a_slash_and_is_encoded(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "my repo #1")
    _, log = sarif_from(repo, ["deploy"], monkeypatch)
    base = log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == repo.as_uri() + "/" and "my%20repo%20%231/" in base
    validate(log)


# --------------------------------------------------------------------- cap ----
def _flood(path, counts):
    """A review of `counts` findings per severity, suggestions first (the cap must look
    past the order it is given), each a real rule of that severity."""
    by_severity = {}
    for rule in all_rules():
        by_severity.setdefault(rule.severity, rule)
    result = Review()
    result.files = [(path, "dockerfile")]
    for severity in ("suggestion", "warning", "critical"):
        rule = by_severity[severity]
        result.findings += [Finding(rule, severity, path, i + 1, 1, f"place {i}")
                            for i in range(counts[severity])]
    result.notices.append(Notice("deploy/broken.yaml", "not valid YAML: skipped"))
    return result


def test_more_than_githubs_limit_keeps_the_most_severe_and_says_so(tmp_path, monkeypatch):
    make_repo(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert MAX_RESULTS == 25_000
    result = _flood("deploy/app/Dockerfile",
                    {"suggestion": 20_000, "warning": 5_000, "critical": 3})
    out = []
    left_out = write_sarif(result, out.append)
    text = "".join(out)
    assert left_out == 3
    assert text == render_sarif(result)
    log = json.loads(text)
    run = log["runs"][0]
    assert len(run["results"]) == 25_000
    levels = [r["level"] for r in run["results"]]
    assert levels == ["error"] * 3 + ["warning"] * 5_000 + ["note"] * 19_997
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert notes[0]["message"]["text"] == \
        "deploy/broken.yaml: not valid YAML: skipped"
    capped = notes[-1]
    assert capped["level"] == "warning"
    assert capped["message"]["text"].startswith(
        "3 of 25003 findings left out: GitHub code scanning accepts at most 25,000 "
        "results per run.")
    assert capped["properties"] == {"leftOut": 3, "total": 25_003}
    # fingerprints are those of the whole review: the cap changes none
    everything = fingerprints(result.findings, str(tmp_path))
    kept = [r["partialFingerprints"][FINGERPRINT_KEY] for r in run["results"]]
    assert kept[:3] == everything[-3:] and kept[3:5003] == everything[20_000:25_000]
    assert kept[5003:] == everything[:19_997]
    # the last suggestions are the ones left out
    assert all(f"place {i}" not in json.dumps(run["results"][-1]) for i in (19_997, 19_998))
    validate({**log, "runs": [{**run, "results": run["results"][:50]}]})


def test_at_the_limit_nothing_is_left_out(tmp_path, monkeypatch):
    make_repo(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sarif_module, "MAX_RESULTS", 6)
    result = _flood("deploy/app/Dockerfile", {"suggestion": 3, "warning": 2, "critical": 1})
    out = []
    assert write_sarif(result, out.append) == 0
    log = json.loads("".join(out))
    run = log["runs"][0]
    assert [r["level"] for r in run["results"]] == ["note"] * 3 + ["warning"] * 2 + ["error"]
    assert len(run["invocations"][0]["toolExecutionNotifications"]) == 1
    result.findings.append(result.findings[0])
    out = []
    assert write_sarif(result, out.append) == 1
    run = json.loads("".join(out))["runs"][0]
    assert [r["level"] for r in run["results"]] == ["error"] + ["warning"] * 2 + ["note"] * 3
    validate(json.loads("".join(out)))


def test_an_empty_review_is_valid(tmp_path, monkeypatch):
    make_repo(tmp_path)
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    out = []
    result = infra_expert.review(["README.md"])
    assert write_sarif(result, out.append) == 0
    log = json.loads("".join(out))
    assert log["runs"][0]["results"] == []
    validate(log)


def test_the_cli_writes_sarif_for_the_repository(tmp_path):
    """`infra-expert review -f sarif` from a subfolder: relative URIs, the repo as root."""
    import subprocess
    import sys
    repo = make_repo(tmp_path / "repo")
    done = subprocess.run([sys.executable, "-m", "infra_expert", "review", "--no-config",
                           "--fail-on", "never", "-f", "sarif", "."],
                          cwd=repo / "deploy", capture_output=True)
    assert done.returncode == 0, done.stderr[-500:]
    log = json.loads(done.stdout)
    validate(log)
    assert log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.as_uri() + "/"
    assert {u["uri"] for u in every_uri(log)} >= {"deploy/app/Dockerfile",
                                                  "deploy/compose.yaml"}
    assert b"ghp_0123456789abcdef" not in done.stdout and b"hunter2hunter2" not in done.stdout
    assert all(r["partialFingerprints"][FINGERPRINT_KEY] for r in log["runs"][0]["results"])
