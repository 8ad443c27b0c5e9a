"""Accept header parsing and media type negotiation (RFC 9110, section 12.5.1).

Registry clients list the manifest media types they understand, often across several Accept
headers. A media type is acceptable when the most specific range that matches it
(``type/subtype`` over ``type/*`` over ``*/*``) has a quality above 0; ``q=0`` refuses it.
Parameters other than ``q`` are parsed and kept, but do not take part in matching: manifest
media types carry none, and clients adding e.g. a charset should not be refused for it.
No Accept header at all accepts everything.
"""

import re
from dataclasses import dataclass

_TOKEN_RE = re.compile(r"[!#$%&'*+.^_`|~0-9a-z-]+")
_QVALUE_RE = re.compile(r"0(?:\.\d{0,3})?|1(?:\.0{0,3})?")


@dataclass(frozen=True)
class MediaRange:
    """One entry of an Accept header."""

    type: str
    subtype: str
    q: float = 1.0
    params: tuple[tuple[str, str], ...] = ()

    def matches(self, media_type):
        """Whether this range covers `media_type` ("type/subtype", parameters ignored)."""
        type_, _, subtype = _essence(media_type).partition("/")
        if self.type == "*":
            return True
        return self.type == type_ and self.subtype in ("*", subtype)

    @property
    def specificity(self):
        """2 for type/subtype, 1 for type/*, 0 for */*."""
        return (self.type != "*") + (self.subtype != "*")

    def __str__(self):
        return f"{self.type}/{self.subtype}"


def _essence(media_type):
    return media_type.split(";", 1)[0].strip().lower()


def _split_unquoted(text, separator):
    """Split on `separator`, except inside double-quoted strings."""
    parts, current, quoted, escaped = [], [], False, False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _unquote(value):
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _parse_range(text):
    """Parse one media range; None when it is malformed (malformed entries are ignored)."""
    essence, *raw_params = _split_unquoted(text, ";")
    type_, slash, subtype = essence.strip().lower().partition("/")
    if not slash or not _TOKEN_RE.fullmatch(type_) or not _TOKEN_RE.fullmatch(subtype):
        return None
    if type_ == "*" and subtype != "*":
        return None
    q, params = 1.0, []
    for raw_param in raw_params:
        name, equals, value = raw_param.strip().partition("=")
        name, value = name.strip().lower(), value.strip()
        if not equals or not _TOKEN_RE.fullmatch(name):
            return None
        if name == "q":
            if not _QVALUE_RE.fullmatch(value):
                return None
            q = float(value)
        else:
            params.append((name, _unquote(value)))
    return MediaRange(type_, subtype, q, tuple(params))


def parse_accept(accept):
    """Parse Accept header values into media ranges, in order.

    Args:
        accept: None, one header value, or an iterable of values (several Accept headers).
    """
    if accept is None:
        return ()
    values = [accept] if isinstance(accept, str) else accept
    ranges = []
    for value in values:
        for item in _split_unquoted(value, ","):
            if item.strip():
                media_range = _parse_range(item)
                if media_range is not None:
                    ranges.append(media_range)
    return tuple(ranges)


def _quality(ranges, media_type):
    matching = [media_range for media_range in ranges if media_range.matches(media_type)]
    if not matching:
        return 0.0
    best = max(media_range.specificity for media_range in matching)
    return max(r.q for r in matching if r.specificity == best)


def quality(accept, media_type):
    """The quality (0 to 1) the Accept header values give `media_type`; 1 without Accept."""
    ranges = parse_accept(accept)
    return _quality(ranges, media_type) if ranges else 1.0


def accepts(accept, media_type):
    """Whether the Accept header values allow `media_type`. No Accept header allows anything."""
    return quality(accept, media_type) > 0


def choose(accept, available):
    """Pick the media type to answer with.

    Args:
        accept: Accept header values, as for `parse_accept`.
        available: media types the server can answer with, most preferred first.

    Returns:
        The available media type with the highest quality (the earlier one on a tie), or None
        when the client accepts none of them.
    """
    ranges = parse_accept(accept)
    if not ranges:
        return available[0] if available else None
    best, best_q = None, 0.0
    for media_type in available:
        q = _quality(ranges, media_type)
        if q > best_q:
            best, best_q = media_type, q
    return best
