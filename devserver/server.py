"""One run of the whole server: bootstrap the data directory, start everything, stop it all."""

import os
import pprint

from .config import RunConfig
from .database import EmbeddedPostgres
from .datadir import DataDir
from .processes import Supervisor, manage

ADMIN_MARKER = ".admin-created"


class PulpServer:
    """PostgreSQL plus pulpcore's api, content app and worker with this plugin."""

    def __init__(self, config: RunConfig):
        self.config = config
        self.datadir = DataDir(config.data_dir)
        self.database = None
        self.supervisor = None

    def start(self) -> None:
        first_start = self.datadir.ensure()
        databases = self.datadir.configured_databases()
        if databases is None:
            self.database = EmbeddedPostgres(self.datadir.postgres)
            databases = self.database.start()
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
        self.supervisor.start()

    def stop(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop()
            self.supervisor = None
        if self.database is not None:
            self.database.stop()
            self.database = None

    def environment(self) -> dict:
        env = dict(os.environ)
        env["PULP_SETTINGS"] = self.datadir.settings_files()
        env["DJANGO_SETTINGS_MODULE"] = "pulpcore.app.settings"
        return env

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
