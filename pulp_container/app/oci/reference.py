"""Grammar of repository names, tags and digests, and include/exclude name filters.

Grammar from the OCI distribution spec and the Docker reference grammar:

- name: path components ``[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*`` joined by ``/``, at most 255
  characters in total;
- tag: ``[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}``;
- digest: ``algorithm ":" encoded`` (OCI image spec), where this plugin supports the registered
  algorithms sha256 (64 lowercase hex characters) and sha512 (128).
"""

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase

from pulp_container.app.oci.exceptions import (
    DigestInvalid,
    FilterInvalid,
    NameInvalid,
    ReferenceInvalid,
    TagInvalid,
)

NAME_MAX_LENGTH = 255
TAG_MAX_LENGTH = 128

# The Docker grammar spells the separator `[-]*`; `-+` accepts the same names (an empty
# separator only lengthens the alphanumeric run) without exponential backtracking.
_PATH_COMPONENT_RE = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG_RE = re.compile(r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}")
_ALGORITHM_RE = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*")
_ENCODED_RE = re.compile(r"[a-zA-Z0-9=_-]+")

_LOWER_HEX_RE = re.compile(r"[a-f0-9]+")

# Registered algorithms we can compute, with the length of their lowercase hex encoding.
DIGEST_ALGORITHMS = {"sha256": 64, "sha512": 128}


@dataclass(frozen=True)
class Digest:
    """A parsed digest: ``algorithm:encoded``."""

    algorithm: str
    encoded: str

    def __str__(self):
        return f"{self.algorithm}:{self.encoded}"


@dataclass(frozen=True)
class Reference:
    """A manifest reference: exactly one of `tag` and `digest` is set."""

    tag: str | None = None
    digest: str | None = None

    @property
    def is_digest(self):
        return self.digest is not None

    def __str__(self):
        return self.digest if self.is_digest else self.tag


def namespace_of(name):
    """The namespace of a repository name: its first path component (``a`` of ``a/b/c``)."""
    return name.split("/", 1)[0]


def validate_name(name):
    """Check a repository name against the name grammar.

    Returns:
        The name, unchanged.

    Raises:
        NameInvalid: naming what is wrong with it.
    """
    if not isinstance(name, str) or not name:
        raise NameInvalid("repository name must not be empty", value=name)
    if len(name) > NAME_MAX_LENGTH:
        raise NameInvalid(
            f"repository name is {len(name)} characters long, the limit is {NAME_MAX_LENGTH}",
            value=name,
        )
    for component in name.split("/"):
        if not component:
            raise NameInvalid(
                f"repository name {name!r} has an empty path component "
                "(leading, trailing or doubled '/')",
                value=name,
            )
        if not _PATH_COMPONENT_RE.fullmatch(component):
            raise NameInvalid(
                f"repository name {name!r} has an invalid path component {component!r}: "
                "use lowercase letters and digits, separated by '.', '_', '__' or '-'",
                value=name,
            )
    return name


def validate_tag(tag):
    """Check a tag against the tag grammar.

    Returns:
        The tag, unchanged.

    Raises:
        TagInvalid: naming what is wrong with it.
    """
    if not isinstance(tag, str) or not tag:
        raise TagInvalid("tag must not be empty", value=tag)
    if len(tag) > TAG_MAX_LENGTH:
        raise TagInvalid(
            f"tag is {len(tag)} characters long, the limit is {TAG_MAX_LENGTH}", value=tag
        )
    if not _TAG_RE.fullmatch(tag):
        raise TagInvalid(
            f"invalid tag {tag!r}: a tag starts with a letter, digit or '_' and contains only "
            "letters, digits, '_', '.' and '-'",
            value=tag,
        )
    return tag


def parse_digest(digest):
    """Parse ``algorithm:encoded`` for a supported algorithm.

    Raises:
        DigestInvalid: the string is malformed, or the algorithm is not sha256/sha512.
    """
    if not isinstance(digest, str) or ":" not in digest:
        raise DigestInvalid(
            f"invalid digest {digest!r}: expected the form 'algorithm:encoded'", value=digest
        )
    algorithm, encoded = digest.split(":", 1)
    if not _ALGORITHM_RE.fullmatch(algorithm) or not _ENCODED_RE.fullmatch(encoded):
        raise DigestInvalid(
            f"invalid digest {digest!r}: expected the form 'algorithm:encoded'", value=digest
        )
    hex_length = DIGEST_ALGORITHMS.get(algorithm)
    if hex_length is None:
        raise DigestInvalid(
            f"invalid digest {digest!r}: unsupported algorithm {algorithm!r} "
            f"(supported: {', '.join(DIGEST_ALGORITHMS)})",
            value=digest,
        )
    if len(encoded) != hex_length or not _LOWER_HEX_RE.fullmatch(encoded):
        raise DigestInvalid(
            f"invalid digest {digest!r}: a {algorithm} digest has {hex_length} lowercase hex "
            "characters after the ':'",
            value=digest,
        )
    return Digest(algorithm, encoded)


def validate_digest(digest):
    """Check a digest string. Returns it unchanged; raises DigestInvalid like `parse_digest`."""
    parse_digest(digest)
    return digest


def parse_reference(ref):
    """Tell a manifest reference apart: a digest if it contains ':', a tag otherwise.

    Raises:
        ReferenceInvalid: the reference is empty.
        DigestInvalid: it looks like a digest but is not a valid one.
        TagInvalid: it is not a valid tag.
    """
    if not isinstance(ref, str) or not ref:
        raise ReferenceInvalid("manifest reference must not be empty", value=ref)
    if ":" in ref:
        return Reference(digest=validate_digest(ref))
    return Reference(tag=validate_tag(ref))


def _is_valid(validator, value):
    try:
        validator(value)
    except ValueError:
        return False
    return True


def is_valid_name(name):
    return _is_valid(validate_name, name)


def is_valid_tag(tag):
    return _is_valid(validate_tag, tag)


def is_valid_digest(digest):
    return _is_valid(validate_digest, digest)


def matches_filters(name, includes=None, excludes=None):
    """Whether `name` passes shell-style include/exclude filters (``*``, ``?``, ``[seq]``).

    Matching is case-sensitive. An empty or missing `includes` includes everything; a name
    matching any of `excludes` is left out even when it is included. A single pattern may be
    given as a plain string.
    """
    includes = (includes,) if isinstance(includes, str) else includes
    excludes = (excludes,) if isinstance(excludes, str) else excludes
    if includes and not any(fnmatchcase(name, pattern) for pattern in includes):
        return False
    return not any(fnmatchcase(name, pattern) for pattern in excludes or ())


def is_digest_filter(value):
    """Whether a tag filter value names a manifest digest rather than a tag pattern.

    A tag (and so a pattern that can match one) never contains ``:``; a digest always does.
    """
    return ":" in value


def validate_include_filter(value):
    """Check one value of a remote's ``includes``: a tag pattern, or a manifest digest.

    Returns:
        The value, unchanged.

    Raises:
        FilterInvalid: an empty value.
        DigestInvalid: a value with ``:`` that is not a valid digest.
    """
    if not value:
        raise FilterInvalid("a filter value must not be empty", value=value)
    if is_digest_filter(value):
        validate_digest(value)
    return value


def validate_exclude_filter(value):
    """Check one value of a remote's ``excludes``: a tag pattern only.

    Raises:
        FilterInvalid: an empty value, or a digest (excludes leave out tags, not manifests).
    """
    if not value:
        raise FilterInvalid("a filter value must not be empty", value=value)
    if is_digest_filter(value):
        raise FilterInvalid(
            f"{value!r} is not a tag pattern: excludes leave out tags by name, and a tag never "
            "contains ':' (to leave out a manifest, do not include it)",
            value=value,
        )
    return value


def split_include_filters(values):
    """A remote's ``includes`` as (tag patterns, manifest digests), each in the given order.

    Neither part is validated here: the REST API validated them when they were written.
    """
    patterns, digests = [], []
    for value in values or ():
        (digests if is_digest_filter(value) else patterns).append(value)
    return tuple(patterns), tuple(dict.fromkeys(digests))
