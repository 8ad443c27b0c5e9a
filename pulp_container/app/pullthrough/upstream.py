"""The upstream side of one pulled-through name: manifests and blobs on the remote registry.

Requests go through the pull-through remote's RegistryHttpDownloader, which answers Bearer
and Basic challenges with the remote's credentials and keeps tokens per scope. Each content
app process keeps one remote object per pull-through remote (reloaded when the remote
changes), so its HTTP session and tokens serve every request of that process. Nothing is
retried here: a client is waiting, and it retries itself.
"""

from pulp_container.app.models import ContainerPullThroughRemote
from pulp_container.app.upstream import failures
from pulp_container.app.upstream.kept import KeptPerRemote
from pulp_container.app.upstream.urls import RegistryURLs
from pulp_container.constants import HEADER_ACCEPT, MANIFEST_ACCEPT_HEADER

_remotes = KeptPerRemote("pullthrough.remotes")

# Bytes of a blob aiohttp may read from upstream before the fetch takes them: its default
# (128 KiB) makes a blob cost many turns of the event loop (bench/README.md).
BLOB_READ_AHEAD = 2 * 1024 * 1024


def load_remote(pk, updated):
    """The process's ContainerPullThroughRemote `pk`, loaded again when it changed (`updated`
    is its ``pulp_last_updated`` as just read). Blocking."""
    return _remotes.get(pk, updated, lambda: ContainerPullThroughRemote.objects.get(pk=pk))


class Upstream:
    """Repository `name` on the registry of a pull-through `remote`."""

    def __init__(self, remote, name):
        self.remote = remote
        self.name = name
        self.urls = RegistryURLs(remote.url, name)

    def where(self, kind=failures.MANIFEST, reference=""):
        return failures.Where(self.urls.base, self.name, kind, reference)

    def _downloader(self, url, **kwargs):
        downloader = self.remote.get_downloader(url=url, upstream_name=self.name, **kwargs)
        downloader.max_retries = 0
        return downloader

    async def manifest(self, reference, method="GET"):
        """(status, headers, body) of the manifest `reference`; HEAD gives an empty body.

        Raises:
            RegistryError: no answer (connection, timeout, token endpoint refusing).
        """
        downloader = self._downloader(
            self.urls.manifest(reference), headers={HEADER_ACCEPT: MANIFEST_ACCEPT_HEADER}
        )
        try:
            return await downloader.request(method)
        except failures.UPSTREAM_EXCEPTIONS as exc:
            raise failures.from_exception(exc, self.where(failures.MANIFEST, reference)) from exc

    async def blob_head(self, digest):
        """(status, headers) of ``HEAD`` on the blob.

        Raises:
            RegistryError: no answer.
        """
        downloader = self._downloader(self.urls.blob(digest))
        try:
            status, headers, _ = await downloader.request("HEAD")
        except failures.UPSTREAM_EXCEPTIONS as exc:
            raise failures.from_exception(exc, self.where(failures.BLOB, digest)) from exc
        return status, headers

    def blob_response(self, digest):
        """``async with`` it: upstream's response to ``GET`` of the blob, body unread (see
        ``RegistryHttpDownloader.response``), read ahead up to BLOB_READ_AHEAD bytes."""
        return self._downloader(self.urls.blob(digest)).response(
            "GET", read_bufsize=BLOB_READ_AHEAD // 2
        )
