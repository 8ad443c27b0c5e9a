import pytest

from pulp_container.app.oci import names


@pytest.mark.parametrize(
    "name, expected",
    [
        ("a", []),
        ("a/b", ["a"]),
        ("cache/library/busybox", ["cache", "cache/library"]),
    ],
)
def test_ancestors(name, expected):
    assert names.ancestors(name) == expected


@pytest.mark.parametrize(
    "name, prefix, expected",
    [
        ("cache/library/busybox", "cache", "library/busybox"),
        ("cache/busybox", "cache", "busybox"),
        ("cache", "cache", None),
        ("cached/busybox", "cache", None),
        ("team/cache/x", "team/cache", "x"),
    ],
)
def test_upstream_name(name, prefix, expected):
    assert names.upstream_name(name, prefix) == expected
