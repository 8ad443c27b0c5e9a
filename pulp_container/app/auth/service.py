"""The token service's decision: of the scopes a caller asks for, which it is granted.

Never more than asked, never more than allowed: ``pull`` on a repository name the caller may
pull (see ``permissions.may_pull``), ``*`` on the catalog for anyone (the catalog lists only
what the token's subject may pull). ``push`` and anything else is refused: this registry does
not accept pushes. A name that no distribution serves is refused too, so that tokens do not
tell private names from unknown ones.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from pulp_container.app import targets
from pulp_container.app.auth import permissions, scopes


def may_pull_name(user, name):
    """Whether `user` may pull the repository `name`. Blocking (queries).

    The name resolver (``targets.py``) says what serves the name; a name under a pull-through
    distribution is decided by that distribution, whether or not it was pulled before. Roles
    on the name's namespace allow too.
    """
    target = targets.resolve(name)
    return target is not None and permissions.may_pull_target(user, target, name)


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
