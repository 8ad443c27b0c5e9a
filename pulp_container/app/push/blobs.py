"""Blobs pushed into a repository: an upload turned into an Artifact and a Blob, a mount.

Storing an upload creates the Artifact from the upload's file and the digests computed while it
arrived (no second read), the Blob (or gives an existing Blob without bytes these bytes), and a
ContainerPushedBlob row: the blob is in the repository's pushed set until a manifest takes it
into a version.

Two clients finishing the same blob at once both succeed with one Artifact: each takes a
transaction-scoped PostgreSQL advisory lock on the digest first, so the second finds the
first's Artifact and drops its own file. When the transaction fails after the file was
moved into artifact storage, the file is removed again: nothing half-written stays behind.

Every function here is blocking (ORM, files).
"""

from logging import getLogger

from django.db import IntegrityError, connection, transaction
from pulpcore.plugin.models import Artifact, ContentArtifact
from pulpcore.plugin.util import get_domain

from pulp_container.app.models import Blob, ContainerPushedBlob
from pulp_container.app.oci.reference import parse_digest
from pulp_container.app.push import files
from pulp_container.app.stores.local import LocalStore
from pulp_container.app.stores.served import find as find_served

log = getLogger(__name__)


def _lock_digest(digest):
    """Hold a transaction-scoped advisory lock on `digest` (60 bits of it are the key)."""
    key = int(parse_digest(digest).encoded[:15], 16)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _blob(digest):
    """The Blob `digest`, created if new; an existing one is touched (it may be an orphan
    until a manifest takes it into a version, and orphan cleanup spares recent interest)."""
    existing = Blob.objects.filter(digest=digest, _pulp_domain=get_domain()).first()
    if existing is not None:
        existing.touch()
        return existing
    blob = Blob(digest=digest)
    try:
        with transaction.atomic():
            blob.save()
        return blob
    except IntegrityError:
        return Blob.objects.get(digest=digest, _pulp_domain=get_domain())


def _give_bytes(blob, artifact):
    content_artifact, _ = ContentArtifact.objects.get_or_create(
        content=blob, relative_path=blob.digest, defaults={"artifact": artifact}
    )
    if content_artifact.artifact_id is None:
        content_artifact.artifact = artifact
        content_artifact.save()


def record_pushed(repository_pk, blob_pk):
    """Note that `blob_pk` was pushed into the repository. A repeat refreshes the row's
    ``pulp_last_updated``, from which expiry counts (``sessions.sweep``)."""
    ContainerPushedBlob.objects.bulk_create(
        [ContainerPushedBlob(repository_id=repository_pk, blob_id=blob_pk)],
        update_conflicts=True,
        unique_fields=["repository", "blob"],
        update_fields=["pulp_last_updated"],
    )


def store_upload(file_name, digests, digest, target):
    """Turn a finished upload into the blob `digest` pushed into `target`'s repository.

    Args:
        file_name: the upload's file (moved into artifact storage, or removed when the bytes
            are stored already).
        digests: the upload's Digests, covering the whole file.
        digest: the blob's digest, checked against `digests` by the caller.
        target: the PushTarget.

    Returns:
        The Blob's primary key.
    """
    hexdigests = digests.hexdigests()
    stored = None  # the Artifact this call saved: its file is in storage from then on
    try:
        with transaction.atomic():
            _lock_digest(digest)
            artifact = Artifact.objects.filter(
                pulp_domain=get_domain(), sha256=hexdigests["sha256"]
            ).first()
            if artifact is None:
                artifact = Artifact(
                    file=str(files.path_of(file_name)),
                    size=digests.size,
                    **{name: hexdigests[name] for name in Artifact.DIGEST_FIELDS},
                )
                artifact.save()
                stored = artifact
            else:
                artifact.touch()
            blob = _blob(digest)
            _give_bytes(blob, artifact)
            record_pushed(target.repository_pk, blob.pk)
    except BaseException:
        if stored is not None:
            _remove_unrecorded_file(stored)
        raise
    files.remove(file_name)  # when the bytes were stored already (a move leaves nothing)
    return blob.pk


def _remove_unrecorded_file(artifact):
    """Remove the file an Artifact row rolled back with had put into storage, unless an
    Artifact with the same bytes (same path) was recorded meanwhile by someone else."""
    try:
        if not Artifact.objects.filter(pulp_domain=get_domain(), sha256=artifact.sha256).exists():
            artifact.file.delete(save=False)
    except Exception:
        log.exception("Could not remove %s, stored for an upload that failed", artifact.file.name)


def blob_size(digest):
    """The size of the stored bytes of the blob `digest`, or None when Pulp has none."""
    return (
        ContentArtifact.objects.filter(
            relative_path=digest,
            content__in=Blob.objects.filter(digest=digest, _pulp_domain=get_domain()).values("pk"),
            artifact__isnull=False,
        )
        .values_list("artifact__size", flat=True)
        .first()
    )


def _blob_in(name, digest):
    """The primary key of the blob `digest` with local bytes in what `name` serves or had
    pushed into it, or None."""
    served, _ = find_served(name)
    if served is None:
        return None
    if served.version_pk is not None:
        stored = LocalStore(served.version_pk).blob(digest)
        if stored is not None and stored.local:
            return stored.content_artifact.content_id
    if served.following_repository_pk is None:
        return None
    return (
        ContainerPushedBlob.objects.filter(
            repository_id=served.following_repository_pk,
            blob__digest=digest,
            blob__contentartifact__artifact__isnull=False,
        )
        .values_list("blob_id", flat=True)
        .first()
    )


def mount(digest, source_name, target):
    """Mount the blob `digest` of `source_name` into `target`'s repository.

    The caller decided it may pull `source_name`.

    Returns:
        The blob's size when mounted; None when `source_name` does not have it with bytes.
    """
    blob_pk = _blob_in(source_name, digest)
    if blob_pk is None:
        return None
    record_pushed(target.repository_pk, blob_pk)
    return blob_size(digest)
