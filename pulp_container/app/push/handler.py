"""PushHandler: what every registry write shares — who writes, and into which repository.

``writable`` identifies the caller for the scope the write needs (a Bearer token granting it;
in Basic mode the user, checked with ``auth/push.py``), validates the name and resolves the
push target (``target.py``), creating its repository and distribution on the first push,
and hands out the name's WritableStore (``store.PushStore``): every write goes through it.
Read-only names are refused in ``target.py`` before a store is made.
"""

from dataclasses import dataclass

from pulp_container.app import errors
from pulp_container.app.auth import push as push_permissions
from pulp_container.app.auth import scopes
from pulp_container.app.auth.service import user_of
from pulp_container.app.oci.reference import validate_name
from pulp_container.app.push.store import PushStore
from pulp_container.app.push.target import PushTarget, writable_target
from pulp_container.app.registry.base import Identity, RegistryHandler, orm, unauthorized


@dataclass(frozen=True)
class WriteContext:
    """A resolved registry write: where it goes, who makes it, and the store it goes through."""

    target: PushTarget
    identity: Identity
    store: PushStore
    """The name's WritableStore (``stores/protocol.py``): the handlers write through it only."""


def _may(user, name, action):
    """Whether `user` may do the write `action` (push, delete) on `name`. Blocking."""
    if action == scopes.PUSH:
        return push_permissions.may_push(user, name)
    if action == scopes.DELETE:
        return push_permissions.may_delete(user, name)
    return True  # pull: a writer reads what it writes; the write permission decides


def _user(identity):
    """The Django user making a request: the Basic one, or the one a token was issued to."""
    return identity.user if identity.access is None else user_of(identity.subject)


class PushHandler(RegistryHandler):
    """Base of the handlers that write: blob uploads, manifest PUT, the DELETEs."""

    async def writable(self, request, actions=(scopes.PULL, scopes.PUSH)):
        """Resolve ``match_info["path"]`` for a write needing `actions`.

        A push creates the name's push repository and distribution when they do not exist;
        other writes (a delete) need them to exist.

        Returns:
            WriteContext, with the name's PushStore.

        Raises:
            RegistryError: NAME_INVALID; UNAUTHORIZED (no credentials, or a token not granting
                `actions`); DENIED (the user may not, or the name is read-only, saying why);
                NAME_UNKNOWN (a delete under a name no push created).
        """
        name = request.match_info["path"]
        validate_name(name)
        return await orm(self._writable_blocking, request, name, tuple(actions))

    def _writable_blocking(self, request, name, actions):
        wanted = scopes.repository(name, *actions)
        identity = self.identify(request, wanted)
        identity.require(wanted)
        if identity.access is None:
            self._authorize_write(identity, name, actions)
        target = writable_target(name, lambda: _user(identity), create=scopes.PUSH in actions)
        if target is None:
            raise errors.RegistryError(
                errors.NAME_UNKNOWN,
                detail={"name": name},
                message=f"repository name {name!r} not known to registry",
            )
        return WriteContext(target, identity, PushStore(target))

    @staticmethod
    def _authorize_write(identity, name, actions):
        """Basic mode: refuse unless the user may do every one of `actions` on `name`."""
        for action in actions:
            if _may(identity.user, name, action):
                continue
            if not identity.authenticated:
                raise unauthorized(detail={"name": name, "action": action})
            raise errors.RegistryError(
                errors.DENIED,
                detail={"name": name, "action": action},
                message=f"user {identity.user.get_username()!r} may not {action} {name!r}",
            )
