"""The token service's decision: of the scopes a caller asks for, which it is granted.

Never more than asked, never more than allowed: ``pull`` on a repository name the caller may
pull (see ``permissions.may_pull``), ``*`` on the catalog for anyone (the catalog lists only
what the token's subject may pull). ``push`` and anything else is refused: this registry does
not accept pushes. A name that no distribution serves is refused too, so that tokens do not
tell private names from unknown ones.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from pulpcore.plugin.util import get_domain

from pulp_container.app.auth import permissions, scopes
from pulp_container.app.models import ContainerDistribution
from pulp_container.app.pullthrough import resolver


@dataclass(frozen=True)
class _Served:
    pk: object
    private: bool

    def model(self):
        return ContainerDistribution.objects.get(pk=self.pk)


def _served(name):
    row = (
        ContainerDistribution.objects.filter(pulp_domain=get_domain(), base_path=name)
        .values_list("pk", "private")
        .first()
    )
    return None if row is None else _Served(*row)


def may_pull_name(user, name):
    """Whether `user` may pull the repository `name`. Blocking (queries).

    A name under a pull-through distribution is decided by that distribution (its private
    flag and pull permission), whether or not it was pulled before: the per-name
    distributions a pull-through creates follow it. Roles on the name's namespace allow too.
    """
    through = resolver.find(name)
    if through is not None:
        return permissions.may_pull(
            user, through, through.model, perms=permissions.PULL_THROUGH_PERMISSIONS, name=name
        )
    served = _served(name)
    return served is not None and permissions.may_pull(user, served, served.model, name=name)


def grant(user, requested):
    """The scopes granted to `user` out of `requested`, each with only its granted actions."""
    granted = []
    for scope in requested:
        allowed = set()
        if scope.type == scopes.REPOSITORY and scopes.PULL in scope.actions:
            if may_pull_name(user, scope.name):
                allowed.add(scopes.PULL)
        elif scope.type == scopes.REGISTRY and scope.name == scopes.CATALOG:
            allowed.add(scopes.WILDCARD)
        kept = scope.with_actions(allowed)
        if kept.actions:
            granted.append(kept)
    return granted


def user_of(subject):
    """The active user a token was issued to (its ``sub``), or AnonymousUser."""
    if not subject:
        return AnonymousUser()
    user_model = get_user_model()
    user = user_model._default_manager.filter(
        **{user_model.USERNAME_FIELD: subject, "is_active": True}
    ).first()
    return user or AnonymousUser()
