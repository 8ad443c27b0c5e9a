"""pytest fixtures for a real upstream registry; import them with ``from ... import *``.

Session-scoped registries are shared, so each test pushes into its own repository
(``upstream_repository``) and never stops them; a test that needs to stop, restart or corrupt
an upstream on its own asks ``upstream_registry_factory`` for a private one.
"""

import re
import uuid

import pytest

from tests.functional.upstream.cli import Podman
from tests.functional.upstream.registry import UpstreamRegistry

__all__ = [
    "upstream_registry",
    "upstream_basic_auth_registry",
    "upstream_token_auth_registry",
    "upstream_registry_factory",
    "upstream_client",
    "upstream_repository",
    "podman",
]


@pytest.fixture(scope="session")
def upstream_registry(tmp_path_factory):
    """An anonymous read/write docker-registry for the whole session."""
    with UpstreamRegistry(workdir=tmp_path_factory.mktemp("upstream-registry")) as registry:
        yield registry


@pytest.fixture(scope="session")
def upstream_basic_auth_registry(tmp_path_factory):
    """A registry behind htpasswd Basic auth; ``.credentials`` holds the accepted user."""
    workdir = tmp_path_factory.mktemp("upstream-basic")
    with UpstreamRegistry(auth="basic", workdir=workdir) as registry:
        yield registry


@pytest.fixture(scope="session")
def upstream_token_auth_registry(tmp_path_factory):
    """A registry behind bearer-token auth; anonymous token requests are granted nothing."""
    workdir = tmp_path_factory.mktemp("upstream-token")
    with UpstreamRegistry(auth="token", workdir=workdir) as registry:
        yield registry


@pytest.fixture
def upstream_registry_factory(tmp_path_factory):
    """Start private registries: ``factory(auth=..., users=..., anonymous_pull=...)``.

    Each is started at once and closed when the test ends.
    """
    registries = []

    def factory(**options) -> UpstreamRegistry:
        options.setdefault("workdir", tmp_path_factory.mktemp("upstream-private"))
        registry = UpstreamRegistry(**options)
        registries.append(registry)
        return registry.start()

    yield factory
    for registry in registries:
        registry.close()


@pytest.fixture
def upstream_client(upstream_registry):
    """A RegistryClient for the session's anonymous upstream registry."""
    return upstream_registry.client()


@pytest.fixture
def upstream_repository(request) -> str:
    """A repository name unique to this test, e.g. ``harness/test-sync-mirror-3fa2c1``."""
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:48].strip("-")
    return f"harness/{slug}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def podman(tmp_path_factory):
    """A Podman with a private vfs storage root, removed after the test."""
    client = Podman(tmp_path_factory.mktemp("podman"))
    yield client
    client.cleanup()
