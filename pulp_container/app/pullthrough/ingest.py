"""Writing what was fetched through the cache: content units, upstream's answers, versions.

A fetched manifest is stored at once, from the content app, as the same units a sync makes
(``content_units.py``): the Manifest with its layer relations, a Tag when it was asked by tag,
and for every blob it needs a Blob whose ContentArtifact has a RemoteArtifact on the cache's
ContainerRemote (an on_demand blob). The answer row records what upstream said, when. The
repository version is not written here: a task (``tasks/pullthrough.py``) does it, with the
repository as its exclusive resource, and the client is answered without waiting for it.

Blocking functions; call them through ``sync_to_async``.
"""

from logging import getLogger

from django.db import transaction
from django.utils import timezone
from pulpcore.plugin.models import Artifact, ContentArtifact, RemoteArtifact
from pulpcore.plugin.tasking import dispatch
from pulpcore.plugin.util import get_domain

from pulp_container.app.content_units import (
    blob_content,
    manifest_content,
    save_relations,
    saved,
    tag_content,
)
from pulp_container.app.models import (
    Blob,
    ContainerRemote,
    ContainerRepository,
    Manifest,
    PullThroughAnswer,
    PullThroughCache,
)
from pulp_container.app.oci.reference import parse_digest, parse_reference
from pulp_container.app.tasks.pullthrough import add_cached_content
from pulp_container.app.upstream import plan
from pulp_container.app.upstream.urls import RegistryURLs

log = getLogger(__name__)


def _remote_artifacts(remote, blobs, refs):
    """Each blob's ContentArtifact, with a RemoteArtifact on `remote` (the cache's)."""
    content_artifacts = [
        ContentArtifact(content=blobs[ref.digest], relative_path=ref.digest, artifact=None)
        for ref in refs
    ]
    ContentArtifact.objects.bulk_get_or_create(
        sorted(content_artifacts, key=ContentArtifact.sort_key)
    )
    saved = {
        ca.relative_path: ca
        for ca in ContentArtifact.objects.filter(
            content__in=list(blobs.values()), relative_path__in=[ref.digest for ref in refs]
        )
    }
    urls = RegistryURLs.for_remote(remote)
    remote_artifacts = []
    for ref in refs:
        digest = parse_digest(ref.digest)
        remote_artifacts.append(
            RemoteArtifact(
                remote=remote,
                content_artifact=saved[ref.digest],
                url=urls.blob(ref.digest),
                size=ref.size,
                **{digest.algorithm: digest.encoded},
            )
        )
    RemoteArtifact.objects.bulk_create(remote_artifacts, ignore_conflicts=True)


def _save_manifest(remote, parsed):
    """The Manifest of `parsed` with its blobs (on_demand, from `remote`) and relations."""
    refs = sorted(plan.blobs_to_declare(parsed), key=lambda ref: ref.digest)
    blobs = {
        ref.digest: saved(blob_content(remote, ref.digest, ref.size, deferred=True).content)
        for ref in refs
    }
    if refs:
        _remote_artifacts(remote, blobs, refs)
    config = parsed.config.digest if parsed.config else None
    d_manifest = manifest_content(
        parsed,
        config_blob=blobs.get(config),
        blobs=[blob for digest, blob in blobs.items() if digest != config],
    )
    d_manifest.content = saved(d_manifest.content)
    save_relations([d_manifest])
    return d_manifest.content


def _answer(target, cache_pk, reference, digest=None, missing=None):
    """Record upstream's answer for `reference`; return the digest it pointed at before."""
    previous = (
        PullThroughAnswer.objects.filter(
            distribution_id=target.pk, upstream_name=target.upstream_name, reference=reference
        )
        .values_list("digest", flat=True)
        .first()
    )
    PullThroughAnswer.objects.bulk_create(
        [
            PullThroughAnswer(
                distribution_id=target.pk,
                upstream_name=target.upstream_name,
                reference=reference,
                cache_id=cache_pk,
                digest=digest,
                missing=missing,
                checked_at=timezone.now(),
            )
        ],
        update_conflicts=True,
        unique_fields=["distribution", "upstream_name", "reference"],
        update_fields=["cache", "digest", "missing", "checked_at"],
    )
    return previous


def record_manifest(target, cache, reference, parsed):
    """Store a manifest fetched for `reference` (tag or digest) and remember the answer.

    Returns:
        Whether the cache gained a manifest or a tag moved: then it wants a new version
        (``request_version``).
    """
    remote = ContainerRemote.objects.get(pk=cache.remote_pk)
    with transaction.atomic():
        manifest = _save_manifest(remote, parsed)
        ref = parse_reference(reference)
        if not ref.is_digest:
            saved(tag_content(ref.tag, manifest).content)
        previous = _answer(target, cache.pk, reference, digest=parsed.digest)
    return previous != parsed.digest


def record_missing(target, reference, code):
    """Remember that upstream answered 404 (`code`) for `reference`."""
    _answer(target, target.cache.pk if target.cache else None, reference, missing=code)


def touch(target, reference):
    """Upstream confirmed the cached answer for `reference`: fresh again."""
    PullThroughAnswer.objects.filter(
        distribution_id=target.pk, upstream_name=target.upstream_name, reference=reference
    ).update(checked_at=timezone.now())


def _fill_config_fields(digest, artifact):
    """Labels, architecture and os of the manifests whose config blob `digest` is, now that
    its bytes are stored (a manifest is answered before its config is fetched)."""
    manifests = Manifest.objects.filter(
        config_blob__digest=digest, config_blob___pulp_domain=get_domain(), os__isnull=True
    )
    if artifact.size > plan.CONFIG_READ_LIMIT or not manifests.exists():
        return
    with artifact.file.open("rb") as config:
        fields = plan.config_fields(config.read())
    if fields["os"] is not None or fields["labels"]:
        manifests.update(**fields)


def link_artifact(cache, digest, artifact):
    """Make `artifact` the bytes of the Blob `digest` (created if new) and, when the name has a
    cache, give it a RemoteArtifact on the cache's ContainerRemote (it is the cache's then).

    With `cache` None (a blob asked before any manifest of its name) the Blob keeps its bytes
    and nothing else: no repository, remote or distribution is created for a blob alone. The
    first manifest stored for the name that lists the blob adds the RemoteArtifact to this very
    ContentArtifact (``_remote_artifacts``), and the cache serves the bytes without fetching
    them again. Until then, like any bytes Pulp holds, they are served under the name only once
    upstream confirms having them there; never linked, orphan cleanup removes them.
    """
    remote = None if cache is None else ContainerRemote.objects.get(pk=cache.remote_pk)
    with transaction.atomic():
        blob = saved(Blob(digest=digest))
        content_artifact, _ = ContentArtifact.objects.get_or_create(
            content=blob, relative_path=digest, defaults={"artifact": artifact}
        )
        if content_artifact.artifact_id is None:
            content_artifact.artifact = artifact
            content_artifact.save()
        if remote is not None:
            parsed = parse_digest(digest)
            RemoteArtifact.objects.get_or_create(
                content_artifact=content_artifact,
                remote=remote,
                defaults={
                    "url": RegistryURLs.for_remote(remote).blob(digest),
                    "size": artifact.size,
                    parsed.algorithm: parsed.encoded,
                },
            )
    _fill_config_fields(digest, artifact)
    return ContentArtifact.objects.select_related("artifact", "artifact__pulp_domain").get(
        pk=content_artifact.pk
    )


def stored_artifact(digest):
    """An Artifact Pulp already holds with these bytes, or None."""
    parsed = parse_digest(digest)
    return Artifact.objects.filter(
        pulp_domain=get_domain(), **{parsed.algorithm: parsed.encoded}
    ).first()


def request_version(cache):
    """Dispatch the task writing a new version, unless one is waiting to start already.

    The flag is raised after the content is written and lowered by the task before it reads,
    so a waiting task always sees what was written before its flag was raised.
    """
    raised = PullThroughCache.objects.filter(pk=cache.pk, version_wanted=False).update(
        version_wanted=True
    )
    if not raised:
        return
    repository = ContainerRepository.objects.get(pk=cache.repository_pk)
    dispatch(
        add_cached_content,
        exclusive_resources=[repository],
        kwargs={"cache_pk": str(cache.pk)},
    )
