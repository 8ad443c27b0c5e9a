import pytest

from pulp_container.app.auth import scopes
from pulp_container.app.auth.scopes import Scope, ScopeInvalid


@pytest.mark.parametrize(
    "text, expected",
    [
        ("repository:foo:pull", Scope("repository", "foo", ("pull",))),
        (
            "repository:team/tools/busybox:pull,push",
            Scope("repository", "team/tools/busybox", ("pull", "push")),
        ),
        (
            "repository:localhost:5000/foo:pull",
            Scope("repository", "localhost:5000/foo", ("pull",)),
        ),
        ("repository(plugin):foo:pull", Scope("repository", "foo", ("pull",))),
        ("registry:catalog:*", Scope("registry", "catalog", ("*",))),
        ("repository:foo:pull,pull,push", Scope("repository", "foo", ("pull", "push"))),
        ("repository:foo:", Scope("repository", "foo", ())),
    ],
)
def test_parse_scope(text, expected):
    assert scopes.parse_scope(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "repository",
        "repository:foo",
        ":foo:pull",
        "repository::pull",
        "repository:fo\x00o:pull",
        "repository:foo\r\n:pull",
    ],
)
def test_malformed_scopes_are_refused(text):
    with pytest.raises(ScopeInvalid):
        scopes.parse_scope(text)


def test_scope_round_trips_to_text():
    assert str(scopes.parse_scope("repository:a/b:pull,push")) == "repository:a/b:pull,push"


def test_parse_scopes_splits_spaces_and_merges_same_resource():
    parsed = scopes.parse_scopes(["repository:a:pull repository:b:pull", "repository:a:push"])
    assert parsed == [
        Scope("repository", "a", ("pull", "push")),
        Scope("repository", "b", ("pull",)),
    ]


def test_with_actions_keeps_only_granted():
    scope = Scope("repository", "a", ("pull", "push"))
    assert scope.with_actions({"pull"}) == Scope("repository", "a", ("pull",))


@pytest.mark.parametrize(
    "access, action, expected",
    [
        ([{"type": "repository", "name": "a", "actions": ["pull"]}], "pull", True),
        ([{"type": "repository", "name": "a", "actions": ["pull"]}], "push", False),
        ([{"type": "repository", "name": "b", "actions": ["pull"]}], "pull", False),
        ([{"type": "repository", "name": "a", "actions": ["*"]}], "push", True),
        ([{"type": "registry", "name": "a", "actions": ["pull"]}], "pull", False),
        ([], "pull", False),
    ],
)
def test_covers(access, action, expected):
    assert scopes.covers(access, "repository", "a", action) is expected


def test_push_and_delete_pass_through():
    (scope,) = scopes.parse_scopes(["repository:team/app:pull,push,delete"])
    assert scope.actions == (scopes.PULL, scopes.PUSH, scopes.DELETE)
    assert str(scope) == "repository:team/app:pull,push,delete"
