"""Errors raised by the OCI format layer.

All are ValueError subclasses carrying the offending input, so callers can either treat them as
plain bad values or map them to registry error codes (see `pulp_container.app.errors`).
"""


class FormatError(ValueError):
    """Base class: some input does not follow the OCI/Docker formats.

    Args:
        message: what is wrong, for humans.
        value: the offending input (a name, a reference, a digest), if there is one.
    """

    def __init__(self, message, value=None):
        super().__init__(message)
        self.message = message
        self.value = value


class NameInvalid(FormatError):
    """A repository name does not follow the name grammar."""


class ReferenceInvalid(FormatError):
    """A manifest reference is neither a valid tag nor a valid digest."""


class TagInvalid(ReferenceInvalid):
    """A tag does not follow the tag grammar."""


class FilterInvalid(TagInvalid):
    """A remote's tag filter value is empty, or a digest where only tag patterns may be."""


class DigestInvalid(ReferenceInvalid):
    """A digest string is malformed or uses an unsupported algorithm."""


class DigestMismatch(FormatError):
    """Content does not hash to the digest it was expected to have."""

    def __init__(self, expected, actual):
        super().__init__(f"digest mismatch: expected {expected}, got {actual}", value=actual)
        self.expected = expected
        self.actual = actual


class ManifestInvalid(FormatError):
    """Manifest bytes are not a valid manifest of a supported type."""


class MediaTypeMismatch(ManifestInvalid):
    """The manifest's mediaType field disagrees with the Content-Type it came with."""


class ImageConfigInvalid(FormatError):
    """An image config blob is not a JSON object of the expected shape."""
