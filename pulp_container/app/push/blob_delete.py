"""Remove a blob from a push repository (``DELETE /v2/<name>/blobs/<digest>``, whose handler
is ``blob_delete_handler.py``, through ``PushStore.delete_blob``).

The blob leaves the repository's latest version in one new version (``repository_writes.py``: under the
repository row's lock, without a task), and its pushed-blob row goes. A blob a manifest of the
latest version still needs (as config or layer) is not removed: the answer is ``403 DENIED``
naming those manifests; delete them first. A blob the repository does not hold is
``404 BLOB_UNKNOWN``. The bytes stay in Pulp until orphan cleanup finds them unused.
"""

from django.db.models import Q
from pulpcore.plugin.util import get_domain

from pulp_container.app import errors
from pulp_container.app.models import Blob, ContainerPushedBlob, Manifest
from pulp_container.app.repository_writes import Changes, write_version

# Manifests named in the refusal; the count says how many there are in all.
NAMED_MANIFESTS = 5


def _unknown(name, digest):
    return errors.RegistryError(
        errors.BLOB_UNKNOWN,
        detail={"name": name, "digest": digest},
        message=f"blob {digest} is not in repository {name!r}",
    )


def _needed(name, digest, manifests):
    return errors.RegistryError(
        errors.DENIED,
        detail={"name": name, "digest": digest, "manifests": manifests[:NAMED_MANIFESTS]},
        message=(
            f"blob {digest} is still needed by {len(manifests)} manifest(s) of {name!r} "
            f"(e.g. {manifests[0]}); delete those manifests first"
        ),
    )


def delete_blob(target, digest):
    """Remove the blob `digest` from `target`'s repository. Blocking.

    Raises:
        RegistryError: BLOB_UNKNOWN, or DENIED while a manifest needs it.
    """
    blob_pk = (
        Blob.objects.filter(digest=digest, _pulp_domain=get_domain())
        .values_list("pk", flat=True)
        .first()
    )
    if blob_pk is None:
        raise _unknown(target.name, digest)

    def edit(repository, version):
        members = version.content
        in_version = members.filter(pk=blob_pk).exists()
        pushed = ContainerPushedBlob.objects.filter(repository_id=repository.pk, blob_id=blob_pk)
        if not in_version and not pushed.exists():
            raise _unknown(target.name, digest)
        needing = list(
            Manifest.objects.filter(pk__in=members.values("pk"))
            .filter(Q(config_blob_id=blob_pk) | Q(blobs__pk=blob_pk))
            .order_by("digest")
            .values_list("digest", flat=True)
            .distinct()
        )
        if needing:
            raise _needed(target.name, digest, needing)
        pushed.delete()
        return Changes(remove=(blob_pk,) if in_version else ())

    write_version(target.repository_pk, edit)
