"""The rules of who may push to a repository name and who may delete from it, as pure functions.

Pure (no Django): a decision asks a ``Facts`` what the roles say, in terms of actions
(``scopes.PUSH``, ``scopes.DELETE``, ``CREATE_NAMESPACE``) at a level (anywhere, on the name's
namespace, on its distribution, on its push repository); ``auth/push.py`` answers those with
permission queries. docs/push.md ("Who may push") tells users the same rules.

Push:
  - anonymous and inactive users never; superusers anywhere;
  - a user under the namespace that is their user name (their own, created or not);
  - whoever may push anywhere (globally or on the domain);
  - under an existing namespace: whoever may push on the namespace (its owner and collaborator
    roles), on the distribution serving the name (its owner and collaborator roles) or on its
    push repository (its owner role);
  - under a namespace that does not exist yet: whoever may create it (their user name, or the
    permission to create namespaces).

Delete (manifests, tags and blobs through the registry):
  - anonymous and inactive users never; superusers anywhere;
  - a user under the namespace that is their user name;
  - whoever may delete anywhere;
  - whoever may delete on the namespace (its owner role: a collaborator pushes, and so moves
    tags, but does not delete), on the distribution (its owner) or on the push repository (its
    owner).

Whether the name takes pushes at all (a synced repository's distribution does not) is the push
target's decision (``push/target.py``), not this module's.
"""

from typing import Protocol

from pulp_container.app.auth.scopes import DELETE, PUSH

CREATE_NAMESPACE = "create_namespace"


class Facts(Protocol):
    """What the roles say about one user and one repository name."""

    namespace_name: str
    """The namespace of the name (its first path component)."""

    @property
    def namespace_exists(self) -> bool: ...

    def anywhere(self, action: str) -> bool:
        """Whether the user may do `action` everywhere (a global or domain role)."""

    def on_namespace(self, action: str) -> bool: ...

    def on_distribution(self, action: str) -> bool: ...

    def on_push_repository(self, action: str) -> bool: ...


def counts(user) -> bool:
    """Whether `user` is someone roles may apply to: authenticated and active."""
    return user is not None and user.is_authenticated and user.is_active


def owns_namespace(user, facts: Facts) -> bool:
    """Superusers own every namespace; a user owns the one named after them."""
    return user.is_superuser or facts.namespace_name == user.get_username()


def may_create_namespace(user, facts: Facts) -> bool:
    """Whether `user` may create the namespace of the name."""
    return counts(user) and (owns_namespace(user, facts) or facts.anywhere(CREATE_NAMESPACE))


def _allowed(user, facts: Facts, action: str) -> bool:
    if not counts(user):
        return False
    if owns_namespace(user, facts) or facts.anywhere(action):
        return True
    if not facts.namespace_exists:
        # Nothing there yet: a push creates the namespace, a delete has nothing to remove.
        return action == PUSH and may_create_namespace(user, facts)
    return (
        facts.on_namespace(action)
        or facts.on_distribution(action)
        or facts.on_push_repository(action)
    )


def push_allowed(user, facts: Facts) -> bool:
    """Whether `user` may push to (and so create) the name `facts` describes."""
    return _allowed(user, facts, PUSH)


def delete_allowed(user, facts: Facts) -> bool:
    """Whether `user` may delete manifests, tags and blobs of the name `facts` describes."""
    return _allowed(user, facts, DELETE)
