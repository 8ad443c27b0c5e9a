"""An HttpDownloader that answers registry auth challenges (Bearer tokens and Basic).

A remote owns one `RegistryAuth` (``credentials.py``); every downloader it builds shares it,
so a sync fetches one token per scope and reuses it until it is about to expire. A downloader
sends what the RegistryAuth has for its scope; on a 401 it hands the challenge to the
RegistryAuth, which fetches a token (or picks Basic credentials), and retries once.

A download to a file (a blob) gathers the body into pieces of PIECE_SIZE bytes; each piece is
written and fed to the digests (pulpcore's ALLOWED_CONTENT_CHECKSUMS) in threads while the
event loop reads the next piece. hashlib lets go of the GIL for such buffers, so the work
spreads over the cores instead of stopping the event loop, and every other download on it,
for each chunk (what pulpcore's BaseDownloader does).

Every request carries the remote's ClientTimeout (``timeouts.py``). A download streamed to a
waiting client (pulpcore's content app passes a ``headers_ready_callback`` and writes each
chunk to the client's response) is not retried the way pulpcore retries a download, from
byte 0, once bytes went to the client: those bytes cannot be taken back, and a second copy
from byte 0 appended to them is a wrong blob that looks whole. Such a failure raises
BodyBrokenOff, which pulpcore does not retry, and the content app cuts the client's
connection. (Resuming with a Range request was the alternative; it would need the file and
the digests of the first attempt to survive pulpcore's retry, which starts them afresh. The
client resumes or retries itself.) Nor is a timeout retried while a client waits: a dead
upstream costs it one read timeout, not max_retries + 1 of them and the back-off between.
"""

import asyncio
import contextlib
import os

import aiohttp
from pulpcore.plugin.download import DownloadResult
from pulpcore.plugin.exceptions import DigestValidationError, TimeoutException

from pulp_container.app.compat import ExtendableHttpDownloader
from pulp_container.app.thread_pools import BODIES, DISK_SYNCS
from pulp_container.app.upstream import challenge as challenges
from pulp_container.app.upstream.credentials import RegistryAuth
from pulp_container.constants import HEADER_AUTHORIZATION, HEADER_WWW_AUTHENTICATE

# The most a download kept in memory may hold.
IN_MEMORY_LIMIT = 32 * 1024 * 1024
# Bytes a file download gathers before handing them to a thread to write and hash.
PIECE_SIZE = 1024 * 1024


class BodyTooLarge(ValueError):
    """An in-memory download answered more than IN_MEMORY_LIMIT bytes."""


class BodyBrokenOff(Exception):
    """The upstream's body failed after some of it was streamed to a waiting client.

    Not one of the errors pulpcore's HttpDownloader retries: a retry would start again from
    byte 0 in a response already sent in part.
    """

    def __init__(self, url, passed_on, cause):
        super().__init__(f"{url} broke off after {passed_on} bytes were passed on: {cause}")
        self.passed_on = passed_on


class RegistryHttpDownloader(ExtendableHttpDownloader):
    """Downloads from a registry, answering its auth challenge once per request.

    Args:
        url: what to download.
        registry_auth: the remote's shared RegistryAuth; without it one is made from the
            Basic credentials pulpcore's factory passes as ``auth``.
        scope: the token scope the URL needs (``repository:<name>:pull``).
        headers: extra request headers, e.g. ``Accept`` for manifests.

        in_memory: keep the body in ``body`` instead of a file (no digests computed, no
            ``path``): for manifests and tag lists, which are small and never artifacts.
        timeout: the aiohttp ClientTimeout of every request (``timeouts.py``); None: the
            session's.
        kwargs: HttpDownloader's arguments.

    The response headers (Content-Type, Docker-Content-Digest, Link) are in the
    DownloadResult's ``headers``.
    """

    def __init__(
        self,
        url,
        registry_auth=None,
        scope="",
        headers=None,
        in_memory=False,
        timeout=None,
        **kwargs,
    ):
        basic_auth = kwargs.pop("auth", None)
        super().__init__(url, **kwargs)
        self.timeout = timeout
        self.registry_auth = registry_auth or RegistryAuth.from_basic_auth(basic_auth)
        self.scope = scope
        self.request_headers = dict(headers or {})
        self.in_memory = in_memory
        self.body = None
        self._chunks = []  # in memory: the body; to a file: what the next piece gathers
        self._gathered = 0
        self._in_flight = None  # the piece being written and hashed (an asyncio future)

    async def handle_data(self, data):
        """Write to a file (digests computed, in pieces off the event loop), or with
        `in_memory` keep the bytes."""
        if not self.in_memory:
            self._chunks.append(data)
            self._gathered += len(data)
            if self._gathered >= PIECE_SIZE:
                await self._hand_off()
            return
        self.received_size += len(data)
        if self.received_size > IN_MEMORY_LIMIT:
            raise BodyTooLarge(f"{self.url} answered more than {IN_MEMORY_LIMIT} bytes")
        self._chunks.append(data)

    async def finalize(self):
        """pulpcore's finalize: the last piece written, the file flushed, fsync'ed (in a thread)
        and closed, then the digests and size validated.

        With `in_memory`: ``body`` holds the bytes; only the size is validated.
        """
        if self.in_memory:
            self.body = b"".join(self._chunks)
            self.validate_size()
            return
        if self._chunks:
            await self._hand_off()
        await self._settle(raise_error=True)
        file = self.open_file()  # an empty body is an empty file
        await asyncio.get_running_loop().run_in_executor(DISK_SYNCS.executor, _sync_and_close, file)
        self.drop_file()
        self.validate_digests()
        self.validate_size()

    async def _hand_off(self):
        """Write and hash what was gathered, once the piece before it is done: one write and
        one update per digest at the same time, in BODIES threads (``thread_pools.py``)."""
        await self._settle(raise_error=True)
        piece = b"".join(self._chunks)
        self._chunks, self._gathered = [], 0
        file = self.open_file()
        self.received_size += len(piece)
        loop = asyncio.get_running_loop()
        jobs = [loop.run_in_executor(BODIES.executor, file.write, piece)]
        jobs += [
            loop.run_in_executor(BODIES.executor, hasher.update, piece)
            for hasher in self.hashers.values()
        ]
        self._in_flight = asyncio.gather(*jobs, return_exceptions=True)

    async def _settle(self, raise_error=False):
        """Wait for the piece in flight; its error is raised only with `raise_error`.

        Waiting is not cancelled with the caller: the threads go on with the piece, and a retry
        must not close the file under them.
        """
        in_flight, self._in_flight = self._in_flight, None
        if in_flight is None:
            return
        try:
            outcomes = await asyncio.shield(in_flight)
        except asyncio.CancelledError:
            await asyncio.wait([in_flight])
            raise
        errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        if errors and raise_error:
            raise errors[0]

    @property
    def streams_to_client(self):
        """Whether a client waits for these bytes as they arrive: pulpcore's content app is
        the one caller that passes a ``headers_ready_callback``."""
        return self.headers_ready_callback is not None

    async def run(self, extra_data=None):
        """pulpcore's run (its retries included); while a client waits, timeouts are not
        retried."""
        if self.streams_to_client:
            extra_data = dict(extra_data or {})
            not_retried = tuple(extra_data.get("disable_retry_list") or ())
            extra_data["disable_retry_list"] = (*not_retried, TimeoutException)
        return await super().run(extra_data=extra_data)

    async def read_response(self, response):
        """pulpcore's: headers to the callback, each chunk to ``handle_data``, then finalize.

        When streaming to a client, a failure once a byte was passed on raises BodyBrokenOff
        (not retried); a digest mismatch stays a DigestValidationError, which pulpcore's
        content app handles itself.
        """
        if self.headers_ready_callback:
            await self.headers_ready_callback(response.headers)
        passed_on = 0
        try:
            while chunk := await response.content.read(PIECE_SIZE):
                await self.handle_data(chunk)
                passed_on += len(chunk)
            await self.finalize()
        except DigestValidationError:
            raise
        except Exception as exc:
            if passed_on and self.streams_to_client:
                raise BodyBrokenOff(self.url, passed_on, exc) from exc
            raise
        return DownloadResult(
            path=self.path,
            artifact_attributes=self.artifact_attributes,
            url=self.url,
            headers=response.headers,
        )

    async def attempt(self, extra_data=None):
        self._chunks, self._gathered, self.received_size = [], 0, 0  # a retry starts over
        try:
            return await self._answering_challenge(extra_data)
        finally:
            await self._settle()  # nothing writes to this attempt's file once it is over

    async def _answering_challenge(self, extra_data):
        sent = await self.registry_auth.authorization(self.scope, self._fetch_token)
        try:
            return await self._get(sent, extra_data)
        except aiohttp.ClientResponseError as error:
            if error.status != 401:
                raise
            header = (error.headers or {}).get(HEADER_WWW_AUTHENTICATE)
            retry_with = await self.registry_auth.answer(
                header, self.scope, sent, self._fetch_token
            )
            if retry_with is None:
                raise
        return await self._get(retry_with, extra_data)

    async def _get(self, authorization, extra_data):
        """One GET through HttpDownloader with our headers and `authorization` added."""
        extra_data = dict(extra_data or {})
        request_kwargs = dict(extra_data.get("request_kwargs") or {})
        headers = {**self.request_headers, **request_kwargs.get("headers", {})}
        if authorization:
            headers[HEADER_AUTHORIZATION] = authorization
        request_kwargs["headers"] = headers
        if self.timeout is not None:
            request_kwargs.setdefault("timeout", self.timeout)
        extra_data["request_kwargs"] = request_kwargs
        return await super().attempt(extra_data=extra_data)

    @contextlib.asynccontextmanager
    async def response(self, method="GET", read_bufsize=None):
        """The response to one `method` request of the URL, after answering an auth challenge
        once; no retries, no status raised, the body left for the caller to read.

        For pull-through, which decides itself what an answer means and streams blobs as they
        arrive. `read_bufsize`: how many bytes of the body aiohttp reads ahead of the caller
        (twice that at most; aiohttp's default is 64 KiB).

        Raises:
            aiohttp.ClientError, asyncio.TimeoutError: no answer.
        """
        sent = await self.registry_auth.authorization(self.scope, self._fetch_token)
        response = await self._send(method, sent, read_bufsize)
        try:
            if response.status == 401:
                retry_with = await self.registry_auth.answer(
                    response.headers.get(HEADER_WWW_AUTHENTICATE),
                    self.scope,
                    sent,
                    self._fetch_token,
                )
                if retry_with is not None:
                    response.release()
                    response = await self._send(method, retry_with, read_bufsize)
            yield response
        finally:
            response.release()

    async def request(self, method="GET"):
        """(status, headers, body) of one `method` request (see `response`); the body of a GET
        is read whole, at most IN_MEMORY_LIMIT bytes.

        Raises:
            aiohttp.ClientError, asyncio.TimeoutError: no answer.
            BodyTooLarge: the body is larger than IN_MEMORY_LIMIT.
        """
        async with self.response(method) as response:
            chunks, size = [], 0
            if method != "HEAD":
                async for chunk in response.content.iter_any():
                    size += len(chunk)
                    if size > IN_MEMORY_LIMIT:
                        raise BodyTooLarge(f"{self.url} answered more than {IN_MEMORY_LIMIT} bytes")
                    chunks.append(chunk)
            return response.status, response.headers, b"".join(chunks)

    async def _send(self, method, authorization, read_bufsize=None):
        headers = dict(self.request_headers)
        if authorization:
            headers[HEADER_AUTHORIZATION] = authorization
        return await self.session.request(
            method,
            self.url,
            headers=headers,
            proxy=self.proxy,
            proxy_auth=self.proxy_auth,
            read_bufsize=read_bufsize,
            **self._timeout_kwargs(),
        )

    def _timeout_kwargs(self):
        return {} if self.timeout is None else {"timeout": self.timeout}

    async def _fetch_token(self, request, basic):
        """Ask the token endpoint of `request` (a challenge.TokenRequest).

        Raises:
            aiohttp.ClientResponseError: the endpoint refused (e.g. 401 for bad credentials).
            challenge.TokenResponseInvalid: it answered without a token.
        """
        headers = {HEADER_AUTHORIZATION: basic} if basic else {}
        async with self.session.get(
            request.url,
            params=list(request.params),
            headers=headers,
            proxy=self.proxy,
            proxy_auth=self.proxy_auth,
            **self._timeout_kwargs(),
        ) as response:
            response.raise_for_status()
            body = await response.read()
        return challenges.parse_token_response(body, self.registry_auth.clock())


def _sync_and_close(writer):
    """What pulpcore's BaseDownloader.finalize does to the file: flush, fsync, close."""
    writer.flush()
    os.fsync(writer.fileno())
    writer.close()
