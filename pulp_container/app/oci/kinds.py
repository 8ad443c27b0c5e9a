"""What kind of thing a manifest is, and the size of the image it describes: pure functions.

The values of ``type`` are the REST API's: ``index`` (an OCI index or Docker manifest list),
``signature`` and ``attestation`` (cosign's companion manifests), ``bootable`` (a bootc image:
config label ``containers.bootc`` = ``1``), ``flatpak`` (config label ``org.flatpak.ref``),
else ``image``.
"""

from pulp_container.constants import (
    LABEL_BOOTC,
    LABEL_FLATPAK_REF,
    MEDIA_TYPE_COSIGN_SIGNATURE,
    MEDIA_TYPE_DSSE_ENVELOPE,
)

IMAGE = "image"
INDEX = "index"
BOOTABLE = "bootable"
FLATPAK = "flatpak"
SIGNATURE = "signature"
ATTESTATION = "attestation"


def manifest_type(manifest, labels=None):
    """The type of a parsed manifest, given its image config's labels (if they were read)."""
    if manifest.is_list:
        return INDEX
    layer_types = {layer.media_type for layer in manifest.layers}
    if MEDIA_TYPE_COSIGN_SIGNATURE in layer_types:
        return SIGNATURE
    if MEDIA_TYPE_DSSE_ENVELOPE in layer_types:
        return ATTESTATION
    labels = labels or {}
    if labels.get(LABEL_BOOTC) == "1":
        return BOOTABLE
    if LABEL_FLATPAK_REF in labels:
        return FLATPAK
    return IMAGE


def compressed_image_size(manifest, listed_sizes=()):
    """Bytes of the image's layers as stored (compressed), from the manifest's descriptors.

    For an index or list: the sum of `listed_sizes`, the sizes of the manifests it lists that
    are known. None for Docker schema 1, whose manifests state no sizes.
    """
    if manifest.is_list:
        return sum(size for size in listed_sizes if size is not None)
    if manifest.is_schema1:
        return None
    return sum(layer.size for layer in manifest.layers)


def kind_fields(manifest, labels=None, listed_sizes=()):
    """The Manifest row's computed fields: size, type and the two booleans that follow type."""
    kind = manifest_type(manifest, labels)
    return {
        "compressed_image_size": compressed_image_size(manifest, listed_sizes),
        "type": kind,
        "is_bootable": kind == BOOTABLE,
        "is_flatpak": kind == FLATPAK,
    }
