"""Shared walkers over a parsed Dockerfile, so that each rule stays short."""

from __future__ import annotations

import re

from infra_expert.dockerfile.parser import expand
from infra_expert.shell import SHELLS, Command, commands


def each_instruction(df, *keywords, onbuild=True):
    """Instructions with one of `keywords`, including the ones wrapped in ONBUILD."""
    for ins in df.instructions:
        if ins.keyword in keywords:
            yield ins
        elif onbuild and ins.inner is not None and ins.inner.keyword in keywords:
            yield ins.inner


def run_commands(ins):
    """[(Command, line)] of a RUN, reading heredoc scripts where they are shell.

    The line is the RUN's first line, as hadolint and BuildKit's checks report it, so
    that suppression comments above the instruction work; the message names the command.
    """
    if ins._commands is not None:
        return ins._commands
    result = []
    if ins.json is not None:
        words = ins.json
        if len(words) >= 3 and words[0].rsplit("/", 1)[-1] in SHELLS and words[1] == "-c":
            result = [(c, ins.line) for c in commands(words[2], ins.shell_vars)]
        elif words:
            result = [(Command(list(words), {}, 0), ins.line)]
    elif not ins.heredocs:
        result = [(c, ins.line) for c in commands(ins.args, ins.shell_vars)]
    else:
        line_cmds = commands(re.sub(r"<<-?\s*\\?[\"']?[A-Za-z0-9_.\-]+[\"']?", " ", ins.args))
        script_heredocs = []
        if not line_cmds or (len(line_cmds) == 1 and line_cmds[0].name in SHELLS):
            script_heredocs = list(ins.heredocs)   # RUN <<EOF / RUN <<EOF bash
        else:
            result = [(c, ins.line) for c in line_cmds]
            for c in line_cmds:
                if c.name in SHELLS and not any(a.startswith("-c") for a in c.args):
                    script_heredocs = ins.heredocs[:1]   # `bash <<EOF`, `sh -s <<EOF`
        for h in script_heredocs:
            first = h.body.split("\n", 1)[0]
            if first.startswith("#!") and not any(s in first for s in SHELLS):
                continue  # python, node, ... scripts
            result.extend((c, ins.line) for c in commands(h.body, ins.shell_vars))
    ins._commands = result
    return result


def shell_text(ins):
    """The shell script text of a RUN (args and shell heredoc bodies)."""
    parts = [ins.args] if ins.json is None else [" ".join(ins.json)]
    parts.extend(h.body for h in ins.heredocs)
    return "\n".join(parts)


def _command_index(df):
    """Every (RUN, Command, line) of the file, and the same grouped by command name;
    built once per file, since most rules look for a few command names."""
    index = df.cache.get("commands")
    if index is None:
        every, by_name = [], {}
        for ins in each_instruction(df, "RUN"):
            for cmd, line in run_commands(ins):
                item = (ins, cmd, line)
                every.append(item)
                by_name.setdefault(cmd.name, []).append(item)
        index = df.cache["commands"] = (every, by_name)
    return index


def each_command(df, *names, shipped_only=False):
    """(RUN instruction, Command, line) for commands named `names` (all if none given)."""
    every, by_name = _command_index(df)
    if names:
        if len(names) == 1:
            items = by_name.get(names[0], ())
        else:
            items = [it for it in every if it[1].name in names]
    else:
        items = every
    if shipped_only:
        stages = set(id(s) for s in df.shipped_stages())
        items = [it for it in items if id(it[0].stage) in stages]
    return iter(items)


def mounts(ins):
    """RUN --mount options as dicts, e.g. {'type': 'cache', 'target': '/root/.cache'}."""
    out = []
    for value in ins.flag_values("mount"):
        opts = {}
        for part in value.split(","):
            k, eq, v = part.partition("=")
            opts[k.strip().lower()] = v.strip() if eq else "true"
        opts.setdefault("type", "bind")
        if "target" not in opts:
            opts["target"] = opts.get("dst", opts.get("destination", ""))
        out.append(opts)
    return out


def has_cache_mount(ins, *paths):
    """True if a cache or tmpfs mount targets one of `paths` (substring match)."""
    for m in mounts(ins):
        if m["type"] in ("cache", "tmpfs"):
            target = m["target"].rstrip("/")
            if any(p in target for p in paths):
                return True
    return False


def resolve(text, ins):
    """`text` with the ARG/ENV values in scope at `ins`; (value, unresolved names)."""
    return expand(text, ins.env or {})


def final_user(stage):
    """(user, USER instruction) that the stage finally runs as, following parents."""
    for st in stage.inherited():
        for ins in reversed(st.instructions):
            if ins.keyword == "USER":
                return ins.args.strip(), ins
    return None, None
