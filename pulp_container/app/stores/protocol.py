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

    Reads only. Writes (push) go to one kind of repository only, a push repository, through
    ``push/``: ``push/handler.py`` resolves the name to a writable target (refusing read-only
    names, pull-through ones included), ``push/uploads.py`` and ``push/blobs.py`` take blobs,
    ``push/manifests.py`` and ``push/manifest_writes.py`` take manifests, tags and deletes, each
    as one new repository version (``repository_writes.py``). What a push wrote is read back
    through this protocol like any other content: the local store also answers for blobs pushed
    into the repository and not yet in a version.
    """

    async def manifest_by_tag(self, tag) -> StoredManifest | None:
        """The manifest `tag` points at, or None."""

    async def manifest_by_digest(self, digest) -> StoredManifest | None:
        """The manifest with `digest`, or None."""

    async def blob(self, digest) -> Blob | None:
        """The blob with `digest`, or None."""

    async def tags(self, page_request) -> list:
        """Tag names sorted, after ``page_request.last``, at most ``page_request.fetch``."""
