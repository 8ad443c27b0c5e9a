"""`make run`'s machinery: first start writes secrets; a second start keeps the data."""

import json
import os
import signal
import socket
import stat
import subprocess
import time

import psutil
import pytest
import requests

from ..pulp import REPO_ROOT, PulpAPI, PulpProcess, free_port


@pytest.fixture
def own_server(tmp_path):
    server = PulpProcess(tmp_path / "data", admin_password="s3cret-admin")
    yield server
    server.stop()


def test_first_start_writes_secrets_and_a_restart_keeps_data(own_server):
    own_server.start()
    data = own_server.data_dir
    settings = (data / "settings.py").read_text()
    assert "SECRET_KEY" in settings
    for secret in (
        "settings.py",
        "certs/database_fields.symmetric.key",
        "certs/token_private_key.pem",
    ):
        assert stat.S_IMODE((data / secret).stat().st_mode) == 0o600, secret
    output = own_server.output.read_text()
    assert "s3cret-admin" in output and own_server.api_url in output

    api = PulpAPI(own_server.api_url, auth=("admin", "s3cret-admin"))
    api.create_repository("kept")
    assert (
        requests.get(
            own_server.api_url + "/pulp/api/v3/repositories/", auth=("admin", "wrong")
        ).status_code
        == 401
    )

    own_server.stop()
    assert "Stopped." in own_server.output.read_text()
    assert own_server.process.returncode == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(own_server.api_url + "/pulp/api/v3/status/", timeout=5)

    own_server.start()
    listed = api.ok(api.get("repositories/container/container/", params={"name": "kept"}))
    assert listed["count"] == 1
    assert (data / "settings.py").read_text() == settings


class MakeRun:
    """`make run` in a session of its own, as a terminal would run it, on free ports."""

    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.api_port, self.content_port = free_port(), free_port()
        self.output = data_dir.parent / "make-run.out"
        self.process = None

    def start(self, timeout: float = 240) -> str:
        """Start and wait for 'Pulp is up.'; return what this start printed."""
        env = dict(
            os.environ,
            PULP_DATA_DIR=str(self.data_dir),
            PULP_API_PORT=str(self.api_port),
            PULP_CONTENT_PORT=str(self.content_port),
        )
        offset = self.output.stat().st_size if self.output.exists() else 0
        with self.output.open("ab") as out:
            self.process = subprocess.Popen(
                ["make", "run"],
                cwd=REPO_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            printed = self.output.read_bytes()[offset:].decode(errors="replace")
            if "Pulp is up." in printed:
                return printed
            assert self.process.poll() is None, printed
            time.sleep(0.5)
        raise AssertionError(f"make run did not come up:\n{printed}")

    def recorded(self) -> list[psutil.Process]:
        """The processes the run record lists (devserver, PostgreSQL, api, content, worker)."""
        entries = json.loads((self.data_dir / "run" / "processes.json").read_text())
        processes = []
        for entry in entries:
            process = psutil.Process(entry["pid"])
            assert process.create_time() == entry["started"]
            processes.append(process)
        return processes

    def family(self, recorded) -> list[psutil.Process]:
        """Every live process of the run: the recorded ones and their descendants."""
        found = set()
        for process in recorded:
            try:
                if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                    found.add(process)
                    found.update(p for p in process.children(recursive=True))
            except psutil.Error:
                continue
        return [p for p in found if _alive(p)]

    def wait_all_gone(self, processes, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not any(_alive(p) for p in processes):
                return
            time.sleep(0.5)
        left = [f"{p.pid} {p.cmdline()}" for p in processes if _alive(p)]
        raise AssertionError(f"still running: {left}")


def _alive(process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _listening(port) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_make_run_leaves_nothing_behind_however_it_ends(tmp_path):
    """SIGHUP to the process group (the terminal closed), SIGTERM to make, SIGKILL to make and
    the devserver at once: each time nothing of the run is left, and the next start is clean."""
    run = MakeRun(tmp_path / "data")
    run.start()
    endings = [
        ("SIGHUP to the group", lambda: os.killpg(run.process.pid, signal.SIGHUP)),
        ("SIGTERM to make", lambda: run.process.send_signal(signal.SIGTERM)),
        ("SIGKILL to the group", lambda: os.killpg(run.process.pid, signal.SIGKILL)),
    ]
    for ending, send in endings:
        recorded = run.recorded()
        assert len(recorded) == 5, ending  # devserver, postgres, api, content, worker
        everything = run.family(recorded)
        send()
        run.process.wait(timeout=120)
        run.wait_all_gone(everything)
        assert not _listening(run.api_port) and not _listening(run.content_port), ending
        printed = run.start()
        assert "left running" not in printed, (ending, printed)
    recorded = run.recorded()
    everything = run.family(recorded)
    os.killpg(run.process.pid, signal.SIGINT)
    run.process.wait(timeout=120)
    run.wait_all_gone(everything)
    assert "Stopped." in run.output.read_text()
    assert not (run.data_dir / "run" / "processes.json").exists()
