"""The live domain: what runs right now (Docker/Podman containers, Kubernetes objects,
systemd units, the host), read-only.

`infra-expert live docker|podman|kubernetes|systemd|all` collects the running state
through allowlisted read-only calls (`live.execute`) into a *snapshot*: one JSON document
(`{"infra-expert-live": 1, "source": …, "containers": […], "objects": […], "units": […],
"host": {…}}`, values of environment variables already dropped). The snapshot is a
document of this domain; `related` turns its parts into documents of the domains that
already know them — a container becomes a Compose service, a Kubernetes object a
manifest, a unit its unit file — so every existing rule runs unchanged on what runs, and
the LV rules read what only live state shows (health, restarts, OOM kills, drift, failed
units, timers that never ran, memory in use, disks filling up).

A snapshot saved with `--snapshot FILE` (`*.live.json`) is reviewed later like any file:
`infra-expert review snapshot.live.json` (collected on the box, read on a laptop).
"""

from __future__ import annotations

from infra_expert.domain import Domain

NAME = "live"
MARKER = "infra-expert-live"
SNAPSHOT_SUFFIX = ".live.json"


def _rulesets():
    from infra_expert.live import rules_containers, rules_host, rules_kube
    return (rules_containers.rules, rules_kube.rules, rules_host.rules)


def by_name(name):
    return "snapshot" if name.lower().endswith(SNAPSHOT_SUFFIX) else None


def confirm(kind, text, where):
    # dump_snapshot sorts keys: the marker follows `containers`, maybe far down
    return kind if f'"{MARKER}": 1' in text else None


def load(docs, ctx):
    from infra_expert.live.model import load_snapshot
    failures = []
    for doc in docs:
        try:
            doc.model = load_snapshot(doc.text)
            from infra_expert.model import Notice
            # what the collection could not read (a source down, a unit file not read)
            ctx.notices.extend(Notice(doc.path, n) for n in doc.model.notices)
        except ValueError as exc:
            from infra_expert.model import Notice
            ctx.notices.append(Notice(doc.path, f"not a usable live snapshot: {exc}"))
        except Exception as exc:  # noqa: BLE001 - reported, the run goes on
            failures.append((doc, type(exc).__name__))
    return failures


def related(docs, ctx):
    """The documents the snapshot stands for, in the domains that know them."""
    from infra_expert.live.synth import documents_of
    out = []
    for doc in docs:
        if doc.model is not None:
            out.extend(documents_of(doc))
    return out


def suppressions(doc, peer_index):
    """A snapshot is data read from a machine: nothing in it is a pragma (silence a live
    rule with the config's `ignore`)."""
    return [], []


DOMAIN = Domain(
    NAME, "LV", "live state (containers, clusters, units, host)", _rulesets,
    noun=("live snapshot", "live snapshots"),
    by_name=by_name, confirm=confirm, load=load, related=related,
    suppressions=suppressions, fence="json", example_names=("host.live.json",))
