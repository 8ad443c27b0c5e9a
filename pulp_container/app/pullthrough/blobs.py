"""Blobs of a pulled-through name that the cache does not hold (for this name) yet.

A `PendingBlob` is fetched through the one upstream blob fetcher (``fetch/blobs.py``), once
for every client asking at once on every host, and linked to the name's cache when the fetch
ends (``index.link_stored_blob``). Bytes Pulp holds already (for another repository, or
fetched through this name before the name had a cache) are served once it is known that
upstream has them under this name: a fetch of this very name recorded it, or upstream answers
a HEAD.
"""

from pulp_container.app import errors
from pulp_container.app.fetch import blobs as fetcher
from pulp_container.app.upstream import failures
from pulp_container.constants import HEADER_CONTENT_LENGTH


class PendingBlob:
    """A blob of a pulled-through name, not stored for it yet (a ``stores.protocol.Blob``).

    Args:
        store: the PullThroughStore (its key, index and upstream).
        digest: the blob's digest.
        cached: what the cache knows of it (``index.CachedBlob``).
    """

    stored = None

    def __init__(self, store, digest, cached):
        self.store = store
        self.digest = digest
        self.cached = cached
        self.key = f"blob:{store.key}:{digest}"

    def _where(self):
        return self.store.upstream.where(failures.BLOB, self.digest)

    async def size(self):
        """The blob's size (None if unknown), asking upstream unless the cache knows it.

        Raises:
            RegistryError: BLOB_UNKNOWN, or the upstream failure.
        """
        if self.cached.linked and self.cached.size is not None:
            return self.cached.size
        status, headers = await self.store.upstream.blob_head(self.digest)
        if status != 200:
            raise failures.from_status(status, headers, self._where())
        length = headers.get(HEADER_CONTENT_LENGTH)
        return int(length) if length and length.isdigit() else None

    def _job(self):
        upstream = self.store.upstream
        source = fetcher.Source(
            remote=upstream.remote,
            url=upstream.urls.blob(self.digest),
            downloader_kwargs=(("upstream_name", upstream.name),),
        )
        return fetcher.Job(
            key=self.key,
            digest=self.digest,
            sources=(source,),
            where=self._where(),
            size=self.cached.size,
        )

    async def open(self):
        """A StoredBlob to serve, or a Feed of the bytes as they arrive.

        Raises:
            RegistryError: the upstream failure, when nothing was streamed yet.
        """
        if self.cached.in_pulp:
            stored = await self._adopt(confirmed=self.cached.linked)
            if stored is not None:
                return stored
        opened = await fetcher.open_blob(self._job())
        if isinstance(opened, fetcher.Fetched):
            stored = await self._adopt(confirmed=opened.from_upstream or self.cached.linked)
            if stored is None:
                raise errors.RegistryError(
                    errors.UNAVAILABLE,
                    detail={"digest": self.digest},
                    message="the blob was removed while it was fetched; try again",
                )
            return stored
        if opened.leading:
            fetcher.after(
                lambda: self._link_when_fetched(opened),
                f"Storing the blob {self.digest} of {self.store.key}",
            )
        return opened

    async def _link_when_fetched(self, feed):
        await feed.outcome()
        await self.store.index.link_stored_blob(self.digest)

    async def _adopt(self, confirmed):
        """The bytes Pulp holds, linked to the name's cache, once upstream is known to have
        them under this name: `confirmed`, fetched through this name before, or upstream
        answers a HEAD. None when Pulp no longer holds them.

        Raises:
            RegistryError: upstream does not have them (BLOB_UNKNOWN), or failed.
        """
        if not confirmed and not await self.store.index.fetched_here(self.key):
            status, headers = await self.store.upstream.blob_head(self.digest)
            if status != 200:
                raise failures.from_status(status, headers, self._where())
        return await self.store.index.link_stored_blob(self.digest)
