"""Which repository versions a distribution served recently, so that a pull begun before a
switch finishes with the image it began.

A registry client resolves a tag to a manifest, then asks for what the manifest names by
digest: blobs, and an index's manifests. When the distribution moved to another repository or
version in between (a PATCH, or a new latest version of its repository), those digests may not
be in the version served now. The registry then also looks in the versions the distribution
served within the grace period (``CONTAINER_SWITCH_GRACE_PERIOD`` seconds):

* a switch (``repository`` or ``repository_version`` changed) is written down on the version
  served until then, in its ``info`` (``switch_records.py``);
* a distribution that follows its repository's latest version also served every version of
  that repository that was the latest one at some moment of the grace period.

Only by-digest lookups fall back, and only to versions this distribution served: a tag always
resolves in the version served now, and nothing another distribution serves leaks through.
A version that removed manifests or blobs on purpose (a registry DELETE, ``remove_image/``) is
marked (`mark_removal`), and a followed repository's versions older than it are not fallen
back to: what was deleted answers 404 at once, as clients and the spec expect.
Deleted versions are gone for good: ``retain_repo_versions`` spares the versions switched away
from within the grace period (``ContainerRepository.cleanup_old_versions``), not the previous
latest versions of a followed repository, and a version may be deleted by hand at any time.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Subquery
from django.db.models.functions import Coalesce
from pulpcore.plugin.models import RepositoryVersion

from pulp_container.app.switch_records import KEY, newest_first, with_switch

# Versions looked at by one lookup that missed in the version served now.
MAX_RECENT = 10
# Switch records older than this (or the grace period) go when the version gets another one.
_KEEP_RECORDS = 86400
# RepositoryVersion.info key: the version removed content on purpose (`mark_removal`).
REMOVAL_KEY = "container_removal"


def grace_period():
    """Seconds a version stays servable by digest after the distribution stopped serving it."""
    return float(settings.CONTAINER_SWITCH_GRACE_PERIOD)


def served_version_pk(repository_pk, version_pk):
    """The version a distribution with these fields serves: the pinned one, else its
    repository's latest complete one (None without either)."""
    if version_pk is not None:
        return version_pk
    if repository_pk is None:
        return None
    return (
        RepositoryVersion.objects.filter(repository_id=repository_pk, complete=True)
        .order_by("-number")
        .values_list("pk", flat=True)
        .first()
    )


def mark_removal(version):
    """Mark the new (unsaved) `version` as one that removed manifests or blobs on purpose:
    by-digest lookups do not fall back past it (see the module's docstring)."""
    version.info = {**(version.info or {}), REMOVAL_KEY: True}


def record_switch(distribution_pk, version_pk, at):
    """Write down on `version_pk` that `distribution_pk` stopped serving it at `at` (epoch)."""
    with transaction.atomic():
        info = (
            RepositoryVersion.objects.select_for_update()
            .filter(pk=version_pk)
            .values_list("info", flat=True)
            .first()
        )
        if info is None:
            return
        keep = max(_KEEP_RECORDS, grace_period())
        served = with_switch(info.get(KEY), distribution_pk, at, keep)
        RepositoryVersion.objects.filter(pk=version_pk).update(info={**info, KEY: served})


def recent_version_pks(distribution_pk, following_repository_pk, current_pk, now):
    """The versions, newest first, that the distribution served within the grace period before
    `now` (epoch seconds) besides `current_pk`; at most MAX_RECENT.

    Args:
        distribution_pk: the distribution.
        following_repository_pk: the repository whose latest version it serves; None when it
            serves a pinned version.
        current_pk: the version it serves now.
        now: epoch seconds.
    """
    cutoff = now - grace_period()
    switched = RepositoryVersion.objects.filter(
        **{f"info__{KEY}__{distribution_pk}__gte": cutoff}
    ).values_list("pk", f"info__{KEY}__{distribution_pk}")
    following = []
    if following_repository_pk is not None:
        following = _latest_since(following_repository_pk, cutoff)
    return newest_first(following, list(switched), current_pk, MAX_RECENT)


def _latest_since(repository_pk, cutoff):
    """The versions of the repository that were its latest at some moment after `cutoff`,
    newest first: the one latest at the cutoff, and every one created since; none older than
    the newest version marked by `mark_removal`."""
    versions = RepositoryVersion.objects.filter(repository_id=repository_pk, complete=True)
    moment = datetime.datetime.fromtimestamp(cutoff, tz=datetime.UTC)
    at_cutoff = versions.filter(pulp_created__lt=moment).order_by("-number").values("number")[:1]
    removal = (
        versions.filter(**{f"info__{REMOVAL_KEY}": True}).order_by("-number").values("number")[:1]
    )
    since = versions.filter(number__gte=Coalesce(Subquery(at_cutoff), 0)).filter(
        number__gte=Coalesce(Subquery(removal), 0)
    )
    return list(since.order_by("-number").values_list("pk", flat=True)[: MAX_RECENT + 1])


def switched_away_recently(repository_pk, now):
    """Versions of the repository that a distribution stopped serving within the grace period
    before `now` (epoch seconds): pulls may still need them."""
    cutoff = now - grace_period()
    pks = []
    rows = RepositoryVersion.objects.filter(
        repository_id=repository_pk, **{f"info__{KEY}__isnull": False}
    ).values_list("pk", "info")
    for pk, info in rows:
        if any(stopped >= cutoff for stopped in (info.get(KEY) or {}).values()):
            pks.append(pk)
    return pks
