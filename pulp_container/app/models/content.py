"""Content of container repositories: blobs, manifests (with their relations), tags, signatures."""

from django.db import models
from pulpcore.plugin.models import (
    Content,
)
from pulpcore.plugin.util import get_domain_pk


class Blob(Content):
    """A blob (config or layer) identified by its digest; its bytes are one artifact."""

    PROTECTED_FROM_RECLAIM = False

    TYPE = "blob"
    repo_key_fields = ("digest",)

    digest = models.TextField(db_index=True)
    _pulp_domain = models.ForeignKey("core.Domain", default=get_domain_pk, on_delete=models.PROTECT)

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        unique_together = ("digest", "_pulp_domain")


class Manifest(Content):
    """An image manifest, index or manifest list, stored as the exact bytes received.

    The digest is computed over ``data`` encoded as UTF-8, which gives back the received bytes.
    """

    PROTECTED_FROM_RECLAIM = False

    TYPE = "manifest"
    repo_key_fields = ("digest",)

    digest = models.TextField(db_index=True)
    media_type = models.TextField()
    schema_version = models.IntegerField()
    data = models.TextField()

    config_blob = models.ForeignKey(
        Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="config_of"
    )
    blobs = models.ManyToManyField(Blob, through="BlobManifest", related_name="layer_of")
    listed_manifests = models.ManyToManyField(
        "self",
        through="ManifestListManifest",
        through_fields=("manifest_list", "image_manifest"),
        symmetrical=False,
        related_name="listed_in",
    )
    annotations = models.JSONField(default=dict)
    labels = models.JSONField(default=dict)
    architecture = models.TextField(null=True, blank=True)
    os = models.TextField(null=True, blank=True)
    # Computed from the manifest (and its config, its listed manifests) when it is created:
    # upstream/plan.manifest_fields; the 0006 migration filled them for older rows.
    compressed_image_size = models.BigIntegerField(null=True)
    type = models.TextField(null=True)
    is_bootable = models.BooleanField(default=False)
    is_flatpak = models.BooleanField(default=False)

    _pulp_domain = models.ForeignKey("core.Domain", default=get_domain_pk, on_delete=models.PROTECT)

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        unique_together = ("digest", "_pulp_domain")


class BlobManifest(models.Model):
    """A layer (or schema 1 fsLayer) that a manifest references."""

    manifest = models.ForeignKey(Manifest, on_delete=models.CASCADE, related_name="blob_links")
    manifest_blob = models.ForeignKey(Blob, on_delete=models.CASCADE, related_name="manifest_links")

    class Meta:
        unique_together = ("manifest", "manifest_blob")


class ManifestListManifest(models.Model):
    """A manifest listed by an index or manifest list, with the platform it is for."""

    image_manifest = models.ForeignKey(
        Manifest, on_delete=models.CASCADE, related_name="image_manifest_links"
    )
    manifest_list = models.ForeignKey(
        Manifest, on_delete=models.CASCADE, related_name="manifest_list_links"
    )
    architecture = models.TextField(blank=True, default="")
    os = models.TextField(blank=True, default="")
    os_version = models.TextField(blank=True, default="")
    os_features = models.JSONField(default=list)
    features = models.JSONField(default=list)
    variant = models.TextField(blank=True, default="")
    annotations = models.JSONField(default=dict)

    class Meta:
        unique_together = ("image_manifest", "manifest_list")


class ManifestSignature(Content):
    """A signature of a manifest (atomic container signature or cosign).

    Signing is not supported yet: the model gives the REST contract's signatures endpoint its
    shape, and no path creates rows.
    """

    TYPE = "signature"
    repo_key_fields = ("key_id", "digest")

    name = models.TextField(db_index=True)
    digest = models.TextField(db_index=True)
    type = models.TextField()
    key_id = models.TextField(db_index=True)
    timestamp = models.BigIntegerField()
    creator = models.TextField(blank=True, default="")
    fingerprint = models.TextField(null=True)
    data = models.TextField()
    signed_manifest = models.ForeignKey(
        Manifest, on_delete=models.CASCADE, related_name="signatures"
    )
    _pulp_domain = models.ForeignKey("core.Domain", default=get_domain_pk, on_delete=models.PROTECT)

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        unique_together = ("digest", "_pulp_domain")


class Tag(Content):
    """A tag name pointing at one manifest; a repository version holds one tag per name."""

    TYPE = "tag"
    repo_key_fields = ("name",)

    name = models.TextField(db_index=True)
    tagged_manifest = models.ForeignKey(Manifest, on_delete=models.CASCADE, related_name="tags")
    _pulp_domain = models.ForeignKey("core.Domain", default=get_domain_pk, on_delete=models.PROTECT)

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        unique_together = ("name", "tagged_manifest", "_pulp_domain")
