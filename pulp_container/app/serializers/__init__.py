"""REST serializers of the container plugin, one module per kind of object.

pulpcore discovers serializers through this package, so every serializer is re-exported here.
"""

from .actions import (
    ManifestCopySerializer,
    RecursiveManageSerializer,
    RemoveImageSerializer,
    TagCopySerializer,
    TagImageSerializer,
    UnTagImageSerializer,
)
from .content import BlobSerializer, ManifestSerializer, TagSerializer
from .distributions import (
    ContainerDistributionSerializer,
    ContainerPullThroughDistributionSerializer,
    pull_through_overlap,
    registry_host,
)
from .namespaces import ContainerNamespaceSerializer
from .remotes import (
    ContainerPullThroughRemoteSerializer,
    ContainerRemoteSerializer,
    validate_registry_url,
)
from .repositories import ContainerRepositorySerializer, ContainerRepositorySyncURLSerializer

__all__ = [
    "BlobSerializer",
    "ContainerDistributionSerializer",
    "ContainerNamespaceSerializer",
    "ContainerPullThroughDistributionSerializer",
    "ContainerPullThroughRemoteSerializer",
    "ContainerRemoteSerializer",
    "ContainerRepositorySerializer",
    "ContainerRepositorySyncURLSerializer",
    "ManifestCopySerializer",
    "ManifestSerializer",
    "RecursiveManageSerializer",
    "RemoveImageSerializer",
    "TagCopySerializer",
    "TagImageSerializer",
    "UnTagImageSerializer",
    "TagSerializer",
    "pull_through_overlap",
    "registry_host",
    "validate_registry_url",
]
