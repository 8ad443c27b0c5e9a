"""PullThroughStore against a fake cache and a fake upstream: what it asks upstream, what it
stores, and what a client gets, for fresh, stale, missing, failing and lying upstreams."""

import asyncio

import pytest
from aiohttp import ClientConnectionError

from pulp_container.app import errors
from pulp_container.app.pullthrough.store import STALE_WARNING
from tests.unit.pullthrough.fakes import (
    DOCKER_V2,
    Blob,
    FakeIndex,
    FakeUpstream,
    Flights,
    LocalStore,
    digest_of,
    image_manifest,
    make_store,
    ok,
)

FIRST, SECOND = image_manifest("first"), image_manifest("second")


def run(coroutine):
    return asyncio.run(coroutine)


def never(method, reference):
    raise AssertionError(f"upstream asked {method} {reference}")


def test_a_cold_tag_is_fetched_once_stored_and_served():
    index, upstream = FakeIndex(), FakeUpstream(lambda method, ref: ok(FIRST))
    manifest = run(make_store(index, upstream).manifest_by_tag("latest"))
    assert manifest.data == FIRST
    assert manifest.warning is None
    assert upstream.requests == [("GET", "latest")]
    assert index.calls == [("record", "latest", digest_of(FIRST))]


def test_a_fresh_tag_is_served_without_asking_upstream():
    index = FakeIndex()
    index.hold(FIRST, reference="latest", age=299)
    manifest = run(make_store(index, FakeUpstream(never)).manifest_by_tag("latest"))
    assert manifest.digest == digest_of(FIRST)


def test_a_stale_tag_that_did_not_move_costs_one_head():
    index = FakeIndex()
    index.hold(FIRST, reference="latest", age=301)
    upstream = FakeUpstream(
        lambda method, ref: (200, {"Docker-Content-Digest": digest_of(FIRST)}, b"")
    )
    manifest = run(make_store(index, upstream).manifest_by_tag("latest"))
    assert manifest.digest == digest_of(FIRST)
    assert upstream.requests == [("HEAD", "latest")]
    assert index.calls == [("touch", "latest")]
    assert index.answers["latest"].age == 0


def test_a_stale_tag_that_moved_is_fetched_by_its_new_digest():
    index = FakeIndex()
    index.hold(FIRST, reference="latest", age=301)
    moved = digest_of(SECOND)

    def respond(method, reference):
        if method == "HEAD":
            return 200, {"Docker-Content-Digest": moved}, b""
        assert reference == moved
        return ok(SECOND)

    upstream = FakeUpstream(respond)
    manifest = run(make_store(index, upstream).manifest_by_tag("latest"))
    assert manifest.digest == moved
    assert upstream.requests == [("HEAD", "latest"), ("GET", moved)]
    assert index.calls == [("record", "latest", moved)]


def test_a_moved_tag_pointing_at_a_manifest_pulp_holds_is_not_fetched_again():
    index = FakeIndex()
    index.hold(FIRST, reference="latest", age=301)
    index.hold(SECOND, linked=False)
    moved = digest_of(SECOND)
    upstream = FakeUpstream(lambda method, ref: (200, {"Docker-Content-Digest": moved}, b""))
    manifest = run(make_store(index, upstream).manifest_by_tag("latest"))
    assert manifest.digest == moved
    assert upstream.requests == [("HEAD", "latest")]
    assert index.calls == [("record_stored", "latest", moved)]


@pytest.mark.parametrize(
    "failure",
    [
        lambda method, ref: (503, {}, b""),
        lambda method, ref: (500, {}, b""),
        lambda method, ref: (429, {"Retry-After": "30"}, b""),
        lambda method, ref: (401, {}, b""),
        lambda method, ref: (_ for _ in ()).throw(ClientConnectionError("refused")),
        lambda method, ref: (_ for _ in ()).throw(TimeoutError()),
    ],
    ids=["503", "500", "429", "401", "refused", "timeout"],
)
def test_a_stale_tag_is_served_with_a_warning_when_upstream_fails(failure):
    index = FakeIndex()
    index.hold(FIRST, reference="latest", age=301)
    manifest = run(make_store(index, FakeUpstream(failure)).manifest_by_tag("latest"))
    assert manifest.data == FIRST
    assert manifest.warning == STALE_WARNING
    assert index.answers["latest"].age == 301  # still stale: the next pull asks again


@pytest.mark.parametrize(
    "failure, code, status",
    [
        (lambda method, ref: (503, {}, b""), "UPSTREAM_ERROR", 502),
        (lambda method, ref: (502, {}, b""), "UPSTREAM_ERROR", 502),
        (lambda method, ref: (429, {"Retry-After": "30"}, b""), "TOOMANYREQUESTS", 429),
        (lambda method, ref: (403, {}, b""), "UPSTREAM_ERROR", 502),
        (
            lambda method, ref: (_ for _ in ()).throw(ClientConnectionError("refused")),
            "UPSTREAM_ERROR",
            502,
        ),
        (
            lambda method, ref: (_ for _ in ()).throw(TimeoutError()),
            "UPSTREAM_TIMEOUT",
            504,
        ),
    ],
    ids=["503", "502", "429", "403", "refused", "timeout"],
)
def test_an_uncached_tag_fails_with_what_upstream_did(failure, code, status):
    index = FakeIndex()
    with pytest.raises(errors.RegistryError) as raised:
        run(make_store(index, FakeUpstream(failure)).manifest_by_tag("latest"))
    assert (raised.value.code.code, raised.value.status) == (code, status)
    assert "http://upstream.test" in raised.value.message
    assert index.calls == []


def test_rate_limiting_passes_retry_after_on():
    index = FakeIndex()
    upstream = FakeUpstream(lambda method, ref: (429, {"Retry-After": "17"}, b""))
    with pytest.raises(errors.RegistryError) as raised:
        run(make_store(index, upstream).manifest_by_tag("latest"))
    assert raised.value.headers == {"Retry-After": "17"}


@pytest.mark.parametrize(
    "body, code",
    [
        (b'{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known"}]}',
         "NAME_UNKNOWN"),
        (b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}',
         "MANIFEST_UNKNOWN"),
        (b"not json", "MANIFEST_UNKNOWN"),
    ],
)  # fmt: skip
def test_a_404_is_answered_with_upstreams_code_and_remembered(body, code):
    index = FakeIndex()
    upstream = FakeUpstream(lambda method, ref: (404, {}, body))
    store = make_store(index, upstream)
    for _ in range(2):
        with pytest.raises(errors.RegistryError) as raised:
            run(store.manifest_by_tag("latest"))
        assert (raised.value.code.code, raised.value.status) == (code, 404)
    assert upstream.requests == [("GET", "latest")]  # the second was answered from memory


def test_a_remembered_404_expires():
    index = FakeIndex()
    upstream = FakeUpstream(lambda method, ref: (404, {}, b""))
    store = make_store(index, upstream, miss_ttl=30)
    with pytest.raises(errors.RegistryError):
        run(store.manifest_by_tag("latest"))
    index.answers["latest"] = index.answers["latest"].__class__(None, "MANIFEST_UNKNOWN", 31)
    with pytest.raises(errors.RegistryError):
        run(store.manifest_by_tag("latest"))
    assert len(upstream.requests) == 2


def test_a_tag_deleted_upstream_is_not_served_stale():
    index = FakeIndex()
    index.hold(FIRST, reference="latest", age=301)
    with pytest.raises(errors.RegistryError) as raised:
        run(make_store(index, FakeUpstream(lambda m, r: (404, {}, b""))).manifest_by_tag("latest"))
    assert raised.value.code is errors.MANIFEST_UNKNOWN


def test_a_manifest_not_matching_the_digest_upstream_claims_is_refused():
    index = FakeIndex()
    lying = FakeUpstream(lambda method, ref: ok(FIRST, digest=digest_of(SECOND)))
    with pytest.raises(errors.RegistryError) as raised:
        run(make_store(index, lying).manifest_by_tag("latest"))
    assert raised.value.code is errors.UPSTREAM_ERROR
    assert "digest" in raised.value.message
    assert index.calls == []


def test_an_invalid_manifest_is_refused():
    index = FakeIndex()
    upstream = FakeUpstream(lambda method, ref: ok(b'{"schemaVersion": 2}', digest=None))
    with pytest.raises(errors.RegistryError) as raised:
        run(make_store(index, upstream).manifest_by_tag("latest"))
    assert raised.value.code is errors.UPSTREAM_ERROR
    assert index.calls == []


def test_by_digest_a_cached_manifest_is_served_without_asking():
    index = FakeIndex()
    stored = index.hold(FIRST, reference="latest")
    manifest = run(make_store(index, FakeUpstream(never)).manifest_by_digest(stored.digest))
    assert manifest.data == FIRST


def test_by_digest_the_bytes_must_hash_to_the_digest_asked_for():
    index = FakeIndex()
    wanted = digest_of(SECOND)
    upstream = FakeUpstream(lambda method, ref: (200, {"Content-Type": DOCKER_V2}, FIRST))
    with pytest.raises(errors.RegistryError) as raised:
        run(make_store(index, upstream).manifest_by_digest(wanted))
    assert raised.value.code is errors.UPSTREAM_ERROR
    assert index.calls == []


def test_by_digest_an_uncached_manifest_is_fetched_and_stored():
    index = FakeIndex()
    wanted = digest_of(SECOND)
    upstream = FakeUpstream(lambda method, ref: ok(SECOND))
    manifest = run(make_store(index, upstream).manifest_by_digest(wanted))
    assert manifest.digest == wanted
    assert upstream.requests == [("GET", wanted)]
    assert index.calls == [("record", wanted, wanted)]


def test_by_digest_a_manifest_pulp_holds_for_others_is_only_confirmed():
    """Pulp has the bytes (another repository); upstream must still have them under this name."""
    index = FakeIndex()
    stored = index.hold(SECOND, linked=False)
    upstream = FakeUpstream(lambda method, ref: (200, {}, b""))
    manifest = run(make_store(index, upstream).manifest_by_digest(stored.digest))
    assert manifest.digest == stored.digest
    assert upstream.requests == [("HEAD", stored.digest)]
    assert index.calls == [("record_stored", stored.digest, stored.digest)]


def test_by_digest_a_manifest_pulp_holds_is_not_served_when_upstream_lacks_it():
    index = FakeIndex()
    stored = index.hold(SECOND, linked=False)
    upstream = FakeUpstream(lambda method, ref: (404, {}, b""))
    with pytest.raises(errors.RegistryError) as raised:
        run(make_store(index, upstream).manifest_by_digest(stored.digest))
    assert raised.value.code is errors.MANIFEST_UNKNOWN


def test_a_blob_held_for_this_name_is_served_locally():
    index = FakeIndex()
    index.blobs["sha256:" + "1" * 64] = Blob(stored="local", linked=True)
    assert run(make_store(index, FakeUpstream(never)).blob("sha256:" + "1" * 64)) == "local"


@pytest.mark.parametrize(
    "known",
    [Blob(stored=None, linked=True, size=5), Blob(stored="elsewhere", linked=False)],
    ids=["not fetched yet", "held for another repository"],
)
def test_any_other_blob_is_pending(known):
    index = FakeIndex()
    digest = "sha256:" + "2" * 64
    index.blobs[digest] = known
    pending = run(make_store(index, FakeUpstream(never)).blob(digest))
    assert pending == ("pending", digest, known)


def test_tags_are_the_cached_ones():
    index = FakeIndex()
    index.hold(FIRST, reference="v1")
    index.hold(SECOND, reference="latest")
    index.hold(SECOND, reference=digest_of(SECOND))
    assert run(make_store(index, FakeUpstream(never)).tags(None)) == ["latest", "v1"]


def answering_early(respond):
    """A store over a fake cache whose records wait for ``index.recording``, and the flights
    (keeping in a task of its own) it runs."""
    index, flights = FakeIndex(), Flights()
    return index, make_store(index, FakeUpstream(respond), flights=flights), flights


async def answered_then_recorded(index, flights, lookup):
    """What `lookup` answered, and the records made by then; lets the records go on after."""
    index.recording.clear()
    manifest = await lookup
    recorded_when_answered = list(index.calls)
    index.recording.set()
    await asyncio.gather(*flights.tasks)
    return manifest, recorded_when_answered


def test_a_fetched_manifest_is_answered_before_it_is_recorded():
    index, store, flights = answering_early(lambda method, ref: ok(FIRST))
    manifest, recorded_when_answered = run(
        answered_then_recorded(index, flights, store.manifest_by_tag("latest"))
    )
    assert manifest.data == FIRST
    assert recorded_when_answered == []
    assert index.calls == [("record", "latest", digest_of(FIRST))]


def test_a_tag_fetch_keeps_its_manifest_under_the_flight_of_its_digest():
    index, store, flights = answering_early(lambda method, ref: ok(FIRST))
    run(answered_then_recorded(index, flights, store.manifest_by_tag("latest")))
    assert flights.keys == [
        "manifest:dist:library/busybox:latest",
        f"manifest:dist:library/busybox:{digest_of(FIRST)}",
    ]


def test_a_manifest_by_digest_is_recorded_within_its_flight():
    """Requests waiting for the flight find it recorded when it returns."""
    digest = digest_of(FIRST)
    index, store, flights = answering_early(lambda method, ref: ok(FIRST))
    manifest = run(store.manifest_by_digest(digest))
    assert manifest.digest == digest
    assert index.calls == [("record", digest, digest)]
    assert flights.tasks == set()


def test_by_digest_the_local_store_answers_first():
    stored = FakeIndex().hold(FIRST)
    store = make_store(FakeIndex(), FakeUpstream(never), local=LocalStore(manifests=[stored]))
    assert run(store.manifest_by_digest(stored.digest)) == stored


def test_a_blob_the_local_store_holds_is_served_from_it():
    digest = "sha256:" + "3" * 64
    store = make_store(FakeIndex(), FakeUpstream(never), local=LocalStore(blobs={digest: "v"}))
    assert run(store.blob(digest)) == "v"
