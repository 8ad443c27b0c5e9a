"""The registry API over raw HTTP: statuses, error codes, headers, negotiation, pagination,
Range and HEAD, access to public and private distributions, and concurrent first pulls."""

import base64
import concurrent.futures
import hashlib
import http.client
import http.server
import json
import socket
import ssl
import threading
import time
import uuid
from urllib.parse import urlsplit

import pytest
import requests

from tests.functional.api.test_pull import new_name, serve, sha256
from tests.functional.conftest import CONTENT_WORKERS
from tests.functional.pulp import PulpAPI
from tests.functional.registry_client import RegistryClient
from tests.functional.upstream import (
    MIB,
    push_docker_image,
    push_oci_image,
    push_oci_index,
    push_tagged_images,
)

API_VERSION = ("Docker-Distribution-API-Version", "registry/2.0")
SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+prettyjws"
DOCKER_V2 = "application/vnd.docker.distribution.manifest.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
ANONYMOUS = ("", "")
UNKNOWN_DIGEST = "sha256:" + "0" * 64


class Registry(RegistryClient):
    """Requests sent as they are, with the `auth` each one names (none by default); every
    response must carry the API version."""

    def request(self, method, path, *, auth=None, **kwargs):
        response = super().request(method, path, auth=auth, **kwargs)
        assert response.headers.get(API_VERSION[0]) == API_VERSION[1], (method, path)
        return response


def assert_error(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    errors = response.json()["errors"]
    assert errors[0]["code"] == code, errors
    return errors[0]


# These tests show the registry with HTTP Basic access (TOKEN_AUTH_DISABLED = True); the token
# flow is in test_token_auth.py, and real clients pull with tokens in test_pull.py.
@pytest.fixture(scope="module")
def pulp_server(pulp_server_basic):
    return pulp_server_basic


@pytest.fixture(scope="module")
def api(pulp_server_basic):
    return PulpAPI(pulp_server_basic.api_url, auth=("admin", pulp_server_basic.admin_password))


@pytest.fixture(scope="module")
def registry(pulp_server):
    return Registry(pulp_server.registry_host)


@pytest.fixture(scope="module")
def content(api, upstream_registry):
    """An immediate repository with a Docker image, an OCI image, an OCI index and five more
    tags; an on_demand one with a 6 MiB layer; a private distribution of the first."""
    client = upstream_registry.client()
    name = f"api/{uuid.uuid4().hex[:8]}"
    images = {
        "docker": push_docker_image(client, name, ["docker"], layer_size=64 * 1024),
        "oci": push_oci_image(client, name, ["oci"], layer_size=64 * 1024),
        "index": push_oci_index(client, name, ["index"], layer_size=32 * 1024),
    }
    push_tagged_images(client, name, ("t1", "t2", "t3", "t4", "t5"))
    _, _, immediate = serve(api, upstream_registry, name, "immediate", f"{name}/immediate")
    deferred_name = f"{name}-big"
    big = push_docker_image(
        client, deferred_name, ["big"], layers=2, layer_size=6 * MIB, files_per_layer=1
    )
    _, _, on_demand = serve(api, upstream_registry, deferred_name, "on_demand", f"{name}/on-demand")
    repository = api.ok(api.get(immediate["repository"]))
    private = api.create_distribution(
        new_name("private-"), f"{name}/private", repository=repository["pulp_href"], private=True
    )
    return {
        "name": name,
        "images": images,
        "big": big,
        "immediate": immediate["base_path"],
        "on_demand": on_demand["base_path"],
        "private": private,
    }


# --- /v2/ and authentication -----------------------------------------------------------------


def test_version_check(registry, pulp_server):
    anonymous = registry.get("/v2/")
    assert_error(anonymous, 401, "UNAUTHORIZED")
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic realm=")
    admin = registry.get("/v2/", auth=("admin", pulp_server.admin_password))
    assert (admin.status_code, admin.json()) == (200, {})
    assert registry.get("/v2/", auth=ANONYMOUS).status_code == 200
    wrong = registry.get("/v2/", auth=("admin", "wrong"))
    assert_error(wrong, 401, "UNAUTHORIZED")
    assert "WWW-Authenticate" in wrong.headers


def test_wrong_password_is_refused_even_after_a_good_one(registry, pulp_server, content):
    path = f"/v2/{content['immediate']}/manifests/docker"
    assert registry.get(path, auth=("admin", pulp_server.admin_password)).status_code == 200
    assert_error(registry.get(path, auth=("admin", "wrong")), 401, "UNAUTHORIZED")
    assert_error(registry.get(path, headers={"Authorization": "Basic !!"}), 401, "UNAUTHORIZED")


def test_basic_checks_are_cached(registry, pulp_server, content, user_factory):
    """A password check costs ~0.2-0.4 s of CPU; a pull of many blobs must not pay it each time.

    Each content app process logs a full check; eleven GETs with the same credentials make at
    most one per process (they are remembered for a minute).
    """
    username, password = user_factory.create("cached")["auth"]
    path = f"/v2/{content['immediate']}/manifests/docker"
    client = RegistryClient(registry.origin)
    for _ in range(11):
        assert client.get(path, auth=(username, password)).status_code == 200
    full_checks = pulp_server.log("content").count(f"credentials of user {username!r} checked")
    assert 1 <= full_checks <= CONTENT_WORKERS, full_checks


def test_anonymous_pull_of_a_public_distribution(registry, content):
    """docker sends no Authorization header at all; podman sends empty Basic credentials."""
    path = f"/v2/{content['immediate']}/manifests/docker"
    for auth in (None, ANONYMOUS):
        response = registry.get(path, auth=auth, headers={"Accept": DOCKER_V2})
        assert response.status_code == 200
        assert response.content == content["images"]["docker"].manifest


# --- private distributions -------------------------------------------------------------------


def test_private_distribution_access(registry, pulp_server, content, users, user_factory):
    private = content["private"]
    path = f"/v2/{private['base_path']}/manifests/docker"
    for auth in (None, ANONYMOUS):
        refused = registry.get(path, auth=auth)
        assert_error(refused, 401, "UNAUTHORIZED")
        assert refused.headers["WWW-Authenticate"].startswith("Basic ")
    assert_error(registry.get(path, auth=users["stranger"]["auth"]), 403, "DENIED")
    assert registry.get(path, auth=("admin", pulp_server.admin_password)).status_code == 200

    user_factory.grant(users["puller"], "container.containerdistribution_consumer", private)
    digest = content["images"]["docker"].digest
    for sub_path in ("manifests/docker", f"manifests/{digest}", "tags/list"):
        granted = registry.get(f"/v2/{private['base_path']}/{sub_path}",
                               auth=users["puller"]["auth"])  # fmt: skip
        assert granted.status_code == 200, sub_path
    blob = content["images"]["docker"].layers[0].digest
    assert_error(
        registry.get(f"/v2/{private['base_path']}/blobs/{blob}", auth=users["stranger"]["auth"]),
        403,
        "DENIED",
    )


def test_catalog_lists_what_the_caller_may_pull(registry, pulp_server, content, users):
    def names(auth):
        return set(registry.get("/v2/_catalog?n=10000", auth=auth).json()["repositories"])

    private = content["private"]["base_path"]
    assert content["immediate"] in names(None)
    assert private not in names(None)
    assert private not in names(users["stranger"]["auth"])
    assert private in names(("admin", pulp_server.admin_password))


# --- catalog and tags pagination -------------------------------------------------------------


def follow_pages(registry, path, key, auth=None):
    """Every entry, following Link headers; also the page sizes seen."""
    entries, sizes, url = [], [], path
    while url:
        response = registry.get(url, auth=auth)
        assert response.status_code == 200
        page = response.json()[key]
        entries += page
        sizes.append(len(page))
        link = response.headers.get("Link")
        url = link[1 : link.index(">")] if link else None
        if link:
            assert link.endswith('>; rel="next"')
    return entries, sizes


def test_catalog_pagination(registry, pulp_server, content):
    admin = ("admin", pulp_server.admin_password)
    everything = registry.get("/v2/_catalog", auth=admin).json()["repositories"]
    assert everything == sorted(everything)
    assert {content["immediate"], content["on_demand"], content["private"]["base_path"]} <= set(
        everything
    )
    paged, sizes = follow_pages(registry, "/v2/_catalog?n=2", "repositories", auth=admin)
    assert paged == everything
    assert max(sizes) == 2


def test_tags_pagination(registry, content):
    path = f"/v2/{content['immediate']}/tags/list"
    listed = registry.get(path).json()
    assert listed["name"] == content["immediate"]
    expected = sorted(["docker", "oci", "index", "t1", "t2", "t3", "t4", "t5"])
    assert listed["tags"] == expected
    paged, sizes = follow_pages(registry, path + "?n=3", "tags")
    assert (paged, sizes) == (expected, [3, 3, 2])
    after = registry.get(path + "?n=2&last=t2").json()["tags"]
    assert after == ["t3", "t4"]
    assert registry.get(path + "?n=0").json()["tags"] == []
    assert_error(registry.get(path + "?n=-1"), 400, "PAGINATION_NUMBER_INVALID")


# --- manifests -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["docker", "oci", "index"])
def test_manifest_get_and_head(registry, content, kind):
    image = content["images"][kind]
    for reference in (kind, image.digest):
        path = f"/v2/{content['immediate']}/manifests/{reference}"
        got = registry.get(path)
        assert got.status_code == 200
        assert got.content == image.manifest
        assert got.headers["Content-Type"] == image.media_type
        assert got.headers["Docker-Content-Digest"] == image.digest
        assert got.headers["Content-Length"] == str(len(image.manifest))
        assert got.headers["ETag"] == f'"{image.digest}"'
        head = registry.head(path)
        assert head.status_code == 200 and head.content == b""
        for header in ("Content-Type", "Docker-Content-Digest", "Content-Length", "ETag"):
            assert head.headers[header] == got.headers[header]
        cached = registry.get(path, headers={"If-None-Match": got.headers["ETag"]})
        assert cached.status_code == 304


@pytest.mark.parametrize(
    "accept, status",
    [
        (None, 200),
        (DOCKER_V2, 200),
        (f"{OCI_MANIFEST}, {DOCKER_V2};q=0.5", 200),
        ("application/*", 200),
        ("*/*", 200),
        (SCHEMA1, 404),
        (f"{SCHEMA1}, {OCI_MANIFEST}, {OCI_INDEX}", 404),
        (f"{DOCKER_V2};q=0, */*", 404),
        ("text/html", 404),
    ],
)
def test_content_negotiation_by_tag(registry, content, accept, status):
    headers = {"Accept": accept} if accept else {}
    response = registry.get(f"/v2/{content['immediate']}/manifests/docker", headers=headers)
    if status == 200:
        assert response.status_code == 200
        assert response.content == content["images"]["docker"].manifest
    else:
        error = assert_error(response, 404, "MANIFEST_UNKNOWN")
        assert DOCKER_V2 in error["message"]


def test_by_digest_is_served_whatever_accept_says(registry, content):
    image = content["images"]["docker"]
    path = f"/v2/{content['immediate']}/manifests/{image.digest}"
    response = registry.get(path, headers={"Accept": SCHEMA1})
    assert response.status_code == 200
    assert response.content == image.manifest


# --- blobs -----------------------------------------------------------------------------------


def test_blob_get_head_and_ranges(registry, content):
    layer = content["images"]["oci"].layers[0]
    path = f"/v2/{content['immediate']}/blobs/{layer.digest}"
    got = registry.get(path)
    assert got.status_code == 200 and sha256(got.content) == layer.digest
    assert got.headers["Docker-Content-Digest"] == layer.digest
    assert got.headers["Content-Length"] == str(layer.size)
    assert got.headers["Accept-Ranges"] == "bytes"
    head = registry.head(path)
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["Content-Length"] == str(layer.size)
    assert head.headers["Docker-Content-Digest"] == layer.digest

    part = registry.get(path, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == got.content[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{layer.size}"
    tail = registry.get(path, headers={"Range": "bytes=-5"})
    assert (tail.status_code, tail.content) == (206, got.content[-5:])
    beyond = registry.get(path, headers={"Range": f"bytes={layer.size + 10}-"})
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == f"bytes */{layer.size}"


def test_on_demand_blob_head_and_range(registry, content):
    layer = content["big"].layers[1]
    path = f"/v2/{content['on_demand']}/blobs/{layer.digest}"
    head = registry.head(path)
    assert head.status_code == 200
    assert head.headers["Content-Length"] == str(layer.size)
    part = registry.get(path, headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert len(part.content) == 1000
    assert part.headers["Content-Range"] == f"bytes 100-1099/{layer.size}"


def test_streamed_blob_answers_with_our_headers_only(api, registry, upstream_registry, content):
    """pulpcore copies the upstream's response headers; only those describing the bytes stay."""
    name = f"{content['name']}-headers"
    image = push_docker_image(upstream_registry.client(), name, ["h"], layer_size=64 * 1024)
    _, _, on_demand = serve(api, upstream_registry, name, "on_demand", f"{name}/on-demand")
    layer = image.layers[0]
    upstream = upstream_registry.client().blob(name, layer.digest).headers
    streamed = registry.get(f"/v2/{on_demand['base_path']}/blobs/{layer.digest}")
    assert streamed.status_code == 200
    assert sha256(streamed.content) == layer.digest
    stored = registry.get(f"/v2/{on_demand['base_path']}/blobs/{layer.digest}")
    assert stored.status_code == 200
    ours = {"content-length", "date", "server", "connection", "keep-alive"} | {
        name.lower() for name in stored.headers
    }
    assert {name.lower() for name in streamed.headers} <= ours
    assert streamed.headers["Server"] == stored.headers["Server"]
    assert streamed.headers["Content-Type"] == "application/octet-stream"
    copied = {name.lower() for name in upstream} - ours
    assert copied, "the upstream answers with headers of its own (the test's premise)"


def test_on_demand_blob_streams_before_it_is_fetched_whole(registry, content):
    """The first bytes reach the client while the rest is still coming from upstream."""
    config = content["big"].config
    path = f"/v2/{content['on_demand']}/blobs/{config.digest}"
    response = registry.get(path, stream=True)
    assert response.status_code == 200
    body = b"".join(response.iter_content(64 * 1024))
    assert sha256(body) == config.digest


def test_twenty_concurrent_first_pulls_store_the_blob_once(
    api, registry, pulp_server, content, upstream_registry
):
    layer = content["big"].layers[0]
    path = f"/v2/{content['on_demand']}/blobs/{layer.digest}"
    before = upstream_registry.request_count(f"/blobs/{layer.digest}", "GET")
    barrier = threading.Barrier(20)

    def pull(_):
        barrier.wait()
        started = time.monotonic()
        response = registry.get(path, stream=True)
        first = None
        digest = hashlib.sha256()
        for chunk in response.iter_content(256 * 1024):
            first = first or time.monotonic() - started
            digest.update(chunk)
        return response.status_code, "sha256:" + digest.hexdigest(), first

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        results = list(pool.map(pull, range(20)))
    assert [(status, digest) for status, digest, _ in results] == [(200, layer.digest)] * 20

    hexdigest = layer.digest.split(":", 1)[1]
    artifacts = api.ok(api.get("artifacts/", params={"sha256": hexdigest}))
    assert artifacts["count"] == 1
    stored = list((pulp_server.data_dir / "media").rglob(f"*{hexdigest[2:]}*"))
    assert len(stored) == 1, stored
    blob = api.ok(api.get("content/container/blobs/", params={"digest": layer.digest}))
    assert blob["results"][0]["artifact"] == artifacts["results"][0]["pulp_href"]
    # Nothing of the fetch is left in the working directory (the upload sessions other tests'
    # pushes left open are theirs, kept until they expire: docs/push.md).
    leftovers = [
        p
        for p in (pulp_server.data_dir / "tmp").rglob("*")
        if p.is_file() and "container-uploads" not in p.parts
    ]
    assert leftovers == []
    fetched = upstream_registry.request_count(f"/blobs/{layer.digest}", "GET") - before
    assert 1 <= fetched <= 20
    # Once stored, it is served from storage: no further upstream fetch.
    assert sha256(registry.get(path).content) == layer.digest
    assert upstream_registry.request_count(f"/blobs/{layer.digest}", "GET") - before == fetched


# --- errors ----------------------------------------------------------------------------------


def test_error_codes(registry, content):
    name = content["immediate"]
    cases = [
        ("GET", "/v2/no/such/name/tags/list", 404, "NAME_UNKNOWN"),
        ("GET", "/v2/no/such/name/manifests/latest", 404, "NAME_UNKNOWN"),
        ("GET", f"/v2/{name}/manifests/nosuchtag", 404, "MANIFEST_UNKNOWN"),
        ("GET", f"/v2/{name}/manifests/{UNKNOWN_DIGEST}", 404, "MANIFEST_UNKNOWN"),
        ("GET", f"/v2/{name}/blobs/{UNKNOWN_DIGEST}", 404, "BLOB_UNKNOWN"),
        ("HEAD", f"/v2/{name}/blobs/{UNKNOWN_DIGEST}", 404, None),
        ("GET", "/v2/Upper/Case/tags/list", 400, "NAME_INVALID"),
        ("GET", "/v2/a//b/manifests/latest", 400, "NAME_INVALID"),
        ("GET", f"/v2/{name}/blobs/sha256:xyz", 400, "DIGEST_INVALID"),
        ("GET", f"/v2/{name}/blobs/notadigest", 400, "DIGEST_INVALID"),
        ("GET", f"/v2/{name}/blobs/md5:{'0' * 32}", 400, "DIGEST_INVALID"),
        ("GET", f"/v2/{name}/manifests/sha256:{'A' * 64}", 400, "DIGEST_INVALID"),
        ("GET", f"/v2/{name}/manifests/-bad-tag", 404, "MANIFEST_UNKNOWN"),
        ("PUT", f"/v2/{name}/manifests/latest", 401, "UNAUTHORIZED"),
        ("DELETE", f"/v2/{name}/blobs/{UNKNOWN_DIGEST}", 401, "UNAUTHORIZED"),
        ("POST", f"/v2/{name}/blobs/uploads/", 401, "UNAUTHORIZED"),
    ]
    for method, path, status, code in cases:
        response = registry.request(method, path)
        if code is None:
            assert response.status_code == status, (method, path)
        else:
            assert_error(response, status, code)


def _raw_get(host, path, headers=None):
    """A GET sent as written: requests would remove '..' segments before sending."""
    connection = http.client.HTTPConnection(host, timeout=60)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    "path, status, code",
    [
        ("/v2/../../etc/passwd", 404, "NAME_UNKNOWN"),
        ("/v2/a/b", 404, "NAME_UNKNOWN"),
        ("/v2/foo/../bar/manifests/latest", 400, "NAME_INVALID"),
        ("/v2/foo%0d%0a/manifests/latest", 400, "NAME_INVALID"),
        ("/v2/foo%0a/blobs/" + UNKNOWN_DIGEST, 400, "NAME_INVALID"),
        ("/v2/_catalog?last=a%00b", 400, "NAME_INVALID"),
        ("/v2/no/such/name/tags/list?last=a%00b", 400, "TAG_INVALID"),
    ],
)
def test_odd_paths_and_nul_bytes_get_the_error_envelope(pulp_server, path, status, code):
    answered, headers, body = _raw_get(pulp_server.registry_host, path)
    assert answered == status, body
    assert headers["Content-Type"] == "application/json"
    assert headers[API_VERSION[0]] == API_VERSION[1]
    assert json.loads(body)["errors"][0]["code"] == code


def test_a_nul_byte_in_basic_credentials_is_refused(registry):
    nul_user = "Basic " + base64.b64encode(b"ad\x00min:password").decode()
    assert_error(
        registry.get("/v2/_catalog", headers={"Authorization": nul_user}), 401, "UNAUTHORIZED"
    )


def test_upstream_failures_of_deferred_blobs(api, registry, upstream_registry_factory):
    """Upstream gone: UPSTREAM_ERROR (502), as on every path (docs/pull-through.md); upstream
    rate limiting: TOOMANYREQUESTS (429)."""
    upstream = upstream_registry_factory()
    image = push_docker_image(upstream.client(), "flaky/app", ["v1"], layer_size=4096)
    _, _, distribution = serve(
        api, upstream, "flaky/app", "streamed", remote_fields={"max_retries": 0}
    )
    path = f"/v2/{distribution['base_path']}/blobs/{image.layers[0].digest}"
    port = urlsplit(upstream.url).port
    upstream.stop()
    assert_error(registry.get(path), 502, "UPSTREAM_ERROR")

    class TooMany(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(429)
            self.send_header("Retry-After", "7")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), TooMany)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        limited = registry.get(path)
    finally:
        server.shutdown()
        server.server_close()
    assert_error(limited, 429, "TOOMANYREQUESTS")
    assert limited.headers["Retry-After"] == "7"


# --- transport -------------------------------------------------------------------------------


def test_a_tls_handshake_is_refused_at_once(pulp_server):
    """Clients probe TLS first; the plain-HTTP port must fail the handshake, not hang.

    A server that waits for more bytes would end in the socket's timeout (TimeoutError), not in
    the SSLError of a refused handshake.
    """
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    address = ("127.0.0.1", pulp_server.content_port)
    with socket.create_connection(address, timeout=5) as sock, pytest.raises(ssl.SSLError):
        context.wrap_socket(sock, server_hostname="localhost")


@pytest.mark.parametrize("policy", ["on_demand", "streamed"])
def test_corrupt_upstream_bytes_are_never_served_whole(
    api, registry, upstream_registry_factory, policy
):
    """Upstream serves wrong bytes for a deferred blob: the client gets a cut-off response,
    and on_demand stores nothing."""
    upstream = upstream_registry_factory()
    image = push_docker_image(upstream.client(), "corrupt/app", ["v1"], layer_size=512 * 1024)
    _, _, distribution = serve(api, upstream, "corrupt/app", policy)
    layer = image.layers[0]
    upstream.corrupt_blob(layer.digest)
    path = f"/v2/{distribution['base_path']}/blobs/{layer.digest}"
    response = registry.get(path, stream=True)
    assert response.status_code == 200
    with pytest.raises(requests.exceptions.RequestException):
        b"".join(response.iter_content(64 * 1024))
    hexdigest = layer.digest.split(":", 1)[1]
    assert api.ok(api.get("artifacts/", params={"sha256": hexdigest}))["count"] == 0
    if policy == "streamed":
        return  # fetched on every request: the next one tries upstream again
    # The blob is known; its upstream failed: that is what the next request hears, not 404.
    again = registry.get(path)
    error = assert_error(again, 503, "UNAVAILABLE")
    assert "tried again in" in error["message"]
    assert 0 < int(again.headers["Retry-After"]) <= 300
