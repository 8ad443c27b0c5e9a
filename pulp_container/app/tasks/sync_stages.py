"""The sync pipeline's own stages: the first stage, and a ContentSaver that writes relations.

The first stage reads the upstream repository: its tag list (every page), each tag's manifest,
every manifest an index or list names, and the image configs (labels, architecture, os). It
puts an image's blobs into the pipeline as soon as the image is read, so they download while
other manifests are read; then it waits until every blob is saved, puts the manifests that
relate to them and waits, and puts the tags. The stock stages download, deduplicate, save and
associate.
"""

import asyncio
from dataclasses import dataclass
from gettext import gettext as _
from logging import getLogger
from pathlib import Path

import aiohttp
from pulpcore.plugin.constants import TASK_STATES
from pulpcore.plugin.download import DownloadResult
from pulpcore.plugin.exceptions import DigestValidationError, SyncError
from pulpcore.plugin.models import Artifact, ProgressReport, Remote
from pulpcore.plugin.stages import Stage

from pulp_container.app.compat import AfterSaveContentSaver
from pulp_container.app.content_units import (
    blob_content,
    manifest_content,
    save_relations,
    tag_content,
)
from pulp_container.app.models import Manifest
from pulp_container.app.oci.digest import verify_digest
from pulp_container.app.oci.exceptions import DigestMismatch, ManifestInvalid
from pulp_container.app.oci.manifest import Manifest as OciManifest
from pulp_container.app.oci.manifest import parse_manifest
from pulp_container.app.oci.reference import parse_digest, split_include_filters
from pulp_container.app.upstream import plan
from pulp_container.app.upstream.challenge import ChallengeInvalid
from pulp_container.app.upstream.downloaders import BodyTooLarge
from pulp_container.app.upstream.urls import LinkInvalid, RegistryURLs, next_page
from pulp_container.constants import (
    HEADER_ACCEPT,
    HEADER_CONTENT_TYPE,
    HEADER_DOCKER_CONTENT_DIGEST,
    HEADER_LINK,
    MANIFEST_ACCEPT_HEADER,
)

log = getLogger(__name__)

# Tags whose manifests are fetched and declared at the same time.
TAGS_IN_FLIGHT = 50
# How deep indexes may nest (an index listing an index listing images is depth 2).
MAX_LIST_DEPTH = 8


def _refusal(error, url):
    """A SyncError for an upstream that answered `url` with an HTTP error."""
    hint = ""
    if error.status == 401:
        hint = _(" Check the remote's username and password.")
    elif error.status == 404:
        hint = _(" Check the remote's url and upstream_name.")
    return SyncError(
        _("GET {url} answered {status} {reason}.{hint}").format(
            url=error.request_info.real_url if error.request_info else url,
            status=error.status,
            reason=error.message,
            hint=hint,
        )
    )


@dataclass(frozen=True)
class _Fetched:
    """A finished download: `body` for in-memory downloads, else the file in ``result.path``."""

    body: bytes | None
    result: DownloadResult


@dataclass
class _Read:
    """A manifest as read from upstream (or from Pulp, when already stored)."""

    manifest: OciManifest
    config_bytes: bytes | None = None
    config_artifact: Artifact | None = None
    depth: int = 0  # 0 for images; a list is one deeper than its deepest entry


class ContainerFirstStage(Stage):
    """Declares the upstream repository's tags (within the remote's filters) and all they need.

    Besides tags, the remote's ``includes`` may name manifests by digest: they are synced
    untagged, and skipped (reported in a progress report) when upstream lacks them. The
    companion tags of every selected manifest (``oci/companions.py``) come along when upstream
    lists them and no exclude pattern leaves them out.

    It works in rounds so the pipeline sees large batches: read every tag's manifest and
    whatever it lists, putting each image's blobs as it is read; wait until every blob is
    saved; put the image manifests and wait; then the lists, innermost first; then the tags.

    Args:
        remote: the ContainerRemote; its policy decides whether blobs are downloaded now.
    """

    def __init__(self, remote):
        super().__init__()
        self.remote = remote
        self.urls = RegistryURLs.for_remote(remote)
        self.deferred = remote.policy != Remote.IMMEDIATE
        self._slots = asyncio.Semaphore(TAGS_IN_FLIGHT)
        self._reads = {}  # digest -> Task giving the _Read of that manifest, one per sync
        self._saved_blobs = {}  # digest -> Task giving the saved Blob, one per blob put
        self._progress = {}

    async def run(self):
        listed = await self._list_tags()
        includes, excludes = self.remote.include_tags, self.remote.exclude_tags
        tags = plan.select_tags(listed, includes, excludes)
        pinned = split_include_filters(includes)[1]
        log.info("Syncing %d tags and %d digests of %s", len(tags), len(pinned), self.urls.tags())
        async with (
            ProgressReport(
                message=_("Processing tags"), code="sync.processing.tags", total=len(tags)
            ) as self._progress["tags"],
            ProgressReport(
                message=_("Processing manifests"), code="sync.processing.manifests"
            ) as self._progress["manifests"],
            ProgressReport(
                message=_("Processing blobs"), code="sync.processing.blobs"
            ) as self._progress["blobs"],
        ):
            try:
                tagged = await self._read_tags(tags)
                found = await self._read_pinned(pinned)
                companions = plan.select_companions(
                    {*tagged.values(), *found}, listed, tags, excludes
                )
                if companions:
                    self._progress["tags"].total += len(companions)
                    tagged.update(await self._read_tags(companions))
                reads = {digest: task.result() for digest, task in self._reads.items()}
                blobs = await self._blobs_saved()
            finally:
                for task in self._saved_blobs.values():
                    task.cancel()  # when it failed; a saved blob's task is done already
            manifests = await self._save_manifests(reads, blobs)
            for tag, digest in tagged.items():
                await self.put(tag_content(tag, manifests[digest]))
        await self._report_missing([digest for digest in pinned if digest not in found])

    # --- I/O ------------------------------------------------------------------------------

    async def _fetch(self, url, missing_ok=False, **kwargs):
        """Download `url` with the remote's downloader; HTTP errors become SyncErrors.

        Returns:
            _Fetched, or None for a 404 when `missing_ok`.
        """
        downloader = self.remote.get_downloader(url=url, **kwargs)
        try:
            result = await downloader.run()
        except aiohttp.ClientResponseError as error:
            if missing_ok and error.status == 404:
                return None
            raise _refusal(error, url) from error
        except (ChallengeInvalid, BodyTooLarge) as error:
            raise SyncError(_("Cannot read {url}: {error}").format(url=url, error=error)) from error
        return _Fetched(downloader.body, result)

    async def _list_tags(self):
        """Every tag upstream lists (all pages), unfiltered."""
        tags, url, seen = [], self.urls.tags(), set()
        async with ProgressReport(message=_("Fetching tags"), code="sync.fetching.tags") as pb:
            while url and url not in seen:
                seen.add(url)
                fetched = await self._fetch(url, in_memory=True)
                try:
                    tags.extend(plan.parse_tag_page(fetched.body))
                    url = next_page(fetched.result.headers.get(HEADER_LINK), url)
                except (plan.TagListInvalid, LinkInvalid) as error:
                    raise SyncError(_("Cannot read {url}: {error}").format(url=url, error=error))
                pb.done = len(tags)
                await pb.asave()
        return tags

    async def _fetch_manifest(self, reference, requested=None, missing_ok=False):
        url = self.urls.manifest(reference)
        fetched = await self._fetch(
            url,
            missing_ok=missing_ok,
            in_memory=True,
            headers={HEADER_ACCEPT: MANIFEST_ACCEPT_HEADER},
        )
        if fetched is None:
            return None
        headers = fetched.result.headers
        try:
            return plan.read_manifest(
                fetched.body,
                headers.get(HEADER_CONTENT_TYPE),
                claimed=headers.get(HEADER_DOCKER_CONTENT_DIGEST),
                requested=requested,
            )
        except DigestMismatch as error:
            raise DigestValidationError(error.actual, error.expected, url=url) from error
        except ManifestInvalid as error:
            raise SyncError(
                _("The manifest at {url} is invalid: {error}").format(url=url, error=error)
            ) from error

    async def _stored_manifest(self, digest):
        """The manifest as Pulp already stores it, parsed; None when it is new."""
        stored = (
            await Manifest.objects.filter(digest=digest, _pulp_domain=self.domain)
            .only("data", "media_type")
            .afirst()
        )
        if stored is None:
            return None
        return parse_manifest(stored.data.encode("utf-8"), stored.media_type)

    async def _read_config(self, manifest):
        """(config bytes, downloaded Artifact or None) of a new image manifest, else (None,)*2.

        The config is small and gives labels, architecture and os. With the immediate policy
        the download becomes the config blob's artifact, so it is fetched once.
        """
        if not plan.wants_config(manifest):
            return None, None
        if await Manifest.objects.filter(
            digest=manifest.digest, _pulp_domain=self.domain
        ).aexists():
            return None, None
        config = manifest.config
        url = self.urls.blob(config.digest)
        if self.deferred:
            fetched = await self._fetch(url, in_memory=True, expected_size=config.size)
            try:
                verify_digest(fetched.body, config.digest)
            except DigestMismatch as error:
                raise DigestValidationError(error.actual, error.expected, url=url) from error
            return fetched.body, None
        digest = parse_digest(config.digest)
        fetched = await self._fetch(
            url, expected_digests={digest.algorithm: digest.encoded}, expected_size=config.size
        )
        result = fetched.result
        return Path(result.path).read_bytes(), Artifact(
            **result.artifact_attributes, file=result.path
        )

    # --- reading ---------------------------------------------------------------------------

    async def _together(self, coroutines):
        """Await `coroutines` concurrently; once one fails, cancel the others and their reads."""
        tasks = [asyncio.ensure_future(coroutine) for coroutine in coroutines]
        try:
            return await asyncio.gather(*tasks)
        finally:
            pending = [t for t in (*tasks, *self._reads.values()) if not t.done()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _read_tags(self, tags):
        """Read every tag's manifest and all it lists; returns {tag: manifest digest}."""
        digests = await self._together(self._read_tag(tag) for tag in tags)
        read = zip(tags, digests, strict=True)
        return {tag: digest for tag, digest in read if digest is not None}

    async def _read_tag(self, tag):
        async with self._slots:
            manifest = await self._fetch_manifest(tag, missing_ok=True)
            if manifest is None:
                # Listed but gone (deleted meanwhile, or a dangling tag): upstream has no such tag.
                log.warning("Tag %s of %s is listed but has no manifest", tag, self.urls.tags())
            else:
                await self._once(manifest.digest, lambda: self._read(manifest, 0))
        await self._progress["tags"].aincrement()
        return manifest.digest if manifest else None

    async def _read_pinned(self, digests):
        """Read the manifests the remote includes by digest (and all they list).

        Returns:
            The digests upstream has; the others are left out (see ``_report_missing``).
        """
        found = await self._together(self._read_one_pinned(digest) for digest in digests)
        return [digest for digest in found if digest is not None]

    async def _read_one_pinned(self, digest):
        async with self._slots:
            manifest = await self._fetch_manifest(digest, requested=digest, missing_ok=True)
            if manifest is None:
                log.warning("Upstream %s has no manifest %s", self.urls.tags(), digest)
                return None
            await self._once(digest, lambda: self._read(manifest, 0))
        return digest

    async def _report_missing(self, digests):
        """A finished progress report naming the included digests upstream does not have."""
        if not digests:
            return
        message = _("Skipped, upstream has no such manifest: {digests}").format(
            digests=", ".join(digests)
        )
        await ProgressReport(
            message=message,
            code="sync.skipped.digests",
            total=len(digests),
            done=len(digests),
            state=TASK_STATES.COMPLETED,
        ).asave()

    async def _once(self, digest, read):
        """The _Read of manifest `digest`, reading it (``await read()``) once per sync."""
        task = self._reads.get(digest)
        if task is None:
            task = self._reads[digest] = asyncio.ensure_future(read())
        return await task

    async def _read_listed(self, digest, nesting):
        async def read():
            manifest = await self._stored_manifest(digest)
            if manifest is None:
                manifest = await self._fetch_manifest(digest, requested=digest)
            return await self._read(manifest, nesting)

        return await self._once(digest, read)

    async def _read(self, manifest, nesting):
        if not manifest.is_list:
            read = _Read(manifest, *await self._read_config(manifest))
            await self._put_blobs(read)
            return read
        if nesting >= MAX_LIST_DEPTH:
            raise SyncError(
                _("Index {digest} nests more than {limit} levels deep.").format(
                    digest=manifest.digest, limit=MAX_LIST_DEPTH
                )
            )
        entries = plan.listed_to_fetch(manifest)
        listed = await asyncio.gather(
            *(self._read_listed(entry.digest, nesting + 1) for entry in entries)
        )
        return _Read(manifest, depth=1 + max((read.depth for read in listed), default=0))

    # --- saving ----------------------------------------------------------------------------

    async def _put_blobs(self, read):
        """Put the blobs of image `read` that this sync has not put yet.

        Each is awaited at once (its resolution asked for), so the batching stages hand it on
        without waiting for a full batch: downloads start while other manifests are read.
        """
        config = read.manifest.config
        for ref in plan.blobs_to_declare(read.manifest):
            if ref.digest in self._saved_blobs:
                continue
            artifact = read.config_artifact if config and ref.digest == config.digest else None
            d_blob = blob_content(
                self.remote, ref.digest, ref.size, deferred=self.deferred, artifact=artifact
            )
            self._saved_blobs[ref.digest] = asyncio.ensure_future(d_blob.resolution())
            await self.put(d_blob)
            await self._progress["blobs"].aincrement()

    async def _blobs_saved(self):
        """{digest: saved Blob} of every blob put, once all are saved."""
        saved = await asyncio.gather(*self._saved_blobs.values())
        return dict(zip(self._saved_blobs, saved, strict=True))

    async def _save_manifests(self, reads, blobs):
        """Put the manifests, images first, each list after what it lists.

        Returns:
            {digest: saved Manifest}
        """
        saved = {}
        for depth in sorted({read.depth for read in reads.values()}):
            level = [read for read in reads.values() if read.depth == depth]
            d_manifests = [self._manifest_content(read, blobs, saved) for read in level]
            for d_manifest in d_manifests:
                await self.put(d_manifest)
            for read, manifest in zip(
                level,
                await asyncio.gather(*(d.resolution() for d in d_manifests)),
                strict=True,
            ):
                saved[read.manifest.digest] = manifest
            await self._progress["manifests"].aincrease_by(len(level))
        return saved

    @staticmethod
    def _manifest_content(read, blobs, saved):
        manifest = read.manifest
        if manifest.is_list:
            entries = plan.listed_to_fetch(manifest)
            return manifest_content(
                manifest, listed=[(saved[entry.digest], entry) for entry in entries]
            )
        config = manifest.config.digest if manifest.config else None
        refs = plan.blobs_to_declare(manifest)
        return manifest_content(
            manifest,
            config_bytes=read.config_bytes,
            config_blob=blobs.get(config),
            blobs=[blobs[ref.digest] for ref in refs if ref.digest != config],
        )


class ContainerContentSaver(AfterSaveContentSaver):
    """ContentSaver that also writes manifest -> layer and list -> manifest relations."""

    def after_save(self, batch):
        save_relations(batch)
