"""Who may push and delete: the decision table of auth/push_rules.py, with facts as data."""

from dataclasses import dataclass, field

import pytest

from pulp_container.app.auth.push_rules import (
    CREATE_NAMESPACE,
    delete_allowed,
    may_create_namespace,
    push_allowed,
)
from pulp_container.app.auth.scopes import DELETE, PUSH


@dataclass
class User:
    username: str = "alice"
    is_authenticated: bool = True
    is_active: bool = True
    is_superuser: bool = False

    def get_username(self):
        return self.username


ANONYMOUS = User(username="", is_authenticated=False)


@dataclass
class Facts:
    """What the roles say: sets of actions allowed at each level."""

    namespace_name: str = "team"
    namespace_exists: bool = True
    global_: set = field(default_factory=set)
    namespace: set = field(default_factory=set)
    distribution: set = field(default_factory=set)
    push_repository: set = field(default_factory=set)

    def anywhere(self, action):
        return action in self.global_

    def on_namespace(self, action):
        return action in self.namespace

    def on_distribution(self, action):
        return action in self.distribution

    def on_push_repository(self, action):
        return action in self.push_repository


class Refusing(Facts):
    """Facts that must not be asked: the decision is made before."""

    def anywhere(self, action):
        raise AssertionError("asked")

    on_namespace = on_distribution = on_push_repository = anywhere


@pytest.mark.parametrize("decide", [push_allowed, delete_allowed])
@pytest.mark.parametrize(
    "user",
    [None, ANONYMOUS, User(is_active=False), User(is_active=False, is_superuser=True)],
    ids=["none", "anonymous", "inactive", "inactive-superuser"],
)
def test_anonymous_and_inactive_never(decide, user):
    everything = {PUSH, DELETE, CREATE_NAMESPACE}
    facts = Facts(global_=everything, namespace=everything, distribution=everything)
    assert not decide(user, facts)


@pytest.mark.parametrize("decide", [push_allowed, delete_allowed])
@pytest.mark.parametrize("exists", [True, False])
def test_superusers_anywhere_without_asking(decide, exists):
    assert decide(User(is_superuser=True), Refusing(namespace_exists=exists))


@pytest.mark.parametrize("decide", [push_allowed, delete_allowed])
@pytest.mark.parametrize("exists", [True, False])
def test_the_namespace_named_after_the_user_is_theirs(decide, exists):
    assert decide(User(username="team"), Refusing(namespace_name="team", namespace_exists=exists))


@pytest.mark.parametrize(
    "facts, push, delete",
    [
        (Facts(), False, False),
        (Facts(global_={PUSH}), True, False),
        (Facts(global_={DELETE}), False, True),
        # namespace owner, collaborator, consumer
        (Facts(namespace={PUSH, DELETE}), True, True),
        (Facts(namespace={PUSH}), True, False),
        (Facts(namespace=set()), False, False),
        # distribution owner, collaborator
        (Facts(distribution={PUSH, DELETE}), True, True),
        (Facts(distribution={PUSH}), True, False),
        # push repository owner (modify content)
        (Facts(push_repository={PUSH, DELETE}), True, True),
        # creating namespaces elsewhere gives nothing under an existing one
        (Facts(global_={CREATE_NAMESPACE}), False, False),
    ],
    ids=[
        "no-role",
        "global-push",
        "global-delete",
        "namespace-owner",
        "namespace-collaborator",
        "namespace-consumer",
        "distribution-owner",
        "distribution-collaborator",
        "push-repository-owner",
        "namespace-creator",
    ],
)
def test_under_an_existing_namespace(facts, push, delete):
    assert push_allowed(User(), facts) is push
    assert delete_allowed(User(), facts) is delete


@pytest.mark.parametrize(
    "user, facts, push",
    [
        (User(username="alice"), Facts(namespace_name="alice", namespace_exists=False), True),
        (User(username="alice"), Facts(namespace_name="bob", namespace_exists=False), False),
        (User(), Facts(namespace_exists=False, global_={CREATE_NAMESPACE}), True),
        (User(), Facts(namespace_exists=False, global_={PUSH}), True),
    ],
    ids=["own-name", "someone-elses-name", "namespace-creator", "global-push"],
)
def test_a_new_namespace_goes_to_whoever_may_create_it(user, facts, push):
    assert push_allowed(user, facts) is push


def test_nothing_to_delete_under_a_namespace_that_does_not_exist():
    facts = Facts(namespace_exists=False, global_={CREATE_NAMESPACE})
    assert not delete_allowed(User(), facts)
    assert delete_allowed(User(), Facts(namespace_exists=False, global_={DELETE}))


@pytest.mark.parametrize(
    "user, allowed",
    [(User(username="team"), True), (User(), False), (ANONYMOUS, False), (None, False)],
)
def test_may_create_namespace(user, allowed):
    assert may_create_namespace(user, Facts(namespace_name="team")) is allowed
