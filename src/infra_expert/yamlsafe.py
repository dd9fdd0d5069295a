"""Safe YAML with positions, bounded against alias bombs and absurd nesting.

Built from libyaml's event stream (no recursion, no constructors for arbitrary tags):
mappings become `YMap` (a dict) and sequences `YSeq` (a list) that carry 1-based
positions as attributes, never as keys injected into the data. Aliases share the
anchored object, and the expanded size of every anchor is counted, so a "billion
laughs" document is refused before anything walks it. A merge key (`<<: *base`) reads
through an alias too, so the keys it copies count the same way.
"""

from __future__ import annotations

MAX_DEPTH = 256
# Nodes of one text (all its documents) with every alias and merge key expanded: what the
# rules may walk. A 5 MiB file of real YAML has some 200,000; the largest in the corpora
# 17,000.
MAX_EXPANDED_NODES = 1_000_000
# Of those, the nodes that aliases and merge keys add. Real files add a few dozen (the
# most in the corpora: 32); 300 services merging a 1,000-key anchor add 600,000, which
# every rule would walk.
MAX_ALIAS_NODES = 100_000


class YamlError(Exception):
    """A YAML document that cannot be used, with the 1-based line it is about."""

    def __init__(self, message, line=1, column=None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class _Raw:
    """`raw`: index or key -> the text before interpolation, where it changed (Compose
    only): made on first use, not one dict per node."""

    __slots__ = ()

    @property
    def raw(self):
        if self._raw is None:
            self._raw = {}
        return self._raw

    @raw.setter
    def raw(self, value):
        self._raw = value


class YMap(_Raw, dict):
    """A mapping with `line`/`column` of its start, and per-key positions.

    `source` is the file it was read from; `key_source` names another file for keys that
    a merge brought in from there. `tag` is a custom tag such as `!override`.
    """

    __slots__ = ("line", "column", "key_pos", "value_pos", "source", "_key_source", "tag",
                 "_raw")

    # `key_source` is empty on almost every mapping (only Compose's merges fill it): made
    # on first use, like `raw`
    @property
    def key_source(self):
        if self._key_source is None:
            self._key_source = {}
        return self._key_source

    @key_source.setter
    def key_source(self, value):
        self._key_source = value

    def pos_of(self, key):
        """(line, column) of a key, or of the mapping when the key is absent."""
        return self.key_pos.get(key, (self.line, self.column))

    def where(self, key=None):
        """(file, line) of a key (or of the mapping itself)."""
        if key is None or key not in self.key_pos:
            return self.source, self.line
        sources = self._key_source
        return (sources.get(key, self.source) if sources else self.source), self.key_pos[key][0]


class YSeq(_Raw, list):
    __slots__ = ("line", "column", "item_pos", "source", "tag", "_raw")


class Tagged(str):
    """A scalar with a custom tag (`!reset`, `!override`, `!Ref` ...): its text, and `tag`."""

    __slots__ = ("tag",)


def new_map(source=None, line=1, column=1):
    node = YMap()
    node.key_pos, node.value_pos, node._key_source = {}, {}, None
    node.line, node.column, node.source, node.tag = line, column, source, None
    node._raw = None     # key -> text before interpolation, where it changed
    return node


def new_seq(source=None, line=1, column=1):
    node = YSeq()
    node.item_pos = []
    node.line, node.column, node.source, node.tag = line, column, source, None
    node._raw = None     # index -> text before interpolation, where it changed
    return node


_STR = "tag:yaml.org,2002:str"
# first characters of YAML 1.1 null/bool/int/float/timestamp/merge/value scalars
_IMPLICIT_FIRST = frozenset("0123456789+-.~=<yYnNtTfFoO")
_Y = {}


def _yaml():
    """PyYAML and its helpers, imported on first use (a Dockerfile-only run never needs it)."""
    if not _Y:
        import yaml
        try:
            loader = yaml.CSafeLoader
        except AttributeError:  # pragma: no cover - PyYAML without libyaml
            loader = yaml.SafeLoader
        _Y.update(yaml=yaml, loader=loader, resolver=yaml.resolver.Resolver(),
                  constructor=yaml.constructor.SafeConstructor())
    return _Y


def _core_scalar(value):
    """YAML 1.2 core schema (what Docker Compose's Go YAML reads): `22:22` and `yes`
    stay strings; only true/false, null, decimal/octal/hex ints and floats convert."""
    if value in ("", "~", "null", "Null", "NULL"):
        return None
    if value in ("true", "True", "TRUE"):
        return True
    if value in ("false", "False", "FALSE"):
        return False
    if value[0] not in "0123456789+-.":
        return value        # most scalars: no number, no .inf/.nan, nothing to match
    import re
    if re.fullmatch(r"[-+]?[0-9]+", value):
        return int(value)
    if re.fullmatch(r"0o[0-7]+", value):
        return int(value[2:], 8)
    if re.fullmatch(r"0x[0-9a-fA-F]+", value):
        return int(value[2:], 16)
    if re.fullmatch(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?", value):
        return float(value)
    if re.fullmatch(r"[-+]?\.(?:inf|Inf|INF)", value):
        return float("-inf") if value.startswith("-") else float("inf")
    if value in (".nan", ".NaN", ".NAN"):
        return float("nan")
    return value


def _scalar(event, core=False):
    tag = event.tag
    if tag and tag.startswith("!") and tag != "!":
        value = Tagged(event.value)
        value.tag = tag
        return value
    if core and (tag is None or tag == "!"):
        return _core_scalar(event.value) if event.implicit[0] else event.value
    if tag is None and event.implicit[0]:
        value = event.value
        # Most plain scalars are words: no YAML 1.1 implicit type starts like that.
        if value and value[0] not in _IMPLICIT_FIRST:
            return value
    y = _Y
    if tag is None or tag == "!":
        if event.implicit[0]:
            tag = y["resolver"].resolve(y["yaml"].ScalarNode, event.value, (True, False))
        else:
            tag = _STR
    if tag == _STR or tag in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"):
        return event.value
    if tag.startswith("tag:yaml.org,2002:"):
        try:
            return y["constructor"].construct_object(y["yaml"].ScalarNode(tag, event.value))
        except Exception:  # noqa: BLE001 - an odd scalar is kept as text
            return event.value
    return event.value


def _size(value, sizes):
    return sizes.get(id(value), 1)


def load_all(text, source=None, core=False):
    """Parse every document in `text`. Returns a list of roots. Raises YamlError.

    `source` (a path) is recorded on every mapping and sequence. `core=True` reads plain
    scalars with the YAML 1.2 core schema (Compose); the default is PyYAML's YAML 1.1
    (Kubernetes' reader agrees with it on `yes`/`no`).
    """
    y = _yaml()
    yaml = y["yaml"]
    docs = []
    stack = []          # frames: [container, pending_key, key_pos, size]
    anchors = {}
    sizes = {}          # id(container) -> expanded node count
    total = 0
    aliased = 0         # nodes that aliases (merge keys included) add
    lines = {}          # one int object per line number, shared by its positions
    try:
        loader = y["loader"](text)
        get_event, check_event = loader.get_event, loader.check_event
        while check_event():
            event = get_event()
            cls = type(event)
            if cls is yaml.ScalarEvent or cls is yaml.AliasEvent:
                mark = event.start_mark
                if cls is yaml.AliasEvent:
                    if event.anchor not in anchors:
                        raise YamlError(f"unknown alias *{event.anchor}", mark.line + 1,
                                        mark.column + 1)
                    value = anchors[event.anchor]
                    size = _size(value, sizes)
                    aliased += size
                    if aliased > MAX_ALIAS_NODES:
                        raise YamlError(_too_many(f"aliases add more than {MAX_ALIAS_NODES:,}"),
                                        mark.line + 1)
                else:
                    value = _scalar(event, core)
                    size = 1
                    if event.anchor:
                        anchors[event.anchor] = value
                total += size
                if total > MAX_EXPANDED_NODES:
                    raise YamlError(_too_many(f"more than {MAX_EXPANDED_NODES:,} in all"),
                                    mark.line + 1)
                _add(stack, docs, value, size, mark, lines)
            elif cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
                mark = event.start_mark
                if len(stack) >= MAX_DEPTH:
                    raise YamlError(f"nesting deeper than {MAX_DEPTH} levels",
                                    mark.line + 1, mark.column + 1)
                if cls is yaml.MappingStartEvent:
                    node = new_map(source, mark.line + 1, mark.column + 1)
                else:
                    node = new_seq(source, mark.line + 1, mark.column + 1)
                if event.tag and event.tag.startswith("!") and event.tag != "!":
                    node.tag = event.tag
                if event.anchor:
                    anchors[event.anchor] = node
                stack.append([node, _NO_KEY, None, 1, mark])
            elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
                node, _, _, size, mark = stack.pop()
                sizes[id(node)] = size
                _add(stack, docs, node, size, mark, lines)
            elif cls is yaml.DocumentStartEvent:
                anchors = {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        message = f"{context}: {problem}" if context else problem
        if mark is not None:
            raise YamlError(f"invalid YAML: {message}", mark.line + 1, mark.column + 1) from None
        raise YamlError(f"invalid YAML: {message}") from None
    except RecursionError:
        raise YamlError(f"nesting deeper than {MAX_DEPTH} levels") from None
    return docs


def _too_many(detail):
    return (f"too many nodes after expanding aliases/merge keys ({detail}): the file is not "
            "reviewed (an alias bomb?)")


class _NoKey:
    pass


_NO_KEY = _NoKey()


def _add(stack, docs, value, size, mark, lines):
    if not stack:
        docs.append(value)
        return
    frame = stack[-1]
    container = frame[0]
    frame[3] += size
    line = mark.line + 1
    pos = (lines.setdefault(line, line), mark.column + 1)
    if type(container) is YSeq:
        container.append(value)
        container.item_pos.append(pos)
        return
    if frame[1] is _NO_KEY:
        if isinstance(value, (YMap, YSeq)):
            value = _freeze(value)
        frame[1] = value
        frame[2] = pos
        return
    key = frame[1]
    frame[1] = _NO_KEY
    if key == "<<" and isinstance(value, (YMap, YSeq)):
        _merge(container, value)
        return
    try:
        container[key] = value
    except TypeError:
        container[str(key)] = value
        key = str(key)
    container.key_pos[key] = frame[2]
    container.value_pos[key] = pos


def _merge(container, value):
    """YAML merge key: explicit keys win, earlier merged mappings win over later ones."""
    sources = [value] if isinstance(value, YMap) else [v for v in value if isinstance(v, YMap)]
    for source in sources:
        for k, v in source.items():
            if k not in container:
                container[k] = v
                container.key_pos[k] = source.key_pos.get(k, (source.line, source.column))
                container.value_pos[k] = source.value_pos.get(k, container.key_pos[k])


def _freeze(value):
    """A complex mapping key (rare): keep something hashable that still reads well."""
    if isinstance(value, dict):
        return tuple(sorted((str(k), str(v)) for k, v in value.items()))
    return tuple(str(v) for v in value)
