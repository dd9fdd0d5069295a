"""Cloud bursting rules: scripts and Makefiles that rent a machine or a cluster, run a job
on it and give it back. What goes wrong there costs money (a GPU left running over a
weekend), leaks keys, or moves data in the clear.

A script is a *burst* when it gives back what it creates (a delete, a destroy, a later
`kubectl scale`, an auto-delete flag) or its name says so: only those are asked for a
runtime cap and a budget check — a script that provisions a long-lived server is not.
"""

from __future__ import annotations

import os
import re

from infra_expert.burst.model import CHECKS, matches, positional
from infra_expert.lazyre import lazy_re
from infra_expert.model import Hit, Pass, RuleSet

rules = RuleSet("burst")

EXAMPLE = """\
#!/usr/bin/env bash
# Render on a rented GPU, then give it back whatever happens.
set -euo pipefail

: "${SCW_SECRET_KEY:?export SCW_SECRET_KEY (from the password manager)}"
NAME=render-burst
MAX_COST_EUR=5          # budget: 2 h of GPU-3070-S at about EUR 1.10/h

cleanup() {
  if [ -n "${ID:-}" ]; then
    scw instance server terminate "$ID" with-ip=true
  fi
}
trap cleanup EXIT

ID=$(scw instance server list name="$NAME" -o json | jq -r '.[0].id // empty')
if [ -z "$ID" ]; then
  ID=$(scw instance server create type=GPU-3070-S image=ubuntu_jammy_gpu_os_12 \\
    name="$NAME" ip=new -w -o json | jq -r .id)
fi
IP=$(scw instance server get "$ID" -o json | jq -r .public_ip.address)

rsync -az -e ssh ./scenes/ "root@$IP:/srv/scenes/"
timeout 2h ssh "root@$IP" /srv/render.sh
rsync -az -e ssh "root@$IP:/srv/out/" ./out/
"""

# `timeout DURATION`: a number, or a variable holding one (`timeout "${HOURS}h"`)
_TIMEOUT = lazy_re(r"(?:^|[\s;&|(`])timeout[ \t]+(?:-\S+[ \t]+)*(?:\d|[\"']?\$)|"
                   r"--max-run-duration|"
                   r"--termination-time|shutdown[ \t]+(?:-\w+[ \t]+)*\+\d|"
                   r"--on-active|\bat[ \t]+now[ \t]*\+", re.MULTILINE)
_BUDGET = lazy_re(r"(?i)budget|(?:max|limit)[_-]?(?:cost|price|spend|eur|usd)|"
                  r"cost[_-]?(?:limit|cap|max)|infracost|\bce[ \t]+get-cost|"
                  r"\bbilling[ \t]|\bconsumption[ \t]")
_GPU = lazy_re(r"(?i)gpu|h100|a100|h200|l40|\bl4-|v100|\bt4\b|rtx|render-s|3070|"
               r"^(?:g[4-6]\w*|p[2-5]\w*)\.|^(?:gx|ccx\w*-gpu)|nvidia|accelerator")
_SAFE_HOST = lazy_re(r"^(?:https?|ftp)://(?:localhost|127\.|\[::1\]|169\.254\.169\.254|"
                     r"metadata\.google\.internal|0\.0\.0\.0)(?:[:/]|$)")
_PLAIN_URL = lazy_re(r"(?i)^(?:http|ftp)://")
_ASSIGNMENT_LINE = lazy_re(
    r"^[ \t]*(?:(?:export|readonly|local|declare|typeset|override)[ \t]+(?:-\w+[ \t]+)*)?"
    r"([A-Za-z_][A-Za-z0-9_]*)[ \t]*(?:\?=|:=|::=|\+=|=)[ \t]*(.*)$")
_SCW_ACCESS_KEY = lazy_re(r"^SCW[A-Z0-9]{17}$")
_SECRET_FLAGS = ("--token", "--access-token", "--api-key", "--apikey", "--secret-key",
                 "--secret", "--password", "--client-secret", "--aws-secret-access-key")


def _script(doc):
    return doc.model


def _imperative(script):
    return [a for a in script.creates if not a.declarative]


def _auto_delete(action):
    words = action.cmd.words
    joined = " ".join(words)
    if action.tool == "gcloud" and ("--max-run-duration" in joined
                                    or "--termination-time" in joined):
        return "DELETE" in joined.upper().split("--INSTANCE-TERMINATION-ACTION", 1)[-1][:12]
    if action.tool == "aws":
        for i, w in enumerate(words):
            if w.startswith("--instance-initiated-shutdown-behavior"):
                value = w.partition("=")[2] or (words[i + 1] if i + 1 < len(words) else "")
                return value == "terminate"
    return False


def _trap_cover(script):
    """The line of a trap on EXIT (or ERR) whose handler gives something back, directly
    or through a function of the script; None when there is none."""
    from infra_expert.burst.model import TEARDOWNS
    from infra_expert.shell import commands
    downs = TEARDOWNS + (("kubectl", ("scale",)),)
    for cmd, handler, signals in script.traps:
        if not {"EXIT", "0", "ERR", "SIGEXIT"} & set(signals):
            continue
        inner = commands(handler)
        if any(matches(c, tool, seq) for c in inner for tool, seq in downs):
            return cmd.line + 1
        spans = [script.functions[c.name] for c in inner if c.name in script.functions]
        actions = script.teardowns + [a for a in script.creates if a.tool == "kubectl"]
        if any(first <= a.cmd.line <= last for a in actions for first, last in spans):
            return cmd.line + 1
    return None


def _later_scales(script, action):
    """Later `kubectl scale` of the same target: what puts a scaled workload back."""
    target = [w for w in positional(action.cmd.words[1:]) if w != "scale"][:1]
    return [a for a in script.creates if a.tool == "kubectl" and a.line > action.line
            and [w for w in positional(a.cmd.words[1:]) if w != "scale"][:1] == target]


def is_burst(doc):
    script = _script(doc)
    if script.teardowns or any(_auto_delete(a) for a in script.creates):
        return True
    name = os.path.basename(doc.path).lower()
    return "burst" in name and bool(_imperative(script))


def _code_lines(script):
    """(1-based line, text) of the lines that are not comments."""
    for i, raw in enumerate(script.lines):
        if not raw.lstrip().startswith("#"):
            yield i + 1, raw


@rules.rule(
    "CB001", "critical", "security", "Cloud credential written in the script",
    "An API token or secret key in a script is in every copy, backup and commit of it, "
    "and a cloud key buys machines: whoever reads it can run up the bill or delete what "
    "runs. Cloud CLIs read their keys from the environment or their own config file.",
    "Remove the value: export the variable from a secret store (`pass`, `op run`, "
    "`sops exec-env`) or let the CLI read its profile (`scw init`, `aws configure`, "
    "`hcloud context create`), and check it is set: `: \"${HCLOUD_TOKEN:?}\"`. "
    "Then revoke the key that was written here.",
    example=EXAMPLE)
def hardcoded_credential(doc, ctx):
    from infra_expert.secrets import is_literal_secret_value, is_secret_name, token_kind
    script = _script(doc)
    seen = set()
    for line, raw in _code_lines(script):
        m = _ASSIGNMENT_LINE.match(raw)
        if m:
            name, value = m.group(1), m.group(2).strip()
            value = re.split(r"[ \t]+#", value, 1)[0].strip().strip("\"'")
            if is_secret_name(name) and value and is_literal_secret_value(value, name) \
                    and not _SCW_ACCESS_KEY.match(value):
                seen.add(line)
                yield Hit(line, f"`{name}` is given a literal value here.")
                continue
    for cmd in script.commands:
        line = cmd.line + 1
        if line in seen:
            continue
        for name, value in cmd.assignments.items():
            if is_secret_name(name) and is_literal_secret_value(value, name):
                seen.add(line)
                yield Hit(line, f"`{name}` is given a literal value for `{cmd.name}`.")
                break
        else:
            words = cmd.words
            for i, w in enumerate(words):
                flag, eq, value = w.partition("=")
                if flag in _SECRET_FLAGS or (cmd.name == "scw" and flag in
                                             ("secret-key", "access-token")):
                    if not eq:
                        if not flag.startswith("--") or i + 1 >= len(words):
                            continue
                        value = words[i + 1]
                    if value and is_literal_secret_value(value, flag.lstrip("-")):
                        seen.add(line)
                        yield Hit(line, f"`{cmd.name}` is given `{flag}` as a literal value.")
                        break
    for i, raw in enumerate(script.lines):
        kind = token_kind(raw)
        if kind and i + 1 not in seen:
            seen.add(i + 1)
            yield Hit(i + 1, f"A {kind} is written in the script.")


def _insecure(cmd):
    """Why a transfer command moves data without TLS or SSH, or None."""
    from infra_expert.shell import has_option
    name = cmd.name
    args = cmd.args
    if name == "curl" and has_option(args, "-k", "--insecure"):
        return "`curl -k` accepts any certificate"
    if name == "wget" and "--no-check-certificate" in args:
        return "`wget --no-check-certificate` accepts any certificate"
    if name == "rsync":
        remote_shell = any(a in ("-e", "--rsh") or a.startswith(("--rsh=", "-e")) and
                           a not in ("-e",) and not a.startswith("--exclude")
                           for a in args if a.startswith(("-e", "--rsh")))
        for a in args:
            if a.startswith("rsync://"):
                return f"`{a}` is the rsync daemon protocol, unencrypted"
            if not a.startswith("-") and re.match(r"^[^/\s:]+::", a) and not remote_shell:
                return f"`{a}` (host::module) is the rsync daemon protocol, unencrypted"
    if name in ("curl", "wget", "scp", "rsync", "aria2c", "lftp", "ftp", "aws", "gsutil",
                "rclone", "git"):
        for a in args:
            value = a.partition("=")[2] if a.startswith("-") else a
            if _PLAIN_URL.match(value) and not _SAFE_HOST.match(value):
                return f"`{value.split('?')[0][:80]}` is fetched or sent in the clear"
    return None


@rules.rule(
    "CB002", "warning", "security", "Data moved without encryption or verification",
    "A burst job ships data and code to a machine on the public internet and brings the "
    "results back. Plain `http://` or `ftp://`, `curl -k`, `wget --no-check-certificate` "
    "or the rsync daemon protocol let anyone on the path read or change them; code "
    "fetched that way and run is theirs to write.",
    "Use `https://` with certificate checks on, `rsync -e ssh host:/path`, `scp`, or the "
    "provider's object storage over TLS (`aws s3 cp`, `rclone` with an `https` endpoint).",
    example=EXAMPLE)
def insecure_transfer(doc, ctx):
    from infra_expert.shell import SHELLS
    for cmd in _script(doc).commands:
        why = _insecure(cmd)
        if why is None:
            continue
        if cmd.pipe_out is not None and cmd.pipe_out.name in SHELLS:
            yield Hit(cmd.line + 1, f"{why}, and what comes back is run by "
                                    f"`{cmd.pipe_out.name}`: whoever is on the path runs "
                                    "code here.", severity="critical")
        else:
            yield Hit(cmd.line + 1, f"{why}.")


@rules.rule(
    "CB003", "warning", "reliability", "Machine not given back when a step fails",
    "A burst machine costs money every hour it exists. A delete written as the last line "
    "of the script is skipped whenever a step before it fails (with `set -e`, at the "
    "first error) or the script is interrupted: the GPU keeps billing until someone "
    "notices.",
    "Delete in a trap set right after the create: `cleanup() { scw instance server "
    "terminate \"$ID\" with-ip=true; }; trap cleanup EXIT` (or `terraform destroy "
    "-auto-approve` in the trap), or let the provider delete it "
    "(`gcloud compute instances create --max-run-duration=2h "
    "--instance-termination-action=DELETE`).",
    positive="Gives back what it rents in an EXIT trap (line {trap}) or with an "
             "auto-delete flag.",
    example=EXAMPLE)
def cleanup_on_failure(doc, ctx):
    script = _script(doc)
    if script.kind == "makefile" or not script.creates:
        return
    trap_line = _trap_cover(script)
    auto = [a for a in script.creates if _auto_delete(a)]
    if trap_line or auto:
        yield Pass(trap_line or auto[0].line, trap=trap_line or auto[0].line)
        return
    scales = [a for a in script.creates if a.tool == "kubectl"]
    for action in script.creates:
        if action.tool == "kubectl":
            if action is not scales[0]:
                continue
            later = _later_scales(script, action)
            if later:
                yield Hit(action.line, f"`kubectl scale` on line {action.line} is put back "
                                       f"on line {later[-1].line}, which a failing step "
                                       "before it skips: set it back in an EXIT trap.")
            continue
        downs = [t for t in script.teardowns if t.line > action.line
                 and (t.tool == action.tool or (action.declarative and t.seq == ("destroy",)))]
        if downs:
            yield Hit(action.line,
                      f"`{action.label}` on line {action.line} is given back by "
                      f"`{downs[0].label}` on line {downs[0].line}, which a failing or "
                      "interrupted step before it skips: nothing deletes it then.")
            return
        if not action.declarative and is_burst(doc):
            yield Hit(action.line, f"`{action.label}` on line {action.line}: nothing in "
                                   "this burst script deletes the machine again.")
            return


@rules.rule(
    "CB004", "warning", "reliability", "Create not safe to rerun",
    "Burst scripts are rerun after a failure. A create with no look first starts a "
    "second machine (Scaleway, AWS and DigitalOcean accept duplicate names, so the first "
    "keeps billing, unknown to the script) or stops at \"already exists\" (Hetzner, "
    "Google, Azure). `|| true` after it only hides the error.",
    "Look before creating: `ID=$(hcloud server list -o noheader -o columns=id "
    "--selector job=render)`, and create only when it is empty; or pass an idempotency "
    "token (`aws ec2 run-instances --client-token \"$RUN_ID\"`); or describe the machine "
    "with Terraform/OpenTofu, whose `apply` converges.",
    positive="Looks before it creates, or uses a declarative tool: safe to rerun.",
    example=EXAMPLE)
def idempotent_create(doc, ctx):
    script = _script(doc)
    if not script.creates:
        return
    for action in _imperative(script):
        checks = CHECKS.get((action.tool, action.seq), ())
        found = any(matches(c, action.tool, seq) and c.line <= action.cmd.line
                    for c in script.commands for seq in checks)
        if found or any(w.startswith("--client-token") for w in action.cmd.words):
            continue
        if action.unique:
            yield Hit(action.line, f"`{action.label}` does not look first: {action.provider} "
                                   "refuses a second machine of the same name, so a rerun "
                                   "stops at \"already exists\".", severity="suggestion")
        else:
            yield Hit(action.line, f"`{action.label}` does not look first: {action.provider} "
                                   "starts a second machine on a rerun, and the first "
                                   "one keeps billing.")
    yield Pass(script.creates[0].line)


@rules.rule(
    "CB005", "warning", "reliability", "Script does not stop at the first error",
    "Without `set -e` a failed upload is followed by a job on missing data and a download "
    "of nothing; without `-u` an unset `$ID` turns `delete \"$ID\"` into a call with no "
    "machine; without `pipefail` `create | jq -r .id` succeeds when the create failed.",
    "Start the script with `set -euo pipefail` (bash; `set -eu` in a POSIX `sh` script). "
    "In a Makefile with `.ONESHELL:`, set `SHELL := bash` and "
    "`.SHELLFLAGS := -euo pipefail -c`.",
    positive="Stops at the first error (`set -euo pipefail`).",
    example=EXAMPLE)
def strict_mode(doc, ctx):
    script = _script(doc)
    if not script.creates:
        return
    if script.kind == "makefile":
        if not script.oneshell:
            return
        flags = script.shellflags or "-c"
        if not re.search(r"(?:^|\s)-\w*e", flags) and "errexit" not in flags:
            at = next((i + 1 for i, raw in enumerate(script.lines)
                       if raw.startswith(".ONESHELL")), 1)
            yield Hit(script.shellflags_line or at,
                      "`.ONESHELL:` runs each recipe as one shell, and only its last "
                      "command's status stops make: `.SHELLFLAGS` has no `-e`.")
        return
    wanted = ["e", "u"] + (["pipefail"] if script.shell == "bash" else [])
    missing = [w for w in wanted if w not in script.set_flags]
    if not missing:
        yield Pass(script.set_line or 1)
        return
    shown = ", ".join(f"`-o {m}`" if m == "pipefail" else f"`-{m}`" for m in missing)
    line = script.set_line or (2 if script.lines and script.lines[0].startswith("#!") else 1)
    yield Hit(line, f"{shown} not set before the first create (line "
                    f"{script.creates[0].line}).")


@rules.rule(
    "CB006", "suggestion", "reliability", "No maximum runtime for the rented machine",
    "An EXIT trap gives the machine back when the script ends, not when the job hangs: a "
    "stuck job over ssh keeps the machine, and the bill, running until someone looks. "
    "On a GPU that is tens of euros a day.",
    "Bound the job (`timeout 2h ssh \"$host\" ./job.sh`) and, where the provider can, the "
    "machine itself (`--max-run-duration=3h --instance-termination-action=DELETE` on "
    "Google; `--instance-initiated-shutdown-behavior terminate` and `shutdown -h +180` in "
    "the user data on AWS).",
    example=EXAMPLE)
def max_runtime(doc, ctx):
    script = _script(doc)
    machines = _imperative(script)
    if not machines or not is_burst(doc):
        return
    if any(_TIMEOUT.search(raw) for _, raw in _code_lines(script)):
        return
    action = machines[0]
    gpu = any(_GPU.search(w.partition("=")[2] or w) for w in action.cmd.words[1:])
    if gpu:
        yield Hit(action.line, f"`{action.label}` rents a GPU machine and nothing bounds "
                               "how long it runs: no `timeout`, no maximum run duration.",
                  severity="warning")
    else:
        yield Hit(action.line, f"`{action.label}`: nothing bounds how long the machine "
                               "runs (no `timeout`, no maximum run duration).")


def _has_type(action):
    words = action.cmd.words
    if action.tool == "scw":
        return any(w.startswith("type=") for w in words)
    opts = (action.type_option, "--launch-template", "--source-instance-template",
            "--config-file", "-f", "--image-family-template")
    return any(w.split("=", 1)[0] in opts for w in words)


@rules.rule(
    "CB007", "suggestion", "reliability", "Machine type left to the provider's default",
    "What a burst costs is its machine type times its hours. Without an explicit type the "
    "price depends on a default that differs between providers and changes over time, "
    "and a reader cannot tell what the script spends.",
    "Name the type where the machine is created (`type=GPU-3070-S`, `--instance-type "
    "g5.xlarge`, `--machine-type g2-standard-4`, `--type cx22`, `--size s-2vcpu-4gb`), "
    "with its hourly price in a comment.",
    example=EXAMPLE)
def explicit_type(doc, ctx):
    for action in _imperative(_script(doc)):
        if action.type_option and not _has_type(action):
            shown = "type=" if action.tool == "scw" else action.type_option
            yield Hit(action.line, f"`{action.label}` without `{shown}`: the provider's "
                                   "default machine type decides the price.")


@rules.rule(
    "CB008", "suggestion", "reliability", "No budget check before renting",
    "A burst script is run often and by habit. A check of what the run may cost (hours "
    "times the hourly price against a cap) or of the month's spend (`aws ce "
    "get-cost-and-usage`, a provider budget alert) catches the loop that rents ten "
    "machines, or the job that now takes a day.",
    "Write the cap down and check it before creating: `MAX_COST_EUR=5`, compare "
    "`HOURS * PRICE` against it and stop when over; or set a budget alert at the provider "
    "(`aws budgets create-budget`, `gcloud billing budgets create`).",
    example=EXAMPLE)
def budget_check(doc, ctx):
    script = _script(doc)
    machines = _imperative(script)
    if not machines or not is_burst(doc):
        return
    if any(_BUDGET.search(raw) for raw in script.lines):
        return
    yield Hit(machines[0].line, f"`{machines[0].label}`: no cost cap or budget check "
                                "anywhere in the script.")


@rules.rule(
    "CB009", "warning", "reliability", "rclone transfer that loses data or hides its failure",
    "A burst script moves its inputs and results with rclone; a machine deleted after a "
    "failed copy takes the results with it. What hurts is what the script adds to rclone's "
    "sound defaults: `--dry-run` left in, retries or timeouts switched off, `sync` from a "
    "remote onto a local folder (it deletes local files missing on the remote), output "
    "sent to /dev/null, `|| true` after a transfer, or — without `set -e` — a transfer "
    "whose exit status nothing checks before the machine is given back.",
    "Drop `--dry-run` and `|| true`; keep the retry and timeout defaults; prefer `copy`, or "
    "add `--backup-dir`/`--max-delete` to `sync`; log with `--log-file`; run the script "
    "with `set -euo pipefail` or check the copy (`rclone copy … || exit 1`) before deleting "
    "the machine.",
    example=EXAMPLE)
def rclone_transfer(doc, ctx):
    from infra_expert.rclone import analyse, combined, ignored_message, script_runs, subcommand
    script = _script(doc)
    if "rclone" not in script.text:
        return
    strict = "e" in script.set_flags
    gives_back = bool(script.teardowns) or any(_auto_delete(a) for a in script.creates)
    for run in script_runs(script.commands, script.lines):
        said = analyse(run.words, discarded=run.discarded)
        found = subcommand(run.words)
        moves = found is not None and found[0] in ("sync", "copy", "move", "bisync",
                                                   "copyto", "moveto")
        if moves and run.ignored:
            said.append(ignored_message(found[0]))
        elif moves and not strict and not run.checked and gives_back \
                and script.kind == "script" and not ({"--dry-run", "-n"} & set(found[1])) \
                and any(c.line > run.line and not c.nested for c in script.commands):
            said.append((f"without `set -e` nothing checks the exit status of `rclone "
                         f"{found[0]}`: a failed transfer goes unnoticed and the script "
                         "carries on, to the point where it gives the machine back",
                         "warning"))
        one = combined(said)
        if one:
            yield Hit(run.line + 1, one[0],
                      severity=None if one[1] == "warning" else one[1])
