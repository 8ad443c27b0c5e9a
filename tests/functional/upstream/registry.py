"""Run Debian's ``docker-registry`` (CNCF distribution 2.8) as a real upstream for tests.

The registry listens on a free port on 127.0.0.1, stores blobs in a temporary directory, and
writes its access log (combined log format, on its stdout) to a file so tests can count the
requests a sync or a pull-through made upstream.
"""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import requests
import yaml

from tests.functional.registry_client import RegistryClient
from tests.functional.upstream.token_server import TokenServer

try:
    import bcrypt
except ImportError:  # fall back to the C library's bcrypt ("$2b$", libxcrypt) via stdlib crypt
    bcrypt = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt

BINARY = "/usr/bin/docker-registry"
AUTH_MODES = (None, "basic", "token")
DEFAULT_USERS = {"upstream-user": "upstream-secret"}
# bcrypt cost 4: the registry checks the hash on every request, so keep it cheap.
_BCRYPT_COST = 4
_ACCESS_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[0-9.]+" (?P<status>\d{3}) ')


class UpstreamRegistryError(RuntimeError):
    """The registry process could not be started or stopped."""


@dataclass(frozen=True)
class AccessLogEntry:
    method: str
    path: str
    status: int


def htpasswd_entry(username: str, password: str) -> str:
    """One ``user:bcrypt-hash`` line as docker-registry's htpasswd auth accepts it."""
    if bcrypt is not None:
        hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=_BCRYPT_COST)).decode()
    else:
        hashed = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2**_BCRYPT_COST))
    return f"{username}:{hashed}"


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class UpstreamRegistry:
    """A docker-registry process with its own config, storage, logs and optional auth.

    Args:
        auth: None (anonymous read/write), ``"basic"`` (htpasswd) or ``"token"`` (bearer tokens
            from a TokenServer started alongside).
        users: accepted credentials, name -> password; defaults to ``DEFAULT_USERS``.
        anonymous_pull: token mode only: anonymous token requests are granted ``pull``.
        token_ttl: token mode only: token lifetime in seconds.
        workdir: where config, storage and logs go; a temporary directory (removed by
            ``close()``) when not given.
        startup_timeout: seconds to wait for ``GET /v2/`` to answer.
    """

    def __init__(
        self,
        *,
        auth: str | None = None,
        users: dict[str, str] | None = None,
        anonymous_pull: bool = False,
        token_ttl: int = 300,
        workdir: Path | None = None,
        startup_timeout: float = 20.0,
    ):
        if auth not in AUTH_MODES:
            raise ValueError(f"auth must be one of {AUTH_MODES}, not {auth!r}")
        self.auth = auth
        self.users = dict(users or DEFAULT_USERS) if auth else {}
        self.startup_timeout = startup_timeout
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="upstream-registry-"))
        self.storage_dir = self.workdir / "storage"
        self.config_path = self.workdir / "config.yml"
        self.log_path = self.workdir / "registry.log"
        self.access_log_path = self.workdir / "access.log"
        self.token_server = (
            TokenServer(self.users, anonymous_pull=anonymous_pull, ttl=token_ttl)
            if auth == "token"
            else None
        )
        self.port: int | None = None
        self._process: subprocess.Popen | None = None

    def __repr__(self) -> str:
        return f"UpstreamRegistry(url={self.url if self.port else None!r}, auth={self.auth!r})"

    # --- addresses -------------------------------------------------------------------------

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``, the registry part of an image reference."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def credentials(self) -> tuple[str, str] | None:
        """The first configured ``(username, password)``, or None without auth."""
        return next(iter(self.users.items()), None)

    def client(self, username: str | None = None, password: str | None = None) -> RegistryClient:
        """A RegistryClient for this registry, with the default credentials unless given."""
        if username is None and self.credentials:
            username, password = self.credentials
        return RegistryClient(self.url, (username, password) if username is not None else None)

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> "UpstreamRegistry":
        """Start the process (keeping the port and storage of an earlier start) and wait."""
        if self.running:
            return self
        self.storage_dir.mkdir(parents=True, exist_ok=True)
        if self.token_server is not None:
            self.token_server.start()
        attempts = 1 if self.port else 3  # a fresh port may be taken between probe and bind
        for attempt in range(attempts):
            self.port = self.port or free_port()
            self._write_config()
            self._spawn()
            try:
                self._wait_ready()
                return self
            except UpstreamRegistryError:
                self._terminate()
                if attempt + 1 == attempts or "address already in use" not in self.log_tail(5):
                    self.stop()
                    raise
                self.port = None

    def stop(self) -> None:
        """Terminate the registry process (by its pid) and the token server; keep the files."""
        self._terminate()
        if self.token_server is not None:
            self.token_server.stop()

    def close(self) -> None:
        """Stop, then remove the working directory if this object created it."""
        self.stop()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "UpstreamRegistry":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _spawn(self) -> None:
        env = {key: value for key, value in os.environ.items() if not key.startswith("REGISTRY_")}
        with open(self.log_path, "ab") as log, open(self.access_log_path, "ab") as access:
            self._process = subprocess.Popen(
                [BINARY, "serve", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=access,
                stderr=log,
                cwd=self.workdir,
                env=env,
            )

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise UpstreamRegistryError(
                    f"docker-registry exited with {self._process.returncode}:\n{self.log_tail()}"
                )
            try:
                response = requests.get(f"{self.url}/v2/", timeout=1)
                if response.status_code in (200, 401):
                    return
            except requests.RequestException:  # not listening yet, or someone else is
                pass
            time.sleep(0.05)
        raise UpstreamRegistryError(
            f"docker-registry did not answer on {self.url} within {self.startup_timeout}s:\n"
            f"{self.log_tail()}"
        )

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the registry's own log (stderr)."""
        if not self.log_path.exists():
            return "(no registry log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    # --- configuration ---------------------------------------------------------------------

    def config(self) -> dict:
        """The registry configuration for the current port and auth mode."""
        config = {
            "version": 0.1,
            "log": {
                "level": "info",
                "formatter": "text",
                "accesslog": {"disabled": False},
                "fields": {"service": "upstream-registry"},
            },
            "storage": {
                "filesystem": {"rootdirectory": str(self.storage_dir)},
                "delete": {"enabled": True},
                "maintenance": {"uploadpurging": {"enabled": False}},
            },
            "http": {
                "addr": self.host,
                "secret": "upstream-registry-test-secret",
                "headers": {"X-Content-Type-Options": ["nosniff"]},
            },
            "health": {"storagedriver": {"enabled": False}},
        }
        if self.auth == "basic":
            htpasswd = self.workdir / "htpasswd"
            htpasswd.write_text(
                "".join(htpasswd_entry(user, pw) + "\n" for user, pw in self.users.items())
            )
            config["auth"] = {"htpasswd": {"realm": "upstream-registry", "path": str(htpasswd)}}
        elif self.auth == "token":
            bundle = self.token_server.write_cert(self.workdir / "token-cert.pem")
            config["auth"] = {
                "token": {
                    "realm": self.token_server.realm,
                    "service": self.token_server.service,
                    "issuer": self.token_server.issuer,
                    "rootcertbundle": str(bundle),
                }
            }
        return config

    def _write_config(self) -> None:
        self.config_path.write_text(yaml.safe_dump(self.config(), sort_keys=False))

    # --- access log ------------------------------------------------------------------------

    def access_log(self) -> list[AccessLogEntry]:
        """Every request logged so far (the readiness probes included), oldest first."""
        entries = []
        text = (
            self.access_log_path.read_text(errors="replace")
            if self.access_log_path.exists()
            else ""
        )
        for line in text.splitlines():
            match = _ACCESS_LINE.search(line)
            if match:
                entries.append(AccessLogEntry(match["method"], match["path"], int(match["status"])))
        return entries

    def request_count(
        self, path_substring: str, method: str | None = None, status: int | None = None
    ) -> int:
        """How many logged requests have ``path_substring`` in their path (and method/status).

        The registry writes a log line as its handler returns, which can be a moment after the
        client has read the body, so this waits until the log stops growing (at most ~1 s).
        """
        self._settle_access_log()
        return sum(
            1
            for entry in self.access_log()
            if path_substring in entry.path
            and (method is None or entry.method == method.upper())
            and (status is None or entry.status == status)
        )

    def _settle_access_log(self, quiet: float = 0.05, limit: float = 1.0) -> None:
        deadline = time.monotonic() + limit
        size = -1
        while time.monotonic() < deadline:
            current = self.access_log_path.stat().st_size if self.access_log_path.exists() else 0
            if current == size:
                return
            size = current
            time.sleep(quiet)

    # --- storage ---------------------------------------------------------------------------

    def blob_path(self, digest: str) -> Path:
        """The file holding a blob's bytes in the filesystem storage driver's layout."""
        algorithm, _, hexdigest = digest.partition(":")
        return (
            self.storage_dir
            / "docker/registry/v2/blobs"
            / algorithm
            / hexdigest[:2]
            / hexdigest
            / "data"
        )

    def corrupt_blob(self, digest: str, *, truncate: bool = False) -> Path:
        """Make the registry serve wrong bytes for ``digest`` ("upstream lies" tests).

        By default the first bytes (up to 4 KiB) are inverted, keeping the size, so only a
        digest check notices. With ``truncate`` the file is cut to half its size.
        """
        path = self.blob_path(digest)
        if not path.exists():
            raise FileNotFoundError(f"blob {digest} is not in {self.storage_dir}")
        with open(path, "r+b") as blob:
            if truncate:
                blob.truncate(path.stat().st_size // 2)
            else:
                head = blob.read(4096)
                blob.seek(0)
                blob.write(bytes(byte ^ 0xFF for byte in head))
        return path
