"""REST endpoints of container repositories, their versions and their actions."""

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action

from pulpcore.plugin.serializers import AsyncOperationResponseSerializer
from pulpcore.plugin.tasking import dispatch
from pulpcore.plugin.viewsets import (
    OperationPostponedResponse,
    RepositoryVersionViewSet,
    RepositoryViewSet,
    RolesMixin,
)

from .. import access_policies as policies
from .. import models, serializers, tasks
from .content_actions import CopyActionsMixin, RecursiveContentMixin, TagActionsMixin


class ContainerRepositoryViewSet(
    RecursiveContentMixin, TagActionsMixin, CopyActionsMixin, RepositoryViewSet, RolesMixin
):
    """
    A container repository holds versions of a set of tags, manifests and blobs.
    """

    endpoint_name = "container"
    queryset = models.ContainerRepository.objects.exclude(user_hidden=True)
    serializer_class = serializers.ContainerRepositorySerializer
    queryset_filtering_required_permission = "container.view_containerrepository"
    DEFAULT_ACCESS_POLICY = policies.REPOSITORY
    LOCKED_ROLES = policies.REPOSITORY_ROLES

    @extend_schema(
        summary="Sync from a remote",
        description=(
            "Start a task that reads the remote's upstream repository (every tag within the "
            "remote's filters, the manifests they point at, the blobs those need) and writes "
            "a new repository version. With `mirror` the version holds exactly what upstream "
            "has; without, content is only added. No new version when nothing changed."
        ),
        responses={202: AsyncOperationResponseSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        serializer_class=serializers.ContainerRepositorySyncURLSerializer,
    )
    def sync(self, request, pk):
        """
        Sync the repository from a container remote.
        """
        serializer = serializers.ContainerRepositorySyncURLSerializer(
            data=request.data, context={"request": request, "repository_pk": pk}
        )
        serializer.is_valid(raise_exception=True)
        repository = self.get_object()
        remote = serializer.validated_data.get("remote") or repository.remote.cast()
        task = dispatch(
            tasks.synchronize,
            exclusive_resources=[repository],
            shared_resources=[remote],
            kwargs={
                "remote_pk": str(remote.pk),
                "repository_pk": str(repository.pk),
                "mirror": serializer.validated_data["mirror"],
            },
        )
        return OperationPostponedResponse(task, request)


class ContainerRepositoryVersionViewSet(RepositoryVersionViewSet):
    """
    A repository version is an immutable snapshot of a container repository's content.
    """

    parent_viewset = ContainerRepositoryViewSet
    DEFAULT_ACCESS_POLICY = policies.REPOSITORY_VERSION
