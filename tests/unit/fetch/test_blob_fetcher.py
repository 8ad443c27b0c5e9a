"""The one upstream blob fetcher (``fetch/blobs.py``) in its states: leading a fetch, following
one in this process or another, bytes Pulp holds already, a source that answers 404 or 500
first, bytes that do not match (set aside) or break off (not set aside), and not keeping.

The fetcher imports pulpcore's models, which need its Django settings, which the other unit
tests must not see: the scenarios run in a fresh interpreter (pulpcore's settings, no
database: the lease table is in memory, the Artifact rows are stubs) against an aiohttp server
on loopback, and the tests read what it reports.
"""

import pytest

from tests.unit.fresh_interpreter import run_script

SCRIPT = r'''
import asyncio
import hashlib
import json
import os
import random
import uuid
from dataclasses import replace
from datetime import datetime, timezone

import django

django.setup()

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

from pulp_container.app.fetch import blobs, lease  # noqa: E402
from pulp_container.app.upstream import failures  # noqa: E402

BODY = random.Random(5).randbytes(3 * 1024 * 1024 + 77)
DIGEST = "sha256:" + hashlib.sha256(BODY).hexdigest()
gets = {}
answers = {}  # path -> list of what to do, one per request: "ok", "corrupt", "cut", 404, 500


async def blob(request):
    path = request.match_info["path"]
    gets[path] = gets.get(path, 0) + 1
    plan = answers.get(path, ["ok"])
    what = plan.pop(0) if len(plan) > 1 else plan[0]
    if isinstance(what, int):
        return web.Response(status=what)
    body = bytes(len(BODY)) if what == "corrupt" else BODY
    response = web.StreamResponse()
    response.content_length = len(body)
    await response.prepare(request)
    for start in range(0, len(body), 256 * 1024):
        if what == "cut" and start >= len(body) // 2:
            request.transport.close()
            return response
        await response.write(body[start : start + 256 * 1024])
        await asyncio.sleep(0.005)
    await response.write_eof()
    return response


class Leases:
    def __init__(self):
        self.rows = {}

    def take(self, key, owner):
        row = self.rows.get(key)
        if row is None or row.finished_at is not None:
            self.rows[key] = lease.Lease(
                key, owner, lease.HOST, None, None, now(), False, None, None, None, False
            )
            return True
        return row

    def read(self, key):
        return self.rows.get(key)

    def _update(self, key, owner, **fields):
        row = self.rows.get(key)
        if row is not None and row.owner == owner:
            self.rows[key] = replace(row, **fields)

    def publish(self, key, owner, path, size):
        self._update(key, owner, path=path, size=size)

    def verify(self, key, owner):
        self._update(key, owner, verified=True)

    def beat(self, key, owner):
        return True

    def succeed(self, key, owner, result=None):
        self._update(key, owner, finished_at=now(), error=None, result=result, path=None)

    def fail(self, key, owner, record):
        self._update(key, owner, finished_at=now(), error=record)


def now():
    return datetime.now(timezone.utc)


leases = Leases()
for name in ("take", "read", "publish", "verify", "beat", "succeed", "fail"):
    setattr(lease, name, getattr(leases, name))
saved, set_aside, held = [], [], {}
blobs._save_artifact = lambda path, size, digests: (saved.append(size), os.unlink(path), 42)[2]
blobs._set_aside = lambda sources: set_aside.extend(s.remote_artifact_pk for s in sources)
blobs.stored_artifact_pk = lambda digest: held.get(digest)


class Source(blobs.Source):
    def response(self):
        return self.remote.get(self.url)


def job(session, base, key, *paths, keep=True, retries=0):
    sources = tuple(
        Source(remote=session, url=f"{base}/{path}", remote_artifact_pk=path, retries=retries)
        for path in paths
    )
    where = failures.Where(base, "lib/app", failures.BLOB, DIGEST)
    return blobs.Job(key=key, digest=DIGEST, sources=sources, where=where, keep=keep)


async def read(opened):
    """What a client of `opened` gets: ("fetched", artifact) or ("fed", ok, outcome)."""
    if isinstance(opened, blobs.Fetched):
        return ["fetched", opened.artifact_pk, opened.from_upstream]
    try:
        data = b"".join([bytes(chunk) async for chunk in opened.chunks()])
    except blobs.FeedBroken:
        return ["broken"]
    return ["fed", hashlib.sha256(data).hexdigest() == DIGEST[7:]]


async def scenario(session, base, key, *paths, clients=1, **options):
    async def one():
        try:
            return await read(await blobs.open_blob(job(session, base, key, *paths, **options)))
        except Exception as exc:
            return ["error", getattr(getattr(exc, "code", None), "code", type(exc).__name__)]

    outcomes = await asyncio.gather(*(one() for _ in range(clients)))
    await asyncio.gather(*blobs.running())
    row = leases.read(key)
    state = None if row is None else ("failed" if row.failed else "succeeded", row.result)
    return {"outcomes": outcomes, "gets": {p: gets.get(p, 0) for p in paths}, "lease": state}


async def main():
    app = web.Application()
    app.router.add_get("/{path}", blob)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
    results = {}
    async with aiohttp.ClientSession() as session:
        results["crowd"] = await scenario(session, base, "crowd", "a", clients=10)
        results["saved"] = list(saved)

        owner = uuid.uuid4()
        leases.rows["elsewhere"] = lease.Lease(
            "elsewhere", owner, "other-host", None, None, now(), False, None, None, None, False
        )

        async def finish_elsewhere():
            await asyncio.sleep(0.05)
            leases.succeed("elsewhere", owner, {"artifact": "7", "from_upstream": True})

        asyncio.ensure_future(finish_elsewhere())
        results["elsewhere"] = await scenario(session, base, "elsewhere", "b", clients=3)

        held[DIGEST] = 9
        results["held"] = await scenario(session, base, "held", "c")
        held.clear()

        answers["d404"], answers["d"] = [404], ["ok"]
        results["second_source"] = await scenario(session, base, "second", "d404", "d")

        answers["e"] = [500, "ok"]
        results["retried"] = await scenario(session, base, "retried", "e", retries=1)

        answers["f"] = [500]
        results["not_retried"] = await scenario(session, base, "not-retried", "f")

        answers["g"] = ["corrupt"]
        results["corrupt"] = await scenario(session, base, "corrupt", "g", clients=2)
        results["set_aside"] = list(set_aside)

        answers["h"] = ["cut"]
        results["cut"] = await scenario(session, base, "cut", "h", clients=2)
        results["set_aside_after_cut"] = list(set_aside)

        del saved[:]
        results["streamed"] = await scenario(session, base, "streamed", "i", keep=False)
        results["saved_when_streamed"] = list(saved)
        results["spool_left"] = [
            name for name in os.listdir(os.environ["PULP_WORKING_DIRECTORY"])
            if name.startswith("blob-fetch-")
        ]
    await runner.cleanup()
    print("RESULT " + json.dumps(results))


asyncio.run(main())
'''


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    return run_script(SCRIPT, tmp_path_factory.mktemp("fetches"))


def test_ten_clients_at_once_cause_one_get_and_all_get_the_whole_blob(outcome):
    crowd = outcome["crowd"]
    assert crowd["gets"] == {"a": 1}
    assert crowd["outcomes"] == [["fed", True]] * 10
    assert outcome["saved"] == [3 * 1024 * 1024 + 77]
    assert crowd["lease"] == ["succeeded", {"artifact": "42", "from_upstream": True}]


def test_followers_of_a_fetch_on_another_host_get_its_artifact_without_a_get(outcome):
    elsewhere = outcome["elsewhere"]
    assert elsewhere["gets"] == {"b": 0}
    assert elsewhere["outcomes"] == [["fetched", "7", True]] * 3


def test_bytes_pulp_holds_are_not_fetched_and_not_counted_as_from_upstream(outcome):
    assert outcome["held"]["gets"] == {"c": 0}
    assert outcome["held"]["outcomes"] == [["fetched", "9", False]]


def test_a_source_that_answers_404_gives_way_to_the_next(outcome):
    assert outcome["second_source"]["gets"] == {"d404": 1, "d": 1}
    assert outcome["second_source"]["outcomes"] == [["fed", True]]


def test_a_500_before_the_first_byte_is_tried_again_up_to_the_retries(outcome):
    assert outcome["retried"]["gets"] == {"e": 2}
    assert outcome["retried"]["outcomes"] == [["fed", True]]
    assert outcome["not_retried"]["gets"] == {"f": 1}
    assert outcome["not_retried"]["outcomes"] == [["error", "UPSTREAM_ERROR"]]
    assert outcome["not_retried"]["lease"][0] == "failed"


def test_bytes_that_do_not_match_break_every_reader_and_set_the_source_aside(outcome):
    corrupt = outcome["corrupt"]
    assert corrupt["gets"] == {"g": 1}
    assert corrupt["outcomes"] == [["broken"]] * 2
    assert corrupt["lease"][0] == "failed"
    assert outcome["set_aside"] == ["g"]


def test_a_body_cut_short_breaks_every_reader_and_sets_nothing_aside(outcome):
    cut = outcome["cut"]
    assert cut["gets"] == {"h": 1}
    assert cut["outcomes"] == [["broken"]] * 2
    assert outcome["set_aside_after_cut"] == ["g"]


def test_a_blob_not_kept_is_streamed_and_leaves_nothing_behind(outcome):
    assert outcome["streamed"]["outcomes"] == [["fed", True]]
    assert outcome["saved_when_streamed"] == []
    assert outcome["spool_left"] == []
