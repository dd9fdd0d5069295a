"""A Kestra flow as the rules see it: the YAML tree (with positions), every task found
however deeply it is nested, the triggers, and the plugin defaults that apply to a task.

A blueprint from kestra-io/blueprints is a flow with one more top-level key, `extend:`
(title, description, tags for the catalogue): the flow is reviewed, `extend` ignored.
"""

from __future__ import annotations

from infra_expert.lazyre import lazy_re
from infra_expert.yamlsafe import YMap, YSeq, YamlError, load_all

# Flow-level lists of tasks, and when they run.
TASK_SECTIONS = ("tasks", "errors", "finally", "afterExecution")
FLOW_ID = lazy_re(r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$")
NAMESPACE = lazy_re(r"^[a-z0-9][a-z0-9._-]*$")
TASK_ID = lazy_re(r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$")
# A plugin type is a Java class name: `io.kestra.plugin.core.log.Log`. Input and output
# types (`STRING`, `FILE`) and asset types (`AWS_BUCKET`) have no dot.
_PLUGIN_TYPE = lazy_re(r"^[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)+$")

SCHEDULE_TYPES = frozenset({"io.kestra.plugin.core.trigger.Schedule",
                            "io.kestra.core.models.triggers.types.Schedule"})
FLOW_TRIGGER_TYPES = frozenset({"io.kestra.plugin.core.trigger.Flow",
                                "io.kestra.core.models.triggers.types.Flow"})
WEBHOOK_TYPES = frozenset({"io.kestra.plugin.core.trigger.Webhook",
                           "io.kestra.core.models.triggers.types.Webhook"})


_BLOCK_START = lazy_re(r"(?:^|[:\s-])\s*[|>][+-]?[0-9]?[+-]?(?:\s+#.*)?$")


def is_plugin_type(value):
    return isinstance(value, str) and bool(_PLUGIN_TYPE.match(value.strip()))


class Task:
    """One task: its mapping, where it sits (`section`: tasks/errors/finally/
    afterExecution/listeners) and its parent task (None at the top of a section)."""

    __slots__ = ("node", "section", "parent", "flow")

    def __init__(self, node, section, parent, flow):
        self.node = node
        self.section = section
        self.parent = parent
        self.flow = flow

    @property
    def id(self):
        value = self.node.get("id")
        return value if isinstance(value, str) else str(value) if value is not None else ""

    @property
    def type(self):
        value = self.node.get("type")
        return value.strip() if isinstance(value, str) else ""

    @property
    def line(self):
        return self.node.line

    def key_line(self, key):
        return self.node.pos_of(key)[0]

    def get(self, key):
        """The task's own value for `key`, else what a plugin default gives it."""
        if key in self.node:
            return self.node[key]
        return self.flow.default_for(self.type, key)

    def where(self, key):
        """The line that sets `key` for this task: its own, or the plugin default's."""
        if key in self.node:
            return self.key_line(key)
        line = self.flow.default_line(self.type, key)
        return line if line is not None else self.line

    def ancestors(self):
        parent = self.parent
        while parent is not None:
            yield parent
            parent = parent.parent


class Flow:
    __slots__ = ("root", "path", "tasks", "triggers", "problems", "blueprint", "_defaults")

    def __init__(self, root, path):
        self.root = root
        self.path = path
        self.tasks = []
        self.triggers = []
        self.problems = []      # (line, message): what makes Kestra refuse the flow
        self.blueprint = "extend" in root
        self._defaults = None

    @property
    def id(self):
        return _text(self.root.get("id"))

    @property
    def namespace(self):
        return _text(self.root.get("namespace"))

    def line_of(self, key):
        return self.root.pos_of(key)[0]

    def plugin_defaults(self):
        """[(type prefix, values mapping)] of `pluginDefaults` (and the old
        `taskDefaults`), in the order written."""
        if self._defaults is None:
            self._defaults = []
            for key in ("pluginDefaults", "taskDefaults"):
                seq = self.root.get(key)
                if not isinstance(seq, list):
                    continue
                for item in seq:
                    if isinstance(item, YMap) and isinstance(item.get("values"), YMap):
                        self._defaults.append((_text(item.get("type")), item["values"]))
        return self._defaults

    def _matching_defaults(self, task_type):
        for prefix, values in self.plugin_defaults():
            if prefix and (task_type == prefix or task_type.startswith(prefix + ".")):
                yield values

    def default_for(self, task_type, key):
        for values in self._matching_defaults(task_type):
            if key in values:
                return values[key]
        return None

    def default_line(self, task_type, key):
        for values in self._matching_defaults(task_type):
            if key in values:
                return values.pos_of(key)[0]
        return None

    def schedules(self):
        return [t for t in self.triggers if _text(t.get("type")) in SCHEDULE_TYPES]


def _text(value):
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value))


# Task properties whose entries have an `id` and a class-name `type` but are not tasks.
_NOT_TASK_LISTS = frozenset({"assets", "inputs", "outputs", "conditions", "preconditions",
                             "triggers", "taskRunner", "retry", "sla", "labels", "tools",
                             "checks", "memory", "provider", "contentRetrievers"})


def task_lists(node):
    """(key, [task mappings]) for each property of a task mapping that holds tasks: a list
    of mappings with `id` and a plugin `type` (`tasks`, `then`, `else`, `errors`,
    `finally`, Switch's `defaults`…), the lists inside a mapping of lists (Switch
    `cases`), and the `task:` entries of a Dag's `tasks`."""
    for key, value in node.items():
        if key in _NOT_TASK_LISTS:
            continue
        if isinstance(value, YSeq):
            items = [_unwrap(v) for v in value]
            found = [v for v in items if _is_task(v)]
            if found:
                yield key, found
        elif isinstance(value, YMap):
            if _is_task(value) and key == "task":
                yield key, [value]
                continue
            for sub in value.values():
                if isinstance(sub, YSeq):
                    found = [v for v in (_unwrap(s) for s in sub) if _is_task(v)]
                    if found:
                        yield key, found


def _unwrap(item):
    """A Dag entry `{task: {...}, dependsOn: [...]}` holds its task under `task`."""
    if isinstance(item, YMap) and "task" in item and isinstance(item["task"], YMap) \
            and "type" not in item:
        return item["task"]
    return item


def _is_task(value):
    return isinstance(value, YMap) and "id" in value and is_plugin_type(value.get("type"))


def load_flow(text, path):
    """The Flow in `text`, or a Flow whose `problems` say why Kestra would refuse it.
    Returns None when the text is not a flow at all (no `id`/`namespace`/`tasks`)."""
    try:
        docs = load_all(text, path)
    except YamlError as exc:
        flow = Flow(_empty_root(path), path)
        flow.problems.append((exc.line, exc.message))
        return flow
    roots = [d for d in docs if d is not None]
    root = next((d for d in roots if isinstance(d, YMap)
                 and {"id", "namespace", "tasks"} <= set(d)), None)
    if root is None:
        return None
    flow = Flow(root, path)
    if len(roots) > 1:
        flow.problems.append((roots[1].line if hasattr(roots[1], "line") else 1,
                              "more than one YAML document: Kestra reads one flow per file"))
    _validate_flow(flow)
    for section in TASK_SECTIONS:
        _walk(flow, root.get(section), section, None)
    listeners = root.get("listeners")
    if isinstance(listeners, YSeq):
        for item in listeners:
            if isinstance(item, YMap):
                _walk(flow, item.get("tasks"), "listeners", None)
    triggers = root.get("triggers")
    if isinstance(triggers, YSeq):
        flow.triggers = [t for t in triggers if isinstance(t, YMap)]
    _validate_ids(flow)
    return flow


def _empty_root(path):
    from infra_expert.yamlsafe import new_map
    return new_map(path)


def _walk(flow, seq, section, parent):
    """Every task in `seq` and below, depth first, in file order. Iterative: a flow nested
    deeper than Python's recursion limit is still walked."""
    if not isinstance(seq, YSeq):
        return
    stack = [(item, parent) for item in reversed([_unwrap(v) for v in seq])]
    while stack:
        item, parent = stack.pop()
        if not isinstance(item, YMap):
            continue
        task = Task(item, section, parent, flow)
        flow.tasks.append(task)
        children = []
        for _key, found in task_lists(item):
            children.extend(found)
        stack.extend((child, task) for child in reversed(children))


def _validate_flow(flow):
    root = flow.root
    flow_id, namespace = root.get("id"), root.get("namespace")
    if not isinstance(flow_id, str) or not FLOW_ID.match(flow_id) or len(flow_id) > 100:
        flow.problems.append((flow.line_of("id"), f"flow id `{flow_id}` is not valid (letters, "
                              "digits, `.`, `_`, `-`; at most 100 characters)"))
    if not isinstance(namespace, str) or not NAMESPACE.match(namespace) \
            or len(namespace) > 150:
        flow.problems.append((flow.line_of("namespace"), f"namespace `{namespace}` is not "
                              "valid (lower case letters, digits, `.`, `_`, `-`)"))
    concurrency = root.get("concurrency")
    if isinstance(concurrency, YMap):
        limit = concurrency.get("limit")
        if limit is None or (isinstance(limit, int) and limit < 1):
            flow.problems.append((flow.line_of("concurrency"), "`concurrency` needs a `limit` "
                                  "of at least 1"))
    tasks = root.get("tasks")
    if not isinstance(tasks, YSeq) or not tasks:
        flow.problems.append((flow.line_of("tasks"), "`tasks` must be a non-empty list"))
    for section in TASK_SECTIONS:
        seq = root.get(section)
        if not isinstance(seq, YSeq):
            continue
        for item, pos in zip(seq, seq.item_pos):
            item = _unwrap(item)
            if not isinstance(item, YMap) or "id" not in item or "type" not in item:
                flow.problems.append((getattr(item, "line", pos[0]),
                                      f"an entry of `{section}` without `id` and `type`"))


def _validate_ids(flow):
    seen = {}
    for task in flow.tasks:
        tid = task.id
        if tid and not TASK_ID.match(tid) and "{{" not in tid:
            flow.problems.append((task.key_line("id"), f"task id `{tid}` is not valid "
                                  "(letters, digits, `_`, `-`: no dots or spaces)"))
        if tid in seen:
            flow.problems.append((task.key_line("id"), f"task id `{tid}` is used twice "
                                  f"(first at line {seen[tid]}): Kestra refuses the flow"))
        else:
            seen[tid] = task.key_line("id")
    trigger_ids = {}
    for trig in flow.triggers:
        tid = _text(trig.get("id"))
        if tid in trigger_ids:
            flow.problems.append((trig.pos_of("id")[0], f"trigger id `{tid}` is used twice "
                                  f"(first at line {trigger_ids[tid]})"))
        else:
            trigger_ids[tid] = trig.pos_of("id")[0]
    for task in flow.tasks:
        if task.type in ("io.kestra.plugin.core.flow.Subflow", "io.kestra.core.tasks.flows.Flow",
                         "io.kestra.core.tasks.flows.Subflow", "io.kestra.plugin.core.flow.Flow") \
                and _text(task.node.get("flowId")) == flow.id \
                and _text(task.node.get("namespace")) == flow.namespace:
            flow.problems.append((task.line, f"task `{task.id}` calls its own flow "
                                  f"`{flow.namespace}.{flow.id}`: Kestra refuses recursive "
                                  "flows"))


def strings(node, skip=()):
    """(key, value, line) for every string scalar under `node` (mappings and lists,
    iteratively), with the key it sits under (the list's key for list items). Keys in
    `skip` are not entered."""
    stack = [(node, None)]
    while stack:
        cur, key = stack.pop()
        if isinstance(cur, YMap):
            for k, v in cur.items():
                if k in skip:
                    continue
                if isinstance(v, str):
                    yield k, v, cur.value_pos.get(k, cur.pos_of(k))[0]
                elif isinstance(v, (YMap, YSeq)):
                    stack.append((v, k))
        elif isinstance(cur, YSeq):
            for v, pos in zip(cur, cur.item_pos):
                if isinstance(v, str):
                    yield key, v, pos[0]
                elif isinstance(v, (YMap, YSeq)):
                    stack.append((v, key))


def nested_keys(node):
    """The keys of a task mapping that hold nested tasks (tasks of their own)."""
    return frozenset(k for k, _ in task_lists(node))


def text_line(lines, start, value, index):
    """The 1-based line of character `index` of a scalar `value` whose YAML value starts at
    line `start`: a block scalar (`|`, `>`) starts on the next line."""
    head = lines[start - 1].rstrip() if 0 < start <= len(lines) else ""
    block = bool(_BLOCK_START.search(head))
    return start + (1 if block else 0) + value.count("\n", 0, index)
