"""Compose rules about operations: restarts, limits, health, logging, structure."""

from __future__ import annotations

import os
import re

from infra_expert.compose.crossfile import built_dockerfile
from infra_expert.compose.walkers import (cpu_limit, deploy_limits, depends_on,
                                          each_service, healthcheck, hit, item_hit,
                                          memory_limit_bytes, mounts, ports)
from infra_expert.model import Hit, Pass, RuleSet
from infra_expert.quantities import duration_seconds, size_bytes
from infra_expert.secrets import MASK, is_literal_secret_value, is_secret_name

rules = RuleSet("compose")


def _problems(doc, *codes):
    for p in doc.model.problems:
        if p.code in codes:
            yield Hit(p.line, p.message, path=p.path)


@rules.rule(
    "DC024", "critical", "reliability", "Compose file cannot be loaded",
    "Invalid YAML, a file that is not a mapping, a missing `include`/`extends`/`COMPOSE_FILE` "
    "target or an `extends` loop: `docker compose` refuses the project.",
    "Fix the reported line; `docker compose config` shows the same error.",
    peers=("dclint:invalid-yaml",),
    example=(
        'services:\n'
        '  web:\n'
        '    image: nginx:1.27-alpine\n'
        '    ports:\n'
        '      - "127.0.0.1:8080:80"'))
def load_errors(doc, ctx):
    yield from _problems(doc, "yaml", "not-a-mapping", "missing-file", "extends-missing",
                         "extends-cycle", "include-depth", "include-cycle",
                         "include-conflict")


@rules.rule(
    "DC025", "warning", "reliability", "Required variable not set",
    "`${VAR:?message}` stops `docker compose up` when VAR is not set; nothing in the "
    "project's `.env` sets it. A warning: the file asks for it on purpose, and the shell or "
    "CI may set it at deploy time, which a static review cannot see.",
    "Add VAR to `.env` (kept out of git if secret), or give it a default `${VAR:-value}`.",
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:${APP_VERSION:-1.4.2}\n'
        '    environment:\n'
        '      LOG_LEVEL: ${LOG_LEVEL:-info}'))
def required_variable(doc, ctx):
    """One finding per variable and project, at its first use, listing the others."""
    yield from _once_per_variable(doc, "required-var", 3)


@rules.rule(
    "DC026", "warning", "reliability", "Variable not set: replaced by an empty string",
    "Compose substitutes an empty string for an unset `${VAR}` and only prints a warning: "
    "an image tag, a port or a password silently becomes empty. (Variables exported in the "
    "shell are not seen by a static review.)",
    "Set it in `.env`, or make the expectation explicit: `${VAR:-default}` or "
    "`${VAR:?VAR must be set}`.",
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    environment:\n'
        '      LOG_LEVEL: ${LOG_LEVEL:-info}\n'
        '      TZ: ${TZ:-UTC}'))
def unset_variable(doc, ctx):
    """One finding per variable and project, at its first use, listing the others."""
    yield from _problems(doc, "env-syntax")
    yield from _once_per_variable(doc, "unset-var", 1)


def _once_per_variable(doc, code, name_at):
    """The loader's `code` problems folded per variable (its name is the `name_at`-th
    backtick-delimited part of the message): one Hit at the first use in merge order."""
    uses = {}
    for p in doc.model.problems:
        if p.code == code:
            parts = p.message.split("`")
            name = parts[name_at] if len(parts) > name_at else p.message
            uses.setdefault(name, []).append(p)
    order = {os.path.normpath(f): i for i, f in enumerate(doc.model.files)}
    for name, places in uses.items():
        places.sort(key=lambda p: (order.get(os.path.normpath(p.path), len(order)),
                                   p.path, p.line or 0))
        first = places[0]
        message = first.message
        if len(places) > 1:
            where = [f"line {p.line}" if p.path == first.path else f"`{p.path}:{p.line}`"
                     for p in places[1:]]
            shown = ", ".join(where[:5]) + (f" (+{len(where) - 5})" if len(where) > 5 else "")
            message += f"; used {len(places)} times, also at {shown}"
        yield Hit(first.line, message, path=first.path)


@rules.rule(
    "DC027", "critical", "security", "`.env` with secrets is not git-ignored",
    "The `.env` beside the Compose file holds credentials and nothing keeps it out of git: "
    "one `git add .` publishes them.",
    "Add `.env` to `.gitignore`, commit a `.env.example` with placeholders instead, and "
    "rotate anything already pushed.",
    example=(
        'services:\n'
        '  db:\n'
        '    image: postgres:16.4\n'
        '    env_file: .env\n'
        '# .env holds POSTGRES_PASSWORD and is listed in .gitignore'))
def env_not_ignored(doc, ctx):
    env = doc.model.env
    if not env.path or not env.values:
        return
    secrets = [k for k, v in env.values.items()
               if is_secret_name(k) and v and is_literal_secret_value(v, k)]
    if not secrets or _git_ignored(env.path, ctx.gate):
        return
    shown = ", ".join(f"`{k}={MASK}`" for k in secrets[:4])
    yield Hit(env.lines[secrets[0]], f"{shown} in a `.env` that no .gitignore covers",
              path=env.path)


def _git_ignored(path, gate):
    """True when a .gitignore between the file and its git work tree's top ignores it
    (read through the gate, like discovery's)."""
    from infra_expert.discover import _ignored, _parent_gitignores, _read_gitignore
    target = os.path.abspath(path)
    ignores = _parent_gitignores(target, gate)
    if not ignores:   # no work tree (a copy, a tarball): the .gitignore beside it says it
        here = os.path.dirname(target)
        spec = _read_gitignore(os.path.join(here, ".gitignore"), gate)
        ignores = [(here, spec)] if spec is not None else []
    return _ignored(ignores, target, False)


_RESTARTS = {"no", "always", "on-failure", "unless-stopped"}


@rules.rule(
    "DC030", "warning", "reliability", "No restart policy",
    "Without `restart:` a crashed service, or every service after a host reboot, stays "
    "down until someone notices.",
    "Add `restart: unless-stopped` (or `on-failure:5` for jobs that may fail for good).",
    positive="Restart policy set on every service",
    peers=("kics:2fc99041-ddad-49d5-853f-e35e70a48391",),
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    restart: unless-stopped'))
def restart_policy(doc, ctx):
    missing = False
    for svc in each_service(doc.model):
        restart = svc.get("restart")
        deploy = svc.get("deploy") if isinstance(svc.get("deploy"), dict) else {}
        if restart is None and not isinstance(deploy.get("restart_policy"), dict):
            if _is_one_shot(svc):
                continue
            missing = True
            yield hit(svc, "restart", "no `restart:` policy")
        elif restart is not None and str(restart).split(":")[0] not in _RESTARTS:
            missing = True
            yield hit(svc, "restart", f"`restart: {restart}` is not a valid policy")
    if not missing and doc.model.services:
        yield Pass(None)


def _is_one_shot(svc):
    """Init/migration jobs that other services wait for, or that a profile runs by hand."""
    return bool(svc.profiles) and not svc.get("ports")


@rules.rule(
    "DC031", "warning", "reliability", "No memory limit",
    "A service without a memory limit can take all the host's RAM; on a small host the "
    "kernel's OOM killer then picks a victim, often the database.",
    "Set `deploy.resources.limits.memory` (or `mem_limit`) a little above the service's "
    "observed peak.",
    positive="Memory limits set on every service",
    peers=("compose-lint:CL-0026", "kics:bb9ac4f7-e13b-423d-a010-c74a1bfbe492"),
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    deploy:\n'
        '      resources:\n'
        '        limits:\n'
        '          memory: 512M'))
def memory_limit(doc, ctx):
    missing = False
    for svc in each_service(doc.model):
        if memory_limit_bytes(svc) is None:
            missing = True
            yield hit(svc, "deploy", "no memory limit")
    if not missing and doc.model.services:
        yield Pass(None)


@rules.rule(
    "DC032", "suggestion", "performance", "No CPU limit",
    "One busy service can starve the others of CPU; a limit keeps the host responsive.",
    "Set `deploy.resources.limits.cpus` (e.g. `\"1.5\"`).",
    peers=("kics:6b610c50-99fb-4ef0-a5f3-e312fd945bc3",),
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    deploy:\n'
        '      resources:\n'
        '        limits:\n'
        '          cpus: "1.5"\n'
        '          memory: 512M'))
def cpu_limit_missing(doc, ctx):
    for svc in each_service(doc.model):
        if cpu_limit(svc) is None:
            yield hit(svc, "deploy", "no CPU limit")


@rules.rule(
    "DC033", "suggestion", "reliability", "No process limit",
    "Without a pids limit a fork bomb or a thread leak in one container exhausts the host's "
    "process table.",
    "Set `deploy.resources.limits.pids` (or `pids_limit`), e.g. 200.",
    peers=("kics:221e0658-cb2a-44e3-b08a-db96a341d6fa",),
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    deploy:\n'
        '      resources:\n'
        '        limits:\n'
        '          memory: 512M\n'
        '          pids: 200'))
def pids_limit(doc, ctx):
    for svc in each_service(doc.model):
        value = deploy_limits(svc).get("pids", svc.get("pids_limit"))
        if value is None or str(value) in ("-1", "0"):
            yield hit(svc, "pids_limit" if "pids_limit" in svc.data else "deploy",
                      "no pids limit")


@rules.rule(
    "DC034", "critical", "reliability", "`mem_limit` and `deploy.resources.limits.memory` differ",
    "Docker Compose v2 refuses the file: \"can't set distinct values on 'mem_limit' and "
    "'deploy.resources.limits.memory'\".",
    "Keep only one of them (`deploy.resources.limits.memory` is the current form).",
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    deploy:\n'
        '      resources:\n'
        '        limits:\n'
        '          memory: 512M'))
def distinct_memory(doc, ctx):
    for svc in each_service(doc.model):
        a = svc.get("mem_limit")
        b = deploy_limits(svc).get("memory")
        if a is not None and b is not None and size_bytes(a) != size_bytes(b):
            yield hit(svc, "mem_limit", f"`mem_limit: {a}` but `limits.memory: {b}`")


@rules.rule(
    "DC035", "suggestion", "reliability", "No healthcheck",
    "Without a healthcheck Compose only knows the process exists, not that it answers; "
    "`depends_on` cannot wait for readiness and monitoring sees \"Up\" while it is stuck.",
    "Add a `healthcheck:` that calls the service with a tool present in the image, or set a "
    "HEALTHCHECK in its Dockerfile. Not asked of services that run to completion "
    "(`restart: \"no\"` without ports, a profile-only helper, one awaited with "
    "`service_completed_successfully`, a command that exits such as a migration).",
    positive="Healthchecks defined for {count} service(s)",
    peers=("kics:698ed579-b239-4f8f-a388-baa4bcb13ef8",),
    example=(
        'services:\n'
        '  web:\n'
        '    image: nginx:1.27-alpine\n'
        '    healthcheck:\n'
        '      test: ["CMD", "wget", "-qO-", "http://localhost/"]\n'
        '      interval: 30s\n'
        '      timeout: 5s\n'
        '      retries: 3'))
def healthcheck_missing(doc, ctx):
    good = 0
    for svc in each_service(doc.model):
        if healthcheck(svc) is not None or _image_healthcheck(svc, doc, ctx):
            good += 1
        elif not is_batch_service(svc, ctx) and built_dockerfile(svc, doc, ctx) is None:
            # a service built here is judged once, on its Dockerfile (DF017)
            yield hit(svc, "healthcheck", "no healthcheck")
    if good:
        yield Pass(None, count=good)


# The last step of a command that runs to completion: a migration, a copy, a chown.
_EXITING_PROGRAMS = frozenset({"chown", "chmod", "cp", "mkdir", "true", "echo", "rsync",
                               "tar", "ln", "rm", "touch", "mv"})
_EXITING_WORDS = frozenset({"migrate", "db:migrate", "collectstatic", "createsuperuser",
                            "db:seed", "db:setup", "db:create"})


def _runs_to_completion(svc):
    """A `command` (or `entrypoint`) whose last step exits: `python manage.py migrate`,
    `chown -R 1000 /data`, `alembic upgrade head`; `sh -c "migrate && exec server"` ends
    with the server and is not one."""
    cmd = svc.get("command")
    if cmd is None:
        cmd = svc.get("entrypoint")
    words = [str(w) for w in cmd] if isinstance(cmd, list) else str(cmd or "").split()
    if len(words) >= 3 and os.path.basename(words[0]) in ("sh", "bash", "ash") \
            and words[1] == "-c":
        words = " ".join(words[2:]).split()
    text = " ".join(words).strip("\"'")
    last = re.split(r"&&|\|\||;|\n", text)[-1].split()
    if last and last[0] == "exec":
        last = last[1:]
    if not last:
        return False
    prog = os.path.basename(last[0].strip("\"'"))
    return prog in _EXITING_PROGRAMS or bool(_EXITING_WORDS & set(last)) \
        or (prog == "alembic" and "upgrade" in last)


def _awaited(ctx):
    """{id(service)}: the services another one waits for with
    `service_completed_successfully`."""
    waited = set()
    for d in ctx.documents:
        if d.domain == "compose" and d.model is not None:
            services = d.model.services
            for other in each_service(d.model):
                for name, cond in depends_on(other).items():
                    if cond == "service_completed_successfully" and name in services:
                        waited.add(id(services[name]))
    return waited


def is_batch_service(svc, ctx):
    """A service that runs to completion rather than serving: `restart: "no"` (or a
    `deploy.restart_policy` of `none`) with no published port, a profile-only helper
    without ports, a service another one waits for with `service_completed_successfully`,
    or a command that exits. A healthcheck is meaningless for these."""
    if id(svc) in ctx.index(_awaited) or _is_one_shot(svc) or _runs_to_completion(svc):
        return True
    policy = (svc.get("deploy") or {}).get("restart_policy") if isinstance(
        svc.get("deploy"), dict) else None
    condition = policy.get("condition") if isinstance(policy, dict) else None
    restart = svc.get("restart")
    return (restart is False or str(restart).lower() == "no" or condition == "none") \
        and not svc.get("ports")


def _image_healthcheck(svc, doc, ctx):
    """True when the service is built here from a Dockerfile that has a HEALTHCHECK."""
    df = built_dockerfile(svc, doc, ctx)
    if df is None or df.final_stage is None:
        return False
    return any(i.keyword == "HEALTHCHECK" and i.args.strip().upper() != "NONE"
               for st in df.final_stage.inherited() for i in st.instructions)


_SLOW_STARTERS = ("postgres", "mysql", "mariadb", "mongo", "elasticsearch", "opensearch",
                  "keycloak", "sonarqube", "nextcloud", "gitlab", "jenkins", "kafka",
                  "clickhouse", "influxdb", "zookeeper")


@rules.rule(
    "DC036", "warning", "reliability", "Healthcheck timings that cannot work",
    "A near-zero timeout, zero retries, or a check every second makes the status flap; a "
    "slow-starting service (a database, a JVM) without `start_period` is marked unhealthy "
    "while it boots, and everything waiting for it gives up.",
    "Use e.g. `interval: 30s`, `timeout: 5s`, `retries: 3`, `start_period: 30s` (longer for "
    "databases and JVMs).",
    example=(
        'services:\n'
        '  db:\n'
        '    image: postgres:16.4\n'
        '    healthcheck:\n'
        '      test: ["CMD-SHELL", "pg_isready -U postgres"]\n'
        '      interval: 30s\n'
        '      timeout: 5s\n'
        '      retries: 3\n'
        '      start_period: 30s'))
def healthcheck_timings(doc, ctx):
    for svc in each_service(doc.model):
        hc = healthcheck(svc)
        if hc is None:
            continue
        interval = duration_seconds(hc.get("interval", "30s"))
        timeout = duration_seconds(hc.get("timeout", "30s"))
        retries = hc.get("retries", 3)
        if timeout is not None and timeout < 0.5:
            yield hit(svc, "healthcheck", f"timeout {hc.get('timeout')} fails any check that "
                                          "is not instant", sub="timeout")
        if interval is not None and interval < 2:
            yield hit(svc, "healthcheck", f"interval {hc.get('interval')} runs the check "
                                          "almost constantly", sub="interval")
        if isinstance(retries, int) and retries < 1:
            yield hit(svc, "healthcheck", f"retries {retries}: one failure marks it unhealthy",
                      sub="retries")
        image = str(svc.get("image") or "").lower()
        if "start_period" not in hc and interval is not None and isinstance(retries, int) \
                and interval * max(retries, 1) < 60 \
                and any(name in image for name in _SLOW_STARTERS):
            yield hit(svc, "healthcheck", f"`{image.split(':')[0]}` can take minutes to start "
                                          f"and is marked unhealthy after "
                                          f"{interval * max(retries, 1):g}s: add `start_period`")


@rules.rule(
    "DC037", "suggestion", "reliability", "Healthcheck that nothing acts on",
    "Plain Docker Compose does not restart an unhealthy container: the check only changes "
    "a status. If no `depends_on: condition: service_healthy` waits for it and nothing "
    "watches it, an unhealthy service stays broken.",
    "Act on it: make dependants wait with `condition: service_healthy`, run an autoheal "
    "container (label `autoheal=true`), alert on it from monitoring, or run the service "
    "under Podman Quadlet with `HealthOnFailure=kill` and `Restart=always`.",
    example=(
        'services:\n'
        '  db:\n'
        '    image: postgres:16.4\n'
        '    healthcheck:\n'
        '      test: ["CMD-SHELL", "pg_isready -U postgres"]\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    depends_on:\n'
        '      db: {condition: service_healthy}'))
def healthcheck_unused(doc, ctx):
    project = doc.model
    awaited = {dep for svc in each_service(project)
               for dep, cond in depends_on(svc).items() if cond == "service_healthy"}
    watchers = any("autoheal" in str(svc.get("image", "")) for svc in each_service(project))
    for svc in each_service(project):
        if healthcheck(svc) is None or svc.name in awaited or watchers:
            continue
        labels = svc.get("labels")
        if labels and "autoheal" in str(labels):
            continue
        yield hit(svc, "healthcheck", "healthcheck is defined but nothing waits for or acts "
                                      "on it")


@rules.rule(
    "DC038", "critical", "reliability", "`service_healthy` on a service without a healthcheck",
    "`docker compose up` fails: the dependency can never become healthy because it has no "
    "healthcheck (neither in Compose nor in its image).",
    "Add a healthcheck to the dependency, or use `condition: service_started`.",
    example=(
        'services:\n'
        '  db:\n'
        '    image: postgres:16.4\n'
        '    healthcheck:\n'
        '      test: ["CMD-SHELL", "pg_isready -U postgres"]\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    depends_on:\n'
        '      db: {condition: service_healthy}'))
def healthy_without_check(doc, ctx):
    project = doc.model
    for svc in each_service(project):
        for dep, cond in depends_on(svc).items():
            target = project.services.get(dep)
            if cond != "service_healthy" or target is None \
                    or dep in project.unresolved:   # its healthcheck may be in the base
                continue
            if healthcheck(target) is None and not _image_healthcheck(target, doc, ctx) \
                    and not _image_may_have_healthcheck(target):
                yield hit(svc, "depends_on", f"waits for `{dep}` to be healthy, but `{dep}` "
                                             "has no healthcheck", sub=dep)


def _image_may_have_healthcheck(svc):
    """A pulled image may define HEALTHCHECK itself; we cannot see it, so do not guess."""
    return svc.get("build") is None and "healthcheck" not in svc.data


@rules.rule(
    "DC039", "suggestion", "reliability", "`depends_on` without readiness",
    "The list form of `depends_on` (and `service_started`) only orders container starts: "
    "the app may start before its database accepts connections and crash or retry.",
    "Use the long form with a condition: `depends_on: {db: {condition: service_healthy}}` "
    "and give `db` a healthcheck.",
    positive="`depends_on` waits for healthy dependencies",
    example=(
        'services:\n'
        '  db:\n'
        '    image: postgres:16.4\n'
        '    healthcheck:\n'
        '      test: ["CMD-SHELL", "pg_isready -U postgres"]\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    depends_on:\n'
        '      db: {condition: service_healthy}'))
def depends_readiness(doc, ctx):
    good = False
    for svc in each_service(doc.model):
        for dep, cond in depends_on(svc).items():
            if cond in (None, "service_started"):
                yield hit(svc, "depends_on", f"starts after `{dep}` without waiting for it to "
                                             "be ready")
            elif cond == "service_healthy":
                good = True
    if good:
        yield Pass(None)


def _logging(svc):
    logging = svc.get("logging")
    return logging if isinstance(logging, dict) else None


@rules.rule(
    "DC040", "warning", "reliability", "json-file logs without rotation",
    "The `json-file` driver keeps every line for ever unless `max-size`/`max-file` are "
    "set: a chatty service fills the disk, and on an SD card wears it out.",
    "Add `logging: {driver: json-file, options: {max-size: \"10m\", max-file: \"3\"}}` (an "
    "`x-logging` anchor shares it), or use the `local` driver, which rotates by default.",
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    logging:\n'
        '      driver: json-file\n'
        '      options:\n'
        '        max-size: "10m"\n'
        '        max-file: "3"'))
def json_file_rotation(doc, ctx):
    for svc in each_service(doc.model):
        logging = _logging(svc)
        if logging is None:
            continue
        driver = str(logging.get("driver", "json-file"))
        options = logging.get("options") if isinstance(logging.get("options"), dict) else {}
        if driver == "json-file" and "max-size" not in options:
            yield hit(svc, "logging", "json-file logging without `max-size`")


@rules.rule(
    "DC041", "suggestion", "reliability", "No logging configuration",
    "With no `logging:` the daemon's default applies: `json-file` without rotation unless "
    "`/etc/docker/daemon.json` says otherwise, which a review of the project cannot see.",
    "Set rotation once for all services with an anchor: `x-logging: &logging {driver: "
    "local}` and `logging: *logging` in each service (or configure daemon.json).",
    positive="Log rotation configured on every service",
    example=(
        'x-logging: &logging\n'
        '  driver: local\n'
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    logging: *logging\n'
        '  worker:\n'
        '    image: ghcr.io/example/worker:1.4.2\n'
        '    logging: *logging'))
def logging_unset(doc, ctx):
    missing = False
    for svc in each_service(doc.model):
        if _logging(svc) is None:
            missing = True
            yield hit(svc, "logging", "no `logging:` (daemon default, usually unrotated "
                                      "json-file)")
    if not missing and doc.model.services and not any(
            str(_logging(s).get("driver", "json-file")) == "json-file"
            and "max-size" not in (_logging(s).get("options") or {})
            for s in each_service(doc.model)):
        yield Pass(None)


@rules.rule(
    "DC042", "warning", "reliability", "Logging disabled",
    "`driver: none` throws every log line away: the first crash will have no trace.",
    "Use `local` (rotated) or `json-file` with `max-size`/`max-file`.",
    peers=("compose-lint:CL-0014",),
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    logging:\n'
        '      driver: local'))
def logging_none(doc, ctx):
    for svc in each_service(doc.model):
        logging = _logging(svc)
        if logging is not None and str(logging.get("driver")) == "none":
            yield hit(svc, "logging", "`logging.driver: none`")


@rules.rule(
    "DC043", "suggestion", "elegance", "Obsolete `version:`",
    "Compose v2 ignores the top-level `version:` and warns about it; it suggests features "
    "that it does not select.",
    "Delete the `version:` line.",
    peers=("dclint:no-version-field",),
    example=(
        'name: shop\n'
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2'))
def version_field(doc, ctx):
    root = doc.model.root
    if "version" in root:
        path, line = root.where("version")
        yield Hit(line, f"`version: {root['version']}`", path=path)


@rules.rule(
    "DC044", "suggestion", "elegance", "Legacy `links:`",
    "Services on the same network already reach each other by name; `links` is a legacy "
    "option that couples start order.",
    "Remove `links:`; use a shared network and `depends_on` for ordering.",
    example=(
        'services:\n'
        '  db:\n'
        '    image: postgres:16.4\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    depends_on: [db]\n'
        '    environment:\n'
        '      DATABASE_HOST: db'))
def links(doc, ctx):
    for svc in each_service(doc.model):
        if svc.get("links"):
            yield hit(svc, "links", "`links:`")


@rules.rule(
    "DC045", "suggestion", "reliability", "`platform:` pins a single architecture",
    "A fixed `platform: linux/amd64` runs under slow emulation (or not at all) on a "
    "Raspberry Pi or an ARM cloud host.",
    "Drop `platform:` and use multi-arch images; keep it only for an image that exists "
    "for one architecture, and say so.",
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2'))
def platform(doc, ctx):
    for svc in each_service(doc.model):
        value = svc.get("platform")
        if isinstance(value, str) and value and "$" not in value:
            yield hit(svc, "platform", f"`platform: {value}`")


@rules.rule(
    "DC046", "suggestion", "reliability", "`container_name` prevents scaling",
    "A fixed container name makes `docker compose up --scale` impossible and collides with "
    "any other project using the same name.",
    "Drop `container_name` and address the service by its service name.",
    example=(
        'services:\n'
        '  worker:\n'
        '    image: ghcr.io/example/worker:1.4.2\n'
        '    deploy:\n'
        '      replicas: 3'))
def container_name(doc, ctx):
    for svc in each_service(doc.model):
        if svc.get("container_name"):
            yield hit(svc, "container_name", f"`container_name: {svc.get('container_name')}`")


_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")


@rules.rule(
    "DC047", "critical", "reliability", "Invalid or duplicate `container_name`",
    "Docker refuses a container name that is not `[a-zA-Z0-9][a-zA-Z0-9_.-]+` and a second "
    "container with the same name: one of the services never starts.",
    "Give each service a unique, valid name, or drop `container_name`.",
    peers=("dclint:service-container-name-regex", "dclint:no-duplicate-container-names"),
    example=(
        'services:\n'
        '  db:\n'
        '    image: postgres:16.4\n'
        '    container_name: shop-db\n'
        '  cache:\n'
        '    image: redis:7.4-alpine\n'
        '    container_name: shop-cache'))
def container_name_valid(doc, ctx):
    """A name built from a variable that is not set here (`${APP}-web`) is DC026's: the
    variable is said once, not each name it empties."""
    seen = {}
    unset = {(os.path.normpath(p.path or ""), p.line) for p in doc.model.problems
             if p.code in ("unset-var", "required-var")}
    for svc in each_service(doc.model):
        name = svc.get("container_name")
        if not name:
            continue
        name = str(name)
        path, line = svc.where("container_name")
        if (os.path.normpath(path or ""), line) in unset:
            continue
        if not _NAME.match(name):
            yield hit(svc, "container_name", f"`container_name: {name}` is not a valid name")
        elif name in seen:
            yield hit(svc, "container_name", f"`container_name: {name}` is also used by "
                                             f"`{seen[name]}`")
        else:
            seen[name] = svc.name


@rules.rule(
    "DC048", "critical", "reliability", "Host port published twice",
    "Two services publishing the same host port (on the same address) cannot both start: "
    "the second fails with \"port is already allocated\".",
    "Give each service its own host port, or put them behind the reverse proxy.",
    peers=("dclint:no-duplicate-exported-ports",),
    example=(
        'services:\n'
        '  web:\n'
        '    image: nginx:1.27-alpine\n'
        '    ports: ["127.0.0.1:8080:80"]\n'
        '  admin:\n'
        '    image: ghcr.io/example/admin:1.4.2\n'
        '    ports: ["127.0.0.1:8081:8080"]'))
def duplicate_ports(doc, ctx):
    seen = {}
    for svc in each_service(doc.model):
        for p in ports(svc):
            for port in p.published_range():
                key = (p.host_ip or "0.0.0.0", port, p.protocol)
                other = seen.get(key)
                if other and other != svc.name and not _different_profiles(doc, other, svc):
                    yield item_hit(svc, "ports", p.index, f"host port {port} is also "
                                                          f"published by `{other}`")
                    break
                seen.setdefault(key, svc.name)


def _different_profiles(doc, name, svc):
    other = doc.model.services[name]
    return bool(other.profiles and svc.profiles and not set(other.profiles) & set(svc.profiles))


@rules.rule(
    "DC049", "suggestion", "elegance", "Both `build` and `image`",
    "With both keys Compose builds and tags the result as `image`; a `pull` may replace "
    "your build with a registry image of the same name. Fine when intended (say so with "
    "`pull_policy: build`).",
    "Keep `build` only, or add `pull_policy: build` to make the intent explicit.",
    peers=("dclint:no-build-and-image",),
    example=(
        'services:\n'
        '  app:\n'
        '    build: .\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    pull_policy: build'))
def build_and_image(doc, ctx):
    for svc in each_service(doc.model):
        if svc.get("build") is not None and svc.get("image") and not svc.get("pull_policy"):
            yield hit(svc, "image", "has both `build` and `image`")


_DB_DATA = ("/var/lib/postgresql", "/var/lib/mysql", "/data/db", "/var/lib/mongodb",
            "/var/lib/influxdb", "/var/lib/redis", "/bitnami/postgresql", "/bitnami/mariadb",
            "/var/lib/clickhouse", "/var/lib/rabbitmq")


@rules.rule(
    "DC050", "warning", "reliability", "Database data directory on a bind mount",
    "Bind mounts take the host's ownership and permissions as they are: a database may fail "
    "to start, corrupt on a network filesystem, or lose data when the folder moves. Named "
    "volumes are managed, backed up and migrated as one unit.",
    "Use a named volume (`db-data:/var/lib/postgresql/data` and a top-level `volumes:` "
    "entry), and back it up with a dump job.",
    example=(
        'services:\n'
        '  db:\n'
        '    image: postgres:16.4\n'
        '    volumes:\n'
        '      - db-data:/var/lib/postgresql/data\n'
        'volumes:\n'
        '  db-data:'))
def db_bind_mount(doc, ctx):
    for svc in each_service(doc.model):
        for m in mounts(svc):
            if m.bind and any(m.target.rstrip("/").startswith(p) for p in _DB_DATA):
                yield item_hit(svc, "volumes", m.index, f"`{m.source}:{m.target}` is a bind "
                                                        "mount of database data")


@rules.rule(
    "DC051", "suggestion", "security", "Several services on the default network",
    "Every service of the project shares one flat network; a compromise of the public-facing "
    "one reaches the database directly.",
    "Declare networks (e.g. `frontend` and an `internal: true` `backend`) and attach each "
    "service only where it must talk.",
    example=(
        'services:\n'
        '  web:\n'
        '    image: nginx:1.27-alpine\n'
        '    networks: [frontend, backend]\n'
        '  db:\n'
        '    image: postgres:16.4\n'
        '    networks: [backend]\n'
        'networks:\n'
        '  frontend:\n'
        '  backend:\n'
        '    internal: true'))
def default_network(doc, ctx):
    services = [s for s in each_service(doc.model)
                if not s.get("network_mode") and s.get("networks") is None]
    if len(doc.model.services) >= 3 and len(services) == len(doc.model.services):
        first = services[0]
        yield hit(first, "networks", f"{len(services)} services share the default network")


@rules.rule(
    "DC052", "suggestion", "security", "Privileged host port published",
    "Host ports below 1024 are system ports; publishing them (other than 80/443 on a proxy) "
    "often exposes a service that should stay internal (SSH, DNS, SMB).",
    "Publish on a high port, bind to a specific address, or keep it internal.",
    peers=("kics:bc2908f3-f73c-40a9-8793-c1b7d5544f79",),
    example=(
        'services:\n'
        '  web:\n'
        '    image: nginxinc/nginx-unprivileged:1.27-alpine\n'
        '    ports:\n'
        '      - "127.0.0.1:8080:8080"'))
def privileged_ports(doc, ctx):
    for svc in each_service(doc.model):
        for p in ports(svc):
            low = [x for x in p.published_range() if x < 1024 and x not in (80, 443)]
            if low:
                yield item_hit(svc, "ports", p.index, f"host port {low[0]}")


@rules.rule(
    "DC053", "warning", "reliability", "Service with neither image nor build",
    "Compose cannot create a container without an `image` or a `build` section.",
    "Add `image:` (with a tag) or `build:`.",
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '  worker:\n'
        '    build: ./worker'))
def no_image(doc, ctx):
    for svc in each_service(doc.model):
        if isinstance(svc.data, dict) and svc.get("image") is None and svc.get("build") is None \
                and "extends" not in svc.data:
            yield hit(svc, "image", "has neither `image` nor `build`")


SERVICE_KEYS = frozenset("""
annotations attach blkio_config build cap_add cap_drop cgroup cgroup_parent command configs
container_name cpu_count cpu_percent cpu_shares cpu_quota cpu_period cpu_rt_period
cpu_rt_runtime cpus cpuset credential_spec depends_on deploy develop device_cgroup_rules
devices dns dns_opt dns_search domainname driver_opts entrypoint env_file environment expose
extends external_links extra_hosts gpus group_add healthcheck hostname image init ipc
isolation labels label_file links logging mac_address mem_limit mem_reservation
mem_swappiness memswap_limit models network_mode networks oom_kill_disable oom_score_adj pid
pids_limit platform ports post_start pre_stop privileged profiles provider pull_policy
pull_refresh_after read_only restart runtime scale secrets security_opt shm_size stdin_open
stop_grace_period stop_signal storage_opt sysctls tmpfs tty ulimits use_api_socket user
userns_mode uts volumes volumes_from working_dir
""".split())
TOP_LEVEL_KEYS = frozenset({"version", "name", "include", "services", "networks", "volumes",
                            "secrets", "configs", "models"})


@rules.rule(
    "DC054", "critical", "reliability", "Unknown Compose key",
    "Compose validates the file against its schema and refuses unknown keys (\"additional "
    "property … is not allowed\"); a misspelt key such as `enviroment` stops the project.",
    "Fix the spelling (the finding suggests the closest key), or prefix custom keys with "
    "`x-`.",
    peers=("dclint:invalid-schema",),
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    restart: unless-stopped\n'
        '    x-owner: team-shop'))
def unknown_keys(doc, ctx):
    import difflib
    root = doc.model.root
    for key in root:
        if isinstance(key, str) and not key.startswith("x-") and key not in TOP_LEVEL_KEYS:
            path, line = root.where(key)
            close = difflib.get_close_matches(key, TOP_LEVEL_KEYS, 1)
            yield Hit(line, f"top-level key `{key}`" + (f" (did you mean `{close[0]}`?)"
                                                        if close else ""), path=path)
    for svc in each_service(doc.model):
        if not isinstance(svc.data, dict):
            continue
        for key in svc.data:
            if isinstance(key, str) and not key.startswith("x-") and key not in SERVICE_KEYS:
                close = difflib.get_close_matches(key, SERVICE_KEYS, 1)
                yield hit(svc, key, f"unknown key `{key}`"
                          + (f" (did you mean `{close[0]}`?)" if close else ""))


@rules.rule(
    "DC055", "suggestion", "reliability", "Named volume written by several services",
    "Two containers writing the same volume can corrupt each other's files (two databases, "
    "two app versions) unless the software is built for it.",
    "Give each service its own volume, or mount it read-only (`:ro`) in the services that "
    "only read it.",
    peers=("kics:8c978947-0ff6-485c-b0c2-0bfca6026466",),
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    volumes: ["uploads:/srv/uploads"]\n'
        '  web:\n'
        '    image: nginx:1.27-alpine\n'
        '    volumes: ["uploads:/usr/share/nginx/html/uploads:ro"]\n'
        'volumes:\n'
        '  uploads:'))
def shared_volumes(doc, ctx):
    writers = {}
    for svc in each_service(doc.model):
        for m in mounts(svc):
            if m.source and not m.bind and not m.read_only:
                writers.setdefault(m.source, []).append((svc, m))
    for source, users in writers.items():
        names = {svc.name for svc, _ in users}
        if len(names) > 1:
            svc, m = users[1]
            yield item_hit(svc, "volumes", m.index, f"volume `{source}` is also written by "
                                                    f"`{users[0][0].name}`")


def _healthcheck_tools(hc):
    """(tool names the test runs, needs a shell) of a healthcheck."""
    from infra_expert.shell import commands
    test = hc.get("test")
    if isinstance(test, str):
        return [c.name for c in commands(test)], True
    if isinstance(test, list) and test:
        kind = str(test[0]).upper()
        if kind == "CMD-SHELL":
            return [c.name for c in commands(" ".join(str(t) for t in test[1:]))], True
        if kind == "CMD" and len(test) > 1:
            return [str(test[1]).rsplit("/", 1)[-1]], False
    return [], False


def _image_tools(df):
    """(tools known to be in the final image, has a shell), or None when unknown."""
    from infra_expert.images import ImageRef
    final = df.final_stage
    root = list(final.inherited())[-1]
    if root.unresolved:
        return None
    ref = ImageRef(root.image_resolved)
    name, tag = ref.base_name.lower(), (ref.tag or "").lower()
    if root.is_scratch or "distroless" in ref.repository or ref.registry == "cgr.dev":
        tools, shell = set(), False
    elif name in ("alpine", "busybox") or "alpine" in tag:
        tools, shell = {"wget", "nc"}, True
    elif "slim" in tag or name in ("debian", "ubuntu"):
        tools, shell = set(), True
    elif name in ("python", "node", "ruby", "golang", "buildpack-deps"):
        tools, shell = {"curl", "wget"}, True
    else:
        return None
    for st in final.inherited():
        for ins in st.instructions:
            if ins.keyword == "RUN":
                for cmd, _ in ins.commands():
                    tools.update(a.split("=")[0] for a in cmd.args if a in ("curl", "wget")
                                 or a.startswith(("curl=", "wget=")))
            elif ins.keyword in ("COPY", "ADD") and any(
                    t in ins.args for t in ("curl", "wget", "busybox")):
                tools.update({"curl", "wget"})
    return tools, shell


@rules.rule(
    "DC056", "warning", "reliability", "Healthcheck uses a tool the image does not have",
    "The healthcheck calls `curl` (or needs a shell) in an image that never installs it: "
    "every check fails with \"not found\", the container is marked unhealthy for ever and "
    "anything waiting for it never starts.",
    "Use a tool the image has (Alpine's busybox has `wget -qO-`), install it in the "
    "Dockerfile, or check with the application itself (`[\"CMD\", \"python\", \"-c\", …]`).",
    example=(
        'services:\n'
        '  web:\n'
        '    image: nginx:1.27-alpine\n'
        '    healthcheck:\n'
        '      test: ["CMD", "wget", "-qO-", "http://localhost/"]'))
def healthcheck_tool(doc, ctx):
    for svc in each_service(doc.model):
        hc = healthcheck(svc)
        df = built_dockerfile(svc, doc, ctx) if hc is not None else None
        if df is None or df.final_stage is None:
            continue
        known = _image_tools(df)
        if known is None:
            continue
        tools, has_shell = known
        used, needs_shell = _healthcheck_tools(hc)
        if needs_shell and not has_shell:
            yield hit(svc, "healthcheck", "the healthcheck needs a shell, and the image has "
                                          "none (distroless/scratch)", sub="test")
            continue
        missing = [t for t in used if t in ("curl", "wget") and t not in tools]
        if missing:
            yield hit(svc, "healthcheck", f"the healthcheck runs `{missing[0]}`, which the "
                                          "image built here does not install", sub="test")


@rules.rule(
    "DC057", "suggestion", "reliability", "Compose project for Podman that relies on restarts",
    "Podman has no daemon: `restart:` policies of podman-compose only survive a reboot if "
    "`podman-restart.service` is enabled, and nothing supervises the containers. Quadlet "
    "units run each container as a systemd service with real restarts, logs in the "
    "journal, dependencies and auto-update.",
    "Move the services to Quadlet `.container` units (podlet can convert a Compose file), "
    "with `Restart=always` and `[Install] WantedBy=default.target`.",
    example=(
        'services:\n'
        '  app:\n'
        '    image: ghcr.io/example/app:1.4.2\n'
        '    restart: unless-stopped'))
def podman_compose_restarts(doc, ctx):
    project = doc.model
    root = project.root
    meant_for_podman = any(os.path.basename(f).startswith("podman-compose")
                           for f in project.files) or any(
        str(k).startswith("x-podman") for k in root)
    if not meant_for_podman:
        return
    for svc in each_service(project):
        if svc.get("restart") not in (None, "no"):
            yield hit(svc, "restart", f"`restart: {svc.get('restart')}` under Podman")
            break
