"""StoredManifest: what serving a manifest needs, whichever store found it.

No Django here, so that the pull-through store (tested without Django) can build one from a
manifest it just fetched.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class StoredManifest:
    """What serving a manifest needs: its digest, media type and the exact bytes received."""

    digest: str
    media_type: str
    data: bytes
    warning: str | None = None
    """A ``Warning`` header value to send along (a stale pull-through copy), if any."""

    @classmethod
    def from_row(cls, row):
        digest, media_type, data = row
        return cls(digest=digest, media_type=media_type, data=data.encode())
