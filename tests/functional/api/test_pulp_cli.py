"""pulp-cli's container commands work against this server."""

import json
import subprocess
import sys
from pathlib import Path

from tests.functional.api.test_pull import copied_manifest_digest
from tests.functional.upstream import push_docker_image, skopeo_copy

PULP = str(Path(sys.executable).parent / "pulp")


def run_cli(pulp_server, *args: str) -> str:
    result = subprocess.run(
        [
            PULP,
            "--base-url",
            pulp_server.api_url,
            "--username",
            "admin",
            "--password",
            pulp_server.admin_password,
            "container",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"pulp container {' '.join(args)}:\n{result.stderr}"
    return result.stdout


def test_repository_remote_distribution_commands(pulp_server, unique):
    repo, remote, dist = unique("clirepo"), unique("cliremote"), unique("clidist")

    created = json.loads(run_cli(pulp_server, "repository", "create", "--name", repo))
    assert created["name"] == repo
    assert repo in [r["name"] for r in json.loads(run_cli(pulp_server, "repository", "list"))]
    assert json.loads(run_cli(pulp_server, "repository", "show", "--name", repo))["name"] == repo

    run_cli(
        pulp_server,
        "remote",
        "create",
        "--name",
        remote,
        "--url",
        "http://127.0.0.1:5000",
        "--upstream-name",
        "library/busybox",
    )
    remotes = json.loads(run_cli(pulp_server, "remote", "list", "--name", remote))
    assert remotes[0]["upstream_name"] == "library/busybox"

    run_cli(
        pulp_server,
        "distribution",
        "create",
        "--name",
        dist,
        "--base-path",
        dist,
        "--repository",
        repo,
    )
    shown = json.loads(run_cli(pulp_server, "distribution", "show", "--name", dist))
    assert shown["registry_path"] == f"{pulp_server.registry_host}/{dist}"
    assert dist in [d["name"] for d in json.loads(run_cli(pulp_server, "distribution", "list"))]

    run_cli(pulp_server, "distribution", "destroy", "--name", dist)
    run_cli(pulp_server, "repository", "destroy", "--name", repo)
    assert repo not in [r["name"] for r in json.loads(run_cli(pulp_server, "repository", "list"))]


def test_sync_distribute_update_and_pull_with_pulp_cli(
    pulp_server, upstream_registry, unique, tmp_path
):
    """The daily loop as pulp-cli drives it: a remote, a sync, a distribution pinned to version
    1 and moved, and skopeo pulling what each serves."""
    upstream_name = f"cli/{unique('img')}"
    client = upstream_registry.client()
    first = push_docker_image(client, upstream_name, ["latest"], layer_size=16 * 1024)
    remote, repo, dist = unique("cli-remote"), unique("cli-repo"), unique("cli-dist")
    run_cli(
        pulp_server,
        "remote",
        "create",
        "--name",
        remote,
        "--url",
        upstream_registry.url,
        "--upstream-name",
        upstream_name,
    )
    run_cli(pulp_server, "repository", "create", "--name", repo, "--remote", remote)
    run_cli(pulp_server, "repository", "sync", "--name", repo)
    run_cli(
        pulp_server,
        "distribution",
        "create",
        "--name",
        dist,
        "--base-path",
        f"cli/{dist}",
        "--repository",
        repo,
    )

    second = push_docker_image(client, upstream_name, ["latest"], layer_size=24 * 1024)
    run_cli(pulp_server, "repository", "sync", "--name", repo)
    run_cli(
        pulp_server,
        "distribution",
        "update",
        "--name",
        dist,
        "--repository",
        repo,
        "--version",
        "1",
        "--base-path",
        f"cli/{dist}-pinned",
    )
    shown = json.loads(run_cli(pulp_server, "distribution", "show", "--name", dist))
    assert shown["base_path"] == f"cli/{dist}-pinned"
    assert shown["repository_version"].endswith("/versions/1/")

    pinned = f"{pulp_server.registry_host}/cli/{dist}-pinned:latest"
    skopeo_copy(pinned, f"dir:{tmp_path / 'pinned'}")
    assert copied_manifest_digest(tmp_path / "pinned") == first.digest

    run_cli(pulp_server, "distribution", "update", "--name", dist, "--repository", repo)
    skopeo_copy(pinned, f"dir:{tmp_path / 'latest'}")
    assert copied_manifest_digest(tmp_path / "latest") == second.digest
