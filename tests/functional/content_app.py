"""One more pulpcore content app on a server's database and storage, started by a test.

For what needs several registry processes a test can tell apart (an upload begun in one and
continued in another) or a registry process restarted while the rest of Pulp runs on.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from .pulp import PulpProcess, free_port

BIN = Path(sys.executable).parent


class ContentApp:
    """``pulpcore-content`` with one worker, on a free port, sharing `server`'s settings."""

    def __init__(self, server: PulpProcess):
        self.server = server
        self.port = free_port()
        self.process = None
        self.output = server.data_dir.parent / f"content-{self.port}.out"

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.port}"

    def start(self, timeout: float = 120) -> "ContentApp":
        data = self.server.data_dir
        env = dict(os.environ)
        env.update(self.server.extra_env)
        env.update(
            PULP_SETTINGS=f"{data / 'settings.py'},{data / 'run' / 'settings.py'}",
            DJANGO_SETTINGS_MODULE="pulpcore.app.settings",
        )
        with self.output.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    str(BIN / "pulpcore-content"),
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    "1",
                    "--no-control-socket",
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"content app exited:\n{self.output.read_text()[-3000:]}")
            try:
                requests.get(f"{self.origin}/v2/", timeout=5)
                return self
            except requests.ConnectionError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"content app not up in {timeout} s:\n{self.output.read_text()}")

    def stop(self, timeout: float = 60) -> None:
        """SIGTERM to its process group (gunicorn and its worker), then wait."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
