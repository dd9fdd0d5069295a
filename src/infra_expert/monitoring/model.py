"""What the monitoring domain reads: Prometheus rule groups (plain files and the
`spec.groups` of Kubernetes PrometheusRule objects), prometheus.yml, Alertmanager
configs, Docker's daemon.json, journald.conf and logrotate files — all with lines."""

from __future__ import annotations


from infra_expert.monitoring import promql
from infra_expert.yamlsafe import YMap, YSeq, load_all


class AlertRule:
    """One rule of a group: `kind` is "alert" or "record"."""

    __slots__ = ("kind", "name", "line", "end", "node", "group", "expr", "expr_line",
                 "tree", "error", "error_line", "templated")

    def __init__(self, kind, name, node, group):
        self.kind = kind
        self.name = name
        self.node = node
        self.group = group
        self.line = node.key_pos.get(kind, (node.line, 1))[0]
        self.end = self.line
        expr = node.get("expr")
        self.expr = "" if expr is None else str(expr)
        self.expr_line = node.key_pos.get("expr", (self.line, 1))[0]
        self.tree = None
        self.error = None
        self.error_line = self.expr_line
        self.templated = promql.has_template(self.expr)

    @property
    def labels(self):
        value = self.node.get("labels")
        return value if isinstance(value, dict) else {}

    @property
    def annotations(self):
        value = self.node.get("annotations")
        return value if isinstance(value, dict) else {}

    def key_line(self, key):
        return self.node.key_pos.get(key, (self.line, 1))[0]

    def label_line(self, name):
        labels = self.node.get("labels")
        if isinstance(labels, YMap) and name in labels.key_pos:
            return labels.key_pos[name][0]
        return self.key_line("labels")

    @property
    def severity(self):
        value = self.labels.get("severity")
        return str(value).strip().lower() if value is not None else None


class Group:
    __slots__ = ("name", "line", "node", "rules", "interval", "source")

    def __init__(self, name, node, source=0):
        self.name = name
        self.source = source      # which YAML document / PrometheusRule object
        self.node = node
        self.line = node.key_pos.get("name", (node.line, 1))[0]
        self.rules = []
        self.interval = node.get("interval")


class RuleFile:
    """The groups of one rule file (or of the PrometheusRule objects in one manifest)."""

    def __init__(self):
        self.groups = []
        self.problems = []    # (line, message): a shape Prometheus would refuse

    def rules(self):
        return [r for g in self.groups for r in g.rules]

    def alerts(self):
        return [r for r in self.rules() if r.kind == "alert"]


def rule_groups(roots, kind):
    """A RuleFile from YAML roots: `groups:` at the top (kind "rules") or in the
    `spec.groups` of every PrometheusRule object (kind "prometheusrule")."""
    rf = RuleFile()
    for index, root in enumerate(roots):
        if not isinstance(root, YMap):
            continue
        if kind == "prometheusrule":
            if root.get("kind") != "PrometheusRule":
                continue
            spec = root.get("spec")
            groups = spec.get("groups") if isinstance(spec, YMap) else None
        else:
            groups = root.get("groups")
        if not isinstance(groups, YSeq):
            continue
        for node in groups:
            if not isinstance(node, YMap):
                continue
            group = Group(str(node.get("name", "")), node, index)
            rules = node.get("rules")
            if isinstance(rules, YSeq):
                for item in rules:
                    if not isinstance(item, YMap):
                        continue
                    if "alert" in item:
                        r = AlertRule("alert", str(item.get("alert")), item, group)
                    elif "record" in item:
                        r = AlertRule("record", str(item.get("record")), item, group)
                    else:
                        continue
                    group.rules.append(r)
            rf.groups.append(group)
    _spans(rf)
    for r in rf.rules():
        if r.templated or not r.expr.strip():
            if not r.expr.strip() and not r.templated:
                r.error = "the rule has no `expr`"
                r.error_line = r.line
            continue
        try:
            r.tree = promql.parse(r.expr)
        except promql.PromQLError as exc:
            r.error = exc.message
            r.error_line = _expr_line(r, exc.offset)
        except RecursionError:
            pass        # too deep for this reader: not judged (Prometheus may accept it)
    return rf


def _expr_line(rule, offset):
    """The file line of a character offset in a rule's expression: a block scalar
    (`expr: |`) starts on the line after the key."""
    value_line = rule.node.value_pos.get("expr", (rule.expr_line, 1))[0]
    within = promql.line_of(rule.expr, offset)
    if "\n" in rule.expr.rstrip("\n"):
        return value_line + 1 + within
    return value_line


def _max_line(node):
    best = getattr(node, "line", 0)
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, YMap):
            for k, v in n.items():
                line = n.value_pos.get(k, n.key_pos.get(k, (0, 0)))[0]
                if isinstance(v, str) and "\n" in v.rstrip("\n"):
                    line += v.rstrip("\n").count("\n") + 1
                best = max(best, line)
                if isinstance(v, (YMap, YSeq)):
                    stack.append(v)
        elif isinstance(n, YSeq):
            for v, pos in zip(n, n.item_pos):
                best = max(best, pos[0])
                if isinstance(v, (YMap, YSeq)):
                    stack.append(v)
    return best


def _spans(rf):
    for group in rf.groups:
        for r in group.rules:
            r.end = max(r.line, _max_line(r.node))


# --- configs --------------------------------------------------------------------------

def load_yaml(text, path):
    roots = load_all(text, path)
    return [r for r in roots if r is not None]


def load_daemon_json(text):
    """daemon.json as a dict plus the line of each top-level key."""
    import json   # daemon.json only: not every review pays for it
    data = json.loads(text)
    lines = {}
    if isinstance(data, dict):
        for key in data:
            needle = f'"{key}"'
            for i, raw in enumerate(text.split("\n"), 1):
                if needle in raw:
                    lines[key] = i
                    break
    return data, lines


class LogrotateBlock:
    __slots__ = ("paths", "line", "end", "directives")

    def __init__(self, paths, line):
        self.paths = paths
        self.line = line
        self.end = line
        self.directives = {}    # name -> (line, args)


class Logrotate:
    """A logrotate file: global directives and `paths { … }` blocks. `paths` (every
    path or glob a block rotates) is what the systemd domain asks for."""

    def __init__(self):
        self.globals = {}
        self.blocks = []
        self.problems = []

    @property
    def paths(self):
        return [p for b in self.blocks for p in b.paths]


def parse_logrotate(text):
    lr = Logrotate()
    block = None
    pending = []          # paths named on lines before the `{`
    in_script = False
    pending_line = 0
    for i, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word = line.split()[0]
        if in_script:
            if word == "endscript":
                in_script = False
            continue
        if block is None:
            if "{" in line:
                before = line.split("{", 1)[0].split()
                block = LogrotateBlock(pending + before, i if not pending else pending_line)
                pending = []
                after = line.split("{", 1)[1].strip()
                if after.startswith("}"):
                    block.end = i
                    lr.blocks.append(block)
                    block = None
                continue
            if word.startswith(("/", "\"/", "'/", "*", "~")):
                if not pending:
                    pending_line = i
                pending.extend(line.split())
                continue
            lr.globals[word] = (i, line.split()[1:])
            continue
        if word == "}":
            block.end = i
            lr.blocks.append(block)
            block = None
            continue
        if word in ("postrotate", "prerotate", "firstaction", "lastaction", "preremove"):
            in_script = True
        block.directives[word] = (i, line.split()[1:])
    if block is not None:
        lr.problems.append((block.line, "a `{` block is never closed"))
        lr.blocks.append(block)
    for b in lr.blocks:
        b.paths = [p.strip("\"'") for p in b.paths]
    return lr


class YamlConfig:
    """prometheus.yml or an Alertmanager config: its first mapping."""

    def __init__(self, root):
        self.root = root if isinstance(root, YMap) else YMap()
        if not isinstance(root, YMap):
            self.root.key_pos, self.root.value_pos, self.root.line = {}, {}, 1

    def jobs(self):
        scrapes = self.root.get("scrape_configs")
        if not isinstance(scrapes, list):
            return []
        return [j for j in scrapes if isinstance(j, YMap)]


class DaemonJson:
    def __init__(self, data, lines):
        self.data = data if isinstance(data, dict) else {}
        self.lines = lines

    def line(self, key):
        return self.lines.get(key, 1)


class Broken:
    """A file that cannot be read as what it claims to be: `line`, `message`."""

    def __init__(self, line, message):
        self.line = line
        self.message = message

    def rules(self):
        return []

    def alerts(self):
        return []


def journald(docs):
    """(journald.conf and its drop-ins among `docs`, the main file first; their [Journal]
    settings merged, a later file winning), as journald reads them."""
    from infra_expert.units import Unit
    found = sorted((d for d in docs if d.kind == "logging" and isinstance(d.model, Unit)),
                   key=lambda d: (not d.path.endswith("journald.conf"), d.path))
    values = {}
    for d in found:
        for e in d.model.section("Journal"):
            values[e.key] = e.value
    return found, values

