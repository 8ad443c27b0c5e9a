"""Fields and action bodies of features that are not supported yet (signing, sigstore,
signed-only sync, image builds).

Their fields accept only a neutral value (null, empty, false), read back as that value and are
never stored; anything else is a 400 that names the field and says it is not supported yet.
"""

from gettext import gettext as _

from rest_framework import serializers

NOT_SUPPORTED = _("{feature} is not supported yet.")

# The features, as the 400s name them.
SIGNING = _("Signing manifests")
SIGSTORE = _("Verifying sigstore signatures")
SIGNED_ONLY = _("Syncing only signed content")
IMAGE_BUILDS = _("Building images")
SIGNATURES = _("Removing signatures")
PUSH_MIGRATION = _("Migrating push repositories")


def not_supported(feature):
    """The ValidationError detail for a field whose `feature` is not supported yet."""
    return NOT_SUPPORTED.format(feature=feature)


class NeutralOnly:
    """A field of a feature not supported yet: only neutral values pass; it reads as None."""

    neutral_values = (None, "")

    def __init__(self, *, feature, **kwargs):
        self.feature = feature
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        if data is not serializers.empty and data in self.neutral_values:
            return None
        return super().run_validation(data)

    def to_internal_value(self, data):
        raise serializers.ValidationError(not_supported(self.feature))

    def get_attribute(self, instance):
        return None


class NeutralString(NeutralOnly, serializers.CharField):
    """A string field (e.g. ``sigstore``) accepting absent, null or empty; it reads null."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)


class NeutralHref(NeutralOnly, serializers.CharField):
    """A nullable href field (e.g. ``manifest_signing_service``) accepting null only."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)


class NeutralFieldsMixin:
    """Drops the neutral-only fields from validated data: they have no column to go to."""

    def validate(self, data):
        for name, field in self.fields.items():
            if isinstance(field, NeutralOnly):
                data.pop(field.source or name, None)
        return super().validate(data)


class RepositorySignSerializer(serializers.Serializer):
    """Body of ``sign/``: signing is not supported yet."""

    manifest_signing_service = serializers.CharField(
        required=False, allow_null=True, help_text=_("Signing service to sign with.")
    )
    future_base_path = serializers.CharField(
        required=False, help_text=_("Base path the signed images will be served at.")
    )
    tags_list = serializers.ListField(
        child=serializers.JSONField(), required=False, help_text=_("Tags to sign.")
    )


class OCIBuildImageSerializer(serializers.Serializer):
    """Body of ``build_image/``: image builds are not supported yet."""

    containerfile_name = serializers.CharField(
        required=False, help_text=_("Name of the Containerfile in the build context.")
    )
    containerfile = serializers.FileField(
        required=False, help_text=_("The Containerfile to build from.")
    )
    tag = serializers.CharField(required=False, default="latest", help_text=_("Tag to build."))
    build_context = serializers.CharField(
        required=False, allow_null=True, help_text=_("File repository version to build from.")
    )


class RemoveSignaturesSerializer(serializers.Serializer):
    """Body of ``remove_signatures/``: signatures are not supported yet."""

    signed_with_key_id = serializers.CharField(
        help_text=_("Remove the signatures made with this key id.")
    )


class RemoveSignaturesResponseSerializer(RemoveSignaturesSerializer):
    """Answer of ``remove_signatures/`` (never given until signatures are supported)."""
