"""Copy tags or manifests from one repository version into a repository, recursively."""

from pulpcore.plugin.models import RepositoryVersion

from ..models import ContainerRepository, Manifest, Tag
from .recursive import add_recursively


def copy_tags(repository_pk, source_version_pk, names=None):
    """Task: add the source version's tags (all, or those named) and what they need.

    A copied tag replaces the repository's tag of the same name.
    """
    tags = Tag.objects.filter(pk__in=_source_content(source_version_pk))
    if names is not None:
        tags = tags.filter(name__in=names)
    _add(repository_pk, tags.values_list("pk", flat=True))


def copy_manifests(repository_pk, source_version_pk, digests=None, media_types=None):
    """Task: add the source version's manifests (all, or those chosen) and what they need.

    Args:
        digests: copy only the manifests with these digests.
        media_types: copy only the manifests of these media types.
    """
    manifests = Manifest.objects.filter(pk__in=_source_content(source_version_pk))
    if digests is not None:
        manifests = manifests.filter(digest__in=digests)
    if media_types is not None:
        manifests = manifests.filter(media_type__in=media_types)
    _add(repository_pk, manifests.values_list("pk", flat=True))


def _source_content(source_version_pk):
    return RepositoryVersion.objects.get(pk=source_version_pk).content


def _add(repository_pk, pks):
    repository = ContainerRepository.objects.get(pk=repository_pk)
    with repository.new_version() as version:
        add_recursively(version, list(pks))
