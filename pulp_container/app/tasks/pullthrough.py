"""The task writing a new version of a pull-through cache's repository.

The content app stores what it fetches as content units at once and dispatches this task with
the repository as its exclusive resource. The new version holds everything the cache has so
far: the manifests upstream answered for, the tags pointing at them (a moved tag replaces the
old one: one tag per name), and every blob the cache knows from upstream. Nothing new, no
version. Only the newest version is kept.
"""

from logging import getLogger

from django.db.models import Q
from pulpcore.plugin.models import Content
from pulpcore.plugin.stages import DeclarativeContent
from pulpcore.plugin.util import get_domain

from pulp_container.app.content_units import LISTED, save_relations
from pulp_container.app.models import (
    Blob,
    ContainerRepository,
    Manifest,
    PullThroughAnswer,
    PullThroughCache,
    Tag,
)
from pulp_container.app.oci.exceptions import ManifestInvalid
from pulp_container.app.oci.manifest import parse_manifest
from pulp_container.app.oci.reference import is_valid_digest
from pulp_container.app.upstream import plan
from pulp_container.constants import MANIFEST_LIST_MEDIA_TYPES

log = getLogger(__name__)


def add_cached_content(cache_pk):
    """Write a version of the cache's repository holding all the cache has fetched.

    Args:
        cache_pk: the PullThroughCache. Gone (the repository was deleted): nothing to do.
    """
    cache = PullThroughCache.objects.filter(pk=cache_pk).first()
    if cache is None:
        return
    # Lowered before reading: content written after this point raises it again.
    PullThroughCache.objects.filter(pk=cache_pk).update(version_wanted=False)
    domain = get_domain()
    answers = list(
        PullThroughAnswer.objects.filter(cache_id=cache_pk, digest__isnull=False).values_list(
            "reference", "digest"
        )
    )
    manifests = list(
        Manifest.objects.filter(digest__in={digest for _, digest in answers}, _pulp_domain=domain)
    )
    _relate_lists(manifests)
    tags = Q()
    for reference, digest in answers:
        if not is_valid_digest(reference):
            tags |= Q(name=reference, tagged_manifest__digest=digest)
    tag_pks = Tag.objects.filter(tags, _pulp_domain=domain).values("pk") if tags else []
    blob_pks = Blob.objects.filter(
        contentartifact__remoteartifact__remote_id=cache.remote_id
    ).values("pk")
    content = Content.objects.filter(
        Q(pk__in=[manifest.pk for manifest in manifests]) | Q(pk__in=tag_pks) | Q(pk__in=blob_pks)
    )
    repository = ContainerRepository.objects.get(pk=cache.repository_id)
    with repository.new_version() as version:
        version.add_content(content)
    if not version.complete:
        return  # nothing new
    # retain_repo_versions=1 keeps one version besides the one the distribution serves (the
    # latest, protected): the cache keeps only the latest.
    for old in repository.versions.complete().exclude(pk=version.pk).order_by("number"):
        old.delete()
    log.info("Pull-through cache %s: version %s of %s", cache_pk, version.number, repository.name)


def _relate_lists(manifests):
    """Relate each cached index or list to the manifests it lists that are cached too."""
    by_digest = {manifest.digest: manifest for manifest in manifests}
    d_lists = []
    for manifest in manifests:
        if manifest.media_type not in MANIFEST_LIST_MEDIA_TYPES:
            continue
        try:
            parsed = parse_manifest(manifest.data.encode(), manifest.media_type)
        except ManifestInvalid:
            continue
        listed = [
            (by_digest[entry.digest], entry)
            for entry in plan.listed_to_fetch(parsed)
            if entry.digest in by_digest
        ]
        if listed:
            d_lists.append(DeclarativeContent(content=manifest, extra_data={LISTED: listed}))
    save_relations(d_lists)
