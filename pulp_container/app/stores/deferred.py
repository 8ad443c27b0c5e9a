"""Blobs of on_demand and streamed repositories whose bytes are not stored yet.

`RemoteBlob` is what the local store returns for them: its RemoteArtifacts say where the bytes
are, and opening it fetches them through the one upstream blob fetcher (``fetch/blobs.py``):
once for all the clients asking at once, on every host. An on_demand blob's ContentArtifact
gets the Artifact before the clients get the last bytes (as with pulpcore's own on_demand
streaming); a streamed one is fetched again next time.

RemoteArtifacts whose last fetch failed its digest check are left out for pulpcore's
``REMOTE_CONTENT_FETCH_FAILURE_COOLDOWN``; with none left the blob answers
``503 UNAVAILABLE`` with ``Retry-After`` (``upstream/failures.cooling_down``: the blob is
known, its upstream failed). Those of
immediate remotes are never used: an immediate repository's blobs come back with its next
sync.
"""

import math
from datetime import timedelta
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db.models import Min
from django.utils import timezone
from pulpcore.plugin.models import ContentArtifact, Remote

from pulp_container.app import errors
from pulp_container.app.db.connections import replacing_broken_connection
from pulp_container.app.fetch import blobs as fetcher
from pulp_container.app.stores.stored import StoredBlob
from pulp_container.app.upstream import failures
from pulp_container.app.upstream.kept import KeptPerRemote

# One remote object per remote and process (its HTTP session and upstream tokens serve every
# fetch), made again when the remote is edited.
_remotes = KeptPerRemote("stores.deferred_remotes")


def _kept_remote(remote):
    """The process's detail object of `remote` (a master Remote just read). Blocking."""
    return _remotes.get(remote.pk, remote.pulp_last_updated, remote.cast)


def remote_blob(digest, content_artifact):
    """The RemoteBlob of `digest`, whose ContentArtifact has no artifact. Blocking."""
    now = timezone.now()
    cooldown = timedelta(seconds=settings.REMOTE_CONTENT_FETCH_FAILURE_COOLDOWN)
    candidates = content_artifact.remoteartifact_set.exclude(remote__policy=Remote.IMMEDIATE)
    usable = list(
        candidates.select_related("remote").exclude(failed_at__gte=now - cooldown).order_by_acs()
    )
    retry_in = 0
    if not usable:
        failed = candidates.aggregate(first=Min("failed_at"))["first"]
        if failed is not None:
            retry_in = max(1, math.ceil((failed + cooldown - now).total_seconds()))
    sources = tuple(
        fetcher.Source(
            remote=_kept_remote(remote_artifact.remote),
            url=remote_artifact.url,
            remote_artifact_pk=remote_artifact.pk,
            retries=remote_artifact.remote.max_retries or 0,
        )
        for remote_artifact in usable
    )
    size = next((ra.size for ra in usable if ra.size), None)
    keep = bool(usable) and usable[0].remote.policy != Remote.STREAMED
    return RemoteBlob(digest, content_artifact.pk, sources, size, keep, retry_in)


class RemoteBlob:
    """A blob known by its RemoteArtifacts only (a ``protocol.Blob``)."""

    stored = None

    def __init__(self, digest, content_artifact_pk, sources, size, keep, retry_in):
        self.digest = digest
        self.content_artifact_pk = content_artifact_pk
        self.sources = sources
        self._size = size
        self.keep = keep
        self.retry_in = retry_in

    def _fetchable(self):
        """Raises:
        RegistryError: UNAVAILABLE while every source cools down; BLOB_UNKNOWN with none."""
        if self.sources:
            return
        if self.retry_in:
            raise failures.cooling_down(self.digest, self.retry_in)
        raise errors.RegistryError(
            errors.BLOB_UNKNOWN,
            detail={"digest": self.digest},
            message=(
                "blob is not stored, and no remote may fetch it on demand (an immediate "
                "repository's blobs come back with its next sync)"
            ),
        )

    async def size(self):
        self._fetchable()
        return self._size

    def _job(self):
        first = self.sources[0]
        address = urlsplit(first.url)
        upstream = f"{address.scheme}://{address.netloc}"
        name = getattr(first.remote, "upstream_name", "") or ""
        where = failures.Where(upstream, name, failures.BLOB, self.digest)
        return fetcher.Job(
            key=f"blob:{self.digest}",
            digest=self.digest,
            sources=self.sources,
            where=where,
            size=self._size,
            keep=self.keep,
            stored_first=True,
            content_artifact_pk=self.content_artifact_pk,
        )

    async def open(self):
        """A StoredBlob, or a Feed of the bytes while they are fetched.

        Raises:
            RegistryError: as `size`, or the upstream failure.
        """
        self._fetchable()
        opened = await fetcher.open_blob(self._job())
        if isinstance(opened, fetcher.Fetched):
            return await _linked(self.digest, self.content_artifact_pk, opened.artifact_pk)
        return opened  # the fetch gives the ContentArtifact its artifact before the end


async def _linked(digest, content_artifact_pk, artifact_pk):
    """The StoredBlob of the ContentArtifact, its artifact set to `artifact_pk` if it had none."""
    return await sync_to_async(replacing_broken_connection)(
        _link, digest, content_artifact_pk, artifact_pk
    )


def _link(digest, content_artifact_pk, artifact_pk):
    ContentArtifact.objects.filter(pk=content_artifact_pk, artifact__isnull=True).update(
        artifact_id=artifact_pk
    )
    content_artifact = ContentArtifact.objects.select_related(
        "artifact", "artifact__pulp_domain"
    ).get(pk=content_artifact_pk)
    return StoredBlob(digest=digest, content_artifact=content_artifact)
