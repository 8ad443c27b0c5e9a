"""REST endpoints of the container plugin: repositories, remotes, distributions and content."""

from django_filters import CharFilter
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action

from pulpcore.plugin.serializers import AsyncOperationResponseSerializer
from pulpcore.plugin.tasking import dispatch
from pulpcore.plugin.viewsets import (
    NAME_FILTER_OPTIONS,
    ContentFilter,
    DistributionFilter,
    DistributionViewSet,
    OperationPostponedResponse,
    ReadOnlyContentViewSet,
    RemoteViewSet,
    RepositoryVersionViewSet,
    RepositoryViewSet,
    RolesMixin,
)

from . import access_policies as policies
from . import models, serializers, tasks


class BlobFilter(ContentFilter):
    class Meta:
        model = models.Blob
        fields = {"digest": ["exact", "in"]}


class ManifestFilter(ContentFilter):
    class Meta:
        model = models.Manifest
        fields = {"digest": ["exact", "in"], "media_type": ["exact", "in"]}


class TagFilter(ContentFilter):
    digest = CharFilter(field_name="tagged_manifest__digest", help_text="Digest of the manifest.")

    class Meta:
        model = models.Tag
        fields = {"name": NAME_FILTER_OPTIONS}


class BlobViewSet(ReadOnlyContentViewSet):
    """
    Blobs are the configs and layers of images, addressed by their sha256 digest.
    """

    endpoint_name = "blobs"
    queryset = models.Blob.objects.prefetch_related("_artifacts")
    serializer_class = serializers.BlobSerializer
    filterset_class = BlobFilter
    DEFAULT_ACCESS_POLICY = policies.CONTENT


class ManifestViewSet(ReadOnlyContentViewSet):
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


class TagViewSet(ReadOnlyContentViewSet):
    """
    Tags name manifests; a repository version holds at most one tag of each name.
    """

    endpoint_name = "tags"
    queryset = models.Tag.objects.select_related("tagged_manifest")
    serializer_class = serializers.TagSerializer
    filterset_class = TagFilter
    DEFAULT_ACCESS_POLICY = policies.CONTENT


class ContainerRepositoryViewSet(RepositoryViewSet, RolesMixin):
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


class ContainerRemoteViewSet(RemoteViewSet, RolesMixin):
    """
    A container remote names an upstream registry and a repository on it to sync from.
    """

    endpoint_name = "container"
    queryset = models.ContainerRemote.objects.all()
    serializer_class = serializers.ContainerRemoteSerializer
    queryset_filtering_required_permission = "container.view_containerremote"
    DEFAULT_ACCESS_POLICY = policies.REMOTE
    LOCKED_ROLES = policies.REMOTE_ROLES


class ContainerDistributionViewSet(DistributionViewSet, RolesMixin):
    """
    A container distribution serves a repository (its latest version) or one repository version
    to registry clients at `registry_path`. Create, update and delete run as tasks.
    """

    endpoint_name = "container"
    queryset = models.ContainerDistribution.objects.all()
    serializer_class = serializers.ContainerDistributionSerializer
    queryset_filtering_required_permission = "container.view_containerdistribution"
    DEFAULT_ACCESS_POLICY = policies.DISTRIBUTION
    LOCKED_ROLES = policies.DISTRIBUTION_ROLES



class ContainerPullThroughRemoteViewSet(RemoteViewSet, RolesMixin):
    """
    A pull-through remote names an upstream registry (and, with `includes`/`excludes`, which of
    its repositories) that a pull-through distribution serves on demand.
    """

    endpoint_name = "pull-through"
    queryset = models.ContainerPullThroughRemote.objects.all()
    serializer_class = serializers.ContainerPullThroughRemoteSerializer
    queryset_filtering_required_permission = "container.view_containerpullthroughremote"
    DEFAULT_ACCESS_POLICY = policies.PULL_THROUGH_REMOTE
    LOCKED_ROLES = policies.PULL_THROUGH_REMOTE_ROLES


class ContainerPullThroughDistributionFilter(DistributionFilter):
    base_path = CharFilter(field_name="name_prefix", help_text="Filter by base_path.")
    base_path__contains = CharFilter(field_name="name_prefix", lookup_expr="contains")
    base_path__icontains = CharFilter(field_name="name_prefix", lookup_expr="icontains")

    class Meta:
        model = models.ContainerPullThroughDistribution
        fields = {"name": NAME_FILTER_OPTIONS, "remote": ["exact"]}


class ContainerPullThroughDistributionViewSet(DistributionViewSet, RolesMixin):
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
