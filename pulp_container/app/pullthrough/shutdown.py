"""When a content app process stops: finish the pull-through work that was put off.

Blobs fetched through a cache become artifacts, and the cache's new repository version is
requested, once no blob streams on the host (``streaming.py``); a manifest is stored after its
client was answered (``flights.py``). A process told to stop must not drop that work: the
blob would be fetched again and its file left behind, and the repository would miss what was
served. On shutdown the put-off work runs at once, and the process waits for it and for the
fetches and flights still running (which may put off more work), at most `WAIT` seconds
(gunicorn gives a worker 30 s to stop).
"""

import asyncio
import time
from logging import getLogger

from pulp_container.app.fetch import blobs as blob_fetch
from pulp_container.app.fetch import flights
from pulp_container.app.fetch.streaming import pending, streaming

log = getLogger(__name__)

WAIT = 20.0


async def finish_put_off_work(app=None):
    """aiohttp ``on_shutdown`` handler: run and wait for the put-off work and the fetches."""
    streaming.stopping = True
    deadline = time.monotonic() + WAIT
    tasks = _unfinished()
    if tasks:
        log.info(
            "Finishing %d pull-through fetches and put-off tasks before stopping",
            len(tasks),
        )
    while tasks and (left := deadline - time.monotonic()) > 0:
        await asyncio.wait(tasks, timeout=left)
        tasks = _unfinished()  # a finished flight or fetch may have put off more work
    if tasks:
        log.warning("%d pull-through tasks did not finish in %s s", len(tasks), WAIT)


def _unfinished():
    return {
        task for task in pending() | blob_fetch.running() | flights.running() if not task.done()
    }
