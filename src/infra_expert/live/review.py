"""Reviewing a live snapshot: the snapshot is one document of the live domain, its parts
join the run as documents of the domains that know them (`live.synth`), and the host it
was read on is the host of the 📊 section unless the user named one."""

from __future__ import annotations

import os
import re

from infra_expert.model import Document

# a kube context or namespace named like production
_PRODUCTION = re.compile(r"(?i)(?:^|[^a-z])prod(?:uction)?(?:[^a-z]|$)")


def looks_like_production(context):
    return any(isinstance(context.get(k), str) and _PRODUCTION.search(context[k])
               for k in ("kube_context", "namespace", "cluster"))


def review_snapshot(text, config, path):
    """The Review of a snapshot's text (`dump_snapshot`), shown as `path`."""
    from infra_expert.engine import review_documents
    from infra_expert.fsgate import Gate
    from infra_expert.live.model import load_snapshot
    snapshot = load_snapshot(text)
    if config.host is None and snapshot.host:
        from infra_expert.live.host import as_host
        config.host = as_host(snapshot.host)
    # an absolute path that is no file: the snapshot was read from a machine, not a tree
    doc = Document(path, os.path.join(os.sep, "live-snapshot", path), "live", "snapshot",
                   text, None)
    # the host read live says whether swap is there (LV046), not the reviewed files (RS004)
    result = review_documents([doc], [], config, gate=Gate([], config.max_file_size),
                              swap_seen=bool(snapshot.host))
    result.live = {"source": snapshot.source,
                   "collected_at": snapshot.data.get("collected_at"),
                   "context": snapshot.context,
                   "production": bool(looks_like_production(snapshot.context))}
    return result
