"""systemd service rules: reliability, identity and secrets, resources for small boards,
logging and hardening (systemd.service(5), systemd.unit(5), systemd.exec(5),
systemd.resource-control(5))."""

from __future__ import annotations

from infra_expert.model import Hit, Pass, RuleSet
from infra_expert.secrets import MASK, is_literal_secret_value, is_secret_name, token_kind
from infra_expert.systemd.model import (activators, long_running, names,
                                        section_line, service_type, statically_enabled,
                                        timer_started, timespan, truthy)

rules = RuleSet("systemd")


def _services(doc):
    unit = doc.model
    if unit.kind == "service":
        yield unit


def _at(entry, message, severity=None):
    return Hit(entry.line, message, path=entry.path, severity=severity)


def _service_line(unit):
    return section_line(unit, "Service", section_line(unit, "Unit"))


# systemd.service(5): what each policy restarts after
_RESTARTS_ON = {"on-success": "a clean exit", "on-abort": "an uncaught signal",
                "on-watchdog": "a watchdog timeout"}


@rules.rule(
    "SD001", "warning", "reliability", "Long-running service without a restart policy",
    "`Restart=` defaults to `no`: a daemon that crashes once stays down until someone "
    "notices. `on-success`, `on-abort` and `on-watchdog` do not restart after a non-zero "
    "exit, which is how most crashes end. An explicit `Restart=no` is a choice and is not "
    "reported.",
    "Add `Restart=on-failure` (or `always`) with `RestartSec=5s` to [Service].",
    positive="Restart policy `{policy}` set",
    peers=("systemdlint:Restart",),
    example="[Service]\nExecStart=/usr/bin/myapp\nRestart=on-failure\nRestartSec=5s")
def restart_policy(doc, ctx):
    for unit in _services(doc):
        entry = unit.entry("Service", "Restart")
        if entry is not None:
            value = entry.value.strip().lower()
            if value in _RESTARTS_ON and long_running(doc, ctx):
                yield _at(entry, f"`Restart={entry.value}` only restarts after "
                                 f"{_RESTARTS_ON[value]}: a crash (non-zero exit) leaves "
                                 "it down")
            elif value not in ("no", "") and value not in _RESTARTS_ON:
                yield Pass(entry.line, policy=entry.value)
        elif long_running(doc, ctx) and service_type(unit) != "dbus" and truthy(
                unit.get("Unit", "DefaultDependencies", "yes")):
            # D-Bus activated services come back on the next call; early-boot units
            # (DefaultDependencies=no) are the system's own
            yield Hit(_service_line(unit), f"`{service_type(unit)}` service with no "
                                           "`Restart=`: after a crash it stays down")


@rules.rule(
    "SD002", "warning", "reliability", "Restart without `RestartSec=`",
    "The default `RestartSec=` is 100 ms: five failures within the default start limit "
    "(5 in 10 s) come in half a second, and systemd then gives up for good — a database "
    "that takes a few seconds to come back leaves the service down.",
    "Add `RestartSec=5s` (newer systemd: `RestartSteps=`/`RestartMaxDelaySec=` for a "
    "back-off).",
    example="[Service]\nExecStart=/usr/bin/myapp\nRestart=always\nRestartSec=5s")
def restart_sec(doc, ctx):
    for unit in _services(doc):
        entry = unit.entry("Service", "Restart")
        if entry is None or entry.value.strip().lower() in ("no", ""):
            continue
        if unit.entry("Service", "RestartSec") is None:
            yield _at(entry, f"`Restart={entry.value}` with the default 100 ms "
                             "`RestartSec=`: five quick failures and systemd stops trying")


# Where systemd reads a directive; elsewhere it is "Unknown key … ignoring" (checked with
# `systemd-analyze verify`, v252). The legacy StartLimitInterval=/StartLimitBurst=/
# StartLimitAction=/FailureAction= are still read in [Service], so they are not listed.
_UNIT = ("Unit",)
_EXEC = ("Service", "Socket", "Mount", "Swap")     # exec and resource-control settings
_SECTION_OF = {
    **{k: _UNIT for k in (
        "StartLimitIntervalSec", "SuccessAction", "OnFailure", "OnSuccess", "After",
        "Before", "Requires", "Wants", "BindsTo", "PartOf", "Conflicts", "Description",
        "Documentation", "ConditionPathExists", "AssertPathExists", "Requisite", "Upholds")},
    **{k: ("Install",) for k in ("WantedBy", "RequiredBy", "Alias", "Also",
                                 "DefaultInstance")},
    **{k: ("Service",) for k in ("ExecStart", "ExecReload", "Restart", "RestartSec",
                                 "PIDFile", "RemainAfterExit", "TimeoutStartSec",
                                 "WatchdogSec", "NotifyAccess", "BusName")},
    "Type": ("Service", "Mount"),
    **{k: _EXEC for k in ("User", "Group", "DynamicUser", "Environment", "EnvironmentFile",
                          "WorkingDirectory", "MemoryMax", "MemoryHigh", "CPUQuota",
                          "TasksMax", "StandardOutput", "StandardError", "Nice",
                          "ProtectSystem", "ProtectHome", "PrivateTmp", "NoNewPrivileges")},
    **{k: ("Timer",) for k in ("OnCalendar", "OnBootSec", "OnUnitActiveSec", "Persistent",
                               "RandomizedDelaySec")},
    **{k: ("Socket",) for k in ("ListenStream", "ListenDatagram")},
}
_KNOWN_SECTIONS = {"Unit", "Service", "Install", "Timer", "Socket", "Mount", "Path", "Swap"}


@rules.rule(
    "SD003", "warning", "reliability", "Directive in the wrong section",
    "systemd ignores a key outside its section with only a log line (\"Unknown key … in "
    "section [Service], ignoring\"): `StartLimitIntervalSec=` in [Service] (it moved to "
    "[Unit] in v230), `After=` in [Service] or `Restart=` in [Unit] are silently not "
    "applied.",
    "Move the key to the section systemd.directives(7) lists for it ([Unit] for "
    "`StartLimitIntervalSec=`/`StartLimitBurst=`, dependencies and `OnFailure=`).",
    example="[Unit]\nStartLimitIntervalSec=60\nStartLimitBurst=3\n\n[Service]\n"
            "ExecStart=/usr/bin/myapp\nRestart=on-failure\nRestartSec=5s")
def wrong_section(doc, ctx):
    unit = doc.model
    for sec in unit.sections:
        for e in sec.entries:
            want = _SECTION_OF.get(e.key)
            if want is None or sec.name in want or sec.name not in _KNOWN_SECTIONS:
                continue
            yield _at(e, f"`{e.key}=` in [{sec.name}] is ignored: it belongs in [{want[0]}]")


@rules.rule(
    "SD004", "warning", "reliability", "`Type=` does not match the process",
    "`Type=forking` without `PIDFile=` leaves systemd guessing the main process, so "
    "restarts and stops may hit the wrong one. A job that runs and exits written as "
    "`Type=simple` (the default) is \"started\" the moment it is forked: units ordered "
    "after it do not wait, and a failure is not seen by whoever started it.",
    "`Type=forking` with `PIDFile=` (or run the daemon in the foreground with "
    "`Type=simple`/`exec`/`notify`); `Type=oneshot` for a job that runs to completion.",
    example="[Service]\nType=forking\nPIDFile=/run/mydaemon.pid\nExecStart=/usr/sbin/mydaemon")
def type_mismatch(doc, ctx):
    for unit in _services(doc):
        t = service_type(unit)
        type_entry = unit.entry("Service", "Type")
        if t == "forking" and not unit.get("Service", "PIDFile"):
            yield _at(type_entry, "`Type=forking` without `PIDFile=`: systemd guesses the "
                                  "main process")
        elif t in ("simple", "exec"):
            where = type_entry or (unit.get_all("Service", "ExecStart") or [None])[-1]
            if where is None:
                continue
            if truthy(unit.get("Service", "RemainAfterExit")):
                yield _at(where, f"`Type={t}` with `RemainAfterExit=yes` is a one-shot "
                                 "written as a daemon: use `Type=oneshot`")
            elif timer_started(doc, ctx):
                yield _at(where, f"started by a timer but `Type={t}`: the job counts as "
                                 "started when forked; use `Type=oneshot`")


@rules.rule(
    "SD005", "critical", "reliability", "Service systemd refuses to load",
    "systemd refuses these at load time and the service never runs: more than one "
    "`ExecStart=` outside `Type=oneshot`, `Restart=always`/`on-success` on a oneshot, no "
    "`ExecStart=` at all (nor `ExecStop=`/`SuccessAction=`), or an `ExecStart=` that is "
    "neither an absolute path nor a plain command name.",
    "Use `Type=oneshot` for several commands, `Restart=on-failure` on a oneshot, and an "
    "absolute path in `ExecStart=`.",
    peers=("systemd-analyze:verify",),
    example="[Service]\nType=oneshot\nExecStart=/usr/local/bin/prepare\n"
            "ExecStart=/usr/local/bin/backup")
def refused(doc, ctx):
    for unit in _services(doc):
        starts = unit.get_all("Service", "ExecStart")
        t = service_type(unit)
        if len(starts) > 1 and t != "oneshot":
            yield _at(starts[1], f"{len(starts)} `ExecStart=` lines in a `Type={t}` service: "
                                 "only `Type=oneshot` may have several")
        restart = unit.entry("Service", "Restart")
        if t == "oneshot" and restart is not None and restart.value.strip().lower() in (
                "always", "on-success"):
            yield _at(restart, f"`Restart={restart.value}` on a `Type=oneshot` service")
        if not starts and not unit.get_all("Service", "ExecStop") and not unit.get(
                "Unit", "SuccessAction") and unit.has_section("Service"):
            yield Hit(_service_line(unit), "no `ExecStart=`, `ExecStop=` or "
                                           "`SuccessAction=`")
        for e in starts:
            command = e.value.lstrip("@-:+!").split(None, 1)
            if command and "/" in command[0] and not command[0].startswith(("/", "%", "$")):
                yield _at(e, f"`{command[0]}` is neither an absolute path nor a command name")


@rules.rule(
    "SD006", "warning", "reliability", "Half of the network-online ordering",
    "`network-online.target` is only reached when a unit pulls it in: `After=` alone "
    "orders against a target nobody started (the service may start before the network is "
    "up), `Wants=` alone pulls it in without waiting for it.",
    "Write both in [Unit]: `Wants=network-online.target` and `After=network-online.target`.",
    example="[Unit]\nWants=network-online.target\nAfter=network-online.target")
def network_online(doc, ctx):
    unit = doc.model
    target = "network-online.target"
    after = [e for n, e in names(unit, "Unit", "After") if n == target]
    pulls = [e for key in ("Wants", "Requires", "BindsTo")
             for n, e in names(unit, "Unit", key) if n == target]
    if after and not pulls:
        yield _at(after[-1], "`After=network-online.target` without "
                             "`Wants=network-online.target`: nothing waits for the network")
    elif pulls and not after:
        yield _at(pulls[-1], f"`{pulls[-1].key}=network-online.target` without "
                             "`After=network-online.target`: it starts in parallel")


@rules.rule(
    "SD007", "warning", "reliability", "`Requires=` without `After=`",
    "`Requires=`/`BindsTo=` only say the units go up and down together; without "
    "`After=` they start at the same time, so this service may start before the one it "
    "requires is ready.",
    "Add the same unit to `After=`.",
    example="[Unit]\nRequires=postgresql.service\nAfter=postgresql.service")
def requires_after(doc, ctx):
    unit = doc.model
    ordered = {n for key in ("After", "Before") for n, _ in names(unit, "Unit", key)}
    for key in ("Requires", "BindsTo", "Requisite"):
        for n, e in names(unit, "Unit", key):
            if n in ordered or n.endswith((".slice", ".device")):
                continue
            if n.endswith(".socket") and n[:-7] == unit.name.rsplit(".", 1)[0]:
                continue      # a socket is ordered before its own service implicitly
            yield _at(e, f"`{key}={n}` without `After={n}`")


@rules.rule(
    "SD008", "warning", "reliability", "Long-running service without `[Install]`",
    "Without an [Install] section `systemctl enable` has nothing to do: the daemon does "
    "not start at boot unless another unit pulls it in.",
    "Add `[Install]` with `WantedBy=multi-user.target` (user units: `default.target`).",
    example="[Service]\nExecStart=/usr/bin/myapp\n\n[Install]\nWantedBy=multi-user.target")
def no_install(doc, ctx):
    unit = doc.model
    if not long_running(doc, ctx) or unit.has_section("Install"):
        return
    if activators(doc, ctx) or "@" in unit.name or service_type(unit) == "dbus":
        return      # started by a socket or path unit, a template, D-Bus activation
    if _wanted_by_another(unit.name, ctx) or statically_enabled(doc, ctx):
        return
    yield Hit(_service_line(unit), "no [Install] section: `systemctl enable` cannot make "
                                   "it start at boot")


def _wanted_by_another(name, ctx):
    from infra_expert.systemd.model import units
    for d in units(ctx):
        for key in ("Wants", "Requires", "BindsTo", "Upholds"):
            if any(n == name for n, _ in names(d.model, "Unit", key)):
                return True
        if any(n == name for n, _ in names(d.model, "Install", "Also")):
            return True
    return False


@rules.rule(
    "SD009", "suggestion", "reliability", "Job without `OnFailure=`",
    "A timer-started job fails in silence: the journal records it, nobody "
    "reads it, and the backup is found missing the day it is needed.",
    "Add `OnFailure=notify-failure@%n.service` in [Unit] (a template unit that mails, "
    "posts to a webhook or pushes to ntfy).",
    positive="Failures of the job are reported (`OnFailure=`)",
    example="[Unit]\nOnFailure=notify-failure@%n.service\n\n[Service]\nType=oneshot\n"
            "ExecStart=/usr/local/bin/backup")
def on_failure(doc, ctx):
    for unit in _services(doc):
        # one-shots in general are mostly the system's own (reboot, suspend, setup):
        # the scheduled jobs are the ones whose failure nobody sees
        if not timer_started(doc, ctx):
            continue
        entry = unit.entry("Unit", "OnFailure")
        if entry is not None and entry.value:
            yield Pass(entry.line)
        else:
            yield Hit(_service_line(unit), "timer-started job with no `OnFailure=`: a "
                                           "failure is only in the journal")


@rules.rule(
    "SD010", "suggestion", "security", "Service runs as root by default",
    "With neither `User=` nor `DynamicUser=` the service runs as root: a bug in it is a "
    "bug with every privilege on the host.",
    "Add `DynamicUser=yes` (with `StateDirectory=`) or `User=` a dedicated account; write "
    "`User=root` if root is really needed, so that the choice is visible.",
    positive="Runs as `{user}`",
    peers=("systemdlint:Security.NoUser",),
    example="[Service]\nExecStart=/usr/bin/myapp\nDynamicUser=yes\nStateDirectory=myapp")
def root_default(doc, ctx):
    for unit in _services(doc):
        user = unit.entry("Service", "User")
        dynamic = unit.entry("Service", "DynamicUser")
        if dynamic is not None and truthy(dynamic.value):
            yield Pass(dynamic.line, user="a dynamic user")
        elif user is not None and user.value:
            if user.value not in ("root", "0"):
                yield Pass(user.line, user=user.value)
        elif unit.get_all("Service", "ExecStart"):
            yield Hit(_service_line(unit), "no `User=` or `DynamicUser=`: runs as root")


def _environment(unit):
    from infra_expert.shell import split_words
    for e in unit.get_all("Service", "Environment"):
        for word in split_words(e.value):
            name, eq, value = word.partition("=")
            if eq:
                yield e, name, value


def _secret(name, value):
    return bool(value) and (token_kind(value) or (
        is_secret_name(name) and is_literal_secret_value(value, name)))


@rules.rule(
    "SD011", "critical", "security", "Secret written in `Environment=`",
    "Unit files are world-readable, end up in backups and configuration repositories, and "
    "`systemctl show` prints the environment to any user: a literal credential there is "
    "exposed.",
    "Put it in a root-only file and use `LoadCredential=name:/etc/credstore/name` (read "
    "from `$CREDENTIALS_DIRECTORY/name`), or `EnvironmentFile=` with mode 0600.",
    positive="Credentials passed with `{key}=`",
    peers=("systemdlint:Security.Environment",),
    example="[Service]\nExecStart=/usr/bin/myapp\n"
            "LoadCredential=db-password:/etc/credstore/db-password")
def env_secret(doc, ctx):
    for unit in _services(doc):
        for e, name, value in _environment(unit):
            if _secret(name, value):
                yield _at(e, f"`{name}={MASK}` in `Environment=`")
        for key in ("LoadCredential", "LoadCredentialEncrypted", "SetCredentialEncrypted"):
            entry = unit.entry("Service", key)
            if entry is not None and entry.value:
                yield Pass(entry.line, key=key)
                break


@rules.rule(
    "SD012", "warning", "security", "Secret written in `SetCredential=`",
    "`SetCredential=` keeps the secret out of the environment, but the value is still in "
    "the world-readable unit file; it is meant for non-secret defaults.",
    "Use `LoadCredential=` from a root-only file, or `SetCredentialEncrypted=` "
    "(`systemd-creds encrypt`).",
    example="[Service]\nExecStart=/usr/bin/myapp\n"
            "LoadCredential=db-password:/etc/credstore/db-password")
def set_credential(doc, ctx):
    for unit in _services(doc):
        for e in unit.get_all("Service", "SetCredential"):
            name, colon, value = e.value.partition(":")
            if colon and value and (token_kind(value) or is_literal_secret_value(value)) and (
                    is_secret_name(name.replace("-", "_")) or token_kind(value)):
                yield _at(e, f"`SetCredential={name}:{MASK}` holds the secret itself")


@rules.rule(
    "SD013", "suggestion", "performance", "No memory limit on a long-running service",
    "Without `MemoryMax=` a leaking daemon takes the whole machine before the kernel's "
    "OOM killer picks a victim — on a 1–4 GiB board, often another service or sshd. "
    "`MemoryHigh=` throttles and reclaims first; `MemoryMax=` keeps the OOM kill inside "
    "the service.",
    "Add `MemoryHigh=` and `MemoryMax=` (e.g. `MemoryHigh=400M`, `MemoryMax=512M`) to "
    "[Service].",
    positive="Memory capped (`{key}={value}`)",
    example="[Service]\nExecStart=/usr/bin/myapp\nMemoryHigh=400M\nMemoryMax=512M")
def memory_limit(doc, ctx):
    for unit in _services(doc):
        for key in ("MemoryMax", "MemoryHigh"):
            entry = unit.entry("Service", key)
            if entry is not None and entry.value and entry.value != "infinity":
                yield Pass(entry.line, key=key, value=entry.value)
                return
        if not long_running(doc, ctx):
            continue
        legacy = unit.entry("Service", "MemoryLimit")
        if legacy is not None and legacy.value:
            yield _at(legacy, "`MemoryLimit=` is the deprecated cgroup-v1 setting: use "
                              "`MemoryMax=`")
        else:
            yield Hit(_service_line(unit), "no `MemoryMax=` or `MemoryHigh=`")


@rules.rule(
    "SD014", "warning", "reliability", "Task or OOM protection switched off",
    "`TasksMax=infinity` removes the fork-bomb guard; `OOMScoreAdjust=-1000` makes the "
    "service unkillable by the OOM killer, which then kills everything else first; "
    "`OOMPolicy=continue` leaves a service running after the kernel killed one of its "
    "processes, half-alive.",
    "Keep the default `TasksMax=` (or a number), a moderate `OOMScoreAdjust=` (-500 for a "
    "critical service), and the default `OOMPolicy=stop` with `Restart=`.",
    example="[Service]\nExecStart=/usr/bin/myapp\nTasksMax=512\nOOMScoreAdjust=-500")
def oom_tasks(doc, ctx):
    for unit in _services(doc):
        tasks = unit.entry("Service", "TasksMax")
        if tasks is not None and tasks.value.strip().lower() == "infinity":
            yield _at(tasks, "`TasksMax=infinity`: no limit on processes and threads")
        oom = unit.entry("Service", "OOMScoreAdjust")
        try:
            score = int(oom.value) if oom is not None else 0
        except ValueError:
            score = 0
        if score <= -1000:
            yield _at(oom, f"`OOMScoreAdjust={oom.value}`: the OOM killer never picks this "
                           "service, whatever it uses")
        policy = unit.entry("Service", "OOMPolicy")
        if policy is not None and policy.value.strip().lower() == "continue":
            yield _at(policy, "`OOMPolicy=continue`: the service keeps running after a "
                              "process of it was OOM-killed")


_BACKGROUND = ("Nice", "IOSchedulingClass", "CPUSchedulingPolicy", "CPUWeight", "CPUQuota",
               "IOWeight", "Slice")


@rules.rule(
    "SD015", "suggestion", "performance", "Batch job not deprioritised",
    "A backup or a compression job competes with the services on equal terms: on a small "
    "board it can starve them of CPU and disk for its whole run.",
    "Add `Nice=10`, `IOSchedulingClass=idle` (and `CPUQuota=50%`, `OOMScoreAdjust=500`) "
    "to the job's [Service].",
    positive="Job runs in the background (`{key}={value}`)",
    example="[Service]\nType=oneshot\nExecStart=/usr/local/bin/backup\nNice=10\n"
            "IOSchedulingClass=idle")
def batch_priority(doc, ctx):
    for unit in _services(doc):
        if not timer_started(doc, ctx):
            continue
        for key in _BACKGROUND:
            entry = unit.entry("Service", key)
            if entry is not None and entry.value:
                yield Pass(entry.line, key=key, value=entry.value)
                return
        yield Hit(_service_line(unit), "timer-started job with no `Nice=`, "
                                       "`IOSchedulingClass=`, `CPUWeight=` or `CPUQuota=`")


def _rotated(path, ctx):
    for d in ctx.documents:
        if d.kind == "logrotate" and d.text and path in d.text:
            return d.path
    return None


@rules.rule(
    "SD016", "warning", "reliability", "Output appended to a file that nothing rotates",
    "`StandardOutput=append:` (or `file:`) writes outside the journal, whose size is "
    "capped: the file grows until the disk — often an SD card — is full.",
    "Log to the journal (the default), or add a logrotate file for the path (with "
    "`copytruncate`, as systemd keeps the file open).",
    positive="`{log}` rotated by `{by}`",
    example="[Service]\nExecStart=/usr/bin/myapp\nStandardOutput=journal")
def file_output(doc, ctx):
    for unit in _services(doc):
        for key in ("StandardOutput", "StandardError"):
            entry = unit.entry("Service", key)
            if entry is None:
                continue
            kind, colon, path = entry.value.partition(":")
            if not colon or kind not in ("append", "file") or not path or path.startswith(
                    ("/run/", "/dev/", "/proc/", "/sys/", "/tmp/")):
                continue      # tmpfs, devices and consoles do not fill the disk
            by = _rotated(path, ctx)
            if by:
                yield Pass(entry.line, log=path, by=by)
            else:
                yield _at(entry, f"`{key}={entry.value}` and no logrotate file in the "
                                 "review names it")


@rules.rule(
    "SD017", "suggestion", "reliability", "No watchdog on a service that talks to systemd",
    "A `Type=notify` daemon already speaks sd_notify; with `WatchdogSec=` systemd also "
    "restarts it when it hangs (alive but stuck), not only when it exits.",
    "Add `WatchdogSec=30s` when the program sends `WATCHDOG=1` (check its documentation).",
    positive="Hung process caught by `WatchdogSec={value}`",
    example="[Service]\nType=notify\nExecStart=/usr/bin/myapp\nRestart=on-failure\n"
            "WatchdogSec=30s")
def watchdog(doc, ctx):
    for unit in _services(doc):
        if not long_running(doc, ctx):
            continue
        t = service_type(unit)
        entry = unit.entry("Service", "WatchdogSec")
        span = timespan(entry.value) if entry is not None else None
        if entry is not None and span:
            yield Pass(entry.line, value=entry.value)
        elif t in ("notify", "notify-reload") and unit.get("Service", "Restart") \
                and not _never_pings(unit):
            yield _at(unit.entry("Service", "Type"), f"`Type={t}` with no `WatchdogSec=`: a "
                                                     "hung process is not restarted")


# Programs that speak sd_notify (READY=1, STOPPING=1) but never send WATCHDOG=1: with
# `WatchdogSec=` systemd would kill them at every interval. rclone: lib/systemd/notify.go.
_NO_WATCHDOG = frozenset({"rclone"})


def _never_pings(unit):
    from infra_expert.shell import split_words
    for e in unit.get_all("Service", "ExecStart"):
        words = split_words(e.value.lstrip("-@:+!"))
        if words and words[0].rsplit("/", 1)[-1] in _NO_WATCHDOG:
            return True
    return False


_EXPOSURE_LIMIT = 7.0


@rules.rule(
    "SD018", "suggestion", "security", "Service sandbox wide open (high exposure)",
    "`systemd-analyze security` rates how much of the system a service can reach; above "
    "7 (EXPOSED, UNSAFE) a compromised service reaches nearly all of it. infra-expert "
    "computes the same score from the unit, and names the settings that cost the most.",
    "Add the named settings to [Service]; the usual quick wins are `NoNewPrivileges=yes`, "
    "`ProtectSystem=strict` (with `ReadWritePaths=`), `ProtectHome=yes`, `PrivateTmp=yes`, "
    "`PrivateDevices=yes`, `ProtectKernelTunables=yes`, `ProtectControlGroups=yes`, "
    "`RestrictAddressFamilies=`, `SystemCallFilter=@system-service` and "
    "`CapabilityBoundingSet=`. Check with `systemd-analyze security UNIT`.",
    positive="Sandboxed: exposure {score} {word}",
    peers=("systemd-analyze:security",),
    example="[Service]\nExecStart=/usr/bin/myapp\nDynamicUser=yes\nProtectSystem=strict\n"
            "ProtectHome=yes\nPrivateTmp=yes\nPrivateDevices=yes\nNoNewPrivileges=yes\n"
            "ProtectKernelTunables=yes\nProtectKernelModules=yes\nProtectControlGroups=yes\n"
            "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\n"
            "SystemCallFilter=@system-service\nCapabilityBoundingSet=")
def exposure_high(doc, ctx):
    from infra_expert.systemd.exposure import exposure
    for unit in _services(doc):
        if not unit.get_all("Service", "ExecStart"):
            continue
        exp = exposure(unit)
        if exp.score > _EXPOSURE_LIMIT:
            top = ", ".join(f"`{fix}` ({cost:.1f})" for _, fix, cost in exp.top(5))
            yield Hit(_service_line(unit), f"exposure {exp.score:.1f} {exp.word}; the largest "
                                           f"contributions: {top}")
        else:
            yield Pass(_service_line(unit), score=f"{exp.score:.1f}", word=exp.word)
