"""The Store: what the registry's handlers read a repository name from, whatever serves it.

One calling convention: every method is a coroutine. The local store (``local.py``: a
distribution's repository version) and the pull-through store (``pullthrough/store.py``, which
composes the local store of its cache: local first, then upstream, then keep) both implement
it, and return the same kinds of objects, so a handler never asks which kind it holds.

A name that takes pushes is also a `WritableStore`: the Store plus the writes. Its one
implementation is ``push/store.py`` ``PushStore``; every other name is read-only and is refused
(DENIED, saying why) by ``push/target.py`` before any store is made, so no other kind of store
ever sees a write.

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

    Reads only; the writes a name can take are `WritableStore`'s. What a push wrote is read
    back through these methods like any other content: the local store also answers for blobs
    pushed into the repository and not yet in a version.
    """

    async def manifest_by_tag(self, tag) -> StoredManifest | None:
        """The manifest `tag` points at, or None."""

    async def manifest_by_digest(self, digest) -> StoredManifest | None:
        """The manifest with `digest`, or None."""

    async def blob(self, digest) -> Blob | None:
        """The blob with `digest`, or None."""

    async def tags(self, page_request) -> list:
        """Tag names sorted, after ``page_request.last``, at most ``page_request.fetch``."""


class WritableStore(Store, Protocol):
    """The reads of a `Store` and the writes of a name that takes pushes (a push repository's).

    Only ``push/store.py`` ``PushStore`` implements it. ``push/handler.py`` hands it out with
    a write's context once ``push/target.py`` found (or, on a first push, created) the name's
    push repository; a read-only name (a synced repository's, a pinned version, a pull-through
    cache, ...) is refused there with DENIED naming why, and never gets a store that writes.

    A blob write leaves the blob in the repository's pushed set, readable through `blob`, until
    a manifest takes it into a version; a manifest write or delete is one new repository
    version (``repository_writes.py``). Upload sessions (start, append, claim, their files and
    running digests) are upload bookkeeping, not content: they stay in ``push/uploads.py`` and
    ``push/sessions.py``, which hand a finished upload to `store_upload`.
    """

    async def store_upload(self, file_name, digests, digest):
        """Take a finished upload as the blob `digest`.

        Args:
            file_name: the upload's file; its bytes move into Pulp's storage (or it is removed
                when Pulp holds them already).
            digests: the upload's running digests (``push/hashing.py``), covering the whole
                file; the caller checked that they give `digest`.
            digest: the blob's digest.

        Returns:
            The Blob's primary key.
        """

    async def mount_blob(self, digest, source_name):
        """Take the blob `digest` from the repository name `source_name`, without its bytes
        moving. The caller decided it may pull `source_name`.

        Returns:
            The blob's size in bytes when mounted; None when `source_name` has no such blob
            with stored bytes (the client then uploads it).
        """

    async def put_manifest(self, parsed, tag=None):
        """Take the manifest `parsed` (and `tag`, pointing at it), with the blobs and manifests
        it references, as one new version; a tag of that name moves.

        Args:
            parsed: the oci Manifest, checked (``push/validation.read_pushed``); its bytes are
                stored exactly as received.
            tag: the tag it was pushed by, or None (pushed by digest).

        Returns:
            The saved Manifest.

        Raises:
            RegistryError: MANIFEST_BLOB_UNKNOWN when the name lacks a blob or a listed
                manifest; nothing is written then.
        """

    async def delete_reference(self, reference):
        """Remove a manifest (by digest, with the tags pointing at it) or a tag, as one new
        version. Blobs stay.

        Args:
            reference: an ``oci.reference`` Reference (a tag or a digest).

        Raises:
            RegistryError: MANIFEST_UNKNOWN when the name has no such manifest or tag.
        """

    async def delete_blob(self, digest):
        """Remove the blob `digest` from the name (its version and its pushed set), as one new
        version. Its bytes stay until orphan cleanup finds them unused.

        Raises:
            RegistryError: BLOB_UNKNOWN when the name does not hold it; DENIED while a
                manifest of the name needs it (naming those manifests).
        """
