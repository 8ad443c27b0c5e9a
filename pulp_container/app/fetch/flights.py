"""One upstream fetch per key at a time, across every content app process: single flight.

The first request takes the key's lease (``lease.py``) and runs the work; the others wait for
its outcome, then read what it stored. The leader's error is recorded in the lease and
raised in every waiting request too, so N clients asking at once for an uncached manifest
cause one upstream request whether it succeeds or not. The work runs in a task of its own:
a leader whose client goes away still finishes it for the others.

The work may hand its own client the answer before it is done (a manifest fetched and checked,
while it is still being stored): the leader returns at once, the others still wait for the
stored copy.
"""

import asyncio
from logging import getLogger

from asgiref.sync import sync_to_async

from pulp_container.app import errors
from pulp_container.app.fetch import lease
from pulp_container.app.upstream import failures

log = getLogger(__name__)

# Seconds between looks at a lease held by another process.
POLL = 0.05

_running = set()  # the leaders' tasks, kept referenced until they end


async def once(key, work):
    """Run ``await work(answer)`` unless another request runs it for `key`; then wait for that.

    The work may call ``answer(value)`` once it has what its client needs and go on (storing
    it): this request then returns `value` at once, the work going on in its task.

    Returns:
        The value the work answered when this request ran it and it answered; else None,
        when the work is done, by this request or another (then, rarely, it may have been
        superseded: callers look at the cache again and call once more if still needed).

    Raises:
        RegistryError: what the work raised before answering, in whichever process it ran.
    """
    owner = lease.new_owner()
    held = await sync_to_async(lease.take)(key, owner)
    if held is not True:
        await follow(key, held)
        return None
    answered = asyncio.get_running_loop().create_future()

    def answer(value):
        if not answered.done():
            answered.set_result(value)

    task = asyncio.ensure_future(_lead(key, owner, lambda: work(answer)))
    _running.add(task)
    task.add_done_callback(_ended)
    await asyncio.wait([answered, task], return_when=asyncio.FIRST_COMPLETED)
    if answered.done():
        return answered.result()
    answered.cancel()
    task.result()  # raises what the work raised
    return None


def running():
    """The leaders' tasks of this process not finished yet (some go on after answering)."""
    return set(_running)


def _ended(task):
    _running.discard(task)
    if not task.cancelled():
        task.exception()  # logged by _lead; raised to the leader only if it had no answer


async def _lead(key, owner, work):
    beating = asyncio.ensure_future(heartbeat(key, owner))
    try:
        await work()
    except errors.RegistryError as error:
        await sync_to_async(lease.fail)(key, owner, failures.to_record(error))
        raise
    except BaseException:
        log.exception("Fetching %s failed", key)
        error = errors.RegistryError(errors.UNKNOWN, message=f"fetching {key} failed")
        await sync_to_async(lease.fail)(key, owner, failures.to_record(error))
        raise
    else:
        await sync_to_async(lease.succeed)(key, owner)
    finally:
        beating.cancel()
        lease.notifier.notify(key)


async def heartbeat(key, owner):
    """Beat the lease until cancelled."""
    while True:
        await asyncio.sleep(lease.HEARTBEAT)
        if not await sync_to_async(lease.beat)(key, owner):
            log.warning("Lost the lease of %s", key)
            return


async def follow(key, seen):
    """Wait until the lease `seen` (held by another request) ends.

    Raises:
        RegistryError: the one the holder recorded.
    """
    while seen is not None and not seen.stale:
        if seen.failed:
            raise failures.from_record(seen.error)
        await lease.notifier.wait(key, POLL)
        current = await sync_to_async(lease.read)(key)
        if current is None or current.owner != seen.owner:
            return
        seen = current
