"""Stopping what a run started: the services' process groups first, PostgreSQL last.

The one place that ends processes, used by the devserver on a normal stop, by the guardian when
the devserver died, and by a start that finds a previous run's leftovers. A service counts as
stopped only when no process of its group is left (gunicorn's workers can outlive their master),
and PostgreSQL is stopped only after every service using it has.
"""

import os
import signal
import time
from pathlib import Path

import psutil

from .database import stop_cluster
from .runrecord import ProcessRef, RunRecord

POSTGRES = "postgres"


def group_members(ref: ProcessRef) -> list[psutil.Process]:
    """The live processes of the group `ref` led, started no earlier than it (the pid may
    have been reused since; its members keep the group id after the leader is gone)."""
    members = []
    for process in psutil.process_iter(["pid", "create_time", "status"]):
        try:
            if (
                os.getpgid(process.pid) == ref.pid
                and process.info["create_time"] >= ref.started
                and process.info["status"] != psutil.STATUS_ZOMBIE
            ):
                members.append(process)
        except (ProcessLookupError, psutil.Error):
            continue
    return members


def _signal_all(processes: list[psutil.Process], signum: int) -> None:
    for process in processes:
        try:
            process.send_signal(signum)
        except psutil.Error:
            pass


def stop_groups(refs: list[ProcessRef], timeout: float = 30, reap=()) -> None:
    """SIGTERM every process of the groups `refs` led, wait until none is left, SIGKILL what
    is still there after `timeout` seconds and wait for that too.

    Args:
        refs: group leaders, as recorded.
        timeout: seconds the processes get to exit by themselves.
        reap: ``subprocess.Popen`` objects of our own children among them, to collect their
            exit status (a child that is not waited for stays a zombie).
    """
    _signal_all([p for ref in refs for p in group_members(ref)], signal.SIGTERM)
    deadline = time.monotonic() + timeout
    killed = False
    while True:
        for child in reap:
            child.poll()
        left = [p for ref in refs for p in group_members(ref)]
        if not left:
            return
        if time.monotonic() > deadline:
            if killed:
                return  # SIGKILL cannot be refused: what remains is already gone or unkillable
            _signal_all(left, signal.SIGKILL)
            killed = True
            deadline = time.monotonic() + 10
        time.sleep(0.1)


def stop_recorded(record: RunRecord, pgdata: Path, timeout: float = 30) -> list[str]:
    """Stop every process `record` lists that still runs, PostgreSQL last; clear the record.

    Returns:
        What was still running, as ``name (pid N)``, for the caller to report.
    """
    refs = record.refs()
    running = [ref for ref in refs if ref.live() or (ref.name != POSTGRES and group_members(ref))]
    stop_groups([ref for ref in running if ref.name != POSTGRES], timeout)
    postgres = next((ref for ref in running if ref.name == POSTGRES), None)
    if postgres is not None:
        stop_cluster(pgdata)
    record.clear()
    return [f"{ref.name} (pid {ref.pid})" for ref in running]
