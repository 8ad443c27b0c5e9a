"""The one name resolver (``targets.py``) and the two that ask it besides the registry: the
token service (``auth/service.py``) and the pull permissions (``auth/permissions.py``).

These modules import pulpcore's models, which need its Django settings, which the other unit
tests must not see: the scenarios run in a fresh interpreter (pulpcore's settings, no
database: the lookups the resolver makes and the users' permissions are stand-ins), and the
tests read what it reports.
"""

import pytest

from tests.unit.fresh_interpreter import run_script

SCRIPT = r"""
import json

import django

django.setup()

from pulp_container.app import process_state, targets  # noqa: E402
from pulp_container.app.auth import permissions, scopes, service  # noqa: E402
from pulp_container.app.pullthrough import resolver  # noqa: E402
from pulp_container.app.stores import served  # noqa: E402

LOCAL = served.Served("d1", "lib/app", False, None, "v1", "r1")
PRIVATE = served.Served("d2", "secret/app", True, None, "v2", "r2")
UNVERSIONED = served.Served("d3", "empty/app", False, None, None, "r3")
CACHE_DIST = served.Served("d4", "hub/library/busybox", False, None, "v4", "r4")
STRANGER = served.Served("d5", "hub/library/alpine", False, None, "v5", "r5")
THROUGH = resolver.PullThrough(
    "p1", "hub", True, None, "rm1", None, name="hub/library/busybox",
    upstream_name="library/busybox", cache=resolver.CacheRef("c1", "r4", "rm4", "d4"),
)
distributions = {d.base_path: d for d in (LOCAL, PRIVATE, UNVERSIONED, CACHE_DIST, STRANGER)}


def find_served(name):
    return distributions.get(name), name.startswith("hub/")


def find_through(name):
    if not name.startswith("hub/"):
        return None
    cache = THROUGH.cache if name == THROUGH.name else None
    return resolver.replace_cache(
        resolver.PullThrough(**{**THROUGH.__dict__, "name": name, "cache": cache}), cache
    )


targets.served.find = find_served
targets.resolver.find = find_through


class User:
    def __init__(self, pk, perms=(), superuser=False, authenticated=True):
        self.pk, self.perms, self.is_superuser = pk, set(perms), superuser
        self.is_authenticated = self.is_active = authenticated

    def has_perm(self, permission, obj=None):
        return permission in self.perms


permissions.may_pull_namespace = lambda user, name: False
# Push and delete rules have tests of their own (auth/push_rules.py); here nobody may push.
service.push.may_push = lambda user, name: False
service.push.may_delete = lambda user, name: False
permissions.may_view_every_distribution = lambda user: user.is_superuser
permissions._held_everywhere = lambda user, perms: False  # (asks the domain: a query)
permissions._grants = process_state.Kept(lambda: permissions.RecentGrants(ttl=0))
served.Served.model = lambda self: self
resolver.PullThrough.model = lambda self: self

results = {}


def kind(target):
    if target is None:
        return None
    local = getattr(target, "cache", None)
    return [type(target).__name__, target.distribution.pk, None if local is None else local.pk]


for name in ("lib/app", "nope/app", "hub/library/busybox", "hub/library/alpine", "hub"):
    results[name] = kind(targets.resolve(name))

try:
    targets.resolve("empty/app").store()
except Exception as exc:
    results["unversioned"] = exc.code.code

anonymous = User(None, authenticated=False)
puller = User(1, perms=["container.pull_containerdistribution"])
through_puller = User(2, perms=["container.pull_containerpullthroughdistribution"])
admin = User(3, superuser=True)
results["may_pull"] = {
    who: {
        name: service.may_pull_name(user, name)
        for name in ("lib/app", "secret/app", "hub/library/busybox", "nope/app")
    }
    for who, user in (
        ("anonymous", anonymous), ("puller", puller),
        ("through_puller", through_puller), ("admin", admin),
    )
}
requested = [
    scopes.parse_scope("repository:secret/app:pull,push"),
    scopes.parse_scope("repository:nope/app:pull"),
    scopes.parse_scope("registry:catalog:*"),
]
results["granted"] = [str(scope) for scope in service.grant(puller, requested)]
print("RESULT " + json.dumps(results))
"""


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    return run_script(SCRIPT, tmp_path_factory.mktemp("targets"))


@pytest.mark.parametrize(
    "name, expected",
    [
        ("lib/app", ["LocalTarget", "d1", None]),
        ("nope/app", None),
        # under a prefix: the pull-through wins, and composes the cache's own distribution
        ("hub/library/busybox", ["PullThroughTarget", "p1", "d4"]),
        # a distribution of that name that is not the name's cache is not its local store
        ("hub/library/alpine", ["PullThroughTarget", "p1", None]),
        ("hub", None),
    ],
)
def test_a_name_resolves_to_a_local_or_a_pull_through_target(outcome, name, expected):
    assert outcome[name] == expected


def test_a_distribution_serving_no_version_has_no_store(outcome):
    assert outcome["unversioned"] == "NAME_UNKNOWN"


@pytest.mark.parametrize(
    "who, expected",
    [
        ("anonymous", [True, False, False, False]),
        ("puller", [True, True, False, False]),
        ("through_puller", [True, False, True, False]),
        ("admin", [True, True, True, False]),
    ],
)
def test_who_may_pull_which_name(outcome, who, expected):
    names = ("lib/app", "secret/app", "hub/library/busybox", "nope/app")
    assert [outcome["may_pull"][who][name] for name in names] == expected


def test_the_token_service_grants_pull_only_where_allowed_and_never_push(outcome):
    assert outcome["granted"] == ["repository:secret/app:pull", "registry:catalog:*"]
