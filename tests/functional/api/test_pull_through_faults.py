"""Pull-through when things go wrong: wrong bytes upstream, an upstream killed mid-blob, a
client leaving mid-blob, an upstream that does not answer or rate-limits. Nothing partial or
wrong is ever stored or served as whole."""

import http.server
import socket
import threading
import time

import pytest
import requests

from tests.functional.api.test_pull_through import pull_through, sha256
from tests.functional.registry_client import RegistryClient, error_code
from tests.functional.upstream import MIB, CommandFailed, push_docker_image, skopeo_copy


class ThrottlingProxy:
    """A TCP proxy on 127.0.0.1 in front of an upstream registry; it passes what upstream
    answers on at `rate` bytes a second, or with `hang` answers nothing at all."""

    def __init__(self, target_port, rate=None, hang=False):
        self.target = ("127.0.0.1", target_port)
        self.rate = rate
        self.hang = hang
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            if self.hang:
                continue  # keep it open, never answer
            upstream = socket.create_connection(self.target)
            self.sockets.append(upstream)
            threading.Thread(target=self._pump, args=(client, upstream, None), daemon=True).start()
            threading.Thread(
                target=self._pump, args=(upstream, client, self.rate), daemon=True
            ).start()

    @staticmethod
    def _pump(source, destination, rate):
        try:
            while True:
                data = source.recv(64 * 1024)
                if not data:
                    break
                destination.sendall(data)
                if rate:
                    time.sleep(len(data) / rate)
        except OSError:
            pass
        finally:
            for sock in (source, destination):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.closed = True
        for sock in (self.listener, *self.sockets):
            try:
                sock.close()
            except OSError:
                pass


@pytest.fixture
def proxies():
    made = []

    def make(*args, **kwargs):
        made.append(ThrottlingProxy(*args, **kwargs))
        return made[-1]

    yield make
    for proxy in made:
        proxy.close()


def artifact_count(api, digest):
    return api.ok(api.get("artifacts/", params={"sha256": digest.split(":")[1]}))["count"]


def read_all(response):
    """The body, or None when the connection broke before its end."""
    try:
        return response.content
    except requests.exceptions.RequestException:
        return None


def test_wrong_bytes_upstream_are_never_stored_or_served_whole(
    api, upstream_registry_factory, pulp_server, tmp_path
):
    upstream = upstream_registry_factory()
    image = push_docker_image(upstream.client(), "lib/bad", ["latest"], layer_size=2 * MIB)
    layer = image.layers[0]
    upstream.corrupt_blob(layer.digest)
    distribution = pull_through(api, upstream.url)
    name = f"{distribution['base_path']}/lib/bad"
    host = pulp_server.registry_host

    with pytest.raises(CommandFailed):
        skopeo_copy(f"{host}/{name}:latest", f"dir:{tmp_path / 'copy'}")
    registry = RegistryClient(host)
    for _ in range(2):
        body = read_all(registry.blob(name, layer.digest, stream=True))
        assert body is None or sha256(body) != layer.digest and len(body) < layer.size
    assert artifact_count(api, layer.digest) == 0
    assert upstream.request_count(f"/blobs/{layer.digest}", method="GET") >= 2  # never cached

    other = push_docker_image(upstream.client(), "lib/worse", ["latest"], layer_size=4096)
    upstream.corrupt_blob(other.digest)  # the manifest's bytes, as the registry stores them
    answer = registry.manifest(f"{distribution['base_path']}/lib/worse", "latest")
    assert answer.status_code == 502 and error_code(answer) == "UPSTREAM_ERROR"


def test_an_upstream_killed_mid_blob_fails_that_pull_and_stores_nothing(
    api, upstream_registry_factory, proxies, pulp_server
):
    upstream = upstream_registry_factory()
    image = push_docker_image(
        upstream.client(), "lib/big", ["latest"], layer_size=32 * MIB, files_per_layer=1
    )
    layer = image.layers[0]
    proxy = proxies(upstream.port, rate=8 * MIB)
    distribution = pull_through(api, proxy.url)
    name = f"{distribution['base_path']}/lib/big"
    registry = RegistryClient(pulp_server.registry_host)
    assert registry.manifest(name, "latest").status_code == 200

    response = registry.blob(name, layer.digest, stream=True)
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == layer.size  # headers before the body
    time.sleep(1)
    upstream.stop()
    body = read_all(response)
    assert body is None or len(body) < layer.size
    assert artifact_count(api, layer.digest) == 0

    upstream.start()
    again = registry.blob(name, layer.digest)
    assert sha256(again.content) == layer.digest
    deadline = time.monotonic() + 10
    while artifact_count(api, layer.digest) == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert artifact_count(api, layer.digest) == 1


def test_a_client_leaving_mid_blob_does_not_stop_the_others(
    api, upstream_registry_factory, proxies, pulp_server
):
    upstream = upstream_registry_factory()
    image = push_docker_image(
        upstream.client(), "lib/shared", ["latest"], layer_size=16 * MIB, files_per_layer=1
    )
    layer = image.layers[0]
    proxy = proxies(upstream.port, rate=8 * MIB)
    distribution = pull_through(api, proxy.url)
    name = f"{distribution['base_path']}/lib/shared"
    host = pulp_server.registry_host
    assert RegistryClient(host).manifest(name, "latest").status_code == 200

    leaving = RegistryClient(host).blob(name, layer.digest, stream=True)  # starts the fetch
    assert leaving.status_code == 200
    staying = {}
    reader = threading.Thread(
        target=lambda: staying.update(body=RegistryClient(host).blob(name, layer.digest).content)
    )
    reader.start()
    first = next(leaving.iter_content(MIB))
    assert first
    leaving.close()  # gone after 1 MiB
    reader.join(60)
    assert sha256(staying["body"]) == layer.digest
    deadline = time.monotonic() + 10
    while artifact_count(api, layer.digest) == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert artifact_count(api, layer.digest) == 1
    assert sha256(RegistryClient(host).blob(name, layer.digest).content) == layer.digest
    assert upstream.request_count(f"/blobs/{layer.digest}", method="GET") == 1


def test_an_upstream_that_does_not_answer_is_a_timeout(api, proxies, pulp_server):
    silent = proxies(1, hang=True)
    distribution = pull_through(
        api, silent.url, remote_fields={"total_timeout": 2.0, "sock_read_timeout": 2.0}
    )
    started = time.monotonic()
    answer = RegistryClient(pulp_server.registry_host).manifest(
        f"{distribution['base_path']}/lib/app", "latest"
    )
    assert answer.status_code == 504, answer.text
    assert error_code(answer) == "UPSTREAM_TIMEOUT"
    assert silent.url in answer.json()["errors"][0]["message"]
    assert time.monotonic() - started < 30


class _RateLimited(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 -- http.server's naming
        self.send_response(200 if self.path == "/v2/" else 429)
        self.send_header("Retry-After", "17")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


def test_an_upstream_rate_limiting_is_passed_on_with_retry_after(api, pulp_server):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RateLimited)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        distribution = pull_through(api, url)
        answer = RegistryClient(pulp_server.registry_host).manifest(
            f"{distribution['base_path']}/lib/app", "latest"
        )
        assert answer.status_code == 429, answer.text
        assert error_code(answer) == "TOOMANYREQUESTS"
        assert answer.headers["Retry-After"] == "17"
    finally:
        server.shutdown()
