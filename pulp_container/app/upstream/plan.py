"""What a sync takes from an upstream's answers, as pure functions.

The first sync stage does the I/O and builds content; these functions decide: which tags to
sync, whether a fetched manifest is the one upstream claims, which blobs and listed manifests
it brings, and the field values of the Manifest row and of its list entries.
"""

import json
from dataclasses import dataclass

from pulp_container.app.oci.companions import companion_tags
from pulp_container.app.oci.digest import manifest_digest
from pulp_container.app.oci.exceptions import DigestMismatch, ImageConfigInvalid
from pulp_container.app.oci.kinds import kind_fields
from pulp_container.app.oci.manifest import labels_from_config, parse_manifest
from pulp_container.app.oci.reference import is_valid_tag, matches_filters
from pulp_container.constants import CONFIG_MEDIA_TYPES, MANIFEST_MEDIA_TYPES

# Image configs bigger than this are not read for labels, architecture and os.
CONFIG_READ_LIMIT = 4 * 1024 * 1024


class TagListInvalid(ValueError):
    """A tag list page is not the ``{"name": ..., "tags": [...]}`` document of the spec."""


@dataclass(frozen=True)
class BlobRef:
    """A blob a manifest needs: its digest, and its size when the manifest states it."""

    digest: str
    size: int | None = None
    media_type: str | None = None


def parse_tag_page(body):
    """The tags of one ``GET /v2/<name>/tags/list`` page; ``"tags": null`` means none.

    Raises:
        TagListInvalid: the body is not a JSON object with a list of strings under ``tags``.
    """
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise TagListInvalid(f"tag list is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise TagListInvalid("tag list is not a JSON object")
    tags = document.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise TagListInvalid("'tags' of the tag list is not a list of strings")
    return tags


def select_tags(tags, includes=None, excludes=None):
    """The valid tags that pass the filters, each once, sorted.

    Tags that break the tag grammar cannot be served by the registry and are left out. Digests
    among `includes` match no tag: with only digests there, no tag is selected by name.
    """
    return sorted(
        {tag for tag in tags if is_valid_tag(tag) and matches_filters(tag, includes, excludes)}
    )


def select_companions(digests, tags, selected=(), excludes=None):
    """The companion tags (``oci/companions.py``) of manifests `digests` that the sync adds.

    Args:
        digests: the manifests selected (by tag or by digest).
        tags: every tag upstream lists; a companion comes only when it is listed.
        selected: tags already selected, which are not given again.
        excludes: tag patterns; they leave out companions as they leave out any tag.

    Returns:
        The tags, sorted.
    """
    listed, chosen = set(tags), set(selected)
    wanted = {name for digest in digests for name in companion_tags(digest)}
    return sorted(
        name
        for name in wanted & listed
        if name not in chosen and matches_filters(name, None, excludes)
    )


def read_manifest(raw, content_type, *, claimed=None, requested=None):
    """Parse fetched manifest bytes and check them against the digests upstream gave.

    Args:
        raw: the body exactly as received.
        content_type: the response's Content-Type.
        claimed: the ``Docker-Content-Digest`` header, if any.
        requested: the digest the manifest was fetched or listed by, if any.

    Returns:
        The parsed oci Manifest; its digest is computed over the received bytes.

    Raises:
        ManifestInvalid: the bytes are not a manifest of a supported type.
        DigestMismatch: the computed digest differs from `requested` or `claimed`.
    """
    manifest = parse_manifest(raw, content_type)
    for expected in (requested, claimed):
        if not expected or expected == manifest.digest:
            continue
        algorithm = expected.split(":", 1)[0]
        if algorithm != "sha256":
            actual = manifest_digest(raw, manifest.media_type, algorithm)
            if actual == expected:
                continue
        raise DigestMismatch(expected, manifest.digest)
    return manifest


def blobs_to_declare(manifest):
    """The blobs a sync brings for an image manifest: config first, then layers, each once.

    Foreign (Docker) and non-distributable (OCI) layers are left out: registries need not
    hold them and clients fetch them from the descriptor's ``urls``. Schema 1 layers have no
    size in the manifest. Indexes and lists need no blobs.
    """
    if manifest.is_list:
        return ()
    if manifest.is_schema1:
        return tuple(BlobRef(digest) for digest in manifest.blob_sums)
    refs = {}
    for descriptor in (manifest.config, *manifest.layers):
        if descriptor is None or descriptor.is_foreign or descriptor.digest in refs:
            continue
        refs[descriptor.digest] = BlobRef(descriptor.digest, descriptor.size, descriptor.media_type)
    return tuple(refs.values())


def listed_to_fetch(manifest):
    """The entries of an index or list that are manifests, first entry per digest.

    Entries of other media types (which an OCI index may carry) are not fetched.
    """
    entries = {}
    for entry in manifest.manifests:
        if entry.media_type in MANIFEST_MEDIA_TYPES and entry.digest not in entries:
            entries[entry.digest] = entry
    return tuple(entries.values())


def list_entry_fields(entry):
    """Field values of the list -> manifest relation for an index entry (platform and all)."""
    platform = entry.platform
    return {
        "architecture": platform.architecture if platform else "",
        "os": platform.os if platform else "",
        "os_version": (platform.os_version or "") if platform else "",
        "os_features": list(platform.os_features) if platform else [],
        "features": list(platform.features) if platform else [],
        "variant": (platform.variant or "") if platform else "",
        "annotations": dict(entry.annotations),
    }


def wants_config(manifest):
    """Whether the sync should read the image config for labels, architecture and os."""
    config = manifest.config
    return (
        config is not None
        and config.media_type in CONFIG_MEDIA_TYPES
        and config.size <= CONFIG_READ_LIMIT
    )


def config_fields(config_bytes):
    """Labels, architecture and os of an image config; empty values when it is unreadable."""
    try:
        labels = labels_from_config(config_bytes)
        document = json.loads(config_bytes)
    except (ImageConfigInvalid, ValueError):
        return {"labels": {}, "architecture": None, "os": None}
    architecture, os_name = document.get("architecture"), document.get("os")
    return {
        "labels": labels,
        "architecture": architecture if isinstance(architecture, str) else None,
        "os": os_name if isinstance(os_name, str) else None,
    }


def manifest_fields(manifest, config_bytes=None, listed_sizes=()):
    """Field values of the Manifest row for a parsed manifest (relations excluded).

    Args:
        manifest: the parsed oci Manifest.
        config_bytes: its image config, when it was read.
        listed_sizes: for an index or list, the compressed_image_size of each listed manifest.
    """
    fields = {
        "digest": manifest.digest,
        "media_type": manifest.media_type,
        "schema_version": manifest.schema_version,
        "data": manifest.raw.decode("utf-8"),
        "annotations": dict(manifest.annotations),
        "labels": {},
        "architecture": manifest.architecture,
        "os": None,
    }
    if config_bytes is not None:
        fields.update(config_fields(config_bytes))
    fields.update(kind_fields(manifest, fields["labels"], listed_sizes))
    return fields
