"""Configuration: `.infra-expert.toml` or `[tool.infra-expert]` in `pyproject.toml`.

Found by walking up from the first reviewed path; the nearest file wins. CLI flags
override what the file says. Unknown keys and unknown rule ids are errors, because a
typo in a config silently doing nothing is worse than a refusal.
"""

from __future__ import annotations

import os
import re

from infra_expert.model import SEVERITIES, SHELLCHECK_ID

FAIL_ON = SEVERITIES + ("never",)
DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024
KEYS = ("ignore", "enable", "severity", "exclude", "fail-on", "trusted-registries",
        "max-file-size", "kubernetes-version", "host", "host-memory", "host-cpus",
        "host-arch", "host-storage", "jobs")


class ConfigError(Exception):
    pass


class Config:
    __slots__ = ("ignore", "enable", "severity", "exclude", "fail_on", "trusted_registries",
                 "max_file_size", "kubernetes_version", "source", "disable_ignore_pragma",
                 "host", "jobs")

    def __init__(self):
        self.ignore = set()
        self.enable = set()       # opt-in rules (off by default) to run
        self.severity = {}
        self.exclude = []
        self.fail_on = "critical"
        self.trusted_registries = []
        self.max_file_size = DEFAULT_MAX_FILE_SIZE
        self.kubernetes_version = None   # schema version; None: newest the package knows
        self.source = None
        self.disable_ignore_pragma = False   # `.hadolint.yaml`: `# hadolint …` pragmas off
        self.host = None          # hosts.Host: the machine the stack should fit on
        self.jobs = None          # worker processes; None: the usable CPUs


MAX_CONFIG_SIZE = 1024 * 1024


def _read_config_text(path):
    """A config file's text, through the same gate as the reviewed files: a regular file
    whose real path stays in its folder (a config found in a cloned repository is
    untrusted too: a FIFO would hang, a link could point at a key), at most 1 MiB."""
    from infra_expert.fsgate import Gate, Refused
    folder = os.path.dirname(os.path.abspath(path))
    try:
        return Gate([folder], MAX_CONFIG_SIZE).read_text(path)
    except Refused:
        return None


def find_config_file(start):
    """Nearest `.infra-expert.toml`, or `pyproject.toml` with a [tool.infra-expert] table."""
    path = os.path.abspath(start)
    if not os.path.isdir(path):
        path = os.path.dirname(path)
    while True:
        candidate = os.path.join(path, ".infra-expert.toml")
        if os.path.isfile(candidate):
            return candidate
        candidate = os.path.join(path, "pyproject.toml")
        if os.path.isfile(candidate):
            # Cheap test first: tomllib is only imported when the table is there.
            if "infra-expert" in (_read_config_text(candidate) or ""):
                return candidate
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent


def _load_toml(path):
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    text = _read_config_text(path)
    if text is None:
        raise ConfigError(f"{path}: cannot read (not a regular file inside its folder, "
                          f"or over {MAX_CONFIG_SIZE} bytes)")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def load_config(path, known_rule_ids):
    """Read and validate a config file. Returns a Config."""
    data = _load_toml(path)
    if os.path.basename(path) == "pyproject.toml":
        data = data.get("tool", {}).get("infra-expert", {})
    cfg = Config()
    cfg.source = path
    apply_settings(cfg, data, known_rule_ids, where=path)
    return cfg


def _rule_ids(value, known, where, key):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: `{key}` must be a list of rule ids")
    ids = set()
    for v in value:
        rid = v.strip().upper()
        if rid not in known and not SHELLCHECK_ID.match(rid):   # SC2086: ShellCheck's
            raise ConfigError(f"{where}: `{key}` names unknown rule `{v}` "
                              "(see `infra-expert rules`)")
        ids.add(rid)
    return ids


def _str_list(value, where, key):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: `{key}` must be a list of strings")
    return list(value)


def apply_settings(cfg, data, known_rule_ids, where):
    """Validate `data` (a dict from TOML or from CLI flags) and merge it into `cfg`."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: the configuration must be a table")
    for key in data:
        if key not in KEYS:
            raise ConfigError(f"{where}: unknown key `{key}` (known keys: {', '.join(KEYS)})")
    if "ignore" in data:
        cfg.ignore = _rule_ids(data["ignore"], known_rule_ids, where, "ignore")
    if "enable" in data:
        cfg.enable = _rule_ids(data["enable"], known_rule_ids, where, "enable")
    if "severity" in data:
        table = data["severity"]
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: `severity` must be a table of RULE = \"level\"")
        for rid, level in table.items():
            (rid_norm,) = _rule_ids([rid], known_rule_ids, where, "severity")
            if level not in SEVERITIES:
                raise ConfigError(f"{where}: severity of {rid} must be one of "
                                  f"{', '.join(SEVERITIES)}, not `{level}`")
            cfg.severity[rid_norm] = level
    if "exclude" in data:
        cfg.exclude = _str_list(data["exclude"], where, "exclude")
    if "fail-on" in data:
        if data["fail-on"] not in FAIL_ON:
            raise ConfigError(f"{where}: `fail-on` must be one of {', '.join(FAIL_ON)}")
        cfg.fail_on = data["fail-on"]
    if "trusted-registries" in data:
        cfg.trusted_registries = _str_list(data["trusted-registries"], where,
                                           "trusted-registries")
    if "max-file-size" in data:
        size = data["max-file-size"]
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            raise ConfigError(f"{where}: `max-file-size` must be a positive number of bytes")
        cfg.max_file_size = size
    if "kubernetes-version" in data:
        version = str(data["kubernetes-version"]).lstrip("v")
        if not re.fullmatch(r"1\.\d{1,2}(?:\.\d+)?", version):
            raise ConfigError(f"{where}: `kubernetes-version` must look like 1.31")
        cfg.kubernetes_version = version
    if "jobs" in data:
        jobs = data["jobs"]
        if isinstance(jobs, str) and jobs.strip().isdigit():
            jobs = int(jobs)
        if not isinstance(jobs, int) or isinstance(jobs, bool) or not 1 <= jobs <= 256:
            raise ConfigError(f"{where}: `jobs` must be a number of processes from 1 to 256")
        cfg.jobs = jobs
    host_keys = ("host", "host-memory", "host-cpus", "host-arch", "host-storage")
    if any(k in data for k in host_keys):
        from infra_expert.hosts import custom_host, parse_host
        try:
            base = parse_host(data["host"]) if "host" in data else cfg.host
            cfg.host = custom_host(base, data.get("host-memory"), data.get("host-cpus"),
                                   data.get("host-arch"), data.get("host-storage"))
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    return cfg


HADOLINT_NAMES = (".hadolint.yaml", ".hadolint.yml")
_HADOLINT_LEVELS = {"error": "critical", "warning": "warning", "info": "suggestion",
                    "style": "suggestion"}


def find_hadolint_config(start):
    """Nearest `.hadolint.yaml`/`.yml`, walking up from `start`."""
    path = os.path.abspath(start)
    if not os.path.isdir(path):
        path = os.path.dirname(path)
    while True:
        for name in HADOLINT_NAMES:
            candidate = os.path.join(path, name)
            if os.path.isfile(candidate):
                return candidate
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent


def apply_hadolint_config(cfg, path, rules):
    """Honour a project's hadolint settings so it can switch without rewriting them:
    `ignored`, `override` and `trustedRegistries`, mapped through the rules' peers, and
    `disable-ignore-pragma: true` (the `# hadolint ignore=` / `global ignore=` / `stage
    ignore=` comments are then not honoured; `# infra-expert:` comments still are).
    infra-expert's own settings win where both speak. Returns a list of warnings."""
    from infra_expert.yamlsafe import YamlError, load_all
    text = _read_config_text(path)
    if text is None:
        return [f"{path}: not used (not a regular file inside its folder, or too big)"]
    try:
        docs = load_all(text)
    except YamlError as exc:
        return [f"{path}: not used ({exc.message})"]
    data = docs[0] if docs and isinstance(docs[0], dict) else {}
    by_peer = {}
    for r in rules:
        for p in r.peers:
            if p.startswith("hadolint:"):
                by_peer.setdefault(p[9:].upper(), set()).add(r.id)
    ignored = data.get("ignored") or []
    if isinstance(ignored, str):
        ignored = [ignored]
    for code in ignored if isinstance(ignored, list) else []:
        ids = by_peer.get(str(code).upper(), set())
        if not ids and SHELLCHECK_ID.match(str(code).upper()):
            ids = {str(code).upper()}
        cfg.ignore |= {i for i in ids if i not in cfg.severity}
    override = data.get("override")
    if isinstance(override, dict):
        for level, codes in override.items():
            ours = _HADOLINT_LEVELS.get(str(level).lower())
            if ours is None or not isinstance(codes, list):
                continue
            for code in codes:
                code = str(code).upper()
                ids = by_peer.get(code, ()) or ([code] if SHELLCHECK_ID.match(code) else ())
                for rid in ids:
                    cfg.severity.setdefault(rid, ours)
    if data.get("disable-ignore-pragma") is True:
        cfg.disable_ignore_pragma = True
    trusted = data.get("trustedRegistries")
    if trusted and not cfg.trusted_registries:
        cfg.trusted_registries = [trusted] if isinstance(trusted, str) else [
            str(t) for t in trusted if isinstance(t, str)]
    return []
