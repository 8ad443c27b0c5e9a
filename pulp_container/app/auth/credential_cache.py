"""Remember successful password checks for a short while, so a pull does not pay for each.

Checking a Django password runs PBKDF2, slow on purpose (its cost: bench/README.md); a pull
of an image is dozens of requests with the same credentials. A successful check is kept for ``ttl`` seconds
under a key that binds the user name, the password *and* the user's stored password hash:

* a wrong password gives another key, so it never hits an entry, and is checked in full;
* a changed password changes the stored hash, so entries made with the old one are dead.

Keys are HMAC-SHA256 with a secret drawn per process, so the cache holds no plain hash of a
password that could be brute-forced offline faster than the stored PBKDF2 hash. Pure: no
Django, no I/O; the clock is injectable for tests.
"""

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict

DEFAULT_TTL = 60.0
DEFAULT_MAX_ENTRIES = 4096


class CredentialCache:
    """A bounded, thread-safe map of verified credential keys to user ids, with expiry."""

    def __init__(self, ttl=DEFAULT_TTL, max_entries=DEFAULT_MAX_ENTRIES, clock=time.monotonic):
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._secret = secrets.token_bytes(32)
        self._entries = OrderedDict()
        self._lock = threading.Lock()

    def key(self, username, password, stored_hash):
        """The cache key of one (user name, password, stored password hash) triple."""
        message = b"\0".join(
            part.encode("utf-8", "surrogatepass") for part in (username, password, stored_hash)
        )
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def get(self, key):
        """The user id verified under `key`, or None if unknown or expired."""
        if self.ttl <= 0:
            return None
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            user_id, expires = entry
            if now >= expires:
                del self._entries[key]
                return None
            return user_id

    def put(self, key, user_id):
        """Remember that `key` was verified for `user_id`, for ``ttl`` seconds from now."""
        if self.ttl <= 0:
            return
        expires = self._clock() + self.ttl
        with self._lock:
            self._entries[key] = (user_id, expires)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self):
        with self._lock:
            self._entries.clear()

    def __len__(self):
        return len(self._entries)


class RecentGrants:
    """Grants (hashable keys) remembered for ``ttl`` seconds: only positive decisions.

    A pull of many blobs asks "may this user pull this distribution" for every request; the
    answer takes several permission queries. Remembering a *yes* briefly means a permission
    that is taken away keeps working for at most ``ttl`` seconds (as a registry token would
    for its lifetime); a permission that is given works at once, since a *no* is never kept.
    """

    def __init__(self, ttl=10.0, max_entries=DEFAULT_MAX_ENTRIES, clock=time.monotonic):
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, key):
        if self.ttl <= 0:
            return False
        now = self._clock()
        with self._lock:
            expires = self._entries.get(key)
            if expires is None:
                return False
            if now >= expires:
                del self._entries[key]
                return False
            return True

    def add(self, key):
        if self.ttl <= 0:
            return
        with self._lock:
            self._entries[key] = self._clock() + self.ttl
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self):
        with self._lock:
            self._entries.clear()
