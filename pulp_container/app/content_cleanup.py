"""What goes with a deleted manifest: its config blob, when nothing else needs it.

pulpcore's orphan cleanup deletes orphaned content in batches; when a batch meets a protected
relation it deletes that batch one unit at a time, skipping the units still protected.
``Manifest.config_blob`` protects the blob (a manifest never loses its config while it exists),
so an orphaned config blob met before its orphaned manifest was skipped, and only a second
cleanup removed it. Here the blob goes right after its last manifest, in the same transaction:
one cleanup removes a whole image. Layers and listed manifests need nothing of this: their
relations cascade.

A blob is left alone when a repository version holds it, another manifest still uses it (as
config or layer), or it drew interest after the manifest did (``timestamp_of_interest``: a
sync or pull in progress reuses it, and pulpcore's orphan protection time spares it).
"""

from django.db.models import Exists, OuterRef
from django.db.models.signals import post_delete
from django.dispatch import receiver

from pulp_container.app.models import Blob, BlobManifest, Manifest


def unused_config_blobs(manifest):
    """The config blob of the deleted `manifest`, if nothing keeps it (a queryset)."""
    if manifest.config_blob_id is None:
        return Blob.objects.none()
    return Blob.objects.filter(
        pk=manifest.config_blob_id,
        version_memberships__isnull=True,
        timestamp_of_interest__lte=manifest.timestamp_of_interest,
    ).exclude(
        Exists(Manifest.objects.filter(config_blob=OuterRef("pk")))
        | Exists(BlobManifest.objects.filter(manifest_blob=OuterRef("pk")))
    )


@receiver(post_delete, sender=Manifest)
def _delete_unused_config_blob(sender, instance, **kwargs):
    for blob in unused_config_blobs(instance):
        blob.delete()
