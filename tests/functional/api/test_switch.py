"""Switching what a distribution serves (PATCH ``repository`` / ``repository_version``) while
clients pull: every pull gets the old image or the new one, whole.

A client resolves a tag to a manifest, then GETs what the manifest names by digest (blobs, and
an index's manifests). Those by-digest requests are answered from the version the distribution
serves now, else from the versions it served within the grace period
(``CONTAINER_SWITCH_GRACE_PERIOD``, 10 minutes): the old image stays whole for the pull that
began before the switch. A tag always resolves in the version served now.
"""

import threading
import uuid

import pytest

from tests.functional.api.test_pull import copied_manifest_digest, sha256
from tests.functional.api.test_sync import create_remote, latest, sync
from tests.functional.registry_client import RegistryClient, error_code
from tests.functional.upstream import (
    CommandFailed,
    push_docker_image,
    push_oci_index,
    skopeo_copy,
)

DISTRIBUTIONS = "distributions/container/container/"
LAYER_SIZE = 512 * 1024


def synced(api, unique, registry, upstream_name, **remote_fields):
    """A repository synced (immediate) from `upstream_name`."""
    remote = create_remote(api, unique, registry, upstream_name, **remote_fields)
    repository = api.create_repository(unique("repo"), remote=remote["pulp_href"])
    sync(api, repository)
    return api.ok(api.get(repository["pulp_href"])), remote


def switch(api, distribution, **fields):
    """PATCH the distribution (a task) and return it as it is now."""
    body = {"repository": None, "repository_version": None, **fields}
    api.run("PATCH", distribution["pulp_href"], body)
    return api.ok(api.get(distribution["pulp_href"]))


@pytest.fixture
def two_images(api, unique, upstream_registry):
    """Two repositories, each with a different image tagged ``app``, and a distribution
    serving the first."""
    client = upstream_registry.client()
    names = [f"switch/{uuid.uuid4().hex[:8]}-{side}" for side in ("old", "new")]
    images = [
        push_docker_image(client, name, ["app"], layers=3, layer_size=LAYER_SIZE, seed=name)
        for name in names
    ]
    repositories = [synced(api, unique, upstream_registry, name)[0] for name in names]
    distribution = api.create_distribution(
        unique("dist"), f"switch/{unique('d')}", repository=repositories[0]["pulp_href"]
    )
    return images, repositories, distribution


def test_pulls_during_switches_between_repositories_get_one_image_whole(
    api, pulp_server, two_images, tmp_path
):
    (old, new), (first, second), distribution = two_images
    reference = f"{pulp_server.registry_host}/{distribution['base_path']}:app"
    outcomes, stop = [], threading.Event()

    def pull_in_a_loop(worker):
        number = 0
        while not stop.is_set():
            target = tmp_path / f"pull-{worker}-{number}"
            number += 1
            try:
                skopeo_copy(reference, f"dir:{target}")
            except CommandFailed as failure:
                outcomes.append(failure)
                continue
            outcomes.append(copied_manifest_digest(target))

    pullers = [threading.Thread(target=pull_in_a_loop, args=(n,)) for n in range(2)]
    for puller in pullers:
        puller.start()
    switches = 0
    try:
        while switches < 8 or len(outcomes) < 8:
            target = second if switches % 2 == 0 else first
            switch(api, distribution, repository=target["pulp_href"])
            switches += 1
    finally:
        stop.set()
        for puller in pullers:
            puller.join()

    failures = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert failures == []
    assert set(outcomes) <= {old.digest, new.digest}
    skopeo_copy(reference, f"dir:{tmp_path / 'after'}")
    now_served = new if switches % 2 == 1 else old
    assert copied_manifest_digest(tmp_path / "after") == now_served.digest


def test_blobs_of_the_manifest_served_before_a_switch_stay_servable(api, pulp_server, two_images):
    (old, new), (first, second), distribution = two_images
    registry = RegistryClient(pulp_server.registry_host)
    name = distribution["base_path"]
    assert registry.manifest(name, "app").content == old.manifest

    switch(api, distribution, repository=second["pulp_href"])

    for blob in old.blobs:  # the pull that began before the switch goes on
        response = registry.blob(name, blob.digest)
        assert response.status_code == 200
        assert sha256(response.content) == blob.digest
    assert registry.manifest(name, old.digest).content == old.manifest
    # the tag is the new image's, whole
    assert registry.manifest(name, "app").content == new.manifest
    for blob in new.blobs:
        assert sha256(registry.blob(name, blob.digest).content) == blob.digest


def test_a_switch_serves_nothing_the_distribution_never_served(
    api, unique, pulp_server, upstream_registry, two_images
):
    (old, new), (first, second), distribution = two_images
    registry = RegistryClient(pulp_server.registry_host)
    name = distribution["base_path"]

    # new's repository was never served here: its blobs are unknown to this name
    for blob in new.blobs:
        response = registry.blob(name, blob.digest)
        assert response.status_code == 404
        assert error_code(response) == "BLOB_UNKNOWN"
    assert error_code(registry.manifest(name, new.digest)) == "MANIFEST_UNKNOWN"


def test_an_index_pulled_across_a_switch_of_pinned_versions_stays_whole(
    api, unique, pulp_server, upstream_registry, upstream_repository, tmp_path
):
    client = upstream_registry.client()
    index = push_oci_index(client, upstream_repository, ["app"], layer_size=LAYER_SIZE, seed="1")
    repository, remote = synced(api, unique, upstream_registry, upstream_repository)
    first_version = latest(api, repository)
    replacement = push_oci_index(
        client, upstream_repository, ["app"], layer_size=LAYER_SIZE, seed="2"
    )
    sync(api, repository, mirror=True)
    second_version = latest(api, repository)
    distribution = api.create_distribution(
        unique("dist"), f"switch/{unique('d')}", repository_version=first_version
    )
    registry = RegistryClient(pulp_server.registry_host)
    name = distribution["base_path"]
    assert registry.manifest(name, "app").content == index.manifest

    switch(api, distribution, repository_version=second_version)

    for child in index.children:
        assert registry.manifest(name, child.digest).content == child.manifest
        for blob in child.blobs:
            assert sha256(registry.blob(name, blob.digest).content) == blob.digest
    reference = f"{pulp_server.registry_host}/{name}:app"
    skopeo_copy(reference, f"dir:{tmp_path / 'now'}", all_images=True)
    assert copied_manifest_digest(tmp_path / "now") == replacement.digest


def test_a_pull_across_a_new_latest_version_of_the_repository_stays_whole(
    api, unique, pulp_server, upstream_registry, upstream_repository
):
    """A distribution following its repository switches when a sync writes a new version."""
    client = upstream_registry.client()
    old = push_docker_image(client, upstream_repository, ["app"], layers=2, seed="old")
    repository, _ = synced(api, unique, upstream_registry, upstream_repository)
    distribution = api.create_distribution(
        unique("dist"), f"switch/{unique('d')}", repository=repository["pulp_href"]
    )
    registry = RegistryClient(pulp_server.registry_host)
    name = distribution["base_path"]
    assert registry.manifest(name, "app").content == old.manifest

    new = push_docker_image(client, upstream_repository, ["app"], layers=2, seed="new")
    sync(api, repository, mirror=True)  # version 2 holds only the new image

    for blob in old.blobs:
        assert sha256(registry.blob(name, blob.digest).content) == blob.digest
    assert registry.manifest(name, "app").content == new.manifest
    for blob in new.blobs:
        assert sha256(registry.blob(name, blob.digest).content) == blob.digest


def test_retain_repo_versions_keeps_a_version_switched_away_from_during_the_grace_period(
    api, unique, pulp_server, upstream_registry, upstream_repository
):
    client = upstream_registry.client()
    first = push_docker_image(client, upstream_repository, ["app"], seed="first")
    repository, _ = synced(api, unique, upstream_registry, upstream_repository)
    api.run("PATCH", repository["pulp_href"], {"retain_repo_versions": 1})
    version_1 = latest(api, repository)
    distribution = api.create_distribution(
        unique("dist"), f"switch/{unique('d')}", repository_version=version_1
    )
    registry = RegistryClient(pulp_server.registry_host)
    name = distribution["base_path"]
    assert registry.manifest(name, "app").content == first.manifest
    push_docker_image(client, upstream_repository, ["app"], seed="second")
    sync(api, repository, mirror=True)  # version 1 stays: the distribution serves it
    switch(api, distribution, repository_version=latest(api, repository))

    push_docker_image(client, upstream_repository, ["app"], seed="third")
    sync(api, repository, mirror=True)

    versions = api.ok(api.get(repository["versions_href"]))["results"]
    assert sorted(version["number"] for version in versions) == [1, 2, 3]
    for blob in first.blobs:  # the pull begun on version 1 still finishes
        assert sha256(registry.blob(name, blob.digest).content) == blob.digest


def test_a_version_switched_away_from_may_still_be_deleted_by_hand(
    api, unique, pulp_server, upstream_registry, upstream_repository
):
    client = upstream_registry.client()
    push_docker_image(client, upstream_repository, ["app"], seed="first")
    repository, _ = synced(api, unique, upstream_registry, upstream_repository)
    version_1 = latest(api, repository)
    push_docker_image(client, upstream_repository, ["app"], seed="second")
    sync(api, repository, mirror=True)
    distribution = api.create_distribution(
        unique("dist"), f"switch/{unique('d')}", repository_version=version_1
    )
    switch(api, distribution, repository=repository["pulp_href"])

    api.run("DELETE", version_1)

    assert api.get(version_1).status_code == 404
