"""LocalStore: find manifests, blobs and tags in one repository version, in one query each.

Every lookup filters on the indexed key first (tag name, digest) and then on membership in the
version (its ``content_ids``), so what a lookup costs does not grow with the number of
repositories, versions or content units in the database. The store is synchronous; handlers
call it through ``sync_to_async``.
"""

from dataclasses import dataclass

from pulpcore.plugin.models import ContentArtifact

from pulp_container.app.models import Blob, Manifest, Tag


@dataclass(frozen=True)
class StoredManifest:
    """What serving a manifest needs: its digest, media type and the exact bytes received."""

    digest: str
    media_type: str
    data: bytes

    @classmethod
    def from_model(cls, manifest):
        return cls(
            digest=manifest.digest, media_type=manifest.media_type, data=manifest.data.encode()
        )


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


class LocalStore:
    """Lookups in one repository version."""

    def __init__(self, version):
        self.version = version

    def _members(self, queryset):
        return self.version.get_content(queryset)

    def manifest_by_tag(self, tag):
        """The manifest `tag` points at, or None."""
        found = (
            self._members(Tag.objects.filter(name=tag))
            .select_related("tagged_manifest")
            .first()
        )
        return StoredManifest.from_model(found.tagged_manifest) if found else None

    def manifest_by_digest(self, digest):
        """The manifest with `digest`, or None."""
        manifest = self._members(Manifest.objects.filter(digest=digest)).first()
        return StoredManifest.from_model(manifest) if manifest else None

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
