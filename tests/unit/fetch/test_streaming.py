"""Streaming: work that can wait starts once no blob has streamed for a while, or at the latest
after the hold-off."""

import asyncio

import pytest

from pulp_container.app.fetch.streaming import Streaming


class Clock:
    """Time that moves only when asyncio.sleep is called (patched below)."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    real_sleep = asyncio.sleep

    async def sleep(seconds):
        clock.now += seconds
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    return clock


def waited(streaming, clock, quiet, hold_off):
    started = clock.now
    asyncio.run(streaming.quiet(quiet, hold_off))
    return round(clock.now - started, 6)


def test_quiet_for_long_enough_returns_at_once(clock):
    streaming = Streaming(clock)
    clock.now += 1.0
    assert waited(streaming, clock, quiet=0.3, hold_off=5.0) == 0


def test_waits_until_quiet_for_the_whole_time_after_the_last_stream_ended(clock):
    streaming = Streaming(clock)
    with streaming:
        pass
    clock.now += 0.1
    assert 0.2 <= waited(streaming, clock, quiet=0.3, hold_off=5.0) <= 0.3


def test_a_stream_still_running_holds_off_until_the_deadline(clock):
    streaming = Streaming(clock)
    with streaming:
        assert streaming.active == 1
        assert waited(streaming, clock, quiet=0.3, hold_off=2.0) == 2.0
    assert streaming.active == 0


def test_nested_streams_count(clock):
    streaming = Streaming(clock)
    with streaming, streaming:
        assert streaming.active == 2
    assert streaming.active == 0
