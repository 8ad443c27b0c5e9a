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
from .content import BlobSerializer, ManifestSerializer, ManifestSignatureSerializer, TagSerializer
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
from .repositories import (
    ContainerPushRepositorySerializer,
    ContainerRepositorySerializer,
    ContainerRepositorySyncURLSerializer,
)
from .unsupported import (
    IMAGE_BUILDS,
    PUSH_MIGRATION,
    SIGNATURES,
    SIGNING,
    OCIBuildImageSerializer,
    RemoveSignaturesResponseSerializer,
    RemoveSignaturesSerializer,
    RepositorySignSerializer,
    not_supported,
)

__all__ = [
    "IMAGE_BUILDS",
    "PUSH_MIGRATION",
    "SIGNATURES",
    "SIGNING",
    "BlobSerializer",
    "ContainerDistributionSerializer",
    "ContainerNamespaceSerializer",
    "ContainerPullThroughDistributionSerializer",
    "ContainerPullThroughRemoteSerializer",
    "ContainerPushRepositorySerializer",
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
    "ManifestSignatureSerializer",
    "OCIBuildImageSerializer",
    "RemoveSignaturesResponseSerializer",
    "RemoveSignaturesSerializer",
    "RepositorySignSerializer",
    "TagSerializer",
    "pull_through_overlap",
    "not_supported",
    "registry_host",
    "validate_registry_url",
]
