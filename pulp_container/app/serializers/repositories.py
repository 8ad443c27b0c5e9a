"""REST serializers of container repositories and the bodies of their actions."""

from gettext import gettext as _

from rest_framework import serializers

from pulpcore.plugin.serializers import (
    DetailRelatedField,
    RepositorySerializer,
    RepositorySyncURLSerializer,
)

from .. import models


class ContainerRepositorySerializer(RepositorySerializer):
    """A versioned repository of container images."""

    class Meta:
        fields = RepositorySerializer.Meta.fields
        model = models.ContainerRepository


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
