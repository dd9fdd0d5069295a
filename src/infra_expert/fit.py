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


def judge(found, host):
    """(rule, Hit) pairs for the run, given the host: each group of what runs together
    against the host's usable memory, and every unbounded consumer on a small host."""
    by_id = {r.id: r for r in rules.rules}
    out = []
    for group, members in groups(found).items():
        total = _group_total(members, host)
        share = total.get("share_of_usable_memory") or 0
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
    return out


def _estimate_note(guess):
    first = guess["figures"][0]
    return (f" (estimated ~{guess['memory_bytes'] / 2**20:.0f} MiB, its documented "
            f"{first['what']}: {first['source']})")
