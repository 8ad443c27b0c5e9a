import pytest

from pulp_container import constants
from pulp_container.app.oci import kinds
from pulp_container.app.oci.manifest import parse_manifest
from tests.unit.oci import manifests as m


def parsed(document, media_type=None):
    return parse_manifest(m.encode(document), media_type)


def cosign(layer_media_type):
    return {
        **m.OCI_MANIFEST,
        "layers": [{"mediaType": layer_media_type, "size": 250, "digest": m.LAYER_1}],
    }


@pytest.mark.parametrize(
    "document, labels, expected",
    [
        (m.DOCKER_V2, {}, kinds.IMAGE),
        (m.DOCKER_V2, None, kinds.IMAGE),
        (m.OCI_MANIFEST, {"containers.bootc": "1"}, kinds.BOOTABLE),
        (m.OCI_MANIFEST, {"containers.bootc": "0"}, kinds.IMAGE),
        (m.OCI_MANIFEST, {"org.flatpak.ref": "app/org.example.App/x86_64/stable"}, kinds.FLATPAK),
        (m.OCI_INDEX, {}, kinds.INDEX),
        (m.DOCKER_LIST, {}, kinds.INDEX),
        (cosign(constants.MEDIA_TYPE_COSIGN_SIGNATURE), {}, kinds.SIGNATURE),
        (cosign(constants.MEDIA_TYPE_DSSE_ENVELOPE), {}, kinds.ATTESTATION),
    ],
)
def test_manifest_type(document, labels, expected):
    assert kinds.manifest_type(parsed(document), labels) == expected


def test_image_size_is_the_sum_of_its_layers_without_the_config():
    assert kinds.compressed_image_size(parsed(m.DOCKER_V2)) == 2811478 + 93


def test_index_size_is_the_sum_of_the_known_listed_sizes():
    assert kinds.compressed_image_size(parsed(m.OCI_INDEX), [10, None, 5]) == 15
    assert kinds.compressed_image_size(parsed(m.OCI_INDEX)) == 0


def test_schema1_size_is_unknown():
    manifest = parse_manifest(m.SCHEMA1_SIGNED, constants.MEDIA_TYPE_DOCKER_MANIFEST_V1_SIGNED)
    assert kinds.compressed_image_size(manifest) is None


@pytest.mark.parametrize(
    "labels, bootable, flatpak",
    [
        ({"containers.bootc": "1"}, True, False),
        ({"org.flatpak.ref": "x"}, False, True),
        ({}, False, False),
    ],
)
def test_kind_fields_booleans_follow_type(labels, bootable, flatpak):
    fields = kinds.kind_fields(parsed(m.OCI_MANIFEST), labels)
    assert (fields["is_bootable"], fields["is_flatpak"]) == (bootable, flatpak)
