"""GET|HEAD /v2/<name>/blobs/<digest>: a blob's bytes, stored or fetched from upstream.

The handler asks the name's Store for the blob (``stores/protocol.py``) and serves it the same
way whichever store that is:

* stored bytes are served by pulpcore's ``_serve_content_artifact`` (sendfile, or a redirect
  to the storage; HEAD and conditional requests);
* bytes not stored yet (on_demand, streamed and pull-through blobs) are fetched by the one
  upstream blob fetcher (``fetch/blobs.py``): once for every client asking at once, on every
  host, each client streaming the bytes as they arrive. The last bytes wait until the whole
  blob checked out against its digest; when it does not, or upstream breaks off, the
  connection is cut, so no client takes a partial or wrong blob for a whole one;
* upstream failures become registry errors in one place (``upstream/failures.py``);
* the well-known empty layer that old images reference is answered from memory under every
  name the caller may pull, whether the repository holds it or not;
* a GET's Range is decided here, once the blob's size is known, the same way on every path
  (``ranges.py``): ``206`` with the span, ``416 RANGE_INVALID`` with ``Content-Range:
  bytes */<size>``, or the whole blob for a Range that is malformed, asks for several ranges,
  or comes with HEAD. pulpcore and aiohttp then see the span written out in full
  (``bytes=<first>-<last>``) or no Range at all, never the client's own words.
"""

from logging import getLogger

from aiohttp import web
from multidict import CIMultiDict

from pulp_container.app import compat, errors
from pulp_container.app.fetch.blobs import FeedBroken
from pulp_container.app.oci.reference import validate_digest
from pulp_container.app.registry import ranges
from pulp_container.app.registry.base import STREAMING_KEY, RegistryHandler
from pulp_container.constants import (
    EMPTY_LAYER_BYTES,
    EMPTY_LAYER_DIGEST,
    HEADER_ACCEPT_RANGES,
    HEADER_CONTENT_LENGTH,
    HEADER_CONTENT_RANGE,
    HEADER_CONTENT_TYPE,
    HEADER_DOCKER_CONTENT_DIGEST,
    HEADER_DOCKER_DISTRIBUTION_API_VERSION,
    HEADER_RANGE,
    MEDIA_TYPE_OCTET_STREAM,
    REGISTRY_API_VERSION,
)

log = getLogger(__name__)


def wanted_span(request, size):
    """The Span of the blob a request asks for, or None for the whole blob.

    Raises:
        RegistryError: RANGE_INVALID (416) with ``Content-Range: bytes */<size>``.
    """
    header = request.headers.get(HEADER_RANGE)
    chosen = ranges.choose(request.method, header, size)
    if chosen is ranges.UNSATISFIABLE:
        raise errors.RegistryError(
            errors.RANGE_INVALID,
            detail={"range": header, "size": size},
            message=f"the blob has {size} bytes; the range asked for holds none of them",
            headers={HEADER_CONTENT_RANGE: ranges.unsatisfied_range(size)},
        )
    return chosen


def with_range(request, span):
    """`request` with its Range written as `span`, or without Range when `span` is None."""
    if HEADER_RANGE not in request.headers:
        return request
    headers = CIMultiDict(request.headers)
    del headers[HEADER_RANGE]
    if span is not None:
        headers[HEADER_RANGE] = span.header
    return request.clone(headers=headers)


def empty_layer_response(request):
    """The well-known empty layer, from memory: served under every name that may be pulled,
    with Range honoured as for any blob; aiohttp leaves the body out of a HEAD answer and
    keeps its Content-Length.

    Raises:
        RegistryError: RANGE_INVALID.
    """
    headers = {
        HEADER_CONTENT_TYPE: MEDIA_TYPE_OCTET_STREAM,
        HEADER_DOCKER_CONTENT_DIGEST: EMPTY_LAYER_DIGEST,
        HEADER_DOCKER_DISTRIBUTION_API_VERSION: REGISTRY_API_VERSION,
        HEADER_ACCEPT_RANGES: ranges.UNIT,
    }
    span = wanted_span(request, len(EMPTY_LAYER_BYTES))
    if span is None:
        return web.Response(body=EMPTY_LAYER_BYTES, headers=headers)
    headers[HEADER_CONTENT_RANGE] = span.content_range
    return web.Response(status=206, body=EMPTY_LAYER_BYTES[span.first : span.stop], headers=headers)


class Blobs(RegistryHandler):
    async def get(self, request):  # also bound to HEAD
        digest = validate_digest(request.match_info["digest"])
        ctx = await self.resolve(request)  # refuses names the caller may not pull
        if digest == EMPTY_LAYER_DIGEST:
            return empty_layer_response(request)
        blob = await ctx.store.blob(digest)
        if blob is None:
            raise errors.RegistryError(
                errors.BLOB_UNKNOWN, detail={"name": ctx.name, "digest": digest}
            )
        headers = {
            HEADER_CONTENT_TYPE: MEDIA_TYPE_OCTET_STREAM,
            HEADER_DOCKER_CONTENT_DIGEST: digest,
            HEADER_DOCKER_DISTRIBUTION_API_VERSION: REGISTRY_API_VERSION,
            HEADER_ACCEPT_RANGES: ranges.UNIT,
        }
        if blob.stored is not None:
            return await self._serve_stored(request, blob.stored.content_artifact, headers)
        if request.method == "HEAD":  # Range is for GET only
            size = await blob.size()
            if size is not None:
                headers[HEADER_CONTENT_LENGTH] = str(size)
            return web.Response(headers=headers)
        opened = await blob.open()
        if opened.local:
            return await self._serve_stored(request, opened.content_artifact, headers)
        return await self._serve_feed(request, opened, digest, headers)

    async def _serve_stored(self, request, content_artifact, headers):
        """A stored blob, by pulpcore (sendfile, or a redirect to the storage)."""
        span = wanted_span(request, content_artifact.artifact.size)
        ranged = with_range(request, span)
        response = await compat.serve_stored_artifact(self, content_artifact, headers, ranged)
        return response if ranged is request else compat.prepared_for(response, ranged)

    async def _serve_feed(self, request, feed, digest, headers):
        """A blob being fetched: the bytes the client asked for, as they arrive.

        A range is sent as its bytes arrive, like a whole blob, and like a whole blob its last
        bytes wait until the fetch has checked the whole blob against the digest; when the
        check fails the connection is cut. So the response never completes with bytes that
        did not check out, and the client needs no second request to upstream (which could
        not be checked: a digest covers the whole blob only).
        """
        try:
            span = wanted_span(request, feed.size)
            if span is None:
                response = web.StreamResponse(headers=headers)
                if feed.size is not None:
                    response.content_length = feed.size
                chunks = feed.chunks()
            else:
                response = web.StreamResponse(status=206, headers=headers)
                response.headers[HEADER_CONTENT_RANGE] = span.content_range
                response.content_length = span.length
                chunks = feed.chunks(span.first, span.stop)
            request[STREAMING_KEY] = True
            await response.prepare(request)
            async for chunk in chunks:
                await response.write(chunk)
        except FeedBroken as exc:
            log.warning("Streaming %s stopped: %s; cutting the connection", digest, exc)
            if request.transport is not None:
                request.transport.abort()
            raise ConnectionAbortedError(str(exc)) from exc
        finally:
            feed.close()
        await response.write_eof()
        return response
