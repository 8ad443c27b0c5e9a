"""DeclarativeContent for blobs, manifests and tags, built the same way by every path in.

Sync uses them today; pull-through builds the same units from what it fetched. Relations that
need saved rows on both ends (manifest -> layers, list -> manifests) travel in ``extra_data``
and are written by `save_relations` once the manifest is saved.
"""

from django.db import IntegrityError, transaction
from django.db.models import Sum
from pulpcore.plugin.models import Artifact
from pulpcore.plugin.stages import DeclarativeArtifact, DeclarativeContent

from .models import Blob, BlobManifest, Manifest, ManifestListManifest, Tag
from .oci.reference import parse_digest
from .upstream.plan import list_entry_fields, manifest_fields
from .upstream.urls import RegistryURLs

BLOBS = "blobs"
LISTED = "listed"


def blob_artifact(digest, size=None):
    """An unsaved Artifact that pulpcore verifies the download against (digest and size)."""
    parsed = parse_digest(digest)
    return Artifact(size=size, **{parsed.algorithm: parsed.encoded})


def blob_content(remote, digest, size=None, *, deferred, artifact=None):
    """A blob fetched from `remote`'s upstream repository.

    Its ContentArtifact's relative path is the digest (the registry finds blobs by it) and
    its RemoteArtifact points at the upstream blob URL.

    Args:
        remote: the ContainerRemote.
        digest: ``sha256:<hex>``.
        size: bytes, when the manifest states it.
        deferred: True for the on_demand and streamed policies: nothing is downloaded now.
        artifact: an Artifact already downloaded (with its file), to use instead of fetching.
    """
    d_artifact = DeclarativeArtifact(
        artifact=artifact or blob_artifact(digest, size),
        url=RegistryURLs.for_remote(remote).blob(digest),
        relative_path=digest,
        remote=remote,
        deferred_download=deferred and artifact is None,
    )
    return DeclarativeContent(content=Blob(digest=digest), d_artifacts=[d_artifact])


def manifest_content(parsed, *, config_bytes=None, config_blob=None, blobs=(), listed=()):
    """A manifest stored byte for byte, with its relations.

    Args:
        parsed: the oci Manifest (its ``raw`` bytes become ``data``).
        config_bytes: the image config, read for labels, architecture and os.
        config_blob: the saved config Blob.
        blobs: the saved layer Blobs, config excluded (schema 1: its fsLayers blobs).
        listed: for an index or list, (saved Manifest, oci Descriptor) per entry.
    """
    sizes = [child.compressed_image_size for child, _ in listed]
    fields = manifest_fields(parsed, config_bytes, listed_sizes=sizes)
    return DeclarativeContent(
        content=Manifest(config_blob=config_blob, **fields),
        extra_data={BLOBS: list(blobs), LISTED: list(listed)},
    )


def tag_content(name, manifest):
    """Tag `name` pointing at the saved `manifest`."""
    return DeclarativeContent(content=Tag(name=name, tagged_manifest=manifest))


def saved(unit):
    """`unit` saved, or the equal unit saved before (content is shared), touched.

    Safe when two writers save the same unit at once: the loser's insert fails inside its own
    savepoint and it takes the winner's row. Touching keeps a reused unit from orphan cleanup
    until a version holds it.
    """
    existing = type(unit).objects.filter(unit.q()).first()
    if existing is not None:
        existing.touch()
        return existing
    try:
        with transaction.atomic():
            unit.save()
        return unit
    except IntegrityError:
        return type(unit).objects.get(unit.q())


def save_relations(d_contents):
    """Write the layer and list-entry relations of the manifests among `d_contents`.

    Existing relations are kept, so a manifest saved earlier is left as it is. A list's
    compressed_image_size becomes the sum of what it lists now (pull-through relates a list
    to its manifests after saving it).
    """
    layer_links, list_links = [], []
    for d_content in d_contents:
        manifest = d_content.content
        if not isinstance(manifest, Manifest):
            continue
        layer_links.extend(
            BlobManifest(manifest=manifest, manifest_blob=blob)
            for blob in d_content.extra_data.get(BLOBS, ())
        )
        list_links.extend(
            ManifestListManifest(
                manifest_list=manifest, image_manifest=child, **list_entry_fields(entry)
            )
            for child, entry in d_content.extra_data.get(LISTED, ())
        )
    BlobManifest.objects.bulk_create(layer_links, ignore_conflicts=True)
    ManifestListManifest.objects.bulk_create(list_links, ignore_conflicts=True)
    for manifest_list in {link.manifest_list for link in list_links}:
        size = manifest_list.listed_manifests.aggregate(total=Sum("compressed_image_size"))
        total = size["total"] or 0
        if manifest_list.compressed_image_size != total:
            manifest_list.compressed_image_size = total
            Manifest.objects.filter(pk=manifest_list.pk).update(compressed_image_size=total)
