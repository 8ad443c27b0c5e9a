import copy
import dataclasses
import json

import pytest

from pulp_container import constants
from pulp_container.app.oci.digest import sha256_digest
from pulp_container.app.oci.exceptions import (
    ImageConfigInvalid,
    ManifestInvalid,
    MediaTypeMismatch,
)
from pulp_container.app.oci.manifest import (
    Descriptor,
    Platform,
    labels_from_config,
    parse_manifest,
    referenced_blob_digests,
    referenced_manifest_digests,
)
from tests.unit.oci import manifests as m


@pytest.mark.parametrize(
    "document, media_type, n_layers, n_manifests",
    [
        (m.DOCKER_V2, constants.MEDIA_TYPE_DOCKER_MANIFEST_V2, 2, 0),
        (m.DOCKER_V2_FOREIGN, constants.MEDIA_TYPE_DOCKER_MANIFEST_V2, 2, 0),
        (m.OCI_MANIFEST, constants.MEDIA_TYPE_OCI_MANIFEST, 3, 0),
        (m.OCI_MANIFEST_BARE, constants.MEDIA_TYPE_OCI_MANIFEST, 3, 0),
        (m.OCI_ARTIFACT, constants.MEDIA_TYPE_OCI_MANIFEST, 1, 0),
        (m.OCI_INDEX, constants.MEDIA_TYPE_OCI_INDEX, 0, 3),
        (m.OCI_INDEX_NO_PLATFORM, constants.MEDIA_TYPE_OCI_INDEX, 0, 1),
        (m.DOCKER_LIST, constants.MEDIA_TYPE_DOCKER_MANIFEST_LIST, 0, 2),
    ],
)
def test_parse_json_manifests(document, media_type, n_layers, n_manifests):
    raw = m.encode(document)
    manifest = parse_manifest(raw)
    assert manifest.media_type == media_type
    assert manifest.schema_version == 2
    assert manifest.raw is raw
    assert manifest.digest == sha256_digest(raw)
    assert len(manifest.layers) == n_layers
    assert len(manifest.manifests) == n_manifests
    assert manifest.is_list == (n_manifests > 0)
    assert (manifest.config is None) == manifest.is_list
    assert not manifest.is_schema1


def _padded_to(size):
    """An OCI manifest whose annotation makes it exactly `size` bytes long."""
    document = copy.deepcopy(m.OCI_MANIFEST)
    document["annotations"] = {"padding": ""}
    short = len(m.encode(document))
    document["annotations"]["padding"] = "x" * (size - short)
    raw = m.encode(document)
    assert len(raw) == size
    return raw


def test_a_manifest_of_4_mib_is_accepted_and_one_byte_more_is_not():
    limit = 4 * 1024 * 1024
    assert parse_manifest(_padded_to(limit)).digest
    with pytest.raises(ManifestInvalid, match="over the limit"):
        parse_manifest(_padded_to(limit + 1))


def test_raw_bytes_are_kept_byte_for_byte():
    raw = b'{"schemaVersion":2,  "mediaType": "%s",\n\t"manifests" : [ ] }' % (
        constants.MEDIA_TYPE_OCI_INDEX.encode()
    )
    manifest = parse_manifest(raw)
    assert manifest.raw == raw
    assert manifest.digest == sha256_digest(raw)


def test_docker_v2_descriptors():
    manifest = parse_manifest(m.encode(m.DOCKER_V2))
    assert manifest.config == Descriptor(constants.MEDIA_TYPE_DOCKER_CONFIG, m.CONFIG, 1469)
    assert [(layer.digest, layer.size) for layer in manifest.layers] == [
        (m.LAYER_1, 2811478),
        (m.LAYER_2, 93),
    ]
    assert not any(layer.is_foreign for layer in manifest.layers)
    assert referenced_blob_digests(manifest) == (m.CONFIG, m.LAYER_1, m.LAYER_2)
    assert referenced_manifest_digests(manifest) == ()


def test_foreign_layers():
    manifest = parse_manifest(m.encode(m.DOCKER_V2_FOREIGN))
    foreign, regular = manifest.layers
    assert foreign.is_foreign and not regular.is_foreign
    assert foreign.urls == (m.DOCKER_V2_FOREIGN["layers"][0]["urls"][0],)
    assert referenced_blob_digests(manifest) == (m.CONFIG, m.FOREIGN_LAYER, m.LAYER_1)
    assert referenced_blob_digests(manifest, include_foreign=False) == (m.CONFIG, m.LAYER_1)


def test_oci_manifest_annotations_nondistributable_layers_and_dedup():
    manifest = parse_manifest(m.encode(m.OCI_MANIFEST))
    assert manifest.annotations == {"org.opencontainers.image.created": "2024-01-02T03:04:05Z"}
    assert [layer.is_foreign for layer in manifest.layers] == [False, True, False]
    assert manifest.layers[1].urls == ("https://example.com/blobs/layer-2",)
    # LAYER_1 appears twice in the manifest, once in the result; config comes first
    assert referenced_blob_digests(manifest) == (m.CONFIG, m.LAYER_1, m.LAYER_2)
    assert referenced_blob_digests(manifest, include_foreign=False) == (m.CONFIG, m.LAYER_1)


def test_oci_artifact_subject_and_artifact_type():
    manifest = parse_manifest(m.encode(m.OCI_ARTIFACT))
    assert manifest.artifact_type == "application/vnd.example.sbom.v1+json"
    assert manifest.subject.digest == m.fake_digest("subject")
    assert manifest.config.media_type == constants.MEDIA_TYPE_OCI_EMPTY
    assert referenced_manifest_digests(manifest) == ()


def test_oci_index_platforms_and_annotations():
    manifest = parse_manifest(m.encode(m.OCI_INDEX))
    platforms = [entry.platform for entry in manifest.manifests]
    assert platforms == [
        Platform(architecture="amd64", os="linux"),
        Platform(architecture="arm64", os="linux", variant="v8"),
        Platform(
            architecture="amd64",
            os="windows",
            os_version="10.0.17763.5830",
            os_features=("win32k",),
        ),
    ]
    assert manifest.manifests[1].annotations == {"org.opencontainers.image.ref.name": "arm"}
    assert manifest.annotations == {"com.example.key1": "value1"}
    assert referenced_manifest_digests(manifest) == (m.AMD64, m.ARM64, m.WINDOWS)
    assert referenced_blob_digests(manifest) == ()


def test_docker_list_platform_features():
    manifest = parse_manifest(m.encode(m.DOCKER_LIST))
    amd64, arm = manifest.manifests
    assert amd64.platform.features == ("sse4",)
    assert arm.platform == Platform(architecture="arm", os="linux", variant="v7")
    assert amd64.media_type == constants.MEDIA_TYPE_DOCKER_MANIFEST_V2
    assert (amd64.digest, amd64.size) == (m.AMD64, 7143)


def test_index_entry_without_platform():
    manifest = parse_manifest(m.encode(m.OCI_INDEX_NO_PLATFORM))
    assert manifest.manifests[0].platform is None


@pytest.mark.parametrize(
    "raw, media_type",
    [
        (m.SCHEMA1_SIGNED, constants.MEDIA_TYPE_DOCKER_MANIFEST_V1_SIGNED),
        (m.SCHEMA1_PAYLOAD, constants.MEDIA_TYPE_DOCKER_MANIFEST_V1),
    ],
)
def test_schema1(raw, media_type):
    manifest = parse_manifest(raw)
    assert manifest.media_type == media_type
    assert manifest.is_schema1 and not manifest.is_list
    assert manifest.schema_version == 1
    assert manifest.digest == m.SCHEMA1_PAYLOAD_DIGEST
    assert manifest.raw == raw
    assert manifest.architecture == "amd64"
    assert manifest.blob_sums == (m.SCHEMA1_LAYER_TOP, m.SCHEMA1_LAYER_BASE)
    assert manifest.config is None and manifest.layers == ()
    assert referenced_blob_digests(manifest) == manifest.blob_sums


@pytest.mark.parametrize(
    "raw, content_type, media_type",
    [
        (m.encode(m.OCI_MANIFEST_BARE), None, constants.MEDIA_TYPE_OCI_MANIFEST),
        (m.encode(m.OCI_MANIFEST_BARE), "", constants.MEDIA_TYPE_OCI_MANIFEST),
        (m.encode(m.OCI_MANIFEST_BARE), "application/json", constants.MEDIA_TYPE_OCI_MANIFEST),
        (
            m.encode(m.OCI_MANIFEST_BARE),
            "application/octet-stream",
            constants.MEDIA_TYPE_OCI_MANIFEST,
        ),
        (
            m.encode(m.OCI_MANIFEST_BARE),
            constants.MEDIA_TYPE_OCI_MANIFEST,
            constants.MEDIA_TYPE_OCI_MANIFEST,
        ),
        (
            m.encode(m.OCI_MANIFEST),
            constants.MEDIA_TYPE_OCI_MANIFEST + "; charset=utf-8",
            constants.MEDIA_TYPE_OCI_MANIFEST,
        ),
        (
            m.encode(m.DOCKER_V2),
            constants.MEDIA_TYPE_DOCKER_MANIFEST_V2.upper(),
            constants.MEDIA_TYPE_DOCKER_MANIFEST_V2,
        ),
        (m.encode(m.OCI_INDEX_NO_PLATFORM), None, constants.MEDIA_TYPE_OCI_INDEX),
        (m.SCHEMA1_SIGNED, "application/json", constants.MEDIA_TYPE_DOCKER_MANIFEST_V1_SIGNED),
        (
            m.SCHEMA1_SIGNED,
            constants.MEDIA_TYPE_DOCKER_MANIFEST_V1,
            constants.MEDIA_TYPE_DOCKER_MANIFEST_V1,
        ),
        (
            m.SCHEMA1_PAYLOAD,
            constants.MEDIA_TYPE_DOCKER_MANIFEST_V1_SIGNED,
            constants.MEDIA_TYPE_DOCKER_MANIFEST_V1_SIGNED,
        ),
    ],
)
def test_media_type_resolution(raw, content_type, media_type):
    assert parse_manifest(raw, content_type=content_type).media_type == media_type


@pytest.mark.parametrize(
    "document, content_type",
    [
        (m.DOCKER_V2, constants.MEDIA_TYPE_OCI_MANIFEST),
        (m.OCI_INDEX, constants.MEDIA_TYPE_DOCKER_MANIFEST_LIST),
        (m.OCI_MANIFEST, "text/plain"),
    ],
)
def test_media_type_mismatch(document, content_type):
    with pytest.raises(MediaTypeMismatch) as excinfo:
        parse_manifest(m.encode(document), content_type=content_type)
    assert document["mediaType"] in str(excinfo.value)
    assert content_type in str(excinfo.value)
    assert isinstance(excinfo.value, ManifestInvalid)


def _mutated(document, path, value):
    """A deep copy of `document` with the item at `path` set to `value` (or deleted)."""
    document = copy.deepcopy(document)
    target = document
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return m.encode(document)


_DELETE = object()
_OTHER = "application/vnd.oci.artifact.manifest.v1+json"


@pytest.mark.parametrize(
    "raw, content_type, fragment",
    [
        (b"not json", None, "not valid JSON"),
        (b"", None, "not valid JSON"),
        (b"\xff\xfe\x00garbage", None, "not valid JSON"),
        (b"[]", None, "not a JSON object"),
        (b'{"schemaVersion": 2, "schemaVersion": 2}', None, "duplicate key 'schemaVersion'"),
        (b'{"schemaVersion": NaN}', None, "non-standard JSON constant NaN"),
        (_mutated(m.OCI_MANIFEST, ["mediaType"], 7), None, "mediaType must be a string"),
        (_mutated(m.OCI_MANIFEST, ["mediaType"], _OTHER), None, "unsupported manifest media"),
        (m.encode(m.OCI_MANIFEST_BARE), "text/plain", "unsupported manifest media type"),
        (_mutated(m.DOCKER_V2, ["schemaVersion"], _DELETE), None, "schemaVersion is missing"),
        (_mutated(m.DOCKER_V2, ["schemaVersion"], 1), None, "schemaVersion must be 2"),
        (_mutated(m.DOCKER_V2, ["schemaVersion"], 3), None, "schemaVersion must be 2"),
        (_mutated(m.DOCKER_V2, ["schemaVersion"], "2"), None, "schemaVersion must be 2"),
        (_mutated(m.DOCKER_V2, ["schemaVersion"], 2.0), None, "schemaVersion must be 2"),
        (_mutated(m.DOCKER_V2, ["schemaVersion"], True), None, "schemaVersion must be 2"),
        (
            m.SCHEMA1_PAYLOAD.replace(b'"schemaVersion": 1', b'"schemaVersion": true'),
            None,
            "schemaVersion must be 1",
        ),
        (
            _mutated(m.DOCKER_V2, ["mediaType"], _DELETE),
            constants.MEDIA_TYPE_DOCKER_MANIFEST_V2,
            "'mediaType' is a required property",
        ),
        (
            m.encode(m.OCI_INDEX_NO_PLATFORM),
            constants.MEDIA_TYPE_DOCKER_MANIFEST_LIST,
            "'mediaType' is a required property",
        ),
        (
            m.encode(m.OCI_INDEX_NO_PLATFORM),
            constants.MEDIA_TYPE_OCI_MANIFEST,
            "'config' is a required property",
        ),
        (_mutated(m.OCI_MANIFEST, ["config"], _DELETE), None, "'config' is a required property"),
        (_mutated(m.OCI_MANIFEST, ["layers"], {}), None, "layers: {} is not of type 'array'"),
        (
            _mutated(m.OCI_MANIFEST, ["layers", 1, "digest"], "sha256:abc"),
            None,
            "layers[1].digest: invalid digest 'sha256:abc'",
        ),
        (
            _mutated(m.DOCKER_V2, ["config", "digest"], "md5:d41d8cd98f00b204e9800998ecf8427e"),
            None,
            "config.digest: invalid digest",
        ),
        (
            _mutated(m.DOCKER_V2, ["layers", 0, "mediaType"], _DELETE),
            None,
            "layers[0]: 'mediaType' is a required property",
        ),
        (_mutated(m.DOCKER_V2, ["layers", 0, "size"], -1), None, "layers[0].size: -1 is less"),
        (_mutated(m.DOCKER_V2, ["layers", 0, "size"], "93"), None, "layers[0].size: '93' is not"),
        (_mutated(m.DOCKER_V2, ["layers", 0, "size"], 1.5), None, "layers[0].size: 1.5 is not"),
        (
            _mutated(m.DOCKER_V2, ["layers", 0, "urls"], "http://x"),
            None,
            "layers[0].urls: 'http://x' is not of type 'array'",
        ),
        (
            _mutated(m.OCI_MANIFEST, ["annotations", "k"], 1),
            None,
            "annotations.k: 1 is not of type 'string'",
        ),
        (
            _mutated(m.OCI_INDEX, ["manifests", 0, "platform", "os"], _DELETE),
            None,
            "manifests[0].platform: 'os' is a required property",
        ),
        (
            _mutated(m.OCI_INDEX, ["manifests", 2, "digest"], "latest"),
            None,
            "manifests[2].digest: invalid digest 'latest'",
        ),
        (
            _mutated(m.DOCKER_LIST, ["manifests"], [{}]),
            None,
            "manifests[0]: 'mediaType' is a required property",
        ),
        (
            m.SCHEMA1_PAYLOAD.replace(m.SCHEMA1_LAYER_BASE.encode(), b"sha256:0000"),
            None,
            "fsLayers[1].blobSum: invalid digest",
        ),
        (b'{"schemaVersion": 1, "fsLayers": []}', None, "fsLayers: [] should be non-empty"),
        (
            b'{"schemaVersion": 1, "fsLayers": [{"blobSum": "%s"}], "history": []}'
            % m.LAYER_1.encode(),
            None,
            "history has 0 entries but fsLayers has 1",
        ),
    ],
)
def test_invalid_manifests(raw, content_type, fragment):
    with pytest.raises(ManifestInvalid) as excinfo:
        parse_manifest(raw, content_type=content_type)
    assert fragment in str(excinfo.value)


def test_schema1_with_corrupt_protected_header_bytes():
    document = json.loads(m.SCHEMA1_SIGNED)
    protected = document["signatures"][0]["protected"].encode()
    with pytest.raises(ManifestInvalid, match="protected header"):
        parse_manifest(m.SCHEMA1_SIGNED.replace(protected, b"e30"))  # "{}"


def test_parsed_values_are_immutable_and_hashable():
    manifest = parse_manifest(m.encode(m.OCI_INDEX))
    with pytest.raises(dataclasses.FrozenInstanceError):
        manifest.digest = "sha256:" + "0" * 64
    with pytest.raises(TypeError):
        manifest.annotations["x"] = "y"
    assert len({manifest, parse_manifest(m.encode(m.OCI_INDEX))}) == 1


DOCKER_CONFIG = {
    "architecture": "amd64",
    "os": "linux",
    "config": {"Env": ["PATH=/usr/bin"], "Labels": {"maintainer": "someone", "version": "1"}},
    "rootfs": {"type": "layers", "diff_ids": []},
}


@pytest.mark.parametrize(
    "config, labels",
    [
        (DOCKER_CONFIG, {"maintainer": "someone", "version": "1"}),
        ({"config": {"Labels": None}}, {}),
        ({"config": {}}, {}),
        ({"config": None}, {}),
        ({"architecture": "amd64"}, {}),
    ],
)
def test_labels_from_config(config, labels):
    assert labels_from_config(json.dumps(config).encode()) == labels


@pytest.mark.parametrize(
    "raw, fragment",
    [
        (b"{", "image config is not valid JSON"),
        (b'"text"', "image config is not a JSON object"),
        (b'{"config": []}', "'config' is not an object"),
        (b'{"config": {"Labels": ["a=b"]}}', "'config.Labels' is not a string map"),
        (b'{"config": {"Labels": {"a": 1}}}', "'config.Labels' is not a string map"),
    ],
)
def test_labels_from_invalid_config(raw, fragment):
    with pytest.raises(ImageConfigInvalid) as excinfo:
        labels_from_config(raw)
    assert fragment in str(excinfo.value)
