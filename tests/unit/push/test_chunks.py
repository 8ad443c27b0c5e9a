import pytest

from pulp_container.app.push.chunks import ChunkRangeInvalid, parse_content_range, range_header


@pytest.mark.parametrize(
    "header, expected",
    [
        (None, None),
        ("", None),
        ("0-99", (0, 99)),
        ("100-199", (100, 199)),
        ("bytes 100-199/*", (100, 199)),
        ("bytes 100-199/1000", (100, 199)),
        ("bytes=5-5", (5, 5)),
    ],
)
def test_parse_content_range(header, expected):
    assert parse_content_range(header) == expected


@pytest.mark.parametrize("header", ["5", "a-b", "-5", "9-3", "0-1,2-3", "bytes */100"])
def test_malformed_content_range(header):
    with pytest.raises(ChunkRangeInvalid):
        parse_content_range(header)


@pytest.mark.parametrize("size, header", [(0, "0-0"), (1, "0-0"), (2, "0-1"), (1000, "0-999")])
def test_range_header(size, header):
    assert range_header(size) == header
