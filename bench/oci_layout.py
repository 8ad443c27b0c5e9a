"""Write a fresh image of random layers as an OCI image layout directory (``skopeo copy oci:``).

Each call draws a new seed unless given one, so no registry has any of its blobs yet.

Usage: .venv/bin/python bench/oci_layout.py DIRECTORY [--layers 3] [--layer-mib 64]
"""

import argparse
import json
import sys
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.functional.upstream import AMD64, MIB, Blob, build_layer, digest_of
from tests.functional.upstream.images import image_config, image_manifest
from tests.functional.upstream.media_types import OCI_CONFIG, OCI_LAYER, OCI_MANIFEST

TAG = "latest"


def _write_blob(blobs: Path, data: bytes) -> tuple[str, int]:
    digest = digest_of(data)
    (blobs / digest.split(":", 1)[1]).write_bytes(data)
    return digest, len(data)


def write_oci_layout(
    directory: Path, *, layers: int = 3, layer_size: int = 64 * MIB, seed: str | None = None
) -> str:
    """An OCI layout in ``directory`` holding one image tagged ``latest``.

    Args:
        directory: created if missing.
        layers: number of layers (gzip level 0 tars of one random file each).
        layer_size: bytes of random content per layer.
        seed: picks the content; a new random one by default.

    Returns:
        The image manifest's digest.
    """
    seed = seed or uuid.uuid4().hex
    blobs = Path(directory) / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    built_layers = []
    for index in range(layers):
        built = build_layer(blobs, f"{seed}|{index}", size=layer_size, files=1)
        built.path.rename(blobs / built.digest.split(":", 1)[1])
        built_layers.append(Blob(built.digest, built.size, OCI_LAYER, built.diff_id))
    config_digest, config_size = _write_blob(blobs, image_config(built_layers, AMD64))
    config = Blob(config_digest, config_size, OCI_CONFIG)
    manifest = image_manifest(config, built_layers, OCI_MANIFEST)
    manifest_digest, manifest_size = _write_blob(blobs, manifest)
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": OCI_MANIFEST,
                "digest": manifest_digest,
                "size": manifest_size,
                "annotations": {"org.opencontainers.image.ref.name": TAG},
            }
        ],
    }
    (Path(directory) / "index.json").write_text(json.dumps(index))
    (Path(directory) / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    return manifest_digest


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--layer-mib", type=int, default=64)
    args = parser.parse_args()
    digest = write_oci_layout(args.directory, layers=args.layers, layer_size=args.layer_mib * MIB)
    print(f"oci:{args.directory}:{TAG} {digest}")


if __name__ == "__main__":
    main()
