"""The footprint table and the architectures table: every figure cites its source, and
lookups work whatever the registry, tag or digest (issue 10)."""

from __future__ import annotations

import pytest

from infra_expert.footprints import (ALIASES, ARCHES, PLATFORMS, REPOSITORIES, TABLE,
                                     estimate, lookup, platforms)

DIGEST = "@sha256:" + "b" * 64


@pytest.mark.parametrize("name", sorted(TABLE))
def test_every_figure_has_a_source_a_kind_and_a_scope(name):
    fp = TABLE[name]
    assert fp.image == name == name.lower()
    assert fp.source.startswith("https://") and " " not in fp.source
    assert fp.kind in ("typical", "minimum", "recommended")
    assert fp.scope in ("service", "host")
    assert isinstance(fp.idle_bytes, int) and fp.idle_bytes > 0
    assert fp.light_bytes is None or fp.light_bytes >= fp.idle_bytes
    assert fp.memory_bytes >= fp.idle_bytes
    assert fp.note
    assert fp.as_dict()["estimated"] is True


def test_a_github_source_is_pinned_to_a_commit():
    for name, fp in TABLE.items():
        if fp.source.startswith("https://github.com/"):
            assert "/blob/" in fp.source, name
            commit = fp.source.split("/blob/", 1)[1].split("/", 1)[0]
            assert len(commit) == 40 and int(commit, 16) >= 0, name


def test_aliases_and_repositories_resolve():
    for alias, target in ALIASES.items():
        assert target in TABLE, alias
        assert lookup(alias) is TABLE[target]
        assert lookup(alias.upper()) is TABLE[target]
    for repo, target in REPOSITORIES.items():
        assert target in TABLE, repo
        assert estimate(repo + ":1.0") is TABLE[target]


@pytest.mark.parametrize("image,name", [
    ("docker.io/jellyfin/jellyfin:10.9.11", "jellyfin"),
    ("lscr.io/linuxserver/jellyfin:10.9.11", "jellyfin"),
    ("photoprism/photoprism:240915" + DIGEST, "photoprism"),
    ("quay.io/keycloak/keycloak:26.0", "keycloak"),
    ("ghcr.io/goauthentik/server:2024.8.3", "authentik"),
    ("influxdb:2.7-alpine", "influxdb"),
    ("docker.io/library/influxdb:1.8", "influxdb"),
    ("jenkins/jenkins:lts-jdk17", "jenkins"),
    ("gitlab/gitlab-ee:17.3.1-ee.0", "gitlab-ce"),
    ("mattermost/mattermost-enterprise-edition:9.11", "mattermost-team-edition"),
    ("docker.n8n.io/n8nio/n8n:1.60.0", "n8n"),
    ("registry-1.docker.io/valkey/valkey:8.0" + DIGEST, "redis"),
])
def test_estimate_on_registries_tags_and_digests(image, name):
    assert estimate(image) is TABLE[name]


@pytest.mark.parametrize("image", [
    "docker.io/library/postgres:16-alpine",   # no documented figure: no estimate
    "vaultwarden/server:1.32.0",               # `server` alone is not authentik
    "ghcr.io/example/server:1.0",
    "bitnami/postgresql:16", "traefik:v3.1", "", None, 42, "${IMAGE}",
    "ghcr.io/${ORG}/n8n:1",
])
def test_unknown_images_have_no_estimate(image):
    assert estimate(image) is None


@pytest.mark.parametrize("key", sorted(PLATFORMS))
def test_every_platform_entry_has_a_source(key):
    arches, source = PLATFORMS[key]
    assert isinstance(arches, frozenset) and arches and arches <= ARCHES
    assert source.startswith("https://github.com/") and "/blob/" in source
    assert key == key.lower() and "/" in key


@pytest.mark.parametrize("image,expected", [
    ("postgres:16", {"amd64", "arm64", "arm"}),
    ("docker.io/library/postgres:16-alpine", {"amd64", "arm64", "arm"}),
    ("index.docker.io/library/nginx:1.27" + DIGEST, {"amd64", "arm64", "arm"}),
    ("redis@" + DIGEST[1:], {"amd64", "arm64", "arm"}),
    ("caddy:2.8-alpine", {"amd64", "arm64", "arm"}),
    ("mariadb:11.4", {"amd64", "arm64"}),
    ("docker.io/photoprism/photoprism:latest", {"amd64", "arm64"}),
])
def test_platforms_on_registries_tags_and_digests(image, expected):
    arches, source = platforms(image)
    assert arches == expected
    assert source.startswith("https://")


@pytest.mark.parametrize("image", [
    "bitnami/postgresql:16",          # not the official image
    "ghcr.io/library/postgres:16",    # another registry: not Docker Hub's image
    "valkey/valkey:8.0",              # a fork is its own image
    "ghcr.io/example/app:1.0", "", None, "${DB_IMAGE}",
])
def test_unknown_images_have_no_platforms(image):
    assert platforms(image) is None
