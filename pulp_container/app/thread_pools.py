"""The process's thread pools: the event loop hands every blocking job that is not an ORM call
to one of these (ORM calls go through ``sync_to_async``, i.e. asgiref's thread).

Five pools, told apart by what their threads wait for and who waits for them:

* `BODIES`: writing and hashing the bytes of a body as they arrive (pieces of downloads,
  pull-through blobs being verified and written). Clients or a sync wait for them; hashlib lets
  go of the GIL for such buffers, so the work spreads over the cores.
* `DISK_SYNCS`: the fsync at the end of a download. It waits for the disk, not a CPU, and must
  not hold up the pieces of other downloads.
* `BACKGROUND_HASHING`: the checksums pulpcore keeps besides a pulled-through blob's digest.
  Nobody waits for them, so their threads run at a lower CPU priority (nice 10) and a busy
  host serves pulls first.
* `INDEX_WRITES`: the pull-through cache's database writes, one at a time and at the lower
  priority too: clients were answered before them.
* `UPLOAD_HASHING`: the checksums of a pushed upload but one, each in a thread while the
  request's own thread feeds the first (``push/hashing.py``). The client waits for them.

Each pool starts its threads on first use and is registered with ``process_state`` (as
``threads.<name>``); a reset waits for its jobs and stops its threads.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from pulp_container.app import process_state


def lower_thread_priority():
    """Give the calling thread a lower CPU priority (nice 10): the ``initializer`` of a pool
    doing work no client waits for, so that on a busy host the pulls come first."""
    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


class Pool:
    """A ThreadPoolExecutor started on first use, owned by this module.

    Args:
        name: what its threads are called (``container-<name>``) and its process state name.
        max_workers: its threads at most.
        low_priority: its threads run at a lower CPU priority (`lower_thread_priority`).
    """

    def __init__(self, name, max_workers, low_priority=False):
        self.name = name
        self.max_workers = max_workers
        self.low_priority = low_priority
        self._executor = None
        self._lock = threading.Lock()
        process_state.register(f"threads.{name}", self.shutdown)

    @property
    def executor(self):
        """The ThreadPoolExecutor, for ``loop.run_in_executor`` and ``sync_to_async``."""
        executor = self._executor
        if executor is None:
            with self._lock:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(
                        max_workers=self.max_workers,
                        thread_name_prefix=f"container-{self.name}",
                        initializer=lower_thread_priority if self.low_priority else None,
                    )
                executor = self._executor
        return executor

    def shutdown(self):
        """Wait for the jobs handed in, then stop the threads; the next use starts new ones."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)


BODIES = Pool("bodies", max_workers=8)
DISK_SYNCS = Pool("disk-syncs", max_workers=8)
BACKGROUND_HASHING = Pool("background-hashing", max_workers=2, low_priority=True)
INDEX_WRITES = Pool("index-writes", max_workers=1, low_priority=True)
UPLOAD_HASHING = Pool("upload-hashing", max_workers=max(4, os.cpu_count() or 1))
