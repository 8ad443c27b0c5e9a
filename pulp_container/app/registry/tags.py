"""GET /v2/<name>/tags/list: the tags of the version a distribution serves."""

from aiohttp import web

from pulp_container.app.errors import TAG_INVALID
from pulp_container.app.registry.base import RegistryHandler
from pulp_container.app.registry.pagination import link_header, paginate, parse_page_request
from pulp_container.constants import HEADER_LINK


class Tags(RegistryHandler):
    async def get(self, request):
        page_request = parse_page_request(request.query, last_invalid=TAG_INVALID)
        ctx = await self.resolve(request)
        names = await ctx.store.tags(page_request)
        page = paginate(names, page_request)
        response = web.json_response({"name": ctx.name, "tags": page.items})
        link = link_header(request.path, page_request, page)
        if link:
            response.headers[HEADER_LINK] = link
        return response
