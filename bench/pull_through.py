"""Benchmark: pulls through this plugin's pull-through cache, against Debian's docker-registry.

Prints figures; asserts nothing. One run:

1. starts docker-registry (CNCF distribution 2.8, anonymous) on loopback and a fresh Pulp
   (tests/functional/pulp.py's PulpProcess, `make run` defaults: token auth, 2 content app
   workers) unless --api/--registry name a running one;
2. creates a public pull-through distribution of that registry;
3. measures with ``skopeo copy docker://... dir:``:
   * the first pull through the cache of the run (a fresh Pulp warms up on it), apart;
   * cold: an image (2 x 50 MiB layers) pulled through the cache for the first time, against
     the same image pulled straight from docker-registry (fresh images each round);
   * warm: the same image pulled through the cache again, against a pull from a distribution
     of a repository synced (immediate) from docker-registry;
   * 20 concurrent cold pulls of one ~100 MiB image through the cache: wall time, errors
     (exit codes and digests), and upstream GETs per blob from docker-registry's access log;
     and, for scale, 20 concurrent pulls of another such image straight from docker-registry;
   * the time to the first byte of a cold 50 MiB blob through the cache (raw HTTP), against
     docker-registry's.

Before every measurement Pulp is let settle (``settle``): work the cache leaves for when no
blob streams (checksums, the version task) is done before the next pull starts, in whichever
column that pull counts.

Usage: .venv/bin/python bench/pull_through.py [--rounds 5] [--checksums sha256]
       .venv/bin/python bench/pull_through.py --api URL --registry HOST:PORT
"""

import argparse
import concurrent.futures
import hashlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

from options import (
    add_checksums_option,
    add_server_options,
    checksums_env,
    start_fresh_pulp,
)

from tests.functional.pulp import PulpAPI
from tests.functional.registry_client import Challenge, RegistryClient, bearer
from tests.functional.upstream import MIB, UpstreamRegistry, push_docker_image

LAYER = 50 * MIB
# Seconds to wait after each pull, before and after Pulp's tasks are done: work the cache does
# once clients are served (checksums, the version task) must not overlap the next measurement.
SETTLE = 1.0


def copy_seconds(reference, workdir):
    """Wall time of ``skopeo copy docker://reference dir:...``, and the copy's directory."""
    target = Path(tempfile.mkdtemp(dir=workdir, prefix="copy-"))
    started = time.perf_counter()
    subprocess.run(
        ["skopeo", "copy", "--src-tls-verify=false", f"docker://{reference}", f"dir:{target}"],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    return time.perf_counter() - started, target


def settle(api):
    """Wait until Pulp is done with the last pull: SETTLE seconds, its tasks, SETTLE again."""
    time.sleep(SETTLE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        pending = api.ok(api.get("tasks/", params={"state__in": "waiting,running", "limit": 1}))
        if pending["count"] == 0:
            break
        time.sleep(0.2)
    time.sleep(SETTLE)


def copied_correctly(target, image):
    if "sha256:" + hashlib.sha256((target / "manifest.json").read_bytes()).hexdigest() != (
        image.digest
    ):
        return False
    return all(
        "sha256:" + hashlib.sha256((target / b.digest.split(":")[1]).read_bytes()).hexdigest()
        == b.digest
        for b in image.blobs
    )


def push_image(upstream, name, workdir):
    return push_docker_image(
        upstream.client(), name, ["latest"], layers=2, layer_size=LAYER, files_per_layer=1,
        workdir=workdir, seed=uuid.uuid4().hex,
    )  # fmt: skip


def set_up(api, upstream, synced_name):
    """A public pull-through distribution of `upstream`, and a synced distribution of
    `synced_name`; returns (pull-through prefix, synced base path)."""
    suffix = uuid.uuid4().hex[:8]
    remote = api.ok(
        api.post(
            "remotes/container/pull-through/", {"name": f"bench-{suffix}", "url": upstream.url}
        )
    )
    task = api.run(
        "POST",
        "distributions/container/pull-through/",
        {"name": f"bench-{suffix}", "base_path": f"cache-{suffix}", "remote": remote["pulp_href"]},
    )
    prefix = api.ok(api.get(task["created_resources"][0]))["base_path"]
    sync_remote = api.ok(
        api.post(
            "remotes/container/container/",
            {"name": f"bench-sync-{suffix}", "url": upstream.url, "upstream_name": synced_name,
             "policy": "immediate"},
        )
    )  # fmt: skip
    repository = api.create_repository(f"bench-sync-{suffix}")
    api.run("POST", f"{repository['pulp_href']}sync/", {"remote": sync_remote["pulp_href"]})
    synced = api.create_distribution(
        f"bench-sync-{suffix}", f"synced-{suffix}", repository=repository["pulp_href"]
    )
    return prefix, synced["base_path"]


def first_byte_seconds(url, token=False):
    """Seconds from sending ``GET url`` to the first bytes of the body (a token fetched before,
    as a client holding one from the manifest request would)."""
    headers = {}
    if token:
        scope = Challenge.of(requests.get(url, timeout=60)).params["scope"]
        origin = url.split("/v2/", 1)[0]
        headers.update(bearer(RegistryClient(origin).token(scope)))
    started = time.perf_counter()
    with requests.get(url, headers=headers, stream=True, timeout=600) as response:
        assert response.status_code == 200, response.status_code
        next(response.iter_content(64 * 1024))
        first = time.perf_counter() - started
        for _ in response.iter_content(MIB):
            pass
    return first


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="cold/warm rounds (median)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent cold pulls")
    add_server_options(parser)
    add_checksums_option(parser)
    args = parser.parse_args()
    extra_env = checksums_env(args.checksums)

    workdir = Path(tempfile.mkdtemp(prefix="bench-pull-through-"))
    pulp = None
    upstream = UpstreamRegistry(workdir=workdir / "upstream")
    figures = {}
    try:
        upstream.start()
        if args.api:
            api_url, host = args.api, args.registry
        else:
            pulp = start_fresh_pulp(workdir, args.password, extra_env)
            api_url, host = pulp.api_url, pulp.registry_host
        api = PulpAPI(api_url, auth=("admin", args.password))

        print("pushing images and syncing one into Pulp ...", flush=True)
        images = [push_image(upstream, f"bench/round{n}", workdir) for n in range(args.rounds)]
        prefix, synced = set_up(api, upstream, images[0].repository)

        # The first pull a fresh Pulp serves also pays for warming its processes up (imports,
        # connections, queries compiled once per process): measured on its own, apart from
        # the rounds, which compare steady states.
        settle(api)
        first = push_image(upstream, "bench/after-start", workdir)
        seconds, target = copy_seconds(f"{host}/{prefix}/{first.repository}:latest", workdir)
        assert copied_correctly(target, first), "first copy through the cache is wrong"
        shutil.rmtree(target)
        figures["first cold pull of the run, s"] = seconds

        cold, direct, warm, from_synced = [], [], [], []
        for image in images:
            name = image.repository
            settle(api)
            seconds, target = copy_seconds(f"{upstream.host}/{name}:latest", workdir)
            direct.append(seconds)
            shutil.rmtree(target)
            settle(api)
            seconds, target = copy_seconds(f"{host}/{prefix}/{name}:latest", workdir)
            assert copied_correctly(target, image), "cold copy through the cache is wrong"
            cold.append(seconds)
            shutil.rmtree(target)
        for _ in range(args.rounds):
            settle(api)
            seconds, target = copy_seconds(
                f"{host}/{prefix}/{images[0].repository}:latest", workdir
            )
            assert copied_correctly(target, images[0]), "warm copy through the cache is wrong"
            warm.append(seconds)
            shutil.rmtree(target)
            settle(api)
            seconds, target = copy_seconds(f"{host}/{synced}:latest", workdir)
            from_synced.append(seconds)
            shutil.rmtree(target)
        figures["cold through the cache, s"] = statistics.median(cold)
        figures["straight from upstream, s"] = statistics.median(direct)
        figures["warm through the cache, s"] = statistics.median(warm)
        figures["from a synced distribution, s"] = statistics.median(from_synced)

        print(f"{args.clients} concurrent cold pulls ...", flush=True)
        settle(api)
        crowd = push_image(upstream, "bench/crowd", workdir)
        reference = f"{host}/{prefix}/{crowd.repository}:latest"

        def pull(_):
            try:
                _, target = copy_seconds(reference, workdir)
            except subprocess.CalledProcessError:
                return False
            ok = copied_correctly(target, crowd)
            shutil.rmtree(target)
            return ok

        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(args.clients) as pool:
            results = list(pool.map(pull, range(args.clients)))
        figures["concurrent wall, s"] = time.perf_counter() - started
        figures["concurrent errors"] = results.count(False)
        fetches = [
            upstream.request_count(f"/v2/{crowd.repository}/blobs/{blob.digest}", method="GET")
            for blob in crowd.blobs
        ]
        figures["upstream GETs per blob"] = fetches
        figures["upstream GETs of the manifest"] = upstream.request_count(
            f"/v2/{crowd.repository}/manifests/", method="GET"
        )

        # The same crowd straight from docker-registry, for scale: skopeo itself (hashing and
        # writing 20 x 100 MiB on the same cores) takes most of the time.
        alone = push_image(upstream, "bench/crowd-direct", workdir)

        def pull_direct(_):
            _, target = copy_seconds(f"{upstream.host}/{alone.repository}:latest", workdir)
            shutil.rmtree(target)

        settle(api)
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(pull_direct, range(args.clients)))
        figures["same crowd straight from upstream, s"] = time.perf_counter() - started

        first = push_image(upstream, "bench/first-byte", workdir)
        settle(api)
        layer = first.layers[0].digest
        figures["first byte, cold blob via cache, ms"] = 1000 * first_byte_seconds(
            f"http://{host}/v2/{prefix}/{first.repository}/blobs/{layer}", token=True
        )
        figures["first byte, same blob from upstream, ms"] = 1000 * first_byte_seconds(
            f"{upstream.url}/v2/{first.repository}/blobs/{layer}"
        )
    finally:
        if pulp is not None:
            pulp.stop()
        upstream.close()
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(
        f"image: 2 x {LAYER // MIB} MiB layers; median of {args.rounds} rounds; "
        f"checksums: {args.checksums or 'pulpcore default'}"
    )
    for key, value in figures.items():
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        print(f"{key:42} {shown}")
    cold_ratio = figures["cold through the cache, s"] / figures["straight from upstream, s"]
    warm_ratio = figures["warm through the cache, s"] / figures["from a synced distribution, s"]
    print()
    print(f"cold / straight from upstream: {cold_ratio:.2f}x (target <= 1.3x)")
    print(f"warm / synced distribution:    {warm_ratio:.2f}x (target <= 1.1x)")


if __name__ == "__main__":
    main()
