"""An HttpDownloader that answers registry auth challenges (Bearer tokens and Basic).

A remote owns one `RegistryAuth` (``credentials.py``); every downloader it builds shares it,
so a sync fetches one token per scope and reuses it until it is about to expire. A downloader
sends what the RegistryAuth has for its scope; on a 401 it hands the challenge to the
RegistryAuth, which fetches a token (or picks Basic credentials), and retries once.
"""

import contextlib

import aiohttp
from pulpcore.plugin.download import HttpDownloader

from pulp_container.app.upstream import challenge as challenges
from pulp_container.app.upstream.credentials import RegistryAuth
from pulp_container.constants import HEADER_AUTHORIZATION, HEADER_WWW_AUTHENTICATE

# The most a download kept in memory may hold.
IN_MEMORY_LIMIT = 32 * 1024 * 1024


class BodyTooLarge(ValueError):
    """An in-memory download answered more than IN_MEMORY_LIMIT bytes."""


class RegistryHttpDownloader(HttpDownloader):
    """Downloads from a registry, answering its auth challenge once per request.

    Args:
        url: what to download.
        registry_auth: the remote's shared RegistryAuth; without it one is made from the
            Basic credentials pulpcore's factory passes as ``auth``.
        scope: the token scope the URL needs (``repository:<name>:pull``).
        headers: extra request headers, e.g. ``Accept`` for manifests.

        in_memory: keep the body in ``body`` instead of a file (no digests computed, no
            ``path``): for manifests and tag lists, which are small and never artifacts.
        kwargs: HttpDownloader's arguments.

    The response headers (Content-Type, Docker-Content-Digest, Link) are in the
    DownloadResult's ``headers``.
    """

    def __init__(self, url, registry_auth=None, scope="", headers=None, in_memory=False, **kwargs):
        basic_auth = kwargs.pop("auth", None)
        super().__init__(url, **kwargs)
        self.registry_auth = registry_auth or RegistryAuth.from_basic_auth(basic_auth)
        self.scope = scope
        self.request_headers = dict(headers or {})
        self.in_memory = in_memory
        self.body = None
        self._chunks = []

    async def handle_data(self, data):
        """Write to a file (digests computed), or with `in_memory` keep the bytes."""
        if not self.in_memory:
            return await super().handle_data(data)
        self._size += len(data)
        if self._size > IN_MEMORY_LIMIT:
            raise BodyTooLarge(f"{self.url} answered more than {IN_MEMORY_LIMIT} bytes")
        self._chunks.append(data)

    async def finalize(self):
        """With `in_memory`: ``body`` holds the bytes; only the size is validated."""
        if not self.in_memory:
            return await super().finalize()
        self.body = b"".join(self._chunks)
        self.validate_size()

    async def _run(self, extra_data=None):
        self._chunks, self._size = [], 0  # a retry starts over
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
        extra_data["request_kwargs"] = request_kwargs
        return await super()._run(extra_data=extra_data)

    @contextlib.asynccontextmanager
    async def response(self, method="GET"):
        """The response to one `method` request of the URL, after answering an auth challenge
        once; no retries, no status raised, the body left for the caller to read.

        For pull-through, which decides itself what an answer means and streams blobs as they
        arrive.

        Raises:
            aiohttp.ClientError, asyncio.TimeoutError: no answer.
        """
        sent = await self.registry_auth.authorization(self.scope, self._fetch_token)
        response = await self._send(method, sent)
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
                    response = await self._send(method, retry_with)
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

    async def _send(self, method, authorization):
        headers = dict(self.request_headers)
        if authorization:
            headers[HEADER_AUTHORIZATION] = authorization
        return await self.session.request(
            method, self.url, headers=headers, proxy=self.proxy, proxy_auth=self.proxy_auth
        )

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
        ) as response:
            response.raise_for_status()
            body = await response.read()
        return challenges.parse_token_response(body, self.registry_auth.clock())
