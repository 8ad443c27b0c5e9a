"""REST endpoints of the container plugin, one module per kind of object.

pulpcore discovers viewsets through this package, so every viewset is re-exported here.
"""

from .content import BlobViewSet, ManifestSignatureViewSet, ManifestViewSet, TagViewSet
from .distributions import ContainerDistributionViewSet, ContainerPullThroughDistributionViewSet
from .namespaces import ContainerNamespaceViewSet
from .remotes import ContainerPullThroughRemoteViewSet, ContainerRemoteViewSet
from .repositories import (
    ContainerPushRepositoryVersionViewSet,
    ContainerPushRepositoryViewSet,
    ContainerRepositoryVersionViewSet,
    ContainerRepositoryViewSet,
)

__all__ = [
    "BlobViewSet",
    "ContainerDistributionViewSet",
    "ContainerNamespaceViewSet",
    "ContainerPullThroughDistributionViewSet",
    "ContainerPullThroughRemoteViewSet",
    "ContainerRemoteViewSet",
    "ContainerPushRepositoryVersionViewSet",
    "ContainerPushRepositoryViewSet",
    "ContainerRepositoryVersionViewSet",
    "ContainerRepositoryViewSet",
    "ManifestSignatureViewSet",
    "ManifestViewSet",
    "TagViewSet",
]
