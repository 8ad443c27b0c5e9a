"""Remotes: where a repository syncs from, and the upstream registry of a pull-through distribution."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from pulpcore.plugin.download import DownloaderFactory
from pulpcore.plugin.models import (
    AutoAddObjPermsMixin,
    Remote,
)

from ..upstream.challenge import pull_scope
from ..upstream.credentials import RegistryAuth
from ..upstream.downloaders import RegistryHttpDownloader
from ..upstream.timeouts import TimeoutDefaults, client_timeout


class RegistryDownloads:
    """Downloads from an upstream registry, for the remote models (mixed in before Remote).

    Every downloader of one remote object shares its RegistryAuth, so the upstream's tokens are
    fetched once per scope and reused; pulpcore's factory builds RegistryHttpDownloaders, which
    answer the upstream's auth challenges. A subclass's ``get_downloader`` names the scope.
    """

    @property
    def download_factory(self):
        """pulpcore's factory, building RegistryHttpDownloaders for http(s) URLs."""
        try:
            return self._download_factory
        except AttributeError:
            self._download_factory = DownloaderFactory(
                self,
                downloader_overrides={
                    "http": RegistryHttpDownloader,
                    "https": RegistryHttpDownloader,
                },
            )
            return self._download_factory

    @property
    def registry_auth(self):
        """Upstream credentials and tokens (kept per scope), shared by every downloader."""
        try:
            return self._registry_auth
        except AttributeError:
            self._registry_auth = RegistryAuth(self.username, self.password)
            return self._registry_auth

    @registry_auth.setter
    def registry_auth(self, registry_auth):
        """Use the tokens another object of this remote obtained (``upstream/kept.py``)."""
        self._registry_auth = registry_auth

    def upstream_timeout(self):
        """The aiohttp ClientTimeout of every request to the upstream (``upstream/timeouts.py``):
        this remote's timeout fields, the CONTAINER_UPSTREAM_* settings where they are null."""
        defaults = TimeoutDefaults(
            connect=settings.CONTAINER_UPSTREAM_CONNECT_TIMEOUT,
            read=settings.CONTAINER_UPSTREAM_READ_TIMEOUT,
        )
        return client_timeout(self, defaults)

    def get_downloader(self, remote_artifact=None, url=None, download_factory=None, **kwargs):
        kwargs.setdefault("registry_auth", self.registry_auth)
        kwargs.setdefault("timeout", self.upstream_timeout())
        return super().get_downloader(
            remote_artifact=remote_artifact, url=url, download_factory=download_factory, **kwargs
        )


class ContainerRemote(RegistryDownloads, Remote, AutoAddObjPermsMixin):
    """Where a repository syncs from: an upstream registry and one repository name on it."""

    TYPE = "container"

    upstream_name = models.TextField(db_index=True)
    include_tags = ArrayField(models.TextField(), null=True)
    exclude_tags = ArrayField(models.TextField(), null=True)

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        permissions = [
            ("manage_roles_containerremote", "Can manage roles on container remotes"),
        ]

    def get_downloader(self, remote_artifact=None, url=None, download_factory=None, **kwargs):
        """A downloader that answers the upstream's auth challenges with this remote's
        credentials; the sync and the content app (streaming on-demand blobs) both use it."""
        kwargs.setdefault("scope", pull_scope(self.upstream_name))
        return super().get_downloader(
            remote_artifact=remote_artifact, url=url, download_factory=download_factory, **kwargs
        )


class ContainerPullThroughRemote(RegistryDownloads, Remote, AutoAddObjPermsMixin):
    """An upstream registry whose repositories a pull-through distribution serves on demand.

    Unlike a ContainerRemote it names no repository: the client's path picks one. ``includes``
    and ``excludes`` are shell-style wildcards over upstream repository names.
    """

    TYPE = "pull-through"

    includes = ArrayField(models.TextField(), null=True)
    excludes = ArrayField(models.TextField(), null=True)

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        permissions = [
            (
                "manage_roles_containerpullthroughremote",
                "Can manage roles on container pull-through remotes",
            ),
        ]

    def get_downloader(self, remote_artifact=None, url=None, download_factory=None, **kwargs):
        """A downloader for `url` on the upstream repository ``upstream_name`` (a keyword)."""
        kwargs.setdefault("scope", pull_scope(kwargs.pop("upstream_name")))
        return super().get_downloader(
            remote_artifact=remote_artifact, url=url, download_factory=download_factory, **kwargs
        )
