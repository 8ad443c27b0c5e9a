"""Sync a repository from a real upstream registry: policies, mirror, filters, lists, integrity."""

import hashlib
import json
import time

import pytest

from tests.functional.api.test_pull_through_faults import ThrottlingProxy
from tests.functional.upstream import (
    MIB,
    UpstreamRegistry,
    media_types,
    push_docker_image,
    push_manifest,
    push_manifest_list,
    push_oci_image,
    push_oci_index,
    push_tagged_images,
)

REMOTES = "remotes/container/container/"


# --- helpers ---------------------------------------------------------------------------------


def create_remote(api, unique, registry, name, **fields):
    body = {"name": unique("remote"), "url": registry.url, "upstream_name": name, **fields}
    return api.ok(api.post(REMOTES, body))


def sync(api, repository, remote=None, mirror=False, expect="completed"):
    body = {"mirror": mirror}
    if remote is not None:
        body["remote"] = remote["pulp_href"]
    return api.run("POST", f"{repository['pulp_href']}sync/", body, expect=expect)


def latest(api, repository):
    return api.ok(api.get(repository["pulp_href"]))["latest_version_href"]


def content(api, kind, version_href):
    """Every unit of `kind` (blobs, manifests, tags) in a repository version."""
    units, url = [], f"content/container/{kind}/"
    params = {"repository_version": version_href, "limit": 500}
    while url:
        page = api.ok(api.get(url, params=params))
        units.extend(page["results"])
        url, params = page["next"], None
    return units


def tags_of(api, version_href):
    manifests = {m["pulp_href"]: m["digest"] for m in content(api, "manifests", version_href)}
    return {t["name"]: manifests[t["tagged_manifest"]] for t in content(api, "tags", version_href)}


def digests(units):
    return {unit["digest"] for unit in units}


def synced_repository(api, unique, registry, name, mirror=False, **remote_fields):
    remote = create_remote(api, unique, registry, name, **remote_fields)
    repository = api.create_repository(unique("repo"), remote=remote["pulp_href"])
    task = sync(api, repository, mirror=mirror)
    return repository, remote, task


# --- images, policies, content endpoints -----------------------------------------------------


def test_docker_and_oci_images_immediate(api, unique, upstream_registry, upstream_repository):
    client = upstream_registry.client()
    docker = push_docker_image(client, upstream_repository, ["docker"], labels={"team": "a"})
    oci = push_oci_image(client, upstream_repository, ["oci"], layers=2)

    repository, _, task = synced_repository(api, unique, upstream_registry, upstream_repository)

    version = latest(api, repository)
    assert version.endswith("/versions/1/")
    assert tags_of(api, version) == {"docker": docker.digest, "oci": oci.digest}
    manifests = {m["digest"]: m for m in content(api, "manifests", version)}
    assert manifests[docker.digest]["media_type"] == media_types.DOCKER_MANIFEST
    assert manifests[oci.digest]["media_type"] == media_types.OCI_MANIFEST
    assert manifests[docker.digest]["labels"] == {"team": "a"}
    assert (manifests[oci.digest]["architecture"], manifests[oci.digest]["os"]) == (
        "amd64",
        "linux",
    )
    blobs = {b["pulp_href"]: b for b in content(api, "blobs", version)}
    assert digests(blobs.values()) == {b.digest for b in (*docker.blobs, *oci.blobs)}
    assert all(blob["artifact"] for blob in blobs.values())
    for pushed in (docker, oci):
        manifest = manifests[pushed.digest]
        assert blobs[manifest["config_blob"]]["digest"] == pushed.config.digest
        assert {blobs[href]["digest"] for href in manifest["blobs"]} == {
            layer.digest for layer in pushed.layers
        }
    codes = {report["code"]: report for report in task["progress_reports"]}
    assert codes["sync.processing.tags"]["done"] == 2
    assert codes["sync.processing.manifests"]["done"] == 2
    assert codes["sync.processing.blobs"]["done"] == 5
    assert codes["sync.downloading.artifacts"]["done"] == 3  # the first stage read the configs
    for blob in (*docker.blobs, *oci.blobs):
        assert upstream_registry.request_count(f"/blobs/{blob.digest}", "GET", status=200) == 1


def test_second_sync_without_changes_creates_no_version(
    api, unique, upstream_registry, upstream_repository
):
    push_docker_image(upstream_registry.client(), upstream_repository)
    repository, _, _ = synced_repository(api, unique, upstream_registry, upstream_repository)
    before = latest(api, repository)

    for mirror in (False, True):
        task = sync(api, repository, mirror=mirror)
        assert task["created_resources"] == []

    assert latest(api, repository) == before


@pytest.mark.parametrize("policy", ["on_demand", "streamed"])
def test_deferred_policies_download_no_layers(
    api, unique, upstream_registry, upstream_repository, policy
):
    pushed = push_docker_image(upstream_registry.client(), upstream_repository, layers=2)

    repository, _, _ = synced_repository(
        api, unique, upstream_registry, upstream_repository, policy=policy
    )

    version = latest(api, repository)
    blobs = content(api, "blobs", version)
    assert digests(blobs) == {blob.digest for blob in pushed.blobs}
    assert [blob["artifact"] for blob in blobs] == [None] * 3
    for layer in pushed.layers:
        assert upstream_registry.request_count(f"/blobs/{layer.digest}", "GET") == 0
    assert tags_of(api, version) == {"latest": pushed.digest}


def test_index_and_manifest_list_with_all_children(
    api, unique, upstream_registry, upstream_repository
):
    client = upstream_registry.client()
    index = push_oci_index(client, upstream_repository, ["index"])
    manifest_list = push_manifest_list(client, upstream_repository, ["list"])

    repository, _, _ = synced_repository(
        api, unique, upstream_registry, upstream_repository, policy="on_demand"
    )

    version = latest(api, repository)
    assert tags_of(api, version) == {"index": index.digest, "list": manifest_list.digest}
    manifests = {m["digest"]: m for m in content(api, "manifests", version)}
    children = [*index.children, *manifest_list.children]
    assert set(manifests) == {index.digest, manifest_list.digest, *(c.digest for c in children)}
    for pushed in (index, manifest_list):
        listed = manifests[pushed.digest]
        assert listed["media_type"] == pushed.media_type
        assert {
            (p["digest"], p["os"], p["architecture"], p["variant"]) for p in listed["platforms"]
        } == {
            (child.digest, child.platform.os, child.platform.architecture,
             child.platform.variant or "")
            for child in pushed.children
        }  # fmt: skip
        assert len(listed["listed_manifests"]) == 2
        for child in pushed.children:
            assert manifests[child.digest]["media_type"] == child.media_type
            assert manifests[child.digest]["architecture"] == child.platform.architecture
    assert digests(content(api, "blobs", version)) == {
        blob.digest for pushed in (index, manifest_list) for blob in pushed.blobs
    }


class ForeignLayerRegistry(UpstreamRegistry):
    """A docker-registry that accepts foreign layers (their URLs are refused by default)."""

    def config(self):
        config = super().config()
        config["validation"] = {"manifests": {"urls": {"allow": ["^https?://"]}}}
        return config


@pytest.fixture
def foreign_layer_registry(tmp_path):
    with ForeignLayerRegistry(workdir=tmp_path / "foreign-registry") as registry:
        yield registry


def test_foreign_layers_stay_in_the_manifest_but_are_not_fetched(
    api, unique, foreign_layer_registry, upstream_repository
):
    upstream_registry = foreign_layer_registry
    client = upstream_registry.client()
    base = push_docker_image(client, upstream_repository, ["base"])
    foreign = {
        "mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        "size": 1234567,
        "digest": "sha256:" + hashlib.sha256(b"foreign layer").hexdigest(),
        "urls": ["https://127.0.0.1:9/foreign/layer.tar.gz"],
    }
    document = json.loads(base.manifest)
    document["layers"] = [foreign, *document["layers"]]
    data = json.dumps(document, indent=3).encode()
    digest = push_manifest(client, upstream_repository, ("foreign",), data, base.media_type)

    repository, _, _ = synced_repository(api, unique, upstream_registry, upstream_repository)

    version = latest(api, repository)
    assert tags_of(api, version) == {"base": base.digest, "foreign": digest}
    manifest = next(m for m in content(api, "manifests", version) if m["digest"] == digest)
    assert len(manifest["blobs"]) == len(base.layers)
    assert foreign["digest"] not in digests(content(api, "blobs", version))


def test_a_moved_tag_points_at_its_new_manifest(
    api, unique, upstream_registry, upstream_repository
):
    client = upstream_registry.client()
    first = push_docker_image(client, upstream_repository, ["latest"], seed="first")
    repository, _, _ = synced_repository(
        api, unique, upstream_registry, upstream_repository, policy="on_demand"
    )
    second = push_docker_image(client, upstream_repository, ["latest"], seed="second")

    sync(api, repository)

    version = latest(api, repository)
    assert tags_of(api, version) == {"latest": second.digest}
    assert {first.digest, second.digest} == digests(content(api, "manifests", version))


def test_two_syncs_of_one_repository_do_not_overlap(
    api, unique, upstream_registry, upstream_repository
):
    push_tagged_images(upstream_registry.client(), upstream_repository, tags=("a", "b"))
    remote = create_remote(api, unique, upstream_registry, upstream_repository)
    repository = api.create_repository(unique("repo"), remote=remote["pulp_href"])

    hrefs = [
        api.ok(api.post(f"{repository['pulp_href']}sync/", {}), status=202)["task"]
        for _ in range(2)
    ]

    first, second = sorted((api.wait_task(href) for href in hrefs), key=lambda t: t["started_at"])
    assert first["finished_at"] <= second["started_at"]
    assert latest(api, repository).endswith("/versions/1/")


# --- mirror and filters ----------------------------------------------------------------------


def test_mirror_drops_what_upstream_deleted(api, unique, upstream_registry, upstream_repository):
    client = upstream_registry.client()
    pushed = push_tagged_images(client, upstream_repository)
    repository, _, _ = synced_repository(api, unique, upstream_registry, upstream_repository)
    gone = pushed["v2.0-rc"]
    response = client.delete_manifest(upstream_repository, gone.digest)
    assert response.status_code == 202, response.text

    additive = sync(api, repository, mirror=False)
    assert additive["created_resources"] == []
    assert "v2.0-rc" in tags_of(api, latest(api, repository))

    sync(api, repository, mirror=True)

    version = latest(api, repository)
    assert version.endswith("/versions/2/")
    assert tags_of(api, version) == {
        tag: image.digest for tag, image in pushed.items() if tag != "v2.0-rc"
    }
    assert gone.digest not in digests(content(api, "manifests", version))
    assert not {b.digest for b in gone.blobs} & digests(content(api, "blobs", version))


def test_include_and_exclude_filters(api, unique, upstream_registry, upstream_repository):
    pushed = push_tagged_images(upstream_registry.client(), upstream_repository)

    repository, _, _ = synced_repository(
        api,
        unique,
        upstream_registry,
        upstream_repository,
        include_tags=["v*"],
        exclude_tags=["*-rc"],
        policy="on_demand",
    )

    version = latest(api, repository)
    assert tags_of(api, version) == {tag: pushed[tag].digest for tag in ("v1.0", "v1.1")}
    assert digests(content(api, "manifests", version)) == {
        pushed["v1.0"].digest,
        pushed["v1.1"].digest,
    }


# --- integrity -------------------------------------------------------------------------------


def test_a_cancelled_sync_keeps_the_version_and_the_next_sync_works(
    api, unique, upstream_registry, upstream_repository
):
    client = upstream_registry.client()
    push_tagged_images(client, upstream_repository, tags=("a",))
    repository, remote, _ = synced_repository(api, unique, upstream_registry, upstream_repository)
    before = latest(api, repository)
    push_docker_image(
        client, upstream_repository, ["big"], layers=1, layer_size=8 * MIB, files_per_layer=1
    )
    # Through the proxy the 8 MiB layer takes 32 s: the sync is still running when cancelled.
    slow = ThrottlingProxy(int(upstream_registry.host.rsplit(":", 1)[1]), rate=256 * 1024)
    try:
        api.run("PATCH", remote["pulp_href"], {"url": slow.url})
        href = api.ok(api.post(f"{repository['pulp_href']}sync/", {}), status=202)["task"]
        deadline = time.monotonic() + 60
        while api.ok(api.get(href))["state"] != "running":
            assert time.monotonic() < deadline, "the sync did not start"
            time.sleep(0.1)
        time.sleep(2)  # tags and manifests read, the layer downloading

        api.ok(api.patch(href, {"state": "canceled"}))
        api.wait_task(href, expect="canceled")
    finally:
        slow.close()

    assert latest(api, repository) == before
    assert set(tags_of(api, before)) == {"a"}
    api.run("PATCH", remote["pulp_href"], {"url": upstream_registry.url})
    sync(api, repository)
    assert set(tags_of(api, latest(api, repository))) == {"a", "big"}


def test_corrupt_blob_fails_the_sync_and_keeps_the_version(
    api, unique, upstream_registry_factory, upstream_repository
):
    registry = upstream_registry_factory()
    client = registry.client()
    push_docker_image(client, upstream_repository, ["good"])
    repository, _, _ = synced_repository(api, unique, registry, upstream_repository, max_retries=1)
    before = latest(api, repository)
    bad = push_docker_image(client, upstream_repository, ["bad"])
    registry.corrupt_blob(bad.layers[0].digest)

    task = sync(api, repository, expect="failed")

    assert bad.layers[0].digest in task["error"]["description"]
    assert latest(api, repository) == before
    assert "bad" not in tags_of(api, before)


def _rewrite_whitespace(path):
    """Change one byte of a stored manifest so it stays valid JSON of the same size."""
    data = path.read_bytes()
    changed = data.replace(b'{\n   "', b'{\n\t  "', 1)
    assert changed != data and len(changed) == len(data)
    path.write_bytes(changed)


@pytest.mark.parametrize("which", ["tagged", "listed"])
def test_manifest_not_matching_its_digest_fails_the_sync(
    api, unique, upstream_registry_factory, upstream_repository, which
):
    registry = upstream_registry_factory()
    pushed = push_oci_index(registry.client(), upstream_repository, ["index"])
    target = pushed if which == "tagged" else pushed.children[1]
    _rewrite_whitespace(registry.blob_path(target.digest))
    remote = create_remote(api, unique, registry, upstream_repository, policy="on_demand")
    repository = api.create_repository(unique("repo"), remote=remote["pulp_href"])

    task = sync(api, repository, expect="failed")

    description = task["error"]["description"]
    assert target.digest in description
    assert "checksum" in description
    assert latest(api, repository).endswith("/versions/0/")


# --- upstream credentials --------------------------------------------------------------------


def test_basic_auth_upstream(api, unique, upstream_basic_auth_registry, upstream_repository):
    registry = upstream_basic_auth_registry
    pushed = push_oci_image(registry.client(), upstream_repository)
    username, password = registry.credentials

    repository, _, _ = synced_repository(
        api, unique, registry, upstream_repository, username=username, password=password
    )
    assert tags_of(api, latest(api, repository)) == {"latest": pushed.digest}
    assert all(blob["artifact"] for blob in content(api, "blobs", latest(api, repository)))

    anonymous = create_remote(api, unique, registry, upstream_repository)
    task = sync(api, repository, remote=anonymous, expect="failed")
    assert "401" in task["error"]["description"]


def test_token_auth_upstream(api, unique, upstream_token_auth_registry, upstream_repository):
    registry = upstream_token_auth_registry
    pushed = push_oci_index(registry.client(), upstream_repository)
    username, password = registry.credentials
    requests_before = len(registry.token_server.requests)

    repository, _, _ = synced_repository(
        api, unique, registry, upstream_repository, username=username, password=password
    )

    version = latest(api, repository)
    assert tags_of(api, version) == {"latest": pushed.digest}
    assert digests(content(api, "blobs", version)) == {blob.digest for blob in pushed.blobs}
    asked = registry.token_server.requests[requests_before:]
    assert {(r.account, r.scopes) for r in asked} == {
        (username, (f"repository:{upstream_repository}:pull",))
    }
    assert len(asked) <= 2  # one token per scope, shared by the sync's downloaders

    anonymous = create_remote(api, unique, registry, upstream_repository)
    task = sync(api, repository, remote=anonymous, expect="failed")
    assert "401" in task["error"]["description"]
    wrong = create_remote(
        api, unique, registry, upstream_repository, username=username, password="wrong"
    )
    task = sync(api, repository, remote=wrong, expect="failed")
    assert "401" in task["error"]["description"]
    assert latest(api, repository) == version


# --- the sync request ------------------------------------------------------------------------


def test_sync_needs_a_remote(api, unique):
    repository = api.create_repository(unique("repo"))

    response = api.post(f"{repository['pulp_href']}sync/", {})

    assert response.status_code == 400
    assert "remote" in response.json()


def test_sync_refuses_another_plugins_remote(api, unique):
    repository = api.create_repository(unique("repo"))
    remote = api.ok(
        api.post("remotes/file/file/", {"name": unique("file"), "url": "http://127.0.0.1:1/"})
    )

    response = api.post(f"{repository['pulp_href']}sync/", {"remote": remote["pulp_href"]})

    assert response.status_code == 400
    assert "remote" in response.json()
