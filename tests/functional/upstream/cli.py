"""The real registry clients tests drive: skopeo, and podman with a throw-away storage root."""

import json
import shutil
import subprocess
from pathlib import Path

TIMEOUT = 300


class CommandFailed(AssertionError):
    """A client command exited non-zero; the message carries its output."""


def run(
    args: list[str], *, check: bool = True, timeout: int = TIMEOUT, input: str | None = None
) -> subprocess.CompletedProcess:
    """Run a command, capturing text output; raise CommandFailed (with stderr) if ``check``.

    ``input`` is written to its stdin (e.g. a password); without it stdin is empty.
    """
    stdin = {"input": input} if input is not None else {"stdin": subprocess.DEVNULL}
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **stdin)
    if check and result.returncode != 0:
        raise CommandFailed(
            f"{' '.join(args)} exited {result.returncode}\n"
            f"stdout: {result.stdout[-2000:]}\nstderr: {result.stderr[-4000:]}"
        )
    return result


def _creds_args(flag: str, creds: tuple[str, str] | None) -> list[str]:
    return [flag, f"{creds[0]}:{creds[1]}"] if creds else []


def skopeo(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run(["skopeo", *args], check=check)


def skopeo_inspect(
    reference: str, *, raw: bool = False, creds: tuple[str, str] | None = None
) -> dict:
    """``skopeo inspect`` of ``docker://reference`` over plain HTTP, parsed from JSON."""
    args = ["inspect", "--tls-verify=false", *_creds_args("--creds", creds)]
    if raw:
        args.append("--raw")
    return json.loads(skopeo(*args, f"docker://{reference}").stdout)


def skopeo_copy(
    source: str, destination: str, *, all_images: bool = False, creds=None
) -> subprocess.CompletedProcess:
    """``skopeo copy`` from ``docker://source`` (plain HTTP) to a transport:path destination."""
    args = ["copy", "--src-tls-verify=false", *_creds_args("--src-creds", creds)]
    if all_images:
        args.append("--all")
    return skopeo(*args, f"docker://{source}", destination)


class Podman:
    """podman with its own vfs storage under ``directory``, so tests never touch the host's.

    ``cleanup()`` removes the directory.
    """

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.root = self.directory / "root"
        self.runroot = self.directory / "run"
        self.tmpdir = self.directory / "tmp"

    def command(self, *args: str) -> list[str]:
        return [
            "podman",
            "--storage-driver", "vfs",
            "--root", str(self.root),
            "--runroot", str(self.runroot),
            "--tmpdir", str(self.tmpdir),
            "--events-backend", "file",
            "--cgroup-manager", "cgroupfs",
            *args,
        ]  # fmt: skip

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return run(self.command(*args), check=check)

    def pull(
        self, reference: str, *, creds: tuple[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess:
        """``podman pull --tls-verify=false reference``; stdout ends with the image id."""
        return self(
            "pull", "--tls-verify=false", *_creds_args("--creds", creds), reference, check=check
        )

    def image_inspect(self, reference: str) -> dict:
        return json.loads(self("image", "inspect", reference).stdout)[0]

    def layer_files(self, name: str) -> list[Path]:
        """Files called ``name`` in the unpacked vfs layers (proves the tars were extracted)."""
        return sorted((self.root / "vfs" / "dir").glob(f"*/*/{name}"))

    def cleanup(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
