"""The headers of a chunked upload, as pure functions: a chunk's Content-Range, the Range
an upload answers with."""

import re

# "<start>-<end>", as docker and the OCI spec send it; "bytes <start>-<end>[/<total>]" and
# "bytes=<start>-<end>" as some clients do.
_CONTENT_RANGE = re.compile(r"(?:bytes[ =])?\s*(\d+)-(\d+)(?:/(?:\d+|\*))?")


class ChunkRangeInvalid(ValueError):
    """A Content-Range that is not ``<start>-<end>`` with start <= end."""


def parse_content_range(header):
    """(start, end) of a chunk's Content-Range (end inclusive), or None without one.

    Raises:
        ChunkRangeInvalid: a malformed value.
    """
    if header is None or not header.strip():
        return None
    match = _CONTENT_RANGE.fullmatch(header.strip())
    if match is None:
        raise ChunkRangeInvalid(f"Content-Range {header!r} is not <start>-<end>")
    start, end = int(match[1]), int(match[2])
    if end < start:
        raise ChunkRangeInvalid(f"Content-Range {header!r} ends before it starts")
    return start, end


def range_header(size):
    """The Range header of an upload holding `size` bytes: ``0-<last byte>``, ``0-0`` when
    empty (the value the reference registry and clients use)."""
    return f"0-{max(size - 1, 0)}"
