"""RegistryHttpDownloader to a file: the body is written and hashed in pieces off the event loop,
and the result is what pulpcore's own downloader gives: the bytes in order, every checksum of
ALLOWED_CONTENT_CHECKSUMS, a failed validation, a retry that starts over. Streamed to a waiting
client (pulpcore's content app: a headers_ready_callback, and its own handle_data), a body that
breaks off after bytes went on is not retried, nor is a timeout; each request carries the
downloader's timeout, which bounds silences, not a slow body that keeps coming.

pulpcore's downloaders need its Django settings, which the other unit tests must not see, so
the downloads run in a fresh interpreter (pulpcore's settings, no database) against an aiohttp
server on loopback, and the tests read what it reports.
"""

import pytest

from tests.unit.fresh_interpreter import run_script

SCRIPT = r'''
import asyncio
import hashlib
import json
import os
import random

import django

django.setup()

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from pulpcore.plugin.exceptions import DigestValidationError  # noqa: E402

from pulp_container.app.upstream.downloaders import PIECE_SIZE, RegistryHttpDownloader  # noqa: E402
from pulp_container.app.upstream.timeouts import TimeoutDefaults, client_timeout  # noqa: E402

# Several pieces and a partial last one, sent in uneven chunks.
BODY = random.Random(3).randbytes(5 * PIECE_SIZE + 12345)
CHUNKS = (1, 1000, 65536, PIECE_SIZE - 7, 3 * PIECE_SIZE, 333333)
requests = {}


async def send(request, body, abort_after=None):
    name = request.match_info["name"]
    requests[name] = requests.get(name, 0) + 1
    response = web.StreamResponse()
    response.content_length = len(body)
    await response.prepare(request)
    sent, sizes = 0, iter(CHUNKS * 100)
    while sent < len(body):
        if abort_after is not None and sent >= abort_after:
            request.transport.close()  # the client sees a short body
            return response
        size = next(sizes)
        await response.write(body[sent : sent + size])
        sent += size
    await response.write_eof()
    return response


class NoTimeouts:
    connect_timeout = sock_connect_timeout = sock_read_timeout = total_timeout = None


# Silences over half a second are a dead upstream; no limit on a whole answer.
TIMEOUT = client_timeout(NoTimeouts(), TimeoutDefaults(connect=5, read=0.5))


async def slow(request):
    """The body in 8 parts, 0.2 s apart: 1.6 s in all, never silent for 0.5 s."""
    response = web.StreamResponse()
    response.content_length = len(BODY)
    await response.prepare(request)
    part = len(BODY) // 8 + 1
    for start in range(0, len(BODY), part):
        await asyncio.sleep(0.2)
        await response.write(BODY[start : start + part])
    await response.write_eof()
    return response


async def blob(request):
    name = request.match_info["name"]
    if name.startswith("slow"):
        requests[name] = requests.get(name, 0) + 1
        return await slow(request)
    if name.startswith("hang"):
        requests[name] = requests.get(name, 0) + 1
        await asyncio.sleep(3)
        return web.Response(body=b"late")
    if name.startswith("cut"):
        return await send(request, BODY, abort_after=2 * PIECE_SIZE + 5)
    if name == "empty":
        return await send(request, b"")
    if name == "flaky" and requests.get(name, 0) == 0:
        return await send(request, BODY, abort_after=2 * PIECE_SIZE + 5)
    return await send(request, BODY)


def digests_of(data):
    return {name: hashlib.new(name, data).hexdigest() for name in ("sha224", "sha256", "sha384", "sha512")}


async def download(session, base, name, **kwargs):
    downloader = RegistryHttpDownloader(f"{base}/{name}", session=session, **kwargs)
    try:
        result = await downloader.run()
    except Exception as error:
        return {"error": type(error).__name__, "requests": requests.get(name, 0)}
    with open(result.path, "rb") as written:
        data = written.read()
    attributes = result.artifact_attributes
    return {
        "same_bytes": data == (b"" if name == "empty" else BODY),
        "size": attributes["size"],
        "digests_right": {
            name: attributes[name] == value for name, value in digests_of(data).items()
        },
        "requests": requests[name],
    }


async def stream(session, base, name, **kwargs):
    """As pulpcore's content app streams a download to a client: headers to a callback, each
    chunk to its own handle_data (instead of the file), and DigestValidationError not retried."""
    passed_on = []

    async def headers_ready(headers):
        pass

    downloader = RegistryHttpDownloader(
        f"{base}/{name}", session=session, headers_ready_callback=headers_ready, **kwargs
    )

    async def to_client(data):
        passed_on.append(data)

    downloader.handle_data = to_client
    error = None
    try:
        await downloader.run(extra_data={"disable_retry_list": (DigestValidationError,)})
    except Exception as exc:
        error = type(exc).__name__
    sent = b"".join(passed_on)
    return {
        "error": error,
        "requests": requests.get(name, 0),
        "passed_on": len(sent),
        "a_prefix": BODY.startswith(sent),
    }


async def main():
    app = web.Application()
    app.router.add_get("/{name}", blob)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    sha256 = hashlib.sha256(BODY).hexdigest()
    results = {"body_size": len(BODY)}
    async with aiohttp.ClientSession() as session:
        results["whole"] = await download(
            session, base, "whole", expected_digests={"sha256": sha256}, expected_size=len(BODY)
        )
        results["mismatch"] = await download(
            session, base, "mismatch", expected_digests={"sha256": "0" * 64}
        )
        results["flaky"] = await download(
            session, base, "flaky", expected_digests={"sha256": sha256}, max_retries=1
        )
        results["empty"] = await download(session, base, "empty")
        many = await asyncio.gather(
            *(download(session, base, f"many-{i}", expected_digests={"sha256": sha256})
              for i in range(4))
        )
        results["concurrent"] = many
        results["stream_cut"] = await stream(session, base, "cut-stream", max_retries=3)
        results["file_cut"] = await download(session, base, "cut-file", max_retries=1)
        results["stream_hang"] = await stream(
            session, base, "hang-stream", max_retries=3, timeout=TIMEOUT
        )
        results["file_hang"] = await download(
            session, base, "hang-file", max_retries=1, timeout=TIMEOUT
        )
        results["stream_slow"] = await stream(
            session, base, "slow-stream", max_retries=0, timeout=TIMEOUT
        )
        results["file_slow"] = await download(
            session, base, "slow-file", expected_digests={"sha256": sha256}, timeout=TIMEOUT
        )
    await runner.cleanup()
    print("RESULT " + json.dumps(results))


asyncio.run(main())
'''


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    """What the script's downloads gave, keyed by scenario."""
    return run_script(SCRIPT, tmp_path_factory.mktemp("downloads"))


def test_the_bytes_are_written_in_order(outcome):
    assert outcome["whole"]["same_bytes"]
    assert outcome["whole"]["size"] == outcome["body_size"]


def test_every_checksum_is_computed_over_the_whole_body(outcome):
    assert outcome["whole"]["digests_right"] == {
        "sha224": True,
        "sha256": True,
        "sha384": True,
        "sha512": True,
    }


def test_a_digest_mismatch_fails_the_download(outcome):
    assert outcome["mismatch"]["error"] == "DigestValidationError"


def test_a_retry_after_a_short_body_starts_over(outcome):
    flaky = outcome["flaky"]
    assert flaky["requests"] == 2
    assert flaky["same_bytes"]
    assert flaky["size"] == outcome["body_size"]
    assert all(flaky["digests_right"].values())


def test_an_empty_body_is_an_empty_file(outcome):
    assert outcome["empty"]["same_bytes"]
    assert outcome["empty"]["size"] == 0
    assert all(outcome["empty"]["digests_right"].values())


def test_concurrent_downloads_keep_their_bytes_apart(outcome):
    for download in outcome["concurrent"]:
        assert download["same_bytes"]
        assert all(download["digests_right"].values())


def test_a_stream_that_breaks_off_is_not_retried_from_byte_0(outcome):
    """The bug: a retry appended the body from byte 0 to the bytes the client already had."""
    cut = outcome["stream_cut"]
    assert cut["error"] == "BodyBrokenOff"
    assert cut["requests"] == 1
    assert 0 < cut["passed_on"] < outcome["body_size"]
    assert cut["a_prefix"]


def test_a_download_to_a_file_that_breaks_off_is_still_retried(outcome):
    assert outcome["file_cut"] == {"error": "ClientPayloadError", "requests": 2}


def test_a_timeout_is_not_retried_while_a_client_waits(outcome):
    assert outcome["stream_hang"]["error"] == "TimeoutException"
    assert outcome["stream_hang"]["requests"] == 1


def test_a_timeout_of_a_download_to_a_file_is_retried(outcome):
    assert outcome["file_hang"] == {"error": "TimeoutException", "requests": 2}


def test_a_slow_body_that_keeps_coming_is_not_cut(outcome):
    assert outcome["stream_slow"]["error"] is None
    assert outcome["stream_slow"]["passed_on"] == outcome["body_size"]
    assert outcome["file_slow"]["same_bytes"]
