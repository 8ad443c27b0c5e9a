"""Storage upkeep through pulpcore's own endpoints, on container content: keeping only the
latest versions (``retain_repo_versions``), deleting a version, orphan cleanup and reclaiming
disk space, and what registry clients see afterwards.

Orphan cleanup acts on every orphan of the server, so each test names its own content by
digest and counts only that.
"""

import time

import pytest

from tests.functional.api.test_pull import copied_manifest_digest, sha256
from tests.functional.api.test_pull_through import pull_through, wait_for_content
from tests.functional.api.test_sync import content, create_remote, digests, latest, sync, tags_of
from tests.functional.registry_client import RegistryClient, error_code
from tests.functional.upstream import push_docker_image, push_oci_index, skopeo_copy

ORPHANS = "/pulp/api/v3/orphans/cleanup/"
RECLAIM = "/pulp/api/v3/repositories/reclaim_space/"
LAYER_SIZE = 64 * 1024


# --- helpers ---------------------------------------------------------------------------------


def cleanup_orphans(api):
    return api.run("POST", ORPHANS, {"orphan_protection_time": 0})


def reclaim(api, *repositories):
    return api.run("POST", RECLAIM, {"repo_hrefs": [r["pulp_href"] for r in repositories]})


def stored(api, kind, units_digests):
    """The units of `kind` (blobs, manifests) with those digests that exist on the server."""
    page = api.ok(
        api.get(
            f"content/container/{kind}/",
            params={"digest__in": ",".join(sorted(units_digests)), "limit": 500},
        )
    )
    return {unit["digest"]: unit for unit in page["results"]}


def tags_named(api, manifest_digest):
    page = api.ok(api.get("content/container/tags/", params={"digest": manifest_digest}))
    return sorted(tag["name"] for tag in page["results"])


def artifact_file(api, pulp_server, blob):
    """The file holding a blob's bytes in the server's storage (None without an artifact)."""
    if blob["artifact"] is None:
        return None
    artifact = api.ok(api.get(blob["artifact"]))
    return pulp_server.data_dir / "media" / artifact["file"]


def wait_until_stored(api, blob_digests, timeout=60):
    """Wait until every blob of `blob_digests` has its artifact (saved in the background)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        blobs = stored(api, "blobs", blob_digests)
        if len(blobs) == len(blob_digests) and all(blob["artifact"] for blob in blobs.values()):
            return
        time.sleep(0.3)
    raise AssertionError(f"blobs not all stored: {stored(api, 'blobs', blob_digests)}")


def upstream_fetches(registry, image):
    """How many times each blob of `image` was fetched from upstream, by digest."""
    return {
        blob.digest: registry.request_count(
            f"/v2/{image.repository}/blobs/{blob.digest}", "GET", status=200
        )
        for blob in image.blobs
    }


def version_numbers(api, repository):
    versions = api.ok(api.get(repository["versions_href"], params={"limit": 100}))["results"]
    return sorted(version["number"] for version in versions)


def blob_digests(*images):
    return {blob.digest for image in images for blob in image.blobs}


def sync_tags(api, repository, remote, tags, mirror=True):
    """Sync only `tags` (the remote's include_tags) and return the new latest version href."""
    api.run("PATCH", remote["pulp_href"], {"include_tags": list(tags)})
    sync(api, repository, remote, mirror=mirror)
    return latest(api, repository)


@pytest.fixture
def three_images(upstream_registry, upstream_repository):
    """Tags a, b, c: a and b share their layers (same seed, other labels), c has its own."""
    client = upstream_registry.client()
    push = dict(layers=2, layer_size=LAYER_SIZE)
    return {
        "a": push_docker_image(client, upstream_repository, ["a"], seed="ab", labels={"v": "a"}, **push),
        "b": push_docker_image(client, upstream_repository, ["b"], seed="ab", labels={"v": "b"}, **push),
        "c": push_docker_image(client, upstream_repository, ["c"], seed="c", **push),
    }  # fmt: skip


# --- retained versions, deleted versions, orphans --------------------------------------------


def test_retain_repo_versions_drops_old_versions_and_orphan_cleanup_their_content(
    api, unique, pulp_server, upstream_registry, upstream_repository, three_images
):
    a, b, c = three_images["a"], three_images["b"], three_images["c"]
    remote = create_remote(api, unique, upstream_registry, upstream_repository)
    repository = api.create_repository(unique("repo"), retain_repo_versions=2)

    sync_tags(api, repository, remote, ["a"])
    sync_tags(api, repository, remote, ["b"])
    v3 = sync_tags(api, repository, remote, ["c"])

    assert version_numbers(api, repository) == [2, 3]
    v2 = v3.replace("/versions/3/", "/versions/2/")
    assert tags_of(api, v2) == {"b": b.digest}
    assert digests(content(api, "blobs", v2)) == blob_digests(b)
    assert tags_of(api, v3) == {"c": c.digest}

    # a's manifest, config and tag are in no version now; its layers are b's too
    assert set(stored(api, "manifests", {a.digest})) == {a.digest}
    layers = {layer.digest for layer in a.layers}
    a_files = {
        digest: artifact_file(api, pulp_server, blob)
        for digest, blob in stored(api, "blobs", blob_digests(a)).items()
    }
    assert all(path.is_file() for path in a_files.values())

    cleanup_orphans(api)

    assert stored(api, "manifests", {a.digest, b.digest, c.digest}).keys() == {b.digest, c.digest}
    assert tags_named(api, a.digest) == []
    assert tags_named(api, b.digest) == ["b"]
    assert stored(api, "blobs", blob_digests(a)).keys() == layers
    assert not a_files[a.config.digest].exists()
    assert all(a_files[digest].is_file() for digest in layers)
    assert stored(api, "blobs", blob_digests(b, c)).keys() == blob_digests(b, c)
    # what stays is whole: b's manifest still names its config and layers
    manifest = stored(api, "manifests", {b.digest})[b.digest]
    blobs = {blob["pulp_href"]: blob["digest"] for blob in content(api, "blobs", v2)}
    assert blobs[manifest["config_blob"]] == b.config.digest
    assert {blobs[href] for href in manifest["blobs"]} == layers


def test_deleting_a_version_keeps_what_later_versions_hold(
    api, unique, pulp_server, upstream_registry, upstream_repository, three_images
):
    a, b, c = three_images["a"], three_images["b"], three_images["c"]
    remote = create_remote(api, unique, upstream_registry, upstream_repository)
    repository = api.create_repository(unique("repo"))
    v1 = sync_tags(api, repository, remote, ["a", "b"])
    v2 = sync_tags(api, repository, remote, ["b", "c"])

    api.run("DELETE", v1)

    assert version_numbers(api, repository) == [0, 2]
    assert tags_of(api, v2) == {"b": b.digest, "c": c.digest}
    assert digests(content(api, "manifests", v2)) == {b.digest, c.digest}
    assert digests(content(api, "blobs", v2)) == blob_digests(b, c)

    cleanup_orphans(api)

    assert stored(api, "manifests", {a.digest, b.digest, c.digest}).keys() == {b.digest, c.digest}
    assert stored(api, "blobs", blob_digests(a, b, c)).keys() == blob_digests(b, c)
    assert tags_named(api, a.digest) == []
    assert api.get(v1).status_code == 404


def test_orphan_cleanup_removes_whole_indexes_and_keeps_shared_children(
    api, unique, pulp_server, upstream_registry, upstream_repository
):
    """An index whose repository is deleted goes entirely: list, children, configs, layers;
    an image of it that another repository holds stays with every blob it needs."""
    client = upstream_registry.client()
    index = push_oci_index(client, upstream_repository, ["index"], layer_size=LAYER_SIZE)
    amd64 = index.child("amd64")
    # the same amd64 image, tagged on its own in a second upstream repository
    other = f"{upstream_repository}-amd64"
    for blob in amd64.blobs:
        data = client.blob(upstream_repository, blob.digest).content
        client.upload_blob(other, blob.digest, data, blob.size)
    client.put_manifest(other, "amd64", amd64.manifest, amd64.media_type)

    first = create_remote(api, unique, upstream_registry, upstream_repository)
    second = create_remote(api, unique, upstream_registry, other)
    doomed = api.create_repository(unique("repo"))
    kept = api.create_repository(unique("repo"))
    sync(api, doomed, first)
    sync(api, kept, second)
    everything = {index.digest, *index.child_digests.values()}
    assert stored(api, "manifests", everything).keys() == everything

    api.run("DELETE", doomed["pulp_href"])
    cleanup_orphans(api)

    assert stored(api, "manifests", everything).keys() == {amd64.digest}
    assert stored(api, "blobs", blob_digests(index)).keys() == blob_digests(amd64)
    manifest = stored(api, "manifests", {amd64.digest})[amd64.digest]
    blobs = {blob["pulp_href"]: blob["digest"] for blob in content(api, "blobs", latest(api, kept))}
    assert blobs[manifest["config_blob"]] == amd64.config.digest
    assert {blobs[href] for href in manifest["blobs"]} == {layer.digest for layer in amd64.layers}


# --- reclaim space ---------------------------------------------------------------------------


def serve(api, unique, registry, upstream_name, policy):
    remote = create_remote(api, unique, registry, upstream_name, policy=policy)
    repository = api.create_repository(unique("repo"), remote=remote["pulp_href"])
    sync(api, repository)
    distribution = api.create_distribution(
        unique("dist"), f"upkeep/{unique('img')}", repository=repository["pulp_href"]
    )
    return repository, distribution


def test_reclaimed_on_demand_blobs_are_fetched_again_on_the_next_pull(
    api, unique, pulp_server, upstream_registry, upstream_repository, tmp_path, podman
):
    image = push_docker_image(
        upstream_registry.client(), upstream_repository, ["latest"], layers=2,
        layer_size=LAYER_SIZE,
    )  # fmt: skip
    repository, distribution = serve(
        api, unique, upstream_registry, upstream_repository, "on_demand"
    )
    reference = f"{pulp_server.registry_host}/{distribution['base_path']}:latest"
    skopeo_copy(reference, f"dir:{tmp_path / 'first'}")
    blobs = stored(api, "blobs", blob_digests(image))
    files = [artifact_file(api, pulp_server, blob) for blob in blobs.values()]
    assert all(path.is_file() for path in files)

    task = reclaim(api, repository)

    reports = {report["code"]: report for report in task["progress_reports"]}
    assert reports["reclaim-space.artifact"]["done"] == 3
    assert [blob["artifact"] for blob in stored(api, "blobs", blob_digests(image)).values()] == [
        None
    ] * 3
    assert not any(path.exists() for path in files)

    fetched = upstream_fetches(upstream_registry, image)
    podman.pull(reference)
    assert podman.image_inspect(reference)["Digest"] == image.digest
    skopeo_copy(reference, f"dir:{tmp_path / 'second'}")
    assert copied_manifest_digest(tmp_path / "second") == image.digest
    assert upstream_fetches(upstream_registry, image) == {d: n + 1 for d, n in fetched.items()}
    blobs = stored(api, "blobs", blob_digests(image))
    assert all(artifact_file(api, pulp_server, blob).is_file() for blob in blobs.values())


def test_reclaimed_immediate_blobs_answer_blob_unknown_and_manifests_still_answer(
    api, unique, pulp_server, upstream_registry, upstream_repository
):
    image = push_docker_image(
        upstream_registry.client(), upstream_repository, ["latest"], layers=2,
        layer_size=LAYER_SIZE,
    )  # fmt: skip
    repository, distribution = serve(
        api, unique, upstream_registry, upstream_repository, "immediate"
    )
    registry = RegistryClient(pulp_server.registry_host)
    name = distribution["base_path"]

    reclaim(api, repository)

    assert [blob["artifact"] for blob in stored(api, "blobs", blob_digests(image)).values()] == [
        None
    ] * 3
    manifest = registry.manifest(name, "latest")
    assert manifest.status_code == 200
    assert manifest.content == image.manifest
    fetched = upstream_fetches(upstream_registry, image)
    for blob in image.blobs:
        response = registry.blob(name, blob.digest)
        assert response.status_code == 404, response.text
        assert error_code(response) == "BLOB_UNKNOWN"
        assert response.json()["errors"][0]["detail"]["digest"] == blob.digest
        head = registry.blob(name, blob.digest, method="HEAD")
        assert head.status_code == 404
    assert upstream_fetches(upstream_registry, image) == fetched

    # the next sync stores them again
    sync(api, repository)
    assert all(blob["artifact"] for blob in stored(api, "blobs", blob_digests(image)).values())
    for blob in image.blobs:
        response = registry.blob(name, blob.digest)
        assert response.status_code == 200
        assert sha256(response.content) == blob.digest


def test_reclaimed_pull_through_blobs_are_fetched_again(
    api, pulp_server, upstream_registry, upstream_repository, tmp_path
):
    image = push_docker_image(
        upstream_registry.client(), upstream_repository, ["latest"], layers=2,
        layer_size=LAYER_SIZE,
    )  # fmt: skip
    cache = pull_through(api, upstream_registry.url)
    name = f"{cache['base_path']}/{upstream_repository}"
    reference = f"{pulp_server.registry_host}/{name}:latest"
    skopeo_copy(reference, f"dir:{tmp_path / 'first'}")
    repository = wait_for_content(
        api, name, {"container.blob": 3, "container.manifest": 1, "container.tag": 1}
    )
    wait_until_stored(api, blob_digests(image))

    reclaim(api, repository)

    assert [blob["artifact"] for blob in stored(api, "blobs", blob_digests(image)).values()] == [
        None
    ] * 3
    fetched = upstream_fetches(upstream_registry, image)
    skopeo_copy(reference, f"dir:{tmp_path / 'second'}")
    assert copied_manifest_digest(tmp_path / "second") == image.digest
    assert upstream_fetches(upstream_registry, image) == {d: n + 1 for d, n in fetched.items()}
