"""Benchmark: sync from a local docker-registry with Pulp, against skopeo copying the same images.

Run from the repository root::

    .venv/bin/python bench/sync.py [--tags 40] [--big-mib 200] [--checksums sha256] [--keep]

It starts a docker-registry (the functional tests' upstream harness) and a Pulp (the
functional tests' PulpProcess), both on 127.0.0.1 and in a temporary directory, then:

1. pushes two upstream repositories, ``bench/immediate`` and ``bench/on-demand``, each with
   ``--tags`` small distinct images (one 64 KiB layer each) plus a tag ``big`` whose image has
   ``--big-mib`` MiB of layers; the content of the two differs, so every sync starts cold;
2. ``skopeo sync --all``s ``bench/immediate`` (every tag, every image) to a local ``dir:`` tree;
3. syncs ``bench/immediate`` into a new Pulp repository with the immediate policy;
4. syncs ``bench/on-demand`` into a new Pulp repository with the on_demand policy;
5. prints the times and the ratio Pulp immediate / skopeo.

"wall" runs from the sync request to the task's end as a client polling every 0.2 s sees it;
"task" is the task's own run time (started_at to finished_at). The client logs in once and
sends a session cookie; with ``--basic`` it sends Basic credentials with every request, as
before, and each costs a password check (PBKDF2, ~0.5 s of CPU on the 2-core machine), which
competes with the sync for the cores.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

from options import add_checksums_option, checksums_env

from tests.functional.pulp import PulpAPI, PulpProcess
from tests.functional.upstream import (
    MIB,
    UpstreamRegistry,
    push_docker_image,
    push_tagged_images,
)

REMOTES = "remotes/container/container/"
SMALL_LAYER = 64 * 1024
BIG_LAYERS = 4


def timed(function, *args, **kwargs):
    started = time.monotonic()
    result = function(*args, **kwargs)
    return time.monotonic() - started, result


def push_repository(registry, name, tags, big_mib):
    """Push `tags` small images and one big one to `name`; returns bytes of the big layers."""
    client = registry.client()
    push_tagged_images(
        client, name, [f"t{index:03d}" for index in range(tags)], layer_size=SMALL_LAYER
    )
    big = push_docker_image(
        client,
        name,
        ["big"],
        layers=BIG_LAYERS,
        layer_size=big_mib * MIB // BIG_LAYERS,
        files_per_layer=1,
    )
    return sum(layer.size for layer in big.layers)


def skopeo_sync(registry, name, destination):
    subprocess.run(
        [
            "skopeo", "sync", "--all", "--src", "docker", "--dest", "dir",
            "--src-tls-verify=false", "--scoped", f"{registry.host}/{name}", str(destination),
        ],
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def task_seconds(task):
    started = datetime.fromisoformat(task["started_at"])
    return (datetime.fromisoformat(task["finished_at"]) - started).total_seconds()


def session_client(api):
    """A PulpAPI on `api`'s server that sends a session cookie instead of Basic credentials.

    Django checks a Basic password on every request (PBKDF2: ~0.5 s of CPU each here), so a
    client polling every 0.2 s with Basic keeps one of the two cores busy while it waits for
    the sync. Logging in once costs one check.
    """
    api.ok(api.post("login/"))
    client = PulpAPI(api.base_url, auth=None)
    client.session.cookies.update(api.session.cookies)
    client.session.headers["X-CSRFToken"] = api.session.cookies["csrftoken"]
    return client


def pulp_sync(api, registry, name, policy, client=None):
    """Sync `name` into a new Pulp repository, asking and polling with `client` (default
    `api`); returns (wall seconds, task seconds)."""
    label = f"{name.replace('/', '-')}-{time.monotonic_ns()}"
    body = {"name": label, "url": registry.url, "upstream_name": name, "policy": policy}
    remote = api.ok(api.post(REMOTES, body))
    repository = api.create_repository(label, remote=remote["pulp_href"])
    client = client or api
    wall, task = timed(client.run, "POST", f"{repository['pulp_href']}sync/", {})
    return wall, task_seconds(task)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tags", type=int, default=40, help="small tagged images (40)")
    parser.add_argument("--big-mib", type=int, default=200, help="MiB of layers of 'big' (200)")
    add_checksums_option(parser)
    parser.add_argument(
        "--basic",
        action="store_true",
        help="ask for the syncs and poll them with Basic credentials (a password check each)",
    )
    parser.add_argument("--keep", action="store_true", help="keep and print the temp directory")
    options = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    extra_env = checksums_env(options.checksums)
    registry = UpstreamRegistry(workdir=root / "registry")
    pulp = PulpProcess(root / "pulp", extra_env=extra_env)
    try:
        registry.start()
        print(f"pushing 2 x ({options.tags} small tags + {options.big_mib} MiB) ...", flush=True)
        started = time.monotonic()
        big_bytes = push_repository(registry, "bench/immediate", options.tags, options.big_mib)
        push_repository(registry, "bench/on-demand", options.tags, options.big_mib)
        pushed = time.monotonic() - started
        print(f"  pushed in {pushed:.1f} s; starting Pulp ...", flush=True)
        pulp.start()
        api = PulpAPI(pulp.api_url, auth=("admin", pulp.admin_password))
        client = api if options.basic else session_client(api)

        skopeo, _ = timed(skopeo_sync, registry, "bench/immediate", root / "skopeo")
        immediate_wall, immediate_task = pulp_sync(
            api, registry, "bench/immediate", "immediate", client
        )
        on_demand_wall, on_demand_task = pulp_sync(
            api, registry, "bench/on-demand", "on_demand", client
        )

        print()
        print(
            f"upstream: {options.tags} small tags + 1 tag with {big_bytes / MIB:.0f} MiB "
            f"of layers; checksums: {options.checksums or 'pulpcore default'}; "
            f"polling with {'Basic' if options.basic else 'a session cookie'}"
        )
        print(f"{'':<28} {'wall s':>8} {'task s':>8}")
        print(f"{'skopeo sync --all (dir:)':<28} {skopeo:8.2f}")
        print(f"{'pulp sync, immediate':<28} {immediate_wall:8.2f} {immediate_task:8.2f}")
        print(f"{'pulp sync, on_demand':<28} {on_demand_wall:8.2f} {on_demand_task:8.2f}")
        print()
        print(
            f"immediate / skopeo: {immediate_wall / skopeo:.2f}x wall, "
            f"{immediate_task / skopeo:.2f}x task"
        )
    finally:
        pulp.stop()
        registry.stop()
        if options.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
