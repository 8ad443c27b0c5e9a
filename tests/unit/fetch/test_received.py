"""A fetch's received bytes: read from memory until they are in the file, and the work that
follows the reading (hashing, writing) in order, in a thread, at most a window behind."""

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from pulp_container.app.fetch.received import Behind, Received


class SlowWork:
    """Work that holds its thread until `release` is set, then keeps the chunk in `done`."""

    def __init__(self):
        self.started = threading.Event()
        self.release = threading.Event()
        self.done = []

    def work(self, chunk):
        self.started.set()
        self.release.wait(5)
        self.done.append(chunk)


async def _turns(count=20):
    """Let the event loop run `count` turns: a coroutine that does not wait for a thread or
    a timer finishes within them."""
    for _ in range(count):
        await asyncio.sleep(0)


@pytest.fixture
def executor():
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield pool


@pytest.fixture
def blob_file(tmp_path):
    fd = os.open(tmp_path / "blob", os.O_RDWR | os.O_CREAT)
    yield fd
    os.close(fd)


def test_bytes_not_in_the_file_yet_are_read_from_memory(blob_file):
    received = Received()
    received.arrived(b"abcd")
    received.arrived(b"efgh")
    assert bytes(received.read(blob_file, 0, 10)) == b"abcd"  # one chunk at a time
    assert bytes(received.read(blob_file, 5, 2)) == b"fg"
    assert received.read(blob_file, 8, 10) == b""  # nothing arrived there yet


def test_bytes_in_the_file_are_read_from_it_and_leave_memory(blob_file):
    received = Received()
    received.arrived(b"abcd")
    received.arrived(b"efgh")
    os.write(blob_file, b"ABCD")  # what the file holds is what the reader gets
    received.landed()
    assert received.written == 4 and len(received.unwritten) == 1
    assert bytes(received.read(blob_file, 1, 10)) == b"BCD"  # up to what is written
    assert bytes(received.read(blob_file, 4, 10)) == b"efgh"


def test_work_runs_on_every_chunk_in_order_then_finishes(executor):
    done, landed, finished = [], [], []

    async def scenario():
        behind = Behind(
            done.append,
            executor,
            landed=lambda: landed.append(len(done)),
            finished=lambda: finished.append(list(done)),
        )
        for chunk in (b"a", b"bb", b"ccc"):
            await behind.put(chunk)
        await behind.close()

    asyncio.run(scenario())
    assert done == [b"a", b"bb", b"ccc"]
    assert len(landed) == 3 and landed[-1] == 3
    assert finished == [[b"a", b"bb", b"ccc"]]


def test_put_waits_while_more_than_the_window_is_behind(executor):
    slow = SlowWork()

    async def scenario():
        behind = Behind(slow.work, executor, window=10)
        await behind.put(b"x" * 6)  # taken by the thread, which waits
        await asyncio.to_thread(slow.started.wait, 5)
        await behind.put(b"y" * 4)  # 10 bytes behind: not more than the window
        waiting = asyncio.ensure_future(behind.put(b"z"))
        # The thread holds until released, so nothing but the window can keep this put back;
        # a put that did not wait would be done within a few turns of the loop.
        await _turns()
        held = not waiting.done()
        slow.release.set()
        await waiting
        await behind.close()
        return held

    assert asyncio.run(scenario()) is True
    assert b"".join(slow.done) == b"x" * 6 + b"y" * 4 + b"z"


def test_the_first_error_stops_the_work_and_is_raised_by_put_and_close(executor):
    done, finished = [], []

    def fail_on_b(chunk):
        if chunk == b"b":
            raise OSError("No space left on device")
        done.append(chunk)

    async def scenario():
        behind = Behind(fail_on_b, executor, finished=lambda: finished.append(True))
        await behind.put(b"a")
        await behind.put(b"b")
        await asyncio.sleep(0.1)
        with pytest.raises(OSError, match="No space"):
            await behind.put(b"c")
        with pytest.raises(OSError, match="No space"):
            await behind.close()

    asyncio.run(scenario())
    assert done == [b"a"]
    assert finished == [True]  # the writer's descriptor is closed all the same


def test_close_waits_for_the_work_even_when_its_caller_is_cancelled(executor):
    slow = SlowWork()

    async def scenario():
        behind = Behind(slow.work, executor)
        await behind.put(b"a")
        closing = asyncio.ensure_future(behind.close())
        await asyncio.to_thread(slow.started.wait, 5)
        await _turns()
        closing.cancel()
        slow.release.set()
        await asyncio.wait_for(asyncio.shield(behind.task), 5)

    asyncio.run(scenario())
    assert slow.done == [b"a"]
