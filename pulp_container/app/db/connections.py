"""Running database work again once when the connection it met had broken.

A content app thread keeps its database connection for as long as the process lives; when
PostgreSQL restarts, the next query on it fails. `replacing_broken_connection` then closes the
thread's connection (Django opens a fresh one on the next query), as pulpcore's content app
does, and runs the work once more (the failed attempt's transaction did not commit). Blocking;
run it in the thread that does the work.
"""

from django.db import InterfaceError, OperationalError, close_old_connections


def replacing_broken_connection(function, *args):
    """``function(*args)``, run once more on a fresh connection if the connection broke."""
    try:
        return function(*args)
    except (InterfaceError, OperationalError):
        close_old_connections()
        return function(*args)
