"""What a domain is, as data: one `Domain` descriptor per domain package.

The engine, discovery, the catalogue and the reporters iterate `registry.DOMAINS` and ask
each descriptor; none of them names a domain. A descriptor says:

- who it is: `name`, rule-id `prefix`, `title`, `noun` (one, many), its `rulesets`, the
  code-fence language of its rule examples (`fence`), the file names a rule's example
  (the fix: a small complete file the rule is quiet on) is written to when a test checks
  that it is reviewed and clean (`example_names`), and the peer rules it has no
  equivalent for (`not_covered`);
- how its files are recognised, names first, then content:
  `by_name(name) -> kind | None` on the base name alone;
  `confirm(kind, text, where) -> kind | None` once a file recognised by name is read (a
  file named like ours whose content is something else is let go);
  `by_content(head, name, where) -> kind | None` for files no domain recognised by name,
  when their extension is one of `sniff` ("" stands for a name without an extension; every
  domain sniffs those) — `head` is the text (the first 256 KiB of a big file);
  `where` is discovery's view of the file (`where.path`, `where.abspath`, `where.root`,
  `where.in_chart()`, `where.folder`) — a function may ignore it;
  `also(head, name, where) -> kind | None`: a file another domain reviews that this domain
  reviews too, as a second document of its own (a Kubernetes `PrometheusRule` holds
  Prometheus rule groups);
  `owner(abspath, gate) -> path | None`: for a file given alone that is part of another
  (a drop-in, a file a GitLab pipeline includes), the file to review instead — read only
  through `gate`; the engine keeps the findings of the file that was given;
  `alone_with`: (domain, kind) pairs whose files, in the folder of a file of this domain
  given alone and the folders above it, join the run as context (a Dockerfile's Compose
  files);
- how they load: `load(docs, ctx) -> [(doc, error)]` attaches `doc.model`;
  `reviewable(doc)`; `related(docs, ctx) -> [Document]`: files the loaded files point at
  that join the run once (a Compose build's Dockerfile); `link(docs, ctx)`: what the
  files run or build, told to `ctx.links` (core `crossfile`) for the other domains to ask;
  `adjust(doc, ctx, findings)`: a
  last say on a document's findings (an overlay keeps what it adds);
- suppressions: `suppressions(doc, peer_index) -> (suppressions, [(line, unknown ids)])`;
  `column(doc, line)`: where a finding that gave no column starts;
- how findings group: `project(doc) -> (key, members, subjects) | None` (a Compose file
  with its overrides; `None`: the file alone, or its folder when `group_by_folder`);
  `subject_nouns` ("service", "services"), `subject_is_code` (subjects are names, shown as
  code), `positives_per_project` (a finding anywhere in the project withdraws a positive),
  `baseline` ((rule id, column label), …) for the hardening table;
- resources: `resources(docs) -> dict` (JSON's `resources[name]`) and
  `show_resources(resources, out) -> [lines]` for the review (`out` is the reporter's
  writer: `out.code()`, `out.inline()`, `out.cell()`, `out.mib()`, `out.full`, `out.rows`);
- `files_field(doc) -> dict`: extra per-file fields for JSON `files[]` (systemd's exposure);
- `consumers(resources) -> [dict]`: what runs, from the domain's own `resources`, in one
  shape for the host totals (core `fit`): `name`, `path`, `line`, `group` (what runs
  together: a Compose project, a namespace, the host's units), `memory_limit` and
  `memory_request` (bytes, for every replica together, or None), `cpu_limit`, `schedule`
  (`steady`, `per-node` or `batch`) and `optional` (a Compose profile: not run by default).
"""

from __future__ import annotations


def _none(*_args):
    return None


def _model_loaded(doc):
    return doc.model is not None


def _first_column(doc, line):
    return 1


class Domain:
    __slots__ = ("name", "prefix", "title", "rulesets", "fence", "not_covered", "by_name",
                 "confirm", "by_content", "sniff", "also", "owner", "alone_with", "load",
                 "reviewable", "related", "link", "adjust", "suppressions", "column", "project",
                 "group_by_folder", "subject_nouns", "subject_is_code",
                 "positives_per_project", "baseline", "resources", "show_resources",
                 "noun", "files_field", "example_names", "_rules", "consumers")

    def __init__(self, name, prefix, title, rulesets, *, noun, load, suppressions,
                 by_name=_none, confirm=None, by_content=_none, sniff=(), also=_none, owner=_none,
                 alone_with=(), reviewable=_model_loaded, related=None, link=None, adjust=None,
                 column=_first_column, project=_none, group_by_folder=False,
                 subject_nouns=("place", "places"), subject_is_code=False,
                 positives_per_project=False, baseline=(), resources=None,
                 show_resources=None, fence="", not_covered=None, files_field=None,
                 example_names=(), consumers=None):
        self.name = name
        self.prefix = prefix                  # two capitals: DF, DC, PM, K8, SD, …
        self.title = title                    # "Dockerfile", "systemd units"
        self.noun = noun                      # ("systemd unit", "systemd units")
        self.rulesets = rulesets if callable(rulesets) else tuple(rulesets)
        self._rules = None
        self.fence = fence
        self.not_covered = not_covered or {}
        self.by_name = by_name
        self.confirm = confirm
        self.by_content = by_content
        self.sniff = tuple(sniff)
        self.also = also
        self.owner = owner
        self.alone_with = tuple(alone_with)
        self.load = load
        self.reviewable = reviewable
        self.related = related
        self.link = link
        self.adjust = adjust
        self.suppressions = suppressions
        self.column = column
        self.project = project
        self.group_by_folder = group_by_folder
        self.subject_nouns = subject_nouns
        self.subject_is_code = subject_is_code
        self.positives_per_project = positives_per_project
        self.baseline = tuple(baseline)
        self.resources = resources
        self.show_resources = show_resources
        self.files_field = files_field
        self.example_names = tuple(example_names)   # file names a rule's example is read as
        self.consumers = consumers

    @property
    def rules(self):
        """Every rule of the domain. `rulesets` may be a function returning them: the rule
        modules are then imported when a review has files of this domain, or the
        catalogue asks, so a one-file review does not pay for the others."""
        if self._rules is None:
            sets = self.rulesets() if callable(self.rulesets) else self.rulesets
            self._rules = [r for rs in sets for r in rs.rules]
        return self._rules

    def __repr__(self):
        return f"Domain({self.name!r})"
