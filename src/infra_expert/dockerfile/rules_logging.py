"""Dockerfile rules about what the image and its build log: debug defaults baked into the
image, and shell tracing that prints secrets into build logs."""

from __future__ import annotations

import re

from infra_expert.dockerfile.parser import env_pairs
from infra_expert.dockerfile.walkers import each_instruction, shell_text
from infra_expert.knowledge import debug_switch, is_dev_file, is_fixture_path
from infra_expert.lazyre import lazy_re
from infra_expert.model import Hit, RuleSet
from infra_expert.secrets import is_secret_name

rules = RuleSet("dockerfile")

# `set -x`, `set -eux`, `set -o xtrace`, `bash -x`, `sh -xc` …
_XTRACE = lazy_re(r"(?:^|[;&|(\s])set\s+(?:-[a-wyzA-Z]*x[a-zA-Z]*|-o\s+xtrace)\b|"
                  r"(?:^|[;&|(\s])(?:/bin/|/usr/bin/)?(?:ba|da|z)?sh\s+-[a-wyzA-Z]*x",
                  re.MULTILINE)
_VAR = lazy_re(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_SECRET_FILE = lazy_re(r"\$\(\s*cat\s+/run/secrets/|<\s*/run/secrets/")


@rules.rule(
    "DF102", "suggestion", "security", "Debug default baked into the image",
    "An `ENV` in the shipped stage is the default of every container of the image: a "
    "framework's debug mode (`FLASK_DEBUG=1`, `NODE_ENV=development`) shows tracebacks and "
    "settings to whoever triggers an error, and a debug log level fills disks and leaks "
    "tokens and personal data into logs wherever the image runs.",
    "Ship production defaults (`ENV LOG_LEVEL=info NODE_ENV=production`) and turn debug "
    "on at run time where you need it.",
    example='FROM node:22-bookworm-slim\nENV NODE_ENV=production LOG_LEVEL=info\n'
            'COPY --chown=node . /app\nUSER node\nCMD ["node", "/app/server.js"]')
def debug_default(doc, ctx):
    if is_dev_file(doc.path) or is_fixture_path(doc.path):
        return
    df = doc.model
    shipped = {id(s) for s in df.shipped_stages()}
    for ins in each_instruction(df, "ENV", onbuild=False):
        if ins.stage is None or id(ins.stage) not in shipped:
            continue
        for name, value in env_pairs(ins.args):
            found = debug_switch(name, value)
            if found:
                severity, why = found
                yield Hit(ins.line, f"`ENV {name}={value}` — {why}", severity=severity)


@rules.rule(
    "DF103", "warning", "security", "Shell tracing prints a secret into the build log",
    "With `set -x` (or `sh -x`) the shell prints every command after expansion: a "
    "`$TOKEN` or a `$(cat /run/secrets/…)` in a traced RUN is written in clear into the "
    "build output — CI logs, often public, and BuildKit's plain progress.",
    "Do not trace the lines that use secrets (`set +x` before them), or read the secret "
    "where the shell does not expand it in a command line (`curl -H @/run/secrets/token`).",
    example='# syntax=docker/dockerfile:1\nFROM alpine:3.20\n'
            'RUN --mount=type=secret,id=npm_token \\\n'
            '    set -eu && NPM_TOKEN="$(cat /run/secrets/npm_token)" npm ci')
def traced_secret(doc, ctx):
    for ins in each_instruction(doc.model, "RUN"):
        script = shell_text(ins)
        shell = " ".join(ins.shell or ())
        if not (_XTRACE.search(script) or _XTRACE.search(shell)):
            continue
        names = sorted({m.group(1) for m in _VAR.finditer(script) if is_secret_name(m.group(1))})
        if names:
            yield Hit(ins.line, f"RUN traces its commands and expands `${names[0]}`"
                                + (f" (+{len(names) - 1} more)" if len(names) > 1 else ""))
        elif _SECRET_FILE.search(script):
            yield Hit(ins.line, "RUN traces its commands and expands a `/run/secrets/` file")
