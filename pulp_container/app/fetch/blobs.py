"""The one upstream blob fetcher: on_demand, streamed and pull-through blobs alike.

A blob is fetched from upstream once however many clients ask for it at once, in however
many content app processes on however many hosts: the first request takes the blob's lease
(``lease.py``, in the database) and starts the fetch in a task of its own, writing the bytes
to a spool file in its working directory. As soon as upstream's headers arrive the lease says
where that file is and how big the blob is. From then on:

* clients in the fetching process stream the bytes as they arrive (``Feed``), the newest from
  memory and the older ones from the file;
* clients in other processes of the same host read the file as it grows (the lease names the
  host and the path);
* clients on other hosts wait for the fetch to end and are served the stored artifact.

Every reader sends the bytes as they come but holds back the last ones until the fetch has
checked all of them against the digest; when the check fails or upstream breaks off, nothing
is stored and every reader is cut off before the end, so no client takes a partial or wrong
blob for a whole one. A blob whose bytes do not match (all of them came) sets its
RemoteArtifact aside for pulpcore's ``REMOTE_CONTENT_FETCH_FAILURE_COOLDOWN``.

Once verified, the file becomes an Artifact (unless the job says not to keep it: streamed
remotes), after the other checksums pulpcore keeps are computed at a lower CPU priority once
no blob streams in the process (``streaming.py``). The fetch's result, the Artifact, goes to
every request that asked, whichever process or host it is in (`Fetched`): linking it to the
content that names it is the caller's part (``stores/deferred.py``, ``pullthrough/blobs.py``).

Upstream failures become registry errors in ``upstream/failures.py``, the one place for every
path.
"""

import asyncio
import contextlib
import functools
import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from logging import getLogger

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from pulpcore.plugin.models import Artifact, ContentArtifact, RemoteArtifact
from pulpcore.plugin.util import get_domain

from pulp_container.app import errors
from pulp_container.app.fetch import flights, lease
from pulp_container.app.fetch.feed import CHUNK, POLL, Feed, FeedBroken  # noqa: F401 (re-exported)
from pulp_container.app.fetch.received import Behind, Received
from pulp_container.app.fetch.streaming import streaming
from pulp_container.app.oci.digest import DigestVerifier
from pulp_container.app.oci.reference import parse_digest
from pulp_container.app.thread_pools import BACKGROUND_HASHING, BODIES
from pulp_container.app.upstream import failures
from pulp_container.constants import HEADER_CONTENT_LENGTH

log = getLogger(__name__)

# Times open() looks again after a fetch ended under its nose.
ROUNDS = 3
# Bytes of a blob aiohttp may read from upstream before the fetch takes them (see
# bench/README.md for why its default is too small).
READ_AHEAD = 2 * 1024 * 1024

_fetches = set()  # running fetch tasks, kept referenced until they end
_progress = {}  # key -> Progress of the fetch this process runs


def running():
    """The fetch tasks of this process not finished yet."""
    return set(_fetches)


@dataclass(frozen=True)
class Source:
    """One place the bytes of a blob can be fetched from.

    ``remote`` is a remote whose ``get_downloader`` answers the upstream's auth challenges
    (``upstream/downloaders.py``), given ``downloader_kwargs`` besides the URL.
    ``remote_artifact_pk`` names the RemoteArtifact this is, if any: it is set aside when its
    bytes do not match. A failure before the first byte (not a timeout, not an answer such as
    a 404) is tried again up to ``retries`` times.
    """

    remote: object
    url: str
    downloader_kwargs: tuple = ()
    remote_artifact_pk: object = None
    retries: int = 0

    def response(self):
        """``async with`` it: upstream's response to GET, body unread."""
        downloader = self.remote.get_downloader(url=self.url, **dict(self.downloader_kwargs))
        downloader.max_retries = 0
        return downloader.response("GET", read_bufsize=READ_AHEAD // 2)


@dataclass(frozen=True)
class Job:
    """What to fetch: the blob `digest` from the first of `sources` that has it, as the
    flight `key` (one fetch per key at a time). `size` is what the content says (checked);
    `keep` False fetches without storing (streamed remotes). With `stored_first` the readers
    send their last bytes once the artifact is stored (a response completes on a stored
    blob, as pulpcore's on_demand streaming did); else once the bytes checked out, the
    artifact being stored after, once no blob streams in the process."""

    key: str
    digest: str
    sources: tuple
    where: failures.Where
    size: int | None = None
    keep: bool = True
    stored_first: bool = False
    content_artifact_pk: object = None
    """With `stored_first`: the ContentArtifact that gets the artifact, if it has none."""


@dataclass(frozen=True)
class Fetched:
    """A fetch that ended well: the Artifact holding the bytes (None when not kept), and
    whether they came from upstream under the job's key (False: Pulp held them already)."""

    artifact_pk: object
    from_upstream: bool = True

    local = False

    @classmethod
    def from_result(cls, result):
        result = result or {}
        return cls(result.get("artifact"), result.get("from_upstream", True))

    def as_result(self):
        artifact = None if self.artifact_pk is None else str(self.artifact_pk)
        return {"artifact": artifact, "from_upstream": self.from_upstream}


def fetched_from_upstream(key):
    """Whether the last fetch of `key` ended well with bytes from upstream. Blocking."""
    found = lease.read(key)
    return found is not None and found.succeeded and Fetched.from_result(found.result).from_upstream


@dataclass
class Progress:
    """How a fetch run by this process is going, for readers in this process."""

    key: str
    owner: object
    path: str | None = None
    size: int | None = None
    verified: bool = False
    error: dict | None = None
    """The failure, as ``failures.to_record`` writes it."""
    result: Fetched | None = None
    ended: bool = False
    published: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once ``path`` and ``size`` are known, or the fetch ended without them."""
    received: Received = field(default_factory=Received)
    """The bytes received so far: the newest in memory, the others in the file at ``path``."""


async def open_blob(job):
    """The bytes of the blob of `job`: a Feed of them as they arrive (a fetch in flight on this
    host, started here if none was), or Fetched once a fetch ended (here or on another host).

    Raises:
        RegistryError: the upstream failure, when nothing was streamed yet.
    """
    for _ in range(ROUNDS):
        progress = _progress.get(job.key)
        if progress is not None:
            opened = await _attach_here(progress)
        else:
            owner = lease.new_owner()
            claimed = await sync_to_async(_claim)(job, owner)
            if claimed is True:
                opened = await _attach_here(_start(job, owner))
                if isinstance(opened, Feed):
                    opened.leading = True
            else:
                opened = await _attach(job.key, claimed)
        if isinstance(opened, Fetched) and opened.artifact_pk is None:
            continue  # not kept (streamed): the next fetch is this request's
        if opened is not None:
            return opened
    raise errors.RegistryError(
        errors.UNAVAILABLE,
        detail={"digest": job.digest},
        message="the blob is being fetched by another request; try again",
    )


def stored_artifact_pk(digest):
    """The primary key of an Artifact Pulp holds with the bytes of `digest`, or None.
    Blocking."""
    parsed = parse_digest(digest)
    return (
        Artifact.objects.filter(pulp_domain=get_domain(), **{parsed.algorithm: parsed.encoded})
        .values_list("pk", flat=True)
        .first()
    )


def _claim(job, owner):
    """Take the lease (True), else the Lease someone holds (or None: look again); a lease
    taken for bytes Pulp holds meanwhile ends at once, with them as its result. Blocking."""
    held = lease.take(job.key, owner)
    if held is not True:
        return held
    if job.keep:
        artifact_pk = stored_artifact_pk(job.digest)
        if artifact_pk is not None:
            lease.succeed(job.key, owner, Fetched(artifact_pk, from_upstream=False).as_result())
            return lease.read(job.key)
    return True


async def _attach_here(progress):
    """Follow a fetch run by this process: a Feed, or Fetched when it ended."""
    await progress.published.wait()
    if progress.error is not None:
        raise failures.from_record(progress.error)
    try:
        fd = os.open(progress.path, os.O_RDONLY)
    except (FileNotFoundError, TypeError):
        # Being stored (the file moved) or gone: the fetch's end says which.
        while not progress.ended:
            await lease.notifier.wait(progress.key, POLL)
        if progress.error is not None:
            raise failures.from_record(progress.error)
        return progress.result
    return Feed(progress.key, progress.owner, fd, progress.size, progress)


async def _attach(key, seen):
    """Follow the fetch `seen` (another process's, maybe on another host) until its file can
    be read here (a Feed) or it ended (Fetched); None when its holder went away. Raises its
    error if it failed before any byte was sent."""
    while seen is not None:
        if seen.failed:
            raise failures.from_record(seen.error)
        if seen.succeeded:
            return Fetched.from_result(seen.result)
        if seen.stale:
            return None
        if seen.path is not None and seen.host == lease.HOST:
            try:
                fd = os.open(seen.path, os.O_RDONLY)
            except FileNotFoundError:
                pass  # stored and moved meanwhile (or on another host): the lease ends next
            else:
                return Feed(key, seen.owner, fd, seen.size)
        await lease.notifier.wait(key, flights.POLL)
        current = await sync_to_async(lease.read)(key)
        if current is None or current.owner != seen.owner:
            return None
        seen = current
    return None


def _start(job, owner):
    progress = _progress[job.key] = Progress(job.key, owner)
    task = asyncio.ensure_future(_fetch(job, progress))
    _fetches.add(task)
    task.add_done_callback(_fetches.discard)
    return progress


_TIMEOUTS = (asyncio.TimeoutError, TimeoutError)


async def _answer(job, stack):
    """The first 200 answer of the job's sources (entered in `stack`).

    Raises:
        RegistryError: the last source's failure.
    """
    error = None
    for source in job.sources:
        for _ in range(source.retries + 1):
            try:
                response = await stack.enter_async_context(source.response())
            except failures.UPSTREAM_EXCEPTIONS as exc:
                error = failures.from_exception(exc, job.where)
                if isinstance(exc, _TIMEOUTS) or isinstance(exc, errors.RegistryError):
                    break
                continue
            if response.status == 200:
                return response
            error = failures.from_status(response.status, response.headers, job.where)
            if response.status < 500:
                break
    raise error or errors.RegistryError(errors.BLOB_UNKNOWN, detail={"digest": job.digest})


async def _fetch(job, progress):
    """Download the blob into a file readers follow; store it if it checks out; end the
    lease with the Artifact as its result. Only sha256 is computed while the bytes flow (it is
    what clients check); the other checksums pulpcore keeps are computed from the file once it
    is complete."""
    key, owner, notify = job.key, progress.owner, lease.notifier.notify
    path = None
    beating = asyncio.ensure_future(flights.heartbeat(key, owner))
    try:
        async with contextlib.AsyncExitStack() as stack:
            response = await _answer(job, stack)
            length = response.headers.get(HEADER_CONTENT_LENGTH)
            size = int(length) if length and length.isdigit() else None
            fd, path = tempfile.mkstemp(dir=settings.WORKING_DIRECTORY, prefix="blob-fetch-")
            progress.path, progress.size = path, size
            progress.published.set()
            # Readers in other processes learn of the file from the lease; the bytes start
            # flowing (to readers here) without waiting for that round trip.
            publishing = asyncio.ensure_future(sync_to_async(lease.publish)(key, owner, path, size))
            verifier = DigestVerifier(job.digest)
            try:
                await _receive(response, fd, verifier, progress.received, lambda: notify(key))
            finally:
                os.close(fd)
                await publishing
        expected = size if size is not None else job.size
        if expected is not None and verifier.size != expected:
            raise failures.invalid(job.where, f"it has {verifier.size} bytes, not {expected}")
        if not verifier.matches():
            await sync_to_async(_set_aside)(job.sources)
            raise failures.invalid(job.where, f"its bytes hash to {verifier.actual}")
        artifact_pk = None
        if job.keep and job.stored_first:
            artifact_pk = await _store(path, verifier)
            if job.content_artifact_pk is not None:
                await sync_to_async(_give)(job.content_artifact_pk, artifact_pk)
        progress.verified = True
        notify(key)  # readers of this process may send their last bytes now
        await sync_to_async(lease.verify)(key, owner)
        notify(key)
        if job.keep and not job.stored_first:
            await streaming.quiet()  # the other checksums: after the clients are served
            artifact_pk = await _store(path, verifier)
        elif not job.keep:
            os.unlink(path)
        progress.result = Fetched(artifact_pk)
    except Exception as exc:
        if isinstance(exc, failures.UPSTREAM_EXCEPTIONS):
            error = failures.from_exception(exc, job.where)
            log.warning("Fetching blob %s (%s) failed: %s", job.digest, key, error)
        else:
            log.exception("Fetching blob %s (%s) failed", job.digest, key)
            error = errors.RegistryError(errors.UNKNOWN, detail={"digest": job.digest})
        progress.error = failures.to_record(error)
        if path is not None and os.path.exists(path):
            os.unlink(path)
        await sync_to_async(lease.fail)(key, owner, progress.error)
    else:
        await sync_to_async(lease.succeed)(key, owner, progress.result.as_result())
    finally:
        progress.ended = True
        progress.published.set()
        if _progress.get(key) is progress:
            del _progress[key]
        beating.cancel()
        notify(key)


async def _store(path, verifier):
    """The Artifact of the verified file at `path`, with every checksum pulpcore keeps."""
    digests = await asyncio.get_running_loop().run_in_executor(
        BACKGROUND_HASHING.executor, _file_digests, path, verifier.actual
    )
    return await sync_to_async(_save_artifact)(path, verifier.size, digests)


def _give(content_artifact_pk, artifact_pk):
    ContentArtifact.objects.filter(pk=content_artifact_pk, artifact__isnull=True).update(
        artifact_id=artifact_pk
    )


def _set_aside(sources):
    """pulpcore's cool-down: RemoteArtifacts whose bytes did not match are not tried again for
    ``REMOTE_CONTENT_FETCH_FAILURE_COOLDOWN`` seconds."""
    pks = [source.remote_artifact_pk for source in sources if source.remote_artifact_pk]
    if pks:
        RemoteArtifact.objects.filter(pk__in=pks).update(failed_at=timezone.now())


def _save_artifact(path, size, digests):
    """The Artifact of the verified file at `path` (moved into storage), or the one Pulp
    stored meanwhile (the file is removed then): its primary key."""
    artifact = Artifact(file=path, size=size, **digests)
    try:
        with transaction.atomic():
            artifact.save()
    except IntegrityError:
        artifact = Artifact.objects.get(artifact.q())
        os.unlink(path)
    return artifact.pk


async def _receive(response, fd, verifier, received, notify):
    """Take the body of `response` as it arrives (``received.py``): readers of this process
    are woken for each chunk and may send it at once; behind the reading, one thread hashes
    the chunks into `verifier` and another writes them to `fd`."""
    hashing = Behind(verifier.update, BODIES.executor)
    # The writing thread has a descriptor of its own and closes it after its last write: the
    # caller closing `fd` can then never cut a write short (nor send it to a file opened later
    # under the same number), even when this coroutine is cancelled.
    own_fd = os.dup(fd)
    writing = Behind(
        functools.partial(_write, own_fd),
        BODIES.executor,
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


# The checksums pulpcore keeps besides the blob's digest (sha384 and sha512 cost most) are
# computed after the clients were answered; their threads yield the CPU to requests.


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


def after(work, what):
    """Run ``await work()`` in a task of its own (linking a fetch's result once it ended);
    tracked with the fetches (``running``), failures logged (`what` names the work)."""

    async def run():
        try:
            await work()
        except errors.RegistryError as error:
            log.debug("%s: %s", what, error)
        except Exception:
            log.exception("%s failed", what)

    task = asyncio.ensure_future(run())
    _fetches.add(task)
    task.add_done_callback(_fetches.discard)
