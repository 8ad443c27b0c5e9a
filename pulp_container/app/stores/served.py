"""What a registry name is served from: the distribution of that base path and the version it
serves, found with one precompiled query (``db/compiled.py``) on every request.

Not ``Handler._match_distribution``: that one matches any prefix of the path (and answers
listings and redirects for partial ones), where a registry name must match exactly, and it
loads eight related models on every request (its cost: bench/README.md).
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Subquery, Value
from pulpcore.plugin.models import RepositoryVersion
from pulpcore.plugin.util import get_domain

from pulp_container.app.db.compiled import CompiledQuery
from pulp_container.app.models import ContainerDistribution, ContainerPullThroughDistribution
from pulp_container.app.oci import names


@dataclass(frozen=True)
class Served:
    """The fields of a distribution a registry request needs, read without building models."""

    pk: object
    base_path: str
    private: bool
    content_guard_id: object
    version_pk: object
    """The pinned repository version, else the repository's latest complete one, or None."""
    following_repository_pk: object = None
    """The repository whose latest version is served; None when a version is pinned."""

    def model(self):
        """The ContainerDistribution itself (for content guards and object permissions)."""
        return ContainerDistribution.objects.get(pk=self.pk)


def _pull_through_prefixes(prefixes):
    return ContainerPullThroughDistribution.objects.filter(
        pulp_domain=get_domain(), name_prefix__in=prefixes
    )


def _lookup(name, prefixes):
    """The distribution named `name`: its fields, the latest complete version of its repository
    and whether one of `prefixes` is a pull-through distribution's."""
    latest = (
        RepositoryVersion.objects.filter(repository=OuterRef("repository_id"), complete=True)
        .order_by("-number")
        .values("pk")[:1]
    )
    under = Exists(_pull_through_prefixes(prefixes)) if prefixes else Value(False)
    return (
        ContainerDistribution.objects.filter(pulp_domain=get_domain(), base_path=name)
        .annotate(latest_version_pk=Subquery(latest), under=under)
        .values_list(
            "pk",
            "base_path",
            "private",
            "content_guard_id",
            "repository_version_id",
            "repository_id",
            "latest_version_pk",
            "under",
        )
        .order_by("pk")[:1]
    )


_query = CompiledQuery(_lookup)


def find(name):
    """The distribution whose base_path is exactly `name` (and the version it serves), and
    whether `name` falls under a pull-through distribution's prefix.

    Returns:
        (Served or None, bool), from one query: the pull-through test is a subquery, and with
        no distribution of that name a second query asks it alone. Blocking.
    """
    prefixes = names.ancestors(name)
    rows = _query.rows((get_domain().pk, len(prefixes)), name=name, prefixes=prefixes)
    if not rows:
        return None, bool(prefixes) and _pull_through_prefixes(prefixes).exists()
    pk, base_path, private, content_guard_id, pinned, repository_pk, latest_pk, under = rows[0]
    following = None if pinned else repository_pk
    return Served(pk, base_path, private, content_guard_id, pinned or latest_pk, following), under
