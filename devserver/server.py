"""One run of the whole server: bootstrap the data directory, start everything, stop it all."""

import os
import pprint
import subprocess
import sys

from .config import RunConfig
from .database import EmbeddedPostgres
from .datadir import DataDir
from .processes import StartupError, Supervisor, manage, port_holder
from .runrecord import ProcessRef, RunRecord
from .stopping import POSTGRES, stop_recorded

ADMIN_MARKER = ".admin-created"
DEVSERVER = "devserver"


class PulpServer:
    """PostgreSQL plus pulpcore's api, content app and worker with this plugin.

    Every process it starts goes into the data directory's run record, and a guardian process
    stops them should this one die without doing so (see guardian.py).
    """

    def __init__(self, config: RunConfig, say=print):
        self.config = config
        self.say = say
        self.datadir = DataDir(config.data_dir)
        self.record = RunRecord(self.datadir.record)
        self.database = None
        self.supervisor = None
        self.guardian = None

    def start(self) -> None:
        first_start = self.datadir.ensure()
        self._stop_leftovers()
        self.record.add(ProcessRef.of(DEVSERVER, os.getpid()))
        self._start_guardian()
        databases = self.datadir.configured_databases()
        if databases is None:
            self.database = EmbeddedPostgres(self.datadir.postgres)
            databases = self.database.start()
            self.record.add(ProcessRef.of(POSTGRES, self.database.postmaster_pid))
        self._check_ports()
        self._write_run_settings(databases)
        env = self.environment()
        setup_log = self.datadir.logs / "setup.log"
        manage(env, "migrate", "--noinput", log=setup_log)
        marker = self.datadir.root / ADMIN_MARKER
        if first_start or not marker.exists():
            manage(
                env,
                "reset-admin-password",
                "--password",
                self.config.admin_password,
                log=setup_log,
            )
            marker.touch()
        self.supervisor = Supervisor(self.config, env, self.datadir.logs)
        try:
            self.supervisor.start()
        finally:
            for ref in self.supervisor.refs():
                self.record.add(ref)

    def stop(self) -> None:
        """Stop the services, then PostgreSQL once none of them is left; then the guardian."""
        if self.supervisor is not None:
            self.supervisor.stop()
            self.supervisor = None
        if self.database is not None:
            self.database.stop()
            self.database = None
        self.record.clear()
        if self.guardian is not None:
            self.guardian.stdin.close()
            self.guardian.wait()
            self.guardian = None

    def environment(self) -> dict:
        env = dict(os.environ)
        env["PULP_SETTINGS"] = self.datadir.settings_files()
        env["DJANGO_SETTINGS_MODULE"] = "pulpcore.app.settings"
        return env

    def _stop_leftovers(self) -> None:
        """Stop what a previous run in this data directory left running; refuse to start
        while that run's devserver itself still runs."""
        previous = self.record.find(DEVSERVER)
        if previous is not None and previous.live() and previous.pid != os.getpid():
            raise StartupError(
                f"Another run (pid {previous.pid}) uses {self.config.data_dir}; stop it first."
            )
        stopped = stop_recorded(self.record, self.datadir.postgres)
        if stopped:
            self.say(f"Stopped what a previous run left running: {', '.join(stopped)}.")

    def _start_guardian(self) -> None:
        with (self.datadir.logs / "guardian.log").open("ab") as log:
            self.guardian = subprocess.Popen(
                [sys.executable, "-m", "devserver.guardian", str(self.datadir.root)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,
            )

    def _check_ports(self) -> None:
        ports = (("REST API", self.config.api_port), ("registry", self.config.content_port))
        for what, port in ports:
            holder = port_holder(port)
            if holder is not None:
                raise StartupError(f"Port {port} (the {what}) is held by {holder}.")

    def _write_run_settings(self, databases: dict) -> None:
        values = {
            "DATABASES": databases,
            "CONTENT_ORIGIN": self.config.content_origin,
            "DEPLOY_ROOT": str(self.datadir.root),
            "MEDIA_ROOT": str(self.datadir.media),
            "WORKING_DIRECTORY": str(self.datadir.working),
            "FILE_UPLOAD_TEMP_DIR": str(self.datadir.working),
            "STATIC_ROOT": str(self.datadir.static),
            "TOKEN_SERVER": f"{self.config.content_origin}/token",
            "ANALYTICS": False,
        }
        lines = ["# Written by every start of the server; edit settings.py instead.\n"]
        lines += [f"{name} = {pprint.pformat(value)}\n" for name, value in values.items()]
        self.datadir.run_settings.write_text("".join(lines))
