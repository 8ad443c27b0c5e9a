"""Parse manifests, indexes and manifest lists; list what they reference; read image labels.

The parsed value keeps the raw bytes it came from: a manifest is served and digested exactly as
received, never re-serialized.
"""

from dataclasses import dataclass, field
from types import MappingProxyType

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from jsonschema.validators import extend

from pulp_container.app.oci import schemas
from pulp_container.app.oci.digest import manifest_digest
from pulp_container.app.oci.exceptions import (
    DigestInvalid,
    ImageConfigInvalid,
    ManifestInvalid,
    MediaTypeMismatch,
)
from pulp_container.app.oci.reference import validate_digest
from pulp_container.app.oci.strict_json import load_object
from pulp_container.constants import (
    FOREIGN_LAYER_MEDIA_TYPES,
    MANIFEST_LIST_MEDIA_TYPES,
    MANIFEST_MEDIA_TYPES,
    MEDIA_TYPE_DOCKER_MANIFEST_V1,
    MEDIA_TYPE_DOCKER_MANIFEST_V1_SIGNED,
    MEDIA_TYPE_OCI_INDEX,
    MEDIA_TYPE_OCI_MANIFEST,
    SCHEMA1_MEDIA_TYPES,
    UNSPECIFIC_CONTENT_TYPES,
)


def _frozen_mapping(value=None):
    return MappingProxyType(dict(value or {}))


@dataclass(frozen=True)
class Platform:
    """The platform an entry of an index or manifest list runs on."""

    architecture: str
    os: str
    variant: str | None = None
    os_version: str | None = None
    os_features: tuple[str, ...] = ()
    features: tuple[str, ...] = ()


@dataclass(frozen=True)
class Descriptor:
    """A reference to content by digest: a config, a layer or a listed manifest."""

    media_type: str
    digest: str
    size: int
    urls: tuple[str, ...] = ()
    annotations: MappingProxyType = field(default_factory=_frozen_mapping, hash=False)
    platform: Platform | None = None
    artifact_type: str | None = None

    @property
    def is_foreign(self):
        """A foreign (Docker) or non-distributable (OCI) layer: the registry need not hold it."""
        return self.media_type in FOREIGN_LAYER_MEDIA_TYPES


@dataclass(frozen=True)
class Manifest:
    """A parsed manifest, image index or manifest list.

    `config` and `layers` are set for image manifests (schema 2 and OCI), `manifests` for
    indexes and lists, `blob_sums` (deduplicated, in document order) and `architecture` for
    Docker schema 1.
    """

    raw: bytes = field(repr=False)
    media_type: str
    schema_version: int
    digest: str
    config: Descriptor | None = None
    layers: tuple[Descriptor, ...] = ()
    manifests: tuple[Descriptor, ...] = ()
    annotations: MappingProxyType = field(default_factory=_frozen_mapping, hash=False)
    subject: Descriptor | None = None
    artifact_type: str | None = None
    blob_sums: tuple[str, ...] = ()
    architecture: str | None = None

    @property
    def is_list(self):
        return self.media_type in MANIFEST_LIST_MEDIA_TYPES

    @property
    def is_schema1(self):
        return self.media_type in SCHEMA1_MEDIA_TYPES


def _is_strict_integer(checker, instance):
    return isinstance(instance, int) and not isinstance(instance, bool)


# JSON Schema counts 2.0 as an integer; the manifest formats (and Go decoders) do not.
_Validator = extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_strict_integer),
)
_VALIDATORS = {
    media_type: _Validator(schema) for media_type, schema in schemas.BY_MEDIA_TYPE.items()
}


def _path(parts):
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".") or "manifest"


def _normalize_content_type(content_type):
    return (content_type or "").split(";", 1)[0].strip().lower()


def _detect_media_type(document):
    if "manifests" in document:
        return MEDIA_TYPE_OCI_INDEX
    if "fsLayers" in document:
        if "signatures" in document:
            return MEDIA_TYPE_DOCKER_MANIFEST_V1_SIGNED
        return MEDIA_TYPE_DOCKER_MANIFEST_V1
    return MEDIA_TYPE_OCI_MANIFEST


def _resolve_media_type(document, content_type):
    """mediaType from the document, else a specific Content-Type, else detection."""
    embedded = document.get("mediaType")
    if embedded is not None and not isinstance(embedded, str):
        raise ManifestInvalid(f"mediaType must be a string, got {embedded!r}")
    given = _normalize_content_type(content_type)
    if given in UNSPECIFIC_CONTENT_TYPES:
        given = None
    if embedded and given and embedded != given:
        raise MediaTypeMismatch(
            f"manifest mediaType {embedded!r} does not match Content-Type {given!r}",
            value=given,
        )
    media_type = embedded or given or _detect_media_type(document)
    if media_type not in MANIFEST_MEDIA_TYPES:
        raise ManifestInvalid(f"unsupported manifest media type {media_type!r}", value=media_type)
    return media_type


def _check_schema_version(document, media_type):
    expected = 1 if media_type in SCHEMA1_MEDIA_TYPES else 2
    version = document.get("schemaVersion")
    if version is None:
        raise ManifestInvalid("schemaVersion is missing")
    if not _is_strict_integer(None, version) or version != expected:
        raise ManifestInvalid(f"schemaVersion must be {expected} for {media_type}, got {version!r}")
    return version


def _check_structure(document, media_type):
    error = best_match(_VALIDATORS[media_type].iter_errors(document))
    if error is not None:
        raise ManifestInvalid(f"{_path(error.absolute_path)}: {error.message}")


def _digest_at(value, path):
    try:
        return validate_digest(value)
    except DigestInvalid as exc:
        raise ManifestInvalid(f"{path}: {exc}", value=value) from exc


def _platform(data):
    if data is None:
        return None
    return Platform(
        architecture=data["architecture"],
        os=data["os"],
        variant=data.get("variant"),
        os_version=data.get("os.version"),
        os_features=tuple(data.get("os.features", ())),
        features=tuple(data.get("features", ())),
    )


def _descriptor(data, path):
    if data is None:
        return None
    return Descriptor(
        media_type=data["mediaType"],
        digest=_digest_at(data["digest"], f"{path}.digest"),
        size=data["size"],
        urls=tuple(data.get("urls", ())),
        annotations=_frozen_mapping(data.get("annotations")),
        platform=_platform(data.get("platform")),
        artifact_type=data.get("artifactType"),
    )


def _descriptors(items, path):
    return tuple(_descriptor(item, f"{path}[{index}]") for index, item in enumerate(items))


def _schema1_fields(document):
    fs_layers = document["fsLayers"]
    history = document.get("history")
    if history is not None and len(history) != len(fs_layers):
        raise ManifestInvalid(
            f"history has {len(history)} entries but fsLayers has {len(fs_layers)}; "
            "schema 1 requires one per layer"
        )
    blob_sums = (
        _digest_at(layer["blobSum"], f"fsLayers[{index}].blobSum")
        for index, layer in enumerate(fs_layers)
    )
    return {
        "blob_sums": tuple(dict.fromkeys(blob_sums)),
        "architecture": document.get("architecture"),
    }


# Clients refuse larger manifests (the distribution spec lets a registry refuse them too), so
# none is accepted from anywhere: upstream, or a push.
MANIFEST_MAX_BYTES = 4 * 1024 * 1024


def parse_manifest(raw, content_type=None):
    """Parse and validate manifest bytes.

    Args:
        raw: the manifest exactly as received or stored.
        content_type: the Content-Type it came with, if any. "application/json" and
            "application/octet-stream" say nothing about the format and are ignored.

    Returns:
        Manifest: its `digest` is computed the way the registry API defines it.

    Raises:
        ManifestInvalid: with a message naming what is wrong (MediaTypeMismatch when mediaType
            and Content-Type disagree; too large over MANIFEST_MAX_BYTES).
    """
    if len(raw) > MANIFEST_MAX_BYTES:
        raise ManifestInvalid(
            f"the manifest is {len(raw)} bytes, over the limit of {MANIFEST_MAX_BYTES} "
            f"(4 MiB) that registry clients accept",
            value=len(raw),
        )
    document = load_object(raw, "manifest")
    media_type = _resolve_media_type(document, content_type)
    schema_version = _check_schema_version(document, media_type)
    _check_structure(document, media_type)
    common = {
        "raw": raw,
        "media_type": media_type,
        "schema_version": schema_version,
        "digest": manifest_digest(raw, media_type),
    }
    if media_type in SCHEMA1_MEDIA_TYPES:
        return Manifest(**common, **_schema1_fields(document))
    common.update(
        annotations=_frozen_mapping(document.get("annotations")),
        subject=_descriptor(document.get("subject"), "subject"),
        artifact_type=document.get("artifactType"),
    )
    if media_type in MANIFEST_LIST_MEDIA_TYPES:
        return Manifest(**common, manifests=_descriptors(document["manifests"], "manifests"))
    return Manifest(
        **common,
        config=_descriptor(document["config"], "config"),
        layers=_descriptors(document["layers"], "layers"),
    )


def referenced_blob_digests(manifest, include_foreign=True):
    """Digests of the blobs an image manifest needs: config first, then layers, deduplicated.

    Args:
        manifest: a parsed Manifest. Indexes and lists reference no blobs.
        include_foreign: whether to list foreign/non-distributable layers, which registries
            need not hold.
    """
    if manifest.is_schema1:
        return manifest.blob_sums
    digests = [manifest.config.digest] if manifest.config else []
    digests += [
        layer.digest for layer in manifest.layers if include_foreign or not layer.is_foreign
    ]
    return tuple(dict.fromkeys(digests))


def referenced_manifest_digests(manifest):
    """Digests of the manifests an index or list names, deduplicated; empty for images.

    The OCI `subject` is not included: it points at another manifest without requiring it.
    """
    return tuple(dict.fromkeys(entry.digest for entry in manifest.manifests))


def labels_from_config(config_bytes):
    """Return the image labels (`config.Labels`) of an image config blob, {} when it has none.

    Raises:
        ImageConfigInvalid: the blob is not JSON, or config/Labels have the wrong shape.
    """
    document = load_object(config_bytes, "image config", error=ImageConfigInvalid)
    config = document.get("config")
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise ImageConfigInvalid("image config field 'config' is not an object")
    labels = config.get("Labels")
    if labels is None:
        return {}
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise ImageConfigInvalid("image config field 'config.Labels' is not a string map")
    return dict(labels)
