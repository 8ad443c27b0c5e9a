"""A private Docker daemon (Debian's ``docker.io``) and a docker client bound to it.

The daemon runs as root with the vfs storage driver, no bridge and no iptables rules, its own
containerd, and every path it writes (data, exec state, sockets, pidfile, config, trust key) in
one temporary directory, so it never meets a Docker daemon of the host. Tests only pull and
push, so no container ever runs. Only the processes started here are stopped, by their pids.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.functional.upstream.cli import run

# Debian's binaries, by absolute path: a static /usr/local/bin/docker may come first on PATH.
DOCKERD = Path("/usr/sbin/dockerd")
DOCKER = Path("/usr/bin/docker")
CONTAINERD = Path("/usr/bin/containerd")
STARTUP_TIMEOUT = 60
STOP_TIMEOUT = 30

# containerd 1.6 configuration: its own root, state and sockets; no CRI (Kubernetes) plugin;
# the "opt" plugin would otherwise create /opt/containerd.
_CONTAINERD_CONFIG = """\
version = 2
root = "{directory}/containerd/root"
state = "{directory}/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "{directory}/containerd.sock"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "{directory}/containerd/opt"
"""


class DockerUnavailable(RuntimeError):
    """Debian's docker.io is missing, or the daemon did not come up; says what to do."""


def _require(binary: Path) -> None:
    if not os.access(binary, os.X_OK):
        raise DockerUnavailable(
            f"{binary} is missing: install Debian's docker.io (scripts/system-deps.sh, as root)"
        )


def _stop(process: subprocess.Popen | None, timeout: float = STOP_TIMEOUT) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class DockerDaemon:
    """``dockerd`` and its ``containerd`` in a short temporary directory under /tmp.

    Unix socket paths must stay under 108 bytes, which pytest's deep temporary directories
    do not promise; hence a directory of our own, removed by ``stop()``.

    Args:
        insecure_registries: ``host:port`` of every registry the daemon may reach over plain
            HTTP (it must know them before it starts).
    """

    def __init__(self, insecure_registries: list[str]):
        self.insecure_registries = list(insecure_registries)
        self.directory: Path | None = None
        self._containerd: subprocess.Popen | None = None
        self._dockerd: subprocess.Popen | None = None

    @property
    def socket(self) -> Path:
        return self.directory / "docker.sock"

    @property
    def host(self) -> str:
        """The value of ``DOCKER_HOST`` / ``docker -H`` for this daemon."""
        return f"unix://{self.socket}"

    @property
    def log_path(self) -> Path:
        return self.directory / "dockerd.log"

    def start(self, timeout: float = STARTUP_TIMEOUT) -> "DockerDaemon":
        for binary in (DOCKERD, DOCKER, CONTAINERD):
            _require(binary)
        self.directory = Path(tempfile.mkdtemp(prefix="dk-", dir="/tmp"))
        try:
            self._start_containerd(timeout)
            self._start_dockerd(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop dockerd, then containerd (only the processes this object started)."""
        _stop(self._dockerd)
        _stop(self._containerd)
        if self.directory is not None and not os.environ.get("KEEP_PULP_DATA"):
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> "DockerDaemon":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def client(self, config_dir: Path) -> "DockerClient":
        """A docker CLI for this daemon whose logins are kept in ``config_dir``."""
        return DockerClient(self, config_dir)

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    # --- processes ----------------------------------------------------------------------------

    def _spawn(self, args: list[str], log_name: str) -> subprocess.Popen:
        with (self.directory / log_name).open("wb") as log:
            return subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )

    def _start_containerd(self, timeout: float) -> None:
        config = self.directory / "containerd.toml"
        config.write_text(_CONTAINERD_CONFIG.format(directory=self.directory))
        self._containerd = self._spawn([str(CONTAINERD), "--config", str(config)], "containerd.log")
        self._wait_for(self.directory / "containerd.sock", self._containerd, timeout)

    def _start_dockerd(self, timeout: float) -> None:
        # A config file of our own, so the host's /etc/docker/daemon.json never applies; the
        # trust key would otherwise be written to /etc/docker/key.json.
        config = self.directory / "daemon.json"
        config.write_text(json.dumps({"deprecated-key-path": str(self.directory / "key.json")}))
        args = [
            str(DOCKERD),
            "--config-file", str(config),
            "--containerd", str(self.directory / "containerd.sock"),
            "--storage-driver", "vfs",
            "--bridge=none", "--iptables=false", "--ip6tables=false",
            "--data-root", str(self.directory / "data"),
            "--exec-root", str(self.directory / "exec"),
            "--pidfile", str(self.directory / "dockerd.pid"),
            "--host", self.host,
        ]  # fmt: skip
        for registry in self.insecure_registries:
            args += ["--insecure-registry", registry]
        self._dockerd = self._spawn(args, "dockerd.log")
        self._wait_for(self.socket, self._dockerd, timeout, ready=self._answers)

    def _answers(self) -> bool:
        result = subprocess.run(
            [str(DOCKER), "-H", self.host, "version", "--format", "{{.Server.Version}}"],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=30,
        )
        return result.returncode == 0

    def _wait_for(self, path: Path, process: subprocess.Popen, timeout: float, ready=None):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise DockerUnavailable(
                    f"{process.args[0]} exited {process.returncode}:\n{self._logs()}"
                )
            if path.exists() and (ready is None or ready()):
                return
            time.sleep(0.2)
        raise DockerUnavailable(f"{process.args[0]} not ready in {timeout} s:\n{self._logs()}")

    def _logs(self) -> str:
        return "\n".join(
            path.read_text(errors="replace")[-3000:] for path in self.directory.glob("*.log")
        )


class DockerClient:
    """The ``docker`` CLI talking to one DockerDaemon, with a private ``DOCKER_CONFIG``."""

    def __init__(self, daemon: DockerDaemon, config_dir: Path):
        self.daemon = daemon
        self.config_dir = Path(config_dir)
        self.config_dir.mkdir(parents=True, exist_ok=True)

    def command(self, *args: str) -> list[str]:
        return [str(DOCKER), "--config", str(self.config_dir), "-H", self.daemon.host, *args]

    def __call__(self, *args: str, check: bool = True, input: str | None = None):
        return run(self.command(*args), check=check, input=input)

    def login(self, host: str, username: str, password: str, *, check: bool = True):
        """``docker login`` with the password on stdin (as docker recommends)."""
        return self("login", "-u", username, "--password-stdin", host, check=check, input=password)

    def logout(self, host: str):
        return self("logout", host)

    def pull(self, reference: str, *, check: bool = True):
        return self("pull", "--quiet", reference, check=check)

    def push(self, reference: str, *, check: bool = True):
        return self("push", reference, check=check)

    def tag(self, source: str, target: str):
        return self("tag", source, target)

    def remove_image(self, *references: str):
        """``docker image rm --force``; absent images are fine."""
        return self("image", "rm", "--force", *references, check=False)

    def image_inspect(self, reference: str) -> dict:
        return json.loads(self("image", "inspect", reference).stdout)[0]

    def repo_digests(self, reference: str) -> list[str]:
        """``RepoDigests`` of a local image: ``name@sha256:...`` per registry name."""
        return self.image_inspect(reference)["RepoDigests"]
