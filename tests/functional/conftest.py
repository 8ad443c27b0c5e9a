"""Fixtures of the functional tests: one Pulp for the session, an API client, unique names."""

import itertools
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from .clients.fixtures import *  # noqa: F401,F403 -- the docker daemon and client fixtures
from .pulp import PulpAPI, PulpProcess
from .upstream.fixtures import *  # noqa: F401,F403 -- the upstream registry fixtures
from .users import *  # noqa: F401,F403 -- the user fixtures

_names = itertools.count()

# Seconds a pulled-through tag, and an upstream 404, stay fresh on the session's server.
PULL_THROUGH_TAG_TTL = 10
PULL_THROUGH_MISS_TTL = 3
# Seconds the session's server waits for a silent upstream (CONTAINER_UPSTREAM_READ_TIMEOUT,
# 30 by default): its tests of a dead upstream need not wait that long.
UPSTREAM_READ_TIMEOUT = 8
# Content app processes of the session's servers; a test counting per-process work uses it.
CONTENT_WORKERS = 2


def _session_server(**extra_env):
    root = Path(tempfile.mkdtemp(prefix="pulp-functional-"))
    extra_env.setdefault("PULP_CONTENT_WORKERS", str(CONTENT_WORKERS))
    server = PulpProcess(root / "data", extra_env=extra_env)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        if not os.environ.get("KEEP_PULP_DATA"):
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pulp_server():
    """The real api, content app and worker, with a PostgreSQL of their own, for the session,
    configured as `make run` is (registry token authentication on). Pull-through answers stay
    fresh for seconds instead of minutes, so its tests can see them expire; a silent upstream
    times out after UPSTREAM_READ_TIMEOUT seconds."""
    yield from _session_server(
        PULP_CONTAINER_PULL_THROUGH_TAG_TTL=str(PULL_THROUGH_TAG_TTL),
        PULP_CONTAINER_PULL_THROUGH_MISS_TTL=str(PULL_THROUGH_MISS_TTL),
        PULP_CONTAINER_UPSTREAM_READ_TIMEOUT=str(UPSTREAM_READ_TIMEOUT),
    )


@pytest.fixture(scope="session")
def pulp_server_basic():
    """A second server with ``TOKEN_AUTH_DISABLED = True``: the registry takes HTTP Basic."""
    yield from _session_server(PULP_TOKEN_AUTH_DISABLED="true")


@pytest.fixture(scope="session")
def api(pulp_server):
    return PulpAPI(pulp_server.api_url, auth=("admin", pulp_server.admin_password))


@pytest.fixture
def unique():
    """A function giving names that no other test uses."""
    return lambda prefix="t": f"{prefix}{os.getpid()}x{next(_names)}"
