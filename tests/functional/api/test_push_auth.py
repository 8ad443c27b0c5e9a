"""Who may push and delete: what the token endpoint grants each kind of user for pull, push and
delete on an existing name, a new name under an existing namespace and a name under a new
namespace; and the 404 an admin sees for an unknown name (token and Basic mode).

Then the same decisions through the registry, token and Basic mode: who may upload a blob
(monolithic POST) and delete one. The upload protocol itself is in test_push_uploads.py.
"""

import os

import pytest
import requests

from tests.functional.api.test_pull import new_name
from tests.functional.api.test_token_auth import claims_of, token_for
from tests.functional.pulp import PulpAPI
from tests.functional.registry_client import TokenAuth, monolithic_upload
from tests.functional.upstream.images import digest_of

PASSWORD = "push-auth-pass-1"
NAMESPACES = "pulp_container/namespaces/"
ALL = ("pull", "push", "delete")


def create_user(api, label, username=None):
    username = username or new_name(f"{label}-")
    user = api.ok(api.post("users/", {"username": username, "password": PASSWORD}))
    return {**user, "auth": (username, PASSWORD)}


def give(api, holder, role, obj=None):
    """Give a user or a group `role` on `obj`, or everywhere."""
    body = {"role": role, "content_object": obj["pulp_href"] if obj else None}
    api.ok(api.post(f"{holder['pulp_href']}roles/", body))


@pytest.fixture(scope="module")
def world(api, pulp_server):
    """A namespace with a private distribution, the users holding each role, and names that do
    not exist yet."""
    namespace_name = new_name("pa")
    existing = f"{namespace_name}/app"
    distribution = api.create_distribution(new_name("pa-"), existing, private=True)
    namespace = api.ok(api.get(NAMESPACES, params={"name": namespace_name}))["results"][0]
    self_named = new_name("self")
    users = {
        "admin": {"auth": ("admin", pulp_server.admin_password)},
        "anonymous": {"auth": None},
        "stranger": create_user(api, "stranger"),
        "self-named": create_user(api, "self", username=self_named),
        "namespace-creator": create_user(api, "creator"),
        "viewer": create_user(api, "viewer"),
    }
    for role in ("owner", "collaborator", "consumer"):
        users[role] = create_user(api, role)
        give(api, users[role], f"container.containernamespace_{role}", namespace)
    for role in ("owner", "collaborator", "consumer"):
        users[f"distribution-{role}"] = create_user(api, f"d{role}")
        role_name = f"container.containerdistribution_{role}"
        give(api, users[f"distribution-{role}"], role_name, distribution)
    users["group-collaborator"] = create_user(api, "gcollaborator")
    group = api.ok(api.post("groups/", {"name": new_name("pushers-")}))
    member = {"username": users["group-collaborator"]["auth"][0]}
    api.ok(api.post(f"{group['pulp_href']}users/", member))
    give(api, group, "container.containernamespace_collaborator", namespace)
    give(api, users["namespace-creator"], "container.containernamespace_creator")
    give(api, users["viewer"], "container.containerdistribution_viewer")
    return {
        "existing": existing,
        "new-in-namespace": f"{namespace_name}/{new_name('new')}",
        "new-namespace": f"{new_name('nns')}/app",
        "own-namespace": f"{self_named}/app",
        "users": users,
    }


@pytest.fixture(scope="module")
def origin(pulp_server):
    return f"http://{pulp_server.registry_host}"


def granted(origin, service, world, who, name, actions=ALL):
    """The actions `who` is granted on `name` when asking for `actions`."""
    body = token_for(
        origin, service, f"repository:{name}:{','.join(actions)}", auth=world["users"][who]["auth"]
    )
    access = claims_of(body["token"])["access"]
    assert len(access) <= 1, access
    assert all(entry["name"] == name for entry in access)
    return tuple(access[0]["actions"]) if access else ()


# (who, existing private name, new name under that namespace, name under a new namespace)
GRANTS = [
    ("admin", ALL, ALL, ALL),
    ("owner", ALL, ALL, ()),
    ("collaborator", ("pull", "push"), ("pull", "push"), ()),
    ("consumer", ("pull",), (), ()),
    ("group-collaborator", ("pull", "push"), ("pull", "push"), ()),
    ("distribution-owner", ALL, (), ()),
    ("distribution-collaborator", ("pull", "push"), (), ()),
    ("distribution-consumer", ("pull",), (), ()),
    ("namespace-creator", (), (), ("pull", "push")),
    ("viewer", ("pull",), ("pull",), ("pull",)),
    ("stranger", (), (), ()),
    ("self-named", (), (), ()),
    ("anonymous", (), (), ()),
]


@pytest.mark.parametrize(
    "who, existing, new_in_namespace, new_namespace", GRANTS, ids=[row[0] for row in GRANTS]
)
def test_grants_per_role(
    origin, pulp_server, world, who, existing, new_in_namespace, new_namespace
):
    service = pulp_server.registry_host
    assert granted(origin, service, world, who, world["existing"]) == existing
    assert granted(origin, service, world, who, world["new-in-namespace"]) == new_in_namespace
    assert granted(origin, service, world, who, world["new-namespace"]) == new_namespace


def test_a_user_may_push_and_delete_under_their_own_name(origin, pulp_server, world):
    service = pulp_server.registry_host
    assert granted(origin, service, world, "self-named", world["own-namespace"]) == ALL
    assert granted(origin, service, world, "stranger", world["own-namespace"]) == ()


@pytest.mark.parametrize(
    "asked, expected",
    [
        (("push",), ("push",)),
        (("pull",), ("pull",)),
        (("delete",), ()),
        (("pull", "push"), ("pull", "push")),
    ],
)
def test_never_more_than_asked(origin, pulp_server, world, asked, expected):
    """A collaborator asking for part of what they may have gets only that part."""
    name = world["new-in-namespace"]
    service = pulp_server.registry_host
    assert granted(origin, service, world, "collaborator", name, asked) == expected


@pytest.mark.parametrize("who", ["admin", "viewer"])
def test_who_may_see_every_distribution_gets_404_for_an_unknown_name(origin, world, who):
    name = world["new-namespace"]
    response = requests.get(
        f"{origin}/v2/{name}/tags/list", auth=TokenAuth(*world["users"][who]["auth"]), timeout=60
    )
    assert response.status_code == 404, response.text
    assert response.json()["errors"][0]["code"] == "NAME_UNKNOWN"


def test_others_asking_for_an_unknown_name_are_refused_as_for_a_private_one(origin, world):
    for name in (world["new-namespace"], world["existing"]):
        response = requests.get(
            f"{origin}/v2/{name}/tags/list",
            auth=TokenAuth(*world["users"]["stranger"]["auth"]),
            timeout=60,
        )
        assert response.status_code == 401, response.text
        assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


# --- Basic mode --------------------------------------------------------------------------------


def test_basic_mode_admin_gets_404_for_an_unknown_name(pulp_server_basic):
    response = requests.get(
        f"http://{pulp_server_basic.registry_host}/v2/{new_name('nothing')}/x/tags/list",
        auth=("admin", pulp_server_basic.admin_password),
        timeout=60,
    )
    assert response.status_code == 404, response.text
    assert response.json()["errors"][0]["code"] == "NAME_UNKNOWN"


# --- what a push that creates a name gives its user -------------------------------------------

CREATE_AS_A_PUSH_WOULD = """
from django.contrib.auth import get_user_model
from django.db import transaction
from pulp_container.app.auth.push import give_creator_roles
from pulp_container.app.models import ContainerDistribution, ContainerPushRepository
with transaction.atomic():
    repository = ContainerPushRepository.objects.create(name={name!r})
    distribution = ContainerDistribution.objects.create(
        name={name!r}, base_path={name!r}, repository=repository, private=True
    )
    user = get_user_model().objects.get(username={username!r})
    give_creator_roles(user, distribution.pk, repository.pk, distribution.namespace_id)
"""


def test_the_user_whose_push_creates_a_name_owns_it(api, origin, pulp_server, world):
    """A namespace creator pushing a new namespace may go on pushing, and deleting, there."""
    creator = world["users"]["namespace-creator"]
    name = f"{new_name('made')}/app"
    sibling = name.replace("/app", "/other")
    service = pulp_server.registry_host
    assert granted(origin, service, world, "namespace-creator", name) == ("pull", "push")
    pulp_server.manage(
        "shell", "-c", CREATE_AS_A_PUSH_WOULD.format(name=name, username=creator["auth"][0])
    )
    assert granted(origin, service, world, "namespace-creator", name) == ALL
    assert granted(origin, service, world, "namespace-creator", sibling) == ALL
    assert granted(origin, service, world, "stranger", name) == ()
    as_creator = PulpAPI(pulp_server.api_url, auth=creator["auth"])
    listed = as_creator.ok(
        as_creator.get("repositories/container/container-push/", params={"name": name})
    )
    assert [repository["name"] for repository in listed["results"]] == [name]


# --- writes through the registry ---------------------------------------------------------------


def assert_refused_token(response):
    assert response.status_code == 401, response.text
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


# who, where (a new name under the namespace, under a new namespace, under their own name)
UPLOADS = [
    ("admin", "new-in-namespace", True),
    ("owner", "new-in-namespace", True),
    ("collaborator", "new-in-namespace", True),
    ("group-collaborator", "new-in-namespace", True),
    ("namespace-creator", "new-namespace", True),
    ("self-named", "own-namespace", True),
    ("consumer", "new-in-namespace", False),
    ("distribution-collaborator", "new-in-namespace", False),
    ("viewer", "new-in-namespace", False),
    ("stranger", "new-namespace", False),
    ("anonymous", "new-in-namespace", False),
]


def _fresh(world, where):
    """A name nothing serves yet at `where`: each upload test creates its own."""
    namespace = world[where].split("/", 1)[0]
    return f"{namespace}/{new_name('up')}"


@pytest.mark.parametrize("who, where, allowed", UPLOADS, ids=[row[0] for row in UPLOADS])
def test_blob_upload_per_role(origin, world, who, where, allowed):
    name = _fresh(world, where)
    auth = world["users"][who]["auth"]
    response = monolithic_upload(origin, name, os.urandom(1000), TokenAuth(*(auth or ())))
    if allowed:
        assert response.status_code == 201, response.text
    else:
        assert_refused_token(response)


def test_blob_delete_needs_the_delete_grant(origin, world):
    """Of a name the admin created, the namespace owner deletes a blob a collaborator pushed;
    the collaborator may not (the creator of a name would: they own it)."""
    name = _fresh(world, "new-in-namespace")
    admin = TokenAuth(*world["users"]["admin"]["auth"])
    assert monolithic_upload(origin, name, os.urandom(1000), admin).status_code == 201
    data = os.urandom(1000)
    collaborator = TokenAuth(*world["users"]["collaborator"]["auth"])
    assert monolithic_upload(origin, name, data, collaborator).status_code == 201
    path = f"{origin}/v2/{name}/blobs/{digest_of(data)}"
    assert_refused_token(requests.delete(path, auth=collaborator, timeout=60))
    owner = TokenAuth(*world["users"]["owner"]["auth"])
    assert requests.delete(path, auth=owner, timeout=60).status_code == 202


# --- the same in Basic mode --------------------------------------------------------------------


@pytest.fixture(scope="module")
def basic(pulp_server_basic):
    """On the Basic-mode server: a namespace with an owner, a collaborator and a consumer."""
    api = PulpAPI(pulp_server_basic.api_url, auth=("admin", pulp_server_basic.admin_password))
    namespace_name = new_name("pb")
    namespace = api.ok(api.post(NAMESPACES, {"name": namespace_name}))
    users = {
        "admin": ("admin", pulp_server_basic.admin_password),
        "stranger": create_user(api, "stranger")["auth"],
    }
    for role in ("owner", "collaborator", "consumer"):
        user = create_user(api, role)
        give(api, user, f"container.containernamespace_{role}", namespace)
        users[role] = user["auth"]
    return {
        "origin": f"http://{pulp_server_basic.registry_host}",
        "namespace": namespace_name,
        "users": users,
    }


# who, status of a monolithic upload to a new name under the namespace
BASIC_UPLOADS = [
    ("admin", 201),
    ("owner", 201),
    ("collaborator", 201),
    ("consumer", 403),
    ("stranger", 403),
    ("anonymous", 401),
]


@pytest.mark.parametrize("who, status", BASIC_UPLOADS, ids=[row[0] for row in BASIC_UPLOADS])
def test_basic_mode_blob_upload_per_role(basic, who, status):
    name = f"{basic['namespace']}/{new_name('up')}"
    response = monolithic_upload(basic["origin"], name, os.urandom(1000), basic["users"].get(who))
    assert response.status_code == status, response.text
    if status == 403:
        assert response.json()["errors"][0]["code"] == "DENIED"
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Basic ")


def test_basic_mode_blob_delete_is_the_owners(basic):
    name = f"{basic['namespace']}/{new_name('del')}"
    data = os.urandom(1000)
    users = basic["users"]
    assert (
        monolithic_upload(basic["origin"], name, os.urandom(999), users["admin"]).status_code == 201
    )
    assert monolithic_upload(basic["origin"], name, data, users["collaborator"]).status_code == 201
    path = f"{basic['origin']}/v2/{name}/blobs/{digest_of(data)}"
    refused = requests.delete(path, auth=users["collaborator"], timeout=60)
    assert refused.status_code == 403, refused.text
    assert requests.delete(path, auth=users["owner"], timeout=60).status_code == 202
