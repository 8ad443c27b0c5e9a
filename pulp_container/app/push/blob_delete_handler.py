"""DELETE /v2/<name>/blobs/<digest>: remove a blob from a push repository.

The write goes through the name's WritableStore (``PushStore.delete_blob``, which runs
``blob_delete.py``): 202; ``404 BLOB_UNKNOWN`` when the name does not hold the blob,
``403 DENIED`` while a manifest of the name needs it.
"""

from aiohttp import web

from pulp_container.app.auth import scopes
from pulp_container.app.oci.reference import validate_digest
from pulp_container.app.push.handler import PushHandler
from pulp_container.constants import HEADER_CONTENT_LENGTH


class BlobDelete(PushHandler):
    """DELETE of a blob; needs the ``delete`` action on the name."""

    async def delete(self, request):
        ctx = await self.writable(request, actions=(scopes.DELETE,))
        digest = request.match_info["digest"]
        validate_digest(digest)
        await ctx.store.delete_blob(digest)
        return web.Response(status=202, headers={HEADER_CONTENT_LENGTH: "0"})
