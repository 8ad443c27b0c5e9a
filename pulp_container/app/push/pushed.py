"""Blobs pushed into a repository that no version of it holds yet, as the pull side sees them.

A client that uploaded a blob may ask for it (HEAD or GET) before it pushes the manifest that
takes it into a version; the registry's stores answer from here then. Models only: the
registry's stores import this module, and it imports nothing of theirs.
"""

from pulpcore.plugin.models import ContentArtifact

from pulp_container.app.models import ContainerPushedBlob


def pushed_content_artifact(repository_pk, digest):
    """The ContentArtifact (with its artifact) of the blob `digest` pushed into the repository
    and not yet in a version, or None. Blocking (one query)."""
    return (
        ContentArtifact.objects.filter(
            relative_path=digest,
            artifact__isnull=False,
            content__in=ContainerPushedBlob.objects.filter(
                repository_id=repository_pk, blob__digest=digest
            ).values("blob_id"),
        )
        .select_related("artifact", "artifact__pulp_domain")
        .first()
    )
