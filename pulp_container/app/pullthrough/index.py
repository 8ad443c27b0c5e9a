"""What a pull-through cache holds for one name: reads, and the writes of ``ingest.py``.

`CacheIndex` is what ``store.py`` asks about the cache (the store itself has no Django): the
answer upstream last gave for a tag or digest, the manifests and blobs fetched through this
name, and the writes after a fetch.

Reads run in the ORM's thread, as every lookup of the content app does. Writes run in a
thread of their own, with a database connection of their own: a manifest is stored after its
client was answered, and storing it (longest the first time, when the name's repository is
created) must not hold up the lookups of the blob requests that follow at once. That thread
runs at a lower CPU priority: its CPU competes with the blobs the same pull streams right
then (bench/README.md shows what it cost a cold pull of a new name).

A manifest or blob is served from the cache only when it came through this very name: a
manifest by an answer of this name pointing at it, a blob by a RemoteArtifact on this name's
ContainerRemote. Content Pulp holds for other repositories is used only after upstream
confirms it has it under this name, so the cache never serves what its users could not have
pulled through it.

The cache's objects (repository, remote, distribution: ``resolver.ensure_cache``) are created
only when a manifest is stored, the first thing its repository version holds. A blob fetched
before its name has a cache is kept as a Blob with its bytes and no RemoteArtifact: found again
by digest (``in_pulp``; served once this name fetched it or upstream confirms it with a HEAD,
see ``blobs.py``) until a manifest of the name lists it;
storing that manifest gives its ContentArtifact, bytes and all, the cache's RemoteArtifact.
"""

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime

from asgiref.sync import sync_to_async
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from pulpcore.plugin.models import Artifact, ContentArtifact, RemoteArtifact
from pulpcore.plugin.util import get_domain

from pulp_container.app.db.compiled import CompiledQuery
from pulp_container.app.db.connections import replacing_broken_connection
from pulp_container.app.fetch.blobs import fetched_from_upstream
from pulp_container.app.fetch.streaming import later
from pulp_container.app.models import Blob, Manifest, PullThroughAnswer
from pulp_container.app.oci.manifest import parse_manifest
from pulp_container.app.oci.reference import is_valid_digest, parse_digest
from pulp_container.app.pullthrough import ingest, resolver
from pulp_container.app.stores.stored import StoredBlob, StoredManifest
from pulp_container.app.thread_pools import INDEX_WRITES


def _writing(function):
    """`function` (blocking) as a coroutine run in the writing thread. When it meets a
    database connection that broke (PostgreSQL restarted), the thread's connection is replaced
    and it runs once more (``db/connections.py``)."""
    return sync_to_async(
        functools.partial(replacing_broken_connection, function),
        thread_sensitive=False,
        executor=INDEX_WRITES.executor,
    )


def _blobs(relative_path, digest, remote):
    """The ContentArtifact of the blob `digest` (`relative_path` is the digest too) as
    (pk, artifact_id, linked size): the size a RemoteArtifact of `remote` (the name's
    ContainerRemote) gives it, -1 when that one does not know the size, None when there is
    none."""
    from_remote = RemoteArtifact.objects.filter(
        content_artifact=OuterRef("pk"), remote_id=remote
    ).annotate(known_size=Coalesce("size", Value(-1)))
    return (
        ContentArtifact.objects.filter(
            relative_path=relative_path,
            content__in=Blob.objects.filter(digest=digest, _pulp_domain=get_domain()).values("pk"),
        )
        .annotate(linked_size=Subquery(from_remote.values("known_size")[:1]))
        .values_list("pk", "artifact_id", "linked_size")[:1]
    )


def _artifacts(algorithm, encoded):
    """An Artifact whose `algorithm` checksum is `encoded`, as (pk,)."""
    return Artifact.objects.filter(pulp_domain=get_domain(), **{algorithm: encoded}).values_list(
        "pk"
    )[:1]


# Looked up for every blob request of a pulled-through name: compiled once per process
# (``db/compiled.py``).
_blob_query = CompiledQuery(_blobs)
_artifact_queries = {}  # algorithm -> CompiledQuery of _artifacts
_NO_REMOTE = uuid.UUID(int=0)  # before the name has a cache, no RemoteArtifact is its own


@dataclass(frozen=True)
class Answer:
    """What upstream last said about a reference: a digest, or the code of its 404."""

    digest: str | None
    missing: str | None
    age: float
    """Seconds since upstream said it."""


@dataclass(frozen=True)
class CachedBlob:
    """A blob as the cache knows it.

    ``stored``: its bytes in Pulp, if any. ``linked``: it came through this name (a manifest
    fetched here lists it, or it was fetched here), so upstream has it under this name.
    ``size``: its size as that manifest states it. ``in_pulp``: Pulp holds its bytes (maybe
    for another repository).
    """

    stored: StoredBlob | None
    linked: bool
    size: int | None = None
    in_pulp: bool = False


class CacheIndex:
    """The cache of one requested name (a resolver.PullThrough)."""

    def __init__(self, target):
        self.target = target

    @property
    def cache(self):
        """The CacheRef, looked up again while unknown: another request may create it."""
        if self.target.cache is None:
            cache = resolver.cache_of(self.target)
            if cache is not None:
                self.target = resolver.replace_cache(self.target, cache)
        return self.target.cache

    # --- reads ------------------------------------------------------------------------------

    async def answer(self, reference):
        return await sync_to_async(self._answer)(reference)

    def _answer(self, reference):
        row = (
            PullThroughAnswer.objects.filter(
                distribution_id=self.target.pk,
                upstream_name=self.target.upstream_name,
                reference=reference,
            )
            .values_list("digest", "missing", "checked_at", "cache_id")
            .first()
        )
        if row is None:
            return None
        digest, missing, checked_at, cache_pk = row
        if digest is not None and (self.cache is None or cache_pk != self.cache.pk):
            return None  # from a cache since evicted
        return Answer(digest, missing, _age(checked_at))

    async def manifest(self, digest):
        """The manifest `digest` if it came through this name, else None."""
        return await sync_to_async(self._manifest)(digest)

    def _manifest(self, digest):
        if self.cache is None:
            return None
        linked = PullThroughAnswer.objects.filter(cache_id=self.cache.pk, digest=digest)
        if not linked.exists():
            return None
        return self._stored_manifest(digest)

    async def stored_manifest(self, digest):
        """The manifest `digest` if Pulp holds it at all (for whatever repository)."""
        return await sync_to_async(self._stored_manifest)(digest)

    @staticmethod
    def _stored_manifest(digest):
        row = (
            Manifest.objects.filter(digest=digest, _pulp_domain=get_domain())
            .values_list("digest", "media_type", "data")
            .first()
        )
        return None if row is None else StoredManifest.from_row(row)

    async def blob(self, digest):
        return await sync_to_async(self.blob_now)(digest)

    def blob_now(self, digest):
        """What `blob` answers, blocking (for callers already in the ORM's thread). One or two
        queries compiled once per process, and a third to load a stored blob's ContentArtifact
        for serving."""
        cache = self.cache
        remote = cache.remote_pk if cache is not None else _NO_REMOTE
        rows = _blob_query.rows(
            (get_domain().pk,), relative_path=digest, digest=digest, remote=remote
        )
        pk, artifact_id, linked_size = rows[0] if rows else (None, None, None)
        linked = linked_size is not None
        size = linked_size if linked and linked_size >= 0 else None
        if artifact_id is not None:
            content_artifact = (
                ContentArtifact.objects.select_related("artifact", "artifact__pulp_domain")
                .filter(pk=pk)
                .first()
            )
            if content_artifact is not None:
                stored = StoredBlob(digest=digest, content_artifact=content_artifact)
                return CachedBlob(stored=stored, linked=linked, size=size, in_pulp=True)
        return CachedBlob(
            stored=None, linked=linked, size=size, in_pulp=self.holds_bytes_now(digest)
        )

    @staticmethod
    def holds_bytes_now(digest):
        """Whether Pulp holds the bytes of `digest` (for whatever repository). Blocking."""
        parsed = parse_digest(digest)
        query = _artifact_queries.get(parsed.algorithm)
        if query is None:
            query = _artifact_queries[parsed.algorithm] = CompiledQuery(
                functools.partial(_artifacts, parsed.algorithm)
            )
        return bool(query.rows((get_domain().pk,), encoded=parsed.encoded))

    async def tags(self, page_request):
        return await sync_to_async(self._tags)(page_request)

    def _tags(self, page_request):
        if self.cache is None:
            return []
        queryset = PullThroughAnswer.objects.filter(cache_id=self.cache.pk, digest__isnull=False)
        if page_request.last is not None:
            queryset = queryset.filter(reference__gt=page_request.last)
        names = queryset.order_by("reference").values_list("reference", flat=True)
        tags = []
        for name in names.iterator():
            if not is_valid_digest(name):
                tags.append(name)
                if len(tags) >= page_request.fetch:
                    break
        return tags

    # --- writes -----------------------------------------------------------------------------

    async def record_manifest(self, reference, parsed):
        """Store `parsed` (an oci Manifest upstream gave for `reference`); creates the cache.

        A new version, when the cache wants one, is requested once no blob streams on this
        host (the pull that asked for the manifest goes on with its blobs first).
        """
        wanted = await _writing(self._record_manifest)(reference, parsed)
        if wanted:
            cache = self.target.cache
            later(
                _writing(functools.partial(ingest.request_version, cache)),
                f"Requesting a version of the pull-through cache {self.target.name}",
            )

    def _record_manifest(self, reference, parsed):
        self._ensure_cache()
        return ingest.record_manifest(self.target, self.target.cache, reference, parsed)

    async def record_stored(self, reference, stored):
        """Upstream confirmed that `reference` is the manifest Pulp holds as `stored`."""
        parsed = parse_manifest(stored.data, stored.media_type)
        await self.record_manifest(reference, parsed)

    async def record_missing(self, reference, code):
        await _writing(ingest.record_missing)(self.target, reference, code)

    async def touch(self, reference):
        await _writing(ingest.touch)(self.target, reference)

    async def fetched_here(self, key):
        """Whether the blob fetch `key` of this name ended well with bytes from upstream (so
        upstream has them under this name)."""
        return await sync_to_async(fetched_from_upstream)(key)

    async def link_stored_blob(self, digest):
        """Upstream confirmed having `digest` under this name: the bytes Pulp holds, linked to
        the name's cache if it has one (None when Pulp no longer holds them)."""
        return await _writing(self._link_stored_blob)(digest)

    def _link_stored_blob(self, digest):
        artifact = ingest.stored_artifact(digest)
        if artifact is None:
            return None
        content_artifact = ingest.link_artifact(self.cache, digest, artifact)
        return StoredBlob(digest=digest, content_artifact=content_artifact)

    def _ensure_cache(self):
        if self.cache is None:
            cache = resolver.ensure_cache(self.target)
            self.target = resolver.replace_cache(self.target, cache)


def _age(moment: datetime):
    return (timezone.now() - moment).total_seconds()
