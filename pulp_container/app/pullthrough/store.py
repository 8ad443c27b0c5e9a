"""PullThroughStore: LocalStore's lookups for a pulled-through name, answered from the cache
first and from upstream when the cache has nothing, or nothing fresh enough.

* A tag upstream answered less than ``tag_ttl`` seconds ago is served as cached, without asking
  upstream. Later, one HEAD asks whether it moved: same digest, the answer is fresh again; a
  new digest is fetched (by digest) and stored.
* A manifest by digest never changes: once cached it is served without asking.
* An upstream 404 is remembered for ``miss_ttl`` seconds and answered as NAME_UNKNOWN or
  MANIFEST_UNKNOWN.
* When upstream fails (no connection, timeout, 429, 5xx) a cached tag is served anyway,
  marked stale (``warning``); without a cached copy the client gets the failure
  (``failures.py``).
* Concurrent requests for the same uncached thing share one upstream request (``once``).
* A fetched manifest is answered as soon as it is checked, and stored after: the request that
  fetched it does not wait for the database writes. Until they are done the manifest's digest
  is held (its flight), so a request for it by digest (docker asks by digest right after the
  tag) waits for the stored copy instead of fetching it again.

Blobs stored and linked to this name are served locally; any other is a pending blob that
fetches itself once, streaming to every client as the bytes arrive (``blob_fetch.py``).

No Django here: the cache index, the upstream, the single flight and the pending-blob factory
are handed in, and the unit tests hand in fakes.
"""

from dataclasses import replace
from logging import getLogger

from pulp_container.app import errors
from pulp_container.app.oci.exceptions import DigestMismatch, ManifestInvalid
from pulp_container.app.upstream import failures
from pulp_container.app.stores.stored import StoredManifest
from pulp_container.app.upstream import plan
from pulp_container.constants import HEADER_CONTENT_TYPE, HEADER_DOCKER_CONTENT_DIGEST

log = getLogger(__name__)

# The Warning header value (RFC 7234) of a cached manifest served because upstream failed.
STALE_WARNING = '110 - "Response is Stale"'
# Times a lookup waits for another request's fetch and looks again before giving up.
ROUNDS = 3


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
    """Lookups of one pulled-through name; the methods are coroutines but `blob`.

    Args:
        key: names this name in single-flight keys (distribution and upstream name).
        index: the cache (``index.CacheIndex``).
        upstream: the upstream repository (``upstream.Upstream``).
        once: ``await once(key, work)``, the single flight (``flights.once``): runs
            ``await work(answer)`` once for all who ask; returns what ``answer`` was given to the
            request that ran it, None to the others.
        pending_blob: ``pending_blob(store, digest, cached_blob)`` for a blob not held here.
        tag_ttl: seconds a tag answer stays fresh.
        miss_ttl: seconds a 404 answer stays fresh.
    """

    def __init__(self, key, index, upstream, once, pending_blob, tag_ttl, miss_ttl):
        self.key = key
        self.index = index
        self.upstream = upstream
        self.once = once
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
        for _ in range(ROUNDS):
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
                fetched = await self.once(
                    self._flight("manifest", tag),
                    lambda answer, cached=cached: self._refresh_tag(tag, cached, answer),
                )
            except errors.RegistryError as error:
                if cached is not None and failures.is_outage(error):
                    log.warning("Serving %s of %s stale: %s", tag, self.key, error.message)
                    return replace(cached, warning=STALE_WARNING)
                raise
            if fetched is not None:
                return fetched
        raise self._gave_up(tag)

    async def manifest_by_digest(self, digest):
        """The manifest `digest` (StoredManifest).

        Raises:
            RegistryError: as manifest_by_tag.
        """
        for _ in range(ROUNDS):
            found = await self.index.manifest(digest)
            if found is not None:
                return found
            answer = await self.index.answer(digest)
            if answer is not None and answer.missing is not None and self._fresh(answer):
                raise self._missing(answer, digest)
            fetched = await self.once(
                self._flight("manifest", digest),
                lambda answer: self._fetch_digest(digest, answer),
            )
            if fetched is not None:
                return fetched
        raise self._gave_up(digest)

    def _gave_up(self, reference):
        return errors.RegistryError(
            errors.UNAVAILABLE,
            detail={"reference": reference},
            message="the manifest is being fetched by another request; try again",
        )

    async def _refusal(self, status, headers, body, reference):
        """The error for an upstream error answer; a 404 is remembered."""
        where = self.upstream.where(failures.MANIFEST, reference)
        code = failures.missing_code(status, body)
        if code is not None:
            await self.index.record_missing(reference, code)
            return failures.missing(code, where)
        return failures.from_status(status, headers, where, body)

    async def _refresh_tag(self, tag, cached, answer):
        """Ask upstream about `tag` and store the answer (the single flight's work)."""
        found = await self.index.answer(tag)
        if found is not None and self._fresh(found):
            return  # another request's flight answered it just before this one took over
        if cached is not None:
            status, headers, _ = await self.upstream.manifest(tag, method="HEAD")
            if status != 200:
                raise await self._refusal(status, headers, b"", tag)
            digest = headers.get(HEADER_DOCKER_CONTENT_DIGEST)
            if digest == cached.digest:
                answer(cached)
                await self.index.touch(tag)
                return
            if digest:
                await self._fetch_known(tag, digest, answer)
                return
        status, headers, body = await self.upstream.manifest(tag)
        if status != 200:
            raise await self._refusal(status, headers, body, tag)
        where = self.upstream.where(failures.MANIFEST, tag)
        parsed = read_manifest(body, headers, where)
        await self._keep(_stored(parsed), answer, lambda: self.index.record_manifest(tag, parsed))

    async def _fetch_known(self, reference, digest, answer):
        """Store the manifest `digest` as upstream's answer for `reference` (a tag that moved)."""
        stored = await self.index.stored_manifest(digest)
        if stored is not None:
            await self._keep(stored, answer, lambda: self.index.record_stored(reference, stored))
            return
        status, headers, body = await self.upstream.manifest(digest)
        if status != 200:
            raise await self._refusal(status, headers, body, reference)
        where = self.upstream.where(failures.MANIFEST, reference)
        parsed = read_manifest(body, headers, where, requested=digest)
        await self._keep(
            _stored(parsed), answer, lambda: self.index.record_manifest(reference, parsed)
        )

    async def _fetch_digest(self, digest, answer):
        """Fetch manifest `digest`, or only confirm it (HEAD) when Pulp holds it already."""
        if await self.index.manifest(digest) is not None:
            return  # another request's flight stored it just before this one took over
        stored = await self.index.stored_manifest(digest)
        method = "HEAD" if stored is not None else "GET"
        status, headers, body = await self.upstream.manifest(digest, method=method)
        if status != 200:
            raise await self._refusal(status, headers, body, digest)
        if stored is not None:
            answer(stored)
            await self.index.record_stored(digest, stored)
            return
        where = self.upstream.where(failures.MANIFEST, digest)
        parsed = read_manifest(body, headers, where, requested=digest)
        answer(_stored(parsed))
        await self.index.record_manifest(digest, parsed)

    async def _keep(self, stored, answer, record):
        """Answer `stored` (a manifest upstream gave for a tag), then ``await record()``.

        The manifest's digest flight is held while it is recorded, so that a request for it
        by digest waits for the record instead of fetching it again. When another request
        holds that flight already (it fetches the digest itself), the tag is recorded after it.
        """
        led = False

        async def answer_and_record(_):
            nonlocal led
            led = True
            answer(stored)
            await record()

        try:
            await self.once(self._flight("manifest", stored.digest), answer_and_record)
        except errors.RegistryError:
            if led:
                raise
        if not led:
            answer(stored)
            await record()

    # --- blobs and tags ---------------------------------------------------------------------

    def blob(self, digest):
        """A StoredBlob this name holds, else a pending blob that fetches on opening.

        Blocking, unlike the other methods: the registry looks it up in the ORM's thread, in
        the trip that resolved the name (``RegistryHandler.resolve``)."""
        found = self.index.blob_now(digest)
        if found.stored is not None and found.linked:
            return found.stored
        return self.pending_blob(self, digest, found)

    async def tags(self, page_request):
        """The cached tags, sorted, after ``page_request.last``, at most ``fetch``."""
        return await self.index.tags(page_request)


def _stored(parsed):
    """The StoredManifest of `parsed` (an oci Manifest just fetched and checked)."""
    return StoredManifest(digest=parsed.digest, media_type=parsed.media_type, data=parsed.raw)
