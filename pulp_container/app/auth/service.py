"""The token service's decision: of the scopes a caller asks for, which it is granted.

Never more than asked, never more than allowed. On a repository name (the rule is
``grants.repository_actions``; this module asks it the questions):

- ``pull`` to whoever may pull the name (see ``permissions.may_pull``);
- ``push`` to whoever may push to it (``push.may_push``), and ``delete`` to whoever may delete
  from it (``push.may_delete``). A name that takes no pushes (a synced repository's
  distribution, say) still gets the grant: the registry then refuses the write with 403
  DENIED saying why, which tells the user more than a refused token would;
- ``pull`` on a name nothing serves yet to admins and to whoever may view every distribution,
  so that they see 404 NAME_UNKNOWN rather than a 401 that reads as a password problem, and to
  whoever may push there (a push starts by asking for ``pull,push``). Anyone else gets nothing
  for such a name, so that tokens do not tell private names from unknown ones.

``*`` on the catalog goes to anyone (the catalog lists only what the token's subject may pull).
Any other scope or action is refused.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from pulp_container.app import targets
from pulp_container.app.auth import grants, permissions, push, scopes


def may_pull_name(user, name):
    """Whether `user` may pull the repository `name`. Blocking (queries).

    The name resolver (``targets.py``) says what serves the name; a name under a pull-through
    distribution is decided by that distribution, whether or not it was pulled before. Roles
    on the name's namespace allow too.
    """
    target = targets.resolve(name)
    return target is not None and permissions.may_pull_target(user, target, name)


def _unknown(name):
    """Whether no distribution serves `name`, directly or under a pull-through prefix."""
    return targets.resolve(name) is None


def _repository_actions(user, name, wanted):
    """The actions of `wanted` that `user` is granted on the repository `name`. Blocking."""
    questions = grants.Questions(
        may_pull=lambda: may_pull_name(user, name),
        may_push=lambda: push.may_push(user, name),
        may_delete=lambda: push.may_delete(user, name),
        unknown=lambda: _unknown(name),
        sees_everything=lambda: permissions.may_view_every_distribution(user),
    )
    return grants.repository_actions(wanted, questions)


def grant(user, requested):
    """The scopes granted to `user` out of `requested`, each with only its granted actions.

    Blocking (permission queries).
    """
    granted = []
    for scope in requested:
        allowed = set()
        if scope.type == scopes.REPOSITORY:
            allowed = _repository_actions(user, scope.name, scope.actions)
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
