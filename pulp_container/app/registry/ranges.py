"""The Range header of a blob GET (RFC 9110 §14.1-14.2): which bytes of a blob to send.

Pure: no aiohttp, no Django. ``choose(method, header, size)`` says what to answer:

* ``None``: the whole blob, ``200``. Also when the header is absent, malformed (RFC 9110 lets a
  server ignore a Range it cannot parse), asks for several ranges (a server may answer them
  with the whole representation; a blob is small enough, and no registry client asks for
  several), or comes with a method other than GET (range handling is defined for GET only:
  HEAD answers what a GET without Range would);
* a ``Span``: those bytes, ``206`` with ``Content-Range: bytes <first>-<last>/<size>``;
* ``UNSATISFIABLE``: ``416`` with ``Content-Range: bytes */<size>``. A first byte at or past
  the end, or a suffix of zero bytes (``bytes=-0``).
"""

import re
from dataclasses import dataclass

UNIT = "bytes"
# Digits beyond this many are a position past the end of any blob (Python refuses to convert
# more than 4300 digits; a client sending them gets what an enormous number gets).
_MAX_DIGITS = 19
_HUGE = 10**_MAX_DIGITS

_INT_RANGE = re.compile(r"(\d+)-(\d*)", re.ASCII)
_SUFFIX_RANGE = re.compile(r"-(\d+)", re.ASCII)


@dataclass(frozen=True)
class Span:
    """Bytes ``first`` to ``last`` (both included) of a blob of ``size`` bytes."""

    first: int
    last: int
    size: int

    @property
    def length(self):
        return self.last - self.first + 1

    @property
    def stop(self):
        """The offset after the last byte (as in a slice)."""
        return self.last + 1

    @property
    def content_range(self):
        return f"{UNIT} {self.first}-{self.last}/{self.size}"

    @property
    def header(self):
        """The Range header asking for exactly these bytes."""
        return f"{UNIT}={self.first}-{self.last}"


class _Unsatisfiable:
    def __repr__(self):
        return "UNSATISFIABLE"


UNSATISFIABLE = _Unsatisfiable()


def unsatisfied_range(size):
    """The Content-Range of a 416 answer for a blob of `size` bytes."""
    return f"{UNIT} */{size}"


def _position(digits):
    return int(digits) if len(digits) <= _MAX_DIGITS else _HUGE


def parse(header):
    """The ranges a Range header asks for, in order, or None when it is malformed.

    Each range is ``(first, last)``: ``(first, None)`` for ``first-``, ``(None, n)`` for the
    suffix ``-n`` (the last n bytes).
    """
    unit, equals, range_set = header.partition("=")
    if not equals or unit.strip().lower() != UNIT:
        return None
    ranges = []
    for element in range_set.split(","):
        spec = element.strip(" \t")
        if not spec:
            continue  # an empty list element, which RFC 9110 §5.6.1 lets recipients skip
        if match := _INT_RANGE.fullmatch(spec):
            first = _position(match[1])
            last = _position(match[2]) if match[2] else None
            if last is not None and last < first:
                return None  # invalid range-spec: the whole header is ignored
            ranges.append((first, last))
        elif match := _SUFFIX_RANGE.fullmatch(spec):
            ranges.append((None, _position(match[1])))
        else:
            return None
    return ranges or None


def resolve(first, last, size):
    """One parsed range against a blob of `size` bytes: a Span, or UNSATISFIABLE."""
    if first is None:  # the last `last` bytes
        if last == 0 or size == 0:
            return UNSATISFIABLE
        return Span(max(0, size - last), size - 1, size)
    if first >= size:
        return UNSATISFIABLE
    return Span(first, size - 1 if last is None else min(last, size - 1), size)


def choose(method, header, size):
    """What to answer to `method` with Range `header` (None when absent) for a blob of `size`
    bytes (None when not known): None (the whole blob), a Span, or UNSATISFIABLE."""
    if header is None or method != "GET" or size is None:
        return None
    ranges = parse(header)
    if ranges is None or len(ranges) != 1:
        return None
    return resolve(*ranges[0], size)
