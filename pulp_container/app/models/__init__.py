"""Models of the container plugin, one module per kind of object.

Models hold invariants and pulpcore hooks only; format logic lives in ``oci/``. pulpcore and
Django find them through this package, so every model is re-exported here.
"""

from ..namespaces import ContainerNamespace
from .content import Blob, BlobManifest, Manifest, ManifestListManifest, ManifestSignature, Tag
from .distributions import ContainerDistribution, ContainerPullThroughDistribution, InNamespace
from .logins import RegistryLoginFailures
from .pullthrough import PullThroughAnswer, PullThroughCache, PullThroughFetch
from .push import ContainerPushedBlob, ContainerUploadSession
from .remotes import ContainerPullThroughRemote, ContainerRemote, RegistryDownloads
from .repositories import ContainerPushRepository, ContainerRepository

__all__ = [
    "Blob",
    "BlobManifest",
    "ContainerDistribution",
    "ContainerNamespace",
    "ContainerPullThroughDistribution",
    "ContainerPullThroughRemote",
    "ContainerPushRepository",
    "ContainerPushedBlob",
    "ContainerRemote",
    "ContainerRepository",
    "ContainerUploadSession",
    "InNamespace",
    "Manifest",
    "ManifestListManifest",
    "ManifestSignature",
    "PullThroughAnswer",
    "PullThroughCache",
    "PullThroughFetch",
    "RegistryDownloads",
    "RegistryLoginFailures",
    "Tag",
]
