"""What every registry request shares: the /v2/ middleware and RegistryHandler.

The middleware (bound to ``/v2`` paths and the token endpoint only) puts the API version header
on every response, turns RegistryError and format errors into the error envelope, and takes
Basic credentials out of the request before pulpcore's own authentication middleware would
check them in full (see ``auth/authentication.py``). RegistryHandler resolves a repository
name with the one name resolver (``targets.py``), decides whether the caller may pull it, and
hands the handlers the target's Store (``stores/protocol.py``): the local store of a
distribution's version, or the pull-through store composing its cache's local store. The
handlers read from it the same way whichever it is.

With token authentication (the default; ``TOKEN_AUTH_DISABLED`` turns it off) every request
needs a Bearer token from the token endpoint (``registry/token.py``) that grants what it asks;
without one it is answered 401 with a challenge naming the endpoint and the scope it needs.
"""

import asyncio
import re
from dataclasses import dataclass
from logging import getLogger

from aiohttp import web
from asgiref.sync import sync_to_async
from django.contrib.auth.models import AnonymousUser
from django_guid import set_guid
from django_guid.utils import generate_guid
from multidict import CIMultiDict
from pulpcore.plugin.content import Handler

from pulp_container.app import compat, errors, targets
from pulp_container.app.auth import basic, bearer, permissions, scopes, tokens
from pulp_container.app.auth.authentication import LoginRefused, basic_enabled, login
from pulp_container.app.auth.keys import token_auth_enabled, token_config
from pulp_container.app.db.connections import replacing_broken_connection
from pulp_container.app.models import ContainerDistribution
from pulp_container.app.oci.exceptions import FormatError
from pulp_container.app.oci.reference import validate_name
from pulp_container.constants import (
    HEADER_AUTHORIZATION,
    HEADER_DOCKER_DISTRIBUTION_API_VERSION,
    HEADER_RETRY_AFTER,
    HEADER_WWW_AUTHENTICATE,
    REGISTRY_API_VERSION,
)

log = getLogger(__name__)

PREFIX = "/v2"
# The token endpoint (token authentication), on the registry's origin too.
TOKEN_PATH = "/token"
# Both spellings answer alike: deployments name either one in TOKEN_SERVER.
TOKEN_PATHS = (TOKEN_PATH, f"{TOKEN_PATH}/")
# Request state: the Basic Authorization value the middleware took out, if any.
AUTHORIZATION_KEY = "container_registry_authorization"
# Request state: set once a handler starts streaming; errors can then only close the connection.
STREAMING_KEY = "container_registry_streaming"

_METHODS = ("GET", "HEAD")


def is_registry_path(path):
    return path == PREFIX or path in TOKEN_PATHS or path.startswith(PREFIX + "/")


def _take_basic_authorization(request):
    """A clone of `request` without its Basic Authorization header, which goes into its state."""
    authorization = request.headers.get(HEADER_AUTHORIZATION)
    if authorization is None or basic.scheme_of(authorization) != basic.BASIC:
        return request
    if not basic_enabled():
        return request
    headers = CIMultiDict(request.headers)
    del headers[HEADER_AUTHORIZATION]
    clone = request.clone(headers=headers)
    clone[AUTHORIZATION_KEY] = authorization
    return clone


def _translate_http_exception(request, exc):
    """An aiohttp HTTPException as a registry error, or None to pass it on as it is."""
    if isinstance(exc, web.HTTPMethodNotAllowed) or (
        exc.status == 404 and request.method not in _METHODS
    ):
        return errors.RegistryError(
            errors.UNSUPPORTED,
            detail={"method": request.method, "path": request.path},
            message=f"{request.method} {request.path} is not supported by this registry",
        )
    if isinstance(exc, web.HTTPRequestRangeNotSatisfiable):
        return errors.RegistryError(errors.RANGE_INVALID, headers=dict(exc.headers))
    if exc.status == 404 and getattr(request.match_info, "http_exception", None) is exc:
        return _unrouted(request.path)
    return None


# A registry endpoint's shape, whatever the name holds (the routes' names exclude line breaks).
_ENDPOINT_SHAPE = re.compile(r"/v2/(?P<name>.+)/(?:manifests/[^/]+|blobs/[^/]+|tags/list)", re.S)


def _unrouted(path):
    """The error for a /v2/ path no route matched: an invalid name when it has the shape of a
    registry endpoint (a line break, say), else no such endpoint."""
    shape = _ENDPOINT_SHAPE.fullmatch(path)
    if shape is not None:
        try:
            validate_name(shape["name"])
        except FormatError as exc:
            return errors.from_format_error(exc)
    return errors.RegistryError(
        errors.NAME_UNKNOWN,
        detail={"path": path},
        message=f"{path!r} is not an endpoint of this registry",
    )


def _tokens_only(request):
    """Whether a request needs nothing of pulpcore's authentication middleware: a /v2/ request
    under token authentication, whose Bearer token is all that says who is asking.

    That middleware runs the REST API's authentication classes and reads the Domain, in a trip
    to the ORM's thread of its own, which a token makes needless (bench/README.md). Only the token
    endpoint takes the REST API's credentials. The correlation id of the request's logs and
    tasks is set by the registry middleware instead of pulpcore's guid middleware. Content
    guards that need the middleware's ``drf_request`` (RBAC) refuse without it, as they refused
    the anonymous user it found for a Bearer token. Broken database connections are replaced by
    `orm` instead.
    """
    return request.path not in TOKEN_PATHS and token_auth_enabled()


async def orm(function, *args):
    """``function(*args)`` in the ORM's thread (blocking, read-only). When it meets a database
    connection that broke (PostgreSQL restarted), the connection is replaced and it runs once
    more (``db/connections.py``)."""
    return await sync_to_async(replacing_broken_connection)(function, *args)


@web.middleware
async def registry_middleware(request, handler):
    """Registry behaviour for /v2 paths; other paths pass untouched."""
    if not is_registry_path(request.path):
        return await handler(request)
    request = _take_basic_authorization(request)
    if _tokens_only(request):
        set_guid(generate_guid())  # what pulpcore's guid middleware, skipped too, does
        handler = compat.handler_without_middlewares(request)
    try:
        response = await handler(request)
    except errors.RegistryError as error:
        log.debug("%s %s: %s", request.method, request.path, error)
        if error.delay:
            await asyncio.sleep(error.delay)
        return errors.to_aiohttp_response(error)
    except FormatError as exc:
        return errors.to_aiohttp_response(errors.from_format_error(exc))
    except web.HTTPException as exc:
        error = _translate_http_exception(request, exc)
        if error is not None:
            return errors.to_aiohttp_response(error)
        exc.headers[HEADER_DOCKER_DISTRIBUTION_API_VERSION] = REGISTRY_API_VERSION
        raise
    except Exception:
        if request.get(STREAMING_KEY):
            raise
        log.exception("%s %s failed", request.method, request.path)
        return errors.to_aiohttp_response(errors.RegistryError(errors.UNKNOWN))
    if not response.prepared:
        response.headers[HEADER_DOCKER_DISTRIBUTION_API_VERSION] = REGISTRY_API_VERSION
    return response


@dataclass(frozen=True)
class Identity:
    """The caller: a user (maybe AnonymousUser), and whether it sent credentials at all."""

    user: object
    sent_credentials: bool
    access: tuple | None = None
    """With token authentication: the token's access claim (what it grants); else None."""
    subject: str = ""
    """With token authentication: the user name the token was issued to ('' anonymous)."""

    @property
    def authenticated(self):
        return self.user.is_authenticated

    def require(self, scope):
        """With token authentication, refuse unless the token grants `scope`.

        Raises:
            RegistryError: UNAUTHORIZED with ``error="insufficient_scope"``.
        """
        if self.access is None:
            return
        for action in scope.actions:
            if not scopes.covers(self.access, scope.type, scope.name, action):
                raise unauthorized(
                    f"the token does not grant {action!r} on {scope.name!r}",
                    detail={"name": scope.name, "action": action},
                    scope=scope,
                    error=bearer.INSUFFICIENT_SCOPE,
                )


@dataclass(frozen=True)
class Context:
    """A resolved registry request: the name asked for, what serves it, the Store to read it
    from, and who asks."""

    name: str
    target: object
    """A ``targets.LocalTarget`` or ``targets.PullThroughTarget``."""
    store: object
    """The target's Store (``stores/protocol.py``)."""
    identity: Identity


def unauthorized(message="authentication required", detail=None, scope=None, error=None):
    """The 401 asking the client for credentials: a Bearer challenge naming the token endpoint
    and the scope this request needs with token authentication, else a Basic one."""
    if token_auth_enabled():
        config = token_config()
        challenge = bearer.challenge(
            config.realm, config.service, scope=str(scope) if scope else None, error=error
        )
    else:
        challenge = basic.challenge()
    return errors.RegistryError(
        errors.UNAUTHORIZED,
        detail=detail,
        message=message,
        headers={HEADER_WWW_AUTHENTICATE: challenge},
    )


def login_error(refused, wrong):
    """The registry error for a refused login: TOOMANYREQUESTS with Retry-After when throttled,
    else what `wrong(message)` makes (UNAUTHORIZED with the right challenge)."""
    if not refused.retry_after:
        return wrong(str(refused))
    return errors.RegistryError(
        errors.TOOMANYREQUESTS,
        message=str(refused),
        headers={HEADER_RETRY_AFTER: str(refused.retry_after)},
        delay=refused.delay,
    )


def identify_bearer(request, scope=None):
    """The caller of a request under token authentication: what its token grants.

    No database query: the token's signature, audience, issuer and times are all it takes.

    Raises:
        RegistryError: UNAUTHORIZED without a token, or with ``error="invalid_token"``.
    """
    token = bearer.token_of(request.headers.get(HEADER_AUTHORIZATION))
    if token is None:
        raise unauthorized(scope=scope)
    config = token_config()
    try:
        claims = tokens.verify(
            token,
            public_key=config.public_key,
            algorithm=config.algorithm,
            audience=config.service,
            issuer=config.issuer,
        )
    except tokens.TokenInvalid as exc:
        raise unauthorized(str(exc), scope=scope, error=exc.reason)
    return Identity(
        AnonymousUser(),
        sent_credentials=True,
        access=tuple(claims.access),
        subject=claims.subject,
    )


class RegistryHandler(Handler):
    """Base of the /v2/ handlers: identify the caller, resolve and authorize the name."""

    distribution_model = ContainerDistribution

    @staticmethod
    def identify(request, scope=None):
        """Who is asking. Blocking (may query users and check a password).

        Args:
            request: the aiohttp request.
            scope: what the request needs (a Scope), named in a token challenge.

        Raises:
            RegistryError: UNAUTHORIZED for missing (token authentication), malformed or wrong
                credentials.
        """
        if token_auth_enabled():
            return identify_bearer(request, scope)
        authorization = request.get(AUTHORIZATION_KEY)
        if authorization is None:
            user = request.get("user")
            if user is not None and user.is_authenticated:
                return Identity(user, sent_credentials=True)
            sent = HEADER_AUTHORIZATION in request.headers
            return Identity(AnonymousUser(), sent_credentials=sent)
        try:
            credentials = basic.parse_basic(authorization)
        except basic.CredentialsInvalid as exc:
            raise unauthorized(str(exc))
        if credentials.anonymous:
            return Identity(AnonymousUser(), sent_credentials=True)
        try:
            user = login(credentials, request.remote)
        except LoginRefused as refused:
            raise login_error(refused, unauthorized)
        return Identity(user, sent_credentials=True)

    async def resolve(self, request):
        """Resolve ``match_info["path"]`` (the repository name) for a pull.

        Returns:
            The Context: what serves the name, and its Store (``stores/protocol.py``), which
            the handler reads from.

        Raises:
            RegistryError: NAME_INVALID, NAME_UNKNOWN, UNAUTHORIZED or DENIED.
        """
        name = request.match_info["path"]
        validate_name(name)
        return await orm(self._context, request, name)

    def _authorize(self, request, name, identity, target):
        """Refuse unless `identity` may pull `name` from `target` (content guard, private
        flag, the permissions of the target's distribution)."""
        distribution = target.distribution
        if distribution.content_guard_id is not None:
            try:
                compat.permit(self, request, distribution.model())
            except web.HTTPForbidden as exc:
                raise errors.RegistryError(errors.DENIED, detail={"name": name}, message=exc.reason)
        # A token's pull grant was decided by the token service; Basic callers are checked here.
        if identity.access is None and not permissions.may_pull_target(identity.user, target, name):
            if not identity.authenticated:
                raise unauthorized(detail={"name": name, "action": "pull"})
            raise errors.RegistryError(
                errors.DENIED,
                detail={"name": name, "action": "pull"},
                message=f"user {identity.user.get_username()!r} may not pull {name!r}",
            )

    def _context(self, request, name):
        wanted = scopes.repository(name, scopes.PULL)
        identity = self.identify(request, wanted)
        identity.require(wanted)
        target = targets.resolve(name)
        if target is None:
            raise errors.RegistryError(
                errors.NAME_UNKNOWN,
                detail={"name": name},
                message=f"repository name {name!r} not known to registry",
            )
        self._authorize(request, name, identity, target)
        return Context(name, target, target.store(), identity)
