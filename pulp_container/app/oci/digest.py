"""Compute and verify content digests of blobs and manifests.

A blob's digest covers all of its bytes. A manifest's digest covers its raw bytes too, except a
signed Docker schema 1 manifest: there it covers the JWS payload, the manifest without its
"signatures" (Docker Registry HTTP API V2, "Digest Header"). libtrust's "pretty" signatures
record where that payload is inside the signed document: the protected header of every
signature holds ``formatLength`` (how many leading bytes of the document belong to the payload)
and ``formatTail`` (base64url of the bytes that close the payload, normally ``"\\n}"``).
"""

import base64
import binascii
import hashlib
import json

from pulp_container.app.oci.exceptions import DigestMismatch, ManifestInvalid
from pulp_container.app.oci.reference import parse_digest
from pulp_container.app.oci.strict_json import load_object
from pulp_container.constants import SCHEMA1_MEDIA_TYPES


def compute_digest(data, algorithm="sha256"):
    """Return ``"<algorithm>:<hex>"`` of `data` (bytes)."""
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def sha256_digest(data):
    """Return ``"sha256:<hex>"`` of `data` (bytes)."""
    return compute_digest(data, "sha256")


class DigestVerifier:
    """Hash content chunk by chunk and check it against the digest it should have.

    Args:
        expected: the expected digest; its algorithm is the one used.

    Raises:
        DigestInvalid: `expected` is not a valid digest of a supported algorithm.
    """

    def __init__(self, expected):
        self._algorithm = parse_digest(expected).algorithm
        self._hash = hashlib.new(self._algorithm)
        self.expected = expected
        self.size = 0

    def update(self, chunk):
        """Feed the next chunk of content."""
        self._hash.update(chunk)
        self.size += len(chunk)

    @property
    def actual(self):
        """The digest of the content fed so far."""
        return f"{self._algorithm}:{self._hash.hexdigest()}"

    def matches(self):
        return self.actual == self.expected

    def verify(self):
        """Check the content fed so far.

        Returns:
            The digest, when it matches.

        Raises:
            DigestMismatch: naming the expected and the actual digest.
        """
        actual = self.actual
        if actual != self.expected:
            raise DigestMismatch(self.expected, actual)
        return actual


def verify_digest(data, expected):
    """Check that `data` hashes to `expected`; return the digest or raise DigestMismatch."""
    verifier = DigestVerifier(expected)
    verifier.update(data)
    return verifier.verify()


def _b64url_decode(value):
    if not isinstance(value, str):
        raise TypeError("not a string")
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _format_of(signature):
    """Read (formatLength, formatTail) from one signature's protected header."""
    try:
        header = json.loads(_b64url_decode(signature["protected"]))
        length, tail = header["formatLength"], _b64url_decode(header["formatTail"])
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise ManifestInvalid(
            "schema 1 signature has no valid protected header with formatLength and formatTail"
        ) from exc
    if not isinstance(length, int) or isinstance(length, bool) or length < 0:
        raise ManifestInvalid("schema 1 signature formatLength is not a non-negative integer")
    return length, tail


def schema1_payload(raw):
    """Return the signed payload of a Docker schema 1 manifest: the manifest without signatures.

    An unsigned manifest (no "signatures" key) is its own payload.

    Raises:
        ManifestInvalid: the JSON or the signature block is malformed, the signatures disagree
            on the payload's extent, or the payload is not the manifest minus its signatures.
    """
    document = load_object(raw, "schema 1 manifest")
    if "signatures" not in document:
        return raw
    signatures = document["signatures"]
    if not isinstance(signatures, list) or not signatures:
        raise ManifestInvalid("schema 1 manifest 'signatures' must be a non-empty list")
    formats = {_format_of(signature) for signature in signatures}
    if len(formats) != 1:
        raise ManifestInvalid("schema 1 signatures disagree on formatLength/formatTail")
    ((length, tail),) = formats
    if length > len(raw):
        raise ManifestInvalid("schema 1 signature formatLength exceeds the manifest size")
    payload = raw[:length] + tail
    unsigned = {key: value for key, value in document.items() if key != "signatures"}
    try:
        matches = json.loads(payload) == unsigned
    except ValueError:
        matches = False
    if not matches:
        raise ManifestInvalid("schema 1 signed payload does not match the manifest content")
    return payload


def manifest_payload(raw, media_type):
    """Return the bytes a manifest's digest covers (see the module docstring)."""
    if media_type in SCHEMA1_MEDIA_TYPES:
        return schema1_payload(raw)
    return raw


def manifest_digest(raw, media_type, algorithm="sha256"):
    """Return the digest of a manifest given its raw bytes and media type."""
    return compute_digest(manifest_payload(raw, media_type), algorithm)
