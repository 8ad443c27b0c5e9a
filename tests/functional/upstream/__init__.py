"""A real upstream registry for functional tests: Debian's docker-registry, filled by Python.

Fixtures live in ``fixtures.py``; a conftest imports them with
``from tests.functional.upstream.fixtures import *``.
"""

from tests.functional.registry_client import Challenge, RegistryClient, RegistryClientError
from tests.functional.upstream.cli import CommandFailed, Podman, skopeo, skopeo_copy, skopeo_inspect
from tests.functional.upstream.images import (
    AMD64,
    ARM64,
    DEFAULT_TAGS,
    EMPTY_LAYER,
    EMPTY_LAYER_BYTES,
    Blob,
    Platform,
    PushedImage,
    PushedIndex,
    companion_tag,
    digest_of,
    push_companion,
    push_docker_image,
    push_image,
    push_image_with_empty_layer,
    push_index,
    push_manifest,
    push_manifest_list,
    push_oci_image,
    push_oci_index,
    push_tagged_images,
)
from tests.functional.upstream.layers import MIB, build_layer
from tests.functional.upstream.registry import (
    AccessLogEntry,
    UpstreamRegistry,
    UpstreamRegistryError,
)
from tests.functional.upstream.token_server import TokenRequest, TokenServer

__all__ = [
    "AMD64",
    "ARM64",
    "DEFAULT_TAGS",
    "EMPTY_LAYER",
    "EMPTY_LAYER_BYTES",
    "MIB",
    "AccessLogEntry",
    "Blob",
    "Challenge",
    "CommandFailed",
    "Platform",
    "Podman",
    "PushedImage",
    "PushedIndex",
    "RegistryClient",
    "RegistryClientError",
    "TokenRequest",
    "TokenServer",
    "UpstreamRegistry",
    "UpstreamRegistryError",
    "build_layer",
    "companion_tag",
    "digest_of",
    "push_companion",
    "push_docker_image",
    "push_image",
    "push_image_with_empty_layer",
    "push_index",
    "push_manifest",
    "push_manifest_list",
    "push_oci_image",
    "push_oci_index",
    "push_tagged_images",
    "skopeo",
    "skopeo_copy",
    "skopeo_inspect",
]
