"""The running digests of an upload, and the ones this process keeps between requests.

An upload is hashed as it arrives, with every algorithm pulpcore's Artifact records (its
``DIGEST_FIELDS``, from ``ALLOWED_CONTENT_CHECKSUMS``), so that finishing it creates the
Artifact without reading the file again. Between the requests of a chunked upload the hash
objects stay in this process's memory (``RunningDigests``), keyed by session and offset. When
another process (or this one after a restart) gets the next chunk, it finds none for that
offset and rebuilds them by reading the bytes written so far once (``rebuild``).
"""

import hashlib
from collections import OrderedDict
from concurrent.futures import wait
from threading import Lock

from pulp_container.app import process_state
from pulp_container.app.thread_pools import UPLOAD_HASHING

# Sessions whose digests a process keeps at once; an abandoned session's are dropped first.
KEPT_SESSIONS = 256
READ_SIZE = 4 * 1024 * 1024
# Pieces at least this long are hashed by every algorithm at once, in threads (hashlib releases
# the GIL): with pulpcore's four default algorithms that is about twice as fast on two cores.
PARALLEL_FROM = 256 * 1024


class Digests:
    """Hashers of every algorithm in `algorithms`, fed the same bytes."""

    def __init__(self, algorithms, size=0, hashers=None):
        self.algorithms = tuple(algorithms)
        self.size = size
        self._hashers = hashers or {name: hashlib.new(name) for name in self.algorithms}

    def update(self, data):
        hashers = list(self._hashers.values())
        if len(data) < PARALLEL_FROM or len(hashers) < 2:
            for hasher in hashers:
                hasher.update(data)
        else:
            others = [UPLOAD_HASHING.executor.submit(hasher.update, data) for hasher in hashers[1:]]
            hashers[0].update(data)
            done, _ = wait(others)
            for future in done:
                future.result()
        self.size += len(data)

    def copy(self):
        """An independent copy (the kept state stays as it was if the copy's request fails)."""
        hashers = {name: hasher.copy() for name, hasher in self._hashers.items()}
        return Digests(self.algorithms, self.size, hashers)

    def hexdigests(self):
        """``{algorithm: hex}`` of the bytes fed so far."""
        return {name: hasher.hexdigest() for name, hasher in self._hashers.items()}

    def digest(self, algorithm):
        """``"<algorithm>:<hex>"``, or None when `algorithm` is not one of these."""
        hasher = self._hashers.get(algorithm)
        return None if hasher is None else f"{algorithm}:{hasher.hexdigest()}"


class FinalDigests:
    """The final values of Digests over `size` bytes, without the hashers: what finishing an
    upload needs (`digest`, `hexdigests`, `size`)."""

    def __init__(self, hexdigests, size):
        self.size = size
        self._hexdigests = dict(hexdigests)

    def hexdigests(self):
        return dict(self._hexdigests)

    def digest(self, algorithm):
        hexdigest = self._hexdigests.get(algorithm)
        return None if hexdigest is None else f"{algorithm}:{hexdigest}"


def rebuild(path, size, algorithms):
    """The Digests of the first `size` bytes of the file at `path`. Blocking (reads them).

    Raises:
        OSError: the file is missing or shorter than `size`.
    """
    digests = Digests(algorithms)
    with open(path, "rb") as file:
        while digests.size < size:
            data = file.read(min(READ_SIZE, size - digests.size))
            if not data:
                raise OSError(f"{path} holds {digests.size} bytes, not {size}")
            digests.update(data)
    return digests


class RunningDigests:
    """Digests of the sessions this process wrote last, by session, at the offset they cover.

    Thread-safe; bounded to `capacity` sessions (least recently used go first).
    """

    def __init__(self, capacity=KEPT_SESSIONS):
        self._capacity = capacity
        self._entries = OrderedDict()
        self._lock = Lock()

    def take(self, session_id, offset):
        """A copy of the kept Digests of `session_id` if they cover exactly `offset` bytes."""
        with self._lock:
            digests = self._entries.get(session_id)
            if digests is None or digests.size != offset:
                return None
            self._entries.move_to_end(session_id)
            return digests.copy()

    def keep(self, session_id, digests):
        with self._lock:
            self._entries[session_id] = digests
            self._entries.move_to_end(session_id)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)

    def forget(self, session_id):
        with self._lock:
            self._entries.pop(session_id, None)

    def __len__(self):
        return len(self._entries)


_running = process_state.kept("push.running_digests", RunningDigests)


def running():
    """This process's RunningDigests."""
    return _running.get()
