"""A Feed: the bytes of a blob being fetched (``blobs.py``), read from the fetch's spool file
as it grows, the newest from memory in the fetching process.

A reader sends the bytes as they come but holds back the last ones until the fetch has checked
the whole blob against its digest; when the check fails, or the fetch stops, it raises
FeedBroken and the registry cuts the client's connection.
"""

import os
import time

from asgiref.sync import sync_to_async

from pulp_container.app.fetch import lease
from pulp_container.app.fetch.streaming import streaming
from pulp_container.app.upstream import failures

CHUNK = 1024 * 1024
# Bytes at the end of a blob of known size that a reader holds back until the fetch verified
# the whole blob (the rest is sent as soon as it arrives).
TAIL = 64 * 1024
# Seconds a reader at the end of the file waits before looking again, and between looks at
# the lease while the file does not grow.
POLL = 0.02
CHECK = 0.5


class FeedBroken(Exception):
    """The fetch a reader follows failed after the response started: cut the connection."""


class Feed:
    """The bytes of a blob being fetched, read from the fetch's file as it grows.

    ``size`` is the blob's size when upstream said it (Content-Length). ``progress`` is the
    fetch's Progress when this process runs it; else the lease tells how it goes.
    """

    local = False

    def __init__(self, key, owner, fd, size, progress=None):
        self.key = key
        self.owner = owner
        self.fd = fd
        self.size = size
        self.progress = progress
        self.leading = False
        """Whether this request started the fetch: the one that links its result (`outcome`)
        to the content asking for it."""

    async def outcome(self):
        """How the fetch this process runs ended: Fetched.

        Raises:
            RegistryError: what it failed with.
        """
        while not self.progress.ended:
            await lease.notifier.wait(self.key, POLL)
        if self.progress.error is not None:
            raise failures.from_record(self.progress.error)
        return self.progress.result

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    async def chunks(self, start=0, stop=None):
        """The bytes, in order, until the blob is complete. The last bytes (the last TAIL
        bytes of a blob of known size, else the last chunk read) are held back until the
        fetch has checked the whole blob against its digest.

        Args:
            start, stop: of a blob of known size, only the bytes from offset `start` up to
                `stop` (excluded; None: the end). Their last TAIL bytes are held back the same
                way, so a range too ends only once the whole blob checked out.

        Raises:
            FeedBroken: the fetch failed or stopped before the end.
        """
        if self.size is not None:
            stop = self.size if stop is None else min(stop, self.size)
        offset, held, verified, checked = start, None, False, time.monotonic()
        held_back = 0 if stop is None else min(stop - start, TAIL)
        try:
            with streaming:
                while True:
                    if stop is None:
                        wanted = CHUNK
                    else:
                        end = stop if verified else stop - held_back
                        wanted = min(CHUNK, end - offset)
                    data = self._read(offset, wanted)
                    if data:
                        offset += len(data)
                        streaming.tick()
                        if stop is not None:
                            yield data
                            continue
                        if held is not None:
                            yield held
                        held = data
                        continue
                    if verified:
                        break  # and nothing more in the file
                    complete = stop is not None and offset >= stop - held_back
                    if self.progress is not None or complete or time.monotonic() - checked >= CHECK:
                        checked = time.monotonic()
                        verified = await self._verified()
                        if verified:
                            continue  # read what the file holds, then stop
                    await lease.notifier.wait(self.key, POLL)
                if held is not None:
                    yield held
        finally:
            self.close()

    def _read(self, offset, wanted):
        if wanted <= 0:
            return b""
        if self.progress is not None:  # the fetch runs here: the newest bytes are in memory
            return self.progress.received.read(self.fd, offset, wanted)
        return os.pread(self.fd, wanted, offset)

    async def _verified(self):
        """Whether the fetch has all the bytes and they match the digest.

        Raises:
            FeedBroken: it failed, or its process stopped beating.
        """
        if self.progress is not None:
            if self.progress.error is not None:
                raise FeedBroken(self.progress.error.get("message", "the fetch failed"))
            return self.progress.verified
        current = await sync_to_async(lease.read)(self.key)
        if current is None or current.owner != self.owner or current.succeeded:
            return True  # it ended well (a failure stays recorded) and moved on
        if current.failed:
            raise FeedBroken((current.error or {}).get("message", "the fetch failed"))
        if current.stale:
            raise FeedBroken(f"the process fetching {self.key} stopped")
        return current.verified
