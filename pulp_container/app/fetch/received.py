"""The bytes a blob fetch of this process has received, and the work that follows them.

Clients in the fetching process send each chunk as soon as it arrives, from memory
(`Received`), while one thread hashes the chunks and another writes them to the fetch's file
(`Behind`), each in order, behind the reading. Reading upstream waits for neither unless
WINDOW bytes are behind: waiting for each chunk's hash or write before reading the next one
made a 50 MiB blob take four times as long as upstream sends it on the development machine.
"""

import asyncio
import os
from collections import deque

# Bytes that may wait for the work behind the reading (in memory) before reading waits.
WINDOW = 8 * 1024 * 1024


class Received:
    """What arrived so far: the chunks not in the file yet are kept in memory."""

    def __init__(self):
        self.size = 0
        """Bytes received so far."""
        self.written = 0
        """Bytes of them in the file; the others are in ``unwritten``."""
        self.unwritten = deque()
        """(offset, chunk) of the chunks received and not in the file yet, in order."""

    def arrived(self, chunk):
        self.unwritten.append((self.size, chunk))
        self.size += len(chunk)

    def landed(self):
        """The oldest unwritten chunk is in the file now."""
        _, chunk = self.unwritten.popleft()
        self.written += len(chunk)

    def read(self, fd, offset, wanted):
        """At most `wanted` bytes from `offset`: from the file (`fd`) where they are in it,
        else from memory; empty when none arrived there yet."""
        if offset < self.written:
            return os.pread(fd, min(wanted, self.written - offset), offset)
        for start, chunk in self.unwritten:
            if offset < start + len(chunk):
                return memoryview(chunk)[offset - start : offset - start + wanted]
        return b""


class Behind:
    """Runs `work(chunk)` (blocking) on each chunk put, in order, in a thread of `executor`.

    `landed()` is called in the event loop after each chunk, `finished()` (blocking) in the
    thread after the last. The chunks put while `work` ran go to the thread together: a trip
    to a thread and back (the GIL) costs more than hashing a MiB. `put` waits while
    more than `window` bytes wait for `work`. The first exception `work` raises is raised by
    the next `put` and by `close`; the chunks after it are dropped.
    """

    def __init__(self, work, executor, landed=None, finished=None, window=WINDOW):
        self.work = work
        self.executor = executor
        self.landed = landed
        self.finished = finished
        self.window = window
        self.chunks = deque()
        self.waiting = 0
        self.closed = False
        self.more = asyncio.Event()
        self.room = asyncio.Event()
        self.error = None
        self.task = asyncio.ensure_future(self._run())

    async def put(self, chunk):
        if self.error is not None:
            raise self.error
        self.waiting += len(chunk)
        self.chunks.append(chunk)
        self.more.set()
        if self.waiting > self.window:
            self.room.clear()
            await self.room.wait()

    async def close(self):
        """Wait until every chunk put is done; raise the error `work` met."""
        self.closed = True
        self.more.set()
        # Not cancelled with the caller: `work` still running in the thread must end first.
        await asyncio.shield(self.task)
        if self.error is not None:
            raise self.error

    async def _run(self):
        loop = asyncio.get_running_loop()
        while self.chunks or not self.closed:
            if not self.chunks:
                self.more.clear()
                await self.more.wait()
                continue
            batch = list(self.chunks)
            self.chunks.clear()
            if self.error is None:
                try:
                    await loop.run_in_executor(self.executor, _each, self.work, batch)
                except Exception as exc:
                    self.error = exc
                else:
                    if self.landed is not None:
                        for _ in batch:
                            self.landed()
            self.waiting -= sum(len(chunk) for chunk in batch)
            if self.error is not None or self.waiting <= self.window:
                self.room.set()
        if self.finished is not None:
            await loop.run_in_executor(self.executor, self.finished)


def _each(work, chunks):
    for chunk in chunks:
        work(chunk)
