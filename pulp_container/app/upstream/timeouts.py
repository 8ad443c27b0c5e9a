"""How long a request to an upstream registry may wait, as an aiohttp ClientTimeout (pure).

pulpcore's download factory falls back to aiohttp's defaults for a remote's null timeout
fields: 30 s to connect and 300 s in all. That held a client of a dead upstream for minutes,
and cut a healthy download of a big blob after five. Instead, every request of a registry
downloader (sync, on_demand and streamed blobs, pull-through) carries its own timeout:

* connecting (``sock_connect``): the remote's ``sock_connect_timeout``, else
  CONTAINER_UPSTREAM_CONNECT_TIMEOUT;
* reading (``sock_read``): the remote's ``sock_read_timeout``, else
  CONTAINER_UPSTREAM_READ_TIMEOUT. It bounds the wait for the answer to begin (the first
  byte) and every wait between two chunks of a body, so a dead upstream is noticed quickly
  while a slow one that keeps sending is never cut;
* ``connect`` (which includes waiting for a free connection of the remote's pool) and
  ``total``: only the remote's own values; none by default.

A remote's own values always win. A per-request timeout replaces the session's, so pulpcore's
factory is left as it is.
"""

from dataclasses import dataclass

import aiohttp


@dataclass(frozen=True)
class TimeoutDefaults:
    """Seconds used where a remote leaves its timeout fields null."""

    connect: float
    read: float


def client_timeout(remote, defaults):
    """The ClientTimeout of requests to `remote`'s upstream.

    Args:
        remote: anything with pulpcore's Remote timeout fields (``connect_timeout``,
            ``sock_connect_timeout``, ``sock_read_timeout``, ``total_timeout``; each None
            or seconds).
        defaults: a TimeoutDefaults, for the null fields.
    """
    return aiohttp.ClientTimeout(
        total=remote.total_timeout or None,
        connect=remote.connect_timeout or None,
        sock_connect=remote.sock_connect_timeout or defaults.connect,
        sock_read=remote.sock_read_timeout or defaults.read,
    )
