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
        "host-arch", "host-storage", "jobs", "min-severity", "rules-url")


class ConfigError(Exception):
    pass


class Config:
    __slots__ = ("ignore", "enable", "severity", "exclude", "fail_on", "trusted_registries",
                 "max_file_size", "kubernetes_version", "source", "disable_ignore_pragma",
                 "host", "jobs", "min_severity", "rules_url", "given", "confine")

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
        self.min_severity = None  # findings below it are left out of the output
        self.rules_url = None     # where SARIF's helpUri points (docs/rules.md)
        self.given = set()        # the keys a config file or the command line set
        self.confine = None       # a folder no read may leave (the MCP server's root)


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


class RuleIds:
    """What a name in `ignore`, `enable` or `severity` stands for: one of our rule ids
    (`DF001`), a ShellCheck code (`SC2086`), a prefix of ours (`DC`, `K8`, `DF05`: every
    rule whose id starts so), or a peer's id (`DL3008`, `CKV_K8S_20`, `run-as-non-root`,
    or written with its tool, `hadolint:DL3008`): every rule of ours that claims it in
    its `peers`. One of our ids is looked up in its own domain only, so a one-file review
    that names a rule stays fast; prefixes and peers' ids load every rule."""

    _PREFIX = re.compile(r"^([A-Z][A-Z0-9])(\d{0,2})$")

    def __init__(self, all_rules):
        self._all_rules, self._rules, self._peers = all_rules, None, None

    def _every(self):
        if self._rules is None:
            self._rules = self._all_rules()
        return self._rules

    def __contains__(self, rule_id):
        return bool(self.resolve(rule_id))

    def resolve(self, name):
        """The set of our rule ids `name` stands for (empty: nothing)."""
        from infra_expert.engine import _rules_of_prefix
        text = str(name).strip()
        rid = text.upper()
        if SHELLCHECK_ID.match(rid):
            return {rid}
        own = _rules_of_prefix(rid)
        if own and any(r.id == rid for r in own):
            return {rid}
        if self._PREFIX.match(rid):
            found = {r.id for r in self._every() if r.id.startswith(rid)}
            if found:
                return found
        if any(r.id == rid for r in self._every()):
            return {rid}          # IE/RS: the core's
        if self._peers is None:
            self._peers = {}
            for r in self._every():
                for peer in r.peers:
                    tool, _, code = peer.partition(":")
                    for key in (code.lower(), peer.lower()):
                        self._peers.setdefault(key, set()).add(r.id)
        return set(self._peers.get(text.lower(), ()))


def _rule_ids(value, known, where, key):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: `{key}` must be a list of rule ids")
    ids = set()
    for v in value:
        if hasattr(known, "resolve"):
            found = known.resolve(v)
        else:
            rid = v.strip().upper()
            found = {rid} if rid in known or SHELLCHECK_ID.match(rid) else set()
        if not found:
            raise ConfigError(f"{where}: `{key}` names unknown rule `{v}` (an id of ours "
                              "or a peer's, or a prefix: see `infra-expert rules`)")
        ids |= found
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
    cfg.given |= set(data)
    if "ignore" in data:
        cfg.ignore = _rule_ids(data["ignore"], known_rule_ids, where, "ignore")
    if "enable" in data:
        cfg.enable = _rule_ids(data["enable"], known_rule_ids, where, "enable")
    if "severity" in data:
        table = data["severity"]
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: `severity` must be a table of RULE = \"level\"")
        for rid, level in table.items():
            if level not in SEVERITIES:
                raise ConfigError(f"{where}: severity of {rid} must be one of "
                                  f"{', '.join(SEVERITIES)}, not `{level}`")
            for rid_norm in _rule_ids([rid], known_rule_ids, where, "severity"):
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
        known = _kubernetes_versions()
        if known:
            minor = ".".join(version.split(".")[:2])
            if minor not in known:
                raise ConfigError(
                    f"{where}: no Kubernetes {version} schema is known (known: "
                    f"{known[0]} to {known[-1]}); leave `kubernetes-version` out for the "
                    "newest")
        cfg.kubernetes_version = version
    if "jobs" in data:
        jobs = data["jobs"]
        if isinstance(jobs, str) and jobs.strip().isdigit():
            jobs = int(jobs)
        if not isinstance(jobs, int) or isinstance(jobs, bool) or not 1 <= jobs <= 256:
            raise ConfigError(f"{where}: `jobs` must be a number of processes from 1 to 256")
        cfg.jobs = jobs
    if "min-severity" in data:
        if data["min-severity"] not in SEVERITIES:
            raise ConfigError(f"{where}: `min-severity` must be one of {', '.join(SEVERITIES)}")
        cfg.min_severity = data["min-severity"]
    if "rules-url" in data:
        url = data["rules-url"]
        if not isinstance(url, str) or not re.match(r"^[a-z][a-z0-9+.-]*://\S+$", url):
            raise ConfigError(f"{where}: `rules-url` must be an absolute URL")
        cfg.rules_url = url
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


def _kubernetes_versions():
    """The Kubernetes minor versions whose schemas `kubernetes-validate` ships, oldest
    first (empty when it is not installed: any version is taken then)."""
    try:
        from kubernetes_validate import utils
    except ImportError:
        return []
    found = {utils.major_minor(v) for v in utils.all_versions()}
    return sorted(found, key=lambda v: tuple(int(p) for p in v.split(".")))


HADOLINT_NAMES = (".hadolint.yaml", ".hadolint.yml")
# hadolint's `failure-threshold`: it fails on rules at or above the level; `ignore` and
# `none` never fail. Its `info` and `style` are our suggestions.
_HADOLINT_THRESHOLD = {"error": "critical", "warning": "warning", "info": "suggestion",
                       "style": "suggestion", "ignore": "never", "none": "never"}


def _check_hadolint_types(data, path):
    """The keys we read, checked as hadolint checks them; other keys are hadolint's own
    business (label schemas, output format …) and left alone."""
    def fail(message):
        raise ConfigError(f"{path}: {message}")
    for key in ("ignored", "trustedRegistries"):
        value = data.get(key)
        if value is not None and not (isinstance(value, str) or (
                isinstance(value, list) and all(isinstance(v, str) for v in value))):
            fail(f"`{key}` must be a list of strings")
    override = data.get("override")
    if override is not None:
        if not isinstance(override, dict):
            fail("`override` must map error/warning/info/style to lists of rule codes")
        for level, codes in override.items():
            if str(level).lower() not in _HADOLINT_LEVELS:
                fail(f"`override` has an unknown level `{level}` "
                     "(error, warning, info or style)")
            if codes is not None and not isinstance(codes, list):
                fail(f"`override.{level}` must be a list of rule codes")
    for key in ("disable-ignore-pragma", "no-fail"):
        if key in data and not isinstance(data[key], bool):
            fail(f"`{key}` must be true or false")
    threshold = data.get("failure-threshold")
    if threshold is not None and str(threshold).lower() not in _HADOLINT_THRESHOLD:
        fail(f"`failure-threshold` must be one of {', '.join(_HADOLINT_THRESHOLD)}, "
             f"not `{threshold}`")
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
    `ignored`, `override` and `trustedRegistries`, mapped through the rules' peers;
    `disable-ignore-pragma: true` (the `# hadolint ignore=` / `global ignore=` / `stage
    ignore=` comments are then not honoured; `# infra-expert:` comments still are);
    `failure-threshold` (hadolint's error/warning/info/style/ignore/none, as `fail-on`)
    and `no-fail: true` (`fail-on = "never"`). infra-expert's own settings win where both
    speak. A file hadolint itself would refuse (not YAML, a known key of the wrong type
    or value) is a ConfigError, as our own config's mistakes are. Returns a list of
    warnings."""
    from infra_expert.yamlsafe import YamlError, load_all
    text = _read_config_text(path)
    if text is None:
        raise ConfigError(f"{path}: cannot be read (not a regular file inside its folder, "
                          "or over 1 MiB)")
    try:
        docs = load_all(text)
    except YamlError as exc:
        raise ConfigError(f"{path}: line {exc.line}: {exc.message}") from None
    if docs and docs[0] is not None and not isinstance(docs[0], dict):
        raise ConfigError(f"{path}: a hadolint config is a mapping of settings")
    data = docs[0] if docs and isinstance(docs[0], dict) else {}
    _check_hadolint_types(data, path)
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
    if "fail-on" not in cfg.given:
        if data.get("no-fail") is True:
            cfg.fail_on = "never"
        elif data.get("failure-threshold") is not None:
            cfg.fail_on = _HADOLINT_THRESHOLD[str(data["failure-threshold"]).lower()]
    trusted = data.get("trustedRegistries")
    if trusted and not cfg.trusted_registries:
        cfg.trusted_registries = [trusted] if isinstance(trusted, str) else [
            str(t) for t in trusted if isinstance(t, str)]
    return []
