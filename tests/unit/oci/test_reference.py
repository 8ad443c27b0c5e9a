import time

import pytest

from pulp_container.app.oci.exceptions import (
    DigestInvalid,
    FilterInvalid,
    NameInvalid,
    ReferenceInvalid,
    TagInvalid,
)
from pulp_container.app.oci.reference import (
    Digest,
    Reference,
    is_valid_digest,
    is_valid_name,
    is_valid_tag,
    matches_filters,
    parse_digest,
    parse_reference,
    split_include_filters,
    validate_exclude_filter,
    validate_include_filter,
    validate_name,
    validate_tag,
)

SHA256 = "sha256:" + "a" * 64
SHA512 = "sha512:" + "0123456789abcdef" * 8


@pytest.mark.parametrize(
    "name",
    [
        "a",
        "busybox",
        "library/busybox",
        "a/b/c/d/e",
        "my-repo",
        "my--repo",
        "my_repo",
        "my__repo",
        "my.repo",
        "0",
        "quay.io5/x",
        "foo-bar_baz.qux/1-2",
        "a" * 255,
        "/".join(["abc"] * 64),  # exactly 255 with slashes
    ],
)
def test_valid_names(name):
    assert validate_name(name) == name
    assert is_valid_name(name)


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("", "must not be empty"),
        (None, "must not be empty"),
        ("Busybox", "'Busybox'"),
        ("library/Busybox", "'Busybox'"),
        ("-busybox", "'-busybox'"),
        ("busybox-", "'busybox-'"),
        ("bu___sybox", "'bu___sybox'"),
        ("bu..sybox", "'bu..sybox'"),
        ("bu._sybox", "'bu._sybox'"),
        (".busybox", "'.busybox'"),
        ("busy box", "'busy box'"),
        ("busybox:latest", "'busybox:latest'"),
        ("/busybox", "empty path component"),
        ("busybox/", "empty path component"),
        ("library//busybox", "empty path component"),
        ("a" * 256, "limit is 255"),
        ("/".join(["abc"] * 64) + "d", "limit is 255"),
    ],
)
def test_invalid_names(name, fragment):
    with pytest.raises(NameInvalid) as excinfo:
        validate_name(name)
    assert fragment in str(excinfo.value)
    assert excinfo.value.value == name
    assert not is_valid_name(name)


def test_name_check_is_not_exponential():
    start = time.monotonic()
    assert not is_valid_name("a" * 200 + "!")
    assert not is_valid_name("a-" * 100 + "!")
    assert time.monotonic() - start < 0.5


@pytest.mark.parametrize(
    "tag",
    ["latest", "v1.0.0", "_", "_x", "1", "A-b_C.d", "a" * 128, "1.2.3-rc.1_build-5", "sha256"],
)
def test_valid_tags(tag):
    assert validate_tag(tag) == tag
    assert is_valid_tag(tag)


@pytest.mark.parametrize(
    "tag, fragment",
    [
        ("", "must not be empty"),
        (None, "must not be empty"),
        (".latest", "starts with"),
        ("-latest", "starts with"),
        ("lat est", "starts with"),
        ("latest!", "starts with"),
        ("a" * 129, "limit is 128"),
        ("täg", "starts with"),
    ],
)
def test_invalid_tags(tag, fragment):
    with pytest.raises(TagInvalid) as excinfo:
        validate_tag(tag)
    assert fragment in str(excinfo.value)
    assert not is_valid_tag(tag)


@pytest.mark.parametrize(
    "digest, algorithm",
    [(SHA256, "sha256"), (SHA512, "sha512"), ("sha256:" + "0123456789abcdef" * 4, "sha256")],
)
def test_valid_digests(digest, algorithm):
    parsed = parse_digest(digest)
    assert parsed.algorithm == algorithm
    assert str(parsed) == digest
    assert is_valid_digest(digest)


@pytest.mark.parametrize(
    "digest, fragment",
    [
        ("", "algorithm:encoded"),
        (None, "algorithm:encoded"),
        ("sha256", "algorithm:encoded"),
        ("sha256:", "algorithm:encoded"),
        (":" + "a" * 64, "algorithm:encoded"),
        ("SHA256:" + "a" * 64, "algorithm:encoded"),
        ("sha256:" + "a" * 63, "64 lowercase hex"),
        ("sha256:" + "a" * 65, "64 lowercase hex"),
        ("sha256:" + "A" * 64, "64 lowercase hex"),
        ("sha256:" + "g" * 64, "64 lowercase hex"),
        ("sha512:" + "a" * 64, "128 lowercase hex"),
        ("md5:d41d8cd98f00b204e9800998ecf8427e", "unsupported algorithm 'md5'"),
        ("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8", "unsupported"),
        ("sha256:" + "a" * 64 + "\n", "algorithm:encoded"),
        ("sha256: " + "a" * 64, "algorithm:encoded"),
    ],
)
def test_invalid_digests(digest, fragment):
    with pytest.raises(DigestInvalid) as excinfo:
        parse_digest(digest)
    assert fragment in str(excinfo.value)
    assert not is_valid_digest(digest)


@pytest.mark.parametrize(
    "ref, expected",
    [
        ("latest", Reference(tag="latest")),
        ("v1.2", Reference(tag="v1.2")),
        (SHA256, Reference(digest=SHA256)),
        (SHA512, Reference(digest=SHA512)),
    ],
)
def test_parse_reference(ref, expected):
    parsed = parse_reference(ref)
    assert parsed == expected
    assert parsed.is_digest == (expected.digest is not None)
    assert str(parsed) == ref


@pytest.mark.parametrize(
    "ref, error",
    [
        ("", ReferenceInvalid),
        (None, ReferenceInvalid),
        ("-bad", TagInvalid),
        ("a" * 129, TagInvalid),
        ("sha256:short", DigestInvalid),
        ("latest:foo", DigestInvalid),
        ("md5:d41d8cd98f00b204e9800998ecf8427e", DigestInvalid),
    ],
)
def test_parse_reference_rejects(ref, error):
    with pytest.raises(error):
        parse_reference(ref)


@pytest.mark.parametrize("error", [NameInvalid, TagInvalid, DigestInvalid, ReferenceInvalid])
def test_format_errors_are_value_errors(error):
    assert issubclass(error, ValueError)


def test_digest_value_object():
    assert str(Digest("sha256", "a" * 64)) == SHA256


@pytest.mark.parametrize(
    "name, includes, excludes, expected",
    [
        ("latest", None, None, True),
        ("latest", [], [], True),
        ("latest", ["latest"], None, True),
        ("latest", ["v*"], None, False),
        ("v1.0", ["v*"], None, True),
        ("v1.0", ["v*"], ["*.0"], False),
        ("v1.1", ["v*"], ["*.0"], True),
        ("latest", None, ["lat*"], False),
        ("v1", ["v?"], None, True),
        ("v10", ["v?"], None, False),
        ("v3", ["v[1-3]"], None, True),
        ("v4", ["v[1-3]"], None, False),
        ("v4", ["v[!1-3]"], None, True),
        ("Latest", ["latest"], None, False),  # case-sensitive
        ("latest", ["nope", "lat*"], None, True),
        ("latest", "lat*", None, True),  # a single pattern as a string
        ("latest", None, "lat*", False),
        ("library/busybox", ["library/*"], None, True),
    ],
)
def test_matches_filters(name, includes, excludes, expected):
    assert matches_filters(name, includes, excludes) is expected


# --- a remote's tag filter values ----------------------------------------------------------------


@pytest.mark.parametrize("value", ["latest", "v1.*", "v[0-9]*", "*", "?", SHA256, SHA512])
def test_include_filters_are_tag_patterns_or_digests(value):
    assert validate_include_filter(value) == value


@pytest.mark.parametrize(
    "value, error",
    [
        ("", FilterInvalid),
        ("sha256:abc", DigestInvalid),
        ("sha256:" + "A" * 64, DigestInvalid),
        ("md5:d41d8cd98f00b204e9800998ecf8427e", DigestInvalid),
        ("latest:foo", DigestInvalid),
    ],
)
def test_include_filters_reject(value, error):
    with pytest.raises(error):
        validate_include_filter(value)


@pytest.mark.parametrize("value", ["latest", "*-rc", "sha256-*"])
def test_exclude_filters_are_tag_patterns(value):
    assert validate_exclude_filter(value) == value


@pytest.mark.parametrize("value", ["", SHA256, "a:b"])
def test_exclude_filters_reject_empty_values_and_digests(value):
    with pytest.raises(FilterInvalid):
        validate_exclude_filter(value)


@pytest.mark.parametrize(
    "values, patterns, digests",
    [
        (None, (), ()),
        ([], (), ()),
        (["v1.*", "latest"], ("v1.*", "latest"), ()),
        ([SHA256], (), (SHA256,)),
        (["v1.*", SHA512, SHA256, SHA512], ("v1.*",), (SHA512, SHA256)),
    ],
)
def test_split_include_filters(values, patterns, digests):
    assert split_include_filters(values) == (patterns, digests)


def test_a_digest_among_includes_matches_no_tag():
    assert matches_filters("latest", [SHA256], None) is False
    assert matches_filters("latest", [SHA256, "lat*"], None) is True
