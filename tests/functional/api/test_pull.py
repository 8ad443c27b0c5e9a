"""Pull with real clients (skopeo, podman) every image kind a sync produces, for each policy.

Images are pushed to the upstream harness registry once per module, synced into one
repository per policy (immediate, on_demand, streamed) and served by a distribution whose base
path holds slashes. Every pulled manifest must hash to upstream's digest.
"""

import hashlib
import json
import uuid

import pytest

from tests.functional.upstream import (
    ARM64,
    Podman,
    push_docker_image,
    push_manifest_list,
    push_oci_image,
    push_oci_index,
    skopeo,
    skopeo_copy,
)

REMOTES = "remotes/container/container/"
POLICIES = ("immediate", "on_demand", "streamed")
LAYER_SIZE = 64 * 1024


# --- helpers shared by the registry tests ----------------------------------------------------


def new_name(prefix):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def sync(api, repository, remote, mirror=False):
    body = {"remote": remote["pulp_href"], "mirror": mirror}
    return api.run("POST", f"{repository['pulp_href']}sync/", body)


def serve(
    api, registry, upstream_name, policy, base_path=None, remote_fields=None, **distribution_fields
):
    """Sync `upstream_name` with `policy` into a new repository and distribute it.

    Returns:
        (repository, remote, distribution) as the REST API shows them.
    """
    remote = api.ok(
        api.post(
            REMOTES,
            {
                "name": new_name("remote-"),
                "url": registry.url,
                "upstream_name": upstream_name,
                "policy": policy,
                **(remote_fields or {}),
            },
        )
    )
    repository = api.create_repository(new_name("repo-"))
    sync(api, repository, remote)
    distribution = api.create_distribution(
        new_name("dist-"),
        base_path or f"pull/{policy.replace('_', '-')}/{new_name('img')}",
        repository=repository["pulp_href"],
        **distribution_fields,
    )
    return api.ok(api.get(repository["pulp_href"])), remote, distribution


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def copied_manifest_digest(directory):
    """The digest of the manifest `skopeo copy ... dir:` wrote (the bytes as served)."""
    return sha256((directory / "manifest.json").read_bytes())


def assert_blobs_copied(directory, image):
    """skopeo's dir: layout holds each blob in a file named by its hex digest."""
    for blob in image.blobs:
        data = (directory / blob.digest.split(":", 1)[1]).read_bytes()
        assert sha256(data) == blob.digest


# --- fixtures --------------------------------------------------------------------------------


def push_all_kinds(registry, name):
    """A Docker schema 2 image, an OCI image, an OCI index and a Docker manifest list, each
    under its own tag, in upstream repository `name` (content distinct per name)."""
    client = registry.client()
    return {
        "name": name,
        "docker": push_docker_image(client, name, ["docker"], layer_size=LAYER_SIZE),
        "oci": push_oci_image(client, name, ["oci"], layers=2, layer_size=LAYER_SIZE),
        "index": push_oci_index(client, name, ["index"], layer_size=LAYER_SIZE),
        "list": push_manifest_list(client, name, ["list"], layer_size=LAYER_SIZE),
    }


@pytest.fixture(scope="module")
def images(upstream_registry):
    """Policy -> the images pushed for it. Each policy gets its own blobs: content units are
    shared between repositories, so a blob stored for one would be served locally to all."""
    suffix = uuid.uuid4().hex[:8]
    return {
        policy: push_all_kinds(upstream_registry, f"pull/{policy.replace('_', '-')}-{suffix}")
        for policy in POLICIES
    }


@pytest.fixture(scope="module")
def served(api, upstream_registry, images):
    """Policy -> the base path of a distribution serving that policy's synced images."""
    return {
        policy: serve(api, upstream_registry, images[policy]["name"], policy)[2]["base_path"]
        for policy in POLICIES
    }


# --- skopeo ----------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", POLICIES)
def test_skopeo_copies_images_by_tag(pulp_server, served, images, policy, tmp_path):
    name = f"{pulp_server.registry_host}/{served[policy]}"
    for kind in ("docker", "oci"):
        target = tmp_path / kind
        skopeo_copy(f"{name}:{kind}", f"dir:{target}")
        assert copied_manifest_digest(target) == images[policy][kind].digest
        assert_blobs_copied(target, images[policy][kind])


@pytest.mark.parametrize("policy", POLICIES)
def test_skopeo_copies_indexes_with_all_platforms(pulp_server, served, images, policy, tmp_path):
    name = f"{pulp_server.registry_host}/{served[policy]}"
    for kind in ("index", "list"):
        index = images[policy][kind]
        for reference in (f"{name}:{kind}", f"{name}@{index.digest}"):
            target = tmp_path / f"{kind}-{len(reference)}"
            skopeo_copy(reference, f"dir:{target}", all_images=True)
            assert copied_manifest_digest(target) == index.digest
            for child in index.children:
                instance = target / f"{child.digest.split(':', 1)[1]}.manifest.json"
                assert sha256(instance.read_bytes()) == child.digest
                assert_blobs_copied(target, child)


@pytest.mark.parametrize("policy", POLICIES)
def test_skopeo_copies_one_platform_out_of_an_index(pulp_server, served, images, policy, tmp_path):
    name = f"{pulp_server.registry_host}/{served[policy]}"
    child = images[policy]["index"].child(ARM64)
    skopeo(
        "--override-os", ARM64.os, "--override-arch", ARM64.architecture,
        "--override-variant", ARM64.variant,
        "copy", "--src-tls-verify=false", f"docker://{name}:index", f"dir:{tmp_path}",
    )  # fmt: skip
    assert copied_manifest_digest(tmp_path) == child.digest
    assert_blobs_copied(tmp_path, child)


# --- podman ----------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", POLICIES)
def test_podman_pulls_image_and_index(pulp_server, served, images, policy, podman: Podman):
    name = f"{pulp_server.registry_host}/{served[policy]}"
    for kind in ("docker", "oci", "index"):
        podman.pull(f"{name}:{kind}")
        inspected = podman.image_inspect(f"{name}:{kind}")
        assert inspected["Digest"] == images[policy][kind].digest
    amd64 = images[policy]["index"].child("amd64")
    assert podman.image_inspect(f"{name}:index")["Config"] is not None
    podman.pull(f"{name}@{amd64.digest}")
    repo_digests = podman.image_inspect(f"{name}@{amd64.digest}")["RepoDigests"]
    assert f"{name}@{amd64.digest}" in repo_digests


# --- a distribution pinned to an older version -----------------------------------------------


def test_pinned_distribution_serves_its_version(
    api, pulp_server, upstream_registry, tmp_path, podman: Podman
):
    client = upstream_registry.client()
    name = f"pull/pinned-{uuid.uuid4().hex[:8]}"
    old = push_docker_image(client, name, ["app"], layer_size=LAYER_SIZE, seed="old")
    repository, remote, latest = serve(api, upstream_registry, name, "on_demand")
    first_version = repository["latest_version_href"]
    new = push_docker_image(client, name, ["app"], layer_size=LAYER_SIZE, seed="new")
    sync(api, repository, remote)
    pinned = api.create_distribution(
        new_name("dist-"), f"pull/pinned/{new_name('v')}", repository_version=first_version
    )
    host = pulp_server.registry_host
    skopeo_copy(f"{host}/{pinned['base_path']}:app", f"dir:{tmp_path / 'old'}")
    skopeo_copy(f"{host}/{latest['base_path']}:app", f"dir:{tmp_path / 'new'}")
    assert copied_manifest_digest(tmp_path / "old") == old.digest
    assert copied_manifest_digest(tmp_path / "new") == new.digest
    assert_blobs_copied(tmp_path / "old", old)
    podman.pull(f"{host}/{pinned['base_path']}:app")
    assert podman.image_inspect(f"{host}/{pinned['base_path']}:app")["Digest"] == old.digest
    inspected = json.loads(
        skopeo(
            "inspect", "--tls-verify=false", "--raw", f"docker://{host}/{pinned['base_path']}:app"
        ).stdout
    )
    assert inspected["config"]["digest"] == old.config.digest
