"""The catalog lists names cached through a private pull-through to those who may pull them."""

import uuid

import requests

from tests.functional.api.test_pull_through import Registry, pull_through, wait_for_version
from tests.functional.registry_client import TokenAuth
from tests.functional.upstream import push_docker_image

PASSWORD = "catalog-pass-123"


def catalog(pulp_server, auth=()):
    response = requests.get(
        f"http://{pulp_server.registry_host}/v2/_catalog?n=100000",
        auth=TokenAuth(*auth),
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return set(response.json()["repositories"])


def test_private_pull_through_names_in_the_catalog(api, pulp_server, upstream_registry):
    upstream_name = f"catalog/{uuid.uuid4().hex[:8]}"
    push_docker_image(upstream_registry.client(), upstream_name, ["latest"], layer_size=4096)
    private = pull_through(api, upstream_registry.url, private=True)
    users = {}
    for label in ("stranger", "puller"):
        username = f"{label}-{uuid.uuid4().hex[:8]}"
        users[label] = api.ok(api.post("users/", {"username": username, "password": PASSWORD}))
        users[label]["auth"] = (username, PASSWORD)
    api.ok(
        api.post(
            f"{users['puller']['pulp_href']}roles/",
            {
                "role": "container.containerpullthroughdistribution_consumer",
                "content_object": private["pulp_href"],
            },
        )
    )
    name = f"{private['base_path']}/{upstream_name}"
    puller = Registry(pulp_server.registry_host, users["puller"]["auth"])
    assert puller.manifest(name, "latest").status_code == 200
    wait_for_version(api, name, 1)

    assert name in catalog(pulp_server, users["puller"]["auth"])
    assert name in catalog(pulp_server, ("admin", pulp_server.admin_password))
    assert name not in catalog(pulp_server, users["stranger"]["auth"])
    assert name not in catalog(pulp_server)
