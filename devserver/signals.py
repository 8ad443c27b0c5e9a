"""How a run learns it should stop: SIGINT, SIGTERM, SIGHUP, or its parent's death.

A signal handler runs in the main thread between two bytecodes, possibly while that thread holds
a lock (a ``threading.Event``'s, for one); a handler that takes the same lock never returns. So
the handlers here only note the signal, and the main loop sleeps in ``select`` on a pipe that
Python's own C-level handler writes the signal number to (``signal.set_wakeup_fd``).
"""

import ctypes
import os
import select
import signal

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_PR_SET_PDEATHSIG = 1


class StopRequested(Exception):
    """A stop signal arrived while the server was still starting."""


class StopSignals:
    """Catches the stop signals; `wait` tells when one came."""

    def __init__(self):
        self.received = None
        self.starting = True
        self._wakeup, wakeup_write = os.pipe()
        os.set_blocking(self._wakeup, False)
        os.set_blocking(wakeup_write, False)
        signal.set_wakeup_fd(wakeup_write, warn_on_full_buffer=False)
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._note)

    def _note(self, signum, frame):
        first = self.received is None
        if first:
            self.received = signum
        if first and self.starting:
            raise StopRequested(signal.Signals(signum).name)

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds or until a stop signal; True once one has come."""
        if self.received is None:
            select.select([self._wakeup], [], [], timeout)
            try:
                os.read(self._wakeup, 512)
            except BlockingIOError:
                pass
        return self.received is not None


def stop_when_orphaned() -> None:
    """Ask the kernel for a SIGTERM when our parent (make, a shell, a test) dies, even by
    SIGKILL."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return  # not Linux: the guardian still stops the children when we die
