"""A content app stopped right after a pull through the cache loses nothing of it.

A blob fetched through a cache becomes an artifact, and the cache's repository gets its new
version, once the content app has streamed nothing for a moment; a server stopped before then
must still finish that work (``pullthrough/shutdown.py``). This test stops Pulp as soon as the
pull returns and starts it again; it runs a Pulp of its own, since it stops it.

What it cannot pin down is the moment of the stop: here aiohttp's own graceful shutdown often
lasts long enough for the put-off work to run anyway, so the test also passes without the
shutdown handler. It shows the outcome a user relies on, not which part provides it.
"""

import pytest

from tests.functional.api.test_pull_through import pull_through, wait_for_content
from tests.functional.pulp import PulpAPI, PulpProcess
from tests.functional.upstream import MIB, push_docker_image, skopeo_copy


@pytest.fixture
def own_pulp(tmp_path):
    server = PulpProcess(tmp_path / "data")
    server.start()
    yield server
    server.stop()


def test_stopping_right_after_a_cold_pull_keeps_what_it_fetched(
    own_pulp, upstream_registry, upstream_repository, tmp_path
):
    api = PulpAPI(own_pulp.api_url, auth=("admin", own_pulp.admin_password))
    image = push_docker_image(
        upstream_registry.client(), upstream_repository, ["latest"], layers=2, layer_size=4 * MIB
    )
    cache = pull_through(api, upstream_registry.url)
    name = f"{cache['base_path']}/{upstream_repository}"

    skopeo_copy(f"{own_pulp.registry_host}/{name}:latest", f"dir:{tmp_path}/copy")
    own_pulp.stop()
    own_pulp.start()

    wait_for_content(api, name, {"container.manifest": 1, "container.blob": 3, "container.tag": 1})
    for blob in image.blobs:
        hexdigest = blob.digest.split(":", 1)[1]
        artifacts = api.ok(api.get("artifacts/", params={"sha256": hexdigest}))
        assert artifacts["count"] == 1, blob.digest
    leftovers = [p.name for p in (own_pulp.data_dir / "tmp").rglob("pull-through-*")]
    assert leftovers == []
    assert upstream_registry.request_count(f"/v2/{upstream_repository}/blobs/", "GET") == 3
