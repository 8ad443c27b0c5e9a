"""GET /v2/_catalog: the repository names (distribution base paths) the caller may pull."""

from aiohttp import web
from django.db.models import Q
from pulpcore.plugin.util import get_domain

from pulp_container.app.auth.permissions import pullable
from pulp_container.app.auth.scopes import CATALOG_SCOPE
from pulp_container.app.auth.service import user_of
from pulp_container.app.models import ContainerDistribution
from pulp_container.app.registry.base import RegistryHandler, orm
from pulp_container.app.registry.pagination import link_header, paginate, parse_page_request
from pulp_container.constants import HEADER_LINK


class Catalog(RegistryHandler):
    async def get(self, request):
        page_request = parse_page_request(request.query)
        names = await orm(self._names, request, page_request)
        page = paginate(names, page_request)
        response = web.json_response({"repositories": page.items})
        link = link_header(request.path, page_request, page)
        if link:
            response.headers[HEADER_LINK] = link
        return response

    def _names(self, request, page_request):
        identity = self.identify(request, CATALOG_SCOPE)
        identity.require(CATALOG_SCOPE)
        user = identity.user if identity.access is None else user_of(identity.subject)
        # Hidden distributions (and the caches of a hidden pull-through distribution, which
        # share its flag) are left out, as pulpcore's content listing leaves them out.
        queryset = (
            ContainerDistribution.objects.filter(pulp_domain=get_domain())
            .filter(Q(repository__isnull=False) | Q(repository_version__isnull=False))
            .exclude(hidden=True)
        )
        queryset = pullable(user, queryset)
        if page_request.last is not None:
            queryset = queryset.filter(base_path__gt=page_request.last)
        names = queryset.order_by("base_path").values_list("base_path", flat=True)
        return list(names[: page_request.fetch])
