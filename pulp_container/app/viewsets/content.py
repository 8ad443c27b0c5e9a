"""REST endpoints of container content: blobs, manifests and tags (read-only)."""

from django_filters import BaseInFilter, BooleanFilter, CharFilter
from pulpcore.plugin.viewsets import NAME_FILTER_OPTIONS, ContentFilter, ReadOnlyContentViewSet

from .. import access_policies as policies
from .. import models, serializers
from ..parsers import ParsersMixin


class BlobFilter(ContentFilter):
    class Meta:
        model = models.Blob
        fields = {"digest": ["exact", "in"]}


class ManifestFilter(ContentFilter):
    is_bootable = BooleanFilter(help_text="Bootable (bootc) images only, or none of them.")
    is_flatpak = BooleanFilter(help_text="Flatpak images only, or none of them.")

    class Meta:
        model = models.Manifest
        fields = {
            "digest": ["exact", "in"],
            "media_type": ["exact", "in"],
        }


class CharInFilter(BaseInFilter, CharFilter):
    """Values separated by commas; the schema says array of strings (pulp-cli sends a list)."""


class TagFilter(ContentFilter):
    digest = CharInFilter(
        field_name="tagged_manifest__digest",
        lookup_expr="in",
        help_text="Digests of the tagged manifests, separated by commas.",
    )
    media_type = CharFilter(
        field_name="tagged_manifest__media_type", help_text="Media type of the tagged manifest."
    )

    class Meta:
        model = models.Tag
        fields = {"name": NAME_FILTER_OPTIONS}


class ManifestSignatureFilter(ContentFilter):
    manifest = CharFilter(
        field_name="signed_manifest__digest", help_text="Digest of the signed manifest."
    )

    class Meta:
        model = models.ManifestSignature
        fields = {
            "name": NAME_FILTER_OPTIONS,
            "digest": ["exact", "in"],
            "key_id": ["exact", "in"],
        }


class BlobViewSet(ParsersMixin, ReadOnlyContentViewSet):
    """
    Blobs are the configs and layers of images, addressed by their sha256 digest.
    """

    endpoint_name = "blobs"
    queryset = models.Blob.objects.prefetch_related("_artifacts")
    serializer_class = serializers.BlobSerializer
    filterset_class = BlobFilter
    DEFAULT_ACCESS_POLICY = policies.CONTENT


class ManifestViewSet(ParsersMixin, ReadOnlyContentViewSet):
    """
    Manifests are image manifests, OCI indexes and Docker manifest lists, stored byte for byte.
    """

    endpoint_name = "manifests"
    queryset = models.Manifest.objects.select_related("config_blob").prefetch_related(
        "blobs", "listed_manifests", "manifest_list_links__image_manifest"
    )
    serializer_class = serializers.ManifestSerializer
    filterset_class = ManifestFilter
    DEFAULT_ACCESS_POLICY = policies.CONTENT


class TagViewSet(ParsersMixin, ReadOnlyContentViewSet):
    """
    Tags name manifests; a repository version holds at most one tag of each name.
    """

    endpoint_name = "tags"
    queryset = models.Tag.objects.select_related("tagged_manifest")
    serializer_class = serializers.TagSerializer
    filterset_class = TagFilter
    DEFAULT_ACCESS_POLICY = policies.CONTENT


class ManifestSignatureViewSet(ParsersMixin, ReadOnlyContentViewSet):
    """
    Signatures of manifests. Signing is not supported yet, so this lists nothing.
    """

    endpoint_name = "signatures"
    queryset = models.ManifestSignature.objects.select_related("signed_manifest")
    serializer_class = serializers.ManifestSignatureSerializer
    filterset_class = ManifestSignatureFilter
    DEFAULT_ACCESS_POLICY = policies.CONTENT
