"""PullThroughStore: the Store of a pulled-through name. It composes the local store of the
name's cache (what its repository version holds), asks the cache's index of upstream answers
next, then upstream, and keeps what upstream gave.

* A manifest by digest, or a blob, the cache's repository version holds is served from there
  (the local store), without asking anything else.
* A tag upstream answered less than ``tag_ttl`` seconds ago is served as cached, without asking
  upstream. Later, one HEAD asks whether it moved: same digest, the answer is fresh again; a
  new digest is fetched (by digest) and stored.
* A manifest by digest never changes: once cached it is served without asking.
* An upstream 404 is remembered for ``miss_ttl`` seconds and answered as NAME_UNKNOWN or
  MANIFEST_UNKNOWN.
* When upstream fails (no connection, timeout, 429, 5xx) a cached tag is served anyway,
  marked stale (``warning``); without a cached copy the client gets the failure
  (``upstream/failures.py``).
* Concurrent requests for the same uncached thing share one upstream request: the single
  flight (``fetch/flights.py``) returns the manifest fetched to each of them.
* A manifest fetched for a tag is answered as soon as it is checked, and stored after, under
  the flight of its digest (``flights.keep``): a request for it by digest (docker asks by
  digest right after the tag) waits for the stored copy instead of fetching it again.

Blobs stored and linked to this name are served locally; any other is a pending blob that
is fetched once for every client asking (``pullthrough/blobs.py``, ``fetch/blobs.py``).

No Django here: the local store, the cache index, the upstream, the single flight and the
pending-blob factory are handed in, and the unit tests hand in fakes.
"""

from dataclasses import replace
from logging import getLogger

from pulp_container.app import errors
from pulp_container.app.oci.exceptions import DigestMismatch, ManifestInvalid
from pulp_container.app.stores.stored import StoredManifest
from pulp_container.app.upstream import failures, plan
from pulp_container.constants import HEADER_CONTENT_TYPE, HEADER_DOCKER_CONTENT_DIGEST

log = getLogger(__name__)

# The Warning header value (RFC 7234) of a cached manifest served because upstream failed.
STALE_WARNING = '110 - "Response is Stale"'


def read_manifest(body, headers, where, requested=None):
    """Parse and check a manifest upstream sent.

    Raises:
        RegistryError: UPSTREAM_ERROR when it is invalid or not the digest claimed/asked.
    """
    try:
        return plan.read_manifest(
            body,
            headers.get(HEADER_CONTENT_TYPE),
            claimed=headers.get(HEADER_DOCKER_CONTENT_DIGEST),
            requested=requested,
        )
    except DigestMismatch as exc:
        raise failures.invalid(where, f"its digest is {exc.actual}, not {exc.expected}") from exc
    except ManifestInvalid as exc:
        raise failures.invalid(where, exc.message) from exc


class PullThroughStore:
    """The Store (``stores/protocol.py``) of one pulled-through name.

    Args:
        key: names this name in single-flight keys (distribution and upstream name).
        local: the local store of the name's cache (a ``stores.local.ServedStore`` of its
            distribution), or None while the name has none.
        index: the cache's index of upstream answers (``index.CacheIndex``).
        upstream: the upstream repository (``upstream.Upstream``).
        flights: the single flight (``fetch/flights.py``: ``once`` and ``keep``).
        pending_blob: ``pending_blob(store, digest, cached_blob)``, a Blob for one the cache
            does not hold.
        tag_ttl: seconds a tag answer stays fresh.
        miss_ttl: seconds a 404 answer stays fresh.
    """

    def __init__(self, key, local, index, upstream, flights, pending_blob, tag_ttl, miss_ttl):
        self.key = key
        self.local = local
        self.index = index
        self.upstream = upstream
        self.flights = flights
        self.pending_blob = pending_blob
        self.tag_ttl = tag_ttl
        self.miss_ttl = miss_ttl

    def _flight(self, kind, reference):
        return f"{kind}:{self.key}:{reference}"

    def _fresh(self, answer):
        ttl = self.tag_ttl if answer.digest is not None else self.miss_ttl
        return answer.age < ttl

    def _missing(self, answer, reference):
        return failures.missing(answer.missing, self.upstream.where(failures.MANIFEST, reference))

    # --- manifests --------------------------------------------------------------------------

    async def manifest_by_tag(self, tag):
        """The manifest `tag` points at (a StoredManifest, ``warning`` set when stale).

        Raises:
            RegistryError: NAME_UNKNOWN or MANIFEST_UNKNOWN (upstream says so), or the upstream
                failure when nothing is cached.
        """
        answer = await self.index.answer(tag)
        cached = None
        if answer is not None and answer.digest is not None:
            cached = await self.index.stored_manifest(answer.digest)
        if answer is not None and self._fresh(answer):
            if answer.missing is not None:
                raise self._missing(answer, tag)
            if cached is not None:
                return cached
        try:
            result = await self.flights.once(
                self._flight("manifest", tag), lambda: self._refresh_tag(tag, cached)
            )
        except errors.RegistryError as error:
            if cached is not None and failures.is_outage(error):
                log.warning("Serving %s of %s stale: %s", tag, self.key, error.message)
                return replace(cached, warning=STALE_WARNING)
            raise
        return StoredManifest.from_result(result)

    async def manifest_by_digest(self, digest):
        """The manifest `digest` (StoredManifest).

        Raises:
            RegistryError: as manifest_by_tag.
        """
        if self.local is not None:
            found = await self.local.manifest_by_digest(digest)
            if found is not None:
                return found
        found = await self.index.manifest(digest)
        if found is not None:
            return found
        answer = await self.index.answer(digest)
        if answer is not None and answer.missing is not None and self._fresh(answer):
            raise self._missing(answer, digest)
        result = await self.flights.once(
            self._flight("manifest", digest), lambda: self._fetch_digest(digest)
        )
        return StoredManifest.from_result(result)

    async def _refusal(self, status, headers, body, reference):
        """The error for an upstream error answer; a 404 is remembered."""
        where = self.upstream.where(failures.MANIFEST, reference)
        code = failures.missing_code(status, body)
        if code is not None:
            await self.index.record_missing(reference, code)
            return failures.missing(code, where)
        return failures.from_status(status, headers, where, body)

    async def _refresh_tag(self, tag, cached):
        """Ask upstream about `tag`, answer the manifest and keep it (a single flight's work).

        Returns:
            The manifest, ``StoredManifest.as_result``.
        """
        found = await self.index.answer(tag)
        if found is not None and self._fresh(found):
            # another request's flight answered it just before this one took over
            if found.missing is not None:
                raise self._missing(found, tag)
            stored = await self.index.stored_manifest(found.digest)
            if stored is not None:
                return stored.as_result()
        if cached is not None:
            status, headers, _ = await self.upstream.manifest(tag, method="HEAD")
            if status != 200:
                raise await self._refusal(status, headers, b"", tag)
            digest = headers.get(HEADER_DOCKER_CONTENT_DIGEST)
            if digest == cached.digest:
                await self.index.touch(tag)
                return cached.as_result()
            if digest:
                return await self._fetch_known(tag, digest)
        status, headers, body = await self.upstream.manifest(tag)
        if status != 200:
            raise await self._refusal(status, headers, body, tag)
        where = self.upstream.where(failures.MANIFEST, tag)
        parsed = read_manifest(body, headers, where)
        return await self._keep(_stored(parsed), lambda: self.index.record_manifest(tag, parsed))

    async def _fetch_known(self, reference, digest):
        """The manifest `digest`, kept as upstream's answer for `reference` (a tag that moved)."""
        stored = await self.index.stored_manifest(digest)
        if stored is not None:
            return await self._keep(stored, lambda: self.index.record_stored(reference, stored))
        status, headers, body = await self.upstream.manifest(digest)
        if status != 200:
            raise await self._refusal(status, headers, body, reference)
        where = self.upstream.where(failures.MANIFEST, reference)
        parsed = read_manifest(body, headers, where, requested=digest)
        return await self._keep(
            _stored(parsed), lambda: self.index.record_manifest(reference, parsed)
        )

    async def _fetch_digest(self, digest):
        """Fetch manifest `digest`, or only confirm it (HEAD) when Pulp holds it already, and
        record it (a single flight's work: requests waiting for it find it recorded)."""
        found = await self.index.manifest(digest)
        if found is not None:
            return found.as_result()  # another request's flight stored it just before
        stored = await self.index.stored_manifest(digest)
        method = "HEAD" if stored is not None else "GET"
        status, headers, body = await self.upstream.manifest(digest, method=method)
        if status != 200:
            raise await self._refusal(status, headers, body, digest)
        if stored is not None:
            await self.index.record_stored(digest, stored)
            return stored.as_result()
        where = self.upstream.where(failures.MANIFEST, digest)
        parsed = read_manifest(body, headers, where, requested=digest)
        await self.index.record_manifest(digest, parsed)
        return _stored(parsed).as_result()

    async def _keep(self, stored, record):
        """`stored` (a manifest upstream gave for a tag) as the flight's result, once
        ``await record()`` is under way in the flight of its digest: a request for it by
        digest waits for the record instead of fetching it again."""

        async def recording():
            await record()
            return stored.as_result()

        await self.flights.keep(self._flight("manifest", stored.digest), recording)
        return stored.as_result()

    # --- blobs and tags ---------------------------------------------------------------------

    async def blob(self, digest):
        """The Blob `digest`: stored in the cache's version or linked to this name, else a
        pending blob that is fetched when opened."""
        if self.local is not None:
            found = await self.local.stored_blob(digest)
            if found is not None:
                return found
        found = await self.index.blob(digest)
        if found.stored is not None and found.linked:
            return found.stored
        return self.pending_blob(self, digest, found)

    async def tags(self, page_request):
        """The cached tags, sorted, after ``page_request.last``, at most ``fetch``."""
        return await self.index.tags(page_request)


def _stored(parsed):
    """The StoredManifest of `parsed` (an oci Manifest just fetched and checked)."""
    return StoredManifest(digest=parsed.digest, media_type=parsed.media_type, data=parsed.raw)
