"""pulp-cli's container commands work against this server."""

import json
import subprocess
import sys
from pathlib import Path

PULP = str(Path(sys.executable).parent / "pulp")


def run_cli(pulp_server, *args: str) -> str:
    result = subprocess.run(
        [PULP, "--base-url", pulp_server.api_url, "--username", "admin",
         "--password", pulp_server.admin_password, "container", *args],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, f"pulp container {' '.join(args)}:\n{result.stderr}"
    return result.stdout


def test_repository_remote_distribution_commands(pulp_server, unique):
    repo, remote, dist = unique("clirepo"), unique("cliremote"), unique("clidist")

    created = json.loads(run_cli(pulp_server, "repository", "create", "--name", repo))
    assert created["name"] == repo
    assert repo in [r["name"] for r in json.loads(run_cli(pulp_server, "repository", "list"))]
    assert json.loads(run_cli(pulp_server, "repository", "show", "--name", repo))["name"] == repo

    run_cli(pulp_server, "remote", "create", "--name", remote, "--url", "http://127.0.0.1:5000",
            "--upstream-name", "library/busybox")
    remotes = json.loads(run_cli(pulp_server, "remote", "list", "--name", remote))
    assert remotes[0]["upstream_name"] == "library/busybox"

    run_cli(pulp_server, "distribution", "create", "--name", dist, "--base-path", dist,
            "--repository", repo)
    shown = json.loads(run_cli(pulp_server, "distribution", "show", "--name", dist))
    assert shown["registry_path"] == f"{pulp_server.registry_host}/{dist}"
    assert dist in [d["name"] for d in json.loads(run_cli(pulp_server, "distribution", "list"))]

    run_cli(pulp_server, "distribution", "destroy", "--name", dist)
    run_cli(pulp_server, "repository", "destroy", "--name", repo)
    assert repo not in [r["name"] for r in json.loads(run_cli(pulp_server, "repository", "list"))]
