"""Compose style rules, dclint's ordering and quoting conventions.

They are off by default: order and quoting change nothing at run time. Teams that want
them turn them on with `enable = ["DC060", …]` in `.infra-expert.toml` or `--enable`.
"""

from __future__ import annotations

import os

from infra_expert.compose.loader import item_source
from infra_expert.compose.walkers import as_list, depends_on, each_service, hit, item_hit
from infra_expert.model import Hit, RuleSet
from infra_expert.yamlsafe import YMap, YSeq

rules = RuleSet("compose")


def _first_char(ctx, path, line, column):
    """The source character where a YAML value starts (the loader drops quoting)."""
    from infra_expert.compose import compose_files
    cache = ctx.index(compose_files)
    text = cache.get(os.path.normpath(path)) if path else None
    if text is None or line is None or column is None:
        return ""
    lines = text.split("\n")
    if line - 1 >= len(lines):
        return ""
    return lines[line - 1][column - 1:column]


@rules.rule(
    "DC060", "suggestion", "elegance", "No top-level `name:`",
    "Without `name:` the project is named after its directory: moving or renaming the "
    "folder creates new containers, networks and volumes beside the old ones.",
    "Add `name: myproject` at the top of the file.",
    peers=("dclint:require-project-name-field",), enabled=False,
    example=(
        'name: shop\n'
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2'))
def project_name(doc, ctx):
    root = doc.model.root
    if "name" not in root:
        yield Hit(1, "no top-level `name:`", path=root.source)


@rules.rule(
    "DC061", "suggestion", "elegance", "Port mapping not quoted",
    "Unquoted `ports` entries are read as numbers by YAML 1.1 tools (`22:22` becomes the "
    "base-60 number 1342); quoting keeps every tool agreeing.",
    "Quote each mapping: `- \"8080:80\"`.",
    peers=("dclint:require-quotes-in-ports",), enabled=False,
    example=(
        'services:\n'
        '  web:\n'
        '    image: nginx:1.27-alpine\n'
        '    ports:\n'
        '      - "127.0.0.1:8080:80"'))
def ports_quoted(doc, ctx):
    for svc, i, item, quoted in _short_items(doc, ctx, "ports"):
        if not quoted:
            yield item_hit(svc, "ports", i, f"`{item}` is not quoted")


@rules.rule(
    "DC062", "suggestion", "elegance", "Volume entry quoted",
    "Quotes around `volumes` entries are noise that the rest of the file does not use.",
    "Write `- ./data:/data` without quotes.",
    peers=("dclint:no-quotes-in-volumes",), enabled=False,
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    volumes:\n'
        '      - ./data:/data'))
def volumes_unquoted(doc, ctx):
    for svc, i, item, quoted in _short_items(doc, ctx, "volumes"):
        if quoted:
            yield item_hit(svc, "volumes", i, f"`{item}` is quoted")


def _short_items(doc, ctx, key):
    """(service, index, item, written quoted?) for the short-syntax entries of `key`."""
    for svc in each_service(doc.model):
        seq = svc.get(key)
        if not isinstance(seq, YSeq):
            continue
        for i, item in enumerate(seq):
            if isinstance(item, dict) or i >= len(seq.item_pos):
                continue
            line, column = seq.item_pos[i]
            yield svc, i, item, _first_char(ctx, item_source(seq, i), line, column) in ("'", '"')


def _unsorted(names):
    """Index of the first name that breaks alphabetical order, or None."""
    for i in range(1, len(names)):
        if names[i].lower() < names[i - 1].lower():
            return i
    return None


@rules.rule(
    "DC063", "suggestion", "elegance", "Services not in alphabetical order",
    "A sorted list of services is easier to scan and gives smaller diffs.",
    "Sort the services by name.",
    peers=("dclint:services-alphabetical-order",), enabled=False,
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '  db:\n'
        '    image: postgres:16.4\n'
        '  web:\n'
        '    image: nginx:1.27-alpine'))
def services_sorted(doc, ctx):
    services = doc.model.root.get("services")
    if isinstance(services, YMap):
        names = [str(n) for n in services if services.key_source.get(n) is None]
        i = _unsorted(names)
        if i is not None:
            path, line = services.where(names[i])
            yield Hit(line, f"`{names[i]}` comes after `{names[i - 1]}`", path=path)


@rules.rule(
    "DC064", "suggestion", "elegance", "Service keys out of the usual order",
    "Keys in a predictable order (image and build first, then dependencies, data, "
    "environment, network, runtime, metadata, security, resources) make services easy to "
    "compare.",
    "Reorder the keys: image/build, depends_on, volumes, environment, ports/networks, "
    "command/restart/healthcheck, labels/logging, security options, deploy.",
    peers=("dclint:service-keys-order",), enabled=False,
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    depends_on: [db]\n'
        '    volumes: [./data:/data]\n'
        '    environment: {TZ: Europe/Paris}\n'
        '    ports: ["127.0.0.1:8080:8080"]\n'
        '    restart: unless-stopped\n'
        '  db:\n'
        '    image: postgres:16.4'))
def service_key_order(doc, ctx):
    for svc in each_service(doc.model):
        if not isinstance(svc.data, YMap):
            continue
        keys = sorted((k for k in svc.data if svc.data.key_source.get(k) is None),
                      key=lambda k: svc.data.key_pos.get(k, (0, 0)))
        last = -1
        for key in keys:
            group = _KEY_GROUP.get(key)
            if group is None:
                continue     # an unknown key (DC054) has no usual place
            if group < last:
                yield hit(svc, key, f"`{key}` comes after {_GROUPS[last]} keys")
                break
            last = max(last, group)


_GROUPS = ["image/build", "dependency", "data", "environment", "network", "runtime",
           "metadata", "security", "resource"]
_KEY_GROUP = {}
for _i, _keys in enumerate((
        "image build container_name platform pull_policy profiles extends",
        "depends_on links external_links",
        "volumes volumes_from tmpfs secrets configs",
        "environment env_file",
        "ports expose networks network_mode extra_hosts dns dns_search hostname domainname",
        "command entrypoint working_dir user restart healthcheck init stop_grace_period "
        "stop_signal tty stdin_open",
        "labels logging annotations",
        "cap_add cap_drop privileged security_opt read_only userns_mode pid ipc devices",
        "deploy mem_limit mem_reservation cpus cpu_shares pids_limit ulimits shm_size")):
    for _k in _keys.split():
        _KEY_GROUP[_k] = _i


@rules.rule(
    "DC065", "suggestion", "elegance", "Ports not in order",
    "Sorted port lists are easier to check for clashes.",
    "Sort the `ports` entries by host port.",
    peers=("dclint:service-ports-alphabetical-order",), enabled=False,
    example=(
        'services:\n'
        '  web:\n'
        '    image: nginx:1.27-alpine\n'
        '    ports:\n'
        '      - "127.0.0.1:8080:80"\n'
        '      - "127.0.0.1:8443:443"'))
def ports_sorted(doc, ctx):
    for svc in each_service(doc.model):
        items = [str(p) for p in as_list(svc.get("ports")) if not isinstance(p, dict)]
        i = _unsorted(items)
        if i is not None:
            yield item_hit(svc, "ports", i, f"`{items[i]}` comes after `{items[i - 1]}`")


@rules.rule(
    "DC066", "suggestion", "elegance", "`depends_on` not in alphabetical order",
    "A sorted dependency list reads faster and diffs cleanly.",
    "Sort the `depends_on` entries.",
    peers=("dclint:service-dependencies-alphabetical-order",), enabled=False,
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    depends_on: [cache, db]\n'
        '  cache:\n'
        '    image: redis:7.4-alpine\n'
        '  db:\n'
        '    image: postgres:16.4'))
def depends_sorted(doc, ctx):
    for svc in each_service(doc.model):
        names = list(depends_on(svc))
        i = _unsorted(names)
        if i is not None:
            yield hit(svc, "depends_on", f"`{names[i]}` comes after `{names[i - 1]}`")


_TOP_ORDER = ["x-", "version", "name", "include", "services", "networks", "volumes", "secrets",
              "configs"]


@rules.rule(
    "DC067", "suggestion", "elegance", "Top-level keys out of order",
    "The conventional order (`x-*` anchors, `name`, `include`, `services`, `networks`, "
    "`volumes`, `secrets`, `configs`) puts what a reader needs first.",
    "Reorder the top-level sections.",
    peers=("dclint:top-level-properties-order",), enabled=False,
    example=(
        'name: shop\n'
        'services:\n'
        '  db:\n'
        '    image: postgres:16.4\n'
        '    volumes: [db-data:/var/lib/postgresql/data]\n'
        'volumes:\n'
        '  db-data:'))
def top_level_order(doc, ctx):
    root = doc.model.root
    keys = sorted((k for k in root if root.key_source.get(k) is None),
                  key=lambda k: root.key_pos.get(k, (0, 0)))
    last = -1
    for key in keys:
        rank = 0 if str(key).startswith("x-") else (
            _TOP_ORDER.index(key) if key in _TOP_ORDER else len(_TOP_ORDER))
        if rank < last:
            path, line = root.where(key)
            yield Hit(line, f"`{key}` comes after `{_TOP_ORDER[last]}`", path=path)
            break
        last = max(last, rank)
