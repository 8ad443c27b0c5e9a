"""Fixtures of the functional tests: one Pulp for the session, an API client, unique names."""

import itertools
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from .pulp import PulpAPI, PulpProcess
from .upstream.fixtures import *  # noqa: F401,F403 -- the upstream registry fixtures

_names = itertools.count()


@pytest.fixture(scope="session")
def pulp_server():
    """The real api, content app and worker, with a PostgreSQL of their own, for the session."""
    root = Path(tempfile.mkdtemp(prefix="pulp-functional-"))
    server = PulpProcess(root / "data")
    server.start()
    try:
        yield server
    finally:
        server.stop()
        if not os.environ.get("KEEP_PULP_DATA"):
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def api(pulp_server):
    return PulpAPI(pulp_server.api_url, auth=("admin", pulp_server.admin_password))


@pytest.fixture
def unique():
    """A function giving names that no other test uses."""
    return lambda prefix="t": f"{prefix}{os.getpid()}x{next(_names)}"
