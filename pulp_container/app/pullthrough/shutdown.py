"""When a content app process stops: finish the pull-through work that was put off.

Blobs fetched through a cache become artifacts, and the cache's new repository version is
requested, once no blob streams in the process (``streaming.py``). A process told to stop
must not drop that work: the blob would be fetched again and its file left behind, and the
repository would miss what was served. On shutdown the put-off work runs at once, and the
process waits for it and for the fetches still running, at most `WAIT` seconds (gunicorn
gives a worker 30 s to stop).
"""

import asyncio
from logging import getLogger

from pulp_container.app.pullthrough import blob_fetch
from pulp_container.app.pullthrough.streaming import pending, streaming

log = getLogger(__name__)

WAIT = 20.0


async def finish_put_off_work(app=None):
    """aiohttp ``on_shutdown`` handler: run and wait for the put-off work and the fetches."""
    streaming.stopping = True
    tasks = pending() | blob_fetch.running()
    if not tasks:
        return
    log.info("Finishing %d pull-through fetches and put-off tasks before stopping", len(tasks))
    _, unfinished = await asyncio.wait(tasks, timeout=WAIT)
    if unfinished:
        log.warning("%d pull-through tasks did not finish in %s s", len(unfinished), WAIT)
