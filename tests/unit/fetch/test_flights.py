"""The single flight (``fetch/flights.py``) over an in-memory table of leases: one run per key,
its result returned to the leader and every follower, in this process and in others alike."""

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from pulp_container.app import errors
from pulp_container.app.fetch import flights, lease
from pulp_container.app.upstream import failures


class Leases:
    """The lease table in memory: the functions of ``lease.py`` that ``flights.py`` calls."""

    def __init__(self):
        self.rows = {}
        self.taken = []
        self.on_refused = None
        """Called (in the thread of ``take``) when a take finds the lease held."""

    def take(self, key, owner):
        row = self.rows.get(key)
        if row is None or row.finished_at is not None or row.stale:
            self.rows[key] = lease.Lease(
                key, owner, lease.HOST, None, None, _now(), False, None, None, None, False
            )
            self.taken.append(key)
            return True
        if self.on_refused is not None:
            self.on_refused()
        return row

    def read(self, key):
        return self.rows.get(key)

    def beat(self, key, owner):
        return key in self.rows and self.rows[key].owner == owner

    def succeed(self, key, owner, result=None):
        self._finish(key, owner, error=None, result=result)

    def fail(self, key, owner, record):
        self._finish(key, owner, error=record, result=None)

    def _finish(self, key, owner, error, result):
        row = self.rows[key]
        if row.owner == owner:
            self.rows[key] = replace(row, finished_at=_now(), error=error, result=result)

    def held_elsewhere(self, key):
        """A lease of `key` held by a live request of another process."""
        owner = uuid.uuid4()
        self.rows[key] = lease.Lease(
            key, owner, "other-host", None, None, _now(), False, None, None, None, False
        )
        return owner


def _now():
    return datetime.now(UTC)


@pytest.fixture
def leases(monkeypatch):
    table = Leases()
    for name in ("take", "read", "beat", "succeed", "fail"):
        monkeypatch.setattr(lease, name, getattr(table, name))
    monkeypatch.setattr(flights, "POLL", 0.001)
    monkeypatch.setattr(lease, "notifier", lease.Notifier())  # its events belong to one loop
    return table


def run(coroutine):
    return asyncio.run(coroutine)


def test_the_work_runs_once_and_everyone_gets_its_result(leases):
    runs = []

    async def work():
        runs.append(1)
        await asyncio.sleep(0.01)
        return {"digest": "sha256:1"}

    async def crowd():
        values = await asyncio.gather(*(flights.once("k", work) for _ in range(10)))
        await asyncio.gather(*flights.running())  # the lease is written after the answer
        return values

    assert run(crowd()) == [{"digest": "sha256:1"}] * 10
    assert runs == [1]
    assert leases.rows["k"].succeeded and leases.rows["k"].result == {"digest": "sha256:1"}


def test_what_the_work_raised_is_raised_in_every_request(leases):
    async def work():
        await asyncio.sleep(0.01)
        raise errors.RegistryError(errors.TOOMANYREQUESTS, message="slow down")

    async def crowd():
        outcomes = await asyncio.gather(
            *(flights.once("k", work) for _ in range(3)), return_exceptions=True
        )
        await asyncio.gather(*flights.running(), return_exceptions=True)
        return outcomes

    outcomes = run(crowd())
    assert [outcome.code for outcome in outcomes] == [errors.TOOMANYREQUESTS] * 3
    assert leases.rows["k"].failed


def test_a_follower_of_another_process_gets_the_result_it_recorded(leases):
    owner = leases.held_elsewhere("k")

    async def finish_elsewhere():
        await asyncio.sleep(0.01)
        leases.succeed("k", owner, {"artifact": "1"})

    async def follow():
        asyncio.ensure_future(finish_elsewhere())
        return await flights.once("k", never)

    assert run(follow()) == {"artifact": "1"}


def test_a_follower_of_another_process_gets_the_error_it_recorded(leases):
    owner = leases.held_elsewhere("k")
    record = failures.to_record(errors.RegistryError(errors.UPSTREAM_TIMEOUT, message="late"))

    async def fail_elsewhere():
        await asyncio.sleep(0.01)
        leases.fail("k", owner, record)

    async def follow():
        asyncio.ensure_future(fail_elsewhere())
        return await flights.once("k", never)

    with pytest.raises(errors.RegistryError) as raised:
        run(follow())
    assert raised.value.code == errors.UPSTREAM_TIMEOUT


def test_a_holder_that_went_silent_is_taken_over(leases):
    leases.held_elsewhere("k")
    leases.rows["k"] = replace(leases.rows["k"], stale=True)

    async def work():
        return {"mine": True}

    async def ask():
        value = await flights.once("k", work)
        await asyncio.gather(*flights.running())
        return value

    assert run(ask()) == {"mine": True}


def test_a_finished_flight_runs_again_for_the_next_request(leases):
    values = iter([{"n": 1}, {"n": 2}])

    async def work():
        return next(values)

    async def ask():
        value = await flights.once("k", work)
        await asyncio.gather(*flights.running())  # the flight ends after it answered
        return value

    assert run(ask()) == {"n": 1}
    assert run(ask()) == {"n": 2}


def test_keep_holds_the_key_while_its_work_runs_and_followers_get_its_result(leases):
    order = []

    async def scenario():
        release = asyncio.Event()

        async def record():
            await release.wait()
            order.append("recorded")
            return {"kept": True}

        async def follow():
            value = await flights.once("k", never)
            order.append("followed")
            return value

        loop = asyncio.get_running_loop()
        leases.on_refused = lambda: loop.call_soon_threadsafe(release.set)
        await flights.keep("k", record)
        return await follow()  # the record is released once this request found the key held

    assert run(scenario()) == {"kept": True}
    assert order == ["recorded", "followed"]
    assert leases.taken == ["k"]


def test_keep_after_another_requests_flight_still_runs_its_work(leases):
    owner = leases.held_elsewhere("k")
    ran = []

    async def record():
        ran.append(1)

    async def scenario():
        await flights.keep("k", record)
        leases.succeed("k", owner, None)
        await asyncio.gather(*flights.running())

    run(scenario())
    assert ran == [1]


async def never():
    raise AssertionError("a follower ran the work")


def test_a_flight_answers_at_once_but_ends_once_what_it_kept_is_stored(leases):
    async def scenario():
        stored = asyncio.Event()

        async def record():
            await stored.wait()
            return {"kept": True}

        async def fetch():
            await flights.keep("digest", record)
            return {"fetched": True}

        value = await flights.once("tag", fetch)
        running_while_storing = leases.rows["tag"].finished_at is None
        also = await flights.once("tag", never)  # a request of this process meanwhile
        stored.set()
        await asyncio.gather(*flights.running())
        return value, running_while_storing, also, leases.rows["tag"].succeeded

    assert run(scenario()) == ({"fetched": True}, True, {"fetched": True}, True)
