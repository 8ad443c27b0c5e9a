"""GET|HEAD /v2/<name>/manifests/<tag or digest>: the stored manifest bytes, exactly.

By tag, the manifest is served only if the client's Accept admits its media type; a registry
that cannot convert (this one never turns schema 2 into schema 1) answers MANIFEST_UNKNOWN
naming the stored type. By digest the client asked for those exact bytes, whatever Accept says.
"""

from aiohttp import web

from pulp_container.app import errors
from pulp_container.app.oci.exceptions import TagInvalid
from pulp_container.app.oci.negotiation import accepts
from pulp_container.app.oci.reference import parse_reference
from pulp_container.app.registry.base import RegistryHandler
from pulp_container.constants import (
    HEADER_ACCEPT,
    HEADER_CONTENT_TYPE,
    HEADER_DOCKER_CONTENT_DIGEST,
    HEADER_WARNING,
)


def _etag(digest):
    return f'"{digest}"'


def _not_modified(request, digest):
    """Whether If-None-Match names this manifest's ETag (or is ``*``)."""
    values = request.headers.getall("If-None-Match", ())
    tags = {tag.strip() for value in values for tag in value.split(",")}
    tags |= {tag[2:] for tag in tags if tag.startswith("W/")}
    return "*" in tags or _etag(digest) in tags


def lookup_reference(request):
    """The reference of a manifest lookup (GET, HEAD, DELETE).

    One that is not a tag (``.INVALID_MANIFEST_NAME``) names no manifest the registry could
    hold: MANIFEST_UNKNOWN, as the spec's conformance tests expect. A malformed digest stays a
    400 DIGEST_INVALID, which tells the client what is wrong with it.
    """
    value = request.match_info["reference"]
    try:
        return parse_reference(value)
    except TagInvalid:
        raise errors.RegistryError(
            errors.MANIFEST_UNKNOWN,
            detail={"name": request.match_info["path"], "reference": value},
            message=f"{value!r} is neither a tag nor a digest, so it names no manifest",
        ) from None


class Manifests(RegistryHandler):
    async def get(self, request):  # also bound to HEAD
        reference = lookup_reference(request)
        ctx = await self.resolve(request)
        if reference.is_digest:
            manifest = await ctx.store.manifest_by_digest(reference.digest)
        else:
            manifest = await ctx.store.manifest_by_tag(reference.tag)
        detail = {"name": ctx.name, "reference": str(reference)}
        if manifest is None:
            raise errors.RegistryError(errors.MANIFEST_UNKNOWN, detail=detail)
        accept = request.headers.getall(HEADER_ACCEPT, None)
        if not reference.is_digest and not accepts(accept, manifest.media_type):
            raise errors.RegistryError(
                errors.MANIFEST_UNKNOWN,
                detail={**detail, "media_type": manifest.media_type},
                message=(
                    f"manifest for tag {reference.tag!r} is stored as {manifest.media_type}, "
                    "which the Accept header does not admit (it is not converted)"
                ),
            )
        headers = {
            HEADER_DOCKER_CONTENT_DIGEST: manifest.digest,
            "ETag": _etag(manifest.digest),
        }
        if manifest.warning:
            headers[HEADER_WARNING] = manifest.warning
        if _not_modified(request, manifest.digest):
            return web.Response(status=304, headers=headers)
        headers[HEADER_CONTENT_TYPE] = manifest.media_type
        return web.Response(body=manifest.data, headers=headers)
