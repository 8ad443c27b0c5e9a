"""StoredManifest and StoredBlob: what serving a manifest or stored blob needs, whichever
store found it.

No Django here, so that the pull-through store (tested without Django) can build one from a
manifest it just fetched, and a single flight (``fetch/flights.py``) can hand one to requests
in other processes as JSON (`as_result`, `from_result`).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class StoredBlob:
    """A blob whose bytes are stored: its ContentArtifact, with the artifact loaded."""

    digest: str
    content_artifact: object

    local = True

    @property
    def stored(self):
        return self

    async def size(self):
        return self.content_artifact.artifact.size

    async def open(self):
        return self


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

    def as_result(self):
        """As JSON-able data (a manifest is JSON text, stored as text)."""
        return {"digest": self.digest, "media_type": self.media_type, "data": self.data.decode()}

    @classmethod
    def from_result(cls, result):
        """The StoredManifest `as_result` wrote; None for None."""
        if result is None:
            return None
        return cls(result["digest"], result["media_type"], result["data"].encode())
