"""``python -m devserver``: start the whole server in the foreground until it is asked to stop.

Ctrl-C, SIGTERM, SIGHUP (the terminal closed) and the death of the parent process all stop it.
"""

import subprocess
import sys

from .config import RunConfig
from .processes import StartupError
from .server import PulpServer
from .signals import StopRequested, StopSignals, stop_when_orphaned


def say(text: str, error: bool = False) -> None:
    """Print, unless the terminal is gone (after SIGHUP): stopping must go on regardless."""
    try:
        print(text, file=sys.stderr if error else sys.stdout, flush=True)
    except OSError:
        pass


def main() -> int:
    signals = StopSignals()
    stop_when_orphaned()
    config = RunConfig.from_environ()
    server = PulpServer(config, say=say)
    try:
        say(f"Starting Pulp with data in {config.data_dir} ...")
        server.start()
        signals.starting = False
        if signals.received is not None:
            return 0
        say(
            f"Pulp is up.\n"
            f"  REST API:  {config.api_url}/pulp/api/v3/\n"
            f"  Registry:  {config.registry_host}  (content app, /v2/)\n"
            f"  Admin:     admin / {config.admin_password}\n"
            f"  Logs:      {server.datadir.logs}\n"
            f"Press Ctrl-C to stop."
        )
        while not signals.wait(1):
            server.supervisor.check_alive()
        return 0
    except StopRequested:
        return 0
    except StartupError as error:
        say(f"error: {error}", error=True)
        return 1
    finally:
        signals.starting = False
        say("Stopping Pulp ...")
        try:
            server.stop()
        except subprocess.CalledProcessError as error:
            say(f"error: stopping PostgreSQL failed: {error}", error=True)
        else:
            say("Stopped.")


if __name__ == "__main__":
    sys.exit(main())
