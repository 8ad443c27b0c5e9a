"""The sync pipeline's own stages: the first stage, and a ContentSaver that writes relations.

The first stage reads the upstream repository: its tag list (every page), each tag's manifest,
every manifest an index or list names, and the blobs image manifests need. It puts blobs into
the pipeline first and waits until they are saved before it puts the manifest that relates to
them; a tag follows its saved manifest. The stock stages download, deduplicate and associate.
"""

import asyncio
import os
from gettext import gettext as _
from logging import getLogger
from pathlib import Path

import aiohttp
from pulpcore.plugin.exceptions import DigestValidationError, SyncError
from pulpcore.plugin.models import Artifact, ProgressReport, Remote
from pulpcore.plugin.stages import ContentSaver, Stage

from pulp_container.app.content_units import (
    blob_content,
    manifest_content,
    save_relations,
    tag_content,
)
from pulp_container.app.models import Manifest
from pulp_container.app.oci.exceptions import DigestMismatch, ManifestInvalid
from pulp_container.app.oci.manifest import parse_manifest
from pulp_container.app.oci.reference import parse_digest
from pulp_container.app.upstream import plan
from pulp_container.app.upstream.challenge import ChallengeInvalid
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


def _read_and_remove(path):
    data = Path(path).read_bytes()
    os.unlink(path)
    return data


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


class ContainerFirstStage(Stage):
    """Declares the upstream repository's tags (within the remote's filters) and all they need.

    Args:
        remote: the ContainerRemote; its policy decides whether blobs are downloaded now.
    """

    def __init__(self, remote):
        super().__init__()
        self.remote = remote
        self.urls = RegistryURLs.for_remote(remote)
        self.deferred = remote.policy != Remote.IMMEDIATE
        self._slots = asyncio.Semaphore(TAGS_IN_FLIGHT)
        self._blobs = {}  # digest -> DeclarativeContent, one per blob in a sync
        self._manifests = {}  # digest -> Task giving the saved Manifest, one per manifest
        self._progress = {}

    async def run(self):
        tags = await self._list_tags()
        log.info("Syncing %d tags of %s", len(tags), self.urls.tags())
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
            tasks = [asyncio.ensure_future(self._sync_tag(tag)) for tag in tags]
            try:
                await asyncio.gather(*tasks)
            finally:
                pending = [t for t in (*tasks, *self._manifests.values()) if not t.done()]
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)

    # --- I/O ------------------------------------------------------------------------------

    async def _fetch(self, url, missing_ok=False, **kwargs):
        """Download `url` with the remote's downloader; HTTP errors become SyncErrors.

        With `missing_ok`, a 404 gives None.
        """
        downloader = self.remote.get_downloader(url=url, **kwargs)
        try:
            return await downloader.run()
        except aiohttp.ClientResponseError as error:
            if missing_ok and error.status == 404:
                return None
            raise _refusal(error, url) from error
        except ChallengeInvalid as error:
            raise SyncError(
                _("Cannot authenticate for {url}: {error}").format(url=url, error=error)
            ) from error

    async def _list_tags(self):
        tags, url, seen = [], self.urls.tags(), set()
        async with ProgressReport(message=_("Fetching tags"), code="sync.fetching.tags") as pb:
            while url and url not in seen:
                seen.add(url)
                result = await self._fetch(url)
                try:
                    tags.extend(plan.parse_tag_page(_read_and_remove(result.path)))
                    url = next_page(result.headers.get(HEADER_LINK), url)
                except (plan.TagListInvalid, LinkInvalid) as error:
                    raise SyncError(_("Cannot read {url}: {error}").format(url=url, error=error))
                pb.done = len(tags)
                await pb.asave()
        return plan.select_tags(tags, self.remote.include_tags, self.remote.exclude_tags)

    async def _fetch_manifest(self, reference, requested=None, missing_ok=False):
        url = self.urls.manifest(reference)
        result = await self._fetch(
            url, missing_ok=missing_ok, headers={HEADER_ACCEPT: MANIFEST_ACCEPT_HEADER}
        )
        if result is None:
            return None
        raw = _read_and_remove(result.path)
        try:
            return plan.read_manifest(
                raw,
                result.headers.get(HEADER_CONTENT_TYPE),
                claimed=result.headers.get(HEADER_DOCKER_CONTENT_DIGEST),
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
        digest = parse_digest(config.digest)
        result = await self._fetch(
            self.urls.blob(config.digest),
            expected_digests={digest.algorithm: digest.encoded},
            expected_size=config.size,
        )
        data = Path(result.path).read_bytes()
        if self.deferred:
            os.unlink(result.path)
            return data, None
        return data, Artifact(**result.artifact_attributes, file=result.path)

    # --- declaring content ----------------------------------------------------------------

    async def _sync_tag(self, tag):
        async with self._slots:
            manifest = await self._fetch_manifest(tag, missing_ok=True)
            if manifest is None:
                # Listed but gone (deleted meanwhile, or a dangling tag): upstream has no such tag.
                log.warning("Tag %s of %s is listed but has no manifest", tag, self.urls.tags())
            else:
                saved = await self._declared(manifest.digest, lambda: self._declare(manifest, 0))
                await self.put(tag_content(tag, saved))
        await self._progress["tags"].aincrement()

    async def _declared(self, digest, declare):
        """The saved manifest `digest`, declaring it (``await declare()``) once per sync."""
        task = self._manifests.get(digest)
        if task is None:
            task = self._manifests[digest] = asyncio.ensure_future(declare())
        return await task

    async def _listed(self, digest, depth):
        async def declare():
            manifest = await self._stored_manifest(digest)
            if manifest is None:
                manifest = await self._fetch_manifest(digest, requested=digest)
            return await self._declare(manifest, depth)

        return await self._declared(digest, declare)

    async def _declare(self, manifest, depth):
        if manifest.is_list:
            d_content = await self._list_content(manifest, depth)
        else:
            d_content = await self._image_content(manifest)
        await self.put(d_content)
        saved = await d_content.resolution()
        await self._progress["manifests"].aincrement()
        return saved

    async def _list_content(self, manifest, depth):
        if depth >= MAX_LIST_DEPTH:
            raise SyncError(
                _("Index {digest} nests more than {limit} levels deep.").format(
                    digest=manifest.digest, limit=MAX_LIST_DEPTH
                )
            )
        entries = plan.listed_to_fetch(manifest)
        children = await asyncio.gather(
            *(self._listed(entry.digest, depth + 1) for entry in entries)
        )
        return manifest_content(manifest, listed=list(zip(children, entries)))

    async def _image_content(self, manifest):
        config_bytes, config_artifact = await self._read_config(manifest)
        refs = plan.blobs_to_declare(manifest)
        config_digest = manifest.config.digest if manifest.config else None
        d_blobs = [
            await self._blob(ref, config_artifact if ref.digest == config_digest else None)
            for ref in refs
        ]
        saved = dict(
            zip(
                (ref.digest for ref in refs),
                await asyncio.gather(*(d_blob.resolution() for d_blob in d_blobs)),
            )
        )
        layers = [saved[ref.digest] for ref in refs if ref.digest != config_digest]
        return manifest_content(
            manifest,
            config_bytes=config_bytes,
            config_blob=saved.get(config_digest),
            blobs=layers,
        )

    async def _blob(self, ref, artifact=None):
        """The blob's DeclarativeContent, put into the pipeline the first time it is asked."""
        d_content = self._blobs.get(ref.digest)
        if d_content is None:
            d_content = self._blobs[ref.digest] = blob_content(
                self.remote, ref.digest, ref.size, deferred=self.deferred, artifact=artifact
            )
            await self.put(d_content)
            await self._progress["blobs"].aincrement()
        return d_content


class ContainerContentSaver(ContentSaver):
    """ContentSaver that also writes manifest -> layer and list -> manifest relations."""

    def _post_save(self, batch):
        save_relations(batch)
