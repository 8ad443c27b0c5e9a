"""What a process keeps in memory from one request to the next, registered in one place.

A content app, API or worker process keeps caches (verified credentials, granted pulls,
manifests of immutable versions, the SQL of compiled queries), per-remote upstream tokens, the
token keys, and thread pools. Each lives next to the code that uses it, but is made with
`kept` or announced with `register` here, so that ``names()`` lists everything a process holds
and ``reset()`` makes a process forget it all, as if it had just started: for tests, and for
benchmarks that measure a cold process.

Registered today (see each owner):

* ``auth.credential_cache``: successful Basic checks (``auth/authentication.py``)
* ``auth.recent_grants``: recent pull grants of private distributions (``auth/permissions.py``)
* ``auth.token_config``: the token keys and settings, read once (``auth/keys.py``)
* ``db.compiled_queries``: the SQL of every CompiledQuery (``db/compiled.py``)
* ``registry.manifests``: manifests per (version, reference) (``registry/store.py``)
* ``upstream.registry_auths``, ``pullthrough.remotes``: what is kept per remote
  (``upstream/kept.py``, ``pullthrough/upstream.py``)
* ``push.running_digests``, ``push.sweep_clock``, ``push.repositories``,
  ``push.upload_directories``: the running hashes of uploads, when this process last swept
  expired uploads, the repositories known to take pushes, the upload directories it made
  (``push/hashing.py``, ``push/sessions.py``, ``push/target.py``, ``push/files.py``)
* ``threads.*``: the thread pools (``thread_pools.py``)

Not state to reset: what belongs to requests in flight, such as the tasks a process keeps
referenced until they end (pull-through fetches and put-off work, waited for on shutdown by
``pullthrough/shutdown.py``) and the waiters on a pull-through lease (``pullthrough/lease.py``).
"""

import threading

_resets = {}  # name -> function forgetting what `name` holds
_UNSET = object()


def register(name, reset):
    """Make `reset` (called without arguments) what forgets the state called `name`.

    Registering a name again replaces its reset (a module imported anew registers again).
    """
    _resets[name] = reset


def names():
    """The names of the registered state, sorted."""
    return sorted(_resets)


def reset(*which):
    """Forget the state of each name in `which`, or of every registered name when none is
    given; each is made again on its next use.

    Raises:
        KeyError: a name nobody registered.
    """
    unknown = [name for name in which if name not in _resets]
    if unknown:
        raise KeyError(f"no process state is registered as {', '.join(unknown)}")
    for name in which or names():
        _resets[name]()


class Kept:
    """A value a process makes on first use and keeps until it is reset."""

    def __init__(self, make):
        self._make = make
        self._value = _UNSET
        self._lock = threading.Lock()

    def get(self):
        """The value, made now if it was not yet (or was reset)."""
        value = self._value
        if value is _UNSET:
            with self._lock:
                if self._value is _UNSET:
                    self._value = self._make()
                value = self._value
        return value

    def reset(self):
        self._value = _UNSET


def kept(name, make):
    """A `Kept` value registered as `name`: ``make()`` on first use, again after a reset."""
    value = Kept(make)
    register(name, value.reset)
    return value
