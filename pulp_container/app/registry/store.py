"""LocalStore: find manifests, blobs and tags in one repository version, in one query each.

Manifest lookups are also cached per version (versions are immutable), so a repeated one costs
no query at all.

Every lookup filters on the indexed key first (tag name, digest) and then on membership in the
version (its ``content_ids``), so what a lookup costs does not grow with the number of
repositories, versions or content units in the database. The store is synchronous; handlers
call it through ``sync_to_async``.
"""

import time
from dataclasses import dataclass
from functools import lru_cache

from django.db.models import F, Func
from pulpcore.plugin.models import ContentArtifact, RepositoryVersion

from pulp_container.app import served_versions
from pulp_container.app.models import Blob, ContainerPushedBlob, Manifest, Tag
from pulp_container.app.registry.stored import StoredManifest

# Manifests kept per (version, reference) in each content app process; typical manifests are
# 0.5-10 KiB, so this is a few MiB.
MANIFEST_CACHE_ENTRIES = 1024


@dataclass(frozen=True)
class StoredBlob:
    """A blob of the version and where its bytes are.

    ``content_artifact.artifact`` is None for on_demand and streamed repositories until the
    bytes are fetched; its RemoteArtifacts then say where from.
    """

    digest: str
    content_artifact: ContentArtifact

    @property
    def local(self):
        return self.content_artifact.artifact_id is not None


@lru_cache(maxsize=MANIFEST_CACHE_ENTRIES)
def _manifest(version_pk, by, value):
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

    def blob(self, digest):
        """The blob with `digest` and its ContentArtifact (with artifact), or None."""
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
        return StoredBlob(digest=digest, content_artifact=content_artifact)

    def tags(self, page_request):
        """Tag names sorted, after ``page_request.last``, at most ``page_request.fetch``."""
        queryset = self._members(Tag.objects.all())
        if page_request.last is not None:
            queryset = queryset.filter(name__gt=page_request.last)
        names = queryset.order_by("name").values_list("name", flat=True).distinct()
        return list(names[: page_request.fetch])


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
    """What a distribution serves: the version it serves now, and, by digest only, the versions
    it served within the grace period (``served_versions.py``), so that a pull begun before a
    switch gets the image it began, whole.

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

    def manifest_by_tag(self, tag):
        """The manifest `tag` points at in the version served now, or None."""
        return self.current.manifest_by_tag(tag)

    def manifest_by_digest(self, digest):
        """The manifest with `digest`, served now or recently, or None."""
        return self._first(lambda store: store.manifest_by_digest(digest))

    def blob(self, digest):
        """The blob with `digest`, served now or recently, or pushed into the repository
        served (awaiting its manifest: ``pushed_content_artifact``), or None."""
        found = self._first(lambda store: store.blob(digest))
        repository_pk = self._served.following_repository_pk
        if found is None and repository_pk is not None:
            content_artifact = pushed_content_artifact(repository_pk, digest)
            if content_artifact is not None:
                found = StoredBlob(digest=digest, content_artifact=content_artifact)
        return found

    def tags(self, page_request):
        """Tag names of the version served now (see ``LocalStore.tags``)."""
        return self.current.tags(page_request)

    def _first(self, lookup):
        found = lookup(self.current)
        if found is not None:
            return found
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
