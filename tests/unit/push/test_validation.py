import hashlib

import pytest

from pulp_container import constants
from pulp_container.app import errors
from pulp_container.app.oci.exceptions import DigestMismatch, ManifestInvalid
from pulp_container.app.push import validation
from tests.unit.oci import manifests as m


def _sha256(raw):
    return "sha256:" + hashlib.sha256(raw).hexdigest()


@pytest.mark.parametrize(
    "document, content_type",
    [
        (m.DOCKER_V2, constants.MEDIA_TYPE_DOCKER_MANIFEST_V2),
        (m.DOCKER_LIST, constants.MEDIA_TYPE_DOCKER_MANIFEST_LIST),
        (m.OCI_MANIFEST, constants.MEDIA_TYPE_OCI_MANIFEST),
        (m.OCI_MANIFEST_BARE, constants.MEDIA_TYPE_OCI_MANIFEST),
        (m.OCI_INDEX, constants.MEDIA_TYPE_OCI_INDEX),
        (m.OCI_ARTIFACT, constants.MEDIA_TYPE_OCI_MANIFEST),
    ],
)
def test_the_four_formats_and_artifacts_are_read_byte_for_byte(document, content_type):
    raw = m.encode(document)
    parsed = validation.read_pushed(raw, content_type)
    assert parsed.raw == raw
    assert parsed.digest == _sha256(raw)


def test_any_config_media_type_is_accepted():
    cache = {
        **m.OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.buildkit.cacheconfig.v0",
            "size": 10,
            "digest": m.CONFIG,
        },
    }
    assert validation.read_pushed(m.encode(cache), constants.MEDIA_TYPE_OCI_MANIFEST)


def test_a_digest_reference_must_match_the_bytes():
    raw = m.encode(m.DOCKER_V2)
    assert validation.read_pushed(raw, None, digest=_sha256(raw)).digest == _sha256(raw)
    with pytest.raises(DigestMismatch):
        validation.read_pushed(raw, None, digest=m.fake_digest("other"))


def test_a_sha512_reference_is_checked_with_sha512():
    raw = m.encode(m.DOCKER_V2)
    sha512 = "sha512:" + hashlib.sha512(raw).hexdigest()
    assert validation.read_pushed(raw, None, digest=sha512).digest == _sha256(raw)


@pytest.mark.parametrize(
    "raw, content_type",
    [
        (b"{not json", constants.MEDIA_TYPE_OCI_MANIFEST),
        (b"[]", constants.MEDIA_TYPE_OCI_MANIFEST),
        (m.encode(m.DOCKER_V2).decode().encode("utf-16"), None),
        (m.encode({"schemaVersion": 2, "mediaType": constants.MEDIA_TYPE_OCI_MANIFEST}), None),
        (m.encode(m.DOCKER_V2), constants.MEDIA_TYPE_OCI_MANIFEST),
        (m.SCHEMA1_SIGNED, constants.MEDIA_TYPE_DOCKER_MANIFEST_V1_SIGNED),
        (b" " * (4 * 1024 * 1024 + 1), None),
    ],
    ids=["malformed", "not-object", "utf-16", "no-config", "type-mismatch", "schema1", "huge"],
)
def test_what_is_refused_as_manifest_invalid(raw, content_type):
    with pytest.raises(ManifestInvalid):
        validation.read_pushed(raw, content_type)


def test_needs_skip_foreign_layers_and_duplicates():
    parsed = validation.read_pushed(m.encode(m.OCI_MANIFEST), None)
    assert validation.needs(parsed) == validation.Needs(blobs=(m.CONFIG, m.LAYER_1))


def test_an_index_needs_its_manifests_and_not_its_subject():
    index = {**m.OCI_INDEX, "subject": {**m.OCI_INDEX["manifests"][0], "digest": m.CONFIG}}
    parsed = validation.read_pushed(m.encode(index), None)
    assert validation.needs(parsed) == validation.Needs(manifests=(m.AMD64, m.ARM64, m.WINDOWS))


def test_an_artifact_does_not_need_its_subject():
    parsed = validation.read_pushed(m.encode(m.OCI_ARTIFACT), None)
    assert parsed.subject.digest not in validation.needs(parsed).blobs


def test_missing_keeps_order():
    assert validation.missing(("a", "b", "c"), {"b"}) == ("a", "c")


def test_missing_error_names_the_first_digest():
    error = validation.missing_error("ns/app", blobs=(m.LAYER_1, m.LAYER_2))
    assert error.status == 400
    assert error.code is errors.MANIFEST_BLOB_UNKNOWN
    assert error.detail["digest"] == m.LAYER_1
    assert m.LAYER_1 in error.message


def test_missing_error_for_a_listed_manifest():
    error = validation.missing_error("ns/app", manifests=(m.AMD64,))
    assert error.detail["manifests"] == [m.AMD64]
    assert "manifest " + m.AMD64 in error.message
