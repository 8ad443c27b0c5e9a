"""Promotion, end to end: sync into "dev", promote tags into "prod", pin a distribution.

A distribution pinned to prod's version 1 keeps serving exactly that version to podman while
prod moves on; a distribution following prod serves each promotion as soon as its task ends.
"""

import json
import uuid

from tests.functional.upstream import Podman, push_docker_image, skopeo

LAYER_SIZE = 4096


def new_name(prefix):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def act(api, repository, action, body):
    """POST an action and wait for its task; returns the version it created."""
    task = api.run("POST", f"{repository['pulp_href']}{action}/", body)
    (version,) = task["created_resources"]
    return version


def served_tags(host, base_path):
    listed = skopeo("list-tags", "--tls-verify=false", f"docker://{host}/{base_path}").stdout
    return sorted(json.loads(listed)["Tags"])


def pulled_digest(podman, reference):
    podman.pull(reference)
    return podman.image_inspect(reference)["Digest"]


def test_pinned_distribution_keeps_serving_version_1(
    api, pulp_server, upstream_registry, podman: Podman
):
    client = upstream_registry.client()
    name = f"promote/{uuid.uuid4().hex[:8]}"
    first = push_docker_image(client, name, ["1.0"], layer_size=LAYER_SIZE, seed="first")
    second = push_docker_image(client, name, ["1.1"], layer_size=LAYER_SIZE, seed="second")

    # dev: everything upstream has
    remote = api.ok(
        api.post(
            "remotes/container/container/",
            {"name": new_name("dev-"), "url": upstream_registry.url, "upstream_name": name},
        )
    )
    dev = api.create_repository(new_name("dev-"), remote=remote["pulp_href"])
    api.run("POST", f"{dev['pulp_href']}sync/", {})

    # prod: 1.0 only; one distribution pinned to this version, one following prod
    prod = api.create_repository(new_name("prod-"))
    body = {"source_repository": dev["pulp_href"], "names": ["1.0"]}
    version_1 = act(api, prod, "copy_tags", body)
    assert version_1.endswith("/versions/1/")
    pinned = api.create_distribution(
        new_name("pinned-"), f"promote/{new_name('pinned')}", repository_version=version_1
    )
    following = api.create_distribution(
        new_name("prod-"), f"promote/{new_name('prod')}", repository=prod["pulp_href"]
    )

    # promote 1.1, and tag it stable
    act(api, prod, "copy_tags", {"source_repository": dev["pulp_href"], "names": ["1.1"]})
    version_3 = act(api, prod, "tag", {"tag": "stable", "digest": second.digest})
    assert version_3.endswith("/versions/3/")

    host = pulp_server.registry_host
    assert served_tags(host, pinned["base_path"]) == ["1.0"]
    assert served_tags(host, following["base_path"]) == ["1.0", "1.1", "stable"]
    assert pulled_digest(podman, f"{host}/{pinned['base_path']}:1.0") == first.digest
    for tag in ("1.1", "stable"):
        assert podman.pull(f"{host}/{pinned['base_path']}:{tag}", check=False).returncode != 0
        assert pulled_digest(podman, f"{host}/{following['base_path']}:{tag}") == second.digest

    # moving the pinned distribution to version 3 promotes it in one step
    api.run("PATCH", pinned["pulp_href"], {"repository_version": version_3})
    assert served_tags(host, pinned["base_path"]) == ["1.0", "1.1", "stable"]
    assert pulled_digest(podman, f"{host}/{pinned['base_path']}:stable") == second.digest
