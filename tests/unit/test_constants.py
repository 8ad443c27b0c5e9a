import gzip
import hashlib
import io
import re
import tarfile

import pytest

from pulp_container import constants

MEDIA_TYPE_NAMES = [name for name in dir(constants) if name.startswith("MEDIA_TYPE_")]
HEADER_NAMES = [name for name in dir(constants) if name.startswith("HEADER_")]
GROUP_NAMES = [
    "SCHEMA1_MEDIA_TYPES",
    "IMAGE_MANIFEST_MEDIA_TYPES",
    "MANIFEST_LIST_MEDIA_TYPES",
    "MANIFEST_MEDIA_TYPES",
    "CONFIG_MEDIA_TYPES",
    "FOREIGN_LAYER_MEDIA_TYPES",
    "LAYER_MEDIA_TYPES",
    "MANIFEST_ACCEPT",
]

# RFC 6838 type/subtype, lowercase as the specs spell them.
_MEDIA_TYPE_RE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")


@pytest.mark.parametrize("name", MEDIA_TYPE_NAMES)
def test_media_types_are_well_formed(name):
    assert _MEDIA_TYPE_RE.fullmatch(getattr(constants, name))


def test_media_type_values_are_unique():
    values = [getattr(constants, name) for name in MEDIA_TYPE_NAMES]
    assert len(values) == len(set(values))


@pytest.mark.parametrize("name", GROUP_NAMES)
def test_groups_are_duplicate_free_tuples(name):
    group = getattr(constants, name)
    assert isinstance(group, tuple)
    assert len(group) == len(set(group))


def test_manifest_media_types_are_lists_plus_images():
    assert set(constants.MANIFEST_MEDIA_TYPES) == set(constants.MANIFEST_LIST_MEDIA_TYPES) | set(
        constants.IMAGE_MANIFEST_MEDIA_TYPES
    )
    assert not set(constants.MANIFEST_LIST_MEDIA_TYPES) & set(constants.IMAGE_MANIFEST_MEDIA_TYPES)


def test_accept_list_covers_every_manifest_media_type():
    assert set(constants.MANIFEST_ACCEPT) == set(constants.MANIFEST_MEDIA_TYPES)
    assert constants.MANIFEST_ACCEPT_HEADER.split(", ") == list(constants.MANIFEST_ACCEPT)


def test_foreign_layers_are_layers():
    assert set(constants.FOREIGN_LAYER_MEDIA_TYPES) < set(constants.LAYER_MEDIA_TYPES)


@pytest.mark.parametrize(
    "name, value",
    [
        ("MEDIA_TYPE_DOCKER_MANIFEST_V1", "application/vnd.docker.distribution.manifest.v1+json"),
        (
            "MEDIA_TYPE_DOCKER_MANIFEST_V1_SIGNED",
            "application/vnd.docker.distribution.manifest.v1+prettyjws",
        ),
        ("MEDIA_TYPE_DOCKER_MANIFEST_V2", "application/vnd.docker.distribution.manifest.v2+json"),
        (
            "MEDIA_TYPE_DOCKER_MANIFEST_LIST",
            "application/vnd.docker.distribution.manifest.list.v2+json",
        ),
        ("MEDIA_TYPE_DOCKER_CONFIG", "application/vnd.docker.container.image.v1+json"),
        (
            "MEDIA_TYPE_DOCKER_FOREIGN_LAYER",
            "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        ),
        ("MEDIA_TYPE_OCI_MANIFEST", "application/vnd.oci.image.manifest.v1+json"),
        ("MEDIA_TYPE_OCI_INDEX", "application/vnd.oci.image.index.v1+json"),
        ("MEDIA_TYPE_OCI_CONFIG", "application/vnd.oci.image.config.v1+json"),
        ("HEADER_DOCKER_CONTENT_DIGEST", "Docker-Content-Digest"),
        ("HEADER_DOCKER_DISTRIBUTION_API_VERSION", "Docker-Distribution-API-Version"),
        ("HEADER_WWW_AUTHENTICATE", "WWW-Authenticate"),
        ("REGISTRY_API_VERSION", "registry/2.0"),
    ],
)
def test_spec_values(name, value):
    assert getattr(constants, name) == value


@pytest.mark.parametrize("name", HEADER_NAMES)
def test_header_names_are_tokens(name):
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", getattr(constants, name))


def test_the_empty_layer_is_a_gzipped_empty_tar_of_its_digest():
    data = constants.EMPTY_LAYER_BYTES

    assert len(data) == 32
    assert f"sha256:{hashlib.sha256(data).hexdigest()}" == constants.EMPTY_LAYER_DIGEST
    # Go's compress/gzip wrote these bytes (zlib deflates differently): check what they hold.
    tar = gzip.decompress(data)
    assert tar == bytes(1024)  # two zero blocks: the end-of-archive marker, no member
    assert tarfile.open(fileobj=io.BytesIO(tar)).getmembers() == []
