"""Tag and untag: point a name at a manifest of the latest version, or take a name away."""

from gettext import gettext as _

from pulpcore.plugin.exceptions import ValidationError

from ..models import ContainerRepository, Manifest, Tag
from .recursive import remove_recursively


def tag_image(repository_pk, tag, digest):
    """Task: tag the manifest `digest` of the latest version as `tag`.

    A tag of that name elsewhere moves (the repository keeps one tag per name); no new version
    when the tag already points there.

    Raises:
        ValidationError: the latest version has no manifest `digest` (any more).
    """
    repository = ContainerRepository.objects.get(pk=repository_pk)
    manifest = _manifest_in_latest(repository, digest)
    tag_unit, _created = Tag.objects.get_or_create(name=tag, tagged_manifest=manifest)
    tag_unit.touch()
    with repository.new_version() as version:
        version.add_content(Tag.objects.filter(pk=tag_unit.pk))


def untag_image(repository_pk, tag):
    """Task: remove the tag named `tag` from the latest version; its manifest stays."""
    repository = ContainerRepository.objects.get(pk=repository_pk)
    with repository.new_version() as version:
        version.remove_content(Tag.objects.filter(pk__in=version.content, name=tag))


def remove_image(repository_pk, digest):
    """Task: remove the manifest `digest`, the tags pointing at it, and what nothing else needs.

    A manifest that an index staying in the repository lists stays, with its blobs.

    Raises:
        ValidationError: the latest version has no manifest `digest` (any more).
    """
    repository = ContainerRepository.objects.get(pk=repository_pk)
    manifest = _manifest_in_latest(repository, digest)
    with repository.new_version() as version:
        tags = Tag.objects.filter(pk__in=version.content, tagged_manifest=manifest)
        remove_recursively(version, [manifest.pk, *tags.values_list("pk", flat=True)])


def _manifest_in_latest(repository, digest):
    try:
        return Manifest.objects.get(pk__in=repository.latest_version().content, digest=digest)
    except Manifest.DoesNotExist:
        raise ValidationError(
            _("The latest version of repository {name} has no manifest {digest}.").format(
                name=repository.name, digest=digest
            )
        ) from None
