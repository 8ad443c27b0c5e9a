"""REST endpoints of container remotes and pull-through remotes."""

from pulpcore.plugin.viewsets import RemoteViewSet, RolesMixin

from .. import access_policies as policies
from .. import models, serializers
from ..parsers import ParsersMixin


class ContainerRemoteViewSet(ParsersMixin, RemoteViewSet, RolesMixin):
    """
    A container remote names an upstream registry and a repository on it to sync from.
    """

    endpoint_name = "container"
    queryset = models.ContainerRemote.objects.all()
    serializer_class = serializers.ContainerRemoteSerializer
    queryset_filtering_required_permission = "container.view_containerremote"
    DEFAULT_ACCESS_POLICY = policies.REMOTE
    LOCKED_ROLES = policies.REMOTE_ROLES


class ContainerPullThroughRemoteViewSet(ParsersMixin, RemoteViewSet, RolesMixin):
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
