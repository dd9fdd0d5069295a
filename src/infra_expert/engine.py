"""The review engine: discover, then load, relate, run, suppress, positives, resources.

One engine serves every domain: it iterates the descriptors of `registry.domains()` (see
`domain.Domain` for what a domain says about itself) and names none of them.
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
    "Delete the comment (or fix the rule id in it).",
    example=(
        'FROM debian:12-slim\n'
        '# infra-expert: ignore=DF051 the fonts need their recommended packages\n'
        'RUN apt-get update && apt-get install -y fontconfig && rm -rf /var/lib/apt/lists/*\n'
        'USER 10001'))
def unused_suppression(doc, ctx):
    return ()  # produced by the engine after suppression, see _unused()


@core.rule(
    "IE002", "suggestion", "reliability", "Suppression comment names an unknown rule",
    "A typo in a rule id silences nothing, and the finding it was meant for stays.",
    "Use an id listed by `infra-expert rules` (`# infra-expert: ignore=DF004 reason`).",
    example=(
        'FROM debian:12-slim\n'
        '# infra-expert: ignore=DF051 the fonts need their recommended packages\n'
        'RUN apt-get update && apt-get install -y fontconfig && rm -rf /var/lib/apt/lists/*\n'
        'USER 10001'))
def unknown_rule_in_pragma(doc, ctx):
    return ()  # produced by the engine while reading suppressions


def domains():
    """{name: descriptor}, in the registry's order."""
    from infra_expert.registry import domains as registered
    return {d.name: d for d in registered()}


def _rules_of_prefix(code):
    """The rules of the domain whose prefix starts `code` (`K8001`), or ()."""
    dom = next((d for d in domains().values() if code.startswith(d.prefix)), None)
    return dom.rules if dom is not None else ()


def all_rules():
    from infra_expert.fit import rules as fit_rules
    rules = list(core.rules) + list(fit_rules.rules)
    for d in domains().values():
        rules.extend(d.rules)
    return rules


class Context:
    """What a rule may look at besides its document: the config and the whole run.

    `index(build)`: a per-run index, built once by `build(ctx)` on first use and shared by
    every rule that asks for it (the function is the key, and its docstring says what it
    holds); `notices` collects what loaders and rules want the user to know; `links` holds
    what the files of one domain run or build (core `crossfile`)."""

    __slots__ = ("config", "documents", "gate", "links", "notices", "kubernetes_version",
                 "_indexes")

    def __init__(self, config, documents, gate=None):
        from infra_expert.crossfile import Links
        self.config = config
        self.documents = documents
        self.gate = gate      # every read of the reviewed tree goes through it (fsgate)
        self.links = Links()
        self.notices = []
        self.kubernetes_version = config.kubernetes_version   # None: the newest known
        self._indexes = {}

    def index(self, build):
        found = self._indexes.get(build)
        if found is None:
            found = self._indexes[build] = build(self)
        return found


def review(paths, config, config_dir=None, jobs=1, stream=None, shard=None,
           line_format="jsonl", progress=None):
    """Review `paths`. A folder holding several git repositories (an organisation's
    clones, a fleet) is reviewed one repository at a time — in `jobs` worker processes
    (None: every usable CPU) when there are several — and the results merged
    (`infra_expert.scale`); anything else is one run. `stream` (a `write`): the review in
    `line_format` (JSON Lines, compact, github) written unit by unit as they finish, the
    findings not kept (the Review returned has their `counts`); ignored for one run.
    `shard` (I, N): only the units of shard I of N (`infra_expert.scale.shard`).
    `progress` (`infra_expert.progress.Progress`): told the files (or, for a fleet, the
    repositories) as they are done."""
    config_dir = config_dir or os.getcwd()
    from infra_expert.scale import plan
    units = plan(paths, config, config_dir)
    if shard is not None:
        # one shard of a fleet review: its units only, merged later (`infra-expert merge`)
        from infra_expert import scale
        mine = scale.shard(units, *shard)
        if len(units) == 1:
            return review_unit(paths, config, config_dir, progress=progress) if mine \
                else Review()
        return scale.review_units(mine, config, config_dir, jobs, stream,
                                  empty_notice=False, line_format=line_format,
                                  progress=progress)
    if len(units) > 1:
        from infra_expert.scale import review_units
        return review_units(units, config, config_dir, jobs, stream,
                            line_format=line_format, progress=progress)
    return review_unit(paths, config, config_dir, progress=progress)


def review_unit(paths, config, config_dir, skip=(), empty_notice=True, progress=None):
    """One run over `paths` (folders in `skip` left out): discovery, then every phase."""
    from infra_expert.discover import discover
    from infra_expert.fsgate import Gate, roots_for
    gate = Gate(roots_for(paths, config.confine), config.max_file_size)
    seen = {}
    documents, notices = discover(paths, config, config_dir, gate, seen, skip)
    if progress is not None:
        progress.start(len(documents))
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
                # a path that is no file (`deployment/shop/web`: an object of a live
                # snapshot given alone) is part of what was asked, not context
                answers[path] = real in files or real.startswith(dirs) or \
                    not os.path.lexists(path)
            return answers[path]
    from infra_expert.fsgate import work_tree
    from infra_expert.knowledge import PROJECT_BASES, ProjectBases
    bases = {os.path.realpath(p) for p in paths if os.path.isdir(p)}
    bases.update(os.path.realpath(t) for t in (
        work_tree(os.path.dirname(os.path.abspath(p))) for p in paths
        if not os.path.isdir(p) and os.path.lexists(p)) if t)
    token = PROJECT_BASES.set(ProjectBases(sorted(bases, key=len, reverse=True)))
    try:
        result = review_documents(documents, notices, config, gate, asked,
                                  swap_seen=seen.get("swap", False), progress=progress)
    finally:
        PROJECT_BASES.reset(token)
    if not result.files and empty_notice:
        result.notices.insert(0, nothing_reviewed(paths))
    return result


def nothing_reviewed(paths):
    from infra_expert.discover import reviewed_kinds
    return Notice(", ".join(paths) or ".", (
        f"nothing was reviewed: no {reviewed_kinds(plural=False, last='or')} was found, "
        "so an empty review here says nothing about these files"))


def review_documents(documents, notices, config, gate=None, asked=None, swap_seen=False,
                     progress=None):
    from infra_expert.fsgate import Gate
    result = Review()
    result.notices.extend(notices)
    if gate is None:
        gate = Gate({d.root for d in documents if d.root}, config.max_file_size)
    ctx = Context(config, documents, gate)
    run = _Run(ctx, result, asked)
    run.swap_seen = swap_seen
    run.progress = progress
    run.load()
    run.relate()
    run.resources()
    run.run_rules()
    run.suppress()
    run.positives()
    result.notices.extend(ctx.notices)
    result.notices.extend(Notice(path, "folder not listed: outside the reviewed tree")
                          for path in gate.unlisted)
    unique = {}
    for n in result.notices:
        unique.setdefault((n.path, n.message), n)
    result.notices = list(unique.values())
    _say_once(result, documents)
    _mask_output(result)
    return result


class _Run:
    """One review, phase by phase. `failed` holds the ids of documents that did not load."""

    def __init__(self, ctx, result, asked):
        self.ctx, self.result, self.asked = ctx, result, asked
        self.swap_seen = False    # a swap or zram configuration is in the tree
        self.config = ctx.config
        self.domains = domains()
        self.by_id = {r.id: r for r in core.rules}
        self.peer_index = None
        self.failed = set()
        self.findings, self.passes, self.suppressions = [], [], []
        self.hit_keys, self.collection_stopped = set(), set()
        self.hit_counts = {}     # (rule id, path) -> hits collected
        self.progress = None     # told each document as its rules are done
        self._by_path = None     # path -> document, for a finding about another file

    def _of(self, name, documents=None):
        return [d for d in (self.ctx.documents if documents is None else documents)
                if d.domain == name and id(d) not in self.failed]

    def _asked_doc(self, doc):
        return self.asked is None or any(
            self.asked(p) for p in (doc.path, *getattr(doc.model, "files", ())))

    def _take_notices(self):
        self.result.notices.extend(self.ctx.notices)
        self.ctx.notices.clear()

    # -- load: parse every document, domain by domain -------------------------------------
    def load(self, documents=None):
        documents = self.ctx.documents if documents is None else documents
        for name, dom in self.domains.items():
            docs = [d for d in documents if d.domain == name]
            if not docs:
                continue
            try:
                problems = dom.load(docs, self.ctx)
            except Exception as exc:  # noqa: BLE001 - a parser bug must not end the review
                problems = [(d, type(exc).__name__) for d in docs]
            for doc, error in problems:
                self.failed.add(id(doc))
                self.result.notices.append(Notice(
                    doc.path, f"internal error while parsing ({error}); file not reviewed"))
        self._take_notices()

    # -- relate: files the loaded ones point at join the run; then the cross-file links ---
    def relate(self):
        added = []
        for name, dom in self.domains.items():
            docs = self._of(name)
            if dom.related is not None and docs:
                try:
                    added.extend(dom.related(docs, self.ctx))
                except Exception as exc:  # noqa: BLE001
                    self.result.notices.append(Notice(
                        name, f"internal error while following related files "
                              f"({type(exc).__name__})"))
        if added:
            self.ctx.documents.extend(added)
            self.load(added)
        for name, dom in self.domains.items():
            docs = self._of(name)
            if dom.link is not None and docs:
                try:
                    dom.link(docs, self.ctx)
                except Exception as exc:  # noqa: BLE001
                    self.result.notices.append(Notice(
                        name, f"internal error while linking files ({type(exc).__name__})"))

    # -- run: every enabled rule on every reviewable document ----------------------------
    def run_rules(self):
        config, result = self.config, self.result
        # the rules of the domains this run has files of (a pragma naming another
        # domain's rule loads that domain then): a one-file review imports one domain
        present = {d.domain for d in self.ctx.documents}
        from infra_expert.fit import rules as fit_rules
        self.peer_index = PeerIndex(
            [*core.rules, *fit_rules.rules, *(r for name, dom in self.domains.items()
                                              if name in present for r in dom.rules)],
            more=_rules_of_prefix)
        progress = self.progress
        for doc in self.ctx.documents:
            if progress is not None:
                progress.advance()
            if id(doc) in self.failed:
                continue
            dom = self.domains[doc.domain]
            if not self._asked_doc(doc):
                continue    # context for a file given alone, not itself asked for
            result.files.append((doc.path, doc.domain))
            if dom.files_field is not None and doc.model is not None:
                try:
                    fields = dom.files_field(doc)
                except Exception:  # noqa: BLE001 - an extra field never ends the review
                    fields = None
                if fields:
                    result.file_fields[(doc.path, doc.domain)] = fields
            if not dom.reviewable(doc):
                continue
            first = len(self.findings)
            sups, unknown = dom.suppressions(doc, self.peer_index)
            if config.disable_ignore_pragma:   # `.hadolint.yaml`: hadolint's pragmas are off
                sups = [s for s in sups if s.origin != "hadolint"]
            self.suppressions.extend(sups)
            ie002 = self.by_id["IE002"]
            for line, codes in unknown:
                self.findings.append(Finding(
                    ie002, _severity(ie002, config), doc.path, line, None,
                    f"unknown rule id {', '.join(codes)} in suppression comment"))
            for rule in dom.rules:
                if rule.id in config.ignore or not (rule.enabled or rule.id in config.enable):
                    continue
                self._run_rule(rule, dom, doc)
            if dom.adjust is not None:   # an overlay keeps what it adds
                self.findings[first:] = dom.adjust(doc, self.ctx, self.findings[first:])
            if self.asked is not None:
                self.findings[first:] = [f for f in self.findings[first:]
                                         if self.asked(f.path)]
        self._fit()
        _calibrate_fixtures(self.findings, config)
        self.findings = _without_superseded(self.findings)

    def _fit(self):
        """What runs together, totalled (`resources.total`), and judged against the host
        when the user named one."""
        from infra_expert import fit
        found = fit.consumers(self.result.resources, self.domains.values())
        if not found:
            return
        host = self.config.host
        self.result.resources["total"] = fit.totals(found, host)
        if host is None:
            return
        for rule, hit in fit.judge(found, host, self.result.resources, self.swap_seen):
            if rule.id in self.config.ignore:
                continue
            self.findings.append(Finding(rule, _severity(rule, self.config, hit),
                                         hit.path, hit.line, None, hit.message))

    def _run_rule(self, rule, dom, doc):
        hit_counts = self.hit_counts
        try:
            for item in rule.fn(doc, self.ctx):
                path = item.path or doc.path
                if type(item) is Hit:
                    found = item.rule or rule      # a foreign code's rule (SC2086), or ours
                    if found is not rule and found.id in self.config.ignore:
                        continue
                    key = (found.id, path)
                    count = hit_counts[key] = hit_counts.get(key, 0) + 1
                    if count > MAX_COLLECTED_PER_RULE_AND_FILE:
                        self.collection_stopped.add(key)
                        break   # bounded work: a pathological file stops here
                    column = item.column
                    if column is None and item.line:
                        # a finding in another file of the run (a GitLab include, a
                        # Compose base) is columned on that file's text
                        target = doc if path == doc.path else self._document(path, dom)
                        if target is not None:
                            column = dom.column(target, item.line)
                    self.findings.append(Finding(found, _severity(found, self.config, item),
                                                 path, item.line, column, item.message))
                    self.hit_keys.add(key)
                elif type(item) is Pass and rule.positive and doc.kind != "overlay":
                    # an overlay's review says what it changes; praise is the base's
                    self.passes.append((rule, path, item))
        except Exception as exc:  # noqa: BLE001
            self.result.notices.append(Notice(
                doc.path, f"internal error in rule {rule.id} "
                          f"({type(exc).__name__}); the other rules ran"))

    def _document(self, path, dom):
        """The document of domain `dom` at `path` in this run, or None."""
        if self._by_path is None:
            self._by_path = {}
            for d in self.ctx.documents:
                self._by_path.setdefault((d.domain, d.path), d)
        return self._by_path.get((dom.name, path))

    # -- suppress: one statement once, then the pragmas; unused pragmas said -------------
    def suppress(self):
        config, asked = self.config, self.asked
        # One statement once: a value inherited from a shared file (`extends`, `include`) is
        # reported at its source however many services or projects use it.
        unique_findings = {}
        for f in self.findings:
            unique_findings.setdefault((f.rule.id, f.path, f.line, f.message), f)
        kept = []
        by_path = {}
        for s in self.suppressions:
            by_path.setdefault(s.path, []).append(s)
        for f in unique_findings.values():
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
            used = {(s.path, s.line, s.written) for s in self.suppressions if s.used}
            rule = self.by_id["IE001"]
            from infra_expert.model import SHELLCHECK_ID
            from infra_expert.shellcheck import checked
            shellchecked = self.ctx.index(checked)   # SC codes are unused only where it ran
            for s in self.suppressions:
                key = (s.path, s.line, s.written)
                if all(SHELLCHECK_ID.match(i) for i in s.ids) and s.path not in shellchecked:
                    continue
                if key not in used and s.origin == "infra-expert" and (
                        asked is None or asked(s.path)):
                    used.add(key)
                    kept.append(Finding(rule, _severity(rule, config), s.path, s.line, None,
                                        f"`ignore={s.written}` silences nothing here"))
        if config.min_severity is not None:     # `--min-severity`: the rest left out
            floor = SEVERITY_RANK[config.min_severity]
            kept = [f for f in kept if SEVERITY_RANK[f.severity] <= floor]
        kept.sort(key=Finding.sort_key)
        self.result.findings = _cap_per_rule_and_file(kept, self.collection_stopped)

    # -- positives: a rule that applied and found nothing, once per file -----------------
    def positives(self):
        seen = set()
        for rule, path, item in self.passes:
            if self.asked is not None and not self.asked(path):
                continue
            key = (rule.id, path)
            if key in self.hit_keys or key in seen:
                continue
            seen.add(key)
            try:
                message = rule.positive.format(**item.fields)
            except (KeyError, IndexError):
                message = rule.positive
            self.result.positives.append(Positive(rule, path, item.line, message))
        self.result.positives.sort(key=lambda p: (p.path, p.line or 0, p.rule.id))

    # -- resources: what each domain estimates over its reviewed documents ---------------
    def resources(self):
        for name, dom in self.domains.items():
            if dom.resources is None:
                continue
            docs = [d for d in self._of(name) if dom.reviewable(d) and self._asked_doc(d)]
            if docs:
                res = dom.resources(docs)
                if res:
                    self.result.resources[name] = res


# ------------------------------------------------------------------ say it once ----
# A positive of the first rule is not said where one of these rules found something:
# they judge the same setting (a `cap_drop: [ALL]` that adds SYS_ADMIN back).
SAME_SETTING = {"DC006": ("DC011", "DC012"), "DC035": ("DC036", "DC056"),
                "K8022": ("K8021",)}
_SUBJECT = re.compile(r"^(?:service `([^`]+)`|([A-Z][A-Za-z]* `[^`]*`"
                      r"(?: controller `[^`]*`)?(?:: container `[^`]+`)?))")


def _projects(documents):
    """{normalised path: project} and {project: {"domain", "subjects"}}, from each
    domain's `project(doc)`: a Compose project is its main file with its overrides,
    includes and `.env`; Kubernetes manifests and Podman units group by folder; a file
    without one is a project alone."""
    described = []
    for doc in documents:
        dom = domains().get(doc.domain)
        if doc.model is not None and dom is not None:
            found = dom.project(doc)
            if found is not None:
                described.append((doc, found))
    project_of, projects = {}, {}
    for doc, (key, _, _) in described:     # a main file is its own project, even when
        if key == doc.path:                # others load it
            project_of[os.path.normpath(doc.path)] = key
    for doc, (key, members, subjects) in described:
        for member in members:
            project_of.setdefault(os.path.normpath(member), key)
        entry = projects.setdefault(key, {"domain": doc.domain, "subjects": []})
        entry["subjects"].extend(s for s in subjects if s not in entry["subjects"])
    return project_of, projects


def _without_superseded(findings):
    """Drop a finding when a rule that `supersedes` its rule found the same line of the
    same file: the specific one says it, once."""
    said = {}
    for f in findings:
        if f.rule.supersedes:
            said.setdefault((f.path, f.line), set()).update(f.rule.supersedes)
    if not said:
        return findings
    return [f for f in findings if f.rule.id not in said.get((f.path, f.line), ())]


def _say_once(result, documents):
    """Give each finding its project, group key and subject (the reporters say a rule
    once per project, listing its places), and drop a positive that a finding of its own
    rule, or of a rule about the same setting, contradicts anywhere in its project."""
    project_of, result.projects = _projects(documents)
    doms = domains()

    def project(rule, path):
        key = project_of.get(os.path.normpath(path))
        dom = doms.get(rule.domain)
        if key is None and dom is not None and dom.group_by_folder:
            key = os.path.dirname(path) or "."
        return key or path

    def scope(rule, path):    # where a positive and a finding judge the same thing
        dom = doms.get(rule.domain)
        return project(rule, path) if dom is not None and dom.positives_per_project else path

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


def _calibrate_fixtures(findings, config):
    """A credential in a CI/test fixture is not a deployed one: a warning that says so.
    A test input (`tests/`, `e2e/`, `fixtures/`) is never deployed as it is — often broken
    on purpose (podman's quadlet tests: a unit with no `Image=`): what would be critical
    there is a warning, and how it would restart, start at boot or fit in memory a
    suggestion. Neither when the user set the rule's severity."""
    from infra_expert.knowledge import (FIXTURE_CALIBRATED_RULES, FIXTURE_NOTE, TEST_NOTE,
                                        is_fixture_path, is_test_path)
    for f in findings:
        if f.rule.id in config.severity:
            continue
        if f.rule.id in FIXTURE_CALIBRATED_RULES and f.severity == "critical" \
                and is_fixture_path(f.path):
            f.severity = "warning"
            f.message += FIXTURE_NOTE
        elif (f.severity == "critical" or f.severity == "warning" and f.rule.category in (
                "reliability", "performance")) and is_test_path(f.path):
            f.severity = "warning" if f.severity == "critical" else "suggestion"
            f.message += TEST_NOTE


def _severity(rule, config, hit=None):
    return config.severity.get(rule.id) or (hit and hit.severity) or rule.severity


def exit_status(review_result, fail_on):
    if fail_on == "never":
        return 0
    limit = SEVERITY_RANK[fail_on]
    counts = review_result.summary()
    return 1 if any(n and SEVERITY_RANK[s] <= limit for s, n in counts.items()
                    if s in SEVERITY_RANK) else 0
