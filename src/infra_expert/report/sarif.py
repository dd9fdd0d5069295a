"""`--format sarif`: SARIF 2.1.0 for code-scanning dashboards (GitHub code scanning first).

What GitHub reads, and what this writes for it:

- `partialFingerprints["infraExpert/v1"]` on every result (`infra_expert.fingerprint`):
  the same finding keeps its alert across runs, line shifts and working directories;
- per rule a result uses: `shortDescription` (title), `fullDescription` (rationale), `help.text` and
  `help.markdown` (rationale, fix, the example fenced in its domain's language), `helpUri`
  (`RULES_URL#df001`, a ShellCheck code's wiki page), `defaultConfiguration.level`, and
  `properties`: `tags` (category, domain, the peers' ids as `external/…`), `precision`, and
  `security-severity` for security rules;
- URIs relative to the source root (`%SRCROOT%`: the git top or the working directory),
  percent-encoded; a file outside the root is an absolute `file://` URI. Never an
  absolute path otherwise;
- at most `MAX_RESULTS` results (GitHub rejects a run with more): the most severe are
  kept and a notification says how many were left out (`write_sarif` returns that
  number for the CLI to print).
"""

from __future__ import annotations

import json
import os
import re
from urllib.parse import quote

from infra_expert import __version__
from infra_expert.report import path_bytes, utf8, utf8_tree

LEVELS = {"critical": "error", "warning": "warning", "suggestion": "note"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_URL = "https://github.com/infra-expert/infra-expert"
RULES_URL = "https://github.com/infra-expert/infra-expert/blob/main/docs/rules.md"
SHELLCHECK_WIKI = "https://www.shellcheck.net/wiki/"
FINGERPRINT_KEY = "infraExpert/v1"
SRCROOT = "%SRCROOT%"

# GitHub code scanning's limits on one uploaded run ("SARIF results exceed limit" in
# GitHub's docs): above these an upload is rejected (results, rules) or tags are cut.
MAX_RESULTS = 25_000         # results per run (GitHub shows the 5,000 most severe)
MAX_RULES = 25_000           # rules per run: the catalogue is a few hundred (a test checks)
MAX_TAGS = 10                # tags per rule: 20 accepted, only 10 displayed

# `security-severity` (only read for rules tagged "security"): GitHub buckets the score as
# critical above 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9. Ours, from the severity:
#   critical   -> 9.5  (GitHub "critical": exploitable as written; 9.5 rather than 9.0,
#                       since GitHub's docs say "over 9.0" and 9.0 sits on the boundary)
#   warning    -> 6.5  (GitHub "medium": a hardening gap that needs another flaw to hurt)
#   suggestion -> 3.0  (GitHub "low": hardening beyond the baseline)
# We have no "high": our critical is "block the merge", our warning "depends on context".
SECURITY_SEVERITY = {"critical": "9.5", "warning": "6.5", "suggestion": "3.0"}

# `precision` (GitHub sorts and filters alerts by it): how often the rule is right when it
# fires. Our rules read what the file says, deterministically, so a critical or warning
# rule is "high"; a suggestion (a judgement call: hardening beyond the baseline) and a
# rule that is off by default (opinionated, opt-in) are "medium"; a ShellCheck code is
# ShellCheck's own heuristic run on shell cut out of another file: "medium".
PRECISION_HIGH, PRECISION_MEDIUM = "high", "medium"

_SHELLCHECK = re.compile(r"^SC\d{4}$")


def _precision(rule):
    if _SHELLCHECK.match(rule.id) or not rule.enabled or rule.severity == "suggestion":
        return PRECISION_MEDIUM
    return PRECISION_HIGH


def _tag(text):
    return re.sub(r"[^a-z0-9._/-]+", "-", text.lower()).strip("-")


def _tags(rule):
    """Category first (GitHub treats a rule tagged "security" as a security rule), the
    domain, then the peers' ids (`hadolint:DL3008` -> `external/hadolint/dl3008`)."""
    tags = [rule.category, _tag(rule.domain)]
    for peer in rule.peers:
        tool, _, code = peer.partition(":")
        tag = f"external/{_tag(tool)}/{_tag(code)}" if code else f"external/{_tag(tool)}"
        if tag not in tags:
            tags.append(tag)
    return tags[:MAX_TAGS]


def _fence(text):
    """A backtick fence longer than any backtick run in `text` (at least three)."""
    runs = re.findall(r"`+", text)
    return "`" * max(3, max((len(r) for r in runs), default=0) + 1)


def _language(rule):
    from infra_expert.engine import domains
    domain = domains().get(rule.domain)
    return getattr(domain, "fence", "") or ""


def help_uri(rule, rules_url=None):
    """Where a rule is documented: its anchor in docs/rules.md (GitHub's anchor for the
    heading `### DF001` is `#df001`), or ShellCheck's wiki page for a ShellCheck code."""
    if _SHELLCHECK.match(rule.id):
        return SHELLCHECK_WIKI + rule.id
    base = (rules_url or RULES_URL).split("#", 1)[0]
    return f"{base}#{rule.id.lower()}"


def _rule_descriptor(rule, rules_url):
    title = rule.title.replace("`", "")
    peers = ", ".join(rule.peers) if rule.peers else "none"
    text = [title, "", rule.rationale, "", f"Fix: {rule.fix}"]
    markdown = [f"**{rule.title}**", "", rule.rationale, "", f"**Fix:** {rule.fix}"]
    if rule.example:
        example = rule.example.rstrip("\n")
        fence = _fence(example)
        text += ["", "Example (the rule does not fire on it):", "",
                 *("    " + line for line in example.splitlines())]
        markdown += ["", "**Example** (the rule does not fire on it):", "",
                     fence + _language(rule), example, fence]
    text += ["", f"Peers: {peers}"]
    markdown += ["", "**Peers:** " + (", ".join(f"`{p}`" for p in rule.peers)
                                      if rule.peers else "none")]
    properties = {"tags": _tags(rule), "precision": _precision(rule),
                  "peers": list(rule.peers), "severity": rule.severity,
                  "enabledByDefault": rule.enabled}
    if rule.category == "security":
        properties["security-severity"] = SECURITY_SEVERITY[rule.severity]
    return {
        "id": rule.id,
        "name": "".join(w.capitalize() for w in title.split() if w.isalnum())[:60]
                or rule.id,
        "shortDescription": {"text": title},
        "fullDescription": {"text": rule.rationale},
        "helpUri": help_uri(rule, rules_url),
        "help": {"text": "\n".join(text), "markdown": "\n".join(markdown)},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": properties,
    }


# ---------------------------------------------------------------------- URIs -------
def _encode(path, safe):
    """`path`'s bytes (as the file system holds them) percent-encoded where a URI needs
    it: `#`, `?`, `%`, spaces, control characters, bytes that are not UTF-8."""
    try:
        raw = os.fsencode(path)
    except UnicodeEncodeError:
        raw = utf8(path).encode("utf-8")
    return quote(raw, safe=safe)


def _file_uri(absolute):
    """An absolute path as a `file:///…` URI (a Windows drive keeps its colon)."""
    absolute = absolute.replace(os.sep, "/")
    if not absolute.startswith("/"):
        absolute = "/" + absolute
    return "file://" + _encode(absolute, "/:")


def root_uri(root):
    """`%SRCROOT%`'s value: the root as a `file:///…/` URI ending in `/`."""
    uri = _file_uri(os.path.abspath(root))
    return uri if uri.endswith("/") else uri + "/"


class _Locator:
    """Paths of one review as artifactLocations, relative to the root (cached: a fleet's
    review has tens of thousands of findings over a few thousand files)."""

    def __init__(self, root):
        self.root = root
        self.cache = {}

    def __call__(self, path):
        """(artifactLocation, properties keeping an undecodable path's bytes)."""
        found = self.cache.get(path)
        if found is None:
            found = self.cache[path] = self._locate(path)
        return found

    def _locate(self, path):
        absolute = os.path.abspath(path)
        try:
            rel = os.path.relpath(absolute, self.root)
        except ValueError:                       # another drive
            rel = None
        if rel is None or rel == os.pardir or rel.startswith(os.pardir + os.sep):
            location = {"uri": _file_uri(absolute)}
        else:
            rel = rel.replace(os.sep, "/")
            # a relative reference: "/" kept, everything else (":" in a first segment
            # would read as a scheme) encoded
            location = {"uri": _encode(rel, "/"), "uriBaseId": SRCROOT}
        raw = path_bytes(path)
        return location, ({"path": utf8(path), "path_bytes": raw} if raw else {})


_DESCRIPTORS = {}


def rule_descriptor(rule, rules_url=None):
    """A rule's reportingDescriptor; the same in every report of a process: built once."""
    key = (rule.id, rule.domain, rules_url)
    found = _DESCRIPTORS.get(key)
    if found is None:
        found = _DESCRIPTORS[key] = _rule_descriptor(rule, rules_url)
    return found


def _kept(findings):
    """The findings written (at most MAX_RESULTS, the most severe first, in the review's
    order within a severity) with their positions in `findings`."""
    if len(findings) <= MAX_RESULTS:
        return list(enumerate(findings))
    from infra_expert.model import SEVERITY_RANK
    order = sorted(range(len(findings)), key=lambda i: SEVERITY_RANK[findings[i].severity])
    return [(i, findings[i]) for i in order[:MAX_RESULTS]]


def render_sarif(review, rules_url=None, root=None):
    out = []
    write_sarif(review, out.append, rules_url=rules_url, root=root)
    return "".join(out)


_RESULTS = "\x00infra-expert-results\x00"     # where the results go in the skeleton


def write_sarif(review, write, rules_url=None, root=None):
    """The SARIF log written piece by piece: the skeleton, then one result at a time (the
    same bytes as one `json.dumps(…, indent=2)` of the whole log). Returns how many
    findings were left out to stay within GitHub's limit (0 almost always).

    `rules_url`: where docs/rules.md is published (default RULES_URL); `root`: the source
    root URIs are relative to (default: the git top above the working directory, else
    the working directory). Relative paths in `review` are read from the working
    directory, as the review made them."""
    from infra_expert.engine import all_rules
    from infra_expert.fingerprint import fingerprints, source_root
    root = os.path.abspath(root) if root else source_root()
    locate = _Locator(root)
    prints = fingerprints(review.findings, root)      # over all: the cap changes none
    kept = _kept(review.findings)
    left_out = len(review.findings) - len(kept)
    # The rules the results use (not the whole catalogue: its help would make a one-file
    # review a megabyte), in the catalogue's order; a foreign code's rule (ShellCheck's
    # SC2086, made on use) after them.
    used = {}
    for _, f in kept:
        used.setdefault(f.rule.id, f.rule)
    order = {r.id: i for i, r in enumerate(all_rules())}
    rules = sorted(used.values(), key=lambda r: (order.get(r.id, len(order)), r.id))
    index = {r.id: i for i, r in enumerate(rules)}

    def results():
        for i, f in kept:
            region = {"startLine": f.line or 1}
            if f.column:
                region["startColumn"] = f.column
            location, raw = locate(f.path)
            properties = {"severity": f.severity, "category": f.rule.category,
                          "group": f.group, **raw}
            if f.rule.category == "security":       # this finding's, which may differ
                properties["security-severity"] = SECURITY_SEVERITY[f.severity]
            yield {
                "ruleId": f.rule.id,
                "ruleIndex": index[f.rule.id],
                "level": LEVELS[f.severity],
                "message": {"text": f"{f.rule.title.replace('`', '')}: {f.message}"},
                "locations": [{"physicalLocation": {"artifactLocation": location,
                                                    "region": region}}],
                "partialFingerprints": {FINGERPRINT_KEY: prints[i]},
                "properties": properties,
            }

    notifications = []
    for n in review.notices:
        raw = path_bytes(n.path)
        notifications.append({"level": "note", "message": {"text": f"{n.path}: {n.message}"},
                              **({"properties": {"path_bytes": raw}} if raw else {})})
    if left_out:
        counts = {}
        for _, f in kept:
            counts[f.severity] = counts.get(f.severity, 0) + 1
        said = ", ".join(f"{counts[s]} {s}" for s in LEVELS if s in counts)
        notifications.append({"level": "warning", "message": {"text": (
            f"{left_out} of {len(review.findings)} findings left out: GitHub code "
            f"scanning accepts at most {MAX_RESULTS:,} results per run. Kept the "
            f"{len(kept):,} most severe ({said}); the JSON output has them all.")},
            "properties": {"leftOut": left_out, "total": len(review.findings)}})
    artifacts = []
    for p, d in review.files:
        location, raw = locate(p)
        artifacts.append({"location": location, "properties": {"domain": d, **raw}})
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "infra-expert",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": TOOL_URL,
                "rules": [rule_descriptor(r, rules_url) for r in rules],
            }},
            "invocations": [{"executionSuccessful": True,
                             "toolExecutionNotifications": notifications}],
            "originalUriBaseIds": {SRCROOT: {"uri": root_uri(root)}},
            "artifacts": artifacts,
            "columnKind": "unicodeCodePoints",
            "results": _RESULTS,
        }],
    }
    skeleton = json.dumps(utf8_tree(log), indent=2, ensure_ascii=False) + "\n"
    mark = json.dumps(_RESULTS)
    at = skeleton.index(mark)
    indent = " " * (at - skeleton.rindex("\n", 0, at) - 1 - len('"results": '))
    write(skeleton[:at])
    empty = True
    for item in results():
        text = json.dumps(utf8_tree(item), indent=2, ensure_ascii=False)
        write(("[\n" if empty else ",\n") + indent + "  "
              + text.replace("\n", "\n" + indent + "  "))
        empty = False
    write("[]" if empty else "\n" + indent + "]")
    write(skeleton[at + len(mark):])
    return left_out
