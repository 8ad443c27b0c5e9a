"""Where a push to a repository name goes: the push target, created on the first write.

A name is writable when no distribution serves it yet (the first write creates a
ContainerPushRepository and a ContainerDistribution at that base path, under the namespace of
its first segment), or when its distribution serves the latest version of a push repository.
Any other name is read-only and answers DENIED with the reason: a synced repository's
distribution, a distribution pinned to a version, a pull-through cache, a distribution serving
nothing, a name under another distribution's base path.

A new distribution is private when the namespace's label ``pulp_container.push_private`` says
``true`` (``false`` makes it public), else when the setting ``CONTAINER_PUSH_PRIVATE`` is true.
"""

import threading
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from pulpcore.plugin.models import Distribution, Repository
from pulpcore.plugin.util import get_domain

from pulp_container.app import errors, process_state, targets
from pulp_container.app.auth.push import give_creator_roles
from pulp_container.app.models import (
    ContainerDistribution,
    ContainerNamespace,
    ContainerPullThroughDistribution,
    ContainerPushRepository,
)
from pulp_container.app.namespaces import ensure_namespace
from pulp_container.app.oci import names
from pulp_container.app.oci.reference import namespace_of

# The namespace label that decides whether distributions pushes create under it are private.
LABEL_PUSH_PRIVATE = "pulp_container.push_private"
PRIVATE_SETTING = "CONTAINER_PUSH_PRIVATE"
_TRUE = ("true", "yes", "1", "on")
_FALSE = ("false", "no", "0", "off")
# Two first pushes of one name race: the loser's transaction fails on a unique constraint and
# it reads what the winner made. A third round would mean something else keeps failing.
_ATTEMPTS = 3


@dataclass(frozen=True)
class PushTarget:
    """The repository a push to `name` writes into, and the distribution serving it."""

    repository_pk: object
    distribution_pk: object
    name: str


def _denied(name, why):
    return errors.RegistryError(
        errors.DENIED,
        detail={"name": name, "reason": why},
        message=f"{name!r} is read-only: {why}",
    )


def _target_of(distribution, name):
    """The PushTarget of an existing distribution of `name`, or DENIED saying why not."""
    if getattr(distribution, "pull_through_cache", None) is not None:
        raise _denied(name, "it is a pull-through cache of an upstream registry")
    if distribution.repository_version_id is not None:
        raise _denied(name, "its distribution serves a fixed repository version")
    if distribution.repository_id is None:
        raise _denied(name, "its distribution serves no repository")
    repository = distribution.repository.cast()
    if not isinstance(repository, ContainerPushRepository):
        raise _denied(
            name,
            f"its distribution serves the {repository.TYPE} repository {repository.name!r}, "
            "which syncs and the REST API change, not pushes",
        )
    return PushTarget(repository.pk, distribution.pk, name)


class _PushRepositories:
    """Primary keys of repositories this process found to be push repositories. A repository's
    type never changes, so a write to a name whose distribution follows one of them needs no
    query beyond the name's own (``targets.resolve``). At most `capacity`, then forgotten."""

    def __init__(self, capacity=4096):
        self.capacity = capacity
        self._pks = set()
        self._lock = threading.Lock()

    def __contains__(self, pk):
        return pk in self._pks

    def add(self, pk):
        with self._lock:
            if len(self._pks) >= self.capacity:
                self._pks.clear()
            self._pks.add(pk)


_push_repositories = process_state.kept("push.repositories", _PushRepositories)


def existing_target(name):
    """The PushTarget of `name`, or None when no distribution serves it. Blocking.

    Raises:
        RegistryError: DENIED when `name` is read-only.
    """
    target = targets.resolve(name)
    if target is None:
        return None
    if target.through:
        raise _denied(name, "it is under a pull-through cache's prefix")
    served = target.distribution
    known = _push_repositories.get()
    if served.following_repository_pk in known:
        return PushTarget(served.following_repository_pk, served.pk, name)
    distribution = (
        ContainerDistribution.objects.filter(pk=served.pk)
        .select_related("repository", "pull_through_cache")
        .first()
    )
    if distribution is None:
        return None
    push_target = _target_of(distribution, name)
    known.add(push_target.repository_pk)
    return push_target


def _overlapping(name):
    """The base path of a distribution `name` would lie under or above, or None."""
    domain = get_domain()
    above = Distribution.objects.filter(pulp_domain=domain, base_path__in=names.ancestors(name))
    below = Distribution.objects.filter(pulp_domain=domain, base_path__startswith=f"{name}/")
    return (above | below).values_list("base_path", flat=True).first()


def _pull_through_at_or_below(name):
    """Whether a pull-through distribution's prefix is `name` or under it: its caches'
    distributions would lie under a distribution of `name`."""
    prefixes = ContainerPullThroughDistribution.objects.filter(pulp_domain=get_domain())
    return (
        prefixes.filter(name_prefix=name) | prefixes.filter(name_prefix__startswith=f"{name}/")
    ).exists()


def push_private(namespace_name):
    """Whether a distribution a push creates under `namespace_name` is private. Blocking."""
    labels = (
        ContainerNamespace.objects.filter(pulp_domain=get_domain(), name=namespace_name)
        .values_list("pulp_labels", flat=True)
        .first()
    ) or {}
    value = str(labels.get(LABEL_PUSH_PRIVATE, "")).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return bool(getattr(settings, PRIVATE_SETTING, False))


def _create(name, user):
    """Create the push repository and distribution of `name` in one transaction; the user
    whose push created them owns them (and the namespace, when this push created it)."""
    domain = get_domain()
    namespace_name = namespace_of(name)
    with transaction.atomic():
        namespace_existed = ContainerNamespace.objects.filter(
            pulp_domain=domain, name=namespace_name
        ).exists()
        namespace_pk = ensure_namespace(domain.pk, namespace_name)
        repository = ContainerPushRepository.objects.filter(pulp_domain=domain, name=name).first()
        if repository is None:
            repository = ContainerPushRepository(name=name, pulp_domain=domain)
            repository.save()
        distribution = ContainerDistribution(
            name=name,
            base_path=name,
            repository=repository,
            pulp_domain=domain,
            private=push_private(namespace_name),
        )
        distribution.save()
        if user is not None:
            give_creator_roles(
                user,
                distribution.pk,
                repository.pk,
                namespace_pk=None if namespace_existed else namespace_pk,
            )
    return PushTarget(repository.pk, distribution.pk, name)


def _explain_conflict(name):
    """DENIED for a name whose push repository or distribution cannot be created, or None when
    nothing stands in the way (another push created them meanwhile: read them again)."""
    if _pull_through_at_or_below(name):
        return _denied(name, "it is a pull-through cache's prefix, or above one")
    overlapping = _overlapping(name)
    if overlapping is not None:
        return _denied(name, f"it overlaps the base path {overlapping!r} of another distribution")
    domain = get_domain()
    if ContainerDistribution.objects.filter(pulp_domain=domain, base_path=name).exists():
        return None
    if Distribution.objects.filter(pulp_domain=domain, name=name).exists():
        return _denied(name, "a distribution with that name serves another base path")
    if ContainerPushRepository.objects.filter(
        pulp_domain=domain, name=name
    ).exists() or not _repository_name_taken(name):
        return None
    return _denied(name, "a repository of another type has that name")


def _repository_name_taken(name):
    return Repository.objects.filter(pulp_domain=get_domain(), name=name).exists()


def writable_target(name, user=None, create=True):
    """The PushTarget for a write to `name`, creating it on the first write. Blocking.

    Args:
        name: the repository name (already validated).
        user: who writes (the caller decided they may), or a function giving them, called
            only when the push creates the repository: they become its owner.
        create: False to return None instead of creating.

    Raises:
        RegistryError: DENIED when `name` is read-only or cannot be created (says why).
    """
    for _ in range(_ATTEMPTS):
        target = existing_target(name)
        if target is not None or not create:
            return target
        denial = _explain_conflict(name)
        if denial is not None:
            raise denial
        creator = user() if callable(user) else user
        try:
            return _create(name, creator)
        except IntegrityError:
            denial = _explain_conflict(name)
            if denial is not None:
                raise denial
    raise _denied(name, "its repository could not be created; try again")
