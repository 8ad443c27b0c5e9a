"""Tag and untag: point a name at a manifest of the latest version, or take a name away.

They run on container and push repositories alike, and write their version under the
repository's row lock (``repository_writes.py``): registry pushes into a push repository write
versions from the content app, without the task's resource lock, and both must queue on the
same thing.
"""

from gettext import gettext as _

from pulpcore.plugin.exceptions import ValidationError

from pulp_container.app.repository_writes import locked_new_version

from ..models import Manifest, Tag
from .recursive import remove_recursively


def tag_image(repository_pk, tag, digest):
    """Task: tag the manifest `digest` of the latest version as `tag`.

    A tag of that name elsewhere moves (the repository keeps one tag per name); no new version
    when the tag already points there.

    Raises:
        ValidationError: the latest version has no manifest `digest` (any more).
    """
    with locked_new_version(repository_pk) as (repository, version):
        manifest = _manifest_in(repository, version, digest)
        tag_unit, _created = Tag.objects.get_or_create(name=tag, tagged_manifest=manifest)
        tag_unit.touch()
        version.add_content(Tag.objects.filter(pk=tag_unit.pk))


def untag_image(repository_pk, tag):
    """Task: remove the tag named `tag` from the latest version; its manifest stays."""
    with locked_new_version(repository_pk) as (_repository, version):
        version.remove_content(Tag.objects.filter(pk__in=version.content, name=tag))


def remove_image(repository_pk, digest):
    """Task: remove the manifest `digest`, the tags pointing at it, and what nothing else needs.

    A manifest that an index staying in the repository lists stays, with its blobs.

    Raises:
        ValidationError: the latest version has no manifest `digest` (any more).
    """
    with locked_new_version(repository_pk) as (repository, version):
        manifest = _manifest_in(repository, version, digest)
        tags = Tag.objects.filter(pk__in=version.content, tagged_manifest=manifest)
        remove_recursively(version, [manifest.pk, *tags.values_list("pk", flat=True)])


def _manifest_in(repository, version, digest):
    """The manifest `digest` of the new `version` (which holds the latest version's content)."""
    try:
        return Manifest.objects.get(pk__in=version.content, digest=digest)
    except Manifest.DoesNotExist:
        raise ValidationError(
            _("The latest version of repository {name} has no manifest {digest}.").format(
                name=repository.name, digest=digest
            )
        ) from None
