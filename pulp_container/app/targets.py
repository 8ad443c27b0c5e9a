"""The one name resolver: what a requested repository name is served from.

A name is either served by a local distribution of that exact base path (`LocalTarget`), or it
falls under a pull-through distribution's prefix (`PullThroughTarget`, whether it was pulled
before or not: the per-name distribution a pull-through creates follows it), or it is unknown
(None). The registry's handlers (``registry/base.py``), the token service
(``auth/service.py``) and the pull permission checks (``auth/permissions.py``) all ask here,
so the three cannot disagree.

Each target hands out the `Store` its name is read from (``stores/protocol.py``): the handlers
never ask which kind they hold.

Package layering (an arrow: "may import"; ``tests/unit/test_layering.py`` fails on a cycle)::

    registry (handlers) ─> auth ─> targets ─> pullthrough ─> stores ─> fetch ─> upstream
                                                                     (one blob fetcher)
    and each of them ─> oci, errors, models, db (below everything)
"""

from dataclasses import dataclass

from pulp_container.app import errors
from pulp_container.app.pullthrough import resolver, serving
from pulp_container.app.stores import served
from pulp_container.app.stores.local import ServedStore


@dataclass(frozen=True)
class LocalTarget:
    """A name served by the distribution of that exact base path."""

    distribution: served.Served
    through = False

    @property
    def version_pk(self):
        return self.distribution.version_pk

    def store(self):
        """The Store of what the distribution serves. Blocking (no query).

        Raises:
            RegistryError: NAME_UNKNOWN when it serves no repository version.
        """
        if self.distribution.version_pk is None:
            raise errors.RegistryError(
                errors.NAME_UNKNOWN,
                detail={"name": self.distribution.base_path},
                message=(
                    f"distribution {self.distribution.base_path!r} serves no repository version"
                ),
            )
        return ServedStore(self.distribution)


@dataclass(frozen=True)
class PullThroughTarget:
    """A name under a pull-through distribution (``distribution`` is its
    ``resolver.PullThrough``: the pull-through distribution decides who may pull)."""

    distribution: resolver.PullThrough
    cache: served.Served | None = None
    """The distribution serving the name's cache, when it has one serving a version."""
    through = True
    version_pk = None

    def store(self):
        """The pull-through Store of the name, composing the local store of its cache (local
        first, then upstream, then keep). Blocking (may load the remote).

        Raises:
            RegistryError: NAME_UNKNOWN for a name its remote's filters leave out.
        """
        local = None if self.cache is None else ServedStore(self.cache)
        return serving.store_for(self.distribution, local)


def resolve(name):
    """The target `name` is served from, or None. Blocking: one query for a plain
    distribution's name, and the pull-through distribution's two only under a prefix."""
    distribution, under_pull_through = served.find(name)
    if under_pull_through:
        through = resolver.find(name)
        if through is not None:
            return PullThroughTarget(through, _cache_of(through, distribution))
    if distribution is not None:
        return LocalTarget(distribution)
    return None


def _cache_of(through, distribution):
    """`distribution` (of the name asked for) when it is the one serving the name's cache and
    serves a version; else None."""
    if distribution is None or through.cache is None or distribution.version_pk is None:
        return None
    return distribution if distribution.pk == through.cache.distribution_pk else None
