"""Create one container distribution in a transaction, against a test server's database.

Run by ``test_namespaces.py`` in two processes at once: ``python race_create_distribution.py
NAME BASE_PATH [--hold]``. With ``--hold`` the transaction stays open after the create until
another session waits on a lock on the namespaces table, so the second create overlaps the
first. Prints ``created`` after the create and ``committed`` at the end.
"""

import sys
import time

import django

django.setup()

from django.db import connection, transaction  # noqa: E402 -- after django.setup()

from pulp_container.app.models import ContainerDistribution  # noqa: E402

WAITERS = """
    SELECT count(*) FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid()
      AND wait_event_type = 'Lock' AND query LIKE '%container_containernamespace%'
"""


def _wait_for_a_lock_waiter(timeout=120):
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # Inside a transaction the statistics views keep the first snapshot; take a new one.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(WAITERS)
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)  # polls for the other session to arrive
    raise SystemExit("no other session waited on the namespace within the time limit")


def main(name, base_path, hold):
    with transaction.atomic():
        ContainerDistribution.objects.create(name=name, base_path=base_path)
        print("created", flush=True)
        if hold:
            _wait_for_a_lock_waiter()
    print("committed", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], "--hold" in sys.argv[3:])
