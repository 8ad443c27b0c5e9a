"""The login throttle's decision, from failure counts (auth/throttle.py)."""

from datetime import UTC, datetime, timedelta

import pytest

from pulp_container.app.auth.throttle import Count, Limits, Standing, judge

NOW = datetime(2026, 12, 7, 12, 0, 0, tzinfo=UTC)
LIMITS = Limits(window=60, per_address=20, per_user=10, delay=2.0)


def ago(seconds):
    return NOW - timedelta(seconds=seconds)


@pytest.mark.parametrize(
    "address, user, expected",
    [
        (None, None, Standing()),
        (Count(19, ago(5)), Count(9, ago(5)), Standing()),
        (Count(20, ago(15)), None, Standing(refused_for=45)),
        (Count(20, ago(15)), Count(30, ago(1)), Standing(refused_for=45)),
        (Count(50, ago(61)), None, Standing()),
        (None, Count(10, ago(20)), Standing(failure_delay=2.0, retry_after=40)),
        (Count(3, ago(1)), Count(10, ago(59.5)), Standing(failure_delay=2.0, retry_after=1)),
        (None, Count(10, ago(60)), Standing()),
    ],
)
def test_judge(address, user, expected):
    assert judge(address, user, NOW, LIMITS) == expected
