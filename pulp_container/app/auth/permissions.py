"""Pull permission decisions: may this user pull this distribution, which ones may they list.

A distribution with ``private=False`` is pullable by anyone, anonymous callers included. A
private one needs ``container.pull_containerdistribution`` or
``container.view_containerdistribution`` on it or everywhere (through object, domain or global
roles; see pulpcore's role utilities), or the same permission on its namespace
(``container.namespace_pull_containerdistribution`` or
``container.namespace_view_containerdistribution``, see ``namespaces.py``), or a superuser.
"""

from django.conf import settings
from django.db.models import Q
from pulpcore.plugin.util import get_domain, get_objects_for_user

from pulp_container.app import process_state
from pulp_container.app.auth.credential_cache import RecentGrants
from pulp_container.app.models import ContainerNamespace, ContainerPullThroughDistribution
from pulp_container.app.namespaces import (
    NAMESPACE_PULL_DISTRIBUTIONS,
    NAMESPACE_VIEW_DISTRIBUTIONS,
)
from pulp_container.app.oci.reference import namespace_of

# Seconds a granted pull of a private distribution is remembered (0: ask every time).
GRANT_TTL_SETTING = "CONTAINER_PULL_PERMISSION_CACHE_TTL"
DEFAULT_GRANT_TTL = 10.0

_grants = process_state.kept(
    "auth.recent_grants",
    lambda: RecentGrants(ttl=float(getattr(settings, GRANT_TTL_SETTING, DEFAULT_GRANT_TTL))),
)


def recent_grants():
    """The process-wide recent grants, made on first use with the configured TTL."""
    return _grants.get()


VIEW_DISTRIBUTIONS = "container.view_containerdistribution"
PULL_PERMISSIONS = (
    "container.pull_containerdistribution",
    VIEW_DISTRIBUTIONS,
)
PULL_THROUGH_PERMISSIONS = (
    "container.pull_containerpullthroughdistribution",
    "container.view_containerpullthroughdistribution",
)
NAMESPACE_PULL_PERMISSIONS = (NAMESPACE_PULL_DISTRIBUTIONS, NAMESPACE_VIEW_DISTRIBUTIONS)


def _namespaces_pullable(user):
    """The namespaces of whose distributions `user` may pull every one."""
    return get_objects_for_user(
        user, NAMESPACE_PULL_PERMISSIONS, ContainerNamespace.objects.all(), any_perm=True
    )


def may_pull_namespace(user, name):
    """Whether `user` may pull every distribution of the namespace of the repository `name`.

    Blocking (permission queries); asked only when the distribution's own permissions refused.
    """
    namespace = ContainerNamespace.objects.filter(pulp_domain=get_domain(), name=namespace_of(name))
    return _namespaces_pullable(user).filter(pk__in=namespace.values("pk")).exists()


def may_pull(user, distribution, load=None, perms=PULL_PERMISSIONS, name=None):
    """Whether `user` may pull from `distribution`. Blocking (permission queries).

    Args:
        user: a Django user, or AnonymousUser.
        distribution: anything with ``pk`` and ``private``.
        load: returns the ContainerDistribution model for object permission checks, when
            `distribution` is not one.
        perms: any of these permissions allows (a pull-through distribution has its own).
        name: the repository name asked for; roles on its namespace allow too.

    A yes for a private distribution is remembered for a few seconds (``RecentGrants``).
    """
    if not distribution.private:
        return True
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    key = (user.pk, distribution.pk)
    grants = recent_grants()
    if key in grants:
        return True
    obj = load() if load is not None else distribution
    allowed = (
        any(user.has_perm(permission, obj) for permission in perms)
        or _held_everywhere(user, perms)
        or (name is not None and may_pull_namespace(user, name))
    )
    if allowed:
        grants.add(key)
    return allowed


def _held_everywhere(user, perms):
    """Whether `user` holds one of `perms` globally or on the current domain."""
    domain = get_domain()
    return any(user.has_perm(p) or user.has_perm(p, domain) for p in perms)


def may_view_every_distribution(user):
    """Whether `user` may see every distribution: a superuser, or
    ``container.view_containerdistribution`` held globally or on the current domain.
    Blocking (permission queries)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or _held_everywhere(user, (VIEW_DISTRIBUTIONS,))


def may_pull_target(user, target, name):
    """Whether `user` may pull `name`, served from `target` (``targets.resolve``): a
    pull-through distribution's own permissions decide for the names under it. Blocking."""
    perms = PULL_THROUGH_PERMISSIONS if target.through else PULL_PERMISSIONS
    distribution = target.distribution
    return may_pull(user, distribution, distribution.model, perms=perms, name=name)


def pullable(user, queryset):
    """The distributions of `queryset` that `user` may pull."""
    if user is None or not user.is_authenticated:
        return queryset.filter(private=False)
    if user.is_superuser:
        return queryset
    permitted = get_objects_for_user(user, PULL_PERMISSIONS, queryset, any_perm=True)
    # A name a pull-through cached follows its pull-through distribution's permissions.
    through = get_objects_for_user(
        user,
        PULL_THROUGH_PERMISSIONS,
        ContainerPullThroughDistribution.objects.all(),
        any_perm=True,
    )
    return queryset.filter(
        Q(private=False)
        | Q(pk__in=permitted.values("pk"))
        | Q(pull_through_cache__distribution__in=through.values("pk"))
        | Q(namespace__in=_namespaces_pullable(user).values("pk"))
    )
