"""The storage domain: rclone configuration (`rclone.conf`), S3/MinIO bucket policies,
lifecycle and CORS configurations (JSON), and the MinIO client's `config.json`.

Kinds: "rclone", "policy", "lifecycle", "cors", "mc". `rclone.conf` is recognised by its
name; the JSON kinds by their keys (a bucket policy's `Statement` with `Effect`, a
lifecycle's `Rules` with `Expiration`/`Transitions`/…, `CORSRules`, mc's `aliases` with
`accessKey`), never by a name another tool owns (package.json, daemon.json, tsconfig).
"""

from __future__ import annotations

import re

from infra_expert.domain import Domain
from infra_expert.lazyre import lazy_re
from infra_expert.model import Suppression
from infra_expert.suppress import line_comment_suppressions

NAME = "storage"


def _rulesets():
    from infra_expert.storage import rules
    return (rules.rules,)


_SECTION = lazy_re(r"^[ \t]*\[[^\]\n]+\][ \t]*$", re.MULTILINE)
_TYPE = lazy_re(r"^[ \t]*type[ \t]*=[ \t]*([a-z0-9]+)[ \t]*$", re.MULTILINE)
_ENCRYPTED = "RCLONE_ENCRYPT_V0:"
# rclone backends (`rclone help backends`), for recognising a renamed rclone.conf
BACKENDS = frozenset({
    "alias", "amazon", "azureblob", "azurefiles", "b2", "box", "cache", "chunker",
    "combine", "compress", "crypt", "drive", "dropbox", "fichier", "filefabric", "ftp",
    "gcs", "gphotos", "hasher", "hdfs", "hidrive", "http", "imagekit", "internetarchive",
    "jottacloud", "koofr", "linkbox", "local", "mailru", "mega", "memory", "netstorage",
    "onedrive", "opendrive", "oracleobjectstorage", "pcloud", "pikpak", "premiumizeme",
    "protondrive", "putio", "qingstor", "quatrix", "s3", "seafile", "sftp", "sharefile",
    "sia", "smb", "storj", "sugarsync", "swift", "tardigrade", "ulozto", "union",
    "uptobox", "webdav", "yandex", "zoho"})
_OTHER_JSON = ("package.json", "package-lock.json", "composer.json", "daemon.json",
               "tsconfig.json", "jsconfig.json", "renovate.json", "devcontainer.json",
               "manifest.json", "config.schema.json")
_KEY = lazy_re(r'"(Statement|Effect|Rules|Expiration|Transitions|AbortIncompleteMultipart'
               r'Upload|NoncurrentVersionExpiration|NoncurrentVersionTransitions|CORSRules|'
               r'AllowedOrigins|AllowedMethods|aliases|accessKey|secretKey)"\s*:')


def by_name(name):
    lower = name.lower()
    if lower == "rclone.conf" or lower.endswith((".rclone.conf", "-rclone.conf",
                                                 "_rclone.conf")):
        return "rclone"
    return None


def _looks_rclone(text):
    if _ENCRYPTED in text[:4096]:
        return True
    sections = _SECTION.findall(text)
    types = _TYPE.findall(text)
    return bool(sections) and len(types) >= len(sections) and \
        all(t in BACKENDS for t in types)


def confirm(kind, text, where):
    """A file named `rclone.conf` that holds something else is let go; the JSON kinds were
    recognised by their keys already."""
    if kind != "rclone":
        return kind
    return kind if _looks_rclone(text) or not text.strip() else None


def json_kind(text):
    """The storage kind of a JSON text by its keys (it may be malformed), or None."""
    s = text.lstrip("\ufeff \t\r\n")
    if not s.startswith(("{", "[")):
        return None
    keys = set(_KEY.findall(text[:262144]))
    if "Statement" in keys and "Effect" in keys:
        return "policy"
    if "Rules" in keys and keys & {"Expiration", "Transitions",
                                   "AbortIncompleteMultipartUpload",
                                   "NoncurrentVersionExpiration",
                                   "NoncurrentVersionTransitions"}:
        return "lifecycle"
    if "CORSRules" in keys or {"AllowedOrigins", "AllowedMethods"} <= keys:
        return "cors"
    if "aliases" in keys and keys & {"accessKey", "secretKey"}:
        return "mc"
    return None


def by_content(head, name, where):
    lower = name.lower()
    if lower.endswith(".json"):
        if lower in _OTHER_JSON or lower.startswith("tsconfig"):
            return None
        return json_kind(head)
    if lower.endswith(".conf") and _SECTION.search(head) and _TYPE.search(head):
        return "rclone" if _looks_rclone(head) else None
    return None


def load(docs, ctx):
    from infra_expert.storage.model import load_json, parse_rclone
    failures = []
    for doc in docs:
        try:
            if doc.kind == "rclone":
                doc.model = parse_rclone(doc.text)
            else:
                doc.model = load_json(doc.text, doc.kind)
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on
            failures.append((doc, type(exc).__name__))
    return failures


def suppressions(doc, peer_index):
    """`# infra-expert: ignore=ST002 reason` before an rclone.conf entry (`#` or `;`);
    JSON has no comments: use the config file's `ignore` there."""
    if doc.kind != "rclone":
        return [], []
    return line_comment_suppressions(doc.path, doc.text, peer_index, Suppression,
                                     markers="#;", trailing=False)


DOMAIN = Domain(
    NAME, "ST", "storage (rclone, S3/MinIO)", _rulesets,
    noun=("storage configuration", "storage configurations"),
    by_name=by_name, confirm=confirm, by_content=by_content, sniff=(".json", ".conf"),
    load=load, suppressions=suppressions, fence="",
    example_names=("rclone.conf", "bucket.json"))
