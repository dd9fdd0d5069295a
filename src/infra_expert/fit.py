"""Will it fit? What the reviewed files run together, totalled, and judged against the
host the user named (`--host rpi4-4gb`).

Each domain says what runs through its descriptor's `consumers(resources)` (nothing here
reads a domain's files). What runs together is everything that runs by default: Compose
services outside profiles, workloads (replicas and a DaemonSet's one pod per node
included; Jobs and CronJobs are peaks, counted apart), Quadlet containers and systemd
services. Memory *guaranteed* is the sum of declared limits; a consumer without one is
*unbounded*: it can take whatever is left.

An unbounded consumer whose image is in the footprint table (`infra_expert.footprints`)
gets an *estimate*: the documented figure, with its source, counted apart in
`memory_estimated_bytes` and never mixed into the declared limits. RS001 judges the
declared limits only; the estimates are said next to them, as estimates.
"""

from __future__ import annotations

from infra_expert.model import Hit, RuleSet

rules = RuleSet("resources")
WARN_SHARE = 0.80


@rules.rule(
    "RS001", "warning", "reliability", "Memory limits do not fit the host",
    "When the declared limits add up to more than the host can give, the kernel's OOM "
    "killer decides which service dies, at the worst moment; above 80 % there is no room "
    "left for the page cache, a build or an upgrade that runs two versions side by side.",
    "Lower the limits of what can live with less, move a service to another host, or pick a "
    "bigger host; keep the total under 80 % of the usable memory.",
    example='services:\n  app:\n    image: ghcr.io/example/app:1.4.2\n    mem_limit: 256m\n')
def over_capacity(doc, ctx):
    return ()   # judged once per run by `judge`, from the totals


@rules.rule(
    "RS002", "warning", "reliability", "Unbounded memory on a small host",
    "On a host of a few GiB one service without a memory limit (a leak, a cache that "
    "grows, a heavy query) takes the memory of all the others, and the OOM killer picks "
    "who dies.",
    "Give it a limit (`mem_limit:`/`deploy.resources.limits.memory`, `MemoryMax=`, "
    "`Memory=`, `resources.limits.memory`) sized from what it uses under load, plus a "
    "margin.",
    example='services:\n  app:\n    image: ghcr.io/example/app:1.4.2\n    mem_limit: 256m\n')
def unbounded(doc, ctx):
    return ()   # judged once per run by `judge`


@rules.rule(
    "RS003", "suggestion", "reliability", "Database not protected from the OOM killer",
    "When memory runs out the kernel kills the process with the highest OOM score, "
    "roughly the largest: on a small host that is often the database, mid-write, while a "
    "cache or a batch job that could have gone keeps running. Telling the kernel who goes "
    "first keeps the state safe.",
    "Lower the database's score (`oom_score_adj: -500` in Compose, `OOMScoreAdjust=-500` "
    "in its unit) or give it Guaranteed QoS in Kubernetes (requests equal to limits); "
    "raise it on what can be restarted (`oom_score_adj: 500` on a cache).",
    example='services:\n  db:\n    image: postgres:16.4\n    mem_limit: 512m\n'
            '    oom_score_adj: -500\n')
def unprotected_database(doc, ctx):
    return ()   # judged once per run by `judge`


@rules.rule(
    "RS004", "suggestion", "reliability", "No swap or zram on a host near its limit",
    "Without swap a short peak (an upgrade pulling a new image, a dump, a page-cache "
    "burst) goes straight to the OOM killer. On a small board compressed RAM (zram) "
    "absorbs it at little cost and without wearing the SD card the way a swap file does.",
    "Set up zram (`zram-generator`, or `zram-tools` on Raspberry Pi OS, about half the RAM "
    "as zram swap) and keep the limits under 80 % of the usable memory; a swap file on an "
    "SSD is the fallback. Kubernetes nodes are left out: the kubelet wants swap off.",
    example="[zram0]\nzram-size = ram / 2\ncompression-algorithm = zstd\n")
def no_swap(doc, ctx):
    return ()   # judged once per run by `judge`


@rules.rule(
    "RS005", "warning", "performance", "Heavy jobs start at the same time",
    "Dumps, backups, archives and transfers read or write a whole data set; two of them "
    "starting within minutes of each other on the same host compete for memory, CPU and "
    "the disk (on an SD card, a few IOPS), run much longer than alone, and a memory peak "
    "of both at once is what the OOM killer sees.",
    "Stagger them (the dump first, the upload of the dump after it: `03:00`, then "
    "`04:00`, or chain them with `After=`/a Kestra flow trigger), or add "
    "`RandomizedDelaySec=` to timers.",
    example="[Timer]\nOnCalendar=*-*-* 03:00:00\nRandomizedDelaySec=15m\nPersistent=true"
            "\n\n[Install]\nWantedBy=timers.target\n")
def overlapping_jobs(doc, ctx):
    return ()   # judged once per run by `judge`


@rules.rule(
    "RS006", "warning", "reliability", "Database or logs written to the SD card",
    "An SD card lasts a limited number of writes and loses data on power cuts; a database "
    "(every commit, its WAL, its checkpoints) or a log directory written all day wears it "
    "out in months and corrupts on the next unclean shutdown.",
    "Put the database's volume on an SSD (USB 3 or NVMe, bind-mounted from `/mnt/…`), or "
    "boot the board from the SSD; send logs to the journal with a size cap, to a tmpfs "
    "(log2ram), or to an external disk.",
    example='services:\n  db:\n    image: postgres:16.4\n    mem_limit: 512m\n'
            '    volumes:\n      - /mnt/ssd/pgdata:/var/lib/postgresql/data\n')
def sd_card_writes(doc, ctx):
    return ()   # judged once per run by `judge`


@rules.rule(
    "RS007", "warning", "reliability", "Image not built for the host's architecture",
    "An image for another architecture fails with `exec format error`, or runs under "
    "qemu emulation (when binfmt is installed) several times slower; a pod pinned to "
    "another architecture never schedules.",
    "Use a multi-architecture image (most official images are), drop the forced "
    "`platform:`, or run the service on a machine of that architecture.",
    example='services:\n  app:\n    image: ghcr.io/example/app:1.4.2\n'
            '    platform: linux/arm64\n    mem_limit: 256m\n')
def wrong_arch(doc, ctx):
    return ()   # judged once per run by `judge`


@rules.rule(
    "RS008", "suggestion", "reliability", "No alert on memory",
    "On a host sized this close, memory is what runs out first; without an alert the "
    "first sign is a service killed by the OOM killer, found later in the kernel log.",
    "Alert before the OOM killer acts: with node-exporter, "
    "`node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes < 0.10` for 5m; with "
    "cAdvisor, a container's `container_memory_working_set_bytes` near its limit; also "
    "`increase(node_vmstat_oom_kill[1h]) > 0`.",
    example="groups:\n  - name: host\n    rules:\n      - alert: HostLowMemory\n"
            "        expr: node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes < "
            "0.10\n        for: 5m\n        labels:\n          severity: warning\n"
            "        annotations:\n          summary: Less than 10% memory available on "
            "{{ $labels.instance }}\n")
def no_memory_alert(doc, ctx):
    return ()   # judged once per run by `judge`


# Stores whose typical use here is a cache: the process to let go first, not to protect.
_CACHES = frozenset({"redis", "valkey", "memcached", "keydb", "dragonfly"})


def _database(c):
    """The database a consumer runs (`postgres`), or None."""
    from infra_expert.images import DATABASES, ImageRef
    for image in c.get("images") or [c.get("image")]:
        if image and "$" not in image:
            name = ImageRef(image).base_name.lower()
            if name in DATABASES and name not in _CACHES:
                return name
    if c.get("domain") == "systemd":
        stem = c["path"].rsplit("/", 1)[-1].split("@")[0].split(".")[0].lower()
        for db in ("postgresql", "mariadb", "mysql", "mongod", "influxdb"):
            if stem.startswith(db):
                return db
    return None


def consumers(resources, domains):
    """Every consumer the domains report, in the registry's order."""
    found = []
    for dom in domains:
        res = resources.get(dom.name)
        if res and dom.consumers is not None:
            for c in dom.consumers(res):
                found.append({**c, "domain": dom.name})
    return found


def _running(found):
    return [c for c in found if c["schedule"] != "batch" and not c["optional"]]


def estimate(consumer):
    """The estimate of an unbounded consumer from the footprint table, or None: its
    memory in bytes (per image, summed over a pod's containers, times its replicas) and
    the figures it rests on. A consumer with a declared limit is never estimated."""
    if consumer.get("memory_limit"):
        return None
    from infra_expert.footprints import estimate as footprint
    images = consumer.get("images") or ([consumer["image"]] if consumer.get("image") else [])
    figures = []
    for image in images:
        fp = footprint(image)
        if fp is not None:
            figures.append({"image": image, "memory_bytes": fp.memory_bytes,
                            "kind": fp.kind, "scope": fp.scope, "what": fp.what,
                            "source": fp.source})
    if not figures:
        return None
    replicas = max(int(consumer.get("replicas") or 1), 1)
    return {"name": consumer["name"], "path": consumer["path"],
            "memory_bytes": sum(f["memory_bytes"] for f in figures) * replicas,
            "replicas": replicas, "figures": figures,
            "partial": len(figures) < len(images), "estimated": True}


def _group_total(members, host):
    limited = [c for c in members if c["memory_limit"]]
    guaranteed = sum(c["memory_limit"] for c in limited)
    estimates = [e for e in (estimate(c) for c in members) if e]
    guessed = sum(e["memory_bytes"] for e in estimates)
    out = {"running": len(members), "memory_limit_bytes": guaranteed,
           "unbounded": [c["name"] for c in members if not c["memory_limit"]],
           "cpu_limit": sum(c["cpu_limit"] or 0 for c in members),
           "memory_estimated_bytes": guessed, "estimates": estimates,
           "estimated": bool(estimates)}
    if host is not None and host.usable_memory:
        out["share_of_usable_memory"] = round(guaranteed / host.usable_memory, 3)
        if estimates:
            out["share_with_estimates"] = round((guaranteed + guessed) / host.usable_memory, 3)
    return out


def groups(found):
    """{group: [running consumers]}: what runs together, in the order found."""
    out = {}
    for c in _running(found):
        out.setdefault(c.get("group") or c["path"], []).append(c)
    return out


def totals(found, host=None):
    """The JSON `resources.total`: per group of what runs together, numbers in bytes and
    CPUs; Jobs, CronJobs and one-shot units (`batch`) and Compose profiles (`optional`)
    are counted apart."""
    out = {"groups": {g: _group_total(members, host) for g, members in groups(found).items()},
           "batch": len([c for c in found if c["schedule"] == "batch"]),
           "optional": len([c for c in found if c["optional"]])}
    if host is not None:
        out["host"] = host.as_dict()
    return out


def judge(found, host, resources=None, swap_seen=False):
    """(rule, Hit) pairs for the run, given the host: each group of what runs together
    against the host's usable memory, every unbounded consumer on a small host, swap near
    the limit, heavy jobs starting together, the SD card, the architecture and the memory
    alert. `resources` are the domains' own (for the alert rules); `swap_seen` says a swap
    or zram configuration is among the reviewed files."""
    by_id = {r.id: r for r in rules.rules}
    out = []
    near = []       # (share with estimates, group, members): groups near the limit
    for group, members in groups(found).items():
        total = _group_total(members, host)
        share = total.get("share_of_usable_memory") or 0
        with_guesses = total.get("share_with_estimates") or share
        if with_guesses > WARN_SHARE:
            near.append((with_guesses, group, members))
        if share > WARN_SHARE:
            biggest = max((c for c in members if c["memory_limit"]),
                          key=lambda c: c["memory_limit"])
            guessed = total["memory_estimated_bytes"]
            extra = (f"; estimated, not declared: ~{guessed / 2**20:.0f} MiB more for "
                     f"{len(total['estimates'])} service(s) without a limit, from "
                     "documented footprints" if guessed else "")
            out.append((by_id["RS001"], Hit(
                biggest["line"], f"{group}: declared memory limits add up to "
                                 f"{total['memory_limit_bytes'] / 2**20:.0f} MiB, {share:.0%} "
                                 f"of the {host.usable_memory / 2**20:.0f} MiB usable on "
                                 f"{host.label} (the largest: {biggest['name']}, "
                                 f"{biggest['memory_limit'] / 2**20:.0f} MiB){extra}",
                path=biggest["path"], severity="critical" if share > 1 else "warning")))
        # near the limit, or a small host where an unbounded neighbour can take it all
        at_risk = share > 0.5 or (host.small and any(not c["memory_limit"] for c in members))
        if len(members) > 1 and at_risk:
            for c in members:
                db = _database(c)
                if db and not c.get("oom_protected"):
                    out.append((by_id["RS003"], Hit(
                        c["line"], f"{group}: {c['name']} ({db}) has no OOM priority: when "
                                   f"memory runs out on {host.label} the kernel may kill it "
                                   "first, mid-write",
                        path=c["path"], severity="warning" if share > WARN_SHARE else None)))
        if host.small:
            for c in members:
                if not c["memory_limit"]:
                    guess = estimate(c)
                    out.append((by_id["RS002"], Hit(
                        c["line"], f"{c['name']} has no memory limit on {host.label}"
                                   + (_estimate_note(guess) if guess else ""),
                        path=c["path"])))
    out.extend(_swap(near, host, by_id["RS004"], swap_seen))
    out.extend(_overlaps(found, host, by_id["RS005"]))
    if host.storage == "sd":
        out.extend(_sd_card(found, host, by_id["RS006"]))
    if host.arch:
        out.extend(_arch(found, host, by_id["RS007"]))
    out.extend(_memory_alert(found, host, resources or {}, by_id["RS008"]))
    return out


def _largest(members):
    return max(members, key=lambda c: (c["memory_limit"] or 0, -(c["line"] or 0)))


def _swap(near, host, rule, swap_seen):
    """RS004: the group nearest its limit, when nothing in the reviewed files sets up swap
    or zram (Kubernetes namespaces are left out: the kubelet wants swap off)."""
    near = [n for n in near if not all(c["domain"] == "kubernetes" for c in n[2])]
    if swap_seen or not near:
        return []
    share, group, members = max(near, key=lambda n: n[0])
    c = _largest(members)
    return [(rule, Hit(c["line"], f"{group}: memory limits and estimates reach {share:.0%} "
                                   f"of the usable memory on {host.label}, and no swap or "
                                   "zram is set up in the reviewed files: a peak goes "
                                   "straight to the OOM killer", path=c["path"]))]


# RS005: jobs starting this close run together; a job firing more often than hourly is a
# poller, not a heavy job, and would overlap with everything.
OVERLAP_SECONDS = 10 * 60
_WINDOW_DAYS = 28


def _starts(job):
    """The job's start times over a fixed four-week window (Monday 2030-01-07, UTC for a
    schedule without a zone: the host's own zone, the same for all), or None when it
    fires more often than hourly or cannot be read."""
    from datetime import datetime, timedelta, timezone

    from infra_expert.oncalendar import CalendarError, parse_calendar
    begin = datetime(2030, 1, 7, tzinfo=timezone.utc)
    end = begin + timedelta(days=_WINDOW_DAYS)
    limit = _WINDOW_DAYS * 24 + 1
    times = set()
    for expr in job["calendar"]:
        try:
            cal = parse_calendar(expr)
        except CalendarError:
            return None
        at = begin - timedelta(seconds=1)
        while True:
            at = cal.next_after(at)
            if at is None or at >= end:
                break
            times.add(int(at.timestamp()))
            if len(times) > limit:
                return None
    return sorted(times) or None


def _together(a, b):
    """The start times of `a` within OVERLAP_SECONDS of one of `b` (both sorted)."""
    out, j = [], 0
    for t in a:
        while j < len(b) and b[j] < t - OVERLAP_SECONDS:
            j += 1
        if j < len(b) and abs(b[j] - t) <= OVERLAP_SECONDS:
            out.append(t)
    return out


def _how_often(times):
    days = len({t // 86400 for t in times})
    if days >= _WINDOW_DAYS - 2:
        return "every day"
    if days >= 3:
        return "every week"
    return "some days"


def _overlaps(found, host, rule):
    """RS005: heavy scheduled jobs (a dump, a backup, a transfer, a CronJob asking for a
    lot of memory) whose start times come within OVERLAP_SECONDS of each other; one
    finding per set of jobs that start together, on the first of them."""
    from datetime import datetime, timezone
    jobs = [(c, _starts(c)) for c in found
            if c["schedule"] == "batch" and c.get("heavy") and c.get("calendar")]
    jobs = [(c, t) for c, t in jobs if t]
    jobs.sort(key=lambda j: j[1][0])      # the first to start leads its set
    clusters = []       # [members, times of the first member that are shared]
    for i, (c, times) in enumerate(jobs):
        for d, other in jobs[:i]:
            shared = _together(other, times)
            if not shared:
                continue
            home = next((k for k in clusters if any(m is d for m in k[0])), None)
            if home is None:
                clusters.append([[d, c], shared])
            elif not any(m is c for m in home[0]):
                home[0].append(c)
            break
    out = []
    for members, shared in clusters:
        first = members[0]
        clock = datetime.fromtimestamp(shared[0], timezone.utc).strftime("%H:%M")
        names = ", ".join(f"{m['name']} ({m['heavy']}) in {m['path']}" for m in members)
        out.append((rule, Hit(first["line"], f"{len(members)} heavy jobs start within "
                                             f"{OVERLAP_SECONDS // 60} minutes of each "
                                             f"other, around {clock}, {_how_often(shared)}:"
                                             f" {names}",
                              path=first["path"],
                              severity=None if host.small else "suggestion")))
    return out


_EXTERNAL = ("/mnt/", "/media/")
_LOG_TARGET = ("/var/log", "/logs", "/log")


def _sd_card(found, host, rule):
    """RS006: a database whose data, or a log directory, is on the SD card: a named
    volume (under Docker's data root) or a bind mount not under /mnt or /media."""
    out = []
    for c in _running(found):
        if c.get("mounts") is None or c["domain"] not in ("compose", "podman"):
            continue
        # what the service writes: not read-only, not the host's own /var/log (a log
        # shipper reads it), not an external disk, not a device
        on_card = [m for m in c["mounts"] if not m.get("read_only")
                   and not m["source"].startswith(_EXTERNAL + ("/dev/", "/var/log"))
                   and "$" not in m["source"]]
        db = _database(c)
        data = [m for m in on_card if db and not m["target"].startswith(("/etc", "/run",
                                                                          "/docker-entry"))
                and not m["source"].endswith((".sock", ".conf", ".sql", ".sh"))]
        logs = [m for m in on_card if m["target"].rstrip("/").endswith(_LOG_TARGET)
                or m["target"].startswith("/var/log/")]
        if db and data:
            where = ", ".join(f"`{m['source']}`" for m in data[:2])
            out.append((rule, Hit(c["line"], f"{c['name']} ({db}) writes its data to "
                                             f"{where} on {host.label}'s SD card",
                                  path=c["path"])))
        elif logs:
            where = ", ".join(f"`{m['source']}` → `{m['target']}`" for m in logs[:2])
            out.append((rule, Hit(c["line"], f"{c['name']} writes logs to {where} on "
                                             f"{host.label}'s SD card",
                                  path=c["path"])))
    return out


_ARCH = {"amd64": "amd64", "x86_64": "amd64", "arm64": "arm64", "aarch64": "arm64",
         "arm": "arm", "armv7": "arm", "armhf": "arm", "armv6": "arm"}


def _platform_arch(platform):
    """`linux/arm64/v8` -> `arm64`; None when unknown or interpolated."""
    if not platform or "$" in platform:
        return None
    parts = platform.lower().split("/")
    return _ARCH.get(parts[1] if len(parts) > 1 else parts[0])


def _runs_on(arch, host_arch):
    """An arm64 board runs 32-bit arm images too (its cores execute AArch32)."""
    return arch == host_arch or (host_arch == "arm64" and arch == "arm")


def _arch(found, host, rule):
    """RS007: a forced `platform:` of another architecture, or an image whose official
    builds (from the footprint table's documented platforms) leave the host's out."""
    from infra_expert import footprints
    out = []
    for c in _running(found):
        forced = _platform_arch(c.get("platform"))
        if forced and not _runs_on(forced, host.arch):
            out.append((rule, Hit(c["line"], f"{c['name']} forces `platform: "
                                             f"{c['platform']}` on {host.label} "
                                             f"({host.arch})", path=c["path"])))
            continue
        for image in c.get("images") or [c.get("image")]:
            known = footprints.platforms(image) if image and "$" not in image else None
            if known and not any(_runs_on(a, host.arch) for a in known[0]):
                out.append((rule, Hit(c["line"], f"{c['name']} runs `{image}`, published "
                                                 f"for {', '.join(sorted(known[0]))} only, "
                                                 f"on {host.label} ({host.arch}) "
                                                 f"(per {known[1]})", path=c["path"])))
                break
    return out


# Images that alert on memory by themselves (Netdata ships RAM and OOM alarms enabled).
_ALERTING_IMAGES = frozenset({"netdata"})


def _memory_alert(found, host, resources, rule):
    """RS008: nothing in the reviewed files alerts on memory (a Prometheus alert whose
    expression reads memory, swap or OOM kills; a Netdata agent)."""
    running = _running(found)
    if not running or not host.small:
        return []
    monitoring = resources.get("monitoring") or {}
    files = monitoring.get("rule_files") or []
    if any(f.get("memory_alerts") for f in files):
        return []
    from infra_expert.images import ImageRef
    for c in running:
        for image in c.get("images") or [c.get("image")]:
            if image and "$" not in image and \
                    ImageRef(image).base_name.lower() in _ALERTING_IMAGES:
                return []
    if files:
        where = files[0]["path"]
        return [(rule, Hit(None, f"no alert on memory in the {len(files)} Prometheus rule "
                                 f"file(s) reviewed, for a stack sized for {host.label}",
                           path=where))]
    groups_ = groups(found)
    name, members = max(groups_.items(), key=lambda g: len(g[1]))
    c = members[0]
    return [(rule, Hit(c["line"], f"no alert on memory among the reviewed files (no "
                                  f"Prometheus rules, no Netdata) for a stack sized for "
                                  f"{host.label}", path=c["path"]))]


def _estimate_note(guess):
    first = guess["figures"][0]
    return (f" (estimated ~{guess['memory_bytes'] / 2**20:.0f} MiB, its documented "
            f"{first['what']}: {first['source']})")
