"""REST endpoints of container repositories, their versions and their actions."""

from drf_spectacular.utils import extend_schema
from pulpcore.plugin.serializers import AsyncOperationResponseSerializer
from pulpcore.plugin.tasking import dispatch, general_delete
from pulpcore.plugin.viewsets import (
    AsyncUpdateMixin,
    LabelsMixin,
    OperationPostponedResponse,
    ReadOnlyRepositoryViewSet,
    RepositoryVersionViewSet,
    RepositoryViewSet,
    RolesMixin,
)
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError

from .. import access_policies as policies
from .. import models, serializers, tasks
from ..parsers import ParsersMixin
from .content_actions import (
    CopyActionsMixin,
    RecursiveContentMixin,
    RemoveImageMixin,
    TagActionsMixin,
)


class SignMixin:
    """`sign/` on a repository viewset: signing is not supported yet."""

    @extend_schema(
        summary="Sign images in the repository (not supported yet)",
        description="Not supported yet: answers 400.",
        request=serializers.RepositorySignSerializer,
        responses={202: AsyncOperationResponseSerializer},
    )
    @action(detail=True, methods=["post"], serializer_class=serializers.RepositorySignSerializer)
    def sign(self, request, pk):
        """Not supported yet."""
        refuse(self, serializers.SIGNING)


class ContainerRepositoryViewSet(
    ParsersMixin,
    SignMixin,
    RecursiveContentMixin,
    TagActionsMixin,
    CopyActionsMixin,
    RepositoryViewSet,
    RolesMixin,
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
        repository = self.get_object()  # first: an unknown repository is a 404
        serializer = serializers.ContainerRepositorySyncURLSerializer(
            data=request.data, context={"request": request, "repository_pk": pk}
        )
        serializer.is_valid(raise_exception=True)
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

    @extend_schema(
        summary="Build an image from a Containerfile (not supported yet)",
        description="Not supported yet: answers 400.",
        request={"multipart/form-data": serializers.OCIBuildImageSerializer},
        responses={202: AsyncOperationResponseSerializer},
    )
    @action(detail=True, methods=["post"], serializer_class=serializers.OCIBuildImageSerializer)
    def build_image(self, request, pk):
        """Not supported yet."""
        refuse(self, serializers.IMAGE_BUILDS)


class ContainerRepositoryVersionViewSet(ParsersMixin, RepositoryVersionViewSet):
    """
    A repository version is an immutable snapshot of a container repository's content.
    """

    parent_viewset = ContainerRepositoryViewSet
    DEFAULT_ACCESS_POLICY = policies.REPOSITORY_VERSION


class ContainerPushRepositoryViewSet(
    ParsersMixin,
    SignMixin,
    TagActionsMixin,
    RemoveImageMixin,
    ReadOnlyRepositoryViewSet,
    AsyncUpdateMixin,
    LabelsMixin,
    RolesMixin,
):
    """
    A push repository holds what registry clients push. The first push to a repository name
    creates it, with a distribution whose base path is the name; each manifest push and each
    registry delete is a new version. There is no create.
    """

    endpoint_name = "container-push"
    queryset = models.ContainerPushRepository.objects.exclude(user_hidden=True)
    serializer_class = serializers.ContainerPushRepositorySerializer
    queryset_filtering_required_permission = "container.view_containerpushrepository"
    DEFAULT_ACCESS_POLICY = policies.PUSH_REPOSITORY
    LOCKED_ROLES = policies.PUSH_REPOSITORY_ROLES

    @extend_schema(
        description="Start a task that deletes the repository.",
        responses={202: AsyncOperationResponseSerializer},
    )
    def destroy(self, request, pk):
        """Delete the repository (a task)."""
        repository = self.get_object()
        task = dispatch(
            general_delete,
            exclusive_resources=[repository],
            args=(pk, "container", "ContainerPushRepositorySerializer"),
        )
        return OperationPostponedResponse(task, request)

    @extend_schema(
        summary="Remove signatures (not supported yet)",
        description="Not supported yet: answers 400.",
        request=serializers.RemoveSignaturesSerializer,
        responses={200: serializers.RemoveSignaturesResponseSerializer},
    )
    @action(detail=True, methods=["post"], serializer_class=serializers.RemoveSignaturesSerializer)
    def remove_signatures(self, request, pk):
        """Not supported yet."""
        refuse(self, serializers.SIGNATURES)

    @extend_schema(
        summary="Migrate to a container repository (not supported yet)",
        description="Not supported yet: answers 400.",
        request=None,
        responses={202: AsyncOperationResponseSerializer},
    )
    @action(detail=True, methods=["post"])
    def migrate(self, request, pk):
        """Not supported yet."""
        refuse(self, serializers.PUSH_MIGRATION)


class ContainerPushRepositoryVersionViewSet(ParsersMixin, RepositoryVersionViewSet):
    """
    A version of a push repository.
    """

    parent_viewset = ContainerPushRepositoryViewSet
    DEFAULT_ACCESS_POLICY = policies.PUSH_REPOSITORY_VERSION


def refuse(viewset, feature):
    """Answer 400 for an action whose `feature` is not supported yet, once the object is
    found (an unknown href stays a 404)."""
    viewset.get_object()
    raise ValidationError({"detail": serializers.not_supported(feature)})
