"""The locked roles of container namespaces, as access_policies.py defines them."""

import pytest

from pulp_container.app.access_policies import (
    DISTRIBUTION,
    DISTRIBUTION_ROLES,
    NAMESPACE,
    NAMESPACE_ROLES,
)

ROLE = "container.containernamespace_{}"


def test_the_four_roles_of_the_reference():
    assert set(NAMESPACE_ROLES) == {
        ROLE.format(kind) for kind in ("creator", "owner", "collaborator", "consumer")
    }


@pytest.mark.parametrize(
    "smaller, larger", [("consumer", "collaborator"), ("collaborator", "owner")]
)
def test_each_role_holds_what_the_one_below_holds(smaller, larger):
    assert set(NAMESPACE_ROLES[ROLE.format(smaller)]) < set(NAMESPACE_ROLES[ROLE.format(larger)])


@pytest.mark.parametrize(
    "role, permissions",
    [
        ("creator", {"container.add_containernamespace"}),
        (
            "consumer",
            {
                "container.view_containernamespace",
                "container.namespace_view_containerdistribution",
                "container.namespace_pull_containerdistribution",
            },
        ),
        ("collaborator", {"container.namespace_change_containerdistribution"}),
        (
            "owner",
            {
                "container.delete_containernamespace",
                "container.manage_roles_containernamespace",
                "container.namespace_delete_containerdistribution",
            },
        ),
    ],
)
def test_what_each_role_gives(role, permissions):
    assert permissions <= set(NAMESPACE_ROLES[ROLE.format(role)])


def test_no_role_gives_an_update_the_api_does_not_have():
    granted = {p for permissions in NAMESPACE_ROLES.values() for p in permissions}
    assert "container.change_containernamespace" not in granted


def test_creators_become_owners():
    (hook,) = NAMESPACE["creation_hooks"]
    assert hook["parameters"]["roles"] == ROLE.format("owner")


@pytest.mark.parametrize(
    "action, permission",
    [
        ("partial_update", "container.namespace_change_containerdistribution"),
        ("destroy", "container.namespace_delete_containerdistribution"),
    ],
)
def test_namespace_roles_act_on_the_distributions_in_it(action, permission):
    conditions = [
        statement.get("condition", [])
        for statement in DISTRIBUTION["statements"]
        if action in statement["action"]
    ]
    assert any(f"has_namespace_obj_perms:{permission}" in c for c in conditions)


@pytest.mark.parametrize(
    "role, pushes, deletes",
    [("owner", True, True), ("collaborator", True, False), ("consumer", False, False)],
)
def test_who_pushes_and_deletes_under_a_namespace(role, pushes, deletes):
    granted = set(NAMESPACE_ROLES[ROLE.format(role)])
    assert ("container.namespace_push_containerdistribution" in granted) is pushes
    assert ("container.namespace_delete_containerdistribution" in granted) is deletes


@pytest.mark.parametrize(
    "role, pushes",
    [("owner", True), ("collaborator", True), ("consumer", False), ("creator", False)],
)
def test_who_pushes_to_a_distribution(role, pushes):
    granted = set(DISTRIBUTION_ROLES[f"container.containerdistribution_{role}"])
    assert ("container.push_containerdistribution" in granted) is pushes
