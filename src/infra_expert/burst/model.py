"""A cloud bursting script read as data: the machines and clusters it creates, what tears
them down (and whether a trap does), its `set` options, its functions.

Shell scripts are read with the core shell reader (`infra_expert.shell.commands`). A
Makefile's recipe lines (tab-indented) are read as shell at their own line numbers, after
`$$` is turned into `$` and simple Make variables are put in.
"""

from __future__ import annotations

import re

from infra_expert.lazyre import lazy_re

# (tool, subcommand words, provider label, names unique?, type option, declarative?)
# `unique`: the provider refuses a second machine of the same name, so a rerun stops at
# "already exists" rather than starting a second one.
CREATES = (
    ("scw", ("instance", "server", "create"), "Scaleway", False, "type", False),
    ("aws", ("ec2", "run-instances"), "AWS", False, "--instance-type", False),
    ("hcloud", ("server", "create"), "Hetzner Cloud", True, "--type", False),
    ("gcloud", ("compute", "instances", "create"), "Google Compute Engine", True,
     "--machine-type", False),
    ("az", ("vm", "create"), "Azure", True, "--size", False),
    ("doctl", ("compute", "droplet", "create"), "DigitalOcean", False, "--size", False),
    ("eksctl", ("create", "cluster"), "EKS", True, "--node-type", False),
    ("gcloud", ("container", "clusters", "create"), "GKE", True, "--machine-type", False),
    ("terraform", ("apply",), "Terraform", True, None, True),
    ("tofu", ("apply",), "OpenTofu", True, None, True),
    ("kubectl", ("scale",), "Kubernetes", True, None, True),
)

# Reads of the same resource that make a create safe to rerun.
CHECKS = {
    ("scw", ("instance", "server", "create")): (("instance", "server", "list"),
                                                ("instance", "server", "get")),
    ("aws", ("ec2", "run-instances")): (("ec2", "describe-instances"),),
    ("hcloud", ("server", "create")): (("server", "describe"), ("server", "list")),
    ("gcloud", ("compute", "instances", "create")): (("compute", "instances", "describe"),
                                                     ("compute", "instances", "list")),
    ("az", ("vm", "create")): (("vm", "show"), ("vm", "list")),
    ("doctl", ("compute", "droplet", "create")): (("compute", "droplet", "get"),
                                                  ("compute", "droplet", "list")),
    ("eksctl", ("create", "cluster")): (("get", "cluster"),),
    ("gcloud", ("container", "clusters", "create")): (("container", "clusters", "describe"),
                                                      ("container", "clusters", "list")),
}

# Commands that give back what a create took.
TEARDOWNS = (
    ("scw", ("instance", "server", "delete")), ("scw", ("instance", "server", "terminate")),
    ("aws", ("ec2", "terminate-instances")),
    ("hcloud", ("server", "delete")),
    ("gcloud", ("compute", "instances", "delete")),
    ("az", ("vm", "delete")), ("az", ("group", "delete")),
    ("doctl", ("compute", "droplet", "delete")),
    ("eksctl", ("delete", "cluster")),
    ("gcloud", ("container", "clusters", "delete")),
    ("terraform", ("destroy",)), ("tofu", ("destroy",)),
)

# A quick look before parsing: does the text name one of the creates at all?
_CREATE_HINT = lazy_re(
    r"\b(?:instance\s+server\s+create|ec2\s+(?:\S+\s+){0,4}run-instances|server\s+create|"
    r"compute\s+instances\s+create|vm\s+create|droplet\s+create|create\s+cluster|"
    r"clusters\s+create|apply|scale)\b")
_MAKE_VAR = lazy_re(r"^[ ]*(?:export[ \t]+|override[ \t]+)?(\.?[A-Za-z_][A-Za-z0-9_.-]*)[ \t]*"
                    r"(?:\?=|:=|::=|\+=|=)[ \t]*(.*)$")
_MAKE_REF = lazy_re(r"\$[({]([A-Za-z_][A-Za-z0-9_.-]*)[)}]")
_FUNCTION = lazy_re(r"^[ \t]*(?:function[ \t]+([A-Za-z_][\w:-]*)[ \t]*(?:\(\))?|"
                    r"([A-Za-z_][\w:-]*)[ \t]*\(\))[ \t]*\{?[ \t]*$")


class Action:
    """One create or teardown command."""

    __slots__ = ("cmd", "tool", "seq", "provider", "unique", "type_option", "declarative",
                 "line")

    def __init__(self, cmd, tool, seq, provider=None, unique=False, type_option=None,
                 declarative=False):
        self.cmd = cmd
        self.tool = tool
        self.seq = seq
        self.provider = provider
        self.unique = unique
        self.type_option = type_option
        self.declarative = declarative
        self.line = cmd.line + 1        # 1-based

    @property
    def label(self):
        return " ".join((self.tool,) + self.seq)


class Script:
    __slots__ = ("kind", "shell", "commands", "creates", "teardowns", "traps", "functions",
                 "set_flags", "set_line", "oneshell", "shellflags", "shellflags_line",
                 "text", "lines")

    def __init__(self, kind):
        self.kind = kind              # "script" | "makefile"
        self.shell = "sh"
        self.commands = []
        self.creates = []
        self.teardowns = []
        self.traps = []               # (Command, handler, [signals])
        self.functions = {}           # name -> (first line, last line), 0-based
        self.set_flags = set()        # "e", "u", "pipefail", before the first create
        self.set_line = None
        self.oneshell = False
        self.shellflags = None
        self.shellflags_line = None
        self.text = ""
        self.lines = []


def positional(words):
    """The words of a command that are not options (`aws --region x ec2 run-instances` →
    aws, x, ec2, run-instances): enough to find a subcommand after global options."""
    return [w for w in words if not w.startswith("-")]


def matches(cmd, tool, seq):
    if cmd.name != tool:
        return False
    pos = positional(cmd.words[1:])[:len(seq) + 3]
    n = len(seq)
    return any(tuple(pos[i:i + n]) == seq for i in range(len(pos) - n + 1))


def looks_like_ours(text):
    """True when the text runs a create (parsed, not in a comment or an `echo`)."""
    if not _CREATE_HINT.search(text):
        return False
    try:
        return bool(parse(text, "script").creates)
    except Exception:  # noqa: BLE001 - not ours, then
        return False


def makefile_script(text):
    """The recipe lines of a Makefile as one shell text, each at its own line (other
    lines blank), with `$$` → `$` and simple Make variables put in; also whether
    `.ONESHELL:` is set and `.SHELLFLAGS`."""
    lines = text.split("\n")
    variables = {}
    out = []
    oneshell = False
    shellflags = None
    in_recipe = False
    continued = False
    for i, raw in enumerate(lines):
        if raw.startswith("\t") and (in_recipe or continued):
            body = raw[1:]
            if not continued:
                body = body.lstrip(" ")
                while body[:1] in ("@", "-", "+") and body:
                    body = body[1:]
            out.append(body)
            continued = raw.endswith("\\")
            continue
        if continued:          # a continued recipe line without its tab
            out.append(raw)
            continued = raw.endswith("\\")
            continue
        out.append("")
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith(".ONESHELL"):
            oneshell = True
        m = _MAKE_VAR.match(raw)
        if m and not raw.startswith("\t"):
            name, value = m.group(1), m.group(2).split(" #", 1)[0].strip()
            if name == ".SHELLFLAGS":
                shellflags = (value, i)
            elif name == "SHELL":
                variables[name] = value
            else:
                variables[name] = value
            in_recipe = False
            continue
        if ":" in raw and not raw.startswith((" ", "\t")):
            in_recipe = True          # a rule line: the tab-indented lines below are its recipe
            target, _, rest = raw.partition(":")
            rest = rest.lstrip(":")
            if ";" in rest:            # `target: ; command`
                out[-1] = rest.split(";", 1)[1]
            continue
        in_recipe = False

    def put(m):
        value = variables.get(m.group(1))
        if value is None or "$" in value:
            return "${" + m.group(1) + "}"
        return value

    script = "\n".join(_MAKE_REF.sub(put, line).replace("$$", "$") for line in out)
    return script, oneshell, shellflags, variables.get("SHELL", "")


def _set_flags(cmd, flags):
    """Add the `set` options a command turns on: `-e`, `-u`, `-o pipefail`, long names."""
    long_names = {"errexit": "e", "nounset": "u", "pipefail": "pipefail"}
    args = cmd.args
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("-") and not a.startswith("--"):
            for ch in a[1:]:
                if ch == "o":
                    if i + 1 < len(args):
                        i += 1
                        if args[i] in long_names:
                            flags.add(long_names[args[i]])
                elif ch in "eu":
                    flags.add(ch)
        i += 1


def _functions(lines):
    """name -> (first, last) 0-based line span of each function defined in the text."""
    found = {}
    i, n = 0, len(lines)
    while i < n:
        m = _FUNCTION.match(lines[i])
        if m:
            name = m.group(1) or m.group(2)
            indent = len(lines[i]) - len(lines[i].lstrip())
            j = i + 1
            while j < n:
                s = lines[j]
                if s.strip() == "}" and len(s) - len(s.lstrip()) <= indent:
                    break
                j += 1
            found[name] = (i, j)
            i = j + 1
            continue
        i += 1
    return found


def parse(text, kind):
    from infra_expert.shell import commands
    script = Script(kind)
    script.text = text
    script.lines = text.split("\n")
    first = script.lines[0] if script.lines else ""
    if kind == "makefile":
        body, script.oneshell, flags, shell = makefile_script(text)
        if flags is not None:
            script.shellflags, script.shellflags_line = flags[0], flags[1] + 1
        script.shell = "bash" if "bash" in shell else "sh"
    else:
        body = text
        if first.startswith("#!"):
            script.shell = "bash" if re.search(r"\b(?:bash|zsh|ksh)\b", first) else "sh"
            for part in first.split()[1:]:
                if part.startswith("-") and not part.startswith("--"):
                    script.set_flags.update(ch for ch in part[1:] if ch in "eu")
        elif kind == "script":
            script.shell = "bash"
    cmds = commands(body)
    script.commands = cmds
    script.functions = _functions(body.split("\n"))
    for cmd in cmds:
        for tool, seq, provider, unique, type_option, declarative in CREATES:
            if matches(cmd, tool, seq):
                script.creates.append(Action(cmd, tool, seq, provider, unique, type_option,
                                             declarative))
                break
        else:
            for tool, seq in TEARDOWNS:
                if matches(cmd, tool, seq):
                    script.teardowns.append(Action(cmd, tool, seq))
                    break
        if cmd.name == "trap" and len(cmd.args) >= 2 and not cmd.args[0].startswith("-"):
            script.traps.append((cmd, cmd.args[0], [s.upper() for s in cmd.args[1:]]))
    first_create = min((a.cmd.line for a in script.creates), default=None)
    for cmd in cmds:
        if cmd.name == "set" and (first_create is None or cmd.line <= first_create):
            before = set(script.set_flags)
            _set_flags(cmd, script.set_flags)
            if script.set_flags != before and script.set_line is None:
                script.set_line = cmd.line + 1
    return script
