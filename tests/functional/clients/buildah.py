"""buildah with a throw-away vfs storage root, as ``upstream.cli.Podman`` is for podman."""

import shutil
import subprocess
from pathlib import Path

from tests.functional.upstream.cli import run


class Buildah:
    """buildah with its own vfs storage under ``directory``; ``cleanup()`` removes it."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.root = self.directory / "root"
        self.runroot = self.directory / "run"

    def command(self, *args: str) -> list[str]:
        return [
            "buildah",
            "--storage-driver", "vfs",
            "--root", str(self.root),
            "--runroot", str(self.runroot),
            *args,
        ]  # fmt: skip

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return run(self.command(*args), check=check)

    def cleanup(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
