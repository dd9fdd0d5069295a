"""Shared walkers over a resolved Compose project, so that each rule stays short."""

from __future__ import annotations

from infra_expert.model import Hit
from infra_expert.quantities import size_bytes
from infra_expert.yamlsafe import YMap, YSeq



def each_service(project):
    """Services that are mappings: the loader reports any other shape once (DC024)."""
    return [svc for svc in project.services.values() if isinstance(svc.data, dict)]


def hit(service, key, message, sub=None):
    """A Hit at `service.key` (or `service.key.sub`), in the file that set it."""
    data = service.data
    if sub is not None and isinstance(data.get(key), YMap) and sub in data[key].key_pos:
        node = data[key]
        path, line = node.where(sub)
        column = node.key_pos[sub][1]
    elif isinstance(data, YMap) and key in data.key_pos:
        path, line = data.where(key)
        column = data.key_pos[key][1]
    else:
        path, line, column = service.source, service.line, None
    return Hit(line, f"service `{service.label}`: {message}", column=column, path=path)


def item_hit(service, key, index, message):
    """A Hit at the index-th item of the sequence `service.key`."""
    seq = service.data.get(key)
    if isinstance(seq, YSeq) and index < len(seq.item_pos):
        from infra_expert.compose.loader import item_source
        line, column = seq.item_pos[index]
        return Hit(line, f"service `{service.label}`: {message}", column=column,
                   path=item_source(seq, index) or service.source)
    return hit(service, key, message)


def _scalar(value):
    """A plain value, or None where a mapping or a list stands in its place."""
    return None if isinstance(value, (dict, list)) else value


def as_list(value):
    """The items of a list field; a lone value counts as one item, a mapping as none (no
    list field of a service takes one: Compose refuses it)."""
    if value is None or isinstance(value, dict):
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _wrong_item(item):
    """An item of `ports`/`volumes`/`environment` that no syntax allows (a list, null)."""
    return item is None or isinstance(item, list)


def deploy_limits(service):
    deploy = service.get("deploy")
    if isinstance(deploy, dict):
        resources = deploy.get("resources")
        if isinstance(resources, dict):
            limits = resources.get("limits")
            if isinstance(limits, dict):
                return limits
    return {}


def memory_limit_bytes(service):
    value = deploy_limits(service).get("memory", service.get("mem_limit"))
    return size_bytes(value) if value is not None else None


def cpu_limit(service):
    value = deploy_limits(service).get("cpus", service.get("cpus"))
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


class Port:
    """One published port, short or long syntax."""

    __slots__ = ("host_ip", "published", "target", "protocol", "index", "text",
                 "ip_unset")

    def __init__(self, host_ip, published, target, protocol, index, text, ip_unset=False):
        self.host_ip = host_ip
        self.published = published
        self.target = target
        self.protocol = protocol
        self.index = index
        self.text = text
        # the host address is a variable not set here (`${LAN_IP}:53:53`): the deploy sets
        # it, so where it listens is not known (DC026 names the variable)
        self.ip_unset = ip_unset

    @property
    def all_interfaces(self):
        """Listens on every interface as written (an unset address variable is not)."""
        return self.host_ip in (None, "", "0.0.0.0", "::") and not self.ip_unset

    def published_range(self):
        if not self.published:
            return []
        first, _, last = str(self.published).partition("-")
        try:
            a, b = int(first), int(last or first)
        except ValueError:
            return []
        return list(range(a, min(b, a + 1000) + 1))


def ports(service):
    out = []
    seq = service.get("ports")
    written = (seq._raw or {}) if isinstance(seq, YSeq) else {}
    for i, item in enumerate(as_list(seq)):
        if _wrong_item(item):
            continue
        if isinstance(item, dict):
            host_ip = _scalar(item.get("host_ip"))
            raw = (item._raw or {}).get("host_ip") if isinstance(item, YMap) else None
            out.append(Port(host_ip, _scalar(item.get("published")),
                            _scalar(item.get("target")), _scalar(item.get("protocol")) or "tcp",
                            i, str(dict(item)),
                            ip_unset=not host_ip and isinstance(raw, str) and "$" in raw))
            continue
        text = str(item)
        spec, _, proto = text.partition("/")
        host_ip = None
        if spec.startswith("["):                     # [::1]:8080:80
            close = spec.find("]")
            host_ip, spec = spec[1:close], spec[close + 2:]
        parts = spec.split(":")
        if len(parts) == 3:
            host_ip, published, target = parts
        elif len(parts) == 2:
            published, target = parts
        else:
            published, target = None, parts[0]
        raw = written.get(i)
        ip_unset = (len(parts) == 3 and not host_ip and isinstance(raw, str)
                    and "$" in raw.rsplit(":", 2)[0])
        out.append(Port(host_ip or None, published or None, target, proto or "tcp", i, text,
                        ip_unset=ip_unset))
    return out


class Mount:
    """One entry of `volumes:`: source, target, read-only and whether it is a bind."""

    __slots__ = ("source", "target", "read_only", "bind", "options", "index", "propagation")

    def __init__(self, source, target, read_only, bind, options, index, propagation=None):
        self.source = source
        self.target = target
        self.read_only = read_only
        self.bind = bind
        self.options = options
        self.index = index
        self.propagation = propagation


def mounts(service):
    """Entries of `volumes:`. A source that interpolated to nothing keeps its `${…}` text,
    so that rules about host paths do not judge an empty path."""
    out = []
    volumes = service.get("volumes")
    raw_items = getattr(volumes, "raw", {}) or {}
    for i, item in enumerate(as_list(volumes)):
        if _wrong_item(item):
            continue
        if isinstance(item, dict):
            source = str(item.get("source") or "")
            if not source and "source" in (getattr(item, "raw", None) or {}):
                source = str(item.raw["source"])
            kind = item.get("type", "volume")
            bind = item.get("bind") if isinstance(item.get("bind"), dict) else {}
            out.append(Mount(source, str(item.get("target") or ""), bool(item.get("read_only")),
                             kind == "bind", "", i, bind.get("propagation")))
            continue
        parts = str(item).split(":")
        if parts[0] == "" and len(parts) > 1 and i in raw_items:
            parts[0] = "${…}"   # the source interpolated to nothing: unknown, not judged
        if len(parts) == 1:
            out.append(Mount("", parts[0], False, False, "", i))
            continue
        source, target = parts[0], parts[1]
        options = parts[2] if len(parts) > 2 else ""
        opts = set(options.split(","))
        propagation = next((o for o in opts if o in ("shared", "rshared", "slave", "rslave",
                                                       "private", "rprivate")), None)
        bind = source.startswith(("/", ".", "~", "$"))
        out.append(Mount(source, target, "ro" in opts, bind, options, i, propagation))
    return out


def environment(service):
    """{name: value or None} from `environment:` in list or mapping form."""
    env = service.get("environment")
    out = {}
    if isinstance(env, dict):
        for k, v in env.items():
            out[str(k)] = None if v is None else str(v)
    elif isinstance(env, list):
        for item in env:
            if _wrong_item(item) or isinstance(item, dict):
                continue
            k, eq, v = str(item).partition("=")
            out[k] = v if eq else None
    return out


def env_position(service, name):
    """(path, line, column) of one environment entry."""
    env = service.get("environment")
    if isinstance(env, YMap) and name in env.key_pos:
        path, line = env.where(name)
        return path, line, env.key_pos[name][1]
    if isinstance(env, YSeq):
        for i, item in enumerate(env):
            if str(item).partition("=")[0] == name and i < len(env.item_pos):
                return env.source or service.source, env.item_pos[i][0], env.item_pos[i][1]
    path, line = service.where("environment")
    return path, line, None


def security_opts(service):
    return [str(o).replace("=", ":", 1) for o in as_list(service.get("security_opt"))]


def depends_on(service):
    """{dependency: condition} (`service_started` for the list form)."""
    deps = service.get("depends_on")
    if isinstance(deps, dict):
        return {str(k): (v.get("condition", "service_started") if isinstance(v, dict)
                         else "service_started") for k, v in deps.items()}
    return {str(d): None for d in as_list(deps)}


def healthcheck(service):
    hc = service.get("healthcheck")
    if not isinstance(hc, dict):
        return None
    if hc.get("disable") is True:
        return None
    test = hc.get("test")
    if isinstance(test, list) and test and str(test[0]).upper() == "NONE":
        return None
    if isinstance(test, str) and test.strip().upper() == "NONE":
        return None
    return hc
