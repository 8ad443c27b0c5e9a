"""Who may push to a repository name, and who may delete from it: the rules of
``push_rules.py`` answered with Pulp's roles. Blocking (permission queries).

Which permission answers each question of the rules (push; delete):

- anywhere: ``container.push_containerdistribution``; ``container.delete_containerdistribution``,
  held globally or on the domain (creating a namespace: ``container.add_containernamespace``);
- the name's namespace: ``container.namespace_push_containerdistribution``;
  ``container.namespace_delete_containerdistribution``;
- the distribution serving the name: ``container.push_containerdistribution``;
  ``container.delete_containerdistribution``;
- its push repository: ``container.modify_containerpushrepository`` for both.

A *yes* is remembered for a few seconds, as pulls are (``permissions.recent_grants``): in Basic
mode a push asks on every request.
"""

from functools import cached_property

from pulpcore.plugin.util import assign_role, get_domain, get_objects_for_user

from pulp_container.app.auth import push_rules
from pulp_container.app.auth.permissions import recent_grants
from pulp_container.app.auth.scopes import DELETE, PUSH
from pulp_container.app.models import (
    ContainerDistribution,
    ContainerNamespace,
    ContainerPushRepository,
)
from pulp_container.app.namespaces import (
    NAMESPACE_DELETE_DISTRIBUTIONS,
    NAMESPACE_PUSH_DISTRIBUTIONS,
)
from pulp_container.app.oci.reference import namespace_of

PUSH_DISTRIBUTION = "container.push_containerdistribution"
DELETE_DISTRIBUTION = "container.delete_containerdistribution"
MODIFY_PUSH_REPOSITORY = "container.modify_containerpushrepository"
ADD_NAMESPACE = "container.add_containernamespace"

_ANYWHERE = {
    PUSH: PUSH_DISTRIBUTION,
    DELETE: DELETE_DISTRIBUTION,
    push_rules.CREATE_NAMESPACE: ADD_NAMESPACE,
}
_ON_NAMESPACE = {PUSH: NAMESPACE_PUSH_DISTRIBUTIONS, DELETE: NAMESPACE_DELETE_DISTRIBUTIONS}
_ON_DISTRIBUTION = {PUSH: PUSH_DISTRIBUTION, DELETE: DELETE_DISTRIBUTION}
_ON_PUSH_REPOSITORY = {PUSH: MODIFY_PUSH_REPOSITORY, DELETE: MODIFY_PUSH_REPOSITORY}

# The roles a push that creates a repository gives its user (``give_creator_roles``).
DISTRIBUTION_OWNER = "container.containerdistribution_owner"
PUSH_REPOSITORY_OWNER = "container.containerpushrepository_owner"
NAMESPACE_OWNER = "container.containernamespace_owner"


class RoleFacts:
    """``push_rules.Facts`` answered with permission queries, each asked only when a rule
    needs it.

    Args:
        user: an authenticated, active Django user.
        name: the repository name.
    """

    def __init__(self, user, name):
        self.user = user
        self.name = name
        self.namespace_name = namespace_of(name)

    @cached_property
    def _domain(self):
        return get_domain()

    @cached_property
    def _namespace(self):
        return ContainerNamespace.objects.filter(pulp_domain=self._domain, name=self.namespace_name)

    @cached_property
    def _distribution(self):
        return ContainerDistribution.objects.filter(pulp_domain=self._domain, base_path=self.name)

    @cached_property
    def namespace_exists(self):
        return self._namespace.exists()

    def anywhere(self, action):
        permission = _ANYWHERE[action]
        return self.user.has_perm(permission) or self.user.has_perm(permission, self._domain)

    def on_namespace(self, action):
        return _holds(self.user, _ON_NAMESPACE[action], self._namespace)

    def on_distribution(self, action):
        return _holds(self.user, _ON_DISTRIBUTION[action], self._distribution)

    def on_push_repository(self, action):
        repositories = ContainerPushRepository.objects.filter(
            pk__in=self._distribution.values("repository_id")
        )
        return _holds(self.user, _ON_PUSH_REPOSITORY[action], repositories)


def _holds(user, permission, queryset):
    """Whether `user` holds `permission` on an object of `queryset`, through object, domain or
    global roles, their own or their groups'."""
    return get_objects_for_user(user, permission, queryset).exists()


def _decide(action, rule, user, name):
    if not push_rules.counts(user):
        return False
    if user.is_superuser:
        return True
    key = (action, user.pk, get_domain().pk, name)
    grants = recent_grants()
    if key in grants:
        return True
    allowed = rule(user, RoleFacts(user, name))
    if allowed:
        grants.add(key)
    return allowed


def may_push(user, name):
    """Whether `user` may push to (and so create) the repository `name`. Blocking (queries).

    Args:
        user: a Django user, AnonymousUser or None.
        name: a valid repository name.
    """
    return _decide(PUSH, push_rules.push_allowed, user, name)


def may_delete(user, name):
    """Whether `user` may delete manifests, tags and blobs of the repository `name`. Blocking."""
    return _decide(DELETE, push_rules.delete_allowed, user, name)


def give_creator_roles(user, distribution_pk, repository_pk, namespace_pk=None):
    """Make the user whose push created a repository its owner, as the REST API makes creators
    owners: of the distribution and the push repository, and of the namespace when the same
    push created it (pass its pk then). Blocking; call inside the creating transaction.

    Nothing for anonymous callers or superusers (they may do everything anyway).
    """
    if not push_rules.counts(user) or user.is_superuser:
        return
    assign_role(DISTRIBUTION_OWNER, user, ContainerDistribution.objects.get(pk=distribution_pk))
    assign_role(PUSH_REPOSITORY_OWNER, user, ContainerPushRepository.objects.get(pk=repository_pk))
    if namespace_pk is not None:
        assign_role(NAMESPACE_OWNER, user, ContainerNamespace.objects.get(pk=namespace_pk))
