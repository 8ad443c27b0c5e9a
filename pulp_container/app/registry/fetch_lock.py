"""Elect one fetcher per blob among all content app processes of a host.

When many clients ask for the same not-yet-stored blob at once, exactly one request (the
holder of the lock) fetches it with saving; the others stream it from the remote without
saving, so the blob is stored once and nobody waits for another's download to start. The
lock is an ``flock`` on a file named after the digest, taken without blocking: it covers every
worker process on the host (and requests within one process, as each opens the file anew).

The holder unlinks the file before releasing it; a request that locked an already unlinked
file (the inode at the path changed) treats the lock as lost. Pure: no Django.
"""

import fcntl
import os
from pathlib import Path


class FetchLock:
    """A non-blocking, exclusive, per-digest lock file under `directory`."""

    def __init__(self, directory, digest):
        self.path = Path(directory) / (digest.replace(":", "-") + ".lock")
        self._fd = None

    @property
    def held(self):
        return self._fd is not None

    def acquire(self):
        """Try to take the lock; return whether this caller now holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        try:
            same_file = os.fstat(fd).st_ino == os.stat(self.path).st_ino
        except FileNotFoundError:
            same_file = False
        if not same_file:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self):
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self._fd)  # closing the last descriptor releases the flock
            self._fd = None

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc_info):
        self.release()
