"""Real registry clients the functional tests drive beyond skopeo and podman (``upstream.cli``):
a private Docker daemon and its CLI, and buildah. Fixtures live in ``fixtures.py``."""

from tests.functional.clients.buildah import Buildah
from tests.functional.clients.docker import DockerClient, DockerDaemon, DockerUnavailable

__all__ = ["Buildah", "DockerClient", "DockerDaemon", "DockerUnavailable"]
