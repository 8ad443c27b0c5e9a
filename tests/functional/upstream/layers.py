"""Deterministic image layers: gzipped tars of pseudo-random files, streamed to disk.

A layer is written once to a temporary file while two sha256 hashes are computed on the fly:
the digest of the compressed blob and the ``diff_id`` of the uncompressed tar. Nothing holds
the whole layer in memory, so 128 MiB layers for benchmarks cost a few MiB of RAM.
"""

import gzip
import hashlib
import io
import random
import tarfile
from dataclasses import dataclass
from pathlib import Path

MIB = 1024 * 1024
DEFAULT_LAYER_SIZE = 256 * 1024
DEFAULT_FILES_PER_LAYER = 3

# Fixed metadata makes the same seed produce the same bytes on every run and machine.
_MTIME = 1_700_000_000
_BLOCK = MIB  # pseudo-random bytes are drawn in fixed blocks, whatever the reader's chunking


@dataclass(frozen=True)
class LayerFile:
    """A built layer blob on disk.

    Attributes:
        path: the gzipped tar on disk.
        digest: ``sha256:...`` of the compressed bytes (the blob digest).
        size: size of the compressed bytes.
        diff_id: ``sha256:...`` of the uncompressed tar (goes into the config's rootfs).
    """

    path: Path
    digest: str
    size: int
    diff_id: str


class _RandomReader(io.RawIOBase):
    """File-like object yielding ``size`` deterministic pseudo-random bytes for ``seed``."""

    def __init__(self, seed: str, size: int):
        self._rng = random.Random(seed)
        self._remaining = size
        self._block = b""
        self._offset = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self._remaining if n < 0 else min(n, self._remaining)
        parts = []
        wanted = n
        while wanted:
            if self._offset == len(self._block):
                self._block, self._offset = self._rng.randbytes(_BLOCK), 0
            part = self._block[self._offset : self._offset + wanted]
            self._offset += len(part)
            wanted -= len(part)
            parts.append(part)
        self._remaining -= n
        return b"".join(parts)


class _HashingWriter(io.RawIOBase):
    """Forwards writes to ``target`` while hashing and counting them."""

    def __init__(self, target):
        self._target = target
        self.sha256 = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.sha256.update(data)
        self.size += len(data)
        self._target.write(data)
        return len(data)

    @property
    def digest(self) -> str:
        return f"sha256:{self.sha256.hexdigest()}"


def _tarinfo(name: str, *, size: int = 0, directory: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mtime = _MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    if directory:
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
    else:
        info.size = size
        info.mode = 0o644
    return info


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if index < extra else 0) for index in range(parts)]


def build_layer(
    directory: Path,
    seed: str,
    *,
    size: int = DEFAULT_LAYER_SIZE,
    files: int = DEFAULT_FILES_PER_LAYER,
) -> LayerFile:
    """Write a gzipped tar with ``files`` pseudo-random files totalling ``size`` bytes.

    The same ``seed``, ``size`` and ``files`` always give the same blob digest, so pushing it
    twice (or from two images) shares one blob upstream.

    Args:
        directory: where to write the blob file.
        seed: any string; it picks the content and the directory name inside the tar.
        size: total bytes of file content (the blob is a little larger: tar headers).
        files: number of files to split the content into (at least 1).

    Returns:
        The LayerFile describing the blob on disk.
    """
    files = max(1, files)
    top = "layer-" + hashlib.sha256(seed.encode()).hexdigest()[:12]
    path = Path(directory) / f"{top}-{size}-{files}.tar.gz"
    with open(path, "wb") as raw:
        compressed = _HashingWriter(raw)
        # mtime=0 and no file name keep the gzip header stable. The content is random, so
        # compressing is wasted time: level 0 writes stored deflate blocks (still valid gzip).
        with gzip.GzipFile(
            filename="", mode="wb", fileobj=compressed, mtime=0, compresslevel=0
        ) as gz:
            uncompressed = _HashingWriter(gz)
            with tarfile.open(fileobj=uncompressed, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                tar.addfile(_tarinfo(top, directory=True))
                tar.addfile(
                    _tarinfo(f"{top}/seed.txt", size=len(seed.encode())), io.BytesIO(seed.encode())
                )
                for index, file_size in enumerate(_split(size, files)):
                    name = f"{top}/file-{index}.bin"
                    tar.addfile(
                        _tarinfo(name, size=file_size), _RandomReader(f"{seed}/{index}", file_size)
                    )
    return LayerFile(
        path=path, digest=compressed.digest, size=compressed.size, diff_id=uncompressed.digest
    )
