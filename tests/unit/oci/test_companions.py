import pytest

from pulp_container.app.oci.companions import companion_tags, referrers_tag
from pulp_container.app.oci.exceptions import DigestInvalid
from pulp_container.app.oci.reference import is_valid_tag

HEX = "0123456789abcdef" * 4
SHA256 = f"sha256:{HEX}"
SHA512 = "sha512:" + "f" * 128


def test_companion_tags_of_a_sha256_digest():
    assert companion_tags(SHA256) == (
        f"sha256-{HEX}",
        f"sha256-{HEX}.sig",
        f"sha256-{HEX}.att",
        f"sha256-{HEX}.sbom",
    )


def test_the_referrers_tag_keeps_64_characters_of_a_longer_digest():
    assert referrers_tag(SHA512) == "sha512-" + "f" * 64


def test_a_sha512_digest_has_only_its_referrers_tag():
    # cosign's names would be 139 characters long, past the tag grammar's 128.
    assert companion_tags(SHA512) == ("sha512-" + "f" * 64,)


@pytest.mark.parametrize("digest", [SHA256, SHA512])
def test_companion_tags_are_valid_tags(digest):
    assert all(is_valid_tag(tag) for tag in companion_tags(digest))


@pytest.mark.parametrize("digest", ["latest", "sha256:abc", "md5:" + "0" * 32])
def test_companion_tags_need_a_valid_digest(digest):
    with pytest.raises(DigestInvalid):
        companion_tags(digest)
