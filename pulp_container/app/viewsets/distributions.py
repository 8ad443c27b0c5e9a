"""REST endpoints of container distributions and pull-through distributions."""

from django.db.models import Q
from django_filters import BaseInFilter, CharFilter
from pulpcore.plugin.util import get_objects_for_user
from pulpcore.plugin.viewsets import (
    NAME_FILTER_OPTIONS,
    DistributionFilter,
    DistributionViewSet,
    RolesMixin,
)

from .. import access_policies as policies
from .. import models, serializers
from ..namespaces import NAMESPACE_VIEW_DISTRIBUTIONS
from ..parsers import ParsersMixin


class ContainerDistributionFilter(DistributionFilter):
    namespace__name = CharFilter(
        field_name="namespace__name", help_text="Filter by the name of the namespace."
    )

    class Meta:
        model = models.ContainerDistribution
        fields = DistributionFilter.Meta.fields


class ContainerDistributionViewSet(ParsersMixin, DistributionViewSet, RolesMixin):
    """
    A container distribution serves a repository (its latest version) or one repository version
    to registry clients at `registry_path`. Create, update and delete run as tasks.
    """

    endpoint_name = "container"
    queryset = models.ContainerDistribution.objects.all()
    serializer_class = serializers.ContainerDistributionSerializer
    filterset_class = ContainerDistributionFilter
    queryset_filtering_required_permission = "container.view_containerdistribution"
    DEFAULT_ACCESS_POLICY = policies.DISTRIBUTION
    LOCKED_ROLES = policies.DISTRIBUTION_ROLES

    def scope_queryset(self, qs):
        """The distributions the user may view, by a role on them or on their namespace."""
        scoped = super().scope_queryset(qs)
        if self.request.user.is_superuser:
            return scoped
        namespaces = get_objects_for_user(
            self.request.user,
            NAMESPACE_VIEW_DISTRIBUTIONS,
            models.ContainerNamespace.objects.all(),
        )
        return qs.filter(Q(pk__in=scoped.values("pk")) | Q(namespace__in=namespaces.values("pk")))


class ContainerPullThroughDistributionFilter(DistributionFilter):
    base_path = CharFilter(field_name="name_prefix", help_text="Filter by base_path.")
    base_path__contains = CharFilter(field_name="name_prefix", lookup_expr="contains")
    base_path__icontains = CharFilter(field_name="name_prefix", lookup_expr="icontains")
    base_path__in = BaseInFilter(field_name="name_prefix", help_text="Any of these base_paths.")

    class Meta:
        model = models.ContainerPullThroughDistribution
        fields = {
            "name": NAME_FILTER_OPTIONS,
            "remote": ["exact"],
            "repository": ["exact", "in"],
            "checkpoint": ["exact"],
        }


class ContainerPullThroughDistributionViewSet(ParsersMixin, DistributionViewSet, RolesMixin):
    """
    A pull-through distribution serves `<registry_path>/<upstream name>` for every repository
    of its remote's registry. The first pull of a name fetches it from upstream and creates a
    repository, a remote and a distribution for it; later pulls are answered from the copy.
    Create, update and delete run as tasks.
    """

    endpoint_name = "pull-through"
    queryset = models.ContainerPullThroughDistribution.objects.all()
    serializer_class = serializers.ContainerPullThroughDistributionSerializer
    filterset_class = ContainerPullThroughDistributionFilter
    queryset_filtering_required_permission = "container.view_containerpullthroughdistribution"
    DEFAULT_ACCESS_POLICY = policies.PULL_THROUGH_DISTRIBUTION
    LOCKED_ROLES = policies.PULL_THROUGH_DISTRIBUTION_ROLES
