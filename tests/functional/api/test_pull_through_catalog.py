"""The catalog lists names cached through a private pull-through to those who may pull them."""

import uuid

from tests.functional.api.test_pull_through import pull_through, wait_for_version
from tests.functional.registry_client import RegistryClient
from tests.functional.upstream import push_docker_image


def catalog(pulp_server, auth=None):
    response = RegistryClient(pulp_server.registry_host, auth).get("/v2/_catalog?n=100000")
    assert response.status_code == 200, response.text
    return set(response.json()["repositories"])


def test_private_pull_through_names_in_the_catalog(
    api, pulp_server, upstream_registry, users, user_factory
):
    upstream_name = f"catalog/{uuid.uuid4().hex[:8]}"
    push_docker_image(upstream_registry.client(), upstream_name, ["latest"], layer_size=4096)
    private = pull_through(api, upstream_registry.url, private=True)
    user_factory.grant(
        users["puller"], "container.containerpullthroughdistribution_consumer", private
    )
    name = f"{private['base_path']}/{upstream_name}"
    puller = RegistryClient(pulp_server.registry_host, users["puller"]["auth"])
    assert puller.manifest(name, "latest").status_code == 200
    wait_for_version(api, name, 1)

    assert name in catalog(pulp_server, users["puller"]["auth"])
    assert name in catalog(pulp_server, ("admin", pulp_server.admin_password))
    assert name not in catalog(pulp_server, users["stranger"]["auth"])
    assert name not in catalog(pulp_server)
