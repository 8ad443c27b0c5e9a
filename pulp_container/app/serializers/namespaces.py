"""REST serializer of container namespaces."""

from gettext import gettext as _

from pulpcore.plugin.serializers import (
    DomainUniqueValidator,
    IdentityField,
    ModelSerializer,
    pulp_labels_validator,
)
from rest_framework import serializers

from .. import models
from ..oci import reference

NAMESPACE_VIEW_NAME = "pulp_container/namespaces-detail"


class ContainerNamespaceSerializer(ModelSerializer):
    """A namespace: the first path component of the distributions' names under it."""

    pulp_href = IdentityField(view_name=NAMESPACE_VIEW_NAME)
    name = serializers.CharField(
        help_text=_(
            "The first path component of the base paths of the distributions under it, "
            "e.g. 'team' for 'team/app'."
        ),
        validators=[DomainUniqueValidator(queryset=models.ContainerNamespace.objects.all())],
    )
    pulp_labels = serializers.HStoreField(required=False, validators=[pulp_labels_validator])

    class Meta:
        model = models.ContainerNamespace
        fields = ModelSerializer.Meta.fields + ("name", "pulp_labels")

    def validate_name(self, name):
        if "/" in name:
            raise serializers.ValidationError(
                _("A namespace is one path component: it may not contain '/'.")
            )
        try:
            reference.validate_name(name)
        except ValueError as error:
            raise serializers.ValidationError(str(error))
        return name
