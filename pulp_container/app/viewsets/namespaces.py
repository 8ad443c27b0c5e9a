"""REST endpoints of container namespaces: /pulp/api/v3/pulp_container/namespaces/."""

from drf_spectacular.utils import extend_schema
from pulpcore.plugin.serializers import AsyncOperationResponseSerializer
from pulpcore.plugin.tasking import dispatch
from pulpcore.plugin.viewsets import (
    NAME_FILTER_OPTIONS,
    BaseFilterSet,
    NamedModelViewSet,
    OperationPostponedResponse,
    RolesMixin,
)
from rest_framework import mixins

from .. import access_policies as policies
from .. import models, serializers, tasks
from ..parsers import ParsersMixin


class ContainerNamespaceFilter(BaseFilterSet):
    class Meta:
        model = models.ContainerNamespace
        fields = {"name": NAME_FILTER_OPTIONS}


class ContainerNamespaceViewSet(
    ParsersMixin,
    NamedModelViewSet,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    mixins.DestroyModelMixin,
    RolesMixin,
):
    """
    A namespace is the first path component of distribution names: the distributions
    `team/app` and `team/tools` are in the namespace `team`. Creating a distribution creates
    its namespace when there is none yet. Roles on a namespace give their holders what the same
    roles give on each distribution in it.
    """

    endpoint_name = "pulp_container/namespaces"
    queryset = models.ContainerNamespace.objects.all()
    serializer_class = serializers.ContainerNamespaceSerializer
    filterset_class = ContainerNamespaceFilter
    queryset_filtering_required_permission = "container.view_containernamespace"
    DEFAULT_ACCESS_POLICY = policies.NAMESPACE
    LOCKED_ROLES = policies.NAMESPACE_ROLES

    @extend_schema(
        description=(
            "Start a task that deletes the namespace and every distribution in it "
            "(pull-through distributions included). Repositories are kept."
        ),
        responses={202: AsyncOperationResponseSerializer},
    )
    def destroy(self, request, pk, **kwargs):
        namespace = self.get_object()
        task = dispatch(
            tasks.delete_namespace,
            exclusive_resources=[namespace, *tasks.distributions_in(namespace)],
            kwargs={"namespace_pk": str(namespace.pk)},
        )
        return OperationPostponedResponse(task, request)
