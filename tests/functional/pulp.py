"""A running Pulp for the functional tests, started with the same machinery as ``make run``."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
API_ROOT = "/pulp/api/v3/"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PulpProcess:
    """``python -m devserver`` in a data directory of its own, on free ports."""

    def __init__(self, data_dir: Path, admin_password: str = "password", extra_env=None):
        self.data_dir = data_dir
        self.api_port = free_port()
        self.content_port = free_port()
        self.admin_password = admin_password
        self.extra_env = extra_env or {}
        self.process = None
        self.output = data_dir.parent / f"{data_dir.name}.out"

    @property
    def api_url(self) -> str:
        return f"http://localhost:{self.api_port}"

    @property
    def registry_host(self) -> str:
        return f"localhost:{self.content_port}"

    def start(self, timeout: float = 240) -> None:
        env = dict(os.environ)
        env.update(
            PULP_DATA_DIR=str(self.data_dir),
            PULP_API_PORT=str(self.api_port),
            PULP_CONTENT_PORT=str(self.content_port),
            PULP_ADMIN_PASSWORD=self.admin_password,
            **self.extra_env,
        )
        with self.output.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "devserver"],
                cwd=REPO_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.output.read_text(errors="replace")
            if "Pulp is up." in text:
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"Pulp did not start:\n{text}")
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"Pulp did not start in {timeout} s:\n{self.output.read_text()}")

    def stop(self, timeout: float = 180) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def manage(self, *args: str) -> str:
        """Run a ``pulpcore-manager`` command against this server's database; its output."""
        env = dict(os.environ)
        settings = (self.data_dir / "settings.py", self.data_dir / "run" / "settings.py")
        env.update(
            PULP_SETTINGS=",".join(str(path) for path in settings),
            DJANGO_SETTINGS_MODULE="pulpcore.app.settings",
        )
        result = subprocess.run(
            [str(Path(sys.executable).parent / "pulpcore-manager"), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def log(self, name: str) -> str:
        return (self.data_dir / "log" / f"{name}.log").read_text(errors="replace")


class TaskFailed(AssertionError):
    pass


class PulpAPI:
    """A requests session on the REST API that knows how to wait for tasks."""

    def __init__(self, base_url: str, auth=("admin", "password")):
        self.base_url = base_url
        self.session = requests.Session()
        self.session.auth = auth

    def url(self, path: str) -> str:
        if path.startswith("http"):
            return path
        if not path.startswith("/"):
            path = API_ROOT + path
        return self.base_url + path

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.session.request(method, self.url(path), timeout=60, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, json=None, **kwargs):
        return self.request("POST", path, json=json, **kwargs)

    def patch(self, path, json=None, **kwargs):
        return self.request("PATCH", path, json=json, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def ok(self, response: requests.Response, status=(200, 201, 202, 204)) -> dict:
        statuses = status if isinstance(status, tuple) else (status,)
        assert response.status_code in statuses, (
            f"{response.request.method} {response.url}: {response.status_code} {response.text}"
        )
        return response.json() if response.content else {}

    def wait_task(self, task_href: str, timeout: float = 300, expect="completed") -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            task = self.ok(self.get(task_href))
            if task["state"] in ("completed", "failed", "canceled"):
                if expect and task["state"] != expect:
                    raise TaskFailed(f"task {task_href} ended {task['state']}: {task['error']}")
                return task
            time.sleep(0.2)
        raise TaskFailed(f"task {task_href} still {task['state']} after {timeout} s")

    def run(self, method: str, path: str, json=None, expect="completed") -> dict:
        """Send a request that answers 202 with a task, and wait for the task."""
        body = self.ok(self.request(method, path, json=json), status=202)
        return self.wait_task(body["task"], expect=expect)

    def create_repository(self, name: str, **fields) -> dict:
        return self.ok(self.post("repositories/container/container/", {"name": name, **fields}))

    def create_distribution(self, name: str, base_path: str, **fields) -> dict:
        task = self.run(
            "POST",
            "distributions/container/container/",
            {"name": name, "base_path": base_path, **fields},
        )
        return self.ok(self.get(task["created_resources"][0]))
