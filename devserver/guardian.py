"""``python -m devserver.guardian DATA_DIR``: stops a run's processes if its devserver dies.

The devserver starts the guardian first, in a session of its own (so closing the terminal does
not end it), with a pipe as its standard input. The guardian waits for the end of that input:
the devserver closes the pipe after a normal stop, having cleared its run record, and the kernel
closes it when the devserver dies in any way, SIGKILL included. Whatever the run record still
lists then is stopped, PostgreSQL last.
"""

import sys
from pathlib import Path

from .datadir import DataDir
from .runrecord import RunRecord
from .stopping import stop_recorded


def main(data_dir: str) -> int:
    datadir = DataDir(Path(data_dir))
    while sys.stdin.buffer.read(4096):
        pass
    stopped = stop_recorded(RunRecord(datadir.record), datadir.postgres)
    if stopped:
        with (datadir.logs / "guardian.log").open("a") as log:
            print(f"The devserver ended without stopping; stopped {', '.join(stopped)}.", file=log)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
