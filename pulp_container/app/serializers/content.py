"""REST serializers of container content: blobs, manifests and tags."""

from gettext import gettext as _

from rest_framework import serializers

from pulpcore.plugin.serializers import (
    DetailRelatedField,
    NoArtifactContentSerializer,
    SingleArtifactContentSerializer,
)

from .. import models


class BlobSerializer(SingleArtifactContentSerializer):
    """A blob: a config or a layer, addressed by its digest."""

    digest = serializers.CharField(read_only=True, help_text=_("sha256 digest of the blob."))

    class Meta:
        fields = SingleArtifactContentSerializer.Meta.fields + ("digest",)
        model = models.Blob


class ManifestSerializer(NoArtifactContentSerializer):
    """An image manifest, OCI index or Docker manifest list."""

    digest = serializers.CharField(read_only=True, help_text=_("sha256 digest of the manifest."))
    media_type = serializers.CharField(read_only=True)
    schema_version = serializers.IntegerField(read_only=True)
    config_blob = DetailRelatedField(
        view_name_pattern=r"contents(-.*/.*)-detail", read_only=True, allow_null=True
    )
    blobs = DetailRelatedField(
        many=True, view_name_pattern=r"contents(-.*/.*)-detail", read_only=True
    )
    listed_manifests = DetailRelatedField(
        many=True, view_name_pattern=r"contents(-.*/.*)-detail", read_only=True
    )
    platforms = serializers.SerializerMethodField(
        help_text=_("For an index or manifest list: each listed manifest's digest and platform.")
    )
    annotations = serializers.JSONField(read_only=True)
    labels = serializers.JSONField(read_only=True)
    architecture = serializers.CharField(read_only=True, allow_null=True)
    os = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        fields = NoArtifactContentSerializer.Meta.fields + (
            "digest",
            "media_type",
            "schema_version",
            "config_blob",
            "blobs",
            "listed_manifests",
            "platforms",
            "annotations",
            "labels",
            "architecture",
            "os",
        )
        model = models.Manifest

    def get_platforms(self, manifest) -> list[dict]:
        return [
            {
                "digest": link.image_manifest.digest,
                "architecture": link.architecture,
                "os": link.os,
                "os_version": link.os_version,
                "os_features": link.os_features,
                "features": link.features,
                "variant": link.variant,
            }
            for link in manifest.manifest_list_links.all()
        ]


class TagSerializer(NoArtifactContentSerializer):
    """A tag: a name pointing at one manifest."""

    name = serializers.CharField(read_only=True)
    tagged_manifest = DetailRelatedField(
        view_name_pattern=r"contents(-.*/.*)-detail", read_only=True
    )

    class Meta:
        fields = NoArtifactContentSerializer.Meta.fields + ("name", "tagged_manifest")
        model = models.Tag
