"""Pull with Docker (a private dockerd from Debian's docker.io): synced images by tag and by
digest, a pull-through cache, and a private distribution after ``docker login``, with the
registry's token authentication and with HTTP Basic (``TOKEN_AUTH_DISABLED``). Every pulled
image's ``RepoDigests`` must name the digest upstream gave the manifest (or the index, for a
multi-platform pull)."""

import uuid

import pytest

from tests.functional.api.test_pull import new_name, serve
from tests.functional.api.test_pull_through import pull_through
from tests.functional.pulp import PulpAPI
from tests.functional.upstream import (
    MIB,
    CommandFailed,
    push_docker_image,
    push_manifest_list,
    push_oci_image,
    push_oci_index,
)

PASSWORD = "docker-client-pw-1"
LAYER_SIZE = 64 * 1024


def pulled_digest(docker, name, reference):
    """``docker pull name<reference>``; the digest Docker recorded for ``name``."""
    docker.pull(f"{name}{reference}")
    digests = [
        entry.split("@", 1)[1]
        for entry in docker.repo_digests(f"{name}{reference}")
        if entry.split("@", 1)[0] == name
    ]
    assert len(digests) == 1, docker.repo_digests(f"{name}{reference}")
    return digests[0]


@pytest.fixture(scope="module")
def synced(api, upstream_registry):
    """A Docker schema 2 image, an OCI image, an OCI index and a Docker manifest list, synced
    on demand and served by a public distribution; its base path and what was pushed upstream."""
    upstream_name = f"docker-client/{uuid.uuid4().hex[:8]}"
    client = upstream_registry.client()
    images = {
        "docker": push_docker_image(client, upstream_name, ["docker"], layer_size=LAYER_SIZE),
        "oci": push_oci_image(client, upstream_name, ["oci"], layers=2, layer_size=LAYER_SIZE),
        "index": push_oci_index(client, upstream_name, ["index"], layer_size=LAYER_SIZE),
        "list": push_manifest_list(client, upstream_name, ["list"], layer_size=LAYER_SIZE),
    }
    _, _, distribution = serve(api, upstream_registry, upstream_name, "on_demand")
    return distribution["base_path"], images


@pytest.fixture(scope="module")
def users(api):
    made = {}
    for label in ("stranger", "puller"):
        username = new_name(f"docker-{label}-")
        made[label] = api.ok(api.post("users/", {"username": username, "password": PASSWORD}))
        made[label]["auth"] = (username, PASSWORD)
    return made


def test_docker_pulls_synced_images_by_tag(pulp_server, synced, docker):
    base_path, images = synced
    name = f"{pulp_server.registry_host}/{base_path}"
    for kind in ("docker", "oci", "index", "list"):
        assert pulled_digest(docker, name, f":{kind}") == images[kind].digest
    for kind in ("index", "list"):  # Docker took the linux/amd64 image out of each
        image = docker.image_inspect(f"{name}:{kind}")
        assert image["Id"] == images[kind].child("amd64").config.digest


def test_docker_pulls_synced_images_by_digest(pulp_server, synced, docker):
    base_path, images = synced
    name = f"{pulp_server.registry_host}/{base_path}"
    amd64 = images["index"].child("amd64")
    digests = (images["docker"].digest, images["oci"].digest, images["list"].digest, amd64.digest)
    for digest in digests:
        assert pulled_digest(docker, name, f"@{digest}") == digest
    image = docker.image_inspect(f"{name}@{images['docker'].digest}")
    assert image["Id"] == images["docker"].config.digest
    assert image["RootFS"]["Layers"] == [layer.diff_id for layer in images["docker"].layers]


def test_docker_pulls_through_a_cache(api, pulp_server, upstream_registry, upstream_repository,
                                      docker):  # fmt: skip
    image = push_docker_image(
        upstream_registry.client(), upstream_repository, ["latest"], layers=2, layer_size=MIB
    )
    cache = pull_through(api, upstream_registry.url)
    name = f"{pulp_server.registry_host}/{cache['base_path']}/{upstream_repository}"
    assert pulled_digest(docker, name, ":latest") == image.digest
    assert docker.image_inspect(f"{name}:latest")["Id"] == image.config.digest
    docker.remove_image(f"{name}:latest")
    assert pulled_digest(docker, name, f"@{image.digest}") == image.digest


def test_docker_login_then_pull_of_a_private_distribution(
    api, pulp_server, upstream_registry, users, docker
):
    upstream_name = f"docker-private/{uuid.uuid4().hex[:8]}"
    image = push_docker_image(
        upstream_registry.client(), upstream_name, ["latest"], layer_size=LAYER_SIZE
    )
    _, _, distribution = serve(api, upstream_registry, upstream_name, "immediate", private=True)
    api.ok(
        api.post(
            f"{users['puller']['pulp_href']}roles/",
            {
                "role": "container.containerdistribution_consumer",
                "content_object": distribution["pulp_href"],
            },
        )
    )
    host = pulp_server.registry_host
    name = f"{host}/{distribution['base_path']}"

    anonymous = docker.pull(f"{name}:latest", check=False)
    assert anonymous.returncode != 0
    assert image.digest not in anonymous.stdout + anonymous.stderr

    docker.login(host, *users["stranger"]["auth"])
    assert docker.pull(f"{name}:latest", check=False).returncode != 0

    wrong = docker.login(host, users["puller"]["auth"][0], "wrong-password", check=False)
    assert wrong.returncode != 0
    docker.login(host, *users["puller"]["auth"])
    assert pulled_digest(docker, name, ":latest") == image.digest

    docker.logout(host)
    docker.remove_image(f"{name}:latest")
    with pytest.raises(CommandFailed):
        docker.pull(f"{name}:latest")


def test_docker_login_with_basic_auth(pulp_server_basic, upstream_registry, docker):
    """With ``TOKEN_AUTH_DISABLED`` docker sends the login's credentials as HTTP Basic."""
    api = PulpAPI(pulp_server_basic.api_url, auth=("admin", pulp_server_basic.admin_password))
    upstream_name = f"docker-basic/{uuid.uuid4().hex[:8]}"
    image = push_docker_image(
        upstream_registry.client(), upstream_name, ["latest"], layer_size=LAYER_SIZE
    )
    _, _, distribution = serve(api, upstream_registry, upstream_name, "on_demand", private=True)
    username = new_name("docker-basic-")
    user = api.ok(api.post("users/", {"username": username, "password": PASSWORD}))
    api.ok(
        api.post(
            f"{user['pulp_href']}roles/",
            {
                "role": "container.containerdistribution_consumer",
                "content_object": distribution["pulp_href"],
            },
        )
    )
    host = pulp_server_basic.registry_host
    name = f"{host}/{distribution['base_path']}"
    assert docker.pull(f"{name}:latest", check=False).returncode != 0
    assert docker.login(host, username, "wrong-password", check=False).returncode != 0
    docker.login(host, username, PASSWORD)
    assert pulled_digest(docker, name, ":latest") == image.digest
