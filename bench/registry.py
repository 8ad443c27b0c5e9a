"""Benchmark: this plugin's registry against Debian's docker-registry, on the same images.

Prints figures and ratios; asserts nothing. One run:

1. starts docker-registry (CNCF distribution) on loopback with htpasswd Basic auth, and pushes
   a small image, an image with one 128 MiB layer and a ~200 MiB image (4 x 50 MiB) into it;
2. starts a fresh Pulp (tests/functional/pulp.py's PulpProcess) unless --api/--registry name a
   running one, syncs the three images (immediate), and serves them from a *private*
   distribution pulled by a plain user holding the consumer role on it, authenticated as a
   user pulls: with a Bearer token from Pulp's token endpoint (fetched once per name with the
   user's password, as podman and docker do), or with ``--basic`` with HTTP Basic on every
   request; docker-registry (htpasswd) is always asked with Basic on every request;
3. measures, against each registry with the same client code:
   * manifest GETs by tag per second and p99 latency, 16 concurrent clients (keep-alive);
   * blob GET MiB/s of the 128 MiB layer with 1 and with 8 concurrent clients;
   * ``skopeo copy`` wall time of the ~200 MiB image to a local dir.

Usage: .venv/bin/python bench/registry.py [--seconds 10] [--basic] [--api URL --registry HOST:PORT]

The Pulp it starts runs as ``make run`` does (token authentication); with ``--basic`` it has
``TOKEN_AUTH_DISABLED = True``, and a running server named with --api must then be started that
way too (``PULP_TOKEN_AUTH_DISABLED=true make run``).
"""

import argparse
import asyncio
import base64
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

from options import add_server_options, start_fresh_pulp

from pulp_container.constants import MANIFEST_ACCEPT_HEADER
from tests.functional.pulp import PulpAPI
from tests.functional.registry_client import RegistryClient
from tests.functional.upstream import MIB, UpstreamRegistry, push_docker_image

USER = ("bench-user", "bench-password-1")


def basic_header(credentials):
    return "Basic " + base64.b64encode(":".join(credentials).encode()).decode()


class Authorization:
    """The Authorization header a client sends to pull a name: HTTP Basic on every request, or
    (`token=True`) a Bearer token asked once per name from the registry's token endpoint."""

    def __init__(self, origin, credentials, token):
        self.origin = origin
        self.credentials = credentials
        self.token = token

    def header(self, name):
        if not self.token:
            return basic_header(self.credentials)
        registry = RegistryClient(self.origin, self.credentials)
        return f"Bearer {registry.token(f'repository:{name}:pull')}"


async def manifest_rate(origin, name, authorization, clients, seconds):
    """Requests per second and p99 latency (ms) of GET manifests/<tag>."""
    url = f"{origin}/v2/{name}/manifests/latest"
    headers = {"Authorization": authorization, "Accept": MANIFEST_ACCEPT_HEADER}
    latencies = []
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.get(url, headers=headers) as warm:
            assert warm.status == 200, (url, warm.status, await warm.text())
            await warm.read()

        async def worker(deadline, record):
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                async with session.get(url, headers=headers) as response:
                    await response.read()
                    assert response.status == 200, response.status
                record.append(time.perf_counter() - started)

        # Warm up every server process and connection (caches, pools), then measure.
        warm_deadline = time.perf_counter() + 2
        await asyncio.gather(*(worker(warm_deadline, []) for _ in range(clients)))
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(worker(deadline, latencies) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    return len(latencies) / elapsed, p99


async def blob_rate(origin, name, digest, authorization, clients):
    """MiB/s of `clients` concurrent GETs of one blob (total bytes / wall time)."""
    url = f"{origin}/v2/{name}/blobs/{digest}"
    headers = {"Authorization": authorization}
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def fetch():
            size = 0
            async with session.get(url, headers=headers) as response:
                assert response.status == 200, (url, response.status)
                async for chunk in response.content.iter_chunked(1024 * 1024):
                    size += len(chunk)
            return size

        started = time.perf_counter()
        sizes = await asyncio.gather(*(fetch() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return sum(sizes) / MIB / elapsed


def skopeo_copy_seconds(host, name, credentials, workdir):
    target = Path(tempfile.mkdtemp(dir=workdir, prefix="copy-"))
    started = time.perf_counter()
    subprocess.run(
        ["skopeo", "copy", "--src-tls-verify=false", "--src-creds", ":".join(credentials),
         f"docker://{host}/{name}:latest", f"dir:{target}"],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    shutil.rmtree(target)
    return elapsed


def set_up_pulp(api, reference, names):
    """Sync each reference repository (immediate) into Pulp; serve them privately to USER.

    Returns name -> base path.
    """
    user = api.ok(api.post("users/", {"username": USER[0], "password": USER[1]}), (201, 400))
    if "pulp_href" not in user:
        user = api.ok(api.get("users/", params={"username": USER[0]}))["results"][0]
    served = {}
    stamp = str(int(time.time()))
    for name in names:
        slug = name.replace("/", "-") + "-" + stamp
        remote = api.ok(
            api.post(
                "remotes/container/container/",
                {"name": slug, "url": reference.url, "upstream_name": name,
                 "policy": "immediate", "username": reference.credentials[0],
                 "password": reference.credentials[1]},
            )
        )  # fmt: skip
        repository = api.create_repository(slug)
        api.run("POST", f"{repository['pulp_href']}sync/", {"remote": remote["pulp_href"]})
        base_path = f"bench/{slug}"
        distribution = api.create_distribution(
            slug, base_path, repository=repository["pulp_href"], private=True
        )
        api.ok(
            api.post(
                f"{user['pulp_href']}roles/",
                {"role": "container.containerdistribution_consumer",
                 "content_object": distribution["pulp_href"]},
            )
        )  # fmt: skip
        served[name] = base_path
    return served


def measure(label, origin, host, names, digests, credentials, token, seconds, workdir):
    print(f"measuring {label} ...", flush=True)
    auth = Authorization(origin, credentials, token)
    figures = {}
    rate, p99 = asyncio.run(
        manifest_rate(origin, names["small"], auth.header(names["small"]), 16, seconds)
    )
    figures["manifest GET/s (16 clients)"] = rate
    figures["manifest p99 ms (16 clients)"] = p99
    for clients in (1, 8):
        figures[f"blob MiB/s ({clients} client{'s' if clients > 1 else ''})"] = asyncio.run(
            blob_rate(origin, names["blob"], digests["blob"], auth.header(names["blob"]), clients)
        )
    figures["skopeo copy 200 MiB, s"] = min(
        skopeo_copy_seconds(host, names["pull"], credentials, workdir) for _ in range(2)
    )
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="manifest test duration")
    add_server_options(parser)
    parser.add_argument(
        "--basic", action="store_true",
        help="Pulp without token authentication: HTTP Basic on every request",
    )  # fmt: skip
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-registry-"))
    pulp = None
    reference = UpstreamRegistry(auth="basic", workdir=workdir / "reference")
    try:
        reference.start()
        client = reference.client()
        print("pushing images into the reference registry ...", flush=True)
        small = push_docker_image(client, "bench/small", ["latest"], layer_size=64 * 1024)
        blob = push_docker_image(
            client, "bench/blob", ["latest"], layer_size=128 * MIB, files_per_layer=1,
            workdir=workdir,
        )  # fmt: skip
        push_docker_image(
            client, "bench/pull", ["latest"], layers=4, layer_size=50 * MIB, files_per_layer=1,
            workdir=workdir,
        )  # fmt: skip
        upstream_names = {"small": "bench/small", "blob": "bench/blob", "pull": "bench/pull"}
        digests = {"blob": blob.layers[0].digest}
        assert small.digest

        if args.api:
            api_url, registry_host = args.api, args.registry
        else:
            extra_env = {"PULP_TOKEN_AUTH_DISABLED": "true"} if args.basic else {}
            pulp = start_fresh_pulp(workdir, args.password, extra_env)
            api_url, registry_host = pulp.api_url, pulp.registry_host
        api = PulpAPI(api_url, auth=("admin", args.password))
        print("syncing into Pulp ...", flush=True)
        paths = set_up_pulp(api, reference, upstream_names.values())
        pulp_names = {key: paths[name] for key, name in upstream_names.items()}

        ours = measure("Pulp", f"http://{registry_host}", registry_host, pulp_names, digests,
                       USER, not args.basic, args.seconds, workdir)  # fmt: skip
        theirs = measure("docker-registry", reference.url, reference.host, upstream_names,
                         digests, reference.credentials, False, args.seconds,
                         workdir)  # fmt: skip
    finally:
        if pulp is not None:
            pulp.stop()
        reference.close()
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(
        f"Pulp authenticated with {'Basic' if args.basic else 'Bearer tokens'}; docker-registry with Basic"
    )
    print(f"{'':32} {'Pulp':>10} {'registry':>10} {'ratio':>8}")
    for key in ours:
        ratio = ours[key] / theirs[key] if theirs[key] else float("nan")
        print(f"{key:32} {ours[key]:10.1f} {theirs[key]:10.1f} {ratio:7.2f}x")
    print()
    print("targets: blob >= 0.8x, manifests >= 0.5x (GET/s), pull time <= 1.2x")
    print("(manifest p99 and skopeo copy time: lower is better)")


if __name__ == "__main__":
    main()
