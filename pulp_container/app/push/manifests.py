"""PUT and DELETE /v2/<name>/manifests/<tag or digest>: push a manifest, delete one or a tag.

A PUT reads at most MANIFEST_MAX_BYTES (4 MiB) of the body, checks it (``validation.py``) and
stores the bytes exactly as sent, with the blobs it needs, as one new version of the name's push
repository; 201 with the manifest's Location by digest. A DELETE by digest removes the manifest
and the tags pointing at it, by tag only the tag; 202. Both write through the name's store
(``store.PushStore``, which runs ``manifest_writes.py``).
"""

from aiohttp import web

from pulp_container.app import errors
from pulp_container.app.auth import scopes
from pulp_container.app.oci.manifest import MANIFEST_MAX_BYTES
from pulp_container.app.oci.reference import parse_reference
from pulp_container.app.push import validation
from pulp_container.app.push.handler import PushHandler
from pulp_container.app.registry.base import PREFIX
from pulp_container.app.registry.manifests import lookup_reference
from pulp_container.constants import (
    HEADER_CONTENT_LENGTH,
    HEADER_CONTENT_TYPE,
    HEADER_DOCKER_CONTENT_DIGEST,
    HEADER_LOCATION,
    HEADER_OCI_SUBJECT,
)

_READ_CHUNK = 64 * 1024


def _too_large(size=None):
    stated = "" if size is None else f" of {size} bytes"
    return errors.RegistryError(
        errors.MANIFEST_INVALID,
        detail={"size_limit": MANIFEST_MAX_BYTES},
        message=(
            f"the manifest{stated} is over the limit of {MANIFEST_MAX_BYTES} bytes (4 MiB) "
            "that registry clients accept"
        ),
    )


async def read_manifest_body(request, limit=MANIFEST_MAX_BYTES):
    """The request body, refused as soon as it is known to exceed `limit` bytes.

    A stated Content-Length over the limit is refused before reading anything; otherwise the
    body is read in chunks and refused at the first byte past the limit, so no more than
    `limit` (plus a chunk) is ever held in memory.

    Raises:
        RegistryError: MANIFEST_INVALID naming the limit.
    """
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(request.content_length)
    body = bytearray()
    while chunk := await request.content.read(_READ_CHUNK):
        body += chunk
        if len(body) > limit:
            raise _too_large()
    return bytes(body)


def _location(name, digest):
    return f"{PREFIX}/{name}/manifests/{digest}"


class ManifestWrites(PushHandler):
    async def put(self, request):
        reference = parse_reference(request.match_info["reference"])
        ctx = await self.writable(request)
        raw = await read_manifest_body(request)
        parsed = validation.read_pushed(
            raw, request.headers.get(HEADER_CONTENT_TYPE), digest=reference.digest
        )
        await ctx.store.put_manifest(parsed, reference.tag)
        headers = {
            HEADER_LOCATION: _location(ctx.target.name, parsed.digest),
            HEADER_DOCKER_CONTENT_DIGEST: parsed.digest,
            HEADER_CONTENT_LENGTH: "0",
        }
        if parsed.subject is not None:
            headers[HEADER_OCI_SUBJECT] = parsed.subject.digest
        return web.Response(status=201, headers=headers)

    async def delete(self, request):
        reference = lookup_reference(request)
        ctx = await self.writable(request, actions=(scopes.DELETE,))
        await ctx.store.delete_reference(reference)
        return web.Response(status=202, headers={HEADER_CONTENT_LENGTH: "0"})
