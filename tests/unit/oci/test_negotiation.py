import pytest

from pulp_container import constants
from pulp_container.app.oci.negotiation import (
    MediaRange,
    accepts,
    choose,
    parse_accept,
    quality,
)

OCI_MANIFEST = constants.MEDIA_TYPE_OCI_MANIFEST
OCI_INDEX = constants.MEDIA_TYPE_OCI_INDEX
DOCKER_V2 = constants.MEDIA_TYPE_DOCKER_MANIFEST_V2
DOCKER_LIST = constants.MEDIA_TYPE_DOCKER_MANIFEST_LIST
SCHEMA1_SIGNED = constants.MEDIA_TYPE_DOCKER_MANIFEST_V1_SIGNED

# What `docker pull` sends: one Accept header per media type.
DOCKER_CLIENT = [DOCKER_V2, DOCKER_LIST, OCI_MANIFEST, OCI_INDEX]


@pytest.mark.parametrize(
    "accept, expected",
    [
        (None, ()),
        ("", ()),
        ([], ()),
        ("application/json", (MediaRange("application", "json"),)),
        ("Application/JSON", (MediaRange("application", "json"),)),
        (
            "a/b, c/d;q=0.5",
            (MediaRange("a", "b"), MediaRange("c", "d", 0.5)),
        ),
        (["a/b", "c/d"], (MediaRange("a", "b"), MediaRange("c", "d"))),
        (["a/b, c/d", "e/f"], (MediaRange("a", "b"), MediaRange("c", "d"), MediaRange("e", "f"))),
        ("*/*", (MediaRange("*", "*"),)),
        ("text/*;q=0", (MediaRange("text", "*", 0.0),)),
        (
            'a/b; charset=UTF-8; x="1,2;3"',
            (MediaRange("a", "b", 1.0, (("charset", "UTF-8"), ("x", "1,2;3"))),),
        ),
        ('a/b; x="say \\"hi\\""', (MediaRange("a", "b", 1.0, (("x", 'say "hi"'),)),)),
        ("a/b ; Q = 0.25", (MediaRange("a", "b", 0.25),)),
        ("a/b;q=1.000", (MediaRange("a", "b", 1.0),)),
        (" , a/b ,, ", (MediaRange("a", "b"),)),
    ],
)
def test_parse_accept(accept, expected):
    assert parse_accept(accept) == expected


@pytest.mark.parametrize(
    "accept",
    [
        "garbage",
        "a/",
        "/b",
        "a/b/c",
        "*/b",
        "a b/c",
        "a/b;q=2",
        "a/b;q=-1",
        "a/b;q=0.1234",
        "a/b;q=high",
        "a/b;noequals",
    ],
)
def test_malformed_ranges_are_ignored(accept):
    assert parse_accept([accept, "x/y"]) == (MediaRange("x", "y"),)


@pytest.mark.parametrize(
    "accept, media_type, expected",
    [
        (None, OCI_INDEX, True),
        ([], OCI_INDEX, True),
        ("", OCI_INDEX, True),
        ("garbage", OCI_INDEX, True),  # nothing parseable: as if absent
        (DOCKER_CLIENT, OCI_INDEX, True),
        (DOCKER_CLIENT, SCHEMA1_SIGNED, False),
        ([DOCKER_V2], DOCKER_LIST, False),
        (f"{DOCKER_V2}, {DOCKER_LIST}", DOCKER_LIST, True),
        ("*/*", OCI_MANIFEST, True),
        ("application/*", OCI_MANIFEST, True),
        ("text/*", OCI_MANIFEST, False),
        (f"{OCI_MANIFEST};q=0", OCI_MANIFEST, False),
        (f"*/*, {OCI_MANIFEST};q=0", OCI_MANIFEST, False),  # the specific refusal wins
        (f"*/*, {OCI_MANIFEST};q=0", OCI_INDEX, True),
        (f"application/*;q=0, {OCI_INDEX}", OCI_INDEX, True),
        (f"application/*;q=0, {OCI_INDEX}", OCI_MANIFEST, False),
        (f"*/*;q=0, {OCI_INDEX}", OCI_MANIFEST, False),
        (f"{OCI_MANIFEST}; charset=utf-8", OCI_MANIFEST, True),
        (OCI_MANIFEST.upper(), OCI_MANIFEST, True),
        (OCI_MANIFEST, OCI_MANIFEST + "; charset=utf-8", True),
    ],
)
def test_accepts(accept, media_type, expected):
    assert accepts(accept, media_type) is expected


@pytest.mark.parametrize(
    "accept, media_type, q",
    [
        (None, OCI_INDEX, 1.0),
        ("a/b;q=0.3, a/*;q=0.7, */*;q=0.1", "a/b", 0.3),
        ("a/b;q=0.3, a/*;q=0.7, */*;q=0.1", "a/c", 0.7),
        ("a/b;q=0.3, a/*;q=0.7, */*;q=0.1", "c/d", 0.1),
        ("a/b;q=0.3, a/b;q=0.6", "a/b", 0.6),
    ],
)
def test_quality(accept, media_type, q):
    assert quality(accept, media_type) == q


@pytest.mark.parametrize(
    "accept, available, expected",
    [
        (None, [OCI_INDEX, DOCKER_LIST], OCI_INDEX),
        (None, [], None),
        ([DOCKER_V2, DOCKER_LIST], [OCI_INDEX, DOCKER_LIST], DOCKER_LIST),
        (DOCKER_CLIENT, [OCI_INDEX, DOCKER_LIST], OCI_INDEX),  # equal q: server order
        (f"{DOCKER_LIST};q=0.9, {OCI_INDEX};q=0.5", [OCI_INDEX, DOCKER_LIST], DOCKER_LIST),
        ([SCHEMA1_SIGNED], [OCI_INDEX, DOCKER_LIST], None),
        (f"*/*, {OCI_INDEX};q=0", [OCI_INDEX, DOCKER_LIST], DOCKER_LIST),
        ("text/html", [OCI_MANIFEST], None),
    ],
)
def test_choose(accept, available, expected):
    assert choose(accept, available) == expected


def test_media_range_str_and_specificity():
    assert [r.specificity for r in parse_accept("a/b, a/*, */*")] == [2, 1, 0]
    assert str(MediaRange("a", "b", 0.5)) == "a/b"
