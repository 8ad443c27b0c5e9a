"""Receive a request body into an upload's file, hashing it on the way.

The body is read as it arrives and written in batches of ``BATCH_SIZE`` bytes by a thread
(the file write and the hashing both release the GIL), while the event loop reads the next
batch: memory holds at most two batches whatever the upload's size, and the loop never waits
on the disk. aiohttp stops reading from the socket while its own buffer is full, so a client
faster than the disk is slowed down rather than buffered.
"""

import asyncio
import contextlib

from pulp_container.app.push.files import Writer
from pulp_container.constants import HEADER_CONTENT_LENGTH

BATCH_SIZE = 1024 * 1024


class BodyIncomplete(Exception):
    """The body ended before the length the request announced (the client went away)."""


def announced_length(request):
    """The request's Content-Length as an int, or None."""
    value = request.headers.get(HEADER_CONTENT_LENGTH)
    if value is None or not value.strip().isdigit():
        return None
    return int(value)


async def receive(request, file_name, offset, digests):
    """Append the body of `request` to `file_name` from `offset` on, feeding `digests`.

    Returns:
        The number of bytes received.

    Raises:
        BodyIncomplete: fewer bytes than Content-Length arrived.
        UploadBusy, FileNotFoundError: see ``files.Writer``.
        Whatever reading the body raises when the client goes away.
    """
    writer = await asyncio.to_thread(Writer, file_name, offset)
    start = digests.size
    pending = None
    try:
        batch, batch_size = [], 0
        async for chunk in request.content.iter_any():
            batch.append(chunk)
            batch_size += len(chunk)
            if batch_size >= BATCH_SIZE:
                if pending is not None:
                    await pending
                pending = asyncio.ensure_future(
                    asyncio.to_thread(writer.write, b"".join(batch), digests)
                )
                batch, batch_size = [], 0
        if pending is not None:
            await pending
            pending = None
        if batch:
            await asyncio.to_thread(writer.write, b"".join(batch), digests)
    finally:
        if pending is not None:
            # The thread still writes: let it finish before the file is closed.
            with contextlib.suppress(BaseException):
                await asyncio.shield(pending)
        await asyncio.shield(asyncio.to_thread(writer.close))
    received = digests.size - start
    expected = announced_length(request)
    if expected is not None and received != expected:
        raise BodyIncomplete(f"received {received} of {expected} bytes")
    return received
