"""A snapshot's parts as documents of the domains that already know them, so that every
existing rule runs unchanged on what runs: each source adds its own function to
`SYNTHESIZERS` (part name -> function(snapshot, doc) -> [Document]).

A synthesized document's path names the running object (`container/web`,
`deployment/shop/web`, `unit/backup.service`); its text is what the object says, written
in the domain's own syntax, so that positions point into it."""

from __future__ import annotations

SYNTHESIZERS = {}


def synthesizer(part):
    def register(fn):
        SYNTHESIZERS[part] = fn
        return fn
    return register


def documents_of(doc):
    """Every document the snapshot in `doc` stands for."""
    # the sources register their synthesizers when imported
    from infra_expert.live import sources
    assert sources.SOURCES
    out = []
    for part, fn in SYNTHESIZERS.items():
        if getattr(doc.model, part, None):
            out.extend(fn(doc.model, doc))
    return out
