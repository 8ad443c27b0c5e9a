import base64
import json

import pytest

from pulp_container import constants
from pulp_container.app.oci.digest import (
    DigestVerifier,
    compute_digest,
    manifest_digest,
    manifest_payload,
    schema1_payload,
    sha256_digest,
    verify_digest,
)
from pulp_container.app.oci.exceptions import DigestInvalid, DigestMismatch, ManifestInvalid
from tests.unit.oci import manifests

EMPTY_SHA256 = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
HELLO_SHA256 = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
HELLO_SHA512 = (
    "sha512:9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca7"
    "2323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043"
)


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize("data, digest", [(b"", EMPTY_SHA256), (b"hello", HELLO_SHA256)])
def test_sha256_digest(data, digest):
    assert sha256_digest(data) == digest


def test_compute_digest_sha512():
    assert compute_digest(b"hello", "sha512") == HELLO_SHA512


@pytest.mark.parametrize("expected", [HELLO_SHA256, HELLO_SHA512])
def test_verifier_accepts_matching_chunks(expected):
    verifier = DigestVerifier(expected)
    for chunk in (b"he", b"", b"ll", b"o"):
        verifier.update(chunk)
    assert verifier.matches()
    assert verifier.verify() == expected
    assert verifier.size == 5


def test_verifier_names_expected_and_actual_on_mismatch():
    verifier = DigestVerifier(HELLO_SHA256)
    verifier.update(b"hellO")
    assert not verifier.matches()
    with pytest.raises(DigestMismatch) as excinfo:
        verifier.verify()
    error = excinfo.value
    assert error.expected == HELLO_SHA256
    assert error.actual == sha256_digest(b"hellO")
    assert HELLO_SHA256 in str(error) and error.actual in str(error)


@pytest.mark.parametrize("expected", ["", "sha256:abc", "md5:d41d8cd98f00b204e9800998ecf8427e"])
def test_verifier_rejects_invalid_expected_digest(expected):
    with pytest.raises(DigestInvalid):
        DigestVerifier(expected)


def test_verify_digest():
    assert verify_digest(b"hello", HELLO_SHA256) == HELLO_SHA256
    with pytest.raises(DigestMismatch):
        verify_digest(b"hello!", HELLO_SHA256)


def test_schema1_payload_strips_the_signature_block():
    assert schema1_payload(manifests.SCHEMA1_SIGNED) == manifests.SCHEMA1_PAYLOAD


def test_schema1_digest_covers_the_payload_not_the_signed_document():
    digest = manifest_digest(manifests.SCHEMA1_SIGNED, constants.MEDIA_TYPE_DOCKER_MANIFEST_V1)
    assert digest == manifests.SCHEMA1_PAYLOAD_DIGEST
    assert digest != sha256_digest(manifests.SCHEMA1_SIGNED)


def test_unsigned_schema1_is_its_own_payload():
    assert schema1_payload(manifests.SCHEMA1_PAYLOAD) == manifests.SCHEMA1_PAYLOAD
    digest = manifest_digest(manifests.SCHEMA1_PAYLOAD, constants.MEDIA_TYPE_DOCKER_MANIFEST_V1)
    assert digest == manifests.SCHEMA1_PAYLOAD_DIGEST


def test_schema1_payload_with_two_agreeing_signatures():
    document = json.loads(manifests.SCHEMA1_SIGNED)
    signed = manifests.SCHEMA1_SIGNED.replace(
        b'   "signatures": [\n',
        b'   "signatures": [\n' + json.dumps(document["signatures"][0]).encode() + b",\n",
    )
    assert len(json.loads(signed)["signatures"]) == 2
    assert schema1_payload(signed) == manifests.SCHEMA1_PAYLOAD


@pytest.mark.parametrize(
    "media_type",
    [
        constants.MEDIA_TYPE_DOCKER_MANIFEST_V2,
        constants.MEDIA_TYPE_OCI_MANIFEST,
        constants.MEDIA_TYPE_OCI_INDEX,
        constants.MEDIA_TYPE_DOCKER_MANIFEST_LIST,
    ],
)
def test_other_manifests_digest_their_raw_bytes(media_type):
    raw = manifests.encode(manifests.DOCKER_V2)
    assert manifest_payload(raw, media_type) is raw
    assert manifest_digest(raw, media_type) == sha256_digest(raw)


def test_manifest_digest_other_algorithm():
    raw = manifests.encode(manifests.OCI_INDEX)
    assert manifest_digest(raw, constants.MEDIA_TYPE_OCI_INDEX, "sha512").startswith("sha512:")


def _with_protected(header):
    """SCHEMA1_SIGNED with its protected header replaced."""
    document = json.loads(manifests.SCHEMA1_SIGNED)
    old = document["signatures"][0]["protected"].encode()
    new = header if isinstance(header, str) else _b64url(json.dumps(header).encode())
    return manifests.SCHEMA1_SIGNED.replace(old, new.encode())


@pytest.mark.parametrize(
    "raw, fragment",
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "not a JSON object"),
        (manifests.SCHEMA1_PAYLOAD[:-1] + b',"signatures": []}', "non-empty list"),
        (manifests.SCHEMA1_PAYLOAD[:-1] + b',"signatures": {}}', "non-empty list"),
        (_with_protected("!!!not-base64!!!"), "protected header"),
        (_with_protected({"formatTail": "Cn0"}), "protected header"),
        (_with_protected({"formatLength": 750}), "protected header"),
        (_with_protected({"formatLength": -1, "formatTail": "Cn0"}), "non-negative"),
        (_with_protected({"formatLength": "750", "formatTail": "Cn0"}), "non-negative"),
        (_with_protected({"formatLength": 10**6, "formatTail": "Cn0"}), "exceeds"),
        (_with_protected({"formatLength": 700, "formatTail": "Cn0"}), "does not match"),
        (_with_protected({"formatLength": 750, "formatTail": _b64url(b',"x": 1}')}), "does not"),
    ],
)
def test_schema1_payload_rejects_bad_signature_blocks(raw, fragment):
    with pytest.raises(ManifestInvalid) as excinfo:
        schema1_payload(raw)
    assert fragment in str(excinfo.value)


def test_schema1_signatures_must_agree():
    document = json.loads(manifests.SCHEMA1_SIGNED)
    other = dict(document["signatures"][0])
    other["protected"] = _b64url(b'{"formatLength":749,"formatTail":"Cn0"}')
    signed = manifests.SCHEMA1_SIGNED.replace(
        b'   "signatures": [\n', b'   "signatures": [\n' + json.dumps(other).encode() + b",\n"
    )
    with pytest.raises(ManifestInvalid, match="disagree"):
        schema1_payload(signed)


def test_schema1_payload_cannot_smuggle_different_content():
    # A tail that re-declares a key makes the payload say "arm64" while the document the registry
    # parses says "amd64": the payload's digest must not be handed out for that document.
    tail = _b64url(b',\n   "architecture": "arm64"\n}')
    with pytest.raises(ManifestInvalid, match="does not match"):
        schema1_payload(_with_protected({"formatLength": 750, "formatTail": tail}))


def test_schema1_tail_may_differ_in_whitespace_only():
    raw = _with_protected({"formatLength": 750, "formatTail": _b64url(b"}")})
    assert schema1_payload(raw) == manifests.SCHEMA1_PAYLOAD[:-2] + b"}"
