"""The review engine: discover, parse, run rules, suppress, order.

One engine serves every domain. A domain module provides `NAME`, `RULESETS`,
`load_all(docs, ctx)` (parse; returns [(doc, error)] for failures), `reviewable(doc)`,
`suppressions(doc, peer_index)`, `resources(docs)`, `column(doc, line)` (where a finding
that gave no column starts) and optionally `related_documents(docs, ctx)` (files that
reviewed files point at, added to the run once).
"""

from __future__ import annotations

import os
import re

from infra_expert.model import (SEVERITY_RANK, Finding, Hit, Notice, Pass, Positive, Review,
                                RuleSet)
from infra_expert.suppress import PeerIndex

core = RuleSet("core")


@core.rule(
    "IE001", "suggestion", "elegance", "Suppression comment that matches nothing",
    "A suppression that no longer silences anything hides the next real finding on that "
    "line, and tells readers about a problem that is gone.",
    "Delete the comment (or fix the rule id in it).")
def unused_suppression(doc, ctx):
    return ()  # produced by the engine after suppression, see _unused()


@core.rule(
    "IE002", "suggestion", "reliability", "Suppression comment names an unknown rule",
    "A typo in a rule id silences nothing, and the finding it was meant for stays.",
    "Use an id listed by `infra-expert rules` (`# infra-expert: ignore=DF004 reason`).")
def unknown_rule_in_pragma(doc, ctx):
    return ()  # produced by the engine while reading suppressions


def domains():
    """Domain modules by name; imported here, explicitly, and nowhere else."""
    from infra_expert import compose, dockerfile, kubernetes, podman
    return {dockerfile.NAME: dockerfile, compose.NAME: compose, podman.NAME: podman,
            kubernetes.NAME: kubernetes}


def all_rules():
    rules = list(core.rules)
    for mod in domains().values():
        for rs in mod.RULESETS:
            rules.extend(rs.rules)
    return rules


class Context:
    """What a rule may look at besides its document: the config and the whole run."""

    __slots__ = ("config", "documents", "cache", "gate")

    def __init__(self, config, documents, gate=None):
        self.config = config
        self.documents = documents
        self.cache = {}
        self.gate = gate      # every read of the reviewed tree goes through it (fsgate)


def review(paths, config, config_dir=None):
    from infra_expert.discover import discover
    from infra_expert.fsgate import Gate, roots_for
    config_dir = config_dir or os.getcwd()
    gate = Gate(roots_for(paths), config.max_file_size)
    documents, notices = discover(paths, config, config_dir, gate)
    asked = None
    if any(not os.path.isdir(p) for p in paths):
        # files given alone: their base, unit or Compose service join the run as context,
        # and only the findings of the files (and folders) that were asked for are kept
        files = {os.path.realpath(p) for p in paths if not os.path.isdir(p)}
        dirs = tuple(os.path.realpath(p).rstrip(os.sep) + os.sep
                     for p in paths if os.path.isdir(p))

        answers = {}     # asked once per path, not once per finding

        def asked(path):
            if path not in answers:
                real = os.path.realpath(path)
                answers[path] = real in files or real.startswith(dirs)
            return answers[path]
    result = review_documents(documents, notices, config, gate, asked)
    if not result.files:
        result.notices.insert(0, Notice(", ".join(paths) or ".", (
            "nothing was reviewed: no Dockerfile, Compose file, Quadlet unit or Kubernetes "
            "manifest was found, so an empty review here says nothing about these files")))
    return result


def review_documents(documents, notices, config, gate=None, asked=None):
    from infra_expert.fsgate import Gate
    result = Review()
    result.notices.extend(notices)
    mods = domains()
    rules = all_rules()
    by_id = {r.id: r for r in rules}
    peer_index = PeerIndex(rules)
    if gate is None:
        gate = Gate({d.root for d in documents if d.root}, config.max_file_size)
    ctx = Context(config, documents, gate)
    if config.kubernetes_version:
        ctx.cache["kubernetes-version"] = config.kubernetes_version

    findings, passes, suppressions = [], [], []
    hit_keys = set()
    hit_counts, collection_stopped = {}, set()
    failed = _load(documents, mods, ctx, result)
    result.notices.extend(ctx.cache.pop("notices", []))
    # Files that reviewed files point at (a Compose service's Dockerfile) join the run once.
    added = []
    for name, mod in mods.items():
        related = getattr(mod, "related_documents", None)
        if related is not None:
            try:
                added.extend(related([d for d in documents if d.domain == name
                                      and id(d) not in failed], ctx))
            except Exception as exc:  # noqa: BLE001
                result.notices.append(Notice(name, f"internal error while following related "
                                                   f"files ({type(exc).__name__})"))
    if added:
        documents.extend(added)
        failed |= _load(added, mods, ctx, result)
        result.notices.extend(ctx.cache.pop("notices", []))
    for doc in documents:
        if id(doc) in failed:
            continue
        mod = mods[doc.domain]
        if asked is not None and not any(
                asked(p) for p in (doc.path, *getattr(doc.model, "files", ()))):
            continue    # context for a file given alone, not itself asked for
        result.files.append((doc.path, doc.domain))
        if not mod.reviewable(doc):
            continue
        first = len(findings)
        sups, unknown = mod.suppressions(doc, peer_index)
        if config.disable_ignore_pragma:   # `.hadolint.yaml`: hadolint's pragmas are off
            sups = [s for s in sups if s.origin != "hadolint"]
        suppressions.extend(sups)
        for line, codes in unknown:
            findings.append(Finding(by_id["IE002"], _severity(by_id["IE002"], config),
                                    doc.path, line, None,
                                    f"unknown rule id {', '.join(codes)} in suppression comment"))
        for rs in mod.RULESETS:
            for rule in rs.rules:
                if rule.id in config.ignore or not (rule.enabled or rule.id in config.enable):
                    continue
                try:
                    for item in rule.fn(doc, ctx):
                        path = item.path or doc.path
                        if type(item) is Hit:
                            key = (rule.id, path)
                            count = hit_counts[key] = hit_counts.get(key, 0) + 1
                            if count > MAX_COLLECTED_PER_RULE_AND_FILE:
                                collection_stopped.add(key)
                                break   # bounded work: a pathological file stops here
                            column = item.column
                            if column is None and item.line and path == doc.path:
                                column = mod.column(doc, item.line)
                            findings.append(Finding(rule, _severity(rule, config, item), path,
                                                    item.line, column, item.message))
                            hit_keys.add(key)
                        elif type(item) is Pass and rule.positive and doc.kind != "overlay":
                            # an overlay's review says what it changes; praise is the base's
                            passes.append((rule, path, item))
                except Exception as exc:  # noqa: BLE001
                    result.notices.append(Notice(
                        doc.path, f"internal error in rule {rule.id} "
                                  f"({type(exc).__name__}); the other rules ran"))
        adjust = getattr(mod, "adjust_findings", None)   # an overlay keeps what it adds
        if adjust is not None:
            findings[first:] = adjust(doc, ctx, findings[first:])
        if asked is not None:
            findings[first:] = [f for f in findings[first:] if asked(f.path)]

    _calibrate_fixtures(findings, config)

    # One statement once: a value inherited from a shared file (`extends`, `include`) is
    # reported at its source however many services or projects use it.
    unique_findings = {}
    for f in findings:
        unique_findings.setdefault((f.rule.id, f.path, f.line, f.message), f)
    findings = list(unique_findings.values())
    kept = []
    by_path = {}
    for s in suppressions:
        by_path.setdefault(s.path, []).append(s)
    for f in findings:
        if f.rule.id in config.ignore:
            continue
        matched = [s for s in by_path.get(f.path, ()) if s.covers(f)]
        for s in matched:
            s.used = True
        if not matched:
            kept.append(f)
    if "IE001" not in config.ignore:
        # a pragma of a file two projects read (a base, a shared `extends` file) is one
        # pragma: it silences nothing only when no project used it
        used = {(s.path, s.line, s.written) for s in suppressions if s.used}
        for s in suppressions:
            key = (s.path, s.line, s.written)
            if key not in used and s.origin == "infra-expert" and (
                    asked is None or asked(s.path)):
                used.add(key)
                rule = by_id["IE001"]
                kept.append(Finding(rule, _severity(rule, config), s.path, s.line, None,
                                    f"`ignore={s.written}` silences nothing here"))
    kept.sort(key=Finding.sort_key)
    result.findings = _cap_per_rule_and_file(kept, collection_stopped)

    seen = set()
    for rule, path, item in passes:
        if asked is not None and not asked(path):
            continue
        key = (rule.id, path)
        if key in hit_keys or key in seen:
            continue
        seen.add(key)
        try:
            message = rule.positive.format(**item.fields)
        except (KeyError, IndexError):
            message = rule.positive
        result.positives.append(Positive(rule, path, item.line, message))
    result.positives.sort(key=lambda p: (p.path, p.line or 0, p.rule.id))

    for name, mod in mods.items():
        docs = [d for d in documents if d.domain == name and id(d) not in failed
                and mod.reviewable(d) and (asked is None or any(
                    asked(p) for p in (d.path, *getattr(d.model, "files", ()))))]
        if docs:
            res = mod.resources(docs)
            if res:
                result.resources[name] = res
    result.notices.extend(ctx.cache.pop("notices", []))
    result.notices.extend(Notice(path, "folder not listed: outside the reviewed tree")
                          for path in gate.unlisted)
    unique = {}
    for n in result.notices:
        unique.setdefault((n.path, n.message), n)
    result.notices = list(unique.values())
    _say_once(result, documents)
    _mask_output(result)
    return result


# ------------------------------------------------------------------ say it once ----
# A positive of the first rule is not said where one of these rules found something:
# they judge the same setting (a `cap_drop: [ALL]` that adds SYS_ADMIN back).
SAME_SETTING = {"DC006": ("DC011", "DC012"), "DC035": ("DC036", "DC056"),
                "K8022": ("K8021",)}
_SUBJECT = re.compile(r"^(?:service `([^`]+)`|([A-Z][A-Za-z]* `[^`]*`"
                      r"(?: controller `[^`]*`)?(?:: container `[^`]+`)?))")


def _projects(documents):
    """{normalised path: project} and {project: {"domain", "subjects"}}. A Compose project
    is its main file with its overrides, includes and `.env`; Kubernetes manifests and
    Podman units group by folder; a Dockerfile is a project alone."""
    from infra_expert.kubernetes.model import cname, each_container
    project_of, projects = {}, {}
    for doc in documents:      # a main file is its own project, even when others load it
        if doc.domain == "compose" and hasattr(doc.model, "services"):
            project_of[os.path.normpath(doc.path)] = doc.path
    for doc in documents:
        model = doc.model
        if model is None:
            continue
        if doc.domain == "compose" and hasattr(model, "services"):
            key = doc.path
            members = [doc.path, *getattr(model, "files", ()), *getattr(model, "texts", ())]
            env = getattr(getattr(model, "env", None), "path", None)
            for member in members + ([env] if env else []):
                project_of.setdefault(os.path.normpath(member), key)
            subjects = [svc.label for svc in model.services.values()
                        if isinstance(svc.data, dict)]
        elif doc.domain in ("kubernetes", "podman"):
            key = os.path.dirname(doc.path) or "."
            project_of.setdefault(os.path.normpath(doc.path), key)
            subjects = [f"{obj.label}: container `{cname(c)}`"
                        for obj, _, c, _ in each_container(getattr(model, "objects", ()))]
        else:
            continue
        entry = projects.setdefault(key, {"domain": doc.domain, "subjects": []})
        entry["subjects"].extend(s for s in subjects if s not in entry["subjects"])
    return project_of, projects


def _say_once(result, documents):
    """Give each finding its project, group key and subject (the reporters say a rule
    once per project, listing its places), and drop a positive that a finding of its own
    rule, or of a rule about the same setting, contradicts anywhere in its project."""
    project_of, result.projects = _projects(documents)

    def project(rule, path):
        key = project_of.get(os.path.normpath(path))
        if key is None and rule.domain in ("kubernetes", "podman"):
            key = os.path.dirname(path) or "."
        return key or path

    def scope(rule, path):    # where a positive and a finding judge the same thing
        return project(rule, path) if rule.domain == "compose" else path

    found = set()
    for f in result.findings:
        f.project = project(f.rule, f.path)
        f.group = f"{f.rule.id}:{f.project}"
        match = _SUBJECT.match(f.message)
        f.subject = match and (match.group(1) or match.group(2))
        found.add((f.rule.id, scope(f.rule, f.path)))
    result.positives = [
        p for p in result.positives
        if not any((rid, scope(p.rule, p.path)) in found
                   for rid in (p.rule.id, *SAME_SETTING.get(p.rule.id, ())))]


def _mask_output(result):
    """Run every string that leaves the engine through the one secret masker: rules and
    loaders quote raw lines, and a quoted line may hold a credential."""
    from infra_expert.secrets import mask_secrets, mask_url_credentials
    for f in result.findings:
        f.message = mask_secrets(f.message)
        if f.fix is not f.rule.fix:          # the rule's own text is documentation
            f.fix = mask_secrets(f.fix)
    for p in result.positives:
        p.message = mask_secrets(p.message)
    for n in result.notices:
        n.message = mask_secrets(n.message)
        n.path = mask_url_credentials(n.path)   # a notice may name a remote reference
    result.resources = _mask_tree(result.resources, mask_secrets)


def _mask_tree(value, mask):
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: _mask_tree(v, mask) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask_tree(v, mask) for v in value]
    return value


# One rule says the same thing at most this often per file; the rest is counted in an
# "and N more" line. Past the second number a rule stops being run on that file at all.
MAX_FINDINGS_PER_RULE_AND_FILE = 50
MAX_COLLECTED_PER_RULE_AND_FILE = 10_000


def _cap_per_rule_and_file(findings, stopped):
    """Keep the first findings of each (rule, file); the last kept one says how many more."""
    counts = {}
    for f in findings:
        key = (f.rule.id, f.path)
        counts[key] = counts.get(key, 0) + 1
    if all(n <= MAX_FINDINGS_PER_RULE_AND_FILE for n in counts.values()):
        return findings
    kept, shown = [], {}
    for f in findings:
        key = (f.rule.id, f.path)
        n = shown[key] = shown.get(key, 0) + 1
        if n > MAX_FINDINGS_PER_RULE_AND_FILE:
            continue
        if n == MAX_FINDINGS_PER_RULE_AND_FILE and counts[key] > n:
            more = counts[key] - n
            at_least = "at least " if key in stopped else ""
            f.message = (f"{f.message} — and {at_least}{more} more like this in this file, "
                         f"not listed (at most {MAX_FINDINGS_PER_RULE_AND_FILE} per rule "
                         "and file)")
        kept.append(f)
    return kept


def _load(documents, mods, ctx, result):
    """Parse documents domain by domain; returns ids of the documents that failed."""
    failed = set()
    for name, mod in mods.items():
        docs = [d for d in documents if d.domain == name]
        if not docs:
            continue
        try:
            problems = mod.load_all(docs, ctx)
        except Exception as exc:  # noqa: BLE001 - a parser bug must not end the review
            problems = [(d, type(exc).__name__) for d in docs]
        for doc, error in problems:
            failed.add(id(doc))
            result.notices.append(Notice(doc.path, f"internal error while parsing ({error}); "
                                                   "file not reviewed"))
    return failed


def _calibrate_fixtures(findings, config):
    """A credential in a CI/test fixture is not a deployed one: a warning that says so
    (unless the user set the rule's severity)."""
    from infra_expert.knowledge import FIXTURE_CALIBRATED_RULES, FIXTURE_NOTE, is_fixture_path
    for f in findings:
        if f.rule.id in FIXTURE_CALIBRATED_RULES and f.rule.id not in config.severity \
                and f.severity == "critical" and is_fixture_path(f.path):
            f.severity = "warning"
            f.message += FIXTURE_NOTE


def _severity(rule, config, hit=None):
    return config.severity.get(rule.id) or (hit and hit.severity) or rule.severity


def exit_status(review_result, fail_on):
    if fail_on == "never":
        return 0
    limit = SEVERITY_RANK[fail_on]
    return 1 if any(SEVERITY_RANK[f.severity] <= limit for f in review_result.findings) else 0
