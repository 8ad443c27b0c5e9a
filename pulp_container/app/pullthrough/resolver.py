"""Which pull-through distribution a requested name falls under, and the objects of a name.

`find` maps ``<base_path>/<upstream name>`` to its pull-through distribution and the cache of
that name, if any (two queries, compiled once per process: ``db/compiled.py``; every
request for a pulled-through name makes them).
`ensure_cache` creates, when the first manifest of a name is stored (a blob alone creates
nothing: ``index.py``), the repository, the ContainerRemote and the ContainerDistribution that
keep and serve it, in one transaction. It is
the only place that creates them, and it is safe when several content app processes do it at
once: the unique constraints (names, base path, one cache per name) decide, and whoever loses
reads what the winner wrote.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime
from logging import getLogger

from django.db import IntegrityError, transaction
from pulpcore.plugin.models import Remote
from pulpcore.plugin.util import get_domain

from pulp_container.app import errors
from pulp_container.app.db.compiled import CompiledQuery
from pulp_container.app.models import (
    ContainerDistribution,
    ContainerPullThroughDistribution,
    ContainerPullThroughRemote,
    ContainerRemote,
    ContainerRepository,
    PullThroughCache,
)
from pulp_container.app.oci import names

log = getLogger(__name__)

# Fields of a pulpcore Remote that say how to reach the upstream: the per-name ContainerRemote
# copies them from the pull-through remote.
NETWORK_FIELDS = (
    "url",
    "ca_cert",
    "client_cert",
    "client_key",
    "tls_validation",
    "username",
    "password",
    "proxy_url",
    "proxy_username",
    "proxy_password",
    "download_concurrency",
    "max_retries",
    "total_timeout",
    "connect_timeout",
    "sock_connect_timeout",
    "sock_read_timeout",
    "headers",
    "rate_limit",
)


@dataclass(frozen=True)
class CacheRef:
    """The objects that keep one upstream name, by primary key."""

    pk: object
    repository_pk: object
    remote_pk: object
    distribution_pk: object


@dataclass(frozen=True)
class PullThrough:
    """A requested name under a pull-through distribution.

    ``name`` is what the client asked for, ``upstream_name`` the part after the base path.
    """

    pk: object
    base_path: str
    private: bool
    content_guard_id: object
    remote_pk: object
    remote_updated: datetime | None
    includes: tuple = field(default=(), compare=False)
    excludes: tuple = field(default=(), compare=False)
    name: str = ""
    upstream_name: str = ""
    cache: CacheRef | None = None

    def model(self):
        """The ContainerPullThroughDistribution (content guards, object permissions)."""
        return ContainerPullThroughDistribution.objects.get(pk=self.pk)


_CACHE_FIELDS = ("pk", "repository_id", "remote_id", "served_by_id")


def _distributions(prefixes):
    """The pull-through distribution with the longest of `prefixes`, as a row."""
    return (
        ContainerPullThroughDistribution.objects.filter(
            pulp_domain=get_domain(), name_prefix__in=prefixes
        )
        .order_by("-name_prefix")
        .values_list(
            "pk",
            "name_prefix",
            "private",
            "content_guard_id",
            "remote_id",
            "remote__pulp_last_updated",
            "remote__container_containerpullthroughremote__includes",
            "remote__container_containerpullthroughremote__excludes",
        )[:1]
    )


def _caches(prefix, upstream_name):
    """The cache of `upstream_name` under the pull-through distribution `prefix`, as a row."""
    return PullThroughCache.objects.filter(
        distribution__pulp_domain=get_domain(),
        distribution__name_prefix=prefix,
        upstream_name=upstream_name,
    ).values_list(*_CACHE_FIELDS)[:1]


_distribution_query = CompiledQuery(_distributions)
_cache_query = CompiledQuery(_caches)


def _cache_of(base_path, upstream_name):
    """The CacheRef of `upstream_name` under the pull-through distribution `base_path`, or
    None."""
    rows = _cache_query.rows((get_domain().pk,), prefix=base_path, upstream_name=upstream_name)
    return CacheRef(*rows[0]) if rows else None


def find(name):
    """The PullThrough `name` falls under, or None. Blocking (two small queries)."""
    candidates = names.ancestors(name)
    if not candidates:
        return None
    rows = _distribution_query.rows((get_domain().pk, len(candidates)), prefixes=candidates)
    if not rows:
        return None
    pk, base_path, private, guard, remote_pk, updated, includes, excludes = rows[0]
    upstream_name = names.upstream_name(name, base_path)
    return PullThrough(
        pk=pk,
        base_path=base_path,
        private=private,
        content_guard_id=guard,
        remote_pk=remote_pk,
        remote_updated=updated,
        includes=tuple(includes or ()),
        excludes=tuple(excludes or ()),
        name=name,
        upstream_name=upstream_name,
        cache=_cache_of(base_path, upstream_name or ""),
    )


def cache_of(target):
    """The CacheRef of `target`'s name as the database has it now, or None. Blocking."""
    return _cache_of(target.base_path, target.upstream_name)


def replace_cache(target, cache):
    """`target` with its CacheRef set."""
    return replace(target, cache=cache)


def ensure_cache(target):
    """The CacheRef of `target`'s name, creating its repository, remote and distribution.

    Blocking. Objects left by an earlier cache of the same name (a deleted repository leaves
    its remote and distribution until the deletion commits) are taken over.

    Raises:
        RegistryError: UNKNOWN when a repository, remote or distribution of another kind
            holds the name.
    """
    existing = cache_of(target)
    if existing is not None:
        return existing
    source = ContainerPullThroughRemote.objects.get(pk=target.remote_pk)
    try:
        with transaction.atomic():
            return _create(target, source)
    except IntegrityError as exc:
        existing = cache_of(target)
        if existing is not None:
            return existing  # another process created it at the same time
        log.error("Cannot create the pull-through cache of %s: %s", target.name, exc)
        raise errors.RegistryError(
            errors.UNKNOWN,
            detail={"name": target.name},
            message=(
                f"cannot create the repository, remote and distribution named {target.name!r} "
                "for the pull-through cache: the name is taken"
            ),
        ) from exc


def _create(target, source):
    domain = get_domain()
    name = target.name
    remote_fields = {f: getattr(source, f) for f in NETWORK_FIELDS}
    remote_fields.update(upstream_name=target.upstream_name, policy=Remote.ON_DEMAND)
    remote = ContainerRemote.objects.filter(name=name, pulp_domain=domain).first()
    if remote is None:
        remote = ContainerRemote.objects.create(name=name, **remote_fields)
    else:
        for attribute, value in remote_fields.items():
            setattr(remote, attribute, value)
        remote.save()
    repository = ContainerRepository.objects.filter(name=name, pulp_domain=domain).first()
    if repository is None:
        repository = ContainerRepository.objects.create(
            name=name,
            retain_repo_versions=1,
            remote=remote,
            description=f"Pulled through {target.base_path} from {source.url}",
        )
    else:
        repository.retain_repo_versions, repository.remote = 1, remote
        repository.save()
    # Hidden, like private, is the pull-through distribution's (the catalog reads each one's).
    hidden = ContainerPullThroughDistribution.objects.values_list("hidden", flat=True).get(
        pk=target.pk
    )
    distribution = ContainerDistribution.objects.filter(base_path=name, pulp_domain=domain).first()
    if distribution is None:
        distribution = ContainerDistribution.objects.create(
            name=name,
            base_path=name,
            repository=repository,
            remote=remote,
            private=target.private,
            hidden=hidden,
        )
    else:
        distribution.repository, distribution.repository_version = repository, None
        distribution.remote, distribution.private = remote, target.private
        distribution.hidden = hidden
        distribution.save()
    cache = PullThroughCache.objects.create(
        distribution_id=target.pk,
        upstream_name=target.upstream_name,
        repository=repository,
        remote=remote,
        served_by=distribution,
    )
    log.info("Pull-through cache of %s created (repository %s)", name, repository.pk)
    return CacheRef(cache.pk, repository.pk, remote.pk, distribution.pk)
