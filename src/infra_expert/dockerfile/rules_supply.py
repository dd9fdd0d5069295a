"""Dockerfile rules a senior reviewer adds: unverified downloads that are run or
installed, and a shell as PID 1 that backgrounds the real process."""

from __future__ import annotations

from infra_expert.shell import SHELLS, Command, commands, operands
from infra_expert.dockerfile.walkers import each_instruction, run_commands
from infra_expert.model import Hit, RuleSet

rules = RuleSet("dockerfile")

# ---------------------------------------------------------------- verified downloads ----
_CHECKSUMS = frozenset({"sha256sum", "sha512sum", "sha384sum", "sha224sum", "sha1sum",
                        "md5sum", "b2sum", "shasum", "cksum", "rhash"})
_UNPACK = frozenset({"tar", "bsdtar", "unzip", "gunzip", "zcat", "xz", "unxz", "zstd",
                     "bunzip2", "cpio", "7z", "busybox"})
_INSTALL = frozenset({"dpkg", "rpm", "install", "apk", "gdebi"})
_RUNNERS = SHELLS | {"python", "python3", "perl", "ruby", "node", "java"}
_CURL_VALUE_OPTS = {"-o", "--output", "-H", "--header", "-u", "--user", "-A", "--user-agent",
                    "-d", "--data", "-X", "--request", "-e", "--referer", "-m", "--max-time",
                    "--retry", "--connect-timeout", "-w", "--write-out", "-x", "--proxy",
                    "--output-dir", "-b", "--cookie", "-c", "--cookie-jar", "-T",
                    "--upload-file", "--retry-delay", "--retry-max-time", "-r", "--range",
                    "--cacert", "--cert", "--key", "-K", "--config", "-z", "--limit-rate",
                    "--proto", "--proto-redir", "--resolve", "--tlsv1.2", "--create-dirs"}
_WGET_VALUE_OPTS = {"-O", "--output-document", "-o", "--output-file", "-P",
                    "--directory-prefix", "-t", "--tries", "-T", "--timeout", "-U",
                    "--user-agent", "--header", "-e", "--execute", "--progress", "-a",
                    "--append-output", "--user", "--password"}


def _verifies(cmd):
    """A command that checks a checksum or a signature."""
    name = cmd.name
    if name in _CHECKSUMS:
        return True          # `… | sha256sum -c`, `sha256sum f | grep -q <sha>`, `test "$(…)"`
    if name in ("gpg", "gpg2"):
        return any(a in ("--verify", "--verify-files") for a in cmd.args)
    if name in ("gpgv", "gpgv2", "slsa-verifier", "minisign", "signify", "sigstore"):
        return True
    if name == "cosign":
        return any(a.startswith("verify") for a in cmd.args)
    if name == "openssl":     # `openssl sha512 -r f`, `openssl dgst -sha256 -verify …`
        return any(a in ("-verify", "-signature", "dgst", "sha1", "sha256", "sha384",
                         "sha512", "md5") for a in cmd.args)
    if name == "rpm":
        return any(a in ("-K", "--checksig") for a in cmd.args)
    return False


def _option(args, *names):
    """The value of an option (`-o x`, `--output=x`, `-ox`), or None."""
    for i, a in enumerate(args):
        for n in names:
            if a == n and i + 1 < len(args):
                return args[i + 1]
            if n.startswith("--") and a.startswith(n + "="):
                return a[len(n) + 1:]
            if n.startswith("--") or a.startswith("--") or len(a) <= 2:
                continue
            if a.startswith("-") and a.endswith(n[1]) and i + 1 < len(args):
                return args[i + 1]          # `-fsSLo path`
            if a.startswith(n):
                return a[len(n):]           # `-opath`
    return None


def _urls(words):
    return [w for w in words if "://" in w or w.startswith(("http", "ftp"))]


def _download(cmd):
    """(what it saves to, or "" for stdout) for a curl/wget that downloads, else None."""
    if cmd.name == "curl":
        urls = _urls(operands(cmd.args, _CURL_VALUE_OPTS))
        if not urls:
            return None
        out = _option(cmd.args, "-o", "--output")
        if out is not None:
            return out
        if any(a in ("-O", "--remote-name", "--remote-name-all") or (
                a.startswith("-") and not a.startswith("--") and "O" in a[1:])
               for a in cmd.args):
            return urls[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        return ""
    if cmd.name == "wget":
        urls = _urls(operands(cmd.args, _WGET_VALUE_OPTS))
        if not urls:
            return None
        out = _option(cmd.args, "-O", "--output-document")
        if out is not None:
            return "" if out == "-" else out
        return urls[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return None


def _mentions(cmd, saved):
    base = saved.rstrip("/").rsplit("/", 1)[-1]
    return bool(base) and any(w == saved or w.rsplit("/", 1)[-1] == base
                              for w in cmd.words)


def _uses(cmd, saved):
    """How `cmd` runs or installs the file `saved`, or None."""
    if not _mentions(cmd, saved):
        return None
    if cmd.words[0] == saved or cmd.words[0].rsplit("/", 1)[-1] == saved.rsplit("/", 1)[-1]:
        return "runs it"
    if cmd.name == "chmod" and any("x" in a or a.lstrip("0")[:1] in ("7", "5")
                                   for a in cmd.args if not a.startswith("-")):
        return "makes it executable"
    if cmd.name in _UNPACK:
        return f"unpacks it with `{cmd.name}`"
    if cmd.name in _INSTALL or (cmd.name in ("apt-get", "apt", "yum", "dnf", "zypper")
                                and "install" in cmd.args):
        return f"installs it with `{cmd.name}`"
    if cmd.name in _RUNNERS:
        return f"runs it with `{cmd.name}`"
    if cmd.name in ("mv", "cp") and any("/bin" in a for a in cmd.args):
        return "puts it on the PATH"
    return None


@rules.rule(
    "DF100", "warning", "security", "Download run or installed without a checksum",
    "A file fetched with curl or wget and then unpacked, made executable or installed in "
    "the same RUN, with no checksum or signature check, puts whatever the server (or "
    "anyone between it and the build) returns into the image; a moved or compromised "
    "release URL goes unnoticed. Counted as a check: `sha256sum -c` (any checksum tool), "
    "`gpg --verify`, `gpgv`, `cosign verify*`, `minisign`, `rpm --checksig`. "
    "(`curl … | sh` is DF078; `ADD <url>` without `--checksum` is DF028.)",
    "Pin the version in the URL and check its checksum before using it: `curl -fsSLo "
    "/tmp/tool.tgz <url> && echo \"<sha256>  /tmp/tool.tgz\" | sha256sum -c - && tar …`, "
    "or use `ADD --checksum=sha256:<sha> <url>`.",
    example=(
        'FROM debian:12-slim\n'
        'SHELL ["/bin/bash", "-o", "pipefail", "-c"]\n'
        'RUN curl -fsSLo /usr/local/bin/kubectl https://dl.k8s.io/release/v1.31.0/bin/linux/amd64/kubectl \\\n'
        ' && echo "<sha256>  /usr/local/bin/kubectl" | sha256sum -c - \\\n'
        ' && chmod +x /usr/local/bin/kubectl\n'
        'USER 10001'))
def unverified_download(doc, ctx):
    for ins in each_instruction(doc.model, "RUN"):
        cmds = [c for c, _ in run_commands(ins)]
        if any(_verifies(c) for c in cmds):
            continue
        for i, cmd in enumerate(cmds):
            saved = _download(cmd)
            if saved is None:
                continue
            how = None
            target = cmd.pipe_out
            if saved == "" and target is not None and (target.name in _UNPACK
                                                       or target.name in _INSTALL):
                how = f"pipes it into `{target.name}`"
            elif saved:
                how = next((h for h in (_uses(c, saved) for c in cmds[i + 1:]) if h), None)
            if how:
                shown = f"`{saved}`" if saved else "a file"
                yield Hit(ins.line, f"`{cmd.name}` fetches {shown} and {how}, with no "
                                    "checksum or signature check")
                break


# ------------------------------------------------------------------- PID 1 wrappers ----
_KEEP_ALIVE = "keep-alive"


def _entry_script(ins):
    """The shell script of a CMD/ENTRYPOINT that a shell runs as PID 1, or None."""
    if ins.json is None:
        return ins.args
    words = ins.json
    if len(words) >= 3 and words[0].rsplit("/", 1)[-1] in SHELLS and words[1] in ("-c",
                                                                                "-ec", "-xc"):
        return words[2]
    return None


def _keep_alive(cmd):
    return (cmd.name == "tail" and any(a in ("-f", "-F", "--follow") or a.startswith("-f")
                                       for a in cmd.args)) \
        or (cmd.name == "sleep" and any(a in ("infinity", "inf") for a in cmd.args))


def _daemon_start(cmd):
    return (cmd.name == "service" and "start" in cmd.args) or (
        "/init.d/" in cmd.words[0] and "start" in cmd.args)


def _pid1_problem(script):
    cmds = commands(script)
    top = [c for c in cmds if not c.nested]
    if any(c.name == "trap" for c in top):
        return None       # the script forwards signals itself
    background = [c for c in top if c.sep_after == "&" or _daemon_start(c)]
    if background:
        names = ", ".join(f"`{' '.join(c.words[:2])}`" for c in background[:3])
        return f"starts {names} in the background of a shell", "warning"
    keep = next((c for c in top if _keep_alive(c)), None)
    if keep is not None and (keep.sep_before is not None or keep.sep_after is not None
                             or len(top) == 1):
        return (f"`{' '.join(keep.words)}` keeps the container alive doing nothing",
                "suggestion")
    return None


@rules.rule(
    "DF101", "warning", "reliability", "Shell as PID 1 backgrounds the real process",
    "When CMD or ENTRYPOINT is a shell script that starts the application with `&` (or "
    "`service … start`) and then waits or runs `tail -f`, the shell is PID 1: `docker "
    "stop` and Kubernetes send SIGTERM to the shell, which neither handles nor forwards "
    "it, so the application is killed with SIGKILL after the grace period (no graceful "
    "shutdown, no flushed data), and when it crashes the container keeps running, so "
    "no restart policy notices. A bare `tail -f /dev/null` or `sleep infinity` as the "
    "command is a keep-alive doing nothing (a suggestion). A script with a `trap` is "
    "not reported.",
    "Run one process per container in the foreground with `exec` (`CMD [\"nginx\", "
    "\"-g\", \"daemon off;\"]`, `exec app` at the end of an entrypoint script), or use "
    "an init that supervises several (`tini`, `s6-overlay`, `supervisord`).",
    example=(
        'FROM nginxinc/nginx-unprivileged:1.27-alpine\n'
        'COPY nginx.conf /etc/nginx/nginx.conf\n'
        'USER 101\n'
        'CMD ["nginx", "-g", "daemon off;"]'))
def pid1_wrapper(doc, ctx):
    df = doc.model
    final = df.final_stage
    if final is None:
        return
    for keyword in ("ENTRYPOINT", "CMD"):
        ins = next((i for st in final.inherited() for i in reversed(st.instructions)
                    if i.keyword == keyword), None)
        if ins is None:
            continue
        script = _entry_script(ins)
        if script:
            found = _pid1_problem(script)
        elif ins.json and _keep_alive(Command(list(ins.json), {}, 0)):
            found = (f"`{' '.join(ins.json)}` keeps the container alive doing nothing",
                     "suggestion")
        else:
            found = None
        if found:
            message, severity = found
            yield Hit(ins.line, f"{keyword} {message}", severity=severity)
            return
