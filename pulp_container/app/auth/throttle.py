"""Slowing password guessing on the registry: failed logins counted per user name and address.

Counts live in the database (``RegistryLoginFailures``), so every content app process on every
host sees the same ones. A window of ``CONTAINER_LOGIN_FAILURE_WINDOW`` seconds starts with a
key's first failure; within it:

* an address with ``CONTAINER_LOGIN_FAILURES_PER_ADDRESS`` failures is refused before its
  password is even checked (``429 TOOMANYREQUESTS`` with ``Retry-After``);
* a user name with ``CONTAINER_LOGIN_FAILURES_PER_USER`` failures still logs in with the right
  password, from anywhere (an attacker cannot lock the user out), but every wrong one is
  answered ``429`` only after ``CONTAINER_LOGIN_FAILURE_DELAY`` seconds, spent without holding
  a thread.

A success does not reset the counts: guesses between two good logins still count.
Pure: `judge` decides from counts; ``login_failures.py`` reads and writes them.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

DEFAULTS = {
    "CONTAINER_LOGIN_FAILURE_WINDOW": 60.0,
    "CONTAINER_LOGIN_FAILURES_PER_ADDRESS": 20,
    "CONTAINER_LOGIN_FAILURES_PER_USER": 10,
    "CONTAINER_LOGIN_FAILURE_DELAY": 2.0,
}


@dataclass(frozen=True)
class Limits:
    window: float
    per_address: int
    per_user: int
    delay: float

    @classmethod
    def from_settings(cls) -> "Limits":
        value = {name: getattr(settings, name, default) for name, default in DEFAULTS.items()}
        return cls(
            window=float(value["CONTAINER_LOGIN_FAILURE_WINDOW"]),
            per_address=int(value["CONTAINER_LOGIN_FAILURES_PER_ADDRESS"]),
            per_user=int(value["CONTAINER_LOGIN_FAILURES_PER_USER"]),
            delay=float(value["CONTAINER_LOGIN_FAILURE_DELAY"]),
        )


@dataclass(frozen=True)
class Count:
    """Failures of one key since `since`."""

    failures: int
    since: datetime


@dataclass(frozen=True)
class Standing:
    """What a login attempt faces before its password is checked."""

    refused_for: int = 0
    """Seconds until the address may try again; 0: it may try now."""
    failure_delay: float = 0.0
    """Seconds to wait before answering this attempt should its password be wrong."""
    retry_after: int = 0
    """What a wrong password's 429 says in Retry-After; 0: a wrong password is a plain 401."""


def user_key(username: str) -> str:
    return f"user:{username}"


def address_key(address: str | None) -> str:
    return f"address:{address or 'unknown'}"


def judge(address: Count | None, user: Count | None, now: datetime, limits: Limits) -> Standing:
    """The standing of an attempt, from the failure counts of its address and user name."""

    def remaining(count):
        if count is None:
            return 0
        left = (count.since + timedelta(seconds=limits.window) - now).total_seconds()
        return max(0, math.ceil(left))

    if address is not None and address.failures >= limits.per_address and remaining(address):
        return Standing(refused_for=remaining(address))
    if user is not None and user.failures >= limits.per_user and remaining(user):
        return Standing(failure_delay=limits.delay, retry_after=remaining(user))
    return Standing()
