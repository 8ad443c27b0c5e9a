"""Pull permission decisions: may this user pull this distribution, which ones may they list.

A distribution with ``private=False`` is pullable by anyone, anonymous callers included. A
private one needs ``container.pull_containerdistribution`` or
``container.view_containerdistribution`` on it (through object, domain or global roles; see
pulpcore's role utilities), or a superuser.
"""

from django.db.models import Q
from pulpcore.plugin.util import get_objects_for_user

PULL_PERMISSIONS = (
    "container.pull_containerdistribution",
    "container.view_containerdistribution",
)


def may_pull(user, distribution):
    """Whether `user` may pull from `distribution`. Blocking (permission queries)."""
    if not distribution.private:
        return True
    if user is None or not user.is_authenticated:
        return False
    return any(user.has_perm(permission, distribution) for permission in PULL_PERMISSIONS)


def pullable(user, queryset):
    """The distributions of `queryset` that `user` may pull."""
    if user is None or not user.is_authenticated:
        return queryset.filter(private=False)
    if user.is_superuser:
        return queryset
    permitted = get_objects_for_user(user, PULL_PERMISSIONS, queryset, any_perm=True)
    return queryset.filter(Q(private=False) | Q(pk__in=permitted.values("pk")))
