"""Compound risks of a Dockerfile: findings that together make one attack path."""

from __future__ import annotations

from infra_expert.dockerfile import rules_content
from infra_expert.model import Hit, RuleSet

rules = RuleSet("dockerfile")

# The rules whose finding means "a secret is inside the image".
_SECRET_RULES = (rules_content.secret_value, rules_content.secret_file_copied,
                 rules_content.context_secrets_copied, rules_content.secret_in_run)


def _pushed_as(svc):
    """The image name a service that builds this Dockerfile names for a registry, or
    None: `image:` with a registry host or a Docker Hub namespace (`ghcr.io/me/app`,
    `me/app`)."""
    image = svc.image
    if not image or "/" not in image or "$" in image:
        return None
    return image


@rules.rule(
    "DF090", "critical", "security", "Compound: secret baked into an image that is pushed",
    "A secret in a layer (ENV/ARG value, a copied key file, a credential in a RUN) is "
    "readable by anyone who can pull the image: `docker history` and the layer tarballs "
    "show it. When a Compose service both builds this Dockerfile and names the result for "
    "a registry (`image: ghcr.io/me/app`), `docker compose push` — or the CI that runs "
    "it — publishes the secret with the image.",
    "Take the secret out of the image: a build secret (`RUN --mount=type=secret,id=…`) "
    "for build time, an environment variable or a mounted secret at run time; rotate the "
    "one already pushed.",
    example=(
        '# syntax=docker/dockerfile:1\n'
        'FROM alpine:3.20\n'
        'RUN --mount=type=secret,id=api_token \\\n'
        '    API_TOKEN="$(cat /run/secrets/api_token)" /usr/local/bin/fetch-assets\n'
        'USER 10001'))
def secret_pushed(doc, ctx):
    pushed = [(svc, _pushed_as(svc)) for svc in ctx.links.builders_of(doc)]
    pushed = [(svc, image) for svc, image in pushed if image]
    if not pushed:
        return
    parts = []
    for fn in _SECRET_RULES:
        for item in fn(doc, ctx):
            if type(item) is Hit and (item.path in (None, doc.path)):
                parts.append((item.line, fn.rule.id))
    if not parts:
        return
    parts.sort()
    svc, image = pushed[0]
    path, line = svc.image_at
    shown = ", ".join(f"{rid} at line {ln}" for ln, rid in parts[:3]) \
        + (f" (+{len(parts) - 3})" if len(parts) > 3 else "")
    yield Hit(parts[0][0], f"a secret is baked into this image ({shown}), and service "
                           f"`{svc.label}` builds it as `{image}` ({path}:{line}): pushing "
                           "that image publishes the secret to everyone who can pull it")
