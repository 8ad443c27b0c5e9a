"""Blobs synced on_demand from a token-auth upstream are fetched later by the content app.

The content app builds the remote's downloader outside any sync, so the downloader must get
its own token from the upstream's token service with the remote's credentials; each content app
process keeps the remote's tokens, so a pull of many blobs asks for one token, not one a blob.
"""

import hashlib

from tests.functional.conftest import CONTENT_WORKERS
from tests.functional.upstream import push_docker_image, skopeo_copy

REMOTES = "remotes/container/container/"


def test_on_demand_blobs_stream_from_a_token_auth_upstream(
    api, unique, pulp_server, upstream_token_auth_registry, upstream_repository, tmp_path
):
    registry = upstream_token_auth_registry
    pushed = push_docker_image(registry.client(), upstream_repository, layers=4)
    username, password = registry.credentials
    remote = api.ok(
        api.post(
            REMOTES,
            {
                "name": unique("remote"),
                "url": registry.url,
                "upstream_name": upstream_repository,
                "policy": "on_demand",
                "username": username,
                "password": password,
            },
        )
    )
    repository = api.create_repository(unique("repo"), remote=remote["pulp_href"])
    api.run("POST", f"{repository['pulp_href']}sync/", {})
    base_path = f"sync-auth/{unique('img')}"
    api.create_distribution(unique("dist"), base_path, repository=repository["pulp_href"])
    tokens_before = len(registry.token_server.requests)

    skopeo_copy(
        f"{pulp_server.registry_host}/{base_path}:latest",
        f"dir:{tmp_path}/copy",
        creds=("admin", pulp_server.admin_password),
    )

    for layer in pushed.layers:
        data = (tmp_path / "copy" / layer.digest.split(":")[1]).read_bytes()
        assert f"sha256:{hashlib.sha256(data).hexdigest()}" == layer.digest
        assert registry.request_count(f"/blobs/{layer.digest}", "GET", status=200) == 1
    asked = registry.token_server.requests[tokens_before:]
    assert asked and {request.account for request in asked} == {username}
    assert len(asked) <= CONTENT_WORKERS, f"{len(asked)} token requests for 4 layers"
    version = api.ok(api.get(repository["pulp_href"]))["latest_version_href"]
    page = api.ok(api.get("content/container/blobs/", params={"repository_version": version}))
    blobs = page["results"]
    layers = {layer.digest for layer in pushed.layers}
    assert all(blob["artifact"] for blob in blobs if blob["digest"] in layers)
