"""Start, watch and stop the pulpcore processes of one run."""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from .runrecord import ProcessRef
from .stopping import stop_groups

BIN = Path(sys.executable).parent


class StartupError(RuntimeError):
    """A process exited or did not come up in time; the message carries its log's tail."""


def log_tail(path: Path, lines: int = 40, start: int = 0) -> str:
    """The last `lines` lines of a log, from byte `start` on (what one run wrote)."""
    if not path.exists():
        return "(no log)"
    with path.open("rb") as log:
        log.seek(start)
        text = log.read().decode(errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def manage(env: dict, *args: str, log: Path) -> None:
    """Run one pulpcore-manager command to completion; raise with its output if it fails."""
    start = log.stat().st_size if log.exists() else 0
    with log.open("ab") as out:
        result = subprocess.run(
            [str(BIN / "pulpcore-manager"), *args],
            check=False,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    if result.returncode != 0:
        output = log_tail(log, start=start)
        raise StartupError(f"pulpcore-manager {' '.join(args)} failed:\n{output}")


@dataclass
class Service:
    """One long-running process: its name, command line and log file."""

    name: str
    argv: list[str]
    log: Path
    process: subprocess.Popen | None = field(default=None, repr=False)
    ref: ProcessRef | None = field(default=None, repr=False)

    def start(self, env: dict) -> None:
        """Start the process as the leader of a session and process group of its own."""
        out = self.log.open("ab")
        self.process = subprocess.Popen(
            self.argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        out.close()
        self.ref = ProcessRef.of(self.name, self.process.pid)

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()


class Supervisor:
    """The api, the content app and a worker, started together and stopped together."""

    def __init__(self, config, env: dict, logs: Path):
        bind = os.environ.get("PULP_BIND", "127.0.0.1")
        self.config = config
        self.env = env
        self.services = [
            Service(
                "api",
                [
                    str(BIN / "pulpcore-api"),
                    "--bind",
                    f"{bind}:{config.api_port}",
                    "--workers",
                    str(config.api_workers),
                    "--no-control-socket",
                ],
                logs / "api.log",
            ),
            Service(
                "content",
                [
                    str(BIN / "pulpcore-content"),
                    "--bind",
                    f"{bind}:{config.content_port}",
                    "--workers",
                    str(config.content_workers),
                    "--no-control-socket",
                ],
                logs / "content.log",
            ),
            Service("worker", [str(BIN / "pulpcore-worker")], logs / "worker.log"),
        ]

    def start(self, timeout: float = 120) -> None:
        for service in self.services:
            service.start(self.env)
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            status = self._status()
            if status and status.get("online_workers") and status.get("online_content_apps"):
                return
            time.sleep(0.5)
        tails = "\n".join(f"--- {s.name}\n{log_tail(s.log)}" for s in self.services)
        raise StartupError(f"Pulp did not come up within {timeout:.0f} s:\n{tails}")

    def check_alive(self) -> None:
        for service in self.services:
            code = service.exited()
            if code is not None:
                raise StartupError(
                    f"{service.name} exited with status {code}:\n{log_tail(service.log)}"
                )

    def _status(self) -> dict | None:
        url = f"http://127.0.0.1:{self.config.api_port}/pulp/api/v3/status/"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.load(response)
        except (urllib.error.URLError, OSError, ValueError):
            return None

    def refs(self) -> list[ProcessRef]:
        """The services started so far, for the run record."""
        return [service.ref for service in self.services if service.ref is not None]

    def stop(self, timeout: float = 30) -> None:
        """Stop every service and wait until no process of theirs is left (see stopping.py)."""
        started = [service.process for service in self.services if service.process is not None]
        stop_groups(self.refs(), timeout, reap=started)
        for process in started:
            process.wait()


def port_holder(port: int) -> str | None:
    """Who listens on TCP `port` on this machine, as ``pid N (command line)``; None if no one."""
    for connection in psutil.net_connections(kind="inet"):
        if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port:
            if connection.pid is None:
                return "a process of another user"
            try:
                command = " ".join(psutil.Process(connection.pid).cmdline())
            except psutil.Error:
                command = "?"
            return f"pid {connection.pid} ({command})"
    return None
