"""What a pushed manifest must be before it is stored: pure checks, no database.

The format checks are the pull side's own (``oci/manifest.py``: strict JSON, the JSON schema of
the media type, digests of every descriptor; ``upstream/plan.py``: the digest a manifest was
addressed by). Pushing adds what only a push needs: the bytes are stored as text, so they must
be UTF-8; Docker schema 1 is not taken (clients stopped pushing it years ago, and its signed
form cannot be verified here); and everything the manifest references must already be in the
repository (`missing_error` builds the refusal).
"""

from dataclasses import dataclass

from pulp_container.app import errors
from pulp_container.app.oci.exceptions import ManifestInvalid
from pulp_container.app.upstream import plan


@dataclass(frozen=True)
class Needs:
    """What a manifest references and the repository must hold before it can be stored."""

    blobs: tuple = ()
    """Digests of the config and the layers, foreign / non-distributable layers excluded."""
    manifests: tuple = ()
    """Digests of the manifests an index or manifest list names (the OCI `subject` is not
    among them: the spec lets a referrer be pushed before its subject)."""


def read_pushed(raw, content_type, digest=None):
    """Parse and check the body of a manifest PUT.

    Args:
        raw: the request body, exactly as received.
        content_type: the request's Content-Type.
        digest: the digest the manifest was PUT by, or None for a tag.

    Returns:
        The parsed oci Manifest.

    Raises:
        ManifestInvalid: not a manifest of a type this registry takes (400 MANIFEST_INVALID).
        DigestMismatch: the bytes do not hash to `digest` (400 DIGEST_INVALID).
    """
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestInvalid(f"the manifest is not UTF-8 encoded JSON: {exc}") from exc
    manifest = plan.read_manifest(raw, content_type, requested=digest)
    if manifest.is_schema1:
        raise ManifestInvalid(
            f"{manifest.media_type} manifests are not accepted for push; push Docker schema 2 "
            "or OCI manifests",
            value=manifest.media_type,
        )
    return manifest


def needs(manifest):
    """The blobs and manifests `manifest` references that the repository must hold."""
    return Needs(
        blobs=tuple(ref.digest for ref in plan.blobs_to_declare(manifest)),
        manifests=tuple(entry.digest for entry in plan.listed_to_fetch(manifest)),
    )


def missing(wanted, present):
    """The digests of `wanted` not in `present`, in the order of `wanted`."""
    present = set(present)
    return tuple(digest for digest in wanted if digest not in present)


def missing_error(name, blobs=(), manifests=()):
    """The refusal of a manifest that references blobs or manifests `name` does not hold.

    The spec's code for both is MANIFEST_BLOB_UNKNOWN; `detail` names the first digest missing
    (``digest``) and all of them (``blobs``, ``manifests``).
    """
    first = (blobs or manifests)[0]
    what = "blob" if blobs else "manifest"
    return errors.RegistryError(
        errors.MANIFEST_BLOB_UNKNOWN,
        detail={"name": name, "digest": first, "blobs": list(blobs), "manifests": list(manifests)},
        message=(
            f"the manifest references {what} {first}, which repository {name!r} does not hold; "
            "push it first"
        ),
    )
