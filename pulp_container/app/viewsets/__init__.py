"""REST endpoints of the container plugin, one module per kind of object.

pulpcore discovers viewsets through this package, so every viewset is re-exported here.
"""

from .content import BlobViewSet, ManifestViewSet, TagViewSet
from .distributions import ContainerDistributionViewSet, ContainerPullThroughDistributionViewSet
from .namespaces import ContainerNamespaceViewSet
from .remotes import ContainerPullThroughRemoteViewSet, ContainerRemoteViewSet
from .repositories import ContainerRepositoryVersionViewSet, ContainerRepositoryViewSet

__all__ = [
    "BlobViewSet",
    "ContainerDistributionViewSet",
    "ContainerNamespaceViewSet",
    "ContainerPullThroughDistributionViewSet",
    "ContainerPullThroughRemoteViewSet",
    "ContainerRemoteViewSet",
    "ContainerRepositoryVersionViewSet",
    "ContainerRepositoryViewSet",
    "ManifestViewSet",
    "TagViewSet",
]
