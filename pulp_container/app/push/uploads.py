"""POST /v2/<name>/blobs/uploads/ and PATCH|PUT|GET|DELETE /v2/<name>/blobs/uploads/<uuid>.

The write half of the distribution spec for blobs: monolithic uploads (POST with ``digest``),
chunked ones (POST, PATCH..., PUT), cross-repository mounts (POST with ``mount`` and ``from``).
Bodies stream to the upload's file while they are hashed (``receive.py``); finishing hands the
file to the name's store (``store.PushStore``, which runs ``blobs.py``), which stores the blob
without reading the file again; a mount goes through the store too. Sessions are upload
bookkeeping, not content, and stay here and in ``sessions.py``: they live in the database and
their files in the upload directory, so POST, PATCH and PUT may reach different processes.
"""

import asyncio
import contextlib
from logging import getLogger

from aiohttp import web
from pulpcore.plugin.models import Artifact

from pulp_container.app import errors
from pulp_container.app.auth import scopes
from pulp_container.app.auth.service import may_pull_name
from pulp_container.app.oci.reference import is_valid_name, parse_digest, validate_digest
from pulp_container.app.push import files, hashing, sessions
from pulp_container.app.push.chunks import ChunkRangeInvalid, parse_content_range, range_header
from pulp_container.app.push.handler import PushHandler
from pulp_container.app.push.receive import receive
from pulp_container.app.registry.base import PREFIX, orm
from pulp_container.constants import (
    HEADER_CONTENT_LENGTH,
    HEADER_CONTENT_RANGE,
    HEADER_DOCKER_CONTENT_DIGEST,
    HEADER_DOCKER_UPLOAD_UUID,
    HEADER_LOCATION,
    HEADER_RANGE,
)

log = getLogger(__name__)


def upload_location(name, session_id):
    return f"{PREFIX}/{name}/blobs/uploads/{session_id}"


def blob_location(name, digest):
    return f"{PREFIX}/{name}/blobs/{digest}"


def _session_response(status, session):
    return web.Response(
        status=status,
        headers={
            HEADER_LOCATION: upload_location(session.name, session.pk),
            HEADER_RANGE: range_header(session.offset),
            HEADER_DOCKER_UPLOAD_UUID: str(session.pk),
            HEADER_CONTENT_LENGTH: "0",
        },
    )


def _created(name, digest):
    return web.Response(
        status=201,
        headers={
            HEADER_LOCATION: blob_location(name, digest),
            HEADER_DOCKER_CONTENT_DIGEST: digest,
            HEADER_CONTENT_LENGTH: "0",
        },
    )


def _digest_param(request):
    """The ``digest`` query parameter, validated.

    Raises:
        RegistryError: DIGEST_INVALID when missing or malformed.
    """
    digest = request.query.get("digest")
    if not digest:
        raise errors.RegistryError(
            errors.DIGEST_INVALID,
            detail={"digest": None},
            message="the digest query parameter is required to finish an upload",
        )
    validate_digest(digest)
    return digest


def _algorithms():
    return tuple(Artifact.DIGEST_FIELDS)


def _check_digest(digests, digest):
    """Raise DIGEST_INVALID unless the bytes hash to `digest`."""
    algorithm = parse_digest(digest).algorithm
    actual = digests.digest(algorithm)
    if actual is None:
        raise errors.RegistryError(
            errors.DIGEST_INVALID,
            detail={"digest": digest},
            message=f"digest algorithm {algorithm!r} is not enabled on this registry",
        )
    if actual != digest:
        raise errors.RegistryError(
            errors.DIGEST_INVALID,
            detail={"expected": digest, "actual": actual},
            message=f"the uploaded bytes hash to {actual}, not {digest}",
        )


def _busy(session):
    return errors.RegistryError(
        errors.BLOB_UPLOAD_INVALID,
        detail={"uuid": str(session.pk)},
        message="another request is writing to this upload",
    )


def _out_of_order(session, start):
    return errors.RegistryError(
        errors.RANGE_INVALID,
        detail={"uuid": str(session.pk), "offset": session.offset, "start": start},
        message=f"the chunk starts at {start}; the upload holds {session.offset} bytes",
        headers={
            HEADER_RANGE: range_header(session.offset),
            HEADER_LOCATION: upload_location(session.name, session.pk),
            HEADER_DOCKER_UPLOAD_UUID: str(session.pk),
        },
    )


def _check_chunk_start(request, session):
    """Refuse a chunk whose Content-Range does not start where the upload ends (416)."""
    try:
        span = parse_content_range(request.headers.get(HEADER_CONTENT_RANGE))
    except ChunkRangeInvalid as exc:
        raise errors.RegistryError(
            errors.BLOB_UPLOAD_INVALID, detail={"uuid": str(session.pk)}, message=str(exc)
        )
    if span is not None and span[0] != session.offset:
        raise _out_of_order(session, span[0])


async def _digests_of(session):
    """The running digests of the session's bytes: kept by this process, or rebuilt by
    reading its file once."""
    kept = hashing.running().take(session.pk, session.offset)
    if kept is not None:
        return kept
    try:
        return await asyncio.to_thread(
            hashing.rebuild, files.path_of(session.file_name), session.offset, _algorithms()
        )
    except OSError:
        raise errors.RegistryError(
            errors.BLOB_UPLOAD_UNKNOWN,
            detail={"uuid": str(session.pk)},
            message="the upload's data is gone (expired or removed)",
        )


async def _final_digests_of(session):
    """The digests of the session's bytes for finishing it: kept by this process, recorded
    with the session by the request that wrote them last, or rebuilt."""
    kept = hashing.running().take(session.pk, session.offset)
    if kept is not None:
        return kept
    recorded = session.digests
    if recorded is not None and set(recorded) == set(_algorithms()):
        return hashing.FinalDigests(recorded, session.offset)
    return await _digests_of(session)


async def _append(request, session):
    """Append the request's body to the session; the session and digests after it."""
    _check_chunk_start(request, session)
    digests = await _digests_of(session)
    try:
        received = await receive(request, session.file_name, session.offset, digests)
    except files.UploadBusy:
        raise _busy(session)
    except FileNotFoundError:
        raise sessions.unknown(session.pk)
    if received:
        session = await orm(sessions.advance, session, received, digests.hexdigests())
    hashing.running().keep(session.pk, digests)
    return session, digests


def _has_body(request):
    return request.body_exists and request.headers.get(HEADER_CONTENT_LENGTH) != "0"


class BlobUploads(PushHandler):
    """The upload routes; each method is one HTTP verb."""

    async def post(self, request):
        """Start an upload (202), upload monolithically (``digest``: 201) or mount (201)."""
        ctx = await self.writable(request)
        name = ctx.target.name
        mount, source = request.query.get("mount"), request.query.get("from")
        if mount and source:
            validate_digest(mount)
            size = None
            if await self._may_mount_from(ctx, source):
                size = await ctx.store.mount_blob(mount, source)
            if size is not None:
                return _created(name, mount)
        elif "digest" in request.query:
            return await self._monolithic(request, ctx, _digest_param(request))
        await orm(sessions.sweep_if_due)
        session = await orm(sessions.start, ctx.target)
        return _session_response(202, session)

    @staticmethod
    async def _may_mount_from(ctx, source):
        """Whether the caller may mount blobs from `source`: a valid name it may pull."""
        if not is_valid_name(source):
            return False
        identity = ctx.identity
        if identity.access is not None:
            return scopes.covers(identity.access, scopes.REPOSITORY, source, scopes.PULL)
        return await orm(may_pull_name, identity.user, source)

    async def _monolithic(self, request, ctx, digest):
        file_name = files.monolithic_file_name()
        await asyncio.to_thread(files.create, file_name)
        try:
            digests = hashing.Digests(_algorithms())
            await receive(request, file_name, 0, digests)
            _check_digest(digests, digest)
            await ctx.store.store_upload(file_name, digests, digest)
        finally:
            with contextlib.suppress(OSError):
                await asyncio.shield(asyncio.to_thread(files.remove, file_name))
        return _created(ctx.target.name, digest)

    async def _session(self, request, ctx):
        session_id = sessions.parse_id(request.match_info["uuid"])
        return await orm(sessions.find, session_id, ctx.target)

    async def patch(self, request):
        """Append a chunk: 202 with the Range held now; 416 when it starts elsewhere."""
        ctx = await self.writable(request)
        session = await self._session(request, ctx)
        session, _ = await _append(request, session)
        return _session_response(202, session)

    async def get(self, request):
        """Where an upload stands: 204 with its Range."""
        ctx = await self.writable(request)
        session = await self._session(request, ctx)
        return _session_response(204, session)

    async def delete(self, request):
        """Cancel an upload: 204; its file is removed."""
        ctx = await self.writable(request)
        session = await self._session(request, ctx)
        await orm(sessions.end, session)
        return web.Response(status=204, headers={HEADER_CONTENT_LENGTH: "0"})

    async def put(self, request):
        """Finish an upload (with an optional last chunk): 201, or 400 DIGEST_INVALID when the
        bytes hash otherwise, and then nothing is kept."""
        digest = _digest_param(request)
        ctx = await self.writable(request)
        session = await self._session(request, ctx)
        if _has_body(request):
            session, digests = await _append(request, session)
        else:
            digests = await _final_digests_of(session)
        if not await orm(sessions.claim, session):
            raise sessions.unknown(session.pk)
        hashing.running().forget(session.pk)
        try:
            _check_digest(digests, digest)
            await ctx.store.store_upload(session.file_name, digests, digest)
        finally:
            with contextlib.suppress(OSError):
                await asyncio.shield(asyncio.to_thread(files.remove, session.file_name))
        return _created(ctx.target.name, digest)
