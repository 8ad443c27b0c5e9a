"""Media types, header names and protocol values of the container registry formats: data only.

Sources: the Docker image manifest specs (schema 1 and schema 2), the Docker Registry HTTP API V2,
the OCI image spec and the OCI distribution spec.
"""

# --- Docker media types ----------------------------------------------------------------------

MEDIA_TYPE_DOCKER_MANIFEST_V1 = "application/vnd.docker.distribution.manifest.v1+json"
MEDIA_TYPE_DOCKER_MANIFEST_V1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"
MEDIA_TYPE_DOCKER_MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
MEDIA_TYPE_DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MEDIA_TYPE_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
MEDIA_TYPE_DOCKER_PLUGIN_CONFIG = "application/vnd.docker.plugin.v1+json"
MEDIA_TYPE_DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
MEDIA_TYPE_DOCKER_FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

# --- OCI media types -------------------------------------------------------------------------

MEDIA_TYPE_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_TYPE_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_TYPE_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_TYPE_OCI_EMPTY = "application/vnd.oci.empty.v1+json"
MEDIA_TYPE_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
MEDIA_TYPE_OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
MEDIA_TYPE_OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
MEDIA_TYPE_OCI_NONDISTRIBUTABLE_LAYER = "application/vnd.oci.image.layer.nondistributable.v1.tar"
MEDIA_TYPE_OCI_NONDISTRIBUTABLE_LAYER_GZIP = (
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
)
MEDIA_TYPE_OCI_NONDISTRIBUTABLE_LAYER_ZSTD = (
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
)

# --- Media types of cosign's companion manifests (signatures and attestations) ------------

MEDIA_TYPE_COSIGN_SIGNATURE = "application/vnd.dev.cosign.simplesigning.v1+json"
MEDIA_TYPE_DSSE_ENVELOPE = "application/vnd.dsse.envelope.v1+json"

# --- Image config labels that say what an image is -------------------------------------------

LABEL_BOOTC = "containers.bootc"
LABEL_FLATPAK_REF = "org.flatpak.ref"

# --- Generic media types ---------------------------------------------------------------------

MEDIA_TYPE_JSON = "application/json"
MEDIA_TYPE_OCTET_STREAM = "application/octet-stream"

# --- Groups ----------------------------------------------------------------------------------

SCHEMA1_MEDIA_TYPES = (MEDIA_TYPE_DOCKER_MANIFEST_V1, MEDIA_TYPE_DOCKER_MANIFEST_V1_SIGNED)

IMAGE_MANIFEST_MEDIA_TYPES = (
    MEDIA_TYPE_OCI_MANIFEST,
    MEDIA_TYPE_DOCKER_MANIFEST_V2,
    *SCHEMA1_MEDIA_TYPES,
)

MANIFEST_LIST_MEDIA_TYPES = (MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_DOCKER_MANIFEST_LIST)

# Every manifest media type this plugin parses, stores and serves.
MANIFEST_MEDIA_TYPES = (*MANIFEST_LIST_MEDIA_TYPES, *IMAGE_MANIFEST_MEDIA_TYPES)

CONFIG_MEDIA_TYPES = (MEDIA_TYPE_OCI_CONFIG, MEDIA_TYPE_DOCKER_CONFIG)

# Layers whose content the registry does not have to store: the descriptor may carry "urls".
FOREIGN_LAYER_MEDIA_TYPES = (
    MEDIA_TYPE_DOCKER_FOREIGN_LAYER,
    MEDIA_TYPE_OCI_NONDISTRIBUTABLE_LAYER,
    MEDIA_TYPE_OCI_NONDISTRIBUTABLE_LAYER_GZIP,
    MEDIA_TYPE_OCI_NONDISTRIBUTABLE_LAYER_ZSTD,
)

LAYER_MEDIA_TYPES = (
    MEDIA_TYPE_OCI_LAYER,
    MEDIA_TYPE_OCI_LAYER_GZIP,
    MEDIA_TYPE_OCI_LAYER_ZSTD,
    MEDIA_TYPE_DOCKER_LAYER,
    *FOREIGN_LAYER_MEDIA_TYPES,
)

# The media types a registry client lists in Accept to fetch any manifest, most preferred first.
MANIFEST_ACCEPT = (
    MEDIA_TYPE_OCI_INDEX,
    MEDIA_TYPE_OCI_MANIFEST,
    MEDIA_TYPE_DOCKER_MANIFEST_LIST,
    MEDIA_TYPE_DOCKER_MANIFEST_V2,
    MEDIA_TYPE_DOCKER_MANIFEST_V1_SIGNED,
    MEDIA_TYPE_DOCKER_MANIFEST_V1,
)
MANIFEST_ACCEPT_HEADER = ", ".join(MANIFEST_ACCEPT)

# Content-Type values that say nothing about which manifest format a body is in. Schema 1 is
# also accepted as "application/json" (Docker image manifest v2 schema 1 spec).
UNSPECIFIC_CONTENT_TYPES = ("", MEDIA_TYPE_JSON, MEDIA_TYPE_OCTET_STREAM)

# --- Headers ---------------------------------------------------------------------------------

HEADER_ACCEPT = "Accept"
HEADER_ACCEPT_RANGES = "Accept-Ranges"
HEADER_AUTHORIZATION = "Authorization"
HEADER_CONTENT_LENGTH = "Content-Length"
HEADER_CONTENT_RANGE = "Content-Range"
HEADER_CONTENT_TYPE = "Content-Type"
HEADER_LINK = "Link"
HEADER_LOCATION = "Location"
HEADER_RANGE = "Range"
HEADER_RETRY_AFTER = "Retry-After"
HEADER_WARNING = "Warning"
HEADER_WWW_AUTHENTICATE = "WWW-Authenticate"
HEADER_DOCKER_CONTENT_DIGEST = "Docker-Content-Digest"
HEADER_DOCKER_DISTRIBUTION_API_VERSION = "Docker-Distribution-API-Version"
HEADER_DOCKER_UPLOAD_UUID = "Docker-Upload-UUID"
HEADER_OCI_CHUNK_MIN_LENGTH = "OCI-Chunk-Min-Length"
HEADER_OCI_FILTERS_APPLIED = "OCI-Filters-Applied"
HEADER_OCI_SUBJECT = "OCI-Subject"

# --- Protocol values -------------------------------------------------------------------------

# Value of the Docker-Distribution-API-Version header on every registry response.
REGISTRY_API_VERSION = "registry/2.0"

# The layer old Docker images reference for history steps that change no file: a gzipped empty
# tar (1024 zero bytes). Registries serve it under every name, stored or not.
EMPTY_LAYER_DIGEST = "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"
EMPTY_LAYER_BYTES = bytes.fromhex(
    "1f8b080000096e8800ff621805a360148c5800080000ffff2eafb5ef00040000"
)

# --- Labels ----------------------------------------------------------------------------------

# pulp_labels key on a pull-through distribution holding its path prefix (its base_path), which
# clients written for pulp_container 2.30 read.
LABEL_PULL_THROUGH = "pulp_container.pull_through"
