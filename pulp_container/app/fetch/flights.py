"""Single flight: one run of a piece of work per key at a time, across every content app process
and host sharing the database, and its result returned to everyone who asked.

The first request takes the key's lease (``lease.py``) and runs the work in a task of its own
(a leader whose client goes away still finishes it for the others). What the work returns (a
JSON-able value) is written into the lease as it ends; every request that asked meanwhile gets
that same value: requests of the leader's process from its task, the others from the lease.
What the work raised (a RegistryError) is raised in every one of them alike, so N clients
asking at once for an uncached manifest cause one upstream request whether it succeeds or not.

Nothing here calls back into its caller: `once` takes the work and returns its value.
``keep`` runs work that follows an answer already given (storing what was fetched) under the
key of what it stores, so that a request for that key waits for it instead of fetching again.
Work kept while a flight's work ran belongs to that flight too: the flight returns its value
to the requests of its process at once, but ends (and the requests of other processes, and
the next flight of its key, go on) only once what it kept is stored.
"""

import asyncio
import contextvars
from logging import getLogger

from asgiref.sync import sync_to_async

from pulp_container.app import errors
from pulp_container.app.fetch import lease
from pulp_container.app.upstream import failures

log = getLogger(__name__)

# Seconds between looks at a lease held by another process.
POLL = 0.05
# Times a request takes the lease again after its holder vanished (its process died).
ROUNDS = 3

_leading = {}  # key -> (owner, answered future) of the flights this process leads
# The tasks `keep` started within the work of the flight running in the current task.
_kept = contextvars.ContextVar("pulp_container_flight_kept", default=None)
_running = set()  # the leaders' and keepers' tasks, kept referenced until they end


class _Vanished:
    """`follow`'s answer when the holder went away without finishing: take the lease again."""


VANISHED = _Vanished()


async def once(key, work):
    """``await work()`` unless another request runs it for `key` right now; either way, what
    it returned.

    Args:
        key: names the work (``"manifest:<name>:<reference>"``, ...).
        work: a coroutine function returning a JSON-able value.

    Raises:
        RegistryError: what the work raised, in whichever process it ran; UNAVAILABLE when
            its holders kept vanishing.
    """
    for _ in range(ROUNDS):
        owner = lease.new_owner()
        held = await sync_to_async(lease.take)(key, owner)
        if held is True:
            return await asyncio.shield(lead(key, owner, work))
        outcome = await follow(key, held)
        if outcome is not VANISHED:
            return outcome
    raise errors.RegistryError(
        errors.UNAVAILABLE,
        detail={"key": key},
        message="the resource is being fetched by another request; try again",
    )


async def keep(key, work):
    """Run ``await work()`` in a task of its own as the flight of `key`, once the lease is
    taken (or, when another request holds it, after that one ended); returns once the lease
    is taken or followed, not when the work is done. Failures are logged."""
    owner = lease.new_owner()
    held = await sync_to_async(lease.take)(key, owner)
    if held is True:
        task = _run_task(key, owner, work)
    else:
        task = _track(asyncio.ensure_future(_after(key, held, work)))
    kept = _kept.get()
    if kept is not None:
        kept.append(task)


async def _after(key, held, work):
    try:
        await follow(key, held)
    except errors.RegistryError:
        pass  # the other request failed; this work still runs
    try:
        await work()
    except Exception:
        log.exception("Keeping %s failed", key)


def lead(key, owner, work):
    """Run the work of `key` (its lease taken by `owner`) in a task of its own: a future of
    the value it returns (set before what it kept is stored, see `keep`)."""
    answered = asyncio.get_running_loop().create_future()
    _leading[key] = (owner, answered)
    _run_task(key, owner, work, answered)
    return answered


def _run_task(key, owner, work, answered=None):
    # A context of its own: what `keep` appends within the work is this flight's.
    context = contextvars.copy_context()
    context.run(_kept.set, None)
    loop = asyncio.get_running_loop()
    return _track(loop.create_task(_run(key, owner, work, answered), context=context))


def _track(task):
    _running.add(task)
    task.add_done_callback(_ended)
    return task


def running():
    """The leaders' and keepers' tasks of this process not finished yet."""
    return set(_running)


def _ended(task):
    _running.discard(task)
    if not task.cancelled():
        task.exception()  # raised to whoever awaits it; logged by _run


async def _run(key, owner, work, answered=None):
    beating = asyncio.ensure_future(heartbeat(key, owner))
    kept = []
    _kept.set(kept)
    try:
        try:
            value = await work()
        finally:
            _kept.set(None)
        if answered is not None and not answered.done():
            answered.set_result(value)
        if kept:
            await asyncio.gather(*kept, return_exceptions=True)
    except errors.RegistryError as error:
        _settle(answered, error)
        await sync_to_async(lease.fail)(key, owner, failures.to_record(error))
        raise
    except BaseException as exc:
        log.exception("Fetching %s failed", key)
        error = errors.RegistryError(errors.UNKNOWN, message=f"fetching {key} failed")
        _settle(answered, error if isinstance(exc, Exception) else exc)
        await sync_to_async(lease.fail)(key, owner, failures.to_record(error))
        raise
    else:
        await sync_to_async(lease.succeed)(key, owner, value)
        return value
    finally:
        beating.cancel()
        if _leading.get(key, (None,))[0] == owner:
            del _leading[key]
        lease.notifier.notify(key)


def _settle(answered, exc):
    if answered is not None and not answered.done():
        answered.set_exception(exc)
        answered.exception()  # retrieved: raised to whoever awaits it, if anybody does


async def heartbeat(key, owner):
    """Beat the lease until cancelled."""
    while True:
        await asyncio.sleep(lease.HEARTBEAT)
        if not await sync_to_async(lease.beat)(key, owner):
            log.warning("Lost the lease of %s", key)
            return


async def follow(key, seen):
    """Wait until the lease `seen` (held by another request) ends: what its holder returned,
    or VANISHED when it went away without finishing (or `seen` is None).

    Raises:
        RegistryError: the one the holder recorded.
    """
    while seen is not None:
        local = _leading.get(key)
        if local is not None and local[0] == seen.owner:
            return await asyncio.shield(local[1])
        if seen.failed:
            raise failures.from_record(seen.error)
        if seen.succeeded:
            return seen.result
        if seen.stale:
            break
        await lease.notifier.wait(key, POLL)
        current = await sync_to_async(lease.read)(key)
        if current is None or current.owner != seen.owner:
            break
        seen = current
    return VANISHED
