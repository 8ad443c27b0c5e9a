"""Manifest PUT and DELETE over raw HTTP, as registry clients send them (token auth, blobs
uploaded monolithically): statuses, validation, versions, concurrency, the container-push
REST endpoints, and pulling back what was pushed."""

import concurrent.futures
import hashlib
import json
import os
import uuid

import pytest
import requests

from tests.functional.registry_client import TokenAuth
from tests.functional.upstream import skopeo_copy

DOCKER_V2 = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
MIB = 1024 * 1024
UNKNOWN_DIGEST = "sha256:" + "0" * 64
ALL_MANIFEST_TYPES = (DOCKER_V2, DOCKER_LIST, OCI_MANIFEST, OCI_INDEX)
HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_CHART = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def new_name(prefix="push"):
    return f"{prefix}/{uuid.uuid4().hex[:10]}"


class Client:
    """A registry client on one origin, answering token challenges as admin."""

    def __init__(self, host, auth):
        self.origin = f"http://{host}"
        self.session = requests.Session()
        self.session.auth = auth

    def request(self, method, path, **kwargs):
        return self.session.request(method, self.origin + path, timeout=120, **kwargs)

    def push_blob(self, name, data):
        digest = sha256(data)
        response = self.request(
            "POST", f"/v2/{name}/blobs/uploads/", params={"digest": digest}, data=data
        )
        assert response.status_code == 201, response.text
        return {"digest": digest, "size": len(data)}

    def put_manifest(self, name, reference, raw, media_type):
        return self.request(
            "PUT",
            f"/v2/{name}/manifests/{reference}",
            data=raw,
            headers={"Content-Type": media_type},
        )

    def get_manifest(self, name, reference, accept=ALL_MANIFEST_TYPES):
        return self.request(
            "GET", f"/v2/{name}/manifests/{reference}", headers={"Accept": ", ".join(accept)}
        )

    def tags(self, name):
        response = self.request("GET", f"/v2/{name}/tags/list")
        assert response.status_code == 200, response.text
        return sorted(response.json()["tags"] or [])


def descriptor(blob, media_type, **extra):
    return {"mediaType": media_type, "digest": blob["digest"], "size": blob["size"], **extra}


def encode(document):
    return json.dumps(document, indent=3).encode()


def image_config(label="x"):
    return json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Labels": {"test": label}},
            "rootfs": {"type": "layers", "diff_ids": []},
        }
    ).encode()


def push_image(client, name, media_type=DOCKER_V2, label=None, layers=1):
    """Push a config and `layers` random layers; return the manifest bytes (not pushed)."""
    label = label or uuid.uuid4().hex
    docker = media_type == DOCKER_V2
    config = client.push_blob(name, image_config(label))
    blobs = [client.push_blob(name, os.urandom(1024)) for _ in range(layers)]
    document = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": descriptor(config, DOCKER_CONFIG if docker else OCI_CONFIG),
        "layers": [descriptor(blob, DOCKER_LAYER if docker else OCI_LAYER) for blob in blobs],
    }
    return encode(document)


def assert_error(response, status, code):
    assert response.status_code == status, response.text
    error = response.json()["errors"][0]
    assert error["code"] == code, error
    return error


@pytest.fixture(scope="module")
def client(pulp_server):
    return Client(pulp_server.registry_host, TokenAuth("admin", pulp_server.admin_password))


def push_repository(api, name):
    found = api.ok(api.get("repositories/container/container-push/", params={"name": name}))
    assert found["count"] == 1, found
    return found["results"][0]


def latest_content(api, repository, kind):
    """The `kind` units (tags, manifests, blobs) of the repository's latest version."""
    repository = api.ok(api.get(repository["pulp_href"]))
    response = api.get(
        f"content/container/{kind}/",
        params={"repository_version": repository["latest_version_href"], "limit": 1000},
    )
    return api.ok(response)["results"]


# --- PUT: the formats ---------------------------------------------------------------------


@pytest.mark.parametrize("media_type", [DOCKER_V2, OCI_MANIFEST])
def test_a_pushed_image_is_served_byte_for_byte(client, media_type):
    name = new_name()
    raw = push_image(client, name, media_type)
    response = client.put_manifest(name, "latest", raw, media_type)
    assert response.status_code == 201, response.text
    assert response.headers["Docker-Content-Digest"] == sha256(raw)
    assert response.headers["Location"] == f"/v2/{name}/manifests/{sha256(raw)}"
    assert "OCI-Subject" not in response.headers

    for reference in ("latest", sha256(raw)):
        served = client.get_manifest(name, reference)
        assert served.status_code == 200
        assert served.content == raw
        assert served.headers["Content-Type"] == media_type
    head = client.request("HEAD", f"/v2/{name}/manifests/latest", headers={"Accept": media_type})
    assert head.status_code == 200
    assert head.headers["Docker-Content-Digest"] == sha256(raw)
    assert client.tags(name) == ["latest"]


def test_a_manifest_pushed_by_digest_has_no_tag(client):
    name = new_name()
    raw = push_image(client, name, OCI_MANIFEST)
    response = client.put_manifest(name, sha256(raw), raw, OCI_MANIFEST)
    assert response.status_code == 201, response.text
    assert client.get_manifest(name, sha256(raw)).content == raw
    assert client.tags(name) == []


@pytest.mark.parametrize(
    "list_type, image_type", [(OCI_INDEX, OCI_MANIFEST), (DOCKER_LIST, DOCKER_V2)]
)
def test_an_index_of_pushed_manifests(client, api, list_type, image_type):
    name = new_name()
    entries = []
    for arch in ("amd64", "arm64"):
        raw = push_image(client, name, image_type)
        assert client.put_manifest(name, sha256(raw), raw, image_type).status_code == 201
        entries.append(
            {
                "mediaType": image_type,
                "digest": sha256(raw),
                "size": len(raw),
                "platform": {"architecture": arch, "os": "linux"},
            }
        )
    index = encode({"schemaVersion": 2, "mediaType": list_type, "manifests": entries})
    response = client.put_manifest(name, "multi", index, list_type)
    assert response.status_code == 201, response.text
    assert client.get_manifest(name, "multi").content == index

    stored = api.ok(api.get("content/container/manifests/", params={"digest": sha256(index)}))
    assert stored["results"][0]["type"] == "index"
    assert len(stored["results"][0]["listed_manifests"]) == 2


def test_an_artifact_with_artifact_type_and_subject(client):
    name = new_name()
    subject_raw = push_image(client, name, OCI_MANIFEST)
    # The subject need not be there yet: referrers may be pushed first.
    empty = client.push_blob(name, b"{}")
    sbom = client.push_blob(name, b'{"spdxVersion": "SPDX-2.3"}')
    artifact = encode(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": "application/spdx+json",
            "config": descriptor(empty, OCI_EMPTY),
            "layers": [descriptor(sbom, "application/spdx+json")],
            "subject": {
                "mediaType": OCI_MANIFEST,
                "digest": sha256(subject_raw),
                "size": len(subject_raw),
            },
        }
    )
    response = client.put_manifest(name, sha256(artifact), artifact, OCI_MANIFEST)
    assert response.status_code == 201, response.text
    assert response.headers["OCI-Subject"] == sha256(subject_raw)
    assert client.get_manifest(name, sha256(artifact)).content == artifact


@pytest.mark.parametrize(
    "config_type, layer_type",
    [
        ("application/vnd.buildkit.cacheconfig.v0", "application/vnd.buildkit.cache.layer.v1"),
        (HELM_CONFIG, HELM_CHART),
    ],
    ids=["buildx-cache", "helm-chart"],
)
def test_artifacts_with_any_config_media_type(client, config_type, layer_type):
    name = new_name()
    config = client.push_blob(name, b'{"layers": []}')
    layer = client.push_blob(name, os.urandom(512))
    raw = encode(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": descriptor(config, config_type),
            "layers": [descriptor(layer, layer_type)],
        }
    )
    response = client.put_manifest(name, "cache", raw, OCI_MANIFEST)
    assert response.status_code == 201, response.text
    assert client.get_manifest(name, "cache").content == raw


def test_a_foreign_layer_need_not_be_pushed(client):
    name = new_name()
    config = client.push_blob(name, image_config())
    layer = client.push_blob(name, os.urandom(256))
    foreign = {"digest": sha256(b"windows base layer"), "size": 123}
    raw = encode(
        {
            "schemaVersion": 2,
            "mediaType": DOCKER_V2,
            "config": descriptor(config, DOCKER_CONFIG),
            "layers": [
                descriptor(
                    foreign, DOCKER_FOREIGN_LAYER, urls=["https://example.com/windows-base"]
                ),
                descriptor(layer, DOCKER_LAYER),
            ],
        }
    )
    assert client.put_manifest(name, "win", raw, DOCKER_V2).status_code == 201


def test_pulling_back_what_was_pushed(pulp_server, client, tmp_path):
    name = new_name()
    raw = push_image(client, name, DOCKER_V2, layers=2)
    assert client.put_manifest(name, "v1", raw, DOCKER_V2).status_code == 201
    target = tmp_path / "copy"
    skopeo_copy(
        f"{pulp_server.registry_host}/{name}:v1",
        f"dir:{target}",
        creds=("admin", pulp_server.admin_password),
    )
    assert sha256((target / "manifest.json").read_bytes()) == sha256(raw)
    for layer in json.loads(raw)["layers"]:
        assert sha256((target / layer["digest"].split(":")[1]).read_bytes()) == layer["digest"]


# --- PUT: what is refused -----------------------------------------------------------------


def test_a_missing_blob_is_refused_and_nothing_changes(client, api):
    name = new_name()
    raw = push_image(client, name, DOCKER_V2)
    assert client.put_manifest(name, "good", raw, DOCKER_V2).status_code == 201
    repository = push_repository(api, name)
    before = api.ok(api.get(repository["pulp_href"]))["latest_version_href"]

    document = json.loads(raw)
    document["layers"].append(descriptor({"digest": UNKNOWN_DIGEST, "size": 10}, DOCKER_LAYER))
    bad = encode(document)
    response = client.put_manifest(name, "good", bad, DOCKER_V2)
    error = assert_error(response, 400, "MANIFEST_BLOB_UNKNOWN")
    assert error["detail"]["digest"] == UNKNOWN_DIGEST
    assert UNKNOWN_DIGEST in error["message"]

    assert api.ok(api.get(repository["pulp_href"]))["latest_version_href"] == before
    assert client.get_manifest(name, "good").content == raw
    assert client.get_manifest(name, sha256(bad)).status_code == 404


def test_a_blob_pushed_to_another_name_is_not_enough(client):
    name, other = new_name(), new_name()
    raw = push_image(client, other, OCI_MANIFEST)
    client.push_blob(name, b"something else")  # the name exists, without those blobs
    error = assert_error(
        client.put_manifest(name, "latest", raw, OCI_MANIFEST), 400, "MANIFEST_BLOB_UNKNOWN"
    )
    assert error["detail"]["digest"] == json.loads(raw)["config"]["digest"]


def test_a_missing_listed_manifest_is_refused(client):
    name = new_name()
    raw = push_image(client, name, OCI_MANIFEST)
    assert client.put_manifest(name, sha256(raw), raw, OCI_MANIFEST).status_code == 201
    entries = [
        {"mediaType": OCI_MANIFEST, "digest": sha256(raw), "size": len(raw)},
        {"mediaType": OCI_MANIFEST, "digest": UNKNOWN_DIGEST, "size": 100},
    ]
    index = encode({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries})
    error = assert_error(
        client.put_manifest(name, "multi", index, OCI_INDEX), 400, "MANIFEST_BLOB_UNKNOWN"
    )
    assert error["detail"]["digest"] == UNKNOWN_DIGEST
    assert client.tags(name) == []


def test_a_digest_that_does_not_match_the_bytes(client):
    name = new_name()
    raw = push_image(client, name, OCI_MANIFEST)
    response = client.put_manifest(name, UNKNOWN_DIGEST, raw, OCI_MANIFEST)
    assert_error(response, 400, "DIGEST_INVALID")
    assert client.get_manifest(name, sha256(raw)).status_code == 404


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_oversized_manifest_is_refused(client, chunked):
    name = new_name()
    client.push_blob(name, b"make the name exist")
    body = b'{"schemaVersion": 2, "padding": "' + b"x" * (4 * MIB) + b'"}'
    data = iter([body[i : i + MIB] for i in range(0, len(body), MIB)]) if chunked else body
    response = client.request(
        "PUT",
        f"/v2/{name}/manifests/big",
        data=data,
        headers={"Content-Type": OCI_MANIFEST},
    )
    assert_error(response, 400, "MANIFEST_INVALID")
    assert client.tags(name) == []


NO_CONFIG = encode({"schemaVersion": 2, "mediaType": OCI_MANIFEST})
EMPTY_CONFIG = encode({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {}, "layers": []})


@pytest.mark.parametrize(
    "raw, content_type",
    [(b"{not json", OCI_MANIFEST), (NO_CONFIG, OCI_MANIFEST), (EMPTY_CONFIG, DOCKER_V2)],
    ids=["malformed", "no-config", "type-mismatch"],
)
def test_an_invalid_manifest_is_refused(client, raw, content_type):
    name = new_name()
    client.push_blob(name, b"make the name exist")
    assert_error(client.put_manifest(name, "bad", raw, content_type), 400, "MANIFEST_INVALID")


def test_an_invalid_tag_is_refused(client):
    name = new_name()
    raw = push_image(client, name, OCI_MANIFEST)
    assert_error(client.put_manifest(name, "-bad", raw, OCI_MANIFEST), 400, "TAG_INVALID")


# --- tags and versions --------------------------------------------------------------------


def test_a_tag_moves_in_one_version(client, api):
    name = new_name()
    first = push_image(client, name, DOCKER_V2)
    second = push_image(client, name, DOCKER_V2)
    assert client.put_manifest(name, "latest", first, DOCKER_V2).status_code == 201
    repository = push_repository(api, name)
    number = api.ok(api.get(api.ok(api.get(repository["pulp_href"]))["latest_version_href"]))[
        "number"
    ]
    assert client.put_manifest(name, "latest", second, DOCKER_V2).status_code == 201

    assert client.get_manifest(name, "latest").content == second
    tags = latest_content(api, repository, "tags")
    assert [tag["name"] for tag in tags] == ["latest"]
    latest = api.ok(api.get(api.ok(api.get(repository["pulp_href"]))["latest_version_href"]))
    assert latest["number"] == number + 1
    manifests = {m["digest"] for m in latest_content(api, repository, "manifests")}
    assert manifests == {sha256(first), sha256(second)}  # the first stays, by digest


def test_ten_concurrent_pushes_of_different_tags_all_land(client, api):
    name = new_name()
    images = {f"t{index}": push_image(client, name, OCI_MANIFEST) for index in range(10)}
    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        futures = {
            tag: pool.submit(client.put_manifest, name, tag, raw, OCI_MANIFEST)
            for tag, raw in images.items()
        }
        statuses = {tag: future.result().status_code for tag, future in futures.items()}
    assert set(statuses.values()) == {201}, statuses

    assert client.tags(name) == sorted(images)
    for tag, raw in images.items():
        assert client.get_manifest(name, tag).content == raw
    repository = push_repository(api, name)
    assert sorted(tag["name"] for tag in latest_content(api, repository, "tags")) == sorted(images)
    versions = api.ok(api.get(repository["versions_href"]))
    assert versions["count"] == 1 + 10  # version 0, then one per manifest PUT


def test_two_identical_concurrent_pushes_make_one_manifest(client, api):
    name = new_name()
    raw = push_image(client, name, DOCKER_V2)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(
            pool.map(lambda _: client.put_manifest(name, "same", raw, DOCKER_V2), range(2))
        )
    assert [response.status_code for response in responses] == [201, 201]
    stored = api.ok(api.get("content/container/manifests/", params={"digest": sha256(raw)}))
    assert stored["count"] == 1
    assert client.get_manifest(name, "same").content == raw


# --- DELETE -------------------------------------------------------------------------------


def test_delete_by_tag_removes_only_the_tag(client):
    name = new_name()
    raw = push_image(client, name, DOCKER_V2)
    assert client.put_manifest(name, "a", raw, DOCKER_V2).status_code == 201
    assert client.put_manifest(name, "b", raw, DOCKER_V2).status_code == 201
    assert client.request("DELETE", f"/v2/{name}/manifests/a").status_code == 202
    assert client.tags(name) == ["b"]
    assert client.get_manifest(name, sha256(raw)).content == raw
    assert_error(client.get_manifest(name, "a"), 404, "MANIFEST_UNKNOWN")


def test_delete_by_digest_removes_the_manifest_and_its_tags(client, api):
    name = new_name()
    kept = push_image(client, name, DOCKER_V2)
    gone = push_image(client, name, DOCKER_V2)
    assert client.put_manifest(name, "kept", kept, DOCKER_V2).status_code == 201
    for tag in ("a", "b"):
        assert client.put_manifest(name, tag, gone, DOCKER_V2).status_code == 201
    assert client.request("DELETE", f"/v2/{name}/manifests/{sha256(gone)}").status_code == 202

    assert client.tags(name) == ["kept"]
    assert_error(client.get_manifest(name, sha256(gone)), 404, "MANIFEST_UNKNOWN")
    repository = push_repository(api, name)
    assert {m["digest"] for m in latest_content(api, repository, "manifests")} == {sha256(kept)}


def test_deleting_what_is_not_there(client):
    name = new_name()
    raw = push_image(client, name, DOCKER_V2)
    assert client.put_manifest(name, "latest", raw, DOCKER_V2).status_code == 201
    for reference in ("nosuchtag", UNKNOWN_DIGEST, ".INVALID_MANIFEST_NAME"):
        response = client.request("DELETE", f"/v2/{name}/manifests/{reference}")
        assert_error(response, 404, "MANIFEST_UNKNOWN")
    response = client.request("DELETE", f"/v2/{new_name()}/manifests/latest")
    assert_error(response, 404, "NAME_UNKNOWN")
    assert client.tags(name) == ["latest"]


def test_an_invalid_reference_is_an_unknown_manifest(client):
    name = new_name()
    raw = push_image(client, name, DOCKER_V2)
    assert client.put_manifest(name, "latest", raw, DOCKER_V2).status_code == 201
    assert_error(client.get_manifest(name, ".INVALID_MANIFEST_NAME"), 404, "MANIFEST_UNKNOWN")
    head = client.request("HEAD", f"/v2/{name}/manifests/.INVALID_MANIFEST_NAME")
    assert head.status_code == 404


# --- the REST API -------------------------------------------------------------------------


def test_pushed_repositories_are_listed_with_their_distribution(client, api):
    name = new_name()
    raw = push_image(client, name, OCI_MANIFEST)
    assert client.put_manifest(name, "latest", raw, OCI_MANIFEST).status_code == 201
    repository = push_repository(api, name)
    assert repository["latest_version_href"].endswith("/versions/1/")
    distribution = api.ok(
        api.get("distributions/container/container/", params={"base_path": name})
    )["results"][0]
    assert distribution["repository"] == repository["pulp_href"]


def test_tag_untag_and_remove_image_on_a_pushed_repository(client, api):
    name = new_name()
    raw = push_image(client, name, DOCKER_V2)
    assert client.put_manifest(name, "latest", raw, DOCKER_V2).status_code == 201
    href = push_repository(api, name)["pulp_href"]

    api.run("POST", f"{href}tag/", {"tag": "stable", "digest": sha256(raw)})
    assert client.tags(name) == ["latest", "stable"]
    assert client.get_manifest(name, "stable").content == raw

    api.run("POST", f"{href}untag/", {"tag": "latest"})
    assert client.tags(name) == ["stable"]

    # A push after the tasks still lands on top of their versions.
    other = push_image(client, name, DOCKER_V2)
    assert client.put_manifest(name, "other", other, DOCKER_V2).status_code == 201
    assert client.tags(name) == ["other", "stable"]

    api.run("POST", f"{href}remove_image/", {"digest": sha256(raw)})
    assert client.tags(name) == ["other"]
    assert_error(client.get_manifest(name, sha256(raw)), 404, "MANIFEST_UNKNOWN")


def test_anonymous_callers_may_not_push_or_delete(pulp_server, client):
    name = new_name()
    raw = push_image(client, name, DOCKER_V2)
    assert client.put_manifest(name, "latest", raw, DOCKER_V2).status_code == 201
    anonymous = Client(pulp_server.registry_host, TokenAuth())
    assert_error(anonymous.put_manifest(name, "other", raw, DOCKER_V2), 401, "UNAUTHORIZED")
    response = anonymous.request("DELETE", f"/v2/{name}/manifests/latest")
    assert_error(response, 401, "UNAUTHORIZED")
    assert client.tags(name) == ["latest"]
