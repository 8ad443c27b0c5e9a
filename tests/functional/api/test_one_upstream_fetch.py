"""A blob not stored yet is fetched from upstream once, however many clients ask at once, on
however many hosts: on_demand and pull-through alike (the one upstream blob fetcher).

"Two hosts" are two content apps with working directories of their own, sharing the database
and the artifact storage, as two hosts of one deployment do. The upstream is Debian's
docker-registry; its access log counts the GETs of each blob.
"""

import concurrent.futures
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.functional.api.test_pull import new_name, serve
from tests.functional.api.test_pull_through import Registry, pull_through
from tests.functional.pulp import free_port
from tests.functional.upstream import MIB, media_types, push_docker_image, push_manifest
from tests.functional.upstream.images import Blob, image_config, image_manifest

CLIENTS = 20


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def artifact_count(api, digest):
    return api.ok(api.get("artifacts/", params={"sha256": digest.split(":")[1]}))["count"]


def stored_artifacts(api, digest, timeout=60):
    """The artifacts of `digest` once there is one: the fetch stores it after its clients got
    the bytes (once no blob streams in the process)."""
    deadline = time.monotonic() + timeout
    while (count := artifact_count(api, digest)) == 0 and time.monotonic() < deadline:
        time.sleep(0.3)
    return count


def push_two_layer_image(upstream, repository, sizes):
    """`repository:latest` on `upstream`: a Docker image with one layer of each of `sizes`
    (bytes of content, one file each); returns its layers."""
    client = upstream.client()
    layers = []
    for number, size in enumerate(sizes):
        part = push_docker_image(
            client,
            repository,
            (),
            layer_size=size,
            files_per_layer=1,
            seed=f"{repository}|{number}",
        )
        layers.extend(part.layers)
    platform = part.platform
    config_data = image_config(layers, platform)
    config = Blob(sha256(config_data), len(config_data), media_types.DOCKER_CONFIG)
    client.upload_blob(repository, config.digest, config_data, config.size)
    data = image_manifest(config, layers, media_types.DOCKER_MANIFEST)
    push_manifest(client, repository, ("latest",), data, media_types.DOCKER_MANIFEST)
    return layers


def fetch_all(hosts, name, digests):
    """Every host in `hosts` GETs each of `digests` from `name`, all starting at once: the
    sha256 of every body, per client."""
    start = threading.Barrier(len(hosts))

    def client(host):
        registry = Registry(host)
        registry.get("/v2/")  # the token dance happens before the barrier
        start.wait()
        return [sha256(registry.blob(name, digest, timeout=300).content) for digest in digests]

    with concurrent.futures.ThreadPoolExecutor(len(hosts)) as pool:
        return list(pool.map(client, hosts))


def upstream_gets(upstream, digest):
    return upstream.request_count(f"/blobs/{digest}", method="GET")


class ContentApp:
    """A second content app ("another host"): pulpcore-content with the session server's
    settings (database, storage, token keys) but a working directory of its own."""

    def __init__(self, server, root: Path):
        self.server = server
        self.root = root
        self.port = free_port()
        self.process = None

    @property
    def host(self):
        return f"localhost:{self.port}"

    def start(self, timeout=120):
        working = self.root / "working"
        working.mkdir(parents=True)
        own = self.root / "settings.py"
        own.write_text(f"WORKING_DIRECTORY = {str(working)!r}\n")
        data = self.server.data_dir
        env = dict(os.environ)
        env.update(self.server.extra_env)
        env.update(
            PULP_SETTINGS=f"{data / 'settings.py'},{data / 'run' / 'settings.py'},{own}",
            DJANGO_SETTINGS_MODULE="pulpcore.app.settings",
        )
        content = Path(sys.executable).parent / "pulpcore-content"
        with (self.root / "content.log").open("wb") as log:
            self.process = subprocess.Popen(
                [str(content), "--bind", f"127.0.0.1:{self.port}", "--workers", "1"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.root / "content.log").read_text(errors="replace"))
            try:
                requests.get(f"http://{self.host}/v2/", timeout=5)
                return
            except requests.ConnectionError:
                time.sleep(0.5)
        raise RuntimeError(f"the second content app did not answer in {timeout} s")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # gunicorn and its worker, started here
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def other_host(pulp_server, tmp_path):
    app = ContentApp(pulp_server, tmp_path / "other-host")
    app.start()
    try:
        yield app
    finally:
        app.stop()


def test_two_hosts_pulling_an_on_demand_blob_at_once_cause_one_upstream_get(
    api, pulp_server, other_host, upstream_registry_factory
):
    upstream = upstream_registry_factory()
    repository = new_name("two-hosts/")
    (layer,) = push_two_layer_image(upstream, repository, [16 * MIB])
    _, _, distribution = serve(api, upstream, repository, "on_demand")

    bodies = fetch_all(
        [pulp_server.registry_host, other_host.host], distribution["base_path"], [layer.digest]
    )

    assert bodies == [[layer.digest], [layer.digest]]
    assert upstream_gets(upstream, layer.digest) == 1
    assert stored_artifacts(api, layer.digest) == 1


def test_twenty_clients_of_a_fresh_on_demand_image_cause_one_upstream_get_per_layer(
    api, pulp_server, upstream_registry_factory
):
    upstream = upstream_registry_factory()
    repository = new_name("crowd/")
    layers = push_two_layer_image(upstream, repository, [16 * MIB, 48 * MIB])
    _, _, distribution = serve(api, upstream, repository, "on_demand")
    digests = [layer.digest for layer in layers]

    bodies = fetch_all([pulp_server.registry_host] * CLIENTS, distribution["base_path"], digests)

    assert bodies == [digests] * CLIENTS
    for digest in digests:
        assert upstream_gets(upstream, digest) == 1
        assert stored_artifacts(api, digest) == 1


def test_twenty_clients_of_a_fresh_pulled_through_image_cause_one_upstream_get_per_layer(
    api, pulp_server, upstream_registry_factory
):
    upstream = upstream_registry_factory()
    repository = new_name("crowd/")
    layers = push_two_layer_image(upstream, repository, [16 * MIB, 48 * MIB])
    distribution = pull_through(api, upstream.url)
    name = f"{distribution['base_path']}/{repository}"
    digests = [layer.digest for layer in layers]
    assert Registry(pulp_server.registry_host).manifest(name, "latest").status_code == 200

    bodies = fetch_all([pulp_server.registry_host] * CLIENTS, name, digests)

    assert bodies == [digests] * CLIENTS
    for digest in digests:
        assert upstream_gets(upstream, digest) == 1
