"""The well-known empty layer is served under every name that may be pulled, stored or not.

Old images list the 32-byte gzipped empty tar as a layer; registries answer it under any
name, so clients pull such images even where the repository never stored it. Names the caller
may not pull answer as for any other blob.
"""

import uuid

import pytest

from tests.functional.api.test_pull import new_name, serve
from tests.functional.api.test_pull_through import pull_through
from tests.functional.registry_client import RegistryClient, error_code
from tests.functional.upstream import (
    EMPTY_LAYER,
    EMPTY_LAYER_BYTES,
    push_docker_image,
    push_image_with_empty_layer,
    skopeo_copy,
)

OTHER_DIGEST = "sha256:" + "0" * 64


def empty_layer_path(name, digest=EMPTY_LAYER.digest):
    return f"/v2/{name}/blobs/{digest}"


def assert_serves_the_empty_layer(registry, name):
    got = registry.get(empty_layer_path(name))
    assert got.status_code == 200, got.text
    assert got.content == EMPTY_LAYER_BYTES
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert got.headers["Docker-Content-Digest"] == EMPTY_LAYER.digest
    assert got.headers["Content-Length"] == "32"
    assert got.headers["Docker-Distribution-API-Version"] == "registry/2.0"

    head = registry.head(empty_layer_path(name))
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["Content-Length"] == "32"
    assert head.headers["Docker-Content-Digest"] == EMPTY_LAYER.digest


def upstream_fetches(upstream_registry):
    return upstream_registry.request_count(f"/blobs/{EMPTY_LAYER.digest}", "GET")


@pytest.fixture
def registry(pulp_server):
    return RegistryClient(pulp_server.registry_host)


@pytest.mark.parametrize("policy", ["immediate", "on_demand", "streamed"])
def test_a_synced_image_with_the_empty_layer_pulls_for_each_policy(
    api, pulp_server, upstream_registry, upstream_repository, registry, podman, tmp_path, policy
):
    image = push_image_with_empty_layer(upstream_registry.client(), upstream_repository)
    _, _, distribution = serve(api, upstream_registry, upstream_repository, policy)
    name = distribution["base_path"]
    fetched = upstream_fetches(upstream_registry)

    assert_serves_the_empty_layer(registry, name)
    reference = f"{pulp_server.registry_host}/{name}:latest"
    skopeo_copy(reference, f"dir:{tmp_path}")
    assert (tmp_path / EMPTY_LAYER.digest.split(":", 1)[1]).read_bytes() == EMPTY_LAYER_BYTES
    podman.pull(reference)
    assert podman.image_inspect(reference)["Digest"] == image.digest

    assert upstream_fetches(upstream_registry) == fetched  # answered from memory


def test_a_repository_without_the_empty_layer_serves_it(
    api, upstream_registry, upstream_repository, registry
):
    push_docker_image(upstream_registry.client(), upstream_repository, layer_size=4096)
    _, _, distribution = serve(api, upstream_registry, upstream_repository, "on_demand")

    assert_serves_the_empty_layer(registry, distribution["base_path"])


def test_pull_through_serves_it_without_asking_upstream(
    api, pulp_server, upstream_registry, upstream_repository, registry, tmp_path
):
    image = push_image_with_empty_layer(upstream_registry.client(), upstream_repository)
    cache = pull_through(api, upstream_registry.url)
    name = f"{cache['base_path']}/{upstream_repository}"
    fetched = upstream_fetches(upstream_registry)

    assert_serves_the_empty_layer(registry, name)  # before anything of the name was pulled
    skopeo_copy(f"{pulp_server.registry_host}/{name}:latest", f"dir:{tmp_path}")
    assert (tmp_path / "manifest.json").read_bytes() == image.manifest
    assert_serves_the_empty_layer(registry, name)

    assert upstream_fetches(upstream_registry) == fetched


def answers(registry, name):
    """(status, error code) for the empty layer and for another blob under `name`."""
    empty = registry.get(empty_layer_path(name))
    other = registry.get(empty_layer_path(name, OTHER_DIGEST))
    return (empty.status_code, error_code(empty)), (other.status_code, error_code(other))


def test_names_that_may_not_be_pulled_answer_as_for_any_blob(
    api, upstream_registry, upstream_repository, registry
):
    push_docker_image(upstream_registry.client(), upstream_repository, layer_size=4096)
    _, _, private = serve(api, upstream_registry, upstream_repository, "on_demand", private=True)
    filtered = pull_through(api, upstream_registry.url, remote_fields={"includes": ["allowed/*"]})
    unserved = api.create_distribution(new_name("dist-"), f"empty/{uuid.uuid4().hex[:8]}")

    names = [
        private["base_path"],
        f"unknown/{uuid.uuid4().hex[:8]}",
        f"{filtered['base_path']}/{upstream_repository}",  # left out by the remote's includes
        unserved["base_path"],  # a distribution with no repository
    ]
    for name in names:
        empty, other = answers(registry, name)
        assert empty == other, name
        assert empty[0] in (401, 404), name
