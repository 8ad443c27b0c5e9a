"""Recursive add and remove: a tag comes and goes with its manifest, a manifest with its blobs.

The edges come from the database (``graph_of`` / ``with_needed``); which units to add or
remove is decided by the pure functions of ``content_graph.py``.
"""

from uuid import UUID

from pulpcore.plugin.models import Content, RepositoryVersion

from ..content_graph import ContentGraph
from ..models import BlobManifest, ContainerRepository, Manifest, ManifestListManifest, Tag

ALL_CONTENT = "*"


def graph_of(pks, graph=None) -> ContentGraph:
    """The edges out of the units `pks` (tags, manifests or blobs), added to `graph`."""
    graph = graph if graph is not None else ContentGraph()
    pks = list(pks)
    for tag, manifest in Tag.objects.filter(pk__in=pks).values_list("pk", "tagged_manifest"):
        graph.link(tag, [manifest])
    configs = Manifest.objects.filter(pk__in=pks, config_blob__isnull=False)
    for manifest, config in configs.values_list("pk", "config_blob"):
        graph.link(manifest, [config])
    for manifest, blob in BlobManifest.objects.filter(manifest__in=pks).values_list(
        "manifest", "manifest_blob"
    ):
        graph.link(manifest, [blob])
    for listing, listed in ManifestListManifest.objects.filter(manifest_list__in=pks).values_list(
        "manifest_list", "image_manifest"
    ):
        graph.link(listing, [listed])
    return graph


def with_needed(pks) -> set:
    """The units `pks` and every unit they need, however deep (tag -> list -> image -> blob)."""
    graph = ContentGraph()
    wanted = {_as_uuid(pk) for pk in pks}
    frontier = set(wanted)
    while frontier:
        graph_of(frontier, graph)
        reached = graph.reachable(wanted)
        frontier = reached - wanted
        wanted = reached
    return wanted


def add_recursively(version, pks) -> None:
    """Add the units `pks` and everything they need to the new `version`."""
    version.add_content(Content.objects.filter(pk__in=with_needed(pks)))


def remove_recursively(version, pks) -> None:
    """Remove `pks` from the new `version`, with what they need that nothing staying needs."""
    present = set(version.content.values_list("pk", flat=True))
    requested = present if ALL_CONTENT in pks else {_as_uuid(pk) for pk in pks}
    removable = graph_of(present).removable(present, requested)
    version.remove_content(Content.objects.filter(pk__in=removable))


def recursive_add(repository_pk, content_units, base_version_pk=None):
    """Task: a new version with `content_units` and what they need (none if nothing changed).

    Args:
        repository_pk: the ContainerRepository.
        content_units: primary keys of tags, manifests and blobs.
        base_version_pk: a version to start from instead of the latest.
    """
    repository = ContainerRepository.objects.get(pk=repository_pk)
    with repository.new_version(base_version=_version(base_version_pk)) as version:
        add_recursively(version, content_units)


def recursive_remove(repository_pk, content_units, base_version_pk=None):
    """Task: a new version without `content_units` (``["*"]``: all) and what only they needed.

    Args:
        repository_pk: the ContainerRepository.
        content_units: primary keys of tags, manifests and blobs, or ``["*"]``.
        base_version_pk: a version to start from instead of the latest.
    """
    repository = ContainerRepository.objects.get(pk=repository_pk)
    with repository.new_version(base_version=_version(base_version_pk)) as version:
        remove_recursively(version, content_units)


def _version(pk):
    return RepositoryVersion.objects.get(pk=pk) if pk else None


def _as_uuid(pk):
    return pk if isinstance(pk, UUID) else UUID(str(pk))
