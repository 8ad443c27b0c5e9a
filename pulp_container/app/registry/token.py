"""GET /token: the token endpoint of the Docker token protocol, on the registry's origin.

``GET /token?service=<service>&scope=repository:<name>:pull[&scope=...]`` with the Basic
credentials of a Pulp user, or none for an anonymous token. It answers
``{"token", "access_token", "expires_in", "issued_at"}``; the token grants what the caller
asked for and may have (``auth/service.py``), possibly nothing.
"""

from datetime import UTC, datetime

from aiohttp import web
from asgiref.sync import sync_to_async
from django.contrib.auth.models import AnonymousUser

from pulp_container.app import errors
from pulp_container.app.auth import basic, scopes, service, tokens
from pulp_container.app.auth.authentication import LoginRefused, login
from pulp_container.app.auth.keys import token_config
from pulp_container.app.registry.base import AUTHORIZATION_KEY, RegistryHandler, login_error
from pulp_container.constants import HEADER_WWW_AUTHENTICATE


def _invalid(message):
    return errors.RegistryError(errors.TOKEN_REQUEST_INVALID, message=message)


def _wrong_credentials(message):
    return errors.RegistryError(
        errors.UNAUTHORIZED,
        message=message,
        headers={HEADER_WWW_AUTHENTICATE: basic.challenge()},
    )


class Token(RegistryHandler):
    async def get(self, request):
        config = token_config()
        service_name = request.query.get("service")
        if not service_name:
            raise _invalid("the 'service' parameter is missing")
        if service_name != config.service:
            raise _invalid(
                f"this endpoint issues tokens for {config.service!r}, not {service_name!r}"
            )
        try:
            requested = scopes.parse_scopes(request.query.getall("scope", []))
        except scopes.ScopeInvalid as exc:
            raise _invalid(str(exc))
        issued = await sync_to_async(self._issue)(request, config, requested)
        issued_at = datetime.fromtimestamp(issued.issued_at, UTC)
        return web.json_response(
            {
                "token": issued.token,
                "access_token": issued.token,
                "expires_in": issued.expires_in,
                "issued_at": issued_at.isoformat().replace("+00:00", "Z"),
            }
        )

    @staticmethod
    def _caller(request):
        """The user the request's Basic credentials name, or AnonymousUser without any.

        Raises:
            RegistryError: UNAUTHORIZED for malformed or wrong credentials.
        """
        authorization = request.get(AUTHORIZATION_KEY)
        if authorization is None:
            user = request.get("user")
            return user if user is not None and user.is_authenticated else AnonymousUser()
        try:
            credentials = basic.parse_basic(authorization)
        except basic.CredentialsInvalid as exc:
            raise _wrong_credentials(str(exc))
        if credentials.anonymous:
            return AnonymousUser()
        try:
            return login(credentials, request.remote)
        except LoginRefused as refused:
            raise login_error(refused, _wrong_credentials)

    def _issue(self, request, config, requested):
        user = self._caller(request)
        granted = service.grant(user, requested)
        return tokens.issue(
            private_key=config.private_key,
            algorithm=config.algorithm,
            issuer=config.issuer,
            audience=config.service,
            subject=user.get_username() if user.is_authenticated else "",
            access=[scope.as_claim() for scope in granted],
            lifetime=config.lifetime,
        )
