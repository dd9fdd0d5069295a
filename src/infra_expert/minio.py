"""What is wrong with one MinIO server as a container runs it, whatever file declares it.

A domain (Compose, Quadlet, Kubernetes) says what it knows about one container — image,
command words, environment, published ports, mounts — as a `Server`; `review(server)`
answers with (concern, line, message) tuples. Concerns:

- `default-credentials`: no root credential anywhere, so MinIO starts with its documented
  default login (`minioadmin`/`minioadmin`; bitnami's image: `minio`/`miniosecret`), or a
  root password that resolves to that default. An env file, a `_FILE` variable, a
  `MINIO_CONFIG_ENV_FILE`, a secret file or a value we cannot see counts as set.
- `console-exposed`: the console port (`--console-address`, `MINIO_CONSOLE_ADDRESS`;
  bitnami: `MINIO_CONSOLE_PORT_NUMBER`, 9001) published on all interfaces. Without a
  console address MinIO picks a random port, which nothing can publish: nothing to say.
- `plain-http`: the S3 API port (`--address`, 9000) published on all interfaces with no
  TLS (no certificates mounted at `~/.minio/certs`, no `--certs-dir`, no
  `MINIO_SERVER_URL=https://…`; bitnami: `/certs` or `MINIO_SCHEME=https`).

Sources: MinIO server reference (min.io/docs/minio/linux/reference/minio-server/
minio-server.html: root user and password "default to minioadmin" when unset; `--address`
":9000"; `--console-address`, a dynamically chosen port otherwise), MinIO network
encryption (min.io/docs/minio/container/operations/network-encryption.html: certificates
in `${HOME}/.minio/certs` or `--certs-dir`), bitnami's `minio-env.sh` (`MINIO_ROOT_USER`
default `minio`, `MINIO_ROOT_PASSWORD` default `miniosecret`, `MINIO_CERTS_DIR=/certs`,
`MINIO_SCHEME`, `MINIO_API_PORT_NUMBER`, `MINIO_CONSOLE_PORT_NUMBER`). Values are never
printed: messages name the key.
"""

from __future__ import annotations

SEVERITY = {"default-credentials": "critical", "console-exposed": "warning",
            "plain-http": "warning"}

_USER = ("MINIO_ROOT_USER", "MINIO_ACCESS_KEY")
_PASSWORD = ("MINIO_ROOT_PASSWORD", "MINIO_SECRET_KEY")
_CREDENTIAL_NAMES = frozenset(
    [*_USER, *_PASSWORD, *(n + "_FILE" for n in (*_USER, *_PASSWORD)), "MINIO_CONFIG_ENV_FILE"])
# The official image reads these from /run/secrets (its MINIO_*_FILE defaults).
_SECRET_FILES = ("access_key", "secret_key", "config.env")
_DEFAULT_PASSWORDS = {"minio": ("minioadmin",), "bitnami": ("minioadmin", "miniosecret")}
_ALL_INTERFACES = (None, "", "0.0.0.0", "::", "[::]", "*")
_SEPARATORS = frozenset({"&&", "||", ";", "|", "&"})


class Published:
    """One published port: host address (None: all), host port, container port, line."""

    __slots__ = ("host_ip", "host_port", "container_port", "line")

    def __init__(self, host_ip, host_port, container_port, line):
        self.host_ip = host_ip
        self.host_port = host_port
        self.container_port = container_port
        self.line = line


class Server:
    """What a domain knows about one container that may run MinIO.

    `env`: {name: (value or None, line)} — None when the value cannot be seen (passed
    through from the host, a secret reference); `env_unknown`: an env file or `envFrom`
    this review cannot read; `secrets`: file names the container gets under
    `/run/secrets`; `mounts`: container paths; `said`: variables whose literal value
    another rule of the domain already reports (a literal secret): not said again;
    `line`: where an absent setting is reported; `host_network` with its `network_line`:
    the container shares the host's interfaces."""

    __slots__ = ("image", "words", "env", "env_unknown", "secrets", "ports", "mounts",
                 "said", "line", "host_network", "network_line")

    def __init__(self, image="", words=(), env=None, env_unknown=False, secrets=(), ports=(),
                 mounts=(), said=(), line=None, host_network=False, network_line=None):
        self.image = image if isinstance(image, str) else ""
        self.words = [str(w) for w in words or ()]
        self.env = dict(env or {})
        self.env_unknown = env_unknown
        self.secrets = tuple(secrets)
        self.ports = list(ports)
        self.mounts = [str(m) for m in mounts]
        self.said = frozenset(said)
        self.line = line
        self.host_network = host_network
        self.network_line = network_line


def image_kind(image):
    """"bitnami" for bitnami's MinIO image, "minio" for any other image named `minio`
    (`minio/minio`, `quay.io/minio/minio`, a mirror), else None."""
    if not isinstance(image, str) or not image.strip() or "$" in image:
        return None
    from infra_expert.images import ImageRef
    repo = ImageRef(image.strip().lower()).short_name or ""
    parts = repo.split("/")
    if parts[-1] != "minio":
        return None
    return "bitnami" if len(parts) > 1 and parts[-2].startswith("bitnami") else "minio"


def _flat(words):
    """Command words, with a `sh -c` script's own words spliced in where it stands."""
    from infra_expert.shell import split_words
    out = []
    for w in words:
        if any(c in w for c in " \t\n"):
            try:
                out.extend(split_words(w))
            except Exception:  # noqa: BLE001 - an odd script is just not looked into
                out.append(w)
        else:
            out.append(w)
    return out


def server_args(image, words):
    """(kind, the words after `server`) when the container runs a MinIO server, else None.

    The official image runs `minio` (its help) unless told `server`; bitnami's image runs
    the server from its own script whatever the command; another image counts when its
    command says `minio server`."""
    kind = image_kind(image)
    flat = _flat(words)
    for i, w in enumerate(flat):
        if w == "server" and ((i == 0 and kind) or (i > 0 and flat[i - 1].rsplit("/", 1)[-1]
                                                    == "minio")):
            rest = []
            for x in flat[i + 1:]:
                if x in _SEPARATORS:
                    break
                rest.append(x)
            return kind or "minio", rest
    if kind == "bitnami":
        return kind, []
    return None


def is_minio(image, words=()):
    return server_args(image, words) is not None


def _flag(args, *names):
    """The value of the last `--name value` / `--name=value` in args, or None."""
    found = None
    for i, a in enumerate(args):
        for n in names:
            if a == n and i + 1 < len(args):
                found = args[i + 1]
            elif a.startswith(n + "="):
                found = a[len(n) + 1:]
    return found


def _port_of(address):
    """(host, port) of `:9001`, `0.0.0.0:9001`, `[::]:9001`, `9001`; None when unknown."""
    if address is None:
        return None
    text = str(address).strip().strip("\"'")
    if not text or "$" in text or "{" in text:
        return None
    host, _, port = text.rpartition(":")
    try:
        return host.strip("[]"), int(port)
    except ValueError:
        return None


def _covers(container_port, port):
    """True when a published container port (`9001`, `9001/tcp`, `9000-9001`) is `port`."""
    text = str(container_port or "").split("/")[0].strip()
    first, _, last = text.partition("-")
    try:
        return int(first) <= port <= int(last or first)
    except ValueError:
        return False


def _value(server, name):
    entry = server.env.get(name)
    return entry[0] if entry else None


def _has(server, name):
    return name in server.env


def review(server):
    """[(concern, line, message)] for one container; [] when it does not run MinIO."""
    found = server_args(server.image, server.words)
    if found is None:
        return []
    kind, args = found
    out = []
    out.extend(_credentials(server, kind))
    out.extend(_exposure(server, kind, args))
    return out


def _credentials(server, kind):
    names = set(server.env)
    if server.env_unknown or names & _CREDENTIAL_NAMES \
            or any(s in _SECRET_FILES for s in server.secrets):
        for name in _PASSWORD:
            value = _value(server, name)
            if name in server.said or value is None:
                continue
            if value.strip().strip("\"'") in _DEFAULT_PASSWORDS[kind]:
                out_line = server.env[name][1]
                yield ("default-credentials", out_line,
                       f"`{name}` resolves to the default root password of {_whose(kind)}, "
                       "so whoever reaches the server can log in as root")
        return
    if any(m.rstrip("/") in ("/run/secrets", "/var/run/secrets") for m in server.mounts):
        return     # a secrets folder mounted whole: the credentials may be there
    yield ("default-credentials", server.line,
           f"no `MINIO_ROOT_USER`/`MINIO_ROOT_PASSWORD` (nor a `_FILE` variant, an env file "
           f"or a secret): {_whose(kind)} starts with its documented default root "
           "login, the first one anyone tries")


def _whose(kind):
    return "bitnami's MinIO image" if kind == "bitnami" else "MinIO"


def _exposure(server, kind, args):
    browser_off = str(_value(server, "MINIO_BROWSER") or "").lower() in ("off", "false", "no")
    console = _port_of(_flag(args, "--console-address")
                       or _value(server, "MINIO_CONSOLE_ADDRESS"))
    api = _port_of(_flag(args, "--address") or _value(server, "MINIO_ADDRESS"))
    if kind == "bitnami":
        if console is None and not _flag(args, "--console-address"):
            console = _port_of(":" + str(_value(server, "MINIO_CONSOLE_PORT_NUMBER") or 9001))
        if api is None and not _flag(args, "--address"):
            api = _port_of(":" + str(_value(server, "MINIO_API_PORT_NUMBER") or 9000))
    elif api is None and not (_flag(args, "--address") or _value(server, "MINIO_ADDRESS")):
        api = ("", 9000)
    if browser_off:
        console = None
    tls = _has_tls(server, kind, args)
    for concern, port in (("console-exposed", console), ("plain-http", api)):
        if port is None or (concern == "plain-http" and tls):
            continue
        if server.host_network:
            if port[0] in _ALL_INTERFACES:
                yield concern, server.network_line or server.line, _say(concern, port[1],
                                                                        "the host network")
            continue
        for p in server.ports:
            if p.host_ip in _ALL_INTERFACES and _covers(p.container_port, port[1]):
                shown = f"host port {p.host_port}" if p.host_port else "a random host port"
                yield concern, p.line, _say(concern, port[1], shown)
                break


def _say(concern, port, where):
    if concern == "console-exposed":
        return (f"the MinIO console (port {port}, the admin UI that takes the root login) is "
                f"published on all interfaces ({where})")
    return (f"the MinIO S3 API (port {port}) is published on all interfaces ({where}) over "
            "plain HTTP: keys, signed requests and objects cross the network in clear")


def _has_tls(server, kind, args):
    if _flag(args, "--certs-dir", "-S") or _has(server, "MINIO_CERTS_DIR"):
        return True
    url = str(_value(server, "MINIO_SERVER_URL") or "")
    if url.lower().startswith("https://"):
        return True
    if kind == "bitnami" and str(_value(server, "MINIO_SCHEME") or "").lower() == "https":
        return True
    for target in server.mounts:
        t = target.rstrip("/")
        if t.endswith("/.minio") or "/.minio/certs" in t + "/":
            return True
        if kind == "bitnami" and (t == "/certs" or t.startswith("/certs/")
                                  or t.startswith("/opt/bitnami/minio/certs")):
            return True
    return False
