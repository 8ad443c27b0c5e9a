"""Whether blobs are being streamed on this host: work that can wait is done when not.

``with streaming:`` around each upstream fetch and each reader sending a blob to a client, and
``streaming.tick()`` for every chunk they move; ``await streaming.quiet()`` before work no
client waits for (the checksums pulpcore keeps besides the blob's digest, the task writing the
cache's new repository version), so the CPU serves the pulls first: on two cores, that work
running alongside a cold pull made it a third slower.

Quiet means quiet on the whole host, not only in this process: a pull's manifest and its blobs
often land in different content app processes, and the work one of them puts off would
otherwise start while the other still streams. The processes of a host share a `Beacon`, a
file in the working directory whose modification time is when a blob last moved in any of them.
"""

import asyncio
import math
import os
import threading
import time
from logging import getLogger
from pathlib import Path

from django.conf import settings

log = getLogger(__name__)

# Seconds without any blob streaming before work that can wait starts, and the most it waits.
QUIET = 0.3
HOLD_OFF = 5.0
# Seconds between two marks of the beacon while blobs stream (a mark is one utime call).
MARK_EVERY = 0.05
BEACON_NAME = "container-streaming-beacon"

_later = set()  # tasks of `later`, kept referenced until they end


class Beacon:
    """When a blob last streamed in any process of this host: the modification time of a file
    (in pulpcore's working directory, which the host's processes share)."""

    def __init__(self, path=None, every=MARK_EVERY, clock=time.time):
        self._path = path
        self.every = every
        self.clock = clock
        self.marked = -math.inf

    @property
    def path(self):
        if self._path is None:
            self._path = Path(settings.WORKING_DIRECTORY) / BEACON_NAME
        return self._path

    def mark(self, force=False):
        """Say that a blob streams now (at most every `every` seconds unless `force`)."""
        now = self.clock()
        if not force and now - self.marked < self.every:
            return
        self.marked = now
        try:
            if not self.path.exists():
                self.path.touch()
            os.utime(self.path, (now, now))
        except OSError as exc:
            log.debug("Cannot mark %s: %s", self.path, exc)

    def age(self):
        """Seconds since a blob last streamed on this host (infinite if never)."""
        try:
            return self.clock() - os.stat(self.path).st_mtime
        except OSError:
            return math.inf


class Streaming:
    """How many blobs are streaming in this process, since when none is, and (through the
    beacon) when one last streamed on the host."""

    def __init__(self, clock=time.monotonic, beacon=None):
        self.clock = clock
        self.beacon = beacon
        self.active = 0
        self.since = clock()
        self.stopping = False
        """Set when the process stops: work that can wait no longer does."""

    def __enter__(self):
        self.active += 1
        if self.beacon is not None:
            self.beacon.mark(force=True)
        return self

    def __exit__(self, *exc_info):
        self.active -= 1
        self.since = self.clock()
        if self.beacon is not None:
            self.beacon.mark(force=True)

    def tick(self):
        """A chunk of a blob moved (keeps the other processes of the host waiting)."""
        if self.beacon is not None:
            self.beacon.mark()

    def _quiet_for(self, now, quiet):
        if self.active or now - self.since < quiet:
            return False
        return self.beacon is None or self.beacon.age() >= quiet

    async def quiet(self, quiet=QUIET, hold_off=HOLD_OFF):
        """Until nothing has streamed on the host for `quiet` seconds, or `hold_off` seconds
        passed."""
        deadline = self.clock() + hold_off
        while (now := self.clock()) < deadline and not self.stopping:
            if self._quiet_for(now, quiet):
                return
            await asyncio.sleep(min(quiet / 3, deadline - now))


streaming = Streaming(beacon=Beacon())


def lower_thread_priority():
    """Give the calling thread a lower CPU priority (nice 10): for a pool's threads doing work
    no client waits for (its ``initializer``), so that on a busy host the pulls come first."""
    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


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
