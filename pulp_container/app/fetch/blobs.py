"""A blob fetched from upstream once and streamed to every client asking for it meanwhile.

The first request takes the blob's lease (``lease.py``) and starts the fetch in a task of its
own: the response of the remote's RegistryHttpDownloader (which answers upstream's auth
challenges) is written to a file in the working directory. As soon as upstream's headers
arrive the lease says where that file is and how big the blob is; from then on every client
streams the blob as it arrives (``Feed``): clients in the process that fetches take the
newest bytes from memory and the older ones from the file, clients in other processes read
the file as it grows.
Not pulpcore's streaming of remote artifacts: that one ties the fetch to one client's
response and fetches once per client. So:

* one upstream request per blob, however many clients and content app processes ask at once
  (processes on other hosts wait for the stored blob instead of reading the file);
* a client going away stops only its own reading; the fetch goes on for the others;
* every reader sends the bytes as they come but holds back the last ones until the
  fetch has checked all the bytes against the digest; when the check fails or upstream breaks
  off, nothing is stored and every reader is cut off before the end, so no client takes a
  partial or wrong blob for a whole one;
* once verified, the file becomes the blob's artifact, after the other checksums pulpcore
  keeps are computed: at a lower CPU priority, once no blob streams in the process
  (``streaming.py``), so that they do not slow the pulls being served.

Readers in the process that runs the fetch follow its `Progress` in memory; readers in other
processes of the host follow the lease in the database and the file's size.
"""

import asyncio
import functools
import hashlib
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from logging import getLogger

from asgiref.sync import sync_to_async
from django.conf import settings
from pulpcore.plugin.models import Artifact

from pulp_container.app import errors
from pulp_container.app.oci.digest import DigestVerifier
from pulp_container.app.fetch import flights, lease
from pulp_container.app.upstream import failures
from pulp_container.app.fetch.received import Behind, Received
from pulp_container.app.fetch.streaming import lower_thread_priority, streaming
from pulp_container.constants import HEADER_CONTENT_LENGTH

log = getLogger(__name__)

CHUNK = 1024 * 1024
# Bytes at the end of a blob of known size that a reader holds back until the fetch verified
# the whole blob (the rest is sent as soon as it arrives).
TAIL = 64 * 1024
# Seconds a reader at the end of the file waits before looking again, and between looks at
# the lease while the file does not grow.
POLL = 0.02
CHECK = 0.5
# Times open() looks again after a fetch ended under its nose.
ROUNDS = 3

_fetches = set()  # running fetch tasks, kept referenced until they end
_progress = {}  # key -> Progress of the fetch this process runs


def running():
    """The fetch tasks of this process not finished yet."""
    return set(_fetches)


class FeedBroken(Exception):
    """The fetch a reader follows failed after the response started: cut the connection."""


@dataclass
class Progress:
    """How a fetch run by this process is going, for readers in this process."""

    owner: object
    path: str | None = None
    size: int | None = None
    verified: bool = False
    error: dict | None = None
    """The failure, as ``failures.to_record`` writes it."""
    ended: bool = False
    published: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once ``path`` and ``size`` are known, or the fetch ended without them."""
    received: Received = field(default_factory=Received)
    """The bytes received so far: the newest in memory, the others in the file at ``path``."""


class PendingBlob:
    """A blob the cache does not hold (for this name) yet.

    Args:
        store: the PullThroughStore (its index, upstream and single-flight key).
        digest: the blob's digest.
        cached: what the cache knows of it (``index.CachedBlob``).
    """

    local = False

    def __init__(self, store, digest, cached):
        self.store = store
        self.digest = digest
        self.cached = cached
        self.key = f"blob:{store.key}:{digest}"

    def _where(self):
        return self.store.upstream.where(failures.BLOB, self.digest)

    async def head(self):
        """The blob's size (None if unknown), asking upstream unless the cache knows it.

        Raises:
            RegistryError: BLOB_UNKNOWN, or the upstream failure.
        """
        if self.cached.linked and self.cached.size is not None:
            return self.cached.size
        status, headers = await self.store.upstream.blob_head(self.digest)
        if status != 200:
            raise failures.from_status(status, headers, self._where())
        length = headers.get(HEADER_CONTENT_LENGTH)
        return int(length) if length and length.isdigit() else None

    async def open(self):
        """A StoredBlob to serve, or a Feed of the bytes as they arrive.

        Raises:
            RegistryError: the upstream failure, when nothing was streamed yet.
        """
        if self.cached.in_pulp:
            stored = await self._adopt()
            if stored is not None:
                return stored
        for _ in range(ROUNDS):
            progress = _progress.get(self.key)
            if progress is not None:
                opened = await self._attach_here(progress)
            else:
                owner = lease.new_owner()
                claimed = await sync_to_async(self._claim)(owner)
                if claimed is True:
                    opened = await self._attach_here(self._start(owner))
                elif isinstance(claimed, lease.Lease) or claimed is None:
                    opened = await self._attach(claimed)
                else:
                    return claimed  # stored meanwhile
            if opened is not None:
                return opened
            found = await self.store.index.blob(self.digest)
            if found.stored is not None and found.linked:
                return found.stored
            if found.in_pulp:
                # Stored meanwhile but not linked to this name: fetched before the name had a
                # cache (a blob alone creates none), or for another name.
                self.cached = found
                stored = await self._adopt()
                if stored is not None:
                    return stored
        raise errors.RegistryError(
            errors.UNAVAILABLE,
            detail={"digest": self.digest},
            message="the blob is being fetched by another request; try again",
        )

    def _claim(self, owner):
        """Take the lease (True), or the Lease someone holds (or None: look again), or the
        StoredBlob a fetch that ended between our first look and now stored. Blocking."""
        held = lease.take(self.key, owner)
        if held is not True:
            return held
        if not self.store.index.holds_bytes_now(self.digest):
            return True  # (one indexed query; the full look only when the bytes came meanwhile)
        lease.succeed(self.key, owner)  # the bytes came meanwhile: no fetch
        found = self.store.index.blob_now(self.digest)
        if found.stored is not None and found.linked:
            return found.stored
        return None  # not linked to this name: open() looks again and adopts them

    async def _adopt(self):
        """Pulp holds these bytes already: serve them once upstream confirms the name has them."""
        if not self.cached.linked:
            status, headers = await self.store.upstream.blob_head(self.digest)
            if status != 200:
                raise failures.from_status(status, headers, self._where())
        return await self.store.index.link_stored_blob(self.digest)

    async def _attach_here(self, progress):
        """Follow a fetch run by this process: a Feed, or None when it ended."""
        await progress.published.wait()
        if progress.error is not None:
            raise failures.from_record(progress.error)
        try:
            fd = os.open(progress.path, os.O_RDONLY)
        except (FileNotFoundError, TypeError):
            # Being stored (the file moved) or gone: once the fetch has ended, the cache says
            # which. Looking before then can find the artifact saved but not yet linked.
            while not progress.ended:
                await lease.notifier.wait(self.key, POLL)
            return None
        return Feed(self.key, progress.owner, fd, progress.size, progress)

    async def _attach(self, seen):
        """Follow the fetch `seen` (another process's) until its file can be read: a Feed, or
        None when it ended (look at the cache again). Raises its error if it failed before
        any byte was sent."""
        while seen is not None and not seen.stale:
            if seen.failed:
                raise failures.from_record(seen.error)
            if seen.path is not None and seen.host == lease.HOST:
                try:
                    fd = os.open(seen.path, os.O_RDONLY)
                except FileNotFoundError:
                    pass  # stored and moved meanwhile: the lease goes next
                else:
                    return Feed(self.key, seen.owner, fd, seen.size)
            await lease.notifier.wait(self.key, flights.POLL)
            current = await sync_to_async(lease.read)(self.key)
            if current is None or current.owner != seen.owner:
                return None
            seen = current
        return None

    def _start(self, owner):
        progress = _progress[self.key] = Progress(owner)
        task = asyncio.ensure_future(self._fetch(progress))
        _fetches.add(task)
        task.add_done_callback(_fetches.discard)
        return progress

    async def _fetch(self, progress):
        """Download the blob into a file readers follow; store it if it checks out; end the
        lease. Only sha256 is computed while the bytes flow (it is what clients check); the
        other checksums pulpcore keeps are computed from the file once it is complete."""
        key, owner, notify = self.key, progress.owner, lease.notifier.notify
        path = None
        beating = asyncio.ensure_future(flights.heartbeat(key, owner))
        try:
            async with self.store.upstream.blob_response(self.digest) as response:
                if response.status != 200:
                    raise failures.from_status(response.status, response.headers, self._where())
                length = response.headers.get(HEADER_CONTENT_LENGTH)
                size = int(length) if length and length.isdigit() else None
                fd, path = tempfile.mkstemp(dir=settings.WORKING_DIRECTORY, prefix="pull-through-")
                progress.path, progress.size = path, size
                progress.published.set()
                # Readers in other processes learn of the file from the lease; the bytes start
                # flowing (to readers here) without waiting for that round trip.
                publishing = asyncio.ensure_future(
                    sync_to_async(lease.publish)(key, owner, path, size)
                )
                verifier = DigestVerifier(self.digest)
                try:
                    await _receive(response, fd, verifier, progress.received, lambda: notify(key))
                finally:
                    os.close(fd)
                    await publishing
            expected = size if size is not None else self.cached.size
            if expected is not None and verifier.size != expected:
                raise failures.invalid(
                    self._where(), f"it has {verifier.size} bytes, not {expected}"
                )
            if not verifier.matches():
                raise failures.invalid(self._where(), f"its bytes hash to {verifier.actual}")
            progress.verified = True
            notify(key)  # readers of this process may send their last bytes now
            await sync_to_async(lease.verify)(key, owner)
            notify(key)
            await streaming.quiet()  # the other checksums: after the clients are served
            digests = await asyncio.get_running_loop().run_in_executor(
                _hashing, _file_digests, path, verifier.actual
            )
            await self.store.index.record_blob(self.digest, path, verifier.size, digests)
        except Exception as exc:
            if isinstance(exc, failures.UPSTREAM_EXCEPTIONS):
                error = failures.from_exception(exc, self._where())
                log.warning("Fetching blob %s through %s failed: %s", self.digest, key, error)
            else:
                log.exception("Fetching blob %s through %s failed", self.digest, key)
                error = errors.RegistryError(errors.UNKNOWN, detail={"digest": self.digest})
            progress.error = failures.to_record(error)
            if path is not None and os.path.exists(path):
                os.unlink(path)
            await sync_to_async(lease.fail)(key, owner, progress.error)
        else:
            await sync_to_async(lease.succeed)(key, owner)
        finally:
            progress.ended = True
            progress.published.set()
            if _progress.get(key) is progress:
                del _progress[key]
            beating.cancel()
            notify(key)


async def _receive(response, fd, verifier, received, notify):
    """Take the body of `response` as it arrives (``received.py``): readers of this process
    are woken for each chunk and may send it at once; behind the reading, one thread hashes
    the chunks into `verifier` and another writes them to `fd`."""
    hashing = Behind(verifier.update, _verifying)
    # The writing thread has a descriptor of its own and closes it after its last write: the
    # caller closing `fd` can then never cut a write short (nor send it to a file opened later
    # under the same number), even when this coroutine is cancelled.
    own_fd = os.dup(fd)
    writing = Behind(
        functools.partial(_write, own_fd),
        _file_writes,
        landed=lambda: (received.landed(), notify()),
        finished=functools.partial(os.close, own_fd),
    )
    try:
        with streaming:
            async for chunk in response.content.iter_chunked(CHUNK):
                received.arrived(chunk)
                notify()
                streaming.tick()
                await hashing.put(chunk)
                await writing.put(chunk)
    finally:
        # Also when upstream broke off: `verifier` and the file are done with once this returns.
        await hashing.close()
        await writing.close()


def _write(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


# The checksums pulpcore keeps besides the blob's digest cost ~0.3 s of CPU per 50 MiB (sha384
# and sha512 most); clients do not wait for them, so their threads yield the CPU to others.
_hashing = ThreadPoolExecutor(max_workers=2, initializer=lower_thread_priority)
# The sha256 of the bytes as they arrive, at normal priority: readers wait for it at the end.
_verifying = ThreadPoolExecutor(max_workers=4, thread_name_prefix="pull-through-verifying")
# Writing the bytes to the fetch's file as they arrive; readers in other processes wait for it.
_file_writes = ThreadPoolExecutor(max_workers=4, thread_name_prefix="pull-through-file-writes")


def _file_digests(path, verified):
    """Every checksum pulpcore keeps for an artifact (``ALLOWED_CONTENT_CHECKSUMS``), in one
    read of the file, except the one of `verified` (the blob's digest, checked as the bytes
    arrived); the file is then flushed to disk, as pulpcore's downloads are, before it becomes
    an artifact."""
    algorithm, _, encoded = verified.partition(":")
    known = {algorithm: encoded} if algorithm in Artifact.DIGEST_FIELDS else {}
    hashers = {name: hashlib.new(name) for name in Artifact.DIGEST_FIELDS if name not in known}
    with open(path, "rb") as blob:
        while hashers and (chunk := blob.read(CHUNK)):
            for hasher in hashers.values():
                hasher.update(chunk)
        os.fsync(blob.fileno())
    return {**{name: hasher.hexdigest() for name, hasher in hashers.items()}, **known}


class Feed:
    """The bytes of a blob being fetched, read from the fetch's file as it grows.

    ``size`` is the blob's size when upstream said it (Content-Length). ``progress`` is the
    fetch's Progress when this process runs it; else the lease tells how it goes.
    """

    local = False

    def __init__(self, key, owner, fd, size, progress=None):
        self.key = key
        self.owner = owner
        self.fd = fd
        self.size = size
        self.progress = progress

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    async def chunks(self, start=0, stop=None):
        """The bytes, in order, until the blob is complete. The last bytes (the last TAIL
        bytes of a blob of known size, else the last chunk read) are held back until the
        fetch has checked the whole blob against its digest.

        Args:
            start, stop: of a blob of known size, only the bytes from offset `start` up to
                `stop` (excluded; None: the end). Their last TAIL bytes are held back the same
                way, so a range too ends only once the whole blob checked out.

        Raises:
            FeedBroken: the fetch failed or stopped before the end.
        """
        if self.size is not None:
            stop = self.size if stop is None else min(stop, self.size)
        offset, held, verified, checked = start, None, False, time.monotonic()
        held_back = 0 if stop is None else min(stop - start, TAIL)
        try:
            with streaming:
                while True:
                    if stop is None:
                        wanted = CHUNK
                    else:
                        end = stop if verified else stop - held_back
                        wanted = min(CHUNK, end - offset)
                    data = self._read(offset, wanted)
                    if data:
                        offset += len(data)
                        streaming.tick()
                        if stop is not None:
                            yield data
                            continue
                        if held is not None:
                            yield held
                        held = data
                        continue
                    if verified:
                        break  # and nothing more in the file
                    complete = stop is not None and offset >= stop - held_back
                    if self.progress is not None or complete or time.monotonic() - checked >= CHECK:
                        checked = time.monotonic()
                        verified = await self._verified()
                        if verified:
                            continue  # read what the file holds, then stop
                    await lease.notifier.wait(self.key, POLL)
                if held is not None:
                    yield held
        finally:
            self.close()

    def _read(self, offset, wanted):
        if wanted <= 0:
            return b""
        if self.progress is not None:  # the fetch runs here: the newest bytes are in memory
            return self.progress.received.read(self.fd, offset, wanted)
        return os.pread(self.fd, wanted, offset)

    async def _verified(self):
        """Whether the fetch has all the bytes and they match the digest.

        Raises:
            FeedBroken: it failed, or its process stopped beating.
        """
        if self.progress is not None:
            if self.progress.error is not None:
                raise FeedBroken(self.progress.error.get("message", "the fetch failed"))
            return self.progress.verified
        current = await sync_to_async(lease.read)(self.key)
        if current is None or current.owner != self.owner:
            return True  # it ended well (a failure stays recorded) and moved on
        if current.failed:
            raise FeedBroken((current.error or {}).get("message", "the fetch failed"))
        if current.stale:
            raise FeedBroken(f"the process fetching {self.key} stopped")
        return current.verified
