"""What the benchmarks share: the options naming a running Pulp to measure instead of a fresh
one, the checksums a fresh Pulp keeps, and starting that fresh Pulp."""

from tests.functional.pulp import PulpProcess

CHECKSUMS_SETTING = "PULP_ALLOWED_CONTENT_CHECKSUMS"


def add_server_options(parser):
    """``--api``, ``--registry`` and ``--password``: measure a Pulp already running."""
    parser.add_argument("--api", help="REST API URL of a running Pulp (else start one)")
    parser.add_argument("--registry", help="HOST:PORT of its content app")
    parser.add_argument("--password", default="password", help="admin password")


def add_checksums_option(parser):
    """``--checksums``: what a fresh Pulp keeps of every artifact (`checksums_env`)."""
    parser.add_argument(
        "--checksums",
        help="Pulp's ALLOWED_CONTENT_CHECKSUMS, comma separated (default: pulpcore's)",
    )


def checksums_env(checksums):
    """The environment that gives a fresh Pulp `checksums` ("sha256,sha512"); {} for None."""
    if not checksums:
        return {}
    listed = ", ".join(f'"{name}"' for name in checksums.split(","))
    return {CHECKSUMS_SETTING: f"[{listed}]"}


def start_fresh_pulp(workdir, password, extra_env=None):
    """A Pulp (`make run`'s defaults) started with its data under ``workdir/pulp``; the caller
    stops it."""
    print("starting Pulp ...", flush=True)
    (workdir / "pulp").mkdir()
    pulp = PulpProcess(workdir / "pulp" / "data", admin_password=password, extra_env=extra_env)
    pulp.start()
    return pulp
