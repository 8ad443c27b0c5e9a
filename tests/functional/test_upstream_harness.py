"""The upstream registry harness works with real clients (skopeo, podman) in every mode."""

import gzip
import hashlib
import json
import socket

import pytest
import requests
import urllib3

from tests.functional.upstream import (
    DEFAULT_TAGS,
    CommandFailed,
    RegistryClient,
    RegistryClientError,
    UpstreamRegistry,
    UpstreamRegistryError,
    build_layer,
    digest_of,
    media_types,
    push_docker_image,
    push_manifest_list,
    push_oci_image,
    push_oci_index,
    push_tagged_images,
    skopeo,
    skopeo_copy,
    skopeo_inspect,
)
from tests.functional.upstream.scripted import Answer, ScriptedRegistry

PUSHERS = {
    "docker": push_docker_image,
    "oci": push_oci_image,
    "oci-index": push_oci_index,
    "manifest-list": push_manifest_list,
}
MEDIA_TYPES = {
    "docker": media_types.DOCKER_MANIFEST,
    "oci": media_types.OCI_MANIFEST,
    "oci-index": media_types.OCI_INDEX,
    "manifest-list": media_types.DOCKER_MANIFEST_LIST,
}


def _amd64(pushed):
    """The linux/amd64 image of a push, whether it is an index or a single image."""
    return pushed.child("amd64") if hasattr(pushed, "children") else pushed


# --- the process -----------------------------------------------------------------------------


def test_registry_answers_v2(upstream_registry):
    response = RegistryClient(upstream_registry.url).ping()

    assert response.status_code == 200
    assert response.headers["Docker-Distribution-API-Version"] == "registry/2.0"
    assert upstream_registry.url == f"http://{upstream_registry.host}"


def test_start_fails_loudly_with_the_log(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        registry = UpstreamRegistry(workdir=tmp_path)
        registry.port = taken.getsockname()[1]
        with pytest.raises(UpstreamRegistryError, match="address already in use"):
            registry.start()
    assert not registry.running


def test_stop_and_start_keep_port_and_content(upstream_registry_factory, upstream_repository):
    registry = upstream_registry_factory()
    image = push_docker_image(registry.client(), upstream_repository)
    port = registry.port

    registry.stop()
    with pytest.raises(requests.ConnectionError):
        RegistryClient(registry.url).get("/v2/", timeout=5)
    registry.start()

    assert registry.port == port
    response = registry.client().manifest(upstream_repository, "latest")
    assert response.headers["Docker-Content-Digest"] == image.digest


# --- pushed images as the registry and skopeo see them ---------------------------------------


@pytest.mark.parametrize("kind", PUSHERS)
def test_pushed_manifest_is_served_byte_for_byte(kind, upstream_registry, upstream_repository):
    pushed = PUSHERS[kind](upstream_registry.client(), upstream_repository, ["latest", "1.0"])

    response = upstream_registry.client().manifest(upstream_repository, "1.0")

    assert pushed.media_type == MEDIA_TYPES[kind]
    assert pushed.digest == digest_of(pushed.manifest)
    assert response.headers["Docker-Content-Digest"] == pushed.digest
    assert response.headers["Content-Type"] == pushed.media_type
    assert response.content == pushed.manifest


@pytest.mark.parametrize("kind", PUSHERS)
def test_skopeo_inspect_shows_the_digest(kind, upstream_registry, upstream_repository):
    pushed = PUSHERS[kind](upstream_registry.client(), upstream_repository)
    reference = pushed.reference(upstream_registry.host)

    info = skopeo_inspect(reference)
    raw = skopeo("inspect", "--tls-verify=false", "--raw", f"docker://{reference}").stdout

    assert info["Digest"] == pushed.digest
    assert info["Architecture"] == "amd64"
    assert info["Layers"] == [layer.digest for layer in _amd64(pushed).layers]
    assert raw.encode() == pushed.manifest


@pytest.mark.parametrize("kind", ["oci-index", "manifest-list"])
def test_index_has_amd64_and_arm64_children(kind, upstream_registry, upstream_repository):
    pushed = PUSHERS[kind](upstream_registry.client(), upstream_repository)
    listed = json.loads(pushed.manifest)["manifests"]

    assert set(pushed.child_digests) == {"linux/amd64", "linux/arm64/v8"}
    assert [entry["digest"] for entry in listed] == list(pushed.child_digests.values())
    assert {entry["platform"]["architecture"] for entry in listed} == {"amd64", "arm64"}
    assert len({blob.digest for blob in pushed.blobs}) == 4  # 2 configs + 2 layers, none shared
    client = upstream_registry.client()
    for child in pushed.children:
        assert client.manifest(upstream_repository, child.digest).content == child.manifest


def test_skopeo_inspect_override_arch_picks_the_arm64_child(upstream_registry, upstream_repository):
    pushed = push_oci_index(upstream_registry.client(), upstream_repository)
    reference = f"docker://{pushed.reference(upstream_registry.host)}"

    info = json.loads(
        skopeo(
            "--override-arch", "arm64", "--override-variant", "v8",
            "inspect", "--tls-verify=false", reference,
        ).stdout
    )  # fmt: skip

    assert info["Architecture"] == "arm64"
    assert info["Layers"] == [layer.digest for layer in pushed.child("arm64").layers]


def test_tagged_images_are_distinct(upstream_registry, upstream_repository):
    pushed = push_tagged_images(upstream_registry.client(), upstream_repository)

    listed = json.loads(
        skopeo(
            "list-tags",
            "--tls-verify=false",
            f"docker://{upstream_registry.host}/{upstream_repository}",
        ).stdout
    )

    assert sorted(listed["Tags"]) == sorted(DEFAULT_TAGS)
    assert len({image.digest for image in pushed.values()}) == len(DEFAULT_TAGS)
    assert all(image.tags == (tag,) for tag, image in pushed.items())


def test_pushes_are_deterministic(upstream_registry, upstream_repository):
    client = upstream_registry.client()
    first = push_oci_index(client, upstream_repository)
    uploads = upstream_registry.request_count(f"/v2/{upstream_repository}/blobs/uploads/", "POST")

    second = push_oci_index(client, upstream_repository)

    assert second == first
    assert uploads == 4
    assert upstream_registry.request_count(f"/v2/{upstream_repository}/blobs/uploads/", "POST") == 4


def test_layer_digests_and_diff_ids_are_right(tmp_path):
    layer = build_layer(tmp_path, "seed", size=300_000, files=2)
    data = layer.path.read_bytes()

    assert layer.digest == digest_of(data)
    assert layer.size == len(data)
    assert layer.diff_id == f"sha256:{hashlib.sha256(gzip.decompress(data)).hexdigest()}"
    assert build_layer(tmp_path / "..", "seed", size=300_000, files=2).digest == layer.digest
    assert build_layer(tmp_path, "other", size=300_000, files=2).digest != layer.digest


# --- copies and pulls by real clients --------------------------------------------------------


def test_skopeo_copy_all_of_an_index_to_an_oci_layout(
    upstream_registry, upstream_repository, tmp_path
):
    pushed = push_oci_index(upstream_registry.client(), upstream_repository)

    skopeo_copy(
        pushed.reference(upstream_registry.host), f"oci:{tmp_path}/layout:copy", all_images=True
    )

    index = json.loads((tmp_path / "layout/index.json").read_text())
    stored = {path.name for path in (tmp_path / "layout/blobs/sha256").iterdir()}
    assert index["manifests"][0]["digest"] == pushed.digest
    wanted = [pushed.digest, *pushed.child_digests.values(), *(b.digest for b in pushed.blobs)]
    assert {digest.split(":")[1] for digest in wanted} <= stored


def test_skopeo_copy_all_of_a_manifest_list_to_a_dir(
    upstream_registry, upstream_repository, tmp_path
):
    pushed = push_manifest_list(upstream_registry.client(), upstream_repository)

    skopeo_copy(pushed.reference(upstream_registry.host), f"dir:{tmp_path}/dir", all_images=True)

    assert (tmp_path / "dir/manifest.json").read_bytes() == pushed.manifest
    for child in pushed.children:
        copied = tmp_path / f"dir/{child.digest.split(':')[1]}.manifest.json"
        assert copied.read_bytes() == child.manifest


@pytest.mark.parametrize("kind", PUSHERS)
def test_podman_pulls(kind, podman, upstream_registry, upstream_repository):
    pushed = PUSHERS[kind](upstream_registry.client(), upstream_repository)

    output = podman.pull(pushed.reference(upstream_registry.host)).stdout

    image_id = output.strip().splitlines()[-1]
    assert f"sha256:{image_id}" == _amd64(pushed).config.digest
    assert podman.image_inspect(image_id)["Digest"] == pushed.digest
    assert len(podman.layer_files("seed.txt")) == 1


# --- the access log --------------------------------------------------------------------------


def test_access_log_counts_requests_per_path_and_method(upstream_registry, upstream_repository):
    client = upstream_registry.client()
    pushed = push_docker_image(client, upstream_repository)
    layer = pushed.layers[0].digest
    assert upstream_registry.request_count(layer, "GET") == 0

    client.blob(upstream_repository, layer)
    client.blob(upstream_repository, layer)
    client.request("HEAD", f"/v2/{upstream_repository}/blobs/{layer}")

    assert upstream_registry.request_count(layer, "GET") == 2
    assert upstream_registry.request_count(layer, "HEAD", status=200) == 1
    assert upstream_registry.request_count(layer, "HEAD", status=404) == 1  # before the upload


def test_access_log_sees_skopeo_fetch_each_blob_once(
    upstream_registry, upstream_repository, tmp_path
):
    pushed = push_oci_image(upstream_registry.client(), upstream_repository, layers=2)

    skopeo_copy(pushed.reference(upstream_registry.host), f"dir:{tmp_path}/dir")

    for blob in pushed.blobs:
        assert upstream_registry.request_count(f"/blobs/{blob.digest}", "GET", status=200) == 1


# --- upstream lies ---------------------------------------------------------------------------


def test_corrupt_blob_is_served_with_wrong_content(
    upstream_registry_factory, upstream_repository, tmp_path
):
    registry = upstream_registry_factory()
    pushed = push_docker_image(registry.client(), upstream_repository)
    layer = pushed.layers[0]

    registry.corrupt_blob(layer.digest)
    served = registry.client().blob(upstream_repository, layer.digest)

    assert served.status_code == 200
    assert len(served.content) == layer.size
    assert digest_of(served.content) != layer.digest
    with pytest.raises(CommandFailed, match="(?i)digest"):
        skopeo_copy(pushed.reference(registry.host), f"dir:{tmp_path}/dir")


# --- basic auth ------------------------------------------------------------------------------


def test_basic_auth_refuses_anonymous(upstream_basic_auth_registry):
    response = RegistryClient(upstream_basic_auth_registry.url).ping()
    wrong = upstream_basic_auth_registry.client("upstream-user", "wrong").ping()

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic ")
    assert wrong.status_code == 401


def test_basic_auth_accepts_credentials(upstream_basic_auth_registry, upstream_repository, podman):
    registry = upstream_basic_auth_registry
    pushed = push_docker_image(registry.client(), upstream_repository)
    reference = pushed.reference(registry.host)

    with pytest.raises(CommandFailed):
        skopeo_inspect(reference)
    assert skopeo_inspect(reference, creds=registry.credentials)["Digest"] == pushed.digest
    podman.pull(reference, creds=registry.credentials)


# --- token auth ------------------------------------------------------------------------------


def test_token_auth_challenges_with_the_realm(upstream_token_auth_registry):
    registry = upstream_token_auth_registry

    response = RegistryClient(registry.url).get("/v2/", authenticate=False)

    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert f'realm="{registry.token_server.realm}"' in challenge
    assert 'service="upstream-registry"' in challenge


def test_token_auth_refuses_anonymous_and_wrong_password(
    upstream_token_auth_registry, upstream_repository
):
    registry = upstream_token_auth_registry
    push_docker_image(registry.client(), upstream_repository)

    response = RegistryClient(registry.url).manifest(upstream_repository, "latest")

    assert response.status_code == 401
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    with pytest.raises(RegistryClientError, match="token request refused"):
        registry.client("upstream-user", "wrong").ping()
    with pytest.raises(CommandFailed):
        skopeo_inspect(f"{registry.host}/{upstream_repository}:latest")


def test_token_auth_accepts_credentials(upstream_token_auth_registry, upstream_repository, podman):
    registry = upstream_token_auth_registry
    pushed = push_oci_index(registry.client(), upstream_repository)
    reference = pushed.reference(registry.host)

    assert skopeo_inspect(reference, creds=registry.credentials)["Digest"] == pushed.digest
    podman.pull(reference, creds=registry.credentials)
    scopes = {scope for request in registry.token_server.requests for scope in request.scopes}
    # docker-registry names the push scope's actions in either order ("pull,push" or "push,pull").
    actions = {
        frozenset(scope.rsplit(":", 1)[1].split(","))
        for scope in scopes
        if scope.startswith(f"repository:{upstream_repository}:")
    }
    assert frozenset({"pull", "push"}) in actions
    assert frozenset({"pull"}) in actions


def test_token_auth_anonymous_pull_mode(upstream_registry_factory, upstream_repository):
    registry = upstream_registry_factory(auth="token", anonymous_pull=True)
    pushed = push_docker_image(registry.client(), upstream_repository)
    anonymous = RegistryClient(registry.url)

    assert skopeo_inspect(pushed.reference(registry.host))["Digest"] == pushed.digest
    with pytest.raises(RegistryClientError, match="starting a blob upload failed"):
        push_docker_image(anonymous, upstream_repository, ["other"])


def test_a_scripted_answer_truncated_sends_its_first_bytes_and_closes():
    with ScriptedRegistry() as scripted:
        scripted.answers["/v2/a/blobs/x"] = Answer(body=b"0123456789", truncate_after=4)
        response = RegistryClient(scripted.url).blob("a", "x", stream=True, timeout=30)
        assert response.headers["Content-Length"] == "10"
        assert response.raw.read(4, decode_content=False) == b"0123"
        with pytest.raises(urllib3.exceptions.ProtocolError, match="IncompleteRead"):
            response.raw.read(decode_content=False)
        assert scripted.count("GET", "/v2/a/blobs/x") == 1


def test_a_scripted_answer_stalled_sends_its_first_bytes_and_holds_on():
    with ScriptedRegistry() as scripted:
        scripted.answers["/v2/a/blobs/x"] = Answer(body=b"0123456789", stall_after=4)
        response = RegistryClient(scripted.url).blob("a", "x", stream=True, timeout=30)
        assert response.raw.read(4, decode_content=False) == b"0123"
