"""PushStore: the WritableStore (``stores/protocol.py``) of a name that takes pushes.

It composes two things: the name's read store, the ``stores/local.py`` ServedStore of the
distribution the PushTarget names (for the Store's reads), and the PushTarget (for the writes).
Each write runs the blocking function that does it (``blobs.py``, ``manifest_writes.py``,
``blob_delete.py``) in the ORM's thread, once more on a fresh connection if the database
connection broke (``registry/base.orm``).

The read store is found on the first read, not when the PushStore is made: most writes read
nothing, and a write to a known push repository costs one query (``target.py``). A write
changes what the name serves, so the read store is found again on the next read after it.
"""

from pulp_container.app import errors
from pulp_container.app.push import blob_delete, blobs, manifest_writes
from pulp_container.app.registry.base import orm
from pulp_container.app.stores import served
from pulp_container.app.stores.local import ServedStore


def served_store(target):
    """The ServedStore of what `target`'s distribution serves now. Blocking (one query).

    Raises:
        RegistryError: NAME_UNKNOWN when that distribution no longer serves the name, or
            serves no version.
    """
    distribution, _ = served.find(target.name)
    if (
        distribution is None
        or distribution.pk != target.distribution_pk
        or distribution.version_pk is None
    ):
        raise errors.RegistryError(
            errors.NAME_UNKNOWN,
            detail={"name": target.name},
            message=f"repository name {target.name!r} not known to registry",
        )
    return ServedStore(distribution)


class PushStore:
    """The WritableStore of one push target.

    Args:
        target: the PushTarget (``target.py``) the writes go to.
        read_store_of: gives the Store of `target`'s reads, blocking (``served_store``).
    """

    def __init__(self, target, read_store_of=served_store):
        self.target = target
        self._read_store_of = read_store_of
        self._reads = None

    async def _read_store(self):
        if self._reads is None:
            self._reads = await orm(self._read_store_of, self.target)
        return self._reads

    async def _write(self, function, *args):
        """``function(*args)`` in the ORM's thread; later reads see what it wrote.

        Running a write once more after a broken connection is safe: the break shows on the
        first query of a stale connection (PostgreSQL restarted), before anything is written,
        and a write that had begun was rolled back with its transaction.
        """
        try:
            return await orm(function, *args)
        finally:
            self._reads = None

    # Store: reads

    async def manifest_by_tag(self, tag):
        return await (await self._read_store()).manifest_by_tag(tag)

    async def manifest_by_digest(self, digest):
        return await (await self._read_store()).manifest_by_digest(digest)

    async def blob(self, digest):
        return await (await self._read_store()).blob(digest)

    async def tags(self, page_request):
        return await (await self._read_store()).tags(page_request)

    # WritableStore: writes

    async def store_upload(self, file_name, digests, digest):
        return await self._write(blobs.store_upload, file_name, digests, digest, self.target)

    async def mount_blob(self, digest, source_name):
        return await self._write(blobs.mount, digest, source_name, self.target)

    async def put_manifest(self, parsed, tag=None):
        # The config is read before the repository is locked, to hold the lock briefly.
        config_bytes = await orm(manifest_writes.read_config, parsed)
        return await self._write(
            manifest_writes.store_manifest,
            self.target.repository_pk,
            self.target.name,
            parsed,
            tag,
            config_bytes,
        )

    async def delete_reference(self, reference):
        await self._write(
            manifest_writes.delete_reference,
            self.target.repository_pk,
            self.target.name,
            reference,
        )

    async def delete_blob(self, digest):
        await self._write(blob_delete.delete_blob, self.target, digest)
