"""Range requests on blobs, on every path a blob is served by: stored (immediate), fetched on
demand, pulled through before it is stored (cold) and after, and the empty layer answered
from memory. The same Range gets the same answer on each: 206 with the span, 416 with
``Content-Range: bytes */<size>`` and RANGE_INVALID, or the whole blob for a Range that is
malformed or asks for several ranges, and for HEAD."""

import time
import uuid

import pytest

from tests.functional.api.test_pull import serve
from tests.functional.api.test_pull_through import pull_through, sha256
from tests.functional.api.test_pull_through_faults import artifact_count, read_all
from tests.functional.registry_client import RegistryClient
from tests.functional.upstream import EMPTY_LAYER, EMPTY_LAYER_BYTES, MIB, push_docker_image

LAYER_SIZE = 256 * 1024


# (Range, status, the first and last byte sent of a blob of `size` bytes); each case gets a
# layer of its own, so that each meets the blob on its path as it was before anything fetched it.
CASES = [
    ("bytes=10-19", 206, lambda size: (10, 19)),
    ("bytes=-5", 206, lambda size: (size - 5, size - 1)),
    ("bytes=0-", 206, lambda size: (0, size - 1)),
    ("bytes=20-999999999", 206, lambda size: (20, size - 1)),
    ("bytes=-0", 416, None),
    ("bytes=999999999-", 416, None),
    ("bytes=0-1,5-6", 200, None),  # several ranges: RFC 9110 lets the whole blob answer
    ("bytes=oops", 200, None),  # malformed: ignored
    ("bytes=5-2", 200, None),  # last before first: invalid, ignored
]
CASE_IDS = [header for header, _, _ in CASES]
KINDS = ["immediate", "on_demand", "pull-through cold", "pull-through stored", "empty layer"]


class Blobs:
    """The blobs of `name` on the registry at `host`, asked for with or without a Range."""

    def __init__(self, host, name):
        self.registry = RegistryClient(host)
        self.name = name

    def get(self, digest, range_header=None, method="GET", **kwargs):
        headers = {"Range": range_header} if range_header is not None else {}
        return self.registry.blob(self.name, digest, method=method, headers=headers, **kwargs)


def upstream_bytes(upstream_registry, repository, digest):
    response = upstream_registry.client().blob(repository, digest)
    assert response.status_code == 200
    return response.content


def wait_until_stored(api, digest, timeout=60):
    deadline = time.monotonic() + timeout
    while artifact_count(api, digest) == 0:
        assert time.monotonic() < deadline, f"{digest} never stored"
        time.sleep(0.3)
    return api.ok(api.get("artifacts/", params={"sha256": digest.split(":")[1]}))["results"][0]


@pytest.fixture(scope="module")
def pushed(upstream_registry):
    """Per kind: the upstream repository and an image with a layer for each case."""
    client = upstream_registry.client()
    images = {}
    for kind in KINDS[:-1]:
        repository = f"ranges/{uuid.uuid4().hex[:8]}"
        image = push_docker_image(
            client, repository, ["latest"], layers=len(CASES) + 1, layer_size=LAYER_SIZE
        )
        images[kind] = (repository, image)
    return images


@pytest.fixture(scope="module")
def served(api, pulp_server, upstream_registry, pushed):
    """Per kind: a client for the name serving it, and the blobs to ask for: (digest, bytes)."""
    host = pulp_server.registry_host
    cache = pull_through(api, upstream_registry.url)
    names = {}
    for kind in ("immediate", "on_demand"):
        repository, _ = pushed[kind]
        names[kind] = serve(api, upstream_registry, repository, kind)[2]["base_path"]
    for kind in ("pull-through cold", "pull-through stored"):
        names[kind] = f"{cache['base_path']}/{pushed[kind][0]}"
    clients, blobs = {}, {}
    for kind, name in names.items():
        repository, image = pushed[kind]
        clients[kind] = Blobs(host, name)
        blobs[kind] = [
            (layer.digest, upstream_bytes(upstream_registry, repository, layer.digest))
            for layer in image.layers
        ]
    # Stored through the cache before the cases ask for them.
    for digest, data in blobs["pull-through stored"]:
        got = clients["pull-through stored"].get(digest)
        assert got.status_code == 200 and got.content == data
    for digest, _ in blobs["pull-through stored"]:
        wait_until_stored(api, digest)
    clients["empty layer"] = clients["immediate"]
    blobs["empty layer"] = [(EMPTY_LAYER.digest, EMPTY_LAYER_BYTES)] * (len(CASES) + 1)
    return clients, blobs


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", range(len(CASES)), ids=CASE_IDS)
def test_range(served, kind, case):
    clients, blobs = served
    header, status, span = CASES[case]
    digest, data = blobs[kind][case]
    response = clients[kind].get(digest, header)
    assert response.status_code == status, response.text
    if status == 416:
        assert response.headers["Content-Range"] == f"bytes */{len(data)}"
        assert response.headers["Content-Type"] == "application/json"
        assert response.json()["errors"][0]["code"] == "RANGE_INVALID"
        return
    assert response.headers["Docker-Content-Digest"] == digest
    if status == 206:
        first, last = span(len(data))
        assert response.content == data[first : last + 1]
        assert response.headers["Content-Length"] == str(last + 1 - first)
        assert response.headers["Content-Range"] == f"bytes {first}-{last}/{len(data)}"
    else:
        assert sha256(response.content) == digest
        assert response.headers["Content-Length"] == str(len(data))
        assert "Content-Range" not in response.headers


@pytest.mark.parametrize("kind", KINDS)
def test_head_ignores_range(served, kind):
    clients, blobs = served
    digest, data = blobs[kind][-1]
    for header in ("bytes=10-19", "bytes=-0", "bytes=999999999-"):
        response = clients[kind].get(digest, header, method="HEAD")
        assert response.status_code == 200
        assert response.headers["Content-Length"] == str(len(data))
        assert "Content-Range" not in response.headers


def test_a_cold_pull_through_range_is_served_and_the_blob_stored_whole(
    api, pulp_server, upstream_registry
):
    repository = f"ranges/{uuid.uuid4().hex[:8]}"
    image = push_docker_image(upstream_registry.client(), repository, ["latest"], layer_size=MIB)
    layer = image.layers[0]
    data = upstream_bytes(upstream_registry, repository, layer.digest)
    cache = pull_through(api, upstream_registry.url)
    blobs = Blobs(pulp_server.registry_host, f"{cache['base_path']}/{repository}")
    before = upstream_registry.request_count(f"/blobs/{layer.digest}", method="GET")

    part = blobs.get(layer.digest, "bytes=100000-299999")
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 100000-299999/{layer.size}"
    assert part.headers["Content-Length"] == "200000"
    assert part.content == data[100000:300000]

    artifact = wait_until_stored(api, layer.digest)
    assert artifact["size"] == layer.size
    assert "sha256:" + artifact["sha256"] == layer.digest
    again = blobs.get(layer.digest)
    assert again.status_code == 200 and sha256(again.content) == layer.digest
    tail = blobs.get(layer.digest, "bytes=-10")
    assert (tail.status_code, tail.content) == (206, data[-10:])
    assert upstream_registry.request_count(f"/blobs/{layer.digest}", method="GET") == before + 1


def test_a_range_of_wrong_upstream_bytes_never_completes(
    api, pulp_server, upstream_registry_factory
):
    upstream = upstream_registry_factory()
    image = push_docker_image(upstream.client(), "lib/bad-range", ["latest"], layer_size=2 * MIB)
    layer = image.layers[0]
    upstream.corrupt_blob(layer.digest)
    cache = pull_through(api, upstream.url)
    blobs = Blobs(pulp_server.registry_host, f"{cache['base_path']}/lib/bad-range")
    for header, length in (("bytes=0-99", 100), ("bytes=0-1048575", MIB)):
        response = blobs.get(layer.digest, header, stream=True)
        if response.status_code == 206:
            body = read_all(response)
            assert body is None or len(body) < length
        else:  # the fetch already failed: an error, never the bytes
            assert response.status_code >= 500
    assert artifact_count(api, layer.digest) == 0
