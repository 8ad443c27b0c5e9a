"""pytest fixtures for the docker client; the functional conftest imports them with ``*``."""

import pytest

from tests.functional.clients.buildah import Buildah
from tests.functional.clients.docker import DockerDaemon

__all__ = ["dockerd", "docker", "buildah"]


@pytest.fixture(scope="session")
def dockerd(pulp_server, upstream_registry):
    """One private Docker daemon for the session. It trusts plain HTTP to the session's Pulp
    registry and upstream registry, whose ports are therefore fixed before it starts (dockerd
    also treats every 127.0.0.0/8 address as insecure by default, which is how it reaches a
    server started later, such as ``pulp_server_basic``). A machine without Debian's
    docker.io fails the tests that use it."""
    with DockerDaemon([pulp_server.registry_host, upstream_registry.host]) as daemon:
        yield daemon


@pytest.fixture
def docker(dockerd, tmp_path_factory):
    """The docker CLI with logins of its own; the images a test leaves are removed after it,
    so the next test's pull asks the registry again."""
    client = dockerd.client(tmp_path_factory.mktemp("docker-config"))
    yield client
    client("image", "prune", "--all", "--force", check=False)


@pytest.fixture
def buildah(tmp_path_factory):
    """A buildah with a private vfs storage root, removed after the test."""
    client = Buildah(tmp_path_factory.mktemp("buildah"))
    yield client
    client.cleanup()
