import pytest

from pulp_container.app.registry.ranges import (
    UNSATISFIABLE,
    Span,
    choose,
    parse,
    resolve,
    unsatisfied_range,
)


@pytest.mark.parametrize(
    "header, ranges",
    [
        ("bytes=0-1", [(0, 1)]),
        ("bytes=5-", [(5, None)]),
        ("bytes=-7", [(None, 7)]),
        ("bytes=-0", [(None, 0)]),
        ("BYTES=3-4", [(3, 4)]),
        ("bytes=0-1,5-6", [(0, 1), (5, 6)]),
        ("bytes=0-1, -3", [(0, 1), (None, 3)]),
        ("bytes=0-1,,5-6", [(0, 1), (5, 6)]),
        ("bytes=4-4", [(4, 4)]),
        ("bytes=" + "9" * 5000 + "-", [(10**19, None)]),
    ],
)
def test_parse_well_formed(header, ranges):
    assert parse(header) == ranges


@pytest.mark.parametrize(
    "header",
    [
        "",
        "bytes",
        "bytes=",
        "bytes=-",
        "bytes=a-b",
        "bytes=5-2",  # last before first: invalid
        "bytes=0-1,5-2",
        "bytes=1-2-3",
        "bytes=+1-2",
        "bytes=0x1-2",
        "items=0-1",
        "bytes=0 - 1",
        "bytes=١-٢",  # non-ASCII digits
        "bytes=,",
    ],
)
def test_parse_malformed_is_none(header):
    assert parse(header) is None


@pytest.mark.parametrize(
    "first, last, size, expected",
    [
        (0, 9, 10, Span(0, 9, 10)),
        (0, None, 10, Span(0, 9, 10)),
        (2, 4, 10, Span(2, 4, 10)),
        (5, 999, 10, Span(5, 9, 10)),  # last past the end: up to the end
        (9, None, 10, Span(9, 9, 10)),
        (10, None, 10, UNSATISFIABLE),  # first past the end
        (999999999, None, 10, UNSATISFIABLE),
        (None, 3, 10, Span(7, 9, 10)),
        (None, 30, 10, Span(0, 9, 10)),  # suffix longer than the blob: all of it
        (None, 0, 10, UNSATISFIABLE),  # bytes=-0
        (0, None, 0, UNSATISFIABLE),  # an empty blob has no byte to send
        (None, 5, 0, UNSATISFIABLE),
    ],
)
def test_resolve(first, last, size, expected):
    assert resolve(first, last, size) == expected


@pytest.mark.parametrize(
    "method, header, size, expected",
    [
        ("GET", None, 10, None),
        ("GET", "bytes=1-2", 10, Span(1, 2, 10)),
        ("GET", "bytes=-0", 10, UNSATISFIABLE),
        ("GET", "bytes=999999999-", 10, UNSATISFIABLE),
        ("GET", "bytes=0-1,5-6", 10, None),  # several ranges: the whole blob
        ("GET", "bytes=10-,20-", 10, None),
        ("GET", "bytes=oops", 10, None),  # malformed: ignored
        ("GET", "bytes=1-2", None, None),  # size unknown: the whole blob
        ("HEAD", "bytes=1-2", 10, None),  # range handling is defined for GET only
        ("HEAD", "bytes=-0", 10, None),
    ],
)
def test_choose(method, header, size, expected):
    assert choose(method, header, size) == expected


def test_span_headers():
    span = Span(3, 6, 10)
    assert (span.length, span.stop) == (4, 7)
    assert span.content_range == "bytes 3-6/10"
    assert span.header == "bytes=3-6"


def test_unsatisfied_range():
    assert unsatisfied_range(42) == "bytes */42"
