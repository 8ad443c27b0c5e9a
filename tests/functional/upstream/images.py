"""Build container images in Python and push them to a registry over its HTTP API.

Every push returns a small frozen dataclass saying exactly what went upstream: the manifest
bytes as pushed (so ``sha256(manifest)`` is the registry's ``Docker-Content-Digest``), the
blobs with their sizes, and for an index or manifest list its per-platform children.

Content is deterministic: the default seed comes from repository, tags, kind and platform, so
a second push of the same image is a no-op upstream, and passing the same ``seed`` to two
pushes makes them share layers.
"""

import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.functional import media_types
from tests.functional.registry_client import RegistryClient
from tests.functional.upstream.layers import DEFAULT_LAYER_SIZE, build_layer

DEFAULT_TAGS = ("v1.0", "v1.1", "v2.0-rc", "latest")
_CREATED = "2024-01-01T00:00:00Z"
_PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Platform:
    os: str
    architecture: str
    variant: str | None = None

    def __str__(self) -> str:
        return "/".join(part for part in (self.os, self.architecture, self.variant) if part)

    def as_dict(self) -> dict:
        """The ``platform`` object of an index entry (also used in the image config)."""
        value = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            value["variant"] = self.variant
        return value


AMD64 = Platform("linux", "amd64")
ARM64 = Platform("linux", "arm64", "v8")
DEFAULT_PLATFORMS = (AMD64, ARM64)


@dataclass(frozen=True)
class Blob:
    """A pushed blob. ``diff_id`` is set for layers (sha256 of the uncompressed tar)."""

    digest: str
    size: int
    media_type: str
    diff_id: str | None = None

    def descriptor(self) -> dict:
        return {"mediaType": self.media_type, "size": self.size, "digest": self.digest}


@dataclass(frozen=True)
class PushedImage:
    """A single-platform image manifest (Docker schema 2 or OCI) and its blobs.

    ``tags`` is empty for an index's children, which are pushed by digest.
    """

    repository: str
    tags: tuple[str, ...]
    digest: str
    media_type: str
    manifest: bytes
    config: Blob
    layers: tuple[Blob, ...]
    platform: Platform

    @property
    def blobs(self) -> tuple[Blob, ...]:
        return (self.config, *self.layers)

    @property
    def size(self) -> int:
        return len(self.manifest)

    def reference(self, host: str | None = None) -> str:
        """``[host/]repository:first-tag``, or ``@digest`` without tags."""
        name = f"{host}/{self.repository}" if host else self.repository
        return f"{name}:{self.tags[0]}" if self.tags else f"{name}@{self.digest}"


@dataclass(frozen=True)
class PushedIndex:
    """An OCI image index or Docker manifest list and the images it lists."""

    repository: str
    tags: tuple[str, ...]
    digest: str
    media_type: str
    manifest: bytes
    children: tuple[PushedImage, ...]

    @property
    def child_digests(self) -> dict[str, str]:
        """``{"linux/amd64": "sha256:...", "linux/arm64/v8": "sha256:..."}``."""
        return {str(child.platform): child.digest for child in self.children}

    def child(self, platform: str | Platform) -> PushedImage:
        """The child for a platform, given as ``Platform``, ``"linux/arm64/v8"`` or ``"arm64"``."""
        for child in self.children:
            if platform in (child.platform, str(child.platform), child.platform.architecture):
                return child
        raise KeyError(platform)

    @property
    def blobs(self) -> tuple[Blob, ...]:
        """Every distinct blob of every child, in order."""
        return tuple(
            {blob.digest: blob for child in self.children for blob in child.blobs}.values()
        )

    @property
    def size(self) -> int:
        return len(self.manifest)

    def reference(self, host: str | None = None) -> str:
        name = f"{host}/{self.repository}" if host else self.repository
        return f"{name}:{self.tags[0]}" if self.tags else f"{name}@{self.digest}"


def digest_of(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def _dump(document: dict) -> bytes:
    return json.dumps(document, indent=3).encode()


def image_config(layers: list[Blob], platform: Platform, labels: dict | None = None) -> bytes:
    """Image config JSON whose ``rootfs.diff_ids`` and ``history`` match ``layers``."""
    config = {
        "architecture": platform.architecture,
        "os": platform.os,
        **({"variant": platform.variant} if platform.variant else {}),
        "created": _CREATED,
        "config": {"Env": [_PATH_ENV], "Cmd": ["/bin/sh"], "Labels": dict(labels or {})},
        "rootfs": {"type": "layers", "diff_ids": [layer.diff_id for layer in layers]},
        "history": [
            {"created": _CREATED, "created_by": f"upstream harness layer {index}"}
            for index in range(len(layers))
        ],
    }
    return _dump(config)


def image_manifest(config: Blob, layers: list[Blob], media_type: str) -> bytes:
    return _dump(
        {
            "schemaVersion": 2,
            "mediaType": media_type,
            "config": config.descriptor(),
            "layers": [layer.descriptor() for layer in layers],
        }
    )


def index_manifest(children: list[PushedImage], media_type: str) -> bytes:
    entries = [
        {
            "mediaType": child.media_type,
            "size": child.size,
            "digest": child.digest,
            "platform": child.platform.as_dict(),
        }
        for child in children
    ]
    return _dump({"schemaVersion": 2, "mediaType": media_type, "manifests": entries})


def push_manifest(
    client: RegistryClient, repository: str, tags: tuple[str, ...], data: bytes, media_type: str
) -> str:
    """PUT ``data`` under each tag (or by digest without tags); returns the checked digest."""
    digest = digest_of(data)
    for reference in tags or (digest,):
        pushed = client.put_manifest(repository, reference, data, media_type)
        if pushed != digest:
            raise AssertionError(f"registry says {pushed} for a manifest whose digest is {digest}")
    return digest


def push_image(
    client: RegistryClient,
    repository: str,
    tags=("latest",),
    *,
    oci: bool = False,
    platform: Platform = AMD64,
    layers: int = 1,
    layer_size: int = DEFAULT_LAYER_SIZE,
    files_per_layer: int = 3,
    seed: str | None = None,
    labels: dict | None = None,
    workdir: Path | None = None,
) -> PushedImage:
    """Build and push one image: ``layers`` random layers, a config and a manifest.

    Args:
        client: where to push (carries the registry's credentials).
        repository: repository name, e.g. ``"library/busybox"``.
        tags: tags to push the manifest under; empty pushes it by digest only.
        oci: OCI media types when true, Docker schema 2 otherwise.
        platform: goes into the config (``architecture``/``os``/``variant``).
        layers: number of layers.
        layer_size: bytes of file content per layer.
        files_per_layer: files the content is split into.
        seed: picks the content; defaults to one derived from repository, tags and kind.
        labels: config labels.
        workdir: where layer files are built (a temporary directory by default); they
            are deleted once uploaded.

    Returns:
        The PushedImage.
    """
    tags = tuple(tags)
    kind = "oci" if oci else "docker"
    seed = seed if seed is not None else f"{repository}|{','.join(tags)}|{kind}"
    seed = f"{seed}|{platform}"
    layer_type = media_types.OCI_LAYER if oci else media_types.DOCKER_LAYER
    pushed_layers = []
    with tempfile.TemporaryDirectory(dir=workdir, prefix="layers-") as directory:
        for index in range(layers):
            built = build_layer(
                Path(directory), f"{seed}|layer-{index}", size=layer_size, files=files_per_layer
            )
            with open(built.path, "rb") as body:
                client.upload_blob(repository, built.digest, body, built.size)
            built.path.unlink()
            pushed_layers.append(Blob(built.digest, built.size, layer_type, built.diff_id))

    config_data = image_config(pushed_layers, platform, labels)
    config = Blob(
        digest_of(config_data),
        len(config_data),
        media_types.OCI_CONFIG if oci else media_types.DOCKER_CONFIG,
    )
    client.upload_blob(repository, config.digest, config_data, config.size)

    media_type = media_types.OCI_MANIFEST if oci else media_types.DOCKER_MANIFEST
    data = image_manifest(config, pushed_layers, media_type)
    digest = push_manifest(client, repository, tags, data, media_type)
    return PushedImage(
        repository, tags, digest, media_type, data, config, tuple(pushed_layers), platform
    )


def push_docker_image(client: RegistryClient, repository: str, tags=("latest",), **options):
    """A Docker schema 2 image (``application/vnd.docker.distribution.manifest.v2+json``)."""
    return push_image(client, repository, tags, oci=False, **options)


def push_oci_image(client: RegistryClient, repository: str, tags=("latest",), **options):
    """An OCI image manifest (``application/vnd.oci.image.manifest.v1+json``)."""
    return push_image(client, repository, tags, oci=True, **options)


def push_index(
    client: RegistryClient,
    repository: str,
    tags=("latest",),
    *,
    oci: bool = True,
    platforms=DEFAULT_PLATFORMS,
    seed: str | None = None,
    **options,
) -> PushedIndex:
    """Push one image per platform by digest, then the index/list naming them, under ``tags``.

    ``options`` go to ``push_image`` (layers, layer_size, labels, workdir, ...).
    """
    tags = tuple(tags)
    kind = "oci-index" if oci else "manifest-list"
    seed = seed if seed is not None else f"{repository}|{','.join(tags)}|{kind}"
    children = tuple(
        push_image(client, repository, (), oci=oci, platform=platform, seed=seed, **options)
        for platform in platforms
    )
    media_type = media_types.OCI_INDEX if oci else media_types.DOCKER_MANIFEST_LIST
    data = index_manifest(list(children), media_type)
    digest = push_manifest(client, repository, tags, data, media_type)
    return PushedIndex(repository, tags, digest, media_type, data, children)


def push_oci_index(client: RegistryClient, repository: str, tags=("latest",), **options):
    """An OCI image index over linux/amd64 and linux/arm64/v8 OCI images."""
    return push_index(client, repository, tags, oci=True, **options)


def push_manifest_list(client: RegistryClient, repository: str, tags=("latest",), **options):
    """A Docker manifest list over linux/amd64 and linux/arm64/v8 schema 2 images."""
    return push_index(client, repository, tags, oci=False, **options)


# The gzipped empty tar old Docker images reference for steps that change no file (32 bytes).
EMPTY_LAYER_BYTES = bytes.fromhex(
    "1f8b080000096e8800ff621805a360148c5800080000ffff2eafb5ef00040000"
)
EMPTY_LAYER = Blob(
    digest_of(EMPTY_LAYER_BYTES),
    len(EMPTY_LAYER_BYTES),
    media_types.DOCKER_LAYER,
    diff_id=digest_of(bytes(1024)),
)


def push_image_with_empty_layer(client: RegistryClient, repository: str, tags=("latest",)):
    """A Docker schema 2 image whose layers are one random layer and then the empty layer,
    as ``docker build`` made them for a step like ``ENV`` or ``CMD``."""
    base = push_docker_image(client, repository, (), layer_size=4096, seed=f"{repository}|empty")
    client.upload_blob(repository, EMPTY_LAYER.digest, EMPTY_LAYER_BYTES, EMPTY_LAYER.size)
    layers = [*base.layers, EMPTY_LAYER]
    config_data = image_config(layers, base.platform)
    config = Blob(digest_of(config_data), len(config_data), media_types.DOCKER_CONFIG)
    client.upload_blob(repository, config.digest, config_data, config.size)
    data = image_manifest(config, layers, media_types.DOCKER_MANIFEST)
    digest = push_manifest(client, repository, tuple(tags), data, media_types.DOCKER_MANIFEST)
    return PushedImage(
        repository, tuple(tags), digest, media_types.DOCKER_MANIFEST, data, config,
        tuple(layers), base.platform,
    )  # fmt: skip


def push_tagged_images(
    client: RegistryClient, repository: str, tags=DEFAULT_TAGS, **options
) -> dict[str, PushedImage]:
    """One distinct small image per tag (for tag filter tests); ``options`` go to push_image."""
    options.setdefault("layer_size", 4096)
    return {tag: push_image(client, repository, (tag,), **options) for tag in tags}


COSIGN_SUFFIXES = (".sig", ".att", ".sbom")


def companion_tag(subject_digest: str, suffix: str = "") -> str:
    """The tag cosign (``.sig``, ``.att``, ``.sbom``) or the OCI referrers tag schema (no suffix)
    stores things about manifest ``subject_digest`` under: ``sha256-<hex><suffix>``."""
    algorithm, encoded = subject_digest.split(":", 1)
    return f"{algorithm}-{encoded}{suffix}"


def push_companion(
    client: RegistryClient, repository: str, subject_digest: str, suffix: str = ""
) -> PushedImage:
    """A small OCI image tagged as a companion of ``subject_digest`` (see ``companion_tag``).

    It stands in for a cosign signature, attestation or SBOM, or a referrers index: syncs treat
    a companion by its tag, whatever the manifest holds.
    """
    tag = companion_tag(subject_digest, suffix)
    return push_image(client, repository, (tag,), oci=True, layer_size=512, files_per_layer=1)
