"""Kestra rules about secrets and transport security."""

from __future__ import annotations

import re

from infra_expert.kestra.model import strings, text_line
from infra_expert.lazyre import lazy_re
from infra_expert.model import Hit, Pass, RuleSet
from infra_expert.secrets import WEBHOOK_URL

rules = RuleSet("kestra")

# Properties that hold code (a script, commands, SQL): only token shapes and URL
# credentials are judged there, not `password = …` assignments, which scripts read
# from the environment as often as not.
CODE_KEYS = frozenset({"script", "commands", "beforeCommands", "sql", "query", "queries",
                       "inputFiles", "code", "command", "cmd", "statements", "expression",
                       "arguments", "args", "description", "prompt", "systemMessage"})
_SKIP = ("extend", "description")
_PLACEHOLDER_PART = lazy_re(r"x{4,}|0{6,}|your|example|placeholder|dummy|changeme|\*{3,}|<|\.\.\.",
                            re.IGNORECASE)


def _secret_key(key):
    """A secret-named key (`password`, `apiToken`), not a reference to one."""
    from infra_expert.secrets import is_secret_key
    return isinstance(key, str) and is_secret_key(key) and not re.sub(
        r"([a-z0-9])([A-Z])", r"\1_\2", key).lower().endswith(("_ref", "_name", "_id"))


def _placeholder(value):
    return bool(_PLACEHOLDER_PART.search(value)) or "{{" in value or "{%" in value


_FILE_NAME = lazy_re(r"^[\w.-]+\.(?:json|db|duckdb|sqlite3?|pem|key|crt|p12|ya?ml|txt|env|"
                     r"ini|conf|cfg)$", re.IGNORECASE)
_WORDS = lazy_re(r"^[A-Za-z]+(?:[_ -][A-Za-z]+)*$")


def _looks_real(value):
    """A random-looking credential: long, no spaces, letters and digits mixed."""
    v = value.strip()
    return len(v) >= 16 and " " not in v and any(c.isdigit() for c in v) \
        and any(c.isalpha() for c in v)


def _calibrate(doc, value):
    """(severity or None, note), or None when the value is an example's placeholder. In a
    blueprint, a name-like value (`zendesk_oauth_token`) stands for the real one; a
    random-looking one is a published credential and stays critical."""
    from infra_expert.knowledge import secret_context
    if doc.model.blueprint:
        if _looks_real(value):
            return None, (" (published in a blueprint: if it is a real credential, revoke "
                          "it)")
        if _WORDS.match(value.strip()):
            return None
        return "warning", (" (in a blueprint, an example: examples should show "
                           "`{{ secret('…') }}`)")
    return secret_context(doc.path, value)


def _scope(doc):
    """(label, node) of the parts of a flow where a value is configuration."""
    flow = doc.model
    root = flow.root
    for key in ("variables", "pluginDefaults", "taskDefaults", "triggers", "outputs",
                "inputs"):
        if key in root:
            yield key, root[key]
    for task in flow.tasks:
        yield task, task.node


@rules.rule(
    "KS002", "critical", "security", "Credential written in the flow",
    "A password, token or key written into a flow is stored in Kestra's database with "
    "every revision, shown to everyone who can read the flow, and copied into Git "
    "exports. Kestra's `{{ secret('NAME') }}` keeps it in the secret backend and masks "
    "it in logs.",
    "Move the value into a secret (OSS: the `SECRET_NAME` environment variable, "
    "base64-encoded; EE: the secret manager) and write `{{ secret('NAME') }}`; revoke "
    "the value that was committed.",
    positive="Credentials come from `secret('…')`, none is written in the flow",
    example='id: nightly_export\nnamespace: acme.data.sales\ntasks:\n  - id: load\n    type: io.kestra.plugin.jdbc.postgresql.Query\n    url: "{{ kv(\'DB_URL\') }}"\n    username: loader\n    password: "{{ secret(\'DB_PASSWORD\') }}"\n    sql: SELECT 1\n')
def literal_secret(doc, ctx):
    from infra_expert.secrets import is_literal_secret_value, mask_url_credentials, token_kind
    seen = set()
    uses_secret_fn = "secret(" in doc.text
    for where, node in _scope(doc):
        nested = _nested(where)
        for key, value, line in strings(node, skip=_SKIP + nested):
            if (line, key) in seen:
                continue
            what = None
            kind = token_kind(value)
            if kind and "EXAMPLE" not in value.upper():
                what = f"a {kind}"
            elif not isinstance(key, str):
                pass
            elif "://" in value and mask_url_credentials(value) != value \
                    and not _placeholder(value.split("@", 1)[0]):
                what = "a URL with a password in it"
                value = _url_password(value)
            else:
                hook = WEBHOOK_URL.search(value)
                if hook and not _placeholder(hook.group(1)):
                    what = "a webhook URL (whoever has it can post)"
                elif key not in CODE_KEYS and _secret_key(key) and not _placeholder(value) \
                        and is_literal_secret_value(value, key) and len(value.strip()) > 3 \
                        and not _FILE_NAME.match(value.strip()):
                    what = "a literal value"
            if what is None:
                continue
            seen.add((line, key))
            calibrated = _calibrate(doc, value)
            if calibrated is None:
                continue
            severity, note = calibrated
            owner = f" of task `{where.id}`" if not isinstance(where, str) else f" in `{where}`"
            yield Hit(line, f"`{key}`{owner} is {what}: use `{{{{ secret('…') }}}}`{note}",
                      severity=severity)
    if uses_secret_fn:
        yield Pass(doc.model.line_of("id"))


def _url_password(url):
    """The password of `scheme://user:password@host`, judged instead of the whole URL."""
    userinfo = url.split("://", 1)[1].split("@", 1)[0]
    return userinfo.partition(":")[2]


def _nested(where):
    if isinstance(where, str):
        return ()
    from infra_expert.kestra.model import nested_keys
    return tuple(nested_keys(where.node))


_LOG_TYPES = frozenset({"io.kestra.plugin.core.log.Log", "io.kestra.core.tasks.log.Log",
                        "io.kestra.plugin.core.debug.Echo", "io.kestra.core.tasks.debugs.Echo",
                        "io.kestra.plugin.core.debug.Return", "io.kestra.core.tasks.debugs.Return",
                        "io.kestra.plugin.core.output.OutputValues"})
_SECRET_CALL = lazy_re(r"secret\s*\(\s*['\"][^'\"]*['\"]\s*\)(\s*\|\s*(\w+))?")
_PRINTS = lazy_re(r"(?:^|[\s;&|(`])(?:echo|printf|print|cat|Write-Output|Write-Host|"
                  r"console\.log|puts|println)\b")
_HARMLESS_FILTERS = frozenset({"trim", "default"})


@rules.rule(
    "KS003", "warning", "security", "Secret printed into logs or outputs",
    "Kestra masks a secret in logs only where its exact value appears: a secret that is "
    "logged, echoed by a script or put in an output is one filter (`| jq`, "
    "`| base64encode`, a substring) away from being shown to everyone who can read the "
    "execution, and outputs are stored with it.",
    "Do not log or output secrets; pass them to the task that needs them (an `env` "
    "entry, a connection property) and log only that it was used.",
    example='id: nightly_export\nnamespace: acme.data.sales\ntasks:\n  - id: call_api\n    type: io.kestra.plugin.scripts.shell.Commands\n    env:\n      API_TOKEN: "{{ secret(\'API_TOKEN\') }}"\n    commands:\n      - ./sync.sh\n  - id: debug\n    type: io.kestra.plugin.core.log.Log\n    message: API called\n')
def secret_echoed(doc, ctx):
    flow = doc.model
    lines = doc.text.split("\n")
    for task in flow.tasks:
        is_log = task.type in _LOG_TYPES
        for key, value, line in strings(task.node, skip=("description",) + _nested(task)):
            if "secret" not in value:
                continue
            for m in _SECRET_CALL.finditer(value):
                if is_log and key in ("message", "format", "values") or is_log and key is None:
                    pass
                elif key in ("commands", "script", "beforeCommands"):
                    start = value.rfind("\n", 0, m.start()) + 1
                    end = value.find("\n", m.end())
                    if not _PRINTS.search(value[start:end if end >= 0 else len(value)]):
                        continue
                else:
                    continue
                yield _echo_hit(text_line(lines, line, value, m.start()), task, key, m)
                break
    outputs = flow.root.get("outputs")
    if outputs is not None:
        for key, value, line in strings(outputs):
            m = _SECRET_CALL.search(value)
            if m:
                yield _echo_hit(line, None, "outputs", m)


def _echo_hit(line, task, key, m):
    owner = f"task `{task.id}`" if task is not None else "the flow"
    fn = m.group(2)
    if fn and fn not in _HARMLESS_FILTERS:
        return Hit(line, f"`{key}` of {owner} prints a secret through `| {fn}`: Kestra's "
                         "masking only hides the exact value, so this shows it",
                   severity="critical")
    return Hit(line, f"`{key}` of {owner} prints a `secret()` value")


# (key lower case, values that turn verification off)
_INSECURE_KEYS = {
    "stricthostkeychecking": ("no", "false", False, "off"),
    "allowinsecure": (True, "true"),
    "insecuretrustallcertificates": (True, "true"),
    "trustallcertificates": (True, "true"),
    "trustall": (True, "true"),
    "insecure": (True, "true"),
    "insecureskipverify": (True, "true"),
    "skiptlsverify": (True, "true"),
    "skipverify": (True, "true"),
    "disablesslverification": (True, "true"),
    "verifyssl": (False, "false"),
    "sslverify": (False, "false"),
    "verify_ssl": (False, "false"),
    "tlsverify": (False, "false"),
    "verifycertificate": (False, "false"),
    "verifycertificates": (False, "false"),
    "verifyhostname": (False, "false"),
    "hostnameverification": (False, "false"),
    "validatecertificates": (False, "false"),
}
_INSECURE_COMMAND = lazy_re(
    r"\bcurl\b[^\n|;&]*\s(?:-k|--insecure|-[A-Za-z]*k[A-Za-z]*)(?=\s|$)"
    r"|\bwget\b[^\n|;&]*--no-check-certificate"
    r"|\bverify\s*=\s*False\b"
    r"|StrictHostKeyChecking[= ]no"
    r"|\bGIT_SSL_NO_VERIFY=(?:1|true)"
    r"|http\.sslVerify[= ]false")


@rules.rule(
    "KS004", "warning", "security", "TLS or SSH host verification turned off",
    "Without certificate or host key verification, anyone on the path (a rogue Wi-Fi, a "
    "compromised router, DNS spoofing) can impersonate the server and read or change "
    "what the task sends, credentials included.",
    "Keep verification on: trust the server's CA (a `ca`/`trustStore` property, or the "
    "worker's trust store) and pin the SSH host key (`knownHosts`) instead of turning "
    "checks off.",
    example='id: nightly_export\nnamespace: acme.data.sales\ntasks:\n  - id: upload\n    type: io.kestra.plugin.fs.sftp.Upload\n    host: sftp.acme.example\n    username: etl\n    password: "{{ secret(\'SFTP_PASSWORD\') }}"\n    from: "{{ outputs.export.uri }}"\n    to: /in/orders.csv\n')
def insecure_transport(doc, ctx):
    lines = doc.text.split("\n")
    for where, node in _scope(doc):
        yield from _insecure_in(node, where, lines, _nested(where))


def _insecure_in(node, where, lines, skip):
    from infra_expert.yamlsafe import YMap, YSeq
    owner = f"task `{where.id}`" if not isinstance(where, str) else f"`{where}`"
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, YMap):
            for k, v in cur.items():
                if k in skip or k in _SKIP:
                    continue
                bad = _INSECURE_KEYS.get(str(k).lower())
                if bad is not None and (v in bad if not isinstance(v, str)
                                        else v.strip().lower() in bad):
                    yield Hit(cur.pos_of(k)[0], f"`{k}: {v}` in {owner}")
                elif isinstance(v, str) and k in ("commands", "script", "beforeCommands"):
                    m = _INSECURE_COMMAND.search(v)
                    if m:
                        line = text_line(lines, cur.value_pos.get(k, cur.pos_of(k))[0], v,
                                         m.start())
                        yield Hit(line, f"`{m.group(0).strip()[:60]}` in `{k}` of {owner}")
                elif isinstance(v, (YMap, YSeq)):
                    if k in ("commands", "beforeCommands"):
                        for item, pos in zip(v, getattr(v, "item_pos", ())):
                            m = _INSECURE_COMMAND.search(item) if isinstance(item, str) \
                                else None
                            if m:
                                yield Hit(pos[0], f"`{m.group(0).strip()[:60]}` in `{k}` of "
                                                  f"{owner}")
                    else:
                        stack.append(v)
        elif isinstance(cur, YSeq):
            stack.extend(v for v in cur if isinstance(v, (YMap, YSeq)))

