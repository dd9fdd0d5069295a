"""Recognising secrets, and making sure none is ever printed.

A value is a secret when its name says so *and* it is a literal (not a variable
reference, a file path or an obvious placeholder), or when its shape is a well-known
token format whatever its name. Findings show the name and `****`, never the value.

Rules that quote raw text (a RUN line, a unit line, a URL) cannot all know what in it is
a credential, so the engine passes every string it returns through `mask_secrets()`:
credentials in URLs, password options of the usual commands, secret-named `KEY=value`,
`key: value` and flags, Authorization headers, token shapes and private key blocks.
"""

from __future__ import annotations

import re

from infra_expert.lazyre import lazy_re

MASK = "****"

_SECRET_WORD = (
    r"(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|"
    r"access[_-]?key|secret[_-]?key|private[_-]?key|priv[_-]?key|client[_-]?secret|"
    r"auth[_-]?key|credentials?|cred|session[_-]?key|signing[_-]?key|encryption[_-]?key|"
    r"master[_-]?key|license[_-]?key|connection[_-]?string|dsn)")
_SECRET_NAME = lazy_re(r"(?:^|[_.-])" + _SECRET_WORD + r"(?:$|[_.-])", re.IGNORECASE)
# The secret word ends the name (`DB_PASSWORD`), so the value is the secret itself; in
# `PASSWORD_ITERATIONS` or `SECRET_FILE_SIZE` the value is a setting about it.
_SECRET_NAME_END = lazy_re(r"(?:^|[_.-])" + _SECRET_WORD + r"$", re.IGNORECASE)
# Names that contain a secret word but hold no secret.
_NOT_SECRET_NAME = lazy_re(
    r"(?:_FILE|_PATH|_DIR|_URL_FILE|_LENGTH|_LEN|_MIN|_MAX|_POLICY|_EXPIRY|_EXPIRES?|"
    r"_TTL|_TYPE|_HEADER|_FIELD|_PARAM|_NAME|_ID|_ENABLED|_REQUIRED|_ALGORITHM|_URL|"
    r"_ENDPOINT|_HOST|_PORT|_USER|_USERNAME|_VERSION|_SIZE|_COUNT|_ITERATIONS|_ROUNDS|"
    r"_LIFETIME|_EXPIRATION|_TIMEOUT|_INTERVAL|_SECONDS|_MINUTES|_HOURS|_DAYS|_PROVIDER|"
    r"_BACKEND|_LANGUAGE|_LOCALE|_HOSTNAME)$", re.IGNORECASE)
_PLACEHOLDER = lazy_re(
    r"^(?:|x+|\*+|-+|\.+|none|null|nil|true|false|yes|no|0|1|changeme|change[_-]?me|"
    r"todo|tbd|redacted|placeholder|dummy|example|secret|password|your[_-].*|"
    r"<[^>]*>|\{\{.*\}\}|%\(.*\)s|\[.*\])$",
    re.IGNORECASE)
_TOKEN_PATTERNS = (
    ("AWS access key id", lazy_re(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("GitHub token", lazy_re(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}\b")),
    ("GitHub fine-grained token", lazy_re(r"\bgithub_pat_[A-Za-z0-9_]{60,}\b")),
    ("GitLab token", lazy_re(r"\bglpat-[A-Za-z0-9_\-]{20,}\b")),
    ("Slack token", lazy_re(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b")),
    ("Stripe secret key", lazy_re(r"\bsk_live_[A-Za-z0-9]{16,}\b")),
    ("Google API key", lazy_re(r"\bAIza[0-9A-Za-z_\-]{35}\b")),
    ("npm token", lazy_re(r"\bnpm_[A-Za-z0-9]{36}\b")),
    ("private key", lazy_re(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")),
)


def is_secret_name(name):
    name = name.strip()
    return bool(_SECRET_NAME.search(name)) and not _NOT_SECRET_NAME.search(name)


# Values that are never a secret, whatever the name: a duration (`30s`, `1h30m`), a size
# (`10MB`, `512Mi`), a switch, an IPv4 address.
_SETTING_VALUE = lazy_re(
    r"^(?:(?:\d+(?:\.\d+)?(?:ns|us|ms|s|m|h|d|w))+|\d+(?:\.\d+)?[ ]?(?:[kmgtp]i?b?|b)|"
    r"on|off|enabled?|disabled?|(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?)$", re.IGNORECASE)
_NUMBER = lazy_re(r"^[+-]?\d+(?:\.\d+)?$")
# References to a secret kept elsewhere: a variable, a file, a secret manager.
_REFERENCE_START = ("/", "./", "../", "~", "file:", "vault:", "secret:", "env:", "op://",
                    "ref+", "arn:aws:")
_REFERENCE = lazy_re(r"^%[\w.-]+%")       # Symfony `%kernel.secret%`, Windows `%VAR%`
_URL = lazy_re(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)")


def is_literal_secret_value(value, name=None):
    """True when `value` is a real literal, not a reference, path, placeholder or a
    setting: a variable (`${VAR}`), a path or `file:`/`vault:`/`op://` reference, a
    duration, size, switch or address, a URL without a password, nothing. A number is a
    setting when `name` is given and the secret word does not end it
    (`PASSWORD_ITERATIONS=500000`); `DB_PASSWORD=123456` stays a (weak) secret, and so does
    any number when the name is unknown (the masker hides it)."""
    v = value.strip().strip("\"'")
    if _PLACEHOLDER.match(v) or _SETTING_VALUE.match(v):
        return False
    if "$" in v or v.startswith(_REFERENCE_START) or _REFERENCE.match(v):
        return False
    url = _URL.match(v)
    if url:
        user, at, _ = url.group(1).rpartition("@")
        return bool(at) and ":" in user and is_literal_secret_value(user.partition(":")[2])
    if name is not None and _NUMBER.match(v) and not _SECRET_NAME_END.search(name.strip()):
        return False
    return True


def token_kind(text):
    """The kind of well-known token found in `text`, or None."""
    for kind, pattern in _TOKEN_PATTERNS:
        if pattern.search(text):
            return kind
    return None


_KEY_FILE = lazy_re(
    r"(?:^|/)(?:id_(?:rsa|dsa|ecdsa|ed25519)(?!\.pub)|[^/]*\.(?:pem|key|p12|pfx|jks|keystore|"
    r"kdbx|ppk)|\.env(?:\.(?!example|sample|template|dist|defaults?)[^/]+)?|\.npmrc|\.pypirc|"
    r"\.netrc|\.git-credentials|credentials(?:\.json)?|service[_-]?account[^/]*\.json|"
    r"\.aws/credentials|\.docker/config\.json|\.htpasswd)$", re.IGNORECASE)


def is_secret_file(path):
    """True for file names that usually hold keys or credentials."""
    return bool(_KEY_FILE.search(path.replace("\\", "/").rstrip("/")))


# -- the masker: every string that leaves the engine passes through mask_secrets() --------
#
# Each pattern below is anchored on something literal or on a word start, and every
# repeated class excludes the character that follows it, so a failed attempt backtracks at
# most over one word: the whole pass is linear in the length of the text.

# `scheme://user:password@host`, also `//user:password@` (SMB/CIFS sources) and
# `scheme:/user:password@host` (a URL that went through path normalisation).
_URL_USERINFO = lazy_re(r"((?<=:)/|//)([^\s/?#@:`'\"]*):([^\s/?#`]*)@")
# The same, cut before the `@` by a rule that shortened what it quotes (`…`).
_URL_USERINFO_CUT = lazy_re(r"((?<=:)/|//)([^\s/?#@:`'\"]*):([^\s/?#@`'\",;)}\]…]+)(?=…)")
# `--password=X`, `--token X`, `"--api-key", "X"` (exec form).
_FLAG = lazy_re(
    r"(?<![\w-])(--[A-Za-z][\w.-]*)(=|[ \t]+|[\"'][ \t]*,[ \t]*(?=[\"']))"
    r"(\"[^\"\n]*\"|'[^'\n]*'|\\\"[^\"\\\n]*\\\"|[^\s\"'`;&|]+)")
# `NAME=value` (env pairs, `-e`, connection strings, mount options).
_ASSIGN = lazy_re(
    r"(?<![\w.$-])([A-Za-z_][\w.-]*)=(\"[^\"\n]*\"|'[^'\n]*'|\\\"[^\"\\\n]*\\\"|[^\s\"'`;&|]+)")
# `key: value` and JSON `"key": "value"`.
_KEY_VALUE = lazy_re(
    r"(?<![\w.-])([\"']?)([A-Za-z_][\w.-]*)\1[ \t]*:([ \t]*)"
    r"(\"[^\"\n]*\"|'[^'\n]*'|\\\"[^\"\\\n]*\\\"|[^\s\"'`,;&|{}\[\]][^\s\"'`,;&|}\]]*)")
# Dockerfile's legacy `ENV NAME value` / `ARG NAME value` form.
_ENV_SPACE = lazy_re(r"(?<![\w-])((?:ENV|ARG)[ \t]+)([A-Za-z_]\w*)[ \t]+([^\s=`][^\n`]*)")
_AUTH_SCHEMES = ("bearer", "basic", "token", "digest", "negotiate", "bot", "apikey")
_AUTH_HEADER = lazy_re(
    r"(?i)(?<![\w-])((?:proxy-)?authorization[\"']?[ \t]*[:=][ \t]*"
    r"(?:(?:%s)[ \t]+)?)([^\s\"'`,;]+)" % "|".join(_AUTH_SCHEMES))
_KEY_BLOCK = lazy_re(
    r"(-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----)(.*?)"
    r"(-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|\Z)", re.S)
# Every well-known token shape in one pass, plus JWTs (which the rules do not judge).
_ANY_TOKEN = lazy_re("|".join(
    [f"(?:{p.pattern})" for kind, p in _TOKEN_PATTERNS if kind != "private key"]
    + [r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"]))
# A word every secret name contains (see _SECRET_NAME), the commands below, and the
# starts of the token shapes: a text with none of them has nothing to mask.
_SECRET_WORDS = {"pass", "pwd", "secret", "token", "key", "cred", "connection", "dsn"}
# (`cred` also screens podman/skopeo's `--creds user:password`.)
_COMMAND_WORDS = {"mysql", "mariadb", "sshpass", "redis-cli", "curl"}
_SCREEN = lazy_re("|".join(sorted(
    _SECRET_WORDS | _COMMAND_WORDS | {"//", "authorization", "akia", "asia", "gh", "glpat-",
                                      "xox", "sk_live_", "aiza", "npm_", "eyj"})))
# Commands whose short options carry a password; split at shell separators first.
_SEGMENT = lazy_re(r"[^;&|\n]+|[;&|\n]+")
_PASSWORD_COMMAND = lazy_re(
    r"(?<![\w-])(mysql\w*|mariadb[\w-]*|sshpass|redis-cli|curl)(?![\w-])")
_SEP = r"(?:[ \t]+|[\"'][ \t]*,[ \t]*[\"'])"           # `-p X` or `"-p", "X"`
_VALUE = r"([^\s\"',\]`;&|]+)"
_COMMAND_OPTIONS = {
    # mysql's `-p X` prompts and takes X for the database: only `-pX` holds a password.
    "mysql": lazy_re(r"(?<=[\s\"'\[,])(-p)" + _VALUE),
    "sshpass": lazy_re(r"(?<=[\s\"'\[,])(-p" + _SEP + "?)" + _VALUE),
    "redis-cli": lazy_re(r"(?<=[\s\"'\[,])(-a" + _SEP + "?)" + _VALUE),
    # `curl -u user:password` (also bundled, `-fsSu`); a bare `-u user` prompts.
    "curl": lazy_re(r"(?<=[\s\"'\[,])((?:-[A-Za-z]*[uU]|--user|--proxy-user)(?:=|" + _SEP + ")?"
                    r"[^\s\"':,`]*:)" + _VALUE),
}
_FLAG_WORDS = {"password", "passwd", "pwd", "pass", "passphrase", "token", "secret", "key",
               "apikey", "credential", "credentials"}
_CAMEL = lazy_re(r"([a-z0-9])([A-Z])")
# Names that hold a reference to a secret or a setting about secrets, not a secret
# (`secretRef: db-credentials`, `password_encryption: scram-sha-256`).
_NOT_SECRET_KEY = lazy_re(
    r"(?:_REF|_NAMESPACE|_SELECTOR|_ENCRYPTION|_SIZE|_SECONDS|_TIMEOUT|_STORE_TYPE)$",
    re.IGNORECASE)
# Template expressions a value is filled from later (Helm/Jinja, Kestra, `<placeholder>`).
_TEMPLATE_START = ("{{", "{%", "<", "%(")


def mask_secrets(text):
    """`text` with every secret it shows replaced by `****`: linear, idempotent.

    The one place masking happens: the engine runs every message, notice and resource
    string through it, so a rule that quotes a raw line cannot print a credential.
    """
    if not isinstance(text, str) or not text:
        return text
    if "PRIVATE KEY" in text:      # before the screen: a key block is masked whatever else
        text = _KEY_BLOCK.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    if "//" in text or ":/" in text:
        text = _URL_USERINFO.sub(_url_password, text)
        text = _URL_USERINFO_CUT.sub(_cut_url_password, text)
    low = text.lower()
    found = set(_SCREEN.findall(low))    # most messages hold none of these: one quick pass
    if not found:
        return text
    if found & _COMMAND_WORDS and _PASSWORD_COMMAND.search(text):
        text = "".join(_mask_command(s) for s in _SEGMENT.findall(text))
    if found & _SECRET_WORDS:
        text = _FLAG.sub(_flag, text)
        text = _ASSIGN.sub(_assign, text)
        text = _KEY_VALUE.sub(_key_value, text)
        text = _ENV_SPACE.sub(_env_space, text)
    if "authorization" in found:
        text = _AUTH_HEADER.sub(_auth_header, text)
    return _ANY_TOKEN.sub(MASK, text)


def _hide(value):
    """Whether a quoted value is a literal to mask (not `****`, `${VAR}`, a path…)."""
    bare = value.strip("\\\"'")
    return bare != MASK and not bare.startswith(_TEMPLATE_START) \
        and is_literal_secret_value(bare)


def _hide_named(value):
    """_hide() for the value of a secret-named key: a URL there is left to the URL
    masker, which hides its password and keeps the host readable."""
    return "://" not in value and _hide(value)


def _masked(value):
    """`value` replaced by the mask, keeping the quotes around it."""
    if value.startswith('\\"') and len(value) >= 4:
        return '\\"' + MASK + '\\"'
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[0] + MASK + value[0]
    return MASK


def _url_password(m):
    if not _hide(m.group(3)):
        return m.group(0)
    return f"{m.group(1)}{m.group(2)}:{MASK}@"


def _cut_url_password(m):
    password = m.group(3)
    if password.isdigit() or not _hide(password):
        return m.group(0)     # `host:8080`, not a password
    return f"{m.group(1)}{m.group(2)}:{MASK}"


# A chat webhook URL carries its token in the path: anyone holding it can post as you.
WEBHOOK_URL = lazy_re(r"https://(?:hooks\.slack\.com/services|discord(?:app)?\.com/api/webhooks"
                      r"|[\w.-]+\.webhook\.office\.com/webhookb2)/([^\s\"'{}]+)")


def is_secret_key(name):
    """is_secret_name() that also reads camelCase (`dbPassword`) and flag names."""
    return _secret_key(name)


def _secret_key(name):
    """is_secret_name() that also reads camelCase (`dbPassword`) and flag names."""
    name = _CAMEL.sub(r"\1_\2", name).replace("-", "_")
    return is_secret_name(name) and not _NOT_SECRET_KEY.search(name)


def _secret_reference(name, value):
    """`--secret id=x,src=y`, Quadlet `Secret=db,type=env`: which secret, not its value."""
    return name.lower() in ("secret", "secrets") and ("=" in value or "," in value)


def _flag(m):
    name, sep, value = m.group(1)[2:], m.group(2), m.group(3)
    if name.lower().endswith("creds"):
        return _creds(m.group(1), sep, value)
    if not _secret_key(name) or not _hide_named(value) or value.startswith("-"):
        return m.group(0)
    last = name.lower().replace("_", "-").split("-")[-1]
    if sep != "=" and last not in _FLAG_WORDS:
        return m.group(0)     # `--password-stdin registry`: a switch, then an argument
    if _secret_reference(name, value):
        return m.group(0)
    return f"{m.group(1)}{sep}{_masked(value)}"


def _creds(flag, sep, value):
    """podman/skopeo `--creds user:password`: the user stays readable."""
    user, colon, password = value.strip("\"'").partition(":")
    if not colon or not _hide(password):
        return f"{flag}{sep}{value}"
    return f"{flag}{sep}{user}:{MASK}"


def _assign(m):
    name, value = m.group(1), m.group(2)
    if not _secret_key(name) or _secret_reference(name, value):
        # `Options=vers=4,password=X`, `Environment=DB_PASSWORD=X`: pairs inside the value
        # (one level, each part read once).
        if "=" not in value:
            return m.group(0)
        q = value[0] if len(value) > 1 and value[0] == value[-1] and value[0] in "\"'" else ""
        inner = value[1:-1] if q else value
        return f"{name}={q}" + ",".join(_inner_pair(p) for p in inner.split(",")) + q
    if not _hide_named(value):
        return m.group(0)
    return f"{name}={_masked(value)}"


def _inner_pair(part):
    name, eq, value = part.partition("=")
    if eq and _secret_key(name.strip("\"'")) and _hide_named(value):
        return f"{name}={_masked(value)}"
    return part


def _key_value(m):
    quote, name, space, value = m.group(1), m.group(2), m.group(3), m.group(4)
    if not quote and not space:
        return m.group(0)     # `repo/secret:1.0` is an image tag, not a key
    if not _secret_key(name) or not _hide_named(value):
        return m.group(0)
    return f"{quote}{name}{quote}:{space}{_masked(value)}"


def _env_space(m):
    if not _secret_key(m.group(2)) or not _hide_named(m.group(3).strip()):
        return m.group(0)
    return f"{m.group(1)}{m.group(2)} {MASK}"


def _auth_header(m):
    if m.group(2).lower() in _AUTH_SCHEMES or not _hide(m.group(2)):
        return m.group(0)
    return m.group(1) + MASK


def _mask_command(segment):
    found = _PASSWORD_COMMAND.search(segment)
    if not found:
        return segment
    name = found.group(1)
    pattern = _COMMAND_OPTIONS["mysql" if name.startswith(("mysql", "mariadb")) else name]

    def option(m):
        return m.group(0) if not _hide(m.group(2)) else m.group(1) + MASK
    return segment[:found.end()] + pattern.sub(option, segment[found.end():])


def mask_url_credentials(text):
    """Only the `scheme://user:****@` part of mask_secrets(), for paths and references,
    whose other text must stay as written."""
    if not isinstance(text, str) or ("//" not in text and ":/" not in text):
        return text
    return _URL_USERINFO.sub(_url_password, text)
