"""Container namespaces: made by the distributions under them, the REST endpoints, pulp-cli,
the generated bindings, deletion with the distributions, and roles that let users pull."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pulpcore.client import pulp_container as bindings

from devserver.datadir import DataDir
from tests.functional.api.test_pull import new_name, serve, sha256
from tests.functional.api.test_pull_through import pull_through, wait_for_version
from tests.functional.api.test_pulp_cli import run_cli
from tests.functional.registry_client import RegistryClient
from tests.functional.upstream import CommandFailed, push_docker_image, skopeo_copy

NAMESPACES = "pulp_container/namespaces/"
DISTRIBUTIONS = "distributions/container/container/"
PT_DISTRIBUTIONS = "distributions/container/pull-through/"
CONSUMER = "container.containernamespace_consumer"
RACE_SCRIPT = Path(__file__).resolve().parents[1] / "race_create_distribution.py"


def namespace_named(api, name):
    results = api.ok(api.get(NAMESPACES, params={"name": name}))["results"]
    assert len(results) <= 1
    return results[0] if results else None


# --- the served schema -------------------------------------------------------------------------

HREF = "{container_container_namespace_href}"
# The namespace operations of pulp_container 2.30's schema: path, method, operationId, status.
REFERENCE_OPERATIONS = [
    ("/pulp/api/v3/pulp_container/namespaces/", "get", "list", "200"),
    ("/pulp/api/v3/pulp_container/namespaces/", "post", "create", "201"),
    (HREF, "get", "read", "200"),
    (HREF, "delete", "delete", "202"),
    (HREF + "add_role/", "post", "add_role", "201"),
    (HREF + "list_roles/", "get", "list_roles", "200"),
    (HREF + "my_permissions/", "get", "my_permissions", "200"),
    (HREF + "remove_role/", "post", "remove_role", "201"),
]


@pytest.fixture(scope="module")
def schema(api):
    return api.ok(api.get("docs/api.json", params={"component": "container"}))


def test_the_schema_serves_the_reference_namespace_operations(schema):
    served = {
        (path, method, operation["operationId"], status)
        for path, operations in schema["paths"].items()
        if "namespace" in path
        for method, operation in operations.items()
        if method != "parameters"
        for status in operation["responses"]
    }
    expected = {
        (path, method, f"pulp_container_namespaces_{name}", status)
        for path, method, name, status in REFERENCE_OPERATIONS
    }
    assert served == expected


def test_the_schema_has_the_namespace_fields(schema):
    schemas = schema["components"]["schemas"]
    request = schemas["container.ContainerNamespace"]
    assert set(request["properties"]) == {"name", "pulp_labels"}
    assert request["required"] == ["name"]
    response = schemas["container.ContainerNamespaceResponse"]
    assert set(response["properties"]) == {
        "pulp_href",
        "prn",
        "pulp_created",
        "pulp_last_updated",
        "name",
        "pulp_labels",
    }
    for kind in ("ContainerDistribution", "ContainerPullThroughDistribution"):
        field = schemas[f"container.{kind}Response"]["properties"]["namespace"]
        assert (field["type"], field["format"], field["readOnly"]) == ("string", "uri", True)
        assert "namespace" not in schemas[f"container.{kind}"]["properties"]
    listing = schema["paths"]["/pulp/api/v3/distributions/container/container/"]["get"]
    assert "namespace__name" in {parameter["name"] for parameter in listing["parameters"]}


# --- namespaces made by distributions ---------------------------------------------------------


def test_distributions_create_and_link_their_namespace(api, unique):
    namespace = unique("ns")
    first = api.create_distribution(unique("d"), f"{namespace}/app")
    second = api.create_distribution(unique("d"), f"{namespace}/tools/cli")
    alone = api.create_distribution(unique("d"), unique("alone"))

    made = namespace_named(api, namespace)
    assert made["name"] == namespace
    assert made["pulp_labels"] == {}
    assert first["namespace"] == second["namespace"] == made["pulp_href"]
    assert namespace_named(api, alone["base_path"])["pulp_href"] == alone["namespace"]
    listed = api.ok(api.get(DISTRIBUTIONS, params={"namespace__name": namespace}))
    assert {d["pulp_href"] for d in listed["results"]} == {first["pulp_href"], second["pulp_href"]}


def test_a_new_base_path_moves_the_distribution(api, unique):
    before, after = unique("ns"), unique("ns")
    distribution = api.create_distribution(unique("d"), f"{before}/app")
    api.run("PATCH", distribution["pulp_href"], {"base_path": f"{after}/app"})
    moved = api.ok(api.get(distribution["pulp_href"]))
    assert moved["namespace"] == namespace_named(api, after)["pulp_href"]
    assert namespace_named(api, before) is not None  # an empty namespace stays


def test_pull_through_distributions_and_their_names_are_in_the_namespace(
    api, pulp_server, upstream_registry, unique
):
    namespace = unique("ns")
    upstream_name = f"nspt/{unique('img')}"
    push_docker_image(upstream_registry.client(), upstream_name, ["latest"], layer_size=1024)
    through = pull_through(api, upstream_registry.url, prefix=f"{namespace}/cache")
    made = namespace_named(api, namespace)
    assert through["namespace"] == made["pulp_href"]

    name = f"{namespace}/cache/{upstream_name}"
    assert RegistryClient(pulp_server.registry_host).manifest(name, "latest").status_code == 200
    cached = api.ok(api.get(DISTRIBUTIONS, params={"base_path": name}))["results"][0]
    assert cached["namespace"] == made["pulp_href"]


def test_two_distributions_created_at_once_share_one_new_namespace(api, pulp_server, unique):
    """The second create runs while the first one's transaction, which made the namespace,
    is still open; both succeed and find the same namespace."""
    namespace = unique("race")
    env = {
        **os.environ,
        "PULP_SETTINGS": DataDir(pulp_server.data_dir).settings_files(),
        "DJANGO_SETTINGS_MODULE": "pulpcore.app.settings",
    }

    def start(label, *extra):
        return subprocess.Popen(
            [sys.executable, str(RACE_SCRIPT), f"{namespace}-{label}", f"{namespace}/{label}"]
            + list(extra),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    holder = start("first", "--hold")
    assert holder.stdout.readline().strip() == "created", holder.stderr.read()
    racer = start("second")
    outputs = [process.communicate(timeout=180) for process in (holder, racer)]
    for process, (out, _) in zip((holder, racer), outputs, strict=True):
        assert process.returncode == 0, outputs
        assert out.strip().endswith("committed"), outputs

    made = namespace_named(api, namespace)
    listed = api.ok(api.get(DISTRIBUTIONS, params={"namespace__name": namespace}))["results"]
    assert sorted(d["base_path"] for d in listed) == [f"{namespace}/first", f"{namespace}/second"]
    assert {d["namespace"] for d in listed} == {made["pulp_href"]}


# --- the REST endpoints -----------------------------------------------------------------------


def test_create_show_list(api, unique):
    name = unique("ns")
    response = api.post(NAMESPACES, {"name": name, "pulp_labels": {"team": "a"}})
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == {
        "pulp_href",
        "prn",
        "pulp_created",
        "pulp_last_updated",
        "name",
        "pulp_labels",
    }
    assert created["pulp_href"].startswith(f"/pulp/api/v3/{NAMESPACES}")
    assert created["pulp_labels"] == {"team": "a"}
    assert api.ok(api.get(created["pulp_href"])) == created
    assert namespace_named(api, name) == created
    starting = api.ok(api.get(NAMESPACES, params={"name__startswith": name[:-1]}))["results"]
    assert name in {n["name"] for n in starting}
    # A distribution under it joins it.
    distribution = api.create_distribution(unique("d"), f"{name}/app")
    assert distribution["namespace"] == created["pulp_href"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "with/slash"},
        {"name": "Upper"},
        {"name": ""},
        {"name": "bad..dots"},
        {},
    ],
)
def test_bad_names_are_refused_and_nothing_is_created(api, body):
    count = api.ok(api.get(NAMESPACES))["count"]
    response = api.post(NAMESPACES, body)
    assert response.status_code == 400, response.text
    assert isinstance(response.json()["name"], list), response.text
    assert api.ok(api.get(NAMESPACES))["count"] == count


def test_a_taken_name_is_refused(api, unique):
    name = unique("ns")
    api.ok(api.post(NAMESPACES, {"name": name}))
    response = api.post(NAMESPACES, {"name": name})
    assert response.status_code == 400
    assert "name" in response.json()


def test_namespaces_cannot_be_updated(api, unique):
    created = api.ok(api.post(NAMESPACES, {"name": unique("ns")}))
    assert api.patch(created["pulp_href"], {"name": unique("ns")}).status_code == 405
    assert api.request("PUT", created["pulp_href"], json={"name": "x"}).status_code == 405


def test_delete_removes_the_distributions_and_keeps_the_repositories(
    api, upstream_registry, unique
):
    namespace = unique("ns")
    repository = api.create_repository(unique("repo"))
    plain = api.create_distribution(
        unique("d"), f"{namespace}/app", repository=repository["pulp_href"]
    )
    through = pull_through(api, upstream_registry.url, prefix=f"{namespace}/cache")
    elsewhere = api.create_distribution(
        unique("d"), f"{unique('ns')}/app", repository=repository["pulp_href"]
    )
    href = namespace_named(api, namespace)["pulp_href"]

    response = api.delete(href)
    assert response.status_code == 202
    assert set(response.json()) == {"task"}
    api.wait_task(response.json()["task"])

    assert api.get(href).status_code == 404
    assert api.get(plain["pulp_href"]).status_code == 404
    assert api.get(through["pulp_href"]).status_code == 404
    assert api.get(elsewhere["pulp_href"]).status_code == 200
    assert api.get(repository["pulp_href"]).status_code == 200


# --- pulp-cli ---------------------------------------------------------------------------------


def test_pulp_cli_list_show_destroy(api, pulp_server, unique):
    namespace = unique("cli")
    distribution = api.create_distribution(unique("d"), f"{namespace}/app")

    listed = json.loads(run_cli(pulp_server, "namespace", "list", "--limit", "1000"))
    assert namespace in {n["name"] for n in listed}
    shown = json.loads(run_cli(pulp_server, "namespace", "show", "--name", namespace))
    assert shown["pulp_href"] == distribution["namespace"]

    created = json.loads(run_cli(pulp_server, "namespace", "create", "--name", unique("cli")))
    assert created["pulp_href"].startswith(f"/pulp/api/v3/{NAMESPACES}")

    run_cli(pulp_server, "namespace", "destroy", "--name", namespace)
    assert namespace_named(api, namespace) is None
    assert api.get(distribution["pulp_href"]).status_code == 404


# --- the generated bindings (pulp-container-client 2.30.0) ------------------------------------


def test_bindings_read_namespaces_and_distributions(api, pulp_server, unique):
    configuration = bindings.Configuration(
        host=pulp_server.api_url, username="admin", password=pulp_server.admin_password
    )
    client = bindings.ApiClient(configuration)
    namespace = unique("bind")
    distribution = api.create_distribution(unique("d"), f"{namespace}/app")

    namespaces = bindings.PulpContainerNamespacesApi(client)
    page = namespaces.list(name=namespace)
    assert page.count == 1
    assert page.results[0].name == namespace
    read = namespaces.read(page.results[0].pulp_href)
    assert read.pulp_href == distribution["namespace"]

    distributions = bindings.DistributionsContainerApi(client)
    shown = distributions.read(distribution["pulp_href"])
    assert shown.namespace == read.pulp_href
    listed = distributions.list(namespace__name=namespace)
    assert [d.pulp_href for d in listed.results] == [distribution["pulp_href"]]


# --- roles ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def private_image(api, upstream_registry):
    """An image served only by a private distribution in a namespace of its own."""
    upstream_name = f"nsroles/{new_name('img')}"
    image = push_docker_image(
        upstream_registry.client(), upstream_name, ["latest"], layer_size=16 * 1024
    )
    namespace = new_name("private")
    _, _, distribution = serve(
        api, upstream_registry, upstream_name, "immediate", f"{namespace}/app", private=True
    )
    return {"image": image, "namespace": namespace, "distribution": distribution}


@pytest.fixture(scope="module")
def namespace_users(api, private_image, user_factory):
    """A user given the consumer role on the namespace, and one with no role."""
    consumer, stranger = user_factory.create("consumer"), user_factory.create("stranger")
    href = namespace_named(api, private_image["namespace"])["pulp_href"]
    body = {"role": CONSUMER, "users": [consumer["username"]]}
    assert api.post(f"{href}add_role/", body).status_code == 201
    return {"consumer": consumer, "stranger": stranger, "namespace_href": href}


def test_role_endpoints(api, namespace_users, user_factory):
    href = namespace_users["namespace_href"]
    roles = api.ok(api.get(f"{href}list_roles/"))["roles"]
    assert {"role": CONSUMER, "users": [namespace_users["consumer"]["username"]], "groups": []} in [
        {**role, "users": sorted(role["users"])} for role in roles
    ]
    as_consumer = user_factory.api_as(namespace_users["consumer"]).get(f"{href}my_permissions/")
    assert as_consumer.status_code == 200
    assert "container.namespace_pull_containerdistribution" in as_consumer.json()["permissions"]
    as_stranger = user_factory.api_as(namespace_users["stranger"]).get(href)
    assert as_stranger.status_code == 404

    other = user_factory.create("other")
    body = {"role": CONSUMER, "users": [other["username"]]}
    assert api.post(f"{href}add_role/", body).status_code == 201
    assert api.post(f"{href}remove_role/", body).status_code == 201
    roles = api.ok(api.get(f"{href}list_roles/"))["roles"]
    assert all(other["username"] not in role["users"] for role in roles)


def test_a_namespace_consumer_pulls_a_private_distribution(
    private_image, namespace_users, pulp_server, tmp_path
):
    reference = f"{pulp_server.registry_host}/{private_image['distribution']['base_path']}:latest"
    consumer = namespace_users["consumer"]["auth"]
    skopeo_copy(reference, f"dir:{tmp_path / 'consumer'}", creds=consumer)
    manifest = (tmp_path / "consumer" / "manifest.json").read_bytes()
    assert sha256(manifest) == private_image["image"].digest
    with pytest.raises(CommandFailed):
        skopeo_copy(
            reference, f"dir:{tmp_path / 'stranger'}", creds=namespace_users["stranger"]["auth"]
        )
    with pytest.raises(CommandFailed):
        skopeo_copy(reference, f"dir:{tmp_path / 'anonymous'}")


def test_a_namespace_consumer_sees_its_private_names_in_the_catalog(
    private_image, namespace_users, pulp_server
):
    def names(auth):
        response = RegistryClient(pulp_server.registry_host, auth).get("/v2/_catalog?n=100000")
        assert response.status_code == 200, response.text
        return set(response.json()["repositories"])

    name = private_image["distribution"]["base_path"]
    assert name in names(namespace_users["consumer"]["auth"])
    assert name not in names(namespace_users["stranger"]["auth"])


def test_namespace_roles_act_on_its_distributions_in_the_rest_api(api, unique, user_factory):
    namespace = unique("nsrest")
    distribution = api.create_distribution(unique("d"), f"{namespace}/app", private=True)
    href = namespace_named(api, namespace)["pulp_href"]
    users = {
        label: user_factory.create(label)
        for label in ("consumer", "collaborator", "owner", "stranger")
    }
    for label in ("consumer", "collaborator", "owner"):
        role = f"container.containernamespace_{label}"
        body = {"role": role, "users": [users[label]["username"]]}
        assert api.post(f"{href}add_role/", body).status_code == 201

    def as_user(label, method, path, **kwargs):
        return user_factory.api_as(users[label]).request(method, path, **kwargs)

    for label in ("consumer", "collaborator", "owner"):
        assert as_user(label, "GET", distribution["pulp_href"]).status_code == 200
        listed = as_user(label, "GET", DISTRIBUTIONS, params={"namespace__name": namespace})
        assert listed.json()["count"] == 1
    assert as_user("stranger", "GET", distribution["pulp_href"]).status_code == 404
    listed = as_user("stranger", "GET", DISTRIBUTIONS, params={"namespace__name": namespace})
    assert listed.json()["count"] == 0

    change = {"description": "changed by a collaborator"}
    assert as_user("consumer", "PATCH", distribution["pulp_href"], json=change).status_code == 403
    changed = as_user("collaborator", "PATCH", distribution["pulp_href"], json=change)
    assert changed.status_code == 202, changed.text
    api.wait_task(changed.json()["task"])
    assert api.ok(api.get(distribution["pulp_href"]))["description"] == change["description"]

    assert as_user("collaborator", "DELETE", distribution["pulp_href"]).status_code == 403
    deleted = as_user("owner", "DELETE", distribution["pulp_href"])
    assert deleted.status_code == 202, deleted.text
    api.wait_task(deleted.json()["task"])
    assert api.get(distribution["pulp_href"]).status_code == 404


def test_a_namespace_consumer_pulls_through_a_private_pull_through_distribution(
    api, pulp_server, upstream_registry, unique, user_factory
):
    namespace = unique("nspt")
    upstream_name = f"nspt/{unique('img')}"
    push_docker_image(upstream_registry.client(), upstream_name, ["latest"], layer_size=1024)
    pull_through(api, upstream_registry.url, prefix=f"{namespace}/cache", private=True)
    consumer, stranger = user_factory.create("consumer"), user_factory.create("stranger")
    href = namespace_named(api, namespace)["pulp_href"]
    body = {"role": CONSUMER, "users": [consumer["username"]]}
    assert api.post(f"{href}add_role/", body).status_code == 201

    name = f"{namespace}/cache/{upstream_name}"
    host = pulp_server.registry_host
    assert RegistryClient(host, stranger["auth"]).manifest(name, "latest").status_code == 401
    assert RegistryClient(host, consumer["auth"]).manifest(name, "latest").status_code == 200
    # Its cached copy, a private distribution of the namespace, is in the consumer's catalog.
    wait_for_version(api, name, 1)
    for user, listed in ((consumer, True), (stranger, False)):
        catalog = RegistryClient(host, user["auth"]).get("/v2/_catalog?n=100000")
        assert (name in catalog.json()["repositories"]) is listed
