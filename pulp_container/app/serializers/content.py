"""REST serializers of container content: blobs, manifests and tags."""

from gettext import gettext as _

from pulpcore.plugin.serializers import (
    DetailRelatedField,
    NoArtifactContentSerializer,
    SingleArtifactContentSerializer,
    SingleContentArtifactField,
)
from rest_framework import serializers

from .. import models


def _content_href(many=False, queryset=None, **kwargs):
    """A link to content. The content endpoints are read-only: no body is ever read, so the
    fields are flagged as the REST contract flags them (writable, required)."""
    return DetailRelatedField(
        many=many, view_name_pattern=r"contents(-.*/.*)-detail", queryset=queryset, **kwargs
    )


class BlobSerializer(SingleArtifactContentSerializer):
    """A blob: a config or a layer, addressed by its digest."""

    artifact = SingleContentArtifactField(
        allow_null=True, help_text=_("The artifact holding the blob's bytes; null until fetched.")
    )
    digest = serializers.CharField(help_text=_("sha256 digest of the blob."))

    class Meta:
        fields = SingleArtifactContentSerializer.Meta.fields + ("digest",)
        model = models.Blob


class ManifestSerializer(NoArtifactContentSerializer):
    """An image manifest, OCI index or Docker manifest list."""

    digest = serializers.CharField(help_text=_("sha256 digest of the manifest."))
    media_type = serializers.CharField(help_text=_("Media type of the manifest."))
    schema_version = serializers.IntegerField(help_text=_("Manifest schema version."))
    config_blob = _content_href(
        required=False,
        allow_null=True,
        queryset=models.Blob.objects.all(),
        help_text=_("The image config blob; null for indexes, lists and schema 1."),
    )
    blobs = _content_href(
        many=True, queryset=models.Blob.objects.all(), help_text=_("The layers it references.")
    )
    listed_manifests = _content_href(
        many=True,
        queryset=models.Manifest.objects.all(),
        help_text=_("For an index or list: the manifests it lists."),
    )
    platforms = serializers.SerializerMethodField(
        help_text=_("For an index or manifest list: each listed manifest's digest and platform.")
    )
    annotations = serializers.DictField(read_only=True, help_text=_("The manifest's annotations."))
    labels = serializers.DictField(read_only=True, help_text=_("The image config's labels."))
    architecture = serializers.CharField(
        required=False,
        allow_null=True,
        help_text=_("CPU architecture of the image; null when unknown."),
    )
    os = serializers.CharField(
        required=False,
        allow_null=True,
        help_text=_("Operating system of the image; null when unknown."),
    )
    compressed_image_size = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text=_(
            "Bytes of the image's layers as stored; for an index or list, the sum over the "
            "manifests it lists. Null for schema 1 manifests, which state no sizes."
        ),
    )
    type = serializers.CharField(
        required=False,
        allow_null=True,
        help_text=_(
            "What the manifest is: image, index, bootable, flatpak, signature or attestation."
        ),
    )
    is_bootable = serializers.BooleanField(
        default=False, help_text=_("Deprecated: type is 'bootable'.")
    )
    is_flatpak = serializers.BooleanField(
        default=False, help_text=_("Deprecated: type is 'flatpak'.")
    )

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
            "compressed_image_size",
            "type",
            "is_bootable",
            "is_flatpak",
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

    name = serializers.CharField(help_text=_("The tag's name."))
    tagged_manifest = _content_href(
        queryset=models.Manifest.objects.all(), help_text=_("The manifest it points at.")
    )

    class Meta:
        fields = NoArtifactContentSerializer.Meta.fields + ("name", "tagged_manifest")
        model = models.Tag


class ManifestSignatureSerializer(NoArtifactContentSerializer):
    """A signature of a manifest. Signing is not supported yet: there are none."""

    name = serializers.CharField(help_text=_("manifest digest@signature name."))
    digest = serializers.CharField(help_text=_("sha256 digest of the signature."))
    type = serializers.CharField(help_text=_("Kind of signature, e.g. 'atomic'."))
    key_id = serializers.CharField(help_text=_("Id of the key that made it."))
    timestamp = serializers.IntegerField(help_text=_("When it was made (seconds since epoch)."))
    creator = serializers.CharField(help_text=_("The tool that made it."))
    fingerprint = serializers.CharField(
        allow_null=True, help_text=_("Fingerprint of the key that made it.")
    )
    signed_manifest = _content_href(
        queryset=models.Manifest.objects.all(), help_text=_("The manifest it signs.")
    )

    class Meta:
        fields = NoArtifactContentSerializer.Meta.fields + (
            "name",
            "digest",
            "type",
            "key_id",
            "timestamp",
            "creator",
            "fingerprint",
            "signed_manifest",
        )
        model = models.ManifestSignature
