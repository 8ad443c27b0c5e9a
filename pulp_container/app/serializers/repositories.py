"""REST serializers of container repositories and the bodies of their actions."""

from gettext import gettext as _

from pulpcore.plugin.serializers import (
    DetailRelatedField,
    RepositorySerializer,
    RepositorySyncURLSerializer,
)
from rest_framework import serializers

from .. import models
from .limits import LimitsMixin
from .unsupported import SIGNED_ONLY, SIGNING, NeutralFieldsMixin, NeutralHref, not_supported


def _signing_service_field():
    return NeutralHref(
        feature=SIGNING,
        help_text=_("The signing service that signs this repository's manifests: null only."),
    )


class ContainerRepositorySerializer(LimitsMixin, NeutralFieldsMixin, RepositorySerializer):
    """A versioned repository of container images."""

    manifest_signing_service = _signing_service_field()

    class Meta:
        fields = RepositorySerializer.Meta.fields + ("manifest_signing_service",)
        model = models.ContainerRepository


class ContainerPushRepositorySerializer(LimitsMixin, NeutralFieldsMixin, RepositorySerializer):
    """A repository registry clients push to, created by the first push to its name."""

    manifest_signing_service = _signing_service_field()

    class Meta:
        fields = tuple(f for f in RepositorySerializer.Meta.fields if f != "remote") + (
            "manifest_signing_service",
        )
        model = models.ContainerPushRepository


class ContainerRepositorySyncURLSerializer(RepositorySyncURLSerializer):
    """Body of a sync request: which remote, and whether to mirror it."""

    remote = DetailRelatedField(
        required=False,
        view_name_pattern=r"remotes(-.*/.*)-detail",
        queryset=models.ContainerRemote.objects.all(),
        help_text=_("The container remote to sync from; defaults to the repository's remote."),
    )
    mirror = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_(
            "True: the new version holds exactly the upstream's tags (within the remote's "
            "filters) and what they need; content upstream no longer has is removed. "
            "False: content is only added."
        ),
    )
    signed_only = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("True: only signed content would be synced; not supported yet, false only."),
    )

    def validate_signed_only(self, value):
        if value:
            raise serializers.ValidationError(not_supported(SIGNED_ONLY))
        return value
