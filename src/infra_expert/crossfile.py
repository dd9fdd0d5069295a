"""Links between files of different domains, made once per run in the engine's relate
phase: each domain's `link(docs, ctx)` says what its files run, and the others ask here.
No domain reads another's model to find these.

- `builders_of(doc)`: the services that build a Dockerfile (a Compose `build:`), with what
  the Dockerfile rules need to know of them;
- `runners_named(name)`: everything in the run that runs an image of that base name (a
  Kubernetes container, a Quadlet unit), and whether it runs to completion.
"""

from __future__ import annotations

import os


class Runner:
    """Something that runs an image: a Compose service, a container of a workload, a
    Quadlet container. `batch`: it runs to completion (a Job, a one-shot); `image_at`:
    (path, line) of its image reference."""

    __slots__ = ("domain", "name", "label", "image", "image_at", "user", "healthcheck",
                 "batch")

    def __init__(self, domain, name, label=None, image=None, image_at=(None, None),
                 user=None, healthcheck=False, batch=False):
        self.domain = domain
        self.name = name
        self.label = label or name
        self.image = image
        self.image_at = image_at
        self.user = user
        self.healthcheck = healthcheck
        self.batch = batch


class Links:
    def __init__(self):
        self._builders = {}    # real path of a Dockerfile -> [Runner]
        self._by_image = {}    # image base name, lower case -> [Runner]
        self._real = {}

    def add_builder(self, dockerfile, runner, overlay=False):
        """`runner` builds the Dockerfile at `dockerfile`. An overlay's runner of a name
        already known is the same service, changed: not a second one."""
        known = self._builders.setdefault(os.path.realpath(dockerfile), [])
        if not overlay or all(r.name != runner.name or r.domain != runner.domain
                              for r in known):
            known.append(runner)

    def builders_of(self, doc):
        real = self._real.get(doc.abspath)
        if real is None:
            real = self._real[doc.abspath] = os.path.realpath(doc.abspath)
        return self._builders.get(real, [])

    def add_runner(self, runner):
        from infra_expert.images import ImageRef
        if runner.image:
            name = ImageRef(runner.image).base_name.lower()
            self._by_image.setdefault(name, []).append(runner)

    def runners_named(self, name):
        return self._by_image.get(name.lower(), [])
