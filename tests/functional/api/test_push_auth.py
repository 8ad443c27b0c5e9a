"""Who may push and delete: what the token endpoint grants each kind of user for pull, push and
delete on an existing name, a new name under an existing namespace and a name under a new
namespace; and the 404 an admin sees for an unknown name (token and Basic mode).

The writes themselves (uploads, manifests, deletes) are tested with the push routes.
"""

import pytest
import requests

from tests.functional.api.test_pull import new_name
from tests.functional.api.test_token_auth import claims_of, token_for
from tests.functional.pulp import PulpAPI
from tests.functional.registry_client import TokenAuth

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
