"""The run record: which processes a run started, so that whoever finds them later can stop them.

``run/processes.json`` in the data directory lists each process by its pid and its start time: a
pid alone may have been given to an unrelated process since. The devserver adds each process as
it starts it and removes the record once every one of them has stopped; the guardian (after the
devserver died) and the next start (after both died) read it.
"""

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil


@dataclass(frozen=True)
class ProcessRef:
    """One process a run started: what it is, its pid, and when it started."""

    name: str
    pid: int
    started: float

    @classmethod
    def of(cls, name: str, pid: int) -> "ProcessRef":
        return cls(name, pid, psutil.Process(pid).create_time())

    def live(self) -> psutil.Process | None:
        """The process, while it runs and is still the one recorded; else None."""
        try:
            process = psutil.Process(self.pid)
            if process.create_time() != self.started:
                return None
            if process.status() == psutil.STATUS_ZOMBIE:
                return None
            return process
        except psutil.Error:
            return None


class RunRecord:
    """The record file of one data directory."""

    def __init__(self, path: Path):
        self.path = path

    def refs(self) -> list[ProcessRef]:
        try:
            entries = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            return []
        return [ProcessRef(**entry) for entry in entries]

    def find(self, name: str) -> ProcessRef | None:
        return next((ref for ref in self.refs() if ref.name == name), None)

    def add(self, ref: ProcessRef) -> None:
        entries = [r for r in self.refs() if r.name != ref.name] + [ref]
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps([asdict(entry) for entry in entries]))
        os.replace(partial, self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
