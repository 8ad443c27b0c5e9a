"""Content, repository, remote and distribution models of the container plugin.

Models hold invariants and pulpcore hooks only; format logic lives in ``oci/``.
"""

import time
from logging import getLogger

from django.contrib.postgres.fields import ArrayField
from django.db import models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django_lifecycle import AFTER_UPDATE, BEFORE_SAVE, hook
from pulpcore.plugin.download import DownloaderFactory
from pulpcore.plugin.models import (
    AutoAddObjPermsMixin,
    BaseModel,
    Content,
    Distribution,
    Remote,
    Repository,
)
from pulpcore.plugin.repo_version_utils import remove_duplicates, validate_repo_version
from pulpcore.plugin.util import get_domain_pk

from pulp_container.constants import LABEL_PULL_THROUGH

from . import served_versions
from .namespaces import ContainerNamespace, ensure_namespace
from .oci.reference import namespace_of
from .upstream.challenge import pull_scope
from .upstream.credentials import RegistryAuth
from .upstream.downloaders import RegistryHttpDownloader

log = getLogger(__name__)


class Blob(Content):
    """A blob (config or layer) identified by its digest; its bytes are one artifact."""

    PROTECTED_FROM_RECLAIM = False

    TYPE = "blob"
    repo_key_fields = ("digest",)

    digest = models.TextField(db_index=True)
    _pulp_domain = models.ForeignKey("core.Domain", default=get_domain_pk, on_delete=models.PROTECT)

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        unique_together = ("digest", "_pulp_domain")


class Manifest(Content):
    """An image manifest, index or manifest list, stored as the exact bytes received.

    The digest is computed over ``data`` encoded as UTF-8, which gives back the received bytes.
    """

    PROTECTED_FROM_RECLAIM = False

    TYPE = "manifest"
    repo_key_fields = ("digest",)

    digest = models.TextField(db_index=True)
    media_type = models.TextField()
    schema_version = models.IntegerField()
    data = models.TextField()

    config_blob = models.ForeignKey(
        Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="config_of"
    )
    blobs = models.ManyToManyField(Blob, through="BlobManifest", related_name="layer_of")
    listed_manifests = models.ManyToManyField(
        "self",
        through="ManifestListManifest",
        through_fields=("manifest_list", "image_manifest"),
        symmetrical=False,
        related_name="listed_in",
    )
    annotations = models.JSONField(default=dict)
    labels = models.JSONField(default=dict)
    architecture = models.TextField(null=True, blank=True)
    os = models.TextField(null=True, blank=True)
    # Computed from the manifest (and its config, its listed manifests) when it is created:
    # upstream/plan.manifest_fields; the 0006 migration filled them for older rows.
    compressed_image_size = models.BigIntegerField(null=True)
    type = models.TextField(null=True)
    is_bootable = models.BooleanField(default=False)
    is_flatpak = models.BooleanField(default=False)

    _pulp_domain = models.ForeignKey("core.Domain", default=get_domain_pk, on_delete=models.PROTECT)

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        unique_together = ("digest", "_pulp_domain")


class BlobManifest(models.Model):
    """A layer (or schema 1 fsLayer) that a manifest references."""

    manifest = models.ForeignKey(Manifest, on_delete=models.CASCADE, related_name="blob_links")
    manifest_blob = models.ForeignKey(Blob, on_delete=models.CASCADE, related_name="manifest_links")

    class Meta:
        unique_together = ("manifest", "manifest_blob")


class ManifestListManifest(models.Model):
    """A manifest listed by an index or manifest list, with the platform it is for."""

    image_manifest = models.ForeignKey(
        Manifest, on_delete=models.CASCADE, related_name="image_manifest_links"
    )
    manifest_list = models.ForeignKey(
        Manifest, on_delete=models.CASCADE, related_name="manifest_list_links"
    )
    architecture = models.TextField(blank=True, default="")
    os = models.TextField(blank=True, default="")
    os_version = models.TextField(blank=True, default="")
    os_features = models.JSONField(default=list)
    features = models.JSONField(default=list)
    variant = models.TextField(blank=True, default="")
    annotations = models.JSONField(default=dict)

    class Meta:
        unique_together = ("image_manifest", "manifest_list")


class ManifestSignature(Content):
    """A signature of a manifest (atomic container signature or cosign).

    Signing is not supported yet: the model gives the REST contract's signatures endpoint its
    shape, and no path creates rows.
    """

    TYPE = "signature"
    repo_key_fields = ("key_id", "digest")

    name = models.TextField(db_index=True)
    digest = models.TextField(db_index=True)
    type = models.TextField()
    key_id = models.TextField(db_index=True)
    timestamp = models.BigIntegerField()
    creator = models.TextField(blank=True, default="")
    fingerprint = models.TextField(null=True)
    data = models.TextField()
    signed_manifest = models.ForeignKey(
        Manifest, on_delete=models.CASCADE, related_name="signatures"
    )
    _pulp_domain = models.ForeignKey("core.Domain", default=get_domain_pk, on_delete=models.PROTECT)

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        unique_together = ("digest", "_pulp_domain")


class Tag(Content):
    """A tag name pointing at one manifest; a repository version holds one tag per name."""

    TYPE = "tag"
    repo_key_fields = ("name",)

    name = models.TextField(db_index=True)
    tagged_manifest = models.ForeignKey(Manifest, on_delete=models.CASCADE, related_name="tags")
    _pulp_domain = models.ForeignKey("core.Domain", default=get_domain_pk, on_delete=models.PROTECT)

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        unique_together = ("name", "tagged_manifest", "_pulp_domain")


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

    def get_downloader(self, remote_artifact=None, url=None, download_factory=None, **kwargs):
        kwargs.setdefault("registry_auth", self.registry_auth)
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


class ContainerRepository(Repository, AutoAddObjPermsMixin):
    """A versioned set of tags, manifests and blobs."""

    TYPE = "container"
    CONTENT_TYPES = [Blob, Manifest, Tag, ManifestSignature]
    REMOTE_TYPES = [ContainerRemote]

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        permissions = [
            ("sync_containerrepository", "Can start a sync task"),
            ("modify_containerrepository", "Can modify content of the repository"),
            ("manage_roles_containerrepository", "Can manage roles on container repositories"),
            ("repair_containerrepository", "Can repair repository versions"),
        ]

    def finalize_new_version(self, new_version):
        """Keep one tag per name (the newest wins) and refuse versions with duplicates."""
        remove_duplicates(new_version)
        validate_repo_version(new_version)

    def cleanup_old_versions(self):
        """pulpcore's ``retain_repo_versions`` cleanup, which also spares the versions a
        distribution was switched away from within the grace period: pulls begun before the
        switch still read them (``served_versions.py``). Deleting one by hand is not refused."""
        self._sparing_switched_away = True
        try:
            super().cleanup_old_versions()
        finally:
            self._sparing_switched_away = False

    def protected_versions(self):
        """The versions distributions serve; during retention cleanup, also those a
        distribution was switched away from within the grace period."""
        protected = super().protected_versions()
        if not getattr(self, "_sparing_switched_away", False):
            return protected
        recent = served_versions.switched_away_recently(self.pk, time.time())
        return protected | self.versions.filter(pk__in=recent)


class ContainerPushRepository(Repository, AutoAddObjPermsMixin):
    """A repository registry clients push to (the REST contract's ``container-push``).

    Pushing is not served yet, so none exist; the endpoints answer as the contract says.
    """

    TYPE = "container-push"
    CONTENT_TYPES = [Blob, Manifest, Tag, ManifestSignature]

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        permissions = [
            ("modify_containerpushrepository", "Can modify content of the repository"),
            (
                "manage_roles_containerpushrepository",
                "Can manage roles on container push repositories",
            ),
            ("repair_containerpushrepository", "Can repair repository versions"),
        ]

    def finalize_new_version(self, new_version):
        """Keep one tag per name (the newest wins) and refuse versions with duplicates."""
        remove_duplicates(new_version)
        validate_repo_version(new_version)


class InNamespace:
    """Mixed into the distribution models: saving one links it to the namespace of its path.

    Creating the namespace costs the one statement of ``ensure_namespace``, made only when the
    distribution is created or its path changes.
    """

    NAMESPACE_PATH = "base_path"

    @hook(BEFORE_SAVE)
    def _link_namespace(self):
        path_field = self.NAMESPACE_PATH
        if self.namespace_id is not None and not self.has_changed(path_field):
            return
        name = namespace_of(getattr(self, path_field))
        self.namespace_id = ensure_namespace(self.pulp_domain_id, name)


def _namespace_field():
    return models.ForeignKey(
        ContainerNamespace,
        null=True,
        on_delete=models.PROTECT,
        related_name="%(app_label)s_%(class)s",
        help_text="The namespace of the first path component; set on save.",
    )


class ContainerDistribution(InNamespace, Distribution, AutoAddObjPermsMixin):
    """Serves a repository (its latest version) or one repository version to registry clients."""

    TYPE = "container"
    SERVE_FROM_PUBLICATION = False

    private = models.BooleanField(
        default=False, help_text="Restrict pulls to users with permission on this distribution."
    )
    description = models.TextField(null=True)
    namespace = _namespace_field()

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        permissions = [
            ("pull_containerdistribution", "Can pull from a registry repo"),
            ("manage_roles_containerdistribution", "Can manage roles on container distributions"),
        ]

    @hook(AFTER_UPDATE, when_any=["repository", "repository_version"], has_changed=True)
    def _remember_served_version(self):
        """Pulls begun before the switch finish from the version served until now."""
        before = served_versions.served_version_pk(
            self.initial_value("repository"), self.initial_value("repository_version")
        )
        now = served_versions.served_version_pk(self.repository_id, self.repository_version_id)
        if before is not None and before != now:
            served_versions.record_switch(self.pk, before, time.time())


# --- Pull-through caching ---------------------------------------------------------------------


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


class ContainerPullThroughDistribution(InNamespace, Distribution, AutoAddObjPermsMixin):
    """Serves ``<name_prefix>/<upstream name>`` from its remote's registry, keeping a copy.

    The first pull of a name creates a PullThroughCache: a repository, a ContainerRemote and a
    ContainerDistribution at ``<name_prefix>/<upstream name>`` (see ``pullthrough/resolver.py``).

    pulpcore refuses (with a database trigger) any distribution whose base_path lies under
    another's, so the prefix the REST API calls ``base_path`` is kept in ``name_prefix``, and
    pulpcore's ``base_path`` holds ``<name_prefix>@pull-through``: unique like the prefix,
    under no distribution the prefix may not be under, and the prefix of nothing.
    """

    TYPE = "pull-through"
    SERVE_FROM_PUBLICATION = False
    BASE_PATH_SUFFIX = "@pull-through"
    NAMESPACE_PATH = "name_prefix"

    name_prefix = models.TextField(
        db_index=True, help_text="Names under it are pulled through: <name_prefix>/<upstream name>."
    )
    private = models.BooleanField(
        default=False,
        help_text="Restrict pulls (through the cache and from it) to users with permission.",
    )
    description = models.TextField(null=True)
    namespace = _namespace_field()

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        permissions = [
            ("pull_containerpullthroughdistribution", "Can pull through the cache"),
            (
                "manage_roles_containerpullthroughdistribution",
                "Can manage roles on container pull-through distributions",
            ),
        ]

    @hook(BEFORE_SAVE)
    def _label_path(self):
        """Its path prefix goes into the label that clients written for 2.30 read it from.

        Set on every save, so it follows the prefix; a value given for it is replaced.
        """
        self.pulp_labels = {**(self.pulp_labels or {}), LABEL_PULL_THROUGH: self.name_prefix}

    @property
    def cache_distributions(self):
        """The distributions its caches created (the REST field ``distributions``)."""
        return ContainerDistribution.objects.filter(pull_through_cache__distribution=self)

    @hook(AFTER_UPDATE, when="private", has_changed=True)
    def _share_private_flag(self):
        """Its caches' distributions follow its private flag (the catalog reads theirs)."""
        ContainerDistribution.objects.filter(pull_through_cache__distribution=self).update(
            private=self.private
        )

    @hook(AFTER_UPDATE, when="hidden", has_changed=True)
    def _share_hidden_flag(self):
        """Its caches' distributions follow its hidden flag (the catalog leaves hidden out)."""
        ContainerDistribution.objects.filter(pull_through_cache__distribution=self).update(
            hidden=self.hidden
        )


class PullThroughCache(BaseModel):
    """What one upstream name of a pull-through distribution has become in Pulp.

    Deleting the repository (or its distribution or remote) deletes this row, and the signal
    below deletes the rest: the next pull starts afresh.
    """

    distribution = models.ForeignKey(
        ContainerPullThroughDistribution, on_delete=models.CASCADE, related_name="caches"
    )
    upstream_name = models.TextField()
    repository = models.OneToOneField(
        ContainerRepository, on_delete=models.CASCADE, related_name="pull_through_cache"
    )
    remote = models.OneToOneField(
        ContainerRemote, on_delete=models.CASCADE, related_name="pull_through_cache"
    )
    served_by = models.OneToOneField(
        ContainerDistribution, on_delete=models.CASCADE, related_name="pull_through_cache"
    )
    version_wanted = models.BooleanField(
        default=False, help_text="A task to write a new version is dispatched and not started."
    )

    class Meta:
        unique_together = ("distribution", "upstream_name")


class PullThroughAnswer(BaseModel):
    """What upstream last answered for a tag or digest of a name, and when.

    ``digest`` is the manifest it pointed at; None with ``missing`` holding the error code
    (NAME_UNKNOWN or MANIFEST_UNKNOWN) for a 404. Positive answers belong to a cache and go
    with it; negative ones may come before any cache exists.
    """

    distribution = models.ForeignKey(
        ContainerPullThroughDistribution, on_delete=models.CASCADE, related_name="answers"
    )
    upstream_name = models.TextField()
    reference = models.TextField()
    cache = models.ForeignKey(
        PullThroughCache, null=True, on_delete=models.CASCADE, related_name="answers"
    )
    digest = models.TextField(null=True)
    missing = models.TextField(null=True)
    checked_at = models.DateTimeField()

    class Meta:
        unique_together = ("distribution", "upstream_name", "reference")
        indexes = [models.Index(fields=["cache", "digest"])]


class PullThroughFetch(models.Model):
    """A lease: one content app process is fetching `key` from upstream; others wait for it.

    Written and read with plain SQL by ``pullthrough/lease.py``. A blob fetch also says where
    its bytes land (``host``, ``path``), how many there will be (``size``) and, once they are
    all there, that they match the digest (``verified``).
    """

    key = models.TextField(primary_key=True)
    owner = models.UUIDField()
    host = models.TextField()
    path = models.TextField(null=True)
    size = models.BigIntegerField(null=True)
    heartbeat_at = models.DateTimeField()
    verified = models.BooleanField(default=False)
    finished_at = models.DateTimeField(null=True)
    error = models.JSONField(null=True)


class RegistryLoginFailures(models.Model):
    """Failed registry logins of one user name or client address in its current window.

    Written and read by ``auth/throttle.py``; ``key`` is ``user:<name>`` or ``address:<ip>``.
    """

    key = models.TextField(primary_key=True)
    failures = models.IntegerField()
    window_start = models.DateTimeField()


@receiver(post_delete, sender=PullThroughCache)
def _delete_cache_objects(sender, instance, **kwargs):
    """A cache row goes with its repository; its remote and distribution go with it.

    After the commit: the deletion that removed the row may be removing one of them already.
    """
    remote_pk, distribution_pk = instance.remote_id, instance.served_by_id

    def delete_leftovers():
        ContainerRemote.objects.filter(pk=remote_pk).delete()
        ContainerDistribution.objects.filter(pk=distribution_pk).delete()

    transaction.on_commit(delete_leftovers)
