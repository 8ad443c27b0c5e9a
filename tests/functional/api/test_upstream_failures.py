"""An upstream that fails mid-blob or stops answering, seen by a client of an on_demand,
streamed or pull-through distribution: a broken connection or a quick 504, never a whole-looking
response with wrong bytes, nothing stored, and one upstream GET per client GET.

The upstream is a ScriptedRegistry. The session's server waits UPSTREAM_READ_TIMEOUT seconds
(conftest.py) for an upstream that went silent.
"""

import hashlib
import json
import os
import time
from dataclasses import dataclass

import pytest
import requests

from tests.functional.api.test_pull import new_name, serve
from tests.functional.api.test_pull_through import pull_through
from tests.functional.conftest import UPSTREAM_READ_TIMEOUT
from tests.functional.registry_client import RegistryClient, error_code
from tests.functional.upstream.scripted import Answer, ScriptedRegistry

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
LAYER_SIZE = 1024 * 1024
CONFIG = b'{"architecture": "amd64", "os": "linux"}'
CONFIG_DIGEST = "sha256:" + hashlib.sha256(CONFIG).hexdigest()
HALF = LAYER_SIZE // 2
# What a client of a dead upstream may wait for an answer, at most: the read timeout, and time
# for a loaded machine.
ANSWER_WITHIN = UPSTREAM_READ_TIMEOUT + 12


@dataclass
class Layer:
    data: bytes

    @property
    def digest(self):
        return "sha256:" + hashlib.sha256(self.data).hexdigest()


def _script_image(upstream, name):
    """`name:latest` on `upstream`: a manifest, its config and one 1 MiB layer of bytes no
    other test uses; returns the layer."""
    layer = Layer(os.urandom(LAYER_SIZE))
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": CONFIG_DIGEST,
            "size": len(CONFIG),
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": layer.digest,
                "size": LAYER_SIZE,
            }
        ],
    }
    upstream.manifest(name, "latest", json.dumps(manifest).encode(), OCI_MANIFEST)
    upstream.answers[_blob_path(name, CONFIG_DIGEST)] = Answer(body=CONFIG)
    upstream.answers[_blob_path(name, layer.digest)] = Answer(body=layer.data)
    return layer


def _blob_path(name, digest):
    return f"/v2/{name}/blobs/{digest}"


def _layer_answer(upstream, name, layer):
    return upstream.answers[_blob_path(name, layer.digest)]


def _artifacts(api, digest):
    return api.ok(api.get("artifacts/", params={"sha256": digest.split(":")[1]}))["count"]


def _fetch(registry, name, digest, **headers):
    """(status, body) of a blob GET; body None when the connection broke before the end."""
    response = registry.blob(name, digest, stream=True, headers=headers)
    try:
        return response.status_code, response.content
    except requests.exceptions.RequestException:
        return response.status_code, None


@pytest.fixture
def upstream():
    with ScriptedRegistry() as scripted:
        yield scripted


def _served(api, upstream, policy):
    """An image synced with `policy` from `upstream` and distributed: (upstream name,
    distribution base path, layer)."""
    name = new_name("failing/")
    layer = _script_image(upstream, name)
    _, _, distribution = serve(api, upstream, name, policy)
    return name, distribution["base_path"], layer


@pytest.mark.parametrize("policy", ["on_demand", "streamed"])
def test_a_blob_cut_upstream_breaks_the_client_connection_and_is_not_stored(
    api, pulp_server, upstream, policy
):
    """The bug: pulpcore's retry started again from byte 0 inside the response, so the client
    got the first half twice under a 200 with the right Content-Length and digest header."""
    name, base_path, layer = _served(api, upstream, policy)
    _layer_answer(upstream, name, layer).truncate_after = HALF
    registry = RegistryClient(pulp_server.registry_host)
    before = upstream.count("GET", _blob_path(name, layer.digest))

    status, body = _fetch(registry, base_path, layer.digest)

    assert status == 200
    assert body is None  # a broken connection, not a whole-looking body
    assert upstream.count("GET", _blob_path(name, layer.digest)) - before == 1
    assert _artifacts(api, layer.digest) == 0


def test_a_range_past_the_cut_breaks_the_connection_and_one_before_it_is_right_or_broken(
    api, pulp_server, upstream
):
    name, base_path, layer = _served(api, upstream, "on_demand")
    _layer_answer(upstream, name, layer).truncate_after = HALF
    registry = RegistryClient(pulp_server.registry_host)

    status, body = _fetch(registry, base_path, layer.digest, Range=f"bytes={HALF + 10}-")
    assert status == 206
    assert body is None

    status, body = _fetch(registry, base_path, layer.digest, Range="bytes=100-199")
    assert status == 206
    assert body is None or body == layer.data[100:200]
    assert _artifacts(api, layer.digest) == 0


def test_the_blob_is_served_and_stored_once_upstream_sends_it_whole(api, pulp_server, upstream):
    """A cut fetch leaves nothing behind that stops the next one."""
    name, base_path, layer = _served(api, upstream, "on_demand")
    answer = _layer_answer(upstream, name, layer)
    answer.truncate_after = HALF
    registry = RegistryClient(pulp_server.registry_host)
    assert _fetch(registry, base_path, layer.digest) == (200, None)

    answer.truncate_after = None
    assert _fetch(registry, base_path, layer.digest) == (200, layer.data)
    assert _artifacts(api, layer.digest) == 1


def test_an_on_demand_blob_whose_upstream_stalls_midway_breaks_the_connection(
    api, pulp_server, upstream
):
    name, base_path, layer = _served(api, upstream, "on_demand")
    _layer_answer(upstream, name, layer).stall_after = HALF
    registry = RegistryClient(pulp_server.registry_host)
    before = upstream.count("GET", _blob_path(name, layer.digest))

    started = time.monotonic()
    status, body = _fetch(registry, base_path, layer.digest)

    assert time.monotonic() - started < ANSWER_WITHIN
    assert (status, body) == (200, None)
    assert upstream.count("GET", _blob_path(name, layer.digest)) - before == 1
    assert _artifacts(api, layer.digest) == 0


def test_an_on_demand_blob_of_a_dead_upstream_is_a_quick_504(api, pulp_server, upstream):
    name, base_path, layer = _served(api, upstream, "on_demand")
    _layer_answer(upstream, name, layer).hang = True
    registry = RegistryClient(pulp_server.registry_host)
    before = upstream.count("GET", _blob_path(name, layer.digest))

    started = time.monotonic()
    answer = registry.blob(base_path, layer.digest)

    assert time.monotonic() - started < ANSWER_WITHIN
    assert answer.status_code == 504, answer.text
    assert error_code(answer) == "UPSTREAM_TIMEOUT"
    assert upstream.count("GET", _blob_path(name, layer.digest)) - before == 1
    assert _artifacts(api, layer.digest) == 0


def test_a_pull_through_manifest_of_a_dead_upstream_is_a_quick_504(api, pulp_server, upstream):
    """The remote sets no timeouts: the defaults (CONTAINER_UPSTREAM_READ_TIMEOUT) apply."""
    name = new_name("dead/")
    _script_image(upstream, name)
    upstream.answers[f"/v2/{name}/manifests/latest"].hang = True
    distribution = pull_through(api, upstream.url)

    started = time.monotonic()
    answer = RegistryClient(pulp_server.registry_host).manifest(
        f"{distribution['base_path']}/{name}", "latest"
    )

    assert time.monotonic() - started < ANSWER_WITHIN
    assert answer.status_code == 504, answer.text
    assert error_code(answer) == "UPSTREAM_TIMEOUT"
    assert upstream.url in answer.json()["errors"][0]["message"]


def test_a_pull_through_blob_of_a_dead_upstream_is_a_quick_504(api, pulp_server, upstream):
    name = new_name("dead/")
    layer = _script_image(upstream, name)
    _layer_answer(upstream, name, layer).hang = True
    distribution = pull_through(api, upstream.url)

    started = time.monotonic()
    answer = RegistryClient(pulp_server.registry_host).blob(
        f"{distribution['base_path']}/{name}", layer.digest
    )

    assert time.monotonic() - started < ANSWER_WITHIN
    assert answer.status_code == 504, answer.text
    assert error_code(answer) == "UPSTREAM_TIMEOUT"
    assert _artifacts(api, layer.digest) == 0
