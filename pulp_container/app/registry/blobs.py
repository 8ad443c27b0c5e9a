"""GET|HEAD /v2/<name>/blobs/<digest>: a blob's bytes, stored or fetched from the remote.

Stored blobs are served by pulpcore's ``_serve_content_artifact`` (sendfile, Range, HEAD,
conditional requests). Blobs of on_demand and streamed repositories are fetched by pulpcore's
``_stream_remote_artifact``, which writes each chunk to the client as it arrives and, for
on_demand, saves the artifact at the end. Around it this module adds what a registry needs:

* one request per blob and host fetches with saving (``FetchLock``); concurrent ones stream
  without saving, so a blob is stored once however many clients ask at once;
* the bytes sent are hashed and checked against the digest; on a mismatch the connection is
  cut before the response completes, so no client takes corrupt bytes for the blob;
* upstream failures become registry errors in one place (``upstream_error``);
* the well-known empty layer that old images reference is answered from memory under every
  name the caller may pull, whether the repository holds it or not;
* a GET's Range is decided here, once the blob's size is known, the same way on every path
  (``ranges.py``): ``206`` with the span, ``416 RANGE_INVALID`` with ``Content-Range:
  bytes */<size>``, or the whole blob for a Range that is malformed, asks for several ranges,
  or comes with HEAD. pulpcore and aiohttp then see the span written out in full
  (``bytes=<first>-<last>``) or no Range at all, never the client's own words.
"""

import asyncio
import math
from datetime import timedelta
from logging import getLogger
from pathlib import Path

from aiohttp import ClientConnectionError, ClientResponseError, web
from multidict import CIMultiDict
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db.models import Min
from django.utils import timezone
from pulpcore.plugin.exceptions import TimeoutException
from pulpcore.plugin.models import ContentArtifact, Remote

from pulp_container.app import errors
from pulp_container.app.oci.digest import DigestVerifier
from pulp_container.app.oci.reference import validate_digest
from pulp_container.app.fetch.blobs import FeedBroken, PendingBlob
from pulp_container.app.registry.base import STREAMING_KEY, RegistryHandler
from pulp_container.app.registry import ranges
from pulp_container.app.registry.fetch_lock import FetchLock
from pulp_container.app.upstream.kept import with_kept_auth
from pulp_container.constants import (
    HEADER_ACCEPT_RANGES,
    EMPTY_LAYER_BYTES,
    EMPTY_LAYER_DIGEST,
    HEADER_CONTENT_LENGTH,
    HEADER_CONTENT_RANGE,
    HEADER_CONTENT_TYPE,
    HEADER_DOCKER_CONTENT_DIGEST,
    HEADER_DOCKER_DISTRIBUTION_API_VERSION,
    HEADER_RANGE,
    HEADER_RETRY_AFTER,
    MEDIA_TYPE_OCTET_STREAM,
    REGISTRY_API_VERSION,
)

log = getLogger(__name__)

LOCK_DIRECTORY = "container-blob-fetch"


def upstream_error(exc, digest):
    """The registry error a client gets when fetching `digest` from the remote failed."""
    detail = {"digest": digest}
    if isinstance(exc, ClientResponseError):
        if exc.status in (404, 410):
            return errors.RegistryError(errors.BLOB_UNKNOWN, detail=detail)
        if exc.status == 429:
            retry_after = (exc.headers or {}).get(HEADER_RETRY_AFTER)
            headers = {HEADER_RETRY_AFTER: retry_after} if retry_after else None
            return errors.RegistryError(
                errors.TOOMANYREQUESTS,
                detail=detail,
                message="the upstream registry is rate limiting requests for this blob",
                headers=headers,
            )
        return errors.RegistryError(
            errors.UPSTREAM_ERROR, detail={**detail, "upstream_status": exc.status}
        )
    if isinstance(exc, (asyncio.TimeoutError, TimeoutException)):
        return errors.RegistryError(
            errors.UPSTREAM_TIMEOUT,
            detail=detail,
            message="the upstream registry did not answer in time",
        )
    return errors.RegistryError(
        errors.UNAVAILABLE, detail=detail, message="the upstream registry cannot be reached"
    )


class VerifyingStreamResponse(web.StreamResponse):
    """A StreamResponse that checks a whole blob against its digest before it completes.

    The latest chunk is held back until the next one arrives; at the end it is sent only if
    the digest matches. On a mismatch the connection is cut instead, so the client gets a
    short body and an error, never a complete response with wrong bytes (a Content-Length
    alone would let the client take them).
    """

    # Of the headers pulpcore copies from the upstream's response, the ones that describe the
    # bytes we send; the upstream's others (Server, Set-Cookie, its Content-Type...) are not ours.
    _FROM_UPSTREAM = frozenset(("content-length", "content-range"))

    def __init__(self, request, digest, *, verify, headers, **kwargs):
        super().__init__(headers=headers, **kwargs)
        self._request = request
        self._verifier = DigestVerifier(digest) if verify else None
        self._held = None
        self._own = {name.lower() for name in headers}

    async def prepare(self, request):
        for name in list(self.headers):
            if name.lower() not in self._own and name.lower() not in self._FROM_UPSTREAM:
                del self.headers[name]
        return await super().prepare(request)

    async def write(self, data):
        if self._verifier is None:
            await super().write(data)
            return
        self._verifier.update(data)
        if self._held is not None:
            await super().write(self._held)
        self._held = bytes(data)

    async def write_eof(self, data=b""):
        if self._verifier is not None:
            if data:
                self._verifier.update(data)
            if not self._verifier.matches():
                log.error(
                    "Blob %s from the remote hashes to %s; cutting the connection",
                    self._verifier.expected,
                    self._verifier.actual,
                )
                transport = self._request.transport
                if transport is not None:
                    transport.abort()
                raise ConnectionAbortedError(f"digest mismatch for {self._verifier.expected}")
            if self._held is not None:
                await super().write(self._held)
                self._held = None
        await super().write_eof(data)


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


def prepared_for(response, request):
    """`response`, prepared for `request` when aiohttp prepares it.

    aiohttp prepares the response a handler returns for the request it received: a
    FileResponse reads that request's Range again, and answers a Range it cannot parse with a
    bare 416. Handing it our request makes it send what ``wanted_span`` decided.
    """
    prepare = response.prepare
    response.prepare = lambda _received: prepare(request)
    return response


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
    return web.Response(
        status=206, body=EMPTY_LAYER_BYTES[span.first : span.stop], headers=headers
    )


class Blobs(RegistryHandler):
    async def get(self, request):  # also bound to HEAD
        digest = validate_digest(request.match_info["digest"])
        if digest == EMPTY_LAYER_DIGEST:
            await self.resolve(request)  # refuses names the caller may not pull, as for any blob
            return empty_layer_response(request)
        ctx, blob = await self.resolve(request, lambda store: store.blob(digest))
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
        if isinstance(blob, PendingBlob):
            return await self._serve_pending(request, blob, digest, headers)
        if blob.local:
            return await self._serve_stored(request, blob.content_artifact, headers)
        return await self._serve_remote(request, blob.content_artifact, digest, headers)

    async def _serve_stored(self, request, content_artifact, headers):
        """A stored blob, by pulpcore (sendfile, or a redirect to the storage)."""
        span = wanted_span(request, content_artifact.artifact.size)
        ranged = with_range(request, span)
        response = await self._serve_content_artifact(content_artifact, headers, ranged)
        return response if ranged is request else prepared_for(response, ranged)

    async def _serve_pending(self, request, blob, digest, headers):
        """A pull-through blob not stored yet: fetched once (whole) for all who ask, each
        streaming the bytes it asked for as they arrive.

        A range is sent as its bytes arrive, like a whole blob, and like a whole blob its last
        bytes wait until the fetch has checked the whole blob against the digest; when the
        check fails the connection is cut. So the response never completes with bytes that
        did not check out, and the client needs no second request to upstream (which could
        not be checked: a digest covers the whole blob only).
        """
        if request.method == "HEAD":  # Range is for GET only
            size = await blob.head()
            if size is not None:
                headers[HEADER_CONTENT_LENGTH] = str(size)
            return web.Response(headers=headers)
        opened = await blob.open()
        if opened.local:
            return await self._serve_stored(request, opened.content_artifact, headers)
        try:
            span = wanted_span(request, opened.size)
            # The feed holds back the last bytes until the fetch verified the whole blob.
            if span is None:
                response = web.StreamResponse(headers=headers)
                if opened.size is not None:
                    response.content_length = opened.size
                chunks = opened.chunks()
            else:
                response = web.StreamResponse(status=206, headers=headers)
                response.headers[HEADER_CONTENT_RANGE] = span.content_range
                response.content_length = span.length
                chunks = opened.chunks(span.first, span.stop)
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
            opened.close()
        await response.write_eof()
        return response

    async def _serve_remote(self, request, content_artifact, digest, headers):
        remote_artifacts, retry_in = await sync_to_async(_usable_remote_artifacts)(
            content_artifact
        )
        if not remote_artifacts and retry_in:
            raise errors.RegistryError(
                errors.UNAVAILABLE,
                detail={"digest": digest},
                message=(
                    f"the last fetch of this blob from the upstream registry failed; it is "
                    f"tried again in {retry_in} s (REMOTE_CONTENT_FETCH_FAILURE_COOLDOWN)"
                ),
                headers={HEADER_RETRY_AFTER: str(retry_in)},
            )
        if not remote_artifacts:
            raise errors.RegistryError(
                errors.BLOB_UNKNOWN,
                detail={"digest": digest},
                message=(
                    "blob is not stored, and no remote may fetch it on demand (an immediate "
                    "repository's blobs come back with its next sync)"
                ),
            )
        size = next((ra.size for ra in remote_artifacts if ra.size), None)
        ranged = with_range(request, wanted_span(request, size))
        if request.method == "HEAD":
            if size is not None:
                headers[HEADER_CONTENT_LENGTH] = str(size)
            return web.Response(headers=headers)

        lock = FetchLock(Path(settings.WORKING_DIRECTORY) / LOCK_DIRECTORY, digest)
        leader = lock.acquire()
        try:
            if leader:
                stored = await sync_to_async(_reload)(content_artifact)
                if stored.artifact_id is not None:
                    return await self._serve_stored(request, stored, headers)
            return await self._stream(ranged, remote_artifacts, digest, headers, size, leader)
        finally:
            lock.release()
            if ranged is not request:  # the middleware reads it from the request it passed
                request[STREAMING_KEY] = ranged.get(STREAMING_KEY, False)

    async def _stream(self, request, remote_artifacts, digest, headers, size, leader):
        whole = request.http_range.start is None and request.http_range.stop is None
        last_error = None
        for remote_artifact in remote_artifacts:
            save = leader and remote_artifact.remote.policy != Remote.STREAMED
            response = VerifyingStreamResponse(request, digest, verify=whole, headers=headers)
            if whole and size is not None:
                response.content_length = size
            request[STREAMING_KEY] = True
            try:
                return await self._stream_remote_artifact(
                    request, response, remote_artifact, save_artifact=save
                )
            except Exception as exc:
                if response.prepared:
                    _cut(request, digest, exc)
                if not isinstance(exc, _FETCH_FAILURES):
                    raise
                request[STREAMING_KEY] = False
                log.warning("Fetching %s from %s failed: %s", digest, remote_artifact.url, exc)
                last_error = exc
        raise upstream_error(last_error, digest)


# What a fetch that failed before a byte was sent may raise: another remote may then be tried.
_FETCH_FAILURES = (TimeoutError, TimeoutException, ClientResponseError, ClientConnectionError)


def _cut(request, digest, exc):
    """Cut the client's connection: its response started, and the fetch behind it failed.

    The client sees a short body and a broken connection, never a whole-looking response. The
    downloader does not retry once bytes were passed on (``BodyBrokenOff``), and pulpcore
    removes the partial file, so nothing is stored.
    """
    log.warning("Fetching %s failed mid-response: %s; cutting the connection", digest, exc)
    if request.transport is not None:
        request.transport.abort()
    raise ConnectionAbortedError(f"fetching {digest} failed: {exc}") from exc


def _usable_remote_artifacts(content_artifact):
    """The RemoteArtifacts to try, each remote with the upstream tokens this process keeps
    for it (reused from one blob to the next), and when none may be tried because their last
    fetch failed (pulpcore's REMOTE_CONTENT_FETCH_FAILURE_COOLDOWN), the seconds until one may.

    Not those of immediate remotes: an immediate repository holds its blobs and never fetches
    one for a pull. Its blob has no file only once reclaim space removed it; the registry then
    answers BLOB_UNKNOWN until a sync stores it again.
    """
    now = timezone.now()
    cooldown = timedelta(seconds=settings.REMOTE_CONTENT_FETCH_FAILURE_COOLDOWN)
    candidates = content_artifact.remoteartifact_set.exclude(remote__policy=Remote.IMMEDIATE)
    remote_artifacts = list(
        candidates.select_related("remote").exclude(failed_at__gte=now - cooldown).order_by_acs()
    )
    for remote_artifact in remote_artifacts:
        remote_artifact.remote = with_kept_auth(remote_artifact.remote)
    retry_in = 0
    if not remote_artifacts:
        failed = candidates.aggregate(first=Min("failed_at"))["first"]
        if failed is not None:
            retry_in = max(1, math.ceil((failed + cooldown - now).total_seconds()))
    return remote_artifacts, retry_in


def _reload(content_artifact):
    return ContentArtifact.objects.select_related("artifact", "artifact__pulp_domain").get(
        pk=content_artifact.pk
    )
