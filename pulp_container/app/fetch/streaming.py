"""Whether blobs are being streamed on this host: work that can wait is done when not.

``with streaming:`` around each upstream fetch and each reader sending a blob to a client, and
``streaming.tick()`` for every chunk they move; ``await streaming.quiet()`` before work no
client waits for (the checksums pulpcore keeps besides the blob's digest, the task writing the
cache's new repository version), so the CPU serves the pulls first: on two cores, that work
running alongside a cold pull made it a third slower.

Quiet means quiet in this process. (Processes no longer signal each other through a file's
modification time: a blob is fetched once for all of them now, by one process, which is the
one that stores it.)
"""

import asyncio
import time
from logging import getLogger

log = getLogger(__name__)

# Seconds without any blob streaming before work that can wait starts, and the most it waits.
QUIET = 0.3
HOLD_OFF = 5.0

_later = set()  # tasks of `later`, kept referenced until they end


class Streaming:
    """How many blobs are streaming in this process, and since when none is."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.active = 0
        self.since = clock()
        self.stopping = False
        """Set when the process stops: work that can wait no longer does."""

    def __enter__(self):
        self.active += 1
        return self

    def __exit__(self, *exc_info):
        self.active -= 1
        self.since = self.clock()

    def tick(self):
        """A chunk of a blob moved."""
        self.since = self.clock()

    def _quiet_for(self, now, quiet):
        return not self.active and now - self.since >= quiet

    async def quiet(self, quiet=QUIET, hold_off=HOLD_OFF):
        """Until nothing has streamed on the host for `quiet` seconds, or `hold_off` seconds
        passed."""
        deadline = self.clock() + hold_off
        while (now := self.clock()) < deadline and not self.stopping:
            if self._quiet_for(now, quiet):
                return
            await asyncio.sleep(min(quiet / 3, deadline - now))


streaming = Streaming()


def later(work, what):
    """Run ``await work()`` in a task of its own once `streaming` is quiet; failures are logged
    (`what` names the work)."""

    async def run():
        await streaming.quiet()
        try:
            await work()
        except Exception:
            log.exception("%s failed", what)

    task = asyncio.ensure_future(run())
    _later.add(task)
    task.add_done_callback(_later.discard)


def pending():
    """The tasks of `later` not finished yet."""
    return set(_later)
