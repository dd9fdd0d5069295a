"""Storage rules: rclone.conf secrets and TLS, S3/MinIO bucket policies, lifecycle and CORS
configurations, and the MinIO client's aliases (rclone.org/docs, AWS S3 user guide:
bucket policies, lifecycle, CORS; MinIO `mc` docs). Messages name keys, never values."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

from infra_expert.model import Hit, Pass, RuleSet
from infra_expert.storage.jsonpos import JArr, JObj
from infra_expert.storage.model import as_list

rules = RuleSet("storage")

# rclone fields that must hold `rclone obscure` output (`rclone help backend X`, "must be
# obscured"), by backend; "*" for all
OBSCURED = {
    "crypt": ("password", "password2"), "sftp": ("pass", "key_file_pass"),
    "ftp": ("pass",), "smb": ("pass",), "webdav": ("pass",), "pcloud": ("password",),
    "koofr": ("password",), "opendrive": ("password",), "seafile": ("pass", "library_key"),
    "mailru": ("pass",), "sia": ("api_password",), "netstorage": ("secret",),
    "fichier": ("file_password", "folder_password"), "cache": ("plex_password",),
    "mega": ("pass",), "jottacloud": ("password",), "filefabric": ("token",),
}
# fields stored in clear by design that are credentials
CLEAR_SECRETS = ("secret_access_key", "session_token", "token", "client_secret",
                 "service_account_credentials", "sas_url", "key_pem", "bearer_token",
                 "api_key", "account_key", "refresh_token")
_KEY_IS_SECRET = ("b2", "azureblob", "azurefiles", "swift", "hidrive", "storj", "qingstor")
_DEFAULT_MINIO = "minioadmin"

RCLONE_GOOD = """\
[nas]
type = sftp
host = nas.lan
user = backup
key_file = ~/.ssh/id_ed25519_backup

[minio]
type = s3
provider = Minio
env_auth = true
endpoint = https://minio.example.org
"""
POLICY_GOOD = """\
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "AppReadWrite",
      "Effect": "Allow",
      "Principal": {"AWS": ["arn:aws:iam::123456789012:user/app"]},
      "Action": ["s3:GetObject", "s3:PutObject"],
      "Resource": ["arn:aws:s3:::app-data/*"]
    },
    {
      "Sid": "TLSOnly",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": ["arn:aws:s3:::app-data", "arn:aws:s3:::app-data/*"],
      "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    }
  ]
}
"""
LIFECYCLE_GOOD = """\
{
  "Rules": [
    {
      "ID": "backups",
      "Status": "Enabled",
      "Filter": {"Prefix": "restic/"},
      "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}],
      "Expiration": {"Days": 365},
      "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
      "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}
    }
  ]
}
"""
CORS_GOOD = """\
{
  "CORSRules": [
    {
      "AllowedOrigins": ["https://app.example.org"],
      "AllowedMethods": ["GET", "PUT"],
      "AllowedHeaders": ["*"],
      "MaxAgeSeconds": 3000
    }
  ]
}
"""
MC_GOOD = """\
{
  "version": "10",
  "aliases": {
    "local": {"url": "http://localhost:9000", "accessKey": "", "secretKey": "",
              "api": "S3v4", "path": "auto"}
  }
}
"""


# -- rclone.conf ----------------------------------------------------------------------------

def _rclone(doc):
    return doc.model if doc.kind == "rclone" and not doc.model.encrypted else None


def is_obscured(value):
    """`rclone obscure` output: raw base64url (no padding) of a 16-byte IV and the
    ciphertext, so at least 17 bytes. Anything else is plaintext, which rclone refuses
    ("is it obscured?")."""
    v = value.strip()
    if not v or any(not (c.isalnum() or c in "-_") for c in v) or len(v) % 4 == 1:
        return False
    try:
        raw = base64.urlsafe_b64decode(v + "=" * (-len(v) % 4))
    except (binascii.Error, ValueError):
        return False
    return len(raw) >= 17


def _obscured_fields(remote):
    return OBSCURED.get(remote.type, ())


def _plaintext(remote):
    return [remote.entries[k] for k in _obscured_fields(remote)
            if k in remote.entries and remote.entries[k].value.strip()
            and not is_obscured(remote.entries[k].value)]


def _readable_secrets(remote):
    """Entries whose value hands over access to whoever reads the file."""
    plain = {e.key.lower() for e in _plaintext(remote)}
    keys = list(_obscured_fields(remote)) + list(CLEAR_SECRETS)
    if remote.type in _KEY_IS_SECRET:
        keys.append("key")
    return [remote.entries[k] for k in keys if k in remote.entries and k not in plain
            and remote.entries[k].value.strip()
            and remote.entries[k].value.strip() != _DEFAULT_MINIO]     # ST005 says it


@rules.rule(
    "ST001", "critical", "security", "Plaintext password where rclone expects an obscured one",
    "rclone stores passwords of sftp, ftp, smb, webdav, crypt and a few other backends "
    "obscured (`rclone obscure`) and reveals them when it connects. A value written in "
    "clear is both a readable password on disk and broken: rclone fails with \"input too "
    "short when revealing password - is it obscured?\" (or a base64 error), and "
    "`rclone config show` does not warn.",
    "Store `rclone obscure -` output (from stdin, not the shell history), or better: "
    "use an SSH key (`key_file`), or set the field with `rclone config update REMOTE pass "
    "VALUE --obscure`; and encrypt the configuration.",
    peers=(),
    example=RCLONE_GOOD)
def rclone_plaintext(doc, ctx):
    conf = _rclone(doc)
    if conf is None:
        return
    for remote in conf.remotes:
        for entry in _plaintext(remote):
            yield Hit(entry.line, f"remote `{remote.name}` ({remote.type}): `{entry.key}` "
                                  "is not obscured: rclone cannot reveal it and refuses the "
                                  "remote, and the password sits in clear")


@rules.rule(
    "ST002", "warning", "security", "Credentials readable in rclone.conf",
    "Access keys, OAuth tokens and account keys are stored in clear in rclone.conf, and "
    "obscured passwords are NOT encrypted: `rclone obscure` uses a key built into rclone "
    "and `rclone reveal` undoes it. Whoever reads this file (a copy in Git, a backup, a "
    "bind mount, a world-readable home) has the remote, and usually its backups.",
    "Use `env_auth = true` (S3: environment or instance role), an SSH key for sftp, or "
    "pass secrets as `RCLONE_CONFIG_<REMOTE>_<KEY>` variables from a secret store; "
    "otherwise encrypt the configuration (`rclone config encryption set`) and keep the "
    "file out of the repository with mode 0600.",
    example=RCLONE_GOOD)
def rclone_secrets(doc, ctx):
    conf = _rclone(doc)
    if conf is None:
        return
    for remote in conf.remotes:
        found = _readable_secrets(remote)
        if not found:
            continue
        names = ", ".join(f"`{e.key}`" for e in found)
        obscured = [e for e in found if e.key.lower() in _obscured_fields(remote)]
        note = (" (obscured is not encrypted: `rclone reveal` undoes it)" if obscured
                else "")
        yield Hit(found[0].line, f"remote `{remote.name}` ({remote.type}) keeps {names} "
                                 f"in this file{note}")


@rules.rule(
    "ST003", "suggestion", "security", "rclone configuration with secrets is not encrypted",
    "An encrypted rclone.conf (`RCLONE_ENCRYPT_V0:`) keeps every remote's credentials "
    "unreadable at rest; rclone asks for the password, reads `RCLONE_CONFIG_PASS`, or runs "
    "`--password-command` (a secret-tool, pass or systemd-creds call). Setting "
    "`RCLONE_CONFIG_PASS=` in a unit or Compose file defeats it.",
    "`rclone config encryption set` (older: `rclone config`, then `s) Set configuration "
    "password`), and unlock with `--password-command`.",
    positive="the rclone configuration is encrypted",
    example="# Encrypted rclone configuration File\n\nRCLONE_ENCRYPT_V0:\n"
            "cXGhBj4wV3F1ZXh2a3Z3eXN0YXRlbWVudHNfYXJlX25vdF9yZWFs\n")
def rclone_unencrypted(doc, ctx):
    if doc.kind != "rclone":
        return
    if doc.model.encrypted:
        yield Pass(1)
        return
    holders = [r for r in doc.model.remotes if _readable_secrets(r) or _plaintext(r)]
    if holders:
        names = ", ".join(f"`{r.name}`" for r in holders[:4])
        more = f" and {len(holders) - 4} more" if len(holders) > 4 else ""
        yield Hit(1, f"the configuration is not encrypted and remotes {names}{more} hold "
                     "credentials")


def _local_host(host):
    if not host or host in ("localhost",) or host.endswith((".localhost", ".local", ".lan",
                                                           ".internal", ".home.arpa")):
        return "local"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return "remote"
    if ip.is_loopback:
        return "loopback"
    return "local" if ip.is_private or ip.is_link_local else "remote"


def _truthy(value):
    return value.strip().lower() in ("true", "1", "yes", "on")


@rules.rule(
    "ST004", "warning", "security", "rclone remote without TLS or certificate checks",
    "`endpoint = http://…` sends the S3 request signatures and every object in clear, and "
    "`no_check_certificate = true` accepts any certificate: anyone on the path reads or "
    "alters the backups. On a trusted LAN it is a smaller risk (a suggestion), but still "
    "the data crosses the network unprotected.",
    "Serve MinIO (or the WebDAV server) over HTTPS (`https://` endpoint, a certificate "
    "from a private CA is fine with `ca_cert`), and drop `no_check_certificate`.",
    example=RCLONE_GOOD)
def rclone_tls(doc, ctx):
    conf = _rclone(doc)
    if conf is None:
        return
    for remote in conf.remotes:
        for key in ("no_check_certificate", "insecure_skip_verify"):
            e = remote.entries.get(key)
            if e is not None and _truthy(e.value):
                yield Hit(e.line, f"remote `{remote.name}`: `{e.key} = {e.value.strip()}` "
                                  "accepts any certificate")
        for key in ("endpoint", "url"):
            if remote.type == "http":
                break                   # a public read-only web folder: nothing to protect
            e = remote.entries.get(key)
            if e is None or not e.value.strip().lower().startswith("http://"):
                continue
            try:
                host = urlsplit(e.value.strip()).hostname or ""
            except ValueError:
                host = ""
            where = _local_host(host)
            if where == "loopback":
                continue
            yield Hit(e.line, f"remote `{remote.name}`: `{e.key}` is plain `http://` to "
                              f"`{host}`" + (" (a LAN address)" if where == "local" else ""),
                      severity="suggestion" if where == "local" else None)


@rules.rule(
    "ST005", "critical", "security", "MinIO default credentials",
    "`minioadmin`/`minioadmin` is the documented default root login of MinIO: anyone who "
    "reaches the endpoint can log in as root, read and delete every bucket. A client "
    "configured with it means the server still runs with it.",
    "Set `MINIO_ROOT_USER`/`MINIO_ROOT_PASSWORD` (or `_FILE` variants) on the server, and "
    "give the client its own access key with a narrow policy (`mc admin user add`, "
    "`mc admin policy attach`).",
    example=RCLONE_GOOD)
def minio_default(doc, ctx):
    if doc.kind == "rclone":
        conf = _rclone(doc)
        if conf is None:
            return
        for remote in conf.remotes:
            e = remote.entries.get("secret_access_key")
            if e is not None and e.value.strip() == _DEFAULT_MINIO:
                yield Hit(e.line, f"remote `{remote.name}`: `secret_access_key` is MinIO's "
                                  "default root password")
    elif doc.kind == "mc":
        for name, alias, obj in _mc_aliases(doc):
            if str(obj.get("secretKey", "")).strip() == _DEFAULT_MINIO:
                yield Hit(obj.key_line("secretKey"), f"alias `{name}`: `secretKey` is "
                                                     "MinIO's default root password")


# -- JSON helpers -------------------------------------------------------------------------

def _root(doc, kind):
    m = doc.model
    if doc.kind != kind or m.root is None:
        return None
    return m.root


def _lower_list(value):
    return [v.lower() for v in as_list(value) if isinstance(v, str)]


# -- bucket policies ----------------------------------------------------------------------

_WRITE = ("s3:putobject", "s3:deleteobject", "s3:putbucketpolicy", "s3:putobjectacl",
          "s3:deletebucket", "s3:putbucketacl", "s3:deletebucketpolicy",
          "s3:putlifecycleconfiguration", "s3:bypassgovernanceretention")
_READ = ("s3:getobject", "s3:listbucket")
_BACKUPISH = ("backup", "private", "secret", "dump", "restic", "borg", "kopia", "velero",
              "longhorn", "vault", "archive", "db-", "database")


def _statements(doc):
    root = _root(doc, "policy")
    if not isinstance(root, JObj):
        return []
    stmts = root.get("Statement")
    if isinstance(stmts, JObj):
        return [stmts]
    return [s for s in stmts if isinstance(s, JObj)] if isinstance(stmts, JArr) else []


def _public(stmt):
    if "NotPrincipal" in stmt and str(stmt.get("Effect", "")) == "Allow":
        return True
    p = stmt.get("Principal")
    if p == "*":
        return True
    if isinstance(p, JObj):
        return any("*" in as_list(v) for v in p.values())
    return False


def _matching(stmt, samples):
    """The actions of a statement (as written) that cover one of `samples`; `NotAction`
    with Allow covers almost everything."""
    if "NotAction" in stmt and "Action" not in stmt:
        return ["NotAction"] if str(stmt.get("Effect")) == "Allow" else []
    return [a for a in as_list(stmt.get("Action")) if isinstance(a, str)
            and any(fnmatchcase(s, a.lower()) for s in samples)]


def _sid(stmt):
    sid = stmt.get("Sid")
    return f"statement `{sid}`" if isinstance(sid, str) and sid else "a statement"


def _action_line(stmt):
    return stmt.key_line("Action", stmt.key_line("NotAction"))


def _allows(stmt):
    return str(stmt.get("Effect", "")).lower() == "allow"


def _resources_text(stmt):
    return " ".join(str(r) for r in as_list(stmt.get("Resource")))


_POLICY_PEERS = ("checkov:CKV_AWS_70",)


@rules.rule(
    "ST006", "critical", "security", "Bucket policy lets anyone write or administer",
    "An `Allow` for `\"Principal\": \"*\"` (or `{\"AWS\": \"*\"}`) with a write or admin "
    "action (`s3:PutObject`, `s3:Delete*`, `s3:PutBucketPolicy`, `s3:*`, …) lets anyone on "
    "the Internet (or the network, for MinIO) upload, overwrite, delete, or take over the "
    "bucket: ransomware, malware hosting, a bill. A `Condition` (source IP, VPC endpoint) "
    "narrows it, which is reported as a warning.",
    "Grant writes to a named principal (an IAM/MinIO user or role ARN) and keep anonymous "
    "access, if any, to `s3:GetObject` on the public prefix.",
    peers=_POLICY_PEERS,
    example=POLICY_GOOD)
def policy_public_write(doc, ctx):
    for stmt in _statements(doc):
        if not (_allows(stmt) and _public(stmt)):
            continue
        acts = _matching(stmt, _WRITE)
        if acts:
            cond = "Condition" in stmt
            yield Hit(_action_line(stmt),
                      f"{_sid(stmt)} allows any principal "
                      f"{', '.join(f'`{a}`' for a in acts[:4])}"
                      + (" (narrowed by a `Condition`: check it holds)" if cond else ""),
                      severity="warning" if cond else None)


@rules.rule(
    "ST007", "warning", "security", "Bucket policy lets anyone read or list",
    "Anonymous `s3:GetObject` is right for a static site or public assets and wrong for "
    "anything else; anonymous `s3:ListBucket` also lists every key. On a bucket whose name "
    "says backups, dumps or private data it is a leak (critical).",
    "Verify the intent; keep anonymous reads to the public prefix "
    "(`arn:aws:s3:::site/public/*`) without `s3:ListBucket`, or serve through a CDN with "
    "origin access; for private data grant named principals only.",
    peers=_POLICY_PEERS,
    example=POLICY_GOOD)
def policy_public_read(doc, ctx):
    for stmt in _statements(doc):
        if not (_allows(stmt) and _public(stmt)) or "Condition" in stmt:
            continue
        if _matching(stmt, _WRITE):
            continue                                   # ST006 says it
        acts = _matching(stmt, _READ)
        if not acts:
            continue
        res = _resources_text(stmt).lower()
        private = any(w in res for w in _BACKUPISH)
        yield Hit(_action_line(stmt),
                  f"{_sid(stmt)} allows any principal "
                  f"{', '.join(f'`{a}`' for a in acts[:4])}"
                  + (" on a bucket named like backups or private data" if private
                     else ": fine for public assets only"),
                  severity="critical" if private else None)


@rules.rule(
    "ST008", "warning", "security", "`s3:*` granted to a named principal",
    "`s3:*` (or `*`) includes `s3:PutBucketPolicy`, `s3:DeleteBucket` and "
    "`s3:BypassGovernanceRetention`: an application or backup key that only needs to read "
    "and write objects can also delete the bucket, rewrite its policy, or lift object "
    "locks. A stolen backup key then destroys the backups.",
    "List the actions the principal needs (`s3:GetObject`, `s3:PutObject`, "
    "`s3:ListBucket`, and `s3:DeleteObject` only if it prunes); for backups prefer a "
    "write-only key with object lock or versioning.",
    example=POLICY_GOOD)
def policy_star(doc, ctx):
    for stmt in _statements(doc):
        if not _allows(stmt) or _public(stmt):
            continue                                   # public: ST006
        acts = [a for a in as_list(stmt.get("Action"))
                if isinstance(a, str) and a.strip().lower() in ("*", "s3:*")]
        if acts:
            yield Hit(_action_line(stmt), f"{_sid(stmt)} grants `{acts[0]}`")


def _is_bucket_policy(stmts):
    return any("Principal" in s or "NotPrincipal" in s for s in stmts)


def _condition_keys(stmt):
    cond = stmt.get("Condition")
    keys = []
    if isinstance(cond, JObj):
        for block in cond.values():
            if isinstance(block, JObj):
                keys.extend(k.lower() for k in block)
    return keys


@rules.rule(
    "ST009", "suggestion", "security", "Bucket policy does not refuse plain HTTP",
    "Without a `Deny` on `aws:SecureTransport = false`, clients may send requests and "
    "objects over plain HTTP (S3 accepts both; MinIO serves HTTP unless given a "
    "certificate). A suggestion: on MinIO check first that the server has TLS at all.",
    "Add `{\"Effect\": \"Deny\", \"Principal\": \"*\", \"Action\": \"s3:*\", \"Resource\": "
    "[bucket ARN, bucket ARN/*], \"Condition\": {\"Bool\": {\"aws:SecureTransport\": "
    "\"false\"}}}`.",
    positive="the bucket policy refuses plain-HTTP requests",
    peers=("checkov:CKV_AWS_379",),
    example=POLICY_GOOD)
def policy_tls(doc, ctx):
    stmts = _statements(doc)
    if not stmts or not _is_bucket_policy(stmts):
        return
    for stmt in stmts:
        if str(stmt.get("Effect", "")).lower() == "deny" and \
                "aws:securetransport" in _condition_keys(stmt):
            yield Pass(stmt.line)
            return
    root = doc.model.root
    yield Hit(root.key_line("Statement"), "no statement denies requests with "
                                          "`aws:SecureTransport` false")


@rules.rule(
    "ST010", "critical", "reliability", "Bucket policy locks everyone out",
    "A `Deny` of `s3:*` (or `s3:PutBucketPolicy`, or `*`) to `\"Principal\": \"*\"` without "
    "a `Condition` or an exception denies every caller, the bucket owner included: nobody "
    "can read the data, and on AWS only the account root can delete the policy again.",
    "Give the Deny a `Condition` (`aws:SecureTransport`, `aws:PrincipalArn` via "
    "`ArnNotEquals`, `aws:SourceVpce`) or name the principals it is for.",
    peers=("checkov:CKV_AWS_93",),
    example=POLICY_GOOD)
def policy_lockout(doc, ctx):
    for stmt in _statements(doc):
        if str(stmt.get("Effect", "")).lower() != "deny" or "Condition" in stmt:
            continue
        if "NotPrincipal" in stmt or stmt.get("Principal") is None or not _public(stmt):
            continue
        acts = [a for a in as_list(stmt.get("Action")) if isinstance(a, str)
                and a.strip().lower() in ("*", "s3:*", "s3:putbucketpolicy")]
        if acts:
            yield Hit(_action_line(stmt), f"{_sid(stmt)} denies `{acts[0]}` to every "
                                          "principal, without a `Condition`")


_OBJECT_ACTIONS = frozenset({"s3:getobject", "s3:putobject", "s3:deleteobject",
                             "s3:getobjectversion", "s3:deleteobjectversion",
                             "s3:putobjectacl", "s3:getobjectacl", "s3:abortmultipartupload",
                             "s3:listmultipartuploadparts", "s3:restoreobject"})
_BUCKET_ACTIONS = frozenset({"s3:listbucket", "s3:getbucketlocation",
                             "s3:listbucketmultipartuploads", "s3:listbucketversions",
                             "s3:getbucketpolicy", "s3:putbucketpolicy",
                             "s3:getlifecycleconfiguration", "s3:putlifecycleconfiguration",
                             "s3:getbucketversioning", "s3:putbucketversioning"})


@rules.rule(
    "ST011", "warning", "reliability", "Policy actions do not match their resources",
    "Object actions (`s3:GetObject`, `s3:PutObject`, …) apply to object ARNs "
    "(`arn:aws:s3:::bucket/*`) and bucket actions (`s3:ListBucket`, …) to the bucket ARN "
    "(`arn:aws:s3:::bucket`). A statement that pairs them the other way matches no request "
    "and silently grants (or denies) nothing: the application gets AccessDenied, or the "
    "Deny protects nothing.",
    "Put object actions on `arn:aws:s3:::bucket/*` and bucket actions on "
    "`arn:aws:s3:::bucket`, in two statements or one statement listing both resources.",
    example=POLICY_GOOD)
def policy_arn_mismatch(doc, ctx):
    for stmt in _statements(doc):
        res = [r for r in as_list(stmt.get("Resource")) if isinstance(r, str)]
        s3 = [r for r in res if r.lower().startswith("arn:aws:s3:::")]
        if not res or len(s3) != len(res):
            continue
        written = {a.lower(): a for a in as_list(stmt.get("Action")) if isinstance(a, str)}
        acts = set(written)
        bucket_only = all("/" not in r[len("arn:aws:s3:::"):] for r in s3)
        objects_only = all("/" in r[len("arn:aws:s3:::"):] for r in s3)
        obj = sorted(acts & _OBJECT_ACTIONS)
        bkt = sorted(acts & _BUCKET_ACTIONS)
        if obj and bucket_only:
            yield Hit(stmt.key_line("Resource"), f"{_sid(stmt)}: object action `{written[obj[0]]}` "
                                                 "on a bucket ARN without `/*` matches no "
                                                 "object")
        elif bkt and objects_only:
            yield Hit(stmt.key_line("Resource"), f"{_sid(stmt)}: bucket action `{written[bkt[0]]}` "
                                                 "only on object ARNs (`…/*`) matches no "
                                                 "request")


# -- lifecycle ----------------------------------------------------------------------------

def _rules_of(doc):
    root = _root(doc, "lifecycle")
    if isinstance(root, JObj):
        rs = root.get("Rules")
        return [r for r in rs if isinstance(r, JObj)] if isinstance(rs, JArr) else []
    return []


def _enabled(rule):
    return str(rule.get("Status", "")).lower() == "enabled"


def _rule_name(rule):
    rid = rule.get("ID")
    return f"rule `{rid}`" if isinstance(rid, str) and rid else "a rule"


@rules.rule(
    "ST012", "warning", "reliability", "Lifecycle does not abort incomplete multipart uploads",
    "A multipart upload that is never completed (a killed rclone, restic or backup job) "
    "leaves its parts in the bucket: invisible to listings, counted in the bill (S3) or "
    "the disk (MinIO, until its own stale-upload cleanup runs). Without "
    "`AbortIncompleteMultipartUpload` they accumulate.",
    "Add `\"AbortIncompleteMultipartUpload\": {\"DaysAfterInitiation\": 7}` to an enabled "
    "rule that covers the whole bucket.",
    positive="incomplete multipart uploads are aborted (`AbortIncompleteMultipartUpload`)",
    peers=("checkov:CKV_AWS_300",),
    example=LIFECYCLE_GOOD)
def lifecycle_abort(doc, ctx):
    rs = _rules_of(doc)
    if not rs:
        return
    for r in rs:
        if _enabled(r) and isinstance(r.get("AbortIncompleteMultipartUpload"), JObj):
            yield Pass(r.key_line("AbortIncompleteMultipartUpload"))
            return
    yield Hit(doc.model.root.key_line("Rules"), "no enabled rule has "
                                                "`AbortIncompleteMultipartUpload`")


_IA_MIN = {"STANDARD_IA": 30, "ONEZONE_IA": 30}


def _transitions(rule):
    for key, days_key in (("Transitions", "Days"), ("NoncurrentVersionTransitions",
                                                    "NoncurrentDays")):
        for t in as_list(rule.get(key)):
            if isinstance(t, JObj):
                yield key, days_key, t


@rules.rule(
    "ST013", "critical", "reliability", "Transition to an infrequent-access class before 30 days",
    "S3 refuses a lifecycle configuration that moves objects to `STANDARD_IA` or "
    "`ONEZONE_IA` before they are 30 days old (InvalidArgument): the whole configuration "
    "is rejected, so none of its rules, expirations included, applies.",
    "Transition to `STANDARD_IA`/`ONEZONE_IA` at 30 days or later (or to "
    "`INTELLIGENT_TIERING`/`GLACIER_IR`, which have no such minimum).",
    example=LIFECYCLE_GOOD)
def lifecycle_ia_minimum(doc, ctx):
    for r in _rules_of(doc):
        for key, days_key, t in _transitions(r):
            cls = str(t.get("StorageClass", "")).upper()
            days = t.get(days_key)
            if cls in _IA_MIN and isinstance(days, int) and not isinstance(days, bool) \
                    and days < _IA_MIN[cls]:
                yield Hit(t.key_line(days_key), f"{_rule_name(r)}: `{key}` to `{cls}` after "
                                                f"{days} days (the minimum is "
                                                f"{_IA_MIN[cls]})")


@rules.rule(
    "ST014", "warning", "reliability", "Objects expire before they transition",
    "An `Expiration` of N days with a transition at N days or later deletes the objects "
    "before (or when) they would move: the transition never happens, and S3 rejects the "
    "configuration (the expiration must come after the transition). Often the numbers "
    "were swapped, and data is kept for less time than intended.",
    "Make `Expiration.Days` larger than every `Transitions[].Days` of the rule (and "
    "`NoncurrentVersionExpiration.NoncurrentDays` larger than the noncurrent transitions).",
    example=LIFECYCLE_GOOD)
def lifecycle_expire_first(doc, ctx):
    for r in _rules_of(doc):
        for exp_key, days_key, tr_key in (("Expiration", "Days", "Transitions"),
                                          ("NoncurrentVersionExpiration", "NoncurrentDays",
                                           "NoncurrentVersionTransitions")):
            exp = r.get(exp_key)
            if not isinstance(exp, JObj):
                continue
            days = exp.get(days_key)
            if not isinstance(days, int) or isinstance(days, bool):
                continue
            later = [t.get(days_key) for k, dk, t in _transitions(r) if k == tr_key
                     and isinstance(t.get(days_key), int)]
            if later and days <= max(later):
                yield Hit(exp.key_line(days_key), f"{_rule_name(r)}: `{exp_key}` after "
                                                  f"{days} days, but a transition at "
                                                  f"{max(later)} days")


@rules.rule(
    "ST015", "suggestion", "elegance", "Disabled lifecycle rule",
    "A rule with `\"Status\": \"Disabled\"` does nothing: it reads as retention that is "
    "not applied. If it was switched off during an incident, data is now kept (or "
    "expired) differently than the file suggests.",
    "Enable the rule or delete it; keep history in version control, not in dead rules.",
    example=LIFECYCLE_GOOD)
def lifecycle_disabled(doc, ctx):
    for r in _rules_of(doc):
        if str(r.get("Status", "")).lower() == "disabled":
            yield Hit(r.key_line("Status"), f"{_rule_name(r)} is `Disabled`")


# -- CORS ---------------------------------------------------------------------------------

def _cors_rules(doc):
    root = _root(doc, "cors")
    if isinstance(root, JObj):
        root = root.get("CORSRules")
    return [r for r in root if isinstance(r, JObj)] if isinstance(root, JArr) else []


@rules.rule(
    "ST016", "warning", "security", "CORS lets any website write to the bucket",
    "`AllowedOrigins: [\"*\"]` with `PUT`, `POST` or `DELETE` lets scripts on any website "
    "send write requests from a visitor's browser; with pre-signed URLs or a logged-in "
    "console, any page the user opens can use them. Read-only `GET` from `*` is normal "
    "for public assets and is not reported.",
    "List the origins of your applications (`https://app.example.org`) for write methods.",
    peers=("checkov:CKV2_AWS_75",),
    example=CORS_GOOD)
def cors_wildcard(doc, ctx):
    for r in _cors_rules(doc):
        origins = [o for o in as_list(r.get("AllowedOrigins")) if isinstance(o, str)]
        if "*" not in [o.strip() for o in origins]:
            continue
        writes = [m for m in _lower_list(r.get("AllowedMethods"))
                  if m in ("put", "post", "delete")]
        if writes:
            yield Hit(r.key_line("AllowedOrigins"),
                      "`AllowedOrigins: [\"*\"]` with "
                      + ", ".join(f"`{m.upper()}`" for m in writes))


# -- mc config.json -----------------------------------------------------------------------

def _mc_aliases(doc):
    root = _root(doc, "mc")
    if not isinstance(root, JObj) or not isinstance(root.get("aliases"), JObj):
        return
    aliases = root["aliases"]
    for name, obj in aliases.items():
        if isinstance(obj, JObj):
            yield name, aliases, obj


def _placeholder(value):
    v = value.strip()
    return not v or "YOUR-" in v.upper() or v.startswith("$")


@rules.rule(
    "ST017", "warning", "security", "MinIO client alias with inline keys",
    "`mc` keeps each alias's access and secret key in clear in `config.json`: a copy of the "
    "file in a repository, an image or a backup hands over the account. (The public demo "
    "alias `play` and empty placeholder aliases are not reported.)",
    "Set aliases at run time from a secret store (`MC_HOST_<alias>=https://KEY:SECRET@host` "
    "from the environment, or `mc alias set` in the job), and keep `config.json` out of the "
    "repository with mode 0600.",
    example=MC_GOOD)
def mc_inline(doc, ctx):
    for name, _aliases, obj in _mc_aliases(doc):
        url = str(obj.get("url", ""))
        if "play.min.io" in url:
            continue
        secret = obj.get("secretKey")
        if isinstance(secret, str) and not _placeholder(secret) and \
                secret.strip() != _DEFAULT_MINIO:                    # ST005 says it
            yield Hit(obj.key_line("secretKey"), f"alias `{name}` keeps `secretKey` "
                                                 "(and `accessKey`) in this file")


# -- broken files -------------------------------------------------------------------------

_SHAPES = {"policy": ("Statement", (JArr, JObj), "a list of statements"),
           "lifecycle": ("Rules", (JArr,), "a list of rules"),
           "mc": ("aliases", (JObj,), "an object of aliases")}


@rules.rule(
    "ST018", "critical", "reliability", "Storage configuration that cannot be applied",
    "S3, MinIO and `mc` refuse a file that is not valid JSON or whose main key has the "
    "wrong shape (`MalformedPolicy`, `MalformedXML`): the policy, lifecycle or CORS "
    "configuration in the repository is not the one in force.",
    "Fix the JSON (`python -m json.tool FILE`) and the shape: `Statement` a list, "
    "`Rules` a list, `CORSRules` a list.",
    example=POLICY_GOOD)
def broken(doc, ctx):
    if doc.kind == "rclone":
        return
    m = doc.model
    if m.root is None:
        yield Hit(m.error_line or 1, f"not valid JSON: {m.error}")
        return
    key, types, what = _SHAPES.get(doc.kind, (None, None, None))
    if key and isinstance(m.root, JObj) and key in m.root and \
            not isinstance(m.root[key], types):
        yield Hit(m.root.key_line(key), f"`{key}` should be {what}")
    if doc.kind == "lifecycle":
        for r in _rules_of(doc):
            if str(r.get("Status", "")).lower() not in ("enabled", "disabled"):
                yield Hit(r.key_line("Status"), f"{_rule_name(r)}: `Status` must be "
                                                "`Enabled` or `Disabled`")
    if doc.kind == "policy":
        for stmt in _statements(doc):
            if str(stmt.get("Effect", "")) not in ("Allow", "Deny"):
                yield Hit(stmt.key_line("Effect"), f"{_sid(stmt)}: `Effect` must be "
                                                   "`Allow` or `Deny`")
