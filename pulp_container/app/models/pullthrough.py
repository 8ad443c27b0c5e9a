"""What pull-through keeps per upstream name: its cache objects, upstream answers and fetch leases."""

from django.db import models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from pulpcore.plugin.models import (
    BaseModel,
)

from .distributions import ContainerDistribution, ContainerPullThroughDistribution
from .remotes import ContainerRemote
from .repositories import ContainerRepository


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

    Written and read with plain SQL by ``fetch/lease.py``. A blob fetch also says where
    its bytes land (``host``, ``path``), how many there will be (``size``) and, once they are
    all there, that they match the digest (``verified``). A finished lease keeps what its
    holder returned (``result``) or raised (``error``).
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
    result = models.JSONField(null=True)


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
