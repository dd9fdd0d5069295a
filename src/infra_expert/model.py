"""The shared vocabulary: rules, hits, findings, documents and the review.

Plain classes with __slots__ rather than dataclasses: importing dataclasses pulls in
`inspect`, which costs more start-up time than a pre-commit hook should pay.
"""

from __future__ import annotations


from infra_expert.lazyre import lazy_re

SEVERITIES = ("critical", "warning", "suggestion")
CATEGORIES = ("security", "reliability", "performance", "elegance")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
CATEGORY_RANK = {c: i for i, c in enumerate(CATEGORIES)}


def _rule_id_pattern():
    """A domain's prefix and three digits; IE is the engine's own, RS the host totals';
    or a ShellCheck code (SC and four digits, see `infra_expert.shellcheck`)."""
    from infra_expert.registry import domains
    prefixes = "|".join([d.prefix for d in domains()] + ["IE", "RS"])
    return rf"^(?:(?:{prefixes})\d{{3}}|SC\d{{4}})$"


RULE_ID = lazy_re(_rule_id_pattern)
SHELLCHECK_ID = lazy_re(r"^SC\d{4}$")   # ids not in the catalogue one by one


class Rule:
    """Metadata of one rule plus the function that finds things."""

    __slots__ = ("id", "domain", "severity", "category", "title", "rationale", "fix",
                 "positive", "peers", "example", "fn", "enabled", "supersedes")

    def __init__(self, id, domain, severity, category, title, rationale, fix,
                 positive=None, peers=(), example=None, fn=None, enabled=True,
                 supersedes=()):
        self.id = id
        self.domain = domain
        self.severity = severity
        self.category = category
        self.title = title
        self.rationale = rationale
        self.fix = fix
        self.positive = positive
        self.peers = tuple(peers)
        self.example = example
        self.fn = fn
        self.enabled = enabled    # False: opt-in through the config's `enable`
        # ids of more general rules this one says better: their finding on the same line
        # of the same file gives way (said once: "MinIO console on all interfaces", not
        # also "port published on all interfaces")
        self.supersedes = frozenset(supersedes)

    def as_dict(self):
        return {"id": self.id, "domain": self.domain, "severity": self.severity,
                "category": self.category, "title": self.title,
                "rationale": self.rationale, "fix": self.fix, "peers": list(self.peers),
                "enabled_by_default": self.enabled}


class RuleSet:
    """The rules of one domain. `@rules.rule(...)` attaches metadata to a function."""

    def __init__(self, domain):
        self.domain = domain
        self.rules = []

    def rule(self, id, severity, category, title, rationale, fix, positive=None,
             peers=(), example=None, enabled=True, supersedes=()):
        def decorate(fn):
            r = Rule(id, self.domain, severity, category, title, rationale, fix,
                     positive, peers, example, fn, enabled, supersedes)
            self.rules.append(r)
            fn.rule = r
            return fn
        return decorate


class Hit:
    """What a rule function yields: a problem at a line, with what was seen.

    `severity` is for the few rules whose stakes depend on context (a missing memory limit
    matters more on a 1 GiB host): it overrides the rule's default, and the user's config
    still overrides both. `rule` is for a rule that reports what another tool found under
    that tool's codes (ShellCheck's SC2086): the Finding is then that Rule's.
    """

    __slots__ = ("line", "message", "column", "path", "severity", "rule")

    def __init__(self, line, message, column=None, path=None, severity=None, rule=None):
        self.line = line
        self.message = message
        self.column = column
        self.path = path
        self.severity = severity
        self.rule = rule


class Pass:
    """What a rule yields when it applied and the thing it checks is done well.

    `fields` fill the rule's `positive` template. A rule that yields a Hit for the same
    file has its Pass dropped, so positives are never invented.
    """

    __slots__ = ("line", "fields", "path")

    def __init__(self, line=None, path=None, **fields):
        self.line = line
        self.fields = fields
        self.path = path


class Finding:
    """One place where a rule fired. `group` (rule id and project) is shared by the places
    of one rule in one project, so that a reporter says them once; `project` is that
    project (a Compose main file, a manifest folder, a Dockerfile) and `subject` the
    service or container the message names, when it names one."""

    __slots__ = ("rule", "severity", "path", "line", "column", "message", "fix", "group",
                 "project", "subject")

    def __init__(self, rule, severity, path, line, column, message, fix=None):
        self.rule = rule
        self.severity = severity
        self.path = path
        self.line = line
        self.column = column
        self.message = message
        self.fix = fix or rule.fix
        self.project = path
        self.group = f"{rule.id}:{path}"
        self.subject = None

    def sort_key(self):
        return (SEVERITY_RANK[self.severity], CATEGORY_RANK[self.rule.category],
                self.path, self.line or 0, self.rule.id)

    def as_dict(self):
        return {"rule": self.rule.id, "severity": self.severity,
                "category": self.rule.category, "title": self.rule.title,
                "message": self.message, "path": self.path, "line": self.line,
                "column": self.column, "fix": self.fix, "peers": list(self.rule.peers),
                "group": self.group}


class Positive:
    __slots__ = ("rule", "path", "line", "message")

    def __init__(self, rule, path, line, message):
        self.rule = rule
        self.path = path
        self.line = line
        self.message = message

    def as_dict(self):
        return {"rule": self.rule.id, "message": self.message, "path": self.path,
                "line": self.line}


class Notice:
    """Something the user should know that is not a finding: a skipped file."""

    __slots__ = ("path", "message")

    def __init__(self, path, message):
        self.path = path
        self.message = message

    def as_dict(self):
        return {"path": self.path, "message": self.message}


class Suppression:
    """An inline pragma: `rules` are silenced on lines `start`..`end` of `path`.

    `ids` are our rule ids; `peer` is the foreign code it came from (hadolint:DL3008),
    kept so that the unused-suppression report can name what the user wrote.
    """

    __slots__ = ("path", "line", "ids", "start", "end", "origin", "written", "used")

    def __init__(self, path, line, ids, start, end, origin, written):
        self.path = path
        self.line = line
        self.ids = frozenset(ids)
        self.start = start
        self.end = end
        self.origin = origin        # "infra-expert" or "hadolint"
        self.written = written      # the code as the user wrote it
        self.used = False

    def covers(self, finding):
        return (finding.rule.id in self.ids and finding.path == self.path
                and (finding.line is None or self.start <= finding.line <= self.end))


class Document:
    """One reviewed file. Domains attach their parsed model as `model`."""

    __slots__ = ("path", "abspath", "domain", "kind", "text", "model", "root", "context")

    def __init__(self, path, abspath, domain, kind, text, root, context=None):
        self.path = path
        self.abspath = abspath
        self.domain = domain
        self.kind = kind
        self.text = text
        self.model = None
        self.root = root
        self.context = context    # build context directory, when another file says so


class Review:
    __slots__ = ("files", "file_fields", "findings", "positives", "notices", "resources",
                 "projects", "counts", "live")

    def __init__(self):
        self.files = []          # [(path, domain)]
        self.file_fields = {}    # (path, domain) -> what a domain adds ({"exposure": 8.3})
        self.findings = []
        self.positives = []
        self.notices = []
        self.resources = {}
        self.projects = {}       # project -> {"domain": …, "subjects": [service/container]}
        self.counts = None       # the summary of findings already streamed out, not kept
        self.live = None         # `infra-expert live`: what was read, where, when

    def summary(self):
        if self.counts is not None:
            return dict(self.counts)
        counts = {s: 0 for s in SEVERITIES}
        for f in self.findings:
            counts[f.severity] += 1
        counts["positive"] = len(self.positives)
        return counts
