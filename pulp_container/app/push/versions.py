"""One new repository version per registry write, made in the content app, without a task.

A push must not wait on the task queue (a queue turns bursts of pushes into 429s and 5xx), so
the version is written in the request's own ORM thread. What makes that safe is the lock on the
repository row: every writer of a repository version goes through `locked_new_version`, which
takes the row with ``SELECT ... FOR UPDATE`` inside a transaction, so concurrent pushes (in any
content app process) and the tag/untag/remove tasks queue on the row, each reads the latest
version the one before it wrote, and each makes its own version. pulpcore's own
``Repository.new_version()`` context manager does the rest; it needs no task (it only records
a CreatedResource when it runs in one). A failure anywhere rolls the transaction back: the
incomplete version goes with it and the latest version is untouched.

Blocking; call through ``sync_to_async``.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction
from pulpcore.plugin.models import Content, Repository

from pulp_container.app import served_versions
from pulp_container.app.models import Tag


@dataclass(frozen=True)
class Changes:
    """Content units (primary keys) a write adds to and removes from the latest version."""

    add: tuple = ()
    remove: tuple = ()
    result: object = field(default=None, compare=False)
    """What the caller wants back from the edit (e.g. the stored manifest)."""


@contextmanager
def locked_new_version(repository_pk):
    """A new version of the repository, its row locked until the transaction ends.

    Yields:
        (repository, version): the repository (its detail model) read after taking the lock,
        and its new, incomplete version, based on the latest one. On leaving, pulpcore
        finalizes it (``finalize_new_version``: one tag per name) or drops it when nothing
        changed. A version that removed manifests or blobs is marked so that the registry stops
        serving them by digest at once (``served_versions.mark_removal``).
    """
    with transaction.atomic():
        locked = Repository.objects.select_for_update().get(pk=repository_pk)
        repository = locked.cast()
        with repository.new_version() as version:
            yield repository, version
            if version.removed().exclude(pulp_type=Tag.get_pulp_type()).exists():
                served_versions.mark_removal(version)


def write_version(repository_pk, edit):
    """Apply `edit` to the latest version of a repository as one new version.

    Args:
        repository_pk: the repository.
        edit: ``edit(repository, version)`` returning Changes, where `version` is the new
            version, still holding exactly the latest version's content. It runs under the lock,
            so what it reads there cannot change before the version is written; it may raise to
            refuse the write (nothing is kept then).

    Returns:
        (Changes, the new RepositoryVersion, or None when the edit changed nothing).
    """
    with locked_new_version(repository_pk) as (repository, version):
        changes = edit(repository, version)
        if changes.remove:
            version.remove_content(Content.objects.filter(pk__in=changes.remove))
        if changes.add:
            version.add_content(Content.objects.filter(pk__in=changes.add))
    return changes, (version if version.complete else None)
