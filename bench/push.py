"""Benchmark: pushes into this plugin's registry against Debian's docker-registry, in one run.

Prints figures and ratios; asserts nothing. One run:

1. starts docker-registry (CNCF distribution 2.8, filesystem storage, htpasswd Basic auth) on
   loopback, and a fresh Pulp (tests/functional/pulp.py's PulpProcess, ``make run`` defaults:
   token authentication, 2 content app workers) unless --api/--registry name a running one;
   Pulp is pushed to as its admin, docker-registry as its htpasswd user;
2. Pulp only, first (so that no earlier push has grown the heap): the content app's memory
   while one 1 GiB blob is pushed with raw HTTP, as one ``POST ?digest=`` with the whole body
   (monolithic) and as ``POST``, 64 MiB ``PATCH`` chunks and ``PUT`` (chunked): VmRSS of every
   content app process sampled every 20 ms, reported as the largest rise over its idle VmRSS
   (and VmHWM, the kernel's own peak, before and after);
3. against each registry, with images built fresh (random data, never seen by either registry)
   as OCI layout directories by ``bench/oci_layout.py`` before the clock starts:
   * ``skopeo copy oci:... docker://...`` of a 192 MiB image (3 x 64 MiB layers), best of
     --rounds, the two registries taking turns;
   * ten such copies at once of ten different images (3 x 8 MiB each): wall time, best of 2.

Usage: .venv/bin/python bench/push.py [--rounds 3] [--checksums sha256]
       .venv/bin/python bench/push.py --api URL --registry HOST:PORT [--password PW]
"""

import argparse
import concurrent.futures
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "bench"))
sys.path.insert(0, str(REPO_ROOT))

from oci_layout import TAG, write_oci_layout
from options import (
    add_checksums_option,
    add_server_options,
    checksums_env,
    start_fresh_pulp,
)

from tests.functional.upstream import MIB, RegistryClient, UpstreamRegistry

BIG_LAYERS, BIG_LAYER = 3, 64 * MIB
CROWD, CROWD_LAYER, CROWD_ROUNDS = 10, 8 * MIB, 2
HUGE = 1024 * MIB
CHUNK = 64 * MIB
SAMPLE_EVERY = 0.02


class Target:
    """One registry to push into: ``host:port``, credentials, and a run-unique name prefix."""

    def __init__(self, label, host, credentials):
        self.label = label
        self.host = host
        self.credentials = credentials
        self.prefix = f"bench-push/{int(time.time())}"

    def client(self):
        return RegistryClient(f"http://{self.host}", self.credentials)


def copy_seconds(target, layout, name):
    """Wall time of ``skopeo copy oci:layout docker://target/name:latest``."""
    started = time.perf_counter()
    subprocess.run(
        ["skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", ":".join(target.credentials),
         f"oci:{layout}:{TAG}", f"docker://{target.host}/{name}:{TAG}"],
        check=True, capture_output=True, timeout=1200,
    )  # fmt: skip
    return time.perf_counter() - started


def single_copies(targets, rounds, workdir):
    """Best ``skopeo copy`` time of a fresh 192 MiB image per target; the targets alternate."""
    best = {target.label: float("inf") for target in targets}
    for round_ in range(rounds):
        order = targets if round_ % 2 == 0 else targets[::-1]
        for target in order:
            layout = workdir / f"single-{round_}-{len(target.label)}"
            write_oci_layout(layout, layers=BIG_LAYERS, layer_size=BIG_LAYER)
            seconds = copy_seconds(target, layout, f"{target.prefix}/single-{round_}")
            print(f"  {target.label}: {seconds:.2f} s", flush=True)
            best[target.label] = min(best[target.label], seconds)
            shutil.rmtree(layout)
    return best


def concurrent_copies(target, workdir, round_):
    """Wall time of CROWD simultaneous copies of different fresh images into one target."""
    layouts = [workdir / f"crowd-{index}" for index in range(CROWD)]
    for layout in layouts:
        write_oci_layout(layout, layers=BIG_LAYERS, layer_size=CROWD_LAYER)
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(CROWD) as pool:
        list(
            pool.map(
                lambda pair: copy_seconds(
                    target, pair[1], f"{target.prefix}/crowd-{round_}-{pair[0]}"
                ),
                enumerate(layouts),
            )
        )
    elapsed = time.perf_counter() - started
    for layout in layouts:
        shutil.rmtree(layout)
    return elapsed


# --- memory of the content app ------------------------------------------------------------------


def content_app_pids(root_pid):
    """Pids of the ``pulpcore-content`` processes (gunicorn master and workers) under root_pid."""
    children = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append((int(entry.name), cmdline))
    found, pending = [], [root_pid]
    while pending:
        for pid, cmdline in children.get(pending.pop(), []):
            pending.append(pid)
            if "pulpcore-content" in cmdline or "pulpcore.content" in cmdline:
                found.append(pid)
    return found


def memory_kib(pid, field):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class RssSampler:
    """Samples VmRSS of some processes in a thread; ``rise()`` is the largest rise in MiB."""

    def __init__(self, pids):
        self.pids = pids
        self.idle = {pid: memory_kib(pid, "VmRSS") for pid in pids}
        self.peak = dict(self.idle)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()

    def _run(self):
        while not self._stop.wait(SAMPLE_EVERY):
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], memory_kib(pid, "VmRSS"))

    def rise(self):
        return max(self.peak[pid] - self.idle[pid] for pid in self.pids) / 1024


def write_huge_blob(path):
    """HUGE random bytes in a file; their digest."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for _ in range(HUGE // MIB):
            block = os.urandom(MIB)
            digest.update(block)
            out.write(block)
    return f"sha256:{digest.hexdigest()}"


def _started_upload(client, name):
    response = client.request("POST", f"/v2/{name}/blobs/uploads/")
    assert response.status_code == 202, (response.status_code, response.text)
    return response.headers["Location"]


def push_monolithic(client, name, path, digest):
    """One ``POST /v2/<name>/blobs/uploads/?digest=`` carrying the whole blob."""
    _started_upload(client, name)  # authenticates (push scope) before the big body goes out
    with path.open("rb") as body:
        response = client.request(
            "POST", f"/v2/{name}/blobs/uploads/", params={"digest": digest}, data=body,
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(HUGE)},
            timeout=1200,
        )  # fmt: skip
    assert response.status_code == 201, (response.status_code, response.text)


def push_chunked(client, name, path, digest):
    """``POST``, then CHUNK-sized ``PATCH``es with ``Content-Range``, then ``PUT ?digest=``."""
    location = _started_upload(client, name)
    with path.open("rb") as body:
        for start in range(0, HUGE, CHUNK):
            chunk = body.read(CHUNK)
            response = client.request(
                "PATCH", location, data=chunk, timeout=1200,
                headers={"Content-Type": "application/octet-stream",
                         "Content-Range": f"{start}-{start + len(chunk) - 1}"},
            )  # fmt: skip
            assert response.status_code == 202, (response.status_code, response.text)
            location = response.headers["Location"]
    response = client.request("PUT", location, params={"digest": digest}, timeout=1200)
    assert response.status_code == 201, (response.status_code, response.text)


def content_app_memory(target, root_pid, workdir):
    """Per upload style: MiB above idle of the content app process that rose most, the
    largest VmHWM of those processes before and after, and the push's seconds."""
    pids = content_app_pids(root_pid)
    assert pids, f"no pulpcore-content process under pid {root_pid}"
    figures = {}
    for label, push in (("monolithic", push_monolithic), ("chunked", push_chunked)):
        path = workdir / f"huge-{label}"
        digest = write_huge_blob(path)
        client = target.client()
        client.ping()  # the token dance and the first connection happen before the idle sample
        hwm_before = max(memory_kib(pid, "VmHWM") for pid in pids) / 1024
        with RssSampler(pids) as sampler:
            started = time.perf_counter()
            push(client, f"{target.prefix}/huge-{label}", path, digest)
            seconds = time.perf_counter() - started
        hwm_after = max(memory_kib(pid, "VmHWM") for pid in pids) / 1024
        figures[label] = (sampler.rise(), hwm_before, hwm_after, seconds)
        print(f"  {label}: idle/peak VmRSS MiB per process "
              f"{[(sampler.idle[pid] // 1024, sampler.peak[pid] // 1024) for pid in pids]}",
              flush=True)  # fmt: skip
        path.unlink()
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="single-copy rounds (best of)")
    add_server_options(parser)
    parser.add_argument("--root-pid", type=int, help="pid whose descendants run the content app")
    add_checksums_option(parser)
    args = parser.parse_args()
    extra_env = checksums_env(args.checksums)

    workdir = Path(tempfile.mkdtemp(prefix="bench-push-"))
    pulp = None
    reference = UpstreamRegistry(auth="basic", workdir=workdir / "reference")
    try:
        reference.start()
        if args.api:
            registry_host, root_pid = args.registry, args.root_pid
        else:
            pulp = start_fresh_pulp(workdir, args.password, extra_env)
            registry_host, root_pid = pulp.registry_host, pulp.process.pid
        ours = Target("Pulp", registry_host, ("admin", args.password))
        theirs = Target("docker-registry", reference.host, reference.credentials)

        memory = None
        if root_pid:  # first, while the content app has served nothing big yet
            print("content app memory while 1 GiB is pushed ...", flush=True)
            memory = content_app_memory(ours, root_pid, workdir)
        print("skopeo copy of a fresh 192 MiB image ...", flush=True)
        single = single_copies([ours, theirs], args.rounds, workdir)
        print(f"{CROWD} concurrent copies of different images ...", flush=True)
        crowd = {target.label: float("inf") for target in (ours, theirs)}
        for round_ in range(CROWD_ROUNDS):
            for target in (ours, theirs) if round_ % 2 == 0 else (theirs, ours):
                seconds = concurrent_copies(target, workdir, round_)
                print(f"  {target.label}: {seconds:.2f} s", flush=True)
                crowd[target.label] = min(crowd[target.label], seconds)
    finally:
        if pulp is not None:
            pulp.stop()
        reference.close()
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(f"checksums: {args.checksums or 'pulpcore default'}; load average "
          f"{os.getloadavg()[0]:.1f} at the end")  # fmt: skip
    print(f"{'':40} {'Pulp':>10} {'registry':>10} {'ratio':>8}  target")
    rows = (
        ("skopeo copy 192 MiB (3 layers), s", single, "<= 1.2x"),
        (f"{CROWD} concurrent copies (3 x 8 MiB), s", crowd, "<= 1.5x"),
    )
    for label, figures, target in rows:
        ratio = figures["Pulp"] / figures["docker-registry"]
        print(f"{label:40} {figures['Pulp']:10.2f} {figures['docker-registry']:10.2f} "
              f"{ratio:7.2f}x  {target}")  # fmt: skip
    if memory:
        print()
        print("content app while a 1 GiB blob is pushed (target: < 100 MiB above idle)")
        print(f"{'':12} {'RSS rise MiB':>13} {'VmHWM before':>13} {'VmHWM after':>12} {'s':>7}")
        for label, (rise, before, after, seconds) in memory.items():
            print(f"{label:12} {rise:13.1f} {before:13.1f} {after:12.1f} {seconds:7.1f}")


if __name__ == "__main__":
    main()
