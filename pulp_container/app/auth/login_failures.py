"""The failed-login counts of ``throttle.py`` in the database, shared by every process and host.

Blocking: call from the ORM thread.
"""

from django.db import connection
from django.utils import timezone

from pulp_container.app.auth.throttle import (
    Count,
    Limits,
    Standing,
    address_key,
    judge,
    user_key,
)
from pulp_container.app.models import RegistryLoginFailures

_TABLE = RegistryLoginFailures._meta.db_table


def standing(username: str, address: str | None, limits: Limits | None = None) -> Standing:
    """Read both counts (one query) and judge them."""
    limits = limits or Limits.from_settings()
    keys = {user_key(username): "user", address_key(address): "address"}
    counts = {
        keys[row.key]: Count(row.failures, row.window_start)
        for row in RegistryLoginFailures.objects.filter(key__in=list(keys))
    }
    return judge(counts.get("address"), counts.get("user"), timezone.now(), limits)


def record_failure(username: str, address: str | None, limits: Limits | None = None) -> None:
    """Count one failure for the user name and the address; a key whose window is over starts
    a new one. One statement, safe against concurrent failures from every process."""
    limits = limits or Limits.from_settings()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {_TABLE} AS counted (key, failures, window_start)
            VALUES (%s, 1, now()), (%s, 1, now())
            ON CONFLICT (key) DO UPDATE SET
                failures = CASE WHEN counted.window_start < now() - %s * interval '1 second'
                           THEN 1 ELSE counted.failures + 1 END,
                window_start = CASE WHEN counted.window_start < now() - %s * interval '1 second'
                               THEN now() ELSE counted.window_start END
            """,
            [user_key(username), address_key(address), limits.window, limits.window],
        )
