"""A blob fetched from upstream once and streamed to every client asking for it meanwhile.

The first request takes the blob's lease (``lease.py``) and starts the fetch in a task of its
own: pulpcore's downloader writes the bytes to a file in the working directory, computing the
digest. As soon as upstream's headers arrive the lease says where that file is and how big
the blob is; from then on every client, the one that started the fetch included, reads the
file as it grows and streams it (``Feed``). So:

* one upstream request per blob, however many clients and content app processes ask at once
  (processes on other hosts wait for the stored blob instead of reading the file);
* a client going away stops only its own reading; the fetch goes on for the others;
* when the fetch ends verified, the file becomes the blob's artifact; when it fails (upstream
  broke off, wrong bytes) nothing is stored and every reader is cut off before the end, so no
  client takes a partial or wrong blob for a whole one. Each reader also checks the digest of
  what it sends (``registry/blobs.py``).
"""

import asyncio
import os
import time
from logging import getLogger

from asgiref.sync import sync_to_async

from pulp_container.app import errors
from pulp_container.app.pullthrough import failures, flights, lease
from pulp_container.constants import HEADER_CONTENT_LENGTH

log = getLogger(__name__)

CHUNK = 1024 * 1024
# Seconds a reader at the end of the file waits before looking again, and between looks at
# the lease while the file does not grow.
POLL = 0.02
CHECK = 0.5
# Times open() looks again after a fetch ended under its nose.
ROUNDS = 3

_fetches = set()  # running fetch tasks, kept referenced until they end


class FeedBroken(Exception):
    """The fetch a reader follows failed after the response started: cut the connection."""


class PendingBlob:
    """A blob the cache does not hold (for this name) yet.

    Args:
        store: the PullThroughStore (its index, upstream and single-flight key).
        digest: the blob's digest.
        cached: what the cache knows of it (``index.CachedBlob``).
    """

    local = False

    def __init__(self, store, digest, cached):
        self.store = store
        self.digest = digest
        self.cached = cached
        self.key = f"blob:{store.key}:{digest}"

    def _where(self):
        return self.store.upstream.where(failures.BLOB, self.digest)

    async def head(self):
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

    async def open(self):
        """A StoredBlob to serve, or a Feed of the bytes as they arrive.

        Raises:
            RegistryError: the upstream failure, when nothing was streamed yet.
        """
        if self.cached.in_pulp:
            stored = await self._adopt()
            if stored is not None:
                return stored
        for _ in range(ROUNDS):
            owner = lease.new_owner()
            held = await sync_to_async(lease.take)(self.key, owner)
            if held is True:
                found = await self.store.index.blob(self.digest)
                if found.stored is not None and found.linked:
                    # stored by a fetch that ended between our first look and the lease
                    await sync_to_async(lease.succeed)(self.key, owner)
                    return found.stored
                self._start(owner)
                held = await sync_to_async(lease.read)(self.key)
            opened = await self._attach(held)
            if opened is not None:
                return opened
            found = await self.store.index.blob(self.digest)
            if found.stored is not None and found.linked:
                return found.stored
        raise errors.RegistryError(
            errors.UNAVAILABLE,
            detail={"digest": self.digest},
            message="the blob is being fetched by another request; try again",
        )

    async def _adopt(self):
        """Pulp holds these bytes already: serve them once upstream confirms the name has them."""
        if not self.cached.linked:
            status, headers = await self.store.upstream.blob_head(self.digest)
            if status != 200:
                raise failures.from_status(status, headers, self._where())
        return await self.store.index.link_stored_blob(self.digest)

    async def _attach(self, seen):
        """Follow the fetch `seen` until its file can be read: a Feed, or None when it ended
        (look at the cache again). Raises its error if it failed before any byte was sent."""
        while seen is not None and not seen.stale:
            if seen.failed:
                raise failures.from_record(seen.error)
            if seen.path is not None and seen.host == lease.HOST:
                try:
                    fd = os.open(seen.path, os.O_RDONLY)
                except FileNotFoundError:
                    pass  # stored and moved meanwhile: the lease goes next
                else:
                    return Feed(self.key, seen.owner, fd, seen.size)
            await lease.notifier.wait(self.key, flights.POLL)
            current = await sync_to_async(lease.read)(self.key)
            if current is None or current.owner != seen.owner:
                return None
            seen = current
        return None

    def _start(self, owner):
        task = asyncio.ensure_future(self._fetch(owner))
        _fetches.add(task)
        task.add_done_callback(_fetches.discard)

    async def _fetch(self, owner):
        """Download the blob whole into a file; store it if it checks out; end the lease."""
        key, notify = self.key, lease.notifier.notify
        downloader = None

        async def headers_ready(headers):
            await write(b"")  # opens the file: now it has a path
            length = headers.get(HEADER_CONTENT_LENGTH)
            size = int(length) if length and length.isdigit() else None
            await sync_to_async(lease.publish)(key, owner, downloader.path, size)
            notify(key)

        async def handle_data(data):
            await write(data)
            notify(key)

        beating = asyncio.ensure_future(flights.heartbeat(key, owner))
        try:
            downloader = self.store.upstream.blob_downloader(
                self.digest, size=self.cached.size, headers_ready=headers_ready
            )
            write = downloader.handle_data
            downloader.handle_data = handle_data
            result = await downloader.run()
            await self.store.index.record_blob(self.digest, result)
        except Exception as exc:
            error = failures.from_exception(exc, self._where())
            log.warning("Fetching blob %s through %s failed: %s", self.digest, key, error.message)
            if downloader is not None and downloader.path and os.path.exists(downloader.path):
                os.unlink(downloader.path)
            await sync_to_async(lease.fail)(key, owner, failures.to_record(error))
        else:
            await sync_to_async(lease.succeed)(key, owner)
        finally:
            beating.cancel()
            notify(key)


class Feed:
    """The bytes of a blob being fetched, read from the fetch's file as it grows.

    ``size`` is the blob's size when upstream said it (Content-Length).
    """

    local = False

    def __init__(self, key, owner, fd, size):
        self.key = key
        self.owner = owner
        self.fd = fd
        self.size = size

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    async def chunks(self):
        """The bytes, in order, until the blob is complete.

        Raises:
            FeedBroken: the fetch failed or stopped before the end.
        """
        offset, ended, checked = 0, False, time.monotonic()
        try:
            while self.size is None or offset < self.size:
                wanted = CHUNK if self.size is None else min(CHUNK, self.size - offset)
                data = os.pread(self.fd, wanted, offset)
                if data:
                    offset += len(data)
                    yield data
                    continue
                if ended:
                    if self.size is None:
                        return
                    raise FeedBroken(f"the fetch of {self.key} ended at {offset} bytes")
                if time.monotonic() - checked >= CHECK:
                    checked = time.monotonic()
                    ended = await self._ended()
                    if ended:
                        continue  # read what the file holds, then stop
                await lease.notifier.wait(self.key, POLL)
        finally:
            self.close()

    async def _ended(self):
        """Whether the fetch ended well (all bytes are in the file).

        Raises:
            FeedBroken: it failed, or its process stopped beating.
        """
        current = await sync_to_async(lease.read)(self.key)
        if current is None or current.owner != self.owner:
            return True
        if current.failed:
            raise FeedBroken((current.error or {}).get("message", "the fetch failed"))
        if current.stale:
            raise FeedBroken(f"the process fetching {self.key} stopped")
        return False
