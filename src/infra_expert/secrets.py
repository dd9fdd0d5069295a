"""Recognising secrets, and making sure none is ever printed.

A value is a secret when its name says so *and* it is a literal (not a variable
reference, a file path or an obvious placeholder), or when its shape is a well-known
token format whatever its name. Findings show the name and `****`, never the value.
"""

from __future__ import annotations

import re

from infra_expert.lazyre import lazy_re

MASK = "****"

_SECRET_NAME = lazy_re(
    r"(?:^|[_.-])(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|"
    r"access[_-]?key|secret[_-]?key|private[_-]?key|priv[_-]?key|client[_-]?secret|"
    r"auth[_-]?key|credentials?|cred|session[_-]?key|signing[_-]?key|encryption[_-]?key|"
    r"master[_-]?key|license[_-]?key|connection[_-]?string|dsn)(?:$|[_.-])",
    re.IGNORECASE)
# Names that contain a secret word but hold no secret.
_NOT_SECRET_NAME = lazy_re(
    r"(?:_FILE|_PATH|_DIR|_URL_FILE|_LENGTH|_LEN|_MIN|_MAX|_POLICY|_EXPIRY|_EXPIRES?|"
    r"_TTL|_TYPE|_HEADER|_FIELD|_PARAM|_NAME|_ID|_ENABLED|_REQUIRED|_ALGORITHM|_URL|"
    r"_ENDPOINT|_HOST|_PORT|_USER|_USERNAME|_VERSION)$", re.IGNORECASE)
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


def is_literal_secret_value(value):
    """True when `value` is a real literal, not a reference, path or placeholder."""
    v = value.strip().strip("\"'")
    if _PLACEHOLDER.match(v):
        return False
    if "$" in v or v.startswith(("/", "./", "~", "file:", "vault:", "secret:", "env:")):
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
