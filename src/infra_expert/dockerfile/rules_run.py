"""Dockerfile rules about the shell commands inside RUN."""

from __future__ import annotations

import re

from infra_expert.dockerfile.parser import expand
from infra_expert.shell import SHELLS, has_option, operands
from infra_expert.dockerfile.walkers import (each_command, each_instruction, has_cache_mount,
                                             mounts, run_commands)
from infra_expert.lazyre import lazy_re
from infra_expert.model import Hit, Pass, RuleSet

rules = RuleSet("dockerfile")

# --------------------------------------------------------------------------- helpers ----
_APT_VALUE_OPTS = {"-o", "-t", "-c", "--option", "--target-release", "--default-release",
                   "--config-file"}


def _subcommand(cmd, value_opts=()):
    ops = operands(cmd.args, value_opts)
    return (ops[0], ops[1:]) if ops else ("", [])


def apt_installs(df, shipped_only=False):
    """(RUN, Command, line, packages) for every `apt-get/apt/aptitude install`."""
    for ins, cmd, line in each_command(df, "apt-get", "apt", "aptitude",
                                       shipped_only=shipped_only):
        sub, pkgs = _subcommand(cmd, _APT_VALUE_OPTS)
        if sub == "install":
            yield ins, cmd, line, pkgs


def _unpinned(pkgs, pinned, ins):
    """Packages that are not pinned, after substituting ARG/ENV values.

    `apt-get install $PKGS` is judged on what `ARG PKGS="curl git"` (or `PKGS='curl git'`
    earlier in the same RUN) holds, and `curl=$CURL_VERSION` counts as pinned; a variable
    with no known value is not judged.
    """
    out = []
    scope = None
    for p in pkgs:
        if "$" in p:
            if scope is None:
                scope = dict(ins.env or {})
                scope.update((k, v.strip("\"'")) for k, v in ins.shell_vars.items())
            value, unresolved = expand(p, scope)
            if unresolved or "$" in value:
                continue   # no known value: not judged, never guessed
            out.extend(w for w in value.split() if not pinned(w))
        elif not pinned(p):
            out.append(p)
    return out


def _plural(items, limit=4):
    shown = ", ".join(f"`{p}`" for p in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _in_shipped(df, ins):
    """True when the instruction's stage ends up in the final image (or is a parent)."""
    return ins.stage is None or any(ins.stage is s for s in df.shipped_stages()) \
        or any(s.parent is ins.stage for s in df.stages)


# ------------------------------------------------------------------------------ apt ----
@rules.rule(
    "DF050", "critical", "reliability", "`apt-get install` without `-y`",
    "The build has no terminal: apt-get asks for confirmation, reads end-of-file and "
    "aborts the install.",
    "Add `-y` (or `--yes`): `apt-get install -y --no-install-recommends …`.",
    peers=("hadolint:DL3014", "kics:77783205-c4ca-4f80-bb80-c777f267c547"),
    example=(
        'FROM debian:12-slim\n'
        'RUN apt-get update && apt-get install -y --no-install-recommends curl \\\n'
        ' && rm -rf /var/lib/apt/lists/*\n'
        'USER 10001'))
def apt_no_yes(doc, ctx):
    """Edge cases (hadolint DL3014, apt-get(8)): `-y`, `--yes`, `--assume-yes` and combined
    short flags (`-qy`) answer the prompt; so does quiet level 2, which implies `-y`: `-qq`,
    `-q -q`, `--quiet --quiet`, `-q=2`, `--quiet=2`. A single `-q` does not.
    `DEBIAN_FRONTEND=noninteractive` does not either (it only silences debconf: the
    "Do you want to continue?" prompt still aborts). Simulations and download-only runs
    never prompt. `ONBUILD RUN` is checked like a RUN. `aptitude` is not judged here."""
    for ins, cmd, line, pkgs in apt_installs(doc.model):
        if cmd.name == "aptitude":
            continue
        if has_option(cmd.args, "-s", "--simulate", "--dry-run", "--just-print", "--no-act",
                      "--recon", "--print-uris", "--download-only", "-d"):
            continue
        if not has_option(cmd.args, "-y", "--yes", "--assume-yes") \
                and _apt_quiet_level(cmd.args) < 2:
            yield Hit(line, f"`{' '.join(cmd.words[:4])}…` waits for a confirmation")


def _apt_quiet_level(args):
    """apt's quiet level: each `-q`/`--quiet` adds one (`-qq` two), `-q=N` sets it."""
    level = 0
    for a in args:
        if a in ("--quiet", "-q"):
            level += 1
        elif re.fullmatch(r"(?:-q|--quiet)=(\d+)", a):
            level = int(a.partition("=")[2])
        elif re.fullmatch(r"-[a-zA-Z]+", a):
            level += a.count("q")
    return level


@rules.rule(
    "DF051", "suggestion", "performance", "`apt-get install` without `--no-install-recommends`",
    "Recommended packages are pulled in by default: often tens or hundreds of MB the "
    "application never uses.",
    "Add `--no-install-recommends` and list what you really need.",
    peers=("hadolint:DL3015", "kics:7384dfb2-fcd1-4fbf-91cd-6c44c318c33c"),
    example=(
        'FROM debian:12-slim\n'
        'RUN apt-get update && apt-get install -y --no-install-recommends curl \\\n'
        ' && rm -rf /var/lib/apt/lists/*\n'
        'USER 10001'))
def apt_recommends(doc, ctx):
    for ins, cmd, line, pkgs in apt_installs(doc.model):
        if cmd.name == "aptitude" or not pkgs:
            continue
        if not any(a.startswith("--no-install-recommends") or "Install-Recommends=" in a
                   for a in cmd.args):
            yield Hit(line, f"installs {_plural(pkgs)} with recommended packages")


@rules.rule(
    "DF052", "suggestion", "reliability", "apt packages installed without a version",
    "Unpinned packages make rebuilds differ. (Pinning has a cost too: Debian removes old "
    "versions from its mirrors, so a pin can break a rebuild; this is a suggestion.)",
    "Pin what matters (`curl=8.5.0-2`) or pin the base image by digest and rebuild on a "
    "schedule.",
    peers=("hadolint:DL3008", "kics:965a08d7-ef86-4f14-8792-4a3b2098937e"),
    example=(
        'FROM debian:12-slim\n'
        'RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8 \\\n'
        ' && rm -rf /var/lib/apt/lists/*\n'
        'USER 10001'))
def apt_unpinned(doc, ctx):
    for ins, cmd, line, pkgs in apt_installs(doc.model):
        loose = _unpinned(pkgs, lambda p: "=" in p or p.endswith(".deb") or "/" in p,
                          ins)
        if loose:
            yield Hit(line, f"unpinned: {_plural(loose)}")


def _removes(ins, fragment, after=-1):
    """True when the RUN has an `rm` whose arguments reach `fragment`, after the command
    at index `after` of run_commands (a clean-up *before* the install cleans nothing)."""
    return any(c.name == "rm" and any(fragment in a for a in c.args)
               for c, _ in run_commands(ins)[after + 1:])


def _runs(ins, names, *subcommands, after=-1):
    """True when the RUN runs one of `names` with one of `subcommands` as an argument,
    after the command at index `after`."""
    return any(c.name in names and any(a in subcommands for a in c.args)
               for c, _ in run_commands(ins)[after + 1:])


def _last(ins, used):
    """Index in run_commands(ins) of the last command for which `used(command)` holds."""
    found = -1
    for i, (c, _) in enumerate(run_commands(ins)):
        if used(c):
            found = i
    return found


def _apt_lists_removed(ins, after=-1):
    return _removes(ins, "/var/lib/apt/lists", after) \
        or _runs(ins, ("apt-get", "apt"), "dist-clean", after=after)


def _mount_targets(ins):
    """Normalised targets of the RUN's cache and tmpfs mounts: nothing written there stays
    in the layer."""
    import posixpath
    return [posixpath.normpath(m["target"]) for m in mounts(ins)
            if m["type"] in ("cache", "tmpfs") and m["target"].startswith("/")]


def _mounted(ins, directory):
    """A cache/tmpfs mount at `directory` or below it (hadolint's prefix test)."""
    return any(t == directory or t.startswith(directory + "/") for t in _mount_targets(ins))


@rules.rule(
    "DF053", "warning", "performance", "apt lists left in the image",
    "`apt-get update` downloads 20-50 MB of package lists; unless they are removed in the "
    "same RUN they stay in the layer for ever.",
    "End the RUN with `&& rm -rf /var/lib/apt/lists/*`, or use "
    "`RUN --mount=type=cache,target=/var/lib/apt/lists`.",
    positive="apt package lists are removed in the RUN that downloads them",
    peers=("hadolint:DL3009", "kics:df746b39-6564-4fed-bf85-e9c44382303c"),
    example=(
        'FROM debian:12-slim\n'
        'RUN apt-get update && apt-get install -y --no-install-recommends curl \\\n'
        ' && rm -rf /var/lib/apt/lists/*\n'
        'USER 10001'))
def apt_lists(doc, ctx):
    """Edge cases (hadolint DL3009): `apt-get`, `apt` and `aptitude update`; reported only
    in the stages that ship (the final stage and the stages it is built FROM); a RUN
    inside `ONBUILD` is checked too. A cache or tmpfs mount at `/var/lib/apt/lists` (or
    below) satisfies it, and so do mounts on both `/var/lib/apt` and `/var/cache/apt`; one
    of those two alone does not (the downloaded .debs or the lists stay). The `rm -rf
    /var/lib/apt/lists/*` (or `apt-get dist-clean`) must come *after* the last update: a
    clean before it removes nothing that update downloads."""
    df = doc.model
    for ins in each_instruction(df, "RUN"):
        if not _in_shipped(df, ins):
            continue
        updates = [(c, line) for c, line in run_commands(ins)
                   if c.name in ("apt-get", "apt", "aptitude") and _subcommand(c, _APT_VALUE_OPTS)[0] == "update"]
        if not updates:
            continue
        if _mounted(ins, "/var/lib/apt/lists") or (
                _mounted(ins, "/var/lib/apt") and _mounted(ins, "/var/cache/apt")):
            continue
        last = _last(ins, lambda c: c.name in ("apt-get", "apt", "aptitude")
                     and _subcommand(c, _APT_VALUE_OPTS)[0] in ("update", "install"))
        if _apt_lists_removed(ins, last):
            yield Pass(ins.line)
        else:
            yield Hit(updates[0][1], "`apt-get update` with no `rm -rf /var/lib/apt/lists/*` "
                                     "in the same RUN")


@rules.rule(
    "DF054", "suggestion", "reliability", "`apt` used in a script",
    "`apt` is the interactive front end; its output and options are not a stable "
    "interface and it warns when used in scripts.",
    "Use `apt-get` (and `apt-cache`) in Dockerfiles.",
    peers=("hadolint:DL3027", "kics:b84a0b47-2e99-4c9f-8933-98bcabe2b94d"),
    example=(
        'FROM debian:12-slim\n'
        'RUN apt-get update && apt-get install -y --no-install-recommends curl \\\n'
        ' && rm -rf /var/lib/apt/lists/*\n'
        'USER 10001'))
def apt_not_apt_get(doc, ctx):
    for ins, cmd, line in each_command(doc.model, "apt"):
        yield Hit(line, f"`{' '.join(cmd.words[:3])}`")


@rules.rule(
    "DF055", "warning", "reliability", "`apt-get update` alone in its own RUN",
    "The layer with the package lists is cached: a later `apt-get install` in another RUN "
    "keeps using lists from the day the cache was made, and fails once mirrors move on.",
    "Update and install in the same RUN: `apt-get update && apt-get install -y …`.",
    peers=("kics:9bae49be-0aa3-4de5-bab2-4c3a069e40cd",),
    example=(
        'FROM debian:12-slim\n'
        'RUN apt-get update && apt-get install -y --no-install-recommends curl \\\n'
        ' && rm -rf /var/lib/apt/lists/*\n'
        'USER 10001'))
def update_alone(doc, ctx):
    managers = {"apt-get": "install", "apt": "install", "apk": "add", "yum": "install",
                "dnf": "install", "zypper": "install"}
    for ins in each_instruction(doc.model, "RUN"):
        cmds = run_commands(ins)
        updates = [(c, line) for c, line in cmds
                   if c.name in managers and _subcommand(c, _APT_VALUE_OPTS)[0] in ("update", "refresh", "makecache")
                   and not (c.name == "apk" and "--no-cache" in c.args)]
        if not updates:
            continue
        installs = [c for c, _ in cmds if c.name in managers
                    and _subcommand(c, _APT_VALUE_OPTS)[0] in ("install", "add", "in", "upgrade", "dist-upgrade")]
        if not installs:
            c, line = updates[0]
            sub = _subcommand(c, _APT_VALUE_OPTS)[0]
            yield Hit(line, f"`{c.name} {sub}` without an install in the same RUN")


# ------------------------------------------------------------------------------ apk ----
_APK_VALUE_OPTS = {"-X", "--repository", "-t", "--virtual", "--repositories-file", "-p",
                   "--root", "--arch", "--cache-dir", "--keys-dir"}


def apk_adds(df):
    for ins, cmd, line in each_command(df, "apk"):
        sub, pkgs = _subcommand(cmd, _APK_VALUE_OPTS)
        if sub == "add":
            yield ins, cmd, line, pkgs


@rules.rule(
    "DF056", "suggestion", "reliability", "apk packages added without a version",
    "Unpinned packages make rebuilds differ. (Alpine drops old versions from its "
    "repositories, so exact pins break rebuilds; pin loosely with `~` or pin the base "
    "image instead.)",
    "Pin what matters (`apk add curl~8.5`), or pin the base image by digest.",
    peers=("hadolint:DL3018", "kics:d3499f6d-1651-41bb-a9a7-de925fea487b"),
    example=(
        'FROM alpine:3.20\n'
        'RUN apk add --no-cache curl~8.9\n'
        'USER 10001'))
def apk_unpinned(doc, ctx):
    for ins, cmd, line, pkgs in apk_adds(doc.model):
        loose = _unpinned(pkgs, lambda p: any(c in p for c in "=~<>") or p.endswith(".apk"),
                          ins)
        if loose:
            yield Hit(line, f"unpinned: {_plural(loose)}")


@rules.rule(
    "DF057", "warning", "performance", "`apk add` without `--no-cache`",
    "Without `--no-cache` the package index stays in `/var/cache/apk` inside the layer.",
    "Use `apk add --no-cache …` (it also makes `apk update` unnecessary).",
    peers=("hadolint:DL3019", "kics:ae9c56a6-3ed1-4ac0-9b54-31267f51151d"),
    example=(
        'FROM alpine:3.20\n'
        'RUN apk add --no-cache curl\n'
        'USER 10001'))
def apk_cache(doc, ctx):
    """Edge cases (hadolint DL3019): `apk add --no-cache` (or `--no-network`); a cache or
    tmpfs mount at `/var/cache/apk` or `/etc/apk/cache`; an `rm -rf /var/cache/apk/*`
    *after* the add (before it, it cleans nothing); `ONBUILD RUN` checked like a RUN."""
    for ins, cmd, line, pkgs in apk_adds(doc.model):
        if "--no-cache" in cmd.args or "--no-network" in cmd.args or \
                _mounted(ins, "/var/cache/apk") or _mounted(ins, "/etc/apk/cache"):
            continue
        if _removes(ins, "/var/cache/apk", _last(ins, lambda c: c is cmd)):
            continue
        yield Hit(line, f"`{' '.join(cmd.words[:3])}…` keeps the package index in the layer")


# ------------------------------------------------------------------------ yum / dnf ----
def _rpm_installs(df, names):
    for ins, cmd, line in each_command(df, *names):
        sub, pkgs = _subcommand(cmd, {"-c", "--config", "--setopt", "--enablerepo",
                                      "--disablerepo", "--installroot", "--releasever",
                                      "-x", "--exclude", "--repo", "--repoid"})
        if sub in ("install", "groupinstall", "localinstall", "reinstall"):
            yield ins, cmd, line, sub, pkgs


def _rpm_pinned(p):
    return bool(re.search(r"-\d", p)) or p.endswith(".rpm") or p.startswith("@") \
        or "/" in p or "*" in p


def _no_yes(names):
    def check(doc, ctx):
        for ins, cmd, line, sub, pkgs in _rpm_installs(doc.model, names):
            if not has_option(cmd.args, "-y", "--assumeyes"):
                yield Hit(line, f"`{' '.join(cmd.words[:2])}` waits for a confirmation")
    return check


def _clean(names, cleaned):
    def check(doc, ctx):
        """Edge cases (hadolint DL3032, DL3040, DL3036): install/update/upgrade/makecache
        in a shipped stage (ONBUILD RUN included) needs `clean` (or an `rm` of the cache
        folder) *after* the last such command in the same RUN, or a cache/tmpfs mount on
        the package cache; a clean before the install cleans nothing."""
        df = doc.model
        for ins in each_instruction(df, "RUN"):
            if not _in_shipped(df, ins):
                continue
            used = [(c, line) for c, line in run_commands(ins) if c.name in names
                    and _subcommand(c)[0] in ("install", "groupinstall", "update", "upgrade",
                                              "localinstall", "reinstall", "makecache")]
            if not used:
                continue
            last = _last(ins, lambda c: any(c is u for u, _ in used))
            if cleaned(ins, last) or any(_mounted(ins, d) for d in (
                    "/var/cache/yum", "/var/cache/dnf", "/var/cache/libdnf5",
                    "/var/cache/zypp")):
                continue
            c, line = used[0]
            yield Hit(line, f"`{c.name} {_subcommand(c)[0]}` with no clean-up in the same RUN")
    return check


def _unpinned_rpm(names):
    def check(doc, ctx):
        for ins, cmd, line, sub, pkgs in _rpm_installs(doc.model, names):
            loose = _unpinned(pkgs, _rpm_pinned, ins)
            if loose:
                yield Hit(line, f"unpinned: {_plural(loose)}")
    return check


rules.rule(
    "DF058", "critical", "reliability", "`yum install` without `-y`",
    "There is no terminal in a build: yum asks for confirmation and the install is aborted.",
    "Use `yum install -y …`.",
    peers=("hadolint:DL3030", "kics:6e19193a-8753-436d-8a09-76dcff91bb03"),
    example=(
        'FROM rockylinux:9.3\n'
        'RUN yum install -y httpd-2.4.57 && yum clean all && rm -rf /var/cache/yum\n'
        'USER 48'))(_no_yes(("yum",)))
rules.rule(
    "DF059", "warning", "performance", "yum cache left in the image",
    "yum's metadata and package cache stay in the layer unless cleaned in the same RUN.",
    "End the RUN with `&& yum clean all && rm -rf /var/cache/yum`.",
    peers=("hadolint:DL3032", "kics:00481784-25aa-4a55-8633-3136dfcf4f37"),
    example=(
        'FROM rockylinux:9.3\n'
        'RUN yum install -y httpd-2.4.57 && yum clean all && rm -rf /var/cache/yum\n'
        'USER 48'))(
        _clean(("yum",), lambda ins, after: _runs(ins, ("yum",), "clean", after=after)
               or _removes(ins, "/var/cache/yum", after)))
rules.rule(
    "DF060", "suggestion", "reliability", "yum packages installed without a version",
    "Unpinned packages make rebuilds differ: the same Dockerfile built next month gets "
    "other versions, and a regression arrives without any change on your side.",
    "Pin what matters: `yum install -y httpd-2.4.57`.",
    peers=("hadolint:DL3033", "kics:6452c424-1d92-4deb-bb18-a03e95d579c4"),
    example=(
        'FROM rockylinux:9.3\n'
        'RUN yum install -y httpd-2.4.57 && yum clean all && rm -rf /var/cache/yum\n'
        'USER 48'))(_unpinned_rpm(("yum",)))
rules.rule(
    "DF061", "critical", "reliability", "`dnf install` without `-y`",
    "There is no terminal in a build: dnf asks for confirmation and the install is aborted.",
    "Use `dnf install -y …` (`microdnf` too).",
    peers=("hadolint:DL3038", "kics:7ebd323c-31b7-4e5b-b26f-de5e9e477af8"),
    example=(
        'FROM fedora:40\n'
        'RUN dnf install -y httpd-2.4.62 && dnf clean all\n'
        'USER 48'))(
        _no_yes(("dnf", "dnf5", "microdnf")))
rules.rule(
    "DF062", "warning", "performance", "dnf cache left in the image",
    "dnf's metadata and package cache stay in the layer unless cleaned in the same RUN.",
    "End the RUN with `&& dnf clean all`.",
    peers=("hadolint:DL3040", "kics:295acb63-9246-4b21-b441-7c1f1fb62dc0"),
    example=(
        'FROM fedora:40\n'
        'RUN dnf install -y httpd-2.4.62 && dnf clean all\n'
        'USER 48'))(
        _clean(("dnf", "dnf5", "microdnf"),
               lambda ins, after: _runs(ins, ("dnf", "dnf5", "microdnf"), "clean", after=after)
               or _removes(ins, "/var/cache/dnf", after)
               or _removes(ins, "/var/cache/yum", after)))
rules.rule(
    "DF063", "suggestion", "reliability", "dnf packages installed without a version",
    "Unpinned packages make rebuilds differ: the same Dockerfile built next month gets "
    "other versions, and a regression arrives without any change on your side.",
    "Pin what matters: `dnf install -y httpd-2.4.57`.",
    peers=("hadolint:DL3041", "kics:93d88cf7-f078-46a8-8ddc-178e03aeacf1"),
    example=(
        'FROM fedora:40\n'
        'RUN dnf install -y httpd-2.4.62 && dnf clean all\n'
        'USER 48'))(
        _unpinned_rpm(("dnf", "dnf5", "microdnf")))


# ---------------------------------------------------------------------------- zypper ----
def _zypper(df):
    for ins, cmd, line in each_command(df, "zypper"):
        sub, pkgs = _subcommand(cmd, {"--root", "-R", "--repo", "-r", "--from"})
        yield ins, cmd, line, sub, pkgs


@rules.rule(
    "DF064", "critical", "reliability", "zypper without a non-interactive switch",
    "There is no terminal in a build: zypper asks for confirmation and aborts.",
    "Use `zypper --non-interactive install …` or `zypper install -y …`.",
    peers=("hadolint:DL3034", "kics:45e1fca5-f90e-465d-825f-c2cb63fa3944"),
    example=(
        'FROM opensuse/leap:15.6\n'
        'RUN zypper --non-interactive install apache2=2.4.58 && zypper clean --all\n'
        'USER 10001'))
def zypper_interactive(doc, ctx):
    for ins, cmd, line, sub, pkgs in _zypper(doc.model):
        if sub in ("install", "in", "remove", "rm", "source-install", "si", "patch", "update",
                   "up", "dist-upgrade", "dup") and not has_option(
                cmd.args, "-y", "-n", "--non-interactive", "--no-confirm"):
            yield Hit(line, f"`zypper {sub}` waits for a confirmation")


@rules.rule(
    "DF065", "warning", "reliability", "`zypper dist-upgrade` in a Dockerfile",
    "A distribution upgrade inside an image build changes the base distribution under "
    "your feet; move to a newer base image instead.",
    "Use a newer base image tag instead of `zypper dup`.",
    peers=("hadolint:DL3035",),
    example=(
        'FROM opensuse/leap:15.6\n'
        'RUN zypper --non-interactive install apache2=2.4.58 && zypper clean --all\n'
        'USER 10001'))
def zypper_dup(doc, ctx):
    for ins, cmd, line, sub, pkgs in _zypper(doc.model):
        if sub in ("dist-upgrade", "dup"):
            yield Hit(line, f"`zypper {sub}`")


rules.rule(
    "DF066", "warning", "performance", "zypper cache left in the image",
    "zypper's cache stays in the layer unless cleaned in the same RUN.",
    "End the RUN with `&& zypper clean --all`.",
    peers=("hadolint:DL3036", "kics:38300d1a-feb2-4a48-936a-d1ef1cd24313"),
    example=(
        'FROM opensuse/leap:15.6\n'
        'RUN zypper --non-interactive install apache2=2.4.58 && zypper clean --all\n'
        'USER 10001'))(
        _clean(("zypper",), lambda ins, after: _runs(ins, ("zypper",), "clean", "cc",
                                                     after=after)))


@rules.rule(
    "DF067", "suggestion", "reliability", "zypper packages installed without a version",
    "Unpinned packages make rebuilds differ: the same Dockerfile built next month gets "
    "other versions, and a regression arrives without any change on your side.",
    "Pin what matters: `zypper install -y httpd=2.4.57`.",
    peers=("hadolint:DL3037", "kics:562952e4-0348-4dea-9826-44f3a2c6117b"),
    example=(
        'FROM opensuse/leap:15.6\n'
        'RUN zypper --non-interactive install apache2=2.4.58 && zypper clean --all\n'
        'USER 10001'))
def zypper_unpinned(doc, ctx):
    for ins, cmd, line, sub, pkgs in _zypper(doc.model):
        if sub in ("install", "in"):
            loose = _unpinned(pkgs, lambda p: any(c in p for c in "=<>") or p.endswith(".rpm"),
                              ins)
            if loose:
                yield Hit(line, f"unpinned: {_plural(loose)}")


# ------------------------------------------------------------------------------- pip ----
_PIP_VALUE_OPTS = {"-r", "--requirement", "-c", "--constraint", "-i", "--index-url",
                   "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix",
                   "--root", "--trusted-host", "--platform", "--python-version",
                   "--implementation", "--abi", "--src", "-e", "--editable",
                   "--upgrade-strategy", "--progress-bar", "--cache-dir", "--log", "--proxy",
                   "--retries", "--timeout", "--exists-action", "--global-option",
                   "--config-settings", "-C", "--report", "--python", "--pip-args",
                   "--only-binary", "--no-binary", "--root-user-action", "--spec", "-b",
                   "--build"}


def pip_installs(df):
    """(RUN, Command, line, args after `install`) for pip, pip3, python -m pip, pipx."""
    for ins, cmd, line in each_command(df):
        name = cmd.name
        if not name.startswith(("pip", "python")):
            continue
        args = cmd.args
        is_python = name.startswith("python") and name[6:].replace(".", "").isdigit() \
            or name == "python"
        if is_python and len(args) >= 2 and args[0] == "-m" and args[1] in ("pip", "pip3"):
            args = args[2:]
        elif is_python and len(args) >= 2 and args[0] == "-m" and args[1] == "pipx":
            name, args = "pipx", args[2:]
        elif not (name == "pipx" or name == "pip" or
                  name.startswith("pip") and name[3:].replace(".", "").isdigit()):
            continue
        if args[:1] == ["install"]:
            yield ins, cmd, line, args[1:]


_VCS = lazy_re(r"^(?:git|hg|svn|bzr)(?:\+[a-z-]+)?:")


def _pip_pinned(p):
    if _VCS.match(p):
        # `git+https://host/org/repo.git@v1#egg=x`: pinned by the `@ref` after the path,
        # not by a `user@` in the authority
        return "@" in p.split("#", 1)[0].rsplit("/", 1)[-1]
    return (any(op in p for op in ("==", "~=", ">=", "<=", "!=", "<", ">", "@"))
            or p.startswith((".", "~", "file:")) or "/" in p
            or p.endswith((".whl", ".tar.gz", ".tar.bz2", ".zip", ".tgz")))


def _pip_packages(args):
    """The requirement operands of `pip install`, or None when the install is governed
    by a file: `-r`/`--requirement`, `-c`/`--constraint` or the local project `.`."""
    words = []
    for i, a in enumerate(args):
        if a == "--":
            words.extend(w for w in args[i + 1:] if not w.startswith("-"))
            break
        words.append(a)
    if any(a in ("-r", "--requirement", "-c", "--constraint") or a.startswith(
            ("--requirement=", "--constraint=")) or (a.startswith(("-r", "-c")) and len(a) > 2
                                                     and not a.startswith("--"))
           for a in words):
        return None
    return None if "." in words else operands(words, _PIP_VALUE_OPTS)   # `.`, `-e .`


@rules.rule(
    "DF068", "warning", "reliability", "pip packages installed without a version",
    "`pip install flask` takes whatever is newest on the day of the build: a new major "
    "version can break the image on an unrelated rebuild.",
    "Pin versions (`flask==3.0.3`), or install from a locked requirements file "
    "(`pip install -r requirements.txt` with pinned versions or hashes).",
    peers=("hadolint:DL3013", "kics:02d9c71f-3ee8-4986-9c27-1a20d0d19bfc"),
    example=(
        'FROM python:3.12-slim\n'
        'RUN pip install --no-cache-dir flask==3.0.3 gunicorn==22.0.0\n'
        'USER 10001\n'
        'CMD ["gunicorn", "app:app"]'))
def pip_unpinned(doc, ctx):
    """Edge cases (hadolint DL3013): pip, pip3, pip3.12, `python -m pip` and pipx; any
    version operator (`==`, `===`, `~=`, `>=`, `<=`, `<`, `>`, `!=`) or a direct reference
    (`name @ url`) pins; a VCS URL (`git+https://…`, hg, svn, bzr) is pinned only by an
    `@ref` after its path; local paths and URLs (anything with `/`, `./pkg`, `~/x`),
    wheels and sdists (`.whl`, `.tar.gz`) are not "unpinned"; an install driven by
    `-r`/`--requirement`, `-c`/`--constraint` or the project itself (`.`) is not judged;
    values of options (`-i`, `--extra-index-url`, `-e`, `-t`, `-b`, …) are not packages,
    nor are flags after `--`; extras (`uvicorn[standard]`) are not a version; `$VARS` are
    judged on their ARG/ENV value; ONBUILD RUN is checked like a RUN."""
    for ins, cmd, line, args in pip_installs(doc.model):
        pkgs = _pip_packages(args)
        if pkgs is None:
            continue
        loose = _unpinned(pkgs, _pip_pinned, ins)
        if loose:
            yield Hit(line, f"unpinned: {_plural(loose)}")


def _pip_cache_mounted(ins):
    import posixpath
    cache_dir = (ins.env or {}).get("PIP_CACHE_DIR")
    for t in _mount_targets(ins):
        if t.endswith(("/.cache/pip", "/.cache")) or t.startswith("/root/.cache/pip") or (
                cache_dir and t == posixpath.normpath(cache_dir)):
            return True
    return False


def _pip_no_cache_env(ins):
    env = ins.env or {}
    value = env.get("PIP_NO_CACHE_DIR")
    return value is not None and value.lower() in ("1", "true", "yes", "on", "off", "0", "false")


@rules.rule(
    "DF069", "warning", "performance", "pip keeps its download cache in the layer",
    "pip caches every wheel it downloads under `~/.cache/pip`; in an image layer that is "
    "dead weight, often larger than the packages themselves.",
    "Use `pip install --no-cache-dir …`, set `ENV PIP_NO_CACHE_DIR=1`, or mount a cache: "
    "`RUN --mount=type=cache,target=/root/.cache/pip pip install …`.",
    peers=("hadolint:DL3042", "kics:f2f903fb-b977-461e-98d7-b3e2185c6118"),
    example=(
        'FROM python:3.12-slim\n'
        'WORKDIR /app\n'
        'COPY requirements.txt .\n'
        'RUN pip install --no-cache-dir -r requirements.txt\n'
        'USER 10001'))
def pip_cache(doc, ctx):
    """Edge cases (hadolint DL3042): `--no-cache-dir`; `PIP_NO_CACHE_DIR` set by an ENV of
    the same stage or of a stage it is built FROM (an ENV of another stage is not seen),
    by `export`/an assignment in the RUN, or on the command; pip disables its cache for
    any boolean value (`0`/`false` too, unlike hadolint, which wants a truthy one); a
    cache or tmpfs mount at `~/.cache/pip`, `~/.cache` or `$PIP_CACHE_DIR` (another cache
    such as `/root/.cache/go-build` does not count); an `rm` of the cache *after* the
    install. pipx and pipenv keep their own caches: not judged. Only shipped stages."""
    df = doc.model
    reported = set()
    for ins, cmd, line, args in pip_installs(df):
        if cmd.name == "pipx" or not _in_shipped(df, ins) or id(ins) in reported:
            continue
        if "--no-cache-dir" in args or "PIP_NO_CACHE_DIR" in cmd.assignments \
                or "PIP_NO_CACHE_DIR" in ins.shell_vars \
                or _pip_no_cache_env(ins) or _pip_cache_mounted(ins):
            continue
        after = _last(ins, lambda c: c is cmd)
        if _removes(ins, ".cache/pip", after) or _removes(ins, "/root/.cache", after):
            continue
        reported.add(id(ins))
        yield Hit(line, f"`{' '.join(cmd.words[:3])}…` without `--no-cache-dir`")


# ------------------------------------------------------------------------ node & co ----
def _npm_pinned(p):
    if re.match(r"^(?:git(?:\+[a-z]+)?://|git\+ssh:|github:|gitlab:|bitbucket:)", p):
        return "#" in p          # a git source is pinned by its `#commit`/`#semver:` part
    if p.startswith((".", "/", "~", "http://", "https://", "file:")) or p.endswith(
            (".tgz", ".tar.gz", ".tar")):
        return True
    at = p.rfind("@")
    return at > 0 and p[at + 1:] not in ("", "latest", "next")


@rules.rule(
    "DF070", "warning", "reliability", "npm packages installed without a version",
    "`npm install -g pkg` takes the newest release on the day of the build.",
    "Pin a version (`npm install -g pkg@1.2.3`), or install from a lockfile with `npm ci`.",
    peers=("hadolint:DL3016", "kics:e36d8880-3f78-4546-b9a1-12f0745ca0d5"),
    example=(
        'FROM node:22-bookworm-slim\n'
        'RUN npm install -g pm2@5.4.2\n'
        'WORKDIR /app\n'
        'COPY package.json package-lock.json ./\n'
        'RUN npm ci --omit=dev\n'
        'USER 1000'))
def npm_unpinned(doc, ctx):
    """Edge cases (hadolint DL3016): `npm install`/`i`/`add` with no package installs the
    lockfile: not judged; `pkg@1.2.3`, `@scope/pkg@^1` and `pkg@">=1 <2"` are pinned (the
    scope's `@` is not a version), `@latest`/`@next` are not; a git URL is pinned only by
    its `#ref`; tarballs (`.tgz`, `.tar.gz`, `.tar`), URLs and folders (`./x`, `../x`,
    `/x`, `~/x`) are not "unpinned"; option values (`--registry URL`, `--prefix DIR`) and
    whatever follows `--` (arguments for scripts) are not packages; `npm run … install`
    is not an install."""
    for ins, cmd, line in each_command(doc.model, "npm"):
        args = cmd.args[:cmd.args.index("--")] if "--" in cmd.args else cmd.args
        ops = operands(args, {"--prefix", "-C", "--registry", "--cache", "--tag",
                              "--loglevel", "-w", "--workspace", "--omit", "--include"})
        sub, pkgs = (ops[0], ops[1:]) if ops else ("", [])
        if sub in ("install", "i", "add", "isntall", "in"):
            loose = _unpinned(pkgs, _npm_pinned, ins)
            if loose:
                yield Hit(line, f"unpinned: {_plural(loose)}")


@rules.rule(
    "DF071", "warning", "performance", "yarn cache left in the image",
    "yarn keeps a copy of every package in its cache directory inside the layer.",
    "Run `yarn cache clean` in the same RUN, or use "
    "`RUN --mount=type=cache,target=/usr/local/share/.cache/yarn`.",
    peers=("hadolint:DL3060",),
    example=(
        'FROM node:22-bookworm-slim\n'
        'WORKDIR /app\n'
        'COPY package.json yarn.lock ./\n'
        'RUN yarn install --frozen-lockfile && yarn cache clean\n'
        'USER 1000'))
def yarn_cache(doc, ctx):
    """Edge cases (hadolint DL3060): `yarn` and `yarn install` in a shipped stage need a
    `yarn cache clean` *after* them in the same RUN (before, it cleans nothing), a cache
    mount whose target names yarn, `--cache-folder` or `YARN_CACHE_FOLDER`."""
    df = doc.model
    for ins in each_instruction(df, "RUN"):
        if not _in_shipped(df, ins):
            continue
        cmds = run_commands(ins)
        for i, (c, line) in enumerate(cmds):
            if c.name == "yarn" and _subcommand(c, {"--cwd", "--cache-folder"})[0] in (
                    "install", "") and "--cache-folder" not in " ".join(c.args):
                if any(x.name == "yarn" and x.args[:2] == ["cache", "clean"]
                       for x, _ in cmds[i + 1:]) \
                        or has_cache_mount(ins, "yarn") or "YARN_CACHE_FOLDER" in c.assignments:
                    break
                yield Hit(line, "`yarn install` with no `yarn cache clean` in the same RUN")
                break


@rules.rule(
    "DF072", "warning", "reliability", "gem installed without a version",
    "`gem install x` takes the newest release on the day of the build.",
    "Pin it: `gem install x:1.2.3` or `gem install x -v 1.2.3`, or use a Gemfile.lock.",
    peers=("hadolint:DL3028", "kics:22cd11f7-9c6c-4f6e-84c0-02058120b341"),
    example=(
        'FROM ruby:3.3-slim\n'
        'RUN gem install bundler -v 2.5.18\n'
        'USER 10001'))
def gem_unpinned(doc, ctx):
    """Edge cases (hadolint DL3028): `gem install` and `gem i`; `gem:1.2` pins, so do
    `-v`/`--version`/`--version=` for the command; a local `.gem` file is not unpinned;
    everything after `--` is build options for the gem's extension, not gems; the value
    of a long option (`--use-system-libraries true`) is not a gem."""
    for ins, cmd, line in each_command(doc.model, "gem"):
        args = cmd.args[:cmd.args.index("--")] if "--" in cmd.args else cmd.args
        ops = operands(args, {"-v", "--version", "-i", "--install-dir", "-s", "--source",
                              "-n", "--bindir", "-P", "--trust-policy", "--platform"})
        sub, rest = (ops[0], ops[1:]) if ops else ("", [])
        if sub not in ("install", "i") or has_option(args, "-v", "--version"):
            continue
        flag_values = {args[i + 1] for i, a in enumerate(args[:-1])
                       if a.startswith("--") and "=" not in a and not args[i + 1].startswith("-")
                       and args[i + 1].lower() in ("true", "false", "yes", "no")}
        rest = [p for p in rest if p not in flag_values]
        loose = _unpinned(rest, lambda p: ":" in p or p.endswith(".gem"), ins)
        if loose:
            yield Hit(line, f"unpinned: {_plural(loose)}")


@rules.rule(
    "DF073", "warning", "reliability", "`go install` without a version",
    "`go install pkg@latest` (or no version) builds whatever is newest on the day.",
    "Pin a version: `go install example.com/tool@v1.4.2`.",
    peers=("hadolint:DL3062",),
    example=(
        'FROM golang:1.23 AS build\n'
        'RUN go install github.com/go-delve/delve/cmd/dlv@v1.23.1\n'
        'FROM gcr.io/distroless/static-debian12:nonroot\n'
        'COPY --from=build /go/bin/dlv /dlv'))
def go_unpinned(doc, ctx):
    for ins, cmd, line in each_command(doc.model, "go"):
        sub, pkgs = _subcommand(cmd, {"-o", "-C", "-ldflags", "-tags", "-gcflags", "-mod",
                                      "-modfile", "-p", "-pkgdir", "-toolexec", "-exec"})
        if sub not in ("install", "get"):
            continue
        loose = [p for p in pkgs if "$" not in p and not p.startswith((".", "/", "-"))
                 and ("@" not in p or p.rsplit("@", 1)[1] in ("latest", "none", "master", "main"))]
        if loose:
            yield Hit(line, f"unpinned: {_plural(loose)}")


# ------------------------------------------------------------------- shell hygiene ----
@rules.rule(
    "DF074", "warning", "security", "`sudo` in a RUN",
    "RUN already executes as the current USER; sudo in an image means sudo is installed "
    "and configured, which gives any process in the container a way to root.",
    "Run privileged steps before switching `USER`, and use `gosu`/`su-exec` in an "
    "entrypoint if you must drop privileges at run time.",
    peers=("hadolint:DL3004", "kics:8ada6e80-0ade-439e-b176-0b28f6bce35a"),
    example=(
        'FROM debian:12-slim\n'
        'RUN apt-get update && apt-get install -y --no-install-recommends curl \\\n'
        ' && rm -rf /var/lib/apt/lists/* && useradd --system --uid 10001 app\n'
        'USER 10001'))
def sudo(doc, ctx):
    for ins, cmd, line in each_command(doc.model):
        if cmd.sudo:
            yield Hit(line, f"`sudo {' '.join(cmd.words[:3])}`")


@rules.rule(
    "DF075", "suggestion", "elegance", "`cd` in a RUN instead of WORKDIR",
    "A `cd` only lasts for its RUN; the next instruction is back in the WORKDIR, which "
    "is easy to forget when editing.",
    "Use `WORKDIR /path` (or a subshell `(cd dir && make)` for a one-off).",
    peers=("hadolint:DL3003", "kics:f4a6bcd3-e231-4acf-993c-aa027be50d2e"),
    example=(
        'FROM node:22-bookworm-slim\n'
        'WORKDIR /app/frontend\n'
        'COPY frontend/ .\n'
        'RUN npm ci && npm run build\n'
        'USER 1000'))
def cd_in_run(doc, ctx):
    for ins, cmd, line in each_command(doc.model, "cd"):
        if cmd.sep_before == "(":
            continue
        yield Hit(line, f"`cd {' '.join(cmd.args)}`".rstrip())


_POINTLESS = {"free", "kill", "mount", "ps", "service", "shutdown", "ssh", "top", "vim",
              "ifconfig", "systemctl", "reboot", "halt", "nano"}


@rules.rule(
    "DF076", "suggestion", "elegance", "Command that makes no sense in an image build",
    "`service`, `systemctl`, `top`, `ps`, `vim`… either do nothing at build time or only "
    "work interactively: the line does not do what it seems to.",
    "Remove it; start services through CMD/ENTRYPOINT, one process per container.",
    peers=("hadolint:DL3001", "kics:9b6b0f38-92a2-41f9-b881-3a1083d99f1b"),
    example=(
        'FROM nginxinc/nginx-unprivileged:1.27-alpine\n'
        'COPY nginx.conf /etc/nginx/nginx.conf\n'
        'USER 101\n'
        'CMD ["nginx", "-g", "daemon off;"]'))
def pointless(doc, ctx):
    for ins, cmd, line in each_command(doc.model, *_POINTLESS):
        if cmd.name == "systemctl" and cmd.args[:1] in (["enable"], ["disable"], ["mask"]):
            continue  # creates symlinks: a real effect for systemd-based images
        yield Hit(line, f"`{' '.join(cmd.words[:3])}`")


def _shell_has_pipefail(ins):
    words = ins.shell or []
    return "pipefail" in words and "-o" in words


def _pipefail_ok(ins, cmds, index):
    if _shell_has_pipefail(ins):
        return True
    for c, _ in cmds[:index]:
        if c.name == "set" and ("pipefail" in c.args or any(
                a.startswith("-") and "o" in a for a in c.args) and "pipefail" in c.args):
            return True
    return False


def _non_posix_shell(ins):
    first = (ins.shell or [""])[0].lower()
    return any(name in first for name in ("pwsh", "powershell", "cmd"))


@rules.rule(
    "DF077", "warning", "reliability", "Pipe in RUN without `pipefail`",
    "`/bin/sh -c` returns the status of the last command of a pipe: `curl … | tar x` "
    "succeeds even when the download failed, and the image is built broken.",
    "Add `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` before the RUN (Alpine's "
    "ash supports `-o pipefail` too), or start the command with `set -o pipefail &&`.",
    peers=("hadolint:DL4006", "kics:efbf148a-67e9-42d2-ac47-02fa1c0d0b22"),
    example=(
        'FROM debian:12-slim\n'
        'SHELL ["/bin/bash", "-o", "pipefail", "-c"]\n'
        'RUN apt-get update && apt-get install -y --no-install-recommends curl \\\n'
        ' && rm -rf /var/lib/apt/lists/*\n'
        "RUN curl -fsSL https://example.com/data.csv | grep -v '^#' > /opt/data.csv\n"
        'USER 10001'))
def pipefail(doc, ctx):
    for ins in each_instruction(doc.model, "RUN"):
        if ins.json is not None and not (ins.json and ins.json[0].rsplit("/", 1)[-1] in SHELLS):
            continue
        if _non_posix_shell(ins):
            continue
        cmds = run_commands(ins)
        for index, (c, line) in enumerate(cmds):
            if c.sep_before == "|" and c.name != "true":
                if not _pipefail_ok(ins, cmds, index):
                    source = c.pipe_in.name if c.pipe_in is not None else "…"
                    yield Hit(line, f"`{source} | {c.name}`: a failure before the pipe "
                                    "is ignored")
                break


@rules.rule(
    "DF078", "warning", "security", "Remote script piped into a shell",
    "`curl … | sh` runs whatever the server returns at build time, unverified; a "
    "compromised or hijacked URL owns the image. Without pipefail, a failed download "
    "still \"succeeds\".",
    "Download to a file, verify its checksum (`sha256sum -c`), then run it; or install a "
    "packaged version.",
    example=(
        'FROM debian:12-slim\n'
        'SHELL ["/bin/bash", "-o", "pipefail", "-c"]\n'
        'COPY install.sh /tmp/install.sh\n'
        'RUN echo "24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d  /tmp/install.sh" | sha256sum -c - \\\n'
        ' && sh /tmp/install.sh\n'
        'USER 10001'))
def curl_pipe_shell(doc, ctx):
    for ins, cmd, line in each_command(doc.model, "curl", "wget"):
        target = cmd.pipe_out
        if target is not None and (target.name in SHELLS or re.match(
                r"^(?:python[0-9.]*|perl|ruby|node)$", target.name)):
            yield Hit(line, f"`{cmd.name} … | {target.name}`")


@rules.rule(
    "DF079", "warning", "security", "World-writable permissions (`chmod 777`)",
    "Mode 777 lets any user in the container (and anything that breaks into it) rewrite "
    "those files, including code that later runs as another user. (1777, the sticky "
    "mode of shared temporary directories, is not reported.)",
    "Give ownership to the user that needs it and use 755/644 (or 775 for a shared group).",
    peers=(),
    example=(
        'FROM debian:12-slim\n'
        'RUN useradd --system --uid 10001 app && mkdir -p /app/data \\\n'
        ' && chown -R app:app /app/data && chmod -R 750 /app/data\n'
        'USER 10001'))
def chmod_777(doc, ctx):
    for ins, cmd, line in each_command(doc.model, "chmod"):
        for a in cmd.args:
            if re.fullmatch(r"0?[02-7]?777", a) or re.fullmatch(r"(?:a|ugo)[+=]rwx", a) \
                    or a in ("o+w", "a+w", "ugo+w", "o=rwx"):
                yield Hit(line, f"`chmod {' '.join(cmd.args)}`")
                break
    for ins in each_instruction(doc.model, "COPY", "ADD"):
        mode = ins.flag("chmod")
        if mode and re.fullmatch(r"0?[02-7]?777", mode):
            yield Hit(ins.line, f"`--chmod={mode}`")


@rules.rule(
    "DF080", "suggestion", "performance", "Both curl and wget used",
    "Two HTTP clients in one image: one of them is extra weight and extra attack surface.",
    "Pick one of them for every download in the stage.",
    peers=("hadolint:DL4001", "kics:fc775e75-fcfb-4c98-b2f2-910c5858b359"),
    example=(
        'FROM debian:12-slim\n'
        'RUN apt-get update && apt-get install -y --no-install-recommends curl \\\n'
        ' && rm -rf /var/lib/apt/lists/*\n'
        'RUN curl -fsSLo /tmp/a.txt https://example.com/a.txt && curl -fsSLo /tmp/b.txt https://example.com/b.txt\n'
        'USER 10001'))
def curl_and_wget(doc, ctx):
    """Edge cases (hadolint DL4001): per stage (the state starts again at each FROM); once
    both tools have appeared, every RUN that uses either one is reported from that RUN on
    (the RUN that used only the first tool is not); `ONBUILD RUN` counts."""
    for st in doc.model.stages:
        seen = {}
        for outer in st.instructions:
            ins = outer.inner if outer.inner is not None else outer
            if ins.keyword != "RUN":
                continue
            used = set()
            for c, line in run_commands(ins):
                if c.name in ("curl", "wget"):
                    used.add(c.name)
                    seen.setdefault(c.name, line)
            if used and len(seen) == 2:
                yield Hit(ins.line, f"curl (line {seen['curl']}) and wget (line "
                                    f"{seen['wget']}) in one stage")


@rules.rule(
    "DF081", "suggestion", "elegance", "wget prints a progress bar into the build log",
    "wget's default progress output floods build logs with thousands of lines.",
    "Use `wget -q`, `-nv` or `--progress=dot:giga`.",
    peers=("hadolint:DL3047",),
    example=(
        'FROM alpine:3.20\n'
        'RUN wget -q -O /tmp/data.csv https://example.com/data.csv\n'
        'USER 10001'))
def wget_progress(doc, ctx):
    for ins, cmd, line in each_command(doc.model, "wget"):
        if not has_option(cmd.args, "-q", "--quiet", "-nv", "--no-verbose", "--progress",
                          "-o", "--output-file", "-a", "--append-output"):
            shown = " ".join(cmd.args)    # `…` marks the cut: the masker reads it
            yield Hit(line, f"`wget {shown[:60]}{'…' if len(shown) > 60 else ''}`")


@rules.rule(
    "DF082", "warning", "reliability", "`/bin/sh` replaced with a link",
    "Re-linking `/bin/sh` changes the shell of every later RUN and of the base image's "
    "own scripts; the SHELL instruction exists for this.",
    "Use `SHELL [\"/bin/bash\", \"-c\"]`.",
    peers=("hadolint:DL4005", "kics:8a301064-c291-4b20-adcb-403fe7fd95fd"),
    example=(
        'FROM debian:12-slim\n'
        'SHELL ["/bin/bash", "-c"]\n'
        'RUN echo "using $BASH_VERSION"\n'
        'USER 10001'))
def link_bin_sh(doc, ctx):
    for ins, cmd, line in each_command(doc.model, "ln"):
        if "/bin/sh" in operands(cmd.args)[-1:]:
            yield Hit(line, f"`ln {' '.join(cmd.args)}`")


@rules.rule(
    "DF083", "warning", "performance", "`useradd` with a high UID and no `-l`",
    "useradd records every UID in `/var/log/lastlog` and `faillog` as a sparse file; "
    "with a large UID that file balloons the layer (gigabytes on some storage drivers).",
    "Add `-l` (`--no-log-init`): `useradd -l -u 100001 app`.",
    peers=("hadolint:DL3046",),
    example=(
        'FROM debian:12-slim\n'
        'RUN useradd -l -u 100001 app\n'
        'USER 100001'))
def useradd_high_uid(doc, ctx):
    for ins, cmd, line in each_command(doc.model, "useradd"):
        if has_option(cmd.args, "-l", "--no-log-init"):
            continue
        args = cmd.args
        for i, a in enumerate(args):
            uid = None
            if a in ("-u", "--uid") and i + 1 < len(args):
                uid = args[i + 1]
            elif a.startswith("--uid="):
                uid = a.split("=", 1)[1]
            if uid and uid.isdigit() and len(uid) > 5:
                yield Hit(line, f"`useradd -u {uid}` without `-l`")


def _top_level(ins):
    return sum(1 for c, _ in run_commands(ins) if not c.nested)


@rules.rule(
    "DF084", "suggestion", "performance", "Consecutive RUN instructions",
    "Each RUN is a layer; files deleted in a later RUN still weigh in the earlier one, "
    "and many small layers slow pulls.",
    "Join related commands with `&&` in one RUN (heredocs make long scripts readable). "
    "Only pairs of single-command RUNs are reported: a RUN that already chains commands "
    "was split on purpose, usually for the layer cache.",
    peers=("hadolint:DL3059", "kics:0008c003-79aa-42d8-95b8-1c2fe37dbfe6"),
    example=(
        'FROM debian:12-slim\n'
        'RUN apt-get update && apt-get install -y --no-install-recommends curl \\\n'
        ' && rm -rf /var/lib/apt/lists/*\n'
        'USER 10001'))
def consecutive_run(doc, ctx):
    for st in doc.model.stages:
        prev = None
        for ins in st.instructions:
            if ins.keyword != "RUN":
                prev = None
                continue
            if prev is not None and not prev.heredocs and not ins.heredocs \
                    and prev.flags == ins.flags and _top_level(ins) <= 1 \
                    and _top_level(prev) <= 1:
                yield Hit(ins.line, f"RUN right after the RUN on line {prev.line}")
            prev = ins


_BUILD_TOOLS = lazy_re(
    r"^(?:build-essential|gcc|g\+\+|gcc-c\+\+|clang|make|cmake|autoconf|automake|libtool|"
    r"golang|golang-go|go|rustc|cargo|maven|gradle|openjdk-\d+-jdk|default-jdk|"
    r"musl-dev|linux-headers|python3?-dev|[a-z0-9.+-]+-devel|lib[a-z0-9.+-]+-dev|alpine-sdk)"
    r"(?:[=<>~].*)?$")
_PKG_MANAGERS = ("apt-get", "apt", "apk", "yum", "dnf", "microdnf", "zypper")


@rules.rule(
    "DF085", "warning", "performance", "Build tools shipped in the final image",
    "Compilers, headers and build systems in the final stage add hundreds of MB and "
    "give an attacker a toolchain; the running application does not need them.",
    "Use a multi-stage build: compile in a `FROM … AS build` stage and `COPY --from=build` "
    "only the result into a slim runtime stage (or remove them in the same RUN).",
    positive="Build tools stay out of the final image (multi-stage build)",
    example=(
        'FROM golang:1.23 AS build\n'
        'WORKDIR /src\n'
        'COPY . .\n'
        'RUN go build -o /out/app ./cmd/app\n'
        'FROM gcr.io/distroless/static-debian12:nonroot\n'
        'COPY --from=build /out/app /app\n'
        'ENTRYPOINT ["/app"]'))
def build_tools_final(doc, ctx):
    df = doc.model
    final = df.final_stage
    if final is None:
        return
    shipped = df.shipped_stages()
    found = []
    for st in shipped:
        for ins in st.instructions:
            if ins.keyword != "RUN":
                continue
            cmds = run_commands(ins)
            removed = any(c.name in _PKG_MANAGERS and _subcommand(c, _APK_VALUE_OPTS)[0] in (
                "del", "remove", "purge", "autoremove", "erase") for c, _ in cmds)
            if removed:
                continue
            for c, line in cmds:
                if c.name not in _PKG_MANAGERS:
                    continue
                sub, pkgs = _subcommand(c, _APK_VALUE_OPTS | _APT_VALUE_OPTS)
                if sub in ("install", "add", "in"):
                    tools = [p for p in pkgs if _BUILD_TOOLS.match(p)]
                    if tools:
                        found.append((line, tools))
    if found:
        line, tools = found[0]
        yield Hit(line, f"{_plural(tools)} installed in the final image")
    elif len(df.stages) > 1 and any(ins.has_flag("from") for ins in final.instructions):
        yield Pass(final.from_.line)


_ERREXIT = lazy_re(r"(?m)^\s*set\s+(?:-[a-zA-Z]*e[a-zA-Z]*\b|-o\s+errexit\b|.*\s-[a-zA-Z]*e[a-zA-Z]*\b)")


def _shell_errexit(ins):
    words = ins.shell or []
    return any(re.fullmatch(r"-[a-zA-Z]*e[a-zA-Z]*", w) for w in words[1:]) \
        or "errexit" in words


@rules.rule(
    "DF086", "warning", "reliability", "Heredoc script runs without `set -e`",
    "A RUN heredoc is a script: without `set -e` a failing command in the middle is "
    "ignored and only the last command decides whether the step succeeds, so a broken "
    "download or install can still produce an image.",
    "Start the heredoc with `set -eux` (or `set -euo pipefail` with bash), or chain the "
    "commands with `&&`.",
    example=(
        '# syntax=docker/dockerfile:1\n'
        'FROM debian:12-slim\n'
        'RUN <<EOF\n'
        'set -eux\n'
        'apt-get update\n'
        'apt-get install -y --no-install-recommends curl\n'
        'rm -rf /var/lib/apt/lists/*\n'
        'EOF\n'
        'USER 10001'))
def heredoc_no_errexit(doc, ctx):
    for ins in each_instruction(doc.model, "RUN"):
        if not ins.heredocs or _shell_errexit(ins) or _non_posix_shell(ins):
            continue
        cmds = [(c, line) for c, line in run_commands(ins) if not c.nested]
        if len(cmds) < 2:
            continue
        script = "\n".join(h.body for h in ins.heredocs)
        first = script.lstrip().split("\n", 1)[0]
        if _ERREXIT.search(script) or (first.startswith("#!") and re.search(r"\s-\w*e", first)):
            continue
        if re.search(r"\b(?:bash|sh)\s+-\w*e", ins.args):
            continue
        if any(c.sep_after in ("\n", ";") for c, _ in cmds[:-1]):
            yield Hit(ins.line, f"heredoc on line {ins.heredocs[0].line} runs "
                                f"{len(cmds)} commands without `set -e`")
