"""Fakes for the PullThroughStore: an in-memory cache index, an upstream answering through a
function, and single flights (one that just runs the work, one that returns on the work's
answer); each records what it was asked."""

import asyncio
import hashlib
import json
from dataclasses import dataclass

from pulp_container.app import errors
from pulp_container.app.pullthrough.store import PullThroughStore
from pulp_container.app.stores.stored import StoredManifest
from pulp_container.app.upstream import failures

DOCKER_V2 = "application/vnd.docker.distribution.manifest.v2+json"
UPSTREAM = "http://upstream.test"


def digest_of(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def image_manifest(seed="a"):
    """A valid Docker schema 2 manifest (bytes) whose blobs depend on `seed`."""
    config = digest_of(f"config {seed}".encode())
    layer = digest_of(f"layer {seed}".encode())
    document = {
        "schemaVersion": 2,
        "mediaType": DOCKER_V2,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                   "size": 10, "digest": config},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 20, "digest": layer}],
    }  # fmt: skip
    return json.dumps(document, indent=2).encode()


@dataclass(frozen=True)
class Answer:
    digest: str | None
    missing: str | None
    age: float


@dataclass(frozen=True)
class Blob:
    stored: object
    linked: bool
    size: int | None = None
    in_pulp: bool = False


class FakeIndex:
    """The cache: answers (reference -> Answer), manifests Pulp holds (digest -> StoredManifest), and
    which of them came through this name."""

    def __init__(self):
        self.answers = {}
        self.pulp = {}
        self.linked = set()
        self.blobs = {}
        self.calls = []
        self.recording = asyncio.Event()
        """Cleared, record_manifest waits until it is set again."""
        self.recording.set()

    def hold(self, data, media_type=DOCKER_V2, reference=None, age=0.0, linked=True):
        """Put a manifest in Pulp (and, with `reference`, an answer of this name)."""
        stored = StoredManifest(digest_of(data), media_type, data)
        self.pulp[stored.digest] = stored
        if linked:
            self.linked.add(stored.digest)
        if reference is not None:
            self.answers[reference] = Answer(stored.digest, None, age)
        return stored

    async def answer(self, reference):
        return self.answers.get(reference)

    async def manifest(self, digest):
        return self.pulp.get(digest) if digest in self.linked else None

    async def stored_manifest(self, digest):
        return self.pulp.get(digest)

    async def record_manifest(self, reference, parsed):
        await self.recording.wait()
        self.calls.append(("record", reference, parsed.digest))
        self.pulp[parsed.digest] = StoredManifest(parsed.digest, parsed.media_type, parsed.raw)
        self.linked.add(parsed.digest)
        self.answers[reference] = Answer(parsed.digest, None, 0.0)

    async def record_stored(self, reference, stored):
        self.calls.append(("record_stored", reference, stored.digest))
        self.linked.add(stored.digest)
        self.answers[reference] = Answer(stored.digest, None, 0.0)

    async def record_missing(self, reference, code):
        self.calls.append(("missing", reference, code))
        self.answers[reference] = Answer(None, code, 0.0)

    async def touch(self, reference):
        self.calls.append(("touch", reference))
        previous = self.answers[reference]
        self.answers[reference] = Answer(previous.digest, previous.missing, 0.0)

    async def blob(self, digest):
        return self.blobs.get(digest, Blob(stored=None, linked=False))

    async def tags(self, page_request):
        return sorted(r for r, a in self.answers.items() if a.digest and ":" not in r)


class FakeUpstream:
    """Answers ``(method, reference)`` through `respond`, which returns (status, headers, body)
    or raises; records every request."""

    def __init__(self, respond):
        self.respond = respond
        self.requests = []

    def where(self, kind=failures.MANIFEST, reference=""):
        return failures.Where(UPSTREAM, "library/busybox", kind, reference)

    async def manifest(self, reference, method="GET"):
        self.requests.append((method, reference))
        try:
            return self.respond(method, reference)
        except errors.RegistryError:
            raise
        except Exception as exc:
            raise failures.from_exception(exc, self.where(failures.MANIFEST, reference)) from exc


class Flights:
    """The single flight of one request: ``once`` runs the work and returns what it returned;
    ``keep`` runs the work in a task of its own, recorded (``tasks``). Keys are recorded."""

    def __init__(self):
        self.keys = []
        self.tasks = set()

    async def once(self, key, work):
        self.keys.append(key)
        return await work()

    async def keep(self, key, work):
        self.keys.append(key)
        self.tasks.add(asyncio.ensure_future(work()))


class RunningFlights(Flights):
    """Like Flights, but ``keep`` runs the work to its end before it returns."""

    async def keep(self, key, work):
        self.keys.append(key)
        await work()


class LocalStore:
    """The cache's local store: manifests and blobs its repository version holds."""

    def __init__(self, manifests=(), blobs=()):
        self.manifests = {manifest.digest: manifest for manifest in manifests}
        self.blobs = dict(blobs)

    async def manifest_by_digest(self, digest):
        return self.manifests.get(digest)

    async def stored_blob(self, digest):
        return self.blobs.get(digest)


def make_store(index, upstream, tag_ttl=300, miss_ttl=30, flights=None, local=None):
    return PullThroughStore(
        key="dist:library/busybox",
        local=local,
        index=index,
        upstream=upstream,
        flights=flights or RunningFlights(),
        pending_blob=lambda store, digest, found: ("pending", digest, found),
        tag_ttl=tag_ttl,
        miss_ttl=miss_ttl,
    )


def ok(data, media_type=DOCKER_V2, digest=None):
    """A 200 answer with the headers a registry sends."""
    headers = {
        "Content-Type": media_type,
        "Docker-Content-Digest": digest or digest_of(data),
    }
    return 200, headers, data
