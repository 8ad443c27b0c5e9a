"""A blob asked for under a name nobody pulled yet: the client gets its bytes, and no
repository, remote or distribution appears until a manifest of the name is stored. The bytes
are kept, so the pull that follows does not fetch them from upstream again."""

import time
import uuid

import pytest

from tests.functional.api.test_pull_through import (
    REPOSITORIES,
    present,
    pull_through,
    sha256,
    versions_of,
    wait_for_version,
)
from tests.functional.registry_client import RegistryClient, error_code
from tests.functional.upstream import MIB, push_docker_image, skopeo_copy

REMOTES = "remotes/container/container/"
DISTRIBUTIONS = "distributions/container/container/"


@pytest.fixture(scope="module")
def registry_host(pulp_server):
    return pulp_server.registry_host


@pytest.fixture(scope="module")
def user(users):
    """A user with no roles at all: public pull-through names are theirs to pull."""
    return users["stranger"]["auth"]


def cache_objects(api, name):
    """The repositories, remotes and distributions named after `name`, and how many of each
    kind Pulp holds in all."""
    found = {}
    for kind, path, field in (
        ("repositories", REPOSITORIES, "name"),
        ("remotes", REMOTES, "name"),
        ("distributions", DISTRIBUTIONS, "base_path"),
    ):
        named = api.ok(api.get(path, params={field: name}))["count"]
        total = api.ok(api.get(path, params={"limit": 1}))["count"]
        found[kind] = (named, total)
    return found


def wait_for_artifact(api, digest, timeout=60):
    """Until Pulp holds the bytes of `digest` (a blob is stored after its client was served)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if api.ok(api.get("artifacts/", params={"sha256": digest.split(":")[1]}))["count"]:
            return
        time.sleep(0.2)
    raise AssertionError(f"{digest} was never stored")


def head(registry, name, digest):
    return registry.blob(name, digest, method="HEAD")


def test_blobs_alone_create_nothing_and_the_pull_after_does_not_fetch_them_again(
    api, upstream_registry, upstream_repository, registry_host, user, tmp_path
):
    image = push_docker_image(
        upstream_registry.client(), upstream_repository, ["latest"], layers=2, layer_size=MIB
    )
    distribution = pull_through(api, upstream_registry.url)
    name = f"{distribution['base_path']}/{upstream_repository}"
    before = cache_objects(api, name)
    assert all(named == 0 for named, _ in before.values())
    anonymous, signed_in = RegistryClient(registry_host), RegistryClient(registry_host, user)
    first, second = image.layers

    for registry, layer in ((anonymous, first), (signed_in, second)):
        answered = registry.blob(name, layer.digest)
        assert answered.status_code == 200, answered.text
        assert sha256(answered.content) == layer.digest
        assert answered.headers["Docker-Content-Digest"] == layer.digest
        wait_for_artifact(api, layer.digest)  # stored: whatever storing creates exists by now
    for registry in (anonymous, signed_in):
        again = registry.blob(name, first.digest)  # kept: Pulp has the bytes, upstream the name
        assert again.status_code == 200 and sha256(again.content) == first.digest
        headed = head(registry, name, image.config.digest)
        assert headed.status_code == 200, headed.text
        assert int(headed.headers["Content-Length"]) == image.config.size
        assert headed.headers["Docker-Content-Digest"] == image.config.digest
    assert cache_objects(api, name) == before
    for layer in image.layers:
        assert upstream_registry.request_count(f"/blobs/{layer.digest}", method="GET") == 1
    assert upstream_registry.request_count(f"/blobs/{image.config.digest}", method="GET") == 0

    skopeo_copy(f"{registry_host}/{name}:latest", f"dir:{tmp_path / 'copy'}")
    for blob in image.blobs:
        assert sha256((tmp_path / "copy" / blob.digest.split(":")[1]).read_bytes()) == blob.digest
    repository = wait_for_version(api, name, 1)
    after = cache_objects(api, name)
    assert {kind: named for kind, (named, _) in after.items()} == {
        "repositories": 1,
        "remotes": 1,
        "distributions": 1,
    }
    assert {kind: total for kind, (_, total) in after.items()} == {
        kind: total + 1 for kind, (_, total) in before.items()
    }
    assert versions_of(api, repository) == [1]
    assert present(api, repository) == {
        "container.blob": 3,
        "container.manifest": 1,
        "container.tag": 1,
    }
    for blob in image.blobs:  # each once: the layers before the pull, the config by it
        assert upstream_registry.request_count(f"/blobs/{blob.digest}", method="GET") == 1
    for layer in image.layers:
        artifacts = api.ok(api.get("artifacts/", params={"sha256": layer.digest.split(":")[1]}))
        assert artifacts["count"] == 1

    heads = upstream_registry.request_count(f"/blobs/{first.digest}", method="HEAD")
    cached = anonymous.blob(name, first.digest)  # the cache's own now: upstream is not asked
    assert cached.status_code == 200 and sha256(cached.content) == first.digest
    assert upstream_registry.request_count(f"/blobs/{first.digest}", method="HEAD") == heads
    assert upstream_registry.request_count(f"/blobs/{first.digest}", method="GET") == 1


def test_a_blob_upstream_does_not_have_creates_nothing(
    api, upstream_registry, upstream_repository, registry_host, user
):
    push_docker_image(upstream_registry.client(), upstream_repository, ["latest"], layer_size=4096)
    distribution = pull_through(api, upstream_registry.url)
    name = f"{distribution['base_path']}/{upstream_repository}"
    before = cache_objects(api, name)
    missing = "sha256:" + sha256(uuid.uuid4().bytes).split(":")[1]
    for registry in (RegistryClient(registry_host), RegistryClient(registry_host, user)):
        answered = registry.blob(name, missing)
        assert answered.status_code == 404, answered.text
        assert error_code(answered) == "BLOB_UNKNOWN"
        assert head(registry, name, missing).status_code == 404
    assert cache_objects(api, name) == before
    assert api.ok(api.get("artifacts/", params={"sha256": missing.split(":")[1]}))["count"] == 0
