"""The local store: manifests, blobs and tags of one repository version, in one query each.

`ServedStore` is the Store (``protocol.py``) of a distribution: its methods are coroutines
that run the lookups in the ORM's thread. A blob whose bytes are not stored yet (on_demand
and streamed repositories) comes back as a ``deferred.RemoteBlob``, fetched when opened.

Manifest lookups are also cached per version (versions are immutable), so a repeated one costs
no query at all.

Every lookup filters on the indexed key first (tag name, digest) and then on membership in the
version (its ``content_ids``), so what a lookup costs does not grow with the number of
repositories, versions or content units in the database.
"""

import threading
import time
from collections import OrderedDict

from asgiref.sync import sync_to_async
from django.db.models import F, Func
from pulpcore.plugin.models import ContentArtifact, RepositoryVersion

from pulp_container.app import process_state, served_versions
from pulp_container.app.db.connections import replacing_broken_connection
from pulp_container.app.models import Blob, ContainerPushedBlob, Manifest, Tag
from pulp_container.app.stores import deferred
from pulp_container.app.stores.stored import StoredBlob, StoredManifest

# Manifests kept per (version, reference) in each content app process; typical manifests are
# 0.5-10 KiB, so this is a few MiB.
MANIFEST_CACHE_ENTRIES = 1024


async def in_orm_thread(function, *args):
    """``function(*args)`` (blocking, read-only) in the ORM's thread; a database connection
    that broke (PostgreSQL restarted) is replaced and it runs once more."""
    return await sync_to_async(replacing_broken_connection)(function, *args)


class _Kept:
    """The last `size` answers of `_manifest`, by its arguments (an LRU that can be peeked at
    from the event loop, so a repeated lookup needs no trip to the ORM's thread)."""

    def __init__(self, size):
        self.size = size
        self.answers = OrderedDict()
        self.lock = threading.Lock()  # the event loop peeks, the ORM's thread puts

    def peek(self, key):
        """(True, answer) when kept, else (False, None)."""
        with self.lock:
            if key not in self.answers:
                return False, None
            self.answers.move_to_end(key)
            return True, self.answers[key]

    def put(self, key, answer):
        with self.lock:
            self.answers[key] = answer
            self.answers.move_to_end(key)
            while len(self.answers) > self.size:
                self.answers.popitem(last=False)

    def clear(self):
        with self.lock:
            self.answers.clear()


_kept_manifests = _Kept(MANIFEST_CACHE_ENTRIES)


def _manifest(version_pk, by, value):
    """`_look_up_manifest`, kept (see there). Blocking on a miss."""
    key = (version_pk, by, value)
    known, answer = _kept_manifests.peek(key)
    if not known:
        answer = _look_up_manifest(version_pk, by, value)
        _kept_manifests.put(key, answer)
    return answer


_manifest.cache_clear = _kept_manifests.clear  # as functools.lru_cache offers it, for tests


def _look_up_manifest(version_pk, by, value):
    """A manifest of a version by tag or digest (None if absent), cached by version.

    A repository version's content never changes once the version exists, so the answer for
    (version, tag) or (version, digest) can be kept as long as the process lives; what a
    distribution serves is still decided per request (the version pk comes from it).
    """
    members = LocalStore(version_pk)._members
    if by == "tag":
        row = (
            members(Tag.objects.filter(name=value))
            .values_list(
                "tagged_manifest__digest", "tagged_manifest__media_type", "tagged_manifest__data"
            )
            .first()
        )
    else:
        row = (
            members(Manifest.objects.filter(digest=value))
            .values_list("digest", "media_type", "data")
            .first()
        )
    return StoredManifest.from_row(row) if row else None


process_state.register("registry.manifests", _manifest.cache_clear)


class LocalStore:
    """Lookups in one repository version, known by its primary key.

    Manifest and tag lookups read values, not model instances: building pulpcore models costs
    more than the query itself.
    """

    def __init__(self, version_pk):
        self.version_pk = version_pk

    def _members(self, queryset):
        """`queryset` narrowed to the version's content (``RepositoryVersion.content_ids``).

        The same unnest subquery as ``RepositoryVersion.content_ids_subquery()``, built from the
        primary key alone so the version row need not be loaded.
        """
        content_ids = (
            RepositoryVersion.objects.filter(pk=self.version_pk)
            .annotate(cids=Func(F("content_ids"), function="unnest"))
            .values_list("cids", flat=True)
        )
        return queryset.filter(pk__in=content_ids)

    def manifest_by_tag(self, tag):
        """The manifest `tag` points at, or None."""
        return _manifest(self.version_pk, "tag", tag)

    def manifest_by_digest(self, digest):
        """The manifest with `digest`, or None."""
        return _manifest(self.version_pk, "digest", digest)

    def blob(self, digest, deferred_too=True):
        """The blob with `digest`: a StoredBlob, a ``deferred.RemoteBlob`` when its bytes are
        not stored yet (None instead unless `deferred_too`), or None."""
        content_artifact = (
            ContentArtifact.objects.filter(
                relative_path=digest,
                content__in=self._members(Blob.objects.filter(digest=digest)).values("pk"),
            )
            .select_related("artifact", "artifact__pulp_domain")
            .first()
        )
        if content_artifact is None:
            return None
        if content_artifact.artifact_id is None:
            return deferred.remote_blob(digest, content_artifact) if deferred_too else None
        return StoredBlob(digest=digest, content_artifact=content_artifact)

    def tags(self, page_request):
        """Tag names sorted, after ``page_request.last``, at most ``page_request.fetch``."""
        queryset = self._members(Tag.objects.all())
        if page_request.last is not None:
            queryset = queryset.filter(name__gt=page_request.last)
        names = queryset.order_by("name").values_list("name", flat=True).distinct()
        return list(names[: page_request.fetch])


def _any_blob_has(digest):
    """Whether any blob in the database has `digest` (one indexed query): when none has, no
    earlier version and no push holds it, and a miss needs no further lookups. Clients that
    push ask for each blob before they upload it, so such misses are common."""
    return Blob.objects.filter(digest=digest).exists()


def pushed_content_artifact(repository_pk, digest):
    """The ContentArtifact (with its artifact) of the blob `digest` pushed into the repository
    and not yet in a version of it (``models/push.py``), or None. One query.

    A client that uploaded a blob may ask for it before it pushes the manifest that takes it
    into a version.
    """
    return (
        ContentArtifact.objects.filter(
            relative_path=digest,
            artifact__isnull=False,
            content__in=ContainerPushedBlob.objects.filter(
                repository_id=repository_pk, blob__digest=digest
            ).values("blob_id"),
        )
        .select_related("artifact", "artifact__pulp_domain")
        .first()
    )


class ServedStore:
    """The Store of what a distribution serves: the version it serves now, and, by digest only,
    the versions it served within the grace period (``served_versions.py``), so that a pull
    begun before a switch gets the image it began, whole.

    Args:
        served: the distribution (``served.Served``).
        clock: gives epoch seconds now.
    """

    def __init__(self, served, clock=time.time):
        self.current = LocalStore(served.version_pk)
        self._served = served
        self._clock = clock

    @property
    def version_pk(self):
        return self.current.version_pk

    async def manifest_by_tag(self, tag):
        """The manifest `tag` points at in the version served now, or None."""
        known, answer = _kept_manifests.peek((self.current.version_pk, "tag", tag))
        if known:
            return answer
        return await in_orm_thread(self.current.manifest_by_tag, tag)

    async def manifest_by_digest(self, digest):
        """The manifest with `digest`, served now or recently, or None."""
        known, answer = _kept_manifests.peek((self.current.version_pk, "digest", digest))
        if known and answer is not None:
            return answer
        return await in_orm_thread(self._first, lambda store: store.manifest_by_digest(digest))

    async def blob(self, digest):
        """The blob with `digest`, served now or recently, or pushed into the repository
        served (awaiting its manifest: ``pushed_content_artifact``), or None."""
        return await in_orm_thread(self._blob, digest)

    def _blob(self, digest):
        return self._look_up_blob(digest, deferred_too=True, pushed_too=True)

    async def stored_blob(self, digest):
        """The StoredBlob `digest`, served now or recently, when its bytes are stored; else
        None (for a store composing this one, which fetches the others its own way)."""
        return await in_orm_thread(self._look_up_blob, digest, False, False)

    def _look_up_blob(self, digest, deferred_too, pushed_too):
        """The blob `digest` in the version served now, else (when some blob has that digest)
        in those served recently, else, with `pushed_too`, among the blobs pushed into the
        repository served; `deferred_too` as for ``LocalStore.blob``."""
        found = self.current.blob(digest, deferred_too)
        if found is not None or not _any_blob_has(digest):
            return found
        found = self._in_recent(lambda store: store.blob(digest, deferred_too))
        repository_pk = self._served.following_repository_pk
        if found is None and pushed_too and repository_pk is not None:
            content_artifact = pushed_content_artifact(repository_pk, digest)
            if content_artifact is not None:
                found = StoredBlob(digest=digest, content_artifact=content_artifact)
        return found

    async def tags(self, page_request):
        """Tag names of the version served now (see ``LocalStore.tags``)."""
        return await in_orm_thread(self.current.tags, page_request)

    def _first(self, lookup):
        found = lookup(self.current)
        return found if found is not None else self._in_recent(lookup)

    def _in_recent(self, lookup):
        """What `lookup` finds in the versions served within the grace period, or None."""
        recent = served_versions.recent_version_pks(
            self._served.pk,
            self._served.following_repository_pk,
            self.current.version_pk,
            self._clock(),
        )
        for version_pk in recent:
            found = lookup(LocalStore(version_pk))
            if found is not None:
                return found
        return None
