"""The Store: what the registry's handlers read a repository name from, whatever serves it.

One calling convention: every method is a coroutine. The local store (``local.py``: a
distribution's repository version) and the pull-through store (``pullthrough/store.py``, which
composes the local store of its cache: local first, then upstream, then keep) both implement
it, and return the same kinds of objects, so a handler never asks which kind it holds.

A blob comes back as a `Blob`: its bytes may be in Pulp's storage already (``stored``), or be
fetched from upstream once for every client asking (``fetch/blobs.py``) when it is opened.
"""

from typing import Protocol

from pulp_container.app.stores.stored import StoredManifest


class Blob(Protocol):
    """A blob a store holds or can fetch."""

    digest: str

    @property
    def stored(self):
        """The StoredBlob (``local.py``) whose artifact holds the bytes now, or None."""

    async def size(self):
        """The size in bytes (None if unknown), without fetching the bytes.

        Raises:
            RegistryError: the blob cannot be fetched (BLOB_UNKNOWN, UNAVAILABLE, the upstream
                failure).
        """

    async def open(self):
        """The bytes: a StoredBlob to serve from storage, or a ``fetch.blobs.Feed`` streaming
        them while they are fetched (``local`` False).

        Raises:
            RegistryError: as `size`.
        """


class Store(Protocol):
    """Lookups of one repository name.

    The write side push will add, in the same convention (all coroutines)::

        async def put_manifest(reference, parsed) -> StoredManifest
        async def delete_manifest(digest) -> None
        async def delete_tag(tag) -> None
        async def start_upload() -> Upload
        async def upload_chunk(upload, chunks, start) -> int
        async def finish_upload(upload, digest) -> StoredBlob
        async def mount_blob(digest, source) -> StoredBlob | None
        async def delete_blob(digest) -> None

    A pull-through store refuses them (it mirrors upstream).
    """

    async def manifest_by_tag(self, tag) -> StoredManifest | None:
        """The manifest `tag` points at, or None."""

    async def manifest_by_digest(self, digest) -> StoredManifest | None:
        """The manifest with `digest`, or None."""

    async def blob(self, digest) -> Blob | None:
        """The blob with `digest`, or None."""

    async def tags(self, page_request) -> list:
        """Tag names sorted, after ``page_request.last``, at most ``page_request.fetch``."""
