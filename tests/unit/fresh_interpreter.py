"""Run a script in a fresh interpreter with pulpcore's settings, and read what it reports.

For unit tests of code that needs Django set up (pulpcore's settings, the plugin's models
loaded) but no server: the script runs in a new process, so the settings it loads and the
modules it patches do not leak into the rest of the unit suite. The script prints one line
``RESULT <json>`` with what it found; the test asserts on that.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# A Fernet key for pulpcore's encrypted fields; nothing is encrypted with it that matters.
_DB_KEY = b"aGVsbG8taGVsbG8taGVsbG8taGVsbG8taGVsbG8tMTI="
_RESULT = "RESULT "


def run_script(script, workdir, databases=None, timeout=300):
    """What `script` reported on its ``RESULT`` line, parsed from JSON.

    Args:
        script: Python source; it calls ``django.setup()`` itself if it needs the ORM.
        workdir: an empty directory: the working directory and pulpcore's
            ``WORKING_DIRECTORY``.
        databases: pulpcore's ``DATABASES`` setting, for a script that queries a database.
        timeout: seconds the script may take.

    Raises:
        AssertionError: the script failed or reported nothing, with its output's tail.
    """
    key = workdir / "db.key"
    key.write_bytes(_DB_KEY)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULP_")}
    env.update(
        DJANGO_SETTINGS_MODULE="pulpcore.app.settings",
        PULP_SECRET_KEY="unit-tests",
        PULP_DB_ENCRYPTION_KEY=str(key),
        PULP_WORKING_DIRECTORY=str(workdir),
        PYTHONPATH=str(REPO_ROOT),
    )
    if databases is not None:
        env["PULP_DATABASES"] = "@json " + json.dumps(databases)
    result = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith(_RESULT)]
    assert result.returncode == 0 and lines, result.stdout[-3000:] + result.stderr[-6000:]
    return json.loads(lines[-1][len(_RESULT) :])
