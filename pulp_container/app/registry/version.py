"""GET /v2/: the API version check, and where clients learn how to authenticate."""

from aiohttp import web

from pulp_container.app.registry.base import RegistryHandler, orm, unauthorized


class Version(RegistryHandler):
    async def get(self, request):
        """``200 {}`` to callers that sent credentials (empty ones included), else 401.

        Clients probe this first; the 401 tells them the auth scheme. With token
        authentication any valid token will do (an anonymous one included). Without it,
        docker sends no Authorization for anonymous pulls, podman and skopeo send empty Basic
        credentials; both are let through to public distributions.
        """
        identity = await orm(self.identify, request)
        if not identity.sent_credentials:
            raise unauthorized()
        return web.json_response({})
