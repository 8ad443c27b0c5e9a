"""Leases in the database: which content app process fetches a key from upstream right now.

A key names one upstream fetch (a manifest of a name, a blob of a name). Taking the lease is
one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE`` statement: it succeeds for the first caller,
and later for anybody once the holder finished (it failed; a success deletes the row) or
stopped beating (its process died). Everybody else reads the row and waits for its outcome:
``finished_at`` set without ``error`` (success), with ``error`` (the holder's failure, to
raise again), or ``path``/``size`` of a blob being written (to read along) and ``verified``
once all of it is there and checked. A finished row stays: it records that the key was
fetched (a blob of a pulled-through name: upstream has it under that name), and the next
``take`` of the key reuses it.

This works across every content app process and host sharing the database. `Notifier` wakes
waiters in the holder's own process at once; other processes notice by polling.

The functions here are blocking (database); call them through ``sync_to_async``.
"""

import asyncio
import json
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import connection

# Seconds between a holder's heartbeats, and after which a silent holder counts as dead.
HEARTBEAT = 5.0
STALE_AFTER = 30.0

HOST = socket.gethostname()

# The table of ``models.PullThroughFetch``, named here so that this module (and the single
# flight built on it) imports no models: their unit tests run without Django.
_TABLE = "container_pullthroughfetch"


@dataclass(frozen=True)
class Lease:
    """A lease row as read: who holds it, where a blob's bytes land, and how it ended."""

    key: str
    owner: uuid.UUID
    host: str
    path: str | None
    size: int | None
    heartbeat_at: datetime
    verified: bool
    finished_at: datetime | None
    error: dict | None
    result: object
    """What the holder returned (JSON), once it finished well."""
    stale: bool

    @property
    def failed(self):
        return self.finished_at is not None and self.error is not None

    @property
    def succeeded(self):
        return self.finished_at is not None and self.error is None

    @property
    def running(self):
        """Held by a live holder: waiting for it makes sense."""
        return self.finished_at is None and not self.stale


def new_owner():
    return uuid.uuid4()


def take(key, owner):
    """Take the lease of `key` for `owner` if free; return True if taken, else the Lease held.

    A returned Lease may also be None: the holder finished between the two statements, so
    the caller should look again (at the cache, then here).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {_TABLE} AS lease
                (key, owner, host, path, size, heartbeat_at, verified, finished_at, error, result)
            VALUES (%s, %s, %s, NULL, NULL, now(), false, NULL, NULL, NULL)
            ON CONFLICT (key) DO UPDATE SET
                owner = EXCLUDED.owner, host = EXCLUDED.host, path = NULL, size = NULL,
                heartbeat_at = now(), verified = false, finished_at = NULL, error = NULL,
                result = NULL
            WHERE lease.finished_at IS NOT NULL
               OR lease.heartbeat_at < now() - make_interval(secs => %s)
            RETURNING owner
            """,
            [key, owner, HOST, STALE_AFTER],
        )
        if cursor.fetchone() is not None:
            return True
    return read(key)


def read(key):
    """The Lease of `key`, or None when nobody holds it."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT key, owner, host, path, size, heartbeat_at, verified, finished_at, error,
                   result, heartbeat_at < now() - make_interval(secs => %s)
            FROM {_TABLE} WHERE key = %s
            """,
            [STALE_AFTER, key],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    *fields, error, result, stale = row
    return Lease(*fields, error=_json(error), result=_json(result), stale=stale)


def _json(value):
    # psycopg hands back text or already decoded JSON, depending on how the column is read
    if value is None or not isinstance(value, (str, bytes)):
        return value
    return json.loads(value)


def publish(key, owner, path, size):
    """Tell waiters where the bytes of a blob land and how many there will be."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_TABLE} SET path = %s, size = %s WHERE key = %s AND owner = %s",
            [path, size, key, owner],
        )


def verify(key, owner):
    """All of a blob's bytes are in the file and match its digest."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_TABLE} SET verified = true WHERE key = %s AND owner = %s", [key, owner]
        )


def beat(key, owner):
    """The holder is alive; False when it lost the lease (it went stale and was taken)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_TABLE} SET heartbeat_at = now() WHERE key = %s AND owner = %s",
            [key, owner],
        )
        return cursor.rowcount == 1


def succeed(key, owner, result=None):
    """The holder is done, what it fetched is stored, and `result` (JSON-able) is what it
    returned: the row stays, as a record."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_TABLE} SET finished_at = now(), error = NULL, path = NULL, result = %s "
            "WHERE key = %s AND owner = %s",
            [json.dumps(result), key, owner],
        )


def fail(key, owner, record):
    """The holder failed with the error `record` (see ``upstream/failures.to_record``)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_TABLE} SET finished_at = now(), error = %s WHERE key = %s AND owner = %s",
            [json.dumps(record), key, owner],
        )


class Notifier:
    """Wakes the coroutines of this process that wait on a key when it changes.

    Waiters in other processes are not woken; they poll with a timeout.
    """

    def __init__(self):
        self._events = {}

    def notify(self, key):
        event = self._events.pop(key, None)
        if event is not None:
            event.set()

    async def wait(self, key, timeout):
        """Until `key` is notified or `timeout` seconds pass."""
        event = self._events.setdefault(key, asyncio.Event())
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            pass


notifier = Notifier()
