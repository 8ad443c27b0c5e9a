"""JSON schemas of the manifest formats, as data: structure and types only.

Digest grammar, schemaVersion and the mediaType/Content-Type agreement are checked in
`manifest.py`, where the messages can name the exact problem. Unknown fields are allowed, as
the specs require of consumers.
"""

from pulp_container import constants

_STRING = {"type": "string"}
_STRINGS = {"type": "array", "items": _STRING}
_ANNOTATIONS = {"type": "object", "additionalProperties": _STRING}

PLATFORM = {
    "type": "object",
    "required": ["architecture", "os"],
    "properties": {
        "architecture": _STRING,
        "os": _STRING,
        "os.version": _STRING,
        "os.features": _STRINGS,
        "variant": _STRING,
        "features": _STRINGS,
    },
}

DESCRIPTOR = {
    "type": "object",
    "required": ["mediaType", "digest", "size"],
    "properties": {
        "mediaType": {"type": "string", "minLength": 1},
        "digest": _STRING,
        "size": {"type": "integer", "minimum": 0},
        "urls": _STRINGS,
        "annotations": _ANNOTATIONS,
        "artifactType": _STRING,
        "data": _STRING,
    },
}

# An entry of an index or manifest list. "platform" is optional in both formats in practice
# (attestation and nested-index entries of real-world indexes omit it).
LISTED_MANIFEST = {
    **DESCRIPTOR,
    "properties": {**DESCRIPTOR["properties"], "platform": PLATFORM},
}

_IMAGE_MANIFEST_PROPERTIES = {
    "schemaVersion": {"type": "integer"},
    "mediaType": _STRING,
    "artifactType": _STRING,
    "config": DESCRIPTOR,
    "layers": {"type": "array", "items": DESCRIPTOR},
    "subject": DESCRIPTOR,
    "annotations": _ANNOTATIONS,
}

OCI_MANIFEST = {
    "type": "object",
    "required": ["schemaVersion", "config", "layers"],
    "properties": _IMAGE_MANIFEST_PROPERTIES,
}

DOCKER_MANIFEST_V2 = {
    "type": "object",
    "required": ["schemaVersion", "mediaType", "config", "layers"],
    "properties": _IMAGE_MANIFEST_PROPERTIES,
}

_LIST_PROPERTIES = {
    "schemaVersion": {"type": "integer"},
    "mediaType": _STRING,
    "artifactType": _STRING,
    "manifests": {"type": "array", "items": LISTED_MANIFEST},
    "subject": DESCRIPTOR,
    "annotations": _ANNOTATIONS,
}

OCI_INDEX = {
    "type": "object",
    "required": ["schemaVersion", "manifests"],
    "properties": _LIST_PROPERTIES,
}

DOCKER_MANIFEST_LIST = {
    "type": "object",
    "required": ["schemaVersion", "mediaType", "manifests"],
    "properties": _LIST_PROPERTIES,
}

DOCKER_MANIFEST_V1 = {
    "type": "object",
    "required": ["schemaVersion", "fsLayers"],
    "properties": {
        "schemaVersion": {"type": "integer"},
        "name": _STRING,
        "tag": _STRING,
        "architecture": _STRING,
        "fsLayers": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["blobSum"],
                "properties": {"blobSum": _STRING},
            },
        },
        "history": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["v1Compatibility"],
                "properties": {"v1Compatibility": _STRING},
            },
        },
        "signatures": {"type": "array"},
    },
}

BY_MEDIA_TYPE = {
    constants.MEDIA_TYPE_OCI_MANIFEST: OCI_MANIFEST,
    constants.MEDIA_TYPE_OCI_INDEX: OCI_INDEX,
    constants.MEDIA_TYPE_DOCKER_MANIFEST_V2: DOCKER_MANIFEST_V2,
    constants.MEDIA_TYPE_DOCKER_MANIFEST_LIST: DOCKER_MANIFEST_LIST,
    constants.MEDIA_TYPE_DOCKER_MANIFEST_V1: DOCKER_MANIFEST_V1,
    constants.MEDIA_TYPE_DOCKER_MANIFEST_V1_SIGNED: DOCKER_MANIFEST_V1,
}
