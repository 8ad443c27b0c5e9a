"""``python -m devserver``: start the whole server in the foreground until Ctrl-C or SIGTERM."""

import signal
import subprocess
import sys
import threading

from .config import RunConfig
from .processes import StartupError
from .server import PulpServer


def main() -> int:
    config = RunConfig.from_environ()
    server = PulpServer(config)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        print(f"Starting Pulp with data in {config.data_dir} ...", flush=True)
        server.start()
        print(
            f"Pulp is up.\n"
            f"  REST API:  {config.api_url}/pulp/api/v3/\n"
            f"  Registry:  {config.registry_host}  (content app, /v2/)\n"
            f"  Admin:     admin / {config.admin_password}\n"
            f"  Logs:      {server.datadir.logs}\n"
            f"Press Ctrl-C to stop.",
            flush=True,
        )
        while not stop.wait(1):
            server.supervisor.check_alive()
        return 0
    except StartupError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return 1
    finally:
        print("Stopping Pulp ...", flush=True)
        try:
            server.stop()
        except subprocess.CalledProcessError as error:
            print(f"error: stopping PostgreSQL failed: {error}", file=sys.stderr, flush=True)
        else:
            print("Stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
