"""The devserver's process bookkeeping: the run record, port holders, stop signals."""

import os
import signal
import socket
import subprocess
import sys

import pytest

from devserver.processes import port_holder
from devserver.runrecord import ProcessRef, RunRecord
from devserver.signals import STOP_SIGNALS, StopSignals
from devserver.stopping import group_members, stop_groups


def test_run_record_round_trip(tmp_path):
    record = RunRecord(tmp_path / "processes.json")
    assert record.refs() == []
    me = ProcessRef.of("devserver", os.getpid())
    record.add(me)
    record.add(ProcessRef("api", 1234, 5.0))
    record.add(ProcessRef("api", 4321, 6.0))
    assert record.refs() == [me, ProcessRef("api", 4321, 6.0)]
    assert record.find("api").pid == 4321
    record.clear()
    assert record.refs() == []


def test_a_reused_pid_is_not_the_recorded_process():
    me = ProcessRef.of("devserver", os.getpid())
    assert me.live() is not None
    assert ProcessRef("devserver", os.getpid(), me.started - 100).live() is None


def test_port_holder_names_the_listening_process():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert port_holder(port).startswith(f"pid {os.getpid()} (")
    assert port_holder(port) is None


def test_stop_groups_ends_a_group_whose_members_ignore_sigterm():
    # A leader and a child that both ignore SIGTERM: stop_groups must SIGKILL them.
    script = (
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "subprocess.Popen([sys.executable, '-c', "
        "'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)'])\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    leader = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, start_new_session=True
    )
    assert leader.stdout.readline() == b"ready\n"
    ref = ProcessRef.of("stubborn", leader.pid)
    assert len(group_members(ref)) == 2
    stop_groups([ref], timeout=1, reap=[leader])
    assert group_members(ref) == []
    assert leader.wait() == -signal.SIGKILL


@pytest.fixture
def restored_signals():
    saved = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    saved_fd = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(saved_fd)
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)
    signal.set_wakeup_fd(saved_fd)


@pytest.mark.parametrize("signum", STOP_SIGNALS)
def test_a_stop_signal_wakes_the_wait(restored_signals, signum):
    signals = StopSignals()
    signals.starting = False
    assert signals.wait(0) is False
    os.kill(os.getpid(), signum)
    assert signals.wait(5) is True
    assert signals.received == signum
