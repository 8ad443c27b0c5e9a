"""Store a pushed manifest, or delete one or a tag, as one new version of a push repository.

The Manifest row is built as sync and pull-through build it (``content_units.py``: same fields,
same layer and list relations), from the exact bytes received. What the manifest references is
looked up under the repository's row lock (``repository_writes.py``), in the version being written, so a
concurrent delete cannot slip between the check and the write.

Blocking functions; ``store.PushStore`` runs them in the ORM's thread.
"""

from django.db.models import Q
from pulpcore.plugin.models import ContentArtifact

from pulp_container.app import errors
from pulp_container.app.content_units import manifest_content, save_relations, saved, tag_content
from pulp_container.app.models import Blob, ContainerPushedBlob, Manifest, Tag
from pulp_container.app.push import validation
from pulp_container.app.repository_writes import Changes, write_version
from pulp_container.app.upstream import plan


def read_config(manifest):
    """The image config's bytes, when `plan.wants_config` says to read them for labels,
    architecture and os, and they are stored; else None.

    Called before the repository is locked, so that the lock is held as briefly as can be.
    """
    if not plan.wants_config(manifest):
        return None
    content_artifact = (
        ContentArtifact.objects.filter(
            relative_path=manifest.config.digest,
            content__in=Blob.objects.filter(digest=manifest.config.digest).values("pk"),
            artifact__isnull=False,
        )
        .select_related("artifact")
        .first()
    )
    if content_artifact is None:
        return None
    with content_artifact.artifact.file.open("rb") as config:
        return config.read(plan.CONFIG_READ_LIMIT + 1)


def _held_blobs(repository, version, digests):
    """Blobs among `digests` that the version holds or that were pushed into the repository."""
    if not digests:
        return {}
    pushed = ContainerPushedBlob.objects.filter(repository_id=repository.pk).values("blob_id")
    held = Blob.objects.filter(Q(pk__in=version.content) | Q(pk__in=pushed), digest__in=digests)
    return {blob.digest: blob for blob in held}


def _held_manifests(version, digests):
    if not digests:
        return {}
    return {
        manifest.digest: manifest
        for manifest in Manifest.objects.filter(pk__in=version.content, digest__in=digests)
    }


def _tags_named(version, name):
    return Tag.objects.filter(pk__in=version.content, name=name)


def store_manifest(repository_pk, name, parsed, tag=None, config_bytes=None):
    """Add the manifest `parsed` (and `tag` pointing at it) to the repository, one new version.

    The blobs it needs join the version with it; a tag of the same name leaves it.

    Args:
        repository_pk: the push repository.
        name: the repository name, for error messages.
        parsed: the oci Manifest, from `validation.read_pushed`.
        tag: the tag it was pushed by, or None (by digest).
        config_bytes: its image config (``read_config``), if read.

    Returns:
        The saved Manifest.

    Raises:
        RegistryError: MANIFEST_BLOB_UNKNOWN when the repository lacks a blob or a listed
            manifest; nothing is written then.
    """
    needs = validation.needs(parsed)

    def edit(repository, version):
        blobs = _held_blobs(repository, version, needs.blobs)
        listed = _held_manifests(version, needs.manifests)
        missing_blobs = validation.missing(needs.blobs, blobs)
        missing_manifests = validation.missing(needs.manifests, listed)
        if missing_blobs or missing_manifests:
            raise validation.missing_error(name, missing_blobs, missing_manifests)
        config = parsed.config.digest if parsed.config and not parsed.config.is_foreign else None
        d_manifest = manifest_content(
            parsed,
            config_bytes=config_bytes,
            config_blob=blobs.get(config),
            blobs=[blob for digest, blob in blobs.items() if digest != config],
            listed=[(listed[entry.digest], entry) for entry in plan.listed_to_fetch(parsed)],
        )
        d_manifest.content = saved(d_manifest.content)
        save_relations([d_manifest])
        manifest = d_manifest.content
        add = [manifest.pk, *(blob.pk for blob in blobs.values())]
        remove = []
        if tag is not None:
            tag_unit = saved(tag_content(tag, manifest).content)
            add.append(tag_unit.pk)
            moved = _tags_named(version, tag).exclude(pk=tag_unit.pk)
            remove = list(moved.values_list("pk", flat=True))
        return Changes(add=tuple(add), remove=tuple(remove), result=manifest)

    changes, _version = write_version(repository_pk, edit)
    return changes.result


def delete_reference(repository_pk, name, reference):
    """Remove a manifest (by digest, with the tags pointing at it) or a tag, one new version.

    Blobs stay (``DELETE /v2/<name>/blobs/<digest>`` removes those), and so do other manifests.

    Raises:
        RegistryError: MANIFEST_UNKNOWN when the latest version holds no such manifest or tag.
    """

    def edit(repository, version):
        if reference.is_digest:
            manifest = Manifest.objects.filter(pk__in=version.content, digest=reference.digest)
            tags = Tag.objects.filter(pk__in=version.content, tagged_manifest__in=manifest)
            remove = [*manifest.values_list("pk", flat=True), *tags.values_list("pk", flat=True)]
        else:
            remove = list(_tags_named(version, reference.tag).values_list("pk", flat=True))
        if not remove:
            raise errors.RegistryError(
                errors.MANIFEST_UNKNOWN,
                detail={"name": name, "reference": str(reference)},
                message=f"repository {name!r} has no manifest {str(reference)!r}",
            )
        return Changes(remove=tuple(remove))

    write_version(repository_pk, edit)
