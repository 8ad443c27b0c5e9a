"""The sync task: a new repository version holding what the remote's upstream repository has."""

from gettext import gettext as _
from logging import getLogger

from pulpcore.plugin.exceptions import SyncError
from pulpcore.plugin.stages import (
    ArtifactDownloader,
    ArtifactResourceBudget,
    ArtifactSaver,
    DeclarativeVersion,
    QueryExistingArtifacts,
    QueryExistingContents,
    RemoteArtifactSaver,
    ResolveContentFutures,
)

from pulp_container.app.compat import create_version
from pulp_container.app.models import ContainerRemote, ContainerRepository, Manifest
from pulp_container.app.tasks.sync_stages import ContainerContentSaver, ContainerFirstStage

log = getLogger(__name__)

# Items a queue between two stages holds. pulpcore's default is 1: a stage then hands on one
# item at a time, and once the first stage waits for items (to relate manifests to saved
# blobs) every later stage saves them one per batch. A deep queue lets batches form.
QUEUE_SIZE = 500

# Existing manifests found by the pipeline are only related to, never read: leave their bytes.
DEFERRED_FIELDS = {Manifest: ("data",)}


class ContainerDeclarativeVersion(DeclarativeVersion):
    """DeclarativeVersion with the container ContentSaver (relations), no ACS stage, and deep
    queues between the stages."""

    def pipeline_stages(self, new_version):
        budget = ArtifactResourceBudget.from_settings()
        return [
            self.first_stage,
            QueryExistingArtifacts(),
            ArtifactDownloader(resource_budget=budget),
            ArtifactSaver(resource_budget=budget),
            QueryExistingContents(repo_version=new_version, deferred_fields=DEFERRED_FIELDS),
            ContainerContentSaver(),
            RemoteArtifactSaver(),
            ResolveContentFutures(),
        ]

    def create(self):
        """DeclarativeVersion.create with QUEUE_SIZE queues between the stages."""
        return create_version(self, queue_size=QUEUE_SIZE)


def synchronize(remote_pk, repository_pk, mirror=False):
    """Sync a container repository from its remote's upstream repository.

    Args:
        remote_pk: the ContainerRemote to read.
        repository_pk: the ContainerRepository to write a new version of.
        mirror: True: the new version holds exactly what upstream has (within the remote's
            tag filters). False: content is only added.

    The new version, if any, is the task's created resource; nothing changed, no version.

    Raises:
        SyncError: the remote has no url or upstream_name, or upstream refused or broke.
        DigestValidationError: a manifest or blob does not match its digest.
    """
    remote = ContainerRemote.objects.get(pk=remote_pk)
    repository = ContainerRepository.objects.get(pk=repository_pk)
    if not remote.url or not remote.upstream_name:
        raise SyncError(_("A remote needs a url and an upstream_name to sync from."))
    log.info(
        "Syncing %s from %s %s (policy %s, mirror %s)",
        repository.name, remote.url, remote.upstream_name, remote.policy, mirror,
    )  # fmt: skip
    first_stage = ContainerFirstStage(remote)
    ContainerDeclarativeVersion(first_stage, repository, mirror=mirror).create()
