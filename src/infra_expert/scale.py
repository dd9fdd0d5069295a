"""Large trees: a folder of repositories reviewed one repository at a time, on every core.

A *unit* is what one run reviews with every cross-file relation it needs: a git work
tree found inside a reviewed folder (an organisation's clones, a fleet checkout, a
monorepo's vendored repositories) is a unit of its own, and whatever lies outside them is
one more unit. A repository never relates to another one (its Compose overlays, its
kustomizations, its Dockerfiles and its units are all inside it), so reviewing the units
apart finds what one run would find, minus matches *between* repositories, which were
wrong anyway: a Service in one repository does not select the pods of another. Units are
not made when the user names a host (`--host`: everything runs on that one machine) or
gives files (a file given alone brings its context).

A unit's result is *packed* (findings, positives, notices, files, resources and projects
as plain values, rules by id) so that it crosses a process boundary cheaply and the
documents are gone once it is packed: memory holds one unit's documents at a time per
worker. The packs are merged in the units' order and sorted as one run sorts, so the
output does not depend on `--jobs`.
"""

from __future__ import annotations

import json
import os

from infra_expert.model import Finding, Notice, Positive, Review


class Unit:
    """Paths reviewed together, and folders (absolute) left to other units."""

    __slots__ = ("paths", "skip")

    def __init__(self, paths, skip=()):
        self.paths = list(paths)
        self.skip = tuple(skip)

    def __repr__(self):
        return f"Unit({self.paths!r}, skip={len(self.skip)})"


def plan(paths, config, config_dir):
    """The units of a review, in a fixed order: the folders given (minus the repositories
    inside them) first, then each repository in walk order. One unit when nothing splits."""
    if config.host is not None or not paths or any(not os.path.isdir(p) for p in paths):
        return [Unit(paths)]
    from infra_expert.discover import nested_repositories
    from infra_expert.fsgate import Gate, roots_for
    gate = Gate(roots_for(paths, config.confine), config.max_file_size)
    repos = []
    for p in paths:
        repos.extend(nested_repositories(p, config, config_dir, gate))
    if not repos:
        return [Unit(paths)]
    return [Unit(paths, [a for _, a in repos])] + [Unit([d]) for d, _ in repos]


def usable_cpus():
    """CPUs this process may use: its affinity, capped by a cgroup v2 CPU quota
    (`cpu.max`, a container's `--cpus` or a pod's CPU limit), at least 1."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    try:
        with open("/sys/fs/cgroup/cpu.max", encoding="ascii") as fh:
            quota, period = fh.read().split()[:2]
        if quota != "max":
            count = min(count, max(int(int(quota) / int(period)), 1))
    except (OSError, ValueError):
        pass
    return max(count, 1)


# -- packing ------------------------------------------------------------------------------

def pack(review):
    """A unit's Review as plain values (rules by id)."""
    return {
        "files": list(review.files),
        "file_fields": list(review.file_fields.items()),
        "findings": [(f.rule.id, f.rule.domain, f.rule.severity, f.severity, f.path, f.line,
                      f.column, f.message, None if f.fix is f.rule.fix else f.fix, f.group,
                      f.project, f.subject) for f in review.findings],
        "positives": [(p.rule.id, p.rule.domain, p.rule.severity, p.path, p.line, p.message)
                      for p in review.positives],
        "notices": [(n.path, n.message) for n in review.notices],
        "resources": review.resources,
        "projects": review.projects,
    }


class _Rules:
    """Rules by id for unpacking; ShellCheck's codes are made as the run made them."""

    def __init__(self):
        from infra_expert.engine import all_rules
        self.by_id = {r.id: r for r in all_rules()}

    def get(self, rule_id, domain, severity):
        rule = self.by_id.get(rule_id)
        if rule is None:
            from infra_expert.shellcheck import code_rule
            rule = code_rule(rule_id, "info" if severity == "suggestion" else "warning",
                             domain)
        return rule


def merge(packs, labels=None, qualify=True):
    """One Review from the packs of the units, as one run would give it. `qualify`: name
    pathless groups after their unit (False when merging shards, which did it)."""
    rules = _Rules()
    out = Review()
    seen_notices = set()
    packs_seen = []
    for i, p in enumerate(packs):
        packs_seen.append(i)
        out.files.extend(tuple(f) for f in p["files"])
        out.file_fields.update({tuple(k): v for k, v in p["file_fields"]})
        for (rid, domain, rsev, sev, path, line, column, message, fix, group, project,
             subject) in p["findings"]:
            f = Finding(rules.get(rid, domain, rsev), sev, path, line, column, message, fix)
            f.group, f.project, f.subject = group, project, subject
            out.findings.append(f)
        for rid, domain, rsev, path, line, message in p["positives"]:
            out.positives.append(Positive(rules.get(rid, domain, rsev), path, line, message))
        for path, message in p["notices"]:
            if (path, message) not in seen_notices:
                seen_notices.add((path, message))
                out.notices.append(Notice(path, message))
        out.projects.update(p["projects"])
        _merge_resources(out.resources, p["resources"],
                         labels[i] if labels else f"unit {i + 1}", qualify)
    out.findings.sort(key=Finding.sort_key)
    out.positives.sort(key=lambda p: (p.path, p.line or 0, p.rule.id))
    # what the units' order would decide is put in one order: shards merged later give
    # the same review as one run
    out.files.sort()
    out.notices.sort(key=lambda n: (n.path, n.message))
    for name, value in out.resources.items():
        if name == "total":
            value["groups"] = dict(sorted(value.get("groups", {}).items()))
        elif isinstance(value, dict):
            for key, items in value.items():
                if isinstance(items, list) and len(packs_seen) > 1:
                    items.sort(key=_resource_key)
    return out


def _resource_key(item):
    if isinstance(item, dict):
        return (str(item.get("path") or item.get("file") or ""),
                json.dumps(item, sort_keys=True, default=str))
    return ("", json.dumps(item, sort_keys=True, default=str))


def _merge_resources(into, more, label, qualify=True):
    for name, value in more.items():
        if name == "total":
            _merge_total(into.setdefault("total", {}), value, label, qualify)
        elif name not in into:
            into[name] = value
        else:
            into[name] = _merge_values(into[name], value)


def _merge_values(a, b):
    if isinstance(a, list) and isinstance(b, list):
        return a + b
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = _merge_values(out[k], v) if k in out else v
        return out
    return a


def _merge_total(into, more, label, qualify=True):
    """Groups of what runs together stay apart: a group that no path names (`the host's
    units`, a namespace) is qualified with the unit it comes from."""
    groups = into.setdefault("groups", {})
    for name, group in (more.get("groups") or {}).items():
        groups[name if not qualify or "/" in name else f"{name} in `{label}`"] = group
    for key in ("batch", "optional"):
        into[key] = into.get(key, 0) + (more.get(key) or 0)
    if "host" in more:
        into["host"] = more["host"]


def pack_json(data, where):
    """A pack from a review written with `--format json` (a shard's output); ValueError
    when it is not one."""
    if not isinstance(data, dict) or data.get("schema_version") != 1 or not isinstance(
            data.get("findings"), list):
        raise ValueError(f"{where}: not an infra-expert JSON review (schema_version 1)")
    from infra_expert.engine import _SUBJECT, _rules_of_prefix
    domain_of = {}
    files, fields = [], []
    for f in data.get("files") or []:
        files.append((f["path"], f["domain"]))
        domain_of[f["path"]] = f["domain"]
        extra = {k: v for k, v in f.items() if k not in ("path", "domain", "path_bytes")}
        if extra:
            fields.append(((f["path"], f["domain"]), extra))

    def domain(rule_id, path):
        rules = _rules_of_prefix(rule_id)
        return rules[0].domain if rules else domain_of.get(path, "core")

    findings = []
    for f in data["findings"]:
        rid, group = f["rule"], f.get("group") or f"{f['rule']}:{f['path']}"
        match = _SUBJECT.match(f["message"])
        findings.append((rid, domain(rid, f["path"]), f["severity"], f["severity"],
                         f["path"], f.get("line"), f.get("column"), f["message"],
                         f.get("fix"), group, group.partition(":")[2],
                         match and (match.group(1) or match.group(2))))
    return {"files": files, "file_fields": fields, "findings": findings,
            "positives": [(p["rule"], domain(p["rule"], p["path"]), None, p["path"],
                           p.get("line"), p["message"]) for p in data.get("positives") or []],
            "notices": [(n["path"], n["message"]) for n in data.get("notices") or []],
            "resources": data.get("resources") or {},
            "projects": data.get("projects") or {}}


def merge_files(paths):
    """One Review from shard outputs (`--format json` files), as one run gives it."""
    packs = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            try:
                data = json.load(fh)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from None
        packs.append(pack_json(data, path))
    result = merge(packs, paths, qualify=False)
    _fix_unchanged(result)
    return result


def _fix_unchanged(result):
    """A finding read back from JSON keeps the rule's own fix text as the rule's (so a
    reporter tells a rule's fix from a finding's own, as in one run)."""
    for f in result.findings:
        if f.fix == f.rule.fix:
            f.fix = f.rule.fix


# -- running ------------------------------------------------------------------------------

_STATE = {}     # the config of the run, for forked workers (never pickled)


def _run(unit):
    from infra_expert.engine import review_unit
    config, config_dir = _STATE["config"], _STATE["config_dir"]
    result = review_unit(unit.paths, config, config_dir, unit.skip, empty_notice=False)
    if not _STATE.get("stream"):
        return pack(result)
    # streamed: the worker writes its findings' lines itself (sorted as the unit sorts
    # them), so the main process only copies text out
    from infra_expert.report.lines import line_format
    finding = line_format(_STATE["stream"])["finding"]
    return {"lines": [finding(f.as_dict()) for f in result.findings],
            "counts": result.summary(), "files": list(result.files),
            "notices": [(n.path, n.message) for n in result.notices],
            "resources": result.resources}


def shard(units, index, count):
    """The units of shard `index` of `count` (0-based, as a Kubernetes Indexed Job's
    `JOB_COMPLETION_INDEX`): each unit by a stable hash of its paths, so every shard of
    every pod agrees without talking to the others, and a project is never split."""
    import hashlib
    return [u for u in units
            if int(hashlib.sha256("\0".join(u.paths).encode("utf-8", "surrogateescape"))
                   .hexdigest(), 16) % count == index]


def parse_shard(text):
    """`I/N` -> (I, N), 0 <= I < N; ValueError otherwise."""
    index, sep, count = str(text).partition("/")
    try:
        index, count = int(index), int(count)
    except ValueError:
        raise ValueError(f"`--shard {text}`: write it as I/N, e.g. 0/4") from None
    if not sep or count < 1 or not 0 <= index < count:
        raise ValueError(f"`--shard {text}`: I must be from 0 to N-1 (0/4 … 3/4)")
    return index, count


def review_units(units, config, config_dir, jobs=1, stream=None, empty_notice=True,
                 line_format="jsonl", progress=None):
    """Review every unit (in `jobs` worker processes when there are several) and merge;
    with `stream` (a `write`), write `line_format` (`infra_expert.report.lines`) unit by
    unit instead of keeping the findings."""
    _STATE.update(config=config, config_dir=config_dir,
                  stream=line_format if stream is not None else None)
    jobs = max(1, min(int(jobs or 1), len(units)))
    labels = [", ".join(u.paths) for u in units]
    if progress is not None:
        progress.what = "repositories"
        progress.start(len(units))
    if jobs == 1:
        result = _collect(_told((_run(u) for u in units), progress), labels, stream)
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        context = multiprocessing.get_context(
            "fork" if "fork" in multiprocessing.get_all_start_methods() else None)
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            # results come back in the units' order, each as soon as it and those
            # before it are done
            result = _collect(_told(pool.map(_run, units, chunksize=1), progress), labels,
                              stream)
    if stream is not None:
        from infra_expert.report.lines import line_format
        lines = line_format(_STATE["stream"])
    if not result.files and empty_notice and units:
        from infra_expert.engine import nothing_reviewed
        result.notices.insert(0, nothing_reviewed(units[0].paths))
        if stream is not None:
            stream(lines["notice"](result.notices[0].as_dict()))
    if stream is not None:
        stream(lines["summary"](len(result.files), result.counts["positive"],
                                result.counts))
    return result


def _told(packs, progress):
    """The packs as they come, each told to `progress` (a repository done)."""
    for p in packs:
        if progress is not None:
            progress.advance()
        yield p


def _collect(packs, labels, stream):
    if stream is None:
        return merge(packs, labels)
    from infra_expert.model import SEVERITIES
    from infra_expert.report.lines import line_format
    lines = line_format(_STATE["stream"])
    out = Review()
    counts = dict.fromkeys(SEVERITIES, 0)
    positives, seen = 0, set()
    for i, p in enumerate(packs):
        for line in p["lines"]:
            stream(line)
        for severity in SEVERITIES:
            counts[severity] += p["counts"][severity]
        for path, message in sorted(p["notices"]):
            if (path, message) not in seen:
                seen.add((path, message))
                n = Notice(path, message)
                out.notices.append(n)
                stream(lines["notice"](n.as_dict()))
        positives += p["counts"]["positive"]
        out.files.extend(tuple(f) for f in p["files"])
        if p["resources"]:       # written, not kept: memory stays one unit's
            stream(lines["resources"](labels[i], p["resources"]))
    out.counts = {**counts, "positive": positives}
    return out
